#!/bin/sh
# scripts/api-coverage.sh: which public functions no example uses.
#
# Lists every ORCA_API function declared in the public headers and says
# which of them appear in no examples/*.c file, then prints the count.
# The examples are where a newcomer meets the API; a function none of them
# calls is one they have to discover from the header alone. Run by CI
# (.ci/run, examples step), which fails if the count rises above its
# threshold.
#
# Usage: scripts/api-coverage.sh [--max N]
#        --max N   exit 1 if more than N functions are missing
#        Prints "api-coverage: M of T public functions in no example".
set -eu
cd "$(dirname "$0")/.."
max=
if [ "${1:-}" = "--max" ]; then
    max=${2:?--max needs a number}
fi
# the name is the first orca_* word followed by "(" on the ORCA_API line
# (the first: a parameter may itself be a pointer to a function)
names=$(awk '/^ORCA_API[ \t]/ && match($0, /orca_[A-Za-z0-9_]*[ \t]*\(/) {
            s = substr($0, RSTART, RLENGTH - 1); sub(/[ \t]+$/, "", s); print s
        }' include/orca.h include/orca/*.h | sort -u)
total=0
missing=0
for f in $names; do
    total=$((total + 1))
    # a call: the whole name followed by "(" (a name in a comment's prose
    # does not count; orca_agent_get does not count orca_agent_get_x)
    if ! grep -qE -- "(^|[^A-Za-z0-9_])$f[ \t]*\(" examples/*.c examples/*.h 2>/dev/null; then
        echo "  in no example: $f"
        missing=$((missing + 1))
    fi
done
echo "api-coverage: $missing of $total public functions in no example"
if [ -n "$max" ] && [ "$missing" -gt "$max" ]; then
    echo "api-coverage: more than $max (the threshold in .ci/run): use the new function in an example" >&2
    exit 1
fi
