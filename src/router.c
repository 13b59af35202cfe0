/*
 * router.c: the two routing directions and the offer itself.
 *
 * Arrival: the interaction's class keeps the agents who could take it now
 * in a heap ordered by the queue's strategy: the answer is the heap's top.
 * Release: the agent's links name every class it is eligible for; each
 * class's waiting heap has its best work on top, so the agent compares one
 * key per class. Exclusions (an agent who just declined) are rare and are
 * stepped over by a best-first walk of the heap.
 */
#include "orca_int.h"

#define PRIMARY_MAX ((1ull << 48) - 1)

bool agent_fits(const orca_engine *e, const agent *a, orca_channel_id ch)
{
    return a->used + e->channels[ch].cost <= a->capacity && a->count[ch] < a->limit[ch];
}

/* Bit ch set: a could take one more interaction of channel ch. */
uint32_t agent_fitmask(const orca_engine *e, const agent *a)
{
    uint32_t m = 0;
    for (uint32_t ch = 0; ch < e->nchannels; ch++)
        if (agent_fits(e, a, ch))
            m |= 1u << ch;
    return m;
}

void class_top_update(orca_engine *e, rclass *c)
{
    ctop *t = &e->ctop[c->idx];
    if (c->waiting.n) {
        t->k1 = c->waiting.v[0].k1;
        t->k2 = c->waiting.v[0].k2;
    } else {
        t->k1 = t->k2 = UINT64_MAX;
    }
}

uint64_t agent_key1(const orca_engine *e, const agent *a, const link *l)
{
    uint64_t primary = 0;
    switch ((orca_strategy)l->strategy) {
    case ORCA_STRATEGY_LONGEST_IDLE: primary = 0; break;
    case ORCA_STRATEGY_LEAST_OCCUPIED: primary = a->used; break;
    case ORCA_STRATEGY_MOST_PROFICIENT: primary = 0xFFFFu - l->score; break;
    case ORCA_STRATEGY_ROUND_ROBIN: primary = a->last_offer; break;
    case ORCA_STRATEGY_FEWEST_HANDLED: primary = a->handled; break;
    case ORCA_STRATEGY_WEIGHTED_RANDOM: primary = a->wr_key; break;
    case ORCA_STRATEGY_TOP_DOWN: primary = 0; break; /* tier, then id: key2 */
    case ORCA_STRATEGY_PACKING: primary = 0xFFFFFFFFu - a->used; break;
    case ORCA_STRATEGY_LEAST_BUSY: primary = agent_load(e, a); break;
    }
    if (primary > PRIMARY_MAX)
        primary = PRIMARY_MAX;
    return (uint64_t)l->tier << 56 | (uint64_t)(255u - l->pref) << 48 | primary;
}

/* The second key: longest idle first, except top-down, whose order is the
 * configured one (tier, then agent id: the heap's tie) and never changes. */
uint64_t agent_key2(const agent *a, const link *l)
{
    return l->strategy == ORCA_STRATEGY_TOP_DOWN ? 0 : a->idle_since;
}

/* Make sure that if a could take link l's class's work right now, it is in
 * that class's agent heap under its current key. An agent who can't is
 * left where it is: the entry is stale, and is skipped (and dropped when it
 * reaches the top) by route_interaction. Agents flip between "room for one
 * more chat" and "full" all day; not touching every heap each time is what
 * keeps a release cheap. The link caches its key, so an unchanged agent
 * costs no heap access either. */
static void refresh_link(const orca_engine *e, agent *a, uint32_t li, uint32_t fit)
{
    link *l = &a->links[li];
    if (l->hpos == NOPOS && !(fit >> l->ch & 1))
        return;
    uint64_t k1 = agent_key1(e, a, l), k2 = agent_key2(a, l);
    if (l->hpos == NOPOS) {
        l->hk1 = k1;
        l->hk2 = k2;
        heap_push(&l->cls->agents, k1, k2, a, li);
    } else if (k1 < l->hk1 || (k1 == l->hk1 && k2 < l->hk2)) {
        /* better than recorded: it must move up now (even if a can't take
         * this channel right now, so the stored key stays a lower bound) */
        l->hk1 = k1;
        l->hk2 = k2;
        heap_rekey(&l->cls->agents, l->hpos, k1, k2);
    }
    /* Worse than recorded (idle_since, handled, last offer, random key all
     * grow): leave it. A stored key is then a lower bound of the true one,
     * and route_interaction corrects an entry only if it reaches the top.
     * Completing work moves an agent to the back of every queue it serves;
     * doing that lazily is what keeps a release from touching every heap. */
}

/* (a1, a2, a3) < (b1, b2, b3), left to right: every key the router
 * compares, agents (k1, k2, id) and work (rank, k1, k2), has this shape. */
