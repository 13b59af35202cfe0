/*
 * test_structs.c: the engine's internal data structures against plain
 * references, on many random operations: the indexed 4-ary heap (and its
 * in-order walk) against a sorted scan, the u64 hash map against an array,
 * the counted B-tree (ranks, pages after a key, minimum value, its node
 * pool) and the id treap against plain scans.
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
#include "testutil.h"

#define V ORCA_CHANNEL_VOICE

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
    uint64_t k1, k2, v; /* its entry in the B-tree while in */
    inode idn;
    int in;
} titem;

#define TN 4000

static int tkey_less(uint64_t a1, uint64_t a2, uint64_t b1, uint64_t b2)
{
    return a1 < b1 || (a1 == b1 && a2 < b2);
}

/* The number of live items with a key below (k1, k2). */
static uint32_t naive_rank(const titem *v, uint64_t k1, uint64_t k2)
{
    uint32_t r = 0;
    for (uint32_t k = 0; k < TN; k++)
        if (v[k].in && tkey_less(v[k].k1, v[k].k2, k1, k2))
            r++;
    return r;
}

/* The routing-order B-tree against plain scans: inserts, removals and
 * re-keys at random (k1 in a small range, so ties on k1 are common), with
 * ranks, minimums and pages checked, and the node pool never past
 * bt_need. The pool holds exactly bt_need nodes: one more taken would
 * crash the test. */
static void test_btree_random(void **state)
{
    (void)state;
    titem *v = calloc(TN, sizeof(*v));
    assert_non_null(v);
    bt_pool pool = { NULL, 0, 0 };
    uint32_t need = bt_need(TN, 1);
    for (uint32_t k = 0; k < need; k++) {
        bt_node *x = malloc(sizeof(*x));
        assert_non_null(x);
        bt_pool_put(&pool, x);
        pool.nodes++;
    }
    btree t = { NULL, 0, 0 };
    inode *iroot = NULL;
    uint64_t g = 12345;
    uint32_t live = 0;
    for (uint32_t step = 0; step < 200000; step++) {
        titem *it = &v[rnd(&g) % TN];
        uint32_t op = (uint32_t)(rnd(&g) % 10);
        /* phases: mostly filling, then mostly draining, so nodes split,
         * borrow, merge and the tree grows and shrinks by levels */
        int drain = (step / 20000) % 2;
        if (!it->in && (!drain || op < 2)) {
            it->k1 = rnd(&g) % 50;
            it->k2 = (uint64_t)(it - v);
            it->v = rnd(&g) % 1000000;
            bt_insert(&t, &pool, it->k1, it->k2, it->v, it);
            it->idn.k = (uint64_t)(it - v) * 7919 + 1;
            itree_insert(&iroot, &it->idn);
            it->in = 1;
            live++;
        } else if (!it->in) {
            continue;
        } else if (op < 4 || drain) { /* remove */
            bt_remove(&t, &pool, it->k1, it->k2);
            itree_remove(&iroot, &it->idn);
            it->in = 0;
            live--;
        } else if (op < 6) { /* re-key, as aging does */
            bt_remove(&t, &pool, it->k1, it->k2);
            it->k1 = rnd(&g) % 50;
            bt_insert(&t, &pool, it->k1, it->k2, it->v, it);
        } else { /* rank */
            assert_int_equal(bt_rank(&t, it->k1, it->k2), naive_rank(v, it->k1, it->k2));
            assert_true(bt_contains(&t, it->k1, it->k2, it->v, it));
            assert_false(bt_contains(&t, it->k1, it->k2, it->v + 1, it));
            assert_true(itree_contains(iroot, &it->idn));
        }
        if (step % 997 == 0) {
            uint32_t n;
            assert_int_equal(bt_check(&t, &n), 0);
            assert_int_equal(t.n, live);
            assert_int_equal(n + pool.nfree, pool.nodes);
            assert_true(n <= bt_need(live, 1));
            assert_int_equal(itree_check(iroot, &n), 0);
            assert_int_equal(n, live);
            uint64_t m = UINT64_MAX;
            for (uint32_t k = 0; k < TN; k++)
                if (v[k].in && v[k].v < m)
                    m = v[k].v;
            assert_true(bt_vmin(&t) == m);
            /* the rank of any key, in the tree or not */
            uint64_t k1 = rnd(&g) % 52, k2 = rnd(&g) % (TN + 2);
            assert_int_equal(bt_rank(&t, k1, k2), naive_rank(v, k1, k2));
            /* pages after a random key are the naive successors in order */
            bt_ent page[37];
            uint32_t got = bt_after(&t, k1, k2, page, 37);
            uint32_t above = live - naive_rank(v, k1, k2 + 1);
            assert_int_equal(got, above < 37 ? above : 37);
            for (uint32_t k = 0; k < got; k++) {
                const titem *x = page[k].item;
                assert_true(x->in && x->k1 == page[k].k1 && x->k2 == page[k].k2);
                assert_true(tkey_less(k1, k2, x->k1, x->k2));
                /* exactly the (k)th after the key */
                assert_int_equal(naive_rank(v, x->k1, x->k2) - naive_rank(v, k1, k2 + 1), k);
            }
            const inode *ipage[9];
            uint64_t ik = rnd(&g) % (TN * 7919ull);
            got = itree_after(iroot, ik, ipage, 9);
            for (uint32_t k = 0; k < got; k++)
                assert_true(ipage[k]->k > ik && (k == 0 || ipage[k]->k > ipage[k - 1]->k));
        }
    }
    bt_clear(&t, &pool);
    assert_int_equal(pool.nfree, pool.nodes);
    while (pool.nfree)
        free(bt_pool_take(&pool));
    free(v);
}

