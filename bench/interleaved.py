#!/usr/bin/env python3
"""Times short commands in turn (A, B, C, A, B, C, ...) rather than one after the other as
hyperfine does, so that every command sees the same load on a shared machine; a ratio of two
commands then does not depend on what else ran during one command's block of runs.

    interleaved.py --runs N [--warmup W] [--prepare 'COMMAND'] --export-json F \\
                   --export-markdown F -n NAME 'COMMAND ARGS' [-n NAME 'COMMAND ARGS' ...]

--shuffle runs the commands of each round in a new random order (seeded, so that a run can be
repeated), so that no command always follows the same one: on a small machine what the
previous command leaves behind (a server process exiting, say) can slow the next one by 10 %.

--prepare runs (untimed, through the shell) before every run of every command: deleting the
database an apply run creates, say. It finds the index of the command about to run (0 for the
first -n) in the environment variable INTERLEAVED_COMMAND, so that it can prepare just that
command's database.

Each run is one posix_spawn + wait4 (no shell, output to /dev/null), timed wall-clock; the
child's CPU time (user + system) comes from wait4. A command that exits non-zero stops the
benchmark. The JSON has hyperfine's shape (results[].command, median, mean, min, max, in
seconds) plus cpu_median.
"""
import argparse
import json
import os
import random
import shlex
import statistics
import sys
import time


def run_once(argv):
    devnull = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
    started = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=devnull)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"interleaved.py: {shlex.join(argv)} exited with status "
                 f"{os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--prepare", default="")
    parser.add_argument("--shuffle", action="store_true")
    parser.add_argument("--export-json", required=True)
    parser.add_argument("--export-markdown", required=True)
    parser.add_argument("-n", "--name", action="append", required=True)
    parser.add_argument("commands", nargs="+")
    args = parser.parse_intermixed_args()
    if len(args.name) != len(args.commands):
        parser.error("give one -n NAME per command")
    argvs = [shlex.split(command) for command in args.commands]
    def prepare(index):
        os.environ["INTERLEAVED_COMMAND"] = str(index)
        if args.prepare and os.system(args.prepare) != 0:
            sys.exit(f"interleaved.py: the prepare command failed: {args.prepare}")

    for _ in range(args.warmup):
        for i, argv in enumerate(argvs):
            prepare(i)
            run_once(argv)
    walls = [[] for _ in argvs]
    cpus = [[] for _ in argvs]
    order = list(range(len(argvs)))
    shuffled = random.Random(1)
    for _ in range(args.runs):
        if args.shuffle:
            shuffled.shuffle(order)
        for i in order:
            argv = argvs[i]
            prepare(i)
            wall, cpu = run_once(argv)
            walls[i].append(wall)
            cpus[i].append(cpu)

    results = [{
        "command": name,
        "median": statistics.median(wall),
        "mean": statistics.mean(wall),
        "min": min(wall),
        "max": max(wall),
        "cpu_median": statistics.median(cpu),
    } for name, wall, cpu in zip(args.name, walls, cpus)]
    with open(args.export_json, "w") as file:
        json.dump({"results": results}, file, indent=2)

    fastest = min(result["median"] for result in results)
    ms = lambda seconds: f"{seconds * 1000:.2f}"
    lines = [
        f"Interleaved runs: {args.runs} of each command, in turn"
        f"{' (each round in a random order)' if args.shuffle else ''}.",
        "",
        "| Command | Median [ms] | Mean [ms] | Min [ms] | Max [ms] | CPU median [ms] | Relative (median) |",
        "|:---|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        lines.append(f"| `{result['command']}` | {ms(result['median'])} | {ms(result['mean'])} | "
                     f"{ms(result['min'])} | {ms(result['max'])} | {ms(result['cpu_median'])} | "
                     f"{result['median'] / fastest:.2f} |")
    with open(args.export_markdown, "w") as file:
        file.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