static inline bool key_less(uint64_t a1, uint64_t a2, uint64_t a3, uint64_t b1, uint64_t b2,
                            uint64_t b3)
{
    return a1 < b1 || (a1 == b1 && (a2 < b2 || (a2 == b2 && a3 < b3)));
}

static uint32_t ready_fitmask(const orca_engine *e, const agent *a)
{
    return a->presence == ORCA_PRESENCE_READY ? agent_fitmask(e, a) : 0;
}

void agent_refresh_link(orca_engine *e, agent *a, uint32_t li)
{
    refresh_link(e, a, li, ready_fitmask(e, a));
}

/* Bring a's heap entries up to date after a change. Entries only need work
 * when a link of a channel a now fits is out of its heap, or when a key may
 * have fallen (least-occupied agents whose capacity was freed, packing
 * agents who took more): every other key only grows, and a grown key may
 * stay stale (see refresh_link). So most refreshes are a mask test. */
void agent_refresh(orca_engine *e, agent *a)
{
    uint32_t fit = ready_fitmask(e, a);
    bool fell = (a->used_fell && a->nlo) || (a->used_rose && a->npack);
    a->used_fell = a->used_rose = false;
    if (!(fit & a->out_mask) && !fell)
        return;
    uint32_t out = 0;
    for (uint32_t li = 0; li < a->nlinks; li++) {
        refresh_link(e, a, li, fit);
        if (a->links[li].hpos == NOPOS)
            out |= 1u << a->links[li].ch;
    }
    a->out_mask = out;
}

bool ix_excludes(const ix *i, uint64_t agent_id, uint64_t now)
{
    if (!i->ex)
        return false;
    for (uint32_t k = 0; k < i->ex->n; k++)
        if (i->ex->v[k].agent == agent_id && i->ex->v[k].until > now)
            return true;
    return false;
}

uint64_t ix_wkey(const ix *i)
{
    return (uint64_t)(255u - i->eff) << 48 | i->arrival;
}

/* Waiting work sits in its class's heap, or, while held for an agent
 * (targets.c), in that agent's held heap: the same key either way. */
void ix_to_waiting(orca_engine *e, ix *i)
{
    i->state = ORCA_STATE_WAITING;
    i->agent = NULL;
    i->wkey = ix_wkey(i);
    if (i->target) {
        heap_push(&i->target->held, i->wkey, i->seq, i, 0);
    } else {
        heap_push(&i->cls->waiting, i->wkey, i->seq, i, 0);
        if (i->hpos == 0)
            class_top_update(e, i->cls);
    }
    bt_insert(&i->cls->q->wtree, &e->wpool, i->wkey, i->seq, i->arrival, i);
    i->cls->q->waiting++;
    e->nwaiting++;
}

void ix_from_waiting(orca_engine *e, ix *i)
{
    if (i->target) {
        heap_remove(&i->target->held, i->hpos);
    } else {
        bool top = i->hpos == 0;
        heap_remove(&i->cls->waiting, i->hpos);
        if (top)
            class_top_update(e, i->cls);
    }
    bt_remove(&i->cls->q->wtree, &e->wpool, i->wkey, i->seq);
    i->cls->q->waiting--;
    e->nwaiting--;
}

/* i's waiting key changed (priority, aging): its heap and its place in
 * the queue's routing order follow. */
void ix_rekey(orca_engine *e, ix *i)
{
    uint64_t k = ix_wkey(i);
    if (i->wkey != k) {
        btree *t = &i->cls->q->wtree;
        bt_remove(t, &e->wpool, i->wkey, i->seq);
        i->wkey = k;
        bt_insert(t, &e->wpool, k, i->seq, i->arrival, i);
    }
    if (i->target) {
        heap_rekey(&i->target->held, i->hpos, k, i->seq);
    } else {
        heap_rekey(&i->cls->waiting, i->hpos, k, i->seq);
        class_top_update(e, i->cls);
    }
}

/* The routing-order trees take their nodes from e->wpool, topped up here
 * where a failure can still be reported (enqueue, queue add, restore):
 * bt_need bounds what the trees can use with every live interaction
 * waiting, so ix_to_waiting never allocates. */
int wait_reserve(orca_engine *e, uint32_t nix, uint32_t nqueues)
{
    uint32_t need = bt_need(nix, nqueues);
    while (e->wpool.nodes < need) {
        bt_node *x = mem_alloc(e, sizeof(*x));
        if (!x)
            return ORCA_ENOMEM;
        bt_pool_put(&e->wpool, x);
        e->wpool.nodes++;
    }
    return ORCA_OK;
}

/* Spares far beyond the need go back (an eighth of slack, so work coming
 * and going does not allocate and free each time). */
