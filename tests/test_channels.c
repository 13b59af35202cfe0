/*
 * test_channels.c: built-in channels, host channels, every bad input of
 * orca_channel_*, and the offer / withdraw callbacks.
 */
#include "testutil.h"

static const char *const builtin_names[ORCA_CHANNEL_BUILTIN_COUNT] = {
    "voice", "chat", "email", "sms", "social", "video", "callback"};
static const uint32_t builtin_costs[ORCA_CHANNEL_BUILTIN_COUNT] = {
    100, 25, 10, 10, 10, 100, 100};

static void test_builtins(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    assert_int_equal(tu_counts(e).channels, ORCA_CHANNEL_BUILTIN_COUNT);
    assert_int_equal(ORCA_CHANNEL_VOICE, 0);
    assert_int_equal(ORCA_CHANNEL_CALLBACK, 6);
    for (orca_channel_id c = 0; c < ORCA_CHANNEL_BUILTIN_COUNT; c++) {
        const char *n = orca_channel_name(e, c);
        assert_non_null(n);
        assert_string_equal(n, builtin_names[c]);
        orca_channel_id f = 999;
        TU_OK(orca_channel_find(e, builtin_names[c], &f));
        assert_int_equal(f, c);
    }
    assert_null(orca_channel_name(e, ORCA_CHANNEL_BUILTIN_COUNT));
    tu_fx_free(&fx);
}

/* The cost of each built-in channel, seen as capacity used by one offer. */
static void test_builtin_costs(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, ORCA_CAPACITY_MAX, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    for (orca_channel_id c = 0; c < ORCA_CHANNEL_BUILTIN_COUNT; c++) {
        tu_enqueue(e, 100 + c, q, c, 0);
        TU_OFFERED_TO(e, 100 + c, 1);
        orca_agent_info ai = tu_ainfo(e, 1);
        if (ai.used != builtin_costs[c])
            fail_msg("channel %s: one offer uses %u units, expected %u",
                     builtin_names[c], ai.used, builtin_costs[c]);
        assert_int_equal(tu_info(e, 100 + c).channel, c);
        TU_OK(orca_interaction_cancel(e, 100 + c));
        assert_int_equal(tu_ainfo(e, 1).used, 0);
    }
    tu_fx_free(&fx);
}

/* A chat costs 25: an agent of capacity 100 takes exactly four. */
static void test_cost_limits_work(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    for (uint64_t i = 1; i <= 6; i++)
        tu_enqueue(e, i, q, ORCA_CHANNEL_CHAT, 0);
    tu_ready(e, 1);
    orca_agent_info ai = tu_ainfo(e, 1);
    assert_int_equal(ai.offered, 4);
    assert_int_equal(ai.used, 100);
    assert_int_equal(tu_counts(e).waiting, 2);
    TU_OFFERED_TO(e, 5, 0);
    TU_OFFERED_TO(e, 6, 0);
    tu_fx_free(&fx);
}

