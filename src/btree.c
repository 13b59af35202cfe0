/* btree.c: counted B+-tree; see btree.h. */
#include "btree.h"

#include <string.h>

static inline int key_less(uint64_t a1, uint64_t a2, uint64_t b1, uint64_t b2)
{
    return a1 < b1 || (a1 == b1 && a2 < b2);
}

/* The first slot of x whose key is at least (k1, k2) (x->n if none). */
static uint32_t lower(const bt_node *x, uint64_t k1, uint64_t k2)
{
    uint32_t lo = 0, hi = x->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (key_less(x->k1[mid], x->k2[mid], k1, k2))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The first slot of x whose key is above (k1, k2) (x->n if none). */
static uint32_t upper(const bt_node *x, uint64_t k1, uint64_t k2)
{
    uint32_t lo = 0, hi = x->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (!key_less(k1, k2, x->k1[mid], x->k2[mid]))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- moving entries ---------------------------------------------------- */

/* Copy m entries from src[si..] to dst[di..] (they may overlap). */
static void copy(bt_node *dst, uint32_t di, const bt_node *src, uint32_t si, uint32_t m)
{
    memmove(&dst->k1[di], &src->k1[si], m * sizeof(uint64_t));
    memmove(&dst->k2[di], &src->k2[si], m * sizeof(uint64_t));
    memmove(&dst->v[di], &src->v[si], m * sizeof(uint64_t));
    memmove(&dst->cnt[di], &src->cnt[si], m * sizeof(uint32_t));
    memmove(&dst->p[di], &src->p[si], m * sizeof(void *));
}

/* Open slot i of x (x not full) and fill it. */
static void put(bt_node *x, uint32_t i, uint64_t k1, uint64_t k2, uint64_t v, uint32_t cnt,
                void *p)
{
    copy(x, i + 1, x, i, x->n - i);
    x->k1[i] = k1;
    x->k2[i] = k2;
    x->v[i] = v;
    x->cnt[i] = cnt;
    x->p[i] = p;
    x->n++;
}

static void cut(bt_node *x, uint32_t i)
{
    copy(x, i, x, i + 1, x->n - i - 1);
    x->n--;
}

/* put and cut for a leaf on the fast paths below: a leaf has no counts
 * to move, and an entry at the end (new work arriving last in its
 * priority) moves nothing. */
static void leaf_move(bt_node *x, uint32_t di, uint32_t si, uint32_t m)
{
    if (!m)
        return;
    memmove(&x->k1[di], &x->k1[si], m * sizeof(uint64_t));
    memmove(&x->k2[di], &x->k2[si], m * sizeof(uint64_t));
    memmove(&x->v[di], &x->v[si], m * sizeof(uint64_t));
    memmove(&x->p[di], &x->p[si], m * sizeof(void *));
}

static uint64_t node_vmin(const bt_node *x)
{
    uint64_t m = UINT64_MAX;
    for (uint32_t k = 0; k < x->n; k++)
        m = x->v[k] < m ? x->v[k] : m;
    return m;
}

static uint32_t node_count(const bt_node *x)
{
    if (x->leaf)
        return x->n;
    uint32_t c = 0;
    for (uint32_t k = 0; k < x->n; k++)
        c += x->cnt[k];
    return c;
}

/* Slot i of inner node x describes its child again (after the child
 * changed shape: a split, a merge, a borrowed entry). */
static void refresh(bt_node *x, uint32_t i)
{
    const bt_node *c = x->p[i];
    x->k1[i] = c->k1[c->n - 1];
    x->k2[i] = c->k2[c->n - 1];
    x->v[i] = node_vmin(c);
    x->cnt[i] = node_count(c);
}

/* ---- the pool ---------------------------------------------------------- */

bt_node *bt_pool_take(bt_pool *pool)
{
    bt_node *x = pool->free;
    pool->free = x->next;
    pool->nfree--;
    x->next = NULL;
    x->n = 0;
    return x;
}

void bt_pool_put(bt_pool *pool, bt_node *x)
{
    x->next = pool->free;
    pool->free = x;
    pool->nfree++;
}

/* ---- insert ------------------------------------------------------------ */

/* Split full x: its upper half moves to a new node, returned. */
static bt_node *split(bt_node *x, bt_pool *pool)
{
    bt_node *r = bt_pool_take(pool);
    r->leaf = x->leaf;
    copy(r, 0, x, BT_MIN, BT_B - BT_MIN);
    r->n = BT_B - BT_MIN;
    x->n = BT_MIN;
    if (x->leaf) {
        r->next = x->next;
        x->next = r;
    }
    return r;
}

/* Put an entry at slot i of x, splitting x if full: the new right
 * sibling, or NULL. */
static bt_node *put_split(bt_node *x, bt_pool *pool, uint32_t i, uint64_t k1, uint64_t k2,
                          uint64_t v, uint32_t cnt, void *p)
{
    if (x->n < BT_B) {
        put(x, i, k1, k2, v, cnt, p);
        return NULL;
    }
    bt_node *r = split(x, pool);
    if (i <= BT_MIN)
        put(x, i, k1, k2, v, cnt, p);
    else
        put(r, i - BT_MIN, k1, k2, v, cnt, p);
    return r;
}

/* Insert into x at height h (1: a leaf): x's new right sibling if it split. */
static bt_node *ins(bt_node *x, uint32_t h, bt_pool *pool, uint64_t k1, uint64_t k2,
                    uint64_t v, void *item)
{
    uint32_t i = lower(x, k1, k2);
    if (h == 1)
        return put_split(x, pool, i, k1, k2, v, 1, item);
    if (i == x->n) /* above every key: the last child takes it */
        i--;
    bt_node *r = ins(x->p[i], h - 1, pool, k1, k2, v, item);
    if (!r) { /* the child kept its shape: its summary follows the entry */
        x->cnt[i]++;
        if (v < x->v[i])
            x->v[i] = v;
        if (key_less(x->k1[i], x->k2[i], k1, k2)) {
            x->k1[i] = k1;
            x->k2[i] = k2;
        }
        return NULL;
    }
    refresh(x, i);
    bt_node *rr = put_split(x, pool, i + 1, 0, 0, 0, 0, r);
    /* r's slot may have moved to the new sibling */
    if (rr && i + 1 > BT_MIN)
        refresh(rr, i + 1 - BT_MIN);
    else
        refresh(x, i + 1);
    return rr;
}

/* The common insert, without recursion: the leaf the key goes to has
 * room, so no node changes shape and each inner node on the path only
 * updates its summary of the child (what ins does when r is NULL).
 * 0, with nothing changed, if the leaf is full. */
static int ins_fast(btree *t, uint64_t k1, uint64_t k2, uint64_t v, void *item)
{
    bt_node *path[BT_MAXH];
    uint32_t slot[BT_MAXH], d = 0;
    bt_node *x = t->root;
    while (!x->leaf) {
        uint32_t i = lower(x, k1, k2);
        if (i == x->n) /* above every key: the last child takes it */
            i--;
        path[d] = x;
        slot[d++] = i;
        x = x->p[i];
    }
    if (x->n == BT_B)
        return 0;
    uint32_t i = lower(x, k1, k2);
    leaf_move(x, i + 1, i, x->n - i);
    x->k1[i] = k1;
    x->k2[i] = k2;
    x->v[i] = v;
    x->p[i] = item;
    x->n++;
    while (d--) {
        bt_node *y = path[d];
        uint32_t s = slot[d];
        y->cnt[s]++;
        if (v < y->v[s])
            y->v[s] = v;
        if (key_less(y->k1[s], y->k2[s], k1, k2)) {
            y->k1[s] = k1;
            y->k2[s] = k2;
        }
    }
    return 1;
}

void bt_insert(btree *t, bt_pool *pool, uint64_t k1, uint64_t k2, uint64_t v, void *item)
{
    if (t->root && t->height <= BT_MAXH && ins_fast(t, k1, k2, v, item)) {
        t->n++;
        return;
    }
    if (!t->root) {
        t->root = bt_pool_take(pool);
        t->root->leaf = 1;
        t->height = 1;
    }
    bt_node *r = ins(t->root, t->height, pool, k1, k2, v, item);
    if (r) { /* the root split: a new root above both halves */
        bt_node *nr = bt_pool_take(pool);
        nr->leaf = 0;
        nr->n = 2;
        nr->p[0] = t->root;
        nr->p[1] = r;
        refresh(nr, 0);
        refresh(nr, 1);
        t->root = nr;
        t->height++;
    }
    t->n++;
}

/* ---- remove ------------------------------------------------------------ */

/* Child i of x fell under BT_MIN entries: borrow one from a sibling that
 * has more, else merge with it (together they fit: under 2 * BT_MIN). */
static void rebalance(bt_node *x, uint32_t i, bt_pool *pool)
{
    uint32_t a = i + 1 < x->n ? i : i - 1; /* the pair is slots a, a + 1 */
    bt_node *l = x->p[a], *r = x->p[a + 1];
    /* a borrow evens the pair out rather than moving one entry, so the
     * next removal there need not borrow again */
    if (l->n > BT_MIN) { /* l's last go to r's front */
        uint32_t m = (l->n - r->n) / 2;
        copy(r, m, r, 0, r->n);
        copy(r, 0, l, l->n - m, m);
        r->n += m;
        l->n -= m;
    } else if (r->n > BT_MIN) { /* r's first go to l's end */
        uint32_t m = (r->n - l->n) / 2;
        copy(l, l->n, r, 0, m);
        l->n += m;
        copy(r, 0, r, m, r->n - m);
        r->n -= m;
    } else {
        copy(l, l->n, r, 0, r->n);
        l->n += r->n;
        if (l->leaf)
            l->next = r->next;
        cut(x, a + 1);
        bt_pool_put(pool, r);
        refresh(x, a);
        return;
    }
    refresh(x, a);
    refresh(x, a + 1);
}

/* Remove the key from x at height h; *v gets the removed value. */
static void del(bt_node *x, uint32_t h, bt_pool *pool, uint64_t k1, uint64_t k2, uint64_t *v)
{
    uint32_t i = lower(x, k1, k2);
    if (h == 1) {
        *v = x->v[i];
        cut(x, i);
        return;
    }
    bt_node *c = x->p[i];
    del(c, h - 1, pool, k1, k2, v);
    if (c->n < BT_MIN) {
        rebalance(x, i, pool);
        return;
    }
    x->cnt[i]--;
    if (*v == x->v[i])
        x->v[i] = node_vmin(c);
    if (x->k1[i] == k1 && x->k2[i] == k2) { /* it was the child's largest */
        x->k1[i] = c->k1[c->n - 1];
        x->k2[i] = c->k2[c->n - 1];
    }
}

/* The common removal, without recursion: the leaf keeps at least BT_MIN
 * entries (or, the root, one), so no node changes shape and each inner
 * node on the path only updates its summary of the child, as del does
 * without a rebalance. 0, with nothing changed, otherwise. */
static int del_fast(btree *t, uint64_t k1, uint64_t k2)
{
    bt_node *path[BT_MAXH];
    uint32_t slot[BT_MAXH], d = 0;
    bt_node *x = t->root;
    while (!x->leaf) {
        uint32_t i = lower(x, k1, k2);
        path[d] = x;
        slot[d++] = i;
        x = x->p[i];
    }
    if (x->n <= (d ? BT_MIN : 1))
        return 0;
    uint32_t i = lower(x, k1, k2);
    uint64_t v = x->v[i];
    leaf_move(x, i, i + 1, x->n - i - 1);
    x->n--;
    const bt_node *c = x;
    while (d--) {
        bt_node *y = path[d];
        uint32_t s = slot[d];
        y->cnt[s]--;
        if (v == y->v[s])
            y->v[s] = node_vmin(c);
        if (y->k1[s] == k1 && y->k2[s] == k2) { /* it was the child's largest */
            y->k1[s] = c->k1[c->n - 1];
            y->k2[s] = c->k2[c->n - 1];
        }
        c = y;
    }
    return 1;
}

void bt_remove(btree *t, bt_pool *pool, uint64_t k1, uint64_t k2)
{
    if (t->height <= BT_MAXH && del_fast(t, k1, k2)) {
        t->n--;
        return;
    }
    uint64_t v;
    del(t->root, t->height, pool, k1, k2, &v);
    t->n--;
    bt_node *x = t->root;
    if (!x->n) {
        bt_pool_put(pool, x);
        t->root = NULL;
        t->height = 0;
    } else if (!x->leaf && x->n == 1) { /* a root with one child: drop a level */
        t->root = x->p[0];
        t->height--;
        bt_pool_put(pool, x);
    }
}

static void clear(bt_node *x, bt_pool *pool)
{
    if (!x->leaf)
        for (uint32_t k = 0; k < x->n; k++)
            clear(x->p[k], pool);
    bt_pool_put(pool, x);
}

void bt_clear(btree *t, bt_pool *pool)
{
    if (t->root)
        clear(t->root, pool);
    t->root = NULL;
    t->n = t->height = 0;
}

/* ---- queries ----------------------------------------------------------- */

uint32_t bt_rank(const btree *t, uint64_t k1, uint64_t k2)
{
    uint32_t below = 0;
    const bt_node *x = t->root;
    if (!x)
        return 0;
    while (!x->leaf) {
        uint32_t i = lower(x, k1, k2);
        for (uint32_t k = 0; k < i; k++)
            below += x->cnt[k];
        if (i == x->n)
            return below;
        x = x->p[i];
    }
    return below + lower(x, k1, k2);
}

uint32_t bt_after(const btree *t, uint64_t k1, uint64_t k2, bt_ent *out, uint32_t cap)
{
    const bt_node *x = t->root;
    if (!x || !cap)
        return 0;
    while (!x->leaf) {
        uint32_t i = upper(x, k1, k2);
        if (i == x->n)
            return 0;
        x = x->p[i];
    }
    uint32_t n = 0;
    for (uint32_t i = upper(x, k1, k2); x; x = x->next, i = 0)
        for (; i < x->n; i++) {
            out[n].k1 = x->k1[i];
            out[n].k2 = x->k2[i];
            out[n].item = x->p[i];
            if (++n == cap)
                return n;
        }
    return n;
}

uint64_t bt_vmin(const btree *t)
{
    return t->root ? node_vmin(t->root) : UINT64_MAX;
}

int bt_contains(const btree *t, uint64_t k1, uint64_t k2, uint64_t v, const void *item)
{
    const bt_node *x = t->root;
    if (!x)
        return 0;
    for (;;) {
        uint32_t i = lower(x, k1, k2);
        if (i == x->n)
            return 0;
        if (!x->leaf) {
            x = x->p[i];
            continue;
        }
        return x->k1[i] == k1 && x->k2[i] == k2 && x->v[i] == v && x->p[i] == item;
    }
}

/* ---- check ------------------------------------------------------------- */

typedef struct check_ctx {
    const bt_node *last_leaf;
    uint32_t nodes;
} check_ctx;

/* Checks x at height h, every key above lo (if any); its entries into *n. */
static int check(const bt_node *x, uint32_t h, int root, const bt_node *lo, uint32_t lo_i,
                 check_ctx *c, uint32_t *n)
{
    c->nodes++;
    if (x->leaf != (h == 1) || x->n > BT_B || x->n < (root ? 1 + !x->leaf : BT_MIN))
        return -1;
    for (uint32_t k = 0; k < x->n; k++) {
        const bt_node *pl = k ? x : lo;
        uint32_t pi = k ? k - 1 : lo_i;
        if (pl && !key_less(pl->k1[pi], pl->k2[pi], x->k1[k], x->k2[k]))
            return -1;
    }
    if (x->leaf) {
        if (c->last_leaf && c->last_leaf->next != x)
            return -1;
        c->last_leaf = x;
        *n = x->n;
        return 0;
    }
    *n = 0;
    for (uint32_t k = 0; k < x->n; k++) {
        const bt_node *ch = x->p[k];
        uint32_t m;
        if (check(ch, h - 1, 0, k ? x : lo, k ? k - 1 : lo_i, c, &m))
            return -1;
        if (x->cnt[k] != m || x->v[k] != node_vmin(ch) || x->k1[k] != ch->k1[ch->n - 1] ||
            x->k2[k] != ch->k2[ch->n - 1])
            return -1;
        *n += m;
    }
    return 0;
}

int bt_check(const btree *t, uint32_t *nodes)
{
    *nodes = 0;
    if (!t->root)
        return t->n || t->height ? -1 : 0;
    check_ctx c = { NULL, 0 };
    uint32_t n;
    if (check(t->root, t->height, 1, NULL, 0, &c, &n) || n != t->n || c.last_leaf->next)
        return -1;
    *nodes = c.nodes;
    return 0;
}
