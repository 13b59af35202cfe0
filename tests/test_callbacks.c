/*
 * test_callbacks.c: scheduled work and callbacks. Enqueue with
 * not_before_ms / early_ms (SCHEDULED until the slot less the early
 * window; arrival_ms is the routable time; events ENQUEUED, SCHEDULED,
 * then DUE and the offer; counts.scheduled; ordering by routable time;
 * max_size ignoring scheduled work), callback times in the past
 * (ORCA_ERANGE) and early_ms without a slot (ORCA_EINVAL), a named agent's
 * wait counted from the due time (soft and hard; OFFLINE at due), virtual
 * hold (orca_interaction_callback: the work keeps its place ahead of later
 * arrivals on the new channel; with a time it is SCHEDULED), the unreached
 * retry policy (callback_attempts, callback_retry_ms, defaults 3 and
 * 300 s; the final outcome UNREACHED in the customer's history), abandon
 * and cancel of SCHEDULED work, an agent removed while scheduled work is
 * held for it (soft: released; hard: timed out), every bad input of the
 * new calls proving the engine unchanged, and an allocation-failure sweep
 * over the new calls.
 *
 * Readings of orca.h / DESIGN.md this suite takes where they could be
 * read two ways (each marked "Reading:" where it is used):
 *  - counts.interactions counts every live interaction, SCHEDULED and BOT
 *    ones included (orca_config.max_interactions says "live interactions
 *    (any state)"; the orca_counts comment "waiting + offered + busy +
 *    wrap-up" predates the new states).
 *  - not_before_ms equal to the clock is "now", not "in the past": the
 *    work is routable at once (no SCHEDULED event).
 *  - Work that leaves while SCHEDULED keeps arrival_ms = its due time in
 *    its history entry (DESIGN: "arrival = queued = due"), even though
 *    that is after end_ms.
 *  - A retried callback keeps its first arrival (and its place) and its
 *    history entry names the agent of the last try.
 */
#include "testutil.h"

#include "journeyutil.h"

/* ------------------------------------------------------------------------ */
/* Scheduled enqueue                                                        */
/* ------------------------------------------------------------------------ */

#define T0 1000000ull

/* A slot 10 minutes ahead, offered from 1 minute early: SCHEDULED until
 * T0 + 9 min, arrival_ms = that routable time; at it, DUE then OFFERED. */
static void test_slot_enqueue(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id q = jqueue(e, "cb", 0, 0, 0);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    size_t mark = r->n;
    TU_OK(jslot(e, 10, q, ORCA_CHANNEL_VOICE, 5, T0 + 600000, 60000));
    TU_CHECK(e);
    SEQ(r, mark, 0, "ENQUEUED SCHEDULED");
    const orca_event *ev = EV(r, mark, ORCA_EV_ENQUEUED, 10);
    assert_int_equal(ev->time_ms, T0);
    assert_int_equal(ev->arrival_ms, T0 + 540000);
    assert_int_equal(ev->wait_ms, 0);
    assert_int_equal(ev->queue, q);
    assert_int_equal(ev->channel, ORCA_CHANNEL_VOICE);
    assert_int_equal(ev->customer, 5);
    assert_int_equal(ev->agent, 0);
    assert_int_equal(ENQ_BITS(ev->value), 0);
    ev = EV(r, mark, ORCA_EV_SCHEDULED, 10);
    assert_int_equal(ev->time_ms, T0);
    assert_int_equal(ev->due_ms, T0 + 540000);
    assert_int_equal(ev->value, ORCA_SCHED_SLOT);
    assert_int_equal(ev->queue, q);
    orca_interaction_info in = tu_info(e, 10);
    assert_int_equal(in.state, ORCA_STATE_SCHEDULED);
    assert_int_equal(in.arrival_ms, T0 + 540000);
    assert_int_equal(in.queued_ms, T0 + 540000);
    assert_int_equal(in.agent, 0);
    assert_int_equal(in.queue, q);
    assert_int_equal(in.channel, ORCA_CHANNEL_VOICE);
    assert_int_equal(in.customer, 5);
    assert_int_equal(in.attempts, 0);
    /* Reading: counts.interactions includes SCHEDULED work. */
    COUNTS_ARE(e, 0, 0, 0, 0, 1, 0);
    orca_queue_info qi = tu_qinfo(e, q);
    assert_int_equal(qi.waiting, 0);
    assert_int_equal(qi.offered, 0);
    assert_int_equal(qi.oldest_arrival_ms, 0);
    orca_agent_info ai = tu_ainfo(e, 1);
    assert_int_equal(ai.used, 0);
    assert_int_equal(ai.offered, 0);
    assert_int_equal(f->off.noffers, 0); /* a ready agent, but not yet */
    assert_int_equal(next_deadline(e), T0 + 540000);
    orca_customer_totals t = totals(e);
    assert_int_equal(t.scheduled, 1);
    assert_int_equal(t.contacts, 1);
    orca_customer_info ci;
    TU_OK(orca_customer_info_get(e, 5, &ci));
    assert_int_equal(ci.open, 1);

    mark = r->n;
    tu_advance(e, T0 + 539999);
    assert_int_equal(r->n, mark);
    assert_int_equal(tu_state(e, 10), ORCA_STATE_SCHEDULED);
    assert_int_equal(f->off.noffers, 0);

    tu_advance(e, T0 + 540000);
    TU_CHECK(e);
    SEQ(r, mark, 0, "DUE OFFERED");
    ev = EV(r, mark, ORCA_EV_DUE, 10);
    assert_int_equal(ev->time_ms, T0 + 540000);
    assert_int_equal(ev->arrival_ms, T0 + 540000);
    assert_int_equal(ev->wait_ms, 0);
    ev = EV(r, mark, ORCA_EV_OFFERED, 10);
    assert_int_equal(ev->agent, 1);
    assert_int_equal(ev->wait_ms, 0);
    TU_OFFERED_TO(e, 10, 1);
    assert_int_equal(f->off.noffers, 1);
    assert_int_equal(f->off.offer[0].interaction, 10);
    assert_int_equal(f->off.offer[0].agent, 1);
    assert_int_equal(f->off.offer[0].arrival_ms, T0 + 540000);
    assert_int_equal(f->off.offer[0].offered_ms, T0 + 540000);
    assert_int_equal(f->off.offer[0].attempt, 1);
    assert_int_equal(f->off.offer[0].customer, 5);
    COUNTS_ARE(e, 0, 1, 0, 0, 0, 0);

    tu_advance(e, T0 + 545000);
    mark = r->n;
    TU_OK(orca_offer_accept(e, 10));
    ev = EV(r, mark, ORCA_EV_ACCEPTED, 10);
    assert_int_equal(ev->wait_ms, 5000);
    COUNTS_ARE(e, 0, 0, 1, 0, 0, 0);
    TU_CHECK(e);
    jfx_free(f);
}

/* Waiting order uses the routable time: work scheduled for T0+100 s comes
 * after work that arrived at T0+50 s and before work arriving at T0+150 s. */
