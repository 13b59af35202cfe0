# tests/orcad_lib.sh: the shell helpers every orcad test script needs,
# kept in one place so that a fix (a longer start wait, a cleaner trap)
# reaches them all. Sourced, not run: POSIX sh, safe under `set -eu`.
#   set -eu
#   cd "$(dirname "$0")/.."
#   . tests/orcad_lib.sh
#   orcad_test_init orcad_ws_check        # $py, $tmp, $pid, the trap, fail()
#   port=$(free_port)
#   start_orcad "$tmp/out" timeout 60 "$orcad" --config ... --listen "127.0.0.1:$port"
#   ...
#   stop_orcad                             # SIGTERM, and it must exit 0
# Names the helpers use for themselves start with orcad_lib_ so that they
# do not clobber the scripts' own variables (POSIX sh has no `local`).

# orcad_test_init NAME: the script's name for its messages ("NAME: FAIL:
# ..."), the Python to use ($py), a fresh temp dir ($tmp) and a trap that
# stops what the script started and removes $tmp however the script ends.
orcad_test_init() {
    orcad_test=$1
    # Debian's interpreter: python3-websockets is installed for it (a
    # python3 earlier in PATH, pyenv for example, may not have it).
    py=/usr/bin/python3
    [ -x $py ] || py=python3
    # Named after the script (orcad_ws_check: orcad-ws.XXXXXX) so that a
    # leftover one says where it came from.
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/$(echo "${orcad_test%_check}" | tr _ -).XXXXXX")
    # $pid: orcad (its timeout(1) wrapper, which passes signals on) while it
    # runs; $helper: another background process of the script, if any.
    pid="" helper=""
    trap orcad_lib_cleanup EXIT
}

# The EXIT trap: nothing in it may fail (under set -e a failing command
# here would change the script's exit status).
orcad_lib_cleanup() {
    if [ -n "$helper" ]; then kill "$helper" 2>/dev/null || true; fi
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}

# fail MESSAGE: say what failed, show what the script logged (fail_show),
# exit 1. Always 1: a missing log file must not turn it into sed's 2.
fail() {
    echo "$orcad_test: FAIL: $*" >&2
    fail_show >&2 2>/dev/null || true
    exit 1
}

# What fail shows: orcad's log, indented. A script whose useful output is
# elsewhere defines its own fail_show after orcad_test_init.
fail_show() { sed 's/^/  /' "$tmp/out"; }

# free_port: a free loopback TCP port. Bind port 0, read it, let it go (a
# race with another program taking it in between is possible but harmless:
# orcad then fails to listen and the check says so).
free_port() {
    $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_orcad LOG CMD...: run CMD (orcad under timeout(1), with its
# arguments) in the background with its output in LOG, set $pid, and wait
# for it to say "running" (wait_running).
start_orcad() {
    orcad_lib_log=$1; shift
    # A LOG left by an earlier run goes first: its "running" line must not
    # be read as this one's before the background shell has truncated it.
    rm -f "$orcad_lib_log"
    "$@" >"$orcad_lib_log" 2>&1 &
    pid=$!
    wait_running "$orcad_lib_log"
}

# wait_running LOG [TENTHS [WHAT]]: wait until orcad ($pid) writes
# "running" to LOG, at most TENTHS tenths of a second (100: 10 s), failing
# at once if it exits first. WHAT, if given, goes in the messages:
# "orcad did not start (WHAT)".
wait_running() {
    orcad_lib_what=${3:+ ($3)}
    orcad_lib_i=0
    until grep -q "running" "$1" 2>/dev/null; do
        orcad_lib_i=$((orcad_lib_i + 1))
        [ $orcad_lib_i -lt "${2:-100}" ] || fail "orcad did not start$orcad_lib_what"
        kill -0 "$pid" 2>/dev/null || fail "orcad exited$orcad_lib_what"
        sleep 0.1
    done
}

# wait_orcad MESSAGE: wait for orcad ($pid) to exit; fail with MESSAGE
# unless it exits 0. $pid is cleared once it has exited, so that the trap
# never kills a process id that may have been reused.
wait_orcad() {
    wait "$pid" || { pid=; fail "$1"; }
    pid=
}

# stop_orcad [MESSAGE]: SIGTERM, and orcad must stop by itself with exit
# status 0 (a clean stop).
stop_orcad() {
    kill -TERM "$pid"
    wait_orcad "${1:-orcad exited non-zero after SIGTERM}"
}
