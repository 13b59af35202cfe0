/*
 * test_strategies.c: the edges of the strategies the peers route with
 * (issue 15): top-down, packing, and least busy (the fair one) with the
 * work held so far that it routes by, in snapshots old and new. The six older strategies are in test_queues.c; the
 * differential test compares every strategy with tests/ref_router.c on
 * random scenarios.
 */
#include "testutil.h"

#include <stdlib.h>

#include "orca_int.h" /* snap_save, snap_load: the snapshot's versions */

/* Voice call id on q: offered to whom? */
static uint64_t call(orca_engine *e, uint64_t id, orca_queue_id q)
{
    tu_enqueue(e, id, q, ORCA_CHANNEL_VOICE, 0);
    return tu_agent_of(e, id);
}

/* Top-down: tier, then lowest id, whoever has been idle longest. */
static void test_top_down_order(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "td", ORCA_STRATEGY_TOP_DOWN);
    const uint64_t ids[] = {7, 3, 5, 9};
    const uint32_t tiers[] = {0, 0, 1, 0};
    for (int k = 0; k < 4; k++) {
        tu_agent(e, ids[k], 100, NULL, 0);
        tu_member(e, q, ids[k], tiers[k]);
    }
    for (int k = 0; k < 4; k++) { /* 7 idle the longest, 9 the shortest */
        tu_advance(e, orca_engine_now(e) + 1000);
        tu_ready(e, ids[k]);
    }
    tu_advance(e, orca_engine_now(e) + 1000);
    assert_int_equal(call(e, 1, q), 3); /* tier 0, lowest id: not 7 */
    assert_int_equal(call(e, 2, q), 7);
    assert_int_equal(call(e, 3, q), 9);
    assert_int_equal(call(e, 4, q), 5); /* tier 1 last */
    assert_int_equal(call(e, 5, q), 0); /* nobody left */
    /* 3 finishes first and is the freshest idle agent: top-down still
     * gives it the next call, the waiting one, at once */
    TU_OK(orca_offer_accept(e, 1));
    tu_advance(e, orca_engine_now(e) + 1000);
    TU_OK(orca_interaction_end(e, 1));
    assert_int_equal(tu_agent_of(e, 5), 3);
    TU_OK(orca_interaction_cancel(e, 5));
    TU_OK(orca_offer_accept(e, 2));
    TU_OK(orca_interaction_end(e, 2));
    tu_advance(e, orca_engine_now(e) + 1000);
    assert_int_equal(call(e, 6, q), 3); /* 3 (idle 1 s) before 7 (idle 0 s) */
    assert_int_equal(call(e, 7, q), 7);
    tu_fx_free(&fx);
}

/* A decline steps to the next in order; a tier change reorders at once;
 * agents serving by skills sit at the queue's skills_tier. */
static void test_top_down_decline_tiers_skills(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id s = tu_skill(e, "s");
    orca_queue_def d;
    orca_queue_def_init(&d);
    d.name = "td";
    d.strategy = ORCA_STRATEGY_TOP_DOWN;
    d.serve = ORCA_SERVE_MEMBERS | ORCA_SERVE_SKILLS;
    orca_skill_level qs = {s, 1};
    d.skills = &qs;
    d.nskills = 1;
    d.skills_tier = 1;
    orca_queue_id q = tu_queue_def(e, &d);
    tu_agent(e, 1, 100, &qs, 1); /* by skills: tier 1 */
    tu_agent(e, 2, 100, NULL, 0);
    tu_agent(e, 3, 100, NULL, 0);
    tu_member(e, q, 2, 2);
    tu_member(e, q, 3, 0);
    tu_ready(e, 3);
    tu_ready(e, 2);
    tu_ready(e, 1);
    assert_int_equal(call(e, 1, q), 3);
    TU_OK(orca_offer_reject(e, 1)); /* 3 declined: the next in order */
    assert_int_equal(tu_agent_of(e, 1), 1);
    TU_OK(orca_interaction_cancel(e, 1));
    /* 2 moves to tier 0 (remove and add again): before 3 by id */
    TU_OK(orca_queue_member_remove(e, q, 2));
    tu_member(e, q, 2, 0);
    assert_int_equal(call(e, 2, q), 2);
    assert_int_equal(call(e, 3, q), 3);
    assert_int_equal(call(e, 4, q), 1);
    tu_fx_free(&fx);
}

