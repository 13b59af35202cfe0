/*
 * timers.c: what one long clock step costs with an agent who never answers
 * (issue 11). Each offer timeout is re-offered after the re-offer delay;
 * with the default no_answer_limit the agent goes NOT_READY after three and
 * the step ends, however long it is; with ORCA_NO_ANSWER_NEVER every offer
 * period in the step is an offer and a timeout, so the cost grows with the
 * step (one per 20 s + 30 s at the defaults).
 */
#include "timers_bench.h"

#include <orca.h>
#include <stdio.h>
#include <time.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* One READY agent, one call offered to it at 0, then one step to `step`. */
static int long_step(uint32_t no_answer_limit, uint64_t step, const char *what)
{
    orca_config c;
    orca_config_init(&c);
    c.no_answer_limit = no_answer_limit;
    orca_engine *e;
    if (orca_engine_new(&c, &e) != ORCA_OK)
        return -1;
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "q";
    orca_queue_id q;
    orca_agent_def ad;
    orca_agent_def_init(&ad);
    ad.id = 1;
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 10;
    d.channel = ORCA_CHANNEL_VOICE;
    int rc = orca_queue_add(e, &qd, &q);
    d.queue = q;
    if (!rc)
        rc = orca_agent_add(e, &ad);
    if (!rc)
        rc = orca_queue_member_add(e, q, 1, 0);
    if (!rc)
        rc = orca_agent_set_presence(e, 1, ORCA_PRESENCE_READY, 0);
    if (!rc)
        rc = orca_interaction_enqueue(e, &d);
    double t0 = now_s();
    if (!rc)
        rc = orca_engine_advance(e, step);
    double t1 = now_s();
    orca_counts n;
    orca_agent_info ai;
    if (!rc)
        rc = orca_engine_counts(e, &n);
    if (!rc)
        rc = orca_agent_info_get(e, 1, &ai);
    if (!rc)
        printf("  %-30s step %15llu ms: %10.6f s, %10u timeouts, %10llu events, %6.1f ns per "
               "timeout\n", what, (unsigned long long)step, t1 - t0, ai.missed,
               (unsigned long long)n.events, ai.missed ? (t1 - t0) * 1e9 / ai.missed : 0.0);
    orca_engine_free(e);
    return rc;
}

int bench_timers(void)
{
    printf("timers: one clock step, one agent who never answers one call\n");
    int rc = long_step(0, ORCA_TIME_MAX - 1, "no_answer_limit default (3)");
    if (!rc)
        rc = long_step(ORCA_NO_ANSWER_NEVER, 10000000000ull, "ORCA_NO_ANSWER_NEVER");
    if (!rc)
        rc = long_step(ORCA_NO_ANSWER_NEVER, 100000000000ull, "ORCA_NO_ANSWER_NEVER");
    return rc;
}
