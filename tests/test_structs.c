/*
 * test_structs.c: the engine's internal data structures against plain
 * references, on many random operations: the indexed 4-ary heap (and its
 * in-order walk) against a sorted scan, the u64 hash map against an array,
 * the order-statistic treap (ranks, pages after a key, minimum value) and
 * the id treap against plain scans.
 * These are the pieces every routing decision stands on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "orca_int.h"

typedef struct item {
    uint64_t k1, k2, id;
    uint32_t pos;
    int live;
} item;

static void item_setpos(void *p, uint32_t aux, uint32_t pos)
{
    (void)aux;
    ((item *)p)->pos = pos;
}

static int item_tie(const void *a, const void *b)
{
    uint64_t x = ((const item *)a)->id, y = ((const item *)b)->id;
    return x < y ? -1 : x > y;
}

static uint64_t rnd(uint64_t *s)
{
    return rng_next(s);
}

/* the smallest live item by (k1, k2, id), by a plain scan */
static item *scan_min(item *v, size_t n)
{
    item *best = NULL;
    for (size_t k = 0; k < n; k++) {
        item *it = &v[k];
        if (!it->live)
            continue;
        if (!best || it->k1 < best->k1 || (it->k1 == best->k1 && it->k2 < best->k2) ||
            (it->k1 == best->k1 && it->k2 == best->k2 && it->id < best->id))
            best = it;
    }
    return best;
}

static void test_heap_random(void **state)
{
    (void)state;
    enum { N = 600 };
    item *v = calloc(N, sizeof(item));
    heap h;
    heap_init(&h, item_setpos, item_tie);
    h.v = calloc(N, sizeof(heap_ent));
    h.cap = N;
    uint64_t s = 42;
    for (int round = 0; round < 20000; round++) {
        item *it = &v[rnd(&s) % N];
        uint64_t op = rnd(&s) % 4;
        /* small key ranges so ties (and the id tie-break) are common */
        uint64_t k1 = rnd(&s) % 8, k2 = rnd(&s) % 8;
        if (!it->live) {
            it->k1 = k1;
            it->k2 = k2;
            it->id = (uint64_t)(it - v);
            it->live = 1;
            heap_push(&h, k1, k2, it, 0);
        } else if (op == 0) {
            heap_remove(&h, it->pos);
            assert_int_equal(it->pos, UINT32_MAX);
            it->live = 0;
        } else if (op == 1) {
            it->k1 = k1;
            it->k2 = k2;
            heap_rekey(&h, it->pos, k1, k2);
        } else if (op == 2 && h.n) {
            item *top = h.v[0].item;
            assert_ptr_equal(top, scan_min(v, N));
            heap_remove(&h, 0);
            top->live = 0;
        }
        if (round % 97 == 0) {
            assert_true(heap_valid(&h));
            for (uint32_t k = 0; k < h.n; k++)
                assert_int_equal(((item *)h.v[k].item)->pos, k);
        }
    }
    /* the walk visits every entry in key order */
    uint32_t scratch[N];
    heap_walk w;
    heap_walk_init(&w, &h, scratch, N);
    const heap_ent *prev = NULL;
    uint32_t seen = 0;
    for (uint32_t pos; (pos = heap_walk_next(&w)) != UINT32_MAX; seen++) {
        if (prev)
            assert_false(heap_less(&h, &h.v[pos], prev));
        prev = &h.v[pos];
    }
    assert_false(w.full);
    assert_int_equal(seen, h.n);
    /* with too small a frontier it says so instead of lying */
    if (h.n > 64) {
        heap_walk_init(&w, &h, scratch, 2);
        while (heap_walk_next(&w) != UINT32_MAX)
            ;
        assert_true(w.full);
    }
    free(h.v);
    free(v);
}

static void test_map_random(void **state)
{
    (void)state;
    orca_engine *e;
    assert_int_equal(orca_engine_new(NULL, &e), ORCA_OK);
    enum { N = 5000 };
    uint64_t *keys = calloc(N, sizeof(uint64_t)); /* 0: absent */
    u64map m;
    u64map_init(&m);
    uint64_t s = 7;
    uint32_t live = 0;
    for (int round = 0; round < 60000; round++) {
        uint32_t k = (uint32_t)(rnd(&s) % N);
        /* keys clustered in a few ranges make long probe runs */
        uint64_t key = (k % 4) * 1000003ull + k + 1;
        if (!keys[k]) {
            assert_int_equal(u64map_reserve(e, &m, m.n + 1), ORCA_OK);
            u64map_put(&m, key, &keys[k]);
            keys[k] = key;
            live++;
        } else if (rnd(&s) % 3 == 0) {
            assert_ptr_equal(u64map_del(&m, key), &keys[k]);
            keys[k] = 0;
            live--;
        }
        if (round % 499 == 0) {
            assert_int_equal(m.n, live);
            for (uint32_t j = 0; j < N; j++) {
                uint64_t kk = (j % 4) * 1000003ull + j + 1;
                assert_ptr_equal(u64map_get(&m, kk), keys[j] ? &keys[j] : NULL);
            }
        }
    }
    assert_null(u64map_get(&m, 0));
    assert_null(u64map_del(&m, 999999999999ull));
    u64map_free(e, &m);
    free(keys);
    orca_engine_free(e);
}


