/*
 * staffing.c: Erlang C and Erlang A (orca_erlang_c, orca_erlang_a,
 * orca_erlang_agents). Pure functions: no engine, no allocation.
 *
 * Erlang B by recursion. With R(k) = 1 / B(k, A), R(0) = 1 and
 *     R(k) = 1 + (k / A) R(k - 1),
 * every step adds positive terms, so the relative error stays about
 * 2 eps per step and never amplifies (the usual B(k) = A B / (k + A B)
 * is the same recursion inverted). R is kept as a mantissa and a binary
 * exponent, so it never overflows; once k >= A, R only grows, and past
 * 2^1100 B is below the smallest double: B is then 0 exactly in double
 * precision and the loop stops. So a call costs O(min(n, A + 40 sqrt(A))).
 *
 * Erlang C from B: C = B / ((1 - rho) + rho B), rho = A / n.
 *
 * Erlang A (M/M/n+M) follows Zeltyn and Mandelbaum's summary of M/M/n+G
 * with exponential patience (rate theta = 1 / patience). Let mu = 1 / h,
 * y = lambda / theta, a = n mu / theta, E = 1 / B(n - 1, A),
 *     phi(x) = y (1 - e^(-theta x)) - n mu x.
 * The offered wait V has P(V = 0) = E / (E + lambda J) and density
 * lambda e^phi(x) / (E + lambda J) on x > 0, with J = integral of e^phi on
 * (0, inf). An arrival is answered iff V < its patience (probability
 * e^(-theta x) at V = x). Every integral needed is of the form
 *     I_b(s) = integral of exp(s (1 - e^(-theta x)) - b theta x) dx
 *            = (1/theta) sum_{m>=0} s^m / prod_{i=0..m} (b + i)
 * (integrate by parts: I_b = 1/(b theta) + (s/b) I_{b+1}), or its
 * derivative in b. With base terms t_m = y^m / prod_{i=0..m} (a + i):
 *     S0  = sum t_m                            lambda J         = y S0
 *     S1  = sum t_m a/(a+m+1)                  answered, waited = y S1
 *     Sab = sum t_m (m+1)/(a+m+1)              abandoned        = y Sab
 *     SK1 = sum t_m a/(a+m+1) H_m,             E[V; answered]   = y SK1 / theta
 *           H_m = sum_{i=1..m+1} 1/(a+i)
 * (each "= y S" is that quantity times E + lambda J), and for the service
 * level, the answered waits longer than the target T:
 *     tail = exp(y (1 - e^(-theta T)) - (a + 1) theta T) Sz1,
 *     Sz1 = sum z^m / prod_{i=1..m+1} (a + i),   z = y e^(-theta T).
 * All terms are positive: no cancellation. Multiplying through by B, every
 * figure is a ratio (c + X) / (1 + X0) with X = B y S, computed in log
 * scale so that nothing overflows in heavy overload (S0 can exceed 1e300).
 */
#include "orca.h"

#include <float.h>
#include <math.h>

#define LN2 0.69314718055994530942

/* 1 / B(k, A) = r * 2^ex, or +inf (B underflows) once `under` is set. */
typedef struct erlang_b {
    double a;      /* offered load A > 0 */
    double r;      /* mantissa in [0.5, 1) */
    int ex;
    int under;
    uint32_t k;
} erlang_b;

static void eb_init(erlang_b *b, double load)
{
    b->a = load;
    b->r = 0.5; /* R(0) = 1 = 0.5 * 2^1 */
    b->ex = 1;
    b->under = 0;
    b->k = 0;
}

static void eb_step(erlang_b *b)
{
    b->k++;
    if (b->under)
        return;
    int e2;
    b->r = frexp(ldexp(1.0, -b->ex) + b->r * ((double)b->k / b->a), &e2);
    b->ex += e2;
    if ((double)b->k >= b->a && b->ex > 1100)
        b->under = 1;
}

static void eb_to(erlang_b *b, uint32_t k)
{
    while (b->k < k && !b->under)
        eb_step(b);
    if (b->k < k)
        b->k = k;
}

/* log(1 / B(k, A)) >= 0; +inf when B is below the smallest double. */
static double eb_log_inv(const erlang_b *b)
{
    return b->under ? INFINITY : log(b->r) + (double)b->ex * LN2;
}

static int bad_pos(double v) /* not a finite number > 0 */
{
    return !(v > 0) || !isfinite(v);
}

static int bad_nonneg(double v) /* not a finite number >= 0 */
{
    return !(v >= 0) || !isfinite(v);
}

static void fill_nan(orca_erlang *out)
{
    out->pwait = out->sl = out->asa_s = out->wait_s = NAN;
    out->pab = out->occupancy = out->erlangs = NAN;
}

