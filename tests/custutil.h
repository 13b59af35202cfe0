/*
 * custutil.h: helpers for the suites of the customer and continuity API
 * (tests/test_customers.c, tests/test_continuity.c): the customer view as
 * text, CU_FAILS (TU_FAILS plus the customer view unchanged), an offer
 * recorder that keeps each offer's history, getters that fail the test on
 * error, and an allocation-failure sweep over scripted steps.
 *
 * Header-only (static functions, each test program is one translation
 * unit), so suites that do not include it do not link against it.
 */
#ifndef ORCA_TEST_CUSTUTIL_H
#define ORCA_TEST_CUSTUTIL_H

#include "testutil.h"

#if defined(__GNUC__)
#define CT_UNUSED __attribute__((unused))
#else
#define CT_UNUSED
#endif

/* the string builder of testutil, under this suite's names */
typedef tu_buf sbuf;
#define sb_printf tu_buf_printf

/* Everything the customer calls report, as text (malloc'd): the totals,
 * then for each customer 1..CU_SCAN the engine keeps, its info, history
 * (newest first) and open ids. Tests keep customer ids in that range. */
#define CU_SCAN 64
CT_UNUSED static char *cust_text_(const orca_engine *e, const char *file, int line)
{
    sbuf b = {0};
    sb_printf(&b, "%s", "");
    orca_customer_totals t;
    memset(&t, 0, sizeof(t));
    tu_rc_(orca_customer_totals_get(e, &t), ORCA_OK, "orca_customer_totals_get", file, line);
    sb_printf(&b, "totals customers=%u contacts=%llu recontacts=%llu switches=%llu "
              "targeted=%llu sticky=%llu target_offers=%llu transfers=%llu forgotten=%llu\n",
              (unsigned)t.customers, (unsigned long long)t.contacts,
              (unsigned long long)t.recontacts, (unsigned long long)t.channel_switches,
              (unsigned long long)t.targeted, (unsigned long long)t.sticky,
              (unsigned long long)t.target_offers, (unsigned long long)t.transfers,
              (unsigned long long)t.forgotten);
    for (uint64_t c = 1; c <= CU_SCAN; c++) {
        orca_customer_info ci;
        memset(&ci, 0, sizeof(ci));
        int rc = orca_customer_info_get(e, c, &ci);
        if (rc == ORCA_ENOENT)
            continue;
        sb_printf(&b, "customer %llu rc=%d id=%llu history=%u open=%u last_agent=%llu "
                  "last_answer=%llu last_active=%llu contacts=%llu\n", (unsigned long long)c,
                  rc, (unsigned long long)ci.customer, (unsigned)ci.history, (unsigned)ci.open,
                  (unsigned long long)ci.last_agent, (unsigned long long)ci.last_answer_ms,
                  (unsigned long long)ci.last_active_ms, (unsigned long long)ci.contacts);
        orca_history_entry h[ORCA_HISTORY_MAX];
        uint32_t n = 0;
        rc = orca_customer_history(e, c, h, ORCA_HISTORY_MAX, &n);
        sb_printf(&b, " history rc=%d n=%u\n", rc, (unsigned)n);
        for (uint32_t k = 0; rc == ORCA_OK && k < n && k < ORCA_HISTORY_MAX; k++)
            sb_printf(&b, "  ix=%llu conv=%llu q=%u ch=%u agent=%llu arrival=%llu answer=%llu "
                      "end=%llu outcome=%d disposition=%u\n",
                      (unsigned long long)h[k].interaction, (unsigned long long)h[k].conversation,
                      (unsigned)h[k].queue, (unsigned)h[k].channel,
                      (unsigned long long)h[k].agent, (unsigned long long)h[k].arrival_ms,
                      (unsigned long long)h[k].answer_ms, (unsigned long long)h[k].end_ms,
                      (int)h[k].outcome, (unsigned)h[k].disposition);
        uint64_t ids[64];
        n = 0;
        rc = orca_customer_open(e, c, ids, 64, &n);
        sb_printf(&b, " open rc=%d n=%u:", rc, (unsigned)n);
        for (uint32_t k = 0; rc == ORCA_OK && k < n && k < 64; k++)
            sb_printf(&b, " %llu", (unsigned long long)ids[k]);
        sb_printf(&b, "\n");
    }
    return b.p;
}
#define cust_text(e) cust_text_((e), __FILE__, __LINE__)

