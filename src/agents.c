/*
 * agents.c: people who take work: skills, capacity, channel limits,
 * presence (kept apart from the work state of each interaction they hold),
 * queue membership ranks.
 */
#include "orca_int.h"

#include <stdlib.h>


/* What an agent takes unless the host says otherwise: the usual blend of
 * the built-in channels (one call, or up to 3 chats and 5 emails, as the
 * capacity allows) and one at a time of the others. Read-only and shared
 * by every def that orca_agent_def_init fills. */
static const orca_channel_limit default_limits[ORCA_CHANNEL_BUILTIN_COUNT] = {
    { ORCA_CHANNEL_VOICE, 1 }, { ORCA_CHANNEL_CHAT, 3 },   { ORCA_CHANNEL_EMAIL, 5 },
    { ORCA_CHANNEL_SMS, 1 },   { ORCA_CHANNEL_SOCIAL, 1 }, { ORCA_CHANNEL_VIDEO, 1 },
    { ORCA_CHANNEL_CALLBACK, 1 },
};

void orca_agent_def_init(orca_agent_def *def)
{
    if (!def)
        return;
    memset(def, 0, sizeof(*def));
    def->capacity = 100;
    def->weight = 1;
    def->limits = default_limits;
    def->nlimits = ORCA_CHANNEL_BUILTIN_COUNT;
}

/* The agent with this id, NULL if none. */
agent *agent_get(const orca_engine *e, uint64_t id)
{
    return u64map_get(&e->agent_map, id);
}

static int cmp_skill(const void *a, const void *b)
{
    const orca_skill_level *x = a, *y = b;
    return x->skill < y->skill ? -1 : x->skill > y->skill;
}

#define CHANNEL_LIMIT_MAX 1000

/* The checks of an agent's definition (add, update); *limits: its
 * per-channel limits, defaults filled in. */
int agent_def_check(const orca_engine *e, const orca_agent_def *d, uint16_t *limits)
{
    int rc;
    if (!d || !d->id)
        return ORCA_EINVAL;
    if ((rc = skills_check(e, d->skills, d->nskills, ORCA_MAX_AGENT_SKILLS)))
        return rc;
    if (d->capacity < 1 || d->capacity > ORCA_CAPACITY_MAX)
        return ORCA_ERANGE;
    if (d->weight < 1 || d->weight > ORCA_WEIGHT_MAX)
        return ORCA_ERANGE;
    if (d->nlimits && !d->limits)
        return ORCA_EINVAL;
    if (d->nlimits > ORCA_MAX_CHANNELS)
        return ORCA_ERANGE;
    memset(limits, 0, sizeof(uint16_t) * ORCA_MAX_CHANNELS);
    for (uint32_t k = 0; k < d->nlimits; k++) {
        const orca_channel_limit *l = &d->limits[k];
        if (l->channel >= e->nchannels)
            return ORCA_ENOENT;
        if (l->max < 1 || l->max > CHANNEL_LIMIT_MAX)
            return ORCA_ERANGE;
        if (limits[l->channel])
            return ORCA_EINVAL;
        limits[l->channel] = (uint16_t)l->max;
    }
    /* No silent dead agent: one that could never be offered anything (no
     * channel, or only channels costing more than its capacity) is a
     * mistake; a host parks agents with presence instead. */
    for (uint32_t ch = 0; ch < e->nchannels; ch++)
        if (limits[ch] && e->channels[ch].cost <= d->capacity)
            return ORCA_OK;
    return ORCA_EINVAL;
}

static orca_skill_level *skills_copy(orca_engine *e, const orca_agent_def *d)
{
    if (!d->nskills)
        return NULL;
    orca_skill_level *s = mem_alloc(e, AGENT_SKILLS_BYTES(d->nskills));
    if (!s)
        return NULL;
    for (uint32_t k = 0; k < d->nskills; k++)
        s[k] = (orca_skill_level){ d->skills[k].skill, d->skills[k].level };
    qsort(s, d->nskills, sizeof(*s), cmp_skill);
    return s;
}

static void emit_agent(orca_engine *e, orca_event_type t, const agent *a)
{
    orca_event ev;
    ev_init(e, &ev, t);
    ev.agent = a->id;
    ev.presence = a->presence;
    ev.reason = a->reason;
    emit(e, &ev);
}

/* orca_agent_add's work, def checked: ORCA_OK, or ORCA_ENOMEM with nothing
 * changed. */