static void fill_idle(orca_erlang *out, double load, double agents)
{
    out->pwait = 0;
    out->sl = 1;
    out->asa_s = out->wait_s = 0;
    out->pab = 0;
    out->occupancy = agents > 0 ? load / agents : 0;
    out->erlangs = load;
}

/* A below this is no traffic: B(k, A) underflows at k = 1 already. */
#define TINY_LOAD 1e-300

/* Erlang C figures for n agents from log(1 / B(n, A)); A < n. */
static void erlang_c_from(double n, double load, double handle_s, double target_s,
                          double log_inv_b, orca_erlang *out)
{
    double b = exp(-log_inv_b);           /* B(n, A); 0 if it underflows */
    double gap = n - load;                /* n - A > 0 */
    double rho = load / n;
    double c = b / (gap / n + rho * b);   /* Erlang C */
    if (c > 1)
        c = 1;
    out->pwait = c;
    out->sl = 1 - c * exp(-gap * target_s / handle_s);
    out->asa_s = out->wait_s = c * handle_s / gap;
    out->pab = 0;
    out->occupancy = rho;
    out->erlangs = load;
}

int orca_erlang_c(uint32_t agents, double arrivals_per_s, double handle_s,
                  double target_s, orca_erlang *out)
{
    if (!out || agents == 0 || bad_nonneg(arrivals_per_s) || bad_pos(handle_s) ||
        bad_nonneg(target_s))
        return ORCA_EINVAL;
    double n = (double)agents, load = arrivals_per_s * handle_s;
    if (!(load <= ORCA_ERLANG_LOAD_MAX)) {
        fill_nan(out);
        return ORCA_ERANGE;
    }
    if (load < TINY_LOAD) {
        fill_idle(out, load, n);
        return ORCA_OK;
    }
    if (load >= n) {
        out->pwait = 1;
        out->sl = 0;
        out->asa_s = out->wait_s = INFINITY;
        out->pab = 0;
        out->occupancy = 1;
        out->erlangs = load;
        return ORCA_ERANGE;
    }
    erlang_b b;
    eb_init(&b, load);
    eb_to(&b, agents);
    erlang_c_from(n, load, handle_s, target_s, eb_log_inv(&b), out);
    return ORCA_OK;
}

/* ---- Erlang A ----------------------------------------------------------- */

/* a or y below this: patience is nothing next to handle and interarrival
 * times; the answer is the limit, Erlang B, to far better than 1e-200. */
#define SHORT_PATIENCE 1e-250

#define RESCALE_AT 0x1p500
#define RESCALE_BY 0x1p-500
#define RESCALE_LOG (500 * LN2)
#define SERIES_EPS 1e-18

/* Sums of the base terms t_m = s^m / prod_{i=0..m} (a + i), kept as
 * exp(lscale) * (the fields); those of S1/Sz1, Sab and SK1 are weighted as
 * in the comment at the top. Only S1's weights are needed for Sz1. */
typedef struct series {
    double lscale;
    double s0, s1, sab, sk1;
} series;

static void series_sum(double a, double s, int full, series *out)
{
    double t = 1, h = 0; /* t_m / exp(lscale); h = H_m */
    double s0 = 0, s1 = 0, sab = 0, sk1 = 0, lscale = -log(a);
    for (double m = 0;; m++) {
        double am1 = a + m + 1;
        double w1 = t * (a / am1);
        h += 1 / am1;
        s0 += t;
        s1 += w1;
        if (full) {
            sab += t * ((m + 1) / am1);
            sk1 += w1 * h;
        }
        double q = s / am1; /* t_{m+1} / t_m */
        if (q < 1) {
            /* The ratios only fall from here on, so the rest of the terms
             * add up to at most t q / (1 - q), and their H is at most h
             * plus the mean number of further terms over a + m + 2. */
            double rest = t * q / (1 - q);
            double hrest = h + 1 / ((a + m + 2) * (1 - q));
            if (rest <= SERIES_EPS * s1 && (!full || rest * hrest <= SERIES_EPS * sk1))
                break;
        }
        t *= q;
        if (t > RESCALE_AT) {
            t *= RESCALE_BY;
            s0 *= RESCALE_BY;
            s1 *= RESCALE_BY;
            sab *= RESCALE_BY;
            sk1 *= RESCALE_BY;
            lscale += RESCALE_LOG;
        }
    }
    out->lscale = lscale;
    out->s0 = s0;
    out->s1 = s1;
    out->sab = sab;
    out->sk1 = sk1;
}

/* (c + e^lb x) / (1 + e^lb d), without overflow for any lb. */
static double ratio(double lb, double c, double x, double d)
{
    if (lb <= 0) {
        double f = exp(lb);
        return (c + f * x) / (1 + f * d);
    }
    double g = exp(-lb);
    return (c * g + x) / (g + d);
}

static double clamp01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

