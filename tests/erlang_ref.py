#!/usr/bin/env python3
"""erlang_ref.py: independent reference values for tests/test_staffing.c.

Standard library only; every figure in 60-digit decimal arithmetic, straight
from the textbook definitions, with none of the library's methods (no Erlang B
recursion, no incomplete-gamma series):

Erlang C (M/M/n): the definition with factorials,
    T_k = A^k / k!,  C = T_n n/(n-A) / (sum_{k<n} T_k + T_n n/(n-A)),
    SL(t) = 1 - C exp(-(n - A) t / h),  ASA = C h / (n - A).

Erlang A (M/M/n+M): the birth-death chain of the number N in the system,
    w_k = A^k / k!                                for k <= n,
    w_{n+m} = w_n prod_{j=1..m} lambda / (n mu + j theta),
summed until the terms are below 1e-50 of the total. Then, by PASTA:
    pwait = P(N >= n);
    pab   = theta E[(N - n)+] / lambda   (abandonment rate over arrival rate);
and for an arrival finding m waiting ahead, a tagged-customer chain: with j
ahead it moves to j-1 (or into service from j = 0) at rate n mu + j theta and
abandons at rate theta. P(answered) is the product of the stage odds,
E[wait | answered] the sum of the stage means 1 / (n mu + (j+1) theta), and
P(answered by t) comes from uniformization of that chain (a Poisson mixture
of powers of its jump matrix), nothing closed-form.

Usage: python3 tests/erlang_ref.py   (prints the C table rows pasted into
test_staffing.c; takes a few seconds).
"""
from decimal import Decimal as D, getcontext

getcontext().prec = 60
getcontext().Emin = -10**8
getcontext().Emax = 10**8


def erlang_c(n, lam, h, t):
    lam, h, t = D(lam), D(h), D(t)
    A = lam * h
    term, below = D(1), D(0)
    for k in range(1, n + 1):
        below += term          # sum of T_0 .. T_{k-1}
        term = term * A / k    # T_k
    top = term * n / (n - A)
    c = top / (below + top)
    sl = 1 - c * (-(n - A) * t / h).exp()
    asa = c * h / (n - A)
    return c, sl, asa


def erlang_a(n, lam, h, pat, t):
    lam, h, pat, t = D(lam), D(h), D(pat), D(t)
    mu, th = 1 / h, 1 / pat
    A = lam * h
    w = [D(1)]
    for k in range(1, n + 1):
        w.append(w[-1] * A / k)
    lo = sum(w[:n])            # N < n: no wait
    q = [w[n]]                 # q[m] = w_{n+m}
    tot = lo + w[n]
    m = 0
    while True:
        m += 1
        nxt = q[-1] * lam / (n * mu + m * th)
        q.append(nxt)
        tot += nxt
        if nxt < tot * D("1e-50") and lam < n * mu + m * th:
            break
    hi = sum(q)
    pwait = hi / tot
    pab = th * sum(i * x for i, x in enumerate(q)) / tot / lam
    served = 1 - pab
    # Tagged customer finding m ahead.
    M = len(q) - 1
    ok = []                    # P(answered | m)
    stage = []                 # E[wait | answered, m]
    p, s = D(1), D(0)
    for j in range(M + 1):
        p = p * (n * mu + j * th) / (n * mu + (j + 1) * th)
        s += 1 / (n * mu + (j + 1) * th)
        ok.append(p)
        stage.append(s)
    asa = sum(q[i] / tot * ok[i] * stage[i] for i in range(M + 1)) / served
    # Uniformization: states 0..M (ahead), plus absorbing answered.
    lam_u = n * mu + (M + 1) * th
    vec = [x / tot for x in q]
    answered = D(0)
    lt = lam_u * t
    pois = (-lt).exp()         # P(Poisson(lt) = 0)
    cum = pois
    acc = D(0)                 # sum_k pois_k * answered_k
    k = 0
    while True:
        acc += pois * answered
        if 1 - cum < D("1e-40"):
            break
        # one jump of the uniformized chain
        new = [D(0)] * (M + 1)
        answered += vec[0] * (n * mu) / lam_u
        for j in range(M + 1):
            v = vec[j]
            if v == 0:
                continue
            down = (n * mu + j * th) / lam_u
            stay = 1 - down - th / lam_u
            new[j] += v * stay
            if j > 0:
                new[j - 1] += v * down
        vec = new
        k += 1
        pois = pois * lt / k
        cum += pois
    sl = lo / tot + acc
    return pwait, sl, asa, pab


def agents(lam, h, t, goal):
    A = D(lam) * D(h)
    n = int(A) + 1
    while erlang_c(n, lam, h, t)[1] < D(goal):
        n += 1
    return n


def g(x):
    return "%.17g" % x


C_CASES = [  # n, lambda/s, handle s, target s
    (1, "0.5", "1", "1"),
    (11, "0.0555555555555555555555555555555555555555555555555555555556", "180", "20"),
    (13, "0.0555555555555555555555555555555555555555555555555555555556", "180", "20"),
    (50, "0.25", "180", "20"),
    (100, "0.1", "200", "30"),
    (200, "1.0555555555555555555555555555555555555555555555555555555556", "180", "20"),
    (2000, "10.833333333333333333333333333333333333333333333333333333333", "180", "20"),
    (2000, "5", "200", "20"),
    (100000, "555", "180", "20"),
]
A_CASES = [  # n, lambda/s, handle s, patience s, target s
    (1, "0.5", "1", "2", "1"),
    (10, "0.0555555555555555555555555555555555555555555555555555555556", "180", "120", "20"),
    (50, "0.25", "180", "300", "20"),
    (50, "0.35", "180", "60", "20"),
    (200, "1.0555555555555555555555555555555555555555555555555555555556", "180", "120", "20"),
    (2000, "10.833333333333333333333333333333333333333333333333333333333", "180", "180", "20"),
    (2000, "12.222222222222222222222222222222222222222222222222222222222", "180", "120", "20"),
]
AG_CASES = [  # lambda/s, handle s, target s, goal
    ("0.0555555555555555555555555555555555555555555555555555555556", "180", "20", "0.8"),
    ("0.5", "240", "15", "0.9"),
    ("10", "300", "20", "0.8"),
]

if __name__ == "__main__":
    print("/* erlang_c: n, lambda, h, t, pwait, sl, asa */")
    for n, lam, h, t in C_CASES:
        c, sl, asa = erlang_c(n, lam, h, t)
        print("{ %d, %s, %s, %s, %s, %s, %s }," % (n, lam, h, t, g(c), g(sl), g(asa)))
    print("/* erlang_a: n, lambda, h, patience, t, pwait, sl, asa, pab */")
    for n, lam, h, pat, t in A_CASES:
        pw, sl, asa, pab = erlang_a(n, lam, h, pat, t)
        print("{ %d, %s, %s, %s, %s, %s, %s, %s, %s }," %
              (n, lam, h, pat, t, g(pw), g(sl), g(asa), g(pab)))
    print("/* erlang_agents: lambda, h, t, goal, agents */")
    for lam, h, t, goal in AG_CASES:
        print("{ %s, %s, %s, %s, %d }," % (lam, h, t, goal, agents(lam, h, t, goal)))
