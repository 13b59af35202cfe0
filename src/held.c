/*
 * held.c: what the router reads of work held for one agent (targets.c
 * holds and releases it): may this agent take this held work now, and
 * which of its held work is the best it can take.
 */
#include "orca_int.h"

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
