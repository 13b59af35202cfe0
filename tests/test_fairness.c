/*
 * test_fairness.c: orca_stats_fairness (src/stats.c) and its place in the
 * snapshot JSON (src/json.c).
 *
 * One hand-built centre on the virtual clock, stats with a 40 s window in
 * 4 slots of 10 s, read at 40 s (the window is then [10, 40) s). Queue q
 * has members A (1), B (2) and C (3); D (4) is in no queue. A, B and C take
 * every built-in channel, D email only. Voice costs a whole agent.
 *   0  A, B and D READY; C NOT_READY (stays so: no ready time, left out)
 *   0  v1 (q, voice) offered to A, accepted; v2 to B, accepted
 *   5  v2 ends (B handled 1); v3 arrives, offered to B, accepted
 *   20 v3 ends (B handled 2)    30 v1 ends (A handled 1)
 * Since start (40 s): A works 0-30, idle 30-40: occupancy 30/40 = 0.75;
 *   B works 0-20, idle 20-40: 0.5; D idle all along: 0.
 * Window [10, 40): A works 10-30 of 30 s: 2/3; B 10-20: 1/3; D 0.
 *   Handled in the window: A 1 (v1 at 30), B 1 (v3 at 20; v2 ended at 5,
 *   before it), D 0.
 * The Gini coefficient is sum |xi - xj| over all ordered pairs / (2 n^2
 * mean); for two agents |x1 - x2| / (2 (x1 + x2)). By hand:
 *   q, since start: occupancy (0.75, 0.5): 0.25 / 2.5 = 0.1, max/min 1.5;
 *     handled (1, 2): 1 / 6.
 *   q, window: (2/3, 1/3): (1/3) / 2 = 1/6, max/min 2; handled (1, 1): 0.
 *   all, since start: (0.75, 0.5, 0): pairs 2 (0.25 + 0.75 + 0.5) = 3,
 *     / (2 * 9 * 1.25 / 3) = 0.4; max/min undefined (0); handled (1, 2, 0):
 *     2 (1 + 1 + 2) / (2 * 9 * 1) = 4/9.
 *   all, window: (2/3, 1/3, 0): 2 (1/3 + 2/3 + 1/3) / (2 * 9 / 3) = 4/9;
 *     handled (1, 1, 0): 4 / (2 * 9 * 2/3) = 1/3.
 * Groups: voice = A, B, C (C left out), same figures as q; email = A, B,
 * C, D, same as all.
 */
#include "testutil.h"

#include <jansson.h>
#include <math.h>

#define TOT ORCA_SPAN_TOTAL
#define WIN ORCA_SPAN_WINDOW

static void near_(double got, double want, const char *what, const char *file, int line)
{
    if (fabs(got - want) <= 1e-12)
        return;
    print_error("%s = %.17g, expected %.17g\n", what, got, want);
    _fail(file, line);
}
#define NEAR(got, want) near_((got), (want), #got, __FILE__, __LINE__)

typedef struct centre {
    tu_fx fx;
    orca_engine *e;
    orca_stats *s;
    orca_queue_id q;
} centre;

static void centre_new(centre *c)
{
    memset(c, 0, sizeof *c);
    orca_engine *e = c->e = tu_fx_new(&c->fx, NULL);
    orca_stats_config sc = { .window_ms = 40000, .window_slots = 4 };
    TU_OK(orca_stats_new(e, &sc, &c->s));
    c->q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    for (uint64_t a = 1; a <= 3; a++) {
        tu_agent(e, a, 100, NULL, 0);
        tu_member(e, c->q, a, 0);
    }
    orca_agent_def d;
    tu_agent_def(&d, 4, 100, NULL, 0);
    orca_channel_limit email = { ORCA_CHANNEL_EMAIL, 5 };
    d.limits = &email;
    d.nlimits = 1;
    TU_OK(orca_agent_add(e, &d));
    tu_ready(e, 1);
    tu_ready(e, 2);
    tu_ready(e, 4);
    tu_notready(e, 3);
    tu_enqueue(e, 1, c->q, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 1, 1);
    TU_OK(orca_offer_accept(e, 1));
    tu_enqueue(e, 2, c->q, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 2, 2);
    TU_OK(orca_offer_accept(e, 2));
    tu_advance(e, 5000);
    TU_OK(orca_interaction_end(e, 2));
    tu_enqueue(e, 3, c->q, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 3, 2);
    TU_OK(orca_offer_accept(e, 3));
    tu_advance(e, 20000);
    TU_OK(orca_interaction_end(e, 3));
    tu_advance(e, 30000);
    TU_OK(orca_interaction_end(e, 1));
    tu_advance(e, 40000);
    TU_CHECK(e);
}