/* The new value is accepted and kept; one past the last is refused. */
static void test_top_down_bad_strategy(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_def d;
    orca_queue_def_init(&d);
    d.name = "bad";
    d.strategy = (orca_strategy)(ORCA_STRATEGY_LEAST_BUSY + 1);
    orca_queue_id q = 0;
    tu_rc_(orca_queue_add(e, &d, &q), ORCA_EINVAL, "queue_add", __FILE__, __LINE__);
    assert_int_equal(q, 0);
    d.strategy = ORCA_STRATEGY_TOP_DOWN;
    TU_OK(orca_queue_add(e, &d, &q));
    assert_int_equal(tu_qinfo(e, q).strategy, ORCA_STRATEGY_TOP_DOWN);
    tu_fx_free(&fx);
}

/* Chat id on q: offered to whom? */
static uint64_t chat(orca_engine *e, uint64_t id, orca_queue_id q)
{
    tu_enqueue(e, id, q, ORCA_CHANNEL_CHAT, 0);
    return tu_agent_of(e, id);
}

/* Packing: most capacity in use first, the longest idle among equals. */
static void test_packing_fills_one_agent(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "pack", ORCA_STRATEGY_PACKING);
    for (uint64_t a = 1; a <= 3; a++) {
        tu_agent(e, a, 100, NULL, 0);
        tu_member(e, q, a, 0);
        tu_advance(e, orca_engine_now(e) + 1000);
        tu_ready(e, a);
    }
    /* all empty: longest idle (1); then 1 again until full (4 chats of 25) */
    for (uint64_t i = 1; i <= 4; i++)
        assert_int_equal(chat(e, i, q), 1);
    assert_int_equal(chat(e, 5, q), 2); /* 1 is full: 2 idle longer than 3 */
    assert_int_equal(chat(e, 6, q), 2);
    /* 1 frees a chat: 75 beats 2's 50 (a key that got worse, found stale) */
    TU_OK(orca_offer_accept(e, 1));
    TU_OK(orca_interaction_end(e, 1));
    assert_int_equal(tu_ainfo(e, 1).used, 75);
    assert_int_equal(chat(e, 7, q), 1);
    /* a call needs a whole agent: only 3 still has one */
    assert_int_equal(call(e, 8, q), 3);
    assert_int_equal(chat(e, 9, q), 2);
    tu_fx_free(&fx);
}

/* Work from another queue makes an agent the better packing choice at
 * once: a key that gets better is re-keyed when it happens, not found
 * stale later (regression: without the re-key on taking capacity, chat 5
 * went to agent 1, whose stale entry, re-keyed by the arrival, stayed on
 * top of agent 2's stale one). */
static void test_packing_rekeys_on_other_work(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "pack", ORCA_STRATEGY_PACKING);
    orca_queue_id other = tu_queue(e, "other", ORCA_STRATEGY_LONGEST_IDLE);
    for (uint64_t a = 1; a <= 2; a++) {
        tu_agent(e, a, 100, NULL, 0);
        tu_member(e, q, a, 0);
        tu_advance(e, orca_engine_now(e) + 1000);
        tu_ready(e, a);
    }
    tu_member(e, other, 2, 0);
    assert_int_equal(chat(e, 1, q), 1); /* both empty: 1 idled longer; 25 */
    for (uint64_t i = 2; i <= 4; i++) {  /* 2: three emails, 30 */
        tu_enqueue(e, i, other, ORCA_CHANNEL_EMAIL, 0);
        TU_OFFERED_TO(e, i, 2);
    }
    TU_OK(orca_engine_check(e)); /* no stored key better than the truth */
    assert_int_equal(chat(e, 5, q), 2); /* 30 beats 25 */
    /* 2's emails end: 2 has 25, 1 has 25 and idled longer */
    for (uint64_t i = 2; i <= 4; i++)
        TU_OK(orca_interaction_cancel(e, i));
    assert_int_equal(chat(e, 6, q), 1);
    tu_fx_free(&fx);
}

