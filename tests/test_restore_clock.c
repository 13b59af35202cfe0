/*
 * test_restore_clock.c: a snapshot (the journal's compaction, snapshot.c)
 * that holds something after its own clock is refused (ORCA_ECORRUPT), as
 * orca_engine_check refuses such a state: the regression test of issue 11's
 * "restore accepts a customer whose last activity is after the clock"
 * (fuzz/corpus/journal/regress-customer-after-clock; the next call then
 * failed orca_engine_check).
 *
 * A real engine's snapshot is taken at clock T, then its clock field is
 * rewritten to an earlier time: everything in it that happened after that
 * time (a customer's last activity, last answer and history; an agent's
 * idle time) is then "in the future", and the restore must say so.
 */
#include "testutil.h"

#include "orca_int.h"

enum { SCRATCH = 256 * 1024 };

/* snap_save's bytes of e with its clock (the second number) set to now. */
static wbuf snapshot_at(orca_engine *e, uint64_t now)
{
    wbuf w = { .e = e };
    snap_save(e, &w);
    assert_false(w.bad);
    rbuf r = { .p = w.p, .n = w.n };
    uint64_t version = r_v(&r);
    r_v(&r); /* the clock */
    assert_false(r.bad);
    wbuf out = { .e = e };
    w_v(&out, version);
    w_v(&out, now);
    w_bytes(&out, w.p + r.at, w.n - r.at);
    assert_false(out.bad);
    w_free(&w);
    return out;
}

/* Load s into a new engine: what snap_load said (the engine is freed). */
static int load(const wbuf *s, int check_after)
{
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    uint8_t *scratch = malloc(SCRATCH);
    assert_non_null(scratch);
    rbuf r = { .p = s->p, .n = s->n, .scratch = scratch, .cap = SCRATCH };
    int rc = snap_load(e, &r);
    free(scratch);
    if (rc == ORCA_OK && check_after) {
        /* taken: it must stay consistent through the next calls */
        TU_OK(orca_engine_check(e));
        orca_interaction_def d;
        orca_interaction_def_init(&d);
        d.id = 99;
        d.queue = 1;
        d.channel = ORCA_CHANNEL_CHAT;
        d.customer = 555;
        TU_OK(orca_interaction_enqueue(e, &d));
        TU_OK(orca_interaction_cancel(e, 99));
        TU_OK(orca_engine_check(e));
    }
    if (rc != ORCA_OK) {
        orca_engine_free(e); /* partly rebuilt: freed without a check */
        fx.e = NULL;
    }
    tu_fx_free(&fx);
    return rc;
}

/* A customer whose work ended at T; no agent (their times are checked
 * already); the clock rewritten before T. */
static void test_customer_after_clock(void **state)
{
    (void)state;
    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, NULL);
    uint64_t t0 = orca_engine_now(A);
    orca_queue_id q = tu_queue(A, "q", ORCA_STRATEGY_LONGEST_IDLE);
    assert_int_equal(q, 1);
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 5;
    d.queue = q;
    d.channel = ORCA_CHANNEL_CHAT;
    d.customer = 77;
    TU_OK(orca_interaction_enqueue(A, &d));
    tu_advance(A, t0 + 50000);
    TU_OK(orca_interaction_cancel(A, 5));
    tu_advance(A, t0 + 60000);

    /* as it is: taken, and it goes on */
    wbuf same = snapshot_at(A, t0 + 60000);
    TU_OK(load(&same, 1));
    w_free(&same);
    /* at T itself: still fine */
    wbuf at = snapshot_at(A, t0 + 50000);
    TU_OK(load(&at, 1));
    w_free(&at);
    /* before T: the customer's last activity is after the clock */
    for (uint64_t back = 1; back <= 50000; back *= 7) {
        wbuf past = snapshot_at(A, t0 + 50000 - back);
        int rc = load(&past, 1);
        if (rc != ORCA_ECORRUPT) {
            print_error("clock %llu ms before the customer's last activity: %s, expected "
                        "ORCA_ECORRUPT\n", (unsigned long long)back, tu_rc_name(rc));
            fail();
        }
        w_free(&past);
    }
    tu_fx_free(&fa);
}

/* A snapshot whose clock is after a SCHEDULED interaction's due (its
 * timer would fire in the past): before, it was taken and the next
 * orca_engine_advance set the engine's clock back to that due
 * (fuzz_journal: the events stamped then set the figures' clock back and
 * the compacted journal did not replay). Refused now: orca_engine_check
 * refuses a deadline before the clock. */
