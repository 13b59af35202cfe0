/*
 * test_listings.c: the listings (agents, live interactions, an agent's
 * work, a queue's waiting work in routing order), cursors that stay right
 * while the engine changes between pages, positions under aging, priority
 * changes, held work, steps and overflow, the oldest waiting arrival, and
 * bad input that must change nothing.
 */
#include "testutil.h"

#include <stdlib.h>
#include <unistd.h>

#define V ORCA_CHANNEL_VOICE

/* Every id of one listing call's page, into ids; returns the count. */
static uint32_t agent_page(orca_engine *e, orca_cursor *c, uint32_t cap, uint64_t *ids)
{
    orca_agent_info buf[16];
    uint32_t n = 99;
    assert_true(cap <= 16);
    TU_OK(orca_agent_list(e, c, buf, cap, &n));
    assert_true(n <= cap);
    for (uint32_t k = 0; k < n; k++)
        ids[k] = buf[k].id;
    return n;
}

static uint32_t waiting_page(orca_engine *e, orca_queue_id q, orca_cursor *c, uint32_t cap,
                             uint64_t *ids)
{
    orca_interaction_info buf[32];
    uint32_t n = 99;
    assert_true(cap <= 32);
    TU_OK(orca_queue_waiting_list(e, q, c, buf, cap, &n));
    assert_true(n <= cap);
    for (uint32_t k = 0; k < n; k++) {
        ids[k] = buf[k].id;
        assert_int_equal(buf[k].state, ORCA_STATE_WAITING);
        assert_int_equal(buf[k].queue, q);
    }
    return n;
}

/* The whole routing order of q, checked against every position query. */
static uint32_t waiting_all(orca_engine *e, orca_queue_id q, uint64_t *ids, uint32_t max)
{
    orca_cursor c = {0};
    uint32_t n = 0, got;
    while ((got = waiting_page(e, q, &c, 3, ids + n)) > 0) {
        n += got;
        assert_true(n <= max);
        if (got < 3)
            break;
    }
    orca_queue_info qi = tu_qinfo(e, q);
    assert_int_equal(n, qi.waiting);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t ahead = 99, waiting = 99;
        TU_OK(orca_interaction_position(e, ids[k], &ahead, &waiting));
        assert_int_equal(ahead, k);
        assert_int_equal(waiting, n);
    }
    return n;
}

#define ASSERT_IDS(got, n, ...) do {                                        \
        const uint64_t want_[] = { __VA_ARGS__ };                           \
        assert_int_equal((n), sizeof(want_) / sizeof(want_[0]));           \
        for (uint32_t k_ = 0; k_ < (n); k_++)                               \
            assert_int_equal((got)[k_], want_[k_]);                         \
    } while (0)

static void test_agent_list_paging_and_cursor(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    const uint64_t ids[] = { 50, 10, 90, 30, 70 };
    for (int k = 0; k < 5; k++)
        tu_agent(e, ids[k], 100, NULL, 0);
    tu_ready(e, 30);
    orca_cursor c = {0};
    uint64_t got[16];
    uint32_t n = agent_page(e, &c, 2, got);
    ASSERT_IDS(got, n, 10, 30);
    /* presence and counts are in the listing */
    orca_agent_info one;
    orca_cursor c1 = {0};
    TU_OK(orca_agent_list(e, &c1, &one, 1, &n));
    assert_int_equal(n, 1);
    assert_int_equal(one.id, 10);
    assert_int_equal(one.presence, ORCA_PRESENCE_OFFLINE);
    TU_OK(orca_agent_list(e, &c1, &one, 1, &n));
    assert_int_equal(one.id, 30);
    assert_int_equal(one.presence, ORCA_PRESENCE_READY);
    /* the engine changes between pages: removed entries before the cursor
     * change nothing, new ones after it appear, ones before it do not */
    TU_OK(orca_agent_remove(e, 30));
    TU_OK(orca_agent_remove(e, 50));
    tu_agent(e, 20, 100, NULL, 0);
    tu_agent(e, 40, 100, NULL, 0);
    n = agent_page(e, &c, 2, got);
    ASSERT_IDS(got, n, 40, 70);
    n = agent_page(e, &c, 2, got);
    ASSERT_IDS(got, n, 90);
    n = agent_page(e, &c, 2, got);
    assert_int_equal(n, 0);
    /* cap 0 writes nothing and needs no buffer */
    orca_cursor z = {0};
    TU_OK(orca_agent_list(e, &z, NULL, 0, &n));
    assert_int_equal(n, 0);
    assert_int_equal(z.k1, 0);
    tu_fx_free(&fx);
}