int agent_create(orca_engine *e, const orca_agent_def *def, const uint16_t *limits)
{
    int rc;
    orca_skill_level *skills = NULL;
    agent *a = NULL;
    if ((rc = u64map_reserve(e, &e->agent_map, e->agent_map.n + 1)) ||
        (rc = mem_reserve(e, (void **)&e->agents, &e->capagents, e->nagents + 1,
                          sizeof(agent *))))
        return rc;
    if ((def->nskills && !(skills = skills_copy(e, def))) || !(a = mem_calloc(e, sizeof(*a)))) {
        mem_free(e, skills, AGENT_SKILLS_BYTES(def->nskills));
        return ORCA_ENOMEM;
    }
    a->id = def->id;
    heap_init(&a->held, ix_setpos, NULL);
    if ((rc = holders_reserve(e, skills, def->nskills)) ||
        (rc = agent_relink(e, a, skills, def->nskills, limits, NULL, 0, false))) {
        mem_free(e, a->links, a->caplinks * sizeof(link));
        mem_free(e, a->scan, a->capscan * sizeof(uint64_t));
        mem_free(e, skills, AGENT_SKILLS_BYTES(def->nskills));
        mem_free(e, a, sizeof(*a));
        return rc;
    }
    a->data = def->data;
    a->capacity = def->capacity;
    a->weight = def->weight;
    a->presence = ORCA_PRESENCE_OFFLINE;
    a->skills = skills;
    a->nskills = def->nskills;
    memcpy(a->limit, limits, sizeof(a->limit));
    a->idle_since = e->now;
    a->load_t = e->now;
    a->wr_key = e->wr_clock + rng_draw(&e->rng, a->weight);
    a->slot = e->nagents;
    e->agents[e->nagents++] = a;
    u64map_put(&e->agent_map, a->id, a);
    a->idn.k = a->id;
    itree_insert(&e->agent_root, &a->idn);
    holders_add(e, a);
    agent_relink(e, a, NULL, 0, NULL, NULL, 0, true);
    emit_agent(e, ORCA_EV_AGENT_ADDED, a);
    return ORCA_OK;
}

/* orca_agent_update's work, def checked: ORCA_OK, or ORCA_ENOMEM with
 * nothing changed. */
int agent_update(orca_engine *e, agent *a, const orca_agent_def *def, const uint16_t *limits)
{
    int rc;
    orca_skill_level *skills = NULL;
    if (def->nskills && !(skills = skills_copy(e, def)))
        return ORCA_ENOMEM;
    if ((rc = holders_reserve(e, skills, def->nskills)) ||
        (rc = agent_relink(e, a, skills, def->nskills, limits, a->queues, a->nqueues, false))) {
        mem_free(e, skills, AGENT_SKILLS_BYTES(def->nskills));
        return rc;
    }
    holders_del(e, a);
    mem_free(e, a->skills, AGENT_SKILLS_BYTES(a->nskills));
    a->skills = skills;
    a->nskills = def->nskills;
    holders_add(e, a);
    a->data = def->data;
    a->capacity = def->capacity;
    a->weight = def->weight;
    memcpy(a->limit, limits, sizeof(a->limit));
    agent_relink(e, a, NULL, 0, NULL, NULL, 0, true);
    agent_refresh(e, a);
    emit_agent(e, ORCA_EV_AGENT_UPDATED, a);
    target_recheck(e, a);
    if (a->presence == ORCA_PRESENCE_READY)
        route_agent(e, a);
    return ORCA_OK;
}

static void agent_free(orca_engine *e, agent *a)
{
    mem_free(e, a->skills, AGENT_SKILLS_BYTES(a->nskills));
    mem_free(e, a->queues, a->capqueues * sizeof(agent_queue));
    mem_free(e, a->links, a->caplinks * sizeof(link));
    mem_free(e, a->scan, a->capscan * sizeof(uint64_t));
    mem_free(e, a->held.v, a->held.cap * sizeof(heap_ent));
    mem_free(e, a, sizeof(*a));
}

void agent_free_all(orca_engine *e)
{
    for (uint32_t k = 0; k < e->nagents; k++)
        agent_free(e, e->agents[k]);
    e->nagents = 0;
}