void wait_trim(orca_engine *e)
{
    uint32_t need = bt_need(e->nix, e->nqueues - e->nqueues_removed);
    uint32_t keep = need + need / 8 + 8;
    while (e->wpool.nodes > keep && e->wpool.nfree) {
        mem_free(e, bt_pool_take(&e->wpool), sizeof(bt_node));
        e->wpool.nodes--;
    }
}

void wait_free(orca_engine *e)
{
    for (uint32_t k = 0; k < e->nqueues; k++)
        if (e->queues[k])
            bt_clear(&e->queues[k]->wtree, &e->wpool);
    while (e->wpool.nfree)
        mem_free(e, bt_pool_take(&e->wpool), sizeof(bt_node));
    e->wpool.nodes = 0;
}

/* Could agent a take work of channel ch right now? */
bool agent_available(const orca_engine *e, const agent *a, orca_channel_id ch)
{
    return a->presence == ORCA_PRESENCE_READY && agent_fits(e, a, ch);
}

/* Best-first walk of heap h: the position of the best entry that ok()
 * accepts, or NOPOS. Visits only entries better than the answer, so its
 * cost is the number of entries rejected (exclusions: a handful). */
typedef bool (*accept_fn)(const orca_engine *e, const heap_ent *ent, const void *ctx);

static uint32_t heap_first(orca_engine *e, heap *h, accept_fn ok, const void *ctx)
{
    if (!h->n)
        return NOPOS;
    if (ok(e, &h->v[0], ctx))
        return 0;
    heap_walk w;
    heap_walk_init(&w, h, e->scratch, e->capscratch);
    for (uint32_t pos; (pos = heap_walk_next(&w)) != NOPOS;)
        if (ok(e, &h->v[pos], ctx))
            return pos;
    if (!w.full)
        return NOPOS;
    /* scratch exhausted (pathological): a plain scan is still exact */
    uint32_t best = NOPOS;
    for (uint32_t k = 0; k < h->n; k++)
        if (ok(e, &h->v[k], ctx) && (best == NOPOS || heap_less(h, &h->v[k], &h->v[best])))
            best = k;
    return best;
}

static bool ix_ok_for(const orca_engine *e, const heap_ent *ent, const void *ctx)
{
    return !ix_excludes(ent->item, ((const agent *)ctx)->id, e->now);
}

static void offer(orca_engine *e, ix *i, agent *a)
{
    ix_from_waiting(e, i);
    i->state = ORCA_STATE_OFFERED;
    i->attempts++;
    i->state_ms = e->now;
    ix_attach(e, i, a);
    a->last_offer = ++e->offers;
    e->wr_clock = a->wr_key;
    a->wr_key += rng_draw(&e->rng, a->weight);
    timer_update(e, i);
    /* the caller refreshes a's heap entries once it is done with a */
    orca_event ev;
    ev_ix(e, &ev, ORCA_EV_OFFERED, i);
    ev.value = i->attempts;
    emit(e, &ev);
    notify_offer(e, i);
}

/* The best agent for i below the (settled) top, when the top declined i.
 * Stored keys are lower bounds of true keys, so walk best-first by stored
 * key, keep the best true key seen, and stop once the frontier's stored key
 * passes it: nothing below can beat it. */
/* Keep entry pos of h as the answer if its agent could take i and its true
 * key (k1, k2, id) beats the best so far. */
typedef struct agent_pick {
    uint32_t pos;
    uint64_t k1, k2, id;
} agent_pick;

static void consider_agent(const orca_engine *e, const heap *h, const ix *i, uint32_t pos,
                           agent_pick *best)
{
    const agent *a = h->v[pos].item;
    if (!agent_available(e, a, i->cls->ch) || ix_excludes(i, a->id, e->now))
        return;
    const link *l = &a->links[h->v[pos].aux];
    uint64_t k1 = agent_key1(e, a, l), k2 = agent_key2(a, l);
    if (best->pos == NOPOS || key_less(k1, k2, a->id, best->k1, best->k2, best->id))
        *best = (agent_pick){ pos, k1, k2, a->id };
}

static uint32_t best_agent_walk(orca_engine *e, heap *h, const ix *i)
{
    agent_pick best = { NOPOS, 0, 0, 0 };
    heap_walk w;
    heap_walk_init(&w, h, e->scratch, e->capscratch);
    for (uint32_t pos; (pos = heap_walk_next(&w)) != NOPOS;) {
        const heap_ent *ent = &h->v[pos];
        if (best.pos != NOPOS &&
            !key_less(ent->k1, ent->k2, ((const agent *)ent->item)->id, best.k1, best.k2,
                      best.id))
            return best.pos; /* nothing from here on can beat it */
        consider_agent(e, h, i, pos, &best);
    }
    if (!w.full)
        return best.pos;
    /* scratch exhausted (pathological): a plain scan is still exact */
    best.pos = NOPOS;
    for (uint32_t k = 0; k < h->n; k++)
        consider_agent(e, h, i, k, &best);
    return best.pos;
}

