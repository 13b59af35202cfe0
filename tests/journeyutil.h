/*
 * journeyutil.h: helpers for the suites of scheduled work, opening hours
 * and self-service (tests/test_callbacks.c, test_hours.c,
 * test_selfservice.c): a fixture with an event recorder, "nothing changed"
 * checks covering dump, counts, customer totals, queue openness and the
 * next deadline, and an allocation-failure sweep over scripted steps.
 * Header-only (static functions; each test program is one translation unit).
 */
#ifndef ORCA_TEST_JOURNEYUTIL_H
#define ORCA_TEST_JOURNEYUTIL_H

#include "testutil.h"

#if defined(__GNUC__)
#define JW_UNUSED __attribute__((unused))
#else
#define JW_UNUSED
#endif

#define SEC_MS 1000ull
#define MIN_MS 60000ull
#define HOUR_MS 3600000ull
#define DAY_MS 86400000ull
/* 2025-11-24 00:00:00 UTC, a Monday: 1763942400 s = 20416 days after
 * 1970-01-01 (a Thursday), and (20416 + 4) % 7 = 1. */
#define MON_MS 1763942400000ull

/* the string builder of testutil, under this suite's names */
typedef tu_buf sbuf;
#define sb_printf tu_buf_printf

JW_UNUSED static void sb_puts(sbuf *b, const char *s)
{
    for (size_t off = 0, len = strlen(s); off < len; off += 512)
        sb_printf(b, "%.512s", s + off);
}

/* Our own names for every event type, the 0.2 ones included. */
JW_UNUSED static const char *ev_name(orca_event_type t)
{
    static const char *const names[] = {
        "?", "ENQUEUED", "OFFERED", "ACCEPTED", "REJECTED", "OFFER_TIMEOUT",
        "ENDED", "COMPLETED", "ABANDONED", "CANCELLED", "TIMED_OUT",
        "REJECTED_FULL", "OVERFLOWED", "STEP", "PRIORITY", "AGENT_ADDED",
        "AGENT_UPDATED", "AGENT_REMOVED", "AGENT_PRESENCE", "MEMBER_ADDED",
        "MEMBER_REMOVED", "QUEUE_ADDED", "CHANNEL_ADDED", "SKILL_ADDED",
        "TARGET_RELEASED", "TRANSFERRED", "SCHEDULED", "DUE", "ESCALATED",
        "CONTAINED", "CHANNEL_CHANGED", "UNREACHED", "REJECTED_CLOSED"
    };
    if ((int)t <= 0 || (size_t)t >= sizeof(names) / sizeof(names[0]))
        return "?";
    return names[t];
}

/* Event types recorded from index `from`, about interaction ix (0: all). */
JW_UNUSED static char *ev_seq(const tu_rec *r, size_t from, uint64_t ix)
{
    sbuf b = {0};
    sb_printf(&b, "%s", "");
    for (size_t k = from; k < r->n; k++) {
        if (ix && r->ev[k].interaction != ix)
            continue;
        sb_printf(&b, "%s%s", b.len ? " " : "", ev_name(r->ev[k].type));
    }
    return b.p;
}

#define SEQ(rec, from, ix, expect) do {                                     \
        char *q_ = ev_seq((rec), (from), (ix));                             \
        tu_same_text_((expect), q_, "event sequence", __FILE__, __LINE__);  \
        free(q_);                                                           \
    } while (0)

/* The ORCA_EV_ENQUEUED value bits these suites check (those of orca.h
 * 0.2.0); bits added later are masked out so that exact comparisons stay
 * about these. */
#define ENQ_BITS(v) ((v) & (ORCA_ENQ_RECONTACT | ORCA_ENQ_SWITCH | ORCA_ENQ_TARGETED |    \
                            ORCA_ENQ_STICKY | ORCA_ENQ_TRANSFER | ORCA_ENQ_RESUMED |      \
                            ORCA_ENQ_REDIRECTED | ORCA_ENQ_ESCALATED))

