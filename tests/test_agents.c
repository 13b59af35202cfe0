/*
 * test_agents.c: orca_agent_add / update / remove / set_presence /
 * set_queue_rank / info_get, every bad input of each (proving the engine
 * unchanged), capacity and per-channel concurrency, the no-answer limit,
 * and removal of an agent with pending offers.
 */
#include "testutil.h"

static void test_agent_def_init(void **state)
{
    (void)state;
    orca_agent_def d;
    memset(&d, 0x5A, sizeof(d));
    orca_agent_def_init(&d);
    assert_int_equal(d.id, 0);
    assert_null(d.skills);
    assert_int_equal(d.nskills, 0);
    assert_int_equal(d.capacity, 100);
    /* the usual blend of the built-in channels (issue 11: no limits at all
     * made an agent that was never offered anything) */
    assert_non_null(d.limits);
    assert_int_equal(d.nlimits, ORCA_CHANNEL_BUILTIN_COUNT);
    uint32_t want[ORCA_CHANNEL_BUILTIN_COUNT] = {1, 3, 5, 1, 1, 1, 1}, seen = 0;
    for (uint32_t k = 0; k < d.nlimits; k++) {
        assert_true(d.limits[k].channel < ORCA_CHANNEL_BUILTIN_COUNT);
        assert_int_equal(d.limits[k].max, want[d.limits[k].channel]);
        seen |= 1u << d.limits[k].channel;
    }
    assert_int_equal(seen, (1u << ORCA_CHANNEL_BUILTIN_COUNT) - 1);
    assert_int_equal(d.weight, 1);
    assert_null(d.data);
}

static void test_agent_add_info(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    tu_advance(e, 300);
    orca_skill_id s = tu_skill(e, "billing");
    orca_skill_level sk = {s, 7};
    int tag;
    orca_agent_def d;
    tu_agent_def(&d, 77, 150, &sk, 1);
    d.data = &tag;
    size_t from = fx.rec.n;
    TU_OK(orca_agent_add(e, &d));
    TU_SEQ(&fx.rec, from, 0, "AGENT_ADDED");
    assert_int_equal(tu_rec_last(&fx.rec, ORCA_EV_AGENT_ADDED)->agent, 77);

    orca_agent_info ai = tu_ainfo(e, 77);
    assert_int_equal(ai.id, 77);
    assert_int_equal(ai.presence, ORCA_PRESENCE_OFFLINE);
    assert_int_equal(ai.reason, 0);
    assert_int_equal(ai.capacity, 150);
    assert_int_equal(ai.used, 0);
    assert_int_equal(ai.offered, 0);
    assert_int_equal(ai.busy, 0);
    assert_int_equal(ai.wrapup, 0);
    assert_int_equal(ai.handled, 0);
    assert_int_equal(ai.missed, 0);
    assert_int_equal(ai.idle_since_ms, 300);
    assert_ptr_equal(ai.data, &tag);
    orca_counts c = tu_counts(e);
    assert_int_equal(c.agents, 1);
    assert_int_equal(c.agents_ready, 0);

    /* Big ids are just ids. */
    tu_agent(e, UINT64_MAX, 100, NULL, 0);
    tu_agent(e, (uint64_t)1 << 40, 100, NULL, 0);
    assert_int_equal(tu_ainfo(e, UINT64_MAX).id, UINT64_MAX);
    assert_int_equal(tu_counts(e).agents, 3);

    /* Unknown ids. */
    orca_agent_info x;
    TU_FAILS(e, orca_agent_info_get(e, 78, &x), ORCA_ENOENT);
    TU_FAILS2(e, orca_agent_info_get(e, 0, &x), ORCA_ENOENT, ORCA_EINVAL); /* id 0: either */
    tu_fx_free(&fx);
}