static void centre_free(centre *c)
{
    TU_OK(orca_stats_free(c->s));
    tu_fx_free(&c->fx);
}

static orca_fairness fair_(const orca_stats *s, orca_group g, uint64_t id, orca_span sp,
                           const char *file, int line)
{
    orca_fairness f;
    memset(&f, 0x5a, sizeof f);
    tu_rc_(orca_stats_fairness(s, g, id, sp, &f), ORCA_OK, "orca_stats_fairness", file, line);
    return f;
}
#define FAIR(s, g, id, sp) fair_((s), (g), (id), (sp), __FILE__, __LINE__)

/* The two-agent group (q, or voice: C left out), by hand. */
static void check_pair(const orca_fairness *f, orca_span sp)
{
    assert_int_equal(f->agents, 2);
    assert_int_equal(f->left_out, 1); /* C: NOT_READY all along */
    if (sp == TOT) {
        NEAR(f->occ_gini, 0.1);
        NEAR(f->occ_min, 0.5);
        NEAR(f->occ_max, 0.75);
        NEAR(f->occ_ratio, 1.5);
        NEAR(f->handled_gini, 1.0 / 6);
        assert_int_equal(f->handled_min, 1);
        assert_int_equal(f->handled_max, 2);
        assert_int_equal(f->span_ms, 40000);
    } else {
        NEAR(f->occ_gini, 1.0 / 6);
        NEAR(f->occ_min, 1.0 / 3);
        NEAR(f->occ_max, 2.0 / 3);
        NEAR(f->occ_ratio, 2.0);
        NEAR(f->handled_gini, 0.0);
        assert_int_equal(f->handled_min, 1);
        assert_int_equal(f->handled_max, 1);
        assert_int_equal(f->span_ms, 30000);
    }
}

/* The three-agent group (all, or email), by hand. */
static void check_three(const orca_fairness *f, orca_span sp)
{
    assert_int_equal(f->agents, 3);
    assert_int_equal(f->left_out, 1);
    NEAR(f->occ_min, 0.0);
    NEAR(f->occ_ratio, 0.0); /* undefined: the least occupied had no work */
    assert_int_equal(f->handled_min, 0);
    if (sp == TOT) {
        NEAR(f->occ_gini, 0.4);
        NEAR(f->occ_max, 0.75);
        NEAR(f->handled_gini, 4.0 / 9);
        assert_int_equal(f->handled_max, 2);
    } else {
        NEAR(f->occ_gini, 4.0 / 9);
        NEAR(f->occ_max, 2.0 / 3);
        NEAR(f->handled_gini, 1.0 / 3);
        assert_int_equal(f->handled_max, 1);
    }
}

static void test_groups_by_hand(void **state)
{
    (void)state;
    centre c;
    centre_new(&c);
    for (int sp = TOT; sp <= WIN; sp++) {
        orca_fairness f = FAIR(c.s, ORCA_GROUP_QUEUE, c.q, (orca_span)sp);
        check_pair(&f, (orca_span)sp);
        f = FAIR(c.s, ORCA_GROUP_CHANNEL, ORCA_CHANNEL_VOICE, (orca_span)sp);
        check_pair(&f, (orca_span)sp);
        f = FAIR(c.s, ORCA_GROUP_ALL, 0, (orca_span)sp);
        check_three(&f, (orca_span)sp);
        f = FAIR(c.s, ORCA_GROUP_CHANNEL, ORCA_CHANNEL_EMAIL, (orca_span)sp);
        check_three(&f, (orca_span)sp);
    }
    /* the per-agent occupancies the figure is built from */
    orca_agent_figures a;
    TU_OK(orca_stats_agent(c.s, 1, TOT, &a));
    NEAR(a.occupancy, 0.75);
    TU_OK(orca_stats_agent(c.s, 2, WIN, &a));
    NEAR(a.occupancy, 1.0 / 3);
    centre_free(&c);
}