/* TU_FAILS (dump, counts and clock unchanged, so no event either), and
 * the customer view unchanged too. */
#define CU_FAILS(e, expr, code) do {                                        \
        char *cu_c_ = cust_text(e);                                         \
        TU_FAILS((e), (expr), (code));                                      \
        char *cu_c2_ = cust_text(e);                                        \
        tu_same_text_(cu_c_, cu_c2_, "customer view after failed " #expr,   \
                      __FILE__, __LINE__);                                  \
        free(cu_c_);                                                        \
        free(cu_c2_);                                                       \
    } while (0)

#define CU_FAILS2(e, expr, code1, code2) do {                               \
        char *cu_c_ = cust_text(e);                                         \
        TU_FAILS2((e), (expr), (code1), (code2));                           \
        char *cu_c2_ = cust_text(e);                                        \
        tu_same_text_(cu_c_, cu_c2_, "customer view after failed " #expr,   \
                      __FILE__, __LINE__);                                  \
        free(cu_c_);                                                        \
        free(cu_c2_);                                                       \
    } while (0)

/* Offer recorder that copies the history handed in each offer (valid only
 * while the callback runs). */
#define HO_HMAX 16
#define HO_MAX 64
typedef struct hoffers {
    orca_engine *e;                 /* lets the callbacks call in */
    int accept;                     /* 1: orca_offer_accept() from offer() */
    size_t n;
    orca_offer offer[HO_MAX];       /* .history points into hist[k] */
    orca_history_entry hist[HO_MAX][HO_HMAX];
    int hist_null[HO_MAX];          /* offer.history was NULL */
    int accept_rc[HO_MAX];
    size_t nwithdrawn;
    orca_offer withdrawn[HO_MAX];
    orca_withdraw_reason reason[HO_MAX];
    char log[2048];                 /* "O:ix:agent W:ix:reason ..." */
} hoffers;

CT_UNUSED static void ho_log(hoffers *o, const char *kind, uint64_t a, uint64_t b)
{
    size_t len = strlen(o->log);
    if (len + 64 < sizeof(o->log))
        snprintf(o->log + len, sizeof(o->log) - len, "%s%s:%llu:%llu", len ? " " : "",
                 kind, (unsigned long long)a, (unsigned long long)b);
}

CT_UNUSED static void ho_offer_cb(void *data, const orca_offer *offer)
{
    hoffers *o = data;
    if (o->n >= HO_MAX)
        return;
    size_t k = o->n++;
    o->offer[k] = *offer;
    o->hist_null[k] = offer->history == NULL;
    uint32_t nh = offer->nhistory < HO_HMAX ? offer->nhistory : HO_HMAX;
    if (offer->history && nh)
        memcpy(o->hist[k], offer->history, nh * sizeof(orca_history_entry));
    o->offer[k].history = o->hist[k];
    o->accept_rc[k] = 0;
    ho_log(o, "O", offer->interaction, offer->agent);
    if (o->e && o->accept)
        o->accept_rc[k] = orca_offer_accept(o->e, offer->interaction);
}

CT_UNUSED static void ho_withdraw_cb(void *data, const orca_offer *offer, orca_withdraw_reason reason)
{
    hoffers *o = data;
    if (o->nwithdrawn >= HO_MAX)
        return;
    o->withdrawn[o->nwithdrawn] = *offer;
    o->reason[o->nwithdrawn++] = reason;
    ho_log(o, "W", offer->interaction, (uint64_t)reason);
}

CT_UNUSED static const orca_channel_callbacks ho_callbacks = {ho_offer_cb, ho_withdraw_cb};

/* Zero o and register it on every built-in channel of e. */
CT_UNUSED static void ho_attach_(hoffers *o, orca_engine *e, const char *file, int line)
{
    memset(o, 0, sizeof(*o));
    o->e = e;
    for (orca_channel_id ch = 0; ch < ORCA_CHANNEL_BUILTIN_COUNT; ch++)
        tu_rc_(orca_channel_set_callbacks(e, ch, &ho_callbacks, o), ORCA_OK,
               "orca_channel_set_callbacks", file, line);
}
#define ho_attach(o, e) ho_attach_((o), (e), __FILE__, __LINE__)

