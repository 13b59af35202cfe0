/*
 * bench.c: orca's bench harness (conventions: /work/shared/docs/BENCH.md).
 *
 * For each centre (agents x waiting interactions, skill catalogue, workload
 * from bench/workload.c) and strategy, it builds the centre in orca, keeps
 * it at that size, and times every routing decision with CLOCK_MONOTONIC
 * around the one public call that makes it:
 *   arrival  orca_interaction_enqueue() of a new interaction: the router
 *            finds the best ready agent (or decides none fits) and offers;
 *   release  orca_interaction_end() of a random busy interaction (the queue
 *            has wrap-up 0, so it completes): capacity is freed and the
 *            router offers that agent the best waiting work it can take.
 * The channel offer callback only notes the offer; the harness accepts it
 * right after the timed call. Calls alternate arrival, release, so the live
 * interaction count stays put; the harness also keeps the waiting count
 * within 1% of the stated size (the longest-waiting customer abandons, or
 * one more arrives; untimed).
 *
 * Building: agents are added and made READY (bytes per agent), set
 * NOT_READY, the stated number of interactions is enqueued (bytes per
 * interaction), agents are made READY again (each fills its capacity from
 * the waiting work) and more interactions arrive until the stated number
 * wait again. Memory is counted through orca_config.alloc:
 * (live bytes after - live bytes before) / count. As BENCH.md says, every
 * class the workload uses is built before the agents are counted (its
 * per-agent links are the agents'), so the interaction figure is the
 * interactions' own (on the adversarial workload each interaction's class
 * is its own, and is counted with it).
 *
 * The peers, each our own code written from the peer's documented selection
 * logic, are loaded with the decisions orca made during the build and then
 * driven through the identical sequence of calls:
 *   app_queue_style       (bench/peer_app_queue.c) linear pass over every
 *                         member with the strategy; same rules as orca;
 *   opensips_style        (bench/peer_opensips.c) first free agent holding
 *                         the skills, list walk; it cannot honour the
 *                         strategies, so only its timings are reported;
 *   mod_callcenter_style  (bench/peer_mod_callcenter.c) the selection as SQL
 *                         queries over agents, tiers, agent_skills and
 *                         members in an in-memory SQLite database; same
 *                         rules as orca.
 * A peer that follows orca's rules must make the same offers, and the first
 * disagreement is reported. Each router runs within a time budget per run:
 * one that could not do every call is reported with the number it did
 * ("measured on fewer calls", marked *), never skipped. A centre orca cannot
 * even build within the build budget is reported as not measured.
 *
 * Figures per router and direction: the median over --runs consecutive runs
 * of each run's median, p99 and p99.9 (nearest rank over that run's calls)
 * and of its decisions/s (calls / time spent inside the timed calls).
 *
 * The default run covers 1k x 10k, 10k x 100k and 100k x 1M (agents x
 * waiting) with 50 and 500 skills (zipf), the adversarial row at the two
 * smaller sizes, and all six strategies on zipf 10k x 100k 50 skills
 * (longest_idle elsewhere; --all-strategies: all six everywhere). After the
 * table and the headline (orca's speedup over each peer), GROWTH shows each
 * router's median and p99 per size for the zipf centres at longest_idle,
 * the ratio per 10x step in size, and a verdict computed from them against
 * log growth (log N2 / log N1 per step, N = agents + waiting) and linear
 * growth (x10 per step).
 *
 * CONTINUITY (orca only; the peers have no customer context or sticky
 * routing): on the zipf 10k x 100k 50-skill centre (with --smoke, on its
 * zipf centre) the same workload again in three engines built alike, their
 * runs interleaved: plain (no customer named), customers (every interaction
 * names a customer: 30% returning, the customer of one of the previous
 * 2 x waiting arrivals; conversations for some; orca's default customer
 * config) and sticky (the same, the queue's sticky_ms 60 s on the virtual
 * clock, which moves 1 ms per arrival+release pair). Rows `zipf_customers`
 * and `zipf_sticky`; the printout gives the ratios to plain, the share of
 * arrivals held for their last agent and what became of them
 * (orca_customer_totals_get, and the host's view through
 * orca_interaction_info_get, untimed). Then MEMORY PER CUSTOMER KEPT: live
 * bytes of K idle customers with history, / K, for history_per_customer 1,
 * 8 and 64, and the bound max_customers x that (printed only: no CSV
 * column is per customer).
 *
 *   orca-bench [--smoke] [--large] [--all-strategies] [--seed N] [--runs N]
 *              [--calls N] [--warmup N] [--peer-budget SEC] [--orca-budget SEC]
 *              [--build-budget SEC] [--peers LIST] [--no-peer] [--agents N] [--skills N]
 *              [--workload zipf|adversarial] [--check] [--no-continuity]
 *              [--continuity-only] [--out FILE]
 *
 * Prints a table and writes bench/results/latest.csv (bench/results/smoke.csv
 * with --smoke) with the columns of BENCH.md; figures that do not apply are
 * left empty. `classes` is the size of the requirement-set catalogue, or for
 * the adversarial workload the number of distinct sets among the
 * interactions the build enqueued. Exit status 3 if orca and the reference
 * router disagree or orca_engine_check() fails; timings never fail a run.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "journal_bench.h"
#include "timers_bench.h"
#include "orca.h"
#include "peer_app_queue.h"
#include "peer_mod_callcenter.h"
#include "peer_opensips.h"
#include "workload.h"

#define CSV_HEADER "router,workload,agents,waiting,skills,classes,strategy,direction," \
                   "calls,median_ns,p99_ns,p999_ns,decisions_per_s,bytes_per_agent," \
                   "bytes_per_interaction"

/* ------------------------------------------------------------------------ */
/* Options and the list of centres                                          */
/* ------------------------------------------------------------------------ */

/* The peers, in the order of peer_kinds[] (bench/peer_*.c). */
enum { PEER_APP_QUEUE, PEER_OPENSIPS, PEER_MOD_CALLCENTER, NPEERS };
#define PEERS_ALL ((1u << NPEERS) - 1)

typedef struct opts {
    uint64_t seed;
    int smoke, large, all_strategies, check;
    unsigned peers;            /* bit i: peer_kinds[i] runs */
    int runs;
    uint32_t calls;            /* timed calls per direction per run */
    uint32_t warmup;           /* untimed arrival+release pairs first */
    double peer_budget_s;      /* per run, both directions; < 0: each peer's own */
    double budget[NPEERS];     /* the budget each peer gets */
    double orca_budget_s;      /* the same for orca */
    double build_budget_s;     /* building one centre in orca */
    uint32_t only_agents;      /* 0: every size */
    uint32_t only_skills;      /* 0: every catalogue */
    const char *only_workload; /* NULL: both */
    const char *out;
    int continuity;            /* 0 none, 1 also (default), 2 only */
    int journal;               /* 0 none, 1 also (default), 2 only */
    int warmup_auto;           /* --warmup not given */
} opts;

typedef struct spec {
    const char *workload;
    int adversarial;
    uint32_t agents, waiting, skills, classes;
    int every_strategy;        /* all six strategies even without --all-strategies */
    int continuity;            /* also the continuity measurement (orca only) */
    int variant;               /* 0; CV_CUSTOMERS / CV_STICKY: a continuity row */
} spec;

/* The default run: every size issue 3 names (1k x 10k, 10k x 100k,
 * 100k x 1M) with 50 and 500 skills, zipf; the adversarial row at the two
 * smaller sizes; all six strategies on the zipf 10k x 100k 50-skill centre
 * (the others at longest_idle unless --all-strategies). From 10k agents up
 * the catalogue stays at 200 / 2,000 sets, so the 10k -> 100k step changes
 * the size only. */
static const spec default_specs[] = {
    {"zipf", 0, 1000, 10000, 50, 20, 0, 0, 0},
    {"zipf", 0, 1000, 10000, 500, 200, 0, 0, 0},
    {"adversarial", 1, 1000, 10000, 50, 0, 0, 0, 0},
    {"zipf", 0, 10000, 100000, 50, 200, 1, 1, 0},
    {"zipf", 0, 10000, 100000, 500, 2000, 0, 0, 0},
    {"adversarial", 1, 10000, 100000, 500, 0, 0, 0, 0},
    {"zipf", 0, 100000, 1000000, 50, 200, 0, 0, 0},
    {"zipf", 0, 100000, 1000000, 500, 2000, 0, 0, 0},
};

/* --large: the adversarial centre at 100k x 1M too (orca alone takes
 * minutes to build it: every interaction brings its own class). */
static const spec large_specs[] = {
    {"adversarial", 1, 100000, 1000000, 500, 0, 0, 0, 0},
};

static const spec smoke_specs[] = {
    {"zipf", 0, 200, 2000, 50, 20, 0, 1, 0},
    {"adversarial", 1, 200, 2000, 50, 0, 0, 0, 0},
};

static const char *const strategy_name[] = {
    "longest_idle", "least_occupied", "most_proficient",
    "round_robin", "fewest_handled", "weighted_random",
};
#define NSTRATEGIES 6

/* ------------------------------------------------------------------------ */
/* Small utilities                                                          */
/* ------------------------------------------------------------------------ */

static void die(const char *fmt, const char *what, int rc)
{
    fprintf(stderr, "orca-bench: ");
    fprintf(stderr, fmt, what);
    if (rc != 0)
        fprintf(stderr, ": %s (%d)", orca_strerror(rc), rc);
    fputc('\n', stderr);
    exit(1);
}

static void *xgrow(void *p, size_t *cap, size_t need, size_t elsize)
{
    if (need <= *cap)
        return p;
    void *q = bench_grow(NULL, p, cap, need, elsize, 1024);
    if (q == NULL)
        die("%s", "out of memory", 0);
    return q;
}

static double secs_since(uint64_t t0)
{
    return (double)(bench_now_ns() - t0) / 1e9;
}

/* ------------------------------------------------------------------------ */
/* The host's side of one router                                            */
/* ------------------------------------------------------------------------ */

/*
 * What the host application knows, kept the same way for orca and the peer:
 * offers to accept, busy work to end, which interactions still wait. It also
 * keeps the centre at its stated size: after each arrival+release pair, while
 * more than 1% above the stated number wait, the one waiting longest abandons
 * (customers hang up); while more than 1% below, another interaction arrives.
 * Both are untimed and depend only on the state, so a router that makes the
 * same decisions sees the same sequence of calls; corrections are rare unless
 * the workload drifts.
 */

typedef struct offer_rec {
    uint64_t iid, agent;
    uint32_t handle;
    uint8_t channel;
} offer_rec;

typedef struct busy_ent {
    uint64_t iid;
    uint32_t handle;
    uint8_t channel;
} busy_ent;

/* What one call decided, for the orca / peer agreement check. */
typedef struct decision {
    uint64_t digest;           /* of every (interaction, agent) offered */
    uint64_t iid, agent;       /* the first offer, 0 if none */
    uint32_t noffers;
    char kind;                 /* 'a' arrival, 'r' release, 'x' extra arrival */
} decision;

enum { K_GONE = 0, K_WAITING = 1, K_TAKEN = 2 };

typedef struct host {
    offer_rec *pend;
    size_t npend, cappend;
    busy_ent *busy;
    size_t nbusy, capbusy;
    uint8_t *kstate;           /* per interaction of the stream: K_* */
    uint32_t *khandle;         /* per interaction: the router's handle */
    size_t capk, capkh;
    uint64_t next_k;           /* next interaction of the stream */
    uint64_t oldest_k;         /* no interaction before it waits */
    uint64_t now;              /* the virtual clock (ms) */
    uint64_t rng;              /* which busy interaction ends next */
    int64_t waiting;
    uint64_t units;            /* capacity units in use */
    uint64_t abandoned, extra; /* size control so far */
    decision *dec;
    size_t ndec, capdec;
    int recording;
    char draining;             /* the kind of call whose offers are accepted */
} host;

static void host_free(host *h)
{
    free(h->pend);
    free(h->busy);
    free(h->kstate);
    free(h->khandle);
    free(h->dec);
    memset(h, 0, sizeof *h);
}

static void host_push_offer(host *h, uint64_t iid, uint64_t agent, uint32_t handle,
                            uint8_t channel)
{
    h->pend = xgrow(h->pend, &h->cappend, h->npend + 1, sizeof *h->pend);
    h->pend[h->npend++] = (offer_rec){iid, agent, handle, channel};
}

/* Interaction k was just enqueued (handle: the router's name for it). */
static void host_note_enqueue(host *h, uint64_t k, uint32_t handle)
{
    h->kstate = xgrow(h->kstate, &h->capk, k + 1, sizeof *h->kstate);
    h->khandle = xgrow(h->khandle, &h->capkh, k + 1, sizeof *h->khandle);
    h->kstate[k] = K_WAITING;
    h->khandle[k] = handle;
    h->waiting++;
}

static void host_push_busy(host *h, const offer_rec *o)
{
    h->busy = xgrow(h->busy, &h->capbusy, h->nbusy + 1, sizeof *h->busy);
    h->busy[h->nbusy++] = (busy_ent){o->iid, o->handle, o->channel};
    h->kstate[o->iid - 1] = K_TAKEN;
    h->waiting--;
    h->units += wl_channel_cost[o->channel];
}

static busy_ent host_pick_victim(host *h)
{
    if (h->nbusy == 0)
        die("%s", "no busy interaction left to end (the centre drained)", 0);
    size_t j = bench_below(&h->rng, (uint32_t)h->nbusy);
    busy_ent v = h->busy[j];
    h->busy[j] = h->busy[--h->nbusy];
    h->units -= wl_channel_cost[v.channel];
    h->kstate[v.iid - 1] = K_GONE;
    return v;
}

/* The interaction waiting longest (smallest k still waiting). */
static uint64_t host_oldest_waiting(host *h)
{
    while (h->oldest_k < h->next_k && h->kstate[h->oldest_k] != K_WAITING)
        h->oldest_k++;
    if (h->oldest_k == h->next_k)
        die("%s", "size control: nothing waits", 0);
    return h->oldest_k;
}

static void host_record(host *h, char kind)
{
    if (!h->recording)
        return;
    decision d = {0, 0, 0, (uint32_t)h->npend, kind};
    for (size_t i = 0; i < h->npend; i++) {
        uint64_t s = d.digest ^ (h->pend[i].iid * 0x9e3779b97f4a7c15ull) ^ h->pend[i].agent;
        d.digest = bench_splitmix64(&s);
    }
    if (h->npend > 0) {
        d.iid = h->pend[0].iid;
        d.agent = h->pend[0].agent;
    }
    h->dec = xgrow(h->dec, &h->capdec, h->ndec + 1, sizeof *h->dec);
    h->dec[h->ndec++] = d;
}

/* ------------------------------------------------------------------------ */
/* A router as the harness drives it                                        */
/* ------------------------------------------------------------------------ */

typedef struct router router;
struct router {
    const char *name;
    host h;
    /* untimed: get ready to enqueue it */
    void (*prepare)(router *r, const wl_interaction *it);
    /* the timed public call for an arrival; returns ns, sets *handle */
    uint64_t (*arrive)(router *r, uint32_t *handle);
    /* the timed public call for a release; returns ns */
    uint64_t (*release)(router *r, const busy_ent *v);
    /* untimed: accept one offer */
    void (*accept)(router *r, const offer_rec *o);
    /* untimed: the customer of waiting interaction k hangs up */
    void (*abandon)(router *r, uint64_t k);
    /* untimed: the clock moves on to h.now */
    void (*tick)(router *r);
};

/* Accept every offer the last call made (untimed). */
static void router_drain(router *r, char kind)
{
    host_record(&r->h, kind);
    r->h.draining = kind;
    for (size_t i = 0; i < r->h.npend; i++) {
        r->accept(r, &r->h.pend[i]);
        host_push_busy(&r->h, &r->h.pend[i]);
    }
    r->h.npend = 0;
}

static uint64_t router_arrival(router *r, const workload *w, char kind)
{
    wl_interaction it;
    uint64_t k = r->h.next_k++;
    uint32_t handle = 0;
    wl_interaction_get(w, k, &it);
    r->prepare(r, &it);
    uint64_t ns = r->arrive(r, &handle);
    host_note_enqueue(&r->h, k, handle);
    router_drain(r, kind);
    return ns;
}

