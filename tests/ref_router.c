/*
 * ref_router.c: the reference router. See ref_router.h.
 *
 * Every decision is a linear scan written to read like docs/DESIGN.md
 * ("Routing rules"). Names follow the document: fits, serves, tier,
 * eligible, excluded, available, pref, score, effprio, rank,
 * route_interaction, route_agent, offer, process_waiting; for held work
 * (targets) candidate, release_hold, held order; for customers last_agent,
 * kept history, contact bits.
 */
#include "ref_router.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* State                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct ref_channel {
    int live;
    char name[ORCA_NAME_MAX + 1];
    uint32_t cost;
    uint32_t wrapup_ms;
    orca_channel_callbacks cb;
    void *cb_data;
} ref_channel;

typedef struct ref_queue {
    char name[ORCA_NAME_MAX + 1];
    orca_strategy strategy;
    uint32_t serve;
    orca_skill_level skills[ORCA_MAX_REQUIRED];
    uint32_t nskills;
    uint32_t skills_tier;
    uint32_t max_size, max_wait_ms, aging_ms, aging_max;
    uint32_t wrapup_ms, sla_ms, offer_timeout_ms;
    orca_step steps[ORCA_MAX_STEPS];
    uint32_t nsteps;
    uint32_t overflow_after_ms;
    orca_queue_id overflow_to;
    uint32_t sticky_ms, sticky_within_ms;
    uint32_t callback_attempts, callback_retry_ms; /* as given (0: defaults) */
    uint32_t resume_ms;
    /* opening hours (orca_queue_set_hours): has_hours 0 is always open */
    int has_hours;
    int32_t utc_offset_min;
    orca_hours_range ranges[ORCA_HOURS_MAX];
    uint32_t nranges;
    orca_hours_exception exceptions[ORCA_HOURS_MAX];
    uint32_t nexceptions;
    orca_closed_action when_closed;
    orca_queue_id redirect_to;
    int removed;                             /* orca_queue_remove: a hole */
} ref_queue;

typedef struct ref_agent {
    int live;
    uint64_t id;
    orca_skill_level skills[REF_MAX_AGENT_SKILLS];
    uint32_t nskills;
    uint32_t capacity;
    uint32_t weight;
    uint32_t limit[ORCA_MAX_CHANNELS];      /* 0: channel not taken */
    void *data;
    orca_presence presence;
    uint32_t reason;
    uint64_t idle_since;
    uint64_t last_offer;                     /* offer counter at latest offer */
    uint64_t wr_key;
    uint32_t handled;
    uint32_t missed;
    uint64_t load;                           /* units in use x ms, so far */
    int member[REF_MAX_QUEUES + 1];          /* indexed by queue id */
    uint32_t tier[REF_MAX_QUEUES + 1];
    uint32_t rank[REF_MAX_QUEUES + 1];
} ref_agent;

typedef struct ref_excl {
    uint64_t agent;                          /* agent id */
    uint64_t until;                          /* excluded while now < until */
} ref_excl;

typedef struct ref_inter {
    int live;
    uint64_t id;
    uint64_t seq;
    orca_queue_id queue;
    orca_channel_id channel;
    uint64_t customer;
    uint32_t priority;                       /* as given (or set) */
    uint32_t effprio;                        /* last computed */
    orca_skill_level req0[ORCA_MAX_REQUIRED], pref0[ORCA_MAX_PREFERRED];
    uint32_t nreq0, npref0;                  /* original requirements */
    orca_skill_level req[ORCA_MAX_REQUIRED], pref[ORCA_MAX_PREFERRED];
    uint32_t nreq, npref;                    /* current requirements */
    uint64_t arrival;                        /* first enqueue */
    uint64_t queued;                         /* entered the current queue */
    orca_interaction_state state;
    uint64_t agent;                          /* OFFERED/BUSY/WRAPUP: agent id */
    uint32_t attempts;
    uint32_t step;                           /* steps applied in this queue */
    uint64_t offered_ms, expires_ms;         /* OFFERED */
    uint64_t busy_ms;                        /* BUSY since */
    uint64_t wrapup_ms, wrapup_until;        /* WRAPUP since, until */
    ref_excl excl[REF_MAX_AGENTS];
    uint32_t nexcl;
    void *data;
    int notified;                            /* the current offer was announced */
    uint64_t conversation;
    /* held for one agent (DESIGN.md "Work held for one agent") */
    uint64_t target;                         /* agent id t; 0: not held */
    uint64_t target_until;                   /* UINT64_MAX: no limit */
    int target_hard;
    uint64_t answered_ms, answered_by;       /* accepted: when, by whom */
    uint32_t disposition;
    uint64_t xfer_to, xfer_from;             /* consult pair (ids), 0: none */
    int transferred;                         /* ends with outcome TRANSFERRED */
    uint64_t visited;                        /* bit q: was in queue q by overflow
                                                (queue removal refuses those) */
    /* DESIGN.md "Scheduled work, bots, opening hours, resume" */
    uint64_t due;                            /* SCHEDULED: routable from */
    /* the order legs were enqueued ("the later enqueued", "oldest
     * first"): seq, except that a resumed leg takes its old seq (its old
     * place in the queue) while it is enqueued now */
    uint64_t enqueued;
    uint32_t tries;                          /* unreached callbacks so far */
} ref_inter;

typedef struct ref_customer {
    int live;
    uint64_t id;
    uint64_t contacts;
    uint64_t last_agent, last_answer;        /* the customer's latest accepted work */
    uint64_t last_active;                    /* last arrival or finish */
    uint64_t idle_order;                     /* when it last had no live work (order) */
    orca_history_entry hist[ORCA_HISTORY_MAX]; /* newest first */
    uint32_t nhist;
    /* abandon and resume: the ticket (one per customer, the latest) */
    orca_queue_id resume_q;                  /* 0: none */
    uint64_t resume_arrival, resume_seq, resume_until;
} ref_customer;

struct ref_router {
    ref_options opt;
    uint64_t now;
    uint64_t rng;                            /* splitmix64 state */
    uint64_t wr_clock;
    uint64_t offer_counter;
    uint64_t enqueue_counter;
    uint32_t offer_timeout_ms, reoffer_delay_ms, no_answer_limit;
    uint32_t history_per_customer, max_customers;
    uint64_t customer_ttl_ms;
    uint64_t idle_counter;                   /* orders customers going idle */
    uint64_t enqueued_counter;               /* orders legs as enqueued */

    int skill_live[REF_MAX_SKILLS];
    ref_channel channels[ORCA_MAX_CHANNELS];
    uint32_t nchannels;
    ref_queue queues[REF_MAX_QUEUES + 1];    /* [1..nqueues] */
    uint32_t nqueues;
    ref_agent agents[REF_MAX_AGENTS];
    int nagents;                             /* slots [0, nagents) may be live */
    /* the engine's agent order (its agent array): an add goes last, a
     * removal moves the last one into the hole (ref_offline_all) */
    uint64_t order[REF_MAX_AGENTS];
    int norder;
    ref_inter inters[REF_MAX_INTERACTIONS];
    int ninters;                             /* slots [0, ninters) may be live */
    ref_customer customers[REF_MAX_CUSTOMERS];
    int ncustomers;                          /* slots [0, ncustomers) may be live */
    orca_customer_totals totals;             /* .customers counted when asked */
    orca_history_entry hist_buf[ORCA_HISTORY_MAX]; /* an offer's copy */

    orca_event *events;
    size_t nevents, capevents;
    uint64_t event_seq;

    /* deferred offer callbacks: seqs of interactions to announce, in order */
    int depth;                               /* public calls in progress */
    int flushing;
    uint64_t *notify;
    size_t notify_head, nnotify, capnotify;
};

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */
/* ------------------------------------------------------------------------ */

void ref_options_init(ref_options *o)
{
    memset(o, 0, sizeof *o);
    o->fresh_effprio = 0;
    o->fresh_exclusions = 1;
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* DESIGN.md: u = ((x >> 11) + 1) * 2^-53, (uint64_t)(-log(u) * 1e6 / w). */
static uint64_t draw(ref_router *r, uint32_t w)
{
    uint64_t x = splitmix64(&r->rng);
    double u = (double)((x >> 11) + 1) * 0x1p-53;
    return (uint64_t)(-log(u) * 1e6 / w);
}

static ref_agent *find_agent(ref_router *r, uint64_t id)
{
    for (int k = 0; k < r->nagents; k++)
        if (r->agents[k].live && r->agents[k].id == id)
            return &r->agents[k];
    return NULL;
}

static ref_inter *find_inter(ref_router *r, uint64_t id)
{
    for (int k = 0; k < r->ninters; k++)
        if (r->inters[k].live && r->inters[k].id == id)
            return &r->inters[k];
    return NULL;
}

static const ref_queue *queue_of(const ref_router *r, const ref_inter *i)
{
    return &r->queues[i->queue];
}

static int queue_exists(const ref_router *r, orca_queue_id q)
{
    return q >= 1 && q <= r->nqueues && !r->queues[q].removed;
}

static int channel_exists(const ref_router *r, orca_channel_id ch)
{
    return ch < ORCA_MAX_CHANNELS && r->channels[ch].live;
}

static int skill_exists(const ref_router *r, orca_skill_id s)
{
    return s < REF_MAX_SKILLS && r->skill_live[s];
}

static void emit(ref_router *r, orca_event_type type, const ref_inter *i,
                 uint64_t agent, orca_queue_id queue, uint32_t value)
{
    if (r->nevents == r->capevents) {
        size_t cap = r->capevents ? r->capevents * 2 : 64;
        orca_event *p = realloc(r->events, cap * sizeof *p);
        if (!p)
            abort();
        r->events = p;
        r->capevents = cap;
    }
    orca_event *ev = &r->events[r->nevents++];
    memset(ev, 0, sizeof *ev);
    ev->type = type;
    ev->seq = ++r->event_seq;
    ev->time_ms = r->now;
    ev->agent = agent;
    ev->queue = queue;
    ev->value = value;
    if (i) {
        ev->interaction = i->id;
        ev->channel = i->channel;
        ev->customer = i->customer;
        ev->priority = i->priority;
        ev->arrival_ms = i->arrival;
        /* scheduled work arrives later than now: "wait_ms 0" */
        ev->wait_ms = r->now > i->arrival ? r->now - i->arrival : 0;
        ev->conversation = i->conversation;
    }
}

/* ------------------------------------------------------------------------ */
/* The words of DESIGN.md                                                   */
/* ------------------------------------------------------------------------ */

static uint32_t cost(const ref_router *r, orca_channel_id ch)
{
    return r->channels[ch].cost;
}

/* used: sum of the costs of a's OFFERED, BUSY and WRAPUP interactions. */
static uint32_t used(const ref_router *r, const ref_agent *a)
{
    uint32_t u = 0;
    for (int k = 0; k < r->ninters; k++) {
        const ref_inter *i = &r->inters[k];
        if (i->live && i->state != ORCA_STATE_WAITING && i->agent == a->id)
            u += cost(r, i->channel);
    }
    return u;
}

static uint32_t count_in_state(const ref_router *r, const ref_agent *a,
                               orca_interaction_state st)
{
    uint32_t n = 0;
    for (int k = 0; k < r->ninters; k++) {
        const ref_inter *i = &r->inters[k];
        if (i->live && i->state == st && i->agent == a->id)
            n++;
    }
    return n;
}

/* count[ch]: a's interactions of channel ch that are OFFERED/BUSY/WRAPUP. */
static uint32_t count_ch(const ref_router *r, const ref_agent *a, orca_channel_id ch)
{
    uint32_t n = 0;
    for (int k = 0; k < r->ninters; k++) {
        const ref_inter *i = &r->inters[k];
        if (i->live && i->state != ORCA_STATE_WAITING && i->agent == a->id &&
            i->channel == ch)
            n++;
    }
    return n;
}

/* The agent's level for a skill, 0 if it does not hold it. */
static uint32_t level_of(const ref_agent *a, orca_skill_id s)
{
    for (uint32_t k = 0; k < a->nskills; k++)
        if (a->skills[k].skill == s)
            return a->skills[k].level;
    return 0;
}

static int fits(const ref_router *r, const ref_agent *a, orca_channel_id ch)
{
    return used(r, a) + cost(r, ch) <= a->capacity && count_ch(r, a, ch) < a->limit[ch];
}

static int serves(const ref_router *r, const ref_agent *a, orca_queue_id qid)
{
    const ref_queue *q = &r->queues[qid];
    int members = (q->serve & ORCA_SERVE_MEMBERS) && a->member[qid];
    int skills = 0;
    if (q->serve & ORCA_SERVE_SKILLS) {
        skills = 1;
        for (uint32_t k = 0; k < q->nskills; k++)
            if (level_of(a, q->skills[k].skill) < q->skills[k].level)
                skills = 0;
    }
    return members || skills;
}

static uint32_t tier(const ref_router *r, const ref_agent *a, orca_queue_id qid)
{
    return a->member[qid] ? a->tier[qid] : r->queues[qid].skills_tier;
}

static int eligible(const ref_router *r, const ref_agent *a, const ref_inter *i)
{
    if (!serves(r, a, i->queue))
        return 0;
    for (uint32_t k = 0; k < i->nreq; k++)
        if (level_of(a, i->req[k].skill) < i->req[k].level)
            return 0;
    return a->limit[i->channel] > 0;
}

static int excluded(const ref_router *r, const ref_agent *a, const ref_inter *i)
{
    for (uint32_t k = 0; k < i->nexcl; k++)
        if (i->excl[k].agent == a->id)
            return r->opt.fresh_exclusions ? r->now < i->excl[k].until : 1;
    return 0;
}

static int available(const ref_router *r, const ref_agent *a, const ref_inter *i)
{
    return eligible(r, a, i) && a->presence == ORCA_PRESENCE_READY &&
           fits(r, a, i->channel) && !excluded(r, a, i);
}

static uint32_t pref(const ref_agent *a, const ref_inter *i)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < i->npref; k++)
        if (level_of(a, i->pref[k].skill) >= i->pref[k].level)
            n++;
    return n;
}

/* Sum of a's levels over the distinct skills named in i's current required
 * and preferred lists (a skill in both lists counts once). */
static uint64_t score(const ref_agent *a, const ref_inter *i)
{
    uint64_t s = 0;
    for (uint32_t k = 0; k < i->nreq; k++)
        s += level_of(a, i->req[k].skill);
    for (uint32_t k = 0; k < i->npref; k++) {
        int also_required = 0;
        for (uint32_t m = 0; m < i->nreq; m++)
            if (i->req[m].skill == i->pref[k].skill)
                also_required = 1;
        if (!also_required)
            s += level_of(a, i->pref[k].skill);
    }
    return s;
}

/* effprio(i) at the current clock. */
static uint32_t compute_effprio(const ref_router *r, const ref_inter *i)
{
    const ref_queue *q = queue_of(r, i);
    if (q->aging_ms > 0 && i->priority < q->aging_max && r->now >= i->queued) {
        /* (scheduled work enters its queue at due: nothing waited before) */
        uint64_t waited = r->now - i->queued;
        uint64_t p = i->priority + waited / q->aging_ms;
        return p < q->aging_max ? (uint32_t)p : q->aging_max;
    }
    return i->priority;
}

