/*
 * heap.h: an indexed 4-ary min-heap of 32-byte entries.
 *
 * Each entry carries its ordering key inline (k1, then k2, then a tie-break
 * callback) so comparisons touch only the heap array, and tells its item
 * where it sits (setpos) so any entry can be removed or re-keyed in
 * O(log n). Growing is separate from pushing: callers reserve room up front
 * so that routing itself never allocates.
 */
#ifndef ORCA_HEAP_H
#define ORCA_HEAP_H

#include <stdint.h>
#include <stddef.h>

typedef struct heap_ent {
    uint64_t k1, k2;
    void *item;
    uint32_t aux;
} heap_ent;

/* Tell item (and aux) its new position; pos == UINT32_MAX: removed. */
typedef void (*heap_setpos_fn)(void *item, uint32_t aux, uint32_t pos);
/* Order two items whose k1 and k2 are equal: < 0 if a goes first. */
typedef int (*heap_tie_fn)(const void *a, const void *b);

typedef struct heap {
    heap_ent *v;
    uint32_t n, cap;
    heap_setpos_fn setpos;
    heap_tie_fn tie;
} heap;

void heap_init(heap *h, heap_setpos_fn setpos, heap_tie_fn tie);
int heap_less(const heap *h, const heap_ent *a, const heap_ent *b);
/* Requires n < cap (see mem_reserve on h->v / h->cap). */
void heap_push(heap *h, uint64_t k1, uint64_t k2, void *item, uint32_t aux);
void heap_remove(heap *h, uint32_t pos);
/* Change the key of the entry at pos and restore order. */
void heap_rekey(heap *h, uint32_t pos, uint64_t k1, uint64_t k2);
/* Entry at pos now has a different aux (its item's bookkeeping moved). */
static inline void heap_set_aux(heap *h, uint32_t pos, uint32_t aux) { h->v[pos].aux = aux; }
static inline heap_ent *heap_top(heap *h) { return h->n ? &h->v[0] : NULL; }
/*
 * Visit a heap's entries in key order without changing it: a best-first
 * walk with a small frontier (positions, itself a binary heap) in caller
 * memory. next() returns positions in order, UINT32_MAX at the end, or when
 * the frontier is full (then `full` is set and the caller falls back to a
 * plain scan). Visiting k entries costs O(k log k).
 */
typedef struct heap_walk {
    const heap *h;
    uint32_t *fr;
    uint32_t n, cap;
    int full;
} heap_walk;

void heap_walk_init(heap_walk *w, const heap *h, uint32_t *scratch, uint32_t cap);
uint32_t heap_walk_next(heap_walk *w);

/* 1 if the heap property holds everywhere (for orca_engine_check). */
int heap_valid(const heap *h);

#endif
