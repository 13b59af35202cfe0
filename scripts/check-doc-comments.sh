#!/bin/sh
# scripts/check-doc-comments.sh: every public function has its own comment.
#
# Each ORCA_API declaration in the public headers must be immediately
# preceded (no blank line, no other declaration in between) by a comment
# that ends on the line above it, so that Doxygen attaches one comment to
# one function and nothing is left undocumented. A comment over a group of
# declarations documents only the first. The comment of a function that
# returns int (0 or an ORCA_E* code) must name its error codes (at least
# one ORCA_E*). Run by `make docs` and by CI.
#
# Usage: scripts/check-doc-comments.sh [header...]
#        (default: include/orca.h include/orca/*.h)
set -eu
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- include/orca.h include/orca/*.h
status=0
for h in "$@"; do
    awk -v file="$h" '
        function fname(s,   w, n) {
            sub(/\(.*/, "", s)
            n = split(s, w, /[ \t*]+/)
            return w[n]
        }
        # collect each comment that starts a line; remember where it ended
        !incomment && /^[ \t]*\/\*/ { incomment = 1; text = "" }
        incomment {
            text = text $0 "\n"
            if (index($0, "*/")) { incomment = 0; comment = text; cend = NR }
            next
        }
        /^ORCA_API[ \t]/ {
            if (cend != NR - 1) {
                printf "%s:%d: %s has no comment of its own right above it\n", file, NR, fname($0)
                bad++
            } else if ($0 ~ /^ORCA_API[ \t]+int[ \t]/ && comment !~ /ORCA_E[A-Z]/) {
                printf "%s:%d: the comment of %s names no error code (ORCA_E*)\n", file, NR, fname($0)
                bad++
            }
        }
        END { exit bad > 0 }
    ' "$h" || status=1
done
if [ "$status" -ne 0 ]; then
    echo "check-doc-comments: document each function above (its own /* ... */ right above it, naming its error codes)" >&2
fi
exit $status