/* The first event of type t (about ix, unless 0) recorded at or after from. */
JW_UNUSED static const orca_event *ev_find_(const tu_rec *r, size_t from, orca_event_type t, uint64_t ix,
                                  const char *file, int line)
{
    for (size_t k = from; k < r->n; k++)
        if (r->ev[k].type == t && (!ix || r->ev[k].interaction == ix))
            return &r->ev[k];
    print_error("no %s event for interaction %llu after #%zu\n", ev_name(t),
                (unsigned long long)ix, from);
    _fail(file, line);
    return NULL;
}
#define EV(rec, from, t, ix) ev_find_((rec), (from), (t), (ix), __FILE__, __LINE__)

/* Everything the engine reports that orca_engine_dump() leaves out or
 * summarises: every customer total (the 0.2 journey counters included),
 * each queue's opening hours as seen now, and customers 1..64 (info,
 * history, open work). Tests keep customer ids in that range. */
JW_UNUSED static char *view_text_(const orca_engine *e, const char *file, int line)
{
    sbuf b = {0};
    sb_printf(&b, "%s", "");
    orca_customer_totals t;
    memset(&t, 0, sizeof(t));
    tu_rc_(orca_customer_totals_get(e, &t), ORCA_OK, "orca_customer_totals_get", file, line);
    sb_printf(&b, "totals customers=%u contacts=%llu recontacts=%llu switches=%llu "
              "targeted=%llu sticky=%llu target_offers=%llu transfers=%llu forgotten=%llu "
              "bot=%llu contained=%llu escalated=%llu scheduled=%llu holds=%llu "
              "unreached=%llu resumed=%llu closed=%llu redirected=%llu\n",
              (unsigned)t.customers, (unsigned long long)t.contacts,
              (unsigned long long)t.recontacts, (unsigned long long)t.channel_switches,
              (unsigned long long)t.targeted, (unsigned long long)t.sticky,
              (unsigned long long)t.target_offers, (unsigned long long)t.transfers,
              (unsigned long long)t.forgotten, (unsigned long long)t.bot_started,
              (unsigned long long)t.contained, (unsigned long long)t.escalated,
              (unsigned long long)t.scheduled, (unsigned long long)t.virtual_holds,
              (unsigned long long)t.unreached, (unsigned long long)t.resumed,
              (unsigned long long)t.closed_rejected, (unsigned long long)t.redirected);
    orca_counts c;
    memset(&c, 0, sizeof(c));
    tu_rc_(orca_engine_counts(e, &c), ORCA_OK, "orca_engine_counts", file, line);
    sb_printf(&b, "counts ix=%u waiting=%u offered=%u busy=%u wrapup=%u scheduled=%u bot=%u\n",
              c.interactions, c.waiting, c.offered, c.busy, c.wrapup, c.scheduled, c.bot);
    for (orca_queue_id q = 1; q <= c.queues; q++) {
        int open = -1;
        uint64_t next = 0;
        tu_rc_(orca_queue_is_open(e, q, &open, &next), ORCA_OK, "orca_queue_is_open", file,
               line);
        sb_printf(&b, "queue %u open=%d next=%llu\n", q, open, (unsigned long long)next);
    }
    uint64_t deadline = 0;
    int drc = orca_engine_next_deadline(e, &deadline);
    sb_printf(&b, "next_deadline rc=%d at=%llu\n", drc,
              (unsigned long long)(drc ? 0 : deadline));
    for (uint64_t cu = 1; cu <= 64; cu++) {
        orca_customer_info ci;
        memset(&ci, 0, sizeof(ci));
        if (orca_customer_info_get(e, cu, &ci) == ORCA_ENOENT)
            continue;
        sb_printf(&b, "customer %llu history=%u open=%u last=%llu@%llu active=%llu "
                  "contacts=%llu\n", (unsigned long long)cu, ci.history, ci.open,
                  (unsigned long long)ci.last_agent, (unsigned long long)ci.last_answer_ms,
                  (unsigned long long)ci.last_active_ms, (unsigned long long)ci.contacts);
        orca_history_entry h[ORCA_HISTORY_MAX];
        uint32_t n = 0;
        tu_rc_(orca_customer_history(e, cu, h, ORCA_HISTORY_MAX, &n), ORCA_OK,
               "orca_customer_history", file, line);
        for (uint32_t k = 0; k < n; k++)
            sb_printf(&b, "  h %llu conv=%llu q=%u ch=%u agent=%llu %llu/%llu/%llu out=%d "
                      "disp=%u\n", (unsigned long long)h[k].interaction,
                      (unsigned long long)h[k].conversation, h[k].queue, h[k].channel,
                      (unsigned long long)h[k].agent, (unsigned long long)h[k].arrival_ms,
                      (unsigned long long)h[k].answer_ms, (unsigned long long)h[k].end_ms,
                      (int)h[k].outcome, h[k].disposition);
        uint64_t ids[64];
        tu_rc_(orca_customer_open(e, cu, ids, 64, &n), ORCA_OK, "orca_customer_open", file,
               line);
        for (uint32_t k = 0; k < n; k++)
            sb_printf(&b, "  open %llu\n", (unsigned long long)ids[k]);
    }
    return b.p;
}
#define view_text(e) view_text_((e), __FILE__, __LINE__)

