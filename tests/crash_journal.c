/*
 * crash_journal.c: the journal survives SIGKILL (issue 6, "Nothing lost").
 *
 * Each iteration forks a child that runs a seeded random workload on an
 * engine journaling with ORCA_SYNC_EVERY. After every
 * orca_interaction_enqueue() that returned ORCA_OK the child writes the
 * interaction's id to a pipe (so the parent only hears of enqueues whose
 * call had returned). The parent kills the child with SIGKILL at a random
 * moment, reads what the pipe still holds, restores an engine from the
 * journal (orca_journal_read_config, orca_engine_new, orca_journal_replay
 * with a listener recording the replay's events) and checks:
 *
 *  - the enqueues the replay made (ENQUEUED events that are not transfer
 *    or escalation legs) start with every acknowledged id, in the order
 *    acknowledged, each exactly once; at most one more follows (the call
 *    that returned just before the kill, unacknowledged);
 *  - each acknowledged interaction is alive in the restored engine or
 *    finished in the replay (a terminal event after its ENQUEUED);
 *  - nothing is invented: every live interaction of the restored engine
 *    was enqueued by the child (or is a transfer leg of one);
 *  - orca_engine_check() passes, the journal goes on after the restore,
 *    and a second replay of it gives the same interactions.
 *
 * Usage: crash_journal [iterations] (default 50; env CRASH_ITERATIONS,
 * CRASH_SEED, TMPDIR; CRASH_VERBOSE=1 prints every iteration;
 * CRASH_SELFTEST_CHOP=n cuts n bytes off each journal before the restore,
 * to see the checks fail).
 * Exit status 0 if every iteration passed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "orca.h"

#define LEG_BASE (UINT64_C(1) << 40) /* transfer legs get ids from here */
#define START_MS UINT64_C(1700000000000)

#include "rng.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int g_verbose;

/* ------------------------------------------------------------------------ */
/* The child                                                                */
/* ------------------------------------------------------------------------ */

static void child_die(const char *what, int rc)
{
    fprintf(stderr, "crash child: %s: %s\n", what, orca_strerror(rc));
    _exit(3);
}

#define CCHECK(call) do { int rc_ = (call); if (rc_ != ORCA_OK) child_die(#call, rc_); } while (0)

static void tell(int fd, uint64_t id)
{
    /* 8 bytes < PIPE_BUF: atomic */
    ssize_t w;
    do
        w = write(fd, &id, sizeof(id));
    while (w < 0 && errno == EINTR);
    if (w != (ssize_t)sizeof(id))
        _exit(4);
}

