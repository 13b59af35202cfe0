/*
 * api.c: entering and leaving a public call. The outermost call, once the
 * engine is consistent again, forgets customers idle past their TTL,
 * delivers the deferred offer callbacks (events.c queued them) and
 * compacts the journal when it has grown enough.
 */
#include "orca_int.h"

/* Deliver deferred offer callbacks, oldest first. Callbacks may call back
 * into the engine; anything they cause is appended and delivered here too. */
static void flush(orca_engine *e)
{
    if (e->flushing)
        return;
    e->flushing = true;
    while (e->notify_head) {
        ix *i = e->notify_head;
        e->notify_head = i->notify_next;
        if (!e->notify_head)
            e->notify_tail = NULL;
        i->notify_next = NULL;
        i->flags &= (uint8_t)~IXF_IN_NOTIFY;
        if (i->flags & IXF_ZOMBIE) {
            ix_free_mem(e, i);
            continue;
        }
        if (i->state != ORCA_STATE_OFFERED || (i->flags & IXF_NOTIFIED))
            continue;
        i->flags |= IXF_NOTIFIED;
        const channel *ch = &e->channels[i->cls->ch];
        if (ch->cb.offer) {
            orca_offer o;
            offer_fill(e, i, &o);
            if (i->cust) { /* the customer's story, copied: the callback may
                              change it by calling back in */
                o.nhistory = cust_history_copy(e, i->cust, e->hist_buf,
                                               e->cfg.history_per_customer);
                o.history = o.nhistory ? e->hist_buf : NULL;
                o.open = i->cust->nopen - 1;
            }
            ch->cb.offer(ch->data, &o);
        }
    }
    e->flushing = false;
}

int api_enter(orca_engine *e)
{
    if (e->in_callback)
        return ORCA_EBUSY;
    e->depth++;
    return ORCA_OK;
}

int api_leave(orca_engine *e, int rc)
{
    if (--e->depth == 0) {
        if (e->lru_head && rc == ORCA_OK) /* a failed call changes nothing */
            cust_expire(e);
        flush(e);
        if (e->jrn && rc == ORCA_OK)
            rc = jrn_auto_compact(e);
    }
    return rc;
}
