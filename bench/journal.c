/*
 * journal.c (bench): what journaling costs and how long recovery takes.
 *
 *  - records per second at each sync policy: a centre of `agents` agents,
 *    none ready, takes `n` enqueues (each one record); timed with the
 *    journal at ORCA_SYNC_NEVER, ORCA_SYNC_INTERVAL (1 s of engine time) and
 *    ORCA_SYNC_EVERY (fdatasync per record: the disk decides);
 *  - recovery: the journal of a centre with `waiting` waiting interactions
 *    is replayed into a new engine, timed from orca_journal_read_config to
 *    the end of orca_journal_replay; then the replayed engine is compacted
 *    (orca_journal_compact, timed) and the snapshot replayed the same way.
 *    The centre is built afresh for each of RUNS runs; medians, and the
 *    ratio of the two medians;
 *  - recovery against age: a centre that keeps `waiting`/20 interactions
 *    live (a fifth of them with READY agents, the rest waiting) while
 *    N = `waiting` and 10 x `waiting` interactions flow through it (each
 *    enqueued, offered, accepted and ended; as many customers as live
 *    interactions, so their histories are full and the state is the same
 *    at every N): the whole journal grows with N, a compacted one
 *    (explicitly at the end, or automatically every `waiting` x 80 bytes)
 *    does not.
 * Every replayed engine is checked: its counts, and its orca_engine_dump
 * (hashed) against the engine that wrote the journal, so a broken restore
 * cannot give a fast figure.
 * Files go to $TMPDIR (default /tmp) and are removed.
 */
#include "journal_bench.h"
#include "common.h"

#include <orca.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUNS 5          /* recovery of the waiting centre: median of these */
#define AGE_RUNS 3      /* each replay of the age table: median of these */

/* With g_skills > 0 the centre routes by skill instead: each agent holds
 * up to 5 of g_skills skills and each interaction requires 1 or 2, so the
 * waiting work spreads over hundreds of classes (a restore rebuilds them
 * all). 0: one queue of members, one class. */
static uint32_t g_skills;
static uint64_t g_rng = 42;

static uint32_t pick(uint32_t n)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng % n);
}

/* Up to max distinct skills of g_skills, levels 1 (required) or 1..10. */
static uint32_t pick_skills(orca_skill_level *v, uint32_t max, int random_level)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < max; k++) {
        orca_skill_id s = 1 + pick(g_skills); /* (ids start at 1: 0 is none) */
        int dup = 0;
        for (uint32_t j = 0; j < n; j++)
            dup |= v[j].skill == s;
        if (!dup)
            v[n++] = (orca_skill_level){ s, (uint8_t)(random_level ? 1 + pick(10) : 1) };
    }
    return n;
}

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
    qd.serve = g_skills ? ORCA_SERVE_SKILLS : ORCA_SERVE_MEMBERS;
    orca_queue_id q;
    for (uint32_t k = 0; k < g_skills; k++) {
        char name[16];
        orca_skill_id sid;
        snprintf(name, sizeof name, "s%u", k);
        orca_skill_intern(e, name, &sid);
    }
    g_rng = 42;
    orca_queue_add(e, &qd, &q);
    for (uint64_t id = 1; id <= agents; id++) { /* offline: nobody takes work */
        orca_agent_def ad;
        orca_agent_def_init(&ad);
        orca_skill_level sk[5];
        ad.id = id;
        orca_channel_limit l = { ORCA_CHANNEL_VOICE, 1 };
        ad.limits = &l;
        ad.nlimits = 1;
        if (g_skills) {
            ad.skills = sk;
            ad.nskills = pick_skills(sk, 5, 1);
        }
        orca_agent_add(e, &ad);
        if (!g_skills)
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
        orca_skill_level req[2];
        if (g_skills) {
            d.required = req;
            d.nrequired = pick_skills(req, 2, 0);
        }
        if (orca_interaction_enqueue(e, &d))
            return -1;
        if (k % 64 == 0)
            orca_engine_advance(e, orca_engine_now(e) + 10);
    }
    return (double)(bench_now_ns() - t0) / (double)n;
}

static double ms_since(uint64_t t0)
{
    return (double)(bench_now_ns() - t0) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n) (sorts v). */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* FNV-1a over an engine's dump: two engines with the same state hash the
 * same. */
static void hash_text(void *data, const char *text, size_t len)
{
    uint64_t *h = data;
    for (size_t i = 0; i < len; i++)
        *h = (*h ^ (uint8_t)text[i]) * 0x100000001b3ull;
}

static uint64_t dump_hash(const orca_engine *e)
{
    uint64_t h = 0xcbf29ce484222325ull;
    if (orca_engine_dump(e, hash_text, &h))
        return 0;
    return h;
}

