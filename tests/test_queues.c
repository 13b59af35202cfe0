/*
 * test_queues.c: orca_queue_add / find / name / info, membership with
 * tiers, every bad input, and queue behaviour: the six strategies, tiers,
 * serving by skills, preferred skills, max_size, max_wait, overflow,
 * routing steps and aging.
 */
#include "testutil.h"

#include <stdlib.h>
#include <unistd.h>

#include <math.h>

static void test_queue_def_init(void **state)
{
    (void)state;
    orca_queue_def d;
    memset(&d, 0x5A, sizeof(d));
    orca_queue_def_init(&d);
    assert_null(d.name);
    assert_int_equal(d.strategy, ORCA_STRATEGY_LONGEST_IDLE);
    assert_true(d.serve == ORCA_SERVE_MEMBERS || d.serve == 0);
    assert_null(d.skills);
    assert_int_equal(d.nskills, 0);
    assert_int_equal(d.skills_tier, 0);
    assert_int_equal(d.max_size, 0);
    assert_int_equal(d.max_wait_ms, 0);
    assert_int_equal(d.aging_ms, 0);
    assert_int_equal(d.aging_max, 0);
    assert_int_equal(d.wrapup_ms, ORCA_WRAPUP_CHANNEL);
    assert_int_equal(d.sla_ms, 0);
    assert_int_equal(d.offer_timeout_ms, 0);
    assert_null(d.steps);
    assert_int_equal(d.nsteps, 0);
    assert_int_equal(d.overflow_after_ms, 0);
    assert_int_equal(d.overflow_to, ORCA_QUEUE_NONE);
}

static void test_queue_add_find_name_info(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    char buf[16];
    strcpy(buf, "sales");
    orca_queue_def d;
    orca_queue_def_init(&d);
    d.name = buf;
    d.strategy = ORCA_STRATEGY_ROUND_ROBIN;
    orca_queue_id q1 = 0;
    size_t from = fx.rec.n;
    TU_OK(orca_queue_add(e, &d, &q1));
    assert_int_equal(q1, 1);
    TU_SEQ(&fx.rec, from, 0, "QUEUE_ADDED");
    assert_int_equal(tu_rec_last(&fx.rec, ORCA_EV_QUEUE_ADDED)->queue, q1);
    strcpy(buf, "XXXXX"); /* copied */
    orca_queue_id q2 = tu_queue(e, "support", ORCA_STRATEGY_LONGEST_IDLE);
    assert_int_equal(q2, 2);

    orca_queue_id f = 0;
    TU_OK(orca_queue_find(e, "sales", &f));
    assert_int_equal(f, q1);
    TU_OK(orca_queue_find(e, "support", &f));
    assert_int_equal(f, q2);
    assert_string_equal(orca_queue_name(e, q1), "sales");
    assert_string_equal(orca_queue_name(e, q2), "support");
    assert_int_equal(tu_counts(e).queues, 2);

    orca_queue_info qi = tu_qinfo(e, q1);
    assert_int_equal(qi.id, q1);
    assert_string_equal(qi.name, "sales");
    assert_int_equal(qi.strategy, ORCA_STRATEGY_ROUND_ROBIN);
    assert_int_equal(qi.waiting, 0);
    assert_int_equal(qi.offered, 0);
    assert_int_equal(qi.members, 0);
    assert_int_equal(qi.oldest_arrival_ms, 0);

    /* Unknown names and ids. */
    f = 77;
    TU_FAILS(e, orca_queue_find(e, "XXXXX", &f), ORCA_ENOENT);
    TU_FAILS(e, orca_queue_find(e, "Sales", &f), ORCA_ENOENT);
    TU_FAILS(e, orca_queue_find(e, NULL, &f), ORCA_EINVAL);
    TU_FAILS(e, orca_queue_find(e, "", &f), ORCA_EINVAL);
    assert_int_equal(f, 77);
    assert_null(orca_queue_name(e, ORCA_QUEUE_NONE));
    assert_null(orca_queue_name(e, 3));
    assert_null(orca_queue_name(e, UINT32_MAX));
    TU_FAILS(e, orca_queue_info_get(e, ORCA_QUEUE_NONE, &qi), ORCA_ENOENT);
    TU_FAILS(e, orca_queue_info_get(e, 3, &qi), ORCA_ENOENT);
    tu_fx_free(&fx);
}

static void test_queue_info_counts(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);
    tu_advance(e, 100);
    tu_enqueue(e, 10, q, ORCA_CHANNEL_VOICE, 0);
    tu_advance(e, 200);
    tu_enqueue(e, 11, q, ORCA_CHANNEL_VOICE, 0);
    tu_advance(e, 300);
    tu_enqueue(e, 12, q, ORCA_CHANNEL_VOICE, 0);
    orca_queue_info qi = tu_qinfo(e, q);
    assert_int_equal(qi.waiting, 3);
    assert_int_equal(qi.offered, 0);
    assert_int_equal(qi.members, 2);
    assert_int_equal(qi.oldest_arrival_ms, 100);
    tu_ready(e, 1); /* takes 10 */
    qi = tu_qinfo(e, q);
    assert_int_equal(qi.waiting, 2);
    assert_int_equal(qi.offered, 1);
    assert_int_equal(qi.oldest_arrival_ms, 200);
    TU_OK(orca_offer_accept(e, 10));
    qi = tu_qinfo(e, q);
    assert_int_equal(qi.waiting, 2);
    assert_int_equal(qi.offered, 0);
    TU_OK(orca_interaction_cancel(e, 11));
    TU_OK(orca_interaction_cancel(e, 12));
    qi = tu_qinfo(e, q);
    assert_int_equal(qi.waiting, 0);
    assert_int_equal(qi.oldest_arrival_ms, 0);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Bad queue definitions                                                    */
/* ------------------------------------------------------------------------ */

