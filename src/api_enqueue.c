/*
 * api_enqueue.c: the journaled public calls that start a leg or move one
 * in time or channel (enqueue, transfer, escalate, callback, unreached)
 * and the replay's jrn_recover_offers: argument checks, entering and
 * leaving the call, the work (enqueue.c), the journal record.
 */
#include "orca_int.h"

/* A leg refused for a full or closed queue still left a trace (an event,
 * a counter), so the journal keeps the call, with the answer it got. */
static int refused(orca_engine *e, uint8_t op, uint64_t from, const orca_interaction_def *d,
                   uint32_t mode, int rc)
{
    if (rc != ORCA_EFULL && rc != ORCA_ECLOSED)
        return rc;
    int jr = jrn_ix(e, op, from, d, mode, rc);
    return jr ? jr : rc;
}

int orca_interaction_enqueue(orca_engine *e, const orca_interaction_def *def)
{
    int rc;
    if (!e || !def)
        return ORCA_EINVAL;
    if ((rc = enqueue_def_check(e, def)))
        return rc;
    if (ix_get(e, def->id))
        return ORCA_EEXIST;
    if (e->nix >= e->cfg.max_interactions)
        return ORCA_ELIMIT;
    if ((rc = api_enter(e)))
        return rc;
    if ((rc = ix_enqueue(e, def)))
        return api_leave(e, refused(e, J_ENQUEUE, 0, def, 0, rc));
    return api_leave(e, jrn_ix(e, J_ENQUEUE, 0, def, 0, ORCA_OK));
}

int orca_interaction_transfer(orca_engine *e, uint64_t from, const orca_interaction_def *to,
                              orca_transfer_mode mode)
{
    ix *i;
    int rc;
    if (!e || !to || (mode != ORCA_TRANSFER_BLIND && mode != ORCA_TRANSFER_CONSULT))
        return ORCA_EINVAL;
    if ((rc = ix_lookup(e, from, IXST(ORCA_STATE_BUSY), &i)))
        return rc;
    if (i->xfer_to)
        return ORCA_ESTATE;
    if ((rc = enqueue_def_check(e, to)))
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
    if ((rc = ix_transfer(e, i, to, mode)))
        return api_leave(e, refused(e, J_TRANSFER, from, to, (uint32_t)mode, rc));
    return api_leave(e, jrn_ix(e, J_TRANSFER, from, to, (uint32_t)mode, ORCA_OK));
}

int orca_interaction_escalate(orca_engine *e, uint64_t id, const orca_interaction_def *to)
{
    ix *i;
    int rc;
    if (!e || !to)
        return ORCA_EINVAL;
    if ((rc = ix_lookup(e, id, IXST(ORCA_STATE_BOT), &i)))
        return rc;
    if ((rc = enqueue_def_check(e, to)))
        return rc;
    if (to->id != id || to->bot || (to->customer && to->customer != i->customer) ||
        (to->conversation && to->conversation != i->conversation))
        return ORCA_EINVAL;
    if ((rc = api_enter(e)))
        return rc;
    if ((rc = ix_escalate(e, i, to)))
        return api_leave(e, refused(e, J_ESCALATE, id, to, 0, rc));
    return api_leave(e, jrn_ix(e, J_ESCALATE, id, to, 0, ORCA_OK));
}

int orca_interaction_callback(orca_engine *e, uint64_t id, orca_channel_id ch,
                              uint64_t not_before_ms)
{
    ix *i;
    int rc;
    if (!e)
        return ORCA_EINVAL;
    if ((rc = ix_lookup(e, id, IXST(ORCA_STATE_WAITING) | IXST(ORCA_STATE_SCHEDULED), &i)))
        return rc;
    if (ch >= e->nchannels)
        return ORCA_ENOENT;
    if (not_before_ms && (not_before_ms < e->now || not_before_ms >= ORCA_TIME_MAX))
        return ORCA_ERANGE;
    if ((rc = api_enter(e)))
        return rc;
    if ((rc = ix_callback(e, i, ch, not_before_ms)))
        return api_leave(e, rc);
    return api_leave(e, jrn_callback(e, id, ch, not_before_ms));
}

int orca_interaction_unreached(orca_engine *e, uint64_t id)
{
    ix *i;
    int rc;
    if ((rc = ix_lookup(e, id, IXST(ORCA_STATE_BUSY), &i)) || (rc = api_enter(e)))
        return rc;
    ix_unreached(e, i);
    return api_leave(e, jrn_id(e, J_UNREACHED, id));
}

/* After a replay: offers pending when the journal stopped are routed
 * again (offers_recover). Journaled, so replaying the journal again does
 * the same. */
int jrn_recover_offers(orca_engine *e, uint64_t *n)
{
    uint64_t count = offers_pending(e);
    if (n)
        *n = count;
    if (!count)
        return ORCA_OK;
    int rc = api_enter(e);
    if (rc)
        return rc;
    offers_recover(e);
    return api_leave(e, jrn_id(e, J_RECOVER, 0));
}
