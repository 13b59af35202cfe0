/*
 * test_customers.c: customer context. The history the engine keeps per
 * customer (newest first, every outcome, dispositions), what offers hand
 * the host (history, conversation, the customer's other open work),
 * conversations across channels (recontact and channel-switch flags and
 * counters), the bounds (entries per customer, max_customers forgetting the
 * least recently active, TTL ageing), orca_customer_forget, every bad input
 * of the customer calls (proving the engine unchanged), ORCA_EBUSY from
 * inside listeners and withdraw callbacks, and an allocation-failure sweep
 * over enqueueing work of known customers.
 *
 * Readings of orca.h this suite takes where the header could be read two
 * ways (each marked "Reading:" where it is used):
 *  - An interaction enters its customer's history when it leaves the
 *    engine: at COMPLETED (after wrap-up; WRAPUP work is still live and
 *    counted in `open`), ABANDONED, CANCELLED, TIMED_OUT or TRANSFERRED.
 *    end_ms is that moment.
 *  - A work item refused with ORCA_EFULL was not enqueued: it is not a
 *    contact and keeps no customer record ("nothing is kept").
 *  - Customer 0 is "no customer": nothing is kept, nothing is counted; the
 *    customer calls answer customer 0 with ORCA_EINVAL or ORCA_ENOENT.
 *  - TTL: an entry is forgotten once now - end_ms > customer_ttl_ms (tests
 *    stay clear of the exact boundary); a customer with no live work whose
 *    history has all aged out is forgotten (counted in totals.forgotten).
 *  - max_customers is enforced whenever a customer becomes idle (no live
 *    work): the idle customer with the oldest last_active_ms goes.
 *  - A channel switch compares with the most recent earlier interaction of
 *    the same customer and conversation; conversation 0 never switches.
 *    Conversations are the customer's own (another customer's conversation
 *    with the same id is unrelated): see test_reading_conversation_per_customer.
 *  - last_agent / last_answer_ms change when an agent accepts (the answer),
 *    not only when the work finishes: see test_reading_last_agent_at_accept.
 */
#include "testutil.h"

#include "custutil.h"

/* ------------------------------------------------------------------------ */
/* Configuration                                                            */
/* ------------------------------------------------------------------------ */

static void test_config_fields(void **state)
{
    (void)state;
    orca_config cfg;
    memset(&cfg, 0x5A, sizeof(cfg));
    orca_config_init(&cfg);
    assert_int_equal(cfg.history_per_customer, 0);
    assert_int_equal(cfg.max_customers, 0);
    assert_int_equal(cfg.customer_ttl_ms, 0);

    /* More than ORCA_HISTORY_MAX entries per customer is refused. */
    tu_alloc a;
    tu_alloc_init(&a);
    cfg.alloc = tu_alloc_fn;
    cfg.alloc_ud = &a;
    cfg.history_per_customer = ORCA_HISTORY_MAX + 1;
    orca_engine *e = (orca_engine *)&a;
    tu_rc2_(orca_engine_new(&cfg, &e), ORCA_ERANGE, ORCA_EINVAL, "orca_engine_new(history 65)",
            __FILE__, __LINE__);
    assert_null(e);
    assert_int_equal(a.live_bytes, 0);
    cfg.history_per_customer = UINT32_MAX;
    e = (orca_engine *)&a;
    tu_rc2_(orca_engine_new(&cfg, &e), ORCA_ERANGE, ORCA_EINVAL, "orca_engine_new(history max)",
            __FILE__, __LINE__);
    assert_null(e);
    assert_int_equal(a.live_bytes, 0);
}

