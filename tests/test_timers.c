/*
 * test_timers.c: offer timeouts that never fire (ORCA_TIMEOUT_NEVER), the
 * no-answer limit's default, and deadlines at the end of the clock's range
 * (ORCA_TIME_MAX): issue 11.
 */
#include "testutil.h"

/* An engine with one READY agent (id 1) serving queue q on every
 * built-in channel, offers recorded in *o. */
static orca_engine *one_agent(tu_fx *fx, const orca_config *cfg, uint32_t q_timeout,
                              orca_queue_id *q, tu_offers *o)
{
    orca_engine *e = tu_fx_new(fx, cfg);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "q";
    qd.offer_timeout_ms = q_timeout;
    TU_OK(orca_queue_add(e, &qd, q));
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, *q, 1, 0);
    tu_ready(e, 1);
    tu_offers_init(o, NULL);
    TU_OK(orca_channel_set_callbacks(e, ORCA_CHANNEL_VOICE, &tu_offer_callbacks, o));
    return e;
}

/* ORCA_TIMEOUT_NEVER in the engine's config: an offer waits for an answer
 * however long the clock runs; nothing is scheduled for it. */
static void test_timeout_never_engine(void **state)
{
    (void)state;
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.offer_timeout_ms = ORCA_TIMEOUT_NEVER;
    tu_fx fx;
    tu_offers o;
    orca_queue_id q;
    orca_engine *e = one_agent(&fx, &cfg, 0, &q, &o);
    tu_enqueue(e, 10, q, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 10, 1);
    assert_int_equal(o.noffers, 1);
    assert_true(o.offer[0].expires_ms == UINT64_MAX);
    uint64_t d = 0;
    assert_int_equal(orca_engine_next_deadline(e, &d), ORCA_ENOENT);
    tu_advance(e, ORCA_TIME_MAX - 1);
    TU_OFFERED_TO(e, 10, 1);
    assert_int_equal(tu_ainfo(e, 1).missed, 0);
    assert_int_equal(o.nwithdrawn, 0);
    TU_OK(orca_offer_accept(e, 10));
    TU_OK(orca_engine_check(e));
    tu_fx_free(&fx);
}

/* A queue's own ORCA_TIMEOUT_NEVER overrides the engine's timeout, and a
 * queue's own timeout overrides the engine's NEVER. */
static void test_timeout_never_queue(void **state)
{
    (void)state;
    tu_fx fx;
    tu_offers o;
    orca_queue_id q;
    orca_engine *e = one_agent(&fx, NULL, ORCA_TIMEOUT_NEVER, &q, &o);
    tu_enqueue(e, 10, q, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 10, 1);
    uint64_t d = 0;
    assert_int_equal(orca_engine_next_deadline(e, &d), ORCA_ENOENT);
    tu_advance(e, 1000u * 3600 * 24 * 365);
    TU_OFFERED_TO(e, 10, 1);
    tu_fx_free(&fx);

    orca_config cfg;
    orca_config_init(&cfg);
    cfg.offer_timeout_ms = ORCA_TIMEOUT_NEVER;
    e = one_agent(&fx, &cfg, 5000, &q, &o);
    tu_enqueue(e, 10, q, ORCA_CHANNEL_VOICE, 0);
    TU_OK(orca_engine_next_deadline(e, &d));
    assert_int_equal(d, 5000);
    assert_int_equal(o.offer[0].expires_ms, 5000);
    tu_advance(e, 5000);
    TU_OFFERED_TO(e, 10, 0);
    assert_int_equal(tu_ainfo(e, 1).missed, 1);
    tu_fx_free(&fx);
}

/* Regression (issue 11): near the end of the clock's range an offer's
 * deadline was offered_ms + timeout, past ORCA_TIME_MAX, which no advance
 * can reach: the offer never expired. It now ends at ORCA_TIME_MAX - 1, and
 * so does a wrap-up. */
