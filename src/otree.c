/* otree.c: intrusive order-statistic treap; see otree.h. */
#include "otree.h"

static uint32_t key_pri(uint64_t k1, uint64_t k2)
{
    uint64_t x = k1 ^ (k2 * 0x9e3779b97f4a7c15ull);
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return (uint32_t)x;
}

static int key_less(uint64_t a1, uint64_t a2, uint64_t b1, uint64_t b2)
{
    return a1 < b1 || (a1 == b1 && a2 < b2);
}

/* Node order: the key, then (for keys that should never tie, but so a
 * tie cannot lose a node) the address. */
static int node_less(const onode *a, const onode *b)
{
    if (a->k1 != b->k1 || a->k2 != b->k2)
        return key_less(a->k1, a->k2, b->k1, b->k2);
    return a < b;
}
#define NODE_LESS(a, b) node_less(a, b)

/* Recompute t's size and minimum from its children. */
static void pull(onode *t)
{
    uint64_t m = t->v;
    uint32_t s = 1;
    if (t->l) {
        s += t->l->size;
        if (t->l->vmin < m)
            m = t->l->vmin;
    }
    if (t->r) {
        s += t->r->size;
        if (t->r->vmin < m)
            m = t->r->vmin;
    }
    t->size = s;
    t->vmin = m;
}

/* Split t into keys below n's (*l) and above (*r). */
static void split(onode *t, const onode *n, onode **l, onode **r)
{
    if (!t) {
        *l = *r = NULL;
    } else if (NODE_LESS(t, n)) {
        split(t->r, n, &t->r, r);
        pull(t);
        *l = t;
    } else {
        split(t->l, n, l, &t->l);
        pull(t);
        *r = t;
    }
}

static onode *merge(onode *a, onode *b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    if (a->pri > b->pri) {
        a->r = merge(a->r, b);
        pull(a);
        return a;
    }
    b->l = merge(a, b->l);
    pull(b);
    return b;
}

static onode *ins(onode *t, onode *n)
{
    if (!t)
        return n;
    if (n->pri > t->pri) {
        split(t, n, &n->l, &n->r);
        pull(n);
        return n;
    }
    if (NODE_LESS(n, t))
        t->l = ins(t->l, n);
    else
        t->r = ins(t->r, n);
    pull(t);
    return t;
}

static onode *del(onode *t, onode *n)
{
    if (t == n)
        return merge(t->l, t->r);
    if (NODE_LESS(n, t))
        t->l = del(t->l, n);
    else
        t->r = del(t->r, n);
    pull(t);
    return t;
}

void otree_insert(onode **root, onode *n)
{
    n->l = n->r = NULL;
    n->pri = key_pri(n->k1, n->k2);
    n->size = 1;
    n->vmin = n->v;
    *root = ins(*root, n);
}

void otree_remove(onode **root, onode *n)
{
    *root = del(*root, n);
    n->l = n->r = NULL;
}

uint32_t otree_rank(const onode *t, const onode *n)
{
    uint32_t below = 0;
    while (t) {
        if (NODE_LESS(t, n)) {
            below += 1 + otree_size(t->l);
            t = t->r;
        } else {
            t = t->l;
        }
    }
    return below;
}

int otree_contains(const onode *t, const onode *n)
{
    while (t && t != n)
        t = NODE_LESS(n, t) ? t->l : t->r;
    return t == n;
}

typedef struct after_ctx {
    uint64_t k1, k2;
    const onode **out;
    uint32_t n, cap;
} after_ctx;

/* In-order walk skipping every subtree entirely at or below the key: it
 * descends one path to the first key above, then visits only what it
 * writes (and their ancestors). */
static void after(const onode *t, after_ctx *c)
{
    while (t && c->n < c->cap) {
        if (!key_less(c->k1, c->k2, t->k1, t->k2)) { /* t <= key: right only */
            t = t->r;
            continue;
        }
        after(t->l, c);
        if (c->n < c->cap)
            c->out[c->n++] = t;
        t = t->r;
    }
}

uint32_t otree_after(const onode *root, uint64_t k1, uint64_t k2, const onode **out,
                     uint32_t cap)
{
    after_ctx c = { k1, k2, out, 0, cap };
    after(root, &c);
    return c.n;
}

/* Checks t's subtree, whose keys must lie strictly between lo and hi
 * (NULL: unbounded) and whose priorities are at most pmax. */
static int check(const onode *t, const onode *lo, const onode *hi, uint32_t pmax,
                 uint32_t *n)
{
    if (!t)
        return 0;
    if ((lo && !NODE_LESS(lo, t)) || (hi && !NODE_LESS(t, hi)))
        return -1;
    if (t->pri != key_pri(t->k1, t->k2) || t->pri > pmax)
        return -1;
    uint32_t nl = 0, nr = 0;
    if (check(t->l, lo, t, t->pri, &nl) || check(t->r, t, hi, t->pri, &nr))
        return -1;
    uint64_t m = t->v;
    if (t->l && t->l->vmin < m)
        m = t->l->vmin;
    if (t->r && t->r->vmin < m)
        m = t->r->vmin;
    if (t->size != nl + nr + 1 || t->vmin != m)
        return -1;
    *n = t->size;
    return 0;
}

int otree_check(const onode *root, uint32_t *n)
{
    *n = 0;
    return check(root, NULL, NULL, UINT32_MAX, n);
}
