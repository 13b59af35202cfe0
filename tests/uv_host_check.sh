#!/bin/sh
# tests/uv_host_check.sh: examples/uv_host restarts on its own journal.
#
#   1. a first run creates the centre and stops at the end of --seconds;
#   2. a second run on the same folder restores it (records replayed,
#      agents OFFLINE then logged in again) and carries on;
#   3. a run stopped by SIGTERM exits cleanly;
#   4. a first run killed with SIGKILL mid-way is restored by the next run;
#   5. that restore once more under valgrind (if installed): no error, no leak.
# Each run is bounded by timeout(1). About 15 s. Env: BUILD (default build).
set -eu

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
bin=$BUILD/examples/uv_host
$MAKE --no-print-directory "$bin" >/dev/null

dir=$(mktemp -d /tmp/orca-uv-host-check-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() {
    echo "uv_host_check: $*" >&2
    for f in "$dir"/*.out; do
        [ -e "$f" ] && { echo "--- $f"; cat "$f"; } >&2
    done
    exit 1
}
# expect FILE PATTERN: FILE has a line matching PATTERN (grep -E)
expect() {
    grep -Eq "$2" "$1" || fail "$(basename "$1"): no line matching '$2'"
}

# 1. first run
timeout 30 "$bin" "$dir" --seconds 2 >"$dir/1.out" 2>&1 || fail "first run failed"
expect "$dir/1.out" '^new centre, journal '
expect "$dir/1.out" 'state consistent$'
echo "  first run: $(grep '^stopped' "$dir/1.out")"

# 2. restart: restored, not new
timeout 30 "$bin" "$dir" --seconds 2 >"$dir/2.out" 2>&1 || fail "second run failed"
grep -q '^new centre' "$dir/2.out" && fail "second run made a new centre"
expect "$dir/2.out" '^restored .*: [1-9][0-9]* records .*, 4 agents OFFLINE, '
expect "$dir/2.out" '^caught up to the wall clock: '
expect "$dir/2.out" '^resumed: .* 4 agents READY'
expect "$dir/2.out" 'state consistent$'
echo "  restart: $(grep '^restored' "$dir/2.out" | sed 's/^restored [^:]*: //')"

# 3. SIGTERM: a clean stop
timeout 30 "$bin" "$dir" --seconds 30 >"$dir/3.out" 2>&1 &
pid=$!
sleep 1
kill -TERM "$pid"
wait "$pid" || fail "SIGTERM: exit status $?"
expect "$dir/3.out" '^signal 15: stopping'
expect "$dir/3.out" 'state consistent$'
echo "  SIGTERM: stopped cleanly"

# 4. SIGKILL of a first run mid-way (a new folder), then a restart restores
kdir=$dir/killed
# (no timeout(1) here: SIGKILL must reach the host itself, not a wrapper
# that would leave it running; --seconds bounds it anyway)
"$bin" "$kdir" --seconds 30 >"$dir/4.out" 2>&1 &
pid=$!
sleep 2
kill -KILL "$pid"
wait "$pid" 2>/dev/null && fail "the killed run exited 0"
expect "$dir/4.out" '^new centre, journal '
expect "$dir/4.out" '^running for 30 s'
timeout 30 "$bin" "$kdir" --seconds 1 >"$dir/5.out" 2>&1 || fail "run after kill -9 failed"
expect "$dir/5.out" '^restored .*: [1-9][0-9]* records .*, 4 agents OFFLINE, '
expect "$dir/5.out" '^resumed: .* 4 agents READY'
expect "$dir/5.out" 'state consistent$'
echo "  kill -9 of a first run, restart: $(grep '^restored' "$dir/5.out" | sed 's/^restored [^:]*: //')"

# 5. once under valgrind
if command -v valgrind >/dev/null 2>&1; then
    timeout 120 valgrind -q --error-exitcode=9 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect \
        "$bin" "$kdir" --seconds 1 >"$dir/6.out" 2>&1 || fail "valgrind run failed ($?)"
    expect "$dir/6.out" '^restored '
    expect "$dir/6.out" 'state consistent$'
    echo "  restart under valgrind: clean"
else
    echo "  (valgrind not installed: skipped)"
fi
echo "uv_host_check: ok"
