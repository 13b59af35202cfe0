/*
 * test_statsave.c: an orca_stats saved into the journal's snapshot and
 * loaded back (stats_find, stats_save, stats_load in src/stats.c).
 *
 *  - A loaded orca_stats reads the same as the one saved, through every
 *    getter (both spans), the estimates, each waiting interaction's place
 *    and the JSON snapshot; and it stays the same while both keep
 *    listening to the engine (a scripted centre, then a few hundred random
 *    ones).
 *  - Damaged input: every truncation is ORCA_ECORRUPT; byte flips are
 *    ORCA_ECORRUPT or ORCA_OK, never a crash (what was accepted is then
 *    read and fed events). An allocation failure at any point of a load
 *    is ORCA_ENOMEM. Every failure leaves the orca_stats fresh (it reads
 *    like one attached at the same moment) and leaks nothing.
 *  - A saved window config other than the loader's: the since-start
 *    figures, agents and waiting work come back, the window starts empty,
 *    and once a whole window has passed it reads like stats of that config
 *    attached from the start.
 *
 * ORCA_STATSAVE_SEEDS=n sets how many random centres are run (default 300,
 * 30 under valgrind, which also flips fewer bytes).
 */
#include "testutil.h"
#include "rng.h"
#include "orca_int.h"

#include <stdbool.h>

/* ------------------------------------------------------------------------ */
/* A test bed: an engine on the counting allocator, its stats, a centre     */
/* ------------------------------------------------------------------------ */

#define MAX_STATS 8
#define MAX_IX 512
#define MAX_AGENTS 24
#define NQ 5

typedef struct bed {
    tu_fx fx;                    /* its allocator counts; no recorder */
    orca_engine *e;
    int armed, arm;              /* allocations inside listeners fail: */
    uint32_t nalloc;             /* asked for since armed */
    uint64_t mask;               /* fail allocation k if bit k */
    orca_stats *st[MAX_STATS];
    int nst;
    uint64_t rng;
    orca_queue_id q[NQ];
    orca_channel_id web;
    uint32_t nch;
    uint64_t agents[MAX_AGENTS]; /* live */
    uint32_t nagents;
    uint64_t next_agent;
    uint64_t ix[MAX_IX];         /* ids that may be live */
    uint32_t nix;
    uint64_t next_ix;
} bed;

/* Freed by the teardown when a failed assertion leaves a test early. */
static bed *g_bed;
static uint64_t g_seed; /* the random centre running, named if it fails */
static int g_slow;      /* under valgrind: smaller loops */

static void bed_release(bed *b)
{
    for (int k = 0; k < b->nst; k++)
        orca_stats_free(b->st[k]);
    b->nst = 0;
}

static int teardown(void **state)
{
    (void)state;
    if (g_seed)
        print_error("random centre of seed %llu\n", (unsigned long long)g_seed);
    g_seed = 0;
    if (g_bed) {
        bed_release(g_bed);
        orca_engine_free(g_bed->fx.e);
        tu_rec_free(&g_bed->fx.rec);
        free(g_bed);
        g_bed = NULL;
    }
    return 0;
}

/* The counting allocator, failing while armed as the mask says. */
static void *bed_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    bed *b = ud;
    if (b->armed && nsize > 0 && (!ptr || nsize > osize)) {
        uint32_t k = b->nalloc++;
        if (k < 64 && (b->mask >> k & 1))
            return NULL;
    }
    return tu_alloc_fn(&b->fx.alloc, ptr, osize, nsize);
}

/* Listeners around a stats' own: arm the failures for it alone. */
static void arm_fn(void *data, const orca_event *ev)
{
    bed *b = data;
    (void)ev;
    b->armed = b->arm;
    b->nalloc = 0;
}

static void disarm_fn(void *data, const orca_event *ev)
{
    bed *b = data;
    (void)ev;
    b->armed = 0;
}

static bed *bed_new(uint64_t seed)
{
    bed *b = calloc(1, sizeof(*b));
    assert_non_null(b);
    g_bed = b;
    tu_alloc_init(&b->fx.alloc);
    orca_config c;
    orca_config_init(&c);
    c.alloc = bed_alloc;
    c.alloc_ud = b;
    TU_OK(orca_engine_new(&c, &b->e));
    b->fx.e = b->e;
    b->rng = seed;
    b->next_ix = 1000;
    return b;
}

/* Free the stats and the engine; nothing may be left allocated. */
static void bed_free(bed *b)
{
    bed_release(b);
    tu_fx_free(&b->fx);
    free(b);
    g_bed = NULL;
}

static orca_stats_config scfg(uint32_t window_ms, uint32_t slots, uint32_t short_ms)
{
    orca_stats_config c;
    memset(&c, 0, sizeof(c));
    c.window_ms = window_ms;
    c.window_slots = slots;
    c.short_abandon_ms = short_ms;
    return c;
}

static orca_stats *bed_stats(bed *b, const orca_stats_config *cfg)
{
    assert_true(b->nst < MAX_STATS);
    orca_stats *s;
    TU_OK(orca_stats_new(b->e, cfg, &s));
    b->st[b->nst++] = s;
    return s;
}

static void bed_unstats(bed *b, orca_stats *s)
{
    for (int k = 0; k < b->nst; k++)
        if (b->st[k] == s) {
            b->st[k] = b->st[--b->nst];
            TU_OK(orca_stats_free(s));
            return;
        }
    fail_msg("stats not on the bed");
}

static void note_ix(bed *b, uint64_t id)
{
    if (b->nix < MAX_IX)
        b->ix[b->nix++] = id;
}

static void agent_add(bed *b)
{
    static orca_channel_limit lim[ORCA_CHANNEL_BUILTIN_COUNT + 1];
    for (uint32_t c = 0; c < b->nch; c++)
        lim[c] = (orca_channel_limit){ c, 4 };
    orca_agent_def d;
    orca_agent_def_init(&d);
    d.id = ++b->next_agent;
    d.capacity = 100;
    d.limits = lim;
    d.nlimits = b->nch;
    TU_OK(orca_agent_add(b->e, &d));
    for (uint32_t k = 0; k < NQ - 1; k++) /* the last queue has nobody */
        if (k == 0 || rnd(&b->rng, 2))
            tu_member(b->e, b->q[k], d.id, rnd(&b->rng, 2));
    if (b->nagents < MAX_AGENTS)
        b->agents[b->nagents++] = d.id;
}

