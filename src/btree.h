/*
 * btree.h: a counted B+-tree (order-statistic B-tree) of (key, value, item)
 * entries, for a queue's waiting work in routing order.
 *
 * Keys are (k1, k2), unique within a tree. Leaves hold up to BT_B entries
 * inline (key, value, item pointer) and are chained in key order; an inner
 * node holds, for each child, its largest key, its entry count and the
 * smallest value under it. So a tree answers "how many keys are below this
 * one" (a position) by one descent summing counts, "the k entries after
 * this key" (a listing page) by one descent and a walk along the leaves,
 * and "the smallest value" (oldest arrival) from the root alone. With 16
 * to 32 entries a node, 100,000 entries are 4 levels deep, and the levels
 * above the leaves stay in cache: an update costs about one cold leaf,
 * where a binary tree paid a miss per level.
 *
 * Nodes come from a bt_pool the caller keeps topped up (bt_need) where an
 * allocation failure can still be reported: inserts and removals never
 * allocate and never fail. A removal finds its entry by key: no pointer
 * back from the item is kept.
 */
#ifndef ORCA_BTREE_H
#define ORCA_BTREE_H

#include <stdint.h>
#include <stddef.h>

#define BT_B 32          /* entries a node holds */
#define BT_MIN (BT_B / 2) /* entries every node but the root keeps */
/* The height the insert and removal fast paths keep a path for: every
 * node but the root is at least half full, so 2^32 entries are at most
 * 8 levels deep (taller trees, which cannot occur, take the slow path). */
#define BT_MAXH 16

typedef struct bt_node bt_node;
struct bt_node {
    uint32_t n;                   /* entries in use */
    uint32_t leaf;
    bt_node *next;                /* leaf: the next leaf in key order;
                                     in the pool: the next spare node */
    uint64_t k1[BT_B], k2[BT_B];  /* leaf: the keys; inner: each child's largest */
    uint64_t v[BT_B];             /* leaf: the values; inner: each child's smallest */
    uint32_t cnt[BT_B];           /* inner: the entries under each child */
    void *p[BT_B];                /* leaf: the items; inner: the children */
};

typedef struct btree {
    bt_node *root;   /* NULL when empty */
    uint32_t n;      /* entries */
    uint32_t height; /* 0 empty, 1 a single leaf */
} btree;

/* Spare nodes. `nodes` counts every node taken from the allocator and not
 * given back: those in trees and the spares. */
typedef struct bt_pool {
    bt_node *free;
    uint32_t nfree, nodes;
} bt_pool;

typedef struct bt_ent {
    uint64_t k1, k2;
    void *item;
} bt_ent;

/* The nodes that can be needed at once by trees holding n entries in all,
 * spread over at most `trees` trees: every node but a root is at least
 * half full, so a tree of m entries has at most 1 + m / (BT_MIN - 1). */
static inline uint32_t bt_need(uint32_t n, uint32_t trees)
{
    uint64_t t = n < trees ? n : trees;
    uint64_t need = t + n / (BT_MIN - 1);
    return need > UINT32_MAX ? UINT32_MAX : (uint32_t)need;
}

/* Insert an entry (its key not in the tree). The pool must hold the
 * nodes bt_need promises (one descent splits at most height + 1). */
void bt_insert(btree *t, bt_pool *pool, uint64_t k1, uint64_t k2, uint64_t v, void *item);
/* Remove the entry with this key (it must be in the tree); emptied nodes
 * go back to the pool. */
void bt_remove(btree *t, bt_pool *pool, uint64_t k1, uint64_t k2);
/* The number of entries with a key below (k1, k2). */
uint32_t bt_rank(const btree *t, uint64_t k1, uint64_t k2);
/* Up to cap entries with a key above (k1, k2), in key order, into out:
 * the number written. O(written + height). */
uint32_t bt_after(const btree *t, uint64_t k1, uint64_t k2, bt_ent *out, uint32_t cap);
/* The smallest value, or UINT64_MAX when empty. */
uint64_t bt_vmin(const btree *t);
/* Is (k1, k2) in the tree, with this item and value? */
int bt_contains(const btree *t, uint64_t k1, uint64_t k2, uint64_t v, const void *item);
/* 0 if keys are in order, nodes filled, counts, largest keys, smallest
 * values and the leaf chain right; the nodes it uses into *nodes. */
int bt_check(const btree *t, uint32_t *nodes);
/* Every node of t back to the pool; t becomes empty. */
void bt_clear(btree *t, bt_pool *pool);

/* Pool: a spare node (the pool must not be empty), and one given back. */
bt_node *bt_pool_take(bt_pool *pool);
void bt_pool_put(bt_pool *pool, bt_node *x);

#endif
