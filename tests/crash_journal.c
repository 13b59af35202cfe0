/*
 * crash_journal.c: the journal survives SIGKILL (issue 6, "Nothing lost"),
 * compaction included.
 *
 * Each iteration forks a child that runs a seeded random workload on an
 * engine journaling with ORCA_SYNC_EVERY, with an orca_stats attached (so
 * snapshots carry figures). Most iterations also compact: explicitly
 * (orca_journal_compact between calls, at random), automatically
 * (orca_journal_config.compact_bytes of 2 KB to 64 KB), or both. The child
 * tells the parent over a pipe (8-byte messages, each written whole):
 *
 *   ACK id    an orca_interaction_enqueue() returned ORCA_OK (sent after
 *             the call returned);
 *   LEG id    an orca_interaction_transfer() returned ORCA_OK (its new leg);
 *   FIN id    a terminal event (completed, abandoned, ...) for id, sent
 *             by a listener *during* the call, so before anything the
 *             call journals or compacts;
 *   COMP h    a compaction (explicit, or automatic inside the last call)
 *             returned: h is a hash of the new journal's snapshot (its
 *             first snapshot_bytes bytes, read back from the file);
 *   STEP n    the workload's n-th call returned (setup calls included).
 *
 * The parent kills the child with SIGKILL either at a random moment (after
 * 0..600 acknowledged enqueues and up to 3 ms) or, in half the compacting
 * iterations, while it compacts: it polls for "<path>.compact" (reading
 * the pipe meanwhile) and kills as soon as it appears (+0..0.3 ms), a
 * random 0..4 ms after, or just after it is renamed away (the kill then
 * lands in the directory sync or before the child hears the compaction
 * returned). It then reads what the pipe still holds, notes whether a
 * "<path>.compact" was left behind (the kill landed before the rename),
 * restores an engine from the journal (orca_journal_read_config,
 * orca_engine_new, orca_stats_new, orca_journal_replay with a listener
 * recording the replay's events) and checks:
 *
 *  A. From the acknowledgements alone (no assumption about determinism).
 *     Let enq be the replay's enqueues (ENQUEUED events that are not
 *     transfer or escalation legs), in order, and m the number of
 *     acknowledged enqueues the journal's snapshot must hold:
 *      - no snapshot (the journal is header + records): m = 0, and no
 *        COMP may have been heard (a compaction that returned is never
 *        lost);
 *      - a snapshot whose hash is the last COMP heard: m = the number of
 *        ACKs heard before that COMP (exact: compaction happens at the end
 *        of a call, after the call's ACK, before the next call);
 *      - a snapshot with another hash: it can only be from the one call
 *        that had not returned (or whose COMP was not sent yet), so every
 *        acknowledged enqueue is in it: m = all of them.
 *     Then enq must be exactly the acknowledged ids from m on, in the
 *     order acknowledged, each once, followed by at most one more id
 *     (the enqueue that returned just before the kill, unacknowledged),
 *     greater than every acknowledged one. Every acknowledged id (those
 *     in the snapshot too) must be live in the restored engine, or have
 *     finished: a terminal event in the replay, or a FIN the child sent.
 *     Nothing invented: every live interaction is an acknowledged enqueue
 *     or leg, or the one id the unacknowledged last call may have made
 *     (at most one such id in all, above every acknowledged id of its
 *     kind); without a snapshot, every live one was also enqueued by the
 *     replay.
 *     (Without snapshots this is the check as it was before compaction:
 *     the replay's enqueues start with every acknowledged id, in order.
 *     With one, the events before the snapshot are not replayed, so the
 *     part of A about the snapshot is "live or finished" and "nothing
 *     invented", not the order; B covers the order.)
 *  B. Against a reference (the workload is deterministic): the parent
 *     runs the same workload in-process for n and n + 1 calls (n: the
 *     last STEP heard), journaling without compaction, replays each
 *     journal record by record (stats attached), and the restored engine
 *     must equal one of the two: canonical dump (every queue's order,
 *     every interaction's place and clocks, agents, customers), counts,
 *     clock, next deadline, customer totals and the figures
 *     (orca_stats_snapshot_json). So a snapshot plus its tail rebuilds
 *     exactly the state after the last call that returned (or the one in
 *     flight): nothing lost, nothing duplicated, order kept, nothing
 *     invented, for all the state, not only the acknowledged ids.
 *  C. orca_engine_check() passes; the journal goes on after the restore:
 *     in iterations that left a "<path>.compact" (and in half the others)
 *     the restored engine compacts at once, which must succeed and
 *     consume the leftover; a clock step and an enqueue are journaled; a
 *     second replay of the file gives the same interactions (the same
 *     engine, figures included, if no offer was pending), with no torn
 *     bytes.
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

/* pipe messages: tag in the top byte, value below */
enum { T_OPEN = 1, T_ACK, T_LEG, T_FIN, T_COMP, T_STEP };
#define VAL_MASK ((UINT64_C(1) << 56) - 1)
#define MSG(tag, v) ((uint64_t)(tag) << 56 | ((v) & VAL_MASK))