/* Keep the number of interactions waiting within target +- band (untimed). */
static void router_keep_size(router *r, const workload *w, int64_t target, int64_t band)
{
    host *h = &r->h;
    while (h->waiting > target + band) {
        uint64_t k = host_oldest_waiting(h);
        r->abandon(r, k);
        h->kstate[k] = K_GONE;
        h->waiting--;
        h->abandoned++;
    }
    for (int n = 0; n < 8 && h->waiting < target - band; n++) {
        router_arrival(r, w, 'x');
        h->extra++;
    }
}

/* Up to `pairs` arrival+release pairs, samples (ns) into arr/rel if not
 * NULL; stops early after budget_ns of wall time. Returns the pairs done. */
static size_t router_pairs(router *r, const workload *w, int64_t target, size_t pairs,
                           uint64_t *arr, uint64_t *rel, uint64_t budget_ns)
{
    int64_t band = target / 100;
    uint64_t start = bench_now_ns();
    size_t c;
    for (c = 0; c < pairs; c++) {
        if ((c & 15) == 15 && bench_now_ns() - start > budget_ns)
            break;
        uint64_t ns = router_arrival(r, w, 'a');
        if (arr != NULL)
            arr[c] = ns;
        busy_ent v = host_pick_victim(&r->h);
        ns = r->release(r, &v);
        router_drain(r, 'r');
        if (rel != NULL)
            rel[c] = ns;
        r->h.now++;
        r->tick(r);
        router_keep_size(r, w, target, band);
    }
    return c;
}

/* ------------------------------------------------------------------------ */
/* orca                                                                     */
/* ------------------------------------------------------------------------ */

/* How an orca engine of the continuity measurement differs from the plain
 * one: interactions name customers (and conversations) drawn by cust, and
 * the queue holds returning customers' work for their last agent for
 * sticky_ms. */
typedef struct orca_variant {
    const wl_customers *cust;  /* NULL: no customer named */
    uint32_t sticky_ms;        /* the queue's sticky_ms; 0: off */
} orca_variant;

/* What the host sees of sticky routing (the held-for agent is read with
 * orca_interaction_info_get after each enqueue, untimed): per interaction k
 * of the stream, the agent it was held for (bit 31: offered since) and when
 * it arrived on the virtual clock; and, for the interactions that arrive
 * while counting (k >= from_k), what became of them. */
#define HELD_OFFERED 0x80000000u

typedef struct cont_track {
    uint32_t *held_for;
    uint32_t *enq_ms;
    size_t capheld, capenq;
    int on;                    /* counting offers */
    uint64_t from_k;           /* the cohort: interactions k >= from_k */
    uint64_t arrivals, held;   /* cohort arrivals; of which held */
    uint64_t to_target_arrival;/* cohort held work offered to its agent by an
                                  arrival or the clock (a hold's end) */
    uint64_t to_target_release;/* ... by that agent's release */
    uint64_t to_other;         /* ... to another agent (the hold had ended) */
    /* every offer while counting: waits on the virtual clock (ms) */
    uint64_t n_target, wait_target, n_other, wait_other, n_plain, wait_plain;
} cont_track;

typedef struct orca_side {
    router r;                  /* first: a router * is an orca_side * */
    orca_engine *e;
    const workload *w;
    orca_variant var;
    cont_track *track;         /* NULL: not tracked */
    bench_mem mem;
    orca_skill_id *sid;
    orca_queue_id q;
    int members;               /* queue served by membership (fallback) */
    int wrapup_checked, wrapup_done; /* end left WRAPUP: finish it */
    orca_interaction_def def;
    orca_skill_level req[WL_MAX_REQ];
    double bytes_per_agent, bytes_per_interaction;
    orca_counts counts;        /* after the build */
} orca_side;

static void orca_offer_cb(void *data, const orca_offer *o)
{
    host_push_offer((host *)data, o->interaction, o->agent, 0, (uint8_t)o->channel);
}

static void orca_prepare(router *r, const wl_interaction *it)
{
    orca_side *o = (orca_side *)r;
    orca_interaction_def *d = &o->def;
    orca_interaction_def_init(d);
    for (uint32_t i = 0; i < it->nreq; i++) {
        o->req[i].skill = o->sid[it->req[i].skill];
        o->req[i].level = it->req[i].level;
    }
    d->id = it->id;
    d->queue = o->q;
    d->channel = it->channel;
    d->priority = it->priority;
    d->required = o->req;
    d->nrequired = it->nreq;
    if (o->var.cust != NULL)
        wl_customer_get(o->w, o->var.cust, it->id - 1, &d->customer, &d->conversation);
}

/* Interaction k was just enqueued in orca (untimed): note whom it is held
 * for and when it arrived. */
static void orca_track_enqueue(orca_side *o, uint64_t k)
{
    cont_track *t = o->track;
    if (t == NULL)
        return;
    t->held_for = xgrow(t->held_for, &t->capheld, k + 1, sizeof *t->held_for);
    t->enq_ms = xgrow(t->enq_ms, &t->capenq, k + 1, sizeof *t->enq_ms);
    orca_interaction_info info;
    int rc = orca_interaction_info_get(o->e, k + 1, &info);
    if (rc != 0)
        die("%s", "orca_interaction_info_get", rc);
    t->held_for[k] = (uint32_t)info.target_agent;
    t->enq_ms[k] = (uint32_t)o->r.h.now;
    if (t->on && k >= t->from_k) {
        t->arrivals++;
        t->held += info.target_agent != 0;
    }
}

/* Interaction of->iid is offered to of->agent (untimed): count what sticky
 * routing did. */
static void orca_track_offer(orca_side *o, const offer_rec *of)
{
    cont_track *t = o->track;
    uint64_t k = of->iid - 1;
    if (t == NULL || !t->on || k >= t->capheld)
        return;
    uint32_t held = t->held_for[k] & ~HELD_OFFERED;
    uint64_t wait = o->r.h.now - t->enq_ms[k];
    int cohort = k >= t->from_k && !(t->held_for[k] & HELD_OFFERED);
    if (held == 0) {
        t->n_plain++;
        t->wait_plain += wait;
    } else if (held == of->agent) {
        t->n_target++;
        t->wait_target += wait;
        if (cohort && o->r.h.draining == 'r')
            t->to_target_release++;
        else if (cohort)
            t->to_target_arrival++;
    } else {
        t->n_other++;
        t->wait_other += wait;
        t->to_other += cohort;
    }
    t->held_for[k] |= held != 0 ? HELD_OFFERED : 0;
}

static uint64_t orca_arrive(router *r, uint32_t *handle)
{
    orca_side *o = (orca_side *)r;
    uint64_t t0 = bench_now_ns();
    int rc = orca_interaction_enqueue(o->e, &o->def);
    uint64_t t1 = bench_now_ns();
    if (rc != 0)
        die("%s", "orca_interaction_enqueue", rc);
    *handle = 0;
    orca_track_enqueue(o, o->def.id - 1);
    return t1 - t0;
}

static uint64_t orca_release(router *r, const busy_ent *v)
{
    orca_side *o = (orca_side *)r;
    uint64_t t0, t1;
    int rc;
    if (!o->wrapup_done) {
        t0 = bench_now_ns();
        rc = orca_interaction_end(o->e, v->iid);
        t1 = bench_now_ns();
        if (rc != 0)
            die("%s", "orca_interaction_end", rc);
        if (!o->wrapup_checked) {
            orca_interaction_info info;
            o->wrapup_checked = 1;
            if (orca_interaction_info_get(o->e, v->iid, &info) == 0) {
                fprintf(stderr, "orca-bench: NOTE: orca_interaction_end left the "
                                "interaction in state %d despite wrap-up 0; releases "
                                "time orca_interaction_wrapup_done instead\n",
                        (int)info.state);
                o->wrapup_done = 1;
                if ((rc = orca_interaction_wrapup_done(o->e, v->iid)) != 0)
                    die("%s", "orca_interaction_wrapup_done", rc);
            }
        }
        return t1 - t0;
    }
    if ((rc = orca_interaction_end(o->e, v->iid)) != 0)
        die("%s", "orca_interaction_end", rc);
    t0 = bench_now_ns();
    rc = orca_interaction_wrapup_done(o->e, v->iid);
    t1 = bench_now_ns();
    if (rc != 0)
        die("%s", "orca_interaction_wrapup_done", rc);
    return t1 - t0;
}

static void orca_accept(router *r, const offer_rec *of)
{
    orca_track_offer((orca_side *)r, of);
    int rc = orca_offer_accept(((orca_side *)r)->e, of->iid);
    if (rc != 0)
        die("%s", "orca_offer_accept", rc);
}

static void orca_abandon(router *r, uint64_t k)
{
    int rc = orca_interaction_abandon(((orca_side *)r)->e, k + 1);
    if (rc != 0)
        die("%s", "orca_interaction_abandon", rc);
}

static void orca_tick(router *r)
{
    int rc = orca_engine_advance(((orca_side *)r)->e, r->h.now);
    if (rc != 0)
        die("%s", "orca_engine_advance", rc);
}

/* ------------------------------------------------------------------------ */
/* The peers                                                                */
/* ------------------------------------------------------------------------ */

typedef struct peer_side peer_side;

/* What the harness needs of a peer; each peer's calls behind one table. */
typedef struct peer_kind {
    const char *name;          /* the router name in the table and the CSV */
    const char *alias;         /* short name accepted by --peers */
    int compared;              /* follows orca's routing rules: same offers */
    double budget_s;           /* default wall time per run */
    double smoke_budget_s;     /* the same with --smoke */
    int (*create)(peer_side *ps, orca_strategy strat, uint64_t seed);
    void (*destroy)(peer_side *ps);
    int (*agent_add)(peer_side *ps, const wl_agent *a);
    void (*agent_ready)(peer_side *ps, uint32_t idx, uint64_t now);
    int (*enqueue)(peer_side *ps, const wl_interaction *it, uint64_t now, int route,
                   uint32_t *handle);
    void (*force_offer)(peer_side *ps, uint32_t handle, uint32_t agent_idx);
    void (*accept)(peer_side *ps, uint32_t handle);
    void (*end)(peer_side *ps, uint32_t handle, uint64_t now);
    void (*abandon)(peer_side *ps, uint32_t handle);
    size_t (*live)(peer_side *ps); /* bytes held now */
    void (*bulk)(peer_side *ps, int begin); /* untimed batches; may be NULL */
} peer_kind;

struct peer_side {
    router r;                  /* first: a router * is a peer_side * */
    const peer_kind *kind;
    void *p;
    bench_mem mem;
    wl_interaction it;
    double bytes_per_agent, bytes_per_interaction;
    double budget_s;
};

static void peer_offer_cb(void *data, uint64_t iid, uint64_t agent, uint32_t handle,
                          uint8_t channel)
{
    host_push_offer((host *)data, iid, agent, handle, channel);
}

/* app_queue_style */
static int aqk_create(peer_side *ps, orca_strategy strat, uint64_t seed)
{
    aq_config c = {strat, seed, peer_offer_cb, &ps->r.h, &ps->mem};
    return aq_new(&c, (aq_peer **)&ps->p);
}
static void aqk_destroy(peer_side *ps) { aq_free(ps->p); }
static int aqk_agent_add(peer_side *ps, const wl_agent *a)
{
    return aq_agent_add(ps->p, a, WL_AGENT_CAPACITY, wl_channel_limit);
}
static void aqk_agent_ready(peer_side *ps, uint32_t idx, uint64_t now)
{
    aq_agent_ready(ps->p, idx, now, 0);
}
static int aqk_enqueue(peer_side *ps, const wl_interaction *it, uint64_t now, int route,
                       uint32_t *handle)
{
    return aq_enqueue(ps->p, it, now, route, handle);
}
static void aqk_force_offer(peer_side *ps, uint32_t h, uint32_t ai) { aq_force_offer(ps->p, h, ai); }
static void aqk_accept(peer_side *ps, uint32_t h) { aq_accept(ps->p, h); }
static void aqk_end(peer_side *ps, uint32_t h, uint64_t now) { aq_end(ps->p, h, now); }
static void aqk_abandon(peer_side *ps, uint32_t h) { aq_abandon(ps->p, h); }
static size_t own_live(peer_side *ps) { return ps->mem.live; }

/* opensips_style */
static int osk_create(peer_side *ps, orca_strategy strat, uint64_t seed)
{
    (void)strat; /* first fit: no strategy */
    (void)seed;
    os_config c = {peer_offer_cb, &ps->r.h, &ps->mem};
    return os_new(&c, (os_peer **)&ps->p);
}
static void osk_destroy(peer_side *ps) { os_free(ps->p); }
static int osk_agent_add(peer_side *ps, const wl_agent *a)
{
    return os_agent_add(ps->p, a, WL_AGENT_CAPACITY, wl_channel_limit);
}
static void osk_agent_ready(peer_side *ps, uint32_t idx, uint64_t now)
{
    (void)now;
    os_agent_ready(ps->p, idx, 0);
}
static int osk_enqueue(peer_side *ps, const wl_interaction *it, uint64_t now, int route,
                       uint32_t *handle)
{
    return os_enqueue(ps->p, it, now, route, handle);
}
static void osk_force_offer(peer_side *ps, uint32_t h, uint32_t ai) { os_force_offer(ps->p, h, ai); }
static void osk_accept(peer_side *ps, uint32_t h) { os_accept(ps->p, h); }
static void osk_end(peer_side *ps, uint32_t h, uint64_t now)
{
    (void)now;
    os_end(ps->p, h);
}
static void osk_abandon(peer_side *ps, uint32_t h) { os_abandon(ps->p, h); }

/* mod_callcenter_style */
static int mck_create(peer_side *ps, orca_strategy strat, uint64_t seed)
{
    mc_config c = {strat, seed, peer_offer_cb, &ps->r.h, &ps->mem};
    return mc_new(&c, (mc_peer **)&ps->p);
}
static void mck_destroy(peer_side *ps) { mc_free(ps->p); }
static int mck_agent_add(peer_side *ps, const wl_agent *a)
{
    return mc_agent_add(ps->p, a, WL_AGENT_CAPACITY, wl_channel_limit);
}
static void mck_agent_ready(peer_side *ps, uint32_t idx, uint64_t now)
{
    mc_agent_ready(ps->p, idx, now, 0);
}
static int mck_enqueue(peer_side *ps, const wl_interaction *it, uint64_t now, int route,
                       uint32_t *handle)
{
    return mc_enqueue(ps->p, it, now, route, handle);
}
static void mck_force_offer(peer_side *ps, uint32_t h, uint32_t ai) { mc_force_offer(ps->p, h, ai); }
static void mck_accept(peer_side *ps, uint32_t h) { mc_accept(ps->p, h); }
static void mck_end(peer_side *ps, uint32_t h, uint64_t now) { mc_end(ps->p, h, now); }
static void mck_abandon(peer_side *ps, uint32_t h) { mc_abandon(ps->p, h); }
static size_t mck_live(peer_side *ps) { return mc_live_bytes(ps->p); }
static void mck_bulk(peer_side *ps, int begin)
{
    if (begin)
        mc_bulk_begin(ps->p);
    else
        mc_bulk_end(ps->p);
}

static const peer_kind peer_kinds[NPEERS] = {
    {"app_queue_style", "app_queue", 1, 3.0, 0.5, aqk_create, aqk_destroy, aqk_agent_add,
     aqk_agent_ready, aqk_enqueue, aqk_force_offer, aqk_accept, aqk_end, aqk_abandon,
     own_live, NULL},
    {"opensips_style", "opensips", 0, 1.5, 0.3, osk_create, osk_destroy, osk_agent_add,
     osk_agent_ready, osk_enqueue, osk_force_offer, osk_accept, osk_end, osk_abandon,
     own_live, NULL},
    {"mod_callcenter_style", "mod_callcenter", 1, 1.5, 0.3, mck_create, mck_destroy,
     mck_agent_add, mck_agent_ready, mck_enqueue, mck_force_offer, mck_accept, mck_end,
     mck_abandon, mck_live, mck_bulk},
};

