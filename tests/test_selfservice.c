/*
 * test_selfservice.c: bots and abandon-and-resume. Work enqueued with a
 * bot (state BOT, counts.bot, never offered even with a ready agent, no
 * timers), ended by the bot (CONTAINED event, outcome CONTAINED in the
 * customer's history, totals.contained), escalated to people (ESCALATED
 * with the bot time, ENQUEUED bit ESCALATED, waiting, SLA and max wait
 * counted from the escalation, offered to an agent, ONE history entry for
 * the whole interaction, not a new contact; a named agent, sticky routing
 * and a callback slot on escalation), every bad input of the new calls
 * proving the engine unchanged, abandon/cancel of BOT work; and
 * abandon-and-resume (a customer who abandons WAITING or OFFERED work in a
 * queue with resume_ms and comes back before the window ends gets the old
 * arrival_ms and place, ENQUEUED bit RESUMED; not after the window, not in
 * another queue, not from cancel, SCHEDULED or BOT work, not taken by a
 * transfer, an escalation or a bot; the ticket is used once, the latest
 * one counts, a redirect into the queue takes it), with an
 * allocation-failure sweep over the new calls.
 *
 * Readings of orca.h / DESIGN.md this suite takes where they could be
 * read two ways (each marked "Reading:" where it is used):
 *  - counts.interactions counts BOT and SCHEDULED work (see
 *    test_callbacks.c).
 *  - "Comes back within resume_ms": the ticket is good while now < abandon
 *    time + resume_ms (DESIGN: "before `until`"); at exactly that instant
 *    it is not.
 *  - The ticket waits for the customer's next enqueue *reaching that
 *    queue*: an enqueue into another queue in between neither takes nor
 *    drops it; nor do transfers, escalations or bot enqueues.
 *  - An escalated leg's ENQUEUED value carries ESCALATED and not RECONTACT
 *    (not a new contact); whether it carries SWITCH (a chat bot escalated
 *    to a call) is left open.
 *  - A bot in a queue closed with HOLD starts at once (state BOT); its
 *    time with the bot (ESCALATED / CONTAINED duration_ms) is counted from
 *    the enqueue.
 *
 * Two tests failed when written (suspected engine bugs):
 *  - test_bot_in_closed_hold_queue: a bot enqueued into a queue closed
 *    with HOLD gets arrival_ms = the opening (in the future), so CONTAINED
 *    and ESCALATED duration_ms (now - arrival) wrap to about 2^64.
 *  - test_escalate_keeps_idle_customers: escalation forgets the BOT record
 *    before starting the new leg, so for a moment the customer has no live
 *    work and is put on the idle LRU; under max_customers that evicts
 *    another idle customer (a blind transfer does the same).
 */
#include "testutil.h"

#include "journeyutil.h"

/* ------------------------------------------------------------------------ */
/* Local helpers                                                            */
/* ------------------------------------------------------------------------ */

#define T0 1000000ull

static int jbot(orca_engine *e, uint64_t id, orca_queue_id q, orca_channel_id ch,
                uint64_t customer, uint64_t conversation)
{
    orca_interaction_def d;
    jdef(&d, id, q, ch, customer);
    d.conversation = conversation;
    d.bot = 1;
    return orca_interaction_enqueue(e, &d);
}

/* Escalate to queue q on channel ch, nothing else set. */
static int jesc(orca_engine *e, uint64_t id, orca_queue_id q, orca_channel_id ch)
{
    orca_interaction_def to;
    jdef(&to, id, q, ch, 0);
    return orca_interaction_escalate(e, id, &to);
}

/* ------------------------------------------------------------------------ */
/* Bots                                                                     */
/* ------------------------------------------------------------------------ */

/* Regression (found by a journal round trip): a returning customer's bot
 * session in a queue with sticky routing was given a sticky hold, leaving
 * BOT work with a target (orca_engine_check failed). Bots are never held. */
static void test_bot_not_held_by_sticky(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "sticky";
    qd.sticky_ms = 60000;
    orca_queue_id q = tu_queue_def(e, &qd);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    orca_interaction_def d;
    jdef(&d, 50, q, ORCA_CHANNEL_CHAT, 9);
    TU_OK(orca_interaction_enqueue(e, &d)); /* offered to agent 1 */
    TU_OK(orca_offer_accept(e, 50));
    TU_OK(orca_interaction_end(e, 50)); /* customer 9's last agent: 1 */
    TU_OK(jbot(e, 51, q, ORCA_CHANNEL_CHAT, 9, 0));
    orca_interaction_info in = tu_info(e, 51);
    assert_int_equal(in.state, ORCA_STATE_BOT);
    assert_int_equal(in.target_agent, 0);
    TU_CHECK(e);
    jfx_free(f);
}

static void test_bot_start(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "bot";
    qd.max_wait_ms = 60000;
    orca_queue_id qb = tu_queue_def(e, &qd);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, qb, 1, 0);
    tu_ready(e, 1);
    size_t mark = r->n;
    TU_OK(jbot(e, 100, qb, ORCA_CHANNEL_CHAT, 9, 0));
    TU_CHECK(e);
    SEQ(r, mark, 0, "ENQUEUED");
    const orca_event *ev = EV(r, mark, ORCA_EV_ENQUEUED, 100);
    assert_int_equal(ev->queue, qb);
    assert_int_equal(ev->channel, ORCA_CHANNEL_CHAT);
    assert_int_equal(ev->customer, 9);
    assert_int_equal(ev->arrival_ms, T0);
    assert_int_equal(ENQ_BITS(ev->value), 0);
    assert_int_equal(ev->agent, 0);
    orca_interaction_info in = tu_info(e, 100);
    assert_int_equal(in.state, ORCA_STATE_BOT);
    assert_int_equal(in.arrival_ms, T0);
    assert_int_equal(in.queued_ms, T0);
    assert_int_equal(in.agent, 0);
    assert_int_equal(in.queue, qb);
    COUNTS_ARE(e, 0, 0, 0, 0, 0, 1); /* Reading: BOT counts as live */
    orca_queue_info qi = tu_qinfo(e, qb);
    assert_int_equal(qi.waiting, 0);
    assert_int_equal(qi.offered, 0);
    assert_int_equal(f->off.noffers, 0);
    assert_int_equal(tu_ainfo(e, 1).used, 0);
    uint64_t d = 0;
    assert_int_equal(orca_engine_next_deadline(e, &d), ORCA_ENOENT); /* no timer */
    orca_customer_totals t = totals(e);
    assert_int_equal(t.bot_started, 1);
    assert_int_equal(t.contacts, 1);
    assert_int_equal(t.contained, 0);
    assert_int_equal(t.escalated, 0);
    uint64_t ids[4];
    uint32_t n = 0;
    TU_OK(orca_customer_open(e, 9, ids, 4, &n));
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], 100);

    /* nothing routes it: presence, a new member, time past max_wait */
    tu_notready(e, 1);
    tu_ready(e, 1);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, qb, 2, 0);
    tu_ready(e, 2);
    mark = r->n;
    tu_advance(e, T0 + 600000);
    assert_int_equal(r->n, mark);
    assert_int_equal(f->off.noffers, 0);
    assert_int_equal(tu_state(e, 100), ORCA_STATE_BOT);
    COUNTS_ARE(e, 0, 0, 0, 0, 0, 1);
    TU_CHECK(e);
    jfx_free(f);
}

