/*
 * test_continuity.c: continuity of service. Named agent targets (soft:
 * held for agent_wait_ms, released on expiry, OFFLINE/removal, decline,
 * ineligibility; hard: nobody else ever, timing out after agent_wait_ms or
 * when the agent is removed), sticky last-agent routing (per conversation,
 * sticky_within_ms, presence and eligibility, overridden by a named agent,
 * forgotten with the history), ORCA_EV_TARGET_RELEASED reasons, and
 * transfers (blind and consult, the consult leg leaving before an answer,
 * to a named agent, onto another channel keeping the first arrival, the
 * history handed in offers after transfers), every bad input of the new
 * calls proving the engine unchanged, ORCA_EBUSY from callbacks, and an
 * allocation-failure sweep over transfers.
 *
 * Readings of orca.h this suite takes where the header could be read two
 * ways (each marked "Reading:" where it is used):
 *  - Consult transfer: the orca_interaction_transfer() call itself emits
 *    the new leg's ENQUEUED (and OFFERED) only; ORCA_EV_TRANSFERRED (value
 *    ORCA_TRANSFER_CONSULT) and `from`'s COMPLETED come when the leg is
 *    accepted, right after its ACCEPTED ("then `from` ends as for a blind
 *    transfer", and a blind transfer's end is "TRANSFERRED, then
 *    COMPLETED"); a leg that leaves unanswered emits no TRANSFERRED.
 *    totals.transfers counts hand-overs (so a consult only once answered). Kept apart in
 *    test_reading_consult_events.
 *  - Blind transfer emits, in order: TRANSFERRED, COMPLETED (of `from`),
 *    then the leg's ENQUEUED and whatever routing follows.
 *  - A target's wait (agent_wait_ms, sticky_ms) counts from the moment the
 *    work is enqueued (for a transfer leg: the transfer), not from the
 *    first arrival the leg keeps.
 *  - A hard target that the agent rejects just waits for the same agent
 *    again (after reoffer_delay_ms); going OFFLINE does not end a hard
 *    target (only removal or agent_wait_ms do).
 *  - A named (soft) agent that is NOT_READY still holds the work (only
 *    OFFLINE releases it); sticky routing applies to a NOT_READY last agent
 *    too ("logged in" = not OFFLINE).
 *  - ORCA_EFULL from a transfer leaves the engine as it was, except that
 *    it may emit ORCA_EV_REJECTED_FULL as enqueue does.
 *  - A transferred leg continues the customer's contact: it is not a new
 *    contact (totals.contacts, recontacts and the customer's contacts do
 *    not count it, no ORCA_ENQ_RECONTACT), but onto another channel within
 *    a conversation it is a channel switch (ORCA_ENQ_SWITCH and
 *    channel_switches), as a chat escalated to a call is "continuing a
 *    conversation on a new channel" (test_reading_transfer_leg_counts).
 *  - A transferred leg is not held by the target queue's sticky routing
 *    (test_reading_transfer_not_sticky); a named to->agent holds it.
 */
#include "testutil.h"

#include "custutil.h"

/* ------------------------------------------------------------------------ */
/* Local builders                                                           */
/* ------------------------------------------------------------------------ */

/* Enqueue with a named agent (wait, hard). */
static int tenq(orca_engine *e, uint64_t id, orca_queue_id q, orca_channel_id ch,
                uint64_t cust, uint64_t conv, uint64_t agent, uint32_t wait, uint32_t hard)
{
    orca_interaction_def d;
    cdef(&d, id, q, ch, cust, conv);
    d.agent = agent;
    d.agent_wait_ms = wait;
    d.agent_required = hard;
    return orca_interaction_enqueue(e, &d);
}

static orca_queue_id sticky_queue_(orca_engine *e, const char *name, uint32_t sticky_ms,
                                   uint32_t within_ms, const char *file, int line)
{
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = name;
    qd.sticky_ms = sticky_ms;
    qd.sticky_within_ms = within_ms;
    return tu_queue_def_(e, &qd, file, line);
}
#define sticky_queue(e, n, s, w) sticky_queue_((e), (n), (s), (w), __FILE__, __LINE__)

/* Agents first..last, capacity 100, every built-in channel, members of q. */
static void team_(orca_engine *e, orca_queue_id q, uint64_t first, uint64_t last,
                  const char *file, int line)
{
    for (uint64_t a = first; a <= last; a++) {
        orca_agent_info ai;
        if (orca_agent_info_get(e, a, &ai) == ORCA_ENOENT)
            tu_agent_(e, a, 100, NULL, 0, file, line);
        tu_rc_(orca_queue_member_add(e, q, a, 0), ORCA_OK, "member_add", file, line);
    }
}
#define team(e, q, f, l) team_((e), (q), (f), (l), __FILE__, __LINE__)

static void offline_(orca_engine *e, uint64_t a, const char *file, int line)
{
    tu_rc_(orca_agent_set_presence(e, a, ORCA_PRESENCE_OFFLINE, 0), ORCA_OK,
           "set_presence OFFLINE", file, line);
}
#define offline(e, a) offline_((e), (a), __FILE__, __LINE__)

/* The last TARGET_RELEASED event of ix must name agent and reason, at time. */
static void released_(const tu_rec *r, uint64_t ix, uint64_t agent, uint32_t reason,
                      uint64_t time, const char *file, int line)
{
    const orca_event *ev = ev_of(r, ORCA_EV_TARGET_RELEASED, ix);
    if (!ev) {
        print_error("no TARGET_RELEASED event for interaction %llu\n", (unsigned long long)ix);
        _fail(file, line);
        return;
    }
    if (ev->agent != agent || ev->value != reason || ev->time_ms != time) {
        print_error("TARGET_RELEASED of %llu: agent %llu value %u time %llu, expected agent %llu "
                    "value %u time %llu\n", (unsigned long long)ix,
                    (unsigned long long)ev->agent, (unsigned)ev->value,
                    (unsigned long long)ev->time_ms, (unsigned long long)agent,
                    (unsigned)reason, (unsigned long long)time);
        _fail(file, line);
    }
}
#define RELEASED(r, ix, agent, reason, time) released_((r), (ix), (agent), (reason), (time), __FILE__, __LINE__)

static void held_for_(const orca_engine *e, uint64_t ix, uint64_t agent, uint64_t until,
                      uint32_t hard, const char *file, int line)
{
    orca_interaction_info i = tu_info_(e, ix, file, line);
    if (i.state != ORCA_STATE_WAITING || i.target_agent != agent ||
        i.target_until_ms != until || i.target_required != hard) {
        print_error("interaction %llu: state %d target_agent %llu until %llu required %u, "
                    "expected WAITING held for %llu until %llu required %u\n",
                    (unsigned long long)ix, (int)i.state, (unsigned long long)i.target_agent,
                    (unsigned long long)i.target_until_ms, (unsigned)i.target_required,
                    (unsigned long long)agent, (unsigned long long)until, (unsigned)hard);
        _fail(file, line);
    }
}
#define HELD_FOR(e, ix, agent, until, hard) held_for_((e), (ix), (agent), (until), (hard), __FILE__, __LINE__)

#define ENQ_VALUE(rec, ix, want_value, want_agent) do {                        \
        const orca_event *ev_ = enq_ev((rec), (ix));                            \
        if (ev_->value != (uint32_t)(want_value) || ev_->agent != (uint64_t)(want_agent)) \
            fail_msg("ENQUEUED of %llu: value %u agent %llu, expected value %u agent %llu", \
                     (unsigned long long)(ix), (unsigned)ev_->value,           \
                     (unsigned long long)ev_->agent, (unsigned)(want_value),    \
                     (unsigned long long)(want_agent));                         \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Named agent, soft                                                        */
/* ------------------------------------------------------------------------ */

