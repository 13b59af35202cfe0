/*
 * uv.c: the libuv adapter (include/orca/uv.h).
 *
 * One uv_timer_t follows orca_engine_next_deadline(); one uv_async_t wakes
 * the loop for calls queued by other threads on a mutex-protected list.
 * Everything but orca_uv_submit() runs on the loop thread, so only the list
 * and the closing flag are shared, and only under the mutex.
 */
#include "orca/uv.h"

#include <stdlib.h>
#include <time.h>

typedef struct orca_uv_call {
    struct orca_uv_call *next;
    void (*fn)(orca_engine *e, void *arg);
    void *arg;
} orca_uv_call;

struct orca_uv {
    uv_loop_t *loop;
    orca_engine *e;
    uv_timer_t timer;
    uv_async_t async;

    /* Engine time = base_engine + (uv_now(loop) - base_loop). */
    uint64_t base_engine;
    uint64_t base_loop;

    /* Shared with submitting threads: guarded by lock. */
    uv_mutex_t lock;
    orca_uv_call *head, *tail;
    size_t npending;       /* calls on the list */
    size_t max_pending;    /* orca_uv_submit refuses beyond this */
    int closing;

    /* Loop thread only. */
    int closed;            /* orca_uv_close() has been called */
    int in_advance;        /* inside orca_engine_advance() */
    int last_error;
    int open_handles;      /* handles not yet through their close callback */
    void (*done)(orca_uv *u, void *arg);
    void *done_arg;
};

static int from_uv_error(int uverr)
{
    switch (uverr) {
    case 0: return ORCA_OK;
    case UV_ENOMEM: return ORCA_ENOMEM;
    case UV_EMFILE:
    case UV_ENFILE: return ORCA_ELIMIT;
    default: return ORCA_ESTATE;
    }
}

static uint64_t mapped_now(const orca_uv *u)
{
    return u->base_engine + (uv_now(u->loop) - u->base_loop);
}

/* The engine time to advance to. If the host moved the engine's clock past
 * the mapped time, the mapping is shifted so that engine time goes on from
 * there at the loop's pace (the adapter never asks the engine to go back,
 * and deadlines after the new clock are then measured from it). */
static uint64_t sync_now(orca_uv *u)
{
    uint64_t now = mapped_now(u);
    uint64_t en = orca_engine_now(u->e);
    if (en > now) {
        u->base_engine = en;
        u->base_loop = uv_now(u->loop);
        return en;
    }
    return now;
}

/* Advance the engine to the loop's time. Not re-entrant: a nested call (from
 * an offer callback the advance triggered) does nothing. */
static int advance(orca_uv *u)
{
    int rc;
    if (u->in_advance)
        return ORCA_OK;
    u->in_advance = 1;
    rc = orca_engine_advance(u->e, sync_now(u));
    u->in_advance = 0;
    return rc;
}

static void on_timer(uv_timer_t *t);

/* Arm the timer for the engine's earliest deadline, or stop it. */
static void arm(orca_uv *u)
{
    uint64_t deadline, now, timeout;
    int rc;
    if (u->closed || u->in_advance)
        return;
    rc = orca_engine_next_deadline(u->e, &deadline);
    if (rc != ORCA_OK || deadline >= ORCA_TIME_MAX) {
        uv_timer_stop(&u->timer);
        return;
    }
    now = sync_now(u);
    if (now >= ORCA_TIME_MAX) {
        /* The clock cannot go further: advancing would only fail again. */
        uv_timer_stop(&u->timer);
        return;
    }
    if (deadline > now)
        timeout = deadline - now;
    else if (deadline > orca_engine_now(u->e))
        timeout = 0; /* due, and the engine has not got there yet */
    else
        timeout = 1; /* the engine already passed it and still reports it:
                        back off rather than spin */
    uv_timer_start(&u->timer, on_timer, timeout, 0);
}

static void on_timer(uv_timer_t *t)
{
    orca_uv *u = t->data;
    u->last_error = advance(u);
    arm(u);
}