static void test_due_before_clock(void **state)
{
    (void)state;
    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, NULL);
    uint64_t t0 = orca_engine_now(A);
    orca_queue_id q = tu_queue(A, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 7;
    d.queue = q;
    d.channel = ORCA_CHANNEL_CALLBACK;
    d.not_before_ms = t0 + 100000;
    TU_OK(orca_interaction_enqueue(A, &d));
    orca_interaction_info ii;
    TU_OK(orca_interaction_info_get(A, 7, &ii));
    assert_int_equal(ii.state, ORCA_STATE_SCHEDULED);
    /* before the due and at it: taken */
    wbuf before = snapshot_at(A, t0 + 50000);
    TU_OK(load(&before, 1));
    w_free(&before);
    wbuf at = snapshot_at(A, t0 + 100000);
    TU_OK(load(&at, 1));
    w_free(&at);
    /* after it: refused */
    for (uint64_t late = 1; late <= 100000000; late *= 100) {
        wbuf past = snapshot_at(A, t0 + 100000 + late);
        int rc = load(&past, 0);
        if (rc != ORCA_ECORRUPT) {
            print_error("clock %llu ms after a due: %s, expected ORCA_ECORRUPT\n",
                        (unsigned long long)late, tu_rc_name(rc));
            fail();
        }
        w_free(&past);
    }
    tu_fx_free(&fa);
}

/* The figures' clock (an orca_stats attached to both engines), rewritten
 * in snapshot s to `now`: the u64 after the "STA2" tag's five u32 and the
 * start. */
static void set_stats_clock(wbuf *s, uint64_t now)
{
    size_t at = 0;
    while (at + 4 <= s->n && memcmp(s->p + at, "STA2", 4) != 0)
        at++;
    assert_true(at + 36 <= s->n);
    for (int k = 0; k < 8; k++)
        s->p[at + 28 + k] = (uint8_t)(now >> (8 * k));
}

/* Load s into a new engine with an orca_stats attached; when taken, a call
 * and the snapshot of the result must load again (what a compaction does
 * next). */
static int load_with_stats(const wbuf *s)
{
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_stats *st;
    TU_OK(orca_stats_new(e, NULL, &st));
    uint8_t *scratch = malloc(SCRATCH);
    assert_non_null(scratch);
    rbuf r = { .p = s->p, .n = s->n, .scratch = scratch, .cap = SCRATCH };
    int rc = snap_load(e, &r);
    if (rc == ORCA_OK) {
        TU_OK(orca_engine_check(e));
        orca_interaction_def d;
        orca_interaction_def_init(&d);
        d.id = 99;
        d.queue = 1;
        d.channel = ORCA_CHANNEL_CHAT;
        TU_OK(orca_interaction_enqueue(e, &d));
        wbuf w = { .e = e };
        snap_save(e, &w);
        assert_false(w.bad);
        tu_fx f2;
        orca_engine *e2 = tu_fx_new(&f2, NULL);
        orca_stats *st2;
        TU_OK(orca_stats_new(e2, NULL, &st2));
        rbuf r2 = { .p = w.p, .n = w.n, .scratch = scratch, .cap = SCRATCH };
        TU_OK(snap_load(e2, &r2));
        orca_stats_free(st2);
        tu_fx_free(&f2);
        w_free(&w);
    }
    free(scratch);
    orca_stats_free(st);
    if (rc != ORCA_OK) {
        orca_engine_free(e); /* partly rebuilt: freed without a check */
        fx.e = NULL;
    }
    tu_fx_free(&fx);
    return rc;
}

/* Figures whose clock is after the engine's: the next event sets it back
 * to the engine's time, below the occupancy times read, and the snapshot
 * taken then no longer loads (fuzz_journal found it: "the compacted
 * journal does not replay"). Refused at the restore now. */
