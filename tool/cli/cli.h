#pragma once

namespace fastappkit {

// Parses the command line, runs the command, and returns the exit code (0, 1 or 2).
int run_cli(int argc, char** argv);

}  // namespace fastappkit