/* Least busy: the least work held so far, whoever has been idle longest. */
static void test_least_busy_order(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "fair", ORCA_STRATEGY_LEAST_BUSY);
    for (uint64_t a = 1; a <= 2; a++) {
        tu_agent(e, a, 100, NULL, 0);
        tu_member(e, q, a, 0);
        tu_advance(e, orca_engine_now(e) + 1000);
        tu_ready(e, a);
    }
    uint64_t t0 = orca_engine_now(e);
    assert_int_equal(call(e, 1, q), 1); /* both 0: the longest idle */
    tu_advance(e, t0 + 10000);
    TU_OK(orca_offer_accept(e, 1));     /* offered time counts too */
    tu_advance(e, t0 + 60000);
    assert_int_equal(tu_ainfo(e, 1).busy_units_ms, 100 * 60000);
    TU_OK(orca_interaction_end(e, 1));  /* 1 idle from t0 + 60 s */
    tu_advance(e, t0 + 100000);
    assert_int_equal(call(e, 2, q), 2);
    tu_advance(e, t0 + 110000);
    TU_OK(orca_interaction_cancel(e, 2)); /* 2: 10 s, idle since + 110 s */
    assert_int_equal(tu_ainfo(e, 1).busy_units_ms, 100 * 60000);
    assert_int_equal(tu_ainfo(e, 2).busy_units_ms, 100 * 10000);
    tu_advance(e, t0 + 200000);
    /* longest idle would pick 1; least busy picks 2 */
    assert_int_equal(call(e, 3, q), 2);
    tu_fx_free(&fx);
}

/* Work still held counts as it goes: keys grow with the clock alone, and
 * the arrival finds the stale ones (chat 5 goes to agent 1 once agent 2's
 * two chats have overtaken it). */
static void test_least_busy_counts_work_in_progress(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "fair", ORCA_STRATEGY_LEAST_BUSY);
    for (uint64_t a = 1; a <= 2; a++) {
        tu_agent(e, a, 100, NULL, 0);
        tu_member(e, q, a, 0);
        tu_advance(e, a * 1000);
        tu_ready(e, a);
    }
    tu_advance(e, 3000);
    assert_int_equal(chat(e, 1, q), 1);
    tu_advance(e, 4000);
    assert_int_equal(chat(e, 2, q), 2); /* 1: 25 x 1000 */
    tu_advance(e, 5000);
    TU_OK(orca_interaction_cancel(e, 2)); /* 2: 25000, stays */
    assert_int_equal(tu_ainfo(e, 1).busy_units_ms, 50000);
    assert_int_equal(chat(e, 3, q), 2);
    tu_advance(e, 6000);
    assert_int_equal(chat(e, 4, q), 2); /* 2: 50000, 1: 75000 */
    tu_advance(e, 7000);
    assert_int_equal(tu_ainfo(e, 1).busy_units_ms, 100000);
    assert_int_equal(tu_ainfo(e, 2).busy_units_ms, 100000);
    tu_advance(e, 8000);
    assert_int_equal(chat(e, 5, q), 1); /* 2: 150000, 1: 125000 */
    orca_agent_info list[4];
    orca_cursor cur = {0};
    uint32_t n = 0;
    TU_OK(orca_agent_list(e, &cur, list, 4, &n));
    assert_int_equal(n, 2);
    assert_int_equal(list[0].busy_units_ms, 125000); /* the same in listings */
    assert_int_equal(list[1].busy_units_ms, 150000);
    tu_fx_free(&fx);
}

enum { SCRATCH = 256 * 1024 };

