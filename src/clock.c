/*
 * clock.c: the host moves the engine's clock (orca_engine_advance) and
 * asks when it next must (orca_engine_next_deadline). Every deadline passed
 * fires, in (deadline, seq) order, the handler of its interaction's state:
 * the timer heap itself (timers.c) only keeps the order.
 */
#include "orca_int.h"

int orca_engine_advance(orca_engine *e, uint64_t now_ms)
{
    int rc;
    if (!e)
        return ORCA_EINVAL;
    if (now_ms < e->now || now_ms >= ORCA_TIME_MAX)
        return ORCA_ERANGE;
    if ((rc = api_enter(e)))
        return rc;
    for (;;) {
        heap_ent *top = heap_top(&e->timers);
        if (!top || top->k1 > now_ms)
            break;
        ix *i = top->item;
        e->now = top->k1;
        switch (i->state) {
        case ORCA_STATE_WAITING: process_waiting(e, i); break;
        case ORCA_STATE_OFFERED: ix_offer_timeout(e, i); break;
        case ORCA_STATE_WRAPUP: ix_complete(e, i); break;
        case ORCA_STATE_SCHEDULED: process_due(e, i); break;
        default: heap_remove(&e->timers, i->tpos); break;
        }
    }
    if (e->diverged) { /* an offer timeout absorbed an allocation failure:
                          the journal cannot follow from here */
        e->diverged = false;
        jrn_diverged(e);
    }
    e->now = now_ms;
    cust_expire(e); /* customers idle past the TTL go as the clock passes */
    return api_leave(e, jrn_id(e, J_ADVANCE, now_ms));
}

int orca_engine_next_deadline(const orca_engine *e, uint64_t *deadline_ms)
{
    if (!e || !deadline_ms)
        return ORCA_EINVAL;
    if (!e->timers.n)
        return ORCA_ENOENT;
    *deadline_ms = e->timers.v[0].k1;
    return ORCA_OK;
}
