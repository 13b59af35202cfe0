#!/bin/sh
# tests/orcad_browser_check.sh: orcad's dashboard in a real browser.
# Starts orcad on a free loopback port with a test config and a temp data
# dir, opens the dashboard in headless Chromium (Debian's chromium, driven
# by playwright-core from npm: tests/browser), drives traffic over the
# WebSocket protocol (tests/orcad_browser_traffic.py, python3-websockets),
# and checks that the page shows the numbers the engine reports (waiting
# per queue, agents by state); saves a screenshot to build/dashboard.png.
# Then SIGTERM: a clean stop. Bounded by timeout(1) everywhere.
# Needs: scripts/deps.sh chromium nodejs python3-websockets, npm, and
# network access to the npm registry for `npm ci` the first time.
# Usage: tests/orcad_browser_check.sh [path/to/orcad]  (default build/server/orcad)
set -eu
cd "$(dirname "$0")/.."
. tests/orcad_lib.sh
orcad=${1:-build/server/orcad}
[ -x /usr/bin/chromium ] || { echo "orcad_browser_check: no /usr/bin/chromium (scripts/deps.sh chromium)" >&2; exit 1; }
orcad_test_init orcad_browser_check
# On a failure both logs: orcad's and the traffic's.
fail_show() { sed 's/^/  orcad: /' "$tmp/out"; sed 's/^/  traffic: /' "$tmp/traffic"; }

# playwright-core, exactly as locked (no browser download: Debian's chromium).
if [ ! -d tests/browser/node_modules/playwright-core ]; then
    (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm ci --no-audit --no-fund >/dev/null) ||
        fail "npm ci in tests/browser"
fi

cat >"$tmp/orcad.conf" <<'CONF'
limits = { offer_timeout_ms = "never"; };
queues = ( { name = "sales"; sla_ms = 20000; wrapup_ms = 0; },
           { name = "support"; sla_ms = 20000; },
           { name = "spare"; } );
agents = ( { id = 1; queues = { sales = 0; support = 0; }; },
           { id = 2; queues = { sales = 0; }; },
           { id = 3; queues = { support = 0; }; },
           { id = 4; queues = { spare = 0; }; }, { id = 5; queues = { spare = 0; }; },
           { id = 6; queues = { spare = 0; }; }, { id = 7; queues = { spare = 0; }; },
           { id = 8; queues = { spare = 0; }; }, { id = 9; queues = { spare = 0; }; },
           { id = 10; queues = { spare = 0; }; } );
tokens = ( { token = "browser-gateway-0001"; role = "gateway"; },
           { token = "browser-agent-00001"; role = "agent"; },
           { token = "browser-super-00001"; role = "supervisor"; } );
CONF

port=$(free_port)
start_orcad "$tmp/out" timeout 120 "$orcad" --config "$tmp/orcad.conf" --data-dir "$tmp/data" \
    --listen "127.0.0.1:$port" --run-for 110
mkdir -p build
# The traffic waits a moment so that the page is open before it starts.
(sleep 2 && exec timeout 90 $py tests/orcad_browser_traffic.py "$port" "$tmp/state.json" 30) \
    >"$tmp/traffic" 2>&1 &
helper=$!
timeout 100 node tests/browser/check.mjs "$port" browser-super-00001 "$tmp/state.json" \
    build/dashboard.png || fail "the dashboard does not show the engine's numbers"
kill $helper 2>/dev/null || true
wait $helper 2>/dev/null || true
helper=
grep -q "traffic: still" "$tmp/traffic" || fail "traffic"
stop_orcad
grep -q "state consistent" "$tmp/out" || fail "not consistent on SIGTERM"
echo "orcad_browser_check: OK (port $port: page live, waiting per queue and agents by state match the engine; build/dashboard.png)"