static void test_slot_orders_by_routable_time(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    orca_queue_id q = jqueue(e, "cb", 0, 0, 0);
    tu_agent(e, 1, 100, NULL, 0); /* 4 chats at once */
    tu_member(e, q, 1, 0);
    TU_OK(jslot(e, 11, q, ORCA_CHANNEL_CHAT, 0, T0 + 100000, 0));
    tu_advance(e, T0 + 50000);
    jenq(e, 12, q, ORCA_CHANNEL_CHAT, 0);
    size_t mark = f->fx.rec.n;
    tu_advance(e, T0 + 100000);
    SEQ(&f->fx.rec, mark, 0, "DUE");
    assert_int_equal(tu_info(e, 11).arrival_ms, T0 + 100000);
    tu_advance(e, T0 + 150000);
    jenq(e, 13, q, ORCA_CHANNEL_CHAT, 0);
    COUNTS_ARE(e, 3, 0, 0, 0, 0, 0);
    assert_int_equal(tu_qinfo(e, q).oldest_arrival_ms, T0 + 50000);
    tu_advance(e, T0 + 200000);
    tu_ready(e, 1);
    tu_same_text_("O:12:1 O:11:1 O:13:1", f->off.log, "offer order", __FILE__, __LINE__);
    TU_CHECK(e);
    jfx_free(f);
}

/* A slot at the clock, or whose early window is already open, is routable
 * at once: no SCHEDULED event, arrival = now. */
static void test_slot_due_now(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id q = jqueue(e, "cb", 0, 0, 0);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    size_t mark = r->n;
    /* Reading: not_before_ms == now is "now", not "in the past". */
    TU_OK(jslot(e, 14, q, ORCA_CHANNEL_VOICE, 0, T0, 0));
    SEQ(r, mark, 0, "ENQUEUED OFFERED");
    assert_int_equal(tu_info(e, 14).arrival_ms, T0);
    mark = r->n;
    TU_OK(jslot(e, 15, q, ORCA_CHANNEL_VOICE, 0, T0 + 1000, 5000)); /* from T0 - 4 s */
    SEQ(r, mark, 0, "ENQUEUED");
    orca_interaction_info in = tu_info(e, 15);
    assert_int_equal(in.state, ORCA_STATE_WAITING);
    assert_int_equal(in.arrival_ms, T0);
    assert_int_equal(in.queued_ms, T0);
    mark = r->n;
    TU_OK(jslot(e, 16, q, ORCA_CHANNEL_CHAT, 0, T0 + 1000, UINT32_MAX)); /* no underflow */
    SEQ(r, mark, 0, "ENQUEUED");
    assert_int_equal(tu_info(e, 16).arrival_ms, T0);
    COUNTS_ARE(e, 2, 1, 0, 0, 0, 0);
    assert_int_equal(totals(e).scheduled, 0);
    TU_CHECK(e);
    jfx_free(f);
}

/* Callback times in the past, early_ms without a slot, bot with a slot,
 * and the wrong-state calls on SCHEDULED work: each refused, nothing
 * changed. set_priority is allowed on SCHEDULED work. */
static void test_slot_bad_inputs(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    orca_queue_id q = jqueue(e, "cb", 0, 0, 0);
    orca_queue_id q2 = jqueue(e, "other", 0, 0, 0);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    TU_OK(jslot(e, 20, q, ORCA_CHANNEL_VOICE, 3, T0 + 100000, 0));
    jenq(e, 21, q, ORCA_CHANNEL_VOICE, 3);
    tu_advance(e, T0 + 5000);

    JX_FAILS(e, jslot(e, 30, q, ORCA_CHANNEL_VOICE, 3, T0 + 4999, 0), ORCA_ERANGE);
    JX_FAILS(e, jslot(e, 30, q, ORCA_CHANNEL_VOICE, 3, 1, 0), ORCA_ERANGE);
    JX_FAILS(e, jslot(e, 30, q, ORCA_CHANNEL_VOICE, 3, T0 + 4999, 10000), ORCA_ERANGE);
    JX_FAILS(e, jslot(e, 30, q, ORCA_CHANNEL_VOICE, 3, ORCA_TIME_MAX, 0), ORCA_ERANGE);
    JX_FAILS(e, jslot(e, 30, q, ORCA_CHANNEL_VOICE, 3, UINT64_MAX, 0), ORCA_ERANGE);
    JX_FAILS(e, jslot(e, 30, q, ORCA_CHANNEL_VOICE, 3, 0, 1000), ORCA_EINVAL);
    JX_FAILS(e, jslot(e, 20, q, ORCA_CHANNEL_VOICE, 3, T0 + 200000, 0), ORCA_EEXIST);
    orca_interaction_def d;
    jdef(&d, 30, q, ORCA_CHANNEL_VOICE, 3);
    d.bot = 1;
    d.not_before_ms = T0 + 200000;
    JX_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_EINVAL);

    JX_FAILS(e, orca_offer_accept(e, 20), ORCA_ESTATE);
    JX_FAILS(e, orca_offer_reject(e, 20), ORCA_ESTATE);
    JX_FAILS(e, orca_interaction_end(e, 20), ORCA_ESTATE);
    JX_FAILS(e, orca_interaction_wrapup_done(e, 20), ORCA_ESTATE);
    JX_FAILS(e, orca_interaction_unreached(e, 20), ORCA_ESTATE);
    jdef(&d, 20, q2, ORCA_CHANNEL_VOICE, 0);
    JX_FAILS(e, orca_interaction_transfer(e, 20, &d, ORCA_TRANSFER_BLIND), ORCA_ESTATE);
    JX_FAILS(e, orca_interaction_escalate(e, 20, &d), ORCA_ESTATE);

    size_t mark = f->fx.rec.n;
    TU_OK(orca_interaction_set_priority(e, 20, 9));
    SEQ(&f->fx.rec, mark, 0, "PRIORITY");
    orca_interaction_info in = tu_info(e, 20);
    assert_int_equal(in.state, ORCA_STATE_SCHEDULED);
    assert_int_equal(in.priority, 9);
    COUNTS_ARE(e, 1, 0, 0, 0, 1, 0);
    /* at due it outranks 21 (priority 0, earlier arrival) */
    tu_advance(e, T0 + 100000);
    tu_ready(e, 1);
    TU_OFFERED_TO(e, 20, 1);
    TU_OFFERED_TO(e, 21, 0);
    TU_CHECK(e);
    jfx_free(f);
}

/* SCHEDULED work does not count against max_size, and is not refused
 * when it becomes due in a full queue. */
