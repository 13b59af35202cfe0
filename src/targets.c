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

/* Does a serve i's current class (skills, membership, channel)? */
bool target_eligible(const orca_engine *e, const agent *a, const ix *i, uint8_t *rank)
{
    uint8_t tier, pref, r;
    uint16_t score;
    if (!agent_eligible(e, a, i->cls, &tier, &pref, &score, &r))
        return false;
    if (rank)
        *rank = r;
    return true;
}

/* Could a be offered i right now? */
bool target_can_take(const orca_engine *e, const agent *a, const ix *i, uint8_t *rank)
{
    return agent_available(e, a, i->cls->ch) && !ix_excludes(i, a->id, e->now) &&
           target_eligible(e, a, i, rank);
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

/* The best held work a could take now (channel in fit, eligible, not
 * excluded) by (rank, waiting key), or NULL. Walks the held heap best
 * first; a rank-0 find ends the walk (nothing later can beat it). */
/* Could a take held work i now (its channel in fit, not excluded, still
 * serving it)? Its rank for a in *r. */
static bool held_takes(const orca_engine *e, const agent *a, const ix *i, uint32_t fit,
                       uint8_t *r)
{
    return (fit >> i->cls->ch & 1) && !ix_excludes(i, a->id, e->now) &&
           target_eligible(e, a, i, r);
}

ix *held_best(orca_engine *e, agent *a, uint32_t fit, uint64_t *rank)
{
    ix *best = NULL;
    uint64_t brank = 0;
    heap_walk w;
    heap_walk_init(&w, &a->held, e->scratch, e->capscratch);
    for (uint32_t pos; (pos = heap_walk_next(&w)) != NOPOS;) {
        ix *i = a->held.v[pos].item;
        uint8_t r;
        if (!held_takes(e, a, i, fit, &r))
            continue;
        if (!best || r < brank) {
            best = i;
            brank = r;
        }
        if (!brank)
            break;
    }
    if (w.full) { /* scratch exhausted (pathological): a plain scan is exact */
        best = NULL;
        for (uint32_t k = 0; k < a->held.n; k++) {
            ix *i = a->held.v[k].item;
            uint8_t r;
            if (!held_takes(e, a, i, fit, &r))
                continue;
            if (!best || r < brank ||
                (r == brank && heap_less(&a->held, &a->held.v[k], &a->held.v[best->hpos])))
                best = i, brank = r;
        }
    }
    *rank = brank;
    return best;
}