static void test_interaction_list_every_state(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    tu_enqueue(e, 300, q, V, 0); /* offered to 1 */
    tu_enqueue(e, 100, q, V, 0); /* waiting */
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 200;
    d.queue = q;
    d.channel = V;
    d.not_before_ms = 60000; /* scheduled */
    TU_OK(orca_interaction_enqueue(e, &d));
    d.id = 400;
    d.not_before_ms = 0;
    d.bot = 1;
    TU_OK(orca_interaction_enqueue(e, &d));
    orca_interaction_info buf[8];
    orca_cursor c = {0};
    uint32_t n = 0;
    TU_OK(orca_interaction_list(e, &c, buf, 3, &n));
    assert_int_equal(n, 3);
    assert_int_equal(buf[0].id, 100);
    assert_int_equal(buf[0].state, ORCA_STATE_WAITING);
    assert_int_equal(buf[1].id, 200);
    assert_int_equal(buf[1].state, ORCA_STATE_SCHEDULED);
    assert_int_equal(buf[2].id, 300);
    assert_int_equal(buf[2].state, ORCA_STATE_OFFERED);
    assert_int_equal(buf[2].agent, 1);
    /* 300 ends and 250 arrives behind the cursor, 500 ahead of it */
    TU_OK(orca_offer_accept(e, 300));
    TU_OK(orca_interaction_end(e, 300));
    tu_enqueue(e, 250, q, V, 0);
    tu_enqueue(e, 500, q, V, 0);
    TU_OK(orca_interaction_list(e, &c, buf, 8, &n));
    assert_int_equal(n, 2);
    assert_int_equal(buf[0].id, 400);
    assert_int_equal(buf[0].state, ORCA_STATE_BOT);
    assert_int_equal(buf[1].id, 500);
    /* a fresh cursor sees everything live */
    orca_cursor c2 = {0};
    TU_OK(orca_interaction_list(e, &c2, buf, 8, &n));
    assert_int_equal(n, tu_counts(e).interactions);
    tu_fx_free(&fx);
}

static void test_agent_work_list(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 75, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    tu_enqueue(e, 30, q, ORCA_CHANNEL_CHAT, 0);
    tu_enqueue(e, 10, q, ORCA_CHANNEL_CHAT, 0);
    tu_enqueue(e, 20, q, ORCA_CHANNEL_CHAT, 0);
    tu_enqueue(e, 40, q, ORCA_CHANNEL_CHAT, 0); /* no room: waiting */
    TU_OK(orca_offer_accept(e, 10));
    orca_interaction_info buf[4];
    orca_cursor c = {0};
    uint32_t n = 0;
    TU_OK(orca_agent_work_list(e, 1, &c, buf, 2, &n));
    assert_int_equal(n, 2);
    assert_int_equal(buf[0].id, 10);
    assert_int_equal(buf[0].state, ORCA_STATE_BUSY);
    assert_int_equal(buf[1].id, 20);
    assert_int_equal(buf[1].state, ORCA_STATE_OFFERED);
    TU_OK(orca_agent_work_list(e, 1, &c, buf, 2, &n));
    assert_int_equal(n, 1);
    assert_int_equal(buf[0].id, 30);
    TU_OK(orca_agent_work_list(e, 1, &c, buf, 2, &n));
    assert_int_equal(n, 0);
    tu_agent(e, 2, 100, NULL, 0);
    orca_cursor c2 = {0};
    TU_OK(orca_agent_work_list(e, 2, &c2, buf, 4, &n));
    assert_int_equal(n, 0);
    tu_fx_free(&fx);
}

/* Routing order: priority first, then arrival, then enqueue order; held
 * work counts; positions agree with the listing. */