static orca_uv_call *pop_call(orca_uv *u)
{
    orca_uv_call *c;
    uv_mutex_lock(&u->lock);
    c = u->head;
    if (c != NULL) {
        u->head = c->next;
        if (u->head == NULL)
            u->tail = NULL;
        u->npending--;
    }
    uv_mutex_unlock(&u->lock);
    return c;
}

static int have_calls(orca_uv *u)
{
    int any;
    uv_mutex_lock(&u->lock);
    any = u->head != NULL;
    uv_mutex_unlock(&u->lock);
    return any;
}

static void on_async(uv_async_t *a)
{
    orca_uv *u = a->data;
    orca_uv_call *c;
    size_t n, limit;
    int rc;

    if (u->closed || !have_calls(u))
        return;
    rc = advance(u);
    /* Run what is queued now, and at most as many again, so that a stream
     * of submissions cannot keep the loop here forever. */
    uv_mutex_lock(&u->lock);
    n = u->npending;
    uv_mutex_unlock(&u->lock);
    for (limit = n; limit > 0 && !u->closed; limit--) {
        c = pop_call(u);
        if (c == NULL)
            break;
        c->fn(u->e, c->arg);
        free(c);
    }
    if (u->closed) {
        /* A call closed the adapter: orca_uv_close() ran the rest. */
        return;
    }
    if (rc == ORCA_OK)
        rc = advance(u);
    else
        (void)advance(u);
    u->last_error = rc;
    arm(u);
    /* Whatever arrived meanwhile normally woke the async again already;
     * make sure of it. */
    uv_mutex_lock(&u->lock);
    if (u->head != NULL)
        uv_async_send(&u->async);
    uv_mutex_unlock(&u->lock);
}

/* Milliseconds since the Unix epoch, from CLOCK_REALTIME (0 if it cannot
 * be read, which POSIX allows only for a bad clock id). */
static uint64_t epoch_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int orca_uv_new(uv_loop_t *loop, orca_engine *e, orca_uv **out)
{
    return orca_uv_new_ex(loop, e, NULL, out);
}

int orca_uv_new_ex(uv_loop_t *loop, orca_engine *e, const orca_uv_config *cfg, orca_uv **out)
{
    orca_uv *u;
    int rc, wall;

    if (out == NULL)
        return ORCA_EINVAL;
    *out = NULL;
    if (loop == NULL || e == NULL)
        return ORCA_EINVAL;
    if (cfg != NULL && (unsigned)cfg->clock > ORCA_UV_CLOCK_WALL)
        return ORCA_EINVAL;
    wall = cfg != NULL && cfg->clock == ORCA_UV_CLOCK_WALL;
    u = calloc(1, sizeof *u);
    if (u == NULL)
        return ORCA_ENOMEM;
    u->loop = loop;
    u->e = e;
    u->max_pending = cfg != NULL && cfg->max_pending != 0 ? cfg->max_pending
                                                          : ORCA_UV_MAX_PENDING_DEFAULT;
    rc = uv_mutex_init(&u->lock);
    if (rc != 0) {
        free(u);
        return from_uv_error(rc);
    }
    /* uv_async_init is the only handle init that can fail; doing it first
     * means a failure leaves nothing on the loop to close. */
    rc = uv_async_init(loop, &u->async, on_async);
    if (rc != 0) {
        uv_mutex_destroy(&u->lock);
        free(u);
        return from_uv_error(rc);
    }
    (void)uv_timer_init(loop, &u->timer); /* cannot fail */
    u->async.data = u;
    u->timer.data = u;
    u->open_handles = 2;
    u->base_engine = orca_engine_now(e);
    if (wall) {
        /* The loop's cached time may be old (the host replayed a journal
         * since the last iteration): refresh it, or the first iteration
         * would add that gap on top of the wall clock. */
        uint64_t now = epoch_ms();
        uv_update_time(loop);
        if (now > u->base_engine)
            u->base_engine = now; /* else the wall clock is behind: go on
                                     from the engine's clock, never back */
    }
    u->base_loop = uv_now(loop);
    /* Catch up at once (wall clock: to now, firing in order what fell due
     * while the process was down); the error, if any, is for
     * orca_uv_last_error, as for the timer's own advances. */
    if (wall)
        u->last_error = advance(u);
    arm(u);
    *out = u;
    return ORCA_OK;
}

