/*
 * test_uv.c: the libuv adapter (include/orca/uv.h) on a real uv loop.
 *
 * Each test gets its own uv_loop_t, engine and adapter, plus a watchdog
 * timer that stops the loop (and fails the test) if an expected event never
 * comes. Teardown closes the adapter, runs the loop until its done callback,
 * and requires uv_loop_close() to succeed, i.e. no handle was left behind;
 * under valgrind that also proves the adapter freed everything.
 *
 * ORCA_UV_THREADS (default 4) and ORCA_UV_PER_THREAD (default 1000) size
 * the concurrent-submit test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <pthread.h>

#include "orca.h"
#include "orca/uv.h"

#define MAX_EVENTS 256
#define WATCHDOG_MS 20000

typedef struct fx {
    uv_loop_t loop;
    orca_engine *e;
    orca_uv *u;
    uv_timer_t watchdog;
    int watchdog_fired;
    int done_calls;
    orca_uv *done_u;

    /* What the listener saw. */
    orca_event events[MAX_EVENTS];
    size_t nevents;
    uint64_t by_type[ORCA_EV_TYPE_COUNT];
    orca_event_type stop_on;   /* uv_stop() when this event comes; 0: never */
    int stop_count;            /* ... after this many of them */
    int kick_from_listener;    /* call orca_uv_kick() from the listener */
    int kick_rc;

    /* Concurrent submit test. */
    uint8_t *seen;             /* ENQUEUED count per interaction id */
    uint64_t nseen;
    uint64_t ran, expected_runs;
    int enqueue_errors;
    int last_enqueue_rc;
} fx;

static void listener(void *data, const orca_event *ev)
{
    fx *f = data;
    if (f->nevents < MAX_EVENTS)
        f->events[f->nevents++] = *ev;
    if ((unsigned)ev->type < ORCA_EV_TYPE_COUNT)
        f->by_type[ev->type]++;
    if (ev->type == ORCA_EV_ENQUEUED && f->seen != NULL &&
        ev->interaction < f->nseen && f->seen[ev->interaction] < 255)
        f->seen[ev->interaction]++;
    if (f->kick_from_listener)
        f->kick_rc = orca_uv_kick(f->u);
    if (f->stop_on != 0 && ev->type == f->stop_on &&
        f->by_type[ev->type] == (uint64_t)f->stop_count)
        uv_stop(&f->loop);
}

static void on_watchdog(uv_timer_t *t)
{
    fx *f = t->data;
    f->watchdog_fired = 1;
    uv_stop(&f->loop);
}

static void on_done(orca_uv *u, void *arg)
{
    fx *f = arg;
    f->done_calls++;
    f->done_u = u;
}

/* A loop and an engine with the listener; no adapter yet (fx_attach). */
static fx *fx_engine(const orca_config *cfg)
{
    fx *f = calloc(1, sizeof *f);
    int h;
    assert_non_null(f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(orca_engine_new(cfg, &f->e), ORCA_OK);
    assert_int_equal(orca_listener_add(f->e, listener, f, &h), ORCA_OK);
    return f;
}

/* Attach the adapter (ucfg NULL: orca_uv_new) and start the watchdog. */
static void fx_attach(fx *f, const orca_uv_config *ucfg)
{
    if (ucfg != NULL)
        assert_int_equal(orca_uv_new_ex(&f->loop, f->e, ucfg, &f->u), ORCA_OK);
    else
        assert_int_equal(orca_uv_new(&f->loop, f->e, &f->u), ORCA_OK);
    assert_non_null(f->u);
    assert_ptr_equal(orca_uv_engine(f->u), f->e);
    assert_ptr_equal(orca_uv_loop(f->u), &f->loop);
    assert_int_equal(uv_timer_init(&f->loop, &f->watchdog), 0);
    f->watchdog.data = f;
    assert_int_equal(uv_timer_start(&f->watchdog, on_watchdog, WATCHDOG_MS, 0), 0);
}

static fx *fx_open(const orca_config *cfg)
{
    fx *f = fx_engine(cfg);
    fx_attach(f, NULL);
    return f;
}

/* Run the loop until something calls uv_stop(); fail if the watchdog did. */
static void fx_run(fx *f)
{
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->watchdog_fired, 0);
}

static void fx_close(fx *f)
{
    orca_uv *u = f->u;
    uv_close((uv_handle_t *)&f->watchdog, NULL);
    if (u != NULL) {
        orca_uv_close(u, on_done, f);
        /* Run until every handle is closed: the adapter's close callbacks. */
        uv_run(&f->loop, UV_RUN_DEFAULT);
        assert_int_equal(f->done_calls, 1);
        assert_ptr_equal(f->done_u, u);
    }
    assert_int_equal(uv_loop_close(&f->loop), 0);
    assert_int_equal(orca_engine_check(f->e), ORCA_OK);
    orca_engine_free(f->e);
    free(f->seen);
    free(f);
}

static const orca_event *find_event(const fx *f, orca_event_type type, size_t nth)
{
    size_t i;
    for (i = 0; i < f->nevents; i++)
        if (f->events[i].type == type && nth-- == 0)
            return &f->events[i];
    return NULL;
}