static void test_queue_add_bad(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id s = tu_skill(e, "s"), t = tu_skill(e, "t");
    orca_queue_id q1 = tu_queue(e, "existing", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id out = 4242;
    char name[ORCA_NAME_MAX + 2];
    orca_skill_level sk[ORCA_MAX_REQUIRED + 1];
    orca_step st[ORCA_MAX_STEPS + 1];
    orca_queue_def d;
#define RESET() do {                                                        \
        orca_queue_def_init(&d);                                            \
        d.name = "new";                                                     \
        for (uint32_t k_ = 0; k_ <= ORCA_MAX_REQUIRED; k_++) {              \
            sk[k_].skill = s; sk[k_].level = 5;                             \
        }                                                                   \
        sk[1].skill = t;                                                    \
        for (uint32_t k_ = 0; k_ <= ORCA_MAX_STEPS; k_++) {                 \
            st[k_].after_ms = 1000 * (k_ + 1);                              \
            st[k_].action = ORCA_STEP_SET_LEVEL;                            \
            st[k_].skill = s;                                               \
            st[k_].level = 3;                                               \
        }                                                                   \
    } while (0)

    TU_FAILS(e, orca_queue_add(e, NULL, &out), ORCA_EINVAL);
    /* names */
    RESET(); d.name = NULL;
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_EINVAL);
    RESET(); d.name = "";
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_EINVAL);
    RESET(); d.name = tu_name_of_len(name, ORCA_NAME_MAX + 1);
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_ETOOLONG);
    RESET(); d.name = "existing";
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_EEXIST);
    /* strategy, serve */
    RESET(); d.strategy = (orca_strategy)100;
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_EINVAL);
    RESET(); d.strategy = (orca_strategy)-1;
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_EINVAL);
    RESET(); d.serve = 4;
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_EINVAL);
    RESET(); d.serve = ORCA_SERVE_MEMBERS | ORCA_SERVE_SKILLS | 4;
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_EINVAL);
    RESET(); d.serve = 0x80000000u;
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_EINVAL);
    /* serve-by-skills list */
    RESET(); d.serve = ORCA_SERVE_SKILLS; d.skills = sk; d.nskills = 2; sk[1].skill = t + 50;
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_ENOENT);
    RESET(); d.serve = ORCA_SERVE_SKILLS; d.skills = sk; d.nskills = 2; sk[0].level = 0;
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_ERANGE);
    RESET(); d.serve = ORCA_SERVE_SKILLS; d.skills = sk; d.nskills = 2; sk[1].level = 101;
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_ERANGE);
    RESET(); d.serve = ORCA_SERVE_SKILLS; d.skills = NULL; d.nskills = 1;
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_EINVAL);
    RESET(); d.serve = ORCA_SERVE_SKILLS; d.skills = sk; d.nskills = 3; /* s twice */
    TU_FAILS2(e, orca_queue_add(e, &d, &out), ORCA_EINVAL, ORCA_EEXIST);
    RESET(); d.serve = ORCA_SERVE_SKILLS; d.skills = sk; d.nskills = ORCA_MAX_REQUIRED + 1;
    for (uint32_t k = 0; k <= ORCA_MAX_REQUIRED; k++) {
        char kn[8];
        snprintf(kn, sizeof(kn), "k%u", k);
        sk[k].skill = tu_skill(e, kn);
    }
    TU_FAILS2(e, orca_queue_add(e, &d, &out), ORCA_EINVAL, ORCA_ERANGE);
    /* routing steps */
    RESET(); d.steps = st; d.nsteps = 3; st[2].after_ms = 1500; /* 1000, 2000, 1500 */
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_EINVAL);
    RESET(); d.steps = st; d.nsteps = ORCA_MAX_STEPS + 1;
    TU_FAILS2(e, orca_queue_add(e, &d, &out), ORCA_EINVAL, ORCA_ERANGE);
    RESET(); d.steps = NULL; d.nsteps = 1;
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_EINVAL);
    RESET(); d.steps = st; d.nsteps = 2; st[1].skill = t + 50;
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_ENOENT);
    RESET(); d.steps = st; d.nsteps = 2; st[1].action = (orca_step_action)0;
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_EINVAL);
    RESET(); d.steps = st; d.nsteps = 2; st[1].action = (orca_step_action)4;
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_EINVAL);
    RESET(); d.steps = st; d.nsteps = 2; st[0].level = 0;
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_ERANGE);
    RESET(); d.steps = st; d.nsteps = 2; st[0].level = 101;
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_ERANGE);
    /* overflow */
    RESET(); d.overflow_after_ms = 1000; d.overflow_to = 99;
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_ENOENT);
    /* overflow time with no target is a missing argument, not an unknown id
     * (issue 11: this answered ORCA_ENOENT) */
    RESET(); d.overflow_after_ms = 1000; d.overflow_to = ORCA_QUEUE_NONE;
    TU_FAILS(e, orca_queue_add(e, &d, &out), ORCA_EINVAL);
    RESET(); d.overflow_after_ms = 1000; d.overflow_to = q1 + 1; /* itself, to be */
    TU_FAILS2(e, orca_queue_add(e, &d, &out), ORCA_ENOENT, ORCA_EINVAL);
    assert_int_equal(out, 4242);

    /* The edges that are allowed; no id was used up by the failures. */
    RESET();
    d.name = tu_name_of_len(name, ORCA_NAME_MAX);
    d.strategy = ORCA_STRATEGY_WEIGHTED_RANDOM;
    d.serve = ORCA_SERVE_MEMBERS | ORCA_SERVE_SKILLS;
    d.skills = sk;
    d.nskills = 2;
    d.steps = st;
    d.nsteps = ORCA_MAX_STEPS;
    st[1].after_ms = st[0].after_ms; /* equal times are still sorted */
    st[2].action = ORCA_STEP_DROP_REQUIRED;
    st[3].action = ORCA_STEP_DROP_PREFERRED;
    d.overflow_after_ms = 1000;
    d.overflow_to = q1;
    TU_OK(orca_queue_add(e, &d, &out));
    assert_int_equal(out, q1 + 1);
    assert_string_equal(orca_queue_name(e, out), name);
#undef RESET
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Membership                                                               */
/* ------------------------------------------------------------------------ */

static void test_members(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);

    TU_FAILS(e, orca_queue_member_add(e, ORCA_QUEUE_NONE, 1, 0), ORCA_ENOENT);
    TU_FAILS(e, orca_queue_member_add(e, q + 1, 1, 0), ORCA_ENOENT);
    TU_FAILS(e, orca_queue_member_add(e, q, 3, 0), ORCA_ENOENT);
    TU_FAILS(e, orca_queue_member_add(e, q, 1, ORCA_TIER_MAX + 1), ORCA_ERANGE);
    TU_FAILS(e, orca_queue_member_add(e, q, 1, UINT32_MAX), ORCA_ERANGE);

    size_t from = fx.rec.n;
    TU_OK(orca_queue_member_add(e, q, 1, 7));
    TU_SEQ(&fx.rec, from, 0, "MEMBER_ADDED");
    const orca_event *ev = tu_rec_last(&fx.rec, ORCA_EV_MEMBER_ADDED);
    assert_int_equal(ev->agent, 1);
    assert_int_equal(ev->queue, q);
    assert_int_equal(ev->value, 7);
    TU_OK(orca_queue_member_add(e, q, 2, ORCA_TIER_MAX));
    assert_int_equal(tu_qinfo(e, q).members, 2);
    TU_FAILS(e, orca_queue_member_add(e, q, 1, 7), ORCA_EEXIST);
    TU_FAILS(e, orca_queue_member_add(e, q, 1, 3), ORCA_EEXIST);

    TU_FAILS(e, orca_queue_member_remove(e, ORCA_QUEUE_NONE, 1), ORCA_ENOENT);
    TU_FAILS(e, orca_queue_member_remove(e, q + 1, 1), ORCA_ENOENT);
    TU_FAILS(e, orca_queue_member_remove(e, q, 3), ORCA_ENOENT);
    from = fx.rec.n;
    TU_OK(orca_queue_member_remove(e, q, 1));
    TU_SEQ(&fx.rec, from, 0, "MEMBER_REMOVED");
    ev = tu_rec_last(&fx.rec, ORCA_EV_MEMBER_REMOVED);
    assert_int_equal(ev->agent, 1);
    assert_int_equal(ev->queue, q);
    assert_int_equal(tu_qinfo(e, q).members, 1);
    TU_FAILS(e, orca_queue_member_remove(e, q, 1), ORCA_ENOENT); /* not a member now */

    /* No longer a member: not offered that queue's work. */
    tu_ready(e, 1);
    tu_enqueue(e, 10, q, ORCA_CHANNEL_CHAT, 0);
    TU_OFFERED_TO(e, 10, 0);
    /* Becoming a member while READY: offered at once. */
    from = fx.rec.n;
    TU_OK(orca_queue_member_add(e, q, 1, 0));
    TU_SEQ(&fx.rec, from, 0, "MEMBER_ADDED OFFERED");
    TU_OFFERED_TO(e, 10, 1);
    /* Removing a member keeps what it was offered. */
    TU_OK(orca_queue_member_remove(e, q, 1));
    TU_OFFERED_TO(e, 10, 1);
    TU_OK(orca_offer_accept(e, 10));
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Strategies                                                               */
/* ------------------------------------------------------------------------ */

/* Agents 1..n, members of q at tier 0, READY in the order given, 10 ms
 * apart starting at the current clock. */
static void ready_in_order(orca_engine *e, orca_queue_id q, const uint64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tu_advance(e, orca_engine_now(e) + 10);
        tu_ready(e, ids[i]);
    }
    (void)q;
}

