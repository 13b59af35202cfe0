#!/bin/sh
# release_proto.sh BIN OUT: the release-structure comparison behind
# docs/DESIGN.md "Release structures measured" (run by `make release-proto`).
#
# 1. --verify on both workloads: (a2), (b) at K = 4, 16, 64 and (c) must choose
#    what (a) chooses on every decision (fails the target otherwise);
# 2. wall time per decision (CLOCK_MONOTONIC, median and p99) for each
#    method on the Zipf and adversarial centres (10k agents x 100k waiting);
# 3. the same decisions under callgrind with its cache simulation (the
#    cachegrind simulator; perf counters are not available on these
#    machines): instructions, L1 and LL misses per measured release and per
#    arrival, counted in measured_release / measured_arrival only.
# OUT gets one row per (workload, method, K).
set -eu
BIN=$1
OUT=$2
CALLS=${RP_CALLS:-200000}       # timed decisions per run
CG_CALLS=${RP_CG_CALLS:-20000}  # decisions counted under callgrind
VERIFY_CALLS=${RP_VERIFY_CALLS:-10000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$BIN" --workload zipf --calls "$VERIFY_CALLS" --verify
"$BIN" --workload adversarial --calls "$VERIFY_CALLS" --verify

echo "workload,method,k,agents,waiting,classes_live,calls,release_median_ns,release_p99_ns,arrival_median_ns,arrival_p99_ns,probes_per_walk,probe_channel_miss_pct,fallback_pct,signatures,signature_updates_per_head_change,elig_bytes_per_agent,links_per_agent,link_bytes_per_agent,cg_calls,release_instr,release_l1_miss,release_ll_miss,arrival_instr,arrival_l1_miss,arrival_ll_miss" >"$OUT"

# cg_sum FILE FUNCTION CALLS: "instr,l1,ll" per call of FUNCTION (inclusive)
cg_sum() {
    callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null | awk -v f=":$2 " -v n="$3" '
        index($0, f) && !done {
            # Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw, each followed by (pct)
            k = 0
            for (i = 1; i <= NF && k < 9; i++) {
                if ($i ~ /^\(/) continue
                v = $i; gsub(",", "", v); if (v == ".") v = 0
                c[++k] = v
            }
            printf "%.0f,%.1f,%.2f", c[1] / n, (c[4] + c[5] + c[6]) / n, (c[7] + c[8] + c[9]) / n
            done = 1
        }
        END { if (!done) printf ",," }'
}

run() { # workload method K calls cg_calls
    w=$1 m=$2 k=$3 calls=$4 cgc=$5
    rm -f "$TMP/row"
    "$BIN" --workload "$w" --method "$m" --k "$k" --calls "$calls" --out "$TMP/row"
    valgrind --tool=callgrind --cache-sim=yes --collect-atstart=no \
        --toggle-collect=measured_release --toggle-collect=measured_arrival \
        --callgrind-out-file="$TMP/cg" "$BIN" --no-time --workload "$w" --method "$m" --k "$k" \
        --calls "$cgc" --warmup 2000 >"$TMP/cg.stdout" 2>"$TMP/cg.log"
    narr=$(sed -n 's/.* \([0-9]*\) arrivals measured.*/\1/p' "$TMP/cg.stdout")
    printf '%s,%s,%s,%s\n' "$(cat "$TMP/row")" "$cgc" "$(cg_sum "$TMP/cg" measured_release "$cgc")" \
        "$(cg_sum "$TMP/cg" measured_arrival "$narr")" >>"$OUT"
}

for w in zipf adversarial; do
    run $w a 16 "$CALLS" "$CG_CALLS"
    [ $w = adversarial ] || run $w a2 16 "$CALLS" "$CG_CALLS"
    for k in 4 16 64; do
        run $w b $k "$CALLS" "$CG_CALLS"
    done
done
# (c) costs a thousand times (a) on Zipf: fewer decisions, or the run takes
# most of an hour; it is not run on the adversarial workload (see the C file)
run zipf c 16 $((CALLS / 10)) 300
echo "wrote $OUT"
