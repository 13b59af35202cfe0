/*
 * test_staffing.c: orca_erlang_c, orca_erlang_a and orca_erlang_agents
 * against reference values, their limits and identities, large centres,
 * and every bad input.
 *
 * The reference values were printed by tests/erlang_ref.py, an independent
 * computation in 60-digit decimal arithmetic from the textbook definitions
 * (factorial sums for Erlang C; for Erlang A the birth-death chain of the
 * number in the system, with the tagged customer's wait by uniformization),
 * sharing none of the library's methods. They are exact to far more digits
 * than printed (17 significant).
 *
 * Tolerance: 1e-9 relative (REL_TOL). The library's rounding error grows by
 * at most about 2 ulp per agent in the Erlang B recursion (so <= 1e-12 at
 * 2,000 agents and <= 5e-11 at 100,000), plus a few ulp in the Erlang A
 * series; measured, every figure agrees to 1e-14 relative or better. A
 * wrong formula is off by 1e-4 or more, so 1e-9 is far below any real
 * defect and well above the worst rounding.
 */
#include "testutil.h"

#include <math.h>

#define REL_TOL 1e-9

static void near_(double got, double want, double rel, const char *what, int row,
                  const char *file, int line)
{
    double err = fabs(got - want);
    double lim = rel * fabs(want) + 1e-300;
    if (!(err <= lim)) {
        print_error("row %d %s: got %.17g, want %.17g (error %.3g > %.3g)\n", row, what, got,
                    want, err, lim);
        _fail(file, line);
    }
}
#define NEAR(got, want, what, row) near_((got), (want), REL_TOL, (what), (row), __FILE__, __LINE__)

/* ---- reference tables (python3 tests/erlang_ref.py) ---------------------- */

static const struct {
    uint32_t n;
    double lambda, handle, target;
    double pwait, sl, asa;
} c_ref[] = {
    /* n, lambda, h, t, pwait, sl, asa */
{ 1, 0.5, 1, 1, 0.5, 0.69673467014368329, 1 },
{ 11, 0.0555555555555555555555555555555555555555555555555555555556, 180, 20, 0.68211820468933237, 0.38961381172915338, 122.78127684407983 },
{ 13, 0.0555555555555555555555555555555555555555555555555555555556, 180, 20, 0.28527045303649295, 0.79559478841778308, 17.116227182189576 },
{ 50, 0.25, 180, 20, 0.3638644672069884, 0.79123151725518692, 13.099120819451581 },
{ 100, 0.1, 200, 30, 3.4995829068738514e-37, 1, 8.7489572671846276e-37 },
{ 200, 1.0555555555555555555555555555555555555555555555555555555556, 180, 20, 0.3652638565625464, 0.87975769971993711, 6.574749418125835 },
{ 2000, 10.833333333333333333333333333333333333333333333333333333333, 180, 20, 0.17867506823273521, 0.99930925645529745, 0.6432302456378467 },
{ 2000, 5, 200, 20, 3.0612411552374968e-170, 1, 6.1224823104749942e-171 },
{ 100000, 555, 180, 20, 0.65799351179530263, 0.99999016606421909, 1.1843883212315447 },
};

static const struct {
    uint32_t n;
    double lambda, handle, patience, target;
    double pwait, sl, asa, pab;
} a_ref[] = {
    /* n, lambda, h, patience, t, pwait, sl, asa, pab */
{ 1, 0.5, 1, 2, 1, 0.4180232931306736, 0.76085415470014595, 0.24491632435438607, 0.16395341373865285 },
{ 10, 0.0555555555555555555555555555555555555555555555555555555556, 180, 120, 20, 0.49685274763014226, 0.63994130703598784, 14.554229655382318, 0.13746382627644985 },
{ 50, 0.25, 180, 300, 20, 0.2713542433149832, 0.89339147777708383, 4.6705043642818911, 0.016158370718025821 },
{ 50, 0.35, 180, 60, 20, 0.82402028497724, 0.56845221945780544, 13.234452742959153, 0.21594867406058862 },
{ 200, 1.0555555555555555555555555555555555555555555555555555555556, 180, 120, 20, 0.22208779646714799, 0.98293383800842304, 1.3763888826379009, 0.011871991516781612 },
{ 2000, 10.833333333333333333333333333333333333333333333333333333333, 180, 180, 20, 0.1313526369567147, 0.99852263512163941, 0.26370727699515728, 0.0014773637409657375 },
{ 2000, 12.222222222222222222222222222222222222222222222222222222222, 180, 120, 20, 0.99979983350034785, 0.90477133331284609, 11.392363272459653, 0.09091000722478379 },
};