static void test_routing_order_and_positions(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 7, 100, NULL, 0);
    tu_member(e, q, 7, 0);
    tu_ready(e, 7);
    tu_enqueue(e, 99, q, V, 0); /* keeps agent 7 busy: held work waits */
    TU_OK(orca_offer_accept(e, 99));
    tu_enqueue(e, 1, q, V, 0);
    tu_advance(e, 10);
    tu_enqueue(e, 2, q, V, 5);
    tu_advance(e, 20);
    tu_enqueue(e, 3, q, V, 0);
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 4;
    d.queue = q;
    d.channel = V;
    d.priority = 5;
    d.agent = 7; /* held for agent 7 */
    d.agent_wait_ms = 600000;
    TU_OK(orca_interaction_enqueue(e, &d));
    assert_int_equal(tu_info(e, 4).target_agent, 7);
    tu_enqueue(e, 5, q, V, 9);
    uint64_t ids[16];
    uint32_t n = waiting_all(e, q, ids, 16);
    ASSERT_IDS(ids, n, 5, 2, 4, 1, 3);
    /* oldest arrival is the earliest, not the first in routing order */
    assert_int_equal(tu_qinfo(e, q).oldest_arrival_ms, 0);
    /* a priority change moves it */
    TU_OK(orca_interaction_set_priority(e, 3, 7));
    n = waiting_all(e, q, ids, 16);
    ASSERT_IDS(ids, n, 5, 3, 2, 4, 1);
    /* leaving: abandon and an offer */
    TU_OK(orca_interaction_abandon(e, 1));
    assert_int_equal(tu_qinfo(e, q).oldest_arrival_ms, 10);
    TU_OK(orca_interaction_end(e, 99));
    /* agent 7 takes its best: 5 (priority 9) */
    TU_OFFERED_TO(e, 5, 7);
    uint32_t ahead;
    TU_RC(orca_interaction_position(e, 5, &ahead, NULL), ORCA_ESTATE);
    n = waiting_all(e, q, ids, 16);
    ASSERT_IDS(ids, n, 3, 2, 4);
    tu_fx_free(&fx);
}

