/*
 * test_hours.c: opening hours. Weekly ranges in local time with a UTC
 * offset (open/closed and next_change_ms at hand-picked Unix instants
 * around Monday 2025-11-24 00:00 UTC = 1763942400000), negative offsets
 * crossing the day, adjacent ranges, exceptions (a holiday closing an open
 * range, a special opening, the last matching exception winning), the
 * reach of a year, what closed queues do with new work (REJECT: ORCA_ECLOSED
 * and REJECTED_CLOSED with nothing kept; HOLD: SCHEDULED until the opening,
 * reason ORCA_SCHED_CLOSED; REDIRECT: ENQUEUED names the new queue,
 * queue_from the closed one, bit ORCA_ENQ_REDIRECTED; chains, the 8-hop
 * limit, loops), malformed schedules each refused with the engine
 * unchanged, clearing hours, transfers and escalations into closed queues,
 * and an allocation-failure sweep over the hours calls.
 *
 * Readings of orca.h / DESIGN.md this suite takes where they could be
 * read two ways (each marked "Reading:" where it is used):
 *  - Hours are looked at when new work arrives, at the clock of that call
 *    (DESIGN: "closed at `now`"): a callback slot is not checked against
 *    the hours. So a REJECT queue refuses, while closed, a callback booked
 *    for a time it will be open, and a HOLD queue's booked callback becomes
 *    routable at its slot even if the queue is closed by then.
 *  - A REJECTED_CLOSED event for a refused redirect loop names the queue
 *    the host asked for.
 *  - HOLD with no opening within a year refuses the work like REJECT
 *    (ORCA_ECLOSED and a REJECTED_CLOSED event).
 *  - A transferred leg held until a queue opens keeps the first leg's
 *    arrival_ms (transfer rule) with queued_ms the opening; an escalated
 *    leg held so has arrival = queued = the opening (enqueue rule).
 *
 * test_offset_before_epoch failed when written: hours.c clamps a negative
 * local time to 1970-01-01 00:00 (a Thursday) instead of reading it as
 * 1969-12-31 (a Wednesday), so a clock near 0 with a negative utc offset
 * is read on the wrong day.
 */
#include "testutil.h"

#include "journeyutil.h"

/* ------------------------------------------------------------------------ */
/* Local helpers                                                            */
/* ------------------------------------------------------------------------ */

#define MON MON_MS
#define NEVER UINT64_MAX

static const orca_hours_range WEEKDAYS_9_17[5] = {
    { 1, 540, 1020 }, { 2, 540, 1020 }, { 3, 540, 1020 }, { 4, 540, 1020 }, { 5, 540, 1020 },
};

static int set_hours(orca_engine *e, orca_queue_id q, int32_t offset_min,
                     const orca_hours_range *r, uint32_t nr, const orca_hours_exception *x,
                     uint32_t nx, orca_closed_action act, orca_queue_id to)
{
    orca_hours h;
    memset(&h, 0, sizeof(h));
    h.utc_offset_min = offset_min;
    h.ranges = r;
    h.nranges = nr;
    h.exceptions = x;
    h.nexceptions = nx;
    h.when_closed = act;
    h.redirect_to = to;
    return orca_queue_set_hours(e, q, &h);
}

/* Move the clock to t (if later) and check q's openness and next change. */
static void probe_(orca_engine *e, orca_queue_id q, uint64_t t, int want_open,
                   uint64_t want_next, const char *file, int line)
{
    if (t > orca_engine_now(e))
        tu_rc_(orca_engine_advance(e, t), ORCA_OK, "advance", file, line);
    if (orca_engine_now(e) != t) {
        print_error("probe at %llu but the clock is at %llu\n", (unsigned long long)t,
                    (unsigned long long)orca_engine_now(e));
        _fail(file, line);
    }
    int open = -1;
    uint64_t next = 0;
    tu_rc_(orca_queue_is_open(e, q, &open, &next), ORCA_OK, "orca_queue_is_open", file, line);
    if (open != want_open || next != want_next) {
        print_error("queue %u at MON%+lld ms: open=%d next=MON%+lld, expected open=%d "
                    "next=MON%+lld\n", q, (long long)(t - MON), open,
                    next == NEVER ? 0LL : (long long)(next - MON), want_open,
                    want_next == NEVER ? 0LL : (long long)(want_next - MON));
        if (next == NEVER || want_next == NEVER)
            print_error("  (NEVER: got %d, expected %d)\n", next == NEVER, want_next == NEVER);
        _fail(file, line);
    }
}
#define PROBE(e, q, t, open, next) probe_((e), (q), (t), (open), (next), __FILE__, __LINE__)

/* ------------------------------------------------------------------------ */
/* Open or closed, and when that changes                                    */
/* ------------------------------------------------------------------------ */

static void test_no_hours_always_open(void **state)
{
    (void)state;
    jfx *f = jfx_new(MON);
    orca_engine *e = f->e;
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    PROBE(e, q, MON, 1, NEVER);
    int open = -1;
    TU_OK(orca_queue_is_open(e, q, &open, NULL)); /* next_change_ms may be NULL */
    assert_int_equal(open, 1);
    PROBE(e, q, MON + 5 * DAY_MS + 3 * HOUR_MS, 1, NEVER);
    jfx_free(f);
}

/* Mon-Fri 09:00-17:00 at UTC+1: 08:00-16:00 UTC. */
static void test_weekly_utc_plus_one(void **state)
{
    (void)state;
    jfx *f = jfx_new(MON);
    orca_engine *e = f->e;
    orca_queue_id q = tu_queue(e, "paris", ORCA_STRATEGY_LONGEST_IDLE);
    TU_OK(set_hours(e, q, 60, WEEKDAYS_9_17, 5, NULL, 0, ORCA_CLOSED_REJECT, 0));
    PROBE(e, q, MON, 0, MON + 8 * HOUR_MS);                      /* Mon 01:00 local */
    PROBE(e, q, MON + 8 * HOUR_MS - 1, 0, MON + 8 * HOUR_MS);
    PROBE(e, q, MON + 8 * HOUR_MS, 1, MON + 16 * HOUR_MS);       /* Mon 09:00 local */
    PROBE(e, q, MON + 16 * HOUR_MS - 1, 1, MON + 16 * HOUR_MS);
    PROBE(e, q, MON + 16 * HOUR_MS, 0, MON + DAY_MS + 8 * HOUR_MS); /* Mon 17:00 */
    PROBE(e, q, MON + 4 * DAY_MS + 12 * HOUR_MS, 1, MON + 4 * DAY_MS + 16 * HOUR_MS); /* Fri */
    PROBE(e, q, MON + 4 * DAY_MS + 16 * HOUR_MS, 0, MON + 7 * DAY_MS + 8 * HOUR_MS);
    PROBE(e, q, MON + 5 * DAY_MS + 12 * HOUR_MS, 0, MON + 7 * DAY_MS + 8 * HOUR_MS); /* Sat */
    /* Sun 23:00 UTC is Mon 00:00 local: still closed until 08:00 UTC */
    PROBE(e, q, MON + 6 * DAY_MS + 23 * HOUR_MS, 0, MON + 7 * DAY_MS + 8 * HOUR_MS);
    PROBE(e, q, MON + 7 * DAY_MS + 8 * HOUR_MS, 1, MON + 7 * DAY_MS + 16 * HOUR_MS);
    TU_CHECK(e);
    jfx_free(f);
}