/* The arrival direction: the best agent who could take i now is the top of
 * its class's agent heap, once the top is settled: entries of agents who
 * filled up are dropped, and an entry whose key has grown since it was
 * stored is re-keyed, until the top's stored key is its true key. */
void route_interaction(orca_engine *e, ix *i)
{
    if (i->target) { /* held: its agent or nobody */
        agent *a = i->target;
        if (target_can_take(e, a, i, NULL)) {
            e->ctot.target_offers++;
            offer(e, i, a);
            agent_refresh(e, a);
        }
        return;
    }
    heap *h = &i->cls->agents;
    while (h->n) {
        heap_ent *top = &h->v[0];
        agent *a = top->item;
        if (!agent_available(e, a, i->cls->ch)) {
            heap_remove(h, 0);
            continue;
        }
        link *l = &a->links[top->aux];
        uint64_t k1 = agent_key1(e, a, l), k2 = agent_key2(a, l);
        if (k1 != top->k1 || k2 != top->k2) {
            l->hk1 = k1;
            l->hk2 = k2;
            heap_rekey(h, 0, k1, k2);
            continue;
        }
        break;
    }
    if (!h->n)
        return;
    uint32_t pos = 0;
    if (ix_excludes(i, ((agent *)h->v[0].item)->id, e->now) &&
        (pos = best_agent_walk(e, h, i)) == NOPOS)
        return;
    agent *a = h->v[pos].item;
    offer(e, i, a);
    agent_refresh(e, a);
}

/* The exact release-direction choice, walking past exclusions: used when
 * the fast scan's pick turns out to have declined a. */
static ix *best_work_slow(orca_engine *e, agent *a, uint64_t *rank)
{
    ix *best = NULL;
    uint64_t brank = 0, bk1 = 0, bk2 = 0;
    for (uint32_t li = 0; li < a->nlinks; li++) {
        const link *l = &a->links[li];
        rclass *c = l->cls;
        if (!c->waiting.n || !agent_fits(e, a, c->ch))
            continue;
        const heap_ent *top = &c->waiting.v[0];
        if (best && key_less(brank, bk1, bk2, l->rank, top->k1, top->k2))
            continue; /* this class's best can't win: skip the walk */
        uint32_t pos = heap_first(e, &c->waiting, ix_ok_for, a);
        if (pos == NOPOS)
            continue;
        const heap_ent *ent = &c->waiting.v[pos];
        if (!best || key_less(l->rank, ent->k1, ent->k2, brank, bk1, bk2)) {
            best = ent->item;
            brank = l->rank;
            bk1 = ent->k1;
            bk2 = ent->k2;
        }
    }
    *rank = brank;
    return best;
}

/* The release direction: the best waiting work across every class a is
 * linked to. One pass over a's scan array reading each class's top key from
 * the dense e->ctop array; exclusions only matter if the winner declined a. */
void route_agent(orca_engine *e, agent *a)
{
    while (a->presence == ORCA_PRESENCE_READY) {
        uint32_t fit = agent_fitmask(e, a);
        if (!fit || !e->nwaiting)
            break;
        const ctop *tops = e->ctop;
        const uint64_t *scan = a->scan;
        uint32_t bcls = NOPOS;
        uint64_t brank = UINT64_MAX, bk1 = UINT64_MAX, bk2 = UINT64_MAX;
        for (uint32_t li = 0, n = a->nlinks; li < n; li++) {
            uint64_t s = scan[li];
            if (!(fit >> (s >> 32 & 0xFF) & 1))
                continue;
            uint64_t rank = s >> 40;
            const ctop *t = &tops[(uint32_t)s];
            if (key_less(rank, t->k1, t->k2, brank, bk1, bk2)) {
                if (t->k1 == UINT64_MAX)
                    continue; /* empty class */
                bcls = (uint32_t)s;
                brank = rank;
                bk1 = t->k1;
                bk2 = t->k2;
            }
        }
        ix *best = NULL;
        if (bcls != NOPOS) {
            best = e->classes[bcls]->waiting.v[0].item;
            if (best->ex && ix_excludes(best, a->id, e->now))
                best = best_work_slow(e, a, &brank);
        }
        if (a->held.n) { /* work held for a competes on the same key */
            uint64_t hrank;
            ix *h = held_best(e, a, fit, &hrank);
            if (h && (!best || key_less(hrank, ix_wkey(h), h->seq, brank, ix_wkey(best),
                                        best->seq))) {
                best = h;
                e->ctot.target_offers++;
            }
        }
        if (!best)
            break;
        offer(e, best, a);
    }
    agent_refresh(e, a);
}