static void run_child(const char *path, uint64_t seed, int fd)
{
    uint64_t g = seed;
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.start_ms = START_MS + rnd(&g, 86400000);
    cfg.seed = sm64(&g);
    cfg.offer_timeout_ms = 5000 + rnd(&g, 20000);
    cfg.no_answer_limit = rnd(&g, 3);
    cfg.max_customers = 50;
    orca_engine *e;
    CCHECK(orca_engine_new(&cfg, &e));
    orca_journal_config jc = { .sync = ORCA_SYNC_EVERY, .interval_ms = 0 };
    CCHECK(orca_journal_open(e, path, &jc));
    tell(fd, 0); /* the journal exists */

    orca_skill_id sk[3];
    CCHECK(orca_skill_intern(e, "en", &sk[0]));
    CCHECK(orca_skill_intern(e, "fr", &sk[1]));
    CCHECK(orca_skill_intern(e, "billing", &sk[2]));
    orca_queue_id q[3];
    for (int k = 0; k < 3; k++) {
        orca_queue_def qd;
        orca_queue_def_init(&qd);
        char name[16];
        snprintf(name, sizeof(name), "q%d", k);
        qd.name = name;
        qd.strategy = (orca_strategy)rnd(&g, 6);
        qd.max_size = k == 2 ? 6 : 0;              /* refuses some work */
        qd.max_wait_ms = k == 1 ? 120000 : 0;
        qd.resume_ms = k == 0 ? 60000 : 0;
        qd.sticky_ms = k == 0 ? 20000 : 0;
        qd.overflow_after_ms = k == 1 ? 30000 : 0;
        qd.overflow_to = k == 1 ? 1 : 0;
        CCHECK(orca_queue_add(e, &qd, &q[k]));
    }
    /* q1 closes at night (held until it opens) */
    orca_hours_range days[5];
    for (uint32_t d = 0; d < 5; d++)
        days[d] = (orca_hours_range){ d + 1, 8 * 60, 20 * 60 };
    orca_hours h;
    memset(&h, 0, sizeof(h));
    h.ranges = days;
    h.nranges = 5;
    h.when_closed = ORCA_CLOSED_HOLD;
    CCHECK(orca_queue_set_hours(e, q[1], &h));
    const orca_channel_limit lim[] = { { ORCA_CHANNEL_VOICE, 1 }, { ORCA_CHANNEL_CHAT, 3 },
                                       { ORCA_CHANNEL_EMAIL, 5 },
                                       { ORCA_CHANNEL_CALLBACK, 1 } };
    uint64_t nagents = 4 + rnd(&g, 8);
    for (uint64_t a = 1; a <= nagents; a++) {
        orca_skill_level s[2] = { { sk[a % 3], (uint8_t)(1 + rnd(&g, 5)) },
                                  { sk[(a + 1) % 3], (uint8_t)(1 + rnd(&g, 5)) } };
        orca_agent_def ad;
        orca_agent_def_init(&ad);
        ad.id = a;
        ad.skills = s;
        ad.nskills = 2;
        ad.limits = lim;
        ad.nlimits = 4;
        CCHECK(orca_agent_add(e, &ad));
        for (int k = 0; k < 3; k++)
            if (rnd(&g, 3))
                CCHECK(orca_queue_member_add(e, q[k], a, rnd(&g, 2)));
        CCHECK(orca_agent_set_presence(e, a, ORCA_PRESENCE_READY, 0));
    }

    uint64_t next = 1, legs = 0;
    for (;;) {
        uint32_t r = rnd(&g, 100);
        uint64_t pick = next > 1 ? next - 1 - rnd(&g, next - 1 < 300 ? (uint32_t)(next - 1) : 300)
                                 : 1;
        if (r < 35) {
            orca_interaction_def d;
            orca_interaction_def_init(&d);
            d.id = next;
            d.queue = q[rnd(&g, 3)];
            static const orca_channel_id chs[] = { ORCA_CHANNEL_VOICE, ORCA_CHANNEL_CHAT,
                                                   ORCA_CHANNEL_EMAIL };
            d.channel = chs[rnd(&g, 3)];
            d.customer = rnd(&g, 4) ? 1 + rnd(&g, 40) : 0;
            d.priority = rnd(&g, 4);
            orca_skill_level need = { sk[rnd(&g, 3)], (uint8_t)(1 + rnd(&g, 3)) };
            if (rnd(&g, 2)) {
                d.required = &need;
                d.nrequired = 1;
            }
            if (rnd(&g, 12) == 0) {
                d.not_before_ms = orca_engine_now(e) + 1000 + rnd(&g, 300000);
                d.early_ms = rnd(&g, 10000);
            }
            if (rnd(&g, 15) == 0 && !d.not_before_ms)
                d.bot = 1;
            int rc = orca_interaction_enqueue(e, &d);
            if (rc == ORCA_OK)
                tell(fd, next);
            else if (rc != ORCA_EFULL && rc != ORCA_ECLOSED && rc != ORCA_ERANGE)
                child_die("enqueue", rc);
            next++; /* never reused, acknowledged or not */
        } else if (r < 50) {
            (void)orca_offer_accept(e, pick);
        } else if (r < 53) {
            (void)orca_offer_reject(e, pick);
        } else if (r < 63) {
            (void)orca_interaction_end(e, pick);
        } else if (r < 66) {
            (void)orca_interaction_wrapup_done(e, pick);
        } else if (r < 70) {
            (void)orca_interaction_abandon(e, pick);
        } else if (r < 72) {
            (void)orca_interaction_cancel(e, pick);
        } else if (r < 76) {
            uint64_t a = 1 + rnd(&g, (uint32_t)nagents);
            uint32_t p = rnd(&g, 10);
            (void)orca_agent_set_presence(e, a, p < 7 ? ORCA_PRESENCE_READY
                                                : p < 9 ? ORCA_PRESENCE_NOT_READY
                                                : ORCA_PRESENCE_OFFLINE, p);
        } else if (r < 78) {
            orca_interaction_def d;
            orca_interaction_def_init(&d);
            d.id = LEG_BASE + ++legs;
            d.queue = q[rnd(&g, 3)];
            d.channel = ORCA_CHANNEL_VOICE;
            (void)orca_interaction_transfer(e, pick, &d, (orca_transfer_mode)rnd(&g, 2));
        } else if (r < 80) {
            orca_interaction_def d;
            orca_interaction_def_init(&d);
            d.id = pick;
            d.queue = q[rnd(&g, 2)];
            d.channel = ORCA_CHANNEL_CHAT;
            (void)orca_interaction_escalate(e, pick, &d);
        } else if (r < 82) {
            (void)orca_interaction_callback(e, pick, ORCA_CHANNEL_CALLBACK,
                                            rnd(&g, 2) ? 0 : orca_engine_now(e) + 60000);
        } else if (r < 83) {
            (void)orca_interaction_unreached(e, pick);
        } else {
            uint32_t s = rnd(&g, 100);
            uint64_t dt = s < 80 ? rnd(&g, 3000) : s < 98 ? rnd(&g, 60000) : rnd(&g, 7200000);
            CCHECK(orca_engine_advance(e, orca_engine_now(e) + dt));
        }
    }
}

