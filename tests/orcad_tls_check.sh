#!/bin/sh
# tests/orcad_tls_check.sh: orcad's optional TLS listener from the outside.
# Makes a self-signed certificate for 127.0.0.1 with openssl, adds a tls
# block to a copy of the example config (paths relative to the file's
# folder), and checks: --check-config reports a missing key file at its
# line; orcad serves /healthz over https (curl --cacert) and the WebSocket
# protocol over wss:// (tests/orcad_tls_check.py) on the TLS port while
# plain HTTP goes on on the other one; SIGTERM stops it cleanly. Bounded
# by timeout(1) and the clients' own timeouts.
# Usage: tests/orcad_tls_check.sh [path/to/orcad]   (default build/server/orcad)
set -eu
cd "$(dirname "$0")/.."
. tests/orcad_lib.sh
orcad=${1:-build/server/orcad}
orcad_test_init orcad_tls_check

mkdir "$tmp/tls"
timeout 30 openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$tmp/tls/key.pem" -out "$tmp/tls/cert.pem" \
    >"$tmp/openssl" 2>&1 || { cat "$tmp/openssl" >&2; fail "openssl could not make a certificate"; }
port=$(free_port)
tport=$(free_port)
[ "$port" != "$tport" ] || tport=$(free_port)

# A missing key: refused at its line, before anything starts.
{ cat server/orcad.conf.example
  printf 'tls = {\n  listen = [ "127.0.0.1:%s" ];\n  cert = "tls/cert.pem";\n  key = "tls/nokey.pem";\n};\n' "$tport"
} >"$tmp/bad.conf"
line=$(grep -n 'nokey.pem' "$tmp/bad.conf" | cut -d: -f1)
if "$orcad" --check-config "$tmp/bad.conf" >"$tmp/out" 2>&1; then fail "a missing key file was accepted"; fi
grep -q "^$tmp/bad.conf:$line: tls key '$tmp/tls/nokey.pem': No such file or directory" "$tmp/out" ||
    fail "the missing key file is not reported at line $line"

{ cat server/orcad.conf.example
  printf 'tls = {\n  listen = [ "127.0.0.1:%s" ];\n  cert = "tls/cert.pem";\n  key = "tls/key.pem";\n};\n' "$tport"
} >"$tmp/orcad.conf"
start_orcad "$tmp/out" timeout 60 "$orcad" --config "$tmp/orcad.conf" --data-dir "$tmp/data" \
    --listen "127.0.0.1:$port" --run-for 55
grep -q "listening on https://127.0.0.1:$tport" "$tmp/out" || fail "no TLS listener in the log"
body=$(timeout 10 curl -sS --fail --cacert "$tmp/tls/cert.pem" "https://127.0.0.1:$tport/healthz" 2>"$tmp/curl") ||
    { cat "$tmp/curl" >&2; fail "https /healthz"; }
echo "$body" | grep -q '"status"' || fail "https /healthz said: $body"
# Not TLS on the plain port, and the plain port still plain.
timeout 10 curl -sS --fail "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 || fail "plain /healthz"
if timeout 10 curl -sS --fail "http://127.0.0.1:$tport/healthz" >/dev/null 2>&1; then
    fail "the TLS port answered plain HTTP"
fi
timeout 30 $py tests/orcad_tls_check.py "$tport" "$tmp/tls/cert.pem" >"$tmp/py" 2>&1 ||
    { cat "$tmp/py" >&2; fail "wss:// checks"; }
stop_orcad
grep -q "state consistent" "$tmp/out" || fail "not consistent on SIGTERM"
echo "orcad_tls_check: OK (https $tport: /healthz with the certificate verified, wss:// hello and queues; plain $port; a missing key file at its line)"