static void peer_prepare(router *r, const wl_interaction *it)
{
    ((peer_side *)r)->it = *it;
}

static uint64_t peer_arrive(router *r, uint32_t *handle)
{
    peer_side *ps = (peer_side *)r;
    uint64_t t0 = bench_now_ns();
    int rc = ps->kind->enqueue(ps, &ps->it, r->h.now, 1, handle);
    uint64_t t1 = bench_now_ns();
    if (rc != 0)
        die("%s: enqueue failed (out of memory)", ps->kind->name, 0);
    return t1 - t0;
}

static uint64_t peer_release(router *r, const busy_ent *v)
{
    peer_side *ps = (peer_side *)r;
    uint64_t t0 = bench_now_ns();
    ps->kind->end(ps, v->handle, r->h.now);
    uint64_t t1 = bench_now_ns();
    return t1 - t0;
}

static void peer_accept(router *r, const offer_rec *of)
{
    peer_side *ps = (peer_side *)r;
    ps->kind->accept(ps, of->handle);
}

static void peer_abandon(router *r, uint64_t k)
{
    peer_side *ps = (peer_side *)r;
    ps->kind->abandon(ps, r->h.khandle[k]);
}

static void peer_tick(router *r)
{
    (void)r;
}

static void peer_bulk(peer_side *ps, int begin)
{
    if (ps->kind->bulk != NULL)
        ps->kind->bulk(ps, begin);
}

/* ------------------------------------------------------------------------ */
/* Building the centre                                                      */
/* ------------------------------------------------------------------------ */

static const orca_channel_callbacks orca_cbs = {orca_offer_cb, NULL};

static void orca_setup(orca_side *o, const workload *w, orca_strategy strat, uint64_t seed,
                       const orca_variant *var)
{
    memset(o, 0, sizeof *o);
    o->r = (router){"orca", {0}, orca_prepare, orca_arrive, orca_release, orca_accept,
                    orca_abandon, orca_tick};
    o->w = w;
    if (var != NULL)
        o->var = *var;
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.alloc = bench_alloc_hook;
    cfg.alloc_ud = &o->mem;
    cfg.seed = seed;
    int rc = orca_engine_new(&cfg, &o->e);
    if (rc != 0)
        die("%s", "orca_engine_new", rc);
    o->sid = calloc(w->p.skills, sizeof *o->sid);
    if (o->sid == NULL)
        die("%s", "out of memory", 0);
    for (uint32_t s = 0; s < w->p.skills; s++) {
        char name[32];
        snprintf(name, sizeof name, "skill%u", s);
        rc = orca_skill_intern(o->e, name, &o->sid[s]);
        if (rc != 0)
            die("%s", "orca_skill_intern", rc);
    }
    for (int c = 0; c < WL_NCHANNELS; c++) {
        rc = orca_channel_set_callbacks(o->e, (orca_channel_id)c, &orca_cbs, &o->r.h);
        if (rc != 0)
            die("%s", "orca_channel_set_callbacks", rc);
    }
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "bench";
    qd.strategy = strat;
    qd.serve = ORCA_SERVE_SKILLS; /* no skills named: every agent serves it */
    qd.skills = NULL;
    qd.nskills = 0;
    qd.wrapup_ms = 0;
    qd.sticky_ms = o->var.sticky_ms;
    rc = orca_queue_add(o->e, &qd, &o->q);
    if (rc != 0) {
        /* fall back to making every agent a member */
        qd.serve = ORCA_SERVE_MEMBERS;
        o->members = 1;
        rc = orca_queue_add(o->e, &qd, &o->q);
        if (rc != 0)
            die("%s", "orca_queue_add", rc);
    }
}

static void peer_setup(peer_side *ps, const peer_kind *kind, orca_strategy strat,
                       uint64_t seed, double budget_s)
{
    memset(ps, 0, sizeof *ps);
    ps->r = (router){kind->name, {0}, peer_prepare, peer_arrive, peer_release, peer_accept,
                     peer_abandon, peer_tick};
    ps->kind = kind;
    ps->budget_s = budget_s;
    if (kind->create(ps, strat, seed) != 0)
        die("%s: cannot create the peer", kind->name, 0);
}

/* After an orca call of the build: give the peers the same offers (they
 * load orca's decisions rather than making their own, so all start
 * measuring from the same state), then accept them on every side. */
static void build_drain(orca_side *o, peer_side *ps, size_t nps)
{
    for (size_t j = 0; j < nps; j++) {
        for (size_t i = 0; i < o->r.h.npend; i++) {
            const offer_rec *r = &o->r.h.pend[i];
            ps[j].kind->force_offer(&ps[j], ps[j].r.h.khandle[r->iid - 1],
                                    (uint32_t)(r->agent - 1));
        }
        router_drain(&ps[j].r, 'b');
    }
    router_drain(&o->r, 'b');
}

/* Interaction k arrives during the build, on every side. */
static void build_enqueue(orca_side *o, peer_side *ps, size_t nps, const workload *w,
                          uint64_t k)
{
    wl_interaction it;
    uint32_t handle = 0;
    wl_interaction_get(w, k, &it);
    orca_prepare(&o->r, &it);
    int rc = orca_interaction_enqueue(o->e, &o->def);
    if (rc != 0)
        die("%s", "orca_interaction_enqueue", rc);
    host_note_enqueue(&o->r.h, k, 0);
    o->r.h.next_k = k + 1;
    orca_track_enqueue(o, k);
    for (size_t j = 0; j < nps; j++) {
        if (ps[j].kind->enqueue(&ps[j], &it, o->r.h.now, 0, &handle) != 0)
            die("%s: enqueue failed (out of memory)", ps[j].kind->name, 0);
        host_note_enqueue(&ps[j].r.h, k, handle);
        ps[j].r.h.next_k = k + 1;
    }
}

static void build_tick(orca_side *o)
{
    o->r.h.now++;
    orca_tick(&o->r);
}

typedef struct build_info {
    double secs;
    uint64_t enqueued;
    uint32_t classes;          /* distinct requirement sets enqueued */
    int complete;              /* 0: the build budget ran out */
    double projected_s;        /* if so: the projected build time */
} build_info;

/* Open or close an untimed batch on every peer (the SQL peer loads in one
 * transaction per phase instead of one per call). */
static void peers_bulk(peer_side *ps, size_t nps, int begin)
{
    for (size_t j = 0; j < nps; j++)
        peer_bulk(&ps[j], begin);
}

/* Every class the workload's first `count` interactions use, built in orca
 * before its agents are counted (BENCH.md, "Memory": the classes'
 * per-agent links belong to the agents): one interaction of each (set,
 * channel) enqueued while nobody is READY and cancelled at once; the class
 * stays, cached with its idle plan. Not for the adversarial workload (its
 * classes are each one interaction's own). Returns the classes built. */
static uint32_t prebuild_classes(orca_side *o, const workload *w, uint64_t count)
{
    if (w->p.adversarial || !w->nsets)
        return 0;
    uint8_t *seen = calloc((size_t)w->nsets * 256, 1);
    if (!seen)
        die("%s: out of memory", "prebuild_classes", 0);
    uint32_t built = 0;
    uint64_t id = (uint64_t)1 << 62; /* far from the workload's ids (k + 1) */
    for (uint64_t k = 0; k < count; k++) {
        wl_interaction it;
        wl_interaction_get(w, k, &it);
        uint8_t *mark = &seen[(size_t)it.set * 256 + it.channel];
        if (it.set == UINT32_MAX || *mark)
            continue;
        *mark = 1;
        orca_prepare(&o->r, &it);
        o->def.id = id++;
        o->def.customer = 0, o->def.conversation = 0;
        int rc = orca_interaction_enqueue(o->e, &o->def);
        if (rc == 0)
            rc = orca_interaction_cancel(o->e, o->def.id);
        if (rc != 0)
            die("%s", "prebuilding a class", rc);
        built++;
    }
    free(seen);
    return built;
}

/* Build the centre in orca and load the nps peers ps[] (already set up)
 * with the same state. */
static void build_centre(const workload *w, const spec *sp, orca_strategy strat,
                         uint64_t seed, double budget_s, const orca_variant *var,
                         cont_track *track, orca_side *o, peer_side *ps, size_t nps,
                         build_info *bi)
{
    uint64_t t0 = bench_now_ns();
    uint64_t budget = (uint64_t)(budget_s * 1e9);
    uint32_t n = w->p.agents;
    int rc, bulk = 0;
    size_t plive[NPEERS];
    memset(bi, 0, sizeof *bi);
    orca_setup(o, w, strat, seed, var);
    o->track = track;
    const orca_channel_limit limits[WL_NCHANNELS] = {
        {ORCA_CHANNEL_VOICE, wl_channel_limit[WL_VOICE]},
        {ORCA_CHANNEL_CHAT, wl_channel_limit[WL_CHAT]},
        {ORCA_CHANNEL_EMAIL, wl_channel_limit[WL_EMAIL]},
    };

    /* agents, READY with nothing waiting: bytes per agent */
    size_t live0 = o->mem.live;
    for (size_t j = 0; j < nps; j++)
        plive[j] = ps[j].kind->live(&ps[j]);
    peers_bulk(ps, nps, 1);
    for (uint32_t i = 0; i < n; i++) {
        const wl_agent *a = &w->agents[i];
        orca_skill_level sk[WL_MAX_AGENT_SKILLS];
        for (uint32_t j = 0; j < a->nskills; j++) {
            sk[j].skill = o->sid[a->skills[j].skill];
            sk[j].level = a->skills[j].level;
        }
        orca_agent_def ad;
        orca_agent_def_init(&ad);
        ad.id = a->id;
        ad.skills = sk;
        ad.nskills = a->nskills;
        ad.capacity = WL_AGENT_CAPACITY;
        ad.limits = limits;
        ad.nlimits = WL_NCHANNELS;
        ad.weight = a->weight;
        if ((rc = orca_agent_add(o->e, &ad)) != 0)
            die("%s", "orca_agent_add", rc);
        if (o->members && (rc = orca_queue_member_add(o->e, o->q, a->id, 0)) != 0)
            die("%s", "orca_queue_member_add", rc);
        for (size_t j = 0; j < nps; j++)
            if (ps[j].kind->agent_add(&ps[j], a) != 0)
                die("%s: cannot add an agent", ps[j].kind->name, 0);
    }
    peers_bulk(ps, nps, 0);
    prebuild_classes(o, w, sp->waiting);
    for (uint32_t i = 0; i < n; i++)
        if ((rc = orca_agent_set_presence(o->e, w->agents[i].id, ORCA_PRESENCE_READY, 0)) != 0)
            die("%s", "orca_agent_set_presence(READY)", rc);
    o->bytes_per_agent = (double)(o->mem.live - live0) / n;
    for (size_t j = 0; j < nps; j++)
        ps[j].bytes_per_agent = (double)(ps[j].kind->live(&ps[j]) - plive[j]) / n;

    /* the waiting interactions, every agent NOT_READY: bytes per interaction */
    for (uint32_t i = 0; i < n; i++)
        if ((rc = orca_agent_set_presence(o->e, w->agents[i].id, ORCA_PRESENCE_NOT_READY, 1)) != 0)
            die("%s", "orca_agent_set_presence(NOT_READY)", rc);
    size_t live1 = o->mem.live;
    for (size_t j = 0; j < nps; j++)
        plive[j] = ps[j].kind->live(&ps[j]);
    peers_bulk(ps, nps, 1);
    bulk = 1;
    uint64_t k = 0, tchunk = bench_now_ns();
    for (; k < sp->waiting; k++) {
        if ((k & 63) == 63) {
            build_tick(o);
            uint64_t tn = bench_now_ns();
            if (tn - t0 > budget) {
                /* projected from the last 64 enqueues */
                bi->projected_s = ((double)(tn - t0) +
                                   (double)(tn - tchunk) / 64 * (double)(sp->waiting - k)) / 1e9;
                goto out_of_time;
            }
            tchunk = tn;
        }
        build_enqueue(o, ps, nps, w, k);
        if (o->r.h.npend != 0)
            die("%s", "orca offered work while every agent was NOT_READY", 0);
    }
    peers_bulk(ps, nps, 0);
    bulk = 0;
    o->bytes_per_interaction = (double)(o->mem.live - live1) / sp->waiting;
    for (size_t j = 0; j < nps; j++)
        ps[j].bytes_per_interaction =
            (double)(ps[j].kind->live(&ps[j]) - plive[j]) / sp->waiting;
    peers_bulk(ps, nps, 1);
    bulk = 1;

    /* agents READY: each takes what it can from the waiting work */
    for (uint32_t i = 0; i < n; i++) {
        if ((i & 63) == 63)
            build_tick(o);
        if ((rc = orca_agent_set_presence(o->e, w->agents[i].id, ORCA_PRESENCE_READY, 0)) != 0)
            die("%s", "orca_agent_set_presence(READY)", rc);
        for (size_t j = 0; j < nps; j++)
            ps[j].kind->agent_ready(&ps[j], i, o->r.h.now);
        build_drain(o, ps, nps);
    }

    /* top up until the stated number wait again (capacity is full first) */
    uint64_t limit = (uint64_t)sp->waiting + (uint64_t)n * 20;
    while (o->r.h.waiting < (int64_t)sp->waiting && k < limit) {
        if ((k & 63) == 63) {
            build_tick(o);
            if (bench_now_ns() - t0 > budget) {
                bi->projected_s = secs_since(t0);
                goto out_of_time;
            }
        }
        build_enqueue(o, ps, nps, w, k);
        build_drain(o, ps, nps);
        k++;
    }
    build_tick(o);
    bi->complete = 1;
out_of_time:
    if (bulk)
        peers_bulk(ps, nps, 0);
    o->r.h.rng = bench_stream_seed(seed, 99, 0);
    o->r.h.recording = 1;
    for (size_t j = 0; j < nps; j++) {
        ps[j].r.h.now = o->r.h.now;
        ps[j].r.h.rng = o->r.h.rng;
        /* decisions are kept only where they are compared with orca's */
        ps[j].r.h.recording = ps[j].kind->compared;
    }
    if ((rc = orca_engine_counts(o->e, &o->counts)) != 0)
        die("%s", "orca_engine_counts", rc);
    if (o->counts.waiting != (uint64_t)o->r.h.waiting || o->counts.busy != o->r.h.nbusy ||
        o->counts.offered != 0)
        fprintf(stderr, "orca-bench: WARNING: orca counts waiting %u busy %u offered %u, "
                        "the host saw waiting %lld busy %zu\n",
                o->counts.waiting, o->counts.busy, o->counts.offered,
                (long long)o->r.h.waiting, o->r.h.nbusy);
    bi->enqueued = k;
    bi->classes = sp->adversarial ? wl_count_distinct(w, 0, (uint32_t)(k < sp->waiting ? sp->waiting : k))
                                  : sp->classes;
    bi->secs = secs_since(t0);
}

/* ------------------------------------------------------------------------ */
/* Statistics                                                               */
/* ------------------------------------------------------------------------ */

typedef struct figs {
    uint64_t calls, median, p99, p999;
    double dps;
} figs;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted s[0..n). */
static uint64_t pct(const uint64_t *s, size_t n, double q)
{
    size_t r = (size_t)ceil(q * (double)n);
    if (r < 1)
        r = 1;
    if (r > n)
        r = n;
    return s[r - 1];
}

static figs stat_of(uint64_t *s, size_t n)
{
    figs st = {0, 0, 0, 0, 0.0};
    if (n == 0)
        return st;
    qsort(s, n, sizeof *s, cmp_u64);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)s[i];
    st.calls = n;
    st.median = pct(s, n, 0.5);
    st.p99 = pct(s, n, 0.99);
    st.p999 = pct(s, n, 0.999);
    st.dps = sum > 0 ? (double)n * 1e9 / sum : 0;
    return st;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Lower median of v[0..n) (sorts v). */
static double median_d(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[(n - 1) / 2];
}