static void test_strategy_longest_idle(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    for (uint64_t a = 1; a <= 3; a++) {
        tu_agent(e, a, 100, NULL, 0);
        tu_member(e, q, a, 0);
    }
    const uint64_t order[] = {3, 1, 2};
    ready_in_order(e, q, order, 3);
    tu_enqueue(e, 10, q, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 10, 3);
    tu_enqueue(e, 11, q, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 11, 1);
    tu_enqueue(e, 12, q, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 12, 2);
    /* Finishing work makes an agent the least idle. */
    TU_OK(orca_offer_accept(e, 10));
    tu_advance(e, 1000);
    TU_OK(orca_interaction_end(e, 10));
    TU_OK(orca_interaction_cancel(e, 11));
    TU_OK(orca_interaction_cancel(e, 12));
    tu_enqueue(e, 13, q, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 13, 1); /* 1 idle since 20, 2 since 30, 3 since 1000 */

    /* Equal idle time: lowest id. */
    orca_queue_id q2 = tu_queue(e, "tie", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 9, 100, NULL, 0);
    tu_agent(e, 8, 100, NULL, 0);
    tu_member(e, q2, 9, 0);
    tu_member(e, q2, 8, 0);
    tu_advance(e, 2000);
    tu_ready(e, 9);
    tu_ready(e, 8);
    tu_enqueue(e, 20, q2, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 20, 8);
    tu_fx_free(&fx);
}

/* Agents 1..3 in queue q (the strategy under test); agent 1 also serves
 * side queue qa and agent 2 side queue qb, so a test can load them apart. */
static orca_queue_id three_agents_side_queues(orca_engine *e, orca_strategy strategy,
                                              orca_queue_id *qa, orca_queue_id *qb)
{
    *qa = tu_queue(e, "qa", ORCA_STRATEGY_LONGEST_IDLE);
    *qb = tu_queue(e, "qb", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q = tu_queue(e, "q", strategy);
    for (uint64_t a = 1; a <= 3; a++) {
        tu_agent(e, a, 100, NULL, 0);
        tu_member(e, q, a, 0);
    }
    tu_member(e, *qa, 1, 0);
    tu_member(e, *qb, 2, 0);
    return q;
}

static void test_strategy_least_occupied(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id qa, qb;
    orca_queue_id q = three_agents_side_queues(e, ORCA_STRATEGY_LEAST_OCCUPIED, &qa, &qb);
    const uint64_t order[] = {1, 2, 3};
    ready_in_order(e, q, order, 3);
    tu_enqueue(e, 1, qa, ORCA_CHANNEL_CHAT, 0); /* agent 1: 25 */
    TU_OFFERED_TO(e, 1, 1);
    tu_enqueue(e, 2, qb, ORCA_CHANNEL_EMAIL, 0); /* agent 2: 10 */
    TU_OFFERED_TO(e, 2, 2);
    tu_enqueue(e, 10, q, ORCA_CHANNEL_CHAT, 0);
    TU_OFFERED_TO(e, 10, 3); /* 0 units, though idle the shortest */
    tu_enqueue(e, 11, q, ORCA_CHANNEL_CHAT, 0);
    TU_OFFERED_TO(e, 11, 2); /* 10 < 25, 25 */
    tu_enqueue(e, 12, q, ORCA_CHANNEL_CHAT, 0);
    TU_OFFERED_TO(e, 12, 1); /* 25 = 25 (agent 3): longer idle */
    tu_fx_free(&fx);
}

static void test_strategy_most_proficient(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id s = tu_skill(e, "s"), u = tu_skill(e, "u"), t = tu_skill(e, "t");
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_MOST_PROFICIENT);
    orca_skill_level s3 = {s, 3}, s9 = {s, 9}, s5 = {s, 5};
    tu_agent(e, 1, 100, &s3, 1);
    tu_agent(e, 2, 100, &s9, 1);
    tu_agent(e, 3, 100, &s5, 1);
    for (uint64_t a = 1; a <= 3; a++)
        tu_member(e, q, a, 0);
    const uint64_t order[] = {1, 2, 3};
    ready_in_order(e, q, order, 3);
    orca_skill_level req = {s, 1};
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.queue = q;
    d.channel = ORCA_CHANNEL_VOICE;
    d.required = &req;
    d.nrequired = 1;
    d.id = 10;
    TU_OK(orca_interaction_enqueue(e, &d));
    TU_OFFERED_TO(e, 10, 2);
    d.id = 11;
    TU_OK(orca_interaction_enqueue(e, &d));
    TU_OFFERED_TO(e, 11, 3);
    d.id = 12;
    TU_OK(orca_interaction_enqueue(e, &d));
    TU_OFFERED_TO(e, 12, 1);

    /* The score sums levels over every skill the work names (required and
     * preferred), held at any level. */
    orca_queue_id q2 = tu_queue(e, "q2", ORCA_STRATEGY_MOST_PROFICIENT);
    orca_skill_level a4[2] = {{s, 9}, {u, 1}};  /* 10 */
    orca_skill_level a5[2] = {{s, 5}, {u, 6}};  /* 11 */
    orca_skill_level a6[3] = {{s, 2}, {u, 1}, {t, 9}}; /* 12, t below preferred 10 */
    tu_agent(e, 4, 100, a4, 2);
    tu_agent(e, 5, 100, a5, 2);
    tu_member(e, q2, 4, 0);
    tu_member(e, q2, 5, 0);
    tu_ready(e, 4);
    tu_ready(e, 5);
    orca_skill_level req2[2] = {{s, 1}, {u, 1}};
    orca_skill_level pref2 = {t, 10};
    d.queue = q2;
    d.required = req2;
    d.nrequired = 2;
    d.preferred = &pref2;
    d.npreferred = 1;
    d.id = 20;
    TU_OK(orca_interaction_enqueue(e, &d));
    TU_OFFERED_TO(e, 20, 5);
    TU_OK(orca_interaction_cancel(e, 20));
    tu_agent(e, 6, 100, a6, 3);
    tu_member(e, q2, 6, 0);
    tu_ready(e, 6);
    d.id = 21;
    TU_OK(orca_interaction_enqueue(e, &d));
    TU_OFFERED_TO(e, 21, 6); /* t counts in the score though pref(6) = 0 */
    tu_fx_free(&fx);
}

static void test_strategy_round_robin(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_ROUND_ROBIN);
    for (uint64_t a = 1; a <= 3; a++) {
        tu_agent(e, a, 100, NULL, 0);
        tu_member(e, q, a, 0);
    }
    tu_ready(e, 1);
    tu_ready(e, 2);
    tu_ready(e, 3);
    /* Chats: everyone keeps room, so only the rotation decides. */
    const uint64_t expect[] = {1, 2, 3, 1, 2, 3};
    for (uint64_t i = 0; i < 6; i++) {
        tu_enqueue(e, 10 + i, q, ORCA_CHANNEL_CHAT, 0);
        TU_OFFERED_TO(e, 10 + i, expect[i]);
    }
    /* An offer from another queue counts as the agent's latest offer. */
    orca_queue_id q2 = tu_queue(e, "other", ORCA_STRATEGY_LONGEST_IDLE);
    tu_member(e, q2, 1, 0);
    tu_member(e, q2, 2, 0);
    tu_member(e, q2, 3, 0);
    for (uint64_t i = 10; i < 16; i++)
        TU_OK(orca_interaction_cancel(e, i));
    tu_enqueue(e, 30, q2, ORCA_CHANNEL_EMAIL, 0); /* longest idle: 1 (lowest id) */
    TU_OFFERED_TO(e, 30, 1);
    tu_enqueue(e, 31, q, ORCA_CHANNEL_EMAIL, 0); /* least recently offered: 2 */
    TU_OFFERED_TO(e, 31, 2);
    tu_enqueue(e, 32, q, ORCA_CHANNEL_EMAIL, 0);
    TU_OFFERED_TO(e, 32, 3);
    tu_enqueue(e, 33, q, ORCA_CHANNEL_EMAIL, 0);
    TU_OFFERED_TO(e, 33, 1);
    tu_fx_free(&fx);
}