/* A snapshot: dump, view, counts, clock. */
typedef struct jsnap {
    char *dump, *view;
    orca_counts c;
    uint64_t now;
} jsnap;

JW_UNUSED static void js_take_(jsnap *s, const orca_engine *e, const char *file, int line)
{
    s->dump = tu_dump_(e, file, line);
    s->view = view_text_(e, file, line);
    memset(&s->c, 0, sizeof(s->c));
    tu_rc_(orca_engine_counts(e, &s->c), ORCA_OK, "orca_engine_counts", file, line);
    s->now = orca_engine_now(e);
}

/* 1 if the engine differs from the snapshot (printing what), events aside:
 * exactly `nev` events must have been emitted since. Frees the snapshot. */
JW_UNUSED static int js_diff_(jsnap *s, const orca_engine *e, uint64_t nev, int skip_totals,
                    const char *what, const char *file, int line)
{
    int bad = 0;
    char *d = tu_dump_(e, file, line);
    char *v = view_text_(e, file, line);
    if (strcmp(s->dump, d) != 0) {
        print_error("after %s the dump changed:\n--- before\n%s\n--- after\n%s\n", what,
                    s->dump, d);
        bad = 1;
    }
    /* the totals are the view's first line */
    const char *va = skip_totals ? strchr(s->view, '\n') : s->view;
    const char *vb = skip_totals ? strchr(v, '\n') : v;
    if (strcmp(va ? va : "", vb ? vb : "") != 0) {
        print_error("after %s the view changed:\n--- before\n%s\n--- after\n%s\n", what,
                    s->view, v);
        bad = 1;
    }
    orca_counts c;
    memset(&c, 0, sizeof(c));
    tu_rc_(orca_engine_counts(e, &c), ORCA_OK, "orca_engine_counts", file, line);
#define JS_CMP(f) if (c.f != s->c.f) { print_error("after %s counts." #f " %llu -> %llu\n", \
        what, (unsigned long long)s->c.f, (unsigned long long)c.f); bad = 1; }
    JS_CMP(skills) JS_CMP(channels) JS_CMP(queues) JS_CMP(agents) JS_CMP(agents_ready)
    JS_CMP(interactions) JS_CMP(waiting) JS_CMP(offered) JS_CMP(busy) JS_CMP(wrapup)
    JS_CMP(scheduled) JS_CMP(bot) JS_CMP(classes) JS_CMP(listeners)
#undef JS_CMP
    if (c.events != s->c.events + nev) {
        print_error("after %s: %llu events emitted, expected %llu\n", what,
                    (unsigned long long)(c.events - s->c.events), (unsigned long long)nev);
        bad = 1;
    }
    if (orca_engine_now(e) != s->now) {
        print_error("after %s the clock moved\n", what);
        bad = 1;
    }
    free(d);
    free(v);
    free(s->dump);
    free(s->view);
    s->dump = s->view = NULL;
    return bad;
}