static uint32_t effprio(const ref_router *r, const ref_inter *i)
{
    return r->opt.fresh_effprio ? compute_effprio(r, i) : i->effprio;
}

static uint32_t rank(const ref_agent *a, orca_queue_id q)
{
    return a->rank[q];
}

static int cmp_u64(uint64_t x, uint64_t y)
{
    return x < y ? -1 : x > y ? 1 : 0;
}

/* Arrival direction: (tier, -pref, primary, idle_since, id). <0 if a first. */
static int agent_key_cmp(const ref_router *r, const ref_inter *i,
                         const ref_agent *a, const ref_agent *b)
{
    const ref_queue *q = queue_of(r, i);
    int c;
    if ((c = cmp_u64(tier(r, a, i->queue), tier(r, b, i->queue))))
        return c;
    if ((c = cmp_u64(pref(b, i), pref(a, i))))       /* more preferred first */
        return c;
    switch (q->strategy) {
    case ORCA_STRATEGY_LONGEST_IDLE:
        c = 0;
        break;
    case ORCA_STRATEGY_LEAST_OCCUPIED:
        c = cmp_u64(used(r, a), used(r, b));
        break;
    case ORCA_STRATEGY_MOST_PROFICIENT:
        c = cmp_u64(score(b, i), score(a, i));     /* higher score first */
        break;
    case ORCA_STRATEGY_ROUND_ROBIN:
        c = cmp_u64(a->last_offer, b->last_offer);
        break;
    case ORCA_STRATEGY_FEWEST_HANDLED:
        c = cmp_u64(a->handled, b->handled);
        break;
    case ORCA_STRATEGY_WEIGHTED_RANDOM:
        c = cmp_u64(a->wr_key, b->wr_key);
        break;
    case ORCA_STRATEGY_PACKING:                /* most capacity in use first */
        c = cmp_u64(used(r, b), used(r, a));
        break;
    case ORCA_STRATEGY_LEAST_BUSY: {           /* least work held so far */
        const uint64_t max = (1ull << 48) - 1; /* the engine's key width */
        c = cmp_u64(a->load < max ? a->load : max, b->load < max ? b->load : max);
        break;
    }
    case ORCA_STRATEGY_TOP_DOWN:               /* tier, pref, then id only */
        c = 0;
        break;
    }
    if (c)
        return c;
    if (q->strategy != ORCA_STRATEGY_TOP_DOWN && (c = cmp_u64(a->idle_since, b->idle_since)))
        return c;
    return cmp_u64(a->id, b->id);
}

/* Release direction: (rank, -effprio, arrival, seq). <0 if i first. */
static int work_key_cmp(const ref_router *r, const ref_agent *a,
                        const ref_inter *i, const ref_inter *j)
{
    int c;
    if ((c = cmp_u64(rank(a, i->queue), rank(a, j->queue))))
        return c;
    if ((c = cmp_u64(effprio(r, j), effprio(r, i))))  /* higher first */
        return c;
    if ((c = cmp_u64(i->arrival, j->arrival)))
        return c;
    return cmp_u64(i->seq, j->seq);
}

/* "While held, only t may be offered it: in both directions below, i counts
 * as a candidate for agent a only if a == t." */
static int candidate(const ref_agent *a, const ref_inter *i)
{
    return i->target == 0 || i->target == a->id;
}

/* t's held order: the waiting key without the rank, (-effprio, arrival,
 * seq). <0 if i first. */
static int held_key_cmp(const ref_router *r, const ref_inter *i, const ref_inter *j)
{
    int c;
    if ((c = cmp_u64(effprio(r, j), effprio(r, i))))
        return c;
    if ((c = cmp_u64(i->arrival, j->arrival)))
        return c;
    return cmp_u64(i->seq, j->seq);
}

/* The WAITING work held for agent id, in t's held order, into out. */
static int held_for(ref_router *r, uint64_t id, ref_inter **out)
{
    int n = 0;
    for (int k = 0; k < r->ninters; k++) {
        ref_inter *i = &r->inters[k];
        if (i->live && i->state == ORCA_STATE_WAITING && i->target == id)
            out[n++] = i;
    }
    for (int a = 1; a < n; a++)                 /* insertion sort */
        for (int b = a; b > 0 && held_key_cmp(r, out[b], out[b - 1]) < 0; b--) {
            ref_inter *t = out[b];
            out[b] = out[b - 1];
            out[b - 1] = t;
        }
    return n;
}

/* The same list in the order holds ending together end (see
 * ref_options.reverse_release_order). */
static int held_for_release(ref_router *r, uint64_t id, ref_inter **out)
{
    int n = held_for(r, id, out);
    if (r->opt.reverse_release_order)
        for (int a = 0, b = n - 1; a < b; a++, b--) {
            ref_inter *t = out[a];
            out[a] = out[b];
            out[b] = t;
        }
    return n;
}

/* ------------------------------------------------------------------------ */
/* Customers (DESIGN.md "Customers, history and transfers")                 */
/* ------------------------------------------------------------------------ */

static ref_customer *find_customer(const ref_router *r, uint64_t id)
{
    for (int k = 0; k < r->ncustomers; k++)
        if (r->customers[k].live && r->customers[k].id == id)
            return (ref_customer *)&r->customers[k];
    return NULL;
}

/* The customer's live interactions. */
static uint32_t open_count(const ref_router *r, uint64_t customer)
{
    uint32_t n = 0;
    for (int k = 0; k < r->ninters; k++)
        if (r->inters[k].live && r->inters[k].customer == customer)
            n++;
    return n;
}

/* "history entries older than customer_ttl_ms are not reported" */
static int kept(const ref_router *r, const orca_history_entry *h)
{
    return r->now - h->end_ms < r->customer_ttl_ms;
}

/* The kept history, newest first. */
static uint32_t kept_history(const ref_router *r, const ref_customer *c, orca_history_entry *out)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < c->nhist; k++)
        if (kept(r, &c->hist[k])) {
            if (out)
                out[n] = c->hist[k];
            n++;
        }
    return n;
}

static void forget_customer(ref_router *r, ref_customer *c)
{
    memset(c, 0, sizeof *c);
    r->totals.forgotten++;
}

static int customer_idle(const ref_router *r, const ref_customer *c)
{
    return open_count(r, c->id) == 0;
}

/* "an idle context is forgotten when its last activity is customer_ttl_ms
 * old" */
static void forget_expired_customers(ref_router *r)
{
    for (int k = 0; k < r->ncustomers; k++) {
        ref_customer *c = &r->customers[k];
        if (c->live && customer_idle(r, c) && r->now - c->last_active >= r->customer_ttl_ms)
            forget_customer(r, c);
    }
}

/* "... or when there are more than max_customers idle ones (least recently
 * active first)". Ties of last activity: the one idle first goes first. */
static void forget_past_max_customers(ref_router *r)
{
    for (;;) {
        uint32_t nidle = 0;
        ref_customer *oldest = NULL;
        for (int k = 0; k < r->ncustomers; k++) {
            ref_customer *c = &r->customers[k];
            if (!c->live || !customer_idle(r, c))
                continue;
            nidle++;
            if (!oldest || c->last_active < oldest->last_active ||
                (c->last_active == oldest->last_active && c->idle_order < oldest->idle_order))
                oldest = c;
        }
        if (nidle <= r->max_customers)
            return;
        forget_customer(r, oldest);
    }
}

/* The context new work of customer id joins: found, or made. */
static ref_customer *customer_for_new_work(ref_router *r, uint64_t id)
{
    ref_customer *c = find_customer(r, id);
    if (c)
        return c;
    for (int k = 0; k < REF_MAX_CUSTOMERS; k++)
        if (!r->customers[k].live) {
            c = &r->customers[k];
            if (k >= r->ncustomers)
                r->ncustomers = k + 1;
            memset(c, 0, sizeof *c);
            c->live = 1;
            c->id = id;
            return c;
        }
    abort();                                 /* more customers than the model holds */
}

/* DESIGN.md "Last agent of a customer": in the conversation if it has an
 * answered interaction (live or kept), the latest answer among them; else
 * the agent of the customer's latest accepted interaction (kept for
 * customer_ttl_ms); none if that answer is older than within_ms (> 0).
 * Answers in the same ms: a live interaction before a kept one, the later
 * enqueued of two live ones, the newer of two kept ones. */
static uint64_t last_agent(const ref_router *r, const ref_customer *c, uint64_t conversation,
                           uint32_t within_ms)
{
    uint64_t who = 0, when = 0, order = 0;
    if (conversation) {
        for (int k = 0; k < r->ninters; k++) {
            const ref_inter *i = &r->inters[k];
            if (i->live && i->customer == c->id && i->conversation == conversation &&
                i->answered_by &&
                (!who || i->answered_ms > when || (i->answered_ms == when && i->enqueued > order))) {
                who = i->answered_by;
                when = i->answered_ms;
                order = i->enqueued;
            }
        }
        for (uint32_t k = 0; k < c->nhist; k++) {     /* newest first */
            const orca_history_entry *h = &c->hist[k];
            if (kept(r, h) && h->conversation == conversation && h->agent &&
                ((!who && !r->opt.kept_answer_at_0_ignored) || h->answer_ms > when)) {
                who = h->agent;
                when = h->answer_ms;
            }
        }
    }
    if (!who && c->last_agent && r->now - c->last_answer < r->customer_ttl_ms) {
        who = c->last_agent;
        when = c->last_answer;
    }
    if (who && within_ms && r->now - when > within_ms)
        return 0;
    return who;
}

/* ENQUEUED bits RECONTACT and SWITCH for new work of c (not yet live). */
static uint32_t contact_bits(const ref_router *r, const ref_customer *c, uint64_t conversation,
                             orca_channel_id ch)
{
    uint32_t bits = 0;
    if (open_count(r, c->id) || kept_history(r, c, NULL))
        bits |= ORCA_ENQ_RECONTACT;
    if (conversation) {
        /* the conversation's latest interaction: live first (the latest
         * arrival, a transferred leg keeping its first leg's; then the
         * latest enqueued), else kept (the newest) */
        const ref_inter *latest = NULL;
        for (int k = 0; k < r->ninters; k++) {
            const ref_inter *i = &r->inters[k];
            if (i->live && i->customer == c->id && i->conversation == conversation &&
                (!latest || i->arrival > latest->arrival ||
                 (i->arrival == latest->arrival && i->enqueued > latest->enqueued)))
                latest = i;
        }
        int found = latest != NULL;
        orca_channel_id prev = latest ? latest->channel : 0;
        for (uint32_t k = 0; k < c->nhist && !found; k++)
            if (kept(r, &c->hist[k]) && c->hist[k].conversation == conversation) {
                found = 1;
                prev = c->hist[k].channel;
            }
        if (found && prev != ch)
            bits |= ORCA_ENQ_SWITCH;
    }
    return bits;
}

/* i leaves the engine: "it becomes the newest history entry of its
 * customer (at most history_per_customer, oldest dropped)". */
static void record_history(ref_router *r, const ref_inter *i, orca_outcome outcome)
{
    ref_customer *c = find_customer(r, i->customer);
    if (!c)
        abort();                             /* contexts with live work are kept */
    uint32_t n = c->nhist < r->history_per_customer ? c->nhist + 1 : r->history_per_customer;
    memmove(&c->hist[1], &c->hist[0], (n - 1) * sizeof c->hist[0]);
    c->nhist = n;
    orca_history_entry *h = &c->hist[0];
    memset(h, 0, sizeof *h);
    h->interaction = i->id;
    h->conversation = i->conversation;
    h->queue = i->queue;
    h->channel = i->channel;
    h->agent = i->answered_by;
    h->arrival_ms = i->arrival;
    h->answer_ms = i->answered_ms;
    h->end_ms = r->now;
    h->outcome = outcome;
    h->disposition = i->disposition;
    c->last_active = r->now;
}

/* After a customer's interaction left: an idle context joins the idle ones
 * (forgotten past the limits when the public call ends: see leave()). */
static void customer_after_leave(ref_router *r, uint64_t customer)
{
    ref_customer *c = find_customer(r, customer);
    if (c && customer_idle(r, c))
        c->idle_order = ++r->idle_counter;
}

/* ------------------------------------------------------------------------ */
/* Routing                                                                  */
/* ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------ */
/* Host callbacks (DESIGN.md "Host callbacks")                              */
/* ------------------------------------------------------------------------ */

static void make_offer(const ref_router *r, const ref_inter *i, orca_offer *o)
{
    const ref_agent *a = find_agent((ref_router *)r, i->agent);
    memset(o, 0, sizeof *o);
    o->interaction = i->id;
    o->agent = i->agent;
    o->queue = i->queue;
    o->channel = i->channel;
    o->customer = i->customer;
    o->arrival_ms = i->arrival;
    o->offered_ms = i->offered_ms;
    o->expires_ms = i->expires_ms;
    o->attempt = i->attempts;
    o->interaction_data = i->data;
    o->agent_data = a ? a->data : NULL;
    o->conversation = i->conversation;
}

/* A new offer of i is to be announced when the outermost call ends. An
 * interaction is in the list once, at the place it was first put. */
static void notify_offer(ref_router *r, ref_inter *i)
{
    i->notified = 0;
    for (size_t k = r->notify_head; k < r->nnotify; k++)
        if (r->notify[k] == i->seq)
            return;
    if (r->nnotify == r->capnotify) {
        size_t cap = r->capnotify ? r->capnotify * 2 : 64;
        uint64_t *p = realloc(r->notify, cap * sizeof *p);
        if (!p)
            abort();
        r->notify = p;
        r->capnotify = cap;
    }
    r->notify[r->nnotify++] = i->seq;
}

/* Deliver the queued offer callbacks, oldest first, for offers still
 * standing and not yet announced; what the callbacks cause is appended and
 * delivered in the same loop. */
static void flush(ref_router *r)
{
    if (r->flushing)
        return;
    r->flushing = 1;
    while (r->notify_head < r->nnotify) {
        uint64_t seq = r->notify[r->notify_head++];
        ref_inter *i = NULL;
        for (int k = 0; k < r->ninters; k++)
            if (r->inters[k].live && r->inters[k].seq == seq)
                i = &r->inters[k];
        if (!i || i->state != ORCA_STATE_OFFERED || i->notified)
            continue;
        i->notified = 1;
        const ref_channel *ch = &r->channels[i->channel];
        if (ch->cb.offer) {
            orca_offer o;
            make_offer(r, i, &o);
            /* "The offer callback receives the customer's kept history,
             * newest first, and the number of the customer's other live
             * interactions." (as they are when the callback runs) */
            const ref_customer *c = i->customer ? find_customer(r, i->customer) : NULL;
            if (c) {
                o.nhistory = kept_history(r, c, r->hist_buf);
                o.history = o.nhistory ? r->hist_buf : NULL;
                o.open = open_count(r, c->id) - 1;
            }
            ch->cb.offer(ch->cb_data, &o);
        }
    }
    r->notify_head = r->nnotify = 0;
    r->flushing = 0;
}

/* An announced offer is taken back (timeout, abandon, cancel, removal). */
static void withdraw(ref_router *r, ref_inter *i, orca_withdraw_reason why)
{
    if (!i->notified)
        return;
    i->notified = 0;
    const ref_channel *ch = &r->channels[i->channel];
    if (ch->cb.withdraw) {
        orca_offer o;
        make_offer(r, i, &o);
        ch->cb.withdraw(ch->cb_data, &o, why);
    }
}

