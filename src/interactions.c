/*
 * interactions.c: the life of one piece of work:
 * WAITING -> OFFERED -> BUSY -> WRAPUP -> done, plus reject and offer
 * timeout (back to WAITING, keeping its place), abandon, cancel, max wait.
 */
#include "orca_int.h"

ix *ix_get(const orca_engine *e, uint64_t id)
{
    return u64map_get(&e->ix_map, id);
}

void orca_interaction_def_init(orca_interaction_def *def)
{
    if (def)
        memset(def, 0, sizeof(*def));
}

/* Take the smallest seq off a chain linked through notify_next (a few
 * interactions gathered by a scan, to go through in enqueue order). */
ix *ix_pop_first(ix **chain)
{
    ix **best = chain;
    for (ix **p = chain; *p; p = &(*p)->notify_next)
        if ((*p)->seq < (*best)->seq)
            best = p;
    ix *i = *best;
    *best = i->notify_next;
    i->notify_next = NULL;
    return i;
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
        /* the one allocation failure the engine absorbs: what follows now
         * depends on memory, which a journal cannot replay (the API layer
         * stops the journal before it records the call: clock.c) */
        e->diverged = true;
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
    if (e->ix_indexed)
        itree_remove(&e->ix_root, &i->idn);
    e->nix--;
    wait_trim(e);
    plan *p = i->plan;
    i->state = 0;
    ix_release_mem(e, i);
    plan_unuse(e, p);
}

void emit_ix(orca_engine *e, orca_event_type t, const ix *i)
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
    /* work called back (virtual hold) before the slot it was scheduled for
     * keeps that later queued time: nothing is due before it */
    bool early = e->now < i->queued;
    uint64_t waited = early ? 0 : e->now - i->queued;
    if (!early && q->max_wait_ms && waited >= q->max_wait_ms) {
        emit_ix(e, ORCA_EV_TIMED_OUT, i);
        ix_forget(e, i, ORCA_OUTCOME_TIMED_OUT);
        return;
    }
    uint32_t next = i->plan->stages[i->stage].next_stage;
    if (!early && q->overflow_after_ms && waited >= q->overflow_after_ms && next != NOPOS) {
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
    while (!early && i->step < q->nsteps && waited >= q->steps[i->step].after_ms) {
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
    agent *a = ix_detach(e, i);
    a->idle_since = e->now;
    ix_forget(e, i, i->xfer_done ? ORCA_OUTCOME_TRANSFERRED : ORCA_OUTCOME_COMPLETED);
    route_agent(e, a); /* ends by refreshing a's heap entries */
}

/* i was offered and comes back: capacity freed, back to WAITING. */
static agent *back_to_waiting(orca_engine *e, ix *i, bool exclude)
{
    agent *a = ix_detach(e, i);
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
    if (e->cfg.no_answer_limit != ORCA_NO_ANSWER_NEVER && a->missed >= e->cfg.no_answer_limit &&
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
/* Look up an interaction for a mutating call that needs a given state. */
int ix_lookup(orca_engine *e, uint64_t id, unsigned states, ix **out)
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


/* `from` is handed to the leg `to`: event TRANSFERRED, then it completes
 * at once (no wrap-up) with outcome TRANSFERRED. */
void ix_hand_over(orca_engine *e, ix *from, uint64_t to, orca_transfer_mode mode)
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

/* orca_offer_accept's work: i is OFFERED. */
void ix_accept(orca_engine *e, ix *i)
{
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
    ev.sla_met = ev.wait_ms <= q->sla_ms; /* (wait_ms: 0 before a later arrival) */
    emit(e, &ev);
    if (i->xfer_from) { /* a consult leg was answered: the first agent lets go */
        ix *o = i->xfer_from;
        o->xfer_to = NULL;
        i->xfer_from = NULL;
        ix_hand_over(e, o, i->id, ORCA_TRANSFER_CONSULT);
    }
}

/* orca_offer_reject's work: i is OFFERED. ORCA_OK, or ORCA_ENOMEM with
 * nothing changed. */
int ix_reject(orca_engine *e, ix *i)
{
    int rc;
    if ((rc = excl_reserve(e, i)))
        return rc;
    emit_ix(e, ORCA_EV_REJECTED, i);
    i->flags &= (uint8_t)~IXF_NOTIFIED;
    agent *a = back_to_waiting(e, i, true);
    process_waiting(e, i);
    route_agent(e, a);
    return ORCA_OK;
}

/* orca_interaction_end's work: i is BUSY or BOT. */
void ix_end(orca_engine *e, ix *i)
{
    if (i->state == ORCA_STATE_BOT) { /* the bot resolved it: contained */
        orca_event ev;
        ev_ix(e, &ev, ORCA_EV_CONTAINED, i);
        ev.duration_ms = e->now - i->arrival;
        emit(e, &ev);
        e->ctot.contained++;
        ix_forget(e, i, ORCA_OUTCOME_CONTAINED);
        return;
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
}

/* orca_interaction_abandon (t ABANDONED) and _cancel (CANCELLED)'s work:
 * i is WAITING, OFFERED, SCHEDULED or BOT. */
void ix_drop(orca_engine *e, ix *i, orca_event_type t, orca_withdraw_reason why)
{
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
        a = ix_detach(e, i);
        i->state = 0;
    }
    ix_forget(e, i, t == ORCA_EV_ABANDONED ? ORCA_OUTCOME_ABANDONED : ORCA_OUTCOME_CANCELLED);
    if (a)
        route_agent(e, a);
}

/* orca_interaction_set_priority's work, priority checked. */
void ix_set_priority(orca_engine *e, ix *i, uint32_t priority)
{
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
}

int orca_interaction_info_get(const orca_engine *e, uint64_t id, orca_interaction_info *out)
{
    if (!e || !out || !id)
        return ORCA_EINVAL;
    const ix *i = ix_get(e, id);
    if (!i)
        return ORCA_ENOENT;
    ix_info_fill(i, out);
    return ORCA_OK;
}

void ix_info_fill(const ix *i, orca_interaction_info *out)
{
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
}

/* orca_interaction_set_survey's and _set_disposition's work, checked. */
void ix_set_survey(ix *i, uint32_t csat, int32_t fcr)
{
    i->csat = (uint8_t)csat;
    i->fcr = (int8_t)fcr;
}

void ix_set_disposition(ix *i, uint32_t code)
{
    i->disposition = code;
}