/* A READY agent taking 1 voice and 4 chats, member of queue q. */
static void add_agent(orca_engine *e, uint64_t id, orca_queue_id q)
{
    static const orca_channel_limit limits[] = {
        { ORCA_CHANNEL_VOICE, 1 }, { ORCA_CHANNEL_CHAT, 4 }
    };
    orca_agent_def ad;
    orca_agent_def_init(&ad);
    ad.id = id;
    ad.limits = limits;
    ad.nlimits = 2;
    assert_int_equal(orca_agent_add(e, &ad), ORCA_OK);
    assert_int_equal(orca_queue_member_add(e, q, id, 0), ORCA_OK);
    assert_int_equal(orca_agent_set_presence(e, id, ORCA_PRESENCE_READY, 0), ORCA_OK);
}

static orca_queue_id add_queue(orca_engine *e, const char *name,
                               uint32_t offer_timeout_ms, uint32_t max_wait_ms)
{
    orca_queue_def qd;
    orca_queue_id q;
    orca_queue_def_init(&qd);
    qd.name = name;
    qd.offer_timeout_ms = offer_timeout_ms;
    qd.max_wait_ms = max_wait_ms;
    assert_int_equal(orca_queue_add(e, &qd, &q), ORCA_OK);
    return q;
}

static int enqueue(orca_engine *e, uint64_t id, orca_queue_id q, orca_channel_id ch)
{
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = id;
    d.queue = q;
    d.channel = ch;
    return orca_interaction_enqueue(e, &d);
}

/* ------------------------------------------------------------------------ */

static void noop_call(orca_engine *e, void *arg)
{
    (void)e;
    (void)arg;
}

static void test_bad_args(void **state)
{
    uv_loop_t loop;
    orca_engine *e;
    orca_uv *u = (orca_uv *)&loop; /* must be overwritten with NULL */
    (void)state;

    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(orca_engine_new(NULL, &e), ORCA_OK);

    assert_int_equal(orca_uv_new(NULL, e, &u), ORCA_EINVAL);
    assert_null(u);
    u = (orca_uv *)&loop;
    assert_int_equal(orca_uv_new(&loop, NULL, &u), ORCA_EINVAL);
    assert_null(u);
    assert_int_equal(orca_uv_new(&loop, e, NULL), ORCA_EINVAL);
    assert_int_equal(orca_uv_new(NULL, NULL, NULL), ORCA_EINVAL);

    assert_int_equal(orca_uv_kick(NULL), ORCA_EINVAL);
    assert_int_equal(orca_uv_submit(NULL, noop_call, NULL), ORCA_EINVAL);
    assert_null(orca_uv_engine(NULL));
    assert_null(orca_uv_loop(NULL));
    assert_int_equal(orca_uv_now(NULL), 0);
    assert_int_equal(orca_uv_last_error(NULL), ORCA_EINVAL);
    orca_uv_close(NULL, NULL, NULL); /* no-op */

    /* Nothing was left on the loop by the failed calls. */
    assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);

    assert_int_equal(orca_uv_new(&loop, e, &u), ORCA_OK);
    assert_int_equal(orca_uv_submit(u, NULL, NULL), ORCA_EINVAL);
    assert_int_equal(orca_uv_last_error(u), ORCA_OK);
    orca_uv_close(u, NULL, NULL); /* done may be NULL */
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    orca_engine_free(e);
}

/* The offer times out from the uv timer: nobody calls orca_engine_advance. */
static void test_offer_timeout_fires(void **state)
{
    orca_config cfg;
    fx *f;
    orca_queue_id q;
    const orca_event *off, *to, *pres;
    orca_agent_info ai;
    uint64_t loop_start;
    (void)state;

    orca_config_init(&cfg);
    cfg.start_ms = 1000000;
    cfg.no_answer_limit = 1;
    f = fx_open(&cfg);
    assert_int_equal(orca_uv_now(f->u), 1000000);

    q = add_queue(f->e, "sales", 50, 0);
    add_agent(f->e, 1, q);
    loop_start = uv_now(&f->loop);
    assert_int_equal(enqueue(f->e, 7, q, ORCA_CHANNEL_VOICE), ORCA_OK);
    assert_int_equal(orca_uv_kick(f->u), ORCA_OK);

    off = find_event(f, ORCA_EV_OFFERED, 0);
    assert_non_null(off);
    assert_int_equal(off->interaction, 7);
    assert_int_equal(off->agent, 1);
    assert_null(find_event(f, ORCA_EV_OFFER_TIMEOUT, 0));

    f->stop_on = ORCA_EV_OFFER_TIMEOUT;
    f->stop_count = 1;
    fx_run(f);

    to = find_event(f, ORCA_EV_OFFER_TIMEOUT, 0);
    assert_non_null(to);
    assert_int_equal(to->interaction, 7);
    assert_int_equal(to->agent, 1);
    /* Exactly at the offer's expiry in engine time... */
    assert_int_equal(to->time_ms, off->time_ms + 50);
    /* ... and not before 50 ms of loop time went by. */
    assert_true(uv_now(&f->loop) - loop_start >= 50);
    assert_true(orca_engine_now(f->e) >= off->time_ms + 50);
    assert_true(orca_uv_now(f->u) >= orca_engine_now(f->e));
    assert_int_equal(orca_uv_last_error(f->u), ORCA_OK);

    /* no_answer_limit 1: the agent went NOT_READY, after the timeout. */
    pres = find_event(f, ORCA_EV_AGENT_PRESENCE, 1); /* 0 was READY */
    assert_non_null(pres);
    assert_true(pres > to);
    assert_int_equal(pres->presence, ORCA_PRESENCE_NOT_READY);
    assert_int_equal(pres->reason, ORCA_REASON_NO_ANSWER);
    assert_int_equal(orca_agent_info_get(f->e, 1, &ai), ORCA_OK);
    assert_int_equal(ai.presence, ORCA_PRESENCE_NOT_READY);
    assert_int_equal(f->by_type[ORCA_EV_OFFER_TIMEOUT], 1);

    fx_close(f);
}

