/*
 * journal.c (bench): what journaling costs and how long recovery takes.
 *
 *  - records per second at each sync policy: a centre of `agents` agents,
 *    all busy, takes `n` enqueues (each one record); timed with the journal
 *    at ORCA_SYNC_NEVER, ORCA_SYNC_INTERVAL (1 s of engine time) and
 *    ORCA_SYNC_EVERY (fdatasync per record: the disk decides);
 *  - recovery: the journal of a centre with `waiting` waiting interactions
 *    is replayed into a new engine, timed from orca_journal_read_config to
 *    the end of orca_journal_replay.
 * Files go to $TMPDIR (default /tmp) and are removed.
 */
#include "journal_bench.h"
#include "common.h"

#include <orca.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int build(orca_engine **out, const char *path, orca_sync sync, uint32_t agents)
{
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.start_ms = 1000;
    orca_engine *e;
    if (orca_engine_new(&cfg, &e))
        return -1;
    orca_journal_config jc = { .sync = sync, .interval_ms = 1000 };
    unlink(path);
    if (orca_journal_open(e, path, &jc))
        return -1;
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "q";
    orca_queue_id q;
    orca_queue_add(e, &qd, &q);
    for (uint64_t id = 1; id <= agents; id++) { /* offline: nobody takes work */
        orca_agent_def ad;
        orca_agent_def_init(&ad);
        ad.id = id;
        orca_channel_limit l = { ORCA_CHANNEL_VOICE, 1 };
        ad.limits = &l;
        ad.nlimits = 1;
        orca_agent_add(e, &ad);
        orca_queue_member_add(e, q, id, 0);
    }
    *out = e;
    return 0;
}

/* n enqueues (one record each) into e's queue 1; ns per record. */
static double enqueue_n(orca_engine *e, uint64_t first, uint64_t n)
{
    uint64_t t0 = bench_now_ns();
    for (uint64_t k = 0; k < n; k++) {
        orca_interaction_def d;
        orca_interaction_def_init(&d);
        d.id = first + k;
        d.queue = 1;
        d.channel = ORCA_CHANNEL_VOICE;
        d.customer = 1 + k % 50000;
        if (orca_interaction_enqueue(e, &d))
            return -1;
        if (k % 64 == 0)
            orca_engine_advance(e, orca_engine_now(e) + 10);
    }
    return (double)(bench_now_ns() - t0) / (double)n;
}

void bench_journal(uint64_t waiting, uint32_t agents, uint64_t n_fast, uint64_t n_sync)
{
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[512];
    snprintf(path, sizeof path, "%s/orca-bench-%d.jrnl", dir, (int)getpid());
    const struct { orca_sync sync; const char *name; uint64_t n; } pol[] = {
        { ORCA_SYNC_NEVER, "never", n_fast },
        { ORCA_SYNC_INTERVAL, "every 1 s (engine time)", n_fast },
        { ORCA_SYNC_EVERY, "every record (fdatasync)", n_sync },
    };
    printf("\nJOURNAL: records per second (enqueues of one centre, %u agents; files in %s)\n",
           agents, dir);
    for (size_t k = 0; k < sizeof pol / sizeof pol[0]; k++) {
        orca_engine *e;
        if (build(&e, path, pol[k].sync, agents)) {
            printf("  %-26s could not open a journal in %s\n", pol[k].name, dir);
            return;
        }
        double ns = enqueue_n(e, 1, pol[k].n);
        orca_journal_info ji;
        orca_journal_info_get(e, &ji);
        printf("  sync %-26s %9.0f records/s (%.2f us per enqueue, %llu records, %.1f MB)\n",
               pol[k].name, 1e9 / ns, ns / 1e3, (unsigned long long)ji.records,
               (double)ji.bytes / 1e6);
        orca_engine_free(e);
    }
    /* recovery of a centre with `waiting` waiting interactions */
    orca_engine *e;
    if (build(&e, path, ORCA_SYNC_NEVER, agents))
        return;
    enqueue_n(e, 1, waiting);
    orca_journal_info ji;
    orca_journal_info_get(e, &ji);
    orca_engine_free(e);
    uint64_t t0 = bench_now_ns();
    orca_config cfg;
    orca_engine *r = NULL;
    orca_journal_info info;
    int rc = orca_journal_read_config(path, &cfg);
    if (!rc)
        rc = orca_engine_new(&cfg, &r);
    if (!rc)
        rc = orca_journal_replay(r, path, NULL, &info);
    double s = (double)(bench_now_ns() - t0) / 1e9;
    orca_counts c = { 0 };
    if (r)
        orca_engine_counts(r, &c);
    printf("  recovery: %llu records (%.1f MB), %u waiting interactions, %u agents: %.2f s (%s)\n",
           (unsigned long long)ji.records, (double)ji.bytes / 1e6, c.waiting, c.agents, s,
           orca_strerror(rc));
    orca_engine_free(r);
    unlink(path);
}
