/*
 * otree.h: an intrusive id treap: agents and live interactions in id order.
 *
 * Node priorities are a hash of the key, so the shape (and so the cost) is
 * the same on every run and after a snapshot restore. Nodes live inside
 * the items they index (no allocation): an item's tree operations can
 * never fail. (A queue's waiting work in routing order is in a counted
 * B-tree: btree.h.)
 */
#ifndef ORCA_OTREE_H
#define ORCA_OTREE_H

#include <stdint.h>
#include <stddef.h>

/*
 * An id index keyed by one unique u64, with parent pointers so that
 * removal needs no search: it rotates the node down to a leaf (expected
 * fewer than two rotations) and touches only its neighbours. Interactions
 * enter and leave it on the hot path.
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