/* The median over runs of each figure; calls is the smallest run's. */
static figs stat_over_runs(const figs *r, int runs)
{
    double a[64], b[64], c[64], d[64];
    figs out = {UINT64_MAX, 0, 0, 0, 0};
    for (int i = 0; i < runs; i++) {
        a[i] = (double)r[i].median;
        b[i] = (double)r[i].p99;
        c[i] = (double)r[i].p999;
        d[i] = r[i].dps;
        if (r[i].calls < out.calls)
            out.calls = r[i].calls;
    }
    out.median = (uint64_t)median_d(a, runs);
    out.p99 = (uint64_t)median_d(b, runs);
    out.p999 = (uint64_t)median_d(c, runs);
    out.dps = median_d(d, runs);
    return out;
}

/* ------------------------------------------------------------------------ */
/* Results                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct row {
    const char *router;
    const spec *sp;
    uint32_t classes;
    const char *strategy;
    const char *direction;
    figs st;
    uint64_t wanted;           /* calls asked for */
    double bytes_per_agent, bytes_per_interaction;
} row;

static row *rows;
static size_t nrows, caprows;

static void add_row(const char *rname, const spec *sp, uint32_t classes,
                    const char *strategy, const char *direction, figs st,
                    uint64_t wanted, double bpa, double bpi)
{
    rows = xgrow(rows, &caprows, nrows + 1, sizeof *rows);
    rows[nrows++] = (row){rname, sp, classes, strategy, direction, st, wanted, bpa, bpi};
}

typedef struct note {
    char text[1200];
} note;
static note *notes;
static size_t nnotes, capnotes;
static int correctness_failed; /* a disagreement or a failed engine check */

static void add_note(const char *text)
{
    notes = xgrow(notes, &capnotes, nnotes + 1, sizeof *notes);
    snprintf(notes[nnotes++].text, sizeof notes->text, "%s", text);
}

static void machine_name(char *buf, size_t len)
{
    snprintf(buf, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return;
    char line[512];
    int cpus = 0;
    char model[256] = "unknown";
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "processor", 9) == 0)
            cpus++;
        if (strncmp(line, "model name", 10) == 0 && strcmp(model, "unknown") == 0) {
            char *p = strchr(line, ':');
            if (p != NULL) {
                p++;
                while (*p == ' ' || *p == '\t')
                    p++;
                snprintf(model, sizeof model, "%s", p);
                model[strcspn(model, "\n")] = '\0';
            }
        }
    }
    fclose(f);
    snprintf(buf, len, "Model name: %s (%d CPUs)", model, cpus);
}

/* Median cost of one clock_gettime pair, for the header. */
static uint64_t timer_overhead(void)
{
    enum { N = 200001 };
    static uint64_t s[N];
    for (int i = 0; i < N; i++) {
        uint64_t t0 = bench_now_ns();
        uint64_t t1 = bench_now_ns();
        s[i] = t1 - t0;
    }
    qsort(s, N, sizeof *s, cmp_u64);
    return s[N / 2];
}

static void fmt_bytes(char *buf, size_t len, double b)
{
    if (b < 0)
        snprintf(buf, len, "%s", "");
    else
        snprintf(buf, len, "%.1f", b);
}