static void test_deadline_clamped(void **state)
{
    (void)state;
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.start_ms = ORCA_TIME_MAX - 5000;
    tu_fx fx;
    tu_offers o;
    orca_queue_id q;
    orca_engine *e = one_agent(&fx, &cfg, 0, &q, &o);
    tu_enqueue(e, 10, q, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 10, 1);
    assert_int_equal(o.offer[0].expires_ms, ORCA_TIME_MAX - 1);
    uint64_t d = 0;
    TU_OK(orca_engine_next_deadline(e, &d));
    assert_int_equal(d, ORCA_TIME_MAX - 1);
    tu_advance(e, ORCA_TIME_MAX - 2);
    TU_OFFERED_TO(e, 10, 1);
    tu_advance(e, ORCA_TIME_MAX - 1);
    TU_OFFERED_TO(e, 10, 0); /* it expired */
    assert_int_equal(tu_ainfo(e, 1).missed, 1);
    assert_int_equal(o.nwithdrawn, 1);
    assert_int_equal(o.reason[0], ORCA_WITHDRAW_TIMEOUT);
    /* the re-offer delay (30 s) would end past the range: never due */
    assert_int_equal(orca_engine_next_deadline(e, &d), ORCA_ENOENT);
    TU_OK(orca_engine_check(e));
    tu_fx_free(&fx);

    /* a wrap-up too */
    e = one_agent(&fx, &cfg, 0, &q, &o);
    TU_OK(orca_channel_set_wrapup(e, ORCA_CHANNEL_VOICE, 60000));
    tu_enqueue(e, 10, q, ORCA_CHANNEL_VOICE, 0);
    TU_OK(orca_offer_accept(e, 10));
    TU_OK(orca_interaction_end(e, 10));
    assert_int_equal(tu_state(e, 10), ORCA_STATE_WRAPUP);
    TU_OK(orca_engine_next_deadline(e, &d));
    assert_int_equal(d, ORCA_TIME_MAX - 1);
    tu_advance(e, ORCA_TIME_MAX - 1);
    assert_int_equal(tu_state(e, 10), 0);
    assert_int_equal(tu_ainfo(e, 1).used, 0);
    tu_fx_free(&fx);
}

/* A wait limit past the end of the range is never due: nothing is
 * scheduled for it (and advancing to the end does not fire it early). */
static void test_waiting_deadline_past_end(void **state)
{
    (void)state;
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.start_ms = ORCA_TIME_MAX - 5000;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, &cfg);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "q";
    qd.max_wait_ms = 10000;
    orca_queue_id q;
    TU_OK(orca_queue_add(e, &qd, &q));
    tu_enqueue(e, 10, q, ORCA_CHANNEL_VOICE, 0);
    uint64_t d = 0;
    assert_int_equal(orca_engine_next_deadline(e, &d), ORCA_ENOENT);
    tu_advance(e, ORCA_TIME_MAX - 1);
    assert_int_equal(tu_state(e, 10), ORCA_STATE_WAITING);
    TU_OK(orca_engine_check(e));
    tu_fx_free(&fx);
}

/* A callback retry that would fall past the end of the range stays
 * SCHEDULED with no deadline, and the engine stays consistent (the
 * differential found orca_engine_check refusing it when the deadline
 * rule changed). */
static void test_retry_past_end(void **state)
{
    (void)state;
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.start_ms = ORCA_TIME_MAX - 60000; /* the retry is 300 s later */
    tu_fx fx;
    tu_offers o;
    orca_queue_id q;
    orca_engine *e = one_agent(&fx, &cfg, 0, &q, &o);
    tu_enqueue(e, 10, q, ORCA_CHANNEL_VOICE, 0);
    TU_OK(orca_offer_accept(e, 10));
    TU_OK(orca_interaction_unreached(e, 10));
    assert_int_equal(tu_state(e, 10), ORCA_STATE_SCHEDULED);
    uint64_t d = 0;
    assert_int_equal(orca_engine_next_deadline(e, &d), ORCA_ENOENT);
    TU_OK(orca_engine_check(e));
    tu_advance(e, ORCA_TIME_MAX - 1);
    assert_int_equal(tu_state(e, 10), ORCA_STATE_SCHEDULED);
    TU_OK(orca_engine_check(e));
    tu_fx_free(&fx);
}

/* Regression (issue 11): one clock step of 2^46 ms with an agent who never
 * answers re-offered the work after every timeout and re-offer delay, about
 * 1.4 billion times (25 minutes). With the default no-answer limit (3) the
 * agent goes NOT_READY after three timeouts, so the step costs three
 * timeouts: this test took 25 minutes before, milliseconds now. */
static void test_long_step_no_answer(void **state)
{
    (void)state;
    tu_fx fx;
    tu_offers o;
    orca_queue_id q;
    orca_engine *e = one_agent(&fx, NULL, 0, &q, &o);
    tu_enqueue(e, 10, q, ORCA_CHANNEL_VOICE, 0);
    tu_advance(e, ORCA_TIME_MAX - 1);
    orca_agent_info ai = tu_ainfo(e, 1);
    assert_int_equal(ai.missed, 3);
    assert_int_equal(ai.presence, ORCA_PRESENCE_NOT_READY);
    assert_int_equal(ai.reason, ORCA_REASON_NO_ANSWER);
    assert_int_equal(tu_state(e, 10), ORCA_STATE_WAITING);
    assert_int_equal(tu_info(e, 10).attempts, 3);
    assert_int_equal(o.noffers, 1); /* offers inside one step: only the last is delivered */
    TU_OK(orca_engine_check(e));
    tu_fx_free(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeout_never_engine),
        cmocka_unit_test(test_timeout_never_queue),
        cmocka_unit_test(test_deadline_clamped),
        cmocka_unit_test(test_waiting_deadline_past_end),
        cmocka_unit_test(test_retry_past_end),
        cmocka_unit_test(test_long_step_no_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
