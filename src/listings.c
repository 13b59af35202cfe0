/*
 * listings.c: what a supervisor screen or an IVR reads: agents and live
 * interactions in id order, an agent's work, a queue's waiting work in
 * routing order, and one interaction's place in its queue.
 *
 * Everything is read from the order-statistic trees (btree.h, otree.h) the engine
 * keeps up to date as it runs, so a page of k entries costs O(k + log n)
 * and a position O(log n), whatever the size. A cursor is the key of the
 * last entry returned: the next page starts strictly after it, so pages
 * stay right while the engine changes between them.
 */
#include "orca_int.h"

#define CHUNK 64 /* nodes fetched from a tree per descent */

/* Page through a queue's routing-order tree after *cur, calling fill for
 * each item (into out[n], elements of size sz); *cur ends at the last key
 * given. */
static uint32_t page(const btree *t, orca_cursor *cur, void *out, size_t sz, uint32_t cap,
                     void (*fill)(const void *, void *))
{
    bt_ent buf[CHUNK];
    uint32_t n = 0;
    while (n < cap) {
        uint32_t want = cap - n < CHUNK ? cap - n : CHUNK;
        uint32_t got = bt_after(t, cur->k1, cur->k2, buf, want);
        for (uint32_t k = 0; k < got; k++)
            fill(buf[k].item, (char *)out + (size_t)(n + k) * sz);
        n += got;
        if (got) {
            cur->k1 = buf[got - 1].k1;
            cur->k2 = buf[got - 1].k2;
        }
        if (got < want)
            break;
    }
    return n;
}

/* The same over an id index; the cursor's k1 is the last id. */
static uint32_t id_page(const inode *root, orca_cursor *cur, void *out, size_t sz,
                        uint32_t cap, void (*fill)(const inode *, void *))
{
    const inode *buf[CHUNK];
    uint32_t n = 0;
    while (n < cap) {
        uint32_t want = cap - n < CHUNK ? cap - n : CHUNK;
        uint32_t got = itree_after(root, cur->k1, buf, want);
        for (uint32_t k = 0; k < got; k++)
            fill(buf[k], (char *)out + (size_t)(n + k) * sz);
        n += got;
        if (got) {
            cur->k1 = buf[got - 1]->k;
            cur->k2 = 0;
        }
        if (got < want)
            break;
    }
    return n;
}

static int page_args(const orca_engine *e, const orca_cursor *cur, const void *out,
                     uint32_t cap, const uint32_t *n)
{
    return !e || !cur || !n || (cap && !out) ? ORCA_EINVAL : ORCA_OK;
}

static void fill_agent(const inode *nd, void *out)
{
    agent_info_fill(INODE_ITEM(nd, agent, idn), out);
}

static void fill_ix(const inode *nd, void *out)
{
    ix_info_fill(INODE_ITEM(nd, ix, idn), out);
}

static void fill_waiting(const void *item, void *out)
{
    ix_info_fill(item, out);
}

int orca_agent_list(const orca_engine *e, orca_cursor *cursor, orca_agent_info *out,
                    uint32_t cap, uint32_t *n)
{
    int rc = page_args(e, cursor, out, cap, n);
    if (rc)
        return rc;
    *n = id_page(e->agent_root, cursor, out, sizeof(*out), cap, fill_agent);
    for (uint32_t k = 0; k < *n; k++) /* (it needs the clock) */
        out[k].busy_units_ms = agent_load(e, agent_get(e, out[k].id));
    return ORCA_OK;
}

/* The id index of live interactions costs every enqueue and every end a
 * treap update, which hosts that never list them should not pay: it is
 * built here on the first call (O(n log n), no allocation: the nodes are
 * in the interactions) and kept up to date from then on. The engine is
 * the caller's, not a const object: only the index, which no other call
 * reads, changes. */
static void ix_index_build(const orca_engine *ce)
{
    orca_engine *e = (orca_engine *)(uintptr_t)ce;
    U64MAP_FOREACH(&e->ix_map, slot) {
        ix *i = slot->val;
        itree_insert(&e->ix_root, &i->idn);
    }
    e->ix_indexed = true;
}

int orca_interaction_list(const orca_engine *e, orca_cursor *cursor,
                          orca_interaction_info *out, uint32_t cap, uint32_t *n)
{
    int rc = page_args(e, cursor, out, cap, n);
    if (rc)
        return rc;
    if (!e->ix_indexed)
        ix_index_build(e);
    *n = id_page(e->ix_root, cursor, out, sizeof(*out), cap, fill_ix);
    return ORCA_OK;
}

int orca_queue_waiting_list(const orca_engine *e, orca_queue_id qid, orca_cursor *cursor,
                            orca_interaction_info *out, uint32_t cap, uint32_t *n)
{
    int rc = page_args(e, cursor, out, cap, n);
    if (rc)
        return rc;
    const queue *q = queue_get(e, qid);
    if (!q)
        return ORCA_ENOENT;
    *n = page(&q->wtree, cursor, out, sizeof(*out), cap, fill_waiting);
    return ORCA_OK;
}

/* An agent's work is bounded by its capacity: each entry is found by one
 * pass over it (the smallest id after the previous one). */
int orca_agent_work_list(const orca_engine *e, uint64_t agent_id, orca_cursor *cursor,
                         orca_interaction_info *out, uint32_t cap, uint32_t *n)
{
    int rc = page_args(e, cursor, out, cap, n);
    if (rc)
        return rc;
    if (!agent_id)
        return ORCA_EINVAL;
    const agent *a = agent_get(e, agent_id);
    if (!a)
        return ORCA_ENOENT;
    uint32_t got = 0;
    uint64_t last = cursor->k1;
    while (got < cap) {
        const ix *best = NULL;
        for (const ix *i = a->work; i; i = i->anext)
            if (i->id > last && (!best || i->id < best->id))
                best = i;
        if (!best)
            break;
        ix_info_fill(best, &out[got++]);
        last = best->id;
    }
    cursor->k1 = last;
    cursor->k2 = 0;
    *n = got;
    return ORCA_OK;
}

int orca_interaction_position(const orca_engine *e, uint64_t id, uint32_t *ahead,
                              uint32_t *waiting)
{
    if (!e || !id || !ahead)
        return ORCA_EINVAL;
    const ix *i = ix_get(e, id);
    if (!i)
        return ORCA_ENOENT;
    if (i->state != ORCA_STATE_WAITING)
        return ORCA_ESTATE;
    const queue *q = i->cls->q;
    *ahead = bt_rank(&q->wtree, i->wkey, i->seq);
    if (waiting)
        *waiting = q->waiting;
    return ORCA_OK;
}
