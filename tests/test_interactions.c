/*
 * test_interactions.c: enqueue / accept / reject / end / wrapup_done /
 * abandon / cancel / set_priority / info, every bad input and wrong state
 * (proving the engine unchanged), the lifecycle and its events, rejects and
 * re-offer delay, offer timeout, priority and FIFO order, and the global
 * order an agent serving several queues sees.
 */
#include "testutil.h"

static void test_interaction_def_init(void **state)
{
    (void)state;
    orca_interaction_def d;
    memset(&d, 0x5A, sizeof(d));
    orca_interaction_def_init(&d);
    assert_int_equal(d.id, 0);
    assert_int_equal(d.queue, 0);
    assert_int_equal(d.channel, 0);
    assert_int_equal(d.customer, 0);
    assert_int_equal(d.priority, 0);
    assert_null(d.required);
    assert_int_equal(d.nrequired, 0);
    assert_null(d.preferred);
    assert_int_equal(d.npreferred, 0);
    assert_null(d.data);
}

static void test_enqueue_info(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id s = tu_skill(e, "s"), t = tu_skill(e, "t"), p = tu_skill(e, "p");
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_advance(e, 1234);
    orca_skill_level req[2] = {{s, 4}, {t, 100}};
    orca_skill_level pref[1] = {{p, 1}};
    int tag;
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 555;
    d.queue = q;
    d.channel = ORCA_CHANNEL_EMAIL;
    d.customer = 31337;
    d.priority = 17;
    d.required = req;
    d.nrequired = 2;
    d.preferred = pref;
    d.npreferred = 1;
    d.data = &tag;
    size_t from = fx.rec.n;
    TU_OK(orca_interaction_enqueue(e, &d));
    req[0].level = 99; /* copied */
    TU_SEQ(&fx.rec, from, 0, "ENQUEUED");
    const orca_event *ev = tu_rec_last(&fx.rec, ORCA_EV_ENQUEUED);
    assert_int_equal(ev->interaction, 555);
    assert_int_equal(ev->queue, q);
    assert_int_equal(ev->channel, ORCA_CHANNEL_EMAIL);
    assert_int_equal(ev->priority, 17);
    assert_int_equal(ev->customer, 31337);
    assert_int_equal(ev->arrival_ms, 1234);
    assert_int_equal(ev->time_ms, 1234);

    orca_interaction_info i = tu_info(e, 555);
    assert_int_equal(i.id, 555);
    assert_int_equal(i.state, ORCA_STATE_WAITING);
    assert_int_equal(i.queue, q);
    assert_int_equal(i.channel, ORCA_CHANNEL_EMAIL);
    assert_int_equal(i.customer, 31337);
    assert_int_equal(i.priority, 17);
    assert_int_equal(i.effective_priority, 17);
    assert_int_equal(i.arrival_ms, 1234);
    assert_int_equal(i.queued_ms, 1234);
    assert_int_equal(i.agent, 0);
    assert_int_equal(i.attempts, 0);
    assert_int_equal(i.step, 0);
    assert_int_equal(i.nrequired, 2);
    /* the requirements, in some order */
    int seen_s = 0, seen_t = 0;
    for (uint32_t k = 0; k < 2; k++) {
        if (i.required[k].skill == s && i.required[k].level == 4)
            seen_s = 1;
        if (i.required[k].skill == t && i.required[k].level == 100)
            seen_t = 1;
    }
    assert_true(seen_s && seen_t);
    assert_ptr_equal(i.data, &tag);
    orca_counts c = tu_counts(e);
    assert_int_equal(c.interactions, 1);
    assert_int_equal(c.waiting, 1);
    orca_interaction_info x;
    TU_FAILS(e, orca_interaction_info_get(e, 556, &x), ORCA_ENOENT);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Bad input to enqueue                                                     */
/* ------------------------------------------------------------------------ */

static void test_enqueue_bad(void **state)
{
    (void)state;
    orca_config cfg;
    orca_config_init(&cfg);
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, &cfg);
    orca_skill_id sk[ORCA_MAX_REQUIRED + 1], ps[ORCA_MAX_PREFERRED];
    for (uint32_t k = 0; k <= ORCA_MAX_REQUIRED; k++) {
        char n[8];
        snprintf(n, sizeof(n), "s%u", k);
        sk[k] = tu_skill(e, n);
    }
    for (uint32_t k = 0; k < ORCA_MAX_PREFERRED; k++) {
        char n[8];
        snprintf(n, sizeof(n), "p%u", k);
        ps[k] = tu_skill(e, n);
    }
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_enqueue(e, 1, q, ORCA_CHANNEL_CHAT, 0); /* a live id */
    orca_skill_level req[ORCA_MAX_REQUIRED + 1], pref[ORCA_MAX_PREFERRED + 1];
    orca_interaction_def d;
#define RESET() do {                                                        \
        orca_interaction_def_init(&d);                                      \
        d.id = 2;                                                           \
        d.queue = q;                                                        \
        d.channel = ORCA_CHANNEL_CHAT;                                      \
        for (uint32_t k_ = 0; k_ <= ORCA_MAX_REQUIRED; k_++) {              \
            req[k_].skill = sk[k_]; req[k_].level = 3;                      \
            pref[k_].skill = sk[k_]; pref[k_].level = 3;                    \
        }                                                                   \
        d.required = req;                                                   \
        d.nrequired = 2;                                                    \
        d.preferred = pref + 2;                                             \
        d.npreferred = 2;                                                   \
    } while (0)

    TU_FAILS(e, orca_interaction_enqueue(e, NULL), ORCA_EINVAL);
    RESET(); d.id = 1;
    TU_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_EEXIST);
    RESET(); d.queue = ORCA_QUEUE_NONE;
    TU_FAILS2(e, orca_interaction_enqueue(e, &d), ORCA_ENOENT, ORCA_EINVAL);
    RESET(); d.queue = q + 1;
    TU_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_ENOENT);
    RESET(); d.channel = ORCA_CHANNEL_BUILTIN_COUNT;
    TU_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_ENOENT);
    RESET(); d.priority = ORCA_PRIORITY_MAX + 1;
    TU_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_ERANGE);
    RESET(); d.priority = UINT32_MAX;
    TU_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_ERANGE);
    /* required */
    RESET(); req[1].skill = sk[ORCA_MAX_REQUIRED] + 100;
    TU_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_ENOENT);
    RESET(); req[0].level = 0;
    TU_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_ERANGE);
    RESET(); req[1].level = ORCA_LEVEL_MAX + 1;
    TU_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_ERANGE);
    RESET(); d.required = NULL;
    TU_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_EINVAL);
    RESET(); req[1].skill = sk[0];
    TU_FAILS2(e, orca_interaction_enqueue(e, &d), ORCA_EINVAL, ORCA_EEXIST);
    RESET(); d.nrequired = ORCA_MAX_REQUIRED + 1;
    TU_FAILS2(e, orca_interaction_enqueue(e, &d), ORCA_EINVAL, ORCA_ERANGE);
    /* preferred */
    RESET(); pref[3].skill = sk[ORCA_MAX_REQUIRED] + 100;
    TU_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_ENOENT);
    RESET(); pref[2].level = 0;
    TU_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_ERANGE);
    RESET(); pref[3].level = ORCA_LEVEL_MAX + 1;
    TU_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_ERANGE);
    RESET(); d.preferred = NULL;
    TU_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_EINVAL);
    RESET(); pref[3].skill = sk[2];
    TU_FAILS2(e, orca_interaction_enqueue(e, &d), ORCA_EINVAL, ORCA_EEXIST);
    RESET(); d.nrequired = 0; d.preferred = pref; d.npreferred = ORCA_MAX_PREFERRED + 1;
    TU_FAILS2(e, orca_interaction_enqueue(e, &d), ORCA_EINVAL, ORCA_ERANGE);
    assert_int_equal(tu_state(e, 2), 0);

    /* The edges that are allowed. */
    RESET();
    d.priority = ORCA_PRIORITY_MAX;
    d.nrequired = ORCA_MAX_REQUIRED;
    req[0].level = ORCA_LEVEL_MIN;
    req[1].level = ORCA_LEVEL_MAX;
    for (uint32_t k = 0; k < ORCA_MAX_PREFERRED; k++)
        pref[k].skill = ps[k];
    d.preferred = pref;
    d.npreferred = ORCA_MAX_PREFERRED;
    TU_OK(orca_interaction_enqueue(e, &d));
    orca_interaction_info i = tu_info(e, 2);
    assert_int_equal(i.nrequired, ORCA_MAX_REQUIRED);
    assert_int_equal(i.priority, ORCA_PRIORITY_MAX);
