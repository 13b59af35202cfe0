#!/bin/sh
# tests/orcad_clients_check.sh: what bad and gone clients get from orcad,
# from the outside (docs/PROTOCOL.md, "Agent disconnect", "Bad clients",
# "event"). Starts orcad on a free loopback port with the example config
# with short client limits (agent_grace_ms 1000, ping_s 1, client_rate 50
# and client_burst 20, max_connections 2000) and runs
# tests/orcad_clients_check.py against it: a replaced agent binding, the
# grace period, a half-open peer, a flood, gateway outcomes, 2,000
# connections at once and the memory they leave. Then SIGTERM: a clean
# stop. Bounded by timeout(1) and the client's own timeouts.
# Usage: tests/orcad_clients_check.sh [path/to/orcad]   (default build/server/orcad)
# Under ASan (build-san/server/orcad) set ORCAD_CLIENTS_RSS=0: its
# quarantine keeps freed memory, so the memory check would fail.
set -eu
cd "$(dirname "$0")/.."
. tests/orcad_lib.sh
orcad=${1:-build/server/orcad}
orcad_test_init orcad_clients_check

# 2,000 client sockets in this process tree (orcad raises its own limit).
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 2100 ] ||
    { echo "orcad_clients_check: SKIP: open files limit $(ulimit -n) < 2100"; exit 0; }

sed -e 's/^\( *max_connections =\).*/\1 2000;/' \
    -e 's/^\( *client_rate =\).*/\1 50;/' \
    -e 's/^\( *client_burst =\).*/\1 20;/' \
    -e 's/^\( *ping_s =\).*/\1 1;/' \
    -e 's/^\( *agent_grace_ms =\).*/\1 1000;/' server/orcad.conf.example >"$tmp/orcad.conf"
for k in "max_connections = 2000" "client_rate = 50" "client_burst = 20" "ping_s = 1" \
         "agent_grace_ms = 1000"; do
    grep -q "$k;" "$tmp/orcad.conf" || fail "the test config did not get '$k'"
done

port=$(free_port)
start_orcad "$tmp/out" timeout 120 "$orcad" --config "$tmp/orcad.conf" --data-dir "$tmp/data" \
    --listen "127.0.0.1:$port" --run-for 115
# orcad itself, timeout(1)'s child, for its VmRSS.
opid=$(cat /proc/$pid/task/$pid/children 2>/dev/null | awk '{print $1}')
[ -n "$opid" ] || fail "no orcad process under timeout"
timeout 100 $py tests/orcad_clients_check.py "$port" "$opid" >"$tmp/py" 2>&1 ||
    { cat "$tmp/py" >&2; fail "client checks"; }
grep -q "over its rate (50/s, burst 20) kept sending: disconnected" "$tmp/out" ||
    fail "the flood was not logged"
stop_orcad
grep -q "state consistent" "$tmp/out" || fail "not consistent on SIGTERM"
echo "orcad_clients_check: OK (port $port: $(tail -1 "$tmp/py"))"