/* Recover the journal at path into a new engine, timed (ms) from
 * orca_journal_read_config to the end of orca_journal_replay. The engine is
 * handed back in *out (journaling on into path, never synced, no automatic
 * compaction) or freed if out is NULL; *c and *info describe it. */
static int recover(const char *path, double *ms, orca_counts *c, orca_journal_info *info,
                   uint64_t *hash, orca_engine **out)
{
    uint64_t t0 = bench_now_ns();
    orca_config cfg;
    orca_engine *r = NULL;
    int rc = orca_journal_read_config(path, &cfg);
    if (!rc)
        rc = orca_engine_new(&cfg, &r);
    if (!rc)
        rc = orca_journal_replay(r, path, NULL, info);
    *ms = ms_since(t0);
    memset(c, 0, sizeof *c);
    if (!rc)
        orca_engine_counts(r, c);
    if (hash)
        *hash = rc ? 0 : dump_hash(r);
    if (out && !rc)
        *out = r;
    else
        orca_engine_free(r);
    return rc;
}

/* ---- recovery of a centre with `waiting` waiting interactions ------------------- */

static void bench_recovery(const char *path, uint64_t waiting, uint32_t agents)
{
    double whole[RUNS], snap[RUNS], comp[RUNS];
    orca_journal_info wji = { 0 }, sji = { 0 }, rinfo = { 0 };
    orca_counts c = { 0 };
    const char *bad = NULL;
    int rc = 0, runs = 0;
    for (; runs < RUNS && !bad; runs++) {
        orca_engine *e, *r = NULL;
        if (build(&e, path, ORCA_SYNC_NEVER, agents)) {
            bad = "could not open a journal";
            break;
        }
        enqueue_n(e, 1, waiting);
        orca_journal_info_get(e, &wji);
        uint64_t want = runs == 0 ? dump_hash(e) : 0, got = 0;
        orca_engine_free(e);
        /* the whole journal */
        rc = recover(path, &whole[runs], &c, &rinfo, runs == 0 ? &got : NULL, &r);
        if (rc || c.waiting != waiting || c.agents != agents || rinfo.records != wji.records ||
            got != want) {
            bad = rc ? "replay of the whole journal failed"
                     : "the whole journal did not rebuild the centre";
            orca_engine_free(r);
            break;
        }
        /* compacted by the recovered engine, then recovered again */
        uint64_t t0 = bench_now_ns();
        rc = orca_journal_compact(r);
        comp[runs] = ms_since(t0);
        orca_journal_info_get(r, &sji);
        orca_engine_free(r);
        if (rc || sji.compactions != 1 || sji.snapshot_bytes != sji.bytes) {
            bad = "orca_journal_compact failed";
            break;
        }
        rc = recover(path, &snap[runs], &c, &rinfo, runs == 0 ? &got : NULL, NULL);
        /* the file is the snapshot and nothing else, and it rebuilt the
         * same engine */
        if (rc || c.waiting != waiting || c.agents != agents ||
            rinfo.snapshot_bytes != sji.bytes || rinfo.bytes != sji.bytes || got != want) {
            bad = rc ? "replay of the snapshot failed"
                     : "the snapshot did not rebuild the centre";
            break;
        }
    }
    if (bad) {
        printf("  recovery: %s (run %d: %s; %u waiting, %u agents after it)\n", bad, runs + 1,
               orca_strerror(rc), c.waiting, c.agents);
        return;
    }
    double w = median(whole, RUNS), s = median(snap, RUNS), k = median(comp, RUNS);
    if (g_skills)
        printf("  by skill (%u skills, agents holding up to 5, work requiring 1 or 2):\n",
               g_skills);
    printf("  recovery: %llu records (%.1f MB), %llu waiting interactions, %u agents: %.3f s "
           "(median of %d; %.1f..%.1f ms)\n",
           (unsigned long long)wji.records, (double)wji.bytes / 1e6, (unsigned long long)waiting,
           agents, w / 1e3, RUNS, whole[0], whole[RUNS - 1]);
    printf("  recovery from a snapshot: %llu records (%.1f MB), the same centre: %.3f s "
           "(median of %d; %.1f..%.1f ms), %.2fx the whole journal's time\n",
           (unsigned long long)sji.last_seq, (double)sji.bytes / 1e6, s / 1e3, RUNS, snap[0],
           snap[RUNS - 1], s / w);
    printf("  orca_journal_compact of it (snapshot written, synced, renamed): %.1f ms "
           "(median of %d; %.1f..%.1f ms)\n",
           k, RUNS, comp[0], comp[RUNS - 1]);
}