static uint32_t offer_timeout(const ref_router *r, const ref_inter *i)
{
    const ref_queue *q = queue_of(r, i);
    return q->offer_timeout_ms ? q->offer_timeout_ms : r->offer_timeout_ms;
}

/* the clock stays below ORCA_TIME_MAX: what would end past it ends at its
 * last instant */
static uint64_t end_by(uint64_t t)
{
    return t < ORCA_TIME_MAX ? t : ORCA_TIME_MAX - 1;
}

static void offer(ref_router *r, ref_inter *i, ref_agent *a)
{
    i->state = ORCA_STATE_OFFERED;
    i->agent = a->id;
    i->attempts++;
    r->offer_counter++;
    a->last_offer = r->offer_counter;
    r->wr_clock = a->wr_key;
    a->wr_key += draw(r, a->weight);
    i->offered_ms = r->now;
    i->expires_ms = offer_timeout(r, i) == ORCA_TIMEOUT_NEVER
                        ? UINT64_MAX : end_by(r->now + offer_timeout(r, i));
    if (i->target == a->id)
        r->totals.target_offers++;           /* held work offered to its agent */
    emit(r, ORCA_EV_OFFERED, i, a->id, i->queue, i->attempts);
    notify_offer(r, i);
}

static void route_interaction(ref_router *r, ref_inter *i)
{
    ref_agent *best = NULL;
    for (int k = 0; k < r->nagents; k++) {
        ref_agent *a = &r->agents[k];
        if (a->live && candidate(a, i) && available(r, a, i) &&
            (!best || agent_key_cmp(r, i, a, best) < 0))
            best = a;
    }
    if (best)
        offer(r, i, best);
}

static void route_agent(ref_router *r, ref_agent *a)
{
    while (a->presence == ORCA_PRESENCE_READY) {
        ref_inter *best = NULL;
        for (int k = 0; k < r->ninters; k++) {
            ref_inter *i = &r->inters[k];
            if (i->live && i->state == ORCA_STATE_WAITING && candidate(a, i) &&
                available(r, a, i) && (!best || work_key_cmp(r, a, i, best) < 0))
                best = i;
        }
        if (!best)
            return;
        offer(r, best, a);
    }
}

/* i leaves the engine with this outcome: a consult pair is "simply
 * unlinked", it joins its customer's history, and it is forgotten. */
static void finish(ref_router *r, ref_inter *i, orca_outcome outcome)
{
    ref_inter *other;
    if (i->xfer_to && (other = find_inter(r, i->xfer_to)))
        other->xfer_from = 0;
    if (i->xfer_from && (other = find_inter(r, i->xfer_from)))
        other->xfer_to = 0;
    uint64_t customer = i->customer;
    if (customer)
        record_history(r, i, outcome);
    memset(i, 0, sizeof *i);
    if (customer)
        customer_after_leave(r, customer);
}

/* A hold ends: event TARGET_RELEASED (agent = t, value = reason). */
static void release_hold(ref_router *r, ref_inter *i, uint32_t reason)
{
    uint64_t t = i->target;
    i->target = 0;
    i->target_until = 0;
    i->target_hard = 0;
    emit(r, ORCA_EV_TARGET_RELEASED, i, t, i->queue, reason);
}

static void apply_step(ref_inter *i, const orca_step *st)
{
    switch (st->action) {
    case ORCA_STEP_SET_LEVEL:
        for (uint32_t k = 0; k < i->nreq; k++)
            if (i->req[k].skill == st->skill)
                i->req[k].level = st->level;
        break;
    case ORCA_STEP_DROP_REQUIRED:
        for (uint32_t k = 0; k < i->nreq; k++)
            if (i->req[k].skill == st->skill) {
                memmove(&i->req[k], &i->req[k + 1], (i->nreq - k - 1) * sizeof i->req[0]);
                i->nreq--;
                break;
            }
        break;
    case ORCA_STEP_DROP_PREFERRED:
        for (uint32_t k = 0; k < i->npref; k++)
            if (i->pref[k].skill == st->skill) {
                memmove(&i->pref[k], &i->pref[k + 1], (i->npref - k - 1) * sizeof i->pref[0]);
                i->npref--;
                break;
            }
        break;
    }
}

static void set_effprio(ref_router *r, ref_inter *i)
{
    uint32_t p = compute_effprio(r, i);
    if (p != i->effprio) {
        i->effprio = p;
        emit(r, ORCA_EV_PRIORITY, i, i->agent, i->queue, p);
    }
}

static void process_waiting(ref_router *r, ref_inter *i)
{
    /* 1. drop exclusions that have run out */
    uint32_t n = 0;
    for (uint32_t k = 0; k < i->nexcl; k++)
        if (i->excl[k].until > r->now)
            i->excl[n++] = i->excl[k];
    i->nexcl = n;

    const ref_queue *q = queue_of(r, i);
    /* signed: work called back (virtual hold) before the slot it was
     * scheduled for keeps that later queued time, and has waited less than
     * nothing (no step, overflow or max wait is due yet) */
    int64_t waited = (int64_t)r->now - (int64_t)i->queued;
    if (r->opt.future_queued_wraps && r->now < i->queued)
        waited = INT64_MAX;                  /* (uint64_t)(now - queued): huge */

    /* 2. max wait */
    if (q->max_wait_ms && waited >= q->max_wait_ms) {
        emit(r, ORCA_EV_TIMED_OUT, i, 0, i->queue, 0);
        finish(r, i, ORCA_OUTCOME_TIMED_OUT);
        return;
    }

    /* 3. overflow: enter overflow_to now, from the original requirements */
    if (q->overflow_after_ms && waited >= q->overflow_after_ms) {
        orca_queue_id from = i->queue;
        i->queue = q->overflow_to;
        i->visited |= 1ull << i->queue;
        i->queued = r->now;
        i->step = 0;
        memcpy(i->req, i->req0, sizeof i->req);
        i->nreq = i->nreq0;
        memcpy(i->pref, i->pref0, sizeof i->pref);
        i->npref = i->npref0;
        emit(r, ORCA_EV_OVERFLOWED, i, 0, i->queue, 0);
        r->events[r->nevents - 1].queue_from = from;
        q = queue_of(r, i);
        waited = 0;
    }

    /* 4. routing steps due */
    while (i->step < q->nsteps && q->steps[i->step].after_ms <= waited) {
        apply_step(i, &q->steps[i->step]);
        i->step++;
        emit(r, ORCA_EV_STEP, i, 0, i->queue, i->step);
    }

    /* 5. effective priority */
    set_effprio(r, i);

    /* 5a. a soft hold on an agent who is OFFLINE ends (OFFLINE), then one
     * on an agent no longer eligible (INELIGIBLE) */
    ref_agent *t = i->target ? find_agent(r, i->target) : NULL;
    if (t && !i->target_hard && t->presence == ORCA_PRESENCE_OFFLINE) {
        release_hold(r, i, ORCA_RELEASE_OFFLINE);
        t = NULL;
    }
    if (t && !i->target_hard && !eligible(r, t, i)) {
        release_hold(r, i, ORCA_RELEASE_INELIGIBLE);
        t = NULL;
    }
    /* 5b. the wait for t is over and t can't take it now */
    if (t && r->now >= i->target_until && !available(r, t, i)) {
        if (i->target_hard) {
            emit(r, ORCA_EV_TIMED_OUT, i, 0, i->queue, 0);
            finish(r, i, ORCA_OUTCOME_TIMED_OUT);
            return;
        }
        release_hold(r, i, ORCA_RELEASE_EXPIRED);
    }

    /* 6. (to t only, if still held: see candidate()) */
    route_interaction(r, i);
}

/* OFFERED -> WAITING; the agent's capacity is freed by the state change. */
static void back_to_waiting(ref_router *r, ref_inter *i, int exclude)
{
    uint64_t agent = i->agent;
    i->state = ORCA_STATE_WAITING;
    i->agent = 0;
    if (!exclude)
        return;
    uint64_t until = r->now + r->reoffer_delay_ms;
    for (uint32_t k = 0; k < i->nexcl; k++)
        if (i->excl[k].agent == agent) {
            i->excl[k].until = until;
            return;
        }
    if (i->nexcl == REF_MAX_AGENTS)
        abort();                             /* more agents than the model holds */
    i->excl[i->nexcl].agent = agent;
    i->excl[i->nexcl].until = until;
    i->nexcl++;
}

static void complete(ref_router *r, ref_inter *i)
{
    ref_agent *a = find_agent(r, i->agent);
    emit(r, ORCA_EV_COMPLETED, i, i->agent, i->queue, 0);
    orca_event *ev = &r->events[r->nevents - 1];
    /* duration_ms: the wrap-up time (0 when there was none); handle_ms:
     * accept to completion; no survey (csat 0, fcr -1: unknown) */
    ev->duration_ms = i->state == ORCA_STATE_WRAPUP ? r->now - i->wrapup_ms : 0;
    ev->handle_ms = r->now - i->answered_ms;
    ev->fcr = -1;
    a->idle_since = r->now;
    finish(r, i, i->transferred ? ORCA_OUTCOME_TRANSFERRED : ORCA_OUTCOME_COMPLETED);
    route_agent(r, a);
}

/* "Handing from over to leg to: event TRANSFERRED (other = the leg's id,
 * value = mode), then from completes at once (event COMPLETED, capacity
 * freed, route_agent, outcome TRANSFERRED)." */
static void hand_over(ref_router *r, ref_inter *from, uint64_t to, orca_transfer_mode mode)
{
    emit(r, ORCA_EV_TRANSFERRED, from, from->agent, from->queue, (uint32_t)mode);
    r->events[r->nevents - 1].other = to;
    r->totals.transfers++;
    from->transferred = 1;
    complete(r, from);
}

/* t declined held work (reject or offer timeout): "DECLINED ... (soft
 * only; the event comes after REJECTED / OFFER_TIMEOUT, before
 * process_waiting)". */
static void declined(ref_router *r, ref_inter *i)
{
    if (i->target && !i->target_hard)
        release_hold(r, i, ORCA_RELEASE_DECLINED);
}

static void offer_timed_out(ref_router *r, ref_inter *i)
{
    ref_agent *a = find_agent(r, i->agent);
    a->missed++;
    emit(r, ORCA_EV_OFFER_TIMEOUT, i, a->id, i->queue, 0);
    withdraw(r, i, ORCA_WITHDRAW_TIMEOUT);
    if (r->no_answer_limit != ORCA_NO_ANSWER_NEVER && a->missed >= r->no_answer_limit &&
        a->presence == ORCA_PRESENCE_READY) {
        a->presence = ORCA_PRESENCE_NOT_READY;
        a->reason = ORCA_REASON_NO_ANSWER;
        emit(r, ORCA_EV_AGENT_PRESENCE, NULL, a->id, 0, 0);
        r->events[r->nevents - 1].presence = a->presence;
        r->events[r->nevents - 1].reason = a->reason;
    }
    back_to_waiting(r, i, 1);
    declined(r, i);
    process_waiting(r, i);
    route_agent(r, a);
}