#undef RESET
    tu_fx_free(&fx);
}

/* Id 0: the header does not say; if refused, refused cleanly. */
static void test_enqueue_id_zero(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.queue = q;
    d.channel = ORCA_CHANNEL_CHAT;
    tu_snap s;
    tu_snap_take_(&s, e, __FILE__, __LINE__);
    int rc = orca_interaction_enqueue(e, &d);
    if (rc == ORCA_OK) {
        tu_snap_free(&s);
        assert_int_equal(tu_info(e, 0).state, ORCA_STATE_WAITING);
    } else {
        tu_rc_(rc, ORCA_EINVAL, "orca_interaction_enqueue(id 0)", __FILE__, __LINE__);
        tu_snap_same_(&s, e, "orca_interaction_enqueue(id 0)", __FILE__, __LINE__);
    }
    tu_fx_free(&fx);
}

/* A live id is taken in every state; a finished one is free again. */
static void test_duplicate_ids(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    TU_OK(orca_channel_set_wrapup(e, ORCA_CHANNEL_CHAT, 1000));
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q2 = tu_queue(e, "q2", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    tu_enqueue(e, 1, q, ORCA_CHANNEL_CHAT, 0); /* offered */
    tu_enqueue(e, 2, q, ORCA_CHANNEL_CHAT, 0);
    TU_OK(orca_offer_accept(e, 2));            /* busy */
    tu_enqueue(e, 3, q, ORCA_CHANNEL_CHAT, 0);
    TU_OK(orca_offer_accept(e, 3));
    TU_OK(orca_interaction_end(e, 3));         /* wrap-up */
    tu_enqueue(e, 4, q2, ORCA_CHANNEL_CHAT, 0); /* waiting */
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.queue = q2; /* another queue does not make it another interaction */
    d.channel = ORCA_CHANNEL_EMAIL;
    for (uint64_t id = 1; id <= 4; id++) {
        d.id = id;
        TU_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_EEXIST);
    }
    tu_advance(e, 1000); /* 3 completes */
    d.id = 3;
    TU_OK(orca_interaction_enqueue(e, &d));
    assert_int_equal(tu_info(e, 3).queue, q2);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Wrong states                                                             */
/* ------------------------------------------------------------------------ */

static void test_wrong_states(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    TU_OK(orca_channel_set_wrapup(e, ORCA_CHANNEL_CHAT, 60000));
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qn = tu_queue(e, "nobody", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    const uint64_t W = 10, O = 11, B = 12, U = 13, X = 999;
    tu_enqueue(e, W, qn, ORCA_CHANNEL_CHAT, 0);
    tu_enqueue(e, O, q, ORCA_CHANNEL_CHAT, 0);
    tu_enqueue(e, B, q, ORCA_CHANNEL_CHAT, 0);
    TU_OK(orca_offer_accept(e, B));
    tu_enqueue(e, U, q, ORCA_CHANNEL_CHAT, 0);
    TU_OK(orca_offer_accept(e, U));
    TU_OK(orca_interaction_end(e, U));
    assert_int_equal(tu_state(e, W), ORCA_STATE_WAITING);
    assert_int_equal(tu_state(e, O), ORCA_STATE_OFFERED);
    assert_int_equal(tu_state(e, B), ORCA_STATE_BUSY);
    assert_int_equal(tu_state(e, U), ORCA_STATE_WRAPUP);

    /* accept: only OFFERED */
    TU_FAILS(e, orca_offer_accept(e, W), ORCA_ESTATE);
    TU_FAILS(e, orca_offer_accept(e, B), ORCA_ESTATE);
    TU_FAILS(e, orca_offer_accept(e, U), ORCA_ESTATE);
    TU_FAILS(e, orca_offer_accept(e, X), ORCA_ENOENT);
    /* reject: only OFFERED */
    TU_FAILS(e, orca_offer_reject(e, W), ORCA_ESTATE);
    TU_FAILS(e, orca_offer_reject(e, B), ORCA_ESTATE);
    TU_FAILS(e, orca_offer_reject(e, U), ORCA_ESTATE);
    TU_FAILS(e, orca_offer_reject(e, X), ORCA_ENOENT);
    /* end: only BUSY */
    TU_FAILS(e, orca_interaction_end(e, W), ORCA_ESTATE);
    TU_FAILS(e, orca_interaction_end(e, O), ORCA_ESTATE);
    TU_FAILS(e, orca_interaction_end(e, U), ORCA_ESTATE);
    TU_FAILS(e, orca_interaction_end(e, X), ORCA_ENOENT);
    /* wrapup_done: only WRAPUP */
    TU_FAILS(e, orca_interaction_wrapup_done(e, W), ORCA_ESTATE);
    TU_FAILS(e, orca_interaction_wrapup_done(e, O), ORCA_ESTATE);
    TU_FAILS(e, orca_interaction_wrapup_done(e, B), ORCA_ESTATE);
    TU_FAILS(e, orca_interaction_wrapup_done(e, X), ORCA_ENOENT);
    /* abandon / cancel: only WAITING or OFFERED */
    TU_FAILS(e, orca_interaction_abandon(e, B), ORCA_ESTATE);
    TU_FAILS(e, orca_interaction_abandon(e, U), ORCA_ESTATE);
    TU_FAILS(e, orca_interaction_abandon(e, X), ORCA_ENOENT);
    TU_FAILS(e, orca_interaction_cancel(e, B), ORCA_ESTATE);
    TU_FAILS(e, orca_interaction_cancel(e, U), ORCA_ESTATE);
    TU_FAILS(e, orca_interaction_cancel(e, X), ORCA_ENOENT);
    /* set_priority: only WAITING or OFFERED, 0..255 */
    TU_FAILS(e, orca_interaction_set_priority(e, B, 5), ORCA_ESTATE);
    TU_FAILS(e, orca_interaction_set_priority(e, U, 5), ORCA_ESTATE);
    TU_FAILS(e, orca_interaction_set_priority(e, X, 5), ORCA_ENOENT);
    TU_FAILS(e, orca_interaction_set_priority(e, W, ORCA_PRIORITY_MAX + 1), ORCA_ERANGE);
    TU_FAILS(e, orca_interaction_set_priority(e, O, UINT32_MAX), ORCA_ERANGE);
    /* info */
    orca_interaction_info i;
    TU_FAILS(e, orca_interaction_info_get(e, X, &i), ORCA_ENOENT);

    /* Forgotten work is unknown to every call. */
    TU_OK(orca_interaction_cancel(e, W));
    TU_FAILS(e, orca_interaction_cancel(e, W), ORCA_ENOENT);
    TU_FAILS(e, orca_interaction_abandon(e, W), ORCA_ENOENT);
    TU_FAILS(e, orca_offer_accept(e, W), ORCA_ENOENT);
    TU_FAILS(e, orca_interaction_set_priority(e, W, 1), ORCA_ENOENT);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Lifecycle                                                                */
/* ------------------------------------------------------------------------ */

static void test_lifecycle_events(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    TU_OK(orca_channel_set_wrapup(e, ORCA_CHANNEL_VOICE, 3000));
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "q";
    qd.sla_ms = 2000;
    orca_queue_id q = tu_queue_def(e, &qd);
    tu_agent(e, 7, 100, NULL, 0);
    tu_member(e, q, 7, 0);
    tu_ready(e, 7);
    tu_advance(e, 100);
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 1;
    d.queue = q;
    d.channel = ORCA_CHANNEL_VOICE;
    d.customer = 42;
    d.priority = 3;
    size_t from = fx.rec.n;
    TU_OK(orca_interaction_enqueue(e, &d));
    tu_advance(e, 1100);
    TU_OK(orca_offer_accept(e, 1));
    assert_int_equal(tu_state(e, 1), ORCA_STATE_BUSY);
    assert_int_equal(tu_ainfo(e, 7).busy, 1);
    tu_advance(e, 5100);
    TU_OK(orca_interaction_end(e, 1));
    assert_int_equal(tu_state(e, 1), ORCA_STATE_WRAPUP);
    tu_advance(e, 9000);
    TU_SEQ(&fx.rec, from, 0, "ENQUEUED OFFERED ACCEPTED ENDED COMPLETED");
    const orca_event *ev = &fx.rec.ev[from];
    for (int k = 0; k < 5; k++) {
        assert_int_equal(ev[k].interaction, 1);
        assert_int_equal(ev[k].queue, q);
        assert_int_equal(ev[k].channel, ORCA_CHANNEL_VOICE);
        assert_int_equal(ev[k].customer, 42);
        assert_int_equal(ev[k].arrival_ms, 100);
        if (k > 0)
            assert_int_equal(ev[k].agent, 7);
        assert_true(ev[k].seq > (k ? ev[k - 1].seq : 0));
    }
    assert_int_equal(ev[0].agent, 0);
    assert_int_equal(ev[0].priority, 3);
    assert_int_equal(ev[1].time_ms, 100);  /* offered at once */
    assert_int_equal(ev[1].wait_ms, 0);
    assert_int_equal(ev[2].time_ms, 1100); /* accepted */
    assert_int_equal(ev[2].wait_ms, 1000);
    assert_int_equal(ev[2].sla_met, 1);
    assert_int_equal(ev[3].time_ms, 5100); /* ended: talked 4000 */
    assert_int_equal(ev[3].duration_ms, 4000);
    assert_int_equal(ev[4].time_ms, 8100); /* completed: 3000 of wrap-up */
    assert_int_equal(ev[4].duration_ms, 3000);
    assert_int_equal(tu_state(e, 1), 0);
    orca_agent_info ai = tu_ainfo(e, 7);
    assert_int_equal(ai.used, 0);
    assert_int_equal(ai.handled, 1);
    assert_int_equal(ai.idle_since_ms, 8100);
    assert_int_equal(tu_counts(e).interactions, 0);

    /* Answered later than the SLA. */
    d.id = 2;
    TU_OK(orca_interaction_enqueue(e, &d));
    tu_advance(e, 11001);
    TU_OK(orca_offer_accept(e, 2));
    ev = tu_rec_last(&fx.rec, ORCA_EV_ACCEPTED);
    assert_int_equal(ev->wait_ms, 2001);
    assert_int_equal(ev->sla_met, 0);
    tu_fx_free(&fx);
}

static void test_end_without_wrapup(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    tu_enqueue(e, 1, q, ORCA_CHANNEL_VOICE, 0);
    tu_enqueue(e, 2, q, ORCA_CHANNEL_VOICE, 0); /* waits for the agent */
    TU_OK(orca_offer_accept(e, 1));
    tu_advance(e, 500);
    size_t from = fx.rec.n;
    TU_OK(orca_interaction_end(e, 1));
    /* done at once, and the freed agent gets the next call in the same call */
    TU_SEQ(&fx.rec, from, 0, "ENDED COMPLETED OFFERED");
    const orca_event *c = tu_rec_last(&fx.rec, ORCA_EV_COMPLETED);
    assert_int_equal(c->duration_ms, 0);
    assert_int_equal(tu_state(e, 1), 0);
    TU_OFFERED_TO(e, 2, 1);
    assert_int_equal(tu_ainfo(e, 1).idle_since_ms, 500);
    tu_enqueue(e, 1, q, ORCA_CHANNEL_CHAT, 0); /* the id is free */
    tu_fx_free(&fx);
}

static void test_wrapup_done_early(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    TU_OK(orca_channel_set_wrapup(e, ORCA_CHANNEL_VOICE, 10000));
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    tu_enqueue(e, 1, q, ORCA_CHANNEL_VOICE, 0);
    tu_enqueue(e, 2, q, ORCA_CHANNEL_VOICE, 0);
    TU_OK(orca_offer_accept(e, 1));
    TU_OK(orca_interaction_end(e, 1));
    TU_OFFERED_TO(e, 2, 0); /* wrap-up holds the capacity */
    orca_agent_info ai = tu_ainfo(e, 1);
    assert_int_equal(ai.wrapup, 1);
    assert_int_equal(ai.used, 100);
    assert_int_equal(tu_counts(e).wrapup, 1);
    tu_advance(e, 2500);
    size_t from = fx.rec.n;
    TU_OK(orca_interaction_wrapup_done(e, 1));
    TU_SEQ(&fx.rec, from, 0, "COMPLETED OFFERED");
    assert_int_equal(tu_rec_last(&fx.rec, ORCA_EV_COMPLETED)->duration_ms, 2500);
    assert_int_equal(tu_state(e, 1), 0);
    TU_OFFERED_TO(e, 2, 1);
    assert_int_equal(tu_counts(e).wrapup, 0);
    /* the wrap-up timer is gone with it */
    uint64_t dl;
    TU_OK(orca_engine_next_deadline(e, &dl));
    assert_int_equal(dl, 2500 + 20000); /* only the new offer's expiry */
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Reject, re-offer delay, offer timeout                                    */
/* ------------------------------------------------------------------------ */

static void test_reject_keeps_place(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);
    tu_ready(e, 1);
    tu_enqueue(e, 10, q, ORCA_CHANNEL_VOICE, 0);
    tu_advance(e, 10);
    tu_enqueue(e, 11, q, ORCA_CHANNEL_VOICE, 0);
    tu_advance(e, 20);
    tu_enqueue(e, 12, q, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 10, 1);
    tu_advance(e, 100);
    size_t from = fx.rec.n;
    TU_OK(orca_offer_reject(e, 10));
    const orca_event *ev = tu_rec_nth(&fx.rec, ORCA_EV_REJECTED, 0);
    assert_non_null(ev);
    assert_int_equal(ev->interaction, 10);
    assert_int_equal(ev->agent, 1);
    assert_int_equal(ev->time_ms, 100);
    TU_SEQ(&fx.rec, from, 10, "REJECTED");
    /* 10 is back, first in line, but not for agent 1, who takes 11 */
    orca_interaction_info i = tu_info(e, 10);
    assert_int_equal(i.state, ORCA_STATE_WAITING);
    assert_int_equal(i.arrival_ms, 0);
    assert_int_equal(i.attempts, 1);
    TU_OFFERED_TO(e, 11, 1);
    /* another agent gets it before the later 12 */
    tu_advance(e, 200);
    tu_ready(e, 2);
    TU_OFFERED_TO(e, 10, 2);
    TU_OFFERED_TO(e, 12, 0);
    i = tu_info(e, 10);
    assert_int_equal(i.attempts, 2);
    assert_int_equal(i.arrival_ms, 0);
    ev = tu_rec_last(&fx.rec, ORCA_EV_OFFERED);
    assert_int_equal(ev->wait_ms, 200);
    /* the oldest waiting work is 12 now; before, 10 (arrival 0) was */
    assert_int_equal(tu_qinfo(e, q).oldest_arrival_ms, 20);
    TU_OK(orca_offer_reject(e, 10)); /* 10 waits again: oldest is 0 */
    assert_int_equal(tu_qinfo(e, q).oldest_arrival_ms, 0);
    tu_fx_free(&fx);
}

static void test_reoffer_delay(void **state)
{
    (void)state;
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.reoffer_delay_ms = 5000;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, &cfg);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    tu_enqueue(e, 10, q, ORCA_CHANNEL_CHAT, 0);
    tu_advance(e, 100);
    TU_OK(orca_offer_reject(e, 10));
    TU_OFFERED_TO(e, 10, 0);
    /* other work still reaches the agent */
    tu_enqueue(e, 11, q, ORCA_CHANNEL_CHAT, 0);
    TU_OFFERED_TO(e, 11, 1);
    uint64_t dl;
    TU_OK(orca_engine_next_deadline(e, &dl));
    assert_int_equal(dl, 5100);
    /* presence changes do not lift the exclusion */
    tu_notready(e, 1);
    tu_ready(e, 1);
    TU_OFFERED_TO(e, 10, 0);
    tu_advance(e, 5099);
    TU_OFFERED_TO(e, 10, 0);
    tu_advance(e, 5100);
    TU_OFFERED_TO(e, 10, 1);
    orca_interaction_info i = tu_info(e, 10);
    assert_int_equal(i.attempts, 2);
    assert_int_equal(tu_rec_last(&fx.rec, ORCA_EV_OFFERED)->time_ms, 5100);
    tu_fx_free(&fx);
}

static void test_offer_timeout(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);
    tu_ready(e, 1);
    tu_enqueue(e, 10, q, ORCA_CHANNEL_VOICE, 0);
    tu_advance(e, 19999);
    TU_OFFERED_TO(e, 10, 1);
    tu_ready(e, 2); /* idle, but 10 is not offered twice */
    TU_OFFERED_TO(e, 10, 1);
    size_t from = fx.rec.n;
    tu_advance(e, 20000);
    TU_SEQ(&fx.rec, from, 10, "OFFER_TIMEOUT OFFERED");
    const orca_event *ev = tu_rec_nth(&fx.rec, ORCA_EV_OFFER_TIMEOUT, 0);
    assert_int_equal(ev->agent, 1);
    assert_int_equal(ev->time_ms, 20000);
    TU_OFFERED_TO(e, 10, 2);
    assert_int_equal(tu_ainfo(e, 1).missed, 1);
    assert_int_equal(tu_ainfo(e, 1).used, 0);
    assert_int_equal(tu_info(e, 10).attempts, 2);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Order                                                                    */
/* ------------------------------------------------------------------------ */

/* Ready the agent (voice, one at a time) and collect the order it is
 * offered the given work, accepting and ending each. */
static void take_all(orca_engine *e, uint64_t agent, size_t n, uint64_t *order)
{
    tu_ready(e, agent);
    for (size_t k = 0; k < n; k++) {
        orca_agent_info ai = tu_ainfo(e, agent);
        assert_int_equal(ai.offered, 1);
        order[k] = 0;
        for (uint64_t id = 1; id <= 64; id++)
            if (tu_state(e, id) == ORCA_STATE_OFFERED && tu_agent_of(e, id) == agent)
                order[k] = id;
        TU_OK(orca_offer_accept(e, order[k]));
        TU_OK(orca_interaction_end(e, order[k]));
    }
    assert_int_equal(tu_ainfo(e, agent).offered, 0);
}

static void expect_order(const uint64_t *got, const uint64_t *want, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (got[k] != want[k]) {
            char g[128] = "", w[128] = "";
            for (size_t j = 0; j < n; j++) {
                snprintf(g + strlen(g), sizeof(g) - strlen(g), " %llu",
                         (unsigned long long)got[j]);
                snprintf(w + strlen(w), sizeof(w) - strlen(w), " %llu",
                         (unsigned long long)want[j]);
            }
            fail_msg("offered in order%s, expected%s", g, w);
        }
}

static void test_priority_then_fifo(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    const uint32_t prio[] = {1, 5, 5, 1, 9, 0, 255, 5};
    for (uint64_t id = 1; id <= 8; id++) {
        tu_advance(e, 10 * id);
        tu_enqueue(e, id, q, ORCA_CHANNEL_VOICE, prio[id - 1]);
    }
    uint64_t got[8];
    take_all(e, 1, 8, got);
    const uint64_t want[8] = {7, 5, 2, 3, 8, 1, 4, 6};
    expect_order(got, want, 8);
    tu_fx_free(&fx);
}

/* Same priority, same millisecond: enqueue order decides. */
static void test_same_time_fifo(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    const uint64_t ids[6] = {40, 3, 17, 1, 60, 9};
    for (size_t k = 0; k < 6; k++)
        tu_enqueue(e, ids[k] % 64, q, ORCA_CHANNEL_VOICE, 2);
    uint64_t got[6], want[6];
    for (size_t k = 0; k < 6; k++)
        want[k] = ids[k] % 64;
    take_all(e, 1, 6, got);
    expect_order(got, want, 6);
    tu_fx_free(&fx);
}

static void test_set_priority(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);
    for (uint64_t id = 1; id <= 4; id++) {
        tu_advance(e, 10 * id);
        tu_enqueue(e, id, q, ORCA_CHANNEL_VOICE, 1);
    }
    TU_OK(orca_interaction_set_priority(e, 3, 7));
    orca_interaction_info i = tu_info(e, 3);
    assert_int_equal(i.priority, 7);
    assert_int_equal(i.effective_priority, 7);
    assert_int_equal(i.arrival_ms, 30);
    TU_OK(orca_interaction_set_priority(e, 1, 0));
    TU_OK(orca_interaction_set_priority(e, 4, ORCA_PRIORITY_MAX));
    TU_OK(orca_interaction_set_priority(e, 4, 1)); /* and back: arrival decides */
    uint64_t got[4];
    take_all(e, 1, 4, got);
    const uint64_t want[4] = {3, 2, 4, 1};
    expect_order(got, want, 4);

    /* On OFFERED work: allowed, kept if the offer comes back. */
    tu_notready(e, 1);
    tu_enqueue(e, 5, q, ORCA_CHANNEL_VOICE, 1);
    tu_enqueue(e, 6, q, ORCA_CHANNEL_VOICE, 3);
    tu_ready(e, 1);
    TU_OFFERED_TO(e, 6, 1);
    TU_OK(orca_interaction_set_priority(e, 6, 0));
    assert_int_equal(tu_info(e, 6).priority, 0);
    TU_OFFERED_TO(e, 6, 1);
    TU_OK(orca_offer_reject(e, 6));
    TU_OFFERED_TO(e, 5, 1);
    tu_ready(e, 2);
    TU_OFFERED_TO(e, 6, 2);
    tu_fx_free(&fx);
}

/* One agent in two queues: one global order (priority, then arrival),
 * unless queue ranks say otherwise. */
static void test_two_queues_global_order(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q1 = tu_queue(e, "q1", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q2 = tu_queue(e, "q2", ORCA_STRATEGY_ROUND_ROBIN);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q1, 1, 0);
    tu_member(e, q2, 1, 3); /* tier only ranks agents, not queues */
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q1, 2, 0);
    tu_member(e, q2, 2, 0);
    const orca_queue_id qs[6] = {q1, q2, q1, q2, q1, q2};
    const uint32_t pr[6] = {0, 0, 0, 5, 0, 0};
    for (uint64_t id = 1; id <= 6; id++) {
        tu_advance(e, 10 * id);
        tu_enqueue(e, id, qs[id - 1], ORCA_CHANNEL_VOICE, pr[id - 1]);
    }
    uint64_t got[6];
    take_all(e, 1, 6, got);
    const uint64_t want[6] = {4, 1, 2, 3, 5, 6};
    expect_order(got, want, 6);

    /* Agent 2 ranks q1 first: all of q1 (by priority, arrival), then q2. */
    tu_notready(e, 1);
    TU_OK(orca_agent_set_queue_rank(e, 2, q2, 1));
    for (uint64_t id = 11; id <= 16; id++) {
        tu_advance(e, 100 + 10 * id);
        tu_enqueue(e, id, qs[id - 11], ORCA_CHANNEL_VOICE, pr[id - 11]);
    }
    uint64_t got2[6];
    take_all(e, 2, 6, got2);
    const uint64_t want2[6] = {11, 13, 15, 14, 12, 16};
    expect_order(got2, want2, 6);

    /* Ranks are per agent: agent 1 still sees one order. */
    tu_notready(e, 2);
    for (uint64_t id = 21; id <= 23; id++) {
        tu_advance(e, 1000 + 10 * id);
        tu_enqueue(e, id, id == 21 ? q1 : q2, ORCA_CHANNEL_VOICE, id == 23 ? 1 : 0);
    }
    tu_ready(e, 1);
    TU_OFFERED_TO(e, 23, 1);
    TU_OK(orca_interaction_cancel(e, 23));
    TU_OFFERED_TO(e, 21, 1);
    tu_fx_free(&fx);
}