int orca_uv_kick(orca_uv *u)
{
    int rc;
    if (u == NULL)
        return ORCA_EINVAL;
    if (u->closed)
        return ORCA_ESTATE;
    if (u->in_advance)
        return ORCA_OK; /* the advance in progress re-arms when it returns */
    rc = advance(u);
    arm(u);
    return rc;
}

int orca_uv_submit(orca_uv *u, void (*fn)(orca_engine *e, void *arg), void *arg)
{
    orca_uv_call *c;
    int rc;
    if (u == NULL || fn == NULL)
        return ORCA_EINVAL;
    c = malloc(sizeof *c);
    if (c == NULL)
        return ORCA_ENOMEM;
    c->next = NULL;
    c->fn = fn;
    c->arg = arg;
    uv_mutex_lock(&u->lock);
    /* The bound keeps producers that outrun the loop from growing the
     * list without limit: past it the producer hears so and decides (retry
     * later, or shed the work) instead of the process running out of
     * memory. */
    rc = u->closing ? ORCA_ESTATE : u->npending >= u->max_pending ? ORCA_ELIMIT : ORCA_OK;
    if (rc != ORCA_OK) {
        uv_mutex_unlock(&u->lock);
        free(c);
        return rc;
    }
    u->npending++;
    if (u->tail != NULL)
        u->tail->next = c;
    else
        u->head = c;
    u->tail = c;
    /* Sent under the lock, so it cannot race with uv_close() of the async
     * handle in orca_uv_close(), which first sets closing under the lock. */
    uv_async_send(&u->async);
    uv_mutex_unlock(&u->lock);
    return ORCA_OK;
}

static void on_close(uv_handle_t *h)
{
    orca_uv *u = h->data;
    orca_uv_call *c;
    if (--u->open_handles > 0)
        return;
    if (u->done != NULL)
        u->done(u, u->done_arg);
    /* Nothing can be queued after closing was set and the queue was run,
     * but be safe about it. */
    while ((c = u->head) != NULL) {
        u->head = c->next;
        free(c);
    }
    uv_mutex_destroy(&u->lock);
    free(u);
}

void orca_uv_close(orca_uv *u, void (*done)(orca_uv *u, void *arg), void *arg)
{
    orca_uv_call *c;
    if (u == NULL || u->closed)
        return;
    u->closed = 1;
    u->done = done;
    u->done_arg = arg;
    uv_mutex_lock(&u->lock);
    u->closing = 1;
    uv_mutex_unlock(&u->lock);

    if (have_calls(u)) {
        u->last_error = advance(u);
        while ((c = pop_call(u)) != NULL) {
            c->fn(u->e, c->arg);
            free(c);
        }
    }
    uv_timer_stop(&u->timer);
    uv_close((uv_handle_t *)&u->timer, on_close);
    uv_close((uv_handle_t *)&u->async, on_close);
}

orca_engine *orca_uv_engine(const orca_uv *u)
{
    return u != NULL ? u->e : NULL;
}

uv_loop_t *orca_uv_loop(const orca_uv *u)
{
    return u != NULL ? u->loop : NULL;
}

uint64_t orca_uv_now(const orca_uv *u)
{
    uint64_t now, en;
    if (u == NULL)
        return 0;
    now = mapped_now(u);
    en = orca_engine_now(u->e);
    return en > now ? en : now; /* what sync_now() would make of it */
}

int orca_uv_last_error(const orca_uv *u)
{
    return u != NULL ? u->last_error : ORCA_EINVAL;
}
