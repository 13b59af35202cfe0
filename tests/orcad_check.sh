#!/bin/sh
# tests/orcad_check.sh: orcad from the outside, as a user runs it.
#   --help and --version; --check-config on server/orcad.conf.example (ok)
#   and on a broken file (exit 1, every error with its line); a start with a
#   new data dir and --run-for 1 (a new centre, journal written), then a
#   second start (restored from the journal), a third stopped by SIGTERM
#   (journal compacted, state consistent). Each run is bounded by
#   timeout(1).
# Usage: tests/orcad_check.sh [path/to/orcad]   (default build/server/orcad)
set -eu
cd "$(dirname "$0")/.."
. tests/orcad_lib.sh
orcad=${1:-build/server/orcad}
orcad_test_init orcad_check
t() { timeout 20 "$orcad" "$@" >"$tmp/out" 2>&1; }
has() { grep -Fq -- "$1" "$tmp/out" || fail "no '$1' in the output of: $2"; }

t --help || fail "--help"
has "--check-config FILE" --help
has "subprotocol on the same port" --help
t --version || fail "--version"
version=$(sed -n 's/^#define ORCA_VERSION_STRING "\(.*\)"$/\1/p' include/orca.h)
has "liborca $version" --version

t --check-config server/orcad.conf.example || fail "the example config is not valid"
grep -q '^ok: ' "$tmp/out" || fail "no 'ok' for the example config"

cat >"$tmp/bad.conf" <<'CONF'
skills = [ "english" ];
queues = (
  { name = "sales"; strategy = "fastest"; },
  { name = "support"; max_wiat_ms = 5; overflow = { to = "nowhere"; after_ms = 1000; }; }
);
agents = ( { id = 7; skills = { english = 200; }; } );
CONF
if t --check-config "$tmp/bad.conf"; then fail "a broken config was accepted"; fi
has "bad.conf:3: unknown strategy 'fastest'" "the broken config"
has "bad.conf:4: unknown setting 'max_wiat_ms'" "the broken config"
has "bad.conf:4: queue 'support': overflow to unknown queue 'nowhere'" "the broken config"
has "bad.conf:6: a skill level is 200" "the broken config"
printf 'queues = ( { name = "a" }\n' >"$tmp/syntax.conf"
if t --check-config "$tmp/syntax.conf"; then fail "a config with a syntax error was accepted"; fi
has "syntax.conf:2: syntax error" "the syntax error"

t --config server/orcad.conf.example --data-dir "$tmp/data" --run-for 1 || fail "first start"
has "new centre" "the first start"
has "journal compacted (ok)" "the first start"
has "state consistent" "the first start"
[ -s "$tmp/data/orca.journal" ] || fail "no journal after the first start"
t --config server/orcad.conf.example --data-dir "$tmp/data" --run-for 1 || fail "second start"
has "restored from $tmp/data/orca.journal" "the second start"
has "3 queues, 3 agents (0 ready)" "the second start"
# SIGTERM stops it cleanly (journal compacted), well before any --run-for.
start_orcad "$tmp/out" timeout 20 "$orcad" --config server/orcad.conf.example \
    --data-dir "$tmp/data" --run-for 60
stop_orcad
has "signal 15" "SIGTERM"
has "journal compacted (ok)" "SIGTERM"
has "state consistent" "SIGTERM"
echo "orcad_check: OK (help, version, example config ok, broken config: every error with its line, start, restart from the journal, SIGTERM)"
