/*
 * snapshot.c: the engine's whole state as bytes, and an engine rebuilt
 * from them, so a journal can be compacted (journal.c): a snapshot of the
 * state plus the calls made since replays in time proportional to the
 * state, however old the centre.
 *
 * Only what cannot be derived is written: the definitions (skills,
 * channels, queues and hours, agents with their memberships), each
 * agent's presence and counters, every live interaction with its place
 * (plan, stage and step, arrival, sequence number, exclusions, hold,
 * agent), the plans (so the same classes exist), the customers, and the
 * engine's clocks and counters. The indexes (class heaps, agent links,
 * held heaps, timers) are rebuilt by the same code that keeps them. Every
 * order the router compares is total (keys end in a sequence number or an
 * agent id), so rebuilt heaps make the same decisions as the originals;
 * tests/test_snapshot.c proves it by running both side by side.
 *
 * Layout, in this order (codec.h's little-endian encoding):
 *   version, clock and counters, customer totals
 *   skills, channels, queues (version 2: each slot a flag, 0 for a
 *   removed queue's hole, 1 then the definition), each live queue's hours
 *   agents (slot order; version 3: each ends with its work held so far),
 *   plans (idle ones in LRU order first)
 *   interactions, agents' work lists, consult-transfer pairs
 *   customers (customers.c), figures (stats.c, length-prefixed)
 */
#include <stddef.h>

#include "orca_int.h"
#include "snapshot.h"

#define SNAP_VERSION 3 /* 2 (0.4): skill ids start at 1; removed queues (holes);
                          3: each agent's work held so far (least busy) */
#define SNAP_VERSION_MIN 2 /* read: a version 2 agent starts at no work held */
#define NEVER UINT64_MAX

/* customer totals: every field after `customers` (derived) is a u64 */
#define CTOT_FIRST offsetof(orca_customer_totals, contacts)
#define CTOT_N ((sizeof(orca_customer_totals) - CTOT_FIRST) / sizeof(uint64_t))

/* ---- saving ------------------------------------------------------------------ */

static void save_engine(const orca_engine *e, wbuf *w)
{
    w_v(w, SNAP_VERSION);
    w_v(w, e->now);
    w_v(w, e->seq);
    w_v(w, e->offers);
    w_v(w, e->ev_seq);
    w_v(w, e->rng);
    w_v(w, e->wr_clock);
    const uint8_t *t = (const uint8_t *)&e->ctot + CTOT_FIRST;
    w_v(w, (uint32_t)CTOT_N);
    for (size_t k = 0; k < CTOT_N; k++) {
        uint64_t v;
        memcpy(&v, t + k * sizeof(v), sizeof(v));
        w_v(w, v);
    }
}

static void queue_def_of(const queue *q, orca_queue_def *d)
{
    orca_queue_def_init(d);
    d->name = q->name;
    d->strategy = q->strategy;
    d->serve = q->serve;
    d->skills = q->skills;
    d->nskills = q->nskills;
    d->skills_tier = q->skills_tier;
    d->max_size = q->max_size;
    d->max_wait_ms = q->max_wait_ms;
    d->aging_ms = q->aging_ms;
    d->aging_max = q->aging_max;
    d->wrapup_ms = q->wrapup_ms;
    d->sla_ms = q->sla_ms;
    d->offer_timeout_ms = q->offer_timeout_ms;
    d->steps = q->steps;
    d->nsteps = q->nsteps;
    d->overflow_after_ms = q->overflow_after_ms;
    d->overflow_to = q->overflow_to;
    d->sticky_ms = q->sticky_ms;
    d->sticky_within_ms = q->sticky_within_ms;
    d->callback_attempts = q->callback_attempts;
    d->callback_retry_ms = q->callback_retry_ms;
    d->resume_ms = q->resume_ms;
}