static void test_bot_contained(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id qb = tu_queue(e, "bot", ORCA_STRATEGY_LONGEST_IDLE);
    TU_OK(jbot(e, 100, qb, ORCA_CHANNEL_CHAT, 9, 0));
    TU_OK(orca_interaction_set_disposition(e, 100, 42));
    tu_advance(e, T0 + 90000);
    size_t mark = r->n;
    TU_OK(orca_interaction_end(e, 100));
    TU_CHECK(e);
    SEQ(r, mark, 0, "CONTAINED");
    const orca_event *ev = EV(r, mark, ORCA_EV_CONTAINED, 100);
    assert_int_equal(ev->duration_ms, 90000);
    assert_int_equal(ev->time_ms, T0 + 90000);
    assert_int_equal(ev->queue, qb);
    assert_int_equal(ev->customer, 9);
    assert_int_equal(ev->agent, 0);
    assert_int_equal(tu_state(e, 100), 0);
    COUNTS_ARE(e, 0, 0, 0, 0, 0, 0);
    orca_history_entry h[1];
    history(e, 9, h, 1);
    HIST_IS(h[0], 100, qb, ORCA_CHANNEL_CHAT, 0, T0, 0, T0 + 90000, ORCA_OUTCOME_CONTAINED);
    assert_int_equal(h[0].disposition, 42);
    orca_customer_totals t = totals(e);
    assert_int_equal(t.contained, 1);
    assert_int_equal(t.bot_started, 1);
    assert_int_equal(t.escalated, 0);
    orca_customer_info ci;
    TU_OK(orca_customer_info_get(e, 9, &ci));
    assert_int_equal(ci.open, 0);
    assert_int_equal(ci.contacts, 1);
    JX_FAILS(e, orca_interaction_end(e, 100), ORCA_ENOENT);
    jfx_free(f);
}