static const struct {
    double lambda, handle, target, goal;
    uint32_t agents;
} agents_ref[] = {
    /* lambda, h, t, goal, agents */
{ 0.0555555555555555555555555555555555555555555555555555555556, 180, 20, 0.8, 14 },
{ 0.5, 240, 15, 0.9, 132 },
{ 10, 300, 20, 0.8, 3018 },
};

#define NROWS(t) (int)(sizeof(t) / sizeof((t)[0]))

/* ---- against the reference ------------------------------------------------ */

static void test_erlang_c_reference(void **state)
{
    (void)state;
    for (int i = 0; i < NROWS(c_ref); i++) {
        orca_erlang r;
        TU_OK(orca_erlang_c(c_ref[i].n, c_ref[i].lambda, c_ref[i].handle, c_ref[i].target, &r));
        NEAR(r.pwait, c_ref[i].pwait, "pwait", i);
        NEAR(r.sl, c_ref[i].sl, "sl", i);
        NEAR(r.asa_s, c_ref[i].asa, "asa_s", i);
        NEAR(r.wait_s, c_ref[i].asa, "wait_s", i);
        assert_true(r.pab == 0);
        double load = c_ref[i].lambda * c_ref[i].handle;
        NEAR(r.erlangs, load, "erlangs", i);
        NEAR(r.occupancy, load / c_ref[i].n, "occupancy", i);
    }
}

static void test_erlang_a_reference(void **state)
{
    (void)state;
    for (int i = 0; i < NROWS(a_ref); i++) {
        orca_erlang r;
        TU_OK(orca_erlang_a(a_ref[i].n, a_ref[i].lambda, a_ref[i].handle, a_ref[i].patience,
                            a_ref[i].target, &r));
        NEAR(r.pwait, a_ref[i].pwait, "pwait", i);
        NEAR(r.sl, a_ref[i].sl, "sl", i);
        NEAR(r.asa_s, a_ref[i].asa, "asa_s", i);
        NEAR(r.pab, a_ref[i].pab, "pab", i);
        /* Little's law on the queue: abandonment rate theta E[Q] = lambda pab,
         * E[Q] = lambda E[wait]; and served work keeps the agents busy. */
        NEAR(r.wait_s, a_ref[i].pab * a_ref[i].patience, "wait_s", i);
        double load = a_ref[i].lambda * a_ref[i].handle;
        NEAR(r.occupancy, load * (1 - a_ref[i].pab) / a_ref[i].n, "occupancy", i);
        NEAR(r.erlangs, load, "erlangs", i);
    }
}

static void test_erlang_agents_reference(void **state)
{
    (void)state;
    for (int i = 0; i < NROWS(agents_ref); i++) {
        uint32_t n = 0;
        orca_erlang r, at, below;
        TU_OK(orca_erlang_agents(agents_ref[i].lambda, agents_ref[i].handle,
                                 agents_ref[i].target, agents_ref[i].goal, &n, &r));
        assert_int_equal(n, agents_ref[i].agents);
        /* The figures returned are those of Erlang C at n; n meets the goal
         * and n - 1 does not. */
        TU_OK(orca_erlang_c(n, agents_ref[i].lambda, agents_ref[i].handle, agents_ref[i].target,
                            &at));
        NEAR(r.sl, at.sl, "sl", i);
        NEAR(r.pwait, at.pwait, "pwait", i);
        NEAR(r.asa_s, at.asa_s, "asa", i);
        assert_true(r.sl >= agents_ref[i].goal);
        int rc = orca_erlang_c(n - 1, agents_ref[i].lambda, agents_ref[i].handle,
                               agents_ref[i].target, &below);
        assert_true(rc == ORCA_ERANGE || below.sl < agents_ref[i].goal);
        /* out may be NULL. */
        uint32_t n2 = 0;
        TU_OK(orca_erlang_agents(agents_ref[i].lambda, agents_ref[i].handle,
                                 agents_ref[i].target, agents_ref[i].goal, &n2, NULL));
        assert_int_equal(n2, n);
    }
    /* Goal 0: the fewest agents that keep the queue stable. */
    uint32_t n = 0;
    TU_OK(orca_erlang_agents(0.5, 240, 20, 0, &n, NULL));    /* A = 120 */
    assert_int_equal(n, 121);
    TU_OK(orca_erlang_agents(0.5, 241, 20, 0, &n, NULL));    /* A = 120.5 */
    assert_int_equal(n, 121);
}