static void save_defs(const orca_engine *e, wbuf *w)
{
    w_v(w, e->nskills - SKILL_FIRST);
    for (uint32_t k = SKILL_FIRST; k < e->nskills; k++)
        w_str(w, e->skills[k].name);
    w_v(w, e->nchannels);
    for (uint32_t k = 0; k < e->nchannels; k++) {
        w_str(w, e->channels[k].name);
        w_v(w, e->channels[k].cost);
        w_v(w, e->channels[k].wrapup_ms);
    }
    w_v(w, e->nqueues);
    for (uint32_t k = 0; k < e->nqueues; k++) {
        orca_queue_def d;
        w_v(w, e->queues[k] != NULL);
        if (!e->queues[k])
            continue;
        queue_def_of(e->queues[k], &d);
        w_queue_def(w, &d);
    }
    /* hours after every queue: they may redirect to a later one */
    for (uint32_t k = 0; k < e->nqueues; k++) {
        orca_hours h;
        if (!e->queues[k])
            continue;
        if (e->queues[k]->hours)
            hours_def(e->queues[k]->hours, &h);
        w_hours(w, e->queues[k]->hours ? &h : NULL);
    }
}

static void save_agent(const orca_engine *e, const agent *a, wbuf *w)
{
    w_v(w, a->id);
    w_levels(w, a->skills, a->nskills);
    w_v(w, a->capacity);
    w_v(w, a->weight);
    for (uint32_t ch = 0; ch < e->nchannels; ch++)
        w_v(w, a->limit[ch]);
    w_v(w, (uint32_t)a->presence);
    w_v(w, a->reason);
    w_v(w, a->idle_since);
    w_v(w, a->last_offer);
    w_v(w, a->wr_key);
    w_v(w, a->handled);
    w_v(w, a->missed);
    w_v(w, a->nqueues);
    for (uint32_t k = 0; k < a->nqueues; k++) {
        w_v(w, a->queues[k].q);
        w_v(w, a->queues[k].member);
        w_v(w, a->queues[k].tier);
        w_v(w, a->queues[k].rank);
    }
    w_v(w, agent_load(e, a));
}

static void save_plan(plan *p, uint32_t idx, wbuf *w)
{
    p->snap_idx = idx;
    w_v(w, p->stages[0].q->id);
    w_v(w, p->ch);
    w_levels(w, p->base->req, p->base->nreq);
    w_levels(w, p->base->pref, p->base->npref);
}

/* Plans in use and idle ones (in LRU order, first): the same plans means
 * the same classes, so agents' links come back as they were. */
static void save_plans(orca_engine *e, wbuf *w)
{
    uint32_t n = 0;
    w_v(w, e->nplans);
    for (plan *p = e->idle_head; p; p = p->idle_next)
        save_plan(p, n++, w);
    U64MAP_FOREACH(&e->plan_map, slot) {
        plan *p = slot->val;
        if (!p->idle)
            save_plan(p, n++, w);
    }
}

static void save_ix(const ix *i, wbuf *w)
{
    w_v(w, i->id);
    w_v(w, i->seq);
    w_v(w, i->customer);
    w_v(w, i->conversation);
    w_v(w, i->arrival);
    w_v(w, i->queued);
    w_v(w, i->state_ms);
    w_v(w, i->plan->snap_idx);
    w_v(w, i->stage);
    w_v(w, i->step);
    w_v(w, i->state);
    w_v(w, i->agent ? i->agent->id : 0);
    w_v(w, i->attempts);
    w_v(w, i->wrap_len);
    w_v(w, i->prio);
    w_v(w, i->eff);
    w_v(w, i->flags & IXF_NOTIFIED);
    w_v(w, i->answered);
    w_v(w, i->answered_by);
    w_v(w, i->disposition);
    w_v(w, i->target ? i->target->id : 0);
    w_v(w, i->target_hard);
    w_v(w, i->target_until);
    w_v(w, i->due);
    w_v(w, i->tries);
    w_v(w, i->csat);
    w_v(w, (uint8_t)i->fcr);
    w_v(w, i->xfer_done);
    uint32_t nx = i->ex ? i->ex->n : 0;
    w_v(w, nx);
    for (uint32_t k = 0; k < nx; k++) {
        w_v(w, i->ex->v[k].agent);
        w_v(w, i->ex->v[k].until);
    }
}