/* ---- recovery against the centre's age ------------------------------------------- */

typedef struct aging {
    uint64_t n;                /* interactions that flow through */
    uint32_t live;             /* live at the steady state */
    uint32_t agents;           /* READY, one voice call each: as many busy */
    uint32_t customers;
} aging;

/* Run the centre: agents READY, then n interactions, each enqueued,
 * accepted (when an agent is free: FIFO, so interaction k - live + agents
 * is the one offered when k - live ends) and ended (no wrap-up), keeping
 * `live` of them live once warmed up. The clock moves 10 ms every 64. */
static int age_run(orca_engine **out, const char *path, const aging *a, uint64_t compact_bytes,
                   double *secs)
{
    uint64_t t0 = bench_now_ns();
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.start_ms = 1000;
    orca_engine *e;
    if (orca_engine_new(&cfg, &e))
        return -1;
    orca_journal_config jc = { .sync = ORCA_SYNC_NEVER, .compact_bytes = compact_bytes };
    unlink(path);
    int rc = orca_journal_open(e, path, &jc);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "q";
    orca_queue_id q = 0;
    if (!rc)
        rc = orca_queue_add(e, &qd, &q);
    for (uint64_t id = 1; !rc && id <= a->agents; id++) {
        orca_agent_def ad;
        orca_agent_def_init(&ad);
        ad.id = id;
        orca_channel_limit l = { ORCA_CHANNEL_VOICE, 1 };
        ad.limits = &l;
        ad.nlimits = 1;
        rc = orca_agent_add(e, &ad);
        if (!rc)
            rc = orca_queue_member_add(e, q, id, 0);
        if (!rc)
            rc = orca_agent_set_presence(e, id, ORCA_PRESENCE_READY, 0);
    }
    for (uint64_t k = 1; !rc && k <= a->n; k++) {
        orca_interaction_def d;
        orca_interaction_def_init(&d);
        d.id = k;
        d.queue = q;
        d.channel = ORCA_CHANNEL_VOICE;
        d.customer = 1 + k % a->customers;
        rc = orca_interaction_enqueue(e, &d);
        if (!rc && k <= a->agents)
            rc = orca_offer_accept(e, k);
        if (!rc && k > a->live) {
            rc = orca_interaction_end(e, k - a->live);
            if (!rc)
                rc = orca_offer_accept(e, k - a->live + a->agents);
        }
        if (!rc && k % 64 == 0)
            rc = orca_engine_advance(e, orca_engine_now(e) + 10);
    }
    *secs = (double)(bench_now_ns() - t0) / 1e9;
    if (rc) {
        printf("  age: the centre did not run (%s)\n", orca_strerror(rc));
        orca_engine_free(e);
        return -1;
    }
    *out = e;
    return 0;
}

/* What age_run leaves live. */
static void age_expect(const aging *a, orca_counts *c)
{
    memset(c, 0, sizeof *c);
    uint64_t live = a->n < a->live ? a->n : a->live;
    c->interactions = (uint32_t)live;
    c->busy = (uint32_t)(live < a->agents ? live : a->agents);
    c->waiting = c->interactions - c->busy;
}

/* Recover the journal at path AGE_RUNS times; the median ms, or a negative
 * value (said why) if a replay fails or rebuilds another centre. The last
 * recovered engine is handed back in *keep if keep is not NULL. */
static double age_recover(const char *path, const aging *a, uint64_t want, uint64_t bytes,
                          const char *what, orca_engine **keep)
{
    double ms[AGE_RUNS];
    orca_counts x;
    age_expect(a, &x);
    for (int i = 0; i < AGE_RUNS; i++) {
        orca_counts c;
        orca_journal_info info;
        uint64_t got = 0;
        int last = i == AGE_RUNS - 1;
        int rc = recover(path, &ms[i], &c, &info, i == 0 ? &got : NULL, last ? keep : NULL);
        if (rc || c.interactions != x.interactions || c.busy != x.busy ||
            c.waiting != x.waiting || c.agents != a->agents || info.bytes != bytes ||
            (i == 0 && got != want)) {
            printf("  age N=%llu, %s: %s (%s; %u live, %u busy, %u waiting, %llu bytes)\n",
                   (unsigned long long)a->n, what,
                   rc ? "replay failed" : "the replay did not rebuild the centre",
                   orca_strerror(rc), c.interactions, c.busy, c.waiting,
                   (unsigned long long)info.bytes);
            if (rc == 0 && last && keep) {
                orca_engine_free(*keep);
                *keep = NULL;
            }
            return -1;
        }
    }
    return median(ms, AGE_RUNS);
}