static void write_csv(const char *path)
{
    /* make the directory if it is missing */
    char dir[512];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
        if (mkdir(dir, 0777) != 0 && errno != EEXIST)
            fprintf(stderr, "orca-bench: cannot create %s: %s\n", dir, strerror(errno));
    }
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "orca-bench: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    fprintf(f, "%s\n", CSV_HEADER);
    for (size_t i = 0; i < nrows; i++) {
        const row *r = &rows[i];
        char bpa[32], bpi[32];
        fmt_bytes(bpa, sizeof bpa, r->bytes_per_agent);
        fmt_bytes(bpi, sizeof bpi, r->bytes_per_interaction);
        if (r->st.calls == 0) {
            /* not measured (see the notes): every figure left empty */
            fprintf(f, "%s,%s,%u,%u,%u,%u,%s,%s,0,,,,,,\n", r->router, r->sp->workload,
                    r->sp->agents, r->sp->waiting, r->sp->skills, r->classes, r->strategy,
                    r->direction);
            continue;
        }
        fprintf(f, "%s,%s,%u,%u,%u,%u,%s,%s,%llu,%llu,%llu,%llu,%.0f,%s,%s\n", r->router,
                r->sp->workload, r->sp->agents, r->sp->waiting, r->sp->skills, r->classes,
                r->strategy, r->direction, (unsigned long long)r->st.calls,
                (unsigned long long)r->st.median, (unsigned long long)r->st.p99,
                (unsigned long long)r->st.p999, r->st.dps, bpa, bpi);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "orca-bench: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

/* "orca 10.0 s, app_queue_style 3.0 s, ..." for the routers that run. */
static void budget_list(const opts *o, char *buf, size_t len)
{
    size_t at = (size_t)snprintf(buf, len, "orca %.1f s", o->orca_budget_s);
    for (int k = 0; k < NPEERS && at < len; k++)
        if (o->peers & (1u << k))
            at += (size_t)snprintf(buf + at, len - at, ", %s %.1f s", peer_kinds[k].name,
                                   o->budget[k]);
}

static void print_table(const opts *o)
{
    printf("\n%-20s %-14s %7s %8s %6s %7s %-15s %-7s %8s %9s %9s %9s %11s %8s %8s\n",
           "router", "workload", "agents", "waiting", "skills", "classes", "strategy",
           "dir", "calls", "median_ns", "p99_ns", "p99.9_ns", "decisions/s", "B/agent",
           "B/inter");
    int fewer = 0;
    for (size_t i = 0; i < nrows; i++) {
        const row *r = &rows[i];
        char bpa[32], bpi[32], calls[32];
        fmt_bytes(bpa, sizeof bpa, r->bytes_per_agent);
        fmt_bytes(bpi, sizeof bpi, r->bytes_per_interaction);
        if (r->st.calls == 0) {
            printf("%-20s %-14s %7u %8u %6u %7u %-15s %-7s %8s   not measured (see notes)\n",
                   r->router, r->sp->workload, r->sp->agents, r->sp->waiting, r->sp->skills,
                   r->classes, r->strategy, r->direction, "0");
            continue;
        }
        int short_run = r->st.calls < r->wanted;
        fewer |= short_run;
        snprintf(calls, sizeof calls, "%llu%s", (unsigned long long)r->st.calls,
                 short_run ? "*" : "");
        printf("%-20s %-14s %7u %8u %6u %7u %-15s %-7s %8s %9llu %9llu %9llu %11.0f %8s %8s\n",
               r->router, r->sp->workload, r->sp->agents, r->sp->waiting, r->sp->skills,
               r->classes, r->strategy, r->direction, calls,
               (unsigned long long)r->st.median, (unsigned long long)r->st.p99,
               (unsigned long long)r->st.p999, r->st.dps, bpa, bpi);
    }
    if (fewer) {
        char budgets[256];
        budget_list(o, budgets, sizeof budgets);
        printf("* measured on fewer calls than the %u asked for: the router's time budget "
               "per run (%s) ran out first\n", o->calls, budgets);
    }
}

/* The row of router rname for the same centre, strategy and direction as
 * a, or NULL. */
static const row *row_like(const row *a, const char *rname)
{
    for (size_t j = 0; j < nrows; j++) {
        const row *b = &rows[j];
        if (strcmp(b->router, rname) == 0 && b->sp == a->sp &&
            strcmp(b->strategy, a->strategy) == 0 && strcmp(b->direction, a->direction) == 0)
            return b;
    }
    return NULL;
}

static void fmt_ratio(char *buf, size_t len, double x)
{
    if (x >= 100)
        snprintf(buf, len, "%.0fx", x);
    else
        snprintf(buf, len, "%.1fx", x);
}

/* One goal line: met or not, and the figure that decides. */
static void goal_line(const char *what, int seen, int met, const char *figure)
{
    if (!seen)
        printf("  %-66s not measured in this run\n", what);
    else
        printf("  %-66s %-7s (%s)\n", what, met ? "MET" : "NOT MET", figure);
}

/* The headline: orca's speed as a ratio to each peer's, per centre. */
static void print_headline(const opts *o)
{
    if (o->peers == 0)
        return;
    printf("\nHEADLINE: orca against each peer, per centre: median ns of one decision, "
           "speedup = peer median / orca median (* = peer measured on fewer calls)\n");
    printf("  %-11s %6s %7s %6s %-15s %-7s %9s", "workload", "agents", "waiting", "skills",
           "strategy", "dir", "orca ns");
    for (int k = 0; k < NPEERS; k++)
        if (o->peers & (1u << k))
            printf(" | %-24s", peer_kinds[k].name);
    printf("\n");
    /* issue 3's goals, judged on the zipf centres */
    int g1_seen = 0, g1_met = 1, g2_seen = 0, g2_met = 1, g3_seen = 0, g3_met = 1;
    int g4_seen = 0, g4_met = 1;
    uint64_t g1_med = 0, g1_p99 = 0;
    double g2_min = 1e300, g3_min = 1e300, g4_min = 1e300;
    for (size_t i = 0; i < nrows; i++) {
        const row *a = &rows[i];
        if (strcmp(a->router, "orca") != 0 || a->sp->variant != 0)
            continue; /* continuity rows have no peer: see CONTINUITY */
        int zipf = strcmp(a->sp->workload, "zipf") == 0;
        printf("  %-11s %6u %7u %6u %-15s %-7s ", a->sp->workload, a->sp->agents,
               a->sp->waiting, a->sp->skills, a->strategy, a->direction);
        if (a->st.calls == 0)
            printf("%9s", "-");
        else
            printf("%9llu", (unsigned long long)a->st.median);
        for (int k = 0; k < NPEERS; k++) {
            if (!(o->peers & (1u << k)))
                continue;
            const row *b = row_like(a, peer_kinds[k].name);
            if (b == NULL || a->st.calls == 0 || b->st.calls == 0 || a->st.median == 0) {
                printf(" | %-24s", "not measured");
                continue;
            }
            double x = (double)b->st.median / (double)a->st.median;
            char ns[32], ratio[32];
            snprintf(ns, sizeof ns, "%llu%s", (unsigned long long)b->st.median,
                     b->st.calls < b->wanted ? "*" : "");
            fmt_ratio(ratio, sizeof ratio, x);
            printf(" | %11s ns %9s", ns, ratio);
            if (zipf && a->sp->agents == 10000 && k == PEER_APP_QUEUE) {
                g2_seen = 1;
                g2_min = x < g2_min ? x : g2_min;
                g2_met &= x >= 100.0;
            }
            if (zipf && a->sp->agents == 10000 && k == PEER_MOD_CALLCENTER) {
                g3_seen = 1;
                g3_min = x < g3_min ? x : g3_min;
                g3_met &= x >= 10000.0;
            }
        }
        printf("\n");
        if (zipf && a->st.calls > 0 && a->sp->agents == 10000 && a->sp->waiting == 100000) {
            g1_seen = 1;
            g1_med = a->st.median > g1_med ? a->st.median : g1_med;
            g1_p99 = a->st.p99 > g1_p99 ? a->st.p99 : g1_p99;
            g1_met &= a->st.median <= 200 && a->st.p99 <= 2000;
        }
        if (zipf && a->st.calls > 0 && a->sp->agents == 100000 && a->sp->waiting == 1000000) {
            g4_seen = 1;
            g4_min = a->st.dps < g4_min ? a->st.dps : g4_min;
            g4_met &= a->st.dps >= 1e6;
        }
    }
    char fig[160];
    printf("GOALS (issue 3; zipf centres, both directions; the figure is the worst one):\n");
    snprintf(fig, sizeof fig, "median %llu ns, p99 %llu ns", (unsigned long long)g1_med,
             (unsigned long long)g1_p99);
    goal_line("10k agents x 100k waiting: median <= 200 ns and p99 <= 2 us", g1_seen, g1_met,
              fig);
    snprintf(fig, sizeof fig, "%.0f decisions/s", g4_min);
    goal_line("100k agents x 1M waiting: >= 1,000,000 decisions/s", g4_seen, g4_met, fig);
    fmt_ratio(fig, sizeof fig, g2_min);
    goal_line("10k agents: >= 100x app_queue_style", g2_seen, g2_met, fig);
    fmt_ratio(fig, sizeof fig, g3_min);
    goal_line("10k agents: >= 10,000x mod_callcenter_style", g3_seen, g3_met, fig);
}

/* ------------------------------------------------------------------------ */
/* Growth with size                                                         */
/* ------------------------------------------------------------------------ */

/* "1k", "10k", "1M", "200", "2.5k". */
static void fmt_count(char *buf, size_t len, uint32_t n)
{
    if (n >= 1000000 && n % 100000 == 0)
        snprintf(buf, len, n % 1000000 == 0 ? "%.0fM" : "%.1fM", n / 1e6);
    else if (n >= 1000 && n % 100 == 0)
        snprintf(buf, len, n % 1000 == 0 ? "%.0fk" : "%.1fk", n / 1e3);
    else
        snprintf(buf, len, "%u", n);
}

static void fmt_size(char *buf, size_t len, uint32_t agents, uint32_t waiting)
{
    char a[16], w[16];
    fmt_count(a, sizeof a, agents);
    fmt_count(w, sizeof w, waiting);
    snprintf(buf, len, "%s x %s", a, w);
}

static void fmt_times(char *buf, size_t len, double x)
{
    if (x < 10)
        snprintf(buf, len, "x%.2f", x);
    else if (x < 100)
        snprintf(buf, len, "x%.1f", x);
    else
        snprintf(buf, len, "x%.0f", x);
}

/* The measured zipf longest_idle row of router rname at that centre and
 * direction, or NULL. */
static const row *growth_row(const char *rname, uint32_t skills, uint32_t agents,
                             uint32_t waiting, const char *dir)
{
    for (size_t i = 0; i < nrows; i++) {
        const row *r = &rows[i];
        if (strcmp(r->router, rname) == 0 && strcmp(r->sp->workload, "zipf") == 0 &&
            strcmp(r->strategy, "longest_idle") == 0 && strcmp(r->direction, dir) == 0 &&
            r->sp->skills == skills && r->sp->agents == agents &&
            r->sp->waiting == waiting && r->st.calls > 0)
            return r;
    }
    return NULL;
}

/* The size of the state, for the log and linear references. */
static double growth_n(uint32_t agents, uint32_t waiting)
{
    return (double)agents + (double)waiting;
}

/* What a growth of g per 10x size looks like, against log growth (which
 * would give lg per 10x over the same span) and linear growth (x10). */
static const char *growth_verdict(double g, double lg)
{
    if (g <= lg)
        return "log or flatter";
    if (g <= 1.5 * lg)
        return "log-like";
    if (g < 5)
        return "between log and linear";
    if (g <= 20)
        return "near linear";
    return "worse than linear";
}

#define GROWTH_MAX_SIZES 8

/* The sizes of one skill catalogue, ascending. */
typedef struct growth_sizes {
    size_t n;
    uint32_t agents[GROWTH_MAX_SIZES], waiting[GROWTH_MAX_SIZES], classes[GROWTH_MAX_SIZES];
} growth_sizes;

/* The growth of router rname's median in direction dir over the measured
 * sizes among z->*[from..to]: *g per 10x size, *lg what log growth would
 * give per 10x over the same span; *jf, *jl the sizes it spans. Returns 0
 * if fewer than two sizes were measured. */
static int growth_span(const char *rname, const char *dir, uint32_t skills,
                       const growth_sizes *z, size_t from, size_t to, double *g, double *lg,
                       size_t *jf, size_t *jl, int *fewer)
{
    const row *first = NULL, *last = NULL;
    for (size_t j = from; j <= to && j < z->n; j++) {
        const row *r = growth_row(rname, skills, z->agents[j], z->waiting[j], dir);
        if (r == NULL || r->st.median == 0)
            continue;
        if (first == NULL) {
            first = r;
            *jf = j;
        }
        last = r;
        *jl = j;
    }
    if (first == NULL || first == last)
        return 0;
    double n1 = growth_n(z->agents[*jf], z->waiting[*jf]);
    double n2 = growth_n(z->agents[*jl], z->waiting[*jl]);
    double decades = log10(n2 / n1);
    *g = pow((double)last->st.median / (double)first->st.median, 1 / decades);
    *lg = pow(log(n2) / log(n1), 1 / decades);
    *fewer = first->st.calls < first->wanted || last->st.calls < last->wanted;
    return 1;
}

/* For the zipf centres at longest_idle: each router's median and p99 at
 * every size, the ratio per step in size, and a verdict on the growth. */
static void print_growth(const opts *o)
{
    const char *routers[1 + NPEERS];
    size_t nrouters = 0;
    routers[nrouters++] = "orca";
    for (int k = 0; k < NPEERS; k++)
        if (o->peers & (1u << k))
            routers[nrouters++] = peer_kinds[k].name;
    static const char *const dirs[] = {"arrival", "release"};

    /* the skill catalogues present, ascending */
    uint32_t skills[8];
    size_t nskills = 0;
    for (size_t i = 0; i < nrows; i++) {
        const row *r = &rows[i];
        if (strcmp(r->sp->workload, "zipf") != 0 || strcmp(r->strategy, "longest_idle") != 0)
            continue;
        size_t j = 0;
        while (j < nskills && skills[j] != r->sp->skills)
            j++;
        if (j == nskills && nskills < 8) {
            while (j > 0 && skills[j - 1] > r->sp->skills) {
                skills[j] = skills[j - 1];
                j--;
            }
            skills[j] = r->sp->skills;
            nskills++;
        }
    }
    printf("\nGROWTH: how the cost of one decision grows with size (zipf workload, "
           "longest_idle; median / p99 ns; * = measured on fewer calls)\n");
    if (nskills == 0) {
        printf("  no zipf centre at longest_idle in this run\n");
        return;
    }
    printf("  step ratio = cost at the larger size / cost at the smaller. With N = agents + "
           "waiting, log growth\n  would give log(N2)/log(N1) (about x1.2-1.3 per 10x), "
           "linear growth N2/N1 (x10 per 10x).\n  Verdicts, on the median: log or flatter "
           "(at or under log growth), log-like (up to 1.5x\n  what log growth gives), between "
           "log and linear (under x5 per 10x), near linear (x5-x20),\n  worse than linear.\n");

    for (size_t si = 0; si < nskills; si++) {
        /* the sizes with this catalogue, by agents then waiting */
        growth_sizes z;
        z.n = 0;
        for (size_t i = 0; i < nrows; i++) {
            const row *r = &rows[i];
            if (strcmp(r->sp->workload, "zipf") != 0 ||
                strcmp(r->strategy, "longest_idle") != 0 || r->sp->skills != skills[si])
                continue;
            size_t j = 0;
            while (j < z.n && !(z.agents[j] == r->sp->agents && z.waiting[j] == r->sp->waiting))
                j++;
            if (j < z.n || z.n == GROWTH_MAX_SIZES)
                continue;
            while (j > 0 && (z.agents[j - 1] > r->sp->agents ||
                             (z.agents[j - 1] == r->sp->agents &&
                              z.waiting[j - 1] > r->sp->waiting))) {
                z.agents[j] = z.agents[j - 1];
                z.waiting[j] = z.waiting[j - 1];
                z.classes[j] = z.classes[j - 1];
                j--;
            }
            z.agents[j] = r->sp->agents;
            z.waiting[j] = r->sp->waiting;
            z.classes[j] = r->classes;
            z.n++;
        }
        char sz[48], a[16], b[16], m[16], q[16], cell[96];
        if (z.n < 2) {
            fmt_count(a, sizeof a, z.agents[0]);
            fmt_count(b, sizeof b, z.waiting[0]);
            printf("\n  %u skills: only one size in this run (%s agents x %s waiting): "
                   "no growth to show\n", skills[si], a, b);
            continue;
        }
        printf("\n  %u skills (requirement-set catalogue:", skills[si]);
        for (size_t j = 0; j < z.n; j++)
            printf("%s %u", j == 0 ? "" : " |", z.classes[j]);
        printf(" sets)\n    %-20s %-7s", "router", "dir");
        for (size_t j = 0; j < z.n; j++) {
            fmt_size(sz, sizeof sz, z.agents[j], z.waiting[j]);
            printf(" | %21s", sz);
        }
        printf(" | median step ratio (p99 step ratio)\n");

        /* the table */
        for (size_t ri = 0; ri < nrouters; ri++) {
            for (int d = 0; d < 2; d++) {
                printf("    %-20s %-7s", routers[ri], dirs[d]);
                const row *prev = NULL;
                char steps[400];
                size_t at = 0;
                steps[0] = '\0';
                for (size_t j = 0; j < z.n; j++) {
                    const row *r = growth_row(routers[ri], skills[si], z.agents[j],
                                              z.waiting[j], dirs[d]);
                    if (r == NULL) {
                        printf(" | %21s", "-");
                    } else {
                        snprintf(cell, sizeof cell, "%llu%s / %llu",
                                 (unsigned long long)r->st.median,
                                 r->st.calls < r->wanted ? "*" : "",
                                 (unsigned long long)r->st.p99);
                        printf(" | %21s", cell);
                    }
                    if (j > 0) {
                        fmt_count(a, sizeof a, z.agents[j]);
                        fmt_count(b, sizeof b, z.agents[j - 1]);
                        if (r != NULL && prev != NULL && prev->st.median > 0 &&
                            prev->st.p99 > 0) {
                            fmt_times(m, sizeof m,
                                      (double)r->st.median / (double)prev->st.median);
                            fmt_times(q, sizeof q, (double)r->st.p99 / (double)prev->st.p99);
                        } else {
                            snprintf(m, sizeof m, "-");
                            snprintf(q, sizeof q, "-");
                        }
                        snprintf(cell, sizeof cell, "%s/%s %s (%s)", a, b, m, q);
                        if (at < sizeof steps)
                            at += (size_t)snprintf(steps + at, sizeof steps - at, "%-*s",
                                                   j + 1 < z.n ? 24 : 0, cell);
                    }
                    prev = r;
                }
                printf(" | %s\n", steps);
            }
        }
        printf("    %-28s", "log growth would give");
        for (size_t j = 0; j < z.n; j++)
            printf(" | %21s", "");
        printf(" | ");
        for (size_t j = 1; j < z.n; j++) {
            fmt_count(a, sizeof a, z.agents[j]);
            fmt_count(b, sizeof b, z.agents[j - 1]);
            fmt_times(m, sizeof m, log(growth_n(z.agents[j], z.waiting[j])) /
                                       log(growth_n(z.agents[j - 1], z.waiting[j - 1])));
            snprintf(cell, sizeof cell, "%s/%s %s", a, b, m);
            printf("%-*s", j + 1 < z.n ? 24 : 0, cell);
        }
        printf("\n");

        /* where the catalogue changes along the sizes, the growth over the
         * largest sizes that share the largest one's catalogue too */
        size_t same_from = z.n - 1;
        while (same_from > 0 && z.classes[same_from - 1] == z.classes[z.n - 1])
            same_from--;
        char s1[48], s2[48];
        fmt_size(s1, sizeof s1, z.agents[0], z.waiting[0]);
        fmt_size(s2, sizeof s2, z.agents[z.n - 1], z.waiting[z.n - 1]);
        printf("    verdicts: the median's growth per 10x size, geometric mean from %s to %s",
               s1, s2);
        if (same_from > 0 && same_from < z.n - 1) {
            fmt_size(s1, sizeof s1, z.agents[same_from], z.waiting[same_from]);
            printf(",\n    and from %s up, where the catalogue stays at %u sets (the "
                   "size alone changes)", s1, z.classes[z.n - 1]);
        }
        printf(":\n");
        for (size_t ri = 0; ri < nrouters; ri++) {
            for (int d = 0; d < 2; d++) {
                char label[64];
                double g, lg;
                size_t jf = 0, jl = 0;
                int fewer = 0, fewer2 = 0;
                snprintf(label, sizeof label, "%s %s:", routers[ri], dirs[d]);
                if (!growth_span(routers[ri], dirs[d], skills[si], &z, 0, z.n - 1, &g, &lg,
                                 &jf, &jl, &fewer)) {
                    printf("      %-30s fewer than two sizes measured\n", label);
                    continue;
                }
                fmt_times(a, sizeof a, g);
                fmt_times(b, sizeof b, lg);
                printf("      %-30s %s per 10x size (%s; log growth would give %s", label, a,
                       growth_verdict(g, lg), b);
                if (jf != 0 || jl != z.n - 1) {
                    fmt_size(s1, sizeof s1, z.agents[jf], z.waiting[jf]);
                    fmt_size(s2, sizeof s2, z.agents[jl], z.waiting[jl]);
                    printf(", measured %s to %s only", s1, s2);
                }
                printf(")");
                if (same_from > 0 && same_from < z.n - 1 &&
                    growth_span(routers[ri], dirs[d], skills[si], &z, same_from, z.n - 1, &g,
                                &lg, &jf, &jl, &fewer2)) {
                    fmt_times(a, sizeof a, g);
                    fmt_times(b, sizeof b, lg);
                    printf("; same catalogue: %s (%s; log %s)", a, growth_verdict(g, lg), b);
                }
                printf("%s\n", fewer || fewer2 ? " *" : "");
            }
        }
    }
}

/* ------------------------------------------------------------------------ */
/* One centre, one strategy                                                 */
/* ------------------------------------------------------------------------ */

static const char *kind_name(char kind)
{
    return kind == 'a' ? "arrival" : kind == 'r' ? "release" : "size-control arrival";
}

static void check_agreement(const spec *sp, const char *strategy, const host *a, const host *b,
                            const char *peer)
{
    size_t n = a->ndec < b->ndec ? a->ndec : b->ndec;
    size_t i = 0;
    while (i < n && a->dec[i].digest == b->dec[i].digest)
        i++;
    char text[400];
    if (i == n) {
        snprintf(text, sizeof text, "%s %ux%u skills %u %s: orca and %s made the same "
                 "offers on all %zu decisions compared", sp->workload, sp->agents,
                 sp->waiting, sp->skills, strategy, peer, n);
    } else {
        correctness_failed = 1;
        snprintf(text, sizeof text, "%s %ux%u skills %u %s: DECISIONS DIFFER at decision "
                 "%zu (%s; the %zu before agreed): orca offered %u (first: interaction "
                 "%llu to agent %llu), %s offered %u (first: interaction %llu to agent %llu)",
                 sp->workload, sp->agents, sp->waiting, sp->skills, strategy, i,
                 kind_name(a->dec[i].kind), i, a->dec[i].noffers,
                 (unsigned long long)a->dec[i].iid, (unsigned long long)a->dec[i].agent,
                 peer, b->dec[i].noffers, (unsigned long long)b->dec[i].iid,
                 (unsigned long long)b->dec[i].agent);
    }
    fprintf(stderr, "  %s\n", text);
    add_note(text);
}

static double occupancy(const host *h, uint32_t agents)
{
    return 100.0 * (double)h->units / ((double)agents * WL_AGENT_CAPACITY);
}

/* Listings and positions (orca only): on the built centre, the cost of one
 * orca_interaction_position of a random waiting interaction, and of one
 * page of the first 100 waiting of the biggest queue in routing order,
 * from the start (list100, a CSV row) and from the middle of that queue
 * (printed only). Untimed set-up collects the waiting ids through the
 * listing itself. Rows use the arrival/release columns' conventions. */
static void measure_listings(orca_engine *e, const spec *sp, uint32_t classes,
                             const char *sname, uint64_t *arr, uint64_t calls)
{
    orca_counts c;
    if (orca_engine_counts(e, &c) != 0 || c.waiting == 0)
        return;
    uint64_t *ids = malloc(sizeof(uint64_t) * c.waiting);
    orca_interaction_info *page = malloc(sizeof(*page) * 100);
    if (!ids || !page)
        die("out of memory%s", "", 0);
    size_t nids = 0;
    orca_queue_id bigq = 0;
    uint32_t bigw = 0;
    orca_queue_info qi;
    for (orca_queue_id q = 1; orca_queue_info_get(e, q, &qi) != ORCA_ENOENT; q++) {
        if (qi.waiting > bigw)
            bigw = qi.waiting, bigq = q;
        orca_cursor cur = {0};
        uint32_t n;
        do {
            if (orca_queue_waiting_list(e, q, &cur, page, 100, &n) != 0)
                die("orca_queue_waiting_list failed%s", "", 0);
            for (uint32_t k = 0; k < n && nids < c.waiting; k++)
                ids[nids++] = page[k].id;
        } while (n == 100);
    }
    uint64_t x = 0x9e3779b97f4a7c15ull, t0;
    uint32_t ahead, waiting, n;
    for (uint64_t k = 0; k < calls; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t id = ids[x % nids];
        t0 = bench_now_ns();
        int rc = orca_interaction_position(e, id, &ahead, &waiting);
        arr[k] = bench_now_ns() - t0;
        if (rc != 0)
            die("orca_interaction_position failed%s", "", rc);
    }
    figs f = stat_of(arr, calls), fl[2];
    add_row("orca", sp, classes, sname, "position", f, calls, -1, -1);
    uint64_t pages = calls / 10 ? calls / 10 : 1;
    orca_cursor mid = {0};
    for (uint32_t left = bigw / 2; left > 0;) { /* untimed: a cursor mid-queue */
        uint32_t want = left < 100 ? left : 100;
        orca_queue_waiting_list(e, bigq, &mid, page, want, &n);
        left -= want;
    }
    for (int from_mid = 0; from_mid < 2; from_mid++) {
        for (uint64_t k = 0; k < pages; k++) {
            orca_cursor cur = from_mid ? mid : (orca_cursor){0, 0};
            t0 = bench_now_ns();
            int rc = orca_queue_waiting_list(e, bigq, &cur, page, 100, &n);
            arr[k] = bench_now_ns() - t0;
            if (rc != 0 || n == 0)
                die("orca_queue_waiting_list failed%s", "", rc);
        }
        fl[from_mid] = stat_of(arr, pages);
        /* BENCH.md's CSV knows list100 (the first 100); the page from the
         * middle is printed below only */
        if (!from_mid)
            add_row("orca", sp, classes, sname, "list100", fl[0], pages, -1, -1);
    }
    fprintf(stderr, "  listings: position median %llu ns (p99 %llu); a page of 100 of "
                    "queue %u (%u waiting) from the start %llu ns, from the middle %llu ns\n",
            (unsigned long long)f.median, (unsigned long long)f.p99, bigq, bigw,
            (unsigned long long)fl[0].median, (unsigned long long)fl[1].median);
    free(ids);
    free(page);
}

static void run_one(const opts *op, const spec *sp, const workload *w, orca_strategy strat,
                    uint64_t *arr, uint64_t *rel)
{
    const char *sname = strategy_name[strat];
    orca_side o;
    peer_side ps[NPEERS];
    size_t nps = 0;
    build_info bi;
    char text[1200];
    static int plans_noted;
    fprintf(stderr, "%s %u agents x %u waiting, %u skills, %s, %s: building...\n",
            sp->workload, sp->agents, sp->waiting, sp->skills,
            sp->adversarial ? "own set each" : "catalogue", sname);
    for (int k = 0; k < NPEERS; k++)
        if (op->peers & (1u << k))
            peer_setup(&ps[nps++], &peer_kinds[k], strat, op->seed, op->budget[k]);
    build_centre(w, sp, strat, op->seed, op->build_budget_s, NULL, NULL, &o, ps, nps, &bi);
    fprintf(stderr, "  %s %.1f s: %llu enqueued, %lld waiting, %zu busy "
                    "(occupancy %.0f%%), orca holds %u classes%s; %.1f B/agent, "
                    "%.1f B/interaction\n",
            bi.complete ? "built in" : "build STOPPED after", bi.secs,
            (unsigned long long)bi.enqueued, (long long)o.r.h.waiting, o.r.h.nbusy,
            occupancy(&o.r.h, sp->agents), o.counts.classes,
            o.members ? " (queue served by membership)" : "", o.bytes_per_agent,
            o.bytes_per_interaction);
    for (size_t j = 0; j < nps; j++) {
        if (ps[j].kind == &peer_kinds[PEER_MOD_CALLCENTER] && !plans_noted) {
            char ap[500], rp[500];
            plans_noted = 1;
            mc_plans(ps[j].p, ap, sizeof ap, rp, sizeof rp);
            snprintf(text, sizeof text, "mod_callcenter_style: SQLite %s, in-memory database, "
                     "prepared statements, one transaction per decision; query plans: "
                     "arrival (chat, 2 skills): %s | release: %s", mc_sqlite_version(), ap, rp);
            fprintf(stderr, "  %s\n", text);
            add_note(text);
        }
    }
    if (!bi.complete) {
        snprintf(text, sizeof text, "%s %ux%u skills %u %s: NOT MEASURED: building the "
                 "centre in orca exceeds the %.0f s build budget (stopped after %.1f s, "
                 "%llu interactions enqueued; at the latest rate the enqueues alone would "
                 "take %.0f s)", sp->workload,
                 sp->agents, sp->waiting, sp->skills, sname, op->build_budget_s, bi.secs,
                 (unsigned long long)bi.enqueued, bi.projected_s);
        fprintf(stderr, "  %s\n", text);
        add_note(text);
        figs none = {0, 0, 0, 0, 0};
        add_row("orca", sp, bi.classes, sname, "arrival", none, op->calls, -1, -1);
        add_row("orca", sp, bi.classes, sname, "release", none, op->calls, -1, -1);
        for (size_t j = 0; j < nps; j++) {
            add_row(ps[j].kind->name, sp, bi.classes, sname, "arrival", none, op->calls, -1, -1);
            add_row(ps[j].kind->name, sp, bi.classes, sname, "release", none, op->calls, -1, -1);
        }
        goto done;
    }
    if (op->check) {
        int rc = orca_engine_check(o.e);
        fprintf(stderr, "  orca_engine_check after build: %s\n", rc == 0 ? "ok" : orca_strerror(rc));
        if (rc != 0) {
            add_note("orca_engine_check FAILED after the build");
            correctness_failed = 1;
        }
    }
    if (bi.secs > 10) {
        snprintf(text, sizeof text, "%s %ux%u skills %u %s: building the centre (orca and "
                 "the peers) took %.0f s", sp->workload, sp->agents, sp->waiting, sp->skills,
                 sname, bi.secs);
        add_note(text);
    }

    int64_t target = sp->waiting;
    /* warm-up: untimed, each router within its per-run budget. The calls
     * each router sees depend only on the state, not on where the warm-up
     * ends, so the agreement check still compares like with like. */
    uint64_t t0 = bench_now_ns();
    size_t wo = router_pairs(&o.r, w, target, op->warmup, NULL, NULL,
                             (uint64_t)(op->orca_budget_s * 1e9));
    fprintf(stderr, "  warm-up: orca %zu pairs in %.1f s", wo, secs_since(t0));
    for (size_t j = 0; j < nps; j++) {
        t0 = bench_now_ns();
        size_t wp = router_pairs(&ps[j].r, w, target, op->warmup, NULL, NULL,
                                 (uint64_t)(ps[j].budget_s * 1e9));
        fprintf(stderr, ", %s %zu pairs in %.1f s", ps[j].kind->name, wp, secs_since(t0));
    }
    fputc('\n', stderr);

    figs oa[64], orl[64], pa[NPEERS][64], prl[NPEERS][64];
    for (int r = 0; r < op->runs; r++) {
        t0 = bench_now_ns();
        size_t n = router_pairs(&o.r, w, target, op->calls, arr, rel,
                                (uint64_t)(op->orca_budget_s * 1e9));
        oa[r] = stat_of(arr, n);
        orl[r] = stat_of(rel, n);
        fprintf(stderr, "  run %d: orca %zu pairs in %.1f s (arrival median %llu ns, "
                        "release %llu ns; %lld waiting, occupancy %.0f%%)",
                r + 1, n, secs_since(t0), (unsigned long long)oa[r].median,
                (unsigned long long)orl[r].median, (long long)o.r.h.waiting,
                occupancy(&o.r.h, sp->agents));
        o.r.h.recording = 0;
        for (size_t j = 0; j < nps; j++) {
            t0 = bench_now_ns();
            n = router_pairs(&ps[j].r, w, target, op->calls, arr, rel,
                             (uint64_t)(ps[j].budget_s * 1e9));
            pa[j][r] = stat_of(arr, n);
            prl[j][r] = stat_of(rel, n);
            ps[j].r.h.recording = 0;
            fprintf(stderr, ";\n    %s %zu pairs in %.1f s (arrival %llu ns, release %llu ns; "
                            "%lld waiting, occupancy %.0f%%)",
                    ps[j].kind->name, n, secs_since(t0), (unsigned long long)pa[j][r].median,
                    (unsigned long long)prl[j][r].median, (long long)ps[j].r.h.waiting,
                    occupancy(&ps[j].r.h, sp->agents));
        }
        fputc('\n', stderr);
    }
    fprintf(stderr, "  size control: orca %llu abandoned, %llu extra arrivals",
            (unsigned long long)o.r.h.abandoned, (unsigned long long)o.r.h.extra);
    for (size_t j = 0; j < nps; j++)
        fprintf(stderr, "; %s %llu abandoned, %llu extra arrivals", ps[j].kind->name,
                (unsigned long long)ps[j].r.h.abandoned, (unsigned long long)ps[j].r.h.extra);
    fputc('\n', stderr);
    if (op->check) {
        int rc = orca_engine_check(o.e);
        fprintf(stderr, "  orca_engine_check after the runs: %s\n", rc == 0 ? "ok" : orca_strerror(rc));
        if (rc != 0) {
            add_note("orca_engine_check FAILED after the runs");
            correctness_failed = 1;
        }
    }
    orca_counts c;
    if (orca_engine_counts(o.e, &c) == 0 &&
        (c.waiting != (uint64_t)o.r.h.waiting || c.busy != o.r.h.nbusy)) {
        snprintf(text, sizeof text, "%s %ux%u %s: orca counts say %u waiting / %u busy, "
                 "the host saw %lld / %zu", sp->workload, sp->agents, sp->waiting, sname,
                 c.waiting, c.busy, (long long)o.r.h.waiting, o.r.h.nbusy);
        fprintf(stderr, "  WARNING: %s\n", text);
        add_note(text);
        correctness_failed = 1;
    }

    figs s;
    s = stat_over_runs(oa, op->runs);
    add_row("orca", sp, bi.classes, sname, "arrival", s, op->calls, o.bytes_per_agent,
            o.bytes_per_interaction);
    s = stat_over_runs(orl, op->runs);
    add_row("orca", sp, bi.classes, sname, "release", s, op->calls, o.bytes_per_agent,
            o.bytes_per_interaction);
    if (strat == ORCA_STRATEGY_LONGEST_IDLE)
        measure_listings(o.e, sp, bi.classes, sname, arr, op->calls);
    for (size_t j = 0; j < nps; j++) {
        if (ps[j].kind->compared)
            check_agreement(sp, sname, &o.r.h, &ps[j].r.h, ps[j].kind->name);
        s = stat_over_runs(pa[j], op->runs);
        add_row(ps[j].kind->name, sp, bi.classes, sname, "arrival", s, op->calls,
                ps[j].bytes_per_agent, ps[j].bytes_per_interaction);
        s = stat_over_runs(prl[j], op->runs);
        add_row(ps[j].kind->name, sp, bi.classes, sname, "release", s, op->calls,
                ps[j].bytes_per_agent, ps[j].bytes_per_interaction);
    }
done:
    for (size_t j = 0; j < nps; j++) {
        ps[j].kind->destroy(&ps[j]);
        host_free(&ps[j].r.h);
    }
    orca_engine_free(o.e);
    free(o.sid);
    host_free(&o.r.h);
}

/* ------------------------------------------------------------------------ */
/* Continuity: customer context and sticky routing (orca only)              */
/* ------------------------------------------------------------------------ */

/*
 * The same centre, workload and seed as the plain row, three times over,
 * each in its own engine: plain (no customer named), customers (every
 * interaction names a customer, some a conversation; the queue not sticky)
 * and sticky (the same, and the queue holds a returning customer's new work
 * for the agent who last answered them for CONT_STICKY_MS). The three are
 * built the same way and their timed runs interleave (run r starts with
 * variant r mod 3), so their ratios are measured in one run under the same
 * noise. The peers have no such feature: orca only.
 */
enum { CV_PLAIN, CV_CUSTOMERS, CV_STICKY, NCV };
static const char *const cv_label[NCV] = {"plain", "customers", "sticky"};

#define CONT_RECONTACT 0.30        /* share of arrivals by returning customers */
#define CONT_WINDOW_PER_WAITING 2  /* they return within 2 x waiting arrivals */
#define CONT_SAME_CONVERSATION 0.5
#define CONT_NEW_CONVERSATION 0.5
#define CONT_STICKY_MS 60000u      /* 60 s on the bench's virtual clock */
#define CONT_MAX 4

typedef struct cont_result {
    const spec *sp;
    spec vsp[NCV];             /* the rows' centres: zipf_customers, zipf_sticky */
    wl_customers cust;
    uint32_t classes;
    size_t warmup[NCV];
    int measured;
    figs a[NCV], r[NCV];
    double bpa[NCV], bpi[NCV];
    orca_customer_totals t0[NCV], t1[NCV];   /* before and after the timed runs */
    uint64_t k0[NCV], k1[NCV], ms0[NCV], ms1[NCV]; /* stream and clock, same */
    size_t live[NCV];          /* live bytes after the runs */
    int64_t waiting[NCV];
    size_t busy[NCV];
    cont_track tr;             /* the sticky engine's, over the timed runs */
    uint64_t still_held, released_waiting, abandoned; /* cohort at the end */
} cont_result;

static cont_result conts[CONT_MAX];
static size_t nconts;

static void cont_free_track(cont_track *t)
{
    free(t->held_for);
    free(t->enq_ms);
    t->held_for = t->enq_ms = NULL;
    t->capheld = t->capenq = 0;
}

static void run_continuity(const opts *op, const spec *sp, const workload *w, uint64_t *arr,
                           uint64_t *rel)
{
    if (nconts == CONT_MAX)
        return;
    cont_result *cr = &conts[nconts++];
    memset(cr, 0, sizeof *cr);
    cr->sp = sp;
    cr->cust = (wl_customers){CONT_RECONTACT, (uint64_t)sp->waiting * CONT_WINDOW_PER_WAITING,
                              CONT_SAME_CONVERSATION, CONT_NEW_CONVERSATION};
    static const char *const wname[NCV] = {NULL, "zipf_customers", "zipf_sticky"};
    for (int v = 0; v < NCV; v++) {
        cr->vsp[v] = *sp;
        cr->vsp[v].continuity = 0;
        cr->vsp[v].variant = v;
        if (wname[v] != NULL)
            cr->vsp[v].workload = wname[v];
    }
    orca_variant var[NCV] = {
        {NULL, 0},
        {&cr->cust, 0},
        {&cr->cust, CONT_STICKY_MS},
    };
    orca_side o[NCV];
    build_info bi[NCV];
    char text[1200];
    int built = 0;
    for (int v = 0; v < NCV; v++) {
        fprintf(stderr, "continuity %s %u agents x %u waiting, %u skills, %s: building...\n",
                cv_label[v], sp->agents, sp->waiting, sp->skills,
                strategy_name[ORCA_STRATEGY_LONGEST_IDLE]);
        build_centre(w, sp, ORCA_STRATEGY_LONGEST_IDLE, op->seed, op->build_budget_s, &var[v],
                     v == CV_STICKY ? &cr->tr : NULL, &o[v], NULL, 0, &bi[v]);
        built = v + 1;
        fprintf(stderr, "  %s %.1f s: %llu enqueued, %lld waiting, %zu busy (occupancy %.0f%%), "
                        "%.1f B/agent, %.1f B/interaction\n",
                bi[v].complete ? "built in" : "build STOPPED after", bi[v].secs,
                (unsigned long long)bi[v].enqueued, (long long)o[v].r.h.waiting,
                o[v].r.h.nbusy, occupancy(&o[v].r.h, sp->agents), o[v].bytes_per_agent,
                o[v].bytes_per_interaction);
        if (!bi[v].complete) {
            snprintf(text, sizeof text, "continuity %s %ux%u skills %u: NOT MEASURED: building "
                     "the centre exceeds the %.0f s build budget", cv_label[v], sp->agents,
                     sp->waiting, sp->skills, op->build_budget_s);
            fprintf(stderr, "  %s\n", text);
            add_note(text);
            goto done;
        }
        if (op->check) {
            int rc = orca_engine_check(o[v].e);
            fprintf(stderr, "  orca_engine_check after build: %s\n",
                    rc == 0 ? "ok" : orca_strerror(rc));
            if (rc != 0) {
                add_note("orca_engine_check FAILED after a continuity build");
                correctness_failed = 1;
            }
        }
        cr->bpa[v] = o[v].bytes_per_agent;
        cr->bpi[v] = o[v].bytes_per_interaction;
    }
    cr->classes = bi[CV_PLAIN].classes;

    /* warm-up: at least sticky_ms worth of pairs (1 ms each) unless the
     * warm-up was given, so the holds are at their steady state; --smoke
     * keeps its short warm-up (CI exercises the code, the figures come
     * from the full run) */
    int64_t target = sp->waiting;
    size_t want = op->warmup;
    if (op->warmup_auto && !op->smoke && want < CONT_STICKY_MS)
        want = CONT_STICKY_MS;
    for (int v = 0; v < NCV; v++) {
        uint64_t t0 = bench_now_ns();
        cr->warmup[v] = router_pairs(&o[v].r, w, target, want, NULL, NULL,
                                     (uint64_t)(op->orca_budget_s * 1e9));
        fprintf(stderr, "  warm-up %s: %zu pairs in %.1f s\n", cv_label[v], cr->warmup[v],
                secs_since(t0));
    }

    figs fa[NCV][64], fr[NCV][64];
    for (int v = 0; v < NCV; v++) {
        o[v].r.h.recording = 0;
        if (orca_customer_totals_get(o[v].e, &cr->t0[v]) != 0)
            die("%s", "orca_customer_totals_get", 0);
        cr->k0[v] = o[v].r.h.next_k;
        cr->ms0[v] = o[v].r.h.now;
    }
    cr->tr.on = 1;
    cr->tr.from_k = o[CV_STICKY].r.h.next_k;
    for (int r = 0; r < op->runs; r++) {
        fprintf(stderr, "  run %d:", r + 1);
        for (int j = 0; j < NCV; j++) {
            int v = (r + j) % NCV;
            uint64_t t0 = bench_now_ns();
            size_t n = router_pairs(&o[v].r, w, target, op->calls, arr, rel,
                                    (uint64_t)(op->orca_budget_s * 1e9));
            fa[v][r] = stat_of(arr, n);
            fr[v][r] = stat_of(rel, n);
            fprintf(stderr, "%s %s %zu pairs in %.1f s (arrival %llu ns, release %llu ns)",
                    j ? ";" : "", cv_label[v], n, secs_since(t0),
                    (unsigned long long)fa[v][r].median, (unsigned long long)fr[v][r].median);
        }
        fputc('\n', stderr);
    }
    cr->tr.on = 0;
    for (int v = 0; v < NCV; v++) {
        orca_side *ov = &o[v];
        if (orca_customer_totals_get(ov->e, &cr->t1[v]) != 0)
            die("%s", "orca_customer_totals_get", 0);
        cr->k1[v] = ov->r.h.next_k;
        cr->ms1[v] = ov->r.h.now;
        cr->live[v] = ov->mem.live;
        cr->waiting[v] = ov->r.h.waiting;
        cr->busy[v] = ov->r.h.nbusy;
        cr->a[v] = stat_over_runs(fa[v], op->runs);
        cr->r[v] = stat_over_runs(fr[v], op->runs);
        orca_counts c;
        if (orca_engine_counts(ov->e, &c) == 0 &&
            (c.waiting != (uint64_t)ov->r.h.waiting || c.busy != ov->r.h.nbusy)) {
            snprintf(text, sizeof text, "continuity %s %ux%u: orca counts say %u waiting / %u "
                     "busy, the host saw %lld / %zu", cv_label[v], sp->agents, sp->waiting,
                     c.waiting, c.busy, (long long)ov->r.h.waiting, ov->r.h.nbusy);
            fprintf(stderr, "  WARNING: %s\n", text);
            add_note(text);
            correctness_failed = 1;
        }
        if (op->check) {
            int rc = orca_engine_check(ov->e);
            fprintf(stderr, "  orca_engine_check after the %s runs: %s\n", cv_label[v],
                    rc == 0 ? "ok" : orca_strerror(rc));
            if (rc != 0) {
                add_note("orca_engine_check FAILED after the continuity runs");
                correctness_failed = 1;
            }
        }
    }
    /* what became of the held arrivals that were not offered yet */
    orca_side *os = &o[CV_STICKY];
    for (uint64_t k = cr->tr.from_k; k < cr->k1[CV_STICKY]; k++) {
        uint32_t hf = cr->tr.held_for[k];
        if (hf == 0 || (hf & HELD_OFFERED))
            continue;
        if (os->r.h.kstate[k] == K_WAITING) {
            orca_interaction_info info;
            if (orca_interaction_info_get(os->e, k + 1, &info) != 0)
                die("%s", "orca_interaction_info_get", 0);
            if (info.target_agent != 0)
                cr->still_held++;
            else
                cr->released_waiting++;
        } else {
            cr->abandoned++;
        }
    }
    const char *sname = strategy_name[ORCA_STRATEGY_LONGEST_IDLE];
    for (int v = CV_CUSTOMERS; v < NCV; v++) {
        add_row("orca", &cr->vsp[v], cr->classes, sname, "arrival", cr->a[v], op->calls,
                cr->bpa[v], cr->bpi[v]);
        add_row("orca", &cr->vsp[v], cr->classes, sname, "release", cr->r[v], op->calls,
                cr->bpa[v], cr->bpi[v]);
    }
    cr->measured = 1;
done:
    for (int v = 0; v < built; v++) {
        orca_engine_free(o[v].e);
        free(o[v].sid);
        host_free(&o[v].r.h);
    }
    if (!cr->measured)
        cont_free_track(&cr->tr);
}

/* ---- memory per customer kept ------------------------------------------- */

typedef struct memrow {
    uint32_t history, contacts, kept;
    double bytes;
    uint32_t customers;        /* what orca says it keeps (should be kept) */
    double secs;
} memrow;

static memrow memrows[8];
static size_t nmemrows;
static uint32_t mem_max_customers;

/* K customers, each with `contacts` finished interactions (enqueued and
 * abandoned while waiting: an abandoned interaction enters the history
 * like any other), in an engine with history_per_customer = history:
 * (live bytes after - live bytes before) / K, counted through the
 * allocator hook. The engine's structures that do not grow with the
 * customers (queue, class, maps of one interaction) exist before. */
static void measure_customer_memory(const opts *op)
{
    static const uint32_t cases[][2] = {{1, 1}, {8, 1}, {8, 8}, {64, 1}, {64, 64}};
    uint32_t kept = op->smoke ? 2000 : 100000;
    fprintf(stderr, "memory per customer kept: %u customers per case...\n", kept);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        uint64_t t0 = bench_now_ns();
        bench_mem mem = {0, 0, 0};
        orca_config cfg;
        orca_config_init(&cfg);
        cfg.alloc = bench_alloc_hook;
        cfg.alloc_ud = &mem;
        cfg.history_per_customer = cases[c][0];
        orca_engine *e;
        int rc = orca_engine_new(&cfg, &e);
        if (rc != 0)
            die("%s", "orca_engine_new", rc);
        /* orca_config_init leaves 0: orca's default, 100,000 (include/orca.h) */
        mem_max_customers = cfg.max_customers ? cfg.max_customers : 100000;
        orca_queue_def qd;
        orca_queue_def_init(&qd);
        qd.name = "mem";
        qd.serve = ORCA_SERVE_SKILLS;
        qd.wrapup_ms = 0;
        orca_queue_id q;
        if ((rc = orca_queue_add(e, &qd, &q)) != 0)
            die("%s", "orca_queue_add", rc);
        orca_interaction_def d;
        orca_interaction_def_init(&d);
        d.queue = q;
        d.channel = ORCA_CHANNEL_VOICE;
        uint64_t id = 1;
        /* one interaction with no customer first: the class, the maps */
        d.id = id++;
        if ((rc = orca_interaction_enqueue(e, &d)) != 0 ||
            (rc = orca_interaction_abandon(e, d.id)) != 0)
            die("%s", "warm-up enqueue/abandon", rc);
        size_t live0 = mem.live;
        for (uint32_t k = 1; k <= kept; k++) {
            d.customer = k;
            for (uint32_t j = 0; j < cases[c][1]; j++) {
                d.id = id++;
                if ((rc = orca_interaction_enqueue(e, &d)) != 0)
                    die("%s", "orca_interaction_enqueue", rc);
                if ((rc = orca_interaction_abandon(e, d.id)) != 0)
                    die("%s", "orca_interaction_abandon", rc);
            }
        }
        orca_customer_totals t;
        if (orca_customer_totals_get(e, &t) != 0)
            die("%s", "orca_customer_totals_get", 0);
        memrow *m = &memrows[nmemrows++];
        *m = (memrow){cases[c][0], cases[c][1], kept,
                      (double)(mem.live - live0) / kept, t.customers, 0};
        if (op->check && (rc = orca_engine_check(e)) != 0) {
            add_note("orca_engine_check FAILED in the memory-per-customer measurement");
            correctness_failed = 1;
        }
        orca_engine_free(e);
        m->secs = secs_since(t0);
    }
}