/* The last offer recorded for interaction ix (fails if none). */
CT_UNUSED static const orca_offer *ho_last_(const hoffers *o, uint64_t ix, const char *file, int line)
{
    for (size_t k = o->n; k > 0; k--)
        if (o->offer[k - 1].interaction == ix)
            return &o->offer[k - 1];
    print_error("no offer callback for interaction %llu (log: %s)\n",
                (unsigned long long)ix, o->log);
    _fail(file, line);
    return NULL;
}
#define ho_last(o, ix) ho_last_((o), (ix), __FILE__, __LINE__)

/* ---- customer calls that must succeed ---------------------------------- */

CT_UNUSED static orca_customer_info cinfo_(const orca_engine *e, uint64_t c, const char *file, int line)
{
    orca_customer_info ci;
    memset(&ci, 0, sizeof(ci));
    tu_rc_(orca_customer_info_get(e, c, &ci), ORCA_OK, "orca_customer_info_get", file, line);
    if (ci.customer != c) {
        print_error("customer info for %llu names customer %llu\n", (unsigned long long)c,
                    (unsigned long long)ci.customer);
        _fail(file, line);
    }
    return ci;
}
#define cinfo(e, c) cinfo_((e), (c), __FILE__, __LINE__)

CT_UNUSED static orca_customer_totals ctotals_(const orca_engine *e, const char *file, int line)
{
    orca_customer_totals t;
    memset(&t, 0, sizeof(t));
    tu_rc_(orca_customer_totals_get(e, &t), ORCA_OK, "orca_customer_totals_get", file, line);
    return t;
}
#define ctotals(e) ctotals_((e), __FILE__, __LINE__)

/* Customer c's history (newest first) into h (HO_HMAX entries); returns n. */
CT_UNUSED static uint32_t chist_(const orca_engine *e, uint64_t c, orca_history_entry *h,
                       const char *file, int line)
{
    uint32_t n = UINT32_MAX;
    memset(h, 0, HO_HMAX * sizeof(*h));
    tu_rc_(orca_customer_history(e, c, h, HO_HMAX, &n), ORCA_OK, "orca_customer_history",
           file, line);
    if (n > HO_HMAX) {
        print_error("orca_customer_history gave n=%u for cap %d\n", (unsigned)n, HO_HMAX);
        _fail(file, line);
    }
    return n;
}
#define chist(e, c, h) chist_((e), (c), (h), __FILE__, __LINE__)

/* Customer c's open ids as " 1 2 3" (static buffer). */
CT_UNUSED static const char *copen_(const orca_engine *e, uint64_t c, const char *file, int line)
{
    static char buf[512];
    uint64_t ids[32];
    uint32_t n = UINT32_MAX;
    tu_rc_(orca_customer_open(e, c, ids, 32, &n), ORCA_OK, "orca_customer_open", file, line);
    if (n > 32) {
        print_error("orca_customer_open gave n=%u for cap 32\n", (unsigned)n);
        _fail(file, line);
    }
    buf[0] = '\0';
    for (uint32_t k = 0; k < n; k++)
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " %llu",
                 (unsigned long long)ids[k]);
    return buf;
}
#define copen(e, c) copen_((e), (c), __FILE__, __LINE__)

/* Assert one history entry, field by field (names the field that differs). */
CT_UNUSED static void hist_is_(const orca_history_entry *h, uint64_t ix, uint64_t conv, orca_queue_id q,
                     orca_channel_id ch, uint64_t agent, uint64_t arrival, uint64_t answer,
                     uint64_t end, orca_outcome outcome, uint32_t disposition,
                     const char *file, int line)
{
    int bad = 0;
#define HIST_FIELD(f, want) if ((uint64_t)(h->f) != (uint64_t)(want)) {         \
        print_error("history entry of interaction %llu: " #f " is %llu, expected %llu\n", \
                    (unsigned long long)h->interaction, (unsigned long long)(h->f),   \
                    (unsigned long long)(want));                                      \
        bad = 1; }
    HIST_FIELD(interaction, ix)
    HIST_FIELD(conversation, conv)
    HIST_FIELD(queue, q)
    HIST_FIELD(channel, ch)
    HIST_FIELD(agent, agent)
    HIST_FIELD(arrival_ms, arrival)
    HIST_FIELD(answer_ms, answer)
    HIST_FIELD(end_ms, end)
    HIST_FIELD(outcome, outcome)
    HIST_FIELD(disposition, disposition)
