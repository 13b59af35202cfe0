#!/bin/sh
# tests/orcad_standby_check.sh: a standby that follows the leader through
# Redis (issue 13, first slice). Starts Debian's redis-server on a free
# loopback port (no persistence), a leader orcad shipping its journal to
# it (--redis) and a standby (--standby) following it; drives traffic on
# the leader; the standby's figures (/healthz, /metrics: waiting per
# queue, agents by state) must come to equal the leader's. Then the leader
# is killed with SIGKILL and started again on the same data dir (a new
# epoch: it restores from its journal and ships a new snapshot): the
# standby starts over from that snapshot and is equal again after more
# traffic. Before that, Redis itself restarts empty: the leader takes its
# epoch back and ships a snapshot again, and the standby starts over from
# it. Last a second leader starts with the same stream (epoch 3): the
# first one's next append is refused by the epoch guard, it steps down,
# and the standby follows the new one. Bounded by timeout(1) and the
# client's own timeouts.
# Usage: tests/orcad_standby_check.sh [path/to/orcad]
set -eu
cd "$(dirname "$0")/.."
. tests/orcad_lib.sh
orcad=${1:-build/server/orcad}
orcad_test_init orcad_standby_check
command -v redis-server >/dev/null || fail "redis-server is missing (apt-get install redis-server)"
spid=""
trap 'if [ -n "$spid" ]; then kill "$spid" 2>/dev/null || true; fi; orcad_lib_cleanup' EXIT
fail_show() { for f in out out2 standby redis; do echo "  -- $f"; sed 's/^/  /' "$tmp/$f" 2>/dev/null; done; }

rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no >"$tmp/redis" 2>&1 &
helper=$!
i=0
until redis-cli -p "$rport" ping >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "redis-server did not start"; sleep 0.1
done
lport=$(free_port)
sport=$(free_port)
start_orcad "$tmp/out" timeout 60 "$orcad" --config server/orcad.conf.example \
    --data-dir "$tmp/data" --listen "127.0.0.1:$lport" --redis "127.0.0.1:$rport/t" --run-for 55
rm -f "$tmp/standby"
timeout 60 "$orcad" --standby --config server/orcad.conf.example --listen "127.0.0.1:$sport" \
    --data-dir "$tmp/sdata" \
    --redis "127.0.0.1:$rport/t" --run-for 55 >"$tmp/standby" 2>&1 &
spid=$!

# traffic ROUND [AGENT]: calls queued, the agent (1002) takes and ends one.
traffic() {
    timeout 20 $py - "$lport" "$1" "${2:-1002}" <<'PY' >"$tmp/py" 2>&1 || { cat "$tmp/py" >&2; fail "traffic $1"; }
import asyncio, json, sys, websockets
PORT, ROUND, AGENT = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
async def ask(ws, msg, may=()):
    await ws.send(json.dumps(dict(msg, v=1)))
    while True:
        r = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if r.get("id") == msg["id"]:
            assert r["ok"] or r["error"]["code"] in may, r
            return r
async def main():
    url = "ws://127.0.0.1:%d/" % PORT
    async with websockets.connect(url, subprotocols=["orca.v1"]) as gw, \
               websockets.connect(url, subprotocols=["orca.v1"]) as ag:
        await ask(gw, {"id": "h", "type": "hello", "token": "change-me-gateway-0001"})
        await ask(ag, {"id": "h", "type": "hello", "token": "change-me-desktops-0001"})
        await ask(ag, {"id": "l", "type": "login", "agent": AGENT})
        for k in range(8):
            await ask(gw, {"id": "e%d" % k, "type": "enqueue", "interaction": 1000 * ROUND + k,
                           "queue": "billing" if k % 2 else "support", "channel": "voice"})
        await ask(ag, {"id": "r", "type": "presence", "presence": "ready"})
        while True:
            m = json.loads(await asyncio.wait_for(ag.recv(), 5))
            if m.get("type") == "offer":
                break
        await ask(ag, {"id": "a", "type": "accept", "interaction": m["interaction"]})
        await ask(ag, {"id": "n", "type": "end", "interaction": m["interaction"]})
        await ask(ag, {"id": "w", "type": "wrapup_done", "interaction": m["interaction"]},
                  may=("ESTATE", "ENOENT"))  # (voice has a wrap-up in the example)
        await ask(ag, {"id": "x", "type": "presence", "presence": "not_ready"})
asyncio.run(main())
PY
}

# The figures both serve; equal within 5 s, or fail.
figures() {
    $py - "$1" <<'PY'
import sys, urllib.request
b = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode()
print("\n".join(sorted(l for l in b.splitlines()
                       if l.startswith(("orca_waiting{", "orca_agents{", "orca_offered{")))))
PY
}
same() {
    i=0
    while :; do
        figures "$lport" >"$tmp/fl"
        figures "$sport" >"$tmp/fs" 2>/dev/null || : >"$tmp/fs"
        if [ -s "$tmp/fl" ] && cmp -s "$tmp/fl" "$tmp/fs"; then return 0; fi
        i=$((i + 1))
        [ $i -lt 50 ] || { diff "$tmp/fl" "$tmp/fs" >&2 || true; fail "the standby differs from the leader ($1)"; }
        sleep 0.1
    done
}

