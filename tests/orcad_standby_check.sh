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

# SIGKILL the leader; start it again on its journal: a new epoch.
pkill -KILL -P "$pid" 2>/dev/null || true  # orcad itself, under its timeout(1)
wait "$pid" 2>/dev/null || true
pid=
start_orcad "$tmp/out" timeout 60 "$orcad" --config server/orcad.conf.example \
    --data-dir "$tmp/data" --listen "127.0.0.1:$lport" --redis "127.0.0.1:$rport/t" --run-for 55
grep -q "leader of epoch 2" "$tmp/out" || fail "the restarted leader did not take epoch 2"
traffic 2
same "after the leader's restart"
# A second leader on another machine's data (here: dir) takes epoch 3: the
# standby moves to it; the first one's next append is refused by the
# epoch guard (fenced), and it steps down by itself.
bport=$(free_port)
apid=$pid
start_orcad "$tmp/out2" timeout 60 "$orcad" --config server/orcad.conf.example \
    --data-dir "$tmp/data2" --listen "127.0.0.1:$bport" --redis "127.0.0.1:$rport/t" --run-for 55
bpid=$pid
grep -q "leader of epoch 3" "$tmp/out2" || fail "the second leader did not take epoch 3"
pid=$apid
# one call on the fenced leader: its journal record is refused by Redis
timeout 10 $py - "$lport" <<'PY' >/dev/null 2>&1 || true
import asyncio, json, sys, websockets
async def main():
    async with websockets.connect("ws://127.0.0.1:%s/" % sys.argv[1], subprotocols=["orca.v1"]) as gw:
        await gw.send(json.dumps({"v": 1, "id": 1, "type": "hello", "token": "change-me-gateway-0001"}))
        await gw.send(json.dumps({"v": 1, "id": 2, "type": "enqueue", "interaction": 3000,
                                  "queue": "support", "channel": "voice"}))
        await asyncio.wait_for(gw.recv(), 5)
        await asyncio.wait_for(gw.recv(), 5)
asyncio.run(main())
PY
wait_orcad "the fenced leader did not stop cleanly"
grep -q "stepping down" "$tmp/out" || fail "the fenced leader did not step down"
pid=$bpid
lport=$bport
same "after a second leader took over (epoch 3)"
stop_orcad
kill -TERM "$spid"
wait "$spid" || { spid=; fail "the standby exited non-zero"; }
spid=
! grep -q "did not apply" "$tmp/standby" || fail "a record did not apply on the standby"
redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
wait "$helper" 2>/dev/null || true
helper=
echo "orcad_standby_check: OK (redis $rport, leader $lport, standby $sport: $acked records shipped and acknowledged, $applied applied, the standby's $waiting figures equal the leader's; again after Redis restarted empty; after kill -9 and a restart (epoch 2) equal again; a second leader (epoch 3) fenced the first off, which stepped down, and the standby follows it)"
