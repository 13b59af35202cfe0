/*
 * api_channels.c: the public calls that add and change channels and are
 * journaled: argument checks, entering and leaving the call, the journal
 * record. channels.c does the work.
 */
#include "orca_int.h"

int orca_channel_add(orca_engine *e, const orca_channel_def *def, orca_channel_id *out)
{
    int rc;
    if (!e)
        return ORCA_EINVAL;
    if ((rc = api_enter(e)))
        return rc;
    orca_channel_id id;
    if ((rc = channel_add(e, def, &id)))
        return api_leave(e, rc);
    if (out)
        *out = id;
    return api_leave(e, jrn_str(e, J_CHANNEL_ADD, def->name, def->cost, def->wrapup_ms));
}

int orca_channel_set_wrapup(orca_engine *e, orca_channel_id id, uint32_t wrapup_ms)
{
    if (!e)
        return ORCA_EINVAL;
    if (e->in_callback)
        return ORCA_EBUSY;
    if (id >= e->nchannels)
        return ORCA_ENOENT;
    channel_set_wrapup(e, id, wrapup_ms);
    return jrn_id_u32(e, J_CHANNEL_WRAPUP, id, wrapup_ms, 0);
}
