/*
 * simcore.h: the simulation core shared by examples/simulate.c and
 * tests/test_fidelity.c. Header-only (static functions), so both programs
 * compile the same code and the library carries no simulator.
 *
 *  - sc_rng: splitmix64, and the distributions the simulations draw from
 *    (uniform, exponential, lognormal by mean and coefficient of variation).
 *  - sc_heap: the host's own future events, a binary min-heap on (time,
 *    insertion order), so equal times keep their order and a seed replays a
 *    run exactly.
 *  - sc_fidelity_*: the M/M/n (Erlang C) and M/M/n+M (Erlang A) experiment.
 *    One queue served by one skill held by n agents, longest idle first, each
 *    offer accepted at once from inside the channel's offer callback, no
 *    wrap-up; Poisson arrivals, exponential handle times and (Erlang A)
 *    exponential patience, abandonment through orca_interaction_abandon().
 *    Independent replications with their own seeds give the means and 95%
 *    confidence intervals (Student t), set next to orca_erlang_c() /
 *    orca_erlang_a().
 *
 * The fidelity runs count the engine's clock in microseconds (the engine
 * does not care what its unit is): times drawn in seconds are rounded to
 * 1 us, so rounding and ties between an arrival and a completion at the
 * same instant (which would decide whether that arrival waits) are about
 * 1e-6 of a typical gap, far below the statistical error. The day
 * simulation (simulate.c) uses milliseconds like any host.
 */
#ifndef ORCA_SIMCORE_H
#define ORCA_SIMCORE_H

#include <orca.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- random numbers ------------------------------------------------------- */

typedef struct sc_rng {
    uint64_t s;
} sc_rng;