static void save_work(const orca_engine *e, wbuf *w)
{
    uint32_t pairs = 0;
    w_v(w, e->nix);
    U64MAP_FOREACH(&e->ix_map, slot) {
        save_ix(slot->val, w);
        pairs += ((const ix *)slot->val)->xfer_to != NULL;
    }
    /* each agent's work list, in order */
    for (uint32_t k = 0; k < e->nagents; k++) {
        const agent *a = e->agents[k];
        w_v(w, a->noffered + a->nbusy + a->nwrap);
        for (const ix *i = a->work; i; i = i->anext)
            w_v(w, i->id);
    }
    w_v(w, pairs);
    U64MAP_FOREACH(&e->ix_map, slot) {
        const ix *i = slot->val;
        if (i->xfer_to) {
            w_v(w, i->id);
            w_v(w, i->xfer_to->id);
        }
    }
}

static void save_stats(orca_engine *e, wbuf *w)
{
    orca_stats *s = stats_find(e);
    w_v(w, s != NULL);
    if (!s)
        return;
    size_t at = w->n;
    w_u64(w, 0); /* its length, filled in below: a reader without an
                    orca_stats attached skips it */
    stats_save(s, w);
    if (!w->bad) {
        uint64_t len = w->n - at - 8;
        for (int k = 0; k < 8; k++)
            w->p[at + (size_t)k] = (uint8_t)(len >> (8 * k));
    }
}

void snap_save(orca_engine *e, wbuf *w)
{
    save_engine(e, w);
    save_defs(e, w);
    w_v(w, e->nagents);
    for (uint32_t k = 0; k < e->nagents; k++)
        save_agent(e, e->agents[k], w);
    save_plans(e, w);
    save_work(e, w);
    cust_save(e, w);
    save_stats(e, w);
}

/* ---- restoring --------------------------------------------------------------- */

static uint8_t r_v8(rbuf *r)
{
    uint64_t v = r_v(r);
    if (v > UINT8_MAX)
        r->bad = true;
    return (uint8_t)v;
}

/* ORCA_ECORRUPT unless cond. */
#ifdef SNAP_DEBUG
#include <stdio.h>
#define SNAP_SAY(l) fprintf(stderr, "snapshot: refused at snapshot.c:%d\n", (l))
#else
#define SNAP_SAY(l) ((void)0)
#endif
#define NEED(cond)                                                           \
    do {                                                                     \
        if (!(cond)) {                                                       \
            SNAP_SAY(__LINE__);                                              \
            return ORCA_ECORRUPT;                                            \
        }                                                                    \
    } while (0)

/* A call the snapshot makes to rebuild a definition failed: memory, or
 * (anything else) the snapshot asked for something impossible. */
static int rebuilt(int rc)
{
    return rc == ORCA_OK || rc == ORCA_ENOMEM ? rc : ORCA_ECORRUPT;
}

/* A removed queue's hole at the next id. */
static int load_hole(orca_engine *e)
{
    int rc = mem_reserve(e, (void **)&e->queues, &e->capqueues, e->nqueues + 1,
                         sizeof(queue *));
    if (rc)
        return rc;
    e->queues[e->nqueues++] = NULL;
    e->nqueues_removed++;
    return ORCA_OK;
}