static void test_positions_follow_aging(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "aging";
    qd.aging_ms = 1000;
    qd.aging_max = 5;
    orca_queue_id q = tu_queue_def(e, &qd);
    tu_enqueue(e, 1, q, V, 0);
    tu_advance(e, 500);
    tu_enqueue(e, 2, q, V, 3);
    uint64_t ids[8];
    uint32_t n = waiting_all(e, q, ids, 8);
    ASSERT_IDS(ids, n, 2, 1);
    /* at 4000 ms: 1 has aged to 4, 2 to 3 + 3 = 6 capped at 5 */
    tu_advance(e, 3000);
    n = waiting_all(e, q, ids, 8);
    ASSERT_IDS(ids, n, 2, 1);
    tu_advance(e, 5600); /* both at 5: arrival decides */
    assert_int_equal(tu_info(e, 1).effective_priority, 5);
    assert_int_equal(tu_info(e, 2).effective_priority, 5);
    n = waiting_all(e, q, ids, 8);
    ASSERT_IDS(ids, n, 1, 2);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* Steps move work between classes of one queue: its place in the queue
 * does not change. Overflow moves it to another queue's order. */
static void test_positions_across_steps_and_overflow(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id s = tu_skill(e, "fr");
    orca_queue_id b = tu_queue(e, "b", ORCA_STRATEGY_LONGEST_IDLE);
    orca_step st = { 1000, ORCA_STEP_DROP_REQUIRED, s, 0 };
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "a";
    qd.steps = &st;
    qd.nsteps = 1;
    qd.overflow_after_ms = 5000;
    qd.overflow_to = b;
    orca_queue_id a = tu_queue_def(e, &qd);
    orca_skill_level fr = { s, 5 };
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 1;
    d.queue = a;
    d.channel = V;
    d.required = &fr;
    d.nrequired = 1;
    TU_OK(orca_interaction_enqueue(e, &d)); /* class a/fr */
    tu_advance(e, 100);
    tu_enqueue(e, 2, a, V, 0);              /* class a/none */
    tu_advance(e, 200);
    tu_enqueue(e, 3, b, V, 0);
    uint64_t ids[8];
    uint32_t n = waiting_all(e, a, ids, 8);
    ASSERT_IDS(ids, n, 1, 2);
    tu_advance(e, 1500); /* 1 steps: now in 2's class, still first */
    assert_int_equal(tu_info(e, 1).step, 1);
    n = waiting_all(e, a, ids, 8);
    ASSERT_IDS(ids, n, 1, 2);
    tu_advance(e, 5050); /* 1 overflows to b, keeping its arrival (0) */
    assert_int_equal(tu_info(e, 1).queue, b);
    n = waiting_all(e, a, ids, 8);
    ASSERT_IDS(ids, n, 2);
    n = waiting_all(e, b, ids, 8);
    ASSERT_IDS(ids, n, 1, 3);
    assert_int_equal(tu_qinfo(e, b).oldest_arrival_ms, 0);
    assert_int_equal(tu_qinfo(e, a).oldest_arrival_ms, 100);
    tu_advance(e, 5200); /* 2 overflows too */
    n = waiting_all(e, b, ids, 8);
    ASSERT_IDS(ids, n, 1, 2, 3);
    assert_int_equal(tu_qinfo(e, a).waiting, 0);
    assert_int_equal(tu_qinfo(e, a).oldest_arrival_ms, 0);
    tu_fx_free(&fx);
}

/* Held work released to its class keeps its place; an agent removal
 * puts its offered work back in order. */
static void test_positions_held_release_and_agent_removal(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 7, 100, NULL, 0);
    tu_member(e, q, 7, 0);
    tu_enqueue(e, 1, q, V, 0);
    tu_advance(e, 10);
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 2;
    d.queue = q;
    d.channel = V;
    d.agent = 7;
    d.agent_wait_ms = 1000;
    TU_OK(orca_interaction_enqueue(e, &d));
    tu_advance(e, 20);
    tu_enqueue(e, 3, q, V, 0);
    uint64_t ids[8];
    uint32_t n = waiting_all(e, q, ids, 8);
    ASSERT_IDS(ids, n, 1, 2, 3);
    tu_advance(e, 2000); /* the hold expires: 2 moves to its class */
    assert_int_equal(tu_info(e, 2).target_agent, 0);
    n = waiting_all(e, q, ids, 8);
    ASSERT_IDS(ids, n, 1, 2, 3);
    tu_ready(e, 7); /* takes 1 */
    TU_OFFERED_TO(e, 1, 7);
    n = waiting_all(e, q, ids, 8);
    ASSERT_IDS(ids, n, 2, 3);
    TU_OK(orca_agent_remove(e, 7)); /* 1 comes back first */
    n = waiting_all(e, q, ids, 8);
    ASSERT_IDS(ids, n, 1, 2, 3);
    tu_fx_free(&fx);
}

/* A cursor in routing order: entries after it appear, ones before not. */
static void test_waiting_cursor_across_changes(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    for (uint64_t id = 1; id <= 6; id++) {
        tu_enqueue(e, id, q, V, 0);
        tu_advance(e, id * 10);
    }
    orca_cursor c = {0};
    uint64_t ids[8];
    uint32_t n = waiting_page(e, q, &c, 2, ids);
    ASSERT_IDS(ids, n, 1, 2);
    TU_OK(orca_interaction_abandon(e, 3));  /* after the cursor: gone */
    TU_OK(orca_interaction_abandon(e, 1));  /* before it: no effect */
    TU_OK(orca_interaction_set_priority(e, 6, 9)); /* jumps before it */
    tu_enqueue(e, 7, q, V, 0);              /* at the end */
    n = waiting_page(e, q, &c, 8, ids);
    ASSERT_IDS(ids, n, 4, 5, 7);
    tu_fx_free(&fx);
}

