#!/usr/bin/python3
"""bench/charts.py: pictures of the bench's CSV files, drawn with Debian's
python3-matplotlib, so the numbers stay in the CSV and the picture is
only a view of them.

    bench/charts.py growth   [CSV] [PNG]   decision latency against centre
                                           size, per router (log-log)
    bench/charts.py failover [CSV] [PNG]   time from each kill of the
                                           leader to the new leader's
                                           first offer

Defaults: bench/results/latest.csv -> build/charts/growth.png and
bench/results/failover.csv -> build/charts/failover.png. `make bench`
draws the growth chart; `make charts` draws both; `make docs-charts`
draws them into docs/img/, where the README shows them."""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only: no display
import matplotlib.pyplot as plt  # noqa: E402

ROUTERS = [("orca", "o-", "orca"),
           ("app_queue_style", "s--", "app_queue style"),
           ("opensips_style", "^--", "opensips style (first fit)"),
           ("mod_callcenter_style", "d--", "mod_callcenter style")]


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def growth(src, out):
    """Median and p99 of one decision against agents + waiting, on the
    zipf centres with the longest_idle strategy, one panel per direction."""
    data = [r for r in rows(src) if r["workload"] == "zipf" and r["strategy"] == "longest_idle"
            and r["median_ns"]]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), sharey=True)
    for ax, direction in zip(axes, ("arrival", "release")):
        for router, style, label in ROUTERS:
            pts = {}
            for r in data:
                if r["router"] == router and r["direction"] == direction:
                    size = int(r["agents"]) + int(r["waiting"])
                    # several skill catalogues per size: the slowest one
                    pts[size] = max(pts.get(size, 0), float(r["median_ns"]))
            if not pts:
                continue
            xs = sorted(pts)
            ax.plot(xs, [pts[x] / 1000 for x in xs], style, label=label, markersize=5)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title("%s: one decision (median)" % direction)
        ax.set_xlabel("centre size (agents + waiting interactions)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("microseconds")
    axes[1].legend(loc="upper left", fontsize=8)
    fig.suptitle("orca against its peers as the centre grows (make bench, %s)" % os.path.basename(src),
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return len(data)


def failover(src, out):
    """Each kill's failover time, in kill order, with the median."""
    data = rows(src)
    ms = [float(r["failover_ms"]) for r in data if r["failover_ms"]]
    if not ms:
        raise SystemExit("charts: %s has no failover times" % src)
    srt = sorted(ms)
    med = (srt[(len(ms) - 1) // 2] + srt[len(ms) // 2]) / 2
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.bar(range(1, len(ms) + 1), ms, color="#4a7ab5")
    ax.axhline(med, color="black", linewidth=1, label="median %.0f ms" % med)
    ax.axhline(1000, color="#b54a4a", linestyle="--", linewidth=1, label="goal: under 1 s")
    lost = sum(int(r["lost"]) for r in data)
    dup = sum(int(r["duplicated"]) for r in data)
    ax.set_title("kill -9 of the leader to the new leader's first offer (%d kills, %s acks, "
                 "%d lost, %d duplicated)" % (len(ms), data[0]["ack_mode"], lost, dup), fontsize=9)
    ax.set_xlabel("kill")
    ax.set_ylabel("ms")
    ax.set_ylim(0, max(1100, max(ms) * 1.1))
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return len(ms)


def main(argv):
    if len(argv) < 2 or argv[1] not in ("growth", "failover"):
        print(__doc__, file=sys.stderr)
        return 2
    what = argv[1]
    src = argv[2] if len(argv) > 2 else "bench/results/%s.csv" % ("latest" if what == "growth" else "failover")
    out = argv[3] if len(argv) > 3 else "build/charts/%s.png" % what
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    n = (growth if what == "growth" else failover)(src, out)
    print("charts: %s from %s (%d rows) -> %s" % (what, src, n, out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