static void test_scheduled_outside_max_size(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "small";
    qd.max_size = 1;
    orca_queue_id q = tu_queue_def(e, &qd);
    TU_OK(jslot(e, 40, q, ORCA_CHANNEL_VOICE, 0, T0 + 100000, 0));
    assert_int_equal(tu_qinfo(e, q).waiting, 0);
    jenq(e, 41, q, ORCA_CHANNEL_VOICE, 0);
    assert_int_equal(tu_qinfo(e, q).waiting, 1);
    JX_REFUSED(e, jslot(e, 42, q, ORCA_CHANNEL_VOICE, 0, 0, 0), ORCA_EFULL);
    assert_int_equal(tu_rec_last(&f->fx.rec, 0)->type, ORCA_EV_REJECTED_FULL);
    tu_advance(e, T0 + 100000);
    assert_int_equal(tu_state(e, 40), ORCA_STATE_WAITING);
    assert_int_equal(tu_qinfo(e, q).waiting, 2);
    COUNTS_ARE(e, 2, 0, 0, 0, 0, 0);
    TU_CHECK(e);
    jfx_free(f);
}

/* ------------------------------------------------------------------------ */
/* A named agent's wait counts from the due time                            */
/* ------------------------------------------------------------------------ */

static int jheld(orca_engine *e, uint64_t id, orca_queue_id q, orca_channel_id ch,
                 uint64_t customer, uint64_t not_before, uint64_t agent, uint32_t wait,
                 uint32_t hard)
{
    orca_interaction_def d;
    jdef(&d, id, q, ch, customer);
    d.not_before_ms = not_before;
    d.agent = agent;
    d.agent_wait_ms = wait;
    d.agent_required = hard;
    return orca_interaction_enqueue(e, &d);
}

static void test_named_agent_wait_from_due_soft(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id q = jqueue(e, "cb", 0, 0, 0);
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);
    tu_ready(e, 1);
    tu_notready(e, 1); /* logged in, not taking work */
    tu_ready(e, 2);
    size_t mark = r->n;
    TU_OK(jheld(e, 20, q, ORCA_CHANNEL_VOICE, 0, T0 + 100000, 1, 30000, 0));
    SEQ(r, mark, 0, "ENQUEUED SCHEDULED");
    const orca_event *ev = EV(r, mark, ORCA_EV_ENQUEUED, 20);
    assert_true(ev->value & ORCA_ENQ_TARGETED);
    assert_int_equal(ev->agent, 1);
    orca_interaction_info in = tu_info(e, 20);
    assert_int_equal(in.target_agent, 1);
    assert_int_equal(in.target_until_ms, T0 + 130000); /* due + 30 s */
    assert_int_equal(in.target_required, 0);
    assert_int_equal(next_deadline(e), T0 + 100000);

    mark = r->n;
    tu_advance(e, T0 + 100000);
    SEQ(r, mark, 0, "DUE");
    TU_OFFERED_TO(e, 20, 0); /* held for 1: agent 2 is not asked */
    assert_int_equal(next_deadline(e), T0 + 130000);
    tu_advance(e, T0 + 129999);
    SEQ(r, mark, 0, "DUE");
    TU_CHECK(e);
    tu_advance(e, T0 + 130000);
    SEQ(r, mark, 0, "DUE TARGET_RELEASED OFFERED");
    ev = EV(r, mark, ORCA_EV_TARGET_RELEASED, 20);
    assert_int_equal(ev->agent, 1);
    assert_int_equal(ev->value, ORCA_RELEASE_EXPIRED);
    assert_int_equal(ev->time_ms, T0 + 130000);
    TU_OFFERED_TO(e, 20, 2);
    TU_OK(orca_offer_accept(e, 20));
    tu_advance(e, T0 + 131000);
    TU_OK(orca_interaction_end(e, 20));

    /* agent_wait_ms 0: "the agent if they can take it right now", at due */
    TU_OK(jheld(e, 22, q, ORCA_CHANNEL_VOICE, 0, T0 + 200000, 1, 0, 0));
    assert_int_equal(tu_info(e, 22).target_until_ms, T0 + 200000);
    mark = r->n;
    tu_advance(e, T0 + 200000);
    SEQ(r, mark, 0, "DUE TARGET_RELEASED OFFERED");
    assert_int_equal(EV(r, mark, ORCA_EV_TARGET_RELEASED, 22)->value, ORCA_RELEASE_EXPIRED);
    TU_OFFERED_TO(e, 22, 2);
    TU_OK(orca_offer_accept(e, 22));

    /* the agent ready at due is offered it */
    TU_OK(jheld(e, 23, q, ORCA_CHANNEL_VOICE, 0, T0 + 300000, 1, 30000, 0));
    tu_advance(e, T0 + 250000);
    tu_ready(e, 1);
    assert_int_equal(tu_state(e, 23), ORCA_STATE_SCHEDULED);
    mark = r->n;
    tu_advance(e, T0 + 300000);
    SEQ(r, mark, 0, "DUE OFFERED");
    TU_OFFERED_TO(e, 23, 1);
    assert_int_equal(totals(e).target_offers, 1);
    TU_CHECK(e);
    jfx_free(f);
}

static void test_named_agent_wait_from_due_hard(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id q = jqueue(e, "cb", 0, 0, 0);
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);
    tu_ready(e, 1);
    tu_notready(e, 1);
    tu_ready(e, 2);
    TU_OK(jheld(e, 21, q, ORCA_CHANNEL_VOICE, 8, T0 + 100000, 1, 30000, 1));
    orca_interaction_info in = tu_info(e, 21);
    assert_int_equal(in.target_required, 1);
    assert_int_equal(in.target_until_ms, T0 + 130000);
    size_t mark = r->n;
    tu_advance(e, T0 + 129999);
    SEQ(r, mark, 0, "DUE");
    TU_OFFERED_TO(e, 21, 0);
    tu_advance(e, T0 + 130000);
    SEQ(r, mark, 0, "DUE TIMED_OUT");
    const orca_event *ev = EV(r, mark, ORCA_EV_TIMED_OUT, 21);
    assert_int_equal(ev->wait_ms, 30000);
    assert_int_equal(tu_state(e, 21), 0);
    orca_history_entry h[1];
    history(e, 8, h, 1);
    HIST_IS(h[0], 21, q, ORCA_CHANNEL_VOICE, 0, T0 + 100000, 0, T0 + 130000,
            ORCA_OUTCOME_TIMED_OUT);

    /* hard, no limit: held for ever from due, then the agent gets it */
    TU_OK(jheld(e, 24, q, ORCA_CHANNEL_VOICE, 0, T0 + 200000, 1, 0, 1));
    assert_int_equal(tu_info(e, 24).target_until_ms, UINT64_MAX);
    tu_advance(e, T0 + 10 * DAY_MS);
    TU_OFFERED_TO(e, 24, 0);
    assert_int_equal(tu_info(e, 24).target_agent, 1);
    tu_ready(e, 1);
    TU_OFFERED_TO(e, 24, 1);
    TU_CHECK(e);
    jfx_free(f);
}

/* The named agent went OFFLINE while the work was scheduled: the soft hold
 * ends at due (reason OFFLINE) and anyone eligible gets it. */
