/*
 * targets.c: work held for one agent: a host-named agent (soft or hard) or
 * the customer's last agent (sticky routing).
 *
 * Held work waits in its agent's own `held` heap instead of its class's
 * waiting heap, so no other agent can see it and the router's two
 * directions stay as cheap as before: on arrival the engine looks at one
 * agent; on release an agent compares its held heap's best with the best of
 * its classes. The hold ends (the work moves to its class heap, routable by
 * anyone) when its time runs out, or, for a soft hold, when the agent goes
 * OFFLINE, is removed, declines it, or no longer serves it.
 */
#include "orca_int.h"

int target_reserve(orca_engine *e, agent *a)
{
    return mem_reserve(e, (void **)&a->held.v, &a->held.cap, a->ntargeted + 1,
                       sizeof(heap_ent));
}

/* i is new or waiting outside any heap; the caller reserved a's room. */
void target_set(orca_engine *e, ix *i, agent *a, uint64_t until, bool hard)
{
    (void)e;
    i->target = a;
    i->target_until = until;
    i->target_hard = hard;
    a->ntargeted++;
}

void target_clear(orca_engine *e, ix *i)
{
    (void)e;
    if (i->state == ORCA_STATE_SCHEDULED)
        i->target->nsched--;
    i->target->ntargeted--;
    i->target = NULL;
    i->target_until = 0;
    i->target_hard = 0;
}

static void emit_release(orca_engine *e, ix *i, agent *a, uint32_t reason)
{
    orca_event ev;
    ev_ix(e, &ev, ORCA_EV_TARGET_RELEASED, i);
    ev.agent = a->id;
    ev.value = reason;
    emit(e, &ev);
}

/* End i's hold: a WAITING i moves to its class heap (the caller routes it);
 * an OFFERED one just forgets its target. */
void target_release(orca_engine *e, ix *i, uint32_t reason)
{
    agent *a = i->target;
    bool waiting = i->state == ORCA_STATE_WAITING;
    if (waiting)
        ix_from_waiting(e, i);
    target_clear(e, i);
    if (waiting) {
        ix_to_waiting(e, i);
        timer_update(e, i);
    }
    emit_release(e, i, a, reason);
}

/* (waiting key, seq): the order the held heap hands work out. */
static bool held_before(const ix *x, const ix *y)
{
    uint64_t kx = ix_wkey(x), ky = ix_wkey(y);
    return kx < ky || (kx == ky && x->seq < y->seq);
}

/* Sort a chain linked through anext (merge sort: no memory needed). */
static ix *chain_sort(ix *head, bool (*before)(const ix *, const ix *))
{
    if (!head || !head->anext)
        return head;
    ix *slow = head, *fast = head->anext;
    while (fast && fast->anext) {
        slow = slow->anext;
        fast = fast->anext->anext;
    }
    ix *b = slow->anext;
    slow->anext = NULL;
    ix *a = chain_sort(head, before);
    b = chain_sort(b, before);
    ix *out = NULL, **tail = &out;
    while (a && b) {
        ix **pick = before(b, a) ? &b : &a;
        *tail = *pick;
        tail = &(*pick)->anext;
        *pick = (*pick)->anext;
    }
    *tail = a ? a : b;
    return out;
}

/* a's held work matching keep(), chained through anext in held order. */
static ix *held_chain(agent *a, bool all_hard, bool check_eligible, const orca_engine *e)
{
    ix *chain = NULL;
    for (uint32_t k = 0; k < a->held.n; k++) {
        ix *i = a->held.v[k].item;
        bool take = check_eligible ? !i->target_hard && !target_eligible(e, a, i, NULL)
                                   : !i->target_hard || all_hard;
        if (take) {
            i->anext = chain; /* the work list link is free while waiting */
            chain = i;
        }
    }
    return chain_sort(chain, held_before);
}

/* a goes OFFLINE (removed: false) or is being removed. Soft holds end
 * (reason OFFLINE), in held order; on removal, hard-held work is appended,
 * in held order, to the chain *doomed (via anext) for the caller to time
 * out. Returns the released work, chained in the same order, for the
 * caller to route once a's own state is settled. */
ix *target_agent_gone(orca_engine *e, agent *a, bool removed, ix **doomed)
{
    ix *chain = held_chain(a, removed, false, e);
    ix *released = NULL, **rtail = &released;
    while (*doomed)
        doomed = &(*doomed)->anext;
    while (chain) {
        ix *i = chain;
        chain = i->anext;
        i->anext = NULL;
        if (i->target_hard) {
            ix_from_waiting(e, i);
            target_clear(e, i);
            ix_to_waiting(e, i); /* in its class until the caller times it out */
            *doomed = i;
            doomed = &i->anext;
        } else {
            target_release(e, i, ORCA_RELEASE_OFFLINE);
            *rtail = i;
            rtail = &i->anext;
        }
    }
    return released;
}

/* a's skills, limits or memberships changed: soft holds on work a no longer
 * serves end (reason INELIGIBLE), in held order, each then routed. */
void target_recheck(orca_engine *e, agent *a)
{
    ix *chain = held_chain(a, false, true, e);
    while (chain) {
        ix *i = chain;
        chain = i->anext;
        i->anext = NULL;
        target_release(e, i, ORCA_RELEASE_INELIGIBLE);
        route_interaction(e, i);
    }
}
