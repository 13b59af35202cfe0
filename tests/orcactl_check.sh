#!/bin/sh
# tests/orcactl_check.sh: orcactl against a real orcad. Starts orcad on a
# free loopback port with the example config and a temp data dir, runs
# each orcactl command and checks its output and exit status (0 ok, 1 a
# refusal printed as "orcactl: CODE: message", 2 usage or connection),
# then stops orcad. Bounded by timeout(1) and orcactl's own --timeout.
# Usage: tests/orcactl_check.sh [orcad] [orcactl]
set -eu
cd "$(dirname "$0")/.."
. tests/orcad_lib.sh
orcad=${1:-build/server/orcad}
ctl=${2:-build/server/orcactl}
orcad_test_init orcactl_check
# On a failure the last orcactl command's output (orcad's log is $tmp/log).
fail_show() { sed 's/^/  out: /' "$tmp/o" "$tmp/e"; }

# run WANT_RC CMD...: orcactl's stdout in $tmp/o, stderr in $tmp/e
run() {
    want=$1; shift
    rc=0
    timeout 20 "$ctl" --timeout 5 "$@" >"$tmp/o" 2>"$tmp/e" || rc=$?
    [ "$rc" = "$want" ] || fail "orcactl $* exited $rc, want $want"
}
has() { grep -q -- "$1" "$tmp/$2" || fail "no '$1' in std$( [ "$2" = o ] && echo out || echo err) of the last command"; }

# Before any server: usage and connection errors are 2.
run 2
has "usage: orcactl" e
run 2 bogus
run 2 --server ws://127.0.0.1:1 status
has "cannot connect to 127.0.0.1:1" e
run 2 --server http://127.0.0.1:1 status
run 2 --server ws://127.0.0.1:1 presence 1001 maybe
run 0 --help
has "exit status" o
# A server that accepts and never answers: a timeout, exit 2, in time.
$py -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(8)
print(s.getsockname()[1], flush=True); time.sleep(15)' >"$tmp/mute" &
helper=$!
i=0
until [ -s "$tmp/mute" ]; do i=$((i + 1)); [ $i -lt 50 ] || fail "no mute server"; sleep 0.1; done
rc=0
timeout 10 "$ctl" --timeout 1 --server "ws://127.0.0.1:$(cat "$tmp/mute")" status >"$tmp/o" 2>"$tmp/e" || rc=$?
kill $helper 2>/dev/null || true
helper=
[ $rc = 2 ] || fail "a mute server: exit $rc, want 2 (timeout)"
has "timed out" e
# A server that answers the upgrade with a Sec-WebSocket-Accept not made
# from orcactl's key (a cached or confused reply): refused, exit 2.
rm -f "$tmp/liar"
$py -c 'import socket,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(8)
print(s.getsockname()[1], flush=True)
c,_=s.accept(); c.recv(4096)
c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: orca.v1\r\n\r\n")
time.sleep(5)' >"$tmp/liar" &
helper=$!
i=0
until [ -s "$tmp/liar" ]; do i=$((i + 1)); [ $i -lt 50 ] || fail "no lying server"; sleep 0.1; done
rc=0
timeout 10 "$ctl" --timeout 2 --token x --server "ws://127.0.0.1:$(cat "$tmp/liar")" queues >"$tmp/o" 2>"$tmp/e" || rc=$?
kill $helper 2>/dev/null || true
helper=
[ $rc = 2 ] || fail "a wrong Sec-WebSocket-Accept: exit $rc, want 2"
has "wrong Sec-WebSocket-Accept" e

port=$(free_port)
start_orcad "$tmp/log" timeout 60 "$orcad" --config server/orcad.conf.example \
    --data-dir "$tmp/data" --listen "127.0.0.1:$port" --run-for 55
export ORCA_SERVER="ws://127.0.0.1:$port"
unset ORCA_TOKEN || true
sup=change-me-supervisor-01 adm=change-me-admin-000001 gw=change-me-gateway-0001

run 0 status
has "orcad 0.1.0" o
has "queues 3, agents 3, waiting 0" o
run 0 --token $sup status
has "agents ready 0, not_ready 0, offline 3" o
run 0 --json status
has '"queues":3' o