static void fmt_mb(char *buf, size_t len, double bytes)
{
    if (bytes >= 1e9)
        snprintf(buf, len, "%.2f GB", bytes / 1e9);
    else if (bytes >= 1e6)
        snprintf(buf, len, "%.1f MB", bytes / 1e6);
    else
        snprintf(buf, len, "%.1f kB", bytes / 1e3);
}

static void ratio_cell(char *buf, size_t len, double num, double den)
{
    if (den <= 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "x%.2f", num / den);
}

static double pct_of(uint64_t a, uint64_t b)
{
    return b ? 100.0 * (double)a / (double)b : 0.0;
}

/* The figures of variant x against variant y: median, p99, p99.9 ratios
 * (x / y: above 1 is slower) and decisions/s (y / x, the same sense). */
static void print_ratio_line(const char *what, const figs *xa,
                             const figs *xr, const figs *ya, const figs *yr)
{
    char m[16], p[16], q[16], d[16];
    printf("    %-44s", what);
    for (int dir = 0; dir < 2; dir++) {
        const figs *x = dir ? xr : xa, *y = dir ? yr : ya;
        ratio_cell(m, sizeof m, (double)x->median, (double)y->median);
        ratio_cell(p, sizeof p, (double)x->p99, (double)y->p99);
        ratio_cell(q, sizeof q, (double)x->p999, (double)y->p999);
        ratio_cell(d, sizeof d, y->dps, x->dps);
        printf("%s %-7s %s / %s / %s (1/dps %s)", dir ? ";" : "", dir ? "release" : "arrival", m,
               p, q, d);
    }
    printf("\n");
}

