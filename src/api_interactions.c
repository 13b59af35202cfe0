/*
 * api_interactions.c: the journaled public calls on one interaction's life
 * (accept, reject, end, wrap-up done, abandon, cancel, priority, survey,
 * disposition): argument checks, entering and leaving the call, the work
 * (interactions.c), the journal record.
 */
#include "orca_int.h"

int orca_offer_accept(orca_engine *e, uint64_t id)
{
    ix *i;
    int rc = ix_lookup(e, id, IXST(ORCA_STATE_OFFERED), &i);
    if (rc || (rc = api_enter(e)))
        return rc;
    ix_accept(e, i);
    return api_leave(e, jrn_id(e, J_ACCEPT, id));
}

int orca_offer_reject(orca_engine *e, uint64_t id)
{
    ix *i;
    int rc = ix_lookup(e, id, IXST(ORCA_STATE_OFFERED), &i);
    if (rc || (rc = api_enter(e)))
        return rc;
    if ((rc = ix_reject(e, i)))
        return api_leave(e, rc);
    return api_leave(e, jrn_id(e, J_REJECT, id));
}

int orca_interaction_end(orca_engine *e, uint64_t id)
{
    ix *i;
    int rc = ix_lookup(e, id, IXST(ORCA_STATE_BUSY) | IXST(ORCA_STATE_BOT), &i);
    if (rc || (rc = api_enter(e)))
        return rc;
    ix_end(e, i);
    return api_leave(e, jrn_id(e, J_END, id));
}

int orca_interaction_wrapup_done(orca_engine *e, uint64_t id)
{
    ix *i;
    int rc = ix_lookup(e, id, IXST(ORCA_STATE_WRAPUP), &i);
    if (rc || (rc = api_enter(e)))
        return rc;
    ix_complete(e, i);
    return api_leave(e, jrn_id(e, J_WRAPUP_DONE, id));
}

static int drop(orca_engine *e, uint64_t id, orca_event_type t, orca_withdraw_reason why)
{
    ix *i;
    int rc = ix_lookup(e, id,
                          IXST(ORCA_STATE_WAITING) | IXST(ORCA_STATE_OFFERED) |
                              IXST(ORCA_STATE_SCHEDULED) | IXST(ORCA_STATE_BOT),
                          &i);
    if (rc || (rc = api_enter(e)))
        return rc;
    ix_drop(e, i, t, why);
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
    int rc = ix_lookup(
        e, id, IXST(ORCA_STATE_WAITING) | IXST(ORCA_STATE_OFFERED) | IXST(ORCA_STATE_SCHEDULED), &i);
    if (rc)
        return rc;
    if (priority > ORCA_PRIORITY_MAX)
        return ORCA_ERANGE;
    if ((rc = api_enter(e)))
        return rc;
    ix_set_priority(e, i, priority);
    return api_leave(e, jrn_id_u32(e, J_PRIORITY, id, priority, 0));
}

int orca_interaction_set_survey(orca_engine *e, uint64_t id, uint32_t csat, int32_t fcr)
{
    ix *i;
    int rc = ix_lookup(e, id,
                          IXST(ORCA_STATE_OFFERED) | IXST(ORCA_STATE_BUSY) | IXST(ORCA_STATE_WRAPUP),
                          &i);
    if (rc)
        return rc;
    if (csat > 5 || fcr < -1 || fcr > 1)
        return ORCA_ERANGE;
    ix_set_survey(i, csat, fcr);
    return jrn_id_u32(e, J_SURVEY, id, csat, (uint32_t)fcr);
}

int orca_interaction_set_disposition(orca_engine *e, uint64_t id, uint32_t code)
{
    ix *i;
    int rc = ix_lookup(e, id,
                          IXST(ORCA_STATE_WAITING) | IXST(ORCA_STATE_OFFERED) | IXST(ORCA_STATE_BUSY) |
                              IXST(ORCA_STATE_WRAPUP) | IXST(ORCA_STATE_SCHEDULED) |
                              IXST(ORCA_STATE_BOT),
                          &i);
    if (rc)
        return rc;
    ix_set_disposition(i, code);
    return jrn_id_u32(e, J_DISPOSITION, id, code, 0);
}
