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

void ix_forget(orca_engine *e, ix *i, orca_outcome outcome)
{
    if (i->state == ORCA_STATE_WAITING && i->hpos != NOPOS)
        ix_from_waiting(e, i);
    if (i->target)
        target_clear(e, i);
    if (i->state == ORCA_STATE_SCHEDULED)
        e->nsched--;
    else if (i->state == ORCA_STATE_BOT)
        e->nbot--;
    if (i->xfer_to) /* a consult leg outlives the transfer it was for */
        i->xfer_to->xfer_from = NULL;
    if (i->xfer_from)
        i->xfer_from->xfer_to = NULL;
    cust_detach(e, i, outcome);
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
    if (i->target) { /* held: not in any class heap */
        i->cls = c;
        return;
    }
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
        ix_forget(e, i, ORCA_OUTCOME_TIMED_OUT);
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
        ix_rekey(e, i);
        orca_event ev;
        ev_ix(e, &ev, ORCA_EV_PRIORITY, i);
        ev.value = eff;
        emit(e, &ev);
    }
    if (i->target && !i->target_hard && i->target->presence == ORCA_PRESENCE_OFFLINE)
        target_release(e, i, ORCA_RELEASE_OFFLINE); /* went OFFLINE while scheduled */
    if (i->target && !i->target_hard && !target_eligible(e, i->target, i, NULL))
        target_release(e, i, ORCA_RELEASE_INELIGIBLE);
    if (i->target && e->now >= i->target_until && !target_can_take(e, i->target, i, NULL)) {
        if (i->target_hard) {
            emit_ix(e, ORCA_EV_TIMED_OUT, i);
            ix_forget(e, i, ORCA_OUTCOME_TIMED_OUT);
            return;
        }
        target_release(e, i, ORCA_RELEASE_EXPIRED);
    }
    timer_update(e, i);
    route_interaction(e, i);
}

void ix_complete(orca_engine *e, ix *i)
{
    orca_event ev;
    ev_ix(e, &ev, ORCA_EV_COMPLETED, i);
    ev.duration_ms = i->state == ORCA_STATE_WRAPUP ? e->now - i->state_ms : 0;
    ev.handle_ms = i->answered_by ? e->now - i->answered : 0;
    ev.csat = i->csat;
    ev.fcr = i->fcr;
    emit(e, &ev);
    agent *a = detach(e, i);
    a->idle_since = e->now;
    ix_forget(e, i, i->xfer_done ? ORCA_OUTCOME_TRANSFERRED : ORCA_OUTCOME_COMPLETED);
    route_agent(e, a); /* ends by refreshing a's heap entries */
}

