/*
 * engine.c: creating and freeing an engine, its counts, its canonical dump
 * and the invariant checker.
 */
#include "orca_int.h"

#include <stdio.h>
#include <stdlib.h>


static void *default_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, nsize);
}

void orca_config_init(orca_config *cfg)
{
    if (cfg)
        memset(cfg, 0, sizeof(*cfg));
}

static void timer_setpos(void *item, uint32_t aux, uint32_t pos)
{
    (void)aux;
    ((ix *)item)->tpos = pos;
}

#define SCRATCH 4096

int orca_engine_new(const orca_config *cfg, orca_engine **out)
{
    orca_config c;
    if (!out)
        return ORCA_EINVAL;
    *out = NULL;
    if (cfg)
        c = *cfg;
    else
        orca_config_init(&c);
    if (c.start_ms >= ORCA_TIME_MAX)
        return ORCA_ERANGE;
    if (!c.alloc)
        c.alloc = default_alloc;
    if (!c.max_agents) c.max_agents = 1000000;
    if (!c.max_interactions) c.max_interactions = 16000000;
    if (!c.max_queues) c.max_queues = 65536;
    if (!c.max_skills) c.max_skills = 65536;
    if (!c.offer_timeout_ms) c.offer_timeout_ms = 20000;
    if (!c.reoffer_delay_ms) c.reoffer_delay_ms = 30000;
    if (!c.no_answer_limit) c.no_answer_limit = 3;
    if (!c.history_per_customer) c.history_per_customer = 8;
    if (!c.max_customers) c.max_customers = 100000;
    if (!c.customer_ttl_ms) c.customer_ttl_ms = 7ull * 24 * 3600 * 1000;
    if (c.max_queues > (1u << 20) || c.max_skills > (1u << 24) ||
        c.history_per_customer > ORCA_HISTORY_MAX || c.customer_ttl_ms >= ORCA_TIME_MAX)
        return ORCA_ERANGE;

    orca_engine *e = c.alloc(c.alloc_ud, NULL, 0, sizeof(*e));
    if (!e)
        return ORCA_ENOMEM;
    memset(e, 0, sizeof(*e));
    e->alloc = c.alloc;
    e->alloc_ud = c.alloc_ud;
    e->cfg = c;
    e->jio = jfile_sys;
    e->now = c.start_ms;
    e->nskills = SKILL_FIRST;
    e->rng = c.seed;
    strtab_init(&e->skill_names);
    strtab_init(&e->channel_names);
    strtab_init(&e->queue_names);
    u64map_init(&e->agent_map);
    u64map_init(&e->ix_map);
    u64map_init(&e->rs_map);
    u64map_init(&e->class_map);
    u64map_init(&e->plan_map);
    u64map_init(&e->cust_map);
    heap_init(&e->timers, timer_setpos, NULL);
    e->hist_buf = mem_alloc(e, c.history_per_customer * sizeof(orca_history_entry));
    if (!e->hist_buf)
        goto nomem;
    e->scratch = mem_alloc(e, SCRATCH * sizeof(uint32_t));
    if (!e->scratch)
        goto nomem;
    e->capscratch = SCRATCH;
    static const struct { const char *name; uint32_t cost; } builtin[] = {
        { "voice", 100 }, { "chat", 25 }, { "email", 10 }, { "sms", 10 },
        { "social", 10 }, { "video", 100 }, { "callback", 100 },
    };
    for (uint32_t k = 0; k < ORCA_CHANNEL_BUILTIN_COUNT; k++) {
        orca_channel_def d = { builtin[k].name, builtin[k].cost, 0, NULL, NULL };
        if (channel_add_raw(e, &d, NULL))
            goto nomem;
    }
    *out = e;
    return ORCA_OK;
nomem:
    orca_engine_free(e);
    return ORCA_ENOMEM;
}

