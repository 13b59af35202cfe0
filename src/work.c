/*
 * work.c: an agent's work list and capacity. An offer puts the
 * interaction on its agent (ix_attach: capacity taken, counts of its state
 * up); the end of the offer or of the work takes it off (ix_detach).
 * Shared by the router (the offer) and the domain (accept, end, reject...).
 */
#include "orca_int.h"

static uint64_t sat_add(uint64_t x, uint64_t y)
{
    return x > UINT64_MAX - y ? UINT64_MAX : x + y;
}

/* a's work held so far, in capacity units x ms: what it had before load_t,
 * plus its capacity in use since (constant since load_t: every change of
 * a->used folds first). Only grows, so least-busy keys may stay stale. */
uint64_t agent_load(const orca_engine *e, const agent *a)
{
    uint64_t dt = e->now - a->load_t;
    if (a->used && dt > UINT64_MAX / a->used)
        return UINT64_MAX;
    return sat_add(a->load, dt * a->used);
}

/* Before a->used changes. */
static void load_fold(const orca_engine *e, agent *a)
{
    a->load = agent_load(e, a);
    a->load_t = e->now;
}

void agent_work_remove(agent *a, ix *i)
{
    if (i->aprev)
        i->aprev->anext = i->anext;
    else
        a->work = i->anext;
    if (i->anext)
        i->anext->aprev = i->aprev;
    i->anext = i->aprev = NULL;
}

/* Put i (OFFERED, BUSY or WRAPUP) on agent a: first on a's work list,
 * its capacity taken, the counts of its state up. ix_detach undoes it. */
void ix_attach(orca_engine *e, ix *i, agent *a)
{
    orca_channel_id ch = i->cls->ch;
    i->agent = a;
    i->aprev = NULL;
    i->anext = a->work;
    if (a->work)
        a->work->aprev = i;
    a->work = i;
    load_fold(e, a);
    a->used += e->channels[ch].cost;
    a->used_rose = true; /* a packing key just got better: agent_refresh */
    a->count[ch]++;
    switch (i->state) {
    case ORCA_STATE_OFFERED:
        a->noffered++;
        i->cls->q->offered++;
        e->noffered++;
        break;
    case ORCA_STATE_BUSY:
        a->nbusy++;
        e->nbusy++;
        break;
    case ORCA_STATE_WRAPUP:
        a->nwrap++;
        e->nwrap++;
        break;
    }
}

/* Take i off its agent and give the capacity back. */
agent *ix_detach(orca_engine *e, ix *i)
{
    agent *a = i->agent;
    orca_channel_id ch = i->cls->ch;
    agent_work_remove(a, i);
    load_fold(e, a);
    a->used -= e->channels[ch].cost;
    a->used_fell = true;
    a->count[ch]--;
    switch (i->state) {
    case ORCA_STATE_OFFERED:
        a->noffered--;
        i->cls->q->offered--;
        e->noffered--;
        break;
    case ORCA_STATE_BUSY:
        a->nbusy--;
        e->nbusy--;
        break;
    case ORCA_STATE_WRAPUP:
        a->nwrap--;
        e->nwrap--;
        break;
    }
    i->agent = NULL;
    return a;
}