static inline uint64_t sc_next(sc_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in (0, 1): never 0, so log() is always finite. */
static inline double sc_uniform(sc_rng *r)
{
    return (double)(sc_next(r) >> 11) * 0x1p-53 + 0x1p-54;
}

static inline double sc_expo(sc_rng *r, double mean)
{
    return -mean * log(sc_uniform(r));
}

/* Standard normal (Box-Muller; one of the pair is dropped, for simplicity
 * of replay). */
static inline double sc_normal(sc_rng *r)
{
    return sqrt(-2 * log(sc_uniform(r))) * cos(6.283185307179586 * sc_uniform(r));
}

/* Lognormal with the given mean and coefficient of variation (sd / mean):
 * sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2. */
static inline double sc_lognormal(sc_rng *r, double mean, double cv)
{
    double s2 = log1p(cv * cv);
    return exp(log(mean) - s2 / 2 + sqrt(s2) * sc_normal(r));
}

/* ---- the host's event heap ---------------------------------------------- */

typedef struct sc_ev {
    uint64_t t, seq, id;
    uint32_t kind, arg;
} sc_ev;

typedef struct sc_heap {
    sc_ev *a;
    size_t n, cap;
    uint64_t seq;
} sc_heap;

static inline int sc_before(const sc_ev *x, const sc_ev *y)
{
    return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static inline void sc_push(sc_heap *h, uint64_t t, uint32_t kind, uint64_t id, uint32_t arg)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 1024;
        sc_ev *p = realloc(h->a, cap * sizeof *p);
        if (!p) {
            fprintf(stderr, "simcore: out of memory\n");
            exit(1);
        }
        h->a = p;
        h->cap = cap;
    }
    sc_ev x = { t, ++h->seq, id, kind, arg };
    size_t i = h->n++;
    while (i > 0 && sc_before(&x, &h->a[(i - 1) / 2])) {
        h->a[i] = h->a[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->a[i] = x;
}

static inline sc_ev sc_pop(sc_heap *h)
{
    sc_ev top = h->a[0], x = h->a[--h->n];
    size_t i = 0, c;
    while ((c = 2 * i + 1) < h->n) {
        if (c + 1 < h->n && sc_before(&h->a[c + 1], &h->a[c]))
            c++;
        if (!sc_before(&h->a[c], &x))
            break;
        h->a[i] = h->a[c];
        i = c;
    }
    h->a[i] = x;
    return top;
}

static inline void sc_heap_free(sc_heap *h)
{
    free(h->a);
    memset(h, 0, sizeof *h);
}

/* ---- statistics ----------------------------------------------------------- */

/* Student t quantile t(0.975, df), for 95% two-sided intervals. */
static inline double sc_t975(int df)
{
    static const double t[] = { 0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
                                2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
                                2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069,
                                2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042 };
    if (df < 1)
        return INFINITY;
    if (df <= 30)
        return t[df];
    if (df <= 40)
        return 2.021;
    if (df <= 60)
        return 2.000;
    if (df <= 120)
        return 1.980;
    return 1.960;
}

/* Mean and 95% half-width of x[0..n). */
static inline void sc_mean_ci(const double *x, int n, double *mean, double *ci95)
{
    double m = 0, v = 0;
    for (int i = 0; i < n; i++)
        m += x[i];
    m /= n;
    for (int i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    *mean = m;
    *ci95 = n > 1 ? sc_t975(n - 1) * sqrt(v / (n - 1) / n) : INFINITY;
}

/* ---- fidelity: M/M/n and M/M/n+M on the real engine ---------------------- */

typedef enum sc_model { SC_ERLANG_C = 0, SC_ERLANG_A = 1 } sc_model;

typedef struct sc_fid_cfg {
    sc_model model;
    uint32_t agents;
    double arrivals_per_s;
    double handle_s;       /* mean, exponential */
    double patience_s;     /* mean, exponential (Erlang A only) */
    double target_s;       /* service-level target */
    double warmup_s;       /* simulated, then discarded, per replication */
    double measure_s;      /* arrivals in [warmup, warmup + measure) count */
    int replications;
    uint64_t seed;
} sc_fid_cfg;

/* One replication's counts, over the arrivals of its measured window. */
typedef struct sc_fid_rep {
    uint64_t arrivals, waited, answered, abandoned, in_target;
    double wait_sum_s;     /* of answered arrivals */
    uint64_t events;       /* host events handled */
} sc_fid_rep;

typedef struct sc_fid_result {
    double pwait, pwait_ci, asa_s, asa_ci, sl, sl_ci, pab, pab_ci;
    orca_erlang theory;
    int theory_rc;
    uint64_t arrivals;     /* measured, over every replication */
    uint64_t unresolved;   /* measured arrivals neither answered nor
                              abandoned at the end: must be 0 */
    uint64_t events;
} sc_fid_result;

#define SC_US 1000000.0    /* engine clock units per second in fidelity runs */

enum { SC_ARRIVE = 1, SC_END = 2, SC_GIVE_UP = 3 };

typedef struct sc_fid_run {
    const sc_fid_cfg *cfg;
    orca_engine *e;
    sc_rng rng;
    sc_heap heap;
    uint64_t from_us, to_us, target_us;
    uint64_t last_offered;
    int failed;
    sc_fid_rep rep;
} sc_fid_run;

static inline uint64_t sc_us(double s)
{
    return (uint64_t)llround(s * SC_US);
}

static inline int sc_measured(const sc_fid_run *r, uint64_t arrival)
{
    return arrival >= r->from_us && arrival < r->to_us;
}

/* The agent takes the offer at once; the conversation lasts an
 * exponential time. */
static inline void sc_fid_offer(void *data, const orca_offer *o)
{
    sc_fid_run *r = data;
    r->last_offered = o->interaction;
    if (orca_offer_accept(r->e, o->interaction) != ORCA_OK) {
        r->failed = 1;
        return;
    }
    sc_push(&r->heap, o->offered_ms + sc_us(sc_expo(&r->rng, r->cfg->handle_s)), SC_END,
            o->interaction, 0);
    if (sc_measured(r, o->arrival_ms)) {
        uint64_t wait = o->offered_ms - o->arrival_ms;
        r->rep.answered++;
        r->rep.wait_sum_s += (double)wait / SC_US;
        r->rep.in_target += wait <= r->target_us;
    }
}

#define SC_TRY(r, call) do { if ((call) != ORCA_OK) { (r)->failed = 1; goto done; } } while (0)

/* Run one replication with its own engine and seed. 0, or -1 if an engine
 * call failed (which is a bug: the test fails on it). */
static inline int sc_fidelity_rep(const sc_fid_cfg *cfg, uint64_t seed, sc_fid_rep *out)
{
    sc_fid_run r;
    memset(&r, 0, sizeof r);
    memset(out, 0, sizeof *out);
    r.cfg = cfg;
    r.rng.s = seed;
    r.from_us = sc_us(cfg->warmup_s);
    r.to_us = sc_us(cfg->warmup_s + cfg->measure_s);
    r.target_us = sc_us(cfg->target_s);

    orca_config ec;
    orca_config_init(&ec);
    ec.seed = seed;
    ec.offer_timeout_ms = UINT32_MAX; /* never: offers are accepted at once */
    if (orca_engine_new(&ec, &r.e) != ORCA_OK)
        return -1;
    orca_channel_callbacks cb = { .offer = sc_fid_offer, .withdraw = NULL };
    orca_skill_id sk;
    orca_queue_id q;
    SC_TRY(&r, orca_channel_set_callbacks(r.e, ORCA_CHANNEL_VOICE, &cb, &r));
    SC_TRY(&r, orca_channel_set_wrapup(r.e, ORCA_CHANNEL_VOICE, 0));
    SC_TRY(&r, orca_skill_intern(r.e, "line", &sk));
    orca_skill_level need = { sk, 1 };
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "mmn";
    qd.strategy = ORCA_STRATEGY_LONGEST_IDLE;
    qd.serve = ORCA_SERVE_SKILLS;
    qd.skills = &need;
    qd.nskills = 1;
    qd.wrapup_ms = 0;
    SC_TRY(&r, orca_queue_add(r.e, &qd, &q));
    orca_channel_limit lim = { ORCA_CHANNEL_VOICE, 1 };
    for (uint32_t i = 1; i <= cfg->agents; i++) {
        orca_agent_def ad;
        orca_agent_def_init(&ad);
        ad.id = i;
        ad.skills = &need;
        ad.nskills = 1;
        ad.limits = &lim;
        ad.nlimits = 1;
        SC_TRY(&r, orca_agent_add(r.e, &ad));
        SC_TRY(&r, orca_agent_set_presence(r.e, i, ORCA_PRESENCE_READY, 0));
    }

    uint64_t next_id = 0;
    sc_push(&r.heap, sc_us(sc_expo(&r.rng, 1 / cfg->arrivals_per_s)), SC_ARRIVE, 0, 0);
    while (r.heap.n && !r.failed) {
        sc_ev ev = sc_pop(&r.heap);
        r.rep.events++;
        SC_TRY(&r, orca_engine_advance(r.e, ev.t));
        switch (ev.kind) {
        case SC_ARRIVE: {
            uint64_t id = ++next_id;
            int counted = sc_measured(&r, ev.t);
            orca_interaction_def d;
            orca_interaction_def_init(&d);
            d.id = id;
            d.queue = q;
            d.channel = ORCA_CHANNEL_VOICE;
            r.last_offered = 0;
            SC_TRY(&r, orca_interaction_enqueue(r.e, &d));
            int waits = r.last_offered != id;
            if (counted) {
                r.rep.arrivals++;
                r.rep.waited += (uint64_t)waits;
            }
            if (waits && cfg->model == SC_ERLANG_A)
                sc_push(&r.heap, ev.t + sc_us(sc_expo(&r.rng, cfg->patience_s)), SC_GIVE_UP,
                        id, 0);
            uint64_t next = ev.t + sc_us(sc_expo(&r.rng, 1 / cfg->arrivals_per_s));
            if (next < r.to_us)
                sc_push(&r.heap, next, SC_ARRIVE, 0, 0);
            break;
        }
        case SC_END:
            SC_TRY(&r, orca_interaction_end(r.e, ev.id));
            break;
        case SC_GIVE_UP: {
            orca_interaction_info in;
            if (orca_interaction_info_get(r.e, ev.id, &in) == ORCA_OK &&
                in.state == ORCA_STATE_WAITING) {
                SC_TRY(&r, orca_interaction_abandon(r.e, ev.id));
                if (sc_measured(&r, in.arrival_ms))
                    r.rep.abandoned++;
            }
            break;
        }
        default:
            break;
        }
    }
done:
    orca_engine_free(r.e);
    sc_heap_free(&r.heap);
    *out = r.rep;
    return r.failed ? -1 : 0;
}

/* The library's own figures for this configuration. */
static inline int sc_fidelity_theory(const sc_fid_cfg *cfg, orca_erlang *th)
{
    if (cfg->model == SC_ERLANG_A)
        return orca_erlang_a(cfg->agents, cfg->arrivals_per_s, cfg->handle_s, cfg->patience_s,
                             cfg->target_s, th);
    return orca_erlang_c(cfg->agents, cfg->arrivals_per_s, cfg->handle_s, cfg->target_s, th);
}

/* Seed of replication k: spread by splitmix64 so replications are
 * independent streams. */
static inline uint64_t sc_rep_seed(uint64_t seed, int k)
{
    sc_rng g = { seed ^ ((uint64_t)(k + 1) * 0xD1B54A32D192ED03ull) };
    return sc_next(&g);
}

/* All replications; per-replication estimates pwait = waited / arrivals,
 * sl = answered within target / arrivals, pab = abandoned / arrivals,
 * asa = mean wait of answered; then mean and 95% interval across them. */
static inline int sc_fidelity(const sc_fid_cfg *cfg, sc_fid_result *res)
{
    int n = cfg->replications;
    double *x = calloc((size_t)n * 4, sizeof *x);
    if (!x)
        return -1;
    memset(res, 0, sizeof *res);
    int rc = 0;
    for (int k = 0; k < n && rc == 0; k++) {
        sc_fid_rep rep;
        rc = sc_fidelity_rep(cfg, sc_rep_seed(cfg->seed, k), &rep);
        double arr = rep.arrivals ? (double)rep.arrivals : 1;
        x[k] = (double)rep.waited / arr;
        x[n + k] = rep.answered ? rep.wait_sum_s / (double)rep.answered : 0;
        x[2 * n + k] = (double)rep.in_target / arr;
        x[3 * n + k] = (double)rep.abandoned / arr;
        res->arrivals += rep.arrivals;
        res->unresolved += rep.arrivals - rep.answered - rep.abandoned;
        res->events += rep.events;
    }
    if (rc == 0) {
        sc_mean_ci(x, n, &res->pwait, &res->pwait_ci);
        sc_mean_ci(x + n, n, &res->asa_s, &res->asa_ci);
        sc_mean_ci(x + 2 * n, n, &res->sl, &res->sl_ci);
        sc_mean_ci(x + 3 * n, n, &res->pab, &res->pab_ci);
        res->theory_rc = sc_fidelity_theory(cfg, &res->theory);
    }
    free(x);
    return rc;
}

#endif /* ORCA_SIMCORE_H */
