#!/bin/sh
# tests/orcad_group_check.sh: group commit (server.sync = "every") from the
# outside. orcad runs under strace with the example config switched to
# sync = "every"; a gateway and an agent take 30 calls through it one step
# at a time (enqueue, the offer, accept, end: each waits for the last
# reply, so nothing else is in flight), and the trace must show that no
# WebSocket message left orcad while the journal held a write not yet
# fdatasync'ed: every reply and push is sent only once the changes behind
# it are on disk. The same check on sync = "interval" must find such
# messages (else it proves nothing), and its syncs must come from libuv's
# thread pool, never from the loop's thread.
# Bounded by timeout(1) and the client's own timeouts.
# Usage: tests/orcad_group_check.sh [path/to/orcad]   (default build/server/orcad)
set -eu
cd "$(dirname "$0")/.."
. tests/orcad_lib.sh
orcad=${1:-build/server/orcad}
command -v strace >/dev/null || { echo "orcad_group_check: strace is missing (apt-get install strace)" >&2; exit 1; }
orcad_test_init orcad_group_check

# One run under strace with the given sync policy; prints the checker's verdict.
# It runs in $(...), a subshell, which does not inherit the EXIT trap: its
# own stops its orcad if it fails (the main shell's removes $tmp), and the
# caller exits 1 when it does.
run() {
    trap 'if [ -n "$pid" ]; then kill $pid 2>/dev/null || true; fi' EXIT
    sed -e "s/^  sync = \"interval\";/  sync = \"$1\";/" \
        -e "s/^  sync_interval_ms = 1000;/  sync_interval_ms = 100;/" server/orcad.conf.example >"$tmp/$1.conf"
    grep -q "sync = \"$1\";" "$tmp/$1.conf" || fail "could not set sync = $1"
    port=$(free_port)
    rm -rf "$tmp/data" "$tmp/out"
    # strace -f slows its start: up to 20 s to say "running". (Under
    # ASan, LeakSanitizer cannot run under ptrace: leaks are the other
    # checks' business here.)
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    timeout 90 strace -f -qq -e trace=openat,write,fdatasync,sendto -s 64 -o "$tmp/$1.trace" \
        "$orcad" --config "$tmp/$1.conf" --data-dir "$tmp/data" --listen "127.0.0.1:$port" \
        --run-for 80 >"$tmp/out" 2>&1 &
    pid=$!
    wait_running "$tmp/out" 200 "$1"
    timeout 70 $py - "$port" >"$tmp/py" 2>&1 <<'PY' || { cat "$tmp/py" >&2; fail "traffic under sync = $1"; }
import asyncio, json, sys, websockets
URL = "ws://127.0.0.1:%s/" % sys.argv[1]
async def ask(ws, msg):
    await ws.send(json.dumps(dict(msg, v=1)))
    while True:
        r = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if r.get("id") == msg["id"]:
            assert r["ok"], r
            return r
async def main():
    async with websockets.connect(URL, subprotocols=["orca.v1"]) as gw, \
               websockets.connect(URL, subprotocols=["orca.v1"]) as ag:
        await ask(gw, {"id": "h", "type": "hello", "token": "change-me-gateway-0001"})
        await ask(ag, {"id": "h", "type": "hello", "token": "change-me-desktops-0001"})
        await ask(ag, {"id": "l", "type": "login", "agent": 1001})
        await ask(ag, {"id": "r", "type": "presence", "presence": "ready"})
        for k in range(30):
            await ask(gw, {"id": "e%d" % k, "type": "enqueue", "interaction": 500 + k,
                           "queue": "support", "channel": "chat"})
            while json.loads(await asyncio.wait_for(ag.recv(), 10)).get("type") != "offer":
                pass
            await ask(ag, {"id": "a%d" % k, "type": "accept", "interaction": 500 + k})
            await ask(ag, {"id": "n%d" % k, "type": "end", "interaction": 500 + k})
        await asyncio.sleep(0.35)  # a few sync intervals (100 ms in this test)
asyncio.run(main())
PY
    stop_orcad "orcad exited non-zero ($1)"
    # A journal write makes the journal dirty, its fdatasync clean; a
    # reply (a frame with "ok":) sent while it is dirty is an
    # acknowledgement ahead of the disk. (Replies, not pushes: a push
    # released with its batch may go out after a later request's records
    # were written; a reply goes first in its batch, and the traffic waits
    # for each one, so nothing newer can be written before it leaves.)
    $py - "$tmp/$1.trace" <<'PY'
import re, sys
jfds, dirty, early, sent, syncs = set(), False, 0, 0, 0
main, main_syncs, pool_syncs, serving, stopping = None, 0, 0, False, False
for line in open(sys.argv[1], errors="replace"):
    tid = int(line.split()[0])
    main = main or tid
    if "--- SIGTERM" in line:
        stopping = True
    serving = serving or "sendto(" in line  # (the journal's creation came before)
    if "fdatasync(" in line and serving and not stopping:
        if tid == main:
            main_syncs += 1
        else:
            pool_syncs += 1
    m = re.search(r'openat\(AT_FDCWD, "[^"]*orca\.journal(\.compact)?", .*\) = (\d+)', line)
    if m:
        jfds.add(int(m.group(2)))
        continue
    m = re.search(r'(write|fdatasync|sendto)\((\d+)', line)
    if not m:
        continue
    call, fd = m.group(1), int(m.group(2))
    if call == "write" and fd in jfds:
        dirty = True
    elif call == "fdatasync" and fd in jfds:
        dirty, syncs = False, syncs + 1
    elif call == "sendto" and '\\"ok\\":' in line:  # strace writes " as \\"
        sent += 1
        early += dirty
print(sent, early, syncs, main_syncs, pool_syncs)
PY
}

verdict=$(run every) || exit 1
set -- $verdict
[ "$1" -ge 94 ] || fail "only $1 replies seen under sync = every"
[ "$2" -eq 0 ] || fail "sync = every: $2 of $1 messages were sent before the journal was synced"
every="$1 replies, $3 syncs"
verdict=$(run interval) || exit 1
set -- $verdict
[ "$2" -gt 0 ] || fail "sync = interval: no message sent ahead of a sync: the check cannot see one"
# The interval's syncs run in libuv's thread pool: the loop's thread
# (the first in the trace) never waits for the disk while it serves.
[ "$4" -eq 0 ] || fail "sync = interval: $4 fdatasync calls on the loop's thread"
[ "$5" -gt 0 ] || fail "sync = interval: no fdatasync from the thread pool"
echo "orcad_group_check: OK (sync = every: $every, none sent before its sync; sync = interval: $2 of $1 sent ahead of the disk, as that policy allows, $5 syncs in the thread pool and none on the loop)"
