#!/bin/sh
# scripts/check-doc-comments.sh: every public function has its own comment.
#
# Each ORCA_API declaration in the public headers must be immediately
# preceded (no blank line, no other declaration in between) by a comment
# that ends on the line above it, so that Doxygen attaches one comment to
# one function and nothing is left undocumented. A comment over a group of
# declarations documents only the first. Run by `make docs` and by CI.
#
# Usage: scripts/check-doc-comments.sh [header...]
#        (default: include/orca.h include/orca/*.h)
set -eu
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- include/orca.h include/orca/*.h
status=0
for h in "$@"; do
    # prev: the last non-continuation line before an ORCA_API line.
    awk -v file="$h" '
        /^ORCA_API[ \t]/ && $0 !~ /^ORCA_API[ \t]*$/ {
            if (prev !~ /\*\/[ \t]*$/) {
                name = $0
                sub(/\(.*/, "", name)
                n = split(name, w, /[ \t*]+/)
                printf "%s:%d: %s has no comment of its own right above it\n", file, NR, w[n]
                bad++
            }
        }
        { prev = $0 }
        END { exit bad > 0 }
    ' "$h" || status=1
done
if [ "$status" -ne 0 ]; then
    echo "check-doc-comments: document each function above (its own /* ... */, naming its error codes)" >&2
fi
exit $status