/* Five queues (sales with an offer timeout and wrap-up; support with a max
 * wait and overflow into overflow; callbacks that retry; quiet, with no
 * members), a host channel, six agents, half of them ready. */
static void centre(bed *b)
{
    orca_engine *e = b->e;
    orca_channel_def cd;
    memset(&cd, 0, sizeof(cd));
    cd.name = "web";
    cd.cost = 25;
    TU_OK(orca_channel_add(e, &cd, &b->web));
    b->nch = ORCA_CHANNEL_BUILTIN_COUNT + 1;
    const char *names[NQ] = { "sales", "support", "overflow", "callbacks", "quiet" };
    for (int k = NQ - 1; k >= 0; k--) {
        orca_queue_def d;
        orca_queue_def_init(&d);
        d.name = names[k];
        d.sla_ms = 20000;
        if (k == 0) {
            d.wrapup_ms = 3000;
            d.offer_timeout_ms = 8000;
        } else if (k == 1) {
            d.max_wait_ms = 90000;
            d.overflow_after_ms = 20000;
            d.overflow_to = b->q[2];
        } else if (k == 3) {
            d.callback_attempts = 2;
            d.callback_retry_ms = 10000;
        } else if (k == 4) {
            d.max_wait_ms = 45000;
        }
        b->q[k] = tu_queue_def(e, &d);
    }
    for (int k = 0; k < 6; k++)
        agent_add(b);
    for (uint32_t k = 0; k < b->nagents; k += 2)
        tu_ready(e, b->agents[k]);
}

/* ------------------------------------------------------------------------ */
/* A random workload                                                        */
/* ------------------------------------------------------------------------ */

#define ST(s) (1u << (s))

/* A tracked interaction in one of the states (mask), or 0; ids found gone
 * are dropped on the way. */
static uint64_t pick(bed *b, unsigned mask)
{
    uint32_t k = rnd(&b->rng, b->nix + 1), seen = 0;
    while (b->nix && seen < b->nix) {
        if (k >= b->nix)
            k = 0;
        orca_interaction_info in;
        if (orca_interaction_info_get(b->e, b->ix[k], &in) != ORCA_OK) {
            b->ix[k] = b->ix[--b->nix];
            continue;
        }
        if (mask & (1u << in.state))
            return in.id;
        k++;
        seen++;
    }
    return 0;
}

static orca_channel_id any_channel(bed *b)
{
    static const orca_channel_id common[] = { ORCA_CHANNEL_VOICE, ORCA_CHANNEL_CHAT,
                                              ORCA_CHANNEL_CHAT, ORCA_CHANNEL_EMAIL,
                                              ORCA_CHANNEL_CALLBACK, ORCA_CHANNEL_SMS };
    if (chance(&b->rng, 15))
        return b->web;
    return common[rnd(&b->rng, sizeof(common) / sizeof(common[0]))];
}

static void work_def(bed *b, orca_interaction_def *d, uint64_t id)
{
    orca_interaction_def_init(d);
    d->id = id;
    d->queue = b->q[rnd(&b->rng, NQ)];
    d->channel = any_channel(b);
    d->customer = chance(&b->rng, 60) ? 1 + rnd(&b->rng, 15) : 0;
}

static void enqueue(bed *b)
{
    orca_interaction_def d;
    work_def(b, &d, ++b->next_ix);
    uint32_t r = rnd(&b->rng, 100);
    if (r < 10) {
        d.not_before_ms = orca_engine_now(b->e) + 1000 + rnd(&b->rng, 120000);
        d.early_ms = rnd(&b->rng, 5000);
    } else if (r < 15) {
        d.bot = 1;
    }
    if (orca_interaction_enqueue(b->e, &d) == ORCA_OK)
        note_ix(b, d.id);
}

static void transfer(bed *b)
{
    uint64_t from = pick(b, ST(ORCA_STATE_BUSY));
    orca_transfer_mode mode = chance(&b->rng, 60) ? ORCA_TRANSFER_BLIND : ORCA_TRANSFER_CONSULT;
    orca_interaction_def d;
    work_def(b, &d, mode == ORCA_TRANSFER_BLIND && chance(&b->rng, 50) ? from : ++b->next_ix);
    d.customer = 0;
    if (orca_interaction_transfer(b->e, from, &d, mode) == ORCA_OK)
        note_ix(b, d.id);
}

static void escalate(bed *b)
{
    uint64_t id = pick(b, ST(ORCA_STATE_BOT));
    orca_interaction_def d;
    work_def(b, &d, id);
    d.customer = 0;
    (void)orca_interaction_escalate(b->e, id, &d);
}

static void presence(bed *b)
{
    if (!b->nagents)
        return;
    uint32_t r = rnd(&b->rng, 100);
    orca_presence p = r < 60 ? ORCA_PRESENCE_READY
                    : r < 85 ? ORCA_PRESENCE_NOT_READY : ORCA_PRESENCE_OFFLINE;
    (void)orca_agent_set_presence(b->e, b->agents[rnd(&b->rng, b->nagents)], p, 1);
}

static void agent_remove(bed *b)
{
    if (b->nagents < 3)
        return;
    uint32_t k = rnd(&b->rng, b->nagents);
    if (orca_agent_remove(b->e, b->agents[k]) == ORCA_OK)
        b->agents[k] = b->agents[--b->nagents];
}

/* Mostly small steps, now and then minutes, rarely several windows. */
static void advance(bed *b)
{
    uint32_t r = rnd(&b->rng, 100);
    uint64_t dt = r < 75 ? rnd(&b->rng, 4000) : r < 97 ? rnd(&b->rng, 90000)
                                                       : rnd(&b->rng, 600000);
    tu_advance(b->e, orca_engine_now(b->e) + dt);
}