static void test_held_agent_offline_at_due(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id q = jqueue(e, "cb", 0, 0, 0);
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);
    tu_ready(e, 1);
    tu_ready(e, 2);
    TU_OK(jheld(e, 25, q, ORCA_CHANNEL_VOICE, 0, T0 + 100000, 1, 60000, 0));
    tu_advance(e, T0 + 1000);
    size_t mark = r->n;
    TU_OK(orca_agent_set_presence(e, 1, ORCA_PRESENCE_OFFLINE, 0));
    SEQ(r, mark, 25, "");
    assert_int_equal(tu_info(e, 25).target_agent, 1);
    assert_int_equal(tu_state(e, 25), ORCA_STATE_SCHEDULED);
    TU_CHECK(e);
    mark = r->n;
    tu_advance(e, T0 + 100000);
    SEQ(r, mark, 0, "DUE TARGET_RELEASED OFFERED");
    const orca_event *ev = EV(r, mark, ORCA_EV_TARGET_RELEASED, 25);
    assert_int_equal(ev->agent, 1);
    assert_int_equal(ev->value, ORCA_RELEASE_OFFLINE);
    TU_OFFERED_TO(e, 25, 2);
    TU_CHECK(e);
    jfx_free(f);
}

/* An agent removed while scheduled work is held for it: soft holds are
 * released (event only, the work stays SCHEDULED), hard-held work times
 * out after AGENT_REMOVED; holds on other agents are untouched. */
static void test_agent_removed_while_scheduled(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id q = jqueue(e, "cb", 0, 0, 0);
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);
    tu_ready(e, 1);
    tu_ready(e, 2);
    TU_OK(jheld(e, 60, q, ORCA_CHANNEL_VOICE, 0, T0 + 100000, 1, 50000, 0));
    TU_OK(jheld(e, 61, q, ORCA_CHANNEL_VOICE, 7, T0 + 100000, 1, 0, 1));
    TU_OK(jheld(e, 62, q, ORCA_CHANNEL_VOICE, 0, T0 + 100000, 2, 50000, 0));
    COUNTS_ARE(e, 0, 0, 0, 0, 3, 0);
    tu_advance(e, T0 + 1000);
    size_t mark = r->n;
    TU_OK(orca_agent_remove(e, 1));
    TU_CHECK(e);
    SEQ(r, mark, 0, "TARGET_RELEASED AGENT_REMOVED TIMED_OUT");
    const orca_event *ev = EV(r, mark, ORCA_EV_TARGET_RELEASED, 60);
    assert_int_equal(ev->agent, 1);
    assert_int_equal(ev->value, ORCA_RELEASE_OFFLINE);
    ev = EV(r, mark, ORCA_EV_TIMED_OUT, 61);
    assert_int_equal(ev->time_ms, T0 + 1000);
    orca_interaction_info in = tu_info(e, 60);
    assert_int_equal(in.state, ORCA_STATE_SCHEDULED);
    assert_int_equal(in.target_agent, 0);
    assert_int_equal(tu_info(e, 62).target_agent, 2);
    assert_int_equal(tu_state(e, 61), 0);
    COUNTS_ARE(e, 0, 0, 0, 0, 2, 0);
    orca_history_entry h[1];
    history(e, 7, h, 1);
    HIST_IS(h[0], 61, q, ORCA_CHANNEL_VOICE, 0, T0 + 100000, 0, T0 + 1000,
            ORCA_OUTCOME_TIMED_OUT);
    assert_int_equal(next_deadline(e), T0 + 100000);

    mark = r->n;
    tu_advance(e, T0 + 100000);
    SEQ(r, mark, 0, "DUE OFFERED DUE"); /* 62 stays held for the busy agent 2 */
    TU_OFFERED_TO(e, 60, 2);
    TU_OFFERED_TO(e, 62, 0);
    assert_int_equal(tu_info(e, 62).target_agent, 2);
    TU_CHECK(e);
    jfx_free(f);
}

/* ------------------------------------------------------------------------ */
/* Virtual hold                                                             */
/* ------------------------------------------------------------------------ */

/* A caller who asks to be called back keeps their place (arrival, order)
 * on the callback channel, ahead of later arrivals; with a time they are
 * SCHEDULED until then and keep their place afterwards. */
static void test_virtual_hold_keeps_place(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id q = jqueue(e, "cb", 0, 0, 0);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    jenq(e, 31, q, ORCA_CHANNEL_VOICE, 0);
    tu_advance(e, T0 + 10000);
    jenq(e, 32, q, ORCA_CHANNEL_VOICE, 0);
    tu_advance(e, T0 + 20000);
    size_t mark = r->n;
    TU_OK(orca_interaction_callback(e, 31, ORCA_CHANNEL_CALLBACK, 0));
    TU_CHECK(e);
    SEQ(r, mark, 0, "CHANNEL_CHANGED");
    const orca_event *ev = EV(r, mark, ORCA_EV_CHANNEL_CHANGED, 31);
    assert_int_equal(ev->value, ORCA_CHANNEL_VOICE);
    assert_int_equal(ev->channel, ORCA_CHANNEL_CALLBACK);
    assert_int_equal(ev->arrival_ms, T0);
    assert_int_equal(ev->queue, q);
    orca_interaction_info in = tu_info(e, 31);
    assert_int_equal(in.state, ORCA_STATE_WAITING);
    assert_int_equal(in.channel, ORCA_CHANNEL_CALLBACK);
    assert_int_equal(in.arrival_ms, T0);
    assert_int_equal(in.queued_ms, T0);
    assert_int_equal(in.queue, q);
    COUNTS_ARE(e, 2, 0, 0, 0, 0, 0);
    tu_advance(e, T0 + 30000);
    jenq(e, 33, q, ORCA_CHANNEL_VOICE, 0);
    tu_advance(e, T0 + 35000);
    mark = r->n;
    TU_OK(orca_interaction_callback(e, 32, ORCA_CHANNEL_CALLBACK, T0 + 100000));
    TU_CHECK(e);
    SEQ(r, mark, 0, "CHANNEL_CHANGED SCHEDULED");
    ev = EV(r, mark, ORCA_EV_SCHEDULED, 32);
    assert_int_equal(ev->due_ms, T0 + 100000);
    assert_int_equal(ev->value, ORCA_SCHED_SLOT);
    in = tu_info(e, 32);
    assert_int_equal(in.state, ORCA_STATE_SCHEDULED);
    assert_int_equal(in.channel, ORCA_CHANNEL_CALLBACK);
    assert_int_equal(in.arrival_ms, T0 + 10000);
    COUNTS_ARE(e, 2, 0, 0, 0, 1, 0);
    assert_int_equal(tu_qinfo(e, q).waiting, 2);
    assert_int_equal(tu_qinfo(e, q).oldest_arrival_ms, T0);
    mark = r->n;
    tu_advance(e, T0 + 100000);
    SEQ(r, mark, 0, "DUE");
    in = tu_info(e, 32);
    assert_int_equal(in.state, ORCA_STATE_WAITING);
    assert_int_equal(in.arrival_ms, T0 + 10000);

    tu_advance(e, T0 + 110000);
    tu_ready(e, 1); /* one call (or callback) at a time */
    TU_OFFERED_TO(e, 31, 1);
    TU_OK(orca_offer_accept(e, 31));
    TU_OK(orca_interaction_end(e, 31));
    TU_OFFERED_TO(e, 32, 1);
    TU_OK(orca_offer_accept(e, 32));
    TU_OK(orca_interaction_end(e, 32));
    TU_OFFERED_TO(e, 33, 1);
    tu_same_text_("O:31:1 O:32:1 O:33:1", f->off.log, "offer order", __FILE__, __LINE__);
    assert_int_equal(f->off.offer[0].channel, ORCA_CHANNEL_CALLBACK);
    assert_int_equal(f->off.offer[0].arrival_ms, T0);
    assert_int_equal(f->off.offer[1].channel, ORCA_CHANNEL_CALLBACK);
    assert_int_equal(f->off.offer[2].channel, ORCA_CHANNEL_VOICE);
    orca_customer_totals t = totals(e);
    assert_int_equal(t.virtual_holds, 2);
    assert_int_equal(t.scheduled, 1);
    TU_CHECK(e);
    jfx_free(f);
}