/* FNV-1a over a file's first n bytes (56 bits kept); 0 if unreadable. */
static uint64_t file_hash(const char *path, uint64_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    uint64_t h = 0xcbf29ce484222325ull, done = 0;
    uint8_t b[65536];
    while (done < n) {
        size_t want = n - done < sizeof(b) ? (size_t)(n - done) : sizeof(b);
        ssize_t r = pread(fd, b, want, (off_t)done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            close(fd);
            return 0;
        }
        for (ssize_t k = 0; k < r; k++) {
            h ^= b[k];
            h *= 0x100000001b3ull;
        }
        done += (uint64_t)r;
    }
    close(fd);
    h &= VAL_MASK;
    return h ? h : 1;
}

/* ------------------------------------------------------------------------ */
/* The workload (the child runs it; the parent runs it again as reference)  */
/* ------------------------------------------------------------------------ */

typedef struct plan {
    uint64_t seed;           /* the workload's */
    uint64_t compact_bytes;  /* automatic compaction (0: none) */
    uint32_t explicit_every; /* orca_journal_compact after 1 call in this
                                many, at random (0: never) */
} plan;

typedef struct wl {
    orca_engine *e;
    const plan *pl;
    uint64_t g;              /* the workload's choices */
    uint64_t gc;             /* the child's compaction choices (apart, so
                                the reference makes the same calls) */
    uint64_t calls, limit;   /* calls made; stop before the limit-th + 1 */
    int fd;                  /* the child's pipe; -1 in the reference */
    const char *path;        /* the child's journal */
    uint64_t compactions;    /* the child's, reported so far */
    int broken;              /* the reference could not make a call */
    orca_skill_id sk[3];
    orca_queue_id q[3];
    uint64_t nagents, next, legs;
} wl;

static void child_die(const char *what, int rc)
{
    fprintf(stderr, "crash child: %s: %s\n", what, orca_strerror(rc));
    _exit(3);
}

static void tell(int fd, uint64_t msg)
{
    /* 8 bytes < PIPE_BUF: atomic */
    ssize_t w;
    do
        w = write(fd, &msg, sizeof(msg));
    while (w < 0 && errno == EINTR);
    if (w != (ssize_t)sizeof(msg))
        _exit(4);
}

static int go(const wl *w)
{
    return !w->broken && w->calls < w->limit;
}

static void wl_fail(wl *w, const char *what, int rc)
{
    if (w->fd >= 0)
        child_die(what, rc);
    fprintf(stderr, "crash reference: call %llu: %s: %s\n", (unsigned long long)w->calls + 1,
            what, orca_strerror(rc));
    w->broken = 1;
}

/* The child: report the compactions done since the last report. */
static void report_compactions(wl *w)
{
    orca_journal_info ji;
    if (orca_journal_info_get(w->e, &ji) != ORCA_OK)
        child_die("orca_journal_info_get", ORCA_EINVAL);
    if (ji.compact_failures)
        child_die("a compaction failed", ORCA_EIO);
    if (ji.failed)
        child_die("the journal failed", ORCA_EIO);
    if (ji.compactions != w->compactions) {
        w->compactions = ji.compactions;
        uint64_t h = file_hash(w->path, ji.snapshot_bytes);
        if (!h)
            child_die("reading the compacted journal back", ORCA_EIO);
        tell(w->fd, MSG(T_COMP, h));
    }
}

/* A call returned (its ACK/LEG already sent). */
static void done(wl *w)
{
    w->calls++;
    if (w->fd < 0)
        return;
    report_compactions(w);
    tell(w->fd, MSG(T_STEP, w->calls));
    if (w->pl->explicit_every && rnd(&w->gc, w->pl->explicit_every) == 0) {
        int rc = orca_journal_compact(w->e);
        if (rc != ORCA_OK)
            child_die("orca_journal_compact", rc);
        report_compactions(w);
    }
}