/* ---- closed forms and limits ---------------------------------------------- */

/* M/M/1: pwait = rho, ASA = rho h / (1 - rho), SL = 1 - rho e^{-(1-rho) t/h}.
 * M/M/1+M and M/M/2+M with patience -> 0: Erlang B. */
static void test_closed_forms(void **state)
{
    (void)state;
    for (double rho = 0.05; rho < 0.999; rho += 0.05) {
        orca_erlang r;
        double h = 120;
        TU_OK(orca_erlang_c(1, rho / h, h, 30, &r));
        NEAR(r.pwait, rho, "M/M/1 pwait", (int)(rho * 100));
        NEAR(r.asa_s, rho * h / (1 - rho), "M/M/1 asa", (int)(rho * 100));
        NEAR(r.sl, 1 - rho * exp(-(1 - rho) * 30 / h), "M/M/1 sl", (int)(rho * 100));
    }
    /* Patience next to nothing: Erlang B, here for n = 2, A = 1.5:
     * B = (A^2/2) / (1 + A + A^2/2). The error is O(patience / handle). */
    double A = 1.5, eb = A * A / 2 / (1 + A + A * A / 2);
    orca_erlang r;
    TU_OK(orca_erlang_a(2, A / 100, 100, 1e-6, 10, &r));
    near_(r.pwait, eb, 1e-6, "erlang B pwait", 0, __FILE__, __LINE__);
    near_(r.pab, eb, 1e-6, "erlang B pab", 0, __FILE__, __LINE__);
    near_(r.sl, 1 - eb, 1e-6, "erlang B sl", 0, __FILE__, __LINE__);
    /* ... and below the SHORT_PATIENCE cut the limit itself. */
    TU_OK(orca_erlang_a(2, A / 100, 100, 1e-280, 10, &r));
    NEAR(r.pwait, eb, "erlang B pwait (limit)", 0);
    NEAR(r.pab, eb, "erlang B pab (limit)", 0);
    assert_true(r.asa_s == 0);
}

/* Endless patience is Erlang C exactly; long patience tends to it. */
static void test_erlang_a_tends_to_c(void **state)
{
    (void)state;
    orca_erlang c, a;
    TU_OK(orca_erlang_c(50, 0.25, 180, 20, &c));
    TU_OK(orca_erlang_a(50, 0.25, 180, INFINITY, 20, &a));
    assert_memory_equal(&c, &a, sizeof c);
    double prev = 1;
    for (double p = 1e3; p <= 1e7; p *= 10) {
        TU_OK(orca_erlang_a(50, 0.25, 180, p, 20, &a));
        double gap = fabs(a.pwait - c.pwait) + fabs(a.sl - c.sl) + fabs(a.asa_s - c.asa_s) / 180;
        assert_true(gap < prev);     /* closer and closer ... */
        prev = gap;
    }
    assert_true(prev < 1e-4);        /* ... to within O(handle / patience) = 2e-5 */
    /* Unstable for Erlang C: Erlang A still answers, C says ERANGE. */
    TU_RC(orca_erlang_a(10, 0.1, 180, INFINITY, 20, &a), ORCA_ERANGE);
    TU_OK(orca_erlang_a(10, 0.1, 180, 300, 20, &a));
}

/* Target 0: only those answered at once meet it. A huge target: every
 * answered call meets it. */
static void test_target_edges(void **state)
{
    (void)state;
    orca_erlang r;
    TU_OK(orca_erlang_c(50, 0.25, 180, 0, &r));
    NEAR(r.sl, 1 - r.pwait, "C sl(0)", 0);
    TU_OK(orca_erlang_c(50, 0.25, 180, 1e9, &r));
    assert_true(r.sl == 1);
    for (int i = 0; i < NROWS(a_ref); i++) {
        TU_OK(orca_erlang_a(a_ref[i].n, a_ref[i].lambda, a_ref[i].handle, a_ref[i].patience, 0,
                            &r));
        NEAR(r.sl, 1 - a_ref[i].pwait, "A sl(0)", i);
        TU_OK(orca_erlang_a(a_ref[i].n, a_ref[i].lambda, a_ref[i].handle, a_ref[i].patience,
                            1e9, &r));
        NEAR(r.sl, 1 - a_ref[i].pab, "A sl(inf)", i);
    }
}