/* UTC-5: Mon 00:00 UTC is Sun 19:00 local, inside a Sunday range. */
static void test_weekly_negative_offset(void **state)
{
    (void)state;
    jfx *f = jfx_new(MON);
    orca_engine *e = f->e;
    orca_queue_id q = tu_queue(e, "nyc", ORCA_STRATEGY_LONGEST_IDLE);
    const orca_hours_range r[2] = { { 0, 1080, 1200 }, { 1, 540, 1020 } };
    TU_OK(set_hours(e, q, -300, r, 2, NULL, 0, ORCA_CLOSED_REJECT, 0));
    PROBE(e, q, MON, 1, MON + 1 * HOUR_MS);                   /* Sun 19:00 -> 20:00 */
    PROBE(e, q, MON + 1 * HOUR_MS, 0, MON + 14 * HOUR_MS);    /* -> Mon 09:00 local */
    PROBE(e, q, MON + 14 * HOUR_MS, 1, MON + 22 * HOUR_MS);   /* -> Mon 17:00 local */
    /* next: Sun 2025-11-30 18:00 local = 23:00 UTC */
    PROBE(e, q, MON + 22 * HOUR_MS, 0, MON + 6 * DAY_MS + 23 * HOUR_MS);
    PROBE(e, q, MON + 6 * DAY_MS + 23 * HOUR_MS, 1, MON + 7 * DAY_MS + 1 * HOUR_MS);
    jfx_free(f);
}

/* Ranges that touch (Mon 00:00-24:00, Tue 00:00-24:00, Wed 00:00-12:00)
 * are one opening: the next change skips the edges that change nothing. */
static void test_adjacent_ranges(void **state)
{
    (void)state;
    jfx *f = jfx_new(MON);
    orca_engine *e = f->e;
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    const orca_hours_range r[3] = { { 1, 0, 1440 }, { 3, 0, 720 }, { 2, 0, 1440 } };
    TU_OK(set_hours(e, q, 0, r, 3, NULL, 0, ORCA_CLOSED_REJECT, 0));
    PROBE(e, q, MON, 1, MON + 2 * DAY_MS + 12 * HOUR_MS);
    PROBE(e, q, MON + DAY_MS + 23 * HOUR_MS, 1, MON + 2 * DAY_MS + 12 * HOUR_MS);
    PROBE(e, q, MON + 2 * DAY_MS + 12 * HOUR_MS, 0, MON + 7 * DAY_MS);
    jfx_free(f);
}

/* Mon-Fri 9-17 UTC; Tuesday is a holiday; Saturday 10-14 a special opening. */
static void test_exceptions_holiday_special(void **state)
{
    (void)state;
    jfx *f = jfx_new(MON);
    orca_engine *e = f->e;
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    const orca_hours_exception x[2] = {
        { MON + DAY_MS, MON + 2 * DAY_MS, 0 },
        { MON + 5 * DAY_MS + 10 * HOUR_MS, MON + 5 * DAY_MS + 14 * HOUR_MS, 1 },
    };
    TU_OK(set_hours(e, q, 0, WEEKDAYS_9_17, 5, x, 2, ORCA_CLOSED_REJECT, 0));
    PROBE(e, q, MON + 12 * HOUR_MS, 1, MON + 17 * HOUR_MS);
    PROBE(e, q, MON + 17 * HOUR_MS, 0, MON + 2 * DAY_MS + 9 * HOUR_MS); /* Tue skipped */
    PROBE(e, q, MON + DAY_MS + 10 * HOUR_MS, 0, MON + 2 * DAY_MS + 9 * HOUR_MS);
    PROBE(e, q, MON + 2 * DAY_MS + 9 * HOUR_MS, 1, MON + 2 * DAY_MS + 17 * HOUR_MS);
    PROBE(e, q, MON + 4 * DAY_MS + 17 * HOUR_MS, 0, MON + 5 * DAY_MS + 10 * HOUR_MS);
    PROBE(e, q, MON + 5 * DAY_MS + 9 * HOUR_MS, 0, MON + 5 * DAY_MS + 10 * HOUR_MS);
    PROBE(e, q, MON + 5 * DAY_MS + 10 * HOUR_MS, 1, MON + 5 * DAY_MS + 14 * HOUR_MS);
    PROBE(e, q, MON + 5 * DAY_MS + 14 * HOUR_MS, 0, MON + 7 * DAY_MS + 9 * HOUR_MS);
    PROBE(e, q, MON + 8 * DAY_MS + 10 * HOUR_MS, 1, MON + 8 * DAY_MS + 17 * HOUR_MS);
    jfx_free(f);
}

/* Two exceptions on Tuesday: closed all day, open 12:00-13:00. The later
 * one in the list wins where both match. */
