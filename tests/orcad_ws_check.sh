#!/bin/sh
# tests/orcad_ws_check.sh: orcad's WebSocket transport from the outside.
# Starts orcad on a free loopback port with the example config and a temp
# data dir, runs tests/orcad_ws_check.py against it (Debian's python3 with
# python3-websockets: a gateway, two agents, a supervisor, bad messages, a
# wrong token, a client that never reads), then SIGTERM: a clean stop.
# Bounded by timeout(1) and the client's own timeouts.
# Usage: tests/orcad_ws_check.sh [path/to/orcad]   (default build/server/orcad)
set -eu
cd "$(dirname "$0")/.."
orcad=${1:-build/server/orcad}
# Debian's interpreter: python3-websockets is installed for it (a python3
# earlier in PATH, pyenv for example, may not have it).
py=/usr/bin/python3
[ -x $py ] || py=python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/orcad-ws.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "orcad_ws_check: FAIL: $*" >&2; sed 's/^/  /' "$tmp/out" >&2 2>/dev/null; exit 1; }

port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
timeout 60 "$orcad" --config server/orcad.conf.example --data-dir "$tmp/data" \
    --listen "127.0.0.1:$port" --run-for 55 >"$tmp/out" 2>&1 &
pid=$!
i=0
until grep -q "running" "$tmp/out" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "orcad did not start"
    kill -0 $pid 2>/dev/null || fail "orcad exited"
    sleep 0.1
done
timeout 50 $py tests/orcad_ws_check.py "$port" >"$tmp/py" 2>&1 ||
    { cat "$tmp/py" >&2; fail "WebSocket checks"; }
i=0
until grep -q "bytes unsent (bound 1048576) is disconnected" "$tmp/out"; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "a client that never reads was not disconnected"
    sleep 0.1
done
kill -TERM $pid
wait $pid || { pid=; fail "orcad exited non-zero after SIGTERM"; }
pid=
grep -q "state consistent" "$tmp/out" || fail "not consistent on SIGTERM"
echo "orcad_ws_check: OK (port $port: hello, EAUTH, EPROTO, ETOOBIG, EPERM, offer push, accept, end, withdraw, disconnect rule, subscribe events and figures, output bound, SIGTERM)"