#undef HIST_FIELD
    if (bad)
        _fail(file, line);
}
#define HIST_IS(h, ix, conv, q, ch, agent, arrival, answer, end, outcome, disp) \
    hist_is_((h), (ix), (conv), (q), (ch), (agent), (arrival), (answer), (end),   \
             (outcome), (disp), __FILE__, __LINE__)

/* The interaction ids of n history entries as " 5 4 3". */
CT_UNUSED static const char *hist_ids(const orca_history_entry *h, uint32_t n)
{
    static char buf[512];
    buf[0] = '\0';
    for (uint32_t k = 0; k < n; k++)
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " %llu",
                 (unsigned long long)h[k].interaction);
    return buf;
}

/* Work for a customer: interaction id on q, channel ch, customer, conversation. */
CT_UNUSED static void cdef(orca_interaction_def *d, uint64_t id, orca_queue_id q, orca_channel_id ch,
                 uint64_t customer, uint64_t conv)
{
    orca_interaction_def_init(d);
    d->id = id;
    d->queue = q;
    d->channel = ch;
    d->customer = customer;
    d->conversation = conv;
}

CT_UNUSED static void cenq_(orca_engine *e, uint64_t id, orca_queue_id q, orca_channel_id ch,
                  uint64_t customer, uint64_t conv, const char *file, int line)
{
    orca_interaction_def d;
    cdef(&d, id, q, ch, customer, conv);
    tu_rc_(orca_interaction_enqueue(e, &d), ORCA_OK, "orca_interaction_enqueue", file, line);
}
#define cenq(e, id, q, ch, cust, conv) cenq_((e), (id), (q), (ch), (cust), (conv), __FILE__, __LINE__)

/* The last ENQUEUED event of interaction ix. */
CT_UNUSED static const orca_event *enq_ev_(const tu_rec *r, uint64_t ix, const char *file, int line)
{
    for (size_t k = r->n; k > 0; k--)
        if (r->ev[k - 1].type == ORCA_EV_ENQUEUED && r->ev[k - 1].interaction == ix)
            return &r->ev[k - 1];
    print_error("no ENQUEUED event for interaction %llu\n", (unsigned long long)ix);
    _fail(file, line);
    return NULL;
}
#define enq_ev(r, ix) enq_ev_((r), (ix), __FILE__, __LINE__)

/* The last event of type t about interaction ix, or NULL. */
CT_UNUSED static const orca_event *ev_of(const tu_rec *r, orca_event_type t, uint64_t ix)
{
    for (size_t k = r->n; k > 0; k--)
        if (r->ev[k - 1].type == t && r->ev[k - 1].interaction == ix)
            return &r->ev[k - 1];
    return NULL;
}

/* Events of type t from index `from` on. */
CT_UNUSED static size_t count_from(const tu_rec *r, size_t from, orca_event_type t)
{
    size_t n = 0;
    for (size_t k = from; k < r->n; k++)
        if (r->ev[k].type == t)
            n++;
    return n;
}

#define TOTALS_ARE(e, cust, cont, recont, sw, targ, stk, toff, xfer, forg) do {    \
        orca_customer_totals t_ = ctotals(e);                                       \
        char got_[256], want_[256];                                                 \
        snprintf(got_, sizeof(got_), "customers=%u contacts=%llu recontacts=%llu "  \
                 "switches=%llu targeted=%llu sticky=%llu target_offers=%llu "      \
                 "transfers=%llu forgotten=%llu", (unsigned)t_.customers,           \
                 (unsigned long long)t_.contacts, (unsigned long long)t_.recontacts,\
                 (unsigned long long)t_.channel_switches,                           \
                 (unsigned long long)t_.targeted, (unsigned long long)t_.sticky,    \
                 (unsigned long long)t_.target_offers,                              \
                 (unsigned long long)t_.transfers, (unsigned long long)t_.forgotten);\
        snprintf(want_, sizeof(want_), "customers=%u contacts=%llu recontacts=%llu "\
                 "switches=%llu targeted=%llu sticky=%llu target_offers=%llu "      \
                 "transfers=%llu forgotten=%llu", (unsigned)(cust),                 \
                 (unsigned long long)(cont), (unsigned long long)(recont),          \
                 (unsigned long long)(sw), (unsigned long long)(targ),              \
                 (unsigned long long)(stk), (unsigned long long)(toff),             \
                 (unsigned long long)(xfer), (unsigned long long)(forg));           \
        tu_same_text_(want_, got_, "customer totals", __FILE__, __LINE__);          \
    } while (0)