/* The skills array given at add is copied. */
static void test_agent_skills_copied(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id s = tu_skill(e, "fr");
    orca_skill_level sk = {s, 9};
    tu_agent(e, 1, 100, &sk, 1);
    sk.level = 1;
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    orca_skill_level req = {s, 9};
    orca_interaction_def id;
    orca_interaction_def_init(&id);
    id.id = 5;
    id.queue = q;
    id.channel = ORCA_CHANNEL_CHAT;
    id.required = &req;
    id.nrequired = 1;
    TU_OK(orca_interaction_enqueue(e, &id));
    TU_OFFERED_TO(e, 5, 1);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Every bad agent definition, for add and for update                        */
/* ------------------------------------------------------------------------ */

typedef int (*agent_call)(orca_engine *e, const orca_agent_def *d);

static void bad_defs(orca_engine *e, agent_call call, uint64_t id, orca_skill_id s1,
                     orca_skill_id s2)
{
    orca_skill_level sk[3];
    orca_channel_limit lim[3];
    orca_agent_def d;
#define RESET() do {                                                        \
        tu_agent_def(&d, id, 100, NULL, 0);                                 \
        sk[0].skill = s1; sk[0].level = 5;                                  \
        sk[1].skill = s2; sk[1].level = 5;                                  \
        sk[2].skill = s1; sk[2].level = 5;                                  \
        d.skills = sk;                                                      \
        d.nskills = 2;                                                      \
        lim[0].channel = ORCA_CHANNEL_CHAT; lim[0].max = 3;                 \
        lim[1].channel = ORCA_CHANNEL_EMAIL; lim[1].max = 5;                \
        lim[2].channel = ORCA_CHANNEL_CHAT; lim[2].max = 3;                 \
        d.limits = lim;                                                     \
        d.nlimits = 2;                                                      \
    } while (0)

    TU_FAILS(e, call(e, NULL), ORCA_EINVAL);
    /* skills */
    RESET(); d.skills = NULL;
    TU_FAILS(e, call(e, &d), ORCA_EINVAL);
    RESET(); sk[0].level = 0;
    TU_FAILS(e, call(e, &d), ORCA_ERANGE);
    RESET(); sk[1].level = ORCA_LEVEL_MAX + 1;
    TU_FAILS(e, call(e, &d), ORCA_ERANGE);
    RESET(); sk[1].level = 255;
    TU_FAILS(e, call(e, &d), ORCA_ERANGE);
    RESET(); d.nskills = 3; /* s1 twice */
    TU_FAILS2(e, call(e, &d), ORCA_EINVAL, ORCA_EEXIST);
    RESET(); sk[1].skill = s1; sk[1].level = 9; /* s1 twice, other level */
    TU_FAILS2(e, call(e, &d), ORCA_EINVAL, ORCA_EEXIST);
    RESET(); sk[1].skill = s2 + 100;
    TU_FAILS(e, call(e, &d), ORCA_ENOENT);
    RESET(); sk[0].skill = UINT32_MAX;
    TU_FAILS(e, call(e, &d), ORCA_ENOENT);
    /* capacity */
    RESET(); d.capacity = 0;
    TU_FAILS(e, call(e, &d), ORCA_ERANGE);
    RESET(); d.capacity = ORCA_CAPACITY_MAX + 1;
    TU_FAILS(e, call(e, &d), ORCA_ERANGE);
    RESET(); d.capacity = UINT32_MAX;
    TU_FAILS(e, call(e, &d), ORCA_ERANGE);
    /* weight */
    RESET(); d.weight = 0;
    TU_FAILS(e, call(e, &d), ORCA_ERANGE);
    RESET(); d.weight = ORCA_WEIGHT_MAX + 1;
    TU_FAILS(e, call(e, &d), ORCA_ERANGE);
    /* limits */
    RESET(); d.limits = NULL;
    TU_FAILS(e, call(e, &d), ORCA_EINVAL);
    RESET(); lim[1].channel = ORCA_CHANNEL_BUILTIN_COUNT + 3;
    TU_FAILS(e, call(e, &d), ORCA_ENOENT);
    RESET(); lim[0].channel = UINT32_MAX;
    TU_FAILS(e, call(e, &d), ORCA_ENOENT);
    RESET(); lim[0].max = 0;
    TU_FAILS(e, call(e, &d), ORCA_ERANGE);
    RESET(); lim[1].max = 1001;
    TU_FAILS(e, call(e, &d), ORCA_ERANGE);
    RESET(); d.nlimits = 3; /* chat twice */
    TU_FAILS2(e, call(e, &d), ORCA_EINVAL, ORCA_EEXIST);
    /* no silent dead agent (issue 11): no channel at all, or only channels
     * costing more than the capacity, could never be offered anything */
    RESET(); d.limits = NULL; d.nlimits = 0;
    TU_FAILS(e, call(e, &d), ORCA_EINVAL);
    RESET(); lim[0].channel = ORCA_CHANNEL_VOICE; lim[0].max = 1; d.nlimits = 1;
    d.capacity = 99; /* voice costs 100 */
    TU_FAILS(e, call(e, &d), ORCA_EINVAL);
    RESET(); d.capacity = 9; /* chat 25, email 10 */
    TU_FAILS(e, call(e, &d), ORCA_EINVAL);
    /* a good def after all that still works (nothing was half-applied) */
    RESET();
    d.capacity = ORCA_CAPACITY_MAX;
    d.weight = ORCA_WEIGHT_MAX;
    sk[0].level = ORCA_LEVEL_MIN;
    sk[1].level = ORCA_LEVEL_MAX;
    lim[0].max = 1000;
    lim[1].max = 1;
    TU_OK(call(e, &d));
#undef RESET
}

