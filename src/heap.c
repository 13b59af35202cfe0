/* heap.c: indexed 4-ary min-heap; see heap.h. */
#include "heap.h"

void heap_init(heap *h, heap_setpos_fn setpos, heap_tie_fn tie)
{
    h->v = NULL;
    h->n = h->cap = 0;
    h->setpos = setpos;
    h->tie = tie;
}

int heap_less(const heap *h, const heap_ent *a, const heap_ent *b)
{
    if (a->k1 != b->k1)
        return a->k1 < b->k1;
    if (a->k2 != b->k2)
        return a->k2 < b->k2;
    return h->tie ? h->tie(a->item, b->item) < 0 : 0;
}

static void place(heap *h, uint32_t pos, heap_ent ent)
{
    h->v[pos] = ent;
    h->setpos(ent.item, ent.aux, pos);
}

/* 4-ary: half the depth of a binary heap, and a node's children share
 * two cache lines, so a sift touches fewer cold lines. */
#define ARITY 4
#define PARENT(i) (((i) - 1) / ARITY)
#define FIRST_CHILD(i) (ARITY * (i) + 1)

static void sift_up(heap *h, uint32_t pos)
{
    heap_ent ent = h->v[pos];
    while (pos > 0) {
        uint32_t parent = PARENT(pos);
        if (!heap_less(h, &ent, &h->v[parent]))
            break;
        place(h, pos, h->v[parent]);
        pos = parent;
    }
    place(h, pos, ent);
}

static void sift_down(heap *h, uint32_t pos)
{
    heap_ent ent = h->v[pos];
    for (;;) {
        uint32_t l = FIRST_CHILD(pos), best;
        if (l >= h->n)
            break;
        best = l;
        uint32_t end = l + ARITY < h->n ? l + ARITY : h->n;
        for (uint32_t c = l + 1; c < end; c++)
            if (heap_less(h, &h->v[c], &h->v[best]))
                best = c;
        if (!heap_less(h, &h->v[best], &ent))
            break;
        place(h, pos, h->v[best]);
        pos = best;
    }
    place(h, pos, ent);
}

void heap_push(heap *h, uint64_t k1, uint64_t k2, void *item, uint32_t aux)
{
    heap_ent ent = { k1, k2, item, aux };
    h->v[h->n++] = ent;
    sift_up(h, h->n - 1);
}

/* The removal's sift: the entry that fills the hole came from the last
 * leaf, so it nearly always belongs near the bottom again. Move the hole
 * down the path of smallest children to a leaf (three comparisons a level
 * instead of four: the entry is not compared on the way), then let the
 * entry rise from there (usually no step). Never above start: the caller
 * checked it is not less than start's parent. */
static void sift_hole(heap *h, uint32_t pos, heap_ent ent)
{
    uint32_t start = pos;
    for (;;) {
        uint32_t l = FIRST_CHILD(pos), best = l;
        if (l >= h->n)
            break;
        uint32_t end = l + ARITY < h->n ? l + ARITY : h->n;
        for (uint32_t c = l + 1; c < end; c++)
            if (heap_less(h, &h->v[c], &h->v[best]))
                best = c;
        place(h, pos, h->v[best]);
        pos = best;
    }
    while (pos > start) {
        uint32_t parent = PARENT(pos);
        if (!heap_less(h, &ent, &h->v[parent]))
            break;
        place(h, pos, h->v[parent]);
        pos = parent;
    }
    place(h, pos, ent);
}

void heap_remove(heap *h, uint32_t pos)
{
    heap_ent gone = h->v[pos];
    h->n--;
    if (pos != h->n) {
        heap_ent last = h->v[h->n];
        if (pos > 0 && heap_less(h, &last, &h->v[PARENT(pos)])) {
            h->v[pos] = last;
            sift_up(h, pos);
        } else {
            sift_hole(h, pos, last);
        }
    }
    h->setpos(gone.item, gone.aux, UINT32_MAX);
}

void heap_rekey(heap *h, uint32_t pos, uint64_t k1, uint64_t k2)
{
    h->v[pos].k1 = k1;
    h->v[pos].k2 = k2;
    if (pos > 0 && heap_less(h, &h->v[pos], &h->v[PARENT(pos)]))
        sift_up(h, pos);
    else
        sift_down(h, pos);
}

int heap_valid(const heap *h)
{
    for (uint32_t i = 1; i < h->n; i++)
        if (heap_less(h, &h->v[i], &h->v[PARENT(i)]))
            return 0;
    return 1;
}

/* ---- in-order walk ------------------------------------------------------ */

static int fr_less(const heap_walk *w, uint32_t x, uint32_t y)
{
    return heap_less(w->h, &w->h->v[w->fr[x]], &w->h->v[w->fr[y]]);
}

static void fr_push(heap_walk *w, uint32_t pos)
{
    if (w->n == w->cap) {
        w->full = 1;
        return;
    }
    uint32_t p = w->n++;
    w->fr[p] = pos;
    while (p && fr_less(w, p, (p - 1) / 2)) {
        uint32_t t = w->fr[p];
        w->fr[p] = w->fr[(p - 1) / 2];
        w->fr[(p - 1) / 2] = t;
        p = (p - 1) / 2;
    }
}

void heap_walk_init(heap_walk *w, const heap *h, uint32_t *scratch, uint32_t cap)
{
    w->h = h;
    w->fr = scratch;
    w->n = 0;
    w->cap = cap;
    w->full = 0;
    if (h->n)
        fr_push(w, 0);
}

uint32_t heap_walk_next(heap_walk *w)
{
    if (!w->n || w->full)
        return UINT32_MAX;
    uint32_t pos = w->fr[0];
    w->fr[0] = w->fr[--w->n];
    for (uint32_t p = 0;;) {
        uint32_t l = 2 * p + 1, b = p;
        if (l < w->n && fr_less(w, l, b))
            b = l;
        if (l + 1 < w->n && fr_less(w, l + 1, b))
            b = l + 1;
        if (b == p)
            break;
        uint32_t t = w->fr[p];
        w->fr[p] = w->fr[b];
        w->fr[b] = t;
        p = b;
    }
    for (uint32_t c = FIRST_CHILD(pos); c < FIRST_CHILD(pos) + ARITY && c < w->h->n; c++)
        fr_push(w, c);
    return w->full ? UINT32_MAX : pos;
}
