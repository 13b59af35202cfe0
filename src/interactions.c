/*
 * interactions.c: the life of one piece of work:
 * WAITING -> OFFERED -> BUSY -> WRAPUP -> done, plus reject and offer
 * timeout (back to WAITING, keeping its place), abandon, cancel, max wait.
 */
#include "orca_int.h"

queue *queue_get(const orca_engine *e, orca_queue_id id)
{
    return id >= 1 && id <= e->nqueues ? e->queues[id - 1] : NULL;
}

agent *agent_get(const orca_engine *e, uint64_t id)
{
    return u64map_get(&e->agent_map, id);
}

ix *ix_get(const orca_engine *e, uint64_t id)
{
    return u64map_get(&e->ix_map, id);
}

void orca_interaction_def_init(orca_interaction_def *def)
{
    if (def)
        memset(def, 0, sizeof(*def));
}

/* Validate a skill list: known skills, levels 1..100, no skill twice. */
int skills_check(const orca_engine *e, const orca_skill_level *v, uint32_t n, uint32_t max)
{
    if (n > max)
        return ORCA_ERANGE;
    if (n && !v)
        return ORCA_EINVAL;
    for (uint32_t k = 0; k < n; k++) {
        if (v[k].skill >= e->nskills)
            return ORCA_ENOENT;
        if (v[k].level < ORCA_LEVEL_MIN || v[k].level > ORCA_LEVEL_MAX)
            return ORCA_ERANGE;
        for (uint32_t j = 0; j < k; j++)
            if (v[j].skill == v[k].skill)
                return ORCA_EINVAL;
    }
    return ORCA_OK;
}

/* ---- agent work list ---------------------------------------------------- */

void agent_work_remove(agent *a, ix *i)
{
    if (i->aprev)
        i->aprev->anext = i->anext;
    else
        a->work = i->anext;
    if (i->anext)
        i->anext->aprev = i->aprev;
    i->anext = i->aprev = NULL;
}

/* Take i off its agent and give the capacity back. */
static agent *detach(orca_engine *e, ix *i)
{
    agent *a = i->agent;
    orca_channel_id ch = i->cls->ch;
    agent_work_remove(a, i);
    a->used -= e->channels[ch].cost;
    a->used_fell = true;
    a->count[ch]--;
    switch (i->state) {
    case ORCA_STATE_OFFERED:
        a->noffered--;
        i->cls->q->offered--;
        e->noffered--;
        break;
    case ORCA_STATE_BUSY:
        a->nbusy--;
        e->nbusy--;
        break;
    case ORCA_STATE_WRAPUP:
        a->nwrap--;
        e->nwrap--;
        break;
    }
    i->agent = NULL;
    return a;
}

/* ---- exclusions --------------------------------------------------------- */

static int excl_reserve(orca_engine *e, ix *i)
{
    excl_list *x = i->ex;
    if (x && x->n < x->cap)
        return ORCA_OK;
    uint32_t cap = x ? x->cap * 2 : 2;
    size_t osz = x ? sizeof(excl_list) + x->cap * sizeof(excl) : 0;
    excl_list *nx = mem_realloc(e, x, osz, sizeof(excl_list) + cap * sizeof(excl));
    if (!nx)
        return ORCA_ENOMEM;
    if (!x)
        nx->n = 0;
    nx->cap = cap;
    i->ex = nx;
    return ORCA_OK;
}

/* Remember that agent declined i. If memory is short (timer path), the
 * oldest exclusion makes room; with none at all, the delay is skipped. */
static void excl_add(orca_engine *e, ix *i, uint64_t agent_id)
{
    uint64_t until = e->now + e->cfg.reoffer_delay_ms;
    if (i->ex)
        for (uint32_t k = 0; k < i->ex->n; k++)
            if (i->ex->v[k].agent == agent_id) {
                i->ex->v[k].until = until;
                return;
            }
    if (excl_reserve(e, i) != ORCA_OK) {
        if (!i->ex || !i->ex->n)
            return;
        uint32_t old = 0;
        for (uint32_t k = 1; k < i->ex->n; k++)
            if (i->ex->v[k].until < i->ex->v[old].until)
                old = k;
        i->ex->v[old] = (excl){ agent_id, until };
        return;
    }
    i->ex->v[i->ex->n++] = (excl){ agent_id, until };
}

static void excl_purge(orca_engine *e, ix *i)
{
    if (!i->ex)
        return;
    uint32_t n = 0;
    for (uint32_t k = 0; k < i->ex->n; k++)
        if (i->ex->v[k].until > e->now)
            i->ex->v[n++] = i->ex->v[k];
    i->ex->n = n;
}

/* ---- transitions -------------------------------------------------------- */

