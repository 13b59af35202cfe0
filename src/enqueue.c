/*
 * enqueue.c: work coming into queues: enqueue, and the calls that start a new
 * leg of the same contact (transfer, bot escalation) or move it in time or
 * channel (callback slots, virtual hold, unreached callbacks, offers
 * recovered after a restart). Each new leg is placed (opening hours, a
 * slot), checked (room in the queue), has everything it needs reserved,
 * and only then starts: so these calls fail without a trace.
 */
#include "orca_int.h"


/* A new leg (enqueue, transfer or escalation) with everything it needs
 * reserved, so that starting it cannot fail. */
typedef struct leg {
    const orca_interaction_def *def;
    uint64_t conversation; /* the leg's (an escalation keeps the bot's) */
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

/* The checks of a new leg's definition (enqueue, transfer, escalation). */
int enqueue_def_check(const orca_engine *e, const orca_interaction_def *def)
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
    uint64_t id = cust_last_agent(e, L->c, L->conversation, L->q->sticky_within_ms);
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

/* When new work would become routable: now, or a later callback slot
 * (not_before_ms less early_ms). Bot work has no slot. */
static uint64_t leg_slot(const orca_engine *e, const orca_interaction_def *def)
{
    if (def->bot || !def->not_before_ms)
        return e->now;
    uint64_t slot = def->not_before_ms > def->early_ms ? def->not_before_ms - def->early_ms : 0;
    return slot > e->now ? slot : e->now;
}

/* Where new work for def->queue goes and from when (opening hours and a
 * callback slot); ORCA_ECLOSED (with its event) if the queue refuses it.
 * The hours are read at the time the work would become routable: a
 * callback booked into a REJECT queue for a slot when it will be open is
 * taken, and one booked for a closed slot is refused now, when the host can
 * still offer the customer another. */
static int leg_where(orca_engine *e, const orca_interaction_def *def, uint64_t customer, leg *L)
{
    bool held;
    memset(L, 0, sizeof(*L));
    L->def = def;
    L->asked = queue_get(e, def->queue);
    uint64_t at = leg_slot(e, def);
    if (hours_route(e, L->asked, at, &L->q, &L->due, &held) != ORCA_OK) {
        emit_closed(e, def, customer);
        return ORCA_ECLOSED;
    }
    if (def->bot)
        L->due = e->now; /* a bot answers at once, open or not */
    if (L->due > e->now)
        L->sched = held ? ORCA_SCHED_CLOSED : ORCA_SCHED_SLOT;
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
        (rc = wait_reserve(e, e->nix + 1, e->nqueues - e->nqueues_removed)) ||
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
                    uint64_t conversation, bool sticky, bool resume, leg *L)
{
    int rc;
    if ((rc = leg_where(e, def, customer, L)))
        return rc;
    L->conversation = conversation;
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
    i->idn.k = i->id;
    if (e->ix_indexed)
        itree_insert(&e->ix_root, &i->idn);
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

/* orca_interaction_enqueue's work, def checked: ORCA_OK, or the error of
 * the leg (ORCA_EFULL and ORCA_ECLOSED left an event: the caller journals
 * them), nothing else changed. */
int ix_enqueue(orca_engine *e, const orca_interaction_def *def)
{
    int rc;
    leg L;
    if ((rc = leg_open(e, def, def->customer, def->conversation, true, true, &L)))
        return rc;
    leg_start(e, &L, def->customer, def->conversation, L.due, 0);
    return ORCA_OK;
}

/* orca_interaction_transfer's work, checked: i is BUSY; as ix_enqueue. */
int ix_transfer(orca_engine *e, ix *i, const orca_interaction_def *to, orca_transfer_mode mode)
{
    leg L;
    int rc;
    /* no sticky routing: the point of a transfer is to move on */
    if ((rc = leg_open(e, to, i->customer, i->conversation, false, false, &L)))
        return rc;
    uint64_t customer = i->customer, conversation = i->conversation, arrival = i->arrival;
    if (mode == ORCA_TRANSFER_BLIND) {
        ix_hand_over(e, i, to->id, ORCA_TRANSFER_BLIND); /* frees the id before the new leg */
        leg_start(e, &L, customer, conversation, arrival, ORCA_ENQ_TRANSFER);
    } else {
        ix *n = leg_start(e, &L, customer, conversation, arrival, ORCA_ENQ_TRANSFER);
        if (ix_get(e, to->id) == n) {
            i->xfer_to = n;
            n->xfer_from = i;
        }
    }
    return ORCA_OK;
}

/* orca_interaction_escalate's work, checked: i is BOT; as ix_enqueue. */
int ix_escalate(orca_engine *e, ix *i, const orca_interaction_def *to)
{
    leg L;
    int rc;
    if ((rc = leg_open(e, to, i->customer, i->conversation, true, false, &L)))
        return rc;
    uint64_t customer = i->customer, conversation = i->conversation;
    orca_event ev;
    ev_ix(e, &ev, ORCA_EV_ESCALATED, i);
    ev.duration_ms = e->now - i->arrival;
    emit(e, &ev);
    e->ctot.escalated++;
    ix_forget(e, i, 0); /* carries on as the new record: not history yet */
    leg_start(e, &L, customer, conversation, L.due, ORCA_ENQ_ESCALATED);
    return ORCA_OK;
}

/* orca_interaction_callback's work, checked: i is WAITING or SCHEDULED.
 * ORCA_OK, or ORCA_ENOMEM with nothing changed. */
int ix_callback(orca_engine *e, ix *i, orca_channel_id ch, uint64_t not_before_ms)
{
    plan *p;
    bool created;
    int rc;
    /* the same path (queue, steps, overflow) on the new channel */
    if ((rc = plan_get(e, i->plan->stages[0].q, ch, i->plan->base, &p, &created)))
        return rc;
    if ((rc = plan_reserve_user(e, p))) {
        if (created)
            plan_discard(e, p);
        return rc;
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
    return ORCA_OK;
}

/* orca_interaction_unreached's work: i is BUSY. */
void ix_unreached(orca_engine *e, ix *i)
{
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
    agent *a = ix_detach(e, i);
    a->idle_since = e->now;
    if (i->tries < attempts) {
        ix_schedule(e, i, e->now + retry, ORCA_SCHED_RETRY);
    } else {
        i->state = 0;
        ix_forget(e, i, ORCA_OUTCOME_UNREACHED);
    }
    route_agent(e, a);
}

/* How many offers are pending (jrn_recover_offers). */
uint64_t offers_pending(const orca_engine *e)
{
    uint64_t count = 0;
    U64MAP_FOREACH(&e->ix_map, slot) {
        const ix *i = slot->val;
        count += i->state == ORCA_STATE_OFFERED;
    }
    return count;
}

/* After a replay (jrn_recover_offers): offers that were pending when the
 * journal stopped go back to WAITING (event REJECTED, value
 * ORCA_WITHDRAW_RECOVERED; no exclusion: nobody declined), oldest enqueue
 * first, and are routed again. */
void offers_recover(orca_engine *e)
{
    ix *chain = NULL;
    U64MAP_FOREACH(&e->ix_map, slot) {
        ix *i = slot->val;
        if (i->state == ORCA_STATE_OFFERED) {
            i->notify_next = chain; /* free while not on the notify list */
            chain = i;
        }
    }
    while (chain) { /* oldest enqueue first */
        ix *i = ix_pop_first(&chain);
        orca_event ev;
        ev_ix(e, &ev, ORCA_EV_REJECTED, i);
        ev.value = ORCA_WITHDRAW_RECOVERED;
        emit(e, &ev);
        agent *a = ix_detach(e, i);
        ix_to_waiting(e, i);
        agent_refresh(e, a);
        process_waiting(e, i);
        route_agent(e, a);
    }
}