/* orca_agent_remove's work: a has no BUSY or WRAPUP work. */
void agent_delete(orca_engine *e, agent *a)
{
    /* Offers go back to their queues, oldest enqueue first; work held
     * for a is released (soft) or times out (hard). */
    ix *back = NULL, **tail = &back, *doomed = NULL, **dtail = &doomed;
    while (a->work) {
        ix *min = a->work;
        for (ix *i = a->work; i; i = i->anext)
            if (i->seq < min->seq)
                min = i;
        orca_event ev;
        ev_ix(e, &ev, ORCA_EV_REJECTED, min);
        ev.value = ORCA_WITHDRAW_AGENT_REMOVED;
        emit(e, &ev);
        withdraw_offer(e, min, ORCA_WITHDRAW_AGENT_REMOVED);
        agent_work_remove(a, min);
        a->used -= e->channels[min->cls->ch].cost;
        a->used_fell = true;
        a->count[min->cls->ch]--;
        a->noffered--;
        min->cls->q->offered--;
        e->noffered--;
        bool doom = min->target == a && min->target_hard;
        if (min->target == a) {
            if (doom)
                target_clear(e, min);
            else
                target_release(e, min, ORCA_RELEASE_OFFLINE);
        }
        ix_to_waiting(e, min);
        if (doom) { /* times out after AGENT_REMOVED, in seq order */
            *dtail = min;
            dtail = &min->anext;
            min->anext = NULL;
            continue;
        }
        *tail = min;
        tail = &min->anext; /* reuse the work link for this local list */
        min->anext = NULL;
    }
    if (a->nsched) { /* scheduled work held for a: rare, so a scan */
        ix *chain = NULL;
        U64MAP_FOREACH(&e->ix_map, slot) {
            ix *i = slot->val;
            if (i->state == ORCA_STATE_SCHEDULED && i->target == a) {
                i->notify_next = chain; /* (free: only offers are notified) */
                chain = i;
            }
        }
        while (chain) { /* in seq order, as everywhere else on removal */
            ix *i = ix_pop_first(&chain);
            bool hard = i->target_hard;
            if (hard) {
                target_clear(e, i);
                *dtail = i;
                dtail = &i->anext;
                i->anext = NULL;
            } else {
                target_release(e, i, ORCA_RELEASE_OFFLINE);
            }
        }
    }
    for (ix *i = target_agent_gone(e, a, true, &doomed), *n; i; i = n) {
        n = i->anext;
        *tail = i;
        tail = &i->anext;
        i->anext = NULL;
    }
    agent_unlink_all(e, a);
    holders_del(e, a);
    for (uint32_t k = 0; k < a->nqueues; k++)
        if (a->queues[k].member)
            queue_get(e, a->queues[k].q)->members--;
    if (a->presence == ORCA_PRESENCE_READY)
        e->agents_ready--;
    u64map_del(&e->agent_map, a->id);
    itree_remove(&e->agent_root, &a->idn);
    uint32_t last = --e->nagents;
    if (a->slot != last) {
        e->agents[a->slot] = e->agents[last];
        e->agents[a->slot]->slot = a->slot;
    }
    orca_event ev;
    ev_init(e, &ev, ORCA_EV_AGENT_REMOVED);
    ev.agent = a->id;
    emit(e, &ev);
    agent_free(e, a);
    while (doomed) {
        ix *i = doomed;
        doomed = i->anext;
        i->anext = NULL;
        orca_event tev;
        ev_ix(e, &tev, ORCA_EV_TIMED_OUT, i);
        emit(e, &tev);
        ix_forget(e, i, ORCA_OUTCOME_TIMED_OUT);
    }
    while (back) {
        ix *i = back;
        back = i->anext;
        i->anext = NULL;
        if (i->state == ORCA_STATE_WAITING)
            process_waiting(e, i);
    }
}

/* orca_agent_set_presence's work, p checked. */
void agent_set_presence(orca_engine *e, agent *a, orca_presence p, uint32_t reason)
{
    bool was_ready = a->presence == ORCA_PRESENCE_READY;
    bool now_ready = p == ORCA_PRESENCE_READY;
    if (now_ready && !was_ready) {
        a->idle_since = e->now;
        e->agents_ready++;
    } else if (!now_ready && was_ready) {
        e->agents_ready--;
    }
    a->presence = p;
    a->reason = reason;
    agent_refresh(e, a);
    emit_agent(e, ORCA_EV_AGENT_PRESENCE, a);
    if (p == ORCA_PRESENCE_OFFLINE && a->held.n) {
        ix *doomed = NULL;
        for (ix *i = target_agent_gone(e, a, false, &doomed), *n; i; i = n) {
            n = i->anext;
            i->anext = NULL;
            route_interaction(e, i);
        }
    }
    if (now_ready && !was_ready)
        route_agent(e, a);
}

