#!/bin/sh
# tests/orcad_http_check.sh: orcad's HTTP endpoints from the outside. Starts
# orcad on a free loopback port (--listen overrides the file) with a temp
# data dir, then with python3's urllib (on every Debian): GET /healthz
# (JSON, status ok), /metrics (Prometheus text: a few families with
# queue labels), /snapshot (valid JSON), a 404, a 405 for POST; then
# SIGTERM: a clean stop (journal compacted, state consistent); and a port
# already taken: exit 1 with the reason, no crash. Bounded by
# timeout(1) and urllib timeouts.
# Usage: tests/orcad_http_check.sh [path/to/orcad]   (default build/server/orcad)
set -eu
cd "$(dirname "$0")/.."
. tests/orcad_lib.sh
orcad=${1:-build/server/orcad}
orcad_test_init orcad_http_check

port=$(free_port)
start_orcad "$tmp/out" timeout 30 "$orcad" --config server/orcad.conf.example \
    --data-dir "$tmp/data" --listen "127.0.0.1:$port" --run-for 25
grep -q "listening on http://127.0.0.1:$port" "$tmp/out" || fail "no 'listening on' line"

$py - "$port" >"$tmp/py" 2>&1 <<'PY' || { cat "$tmp/py" >&2; fail "HTTP checks"; }
import json, sys, urllib.request, urllib.error
base = "http://127.0.0.1:%s" % sys.argv[1]
def get(path, method="GET", data=None):
    req = urllib.request.Request(base + path, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()
st, ct, body = get("/healthz")
assert st == 200 and ct.startswith("application/json"), (st, ct)
h = json.loads(body)
assert h["status"] == "ok" and h["queues"] == 3 and h["agents"] == 3, h
st, ct, body = get("/metrics")
assert st == 200 and ct.startswith("text/plain; version=0.0.4"), (st, ct)
for want in ("# TYPE orca_waiting gauge", "# TYPE orca_offers_total counter",
             'orca_waiting{queue="support"} 0', 'orca_agents{state="offline"} 3',
             'orca_service_level{queue="billing"} ', 'orca_waiting{channel="whatsapp"} 0'):
    assert want in body, want
st, ct, body = get("/snapshot")
assert st == 200 and ct.startswith("application/json"), (st, ct)
snap = json.loads(body)
assert snap["counts"]["agents"] == 3, snap["counts"]
st, _, _ = get("/nothing-here")
assert st == 404, st
st, _, _ = get("/metrics", method="POST", data=b"x")
assert st == 405, st
print("ok")
PY

stop_orcad
grep -q "journal compacted (ok)" "$tmp/out" || fail "no compaction on SIGTERM"
grep -q "state consistent" "$tmp/out" || fail "not consistent on SIGTERM"
# A port already taken: orcad says so and exits 1 (no crash, no hang).
$py - "$orcad" "$tmp" >"$tmp/out" 2>&1 <<'PY' || fail "a taken port"
import socket, subprocess, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
r = subprocess.run(["timeout", "20", sys.argv[1], "--config", "server/orcad.conf.example",
                    "--data-dir", sys.argv[2] + "/data",
                    "--listen", "127.0.0.1:%d" % s.getsockname()[1]],
                   capture_output=True, text=True)
print(r.stdout, r.stderr)
assert r.returncode == 1, r.returncode
assert "cannot listen on 127.0.0.1:" in r.stderr
PY
echo "orcad_http_check: OK (port $port: /healthz, /metrics, /snapshot, 404, 405, SIGTERM; a taken port)"