/* Virtual hold on SCHEDULED work: a new time re-schedules it (arrival kept),
 * no time makes it routable now. */
static void test_virtual_hold_on_scheduled(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id q = jqueue(e, "cb", 0, 0, 0);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    TU_OK(jslot(e, 34, q, ORCA_CHANNEL_VOICE, 0, T0 + 100000, 0));
    size_t mark = r->n;
    TU_OK(orca_interaction_callback(e, 34, ORCA_CHANNEL_CALLBACK, T0 + 200000));
    SEQ(r, mark, 0, "CHANNEL_CHANGED SCHEDULED");
    assert_int_equal(EV(r, mark, ORCA_EV_SCHEDULED, 34)->due_ms, T0 + 200000);
    orca_interaction_info in = tu_info(e, 34);
    assert_int_equal(in.state, ORCA_STATE_SCHEDULED);
    assert_int_equal(in.arrival_ms, T0 + 100000); /* kept */
    assert_int_equal(in.channel, ORCA_CHANNEL_CALLBACK);
    assert_int_equal(next_deadline(e), T0 + 200000);
    COUNTS_ARE(e, 0, 0, 0, 0, 1, 0);
    TU_CHECK(e);

    tu_advance(e, T0 + 150000);
    tu_ready(e, 1);
    assert_int_equal(f->off.noffers, 0);
    mark = r->n;
    TU_OK(orca_interaction_callback(e, 34, ORCA_CHANNEL_CHAT, 0));
    SEQ(r, mark, 0, "CHANNEL_CHANGED OFFERED");
    assert_int_equal(EV(r, mark, ORCA_EV_CHANNEL_CHANGED, 34)->value, ORCA_CHANNEL_CALLBACK);
    TU_OFFERED_TO(e, 34, 1);
    assert_int_equal(f->off.offer[0].channel, ORCA_CHANNEL_CHAT);
    assert_int_equal(f->off.offer[0].arrival_ms, T0 + 100000);
    COUNTS_ARE(e, 0, 1, 0, 0, 0, 0);
    assert_int_equal(totals(e).virtual_holds, 2);
    assert_int_equal(totals(e).scheduled, 2);
    TU_CHECK(e);
    jfx_free(f);
}

static void test_virtual_hold_bad_inputs(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    orca_queue_id q = jqueue(e, "cb", 0, 0, 0);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    jenq(e, 36, q, ORCA_CHANNEL_CHAT, 2);
    jenq(e, 37, q, ORCA_CHANNEL_CHAT, 2);
    TU_OK(orca_offer_accept(e, 37));
    jenq(e, 35, q, ORCA_CHANNEL_VOICE, 2); /* no room: waits */
    TU_OFFERED_TO(e, 36, 1);
    TU_OFFERED_TO(e, 35, 0);
    tu_advance(e, T0 + 5000);
    JX_FAILS(e, orca_interaction_callback(e, 36, ORCA_CHANNEL_CALLBACK, 0), ORCA_ESTATE);
    JX_FAILS(e, orca_interaction_callback(e, 37, ORCA_CHANNEL_CALLBACK, 0), ORCA_ESTATE);
    JX_FAILS(e, orca_interaction_callback(e, 999, ORCA_CHANNEL_CALLBACK, 0), ORCA_ENOENT);
    JX_FAILS(e, orca_interaction_callback(e, 0, ORCA_CHANNEL_CALLBACK, 0), ORCA_EINVAL);
    JX_FAILS(e, orca_interaction_callback(e, 35, 99, 0), ORCA_ENOENT);
    JX_FAILS(e, orca_interaction_callback(e, 35, ORCA_CHANNEL_BUILTIN_COUNT, 0), ORCA_ENOENT);
    JX_FAILS(e, orca_interaction_callback(e, 35, ORCA_CHANNEL_CALLBACK, T0 + 4999),
             ORCA_ERANGE);
    JX_FAILS(e, orca_interaction_callback(e, 35, ORCA_CHANNEL_CALLBACK, ORCA_TIME_MAX),
             ORCA_ERANGE);
    assert_int_equal(orca_interaction_callback(NULL, 35, ORCA_CHANNEL_CALLBACK, 0),
                     ORCA_EINVAL);
    assert_int_equal(totals(e).virtual_holds, 0);
    jfx_free(f);
}

/* Virtual hold of work held for a named agent keeps the hold: SCHEDULED
 * until its time, then held again until the agent's wait runs out. */
static void test_virtual_hold_keeps_target(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id q = jqueue(e, "cb", 0, 0, 0);
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);
    tu_ready(e, 1);
    tu_notready(e, 1);
    tu_ready(e, 2);
    TU_OK(jheld(e, 70, q, ORCA_CHANNEL_VOICE, 0, 0, 1, 60000, 0));
    TU_OFFERED_TO(e, 70, 0);
    assert_int_equal(tu_info(e, 70).target_until_ms, T0 + 60000);
    tu_advance(e, T0 + 1000);
    size_t mark = r->n;
    TU_OK(orca_interaction_callback(e, 70, ORCA_CHANNEL_CALLBACK, T0 + 30000));
    TU_CHECK(e);
    SEQ(r, mark, 0, "CHANNEL_CHANGED SCHEDULED");
    orca_interaction_info in = tu_info(e, 70);
    assert_int_equal(in.state, ORCA_STATE_SCHEDULED);
    assert_int_equal(in.target_agent, 1);
    assert_int_equal(in.target_until_ms, T0 + 60000);
    mark = r->n;
    tu_advance(e, T0 + 30000);
    TU_CHECK(e);
    SEQ(r, mark, 0, "DUE");
    TU_OFFERED_TO(e, 70, 0);
    assert_int_equal(tu_info(e, 70).target_agent, 1);
    tu_advance(e, T0 + 40000);
    tu_ready(e, 1);
    TU_OFFERED_TO(e, 70, 1);
    assert_int_equal(f->off.offer[0].channel, ORCA_CHANNEL_CALLBACK);
    /* and without a time it stays held, on the new channel */
    TU_OK(jheld(e, 71, q, ORCA_CHANNEL_CHAT, 0, 0, 1, 60000, 0));
    TU_OK(orca_interaction_callback(e, 71, ORCA_CHANNEL_EMAIL, 0));
    TU_CHECK(e);
    in = tu_info(e, 71);
    assert_int_equal(in.target_agent, 1);
    assert_int_equal(in.channel, ORCA_CHANNEL_EMAIL);
    TU_OFFERED_TO(e, 71, 0); /* agent 1 is full with the callback */
    jfx_free(f);
}