void orca_engine_free(orca_engine *e)
{
    if (!e)
        return;
    e->freeing = true;
    jrn_free(e);
    jrn_apply_free(e);
    U64MAP_FOREACH(&e->ix_map, slot) {
        ix *i = slot->val;
        if (i->ex)
            mem_free(e, i->ex, sizeof(excl_list) + i->ex->cap * sizeof(excl));
        mem_free(e, i, sizeof(*i));
    }
    /* zombies still on the notify list */
    for (ix *i = e->notify_head, *n; i; i = n) {
        n = i->notify_next;
        if (i->flags & IXF_ZOMBIE) {
            if (i->ex)
                mem_free(e, i->ex, sizeof(excl_list) + i->ex->cap * sizeof(excl));
            mem_free(e, i, sizeof(*i));
        }
    }
    u64map_free(e, &e->ix_map);
    cust_free_all(e);
    if (e->hist_buf)
        mem_free(e, e->hist_buf, e->cfg.history_per_customer * sizeof(orca_history_entry));
    plan_free_all(e);
    class_free_all(e);
    agent_free_all(e);
    wait_free(e);
    for (uint32_t k = 0; k < e->nqueues; k++) {
        if (!e->queues[k])
            continue;
        hours_free(e, e->queues[k]->hours);
        mem_free(e, e->queues[k]->name, e->queues[k]->len + 1);
        mem_free(e, e->queues[k], sizeof(queue));
    }
    mem_free(e, e->queues, e->capqueues * sizeof(queue *));
    for (uint32_t k = SKILL_FIRST; k < e->nskills; k++) {
        mem_free(e, e->skills[k].name, e->skills[k].len + 1);
        mem_free(e, e->skills[k].holders, e->skills[k].capholders * sizeof(agent *));
    }
    mem_free(e, e->skills, e->capskills * sizeof(skill));
    for (uint32_t k = 0; k < e->nchannels; k++)
        mem_free(e, e->channels[k].name, e->channels[k].len + 1);
    for (uint32_t k = 0; k < e->nrs; k++)
        if (e->rs_by_id[k])
            mem_free(e, e->rs_by_id[k], sizeof(reqset));
    mem_free(e, e->rs_by_id, e->caprs * sizeof(reqset *));
    mem_free(e, e->rs_free, e->caprs_free * sizeof(uint32_t));
    strtab_free(e, &e->skill_names);
    strtab_free(e, &e->channel_names);
    strtab_free(e, &e->queue_names);
    u64map_free(e, &e->agent_map);
    u64map_free(e, &e->rs_map);
    u64map_free(e, &e->class_map);
    mem_free(e, e->agents, e->capagents * sizeof(agent *));
    mem_free(e, e->classes, e->capclasses * sizeof(rclass *));
    mem_free(e, e->ctop, e->capctop * sizeof(ctop));
    mem_free(e, e->cfree, e->capcfree * sizeof(uint32_t));
    mem_free(e, e->timers.v, e->timers.cap * sizeof(heap_ent));
    mem_free(e, e->listeners, e->caplisteners * sizeof(listener));
    mem_free(e, e->scratch, e->capscratch * sizeof(uint32_t));
    e->alloc(e->alloc_ud, e, sizeof(*e), 0);
}

uint64_t orca_engine_now(const orca_engine *e)
{
    return e ? e->now : 0;
}

int orca_engine_counts(const orca_engine *e, orca_counts *out)
{
    if (!e || !out)
        return ORCA_EINVAL;
    memset(out, 0, sizeof(*out));
    out->skills = e->nskills - SKILL_FIRST;
    out->channels = e->nchannels;
    out->queues = e->nqueues - e->nqueues_removed;
    out->agents = e->nagents;
    out->agents_ready = e->agents_ready;
    out->interactions = e->nix;
    out->waiting = e->nwaiting;
    out->offered = e->noffered;
    out->busy = e->nbusy;
    out->wrapup = e->nwrap;
    out->scheduled = e->nsched;
    out->bot = e->nbot;
    out->classes = e->nclasses;
    out->listeners = e->nlisteners;
    out->events = e->ev_seq;
    return ORCA_OK;
}

/* ---- dump ---------------------------------------------------------------- */

typedef struct out {
    orca_write_fn fn;
    void *data;
} out;

static int cmp_agent_id(const void *x, const void *y)
{
    uint64_t a = (*(agent *const *)x)->id, b = (*(agent *const *)y)->id;
    return a < b ? -1 : a > b;
}

static int cmp_ix_id(const void *x, const void *y)
{
    uint64_t a = (*(ix *const *)x)->id, b = (*(ix *const *)y)->id;
    return a < b ? -1 : a > b;
}