static void print_continuity(const opts *op)
{
    char a[48], b[48];
    for (size_t ci = 0; ci < nconts; ci++) {
        const cont_result *cr = &conts[ci];
        const spec *sp = cr->sp;
        fmt_size(a, sizeof a, sp->agents, sp->waiting);
        printf("\nCONTINUITY: customer context and sticky routing, zipf %s, %u skills, "
               "longest_idle (orca only: the peers have no customer context or sticky "
               "routing)\n", a, sp->skills);
        if (!cr->measured) {
            printf("  not measured (see notes)\n");
            continue;
        }
        printf("  workload: the zipf stream and seed of the plain row; in addition each "
               "interaction names a customer:\n"
               "    %.0f%% of arrivals are returning customers (the customer of one of the "
               "previous %llu arrivals, uniform), %.0f%% new ones (ids never seen);\n"
               "    a return continues that contact's conversation %.0f%% of the time (if it "
               "had one), any other contact opens a conversation %.0f%% of the time;\n"
               "    customer config: orca's defaults (history_per_customer 8, max_customers "
               "100000, customer_ttl_ms 7 days)\n",
               100 * cr->cust.recontact, (unsigned long long)cr->cust.window,
               100 * (1 - cr->cust.recontact), 100 * cr->cust.same_conversation,
               100 * cr->cust.new_conversation);
        printf("  three engines built alike, runs interleaved (run r starts with variant r mod "
               "3): plain = customers off; customers = customers on, sticky off;\n"
               "    sticky = customers on and the queue's sticky_ms = %u (the bench's virtual "
               "clock moves 1 ms per arrival+release pair: a hold lasts %u pairs);\n"
               "    warm-up %zu pairs each%s, then %d run%s of %u pairs\n",
               CONT_STICKY_MS, CONT_STICKY_MS, cr->warmup[CV_PLAIN],
               cr->warmup[CV_PLAIN] >= CONT_STICKY_MS
                   ? " (at least sticky_ms worth, so holds are at steady state)"
                   : " (shorter than sticky_ms: holds not yet at steady state)",
               op->runs, op->runs == 1 ? "" : "s", op->calls);
        printf("\n    %-10s %-7s %8s %9s %9s %9s %11s %8s | %-26s\n", "variant", "dir", "calls",
               "median_ns", "p99_ns", "p99.9_ns", "decisions/s", "B/inter",
               "median / p99 / p99.9 vs plain");
        for (int v = 0; v < NCV; v++) {
            for (int dir = 0; dir < 2; dir++) {
                const figs *f = dir ? &cr->r[v] : &cr->a[v];
                const figs *p = dir ? &cr->r[CV_PLAIN] : &cr->a[CV_PLAIN];
                char m[16], q[16], z[16];
                ratio_cell(m, sizeof m, (double)f->median, (double)p->median);
                ratio_cell(q, sizeof q, (double)f->p99, (double)p->p99);
                ratio_cell(z, sizeof z, (double)f->p999, (double)p->p999);
                printf("    %-10s %-7s %7llu%s %9llu %9llu %9llu %11.0f %8.1f | %s / %s / %s\n",
                       cv_label[v], dir ? "release" : "arrival",
                       (unsigned long long)f->calls, f->calls < op->calls ? "*" : " ",
                       (unsigned long long)f->median, (unsigned long long)f->p99,
                       (unsigned long long)f->p999, f->dps, cr->bpi[v], m, q, z);
            }
        }
        printf("    (CSV rows: workload zipf_customers and zipf_sticky; plain is this "
               "block's own baseline, not written again)\n");
        printf("  ratios (median / p99 / p99.9; 1/dps = plain decisions/s over the variant's; "
               "above x1 = slower):\n");
        print_ratio_line("customers on vs plain (customers off):", &cr->a[CV_CUSTOMERS],
                         &cr->r[CV_CUSTOMERS], &cr->a[CV_PLAIN], &cr->r[CV_PLAIN]);
        print_ratio_line("sticky on vs sticky off (both customers on):", &cr->a[CV_STICKY],
                         &cr->r[CV_STICKY], &cr->a[CV_CUSTOMERS], &cr->r[CV_CUSTOMERS]);
        print_ratio_line("sticky on vs plain:", &cr->a[CV_STICKY], &cr->r[CV_STICKY],
                         &cr->a[CV_PLAIN], &cr->r[CV_PLAIN]);
        /* against the main table's plain row of this centre, if measured */
        row key = {"orca", sp, 0, "longest_idle", "arrival", {0, 0, 0, 0, 0}, 0, 0, 0};
        const row *ma = row_like(&key, "orca");
        key.direction = "release";
        const row *mr = row_like(&key, "orca");
        if (ma != NULL && mr != NULL && ma->st.calls > 0 && mr->st.calls > 0) {
            printf("    main table's zipf row (measured earlier in this run, beside the peers): "
                   "arrival %llu ns, release %llu ns median; this block's plain: %llu, %llu\n",
                   (unsigned long long)ma->st.median, (unsigned long long)mr->st.median,
                   (unsigned long long)cr->a[CV_PLAIN].median,
                   (unsigned long long)cr->r[CV_PLAIN].median);
            print_ratio_line("sticky on vs the main table's zipf row:", &cr->a[CV_STICKY],
                             &cr->r[CV_STICKY], &ma->st, &mr->st);
        }

        /* what sticky routing did over the timed runs */
        const orca_customer_totals *s0 = &cr->t0[CV_STICKY], *s1 = &cr->t1[CV_STICKY];
        uint64_t arrivals = cr->k1[CV_STICKY] - cr->k0[CV_STICKY];
        uint64_t contacts = s1->contacts - s0->contacts;
        uint64_t recontacts = s1->recontacts - s0->recontacts;
        uint64_t switches = s1->channel_switches - s0->channel_switches;
        uint64_t sticky = s1->sticky - s0->sticky;
        uint64_t toffers = s1->target_offers - s0->target_offers;
        uint64_t ms = cr->ms1[CV_STICKY] - cr->ms0[CV_STICKY];
        printf("  sticky routing over the timed runs (orca_customer_totals_get, after - "
               "before; %llu arrivals in %llu ms of virtual time):\n",
               (unsigned long long)arrivals, (unsigned long long)ms);
        printf("    contacts %llu (every arrival names a customer), recontacts %.1f%%, "
               "channel switches %.1f%%\n", (unsigned long long)contacts,
               pct_of(recontacts, contacts), pct_of(switches, contacts));
        printf("    HELD for the last agent (ORCA_ENQ_STICKY): %llu = %.1f%% of arrivals "
               "(%.1f%% of recontacts)\n", (unsigned long long)sticky,
               pct_of(sticky, contacts), pct_of(sticky, recontacts));
        printf("    held work offered to the agent it was held for (target_offers): %llu = "
               "%.1f%% of the holds made in the same time\n", (unsigned long long)toffers,
               pct_of(toffers, sticky));
        const cont_track *t = &cr->tr;
        uint64_t h = t->held;
        printf("  the held arrivals of the timed runs, followed by the host (%llu of %llu "
               "arrivals, %.1f%%):\n", (unsigned long long)h, (unsigned long long)t->arrivals,
               pct_of(h, t->arrivals));
        printf("    offered to the held-for agent: %.1f%% (%.1f%% by the arrival itself or "
               "the clock, %.1f%% by that agent's release);\n",
               pct_of(t->to_target_arrival + t->to_target_release, h),
               pct_of(t->to_target_arrival, h), pct_of(t->to_target_release, h));
        printf("    offered to another agent after the hold ended: %.1f%%; still waiting at "
               "the end: %.1f%% held, %.1f%% released; abandoned (size control): %.1f%%\n",
               pct_of(t->to_other, h), pct_of(cr->still_held, h),
               pct_of(cr->released_waiting, h), pct_of(cr->abandoned, h));
        double lam = ms ? (double)arrivals / (double)ms : 0;
        uint64_t nheld = t->n_target + t->n_other;
        printf("  waits on the virtual clock of the work offered during the runs (mean ms): "
               "held, to its agent %.0f (%llu offers); held, to another %.0f (%llu);\n"
               "    all held %.0f (%llu); never held %.0f (%llu); Little's law: %lld waiting / "
               "%.2f arrivals per ms = %.0f ms mean wait, against sticky_ms %u\n",
               t->n_target ? (double)t->wait_target / (double)t->n_target : 0,
               (unsigned long long)t->n_target,
               t->n_other ? (double)t->wait_other / (double)t->n_other : 0,
               (unsigned long long)t->n_other,
               nheld ? (double)(t->wait_target + t->wait_other) / (double)nheld : 0,
               (unsigned long long)nheld,
               t->n_plain ? (double)t->wait_plain / (double)t->n_plain : 0,
               (unsigned long long)t->n_plain, (long long)cr->waiting[CV_STICKY], lam,
               lam > 0 ? (double)cr->waiting[CV_STICKY] / lam : 0, CONT_STICKY_MS);
        /* the customers engine's memory against the plain one's */
        const orca_customer_totals *c1 = &cr->t1[CV_CUSTOMERS], *c0 = &cr->t0[CV_CUSTOMERS];
        double extra = (double)cr->live[CV_CUSTOMERS] - (double)cr->live[CV_PLAIN];
        fmt_mb(a, sizeof a, (double)cr->live[CV_PLAIN]);
        fmt_mb(b, sizeof b, extra);
        printf("  memory after the runs: plain engine %s live; customers engine %s more, "
               "keeping %u customers (at most %u idle, the others with some of its %lld "
               "waiting + %zu busy interactions; %llu forgotten during the runs): %.0f B per "
               "customer kept\n", a, b, c1->customers, 100000u,
               (long long)cr->waiting[CV_CUSTOMERS], cr->busy[CV_CUSTOMERS],
               (unsigned long long)(c1->forgotten - c0->forgotten),
               c1->customers ? extra / c1->customers : 0);
    }
}

