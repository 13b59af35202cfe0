#!/bin/sh
# tests/orcad_admin_check.sh: reload, compact and shutdown from the outside.
# Starts orcad on a free loopback port with a copy of the example config
# (which tests/orcad_admin_check.py edits) and a temp data dir; the script
# reloads it by SIGHUP and by the admin message (a good edit, a bad one,
# waiting work keeping its place), compacts, and asks it to shut down;
# orcad must then stop by itself, cleanly. Bounded by timeout(1) and the
# client's own timeouts.
# Usage: tests/orcad_admin_check.sh [path/to/orcad]   (default build/server/orcad)
set -eu
cd "$(dirname "$0")/.."
. tests/orcad_lib.sh
orcad=${1:-build/server/orcad}
orcad_test_init orcad_admin_check

cp server/orcad.conf.example "$tmp/orcad.conf"
port=$(free_port)
start_orcad "$tmp/out" timeout 60 "$orcad" --config "$tmp/orcad.conf" --data-dir "$tmp/data" \
    --listen "127.0.0.1:$port" --run-for 55
timeout 50 $py tests/orcad_admin_check.py "$port" "$pid" "$tmp/orcad.conf" >"$tmp/py" 2>&1 ||
    { cat "$tmp/py" >&2; fail "admin checks"; }
# The shutdown message stops it: no signal from here.
i=0
while kill -0 $pid 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "orcad did not stop after the shutdown message"
    sleep 0.1
done
wait_orcad "orcad exited non-zero after the shutdown message"
grep -q "reloaded .*orcad.conf" "$tmp/out" || fail "no reload in the log"
grep -q "reload of .* refused, nothing changed" "$tmp/out" || fail "no refused reload in the log"
grep -q "journal compacted (ok)" "$tmp/out" || fail "no compaction on the way out"
grep -q "state consistent" "$tmp/out" || fail "not consistent after shutdown"
echo "orcad_admin_check: OK (port $port: SIGHUP reload, admin reload good and bad, waiting work kept in place, EPERM, compact, shutdown)"