/* One random call (failures are fine: they change nothing). */
static void step(bed *b)
{
    orca_engine *e = b->e;
    uint64_t now = orca_engine_now(e);
    uint32_t r = rnd(&b->rng, 132);
    if (r < 30)
        enqueue(b);
    else if (r < 48)
        (void)orca_offer_accept(e, pick(b, ST(ORCA_STATE_OFFERED)));
    else if (r < 52)
        (void)orca_offer_reject(e, pick(b, ST(ORCA_STATE_OFFERED)));
    else if (r < 64)
        (void)orca_interaction_end(e, pick(b, ST(ORCA_STATE_BUSY) | ST(ORCA_STATE_BOT)));
    else if (r < 68)
        (void)orca_interaction_wrapup_done(e, pick(b, ST(ORCA_STATE_WRAPUP)));
    else if (r < 73)
        (void)orca_interaction_abandon(e, pick(b, ST(ORCA_STATE_WAITING) |
                                                      ST(ORCA_STATE_OFFERED) |
                                                      ST(ORCA_STATE_SCHEDULED) |
                                                      ST(ORCA_STATE_BOT)));
    else if (r < 75)
        (void)orca_interaction_cancel(e, pick(b, ST(ORCA_STATE_WAITING) |
                                                    ST(ORCA_STATE_SCHEDULED)));
    else if (r < 78)
        (void)orca_interaction_set_survey(e, pick(b, ST(ORCA_STATE_BUSY) |
                                                         ST(ORCA_STATE_WRAPUP)),
                                          rnd(&b->rng, 6), (int32_t)rnd(&b->rng, 3) - 1);
    else if (r < 81)
        transfer(b);
    else if (r < 83)
        escalate(b);
    else if (r < 87)
        (void)orca_interaction_callback(e, pick(b, ST(ORCA_STATE_WAITING) |
                                                       ST(ORCA_STATE_SCHEDULED)),
                                        chance(&b->rng, 80) ? ORCA_CHANNEL_CALLBACK
                                                            : any_channel(b),
                                        chance(&b->rng, 50) ? 0
                                                            : now + 1 + rnd(&b->rng, 100000));
    else if (r < 89)
        (void)orca_interaction_unreached(e, pick(b, ST(ORCA_STATE_BUSY)));
    else if (r < 99)
        presence(b);
    else if (r < 100)
        agent_add(b);
    else if (r < 101)
        agent_remove(b);
    else if (r < 103)
        (void)orca_interaction_set_priority(e, pick(b, ST(ORCA_STATE_WAITING)),
                                            rnd(&b->rng, 5));
    else
        advance(b);
}

static void steps(bed *b, int n)
{
    for (int k = 0; k < n; k++)
        step(b);
}

/* ------------------------------------------------------------------------ */
/* Comparing two stats                                                      */
/* ------------------------------------------------------------------------ */

static char *json_of(const orca_stats *s)
{
    tu_buf buf = { 0 };
    TU_OK(orca_stats_snapshot_json(s, tu_buf_write, &buf));
    return buf.p;
}

#define SAME_U(f) if (a->f != c->f) { print_error("%s: " #f " %llu vs %llu\n", what, \
                      (unsigned long long)a->f, (unsigned long long)c->f); _fail(file, line); }
#define SAME_D(f) if (!(a->f == c->f)) { print_error("%s: " #f " %.17g vs %.17g\n", what, \
                      a->f, c->f); _fail(file, line); }

static void fig_same(const orca_figures *a, const orca_figures *c, const char *what,
                     const char *file, int line)
{
    SAME_U(waiting) SAME_U(longest_wait_ms) SAME_U(entered) SAME_U(answered)
    SAME_U(abandoned) SAME_U(abandoned_short) SAME_U(timed_out) SAME_U(answered_in_sl)
    SAME_D(service_level) SAME_D(sl_of_answered) SAME_D(asa_ms) SAME_D(avg_wait_ms)
    SAME_U(wait_p50_ms) SAME_U(wait_p90_ms) SAME_U(wait_p99_ms) SAME_U(handled)
    SAME_D(aht_ms) SAME_D(avg_talk_ms) SAME_D(avg_wrapup_ms) SAME_D(occupancy)
    SAME_U(offers) SAME_U(accepted) SAME_U(rejected) SAME_U(offer_timeouts)
    SAME_U(transfers) SAME_U(csat_count) SAME_D(csat_avg) SAME_U(fcr_count)
    SAME_U(fcr_resolved) SAME_D(fcr_rate) SAME_U(recontacts) SAME_U(span_ms)
}

static void agent_same(const orca_agent_figures *a, const orca_agent_figures *c,
                       const char *what, const char *file, int line)
{
    SAME_U(agent) SAME_U(presence) SAME_U(work) SAME_U(offers) SAME_U(accepted)
    SAME_U(rejected) SAME_U(offer_timeouts) SAME_U(handled) SAME_D(aht_ms)
    SAME_U(transfers) SAME_U(csat_count) SAME_D(csat_avg) SAME_U(offline_ms)
    SAME_U(not_ready_ms) SAME_U(idle_ms) SAME_U(working_ms) SAME_D(occupancy)
    SAME_U(span_ms)
}

static void rc_same(int ra, int rc, const char *what, const char *file, int line)
{
    if (ra == rc)
        return;
    print_error("%s: %s vs %s\n", what, tu_rc_name(ra), tu_rc_name(rc));
    _fail(file, line);
}

static void u_same(uint64_t va, uint64_t vc, const char *what, const char *file, int line)
{
    if (va == vc)
        return;
    print_error("%s: %llu vs %llu\n", what, (unsigned long long)va, (unsigned long long)vc);
    _fail(file, line);
}