/* The single deadline of a live interaction (0 if it has none). */
static int deadline_of(const ref_router *r, const ref_inter *i, uint64_t *out)
{
    uint64_t best = UINT64_MAX;
    switch (i->state) {
    case ORCA_STATE_OFFERED:
        best = i->expires_ms;
        break;
    case ORCA_STATE_WRAPUP:
        best = i->wrapup_until;
        break;
    case ORCA_STATE_SCHEDULED:               /* "its due time as its one timer" */
        best = i->due;
        break;
    case ORCA_STATE_BUSY:
    case ORCA_STATE_BOT:                     /* "BOT work has none" */
        break;
    case ORCA_STATE_WAITING: {
        const ref_queue *q = queue_of(r, i);
        uint64_t t;
        if (i->step < q->nsteps) {
            t = i->queued + q->steps[i->step].after_ms;
            if (t < best) best = t;
        }
        if (q->aging_ms > 0 && i->priority < q->aging_max && i->effprio < q->aging_max) {
            /* effprio = priority + k: the next increment is at k + 1 */
            t = i->queued + (uint64_t)(i->effprio - i->priority + 1) * q->aging_ms;
            if (t < best) best = t;
        }
        if (q->overflow_after_ms) {
            t = i->queued + q->overflow_after_ms;
            if (t < best) best = t;
        }
        if (q->max_wait_ms) {
            t = i->queued + q->max_wait_ms;
            if (t < best) best = t;
        }
        for (uint32_t k = 0; k < i->nexcl; k++)
            if (i->excl[k].until < best)
                best = i->excl[k].until;
        /* "a held WAITING interaction's deadline also includes until" */
        if (i->target && i->target_until < best)
            best = i->target_until;
        break;
    }
    }
    /* a deadline past the clock's end never comes (offers and wrap-ups
     * were brought inside it above) */
    if (best >= ORCA_TIME_MAX)
        return 0;
    *out = best;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Engine                                                                   */
/* ------------------------------------------------------------------------ */

static const struct { const char *name; uint32_t cost; } builtin_channels[] = {
    {"voice", 100}, {"chat", 25}, {"email", 10}, {"sms", 10},
    {"social", 10}, {"video", 100}, {"callback", 100},
};

ref_router *ref_new(const orca_config *cfg, const ref_options *opt)
{
    ref_router *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    orca_config c;
    if (cfg)
        c = *cfg;
    else
        memset(&c, 0, sizeof c);
    if (opt)
        r->opt = *opt;
    else
        ref_options_init(&r->opt);
    r->now = c.start_ms;
    r->rng = c.seed;
    r->offer_timeout_ms = c.offer_timeout_ms ? c.offer_timeout_ms : 20000;
    r->reoffer_delay_ms = c.reoffer_delay_ms ? c.reoffer_delay_ms : 30000;
    r->no_answer_limit = c.no_answer_limit ? c.no_answer_limit : 3;
    r->history_per_customer = c.history_per_customer ? c.history_per_customer : 8;
    r->max_customers = c.max_customers ? c.max_customers : 100000;
    r->customer_ttl_ms = c.customer_ttl_ms ? c.customer_ttl_ms : 7ull * 24 * 3600 * 1000;
    for (int k = 0; k < ORCA_CHANNEL_BUILTIN_COUNT; k++) {
        r->channels[k].live = 1;
        strcpy(r->channels[k].name, builtin_channels[k].name);
        r->channels[k].cost = builtin_channels[k].cost;
    }
    r->nchannels = ORCA_CHANNEL_BUILTIN_COUNT;
    return r;
}

void ref_free(ref_router *r)
{
    if (!r)
        return;
    free(r->events);
    free(r->notify);
    free(r);
}

uint64_t ref_now(const ref_router *r)
{
    return r->now;
}

size_t ref_events(const ref_router *r, const orca_event **out)
{
    *out = r->events;
    return r->nevents;
}

void ref_events_clear(ref_router *r)
{
    r->nevents = 0;
}

int ref_skill_define(ref_router *r, orca_skill_id id)
{
    if (id == 0) /* the engine's skill ids start at 1: 0 means none */
        return ORCA_EINVAL;
    if (id >= REF_MAX_SKILLS)
        return ORCA_ELIMIT;
    if (r->skill_live[id])
        return ORCA_EEXIST;
    r->skill_live[id] = 1;
    emit(r, ORCA_EV_SKILL_ADDED, NULL, 0, 0, id);
    return ORCA_OK;
}

static int check_name(const char *name)
{
    if (!name || !name[0])
        return ORCA_EINVAL;
    if (strlen(name) > ORCA_NAME_MAX)
        return ORCA_ETOOLONG;
    return ORCA_OK;
}

int ref_channel_add(ref_router *r, const orca_channel_def *def, orca_channel_id *out)
{
    int rc;
    if (!def || !out)
        return ORCA_EINVAL;
    if ((rc = check_name(def->name)))
        return rc;
    if (def->cost < 1 || def->cost > ORCA_CAPACITY_MAX)
        return ORCA_ERANGE;
    for (uint32_t k = 0; k < r->nchannels; k++)
        if (!strcmp(r->channels[k].name, def->name))
            return ORCA_EEXIST;
    if (r->nchannels >= ORCA_MAX_CHANNELS)
        return ORCA_ELIMIT;
    ref_channel *c = &r->channels[r->nchannels];
    c->live = 1;
    strcpy(c->name, def->name);
    c->cost = def->cost;
    c->wrapup_ms = def->wrapup_ms;
    *out = r->nchannels++;
    emit(r, ORCA_EV_CHANNEL_ADDED, NULL, 0, 0, 0);
    r->events[r->nevents - 1].channel = *out;
    return ORCA_OK;
}

int ref_channel_set_wrapup(ref_router *r, orca_channel_id id, uint32_t wrapup_ms)
{
    if (!channel_exists(r, id))
        return ORCA_ENOENT;
    r->channels[id].wrapup_ms = wrapup_ms;
    return ORCA_OK;
}

/* ------------------------------------------------------------------------ */
/* Queues                                                                   */
/* ------------------------------------------------------------------------ */

static int check_levels(const ref_router *r, const orca_skill_level *s, uint32_t n)
{
    if (n && !s)
        return ORCA_EINVAL;
    for (uint32_t k = 0; k < n; k++) {
        if (!skill_exists(r, s[k].skill))
            return ORCA_ENOENT;
        if (s[k].level < ORCA_LEVEL_MIN || s[k].level > ORCA_LEVEL_MAX)
            return ORCA_ERANGE;
        for (uint32_t m = 0; m < k; m++)
            if (s[m].skill == s[k].skill)
                return ORCA_EINVAL;
    }
    return ORCA_OK;
}

int ref_queue_add(ref_router *r, const orca_queue_def *def, orca_queue_id *out)
{
    int rc;
    if (!def || !out)
        return ORCA_EINVAL;
    if ((rc = check_name(def->name)))
        return rc;
    if ((unsigned)def->strategy > ORCA_STRATEGY_LEAST_BUSY)
        return ORCA_EINVAL;
    if (def->serve & ~(ORCA_SERVE_MEMBERS | ORCA_SERVE_SKILLS))
        return ORCA_EINVAL;
    if (def->nskills > ORCA_MAX_REQUIRED || def->nsteps > ORCA_MAX_STEPS)
        return ORCA_EINVAL;
    if ((rc = check_levels(r, def->skills, def->nskills)))
        return rc;
    if (def->nsteps && !def->steps)
        return ORCA_EINVAL;
    for (uint32_t k = 0; k < def->nsteps; k++) {
        const orca_step *st = &def->steps[k];
        if (k && st->after_ms < def->steps[k - 1].after_ms)
            return ORCA_EINVAL;
        if (st->action < ORCA_STEP_SET_LEVEL || st->action > ORCA_STEP_DROP_PREFERRED)
            return ORCA_EINVAL;
        if (!skill_exists(r, st->skill))
            return ORCA_ENOENT;
        if (st->action == ORCA_STEP_SET_LEVEL &&
            (st->level < ORCA_LEVEL_MIN || st->level > ORCA_LEVEL_MAX))
            return ORCA_ERANGE;
    }
    if (def->overflow_after_ms && def->overflow_to == ORCA_QUEUE_NONE)
        return ORCA_EINVAL;
    if (def->overflow_after_ms && !queue_exists(r, def->overflow_to))
        return ORCA_ENOENT;
    for (uint32_t k = 1; k <= r->nqueues; k++)
        if (!r->queues[k].removed && !strcmp(r->queues[k].name, def->name))
            return ORCA_EEXIST;
    if (r->nqueues >= REF_MAX_QUEUES)
        return ORCA_ELIMIT;

    ref_queue *q = &r->queues[++r->nqueues];
    memset(q, 0, sizeof *q);
    strcpy(q->name, def->name);
    q->strategy = def->strategy;
    q->serve = def->serve ? def->serve : ORCA_SERVE_MEMBERS;
    if (def->nskills)
        memcpy(q->skills, def->skills, def->nskills * sizeof q->skills[0]);
    q->nskills = def->nskills;
    q->skills_tier = def->skills_tier;
    q->max_size = def->max_size;
    q->max_wait_ms = def->max_wait_ms;
    q->aging_ms = def->aging_ms;
    q->aging_max = def->aging_max ? def->aging_max : ORCA_PRIORITY_MAX; /* 0 means 255 */
    q->wrapup_ms = def->wrapup_ms;
    q->sla_ms = def->sla_ms;
    q->offer_timeout_ms = def->offer_timeout_ms;
    if (def->nsteps)
        memcpy(q->steps, def->steps, def->nsteps * sizeof q->steps[0]);
    q->nsteps = def->nsteps;
    q->overflow_after_ms = def->overflow_after_ms;
    q->overflow_to = def->overflow_after_ms ? def->overflow_to : 0;
    q->sticky_ms = def->sticky_ms;
    q->sticky_within_ms = def->sticky_within_ms;
    q->callback_attempts = def->callback_attempts;
    q->callback_retry_ms = def->callback_retry_ms;
    q->resume_ms = def->resume_ms;
    *out = r->nqueues;
    emit(r, ORCA_EV_QUEUE_ADDED, NULL, 0, *out, 0);
    return ORCA_OK;
}

/* "INELIGIBLE after orca_agent_update or orca_queue_member_remove for soft
 * holds t no longer serves (each then routed)", in t's held order. */
static void recheck_holds(ref_router *r, ref_agent *a)
{
    ref_inter *held[REF_MAX_INTERACTIONS];
    int n = held_for_release(r, a->id, held);
    for (int k = 0; k < n; k++)
        if (!held[k]->target_hard && !eligible(r, a, held[k])) {
            release_hold(r, held[k], ORCA_RELEASE_INELIGIBLE);
            route_interaction(r, held[k]);
        }
}

static int impl_queue_member_add(ref_router *r, orca_queue_id q, uint64_t agent, uint32_t tier_)
{
    if (!queue_exists(r, q))
        return ORCA_ENOENT;
    ref_agent *a = find_agent(r, agent);
    if (!a)
        return ORCA_ENOENT;
    if (tier_ > ORCA_TIER_MAX)
        return ORCA_ERANGE;
    if (a->member[q])
        return ORCA_EEXIST;
    a->member[q] = 1;
    a->tier[q] = tier_;
    emit(r, ORCA_EV_MEMBER_ADDED, NULL, a->id, q, tier_);
    if (a->presence == ORCA_PRESENCE_READY)
        route_agent(r, a);
    return ORCA_OK;
}

static int impl_queue_member_remove(ref_router *r, orca_queue_id q, uint64_t agent)
{
    if (!queue_exists(r, q))
        return ORCA_ENOENT;
    ref_agent *a = find_agent(r, agent);
    if (!a || !a->member[q])
        return ORCA_ENOENT;
    a->member[q] = 0;
    a->tier[q] = 0;
    emit(r, ORCA_EV_MEMBER_REMOVED, NULL, a->id, q, 0);
    recheck_holds(r, a);
    return ORCA_OK;
}

/* DESIGN.md "Queue removed": refused while live work is in q or another
 * queue overflows or redirects to it; else memberships and ranks go. */
static int impl_queue_remove(ref_router *r, orca_queue_id q)
{
    if (!queue_exists(r, q))
        return ORCA_ENOENT;
    for (int k = 0; k < r->ninters; k++)
        if (r->inters[k].live && (r->inters[k].queue == q || r->inters[k].visited >> q & 1))
            return ORCA_ESTATE;
    for (uint32_t k = 1; k <= r->nqueues; k++) {
        const ref_queue *o = &r->queues[k];
        if (k == q || o->removed)
            continue;
        if ((o->overflow_after_ms && o->overflow_to == q) ||
            (o->has_hours && o->when_closed == ORCA_CLOSED_REDIRECT && o->redirect_to == q))
            return ORCA_ESTATE;
    }
    for (int k = 0; k < r->nagents; k++) {
        ref_agent *a = &r->agents[k];
        a->member[q] = 0;
        a->tier[q] = 0;
        a->rank[q] = 0;
    }
    r->queues[q].removed = 1;
    emit(r, ORCA_EV_QUEUE_REMOVED, NULL, 0, q, 0);
    return ORCA_OK;
}

/* ------------------------------------------------------------------------ */
/* Agents                                                                   */
/* ------------------------------------------------------------------------ */

static int check_agent_def(const ref_router *r, const orca_agent_def *def)
{
    int rc;
    if (!def || def->id == 0)
        return ORCA_EINVAL;
    if ((rc = check_levels(r, def->skills, def->nskills)))
        return rc;
    if (def->nskills > REF_MAX_AGENT_SKILLS)
        return ORCA_ELIMIT;
    if (def->capacity < 1 || def->capacity > ORCA_CAPACITY_MAX)
        return ORCA_ERANGE;
    if (def->weight < 1 || def->weight > ORCA_WEIGHT_MAX)
        return ORCA_ERANGE;
    if (def->nlimits && !def->limits)
        return ORCA_EINVAL;
    for (uint32_t k = 0; k < def->nlimits; k++) {
        if (!channel_exists(r, def->limits[k].channel))
            return ORCA_ENOENT;
        if (def->limits[k].max < 1 || def->limits[k].max > 1000)
            return ORCA_ERANGE;
        for (uint32_t m = 0; m < k; m++)
            if (def->limits[m].channel == def->limits[k].channel)
                return ORCA_EINVAL;
    }
    /* an agent that could never take anything is refused */
    for (uint32_t k = 0; k < def->nlimits; k++)
        if (cost(r, def->limits[k].channel) <= def->capacity)
            return ORCA_OK;
    return ORCA_EINVAL;
}

static void set_agent_def(ref_agent *a, const orca_agent_def *def)
{
    a->nskills = def->nskills;
    if (def->nskills)
        memcpy(a->skills, def->skills, def->nskills * sizeof a->skills[0]);
    a->capacity = def->capacity;
    a->weight = def->weight;
    memset(a->limit, 0, sizeof a->limit);
    for (uint32_t k = 0; k < def->nlimits; k++)
        a->limit[def->limits[k].channel] = def->limits[k].max;
    a->data = def->data;
}

static int impl_agent_add(ref_router *r, const orca_agent_def *def)
{
    int rc = check_agent_def(r, def);
    if (rc)
        return rc;
    if (find_agent(r, def->id))
        return ORCA_EEXIST;
    ref_agent *a = NULL;
    for (int k = 0; k < REF_MAX_AGENTS && !a; k++)
        if (!r->agents[k].live) {
            a = &r->agents[k];
            if (k >= r->nagents)
                r->nagents = k + 1;
        }
    if (!a)
        return ORCA_ELIMIT;
    memset(a, 0, sizeof *a);
    a->live = 1;
    a->id = def->id;
    set_agent_def(a, def);
    a->presence = ORCA_PRESENCE_OFFLINE;
    a->idle_since = r->now;
    a->wr_key = r->wr_clock + draw(r, a->weight);
    r->order[r->norder++] = a->id;
    emit(r, ORCA_EV_AGENT_ADDED, NULL, a->id, 0, 0);
    return ORCA_OK;
}

static int impl_agent_update(ref_router *r, const orca_agent_def *def)
{
    int rc = check_agent_def(r, def);
    if (rc)
        return rc;
    ref_agent *a = find_agent(r, def->id);
    if (!a)
        return ORCA_ENOENT;
    set_agent_def(a, def);
    emit(r, ORCA_EV_AGENT_UPDATED, NULL, a->id, 0, 0);
    r->events[r->nevents - 1].presence = a->presence;
    r->events[r->nevents - 1].reason = a->reason;
    recheck_holds(r, a);
    if (a->presence == ORCA_PRESENCE_READY)
        route_agent(r, a);
    return ORCA_OK;
}

static int impl_agent_remove(ref_router *r, uint64_t id)
{
    ref_agent *a = find_agent(r, id);
    if (!a)
        return ORCA_ENOENT;
    if (count_in_state(r, a, ORCA_STATE_BUSY) || count_in_state(r, a, ORCA_STATE_WRAPUP))
        return ORCA_ESTATE;

    ref_inter *back[REF_MAX_INTERACTIONS], *doomed[REF_MAX_INTERACTIONS];
    int nback = 0, ndoomed = 0;
    /* Its OFFERED work goes back to WAITING, in seq order. If it was held
     * for this agent, a soft hold ends (OFFLINE), hard-held work times out
     * after AGENT_REMOVED. */
    for (;;) {
        ref_inter *next = NULL;
        for (int k = 0; k < r->ninters; k++) {
            ref_inter *i = &r->inters[k];
            if (i->live && i->state == ORCA_STATE_OFFERED && i->agent == id &&
                (!next || i->seq < next->seq))
                next = i;
        }
        if (!next)
            break;
        emit(r, ORCA_EV_REJECTED, next, id, next->queue, ORCA_WITHDRAW_AGENT_REMOVED);
        withdraw(r, next, ORCA_WITHDRAW_AGENT_REMOVED);
        back_to_waiting(r, next, 0);
        if (next->target == id && next->target_hard) {
            next->target = 0;
            doomed[ndoomed++] = next;
            continue;
        }
        if (next->target == id)
            release_hold(r, next, ORCA_RELEASE_OFFLINE);
        back[nback++] = next;
    }
    /* "an agent removed while scheduled work is held for it releases soft
     * holds (event only) and times out hard-held work" (in seq order) */
    for (uint64_t after = 0;;) {
        ref_inter *next = NULL;
        for (int k = 0; k < r->ninters; k++) {
            ref_inter *i = &r->inters[k];
            if (i->live && i->state == ORCA_STATE_SCHEDULED && i->target == id &&
                i->seq > after && (!next || i->seq < next->seq))
                next = i;
        }
        if (!next)
            break;
        after = next->seq;
        if (next->target_hard) {
            next->target = 0;
            doomed[ndoomed++] = next;
        } else {
            release_hold(r, next, ORCA_RELEASE_OFFLINE);
        }
    }
    /* Work held for it, in its held order: "soft: released; hard: the
     * interaction times out, event TIMED_OUT after AGENT_REMOVED". */
    ref_inter *held[REF_MAX_INTERACTIONS], *rel[REF_MAX_INTERACTIONS];
    int nheld = held_for(r, id, held);
    held_for_release(r, id, rel);
    for (int k = 0; k < nheld; k++)
        if (!rel[k]->target_hard)
            release_hold(r, rel[k], ORCA_RELEASE_OFFLINE);
    int nheld_doomed = 0;
    for (int k = 0; k < nheld; k++) {
        if (held[k]->target) {               /* hard: times out below */
            held[k]->target = 0;
            doomed[ndoomed++] = held[k];
            nheld_doomed++;
        } else {
            back[nback++] = held[k];
        }
    }
    memset(a, 0, sizeof *a);
    for (int k = 0; k < r->norder; k++)
        if (r->order[k] == id)
            r->order[k] = r->order[--r->norder];
    emit(r, ORCA_EV_AGENT_REMOVED, NULL, id, 0, 0);
    if (r->opt.held_doomed_first) {
        int noffered = ndoomed - nheld_doomed;
        ref_inter *order[REF_MAX_INTERACTIONS];
        for (int k = 0; k < nheld_doomed; k++)
            order[k] = doomed[noffered + k];
        for (int k = 0; k < noffered; k++)
            order[nheld_doomed + k] = doomed[noffered - 1 - k];
        memcpy(doomed, order, (size_t)ndoomed * sizeof doomed[0]);
    }
    for (int k = 0; k < ndoomed; k++) {
        emit(r, ORCA_EV_TIMED_OUT, doomed[k], 0, doomed[k]->queue, 0);
        finish(r, doomed[k], ORCA_OUTCOME_TIMED_OUT);
    }
    /* each returned interaction, then each released one, gets process_waiting */
    for (int k = 0; k < nback; k++)
        process_waiting(r, back[k]);
    return ORCA_OK;
}

static int impl_agent_set_presence(ref_router *r, uint64_t id, orca_presence p, uint32_t reason)
{
    if ((unsigned)p > ORCA_PRESENCE_NOT_READY)
        return ORCA_EINVAL;
    ref_agent *a = find_agent(r, id);
    if (!a)
        return ORCA_ENOENT;
    int to_ready = p == ORCA_PRESENCE_READY && a->presence != ORCA_PRESENCE_READY;
    int to_offline = p == ORCA_PRESENCE_OFFLINE && a->presence != ORCA_PRESENCE_OFFLINE;
    a->presence = p;
    a->reason = reason;
    if (to_ready)
        a->idle_since = r->now;
    emit(r, ORCA_EV_AGENT_PRESENCE, NULL, id, 0, 0);
    r->events[r->nevents - 1].presence = p;
    r->events[r->nevents - 1].reason = reason;
    if (to_offline) {
        /* "OFFLINE when t becomes OFFLINE (soft only; each released
         * interaction then gets route_interaction, in t's held order)" */
        ref_inter *held[REF_MAX_INTERACTIONS], *rel[REF_MAX_INTERACTIONS];
        int n = held_for(r, id, held);
        held_for_release(r, id, rel);
        for (int k = 0; k < n; k++)
            if (!rel[k]->target_hard)
                release_hold(r, rel[k], ORCA_RELEASE_OFFLINE);
        for (int k = 0; k < n; k++)
            if (!held[k]->target)            /* released just now */
                route_interaction(r, held[k]);
    }
    if (to_ready)
        route_agent(r, a);
    return ORCA_OK;
}

/* After a restore with ORCA_RESTORE_OFFLINE (DESIGN.md "Journal"): every
 * agent not OFFLINE becomes OFFLINE (reason 0), one by one in the engine's
 * order, releasing its soft holds as impl_agent_set_presence does but
 * without routing them; only once all are OFFLINE is the released work
 * routed, in the order it was released from (so nobody is offered work by
 * an agent about to go). */
static int impl_offline_all(ref_router *r)
{
    ref_inter *released[REF_MAX_INTERACTIONS];
    int nreleased = 0;
    for (int k = 0; k < r->norder; k++) {
        ref_agent *a = find_agent(r, r->order[k]);
        if (a->presence == ORCA_PRESENCE_OFFLINE)
            continue;
        a->presence = ORCA_PRESENCE_OFFLINE;
        a->reason = 0;
        emit(r, ORCA_EV_AGENT_PRESENCE, NULL, a->id, 0, 0);
        r->events[r->nevents - 1].presence = ORCA_PRESENCE_OFFLINE;
        ref_inter *held[REF_MAX_INTERACTIONS], *rel[REF_MAX_INTERACTIONS];
        int n = held_for(r, a->id, held);
        held_for_release(r, a->id, rel);
        for (int m = 0; m < n; m++)
            if (!rel[m]->target_hard)
                release_hold(r, rel[m], ORCA_RELEASE_OFFLINE);
        for (int m = 0; m < n; m++)
            if (!held[m]->target)            /* released just now */
                released[nreleased++] = held[m];
    }
    for (int k = 0; k < nreleased; k++)
        route_interaction(r, released[k]);
    return ORCA_OK;
}

/* After a restore (DESIGN.md "Journal"): every OFFERED interaction, in
 * seq order, goes back to WAITING: event REJECTED (value
 * ORCA_WITHDRAW_RECOVERED), no exclusion (nobody declined), no withdraw
 * callback (the offer was made before the restart), then process_waiting
 * and route_agent for the agent it was offered to. */
static int impl_recover_offers(ref_router *r)
{
    ref_inter *chain[REF_MAX_INTERACTIONS];
    int n = 0;
    for (int k = 0; k < r->ninters; k++)
        if (r->inters[k].live && r->inters[k].state == ORCA_STATE_OFFERED)
            chain[n++] = &r->inters[k];
    for (int a = 1; a < n; a++)                 /* insertion sort by seq */
        for (int b = a; b > 0 && chain[b]->seq < chain[b - 1]->seq; b--) {
            ref_inter *t = chain[b];
            chain[b] = chain[b - 1];
            chain[b - 1] = t;
        }
    for (int k = 0; k < n; k++) {
        ref_inter *i = chain[k];
        ref_agent *a = find_agent(r, i->agent);
        emit(r, ORCA_EV_REJECTED, i, a->id, i->queue, ORCA_WITHDRAW_RECOVERED);
        i->notified = 0;
        back_to_waiting(r, i, 0);
        process_waiting(r, i);
        route_agent(r, a);
    }
    return ORCA_OK;
}

static int impl_agent_set_queue_rank(ref_router *r, uint64_t agent, orca_queue_id q, uint32_t rank_)
{
    ref_agent *a = find_agent(r, agent);
    if (!a)
        return ORCA_ENOENT;
    if (!queue_exists(r, q))
        return ORCA_ENOENT;
    if (rank_ > ORCA_RANK_MAX)
        return ORCA_ERANGE;
    a->rank[q] = rank_;
    return ORCA_OK;
}

/* ------------------------------------------------------------------------ */
/* Interactions                                                             */
/* ------------------------------------------------------------------------ */

/* The checks of a new leg's description, enqueue's and transfer's. */
/* ------------------------------------------------------------------------ */
/* Opening hours (orca.h "Opening hours", DESIGN.md "Scheduled work, bots,   */
/* opening hours, resume")                                                  */
/* ------------------------------------------------------------------------ */

#define REF_MIN_MS 60000ll
#define REF_DAY_MS (1440ll * REF_MIN_MS)

/* "A queue with hours is open inside any of its weekly ranges, in local
 * time (UTC + utc_offset_min), unless an exception covering that instant
 * says otherwise (holidays: closed; special openings: open; the last
 * matching exception wins). A queue without hours is always open."
 * Local time is the clock read as Unix ms plus the offset; its day is the
 * floor of that over a day (1970-01-01, local day 0, was a Thursday: day of
 * week 4 counting Sunday as 0), and the time of day what is left over. */
static int open_at(const ref_queue *q, uint64_t t)
{
    if (!q->has_hours)
        return 1;
    int64_t local = (int64_t)t + (int64_t)q->utc_offset_min * REF_MIN_MS;
    int64_t day = local / REF_DAY_MS;
    if (local % REF_DAY_MS < 0)
        day--;                               /* floor, before 1970 too */
    int64_t in_day = local - day * REF_DAY_MS; /* ms since local midnight */
    uint32_t wday = (uint32_t)(((day % 7) + 7 + 4) % 7);
    int open = 0;
    for (uint32_t k = 0; k < q->nranges; k++) {
        const orca_hours_range *g = &q->ranges[k];
        if (g->day == wday && in_day >= (int64_t)g->open_min * REF_MIN_MS &&
            in_day < (int64_t)g->close_min * REF_MIN_MS)
            open = 1;
    }
    for (uint32_t k = 0; k < q->nexceptions; k++) {
        const orca_hours_exception *x = &q->exceptions[k];
        if (t >= x->from_ms && t < x->to_ms)
            open = x->open != 0;             /* the last one covering t wins */
    }
    return open;
}

/* "HOLD -> due = its next opening (ORCA_ECLOSED if none within a year)":
 * the first instant after now at which the queue is open. The set of open
 * instants is a union of [start, end) pieces whose bounds are range starts
 * and ends on some local day or exception bounds, so the first open instant
 * after a closed now is one of those bounds: try them all (every local day
 * from yesterday to a year and a day ahead) and keep the earliest that is
 * open. 0 if none within a year (366 days) and below ORCA_TIME_MAX. */
static uint64_t next_opening(const ref_queue *q, uint64_t now)
{
    uint64_t best = 0;
    uint64_t reach = now + 366ull * (uint64_t)REF_DAY_MS;
    int64_t off = (int64_t)q->utc_offset_min * REF_MIN_MS;
#define TRY_AT(c_) do { int64_t c = (c_); \
        if (c > (int64_t)now && (uint64_t)c <= reach && (uint64_t)c < ORCA_TIME_MAX && \
            (!best || (uint64_t)c < best) && open_at(q, (uint64_t)c)) best = (uint64_t)c; } while (0)
    for (uint32_t k = 0; k < q->nexceptions; k++) {
        TRY_AT((int64_t)q->exceptions[k].from_ms);
        TRY_AT((int64_t)q->exceptions[k].to_ms);
    }
    int64_t local_now = (int64_t)now + off;
    int64_t day0 = local_now / REF_DAY_MS - 1;
    if (local_now % REF_DAY_MS < 0)
        day0--;
    for (int64_t d = day0; d <= day0 + 369; d++) {
        uint32_t wday = (uint32_t)(((d % 7) + 7 + 4) % 7);
        for (uint32_t k = 0; k < q->nranges; k++) {
            const orca_hours_range *g = &q->ranges[k];
            if (g->day != wday)
                continue;
            TRY_AT(d * REF_DAY_MS + (int64_t)g->open_min * REF_MIN_MS - off);
            TRY_AT(d * REF_DAY_MS + (int64_t)g->close_min * REF_MIN_MS - off);
        }
    }
#undef TRY_AT
    return best;
}