static void test_channel_add(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_channel_def def = {"whatsapp", 20, 0, NULL, NULL};
    orca_channel_id wa = 999;
    TU_OK(orca_channel_add(e, &def, &wa));
    assert_int_equal(wa, ORCA_CHANNEL_BUILTIN_COUNT);
    const orca_event *ev = tu_rec_last(&fx.rec, ORCA_EV_CHANNEL_ADDED);
    assert_non_null(ev);
    assert_int_equal(ev->channel, wa);
    orca_channel_id f = 999;
    TU_OK(orca_channel_find(e, "whatsapp", &f));
    assert_int_equal(f, wa);
    assert_string_equal(orca_channel_name(e, wa), "whatsapp");
    def.name = "line";
    def.cost = 1;
    orca_channel_id line = 999;
    TU_OK(orca_channel_add(e, &def, &line));
    assert_int_equal(line, wa + 1);
    assert_int_equal(tu_counts(e).channels, ORCA_CHANNEL_BUILTIN_COUNT + 2);

    /* The name is copied. */
    char buf[16];
    strcpy(buf, "telegram");
    def.name = buf;
    def.cost = 30;
    orca_channel_id tg;
    TU_OK(orca_channel_add(e, &def, &tg));
    strcpy(buf, "zzzzzzzz");
    assert_string_equal(orca_channel_name(e, tg), "telegram");

    /* Work on it costs what it says, for agents that list it. */
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_channel_limit lim[1] = {{wa, 2}};
    orca_agent_def ad;
    orca_agent_def_init(&ad);
    ad.id = 1;
    ad.limits = lim;
    ad.nlimits = 1;
    TU_OK(orca_agent_add(e, &ad));
    tu_agent(e, 2, 100, NULL, 0); /* built-ins only: never gets whatsapp */
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);
    tu_ready(e, 2);
    tu_enqueue(e, 10, q, wa, 0);
    TU_OFFERED_TO(e, 10, 0);
    tu_ready(e, 1);
    TU_OFFERED_TO(e, 10, 1);
    assert_int_equal(tu_ainfo(e, 1).used, 20);
    tu_fx_free(&fx);
}

static void test_channel_add_bad(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_channel_def ok = {"whatsapp", 20, 0, NULL, NULL};
    orca_channel_id id = 4242;
    TU_OK(orca_channel_add(e, &ok, &id));
    id = 4242;
    char name[ORCA_NAME_MAX + 2];
    orca_channel_def d;

    TU_FAILS(e, orca_channel_add(e, NULL, &id), ORCA_EINVAL);
    d = ok;
    d.name = NULL;
    TU_FAILS(e, orca_channel_add(e, &d, &id), ORCA_EINVAL);
    d.name = "";
    TU_FAILS(e, orca_channel_add(e, &d, &id), ORCA_EINVAL);
    d.name = tu_name_of_len(name, ORCA_NAME_MAX + 1);
    TU_FAILS(e, orca_channel_add(e, &d, &id), ORCA_ETOOLONG);
    d.name = "voice";
    TU_FAILS(e, orca_channel_add(e, &d, &id), ORCA_EEXIST);
    d.name = "whatsapp";
    TU_FAILS(e, orca_channel_add(e, &d, &id), ORCA_EEXIST);
    d.name = "new";
    d.cost = 0;
    TU_FAILS(e, orca_channel_add(e, &d, &id), ORCA_ERANGE);
    d.cost = ORCA_CAPACITY_MAX + 1;
    TU_FAILS(e, orca_channel_add(e, &d, &id), ORCA_ERANGE);
    d.cost = UINT32_MAX;
    TU_FAILS(e, orca_channel_add(e, &d, &id), ORCA_ERANGE);
    assert_int_equal(id, 4242);

    /* The edges that are allowed. */
    d.cost = ORCA_CAPACITY_MAX;
    d.name = tu_name_of_len(name, ORCA_NAME_MAX);
    TU_OK(orca_channel_add(e, &d, &id));
    assert_string_equal(orca_channel_name(e, id), name);
    d.cost = 1;
    d.name = "cheap";
    TU_OK(orca_channel_add(e, &d, &id));

    orca_channel_id f = 4242;
    TU_FAILS(e, orca_channel_find(e, NULL, &f), ORCA_EINVAL);
    TU_FAILS(e, orca_channel_find(e, "", &f), ORCA_EINVAL);
    TU_FAILS(e, orca_channel_find(e, "nosuch", &f), ORCA_ENOENT);
    TU_FAILS(e, orca_channel_find(e, "Voice", &f), ORCA_ENOENT);
    assert_int_equal(f, 4242);
    tu_fx_free(&fx);
}