/* Queue ranks order an agent's work, not the agents: new work still goes
 * to the longest idle agent whatever rank it gave the queue. */
static void test_rank_not_used_for_agents(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);
    TU_OK(orca_agent_set_queue_rank(e, 1, q, ORCA_RANK_MAX));
    tu_ready(e, 1);
    tu_advance(e, 10);
    tu_ready(e, 2);
    tu_enqueue(e, 1, q, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 1, 1);
    tu_fx_free(&fx);
}

/* Timers due at the same instant run in enqueue order. */
static void test_same_deadline_in_seq_order(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "q";
    qd.max_wait_ms = 1000;
    orca_queue_id q = tu_queue_def(e, &qd);
    const uint64_t ids[4] = {50, 7, 99, 8};
    for (int k = 0; k < 4; k++)
        tu_enqueue(e, ids[k], q, ORCA_CHANNEL_CHAT, (uint32_t)(k == 2 ? 200 : 0));
    tu_advance(e, 5000);
    assert_int_equal(tu_rec_count(&fx.rec, ORCA_EV_TIMED_OUT), 4);
    for (size_t k = 0; k < 4; k++) {
        const orca_event *ev = tu_rec_nth(&fx.rec, ORCA_EV_TIMED_OUT, k);
        assert_int_equal(ev->interaction, ids[k]);
        assert_int_equal(ev->time_ms, 1000);
    }
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Abandon, cancel                                                          */
/* ------------------------------------------------------------------------ */

static void test_abandon_and_cancel(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_advance(e, 100);
    for (uint64_t id = 1; id <= 4; id++)
        tu_enqueue(e, id, q, ORCA_CHANNEL_VOICE, 0);
    tu_advance(e, 600);

    /* WAITING work */
    size_t from = fx.rec.n;
    TU_OK(orca_interaction_abandon(e, 1));
    TU_SEQ(&fx.rec, from, 0, "ABANDONED");
    const orca_event *ev = tu_rec_last(&fx.rec, ORCA_EV_ABANDONED);
    assert_int_equal(ev->interaction, 1);
    assert_int_equal(ev->wait_ms, 500);
    assert_int_equal(ev->queue, q);
    assert_int_equal(tu_state(e, 1), 0);
    from = fx.rec.n;
    TU_OK(orca_interaction_cancel(e, 2));
    TU_SEQ(&fx.rec, from, 0, "CANCELLED");
    assert_int_equal(tu_rec_last(&fx.rec, ORCA_EV_CANCELLED)->wait_ms, 500);
    assert_int_equal(tu_state(e, 2), 0);
    assert_int_equal(tu_qinfo(e, q).waiting, 2);

    /* OFFERED work: the agent is freed and gets the next one */
    tu_ready(e, 1);
    TU_OFFERED_TO(e, 3, 1);
    tu_advance(e, 700);
    from = fx.rec.n;
    TU_OK(orca_interaction_abandon(e, 3));
    TU_SEQ(&fx.rec, from, 0, "ABANDONED OFFERED");
    assert_int_equal(tu_rec_last(&fx.rec, ORCA_EV_ABANDONED)->agent, 1);
    TU_OFFERED_TO(e, 4, 1);
    orca_agent_info ai = tu_ainfo(e, 1);
    assert_int_equal(ai.used, 100);
    assert_int_equal(ai.idle_since_ms, 600); /* not completed work */
    assert_int_equal(ai.missed, 0);
    from = fx.rec.n;
    TU_OK(orca_interaction_cancel(e, 4));
    TU_SEQ(&fx.rec, from, 0, "CANCELLED");
    ai = tu_ainfo(e, 1);
    assert_int_equal(ai.used, 0);
    assert_int_equal(ai.offered, 0);
    orca_counts c = tu_counts(e);
    assert_int_equal(c.interactions, 0);
    assert_int_equal(c.offered, 0);
    uint64_t dl;
    TU_RC(orca_engine_next_deadline(e, &dl), ORCA_ENOENT); /* timers went too */
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Many at once                                                             */
/* ------------------------------------------------------------------------ */

/* Work piles up, then agents come READY and take many offers each in one
 * call: every offer needs its own timer. */
static void test_burst(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LEAST_OCCUPIED);
    for (uint64_t a = 1; a <= 5; a++) {
        tu_agent(e, a, 100, NULL, 0);
        tu_member(e, q, a, 0);
    }
    for (uint64_t id = 1; id <= 200; id++)
        tu_enqueue(e, id, q, ORCA_CHANNEL_EMAIL, (uint32_t)(id % 7));
    for (uint64_t a = 1; a <= 5; a++) {
        tu_ready(e, a);
        assert_int_equal(tu_ainfo(e, a).offered, 10);
        TU_CHECK(e);
    }
    orca_counts c = tu_counts(e);
    assert_int_equal(c.offered, 50);
    assert_int_equal(c.waiting, 150);
    tu_advance(e, 20000); /* all 50 time out together, and are re-offered later */
    c = tu_counts(e);
    assert_int_equal(c.offered + c.waiting, 200);
    TU_CHECK(e);
    tu_advance(e, 200000);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

int main(void)
{
    tu_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interaction_def_init),
        cmocka_unit_test(test_enqueue_info),
        cmocka_unit_test(test_enqueue_bad),
        cmocka_unit_test(test_enqueue_id_zero),
        cmocka_unit_test(test_duplicate_ids),
        cmocka_unit_test(test_wrong_states),
        cmocka_unit_test(test_lifecycle_events),
        cmocka_unit_test(test_end_without_wrapup),
        cmocka_unit_test(test_wrapup_done_early),
        cmocka_unit_test(test_reject_keeps_place),
        cmocka_unit_test(test_reoffer_delay),
        cmocka_unit_test(test_offer_timeout),
        cmocka_unit_test(test_priority_then_fifo),
        cmocka_unit_test(test_same_time_fifo),
        cmocka_unit_test(test_set_priority),
        cmocka_unit_test(test_two_queues_global_order),
        cmocka_unit_test(test_rank_not_used_for_agents),
        cmocka_unit_test(test_same_deadline_in_seq_order),
        cmocka_unit_test(test_abandon_and_cancel),
        cmocka_unit_test(test_burst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