/* ---- allocation-failure sweep ------------------------------------------- */

/* A scripted session: setup() builds the engine (its allocations are not
 * failed), then step(k) for k = 0, 1, ... until SW_DONE. The sweep fails
 * each allocation the steps make, in turn, and holds every step to "as in
 * the clean run, or ORCA_ENOMEM with the engine, its customer view, its
 * events and callbacks unchanged (then retried)"; the final state must be
 * the clean run's. */
#define SW_DONE 0x7fff
#define SW_MAXSTEPS 64

typedef struct sw {
    tu_alloc *a;
    orca_engine *e;
    tu_rec rec;
    hoffers ho;
    orca_queue_id q1, q2, q3, q4;
} sw;

typedef void (*sw_setup_fn)(sw *s);
typedef int (*sw_step_fn)(sw *s, int k);

CT_UNUSED static int sw_breaks;

CT_UNUSED static void sw_break(const char *fmt, ...) CMOCKA_PRINTF_ATTRIBUTE(1, 2);
CT_UNUSED static void sw_break(const char *fmt, ...)
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

CT_UNUSED static int sw_state(const sw *s, uint64_t id)
{
    return tu_state(s->e, id);
}

/* One run; fail_at 0 is the clean run (fills rcs). Returns the number of
 * ORCA_ENOMEM results; *final gets the final dump + customer view. */
CT_UNUSED static int sw_run(sw_setup_fn setup, sw_step_fn step, const uint64_t *absorb_ok,
                  uint64_t fail_at, int *rcs, char **final, uint64_t *attempts)
{
    tu_alloc a;
    tu_alloc_init(&a);
    sw *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->a = &a;
    a.paused = 1;
    setup(s);
    a.paused = 0;
    a.fail_at = fail_at;
    int nomem = 0;
    for (int k = 0; k < SW_MAXSTEPS; k++) {
        a.paused++;
        tu_snap snap;
        tu_snap_take_(&snap, s->e, __FILE__, __LINE__);
        char *cv = cust_text(s->e);
        a.paused--;
        size_t nrec = s->rec.n, noff = s->ho.n, nwd = s->ho.nwithdrawn;
        uint64_t failed_before = a.failed;
        int rc = step(s, k);
        if (rc == SW_DONE) {
            tu_snap_free(&snap);
            free(cv);
            break;
        }
        if (fail_at == 0) {
            rcs[k] = rc;
        } else if (rc == ORCA_ENOMEM && rcs[k] != ORCA_ENOMEM) {
            nomem++;
            a.paused++;
            char what[96];
            snprintf(what, sizeof(what), "step %d (fail_at %llu)", k,
                     (unsigned long long)fail_at);
            if (tu_snap_diff_(&snap, s->e, what, __FILE__, __LINE__))
                sw_break("%s: ORCA_ENOMEM but the engine changed (above)", what);
            char *cv2 = cust_text(s->e);
            if (strcmp(cv, cv2) != 0)
                sw_break("%s: ORCA_ENOMEM but the customer view changed:\n%s\nbecame\n%s",
                         what, cv, cv2);
            free(cv2);
            if (s->rec.n != nrec)
                sw_break("%s: ORCA_ENOMEM but %zu events were emitted", what, s->rec.n - nrec);
            if (s->ho.n != noff || s->ho.nwithdrawn != nwd)
                sw_break("%s: ORCA_ENOMEM but channel callbacks were called", what);
            if (orca_engine_check(s->e) != ORCA_OK)
                sw_break("%s: ORCA_ENOMEM and then orca_engine_check failed", what);
            a.paused--;
            a.fail_at = 0;
            rc = step(s, k);
            if (rc != rcs[k])
                sw_break("fail_at %llu: step %d retried returned %d %s, clean run %d %s",
                         (unsigned long long)fail_at, k, rc, tu_rc_name(rc), rcs[k],
                         tu_rc_name(rcs[k]));
        } else {
            if (rc != rcs[k])
                sw_break("fail_at %llu: step %d returned %d %s, clean run %d %s",
                         (unsigned long long)fail_at, k, rc, tu_rc_name(rc), rcs[k],
                         tu_rc_name(rcs[k]));
            if (a.failed != failed_before && rc != ORCA_ENOMEM &&
                !(absorb_ok && (absorb_ok[0] >> k & 1)))
                sw_break("fail_at %llu: an allocation failed inside step %d, which returned "
                         "%d %s instead of ORCA_ENOMEM", (unsigned long long)fail_at, k, rc,
                         tu_rc_name(rc));
        }
        tu_snap_free(&snap);
        free(cv);
        a.paused++;
        if (orca_engine_check(s->e) != ORCA_OK)
            sw_break("fail_at %llu: orca_engine_check after step %d failed",
                     (unsigned long long)fail_at, k);
        a.paused--;
    }
    a.paused++;
    char *d = tu_dump(s->e);
    char *cv = cust_text(s->e);
    sbuf b = {0};
    sb_printf(&b, "%s", "");
    /* the dump may be long: append it in pieces */
    for (size_t off = 0, len = strlen(d); off < len; off += 400)
        sb_printf(&b, "%.400s", d + off);
    sb_printf(&b, "%s", "\n--- customers ---\n");
    for (size_t off = 0, len = strlen(cv); off < len; off += 400)
        sb_printf(&b, "%.400s", cv + off);
    sb_printf(&b, "\n--- offers ---\n%s\n", s->ho.log);
    free(d);
    free(cv);
    *final = b.p;
    for (size_t k = 0; k < s->ho.n; k++)
        if (s->ho.accept_rc[k] != ORCA_OK)
            sw_break("fail_at %llu: accept from inside offer callback %zu returned %d",
                     (unsigned long long)fail_at, k, s->ho.accept_rc[k]);
    a.paused--;
    orca_engine_free(s->e);
    tu_rec_free(&s->rec);
    free(s);
    if (a.live_bytes != 0 || a.live_blocks != 0)
        sw_break("fail_at %llu: %zu bytes in %zu blocks leaked after orca_engine_free",
                 (unsigned long long)fail_at, a.live_bytes, a.live_blocks);
    if (a.bad_osize != 0)
        sw_break("fail_at %llu: wrong osize passed to the allocator",
                 (unsigned long long)fail_at);
    if (attempts)
        *attempts = a.attempts;
    if (fail_at && a.failed == 0)
        return -1; /* allocation fail_at was never reached */
    return nomem;
}