/* Channel callback: accept every offer at once. */
static void accept_offer(void *data, const orca_offer *offer)
{
    fx *f = data;
    assert_int_equal(orca_offer_accept(f->e, offer->interaction), ORCA_OK);
}

/* Several deadlines in a row: the timer is re-armed after each one. */
static void test_timer_rearms(void **state)
{
    static const orca_channel_callbacks cbs = { accept_offer, NULL };
    orca_config cfg;
    fx *f;
    orca_queue_id q, empty;
    const orca_event *ended, *completed, *timed_out, *enq;
    orca_interaction_info ii;
    (void)state;

    orca_config_init(&cfg);
    cfg.start_ms = 42;
    f = fx_open(&cfg);
    assert_int_equal(orca_channel_set_callbacks(f->e, ORCA_CHANNEL_CHAT, &cbs, f), ORCA_OK);
    assert_int_equal(orca_channel_set_wrapup(f->e, ORCA_CHANNEL_CHAT, 40), ORCA_OK);
    q = add_queue(f->e, "chat", 0, 0);
    empty = add_queue(f->e, "nobody", 0, 80);
    add_agent(f->e, 1, q);

    /* 1: offered and accepted (by the callback), then ended: wrap-up 40 ms. */
    assert_int_equal(enqueue(f->e, 1, q, ORCA_CHANNEL_CHAT), ORCA_OK);
    assert_int_equal(orca_interaction_info_get(f->e, 1, &ii), ORCA_OK);
    assert_int_equal(ii.state, ORCA_STATE_BUSY);
    assert_int_equal(orca_interaction_end(f->e, 1), ORCA_OK);
    /* 2: nobody serves it; it times out after 80 ms. */
    assert_int_equal(enqueue(f->e, 2, empty, ORCA_CHANNEL_CHAT), ORCA_OK);
    assert_int_equal(orca_uv_kick(f->u), ORCA_OK);

    f->stop_on = ORCA_EV_TIMED_OUT;
    f->stop_count = 1;
    fx_run(f);

    ended = find_event(f, ORCA_EV_ENDED, 0);
    completed = find_event(f, ORCA_EV_COMPLETED, 0);
    timed_out = find_event(f, ORCA_EV_TIMED_OUT, 0);
    enq = find_event(f, ORCA_EV_ENQUEUED, 1);
    assert_non_null(ended);
    assert_non_null(completed);
    assert_non_null(timed_out);
    assert_non_null(enq);
    assert_true(completed < timed_out);
    assert_int_equal(completed->interaction, 1);
    assert_int_equal(completed->time_ms, ended->time_ms + 40);
    assert_int_equal(timed_out->interaction, 2);
    assert_int_equal(timed_out->time_ms, enq->time_ms + 80);
    assert_int_equal(orca_interaction_info_get(f->e, 1, &ii), ORCA_ENOENT);
    assert_int_equal(orca_interaction_info_get(f->e, 2, &ii), ORCA_ENOENT);
    fx_close(f);
}

/* Kick when nothing is scheduled, kick after the host moved the clock ahead
 * of the loop, kick from a listener (EBUSY from the engine, no harm). */
static void test_kick(void **state)
{
    orca_config cfg;
    fx *f;
    orca_queue_id q;
    uint64_t before, loop_start;
    const orca_event *off, *to;
    (void)state;

    orca_config_init(&cfg);
    cfg.start_ms = 5000;
    f = fx_open(&cfg);
    assert_int_equal(orca_uv_kick(f->u), ORCA_OK);
    assert_int_equal(orca_uv_kick(f->u), ORCA_OK);

    /* The host advanced the engine itself, past the loop: kick must not try
     * to take the clock back. */
    before = orca_uv_now(f->u);
    assert_int_equal(orca_engine_advance(f->e, before + 10000), ORCA_OK);
    assert_int_equal(orca_uv_kick(f->u), ORCA_OK);
    assert_int_equal(orca_engine_now(f->e), before + 10000);

    /* A kick from inside a listener of a host call reports the engine's
     * EBUSY and changes nothing. */
    q = add_queue(f->e, "q", 30, 0);
    f->kick_from_listener = 1;
    f->kick_rc = 12345;
    assert_int_equal(enqueue(f->e, 1, q, ORCA_CHANNEL_VOICE), ORCA_OK);
    f->kick_from_listener = 0;
    assert_int_equal(f->kick_rc, ORCA_EBUSY);

    /* A kick from a listener during the adapter's own advance is a no-op:
     * offer 2 times out from the timer while the listener kicks. */
    add_agent(f->e, 9, q);
    assert_int_equal(orca_uv_kick(f->u), ORCA_OK);
    off = find_event(f, ORCA_EV_OFFERED, 0);
    assert_non_null(off);
    f->kick_from_listener = 1;
    f->kick_rc = 12345;
    f->stop_on = ORCA_EV_OFFER_TIMEOUT;
    f->stop_count = 1;
    loop_start = uv_now(&f->loop);
    fx_run(f);
    f->kick_from_listener = 0;
    assert_int_equal(f->kick_rc, ORCA_OK);
    assert_int_equal(f->by_type[ORCA_EV_OFFER_TIMEOUT], 1);
    /* Engine time went on from the host's clock at the loop's pace: the
     * 30 ms timeout took about 30 ms of loop time, not the 10 s the engine
     * had been moved ahead. */
    to = find_event(f, ORCA_EV_OFFER_TIMEOUT, 0);
    assert_non_null(to);
    assert_int_equal(to->time_ms, off->time_ms + 30);
    assert_true(uv_now(&f->loop) - loop_start < 5000);
    fx_close(f);
}