/* expr fails with code; the engine is as it was: no event, same totals. */
#define JX_FAILS(e, expr, code) do {                                        \
        jsnap s_;                                                           \
        js_take_(&s_, (e), __FILE__, __LINE__);                             \
        int r_ = (expr);                                                    \
        tu_rc_(r_, (code), #expr, __FILE__, __LINE__);                      \
        if (js_diff_(&s_, (e), 0, 0, #expr, __FILE__, __LINE__))            \
            _fail(__FILE__, __LINE__);                                      \
        TU_CHECK(e);                                                        \
    } while (0)
/* A refusal that is reported (ORCA_EFULL, ORCA_ECLOSED): exactly one event
 * (REJECTED_FULL / REJECTED_CLOSED) and maybe a total counted (the caller
 * checks those); nothing else changes. */
#define JX_REFUSED(e, expr, code) do {                                      \
        jsnap s_;                                                           \
        js_take_(&s_, (e), __FILE__, __LINE__);                             \
        int r_ = (expr);                                                    \
        tu_rc_(r_, (code), #expr, __FILE__, __LINE__);                      \
        if (js_diff_(&s_, (e), 1, 1, #expr, __FILE__, __LINE__))            \
            _fail(__FILE__, __LINE__);                                      \
        TU_CHECK(e);                                                        \
    } while (0)

/* ---- fixture -------------------------------------------------------------- */

typedef struct jfx {
    tu_fx fx;
    orca_engine *e;
    tu_offers off;
} jfx;

/* Fixtures still alive: a failed assertion leaves the test at once, and
 * jw_teardown() frees what it left behind (so valgrind stays quiet). */
#define JW_LIVE_MAX 4
JW_UNUSED static jfx *jw_live[JW_LIVE_MAX];

/* An engine on cfg (NULL: defaults) recording events and the offers /
 * withdrawals of every built-in channel. */
JW_UNUSED static jfx *jfx_new_cfg_(const orca_config *cfg, const char *file, int line)
{
    jfx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    for (int k = 0; k < JW_LIVE_MAX; k++)
        if (!jw_live[k]) {
            jw_live[k] = f;
            break;
        }
    f->e = tu_fx_new_(&f->fx, cfg, file, line);
    tu_offers_init(&f->off, f->e);
    for (orca_channel_id ch = 0; ch < ORCA_CHANNEL_BUILTIN_COUNT; ch++)
        tu_rc_(orca_channel_set_callbacks(f->e, ch, &tu_offer_callbacks, &f->off), ORCA_OK,
               "orca_channel_set_callbacks", file, line);
    return f;
}

/* The same with the clock starting at start_ms. */
JW_UNUSED static jfx *jfx_new_(uint64_t start_ms, const char *file, int line)
{
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.start_ms = start_ms;
    return jfx_new_cfg_(&cfg, file, line);
}
#define jfx_new(start) jfx_new_((start), __FILE__, __LINE__)
#define jfx_new_cfg(cfg) jfx_new_cfg_((cfg), __FILE__, __LINE__)

/* Check the engine, free it, assert nothing leaked. */
JW_UNUSED static void jfx_free_(jfx *f, const char *file, int line)
{
    for (int k = 0; k < JW_LIVE_MAX; k++)
        if (jw_live[k] == f)
            jw_live[k] = NULL;
    tu_fx_free_(&f->fx, file, line);
    free(f);
}

JW_UNUSED static int jw_teardown(void **state)
{
    (void)state;
    for (int k = 0; k < JW_LIVE_MAX; k++)
        if (jw_live[k]) {
            orca_engine_free(jw_live[k]->e);
            tu_rec_free(&jw_live[k]->fx.rec);
            free(jw_live[k]);
            jw_live[k] = NULL;
        }
    return 0;
}
#define JW_TEST(t) cmocka_unit_test_teardown(t, jw_teardown)
#define jfx_free(f) jfx_free_((f), __FILE__, __LINE__)

JW_UNUSED static void jdef(orca_interaction_def *d, uint64_t id, orca_queue_id q, orca_channel_id ch,
                 uint64_t customer)
{
    orca_interaction_def_init(d);
    d->id = id;
    d->queue = q;
    d->channel = ch;
    d->customer = customer;
}

/* Enqueue plain work (asserting success). */
JW_UNUSED static void jenq_(orca_engine *e, uint64_t id, orca_queue_id q, orca_channel_id ch,
                  uint64_t customer, const char *file, int line)
{
    orca_interaction_def d;
    jdef(&d, id, q, ch, customer);
    tu_rc_(orca_interaction_enqueue(e, &d), ORCA_OK, "orca_interaction_enqueue", file, line);
}
#define jenq(e, id, q, ch, cu) jenq_((e), (id), (q), (ch), (cu), __FILE__, __LINE__)

/* Enqueue a callback for a slot: not_before_ms / early_ms. */
JW_UNUSED static int jslot(orca_engine *e, uint64_t id, orca_queue_id q, orca_channel_id ch,
                 uint64_t customer, uint64_t not_before, uint32_t early)
{
    orca_interaction_def d;
    jdef(&d, id, q, ch, customer);
    d.not_before_ms = not_before;
    d.early_ms = early;
    return orca_interaction_enqueue(e, &d);
}

/* A members queue with the 0.2 fields given. */
JW_UNUSED static orca_queue_id jqueue_(orca_engine *e, const char *name, uint32_t attempts,
                             uint32_t retry_ms, uint32_t resume_ms, const char *file, int line)
{
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = name;
    qd.callback_attempts = attempts;
    qd.callback_retry_ms = retry_ms;
    qd.resume_ms = resume_ms;
    return tu_queue_def_(e, &qd, file, line);
}
#define jqueue(e, name, att, retry, resume) jqueue_((e), (name), (att), (retry), (resume), \
                                                    __FILE__, __LINE__)

JW_UNUSED static orca_customer_totals totals_(const orca_engine *e, const char *file, int line)
{
    orca_customer_totals t;
    memset(&t, 0, sizeof(t));
    tu_rc_(orca_customer_totals_get(e, &t), ORCA_OK, "orca_customer_totals_get", file, line);
    return t;
}
#define totals(e) totals_((e), __FILE__, __LINE__)

/* The customer's history (newest first); asserts there are exactly n. */
JW_UNUSED static void history_(const orca_engine *e, uint64_t customer, orca_history_entry *h,
                     uint32_t n, const char *file, int line)
{
    orca_history_entry v[ORCA_HISTORY_MAX];
    uint32_t got = 0;
    tu_rc_(orca_customer_history(e, customer, v, ORCA_HISTORY_MAX, &got), ORCA_OK,
           "orca_customer_history", file, line);
    if (got != n) {
        print_error("customer %llu has %u history entries, expected %u\n",
                    (unsigned long long)customer, got, n);
        _fail(file, line);
    }
    for (uint32_t k = 0; k < n; k++)
        h[k] = v[k];
}
#define history(e, cu, h, n) history_((e), (cu), (h), (n), __FILE__, __LINE__)

/* Assert every field of a history entry. */
#define HIST_IS(h, ix_, q_, ch_, ag_, arr_, ans_, end_, out_) do {             \
        assert_int_equal((h).interaction, (ix_));                              \
        assert_int_equal((h).queue, (q_));                                     \
        assert_int_equal((h).channel, (ch_));                                  \
        assert_int_equal((h).agent, (ag_));                                    \
        assert_int_equal((h).arrival_ms, (arr_));                              \
        assert_int_equal((h).answer_ms, (ans_));                               \
        assert_int_equal((h).end_ms, (end_));                                  \
        assert_int_equal((h).outcome, (out_));                                 \
    } while (0)

JW_UNUSED static uint64_t next_deadline_(const orca_engine *e, const char *file, int line)
{
    uint64_t d = 0;
    tu_rc_(orca_engine_next_deadline(e, &d), ORCA_OK, "orca_engine_next_deadline", file, line);
    return d;
}
#define next_deadline(e) next_deadline_((e), __FILE__, __LINE__)

/* counts of the work states; interactions is every live one, SCHEDULED
 * and BOT included (orca_config.max_interactions: "live interactions (any
 * state)"). */
#define COUNTS_ARE(e, w, o, b, wr, s, bt) do {                                  \
        orca_counts c_ = tu_counts(e);                                          \
        assert_int_equal(c_.waiting, (w));                                      \
        assert_int_equal(c_.offered, (o));                                      \
        assert_int_equal(c_.busy, (b));                                         \
        assert_int_equal(c_.wrapup, (wr));                                      \
        assert_int_equal(c_.scheduled, (s));                                    \
        assert_int_equal(c_.bot, (bt));                                         \
        assert_int_equal(c_.interactions, (w) + (o) + (b) + (wr) + (s) + (bt)); \
    } while (0)

/* ---- allocation-failure sweep --------------------------------------------- */

/* A scripted session: setup() builds the engine (its allocations are not
 * failed), then step(s, k) for k = 0, 1, ... until SW_DONE. The sweep
 * fails each allocation the steps make, in turn, and holds every step to
 * "as in the clean run, or ORCA_ENOMEM with the engine (dump, view,
 * counts), its events and its callbacks unchanged; then retried". The
 * final state of every run must be the clean run's. */
#define SW_DONE 0x7fff
#define SW_MAXSTEPS 64

typedef struct sw {
    tu_alloc a;
    orca_engine *e;
    tu_rec rec;
    tu_offers off;
    orca_queue_id q[12];
} sw;

typedef void (*sw_setup_fn)(sw *s);
typedef int (*sw_step_fn)(sw *s, int k);

JW_UNUSED static int sw_breaks;

JW_UNUSED static void sw_break(const char *fmt, ...) CMOCKA_PRINTF_ATTRIBUTE(1, 2);
JW_UNUSED static void sw_break(const char *fmt, ...)
{
    sw_breaks++;
    if (sw_breaks > 12)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprint_error(fmt, ap);
    va_end(ap);
    print_error("\n");
}

/* For setup(): the engine on s->a at start_ms, recorder, offer callbacks. */
JW_UNUSED static void sw_engine(sw *s, uint64_t start_ms)
{
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.start_ms = start_ms;
    cfg.alloc = tu_alloc_fn;
    cfg.alloc_ud = &s->a;
    TU_OK(orca_engine_new(&cfg, &s->e));
    int h;
    TU_OK(orca_listener_add(s->e, tu_rec_fn, &s->rec, &h));
    tu_offers_init(&s->off, s->e);
    for (orca_channel_id ch = 0; ch < ORCA_CHANNEL_BUILTIN_COUNT; ch++)
        TU_OK(orca_channel_set_callbacks(s->e, ch, &tu_offer_callbacks, &s->off));
}

JW_UNUSED static int sw_run(sw_setup_fn setup, sw_step_fn step, uint64_t fail_at, int *rcs,
                  char **final, uint64_t *attempts)
{
    sw *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    tu_alloc_init(&s->a);
    s->a.paused = 1;
    setup(s);
    s->a.paused = 0;
    s->a.fail_at = fail_at;
    int nomem = 0;
    for (int k = 0; k < SW_MAXSTEPS; k++) {
        s->a.paused++;
        jsnap snap;
        js_take_(&snap, s->e, __FILE__, __LINE__);
        s->a.paused--;
        size_t nrec = s->rec.n, noff = s->off.noffers, nwd = s->off.nwithdrawn;
        uint64_t failed_before = s->a.failed;
        int rc = step(s, k);
        if (rc == SW_DONE) {
            free(snap.dump);
            free(snap.view);
            break;
        }
        if (fail_at == 0) {
            rcs[k] = rc;
            free(snap.dump);
            free(snap.view);
        } else if (rc == ORCA_ENOMEM && rcs[k] != ORCA_ENOMEM) {
            nomem++;
            s->a.paused++;
            char what[96];
            snprintf(what, sizeof(what), "step %d (fail_at %llu)", k,
                     (unsigned long long)fail_at);
            if (js_diff_(&snap, s->e, 0, 0, what, __FILE__, __LINE__))
                sw_break("%s: ORCA_ENOMEM but the engine changed (above)", what);
            if (s->rec.n != nrec)
                sw_break("%s: ORCA_ENOMEM but %zu events were recorded", what, s->rec.n - nrec);
            if (s->off.noffers != noff || s->off.nwithdrawn != nwd)
                sw_break("%s: ORCA_ENOMEM but channel callbacks were called", what);
            if (orca_engine_check(s->e) != ORCA_OK)
                sw_break("%s: ORCA_ENOMEM and then orca_engine_check failed", what);
            s->a.paused--;
            s->a.fail_at = 0;
            rc = step(s, k);
            if (rc != rcs[k])
                sw_break("fail_at %llu: step %d retried returned %d %s, clean run %d %s",
                         (unsigned long long)fail_at, k, rc, tu_rc_name(rc), rcs[k],
                         tu_rc_name(rcs[k]));
        } else {
            free(snap.dump);
            free(snap.view);
            if (rc != rcs[k])
                sw_break("fail_at %llu: step %d returned %d %s, clean run %d %s",
                         (unsigned long long)fail_at, k, rc, tu_rc_name(rc), rcs[k],
                         tu_rc_name(rcs[k]));
            if (s->a.failed != failed_before && rc != ORCA_ENOMEM)
                sw_break("fail_at %llu: an allocation failed inside step %d, which returned "
                         "%d %s instead of ORCA_ENOMEM", (unsigned long long)fail_at, k, rc,
                         tu_rc_name(rc));
        }
        s->a.paused++;
        if (orca_engine_check(s->e) != ORCA_OK)
            sw_break("fail_at %llu: orca_engine_check after step %d failed",
                     (unsigned long long)fail_at, k);
        s->a.paused--;
    }
    s->a.paused++;
    sbuf b = {0};
    char *d = tu_dump(s->e);
    char *v = view_text(s->e);
    char *q = ev_seq(&s->rec, 0, 0);
    sb_puts(&b, d);
    sb_puts(&b, "\n--- view ---\n");
    sb_puts(&b, v);
    sb_puts(&b, "\n--- offers ---\n");
    sb_puts(&b, s->off.log);
    sb_puts(&b, "\n--- events ---\n");
    sb_puts(&b, q);
    free(d);
    free(v);
    free(q);
    *final = b.p;
    s->a.paused--;
    orca_engine_free(s->e);
    tu_rec_free(&s->rec);
    if (s->a.live_bytes != 0 || s->a.live_blocks != 0)
        sw_break("fail_at %llu: %zu bytes in %zu blocks leaked after orca_engine_free",
                 (unsigned long long)fail_at, s->a.live_bytes, s->a.live_blocks);
    if (s->a.bad_osize != 0)
        sw_break("fail_at %llu: wrong osize passed to the allocator",
                 (unsigned long long)fail_at);
    if (attempts)
        *attempts = s->a.attempts;
    int reached = !fail_at || s->a.failed != 0;
    free(s);
    return reached ? nomem : -1;
}

/* Sweep every allocation the steps make. must: pairs (step, code) the
 * clean run has to return. */
JW_UNUSED static void sw_sweep(sw_setup_fn setup, sw_step_fn step, const int *must, size_t nmust)
{
    int rcs[SW_MAXSTEPS];
    for (int k = 0; k < SW_MAXSTEPS; k++)
        rcs[k] = 0;
    sw_breaks = 0;
    char *clean = NULL;
    uint64_t total = 0;
    sw_run(setup, step, 0, rcs, &clean, &total);
    assert_int_equal(sw_breaks, 0);
    for (size_t k = 0; k < nmust; k++)
        if (rcs[must[2 * k]] != must[2 * k + 1])
            fail_msg("clean run: step %d returned %d %s, expected %d %s", must[2 * k],
                     rcs[must[2 * k]], tu_rc_name(rcs[must[2 * k]]), must[2 * k + 1],
                     tu_rc_name(must[2 * k + 1]));
    assert_true(total > 0);
    uint64_t injected = 0, nomem_runs = 0;
    for (uint64_t k = 1; k <= total + 1; k++) {
        char *final = NULL;
        int nomem = sw_run(setup, step, k, rcs, &final, NULL);
        if (nomem < 0) {
            free(final);
            break;
        }
        injected++;
        nomem_runs += nomem > 0;
        if (strcmp(clean, final) != 0) {
            sw_break("fail_at %llu: the final state after ORCA_ENOMEM and a retry differs "
                     "from the clean run's", (unsigned long long)k);
            tu_same_text_(clean, final, "final state", __FILE__, __LINE__);
        }
        free(final);
    }
    free(clean);
    assert_int_equal(injected, total);
    assert_int_equal(nomem_runs, total); /* every injected failure was reported */
    print_message("swept %llu allocation failures\n", (unsigned long long)injected);
    if (sw_breaks)
        fail_msg("%d problems with allocation failure (first ones above)", sw_breaks);
}

#endif /* ORCA_TEST_JOURNEYUTIL_H */