static void test_bot_escalate(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_skill_id en = tu_skill(e, "en");
    orca_queue_id qb = tu_queue(e, "bot", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q2 = tu_queue(e, "people", ORCA_STRATEGY_LONGEST_IDLE);
    const orca_skill_level sk = { en, 5 };
    tu_agent(e, 2, 100, &sk, 1);
    tu_member(e, q2, 2, 0);
    tu_ready(e, 2);
    int x = 1, y = 2;
    orca_interaction_def d;
    jdef(&d, 101, qb, ORCA_CHANNEL_CHAT, 9);
    d.conversation = 77;
    d.data = &x;
    d.bot = 1;
    TU_OK(orca_interaction_enqueue(e, &d));
    tu_advance(e, T0 + 45000);
    orca_interaction_def to;
    jdef(&to, 101, q2, ORCA_CHANNEL_VOICE, 0);
    const orca_skill_level need = { en, 2 };
    to.required = &need;
    to.nrequired = 1;
    to.priority = 3;
    to.data = &y;
    size_t mark = r->n;
    TU_OK(orca_interaction_escalate(e, 101, &to));
    TU_CHECK(e);
    SEQ(r, mark, 0, "ESCALATED ENQUEUED OFFERED");
    const orca_event *ev = EV(r, mark, ORCA_EV_ESCALATED, 101);
    assert_int_equal(ev->duration_ms, 45000);
    assert_int_equal(ev->time_ms, T0 + 45000);
    assert_int_equal(ev->queue, qb);
    assert_int_equal(ev->channel, ORCA_CHANNEL_CHAT);
    assert_int_equal(ev->customer, 9);
    assert_int_equal(ev->conversation, 77);
    ev = EV(r, mark, ORCA_EV_ENQUEUED, 101);
    assert_int_equal(ev->queue, q2);
    assert_int_equal(ev->channel, ORCA_CHANNEL_VOICE);
    assert_int_equal(ev->priority, 3);
    assert_int_equal(ev->arrival_ms, T0 + 45000);
    assert_int_equal(ev->wait_ms, 0);
    assert_int_equal(ev->customer, 9);
    assert_int_equal(ev->conversation, 77);
    assert_true(ev->value & ORCA_ENQ_ESCALATED);
    assert_false(ev->value & (ORCA_ENQ_RECONTACT | ORCA_ENQ_RESUMED | ORCA_ENQ_TRANSFER |
                              ORCA_ENQ_TARGETED | ORCA_ENQ_REDIRECTED));
    ev = EV(r, mark, ORCA_EV_OFFERED, 101);
    assert_int_equal(ev->agent, 2);
    assert_int_equal(ev->wait_ms, 0);
    assert_int_equal(f->off.noffers, 1);
    const orca_offer *o = &f->off.offer[0];
    assert_int_equal(o->interaction, 101);
    assert_int_equal(o->agent, 2);
    assert_int_equal(o->queue, q2);
    assert_int_equal(o->channel, ORCA_CHANNEL_VOICE);
    assert_int_equal(o->arrival_ms, T0 + 45000);
    assert_ptr_equal(o->interaction_data, &y);
    assert_int_equal(o->conversation, 77);
    assert_int_equal(o->customer, 9);
    assert_int_equal(o->nhistory, 0); /* the bot part is no history entry */
    assert_int_equal(o->open, 0);
    orca_interaction_info in = tu_info(e, 101);
    assert_int_equal(in.state, ORCA_STATE_OFFERED);
    assert_int_equal(in.arrival_ms, T0 + 45000);
    assert_int_equal(in.queued_ms, T0 + 45000);
    assert_int_equal(in.queue, q2);
    assert_int_equal(in.channel, ORCA_CHANNEL_VOICE);
    assert_int_equal(in.priority, 3);
    assert_ptr_equal(in.data, &y);
    assert_int_equal(in.conversation, 77);
    assert_int_equal(in.customer, 9);
    assert_int_equal(in.nrequired, 1);
    assert_int_equal(in.required[0].skill, en);
    assert_int_equal(in.required[0].level, 2);
    COUNTS_ARE(e, 0, 1, 0, 0, 0, 0);
    orca_customer_totals t = totals(e);
    assert_int_equal(t.bot_started, 1);
    assert_int_equal(t.escalated, 1);
    assert_int_equal(t.contained, 0);
    assert_int_equal(t.contacts, 1); /* not a new contact */
    assert_int_equal(t.recontacts, 0);
    orca_customer_info ci;
    TU_OK(orca_customer_info_get(e, 9, &ci));
    assert_int_equal(ci.contacts, 1);
    assert_int_equal(ci.open, 1);
    assert_int_equal(ci.history, 0);

    tu_advance(e, T0 + 50000);
    mark = r->n;
    TU_OK(orca_offer_accept(e, 101));
    assert_int_equal(EV(r, mark, ORCA_EV_ACCEPTED, 101)->wait_ms, 5000);
    tu_advance(e, T0 + 60000);
    TU_OK(orca_interaction_end(e, 101));
    orca_history_entry h[1];
    history(e, 9, h, 1); /* ONE entry for the whole interaction */
    HIST_IS(h[0], 101, q2, ORCA_CHANNEL_VOICE, 2, T0 + 45000, T0 + 50000, T0 + 60000,
            ORCA_OUTCOME_COMPLETED);
    assert_int_equal(h[0].conversation, 77);
    TU_OK(orca_customer_info_get(e, 9, &ci));
    assert_int_equal(ci.contacts, 1);
    assert_int_equal(ci.open, 0);
    assert_int_equal(totals(e).contacts, 1);
    TU_CHECK(e);
    jfx_free(f);
}

/* Waiting, the SLA and max wait count from the escalation, not from the
 * start with the bot (BOT work itself never times out). */
static void test_escalate_wait_starts_at_escalation(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id qb = tu_queue(e, "bot", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "sla";
    qd.sla_ms = 10000;
    orca_queue_id q2 = tu_queue_def(e, &qd);
    orca_queue_def_init(&qd);
    qd.name = "maxwait";
    qd.max_wait_ms = 20000;
    orca_queue_id q3 = tu_queue_def(e, &qd);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q2, 2, 0);
    TU_OK(jbot(e, 102, qb, ORCA_CHANNEL_CHAT, 0, 0));
    TU_OK(jbot(e, 103, q3, ORCA_CHANNEL_CHAT, 0, 0));
    tu_advance(e, T0 + 30000);
    assert_int_equal(tu_state(e, 103), ORCA_STATE_BOT); /* past q3's max wait */
    tu_advance(e, T0 + 45000);
    TU_OK(jesc(e, 102, q2, ORCA_CHANNEL_VOICE));
    TU_OK(jesc(e, 103, q3, ORCA_CHANNEL_CHAT));
    COUNTS_ARE(e, 2, 0, 0, 0, 0, 0);
    assert_int_equal(tu_qinfo(e, q2).oldest_arrival_ms, T0 + 45000);
    assert_int_equal(next_deadline(e), T0 + 65000);
    tu_advance(e, T0 + 60000);
    size_t mark = r->n;
    tu_ready(e, 2);
    assert_int_equal(EV(r, mark, ORCA_EV_OFFERED, 102)->wait_ms, 15000);
    tu_advance(e, T0 + 62000);
    mark = r->n;
    TU_OK(orca_offer_accept(e, 102));
    const orca_event *ev = EV(r, mark, ORCA_EV_ACCEPTED, 102);
    assert_int_equal(ev->wait_ms, 17000);
    assert_int_equal(ev->sla_met, 0);
    mark = r->n;
    tu_advance(e, T0 + 64999);
    assert_int_equal(tu_state(e, 103), ORCA_STATE_WAITING);
    tu_advance(e, T0 + 65000);
    SEQ(r, mark, 0, "TIMED_OUT");
    assert_int_equal(EV(r, mark, ORCA_EV_TIMED_OUT, 103)->wait_ms, 20000);
    TU_CHECK(e);
    jfx_free(f);
}

/* Sticky routing applies to an escalation; a named agent holds it. */
static void test_escalate_sticky_and_named(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id qb = tu_queue(e, "bot", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "sticky";
    qd.sticky_ms = 30000;
    orca_queue_id q2 = tu_queue_def(e, &qd);
    tu_agent(e, 2, 100, NULL, 0);
    tu_agent(e, 3, 100, NULL, 0);
    tu_member(e, q2, 2, 0);
    tu_member(e, q2, 3, 0);
    tu_ready(e, 2);
    tu_ready(e, 3);
    jenq(e, 110, q2, ORCA_CHANNEL_VOICE, 9); /* both idle since T0: agent 2 */
    TU_OFFERED_TO(e, 110, 2);
    tu_advance(e, T0 + 1000);
    TU_OK(orca_offer_accept(e, 110));
    tu_advance(e, T0 + 2000);
    TU_OK(orca_interaction_end(e, 110)); /* agent 3 is now the longest idle */
    TU_OK(jbot(e, 111, qb, ORCA_CHANNEL_CHAT, 9, 0));
    tu_advance(e, T0 + 3000);
    size_t mark = r->n;
    TU_OK(jesc(e, 111, q2, ORCA_CHANNEL_VOICE));
    const orca_event *ev = EV(r, mark, ORCA_EV_ENQUEUED, 111);
    assert_int_equal(ev->value & (ORCA_ENQ_ESCALATED | ORCA_ENQ_TARGETED | ORCA_ENQ_STICKY),
                     ORCA_ENQ_ESCALATED | ORCA_ENQ_TARGETED | ORCA_ENQ_STICKY);
    assert_int_equal(ev->agent, 2);
    TU_OFFERED_TO(e, 111, 2);
    orca_customer_totals t = totals(e);
    assert_int_equal(t.sticky, 1);
    assert_int_equal(t.contacts, 2);

    tu_notready(e, 3);
    TU_OK(jbot(e, 112, qb, ORCA_CHANNEL_CHAT, 0, 0));
    orca_interaction_def to;
    jdef(&to, 112, q2, ORCA_CHANNEL_CHAT, 0);
    to.agent = 3;
    to.agent_wait_ms = 10000;
    mark = r->n;
    TU_OK(orca_interaction_escalate(e, 112, &to));
    ev = EV(r, mark, ORCA_EV_ENQUEUED, 112);
    assert_int_equal(ev->value & (ORCA_ENQ_ESCALATED | ORCA_ENQ_TARGETED),
                     ORCA_ENQ_ESCALATED | ORCA_ENQ_TARGETED);
    assert_int_equal(ev->agent, 3);
    orca_interaction_info in = tu_info(e, 112);
    assert_int_equal(in.target_agent, 3);
    assert_int_equal(in.target_until_ms, T0 + 13000);
    TU_OFFERED_TO(e, 112, 0);
    mark = r->n;
    tu_advance(e, T0 + 13000);
    ev = EV(r, mark, ORCA_EV_TARGET_RELEASED, 112);
    assert_int_equal(ev->value, ORCA_RELEASE_EXPIRED);
    TU_CHECK(e);
    jfx_free(f);
}

/* The bot books a callback: the escalated leg is SCHEDULED for the slot. */
static void test_escalate_to_slot(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id qb = tu_queue(e, "bot", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q2 = tu_queue(e, "people", ORCA_STRATEGY_LONGEST_IDLE);
    TU_OK(jbot(e, 113, qb, ORCA_CHANNEL_CHAT, 0, 0));
    tu_advance(e, T0 + 1000);
    orca_interaction_def to;
    jdef(&to, 113, q2, ORCA_CHANNEL_CALLBACK, 0);
    to.not_before_ms = T0 + 600000;
    size_t mark = r->n;
    TU_OK(orca_interaction_escalate(e, 113, &to));
    SEQ(r, mark, 0, "ESCALATED ENQUEUED SCHEDULED");
    const orca_event *ev = EV(r, mark, ORCA_EV_SCHEDULED, 113);
    assert_int_equal(ev->value, ORCA_SCHED_SLOT);
    assert_int_equal(ev->due_ms, T0 + 600000);
    orca_interaction_info in = tu_info(e, 113);
    assert_int_equal(in.state, ORCA_STATE_SCHEDULED);
    assert_int_equal(in.arrival_ms, T0 + 600000);
    COUNTS_ARE(e, 0, 0, 0, 0, 1, 0);
    assert_int_equal(totals(e).scheduled, 1);
    assert_int_equal(totals(e).escalated, 1);
    TU_CHECK(e);
    jfx_free(f);
}

static void test_bot_bad_inputs(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    orca_queue_id qb = tu_queue(e, "bot", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "full";
    qd.max_size = 1;
    orca_queue_id q2 = tu_queue_def(e, &qd);
    orca_queue_id q3 = tu_queue(e, "people", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q3, 1, 0);
    tu_ready(e, 1);
    jenq(e, 120, q2, ORCA_CHANNEL_CHAT, 0); /* q2 is full */
    TU_OK(jbot(e, 121, qb, ORCA_CHANNEL_CHAT, 9, 77));
    jenq(e, 123, q3, ORCA_CHANNEL_VOICE, 0);
    TU_OK(orca_offer_accept(e, 123)); /* BUSY */
    jenq(e, 122, q3, ORCA_CHANNEL_VOICE, 0); /* WAITING */
    tu_advance(e, T0 + 5000);

    orca_interaction_def to;
    jdef(&to, 122, q3, ORCA_CHANNEL_VOICE, 0);
    JX_FAILS(e, orca_interaction_escalate(e, 122, &to), ORCA_ESTATE);
    to.id = 123;
    JX_FAILS(e, orca_interaction_escalate(e, 123, &to), ORCA_ESTATE);
    to.id = 999;
    JX_FAILS(e, orca_interaction_escalate(e, 999, &to), ORCA_ENOENT);
    to.id = 0;
    JX_FAILS(e, orca_interaction_escalate(e, 0, &to), ORCA_EINVAL);
    JX_FAILS(e, orca_interaction_escalate(e, 121, NULL), ORCA_EINVAL);
    assert_int_equal(orca_interaction_escalate(NULL, 121, &to), ORCA_EINVAL);
    jdef(&to, 124, q3, ORCA_CHANNEL_VOICE, 0); /* to->id must be the bot's */
    JX_FAILS(e, orca_interaction_escalate(e, 121, &to), ORCA_EINVAL);
    jdef(&to, 121, q3, ORCA_CHANNEL_VOICE, 0);
    to.bot = 1;
    JX_FAILS(e, orca_interaction_escalate(e, 121, &to), ORCA_EINVAL);
    jdef(&to, 121, q3, ORCA_CHANNEL_VOICE, 8);
    JX_FAILS(e, orca_interaction_escalate(e, 121, &to), ORCA_EINVAL);
    jdef(&to, 121, q3, ORCA_CHANNEL_VOICE, 0);
    to.conversation = 78;
    JX_FAILS(e, orca_interaction_escalate(e, 121, &to), ORCA_EINVAL);
    jdef(&to, 121, 99, ORCA_CHANNEL_VOICE, 0);
    JX_FAILS(e, orca_interaction_escalate(e, 121, &to), ORCA_ENOENT);
    jdef(&to, 121, q3, 99, 0);
    JX_FAILS(e, orca_interaction_escalate(e, 121, &to), ORCA_ENOENT);
    jdef(&to, 121, q3, ORCA_CHANNEL_VOICE, 0);
    to.priority = ORCA_PRIORITY_MAX + 1;
    JX_FAILS(e, orca_interaction_escalate(e, 121, &to), ORCA_ERANGE);
    jdef(&to, 121, q3, ORCA_CHANNEL_VOICE, 0);
    to.not_before_ms = T0 + 4999;
    JX_FAILS(e, orca_interaction_escalate(e, 121, &to), ORCA_ERANGE);
    jdef(&to, 121, q3, ORCA_CHANNEL_VOICE, 0);
    to.early_ms = 1000;
    JX_FAILS(e, orca_interaction_escalate(e, 121, &to), ORCA_EINVAL);
    jdef(&to, 121, q3, ORCA_CHANNEL_VOICE, 0);
    to.agent = 99;
    JX_FAILS(e, orca_interaction_escalate(e, 121, &to), ORCA_ENOENT);
    jdef(&to, 121, q3, ORCA_CHANNEL_VOICE, 0);
    to.agent_required = 1;
    JX_FAILS(e, orca_interaction_escalate(e, 121, &to), ORCA_EINVAL);
    jdef(&to, 121, q2, ORCA_CHANNEL_CHAT, 0);
    size_t mark = f->fx.rec.n;
    JX_REFUSED(e, orca_interaction_escalate(e, 121, &to), ORCA_EFULL);
    SEQ(&f->fx.rec, mark, 0, "REJECTED_FULL");
    assert_int_equal(totals(e).escalated, 0);

    /* bot with a named agent or a slot, bot = 2 */
    orca_interaction_def d;
    jdef(&d, 125, qb, ORCA_CHANNEL_CHAT, 0);
    d.bot = 1;
    d.agent = 1;
    JX_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_EINVAL);
    d.agent_wait_ms = 1000;
    JX_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_EINVAL);
    jdef(&d, 125, qb, ORCA_CHANNEL_CHAT, 0);
    d.bot = 1;
    d.not_before_ms = T0 + 100000;
    JX_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_EINVAL);
    jdef(&d, 125, qb, ORCA_CHANNEL_CHAT, 0);
    d.bot = 2;
    JX_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_EINVAL);
    jdef(&d, 121, qb, ORCA_CHANNEL_CHAT, 0);
    d.bot = 1;
    JX_FAILS(e, orca_interaction_enqueue(e, &d), ORCA_EEXIST);

    /* the agent-side calls on BOT work */
    JX_FAILS(e, orca_offer_accept(e, 121), ORCA_ESTATE);
    JX_FAILS(e, orca_offer_reject(e, 121), ORCA_ESTATE);
    JX_FAILS(e, orca_interaction_wrapup_done(e, 121), ORCA_ESTATE);
    JX_FAILS(e, orca_interaction_unreached(e, 121), ORCA_ESTATE);
    JX_FAILS(e, orca_interaction_callback(e, 121, ORCA_CHANNEL_CALLBACK, 0), ORCA_ESTATE);
    JX_FAILS(e, orca_interaction_set_priority(e, 121, 5), ORCA_ESTATE);
    jdef(&to, 126, q3, ORCA_CHANNEL_VOICE, 0);
    JX_FAILS(e, orca_interaction_transfer(e, 121, &to, ORCA_TRANSFER_BLIND), ORCA_ESTATE);
    /* a transfer may not start a bot */
    to.bot = 1;
    JX_FAILS(e, orca_interaction_transfer(e, 123, &to, ORCA_TRANSFER_BLIND), ORCA_EINVAL);

    /* customer and conversation equal to the bot's are fine */
    jdef(&to, 121, q3, ORCA_CHANNEL_VOICE, 9);
    to.conversation = 77;
    TU_OK(orca_interaction_escalate(e, 121, &to));
    assert_int_equal(tu_info(e, 121).conversation, 77);
    assert_int_equal(tu_info(e, 121).customer, 9);
    TU_CHECK(e);
    jfx_free(f);
}