/* Where new work for `asked` goes (DESIGN.md): "start at the asked queue;
 * while it has hours and is closed at now: REJECT -> ... ORCA_ECLOSED;
 * HOLD -> due = its next opening (ORCA_ECLOSED if none within a year);
 * REDIRECT -> continue with redirect_to (at most 8 hops)". A queue reached
 * by the 8th hop still applies its own hours (HOLD, REJECT); a 9th hop is
 * ORCA_ECLOSED. */
typedef struct ref_place {
    orca_queue_id asked, q;
    uint64_t due;                            /* at, or the opening (HOLD) */
    int held;                                /* closed at `at`: HOLD */
} ref_place;

/* "The hours are read at the time the work would become routable": now,
 * or a callback's slot max(now, not_before_ms - early_ms); bot work has
 * none. */
static uint64_t routable_at(const ref_router *r, const orca_interaction_def *def)
{
    if (def->bot || !def->not_before_ms)
        return r->now;
    uint64_t slot = def->not_before_ms > def->early_ms ? def->not_before_ms - def->early_ms : 0;
    return slot > r->now ? slot : r->now;
}

static int place(const ref_router *r, const orca_interaction_def *def, ref_place *p)
{
    uint64_t at = routable_at(r, def);
    p->asked = p->q = def->queue;
    p->due = at;
    p->held = 0;
    for (int hops = 0;; hops++) {
        const ref_queue *q = &r->queues[p->q];
        if (open_at(q, at))
            return ORCA_OK;
        if (q->when_closed == ORCA_CLOSED_HOLD) {
            uint64_t t = next_opening(q, at);
            if (!t)
                return ORCA_ECLOSED;
            p->due = t;
            p->held = 1;
            return ORCA_OK;
        }
        if (q->when_closed != ORCA_CLOSED_REDIRECT || hops == 8)
            return ORCA_ECLOSED;
        p->q = q->redirect_to;
    }
}

/* "REJECT -> event REJECTED_CLOSED, ORCA_ECLOSED, nothing kept" (the event
 * names the queue asked for, as test_hours.c reads it, wherever the chain
 * was refused); counted in the totals' closed_rejected. */
static void rejected_closed(ref_router *r, const orca_interaction_def *def, uint64_t customer)
{
    emit(r, ORCA_EV_REJECTED_CLOSED, NULL, 0, def->queue, 0);
    orca_event *ev = &r->events[r->nevents - 1];
    ev->interaction = def->id;
    ev->channel = def->channel;
    ev->customer = customer;
    ev->priority = def->priority;
    ev->arrival_ms = r->now;
    r->totals.closed_rejected++;
}

int ref_queue_set_hours(ref_router *r, orca_queue_id qid, const orca_hours *h)
{
    if (!queue_exists(r, qid))
        return ORCA_ENOENT;
    ref_queue *q = &r->queues[qid];
    if (!h) {
        q->has_hours = 0;
        return ORCA_OK;
    }
    if ((h->nranges && !h->ranges) || (h->nexceptions && !h->exceptions))
        return ORCA_EINVAL;
    if (h->nranges > ORCA_HOURS_MAX || h->nexceptions > ORCA_HOURS_MAX ||
        h->utc_offset_min < -840 || h->utc_offset_min > 840)
        return ORCA_ERANGE;
    for (uint32_t k = 0; k < h->nranges; k++) {
        /* day 0..6, open_min 0..1439, open_min < close_min <= 1440 */
        const orca_hours_range *g = &h->ranges[k];
        if (g->day > 6 || g->open_min > 1439 || g->close_min > 1440 ||
            !(g->open_min < g->close_min))
            return ORCA_ERANGE;
    }
    for (uint32_t k = 0; k < h->nexceptions; k++) {
        const orca_hours_exception *x = &h->exceptions[k];
        if (x->open > 1)
            return ORCA_EINVAL;
        if (!(x->from_ms < x->to_ms) || x->to_ms > ORCA_TIME_MAX)
            return ORCA_ERANGE;
    }
    /* redirect_to: "for ORCA_CLOSED_REDIRECT; not the queue" */
    if (h->when_closed == ORCA_CLOSED_REDIRECT) {
        if (!queue_exists(r, h->redirect_to))
            return ORCA_ENOENT;
        if (h->redirect_to == qid)
            return ORCA_EINVAL;
    } else if (h->when_closed == ORCA_CLOSED_REJECT || h->when_closed == ORCA_CLOSED_HOLD) {
        if (h->redirect_to)
            return ORCA_EINVAL;
    } else {
        return ORCA_EINVAL;
    }
    q->has_hours = 1;
    q->utc_offset_min = h->utc_offset_min;
    q->nranges = h->nranges;
    if (h->nranges)
        memcpy(q->ranges, h->ranges, h->nranges * sizeof q->ranges[0]);
    q->nexceptions = h->nexceptions;
    if (h->nexceptions)
        memcpy(q->exceptions, h->exceptions, h->nexceptions * sizeof q->exceptions[0]);
    q->when_closed = h->when_closed;
    q->redirect_to = h->redirect_to;
    return ORCA_OK;
}