static int load_defs(orca_engine *e, rbuf *r)
{
    int rc;
    uint32_t n = r_vcount(r, 4);
    for (uint32_t k = 0; k < n; k++) {
        r->used = 0;
        orca_skill_id id;
        const char *name = r_str(r);
        NEED(!r->bad);
        if ((rc = rebuilt(orca_skill_intern(e, name, &id))))
            return rc;
        NEED(id == SKILL_FIRST + k);
    }
    n = r_vcount(r, 6);
    NEED(n >= e->nchannels && n <= ORCA_MAX_CHANNELS);
    for (uint32_t k = 0; k < n; k++) {
        r->used = 0;
        orca_channel_def d = { 0 };
        d.name = r_str(r);
        d.cost = r_v32(r);
        d.wrapup_ms = r_v32(r);
        NEED(!r->bad);
        if (k < e->nchannels) { /* built in: the same, but for wrap-up */
            NEED(strcmp(d.name, e->channels[k].name) == 0 && d.cost == e->channels[k].cost);
            e->channels[k].wrapup_ms = d.wrapup_ms;
            continue;
        }
        orca_channel_id id;
        if ((rc = rebuilt(orca_channel_add(e, &d, &id))))
            return rc;
    }
    n = r_vcount(r, 1); /* (a hole is one byte) */
    for (uint32_t k = 0; k < n; k++) {
        r->used = 0;
        orca_queue_def d;
        orca_queue_id id;
        uint32_t live = r_v32(r);
        NEED(!r->bad && live <= 1);
        if (!live) {
            if ((rc = load_hole(e)))
                return rc;
            continue;
        }
        r_queue_def(r, &d);
        NEED(!r->bad);
        if ((rc = rebuilt(orca_queue_add(e, &d, &id))))
            return rc;
    }
    for (uint32_t k = 0; k < n; k++) {
        r->used = 0;
        orca_hours h;
        if (!e->queues[k])
            continue;
        const orca_hours *hp = r_hours(r, &h);
        NEED(!r->bad);
        if (hp && (rc = rebuilt(orca_queue_set_hours(e, k + 1, hp))))
            return rc;
    }
    return ORCA_OK;
}

/* The presence of each agent is set last (restore_presence): until then
 * agents are OFFLINE, so no index takes them in before their work is back. */
static int load_agent(orca_engine *e, rbuf *r, uint32_t version, orca_presence *presence)
{
    int rc;
    orca_agent_def d;
    orca_channel_limit lim[ORCA_MAX_CHANNELS];
    r->used = 0;
    orca_agent_def_init(&d);
    d.id = r_v(r);
    d.skills = r_levels(r, &d.nskills);
    d.capacity = r_v32(r);
    d.weight = r_v32(r);
    d.limits = lim;
    d.nlimits = 0; /* the saved limits replace def_init's defaults */
    for (uint32_t ch = 0; ch < e->nchannels; ch++) {
        uint32_t max = r_v32(r);
        if (max)
            lim[d.nlimits++] = (orca_channel_limit){ ch, max };
    }
    NEED(!r->bad);
    if ((rc = rebuilt(orca_agent_add(e, &d))))
        return rc;
    agent *a = agent_get(e, d.id);
    *presence = (orca_presence)r_v32(r);
    NEED(*presence <= ORCA_PRESENCE_NOT_READY);
    a->reason = r_v32(r);
    a->idle_since = r_v(r);
    a->last_offer = r_v(r);
    /* a key in the agents' heaps may lag behind its true value, never lead
     * it: one from the future (idle time, round-robin turn) would */
    NEED(a->idle_since <= e->now && a->last_offer <= e->offers);
    a->wr_key = r_v(r);
    a->handled = r_v32(r);
    a->missed = r_v32(r);
    uint32_t nq = r_vcount(r, 4);
    for (uint32_t k = 0; k < nq; k++) {
        orca_queue_id q = r_v32(r);
        uint8_t member = r_v8(r), tier = r_v8(r), rank = r_v8(r);
        NEED(!r->bad && queue_get(e, q) && member <= 1 && (member || rank) &&
             (member || !tier));
        for (uint32_t j = 0; j < a->nqueues; j++)
            NEED(a->queues[j].q != q);
        if ((rc = agent_queue_set(e, a, q, member, tier, rank)))
            return rc;
        queue_get(e, q)->members += member;
    }
    /* (its work is placed later, at this clock: nothing to fold then) */
    a->load = version >= 3 ? r_v(r) : 0;
    a->load_t = e->now;
    return r->bad ? ORCA_ECORRUPT : ORCA_OK;
}