/* The named agent stopped serving the queue while the work was scheduled:
 * at due the soft hold ends (INELIGIBLE) and anyone eligible gets it. */
static void test_held_agent_ineligible_at_due(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id q = jqueue(e, "cb", 0, 0, 0);
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);
    tu_ready(e, 1);
    tu_ready(e, 2);
    TU_OK(jheld(e, 72, q, ORCA_CHANNEL_VOICE, 0, T0 + 100000, 1, 60000, 0));
    tu_advance(e, T0 + 1000);
    TU_OK(orca_queue_member_remove(e, q, 1));
    TU_CHECK(e);
    size_t mark = r->n;
    tu_advance(e, T0 + 100000);
    SEQ(r, mark, 0, "DUE TARGET_RELEASED OFFERED");
    const orca_event *ev = EV(r, mark, ORCA_EV_TARGET_RELEASED, 72);
    assert_int_equal(ev->agent, 1);
    assert_int_equal(ev->value, ORCA_RELEASE_INELIGIBLE);
    TU_OFFERED_TO(e, 72, 2);
    TU_CHECK(e);
    jfx_free(f);
}

/* Sticky routing of a booked callback counts sticky_ms from the due time. */
static void test_sticky_counts_from_due(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "sticky";
    qd.sticky_ms = 30000;
    orca_queue_id q = tu_queue_def(e, &qd);
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);
    tu_ready(e, 1);
    tu_ready(e, 2);
    jenq(e, 73, q, ORCA_CHANNEL_VOICE, 9);
    TU_OFFERED_TO(e, 73, 1);
    TU_OK(orca_offer_accept(e, 73));
    tu_advance(e, T0 + 2000);
    TU_OK(orca_interaction_end(e, 73));
    tu_advance(e, T0 + 3000);
    size_t mark = r->n;
    TU_OK(jslot(e, 74, q, ORCA_CHANNEL_VOICE, 9, T0 + 100000, 0));
    const orca_event *ev = EV(r, mark, ORCA_EV_ENQUEUED, 74);
    assert_int_equal(ev->value & (ORCA_ENQ_TARGETED | ORCA_ENQ_STICKY),
                     ORCA_ENQ_TARGETED | ORCA_ENQ_STICKY);
    assert_int_equal(ev->agent, 1);
    assert_int_equal(tu_info(e, 74).target_until_ms, T0 + 130000);
    tu_advance(e, T0 + 4000);
    tu_notready(e, 1);
    mark = r->n;
    tu_advance(e, T0 + 129999);
    SEQ(r, mark, 0, "DUE");
    tu_advance(e, T0 + 130000);
    SEQ(r, mark, 0, "DUE TARGET_RELEASED OFFERED");
    TU_OFFERED_TO(e, 74, 2);
    TU_CHECK(e);
    jfx_free(f);
}

/* ------------------------------------------------------------------------ */
/* Unreached: retries                                                       */
/* ------------------------------------------------------------------------ */

/* callback_attempts 2, callback_retry_ms 60 s: the first failure frees the
 * agent at once (no wrap-up, though the channel has one) and schedules a
 * retry that keeps the callback's place; the second forgets it with
 * outcome UNREACHED. */
static void test_unreached_retry_policy(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id q = jqueue(e, "cb", 2, 60000, 0);
    TU_OK(orca_channel_set_wrapup(e, ORCA_CHANNEL_CALLBACK, 30000));
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    jenq(e, 40, q, ORCA_CHANNEL_CALLBACK, 4);
    TU_OFFERED_TO(e, 40, 1);
    tu_advance(e, T0 + 1000);
    TU_OK(orca_offer_accept(e, 40));
    tu_advance(e, T0 + 5000);
    size_t mark = r->n;
    TU_OK(orca_interaction_unreached(e, 40));
    TU_CHECK(e);
    SEQ(r, mark, 0, "UNREACHED SCHEDULED");
    const orca_event *ev = EV(r, mark, ORCA_EV_UNREACHED, 40);
    assert_int_equal(ev->value, 1);
    assert_int_equal(ev->agent, 1);
    assert_int_equal(ev->time_ms, T0 + 5000);
    ev = EV(r, mark, ORCA_EV_SCHEDULED, 40);
    assert_int_equal(ev->due_ms, T0 + 65000);
    assert_int_equal(ev->value, ORCA_SCHED_RETRY);
    orca_agent_info ai = tu_ainfo(e, 1);
    assert_int_equal(ai.used, 0);
    assert_int_equal(ai.busy, 0);
    assert_int_equal(ai.wrapup, 0);
    assert_int_equal(ai.idle_since_ms, T0 + 5000);
    orca_interaction_info in = tu_info(e, 40);
    assert_int_equal(in.state, ORCA_STATE_SCHEDULED);
    assert_int_equal(in.arrival_ms, T0);
    assert_int_equal(in.queued_ms, T0);
    assert_int_equal(in.agent, 0);
    COUNTS_ARE(e, 0, 0, 0, 0, 1, 0);
    orca_customer_info ci;
    TU_OK(orca_customer_info_get(e, 4, &ci));
    assert_int_equal(ci.history, 0);
    assert_int_equal(ci.open, 1);

    tu_advance(e, T0 + 6000);
    tu_notready(e, 1);
    tu_advance(e, T0 + 10000);
    jenq(e, 41, q, ORCA_CHANNEL_CALLBACK, 0);
    mark = r->n;
    tu_advance(e, T0 + 65000);
    SEQ(r, mark, 0, "DUE");
    in = tu_info(e, 40);
    assert_int_equal(in.state, ORCA_STATE_WAITING);
    assert_int_equal(in.arrival_ms, T0);
    tu_advance(e, T0 + 70000);
    tu_ready(e, 1);
    TU_OFFERED_TO(e, 40, 1); /* its place: ahead of 41 (T0 + 10 s) */
    TU_OFFERED_TO(e, 41, 0);
    assert_int_equal(f->off.noffers, 2);
    assert_int_equal(f->off.offer[1].attempt, 2);
    assert_int_equal(f->off.offer[1].arrival_ms, T0);
    tu_advance(e, T0 + 71000);
    TU_OK(orca_offer_accept(e, 40));
    tu_advance(e, T0 + 72000);
    mark = r->n;
    TU_OK(orca_interaction_unreached(e, 40));
    TU_CHECK(e);
    SEQ(r, mark, 0, "UNREACHED OFFERED");
    assert_int_equal(EV(r, mark, ORCA_EV_UNREACHED, 40)->value, 2);
    assert_int_equal(EV(r, mark, ORCA_EV_OFFERED, 41)->agent, 1);
    assert_int_equal(tu_state(e, 40), 0);
    orca_history_entry h[1];
    history(e, 4, h, 1);
    HIST_IS(h[0], 40, q, ORCA_CHANNEL_CALLBACK, 1, T0, T0 + 71000, T0 + 72000,
            ORCA_OUTCOME_UNREACHED);
    orca_customer_totals t = totals(e);
    assert_int_equal(t.unreached, 2);
    assert_int_equal(t.scheduled, 1);
    COUNTS_ARE(e, 0, 1, 0, 0, 0, 0);
    jfx_free(f);
}

