#!/bin/sh
# tests/orcad_replica_check.sh: orcad's acknowledgement modes (--ack
# async|redis|wait) against a real redis-server, Redis killed, paused and
# cut off by a proxy (tests/tcp_cut_proxy.py), and orcactl's list of
# servers (a standby first, then the leader). The parts are in
# tests/orcad_replica_check.py (each says what it proves); this starts it
# bounded in time, on loopback, with a temp dir for the logs and data.
# Usage: tests/orcad_replica_check.sh [path/to/orcad [path/to/orcactl]]
set -eu
cd "$(dirname "$0")/.."
. tests/orcad_lib.sh
orcad=${1:-build/server/orcad}
ctl=${2:-build/server/orcactl}
orcad_test_init orcad_replica_check
command -v redis-server >/dev/null || fail "redis-server is missing (apt-get install redis-server)"
command -v redis-cli >/dev/null || fail "redis-cli is missing (apt-get install redis-tools)"
fail_show() { :; }   # (the Python part prints the orcads' logs itself)
timeout 150 $py tests/orcad_replica_check.py "$orcad" "$ctl" "$tmp" >"$tmp/said" 2>&1 \
    || { cat "$tmp/said" >&2; fail "see above"; }
echo "orcad_replica_check: OK"
sed 's/^/  /' "$tmp/said"