typedef struct titem {
    onode n;
    inode idn;
    int in;
} titem;

#define TN 4000

/* The rank of it among the live items, and its naive successors. */
static uint32_t naive_rank(const titem *v, const titem *it)
{
    uint32_t r = 0;
    for (uint32_t k = 0; k < TN; k++)
        if (v[k].in && (v[k].n.k1 < it->n.k1 || (v[k].n.k1 == it->n.k1 && v[k].n.k2 < it->n.k2)))
            r++;
    return r;
}

static void test_otree_random(void **state)
{
    (void)state;
    titem *v = calloc(TN, sizeof(*v));
    assert_non_null(v);
    onode *root = NULL;
    inode *iroot = NULL;
    uint64_t g = 12345;
    uint32_t live = 0;
    for (uint32_t step = 0; step < 60000; step++) {
        titem *it = &v[rnd(&g) % TN];
        uint32_t op = (uint32_t)(rnd(&g) % 10);
        if (!it->in) { /* insert: small k1 range so ties on k1 are common */
            it->n.k1 = rnd(&g) % 50;
            it->n.k2 = (uint64_t)(it - v);
            it->n.v = rnd(&g) % 1000000;
            otree_insert(&root, &it->n);
            it->idn.k = (uint64_t)(it - v) * 7919 + 1;
            itree_insert(&iroot, &it->idn);
            it->in = 1;
            live++;
        } else if (op < 4) { /* remove */
            otree_remove(&root, &it->n);
            itree_remove(&iroot, &it->idn);
            it->in = 0;
            live--;
        } else if (op < 6) { /* re-key, as aging does */
            otree_remove(&root, &it->n);
            it->n.k1 = rnd(&g) % 50;
            otree_insert(&root, &it->n);
        } else { /* rank */
            assert_int_equal(otree_rank(root, &it->n), naive_rank(v, it));
            assert_true(otree_contains(root, &it->n));
            assert_true(itree_contains(iroot, &it->idn));
        }
        if (step % 997 == 0) {
            uint32_t n;
            assert_int_equal(otree_check(root, &n), 0);
            assert_int_equal(n, live);
            assert_int_equal(itree_check(iroot, &n), 0);
            assert_int_equal(n, live);
            uint64_t m = UINT64_MAX;
            for (uint32_t k = 0; k < TN; k++)
                if (v[k].in && v[k].n.v < m)
                    m = v[k].n.v;
            assert_true(otree_vmin(root) == m);
            /* pages after a random key are the naive successors in order */
            uint64_t k1 = rnd(&g) % 50, k2 = rnd(&g) % TN;
            const onode *page[17];
            uint32_t got = otree_after(root, k1, k2, page, 17);
            uint32_t want = 0;
            for (uint32_t k = 0; k < TN; k++)
                if (v[k].in && (v[k].n.k1 > k1 || (v[k].n.k1 == k1 && v[k].n.k2 > k2)))
                    want++;
            assert_int_equal(got, want < 17 ? want : 17);
            for (uint32_t k = 0; k < got; k++) {
                const onode *x = page[k];
                assert_true(x->k1 > k1 || (x->k1 == k1 && x->k2 > k2));
                /* exactly the (k)th after the key: its rank counts the rest */
                uint32_t below = 0;
                for (uint32_t j = 0; j < TN; j++)
                    if (v[j].in && (v[j].n.k1 < x->k1 || (v[j].n.k1 == x->k1 && v[j].n.k2 < x->k2)) &&
                        (v[j].n.k1 > k1 || (v[j].n.k1 == k1 && v[j].n.k2 > k2)))
                        below++;
                assert_int_equal(below, k);
            }
            const inode *ipage[9];
            uint64_t ik = rnd(&g) % (TN * 7919ull);
            got = itree_after(iroot, ik, ipage, 9);
            for (uint32_t k = 0; k < got; k++)
                assert_true(ipage[k]->k > ik && (k == 0 || ipage[k]->k > ipage[k - 1]->k));
        }
    }
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_random),
        cmocka_unit_test(test_map_random),
        cmocka_unit_test(test_otree_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