/* ------------------------------------------------------------------------ */
/* The parent                                                               */
/* ------------------------------------------------------------------------ */

typedef struct ids {
    uint64_t *v;
    size_t n, cap;
} ids;

static void ids_push(ids *s, uint64_t x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = realloc(s->v, s->cap * sizeof(*s->v));
        if (!s->v)
            abort();
    }
    s->v[s->n++] = x;
}

typedef struct evlog {
    orca_event *v;
    size_t n, cap;
} evlog;

static void on_event(void *data, const orca_event *ev)
{
    evlog *l = data;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4096;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        if (!l->v)
            abort();
    }
    l->v[l->n++] = *ev;
}

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static void buf_write(void *data, const char *text, size_t len)
{
    buf *b = data;
    if (b->n + len + 1 > b->cap) {
        while (b->n + len + 1 > b->cap)
            b->cap = b->cap ? b->cap * 2 : 65536;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->n, text, len);
    b->n += len;
    b->p[b->n] = 0;
}

/* Ids of the live interactions, from the canonical dump ("ix <id> ..."). */
static void live_ids(const orca_engine *e, ids *out)
{
    buf b = { 0 };
    buf_write(&b, "", 0);
    if (orca_engine_dump(e, buf_write, &b) != ORCA_OK)
        abort();
    for (char *l = b.p; l && *l;) {
        if (strncmp(l, "ix ", 3) == 0)
            ids_push(out, strtoull(l + 3, NULL, 10));
        char *nl = strchr(l, '\n');
        l = nl ? nl + 1 : NULL;
    }
    free(b.p);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int in_sorted(const uint64_t *v, size_t n, uint64_t x)
{
    return n && bsearch(&x, v, n, sizeof(*v), cmp_u64) != NULL;
}

static int terminal(orca_event_type t)
{
    return t == ORCA_EV_COMPLETED || t == ORCA_EV_ABANDONED || t == ORCA_EV_CANCELLED ||
           t == ORCA_EV_TIMED_OUT || t == ORCA_EV_CONTAINED || t == ORCA_EV_UNREACHED;
}

typedef struct totals {
    uint64_t acked, extra, records, torn, torn_bytes, recovered, live, finished;
    double replay_s;
} totals;

static int g_failures;

static void failf(uint64_t it, uint64_t seed, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "FAIL iteration %llu (child seed %#llx): ", (unsigned long long)it,
            (unsigned long long)seed);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    g_failures++;
}