static int cmp_cust_id(const void *x, const void *y)
{
    uint64_t a = (*(cust *const *)x)->id, b = (*(cust *const *)y)->id;
    return a < b ? -1 : a > b;
}

/* Customers by id, with their history (one sorting allocation; if that
 * fails, the section says so rather than failing the dump). */
static void dump_customers(orca_engine *e, out *o)
{
    orca_customer_totals t = e->ctot;
    out_printf(o->fn, o->data, "customers n=%u lru=%u contacts=%llu recontacts=%llu switches=%llu targeted=%llu "
           "sticky=%llu target_offers=%llu transfers=%llu forgotten=%llu\n",
        e->ncust, e->nlru, (unsigned long long)t.contacts, (unsigned long long)t.recontacts,
        (unsigned long long)t.channel_switches, (unsigned long long)t.targeted,
        (unsigned long long)t.sticky, (unsigned long long)t.target_offers,
        (unsigned long long)t.transfers, (unsigned long long)t.forgotten);
    if (!e->ncust)
        return;
    cust **cs = mem_alloc(e, e->ncust * sizeof(*cs));
    if (!cs) {
        out_printf(o->fn, o->data, "customers: (no memory to sort)\n");
        return;
    }
    uint32_t n = 0;
    U64MAP_FOREACH(&e->cust_map, slot)
        cs[n++] = slot->val;
    qsort(cs, n, sizeof(*cs), cmp_cust_id);
    for (uint32_t k = 0; k < n; k++) {
        const cust *c = cs[k];
        out_printf(o->fn, o->data, "customer %llu open=%u contacts=%llu last=%llu@%llu active=%llu hist=%u\n",
            (unsigned long long)c->id, c->nopen, (unsigned long long)c->contacts,
            (unsigned long long)c->last_agent, (unsigned long long)c->last_answer,
            (unsigned long long)c->last_active, c->n);
        for (uint32_t h = 0; h < c->n; h++) {
            const orca_history_entry *x = &c->v[(c->head + h) % c->cap];
            out_printf(o->fn, o->data, "  %llu conv=%llu q=%u ch=%u agent=%llu %llu/%llu/%llu out=%d disp=%u\n",
                (unsigned long long)x->interaction, (unsigned long long)x->conversation,
                x->queue, x->channel, (unsigned long long)x->agent,
                (unsigned long long)x->arrival_ms, (unsigned long long)x->answer_ms,
                (unsigned long long)x->end_ms, x->outcome, x->disposition);
        }
    }
    mem_free(e, cs, e->ncust * sizeof(*cs));
}

