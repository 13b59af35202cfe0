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

/* After t's child on side s changed: its count and minimum. */
static void fix(onode *t, int s)
{
    t->cnt[s] = otree_size(t->c[s]);
    t->cmin[s] = otree_vmin(t->c[s]);
}

/* Split t into keys below n's (*l) and above (*r). */
static void split(onode *t, const onode *n, onode **l, onode **r)
{
    if (!t) {
        *l = *r = NULL;
    } else if (NODE_LESS(t, n)) {
        split(t->c[1], n, &t->c[1], r);
        fix(t, 1);
        *l = t;
    } else {
        split(t->c[0], n, l, &t->c[0]);
        fix(t, 0);
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
        a->c[1] = merge(a->c[1], b);
        fix(a, 1);
        return a;
    }
    b->c[0] = merge(a, b->c[0]);
    fix(b, 0);
    return b;
}

static onode *ins(onode *t, onode *n)
{
    if (!t)
        return n;
    if (n->pri > t->pri) {
        split(t, n, &n->c[0], &n->c[1]);
        fix(n, 0);
        fix(n, 1);
        return n;
    }
    int s = !NODE_LESS(n, t);
    t->c[s] = ins(t->c[s], n);
    fix(t, s);
    return t;
}

static onode *del(onode *t, onode *n)
{
    if (t == n)
        return merge(t->c[0], t->c[1]);
    int s = !NODE_LESS(n, t);
    t->c[s] = del(t->c[s], n);
    fix(t, s);
    return t;
}

void otree_insert(onode **root, onode *n)
{
    n->c[0] = n->c[1] = NULL;
    n->cnt[0] = n->cnt[1] = 0;
    n->cmin[0] = n->cmin[1] = UINT64_MAX;
    n->pri = key_pri(n->k1, n->k2);
    *root = ins(*root, n);
}

void otree_remove(onode **root, onode *n)
{
    *root = del(*root, n);
    n->c[0] = n->c[1] = NULL;
}

uint32_t otree_rank(const onode *t, const onode *n)
{
    uint32_t below = 0;
    while (t) {
        if (NODE_LESS(t, n)) {
            below += 1 + t->cnt[0];
            t = t->c[1];
        } else {
            t = t->c[0];
        }
    }
    return below;
}

int otree_contains(const onode *t, const onode *n)
{
    while (t && t != n)
        t = t->c[!NODE_LESS(n, t)];
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
            t = t->c[1];
            continue;
        }
        after(t->c[0], c);
        if (c->n < c->cap)
            c->out[c->n++] = t;
        t = t->c[1];
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
    if (check(t->c[0], lo, t, t->pri, &nl) || check(t->c[1], t, hi, t->pri, &nr))
        return -1;
    if (t->cnt[0] != nl || t->cnt[1] != nr || t->cmin[0] != otree_vmin(t->c[0]) ||
        t->cmin[1] != otree_vmin(t->c[1]))
        return -1;
    *n = nl + nr + 1;
    return 0;
}

int otree_check(const onode *root, uint32_t *n)
{
    *n = 0;
    return check(root, NULL, NULL, UINT32_MAX, n);
}

/* ---- the id index ---------------------------------------------------- */

/* x takes its parent's place; the parent becomes x's child. */
static void rotate_up(inode **root, inode *x)
{
    inode *p = x->p, *g = p->p;
    int s = p->c[1] == x;
    p->c[s] = x->c[!s];
    if (p->c[s])
        p->c[s]->p = p;
    x->c[!s] = p;
    p->p = x;
    x->p = g;
    if (!g)
        *root = x;
    else
        g->c[g->c[1] == p] = x;
}

void itree_insert(inode **root, inode *n)
{
    n->c[0] = n->c[1] = n->p = NULL;
    n->pri = key_pri(n->k, 0);
    if (!*root) {
        *root = n;
        return;
    }
    inode *t = *root;
    for (;;) {
        int s = n->k > t->k;
        if (!t->c[s]) {
            t->c[s] = n;
            n->p = t;
            break;
        }
        t = t->c[s];
    }
    while (n->p && n->p->pri < n->pri)
        rotate_up(root, n);
}

void itree_remove(inode **root, inode *n)
{
    while (n->c[0] && n->c[1])
        rotate_up(root, n->c[n->c[1]->pri > n->c[0]->pri]);
    inode *ch = n->c[0] ? n->c[0] : n->c[1];
    if (ch)
        ch->p = n->p;
    if (!n->p)
        *root = ch;
    else
        n->p->c[n->p->c[1] == n] = ch;
    n->c[0] = n->c[1] = n->p = NULL;
}

typedef struct iafter_ctx {
    uint64_t k;
    const inode **out;
    uint32_t n, cap;
} iafter_ctx;

static void iafter(const inode *t, iafter_ctx *c)
{
    while (t && c->n < c->cap) {
        if (t->k <= c->k) {
            t = t->c[1];
            continue;
        }
        iafter(t->c[0], c);
        if (c->n < c->cap)
            c->out[c->n++] = t;
        t = t->c[1];
    }
}

uint32_t itree_after(const inode *root, uint64_t k, const inode **out, uint32_t cap)
{
    iafter_ctx c = { k, out, 0, cap };
    iafter(root, &c);
    return c.n;
}

static int icheck(const inode *t, const inode *parent, const uint64_t *lo, const uint64_t *hi,
                  uint32_t *n)
{
    if (!t)
        return 0;
    if (t->p != parent || (lo && t->k <= *lo) || (hi && t->k >= *hi))
        return -1;
    if (t->pri != key_pri(t->k, 0) || (parent && t->pri > parent->pri))
        return -1;
    uint32_t nl = 0, nr = 0;
    if (icheck(t->c[0], t, lo, &t->k, &nl) || icheck(t->c[1], t, &t->k, hi, &nr))
        return -1;
    *n = nl + nr + 1;
    return 0;
}

int itree_check(const inode *root, uint32_t *n)
{
    *n = 0;
    return icheck(root, NULL, NULL, NULL, n);
}

int itree_contains(const inode *root, const inode *n)
{
    while (n->p)
        n = n->p;
    return n == root;
}