traffic 1
same "after the first traffic"
waiting=$(grep -c . "$tmp/fl")
# /metrics says how the shipping goes: acknowledged by Redis, applied.
metric() {
    $py -c 'import sys, urllib.request
for l in urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode().splitlines():
    if l.startswith(sys.argv[2] + " "): print(int(l.split()[1]))' "$1" "$2"
}
acked=$(metric "$lport" 'orcad_replica_records_total{what="acked"}')
applied=$(metric "$sport" 'orcad_replica_records_total{what="applied"}')
[ "${acked:-0}" -gt 0 ] || fail "the leader's /metrics shows no record acknowledged by Redis"
[ "${applied:-0}" -gt 0 ] || fail "the standby's /metrics shows no record applied"
[ "$(metric "$sport" orcad_replica_epoch)" = 1 ] || fail "the standby does not follow epoch 1"
# Redis restarts without its data: the leader takes its epoch back, ships a
# snapshot again, and the standby, seeing records missing, starts over
# from it.
redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
wait "$helper" 2>/dev/null || true
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no >>"$tmp/redis" 2>&1 &
helper=$!
i=0
until redis-cli -p "$rport" ping >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "redis-server did not start again"; sleep 0.1
done
sleep 1                                   # (both reconnect within 500 ms)
traffic 4 1001
same "after Redis restarted empty"
grep -q "redis had lost the stream" "$tmp/out" || fail "the leader did not ship again after Redis lost the stream"

# wait_line LOG TEXT WHY: TEXT appears in LOG within 10 s, or fail.
wait_line() {
    i=0
    until grep -q "$2" "$1" 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 100 ] || fail "$3"; sleep 0.1
    done
}

# SIGKILL the leader: once its lease lapses (500 ms) the standby takes it
# and epoch 2, applies the rest of the stream and takes work. The killed
# one starts again, as the standby now, on its own data dir.
t0=$(date +%s%N)
pkill -KILL -P "$pid" 2>/dev/null || true  # orcad itself, under its timeout(1)
wait "$pid" 2>/dev/null || true
pid=
wait_line "$tmp/standby" "leader of epoch 2" "the standby did not take over after the leader's kill"
took_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
start_orcad "$tmp/out" timeout 60 "$orcad" --standby --config server/orcad.conf.example \
    --data-dir "$tmp/data" --listen "127.0.0.1:$lport" --redis "127.0.0.1:$rport/t" --run-for 55
# the roles swap: the leader is the first standby (process $spid)
x=$lport; lport=$sport; sport=$x
x=$pid; pid=$spid; spid=$x
code=$($py -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/healthz" % sys.argv[1], timeout=5).read().decode())' "$lport")
echo "$code" | grep -q '"role":"leader"' || fail "the new leader's /healthz says: $code"
code=$($py - "$sport" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
          b"Sec-WebSocket-Protocol: orca.v1\r\n\r\n")
head = b""
while b"\r\n" not in head:
    b = s.recv(4096)
    if not b:
        break
    head += b
print(head.split(b"\r\n")[0].split(b" ")[1].decode() if head else "closed")
PY
)
[ "$code" = 503 ] || fail "the standby answered a WebSocket upgrade with $code, not 503"
traffic 2
same "after the standby took over (epoch 2) and the old leader came back as the standby"

# A leader that stops (SIGSTOP: a long pause, a cut cable) loses its lease;
# the standby takes over (epoch 3). When the old one wakes up it may not
# write: its lease renewal finds another's token, and it steps down.
pkill -STOP -P "$pid"
wait_line "$tmp/out" "leader of epoch 3" "the standby did not take over from a paused leader"
pkill -CONT -P "$pid"
wait_line "$tmp/standby" "stepping down" "the paused leader did not step down when it woke up"
wait "$pid" 2>/dev/null || true
pid=$spid
spid=
lport=$sport
traffic 3
stop_orcad
! grep -q "did not apply" "$tmp/standby" "$tmp/out" || fail "a record did not apply on a standby"
redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
wait "$helper" 2>/dev/null || true
helper=
echo "orcad_standby_check: OK (redis $rport: $acked records shipped and acknowledged, $applied applied, the standby's $waiting figures equal the leader's; again after Redis restarted empty; the leader killed: the standby took over in $took_ms ms (epoch 2), refuses WebSocket upgrades with 503 before that, and is equal to the old leader restarted as the standby; a paused leader lost its lease to the standby (epoch 3) and stepped down when it woke)"