/* Defaults: 3 tries in all, 300 s apart. */
static void test_unreached_default_policy(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id q = jqueue(e, "cb", 0, 0, 0);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    jenq(e, 42, q, ORCA_CHANNEL_VOICE, 0);
    TU_OK(orca_offer_accept(e, 42));
    tu_advance(e, T0 + 1000);
    size_t mark = r->n;
    TU_OK(orca_interaction_unreached(e, 42));
    SEQ(r, mark, 0, "UNREACHED SCHEDULED");
    assert_int_equal(EV(r, mark, ORCA_EV_SCHEDULED, 42)->due_ms, T0 + 301000);
    tu_advance(e, T0 + 300999);
    assert_int_equal(tu_state(e, 42), ORCA_STATE_SCHEDULED);
    mark = r->n;
    tu_advance(e, T0 + 301000);
    SEQ(r, mark, 0, "DUE OFFERED");
    TU_OK(orca_offer_accept(e, 42));
    tu_advance(e, T0 + 302000);
    mark = r->n;
    TU_OK(orca_interaction_unreached(e, 42));
    SEQ(r, mark, 0, "UNREACHED SCHEDULED");
    assert_int_equal(EV(r, mark, ORCA_EV_UNREACHED, 42)->value, 2);
    assert_int_equal(EV(r, mark, ORCA_EV_SCHEDULED, 42)->due_ms, T0 + 602000);
    tu_advance(e, T0 + 602000);
    TU_OFFERED_TO(e, 42, 1);
    assert_int_equal(tu_info(e, 42).attempts, 3);
    TU_OK(orca_offer_accept(e, 42));
    tu_advance(e, T0 + 603000);
    mark = r->n;
    TU_OK(orca_interaction_unreached(e, 42));
    SEQ(r, mark, 0, "UNREACHED");
    assert_int_equal(EV(r, mark, ORCA_EV_UNREACHED, 42)->value, 3);
    assert_int_equal(tu_state(e, 42), 0);
    COUNTS_ARE(e, 0, 0, 0, 0, 0, 0);
    assert_int_equal(totals(e).unreached, 3);
    assert_int_equal(totals(e).scheduled, 2);
    TU_CHECK(e);
    jfx_free(f);
}

/* A callback waiting for its retry can be abandoned: its history names
 * the agent who answered the last try. */
static void test_unreached_then_abandoned(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    orca_queue_id q = jqueue(e, "cb", 0, 0, 0);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    jenq(e, 43, q, ORCA_CHANNEL_CALLBACK, 9);
    tu_advance(e, T0 + 2000);
    TU_OK(orca_offer_accept(e, 43));
    tu_advance(e, T0 + 3000);
    TU_OK(orca_interaction_unreached(e, 43));
    tu_advance(e, T0 + 4000);
    size_t mark = f->fx.rec.n;
    TU_OK(orca_interaction_abandon(e, 43));
    SEQ(&f->fx.rec, mark, 0, "ABANDONED");
    assert_int_equal(EV(&f->fx.rec, mark, ORCA_EV_ABANDONED, 43)->wait_ms, 4000);
    orca_history_entry h[1];
    history(e, 9, h, 1);
    HIST_IS(h[0], 43, q, ORCA_CHANNEL_CALLBACK, 1, T0, T0 + 2000, T0 + 4000,
            ORCA_OUTCOME_ABANDONED);
    COUNTS_ARE(e, 0, 0, 0, 0, 0, 0);
    assert_int_equal(orca_engine_next_deadline(e, &(uint64_t){0}), ORCA_ENOENT);
    TU_CHECK(e);
    jfx_free(f);
}

static void test_unreached_bad_inputs(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    orca_queue_id q = jqueue(e, "cb", 0, 0, 0);
    TU_OK(orca_channel_set_wrapup(e, ORCA_CHANNEL_CHAT, 10000));
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    jenq(e, 46, q, ORCA_CHANNEL_CHAT, 0);
    TU_OK(orca_offer_accept(e, 46));
    TU_OK(orca_interaction_end(e, 46)); /* WRAPUP */
    jenq(e, 44, q, ORCA_CHANNEL_CHAT, 0); /* OFFERED */
    jenq(e, 43, q, ORCA_CHANNEL_VOICE, 0); /* WAITING: no room */
    TU_OK(jslot(e, 45, q, ORCA_CHANNEL_VOICE, 0, T0 + 100000, 0));
    assert_int_equal(tu_state(e, 46), ORCA_STATE_WRAPUP);
    assert_int_equal(tu_state(e, 44), ORCA_STATE_OFFERED);
    assert_int_equal(tu_state(e, 43), ORCA_STATE_WAITING);
    assert_int_equal(tu_state(e, 45), ORCA_STATE_SCHEDULED);
    JX_FAILS(e, orca_interaction_unreached(e, 46), ORCA_ESTATE);
    JX_FAILS(e, orca_interaction_unreached(e, 44), ORCA_ESTATE);
    JX_FAILS(e, orca_interaction_unreached(e, 43), ORCA_ESTATE);
    JX_FAILS(e, orca_interaction_unreached(e, 45), ORCA_ESTATE);
    JX_FAILS(e, orca_interaction_unreached(e, 999), ORCA_ENOENT);
    JX_FAILS(e, orca_interaction_unreached(e, 0), ORCA_EINVAL);
    assert_int_equal(orca_interaction_unreached(NULL, 44), ORCA_EINVAL);
    assert_int_equal(totals(e).unreached, 0);
    jfx_free(f);
}

/* ------------------------------------------------------------------------ */
/* Abandon / cancel of SCHEDULED work                                       */
/* ------------------------------------------------------------------------ */

