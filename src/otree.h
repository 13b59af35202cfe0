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
    struct onode *l, *r;
    uint64_t k1, k2;   /* the key: set before insert, not changed inside */
    uint64_t v, vmin;  /* a value, and its minimum over the subtree */
    uint32_t size;     /* nodes in this subtree */
    uint32_t pri;      /* heap priority: hash of the key */
} onode;

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
static inline uint32_t otree_size(const onode *root) { return root ? root->size : 0; }
/* The smallest v in the tree, or UINT64_MAX when empty. */
static inline uint64_t otree_vmin(const onode *root) { return root ? root->vmin : UINT64_MAX; }
/* Is n in the tree (found by its key)? */
int otree_contains(const onode *root, const onode *n);
/* 0 if keys are in order, sizes, minimums and priorities right; the node
 * count in *n. For orca_engine_check. */
int otree_check(const onode *root, uint32_t *n);

#endif