static void test_agent_add_bad(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id s1 = tu_skill(e, "a"), s2 = tu_skill(e, "b");
    tu_agent(e, 1, 100, NULL, 0);
    bad_defs(e, orca_agent_add, 2, s1, s2);
    orca_agent_info ai = tu_ainfo(e, 2);
    assert_int_equal(ai.capacity, ORCA_CAPACITY_MAX);

    /* duplicate id */
    orca_agent_def d;
    tu_agent_def(&d, 1, 50, NULL, 0);
    TU_FAILS(e, orca_agent_add(e, &d), ORCA_EEXIST);
    assert_int_equal(tu_ainfo(e, 1).capacity, 100);
    assert_int_equal(tu_counts(e).agents, 2);
    tu_fx_free(&fx);
}

/* An agent made from orca_agent_def_init's defaults alone takes work on
 * the built-in channels, blended as the defaults say (issue 11: it had no
 * channel limits, so nothing was ever offered and nothing said why). */
static void test_agent_defaults_take_work(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_agent_def d;
    orca_agent_def_init(&d);
    d.id = 7;
    TU_OK(orca_agent_add(e, &d));
    tu_member(e, q, 7, 0);
    tu_ready(e, 7);
    for (uint64_t k = 1; k <= 4; k++)
        tu_enqueue(e, k, q, ORCA_CHANNEL_CHAT, 0);
    orca_agent_info ai = tu_ainfo(e, 7);
    assert_int_equal(ai.offered, 3); /* chat 3 */
    for (uint64_t k = 1; k <= 3; k++)
        TU_OK(orca_offer_accept(e, k));
    tu_enqueue(e, 10, q, ORCA_CHANNEL_EMAIL, 0);
    tu_enqueue(e, 11, q, ORCA_CHANNEL_SMS, 0);
    tu_enqueue(e, 12, q, ORCA_CHANNEL_SMS, 0);
    ai = tu_ainfo(e, 7);
    assert_int_equal(ai.busy, 3);
    assert_int_equal(ai.offered, 2); /* one email and one sms fit in 25 */
    assert_int_equal(ai.used, 3 * 25 + 10 + 10);
    TU_OK(orca_engine_check(e));
    tu_fx_free(&fx);
}

static void test_agent_update_bad(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id s1 = tu_skill(e, "a"), s2 = tu_skill(e, "b");
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    tu_enqueue(e, 10, q, ORCA_CHANNEL_CHAT, 0); /* some state to keep */
    bad_defs(e, orca_agent_update, 1, s1, s2);
    assert_int_equal(tu_ainfo(e, 1).capacity, ORCA_CAPACITY_MAX);

    orca_agent_def d;
    tu_agent_def(&d, 2, 100, NULL, 0);
    TU_FAILS(e, orca_agent_update(e, &d), ORCA_ENOENT);
    d.id = 0;
    TU_FAILS2(e, orca_agent_update(e, &d), ORCA_ENOENT, ORCA_EINVAL);
    tu_fx_free(&fx);
}