/* Sweep every allocation of the steps; fails the test on any break. */
CT_UNUSED static void sw_sweep(sw_setup_fn setup, sw_step_fn step, uint64_t absorb_ok,
                     const int *must, size_t nmust)
{
    int rcs[SW_MAXSTEPS];
    for (int k = 0; k < SW_MAXSTEPS; k++)
        rcs[k] = 0;
    sw_breaks = 0;
    char *clean = NULL;
    uint64_t total = 0;
    sw_run(setup, step, &absorb_ok, 0, rcs, &clean, &total);
    assert_int_equal(sw_breaks, 0);
    for (size_t k = 0; k < nmust; k++)
        if (rcs[must[2 * k]] != must[2 * k + 1])
            fail_msg("clean run: step %d returned %d %s, expected %d %s", must[2 * k],
                     rcs[must[2 * k]], tu_rc_name(rcs[must[2 * k]]), must[2 * k + 1],
                     tu_rc_name(must[2 * k + 1]));
    assert_true(total > 0);
    uint64_t injected = 0, absorbed_runs = 0;
    for (uint64_t k = 1; k <= total + 1; k++) {
        char *final = NULL;
        int nomem = sw_run(setup, step, &absorb_ok, k, rcs, &final, NULL);
        if (nomem < 0) {
            free(final);
            break;
        }
        injected++;
        if (nomem == 0)
            absorbed_runs++;
        if (strcmp(clean, final) != 0) {
            sw_break("fail_at %llu: the final state after ORCA_ENOMEM and a retry differs "
                     "from the clean run's", (unsigned long long)k);
            tu_same_text_(clean, final, "final state", __FILE__, __LINE__);
        }
        free(final);
    }
    free(clean);
    assert_int_equal(injected, total);
    print_message("allocation-failure sweep: %llu allocations failed in turn\n",
                  (unsigned long long)injected);
    if (absorbed_runs)
        print_message("note: %llu of %llu injected failures were absorbed by steps allowed "
                      "to absorb them\n", (unsigned long long)absorbed_runs,
                      (unsigned long long)injected);
    if (sw_breaks)
        fail_msg("%d problems with allocation failure (first ones above)", sw_breaks);
}

#endif /* ORCA_TEST_CUSTUTIL_H */