int orca_erlang_a(uint32_t agents, double arrivals_per_s, double handle_s,
                  double patience_s, double target_s, orca_erlang *out)
{
    if (!out || agents == 0 || bad_nonneg(arrivals_per_s) || bad_pos(handle_s) ||
        bad_nonneg(target_s) || !(patience_s > 0))
        return ORCA_EINVAL;
    if (isinf(patience_s))
        return orca_erlang_c(agents, arrivals_per_s, handle_s, target_s, out);
    double n = (double)agents, load = arrivals_per_s * handle_s;
    double y = arrivals_per_s * patience_s;
    if (!(load <= ORCA_ERLANG_LOAD_MAX) || !(y <= ORCA_ERLANG_LOAD_MAX)) {
        fill_nan(out);
        return ORCA_ERANGE;
    }
    if (load < TINY_LOAD) {
        fill_idle(out, load, n);
        return ORCA_OK;
    }
    double a = n * (patience_s / handle_s);
    if (isinf(a)) /* patience endless next to handle times: Erlang C */
        return orca_erlang_c(agents, arrivals_per_s, handle_s, target_s, out);
    erlang_b b;
    eb_init(&b, load);
    if (a < SHORT_PATIENCE || y < SHORT_PATIENCE) {
        /* Patience next to nothing: whoever finds every agent busy leaves
         * at once, the Erlang B loss system (the limit as patience -> 0). */
        eb_to(&b, agents);
        double lost = exp(-eb_log_inv(&b));
        out->pwait = out->pab = lost;
        out->sl = 1 - lost;
        out->asa_s = out->wait_s = 0;
        out->occupancy = load * (1 - lost) / n;
        out->erlangs = load;
        return ORCA_OK;
    }
    double th_t = target_s / patience_s; /* theta T */
    eb_to(&b, agents - 1);
    double lb_inv = eb_log_inv(&b);      /* log E = -log B(n - 1, A) */

    series sy, sz;
    series_sum(a, y, 1, &sy);
    /* Answered with a wait above the target, in the scale of sy. */
    double late = 0;
    if (sy.s1 > 0) {
        double z = y * exp(-th_t);
        double lfac = y * -expm1(-th_t) - (a + 1) * th_t;
        if (isfinite(lfac)) {
            series_sum(a, z, 0, &sz);
            late = exp(lfac + sz.lscale - sy.lscale) * sz.s1;
        }
    }
    double in_time = sy.s1 - late;
    if (in_time < 0)
        in_time = 0;
    double lb = -lb_inv + log(y) + sy.lscale; /* log(B y) + scale */

    double pwait = clamp01(ratio(lb, 0, sy.s0, sy.s0));
    double pab = clamp01(ratio(lb, 0, sy.sab, sy.s0));
    double sl = clamp01(ratio(lb, 1, in_time, sy.s0));
    /* E[wait | answered] = patience B y SK1 / (1 + B y S1). */
    double asa = patience_s * ratio(lb, 0, sy.sk1, sy.s1);
    out->pwait = pwait;
    out->sl = sl;
    out->asa_s = asa;
    out->wait_s = pab * patience_s;   /* Little: E[queue] = lambda E[wait] */
    out->pab = pab;
    out->occupancy = load * (1 - pab) / n;
    out->erlangs = load;
    return ORCA_OK;
}

/* ---- staffing ----------------------------------------------------------- */

int orca_erlang_agents(double arrivals_per_s, double handle_s, double target_s,
                       double sl_goal, uint32_t *agents, orca_erlang *out)
{
    if (!agents || bad_nonneg(arrivals_per_s) || bad_pos(handle_s) ||
        bad_nonneg(target_s) || !(sl_goal >= 0 && sl_goal < 1))
        return ORCA_EINVAL;
    double load = arrivals_per_s * handle_s;
    if (!(load <= ORCA_ERLANG_LOAD_MAX))
        return ORCA_ERANGE;
    orca_erlang r;
    if (arrivals_per_s == 0) {
        *agents = 0;
        if (out)
            fill_idle(out, 0, 0);
        return ORCA_OK;
    }
    if (load < TINY_LOAD) {
        *agents = 1;
        if (out)
            fill_idle(out, load, 1);
        return ORCA_OK;
    }
    /* Service level only grows with agents: start at the fewest that keep
     * the queue stable and add one at a time, the recursion following. */
    uint64_t n = (uint64_t)floor(load) + 1;
    erlang_b b;
    eb_init(&b, load);
    eb_to(&b, (uint32_t)n);
    for (;;) {
        erlang_c_from((double)n, load, handle_s, target_s, eb_log_inv(&b), &r);
        if (r.sl >= sl_goal)
            break;
        if (n == UINT32_MAX)
            return ORCA_ERANGE;
        n++;
        eb_step(&b);
    }
    *agents = (uint32_t)n;
    if (out)
        *out = r;
    return ORCA_OK;
}