/* Read 8-byte ids from fd into acked until the child said its journal is
 * open and `want` ids came; 0 at EOF (the child is gone). */
static int read_acks(int fd, ids *acked, size_t want, int *opened)
{
    static uint8_t part[8];
    static size_t npart;
    while (!*opened || acked->n < want) {
        uint8_t b[4096];
        ssize_t r = read(fd, b, sizeof(b));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            npart = 0;
            return 0;
        }
        for (ssize_t k = 0; k < r; k++) {
            part[npart++] = b[k];
            if (npart == 8) {
                uint64_t id;
                memcpy(&id, part, 8);
                npart = 0;
                if (id == 0)
                    *opened = 1;
                else
                    ids_push(acked, id);
            }
        }
    }
    return 1;
}

static void one_iteration(uint64_t it, uint64_t seed, const char *dir, totals *t)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/crash-%llu.jrnl", dir, (unsigned long long)it);
    unlink(path);
    uint64_t g = seed ^ 0xc0ffee;
    int p[2];
    if (pipe(p) != 0) {
        perror("pipe");
        exit(2);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) {
        close(p[0]);
        run_child(path, seed, p[1]);
        _exit(0);
    }
    close(p[1]);
    ids acked = { 0 };
    int opened = 0;
    read_acks(p[0], &acked, 0, &opened);
    if (!opened) {
        int st;
        waitpid(pid, &st, 0);
        failf(it, seed, "the child died before its journal was open (status %#x)", st);
        close(p[0]);
        return;
    }
    /* where to kill: after 0..600 acknowledged enqueues, then a little later */
    uint32_t r = rnd(&g, 100);
    size_t want = r < 5 ? 0 : r < 15 ? rnd(&g, 10) : rnd(&g, 600);
    int alive = read_acks(p[0], &acked, want, &opened);
    if (alive) {
        uint32_t us = rnd(&g, 3000);
        if (us) {
            struct timespec ts = { 0, (long)us * 1000 };
            nanosleep(&ts, NULL);
        }
        kill(pid, SIGKILL);
    }
    int st;
    waitpid(pid, &st, 0);
    read_acks(p[0], &acked, SIZE_MAX, &opened); /* what the pipe still holds */
    close(p[0]);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
        failf(it, seed, "the child was not killed by us (status %#x)", st);
        return;
    }

    /* CRASH_SELFTEST_CHOP=n: lose the last n bytes of the journal before
     * restoring (a mutant the checks must catch) */
    const char *chop = getenv("CRASH_SELFTEST_CHOP");
    if (chop && *chop) {
        struct stat sb;
        long n = strtol(chop, NULL, 0);
        if (stat(path, &sb) == 0 && sb.st_size > 2000 && truncate(path, sb.st_size - n) != 0)
            perror("truncate");
    }

    /* restore */
    orca_config cfg;
    int rc = orca_journal_read_config(path, &cfg);
    if (rc != ORCA_OK) {
        failf(it, seed, "read_config: %s", orca_strerror(rc));
        return;
    }
    orca_engine *e;
    if ((rc = orca_engine_new(&cfg, &e)) != ORCA_OK) {
        failf(it, seed, "engine_new: %s", orca_strerror(rc));
        return;
    }
    evlog log = { 0 };
    int handle;
    orca_listener_add(e, on_event, &log, &handle);
    orca_journal_config jc = { .sync = ORCA_SYNC_EVERY, .interval_ms = 0 };
    orca_journal_info ri;
    double t0 = now_s();
    rc = orca_journal_replay(e, path, &jc, &ri);
    t->replay_s += now_s() - t0;
    if (rc != ORCA_OK) {
        failf(it, seed, "replay: %s (bad_offset %llu)", orca_strerror(rc),
              (unsigned long long)ri.bad_offset);
        orca_engine_free(e);
        free(log.v);
        free(acked.v);
        return;
    }
    if ((rc = orca_engine_check(e)) != ORCA_OK)
        failf(it, seed, "orca_engine_check after the restore: %s", orca_strerror(rc));

    /* the enqueues the replay made, in order */
    ids enq = { 0 }, legs = { 0 };
    for (size_t k = 0; k < log.n; k++) {
        const orca_event *ev = &log.v[k];
        if (ev->type != ORCA_EV_ENQUEUED)
            continue;
        if (ev->value & (ORCA_ENQ_TRANSFER | ORCA_ENQ_ESCALATED))
            ids_push(&legs, ev->interaction);
        else
            ids_push(&enq, ev->interaction);
    }
    /* acknowledged ids: a prefix of the replay's enqueues, in order */
    size_t k = 0;
    for (; k < acked.n && k < enq.n; k++)
        if (acked.v[k] != enq.v[k])
            break;
    if (k < acked.n) {
        failf(it, seed, "acknowledged enqueue #%zu (id %llu) %s", k,
              (unsigned long long)acked.v[k],
              k < enq.n ? "is not where the replay has it" : "is missing from the journal");
        if (k < enq.n)
            fprintf(stderr, "  the replay's enqueue #%zu is id %llu\n", k,
                    (unsigned long long)enq.v[k]);
    }
    if (enq.n > acked.n + 1)
        failf(it, seed, "the replay made %zu enqueues, %zu were acknowledged (at most one more "
              "can have returned before the kill)", enq.n, acked.n);
    if (enq.n > acked.n)
        t->extra += enq.n - acked.n;
    /* each exactly once: no id enqueued twice */
    uint64_t *sorted = malloc((enq.n + 1) * sizeof(*sorted));
    if (enq.n) {
        memcpy(sorted, enq.v, enq.n * sizeof(*sorted));
        qsort(sorted, enq.n, sizeof(*sorted), cmp_u64);
    }
    for (size_t j = 1; j < enq.n; j++)
        if (sorted[j] == sorted[j - 1])
            failf(it, seed, "id %llu enqueued twice by the replay",
                  (unsigned long long)sorted[j]);
    if (legs.n)
        qsort(legs.v, legs.n, sizeof(*legs.v), cmp_u64);
    /* alive, or finished in the replay */
    for (size_t a = 0; a < acked.n; a++) {
        orca_interaction_info in;
        if (orca_interaction_info_get(e, acked.v[a], &in) == ORCA_OK) {
            t->live++;
            continue;
        }
        int done = 0;
        for (size_t j = log.n; j-- > 0 && !done;)
            if (log.v[j].interaction == acked.v[a] && terminal(log.v[j].type))
                done = 1;
        if (!done)
            failf(it, seed, "acknowledged id %llu is neither in the engine nor finished",
                  (unsigned long long)acked.v[a]);
        else
            t->finished++;
    }
    /* nothing invented */
    ids live = { 0 };
    live_ids(e, &live);
    orca_counts c;
    orca_engine_counts(e, &c);
    if (live.n != c.interactions)
        failf(it, seed, "dump lists %zu interactions, counts say %u", live.n, c.interactions);
    for (size_t j = 0; j < live.n; j++)
        if (!in_sorted(sorted, enq.n, live.v[j]) && !in_sorted(legs.v, legs.n, live.v[j]))
            failf(it, seed, "live interaction %llu was never enqueued",
                  (unsigned long long)live.v[j]);
    for (size_t j = 0; j < enq.n; j++)
        if (enq.v[j] >= LEG_BASE || (j >= acked.n && enq.v[j] <= (acked.n ? acked.v[acked.n - 1] : 0)))
            failf(it, seed, "replayed enqueue of id %llu, never acknowledged and not the next one",
                  (unsigned long long)enq.v[j]);

    /* the journal goes on after the restore, and replays again */
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = LEG_BASE - 1;
    d.queue = 1;
    d.channel = ORCA_CHANNEL_EMAIL;
    rc = orca_engine_advance(e, orca_engine_now(e) + 10);
    orca_queue_id q0;
    if (rc == ORCA_OK && orca_queue_find(e, "q0", &q0) == ORCA_OK) /* (killed before?) */
        rc = orca_interaction_enqueue(e, &d);
    if (rc != ORCA_OK)
        failf(it, seed, "a call after the restore: %s", orca_strerror(rc));
    orca_journal_info ji;
    orca_journal_info_get(e, &ji);
    if (ji.failed)
        failf(it, seed, "the journal failed after the restore (errno %d)", ji.os_error);
    orca_journal_close(e);
    orca_engine *e2;
    orca_engine_new(&cfg, &e2);
    orca_journal_info ri2;
    rc = orca_journal_replay(e2, path, &jc, &ri2);
    if (rc != ORCA_OK) {
        failf(it, seed, "second replay: %s", orca_strerror(rc));
    } else {
        ids live2 = { 0 };
        live_ids(e2, &live2);
        ids live1 = { 0 };
        live_ids(e, &live1);
        if (live1.n != live2.n ||
            (live1.n && memcmp(live1.v, live2.v, live1.n * sizeof(*live1.v)) != 0))
            failf(it, seed, "the second replay has %zu interactions, the restored engine %zu",
                  live2.n, live1.n);
        if (ri2.torn_bytes)
            failf(it, seed, "the second replay found %llu torn bytes",
                  (unsigned long long)ri2.torn_bytes);
        if (orca_engine_check(e2) != ORCA_OK)
            failf(it, seed, "orca_engine_check after the second replay");
        free(live1.v);
        free(live2.v);
    }
    orca_engine_free(e2);

    t->acked += acked.n;
    t->records += ri.records;
    t->torn += ri.torn_bytes != 0;
    t->torn_bytes += ri.torn_bytes;
    t->recovered += ri.recovered_offers;
    if (g_verbose)
        printf("  iteration %3llu: %5zu acknowledged, %5zu replayed enqueues, %6llu records, "
               "torn %llu bytes, %llu offers recovered, %u live\n",
               (unsigned long long)it, acked.n, enq.n, (unsigned long long)ri.records,
               (unsigned long long)ri.torn_bytes, (unsigned long long)ri.recovered_offers,
               c.interactions);
    free(sorted);
    free(live.v);
    free(enq.v);
    free(legs.v);
    free(acked.v);
    free(log.v);
    orca_engine_free(e);
    unlink(path);
}