static void test_bot_abandon_cancel(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id qr = jqueue(e, "resume", 0, 0, 60000);
    TU_OK(jbot(e, 130, qr, ORCA_CHANNEL_CHAT, 10, 0));
    TU_OK(jbot(e, 132, qr, ORCA_CHANNEL_CHAT, 11, 0));
    tu_advance(e, T0 + 5000);
    size_t mark = r->n;
    TU_OK(orca_interaction_abandon(e, 130));
    SEQ(r, mark, 0, "ABANDONED");
    assert_int_equal(EV(r, mark, ORCA_EV_ABANDONED, 130)->wait_ms, 5000);
    orca_history_entry h[1];
    history(e, 10, h, 1);
    HIST_IS(h[0], 130, qr, ORCA_CHANNEL_CHAT, 0, T0, 0, T0 + 5000, ORCA_OUTCOME_ABANDONED);
    COUNTS_ARE(e, 0, 0, 0, 0, 0, 1);
    mark = r->n;
    TU_OK(orca_interaction_cancel(e, 132));
    SEQ(r, mark, 0, "CANCELLED");
    history(e, 11, h, 1);
    HIST_IS(h[0], 132, qr, ORCA_CHANNEL_CHAT, 0, T0, 0, T0 + 5000, ORCA_OUTCOME_CANCELLED);
    COUNTS_ARE(e, 0, 0, 0, 0, 0, 0);
    /* abandoning BOT work leaves no resume ticket */
    tu_advance(e, T0 + 6000);
    mark = r->n;
    jenq(e, 131, qr, ORCA_CHANNEL_CHAT, 10);
    const orca_event *ev = EV(r, mark, ORCA_EV_ENQUEUED, 131);
    assert_false(ev->value & ORCA_ENQ_RESUMED);
    assert_int_equal(ev->arrival_ms, T0 + 6000);
    assert_int_equal(totals(e).resumed, 0);
    assert_int_equal(totals(e).contained, 0);
    TU_CHECK(e);
    jfx_free(f);
}