/* Queues, channels and the total, both spans, and the queues' estimates. */
static void entities_agree(const bed *b, const orca_stats *s1, const orca_stats *s2,
                           const char *file, int line)
{
    char what[96];
    orca_figures fa, fb;
    for (int sp = 0; sp < 2; sp++) {
        snprintf(what, sizeof(what), "total span %d", sp);
        TU_OK(orca_stats_total(s1, (orca_span)sp, &fa));
        TU_OK(orca_stats_total(s2, (orca_span)sp, &fb));
        fig_same(&fa, &fb, what, file, line);
        for (uint32_t k = 0; k < NQ; k++) {
            snprintf(what, sizeof(what), "queue %u span %d", b->q[k], sp);
            memset(&fa, 0, sizeof(fa));
            memset(&fb, 0, sizeof(fb));
            rc_same(orca_stats_queue(s1, b->q[k], (orca_span)sp, &fa),
                    orca_stats_queue(s2, b->q[k], (orca_span)sp, &fb), what, file, line);
            fig_same(&fa, &fb, what, file, line);
        }
        for (uint32_t ch = 0; ch < b->nch; ch++) {
            snprintf(what, sizeof(what), "channel %u span %d", ch, sp);
            TU_OK(orca_stats_channel(s1, ch, (orca_span)sp, &fa));
            TU_OK(orca_stats_channel(s2, ch, (orca_span)sp, &fb));
            fig_same(&fa, &fb, what, file, line);
        }
    }
    for (uint32_t k = 0; k < NQ; k++) {
        uint64_t ma = 0, mb = 0;
        double la = 0, ha = 0, lb = 0, hb = 0;
        snprintf(what, sizeof(what), "ewt queue %u", b->q[k]);
        rc_same(orca_stats_ewt(s1, b->q[k], &ma), orca_stats_ewt(s2, b->q[k], &mb), what,
                file, line);
        u_same(ma, mb, what, file, line);
        snprintf(what, sizeof(what), "load queue %u", b->q[k]);
        rc_same(orca_stats_load(s1, b->q[k], &la, &ha), orca_stats_load(s2, b->q[k], &lb, &hb),
                what, file, line);
        if (la != lb || ha != hb)
            _fail(file, line);
    }
}

/* Every agent ever added, both spans; each tracked interaction's estimate
 * (which counts the work ahead of it in its queue's list). */
static void agents_agree(const bed *b, const orca_stats *s1, const orca_stats *s2,
                         const char *file, int line)
{
    char what[96];
    for (uint64_t id = 1; id <= b->next_agent + 1; id++)
        for (int sp = 0; sp < 2; sp++) {
            orca_agent_figures fa, fb;
            memset(&fa, 0, sizeof(fa));
            memset(&fb, 0, sizeof(fb));
            snprintf(what, sizeof(what), "agent %llu span %d", (unsigned long long)id, sp);
            rc_same(orca_stats_agent(s1, id, (orca_span)sp, &fa),
                    orca_stats_agent(s2, id, (orca_span)sp, &fb), what, file, line);
            agent_same(&fa, &fb, what, file, line);
        }
    for (uint32_t k = 0; k < b->nix; k++) {
        uint64_t ma = 0, mb = 0;
        snprintf(what, sizeof(what), "ewt interaction %llu", (unsigned long long)b->ix[k]);
        rc_same(orca_stats_ewt_interaction(s1, b->ix[k], &ma),
                orca_stats_ewt_interaction(s2, b->ix[k], &mb), what, file, line);
        u_same(ma, mb, what, file, line);
    }
    u_same(orca_stats_dropped(s1), orca_stats_dropped(s2), "dropped", file, line);
}

static void agree_(const bed *b, const orca_stats *s1, const orca_stats *s2, const char *file,
                   int line)
{
    char *ja = json_of(s1), *jb = json_of(s2);
    tu_same_text_(ja, jb, "stats snapshot JSON", file, line);
    free(ja);
    free(jb);
    entities_agree(b, s1, s2, file, line);
    agents_agree(b, s1, s2, file, line);
}
#define AGREE(b, s1, s2) agree_((b), (s1), (s2), __FILE__, __LINE__)

/* ------------------------------------------------------------------------ */
/* Saving and loading                                                       */
/* ------------------------------------------------------------------------ */

typedef struct blob {
    uint8_t *p;
    size_t n;
} blob;

/* s saved into a malloc'd copy (the engine's buffer is freed at once). */
static blob save(bed *b, const orca_stats *s)
{
    wbuf w = { .e = b->e };
    stats_save(s, &w);
    assert_false(w.bad);
    blob out = { malloc(w.n ? w.n : 1), w.n };
    assert_non_null(out.p);
    memcpy(out.p, w.p, w.n);
    w_free(&w);
    return out;
}

/* Load n bytes; a good save is read to its end, no more (damaged input
 * may be taken with bytes left over: the snapshot goes on after it). */
static int load_(orca_stats *s, const uint8_t *p, size_t n, bool whole)
{
    rbuf r = { .p = p, .n = n };
    int rc = stats_load(s, &r);
    if (rc == ORCA_OK && whole)
        assert_int_equal(r.at, n);
    return rc;
}
#define load(s, p, n) load_((s), (p), (n), true)

/* Save from into to (both attached to b), check they agree; returns the
 * size of the save. */
static size_t copy_(bed *b, const orca_stats *from, orca_stats *to, const char *file, int line)
{
    blob bl = save(b, from);
    tu_rc_(load(to, bl.p, bl.n), ORCA_OK, "stats_load", file, line);
    free(bl.p);
    agree_(b, from, to, file, line);
    return bl.n;
}
#define COPY(b, from, to) copy_((b), (from), (to), __FILE__, __LINE__)

/* ------------------------------------------------------------------------ */
/* Tests                                                                    */
/* ------------------------------------------------------------------------ */

static void test_find(void **state)
{
    (void)state;
    bed *b = bed_new(1);
    assert_null(stats_find(b->e));
    orca_stats *s1 = bed_stats(b, NULL), *s2 = bed_stats(b, NULL);
    assert_ptr_equal(stats_find(b->e), s1);
    bed_unstats(b, s1);
    assert_ptr_equal(stats_find(b->e), s2);
    bed_unstats(b, s2);
    assert_null(stats_find(b->e));
    bed_free(b);
}

/* Nothing seen yet: a save of fresh stats loads into fresh stats. */
static void test_empty(void **state)
{
    (void)state;
    bed *b = bed_new(2);
    orca_stats *s1 = bed_stats(b, NULL);
    tu_advance(b->e, 5000);
    orca_stats *s2 = bed_stats(b, NULL);
    COPY(b, s1, s2);
    centre(b);
    AGREE(b, s1, s2);
    bed_free(b);
}

/* The main case, by hand: a centre goes through every kind of event over
 * several windows (1-minute window, 6 slots of 10 s), leaving work in
 * every state; stats attached later get the first's save and read the
 * same, then and while the centre goes on. */
