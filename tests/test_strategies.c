/*
 * test_strategies.c: the edges of the strategies the peers route with
 * (issue 15): top-down, packing. The six older strategies are in test_queues.c; the
 * differential test compares every strategy with tests/ref_router.c on
 * random scenarios.
 */
#include "testutil.h"

#include <stdlib.h>

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
    d.strategy = (orca_strategy)(ORCA_STRATEGY_PACKING + 1);
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

int main(void)
{
    tu_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top_down_order),
        cmocka_unit_test(test_top_down_decline_tiers_skills),
        cmocka_unit_test(test_top_down_bad_strategy),
        cmocka_unit_test(test_packing_fills_one_agent),
        cmocka_unit_test(test_packing_rekeys_on_other_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