/* How many agents are not OFFLINE. */
uint32_t agents_online(const orca_engine *e)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < e->nagents; k++)
        n += e->agents[k]->presence != ORCA_PRESENCE_OFFLINE;
    return n;
}

/* After a replay with ORCA_RESTORE_OFFLINE (jrn_offline_all): every agent
 * OFFLINE, as orca_agent_set_presence would (reason 0). The soft holds each
 * one releases are routed only once all are OFFLINE, so that none is
 * offered to an agent who is about to go too (nobody is then READY: they
 * wait). */
void agent_offline_all(orca_engine *e)
{
    ix *released = NULL, **tail = &released;
    uint32_t k;
    for (k = 0; k < e->nagents; k++) {
        agent *a = e->agents[k];
        if (a->presence == ORCA_PRESENCE_OFFLINE)
            continue;
        if (a->presence == ORCA_PRESENCE_READY)
            e->agents_ready--;
        a->presence = ORCA_PRESENCE_OFFLINE;
        a->reason = 0;
        agent_refresh(e, a);
        emit_agent(e, ORCA_EV_AGENT_PRESENCE, a);
        if (a->held.n) {
            ix *doomed = NULL; /* only removal dooms hard holds */
            *tail = target_agent_gone(e, a, false, &doomed);
            while (*tail)
                tail = &(*tail)->anext;
        }
    }
    for (ix *i = released, *next; i; i = next) {
        next = i->anext;
        i->anext = NULL;
        route_interaction(e, i);
    }
}

/* Change a's queue entry for q (membership, tier, rank) and relink. */
int agent_queue_set(orca_engine *e, agent *a, orca_queue_id q, int member,
                    uint32_t tier, int rank)
{
    int rc;
    uint32_t n = a->nqueues, k;
    for (k = 0; k < n && a->queues[k].q != q; k++)
        ;
    size_t tmpsz = (n + 1) * sizeof(agent_queue);
    agent_queue *tmp = mem_alloc(e, tmpsz);
    if (!tmp)
        return ORCA_ENOMEM;
    if (n)
        memcpy(tmp, a->queues, n * sizeof(agent_queue));
    if (k == n) {
        tmp[n] = (agent_queue){ q, 0, 0, 0 };
        n++;
    }
    if (member >= 0) {
        tmp[k].member = (uint8_t)member;
        tmp[k].tier = member ? (uint8_t)tier : 0;
    }
    if (rank >= 0)
        tmp[k].rank = (uint8_t)rank;
    if (!tmp[k].member && !tmp[k].rank) /* nothing left to say: drop it */
        tmp[k] = tmp[--n];
    if ((rc = mem_reserve(e, (void **)&a->queues, &a->capqueues, n, sizeof(agent_queue))) ||
        (rc = agent_relink(e, a, a->skills, a->nskills, a->limit, tmp, n, false))) {
        mem_free(e, tmp, tmpsz);
        return rc;
    }
    if (n)
        memcpy(a->queues, tmp, n * sizeof(agent_queue));
    mem_free(e, tmp, tmpsz);
    a->nqueues = n;
    agent_relink(e, a, NULL, 0, NULL, NULL, 0, true);
    agent_refresh(e, a);
    return ORCA_OK;
}

int orca_agent_info_get(const orca_engine *e, uint64_t id, orca_agent_info *out)
{
    if (!e || !out || !id)
        return ORCA_EINVAL;
    const agent *a = agent_get(e, id);
    if (!a)
        return ORCA_ENOENT;
    agent_info_fill(a, out);
    out->busy_units_ms = agent_load(e, a);
    return ORCA_OK;
}

void agent_info_fill(const agent *a, orca_agent_info *out)
{
    memset(out, 0, sizeof(*out));
    out->id = a->id;
    out->presence = a->presence;
    out->reason = a->reason;
    out->capacity = a->capacity;
    out->used = a->used;
    out->offered = a->noffered;
    out->busy = a->nbusy;
    out->wrapup = a->nwrap;
    out->handled = a->handled;
    out->missed = a->missed;
    out->idle_since_ms = a->idle_since;
    out->data = a->data;
}