#define CALL_OK(w, call)                                                                  \
    do {                                                                                  \
        if (!go(w))                                                                       \
            return;                                                                       \
        int rc_ = (call);                                                                 \
        if (rc_ != ORCA_OK) {                                                             \
            wl_fail((w), #call, rc_);                                                     \
            return;                                                                       \
        }                                                                                 \
        done(w);                                                                          \
    } while (0)

/* The engine's configuration (drawn first from the workload's seed). */
static void wl_init(wl *w, const plan *pl, orca_config *cfg)
{
    memset(w, 0, sizeof(*w));
    w->pl = pl;
    w->g = pl->seed;
    w->gc = pl->seed ^ 0x636f6d70616374ull;
    w->fd = -1;
    w->limit = UINT64_MAX;
    orca_config_init(cfg);
    cfg->start_ms = START_MS + rnd(&w->g, 86400000);
    cfg->seed = sm64(&w->g);
    cfg->offer_timeout_ms = 5000 + rnd(&w->g, 20000);
    cfg->no_answer_limit = rnd(&w->g, 3);
    cfg->max_customers = 50;
}

static void wl_setup(wl *w)
{
    uint64_t *g = &w->g;
    orca_engine *e = w->e;
    CALL_OK(w, orca_skill_intern(e, "en", &w->sk[0]));
    CALL_OK(w, orca_skill_intern(e, "fr", &w->sk[1]));
    CALL_OK(w, orca_skill_intern(e, "billing", &w->sk[2]));
    for (int k = 0; k < 3; k++) {
        orca_queue_def qd;
        orca_queue_def_init(&qd);
        char name[16];
        snprintf(name, sizeof(name), "q%d", k);
        qd.name = name;
        qd.strategy = (orca_strategy)rnd(g, ORCA_STRATEGY_LEAST_BUSY + 1);
        qd.max_size = k == 2 ? 6 : 0;              /* refuses some work */
        qd.max_wait_ms = k == 1 ? 120000 : 0;
        qd.resume_ms = k == 0 ? 60000 : 0;
        qd.sticky_ms = k == 0 ? 20000 : 0;
        qd.overflow_after_ms = k == 1 ? 30000 : 0;
        qd.overflow_to = k == 1 ? 1 : 0;
        CALL_OK(w, orca_queue_add(e, &qd, &w->q[k]));
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
    CALL_OK(w, orca_queue_set_hours(e, w->q[1], &h));
    const orca_channel_limit lim[] = { { ORCA_CHANNEL_VOICE, 1 }, { ORCA_CHANNEL_CHAT, 3 },
                                       { ORCA_CHANNEL_EMAIL, 5 },
                                       { ORCA_CHANNEL_CALLBACK, 1 } };
    w->nagents = 4 + rnd(g, 8);
    for (uint64_t a = 1; a <= w->nagents; a++) {
        orca_skill_level s[2] = { { w->sk[a % 3], (uint8_t)(1 + rnd(g, 5)) },
                                  { w->sk[(a + 1) % 3], (uint8_t)(1 + rnd(g, 5)) } };
        orca_agent_def ad;
        orca_agent_def_init(&ad);
        ad.id = a;
        ad.skills = s;
        ad.nskills = 2;
        ad.limits = lim;
        ad.nlimits = 4;
        CALL_OK(w, orca_agent_add(e, &ad));
        for (int k = 0; k < 3; k++)
            if (rnd(g, 3))
                CALL_OK(w, orca_queue_member_add(e, w->q[k], a, rnd(g, 2)));
        CALL_OK(w, orca_agent_set_presence(e, a, ORCA_PRESENCE_READY, 0));
    }
}

/* Calls until the limit (the child: until killed). */
static void wl_run(wl *w)
{
    wl_setup(w);
    uint64_t *g = &w->g;
    orca_engine *e = w->e;
    w->next = 1;
    w->legs = 0;
    while (go(w)) {
        uint64_t next = w->next;
        uint32_t r = rnd(g, 100);
        uint64_t pick = next > 1 ? next - 1 - rnd(g, next - 1 < 300 ? (uint32_t)(next - 1) : 300)
                                 : 1;
        if (r < 35) {
            orca_interaction_def d;
            orca_interaction_def_init(&d);
            d.id = next;
            d.queue = w->q[rnd(g, 3)];
            static const orca_channel_id chs[] = { ORCA_CHANNEL_VOICE, ORCA_CHANNEL_CHAT,
                                                   ORCA_CHANNEL_EMAIL };
            d.channel = chs[rnd(g, 3)];
            d.customer = rnd(g, 4) ? 1 + rnd(g, 40) : 0;
            d.priority = rnd(g, 4);
            orca_skill_level need = { w->sk[rnd(g, 3)], (uint8_t)(1 + rnd(g, 3)) };
            if (rnd(g, 2)) {
                d.required = &need;
                d.nrequired = 1;
            }
            if (rnd(g, 12) == 0) {
                d.not_before_ms = orca_engine_now(e) + 1000 + rnd(g, 300000);
                d.early_ms = rnd(g, 10000);
            }
            if (rnd(g, 15) == 0 && !d.not_before_ms)
                d.bot = 1;
            int rc = orca_interaction_enqueue(e, &d);
            if (rc == ORCA_OK) {
                if (w->fd >= 0)
                    tell(w->fd, MSG(T_ACK, next));
            } else if (rc != ORCA_EFULL && rc != ORCA_ECLOSED && rc != ORCA_ERANGE) {
                wl_fail(w, "enqueue", rc);
                return;
            }
            w->next++; /* never reused, acknowledged or not */
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
            uint64_t a = 1 + rnd(g, (uint32_t)w->nagents);
            uint32_t p = rnd(g, 10);
            (void)orca_agent_set_presence(e, a, p < 7 ? ORCA_PRESENCE_READY
                                                : p < 9 ? ORCA_PRESENCE_NOT_READY
                                                : ORCA_PRESENCE_OFFLINE, p);
        } else if (r < 78) {
            orca_interaction_def d;
            orca_interaction_def_init(&d);
            d.id = LEG_BASE + ++w->legs;
            d.queue = w->q[rnd(g, 3)];
            d.channel = ORCA_CHANNEL_VOICE;
            if (orca_interaction_transfer(e, pick, &d, (orca_transfer_mode)rnd(g, 2)) ==
                    ORCA_OK && w->fd >= 0)
                tell(w->fd, MSG(T_LEG, d.id));
        } else if (r < 80) {
            orca_interaction_def d;
            orca_interaction_def_init(&d);
            d.id = pick;
            d.queue = w->q[rnd(g, 2)];
            d.channel = ORCA_CHANNEL_CHAT;
            (void)orca_interaction_escalate(e, pick, &d);
        } else if (r < 82) {
            (void)orca_interaction_callback(e, pick, ORCA_CHANNEL_CALLBACK,
                                            rnd(g, 2) ? 0 : orca_engine_now(e) + 60000);
        } else if (r < 83) {
            (void)orca_interaction_unreached(e, pick);
        } else {
            uint32_t s = rnd(g, 100);
            uint64_t dt = s < 80 ? rnd(g, 3000) : s < 98 ? rnd(g, 60000) : rnd(g, 7200000);
            int rc = orca_engine_advance(e, orca_engine_now(e) + dt);
            if (rc != ORCA_OK) {
                wl_fail(w, "orca_engine_advance", rc);
                return;
            }
        }
        done(w);
    }
}

static int terminal(orca_event_type t)
{
    return t == ORCA_EV_COMPLETED || t == ORCA_EV_ABANDONED || t == ORCA_EV_CANCELLED ||
           t == ORCA_EV_TIMED_OUT || t == ORCA_EV_CONTAINED || t == ORCA_EV_UNREACHED;
}

/* The child's listener: FIN as the event happens (before the call
 * journals anything or compacts). */
static void child_on_event(void *data, const orca_event *ev)
{
    const wl *w = data;
    if (terminal(ev->type) && ev->interaction && ev->interaction < LEG_BASE)
        tell(w->fd, MSG(T_FIN, ev->interaction));
}

static void run_child(const char *path, const plan *pl, int fd)
{
    wl w;
    orca_config cfg;
    wl_init(&w, pl, &cfg);
    int rc;
    if ((rc = orca_engine_new(&cfg, &w.e)) != ORCA_OK)
        child_die("orca_engine_new", rc);
    orca_journal_config jc = { .sync = ORCA_SYNC_EVERY, .interval_ms = 0,
                               .compact_bytes = pl->compact_bytes };
    if ((rc = orca_journal_open(w.e, path, &jc)) != ORCA_OK)
        child_die("orca_journal_open", rc);
    orca_stats *st;
    if ((rc = orca_stats_new(w.e, NULL, &st)) != ORCA_OK)
        child_die("orca_stats_new", rc);
    w.fd = fd;
    w.path = path;
    int handle;
    if ((rc = orca_listener_add(w.e, child_on_event, &w, &handle)) != ORCA_OK)
        child_die("orca_listener_add", rc);
    tell(fd, MSG(T_OPEN, 0)); /* the journal exists */
    wl_run(&w);
    _exit(3); /* wl_run returns only if a call failed */
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

static void bprintf(buf *b, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0)
        buf_write(b, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
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

/* Everything an engine shows of its state, as text: the canonical dump,
 * counts (but listeners), clock, next deadline, customer totals and the
 * figures of st. */
static char *fingerprint(const orca_engine *e, const orca_stats *st)
{
    buf b = { 0 };
    buf_write(&b, "", 0);
    if (orca_engine_dump(e, buf_write, &b) != ORCA_OK)
        abort();
    orca_counts c;
    memset(&c, 0, sizeof(c));
    orca_engine_counts(e, &c);
    bprintf(&b, "counts skills=%u channels=%u queues=%u agents=%u ready=%u ix=%u waiting=%u "
            "offered=%u busy=%u wrapup=%u scheduled=%u bot=%u classes=%u events=%llu\n",
            c.skills, c.channels, c.queues, c.agents, c.agents_ready, c.interactions,
            c.waiting, c.offered, c.busy, c.wrapup, c.scheduled, c.bot, c.classes,
            (unsigned long long)c.events);
    uint64_t dl = 0;
    int rc = orca_engine_next_deadline(e, &dl);
    bprintf(&b, "now %llu next_deadline %d %llu\n", (unsigned long long)orca_engine_now(e), rc,
            (unsigned long long)(rc == ORCA_OK ? dl : 0));
    orca_customer_totals t;
    memset(&t, 0, sizeof(t));
    orca_customer_totals_get(e, &t);
    bprintf(&b, "customer totals %u %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
            "%llu %llu %llu %llu %llu %llu\n", t.customers, (unsigned long long)t.contacts,
            (unsigned long long)t.recontacts, (unsigned long long)t.channel_switches,
            (unsigned long long)t.targeted, (unsigned long long)t.sticky,
            (unsigned long long)t.target_offers, (unsigned long long)t.transfers,
            (unsigned long long)t.forgotten, (unsigned long long)t.bot_started,
            (unsigned long long)t.contained, (unsigned long long)t.escalated,
            (unsigned long long)t.scheduled, (unsigned long long)t.virtual_holds,
            (unsigned long long)t.unreached, (unsigned long long)t.resumed,
            (unsigned long long)t.closed_rejected, (unsigned long long)t.redirected);
    buf_write(&b, "figures ", 8);
    if (st && orca_stats_snapshot_json(st, buf_write, &b) != ORCA_OK)
        buf_write(&b, "(failed)", 8);
    buf_write(&b, "\n", 1);
    return b.p;
}

/* The first line where a and b differ, printed (indented) to stderr. */
static void show_first_diff(const char *what, const char *a, const char *b)
{
    size_t line = 1;
    const char *la = a, *lb = b;
    while (*la && *lb) {
        const char *ea = strchr(la, '\n'), *eb = strchr(lb, '\n');
        size_t na = ea ? (size_t)(ea - la) : strlen(la), nb = eb ? (size_t)(eb - lb) : strlen(lb);
        if (na != nb || memcmp(la, lb, na) != 0)
            break;
        line++;
        la += na + (ea != NULL);
        lb += nb + (eb != NULL);
    }
    fprintf(stderr, "  %s: line %zu differs:\n    restored:  %.300s\n    reference: %.300s\n",
            what, line, *la ? la : "(end)", *lb ? lb : "(end)");
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

static void ids_sort(ids *s)
{
    if (s->n)
        qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
}

typedef struct totals {
    uint64_t acked, extra, records, torn, torn_bytes, recovered, live, finished, fin_child;
    uint64_t compacting_its, compactions_heard, hunts, hunts_missed, kills_leftover,
        kills_unheard, snap_restores, ref_next, post_compactions;
    double replay_s, ref_s;
} totals;

static int g_failures;
static uint64_t g_hdr_bytes = 116; /* a journal's header (measured in main) */

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

/* What the parent heard from the child. */
typedef struct heard {
    int opened;
    ids acked, legs;
    ids fin, fin_step;       /* FIN ids, and the last STEP heard before each */
    uint64_t steps;          /* the last STEP */
    uint64_t comps;          /* COMPs heard */
    size_t comp_at;          /* ACKs heard before the last COMP */
    uint64_t comp_hash;      /* its snapshot's hash */
    uint8_t part[8];
    size_t npart;
} heard;

static void heard_free(heard *h)
{
    free(h->acked.v);
    free(h->legs.v);
    free(h->fin.v);
    free(h->fin_step.v);
}

static void take(heard *h, uint64_t msg)
{
    uint64_t v = msg & VAL_MASK;
    switch (msg >> 56) {
    case T_OPEN: h->opened = 1; break;
    case T_ACK: ids_push(&h->acked, v); break;
    case T_LEG: ids_push(&h->legs, v); break;
    case T_FIN:
        ids_push(&h->fin, v);
        ids_push(&h->fin_step, h->steps);
        break;
    case T_COMP:
        h->comps++;
        h->comp_at = h->acked.n;
        h->comp_hash = v;
        break;
    case T_STEP: h->steps = v; break;
    default:
        fprintf(stderr, "crash_journal: bad message %#llx from the child\n",
                (unsigned long long)msg);
        exit(2);
    }
}

/* Read what fd holds (fd is non-blocking); with wait, first wait up to
 * wait_ms for something. 0 at EOF (the child is gone), else 1. */
static int pump(int fd, heard *h, int wait_ms)
{
    if (wait_ms) {
        struct pollfd pf = { .fd = fd, .events = POLLIN };
        if (poll(&pf, 1, wait_ms) < 0 && errno != EINTR)
            return 0;
    }
    for (;;) {
        uint8_t b[4096];
        ssize_t r = read(fd, b, sizeof(b));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 1;
        if (r <= 0)
            return 0;
        for (ssize_t k = 0; k < r; k++) {
            h->part[h->npart++] = b[k];
            if (h->npart == 8) {
                uint64_t m;
                memcpy(&m, h->part, 8);
                h->npart = 0;
                take(h, m);
            }
        }
    }
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Keep reading the pipe until `until` (monotonic seconds). 0 if the
 * child is gone. */
static int pump_until(int fd, heard *h, double until)
{
    while (now_s() < until)
        if (!pump(fd, h, 0))
            return 0;
    return 1;
}

/* The restored engine against the reference: the workload run for `calls`
 * calls in-process (journal without compaction, ORCA_SYNC_NEVER), then
 * that journal replayed with stats attached. NULL if that failed. */
static char *reference(const plan *pl, uint64_t calls, const char *refpath, char *why,
                       size_t whylen)
{
    wl w;
    orca_config cfg;
    wl_init(&w, pl, &cfg);
    w.limit = calls;
    unlink(refpath);
    char *fp = NULL;
    orca_stats *st = NULL;
    orca_journal_config jc = { .sync = ORCA_SYNC_NEVER };
    int rc = orca_engine_new(&cfg, &w.e);
    if (rc == ORCA_OK && (rc = orca_journal_open(w.e, refpath, &jc)) == ORCA_OK &&
        (rc = orca_stats_new(w.e, NULL, &st)) == ORCA_OK) {
        wl_run(&w);
        if (w.broken || w.calls != calls) {
            snprintf(why, whylen, "the reference stopped at call %llu of %llu",
                     (unsigned long long)w.calls, (unsigned long long)calls);
            rc = ORCA_ESTATE;
        }
    } else {
        snprintf(why, whylen, "reference setup: %s", orca_strerror(rc));
    }
    orca_stats_free(st);
    st = NULL;
    orca_engine_free(w.e);
    orca_engine *e = NULL;
    if (rc == ORCA_OK && (rc = orca_engine_new(&cfg, &e)) == ORCA_OK &&
        (rc = orca_stats_new(e, NULL, &st)) == ORCA_OK) {
        orca_journal_info ri;
        rc = orca_journal_replay(e, refpath, &jc, &ri);
        if (rc == ORCA_OK)
            fp = fingerprint(e, st);
        else
            snprintf(why, whylen, "replaying the reference: %s", orca_strerror(rc));
    }
    orca_stats_free(st);
    orca_engine_free(e);
    unlink(refpath);
    return fp;
}

static void one_iteration(uint64_t it, uint64_t seed, const char *dir, totals *t)
{
    char path[700], cpath[720], refpath[720];
    snprintf(path, sizeof(path), "%s/crash-%llu.jrnl", dir, (unsigned long long)it);
    snprintf(cpath, sizeof(cpath), "%s.compact", path);
    snprintf(refpath, sizeof(refpath), "%s/reference-%llu.jrnl", dir, (unsigned long long)it);
    unlink(path);
    unlink(cpath);
    uint64_t g = seed ^ 0xc0ffee;
    double t_start = now_s();

    /* how this child compacts: 3 in 10 not at all, then explicitly,
     * automatically or both */
    plan pl = { .seed = seed };
    uint32_t how = rnd(&g, 10);
    if (how >= 3 && how != 5 && how != 6)
        pl.compact_bytes = UINT64_C(2048) << rnd(&g, 6); /* 2 KB .. 64 KB */
    if (how >= 5)
        pl.explicit_every = 5 + rnd(&g, 60);
    int compacting = pl.compact_bytes || pl.explicit_every;
    /* half the compacting children are killed while compacting: as soon as
     * "<path>.compact" appears (0: 2 in 5), 0..4 ms later (1: 1 in 5), or
     * just after it is renamed away (2: 2 in 5) */
    static const int hunts[5] = { 0, 0, 1, 2, 2 };
    int hunt = compacting && rnd(&g, 2) ? hunts[rnd(&g, 5)] : -1;
    t->compacting_its += compacting != 0;

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
        run_child(path, &pl, p[1]);
        _exit(0);
    }
    close(p[1]);
    if (fcntl(p[0], F_SETFL, O_NONBLOCK) != 0) {
        perror("fcntl");
        exit(2);
    }
    heard h;
    memset(&h, 0, sizeof(h));
    int alive = 1;
    while (alive && !h.opened)
        alive = pump(p[0], &h, 1000);
    if (!h.opened) {
        int st;
        waitpid(pid, &st, 0);
        failf(it, seed, "the child died before its journal was open (status %#x)", st);
        close(p[0]);
        heard_free(&h);
        return;
    }
    /* where to kill: after 0..600 acknowledged enqueues, then a little later */
    uint32_t r = rnd(&g, 100);
    size_t want = r < 5 ? 0 : r < 15 ? rnd(&g, 10) : rnd(&g, hunt >= 0 ? 300 : 600);
    while (alive && h.acked.n < want)
        alive = pump(p[0], &h, 1000);
    if (alive && hunt < 0) {
        uint32_t us = rnd(&g, 3000);
        alive = pump_until(p[0], &h, now_s() + us * 1e-6);
    } else if (alive) {
        t->hunts++;
        double give_up = now_s() + 1.5;
        int seen = 0;
        while (alive && now_s() < give_up && !(seen = exists(cpath)))
            alive = pump(p[0], &h, 0);
        if (!seen)
            t->hunts_missed++;
        else if (hunt == 0)
            alive = pump_until(p[0], &h, now_s() + rnd(&g, 300) * 1e-6);
        else if (hunt == 1)
            alive = pump_until(p[0], &h, now_s() + rnd(&g, 4000) * 1e-6);
        else
            while (alive && now_s() < give_up + 1 && exists(cpath))
                alive = pump(p[0], &h, 0);
    }
    if (alive)
        kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    while (pump(p[0], &h, 1000)) /* what the pipe still holds */
        ;
    close(p[0]);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
        failf(it, seed, "the child was not killed by us (status %#x)", st);
        heard_free(&h);
        return;
    }
    int leftover = exists(cpath);
    t->kills_leftover += leftover;
    t->compactions_heard += h.comps;

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
        heard_free(&h);
        return;
    }
    orca_engine *e;
    if ((rc = orca_engine_new(&cfg, &e)) != ORCA_OK) {
        failf(it, seed, "engine_new: %s", orca_strerror(rc));
        heard_free(&h);
        return;
    }
    orca_stats *stats;
    if ((rc = orca_stats_new(e, NULL, &stats)) != ORCA_OK) {
        failf(it, seed, "stats_new: %s", orca_strerror(rc));
        orca_engine_free(e);
        heard_free(&h);
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
        orca_stats_free(stats);
        orca_engine_free(e);
        free(log.v);
        heard_free(&h);
        return;
    }
    if ((rc = orca_engine_check(e)) != ORCA_OK)
        failf(it, seed, "orca_engine_check after the restore: %s", orca_strerror(rc));

    /* ---- A: the acknowledgements ---- */
    const ids *acked = &h.acked;
    for (size_t j = 1; j < acked->n; j++)
        if (acked->v[j] <= acked->v[j - 1])
            failf(it, seed, "the child acknowledged id %llu after %llu",
                  (unsigned long long)acked->v[j], (unsigned long long)acked->v[j - 1]);
    uint64_t last_acked = acked->n ? acked->v[acked->n - 1] : 0;
    int snap = ri.snapshot_bytes > g_hdr_bytes;
    uint64_t snap_hash = snap ? file_hash(path, ri.snapshot_bytes) : 0;
    size_t m; /* acknowledged enqueues the snapshot must hold */
    const char *which;
    int unheard = 0; /* the snapshot is from the call in flight */
    if (!snap) {
        m = 0;
        which = "no snapshot";
        if (h.comps)
            failf(it, seed, "%llu compactions returned, but the journal has no snapshot",
                  (unsigned long long)h.comps);
    } else if (h.comps && snap_hash == h.comp_hash) {
        m = h.comp_at;
        which = "the last snapshot the child heard of";
    } else {
        m = acked->n;
        which = "a snapshot from the call in flight";
        unheard = 1;
        t->kills_unheard++;
    }
    t->snap_restores += snap != 0;

    /* the enqueues the replay made, in order */
    ids enq = { 0 }, rlegs = { 0 };
    for (size_t k = 0; k < log.n; k++) {
        const orca_event *ev = &log.v[k];
        if (ev->type != ORCA_EV_ENQUEUED)
            continue;
        if (ev->value & (ORCA_ENQ_TRANSFER | ORCA_ENQ_ESCALATED))
            ids_push(&rlegs, ev->interaction);
        else
            ids_push(&enq, ev->interaction);
    }
    /* they are the acknowledged ids from m on, in order, then at most one
     * more */
    size_t k = 0;
    for (; m + k < acked->n && k < enq.n; k++)
        if (acked->v[m + k] != enq.v[k])
            break;
    if (m + k < acked->n) {
        failf(it, seed, "acknowledged enqueue #%zu (id %llu) %s (journal: %s, the replay "
              "should start at acknowledged enqueue #%zu)", m + k,
              (unsigned long long)acked->v[m + k],
              k < enq.n ? "is not where the replay has it" : "is missing from the journal",
              which, m);
        if (k < enq.n)
            fprintf(stderr, "  the replay's enqueue #%zu is id %llu\n", k,
                    (unsigned long long)enq.v[k]);
    }
    size_t tail = acked->n - m;
    if (enq.n > tail + 1)
        failf(it, seed, "the replay made %zu enqueues, %zu were acknowledged after the "
              "snapshot (%s; at most one more can have returned before the kill)",
              enq.n, tail, which);
    uint64_t unacked = 0; /* the one id the unacknowledged call may have made */
    if (enq.n > tail) {
        t->extra += enq.n - tail;
        unacked = enq.v[enq.n - 1];
        if (unacked >= LEG_BASE || unacked <= last_acked)
            failf(it, seed, "replayed enqueue of id %llu, never acknowledged and not the "
                  "next one", (unsigned long long)unacked);
    }
    /* each exactly once */
    ids sorted = { 0 };
    for (size_t j = 0; j < enq.n; j++)
        ids_push(&sorted, enq.v[j]);
    ids_sort(&sorted);
    for (size_t j = 1; j < sorted.n; j++)
        if (sorted.v[j] == sorted.v[j - 1])
            failf(it, seed, "id %llu enqueued twice by the replay",
                  (unsigned long long)sorted.v[j]);
    ids_sort(&rlegs);
    ids_sort(&h.legs);
    /* FINs that excuse an id held in the snapshot: sent during a call that
     * returned, or during the call in flight if the snapshot is its own */
    ids fin = { 0 };
    for (size_t j = 0; j < h.fin.n; j++)
        if (h.fin_step.v[j] < h.steps || unheard)
            ids_push(&fin, h.fin.v[j]);
    ids_sort(&fin);
    /* alive, or finished (in the replay, or the child said so) */
    for (size_t a = 0; a < acked->n; a++) {
        orca_interaction_info in;
        uint64_t id = acked->v[a];
        if (orca_interaction_info_get(e, id, &in) == ORCA_OK) {
            t->live++;
            continue;
        }
        int done_ = 0;
        for (size_t j = log.n; j-- > 0 && !done_;)
            if (log.v[j].interaction == id && terminal(log.v[j].type))
                done_ = 1;
        if (done_) {
            t->finished++;
        } else if (a < m && in_sorted(fin.v, fin.n, id)) {
            t->finished++;
            t->fin_child++;
        } else {
            failf(it, seed, "acknowledged id %llu (#%zu, %s) is neither in the engine nor "
                  "finished", (unsigned long long)id, a,
                  a < m ? "in the snapshot" : "after the snapshot");
        }
    }
    /* nothing invented */
    ids live = { 0 };
    live_ids(e, &live);
    orca_counts c;
    orca_engine_counts(e, &c);
    if (live.n != c.interactions)
        failf(it, seed, "dump lists %zu interactions, counts say %u", live.n, c.interactions);
    uint64_t last_leg = h.legs.n ? h.legs.v[h.legs.n - 1] : 0;
    for (size_t j = 0; j < live.n; j++) {
        uint64_t id = live.v[j];
        int leg = id >= LEG_BASE;
        if (!snap && !in_sorted(sorted.v, sorted.n, id) && !in_sorted(rlegs.v, rlegs.n, id))
            failf(it, seed, "live interaction %llu was never enqueued by the replay",
                  (unsigned long long)id);
        if (leg ? in_sorted(h.legs.v, h.legs.n, id)
                : bsearch(&id, acked->v, acked->n, sizeof(id), cmp_u64) != NULL)
            continue;
        if (leg ? id <= last_leg : id <= last_acked) {
            failf(it, seed, "live interaction %llu was never acknowledged",
                  (unsigned long long)id);
        } else if (unacked && unacked != id) {
            failf(it, seed, "live interactions %llu and %llu were both made by the call "
                  "in flight", (unsigned long long)unacked, (unsigned long long)id);
        } else {
            unacked = id;
        }
    }

    /* ---- B: the reference ---- */
    char *fp = fingerprint(e, stats);
    char why[256] = "";
    double r0 = now_s();
    char *ref0 = reference(&pl, h.steps, refpath, why, sizeof(why));
    char *ref1 = NULL;
    if (ref0 && strcmp(fp, ref0) != 0)
        ref1 = reference(&pl, h.steps + 1, refpath, why, sizeof(why));
    t->ref_s += now_s() - r0;
    if (!ref0 || (strcmp(fp, ref0) != 0 && !ref1)) {
        failf(it, seed, "no reference: %s", why);
    } else if (strcmp(fp, ref0) != 0 && strcmp(fp, ref1) != 0) {
        failf(it, seed, "the restored engine is neither the state after call %llu (the last "
              "that returned) nor after the next (journal: %s)",
              (unsigned long long)h.steps, which);
        show_first_diff("after the last call", fp, ref0);
        show_first_diff("after the next", fp, ref1);
    } else if (ref1) {
        t->ref_next++;
    }
    free(fp);
    free(ref0);
    free(ref1);

    /* ---- C: the journal goes on after the restore, and replays again ---- */
    int post_compact = leftover || rnd(&g, 2);
    if (post_compact) {
        t->post_compactions++;
        if ((rc = orca_journal_compact(e)) != ORCA_OK)
            failf(it, seed, "compacting after the restore%s: %s",
                  leftover ? " (a .compact was left behind)" : "", orca_strerror(rc));
        else if (exists(cpath))
            failf(it, seed, "%s is still there after compacting", cpath);
    }
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
    orca_stats *stats2;
    orca_stats_new(e2, NULL, &stats2);
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
        orca_engine_counts(e, &c);
        if (!c.offered) { /* nothing to recover: the same engine */
            char *f1 = fingerprint(e, stats), *f2 = fingerprint(e2, stats2);
            if (strcmp(f1, f2) != 0) {
                failf(it, seed, "the second replay differs from the engine that wrote it");
                show_first_diff("second replay", f1, f2);
            }
            free(f1);
            free(f2);
        }
        if (ri2.torn_bytes)
            failf(it, seed, "the second replay found %llu torn bytes",
                  (unsigned long long)ri2.torn_bytes);
        if (post_compact && ri2.snapshot_bytes <= g_hdr_bytes)
            failf(it, seed, "the second replay found no snapshot after compacting");
        if (orca_engine_check(e2) != ORCA_OK)
            failf(it, seed, "orca_engine_check after the second replay");
        free(live1.v);
        free(live2.v);
    }
    orca_stats_free(stats2);
    orca_engine_free(e2);

    t->acked += acked->n;
    t->records += ri.records;
    t->torn += ri.torn_bytes != 0;
    t->torn_bytes += ri.torn_bytes;
    t->recovered += ri.recovered_offers;
    if (g_verbose)
        printf("  iteration %3llu (%4.0f ms): %-5s%-9s %5zu acknowledged, %5llu calls, %3llu "
               "compactions, kill %s%s; replay: %s, %5zu enqueues, %6llu records, torn %llu "
               "bytes, %llu offers recovered, %u live\n",
               (unsigned long long)it, (now_s() - t_start) * 1e3, pl.compact_bytes ? "auto" : "", pl.explicit_every ?
               "explicit" : "", acked->n, (unsigned long long)h.steps,
               (unsigned long long)h.comps,
               hunt < 0 ? "random" : hunt == 0 ? "at .compact" : hunt == 1 ?
               "near .compact" : "at rename", leftover ? " (.compact left)" : "", which,
               enq.n, (unsigned long long)ri.records, (unsigned long long)ri.torn_bytes,
               (unsigned long long)ri.recovered_offers, c.interactions);
    free(sorted.v);
    free(fin.v);
    free(live.v);
    free(enq.v);
    free(rlegs.v);
    free(log.v);
    heard_free(&h);
    orca_stats_free(stats);
    orca_engine_free(e);
    unlink(path);
    unlink(cpath);
}

/* A journal's header length: an empty journal's size. */
static void measure_header(const char *dir)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/header.jrnl", dir);
    orca_engine *e;
    orca_journal_info ji;
    if (orca_engine_new(NULL, &e) == ORCA_OK) {
        if (orca_journal_open(e, path, NULL) == ORCA_OK && orca_journal_info_get(e, &ji) == ORCA_OK)
            g_hdr_bytes = ji.bytes;
        orca_engine_free(e);
    }
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
    measure_header(dir);
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
           "(%llu live, %llu finished, %llu of them before a snapshot), %llu unacknowledged "
           "ones also restored, %llu records replayed (%.1f ms in all), %llu torn tails "
           "(%llu bytes), %llu pending offers recovered; %.1f s; %d failures\n",
           (unsigned long long)n, (unsigned long long)master, (unsigned long long)t.acked,
           (unsigned long long)t.live, (unsigned long long)t.finished,
           (unsigned long long)t.fin_child, (unsigned long long)t.extra,
           (unsigned long long)t.records, t.replay_s * 1e3, (unsigned long long)t.torn,
           (unsigned long long)t.torn_bytes, (unsigned long long)t.recovered,
           now_s() - t0, g_failures);
    printf("crash_journal: compaction: %llu children compacted (%llu compactions "
           "acknowledged), %llu restored from a snapshot; %llu kills hunted a compaction "
           "(%llu found none), %llu left a .compact behind, %llu came between a rename and "
           "the child hearing of it; %llu restores compacted again; the reference matched "
           "the call in flight %llu times (%.1f ms of reference runs)\n",
           (unsigned long long)t.compacting_its, (unsigned long long)t.compactions_heard,
           (unsigned long long)t.snap_restores, (unsigned long long)t.hunts,
           (unsigned long long)t.hunts_missed, (unsigned long long)t.kills_leftover,
           (unsigned long long)t.kills_unheard, (unsigned long long)t.post_compactions,
           (unsigned long long)t.ref_next, t.ref_s * 1e3);
    return g_failures ? 1 : 0;
}