static void test_bad_input_changes_nothing(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    tu_enqueue(e, 10, q, V, 0); /* offered */
    tu_enqueue(e, 11, q, V, 0); /* waiting */
    orca_cursor c = {0}, c0 = {0};
    orca_agent_info ai[2];
    orca_interaction_info ii[2];
    uint32_t n = 77, ahead = 77, waiting = 77;
    TU_FAILS(e, orca_agent_list(NULL, &c, ai, 2, &n), ORCA_EINVAL);
    TU_FAILS(e, orca_agent_list(e, NULL, ai, 2, &n), ORCA_EINVAL);
    TU_FAILS(e, orca_agent_list(e, &c, NULL, 2, &n), ORCA_EINVAL);
    TU_FAILS(e, orca_agent_list(e, &c, ai, 2, NULL), ORCA_EINVAL);
    TU_FAILS(e, orca_interaction_list(NULL, &c, ii, 2, &n), ORCA_EINVAL);
    TU_FAILS(e, orca_interaction_list(e, &c, NULL, 1, &n), ORCA_EINVAL);
    TU_FAILS(e, orca_queue_waiting_list(e, q, NULL, ii, 2, &n), ORCA_EINVAL);
    TU_FAILS(e, orca_queue_waiting_list(e, 0, &c, ii, 2, &n), ORCA_ENOENT);
    TU_FAILS(e, orca_queue_waiting_list(e, q + 1, &c, ii, 2, &n), ORCA_ENOENT);
    TU_FAILS(e, orca_agent_work_list(e, 0, &c, ii, 2, &n), ORCA_EINVAL);
    TU_FAILS(e, orca_agent_work_list(e, 2, &c, ii, 2, &n), ORCA_ENOENT);
    TU_FAILS(e, orca_agent_work_list(e, 1, &c, ii, 2, NULL), ORCA_EINVAL);
    TU_FAILS(e, orca_interaction_position(NULL, 11, &ahead, &waiting), ORCA_EINVAL);
    TU_FAILS(e, orca_interaction_position(e, 0, &ahead, &waiting), ORCA_EINVAL);
    TU_FAILS(e, orca_interaction_position(e, 11, NULL, &waiting), ORCA_EINVAL);
    TU_FAILS(e, orca_interaction_position(e, 12, &ahead, &waiting), ORCA_ENOENT);
    TU_FAILS(e, orca_interaction_position(e, 10, &ahead, &waiting), ORCA_ESTATE);
    /* failed calls leave their outputs and the cursor alone */
    assert_int_equal(n, 77);
    assert_int_equal(ahead, 77);
    assert_int_equal(waiting, 77);
    assert_memory_equal(&c, &c0, sizeof(c));
    TU_OK(orca_interaction_position(e, 11, &ahead, &waiting));
    assert_int_equal(ahead, 0);
    assert_int_equal(waiting, 1);
    tu_fx_free(&fx);
}


/* ---- queue removal -------------------------------------------------- */