/* ------------------------------------------------------------------------ */
/* Submissions                                                              */
/* ------------------------------------------------------------------------ */

typedef struct call_arg {
    fx *f;
    uint64_t id;
    orca_queue_id q;
    orca_channel_id ch;
    int close_adapter;     /* call orca_uv_close() from inside the call */
} call_arg;

/* Runs on the loop thread: enqueue one interaction, count it, free arg. */
static void enqueue_call(orca_engine *e, void *p)
{
    call_arg *a = p;
    fx *f = a->f;
    int rc;
    assert_ptr_equal(e, f->e);
    rc = enqueue(e, a->id, a->q, a->ch);
    if (rc != ORCA_OK) {
        f->enqueue_errors++;
        f->last_enqueue_rc = rc;
    }
    if (a->close_adapter) {
        orca_uv_close(f->u, on_done, f);
        assert_int_equal(orca_uv_submit(f->u, noop_call, NULL), ORCA_ESTATE);
    }
    free(a);
    if (++f->ran == f->expected_runs)
        uv_stop(&f->loop);
}

static call_arg *new_arg(fx *f, uint64_t id, orca_queue_id q, orca_channel_id ch)
{
    call_arg *a = calloc(1, sizeof *a);
    assert_non_null(a);
    a->f = f;
    a->id = id;
    a->q = q;
    a->ch = ch;
    return a;
}

typedef struct thread_arg {
    fx *f;
    orca_queue_id q;
    uint64_t first, count;
    int errors;
    int last_rc;
} thread_arg;

static void *submit_thread(void *p)
{
    thread_arg *t = p;
    uint64_t i;
    for (i = 0; i < t->count; i++) {
        call_arg *a = malloc(sizeof *a);
        int rc;
        if (a == NULL) {
            t->errors++;
            continue;
        }
        a->f = t->f;
        a->id = t->first + i;
        a->q = t->q;
        a->ch = ORCA_CHANNEL_CHAT;
        a->close_adapter = 0;
        rc = orca_uv_submit(t->f->u, enqueue_call, a);
        if (rc != ORCA_OK) {
            free(a);
            t->errors++;
            t->last_rc = rc;
        }
    }
    return NULL;
}

static uint64_t env_u64(const char *name, uint64_t def, uint64_t max)
{
    const char *s = getenv(name);
    char *end;
    unsigned long long v;
    if (s == NULL || *s == '\0')
        return def;
    v = strtoull(s, &end, 10);
    if (*end != '\0' || v == 0 || v > max)
        return def;
    return (uint64_t)v;
}

/* 2-4 threads submit enqueues at once while agents take offers that time
 * out on the timer: every interaction arrives exactly once. */
static void test_submit_threads(void **state)
{
    enum { MAX_THREADS = 16 };
    orca_config cfg;
    fx *f;
    orca_queue_id q;
    pthread_t th[MAX_THREADS];
    thread_arg ta[MAX_THREADS];
    uint64_t nthreads = env_u64("ORCA_UV_THREADS", 4, MAX_THREADS);
    uint64_t per = env_u64("ORCA_UV_PER_THREAD", 1000, 1000000);
    uint64_t i, total = nthreads * per;
    orca_counts c;
    (void)state;

    orca_config_init(&cfg);
    cfg.start_ms = 1;
    f = fx_open(&cfg);
    f->nseen = total + 1;
    f->seen = calloc((size_t)f->nseen, 1);
    assert_non_null(f->seen);
    f->expected_runs = total;

    /* Three agents take up to 4 chats each; offers time out after 20 ms, so
     * the timer is busy while the submissions pour in. */
    q = add_queue(f->e, "chat", 20, 0);
    for (i = 1; i <= 3; i++)
        add_agent(f->e, i, q);
    assert_int_equal(orca_uv_kick(f->u), ORCA_OK);

    for (i = 0; i < nthreads; i++) {
        ta[i].f = f;
        ta[i].q = q;
        ta[i].first = 1 + i * per;
        ta[i].count = per;
        ta[i].errors = 0;
        ta[i].last_rc = 0;
        assert_int_equal(pthread_create(&th[i], NULL, submit_thread, &ta[i]), 0);
    }
    fx_run(f);
    for (i = 0; i < nthreads; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(ta[i].errors, 0);
    }

    assert_int_equal(f->ran, total);
    assert_int_equal(f->enqueue_errors, 0);
    assert_int_equal(f->by_type[ORCA_EV_ENQUEUED], total);
    for (i = 1; i <= total; i++)
        if (f->seen[i] != 1)
            fail_msg("interaction %llu arrived %u times",
                     (unsigned long long)i, (unsigned)f->seen[i]);
    assert_int_equal(orca_engine_counts(f->e, &c), ORCA_OK);
    assert_int_equal(c.interactions, total);
    assert_int_equal(c.waiting + c.offered, total);
    assert_true(c.offered <= 12);
    assert_true(f->by_type[ORCA_EV_OFFERED] >= 12);
    assert_int_equal(orca_uv_last_error(f->u), ORCA_OK);
    fx_close(f);
}