/* Id 0: the header does not say; if refused, refused cleanly. */
static void test_agent_id_zero(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_agent_def d;
    tu_agent_def(&d, 0, 100, NULL, 0);
    tu_snap s;
    tu_snap_take_(&s, e, __FILE__, __LINE__);
    int rc = orca_agent_add(e, &d);
    if (rc == ORCA_OK) {
        tu_snap_free(&s);
        assert_int_equal(tu_ainfo(e, 0).id, 0);
    } else {
        tu_rc_(rc, ORCA_EINVAL, "orca_agent_add(id 0)", __FILE__, __LINE__);
        tu_snap_same_(&s, e, "orca_agent_add(id 0)", __FILE__, __LINE__);
    }
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Update                                                                   */
/* ------------------------------------------------------------------------ */

static void test_agent_update(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id fr = tu_skill(e, "fr");
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    orca_skill_level req = {fr, 3};
    orca_interaction_def id;
    orca_interaction_def_init(&id);
    id.id = 10;
    id.queue = q;
    id.channel = ORCA_CHANNEL_CHAT;
    id.required = &req;
    id.nrequired = 1;
    TU_OK(orca_interaction_enqueue(e, &id));
    TU_OFFERED_TO(e, 10, 0);

    /* Gaining the skill at a high enough level: offered at once. */
    orca_skill_level sk = {fr, 2};
    orca_agent_def d;
    tu_agent_def(&d, 1, 100, &sk, 1);
    size_t from = fx.rec.n;
    TU_OK(orca_agent_update(e, &d));
    TU_OFFERED_TO(e, 10, 0); /* level 2 < 3 */
    TU_SEQ(&fx.rec, from, 0, "AGENT_UPDATED");
    sk.level = 3;
    int tag;
    d.data = &tag;
    from = fx.rec.n;
    TU_OK(orca_agent_update(e, &d));
    TU_SEQ(&fx.rec, from, 0, "AGENT_UPDATED OFFERED");
    TU_OFFERED_TO(e, 10, 1);
    assert_ptr_equal(tu_ainfo(e, 1).data, &tag);
    TU_OK(orca_offer_accept(e, 10));

    /* Capacity below what is in use: work kept, nothing new until it fits. */
    tu_agent_def(&d, 1, 20, &sk, 1);
    TU_OK(orca_agent_update(e, &d));
    orca_agent_info ai = tu_ainfo(e, 1);
    assert_int_equal(ai.capacity, 20);
    assert_int_equal(ai.used, 25);
    assert_int_equal(ai.busy, 1);
    assert_int_equal(tu_state(e, 10), ORCA_STATE_BUSY);
    tu_enqueue(e, 11, q, ORCA_CHANNEL_EMAIL, 0); /* 25 + 10 > 20 */
    TU_OFFERED_TO(e, 11, 0);
    TU_CHECK(e);
    TU_OK(orca_interaction_end(e, 10)); /* 0 + 10 <= 20 */
    TU_OFFERED_TO(e, 11, 1);

    /* Dropping a channel from the limits: no more of it. */
    orca_channel_limit lim = {ORCA_CHANNEL_CHAT, 2};
    d.limits = &lim;
    d.nlimits = 1;
    d.capacity = 100;
    TU_OK(orca_agent_update(e, &d));
    assert_int_equal(tu_state(e, 11), ORCA_STATE_OFFERED); /* kept */
    tu_enqueue(e, 12, q, ORCA_CHANNEL_EMAIL, 0);
    TU_OFFERED_TO(e, 12, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Remove                                                                   */
/* ------------------------------------------------------------------------ */

static void test_agent_remove_states(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    TU_OK(orca_channel_set_wrapup(e, ORCA_CHANNEL_EMAIL, 60000));
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);

    TU_FAILS(e, orca_agent_remove(e, 3), ORCA_ENOENT);
    TU_FAILS2(e, orca_agent_remove(e, 0), ORCA_ENOENT, ORCA_EINVAL);

    tu_ready(e, 1);
    tu_enqueue(e, 10, q, ORCA_CHANNEL_CHAT, 0);
    TU_OK(orca_offer_accept(e, 10));
    TU_FAILS(e, orca_agent_remove(e, 1), ORCA_ESTATE); /* busy */
    TU_OK(orca_agent_set_presence(e, 1, ORCA_PRESENCE_OFFLINE, 0));
    TU_FAILS(e, orca_agent_remove(e, 1), ORCA_ESTATE); /* still busy */

    tu_ready(e, 2);
    tu_enqueue(e, 11, q, ORCA_CHANNEL_EMAIL, 0);
    TU_OFFERED_TO(e, 11, 2);
    TU_OK(orca_offer_accept(e, 11));
    TU_OK(orca_interaction_end(e, 11));
    assert_int_equal(tu_state(e, 11), ORCA_STATE_WRAPUP);
    TU_FAILS(e, orca_agent_remove(e, 2), ORCA_ESTATE); /* wrap-up */
    TU_OK(orca_interaction_wrapup_done(e, 11));

    /* Idle agent: gone, and its id can be used again. */
    size_t from = fx.rec.n;
    TU_OK(orca_agent_remove(e, 2));
    TU_SEQ(&fx.rec, from, 0, "AGENT_REMOVED");
    orca_agent_info ai;
    TU_RC(orca_agent_info_get(e, 2, &ai), ORCA_ENOENT);
    assert_int_equal(tu_qinfo(e, q).members, 1);
    assert_int_equal(tu_counts(e).agents, 1);
    assert_int_equal(tu_counts(e).agents_ready, 0);
    TU_FAILS(e, orca_agent_remove(e, 2), ORCA_ENOENT);
    tu_agent(e, 2, 100, NULL, 0);
    assert_int_equal(tu_qinfo(e, q).members, 1); /* membership went with it */
    tu_fx_free(&fx);
}

static void test_agent_remove_withdraws_offers(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);
    tu_enqueue(e, 10, q, ORCA_CHANNEL_CHAT, 0);
    tu_advance(e, 100);
    tu_enqueue(e, 11, q, ORCA_CHANNEL_CHAT, 0);
    tu_advance(e, 200);
    tu_enqueue(e, 12, q, ORCA_CHANNEL_CHAT, 0);
    tu_advance(e, 300);
    tu_ready(e, 1);
    TU_OFFERED_TO(e, 10, 1);
    TU_OFFERED_TO(e, 11, 1);
    TU_OFFERED_TO(e, 12, 1);
    TU_OK(orca_offer_accept(e, 11));
    TU_FAILS(e, orca_agent_remove(e, 1), ORCA_ESTATE);
    TU_OK(orca_interaction_end(e, 11)); /* chat: no wrap-up */

    tu_advance(e, 1000);
    size_t from = fx.rec.n;
    TU_OK(orca_agent_remove(e, 1));
    /* Both pending offers came back (REJECTED, reason AGENT_REMOVED), then
     * the agent went. */
    TU_SEQ(&fx.rec, from, 0, "REJECTED REJECTED AGENT_REMOVED");
    for (size_t k = 0; k < 2; k++) {
        const orca_event *ev = &fx.rec.ev[from + k];
        assert_int_equal(ev->agent, 1);
        assert_int_equal(ev->value, ORCA_WITHDRAW_AGENT_REMOVED);
    }
    orca_interaction_info i10 = tu_info(e, 10), i12 = tu_info(e, 12);
    assert_int_equal(i10.state, ORCA_STATE_WAITING);
    assert_int_equal(i10.arrival_ms, 0);
    assert_int_equal(i10.agent, 0);
    assert_int_equal(i12.state, ORCA_STATE_WAITING);
    assert_int_equal(i12.arrival_ms, 200);
    assert_int_equal(tu_qinfo(e, q).waiting, 2);
    assert_int_equal(tu_qinfo(e, q).oldest_arrival_ms, 0);
    assert_int_equal(tu_counts(e).agents_ready, 0);

    /* They keep their place: a new agent gets 10 before 12, even though a
     * newer 13 has higher seq. */
    tu_enqueue(e, 13, q, ORCA_CHANNEL_CHAT, 0);
    orca_agent_def d;
    tu_agent_def(&d, 3, 25, NULL, 0); /* one chat at a time */
    TU_OK(orca_agent_add(e, &d));
    tu_member(e, q, 3, 0);
    tu_ready(e, 3);
    TU_OFFERED_TO(e, 10, 3);
    TU_OFFERED_TO(e, 12, 0);
    assert_int_equal(tu_info(e, 10).attempts, 2);

    /* No exclusion was left for agent 1: re-added, it gets 12 at once. */
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    TU_OFFERED_TO(e, 12, 1);
    TU_OFFERED_TO(e, 13, 1);
    assert_int_equal(tu_ainfo(e, 1).missed, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Presence                                                                 */
/* ------------------------------------------------------------------------ */

static void test_presence(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    tu_agent(e, 1, 100, NULL, 0);
    TU_FAILS(e, orca_agent_set_presence(e, 2, ORCA_PRESENCE_READY, 0), ORCA_ENOENT);
    TU_FAILS(e, orca_agent_set_presence(e, 1, (orca_presence)3, 0), ORCA_EINVAL);
    TU_FAILS(e, orca_agent_set_presence(e, 1, (orca_presence)99, 0), ORCA_EINVAL);
    TU_FAILS(e, orca_agent_set_presence(e, 1, (orca_presence)-1, 0), ORCA_EINVAL);

    tu_advance(e, 100);
    size_t from = fx.rec.n;
    TU_OK(orca_agent_set_presence(e, 1, ORCA_PRESENCE_READY, 5));
    const orca_event *ev = tu_rec_last(&fx.rec, ORCA_EV_AGENT_PRESENCE);
    TU_SEQ(&fx.rec, from, 0, "AGENT_PRESENCE");
    assert_int_equal(ev->agent, 1);
    assert_int_equal(ev->presence, ORCA_PRESENCE_READY);
    assert_int_equal(ev->reason, 5);
    orca_agent_info ai = tu_ainfo(e, 1);
    assert_int_equal(ai.presence, ORCA_PRESENCE_READY);
    assert_int_equal(ai.reason, 5);
    assert_int_equal(ai.idle_since_ms, 100);
    assert_int_equal(tu_counts(e).agents_ready, 1);

    /* READY again: only the reason changes (event still), idle kept. */
    tu_advance(e, 200);
    from = fx.rec.n;
    TU_OK(orca_agent_set_presence(e, 1, ORCA_PRESENCE_READY, 6));
    TU_SEQ(&fx.rec, from, 0, "AGENT_PRESENCE");
    ai = tu_ainfo(e, 1);
    assert_int_equal(ai.reason, 6);
    assert_int_equal(ai.idle_since_ms, 100);
    assert_int_equal(tu_counts(e).agents_ready, 1);

    tu_advance(e, 300);
    TU_OK(orca_agent_set_presence(e, 1, ORCA_PRESENCE_NOT_READY, 42));
    ai = tu_ainfo(e, 1);
    assert_int_equal(ai.presence, ORCA_PRESENCE_NOT_READY);
    assert_int_equal(ai.reason, 42);
    assert_int_equal(tu_counts(e).agents_ready, 0);
    ev = tu_rec_last(&fx.rec, ORCA_EV_AGENT_PRESENCE);
    assert_int_equal(ev->presence, ORCA_PRESENCE_NOT_READY);
    assert_int_equal(ev->reason, 42);
    assert_int_equal(ev->time_ms, 300);

    TU_OK(orca_agent_set_presence(e, 1, ORCA_PRESENCE_OFFLINE, 0));
    assert_int_equal(tu_ainfo(e, 1).presence, ORCA_PRESENCE_OFFLINE);

    /* READY from anything else resets idle_since. */
    tu_advance(e, 400);
    TU_OK(orca_agent_set_presence(e, 1, ORCA_PRESENCE_READY, 0));
    assert_int_equal(tu_ainfo(e, 1).idle_since_ms, 400);
    tu_fx_free(&fx);
}

/* NOT_READY / OFFLINE stop new offers but keep pending ones and work. */
static void test_presence_keeps_work(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    tu_enqueue(e, 10, q, ORCA_CHANNEL_CHAT, 0);
    tu_enqueue(e, 11, q, ORCA_CHANNEL_CHAT, 0);
    TU_OK(orca_offer_accept(e, 11));
    TU_OK(orca_agent_set_presence(e, 1, ORCA_PRESENCE_NOT_READY, 1));
    TU_OFFERED_TO(e, 10, 1);
    assert_int_equal(tu_state(e, 11), ORCA_STATE_BUSY);
    tu_enqueue(e, 12, q, ORCA_CHANNEL_CHAT, 0);
    TU_OFFERED_TO(e, 12, 0);
    TU_OK(orca_offer_accept(e, 10));
    TU_OK(orca_agent_set_presence(e, 1, ORCA_PRESENCE_OFFLINE, 0));
    TU_OK(orca_interaction_end(e, 10));
    TU_OFFERED_TO(e, 12, 0); /* freed capacity, but not READY */
    tu_ready(e, 1);
    TU_OFFERED_TO(e, 12, 1);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Queue rank                                                               */
/* ------------------------------------------------------------------------ */

static void test_queue_rank_bad(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    TU_FAILS(e, orca_agent_set_queue_rank(e, 2, q, 1), ORCA_ENOENT);
    TU_FAILS(e, orca_agent_set_queue_rank(e, 1, q + 1, 1), ORCA_ENOENT);
    TU_FAILS(e, orca_agent_set_queue_rank(e, 1, ORCA_QUEUE_NONE, 1), ORCA_ENOENT);
    TU_FAILS(e, orca_agent_set_queue_rank(e, 1, q, ORCA_RANK_MAX + 1), ORCA_ERANGE);
    TU_FAILS(e, orca_agent_set_queue_rank(e, 1, q, UINT32_MAX), ORCA_ERANGE);
    TU_OK(orca_agent_set_queue_rank(e, 1, q, ORCA_RANK_MAX));
    TU_OK(orca_agent_set_queue_rank(e, 1, q, 0));
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Capacity and concurrency                                                  */
/* ------------------------------------------------------------------------ */

static void test_capacity_blend(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_channel_limit lim[2] = {{ORCA_CHANNEL_CHAT, 3}, {ORCA_CHANNEL_EMAIL, 5}};
    orca_agent_def d;
    orca_agent_def_init(&d); /* capacity 100 */
    d.id = 1;
    d.limits = lim;
    d.nlimits = 2;
    TU_OK(orca_agent_add(e, &d));
    tu_member(e, q, 1, 0);
    /* chats 1..4 then emails 5..8, in arrival order */
    for (uint64_t i = 1; i <= 4; i++)
        tu_enqueue(e, i, q, ORCA_CHANNEL_CHAT, 0);
    for (uint64_t i = 5; i <= 8; i++)
        tu_enqueue(e, i, q, ORCA_CHANNEL_EMAIL, 0);
    tu_ready(e, 1);
    /* 3 chats (limit 3: 75 units), then emails while they fit: 85, 95 */
    for (uint64_t i = 1; i <= 3; i++)
        TU_OFFERED_TO(e, i, 1);
    TU_OFFERED_TO(e, 4, 0);
    TU_OFFERED_TO(e, 5, 1);
    TU_OFFERED_TO(e, 6, 1);
    TU_OFFERED_TO(e, 7, 0);
    TU_OFFERED_TO(e, 8, 0);
    orca_agent_info ai = tu_ainfo(e, 1);
    assert_int_equal(ai.used, 95);
    assert_int_equal(ai.offered, 5);
    TU_CHECK(e);

    /* Ending a chat frees 25: chat 4 arrived before email 7, and fits. */
    TU_OK(orca_offer_accept(e, 1));
    TU_OK(orca_interaction_end(e, 1));
    TU_OFFERED_TO(e, 4, 1);
    TU_OFFERED_TO(e, 7, 0);
    assert_int_equal(tu_ainfo(e, 1).used, 95);

    /* Ending an email frees 10: email 7 fits (chat limit is full anyway). */
    TU_OK(orca_offer_accept(e, 5));
    TU_OK(orca_interaction_end(e, 5));
    TU_OFFERED_TO(e, 7, 1);
    TU_OFFERED_TO(e, 8, 0);
    assert_int_equal(tu_ainfo(e, 1).used, 95);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

static void test_channel_concurrency(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_channel_def cd = {"tiny", 1, 0, NULL, NULL};
    orca_channel_id tiny;
    TU_OK(orca_channel_add(e, &cd, &tiny));
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_channel_limit lim[2] = {{ORCA_CHANNEL_CHAT, 2}, {tiny, 1000}};
    orca_agent_def d;
    orca_agent_def_init(&d);
    d.id = 1;
    d.capacity = ORCA_CAPACITY_MAX;
    d.limits = lim;
    d.nlimits = 2;
    TU_OK(orca_agent_add(e, &d));
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    for (uint64_t i = 1; i <= 5; i++)
        tu_enqueue(e, i, q, ORCA_CHANNEL_CHAT, 0);
    assert_int_equal(tu_ainfo(e, 1).offered, 2);
    assert_int_equal(tu_qinfo(e, q).waiting, 3);
    /* busy and wrap-up count too */
    TU_OK(orca_channel_set_wrapup(e, ORCA_CHANNEL_CHAT, 1000));
    TU_OK(orca_offer_accept(e, 1));
    TU_OK(orca_interaction_end(e, 1));
    TU_OK(orca_offer_accept(e, 2));
    assert_int_equal(tu_ainfo(e, 1).offered, 0);
    assert_int_equal(tu_qinfo(e, q).waiting, 3);
    tu_advance(e, 1000); /* wrap-up of 1 over: one slot */
    TU_OFFERED_TO(e, 3, 1);
    TU_OFFERED_TO(e, 4, 0);
    /* a channel not listed is never offered */
    tu_enqueue(e, 20, q, ORCA_CHANNEL_VOICE, 9);
    tu_enqueue(e, 21, q, ORCA_CHANNEL_SMS, 9);
    TU_OFFERED_TO(e, 20, 0);
    TU_OFFERED_TO(e, 21, 0);
    /* the largest limit, 1000, is honoured: capacity is not what stops it */
    for (uint64_t i = 100; i < 1100; i++)
        tu_enqueue(e, i, q, tiny, 0);
    assert_int_equal(tu_ainfo(e, 1).used, 2 * 25 + 1000 * 1);
    tu_enqueue(e, 2000, q, tiny, 0);
    TU_OFFERED_TO(e, 2000, 0);
    TU_OFFERED_TO(e, 1099, 1);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* No-answer limit                                                          */
/* ------------------------------------------------------------------------ */

static void test_no_answer_limit(void **state)
{
    (void)state;
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.no_answer_limit = 2;
    cfg.offer_timeout_ms = 1000;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, &cfg);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);

    tu_enqueue(e, 10, q, ORCA_CHANNEL_VOICE, 0);
    tu_advance(e, 1000); /* miss 1 */
    orca_agent_info ai = tu_ainfo(e, 1);
    assert_int_equal(ai.missed, 1);
    assert_int_equal(ai.presence, ORCA_PRESENCE_READY);
    TU_OFFERED_TO(e, 10, 0); /* excluded for 30 s */

    /* An accept in between resets the run of misses. */
    tu_enqueue(e, 11, q, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 11, 1);
    TU_OK(orca_offer_accept(e, 11));
    assert_int_equal(tu_ainfo(e, 1).missed, 0);
    TU_OK(orca_interaction_end(e, 11));

    tu_enqueue(e, 12, q, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 12, 1);
    tu_advance(e, 2000); /* miss 1 */
    tu_enqueue(e, 13, q, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 13, 1);
    size_t from = fx.rec.n;
    tu_advance(e, 3000); /* miss 2: NOT_READY, no answer */
    TU_SEQ(&fx.rec, from, 0, "OFFER_TIMEOUT AGENT_PRESENCE");
    const orca_event *ev = tu_rec_last(&fx.rec, ORCA_EV_AGENT_PRESENCE);
    assert_int_equal(ev->presence, ORCA_PRESENCE_NOT_READY);
    assert_int_equal(ev->reason, ORCA_REASON_NO_ANSWER);
    assert_int_equal(ev->time_ms, 3000);
    ai = tu_ainfo(e, 1);
    assert_int_equal(ai.presence, ORCA_PRESENCE_NOT_READY);
    assert_int_equal(ai.reason, ORCA_REASON_NO_ANSWER);
    assert_int_equal(ai.missed, 2);
    assert_int_equal(tu_counts(e).agents_ready, 0);
    TU_OFFERED_TO(e, 13, 0);
    /* not offered anything while NOT_READY, even after exclusions end */
    tu_advance(e, 100000);
    assert_int_equal(tu_ainfo(e, 1).offered, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* idle_since and handled                                                   */
/* ------------------------------------------------------------------------ */

static void test_idle_since_and_handled(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_advance(e, 10);
    tu_agent(e, 1, 100, NULL, 0);
    assert_int_equal(tu_ainfo(e, 1).idle_since_ms, 10);
    tu_member(e, q, 1, 0);
    tu_advance(e, 20);
    tu_ready(e, 1);
    assert_int_equal(tu_ainfo(e, 1).idle_since_ms, 20);

    tu_advance(e, 30);
    tu_enqueue(e, 1, q, ORCA_CHANNEL_CHAT, 0);
    tu_advance(e, 40);
    TU_OK(orca_offer_reject(e, 1)); /* no handled, idle kept */
    orca_agent_info ai = tu_ainfo(e, 1);
    assert_int_equal(ai.handled, 0);
    assert_int_equal(ai.idle_since_ms, 20);
    assert_int_equal(ai.used, 0);

    tu_enqueue(e, 2, q, ORCA_CHANNEL_CHAT, 0);
    tu_advance(e, 50);
    TU_OK(orca_interaction_abandon(e, 2)); /* offered then abandoned: idle kept */
    assert_int_equal(tu_ainfo(e, 1).idle_since_ms, 20);

    tu_enqueue(e, 3, q, ORCA_CHANNEL_CHAT, 0);
    TU_OK(orca_offer_accept(e, 3));
    assert_int_equal(tu_ainfo(e, 1).handled, 1);
    tu_advance(e, 60);
    TU_OK(orca_interaction_end(e, 3)); /* completes: idle now */
    ai = tu_ainfo(e, 1);
    assert_int_equal(ai.idle_since_ms, 60);
    assert_int_equal(ai.handled, 1);
    tu_fx_free(&fx);
}

int main(void)
{
    tu_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agent_def_init),
        cmocka_unit_test(test_agent_add_info),
        cmocka_unit_test(test_agent_skills_copied),
        cmocka_unit_test(test_agent_add_bad),
        cmocka_unit_test(test_agent_defaults_take_work),
        cmocka_unit_test(test_agent_update_bad),
        cmocka_unit_test(test_agent_id_zero),
        cmocka_unit_test(test_agent_update),
        cmocka_unit_test(test_agent_remove_states),
        cmocka_unit_test(test_agent_remove_withdraws_offers),
        cmocka_unit_test(test_presence),
        cmocka_unit_test(test_presence_keeps_work),
        cmocka_unit_test(test_queue_rank_bad),
        cmocka_unit_test(test_capacity_blend),
        cmocka_unit_test(test_channel_concurrency),
        cmocka_unit_test(test_no_answer_limit),
        cmocka_unit_test(test_idle_since_and_handled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