/* Restore snapshot bytes into a new engine; on success it is returned. */
static int restore(tu_fx *fx, const uint8_t *p, size_t n, orca_engine **out)
{
    orca_engine *e = tu_fx_new(fx, NULL);
    uint8_t *scratch = malloc(SCRATCH);
    assert_non_null(scratch);
    rbuf r = { .p = p, .n = n, .scratch = scratch, .cap = SCRATCH };
    int rc = snap_load(e, &r);
    free(scratch);
    if (rc) {
        orca_engine_free(e);
        *out = NULL;
        return rc;
    }
    *out = e;
    return ORCA_OK;
}

/* A snapshot carries each agent's work held (version 3, at the end of its
 * record); a version 2 snapshot, without it, still loads, with none. */
static void test_least_busy_snapshot_versions(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "fair", ORCA_STRATEGY_LEAST_BUSY);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    assert_int_equal(chat(e, 1, q), 1);
    tu_advance(e, 4000); /* 25 x 4000, still held */
    wbuf w = { .e = e };
    snap_save(e, &w);
    assert_false(w.bad);
    tu_fx fx2;
    orca_engine *e2;
    TU_OK(restore(&fx2, w.p, w.n, &e2));
    assert_int_equal(tu_ainfo(e2, 1).busy_units_ms, 100000);
    tu_advance(e2, 5000); /* and it carries on growing */
    assert_int_equal(tu_ainfo(e2, 1).busy_units_ms, 125000);
    tu_fx_free(&fx2);

    /* Find the field: the one byte that differs between load 0 and 1. */
    agent *a = agent_get(e, 1);
    uint64_t keep = a->load, keep_t = a->load_t;
    TU_OK(orca_interaction_cancel(e, 1)); /* used 0: load is load alone */
    a->load = 0;
    wbuf w0 = { .e = e }, w1 = { .e = e };
    snap_save(e, &w0);
    a->load = 1;
    snap_save(e, &w1);
    a->load = keep;
    a->load_t = keep_t;
    assert_int_equal(w0.n, w1.n);
    size_t at = w0.n;
    for (size_t k = 0; k < w0.n; k++)
        if (w0.p[k] != w1.p[k]) {
            assert_int_equal(at, w0.n); /* only one */
            at = k;
        }
    assert_true(at < w0.n);
    assert_int_equal(w0.p[0], 3); /* the version, a one-byte varint */
    uint8_t *v2 = malloc(w0.n);
    assert_non_null(v2);
    memcpy(v2, w0.p, at);
    memcpy(v2 + at, w0.p + at + 1, w0.n - at - 1);
    v2[0] = 2;
    TU_OK(restore(&fx2, v2, w0.n - 1, &e2));
    assert_int_equal(tu_ainfo(e2, 1).busy_units_ms, 0);
    assert_int_equal(tu_ainfo(e2, 1).presence, ORCA_PRESENCE_READY);
    TU_OK(orca_engine_check(e2));
    tu_fx_free(&fx2);
    /* versions after 3 and before 2 are refused as another version's */
    v2[0] = 4;
    tu_rc_(restore(&fx2, v2, w0.n - 1, &e2), ORCA_EVERSION, "restore v4", __FILE__, __LINE__);
    v2[0] = 1;
    tu_rc_(restore(&fx2, v2, w0.n - 1, &e2), ORCA_EVERSION, "restore v1", __FILE__, __LINE__);
    free(v2);
    w_free(&w);
    w_free(&w0);
    w_free(&w1);
    tu_fx_free(&fx);
}

int main(void)
{
    tu_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top_down_order),
        cmocka_unit_test(test_top_down_decline_tiers_skills),
        cmocka_unit_test(test_top_down_bad_strategy),
        cmocka_unit_test(test_packing_fills_one_agent),
        cmocka_unit_test(test_packing_rekeys_on_other_work),
        cmocka_unit_test(test_least_busy_order),
        cmocka_unit_test(test_least_busy_counts_work_in_progress),
        cmocka_unit_test(test_least_busy_snapshot_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