static void test_channel_limit(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    char name[32];
    orca_channel_def d = {NULL, 10, 0, NULL, NULL};
    for (uint32_t i = ORCA_CHANNEL_BUILTIN_COUNT; i < ORCA_MAX_CHANNELS; i++) {
        snprintf(name, sizeof(name), "host%u", i);
        d.name = name;
        orca_channel_id id;
        TU_OK(orca_channel_add(e, &d, &id));
        assert_int_equal(id, i);
    }
    assert_int_equal(tu_counts(e).channels, ORCA_MAX_CHANNELS);
    d.name = "one-too-many";
    orca_channel_id id = 4242;
    TU_FAILS(e, orca_channel_add(e, &d, &id), ORCA_ELIMIT);
    assert_int_equal(id, 4242);
    TU_FAILS(e, orca_channel_find(e, "one-too-many", &id), ORCA_ENOENT);
    /* A duplicate is still a duplicate when full. */
    d.name = "host8";
    TU_FAILS2(e, orca_channel_add(e, &d, &id), ORCA_EEXIST, ORCA_ELIMIT);
    for (uint32_t i = ORCA_CHANNEL_BUILTIN_COUNT; i < ORCA_MAX_CHANNELS; i++) {
        snprintf(name, sizeof(name), "host%u", i);
        TU_OK(orca_channel_find(e, name, &id));
        assert_int_equal(id, i);
        assert_string_equal(orca_channel_name(e, i), name);
    }
    tu_fx_free(&fx);
}

static void test_unknown_channel_ids(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    tu_offers o;
    tu_offers_init(&o, e);
    const orca_channel_id bad[] = {ORCA_CHANNEL_BUILTIN_COUNT, 31, ORCA_MAX_CHANNELS, 999,
                                   UINT32_MAX};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        TU_FAILS(e, orca_channel_set_callbacks(e, bad[i], &tu_offer_callbacks, &o),
                 ORCA_ENOENT);
        TU_FAILS(e, orca_channel_set_callbacks(e, bad[i], NULL, NULL), ORCA_ENOENT);
        TU_FAILS(e, orca_channel_set_wrapup(e, bad[i], 1000), ORCA_ENOENT);
        assert_null(orca_channel_name(e, bad[i]));
    }
    /* Unknown channels are refused where work and agents name them. */
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_interaction_def id;
    orca_interaction_def_init(&id);
    id.id = 1;
    id.queue = q;
    id.channel = ORCA_CHANNEL_BUILTIN_COUNT;
    TU_FAILS(e, orca_interaction_enqueue(e, &id), ORCA_ENOENT);
    id.channel = UINT32_MAX;
    TU_FAILS(e, orca_interaction_enqueue(e, &id), ORCA_ENOENT);
    orca_channel_limit lim = {ORCA_CHANNEL_BUILTIN_COUNT, 1};
    orca_agent_def ad;
    orca_agent_def_init(&ad);
    ad.id = 1;
    ad.limits = &lim;
    ad.nlimits = 1;
    TU_FAILS(e, orca_agent_add(e, &ad), ORCA_ENOENT);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Offer callback                                                           */
/* ------------------------------------------------------------------------ */

typedef struct seen_offer {
    orca_engine *e;
    tu_rec *rec;
    int calls;
    orca_offer offer;
    size_t events_at_call;
    orca_event_type last_event;
    int info_rc;
    orca_interaction_state state;
    uint32_t used;
    uint32_t counts_offered;
    int accept_rc;
} seen_offer;

static void offer_then_accept(void *data, const orca_offer *offer)
{
    seen_offer *s = data;
    s->calls++;
    s->offer = *offer;
    s->events_at_call = s->rec->n;
    s->last_event = s->rec->n ? s->rec->ev[s->rec->n - 1].type : 0;
    orca_interaction_info info;
    s->info_rc = orca_interaction_info_get(s->e, offer->interaction, &info);
    s->state = info.state;
    orca_agent_info ai;
    orca_agent_info_get(s->e, offer->agent, &ai);
    s->used = ai.used;
    orca_counts c;
    orca_engine_counts(s->e, &c);
    s->counts_offered = c.offered;
    s->accept_rc = orca_offer_accept(s->e, offer->interaction);
}

