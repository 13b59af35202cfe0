#!/bin/sh
# scripts/doc-filter.sh: Doxygen's INPUT_FILTER for orca's public headers.
#
# The headers use plain C comments (libuv/redis style); Doxygen reads only
# /** ... */. This turns, line for line (so Doxygen's line numbers stay
# right), without touching the headers:
#   - the first comment of the file into the file's own doc (@file);
#   - a comment starting a line into a doc comment for what follows;
#   - a comment after code on the same line (struct members, enum values,
#     #defines) into a trailing doc comment (/**<) for that code;
#   - a section banner (rule, title, rule) into a Doxygen member group
#     named after the title, so the reference keeps the header's sections.
# Conditionals (#if, #endif, ...) are left alone, and so is a comment right
# above one (it explains the conditional, not the next declaration).
# Usage (by Doxygen): scripts/doc-filter.sh <header>
exec awk '
function banner(s) { return s ~ /^\/\* -+ \*\/[ \t]*$/ }
function cond(s) { return s ~ /^[ \t]*#[ \t]*(if|ifdef|ifndef|else|elif|endif)/ }
# A converted leading comment is held (plain and converted) until the line
# after it shows whether it documents a declaration or a conditional.
function flush(plain) {
    if (nheld) printf "%s", (plain ? heldplain : held)
    nheld = 0; held = ""; heldplain = ""
}
function hold(conv, orig) { held = held conv "\n"; heldplain = heldplain orig "\n"; nheld++ }
{
    line = $0
    if (incomment) {
        if (index(line, "*/")) incomment = 0
        if (nheld) hold(line, line); else print line
        next
    }
    if (nheld) flush(cond(line))
    # section banners: rule / title / rule
    if (state == 0 && banner(line)) { state = 1; print ""; next }
    if (state == 1) {
        if (match(line, /^\/\* .*\*\/[ \t]*$/)) {
            title = line
            sub(/^\/\* +/, "", title); sub(/ *\*\/[ \t]*$/, "", title)
            state = 2; print ""; next
        }
        state = 0
    }
    if (state == 2 && banner(line)) {
        state = 0
        printf "%s/** @name %s */ /** @{ */\n", (group ? "/** @} */ " : ""), title
        group = 1
        next
    }
    state = 0
    if (cond(line)) { print line; next }
    orig = line; lead = 0
    if (!seenfirst && line ~ /^\/\*[ \t]*$/) {
        seenfirst = 1
        line = "/** @file"
    } else if (match(line, /^[ \t]*\/\*/) && substr(line, RSTART + RLENGTH, 1) !~ /[*!]/) {
        line = substr(line, 1, RSTART + RLENGTH - 1) "*" substr(line, RSTART + RLENGTH)
        lead = 1
    } else if (match(line, /\/\*/) && substr(line, RSTART + 2, 1) !~ /[*!]/) {
        line = substr(line, 1, RSTART + 1) "*<" substr(line, RSTART + 2)
    }
    if (line ~ /^[ \t]*[^ \t]/) seenfirst = 1
    # a comment opened on this line and not closed on it
    o = 0; t = line
    while ((p = index(t, "/*")) > 0) {
        rest = substr(t, p + 2)
        q = index(rest, "*/")
        if (q == 0) { o = 1; break }
        t = substr(rest, q + 2)
    }
    incomment = o
    if (lead) hold(line, orig); else print line
}
END { flush(0); if (group) print "/** @} */" }
' "$1"