int ref_queue_is_open(const ref_router *r, orca_queue_id q, int *open)
{
    if (!queue_exists(r, q))
        return ORCA_ENOENT;
    *open = open_at(&r->queues[q], r->now);
    return ORCA_OK;
}

static int check_def(const ref_router *r, const orca_interaction_def *def)
{
    int rc;
    if (!def || def->id == 0)
        return ORCA_EINVAL;
    if (!queue_exists(r, def->queue) || !channel_exists(r, def->channel))
        return ORCA_ENOENT;
    if (def->priority > ORCA_PRIORITY_MAX)
        return ORCA_ERANGE;
    if (def->nrequired > ORCA_MAX_REQUIRED || def->npreferred > ORCA_MAX_PREFERRED)
        return ORCA_EINVAL;
    if ((rc = check_levels(r, def->required, def->nrequired)))
        return rc;
    if ((rc = check_levels(r, def->preferred, def->npreferred)))
        return rc;
    /* a named agent: agent_required 0 or 1, and wait/required only with an
     * agent; the agent must exist */
    if (def->agent_required > 1 || (!def->agent && (def->agent_required || def->agent_wait_ms)))
        return ORCA_EINVAL;
    /* bot: 0 or 1, and a bot answers now, for nobody in particular;
     * early_ms only with a slot; a slot in the past is ORCA_ERANGE */
    if (def->bot > 1 || (def->bot && (def->agent || def->not_before_ms)) ||
        (!def->not_before_ms && def->early_ms))
        return ORCA_EINVAL;
    if (def->not_before_ms && (def->not_before_ms < r->now || def->not_before_ms >= ORCA_TIME_MAX))
        return ORCA_ERANGE;
    if (def->agent && !find_agent((ref_router *)r, def->agent))
        return ORCA_ENOENT;
    return ORCA_OK;
}

/* "Enqueue into a queue at max_size (waiting + offered): event
 * REJECTED_FULL, ORCA_EFULL, nothing kept." 1 if so. */
static int queue_full(ref_router *r, const orca_interaction_def *def, orca_queue_id qid,
                      uint64_t customer)
{
    const ref_queue *q = &r->queues[qid];
    if (!q->max_size)
        return 0;
    uint32_t n = 0;
    for (int k = 0; k < r->ninters; k++) {
        const ref_inter *j = &r->inters[k];
        if (j->live && j->queue == qid &&
            (j->state == ORCA_STATE_WAITING || j->state == ORCA_STATE_OFFERED))
            n++;
    }
    if (n < q->max_size)
        return 0;
    emit(r, ORCA_EV_REJECTED_FULL, NULL, 0, qid, 0);
    orca_event *ev = &r->events[r->nevents - 1];
    ev->interaction = def->id;
    ev->channel = def->channel;
    ev->customer = customer;
    ev->priority = def->priority;
    ev->arrival_ms = r->now;
    return 1;
}

/* A free interaction slot (not live yet), or NULL. */
static ref_inter *free_slot(ref_router *r)
{
    for (int k = 0; k < REF_MAX_INTERACTIONS; k++)
        if (!r->inters[k].live) {
            if (k >= r->ninters)
                r->ninters = k + 1;
            return &r->inters[k];
        }
    return NULL;
}

/* i becomes SCHEDULED until due (no agent): event SCHEDULED. */
static void schedule(ref_router *r, ref_inter *i, uint64_t due, uint32_t reason)
{
    i->state = ORCA_STATE_SCHEDULED;
    i->agent = 0;
    i->due = due;
    r->totals.scheduled++;                   /* "became SCHEDULED" */
    emit(r, ORCA_EV_SCHEDULED, i, 0, i->queue, reason);
    r->events[r->nevents - 1].due_ms = due;
}

/* A new leg i (enqueue, a transfer's new leg when from != NULL, or the leg
 * a bot escalates to when bot != NULL): "checks, seq = ++counter, arrival =
 * queued = now, event ENQUEUED, process_waiting(i)", with its customer
 * context, its hold (named or sticky) and its ENQUEUED bits. */
static void start_leg(ref_router *r, ref_inter *i, const orca_interaction_def *def,
                      const ref_place *pl, ref_inter *from, orca_transfer_mode mode,
                      const ref_inter *bot)
{
    memset(i, 0, sizeof *i);                 /* not live yet: the scans below skip it */
    i->id = def->id;
    i->queue = pl->q;                        /* the queue reached (opening hours) */
    i->visited = 1ull << i->queue;
    i->channel = def->channel;
    /* a transferred leg keeps from's customer, conversation and arrival; an
     * escalated one the bot's customer and conversation ("keeps
     * customer/conversation"), arriving now */
    i->customer = from ? from->customer : bot ? bot->customer : def->customer;
    i->conversation = from ? from->conversation : bot ? bot->conversation : def->conversation;
    i->priority = def->priority;
    i->effprio = def->priority;
    if (def->nrequired)
        memcpy(i->req0, def->required, def->nrequired * sizeof i->req0[0]);
    i->nreq0 = def->nrequired;
    if (def->npreferred)
        memcpy(i->pref0, def->preferred, def->npreferred * sizeof i->pref0[0]);
    i->npref0 = def->npreferred;
    memcpy(i->req, i->req0, sizeof i->req);
    i->nreq = i->nreq0;
    memcpy(i->pref, i->pref0, sizeof i->pref);
    i->npref = i->npref0;
    /* "with not_before_ms, due = max(due, not_before_ms - early_ms)";
     * "Enqueue with due > now: arrival = queued = due" (a transferred leg
     * keeps from's arrival) */
    /* due: now, or a HOLD queue's next opening (reason CLOSED); work that
     * starts with a bot is with the bot at once, open or not (a bot cannot
     * be SCHEDULED: bot with not_before_ms is ORCA_EINVAL) */
    /* (place() read the hours at the slot, so pl->due is the slot, or the
     * opening after it when the queue holds work while closed) */
    uint64_t due = def->bot ? r->now : pl->due;
    uint32_t reason = due <= r->now ? 0 : pl->held ? ORCA_SCHED_CLOSED : ORCA_SCHED_SLOT;
    i->arrival = from ? from->arrival : due;
    i->queued = due;
    i->state = ORCA_STATE_WAITING;
    i->data = def->data;
    uint32_t bits = from ? ORCA_ENQ_TRANSFER : bot ? ORCA_ENQ_ESCALATED : 0;

    ref_customer *c = i->customer ? customer_for_new_work(r, i->customer) : NULL;

    /* The hold: a named agent, else (not for transfers, and not for work
     * that starts with a bot, which is not routable) the queue's sticky
     * routing to the customer's last agent. */
    const ref_queue *q = queue_of(r, i);
    uint64_t t = 0, until = 0;
    int hard = 0, sticky = 0;
    if (def->agent) {
        t = def->agent;
        hard = def->agent_required != 0;
        /* "holds (named, sticky) count their wait from due" */
        until = def->agent_wait_ms ? due + def->agent_wait_ms : hard ? UINT64_MAX : due;
    } else if (!from && !def->bot && q->sticky_ms && c) {
        uint64_t conv = bot && r->opt.escalate_sticky_def_conversation ? def->conversation
                                                                        : i->conversation;
        uint64_t last = last_agent(r, c, conv, q->sticky_within_ms);
        ref_agent *a = last ? find_agent(r, last) : NULL;
        /* i's first class: its original requirements, in its own queue */
        if (a && a->presence != ORCA_PRESENCE_OFFLINE && eligible(r, a, i)) {
            t = last;
            until = due + q->sticky_ms;
            sticky = 1;
        }
    }

    if (c) {
        /* A transferred leg continues a contact: it is not a new contact
         * (no RECONTACT, not counted), but may switch channel. */
        uint32_t cb = contact_bits(r, c, i->conversation, i->channel);
        if (from || bot)
            cb &= ~ORCA_ENQ_RECONTACT;
        else {
            c->contacts++;
            r->totals.contacts++;
        }
        bits |= cb;
        if (cb & ORCA_ENQ_RECONTACT)
            r->totals.recontacts++;
        if (cb & ORCA_ENQ_SWITCH)
            r->totals.channel_switches++;
        c->last_active = r->now;
    }
    i->live = 1;
    i->seq = ++r->enqueue_counter;
    i->enqueued = ++r->enqueued_counter;
    /* "The customer's next enqueue (not transfer or escalation) reaching
     * that queue before until takes the ticket: its arrival and seq are the
     * old ones (its old place), ENQUEUED bit RESUMED." (Work that starts
     * with a bot is not waiting for a place: it leaves the ticket.) */
    if (c && !from && !bot && !def->bot && c->resume_q == i->queue && r->now < c->resume_until) {
        i->arrival = c->resume_arrival;
        i->seq = c->resume_seq;
        c->resume_q = 0;
        c->resume_arrival = c->resume_seq = c->resume_until = 0;
        bits |= ORCA_ENQ_RESUMED;
        r->totals.resumed++;
    }
    if (t) {
        i->target = t;
        i->target_until = until;
        i->target_hard = hard;
        bits |= ORCA_ENQ_TARGETED | (sticky ? ORCA_ENQ_STICKY : 0);
        r->totals.targeted++;
        r->totals.sticky += (uint64_t)sticky;
    }
    /* "ENQUEUED names it, with queue_from = the closed queue and bit
     * ORCA_ENQ_REDIRECTED" (counted in the totals' redirected) */
    int redirected = pl->q != pl->asked;
    if (redirected) {
        bits |= ORCA_ENQ_REDIRECTED;
        r->totals.redirected++;
    }
    if (from && mode == ORCA_TRANSFER_CONSULT) {
        from->xfer_to = i->id;
        i->xfer_from = from->id;
    }
    if (def->bot) {
        /* "bot = 1: event ENQUEUED, state BOT" (no routing, no timer) */
        i->state = ORCA_STATE_BOT;
        r->totals.bot_started++;
        emit(r, ORCA_EV_ENQUEUED, i, t, i->queue, bits | ORCA_ENQ_BOT);
        r->events[r->nevents - 1].queue_from = redirected ? pl->asked : 0;
        return;
    }
    if (due > r->now) {
        /* "event ENQUEUED (with wait_ms 0), then event SCHEDULED (due_ms,
         * reason SLOT)" */
        bits |= ORCA_ENQ_SCHEDULED;
        emit(r, ORCA_EV_ENQUEUED, i, t, i->queue, bits);
        r->events[r->nevents - 1].queue_from = redirected ? pl->asked : 0;
        schedule(r, i, due, reason);
        return;
    }
    emit(r, ORCA_EV_ENQUEUED, i, t, i->queue, bits);
    r->events[r->nevents - 1].queue_from = redirected ? pl->asked : 0;
    process_waiting(r, i);
}

static int impl_interaction_enqueue(ref_router *r, const orca_interaction_def *def)
{
    int rc;
    if ((rc = check_def(r, def)))
        return rc;
    if (find_inter(r, def->id))
        return ORCA_EEXIST;
    ref_inter *i = free_slot(r);
    if (!i)
        return ORCA_ELIMIT;
    ref_place pl;
    if (place(r, def, &pl)) {
        rejected_closed(r, def, def->customer);
        return ORCA_ECLOSED;
    }
    if (queue_full(r, def, pl.q, def->customer))
        return ORCA_EFULL;
    start_leg(r, i, def, &pl, NULL, ORCA_TRANSFER_BLIND, NULL);
    return ORCA_OK;
}

static int impl_offer_accept(ref_router *r, uint64_t id)
{
    if (!id)
        return ORCA_EINVAL;
    ref_inter *i = find_inter(r, id);
    if (!i)
        return ORCA_ENOENT;
    if (i->state != ORCA_STATE_OFFERED)
        return ORCA_ESTATE;
    ref_agent *a = find_agent(r, i->agent);
    i->state = ORCA_STATE_BUSY;
    i->busy_ms = r->now;
    a->handled++;
    a->missed = 0;
    i->answered_ms = r->now;
    i->answered_by = a->id;
    /* "Accepting the offer ends the hold silently." */
    i->target = 0;
    i->target_until = 0;
    i->target_hard = 0;
    ref_customer *c = i->customer ? find_customer(r, i->customer) : NULL;
    if (c) {
        c->last_agent = a->id;
        c->last_answer = r->now;
    }
    emit(r, ORCA_EV_ACCEPTED, i, a->id, i->queue, 0);
    /* sla_met: answered (accepted) within the queue's sla_ms of arrival
     * (the event's wait_ms: 0 for work that arrives later) */
    r->events[r->nevents - 1].sla_met = r->events[r->nevents - 1].wait_ms <= queue_of(r, i)->sla_ms;
    if (r->opt.future_queued_wraps && r->now < i->arrival)
        r->events[r->nevents - 1].sla_met = 0;
    /* a consult leg was answered: "from is handed over" (after ACCEPTED) */
    ref_inter *from = i->xfer_from ? find_inter(r, i->xfer_from) : NULL;
    if (from) {
        i->xfer_from = 0;
        from->xfer_to = 0;
        hand_over(r, from, i->id, ORCA_TRANSFER_CONSULT);
    }
    return ORCA_OK;
}

static int impl_offer_reject(ref_router *r, uint64_t id)
{
    if (!id)
        return ORCA_EINVAL;
    ref_inter *i = find_inter(r, id);
    if (!i)
        return ORCA_ENOENT;
    if (i->state != ORCA_STATE_OFFERED)
        return ORCA_ESTATE;
    ref_agent *a = find_agent(r, i->agent);
    emit(r, ORCA_EV_REJECTED, i, a->id, i->queue, 0);
    back_to_waiting(r, i, 1);
    declined(r, i);
    process_waiting(r, i);
    route_agent(r, a);
    return ORCA_OK;
}

static int impl_interaction_end(ref_router *r, uint64_t id)
{
    if (!id)
        return ORCA_EINVAL;
    ref_inter *i = find_inter(r, id);
    if (!i)
        return ORCA_ENOENT;
    if (i->state == ORCA_STATE_BOT) {
        /* "End -> event CONTAINED (duration_ms = time with the bot),
         * forgotten, outcome CONTAINED" */
        emit(r, ORCA_EV_CONTAINED, i, 0, i->queue, 0);
        r->events[r->nevents - 1].duration_ms = r->now - i->arrival;
        r->totals.contained++;
        finish(r, i, ORCA_OUTCOME_CONTAINED);
        return ORCA_OK;
    }
    if (i->state != ORCA_STATE_BUSY)
        return ORCA_ESTATE;
    /* "if ... from is ended first, the two are simply unlinked" */
    ref_inter *leg = i->xfer_to ? find_inter(r, i->xfer_to) : NULL;
    if (leg)
        leg->xfer_from = 0;
    i->xfer_to = 0;
    const ref_queue *q = queue_of(r, i);
    emit(r, ORCA_EV_ENDED, i, i->agent, i->queue, 0);
    r->events[r->nevents - 1].duration_ms = r->now - i->busy_ms;      /* talk time */
    uint32_t w = q->wrapup_ms == ORCA_WRAPUP_CHANNEL ? r->channels[i->channel].wrapup_ms
                                                     : q->wrapup_ms;
    if (w > 0) {
        i->state = ORCA_STATE_WRAPUP;
        i->wrapup_ms = r->now;
        i->wrapup_until = end_by(r->now + w);
    } else {
        complete(r, i);
    }
    return ORCA_OK;
}