static void test_offer_callback_after_state_change(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    seen_offer s;
    memset(&s, 0, sizeof(s));
    s.e = e;
    s.rec = &fx.rec;
    orca_channel_callbacks cb = {offer_then_accept, NULL};
    TU_OK(orca_channel_set_callbacks(e, ORCA_CHANNEL_CHAT, &cb, &s));
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "q";
    qd.offer_timeout_ms = 5000;
    orca_queue_id q = tu_queue_def(e, &qd);
    orca_agent_def ad;
    tu_agent_def(&ad, 1, 100, NULL, 0);
    int agent_tag = 0, ix_tag = 0;
    ad.data = &agent_tag;
    TU_OK(orca_agent_add(e, &ad));
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    tu_advance(e, 700);

    orca_interaction_def id;
    orca_interaction_def_init(&id);
    id.id = 42;
    id.queue = q;
    id.channel = ORCA_CHANNEL_CHAT;
    id.customer = 9001;
    id.data = &ix_tag;
    size_t from = fx.rec.n;
    TU_OK(orca_interaction_enqueue(e, &id));

    assert_int_equal(s.calls, 1);
    /* State was complete when the callback ran... */
    TU_RC(s.info_rc, ORCA_OK);
    assert_int_equal(s.state, ORCA_STATE_OFFERED);
    assert_int_equal(s.used, 25);
    assert_int_equal(s.counts_offered, 1);
    assert_int_equal(s.last_event, ORCA_EV_OFFERED);
    /* ...so accepting from inside it worked. */
    TU_RC(s.accept_rc, ORCA_OK);
    assert_int_equal(tu_state(e, 42), ORCA_STATE_BUSY);
    TU_SEQ(&fx.rec, from, 42, "ENQUEUED OFFERED ACCEPTED");
    assert_int_equal(s.events_at_call, from + 2);

    /* The offer says everything. */
    assert_int_equal(s.offer.interaction, 42);
    assert_int_equal(s.offer.agent, 1);
    assert_int_equal(s.offer.queue, q);
    assert_int_equal(s.offer.channel, ORCA_CHANNEL_CHAT);
    assert_int_equal(s.offer.customer, 9001);
    assert_int_equal(s.offer.arrival_ms, 700);
    assert_int_equal(s.offer.offered_ms, 700);
    assert_int_equal(s.offer.expires_ms, 5700);
    assert_int_equal(s.offer.attempt, 1);
    assert_ptr_equal(s.offer.interaction_data, &ix_tag);
    assert_ptr_equal(s.offer.agent_data, &agent_tag);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

static void test_offer_callback_reject_inside(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    tu_offers o;
    tu_offers_init(&o, e);
    o.action = TU_OFFER_REJECT;
    o.action_limit = 1;
    TU_OK(orca_channel_set_callbacks(e, ORCA_CHANNEL_VOICE, &tu_offer_callbacks, &o));
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_member(e, q, 2, 0);
    tu_ready(e, 1);
    tu_advance(e, 10);
    tu_ready(e, 2); /* 1 is idle longer: offered first */
    tu_advance(e, 20);
    tu_enqueue(e, 5, q, ORCA_CHANNEL_VOICE, 0);

    assert_int_equal(o.noffers, 2);
    assert_int_equal(o.offer[0].agent, 1);
    assert_int_equal(o.offer[0].attempt, 1);
    TU_RC(o.action_rc[0], ORCA_OK);
    assert_int_equal(o.state_in_offer[0], ORCA_STATE_OFFERED);
    assert_int_equal(o.offer[1].agent, 2);
    assert_int_equal(o.offer[1].attempt, 2);
    assert_int_equal(o.offer[1].arrival_ms, 20);
    assert_int_equal(o.nwithdrawn, 0); /* a reject is not a withdrawal */
    TU_OFFERED_TO(e, 5, 2);
    assert_int_equal(tu_info(e, 5).attempts, 2);
    TU_SEQ(&fx.rec, 0, 5, "ENQUEUED OFFERED REJECTED OFFERED");
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* Offers made by one call are delivered in the order they were made. */
static void test_offer_callbacks_in_order(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    tu_offers o;
    tu_offers_init(&o, e);
    TU_OK(orca_channel_set_callbacks(e, ORCA_CHANNEL_EMAIL, &tu_offer_callbacks, &o));
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_enqueue(e, 3, q, ORCA_CHANNEL_EMAIL, 0);
    tu_enqueue(e, 1, q, ORCA_CHANNEL_EMAIL, 5);
    tu_enqueue(e, 2, q, ORCA_CHANNEL_EMAIL, 0);
    assert_int_equal(o.noffers, 0);
    tu_ready(e, 1); /* one call, three offers */
    assert_string_equal(o.log, "O:1:1 O:3:1 O:2:1");
    tu_fx_free(&fx);
}


/* An offer withdrawn before its callback ran is never announced: the
 * callback for the first of two offers made in one call cancels the
 * second, whose offer() must then never come, and no withdraw() either. */
typedef struct cancel_other {
    orca_engine *e;
    char log[256];
    int cancel_rc;
} cancel_other;

static void co_offer(void *data, const orca_offer *o)
{
    cancel_other *c = data;
    snprintf(c->log + strlen(c->log), sizeof(c->log) - strlen(c->log), "O:%llu ",
             (unsigned long long)o->interaction);
    if (o->interaction == 1)
        c->cancel_rc = orca_interaction_cancel(c->e, 2);
}

static void co_withdraw(void *data, const orca_offer *o, orca_withdraw_reason why)
{
    cancel_other *c = data;
    snprintf(c->log + strlen(c->log), sizeof(c->log) - strlen(c->log), "W:%llu:%d ",
             (unsigned long long)o->interaction, (int)why);
}

static void test_offer_withdrawn_before_callback(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    cancel_other c;
    memset(&c, 0, sizeof(c));
    c.e = e;
    orca_channel_callbacks cb = {co_offer, co_withdraw};
    TU_OK(orca_channel_set_callbacks(e, ORCA_CHANNEL_CHAT, &cb, &c));
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_enqueue(e, 1, q, ORCA_CHANNEL_CHAT, 0);
    tu_enqueue(e, 2, q, ORCA_CHANNEL_CHAT, 0);
    tu_enqueue(e, 3, q, ORCA_CHANNEL_CHAT, 0);
    tu_ready(e, 1); /* offers 1, 2, 3 in one call */
    TU_RC(c.cancel_rc, ORCA_OK);
    assert_string_equal(c.log, "O:1 O:3 ");
    assert_int_equal(tu_state(e, 2), 0);
    TU_OFFERED_TO(e, 1, 1);
    TU_OFFERED_TO(e, 3, 1);
    assert_int_equal(tu_ainfo(e, 1).used, 50);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* Withdraw callback                                                        */
/* ------------------------------------------------------------------------ */

typedef struct wd_fx {
    tu_fx fx;
    tu_offers o;
    orca_queue_id q;
} wd_fx;

static orca_engine *wd_setup(wd_fx *w)
{
    orca_engine *e = tu_fx_new(&w->fx, NULL);
    tu_offers_init(&w->o, e);
    TU_OK(orca_channel_set_callbacks(e, ORCA_CHANNEL_VOICE, &tu_offer_callbacks, &w->o));
    w->q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, w->q, 1, 0);
    tu_ready(e, 1);
    tu_enqueue(e, 7, w->q, ORCA_CHANNEL_VOICE, 4);
    assert_int_equal(w->o.noffers, 1);
    assert_int_equal(w->o.nwithdrawn, 0);
    return e;
}

static void wd_expect(wd_fx *w, orca_withdraw_reason why)
{
    assert_int_equal(w->o.nwithdrawn, 1);
    assert_int_equal(w->o.reason[0], why);
    assert_int_equal(w->o.withdrawn[0].interaction, 7);
    assert_int_equal(w->o.withdrawn[0].agent, 1);
    assert_int_equal(w->o.withdrawn[0].attempt, 1);
    assert_int_equal(w->o.withdrawn[0].offered_ms, w->o.offer[0].offered_ms);
    /* from inside withdraw(): mutating calls are refused, reads work */
    TU_RC(w->o.probe_rc[0], ORCA_EBUSY);
    TU_RC(w->o.probe_info_rc[0], ORCA_OK);
}

static void test_withdraw_on_timeout(void **state)
{
    (void)state;
    wd_fx w;
    orca_engine *e = wd_setup(&w);
    tu_advance(e, 19999);
    assert_int_equal(w.o.nwithdrawn, 0);
    tu_advance(e, 20000);
    wd_expect(&w, ORCA_WITHDRAW_TIMEOUT);
    TU_OFFERED_TO(e, 7, 0);
    assert_int_equal(tu_info(e, 7).priority, 4); /* the refused set_priority did nothing */
    tu_fx_free(&w.fx);
}

static void test_withdraw_on_abandon(void **state)
{
    (void)state;
    wd_fx w;
    orca_engine *e = wd_setup(&w);
    TU_OK(orca_interaction_abandon(e, 7));
    wd_expect(&w, ORCA_WITHDRAW_ABANDONED);
    assert_int_equal(tu_state(e, 7), 0);
    tu_fx_free(&w.fx);
}

static void test_withdraw_on_cancel(void **state)
{
    (void)state;
    wd_fx w;
    orca_engine *e = wd_setup(&w);
    TU_OK(orca_interaction_cancel(e, 7));
    wd_expect(&w, ORCA_WITHDRAW_CANCELLED);
    assert_int_equal(tu_state(e, 7), 0);
    tu_fx_free(&w.fx);
}

static void test_withdraw_on_agent_removed(void **state)
{
    (void)state;
    wd_fx w;
    orca_engine *e = wd_setup(&w);
    TU_OK(orca_agent_remove(e, 1));
    wd_expect(&w, ORCA_WITHDRAW_AGENT_REMOVED);
    TU_OFFERED_TO(e, 7, 0);
    tu_fx_free(&w.fx);
}

/* Accept, reject and end are not withdrawals. */
static void test_no_withdraw_on_answer(void **state)
{
    (void)state;
    wd_fx w;
    orca_engine *e = wd_setup(&w);
    TU_OK(orca_offer_accept(e, 7));
    TU_OK(orca_interaction_end(e, 7));
    tu_enqueue(e, 8, w.q, ORCA_CHANNEL_VOICE, 0);
    TU_OK(orca_offer_reject(e, 8));
    assert_int_equal(w.o.noffers, 2);
    assert_int_equal(w.o.nwithdrawn, 0);
    tu_fx_free(&w.fx);
}

/* An offer made and timed out inside one advance was never announced, so
 * neither offer() nor withdraw() hears of it. */
static void test_unannounced_offer_not_withdrawn(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    tu_offers o;
    tu_offers_init(&o, e);
    TU_OK(orca_channel_set_callbacks(e, ORCA_CHANNEL_VOICE, &tu_offer_callbacks, &o));
    orca_skill_id vip = tu_skill(e, "vip");
    orca_step st = {1000, ORCA_STEP_DROP_REQUIRED, vip, 0};
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "q";
    qd.steps = &st;
    qd.nsteps = 1;
    orca_queue_id q = tu_queue_def(e, &qd);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    orca_skill_level req = {vip, 1};
    orca_interaction_def id;
    orca_interaction_def_init(&id);
    id.id = 9;
    id.queue = q;
    id.channel = ORCA_CHANNEL_VOICE;
    id.required = &req;
    id.nrequired = 1;
    TU_OK(orca_interaction_enqueue(e, &id));
    TU_OFFERED_TO(e, 9, 0);

    /* step at 1000 offers it, the offer times out at 21000 */
    tu_advance(e, 30000);
    assert_int_equal(tu_rec_count(&fx.rec, ORCA_EV_OFFERED), 1);
    assert_int_equal(tu_rec_count(&fx.rec, ORCA_EV_OFFER_TIMEOUT), 1);
    assert_int_equal(o.noffers, 0);
    assert_int_equal(o.nwithdrawn, 0);
    TU_OFFERED_TO(e, 9, 0);

    /* the exclusion runs out at 51000: offered again, and announced */
    tu_advance(e, 51000);
    TU_OFFERED_TO(e, 9, 1);
    assert_int_equal(o.noffers, 1);
    assert_int_equal(o.offer[0].attempt, 2);
    assert_int_equal(o.offer[0].offered_ms, 51000);
    tu_fx_free(&fx);
}

/* ------------------------------------------------------------------------ */
/* set_callbacks, set_wrapup                                                */
/* ------------------------------------------------------------------------ */

static void test_set_callbacks_replace_and_clear(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    tu_offers a, b;
    tu_offers_init(&a, e);
    tu_offers_init(&b, e);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);

    TU_OK(orca_channel_set_callbacks(e, ORCA_CHANNEL_VOICE, &tu_offer_callbacks, &a));
    tu_enqueue(e, 1, q, ORCA_CHANNEL_VOICE, 0);
    TU_OK(orca_interaction_cancel(e, 1));
    TU_OK(orca_channel_set_callbacks(e, ORCA_CHANNEL_VOICE, &tu_offer_callbacks, &b));
    tu_enqueue(e, 2, q, ORCA_CHANNEL_VOICE, 0);
    TU_OK(orca_interaction_cancel(e, 2));
    TU_OK(orca_channel_set_callbacks(e, ORCA_CHANNEL_VOICE, NULL, NULL));
    tu_enqueue(e, 3, q, ORCA_CHANNEL_VOICE, 0);
    TU_OK(orca_interaction_cancel(e, 3));
    assert_string_equal(a.log, "O:1:1 W:1:3");
    assert_string_equal(b.log, "O:2:1 W:2:3");

    /* Callbacks are per channel. */
    TU_OK(orca_channel_set_callbacks(e, ORCA_CHANNEL_CHAT, &tu_offer_callbacks, &a));
    tu_enqueue(e, 4, q, ORCA_CHANNEL_EMAIL, 0);
    tu_enqueue(e, 5, q, ORCA_CHANNEL_CHAT, 0);
    assert_string_equal(a.log, "O:1:1 W:1:3 O:5:1");
    tu_fx_free(&fx);
}

static void test_callbacks_struct_copied(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    tu_offers o;
    tu_offers_init(&o, e);
    orca_channel_callbacks cb = tu_offer_callbacks;
    orca_channel_def d = {"wa", 10, 0, &cb, &o};
    orca_channel_id wa;
    TU_OK(orca_channel_add(e, &d, &wa));
    cb.offer = NULL; /* the engine kept its own copy */
    cb.withdraw = NULL;
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_channel_limit lim = {wa, 1};
    orca_agent_def ad;
    orca_agent_def_init(&ad);
    ad.id = 1;
    ad.limits = &lim;
    ad.nlimits = 1;
    TU_OK(orca_agent_add(e, &ad));
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    tu_enqueue(e, 1, q, wa, 0);
    assert_int_equal(o.noffers, 1);
    assert_int_equal(o.offer[0].channel, wa);
    tu_fx_free(&fx);
}

static void test_wrapup(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_channel_def d = {"wa", 10, 3000, NULL, NULL};
    orca_channel_id wa;
    TU_OK(orca_channel_add(e, &d, &wa));
    TU_OK(orca_channel_set_wrapup(e, ORCA_CHANNEL_VOICE, 5000));
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_channel_limit lim[2] = {{ORCA_CHANNEL_VOICE, 1}, {wa, 1}};
    orca_agent_def ad;
    orca_agent_def_init(&ad);
    ad.id = 1;
    ad.limits = lim;
    ad.nlimits = 2;
    TU_OK(orca_agent_add(e, &ad));
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);

    /* voice: 5000 ms of wrap-up, set on a built-in */
    tu_enqueue(e, 1, q, ORCA_CHANNEL_VOICE, 0);
    TU_OK(orca_offer_accept(e, 1));
    tu_advance(e, 1000);
    TU_OK(orca_interaction_end(e, 1));
    assert_int_equal(tu_state(e, 1), ORCA_STATE_WRAPUP);
    orca_agent_info ai = tu_ainfo(e, 1);
    assert_int_equal(ai.wrapup, 1);
    assert_int_equal(ai.used, 100);
    uint64_t dl;
    TU_OK(orca_engine_next_deadline(e, &dl));
    assert_int_equal(dl, 6000);
    tu_advance(e, 5999);
    assert_int_equal(tu_state(e, 1), ORCA_STATE_WRAPUP);
    tu_advance(e, 6000);
    assert_int_equal(tu_state(e, 1), 0);
    const orca_event *c = tu_rec_last(&fx.rec, ORCA_EV_COMPLETED);
    assert_non_null(c);
    assert_int_equal(c->interaction, 1);
    assert_int_equal(c->duration_ms, 5000);
    assert_int_equal(c->time_ms, 6000);
    ai = tu_ainfo(e, 1);
    assert_int_equal(ai.used, 0);
    assert_int_equal(ai.idle_since_ms, 6000);

    /* host channel: 3000 from its def */
    tu_enqueue(e, 2, q, wa, 0);
    TU_OK(orca_offer_accept(e, 2));
    TU_OK(orca_interaction_end(e, 2));
    TU_OK(orca_engine_next_deadline(e, &dl));
    assert_int_equal(dl, 9000);

    /* changed to 0: completes at once */
    TU_OK(orca_interaction_wrapup_done(e, 2));
    TU_OK(orca_channel_set_wrapup(e, wa, 0));
    tu_enqueue(e, 3, q, wa, 0);
    TU_OK(orca_offer_accept(e, 3));
    size_t from = fx.rec.n;
    TU_OK(orca_interaction_end(e, 3));
    assert_int_equal(tu_state(e, 3), 0);
    TU_SEQ(&fx.rec, from, 3, "ENDED COMPLETED");
    assert_int_equal(tu_ainfo(e, 1).used, 0);
    tu_fx_free(&fx);
}

int main(void)
{
    tu_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtins),
        cmocka_unit_test(test_builtin_costs),
        cmocka_unit_test(test_cost_limits_work),
        cmocka_unit_test(test_channel_add),
        cmocka_unit_test(test_channel_add_bad),
        cmocka_unit_test(test_channel_limit),
        cmocka_unit_test(test_unknown_channel_ids),
        cmocka_unit_test(test_offer_callback_after_state_change),
        cmocka_unit_test(test_offer_callback_reject_inside),
        cmocka_unit_test(test_offer_callbacks_in_order),
        cmocka_unit_test(test_offer_withdrawn_before_callback),
        cmocka_unit_test(test_withdraw_on_timeout),
        cmocka_unit_test(test_withdraw_on_abandon),
        cmocka_unit_test(test_withdraw_on_cancel),
        cmocka_unit_test(test_withdraw_on_agent_removed),
        cmocka_unit_test(test_no_withdraw_on_answer),
        cmocka_unit_test(test_unannounced_offer_not_withdrawn),
        cmocka_unit_test(test_set_callbacks_replace_and_clear),
        cmocka_unit_test(test_callbacks_struct_copied),
        cmocka_unit_test(test_wrapup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