/* Agents with no ready time are left out, not counted as idle: once C
 * has been READY (and idle) for 10 s it counts in q with occupancy 0. And
 * a group with nobody ready reads all zeros. */
static void test_left_out_until_ready(void **state)
{
    (void)state;
    centre c;
    centre_new(&c);
    orca_fairness f;
    orca_queue_id empty = tu_queue(c.e, "empty", ORCA_STRATEGY_LONGEST_IDLE);
    tu_member(c.e, empty, 3, 0);
    f = FAIR(c.s, ORCA_GROUP_QUEUE, empty, TOT);
    assert_int_equal(f.agents, 0);
    assert_int_equal(f.left_out, 1);
    NEAR(f.occ_gini, 0.0);
    NEAR(f.occ_ratio, 0.0);
    NEAR(f.handled_gini, 0.0);
    assert_int_equal(f.span_ms, 40000);
    tu_ready(c.e, 3);
    tu_advance(c.e, 50000);
    f = FAIR(c.s, ORCA_GROUP_QUEUE, c.q, TOT);
    assert_int_equal(f.agents, 3);
    assert_int_equal(f.left_out, 0);
    /* A 30/50 = 0.6, B 20/50 = 0.4, C 0/10 = 0: pairs 2 (0.2 + 0.6 + 0.4)
     * = 2.4 / (2 * 9 * 1/3) = 0.4 */
    NEAR(f.occ_max, 0.6);
    NEAR(f.occ_gini, 0.4);
    f = FAIR(c.s, ORCA_GROUP_QUEUE, empty, TOT);
    assert_int_equal(f.agents, 1);
    NEAR(f.occ_gini, 0.0);
    centre_free(&c);
}

/* A removed agent leaves its queues and channels (a restored record has
 * none either), but its time still counts for all agents, as it does in
 * the total's occupancy. D (email only, idle) removed at 40 s. */
static void test_removed_agent(void **state)
{
    (void)state;
    centre c;
    centre_new(&c);
    TU_OK(orca_agent_remove(c.e, 4));
    orca_fairness f = FAIR(c.s, ORCA_GROUP_CHANNEL, ORCA_CHANNEL_EMAIL, TOT);
    check_pair(&f, TOT);
    f = FAIR(c.s, ORCA_GROUP_ALL, 0, TOT);
    check_three(&f, TOT);
    centre_free(&c);
}

/* Bad input: an error, *out untouched, the figures unchanged (the whole
 * snapshot reads the same before and after). */
static void test_bad_input(void **state)
{
    (void)state;
    centre c;
    centre_new(&c);
    tu_buf before = { 0 }, after = { 0 };
    TU_OK(orca_stats_snapshot_json(c.s, tu_buf_write, &before));
    orca_fairness f, keep;
    memset(&f, 0x5a, sizeof f);
    keep = f;
    TU_RC(orca_stats_fairness(NULL, ORCA_GROUP_ALL, 0, TOT, &f), ORCA_EINVAL);
    TU_RC(orca_stats_fairness(c.s, ORCA_GROUP_ALL, 0, TOT, NULL), ORCA_EINVAL);
    TU_RC(orca_stats_fairness(c.s, ORCA_GROUP_ALL, 0, (orca_span)2, &f), ORCA_EINVAL);
    TU_RC(orca_stats_fairness(c.s, (orca_group)3, 0, TOT, &f), ORCA_EINVAL);
    TU_RC(orca_stats_fairness(c.s, (orca_group)-1, 0, TOT, &f), ORCA_EINVAL);
    TU_RC(orca_stats_fairness(c.s, ORCA_GROUP_ALL, 1, TOT, &f), ORCA_EINVAL);
    TU_RC(orca_stats_fairness(c.s, ORCA_GROUP_QUEUE, 0, TOT, &f), ORCA_ENOENT);
    TU_RC(orca_stats_fairness(c.s, ORCA_GROUP_QUEUE, 99, WIN, &f), ORCA_ENOENT);
    TU_RC(orca_stats_fairness(c.s, ORCA_GROUP_QUEUE, (uint64_t)c.q << 32 | c.q, TOT, &f),
          ORCA_ENOENT);
    TU_RC(orca_stats_fairness(c.s, ORCA_GROUP_CHANNEL, 99, TOT, &f), ORCA_ENOENT);
    TU_RC(orca_stats_fairness(c.s, ORCA_GROUP_CHANNEL, UINT64_MAX, TOT, &f), ORCA_ENOENT);
    assert_memory_equal(&f, &keep, sizeof f);
    /* a removed queue is unknown */
    orca_queue_id gone = tu_queue(c.e, "gone", ORCA_STRATEGY_LONGEST_IDLE);
    TU_OK(orca_stats_fairness(c.s, ORCA_GROUP_QUEUE, gone, TOT, &f));
    TU_OK(orca_queue_remove(c.e, gone));
    memset(&f, 0x5a, sizeof f);
    TU_RC(orca_stats_fairness(c.s, ORCA_GROUP_QUEUE, gone, TOT, &f), ORCA_ENOENT);
    assert_memory_equal(&f, &keep, sizeof f);
    /* and good readings change nothing either */
    f = FAIR(c.s, ORCA_GROUP_ALL, 0, WIN);
    TU_OK(orca_stats_snapshot_json(c.s, tu_buf_write, &after));
    /* the snapshot lists queues: "gone" came and went between the two */
    assert_non_null(before.p);
    assert_non_null(after.p);
    assert_string_equal(before.p, after.p);
    free(before.p);
    free(after.p);
    centre_free(&c);
}