static void *submit_one_thread(void *p)
{
    call_arg *a = p;
    int rc = orca_uv_submit(a->f->u, enqueue_call, a);
    if (rc != ORCA_OK)
        free(a);
    return (void *)(intptr_t)rc;
}

/* A submission from another thread is followed by a kick: the offer it
 * caused times out on the timer, with no kick from anyone. */
static void test_submit_arms_timer(void **state)
{
    orca_config cfg;
    fx *f;
    orca_queue_id q;
    pthread_t th;
    void *ret;
    const orca_event *off, *to;
    (void)state;

    orca_config_init(&cfg);
    f = fx_open(&cfg);
    q = add_queue(f->e, "voice", 30, 0);
    add_agent(f->e, 1, q);
    assert_int_equal(orca_uv_kick(f->u), ORCA_OK);

    f->expected_runs = 0; /* do not stop on the run */
    f->stop_on = ORCA_EV_OFFER_TIMEOUT;
    f->stop_count = 1;
    assert_int_equal(pthread_create(&th, NULL, submit_one_thread,
                                    new_arg(f, 77, q, ORCA_CHANNEL_VOICE)), 0);
    fx_run(f);
    assert_int_equal(pthread_join(th, &ret), 0);
    assert_int_equal((intptr_t)ret, ORCA_OK);
    assert_int_equal(f->ran, 1);
    off = find_event(f, ORCA_EV_OFFERED, 0);
    to = find_event(f, ORCA_EV_OFFER_TIMEOUT, 0);
    assert_non_null(off);
    assert_non_null(to);
    assert_int_equal(to->interaction, 77);
    assert_int_equal(to->time_ms, off->time_ms + 30);
    fx_close(f);
}

/* Calls still queued at close run inside orca_uv_close(); later ones are
 * refused; done runs once, on the loop. */
static void test_close_runs_pending(void **state)
{
    fx *f;
    orca_queue_id q;
    orca_uv *u;
    uint64_t i;
    orca_counts c;
    (void)state;

    f = fx_open(NULL);
    q = add_queue(f->e, "q", 0, 0);
    f->expected_runs = 0;
    for (i = 1; i <= 10; i++)
        assert_int_equal(orca_uv_submit(f->u, enqueue_call,
                                        new_arg(f, i, q, ORCA_CHANNEL_EMAIL)), ORCA_OK);
    /* Never inside orca_uv_submit(), even on the loop thread. */
    assert_int_equal(f->ran, 0);

    u = f->u;
    orca_uv_close(u, on_done, f);
    assert_int_equal(f->ran, 10);
    assert_int_equal(f->enqueue_errors, 0);
    assert_int_equal(orca_uv_submit(u, noop_call, NULL), ORCA_ESTATE);
    assert_int_equal(orca_uv_kick(u), ORCA_ESTATE);
    orca_uv_close(u, on_done, f); /* second close: no-op */
    assert_int_equal(f->done_calls, 0); /* only from the loop */
    assert_int_equal(orca_engine_counts(f->e, &c), ORCA_OK);
    assert_int_equal(c.waiting, 10);

    uv_close((uv_handle_t *)&f->watchdog, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->done_calls, 1);
    assert_ptr_equal(f->done_u, u);
    f->u = NULL; /* freed */
    assert_int_equal(uv_loop_close(&f->loop), 0);
    orca_engine_free(f->e);
    free(f);
}

/* A submitted call closes the adapter: the calls queued behind it still run
 * (inside that close), exactly once. */
static void test_close_from_call(void **state)
{
    fx *f;
    orca_queue_id q;
    call_arg *a;
    uint64_t i;
    orca_uv *u;
    (void)state;

    f = fx_open(NULL);
    q = add_queue(f->e, "q", 0, 0);
    f->expected_runs = 0;
    for (i = 1; i <= 5; i++) {
        a = new_arg(f, i, q, ORCA_CHANNEL_EMAIL);
        a->close_adapter = (i == 2);
        assert_int_equal(orca_uv_submit(f->u, enqueue_call, a), ORCA_OK);
    }
    u = f->u;
    /* The async runs the calls; #2 closes; the loop then ends by itself
     * (the watchdog, unreferenced, only stops it if it does not). */
    uv_unref((uv_handle_t *)&f->watchdog);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->watchdog_fired, 0);
    uv_close((uv_handle_t *)&f->watchdog, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->ran, 5);
    assert_int_equal(f->enqueue_errors, 0);
    assert_int_equal(f->by_type[ORCA_EV_ENQUEUED], 5);
    assert_int_equal(f->done_calls, 1);
    assert_ptr_equal(f->done_u, u);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    orca_engine_free(f->e);
    free(f);
}