static void test_scheduled_abandon_cancel(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id q = jqueue(e, "cb", 0, 0, 0);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    TU_OK(jslot(e, 50, q, ORCA_CHANNEL_VOICE, 5, T0 + 100000, 0));
    TU_OK(jslot(e, 51, q, ORCA_CHANNEL_VOICE, 6, T0 + 200000, 0));
    tu_advance(e, T0 + 1000);
    size_t mark = r->n;
    TU_OK(orca_interaction_abandon(e, 50));
    TU_CHECK(e);
    SEQ(r, mark, 0, "ABANDONED");
    const orca_event *ev = EV(r, mark, ORCA_EV_ABANDONED, 50);
    assert_int_equal(ev->wait_ms, 0); /* it never waited */
    assert_int_equal(ev->customer, 5);
    assert_int_equal(tu_state(e, 50), 0);
    COUNTS_ARE(e, 0, 0, 0, 0, 1, 0);
    assert_int_equal(next_deadline(e), T0 + 200000);
    orca_history_entry h[1];
    history(e, 5, h, 1);
    /* Reading: arrival_ms is the due time (DESIGN: arrival = queued = due). */
    HIST_IS(h[0], 50, q, ORCA_CHANNEL_VOICE, 0, T0 + 100000, 0, T0 + 1000,
            ORCA_OUTCOME_ABANDONED);
    tu_advance(e, T0 + 2000);
    mark = r->n;
    TU_OK(orca_interaction_cancel(e, 51));
    SEQ(r, mark, 0, "CANCELLED");
    COUNTS_ARE(e, 0, 0, 0, 0, 0, 0);
    history(e, 6, h, 1);
    HIST_IS(h[0], 51, q, ORCA_CHANNEL_VOICE, 0, T0 + 200000, 0, T0 + 2000,
            ORCA_OUTCOME_CANCELLED);
    uint64_t d = 0;
    assert_int_equal(orca_engine_next_deadline(e, &d), ORCA_ENOENT);
    mark = r->n;
    tu_advance(e, T0 + 300000);
    assert_int_equal(r->n, mark); /* no DUE for forgotten work */
    assert_int_equal(f->off.noffers, 0);
    JX_FAILS(e, orca_interaction_abandon(e, 50), ORCA_ENOENT);
    JX_FAILS(e, orca_interaction_cancel(e, 51), ORCA_ENOENT);
    TU_CHECK(e);
    jfx_free(f);
}

/* ------------------------------------------------------------------------ */
/* Allocation-failure sweep                                                 */
/* ------------------------------------------------------------------------ */

static void cb_setup(sw *s)
{
    sw_engine(s, T0);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "cb";
    qd.callback_attempts = 2;
    qd.callback_retry_ms = 60000;
    qd.offer_timeout_ms = 100000000; /* no offer timeouts: nothing absorbed */
    TU_OK(orca_queue_add(s->e, &qd, &s->q[0]));
    orca_agent_def ad;
    tu_agent_def(&ad, 1, 100, NULL, 0);
    TU_OK(orca_agent_add(s->e, &ad));
    TU_OK(orca_queue_member_add(s->e, s->q[0], 1, 0));
}

static int cb_step(sw *s, int k)
{
    orca_engine *e = s->e;
    orca_queue_id q = s->q[0];
    orca_interaction_def d;
    switch (k) {
    case 0: return jslot(e, 1, q, ORCA_CHANNEL_VOICE, 3, T0 + 100000, 10000);
    case 1: jdef(&d, 2, q, ORCA_CHANNEL_VOICE, 4); return orca_interaction_enqueue(e, &d);
    case 2: return orca_interaction_callback(e, 2, ORCA_CHANNEL_CALLBACK, 0);
    case 3: return orca_interaction_callback(e, 1, ORCA_CHANNEL_CHAT, T0 + 200000);
    case 4: return jheld(e, 3, q, ORCA_CHANNEL_EMAIL, 4, T0 + 50000, 1, 1000, 0);
    case 5: return orca_engine_advance(e, T0 + 50000); /* 3 due; its agent is OFFLINE */
    case 6: return orca_agent_set_presence(e, 1, ORCA_PRESENCE_READY, 0); /* offered 2 */
    case 7: return orca_offer_accept(e, 2);
    case 8: return orca_interaction_unreached(e, 2); /* retry at T0 + 110 s; 3 offered */
    case 9: return orca_interaction_abandon(e, 1);
    case 10: return orca_engine_advance(e, T0 + 120000); /* 2 due, no room */
    case 11: return orca_offer_accept(e, 3);
    case 12: return orca_interaction_end(e, 3); /* 2 offered */
    case 13: return orca_offer_accept(e, 2);
    case 14: return orca_interaction_unreached(e, 2); /* second try: forgotten */
    case 15: return jslot(e, 4, q, ORCA_CHANNEL_VOICE, 5, T0, 0);
    case 16: return jslot(e, 5, q, ORCA_CHANNEL_SOCIAL, 6, T0 + 130000, 0);
    case 17: return orca_interaction_callback(e, 5, ORCA_CHANNEL_SMS, T0 + 500000);
    case 18: return orca_engine_advance(e, T0 + 500000);
    default: return SW_DONE;
    }
}

static void test_alloc_sweep_callbacks(void **state)
{
    (void)state;
    const int must[] = { 0, ORCA_OK, 1, ORCA_OK, 2, ORCA_OK, 3, ORCA_OK, 4, ORCA_OK,
                         5, ORCA_OK, 6, ORCA_OK, 7, ORCA_OK, 8, ORCA_OK, 9, ORCA_OK,
                         10, ORCA_OK, 11, ORCA_OK, 12, ORCA_OK, 13, ORCA_OK, 14, ORCA_OK,
                         15, ORCA_ERANGE, 16, ORCA_OK, 17, ORCA_OK, 18, ORCA_OK };
    sw_sweep(cb_setup, cb_step, must, sizeof(must) / sizeof(must[0]) / 2);
}

int main(void)
{
    tu_filter_from_env();
    const struct CMUnitTest tests[] = {
        JW_TEST(test_slot_enqueue),
        JW_TEST(test_slot_orders_by_routable_time),
        JW_TEST(test_slot_due_now),
        JW_TEST(test_slot_bad_inputs),
        JW_TEST(test_scheduled_outside_max_size),
        JW_TEST(test_named_agent_wait_from_due_soft),
        JW_TEST(test_named_agent_wait_from_due_hard),
        JW_TEST(test_held_agent_offline_at_due),
        JW_TEST(test_agent_removed_while_scheduled),
        JW_TEST(test_virtual_hold_keeps_place),
        JW_TEST(test_virtual_hold_on_scheduled),
        JW_TEST(test_virtual_hold_bad_inputs),
        JW_TEST(test_virtual_hold_keeps_target),
        JW_TEST(test_held_agent_ineligible_at_due),
        JW_TEST(test_sticky_counts_from_due),
        JW_TEST(test_unreached_retry_policy),
        JW_TEST(test_unreached_default_policy),
        JW_TEST(test_unreached_then_abandoned),
        JW_TEST(test_unreached_bad_inputs),
        JW_TEST(test_scheduled_abandon_cancel),
        JW_TEST(test_alloc_sweep_callbacks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