static void test_stats_after_clock(void **state)
{
    (void)state;
    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, NULL);
    orca_stats *st;
    TU_OK(orca_stats_new(A, NULL, &st));
    uint64_t t0 = orca_engine_now(A);
    tu_queue(A, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 5;
    d.queue = 1;
    d.channel = ORCA_CHANNEL_CHAT;
    TU_OK(orca_interaction_enqueue(A, &d));
    tu_advance(A, t0 + 50000);
    TU_OK(orca_interaction_cancel(A, 5));
    tu_advance(A, t0 + 60000);
    wbuf w = { .e = A };
    snap_save(A, &w);
    assert_false(w.bad);
    /* as it is (the figures' clock at the last event, t0 + 50 s), and at
     * the engine's clock: taken */
    TU_OK(load_with_stats(&w));
    set_stats_clock(&w, t0 + 60000);
    TU_OK(load_with_stats(&w));
    /* after the engine's clock: refused */
    for (uint64_t ahead = 1; ahead <= 100000000; ahead *= 100) {
        set_stats_clock(&w, t0 + 60000 + ahead);
        int rc = load_with_stats(&w);
        if (rc != ORCA_ECORRUPT) {
            print_error("figures %llu ms after the clock: %s, expected ORCA_ECORRUPT\n",
                        (unsigned long long)ahead, tu_rc_name(rc));
            fail();
        }
    }
    w_free(&w);
    orca_stats_free(st);
    tu_fx_free(&fa);
}

/* Offset of the 8 bytes of v (little-endian) after the "STA2" tag in s. */
static size_t find_u64_in_stats(const wbuf *s, uint64_t v)
{
    uint8_t pat[8];
    for (int k = 0; k < 8; k++)
        pat[k] = (uint8_t)(v >> (8 * k));
    size_t at = 0;
    while (at + 4 <= s->n && memcmp(s->p + at, "STA2", 4) != 0)
        at++;
    while (at + 8 <= s->n && memcmp(s->p + at, pat, 8) != 0)
        at++;
    assert_true(at + 8 <= s->n);
    return at;
}

/* The figures' list of the work an agent holds naming an interaction the
 * agent does not hold: before, it was taken, and when the agent's real
 * work ended the list outgrew the work count, so the next snapshot was
 * refused (fuzz_journal: "the compacted journal does not replay"). And an
 * agent's work count other than the engine's: the same drift. Refused now. */
static void test_stats_held_not_the_engines(void **state)
{
    (void)state;
    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, NULL);
    orca_stats *st;
    TU_OK(orca_stats_new(A, NULL, &st));
    orca_queue_id q = tu_queue(A, "q", ORCA_STRATEGY_LONGEST_IDLE);
    const uint64_t ag = 0x5a5a17, work = 0xabcdef01;
    tu_agent(A, ag, 100, NULL, 0);
    TU_OK(orca_queue_member_add(A, q, ag, 0));
    tu_ready(A, ag);
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = work;
    d.queue = q;
    d.channel = ORCA_CHANNEL_CHAT;
    TU_OK(orca_interaction_enqueue(A, &d));
    orca_interaction_info ii;
    TU_OK(orca_interaction_info_get(A, work, &ii));
    if (ii.state == ORCA_STATE_OFFERED)
        TU_OK(orca_offer_accept(A, work));
    TU_OK(orca_interaction_info_get(A, work, &ii));
    assert_int_equal(ii.state, ORCA_STATE_BUSY);
    wbuf w = { .e = A };
    snap_save(A, &w);
    assert_false(w.bad);
    TU_OK(load_with_stats(&w));
    /* held: an interaction that does not exist */
    size_t at = find_u64_in_stats(&w, work);
    w.p[at] ^= 0x40;
    int rc = load_with_stats(&w);
    w.p[at] ^= 0x40;
    if (rc != ORCA_ECORRUPT) {
        print_error("held work the engine does not have: %s, expected ORCA_ECORRUPT\n",
                    tu_rc_name(rc));
        fail();
    }
    /* the agent's work count (after its id, presence): 1 -> 2 */
    at = find_u64_in_stats(&w, ag);
    assert_int_equal(w.p[at + 9], 1);
    w.p[at + 9] = 2;
    rc = load_with_stats(&w);
    if (rc != ORCA_ECORRUPT) {
        print_error("a work count other than the engine's: %s, expected ORCA_ECORRUPT\n",
                    tu_rc_name(rc));
        fail();
    }
    w_free(&w);
    orca_stats_free(st);
    tu_fx_free(&fa);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_customer_after_clock),
        cmocka_unit_test(test_due_before_clock),
        cmocka_unit_test(test_stats_after_clock),
        cmocka_unit_test(test_stats_held_not_the_engines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