static int impl_interaction_wrapup_done(ref_router *r, uint64_t id)
{
    if (!id)
        return ORCA_EINVAL;
    ref_inter *i = find_inter(r, id);
    if (!i)
        return ORCA_ENOENT;
    if (i->state != ORCA_STATE_WRAPUP)
        return ORCA_ESTATE;
    complete(r, i);
    return ORCA_OK;
}

static int drop(ref_router *r, uint64_t id, orca_event_type type, orca_withdraw_reason why)
{
    if (!id)
        return ORCA_EINVAL;
    ref_inter *i = find_inter(r, id);
    if (!i)
        return ORCA_ENOENT;
    /* "Abandon and cancel also apply to SCHEDULED and BOT work" */
    if (i->state != ORCA_STATE_WAITING && i->state != ORCA_STATE_OFFERED &&
        i->state != ORCA_STATE_SCHEDULED && i->state != ORCA_STATE_BOT)
        return ORCA_ESTATE;
    ref_agent *a = i->state == ORCA_STATE_OFFERED ? find_agent(r, i->agent) : NULL;
    emit(r, type, i, a ? a->id : 0, i->queue, 0);
    /* "Abandon of WAITING or OFFERED work of a known customer in a queue
     * with resume_ms > 0 leaves a ticket on the customer (queue, arrival,
     * seq, until now + resume_ms; one per customer, the latest)." */
    const ref_queue *q = queue_of(r, i);
    if (type == ORCA_EV_ABANDONED && i->customer && q->resume_ms &&
        (i->state == ORCA_STATE_WAITING || i->state == ORCA_STATE_OFFERED)) {
        ref_customer *c = find_customer(r, i->customer);
        c->resume_q = i->queue;
        c->resume_arrival = i->arrival;
        c->resume_seq = i->seq;
        c->resume_until = r->now + q->resume_ms;
    }
    if (a)
        withdraw(r, i, why);
    finish(r, i, type == ORCA_EV_ABANDONED ? ORCA_OUTCOME_ABANDONED : ORCA_OUTCOME_CANCELLED);
    if (a)
        route_agent(r, a);
    return ORCA_OK;
}

static int impl_interaction_abandon(ref_router *r, uint64_t id)
{
    return drop(r, id, ORCA_EV_ABANDONED, ORCA_WITHDRAW_ABANDONED);
}

static int impl_interaction_cancel(ref_router *r, uint64_t id)
{
    return drop(r, id, ORCA_EV_CANCELLED, ORCA_WITHDRAW_CANCELLED);
}

static int impl_interaction_set_priority(ref_router *r, uint64_t id, uint32_t priority)
{
    if (!id)
        return ORCA_EINVAL;
    ref_inter *i = find_inter(r, id);
    if (!i)
        return ORCA_ENOENT;
    if (priority > ORCA_PRIORITY_MAX)
        return ORCA_ERANGE;
    if (i->state != ORCA_STATE_WAITING && i->state != ORCA_STATE_OFFERED &&
        !(r->opt.priority_when_scheduled && i->state == ORCA_STATE_SCHEDULED))
        return ORCA_ESTATE;
    /* DESIGN.md: effprio recomputed, event PRIORITY always, no routing. */
    i->priority = priority;
    i->effprio = compute_effprio(r, i);
    emit(r, ORCA_EV_PRIORITY, i, i->agent, i->queue, i->effprio);
    return ORCA_OK;
}

/* "The host's disposition code (wrap-up code) for live work, kept in the
 * customer's history when it finishes." No event, no routing. */
static int impl_interaction_set_disposition(ref_router *r, uint64_t id, uint32_t code)
{
    if (!id)
        return ORCA_EINVAL;
    ref_inter *i = find_inter(r, id);
    if (!i)
        return ORCA_ENOENT;
    i->disposition = code;
    return ORCA_OK;
}

/* DESIGN.md "Transfer of BUSY from to leg to". */
static int impl_interaction_transfer(ref_router *r, uint64_t from_id,
                                     const orca_interaction_def *to, orca_transfer_mode mode)
{
    int rc;
    if (!to || (mode != ORCA_TRANSFER_BLIND && mode != ORCA_TRANSFER_CONSULT))
        return ORCA_EINVAL;
    if (!from_id)
        return ORCA_EINVAL;
    ref_inter *from = find_inter(r, from_id);
    if (!from)
        return ORCA_ENOENT;
    if (from->state != ORCA_STATE_BUSY || from->xfer_to)
        return ORCA_ESTATE;                  /* not BUSY, or a consult pending */
    if ((rc = check_def(r, to)))
        return rc;
    /* customer and conversation come from `from`: 0 or equal */
    if ((to->customer && to->customer != from->customer) ||
        (to->conversation && to->conversation != from->conversation))
        return ORCA_EINVAL;
    if (to->id == from_id) {
        if (mode == ORCA_TRANSFER_CONSULT)
            return ORCA_EINVAL;              /* both legs live at once */
    } else if (find_inter(r, to->id)) {
        return ORCA_EEXIST;
    }
    ref_inter *leg = free_slot(r);
    if (!leg)
        return ORCA_ELIMIT;
    ref_place pl;
    if (place(r, to, &pl)) {
        rejected_closed(r, to, from->customer);
        return ORCA_ECLOSED;
    }
    if (queue_full(r, to, pl.q, from->customer))
        return ORCA_EFULL;
    if (mode == ORCA_TRANSFER_BLIND) {
        /* "blind: from is handed over at once, then the new leg is
         * enqueued" */
        ref_inter saved = *from;
        hand_over(r, from, to->id, mode);
        start_leg(r, leg, to, &pl, &saved, mode, NULL);
    } else {
        /* "Consult: the new leg is enqueued the same way while from stays
         * BUSY" (handed over when the leg is accepted) */
        start_leg(r, leg, to, &pl, from, mode, NULL);
    }
    return ORCA_OK;
}

/* DESIGN.md "Escalate(to): event ESCALATED (duration_ms), the BOT record
 * is dropped without a history entry and a new leg starts as for enqueue
 * with arrival = now (sticky routing applies), ENQUEUED bit ESCALATED, not
 * counted as a new contact." orca.h: to->id must be the interaction's id,
 * customer and conversation 0 or equal, not a bot; ORCA_ESTATE if not BOT. */
static int impl_interaction_escalate(ref_router *r, uint64_t id, const orca_interaction_def *to)
{
    int rc;
    if (!to || !id)
        return ORCA_EINVAL;
    ref_inter *i = find_inter(r, id);
    if (!i)
        return ORCA_ENOENT;
    if (i->state != ORCA_STATE_BOT)
        return ORCA_ESTATE;
    if ((rc = check_def(r, to)))
        return rc;
    if (to->id != id || to->bot || (to->customer && to->customer != i->customer) ||
        (to->conversation && to->conversation != i->conversation))
        return ORCA_EINVAL;
    ref_place pl;
    if (place(r, to, &pl)) {
        rejected_closed(r, to, i->customer);
        return ORCA_ECLOSED;
    }
    if (queue_full(r, to, pl.q, i->customer))
        return ORCA_EFULL;
    emit(r, ORCA_EV_ESCALATED, i, 0, i->queue, 0);
    r->events[r->nevents - 1].duration_ms = r->now - i->arrival;
    r->totals.escalated++;
    ref_inter bot = *i;
    memset(i, 0, sizeof *i);                 /* dropped: no history entry */
    start_leg(r, free_slot(r), to, &pl, NULL, ORCA_TRANSFER_BLIND, &bot);
    return ORCA_OK;
}

/* DESIGN.md "Virtual hold, callback(i, ch, t) on WAITING or SCHEDULED
 * work: i moves to the same plan on channel ch (same stage and step;
 * arrival, queued, seq, priority and hold kept), event CHANNEL_CHANGED
 * (value = old channel); then with t > now SCHEDULED until t (reason
 * SLOT), else WAITING and process_waiting." orca.h: t in the past is
 * ORCA_ERANGE (0: now). */
static int impl_interaction_callback(ref_router *r, uint64_t id, orca_channel_id ch,
                                     uint64_t not_before)
{
    if (!id)
        return ORCA_EINVAL;
    ref_inter *i = find_inter(r, id);
    if (!i)
        return ORCA_ENOENT;
    if (i->state != ORCA_STATE_WAITING && i->state != ORCA_STATE_SCHEDULED)
        return ORCA_ESTATE;
    if (!channel_exists(r, ch))
        return ORCA_ENOENT;
    if (not_before && (not_before < r->now || not_before >= ORCA_TIME_MAX))
        return ORCA_ERANGE;
    orca_channel_id old = i->channel;
    i->channel = ch;
    r->totals.virtual_holds++;               /* "orca_interaction_callback calls" */
    emit(r, ORCA_EV_CHANNEL_CHANGED, i, 0, i->queue, old);
    if (not_before > r->now) {
        schedule(r, i, not_before, ORCA_SCHED_SLOT);
    } else {
        i->state = ORCA_STATE_WAITING;
        i->due = 0;
        process_waiting(r, i);
    }
    return ORCA_OK;
}

/* DESIGN.md "Unreached on BUSY work": tries++, event UNREACHED (value =
 * tries), the agent's capacity is freed and idle_since = now; below the
 * queue's callback_attempts (default 3) SCHEDULED at now +
 * callback_retry_ms (default 300 s, reason RETRY; arrival and queued
 * kept), else forgotten with outcome UNREACHED; then route_agent(a). */
static int impl_interaction_unreached(ref_router *r, uint64_t id)
{
    if (!id)
        return ORCA_EINVAL;
    ref_inter *i = find_inter(r, id);
    if (!i)
        return ORCA_ENOENT;
    if (i->state != ORCA_STATE_BUSY)
        return ORCA_ESTATE;
    const ref_queue *q = queue_of(r, i);
    uint32_t attempts = q->callback_attempts ? q->callback_attempts : 3;
    uint32_t retry = q->callback_retry_ms ? q->callback_retry_ms : 300000;
    /* a consult pending: the two are simply unlinked (as when from ends) */
    ref_inter *leg = i->xfer_to ? find_inter(r, i->xfer_to) : NULL;
    if (leg)
        leg->xfer_from = 0;
    i->xfer_to = 0;
    ref_agent *a = find_agent(r, i->agent);
    i->tries++;
    r->totals.unreached++;
    emit(r, ORCA_EV_UNREACHED, i, a->id, i->queue, i->tries);
    i->agent = 0;                            /* capacity freed */
    a->idle_since = r->now;
    if (i->tries < attempts)
        schedule(r, i, r->now + retry, ORCA_SCHED_RETRY);
    else
        finish(r, i, ORCA_OUTCOME_UNREACHED);
    route_agent(r, a);
    return ORCA_OK;
}

/* ------------------------------------------------------------------------ */
/* Time                                                                     */
/* ------------------------------------------------------------------------ */

/* The clock moves to t: every agent's work held grows by what it holds
 * now times the step (what it holds is constant between steps: every
 * change happens at some clock value). Saturating, as the engine. */
static void set_now(ref_router *r, uint64_t t)
{
    for (int k = 0; k < r->nagents; k++) {
        ref_agent *a = &r->agents[k];
        if (!a->live)
            continue;
        uint64_t u = used(r, a), dt = t - r->now;
        uint64_t add = u && dt > UINT64_MAX / u ? UINT64_MAX : dt * u;
        a->load = a->load > UINT64_MAX - add ? UINT64_MAX : a->load + add;
    }
    r->now = t;
}

static int impl_advance(ref_router *r, uint64_t now_ms)
{
    if (now_ms < r->now || now_ms >= ORCA_TIME_MAX)
        return ORCA_ERANGE;
    for (;;) {
        /* the due interaction with the smallest (deadline, seq) */
        ref_inter *due = NULL;
        uint64_t due_at = 0;
        for (int k = 0; k < r->ninters; k++) {
            ref_inter *i = &r->inters[k];
            uint64_t t;
            if (!i->live || !deadline_of(r, i, &t) || t > now_ms)
                continue;
            if (!due || t < due_at || (t == due_at && i->seq < due->seq)) {
                due = i;
                due_at = t;
            }
        }
        if (!due)
            break;
        set_now(r, due_at);
        switch (due->state) {
        case ORCA_STATE_OFFERED:
            offer_timed_out(r, due);
            break;
        case ORCA_STATE_WRAPUP:
            complete(r, due);
            break;
        case ORCA_STATE_WAITING:
            process_waiting(r, due);
            break;
        case ORCA_STATE_SCHEDULED:
            /* "At due (timer): event DUE, WAITING, process_waiting." */
            due->state = ORCA_STATE_WAITING;
            due->due = 0;
            emit(r, ORCA_EV_DUE, due, 0, due->queue, 0);
            process_waiting(r, due);
            break;
        case ORCA_STATE_BUSY:
        case ORCA_STATE_BOT:
            break;
        }
    }
    set_now(r, now_ms);
    return ORCA_OK;
}

int ref_next_deadline(const ref_router *r, uint64_t *deadline_ms)
{
    uint64_t best = UINT64_MAX;
    for (int k = 0; k < r->ninters; k++) {
        uint64_t t;
        if (r->inters[k].live && deadline_of(r, &r->inters[k], &t) && t < best)
            best = t;
    }
    if (best == UINT64_MAX)
        return ORCA_ENOENT;
    *deadline_ms = best;
    return ORCA_OK;
}

/* ------------------------------------------------------------------------ */
/* Views                                                                    */
/* ------------------------------------------------------------------------ */

int ref_counts(const ref_router *r, orca_counts *out)
{
    memset(out, 0, sizeof *out);
    for (int k = 0; k < REF_MAX_SKILLS; k++)
        out->skills += r->skill_live[k] ? 1u : 0u;
    out->channels = r->nchannels;
    out->queues = r->nqueues;
    for (uint32_t k = 1; k <= r->nqueues; k++)
        out->queues -= r->queues[k].removed != 0;
    for (int k = 0; k < r->nagents; k++) {
        if (!r->agents[k].live)
            continue;
        out->agents++;
        if (r->agents[k].presence == ORCA_PRESENCE_READY)
            out->agents_ready++;
    }
    for (int k = 0; k < r->ninters; k++) {
        const ref_inter *i = &r->inters[k];
        if (!i->live)
            continue;
        out->interactions++;
        switch (i->state) {
        case ORCA_STATE_WAITING: out->waiting++; break;
        case ORCA_STATE_OFFERED: out->offered++; break;
        case ORCA_STATE_BUSY: out->busy++; break;
        case ORCA_STATE_WRAPUP: out->wrapup++; break;
        case ORCA_STATE_SCHEDULED: out->scheduled++; break;
        case ORCA_STATE_BOT: out->bot++; break;
        }
    }
    return ORCA_OK;
}