/* The snapshot carries the figure per queue, per channel and for the
 * total, both spans, equal to the getter's. */
static void test_snapshot_json(void **state)
{
    (void)state;
    centre c;
    centre_new(&c);
    tu_buf b = { 0 };
    TU_OK(orca_stats_snapshot_json(c.s, tu_buf_write, &b));
    json_error_t err;
    json_t *root = json_loads(b.p, 0, &err);
    if (!root)
        fail_msg("snapshot is not JSON: %s", err.text);
    json_t *tf = json_object_get(json_object_get(root, "total"), "fairness");
    assert_non_null(tf);
    json_t *w = json_object_get(tf, "window");
    assert_int_equal(json_integer_value(json_object_get(w, "agents")), 3);
    assert_int_equal(json_integer_value(json_object_get(w, "left_out")), 1);
    NEAR(json_real_value(json_object_get(w, "occ_gini")), 4.0 / 9);
    NEAR(json_number_value(json_object_get(w, "occ_ratio")), 0.0);
    json_t *q = json_array_get(json_object_get(root, "queues"), 0);
    json_t *qs = json_object_get(json_object_get(q, "fairness"), "since_start");
    assert_non_null(qs);
    NEAR(json_real_value(json_object_get(qs, "occ_gini")), 0.1);
    NEAR(json_real_value(json_object_get(qs, "occ_ratio")), 1.5);
    NEAR(json_real_value(json_object_get(qs, "handled_gini")), 1.0 / 6);
    assert_int_equal(json_integer_value(json_object_get(qs, "handled_max")), 2);
    assert_int_equal(json_integer_value(json_object_get(qs, "span_ms")), 40000);
    json_t *ch = json_array_get(json_object_get(root, "channels"), ORCA_CHANNEL_VOICE);
    json_t *cw = json_object_get(json_object_get(ch, "fairness"), "window");
    NEAR(json_real_value(json_object_get(cw, "occ_gini")), 1.0 / 6);
    json_decref(root);
    free(b.p);
    centre_free(&c);
}

/* No agent yet (the figures have no room for any): nothing counted, no
 * arithmetic on a NULL buffer (clang's UBSan flags it, gcc's does not: fuzz_journal
 * found it). */
static void test_no_agents(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_stats *st = NULL;
    TU_OK(orca_stats_new(e, NULL, &st));
    orca_fairness f;
    memset(&f, 0xAB, sizeof f);
    TU_OK(orca_stats_fairness(st, ORCA_GROUP_ALL, 0, ORCA_SPAN_TOTAL, &f));
    assert_int_equal(f.agents, 0);
    assert_int_equal(f.left_out, 0);
    orca_stats_free(st);
    tu_fx_free(&fx);
}

int main(void)
{
    tu_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups_by_hand),
        cmocka_unit_test(test_left_out_until_ready),
        cmocka_unit_test(test_removed_agent),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_snapshot_json),
        cmocka_unit_test(test_no_agents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
