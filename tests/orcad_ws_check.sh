#!/bin/sh
# tests/orcad_ws_check.sh: orcad's WebSocket transport from the outside.
# Starts orcad on a free loopback port with the example config and a temp
# data dir, runs tests/orcad_ws_check.py against it (Debian's python3 with
# python3-websockets: a gateway, two agents, a supervisor, bad messages, a
# wrong token, a client that never reads), then SIGTERM: a clean stop.
# First, on the fresh centre (agent 1001 logged in nowhere, nothing
# waiting in support), the README's Python example ("Connect an agent and
# a gateway (WebSocket)") runs verbatim but for its port: it must exit 0
# with 7 ok replies and one offer, so the README's example keeps working.
# Bounded by timeout(1) and the client's own timeouts.
# Usage: tests/orcad_ws_check.sh [path/to/orcad]   (default build/server/orcad)
set -eu
cd "$(dirname "$0")/.."
. tests/orcad_lib.sh
orcad=${1:-build/server/orcad}
orcad_test_init orcad_ws_check

port=$(free_port)
start_orcad "$tmp/out" timeout 60 "$orcad" --config server/orcad.conf.example \
    --data-dir "$tmp/data" --listen "127.0.0.1:$port" --run-for 55

# The README's example: the first ```python block after its heading, with
# only the example config's port 7878 replaced by this orcad's.
awk '/^### Connect an agent and a gateway \(WebSocket\)/ { under = 1 }
     under && /^```python/ { code = 1; next }
     code && /^```/ { exit }
     code' README.md >"$tmp/readme.py"
grep -q "127.0.0.1:7878/" "$tmp/readme.py" || fail "no README example with ws://127.0.0.1:7878/"
sed -i "s|127\.0\.0\.1:7878/|127.0.0.1:$port/|" "$tmp/readme.py"
timeout 20 $py "$tmp/readme.py" >"$tmp/readme" 2>&1 ||
    { cat "$tmp/readme" >&2; fail "the README's Python example did not exit 0 in 20 s"; }
[ "$(grep -c "'ok': True" "$tmp/readme")" = 7 ] && [ "$(grep -c "'type': 'offer'" "$tmp/readme")" = 1 ] ||
    { cat "$tmp/readme" >&2; fail "the README's Python example: not 7 ok replies and one offer"; }
# It leaves agent 1001 in wrap-up (voice: 30 s) with interaction 100 live,
# which the checks below need: wrap it up now.
$py - "$port" >"$tmp/py" 2>&1 <<'PY' || { cat "$tmp/py" >&2; fail "wrapping up the README's call"; }
import asyncio, json, sys, websockets
async def main():
    async with websockets.connect("ws://127.0.0.1:%s/" % sys.argv[1], subprotocols=["orca.v1"]) as ag:
        for n, msg in enumerate(({"type": "hello", "token": "change-me-desktops-0001"},
                                 {"type": "login", "agent": 1001},
                                 {"type": "wrapup_done", "interaction": 100})):
            await ag.send(json.dumps(dict(msg, v=1, id=n)))
            while True:
                r = json.loads(await asyncio.wait_for(ag.recv(), 5))
                if r.get("id") == n:
                    break
            assert r["ok"] is True, r
asyncio.run(main())
PY
timeout 50 $py tests/orcad_ws_check.py "$port" >"$tmp/py" 2>&1 ||
    { cat "$tmp/py" >&2; fail "WebSocket checks"; }
i=0
until grep -q "bytes unsent (bound 1048576) is disconnected" "$tmp/out"; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "a client that never reads was not disconnected"
    sleep 0.1
done
# /metrics times orcad's own part: every turn that handled requests.
turns=$($py -c 'import sys, urllib.request
for l in urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode().splitlines():
    if l.startswith("orcad_turn_seconds_count "): print(int(l.split()[1]))' "$port")
[ "${turns:-0}" -gt 10 ] || fail "orcad_turn_seconds_count is '${turns:-}' after the checks"
stop_orcad
grep -q "state consistent" "$tmp/out" || fail "not consistent on SIGTERM"
echo "orcad_ws_check: OK (port $port: the README's Python example, $turns turns timed in /metrics, hello, EAUTH, EPROTO, ETOOBIG, EPERM, offer push, accept, end, withdraw, disconnect rule, subscribe events and figures, backpressure (60,000 requests from a slow reader, all answered in order), output bound, SIGTERM)"