/* Channel callback: accept interaction 5; close the adapter when 6 is
 * offered (that offer comes from the timer's advance, when the agent's
 * wrap-up of 5 ends). */
static void accept_5_close_on_6(void *data, const orca_offer *offer)
{
    fx *f = data;
    if (offer->interaction == 5) {
        assert_int_equal(orca_offer_accept(f->e, 5), ORCA_OK);
    } else if (offer->interaction == 6) {
        orca_uv_close(f->u, on_done, f);
        assert_int_equal(orca_uv_kick(f->u), ORCA_ESTATE);
    }
}

/* orca_uv_close() from an offer callback inside the adapter's own advance:
 * the timer is not re-armed afterwards and done still runs once. */
static void test_close_from_offer_callback(void **state)
{
    static const orca_channel_callbacks cbs = { accept_5_close_on_6, NULL };
    fx *f;
    orca_queue_id q;
    orca_uv *u;
    const orca_event *off, *completed;
    orca_interaction_info ii;
    (void)state;

    f = fx_open(NULL);
    assert_int_equal(orca_channel_set_callbacks(f->e, ORCA_CHANNEL_VOICE, &cbs, f), ORCA_OK);
    assert_int_equal(orca_channel_set_wrapup(f->e, ORCA_CHANNEL_VOICE, 25), ORCA_OK);
    q = add_queue(f->e, "q", 0, 0);
    add_agent(f->e, 1, q);
    assert_int_equal(enqueue(f->e, 5, q, ORCA_CHANNEL_VOICE), ORCA_OK);
    assert_int_equal(orca_interaction_end(f->e, 5), ORCA_OK); /* wrap-up 25 ms */
    assert_int_equal(enqueue(f->e, 6, q, ORCA_CHANNEL_VOICE), ORCA_OK);
    assert_int_equal(orca_interaction_info_get(f->e, 6, &ii), ORCA_OK);
    assert_int_equal(ii.state, ORCA_STATE_WAITING);
    assert_int_equal(orca_uv_kick(f->u), ORCA_OK);

    u = f->u;
    /* Runs until the adapter's handles are closed: nothing else is left
     * (the watchdog, unreferenced, only stops it if it does not). */
    uv_unref((uv_handle_t *)&f->watchdog);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->watchdog_fired, 0);
    uv_close((uv_handle_t *)&f->watchdog, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->done_calls, 1);
    assert_ptr_equal(f->done_u, u);
    completed = find_event(f, ORCA_EV_COMPLETED, 0);
    off = find_event(f, ORCA_EV_OFFERED, 1);
    assert_non_null(completed);
    assert_non_null(off);
    assert_true(completed < off);
    assert_int_equal(off->interaction, 6);
    assert_int_equal(off->time_ms, completed->time_ms);
    assert_int_equal(orca_interaction_info_get(f->e, 6, &ii), ORCA_OK);
    assert_int_equal(ii.state, ORCA_STATE_OFFERED);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    orca_engine_free(f->e);
    free(f);
}