int ref_agent_info_get(const ref_router *r, uint64_t id, orca_agent_info *out)
{
    const ref_agent *a = find_agent((ref_router *)r, id);
    if (!a)
        return ORCA_ENOENT;
    memset(out, 0, sizeof *out);
    out->id = a->id;
    out->presence = a->presence;
    out->reason = a->reason;
    out->capacity = a->capacity;
    out->used = used(r, a);
    out->offered = count_in_state(r, a, ORCA_STATE_OFFERED);
    out->busy = count_in_state(r, a, ORCA_STATE_BUSY);
    out->wrapup = count_in_state(r, a, ORCA_STATE_WRAPUP);
    out->handled = a->handled;
    out->missed = a->missed;
    out->idle_since_ms = a->idle_since;
    out->data = a->data;
    out->busy_units_ms = a->load;
    return ORCA_OK;
}

int ref_interaction_info_get(const ref_router *r, uint64_t id, orca_interaction_info *out)
{
    const ref_inter *i = find_inter((ref_router *)r, id);
    if (!i)
        return ORCA_ENOENT;
    memset(out, 0, sizeof *out);
    out->id = i->id;
    out->state = i->state;
    out->queue = i->queue;
    out->channel = i->channel;
    out->customer = i->customer;
    out->priority = i->priority;
    out->effective_priority = i->effprio;
    out->arrival_ms = i->arrival;
    out->queued_ms = i->queued;
    out->agent = i->agent;
    out->attempts = i->attempts;
    out->step = i->step;
    out->nrequired = i->nreq;
    memcpy(out->required, i->req, i->nreq * sizeof i->req[0]);
    out->data = i->data;
    out->conversation = i->conversation;
    out->target_agent = i->target;
    out->target_until_ms = i->target ? i->target_until : 0;
    out->target_required = i->target ? (uint32_t)i->target_hard : 0;
    out->transfer_to = i->xfer_to;
    out->transfer_from = i->xfer_from;
    out->disposition = i->disposition;
    return ORCA_OK;
}

int ref_customer_info_get(const ref_router *r, uint64_t customer, orca_customer_info *out)
{
    if (!customer || !out)
        return ORCA_EINVAL;
    const ref_customer *c = find_customer(r, customer);
    if (!c)
        return ORCA_ENOENT;
    memset(out, 0, sizeof *out);
    out->customer = c->id;
    out->history = kept_history(r, c, NULL);
    out->open = open_count(r, c->id);
    if (c->last_agent && r->now - c->last_answer < r->customer_ttl_ms) {
        out->last_agent = c->last_agent;      /* kept for customer_ttl_ms */
        out->last_answer_ms = c->last_answer;
    }
    out->last_active_ms = c->last_active;
    out->contacts = c->contacts;
    return ORCA_OK;
}

int ref_customer_history(const ref_router *r, uint64_t customer, orca_history_entry *out,
                         uint32_t cap, uint32_t *n)
{
    if (!customer || !n || (cap && !out))
        return ORCA_EINVAL;
    const ref_customer *c = find_customer(r, customer);
    if (!c)
        return ORCA_ENOENT;
    orca_history_entry all[ORCA_HISTORY_MAX];
    uint32_t k = kept_history(r, c, all);
    *n = k < cap ? k : cap;
    if (*n)
        memcpy(out, all, *n * sizeof all[0]);
    return ORCA_OK;
}

/* Ids of the customer's live interactions, oldest (first enqueued) first. */
int ref_customer_open(const ref_router *r, uint64_t customer, uint64_t *ids, uint32_t cap,
                      uint32_t *n)
{
    if (!customer || !n || (cap && !ids))
        return ORCA_EINVAL;
    const ref_customer *c = find_customer(r, customer);
    if (!c)
        return ORCA_ENOENT;
    uint32_t m = 0;
    uint64_t after = 0;
    while (m < cap) {                        /* next as enqueued */
        const ref_inter *next = NULL;
        for (int k = 0; k < r->ninters; k++) {
            const ref_inter *i = &r->inters[k];
            if (i->live && i->customer == customer && i->enqueued > after &&
                (!next || i->enqueued < next->enqueued))
                next = i;
        }
        if (!next)
            break;
        ids[m++] = next->id;
        after = next->enqueued;
    }
    *n = m;
    return ORCA_OK;
}

int ref_customer_totals_get(const ref_router *r, orca_customer_totals *out)
{
    if (!out)
        return ORCA_EINVAL;
    *out = r->totals;
    out->customers = 0;
    for (int k = 0; k < r->ncustomers; k++)
        out->customers += r->customers[k].live ? 1u : 0u;
    return ORCA_OK;
}

int ref_queue_is_member(const ref_router *r, orca_queue_id q, uint64_t agent, uint32_t *tier_)
{
    const ref_agent *a = find_agent((ref_router *)r, agent);
    if (!a || !queue_exists(r, q) || !a->member[q])
        return 0;
    if (tier_)
        *tier_ = a->tier[q];
    return 1;
}

int ref_queue_info_get(const ref_router *r, orca_queue_id q, orca_queue_info *out)
{
    if (!queue_exists(r, q))
        return ORCA_ENOENT;
    memset(out, 0, sizeof *out);
    out->id = q;
    out->name = r->queues[q].name;
    out->strategy = r->queues[q].strategy;
    int oldest_set = 0;
    for (int k = 0; k < r->ninters; k++) {
        const ref_inter *i = &r->inters[k];
        if (!i->live || i->queue != q)
            continue;
        if (i->state == ORCA_STATE_WAITING) {
            int counted = !(r->opt.oldest_ignores_held && i->target);
            if (counted && (!oldest_set++ || i->arrival < out->oldest_arrival_ms))
                out->oldest_arrival_ms = i->arrival;
            out->waiting++;
        } else if (i->state == ORCA_STATE_OFFERED) {
            out->offered++;
        }
    }
    for (int k = 0; k < r->nagents; k++)
        if (r->agents[k].live && r->agents[k].member[q])
            out->members++;
    return ORCA_OK;
}

/* Routing order within one queue (DESIGN.md): (-effprio, arrival, seq),
 * with effprio the value last computed, as in the release key. */
static int routing_before(const ref_inter *x, const ref_inter *y)
{
    if (x->effprio != y->effprio)
        return x->effprio > y->effprio;
    if (x->arrival != y->arrival)
        return x->arrival < y->arrival;
    return x->seq < y->seq;
}

int ref_interaction_position(const ref_router *r, uint64_t id, uint32_t *ahead,
                             uint32_t *waiting)
{
    const ref_inter *i = NULL;
    for (int k = 0; k < r->ninters; k++)
        if (r->inters[k].live && r->inters[k].id == id)
            i = &r->inters[k];
    if (!i)
        return ORCA_ENOENT;
    if (i->state != ORCA_STATE_WAITING)
        return ORCA_ESTATE;
    uint32_t before = 0, all = 0;
    for (int k = 0; k < r->ninters; k++) {
        const ref_inter *j = &r->inters[k];
        if (!j->live || j->state != ORCA_STATE_WAITING || j->queue != i->queue)
            continue;
        all++;
        before += routing_before(j, i);
    }
    *ahead = before;
    *waiting = all;
    return ORCA_OK;
}

int ref_queue_waiting(const ref_router *r, orca_queue_id q, uint64_t *ids, uint32_t cap,
                      uint32_t *n)
{
    if (!queue_exists(r, q))
        return ORCA_ENOENT;
    /* selection: the next in routing order after the last one taken */
    const ref_inter *last = NULL;
    uint32_t got = 0;
    while (got < cap) {
        const ref_inter *best = NULL;
        for (int k = 0; k < r->ninters; k++) {
            const ref_inter *j = &r->inters[k];
            if (!j->live || j->state != ORCA_STATE_WAITING || j->queue != q)
                continue;
            if (last && !routing_before(last, j))
                continue;
            if (!best || routing_before(j, best))
                best = j;
        }
        if (!best)
            break;
        ids[got++] = best->id;
        last = best;
    }
    *n = got;
    return ORCA_OK;
}

int ref_live_ids(const ref_router *r, int interactions, uint64_t *ids, uint32_t cap,
                 uint32_t *n)
{
    uint32_t got = 0;
    if (interactions) {
        for (int k = 0; k < r->ninters && got < cap; k++)
            if (r->inters[k].live)
                ids[got++] = r->inters[k].id;
    } else {
        for (int k = 0; k < r->nagents && got < cap; k++)
            if (r->agents[k].live)
                ids[got++] = r->agents[k].id;
    }
    *n = got;
    return ORCA_OK;
}

int ref_check(const ref_router *r, char *buf, size_t len)
{
    for (int k = 0; k < r->ninters; k++) {
        const ref_inter *i = &r->inters[k];
        if (!i->live || i->state != ORCA_STATE_WAITING)
            continue;
        for (int m = 0; m < r->nagents; m++) {
            const ref_agent *a = &r->agents[m];
            if (a->live && candidate(a, i) && available(r, a, i)) {
                snprintf(buf, len, "ref: waiting interaction %llu has available agent %llu",
                         (unsigned long long)i->id, (unsigned long long)a->id);
                return -1;
            }
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The public calls: each is one "public call" of DESIGN.md; when the       */
/* outermost one ends, the deferred offer callbacks are delivered.          */
/* ------------------------------------------------------------------------ */

/* The outermost public call ends: idle customers past customer_ttl_ms or
 * max_customers are forgotten (a transfer that leaves its customer idle for
 * a moment, until the new leg, does not count), then the offers made are
 * announced. */
static int leave(ref_router *r, int rc)
{
    if (--r->depth == 0) {
        if (rc == ORCA_OK) {
            forget_expired_customers(r);
            forget_past_max_customers(r);
        }
        flush(r);
    }
    return rc;
}

int ref_queue_member_add(ref_router *r, orca_queue_id q, uint64_t agent, uint32_t tier)
{
    r->depth++;
    return leave(r, impl_queue_member_add(r, q, agent, tier));
}

int ref_queue_member_remove(ref_router *r, orca_queue_id q, uint64_t agent)
{
    r->depth++;
    return leave(r, impl_queue_member_remove(r, q, agent));
}

int ref_queue_remove(ref_router *r, orca_queue_id q)
{
    r->depth++;
    return leave(r, impl_queue_remove(r, q));
}

int ref_agent_add(ref_router *r, const orca_agent_def *def)
{
    r->depth++;
    return leave(r, impl_agent_add(r, def));
}

int ref_agent_update(ref_router *r, const orca_agent_def *def)
{
    r->depth++;
    return leave(r, impl_agent_update(r, def));
}

int ref_agent_remove(ref_router *r, uint64_t id)
{
    r->depth++;
    return leave(r, impl_agent_remove(r, id));
}

int ref_agent_set_presence(ref_router *r, uint64_t id, orca_presence p, uint32_t reason)
{
    r->depth++;
    return leave(r, impl_agent_set_presence(r, id, p, reason));
}

/* One public call each, but only when there is something to do (the
 * engine's step is no call at all otherwise: no customer expiry). */
int ref_offline_all(ref_router *r)
{
    int n = 0;
    for (int k = 0; k < r->norder; k++)
        n += find_agent(r, r->order[k])->presence != ORCA_PRESENCE_OFFLINE;
    if (!n)
        return ORCA_OK;
    r->depth++;
    return leave(r, impl_offline_all(r));
}

int ref_recover_offers(ref_router *r)
{
    int n = 0;
    for (int k = 0; k < r->ninters; k++)
        n += r->inters[k].live && r->inters[k].state == ORCA_STATE_OFFERED;
    if (!n)
        return ORCA_OK;
    r->depth++;
    return leave(r, impl_recover_offers(r));
}

int ref_agent_set_queue_rank(ref_router *r, uint64_t agent, orca_queue_id q, uint32_t rank)
{
    r->depth++;
    return leave(r, impl_agent_set_queue_rank(r, agent, q, rank));
}

int ref_interaction_enqueue(ref_router *r, const orca_interaction_def *def)
{
    r->depth++;
    return leave(r, impl_interaction_enqueue(r, def));
}

int ref_offer_accept(ref_router *r, uint64_t id)
{
    r->depth++;
    return leave(r, impl_offer_accept(r, id));
}

int ref_offer_reject(ref_router *r, uint64_t id)
{
    r->depth++;
    return leave(r, impl_offer_reject(r, id));
}

int ref_interaction_end(ref_router *r, uint64_t id)
{
    r->depth++;
    return leave(r, impl_interaction_end(r, id));
}

int ref_interaction_wrapup_done(ref_router *r, uint64_t id)
{
    r->depth++;
    return leave(r, impl_interaction_wrapup_done(r, id));
}

int ref_interaction_abandon(ref_router *r, uint64_t id)
{
    r->depth++;
    return leave(r, impl_interaction_abandon(r, id));
}

int ref_interaction_cancel(ref_router *r, uint64_t id)
{
    r->depth++;
    return leave(r, impl_interaction_cancel(r, id));
}

int ref_interaction_set_priority(ref_router *r, uint64_t id, uint32_t priority)
{
    r->depth++;
    return leave(r, impl_interaction_set_priority(r, id, priority));
}

int ref_interaction_set_disposition(ref_router *r, uint64_t id, uint32_t code)
{
    r->depth++;
    return leave(r, impl_interaction_set_disposition(r, id, code));
}

int ref_interaction_transfer(ref_router *r, uint64_t from, const orca_interaction_def *to,
                             orca_transfer_mode mode)
{
    r->depth++;
    return leave(r, impl_interaction_transfer(r, from, to, mode));
}

/* "orca_customer_forget on request": ORCA_ESTATE while it has live work. */
int ref_customer_forget(ref_router *r, uint64_t customer)
{
    if (!customer)
        return ORCA_EINVAL;
    ref_customer *c = find_customer(r, customer);
    if (!c)
        return ORCA_ENOENT;
    if (!customer_idle(r, c))
        return ORCA_ESTATE;
    forget_customer(r, c);
    return ORCA_OK;
}

int ref_interaction_unreached(ref_router *r, uint64_t id)
{
    r->depth++;
    return leave(r, impl_interaction_unreached(r, id));
}

int ref_interaction_escalate(ref_router *r, uint64_t id, const orca_interaction_def *to)
{
    r->depth++;
    return leave(r, impl_interaction_escalate(r, id, to));
}

int ref_interaction_callback(ref_router *r, uint64_t id, orca_channel_id ch, uint64_t not_before)
{
    r->depth++;
    return leave(r, impl_interaction_callback(r, id, ch, not_before));
}

int ref_advance(ref_router *r, uint64_t now_ms)
{
    r->depth++;
    return leave(r, impl_advance(r, now_ms));
}

int ref_channel_set_callbacks(ref_router *r, orca_channel_id id,
                              const orca_channel_callbacks *cb, void *data)
{
    if (!channel_exists(r, id))
        return ORCA_ENOENT;
    if (cb)
        r->channels[id].cb = *cb;
    else
        memset(&r->channels[id].cb, 0, sizeof r->channels[id].cb);
    r->channels[id].cb_data = data;
    return ORCA_OK;
}

void ref_record(ref_router *r, const orca_event *ev)
{
    emit(r, ev->type, NULL, 0, 0, 0);
    r->events[r->nevents - 1] = *ev;
}