static void test_named_soft_offered_at_once(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    hoffers ho;
    ho_attach(&ho, e);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    team(e, q, 1, 3);
    for (uint64_t a = 1; a <= 3; a++)
        tu_ready(e, a);
    tu_advance(e, 100);
    size_t from = fx.rec.n;
    TU_OK(tenq(e, 10, q, ORCA_CHANNEL_VOICE, 4, 0, 2, 5000, 0));
    TU_SEQ(&fx.rec, from, 0, "ENQUEUED OFFERED");
    ENQ_VALUE(&fx.rec, 10, ORCA_ENQ_TARGETED, 2);
    TU_OFFERED_TO(e, 10, 2);      /* agent 1 would be next otherwise */
    assert_int_equal(ho_last(&ho, 10)->agent, 2);
    TOTALS_ARE(e, 1, 1, 0, 0, 1, 0, 1, 0, 0);
    /* the control: no target, longest idle then lowest id */
    cenq(e, 11, q, ORCA_CHANNEL_VOICE, 5, 0);
    TU_OFFERED_TO(e, 11, 1);
    ENQ_VALUE(&fx.rec, 11, 0, 0);
    TOTALS_ARE(e, 2, 2, 0, 0, 1, 0, 1, 0, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* Agents 1 and 2 in q; 2 busy with interaction 5 (customer 9), 1 ready. */
static orca_queue_id two_agents_2_busy(orca_engine *e)
{
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    team(e, q, 1, 2);
    tu_ready(e, 2);
    cenq(e, 5, q, ORCA_CHANNEL_VOICE, 9, 0);
    TU_OFFERED_TO(e, 5, 2);
    TU_OK(orca_offer_accept(e, 5));
    tu_ready(e, 1);
    return q;
}

static void test_named_soft_expires(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = two_agents_2_busy(e);
    tu_advance(e, 1000);
    TU_OK(tenq(e, 10, q, ORCA_CHANNEL_VOICE, 4, 0, 2, 5000, 0));
    ENQ_VALUE(&fx.rec, 10, ORCA_ENQ_TARGETED, 2);
    HELD_FOR(e, 10, 2, 6000, 0);          /* agent 1 is ready, but not offered it */
    assert_int_equal(tu_ainfo(e, 1).offered, 0);
    uint64_t dl = 0;
    TU_OK(orca_engine_next_deadline(e, &dl));
    assert_int_equal(dl, 6000);
    TU_CHECK(e);
    tu_advance(e, 5999);
    HELD_FOR(e, 10, 2, 6000, 0);
    size_t from = fx.rec.n;
    tu_advance(e, 6000);
    TU_SEQ(&fx.rec, from, 10, "TARGET_RELEASED OFFERED");
    RELEASED(&fx.rec, 10, 2, ORCA_RELEASE_EXPIRED, 6000);
    const orca_event *ev = ev_of(&fx.rec, ORCA_EV_TARGET_RELEASED, 10);
    assert_int_equal(ev->queue, q);
    assert_int_equal(ev->customer, 4);
    TU_OFFERED_TO(e, 10, 1);
    assert_int_equal(ev_of(&fx.rec, ORCA_EV_OFFERED, 10)->wait_ms, 5000);
    orca_interaction_info i = tu_info(e, 10);
    assert_int_equal(i.target_agent, 0);
    assert_int_equal(i.target_required, 0);
    TOTALS_ARE(e, 2, 2, 0, 0, 1, 0, 0, 0, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

static void test_named_soft_agent_frees(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = two_agents_2_busy(e);
    tu_advance(e, 1000);
    TU_OK(tenq(e, 10, q, ORCA_CHANNEL_VOICE, 4, 0, 2, 60000, 0));
    HELD_FOR(e, 10, 2, 61000, 0);
    tu_advance(e, 3000);
    size_t from = fx.rec.n;
    TU_OK(orca_interaction_end(e, 5));    /* no wrap-up: agent 2 is free */
    TU_SEQ(&fx.rec, from, 10, "OFFERED");
    TU_OFFERED_TO(e, 10, 2);
    assert_int_equal(tu_ainfo(e, 1).offered, 0);
    TU_OK(orca_offer_accept(e, 10));
    assert_int_equal(ev_of(&fx.rec, ORCA_EV_ACCEPTED, 10)->wait_ms, 2000);
    assert_int_equal(tu_rec_count(&fx.rec, ORCA_EV_TARGET_RELEASED), 0);
    TOTALS_ARE(e, 2, 2, 0, 0, 1, 0, 1, 0, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

static void test_named_soft_released_offline(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = two_agents_2_busy(e);
    tu_advance(e, 1000);
    TU_OK(tenq(e, 10, q, ORCA_CHANNEL_VOICE, 4, 0, 2, 60000, 0));
    /* Reading: NOT_READY does not release */
    tu_advance(e, 2000);
    tu_notready(e, 2);
    HELD_FOR(e, 10, 2, 61000, 0);
    assert_int_equal(tu_rec_count(&fx.rec, ORCA_EV_TARGET_RELEASED), 0);
    TU_CHECK(e);
    tu_advance(e, 3000);
    size_t from = fx.rec.n;
    offline(e, 2);
    TU_SEQ(&fx.rec, from, 10, "TARGET_RELEASED OFFERED");
    RELEASED(&fx.rec, 10, 2, ORCA_RELEASE_OFFLINE, 3000);
    TU_OFFERED_TO(e, 10, 1);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

static void test_named_soft_released_removed(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    team(e, q, 1, 2);
    tu_notready(e, 2);
    tu_ready(e, 1);
    tu_advance(e, 1000);
    TU_OK(tenq(e, 10, q, ORCA_CHANNEL_VOICE, 4, 0, 2, 60000, 0));
    HELD_FOR(e, 10, 2, 61000, 0);
    tu_advance(e, 2000);
    size_t from = fx.rec.n;
    TU_OK(orca_agent_remove(e, 2));
    TU_SEQ(&fx.rec, from, 10, "TARGET_RELEASED OFFERED");
    RELEASED(&fx.rec, 10, 2, ORCA_RELEASE_OFFLINE, 2000);
    TU_OFFERED_TO(e, 10, 1);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

static void test_named_soft_released_declined(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    team(e, q, 1, 3);
    for (uint64_t a = 1; a <= 3; a++)
        tu_ready(e, a);
    tu_advance(e, 100);
    TU_OK(tenq(e, 10, q, ORCA_CHANNEL_VOICE, 4, 0, 2, 60000, 0));
    TU_OFFERED_TO(e, 10, 2);
    tu_advance(e, 500);
    size_t from = fx.rec.n;
    TU_OK(orca_offer_reject(e, 10));
    TU_SEQ(&fx.rec, from, 10, "REJECTED TARGET_RELEASED OFFERED");
    RELEASED(&fx.rec, 10, 2, ORCA_RELEASE_DECLINED, 500);
    TU_OFFERED_TO(e, 10, 1);
    TU_OK(orca_offer_accept(e, 10));
    TU_CHECK(e);

    /* the same for an offer nobody answers */
    tu_advance(e, 600);
    TU_OK(tenq(e, 11, q, ORCA_CHANNEL_VOICE, 5, 0, 3, 60000, 0));
    TU_OFFERED_TO(e, 11, 3);
    from = fx.rec.n;
    tu_advance(e, 20600);
    TU_SEQ(&fx.rec, from, 11, "OFFER_TIMEOUT TARGET_RELEASED OFFERED");
    RELEASED(&fx.rec, 11, 3, ORCA_RELEASE_DECLINED, 20600);
    TU_OFFERED_TO(e, 11, 2);
    TOTALS_ARE(e, 2, 2, 0, 0, 2, 0, 2, 0, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

static void test_named_soft_released_ineligible(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id fr = tu_skill(e, "fr");
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_skill_level fr5[1] = {{fr, 5}}, fr1[1] = {{fr, 1}};
    for (uint64_t a = 1; a <= 3; a++) {
        tu_agent(e, a, 100, fr5, 1);
        tu_member(e, q, a, 0);
    }
    tu_ready(e, 2);
    cenq(e, 5, q, ORCA_CHANNEL_VOICE, 9, 0);
    TU_OK(orca_offer_accept(e, 5));
    tu_ready(e, 1);
    orca_skill_level need[1] = {{fr, 3}};
    orca_interaction_def d;
    tu_advance(e, 1000);
    cdef(&d, 10, q, ORCA_CHANNEL_VOICE, 4, 0);
    d.required = need;
    d.nrequired = 1;
    d.agent = 2;
    d.agent_wait_ms = 60000;
    TU_OK(orca_interaction_enqueue(e, &d));
    HELD_FOR(e, 10, 2, 61000, 0);
    /* agent 2's French drops below what 10 needs */
    tu_advance(e, 2000);
    orca_agent_def ad;
    tu_agent_def(&ad, 2, 100, fr1, 1);
    size_t from = fx.rec.n;
    TU_OK(orca_agent_update(e, &ad));
    TU_SEQ(&fx.rec, from, 10, "TARGET_RELEASED OFFERED");
    RELEASED(&fx.rec, 10, 2, ORCA_RELEASE_INELIGIBLE, 2000);
    TU_OFFERED_TO(e, 10, 1);
    TU_OK(orca_offer_accept(e, 10));
    TU_CHECK(e);

    /* agent 1 (busy with 10) leaves the queue while 11 waits for it */
    tu_ready(e, 3);
    tu_advance(e, 3000);
    cdef(&d, 11, q, ORCA_CHANNEL_VOICE, 6, 0);
    d.required = need;
    d.nrequired = 1;
    d.agent = 1;
    d.agent_wait_ms = 60000;
    TU_OK(orca_interaction_enqueue(e, &d));
    HELD_FOR(e, 11, 1, 63000, 0);
    tu_advance(e, 4000);
    from = fx.rec.n;
    TU_OK(orca_queue_member_remove(e, q, 1));
    TU_SEQ(&fx.rec, from, 11, "TARGET_RELEASED OFFERED");
    RELEASED(&fx.rec, 11, 1, ORCA_RELEASE_INELIGIBLE, 4000);
    TU_OFFERED_TO(e, 11, 3);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* agent_wait_ms 0: the agent if they can take it now, else anyone. */
static void test_named_soft_wait_zero(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    team(e, q, 1, 2);
    tu_ready(e, 1);
    tu_ready(e, 2);
    tu_advance(e, 100);
    TU_OK(tenq(e, 10, q, ORCA_CHANNEL_VOICE, 4, 0, 2, 0, 0));
    TU_OFFERED_TO(e, 10, 2);
    TU_OK(orca_offer_accept(e, 10));
    tu_advance(e, 200);
    TU_OK(tenq(e, 11, q, ORCA_CHANNEL_VOICE, 5, 0, 2, 0, 0));  /* 2 is busy */
    TU_OFFERED_TO(e, 11, 1);
    assert_int_equal(tu_info(e, 11).target_agent, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Named agent, hard                                                        */
/* ------------------------------------------------------------------------ */

static void test_named_hard_waits_for_the_agent(void **state)
{
    (void)state;
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.reoffer_delay_ms = 5000;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, &cfg);
    orca_queue_id q = two_agents_2_busy(e);
    tu_advance(e, 1000);
    TU_OK(tenq(e, 10, q, ORCA_CHANNEL_VOICE, 4, 0, 2, 0, 1));
    ENQ_VALUE(&fx.rec, 10, ORCA_ENQ_TARGETED, 2);
    HELD_FOR(e, 10, 2, UINT64_MAX, 1);
    TU_CHECK(e);
    size_t from = fx.rec.n;
    tu_advance(e, 1000000);
    TU_SEQ(&fx.rec, from, 10, "");
    assert_int_equal(tu_ainfo(e, 1).offered, 0);
    /* Reading: OFFLINE does not end a hard target */
    offline(e, 2);
    HELD_FOR(e, 10, 2, UINT64_MAX, 1);
    tu_advance(e, 1000100);
    tu_ready(e, 2);                       /* still on call 5 */
    HELD_FOR(e, 10, 2, UINT64_MAX, 1);
    from = fx.rec.n;
    TU_OK(orca_interaction_end(e, 5));
    TU_SEQ(&fx.rec, from, 10, "OFFERED");
    TU_OFFERED_TO(e, 10, 2);
    /* Reading: a reject puts it back for the same agent */
    from = fx.rec.n;
    TU_OK(orca_offer_reject(e, 10));
    TU_SEQ(&fx.rec, from, 10, "REJECTED");
    TU_OFFERED_TO(e, 10, 0);
    assert_int_equal(tu_ainfo(e, 1).offered, 0);
    TU_CHECK(e);
    tu_advance(e, 1005099);
    TU_OFFERED_TO(e, 10, 0);
    tu_advance(e, 1005100);
    TU_OFFERED_TO(e, 10, 2);
    assert_int_equal(tu_info(e, 10).attempts, 2);
    TU_OK(orca_offer_accept(e, 10));
    assert_int_equal(tu_rec_count(&fx.rec, ORCA_EV_TARGET_RELEASED), 0);
    orca_customer_totals t = ctotals(e);
    assert_int_equal(t.targeted, 1);
    assert_int_equal(t.sticky, 0);
    assert_true(t.target_offers >= 1);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

static void test_named_hard_times_out(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = two_agents_2_busy(e);
    tu_advance(e, 1000);
    TU_OK(tenq(e, 10, q, ORCA_CHANNEL_VOICE, 4, 0, 2, 3000, 1));
    HELD_FOR(e, 10, 2, 4000, 1);
    tu_advance(e, 3999);
    HELD_FOR(e, 10, 2, 4000, 1);
    size_t from = fx.rec.n;
    tu_advance(e, 4000);
    TU_SEQ(&fx.rec, from, 10, "TIMED_OUT");
    const orca_event *ev = ev_of(&fx.rec, ORCA_EV_TIMED_OUT, 10);
    assert_int_equal(ev->time_ms, 4000);
    assert_int_equal(ev->wait_ms, 3000);
    assert_int_equal(tu_state(e, 10), 0);
    assert_int_equal(tu_ainfo(e, 1).offered, 0);
    orca_history_entry h[HO_HMAX];
    assert_int_equal(chist(e, 4, h), 1);
    HIST_IS(&h[0], 10, 0, q, ORCA_CHANNEL_VOICE, 0, 1000, 0, 4000, ORCA_OUTCOME_TIMED_OUT, 0);
    assert_int_equal(tu_rec_count(&fx.rec, ORCA_EV_TARGET_RELEASED), 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

static void test_named_hard_agent_removed(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    hoffers ho;
    ho_attach(&ho, e);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    team(e, q, 1, 3);
    tu_notready(e, 2);
    tu_ready(e, 1);
    tu_advance(e, 1000);
    TU_OK(tenq(e, 10, q, ORCA_CHANNEL_VOICE, 4, 0, 2, 0, 1));
    HELD_FOR(e, 10, 2, UINT64_MAX, 1);
    tu_advance(e, 2000);
    size_t from = fx.rec.n;
    TU_OK(orca_agent_remove(e, 2));
    TU_SEQ(&fx.rec, from, 10, "TIMED_OUT");
    assert_int_equal(ev_of(&fx.rec, ORCA_EV_TIMED_OUT, 10)->time_ms, 2000);
    assert_int_equal(tu_state(e, 10), 0);
    orca_history_entry h[HO_HMAX];
    assert_int_equal(chist(e, 4, h), 1);
    HIST_IS(&h[0], 10, 0, q, ORCA_CHANNEL_VOICE, 0, 1000, 0, 2000, ORCA_OUTCOME_TIMED_OUT, 0);
    assert_int_equal(tu_ainfo(e, 1).offered, 0);
    TU_CHECK(e);

    /* the same while offered to the agent: withdrawn, then timed out */
    tu_ready(e, 3);
    tu_advance(e, 3000);
    TU_OK(tenq(e, 11, q, ORCA_CHANNEL_VOICE, 5, 0, 3, 0, 1));
    TU_OFFERED_TO(e, 11, 3);
    from = fx.rec.n;
    TU_OK(orca_agent_remove(e, 3));
    TU_SEQ(&fx.rec, from, 11, "REJECTED TIMED_OUT");
    assert_int_equal(ho.nwithdrawn, 1);
    assert_int_equal(ho.withdrawn[0].interaction, 11);
    assert_int_equal(ho.reason[0], ORCA_WITHDRAW_AGENT_REMOVED);
    assert_int_equal(tu_state(e, 11), 0);
    assert_int_equal(tu_ainfo(e, 1).offered, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

static void test_named_hard_agent_becomes_eligible(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    team(e, q, 1, 1);
    tu_agent(e, 3, 100, NULL, 0);        /* not a member of q */
    tu_ready(e, 1);
    tu_ready(e, 3);
    tu_advance(e, 100);
    TU_OK(tenq(e, 10, q, ORCA_CHANNEL_VOICE, 4, 0, 3, 0, 1));
    HELD_FOR(e, 10, 3, UINT64_MAX, 1);
    assert_int_equal(tu_ainfo(e, 1).offered, 0);
    assert_int_equal(tu_ainfo(e, 3).offered, 0);
    TU_CHECK(e);
    tu_advance(e, 200);
    tu_member(e, q, 3, 0);
    TU_OFFERED_TO(e, 10, 3);
    assert_int_equal(ctotals(e).target_offers, 1);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

static void test_enqueue_target_bad(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    team(e, q, 1, 1);
    cenq(e, 1, q, ORCA_CHANNEL_EMAIL, 4, 0);
    CU_FAILS(e, tenq(e, 10, q, ORCA_CHANNEL_VOICE, 4, 0, 99, 1000, 0), ORCA_ENOENT);
    CU_FAILS(e, tenq(e, 10, q, ORCA_CHANNEL_VOICE, 4, 0, 99, 0, 1), ORCA_ENOENT);
    CU_FAILS2(e, tenq(e, 10, q, ORCA_CHANNEL_VOICE, 4, 0, 1, 1000, 2), ORCA_EINVAL, ORCA_ERANGE);
    CU_FAILS2(e, tenq(e, 10, q, ORCA_CHANNEL_VOICE, 4, 0, 1, 1000, UINT32_MAX), ORCA_EINVAL,
              ORCA_ERANGE);
    CU_FAILS(e, tenq(e, 1, q, ORCA_CHANNEL_VOICE, 4, 0, 1, 1000, 0), ORCA_EEXIST);
    /* a named agent for work with no customer is fine */
    TU_OK(orca_interaction_cancel(e, 1));
    tu_ready(e, 1);
    TU_OK(tenq(e, 10, q, ORCA_CHANNEL_VOICE, 0, 0, 1, 1000, 0));
    TU_OFFERED_TO(e, 10, 1);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Sticky routing                                                           */
/* ------------------------------------------------------------------------ */

/* Customer 7's interaction 1 in queue qp (only agent 2 serves it) is
 * answered by agent 2 at 100 and ends at 1000; agents 1 and 2 are READY
 * since 0, so afterwards agent 1 (idle since 0) is the longest idle and
 * would get new work in qs but for sticky routing. */
static void seven_answered_by_2(orca_engine *e, orca_queue_id qp)
{
    cenq(e, 1, qp, ORCA_CHANNEL_VOICE, 7, 0);
    TU_OFFERED_TO(e, 1, 2);
    tu_advance(e, 100);
    TU_OK(orca_offer_accept(e, 1));
    tu_advance(e, 1000);
    TU_OK(orca_interaction_end(e, 1));
}

static void test_sticky_basic(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id qp = tu_queue(e, "plain", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qs = sticky_queue(e, "sticky", 10000, 0);
    team(e, qp, 2, 2);
    team(e, qs, 1, 2);
    tu_ready(e, 1);
    tu_ready(e, 2);
    seven_answered_by_2(e, qp);
    tu_advance(e, 2000);
    size_t from = fx.rec.n;
    cenq(e, 2, qs, ORCA_CHANNEL_VOICE, 7, 0);
    TU_SEQ(&fx.rec, from, 0, "ENQUEUED OFFERED");
    ENQ_VALUE(&fx.rec, 2, ORCA_ENQ_RECONTACT | ORCA_ENQ_TARGETED | ORCA_ENQ_STICKY, 2);
    TU_OFFERED_TO(e, 2, 2);
    TOTALS_ARE(e, 1, 2, 1, 0, 1, 1, 1, 0, 0);
    /* another customer: longest idle */
    cenq(e, 3, qs, ORCA_CHANNEL_VOICE, 8, 0);
    ENQ_VALUE(&fx.rec, 3, 0, 0);
    TU_OFFERED_TO(e, 3, 1);
    TOTALS_ARE(e, 2, 3, 1, 0, 1, 1, 1, 0, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

static void test_sticky_waits_then_expires(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id qp = tu_queue(e, "plain", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qs = sticky_queue(e, "sticky", 10000, 0);
    team(e, qp, 2, 2);
    team(e, qs, 1, 2);
    tu_ready(e, 1);
    tu_ready(e, 2);
    seven_answered_by_2(e, qp);
    cenq(e, 50, qp, ORCA_CHANNEL_VOICE, 9, 0);     /* keeps agent 2 busy */
    TU_OK(orca_offer_accept(e, 50));
    tu_advance(e, 2000);
    cenq(e, 2, qs, ORCA_CHANNEL_VOICE, 7, 0);
    ENQ_VALUE(&fx.rec, 2, ORCA_ENQ_RECONTACT | ORCA_ENQ_TARGETED | ORCA_ENQ_STICKY, 2);
    HELD_FOR(e, 2, 2, 12000, 0);
    assert_int_equal(tu_ainfo(e, 1).offered, 0);
    TU_CHECK(e);
    tu_advance(e, 11999);
    HELD_FOR(e, 2, 2, 12000, 0);
    size_t from = fx.rec.n;
    tu_advance(e, 12000);
    TU_SEQ(&fx.rec, from, 2, "TARGET_RELEASED OFFERED");
    RELEASED(&fx.rec, 2, 2, ORCA_RELEASE_EXPIRED, 12000);
    TU_OFFERED_TO(e, 2, 1);
    TU_OK(orca_interaction_cancel(e, 2));          /* unanswered: 2 stays the last agent */
    TOTALS_ARE(e, 2, 3, 1, 0, 1, 1, 0, 0, 0);

    /* an OFFLINE last agent is not waited for */
    offline(e, 2);
    tu_advance(e, 13000);
    cenq(e, 3, qs, ORCA_CHANNEL_VOICE, 7, 0);
    ENQ_VALUE(&fx.rec, 3, ORCA_ENQ_RECONTACT, 0);
    TU_OFFERED_TO(e, 3, 1);
    TU_OK(orca_interaction_cancel(e, 3));
    TOTALS_ARE(e, 2, 4, 2, 0, 1, 1, 0, 0, 0);
    /* Reading: a NOT_READY one is (logged in) */
    tu_notready(e, 2);
    tu_advance(e, 14000);
    cenq(e, 4, qs, ORCA_CHANNEL_VOICE, 7, 0);
    ENQ_VALUE(&fx.rec, 4, ORCA_ENQ_RECONTACT | ORCA_ENQ_TARGETED | ORCA_ENQ_STICKY, 2);
    HELD_FOR(e, 4, 2, 24000, 0);
    TOTALS_ARE(e, 2, 5, 3, 0, 2, 2, 0, 0, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

static void test_sticky_agent_not_eligible(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id qp = tu_queue(e, "plain", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qs = sticky_queue(e, "sticky", 10000, 0);
    team(e, qp, 2, 2);
    team(e, qs, 1, 1);
    team(e, qs, 3, 3);                  /* agent 2 does not serve qs */
    tu_ready(e, 1);
    tu_ready(e, 2);
    tu_ready(e, 3);
    seven_answered_by_2(e, qp);
    tu_advance(e, 2000);
    cenq(e, 2, qs, ORCA_CHANNEL_VOICE, 7, 0);
    ENQ_VALUE(&fx.rec, 2, ORCA_ENQ_RECONTACT, 0);
    TU_OFFERED_TO(e, 2, 1);
    TOTALS_ARE(e, 1, 2, 1, 0, 0, 0, 0, 0, 0);
    /* nor work needing a skill agent 2 lacks */
    orca_skill_id de = tu_skill(e, "de");
    orca_skill_level de3[1] = {{de, 3}};
    orca_agent_def ad;
    tu_agent_def(&ad, 3, 100, de3, 1);
    TU_OK(orca_agent_update(e, &ad));
    tu_member(e, qs, 2, 0);
    orca_interaction_def d;
    cdef(&d, 3, qs, ORCA_CHANNEL_VOICE, 7, 0);
    d.required = de3;
    d.nrequired = 1;
    TU_OK(orca_interaction_enqueue(e, &d));
    ENQ_VALUE(&fx.rec, 3, ORCA_ENQ_RECONTACT, 0);
    TU_OFFERED_TO(e, 3, 3);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

static void test_sticky_conversation(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id qp = tu_queue(e, "plain", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qs = sticky_queue(e, "sticky", 10000, 0);
    team(e, qp, 1, 3);
    team(e, qs, 1, 3);
    /* conversation 100 answered by 1 (at 100), 200 by 2 (at 400, the
     * customer's latest answer), 400 never answered */
    tu_ready(e, 1);
    cenq(e, 1, qp, ORCA_CHANNEL_VOICE, 7, 100);
    TU_OFFERED_TO(e, 1, 1);
    tu_advance(e, 100);
    TU_OK(orca_offer_accept(e, 1));
    tu_advance(e, 200);
    TU_OK(orca_interaction_end(e, 1));
    tu_advance(e, 300);
    tu_notready(e, 1);
    tu_ready(e, 2);
    cenq(e, 2, qp, ORCA_CHANNEL_VOICE, 7, 200);
    TU_OFFERED_TO(e, 2, 2);
    tu_advance(e, 400);
    TU_OK(orca_offer_accept(e, 2));
    tu_advance(e, 500);
    TU_OK(orca_interaction_end(e, 2));
    tu_advance(e, 600);
    cenq(e, 3, qp, ORCA_CHANNEL_VOICE, 7, 400);
    TU_OK(orca_interaction_abandon(e, 3));
    tu_advance(e, 700);
    tu_ready(e, 3);
    tu_advance(e, 800);
    tu_ready(e, 1);
    /* idle since: 2 at 500, 3 at 700, 1 at 800 */
    orca_customer_info ci = cinfo(e, 7);
    assert_int_equal(ci.last_agent, 2);
    assert_int_equal(ci.last_answer_ms, 400);

    tu_advance(e, 1000);
    cenq(e, 10, qs, ORCA_CHANNEL_VOICE, 7, 100);   /* its conversation's agent */
    ENQ_VALUE(&fx.rec, 10, ORCA_ENQ_RECONTACT | ORCA_ENQ_TARGETED | ORCA_ENQ_STICKY, 1);
    TU_OFFERED_TO(e, 10, 1);
    TU_OK(orca_interaction_cancel(e, 10));
    tu_advance(e, 1100);
    cenq(e, 11, qs, ORCA_CHANNEL_VOICE, 7, 300);   /* new conversation: last agent */
    ENQ_VALUE(&fx.rec, 11, ORCA_ENQ_RECONTACT | ORCA_ENQ_TARGETED | ORCA_ENQ_STICKY, 2);
    TU_OFFERED_TO(e, 11, 2);
    TU_OK(orca_interaction_cancel(e, 11));
    tu_advance(e, 1200);
    cenq(e, 12, qs, ORCA_CHANNEL_VOICE, 7, 0);     /* no conversation */
    ENQ_VALUE(&fx.rec, 12, ORCA_ENQ_RECONTACT | ORCA_ENQ_TARGETED | ORCA_ENQ_STICKY, 2);
    TU_OFFERED_TO(e, 12, 2);
    TU_OK(orca_interaction_cancel(e, 12));
    tu_advance(e, 1300);
    cenq(e, 13, qs, ORCA_CHANNEL_VOICE, 7, 400);   /* conversation never answered */
    ENQ_VALUE(&fx.rec, 13, ORCA_ENQ_RECONTACT | ORCA_ENQ_TARGETED | ORCA_ENQ_STICKY, 2);
    TU_OFFERED_TO(e, 13, 2);
    TU_OK(orca_interaction_cancel(e, 13));
    TOTALS_ARE(e, 1, 7, 6, 0, 4, 4, 4, 0, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

static void test_sticky_within(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id qp = tu_queue(e, "plain", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qs = sticky_queue(e, "sticky", 10000, 5000);
    team(e, qp, 2, 2);
    team(e, qs, 1, 2);
    tu_ready(e, 1);
    tu_ready(e, 2);
    seven_answered_by_2(e, qp);                     /* answered at 100 */
    tu_advance(e, 4600);                            /* 4,500 ms after the answer */
    cenq(e, 2, qs, ORCA_CHANNEL_VOICE, 7, 0);
    ENQ_VALUE(&fx.rec, 2, ORCA_ENQ_RECONTACT | ORCA_ENQ_TARGETED | ORCA_ENQ_STICKY, 2);
    TU_OFFERED_TO(e, 2, 2);
    TU_OK(orca_interaction_cancel(e, 2));
    tu_advance(e, 5600);                            /* 5,500 ms after: too long ago */
    cenq(e, 3, qs, ORCA_CHANNEL_VOICE, 7, 0);
    ENQ_VALUE(&fx.rec, 3, ORCA_ENQ_RECONTACT, 0);
    TU_OFFERED_TO(e, 3, 1);
    TOTALS_ARE(e, 1, 3, 2, 0, 1, 1, 1, 0, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

static void test_sticky_named_agent_overrides(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id qp = tu_queue(e, "plain", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qs = sticky_queue(e, "sticky", 10000, 0);
    team(e, qp, 2, 2);
    team(e, qs, 1, 3);
    for (uint64_t a = 1; a <= 3; a++)
        tu_ready(e, a);
    seven_answered_by_2(e, qp);
    tu_advance(e, 2000);
    TU_OK(tenq(e, 2, qs, ORCA_CHANNEL_VOICE, 7, 0, 3, 5000, 0));
    ENQ_VALUE(&fx.rec, 2, ORCA_ENQ_RECONTACT | ORCA_ENQ_TARGETED, 3);
    TU_OFFERED_TO(e, 2, 3);
    TOTALS_ARE(e, 1, 2, 1, 0, 1, 0, 1, 0, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* Sticky routing only knows what the history still holds. */
static void test_sticky_forgotten_history(void **state)
{
    (void)state;
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.customer_ttl_ms = 10000;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, &cfg);
    orca_queue_id qp = tu_queue(e, "plain", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qs = sticky_queue(e, "sticky", 100000, 0);
    team(e, qp, 2, 2);
    team(e, qs, 1, 2);
    tu_ready(e, 1);
    tu_ready(e, 2);
    seven_answered_by_2(e, qp);                     /* 1 ends at 1000 */
    tu_advance(e, 5000);
    cenq(e, 2, qs, ORCA_CHANNEL_VOICE, 7, 0);
    TU_OFFERED_TO(e, 2, 2);                         /* sticky */
    TU_OK(orca_interaction_cancel(e, 2));           /* kept until 15000 */
    tu_advance(e, 12000);                           /* the answered one aged out */
    orca_history_entry h[HO_HMAX];
    assert_string_equal(hist_ids(h, chist(e, 7, h)), " 2");
    cenq(e, 3, qs, ORCA_CHANNEL_VOICE, 7, 0);
    ENQ_VALUE(&fx.rec, 3, ORCA_ENQ_RECONTACT, 0);
    TU_OFFERED_TO(e, 3, 1);
    TU_OK(orca_interaction_cancel(e, 3));
    TU_CHECK(e);

    /* answered again, then forgotten on request */
    cenq(e, 4, qp, ORCA_CHANNEL_VOICE, 7, 0);
    TU_OFFERED_TO(e, 4, 2);
    tu_advance(e, 12100);
    TU_OK(orca_offer_accept(e, 4));
    tu_advance(e, 12200);
    TU_OK(orca_interaction_end(e, 4));
    tu_advance(e, 12300);
    cenq(e, 5, qs, ORCA_CHANNEL_VOICE, 7, 0);
    TU_OFFERED_TO(e, 5, 2);                         /* sticky again */
    TU_OK(orca_interaction_cancel(e, 5));
    TU_OK(orca_customer_forget(e, 7));
    cenq(e, 6, qs, ORCA_CHANNEL_VOICE, 7, 0);
    ENQ_VALUE(&fx.rec, 6, 0, 0);
    TU_OFFERED_TO(e, 6, 1);
    TOTALS_ARE(e, 1, 6, 4, 0, 2, 2, 2, 0, 1);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Transfers                                                                */
/* ------------------------------------------------------------------------ */

/* The transfer world: wrap-up 3000 on voice and chat; q1 served by agent 1,
 * q2 by agents 2 and 3, q3 (max wait 2 s) by agent 4; all four READY at 0. */
typedef struct tw {
    tu_fx fx;
    orca_engine *e;
    hoffers ho;
    orca_queue_id q1, q2, q3;
} tw;

static void tw_new(tw *w, const orca_config *cfg)
{
    w->e = tu_fx_new(&w->fx, cfg);
    ho_attach(&w->ho, w->e);
    TU_OK(orca_channel_set_wrapup(w->e, ORCA_CHANNEL_VOICE, 3000));
    TU_OK(orca_channel_set_wrapup(w->e, ORCA_CHANNEL_CHAT, 3000));
    w->q1 = tu_queue(w->e, "front", ORCA_STRATEGY_LONGEST_IDLE);
    w->q2 = tu_queue(w->e, "back", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "escalation";
    qd.max_wait_ms = 2000;
    w->q3 = tu_queue_def(w->e, &qd);
    team(w->e, w->q1, 1, 1);
    team(w->e, w->q2, 2, 3);
    team(w->e, w->q3, 4, 4);
    for (uint64_t a = 1; a <= 4; a++)
        tu_ready(w->e, a);
}

/* Interaction 10 (customer 5, conversation 77, channel ch) arrives in q1 at
 * 1000 and agent 1 answers it at 2000. */
static void tw_start10(tw *w, orca_channel_id ch)
{
    tu_advance(w->e, 1000);
    cenq(w->e, 10, w->q1, ch, 5, 77);
    TU_OFFERED_TO(w->e, 10, 1);
    tu_advance(w->e, 2000);
    TU_OK(orca_offer_accept(w->e, 10));
}

static void tw_free(tw *w)
{
    TU_CHECK(w->e);
    tu_fx_free(&w->fx);
}

/* A leg: id, queue, channel (customer and conversation left 0). */
static orca_interaction_def leg(uint64_t id, orca_queue_id q, orca_channel_id ch)
{
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = id;
    d.queue = q;
    d.channel = ch;
    return d;
}

static void test_transfer_blind(void **state)
{
    (void)state;
    tw w;
    tw_new(&w, NULL);
    orca_engine *e = w.e;
    tw_start10(&w, ORCA_CHANNEL_VOICE);
    tu_advance(e, 3000);
    TU_OK(orca_interaction_set_disposition(e, 10, 42));
    tu_advance(e, 5000);
    orca_interaction_def to = leg(20, w.q2, ORCA_CHANNEL_VOICE);
    size_t from = w.fx.rec.n;
    TU_OK(orca_interaction_transfer(e, 10, &to, ORCA_TRANSFER_BLIND));
    /* Reading: TRANSFERRED, COMPLETED, then the leg */
    TU_SEQ(&w.fx.rec, from, 0, "TRANSFERRED COMPLETED ENQUEUED OFFERED");
    const orca_event *ev = ev_of(&w.fx.rec, ORCA_EV_TRANSFERRED, 10);
    assert_int_equal(ev->agent, 1);
    assert_int_equal(ev->other, 20);
    assert_int_equal(ev->value, ORCA_TRANSFER_BLIND);
    assert_int_equal(ev->customer, 5);
    assert_int_equal(ev->conversation, 77);
    assert_int_equal(ev->queue, w.q1);
    assert_int_equal(ev->time_ms, 5000);
    ev = ev_of(&w.fx.rec, ORCA_EV_COMPLETED, 10);
    assert_int_equal(ev->agent, 1);
    assert_int_equal(ev->duration_ms, 0);
    ev = enq_ev(&w.fx.rec, 20);
    assert_int_equal(ev->queue, w.q2);
    assert_int_equal(ev->channel, ORCA_CHANNEL_VOICE);
    assert_int_equal(ev->customer, 5);
    assert_int_equal(ev->conversation, 77);
    assert_int_equal(ev->arrival_ms, 1000);
    assert_true(ev->value & ORCA_ENQ_TRANSFER);
    assert_false(ev->value & ORCA_ENQ_TARGETED);
    assert_int_equal(ev->agent, 0);
    ev = ev_of(&w.fx.rec, ORCA_EV_OFFERED, 20);
    assert_int_equal(ev->agent, 2);
    assert_int_equal(ev->wait_ms, 4000);        /* from the first arrival */
    /* agent 1 is free at once: no wrap-up after a blind transfer */
    assert_int_equal(tu_state(e, 10), 0);
    orca_agent_info ai = tu_ainfo(e, 1);
    assert_int_equal(ai.used, 0);
    assert_int_equal(ai.busy + ai.wrapup + ai.offered, 0);
    assert_int_equal(ai.idle_since_ms, 5000);
    orca_interaction_info i = tu_info(e, 20);
    assert_int_equal(i.state, ORCA_STATE_OFFERED);
    assert_int_equal(i.agent, 2);
    assert_int_equal(i.queue, w.q2);
    assert_int_equal(i.customer, 5);
    assert_int_equal(i.conversation, 77);
    assert_int_equal(i.arrival_ms, 1000);
    assert_int_equal(i.queued_ms, 5000);
    assert_int_equal(i.transfer_from, 0);
    assert_int_equal(i.transfer_to, 0);
    assert_int_equal(i.disposition, 0);
    orca_history_entry h[HO_HMAX];
    assert_int_equal(chist(e, 5, h), 1);
    HIST_IS(&h[0], 10, 77, w.q1, ORCA_CHANNEL_VOICE, 1, 1000, 2000, 5000,
            ORCA_OUTCOME_TRANSFERRED, 42);
    /* the offer of the leg tells its story */
    const orca_offer *o = ho_last(&w.ho, 20);
    assert_int_equal(o->agent, 2);
    assert_int_equal(o->customer, 5);
    assert_int_equal(o->conversation, 77);
    assert_int_equal(o->arrival_ms, 1000);
    assert_int_equal(o->open, 0);
    assert_int_equal(o->nhistory, 1);
    HIST_IS(&o->history[0], 10, 77, w.q1, ORCA_CHANNEL_VOICE, 1, 1000, 2000, 5000,
            ORCA_OUTCOME_TRANSFERRED, 42);
    orca_customer_info ci = cinfo(e, 5);
    assert_int_equal(ci.open, 1);
    assert_int_equal(ci.history, 1);
    assert_int_equal(ci.last_agent, 1);
    assert_int_equal(ci.last_answer_ms, 2000);
    assert_string_equal(copen(e, 5), " 20");
    assert_int_equal(ctotals(e).transfers, 1);
    TU_CHECK(e);

    tu_advance(e, 6000);
    TU_OK(orca_offer_accept(e, 20));
    ev = ev_of(&w.fx.rec, ORCA_EV_ACCEPTED, 20);
    assert_int_equal(ev->wait_ms, 5000);
    tu_advance(e, 7000);
    TU_OK(orca_interaction_end(e, 20));
    tu_advance(e, 10000);                       /* the leg has its wrap-up */
    assert_int_equal(chist(e, 5, h), 2);
    HIST_IS(&h[0], 20, 77, w.q2, ORCA_CHANNEL_VOICE, 2, 1000, 6000, 10000,
            ORCA_OUTCOME_COMPLETED, 0);
    assert_int_equal(h[1].interaction, 10);
    ci = cinfo(e, 5);
    assert_int_equal(ci.last_agent, 2);
    assert_int_equal(ci.last_answer_ms, 6000);
    assert_int_equal(ci.open, 0);
    assert_int_equal(ctotals(e).transfers, 1);
    tw_free(&w);
}

/* Blind only: the new leg may carry on from's id. */
static void test_transfer_blind_same_id(void **state)
{
    (void)state;
    tw w;
    tw_new(&w, NULL);
    orca_engine *e = w.e;
    tw_start10(&w, ORCA_CHANNEL_VOICE);
    tu_advance(e, 5000);
    orca_interaction_def to = leg(10, w.q2, ORCA_CHANNEL_VOICE);
    size_t from = w.fx.rec.n;
    TU_OK(orca_interaction_transfer(e, 10, &to, ORCA_TRANSFER_BLIND));
    TU_SEQ(&w.fx.rec, from, 0, "TRANSFERRED COMPLETED ENQUEUED OFFERED");
    const orca_event *ev = ev_of(&w.fx.rec, ORCA_EV_TRANSFERRED, 10);
    assert_int_equal(ev->other, 10);
    assert_int_equal(ev->agent, 1);
    orca_interaction_info i = tu_info(e, 10);
    assert_int_equal(i.state, ORCA_STATE_OFFERED);
    assert_int_equal(i.agent, 2);
    assert_int_equal(i.queue, w.q2);
    assert_int_equal(i.arrival_ms, 1000);
    assert_int_equal(i.customer, 5);
    assert_int_equal(i.conversation, 77);
    orca_history_entry h[HO_HMAX];
    assert_int_equal(chist(e, 5, h), 1);
    HIST_IS(&h[0], 10, 77, w.q1, ORCA_CHANNEL_VOICE, 1, 1000, 2000, 5000,
            ORCA_OUTCOME_TRANSFERRED, 0);
    assert_string_equal(copen(e, 5), " 10");
    assert_int_equal(tu_ainfo(e, 1).used, 0);
    const orca_offer *o = ho_last(&w.ho, 10);
    assert_int_equal(o->agent, 2);
    assert_int_equal(o->nhistory, 1);
    assert_int_equal(o->history[0].outcome, ORCA_OUTCOME_TRANSFERRED);
    tw_free(&w);
}

static void test_transfer_consult(void **state)
{
    (void)state;
    tw w;
    tw_new(&w, NULL);
    orca_engine *e = w.e;
    tw_start10(&w, ORCA_CHANNEL_VOICE);
    tu_advance(e, 5000);
    orca_interaction_def to = leg(20, w.q2, ORCA_CHANNEL_VOICE);
    TU_OK(orca_interaction_transfer(e, 10, &to, ORCA_TRANSFER_CONSULT));
    /* 10 stays with agent 1 while 20 is offered to agent 2 */
    orca_interaction_info i = tu_info(e, 10);
    assert_int_equal(i.state, ORCA_STATE_BUSY);
    assert_int_equal(i.agent, 1);
    assert_int_equal(i.transfer_to, 20);
    assert_int_equal(i.transfer_from, 0);
    i = tu_info(e, 20);
    assert_int_equal(i.state, ORCA_STATE_OFFERED);
    assert_int_equal(i.agent, 2);
    assert_int_equal(i.transfer_from, 10);
    assert_int_equal(i.transfer_to, 0);
    assert_int_equal(i.arrival_ms, 1000);
    assert_int_equal(i.customer, 5);
    assert_int_equal(i.conversation, 77);
    assert_int_equal(tu_ainfo(e, 1).used, 100);
    assert_true(enq_ev(&w.fx.rec, 20)->value & ORCA_ENQ_TRANSFER);
    const orca_offer *o = ho_last(&w.ho, 20);
    assert_int_equal(o->open, 1);                /* 10 is still live */
    assert_int_equal(o->nhistory, 0);
    assert_int_equal(o->arrival_ms, 1000);
    assert_string_equal(copen(e, 5), " 10 20");
    assert_int_equal(ctotals(e).transfers, 0);   /* counted when the leg is accepted */
    /* one consult at a time */
    orca_interaction_def to2 = leg(21, w.q2, ORCA_CHANNEL_VOICE);
    CU_FAILS(e, orca_interaction_transfer(e, 10, &to2, ORCA_TRANSFER_CONSULT), ORCA_ESTATE);
    CU_FAILS(e, orca_interaction_transfer(e, 10, &to2, ORCA_TRANSFER_BLIND), ORCA_ESTATE);
    /* the leg is not BUSY yet either */
    CU_FAILS(e, orca_interaction_transfer(e, 20, &to2, ORCA_TRANSFER_BLIND), ORCA_ESTATE);
    TU_CHECK(e);

    tu_advance(e, 7000);
    TU_OK(orca_offer_accept(e, 20));
    /* (when TRANSFERRED is emitted: see test_reading_consult_events) */
    const orca_event *ev = ev_of(&w.fx.rec, ORCA_EV_TRANSFERRED, 10);
    assert_non_null(ev);
    assert_int_equal(ev->agent, 1);
    assert_int_equal(ev->other, 20);
    assert_int_equal(ev->value, ORCA_TRANSFER_CONSULT);
    assert_int_equal(ev->conversation, 77);
    ev = ev_of(&w.fx.rec, ORCA_EV_COMPLETED, 10);
    assert_non_null(ev);
    assert_int_equal(ev->time_ms, 7000);
    assert_int_equal(ev->agent, 1);
    assert_int_equal(ev->duration_ms, 0);
    assert_int_equal(ev_of(&w.fx.rec, ORCA_EV_ACCEPTED, 20)->wait_ms, 6000);
    assert_int_equal(tu_state(e, 10), 0);
    assert_int_equal(tu_ainfo(e, 1).used, 0);
    assert_int_equal(tu_info(e, 20).state, ORCA_STATE_BUSY);
    orca_history_entry h[HO_HMAX];
    assert_int_equal(chist(e, 5, h), 1);
    HIST_IS(&h[0], 10, 77, w.q1, ORCA_CHANNEL_VOICE, 1, 1000, 2000, 7000,
            ORCA_OUTCOME_TRANSFERRED, 0);
    assert_string_equal(copen(e, 5), " 20");
    assert_int_equal(ctotals(e).transfers, 1);
    assert_int_equal(tu_rec_count(&w.fx.rec, ORCA_EV_TRANSFERRED), 1);
    tw_free(&w);
}

/* Reading (see the header comment): a consult transfer's TRANSFERRED event
 * says `from` was handed over, so it comes when the leg is answered ("then
 * `from` ends as for a blind transfer": TRANSFERRED, then COMPLETED), and
 * not at all when the leg leaves unanswered; the event stream then agrees
 * with the history (outcome TRANSFERRED iff a TRANSFERRED event). */
static void test_reading_consult_events(void **state)
{
    (void)state;
    tw w;
    tw_new(&w, NULL);
    orca_engine *e = w.e;
    tw_start10(&w, ORCA_CHANNEL_VOICE);
    tu_notready(e, 3);
    /* a consult whose leg is abandoned: 10 is then ended by its agent */
    tu_advance(e, 3000);
    orca_interaction_def to = leg(20, w.q2, ORCA_CHANNEL_VOICE);
    size_t from = w.fx.rec.n;
    TU_OK(orca_interaction_transfer(e, 10, &to, ORCA_TRANSFER_CONSULT));
    char *seq_call1 = tu_rec_seq(&w.fx.rec, from, 0);
    TU_OK(orca_interaction_abandon(e, 20));
    /* a consult whose leg is answered */
    tu_advance(e, 5000);
    to = leg(21, w.q2, ORCA_CHANNEL_VOICE);
    from = w.fx.rec.n;
    TU_OK(orca_interaction_transfer(e, 10, &to, ORCA_TRANSFER_CONSULT));
    char *seq_call2 = tu_rec_seq(&w.fx.rec, from, 0);
    tu_advance(e, 7000);
    from = w.fx.rec.n;
    TU_OK(orca_offer_accept(e, 21));
    char *seq_accept = tu_rec_seq(&w.fx.rec, from, 0);
    orca_event tev;
    memset(&tev, 0, sizeof(tev));
    const orca_event *ev = ev_of(&w.fx.rec, ORCA_EV_TRANSFERRED, 10);
    if (ev)
        tev = *ev;
    size_t ntransferred = tu_rec_count(&w.fx.rec, ORCA_EV_TRANSFERRED);
    orca_history_entry h[HO_HMAX];
    assert_int_equal(chist(e, 5, h), 2);
    HIST_IS(&h[0], 10, 77, w.q1, ORCA_CHANNEL_VOICE, 1, 1000, 2000, 7000,
            ORCA_OUTCOME_TRANSFERRED, 0);
    HIST_IS(&h[1], 20, 77, w.q2, ORCA_CHANNEL_VOICE, 0, 1000, 0, 3000,
            ORCA_OUTCOME_ABANDONED, 0);
    assert_int_equal(ctotals(e).transfers, 1);    /* hand-overs: the first consult failed */
    tu_same_text_("ENQUEUED OFFERED", seq_call1, "events of the first consult call",
                  __FILE__, __LINE__);
    tu_same_text_("ENQUEUED OFFERED", seq_call2, "events of the second consult call",
                  __FILE__, __LINE__);
    tu_same_text_("ACCEPTED TRANSFERRED COMPLETED", seq_accept, "events of the leg's accept",
                  __FILE__, __LINE__);
    assert_int_equal(ntransferred, 1);
    assert_int_equal(tev.time_ms, 7000);
    assert_int_equal(tev.other, 21);
    assert_int_equal(tev.value, ORCA_TRANSFER_CONSULT);
    free(seq_call1);
    free(seq_call2);
    free(seq_accept);
    tw_free(&w);
}

static void test_transfer_consult_leg_leaves(void **state)
{
    (void)state;
    tw w;
    tw_new(&w, NULL);
    orca_engine *e = w.e;
    tw_start10(&w, ORCA_CHANNEL_VOICE);
    tu_notready(e, 2);
    tu_notready(e, 3);
    tu_notready(e, 4);
    orca_interaction_info i;
    orca_history_entry h[HO_HMAX];

    /* abandoned */
    tu_advance(e, 5000);
    orca_interaction_def to = leg(20, w.q2, ORCA_CHANNEL_VOICE);
    TU_OK(orca_interaction_transfer(e, 10, &to, ORCA_TRANSFER_CONSULT));
    assert_int_equal(tu_info(e, 10).transfer_to, 20);
    TU_OFFERED_TO(e, 20, 0);
    tu_advance(e, 6000);
    TU_OK(orca_interaction_abandon(e, 20));
    i = tu_info(e, 10);
    assert_int_equal(i.state, ORCA_STATE_BUSY);
    assert_int_equal(i.agent, 1);
    assert_int_equal(i.transfer_to, 0);
    assert_int_equal(tu_ainfo(e, 1).used, 100);
    assert_int_equal(chist(e, 5, h), 1);
    HIST_IS(&h[0], 20, 77, w.q2, ORCA_CHANNEL_VOICE, 0, 1000, 0, 6000,
            ORCA_OUTCOME_ABANDONED, 0);
    TU_CHECK(e);

    /* cancelled */
    tu_advance(e, 6500);
    to = leg(21, w.q2, ORCA_CHANNEL_VOICE);
    TU_OK(orca_interaction_transfer(e, 10, &to, ORCA_TRANSFER_CONSULT));
    TU_OK(orca_interaction_cancel(e, 21));
    i = tu_info(e, 10);
    assert_int_equal(i.state, ORCA_STATE_BUSY);
    assert_int_equal(i.transfer_to, 0);
    assert_int_equal(chist(e, 5, h), 2);
    HIST_IS(&h[0], 21, 77, w.q2, ORCA_CHANNEL_VOICE, 0, 1000, 0, 6500,
            ORCA_OUTCOME_CANCELLED, 0);

    /* timed out in q3 (max wait 2 s, counted from the transfer) */
    tu_advance(e, 7000);
    to = leg(30, w.q3, ORCA_CHANNEL_VOICE);
    TU_OK(orca_interaction_transfer(e, 10, &to, ORCA_TRANSFER_CONSULT));
    tu_advance(e, 8999);
    assert_int_equal(tu_state(e, 30), ORCA_STATE_WAITING);
    tu_advance(e, 9000);
    assert_int_equal(tu_state(e, 30), 0);
    assert_int_equal(ev_of(&w.fx.rec, ORCA_EV_TIMED_OUT, 30)->time_ms, 9000);
    i = tu_info(e, 10);
    assert_int_equal(i.state, ORCA_STATE_BUSY);
    assert_int_equal(i.agent, 1);
    assert_int_equal(i.transfer_to, 0);
    assert_int_equal(chist(e, 5, h), 3);
    HIST_IS(&h[0], 30, 77, w.q3, ORCA_CHANNEL_VOICE, 0, 1000, 0, 9000,
            ORCA_OUTCOME_TIMED_OUT, 0);
    assert_int_equal(tu_rec_count(&w.fx.rec, ORCA_EV_COMPLETED), 0);
    TU_CHECK(e);

    /* rejected: still pending, offered to the next agent */
    tu_advance(e, 9500);
    tu_ready(e, 2);
    tu_ready(e, 3);
    to = leg(40, w.q2, ORCA_CHANNEL_VOICE);
    TU_OK(orca_interaction_transfer(e, 10, &to, ORCA_TRANSFER_CONSULT));
    TU_OFFERED_TO(e, 40, 2);
    tu_advance(e, 9600);
    TU_OK(orca_offer_reject(e, 40));
    TU_OFFERED_TO(e, 40, 3);
    assert_int_equal(tu_info(e, 10).transfer_to, 40);
    assert_int_equal(tu_info(e, 40).transfer_from, 10);
    tu_advance(e, 9700);
    TU_OK(orca_offer_accept(e, 40));
    assert_int_equal(tu_state(e, 10), 0);
    assert_int_equal(ev_of(&w.fx.rec, ORCA_EV_COMPLETED, 10)->time_ms, 9700);
    assert_int_equal(tu_ainfo(e, 1).used, 0);
    assert_int_equal(chist(e, 5, h), 4);
    HIST_IS(&h[0], 10, 77, w.q1, ORCA_CHANNEL_VOICE, 1, 1000, 2000, 9700,
            ORCA_OUTCOME_TRANSFERRED, 0);
    assert_string_equal(hist_ids(h, 4), " 10 30 21 20");
    assert_int_equal(ctotals(e).transfers, 1);   /* only the answered consult hands over */
    tw_free(&w);
}

static void test_transfer_to_named_agent(void **state)
{
    (void)state;
    tw w;
    tw_new(&w, NULL);
    orca_engine *e = w.e;
    tw_start10(&w, ORCA_CHANNEL_VOICE);
    tu_advance(e, 5000);
    orca_interaction_def to = leg(20, w.q2, ORCA_CHANNEL_VOICE);
    to.agent = 3;
    to.agent_wait_ms = 10000;
    TU_OK(orca_interaction_transfer(e, 10, &to, ORCA_TRANSFER_BLIND));
    TU_OFFERED_TO(e, 20, 3);                      /* agent 2 would be next otherwise */
    const orca_event *ev = enq_ev(&w.fx.rec, 20);
    assert_true(ev->value & ORCA_ENQ_TRANSFER);
    assert_true(ev->value & ORCA_ENQ_TARGETED);
    assert_false(ev->value & ORCA_ENQ_STICKY);
    assert_int_equal(ev->agent, 3);
    orca_customer_totals t = ctotals(e);
    assert_int_equal(t.targeted, 1);
    assert_int_equal(t.target_offers, 1);
    assert_int_equal(t.transfers, 1);
    tu_advance(e, 5100);
    TU_OK(orca_offer_accept(e, 20));

    /* hard, to a busy agent: nobody else gets it */
    cenq(e, 50, w.q2, ORCA_CHANNEL_VOICE, 9, 0);
    TU_OFFERED_TO(e, 50, 2);
    TU_OK(orca_offer_accept(e, 50));
    tu_advance(e, 6000);
    to = leg(30, w.q2, ORCA_CHANNEL_VOICE);
    to.agent = 2;
    to.agent_required = 1;
    TU_OK(orca_interaction_transfer(e, 20, &to, ORCA_TRANSFER_BLIND));
    HELD_FOR(e, 30, 2, UINT64_MAX, 1);            /* agent 3 is free, and a member */
    assert_int_equal(tu_ainfo(e, 3).used, 0);
    assert_int_equal(tu_ainfo(e, 3).offered, 0);
    TU_CHECK(e);
    tu_advance(e, 7000);
    TU_OK(orca_interaction_end(e, 50));
    tu_advance(e, 9999);
    HELD_FOR(e, 30, 2, UINT64_MAX, 1);            /* 2 is in wrap-up until 10000 */
    tu_advance(e, 10000);
    TU_OFFERED_TO(e, 30, 2);
    t = ctotals(e);
    assert_int_equal(t.targeted, 2);
    assert_int_equal(t.target_offers, 2);
    assert_int_equal(t.transfers, 2);
    orca_history_entry h[HO_HMAX];
    assert_int_equal(chist(e, 5, h), 2);
    HIST_IS(&h[0], 20, 77, w.q2, ORCA_CHANNEL_VOICE, 3, 1000, 5100, 6000,
            ORCA_OUTCOME_TRANSFERRED, 0);
    assert_int_equal(h[1].interaction, 10);
    tw_free(&w);
}

/* A chat escalated to a call, then to an email: the first arrival stays. */
static void test_transfer_onto_another_channel(void **state)
{
    (void)state;
    tw w;
    tw_new(&w, NULL);
    orca_engine *e = w.e;
    tw_start10(&w, ORCA_CHANNEL_CHAT);
    assert_int_equal(tu_ainfo(e, 1).used, 25);
    tu_advance(e, 10000);
    orca_interaction_def to = leg(20, w.q2, ORCA_CHANNEL_VOICE);
    to.customer = 5;                              /* equal: allowed */
    to.conversation = 77;
    TU_OK(orca_interaction_transfer(e, 10, &to, ORCA_TRANSFER_BLIND));
    orca_interaction_info i = tu_info(e, 20);
    assert_int_equal(i.channel, ORCA_CHANNEL_VOICE);
    assert_int_equal(i.arrival_ms, 1000);
    assert_int_equal(i.queued_ms, 10000);
    TU_OFFERED_TO(e, 20, 2);
    assert_int_equal(ev_of(&w.fx.rec, ORCA_EV_OFFERED, 20)->wait_ms, 9000);
    const orca_event *ev = enq_ev(&w.fx.rec, 20);
    assert_int_equal(ev->channel, ORCA_CHANNEL_VOICE);
    assert_true(ev->value & ORCA_ENQ_TRANSFER);
    const orca_offer *o = ho_last(&w.ho, 20);
    assert_int_equal(o->channel, ORCA_CHANNEL_VOICE);
    assert_int_equal(o->arrival_ms, 1000);
    assert_int_equal(tu_ainfo(e, 1).used, 0);     /* the chat's capacity is back */
    orca_history_entry h[HO_HMAX];
    assert_int_equal(chist(e, 5, h), 1);
    HIST_IS(&h[0], 10, 77, w.q1, ORCA_CHANNEL_CHAT, 1, 1000, 2000, 10000,
            ORCA_OUTCOME_TRANSFERRED, 0);
    tu_advance(e, 11000);
    TU_OK(orca_offer_accept(e, 20));

    /* consult onto email: agent 2 is full with the call, 3 takes it */
    tu_advance(e, 12000);
    to = leg(30, w.q2, ORCA_CHANNEL_EMAIL);
    TU_OK(orca_interaction_transfer(e, 20, &to, ORCA_TRANSFER_CONSULT));
    TU_OFFERED_TO(e, 30, 3);
    i = tu_info(e, 30);
    assert_int_equal(i.channel, ORCA_CHANNEL_EMAIL);
    assert_int_equal(i.arrival_ms, 1000);
    assert_int_equal(i.transfer_from, 20);
    tu_advance(e, 12500);
    TU_OK(orca_offer_accept(e, 30));
    assert_int_equal(tu_state(e, 20), 0);
    assert_int_equal(tu_ainfo(e, 2).used, 0);
    assert_int_equal(chist(e, 5, h), 2);
    HIST_IS(&h[0], 20, 77, w.q2, ORCA_CHANNEL_VOICE, 2, 1000, 11000, 12500,
            ORCA_OUTCOME_TRANSFERRED, 0);
    assert_int_equal(ev_of(&w.fx.rec, ORCA_EV_ACCEPTED, 30)->wait_ms, 11500);
    tw_free(&w);
}

/* Each offer after a transfer hands the whole story, newest first. */
static void test_transfer_history_in_offers(void **state)
{
    (void)state;
    tw w;
    tw_new(&w, NULL);
    orca_engine *e = w.e;
    /* an earlier call of customer 5, answered by agent 4 */
    tu_advance(e, 100);
    cenq(e, 1, w.q3, ORCA_CHANNEL_VOICE, 5, 0);
    TU_OFFERED_TO(e, 1, 4);
    tu_advance(e, 200);
    TU_OK(orca_offer_accept(e, 1));
    tu_advance(e, 300);
    TU_OK(orca_interaction_end(e, 1));            /* wrap-up until 3300 */
    tw_start10(&w, ORCA_CHANNEL_VOICE);
    tu_advance(e, 5000);
    orca_interaction_def to = leg(20, w.q2, ORCA_CHANNEL_VOICE);
    TU_OK(orca_interaction_transfer(e, 10, &to, ORCA_TRANSFER_BLIND));
    const orca_offer *o = ho_last(&w.ho, 20);
    assert_int_equal(o->agent, 2);
    assert_int_equal(o->open, 0);
    assert_int_equal(o->conversation, 77);
    assert_int_equal(o->nhistory, 2);
    HIST_IS(&o->history[0], 10, 77, w.q1, ORCA_CHANNEL_VOICE, 1, 1000, 2000, 5000,
            ORCA_OUTCOME_TRANSFERRED, 0);
    HIST_IS(&o->history[1], 1, 0, w.q3, ORCA_CHANNEL_VOICE, 4, 100, 200, 3300,
            ORCA_OUTCOME_COMPLETED, 0);
    tu_advance(e, 5100);
    TU_OK(orca_offer_accept(e, 20));

    tu_advance(e, 6000);
    to = leg(30, w.q2, ORCA_CHANNEL_VOICE);
    TU_OK(orca_interaction_transfer(e, 20, &to, ORCA_TRANSFER_CONSULT));
    o = ho_last(&w.ho, 30);
    assert_int_equal(o->agent, 3);
    assert_int_equal(o->open, 1);                 /* 20 is live */
    assert_string_equal(hist_ids(o->history, o->nhistory), " 10 1");
    tu_advance(e, 6100);
    TU_OK(orca_offer_accept(e, 30));

    tu_advance(e, 7000);
    to = leg(40, w.q3, ORCA_CHANNEL_VOICE);
    TU_OK(orca_interaction_transfer(e, 30, &to, ORCA_TRANSFER_BLIND));
    o = ho_last(&w.ho, 40);
    assert_int_equal(o->agent, 4);
    assert_int_equal(o->open, 0);
    assert_int_equal(o->arrival_ms, 1000);
    assert_string_equal(hist_ids(o->history, o->nhistory), " 30 20 10 1");
    HIST_IS(&o->history[0], 30, 77, w.q2, ORCA_CHANNEL_VOICE, 3, 1000, 6100, 7000,
            ORCA_OUTCOME_TRANSFERRED, 0);
    HIST_IS(&o->history[1], 20, 77, w.q2, ORCA_CHANNEL_VOICE, 2, 1000, 5100, 6100,
            ORCA_OUTCOME_TRANSFERRED, 0);
    tw_free(&w);
}

/* Reading: a transferred leg is not held by the target queue's sticky
 * routing (the last agent is usually the one handing it over); only a
 * named to->agent holds it. */
static void test_reading_transfer_not_sticky(void **state)
{
    (void)state;
    tw w;
    tw_new(&w, NULL);
    orca_engine *e = w.e;
    orca_queue_id qs = sticky_queue(e, "sticky", 60000, 0);
    team(e, qs, 1, 2);
    tw_start10(&w, ORCA_CHANNEL_VOICE);           /* answered by agent 1 */
    tu_advance(e, 5000);
    orca_interaction_def to = leg(20, qs, ORCA_CHANNEL_VOICE);
    TU_OK(orca_interaction_transfer(e, 10, &to, ORCA_TRANSFER_BLIND));
    ENQ_VALUE(&w.fx.rec, 20, ORCA_ENQ_TRANSFER, 0);
    TU_OFFERED_TO(e, 20, 2);                      /* agent 1 is idle since 5000 only */
    assert_int_equal(ctotals(e).sticky, 0);
    tw_free(&w);
}

/* Reading (see the header comment): how a transferred leg is counted. */
static void test_reading_transfer_leg_counts(void **state)
{
    (void)state;
    tw w;
    tw_new(&w, NULL);
    orca_engine *e = w.e;
    tw_start10(&w, ORCA_CHANNEL_VOICE);
    TOTALS_ARE(e, 1, 1, 0, 0, 0, 0, 0, 0, 0);
    tu_advance(e, 5000);
    orca_interaction_def to = leg(20, w.q2, ORCA_CHANNEL_VOICE);
    TU_OK(orca_interaction_transfer(e, 10, &to, ORCA_TRANSFER_BLIND));
    ENQ_VALUE(&w.fx.rec, 20, ORCA_ENQ_TRANSFER, 0);
    TOTALS_ARE(e, 1, 1, 0, 0, 0, 0, 0, 1, 0);
    assert_int_equal(cinfo(e, 5).contacts, 1);
    TU_OK(orca_offer_accept(e, 20));
    to = leg(30, w.q2, ORCA_CHANNEL_CHAT);        /* voice -> chat, conversation 77 */
    TU_OK(orca_interaction_transfer(e, 20, &to, ORCA_TRANSFER_CONSULT));
    ENQ_VALUE(&w.fx.rec, 30, ORCA_ENQ_TRANSFER | ORCA_ENQ_SWITCH, 0);
    TOTALS_ARE(e, 1, 1, 0, 1, 0, 0, 0, 1, 0); /* the consult is not answered yet */
    assert_int_equal(cinfo(e, 5).contacts, 1);
    tw_free(&w);
}

/* ------------------------------------------------------------------------ */
/* Bad input to transfer                                                    */
/* ------------------------------------------------------------------------ */

static void test_transfer_bad(void **state)
{
    (void)state;
    tw w;
    tw_new(&w, NULL);
    orca_engine *e = w.e;
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "full";
    qd.max_size = 1;
    orca_queue_id q4 = tu_queue_def(e, &qd);
    tw_start10(&w, ORCA_CHANNEL_VOICE);           /* 10: BUSY with agent 1 */
    tu_notready(e, 4);
    cenq(e, 11, w.q3, ORCA_CHANNEL_VOICE, 5, 0);  /* WAITING */
    cenq(e, 12, w.q2, ORCA_CHANNEL_CHAT, 6, 0);   /* OFFERED */
    TU_OFFERED_TO(e, 12, 2);
    cenq(e, 13, w.q2, ORCA_CHANNEL_CHAT, 6, 0);
    TU_OK(orca_offer_accept(e, 13));
    TU_OK(orca_interaction_end(e, 13));           /* WRAPUP */
    assert_int_equal(tu_state(e, 13), ORCA_STATE_WRAPUP);
    cenq(e, 15, q4, ORCA_CHANNEL_EMAIL, 6, 0);    /* q4 is full */
    TU_CHECK(e);

    orca_interaction_def to = leg(20, w.q2, ORCA_CHANNEL_VOICE);
    orca_interaction_def d;
    CU_FAILS(e, orca_interaction_transfer(NULL, 10, &to, ORCA_TRANSFER_BLIND), ORCA_EINVAL);
    CU_FAILS(e, orca_interaction_transfer(e, 10, NULL, ORCA_TRANSFER_BLIND), ORCA_EINVAL);
    CU_FAILS(e, orca_interaction_transfer(e, 0, &to, ORCA_TRANSFER_BLIND), ORCA_EINVAL);
    CU_FAILS(e, orca_interaction_transfer(e, 99, &to, ORCA_TRANSFER_BLIND), ORCA_ENOENT);
    CU_FAILS(e, orca_interaction_transfer(e, 11, &to, ORCA_TRANSFER_BLIND), ORCA_ESTATE);
    CU_FAILS(e, orca_interaction_transfer(e, 12, &to, ORCA_TRANSFER_BLIND), ORCA_ESTATE);
    CU_FAILS(e, orca_interaction_transfer(e, 13, &to, ORCA_TRANSFER_CONSULT), ORCA_ESTATE);
    CU_FAILS(e, orca_interaction_transfer(e, 10, &to, (orca_transfer_mode)2), ORCA_EINVAL);
    CU_FAILS(e, orca_interaction_transfer(e, 10, &to, (orca_transfer_mode)-1), ORCA_EINVAL);
    d = to; d.customer = 6;
    CU_FAILS(e, orca_interaction_transfer(e, 10, &d, ORCA_TRANSFER_BLIND), ORCA_EINVAL);
    d = to; d.conversation = 78;
    CU_FAILS(e, orca_interaction_transfer(e, 10, &d, ORCA_TRANSFER_CONSULT), ORCA_EINVAL);
    d = to; d.id = 0;
    CU_FAILS(e, orca_interaction_transfer(e, 10, &d, ORCA_TRANSFER_BLIND), ORCA_EINVAL);
    d = to; d.id = 11;
    CU_FAILS(e, orca_interaction_transfer(e, 10, &d, ORCA_TRANSFER_BLIND), ORCA_EEXIST);
    d = to; d.id = 13;
    CU_FAILS(e, orca_interaction_transfer(e, 10, &d, ORCA_TRANSFER_CONSULT), ORCA_EEXIST);
    d = to; d.id = 10;                            /* from's own id: blind only */
    CU_FAILS2(e, orca_interaction_transfer(e, 10, &d, ORCA_TRANSFER_CONSULT), ORCA_EINVAL,
              ORCA_EEXIST);
    d = to; d.queue = ORCA_QUEUE_NONE;
    CU_FAILS2(e, orca_interaction_transfer(e, 10, &d, ORCA_TRANSFER_BLIND), ORCA_ENOENT,
              ORCA_EINVAL);
    d = to; d.queue = 99;
    CU_FAILS(e, orca_interaction_transfer(e, 10, &d, ORCA_TRANSFER_BLIND), ORCA_ENOENT);
    d = to; d.channel = 99;
    CU_FAILS(e, orca_interaction_transfer(e, 10, &d, ORCA_TRANSFER_BLIND), ORCA_ENOENT);
    d = to; d.agent = 999;
    CU_FAILS(e, orca_interaction_transfer(e, 10, &d, ORCA_TRANSFER_BLIND), ORCA_ENOENT);
    d = to; d.agent = 999; d.agent_required = 1;
    CU_FAILS(e, orca_interaction_transfer(e, 10, &d, ORCA_TRANSFER_CONSULT), ORCA_ENOENT);
    d = to; d.agent = 3; d.agent_required = 2;
    CU_FAILS2(e, orca_interaction_transfer(e, 10, &d, ORCA_TRANSFER_BLIND), ORCA_EINVAL,
              ORCA_ERANGE);
    d = to; d.priority = ORCA_PRIORITY_MAX + 1;
    CU_FAILS(e, orca_interaction_transfer(e, 10, &d, ORCA_TRANSFER_BLIND), ORCA_ERANGE);
    orca_skill_level bad[1] = {{999, 3}};
    d = to; d.required = bad; d.nrequired = 1;
    CU_FAILS(e, orca_interaction_transfer(e, 10, &d, ORCA_TRANSFER_BLIND), ORCA_ENOENT);
    d = to; d.required = NULL; d.nrequired = 1;
    CU_FAILS(e, orca_interaction_transfer(e, 10, &d, ORCA_TRANSFER_BLIND), ORCA_EINVAL);

    /* the target queue is full: nothing changes (Reading: REJECTED_FULL
     * may be emitted, as enqueue does) */
    for (int mode = 0; mode <= 1; mode++) {
        d = to; d.queue = q4;
        char *before = tu_dump(e);
        char *cbefore = cust_text(e);
        orca_counts c0 = tu_counts(e);
        uint64_t now0 = orca_engine_now(e);
        size_t nrec = w.fx.rec.n, noff = w.ho.n;
        TU_RC(orca_interaction_transfer(e, 10, &d, (orca_transfer_mode)mode), ORCA_EFULL);
        char *after = tu_dump(e);
        char *cafter = cust_text(e);
        tu_same_text_(before, after, "dump after ORCA_EFULL", __FILE__, __LINE__);
        tu_same_text_(cbefore, cafter, "customer view after ORCA_EFULL", __FILE__, __LINE__);
        orca_counts c1 = tu_counts(e);
        assert_int_equal(c1.interactions, c0.interactions);
        assert_int_equal(c1.busy, c0.busy);
        assert_int_equal(orca_engine_now(e), now0);
        assert_int_equal(w.ho.n, noff);
        size_t added = w.fx.rec.n - nrec;
        if (added > 1 || (added == 1 && w.fx.rec.ev[nrec].type != ORCA_EV_REJECTED_FULL))
            fail_msg("transfer into a full queue emitted %zu events (first: %s)", added,
                     tu_ev_name(w.fx.rec.ev[nrec].type));
        free(before);
        free(after);
        free(cbefore);
        free(cafter);
    }
    assert_int_equal(ctotals(e).transfers, 0);
    TU_CHECK(e);

    /* customer and conversation equal to from's are fine */
    d = to; d.customer = 5; d.conversation = 77;
    TU_OK(orca_interaction_transfer(e, 10, &d, ORCA_TRANSFER_BLIND));
    assert_int_equal(tu_info(e, 20).customer, 5);
    assert_int_equal(ctotals(e).transfers, 1);
    /* from is gone now */
    d = leg(21, w.q2, ORCA_CHANNEL_VOICE);
    CU_FAILS(e, orca_interaction_transfer(e, 10, &d, ORCA_TRANSFER_BLIND), ORCA_ENOENT);
    tw_free(&w);
}

/* ------------------------------------------------------------------------ */
/* ORCA_EBUSY from listeners and withdraw callbacks                         */
/* ------------------------------------------------------------------------ */

typedef struct xbusy {
    orca_engine *e;
    orca_queue_id q;
    uint64_t watch;
    int fired;
    int rc[5];
} xbusy;

static void xbusy_calls(xbusy *p)
{
    orca_interaction_def d = leg(60, p->q, ORCA_CHANNEL_VOICE);
    p->rc[0] = orca_interaction_transfer(p->e, 10, &d, ORCA_TRANSFER_BLIND);
    p->rc[1] = orca_interaction_transfer(p->e, 10, &d, ORCA_TRANSFER_CONSULT);
    d.agent = 3;
    d.customer = 8;
    p->rc[2] = orca_interaction_enqueue(p->e, &d);
    p->rc[3] = orca_interaction_set_disposition(p->e, 10, 4);
    p->rc[4] = orca_customer_forget(p->e, 9);
}

static void xbusy_listener(void *data, const orca_event *ev)
{
    xbusy *p = data;
    if (ev->type == ORCA_EV_OFFERED && ev->interaction == p->watch && !p->fired) {
        p->fired = 1;
        xbusy_calls(p);
    }
}

static xbusy *g_xw;
static void xbusy_noop_offer(void *data, const orca_offer *o)
{
    (void)data;
    (void)o;
}
static void xbusy_withdraw(void *data, const orca_offer *o, orca_withdraw_reason why)
{
    (void)data;
    (void)o;
    (void)why;
    if (g_xw && !g_xw->fired) {
        g_xw->fired = 1;
        xbusy_calls(g_xw);
    }
}

static void xbusy_check(const xbusy *p)
{
    assert_int_equal(p->fired, 1);
    for (int k = 0; k < 5; k++)
        if (p->rc[k] != ORCA_EBUSY)
            fail_msg("call #%d from a callback returned %d %s, expected ORCA_EBUSY", k,
                     p->rc[k], tu_rc_name(p->rc[k]));
}

static void test_ebusy_from_callbacks(void **state)
{
    (void)state;
    tw w;
    tw_new(&w, NULL);
    orca_engine *e = w.e;
    tw_start10(&w, ORCA_CHANNEL_VOICE);
    cenq(e, 2, w.q3, ORCA_CHANNEL_EMAIL, 9, 0);   /* customer 9: history only */
    TU_OK(orca_interaction_cancel(e, 2));
    xbusy p;
    memset(&p, 0, sizeof(p));
    p.e = e;
    p.q = w.q2;
    p.watch = 30;
    int h;
    TU_OK(orca_listener_add(e, xbusy_listener, &p, &h));
    cenq(e, 30, w.q2, ORCA_CHANNEL_VOICE, 8, 0);
    xbusy_check(&p);
    TU_OK(orca_listener_remove(e, h));
    assert_int_equal(tu_state(e, 10), ORCA_STATE_BUSY);
    assert_int_equal(tu_info(e, 10).transfer_to, 0);
    assert_int_equal(tu_info(e, 10).disposition, 0);
    assert_int_equal(tu_state(e, 60), 0);
    assert_int_equal(cinfo(e, 9).history, 1);
    assert_int_equal(ctotals(e).transfers, 0);

    xbusy x;
    memset(&x, 0, sizeof(x));
    x.e = e;
    x.q = w.q2;
    g_xw = &x;
    orca_channel_callbacks cb = {xbusy_noop_offer, xbusy_withdraw};
    TU_OK(orca_channel_set_callbacks(e, ORCA_CHANNEL_EMAIL, &cb, NULL));
    cenq(e, 31, w.q2, ORCA_CHANNEL_EMAIL, 8, 0);
    assert_int_equal(tu_state(e, 31), ORCA_STATE_OFFERED);
    TU_OK(orca_interaction_abandon(e, 31));
    g_xw = NULL;
    xbusy_check(&x);
    assert_int_equal(tu_state(e, 10), ORCA_STATE_BUSY);
    assert_int_equal(tu_state(e, 60), 0);
    assert_int_equal(cinfo(e, 9).history, 1);
    assert_int_equal(ctotals(e).transfers, 0);
    tw_free(&w);
}

/* ------------------------------------------------------------------------ */
/* Allocation failure                                                       */
/* ------------------------------------------------------------------------ */

static void xs_setup(sw *s)
{
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.alloc = tu_alloc_fn;
    cfg.alloc_ud = s->a;
    cfg.history_per_customer = 4;
    TU_OK(orca_engine_new(&cfg, &s->e));
    orca_engine *e = s->e;
    TU_OK(orca_listener_add(e, tu_rec_fn, &s->rec, NULL));
    ho_attach(&s->ho, e);
    s->q1 = tu_queue(e, "front", ORCA_STRATEGY_LONGEST_IDLE);
    s->q2 = sticky_queue(e, "back", 5000, 0);
    s->q3 = tu_queue(e, "chat", ORCA_STRATEGY_LONGEST_IDLE);
    team(e, s->q1, 1, 1);
    team(e, s->q2, 2, 3);
    team(e, s->q3, 4, 4);
    for (uint64_t a = 1; a <= 4; a++)
        tu_ready(e, a);
    /* customer 5 has a history already */
    cenq(e, 1, s->q3, ORCA_CHANNEL_CHAT, 5, 0);
    TU_OK(orca_offer_accept(e, 1));
    TU_OK(orca_interaction_end(e, 1));
}

static int xs_enq(sw *s, uint64_t id, orca_queue_id q, orca_channel_id ch, uint64_t cust,
                  uint64_t conv)
{
    orca_interaction_def d;
    cdef(&d, id, q, ch, cust, conv);
    return orca_interaction_enqueue(s->e, &d);
}

static int xs_accept(sw *s, uint64_t id)
{
    return sw_state(s, id) == ORCA_STATE_OFFERED ? orca_offer_accept(s->e, id) : -100;
}

static int xs_xfer(sw *s, uint64_t from, uint64_t id, orca_queue_id q, orca_channel_id ch,
                   uint64_t agent, uint32_t hard, orca_transfer_mode mode)
{
    orca_interaction_def d = leg(id, q, ch);
    d.agent = agent;
    d.agent_wait_ms = agent && !hard ? 5000 : 0;
    d.agent_required = hard;
    return orca_interaction_transfer(s->e, from, &d, mode);
}

static int xs_step(sw *s, int k)
{
    orca_engine *e = s->e;
    switch (k) {
    case 0: return orca_engine_advance(e, 1000);
    case 1: return xs_enq(s, 10, s->q1, ORCA_CHANNEL_VOICE, 5, 77);
    case 2: return xs_accept(s, 10);
    case 3: return orca_interaction_set_disposition(e, 10, 3);
    case 4: return xs_xfer(s, 10, 20, s->q2, ORCA_CHANNEL_VOICE, 0, 0, ORCA_TRANSFER_BLIND);
    case 5: return xs_accept(s, 20);
    case 6: return xs_xfer(s, 20, 30, s->q2, ORCA_CHANNEL_VOICE, 3, 0, ORCA_TRANSFER_CONSULT);
    case 7: return xs_accept(s, 30);                          /* 20 ends */
    case 8: return xs_xfer(s, 30, 30, s->q3, ORCA_CHANNEL_CHAT, 0, 0, ORCA_TRANSFER_BLIND);
    case 9: return xs_accept(s, 30);
    case 10: return xs_xfer(s, 30, 40, s->q2, ORCA_CHANNEL_VOICE, 0, 0, ORCA_TRANSFER_CONSULT);
    case 11: return orca_interaction_abandon(e, 40);          /* 30 stays */
    case 12: return xs_xfer(s, 30, 41, s->q2, ORCA_CHANNEL_VOICE, 2, 1, ORCA_TRANSFER_BLIND);
    case 13: return xs_accept(s, 41);
    case 14: return orca_interaction_end(e, 41);
    case 15: return xs_xfer(s, 41, 42, s->q2, ORCA_CHANNEL_VOICE, 0, 0, ORCA_TRANSFER_BLIND);
    case 16: return orca_engine_advance(e, 2000);
    case 17: return xs_enq(s, 50, s->q2, ORCA_CHANNEL_EMAIL, 5, 77);  /* sticky */
    case 18: return xs_accept(s, 50);
    case 19: return xs_xfer(s, 50, 51, s->q3, ORCA_CHANNEL_CHAT, 4, 0, ORCA_TRANSFER_CONSULT);
    case 20: return orca_interaction_cancel(e, 51);
    case 21: return xs_xfer(s, 50, 52, s->q3, ORCA_CHANNEL_CHAT, 4, 0, ORCA_TRANSFER_CONSULT);
    case 22: return xs_accept(s, 52);
    case 23: return orca_engine_advance(e, 100000);
    default: return SW_DONE;
    }
}

static void test_alloc_failure_transfer(void **state)
{
    (void)state;
    const int must[] = {0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8, 0, 9, 0, 10, 0, 11, 0,
                        12, 0, 13, 0, 14, 0, 15, ORCA_ENOENT, 16, 0, 17, 0, 18, 0, 19, 0, 20, 0,
                        21, 0, 22, 0, 23, 0};
    uint64_t absorb = (1ull << 0) | (1ull << 16) | (1ull << 23);
    sw_sweep(xs_setup, xs_step, absorb, must, sizeof(must) / sizeof(must[0]) / 2);
}

int main(void)
{
    tu_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named_soft_offered_at_once),
        cmocka_unit_test(test_named_soft_expires),
        cmocka_unit_test(test_named_soft_agent_frees),
        cmocka_unit_test(test_named_soft_released_offline),
        cmocka_unit_test(test_named_soft_released_removed),
        cmocka_unit_test(test_named_soft_released_declined),
        cmocka_unit_test(test_named_soft_released_ineligible),
        cmocka_unit_test(test_named_soft_wait_zero),
        cmocka_unit_test(test_named_hard_waits_for_the_agent),
        cmocka_unit_test(test_named_hard_times_out),
        cmocka_unit_test(test_named_hard_agent_removed),
        cmocka_unit_test(test_named_hard_agent_becomes_eligible),
        cmocka_unit_test(test_enqueue_target_bad),
        cmocka_unit_test(test_sticky_basic),
        cmocka_unit_test(test_sticky_waits_then_expires),
        cmocka_unit_test(test_sticky_agent_not_eligible),
        cmocka_unit_test(test_sticky_conversation),
        cmocka_unit_test(test_sticky_within),
        cmocka_unit_test(test_sticky_named_agent_overrides),
        cmocka_unit_test(test_sticky_forgotten_history),
        cmocka_unit_test(test_transfer_blind),
        cmocka_unit_test(test_transfer_blind_same_id),
        cmocka_unit_test(test_transfer_consult),
        cmocka_unit_test(test_reading_consult_events),
        cmocka_unit_test(test_transfer_consult_leg_leaves),
        cmocka_unit_test(test_transfer_to_named_agent),
        cmocka_unit_test(test_transfer_onto_another_channel),
        cmocka_unit_test(test_transfer_history_in_offers),
        cmocka_unit_test(test_transfer_bad),
        cmocka_unit_test(test_ebusy_from_callbacks),
        cmocka_unit_test(test_reading_transfer_leg_counts),
        cmocka_unit_test(test_reading_transfer_not_sticky),
        cmocka_unit_test(test_alloc_failure_transfer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
