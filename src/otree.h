/*
 * otree.h: an intrusive order-statistic treap.
 *
 * Each node carries its own key (k1, then k2; unique within a tree), the
 * size of its subtree and the minimum of a per-node value `v` over its
 * subtree. So a tree answers "how many keys are below this one" (a
 * position), "the k keys after this one" (a listing page) and "the
 * smallest v" (oldest arrival) in O(log n), O(k + log n) and O(1).
 *
 * Node priorities are a hash of the key, so the shape (and so the cost) is
 * the same on every run and after a snapshot restore. Nodes live inside
 * the items they index (no allocation): an item's tree operations can
 * never fail.
 */
#ifndef ORCA_OTREE_H
#define ORCA_OTREE_H

#include <stdint.h>
#include <stddef.h>

typedef struct onode {
    struct onode *c[2];  /* children: left (smaller keys), right */
    uint64_t k1, k2;     /* the key: set before insert, not changed inside */
    uint64_t v;          /* a value (oldest arrival: the minimum is kept) */
    uint64_t cmin[2];    /* the smallest v in each child's subtree */
    uint32_t cnt[2];     /* the nodes in each child's subtree */
    uint32_t pri;        /* heap priority: hash of the key */
} onode;
/* Each node keeps its children's counts and minimums itself, so a change
 * updates only the nodes on its path: their siblings are never read (one
 * cold cache line per level, not two). */

/* The item holding node n in its member `field`. */
#define ONODE_ITEM(n, type, field) ((type *)(void *)((char *)(n) - offsetof(type, field)))

/* Insert n (its k1, k2 and v set; the key not already in the tree). */
void otree_insert(onode **root, onode *n);
/* Remove n, found by its key (it must be in the tree). */
void otree_remove(onode **root, onode *n);
/* The number of nodes before n (n in the tree, or any node with a key). */
uint32_t otree_rank(const onode *root, const onode *n);
/* Up to cap nodes with a key above (k1, k2), in key order, into out: the
 * number written. O(written + depth). */
uint32_t otree_after(const onode *root, uint64_t k1, uint64_t k2, const onode **out,
                     uint32_t cap);
static inline uint32_t otree_size(const onode *t) { return t ? t->cnt[0] + t->cnt[1] + 1 : 0; }
/* The smallest v in the tree, or UINT64_MAX when empty. */
static inline uint64_t otree_vmin(const onode *t)
{
    if (!t)
        return UINT64_MAX;
    uint64_t m = t->v < t->cmin[0] ? t->v : t->cmin[0];
    return m < t->cmin[1] ? m : t->cmin[1];
}
/* Is n in the tree (found by its key)? */
int otree_contains(const onode *root, const onode *n);
/* 0 if keys are in order, sizes, minimums and priorities right; the node
 * count in *n. For orca_engine_check. */
int otree_check(const onode *root, uint32_t *n);

/*
 * An id index: the same treap without counts, keyed by one unique u64, with
 * parent pointers so that removal needs no search: it rotates the node down
 * to a leaf (expected fewer than two rotations) and touches only its
 * neighbours. Agents and live interactions are listed in id order through
 * it, and interactions enter and leave it on the hot path.
 */
typedef struct inode {
    struct inode *c[2], *p;
    uint64_t k;
    uint32_t pri;
} inode;

#define INODE_ITEM(n, type, field) ((type *)(void *)((char *)(n) - offsetof(type, field)))

/* Insert n (n->k set, not already in the tree). */
void itree_insert(inode **root, inode *n);
void itree_remove(inode **root, inode *n);
/* Up to cap nodes with a key above k, in order: the number written. */
uint32_t itree_after(const inode *root, uint64_t k, const inode **out, uint32_t cap);
/* 0 if keys, parents and priorities are right; the node count in *n. */
int itree_check(const inode *root, uint32_t *n);
/* Is n in the tree? (walks up to the root: O(depth)) */
int itree_contains(const inode *root, const inode *n);

#endif