void ix_forget(orca_engine *e, ix *i)
{
    if (i->state == ORCA_STATE_WAITING && i->hpos != NOPOS)
        ix_from_waiting(e, i);
    if (i->tpos != NOPOS)
        heap_remove(&e->timers, i->tpos);
    u64map_del(&e->ix_map, i->id);
    e->nix--;
    plan *p = i->plan;
    i->state = 0;
    ix_release_mem(e, i);
    plan_unuse(e, p);
}

static void emit_ix(orca_engine *e, orca_event_type t, const ix *i)
{
    orca_event ev;
    ev_ix(e, &ev, t, i);
    emit(e, &ev);
}

/* Move i (WAITING) to class c of the same queue, keeping its key. */
static void move_class(orca_engine *e, ix *i, rclass *c)
{
    if (c == i->cls)
        return;
    heap_remove(&i->cls->waiting, i->hpos);
    class_top_update(e, i->cls);
    i->cls = c;
    heap_push(&c->waiting, ix_wkey(i), i->seq, i, 0);
    class_top_update(e, c);
}

void process_waiting(orca_engine *e, ix *i)
{
    excl_purge(e, i);
    queue *q = i->cls->q;
    uint64_t waited = e->now - i->queued;
    if (q->max_wait_ms && waited >= q->max_wait_ms) {
        emit_ix(e, ORCA_EV_TIMED_OUT, i);
        ix_forget(e, i);
        return;
    }
    uint32_t next = i->plan->stages[i->stage].next_stage;
    if (q->overflow_after_ms && waited >= q->overflow_after_ms && next != NOPOS) {
        orca_queue_id from = q->id;
        ix_from_waiting(e, i);
        i->stage = next;
        i->step = 0;
        i->cls = i->plan->stages[next].classes[0];
        i->queued = e->now; /* aging restarts: step 5 below recomputes effprio */
        ix_to_waiting(e, i);
        q = i->cls->q;
        waited = 0;
        orca_event ev;
        ev_ix(e, &ev, ORCA_EV_OVERFLOWED, i);
        ev.queue_from = from;
        emit(e, &ev);
    }
    while (i->step < q->nsteps && waited >= q->steps[i->step].after_ms) {
        move_class(e, i, i->plan->stages[i->stage].classes[i->step + 1]);
        i->step++;
        orca_event ev;
        ev_ix(e, &ev, ORCA_EV_STEP, i);
        ev.value = i->step;
        emit(e, &ev);
    }
    uint8_t eff = ix_effprio(i, e->now);
    if (eff != i->eff) {
        i->eff = eff;
        heap_rekey(&i->cls->waiting, i->hpos, ix_wkey(i), i->seq);
        class_top_update(e, i->cls);
        orca_event ev;
        ev_ix(e, &ev, ORCA_EV_PRIORITY, i);
        ev.value = eff;
        emit(e, &ev);
    }
    timer_update(e, i);
    route_interaction(e, i);
}

void ix_complete(orca_engine *e, ix *i)
{
    orca_event ev;
    ev_ix(e, &ev, ORCA_EV_COMPLETED, i);
    ev.duration_ms = i->state == ORCA_STATE_WRAPUP ? e->now - i->state_ms : 0;
    emit(e, &ev);
    agent *a = detach(e, i);
    a->idle_since = e->now;
    ix_forget(e, i);
    route_agent(e, a); /* ends by refreshing a's heap entries */
}

/* i was offered and comes back: capacity freed, back to WAITING. */
static agent *back_to_waiting(orca_engine *e, ix *i, bool exclude)
{
    agent *a = detach(e, i);
    if (exclude)
        excl_add(e, i, a->id);
    ix_to_waiting(e, i);
    agent_refresh(e, a);
    return a;
}

void ix_offer_timeout(orca_engine *e, ix *i)
{
    agent *a = i->agent;
    a->missed++;
    emit_ix(e, ORCA_EV_OFFER_TIMEOUT, i);
    withdraw_offer(e, i, ORCA_WITHDRAW_TIMEOUT);
    if (e->cfg.no_answer_limit && a->missed >= e->cfg.no_answer_limit &&
        a->presence == ORCA_PRESENCE_READY) {
        a->presence = ORCA_PRESENCE_NOT_READY;
        a->reason = ORCA_REASON_NO_ANSWER;
        e->agents_ready--;
        orca_event ev;
        ev_init(e, &ev, ORCA_EV_AGENT_PRESENCE);
        ev.agent = a->id;
        ev.presence = a->presence;
        ev.reason = a->reason;
        emit(e, &ev);
    }
    back_to_waiting(e, i, true);
    process_waiting(e, i);
    route_agent(e, a);
}