/* i was offered and comes back: capacity freed, back to WAITING. */
static agent *back_to_waiting(orca_engine *e, ix *i, bool exclude)
{
    agent *a = detach(e, i);
    if (exclude)
        excl_add(e, i, a->id);
    if (i->target && !i->target_hard)
        target_release(e, i, ORCA_RELEASE_DECLINED);
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

/* A new leg (enqueue, transfer or escalation) with everything it needs
 * reserved, so that starting it cannot fail. */
typedef struct leg {
    const orca_interaction_def *def;
    queue *q;              /* where it goes (after redirects) */
    queue *asked;          /* def->queue */
    uint64_t due;          /* routable from (now, a slot, an opening) */
    uint32_t sched;        /* ORCA_SCHED_* when due > now */
    plan *p;
    bool plan_created;
    cust *c;
    bool cust_created;
    agent *target;
    uint64_t target_until;
    bool target_hard, sticky, resume;
    ix *i;
} leg;

static int def_check(const orca_engine *e, const orca_interaction_def *def)
{
    int rc;
    if (!def->id)
        return ORCA_EINVAL;
    if (!queue_get(e, def->queue) || def->channel >= e->nchannels)
        return ORCA_ENOENT;
    if (def->priority > ORCA_PRIORITY_MAX)
        return ORCA_ERANGE;
    if ((rc = skills_check(e, def->required, def->nrequired, ORCA_MAX_REQUIRED)) ||
        (rc = skills_check(e, def->preferred, def->npreferred, ORCA_MAX_PREFERRED)))
        return rc;
    if (def->agent_required > 1 || (!def->agent && (def->agent_required || def->agent_wait_ms)))
        return ORCA_EINVAL;
    if (def->bot > 1 || (def->bot && (def->agent || def->not_before_ms)) ||
        (!def->not_before_ms && def->early_ms))
        return ORCA_EINVAL;
    if (def->not_before_ms && (def->not_before_ms < e->now || def->not_before_ms >= ORCA_TIME_MAX))
        return ORCA_ERANGE; /* a callback time in the past */
    if (def->agent && !agent_get(e, def->agent))
        return ORCA_ENOENT;
    return ORCA_OK;
}

static void leg_undo(orca_engine *e, leg *L)
{
    if (L->i)
        mem_free(e, L->i, sizeof(*L->i));
    if (L->plan_created)
        plan_discard(e, L->p);
    if (L->cust_created)
        cust_discard(e, L->c);
}

/* The agent new work of customer c is held for by the queue's sticky
 * routing: the last agent, if logged in and serving the work. */
static agent *sticky_agent(const orca_engine *e, const leg *L)
{
    if (!L->q->sticky_ms || !L->c)
        return NULL;
    uint64_t id = cust_last_agent(e, L->c, L->def->conversation, L->q->sticky_within_ms);
    agent *a = id ? agent_get(e, id) : NULL;
    uint8_t tier, pref, rank;
    uint16_t score;
    if (!a || a->presence == ORCA_PRESENCE_OFFLINE ||
        !agent_eligible(e, a, L->p->stages[0].classes[0], &tier, &pref, &score, &rank))
        return NULL;
    return a;
}

static void emit_closed(orca_engine *e, const orca_interaction_def *def, uint64_t customer)
{
    orca_event ev;
    ev_init(e, &ev, ORCA_EV_REJECTED_CLOSED);
    ev.interaction = def->id;
    ev.queue = def->queue;
    ev.channel = def->channel;
    ev.customer = customer;
    ev.priority = def->priority;
    ev.arrival_ms = e->now;
    emit(e, &ev);
    e->ctot.closed_rejected++;
}

/* Where new work for def->queue goes and from when (opening hours and a
 * callback slot); ORCA_ECLOSED (with its event) if the queue refuses it. */
static int leg_where(orca_engine *e, const orca_interaction_def *def, uint64_t customer, leg *L)
{
    bool redirected;
    memset(L, 0, sizeof(*L));
    L->def = def;
    L->asked = queue_get(e, def->queue);
    if (hours_route(e, L->asked, &L->q, &L->due, &redirected) != ORCA_OK) {
        emit_closed(e, def, customer);
        return ORCA_ECLOSED;
    }
    if (def->bot)
        L->due = e->now; /* a bot answers at once, open or not */
    if (L->due > e->now)
        L->sched = ORCA_SCHED_CLOSED;
    if (def->not_before_ms) {
        uint64_t slot = def->not_before_ms > def->early_ms ? def->not_before_ms - def->early_ms : 0;
        if (slot > L->due) {
            L->due = slot;
            L->sched = ORCA_SCHED_SLOT;
        }
    }
    return ORCA_OK;
}

/* Refuse work for a full queue: the event, and true. */
static bool queue_full(orca_engine *e, const leg *L, uint64_t customer)
{
    const queue *q = L->q;
    if (!q->max_size || q->waiting + q->offered < q->max_size)
        return false;
    orca_event ev;
    ev_init(e, &ev, ORCA_EV_REJECTED_FULL);
    ev.interaction = L->def->id;
    ev.queue = q->id;
    ev.channel = L->def->channel;
    ev.customer = customer;
    ev.priority = L->def->priority;
    ev.arrival_ms = e->now;
    emit(e, &ev);
    return true;
}

/* Reserve everything the leg placed by leg_where needs, for customer
 * `customer`; `sticky` and `resume` say whether those may apply. */
static int leg_reserve(orca_engine *e, uint64_t customer, bool sticky, bool resume, leg *L)
{
    int rc;
    reqset *rs = NULL;
    const orca_interaction_def *def = L->def;
    if ((rc = u64map_reserve(e, &e->ix_map, e->ix_map.n + 1)) ||
        (rc = mem_reserve(e, (void **)&e->timers.v, &e->timers.cap, e->nix + 1,
                          sizeof(heap_ent))) ||
        (rc = reqset_get(e, def->required, def->nrequired, def->preferred, def->npreferred,
                         &rs)))
        return rc;
    rc = plan_get(e, L->q, def->channel, rs, &L->p, &L->plan_created);
    reqset_put(e, rs); /* the plan holds its own reference */
    if (rc)
        return rc;
    if ((rc = plan_reserve_user(e, L->p)) ||
        (customer && (rc = cust_prepare(e, customer, &L->c, &L->cust_created))))
        goto fail;
    uint64_t base = L->due; /* holds count from when the work is routable */
    if (def->agent) {
        L->target = agent_get(e, def->agent);
        L->target_hard = def->agent_required;
        L->target_until = def->agent_wait_ms ? base + def->agent_wait_ms
                          : def->agent_required ? UINT64_MAX
                                                : base;
    } else if (sticky && !def->bot && (L->target = sticky_agent(e, L))) {
        L->sticky = true;
        L->target_until = base + L->q->sticky_ms;
    }
    L->resume = resume && L->c && !def->bot && L->c->resume_q == L->q->id &&
                L->c->resume_until > e->now;
    if ((L->target && (rc = target_reserve(e, L->target))) ||
        !(L->i = mem_calloc(e, sizeof(*L->i)))) {
        rc = rc ? rc : ORCA_ENOMEM;
        goto fail;
    }
    return ORCA_OK;
fail:
    leg_undo(e, L);
    return rc;
}

/* Everything a new leg needs before it can start (enqueue, transfer,
 * escalation): where it goes, room in that queue, and memory. */
static int leg_open(orca_engine *e, const orca_interaction_def *def, uint64_t customer,
                    bool sticky, bool resume, leg *L)
{
    int rc;
    if ((rc = leg_where(e, def, customer, L)))
        return rc;
    if (queue_full(e, L, customer))
        return ORCA_EFULL;
    return leg_reserve(e, customer, sticky, resume, L);
}

/* SCHEDULED until `due` (i is in no heap and has no agent). */
static void ix_schedule(orca_engine *e, ix *i, uint64_t due, uint32_t reason)
{
    i->state = ORCA_STATE_SCHEDULED;
    i->agent = NULL;
    i->due = due;
    e->nsched++;
    if (i->target)
        i->target->nsched++;
    e->ctot.scheduled++;
    timer_update(e, i);
    orca_event ev;
    ev_ix(e, &ev, ORCA_EV_SCHEDULED, i);
    ev.due_ms = due;
    ev.value = reason;
    emit(e, &ev);
}

/* Timer: SCHEDULED work is due. */
void process_due(orca_engine *e, ix *i)
{
    e->nsched--;
    if (i->target)
        i->target->nsched--;
    ix_to_waiting(e, i);
    emit_ix(e, ORCA_EV_DUE, i);
    process_waiting(e, i);
}

/* Start a prepared leg: it arrived at `arrival` (its routable time, or
 * the first leg's arrival for a transfer). */
static ix *leg_start(orca_engine *e, leg *L, uint64_t customer, uint64_t conversation,
                     uint64_t arrival, uint32_t bits)
{
    const orca_interaction_def *def = L->def;
    ix *i = L->i;
    plan_use(e, L->p);
    i->id = def->id;
    i->seq = ++e->seq;
    i->customer = customer;
    i->conversation = conversation;
    i->arrival = arrival;
    i->queued = L->due;
    i->data = def->data;
    i->plan = L->p;
    i->cls = L->p->stages[0].classes[0];
    i->hpos = i->tpos = NOPOS;
    i->prio = i->eff = (uint8_t)def->priority;
    i->fcr = -1;
    if (L->resume) { /* the place the customer left: arrival and order */
        i->arrival = L->c->resume_arrival;
        i->seq = L->c->resume_seq;
        L->c->resume_q = 0;
        L->c->resume_until = 0;
        bits |= ORCA_ENQ_RESUMED;
        e->ctot.resumed++;
    }
    u64map_put(&e->ix_map, i->id, i);
    e->nix++;
    if (L->c)
        bits |= cust_attach(e, L->c, i, !(bits & (ORCA_ENQ_TRANSFER | ORCA_ENQ_ESCALATED)));
    if (L->target) {
        target_set(e, i, L->target, L->target_until, L->target_hard);
        bits |= ORCA_ENQ_TARGETED | (L->sticky ? ORCA_ENQ_STICKY : 0);
        e->ctot.targeted++;
        e->ctot.sticky += L->sticky;
    }
    if (L->q != L->asked) {
        bits |= ORCA_ENQ_REDIRECTED;
        e->ctot.redirected++;
    }
    if (def->bot) {
        i->state = ORCA_STATE_BOT;
        e->nbot++;
        e->ctot.bot_started++;
        bits |= ORCA_ENQ_BOT;
    } else if (L->due > e->now) {
        bits |= ORCA_ENQ_SCHEDULED;
    }
    orca_event ev;
    ev_ix(e, &ev, ORCA_EV_ENQUEUED, i);
    ev.value = bits;
    if (L->target)
        ev.agent = L->target->id;
    if (L->q != L->asked)
        ev.queue_from = L->asked->id;
    emit(e, &ev);
    if (def->bot) {
        timer_update(e, i); /* none: BOT work waits for the host */
        return i;
    }
    if (L->due > e->now) {
        ix_schedule(e, i, L->due, L->sched);
        return i;
    }
    ix_to_waiting(e, i);
    process_waiting(e, i);
    return i;
}

int orca_interaction_enqueue(orca_engine *e, const orca_interaction_def *def)
{
    int rc;
    leg L;
    if (!e || !def)
        return ORCA_EINVAL;
    if ((rc = def_check(e, def)))
        return rc;
    if (ix_get(e, def->id))
        return ORCA_EEXIST;
    if (e->nix >= e->cfg.max_interactions)
        return ORCA_ELIMIT;
    if ((rc = api_enter(e)))
        return rc;
    if ((rc = leg_open(e, def, def->customer, true, true, &L)))
        return api_leave(e, rc);
    leg_start(e, &L, def->customer, def->conversation, L.due, 0);
    return api_leave(e, jrn_ix(e, J_ENQUEUE, 0, def, 0));
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

/* `from` is handed to the leg `to`: event TRANSFERRED, then it completes
 * at once (no wrap-up) with outcome TRANSFERRED. */
static void hand_over(orca_engine *e, ix *from, uint64_t to, orca_transfer_mode mode)
{
    orca_event ev;
    ev_ix(e, &ev, ORCA_EV_TRANSFERRED, from);
    ev.other = to;
    ev.value = mode;
    emit(e, &ev);
    e->ctot.transfers++;
    from->xfer_done = true;
    ix_complete(e, from);
}

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
    i->answered = e->now;
    i->answered_by = a->id;
    if (i->target)
        target_clear(e, i);
    cust_answered(e, i);
    timer_update(e, i);
    agent_refresh(e, a);
    orca_event ev;
    ev_ix(e, &ev, ORCA_EV_ACCEPTED, i);
    ev.sla_met = e->now - i->arrival <= q->sla_ms;
    emit(e, &ev);
    if (i->xfer_from) { /* a consult leg was answered: the first agent lets go */
        ix *o = i->xfer_from;
        o->xfer_to = NULL;
        i->xfer_from = NULL;
        hand_over(e, o, i->id, ORCA_TRANSFER_CONSULT);
    }
    return api_leave(e, jrn_id(e, J_ACCEPT, id));
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
    return api_leave(e, jrn_id(e, J_REJECT, id));
}

int orca_interaction_end(orca_engine *e, uint64_t id)
{
    ix *i;
    int rc = get_in_state(e, id, ST(ORCA_STATE_BUSY) | ST(ORCA_STATE_BOT), &i);
    if (rc || (rc = api_enter(e)))
        return rc;
    if (i->state == ORCA_STATE_BOT) { /* the bot resolved it: contained */
        orca_event ev;
        ev_ix(e, &ev, ORCA_EV_CONTAINED, i);
        ev.duration_ms = e->now - i->arrival;
        emit(e, &ev);
        e->ctot.contained++;
        ix_forget(e, i, ORCA_OUTCOME_CONTAINED);
        return api_leave(e, jrn_id(e, J_END, id));
    }
    if (i->xfer_to) { /* the consult leg carries on as work of its own */
        i->xfer_to->xfer_from = NULL;
        i->xfer_to = NULL;
    }
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
    return api_leave(e, jrn_id(e, J_END, id));
}

int orca_interaction_wrapup_done(orca_engine *e, uint64_t id)
{
    ix *i;
    int rc = get_in_state(e, id, ST(ORCA_STATE_WRAPUP), &i);
    if (rc || (rc = api_enter(e)))
        return rc;
    ix_complete(e, i);
    return api_leave(e, jrn_id(e, J_WRAPUP_DONE, id));
}

static int drop(orca_engine *e, uint64_t id, orca_event_type t, orca_withdraw_reason why)
{
    ix *i;
    int rc = get_in_state(e, id,
                          ST(ORCA_STATE_WAITING) | ST(ORCA_STATE_OFFERED) |
                              ST(ORCA_STATE_SCHEDULED) | ST(ORCA_STATE_BOT),
                          &i);
    if (rc || (rc = api_enter(e)))
        return rc;
    emit_ix(e, t, i);
    queue *q = i->cls->q;
    if (t == ORCA_EV_ABANDONED && i->cust && q->resume_ms &&
        (i->state == ORCA_STATE_WAITING || i->state == ORCA_STATE_OFFERED)) {
        /* keep the place for a customer who comes back (chat reconnect) */
        i->cust->resume_q = q->id;
        i->cust->resume_until = e->now + q->resume_ms;
        i->cust->resume_arrival = i->arrival;
        i->cust->resume_seq = i->seq;
    }
    agent *a = NULL;
    if (i->state == ORCA_STATE_OFFERED) {
        withdraw_offer(e, i, why);
        a = detach(e, i);
        i->state = 0;
    }
    ix_forget(e, i, t == ORCA_EV_ABANDONED ? ORCA_OUTCOME_ABANDONED : ORCA_OUTCOME_CANCELLED);
    if (a)
        route_agent(e, a);
    return api_leave(e, jrn_id(e, t == ORCA_EV_ABANDONED ? J_ABANDON : J_CANCEL, id));
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
    int rc = get_in_state(
        e, id, ST(ORCA_STATE_WAITING) | ST(ORCA_STATE_OFFERED) | ST(ORCA_STATE_SCHEDULED), &i);
    if (rc)
        return rc;
    if (priority > ORCA_PRIORITY_MAX)
        return ORCA_ERANGE;
    if ((rc = api_enter(e)))
        return rc;
    i->prio = (uint8_t)priority;
    i->eff = ix_effprio(i, e->now);
    if (i->state == ORCA_STATE_WAITING) {
        ix_rekey(e, i);
        timer_update(e, i);
    }
    orca_event ev;
    ev_ix(e, &ev, ORCA_EV_PRIORITY, i);
    ev.value = i->eff;
    emit(e, &ev);
    return api_leave(e, jrn_id_u32(e, J_PRIORITY, id, priority, 0));
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
    out->conversation = i->conversation;
    if (i->target) {
        out->target_agent = i->target->id;
        out->target_until_ms = i->target_until;
        out->target_required = i->target_hard;
    }
    out->transfer_to = i->xfer_to ? i->xfer_to->id : 0;
    out->transfer_from = i->xfer_from ? i->xfer_from->id : 0;
    out->disposition = i->disposition;
    return ORCA_OK;
}

int orca_interaction_set_survey(orca_engine *e, uint64_t id, uint32_t csat, int32_t fcr)
{
    ix *i;
    int rc = get_in_state(e, id,
                          ST(ORCA_STATE_OFFERED) | ST(ORCA_STATE_BUSY) | ST(ORCA_STATE_WRAPUP),
                          &i);
    if (rc)
        return rc;
    if (csat > 5 || fcr < -1 || fcr > 1)
        return ORCA_ERANGE;
    i->csat = (uint8_t)csat;
    i->fcr = (int8_t)fcr;
    return jrn_id_u32(e, J_SURVEY, id, csat, (uint32_t)fcr);
}

int orca_interaction_set_disposition(orca_engine *e, uint64_t id, uint32_t code)
{
    ix *i;
    int rc = get_in_state(e, id,
                          ST(ORCA_STATE_WAITING) | ST(ORCA_STATE_OFFERED) | ST(ORCA_STATE_BUSY) |
                              ST(ORCA_STATE_WRAPUP) | ST(ORCA_STATE_SCHEDULED) |
                              ST(ORCA_STATE_BOT),
                          &i);
    if (rc)
        return rc;
    i->disposition = code;
    return jrn_id_u32(e, J_DISPOSITION, id, code, 0);
}

int orca_interaction_transfer(orca_engine *e, uint64_t from, const orca_interaction_def *to,
                              orca_transfer_mode mode)
{
    ix *i;
    leg L;
    int rc;
    if (!e || !to || (mode != ORCA_TRANSFER_BLIND && mode != ORCA_TRANSFER_CONSULT))
        return ORCA_EINVAL;
    if ((rc = get_in_state(e, from, ST(ORCA_STATE_BUSY), &i)))
        return rc;
    if (i->xfer_to)
        return ORCA_ESTATE;
    if ((rc = def_check(e, to)))
        return rc;
    if (to->bot || (to->customer && to->customer != i->customer) ||
        (to->conversation && to->conversation != i->conversation))
        return ORCA_EINVAL;
    if (to->id == from) {
        if (mode == ORCA_TRANSFER_CONSULT)
            return ORCA_EINVAL; /* both legs live at once: they need two ids */
    } else if (ix_get(e, to->id)) {
        return ORCA_EEXIST;
    } else if (e->nix >= e->cfg.max_interactions) {
        return ORCA_ELIMIT;
    }
    if ((rc = api_enter(e)))
        return rc;
    /* no sticky routing: the point of a transfer is to move on */
    if ((rc = leg_open(e, to, i->customer, false, false, &L)))
        return api_leave(e, rc);
    uint64_t customer = i->customer, conversation = i->conversation, arrival = i->arrival;
    if (mode == ORCA_TRANSFER_BLIND) {
        hand_over(e, i, to->id, ORCA_TRANSFER_BLIND); /* frees the id before the new leg */
        leg_start(e, &L, customer, conversation, arrival, ORCA_ENQ_TRANSFER);
    } else {
        ix *n = leg_start(e, &L, customer, conversation, arrival, ORCA_ENQ_TRANSFER);
        if (ix_get(e, to->id) == n) {
            i->xfer_to = n;
            n->xfer_from = i;
        }
    }
    return api_leave(e, jrn_ix(e, J_TRANSFER, from, to, (uint32_t)mode));
}

int orca_interaction_escalate(orca_engine *e, uint64_t id, const orca_interaction_def *to)
{
    ix *i;
    leg L;
    int rc;
    if (!e || !to)
        return ORCA_EINVAL;
    if ((rc = get_in_state(e, id, ST(ORCA_STATE_BOT), &i)))
        return rc;
    if ((rc = def_check(e, to)))
        return rc;
    if (to->id != id || to->bot || (to->customer && to->customer != i->customer) ||
        (to->conversation && to->conversation != i->conversation))
        return ORCA_EINVAL;
    if ((rc = api_enter(e)))
        return rc;
    if ((rc = leg_open(e, to, i->customer, true, false, &L)))
        return api_leave(e, rc);
    uint64_t customer = i->customer, conversation = i->conversation;
    orca_event ev;
    ev_ix(e, &ev, ORCA_EV_ESCALATED, i);
    ev.duration_ms = e->now - i->arrival;
    emit(e, &ev);
    e->ctot.escalated++;
    ix_forget(e, i, 0); /* carries on as the new record: not history yet */
    leg_start(e, &L, customer, conversation, L.due, ORCA_ENQ_ESCALATED);
    return api_leave(e, jrn_ix(e, J_ESCALATE, id, to, 0));
}

int orca_interaction_callback(orca_engine *e, uint64_t id, orca_channel_id ch,
                              uint64_t not_before_ms)
{
    ix *i;
    plan *p;
    bool created;
    int rc;
    if (!e)
        return ORCA_EINVAL;
    if ((rc = get_in_state(e, id, ST(ORCA_STATE_WAITING) | ST(ORCA_STATE_SCHEDULED), &i)))
        return rc;
    if (ch >= e->nchannels)
        return ORCA_ENOENT;
    if (not_before_ms && (not_before_ms < e->now || not_before_ms >= ORCA_TIME_MAX))
        return ORCA_ERANGE;
    if ((rc = api_enter(e)))
        return rc;
    /* the same path (queue, steps, overflow) on the new channel */
    if ((rc = plan_get(e, i->plan->stages[0].q, ch, i->plan->base, &p, &created)))
        return api_leave(e, rc);
    if ((rc = plan_reserve_user(e, p))) {
        if (created)
            plan_discard(e, p);
        return api_leave(e, rc);
    }
    orca_channel_id old = i->cls->ch;
    if (i->state == ORCA_STATE_WAITING) {
        ix_from_waiting(e, i);
    } else {
        e->nsched--;
        if (i->target)
            i->target->nsched--;
    }
    plan *was = i->plan;
    plan_use(e, p);
    i->plan = p;
    i->cls = p->stages[i->stage].classes[i->step];
    plan_unuse(e, was);
    i->state = 0; /* in no heap, for a moment */
    e->ctot.virtual_holds++;
    orca_event ev;
    ev_ix(e, &ev, ORCA_EV_CHANNEL_CHANGED, i);
    ev.value = old;
    emit(e, &ev);
    if (not_before_ms > e->now) {
        ix_schedule(e, i, not_before_ms, ORCA_SCHED_SLOT);
    } else {
        ix_to_waiting(e, i);
        process_waiting(e, i);
    }
    return api_leave(e, jrn_callback(e, id, ch, not_before_ms));
}

int orca_interaction_unreached(orca_engine *e, uint64_t id)
{
    ix *i;
    int rc;
    if ((rc = get_in_state(e, id, ST(ORCA_STATE_BUSY), &i)) || (rc = api_enter(e)))
        return rc;
    queue *q = i->cls->q;
    uint32_t attempts = q->callback_attempts ? q->callback_attempts : 3;
    uint32_t retry = q->callback_retry_ms ? q->callback_retry_ms : 300000;
    if (i->xfer_to) { /* a pending consult leg carries on alone */
        i->xfer_to->xfer_from = NULL;
        i->xfer_to = NULL;
    }
    i->tries++;
    e->ctot.unreached++;
    orca_event ev;
    ev_ix(e, &ev, ORCA_EV_UNREACHED, i);
    ev.value = i->tries;
    emit(e, &ev);
    agent *a = detach(e, i);
    a->idle_since = e->now;
    if (i->tries < attempts) {
        ix_schedule(e, i, e->now + retry, ORCA_SCHED_RETRY);
    } else {
        i->state = 0;
        ix_forget(e, i, ORCA_OUTCOME_UNREACHED);
    }
    route_agent(e, a);
    return api_leave(e, jrn_id(e, J_UNREACHED, id));
}

/* After a replay: offers that were pending when the journal stopped go
 * back to WAITING (event REJECTED, value ORCA_WITHDRAW_RECOVERED; no
 * exclusion: nobody declined), oldest enqueue first, and are routed again.
 * Journaled, so replaying the journal again does the same. */
int jrn_recover_offers(orca_engine *e, uint64_t *n)
{
    ix *chain = NULL;
    uint64_t count = 0;
    U64MAP_FOREACH(&e->ix_map, slot) {
        ix *i = slot->val;
        if (i->state == ORCA_STATE_OFFERED) {
            i->notify_next = chain; /* free while not on the notify list */
            chain = i;
            count++;
        }
    }
    if (n)
        *n = count;
    if (!count)
        return ORCA_OK;
    int rc = api_enter(e);
    if (rc)
        return rc;
    while (chain) { /* oldest enqueue first: pick the smallest seq */
        ix **best = &chain;
        for (ix **p = &chain; *p; p = &(*p)->notify_next)
            if ((*p)->seq < (*best)->seq)
                best = p;
        ix *i = *best;
        *best = i->notify_next;
        i->notify_next = NULL;
        orca_event ev;
        ev_ix(e, &ev, ORCA_EV_REJECTED, i);
        ev.value = ORCA_WITHDRAW_RECOVERED;
        emit(e, &ev);
        agent *a = detach(e, i);
        ix_to_waiting(e, i);
        agent_refresh(e, a);
        process_waiting(e, i);
        route_agent(e, a);
    }
    return api_leave(e, jrn_id(e, J_RECOVER, 0));
}