/* A bot behind a queue closed with HOLD: its time with the bot is counted
 * from the enqueue, whatever the queue's hours. */
static void test_bot_in_closed_hold_queue(void **state)
{
    (void)state;
    jfx *f = jfx_new(MON_MS);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id qh = tu_queue(e, "hold", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q2 = tu_queue(e, "people", ORCA_STRATEGY_LONGEST_IDLE);
    const orca_hours_range r9 = { 1, 540, 1020 }; /* Monday 09:00-17:00 UTC */
    orca_hours h;
    memset(&h, 0, sizeof(h));
    h.ranges = &r9;
    h.nranges = 1;
    h.when_closed = ORCA_CLOSED_HOLD;
    TU_OK(orca_queue_set_hours(e, qh, &h));
    TU_OK(jbot(e, 140, qh, ORCA_CHANNEL_CHAT, 12, 0));
    TU_OK(jbot(e, 141, qh, ORCA_CHANNEL_CHAT, 13, 0));
    assert_int_equal(tu_state(e, 140), ORCA_STATE_BOT); /* Reading */
    tu_advance(e, MON_MS + 30000);
    size_t mark = r->n;
    TU_OK(orca_interaction_end(e, 141));
    assert_int_equal(EV(r, mark, ORCA_EV_CONTAINED, 141)->duration_ms, 30000);
    orca_history_entry hi[1];
    history(e, 13, hi, 1);
    assert_true(hi[0].arrival_ms <= hi[0].end_ms);
    tu_advance(e, MON_MS + 60000);
    mark = r->n;
    TU_OK(jesc(e, 140, q2, ORCA_CHANNEL_CHAT));
    assert_int_equal(EV(r, mark, ORCA_EV_ESCALATED, 140)->duration_ms, 60000);
    TU_CHECK(e);
    jfx_free(f);
}

/* The escalated customer has live work throughout: an escalation does not
 * make them idle for a moment and so push another idle customer out under
 * max_customers. */
static void test_escalate_keeps_idle_customers(void **state)
{
    (void)state;
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.start_ms = T0;
    cfg.max_customers = 1;
    jfx *f = jfx_new_cfg(&cfg);
    orca_engine *e = f->e;
    orca_queue_id qb = tu_queue(e, "bot", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q = tu_queue(e, "people", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    jenq(e, 300, q, ORCA_CHANNEL_VOICE, 1);
    TU_OK(orca_offer_accept(e, 300));
    tu_advance(e, T0 + 1000);
    TU_OK(orca_interaction_end(e, 300)); /* customer 1: idle, 1 entry */
    TU_OK(jbot(e, 301, qb, ORCA_CHANNEL_CHAT, 2, 0));
    orca_customer_info ci;
    TU_OK(orca_customer_info_get(e, 1, &ci));
    assert_int_equal(totals(e).forgotten, 0);
    tu_advance(e, T0 + 2000);
    TU_OK(jesc(e, 301, q, ORCA_CHANNEL_VOICE));
    TU_CHECK(e);
    assert_int_equal(totals(e).forgotten, 0);
    assert_int_equal(totals(e).customers, 2);
    TU_OK(orca_customer_info_get(e, 1, &ci));
    assert_int_equal(ci.history, 1);
    /* once customer 2 is idle too, the least recently active goes */
    TU_OK(orca_offer_accept(e, 301));
    TU_OK(orca_interaction_end(e, 301));
    assert_int_equal(orca_customer_info_get(e, 1, &ci), ORCA_ENOENT);
    assert_int_equal(totals(e).forgotten, 1);
    jfx_free(f);
}

/* ------------------------------------------------------------------------ */
/* Abandon and resume                                                       */
/* ------------------------------------------------------------------------ */

static void test_resume_basic(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id qr = jqueue(e, "resume", 0, 0, 120000);
    tu_agent(e, 1, 100, NULL, 0); /* four chats at once */
    tu_member(e, qr, 1, 0);
    jenq(e, 200, qr, ORCA_CHANNEL_CHAT, 11);
    tu_advance(e, T0 + 10000);
    jenq(e, 201, qr, ORCA_CHANNEL_CHAT, 12);
    tu_advance(e, T0 + 20000);
    jenq(e, 202, qr, ORCA_CHANNEL_CHAT, 13);
    tu_advance(e, T0 + 30000);
    TU_OK(orca_interaction_abandon(e, 200));
    assert_int_equal(totals(e).resumed, 0);
    tu_advance(e, T0 + 60000);
    size_t mark = r->n;
    jenq(e, 210, qr, ORCA_CHANNEL_CHAT, 11);
    TU_CHECK(e);
    SEQ(r, mark, 0, "ENQUEUED");
    const orca_event *ev = EV(r, mark, ORCA_EV_ENQUEUED, 210);
    assert_int_equal(ENQ_BITS(ev->value), ORCA_ENQ_RESUMED | ORCA_ENQ_RECONTACT);
    assert_int_equal(ev->arrival_ms, T0);
    assert_int_equal(ev->time_ms, T0 + 60000);
    orca_interaction_info in = tu_info(e, 210);
    assert_int_equal(in.arrival_ms, T0);
    assert_int_equal(in.queued_ms, T0 + 60000);
    assert_int_equal(tu_qinfo(e, qr).oldest_arrival_ms, T0);
    orca_customer_totals t = totals(e);
    assert_int_equal(t.resumed, 1);
    assert_int_equal(t.recontacts, 1);
    assert_int_equal(t.contacts, 4);
    tu_advance(e, T0 + 70000);
    jenq(e, 211, qr, ORCA_CHANNEL_CHAT, 14);
    tu_advance(e, T0 + 80000);
    mark = r->n;
    tu_ready(e, 1);
    tu_same_text_("O:210:1 O:201:1 O:202:1 O:211:1", f->off.log, "offer order", __FILE__,
                  __LINE__);
    assert_int_equal(f->off.offer[0].arrival_ms, T0);
    assert_int_equal(EV(r, mark, ORCA_EV_OFFERED, 210)->wait_ms, 80000);
    TU_CHECK(e);
    jfx_free(f);
}

/* Reading: good while now < abandon + resume_ms. */
static void test_resume_window_boundary(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id qr = jqueue(e, "resume", 0, 0, 120000);
    jenq(e, 220, qr, ORCA_CHANNEL_CHAT, 20);
    jenq(e, 221, qr, ORCA_CHANNEL_CHAT, 21);
    tu_advance(e, T0 + 30000);
    TU_OK(orca_interaction_abandon(e, 220));
    TU_OK(orca_interaction_abandon(e, 221));
    tu_advance(e, T0 + 149999);
    size_t mark = r->n;
    jenq(e, 222, qr, ORCA_CHANNEL_CHAT, 20);
    const orca_event *ev = EV(r, mark, ORCA_EV_ENQUEUED, 222);
    assert_true(ev->value & ORCA_ENQ_RESUMED);
    assert_int_equal(ev->arrival_ms, T0);
    tu_advance(e, T0 + 150000);
    mark = r->n;
    jenq(e, 223, qr, ORCA_CHANNEL_CHAT, 21);
    ev = EV(r, mark, ORCA_EV_ENQUEUED, 223);
    assert_false(ev->value & ORCA_ENQ_RESUMED);
    assert_int_equal(ev->arrival_ms, T0 + 150000);
    assert_int_equal(tu_info(e, 223).arrival_ms, T0 + 150000);
    assert_int_equal(totals(e).resumed, 1);
    TU_CHECK(e);
    jfx_free(f);
}

static void test_resume_other_queue_and_once(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id qr = jqueue(e, "resume", 0, 0, 120000);
    orca_queue_id qo = jqueue(e, "other", 0, 0, 0);
    jenq(e, 230, qr, ORCA_CHANNEL_CHAT, 22);
    tu_advance(e, T0 + 1000);
    TU_OK(orca_interaction_abandon(e, 230));
    tu_advance(e, T0 + 2000);
    size_t mark = r->n;
    jenq(e, 231, qo, ORCA_CHANNEL_CHAT, 22); /* another queue: no resume */
    const orca_event *ev = EV(r, mark, ORCA_EV_ENQUEUED, 231);
    assert_false(ev->value & ORCA_ENQ_RESUMED);
    assert_int_equal(ev->arrival_ms, T0 + 2000);
    tu_advance(e, T0 + 3000);
    mark = r->n;
    jenq(e, 232, qr, ORCA_CHANNEL_CHAT, 22); /* Reading: the ticket waited */
    ev = EV(r, mark, ORCA_EV_ENQUEUED, 232);
    assert_true(ev->value & ORCA_ENQ_RESUMED);
    assert_int_equal(ev->arrival_ms, T0);
    tu_advance(e, T0 + 4000);
    mark = r->n;
    jenq(e, 233, qr, ORCA_CHANNEL_CHAT, 22); /* used once */
    ev = EV(r, mark, ORCA_EV_ENQUEUED, 233);
    assert_false(ev->value & ORCA_ENQ_RESUMED);
    assert_int_equal(ev->arrival_ms, T0 + 4000);
    /* a queue without resume_ms leaves no ticket */
    tu_advance(e, T0 + 5000);
    TU_OK(orca_interaction_abandon(e, 231));
    tu_advance(e, T0 + 6000);
    mark = r->n;
    jenq(e, 234, qo, ORCA_CHANNEL_CHAT, 22);
    ev = EV(r, mark, ORCA_EV_ENQUEUED, 234);
    assert_false(ev->value & ORCA_ENQ_RESUMED);
    assert_int_equal(ev->arrival_ms, T0 + 6000);
    assert_int_equal(totals(e).resumed, 1);
    TU_CHECK(e);
    jfx_free(f);
}

/* No ticket from cancel, SCHEDULED work or customer 0; transfers,
 * escalations and bot enqueues into the queue do not take one. */
static void test_resume_not_left_not_taken(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id qr = jqueue(e, "resume", 0, 0, 120000);
    orca_queue_id qb = jqueue(e, "bot", 0, 0, 0);
    orca_queue_id qo = jqueue(e, "other", 0, 0, 0);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, qo, 1, 0);
    tu_ready(e, 1);
    /* cancel */
    jenq(e, 240, qr, ORCA_CHANNEL_CHAT, 23);
    TU_OK(orca_interaction_cancel(e, 240));
    size_t mark = r->n;
    jenq(e, 241, qr, ORCA_CHANNEL_CHAT, 23);
    assert_false(EV(r, mark, ORCA_EV_ENQUEUED, 241)->value & ORCA_ENQ_RESUMED);
    /* SCHEDULED */
    TU_OK(jslot(e, 242, qr, ORCA_CHANNEL_CHAT, 24, T0 + 100000, 0));
    TU_OK(orca_interaction_abandon(e, 242));
    mark = r->n;
    jenq(e, 243, qr, ORCA_CHANNEL_CHAT, 24);
    assert_false(EV(r, mark, ORCA_EV_ENQUEUED, 243)->value & ORCA_ENQ_RESUMED);
    /* customer 0 */
    jenq(e, 244, qr, ORCA_CHANNEL_CHAT, 0);
    TU_OK(orca_interaction_abandon(e, 244));
    mark = r->n;
    jenq(e, 245, qr, ORCA_CHANNEL_CHAT, 0);
    assert_false(EV(r, mark, ORCA_EV_ENQUEUED, 245)->value & ORCA_ENQ_RESUMED);
    assert_int_equal(totals(e).resumed, 0);

    /* escalation and a bot enqueue do not take the ticket; the next enqueue does */
    jenq(e, 246, qr, ORCA_CHANNEL_CHAT, 25);
    tu_advance(e, T0 + 1000);
    TU_OK(orca_interaction_abandon(e, 246));
    tu_advance(e, T0 + 2000);
    TU_OK(jbot(e, 247, qb, ORCA_CHANNEL_CHAT, 25, 0));
    mark = r->n;
    TU_OK(jesc(e, 247, qr, ORCA_CHANNEL_CHAT));
    const orca_event *ev = EV(r, mark, ORCA_EV_ENQUEUED, 247);
    assert_false(ev->value & ORCA_ENQ_RESUMED);
    assert_int_equal(ev->arrival_ms, T0 + 2000);
    mark = r->n;
    TU_OK(jbot(e, 248, qr, ORCA_CHANNEL_CHAT, 25, 0));
    ev = EV(r, mark, ORCA_EV_ENQUEUED, 248);
    assert_false(ev->value & ORCA_ENQ_RESUMED);
    assert_int_equal(tu_info(e, 248).arrival_ms, T0 + 2000);
    tu_advance(e, T0 + 3000);
    mark = r->n;
    jenq(e, 249, qr, ORCA_CHANNEL_CHAT, 25);
    ev = EV(r, mark, ORCA_EV_ENQUEUED, 249);
    assert_true(ev->value & ORCA_ENQ_RESUMED);
    assert_int_equal(ev->arrival_ms, T0);
    assert_int_equal(totals(e).resumed, 1);

    /* a transfer does not take it */
    jenq(e, 250, qr, ORCA_CHANNEL_CHAT, 26);
    tu_advance(e, T0 + 4000);
    TU_OK(orca_interaction_abandon(e, 250));
    jenq(e, 251, qo, ORCA_CHANNEL_VOICE, 26);
    TU_OK(orca_offer_accept(e, 251));
    tu_advance(e, T0 + 5000);
    orca_interaction_def to;
    jdef(&to, 251, qr, ORCA_CHANNEL_CHAT, 0);
    mark = r->n;
    TU_OK(orca_interaction_transfer(e, 251, &to, ORCA_TRANSFER_BLIND));
    ev = EV(r, mark, ORCA_EV_ENQUEUED, 251);
    assert_true(ev->value & ORCA_ENQ_TRANSFER);
    assert_false(ev->value & ORCA_ENQ_RESUMED);
    assert_int_equal(ev->arrival_ms, T0 + 4000); /* the first leg's */
    assert_int_equal(totals(e).resumed, 1);
    TU_CHECK(e);
    jfx_free(f);
}

/* OFFERED work abandoned leaves a ticket too; the latest ticket counts. */
static void test_resume_latest_ticket(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id qr = jqueue(e, "resume", 0, 0, 120000);
    tu_agent(e, 1, 25, NULL, 0); /* one chat at a time */
    tu_member(e, qr, 1, 0);
    tu_ready(e, 1);
    jenq(e, 260, qr, ORCA_CHANNEL_CHAT, 30);
    TU_OFFERED_TO(e, 260, 1);
    tu_advance(e, T0 + 5000);
    jenq(e, 261, qr, ORCA_CHANNEL_CHAT, 30);
    TU_OFFERED_TO(e, 261, 0);
    tu_advance(e, T0 + 10000);
    TU_OK(orca_interaction_abandon(e, 261)); /* ticket: T0 + 5 s */
    tu_advance(e, T0 + 11000);
    TU_OK(orca_interaction_abandon(e, 260)); /* OFFERED; ticket: T0 */
    assert_int_equal(f->off.nwithdrawn, 1);
    tu_notready(e, 1);
    tu_advance(e, T0 + 12000);
    size_t mark = r->n;
    jenq(e, 262, qr, ORCA_CHANNEL_CHAT, 30);
    const orca_event *ev = EV(r, mark, ORCA_EV_ENQUEUED, 262);
    assert_true(ev->value & ORCA_ENQ_RESUMED);
    assert_int_equal(ev->arrival_ms, T0);

    jenq(e, 263, qr, ORCA_CHANNEL_CHAT, 31);
    tu_advance(e, T0 + 14000);
    jenq(e, 264, qr, ORCA_CHANNEL_CHAT, 31);
    tu_advance(e, T0 + 15000);
    TU_OK(orca_interaction_abandon(e, 263)); /* ticket: T0 + 12 s */
    TU_OK(orca_interaction_abandon(e, 264)); /* ticket: T0 + 14 s (latest) */
    tu_advance(e, T0 + 16000);
    mark = r->n;
    jenq(e, 265, qr, ORCA_CHANNEL_CHAT, 31);
    ev = EV(r, mark, ORCA_EV_ENQUEUED, 265);
    assert_true(ev->value & ORCA_ENQ_RESUMED);
    assert_int_equal(ev->arrival_ms, T0 + 14000);
    /* 265 came back to 264's place: after 262 (T0), nothing in between */
    tu_ready(e, 1);
    TU_OFFERED_TO(e, 262, 1);
    assert_int_equal(totals(e).resumed, 2);
    TU_CHECK(e);
    jfx_free(f);
}

/* A redirect into the queue takes the ticket (it reaches that queue). */
static void test_resume_via_redirect(void **state)
{
    (void)state;
    jfx *f = jfx_new(T0);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id qr = jqueue(e, "resume", 0, 0, 120000);
    orca_queue_id qx = jqueue(e, "closed", 0, 0, 0);
    orca_hours h;
    memset(&h, 0, sizeof(h));
    h.when_closed = ORCA_CLOSED_REDIRECT;
    h.redirect_to = qr;
    TU_OK(orca_queue_set_hours(e, qx, &h)); /* no ranges: always closed */
    jenq(e, 270, qr, ORCA_CHANNEL_CHAT, 32);
    tu_advance(e, T0 + 1000);
    TU_OK(orca_interaction_abandon(e, 270));
    tu_advance(e, T0 + 2000);
    size_t mark = r->n;
    jenq(e, 271, qx, ORCA_CHANNEL_CHAT, 32);
    const orca_event *ev = EV(r, mark, ORCA_EV_ENQUEUED, 271);
    assert_int_equal(ev->queue, qr);
    assert_int_equal(ev->queue_from, qx);
    assert_int_equal(ev->value & (ORCA_ENQ_RESUMED | ORCA_ENQ_REDIRECTED),
                     ORCA_ENQ_RESUMED | ORCA_ENQ_REDIRECTED);
    assert_int_equal(ev->arrival_ms, T0);
    TU_CHECK(e);
    jfx_free(f);
}

/* ------------------------------------------------------------------------ */
/* Allocation-failure sweep                                                 */
/* ------------------------------------------------------------------------ */

static void ss_setup(sw *s)
{
    sw_engine(s, T0);
    const char *names[3] = { "bot", "resume", "sticky" };
    for (int k = 0; k < 3; k++) {
        orca_queue_def qd;
        orca_queue_def_init(&qd);
        qd.name = names[k];
        qd.offer_timeout_ms = 100000000; /* no offer timeouts */
        qd.resume_ms = k == 1 ? 120000 : 0;
        qd.sticky_ms = k == 2 ? 30000 : 0;
        TU_OK(orca_queue_add(s->e, &qd, &s->q[k]));
    }
    orca_agent_def ad;
    tu_agent_def(&ad, 1, 100, NULL, 0);
    TU_OK(orca_agent_add(s->e, &ad));
    tu_agent_def(&ad, 2, 100, NULL, 0);
    TU_OK(orca_agent_add(s->e, &ad));
    TU_OK(orca_queue_member_add(s->e, s->q[2], 1, 0));
    TU_OK(orca_queue_member_add(s->e, s->q[1], 2, 0));
}

static int ss_step(sw *s, int k)
{
    orca_engine *e = s->e;
    orca_interaction_def d;
    switch (k) {
    case 0: return jbot(e, 1, s->q[0], ORCA_CHANNEL_CHAT, 3, 0);
    case 1: return jbot(e, 2, s->q[0], ORCA_CHANNEL_SMS, 4, 0);
    case 2: return jesc(e, 1, s->q[2], ORCA_CHANNEL_VOICE);
    case 3: return orca_interaction_end(e, 2);
    case 4: jdef(&d, 3, s->q[1], ORCA_CHANNEL_CHAT, 5); return orca_interaction_enqueue(e, &d);
    case 5: return orca_engine_advance(e, T0 + 1000);
    case 6: return orca_interaction_abandon(e, 3);
    case 7: jdef(&d, 4, s->q[1], ORCA_CHANNEL_EMAIL, 5); return orca_interaction_enqueue(e, &d);
    case 8: return jbot(e, 5, s->q[0], ORCA_CHANNEL_CHAT, 6, 0);
    case 9:
        jdef(&d, 5, s->q[1], ORCA_CHANNEL_SOCIAL, 0);
        d.agent = 2;
        d.agent_wait_ms = 5000;
        return orca_interaction_escalate(e, 5, &d);
    case 10: return orca_agent_set_presence(e, 1, ORCA_PRESENCE_READY, 0);
    case 11: return orca_offer_accept(e, 1);
    case 12: return orca_interaction_end(e, 1);
    case 13: return jbot(e, 6, s->q[0], ORCA_CHANNEL_CHAT, 3, 0);
    case 14: return jesc(e, 6, s->q[2], ORCA_CHANNEL_VIDEO); /* sticky: agent 1 */
    case 15: return orca_interaction_cancel(e, 4);
    case 16: return jbot(e, 7, s->q[1], ORCA_CHANNEL_CHAT, 7, 0);
    case 17: return orca_interaction_abandon(e, 7);
    case 18: return jesc(e, 999, s->q[2], ORCA_CHANNEL_CHAT);
    case 19: return orca_engine_advance(e, T0 + 10000);
    default: return SW_DONE;
    }
}

static void test_alloc_sweep_selfservice(void **state)
{
    (void)state;
    const int must[] = { 0, ORCA_OK, 1, ORCA_OK, 2, ORCA_OK, 3, ORCA_OK, 4, ORCA_OK,
                         5, ORCA_OK, 6, ORCA_OK, 7, ORCA_OK, 8, ORCA_OK, 9, ORCA_OK,
                         10, ORCA_OK, 11, ORCA_OK, 12, ORCA_OK, 13, ORCA_OK, 14, ORCA_OK,
                         15, ORCA_OK, 16, ORCA_OK, 17, ORCA_OK, 18, ORCA_ENOENT, 19, ORCA_OK };
    sw_sweep(ss_setup, ss_step, must, sizeof(must) / sizeof(must[0]) / 2);
}

int main(void)
{
    tu_filter_from_env();
    const struct CMUnitTest tests[] = {
        JW_TEST(test_bot_start),
        JW_TEST(test_bot_not_held_by_sticky),
        JW_TEST(test_bot_contained),
        JW_TEST(test_bot_escalate),
        JW_TEST(test_escalate_wait_starts_at_escalation),
        JW_TEST(test_escalate_sticky_and_named),
        JW_TEST(test_escalate_to_slot),
        JW_TEST(test_bot_bad_inputs),
        JW_TEST(test_bot_abandon_cancel),
        JW_TEST(test_bot_in_closed_hold_queue),
        JW_TEST(test_escalate_keeps_idle_customers),
        JW_TEST(test_resume_basic),
        JW_TEST(test_resume_window_boundary),
        JW_TEST(test_resume_other_queue_and_once),
        JW_TEST(test_resume_not_left_not_taken),
        JW_TEST(test_resume_latest_ticket),
        JW_TEST(test_resume_via_redirect),
        JW_TEST(test_alloc_sweep_selfservice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