static void test_no_traffic(void **state)
{
    (void)state;
    orca_erlang r;
    TU_OK(orca_erlang_c(3, 0, 180, 20, &r));
    assert_true(r.pwait == 0 && r.sl == 1 && r.asa_s == 0 && r.wait_s == 0 && r.pab == 0);
    assert_true(r.occupancy == 0 && r.erlangs == 0);
    TU_OK(orca_erlang_a(3, 0, 180, 60, 20, &r));
    assert_true(r.pwait == 0 && r.sl == 1 && r.asa_s == 0 && r.pab == 0 && r.occupancy == 0);
    uint32_t n = 99;
    TU_OK(orca_erlang_agents(0, 180, 20, 0.8, &n, &r));
    assert_int_equal(n, 0);
    assert_true(r.sl == 1 && r.pwait == 0);
}

/* ---- large centres --------------------------------------------------------- */

/* 2,000 agents across loads from 50% to 150%: every figure finite and in
 * range, no NaN, and monotone in the number of agents. */
static void test_2000_agents(void **state)
{
    (void)state;
    const double h = 180, patience = 120;
    for (double rho = 0.5; rho <= 1.5; rho += 0.01) {
        double lambda = rho * 2000 / h;
        orca_erlang c[3], a[3];
        for (int d = 0; d < 3; d++) {
            uint32_t n = 1999 + (uint32_t)d;
            int rc = orca_erlang_c(n, lambda, h, 20, &c[d]);
            if (lambda * h < n) {
                assert_int_equal(rc, ORCA_OK);
                assert_true(c[d].pwait >= 0 && c[d].pwait <= 1);
                assert_true(c[d].sl >= 0 && c[d].sl <= 1);
                assert_true(c[d].asa_s >= 0 && isfinite(c[d].asa_s));
            } else {
                assert_int_equal(rc, ORCA_ERANGE);
            }
            TU_OK(orca_erlang_a(n, lambda, h, patience, 20, &a[d]));
            assert_true(a[d].pwait >= 0 && a[d].pwait <= 1);
            assert_true(a[d].sl >= 0 && a[d].sl <= 1);
            assert_true(a[d].pab >= 0 && a[d].pab <= a[d].pwait);
            assert_true(a[d].sl <= 1 - a[d].pab + 1e-12);
            assert_true(a[d].asa_s >= 0 && isfinite(a[d].asa_s));
            /* Served work cannot exceed what the agents can do. */
            assert_true(a[d].occupancy <= 1 + 1e-12);
            if (d > 0) {
                assert_true(a[d].pwait <= a[d - 1].pwait);
                assert_true(a[d].sl >= a[d - 1].sl);
                assert_true(a[d].pab <= a[d - 1].pab);
                if (lambda * h < n - 1) {
                    assert_true(c[d].pwait <= c[d - 1].pwait);
                    assert_true(c[d].sl >= c[d - 1].sl);
                }
            }
        }
    }
    /* Far past factorial overflow (170!) and e^709: still exact. */
    orca_erlang r;
    TU_OK(orca_erlang_c(2000, 5, 200, 20, &r));
    assert_true(r.pwait > 0 && r.pwait < 1e-160);
    TU_OK(orca_erlang_a(2000, 30, 180, 600, 20, &r));   /* 2.7x overload */
    assert_true(r.pwait == 1 || r.pwait > 0.999999);
    near_(r.occupancy, 1, 1e-3, "overload occupancy", 0, __FILE__, __LINE__);
    assert_true(r.pab > 0.62 && r.pab < 0.64);          /* 1 - 2000/5400 = 0.6296 */
}

/* ---- bad input -------------------------------------------------------------- */