static void test_strategy_fewest_handled(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id qa, qb;
    orca_queue_id q = three_agents_side_queues(e, ORCA_STRATEGY_FEWEST_HANDLED, &qa, &qb);
    tu_ready(e, 1);
    tu_ready(e, 2);
    uint64_t id = 1;
    for (int k = 0; k < 2; k++) { /* agent 1 handles two */
        tu_advance(e, orca_engine_now(e) + 10);
        tu_enqueue(e, id, qa, ORCA_CHANNEL_VOICE, 0);
        TU_OFFERED_TO(e, id, 1);
        TU_OK(orca_offer_accept(e, id));
        TU_OK(orca_interaction_end(e, id));
        id++;
    }
    tu_advance(e, orca_engine_now(e) + 10);
    tu_enqueue(e, id, qb, ORCA_CHANNEL_VOICE, 0); /* agent 2 handles one */
    TU_OFFERED_TO(e, id, 2);
    TU_OK(orca_offer_accept(e, id));
    TU_OK(orca_interaction_end(e, id));
    /* a rejected offer is not handled */
    tu_enqueue(e, 99, qb, ORCA_CHANNEL_VOICE, 0);
    TU_OK(orca_offer_reject(e, 99));
    TU_OK(orca_interaction_cancel(e, 99));
    tu_advance(e, orca_engine_now(e) + 10);
    tu_ready(e, 3); /* idle the shortest, handled none */
    assert_int_equal(tu_ainfo(e, 1).handled, 2);
    assert_int_equal(tu_ainfo(e, 2).handled, 1);
    assert_int_equal(tu_ainfo(e, 3).handled, 0);

    tu_enqueue(e, 10, q, ORCA_CHANNEL_CHAT, 0);
    TU_OFFERED_TO(e, 10, 3);
    TU_OK(orca_offer_accept(e, 10));
    tu_enqueue(e, 11, q, ORCA_CHANNEL_CHAT, 0);
    TU_OFFERED_TO(e, 11, 2); /* 1 = 1 (agent 3): 2 idle longer */
    tu_enqueue(e, 12, q, ORCA_CHANNEL_CHAT, 0);
    TU_OFFERED_TO(e, 12, 2); /* offered, not accepted: still 1 */
    tu_fx_free(&fx);
}

/* DESIGN.md's weighted random, computed here independently. */
static uint64_t ref_splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t ref_draw(uint64_t *s, uint32_t w)
{
    uint64_t x = ref_splitmix(s);
    double u = (double)((x >> 11) + 1) * (1.0 / 9007199254740992.0);
    return (uint64_t)(-log(u) * 1e6 / w);
}

/* Offer n voice calls in q, accepting and ending each; return the winners. */
static void wr_run(orca_engine *e, orca_queue_id q, uint64_t first_id, int n, uint64_t *win)
{
    for (int k = 0; k < n; k++) {
        uint64_t id = first_id + (uint64_t)k;
        tu_enqueue(e, id, q, ORCA_CHANNEL_VOICE, 0);
        orca_interaction_info i = tu_info(e, id);
        assert_int_equal(i.state, ORCA_STATE_OFFERED);
        win[k] = i.agent;
        TU_OK(orca_offer_accept(e, id));
        TU_OK(orca_interaction_end(e, id));
    }
}

static void test_strategy_weighted_random_exact(void **state)
{
    (void)state;
    enum { N = 40 };
    const uint64_t seed = 12345;
    const uint32_t w[3] = {1, 3, 6};
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.seed = seed;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, &cfg);
    orca_queue_id q = tu_queue(e, "wr", ORCA_STRATEGY_WEIGHTED_RANDOM);
    for (uint64_t a = 1; a <= 3; a++) {
        orca_agent_def d;
        tu_agent_def(&d, a, 100, NULL, 0);
        d.weight = w[a - 1];
        TU_OK(orca_agent_add(e, &d));
        tu_member(e, q, a, 0);
        tu_ready(e, a);
    }
    uint64_t win[N];
    wr_run(e, q, 100, N, win);

    /* The same, by the book. */
    uint64_t rng = seed, clock = 0, key[3];
    for (int a = 0; a < 3; a++)
        key[a] = clock + ref_draw(&rng, w[a]);
    int mismatch = -1;
    for (int k = 0; k < N; k++) {
        int best = 0;
        for (int a = 1; a < 3; a++)
            if (key[a] < key[best])
                best = a; /* idle ties are practically impossible here */
        if ((uint64_t)(best + 1) != win[k] && mismatch < 0)
            mismatch = k;
        clock = key[best];
        key[best] += ref_draw(&rng, w[best]);
    }
    if (mismatch >= 0)
        fail_msg("weighted random: offer %d went to agent %llu, DESIGN.md's exponential "
                 "race (splitmix64 seeded with cfg.seed) says another", mismatch,
                 (unsigned long long)win[mismatch]);
    (void)clock;
    tu_fx_free(&fx);
}

static void test_strategy_weighted_random_proportions(void **state)
{
    (void)state;
    enum { N = 1000 };
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.seed = 99;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, &cfg);
    orca_queue_id q = tu_queue(e, "wr", ORCA_STRATEGY_WEIGHTED_RANDOM);
    orca_agent_def d;
    tu_agent_def(&d, 1, 100, NULL, 0);
    d.weight = 1;
    TU_OK(orca_agent_add(e, &d));
    tu_agent_def(&d, 2, 100, NULL, 0);
    d.weight = 9;
    TU_OK(orca_agent_add(e, &d));
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);
    tu_ready(e, 1);
    tu_ready(e, 2);
    static uint64_t win[N];
    wr_run(e, q, 1, N, win);
    int heavy = 0;
    for (int k = 0; k < N; k++)
        heavy += win[k] == 2;
    if (heavy < 850 || heavy > 950)
        fail_msg("weight 9 vs 1 won %d of %d offers, expected about 900", heavy, N);

    /* Same seed, same choices. */
    tu_fx fx2;
    orca_engine *e2 = tu_fx_new(&fx2, &cfg);
    q = tu_queue(e2, "wr", ORCA_STRATEGY_WEIGHTED_RANDOM);
    tu_agent_def(&d, 1, 100, NULL, 0);
    d.weight = 1;
    TU_OK(orca_agent_add(e2, &d));
    tu_agent_def(&d, 2, 100, NULL, 0);
    d.weight = 9;
    TU_OK(orca_agent_add(e2, &d));
    tu_member(e2, q, 1, 0);
    tu_member(e2, q, 2, 0);
    tu_ready(e2, 1);
    tu_ready(e2, 2);
    static uint64_t win2[N];
    wr_run(e2, q, 1, N, win2);
    assert_memory_equal(win, win2, sizeof(win));
    tu_fx_free(&fx2);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Tiers, preferred skills, serving by skills                               */
/* ------------------------------------------------------------------------ */

static void test_tiers(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id t = tu_skill(e, "t");
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_skill_level t5 = {t, 5};
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_agent(e, 3, 100, &t5, 1);
    tu_member(e, q, 1, 1);
    tu_member(e, q, 2, 0);
    tu_member(e, q, 3, 2);
    const uint64_t order[] = {1, 3, 2}; /* 2 idle the shortest */
    ready_in_order(e, q, order, 3);
    /* preferred t, but tier comes first */
    orca_skill_level pref = {t, 1};
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.queue = q;
    d.channel = ORCA_CHANNEL_VOICE;
    d.preferred = &pref;
    d.npreferred = 1;
    for (uint64_t id = 10; id <= 13; id++) {
        d.id = id;
        TU_OK(orca_interaction_enqueue(e, &d));
    }
    TU_OFFERED_TO(e, 10, 2); /* tier 0 */
    TU_OFFERED_TO(e, 11, 1); /* tier 1 */
    TU_OFFERED_TO(e, 12, 3); /* tier 2 */
    TU_OFFERED_TO(e, 13, 0);
    /* freed tier-0 capacity takes the waiting work */
    TU_OK(orca_interaction_cancel(e, 10));
    TU_OFFERED_TO(e, 13, 2);
    tu_fx_free(&fx);
}

