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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_customer_after_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