/* The engine may be freed right after orca_uv_close() returns. */
static void test_free_engine_after_close(void **state)
{
    uv_loop_t loop;
    orca_engine *e;
    orca_uv *u;
    orca_queue_id q;
    orca_queue_def qd;
    (void)state;

    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(orca_engine_new(NULL, &e), ORCA_OK);
    orca_queue_def_init(&qd);
    qd.name = "q";
    qd.max_wait_ms = 10; /* a deadline is armed */
    assert_int_equal(orca_queue_add(e, &qd, &q), ORCA_OK);
    assert_int_equal(orca_uv_new(&loop, e, &u), ORCA_OK);
    assert_int_equal(enqueue(e, 1, q, ORCA_CHANNEL_VOICE), ORCA_OK);
    assert_int_equal(orca_uv_kick(u), ORCA_OK);
    orca_uv_close(u, NULL, NULL);
    orca_engine_free(e);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* ------------------------------------------------------------------------ */
/* Wall-clock mode                                                          */
/* ------------------------------------------------------------------------ */

static uint64_t wall_ms(void)
{
    struct timespec ts;
    assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The event about interaction id of type t recorded from index from. */
static const orca_event *event_for(const fx *f, size_t from, orca_event_type t, uint64_t id)
{
    for (size_t i = from; i < f->nevents; i++)
        if (f->events[i].type == t && f->events[i].interaction == id)
            return &f->events[i];
    return NULL;
}

/* An engine an hour behind the wall clock (as after a replay): attaching
 * in wall-clock mode catches it up to now at once, firing an offer
 * timeout, a wrap-up end and a max wait, each at its own time, in order. */
static void test_wall_clock_catch_up(void **state)
{
    orca_config cfg;
    orca_uv_config uc;
    fx *f;
    orca_queue_id q;
    uint64_t t0, before, after, last;
    const orca_event *to, *done, *tmo;
    size_t n0;
    (void)state;

    orca_config_init(&cfg);
    t0 = wall_ms() - 3600000;
    cfg.start_ms = t0;
    f = fx_engine(&cfg);
    assert_int_equal(orca_channel_set_wrapup(f->e, ORCA_CHANNEL_CHAT, 30000), ORCA_OK);
    q = add_queue(f->e, "sales", 20000, 60000);
    add_agent(f->e, 1, q);
    /* 1: chat answered and ended at t0: wrap-up until t0 + 30 s */
    assert_int_equal(enqueue(f->e, 1, q, ORCA_CHANNEL_CHAT), ORCA_OK);
    assert_int_equal(orca_offer_accept(f->e, 1), ORCA_OK);
    assert_int_equal(orca_interaction_end(f->e, 1), ORCA_OK);
    assert_int_equal(orca_engine_advance(f->e, t0 + 1000), ORCA_OK);
    /* 2: voice, no room beside the chat's wrap-up: times out at t0 + 61 s */
    assert_int_equal(enqueue(f->e, 2, q, ORCA_CHANNEL_VOICE), ORCA_OK);
    /* 3: chat offered at t0 + 1 s, never answered: times out at t0 + 21 s */
    assert_int_equal(enqueue(f->e, 3, q, ORCA_CHANNEL_CHAT), ORCA_OK);
    assert_non_null(event_for(f, 0, ORCA_EV_OFFERED, 3));
    n0 = f->nevents;

    memset(&uc, 0, sizeof uc);
    uc.clock = ORCA_UV_CLOCK_WALL;
    before = wall_ms();
    fx_attach(f, &uc);
    after = wall_ms();
    /* the engine's clock is the wall clock, already */
    assert_true(orca_engine_now(f->e) >= before);
    assert_true(orca_engine_now(f->e) <= after);
    assert_int_equal(orca_uv_now(f->u), orca_engine_now(f->e));
    assert_int_equal(orca_uv_last_error(f->u), ORCA_OK);

    to = event_for(f, n0, ORCA_EV_OFFER_TIMEOUT, 3);
    done = event_for(f, n0, ORCA_EV_COMPLETED, 1);
    tmo = event_for(f, n0, ORCA_EV_TIMED_OUT, 2);
    assert_non_null(to);
    assert_non_null(done);
    assert_non_null(tmo);
    assert_int_equal(to->time_ms, t0 + 21000);
    assert_int_equal(done->time_ms, t0 + 30000);
    assert_int_equal(tmo->time_ms, t0 + 61000);
    assert_true(to < done && done < tmo);
    last = t0;
    for (size_t i = n0; i < f->nevents; i++) { /* in time order, all of it */
        assert_true(f->events[i].time_ms >= last);
        last = f->events[i].time_ms;
    }

    /* and from there the loop paces it (a turn of the loop: no going back) */
    uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_true(orca_uv_now(f->u) >= orca_engine_now(f->e));
    assert_true(orca_engine_now(f->e) >= before);
    fx_close(f);
}

static void stop_loop(uv_timer_t *t)
{
    uv_stop(t->loop);
}

/* Engine time follows the wall clock while the loop runs: after a 30 ms
 * uv timer it is within a second of CLOCK_REALTIME (the pacing clock is the
 * monotonic one; the second is for a slewing NTP and a slow machine). */
static void test_wall_clock_follows(void **state)
{
    orca_config cfg;
    orca_uv_config uc;
    uv_timer_t t;
    fx *f;
    uint64_t start, w, en;
    (void)state;

    orca_config_init(&cfg);
    start = wall_ms();
    cfg.start_ms = start;
    f = fx_engine(&cfg);
    memset(&uc, 0, sizeof uc);
    uc.clock = ORCA_UV_CLOCK_WALL;
    fx_attach(f, &uc);
    assert_int_equal(uv_timer_init(&f->loop, &t), 0);
    assert_int_equal(uv_timer_start(&t, stop_loop, 30, 0), 0);
    fx_run(f);
    assert_int_equal(orca_uv_kick(f->u), ORCA_OK);
    w = wall_ms();
    en = orca_engine_now(f->e);
    assert_true(en >= start + 30);
    assert_true(en + 1000 >= w && en <= w + 1000);
    uv_close((uv_handle_t *)&t, NULL);
    fx_close(f);
}

/* The system clock was stepped back (or the engine was created ahead of
 * it): engine time never goes back; it goes on from the engine's clock, at
 * the loop's pace. */
static void test_wall_clock_stepped_back(void **state)
{
    orca_config cfg;
    orca_uv_config uc;
    fx *f;
    orca_queue_id q;
    uint64_t ahead;
    const orca_event *enq, *tmo;
    (void)state;

    orca_config_init(&cfg);
    ahead = wall_ms() + 3600000;
    cfg.start_ms = ahead;
    f = fx_engine(&cfg);
    q = add_queue(f->e, "nobody", 0, 30);
    memset(&uc, 0, sizeof uc);
    uc.clock = ORCA_UV_CLOCK_WALL;
    fx_attach(f, &uc);
    assert_int_equal(orca_engine_now(f->e), ahead);
    assert_int_equal(orca_uv_now(f->u), ahead);
    assert_int_equal(enqueue(f->e, 9, q, ORCA_CHANNEL_VOICE), ORCA_OK);
    assert_int_equal(orca_uv_kick(f->u), ORCA_OK);
    f->stop_on = ORCA_EV_TIMED_OUT;
    f->stop_count = 1;
    fx_run(f);
    enq = find_event(f, ORCA_EV_ENQUEUED, 0);
    tmo = find_event(f, ORCA_EV_TIMED_OUT, 0);
    assert_non_null(enq);
    assert_non_null(tmo);
    assert_true(enq->time_ms >= ahead);
    assert_int_equal(tmo->time_ms, enq->time_ms + 30);
    assert_true(orca_engine_now(f->e) >= ahead + 30);
    assert_true(orca_engine_now(f->e) < ahead + 60000); /* paced, not jumped */
    fx_close(f);
}

/* orca_uv_new_ex: a bad clock is EINVAL and leaves nothing on the loop. */
static void test_new_ex_bad_args(void **state)
{
    uv_loop_t loop;
    orca_engine *e;
    orca_uv *u = (orca_uv *)&loop;
    orca_uv_config uc;
    (void)state;

    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(orca_engine_new(NULL, &e), ORCA_OK);
    memset(&uc, 0, sizeof uc);
    uc.clock = (orca_uv_clock)2;
    assert_int_equal(orca_uv_new_ex(&loop, e, &uc, &u), ORCA_EINVAL);
    assert_null(u);
    assert_int_equal(orca_uv_new_ex(NULL, e, NULL, &u), ORCA_EINVAL);
    assert_int_equal(orca_uv_new_ex(&loop, e, NULL, NULL), ORCA_EINVAL);
    assert_int_equal(orca_engine_now(e), 0);
    assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
    /* cfg NULL is orca_uv_new: the engine's clock stays where it is */
    assert_int_equal(orca_uv_new_ex(&loop, e, NULL, &u), ORCA_OK);
    assert_int_equal(orca_engine_now(e), 0);
    orca_uv_close(u, NULL, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    orca_engine_free(e);
}

/* ------------------------------------------------------------------------ */
/* Submit backpressure                                                      */
/* ------------------------------------------------------------------------ */

static void count_call(orca_engine *e, void *arg)
{
    (void)e;
    (*(uint64_t *)arg)++;
}

/* With the loop not running, submissions beyond max_pending are refused
 * with ORCA_ELIMIT and not queued; once the loop has run the batch there
 * is room again. */
static void test_submit_bound(void **state)
{
    orca_uv_config uc;
    fx *f;
    uint64_t ran = 0;
    (void)state;

    f = fx_engine(NULL);
    memset(&uc, 0, sizeof uc);
    uc.max_pending = 8;
    fx_attach(f, &uc);
    for (int k = 0; k < 8; k++)
        assert_int_equal(orca_uv_submit(f->u, count_call, &ran), ORCA_OK);
    assert_int_equal(orca_uv_submit(f->u, count_call, &ran), ORCA_ELIMIT);
    assert_int_equal(orca_uv_submit(f->u, count_call, &ran), ORCA_ELIMIT);
    assert_int_equal(ran, 0);
    while (ran < 8 && !f->watchdog_fired)
        uv_run(&f->loop, UV_RUN_ONCE);
    assert_int_equal(ran, 8); /* the refused ones never run */
    assert_int_equal(orca_uv_submit(f->u, count_call, &ran), ORCA_OK);
    fx_close(f); /* runs the last one */
    assert_int_equal(ran, 9);
}

/* Regression (issue 11: 8 producing threads grew the queue to 9.3 GB):
 * orca_uv_new's default bound is ORCA_UV_MAX_PENDING_DEFAULT; the next
 * submission fails with ORCA_ELIMIT, so memory stays bounded. */
static void test_submit_default_bound(void **state)
{
    fx *f;
    uint64_t ran = 0;
    (void)state;

    f = fx_open(NULL);
    for (uint64_t k = 0; k < ORCA_UV_MAX_PENDING_DEFAULT; k++)
        if (orca_uv_submit(f->u, count_call, &ran) != ORCA_OK)
            fail_msg("submission %llu refused", (unsigned long long)k);
    assert_int_equal(orca_uv_submit(f->u, count_call, &ran), ORCA_ELIMIT);
    assert_int_equal(ran, 0);
    fx_close(f);
    assert_int_equal(ran, ORCA_UV_MAX_PENDING_DEFAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_offer_timeout_fires),
        cmocka_unit_test(test_timer_rearms),
        cmocka_unit_test(test_kick),
        cmocka_unit_test(test_submit_threads),
        cmocka_unit_test(test_submit_arms_timer),
        cmocka_unit_test(test_close_runs_pending),
        cmocka_unit_test(test_close_from_call),
        cmocka_unit_test(test_close_from_offer_callback),
        cmocka_unit_test(test_free_engine_after_close),
        cmocka_unit_test(test_wall_clock_catch_up),
        cmocka_unit_test(test_wall_clock_follows),
        cmocka_unit_test(test_wall_clock_stepped_back),
        cmocka_unit_test(test_new_ex_bad_args),
        cmocka_unit_test(test_submit_bound),
        cmocka_unit_test(test_submit_default_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