static void test_last_exception_wins(void **state)
{
    (void)state;
    jfx *f = jfx_new(MON);
    orca_engine *e = f->e;
    orca_queue_id q1 = tu_queue(e, "open-last", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q2 = tu_queue(e, "closed-last", ORCA_STRATEGY_LONGEST_IDLE);
    const orca_hours_exception closed_day = { MON + DAY_MS, MON + 2 * DAY_MS, 0 };
    const orca_hours_exception open_noon = { MON + DAY_MS + 12 * HOUR_MS,
                                             MON + DAY_MS + 13 * HOUR_MS, 1 };
    const orca_hours_exception a[2] = { closed_day, open_noon };
    const orca_hours_exception b[2] = { open_noon, closed_day };
    TU_OK(set_hours(e, q1, 0, WEEKDAYS_9_17, 5, a, 2, ORCA_CLOSED_REJECT, 0));
    TU_OK(set_hours(e, q2, 0, WEEKDAYS_9_17, 5, b, 2, ORCA_CLOSED_REJECT, 0));
    PROBE(e, q1, MON + DAY_MS + 10 * HOUR_MS, 0, MON + DAY_MS + 12 * HOUR_MS);
    PROBE(e, q2, MON + DAY_MS + 10 * HOUR_MS, 0, MON + 2 * DAY_MS + 9 * HOUR_MS);
    PROBE(e, q1, MON + DAY_MS + 12 * HOUR_MS, 1, MON + DAY_MS + 13 * HOUR_MS);
    PROBE(e, q2, MON + DAY_MS + 12 * HOUR_MS, 0, MON + 2 * DAY_MS + 9 * HOUR_MS);
    PROBE(e, q1, MON + DAY_MS + 12 * HOUR_MS + 30 * MIN_MS, 1, MON + DAY_MS + 13 * HOUR_MS);
    PROBE(e, q1, MON + DAY_MS + 13 * HOUR_MS, 0, MON + 2 * DAY_MS + 9 * HOUR_MS);
    jfx_free(f);
}

/* No ranges: closed, unless an exception opens it; changes are searched a
 * year ahead. HOLD with no opening within reach refuses the work. */
static void test_empty_schedule_and_year(void **state)
{
    (void)state;
    jfx *f = jfx_new(MON);
    orca_engine *e = f->e;
    orca_queue_id q1 = tu_queue(e, "never", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q2 = tu_queue(e, "in300d", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q3 = tu_queue(e, "in400d", ORCA_STRATEGY_LONGEST_IDLE);
    const orca_hours_exception x2 = { MON + 300 * DAY_MS, MON + 301 * DAY_MS, 1 };
    const orca_hours_exception x3 = { MON + 400 * DAY_MS, MON + 401 * DAY_MS, 1 };
    TU_OK(set_hours(e, q1, 0, NULL, 0, NULL, 0, ORCA_CLOSED_HOLD, 0));
    TU_OK(set_hours(e, q2, 0, NULL, 0, &x2, 1, ORCA_CLOSED_HOLD, 0));
    TU_OK(set_hours(e, q3, 0, NULL, 0, &x3, 1, ORCA_CLOSED_HOLD, 0));
    PROBE(e, q1, MON, 0, NEVER);
    PROBE(e, q2, MON, 0, MON + 300 * DAY_MS);
    PROBE(e, q3, MON, 0, NEVER);
    size_t mark = f->fx.rec.n;
    /* Reading: HOLD that never opens within a year refuses as REJECT does. */
    orca_interaction_def d;
    jdef(&d, 1, q1, ORCA_CHANNEL_EMAIL, 0);
    JX_REFUSED(e, orca_interaction_enqueue(e, &d), ORCA_ECLOSED);
    SEQ(&f->fx.rec, mark, 0, "REJECTED_CLOSED");
    d.queue = q3;
    JX_REFUSED(e, orca_interaction_enqueue(e, &d), ORCA_ECLOSED);
    assert_int_equal(totals(e).closed_rejected, 2);
    d.queue = q2;
    mark = f->fx.rec.n;
    TU_OK(orca_interaction_enqueue(e, &d));
    SEQ(&f->fx.rec, mark, 0, "ENQUEUED SCHEDULED");
    assert_int_equal(EV(&f->fx.rec, mark, ORCA_EV_SCHEDULED, 1)->due_ms, MON + 300 * DAY_MS);
    assert_int_equal(EV(&f->fx.rec, mark, ORCA_EV_SCHEDULED, 1)->value, ORCA_SCHED_CLOSED);
    PROBE(e, q2, MON + 300 * DAY_MS, 1, MON + 301 * DAY_MS);
    assert_int_equal(tu_state(e, 1), ORCA_STATE_WAITING);
    PROBE(e, q2, MON + 301 * DAY_MS, 0, NEVER);
    TU_CHECK(e);
    jfx_free(f);
}

/* Local time before 1970-01-01 00:00 UTC: a clock at 0 with a negative
 * offset is Wednesday 1969-12-31 19:00 at UTC-5. */
static void test_offset_before_epoch(void **state)
{
    (void)state;
    jfx *f = jfx_new(0);
    orca_engine *e = f->e;
    orca_queue_id q1 = tu_queue(e, "west", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q2 = tu_queue(e, "east", ORCA_STRATEGY_LONGEST_IDLE);
    const orca_hours_range wed = { 3, 1080, 1200 };  /* Wed 18:00-20:00 */
    const orca_hours_range thu = { 4, 60, 120 };     /* Thu 01:00-02:00 */
    TU_OK(set_hours(e, q1, -300, &wed, 1, NULL, 0, ORCA_CLOSED_REJECT, 0));
    TU_OK(set_hours(e, q2, 60, &thu, 1, NULL, 0, ORCA_CLOSED_REJECT, 0));
    int open = -1;
    uint64_t next = 0;
    TU_OK(orca_queue_is_open(e, q2, &open, &next)); /* Thu 01:00 local */
    assert_int_equal(open, 1);
    assert_int_equal(next, HOUR_MS);
    TU_OK(orca_queue_is_open(e, q1, &open, &next)); /* Wed 19:00 local */
    assert_int_equal(open, 1);
    assert_int_equal(next, HOUR_MS);
    jfx_free(f);
}

/* ------------------------------------------------------------------------ */
/* What a closed queue does with new work                                   */
/* ------------------------------------------------------------------------ */

static void test_closed_reject(void **state)
{
    (void)state;
    jfx *f = jfx_new(MON);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    TU_OK(set_hours(e, q, 0, WEEKDAYS_9_17, 5, NULL, 0, ORCA_CLOSED_REJECT, 0));
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    orca_interaction_def d;
    jdef(&d, 1, q, ORCA_CHANNEL_CHAT, 3);
    d.priority = 7;
    size_t mark = r->n;
    JX_REFUSED(e, orca_interaction_enqueue(e, &d), ORCA_ECLOSED);
    SEQ(r, mark, 0, "REJECTED_CLOSED");
    const orca_event *ev = EV(r, mark, ORCA_EV_REJECTED_CLOSED, 1);
    assert_int_equal(ev->time_ms, MON);
    assert_int_equal(ev->queue, q);
    assert_int_equal(ev->queue_from, 0);
    assert_int_equal(ev->channel, ORCA_CHANNEL_CHAT);
    assert_int_equal(ev->customer, 3);
    assert_int_equal(ev->priority, 7);
    assert_int_equal(ev->arrival_ms, MON);
    assert_int_equal(ev->agent, 0);
    assert_int_equal(tu_state(e, 1), 0);
    orca_customer_info ci;
    assert_int_equal(orca_customer_info_get(e, 3, &ci), ORCA_ENOENT); /* nothing kept */
    orca_customer_totals t = totals(e);
    assert_int_equal(t.closed_rejected, 1);
    assert_int_equal(t.contacts, 0);
    assert_int_equal(f->off.noffers, 0);
    d.bot = 1; /* a bot is new work for the queue too */
    JX_REFUSED(e, orca_interaction_enqueue(e, &d), ORCA_ECLOSED);
    d.bot = 0;

    tu_advance(e, MON + 9 * HOUR_MS);
    TU_OK(orca_interaction_enqueue(e, &d));
    TU_OFFERED_TO(e, 1, 1);
    TU_OK(orca_offer_accept(e, 1));
    /* work waiting at closing time is still served */
    tu_advance(e, MON + 16 * HOUR_MS);
    tu_notready(e, 1);
    tu_advance(e, MON + 17 * HOUR_MS - 1000);
    jenq(e, 2, q, ORCA_CHANNEL_CHAT, 0);
    PROBE(e, q, MON + 17 * HOUR_MS, 0, MON + DAY_MS + 9 * HOUR_MS);
    tu_ready(e, 1);
    TU_OFFERED_TO(e, 2, 1);
    jdef(&d, 3, q, ORCA_CHANNEL_CHAT, 0);
    JX_REFUSED(e, orca_interaction_enqueue(e, &d), ORCA_ECLOSED);
    /* The hours are read at the slot (issue 11: they were read at the call,
     * so this was refused): a callback booked at 18:00 for tomorrow 10:00,
     * when the queue will be open, is taken... */
    tu_advance(e, MON + 18 * HOUR_MS);
    d.not_before_ms = MON + DAY_MS + 10 * HOUR_MS;
    size_t mark2 = r->n;
    TU_OK(orca_interaction_enqueue(e, &d));
    const orca_event *sev = EV(r, mark2, ORCA_EV_SCHEDULED, 3);
    assert_int_equal(sev->value, ORCA_SCHED_SLOT);
    assert_int_equal(sev->due_ms, MON + DAY_MS + 10 * HOUR_MS);
    assert_int_equal(totals(e).closed_rejected, 3);
    /* ...and one booked while open for a slot when it will be closed is
     * refused at once, when the host can still offer another slot */
    tu_advance(e, MON + DAY_MS + 9 * HOUR_MS);
    jdef(&d, 4, q, ORCA_CHANNEL_CHAT, 0);
    d.not_before_ms = MON + DAY_MS + 20 * HOUR_MS;
    JX_REFUSED(e, orca_interaction_enqueue(e, &d), ORCA_ECLOSED);
    assert_int_equal(totals(e).closed_rejected, 4);
    /* agent 1 let 2's offer time out three times by 18:00: NOT_READY (the
     * default no_answer_limit), 2 waits; 3 is scheduled */
    assert_int_equal(tu_ainfo(e, 1).presence, ORCA_PRESENCE_NOT_READY);
    COUNTS_ARE(e, 1, 0, 1, 0, 1, 0);
    TU_CHECK(e);
    jfx_free(f);
}

static void test_closed_hold(void **state)
{
    (void)state;
    jfx *f = jfx_new(MON);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    TU_OK(set_hours(e, q, 0, WEEKDAYS_9_17, 5, NULL, 0, ORCA_CLOSED_HOLD, 0));
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    tu_advance(e, MON + 1000);
    size_t mark = r->n;
    jenq(e, 10, q, ORCA_CHANNEL_VOICE, 2);
    TU_CHECK(e);
    SEQ(r, mark, 0, "ENQUEUED SCHEDULED");
    const orca_event *ev = EV(r, mark, ORCA_EV_ENQUEUED, 10);
    assert_int_equal(ev->queue, q);
    assert_int_equal(ev->queue_from, 0);
    assert_int_equal(ev->arrival_ms, MON + 9 * HOUR_MS);
    assert_int_equal(ev->wait_ms, 0);
    assert_int_equal(ENQ_BITS(ev->value), 0);
    ev = EV(r, mark, ORCA_EV_SCHEDULED, 10);
    assert_int_equal(ev->value, ORCA_SCHED_CLOSED);
    assert_int_equal(ev->due_ms, MON + 9 * HOUR_MS);
    orca_interaction_info in = tu_info(e, 10);
    assert_int_equal(in.state, ORCA_STATE_SCHEDULED);
    assert_int_equal(in.arrival_ms, MON + 9 * HOUR_MS);
    assert_int_equal(in.queued_ms, MON + 9 * HOUR_MS);
    COUNTS_ARE(e, 0, 0, 0, 0, 1, 0);
    assert_int_equal(f->off.noffers, 0);
    assert_int_equal(totals(e).scheduled, 1);
    assert_int_equal(totals(e).closed_rejected, 0);

    tu_advance(e, MON + 2000); /* a slot after the opening: SLOT */
    mark = r->n;
    TU_OK(jslot(e, 11, q, ORCA_CHANNEL_VOICE, 0, MON + 10 * HOUR_MS, 0));
    ev = EV(r, mark, ORCA_EV_SCHEDULED, 11);
    assert_int_equal(ev->value, ORCA_SCHED_SLOT);
    assert_int_equal(ev->due_ms, MON + 10 * HOUR_MS);
    tu_advance(e, MON + 3000); /* a slot before the opening: CLOSED */
    mark = r->n;
    TU_OK(jslot(e, 12, q, ORCA_CHANNEL_VOICE, 0, MON + 2 * HOUR_MS, 0));
    ev = EV(r, mark, ORCA_EV_SCHEDULED, 12);
    assert_int_equal(ev->value, ORCA_SCHED_CLOSED);
    assert_int_equal(ev->due_ms, MON + 9 * HOUR_MS);
    tu_advance(e, MON + 4000); /* 09:30 less 45 min early = 08:45: the opening wins */
    mark = r->n;
    TU_OK(jslot(e, 13, q, ORCA_CHANNEL_VOICE, 0, MON + 9 * HOUR_MS + 30 * MIN_MS,
                45 * 60000));
    ev = EV(r, mark, ORCA_EV_SCHEDULED, 13);
    assert_int_equal(ev->value, ORCA_SCHED_CLOSED);
    assert_int_equal(ev->due_ms, MON + 9 * HOUR_MS);
    COUNTS_ARE(e, 0, 0, 0, 0, 4, 0);

    mark = r->n;
    tu_advance(e, MON + 9 * HOUR_MS);
    TU_CHECK(e);
    SEQ(r, mark, 0, "DUE OFFERED DUE DUE");
    SEQ(r, mark, 10, "DUE OFFERED");
    SEQ(r, mark, 12, "DUE");
    SEQ(r, mark, 13, "DUE");
    assert_int_equal(tu_info(e, 12).arrival_ms, MON + 9 * HOUR_MS);
    TU_OK(orca_offer_accept(e, 10));
    mark = r->n;
    tu_advance(e, MON + 10 * HOUR_MS);
    SEQ(r, mark, 0, "DUE");
    SEQ(r, mark, 11, "DUE");
    TU_OK(orca_interaction_end(e, 10));
    for (int k = 0; k < 3; k++) {
        uint64_t ix = f->off.offer[f->off.noffers - 1].interaction;
        TU_OK(orca_offer_accept(e, ix));
        TU_OK(orca_interaction_end(e, ix));
    }
    /* same arrival (the opening): enqueue order */
    tu_same_text_("O:10:1 O:12:1 O:13:1 O:11:1", f->off.log, "offer order", __FILE__,
                  __LINE__);
    /* Friday evening: held until Monday 09:00 */
    tu_advance(e, MON + 4 * DAY_MS + 18 * HOUR_MS);
    mark = r->n;
    jenq(e, 14, q, ORCA_CHANNEL_VOICE, 0);
    assert_int_equal(EV(r, mark, ORCA_EV_SCHEDULED, 14)->due_ms, MON + 7 * DAY_MS + 9 * HOUR_MS);
    assert_int_equal(next_deadline(e), MON + 7 * DAY_MS + 9 * HOUR_MS);
    TU_CHECK(e);
    jfx_free(f);
}

/* Hours are read at the slot, not at the call (issue 11). */
static void test_hold_slot_readings(void **state)
{
    (void)state;
    jfx *f = jfx_new(MON);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id q = tu_queue(e, "hold", ORCA_STRATEGY_LONGEST_IDLE);
    TU_OK(set_hours(e, q, 0, WEEKDAYS_9_17, 5, NULL, 0, ORCA_CLOSED_HOLD, 0));
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_ready(e, 1);
    tu_advance(e, MON + 10 * HOUR_MS);
    size_t mark = r->n;
    /* booked while open for 20:00, when the queue is closed: held until the
     * opening after the slot (it was routed at 20:00, closed or not) */
    TU_OK(jslot(e, 20, q, ORCA_CHANNEL_VOICE, 0, MON + 20 * HOUR_MS, 0));
    const orca_event *ev = EV(r, mark, ORCA_EV_SCHEDULED, 20);
    assert_int_equal(ev->value, ORCA_SCHED_CLOSED);
    assert_int_equal(ev->due_ms, MON + DAY_MS + 9 * HOUR_MS);
    mark = r->n;
    tu_advance(e, MON + 20 * HOUR_MS);
    SEQ(r, mark, 0, "");
    assert_int_equal(tu_state(e, 20), ORCA_STATE_SCHEDULED);
    /* booked while closed, for a slot after the next opening: the slot */
    mark = r->n;
    TU_OK(jslot(e, 21, q, ORCA_CHANNEL_VOICE, 0, MON + DAY_MS + 10 * HOUR_MS, 0));
    ev = EV(r, mark, ORCA_EV_SCHEDULED, 21);
    assert_int_equal(ev->value, ORCA_SCHED_SLOT);
    assert_int_equal(ev->due_ms, MON + DAY_MS + 10 * HOUR_MS);
    /* early_ms moves the slot, and the reading with it: routable from
     * 08:30, before the 09:00 opening, so held for the opening */
    mark = r->n;
    TU_OK(jslot(e, 22, q, ORCA_CHANNEL_VOICE, 0, MON + DAY_MS + 9 * HOUR_MS, 30 * 60000));
    ev = EV(r, mark, ORCA_EV_SCHEDULED, 22);
    assert_int_equal(ev->value, ORCA_SCHED_CLOSED);
    assert_int_equal(ev->due_ms, MON + DAY_MS + 9 * HOUR_MS);
    tu_advance(e, MON + DAY_MS + 9 * HOUR_MS);
    TU_OFFERED_TO(e, 20, 1);
    TU_CHECK(e);
    jfx_free(f);
}

static void test_redirect(void **state)
{
    (void)state;
    jfx *f = jfx_new(MON);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id q1 = tu_queue(e, "day", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q2 = tu_queue(e, "night", ORCA_STRATEGY_LONGEST_IDLE);
    TU_OK(set_hours(e, q1, 0, WEEKDAYS_9_17, 5, NULL, 0, ORCA_CLOSED_REDIRECT, q2));
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, q1, 1, 0);
    tu_member(e, q2, 2, 0);
    tu_ready(e, 1);
    tu_ready(e, 2);
    size_t mark = r->n;
    jenq(e, 30, q1, ORCA_CHANNEL_VOICE, 3);
    TU_CHECK(e);
    SEQ(r, mark, 0, "ENQUEUED OFFERED");
    const orca_event *ev = EV(r, mark, ORCA_EV_ENQUEUED, 30);
    assert_int_equal(ev->queue, q2);
    assert_int_equal(ev->queue_from, q1);
    assert_int_equal(ENQ_BITS(ev->value), ORCA_ENQ_REDIRECTED);
    assert_int_equal(ev->arrival_ms, MON);
    ev = EV(r, mark, ORCA_EV_OFFERED, 30);
    assert_int_equal(ev->agent, 2);
    assert_int_equal(ev->queue, q2);
    assert_int_equal(tu_info(e, 30).queue, q2);
    assert_int_equal(f->off.offer[0].queue, q2);
    orca_customer_totals t = totals(e);
    assert_int_equal(t.redirected, 1);
    assert_int_equal(t.closed_rejected, 0);
    assert_int_equal(t.contacts, 1);
    tu_advance(e, MON + 1000);
    TU_OK(orca_offer_accept(e, 30));
    tu_advance(e, MON + 2000);
    TU_OK(orca_interaction_end(e, 30));
    orca_history_entry h[1];
    history(e, 3, h, 1);
    HIST_IS(h[0], 30, q2, ORCA_CHANNEL_VOICE, 2, MON, MON + 1000, MON + 2000,
            ORCA_OUTCOME_COMPLETED);
    /* open: no redirect */
    tu_advance(e, MON + 9 * HOUR_MS);
    mark = r->n;
    jenq(e, 31, q1, ORCA_CHANNEL_VOICE, 0);
    ev = EV(r, mark, ORCA_EV_ENQUEUED, 31);
    assert_int_equal(ev->queue, q1);
    assert_int_equal(ev->queue_from, 0);
    assert_int_equal(ENQ_BITS(ev->value), 0);
    TU_OFFERED_TO(e, 31, 1);
    assert_int_equal(totals(e).redirected, 1);
    TU_CHECK(e);
    jfx_free(f);
}

/* A -> B (closed, redirect) -> C (closed, hold); and the 8-hop limit. */
static void test_redirect_chain_and_hops(void **state)
{
    (void)state;
    jfx *f = jfx_new(MON);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id qa = tu_queue(e, "a", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qb = tu_queue(e, "b", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qc = tu_queue(e, "c", ORCA_STRATEGY_LONGEST_IDLE);
    TU_OK(set_hours(e, qa, 0, WEEKDAYS_9_17, 5, NULL, 0, ORCA_CLOSED_REDIRECT, qb));
    TU_OK(set_hours(e, qb, 0, NULL, 0, NULL, 0, ORCA_CLOSED_REDIRECT, qc));
    TU_OK(set_hours(e, qc, 0, WEEKDAYS_9_17, 5, NULL, 0, ORCA_CLOSED_HOLD, 0));
    size_t mark = r->n;
    jenq(e, 40, qa, ORCA_CHANNEL_CHAT, 0);
    SEQ(r, mark, 0, "ENQUEUED SCHEDULED");
    const orca_event *ev = EV(r, mark, ORCA_EV_ENQUEUED, 40);
    assert_int_equal(ev->queue, qc);
    assert_int_equal(ev->queue_from, qa);
    assert_int_equal(ENQ_BITS(ev->value), ORCA_ENQ_REDIRECTED);
    ev = EV(r, mark, ORCA_EV_SCHEDULED, 40);
    assert_int_equal(ev->value, ORCA_SCHED_CLOSED);
    assert_int_equal(ev->due_ms, MON + 9 * HOUR_MS);
    assert_int_equal(tu_info(e, 40).queue, qc);

    /* q[0] -> q[1] -> ... -> q[9] (open) */
    orca_queue_id qs[10];
    char name[16];
    for (int k = 0; k < 10; k++) {
        snprintf(name, sizeof(name), "h%d", k);
        qs[k] = tu_queue(e, name, ORCA_STRATEGY_LONGEST_IDLE);
    }
    for (int k = 0; k < 9; k++)
        TU_OK(set_hours(e, qs[k], 0, NULL, 0, NULL, 0, ORCA_CLOSED_REDIRECT, qs[k + 1]));
    mark = r->n;
    jenq(e, 41, qs[1], ORCA_CHANNEL_CHAT, 0); /* 8 hops */
    ev = EV(r, mark, ORCA_EV_ENQUEUED, 41);
    assert_int_equal(ev->queue, qs[9]);
    assert_int_equal(ev->queue_from, qs[1]);
    orca_interaction_def d;
    jdef(&d, 42, qs[0], ORCA_CHANNEL_CHAT, 0); /* 9 hops */
    mark = r->n;
    JX_REFUSED(e, orca_interaction_enqueue(e, &d), ORCA_ECLOSED);
    assert_int_equal(EV(r, mark, ORCA_EV_REJECTED_CLOSED, 42)->queue, qs[0]);
    orca_customer_totals t = totals(e);
    assert_int_equal(t.redirected, 2);
    assert_int_equal(t.closed_rejected, 1);
    TU_CHECK(e);
    jfx_free(f);
}

/* Loops, a redirect into a REJECT queue, into a full queue. */
static void test_redirect_loop_closed_full(void **state)
{
    (void)state;
    jfx *f = jfx_new(MON);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id qa = tu_queue(e, "a", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qb = tu_queue(e, "b", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qc = tu_queue(e, "c", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qd = tu_queue(e, "d", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qe = tu_queue(e, "e", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_def def;
    orca_queue_def_init(&def);
    def.name = "full";
    def.max_size = 1;
    orca_queue_id qf = tu_queue_def(e, &def);
    TU_OK(set_hours(e, qa, 0, NULL, 0, NULL, 0, ORCA_CLOSED_REDIRECT, qb));
    TU_OK(set_hours(e, qb, 0, NULL, 0, NULL, 0, ORCA_CLOSED_REDIRECT, qa));
    TU_OK(set_hours(e, qc, 0, NULL, 0, NULL, 0, ORCA_CLOSED_REDIRECT, qd));
    TU_OK(set_hours(e, qd, 0, NULL, 0, NULL, 0, ORCA_CLOSED_REJECT, 0));
    TU_OK(set_hours(e, qe, 0, NULL, 0, NULL, 0, ORCA_CLOSED_REDIRECT, qf));
    jenq(e, 1, qf, ORCA_CHANNEL_CHAT, 0); /* qf is full now */
    orca_interaction_def d;
    jdef(&d, 50, qa, ORCA_CHANNEL_CHAT, 4);
    size_t mark = r->n;
    JX_REFUSED(e, orca_interaction_enqueue(e, &d), ORCA_ECLOSED);
    const orca_event *ev = EV(r, mark, ORCA_EV_REJECTED_CLOSED, 50);
    assert_int_equal(ev->queue, qa); /* Reading: the queue asked for */
    assert_int_equal(ev->customer, 4);
    d.queue = qc;
    mark = r->n;
    JX_REFUSED(e, orca_interaction_enqueue(e, &d), ORCA_ECLOSED);
    SEQ(r, mark, 0, "REJECTED_CLOSED");
    d.queue = qe;
    mark = r->n;
    JX_REFUSED(e, orca_interaction_enqueue(e, &d), ORCA_EFULL);
    SEQ(r, mark, 0, "REJECTED_FULL");
    assert_int_equal(EV(r, mark, ORCA_EV_REJECTED_FULL, 50)->queue, qf);
    orca_customer_totals t = totals(e);
    assert_int_equal(t.closed_rejected, 2);
    assert_int_equal(t.redirected, 0);
    assert_int_equal(t.contacts, 0);
    /* break the loop: b is open now */
    TU_OK(orca_queue_set_hours(e, qb, NULL));
    d.queue = qa;
    mark = r->n;
    TU_OK(orca_interaction_enqueue(e, &d));
    ev = EV(r, mark, ORCA_EV_ENQUEUED, 50);
    assert_int_equal(ev->queue, qb);
    assert_int_equal(ev->queue_from, qa);
    assert_true(ev->value & ORCA_ENQ_REDIRECTED);
    TU_CHECK(e);
    jfx_free(f);
}

/* ------------------------------------------------------------------------ */
/* Malformed schedules                                                      */
/* ------------------------------------------------------------------------ */

static void test_malformed_hours(void **state)
{
    (void)state;
    jfx *f = jfx_new(MON + 10 * HOUR_MS);
    orca_engine *e = f->e;
    orca_queue_id q1 = tu_queue(e, "q1", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q2 = tu_queue(e, "q2", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q3 = tu_queue(e, "q3", ORCA_STRATEGY_LONGEST_IDLE);
    TU_OK(set_hours(e, q1, 60, WEEKDAYS_9_17, 5, NULL, 0, ORCA_CLOSED_REJECT, 0));
    jenq(e, 1, q1, ORCA_CHANNEL_CHAT, 5);
    PROBE(e, q1, MON + 10 * HOUR_MS, 1, MON + 16 * HOUR_MS);
    const orca_hours_range ok1 = { 1, 540, 1020 };
    const orca_hours_exception okx = { MON, MON + DAY_MS, 0 };
    const orca_queue_id qs[2] = { q1, q2 };
    for (int k = 0; k < 2; k++) {
        orca_queue_id q = qs[k];
        orca_hours_range r = ok1;
        r.day = 7;
        JX_FAILS(e, set_hours(e, q, 0, &r, 1, NULL, 0, ORCA_CLOSED_REJECT, 0), ORCA_ERANGE);
        r = ok1;
        r.close_min = r.open_min;
        JX_FAILS(e, set_hours(e, q, 0, &r, 1, NULL, 0, ORCA_CLOSED_REJECT, 0), ORCA_ERANGE);
        r.open_min = 700, r.close_min = 600;
        JX_FAILS(e, set_hours(e, q, 0, &r, 1, NULL, 0, ORCA_CLOSED_REJECT, 0), ORCA_ERANGE);
        r.open_min = 600, r.close_min = 1441;
        JX_FAILS(e, set_hours(e, q, 0, &r, 1, NULL, 0, ORCA_CLOSED_REJECT, 0), ORCA_ERANGE);
        r.open_min = 1440, r.close_min = 1440;
        JX_FAILS(e, set_hours(e, q, 0, &r, 1, NULL, 0, ORCA_CLOSED_REJECT, 0), ORCA_ERANGE);
        /* one good range before the bad one changes nothing either */
        const orca_hours_range two[2] = { ok1, { 2, 0, 1500 } };
        JX_FAILS(e, set_hours(e, q, 0, two, 2, NULL, 0, ORCA_CLOSED_REJECT, 0), ORCA_ERANGE);
        JX_FAILS(e, set_hours(e, q, 841, &ok1, 1, NULL, 0, ORCA_CLOSED_REJECT, 0), ORCA_ERANGE);
        JX_FAILS(e, set_hours(e, q, -841, &ok1, 1, NULL, 0, ORCA_CLOSED_REJECT, 0),
                 ORCA_ERANGE);
        orca_hours_exception x = okx;
        x.to_ms = x.from_ms;
        JX_FAILS(e, set_hours(e, q, 0, &ok1, 1, &x, 1, ORCA_CLOSED_REJECT, 0), ORCA_ERANGE);
        x.from_ms = MON + DAY_MS, x.to_ms = MON;
        JX_FAILS(e, set_hours(e, q, 0, &ok1, 1, &x, 1, ORCA_CLOSED_REJECT, 0), ORCA_ERANGE);
        x = okx;
        x.to_ms = ORCA_TIME_MAX + 1;
        JX_FAILS(e, set_hours(e, q, 0, &ok1, 1, &x, 1, ORCA_CLOSED_REJECT, 0), ORCA_ERANGE);
        x = okx;
        x.open = 2;
        JX_FAILS(e, set_hours(e, q, 0, &ok1, 1, &x, 1, ORCA_CLOSED_REJECT, 0), ORCA_EINVAL);
        JX_FAILS(e, set_hours(e, q, 0, &ok1, 1, NULL, 0, ORCA_CLOSED_REDIRECT, q), ORCA_EINVAL);
        JX_FAILS(e, set_hours(e, q, 0, &ok1, 1, NULL, 0, ORCA_CLOSED_REDIRECT, 99), ORCA_ENOENT);
        JX_FAILS(e, set_hours(e, q, 0, &ok1, 1, NULL, 0, ORCA_CLOSED_REDIRECT, 0), ORCA_ENOENT);
        JX_FAILS(e, set_hours(e, q, 0, &ok1, 1, NULL, 0, ORCA_CLOSED_REJECT, q3), ORCA_EINVAL);
        JX_FAILS(e, set_hours(e, q, 0, &ok1, 1, NULL, 0, ORCA_CLOSED_HOLD, q3), ORCA_EINVAL);
        JX_FAILS(e, set_hours(e, q, 0, &ok1, 1, NULL, 0, (orca_closed_action)3, 0), ORCA_EINVAL);
        JX_FAILS(e, set_hours(e, q, 0, &ok1, 1, NULL, 0, (orca_closed_action)-1, 0),
                 ORCA_EINVAL);
        orca_hours_range many[ORCA_HOURS_MAX + 1];
        orca_hours_exception manyx[ORCA_HOURS_MAX + 1];
        for (int j = 0; j <= ORCA_HOURS_MAX; j++) {
            many[j] = ok1;
            manyx[j] = okx;
        }
        JX_FAILS(e, set_hours(e, q, 0, many, ORCA_HOURS_MAX + 1, NULL, 0, ORCA_CLOSED_REJECT, 0),
                 ORCA_ERANGE);
        JX_FAILS(e, set_hours(e, q, 0, &ok1, 1, manyx, ORCA_HOURS_MAX + 1, ORCA_CLOSED_REJECT, 0),
                 ORCA_ERANGE);
        JX_FAILS(e, set_hours(e, q, 0, NULL, 1, NULL, 0, ORCA_CLOSED_REJECT, 0), ORCA_EINVAL);
        JX_FAILS(e, set_hours(e, q, 0, &ok1, 1, NULL, 1, ORCA_CLOSED_REJECT, 0), ORCA_EINVAL);
    }
    JX_FAILS(e, set_hours(e, 0, 0, &ok1, 1, NULL, 0, ORCA_CLOSED_REJECT, 0), ORCA_ENOENT);
    JX_FAILS(e, set_hours(e, 99, 0, &ok1, 1, NULL, 0, ORCA_CLOSED_REJECT, 0), ORCA_ENOENT);
    JX_FAILS(e, orca_queue_set_hours(e, 99, NULL), ORCA_ENOENT);
    assert_int_equal(orca_queue_set_hours(NULL, q1, NULL), ORCA_EINVAL);
    int open = -1;
    uint64_t next = 7;
    assert_int_equal(orca_queue_is_open(e, q1, NULL, &next), ORCA_EINVAL);
    assert_int_equal(orca_queue_is_open(e, 99, &open, &next), ORCA_ENOENT);
    assert_int_equal(orca_queue_is_open(e, 0, &open, &next), ORCA_ENOENT);
    assert_int_equal(orca_queue_is_open(NULL, q1, &open, &next), ORCA_EINVAL);
    assert_int_equal(open, -1);
    assert_int_equal(next, 7);
    char *d = tu_dump(e);
    assert_non_null(strstr(d, "queue 2 q2 "));
    free(d);

    /* the edges that are allowed */
    const orca_hours_range edge = { 6, 0, 1440 };
    TU_OK(set_hours(e, q2, 840, &edge, 1, NULL, 0, ORCA_CLOSED_REDIRECT, q3));
    TU_OK(set_hours(e, q3, -840, &edge, 1, NULL, 0, ORCA_CLOSED_HOLD, 0));
    orca_hours_range full[ORCA_HOURS_MAX];
    for (int j = 0; j < ORCA_HOURS_MAX; j++)
        full[j] = (orca_hours_range){ (uint32_t)(j % 7), (uint32_t)(j / 7) * 100,
                                      (uint32_t)(j / 7) * 100 + 50 };
    TU_OK(set_hours(e, q3, 0, full, ORCA_HOURS_MAX, NULL, 0, ORCA_CLOSED_REJECT, 0));

    /* q1 still has its own schedule: Mon-Fri 9-17 at UTC+1 */
    PROBE(e, q1, MON + 16 * HOUR_MS, 0, MON + DAY_MS + 8 * HOUR_MS);
    TU_CHECK(e);
    jfx_free(f);
}

static void test_clear_hours(void **state)
{
    (void)state;
    jfx *f = jfx_new(MON);
    orca_engine *e = f->e;
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q2 = tu_queue(e, "q2", ORCA_STRATEGY_LONGEST_IDLE);
    TU_OK(set_hours(e, q, 0, WEEKDAYS_9_17, 5, NULL, 0, ORCA_CLOSED_REJECT, 0));
    char *d = tu_dump(e);
    assert_non_null(strstr(d, "hours=1"));
    free(d);
    orca_interaction_def def;
    jdef(&def, 1, q, ORCA_CHANNEL_CHAT, 0);
    JX_REFUSED(e, orca_interaction_enqueue(e, &def), ORCA_ECLOSED);
    TU_OK(orca_queue_set_hours(e, q, NULL));
    PROBE(e, q, MON, 1, NEVER);
    d = tu_dump(e);
    assert_null(strstr(d, "hours=1"));
    free(d);
    TU_OK(orca_interaction_enqueue(e, &def));
    assert_int_equal(tu_state(e, 1), ORCA_STATE_WAITING);
    /* clearing a queue without hours is a no-op */
    jsnap s;
    js_take_(&s, e, __FILE__, __LINE__);
    TU_OK(orca_queue_set_hours(e, q2, NULL));
    assert_int_equal(js_diff_(&s, e, 0, 0, "clear again", __FILE__, __LINE__), 0);
    /* hours set again: waiting work is not touched, new work refused */
    size_t mark = f->fx.rec.n;
    TU_OK(set_hours(e, q, 0, WEEKDAYS_9_17, 5, NULL, 0, ORCA_CLOSED_REJECT, 0));
    assert_int_equal(f->fx.rec.n, mark); /* setting hours emits nothing */
    assert_int_equal(tu_state(e, 1), ORCA_STATE_WAITING);
    def.id = 2;
    JX_REFUSED(e, orca_interaction_enqueue(e, &def), ORCA_ECLOSED);
    PROBE(e, q, MON + 9 * HOUR_MS, 1, MON + 17 * HOUR_MS);
    TU_CHECK(e);
    jfx_free(f);
}

/* ------------------------------------------------------------------------ */
/* Transfers and escalations into closed queues                             */
/* ------------------------------------------------------------------------ */

static void test_transfer_into_closed(void **state)
{
    (void)state;
    jfx *f = jfx_new(MON);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id qo = tu_queue(e, "open", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qr = tu_queue(e, "reject", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qh = tu_queue(e, "hold", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qx = tu_queue(e, "redirect", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qo2 = tu_queue(e, "open2", ORCA_STRATEGY_LONGEST_IDLE);
    TU_OK(set_hours(e, qr, 0, WEEKDAYS_9_17, 5, NULL, 0, ORCA_CLOSED_REJECT, 0));
    TU_OK(set_hours(e, qh, 0, WEEKDAYS_9_17, 5, NULL, 0, ORCA_CLOSED_HOLD, 0));
    TU_OK(set_hours(e, qx, 0, NULL, 0, NULL, 0, ORCA_CLOSED_REDIRECT, qo2));
    tu_agent(e, 1, 100, NULL, 0);
    tu_agent(e, 2, 100, NULL, 0);
    tu_member(e, qo, 1, 0);
    tu_member(e, qh, 1, 0);
    tu_member(e, qr, 1, 0);
    tu_member(e, qo2, 2, 0);
    tu_ready(e, 1);
    tu_ready(e, 2);
    jenq(e, 70, qo, ORCA_CHANNEL_VOICE, 7);
    tu_advance(e, MON + 1000);
    TU_OK(orca_offer_accept(e, 70));
    tu_advance(e, MON + 2000);

    orca_interaction_def to;
    jdef(&to, 70, qr, ORCA_CHANNEL_VOICE, 0);
    size_t mark = r->n;
    JX_REFUSED(e, orca_interaction_transfer(e, 70, &to, ORCA_TRANSFER_BLIND), ORCA_ECLOSED);
    const orca_event *ev = EV(r, mark, ORCA_EV_REJECTED_CLOSED, 70);
    assert_int_equal(ev->queue, qr);
    assert_int_equal(ev->customer, 7);
    to.id = 71;
    JX_REFUSED(e, orca_interaction_transfer(e, 70, &to, ORCA_TRANSFER_CONSULT), ORCA_ECLOSED);
    assert_int_equal(tu_state(e, 70), ORCA_STATE_BUSY);
    assert_int_equal(tu_agent_of(e, 70), 1);
    assert_int_equal(totals(e).transfers, 0);
    assert_int_equal(totals(e).closed_rejected, 2);

    /* into a HOLD queue: the new leg waits for the opening */
    jdef(&to, 70, qh, ORCA_CHANNEL_VOICE, 0);
    mark = r->n;
    TU_OK(orca_interaction_transfer(e, 70, &to, ORCA_TRANSFER_BLIND));
    TU_CHECK(e);
    SEQ(r, mark, 0, "TRANSFERRED COMPLETED ENQUEUED SCHEDULED");
    ev = EV(r, mark, ORCA_EV_ENQUEUED, 70);
    assert_int_equal(ev->queue, qh);
    assert_true(ev->value & ORCA_ENQ_TRANSFER);
    assert_false(ev->value & ORCA_ENQ_REDIRECTED);
    ev = EV(r, mark, ORCA_EV_SCHEDULED, 70);
    assert_int_equal(ev->value, ORCA_SCHED_CLOSED);
    assert_int_equal(ev->due_ms, MON + 9 * HOUR_MS);
    orca_interaction_info in = tu_info(e, 70);
    assert_int_equal(in.state, ORCA_STATE_SCHEDULED);
    assert_int_equal(in.queue, qh);
    assert_int_equal(in.arrival_ms, MON); /* Reading: the first leg's arrival */
    assert_int_equal(in.queued_ms, MON + 9 * HOUR_MS);
    assert_int_equal(tu_ainfo(e, 1).used, 0);
    COUNTS_ARE(e, 0, 0, 0, 0, 1, 0);

    /* consult into a REDIRECT queue: the leg goes where it is sent */
    jenq(e, 72, qo, ORCA_CHANNEL_VOICE, 8);
    TU_OK(orca_offer_accept(e, 72));
    jdef(&to, 73, qx, ORCA_CHANNEL_VOICE, 0);
    mark = r->n;
    TU_OK(orca_interaction_transfer(e, 72, &to, ORCA_TRANSFER_CONSULT));
    ev = EV(r, mark, ORCA_EV_ENQUEUED, 73);
    assert_int_equal(ev->queue, qo2);
    assert_int_equal(ev->queue_from, qx);
    assert_int_equal(ev->value & (ORCA_ENQ_TRANSFER | ORCA_ENQ_REDIRECTED),
                     ORCA_ENQ_TRANSFER | ORCA_ENQ_REDIRECTED);
    TU_OFFERED_TO(e, 73, 2);
    assert_int_equal(tu_state(e, 72), ORCA_STATE_BUSY);
    TU_OK(orca_offer_accept(e, 73));
    assert_int_equal(tu_state(e, 72), 0);
    orca_customer_totals t = totals(e);
    assert_int_equal(t.transfers, 2);
    assert_int_equal(t.redirected, 1);

    mark = r->n;
    tu_advance(e, MON + 9 * HOUR_MS);
    SEQ(r, mark, 0, "DUE OFFERED");
    TU_OFFERED_TO(e, 70, 1);
    assert_int_equal(EV(r, mark, ORCA_EV_OFFERED, 70)->wait_ms, 9 * HOUR_MS);
    TU_CHECK(e);
    jfx_free(f);
}

static void test_escalate_into_closed(void **state)
{
    (void)state;
    jfx *f = jfx_new(MON);
    orca_engine *e = f->e;
    tu_rec *r = &f->fx.rec;
    orca_queue_id qb = tu_queue(e, "bot", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qr = tu_queue(e, "reject", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qh = tu_queue(e, "hold", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qx = tu_queue(e, "redirect", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id qo = tu_queue(e, "open", ORCA_STRATEGY_LONGEST_IDLE);
    TU_OK(set_hours(e, qr, 0, WEEKDAYS_9_17, 5, NULL, 0, ORCA_CLOSED_REJECT, 0));
    TU_OK(set_hours(e, qh, 0, WEEKDAYS_9_17, 5, NULL, 0, ORCA_CLOSED_HOLD, 0));
    TU_OK(set_hours(e, qx, 0, WEEKDAYS_9_17, 5, NULL, 0, ORCA_CLOSED_REDIRECT, qo));
    orca_interaction_def d;
    jdef(&d, 80, qb, ORCA_CHANNEL_CHAT, 8);
    d.bot = 1;
    TU_OK(orca_interaction_enqueue(e, &d));
    d.id = 81;
    TU_OK(orca_interaction_enqueue(e, &d));
    tu_advance(e, MON + 5000);
    orca_interaction_def to;
    jdef(&to, 80, qr, ORCA_CHANNEL_CHAT, 0);
    size_t mark = r->n;
    JX_REFUSED(e, orca_interaction_escalate(e, 80, &to), ORCA_ECLOSED);
    assert_int_equal(EV(r, mark, ORCA_EV_REJECTED_CLOSED, 80)->queue, qr);
    assert_int_equal(tu_state(e, 80), ORCA_STATE_BOT);
    assert_int_equal(totals(e).escalated, 0);

    to.queue = qh;
    mark = r->n;
    TU_OK(orca_interaction_escalate(e, 80, &to));
    TU_CHECK(e);
    SEQ(r, mark, 0, "ESCALATED ENQUEUED SCHEDULED");
    assert_int_equal(EV(r, mark, ORCA_EV_ESCALATED, 80)->duration_ms, 5000);
    const orca_event *ev = EV(r, mark, ORCA_EV_ENQUEUED, 80);
    assert_int_equal(ev->queue, qh);
    assert_true(ev->value & ORCA_ENQ_ESCALATED);
    ev = EV(r, mark, ORCA_EV_SCHEDULED, 80);
    assert_int_equal(ev->value, ORCA_SCHED_CLOSED);
    assert_int_equal(ev->due_ms, MON + 9 * HOUR_MS);
    orca_interaction_info in = tu_info(e, 80);
    assert_int_equal(in.state, ORCA_STATE_SCHEDULED);
    assert_int_equal(in.arrival_ms, MON + 9 * HOUR_MS); /* Reading: as enqueue */
    assert_int_equal(in.queued_ms, MON + 9 * HOUR_MS);
    COUNTS_ARE(e, 0, 0, 0, 0, 1, 1);

    jdef(&to, 81, qx, ORCA_CHANNEL_CHAT, 0);
    mark = r->n;
    TU_OK(orca_interaction_escalate(e, 81, &to));
    ev = EV(r, mark, ORCA_EV_ENQUEUED, 81);
    assert_int_equal(ev->queue, qo);
    assert_int_equal(ev->queue_from, qx);
    assert_int_equal(ev->value & (ORCA_ENQ_ESCALATED | ORCA_ENQ_REDIRECTED),
                     ORCA_ENQ_ESCALATED | ORCA_ENQ_REDIRECTED);
    orca_customer_totals t = totals(e);
    assert_int_equal(t.escalated, 2);
    assert_int_equal(t.redirected, 1);
    assert_int_equal(t.closed_rejected, 1);
    COUNTS_ARE(e, 1, 0, 0, 0, 1, 0);
    TU_CHECK(e);
    jfx_free(f);
}

/* ------------------------------------------------------------------------ */
/* Allocation-failure sweep                                                 */
/* ------------------------------------------------------------------------ */

static void hr_setup(sw *s)
{
    sw_engine(s, MON);
    const char *names[3] = { "open", "hold", "redirect" };
    for (int k = 0; k < 3; k++) {
        orca_queue_def qd;
        orca_queue_def_init(&qd);
        qd.name = names[k];
        qd.offer_timeout_ms = 100000000; /* no offer timeouts */
        TU_OK(orca_queue_add(s->e, &qd, &s->q[k]));
    }
    orca_agent_def ad;
    tu_agent_def(&ad, 1, 100, NULL, 0);
    TU_OK(orca_agent_add(s->e, &ad));
    TU_OK(orca_queue_member_add(s->e, s->q[0], 1, 0));
    TU_OK(orca_queue_member_add(s->e, s->q[1], 1, 0));
}

static int hr_step(sw *s, int k)
{
    orca_engine *e = s->e;
    orca_interaction_def d;
    static const orca_hours_range late[5] = {
        { 1, 600, 1080 }, { 2, 600, 1080 }, { 3, 600, 1080 }, { 4, 600, 1080 }, { 5, 600, 1080 },
    };
    const orca_hours_exception x[2] = { { MON + DAY_MS, MON + 2 * DAY_MS, 0 },
                                        { MON + 5 * DAY_MS, MON + 5 * DAY_MS + HOUR_MS, 1 } };
    switch (k) {
    case 0: return set_hours(e, s->q[1], 60, WEEKDAYS_9_17, 5, x, 1, ORCA_CLOSED_HOLD, 0);
    case 1: return set_hours(e, s->q[2], 0, WEEKDAYS_9_17, 5, x, 2, ORCA_CLOSED_REDIRECT,
                             s->q[0]);
    case 2: jdef(&d, 1, s->q[1], ORCA_CHANNEL_CHAT, 3); return orca_interaction_enqueue(e, &d);
    case 3: jdef(&d, 2, s->q[2], ORCA_CHANNEL_CHAT, 4); return orca_interaction_enqueue(e, &d);
    case 4: return set_hours(e, s->q[1], 0, late, 5, NULL, 0, ORCA_CLOSED_HOLD, 0);
    case 5: return orca_queue_set_hours(e, s->q[2], NULL);
    case 6: jdef(&d, 3, s->q[2], ORCA_CHANNEL_EMAIL, 4); return orca_interaction_enqueue(e, &d);
    case 7: return set_hours(e, s->q[0], 0, NULL, 0, NULL, 0, ORCA_CLOSED_REJECT, 0);
    case 8: jdef(&d, 4, s->q[0], ORCA_CHANNEL_CHAT, 5); return orca_interaction_enqueue(e, &d);
    case 9: return jslot(e, 5, s->q[1], ORCA_CHANNEL_VOICE, 5, MON + 12 * HOUR_MS, 0);
    case 10: return orca_engine_advance(e, MON + 8 * HOUR_MS); /* 1 due (UTC+1 9:00) */
    case 11: return orca_agent_set_presence(e, 1, ORCA_PRESENCE_READY, 0);
    case 12: return orca_queue_set_hours(e, s->q[0], NULL);
    case 13: return orca_engine_advance(e, MON + 12 * HOUR_MS);
    case 14: jdef(&d, 6, s->q[1], ORCA_CHANNEL_SMS, 6); return orca_interaction_enqueue(e, &d);
    default: return SW_DONE;
    }
}

static void test_alloc_sweep_hours(void **state)
{
    (void)state;
    const int must[] = { 0, ORCA_OK, 1, ORCA_OK, 2, ORCA_OK, 3, ORCA_OK, 4, ORCA_OK,
                         5, ORCA_OK, 6, ORCA_OK, 7, ORCA_OK, 8, ORCA_ECLOSED, 9, ORCA_OK,
                         10, ORCA_OK, 11, ORCA_OK, 12, ORCA_OK, 13, ORCA_OK, 14, ORCA_OK };
    sw_sweep(hr_setup, hr_step, must, sizeof(must) / sizeof(must[0]) / 2);
}

int main(void)
{
    tu_filter_from_env();
    const struct CMUnitTest tests[] = {
        JW_TEST(test_no_hours_always_open),
        JW_TEST(test_weekly_utc_plus_one),
        JW_TEST(test_weekly_negative_offset),
        JW_TEST(test_adjacent_ranges),
        JW_TEST(test_exceptions_holiday_special),
        JW_TEST(test_last_exception_wins),
        JW_TEST(test_empty_schedule_and_year),
        JW_TEST(test_offset_before_epoch),
        JW_TEST(test_closed_reject),
        JW_TEST(test_closed_hold),
        JW_TEST(test_hold_slot_readings),
        JW_TEST(test_redirect),
        JW_TEST(test_redirect_chain_and_hops),
        JW_TEST(test_redirect_loop_closed_full),
        JW_TEST(test_malformed_hours),
        JW_TEST(test_clear_hours),
        JW_TEST(test_transfer_into_closed),
        JW_TEST(test_escalate_into_closed),
        JW_TEST(test_alloc_sweep_hours),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