/* ---- public calls ------------------------------------------------------- */

int orca_interaction_enqueue(orca_engine *e, const orca_interaction_def *def)
{
    int rc;
    if (!e || !def || !def->id)
        return ORCA_EINVAL;
    if (ix_get(e, def->id))
        return ORCA_EEXIST;
    queue *q = queue_get(e, def->queue);
    if (!q)
        return ORCA_ENOENT;
    if (def->channel >= e->nchannels)
        return ORCA_ENOENT;
    if (def->priority > ORCA_PRIORITY_MAX)
        return ORCA_ERANGE;
    if ((rc = skills_check(e, def->required, def->nrequired, ORCA_MAX_REQUIRED)) ||
        (rc = skills_check(e, def->preferred, def->npreferred, ORCA_MAX_PREFERRED)))
        return rc;
    if (e->nix >= e->cfg.max_interactions)
        return ORCA_ELIMIT;
    if ((rc = api_enter(e)))
        return rc;
    if (q->max_size && q->waiting + q->offered >= q->max_size) {
        orca_event ev;
        ev_init(e, &ev, ORCA_EV_REJECTED_FULL);
        ev.interaction = def->id;
        ev.queue = q->id;
        ev.channel = def->channel;
        ev.customer = def->customer;
        ev.priority = def->priority;
        ev.arrival_ms = e->now;
        emit(e, &ev);
        return api_leave(e, ORCA_EFULL);
    }
    /* reserve everything first: nothing below the reservations can fail */
    reqset *rs = NULL;
    plan *p = NULL;
    ix *i = NULL;
    if ((rc = u64map_reserve(e, &e->ix_map, e->ix_map.n + 1)) ||
        (rc = mem_reserve(e, (void **)&e->timers.v, &e->timers.cap, e->nix + 1,
                          sizeof(heap_ent))) ||
        (rc = reqset_get(e, def->required, def->nrequired, def->preferred,
                         def->npreferred, &rs)))
        return api_leave(e, rc);
    bool created;
    rc = plan_get(e, q, def->channel, rs, &p, &created);
    reqset_put(e, rs); /* the plan holds its own reference */
    if (rc)
        return api_leave(e, rc);
    if ((rc = plan_reserve_user(e, p)) || !(i = mem_calloc(e, sizeof(*i)))) {
        if (created)
            plan_discard(e, p);
        return api_leave(e, rc ? rc : ORCA_ENOMEM);
    }
    plan_use(e, p);
    i->id = def->id;
    i->seq = ++e->seq;
    i->customer = def->customer;
    i->arrival = i->queued = e->now;
    i->data = def->data;
    i->plan = p;
    i->cls = p->stages[0].classes[0];
    i->hpos = i->tpos = NOPOS;
    i->prio = i->eff = (uint8_t)def->priority;
    u64map_put(&e->ix_map, i->id, i);
    e->nix++;
    ix_to_waiting(e, i);
    emit_ix(e, ORCA_EV_ENQUEUED, i);
    process_waiting(e, i);
    return api_leave(e, ORCA_OK);
}

/* Look up an interaction for a mutating call that needs a given state. */
static int get_in_state(orca_engine *e, uint64_t id, unsigned states, ix **out)
{
    if (!e || !id)
        return ORCA_EINVAL;
    if (e->in_callback)
        return ORCA_EBUSY;
    ix *i = ix_get(e, id);
    if (!i)
        return ORCA_ENOENT;
    if (!(states & (1u << i->state)))
        return ORCA_ESTATE;
    *out = i;
    return ORCA_OK;
}

#define ST(s) (1u << (s))

int orca_offer_accept(orca_engine *e, uint64_t id)
{
    ix *i;
    int rc = get_in_state(e, id, ST(ORCA_STATE_OFFERED), &i);
    if (rc || (rc = api_enter(e)))
        return rc;
    agent *a = i->agent;
    queue *q = i->cls->q;
    i->state = ORCA_STATE_BUSY;
    i->state_ms = e->now;
    a->noffered--;
    a->nbusy++;
    q->offered--;
    e->noffered--;
    e->nbusy++;
    a->handled++;
    a->missed = 0;
    timer_update(e, i);
    agent_refresh(e, a);
    orca_event ev;
    ev_ix(e, &ev, ORCA_EV_ACCEPTED, i);
    ev.sla_met = e->now - i->arrival <= q->sla_ms;
    emit(e, &ev);
    return api_leave(e, ORCA_OK);
}