/* Every rule that keeps a queue: each refusal changes nothing. */
static void test_queue_remove_refused(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id spare = tu_queue(e, "spare", ORCA_STRATEGY_LONGEST_IDLE);
    TU_FAILS(e, orca_queue_remove(NULL, q), ORCA_EINVAL);
    TU_FAILS(e, orca_queue_remove(e, 0), ORCA_ENOENT);
    TU_FAILS(e, orca_queue_remove(e, spare + 1), ORCA_ENOENT);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    /* waiting work */
    tu_enqueue(e, 10, q, V, 0); /* offered to 1 */
    TU_FAILS(e, orca_queue_remove(e, q), ORCA_ESTATE);
    tu_enqueue(e, 11, q, V, 0); /* waiting */
    TU_FAILS(e, orca_queue_remove(e, q), ORCA_ESTATE);
    TU_OK(orca_interaction_cancel(e, 11));
    TU_OK(orca_offer_accept(e, 10)); /* busy */
    TU_FAILS(e, orca_queue_remove(e, q), ORCA_ESTATE);
    TU_OK(orca_interaction_end(e, 10));
    /* scheduled and bot work */
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 12;
    d.queue = q;
    d.channel = V;
    d.not_before_ms = 100000;
    TU_OK(orca_interaction_enqueue(e, &d));
    TU_FAILS(e, orca_queue_remove(e, q), ORCA_ESTATE);
    TU_OK(orca_interaction_cancel(e, 12));
    d.id = 13;
    d.not_before_ms = 0;
    d.bot = 1;
    TU_OK(orca_interaction_enqueue(e, &d));
    TU_FAILS(e, orca_queue_remove(e, q), ORCA_ESTATE);
    TU_OK(orca_interaction_cancel(e, 13));
    /* another queue overflows to it, or redirects to it when closed */
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "over";
    qd.overflow_after_ms = 1000;
    qd.overflow_to = q;
    orca_queue_id over = tu_queue_def(e, &qd);
    TU_FAILS(e, orca_queue_remove(e, q), ORCA_ESTATE);
    TU_OK(orca_queue_remove(e, over));
    orca_hours h;
    memset(&h, 0, sizeof h);
    h.when_closed = ORCA_CLOSED_REDIRECT;
    h.redirect_to = q;
    TU_OK(orca_queue_set_hours(e, spare, &h));
    TU_FAILS(e, orca_queue_remove(e, q), ORCA_ESTATE);
    TU_OK(orca_queue_set_hours(e, spare, NULL));
    /* work that overflowed out of it (its plan still passes through it:
     * the differential found removal allowed here, and the engine then
     * holding classes of a freed queue) */
    qd.name = "from";
    qd.overflow_after_ms = 0;
    qd.overflow_to = 0;
    orca_queue_id to = tu_queue_def(e, &qd);
    qd.name = "src";
    qd.overflow_after_ms = 1000;
    qd.overflow_to = to;
    orca_queue_id src = tu_queue_def(e, &qd);
    tu_enqueue(e, 14, src, ORCA_CHANNEL_EMAIL, 0);
    tu_advance(e, orca_engine_now(e) + 2000);
    assert_int_equal(tu_info(e, 14).queue, to);
    TU_FAILS(e, orca_queue_remove(e, src), ORCA_ESTATE);
    TU_OK(orca_interaction_cancel(e, 14));
    TU_OK(orca_queue_remove(e, src));
    TU_CHECK(e);
    /* nothing left: removed */
    TU_OK(orca_queue_remove(e, q));
    TU_FAILS(e, orca_queue_remove(e, q), ORCA_ENOENT);
    tu_fx_free(&fx);
}

