/*
 * test_structs.c: the engine's internal data structures against plain
 * references, on many random operations: the indexed 4-ary heap (and its
 * in-order walk) against a sorted scan, the u64 hash map against an array.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_random),
        cmocka_unit_test(test_map_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
