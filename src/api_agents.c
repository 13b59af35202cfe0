/*
 * api_agents.c: the journaled public calls of agents: argument checks,
 * entering and leaving the call, the work (agents.c), the journal record.
 */
#include "orca_int.h"

int orca_agent_add(orca_engine *e, const orca_agent_def *def)
{
    int rc;
    uint16_t limits[ORCA_MAX_CHANNELS];
    if (!e)
        return ORCA_EINVAL;
    if ((rc = agent_def_check(e, def, limits)))
        return rc;
    if (agent_get(e, def->id))
        return ORCA_EEXIST;
    if (e->nagents >= e->cfg.max_agents)
        return ORCA_ELIMIT;
    if ((rc = api_enter(e)))
        return rc;
    if ((rc = agent_create(e, def, limits)))
        return api_leave(e, rc);
    return api_leave(e, jrn_agent(e, J_AGENT_ADD, def));
}

int orca_agent_update(orca_engine *e, const orca_agent_def *def)
{
    int rc;
    uint16_t limits[ORCA_MAX_CHANNELS];
    if (!e)
        return ORCA_EINVAL;
    if ((rc = agent_def_check(e, def, limits)))
        return rc;
    agent *a = agent_get(e, def->id);
    if (!a)
        return ORCA_ENOENT;
    if ((rc = api_enter(e)))
        return rc;
    if ((rc = agent_update(e, a, def, limits)))
        return api_leave(e, rc);
    return api_leave(e, jrn_agent(e, J_AGENT_UPDATE, def));
}

int orca_agent_remove(orca_engine *e, uint64_t id)
{
    int rc;
    if (!e || !id)
        return ORCA_EINVAL;
    agent *a = agent_get(e, id);
    if (!a)
        return ORCA_ENOENT;
    if (a->nbusy || a->nwrap)
        return ORCA_ESTATE;
    if ((rc = api_enter(e)))
        return rc;
    agent_delete(e, a);
    return api_leave(e, jrn_id(e, J_AGENT_REMOVE, id));
}

int orca_agent_set_presence(orca_engine *e, uint64_t id, orca_presence p, uint32_t reason)
{
    int rc;
    if (!e || !id)
        return ORCA_EINVAL;
    if (p != ORCA_PRESENCE_OFFLINE && p != ORCA_PRESENCE_READY && p != ORCA_PRESENCE_NOT_READY)
        return ORCA_EINVAL;
    agent *a = agent_get(e, id);
    if (!a)
        return ORCA_ENOENT;
    if ((rc = api_enter(e)))
        return rc;
    agent_set_presence(e, a, p, reason);
    return api_leave(e, jrn_id_u32(e, J_PRESENCE, id, (uint32_t)p, reason));
}

int orca_agent_set_queue_rank(orca_engine *e, uint64_t id, orca_queue_id q, uint32_t rank)
{
    int rc;
    if (!e || !id)
        return ORCA_EINVAL;
    agent *a = agent_get(e, id);
    if (!a || !queue_get(e, q))
        return ORCA_ENOENT;
    if (rank > ORCA_RANK_MAX)
        return ORCA_ERANGE;
    if ((rc = api_enter(e)))
        return rc;
    rc = agent_queue_set(e, a, q, -1, 0, (int)rank);
    if (rc == ORCA_OK)
        rc = jrn_id_u32(e, J_RANK, id, q, rank);
    return api_leave(e, rc);
}

/* A replay's ORCA_RESTORE_OFFLINE: every agent OFFLINE at once, journaled
 * as J_OFFLINE_ALL; nothing (and no record) if all already are. */
int jrn_offline_all(orca_engine *e)
{
    int rc;
    if (!agents_online(e))
        return ORCA_OK; /* a second replay of the same file: nothing to do */
    if ((rc = api_enter(e)))
        return rc;
    agent_offline_all(e);
    return api_leave(e, jrn_id(e, J_OFFLINE_ALL, 0));
}