static int load_plans(orca_engine *e, rbuf *r, plan ***out, uint32_t *nout)
{
    uint32_t n = r_vcount(r, 10);
    plan **v = n ? mem_calloc(e, n * sizeof(*v)) : NULL;
    if (n && !v)
        return ORCA_ENOMEM;
    *out = v;
    *nout = n;
    for (uint32_t k = 0; k < n; k++) {
        orca_skill_level *req, *pref;
        uint32_t nreq, npref;
        int rc;
        r->used = 0;
        queue *q = queue_get(e, r_v32(r));
        orca_channel_id ch = r_v32(r);
        req = r_levels(r, &nreq);
        pref = r_levels(r, &npref);
        NEED(!r->bad && q && ch < e->nchannels);
        NEED(skills_check(e, req, nreq, ORCA_MAX_REQUIRED) == ORCA_OK &&
             skills_check(e, pref, npref, ORCA_MAX_PREFERRED) == ORCA_OK);
        reqset *rs;
        bool created;
        if ((rc = reqset_get(e, req, nreq, pref, npref, &rs)))
            return rc;
        rc = plan_get(e, q, ch, rs, &v[k], &created);
        reqset_put(e, rs);
        if (rc)
            return rc;
        NEED(created); /* each plan once */
    }
    return ORCA_OK;
}

/* Give i (fields read) its place: an agent's capacity, a heap, a count. */
static int place_ix(orca_engine *e, ix *i, agent *a)
{
    switch (i->state) {
    case ORCA_STATE_WAITING:
        NEED(!a);
        ix_to_waiting(e, i);
        break;
    case ORCA_STATE_SCHEDULED:
        NEED(!a);
        e->nsched++;
        if (i->target)
            i->target->nsched++;
        break;
    case ORCA_STATE_BOT:
        NEED(!a && !i->target);
        e->nbot++;
        break;
    case ORCA_STATE_OFFERED:
    case ORCA_STATE_BUSY:
    case ORCA_STATE_WRAPUP: {
        orca_channel_id ch = i->cls->ch;
        NEED(a && a->count[ch] < UINT16_MAX && a->used <= UINT32_MAX - e->channels[ch].cost);
        ix_attach(e, i, a); /* (load_work_lists puts a's list in order) */
        break;
    }
    default:
        return ORCA_ECORRUPT;
    }
    timer_update(e, i);
    return ORCA_OK;
}

static int load_excl(orca_engine *e, rbuf *r, ix *i)
{
    uint32_t n = r_vcount(r, 2);
    if (!n)
        return r->bad ? ORCA_ECORRUPT : ORCA_OK;
    uint32_t cap = n < 2 ? 2 : n;
    i->ex = mem_alloc(e, sizeof(excl_list) + cap * sizeof(excl));
    if (!i->ex)
        return ORCA_ENOMEM;
    i->ex->cap = cap;
    i->ex->n = n;
    for (uint32_t k = 0; k < n; k++) {
        i->ex->v[k].agent = r_v(r);
        i->ex->v[k].until = r_v(r);
    }
    return r->bad ? ORCA_ECORRUPT : ORCA_OK;
}