static void test_scripted(void **state)
{
    (void)state;
    bed *b = bed_new(3);
    orca_engine *e = b->e;
    orca_stats_config c = scfg(60000, 6, 4000);
    orca_stats *s1 = bed_stats(b, &c);
    centre(b);
    orca_queue_id sales = b->q[0], support = b->q[1], cbq = b->q[3], quiet = b->q[4];
    uint64_t a1 = b->agents[0], a2 = b->agents[1], a3 = b->agents[2];
    /* agents 1, 3, 5 are ready, all in sales */
    for (uint64_t id = 1; id <= 4; id++) {
        tu_enqueue(e, id, sales, id & 1 ? ORCA_CHANNEL_VOICE : ORCA_CHANNEL_CHAT, 0);
        note_ix(b, id);
    }
    tu_advance(e, 2000);
    TU_OK(orca_offer_accept(e, 1));
    TU_OK(orca_interaction_set_survey(e, 1, 4, 1));
    uint64_t off = pick(b, ST(ORCA_STATE_OFFERED));
    assert_true(off != 0);
    TU_OK(orca_offer_reject(e, off));
    tu_advance(e, 12000); /* the others' offers time out (8 s) */
    TU_OK(orca_interaction_end(e, 1));
    tu_advance(e, 13000);
    TU_OK(orca_interaction_wrapup_done(e, 1));
    /* support overflows after 20 s; quiet times out after 45 s */
    for (uint64_t id = 10; id <= 13; id++) {
        tu_enqueue(e, id, id < 12 ? support : quiet, ORCA_CHANNEL_EMAIL, 0);
        note_ix(b, id);
    }
    tu_enqueue(e, 14, quiet, b->web, 0);
    note_ix(b, 14);
    TU_OK(orca_interaction_abandon(e, 13));
    /* a booked callback, and waiting work put on hold until a time */
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 20;
    d.queue = cbq;
    d.channel = ORCA_CHANNEL_CALLBACK;
    d.not_before_ms = 40000;
    TU_OK(orca_interaction_enqueue(e, &d));
    note_ix(b, 20);
    TU_OK(orca_interaction_callback(e, 14, ORCA_CHANNEL_CALLBACK, 200000));
    tu_notready(e, a3);
    tu_ready(e, a2);
    tu_advance(e, 45000);
    (void)orca_offer_accept(e, 20);
    (void)orca_interaction_unreached(e, 20); /* tried again in 10 s */
    tu_advance(e, 70000);
    /* a blind transfer into support, and a bot that escalates */
    uint64_t busy = pick(b, ST(ORCA_STATE_OFFERED));
    if (busy) {
        TU_OK(orca_offer_accept(e, busy));
        orca_interaction_def_init(&d);
        d.id = busy;
        d.queue = support;
        d.channel = ORCA_CHANNEL_VOICE;
        TU_OK(orca_interaction_transfer(e, busy, &d, ORCA_TRANSFER_BLIND));
    }
    orca_interaction_def_init(&d);
    d.id = 30;
    d.queue = sales;
    d.channel = ORCA_CHANNEL_CHAT;
    d.bot = 1;
    d.customer = 7;
    TU_OK(orca_interaction_enqueue(e, &d));
    note_ix(b, 30);
    tu_advance(e, 90000);
    d.customer = 0;
    d.bot = 0;
    TU_OK(orca_interaction_escalate(e, 30, &d));
    tu_rc_(orca_agent_set_presence(e, a1, ORCA_PRESENCE_OFFLINE, 0), ORCA_OK, "offline",
           __FILE__, __LINE__);
    /* a burst at one instant (ties in arrival), then time over 3 windows */
    for (uint64_t id = 40; id <= 52; id++) {
        tu_enqueue(e, id, b->q[id % NQ], id % 3 ? ORCA_CHANNEL_SMS : b->web, 0);
        note_ix(b, id);
    }
    tu_advance(e, 150000);
    b->rng = 99;
    steps(b, 200);
    tu_advance(e, orca_engine_now(e) + 250000);
    steps(b, 200);
    orca_interaction_def_init(&d); /* leave a parked one for sure */
    d.id = ++b->next_ix;
    d.queue = quiet;
    d.channel = ORCA_CHANNEL_VOICE;
    TU_OK(orca_interaction_enqueue(e, &d));
    note_ix(b, d.id);
    TU_OK(orca_interaction_callback(e, d.id, ORCA_CHANNEL_CALLBACK,
                                    orca_engine_now(e) + 30000));
    orca_counts n = tu_counts(e);
    assert_true(n.waiting > 0 && n.scheduled > 0);

    orca_stats *s2 = bed_stats(b, &c);
    assert_ptr_equal(stats_find(e), s1);
    COPY(b, s1, s2);
    for (int k = 0; k < 20; k++) {
        steps(b, 30);
        AGREE(b, s1, s2);
    }
    bed_free(b);
}

/* The same over random centres: stats attached after a random start, a
 * random window config, saved after a random stretch, then followed. The
 * loaded stats saved again load the same a second time. */
static void one_seed(uint64_t seed)
{
    bed *b = bed_new(seed);
    static const uint32_t windows[] = { 30000, 60000, 90000, 900000 };
    static const uint32_t slots[] = { 1, 3, 6, 15, 40 };
    static const uint32_t shorts[] = { 0, 2000, ORCA_STATS_NO_SHORT };
    orca_stats_config c = scfg(windows[rnd(&b->rng, 4)], slots[rnd(&b->rng, 5)],
                               shorts[rnd(&b->rng, 3)]);
    centre(b);
    steps(b, (int)rnd(&b->rng, 60));
    orca_stats *s1 = bed_stats(b, &c);
    steps(b, 30 + (int)rnd(&b->rng, 300));
    orca_stats *s2 = bed_stats(b, &c);
    COPY(b, s1, s2);
    for (int k = 0; k < 8; k++) {
        steps(b, (int)rnd(&b->rng, 40));
        AGREE(b, s1, s2);
    }
    orca_stats *s3 = bed_stats(b, &c);
    COPY(b, s2, s3);
    blob x = save(b, s1), y = save(b, s2);
    assert_int_equal(x.n, y.n); /* the same content (maps may list it in other orders) */
    free(x.p);
    free(y.p);
    steps(b, 50);
    AGREE(b, s1, s3);
    bed_free(b);
}