static void bench_age(const char *path, uint64_t waiting)
{
    uint32_t live = (uint32_t)(waiting / 20 < 20 ? 20 : waiting / 20);
    aging a = {
        .live = live,
        .agents = live / 5,
        /* each customer has one interaction live at a time and calls
         * again every `live` interactions, so their histories are full
         * (history_per_customer) long before the first N: the state is the
         * same at every N, only the age differs */
        .customers = live,
    };
    uint64_t auto_bytes = waiting * 80;
    printf("\nJOURNAL: recovery against the centre's age (%u agents READY, %u interactions live: "
           "%u busy, %u waiting; %u customers, histories full; N interactions each enqueued, "
           "accepted and ended; replay ms: median of %d)\n",
           a.agents, a.live, a.agents, a.live - a.agents, a.customers, AGE_RUNS);
    char autot[64];
    snprintf(autot, sizeof autot, "auto, compact_bytes %.1f MB", (double)auto_bytes / 1e6);
    printf("  %9s | %-24s | %-31s | %s\n", "", "whole journal", "compacted at the end", autot);
    printf("  %9s | %8s %6s %8s | %7s %7s %7s %7s | %7s %11s %6s %7s %7s\n", "N", "MB",
           "run s", "replay", "MB", "records", "compact", "replay", "MB", "compactions",
           "run s", "replay", "tail MB");
    uint64_t ns[] = { waiting, 10 * waiting };
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        a.n = ns[i];
        orca_engine *e = NULL, *r = NULL;
        double run_s, run_auto_s;
        /* the whole journal, then compacted by the recovered engine */
        if (age_run(&e, path, &a, 0, &run_s))
            return;
        orca_journal_info wji;
        orca_journal_info_get(e, &wji);
        uint64_t want = dump_hash(e);
        orca_engine_free(e);
        double whole = age_recover(path, &a, want, wji.bytes, "whole journal", &r);
        if (whole < 0)
            return;
        uint64_t t0 = bench_now_ns();
        int rc = orca_journal_compact(r);
        double comp = ms_since(t0);
        orca_journal_info sji;
        orca_journal_info_get(r, &sji);
        orca_engine_free(r);
        if (rc) {
            printf("  age N=%llu: orca_journal_compact: %s\n", (unsigned long long)a.n,
                   orca_strerror(rc));
            return;
        }
        double snap = age_recover(path, &a, want, sji.bytes, "compacted", NULL);
        if (snap < 0)
            return;
        /* the same centre run with automatic compaction */
        if (age_run(&e, path, &a, auto_bytes, &run_auto_s))
            return;
        orca_journal_info aji;
        orca_journal_info_get(e, &aji);
        uint64_t want_auto = dump_hash(e);
        orca_engine_free(e);
        if (want_auto != want || aji.compact_failures) {
            printf("  age N=%llu: auto compaction changed the centre (%llu failures, %s)\n",
                   (unsigned long long)a.n, (unsigned long long)aji.compact_failures,
                   aji.compact_error ? "an I/O error" : "no I/O error");
            return;
        }
        double autom = age_recover(path, &a, want, aji.bytes, "auto compaction", NULL);
        if (autom < 0)
            return;
        printf("  %9llu | %8.1f %6.1f %8.1f | %7.1f %7llu %7.1f %7.1f | %7.1f %11llu %6.1f %7.1f "
               "%7.1f\n",
               (unsigned long long)a.n, (double)wji.bytes / 1e6, run_s, whole,
               (double)sji.bytes / 1e6, (unsigned long long)sji.last_seq, comp, snap,
               (double)aji.bytes / 1e6, (unsigned long long)aji.compactions, run_auto_s, autom,
               (double)(aji.bytes - aji.snapshot_bytes) / 1e6);
        fflush(stdout);
    }
    printf("  (MB: the file; records: in the file; compact, replay: ms, replay from "
           "orca_journal_read_config to the end of orca_journal_replay; run s: the centre's own "
           "run, writing its journal; tail: the records after the last snapshot)\n");
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
    fflush(stdout);
    uint64_t t0 = bench_now_ns();
    bench_recovery(path, waiting, agents);
    g_skills = 50; /* the same over many classes */
    bench_recovery(path, waiting, agents);
    g_skills = 0;
    fflush(stdout);
    double rec_s = ms_since(t0) / 1e3;
    t0 = bench_now_ns();
    bench_age(path, waiting);
    fflush(stdout);
    fprintf(stderr, "  journal recovery: %.1f s, recovery against age: %.1f s\n", rec_s,
            ms_since(t0) / 1e3);
    unlink(path);
}