static void print_customer_memory(void)
{
    if (nmemrows == 0)
        return;
    char b1[32];
    printf("\nMEMORY PER CUSTOMER KEPT (orca; allocator hook; K idle customers whose "
           "interactions finished (abandoned while\n  waiting), live bytes with them minus "
           "without, / K; printed only: no CSV column is per customer)\n");
    printf("    %-20s %-14s %8s %16s %s\n", "history_per_customer", "contacts each", "K",
           "bytes/customer", "bound: max_customers x bytes");
    for (size_t i = 0; i < nmemrows; i++) {
        const memrow *m = &memrows[i];
        char c[32];
        snprintf(c, sizeof c, "%u%s", m->contacts, m->contacts == m->history ? " (full)" : "");
        fmt_mb(b1, sizeof b1, (double)mem_max_customers * m->bytes);
        printf("    %-20u %-14s %8u %16.1f %s (%u x %.0f B)%s\n", m->history, c, m->kept,
               m->bytes, b1, mem_max_customers, m->bytes,
               m->customers != m->kept ? "  [orca kept fewer: see max_customers]" : "");
    }
    printf("  bound: orca keeps at most max_customers (default %u) idle customers, least "
           "recently active forgotten first,\n  plus one context per customer with live "
           "work; so idle-customer memory <= max_customers x the full-history figure.\n",
           mem_max_customers);
}

/* ------------------------------------------------------------------------ */
/* main                                                                     */
/* ------------------------------------------------------------------------ */

static void usage(void)
{
    printf("usage: orca-bench [options]\n"
           "  --smoke            tiny fast run (200 agents x 2k waiting, 10k calls),\n"
           "                     writes bench/results/smoke.csv\n"
           "  --large            also the adversarial centre at 100k agents x 1M waiting\n"
           "                     (the zipf 100k x 1M centres are in the default run)\n"
           "  --all-strategies   all six strategies on every centre (default: all six on\n"
           "                     zipf 10k x 100k 50 skills, longest_idle elsewhere)\n"
           "  --seed N           workload seed (default 42)\n"
           "  --runs N           runs per figure; the median of the runs is reported\n"
           "                     (default 3, 1 with --smoke)\n"
           "  --calls N          timed calls per direction per run (default 100000)\n"
           "  --warmup N         untimed arrival+release pairs first\n"
           "                     (default: waiting / 2, within 200..50000; each\n"
           "                     router stops at its per-run time budget)\n"
           "  --peer-budget SEC  wall time per run for every peer (default: app_queue_style\n"
           "                     3, opensips_style 1.5, mod_callcenter_style 1.5; with\n"
           "                     --smoke 0.5, 0.3, 0.3)\n"
           "  --orca-budget SEC  wall time per run for orca (default 10)\n"
           "  --build-budget SEC wall time to build one centre in orca\n"
           "                     (default 120, 300 for 100k agents)\n"
           "  --peers LIST       the peers to run, comma-separated: app_queue_style,\n"
           "                     opensips_style, mod_callcenter_style (or app_queue,\n"
           "                     opensips, mod_callcenter), all, none (default: all)\n"
           "  --no-peer          orca only (--peers none)\n"
           "  --agents N         only the centres with N agents\n"
           "  --skills N         only the centres with N skills\n"
           "  --workload NAME    only that workload (zipf or adversarial)\n"
           "  --check            orca_engine_check() after the build and the runs\n"
           "  --no-continuity    skip the continuity measurement (customers and sticky\n"
           "                     routing, orca only, on zipf 10k x 100k 50 skills; with\n"
           "                     --smoke on its zipf centre) and the memory per customer\n"
           "  --continuity-only  only that measurement (the centres it runs on, no peers)\n"
           "  --no-journal       skip the journal measurement (records/s per sync policy,\n"
           "                     recovery time of 100k waiting; files in $TMPDIR)\n"
           "  --journal-only     only that measurement\n"
           "  --timers-only      only the cost of one long clock step with an agent who\n"
           "                     never answers (bench/timers.c), then exit\n"
           "  --out FILE         CSV path (default bench/results/latest.csv)\n"
           "Exit status 3 if orca and a peer that follows its rules (app_queue_style,\n"
           "mod_callcenter_style) made different offers or orca_engine_check() failed\n"
           "(timings never fail the run). opensips_style is first fit: timings only.\n");
}

/* --peers LIST: names or aliases, comma-separated; all; none. */
static int parse_peers(const char *list, unsigned *out)
{
    unsigned set = 0;
    const char *at = list;
    while (*at != '\0') {
        size_t len = strcspn(at, ",");
        int found = 0;
        if (len == 3 && strncmp(at, "all", 3) == 0) {
            set |= PEERS_ALL;
            found = 1;
        } else if (len == 4 && strncmp(at, "none", 4) == 0) {
            found = 1;
        }
        for (int k = 0; k < NPEERS && !found; k++) {
            const peer_kind *pk = &peer_kinds[k];
            if ((strlen(pk->name) == len && strncmp(at, pk->name, len) == 0) ||
                (strlen(pk->alias) == len && strncmp(at, pk->alias, len) == 0)) {
                set |= 1u << k;
                found = 1;
            }
        }
        if (!found && len > 0) {
            fprintf(stderr, "orca-bench: --peers: unknown peer %.*s (known: app_queue_style, "
                            "opensips_style, mod_callcenter_style, all, none)\n", (int)len, at);
            return -1;
        }
        at += len;
        if (*at == ',')
            at++;
    }
    *out = set;
    return 0;
}

static unsigned long long parse_num(const char *s, const char *opt)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || *end != '\0' || end == s) {
        fprintf(stderr, "orca-bench: bad value for %s: %s\n", opt, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    opts op;
    memset(&op, 0, sizeof op);
    op.seed = 42;
    op.peers = PEERS_ALL;
    op.runs = -1;
    op.warmup = UINT32_MAX;
    op.peer_budget_s = op.orca_budget_s = op.build_budget_s = -1.0;
    op.continuity = 1;
    op.journal = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE()                                                     \
    do {                                                                 \
        if (v == NULL) {                                                 \
            fprintf(stderr, "orca-bench: %s needs a value\n", a);        \
            return 2;                                                    \
        }                                                                \
        i++;                                                             \
    } while (0)
        if (strcmp(a, "--smoke") == 0) {
            op.smoke = 1;
        } else if (strcmp(a, "--large") == 0) {
            op.large = 1;
        } else if (strcmp(a, "--all-strategies") == 0) {
            op.all_strategies = 1;
        } else if (strcmp(a, "--no-peer") == 0) {
            op.peers = 0;
        } else if (strcmp(a, "--peers") == 0) {
            NEED_VALUE();
            if (parse_peers(v, &op.peers) != 0)
                return 2;
        } else if (strcmp(a, "--check") == 0) {
            op.check = 1;
        } else if (strcmp(a, "--no-continuity") == 0) {
            op.continuity = 0;
        } else if (strcmp(a, "--continuity-only") == 0) {
            op.continuity = 2;
        } else if (strcmp(a, "--no-journal") == 0) {
            op.journal = 0;
        } else if (strcmp(a, "--journal-only") == 0) {
            op.journal = 2;
        } else if (strcmp(a, "--timers-only") == 0) {
            return bench_timers() ? 1 : 0;
        } else if (strcmp(a, "--seed") == 0) {
            NEED_VALUE();
            op.seed = parse_num(v, a);
        } else if (strcmp(a, "--runs") == 0) {
            NEED_VALUE();
            op.runs = (int)parse_num(v, a);
            if (op.runs < 1 || op.runs > 64) {
                fprintf(stderr, "orca-bench: --runs must be 1..64\n");
                return 2;
            }
        } else if (strcmp(a, "--calls") == 0) {
            NEED_VALUE();
            op.calls = (uint32_t)parse_num(v, a);
            if (op.calls < 1) {
                fprintf(stderr, "orca-bench: --calls must be >= 1\n");
                return 2;
            }
        } else if (strcmp(a, "--warmup") == 0) {
            NEED_VALUE();
            op.warmup = (uint32_t)parse_num(v, a);
        } else if (strcmp(a, "--peer-budget") == 0) {
            NEED_VALUE();
            op.peer_budget_s = strtod(v, NULL);
            if (!(op.peer_budget_s > 0)) {
                fprintf(stderr, "orca-bench: --peer-budget must be > 0\n");
                return 2;
            }
        } else if (strcmp(a, "--orca-budget") == 0) {
            NEED_VALUE();
            op.orca_budget_s = strtod(v, NULL);
            if (!(op.orca_budget_s > 0)) {
                fprintf(stderr, "orca-bench: --orca-budget must be > 0\n");
                return 2;
            }
        } else if (strcmp(a, "--build-budget") == 0) {
            NEED_VALUE();
            op.build_budget_s = strtod(v, NULL);
            if (!(op.build_budget_s > 0)) {
                fprintf(stderr, "orca-bench: --build-budget must be > 0\n");
                return 2;
            }
        } else if (strcmp(a, "--skills") == 0) {
            NEED_VALUE();
            op.only_skills = (uint32_t)parse_num(v, a);
        } else if (strcmp(a, "--workload") == 0) {
            NEED_VALUE();
            op.only_workload = v;
        } else if (strcmp(a, "--agents") == 0) {
            NEED_VALUE();
            op.only_agents = (uint32_t)parse_num(v, a);
        } else if (strcmp(a, "--out") == 0) {
            NEED_VALUE();
            op.out = v;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage();
            return 0;
        } else {
            fprintf(stderr, "orca-bench: unknown option %s\n", a);
            usage();
            return 2;
        }
#undef NEED_VALUE
    }
    if (op.runs < 0)
        op.runs = op.smoke ? 1 : 3;
    if (op.calls == 0)
        op.calls = op.smoke ? 10000 : 100000;
    int warmup_auto = op.warmup == UINT32_MAX;
    op.warmup_auto = warmup_auto;
    for (int k = 0; k < NPEERS; k++)
        op.budget[k] = op.peer_budget_s > 0 ? op.peer_budget_s
                       : op.smoke            ? peer_kinds[k].smoke_budget_s
                                             : peer_kinds[k].budget_s;
    if (op.orca_budget_s < 0)
        op.orca_budget_s = op.smoke ? 2.0 : 10.0;
    int build_budget_auto = op.build_budget_s < 0;
    if (op.out == NULL)
        op.out = op.smoke ? "bench/results/smoke.csv" : "bench/results/latest.csv";
    if (op.journal == 2) {
        if (op.smoke)
            bench_journal(2000, 200, 5000, 50);
        else
            bench_journal(100000, 10000, 100000, 2000);
        return 0;
    }
    if (op.smoke)
        op.check = 1;

    const spec *list[16];
    size_t nlist = 0;
    if (op.smoke) {
        for (size_t i = 0; i < sizeof smoke_specs / sizeof *smoke_specs; i++)
            list[nlist++] = &smoke_specs[i];
    } else {
        for (size_t i = 0; i < sizeof default_specs / sizeof *default_specs; i++)
            list[nlist++] = &default_specs[i];
        if (op.large)
            for (size_t i = 0; i < sizeof large_specs / sizeof *large_specs; i++)
                list[nlist++] = &large_specs[i];
    }

    char machine[400];
    machine_name(machine, sizeof machine);
    uint64_t tov = timer_overhead();
    printf("orca bench %s: seed %llu\n", orca_version(), (unsigned long long)op.seed);
    printf("machine: %s\n", machine);
    printf("clock: CLOCK_MONOTONIC around each public call; an empty timed pair costs "
           "%llu ns (included, not subtracted)\n", (unsigned long long)tov);
    char wbuf[64];
    if (warmup_auto)
        snprintf(wbuf, sizeof wbuf, "waiting/2 (200..50000)");
    else
        snprintf(wbuf, sizeof wbuf, "%u", op.warmup);
    char budgets[256];
    budget_list(&op, budgets, sizeof budgets);
    printf("calls: %u per direction per run, %d run%s (figures are the median over runs), "
           "warm-up pairs: %s; time budget per run: %s\n", op.calls,
           op.runs, op.runs == 1 ? "" : "s", wbuf, budgets);
    fflush(stdout);

    uint64_t *arr = malloc((size_t)op.calls * sizeof *arr);
    uint64_t *rel = malloc((size_t)op.calls * sizeof *rel);
    if (arr == NULL || rel == NULL)
        die("%s", "out of memory", 0);
    uint64_t t_all = bench_now_ns();
    int cont_ran = 0;
    for (size_t i = 0; i < nlist; i++) {
        const spec *sp = list[i];
        if ((op.only_agents != 0 && sp->agents != op.only_agents) ||
            (op.only_skills != 0 && sp->skills != op.only_skills) ||
            (op.only_workload != NULL && strcmp(sp->workload, op.only_workload) != 0))
            continue;
        workload w;
        wl_params wp = {op.seed, sp->agents, sp->skills, sp->classes, sp->adversarial};
        if (wl_build(&w, &wp) != 0)
            die("%s", "cannot build the workload", 0);
        if (build_budget_auto)
            op.build_budget_s = op.smoke ? 30.0 : sp->agents >= 100000 ? 300.0 : 120.0;
        if (warmup_auto) {
            /* half the waiting pool's worth of pairs first */
            op.warmup = sp->waiting / 2;
            op.warmup = op.warmup < 200 ? 200 : op.warmup > 50000 ? 50000 : op.warmup;
        }
        for (int s = 0; s < NSTRATEGIES && op.continuity != 2; s++) {
            if (!op.all_strategies && !sp->every_strategy && s != ORCA_STRATEGY_LONGEST_IDLE)
                continue;
            run_one(&op, sp, &w, (orca_strategy)s, arr, rel);
        }
        if (op.continuity && sp->continuity) {
            uint64_t tc = bench_now_ns();
            run_continuity(&op, sp, &w, arr, rel);
            fprintf(stderr, "  continuity measurement: %.1f s\n", secs_since(tc));
            cont_ran = 1;
        }
        wl_free(&w);
    }
    free(arr);
    free(rel);
    if (cont_ran) {
        uint64_t tm = bench_now_ns();
        measure_customer_memory(&op);
        fprintf(stderr, "  memory per customer: %.1f s\n", secs_since(tm));
    }

    if (op.peers & (1u << PEER_OPENSIPS))
        add_note("opensips_style: timings only, not in the agreement check: it is first fit "
                 "(the first free agent of its list holding the skills), so it cannot honour "
                 "the queue's strategy and its offers differ from orca's by design");
    print_table(&op);
    print_headline(&op);
    print_growth(&op);
    print_continuity(&op);
    print_customer_memory();
    if (op.journal) { /* files, not memory: after the timed runs, so it disturbs none */
        uint64_t tj = bench_now_ns();
        if (op.smoke)
            bench_journal(2000, 200, 5000, 50);
        else
            bench_journal(100000, 10000, 100000, 2000);
        fprintf(stderr, "  journal measurement: %.1f s\n", secs_since(tj));
    }
    if (nnotes > 0) {
        printf("\nnotes:\n");
        for (size_t i = 0; i < nnotes; i++)
            printf("  %s\n", notes[i].text);
    }
    write_csv(op.out);
    printf("\nwrote %s (%zu rows) in %.0f s; machine: %s; seed %llu\n", op.out, nrows,
           secs_since(t_all), machine, (unsigned long long)op.seed);
    free(rows);
    free(notes);
    for (size_t i = 0; i < nconts; i++)
        cont_free_track(&conts[i].tr);
    if (correctness_failed) {
        fprintf(stderr, "orca-bench: orca disagreed with the reference router or failed "
                        "orca_engine_check (see the notes)\n");
        return 3;
    }
    return 0;
}