int orca_engine_dump(const orca_engine *e, orca_write_fn fn, void *data)
{
    if (!e || !fn)
        return ORCA_EINVAL;
    orca_engine *me = (orca_engine *)e; /* only for the allocator */
    agent **as = NULL;
    ix **is = NULL;
    if ((e->nagents && !(as = mem_alloc(me, e->nagents * sizeof(*as)))) ||
        (e->nix && !(is = mem_alloc(me, e->nix * sizeof(*is))))) {
        mem_free(me, as, e->nagents * sizeof(*as));
        return ORCA_ENOMEM;
    }
    out o = { fn, data };
    out_printf(o.fn, o.data, "engine now=%llu seq=%llu offers=%llu rng=%llu wr_clock=%llu\n",
        (unsigned long long)e->now, (unsigned long long)e->seq,
        (unsigned long long)e->offers, (unsigned long long)e->rng,
        (unsigned long long)e->wr_clock);
    for (uint32_t k = SKILL_FIRST; k < e->nskills; k++)
        out_printf(o.fn, o.data, "skill %u %s\n", k, e->skills[k].name);
    for (uint32_t k = 0; k < e->nchannels; k++) {
        const channel *c = &e->channels[k];
        out_printf(o.fn, o.data, "channel %u %s cost=%u wrapup=%u\n", k, c->name, c->cost, c->wrapup_ms);
    }
    for (uint32_t k = 0; k < e->nqueues; k++) {
        const queue *q = e->queues[k];
        if (!q) {
            out_printf(o.fn, o.data, "queue %u removed\n", k + 1);
            continue;
        }
        out_printf(o.fn, o.data, "queue %u %s strategy=%d serve=%u tier=%u max_size=%u max_wait=%u "
                "aging=%u/%u wrapup=%u sla=%u timeout=%u steps=%u overflow=%u->%u "
                "waiting=%u offered=%u members=%u sticky=%u/%u cb=%u/%u resume=%u hours=%d\n",
            q->id, q->name, q->strategy, q->serve, q->skills_tier, q->max_size,
            q->max_wait_ms, q->aging_ms, q->aging_max, q->wrapup_ms, q->sla_ms,
            q->offer_timeout_ms, q->nsteps, q->overflow_after_ms, q->overflow_to,
            q->waiting, q->offered, q->members, q->sticky_ms, q->sticky_within_ms,
            q->callback_attempts, q->callback_retry_ms, q->resume_ms, q->hours != NULL);
    }
    for (uint32_t k = 0; k < e->nagents; k++)
        as[k] = e->agents[k];
    if (e->nagents)
        qsort(as, e->nagents, sizeof(*as), cmp_agent_id);
    for (uint32_t k = 0; k < e->nagents; k++) {
        const agent *a = as[k];
        out_printf(o.fn, o.data, "agent %llu presence=%d reason=%u cap=%u used=%u weight=%u idle=%llu "
                "last_offer=%llu wr=%llu handled=%u missed=%u work=%u/%u/%u links=%u\n",
            (unsigned long long)a->id, a->presence, a->reason, a->capacity, a->used,
            a->weight, (unsigned long long)a->idle_since,
            (unsigned long long)a->last_offer, (unsigned long long)a->wr_key, a->handled,
            a->missed, a->noffered, a->nbusy, a->nwrap, a->nlinks);
        if (a->held.n || a->ntargeted)
            out_printf(o.fn, o.data, "  held=%u targeted=%u\n", a->held.n, a->ntargeted);
        for (uint32_t s = 0; s < a->nskills; s++)
            out_printf(o.fn, o.data, "  skill %u=%u\n", a->skills[s].skill, a->skills[s].level);
        for (uint32_t c = 0; c < ORCA_MAX_CHANNELS; c++)
            if (a->limit[c] || a->count[c])
                out_printf(o.fn, o.data, "  channel %u limit=%u count=%u\n", c, a->limit[c], a->count[c]);
        for (uint32_t q = 0; q < a->nqueues; q++)
            out_printf(o.fn, o.data, "  queue %u member=%u tier=%u rank=%u\n", a->queues[q].q,
                a->queues[q].member, a->queues[q].tier, a->queues[q].rank);
    }
    uint32_t n = 0;
    U64MAP_FOREACH(&e->ix_map, slot)
        is[n++] = slot->val;
    if (n)
        qsort(is, n, sizeof(*is), cmp_ix_id);
    for (uint32_t k = 0; k < n; k++) {
        const ix *i = is[k];
        out_printf(o.fn, o.data, "ix %llu state=%u queue=%u ch=%u cust=%llu prio=%u eff=%u arrival=%llu "
                "queued=%llu seq=%llu agent=%llu attempts=%u stage=%u step=%u "
                "deadline=%llu due=%llu tries=%u req=",
            (unsigned long long)i->id, i->state, i->cls->q->id, i->cls->ch,
            (unsigned long long)i->customer, i->prio, i->eff,
            (unsigned long long)i->arrival, (unsigned long long)i->queued,
            (unsigned long long)i->seq,
            (unsigned long long)(i->agent ? i->agent->id : 0), i->attempts, i->stage,
            i->step, (unsigned long long)i->deadline, (unsigned long long)i->due, i->tries);
        for (uint32_t r = 0; r < i->cls->rs->nreq; r++)
            out_printf(o.fn, o.data, "%u>=%u,", i->cls->rs->req[r].skill, i->cls->rs->req[r].level);
        out_printf(o.fn, o.data, " pref=");
        for (uint32_t r = 0; r < i->cls->rs->npref; r++)
            out_printf(o.fn, o.data, "%u>=%u,", i->cls->rs->pref[r].skill, i->cls->rs->pref[r].level);
        if (i->ex)
            for (uint32_t x = 0; x < i->ex->n; x++)
                out_printf(o.fn, o.data, " excl=%llu@%llu", (unsigned long long)i->ex->v[x].agent,
                    (unsigned long long)i->ex->v[x].until);
        out_printf(o.fn, o.data, " conv=%llu answered=%llu by=%llu disp=%u target=%llu@%llu%s xfer=%llu<%llu",
            (unsigned long long)i->conversation, (unsigned long long)i->answered,
            (unsigned long long)i->answered_by, i->disposition,
            (unsigned long long)(i->target ? i->target->id : 0),
            (unsigned long long)i->target_until, i->target_hard ? "!" : "",
            (unsigned long long)(i->xfer_to ? i->xfer_to->id : 0),
            (unsigned long long)(i->xfer_from ? i->xfer_from->id : 0));
        out_printf(o.fn, o.data, "\n");
    }
    dump_customers(me, &o);
    mem_free(me, as, e->nagents * sizeof(*as));
    mem_free(me, is, e->nix * sizeof(*is));
    return ORCA_OK;
}

