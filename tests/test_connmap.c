/*
 * test_connmap.c: orcad's id -> pointer map (server/connmap.c). A long
 * random run of puts, gets and deletes is checked against a plain array
 * after every step (deletion's backward shift is where such maps go
 * wrong), then removal by value, bad input, growth and shrinking.
 */
#include "testutil.h"

#include "connmap.h"

#define KEYS 512
#include "rng.h"

static char vals[4];

/* Every key in 1..KEYS gives what the reference says. */
static void same(const connmap *m, void *const *ref)
{
    size_t n = 0;
    for (uint64_t k = 1; k <= KEYS; k++) {
        assert_ptr_equal(connmap_get(m, k), ref[k]);
        n += ref[k] != NULL;
    }
    assert_int_equal(m->n, n);
}

static void test_random_against_array(void **state)
{
    (void)state;
    connmap m = { 0 };
    void *ref[KEYS + 1] = { 0 };
    uint64_t seed = 12;
    for (int step = 0; step < 20000; step++) {
        uint64_t r = sm64(&seed);
        /* Keys close together and some far apart (collisions by the mix). */
        uint64_t key = 1 + (r >> 8) % KEYS;
        void *val = &vals[(r >> 20) % 4];
        if (r % 3 == 0) {
            assert_ptr_equal(connmap_del(&m, key), ref[key]);
            ref[key] = NULL;
        } else {
            assert_int_equal(connmap_put(&m, key, val), 0);
            ref[key] = val;
        }
        if (step % 97 == 0)
            same(&m, ref);
    }
    same(&m, ref);
    connmap_free(&m);
}

static void test_del_val(void **state)
{
    (void)state;
    connmap m = { 0 };
    void *ref[KEYS + 1] = { 0 };
    for (uint64_t k = 1; k <= KEYS; k++) {
        ref[k] = &vals[k % 3];
        assert_int_equal(connmap_put(&m, k, ref[k]), 0);
    }
    size_t want = 0;
    for (uint64_t k = 1; k <= KEYS; k++)
        if (ref[k] == &vals[1])
            ref[k] = NULL, want++;
    assert_int_equal(connmap_del_val(&m, &vals[1]), want);
    same(&m, ref);
    assert_int_equal(connmap_del_val(&m, &vals[1]), 0);
    assert_int_equal(connmap_del_val(&m, &vals[3]), 0); /* never there */
    same(&m, ref);
    connmap_free(&m);
}

/* Key 0 and a NULL value are refused and change nothing; an empty map
 * answers without a table. */
static void test_bad_input(void **state)
{
    (void)state;
    connmap m = { 0 };
    assert_null(connmap_get(&m, 7));
    assert_null(connmap_del(&m, 7));
    assert_int_equal(connmap_put(&m, 0, &vals[0]), -1);
    assert_int_equal(connmap_put(&m, 7, NULL), -1);
    assert_int_equal(m.n, 0);
    assert_null(m.slots);
    assert_int_equal(connmap_put(&m, 7, &vals[0]), 0);
    assert_int_equal(connmap_put(&m, 0, &vals[1]), -1);
    assert_null(connmap_get(&m, 0));
    assert_null(connmap_del(&m, 0));
    assert_ptr_equal(connmap_get(&m, 7), &vals[0]);
    assert_int_equal(connmap_put(&m, 7, &vals[2]), 0); /* replaces */
    assert_ptr_equal(connmap_get(&m, 7), &vals[2]);
    assert_int_equal(m.n, 1);
    connmap_free(&m);
    assert_null(connmap_get(&m, 7));
}

/* The table stays at most half full as it grows, and gives memory back
 * once most keys are gone (thousands of agents logging out). Big ids. */
static void test_grow_and_shrink(void **state)
{
    (void)state;
    connmap m = { 0 };
    const uint64_t base = 5000000000ull;
    for (uint64_t k = 0; k < 10000; k++) {
        assert_int_equal(connmap_put(&m, base + k * 1000, &vals[k % 4]), 0);
        assert_true(m.n * 2 <= m.cap);
    }
    size_t big = m.cap;
    for (uint64_t k = 0; k < 10000; k++)
        assert_ptr_equal(connmap_get(&m, base + k * 1000), &vals[k % 4]);
    for (uint64_t k = 0; k < 9990; k++)
        assert_ptr_equal(connmap_del(&m, base + k * 1000), &vals[k % 4]);
    assert_int_equal(m.n, 10);
    assert_true(m.cap < big / 64);
    for (uint64_t k = 9990; k < 10000; k++)
        assert_ptr_equal(connmap_get(&m, base + k * 1000), &vals[k % 4]);
    connmap_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_against_array),
        cmocka_unit_test(test_del_val),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_grow_and_shrink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
