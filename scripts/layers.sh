#!/bin/sh
# scripts/layers.sh: calls in src/ run one way, from a layer to the same
# layer or one below it (docs/DESIGN.md, "Layers").
#
# Reads the symbols of the library's object files (nm): every defined
# function or datum (T, D, B, R...) belongs to the file that defines it, and
# every undefined one (U) a file uses is a call or reference to that file.
# A reference from a file to a file in a layer above it (a smaller number)
# is an upward call. The known ones are listed in scripts/layers.allowed,
# one "caller.c callee.c symbol" a line: a ratchet. The check fails
#   - on an upward call not in that list (a new one: fix the call, not the
#     list), and
#   - on a line of the list that no longer happens (it was fixed: remove
#     the line, so the list only shrinks),
#   - on a src/*.c file missing from the table below (give it a layer).
# Prints one summary line: how many upward calls are left, by pair.
#
# Usage: scripts/layers.sh [OBJDIR]     (default build/obj; make layers)
#        scripts/layers.sh --list [OBJDIR]   print every upward call found
set -eu
cd "$(dirname "$0")/.."
list=0
if [ "${1:-}" = "--list" ]; then
    list=1
    shift
fi
obj=${1:-build/obj}
allowed=scripts/layers.allowed

# The layers. Each src/*.c file, its layer, and why there (no single
# quotes in the table: it is a shell string).
#   0  adapters over the public API (their own library)
#   1  the public API: argument checks, journaling, entering and leaving
#      a call, whole-engine lifetime, and readers built on the public API
#   2  the domain: agents, queues, interactions, customers, held work, hours
#   3  the routing core: classes, plans, router, timers, the event record
#   4  data structures: heap, map, names, codec, memory
table='
uv.c         0  # liborca-uv: calls only the exported API
api.c        1  # entering and leaving a public call, deferred offers
engine.c     1  # create/free, counts, dump, the invariant checker
clock.c      1  # orca_engine_advance: fires what fell due, journals it
api_skills.c 1  # the public calls of skills.c, journaled
api_channels.c 1 # the public calls of channels.c, journaled
api_agents.c 1   # the public calls of agents.c, journaled
api_customers.c 1 # the public call of customers.c, journaled
api_interactions.c 1 # the public calls of interactions.c, journaled
api_enqueue.c 1  # the public calls of enqueue.c, journaled
api_queues.c 1   # the public calls of queues.c and hours.c, journaled
errors.c     1  # orca_version, error and event names: public, call nothing
journal.c    1  # journaling every state-changing call, replay
snapshot.c   1  # the whole state as bytes, for the journal compaction
listings.c   1  # public reads over the domain indexes
stats.c      1  # orca_stats: a listener on the public events
json.c       1  # the figures and state as JSON, over stats and the API
staffing.c   1  # Erlang formulas: public and pure (they call nothing)
agents.c     2
channels.c   2
skills.c     2
queues.c     2
hours.c      2  # opening hours of a queue
interactions.c 2
enqueue.c    2  # work coming into queues, new legs of a contact
customers.c  2
targets.c    2  # held work: work held for one agent
classes.c    3  # requirement sets, classes and plans
router.c     3
timers.c     3
work.c       3  # the work list and capacity of an agent: the offer attaches
held.c       3  # what the router reads of work held for an agent
events.c     3  # the event record, listeners, offer notifications: what
                # routing produces (the flush is in api.c)
heap.c       4
map.c        4
strtab.c     4  # names
codec.c      4  # the byte encoding of journal and snapshot
util.c       4  # memory, names, random numbers
btree.c      4
otree.c      4
hist.c       4  # the histogram behind stats
jfile.c      4  # the journal file: open, lock, recognise
'

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
printf '%s\n' "$table" | sed 's/#.*//' | awk 'NF == 2 { print $1, $2 }' >"$tmp/table"

fail=0
for src in src/*.c; do
    f=${src#src/}
    if ! grep -q "^$f " "$tmp/table"; then
        echo "layers: $src has no layer in scripts/layers.sh's table" >&2
        fail=1
    fi
    o="$obj/${f%.c}.o"
    if [ ! -f "$o" ]; then
        echo "layers: $o is missing (make lib first)" >&2
        exit 2
    fi
    nm -P "$o" | awk -v f="$f" '
        $2 ~ /^[TDBRCGSV]$/ { print "D", f, $1 }
        $2 == "U"           { print "U", f, $1 }'
done >"$tmp/syms"

# every upward reference: caller callee symbol
awk 'FILENAME == ARGV[1] { layer[$1] = $2; next }
     $1 == "D" { def[$3] = $2; next }
     $1 == "U" { use[++n] = $2 " " $3 }
     END {
        for (k = 1; k <= n; k++) {
            split(use[k], a, " ")
            if (!(a[2] in def)) continue        # libc, xxhash, libuv
            callee = def[a[2]]
            if (layer[callee] < layer[a[1]])
                print a[1], callee, a[2]
        }
     }' "$tmp/table" "$tmp/syms" | sort -u >"$tmp/found"

if [ "$list" = 1 ]; then
    cat "$tmp/found"
    exit 0
fi

sed 's/#.*//' "$allowed" | awk 'NF == 3 { print $1, $2, $3 }' | sort -u >"$tmp/allowed"
comm -23 "$tmp/found" "$tmp/allowed" >"$tmp/new"
comm -13 "$tmp/found" "$tmp/allowed" >"$tmp/gone"
if [ -s "$tmp/new" ]; then
    echo "layers: new upward calls (a layer calls one above it; see docs/DESIGN.md, Layers):" >&2
    sed 's/^/  /' "$tmp/new" >&2
    fail=1
fi
if [ -s "$tmp/gone" ]; then
    echo "layers: fixed, remove these lines from $allowed:" >&2
    sed 's/^/  /' "$tmp/gone" >&2
    fail=1
fi
n=$(wc -l <"$tmp/found" | tr -d ' ')
pairs=$(awk '{ print $1 "->" $2 }' "$tmp/found" | sort | uniq -c |
        awk '{ printf "%s%s %d", sep, $2, $1; sep = ", " }')
echo "layers: $n upward calls left${pairs:+ ($pairs)}"
exit $fail