static void test_bad_input(void **state)
{
    (void)state;
    orca_erlang r, keep;
    memset(&keep, 0x5A, sizeof keep);
    const double bad[] = { -1, NAN, INFINITY, -INFINITY };
#define UNTOUCHED(call) do { r = keep; TU_RC(call, ORCA_EINVAL); \
        assert_memory_equal(&r, &keep, sizeof r); } while (0)
    UNTOUCHED(orca_erlang_c(0, 0.1, 180, 20, &r));
    TU_RC(orca_erlang_c(10, 0.1, 180, 20, NULL), ORCA_EINVAL);
    UNTOUCHED(orca_erlang_a(0, 0.1, 180, 60, 20, &r));
    TU_RC(orca_erlang_a(10, 0.1, 180, 60, 20, NULL), ORCA_EINVAL);
    for (int i = 0; i < 4; i++) {
        double b = bad[i];
        UNTOUCHED(orca_erlang_c(10, b, 180, 20, &r));
        UNTOUCHED(orca_erlang_c(10, 0.01, b, 20, &r));
        UNTOUCHED(orca_erlang_c(10, 0.01, 180, b, &r));
        UNTOUCHED(orca_erlang_a(10, b, 180, 60, 20, &r));
        UNTOUCHED(orca_erlang_a(10, 0.01, b, 60, 20, &r));
        UNTOUCHED(orca_erlang_a(10, 0.01, 180, 60, b, &r));
        if (b != INFINITY)             /* endless patience is allowed */
            UNTOUCHED(orca_erlang_a(10, 0.01, 180, b, 20, &r));
        uint32_t n = 7;
        TU_RC(orca_erlang_agents(b, 180, 20, 0.8, &n, &r), ORCA_EINVAL);
        TU_RC(orca_erlang_agents(0.1, b, 20, 0.8, &n, &r), ORCA_EINVAL);
        TU_RC(orca_erlang_agents(0.1, 180, b, 0.8, &n, &r), ORCA_EINVAL);
        TU_RC(orca_erlang_agents(0.1, 180, 20, b, &n, &r), ORCA_EINVAL);
        assert_int_equal(n, 7);
    }
    UNTOUCHED(orca_erlang_c(10, 0.01, 0, 20, &r));          /* handle 0 */
    UNTOUCHED(orca_erlang_a(10, 0.01, 180, 0, 20, &r));     /* patience 0 */
    uint32_t n = 7;
    TU_RC(orca_erlang_agents(0.1, 180, 20, 1, &n, &r), ORCA_EINVAL);   /* goal 100% */
    TU_RC(orca_erlang_agents(0.1, 180, 20, 1.5, &n, &r), ORCA_EINVAL);
    TU_RC(orca_erlang_agents(0.1, 180, 20, 0.8, NULL, &r), ORCA_EINVAL);
    assert_int_equal(n, 7);
#undef UNTOUCHED
}

/* Unstable Erlang C: ORCA_ERANGE with the limit; too large: NaN. */
static void test_range(void **state)
{
    (void)state;
    orca_erlang r;
    TU_RC(orca_erlang_c(10, 10.0 / 180, 180, 20, &r), ORCA_ERANGE);   /* A = n */
    assert_true(r.pwait == 1 && r.sl == 0 && r.pab == 0 && r.occupancy == 1);
    assert_true(isinf(r.asa_s) && isinf(r.wait_s));
    NEAR(r.erlangs, 10, "erlangs", 0);
    TU_RC(orca_erlang_c(10, 1, 180, 20, &r), ORCA_ERANGE);            /* A = 180 */
    assert_true(r.pwait == 1 && isinf(r.asa_s));
    TU_OK(orca_erlang_c(11, 10.0 / 180, 180, 20, &r));
    /* Past ORCA_ERLANG_LOAD_MAX. */
    TU_RC(orca_erlang_c(UINT32_MAX, 1e6, 100, 20, &r), ORCA_ERANGE);
    assert_true(isnan(r.pwait) && isnan(r.sl) && isnan(r.asa_s) && isnan(r.occupancy));
    TU_RC(orca_erlang_a(UINT32_MAX, 1e6, 100, 60, 20, &r), ORCA_ERANGE);
    assert_true(isnan(r.pwait) && isnan(r.pab));
    TU_RC(orca_erlang_a(100, 1, 50, 1e8, 20, &r), ORCA_ERANGE);       /* lambda patience */
    assert_true(isnan(r.pwait));
    uint32_t n = 7;
    TU_RC(orca_erlang_agents(1e6, 100, 20, 0.8, &n, &r), ORCA_ERANGE);
    assert_int_equal(n, 7);
    /* At the limit itself it answers (1e7 erlangs, in well under a second). */
    TU_OK(orca_erlang_c(10000001, 1e5, 100, 20, &r));
    assert_true(r.pwait > 0 && r.pwait < 1);
}

int main(void)
{
    tu_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_erlang_c_reference),
        cmocka_unit_test(test_erlang_a_reference),
        cmocka_unit_test(test_erlang_agents_reference),
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_erlang_a_tends_to_c),
        cmocka_unit_test(test_target_edges),
        cmocka_unit_test(test_no_traffic),
        cmocka_unit_test(test_2000_agents),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