static int load_ix(orca_engine *e, rbuf *r, plan **plans, uint32_t nplans)
{
    int rc;
    uint64_t id = r_v(r);
    NEED(!r->bad && id && !ix_get(e, id) && e->nix < e->cfg.max_interactions);
    if ((rc = u64map_reserve(e, &e->ix_map, e->ix_map.n + 1)) ||
        (rc = mem_reserve(e, (void **)&e->timers.v, &e->timers.cap, e->nix + 1,
                          sizeof(heap_ent))))
        return rc;
    ix *i = mem_calloc(e, sizeof(*i));
    if (!i)
        return ORCA_ENOMEM;
    i->id = id;
    i->hpos = i->tpos = NOPOS;
    u64map_put(&e->ix_map, id, i); /* from here engine_free frees it */
    i->idn.k = id;
    if (e->ix_indexed)
        itree_insert(&e->ix_root, &i->idn);
    e->nix++;
    i->seq = r_v(r);
    i->customer = r_v(r);
    i->conversation = r_v(r);
    i->arrival = r_v(r);
    i->queued = r_v(r);
    i->state_ms = r_v(r);
    uint32_t pi = r_v32(r);
    i->stage = r_v32(r);
    i->step = r_v32(r);
    uint8_t state = r_v8(r);
    uint64_t agent_id = r_v(r);
    i->attempts = r_v32(r);
    i->wrap_len = r_v32(r);
    i->prio = r_v8(r);
    i->eff = r_v8(r);
    i->flags = r_v8(r) & IXF_NOTIFIED;
    i->answered = r_v(r);
    i->answered_by = r_v(r);
    i->disposition = r_v32(r);
    uint64_t target = r_v(r);
    i->target_hard = r_v8(r);
    i->target_until = r_v(r);
    i->due = r_v(r);
    i->tries = r_v32(r);
    i->csat = r_v8(r);
    i->fcr = (int8_t)r_v8(r);
    i->xfer_done = r_v8(r);
    NEED(!r->bad && pi < nplans && i->prio <= ORCA_PRIORITY_MAX && i->target_hard <= 1);
    plan *p = plans[pi];
    NEED(i->stage < p->nstages && i->step < p->stages[i->stage].nclasses);
    if ((rc = plan_reserve_user(e, p)))
        return rc;
    plan_use(e, p);
    i->plan = p;
    i->cls = p->stages[i->stage].classes[i->step];
    if ((rc = load_excl(e, r, i)))
        return rc;
    agent *a = agent_id ? agent_get(e, agent_id) : NULL;
    NEED(!agent_id || a);
    agent *t = target ? agent_get(e, target) : NULL;
    NEED(!target || t);
    i->state = state;
    if (t) { /* (target_set counts it) */
        if ((rc = target_reserve(e, t)))
            return rc;
        target_set(e, i, t, i->target_until, i->target_hard);
    }
    return place_ix(e, i, a);
}

static int load_work_lists(orca_engine *e, rbuf *r)
{
    for (uint32_t k = 0; k < e->nagents; k++) {
        agent *a = e->agents[k];
        uint32_t n = r_vcount(r, 1);
        NEED(n == a->noffered + a->nbusy + a->nwrap);
        for (ix *i = a->work, *next; i; i = next) { /* unlink, to relink in order */
            next = i->anext;
            i->aprev = i->anext = NULL;
        }
        a->work = NULL;
        ix *last = NULL;
        for (uint32_t j = 0; j < n; j++) {
            ix *i = ix_get(e, r_v(r));
            NEED(i && i->agent == a && !i->aprev && !i->anext && a->work != i);
            i->aprev = last;
            if (last)
                last->anext = i;
            else
                a->work = i;
            last = i;
        }
    }
    uint32_t pairs = r_vcount(r, 2);
    for (uint32_t k = 0; k < pairs; k++) {
        ix *from = ix_get(e, r_v(r)), *to = ix_get(e, r_v(r));
        NEED(from && to && from != to && !from->xfer_to && !to->xfer_from);
        from->xfer_to = to;
        to->xfer_from = from;
    }
    return r->bad ? ORCA_ECORRUPT : ORCA_OK;
}

/* Presence last, then every agent's heap entries, as a change would. */
static void restore_presence(orca_engine *e, const orca_presence *presence)
{
    for (uint32_t k = 0; k < e->nagents; k++) {
        agent *a = e->agents[k];
        a->presence = presence[k];
        e->agents_ready += a->presence == ORCA_PRESENCE_READY;
        a->used_fell = true;
        agent_refresh(e, a);
    }
}

static int load_stats(orca_engine *e, rbuf *r)
{
    if (!r_v8(r))
        return r->bad ? ORCA_ECORRUPT : ORCA_OK;
    uint64_t len = r_u64(r);
    NEED(!r->bad && len <= r->n - r->at);
    rbuf sub = { .p = r->p + r->at, .n = (size_t)len, .scratch = r->scratch, .cap = r->cap };
    r->at += (size_t)len;
    orca_stats *s = stats_find(e);
    return s ? stats_load(s, &sub) : ORCA_OK;
}

/* What a restore allocates for itself, freed when it ends. */
typedef struct restore {
    orca_presence *presence;   /* by agent slot */
    uint32_t npresence;
    plan **plans;              /* by number in the snapshot */
    uint32_t nplans;
} restore;