/* ---- invariant checker --------------------------------------------------- */

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond))                                                         \
            return ORCA_ECORRUPT;                                            \
    } while (0)

static int check_agent(const orca_engine *e, const agent *a, bool deep)
{
    uint32_t used = 0, cnt[ORCA_MAX_CHANNELS] = { 0 }, no = 0, nb = 0, nw = 0;
    CHECK(agent_get(e, a->id) == a);
    CHECK(e->agents[a->slot] == a);
    CHECK(a->idle_since <= e->now && a->last_offer <= e->offers); /* not after the clock */
    for (const ix *i = a->work; i; i = i->anext) {
        CHECK(i->agent == a);
        CHECK(ix_get(e, i->id) == i);
        used += e->channels[i->cls->ch].cost;
        cnt[i->cls->ch]++;
        no += i->state == ORCA_STATE_OFFERED;
        nb += i->state == ORCA_STATE_BUSY;
        nw += i->state == ORCA_STATE_WRAPUP;
    }
    CHECK(used == a->used && no == a->noffered && nb == a->nbusy && nw == a->nwrap);
    for (uint32_t k = 0; k < a->nskills; k++) {
        const skill *s = &e->skills[a->skills[k].skill];
        uint32_t p = AGENT_SKILL_POS(a)[k];
        CHECK(p < s->nholders && s->holders[p] == a);
    }
    for (uint32_t c = 0; c < ORCA_MAX_CHANNELS; c++)
        CHECK(cnt[c] == a->count[c]);
    for (uint32_t k = 0; k < a->nqueues; k++) /* no removed queue named */
        CHECK(queue_get(e, a->queues[k].q) != NULL);
    /* links must be exactly the classes a is eligible for (every class
     * looked at: the one O(agents x classes) part, so `deep` only) */
    uint32_t eligible = 0;
    for (uint32_t k = 0; deep && k < e->nslots; k++) {
        uint8_t t, p, r;
        uint16_t s;
        if (e->classes[k])
            eligible += agent_eligible(e, a, e->classes[k], &t, &p, &s, &r);
    }
    CHECK(!deep || eligible == a->nlinks);
    for (uint32_t li = 0; li < a->nlinks; li++) {
        const link *l = &a->links[li];
        uint8_t t, p, r;
        uint16_t s;
        CHECK(agent_eligible(e, a, l->cls, &t, &p, &s, &r));
        CHECK(t == l->tier && p == l->pref && s == l->score && r == l->rank);
        CHECK(a->scan[li] == SCAN_ENTRY(l));
        CHECK(l->cidx == l->cls->idx && l->ch == l->cls->ch &&
              l->strategy == (uint8_t)l->cls->q->strategy);
        CHECK(l->cls->elig[l->epos].a == a && l->cls->elig[l->epos].li == li);
        bool want = agent_available(e, a, l->cls->ch);
        if (want)
            CHECK(l->hpos != NOPOS); /* (an entry may also be stale: skipped) */
        if (l->hpos == NOPOS)
            CHECK(a->out_mask >> l->ch & 1);
        if (l->hpos != NOPOS) {
            const heap_ent *h = &l->cls->agents.v[l->hpos];
            CHECK(h->item == a && h->aux == li);
            CHECK(h->k1 == l->hk1 && h->k2 == l->hk2);
            /* a stored key may lag behind (lower bound), never lead */
            uint64_t k1 = agent_key1(e, a, l), k2 = agent_key2(a, l);
            CHECK(h->k1 < k1 || (h->k1 == k1 && h->k2 <= k2));
        }
    }
    return ORCA_OK;
}