static void test_preferred_before_strategy(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id t = tu_skill(e, "t"), v = tu_skill(e, "v");
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_skill_level t4 = {t, 4}, t5 = {t, 5};
    orca_skill_level tv[2] = {{t, 5}, {v, 5}};
    tu_agent(e, 1, 100, NULL, 0); /* idle longest */
    tu_agent(e, 2, 100, &t4, 1);  /* holds t, below the preferred level */
    tu_agent(e, 3, 100, &t5, 1);
    tu_agent(e, 4, 100, tv, 2);   /* idle shortest, both preferred */
    for (uint64_t a = 1; a <= 4; a++)
        tu_member(e, q, a, 0);
    const uint64_t order[] = {1, 2, 3, 4};
    ready_in_order(e, q, order, 4);
    orca_skill_level pref[2] = {{t, 5}, {v, 5}};
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.queue = q;
    d.channel = ORCA_CHANNEL_VOICE;
    d.preferred = pref;
    d.npreferred = 2;
    for (uint64_t id = 10; id <= 13; id++) {
        d.id = id;
        TU_OK(orca_interaction_enqueue(e, &d));
    }
    TU_OFFERED_TO(e, 10, 4); /* pref 2 */
    TU_OFFERED_TO(e, 11, 3); /* pref 1 */
    TU_OFFERED_TO(e, 12, 1); /* pref 0: longest idle */
    TU_OFFERED_TO(e, 13, 2);
    tu_fx_free(&fx);
}

