/*
 * api_queues.c: the journaled public calls of queues and their opening
 * hours: argument checks, entering and leaving the call, the work
 * (queues.c, hours.c), the journal record.
 */
#include "orca_int.h"

int orca_queue_add(orca_engine *e, const orca_queue_def *def, orca_queue_id *out)
{
    int rc;
    if (!e)
        return ORCA_EINVAL;
    if ((rc = queue_def_check(e, def)))
        return rc;
    if ((rc = api_enter(e)))
        return rc;
    if ((rc = queue_add(e, def, out)))
        return api_leave(e, rc);
    return api_leave(e, jrn_queue(e, def));
}

int orca_queue_update(orca_engine *e, orca_queue_id id, const orca_queue_def *def)
{
    int rc;
    if (!e || !def)
        return ORCA_EINVAL;
    queue *q = queue_get(e, id);
    if (!q)
        return ORCA_ENOENT;
    if (!queue_fixed_alike(q, def))
        return ORCA_EINVAL;
    if ((rc = api_enter(e)))
        return rc;
    queue_update(q, def);
    return api_leave(e, jrn_queue_update(e, id, def));
}

int orca_queue_member_add(orca_engine *e, orca_queue_id qid, uint64_t agent_id, uint32_t tier)
{
    int rc;
    if (!e || !agent_id)
        return ORCA_EINVAL;
    queue *q = queue_get(e, qid);
    agent *a = agent_get(e, agent_id);
    if (!q || !a)
        return ORCA_ENOENT;
    if (tier > ORCA_TIER_MAX)
        return ORCA_ERANGE;
    if (queue_is_member(a, qid, NULL))
        return ORCA_EEXIST;
    if ((rc = api_enter(e)))
        return rc;
    if ((rc = queue_member_add(e, q, a, tier)))
        return api_leave(e, rc);
    return api_leave(e, jrn_id_u32(e, J_MEMBER_ADD, agent_id, qid, tier));
}

int orca_queue_member_remove(orca_engine *e, orca_queue_id qid, uint64_t agent_id)
{
    int rc;
    if (!e || !agent_id)
        return ORCA_EINVAL;
    queue *q = queue_get(e, qid);
    agent *a = agent_get(e, agent_id);
    if (!q || !a || !queue_is_member(a, qid, NULL))
        return ORCA_ENOENT;
    if ((rc = api_enter(e)))
        return rc;
    if ((rc = queue_member_remove(e, q, a)))
        return api_leave(e, rc);
    return api_leave(e, jrn_id_u32(e, J_MEMBER_REMOVE, agent_id, qid, 0));
}

int orca_queue_remove(orca_engine *e, orca_queue_id qid)
{
    int rc;
    if (!e)
        return ORCA_EINVAL;
    queue *q = queue_get(e, qid);
    if (!q)
        return ORCA_ENOENT;
    if (queue_in_use(e, q))
        return ORCA_ESTATE;
    if ((rc = api_enter(e)))
        return rc;
    queue_remove(e, q);
    return api_leave(e, jrn_id_u32(e, J_QUEUE_REMOVE, 0, qid, 0));
}

int orca_queue_set_hours(orca_engine *e, orca_queue_id qid, const orca_hours *hours)
{
    int rc;
    if (!e)
        return ORCA_EINVAL;
    if (e->in_callback)
        return ORCA_EBUSY;
    queue *q = queue_get(e, qid);
    if (!q)
        return ORCA_ENOENT;
    if ((rc = hours_set(e, q, hours)))
        return rc;
    return jrn_hours(e, qid, hours);
}