run 0 --token $sup queues
has "^support  *0  *0  *3 " o
has "^spanish  *0  *0  *1 " o
run 0 --json --token $adm queues
has '"name":"billing"' o
# A list of servers: the first that accepts a WebSocket is used (a dead
# port is passed over), from --server and from ORCA_SERVER alike; none
# that does is a connection error (2), and a bad entry a usage error.
dead=$(free_port)
run 0 --token $sup --server "ws://127.0.0.1:$dead,ws://127.0.0.1:$port" queues
has "^support  *0  *0  *3 " o
ORCA_SERVER="ws://127.0.0.1:$dead,127.0.0.1:$port" run 0 --token $sup agents
has "^1001  *offline " o
run 2 --token $sup --server "ws://127.0.0.1:$dead,ws://127.0.0.1:1" queues
has "no server in" e
run 2 --server "ws://127.0.0.1:$dead,,ws://127.0.0.1:$port" queues
has "an empty or overlong entry" e
run 0 --token $adm agents
has "^1001  *offline " o

# presence: ok, then an unknown agent and a bad name from the server side
ORCA_TOKEN=$adm run 0 presence 1002 not_ready 7
has "^ok" o
run 0 --token $sup agents
has "^1002  *not_ready  *7 " o
run 1 --token $adm presence 99 ready
has "orcactl: ENOENT: " e

# a call waits (nobody ready), its position; a gateway may not list agents
run 0 --token $gw raw '{"type":"enqueue","interaction":77,"queue":"billing","channel":"voice"}'
has '"ok":true' o
run 0 --token $gw position 77
has "position: 1" o
has "waiting: 1" o
run 0 --token $sup status
has "waiting 1" o
run 1 --token $gw agents
has "orcactl: EPERM: " e
run 1 --token $gw position 78
has "orcactl: ENOENT: " e
run 1 --token $gw raw '{"type":"nonesuch"}'
has "orcactl: EPROTO: " e
run 2 --token $gw raw '[1]'

# token scopes over the socket: a chat-only gateway, an agent token bound to 1003
run 1 --token change-me-chat-gw-0001 raw '{"type":"enqueue","interaction":78,"queue":"support","channel":"voice"}'
has "orcactl: EPERM: " e
run 1 --token change-me-chat-gw-0001 position 77
has "orcactl: EPERM: " e
run 1 --token change-me-agent-1003-01 raw '{"type":"login","agent":1001}'
has "orcactl: EPERM: " e
run 0 --token change-me-agent-1003-01 raw '{"type":"login","agent":1003}'
# callback (virtual hold) and a transfer of work that is not answered
run 0 --token $gw raw '{"type":"callback","interaction":77,"channel":"callback"}'
run 1 --token $gw raw '{"type":"transfer","interaction":77,"to":{"interaction":79,"queue":"support","channel":"voice"},"mode":"blind"}'
has "orcactl: ESTATE: " e
run 0 --json --token $sup position 77
has '"position":1' o

# a wrong token, no token
run 1 --token wrong-token-0000000 queues
has "orcactl: EAUTH: unknown token" e
run 2 queues
has "no token" e

# admin messages: the reply or the error (compact/reload may not be in
# this orcad yet: then EPROTO, unknown message type); never exit 2
for m in compact reload; do
    rc=0
    timeout 20 "$ctl" --timeout 5 --token $adm $m >"$tmp/o" 2>"$tmp/e" || rc=$?
    [ $rc = 0 ] || { [ $rc = 1 ] && grep -q "^orcactl: E[A-Z]*: " "$tmp/e"; } ||
        fail "orcactl $m exited $rc"
done
run 1 --token $sup compact
has "orcactl: EP" e

stop_orcad
echo "orcactl_check: OK (port $port: status, queues, agents, position, presence, raw, reload, compact, --json, token scopes, callback, transfer, EAUTH, EPERM, ENOENT, usage, connection and timeout errors, a wrong handshake accept refused, a list of servers with a dead one first)"