/* history_per_customer = ORCA_HISTORY_MAX is allowed and kept exactly. */
static void test_history_max_entries(void **state)
{
    (void)state;
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.history_per_customer = ORCA_HISTORY_MAX;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, &cfg);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    for (uint64_t id = 1; id <= ORCA_HISTORY_MAX + 2; id++) {
        tu_advance(e, 10 * id);
        cenq(e, id, q, ORCA_CHANNEL_EMAIL, 1, 0);
        TU_OK(orca_interaction_cancel(e, id));
    }
    orca_customer_info ci = cinfo(e, 1);
    assert_int_equal(ci.history, ORCA_HISTORY_MAX);
    assert_int_equal(ci.contacts, ORCA_HISTORY_MAX + 2);
    orca_history_entry h[ORCA_HISTORY_MAX + 4];
    uint32_t n = 0;
    TU_OK(orca_customer_history(e, 1, h, ORCA_HISTORY_MAX + 4, &n));
    assert_int_equal(n, ORCA_HISTORY_MAX);
    for (uint32_t k = 0; k < n; k++) {
        /* newest first: 66, 65, ..., 3 */
        assert_int_equal(h[k].interaction, ORCA_HISTORY_MAX + 2 - k);
        assert_int_equal(h[k].end_ms, 10 * (ORCA_HISTORY_MAX + 2 - k));
        assert_int_equal(h[k].outcome, ORCA_OUTCOME_CANCELLED);
    }
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* Defaults: 8 entries per customer, 7 days of history. */
static void test_defaults(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    for (uint64_t id = 1; id <= 10; id++) {
        tu_advance(e, 100 * id);
        cenq(e, id, q, ORCA_CHANNEL_CHAT, 3, 0);
        TU_OK(orca_interaction_abandon(e, id));
    }
    orca_history_entry h[HO_HMAX];
    uint32_t n = chist(e, 3, h);
    assert_int_equal(n, 8);
    assert_string_equal(hist_ids(h, n), " 10 9 8 7 6 5 4 3");
    assert_int_equal(cinfo(e, 3).history, 8);
    assert_int_equal(cinfo(e, 3).contacts, 10);

    const uint64_t week = 7ull * 24 * 3600 * 1000;
    /* entry 3 ended at 300, entry 10 at 1000 */
    tu_advance(e, week + 300 - 1);
    n = chist(e, 3, h);
    assert_string_equal(hist_ids(h, n), " 10 9 8 7 6 5 4 3");
    tu_advance(e, week + 650);     /* 3..6 (ended 300..600) older than a week */
    n = chist(e, 3, h);
    assert_string_equal(hist_ids(h, n), " 10 9 8 7");
    assert_int_equal(cinfo(e, 3).history, 4);
    TOTALS_ARE(e, 1, 10, 9, 0, 0, 0, 0, 0, 0);
    tu_advance(e, week + 1001);    /* all of it */
    orca_customer_info ci;
    TU_RC(orca_customer_info_get(e, 3, &ci), ORCA_ENOENT);
    TOTALS_ARE(e, 0, 10, 9, 0, 0, 0, 0, 0, 1);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* First contact, info, open, one full life                                 */
/* ------------------------------------------------------------------------ */

static void test_first_contact_lifecycle(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    hoffers ho;
    ho_attach(&ho, e);
    TU_OK(orca_channel_set_wrapup(e, ORCA_CHANNEL_CHAT, 1000));
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    TOTALS_ARE(e, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    orca_customer_info ci;
    TU_RC(orca_customer_info_get(e, 7, &ci), ORCA_ENOENT);

    tu_advance(e, 1000);
    size_t from = fx.rec.n;
    cenq(e, 1, q, ORCA_CHANNEL_CHAT, 7, 500);
    TU_SEQ(&fx.rec, from, 0, "ENQUEUED OFFERED");
    const orca_event *ev = enq_ev(&fx.rec, 1);
    assert_int_equal(ev->customer, 7);
    assert_int_equal(ev->conversation, 500);
    assert_int_equal(ev->value, 0);      /* first contact: no flag */
    assert_int_equal(ev->agent, 0);
    assert_int_equal(ev_of(&fx.rec, ORCA_EV_OFFERED, 1)->conversation, 500);
    TU_OFFERED_TO(e, 1, 1);
    assert_int_equal(tu_info(e, 1).conversation, 500);

    /* the offer callback: the customer's (empty) story */
    assert_int_equal(ho.n, 1);
    const orca_offer *o = ho_last(&ho, 1);
    assert_int_equal(o->customer, 7);
    assert_int_equal(o->conversation, 500);
    assert_int_equal(o->nhistory, 0);
    assert_int_equal(o->open, 0);

    ci = cinfo(e, 7);
    assert_int_equal(ci.history, 0);
    assert_int_equal(ci.open, 1);
    assert_int_equal(ci.last_agent, 0);
    assert_int_equal(ci.last_answer_ms, 0);
    assert_int_equal(ci.last_active_ms, 1000);
    assert_int_equal(ci.contacts, 1);
    assert_string_equal(copen(e, 7), " 1");
    orca_history_entry h[HO_HMAX];
    assert_int_equal(chist(e, 7, h), 0);
    TOTALS_ARE(e, 1, 1, 0, 0, 0, 0, 0, 0, 0);

    tu_advance(e, 2000);
    TU_OK(orca_offer_accept(e, 1));
    assert_int_equal(ev_of(&fx.rec, ORCA_EV_ACCEPTED, 1)->conversation, 500);
    tu_advance(e, 5000);
    TU_OK(orca_interaction_end(e, 1));
    assert_int_equal(tu_state(e, 1), ORCA_STATE_WRAPUP);
    /* wrap-up is still live work */
    ci = cinfo(e, 7);
    assert_int_equal(ci.open, 1);
    assert_int_equal(ci.history, 0);
    assert_string_equal(copen(e, 7), " 1");
    TU_CHECK(e);

    tu_advance(e, 6000); /* wrap-up over: completed, in the history */
    assert_int_equal(tu_state(e, 1), 0);
    assert_int_equal(ev_of(&fx.rec, ORCA_EV_COMPLETED, 1)->conversation, 500);
    assert_int_equal(chist(e, 7, h), 1);
    HIST_IS(&h[0], 1, 500, q, ORCA_CHANNEL_CHAT, 1, 1000, 2000, 6000, ORCA_OUTCOME_COMPLETED, 0);
    ci = cinfo(e, 7);
    assert_int_equal(ci.history, 1);
    assert_int_equal(ci.open, 0);
    assert_int_equal(ci.last_agent, 1);
    assert_int_equal(ci.last_answer_ms, 2000);
    assert_int_equal(ci.last_active_ms, 6000);
    assert_int_equal(ci.contacts, 1);
    assert_string_equal(copen(e, 7), "");
    TOTALS_ARE(e, 1, 1, 0, 0, 0, 0, 0, 0, 0);

    /* Work with no customer keeps and counts nothing. */
    from = fx.rec.n;
    tu_enqueue(e, 2, q, ORCA_CHANNEL_CHAT, 0);
    assert_int_equal(enq_ev(&fx.rec, 2)->value, 0);
    TU_OFFERED_TO(e, 2, 1);
    o = ho_last(&ho, 2);
    assert_int_equal(o->customer, 0);
    assert_int_equal(o->conversation, 0);
    assert_int_equal(o->nhistory, 0);
    assert_int_equal(o->open, 0);
    TU_OK(orca_interaction_cancel(e, 2));
    TOTALS_ARE(e, 1, 1, 0, 0, 0, 0, 0, 0, 0);
    CU_FAILS2(e, orca_customer_info_get(e, 0, &ci), ORCA_EINVAL, ORCA_ENOENT);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* History: every outcome, newest first, dispositions, caps                 */
/* ------------------------------------------------------------------------ */

static void test_history_outcomes(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    hoffers ho;
    ho_attach(&ho, e);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "q2";
    qd.max_wait_ms = 5000;
    orca_queue_id q2 = tu_queue_def(e, &qd);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);

    /* 1: answered at 100, disposition 31, completed at 400 (no wrap-up) */
    cenq(e, 1, q, ORCA_CHANNEL_VOICE, 9, 1);
    tu_advance(e, 100);
    TU_OK(orca_offer_accept(e, 1));
    TU_OK(orca_interaction_set_disposition(e, 1, 31));
    assert_int_equal(tu_info(e, 1).disposition, 31);
    tu_advance(e, 400);
    TU_OK(orca_interaction_end(e, 1));
    TU_CHECK(e);
    /* 2: abandoned while waiting */
    tu_advance(e, 1000);
    tu_notready(e, 1);
    cenq(e, 2, q, ORCA_CHANNEL_VOICE, 9, 2);
    tu_advance(e, 1500);
    TU_OK(orca_interaction_abandon(e, 2));
    /* 3: offered, then cancelled: nobody answered it */
    tu_advance(e, 2000);
    tu_ready(e, 1);
    cenq(e, 3, q, ORCA_CHANNEL_VOICE, 9, 3);
    TU_OFFERED_TO(e, 3, 1);
    const orca_offer *o = ho_last(&ho, 3);
    assert_int_equal(o->nhistory, 2);
    assert_int_equal(o->open, 0);
    assert_int_equal(o->conversation, 3);
    HIST_IS(&o->history[0], 2, 2, q, ORCA_CHANNEL_VOICE, 0, 1000, 0, 1500,
            ORCA_OUTCOME_ABANDONED, 0);
    HIST_IS(&o->history[1], 1, 1, q, ORCA_CHANNEL_VOICE, 1, 0, 100, 400,
            ORCA_OUTCOME_COMPLETED, 31);
    tu_advance(e, 2200);
    TU_OK(orca_interaction_cancel(e, 3));
    /* the withdraw callback hands no history */
    assert_int_equal(ho.nwithdrawn, 1);
    assert_null(ho.withdrawn[0].history);
    assert_int_equal(ho.withdrawn[0].nhistory, 0);
    /* 4: email in q2, times out after 5 s */
    tu_advance(e, 3000);
    cenq(e, 4, q2, ORCA_CHANNEL_EMAIL, 9, 0);
    tu_advance(e, 8000);
    assert_int_equal(tu_state(e, 4), 0);
    assert_int_equal(ev_of(&fx.rec, ORCA_EV_TIMED_OUT, 4)->time_ms, 8000);
    /* 5: disposition set while waiting, kept when abandoned */
    tu_advance(e, 9000);
    cenq(e, 5, q2, ORCA_CHANNEL_SMS, 9, 5);
    TU_OK(orca_interaction_set_disposition(e, 5, 77));
    tu_advance(e, 9500);
    TU_OK(orca_interaction_abandon(e, 5));
    TU_CHECK(e);

    orca_history_entry h[HO_HMAX];
    uint32_t n = chist(e, 9, h);
    assert_int_equal(n, 5);
    HIST_IS(&h[0], 5, 5, q2, ORCA_CHANNEL_SMS, 0, 9000, 0, 9500, ORCA_OUTCOME_ABANDONED, 77);
    HIST_IS(&h[1], 4, 0, q2, ORCA_CHANNEL_EMAIL, 0, 3000, 0, 8000, ORCA_OUTCOME_TIMED_OUT, 0);
    HIST_IS(&h[2], 3, 3, q, ORCA_CHANNEL_VOICE, 0, 2000, 0, 2200, ORCA_OUTCOME_CANCELLED, 0);
    HIST_IS(&h[3], 2, 2, q, ORCA_CHANNEL_VOICE, 0, 1000, 0, 1500, ORCA_OUTCOME_ABANDONED, 0);
    HIST_IS(&h[4], 1, 1, q, ORCA_CHANNEL_VOICE, 1, 0, 100, 400, ORCA_OUTCOME_COMPLETED, 31);
    orca_customer_info ci = cinfo(e, 9);
    assert_int_equal(ci.history, 5);
    assert_int_equal(ci.open, 0);
    assert_int_equal(ci.last_agent, 1);
    assert_int_equal(ci.last_answer_ms, 100);
    assert_int_equal(ci.last_active_ms, 9500);
    assert_int_equal(ci.contacts, 5);

    /* up to cap entries, newest first */
    orca_history_entry h2[3];
    memset(h2, 0, sizeof(h2));
    uint32_t n2 = 99;
    TU_OK(orca_customer_history(e, 9, h2, 2, &n2));
    assert_int_equal(n2, 2);
    assert_int_equal(h2[0].interaction, 5);
    assert_int_equal(h2[1].interaction, 4);
    assert_int_equal(h2[2].interaction, 0); /* not written past cap */
    n2 = 99;
    TU_OK(orca_customer_history(e, 9, h2, 0, &n2));
    assert_int_equal(n2, 0);

    /* 6: the next offer hands all five, newest first */
    tu_advance(e, 10000);
    cenq(e, 6, q, ORCA_CHANNEL_CHAT, 9, 6);
    TU_OFFERED_TO(e, 6, 1);
    o = ho_last(&ho, 6);
    assert_int_equal(o->customer, 9);
    assert_int_equal(o->conversation, 6);
    assert_int_equal(o->nhistory, 5);
    assert_int_equal(o->open, 0);
    assert_string_equal(hist_ids(o->history, o->nhistory), " 5 4 3 2 1");
    HIST_IS(&o->history[1], 4, 0, q2, ORCA_CHANNEL_EMAIL, 0, 3000, 0, 8000,
            ORCA_OUTCOME_TIMED_OUT, 0);
    TOTALS_ARE(e, 1, 6, 5, 0, 0, 0, 0, 0, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

static void test_history_per_customer_bound(void **state)
{
    (void)state;
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.history_per_customer = 3;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, &cfg);
    hoffers ho;
    ho_attach(&ho, e);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    for (uint64_t id = 1; id <= 5; id++) {
        tu_advance(e, 1000 * id);
        cenq(e, id, q, ORCA_CHANNEL_VOICE, 4, 0);
        cenq(e, 100 + id, q, ORCA_CHANNEL_EMAIL, 5, 0); /* another customer */
        TU_OK(orca_offer_accept(e, id));
        TU_OK(orca_interaction_end(e, id));
        TU_OK(orca_interaction_cancel(e, 100 + id));
    }
    orca_history_entry h[HO_HMAX];
    uint32_t n = chist(e, 4, h);
    assert_string_equal(hist_ids(h, n), " 5 4 3");
    HIST_IS(&h[2], 3, 0, q, ORCA_CHANNEL_VOICE, 1, 3000, 3000, 3000, ORCA_OUTCOME_COMPLETED, 0);
    n = chist(e, 5, h);
    assert_string_equal(hist_ids(h, n), " 105 104 103");
    orca_customer_info ci = cinfo(e, 4);
    assert_int_equal(ci.history, 3);
    assert_int_equal(ci.contacts, 5);
    /* offers hand at most what is kept */
    tu_advance(e, 9000);
    cenq(e, 6, q, ORCA_CHANNEL_VOICE, 4, 0);
    const orca_offer *o = ho_last(&ho, 6);
    assert_int_equal(o->nhistory, 3);
    assert_string_equal(hist_ids(o->history, o->nhistory), " 5 4 3");
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Recontacts and channel switches                                          */
/* ------------------------------------------------------------------------ */

static void test_recontact_and_switch(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    const struct { orca_channel_id ch; uint64_t conv; uint32_t value; } w[8] = {
        {ORCA_CHANNEL_CHAT, 100, 0},                                    /* 1: first */
        {ORCA_CHANNEL_CHAT, 100, ORCA_ENQ_RECONTACT},                   /* 2: same channel */
        {ORCA_CHANNEL_VOICE, 100, ORCA_ENQ_RECONTACT | ORCA_ENQ_SWITCH}, /* 3: chat -> voice */
        {ORCA_CHANNEL_VOICE, 200, ORCA_ENQ_RECONTACT},                  /* 4: new conversation */
        {ORCA_CHANNEL_EMAIL, 0, ORCA_ENQ_RECONTACT},                    /* 5: no conversation */
        {ORCA_CHANNEL_VOICE, 100, ORCA_ENQ_RECONTACT},                  /* 6: after 3 (voice) */
        {ORCA_CHANNEL_CHAT, 100, ORCA_ENQ_RECONTACT | ORCA_ENQ_SWITCH}, /* 7: voice -> chat */
        {ORCA_CHANNEL_EMAIL, 200, ORCA_ENQ_RECONTACT | ORCA_ENQ_SWITCH}, /* 8: after 4 (voice) */
    };
    for (uint64_t id = 1; id <= 8; id++) {
        tu_advance(e, 100 * id);
        cenq(e, id, q, w[id - 1].ch, 5, w[id - 1].conv);
        const orca_event *ev = enq_ev(&fx.rec, id);
        if (ev->value != w[id - 1].value)
            fail_msg("interaction %llu: ENQUEUED value %u, expected %u",
                     (unsigned long long)id, (unsigned)ev->value, (unsigned)w[id - 1].value);
        assert_int_equal(ev->conversation, w[id - 1].conv);
        TU_OK(orca_interaction_cancel(e, id));
        assert_int_equal(ev_of(&fx.rec, ORCA_EV_CANCELLED, id)->conversation, w[id - 1].conv);
    }
    TOTALS_ARE(e, 1, 8, 7, 3, 0, 0, 0, 0, 0);
    orca_history_entry h[HO_HMAX];
    uint32_t n = chist(e, 5, h);
    assert_int_equal(n, 8);
    for (uint32_t k = 0; k < 8; k++) {
        assert_int_equal(h[k].interaction, 8 - k);
        assert_int_equal(h[k].conversation, w[7 - k].conv);
        assert_int_equal(h[k].channel, w[7 - k].ch);
    }

    /* Live work makes a recontact too. */
    tu_advance(e, 900);
    cenq(e, 20, q, ORCA_CHANNEL_CHAT, 6, 0);
    assert_int_equal(enq_ev(&fx.rec, 20)->value, 0);
    tu_advance(e, 950);
    cenq(e, 21, q, ORCA_CHANNEL_CHAT, 6, 0);
    assert_int_equal(enq_ev(&fx.rec, 21)->value, ORCA_ENQ_RECONTACT);
    assert_string_equal(copen(e, 6), " 20 21");
    orca_customer_info ci = cinfo(e, 6);
    assert_int_equal(ci.open, 2);
    assert_int_equal(ci.contacts, 2);
    assert_int_equal(ci.history, 0);
    assert_int_equal(ci.last_active_ms, 950);
    TOTALS_ARE(e, 2, 10, 8, 3, 0, 0, 0, 0, 0);
    /* customer 0: neither */
    tu_enqueue(e, 22, q, ORCA_CHANNEL_CHAT, 0);
    tu_enqueue(e, 23, q, ORCA_CHANNEL_VOICE, 0);
    assert_int_equal(enq_ev(&fx.rec, 23)->value, 0);
    TOTALS_ARE(e, 2, 10, 8, 3, 0, 0, 0, 0, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* Reading: a conversation id belongs to its customer. */
static void test_reading_conversation_per_customer(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    cenq(e, 1, q, ORCA_CHANNEL_CHAT, 5, 100);
    TU_OK(orca_interaction_cancel(e, 1));
    tu_advance(e, 10);
    cenq(e, 2, q, ORCA_CHANNEL_VOICE, 6, 100); /* customer 6's own conversation 100 */
    assert_int_equal(enq_ev(&fx.rec, 2)->value, 0);
    TOTALS_ARE(e, 2, 2, 0, 0, 0, 0, 0, 0, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* Reading: the answer is when the agent accepts. */
static void test_reading_last_agent_at_accept(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 4, 100, NULL, 0);
    tu_member(e, q, 4, 0);
    tu_ready(e, 4);
    tu_advance(e, 100);
    cenq(e, 1, q, ORCA_CHANNEL_VOICE, 5, 0);
    tu_advance(e, 300);
    TU_OK(orca_offer_accept(e, 1));
    orca_customer_info ci = cinfo(e, 5);
    assert_int_equal(ci.last_agent, 4);
    assert_int_equal(ci.last_answer_ms, 300);
    assert_int_equal(ci.open, 1);
    assert_int_equal(ci.history, 0);
    assert_int_equal(ci.last_active_ms, 100); /* arrival; no finish yet */
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Open work                                                                */
/* ------------------------------------------------------------------------ */

static void test_open_work(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    hoffers ho;
    ho_attach(&ho, e);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q2 = tu_queue(e, "q2", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_member(e, q2, 1, 0);
    tu_advance(e, 10);
    cenq(e, 30, q, ORCA_CHANNEL_VOICE, 3, 0);
    tu_advance(e, 20);
    cenq(e, 10, q2, ORCA_CHANNEL_VOICE, 3, 0);
    tu_advance(e, 30);
    cenq(e, 20, q, ORCA_CHANNEL_VOICE, 3, 0);
    cenq(e, 4, q, ORCA_CHANNEL_VOICE, 4, 0);
    /* oldest first, whatever the ids or queues */
    assert_string_equal(copen(e, 3), " 30 10 20");
    assert_string_equal(copen(e, 4), " 4");
    uint64_t ids[3] = {0, 0, 0};
    uint32_t n = 99;
    TU_OK(orca_customer_open(e, 3, ids, 2, &n));
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 30);
    assert_int_equal(ids[1], 10);
    assert_int_equal(ids[2], 0);
    n = 99;
    TU_OK(orca_customer_open(e, 3, ids, 0, &n));
    assert_int_equal(n, 0);
    assert_int_equal(cinfo(e, 3).open, 3);

    /* An offer counts the customer's other live work. */
    tu_advance(e, 100);
    tu_ready(e, 1);
    TU_OFFERED_TO(e, 30, 1);
    const orca_offer *o = ho_last(&ho, 30);
    assert_int_equal(o->open, 2);
    assert_int_equal(o->nhistory, 0);
    TU_OK(orca_offer_accept(e, 30));
    TU_OK(orca_interaction_end(e, 30));
    TU_OFFERED_TO(e, 10, 1);
    o = ho_last(&ho, 10);
    assert_int_equal(o->open, 1);
    assert_int_equal(o->nhistory, 1);
    assert_int_equal(o->history[0].interaction, 30);
    assert_string_equal(copen(e, 3), " 10 20");
    TU_OK(orca_interaction_abandon(e, 20));
    assert_string_equal(copen(e, 3), " 10");
    TU_OK(orca_offer_accept(e, 10));
    assert_string_equal(copen(e, 3), " 10");
    assert_int_equal(cinfo(e, 3).open, 1);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Dispositions                                                             */
/* ------------------------------------------------------------------------ */

static void test_disposition(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    TU_OK(orca_channel_set_wrapup(e, ORCA_CHANNEL_CHAT, 5000));
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    cenq(e, 1, q, ORCA_CHANNEL_CHAT, 3, 0);
    assert_int_equal(tu_info(e, 1).disposition, 0);
    TU_OK(orca_interaction_set_disposition(e, 1, 10));           /* WAITING */
    assert_int_equal(tu_info(e, 1).disposition, 10);
    tu_ready(e, 1);
    TU_OFFERED_TO(e, 1, 1);
    TU_OK(orca_interaction_set_disposition(e, 1, 11));           /* OFFERED */
    assert_int_equal(tu_info(e, 1).disposition, 11);
    tu_advance(e, 100);
    TU_OK(orca_offer_accept(e, 1));
    TU_OK(orca_interaction_set_disposition(e, 1, 12));           /* BUSY */
    TU_OK(orca_interaction_end(e, 1));
    TU_OK(orca_interaction_set_disposition(e, 1, UINT32_MAX));   /* WRAPUP */
    assert_int_equal(tu_info(e, 1).disposition, UINT32_MAX);
    TU_OK(orca_interaction_set_disposition(e, 1, 13));
    TU_CHECK(e);
    tu_advance(e, 5100);
    orca_history_entry h[HO_HMAX];
    assert_int_equal(chist(e, 3, h), 1);
    HIST_IS(&h[0], 1, 0, q, ORCA_CHANNEL_CHAT, 1, 0, 100, 5100, ORCA_OUTCOME_COMPLETED, 13);

    /* 0 clears it */
    cenq(e, 2, q, ORCA_CHANNEL_CHAT, 3, 0);
    TU_OK(orca_interaction_set_disposition(e, 2, 44));
    TU_OK(orca_interaction_set_disposition(e, 2, 0));
    TU_OK(orca_interaction_cancel(e, 2));
    assert_int_equal(chist(e, 3, h), 2);
    assert_int_equal(h[0].interaction, 2);
    assert_int_equal(h[0].disposition, 0);

    /* work with no customer takes one too (nothing to keep it in) */
    tu_enqueue(e, 5, q, ORCA_CHANNEL_CHAT, 0);
    TU_OK(orca_interaction_set_disposition(e, 5, 9));
    assert_int_equal(tu_info(e, 5).disposition, 9);
    TU_OK(orca_interaction_cancel(e, 5));

    /* bad input */
    CU_FAILS(e, orca_interaction_set_disposition(NULL, 5, 1), ORCA_EINVAL);
    CU_FAILS(e, orca_interaction_set_disposition(e, 0, 1), ORCA_EINVAL);
    CU_FAILS(e, orca_interaction_set_disposition(e, 99, 1), ORCA_ENOENT);
    CU_FAILS(e, orca_interaction_set_disposition(e, 1, 1), ORCA_ENOENT); /* finished */
    CU_FAILS(e, orca_interaction_set_disposition(e, 5, 1), ORCA_ENOENT);
    assert_int_equal(chist(e, 3, h), 2);
    assert_int_equal(h[1].disposition, 13);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Bounds: max_customers, TTL                                               */
/* ------------------------------------------------------------------------ */

static void test_max_customers_lru(void **state)
{
    (void)state;
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.max_customers = 2;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, &cfg);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_customer_info ci;
    tu_advance(e, 100);
    cenq(e, 1, q, ORCA_CHANNEL_EMAIL, 1, 0);
    TU_OK(orca_interaction_cancel(e, 1));
    tu_advance(e, 200);
    cenq(e, 2, q, ORCA_CHANNEL_EMAIL, 2, 0);
    TU_OK(orca_interaction_cancel(e, 2));
    TOTALS_ARE(e, 2, 2, 0, 0, 0, 0, 0, 0, 0);
    /* a customer with live work does not count against the bound */
    tu_advance(e, 300);
    cenq(e, 3, q, ORCA_CHANNEL_EMAIL, 3, 0);
    TOTALS_ARE(e, 3, 3, 0, 0, 0, 0, 0, 0, 0);
    assert_int_equal(cinfo(e, 1).history, 1);
    TU_CHECK(e);
    /* ... until it is idle: then the least recently active (1) goes */
    tu_advance(e, 350);
    TU_OK(orca_interaction_cancel(e, 3));
    TU_RC(orca_customer_info_get(e, 1, &ci), ORCA_ENOENT);
    assert_int_equal(cinfo(e, 2).last_active_ms, 200);
    assert_int_equal(cinfo(e, 3).last_active_ms, 350);
    TOTALS_ARE(e, 2, 3, 0, 0, 0, 0, 0, 0, 1);
    /* new activity of 2 makes 3 the least recently active */
    tu_advance(e, 400);
    cenq(e, 4, q, ORCA_CHANNEL_EMAIL, 2, 0);
    assert_int_equal(enq_ev(&fx.rec, 4)->value, ORCA_ENQ_RECONTACT);
    tu_advance(e, 450);
    TU_OK(orca_interaction_cancel(e, 4));
    assert_int_equal(cinfo(e, 2).last_active_ms, 450);
    TOTALS_ARE(e, 2, 4, 1, 0, 0, 0, 0, 0, 1);
    tu_advance(e, 500);
    cenq(e, 5, q, ORCA_CHANNEL_EMAIL, 4, 0);
    TU_OK(orca_interaction_cancel(e, 5));
    TU_RC(orca_customer_info_get(e, 3, &ci), ORCA_ENOENT);
    ci = cinfo(e, 2);
    assert_int_equal(ci.contacts, 2);
    assert_int_equal(ci.history, 2);
    assert_int_equal(cinfo(e, 4).history, 1);
    TOTALS_ARE(e, 2, 5, 1, 0, 0, 0, 0, 0, 2);
    /* a forgotten customer starts again from nothing */
    tu_advance(e, 600);
    cenq(e, 6, q, ORCA_CHANNEL_EMAIL, 1, 0);
    assert_int_equal(enq_ev(&fx.rec, 6)->value, 0);
    ci = cinfo(e, 1);
    assert_int_equal(ci.contacts, 1);
    assert_int_equal(ci.history, 0);
    assert_int_equal(ci.open, 1);
    TOTALS_ARE(e, 3, 6, 1, 0, 0, 0, 0, 0, 2);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

static void test_ttl_ageing(void **state)
{
    (void)state;
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.customer_ttl_ms = 10000;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, &cfg);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_customer_info ci;
    orca_history_entry h[HO_HMAX];
    tu_advance(e, 1000);
    cenq(e, 1, q, ORCA_CHANNEL_SMS, 1, 0);
    TU_OK(orca_interaction_cancel(e, 1));
    cenq(e, 11, q, ORCA_CHANNEL_SMS, 2, 0);
    TU_OK(orca_interaction_cancel(e, 11));
    tu_advance(e, 2000);
    cenq(e, 12, q, ORCA_CHANNEL_SMS, 2, 0);       /* stays live */
    tu_advance(e, 5000);
    cenq(e, 2, q, ORCA_CHANNEL_SMS, 1, 0);
    TU_OK(orca_interaction_cancel(e, 2));
    tu_advance(e, 9000);
    cenq(e, 3, q, ORCA_CHANNEL_SMS, 1, 0);
    TU_OK(orca_interaction_cancel(e, 3));
    assert_string_equal(hist_ids(h, chist(e, 1, h)), " 3 2 1");

    tu_advance(e, 10999);                         /* 1 is 9,999 ms old */
    assert_string_equal(hist_ids(h, chist(e, 1, h)), " 3 2 1");
    tu_advance(e, 12000);                         /* 1 (ended 1000) is too old */
    assert_string_equal(hist_ids(h, chist(e, 1, h)), " 3 2");
    ci = cinfo(e, 1);
    assert_int_equal(ci.history, 2);
    assert_int_equal(ci.contacts, 3);
    /* customer 2 lost its history but keeps its live work */
    assert_int_equal(chist(e, 2, h), 0);
    ci = cinfo(e, 2);
    assert_int_equal(ci.history, 0);
    assert_int_equal(ci.open, 1);
    assert_string_equal(copen(e, 2), " 12");
    TOTALS_ARE(e, 2, 5, 3, 0, 0, 0, 0, 0, 0);
    TU_CHECK(e);
    tu_advance(e, 15500);
    assert_string_equal(hist_ids(h, chist(e, 1, h)), " 3");
    tu_advance(e, 19500);                         /* all of customer 1 aged out */
    TU_RC(orca_customer_info_get(e, 1, &ci), ORCA_ENOENT);
    uint32_t n = 0;
    TU_RC(orca_customer_history(e, 1, h, HO_HMAX, &n), ORCA_ENOENT);
    TOTALS_ARE(e, 1, 5, 3, 0, 0, 0, 0, 0, 1);
    TU_OK(orca_interaction_cancel(e, 12));
    assert_string_equal(hist_ids(h, chist(e, 2, h)), " 12");
    /* customer 1 again: a first contact */
    cenq(e, 21, q, ORCA_CHANNEL_SMS, 1, 0);
    assert_int_equal(enq_ev(&fx.rec, 21)->value, 0);
    assert_int_equal(cinfo(e, 1).contacts, 1);
    TOTALS_ARE(e, 2, 6, 3, 0, 0, 0, 0, 0, 1);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Forget                                                                   */
/* ------------------------------------------------------------------------ */

static void test_forget(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    TU_OK(orca_channel_set_wrapup(e, ORCA_CHANNEL_VOICE, 60000));
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    cenq(e, 1, q, ORCA_CHANNEL_CHAT, 3, 0);
    cenq(e, 2, q, ORCA_CHANNEL_CHAT, 4, 0);
    TU_OK(orca_interaction_cancel(e, 2));
    /* 5 has work in wrap-up */
    tu_ready(e, 1);
    TU_OFFERED_TO(e, 1, 1);
    TU_OK(orca_offer_reject(e, 1));
    cenq(e, 3, q, ORCA_CHANNEL_VOICE, 5, 0);
    TU_OK(orca_offer_accept(e, 3));
    TU_OK(orca_interaction_end(e, 3));
    assert_int_equal(tu_state(e, 3), ORCA_STATE_WRAPUP);
    TOTALS_ARE(e, 3, 3, 0, 0, 0, 0, 0, 0, 0);

    CU_FAILS(e, orca_customer_forget(e, 3), ORCA_ESTATE);   /* waiting work */
    CU_FAILS(e, orca_customer_forget(e, 5), ORCA_ESTATE);   /* wrap-up work */
    CU_FAILS(e, orca_customer_forget(e, 6), ORCA_ENOENT);
    CU_FAILS(e, orca_customer_forget(NULL, 4), ORCA_EINVAL);
    CU_FAILS2(e, orca_customer_forget(e, 0), ORCA_EINVAL, ORCA_ENOENT);

    TU_OK(orca_customer_forget(e, 4));
    orca_customer_info ci;
    orca_history_entry h[HO_HMAX];
    uint64_t ids[4];
    uint32_t n;
    TU_RC(orca_customer_info_get(e, 4, &ci), ORCA_ENOENT);
    TU_RC(orca_customer_history(e, 4, h, HO_HMAX, &n), ORCA_ENOENT);
    TU_RC(orca_customer_open(e, 4, ids, 4, &n), ORCA_ENOENT);
    TOTALS_ARE(e, 2, 3, 0, 0, 0, 0, 0, 0, 1);
    CU_FAILS(e, orca_customer_forget(e, 4), ORCA_ENOENT);
    TU_CHECK(e);

    /* once the work is done, 5 can go too */
    TU_OK(orca_interaction_wrapup_done(e, 3));
    TU_OK(orca_customer_forget(e, 5));
    TOTALS_ARE(e, 1, 3, 0, 0, 0, 0, 0, 0, 2);
    /* and comes back as a new customer */
    cenq(e, 4, q, ORCA_CHANNEL_CHAT, 5, 0);
    assert_int_equal(enq_ev(&fx.rec, 4)->value, 0);
    ci = cinfo(e, 5);
    assert_int_equal(ci.contacts, 1);
    assert_int_equal(ci.history, 0);
    assert_int_equal(ci.last_agent, 0);
    TOTALS_ARE(e, 2, 4, 0, 0, 0, 0, 0, 0, 2);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Bad input to the read calls                                              */
/* ------------------------------------------------------------------------ */

static void test_read_calls_bad_input(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    cenq(e, 1, q, ORCA_CHANNEL_CHAT, 3, 0);
    TU_OK(orca_interaction_cancel(e, 1));
    cenq(e, 2, q, ORCA_CHANNEL_CHAT, 3, 0);
    orca_customer_info ci;
    orca_history_entry h[4];
    uint64_t ids[4];
    uint32_t n = 0;
    orca_customer_totals t;
    CU_FAILS(e, orca_customer_info_get(NULL, 3, &ci), ORCA_EINVAL);
    CU_FAILS(e, orca_customer_info_get(e, 3, NULL), ORCA_EINVAL);
    CU_FAILS(e, orca_customer_info_get(e, 4, &ci), ORCA_ENOENT);
    CU_FAILS2(e, orca_customer_info_get(e, 0, &ci), ORCA_EINVAL, ORCA_ENOENT);
    CU_FAILS(e, orca_customer_history(NULL, 3, h, 4, &n), ORCA_EINVAL);
    CU_FAILS(e, orca_customer_history(e, 3, NULL, 4, &n), ORCA_EINVAL);
    CU_FAILS(e, orca_customer_history(e, 3, h, 4, NULL), ORCA_EINVAL);
    CU_FAILS(e, orca_customer_history(e, 4, h, 4, &n), ORCA_ENOENT);
    CU_FAILS2(e, orca_customer_history(e, 0, h, 4, &n), ORCA_EINVAL, ORCA_ENOENT);
    CU_FAILS(e, orca_customer_open(NULL, 3, ids, 4, &n), ORCA_EINVAL);
    CU_FAILS(e, orca_customer_open(e, 3, NULL, 4, &n), ORCA_EINVAL);
    CU_FAILS(e, orca_customer_open(e, 3, ids, 4, NULL), ORCA_EINVAL);
    CU_FAILS(e, orca_customer_open(e, 4, ids, 4, &n), ORCA_ENOENT);
    CU_FAILS2(e, orca_customer_open(e, 0, ids, 4, &n), ORCA_EINVAL, ORCA_ENOENT);
    CU_FAILS(e, orca_customer_totals_get(NULL, &t), ORCA_EINVAL);
    CU_FAILS(e, orca_customer_totals_get(e, NULL), ORCA_EINVAL);
    /* the good ones */
    TU_OK(orca_customer_history(e, 3, h, 4, &n));
    assert_int_equal(n, 1);
    TU_OK(orca_customer_open(e, 3, ids, 4, &n));
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], 2);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* Reading: work refused because the queue is full is not a contact. */
static void test_rejected_full_keeps_nothing(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "small";
    qd.max_size = 1;
    orca_queue_id q = tu_queue_def(e, &qd);
    cenq(e, 1, q, ORCA_CHANNEL_CHAT, 50, 0);
    orca_interaction_def d;
    cdef(&d, 2, q, ORCA_CHANNEL_CHAT, 51, 0);
    TU_RC(orca_interaction_enqueue(e, &d), ORCA_EFULL);
    cdef(&d, 3, q, ORCA_CHANNEL_CHAT, 50, 9);
    TU_RC(orca_interaction_enqueue(e, &d), ORCA_EFULL);
    orca_customer_info ci;
    TU_RC(orca_customer_info_get(e, 51, &ci), ORCA_ENOENT);
    ci = cinfo(e, 50);
    assert_int_equal(ci.contacts, 1);
    assert_int_equal(ci.open, 1);
    assert_int_equal(ci.history, 0);
    assert_string_equal(copen(e, 50), " 1");
    TOTALS_ARE(e, 1, 1, 0, 0, 0, 0, 0, 0, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* ORCA_EBUSY from listeners and withdraw callbacks                         */
/* ------------------------------------------------------------------------ */

typedef struct busy_probe {
    orca_engine *e;
    orca_queue_id q;
    int fired;
    int rc[6];
    int read_rc[4];
    uint32_t nhist;
} busy_probe;

static void busy_calls(busy_probe *p, uint64_t offered)
{
    orca_engine *e = p->e;
    p->rc[0] = orca_customer_forget(e, 4);                   /* idle customer */
    p->rc[1] = orca_interaction_set_disposition(e, offered, 5);
    orca_interaction_def d;
    cdef(&d, 30, p->q, ORCA_CHANNEL_EMAIL, 3, 8);
    p->rc[2] = orca_interaction_enqueue(e, &d);
    cdef(&d, 31, p->q, ORCA_CHANNEL_EMAIL, 0, 0);
    p->rc[3] = orca_interaction_transfer(e, 9, &d, ORCA_TRANSFER_BLIND);
    p->rc[4] = orca_interaction_transfer(e, 9, &d, ORCA_TRANSFER_CONSULT);
    cdef(&d, 32, p->q, ORCA_CHANNEL_EMAIL, 4, 0);
    d.agent = 1;
    p->rc[5] = orca_interaction_enqueue(e, &d);
    /* read-only calls work */
    orca_customer_info ci;
    p->read_rc[0] = orca_customer_info_get(e, 4, &ci);
    orca_history_entry h[4];
    p->read_rc[1] = orca_customer_history(e, 4, h, 4, &p->nhist);
    uint64_t ids[4];
    uint32_t n;
    p->read_rc[2] = orca_customer_open(e, 3, ids, 4, &n);
    orca_customer_totals t;
    p->read_rc[3] = orca_customer_totals_get(e, &t);
}

static void busy_listener(void *data, const orca_event *ev)
{
    busy_probe *p = data;
    if (ev->type != ORCA_EV_OFFERED || ev->interaction != 10 || p->fired)
        return;
    p->fired = 1;
    busy_calls(p, 10);
}

static busy_probe *g_wprobe;
static void busy_withdraw(void *data, const orca_offer *o, orca_withdraw_reason why)
{
    (void)data;
    (void)why;
    if (g_wprobe && !g_wprobe->fired) {
        g_wprobe->fired = 1;
        busy_calls(g_wprobe, o->interaction);
    }
}

static void noop_offer(void *data, const orca_offer *o)
{
    (void)data;
    (void)o;
}

static void busy_check(const busy_probe *p)
{
    assert_int_equal(p->fired, 1);
    for (int k = 0; k < 6; k++)
        if (p->rc[k] != ORCA_EBUSY)
            fail_msg("mutating call #%d from a callback returned %d %s, expected ORCA_EBUSY",
                     k, p->rc[k], tu_rc_name(p->rc[k]));
    for (int k = 0; k < 4; k++)
        TU_RC(p->read_rc[k], ORCA_OK);
    assert_int_equal(p->nhist, 1);
}

static void test_ebusy_from_callbacks(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    cenq(e, 2, q, ORCA_CHANNEL_CHAT, 4, 0);
    TU_OK(orca_interaction_cancel(e, 2));              /* customer 4: history only */
    cenq(e, 9, q, ORCA_CHANNEL_CHAT, 3, 0);
    TU_OK(orca_offer_accept(e, 9));                    /* BUSY, transferable */

    busy_probe p;
    memset(&p, 0, sizeof(p));
    p.e = e;
    p.q = q;
    int h;
    TU_OK(orca_listener_add(e, busy_listener, &p, &h));
    cenq(e, 10, q, ORCA_CHANNEL_CHAT, 3, 0);
    busy_check(&p);
    TU_OK(orca_listener_remove(e, h));
    /* nothing the listener tried happened (10 itself did) */
    assert_int_equal(cinfo(e, 4).history, 1);
    assert_int_equal(tu_info(e, 10).disposition, 0);
    assert_int_equal(tu_state(e, 30), 0);
    assert_int_equal(tu_state(e, 31), 0);
    assert_int_equal(tu_state(e, 32), 0);
    assert_int_equal(tu_state(e, 9), ORCA_STATE_BUSY);
    assert_int_equal(ctotals(e).transfers, 0);
    assert_int_equal(ctotals(e).contacts, 3);

    /* the same from a withdraw callback */
    busy_probe w;
    memset(&w, 0, sizeof(w));
    w.e = e;
    w.q = q;
    g_wprobe = &w;
    orca_channel_callbacks cb = {noop_offer, busy_withdraw};
    TU_OK(orca_channel_set_callbacks(e, ORCA_CHANNEL_CHAT, &cb, NULL));
    cenq(e, 11, q, ORCA_CHANNEL_CHAT, 3, 0);
    TU_OFFERED_TO(e, 11, 1);
    TU_OK(orca_interaction_cancel(e, 11));
    g_wprobe = NULL;
    busy_check(&w);
    assert_int_equal(cinfo(e, 4).history, 1);
    assert_int_equal(tu_state(e, 30), 0);
    assert_int_equal(tu_state(e, 32), 0);
    assert_int_equal(ctotals(e).transfers, 0);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Allocation failure                                                       */
/* ------------------------------------------------------------------------ */

static void cs_setup(sw *s)
{
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.alloc = tu_alloc_fn;
    cfg.alloc_ud = s->a;
    cfg.history_per_customer = 3;
    cfg.max_customers = 3;
    cfg.customer_ttl_ms = 100000;
    TU_OK(orca_engine_new(&cfg, &s->e));
    TU_OK(orca_listener_add(s->e, tu_rec_fn, &s->rec, NULL));
    ho_attach(&s->ho, s->e);
    s->ho.accept = 1;
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "sticky";
    qd.sticky_ms = 5000;
    s->q1 = tu_queue_def(s->e, &qd);
    s->q2 = tu_queue(s->e, "plain", ORCA_STRATEGY_LONGEST_IDLE);
    for (uint64_t a = 1; a <= 2; a++) {
        tu_agent(s->e, a, 100, NULL, 0);
        tu_member(s->e, s->q1, a, 0);
        tu_member(s->e, s->q2, a, 0);
        tu_ready(s->e, a);
    }
}

static int cs_enq(sw *s, uint64_t id, orca_queue_id q, orca_channel_id ch, uint64_t cust,
                  uint64_t conv, uint64_t agent)
{
    orca_interaction_def d;
    cdef(&d, id, q, ch, cust, conv);
    d.agent = agent;
    d.agent_wait_ms = agent ? 1000 : 0;
    return orca_interaction_enqueue(s->e, &d);
}

static int cs_end(sw *s, uint64_t id)
{
    return sw_state(s, id) == ORCA_STATE_BUSY ? orca_interaction_end(s->e, id) : -100;
}

static int cs_step(sw *s, int k)
{
    orca_engine *e = s->e;
    switch (k) {
    case 0: return cs_enq(s, 1, s->q1, ORCA_CHANNEL_CHAT, 1, 10, 0);     /* first contact */
    case 1: return orca_interaction_set_disposition(e, 1, 5);
    case 2: return cs_end(s, 1);                                         /* into history */
    case 3: return orca_engine_advance(e, 1000);
    case 4: return cs_enq(s, 2, s->q1, ORCA_CHANNEL_VOICE, 1, 10, 0);    /* recontact, switch, sticky */
    case 5: return cs_end(s, 2);
    case 6: return cs_enq(s, 3, s->q2, ORCA_CHANNEL_EMAIL, 2, 0, 0);     /* new customer */
    case 7: return cs_enq(s, 4, s->q2, ORCA_CHANNEL_EMAIL, 2, 0, 0);     /* live recontact */
    case 8: return cs_end(s, 3);
    case 9: return cs_end(s, 4);
    case 10: return cs_enq(s, 5, s->q2, ORCA_CHANNEL_SMS, 3, 0, 0);
    case 11: return cs_end(s, 5);
    case 12: return orca_engine_advance(e, 2000);
    case 13: return cs_enq(s, 6, s->q2, ORCA_CHANNEL_SMS, 4, 0, 0);      /* 4th customer */
    case 14: return cs_end(s, 6);                                        /* evicts one */
    case 15: return cs_enq(s, 7, s->q1, ORCA_CHANNEL_CHAT, 1, 20, 2);    /* named agent */
    case 16: return cs_end(s, 7);
    case 17: return cs_enq(s, 8, s->q2, ORCA_CHANNEL_CHAT, 1, 20, 0);
    case 18: return cs_end(s, 8);                                        /* history full */
    case 19: return orca_customer_forget(e, 2) == ORCA_ENOENT ? 0 : 1;
    case 20: return orca_engine_advance(e, 200000);                      /* TTL */
    case 21: return cs_enq(s, 9, s->q1, ORCA_CHANNEL_CHAT, 1, 10, 0);
    case 22: return orca_interaction_abandon(e, 9) == ORCA_ESTATE ? cs_end(s, 9) : -101;
    case 23: return cs_enq(s, 10, s->q2, ORCA_CHANNEL_VOICE, 5, 0, 0);
    case 24: return orca_interaction_set_disposition(e, 10, 8);
    case 25: return orca_customer_forget(e, 5);                          /* ESTATE */
    default: return SW_DONE;
    }
}

static void test_alloc_failure_enqueue_with_customer(void **state)
{
    (void)state;
    const int must[] = {0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8, 0, 9, 0, 10, 0,
                        11, 0, 12, 0, 13, 0, 14, 0, 15, 0, 16, 0, 17, 0, 18, 0, 20, 0, 21, 0,
                        22, 0, 23, 0, 24, 0, 25, ORCA_ESTATE};
    /* advance (steps 3, 12, 20) has no caller to tell of a failure */
    uint64_t absorb = (1ull << 3) | (1ull << 12) | (1ull << 20);
    sw_sweep(cs_setup, cs_step, absorb, must, sizeof(must) / sizeof(must[0]) / 2);
}

int main(void)
{
    tu_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_fields),
        cmocka_unit_test(test_history_max_entries),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_first_contact_lifecycle),
        cmocka_unit_test(test_history_outcomes),
        cmocka_unit_test(test_history_per_customer_bound),
        cmocka_unit_test(test_recontact_and_switch),
        cmocka_unit_test(test_reading_conversation_per_customer),
        cmocka_unit_test(test_reading_last_agent_at_accept),
        cmocka_unit_test(test_open_work),
        cmocka_unit_test(test_disposition),
        cmocka_unit_test(test_max_customers_lru),
        cmocka_unit_test(test_ttl_ageing),
        cmocka_unit_test(test_forget),
        cmocka_unit_test(test_read_calls_bad_input),
        cmocka_unit_test(test_rejected_full_keeps_nothing),
        cmocka_unit_test(test_ebusy_from_callbacks),
        cmocka_unit_test(test_alloc_failure_enqueue_with_customer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
