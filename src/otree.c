/* otree.c: intrusive id treap; see otree.h. */
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