int orca_offer_reject(orca_engine *e, uint64_t id)
{
    ix *i;
    int rc = get_in_state(e, id, ST(ORCA_STATE_OFFERED), &i);
    if (rc || (rc = api_enter(e)))
        return rc;
    if ((rc = excl_reserve(e, i)))
        return api_leave(e, rc);
    emit_ix(e, ORCA_EV_REJECTED, i);
    i->flags &= (uint8_t)~IXF_NOTIFIED;
    agent *a = back_to_waiting(e, i, true);
    process_waiting(e, i);
    route_agent(e, a);
    return api_leave(e, ORCA_OK);
}

int orca_interaction_end(orca_engine *e, uint64_t id)
{
    ix *i;
    int rc = get_in_state(e, id, ST(ORCA_STATE_BUSY), &i);
    if (rc || (rc = api_enter(e)))
        return rc;
    orca_event ev;
    ev_ix(e, &ev, ORCA_EV_ENDED, i);
    ev.duration_ms = e->now - i->state_ms;
    emit(e, &ev);
    uint32_t wrap = ix_wrapup_ms(e, i);
    if (wrap > 0) {
        i->wrap_len = wrap;
        i->state = ORCA_STATE_WRAPUP;
        i->state_ms = e->now;
        i->agent->nbusy--;
        i->agent->nwrap++;
        e->nbusy--;
        e->nwrap++;
        timer_update(e, i);
    } else {
        ix_complete(e, i);
    }
    return api_leave(e, ORCA_OK);
}

int orca_interaction_wrapup_done(orca_engine *e, uint64_t id)
{
    ix *i;
    int rc = get_in_state(e, id, ST(ORCA_STATE_WRAPUP), &i);
    if (rc || (rc = api_enter(e)))
        return rc;
    ix_complete(e, i);
    return api_leave(e, ORCA_OK);
}

static int drop(orca_engine *e, uint64_t id, orca_event_type t, orca_withdraw_reason why)
{
    ix *i;
    int rc = get_in_state(e, id, ST(ORCA_STATE_WAITING) | ST(ORCA_STATE_OFFERED), &i);
    if (rc || (rc = api_enter(e)))
        return rc;
    emit_ix(e, t, i);
    agent *a = NULL;
    if (i->state == ORCA_STATE_OFFERED) {
        withdraw_offer(e, i, why);
        a = detach(e, i);
        i->state = 0;
    }
    ix_forget(e, i);
    if (a)
        route_agent(e, a);
    return api_leave(e, ORCA_OK);
}

int orca_interaction_abandon(orca_engine *e, uint64_t id)
{
    return drop(e, id, ORCA_EV_ABANDONED, ORCA_WITHDRAW_ABANDONED);
}

int orca_interaction_cancel(orca_engine *e, uint64_t id)
{
    return drop(e, id, ORCA_EV_CANCELLED, ORCA_WITHDRAW_CANCELLED);
}

int orca_interaction_set_priority(orca_engine *e, uint64_t id, uint32_t priority)
{
    ix *i;
    int rc = get_in_state(e, id, ST(ORCA_STATE_WAITING) | ST(ORCA_STATE_OFFERED), &i);
    if (rc)
        return rc;
    if (priority > ORCA_PRIORITY_MAX)
        return ORCA_ERANGE;
    if ((rc = api_enter(e)))
        return rc;
    i->prio = (uint8_t)priority;
    i->eff = ix_effprio(i, e->now);
    if (i->state == ORCA_STATE_WAITING) {
        heap_rekey(&i->cls->waiting, i->hpos, ix_wkey(i), i->seq);
        class_top_update(e, i->cls);
        timer_update(e, i);
    }
    orca_event ev;
    ev_ix(e, &ev, ORCA_EV_PRIORITY, i);
    ev.value = i->eff;
    emit(e, &ev);
    return api_leave(e, ORCA_OK);
}

int orca_interaction_info_get(const orca_engine *e, uint64_t id, orca_interaction_info *out)
{
    if (!e || !out || !id)
        return ORCA_EINVAL;
    const ix *i = ix_get(e, id);
    if (!i)
        return ORCA_ENOENT;
    memset(out, 0, sizeof(*out));
    out->id = i->id;
    out->state = (orca_interaction_state)i->state;
    out->queue = i->cls->q->id;
    out->channel = i->cls->ch;
    out->customer = i->customer;
    out->priority = i->prio;
    out->effective_priority = i->eff;
    out->arrival_ms = i->arrival;
    out->queued_ms = i->queued;
    out->agent = i->agent ? i->agent->id : 0;
    out->attempts = i->attempts;
    out->step = i->step;
    out->nrequired = i->cls->rs->nreq;
    memcpy(out->required, i->cls->rs->req, sizeof(orca_skill_level) * i->cls->rs->nreq);
    out->data = i->data;
    return ORCA_OK;
}