static void test_queue_remove_effects(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_queue_id q1 = tu_queue(e, "one", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q2 = tu_queue(e, "two", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q1, 1, 0);
    tu_member(e, q2, 1, 0);
    TU_OK(orca_agent_set_queue_rank(e, 1, q1, 3));
    tu_ready(e, 1);
    tu_enqueue(e, 10, q1, V, 0); /* builds q1's classes */
    TU_OK(orca_offer_accept(e, 10));
    TU_OK(orca_interaction_end(e, 10));
    orca_counts before = tu_counts(e);
    assert_true(before.classes >= 1);
    size_t from = fx.rec.n;
    TU_OK(orca_queue_remove(e, q1));
    TU_SEQ(&fx.rec, from, 0, "QUEUE_REMOVED");
    assert_int_equal(tu_rec_last(&fx.rec, ORCA_EV_QUEUE_REMOVED)->queue, q1);
    orca_counts after = tu_counts(e);
    assert_int_equal(after.queues, before.queues - 1);
    assert_true(after.classes < before.classes); /* its classes went */
    TU_CHECK(e);
    /* the hole answers ENOENT everywhere */
    orca_queue_info qi;
    orca_queue_id f;
    orca_cursor c = {0};
    orca_interaction_info ii;
    uint32_t n;
    TU_RC(orca_queue_info_get(e, q1, &qi), ORCA_ENOENT);
    assert_null(orca_queue_name(e, q1));
    TU_RC(orca_queue_find(e, "one", &f), ORCA_ENOENT);
    TU_RC(orca_queue_member_add(e, q1, 1, 0), ORCA_ENOENT);
    TU_RC(orca_queue_member_remove(e, q1, 1), ORCA_ENOENT);
    TU_RC(orca_agent_set_queue_rank(e, 1, q1, 1), ORCA_ENOENT);
    TU_RC(orca_queue_waiting_list(e, q1, &c, &ii, 1, &n), ORCA_ENOENT);
    TU_RC(orca_queue_set_hours(e, q1, NULL), ORCA_ENOENT);
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 11;
    d.queue = q1;
    d.channel = V;
    TU_RC(orca_interaction_enqueue(e, &d), ORCA_ENOENT);
    /* the id is not given again; the name is free */
    orca_queue_id q3 = tu_queue(e, "one", ORCA_STRATEGY_LONGEST_IDLE);
    assert_int_equal(q3, q2 + 1);
    TU_OK(orca_queue_find(e, "one", &f));
    assert_int_equal(f, q3);
    /* agent 1 still serves q2, and is no member of the new "one" */
    tu_enqueue(e, 12, q3, V, 0);
    TU_OFFERED_TO(e, 12, 0);
    tu_enqueue(e, 13, q2, V, 0);
    TU_OFFERED_TO(e, 13, 1);
    TU_CHECK(e);
    tu_fx_free(&fx);
}

/* Journaled and snapshotted: a replay rebuilds the holes exactly. */
static void test_queue_remove_journal(void **state)
{
    (void)state;
    char dir[] = "/tmp/orca-listings-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/j.jrnl", dir);
    orca_journal_config jc = { .sync = ORCA_SYNC_NEVER };
    tu_fx fa, fb;
    orca_engine *a = tu_fx_new(&fa, NULL);
    TU_OK(orca_journal_open(a, path, &jc));
    orca_queue_id q1 = tu_queue(a, "one", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q2 = tu_queue(a, "two", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q3 = tu_queue(a, "three", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(a, 1, 100, NULL, 0);
    tu_member(a, q2, 1, 0);
    tu_member(a, q3, 1, 0);
    TU_OK(orca_queue_remove(a, q2));
    TU_OK(orca_journal_compact(a)); /* a snapshot with a hole */
    tu_queue(a, "four", ORCA_STRATEGY_LONGEST_IDLE);
    TU_OK(orca_queue_remove(a, q1));   /* a record after it */
    tu_enqueue(a, 5, q3, V, 0);
    TU_OK(orca_journal_compact(a)); /* and a snapshot with two holes */
    orca_queue_id q5 = tu_queue(a, "five", ORCA_STRATEGY_LONGEST_IDLE);
    TU_OK(orca_queue_remove(a, q5));
    /* many holes: a snapshot whose queue list is mostly one-byte holes (a
     * length check that wanted 16 bytes a queue refused it) */
    for (int k = 0; k < 40; k++) {
        char name[16];
        snprintf(name, sizeof name, "tmp%d", k);
        TU_OK(orca_queue_remove(a, tu_queue(a, name, ORCA_STRATEGY_LONGEST_IDLE)));
    }
    TU_OK(orca_journal_compact(a));
    TU_OK(orca_journal_close(a));
    orca_engine *b = tu_fx_new(&fb, NULL);
    TU_OK(orca_journal_replay(b, path, &jc, NULL));
    char *da = tu_dump(a), *db = tu_dump(b);
    tu_same_text_(da, db, "replayed engine", __FILE__, __LINE__);
    assert_non_null(strstr(db, "queue 1 removed"));
    assert_non_null(strstr(db, "queue 2 removed"));
    free(da);
    free(db);
    assert_int_equal(tu_counts(b).queues, 2);
    assert_int_equal(tu_counts(b).queues, tu_counts(a).queues);
    TU_CHECK(b);
    TU_OK(orca_journal_close(b));
    tu_fx_free(&fb);
    tu_fx_free(&fa);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    tu_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agent_list_paging_and_cursor),
        cmocka_unit_test(test_interaction_list_every_state),
        cmocka_unit_test(test_agent_work_list),
        cmocka_unit_test(test_routing_order_and_positions),
        cmocka_unit_test(test_positions_follow_aging),
        cmocka_unit_test(test_positions_across_steps_and_overflow),
        cmocka_unit_test(test_positions_held_release_and_agent_removal),
        cmocka_unit_test(test_waiting_cursor_across_changes),
        cmocka_unit_test(test_bad_input_changes_nothing),
        cmocka_unit_test(test_queue_remove_refused),
        cmocka_unit_test(test_queue_remove_effects),
        cmocka_unit_test(test_queue_remove_journal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
