/*
 * server/syncer.c: the journal's periodic fdatasync in libuv's thread
 * pool (syncer.h says why). The timer and the bookkeeping live on the loop
 * thread; only open, fdatasync and close run in the pool.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "syncer.h"

struct orcad_syncer {
    uv_timer_t timer;
    uv_work_t work;
    char *path;
    int busy;          /* a sync is in the pool */
    int stopping;      /* free once the timer is closed and no sync runs */
    int timer_closed;
    int err;           /* the pool's result: 0 or an errno */
    int last_err;      /* the last one logged */
    uint64_t done, failed;
};

static void maybe_free(orcad_syncer *s)
{
    if (s->stopping && s->timer_closed && !s->busy) {
        free(s->path);
        free(s);
    }
}

/* In the thread pool: touches nothing but s->path (read) and s->err. */
static void do_sync(uv_work_t *w)
{
    orcad_syncer *s = w->data;
    int fd = open(s->path, O_RDONLY | O_CLOEXEC);
    s->err = fd < 0 ? errno : fdatasync(fd) != 0 ? errno : 0;
    if (fd >= 0)
        close(fd);
}

static void after_sync(uv_work_t *w, int status)
{
    orcad_syncer *s = w->data;
    s->busy = 0;
    if (status == 0 && s->err == 0) {
        s->done++;
        s->last_err = 0;
    } else {
        int e = status ? -status : s->err;
        s->failed++;
        if (e != s->last_err)
            fprintf(stderr, "orcad: journal sync of %s failed: %s\n", s->path, strerror(e));
        s->last_err = e;
    }
    maybe_free(s);
}

static void on_timer(uv_timer_t *t)
{
    orcad_syncer *s = t->data;
    if (s->busy || s->stopping)
        return;
    s->work.data = s;
    if (uv_queue_work(t->loop, &s->work, do_sync, after_sync) == 0)
        s->busy = 1;
}

int orcad_syncer_start(uv_loop_t *loop, const char *path, uint32_t interval_ms,
                       orcad_syncer **out)
{
    orcad_syncer *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s || !(s->path = strdup(path))) {
        free(s);
        fprintf(stderr, "orcad: out of memory\n");
        return -1;
    }
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    uv_timer_start(&s->timer, on_timer, interval_ms ? interval_ms : 1000,
                   interval_ms ? interval_ms : 1000);
    *out = s;
    return 0;
}

uint64_t orcad_syncer_count(const orcad_syncer *s, uint64_t *failed)
{
    if (failed)
        *failed = s ? s->failed : 0;
    return s ? s->done : 0;
}

static void on_timer_closed(uv_handle_t *h)
{
    orcad_syncer *s = h->data;
    s->timer_closed = 1;
    maybe_free(s);
}

void orcad_syncer_stop(orcad_syncer *s)
{
    if (!s || s->stopping)
        return;
    s->stopping = 1;
    uv_close((uv_handle_t *)&s->timer, on_timer_closed);
}