static void test_serve_by_skills(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id s = tu_skill(e, "s");
    orca_skill_level need = {s, 5};
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "skills-only";
    qd.serve = ORCA_SERVE_SKILLS;
    qd.skills = &need;
    qd.nskills = 1;
    orca_queue_id qs = tu_queue_def(e, &qd);
    orca_skill_level s7 = {s, 7}, s3 = {s, 3};
    tu_agent(e, 1, 100, &s7, 1); /* serves by skill */
    tu_agent(e, 2, 100, &s3, 1); /* level too low */
    tu_agent(e, 3, 100, NULL, 0);
    tu_member(e, qs, 3, 0);      /* a member, but members do not serve */
    const uint64_t order[] = {3, 2, 1};
    ready_in_order(e, qs, order, 3);
    tu_enqueue(e, 10, qs, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 10, 1);
    tu_enqueue(e, 11, qs, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 11, 0);
    /* gaining the skill (update) makes agent 2 serve the queue */
    orca_agent_def d;
    orca_skill_level s5 = {s, 5};
    tu_agent_def(&d, 2, 100, &s5, 1);
    TU_OK(orca_agent_update(e, &d));
    TU_OFFERED_TO(e, 11, 2);

    /* Members and skills, with skills_tier between member tiers; a member
     * holding the skills keeps its member tier. */
    qd.name = "both";
    qd.serve = ORCA_SERVE_MEMBERS | ORCA_SERVE_SKILLS;
    qd.skills_tier = 5;
    qd.nskills = 1;
    orca_queue_id qb = tu_queue_def(e, &qd);
    tu_agent(e, 4, 100, NULL, 0);
    tu_agent(e, 5, 100, &s7, 1);
    tu_agent(e, 6, 100, NULL, 0);
    tu_agent(e, 7, 100, &s7, 1);
    tu_member(e, qb, 4, 2);
    tu_member(e, qb, 5, 9);
    tu_member(e, qb, 6, 10);
    const uint64_t order2[] = {6, 5, 4, 7};
    ready_in_order(e, qb, order2, 4);
    TU_OK(orca_interaction_cancel(e, 10)); /* agent 1 free again: skills, tier 5 */
    TU_OK(orca_interaction_cancel(e, 11)); /* agent 2 too */
    const uint64_t expect[] = {4, 2, 1, 7, 5, 6};
    /* 4 (tier 2); 2, 1, 7 (skills: tier 5, idle since 20, 30, 70); 5 (9); 6 (10) */
    for (uint64_t k = 0; k < 6; k++) {
        tu_enqueue(e, 20 + k, qb, ORCA_CHANNEL_VOICE, 0);
        TU_OFFERED_TO(e, 20 + k, expect[k]);
    }
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* max_size, max_wait, overflow                                             */
/* ------------------------------------------------------------------------ */

static void test_max_size(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "small";
    qd.max_size = 2;
    orca_queue_id q = tu_queue_def(e, &qd);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    tu_enqueue(e, 1, q, ORCA_CHANNEL_VOICE, 0); /* offered */
    tu_enqueue(e, 2, q, ORCA_CHANNEL_VOICE, 0); /* waiting */
    orca_counts before = tu_counts(e);
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 3;
    d.queue = q;
    d.channel = ORCA_CHANNEL_VOICE;
    d.customer = 77;
    d.priority = 200; /* priority does not get past a full queue */
    size_t from = fx.rec.n;
    TU_RC(orca_interaction_enqueue(e, &d), ORCA_EFULL);
    TU_SEQ(&fx.rec, from, 0, "REJECTED_FULL");
    const orca_event *ev = tu_rec_last(&fx.rec, ORCA_EV_REJECTED_FULL);
    assert_int_equal(ev->interaction, 3);
    assert_int_equal(ev->queue, q);
    assert_int_equal(ev->customer, 77);
    /* nothing kept */
    assert_int_equal(tu_state(e, 3), 0);
    orca_counts after = tu_counts(e);
    assert_int_equal(after.interactions, before.interactions);
    assert_int_equal(after.waiting, before.waiting);
    assert_int_equal(after.events, before.events + 1);
    orca_queue_info qi = tu_qinfo(e, q);
    assert_int_equal(qi.waiting, 1);
    assert_int_equal(qi.offered, 1);
    /* accepted work no longer counts: room again, for the same id */
    TU_OK(orca_offer_accept(e, 1));
    TU_OK(orca_interaction_enqueue(e, &d));
    assert_int_equal(tu_state(e, 3), ORCA_STATE_WAITING);
    TU_RC(orca_interaction_enqueue(e, &d), ORCA_EEXIST); /* duplicate beats full */
    tu_fx_free(&fx);
}

static void test_max_wait(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "q";
    qd.max_wait_ms = 5000;
    orca_queue_id q = tu_queue_def(e, &qd);
    tu_advance(e, 1000);
    tu_enqueue(e, 1, q, ORCA_CHANNEL_CHAT, 3);
    tu_advance(e, 5999);
    assert_int_equal(tu_state(e, 1), ORCA_STATE_WAITING);
    size_t from = fx.rec.n;
    tu_advance(e, 9000);
    TU_SEQ(&fx.rec, from, 0, "TIMED_OUT");
    const orca_event *ev = tu_rec_last(&fx.rec, ORCA_EV_TIMED_OUT);
    assert_int_equal(ev->interaction, 1);
    assert_int_equal(ev->queue, q);
    assert_int_equal(ev->time_ms, 6000);
    assert_int_equal(ev->wait_ms, 5000);
    assert_int_equal(ev->arrival_ms, 1000);
    assert_int_equal(tu_state(e, 1), 0);
    assert_int_equal(tu_qinfo(e, q).waiting, 0);
    assert_int_equal(tu_counts(e).interactions, 0);
    /* the id is free again */
    tu_enqueue(e, 1, q, ORCA_CHANNEL_CHAT, 0);
    tu_fx_free(&fx);
}

static void test_overflow(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "target";
    qd.max_size = 1;
    orca_queue_id q2 = tu_queue_def(e, &qd);
    orca_queue_def_init(&qd);
    qd.name = "first";
    qd.overflow_after_ms = 5000;
    qd.overflow_to = q2;
    orca_queue_id q1 = tu_queue_def(e, &qd);
    orca_channel_limit lim = {ORCA_CHANNEL_VOICE, 1};
    orca_agent_def ad;
    orca_agent_def_init(&ad);
    ad.id = 1;
    ad.limits = &lim;
    ad.nlimits = 1;
    TU_OK(orca_agent_add(e, &ad));
    tu_member(e, q2, 1, 0);
    tu_ready(e, 1);
    tu_enqueue(e, 50, q2, ORCA_CHANNEL_SMS, 0); /* q2 full; agent 1 takes no sms */

    tu_advance(e, 1000);
    tu_enqueue(e, 10, q1, ORCA_CHANNEL_VOICE, 0);
    tu_advance(e, 5999);
    assert_int_equal(tu_info(e, 10).queue, q1);
    size_t from = fx.rec.n;
    tu_advance(e, 6000);
    TU_SEQ(&fx.rec, from, 10, "OVERFLOWED OFFERED");
    const orca_event *ev = tu_rec_last(&fx.rec, ORCA_EV_OVERFLOWED);
    assert_int_equal(ev->queue_from, q1);
    assert_int_equal(ev->queue, q2);
    assert_int_equal(ev->time_ms, 6000);
    orca_interaction_info i = tu_info(e, 10);
    assert_int_equal(i.state, ORCA_STATE_OFFERED);
    assert_int_equal(i.agent, 1);
    assert_int_equal(i.queue, q2);
    assert_int_equal(i.arrival_ms, 1000); /* kept */
    assert_int_equal(i.queued_ms, 6000);
    assert_int_equal(tu_qinfo(e, q1).waiting, 0);
    assert_int_equal(tu_qinfo(e, q2).offered, 1);
    assert_int_equal(tu_qinfo(e, q2).waiting, 1);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* Overflow restarts the routing steps from the original requirements. */
static void test_overflow_restarts_steps(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id vip = tu_skill(e, "vip");
    orca_queue_id q2 = tu_queue(e, "target", ORCA_STRATEGY_LONGEST_IDLE);
    orca_step st = {1000, ORCA_STEP_DROP_REQUIRED, vip, 0};
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "first";
    qd.steps = &st;
    qd.nsteps = 1;
    qd.overflow_after_ms = 3000;
    qd.overflow_to = q2;
    orca_queue_id q1 = tu_queue_def(e, &qd);
    tu_agent(e, 1, 100, NULL, 0); /* no vip */
    tu_member(e, q2, 1, 0);
    tu_ready(e, 1);
    orca_skill_level req = {vip, 2};
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 10;
    d.queue = q1;
    d.channel = ORCA_CHANNEL_VOICE;
    d.required = &req;
    d.nrequired = 1;
    TU_OK(orca_interaction_enqueue(e, &d));
    tu_advance(e, 2000);
    orca_interaction_info i = tu_info(e, 10);
    assert_int_equal(i.step, 1);
    assert_int_equal(i.nrequired, 0);
    tu_advance(e, 3000);
    i = tu_info(e, 10);
    assert_int_equal(i.queue, q2);
    assert_int_equal(i.state, ORCA_STATE_WAITING); /* vip is required again */
    assert_int_equal(i.step, 0);
    assert_int_equal(i.nrequired, 1);
    assert_int_equal(i.required[0].skill, vip);
    assert_int_equal(i.required[0].level, 2);
    tu_fx_free(&fx);
}


/* Timers that fell due while the work was OFFERED act when it comes back:
 * max wait, overflow and steps are checked again on reject. */
static void test_due_while_offered(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id s = tu_skill(e, "s");
    orca_queue_id q2 = tu_queue(e, "target", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "maxwait";
    qd.max_wait_ms = 5000;
    orca_queue_id qw = tu_queue_def(e, &qd);
    orca_queue_def_init(&qd);
    qd.name = "overflow";
    qd.overflow_after_ms = 5000;
    qd.overflow_to = q2;
    orca_queue_id qo = tu_queue_def(e, &qd);
    orca_step st = {1000, ORCA_STEP_SET_LEVEL, s, 2};
    orca_queue_def_init(&qd);
    qd.name = "steps";
    qd.steps = &st;
    qd.nsteps = 1;
    orca_queue_id qs = tu_queue_def(e, &qd);
    orca_skill_level s9 = {s, 9};
    tu_agent(e, 1, ORCA_CAPACITY_MAX, &s9, 1);
    tu_member(e, qw, 1, 0);
    tu_member(e, qo, 1, 0);
    tu_member(e, qs, 1, 0);
    tu_ready(e, 1);
    tu_enqueue(e, 1, qw, ORCA_CHANNEL_CHAT, 0);
    tu_enqueue(e, 2, qo, ORCA_CHANNEL_CHAT, 0);
    orca_skill_level req = {s, 8};
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 3;
    d.queue = qs;
    d.channel = ORCA_CHANNEL_CHAT;
    d.required = &req;
    d.nrequired = 1;
    TU_OK(orca_interaction_enqueue(e, &d));
    TU_OFFERED_TO(e, 1, 1);
    TU_OFFERED_TO(e, 2, 1);
    TU_OFFERED_TO(e, 3, 1);
    tu_advance(e, 6000); /* nothing happens to offered work */
    assert_int_equal(tu_rec_count(&fx.rec, ORCA_EV_TIMED_OUT), 0);
    assert_int_equal(tu_rec_count(&fx.rec, ORCA_EV_OVERFLOWED), 0);
    assert_int_equal(tu_rec_count(&fx.rec, ORCA_EV_STEP), 0);

    size_t from = fx.rec.n;
    TU_OK(orca_offer_reject(e, 1));
    TU_SEQ(&fx.rec, from, 1, "REJECTED TIMED_OUT");
    assert_int_equal(tu_state(e, 1), 0);
    assert_int_equal(tu_rec_last(&fx.rec, ORCA_EV_TIMED_OUT)->wait_ms, 6000);

    from = fx.rec.n;
    TU_OK(orca_offer_reject(e, 2));
    TU_SEQ(&fx.rec, from, 2, "REJECTED OVERFLOWED");
    orca_interaction_info i = tu_info(e, 2);
    assert_int_equal(i.queue, q2);
    assert_int_equal(i.state, ORCA_STATE_WAITING); /* agent 1 is excluded; not a member anyway */
    assert_int_equal(i.queued_ms, 6000);

    from = fx.rec.n;
    TU_OK(orca_offer_reject(e, 3));
    TU_SEQ(&fx.rec, from, 3, "REJECTED STEP");
    i = tu_info(e, 3);
    assert_int_equal(i.step, 1);
    assert_int_equal(i.required[0].level, 2);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Routing steps                                                            */
/* ------------------------------------------------------------------------ */

static void test_steps_relax_then_drop(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id s = tu_skill(e, "s");
    orca_step st[2] = {{1000, ORCA_STEP_SET_LEVEL, s, 3},
                       {2000, ORCA_STEP_DROP_REQUIRED, s, 0}};
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "q";
    qd.steps = st;
    qd.nsteps = 2;
    orca_queue_id q = tu_queue_def(e, &qd);
    orca_skill_level s5 = {s, 5};
    tu_agent(e, 1, 100, &s5, 1);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);
    tu_ready(e, 1);
    tu_ready(e, 2);
    orca_skill_level req = {s, 8};
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 10;
    d.queue = q;
    d.channel = ORCA_CHANNEL_VOICE;
    d.required = &req;
    d.nrequired = 1;
    TU_OK(orca_interaction_enqueue(e, &d));
    TU_OFFERED_TO(e, 10, 0);
    uint64_t dl;
    TU_OK(orca_engine_next_deadline(e, &dl));
    assert_int_equal(dl, 1000);
    tu_advance(e, 999);
    TU_OFFERED_TO(e, 10, 0);
    size_t from = fx.rec.n;
    tu_advance(e, 1000);
    TU_SEQ(&fx.rec, from, 10, "STEP OFFERED");
    const orca_event *ev = tu_rec_last(&fx.rec, ORCA_EV_STEP);
    assert_int_equal(ev->value, 1);
    assert_int_equal(ev->time_ms, 1000);
    TU_OFFERED_TO(e, 10, 1); /* s >= 3 now: agent 1 (level 5) */
    orca_interaction_info i = tu_info(e, 10);
    assert_int_equal(i.step, 1);
    assert_int_equal(i.nrequired, 1);
    assert_int_equal(i.required[0].skill, s);
    assert_int_equal(i.required[0].level, 3);
    assert_int_equal(i.arrival_ms, 0);

    tu_advance(e, 1500);
    TU_OK(orca_offer_reject(e, 10)); /* agent 1 excluded for 30 s */
    TU_OFFERED_TO(e, 10, 0);
    from = fx.rec.n;
    tu_advance(e, 2000);
    TU_SEQ(&fx.rec, from, 10, "STEP OFFERED");
    assert_int_equal(tu_rec_last(&fx.rec, ORCA_EV_STEP)->value, 2);
    TU_OFFERED_TO(e, 10, 2); /* no requirement left */
    i = tu_info(e, 10);
    assert_int_equal(i.step, 2);
    assert_int_equal(i.nrequired, 0);
    assert_int_equal(i.arrival_ms, 0);
    assert_int_equal(i.queued_ms, 0);
    tu_fx_free(&fx);
}

static void test_steps_every_kind(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id s = tu_skill(e, "s"), u = tu_skill(e, "u"), other = tu_skill(e, "other"),
                  p = tu_skill(e, "p");
    orca_step st[4] = {{1000, ORCA_STEP_DROP_PREFERRED, p, 0},
                       {2000, ORCA_STEP_DROP_REQUIRED, other, 0}, /* not in the list */
                       {3000, ORCA_STEP_DROP_REQUIRED, u, 0},
                       {4000, ORCA_STEP_SET_LEVEL, s, 3}};
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "q";
    qd.steps = st;
    qd.nsteps = 4;
    orca_queue_id q = tu_queue_def(e, &qd);
    /* Both agents can take it once s >= 3; agent 1 holds the preferred p,
     * agent 2 has been idle longer. */
    orca_skill_level a1[3] = {{s, 3}, {u, 1}, {p, 9}};
    orca_skill_level a2[2] = {{s, 3}, {u, 1}};
    tu_agent(e, 1, 100, a1, 3);
    tu_agent(e, 2, 100, a2, 2);
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);
    tu_ready(e, 2);
    tu_advance(e, 10);
    tu_ready(e, 1);
    orca_skill_level req[2] = {{s, 8}, {u, 1}};
    orca_skill_level pref = {p, 4};
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 10;
    d.queue = q;
    d.channel = ORCA_CHANNEL_CHAT;
    d.required = req;
    d.nrequired = 2;
    d.preferred = &pref;
    d.npreferred = 1;
    TU_OK(orca_interaction_enqueue(e, &d));
    tu_advance(e, 4009);
    TU_OFFERED_TO(e, 10, 0);
    orca_interaction_info i = tu_info(e, 10);
    assert_int_equal(i.step, 3);
    assert_int_equal(i.nrequired, 1); /* u dropped, "other" changed nothing */
    assert_int_equal(i.required[0].skill, s);
    assert_int_equal(i.required[0].level, 8);
    tu_advance(e, 4010);
    assert_int_equal(tu_rec_count(&fx.rec, ORCA_EV_STEP), 4);
    for (size_t k = 0; k < 4; k++) {
        const orca_event *ev = tu_rec_nth(&fx.rec, ORCA_EV_STEP, k);
        assert_int_equal(ev->value, k + 1);
        assert_int_equal(ev->time_ms, 10 + 1000 * (k + 1));
        assert_int_equal(ev->interaction, 10);
    }
    i = tu_info(e, 10);
    assert_int_equal(i.step, 4);
    assert_int_equal(i.nrequired, 1);
    assert_int_equal(i.required[0].skill, s);
    assert_int_equal(i.required[0].level, 3);
    /* p is no longer preferred: longest idle decides */
    TU_OFFERED_TO(e, 10, 2);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Aging                                                                    */
/* ------------------------------------------------------------------------ */

static void test_aging(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "aging";
    qd.aging_ms = 1000;
    qd.aging_max = 10;
    orca_queue_id q = tu_queue_def(e, &qd);
    orca_queue_id flat = tu_queue(e, "flat", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, flat, 2, 0);

    tu_enqueue(e, 1, q, ORCA_CHANNEL_VOICE, 0);     /* low, ages */
    tu_enqueue(e, 2, q, ORCA_CHANNEL_VOICE, 12);    /* at/above aging_max: never ages */
    tu_enqueue(e, 20, flat, ORCA_CHANNEL_VOICE, 0); /* no aging queue */
    tu_advance(e, 6000);
    tu_enqueue(e, 3, q, ORCA_CHANNEL_VOICE, 5);     /* high, fresh */
    tu_enqueue(e, 21, flat, ORCA_CHANNEL_VOICE, 5);

    orca_interaction_info i1 = tu_info(e, 1);
    assert_int_equal(i1.priority, 0);
    assert_int_equal(i1.effective_priority, 6);
    assert_int_equal(tu_info(e, 2).effective_priority, 12);
    assert_int_equal(tu_info(e, 3).effective_priority, 5);
    assert_int_equal(tu_info(e, 20).effective_priority, 0);
    /* PRIORITY events 1..6 for interaction 1, at each step */
    size_t n = 0;
    for (size_t k = 0; k < fx.rec.n; k++) {
        const orca_event *ev = &fx.rec.ev[k];
        if (ev->type != ORCA_EV_PRIORITY)
            continue;
        assert_int_equal(ev->interaction, 1);
        n++;
        assert_int_equal(ev->value, n);
        assert_int_equal(ev->time_ms, 1000 * n);
    }
    assert_int_equal(n, 6);

    /* The agent takes 2 (12), then 1 (aged to 6) before 3 (5). */
    tu_ready(e, 1);
    TU_OFFERED_TO(e, 2, 1);
    TU_OK(orca_offer_accept(e, 2));
    TU_OK(orca_interaction_end(e, 2));
    TU_OFFERED_TO(e, 1, 1);
    TU_OFFERED_TO(e, 3, 0);
    /* Without aging the higher priority goes first. */
    tu_ready(e, 2);
    TU_OFFERED_TO(e, 21, 2);
    TU_OFFERED_TO(e, 20, 0);

    /* Aging stops at aging_max. */
    TU_OK(orca_offer_accept(e, 1)); /* no offer timeouts from here on */
    TU_OK(orca_offer_accept(e, 21));
    tu_advance(e, 20000);
    assert_int_equal(tu_info(e, 3).effective_priority, 10);
    assert_int_equal(tu_info(e, 3).priority, 5);
    size_t prio_events = tu_rec_count(&fx.rec, ORCA_EV_PRIORITY);
    tu_advance(e, 30000);
    assert_int_equal(tu_rec_count(&fx.rec, ORCA_EV_PRIORITY), prio_events);
    assert_int_equal(tu_info(e, 3).effective_priority, 10);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Queue wrap-up and offer timeout                                          */
/* ------------------------------------------------------------------------ */

static void test_queue_wrapup_and_timeout(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    TU_OK(orca_channel_set_wrapup(e, ORCA_CHANNEL_VOICE, 5000));
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "nowrap";
    qd.wrapup_ms = 0;
    qd.offer_timeout_ms = 3000;
    orca_queue_id q0 = tu_queue_def(e, &qd);
    qd.name = "wrap700";
    qd.wrapup_ms = 700;
    qd.offer_timeout_ms = 0;
    orca_queue_id q7 = tu_queue_def(e, &qd);
    orca_queue_id qc = tu_queue(e, "channel", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q0, 1, 0);
    tu_member(e, q7, 1, 0);
    tu_member(e, qc, 1, 0);
    tu_ready(e, 1);

    tu_enqueue(e, 1, q0, ORCA_CHANNEL_VOICE, 0);
    uint64_t dl;
    TU_OK(orca_engine_next_deadline(e, &dl));
    assert_int_equal(dl, 3000); /* the queue's offer timeout */
    TU_OK(orca_offer_accept(e, 1));
    TU_OK(orca_interaction_end(e, 1));
    assert_int_equal(tu_state(e, 1), 0); /* queue says no wrap-up */

    tu_enqueue(e, 2, q7, ORCA_CHANNEL_VOICE, 0);
    TU_OK(orca_engine_next_deadline(e, &dl));
    assert_int_equal(dl, 20000); /* the engine's */
    TU_OK(orca_offer_accept(e, 2));
    TU_OK(orca_interaction_end(e, 2));
    assert_int_equal(tu_state(e, 2), ORCA_STATE_WRAPUP);
    TU_OK(orca_engine_next_deadline(e, &dl));
    assert_int_equal(dl, 700);
    tu_advance(e, 700);
    assert_int_equal(tu_state(e, 2), 0);

    tu_enqueue(e, 3, qc, ORCA_CHANNEL_VOICE, 0);
    TU_OK(orca_offer_accept(e, 3));
    TU_OK(orca_interaction_end(e, 3));
    TU_OK(orca_engine_next_deadline(e, &dl));
    assert_int_equal(dl, 5700); /* the channel's */
    tu_fx_free(&fx);
}

/* orca_queue_update: settings change live and from now on; how the queue
 * routes cannot; every refusal leaves the engine as it was; a replay of
 * the journal comes back with the new settings. */
static void test_queue_update(void **state)
{
    (void)state;
    tu_fx fx;
    char path[] = "/tmp/orca-qupdate-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_journal_config jc = { .sync = ORCA_SYNC_NEVER };
    TU_OK(orca_journal_open(e, path, &jc));
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "q";
    qd.max_size = 2;
    qd.wrapup_ms = 0;
    qd.offer_timeout_ms = 3000;
    orca_queue_id q = tu_queue_def(e, &qd);
    qd.name = "other";
    orca_queue_id other = tu_queue_def(e, &qd);
    qd.name = "q";
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_enqueue(e, 1, q, ORCA_CHANNEL_VOICE, 0);
    tu_enqueue(e, 2, q, ORCA_CHANNEL_VOICE, 0);
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 3, d.queue = q, d.channel = ORCA_CHANNEL_VOICE;
    TU_RC(orca_interaction_enqueue(e, &d), ORCA_EFULL);

    /* Refused, each changing nothing. */
    orca_queue_def bad = qd;
    bad.max_size = 3;
    TU_FAILS(e, orca_queue_update(NULL, q, &bad), ORCA_EINVAL);
    TU_FAILS(e, orca_queue_update(e, q, NULL), ORCA_EINVAL);
    TU_FAILS(e, orca_queue_update(e, 99, &bad), ORCA_ENOENT);
    bad.name = "other";
    TU_FAILS(e, orca_queue_update(e, q, &bad), ORCA_EINVAL);
    bad.name = "q";
    bad.strategy = ORCA_STRATEGY_ROUND_ROBIN;
    TU_FAILS(e, orca_queue_update(e, q, &bad), ORCA_EINVAL);
    bad.strategy = qd.strategy;
    bad.aging_ms = 1000;
    TU_FAILS(e, orca_queue_update(e, q, &bad), ORCA_EINVAL);
    bad.aging_ms = 0;
    bad.overflow_after_ms = 1000;
    bad.overflow_to = other;
    TU_FAILS(e, orca_queue_update(e, q, &bad), ORCA_EINVAL); /* overflow: plans */
    bad.overflow_after_ms = 0;
    bad.overflow_to = 0;
    bad.max_wait_ms = 60000;
    TU_FAILS(e, orca_queue_update(e, q, &bad), ORCA_EINVAL); /* live deadlines */
    bad.max_wait_ms = 0;
    bad.offer_timeout_ms = 9000;
    TU_FAILS(e, orca_queue_update(e, q, &bad), ORCA_EINVAL);
    TU_RC(orca_interaction_enqueue(e, &d), ORCA_EFULL);

    /* Room for one more, and a wrap-up after the next call. */
    orca_queue_def up = qd;
    up.max_size = 3;
    up.wrapup_ms = 700;
    up.serve = 0; /* the default, as the queue has it */
    TU_OK(orca_queue_update(e, q, &up));
    TU_OK(orca_interaction_enqueue(e, &d));
    d.id = 4;
    TU_RC(orca_interaction_enqueue(e, &d), ORCA_EFULL);
    tu_ready(e, 1);
    TU_OK(orca_offer_accept(e, 1));
    TU_OK(orca_interaction_end(e, 1));
    assert_int_equal(tu_state(e, 1), ORCA_STATE_WRAPUP); /* 0 before the update */
    uint64_t dl;
    TU_OK(orca_engine_next_deadline(e, &dl));
    assert_int_equal(dl, orca_engine_now(e) + 700);
    TU_OK(orca_journal_close(e));

    /* The journal plays it back: the replayed queue holds 3 (at 2 the
     * enqueue of 4 would be refused). */
    orca_config c;
    orca_engine *b = NULL;
    orca_journal_info ji;
    TU_OK(orca_journal_read_config(path, &c));
    TU_OK(orca_engine_new(&c, &b));
    TU_OK(orca_journal_replay(b, path, &jc, &ji));
    TU_OK(orca_interaction_enqueue(b, &d)); /* 2 and 3 waiting, 1 in wrap-up: 3 live */
    d.id = 5;
    TU_RC(orca_interaction_enqueue(b, &d), ORCA_EFULL);
    TU_OK(orca_engine_check(b));
    orca_engine_free(b);
    unlink(path);
    tu_fx_free(&fx);
}

int main(void)
{
    tu_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_def_init),
        cmocka_unit_test(test_queue_add_find_name_info),
        cmocka_unit_test(test_queue_info_counts),
        cmocka_unit_test(test_queue_add_bad),
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_strategy_longest_idle),
        cmocka_unit_test(test_strategy_least_occupied),
        cmocka_unit_test(test_strategy_most_proficient),
        cmocka_unit_test(test_strategy_round_robin),
        cmocka_unit_test(test_strategy_fewest_handled),
        cmocka_unit_test(test_strategy_weighted_random_exact),
        cmocka_unit_test(test_strategy_weighted_random_proportions),
        cmocka_unit_test(test_tiers),
        cmocka_unit_test(test_preferred_before_strategy),
        cmocka_unit_test(test_serve_by_skills),
        cmocka_unit_test(test_max_size),
        cmocka_unit_test(test_max_wait),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_overflow_restarts_steps),
        cmocka_unit_test(test_due_while_offered),
        cmocka_unit_test(test_steps_relax_then_drop),
        cmocka_unit_test(test_steps_every_kind),
        cmocka_unit_test(test_aging),
        cmocka_unit_test(test_queue_wrapup_and_timeout),
        cmocka_unit_test(test_queue_update),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