int main(int argc, char **argv)
{
    const char *v = getenv("CRASH_ITERATIONS");
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : v && *v ? strtoull(v, NULL, 0) : 50;
    const char *s = getenv("CRASH_SEED");
    uint64_t master = s && *s ? strtoull(s, NULL, 0) : 0x6372617368ull;
    g_verbose = getenv("CRASH_VERBOSE") && *getenv("CRASH_VERBOSE") == '1';
    const char *tmp = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/orca-crash-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    totals t;
    memset(&t, 0, sizeof(t));
    double t0 = now_s();
    uint64_t g = master;
    for (uint64_t it = 0; it < n; it++)
        one_iteration(it, sm64(&g), dir, &t);
    /* journals of failed iterations are kept for a look unless all passed */
    if (!g_failures) {
        DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
            char p[1024];
            if (de->d_name[0] == '.')
                continue;
            snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
            unlink(p);
        }
        if (d)
            closedir(d);
        rmdir(dir);
    } else {
        printf("crash_journal: journals kept in %s\n", dir);
    }
    printf("crash_journal: %llu SIGKILLs (seed %#llx), %llu acknowledged enqueues checked "
           "(%llu live, %llu finished), %llu unacknowledged ones also "
           "restored, %llu records replayed (%.1f ms in all), %llu torn tails (%llu bytes), "
           "%llu pending offers recovered; %.1f s; %d failures\n",
           (unsigned long long)n, (unsigned long long)master, (unsigned long long)t.acked,
           (unsigned long long)t.live, (unsigned long long)t.finished,
           (unsigned long long)t.extra, (unsigned long long)t.records, t.replay_s * 1e3,
           (unsigned long long)t.torn, (unsigned long long)t.torn_bytes,
           (unsigned long long)t.recovered, now_s() - t0, g_failures);
    return g_failures ? 1 : 0;
}