int orca_engine_check(const orca_engine *e)
{
    return e ? engine_check(e, true) : ORCA_EINVAL;
}

int engine_check(const orca_engine *e, bool deep)
{
    uint32_t ready = 0;
    for (uint32_t k = 0; k < e->nagents; k++) {
        int rc = check_agent(e, e->agents[k], deep);
        if (rc)
            return rc;
        ready += e->agents[k]->presence == ORCA_PRESENCE_READY;
    }
    CHECK(ready == e->agents_ready && e->agent_map.n == e->nagents);
    uint32_t tn;
    CHECK(itree_check(e->agent_root, &tn) == 0 && tn == e->nagents);
    for (uint32_t k = 0; k < e->nagents; k++) {
        const agent *a = e->agents[k];
        CHECK(a->idn.k == a->id && itree_contains(e->agent_root, &a->idn));
    }
    /* the id index: empty until the first interaction listing, then every
     * live interaction */
    CHECK(itree_check(e->ix_root, &tn) == 0 && tn == (e->ix_indexed ? e->nix : 0));
    uint32_t nw = 0, no = 0, nb = 0, nwr = 0, n = 0, held = 0;
    uint32_t targeted = 0, heldn = 0, nsch = 0, nbot = 0, sched_t = 0;
    U64MAP_FOREACH(&e->ix_map, slot) {
        const ix *i = slot->val;
        n++;
        CHECK(i->cls == i->plan->stages[i->stage].classes[i->step]);
        if (i->target) {
            targeted++;
            CHECK(i->state == ORCA_STATE_WAITING || i->state == ORCA_STATE_OFFERED ||
                  i->state == ORCA_STATE_SCHEDULED);
            CHECK(i->state != ORCA_STATE_OFFERED || i->agent == i->target);
            CHECK(agent_get(e, i->target->id) == i->target);
        }
        CHECK(i->idn.k == i->id && (!e->ix_indexed || itree_contains(e->ix_root, &i->idn)));
        CHECK(!i->xfer_to || (i->xfer_to->xfer_from == i && i->state == ORCA_STATE_BUSY));
        CHECK(!i->xfer_from || i->xfer_from->xfer_to == i);
        CHECK(!i->customer == !i->cust && (!i->cust || i->cust->id == i->customer));
        /* nothing it did is after the clock (its arrival may be: a
         * callback's slot, routed early) */
        CHECK(i->state_ms <= e->now && i->answered <= e->now);
        CHECK(i->deadline == ix_compute_deadline(e, i));
        /* nor due before it: the next advance would set the clock back to
         * it (a restored SCHEDULED due, an offer that should have expired) */
        CHECK(i->deadline == UINT64_MAX || i->deadline >= e->now);
        CHECK((i->deadline == UINT64_MAX) == (i->tpos == NOPOS));
        if (i->tpos != NOPOS)
            CHECK(e->timers.v[i->tpos].item == i && e->timers.v[i->tpos].k1 == i->deadline);
        switch (i->state) {
        case ORCA_STATE_WAITING:
            nw++;
            CHECK(!i->agent && i->hpos != NOPOS);
            CHECK(i->eff == ix_effprio(i, e->now) || i->deadline <= e->now);
            /* in its queue's routing order, under its current key */
            CHECK(i->wkey == ix_wkey(i));
            CHECK(bt_contains(&i->cls->q->wtree, i->wkey, i->seq, i->arrival, i));
            if (i->target) { /* held: in its agent's heap, and that agent busy */
                const heap *h = &i->target->held;
                CHECK(i->hpos < h->n && h->v[i->hpos].item == i);
                CHECK(h->v[i->hpos].k1 == ix_wkey(i) && h->v[i->hpos].k2 == i->seq);
                CHECK(!target_can_take(e, i->target, i, NULL));
                held++;
                break;
            }
            CHECK(i->cls->waiting.v[i->hpos].item == i);
            CHECK(i->cls->waiting.v[i->hpos].k1 == ix_wkey(i));
            /* nobody who could take it is left idle */
            for (uint32_t k = 0; k < i->cls->agents.n; k++) {
                const agent *a = i->cls->agents.v[k].item;
                if (agent_available(e, a, i->cls->ch))
                    CHECK(ix_excludes(i, a->id, e->now));
            }
            break;
        case ORCA_STATE_SCHEDULED:
            nsch++;
            /* (a due past the clock's range never comes: no deadline) */
            CHECK(!i->agent && i->hpos == NOPOS &&
                  i->deadline == (i->due < ORCA_TIME_MAX ? i->due : UINT64_MAX));
            if (i->target)
                sched_t++;
            break;
        case ORCA_STATE_BOT:
            nbot++;
            CHECK(!i->agent && i->hpos == NOPOS && !i->target);
            break;
        case ORCA_STATE_OFFERED: no++; CHECK(i->agent); break;
        case ORCA_STATE_BUSY: nb++; CHECK(i->agent); break;
        case ORCA_STATE_WRAPUP: nwr++; CHECK(i->agent); break;
        default: return ORCA_ECORRUPT;
        }
    }
    CHECK(n == e->nix && nw == e->nwaiting && no == e->noffered && nb == e->nbusy &&
          nwr == e->nwrap);
    uint32_t inheaps = 0;
    uint32_t live = 0;
    for (uint32_t k = 0; k < e->nslots; k++) {
        const rclass *c = e->classes[k];
        if (!c)
            continue;
        live++;
        CHECK(c->idx == k && heap_valid(&c->waiting) && heap_valid(&c->agents));
        bool qlive = false; /* no class outlives its queue */
        for (uint32_t j = 0; j < e->nqueues && !qlive; j++)
            qlive = e->queues[j] == c->q;
        CHECK(qlive);
        if (c->waiting.n)
            CHECK(e->ctop[k].k1 == c->waiting.v[0].k1 && e->ctop[k].k2 == c->waiting.v[0].k2);
        else
            CHECK(e->ctop[k].k1 == UINT64_MAX);
        CHECK(c->agents.cap >= c->nelig && c->waiting.cap >= c->need);
        inheaps += c->waiting.n;
        for (uint32_t j = 0; j < c->waiting.n; j++) {
            const ix *i = c->waiting.v[j].item;
            CHECK(i->cls == c && i->hpos == j && i->state == ORCA_STATE_WAITING);
        }
    }
    uint32_t ntarg = 0;
    for (uint32_t k = 0; k < e->nagents; k++) {
        const agent *a = e->agents[k];
        CHECK(heap_valid(&a->held) && a->held.cap >= a->ntargeted);
        heldn += a->held.n;
        ntarg += a->ntargeted;
        for (uint32_t j = 0; j < a->held.n; j++) {
            const ix *i = a->held.v[j].item;
            CHECK(i->target == a && i->hpos == j && i->state == ORCA_STATE_WAITING);
        }
    }
    uint32_t asched = 0;
    for (uint32_t k = 0; k < e->nagents; k++)
        asched += e->agents[k]->nsched;
    CHECK(heldn == held && ntarg == targeted && asched == sched_t);
    CHECK(nsch == e->nsched && nbot == e->nbot);
    CHECK(inheaps + held == nw && live == e->nclasses);
    CHECK(cust_check(e) == ORCA_OK);
    CHECK(heap_valid(&e->timers));
    uint32_t qw = 0, qo = 0;
    uint32_t removed = 0, wnodes = 0;
    for (uint32_t k = 0; k < e->nqueues; k++) {
        const queue *q = e->queues[k];
        if (!q) {
            removed++;
            continue;
        }
        CHECK(q->id == k + 1);
        CHECK(q->overflow == (q->overflow_after_ms ? queue_get(e, q->overflow_to) : NULL));
        qw += q->waiting;
        qo += q->offered;
        /* the routing-order tree holds exactly the queue's waiting work
         * (each WAITING interaction was found in its queue's tree above) */
        CHECK(bt_check(&q->wtree, &tn) == 0 && q->wtree.n == q->waiting);
        wnodes += tn;
    }
    CHECK(removed == e->nqueues_removed);
    /* every tree node is in a tree or spare, and the spares cover every
     * live interaction waiting at once: routing never allocates */
    CHECK(wnodes + e->wpool.nfree == e->wpool.nodes);
    CHECK(e->wpool.nodes >= bt_need(e->nix, e->nqueues - e->nqueues_removed));
    CHECK(qw == nw && qo == no);
    return ORCA_OK;
}
