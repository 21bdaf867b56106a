# The runner in an image built from what `ldd fastappkit` lists: the runner, exactly those
# libraries and the dynamic loader are copied into a private root, and the runner runs there
# under chroot (so neither the system's library directories nor /etc/ld.so.cache exist)
# through the copied loader, with --library-path naming only the private directory and
# --inhibit-cache. The copied loader alone is not enough: it still searches the system's
# directories (/lib/<triplet>, /usr/lib/<triplet>) built into it, where libcrypto is.
#   ldd's list + libcrypto.so.3 (the README's run-time requirements): migrate all succeeds
#   ldd's list alone: exit 1, one sentence naming libcrypto.so.3 and libssl3, no version row
# Extra argument: the built runner. Skipped (exit 77) where chroot is not allowed.
source "$(dirname "$0")/lib.sh"
BUILT_RUNNER=$7
IMAGE=$WORK/image
REV=a1a1a1a1a1a1

# isolate <root> <command...>: runs the command with <root> as /; as root with chroot, else in
# a user namespace of its own.
isolate() {
  if [[ $(id -u) == 0 ]]; then
    chroot "$@"
  else
    unshare --user --map-root-user chroot "$@"
  fi
}

# new_image: IMAGE/fastappkit, IMAGE/lib/ with what ldd lists (the loader too), and a project.
new_image() {
  rm -rf "$IMAGE"
  mkdir -p "$IMAGE/lib" "$IMAGE/project/core/db/migrations/versions"
  cp "$BUILT_RUNNER" "$IMAGE/fastappkit"
  local name arrow path rest
  while read -r name arrow path rest; do
    case $name in
      linux-vdso.so.*) ;;  # the kernel's, in every process
      /*) cp -L "$name" "$IMAGE/lib/$(basename "$name")" ;;  # the loader
      *) [[ $arrow == "=>" && $path == /* ]] || fail "ldd could not resolve $name: $name $arrow $path $rest"
         cp -L "$path" "$IMAGE/lib/$name"
         LIBRARY_DIRS+=("$(dirname "$path")") ;;
    esac
  done < <(ldd "$BUILT_RUNNER")
  LOADER=/lib/$(ldd "$BUILT_RUNNER" | awk '$1 ~ /^\// { sub(".*/", "", $1); print $1; exit }')
  [[ $LOADER != /lib/ ]] || fail "ldd lists no dynamic loader for $BUILT_RUNNER"
  printf '[tool.fastappkit]\napps = []\n' >"$IMAGE/project/fastappkit.toml"
  cat >"$IMAGE/project/core/db/migrations/versions/${REV}_note.sql" <<EOF
-- revision: $REV
-- down_revision: none
-- branch_labels:
-- depends_on:
-- message: note

-- migrate:upgrade
CREATE TABLE note (id INTEGER PRIMARY KEY);

-- migrate:downgrade
DROP TABLE note;
EOF
}

# migrate all in the image, through its loader, on a SQLite file in it.
migrate() {
  isolate "$IMAGE" "$LOADER" --inhibit-cache --library-path /lib /fastappkit \
    --project-root /project --database-url sqlite:////project/app.db migrate all
}

# The version rows of the image's database (none when it or its version table is missing).
version_rows() {
  local db=$IMAGE/project/app.db
  [[ -e $db ]] || return 0
  [[ -n $(sql "$db" "SELECT name FROM sqlite_master WHERE name = 'alembic_version'") ]] || return 0
  sql "$db" 'SELECT version_num FROM alembic_version'
}

mkdir -p "$WORK/logs"
LIBRARY_DIRS=()
new_image
if ! isolate "$IMAGE" "$LOADER" --version >/dev/null 2>&1; then
  echo "SKIP: cannot chroot here (not root, and no user namespaces)"
  exit 77
fi
echo "ldd lists: $(ls "$IMAGE/lib" | tr '\n' ' ')"

step "ldd's libraries and libcrypto.so.3: migrate all succeeds"
crypto=
for dir in "${LIBRARY_DIRS[@]}"; do
  if [[ -e $dir/libcrypto.so.3 ]]; then crypto=$dir/libcrypto.so.3; break; fi
done
[[ -n $crypto ]] || fail "libcrypto.so.3 is not beside the libraries ldd lists (${LIBRARY_DIRS[*]})"
[[ ! -e $IMAGE/lib/libcrypto.so.3 ]] || fail "ldd lists libcrypto.so.3 now: the runner links it again"
cp -L "$crypto" "$IMAGE/lib/libcrypto.so.3"
run_ok "$WORK/logs/with_libcrypto.log" migrate
assert_eq "$(version_rows)" "$REV" "the version row"

step "ldd's libraries alone: exit 1, one sentence naming libcrypto.so.3, no version row"
new_image
status=0
migrate >"$WORK/out" 2>"$WORK/err" || status=$?
cat "$WORK/out" "$WORK/err"
assert_eq "$status" 1 "the exit status without libcrypto"
assert_eq "$(grep -c . "$WORK/err" || true)" 1 "the number of lines on stderr"
assert_in_log "$WORK/err" "Cannot load libcrypto.so.3, which fastappkit needs for migration checksums: install OpenSSL's libcrypto (Debian and Ubuntu: apt-get install libssl3)" \
  "the error"
assert_eq "$(version_rows)" "" "the version rows"