/* The routing-order B-trees take nodes only from the spares
 * reserved at enqueue: with 120 offered interactions timing out at once
 * (a timer, where the trees may not allocate) and the allocator refusing
 * everything, all of them go back to waiting and the queue's tree grows to
 * several levels on spare nodes alone. */
static void test_trees_never_allocate_after_enqueue(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    enum { N = 120 };
    for (uint64_t a = 1; a <= N; a++) {
        tu_agent(e, a, 100, NULL, 0);
        tu_member(e, q, a, 0);
        tu_ready(e, a);
    }
    for (uint64_t id = 1; id <= N; id++)
        tu_enqueue(e, 1000 + id, q, V, 0);
    assert_int_equal(tu_counts(e).offered, N);
    assert_int_equal(tu_counts(e).waiting, 0);
    uint32_t nodes = e->wpool.nodes, spare = e->wpool.nfree;
    fx.alloc.fail_at = fx.alloc.attempts + 1;
    fx.alloc.fail_after = 1;
    tu_advance(e, 60000); /* every offer times out */
    /* the queue's tree took its nodes from the spares: none allocated */
    assert_int_equal(e->wpool.nodes, nodes);
    assert_true(e->wpool.nfree + 4 < spare);
    orca_counts c = tu_counts(e);
    assert_true(c.waiting > 2 * BT_B); /* more than a leaf: inner nodes too */
    assert_int_equal(c.waiting + c.offered, N);
    /* positions are 0..waiting-1 over the waiting ones, each once */
    uint32_t seen = 0, sum = 0;
    for (uint64_t id = 1; id <= N; id++) {
        uint32_t ahead, waiting;
        int rc = orca_interaction_position(e, 1000 + id, &ahead, &waiting);
        if (rc == ORCA_ESTATE)
            continue;
        TU_OK(rc);
        assert_int_equal(waiting, c.waiting);
        seen++;
        sum += ahead;
    }
    assert_int_equal(seen, c.waiting);
    assert_int_equal(sum, c.waiting * (c.waiting - 1) / 2);
    TU_OK(orca_engine_check(e));
    fx.alloc.fail_at = 0;
    fx.alloc.fail_after = 0;
    tu_fx_free(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_random),
        cmocka_unit_test(test_map_random),
        cmocka_unit_test(test_btree_random),
        cmocka_unit_test(test_trees_never_allocate_after_enqueue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
