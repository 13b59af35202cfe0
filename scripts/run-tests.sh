#!/bin/sh
# Run every test binary in a directory; print a summary; fail if any failed.
dir=${1:-build/tests}
fail=0; n=0
for t in "$dir"/test_*; do
    [ -x "$t" ] || continue
    n=$((n + 1))
    if "$t" >"$t.log" 2>&1; then
        echo "PASS $(basename "$t")"
    else
        echo "FAIL $(basename "$t") (log: $t.log)"; tail -n 30 "$t.log"; fail=$((fail + 1))
    fi
done
echo "$((n - fail))/$n test programs passed"
[ "$fail" = 0 ]