static void test_random(void **state)
{
    (void)state;
    const char *env = getenv("ORCA_STATSAVE_SEEDS");
    uint64_t n = env ? strtoull(env, NULL, 10) : g_slow ? 30 : 300;
    for (uint64_t seed = 1; seed <= n; seed++) {
        g_seed = seed * 7919;
        one_seed(g_seed);
    }
    g_seed = 0;
}

/* A centre with some of everything, small rings (loads in loops). */
static orca_stats *busy_stats(bed *b, const orca_stats_config *c)
{
    centre(b);
    orca_stats *s1 = bed_stats(b, c);
    steps(b, 250);
    /* one waiting in the queue nobody serves, one parked */
    uint64_t now = orca_engine_now(b->e);
    for (int k = 0; k < 2; k++) {
        tu_enqueue(b->e, ++b->next_ix, b->q[NQ - 1], ORCA_CHANNEL_CHAT, 0);
        note_ix(b, b->next_ix);
    }
    TU_OK(orca_interaction_callback(b->e, b->next_ix, ORCA_CHANNEL_CALLBACK, now + 5000));
    orca_counts n = tu_counts(b->e);
    assert_true(n.waiting > 0 && n.scheduled > 0);
    return s1;
}

/* Whether s reads exactly like fresh stats attached now (ref). */
static void fresh_(const orca_stats *s, const char *ref_json, const char *file, int line)
{
    char *j = json_of(s);
    tu_same_text_(ref_json, j, "stats left fresh", file, line);
    free(j);
}
#define FRESH(s, ref) fresh_((s), (ref), __FILE__, __LINE__)

static void test_truncated(void **state)
{
    (void)state;
    bed *b = bed_new(4);
    orca_stats_config c = scfg(60000, 4, 0);
    orca_stats *s1 = busy_stats(b, &c);
    orca_stats *s2 = bed_stats(b, &c), *ref = bed_stats(b, &c);
    char *ref_json = json_of(ref);
    blob bl = save(b, s1);
    size_t live = b->fx.alloc.live_bytes, blocks = b->fx.alloc.live_blocks;
    for (size_t len = 0; len < bl.n; len++) {
        uint8_t *cut = malloc(len ? len : 1); /* so ASan sees any read past it */
        assert_non_null(cut);
        memcpy(cut, bl.p, len);
        int rc = load(s2, cut, len);
        free(cut);
        if (rc != ORCA_ECORRUPT) {
            print_error("length %zu of %zu: %s\n", len, bl.n, tu_rc_name(rc));
            fail();
        }
        assert_int_equal(b->fx.alloc.live_bytes, live);
        assert_int_equal(b->fx.alloc.live_blocks, blocks);
        if (len % 16 == 0)
            FRESH(s2, ref_json);
    }
    FRESH(s2, ref_json);
    TU_OK(load(s2, bl.p, bl.n));
    AGREE(b, s1, s2);
    free(bl.p);
    free(ref_json);
    bed_free(b);
}

/* Each byte flipped three ways: refused (stats left fresh, nothing
 * leaked) or taken; what was taken is read and then fed events. */
static void test_byte_flips(void **state)
{
    (void)state;
    bed *b = bed_new(5);
    orca_stats_config c = scfg(60000, 4, 0);
    orca_stats *s1 = busy_stats(b, &c);
    blob bl = save(b, s1);
    static const uint8_t masks[] = { 0x01, 0x80, 0xff };
    orca_stats *s2 = bed_stats(b, &c), *ref = bed_stats(b, &c);
    char *ref_json = json_of(ref);
    uint32_t taken = 0, refused = 0;
    for (size_t at = 0; at < bl.n; at += g_slow ? 5 : 1)
        for (size_t m = 0; m < sizeof(masks); m++) {
            size_t live = b->fx.alloc.live_bytes;
            bl.p[at] ^= masks[m];
            int rc = load_(s2, bl.p, bl.n, false);
            bl.p[at] ^= masks[m];
            if (rc == ORCA_ECORRUPT) {
                refused++;
                assert_int_equal(b->fx.alloc.live_bytes, live);
                if (at % 8 == 0)
                    FRESH(s2, ref_json);
                continue;
            }
            TU_OK(rc);
            taken++;
            free(json_of(s2));
            entities_agree(b, s2, s2, __FILE__, __LINE__);
            agents_agree(b, s2, s2, __FILE__, __LINE__);
            if (taken % 16 == 0) { /* the listener on what was taken */
                steps(b, 5);
                free(json_of(s2));
                bed_unstats(b, ref); /* no longer fresh */
                ref = bed_stats(b, &c);
                free(ref_json);
                ref_json = json_of(ref);
            }
            bed_unstats(b, s2);
            s2 = bed_stats(b, &c);
        }
    print_message("byte flips over %zu bytes: %u taken, %u refused\n", bl.n, taken, refused);
    assert_true(refused > 0 && taken > 0);
    free(bl.p);
    free(ref_json);
    bed_free(b);
}

