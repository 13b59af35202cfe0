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
orcad=${1:-build/server/orcad}
py=/usr/bin/python3
[ -x $py ] || py=python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/orcad-admin.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "orcad_admin_check: FAIL: $*" >&2; sed 's/^/  /' "$tmp/out" >&2 2>/dev/null; exit 1; }

cp server/orcad.conf.example "$tmp/orcad.conf"
port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
timeout 60 "$orcad" --config "$tmp/orcad.conf" --data-dir "$tmp/data" \
    --listen "127.0.0.1:$port" --run-for 55 >"$tmp/out" 2>&1 &
pid=$!
i=0
until grep -q "running" "$tmp/out" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "orcad did not start"
    kill -0 $pid 2>/dev/null || fail "orcad exited"
    sleep 0.1
done
timeout 50 $py tests/orcad_admin_check.py "$port" "$pid" "$tmp/orcad.conf" >"$tmp/py" 2>&1 ||
    { cat "$tmp/py" >&2; fail "admin checks"; }
# The shutdown message stops it: no signal from here.
i=0
while kill -0 $pid 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "orcad did not stop after the shutdown message"
    sleep 0.1
done
wait $pid || { pid=; fail "orcad exited non-zero after the shutdown message"; }
pid=
grep -q "reloaded .*orcad.conf" "$tmp/out" || fail "no reload in the log"
grep -q "reload of .* refused, nothing changed" "$tmp/out" || fail "no refused reload in the log"
grep -q "journal compacted (ok)" "$tmp/out" || fail "no compaction on the way out"
grep -q "state consistent" "$tmp/out" || fail "not consistent after shutdown"
echo "orcad_admin_check: OK (port $port: SIGHUP reload, admin reload good and bad, waiting work kept in place, EPERM, compact, shutdown)"
