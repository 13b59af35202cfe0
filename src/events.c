/*
 * events.c: listeners, the event record, and host callbacks.
 *
 * Listeners run synchronously at each state change and may not mutate the
 * engine. Channel offer callbacks are deferred: decisions queue the
 * interaction on an intrusive notify list and the outermost public call
 * delivers them once its state is consistent (api.c), so a host may accept
 * or reject from inside the callback. No allocation is needed for either.
 */
#include "orca_int.h"

void ix_free_mem(orca_engine *e, ix *i)
{
    if (i->ex)
        mem_free(e, i->ex, sizeof(excl_list) + i->ex->cap * sizeof(excl));
    mem_free(e, i, sizeof(*i));
}

void offer_fill(const orca_engine *e, const ix *i, orca_offer *o)
{
    memset(o, 0, sizeof(*o));
    o->interaction = i->id;
    o->agent = i->agent ? i->agent->id : 0;
    o->queue = i->cls->q->id;
    o->channel = i->cls->ch;
    o->customer = i->customer;
    o->arrival_ms = i->arrival;
    o->offered_ms = i->state_ms;
    o->expires_ms = i->deadline;
    o->attempt = i->attempts;
    o->interaction_data = i->data;
    o->agent_data = i->agent ? i->agent->data : NULL;
    o->conversation = i->conversation;
    (void)e;
}

void notify_offer(orca_engine *e, ix *i)
{
    i->flags &= (uint8_t)~IXF_NOTIFIED;
    if (e->replaying)
        return; /* replaying a journal: nobody is told (offers pending at
                   the end are recovered as waiting work) */
    if (i->flags & IXF_IN_NOTIFY)
        return;
    i->flags |= IXF_IN_NOTIFY;
    i->notify_next = NULL;
    if (e->notify_tail)
        e->notify_tail->notify_next = i;
    else
        e->notify_head = i;
    e->notify_tail = i;
}

void withdraw_offer(orca_engine *e, ix *i, orca_withdraw_reason why)
{
    if (!(i->flags & IXF_NOTIFIED))
        return; /* never announced: nothing to take back */
    i->flags &= (uint8_t)~IXF_NOTIFIED;
    const channel *ch = &e->channels[i->cls->ch];
    if (!ch->cb.withdraw)
        return;
    orca_offer o;
    offer_fill(e, i, &o);
    e->in_callback++;
    ch->cb.withdraw(ch->data, &o, why);
    e->in_callback--;
}

/* Free an interaction's memory now, or after the notify list lets go. */

void ix_release_mem(orca_engine *e, ix *i)
{
    if (i->flags & IXF_IN_NOTIFY)
        i->flags |= IXF_ZOMBIE;
    else
        ix_free_mem(e, i);
}

void ev_init(orca_engine *e, orca_event *ev, orca_event_type t)
{
    ev->type = t;
    if (!e->nlisteners)
        return; /* nobody will read it: emit() only counts it */
    memset(ev, 0, sizeof(*ev));
    ev->type = t;
    ev->time_ms = e->now;
}

void ev_ix(orca_engine *e, orca_event *ev, orca_event_type t, const ix *i)
{
    ev_init(e, ev, t);
    if (!e->nlisteners)
        return;
    ev->interaction = i->id;
    ev->agent = i->agent ? i->agent->id : 0;
    ev->queue = i->cls->q->id;
    ev->channel = i->cls->ch;
    ev->customer = i->customer;
    ev->priority = i->prio;
    ev->arrival_ms = i->arrival;
    ev->wait_ms = e->now > i->arrival ? e->now - i->arrival : 0; /* scheduled: later */
    ev->conversation = i->conversation;
}

void emit(orca_engine *e, orca_event *ev)
{
    ev->seq = ++e->ev_seq;
    if (!e->nlisteners || e->restoring)
        return; /* (a snapshot being restored: its state is news to nobody) */
    e->in_callback++;
    for (uint32_t k = 0; k < e->nlisteners; k++)
        e->listeners[k].fn(e->listeners[k].data, ev);
    e->in_callback--;
}

int orca_listener_add(orca_engine *e, orca_listener_fn fn, void *data, int *handle)
{
    if (!e || !fn)
        return ORCA_EINVAL;
    if (e->in_callback)
        return ORCA_EBUSY;
    int rc = mem_reserve(e, (void **)&e->listeners, &e->caplisteners,
                         e->nlisteners + 1, sizeof(listener));
    if (rc)
        return rc;
    listener *l = &e->listeners[e->nlisteners++];
    l->fn = fn;
    l->data = data;
    l->handle = ++e->next_handle;
    if (handle)
        *handle = l->handle;
    return ORCA_OK;
}

int orca_listener_remove(orca_engine *e, int handle)
{
    if (!e)
        return ORCA_EINVAL;
    if (e->in_callback)
        return ORCA_EBUSY;
    for (uint32_t k = 0; k < e->nlisteners; k++) {
        if (e->listeners[k].handle == handle) {
            memmove(&e->listeners[k], &e->listeners[k + 1],
                    (e->nlisteners - k - 1) * sizeof(listener));
            e->nlisteners--;
            return ORCA_OK;
        }
    }
    return ORCA_ENOENT;
}