/* A few damaged saves made on purpose. */
static void test_bad_fields(void **state)
{
    (void)state;
    bed *b = bed_new(6);
    orca_stats_config c = scfg(60000, 4, 0);
    orca_stats *s1 = busy_stats(b, &c);
    blob bl = save(b, s1);
    orca_stats *s2 = bed_stats(b, &c), *ref = bed_stats(b, &c);
    char *ref_json = json_of(ref);
    static const struct {
        size_t at;
        uint32_t v;
    } cases[] = {
        { 0, 0x33415453u },   /* another tag (version) */
        { 8, 0 },             /* no slots */
        { 8, 241 },           /* more slots than stats can have */
        { 12, 1 },            /* slot_ms != window_ms / nslots */
        { 4, 3 },             /* window shorter than its slots */
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        uint8_t save4[4];
        memcpy(save4, bl.p + cases[k].at, 4);
        uint32_t v = cases[k].v;
        uint8_t le[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
        memcpy(bl.p + cases[k].at, le, 4);
        TU_RC(load(s2, bl.p, bl.n), ORCA_ECORRUPT);
        memcpy(bl.p + cases[k].at, save4, 4);
        FRESH(s2, ref_json);
    }
    /* a huge count right after the header: refused without allocating it */
    wbuf w = { .e = b->e };
    w_u32(&w, 0x31415453u); /* STA1 (0.3's), still read */
    w_u32(&w, 60000);
    w_u32(&w, 4);
    w_u32(&w, 15000);
    w_u32(&w, 5000);
    for (int k = 0; k < 3; k++)
        w_u64(&w, 0);
    w_u32(&w, 0);          /* total: fig */
    w_u32(&w, 0);          /* hist */
    w_u32(&w, UINT32_MAX); /* slots */
    assert_false(w.bad);
    size_t peak = b->fx.alloc.peak_bytes;
    TU_RC(load(s2, w.p, w.n), ORCA_ECORRUPT);
    assert_true(b->fx.alloc.peak_bytes - peak < 1000000);
    w_free(&w);
    FRESH(s2, ref_json);
    /* queues the loader's engine does not have */
    orca_engine *e2;
    orca_stats *o;
    TU_OK(orca_engine_new(NULL, &e2));
    TU_OK(orca_stats_new(e2, &c, &o));
    TU_RC(load(o, bl.p, bl.n), ORCA_ECORRUPT);
    orca_stats_free(o);
    orca_engine_free(e2);
    TU_OK(load(s2, bl.p, bl.n));
    AGREE(b, s1, s2);
    free(bl.p);
    free(ref_json);
    bed_free(b);
}

/* A record of 0.3 (tag STA1: 96 dense buckets, bucket b reading 250 *
 * 2^(b/4) ms) still loads: its waits count in the new buckets holding the
 * old edges. Three waits in old bucket 4 (500 ms) and one in bucket 20
 * (8000 ms): p50 reads 502 ([500, 504)), p99 8032 ([8000, 8064)). A
 * bucket out of order is ORCA_ECORRUPT. */
static void test_v1_record(void **state)
{
    (void)state;
    bed *b = bed_new(7);
    orca_stats_config c = scfg(60000, 4, 0);
    orca_stats *s2 = bed_stats(b, &c);
    for (int bad = 0; bad < 2; bad++) {
        wbuf w = { .e = b->e };
        w_u32(&w, 0x31415453u);
        w_u32(&w, 60000);
        w_u32(&w, 4);
        w_u32(&w, 15000);
        w_u32(&w, 5000);
        w_u64(&w, 0);                       /* start */
        w_u64(&w, orca_engine_now(b->e));   /* now */
        w_u64(&w, 0);                       /* dropped */
        w_u32(&w, 1u << 1);                 /* total: fig, answered only */
        w_u64(&w, 4);
        w_u32(&w, 2);                       /* hist: 2 buckets */
        w_u8(&w, bad ? 20 : 4);
        w_u32(&w, 3);
        w_u8(&w, bad ? 4 : 20);
        w_u32(&w, 1);
        w_u32(&w, 0);                       /* slots */
        w_u32(&w, 0);                       /* channels */
        w_u32(&w, 0);                       /* queues */
        w_u32(&w, 0);                       /* agents */
        w_u32(&w, 0);                       /* waiting */
        assert_false(w.bad);
        if (bad) {
            TU_RC(load(s2, w.p, w.n), ORCA_ECORRUPT);
        } else {
            TU_OK(load(s2, w.p, w.n));
            orca_figures f;
            TU_OK(orca_stats_total(s2, ORCA_SPAN_TOTAL, &f));
            assert_int_equal(f.answered, 4);
            assert_int_equal(f.wait_p50_ms, 502);
            assert_int_equal(f.wait_p99_ms, 8032);
        }
        w_free(&w);
    }
    bed_free(b);
}

/* Allocation failure at each allocation of a load, failing that one or
 * every one from it on: ORCA_ENOMEM, the stats left fresh, nothing leaked,
 * and the load then succeeds. */
static void test_alloc_failures(void **state)
{
    (void)state;
    bed *b = bed_new(7);
    orca_stats_config c = scfg(60000, 4, 0);
    orca_stats *s1 = busy_stats(b, &c);
    blob bl = save(b, s1);
    tu_alloc *a = &b->fx.alloc;
    for (int after = 0; after <= 1; after++) {
        uint64_t nth;
        for (nth = 1;; nth++) {
            orca_stats *s2 = bed_stats(b, &c), *ref = bed_stats(b, &c);
            char *ref_json = json_of(ref);
            size_t live = a->live_bytes, blocks = a->live_blocks;
            a->fail_at = a->attempts + nth;
            a->fail_after = after;
            int rc = load(s2, bl.p, bl.n);
            a->fail_at = 0;
            a->fail_after = 0;
            if (rc == ORCA_OK) {
                AGREE(b, s1, s2);
                free(ref_json);
                bed_unstats(b, s2);
                bed_unstats(b, ref);
                break;
            }
            TU_RC(rc, ORCA_ENOMEM);
            assert_int_equal(a->live_bytes, live);
            assert_int_equal(a->live_blocks, blocks);
            FRESH(s2, ref_json);
            TU_OK(load(s2, bl.p, bl.n));
            AGREE(b, s1, s2);
            free(ref_json);
            bed_unstats(b, s2);
            bed_unstats(b, ref);
        }
        print_message("load: %llu allocations (fail_after %d)\n",
                      (unsigned long long)nth - 1, after);
        assert_true(nth > 10);
    }
    /* saving into a growing buffer whose growth fails: bad, no leak */
    size_t live = a->live_bytes;
    wbuf w = { .e = b->e };
    a->fail_at = a->attempts + 2;
    a->fail_after = 1;
    stats_save(s1, &w);
    a->fail_at = 0;
    a->fail_after = 0;
    assert_true(w.bad);
    w_free(&w);
    assert_int_equal(a->live_bytes, live);
    /* and into a fixed buffer too small */
    uint8_t small[64];
    wbuf f = { .p = small, .cap = sizeof(small) };
    stats_save(s1, &f);
    assert_true(f.bad);
    free(bl.p);
    bed_free(b);
}

/* A save whose window config differs from the loader's: s3 (2 minutes, 4
 * slots) loads s1's (1 minute, 6 slots). The since-start figures, agents
 * and waiting work are s1's, the window is empty; s4, of s3's config and
 * attached from the start, reads the same as s3 once a whole window has
 * passed. Then the short-abandon threshold alone differing. */
static void test_config_mismatch(void **state)
{
    (void)state;
    bed *b = bed_new(8);
    orca_stats_config ca = scfg(60000, 6, 3000), cb = scfg(120000, 4, 3000);
    centre(b);
    orca_stats *s1 = bed_stats(b, &ca), *s4 = bed_stats(b, &cb);
    steps(b, 300);
    orca_stats *s3 = bed_stats(b, &cb);
    blob bl = save(b, s1);
    TU_OK(load(s3, bl.p, bl.n));
    orca_figures fa, fb;
    TU_OK(orca_stats_total(s1, ORCA_SPAN_TOTAL, &fa));
    TU_OK(orca_stats_total(s3, ORCA_SPAN_TOTAL, &fb));
    fig_same(&fa, &fb, "total since start", __FILE__, __LINE__);
    assert_true(fa.entered > 0 && fa.answered > 0);
    for (uint32_t k = 0; k < NQ; k++) {
        TU_OK(orca_stats_queue(s1, b->q[k], ORCA_SPAN_TOTAL, &fa));
        TU_OK(orca_stats_queue(s3, b->q[k], ORCA_SPAN_TOTAL, &fb));
        fig_same(&fa, &fb, "queue since start", __FILE__, __LINE__);
        TU_OK(orca_stats_queue(s3, b->q[k], ORCA_SPAN_WINDOW, &fb));
        assert_int_equal(fb.entered + fb.answered + fb.offers + fb.handled, 0);
        assert_int_equal(fb.waiting, fa.waiting);
    }
    for (uint64_t id = 1; id <= b->next_agent; id++) {
        orca_agent_figures x, y;
        TU_OK(orca_stats_agent(s1, id, ORCA_SPAN_TOTAL, &x));
        TU_OK(orca_stats_agent(s3, id, ORCA_SPAN_TOTAL, &y));
        agent_same(&x, &y, "agent since start", __FILE__, __LINE__);
        TU_OK(orca_stats_agent(s3, id, ORCA_SPAN_WINDOW, &y));
        assert_int_equal(y.offers + y.accepted + y.handled, 0);
    }
    TU_OK(orca_stats_total(s3, ORCA_SPAN_WINDOW, &fb));
    assert_int_equal(fb.entered + fb.answered + fb.offers + fb.handled, 0);
    /* a whole window (and a slot) later, s3 is s4 */
    uint64_t until = orca_engine_now(b->e) + 150000;
    while (orca_engine_now(b->e) < until)
        step(b);
    steps(b, 20);
    AGREE(b, s3, s4);

    /* only short_abandon_ms differs: the window starts empty too */
    orca_stats_config cs = scfg(60000, 6, 9000);
    orca_stats *s5 = bed_stats(b, &cs);
    free(bl.p);
    bl = save(b, s1);
    TU_OK(load(s5, bl.p, bl.n));
    TU_OK(orca_stats_total(s1, ORCA_SPAN_TOTAL, &fa));
    TU_OK(orca_stats_total(s5, ORCA_SPAN_TOTAL, &fb));
    fig_same(&fa, &fb, "total since start", __FILE__, __LINE__);
    TU_OK(orca_stats_total(s5, ORCA_SPAN_WINDOW, &fb));
    assert_int_equal(fb.entered + fb.answered + fb.offers + fb.handled, 0);
    free(bl.p);
    bed_free(b);
}

/* Stats that lost events to memory running out inside their listener
 * (queues and agents they have no record of, work waiting on fewer lists,
 * orca_stats_dropped) are saved and loaded as they are. */
static void test_dropped(void **state)
{
    (void)state;
    bed *b = bed_new(10);
    orca_engine *e = b->e;
    TU_OK(orca_listener_add(e, arm_fn, b, NULL));
    orca_stats *s1 = bed_stats(b, NULL);
    TU_OK(orca_listener_add(e, disarm_fn, b, NULL));
    centre(b);
    steps(b, 100);
    b->arm = 1;
    orca_queue_id late[9];
    for (uint32_t j = 0; j <= 8; j++) {
        orca_queue_def d;
        orca_queue_def_init(&d);
        char name[16];
        snprintf(name, sizeof(name), "late%u", j);
        d.name = name;
        b->mask = ~0ull; /* no record of the queue */
        orca_queue_id q = late[j] = tu_queue_def(e, &d);
        if (j == 0)
            agent_add(b); /* nor of this agent */
        /* then the queue's record fails at the enqueue's counters, and
         * the jth allocation after: the work may be listed without it */
        b->mask = 1ull | 1ull << j;
        for (int k = 0; k < 2; k++) {
            tu_enqueue(e, ++b->next_ix, q, ORCA_CHANNEL_EMAIL, 0);
            note_ix(b, b->next_ix);
        }
    }
    b->arm = 0;
    for (uint32_t j = 0; j <= 8; j++) { /* the queues get their records now */
        tu_enqueue(e, ++b->next_ix, late[j], ORCA_CHANNEL_SMS, 0);
        note_ix(b, b->next_ix);
    }
    steps(b, 50);
    print_message("dropped %llu\n", (unsigned long long)orca_stats_dropped(s1));
    assert_true(orca_stats_dropped(s1) > 0);
    orca_stats *s2 = bed_stats(b, NULL);
    COPY(b, s1, s2);
    for (int k = 0; k < 10; k++) {
        steps(b, 30);
        AGREE(b, s1, s2);
    }
    bed_free(b);
}

int main(void)
{
    tu_filter_from_env();
    const char *pre = getenv("LD_PRELOAD");
    g_slow = pre && strstr(pre, "valgrind");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_find, teardown),
        cmocka_unit_test_teardown(test_empty, teardown),
        cmocka_unit_test_teardown(test_scripted, teardown),
        cmocka_unit_test_teardown(test_random, teardown),
        cmocka_unit_test_teardown(test_truncated, teardown),
        cmocka_unit_test_teardown(test_byte_flips, teardown),
        cmocka_unit_test_teardown(test_bad_fields, teardown),
        cmocka_unit_test_teardown(test_v1_record, teardown),
        cmocka_unit_test_teardown(test_alloc_failures, teardown),
        cmocka_unit_test_teardown(test_config_mismatch, teardown),
        cmocka_unit_test_teardown(test_dropped, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
