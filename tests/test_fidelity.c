/*
 * test_fidelity.c: the engine, driven as a simulator through the public
 * API, reproduces queueing theory. The short form of `simulate --fidelity`
 * (same code: examples/simcore.h): one queue served by one skill, n agents,
 * longest idle first, offers accepted at once, Poisson arrivals,
 * exponential handle times and, for Erlang A, exponential patience with
 * abandonment through orca_interaction_abandon(). Independent replications
 * give the mean and 95% confidence interval of the probability of waiting,
 * ASA, service level (20 s) and abandonment; each must agree with
 * orca_erlang_c() / orca_erlang_a().
 *
 * Tolerance: |measured - theory| <= 3 * ci95 + eps.
 *  - ci95 is the Student-t half-width over 20 replications (t = 2.093 SE),
 *    so 3 of them are 6.3 standard errors. Seeds are fixed, so a run is
 *    deterministic; but any change to the engine that breaks ties
 *    differently gives a fresh sample path, and for an unbiased estimate
 *    the chance of landing outside 6.3 SE is about 5e-6 per figure
 *    (t with 19 df), 1e-4 for the whole test. Not flaky.
 *  - eps covers biases that more replications would not shrink, all far
 *    smaller: times rounded to 1 us (1e-6 of a gap), the warm-up of 100
 *    handle times from an empty centre (the queue forgets its start within
 *    a few relaxation times, about 10 handle times here: < 1e-4), the ratio
 *    estimator of ASA (O(1 / arrivals per replication) = 2e-5 relative).
 *    eps = 0.002 for probabilities, 1% + 0.05 s for ASA.
 * The test also has teeth: each interval must be narrow (pwait and SL
 * within +-0.02, abandonment +-0.01, ASA +-10%), and the same measurement
 * must reject Erlang C with one agent fewer.
 *
 * ORCA_FIDELITY_SCALE (default 1) multiplies the run length (e.g. 0.1 under
 * valgrind); the width limits grow by 1/sqrt(scale) to match.
 */
#include "testutil.h"

#include <math.h>
#include <time.h>

#include "../examples/simcore.h"

#define EPS_P 0.002
#define EPS_ASA_REL 0.01
#define EPS_ASA_ABS 0.05

static double scale(void)
{
    const char *v = getenv("ORCA_FIDELITY_SCALE");
    double s = v ? strtod(v, NULL) : 1;
    return s > 0 ? s : 1;
}

static void agree_(const char *what, double meas, double ci, double theory, double eps,
                   double max_ci, const char *file, int line)
{
    double lim = 3 * ci + eps;
    print_message("  %-6s %10.5f +- %8.5f   theory %10.5f   |diff| %8.5f <= %8.5f\n", what, meas,
                  ci, theory, fabs(meas - theory), lim);
    if (!(fabs(meas - theory) <= lim)) {
        print_error("%s: measured %.6f +- %.6f, theory %.6f: off by more than 3 CI + %.4f\n",
                    what, meas, ci, theory, eps);
        _fail(file, line);
    }
    if (!(ci <= max_ci)) {
        print_error("%s: interval +-%.6f wider than %.6f: the run is too short to tell\n", what,
                    ci, max_ci);
        _fail(file, line);
    }
}
#define AGREE(w, m, c, t, e, mx) agree_((w), (m), (c), (t), (e), (mx), __FILE__, __LINE__)

static void run(sc_model model, uint32_t n, double rho, double patience, double arrivals,
                uint64_t seed)
{
    double sc = scale(), widen = 1 / sqrt(sc);
    sc_fid_cfg c;
    memset(&c, 0, sizeof c);
    c.model = model;
    c.agents = n;
    c.handle_s = 180;
    c.arrivals_per_s = rho * n / c.handle_s;
    c.patience_s = patience;
    c.target_s = 20;
    c.warmup_s = 100 * c.handle_s;
    c.measure_s = arrivals * sc / c.arrivals_per_s;
    c.replications = 20;
    c.seed = seed;
    sc_fid_result r;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(sc_fidelity(&c, &r), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("%s n=%u rho=%.2f%s: %llu arrivals measured in %.2f s\n",
                  model == SC_ERLANG_A ? "Erlang A" : "Erlang C", n, rho,
                  model == SC_ERLANG_A ? " (patience)" : "", (unsigned long long)r.arrivals,
                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
    TU_OK(r.theory_rc);
    /* Nothing lost: every measured arrival was answered or abandoned. */
    assert_int_equal(r.unresolved, 0);
    assert_true((double)r.arrivals > 0.9 * 20 * arrivals * sc);
    const orca_erlang *th = &r.theory;
    AGREE("pwait", r.pwait, r.pwait_ci, th->pwait, EPS_P, 0.02 * widen);
    AGREE("ASA", r.asa_s, r.asa_ci, th->asa_s, EPS_ASA_REL * th->asa_s + EPS_ASA_ABS,
          0.1 * th->asa_s * widen);
    AGREE("SL", r.sl, r.sl_ci, th->sl, EPS_P, 0.02 * widen);
    if (model == SC_ERLANG_A)
        AGREE("pab", r.pab, r.pab_ci, th->pab, EPS_P, 0.01 * widen);
    else
        assert_true(r.pab == 0);
    /* Teeth: the same data rejects the theory for one agent fewer. */
    orca_erlang fewer;
    int rc = model == SC_ERLANG_A
                 ? orca_erlang_a(n - 1, c.arrivals_per_s, c.handle_s, patience, c.target_s, &fewer)
                 : orca_erlang_c(n - 1, c.arrivals_per_s, c.handle_s, c.target_s, &fewer);
    if (rc == ORCA_OK)
        assert_true(fabs(r.pwait - fewer.pwait) > 3 * r.pwait_ci + EPS_P);
}

/* Erlang C: 20 agents at 80% load: pwait 0.256, ASA 11.5 s, SL 0.836. */
static void test_erlang_c(void **state)
{
    (void)state;
    run(SC_ERLANG_C, 20, 0.80, 0, 60000, 11);
}

/* Erlang A at full load: 20 agents, offered load 20 erlangs, patience 2 min. */
static void test_erlang_a(void **state)
{
    (void)state;
    run(SC_ERLANG_A, 20, 1.00, 120, 60000, 12);
}

/* Erlang A overloaded by 30% (where Erlang C has no answer): 5 agents,
 * patience 1 min; a third of the callers give up. */
static void test_erlang_a_overload(void **state)
{
    (void)state;
    run(SC_ERLANG_A, 5, 1.30, 60, 40000, 13);
}

int main(void)
{
    tu_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_erlang_c),
        cmocka_unit_test(test_erlang_a),
        cmocka_unit_test(test_erlang_a_overload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