static int load_all(orca_engine *e, rbuf *r, restore *x)
{
    int rc;
    uint32_t version = r_v32(r);
    if (version < SNAP_VERSION_MIN || version > SNAP_VERSION)
        return r->bad ? ORCA_ECORRUPT : ORCA_EVERSION; /* (0.3 journals: at their header) */
    uint64_t now = r_v(r), seq = r_v(r), offers = r_v(r), ev_seq = r_v(r);
    uint64_t rng = r_v(r), wr_clock = r_v(r);
    orca_customer_totals t = { 0 };
    NEED(r_v32(r) == CTOT_N && !r->bad && now < ORCA_TIME_MAX && now >= e->now);
    for (size_t k = 0; k < CTOT_N; k++) {
        uint64_t v = r_v(r);
        memcpy((uint8_t *)&t + CTOT_FIRST + k * sizeof(v), &v, sizeof(v));
    }
    e->now = now;
    e->offers = offers; /* (agents' turns are checked against it) */
    if ((rc = load_defs(e, r)))
        return rc;
    uint32_t n = r_vcount(r, 15);
    NEED(n <= e->cfg.max_agents);
    if (n && !(x->presence = mem_alloc(e, n * sizeof(*x->presence))))
        return ORCA_ENOMEM;
    x->npresence = n;
    for (uint32_t k = 0; k < n; k++)
        if ((rc = load_agent(e, r, version, &x->presence[k])))
            return rc;
    if ((rc = load_plans(e, r, &x->plans, &x->nplans)))
        return rc;
    uint32_t nix = r_vcount(r, 28);
    NEED(nix <= e->cfg.max_interactions);
    /* the maps and the timer heap at their final size at once */
    if ((rc = u64map_reserve(e, &e->ix_map, nix)) ||
        (rc = mem_reserve(e, (void **)&e->timers.v, &e->timers.cap, nix, sizeof(heap_ent))) ||
        (rc = wait_reserve(e, nix, e->nqueues - e->nqueues_removed)))
        return rc;
    for (uint32_t k = 0; k < nix; k++)
        if ((rc = load_ix(e, r, x->plans, x->nplans)))
            return rc;
    if ((rc = load_work_lists(e, r)) || (rc = cust_load(e, r)))
        return rc;
    restore_presence(e, x->presence);
    e->seq = seq;
    e->offers = offers;
    e->rng = rng;
    e->wr_clock = wr_clock;
    t.customers = e->ctot.customers;
    e->ctot = t;
    if ((rc = load_stats(e, r)))
        return rc;
    NEED(r->at == r->n);
    e->ev_seq = ev_seq;
    /* (the links were made by the engine, not read: not recounted) */
    NEED(engine_check(e, false) == ORCA_OK);
    return ORCA_OK;
}

int snap_load(orca_engine *e, rbuf *r)
{
    restore x = { 0 };
    e->restoring = true;
    int rc = load_all(e, r, &x);
    e->restoring = false;
    mem_free(e, x.presence, x.npresence * sizeof(*x.presence));
    mem_free(e, x.plans, x.nplans * sizeof(*x.plans));
    return rc;
}

int snap_copy(orca_engine *from, orca_engine *to)
{
    wbuf w = { .e = from };
    snap_save(from, &w);
    uint8_t *scratch = w.bad ? NULL : mem_alloc(to, 256 * 1024);
    int rc = ORCA_ENOMEM;
    if (scratch) {
        rbuf r = { .p = w.p, .n = w.n, .scratch = scratch, .cap = 256 * 1024 };
        rc = snap_load(to, &r);
        mem_free(to, scratch, 256 * 1024);
    }
    w_free(&w);
    if (rc)
        return rc;
    /* one process: the host's pointers still mean something */
    for (uint32_t k = 0; k < from->nchannels; k++) {
        to->channels[k].cb = from->channels[k].cb;
        to->channels[k].data = from->channels[k].data;
    }
    for (uint32_t k = 0; k < from->nagents; k++)
        to->agents[k]->data = from->agents[k]->data;
    U64MAP_FOREACH(&to->ix_map, slot) {
        ix *i = slot->val;
        i->data = ix_get(from, i->id)->data;
    }
    return ORCA_OK;
}
