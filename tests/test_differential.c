/*
 * test_differential.c: the engine against the reference router.
 *
 * Thousands of random scenarios (small centres: 1-12 agents, 1-4 queues,
 * 3-8 skills, every strategy, serve by members and/or skills, tiers, ranks,
 * routing steps, aging, overflow, max wait, max size, blended agents, a host
 * channel, arbitrary 64-bit ids, host callbacks that answer offers from
 * inside the callback; customers from a small pool, conversations, named
 * agents (soft and hard, waits including 0), queues with sticky routing,
 * blind and consult transfers to other queues, agents and channels (same
 * and new ids), dispositions, customers forgotten, small history / customer
 * / TTL limits; callback slots (not_before_ms, early_ms) on enqueues,
 * transfers and escalations, unreached callbacks retried and given up,
 * work that starts with a bot, contained or escalated, abandon and resume
 * tickets, virtual hold onto another channel now or at a time; SCHEDULED
 * and BOT work abandoned, cancelled, held for agents who log out or are
 * removed; opening hours on some queues, at setup and set or cleared by
 * ops at random times: short weekly ranges around the scenario's local
 * time in UTC offsets from -840 to 840 (some crossing local midnight),
 * holidays and special openings near now (and long ones, past a year),
 * so enqueues, transfers and escalations meet open and closed queues that
 * reject, hold until the opening or redirect, in chains and loops; queues
 * removed, or refused while work is in them, overflowed out of them, or
 * another queue overflows or redirects to them; the engine snapshotted and
 * restored, sometimes then ending as orca_journal_replay does: every agent
 * OFFLINE (ORCA_RESTORE_OFFLINE) and/or the pending offers back to waiting)
 * are played op by op on the real engine (public API only but for the
 * restore's internal calls, events collected with orca_listener_add) and on tests/ref_router.c, a
 * plain linear-scan implementation of DESIGN.md's "Routing rules". After
 * every op the test asserts:
 *   - the same return code;
 *   - the same events, in order, every field (seq is checked to be
 *     consecutive), with the channel callbacks (offer and withdraw, with
 *     every orca_offer field, the customer's history handed to the offer
 *     callback included) noted in the same stream;
 *   - orca_engine_check() == 0;
 *   - the same state through the getters (clock, counts, next deadline,
 *     every agent, interaction and queue; every customer of the pool and
 *     the latest others: info, history, live interactions; the customer
 *     totals; and the getters' bad inputs);
 *   - listings and positions: the queue positions (orca_interaction_position,
 *     ahead and waiting) of four interactions, each in turn; and every 8th
 *     op each queue's whole waiting list in routing order, the agents and
 *     the live interactions in id order, read through 5-entry pages;
 * and, when the engine is freed, that it leaked nothing (the engine runs on
 * a guard allocator that also catches writes past a block and wrong osize).
 * Some ops are invalid on purpose (unknown ids, wrong states, out of range):
 * each has exactly one fault, so the expected code is not a matter of which
 * check comes first.
 *
 * Environment:
 *   ORCA_DIFF_SEED=N       master seed (default fixed, printed)
 *   ORCA_DIFF_SCENARIOS=N  how many scenarios (default 3000; 1000 under ASan)
 *   ORCA_DIFF_ONLY=K       run scenario K only (replay a failure)
 *   ORCA_DIFF_NO_SHRINK=1  print the failing scenario as generated
 *   ORCA_DIFF_VERBOSE=1    print every op's events in failure logs
 *   ORCA_DIFF_MAX_FAILURES=N  stop after N failing scenarios (default 3)
 *   ORCA_DIFF_STATS=1      print what was exercised (events, return codes)
 *   ORCA_DIFF_FORK=0       play everything in this process (for a debugger)
 *   ORCA_DIFF_SKIP=oldest,check,deadline  leave a comparison out
 *   ORCA_DIFF_FRESH_EFFPRIO / ORCA_DIFF_FRESH_EXCLUSIONS=0|1  the other
 *                          reading of an ambiguity (see ref_router.h)
 *   ORCA_DIFF_MASK=1,3     let the reference copy the engine where it is
 *                          known to disagree with DESIGN.md (see "Known
 *                          engine disagreements" above set_masks; the open
 *                          ones are masked by default, ORCA_DIFF_MASK=0
 *                          masks nothing)
 *
 * Scenarios are generated from the reference's state alone and played in a
 * child process, so an engine crash or hang is reported as a failure of
 * that scenario (with its replay command) and the run goes on. A failing
 * scenario is shrunk (ops dropped, queue features and callbacks turned off
 * while it still fails the same way) and printed as an op log.
 *
 * Directed scenarios, with expectations worked out by hand from DESIGN.md,
 * run first (ties, exclusions running out, steps at 0 ms, aging, overflow,
 * blended capacity, NOT_READY with offers pending, agents removed with
 * offers pending, no-answer, strategies, tiers and ranks, max wait while
 * offered; named agents soft and hard, sticky routing and ENQUEUED bits,
 * consult and blind transfers, history and customer limits), then minimal
 * regression scenarios for the engine bugs this test found, then the random
 * scenarios.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "orca.h"
#include "snapshot.h" /* snap_copy: OP_RESTORE */
#include "journal.h"  /* jrn_offline_all, jrn_recover_offers: OP_RESTORE_OFFLINE */
#include "ref_router.h"
#include "testutil.h"

#define MAX_S 8                 /* skills */
#define MAX_Q 4                 /* queues */
#define MAX_QSTEPS 4
#define MAX_OPS 400
#define AGENT_ID_SPACE 40       /* agent ids 1..40 (see agent_ids_in_use) */
#define UNKNOWN_AGENT 9999
#define UNKNOWN_INTERACTION 999999
#define MAX_CUST_POOL 10        /* customers 1..ncust of a scenario's pool */
#define MAX_OTHER_CUST 8        /* other customers compared (the latest) */
#define UNKNOWN_CUSTOMER 77777777

/* pseudo event types: host callbacks noted in the event streams */
enum { EVX_OFFER = 100, EVX_WITHDRAW = 101, EVX_CALL = 102 };

/* Default scenario count: ~5 s at -O2; fewer under AddressSanitizer. */
#if defined(__SANITIZE_ADDRESS__)
#define DEFAULT_SCENARIOS 1000
#else
#define DEFAULT_SCENARIOS 3000
#endif

/* ------------------------------------------------------------------------ */
/* PRNG                                                                     */
/* ------------------------------------------------------------------------ */

#include "rng.h"

/* ------------------------------------------------------------------------ */
/* Scenario: setup + ops                                                    */
/* ------------------------------------------------------------------------ */

typedef struct qstep {
    uint32_t after_ms, action, skill_idx, level;
} qstep;

/* Opening hours for orca_queue_set_hours (on 0: none / clear). */
#define MAX_HR 8
#define MAX_HX 4
typedef struct hspec {
    uint32_t on;
    int32_t off;                /* utc_offset_min */
    orca_hours_range r[MAX_HR];
    uint32_t nr;
    orca_hours_exception x[MAX_HX];
    uint32_t nx;
    uint32_t act, redir;        /* when_closed, redirect_to */
} hspec;

typedef struct qspec {
    orca_strategy strategy;
    uint32_t serve;
    uint32_t skill_idx[2], skill_lvl[2], nskills;  /* skill indexes */
    uint32_t skills_tier;
    uint32_t max_size, max_wait_ms, aging_ms, aging_max;
    uint32_t wrapup_ms, sla_ms, offer_timeout_ms;
    qstep steps[MAX_QSTEPS];
    uint32_t nsteps;
    uint32_t overflow_after_ms, overflow_to;
    uint32_t sticky_ms, sticky_within_ms;
    uint32_t callback_attempts, callback_retry_ms, resume_ms;
    hspec hours;                /* set after every queue is added */
} qspec;

typedef struct setup {
    orca_config cfg;
    uint32_t nskills;
    int host;                   /* add host channel "whatsapp" */
    uint32_t host_cost, host_wrapup;
    uint32_t builtin_wrapup[ORCA_CHANNEL_BUILTIN_COUNT];
    uint32_t nqueues;
    qspec q[MAX_Q];
    /* host ids: agent k (1..AGENT_ID_SPACE) is aid[k] (0: k itself);
     * interaction n is n * iid_mul ^ iid_xor (iid_mul 0: n itself) */
    uint64_t aid[AGENT_ID_SPACE + 1];
    uint64_t iid_mul, iid_xor;
    /* host callbacks: 0 none, 1 record offers and withdrawals, 2 also
     * answer from inside the offer callback (accept or reject at once) */
    uint32_t cb_mode;
    uint32_t cb_mask;           /* channels that have callbacks (bit per id) */
    uint64_t cb_seed;           /* decides each answer */
    /* generation parameters */
    uint32_t gran;              /* time granularity (ms) */
    uint32_t max_agents;
    uint32_t nops;
    uint32_t ncust;             /* customer pool: cust_id(1..ncust) */
    uint32_t nconv;             /* conversations 1..nconv (0: none) */
    uint32_t pct_named;         /* % of enqueues naming an agent */
    uint32_t pct_transfer;      /* weight of transfers */
    uint32_t pct_sched;         /* % of enqueues with a callback slot */
    uint32_t pct_bot;           /* % of enqueues that start with a bot */
    uint32_t wt_hours;          /* weight of set_hours ops (0: no hours at all) */
} setup;

typedef enum op_kind {
    OP_AGENT_ADD, OP_AGENT_UPDATE, OP_AGENT_REMOVE, OP_PRESENCE,
    OP_MEMBER_ADD, OP_MEMBER_REMOVE, OP_RANK,
    OP_ENQUEUE, OP_ACCEPT, OP_REJECT, OP_END, OP_WRAPUP_DONE,
    OP_ABANDON, OP_CANCEL, OP_PRIORITY, OP_ADVANCE, OP_CHANNEL_WRAPUP,
    OP_TRANSFER, OP_DISPOSITION, OP_FORGET,
    OP_RESTORE, /* the engine through a snapshot (snapshot.c) into a new one */
    OP_UNREACHED, OP_ESCALATE, OP_CALLBACK,
    OP_HOURS, /* orca_queue_set_hours(queue, hs.on ? &hs : NULL) */
    OP_QUEUE_REMOVE,
    /* OP_RESTORE, then what orca_journal_replay does at the end: v 0 every
     * agent OFFLINE (jrn_offline_all), 1 that and then the pending offers
     * back to waiting (jrn_recover_offers: a replay with
     * ORCA_RESTORE_OFFLINE), 2 the offers only (ORCA_RESTORE_KEEP) */
    OP_RESTORE_OFFLINE,
    OP_KINDS
} op_kind;

typedef struct op {
    op_kind kind;
    uint64_t id;                /* agent, interaction (transfer: from), customer */
    uint32_t queue;
    uint32_t v;                 /* presence, tier, rank, priority, wrapup, code */
    uint32_t reason;            /* presence reason; transfer: mode */
    uint64_t t;                 /* advance: absolute time */
    /* agent def */
    orca_skill_level skills[MAX_S];
    uint32_t nskills, capacity, weight;
    orca_channel_limit limits[ORCA_MAX_CHANNELS];
    uint32_t nlimits;
    /* interaction def (queue above) */
    uint32_t channel;
    uint64_t customer;
    orca_skill_level req[ORCA_MAX_REQUIRED], pref[ORCA_MAX_PREFERRED];
    uint32_t nreq, npref;
    uint64_t data;              /* agent/interaction data pointer (a token) */
    uint64_t conversation;
    uint64_t agent;             /* named agent (0: none) */
    uint32_t agent_wait_ms, agent_required;
    uint64_t id2;               /* transfer: the new leg's id */
    uint64_t not_before;        /* callback slot (0: none); callback: time */
    uint32_t early_ms, bot;
    hspec hs;                   /* set_hours */
} op;

/* ------------------------------------------------------------------------ */
/* The world: an engine and a reference side by side                        */
/* ------------------------------------------------------------------------ */

typedef struct evbuf {
    orca_event *v;
    size_t n, cap;
} evbuf;

/* A guard allocator for the engine (orca_config.alloc): every block has a
 * header with its size (checked against the osize the engine passes) and
 * 16 canary bytes after it (checked when it is freed or resized), so an
 * overflow or a wrong size aborts at once, even in an -O2 build. Live bytes
 * are counted: a leak shows when the engine is freed. */
typedef struct guard {
    size_t live_bytes, live_blocks;
} guard;

#define GUARD_HEAD 16
#define GUARD_TAIL 16

static void guard_die(const char *what, size_t a, size_t b)
{
    fprintf(stderr, "\n*** engine memory error: %s (%zu, %zu)\n", what, a, b);
    fflush(stderr);
    abort();
}

static void *guard_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    guard *g = ud;
    unsigned char *base = NULL;
    if (ptr) {
        size_t stored;
        base = (unsigned char *)ptr - GUARD_HEAD;
        memcpy(&stored, base, sizeof stored);
        if (stored != osize)
            guard_die("osize passed to the allocator is not the block's size", osize, stored);
        for (size_t k = 0; k < GUARD_TAIL; k++)
            if (base[GUARD_HEAD + osize + k] != 0xA5)
                guard_die("write past the end of a heap block of this size, at this offset",
                          osize, osize + k);
    }
    if (nsize == 0) {
        if (ptr) {
            g->live_bytes -= osize;
            g->live_blocks--;
            free(base);
        }
        return NULL;
    }
    unsigned char *nb = realloc(base, GUARD_HEAD + nsize + GUARD_TAIL);
    if (!nb)
        return NULL;
    if (ptr)
        g->live_bytes -= osize;
    else
        g->live_blocks++;
    g->live_bytes += nsize;
    memcpy(nb, &nsize, sizeof nsize);
    memset(nb + GUARD_HEAD + nsize, 0xA5, GUARD_TAIL);
    return nb + GUARD_HEAD;
}

typedef struct world {
    const setup *s;
    guard ga;
    orca_engine *e;
    ref_router *r;
    evbuf ev;                   /* engine events of the current op */
    evbuf last_ref;             /* reference events of the last op */
    uint64_t last_seq;
    orca_skill_id sid[MAX_S];
    orca_channel_id host_ch;
    uint64_t iids[MAX_OPS + 1];  /* interaction ids enqueued so far (distinct) */
    uint32_t niids;
    uint64_t next_n;            /* generation: next new interaction number */
    uint64_t ocust[MAX_OTHER_CUST]; /* customers outside the pool, latest */
    uint32_t nocust;
    /* the histories handed to offer callbacks, per side (0 engine, 1 ref):
     * a callback's record points into these */
    orca_history_entry *hlog[2];
    size_t nhlog[2], caphlog[2];
    char msg[32768];
    size_t msglen;
    int ref_only;               /* generation: apply ops to the reference only */
    uint64_t ab_cust;           /* generation: the latest abandon's customer, */
    uint32_t ab_queue;          /* and queue (so some come back) */
    uint64_t held_closed[64], held_closed_due[64]; /* stats: SCHEDULED reason CLOSED */
    uint32_t nheld_closed;
    hspec hours[MAX_Q + 1];     /* stats: each queue's hours now ([1..nqueues]) */
    uint32_t ncompared;         /* compare_listings calls (what it samples) */
} world;

static ref_options g_opt;
static int g_verbose;
static int g_fork = 1;
/* ORCA_DIFF_SKIP=oldest,check,deadline: leave a comparison out (to hunt for
 * other bugs while a known one is open). */
static int g_skip_oldest, g_skip_check, g_skip_deadline;

/* ORCA_DIFF_STATS=1: what the scenarios exercised (events by type, return
 * codes by op), printed at the end. Counted in the process that plays the
 * scenarios. */
static int g_stats;
static uint64_t g_ev_count[ORCA_EV_TYPE_COUNT + 1];
static uint64_t g_special[32];  /* see print_stats */
/* OP_RESTORE_OFFLINE: agents set OFFLINE, holds released, offers
 * recovered, offers made (see print_stats) */
static uint64_t g_offline[4];
static uint64_t g_sched[4];     /* SCHEDULED by reason */
static uint64_t g_closed[4];    /* REJECTED_CLOSED: REJECT, HOLD never opens, hops, ? */
static uint64_t g_release[5];   /* TARGET_RELEASED by reason */
static uint64_t g_rc_count[OP_KINDS][13];
/* Masks for the known engine disagreements (see set_masks), a bit each;
 * ORCA_DIFF_MASK=1,3 turns some on (none by default). */
static unsigned g_masks;
#define MASKED(n) ((g_masks >> (n)) & 1u)
#define NMASKS 8
#define ALL_MASKS (((1u << (NMASKS + 1)) - 1) & ~1u)   /* bits 1..NMASKS */

static uint64_t agent_id(const setup *s, uint64_t k)
{
    return k >= 1 && k <= AGENT_ID_SPACE && s->aid[k] ? s->aid[k] : k;
}

/* Agent ids 1..this (mapped) are the ones a scenario uses: the random ones
 * use 1..max_agents + 2, directed ones any of 1..AGENT_ID_SPACE. */
static uint64_t agent_ids_in_use(const setup *s)
{
    return s->max_agents && s->max_agents + 2 < AGENT_ID_SPACE ? s->max_agents + 2 : AGENT_ID_SPACE;
}

/* Customer k of the pool (1..ncust): k, or a 64-bit id with the random
 * ids. */
static uint64_t cust_id(const setup *s, uint64_t k)
{
    if (!s->iid_mul)
        return k;
    uint64_t id = (k * 0x9E3779B97F4A7C15ull) ^ s->iid_xor ^ 0x5555000000000000ull;
    return id ? id : k;
}

static uint64_t inter_id(const setup *s, uint64_t n)
{
    uint64_t id = s->iid_mul ? (n * s->iid_mul) ^ s->iid_xor : n;
    return id ? id : n;
}

static void note_iid(struct world *w, uint64_t id);

static void evbuf_push(evbuf *b, const orca_event *ev)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        orca_event *p = realloc(b->v, cap * sizeof *p);
        if (!p)
            abort();
        b->v = p;
        b->cap = cap;
    }
    b->v[b->n++] = *ev;
}

static void on_event(void *data, const orca_event *ev)
{
    evbuf_push(&((world *)data)->ev, ev);
}

static void msgf(world *w, const char *fmt, ...)
{
    if (w->msglen >= sizeof w->msg - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->msg + w->msglen, sizeof w->msg - w->msglen, fmt, ap);
    va_end(ap);
    if (n > 0)
        w->msglen += (size_t)n;
    if (w->msglen > sizeof w->msg - 1)
        w->msglen = sizeof w->msg - 1;
}

static const char *rc_name(int rc)
{
    switch (rc) {
    case ORCA_OK: return "OK";
    case ORCA_EINVAL: return "EINVAL";
    case ORCA_ENOMEM: return "ENOMEM";
    case ORCA_ENOENT: return "ENOENT";
    case ORCA_EEXIST: return "EEXIST";
    case ORCA_ESTATE: return "ESTATE";
    case ORCA_ERANGE: return "ERANGE";
    case ORCA_ELIMIT: return "ELIMIT";
    case ORCA_EFULL: return "EFULL";
    case ORCA_ETOOLONG: return "ETOOLONG";
    case ORCA_EBUSY: return "EBUSY";
    case ORCA_ECORRUPT: return "ECORRUPT";
    case ORCA_ECLOSED: return "ECLOSED";
    default: return "?";
    }
}

static const char *ev_name(orca_event_type t)
{
    static const char *n[] = {
        "?", "ENQUEUED", "OFFERED", "ACCEPTED", "REJECTED", "OFFER_TIMEOUT",
        "ENDED", "COMPLETED", "ABANDONED", "CANCELLED", "TIMED_OUT",
        "REJECTED_FULL", "OVERFLOWED", "STEP", "PRIORITY", "AGENT_ADDED",
        "AGENT_UPDATED", "AGENT_REMOVED", "AGENT_PRESENCE", "MEMBER_ADDED",
        "MEMBER_REMOVED", "QUEUE_ADDED", "CHANNEL_ADDED", "SKILL_ADDED",
        "TARGET_RELEASED", "TRANSFERRED", "SCHEDULED", "DUE", "ESCALATED",
        "CONTAINED", "CHANNEL_CHANGED", "UNREACHED", "REJECTED_CLOSED", "QUEUE_REMOVED",
    };
    if ((int)t == EVX_OFFER) return "offer() cb";
    if ((int)t == EVX_WITHDRAW) return "withdraw() cb";
    if ((int)t == EVX_CALL) return "  cb calls";
    return (unsigned)t < sizeof n / sizeof n[0] ? n[t] : "?";
}

static const char *ch_name(uint32_t ch)
{
    static const char *n[] = {"voice", "chat", "email", "sms", "social", "video", "callback"};
    if (ch < ORCA_CHANNEL_BUILTIN_COUNT)
        return n[ch];
    if (ch == ORCA_CHANNEL_BUILTIN_COUNT)
        return "whatsapp";
    return "?ch";
}

static const char *presence_name(uint32_t p)
{
    return p == ORCA_PRESENCE_OFFLINE ? "OFFLINE" : p == ORCA_PRESENCE_READY ? "READY"
         : p == ORCA_PRESENCE_NOT_READY ? "NOT_READY" : "?presence";
}

static const char *strategy_name(uint32_t s)
{
    static const char *n[] = {"LONGEST_IDLE", "LEAST_OCCUPIED", "MOST_PROFICIENT",
                              "ROUND_ROBIN", "FEWEST_HANDLED", "WEIGHTED_RANDOM",
                              "TOP_DOWN", "PACKING", "LEAST_BUSY"};
    return s < sizeof n / sizeof n[0] ? n[s] : "?";
}

/* The skill's name ("s3") from its engine id. */
static const char *skill_str(const world *w, orca_skill_id id, char buf[16])
{
    for (uint32_t k = 0; k < w->s->nskills; k++)
        if (w->sid[k] == id) {
            snprintf(buf, 16, "s%u", k);
            return buf;
        }
    snprintf(buf, 16, "#%u", id);
    return buf;
}

static void app(char *buf, size_t len, size_t *n, const char *fmt, ...);

static void fmt_event(const world *w, const orca_event *ev, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    app(buf, len, &n, "t=%" PRIu64 " %-15s i=%" PRIu64 " a=%" PRIu64 " q=%u",
        ev->time_ms, ev_name(ev->type), ev->interaction, ev->agent, ev->queue);
    char sb[16];
    if ((int)ev->type == EVX_OFFER || (int)ev->type == EVX_WITHDRAW) {
        app(buf, len, &n, " attempt=%u offered=%" PRIu64 " expires=%" PRIu64 "%s",
            ev->value, ev->duration_ms, ev->wait_ms,
            (int)ev->type == EVX_OFFER ? "" :
            ev->reason == ORCA_WITHDRAW_TIMEOUT ? " TIMEOUT" :
            ev->reason == ORCA_WITHDRAW_ABANDONED ? " ABANDONED" :
            ev->reason == ORCA_WITHDRAW_CANCELLED ? " CANCELLED" : " AGENT_REMOVED");
        if (ev->customer || ev->conversation)
            app(buf, len, &n, " cust=%" PRIu64 " conv=%" PRIu64, ev->customer, ev->conversation);
        if ((int)ev->type == EVX_OFFER && ev->customer)
            app(buf, len, &n, " history=%u open=%u (hash %016" PRIx64 ")", ev->queue_from,
                (unsigned)ev->presence, ev->other);
        return;
    }
    if ((int)ev->type == EVX_CALL) {
        app(buf, len, &n, " %s -> %s", ev->value == 1 ? "accept" : "reject",
            rc_name(-(int)ev->reason));
        return;
    }
    switch (ev->type) {
    case ORCA_EV_AGENT_PRESENCE:
        app(buf, len, &n, " %s reason=%#x", presence_name(ev->presence), ev->reason);
        break;
    case ORCA_EV_OVERFLOWED:
        app(buf, len, &n, " from=%u", ev->queue_from);
        break;
    case ORCA_EV_SKILL_ADDED:
        app(buf, len, &n, " skill=%s", skill_str(w, ev->value, sb));
        break;
    case ORCA_EV_CHANNEL_ADDED:
        app(buf, len, &n, " channel=%u", ev->channel);
        break;
    case ORCA_EV_ENQUEUED:
        app(buf, len, &n, " %s prio=%u%s%s%s%s%s", ch_name(ev->channel), ev->priority,
            ev->value & ORCA_ENQ_RECONTACT ? " RECONTACT" : "",
            ev->value & ORCA_ENQ_SWITCH ? " SWITCH" : "",
            ev->value & ORCA_ENQ_TARGETED ? " TARGETED" : "",
            ev->value & ORCA_ENQ_STICKY ? " STICKY" : "",
            ev->value & ORCA_ENQ_TRANSFER ? " TRANSFER" : "");
        app(buf, len, &n, "%s%s%s%s", ev->value & ORCA_ENQ_RESUMED ? " RESUMED" : "",
            ev->value & ORCA_ENQ_ESCALATED ? " ESCALATED" : "",
            ev->value & ORCA_ENQ_BOT ? " BOT" : "",
            ev->value & ORCA_ENQ_SCHEDULED ? " SCHEDULED" : "");
        if (ev->value & ~(31u | ORCA_ENQ_RESUMED | ORCA_ENQ_ESCALATED | ORCA_ENQ_BOT |
                          ORCA_ENQ_SCHEDULED))
            app(buf, len, &n, " bits=%#x", ev->value);
        app(buf, len, &n, " arrival=%" PRIu64, ev->arrival_ms);
        break;
    case ORCA_EV_SCHEDULED:
        app(buf, len, &n, " due=%" PRIu64 " %s", ev->due_ms,
            ev->value == ORCA_SCHED_SLOT ? "SLOT" : ev->value == ORCA_SCHED_RETRY ? "RETRY" :
            ev->value == ORCA_SCHED_CLOSED ? "CLOSED" : "?reason");
        break;
    case ORCA_EV_ESCALATED: case ORCA_EV_CONTAINED:
        app(buf, len, &n, " duration=%" PRIu64, ev->duration_ms);
        break;
    case ORCA_EV_CHANNEL_CHANGED:
        app(buf, len, &n, " %s -> %s", ch_name(ev->value), ch_name(ev->channel));
        break;
    case ORCA_EV_UNREACHED:
        app(buf, len, &n, " tries=%u", ev->value);
        break;
    case ORCA_EV_TARGET_RELEASED:
        app(buf, len, &n, " %s", ev->value == ORCA_RELEASE_EXPIRED ? "EXPIRED" :
            ev->value == ORCA_RELEASE_OFFLINE ? "OFFLINE" : ev->value == ORCA_RELEASE_DECLINED ?
            "DECLINED" : ev->value == ORCA_RELEASE_INELIGIBLE ? "INELIGIBLE" : "?reason");
        break;
    case ORCA_EV_TRANSFERRED:
        app(buf, len, &n, " -> %" PRIu64 " %s", ev->other, ev->value ? "CONSULT" : "BLIND");
        break;
    case ORCA_EV_PRIORITY: case ORCA_EV_STEP: case ORCA_EV_MEMBER_ADDED:
    case ORCA_EV_REJECTED: case ORCA_EV_OFFERED:
        app(buf, len, &n, " value=%u", ev->value);
        break;
    default:
        break;
    }
    if (ev->interaction && (ev->customer || ev->conversation))
        app(buf, len, &n, " cust=%" PRIu64 " conv=%" PRIu64, ev->customer, ev->conversation);
}

static void app(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
    if (*n + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *n, len - *n, fmt, ap);
    va_end(ap);
    if (k > 0)
        *n += (size_t)k;
    if (*n >= len)
        *n = len - 1;
}

static const char *closed_name(uint32_t a)
{
    return a == ORCA_CLOSED_REJECT ? "REJECT" : a == ORCA_CLOSED_HOLD ? "HOLD"
         : a == ORCA_CLOSED_REDIRECT ? "REDIRECT" : "?";
}

/* hours as text; times of exceptions also relative to start */
static void fmt_hours(const setup *s, const hspec *h, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    if (!h->on) {
        app(buf, len, &n, "NULL");
        return;
    }
    app(buf, len, &n, "{offset=%d ranges={", h->off);
    for (uint32_t k = 0; k < h->nr; k++)
        app(buf, len, &n, "%sday%u %u-%u", k ? ", " : "", h->r[k].day, h->r[k].open_min,
            h->r[k].close_min);
    app(buf, len, &n, "} exceptions={");
    for (uint32_t k = 0; k < h->nx; k++)
        app(buf, len, &n, "%s[%" PRIu64 ",%" PRIu64 ") [start+%" PRId64 ",+%" PRId64 "] %s",
            k ? ", " : "", h->x[k].from_ms, h->x[k].to_ms,
            (int64_t)(h->x[k].from_ms - s->cfg.start_ms), (int64_t)(h->x[k].to_ms - s->cfg.start_ms),
            h->x[k].open == 1 ? "open" : h->x[k].open ? "open=?" : "closed");
    app(buf, len, &n, "} %s", closed_name(h->act));
    if (h->redir || h->act == ORCA_CLOSED_REDIRECT)
        app(buf, len, &n, " redirect_to=%u", h->redir);
    app(buf, len, &n, "}");
}

static void fmt_op(const world *w, const op *o, char *buf, size_t len)
{
    char sb[16];
    size_t n = 0;
    buf[0] = 0;
#define P(...) app(buf, len, &n, __VA_ARGS__)
    switch (o->kind) {
    case OP_AGENT_ADD:
    case OP_AGENT_UPDATE:
        P("%s(id=%" PRIu64 " cap=%u weight=%u skills={", o->kind == OP_AGENT_ADD ? "agent_add" : "agent_update",
          o->id, o->capacity, o->weight);
        for (uint32_t k = 0; k < o->nskills; k++)
            P("%s%s:%u", k ? "," : "", skill_str(w, o->skills[k].skill, sb), o->skills[k].level);
        P("} limits={");
        for (uint32_t k = 0; k < o->nlimits; k++)
            P("%s%s:%u", k ? "," : "", ch_name(o->limits[k].channel), o->limits[k].max);
        P("})");
        break;
    case OP_AGENT_REMOVE: P("agent_remove(%" PRIu64 ")", o->id); break;
    case OP_PRESENCE:
        P("set_presence(%" PRIu64 ", %s, reason=%u)", o->id, presence_name(o->v), o->reason);
        break;
    case OP_MEMBER_ADD: P("member_add(q=%u, agent=%" PRIu64 ", tier=%u)", o->queue, o->id, o->v); break;
    case OP_MEMBER_REMOVE: P("member_remove(q=%u, agent=%" PRIu64 ")", o->queue, o->id); break;
    case OP_RANK: P("set_queue_rank(agent=%" PRIu64 ", q=%u, rank=%u)", o->id, o->queue, o->v); break;
    case OP_ENQUEUE:
    case OP_TRANSFER:
    case OP_ESCALATE:
        if (o->kind == OP_ENQUEUE)
            P("enqueue(id=%" PRIu64, o->id);
        else if (o->kind == OP_ESCALATE)
            P("escalate(%" PRIu64 ", to id=%" PRIu64, o->id, o->id2);
        else
            P("transfer(from=%" PRIu64 ", %s%s, id=%" PRIu64, o->id,
              o->reason == ORCA_TRANSFER_BLIND ? "BLIND" : o->reason == ORCA_TRANSFER_CONSULT ?
              "CONSULT" : "mode=", o->reason > 1 ? "?" : "", o->id2);
        P(" q=%u ch=%s prio=%u cust=%" PRIu64, o->queue, ch_name(o->channel), o->v, o->customer);
        if (o->conversation)
            P(" conv=%" PRIu64, o->conversation);
        if (o->agent || o->agent_wait_ms || o->agent_required)
            P(" agent=%" PRIu64 "%s wait=%u", o->agent,
              o->agent_required == 1 ? " HARD" : o->agent_required ? " required=?" : " soft",
              o->agent_wait_ms);
        if (o->not_before || o->early_ms)
            P(" not_before=%" PRIu64 " [start+%" PRId64 "] early=%u", o->not_before,
              (int64_t)(o->not_before - w->s->cfg.start_ms), o->early_ms);
        if (o->bot)
            P(" bot=%u", o->bot);
        P(" req={");
        for (uint32_t k = 0; k < o->nreq; k++)
            P("%s%s:%u", k ? "," : "", skill_str(w, o->req[k].skill, sb), o->req[k].level);
        P("} pref={");
        for (uint32_t k = 0; k < o->npref; k++)
            P("%s%s:%u", k ? "," : "", skill_str(w, o->pref[k].skill, sb), o->pref[k].level);
        P("})");
        break;
    case OP_DISPOSITION: P("set_disposition(%" PRIu64 ", %u)", o->id, o->v); break;
    case OP_FORGET: P("customer_forget(%" PRIu64 ")", o->id); break;
    case OP_ACCEPT: P("accept(%" PRIu64 ")", o->id); break;
    case OP_REJECT: P("reject(%" PRIu64 ")", o->id); break;
    case OP_END: P("end(%" PRIu64 ")", o->id); break;
    case OP_WRAPUP_DONE: P("wrapup_done(%" PRIu64 ")", o->id); break;
    case OP_ABANDON: P("abandon(%" PRIu64 ")", o->id); break;
    case OP_CANCEL: P("cancel(%" PRIu64 ")", o->id); break;
    case OP_PRIORITY: P("set_priority(%" PRIu64 ", %u)", o->id, o->v); break;
    case OP_ADVANCE:
        P("advance(%" PRIu64 ") [start+%" PRId64 "]", o->t, (int64_t)(o->t - w->s->cfg.start_ms));
        break;
    case OP_CHANNEL_WRAPUP: P("channel_set_wrapup(%s, %u)", ch_name(o->channel), o->v); break;
    case OP_RESTORE: P("(snapshot and restore the engine)"); break;
    case OP_RESTORE_OFFLINE:
        P("(snapshot and restore the engine, then %s)",
          o->v == 0 ? "every agent OFFLINE" : o->v == 1 ? "every agent OFFLINE, offers recovered"
                                                        : "offers recovered");
        break;
    case OP_UNREACHED: P("unreached(%" PRIu64 ")", o->id); break;
    case OP_CALLBACK:
        P("callback(%" PRIu64 ", %s, not_before=%" PRIu64 ")", o->id, ch_name(o->channel),
          o->not_before);
        break;
    case OP_QUEUE_REMOVE: P("queue_remove(%u)", o->queue); break;
    case OP_HOURS: {
        char hb[1024];
        fmt_hours(w->s, &o->hs, hb, sizeof hb);
        P("queue_set_hours(q=%u, %s)", o->queue, hb);
        break;
    }
    case OP_KINDS: break;
    }
#undef P
}

static void print_setup(const world *w, FILE *f)
{
    const setup *s = w->s;
    fprintf(f, "  config: start_ms=%" PRIu64 " seed=%#" PRIx64 " offer_timeout_ms=%u reoffer_delay_ms=%u no_answer_limit=%u\n",
            s->cfg.start_ms, s->cfg.seed, s->cfg.offer_timeout_ms, s->cfg.reoffer_delay_ms,
            s->cfg.no_answer_limit);
    fprintf(f, "  customers: history_per_customer=%u max_customers=%u customer_ttl_ms=%" PRIu64
            " (0: defaults); pool", s->cfg.history_per_customer, s->cfg.max_customers,
            s->cfg.customer_ttl_ms);
    for (uint64_t k = 1; k <= s->ncust; k++)
        fprintf(f, " %" PRIu64, cust_id(s, k));
    fprintf(f, "; conversations 1..%u\n", s->nconv);
    if (s->aid[1]) {
        fprintf(f, "  agent ids: 1..%" PRIu64 " are", agent_ids_in_use(s));
        for (uint64_t k = 1; k <= agent_ids_in_use(s); k++)
            fprintf(f, " %#" PRIx64, s->aid[k]);
        fprintf(f, "\n  interaction n is n * %#" PRIx64 " ^ %#" PRIx64 "\n", s->iid_mul, s->iid_xor);
    }
    fprintf(f, "  skills: s0..s%u (engine ids", s->nskills - 1);
    for (uint32_t k = 0; k < s->nskills; k++)
        fprintf(f, " %u", w->sid[k]);
    fprintf(f, ")\n  channels: builtin wrapups");
    for (int k = 0; k < ORCA_CHANNEL_BUILTIN_COUNT; k++)
        fprintf(f, " %s=%u", ch_name((uint32_t)k), s->builtin_wrapup[k]);
    if (s->host)
        fprintf(f, "; whatsapp cost=%u wrapup=%u", s->host_cost, s->host_wrapup);
    fprintf(f, "\n");
    if (s->cb_mode) {
        fprintf(f, "  callbacks (%s) on:", s->cb_mode == 1 ? "record only" : "record and answer");
        for (uint32_t ch = 0; ch <= ORCA_CHANNEL_BUILTIN_COUNT; ch++)
            if (s->cb_mask & (1u << ch))
                fprintf(f, " %s", ch_name(ch));
        fprintf(f, " (answer seed %#" PRIx64 ")\n", s->cb_seed);
    }
    for (uint32_t k = 0; k < s->nqueues; k++) {
        const qspec *q = &s->q[k];
        fprintf(f, "  queue %u: %s serve=%s", k + 1, strategy_name(q->strategy),
                q->serve == ORCA_SERVE_MEMBERS ? "MEMBERS" : q->serve == ORCA_SERVE_SKILLS ? "SKILLS" : "MEMBERS|SKILLS");
        if (q->serve & ORCA_SERVE_SKILLS) {
            fprintf(f, " skills={");
            for (uint32_t m = 0; m < q->nskills; m++)
                fprintf(f, "%ss%u:%u", m ? "," : "", q->skill_idx[m], q->skill_lvl[m]);
            fprintf(f, "} skills_tier=%u", q->skills_tier);
        }
        if (q->max_size) fprintf(f, " max_size=%u", q->max_size);
        if (q->max_wait_ms) fprintf(f, " max_wait_ms=%u", q->max_wait_ms);
        if (q->aging_ms) fprintf(f, " aging_ms=%u aging_max=%u", q->aging_ms, q->aging_max);
        if (q->wrapup_ms == ORCA_WRAPUP_CHANNEL) fprintf(f, " wrapup=channel");
        else fprintf(f, " wrapup_ms=%u", q->wrapup_ms);
        if (q->offer_timeout_ms) fprintf(f, " offer_timeout_ms=%u", q->offer_timeout_ms);
        if (q->overflow_after_ms) fprintf(f, " overflow_after_ms=%u overflow_to=%u", q->overflow_after_ms, q->overflow_to);
        if (q->sticky_ms) fprintf(f, " sticky_ms=%u sticky_within_ms=%u", q->sticky_ms, q->sticky_within_ms);
        if (q->callback_attempts || q->callback_retry_ms)
            fprintf(f, " callback_attempts=%u callback_retry_ms=%u", q->callback_attempts,
                    q->callback_retry_ms);
        if (q->resume_ms) fprintf(f, " resume_ms=%u", q->resume_ms);
        if (q->hours.on) {
            char hb[1024];
            fmt_hours(s, &q->hours, hb, sizeof hb);
            fprintf(f, " hours=%s", hb);
        }
        if (q->nsteps) {
            fprintf(f, " steps={");
            for (uint32_t m = 0; m < q->nsteps; m++)
                fprintf(f, "%s%u:%s s%u%s", m ? ", " : "", q->steps[m].after_ms,
                        q->steps[m].action == ORCA_STEP_SET_LEVEL ? "SET_LEVEL" :
                        q->steps[m].action == ORCA_STEP_DROP_REQUIRED ? "DROP_REQUIRED" : "DROP_PREFERRED",
                        q->steps[m].skill_idx, "");
            fprintf(f, "}");
            for (uint32_t m = 0; m < q->nsteps; m++)
                if (q->steps[m].action == ORCA_STEP_SET_LEVEL)
                    fprintf(f, " [step %u level %u]", m + 1, q->steps[m].level);
        }
        fprintf(f, "\n");
    }
}

/* ------------------------------------------------------------------------ */
/* Host callbacks, noted in the event streams                               */
/* ------------------------------------------------------------------------ */

/* Records the test puts in both event streams when a channel callback runs
 * (offer fields: interaction, agent, queue, channel, customer, arrival_ms,
 * conversation; wait_ms = expires_ms, duration_ms = offered_ms, value =
 * attempt, reason = withdraw reason, priority/sla_met = the data tokens;
 * the history: queue_from = nhistory, presence = open, other = a hash of
 * the entries, due_ms = where they are in the side's log), and when the
 * callback calls back (value = 1 accept / 2 reject, reason = -rc). */

static orca_event cb_record(int type, uint64_t now, const orca_offer *o, uint32_t reason)
{
    orca_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = (orca_event_type)type;
    ev.time_ms = now;
    ev.interaction = o->interaction;
    ev.agent = o->agent;
    ev.queue = o->queue;
    ev.channel = o->channel;
    ev.customer = o->customer;
    ev.arrival_ms = o->arrival_ms;
    ev.wait_ms = o->expires_ms;
    ev.duration_ms = o->offered_ms;
    ev.value = o->attempt;
    ev.reason = reason;
    ev.priority = (uint32_t)(uintptr_t)o->interaction_data;
    ev.sla_met = (uint32_t)(uintptr_t)o->agent_data;
    ev.conversation = o->conversation;
    ev.queue_from = o->nhistory;
    ev.presence = (orca_presence)o->open;
    ev.other = o->history ? 1 : 0;      /* NULL or not, until hashed */
    return ev;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h * 0xBF58476D1CE4E5B9ull;
}

static uint64_t hist_hash(const orca_history_entry *v, uint32_t n)
{
    uint64_t h = 0x1234;
    for (uint32_t k = 0; k < n; k++) {
        h = mix(h, v[k].interaction);
        h = mix(h, v[k].conversation);
        h = mix(h, v[k].queue);
        h = mix(h, v[k].channel);
        h = mix(h, v[k].agent);
        h = mix(h, v[k].arrival_ms);
        h = mix(h, v[k].answer_ms);
        h = mix(h, v[k].end_ms);
        h = mix(h, (uint64_t)v[k].outcome);
        h = mix(h, v[k].disposition);
    }
    return h;
}

/* An offer callback's history: hashed into the record, kept in the side's
 * log so a mismatch can show it. */
static void cb_history(world *w, int side, const orca_offer *o, orca_event *ev)
{
    if (!o->history || !o->nhistory)
        return;
    ev->other = hist_hash(o->history, o->nhistory);
    if (w->nhlog[side] + o->nhistory > w->caphlog[side]) {
        size_t cap = (w->caphlog[side] + o->nhistory) * 2;
        orca_history_entry *p = realloc(w->hlog[side], cap * sizeof *p);
        if (!p)
            abort();
        w->hlog[side] = p;
        w->caphlog[side] = cap;
    }
    memcpy(w->hlog[side] + w->nhlog[side], o->history, o->nhistory * sizeof *o->history);
    ev->due_ms = w->nhlog[side] + 1;
    w->nhlog[side] += o->nhistory;
}

/* The host's answer to an offer: 0 none, 1 accept, 2 reject. */
static int cb_answer(const setup *s, const orca_offer *o)
{
    if (s->cb_mode != 2)
        return 0;
    uint64_t h = s->cb_seed ^ (o->interaction * 0x9E3779B97F4A7C15ull) ^
                 ((uint64_t)o->attempt << 32) ^ (o->agent * 0xC2B2AE3D27D4EB4Full);
    uint32_t x = (uint32_t)(sm64(&h) % 100);
    return x < 45 ? 1 : x < 65 ? 2 : 0;
}

static void cb_offer_engine(void *data, const orca_offer *o)
{
    world *w = data;
    orca_event ev = cb_record(EVX_OFFER, orca_engine_now(w->e), o, 0);
    cb_history(w, 0, o, &ev);
    evbuf_push(&w->ev, &ev);
    int act = cb_answer(w->s, o);
    if (act) {
        int rc = act == 1 ? orca_offer_accept(w->e, o->interaction)
                          : orca_offer_reject(w->e, o->interaction);
        ev = cb_record(EVX_CALL, orca_engine_now(w->e), o, (uint32_t)-rc);
        ev.value = (uint32_t)act;
        evbuf_push(&w->ev, &ev);
    }
}

static void cb_withdraw_engine(void *data, const orca_offer *o, orca_withdraw_reason why)
{
    world *w = data;
    orca_event ev = cb_record(EVX_WITHDRAW, orca_engine_now(w->e), o, (uint32_t)why);
    evbuf_push(&w->ev, &ev);
}

static void cb_offer_ref(void *data, const orca_offer *o)
{
    world *w = data;
    orca_event ev = cb_record(EVX_OFFER, ref_now(w->r), o, 0);
    cb_history(w, 1, o, &ev);
    ref_record(w->r, &ev);
    int act = cb_answer(w->s, o);
    if (act) {
        int rc = act == 1 ? ref_offer_accept(w->r, o->interaction)
                          : ref_offer_reject(w->r, o->interaction);
        ev = cb_record(EVX_CALL, ref_now(w->r), o, (uint32_t)-rc);
        ev.value = (uint32_t)act;
        ref_record(w->r, &ev);
    }
}

static void cb_withdraw_ref(void *data, const orca_offer *o, orca_withdraw_reason why)
{
    world *w = data;
    orca_event ev = cb_record(EVX_WITHDRAW, ref_now(w->r), o, (uint32_t)why);
    ref_record(w->r, &ev);
}

/* ------------------------------------------------------------------------ */
/* Comparisons                                                              */
/* ------------------------------------------------------------------------ */

/* The history an offer callback was handed, from the side's log. */
static void dump_history(world *w, int side, const orca_event *ev)
{
    if ((int)ev->type != EVX_OFFER || !ev->due_ms)
        return;
    const orca_history_entry *h = w->hlog[side] + (ev->due_ms - 1);
    for (uint32_t k = 0; k < ev->queue_from; k++)
        msgf(w, "          history[%u]: i=%" PRIu64 " conv=%" PRIu64 " q=%u %s agent=%" PRIu64
             " arrival=%" PRIu64 " answer=%" PRIu64 " end=%" PRIu64 " outcome=%u disp=%u\n", k,
             h[k].interaction, h[k].conversation, h[k].queue, ch_name(h[k].channel), h[k].agent,
             h[k].arrival_ms, h[k].answer_ms, h[k].end_ms, (unsigned)h[k].outcome,
             h[k].disposition);
}

static void dump_streams(world *w, const orca_event *rv, size_t rn)
{
    char b[512];
    msgf(w, "    expected (reference), %zu events:\n", rn);
    for (size_t k = 0; k < rn; k++) {
        fmt_event(w, &rv[k], b, sizeof b);
        msgf(w, "      %s\n", b);
        dump_history(w, 1, &rv[k]);
    }
    msgf(w, "    got (engine), %zu events:\n", w->ev.n);
    for (size_t k = 0; k < w->ev.n; k++) {
        fmt_event(w, &w->ev.v[k], b, sizeof b);
        msgf(w, "      %s\n", b);
        dump_history(w, 0, &w->ev.v[k]);
    }
}

/* The first field two events differ in, or NULL. Every field is compared
 * (seq is checked apart; a callback record's due_ms is a log position). */
static const char *event_diff(const orca_event *x, const orca_event *y)
{
#define F(f) if (x->f != y->f) return #f
    F(type); F(interaction); F(agent); F(queue); F(time_ms); F(queue_from); F(channel);
    F(customer); F(priority); F(arrival_ms); F(wait_ms); F(duration_ms); F(sla_met);
    F(presence); F(reason); F(value); F(conversation); F(other); F(handle_ms); F(csat);
    F(fcr);
    if ((int)x->type < EVX_OFFER)
        F(due_ms);
#undef F
    return NULL;
}

/* Stats: why new work for queue q was refused as closed (0 a REJECT queue
 * in the chain, 1 a HOLD queue that does not open within a year, 2 a
 * redirect loop past 8 hops, 3 not understood), from the hours set. */
static uint32_t closed_why(const world *w, uint32_t q)
{
    for (int hops = 0; hops <= 8; hops++) {
        int open = 1;
        if (q < 1 || q > w->s->nqueues || ref_queue_is_open(w->r, q, &open) || open)
            return 3;
        const hspec *h = &w->hours[q];
        if (h->act == ORCA_CLOSED_REJECT)
            return 0;
        if (h->act == ORCA_CLOSED_HOLD)
            return 1;
        q = h->redir;
    }
    return 2;
}

/* Compare the engine's events of this op with the reference's; clear both. */
static int compare_events(world *w)
{
    const orca_event *rv;
    size_t rn = ref_events(w->r, &rv);
    int bad = 0;
    size_t at = 0;
    const char *what = "";
    for (size_t k = 0; k < w->ev.n; k++) {
        if ((int)w->ev.v[k].type >= EVX_OFFER)
            continue;
        if (w->ev.v[k].seq != w->last_seq + 1 && w->last_seq) {
            bad = 1; at = k; what = "engine event seq not consecutive";
            break;
        }
        w->last_seq = w->ev.v[k].seq;
    }
    for (size_t k = 0; !bad && k < (rn > w->ev.n ? rn : w->ev.n); k++) {
        at = k;
        if (k >= rn || k >= w->ev.n) { bad = 1; what = "different number of events"; break; }
        const char *d = event_diff(&rv[k], &w->ev.v[k]);
        if (d) {
            bad = 1;
            what = d;
        }
        if (bad)
            break;
    }
    if (bad) {
        msgf(w, "  event mismatch at event #%zu (%s)\n", at, what);
        dump_streams(w, rv, rn);
    } else {
        w->last_ref.n = 0;
        for (size_t k = 0; k < rn; k++)
            evbuf_push(&w->last_ref, &rv[k]);
        if (g_stats)
            for (size_t k = 0; k < rn; k++) {
                const orca_event *x = &rv[k];
                g_ev_count[(unsigned)x->type <= ORCA_EV_TYPE_COUNT ? x->type : 0]++;
                if (x->type == ORCA_EV_REJECTED && x->value == ORCA_WITHDRAW_AGENT_REMOVED)
                    g_special[0]++;
                if (x->type == ORCA_EV_AGENT_PRESENCE && x->reason == ORCA_REASON_NO_ANSWER)
                    g_special[1]++;
                if (x->type == ORCA_EV_OFFERED && k > 0 && rv[k - 1].type == ORCA_EV_OFFERED &&
                    rv[k - 1].time_ms == x->time_ms)
                    g_special[2]++;
                if (x->type == ORCA_EV_OFFERED && x->wait_ms == 0)
                    g_special[3]++;
                if ((int)x->type >= EVX_OFFER && (int)x->type <= EVX_CALL)
                    g_special[4 + (int)x->type - EVX_OFFER]++;
                if ((int)x->type == EVX_CALL && x->reason == 0)
                    g_special[7]++;
                for (int b = 0; b < 5; b++)
                    if (x->type == ORCA_EV_ENQUEUED && (x->value >> b & 1))
                        g_special[8 + b]++;
                if ((int)x->type == EVX_OFFER && x->queue_from)
                    g_special[13]++;
                if (x->type == ORCA_EV_TRANSFERRED && x->value == ORCA_TRANSFER_CONSULT)
                    g_special[14]++;
                if (x->type == ORCA_EV_TARGET_RELEASED && x->value < 5)
                    g_release[x->value]++;
                for (int b = 5; b < 10; b++)
                    if (x->type == ORCA_EV_ENQUEUED && (x->value >> b & 1))
                        g_special[16 + b - 5]++;
                if (x->type == ORCA_EV_SCHEDULED && x->value < 4)
                    g_sched[x->value]++;
                if (x->type == ORCA_EV_UNREACHED && (k + 1 >= rn || rv[k + 1].type != ORCA_EV_SCHEDULED))
                    g_special[21]++;              /* the last try: forgotten */
                if (x->type == ORCA_EV_DUE && k + 1 < rn && rv[k + 1].type == ORCA_EV_OFFERED &&
                    rv[k + 1].interaction == x->interaction)
                    g_special[22]++;              /* offered as soon as due */
                if (x->type == ORCA_EV_REJECTED_CLOSED)
                    g_closed[closed_why(w, x->queue)]++;
                if (x->type == ORCA_EV_SCHEDULED && x->value == ORCA_SCHED_CLOSED) {
                    w->held_closed[w->nheld_closed % 64] = x->interaction;
                    w->held_closed_due[w->nheld_closed++ % 64] = x->due_ms;
                }
                if (x->type == ORCA_EV_DUE)
                    for (uint32_t m = 0; m < 64 && m < w->nheld_closed; m++)
                        if (w->held_closed[m] == x->interaction &&
                            w->held_closed_due[m] == x->time_ms) {
                            g_special[28]++;      /* due at a closed queue's opening */
                            w->held_closed[m] = 0;
                        }
                if (x->type == ORCA_EV_ENQUEUED && (x->value & ORCA_ENQ_REDIRECTED) &&
                    (x->value & (ORCA_ENQ_TRANSFER | ORCA_ENQ_ESCALATED)))
                    g_special[29]++;
                if (x->type == ORCA_EV_ENQUEUED && (x->value & ORCA_ENQ_REDIRECTED) &&
                    k + 1 < rn && rv[k + 1].type == ORCA_EV_SCHEDULED &&
                    rv[k + 1].value == ORCA_SCHED_CLOSED)
                    g_special[30]++;
                if (x->type == ORCA_EV_ENQUEUED && (x->value & ORCA_ENQ_BOT) &&
                    (x->value & ORCA_ENQ_REDIRECTED))
                    g_special[31]++;
            }
    }
    w->ev.n = 0;
    ref_events_clear(w->r);
    return bad ? -1 : 0;
}

#define CMPF(label, a, b) do { if ((uint64_t)(a) != (uint64_t)(b)) { \
        msgf(w, "  %s: expected %" PRIu64 ", engine %" PRIu64 "\n", label, \
             (uint64_t)(a), (uint64_t)(b)); bad = 1; } } while (0)

static int cmp_skill_level(const void *a, const void *b)
{
    const orca_skill_level *x = a, *y = b;
    return x->skill < y->skill ? -1 : x->skill > y->skill;
}

static int compare_customer(world *w, uint64_t id)
{
    int bad = 0;
    char label[96];
    orca_customer_info x, y;
    int r1 = ref_customer_info_get(w->r, id, &x), r2 = orca_customer_info_get(w->e, id, &y);
    if (r1 != r2) {
        msgf(w, "  customer %" PRIu64 " info: expected %s, engine %s\n", id, rc_name(r1), rc_name(r2));
        return -1;
    }
    if (r1)
        return 0;
#define C(f) do { if (x.f != y.f) { snprintf(label, sizeof label, "customer %" PRIu64 " %s", id, #f); CMPF(label, x.f, y.f); } } while (0)
    C(customer); C(history); C(open); C(last_agent); C(last_answer_ms); C(last_active_ms);
    C(contacts);
#undef C
    orca_history_entry hx[ORCA_HISTORY_MAX], hy[ORCA_HISTORY_MAX];
    uint32_t nx = 0, ny = 0;
    r1 = ref_customer_history(w->r, id, hx, ORCA_HISTORY_MAX, &nx);
    r2 = orca_customer_history(w->e, id, hy, ORCA_HISTORY_MAX, &ny);
    if (r1 != r2 || nx != ny) {
        msgf(w, "  customer %" PRIu64 " history: expected %s n=%u, engine %s n=%u\n", id,
             rc_name(r1), nx, rc_name(r2), ny);
        bad = 1;
    } else {
        for (uint32_t k = 0; k < nx; k++) {
#define H(f) do { if (hx[k].f != hy[k].f) { \
                      snprintf(label, sizeof label, "customer %" PRIu64 " history[%u].%s", id, k, #f); \
                      CMPF(label, hx[k].f, hy[k].f); } } while (0)
            H(interaction); H(conversation); H(queue); H(channel); H(agent); H(arrival_ms);
            H(answer_ms); H(end_ms); H(outcome); H(disposition);
#undef H
        }
    }
    /* a short buffer gets the newest */
    r1 = ref_customer_history(w->r, id, hx, 1, &nx);
    r2 = orca_customer_history(w->e, id, hy, 1, &ny);
    if (r1 != r2 || nx != ny || (nx && hx[0].interaction != hy[0].interaction)) {
        msgf(w, "  customer %" PRIu64 " history (cap 1) differs\n", id);
        bad = 1;
    }
    uint64_t ox[REF_MAX_INTERACTIONS], oy[REF_MAX_INTERACTIONS];
    r1 = ref_customer_open(w->r, id, ox, REF_MAX_INTERACTIONS, &nx);
    r2 = orca_customer_open(w->e, id, oy, REF_MAX_INTERACTIONS, &ny);
    if (r1 != r2 || nx != ny || (nx && memcmp(ox, oy, nx * sizeof ox[0]))) {
        msgf(w, "  customer %" PRIu64 " open: expected %s n=%u [%" PRIu64 "...], engine %s n=%u [%" PRIu64 "...]\n",
             id, rc_name(r1), nx, nx ? ox[0] : 0, rc_name(r2), ny, ny ? oy[0] : 0);
        bad = 1;
    }
    return bad ? -1 : 0;
}

/* Every customer of the pool, the latest others, an unknown one; the
 * totals; the customer getters' bad inputs. */
static int compare_customers(world *w)
{
    int bad = 0;
    for (uint64_t k = 1; k <= w->s->ncust; k++)
        if (compare_customer(w, cust_id(w->s, k)))
            bad = 1;
    for (uint32_t k = 0; k < w->nocust; k++)
        if (compare_customer(w, w->ocust[k]))
            bad = 1;
    if (compare_customer(w, UNKNOWN_CUSTOMER))
        bad = 1;
    orca_customer_totals x, y;
    int r1 = ref_customer_totals_get(w->r, &x), r2 = orca_customer_totals_get(w->e, &y);
    if (r1 != r2) {
        msgf(w, "  customer totals: expected %s, engine %s\n", rc_name(r1), rc_name(r2));
        return -1;
    }
#define T(f) CMPF("totals." #f, x.f, y.f)
    T(customers); T(contacts); T(recontacts); T(channel_switches); T(targeted); T(sticky);
    T(target_offers); T(transfers); T(forgotten);
    T(bot_started); T(contained); T(escalated); T(scheduled); T(virtual_holds); T(unreached);
    T(resumed); T(closed_rejected); T(redirected);
#undef T
    /* bad inputs: customer 0, no output */
    orca_customer_info ci;
    orca_history_entry he;
    uint64_t id1 = cust_id(w->s, 1);
    uint32_t n;
    int codes[2][9];
    codes[0][0] = ref_customer_info_get(w->r, 0, &ci);
    codes[1][0] = orca_customer_info_get(w->e, 0, &ci);
    codes[0][1] = ref_customer_history(w->r, id1, NULL, 1, &n);
    codes[1][1] = orca_customer_history(w->e, id1, NULL, 1, &n);
    codes[0][2] = ref_customer_history(w->r, id1, &he, 1, NULL);
    codes[1][2] = orca_customer_history(w->e, id1, &he, 1, NULL);
    codes[0][3] = ref_customer_open(w->r, 0, NULL, 0, &n);
    codes[1][3] = orca_customer_open(w->e, 0, NULL, 0, &n);
    codes[0][4] = ref_customer_history(w->r, id1, NULL, 0, &n);
    codes[1][4] = orca_customer_history(w->e, id1, NULL, 0, &n);
    /* and the new mutating calls' (nothing changes) */
    orca_interaction_def def;
    orca_interaction_def_init(&def);
    def.id = UNKNOWN_INTERACTION;
    def.queue = 1;
    uint64_t some = w->niids ? w->iids[0] : UNKNOWN_INTERACTION;
    codes[0][5] = ref_interaction_transfer(w->r, 0, &def, ORCA_TRANSFER_BLIND);
    codes[1][5] = orca_interaction_transfer(w->e, 0, &def, ORCA_TRANSFER_BLIND);
    codes[0][6] = ref_interaction_transfer(w->r, some, NULL, ORCA_TRANSFER_CONSULT);
    codes[1][6] = orca_interaction_transfer(w->e, some, NULL, ORCA_TRANSFER_CONSULT);
    codes[0][7] = ref_interaction_set_disposition(w->r, 0, 5);
    codes[1][7] = orca_interaction_set_disposition(w->e, 0, 5);
    codes[0][8] = ref_customer_forget(w->r, 0);
    codes[1][8] = orca_customer_forget(w->e, 0);
    for (int k = 0; k < 9; k++)
        if (codes[0][k] != codes[1][k]) {
            msgf(w, "  customer getter bad input #%d: expected %s, engine %s\n", k,
                 rc_name(codes[0][k]), rc_name(codes[1][k]));
            bad = 1;
        }
    return bad ? -1 : 0;
}

static int compare_state(world *w)
{
    int bad = 0;
    char label[96];
    CMPF("clock", ref_now(w->r), orca_engine_now(w->e));

    orca_counts rc, ec;
    ref_counts(w->r, &rc);
    if (orca_engine_counts(w->e, &ec) != 0) {
        msgf(w, "  orca_engine_counts failed\n");
        return -1;
    }
    CMPF("counts.skills", rc.skills, ec.skills);
    CMPF("counts.channels", rc.channels, ec.channels);
    CMPF("counts.queues", rc.queues, ec.queues);
    CMPF("counts.agents", rc.agents, ec.agents);
    CMPF("counts.agents_ready", rc.agents_ready, ec.agents_ready);
    CMPF("counts.interactions", rc.interactions, ec.interactions);
    CMPF("counts.waiting", rc.waiting, ec.waiting);
    CMPF("counts.offered", rc.offered, ec.offered);
    CMPF("counts.busy", rc.busy, ec.busy);
    CMPF("counts.wrapup", rc.wrapup, ec.wrapup);
    CMPF("counts.scheduled", rc.scheduled, ec.scheduled);
    CMPF("counts.bot", rc.bot, ec.bot);

    uint64_t rd = 0, ed = 0;
    int rdr = ref_next_deadline(w->r, &rd), edr = orca_engine_next_deadline(w->e, &ed);
    if (g_skip_deadline) {
        /* left out */
    } else if (rdr != edr) {
        msgf(w, "  next_deadline: expected %s %" PRIu64 ", engine %s %" PRIu64 "\n",
             rc_name(rdr), rd, rc_name(edr), ed);
        bad = 1;
    } else if (rdr == 0) {
        CMPF("next_deadline", rd, ed);
    }

    uint64_t nids = agent_ids_in_use(w->s);
    for (uint64_t id = 1; id <= nids + 1; id++) {
        uint64_t aid = id == nids + 1 ? UNKNOWN_AGENT : agent_id(w->s, id);
        orca_agent_info x, y;
        int r1 = ref_agent_info_get(w->r, aid, &x), r2 = orca_agent_info_get(w->e, aid, &y);
        if (r1 != r2) {
            msgf(w, "  agent %" PRIu64 " info: expected %s, engine %s\n", aid, rc_name(r1), rc_name(r2));
            bad = 1;
            continue;
        }
        if (r1)
            continue;
#define A(f) do { if (x.f != y.f) { snprintf(label, sizeof label, "agent %" PRIu64 " %s", aid, #f); CMPF(label, x.f, y.f); } } while (0)
        A(presence); A(reason); A(capacity); A(used); A(offered); A(busy); A(wrapup);
        A(handled); A(missed); A(idle_since_ms); A(busy_units_ms);
        CMPF("agent data", (uintptr_t)x.data, (uintptr_t)y.data);
#undef A
    }

    for (uint32_t n = 0; n <= w->niids; n++) {
        uint64_t id = n < w->niids ? w->iids[n] : UNKNOWN_INTERACTION;
        orca_interaction_info x, y;
        int r1 = ref_interaction_info_get(w->r, id, &x), r2 = orca_interaction_info_get(w->e, id, &y);
        if (r1 != r2) {
            msgf(w, "  interaction %" PRIu64 " info: expected %s, engine %s\n", id, rc_name(r1), rc_name(r2));
            bad = 1;
            continue;
        }
        if (r1)
            continue;
#define I(f) do { if (x.f != y.f) { snprintf(label, sizeof label, "interaction %" PRIu64 " %s", id, #f); CMPF(label, x.f, y.f); } } while (0)
        I(state); I(queue); I(channel); I(customer); I(priority); I(arrival_ms); I(queued_ms);
        I(agent); I(attempts); I(step); I(nrequired);
        I(conversation); I(target_agent); I(target_until_ms); I(target_required);
        I(transfer_to); I(transfer_from); I(disposition);
        CMPF("interaction data", (uintptr_t)x.data, (uintptr_t)y.data);
        if (x.state == ORCA_STATE_WAITING)
            I(effective_priority);
#undef I
        if (x.nrequired == y.nrequired && x.nrequired <= ORCA_MAX_REQUIRED) {
            qsort(x.required, x.nrequired, sizeof x.required[0], cmp_skill_level);
            qsort(y.required, y.nrequired, sizeof y.required[0], cmp_skill_level);
            for (uint32_t k = 0; k < x.nrequired; k++)
                if (x.required[k].skill != y.required[k].skill || x.required[k].level != y.required[k].level) {
                    msgf(w, "  interaction %" PRIu64 " required skills differ\n", id);
                    bad = 1;
                    break;
                }
        }
    }

    for (uint32_t q = 1; q <= w->s->nqueues + 1; q++) {
        orca_queue_info x, y;
        int r1 = ref_queue_info_get(w->r, q, &x), r2 = orca_queue_info_get(w->e, q, &y);
        if (r1 != r2) {
            msgf(w, "  queue %u info: expected %s, engine %s\n", q, rc_name(r1), rc_name(r2));
            bad = 1;
            continue;
        }
        if (r1)
            continue;
#define Q(f) do { if (x.f != y.f) { snprintf(label, sizeof label, "queue %u %s", q, #f); CMPF(label, x.f, y.f); } } while (0)
        Q(waiting); Q(offered); Q(members); Q(strategy);
        if (!g_skip_oldest)
            Q(oldest_arrival_ms);
#undef Q
    }
    if (compare_customers(w))
        bad = 1;
    return bad ? -1 : 0;
}

static int cmp_u64_asc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int same_ids(world *w, const char *what, const uint64_t *x, uint32_t nx,
                    const uint64_t *y, uint32_t ny)
{
    for (uint32_t k = 0; k < nx || k < ny; k++)
        if (k >= nx || k >= ny || x[k] != y[k]) {
            msgf(w, "  %s: entry %u expected %" PRIu64 ", engine %" PRIu64 " (%u vs %u entries)\n",
                 what, k, k < nx ? x[k] : 0, k < ny ? y[k] : 0, nx, ny);
            return -1;
        }
    return 0;
}

/* Listings and positions against the reference: a few positions after
 * every op (each interaction in turn), and every 8th op the whole
 * routing-order listing of each queue, the agents and the live
 * interactions, paged by small pages so cursors are exercised. */
static int compare_listings(world *w)
{
    static uint64_t rid[REF_MAX_INTERACTIONS + REF_MAX_AGENTS], eid[REF_MAX_INTERACTIONS + REF_MAX_AGENTS];
    orca_interaction_info page[5];
    orca_agent_info apage[5];
    char label[64];
    int bad = 0;
    uint32_t rn, en, n;
    w->ncompared++;
    for (uint32_t k = 0; k < 4 && w->niids; k++) {
        uint64_t id = w->iids[(w->ncompared * 4u + k) % w->niids];
        uint32_t ra = 0, rw = 0, ea = 0, ew = 0;
        int r1 = ref_interaction_position(w->r, id, &ra, &rw);
        int r2 = orca_interaction_position(w->e, id, &ea, &ew);
        if (r1 != r2 || (r1 == 0 && (ra != ea || rw != ew))) {
            msgf(w, "  interaction %" PRIu64 " position: expected %s %u of %u, engine %s %u of %u\n",
                 id, rc_name(r1), ra, rw, rc_name(r2), ea, ew);
            bad = 1;
        }
    }
    if (w->ncompared % 8)
        return bad ? -1 : 0;
    for (uint32_t q = 1; q <= w->s->nqueues + 1; q++) {
        int r1 = ref_queue_waiting(w->r, q, rid, REF_MAX_INTERACTIONS, &rn);
        orca_cursor c = {0};
        int r2;
        en = 0;
        while ((r2 = orca_queue_waiting_list(w->e, q, &c, page, 5, &n)) == 0) {
            for (uint32_t k = 0; k < n && en < REF_MAX_INTERACTIONS; k++)
                eid[en++] = page[k].id;
            if (n < 5)
                break;
        }
        if (r1 != r2) {
            msgf(w, "  queue %u waiting list: expected %s, engine %s\n", q, rc_name(r1), rc_name(r2));
            bad = 1;
            continue;
        }
        snprintf(label, sizeof label, "queue %u routing order", q);
        if (r1 == 0 && same_ids(w, label, rid, rn, eid, en))
            bad = 1;
    }
    ref_live_ids(w->r, 0, rid, REF_MAX_AGENTS, &rn);
    qsort(rid, rn, sizeof rid[0], cmp_u64_asc);
    orca_cursor c = {0};
    en = 0;
    while (orca_agent_list(w->e, &c, apage, 5, &n) == 0 && n) {
        for (uint32_t k = 0; k < n && en < REF_MAX_AGENTS; k++)
            eid[en++] = apage[k].id;
    }
    if (same_ids(w, "agent list", rid, rn, eid, en))
        bad = 1;
    ref_live_ids(w->r, 1, rid, REF_MAX_INTERACTIONS, &rn);
    qsort(rid, rn, sizeof rid[0], cmp_u64_asc);
    c = (orca_cursor){0, 0};
    en = 0;
    while (orca_interaction_list(w->e, &c, page, 5, &n) == 0 && n) {
        for (uint32_t k = 0; k < n && en < REF_MAX_INTERACTIONS; k++)
            eid[en++] = page[k].id;
    }
    if (same_ids(w, "interaction list", rid, rn, eid, en))
        bad = 1;
    return bad ? -1 : 0;
}

/* After a call: events, the engine's own check, the reference's, state. */
static int after_call_op(world *w, const char *what, const op *o, int rc_e, int rc_r);

static int after_call(world *w, const char *what, int rc_e, int rc_r)
{
    return after_call_op(w, what, NULL, rc_e, rc_r);
}

/* The text of an op, made only when a message needs it. */
static const char *op_text(const world *w, const char *what, const op *o, char *buf, size_t len)
{
    if (!o)
        return what;
    fmt_op(w, o, buf, len);
    return buf;
}

static int after_call_op(world *w, const char *what, const op *o, int rc_e, int rc_r)
{
    char opbuf[512];
    int bad = 0;
    if (rc_e != rc_r) {
        msgf(w, "  return code of %s: expected %s, engine %s\n", op_text(w, what, o, opbuf, sizeof opbuf),
             rc_name(rc_r), rc_name(rc_e));
        bad = 1;
    }
    if (compare_events(w))
        bad = 1;
    int ck = g_skip_check ? 0 : orca_engine_check(w->e);
    if (ck != 0) {
        msgf(w, "  orca_engine_check() = %s after %s\n", rc_name(ck), op_text(w, what, o, opbuf, sizeof opbuf));
        bad = 1;
    }
    char buf[256];
    if (ref_check(w->r, buf, sizeof buf)) {
        msgf(w, "  REFERENCE INVARIANT BROKEN: %s\n", buf);
        bad = 1;
    }
    if (compare_state(w))
        bad = 1;
    if (compare_listings(w))
        bad = 1;
    return bad ? -1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Opening a world from a setup                                             */
/* ------------------------------------------------------------------------ */

static void build_qdef(const world *w, const qspec *q, uint32_t k, orca_queue_def *d,
                       char name[16], orca_skill_level sk[2], orca_step st[MAX_QSTEPS])
{
    orca_queue_def_init(d);
    snprintf(name, 16, "q%u", k + 1);
    d->name = name;
    d->strategy = q->strategy;
    d->serve = q->serve;
    for (uint32_t m = 0; m < q->nskills; m++) {
        sk[m].skill = w->sid[q->skill_idx[m]];
        sk[m].level = (uint8_t)q->skill_lvl[m];
    }
    d->skills = q->nskills ? sk : NULL;
    d->nskills = q->nskills;
    d->skills_tier = (uint8_t)q->skills_tier;
    d->max_size = q->max_size;
    d->max_wait_ms = q->max_wait_ms;
    d->aging_ms = q->aging_ms;
    d->aging_max = (uint8_t)q->aging_max;
    d->wrapup_ms = q->wrapup_ms;
    d->sla_ms = q->sla_ms;
    d->offer_timeout_ms = q->offer_timeout_ms;
    for (uint32_t m = 0; m < q->nsteps; m++) {
        memset(&st[m], 0, sizeof st[m]);
        st[m].after_ms = q->steps[m].after_ms;
        st[m].action = (orca_step_action)q->steps[m].action;
        st[m].skill = w->sid[q->steps[m].skill_idx];
        st[m].level = (uint8_t)q->steps[m].level;
    }
    d->steps = q->nsteps ? st : NULL;
    d->nsteps = q->nsteps;
    d->overflow_after_ms = q->overflow_after_ms;
    d->overflow_to = q->overflow_to;
    d->sticky_ms = q->sticky_ms;
    d->sticky_within_ms = q->sticky_within_ms;
    d->callback_attempts = q->callback_attempts;
    d->callback_retry_ms = q->callback_retry_ms;
    d->resume_ms = q->resume_ms;
}

/* Free both sides; -1 (with a message) if the engine leaked memory. */
/* The setup's offer callbacks on the engine (and, if ref, the reference):
 * host pointers, so set again after a restore. */
static int set_callbacks(world *w, int ref)
{
    const setup *s = w->s;
    int bad = 0;
    if (!s->cb_mode)
        return 0;
    for (uint32_t ch = 0; ch < ORCA_MAX_CHANNELS; ch++) {
        if (!(s->cb_mask & (1u << ch)))
            continue;
        if (ch >= ORCA_CHANNEL_BUILTIN_COUNT && !(s->host && ch == w->host_ch))
            continue;
        static const orca_channel_callbacks ecb = {cb_offer_engine, cb_withdraw_engine};
        static const orca_channel_callbacks rcb = {cb_offer_ref, cb_withdraw_ref};
        int r1 = orca_channel_set_callbacks(w->e, ch, &ecb, w);
        int r2 = ref ? ref_channel_set_callbacks(w->r, ch, &rcb, w) : r1;
        if (after_call(w, "channel_set_callbacks", r1, r2))
            bad = 1;
    }
    return bad;
}

/* OP_RESTORE: the engine's state as a snapshot (snap_save), restored into
 * a new engine (snap_load) which carries on in its place. The reference
 * sees nothing: the scenario must go on exactly as before. */
static int world_restore(world *w)
{
    orca_config cfg = w->s->cfg;
    cfg.alloc = guard_alloc;
    cfg.alloc_ud = &w->ga;
    orca_engine *n;
    int h, rc = orca_engine_new(&cfg, &n);
    if (rc || orca_listener_add(n, on_event, w, &h))
        abort();
    if ((rc = snap_copy(w->e, n))) {
        msgf(w, "  snap_copy: %s\n", rc_name(rc));
        orca_engine_free(n);
        return -1;
    }
    char *d0 = tu_dump(w->e), *d1 = tu_dump(n);
    int same = strcmp(d0, d1) == 0;
    if (!same)
        msgf(w, "  the restored engine's dump differs:\n--- before\n%.2000s\n--- after\n%.2000s\n",
             d0, d1);
    free(d0);
    free(d1);
    orca_engine_free(w->e);
    w->e = n;
    return same ? 0 : -1;
}

/* OP_RESTORE_OFFLINE: OP_RESTORE, then the steps orca_journal_replay ends
 * with (mode: see OP_RESTORE_OFFLINE), called directly. */
static int world_restore_offline(world *w, uint32_t mode)
{
    int rc;
    if (world_restore(w))
        return ORCA_ECORRUPT;
    if (mode != 2 && (rc = jrn_offline_all(w->e)))
        return rc;
    return mode != 0 ? jrn_recover_offers(w->e, NULL) : ORCA_OK;
}

static int world_close(world *w)
{
    orca_engine_free(w->e);
    int leak = w->e && (w->ga.live_bytes || w->ga.live_blocks);
    if (leak)
        msgf(w, "  orca_engine_free() left %zu bytes in %zu blocks allocated\n",
             w->ga.live_bytes, w->ga.live_blocks);
    ref_free(w->r);
    free(w->ev.v);
    free(w->last_ref.v);
    free(w->hlog[0]);
    free(w->hlog[1]);
    w->hlog[0] = w->hlog[1] = NULL;
    w->e = NULL;
    w->r = NULL;
    w->ev.v = NULL;
    w->last_ref.v = NULL;
    return leak ? -1 : 0;
}

static void hours_of(const hspec *hs, orca_hours *h)
{
    memset(h, 0, sizeof *h);
    h->utc_offset_min = hs->off;
    h->ranges = hs->nr ? hs->r : NULL;
    h->nranges = hs->nr;
    h->exceptions = hs->nx ? hs->x : NULL;
    h->nexceptions = hs->nx;
    h->when_closed = (orca_closed_action)hs->act;
    h->redirect_to = hs->redir;
}

static int world_open(world *w, const setup *s, const ref_options *opt)
{
    memset(w, 0, sizeof *w);
    w->s = s;
    orca_config cfg = s->cfg;
    cfg.alloc = guard_alloc;
    cfg.alloc_ud = &w->ga;
    int rc = orca_engine_new(&cfg, &w->e);
    if (rc) {
        msgf(w, "  orca_engine_new: %s\n", rc_name(rc));
        return -1;
    }
    w->r = ref_new(&s->cfg, opt);
    if (!w->r)
        abort();
    int h;
    if ((rc = orca_listener_add(w->e, on_event, w, &h))) {
        msgf(w, "  orca_listener_add: %s\n", rc_name(rc));
        return -1;
    }
    int bad = 0;
    for (uint32_t k = 0; k < s->nskills; k++) {
        char name[16];
        snprintf(name, sizeof name, "s%u", k);
        rc = orca_skill_intern(w->e, name, &w->sid[k]);
        if (rc) {
            msgf(w, "  orca_skill_intern(%s): %s\n", name, rc_name(rc));
            return -1;
        }
        int rr = ref_skill_define(w->r, w->sid[k]);
        if (after_call(w, "skill_intern", rc, rr))
            bad = 1;
    }
    if (s->host) {
        orca_channel_def cd;
        memset(&cd, 0, sizeof cd);
        cd.name = "whatsapp";
        cd.cost = s->host_cost;
        cd.wrapup_ms = s->host_wrapup;
        orca_channel_id c1 = 0, c2 = 0;
        int r1 = orca_channel_add(w->e, &cd, &c1), r2 = ref_channel_add(w->r, &cd, &c2);
        if (c1 != c2 && !r1) {
            msgf(w, "  channel id: expected %u, engine %u\n", c2, c1);
            bad = 1;
        }
        w->host_ch = c1;
        if (after_call(w, "channel_add", r1, r2))
            bad = 1;
    }
    if (set_callbacks(w, 1))
        bad = 1;
    for (uint32_t k = 0; k < ORCA_CHANNEL_BUILTIN_COUNT; k++)
        if (s->builtin_wrapup[k]) {
            int r1 = orca_channel_set_wrapup(w->e, k, s->builtin_wrapup[k]);
            int r2 = ref_channel_set_wrapup(w->r, k, s->builtin_wrapup[k]);
            if (after_call(w, "channel_set_wrapup", r1, r2))
                bad = 1;
        }
    for (uint32_t k = 0; k < s->nqueues; k++) {
        orca_queue_def d;
        char name[16];
        orca_skill_level sk[2];
        orca_step st[MAX_QSTEPS];
        build_qdef(w, &s->q[k], k, &d, name, sk, st);
        orca_queue_id q1 = 0, q2 = 0;
        int r1 = orca_queue_add(w->e, &d, &q1), r2 = ref_queue_add(w->r, &d, &q2);
        if (q1 != q2 && !r1) {
            msgf(w, "  queue id: expected %u, engine %u\n", q2, q1);
            bad = 1;
        }
        if (after_call(w, "queue_add", r1, r2))
            bad = 1;
    }
    for (uint32_t k = 0; k < s->nqueues; k++) {
        if (!s->q[k].hours.on)
            continue;
        orca_hours hd;
        hours_of(&s->q[k].hours, &hd);
        int r1 = orca_queue_set_hours(w->e, k + 1, &hd), r2 = ref_queue_set_hours(w->r, k + 1, &hd);
        w->hours[k + 1] = s->q[k].hours;
        if (after_call(w, "queue_set_hours", r1, r2))
            bad = 1;
    }
    return bad ? -1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Applying an op to both sides                                             */
/* ------------------------------------------------------------------------ */

static void op_agent_def(const op *o, orca_agent_def *d)
{
    orca_agent_def_init(d);
    d->id = o->id;
    d->skills = o->nskills ? o->skills : NULL;
    d->nskills = o->nskills;
    d->capacity = o->capacity;
    d->weight = o->weight;
    d->limits = o->nlimits ? o->limits : NULL;
    d->nlimits = o->nlimits;
    d->data = (void *)(uintptr_t)o->data;
}

static void op_inter_def(const op *o, orca_interaction_def *d)
{
    orca_interaction_def_init(d);
    d->id = o->id;
    d->queue = o->queue;
    d->channel = o->channel;
    d->customer = o->customer;
    d->priority = o->v;
    d->required = o->nreq ? o->req : NULL;
    d->nrequired = o->nreq;
    d->preferred = o->npref ? o->pref : NULL;
    d->npreferred = o->npref;
    d->data = (void *)(uintptr_t)o->data;
    d->conversation = o->conversation;
    d->agent = o->agent;
    d->agent_wait_ms = o->agent_wait_ms;
    d->agent_required = o->agent_required;
    d->not_before_ms = o->not_before;
    d->early_ms = o->early_ms;
    d->bot = o->bot;
    if (o->kind == OP_TRANSFER || o->kind == OP_ESCALATE)
        d->id = o->id2;
}

/* Customers outside the pool are compared too (the latest few). */
static void note_cust(world *w, uint64_t id)
{
    const setup *s = w->s;
    if (!id || id == UNKNOWN_CUSTOMER)
        return;
    for (uint64_t k = 1; k <= s->ncust; k++)
        if (cust_id(s, k) == id)
            return;
    for (uint32_t k = 0; k < w->nocust; k++)
        if (w->ocust[k] == id)
            return;
    if (w->nocust == MAX_OTHER_CUST) {
        memmove(w->ocust, w->ocust + 1, (MAX_OTHER_CUST - 1) * sizeof w->ocust[0]);
        w->nocust--;
    }
    w->ocust[w->nocust++] = id;
}

static void note_iid(world *w, uint64_t id)
{
    if (id == UNKNOWN_INTERACTION)
        return;
    for (uint32_t k = 0; k < w->niids; k++)
        if (w->iids[k] == id)
            return;
    if (w->niids < MAX_OPS)
        w->iids[w->niids++] = id;
}

/* Apply o to the engine and the reference, compare. 0 or -1 (see w->msg). */
static uint32_t held_count_in(const world *w, uint64_t agent, orca_interaction_state st);

/* ORCA_DIFF_STATS: what an OP_RESTORE_OFFLINE did (the reference's view). */
static void count_offline(const world *w)
{
    const orca_event *v;
    size_t n = ref_events(w->r, &v);
    for (size_t k = 0; k < n; k++) {
        g_offline[0] += v[k].type == ORCA_EV_AGENT_PRESENCE;
        g_offline[1] += v[k].type == ORCA_EV_TARGET_RELEASED;
        g_offline[2] += v[k].type == ORCA_EV_REJECTED && v[k].value == ORCA_WITHDRAW_RECOVERED;
        g_offline[3] += v[k].type == ORCA_EV_OFFERED;
    }
}

static int world_apply(world *w, const op *o, int *rc_out)
{
    int r1 = 0, r2 = 0;
    /* ORCA_DIFF_STATS: what the op found (the reference's view) */
    orca_interaction_info before;
    int before_ok = g_stats && !w->ref_only && ref_interaction_info_get(w->r, o->id, &before) == 0;
    uint32_t sched_held = g_stats && !w->ref_only && o->kind == OP_AGENT_REMOVE
                        ? held_count_in(w, o->id, ORCA_STATE_SCHEDULED) : 0;
    orca_agent_def ad;
    orca_interaction_def idef;
    switch (o->kind) {
    case OP_AGENT_ADD:
        op_agent_def(o, &ad);
        r1 = w->ref_only ? 0 : orca_agent_add(w->e, &ad);
        r2 = ref_agent_add(w->r, &ad);
        break;
    case OP_AGENT_UPDATE:
        op_agent_def(o, &ad);
        r1 = w->ref_only ? 0 : orca_agent_update(w->e, &ad);
        r2 = ref_agent_update(w->r, &ad);
        break;
    case OP_AGENT_REMOVE:
        r1 = w->ref_only ? 0 : orca_agent_remove(w->e, o->id);
        r2 = ref_agent_remove(w->r, o->id);
        break;
    case OP_PRESENCE:
        r1 = w->ref_only ? 0 : orca_agent_set_presence(w->e, o->id, (orca_presence)o->v, o->reason);
        r2 = ref_agent_set_presence(w->r, o->id, (orca_presence)o->v, o->reason);
        break;
    case OP_MEMBER_ADD:
        r1 = w->ref_only ? 0 : orca_queue_member_add(w->e, o->queue, o->id, o->v);
        r2 = ref_queue_member_add(w->r, o->queue, o->id, o->v);
        break;
    case OP_MEMBER_REMOVE:
        r1 = w->ref_only ? 0 : orca_queue_member_remove(w->e, o->queue, o->id);
        r2 = ref_queue_member_remove(w->r, o->queue, o->id);
        break;
    case OP_RANK:
        r1 = w->ref_only ? 0 : orca_agent_set_queue_rank(w->e, o->id, o->queue, o->v);
        r2 = ref_agent_set_queue_rank(w->r, o->id, o->queue, o->v);
        break;
    case OP_ENQUEUE:
        op_inter_def(o, &idef);
        note_iid(w, o->id);
        note_cust(w, o->customer);
        r1 = w->ref_only ? 0 : orca_interaction_enqueue(w->e, &idef);
        r2 = ref_interaction_enqueue(w->r, &idef);
        break;
    case OP_TRANSFER:
        op_inter_def(o, &idef);
        note_iid(w, o->id2);
        r1 = w->ref_only ? 0 : orca_interaction_transfer(w->e, o->id, &idef, (orca_transfer_mode)o->reason);
        r2 = ref_interaction_transfer(w->r, o->id, &idef, (orca_transfer_mode)o->reason);
        break;
    case OP_DISPOSITION:
        r1 = w->ref_only ? 0 : orca_interaction_set_disposition(w->e, o->id, o->v);
        r2 = ref_interaction_set_disposition(w->r, o->id, o->v);
        break;
    case OP_FORGET:
        note_cust(w, o->id);
        r1 = w->ref_only ? 0 : orca_customer_forget(w->e, o->id);
        r2 = ref_customer_forget(w->r, o->id);
        break;
    case OP_QUEUE_REMOVE:
        r1 = w->ref_only ? 0 : orca_queue_remove(w->e, o->queue);
        r2 = ref_queue_remove(w->r, o->queue);
        break;
    case OP_ACCEPT:
        r1 = w->ref_only ? 0 : orca_offer_accept(w->e, o->id);
        r2 = ref_offer_accept(w->r, o->id);
        break;
    case OP_REJECT:
        r1 = w->ref_only ? 0 : orca_offer_reject(w->e, o->id);
        r2 = ref_offer_reject(w->r, o->id);
        break;
    case OP_END:
        r1 = w->ref_only ? 0 : orca_interaction_end(w->e, o->id);
        r2 = ref_interaction_end(w->r, o->id);
        break;
    case OP_WRAPUP_DONE:
        r1 = w->ref_only ? 0 : orca_interaction_wrapup_done(w->e, o->id);
        r2 = ref_interaction_wrapup_done(w->r, o->id);
        break;
    case OP_ABANDON:
        r1 = w->ref_only ? 0 : orca_interaction_abandon(w->e, o->id);
        r2 = ref_interaction_abandon(w->r, o->id);
        break;
    case OP_CANCEL:
        r1 = w->ref_only ? 0 : orca_interaction_cancel(w->e, o->id);
        r2 = ref_interaction_cancel(w->r, o->id);
        break;
    case OP_PRIORITY:
        r1 = w->ref_only ? 0 : orca_interaction_set_priority(w->e, o->id, o->v);
        r2 = ref_interaction_set_priority(w->r, o->id, o->v);
        break;
    case OP_ADVANCE:
        r1 = w->ref_only ? 0 : orca_engine_advance(w->e, o->t);
        r2 = ref_advance(w->r, o->t);
        break;
    case OP_CHANNEL_WRAPUP:
        r1 = w->ref_only ? 0 : orca_channel_set_wrapup(w->e, o->channel, o->v);
        r2 = ref_channel_set_wrapup(w->r, o->channel, o->v);
        break;
    case OP_HOURS: {
        orca_hours h;
        hours_of(&o->hs, &h);
        r1 = w->ref_only ? 0 : orca_queue_set_hours(w->e, o->queue, o->hs.on ? &h : NULL);
        r2 = ref_queue_set_hours(w->r, o->queue, o->hs.on ? &h : NULL);
        if (r2 == ORCA_OK)
            w->hours[o->queue] = o->hs;
        break;
    }
    case OP_RESTORE:
        r1 = w->ref_only || !world_restore(w) ? 0 : ORCA_ECORRUPT;
        r2 = 0;
        break;
    case OP_RESTORE_OFFLINE:
        r1 = w->ref_only ? 0 : world_restore_offline(w, o->v);
        r2 = o->v != 2 ? ref_offline_all(w->r) : 0;
        if (!r2 && o->v != 0)
            r2 = ref_recover_offers(w->r);
        if (g_stats)
            count_offline(w);
        break;
    case OP_UNREACHED:
        r1 = w->ref_only ? 0 : orca_interaction_unreached(w->e, o->id);
        r2 = ref_interaction_unreached(w->r, o->id);
        break;
    case OP_ESCALATE:
        op_inter_def(o, &idef);
        r1 = w->ref_only ? 0 : orca_interaction_escalate(w->e, o->id, &idef);
        r2 = ref_interaction_escalate(w->r, o->id, &idef);
        break;
    case OP_CALLBACK:
        r1 = w->ref_only ? 0 : orca_interaction_callback(w->e, o->id, o->channel, o->not_before);
        r2 = ref_interaction_callback(w->r, o->id, o->channel, o->not_before);
        break;
    case OP_KINDS:
        break;
    }
    if (rc_out)
        *rc_out = r2;
    if (g_stats && !w->ref_only && (unsigned)o->kind < OP_KINDS && r2 <= 0 && r2 > -13)
        g_rc_count[o->kind][-r2]++;
    if (sched_held && r2 == ORCA_OK)
        g_special[27]++;
    if (before_ok && r2 == ORCA_OK) {
        int drop = o->kind == OP_ABANDON || o->kind == OP_CANCEL;
        if (drop && before.state == ORCA_STATE_SCHEDULED)
            g_special[23]++;
        if (drop && before.state == ORCA_STATE_BOT)
            g_special[24]++;
        if (o->kind == OP_CALLBACK && before.state == ORCA_STATE_SCHEDULED)
            g_special[25]++;
        if (o->kind == OP_UNREACHED && before.transfer_to)
            g_special[26]++;
    }
    if (w->ref_only) {
        ref_events_clear(w->r);
        return 0;
    }
    return after_call_op(w, NULL, o, r1, r2);
}

/* ------------------------------------------------------------------------ */
/* Random generation                                                        */
/* ------------------------------------------------------------------------ */

static const uint8_t agent_levels[] = {1, 2, 3, 4, 5, 5, 7, 10};
static const uint8_t work_levels[] = {1, 2, 3, 3, 5};

/* Opening hours for queue q (1-based) around clock `now`: mostly a few
 * short ranges (1..3 minutes, with gaps) on the local day around the local
 * time of now, so a scenario's clock crosses openings and closings;
 * sometimes a whole day or a 9-17 on some day; sometimes none (closed but
 * for exceptions). Exceptions (holidays, special openings) near now, a few
 * seconds to a minute long. Any of the three closed actions. */
static void gen_hours(const setup *s, uint64_t *g, uint64_t now, uint32_t q, hspec *h)
{
    static const int32_t offs[] = {0, 0, 60, -300, 330, 840, -840, 545, -1, 1};
    memset(h, 0, sizeof *h);
    h->on = 1;
    h->off = chance(g, 70) ? offs[rnd(g, 10)] : (int32_t)rnd(g, 1681) - 840;
    if (chance(g, 15)) {
        /* an offset that puts local time a few minutes before midnight
         * (so ranges cross local days, sometimes Saturday into Sunday) */
        int64_t utc_min = (int64_t)((now / 60000) % 1440);
        int64_t off = ((1434 + (int64_t)rnd(g, 8) - utc_min) % 1440 + 1440) % 1440;
        if (off > 840)
            off -= 1440;
        h->off = (int32_t)off;
    }
    int64_t local = (int64_t)now + (int64_t)h->off * 60000;
    int64_t day = local >= 0 ? local / 86400000 : -((-local + 86399999) / 86400000);
    int64_t wday = ((day + 4) % 7 + 7) % 7;
    int64_t m = (local - day * 86400000) / 60000;     /* local minute of the day */
    uint32_t mode = rnd(g, 100);
    if (mode < 75) {
        uint32_t n = 1 + rnd(g, 5);
        int64_t b = m - 2 + (int64_t)rnd(g, 6);
        for (uint32_t k = 0; k < n && h->nr < MAX_HR; k++) {
            int64_t mm = b, dd = wday;
            uint32_t len = 1 + rnd(g, 3);
            if (mm < 0) {
                mm += 1440;
                dd = (dd + 6) % 7;
            } else if (mm >= 1440) {
                mm -= 1440;
                dd = (dd + 1) % 7;
            }
            orca_hours_range *r = &h->r[h->nr++];
            r->day = (uint32_t)dd;
            r->open_min = (uint32_t)mm;
            r->close_min = (uint32_t)(mm + len > 1440 ? 1440 : mm + len);
            b += len + rnd(g, 4);
        }
    } else if (mode < 90) {
        orca_hours_range *r = &h->r[h->nr++];
        r->day = chance(g, 50) ? (uint32_t)wday : rnd(g, 7);
        r->open_min = chance(g, 50) ? 0 : 540;
        r->close_min = r->open_min ? 1020 : 1440;
    }
    if (h->nr < MAX_HR && chance(g, 30)) {       /* an opening days away */
        orca_hours_range *r = &h->r[h->nr++];
        r->day = rnd(g, 7);
        r->open_min = 60 * rnd(g, 20);
        r->close_min = r->open_min + 60 * (1 + rnd(g, 4));
    }
    uint32_t nx = chance(g, 45) ? 0 : 1 + rnd(g, MAX_HX);
    uint32_t unit = s->gran < 250 ? 500 : s->gran;
    for (uint32_t k = 0; k < nx; k++) {
        orca_hours_exception *x = &h->x[h->nx++];
        int64_t from = (int64_t)now + ((int64_t)rnd(g, 160) - 20) * unit;
        if (chance(g, 10))
            from += (int64_t)rnd(g, 1000);       /* not on the scenario's grid */
        x->from_ms = from < 0 ? 0 : (uint64_t)from;
        x->to_ms = x->from_ms + (uint64_t)(1 + rnd(g, 120)) * unit;
        x->open = chance(g, 50);
        if (chance(g, 8)) {
            /* a long one: well within a year, well past a year, or for
             * ever (to ORCA_TIME_MAX): a HOLD queue it closes opens after
             * it, or never "within a year" (ORCA_ECLOSED) */
            uint32_t k2 = rnd(g, 3);
            x->to_ms = k2 == 0 ? x->from_ms + 300ull * 86400000
                     : k2 == 1 ? x->from_ms + 400ull * 86400000 : ORCA_TIME_MAX;
            x->open = chance(g, 20);
        }
    }
    h->act = rnd(g, 3);
    if (h->act == ORCA_CLOSED_REDIRECT && s->nqueues < 2)
        h->act = rnd(g, 2);
    if (h->act == ORCA_CLOSED_REDIRECT) {
        h->redir = 1 + rnd(g, s->nqueues - 1);
        if (h->redir >= q)
            h->redir++;
    }
}

static void gen_setup(setup *s, uint64_t *g)
{
    memset(s, 0, sizeof *s);
    orca_config_init(&s->cfg);
    s->cfg.seed = sm64(g);
    /* a few start within 10 minutes of the clock's end: offers and
     * wrap-ups end at ORCA_TIME_MAX - 1, later deadlines never come */
    s->cfg.start_ms = chance(g, 20)  ? 0
                      : chance(g, 3) ? ORCA_TIME_MAX - (uint64_t)(1 + rnd(g, 600)) * 1000
                                     : (uint64_t)rnd(g, 1000000) * 1000;
    s->cfg.offer_timeout_ms = chance(g, 15) ? 0 : chance(g, 8) ? ORCA_TIMEOUT_NEVER
                                                               : (1 + rnd(g, 16)) * 500;
    s->cfg.reoffer_delay_ms = chance(g, 15) ? 0 : (1 + rnd(g, 24)) * 250;
    s->cfg.no_answer_limit = chance(g, 50) ? 0 : chance(g, 20) ? ORCA_NO_ANSWER_NEVER
                                                                : 1 + rnd(g, 3);
    s->nskills = 3 + rnd(g, MAX_S - 2);
    static const uint32_t grans[] = {1, 250, 500, 1000};
    s->gran = grans[rnd(g, 4)];
    s->max_agents = chance(g, 5) ? 13 + rnd(g, AGENT_ID_SPACE - 14) : 1 + rnd(g, 12);
    s->nops = chance(g, 10) || s->max_agents > 12 ? 300 + rnd(g, 100) : 40 + rnd(g, 160);
    if (chance(g, 30)) {
        /* arbitrary 64-bit host ids: hashing, and ties broken by uint64 order */
        for (uint64_t k = 1; k <= AGENT_ID_SPACE; k++) {
            uint64_t id;
            do {
                id = sm64(g);
                if (chance(g, 30))
                    id |= 1ull << 63;
                else if (chance(g, 30))
                    id &= 0xFFFFFFFFull;
                for (uint64_t m = 1; m < k; m++)
                    if (s->aid[m] == id)
                        id = 0;
            } while (id == 0 || id == UNKNOWN_AGENT);
            s->aid[k] = id;
        }
        s->iid_mul = sm64(g) | 1;
        s->iid_xor = sm64(g);
    }
    uint32_t cbm = rnd(g, 10);
    s->cb_mode = cbm < 4 ? 0 : cbm < 6 ? 1 : 2;
    s->cb_mask = (uint32_t)sm64(g);
    s->cb_seed = sm64(g);
    s->host = chance(g, 50);
    s->host_cost = 1 + rnd(g, 60);
    s->host_wrapup = chance(g, 50) ? 0 : (1 + rnd(g, 8)) * 500;
    for (int k = 0; k < ORCA_CHANNEL_BUILTIN_COUNT; k++)
        s->builtin_wrapup[k] = chance(g, 70) ? 0 : (1 + rnd(g, 8)) * 500;
    s->nqueues = 1 + rnd(g, MAX_Q);
    for (uint32_t k = 0; k < s->nqueues; k++) {
        qspec *q = &s->q[k];
        q->strategy = (orca_strategy)rnd(g, ORCA_STRATEGY_LEAST_BUSY + 1);
        uint32_t sv = rnd(g, 4);
        q->serve = sv < 2 ? ORCA_SERVE_MEMBERS : sv == 2 ? ORCA_SERVE_SKILLS
                                               : (ORCA_SERVE_MEMBERS | ORCA_SERVE_SKILLS);
        if (q->serve & ORCA_SERVE_SKILLS) {
            q->nskills = 1 + rnd(g, 2);
            q->skill_idx[0] = rnd(g, s->nskills);
            q->skill_idx[1] = (q->skill_idx[0] + 1 + rnd(g, s->nskills - 1)) % s->nskills;
            q->skill_lvl[0] = 1 + rnd(g, 3);
            q->skill_lvl[1] = 1 + rnd(g, 3);
            q->skills_tier = rnd(g, 4);
        }
        q->max_size = chance(g, 75) ? 0 : 1 + rnd(g, 4);
        q->max_wait_ms = chance(g, 70) ? 0 : (3 + rnd(g, 40)) * s->gran * (s->gran == 1 ? 500 : 1);
        if (chance(g, 40)) {
            q->aging_ms = (1 + rnd(g, 10)) * 500;
            q->aging_max = rnd(g, 12);
        }
        uint32_t wu = rnd(g, 4);
        q->wrapup_ms = wu < 2 ? ORCA_WRAPUP_CHANNEL : wu == 2 ? 0 : (1 + rnd(g, 8)) * 500;
        q->sla_ms = (1 + rnd(g, 20)) * 1000;
        q->offer_timeout_ms = chance(g, 50) ? 0 : chance(g, 10) ? ORCA_TIMEOUT_NEVER
                                                                : (2 + rnd(g, 12)) * 500;
        q->nsteps = chance(g, 50) ? 0 : 1 + rnd(g, MAX_QSTEPS);
        uint32_t after = chance(g, 40) ? 0 : rnd(g, 8) * 500;
        for (uint32_t m = 0; m < q->nsteps; m++) {
            q->steps[m].after_ms = after;
            q->steps[m].action = 1 + rnd(g, 3);
            q->steps[m].skill_idx = rnd(g, s->nskills);
            q->steps[m].level = 1 + rnd(g, 4);
            after += chance(g, 25) ? 0 : (1 + rnd(g, 12)) * 500;
        }
        if (k > 0 && chance(g, 35)) {
            q->overflow_after_ms = (2 + rnd(g, 30)) * 500;
            q->overflow_to = 1 + rnd(g, k);
        }
        if (chance(g, 50)) {
            q->sticky_ms = (1 + rnd(g, 24)) * 500;
            if (chance(g, 40))
                q->sticky_within_ms = (1 + rnd(g, 40)) * 500;
        }
    }
    /* customers: a small pool, so recontacts and sticky routing happen */
    s->ncust = 1 + rnd(g, MAX_CUST_POOL);
    s->nconv = rnd(g, 5);
    s->pct_named = chance(g, 30) ? 0 : 5 + rnd(g, 25);
    s->pct_transfer = 2 + rnd(g, 8);
    if (chance(g, 35))
        s->cfg.history_per_customer = chance(g, 80) ? 1 + rnd(g, 4) : ORCA_HISTORY_MAX;
    if (chance(g, 25))
        s->cfg.max_customers = 1 + rnd(g, 5);
    if (chance(g, 25))
        s->cfg.customer_ttl_ms = (uint64_t)(1 + rnd(g, 60)) * 1000;
    /* scheduled work: callback slots, unreached callbacks tried again */
    s->pct_sched = chance(g, 30) ? 0 : 5 + rnd(g, 20);
    s->pct_bot = chance(g, 40) ? 0 : 5 + rnd(g, 15);
    for (uint32_t k = 0; k < s->nqueues; k++) {
        qspec *q = &s->q[k];
        q->callback_attempts = chance(g, 30) ? 0 : 1 + rnd(g, 4);
        q->callback_retry_ms = chance(g, 20) ? 0 : (1 + rnd(g, 20)) * 500;
        q->resume_ms = chance(g, 55) ? 0 : (1 + rnd(g, 30)) * 500;
    }
    /* opening hours: on some queues from the start, and set_hours ops */
    s->wt_hours = chance(g, 30) ? 0 : 2 + rnd(g, 5);
    if (s->wt_hours)
        for (uint32_t k = 0; k < s->nqueues; k++)
            if (chance(g, 55))
                gen_hours(s, g, s->cfg.start_ms, k + 1, &s->q[k].hours);
}

/* What the generator needs to know of the reference's state. */
typedef struct view {
    uint64_t agents[AGENT_ID_SPACE];
    uint32_t nagents;
    uint64_t ready[AGENT_ID_SPACE];
    uint32_t nready;
    uint64_t by_state[7][REF_MAX_INTERACTIONS];  /* [state] */
    uint32_t nby_state[7];
    uint64_t dead[64];                           /* used ids not live */
    uint32_t ndead;
    uint32_t nheld;                              /* WAITING work held for an agent */
} view;

static void make_view(const world *w, view *v)
{
    memset(v, 0, sizeof *v);
    for (uint64_t k = 1; k <= agent_ids_in_use(w->s); k++) {
        uint64_t id = agent_id(w->s, k);
        orca_agent_info ai;
        if (ref_agent_info_get(w->r, id, &ai) == 0) {
            v->agents[v->nagents++] = id;
            if (ai.presence == ORCA_PRESENCE_READY)
                v->ready[v->nready++] = id;
        }
    }
    for (uint32_t k = 0; k < w->niids; k++) {
        uint64_t id = w->iids[k];
        orca_interaction_info ii;
        if (ref_interaction_info_get(w->r, id, &ii) == 0) {
            if (v->nby_state[ii.state] < REF_MAX_INTERACTIONS)
                v->by_state[ii.state][v->nby_state[ii.state]++] = id;
            v->nheld += ii.state == ORCA_STATE_WAITING && ii.target_agent;
        } else if (v->ndead < 64) {
            v->dead[v->ndead++] = id;
        }
    }
}

static void gen_agent_def(const world *w, uint64_t *g, op *o)
{
    const setup *s = w->s;
    o->nskills = 0;
    for (uint32_t k = 0; k < s->nskills; k++)
        if (chance(g, 50)) {
            o->skills[o->nskills].skill = w->sid[k];
            o->skills[o->nskills].level = agent_levels[rnd(g, sizeof agent_levels)];
            o->nskills++;
        }
    static const uint32_t caps[] = {100, 100, 100, 100, 50, 75, 150, 200, 30, 10000};
    o->capacity = caps[rnd(g, 10)];
    o->weight = chance(g, 5) ? ORCA_WEIGHT_MAX : 1 + rnd(g, 5);
    o->nlimits = 0;
    switch (rnd(g, 5)) {
    case 0: /* voice only */
        o->limits[o->nlimits++] = (orca_channel_limit){ORCA_CHANNEL_VOICE, 1};
        break;
    case 1: /* blended */
        o->limits[o->nlimits++] = (orca_channel_limit){ORCA_CHANNEL_VOICE, 1};
        o->limits[o->nlimits++] = (orca_channel_limit){ORCA_CHANNEL_CHAT, 3};
        o->limits[o->nlimits++] = (orca_channel_limit){ORCA_CHANNEL_EMAIL, 5};
        break;
    case 2: /* digital */
        o->limits[o->nlimits++] = (orca_channel_limit){ORCA_CHANNEL_CHAT, 1 + rnd(g, 4)};
        o->limits[o->nlimits++] = (orca_channel_limit){ORCA_CHANNEL_SMS, 1 + rnd(g, 3)};
        break;
    default: /* anything */
        for (uint32_t ch = 0; ch < ORCA_CHANNEL_BUILTIN_COUNT; ch++)
            if (chance(g, 45))
                o->limits[o->nlimits++] = (orca_channel_limit){ch, 1 + rnd(g, 5)};
        break;
    }
    if (s->host && chance(g, 50))
        o->limits[o->nlimits++] = (orca_channel_limit){w->host_ch, 1 + rnd(g, 4)};
    /* shuffle so list order never matters */
    for (uint32_t k = o->nlimits; k > 1; k--) {
        uint32_t j = rnd(g, k);
        orca_channel_limit t = o->limits[k - 1];
        o->limits[k - 1] = o->limits[j];
        o->limits[j] = t;
    }
}

static void gen_skills(const world *w, uint64_t *g, orca_skill_level *out, uint32_t *n, uint32_t max)
{
    *n = 0;
    uint32_t want = rnd(g, max + 1);
    for (uint32_t k = 0; k < want; k++) {
        orca_skill_id s = w->sid[rnd(g, w->s->nskills)];
        int dup = 0;
        for (uint32_t m = 0; m < *n; m++)
            if (out[m].skill == s)
                dup = 1;
        if (dup)
            continue;
        out[*n].skill = s;
        out[*n].level = work_levels[rnd(g, sizeof work_levels)];
        (*n)++;
    }
}

static uint64_t pick(uint64_t *g, const uint64_t *v, uint32_t n, uint64_t fallback)
{
    return n ? v[rnd(g, n)] : fallback;
}

/* Some interaction id: usually one in the wanted state, else anything. */
static uint64_t pick_inter(const view *v, uint64_t *g, orca_interaction_state st1,
                           orca_interaction_state st2)
{
    if (chance(g, 92)) {
        uint32_t n1 = v->nby_state[st1], n2 = st2 ? v->nby_state[st2] : 0;
        if (n1 + n2) {
            uint32_t k = rnd(g, n1 + n2);
            return k < n1 ? v->by_state[st1][k] : v->by_state[st2][k - n1];
        }
    }
    uint32_t k = rnd(g, 6);
    if (k == 0)
        return UNKNOWN_INTERACTION;
    if (k == 1 && v->ndead)
        return v->dead[rnd(g, v->ndead)];
    for (int s = 1; s <= 4; s++)
        if (v->nby_state[(s + (int)k) % 4 + 1])
            return v->by_state[(s + (int)k) % 4 + 1][0];
    return UNKNOWN_INTERACTION;
}

/* A transfer's faults, one bit each, in the order they are given up when
 * there are several (the last present goes first). */
enum {
    TF_FROM = 1,        /* from unknown, not BUSY or with a consult pending */
    TF_MODE = 2, TF_QUEUE = 4, TF_PRIO = 8, TF_AGENT_INVAL = 16, TF_AGENT_UNKNOWN = 32,
    TF_CUSTOMER = 64, TF_SAME_CONSULT = 128, TF_DUP = 256, TF_FULL = 512,
    TF_SLOT = 1024      /* a callback slot in the past */
};

static int queue_has_room(const world *w, uint32_t q)
{
    orca_queue_info qi;
    if (q < 1 || q > w->s->nqueues || ref_queue_info_get(w->r, q, &qi) != 0)
        return 0;
    return !w->s->q[q - 1].max_size || qi.waiting + qi.offered < w->s->q[q - 1].max_size;
}

static uint32_t transfer_faults(const world *w, const op *o)
{
    orca_interaction_info fi, ii;
    orca_agent_info ai;
    uint32_t f = 0;
    int from_known = ref_interaction_info_get(w->r, o->id, &fi) == 0;
    if (o->kind == OP_ESCALATE) {
        /* escalate(id, to): the same faults, read for a bot: from = the
         * BOT interaction, SAME_CONSULT = to->bot set, DUP = to->id is
         * not id */
        if (!from_known || fi.state != ORCA_STATE_BOT)
            f |= TF_FROM;
        if (o->bot)
            f |= TF_SAME_CONSULT;
        if (o->id2 != o->id)
            f |= TF_DUP;
    } else {
        if (!from_known || fi.state != ORCA_STATE_BUSY || fi.transfer_to)
            f |= TF_FROM;
        if (o->reason > ORCA_TRANSFER_CONSULT)
            f |= TF_MODE;
        if (o->id2 == o->id && o->reason == ORCA_TRANSFER_CONSULT)
            f |= TF_SAME_CONSULT;
        if (o->id2 != o->id && ref_interaction_info_get(w->r, o->id2, &ii) == 0)
            f |= TF_DUP;
    }
    int queue_known = o->queue >= 1 && o->queue <= w->s->nqueues;
    if (!queue_known)
        f |= TF_QUEUE;
    if (o->v > ORCA_PRIORITY_MAX)
        f |= TF_PRIO;
    if (o->agent_required > 1 || (!o->agent && (o->agent_required || o->agent_wait_ms)))
        f |= TF_AGENT_INVAL;
    if (o->agent && ref_agent_info_get(w->r, o->agent, &ai) != 0)
        f |= TF_AGENT_UNKNOWN;
    if ((o->customer && (!from_known || o->customer != fi.customer)) ||
        (o->conversation && (!from_known || o->conversation != fi.conversation)))
        f |= TF_CUSTOMER;
    if (queue_known && !queue_has_room(w, o->queue))
        f |= TF_FULL;
    if (o->not_before && o->not_before < ref_now(w->r))
        f |= TF_SLOT;
    return f;
}

/* Keep one fault (the first in TF_ order), clearing the others. */
static void transfer_one_fault(const world *w, op *o)
{
    for (int tries = 0; tries < 16; tries++) {
        uint32_t f = transfer_faults(w, o);
        if (!(f & (f - 1)))
            return;
        uint32_t last = 1u << (31 - __builtin_clz(f));
        if (last == TF_SLOT) {
            o->not_before = ref_now(w->r);
        } else if (last == TF_FULL) {
            uint32_t q = 0;
            for (uint32_t k = 1; k <= w->s->nqueues && !q; k++)
                if (queue_has_room(w, k))
                    q = k;
            if (!q) {                    /* no room anywhere: keep EFULL alone */
                o->reason = ORCA_TRANSFER_BLIND;
                o->v = 0;
                o->agent = o->agent_wait_ms = o->agent_required = 0;
                o->customer = o->conversation = 0;
                o->id2 = o->kind == OP_ESCALATE ? o->id : o->id2 ^ 0x5A5A000000000000ull;
                o->bot = 0;
                return;
            }
            o->queue = q;
        } else if (last == TF_DUP) {
            o->id2 = o->kind == OP_ESCALATE ? o->id : o->id2 ^ 0x5A5A000000000000ull;
        } else if (last == TF_SAME_CONSULT) {
            o->reason = ORCA_TRANSFER_BLIND;
            o->bot = 0;
        } else if (last == TF_CUSTOMER) {
            o->customer = o->conversation = 0;
        } else if (last == TF_AGENT_UNKNOWN || last == TF_AGENT_INVAL) {
            o->agent = o->agent_wait_ms = o->agent_required = 0;
        } else if (last == TF_PRIO) {
            o->v = 0;
        } else if (last == TF_QUEUE) {
            o->queue = 1;
        } else if (last == TF_MODE) {
            o->reason = ORCA_TRANSFER_BLIND;
        } else {
            return;
        }
    }
}

/* An invalid op must have one fault only: which check an API makes first
 * is not part of the contract. Clear the out-of-range values of an op that
 * also names something unknown, a duplicate or a full queue. */
/* The work in state st held for an agent. */
static uint32_t held_count_in(const world *w, uint64_t agent, orca_interaction_state st)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < w->niids; k++) {
        orca_interaction_info ii;
        if (ref_interaction_info_get(w->r, w->iids[k], &ii) == 0 &&
            ii.state == st && ii.target_agent == agent)
            n++;
    }
    return n;
}

static uint32_t held_count(const world *w, uint64_t agent)
{
    return held_count_in(w, agent, ORCA_STATE_WAITING);
}

/* Masks of known engine disagreements 2 and 3 beyond what the reference's
 * options reproduce: the engine's order for holds ending together follows
 * its held heap's layout, which only matches an order for up to two held
 * interactions. An op that could end three or more holds of one agent at
 * once (OFFLINE, removal, update, membership removal) is played as
 * advance(now) instead. */
static void mask_fixup(const world *w, op *o)
{
    /* mask 6: removing an agent with two or more SCHEDULED interactions
     * held for it (the engine goes through them in its id map's order) */
    if (MASKED(6) && o->kind == OP_AGENT_REMOVE &&
        held_count_in(w, o->id, ORCA_STATE_SCHEDULED) >= 2) {
        uint64_t now = ref_now(w->r);
        memset(o, 0, sizeof *o);
        o->kind = OP_ADVANCE;
        o->t = now;
        return;
    }
    if (!MASKED(2) && !MASKED(3))
        return;
    int risky = o->kind == OP_AGENT_REMOVE || o->kind == OP_AGENT_UPDATE ||
                o->kind == OP_MEMBER_REMOVE ||
                (o->kind == OP_PRESENCE && o->v == ORCA_PRESENCE_OFFLINE);
    if (risky && held_count(w, o->id) >= 3) {
        uint64_t now = ref_now(w->r);
        memset(o, 0, sizeof *o);
        o->kind = OP_ADVANCE;
        o->t = now;
    }
}

static void one_fault(const world *w, op *o)
{
    const setup *s = w->s;
    mask_fixup(w, o);
    orca_agent_info ai;
    int agent_known = ref_agent_info_get(w->r, o->id, &ai) == 0;
    int queue_known = o->queue >= 1 && o->queue <= s->nqueues;
    switch (o->kind) {
    case OP_AGENT_ADD:
    case OP_AGENT_UPDATE:
        if (agent_known == (o->kind == OP_AGENT_ADD)) {   /* EEXIST / ENOENT */
            o->capacity = o->capacity > ORCA_CAPACITY_MAX ? 100 : o->capacity;
            o->weight = o->weight > ORCA_WEIGHT_MAX ? 1 : o->weight;
            for (uint32_t k = 0; k < o->nskills; k++)
                if (o->skills[k].level > ORCA_LEVEL_MAX)
                    o->skills[k].level = ORCA_LEVEL_MAX;
        }
        break;
    case OP_PRESENCE:
        if (!agent_known && o->v > ORCA_PRESENCE_NOT_READY)
            o->v = ORCA_PRESENCE_READY;
        break;
    case OP_MEMBER_ADD:
    case OP_MEMBER_REMOVE:
    case OP_RANK: {
        int member = agent_known && queue_known &&
                     ref_queue_is_member(w->r, o->queue, o->id, NULL);
        int range = (o->kind == OP_MEMBER_ADD && o->v > ORCA_TIER_MAX) ||
                    (o->kind == OP_RANK && o->v > ORCA_RANK_MAX);
        int other = !agent_known || !queue_known || (o->kind == OP_MEMBER_ADD && member);
        if (range && other)
            o->v = 0;
        if (!agent_known && !queue_known)
            o->queue = 1;
        break;
    }
    case OP_ENQUEUE: {
        orca_interaction_info ii;
        orca_queue_info qi;
        int dup = ref_interaction_info_get(w->r, o->id, &ii) == 0;
        int full = queue_known && ref_queue_info_get(w->r, o->queue, &qi) == 0 &&
                   s->q[o->queue - 1].max_size &&
                   qi.waiting + qi.offered >= s->q[o->queue - 1].max_size;
        int agent_bad = o->agent_required > 1 || (!o->agent && (o->agent_required || o->agent_wait_ms)) ||
                        (o->agent && ref_agent_info_get(w->r, o->agent, &ai) != 0);
        if (agent_bad && (dup || full || !queue_known || o->v > ORCA_PRIORITY_MAX)) {
            o->agent = 0;                          /* no named agent */
            o->agent_wait_ms = o->agent_required = 0;
        }
        if (o->agent_required > 1 && o->agent && ref_agent_info_get(w->r, o->agent, &ai) != 0)
            o->agent_required = 1;                 /* unknown agent only */
        if (o->v > ORCA_PRIORITY_MAX && (dup || full || !queue_known))
            o->v = 0;
        if (dup && (!queue_known || full))
            o->id ^= 0x5A5A000000000000ull;        /* no longer a duplicate */
        /* a slot in the past (ERANGE) only as the one fault */
        dup = ref_interaction_info_get(w->r, o->id, &ii) == 0;
        agent_bad = o->agent_required > 1 || (!o->agent && (o->agent_required || o->agent_wait_ms)) ||
                    (o->agent && ref_agent_info_get(w->r, o->agent, &ai) != 0);
        if (o->not_before && o->not_before < ref_now(w->r) &&
            (dup || full || !queue_known || o->v > ORCA_PRIORITY_MAX || agent_bad))
            o->not_before = ref_now(w->r);
        break;
    }
    case OP_TRANSFER:
    case OP_ESCALATE:
        transfer_one_fault(w, o);
        break;
    case OP_CALLBACK: {
        /* faults: the interaction (unknown, not WAITING or SCHEDULED), the
         * channel (unknown), the time (in the past); keep the first */
        orca_interaction_info ii;
        int bad_id = ref_interaction_info_get(w->r, o->id, &ii) != 0 ||
                     (ii.state != ORCA_STATE_WAITING && ii.state != ORCA_STATE_SCHEDULED);
        int bad_ch = o->channel >= ORCA_MAX_CHANNELS ||
                     (o->channel >= ORCA_CHANNEL_BUILTIN_COUNT && !(s->host && o->channel == w->host_ch));
        int bad_t = o->not_before && o->not_before < ref_now(w->r);
        if (bad_t && (bad_id || bad_ch))
            o->not_before = 0;
        if (bad_ch && bad_id)
            o->channel = ORCA_CHANNEL_CALLBACK;
        break;
    }
    default:
        break;
    }
}

/* What enqueue and transfer describe alike: channel, priority, skills,
 * conversation, a named agent (pct_named % of the time). */
static void gen_work(world *w, uint64_t *g, const view *v, op *o, uint32_t pct_named)
{
    const setup *s = w->s;
    uint32_t c = rnd(g, 100);
    o->channel = c < 35 ? ORCA_CHANNEL_VOICE : c < 65 ? ORCA_CHANNEL_CHAT : c < 85 ? ORCA_CHANNEL_EMAIL
               : c < 95 && s->host ? w->host_ch : ORCA_CHANNEL_SMS;
    o->v = chance(g, 55) ? 0 : chance(g, 90) ? rnd(g, 10) : ORCA_PRIORITY_MAX;
    gen_skills(w, g, o->req, &o->nreq, 2);
    gen_skills(w, g, o->pref, &o->npref, 2);
    if (o->nreq && o->npref < 2 && chance(g, 30)) {
        /* a skill both required and preferred (counts once in score) */
        int both = 0;
        for (uint32_t k = 0; k < o->npref; k++)
            both |= o->pref[k].skill == o->req[0].skill;
        if (!both) {
            o->pref[o->npref].skill = o->req[0].skill;
            o->pref[o->npref].level = work_levels[rnd(g, sizeof work_levels)];
            o->npref++;
        }
    }
    o->conversation = s->nconv && chance(g, 70) ? 1 + rnd(g, s->nconv) : 0;
    if (chance(g, pct_named)) {
        o->agent = chance(g, 96) ? pick(g, v->agents, v->nagents, UNKNOWN_AGENT) : UNKNOWN_AGENT;
        o->agent_required = chance(g, 40);
        uint32_t k = rnd(g, 10);
        o->agent_wait_ms = k < 3 ? 0 : k < 8 ? (1 + rnd(g, 16)) * 500 : (1 + rnd(g, 8)) * s->gran;
        if (chance(g, 2))
            o->agent_required = 2;                           /* EINVAL */
    } else if (chance(g, 1)) {
        o->agent_wait_ms = 1000;                             /* EINVAL: no agent */
    }
}

/* A callback slot: not_before (now, soon, later, or in the past:
 * ERANGE) and early_ms (none, less than the slot is away, or more). */
static void gen_slot(const world *w, uint64_t *g, op *o)
{
    const setup *s = w->s;
    uint64_t now = ref_now(w->r);
    uint32_t k = rnd(g, 100);
    o->not_before = k < 6 ? now : k < 40 ? now + (uint64_t)(1 + rnd(g, 8)) * s->gran
                  : k < 97 ? now + (uint64_t)(1 + rnd(g, 40)) * 500
                  : now ? now - 1 - rnd(g, 1000) % now : now + 1;   /* ERANGE */
    if (!o->not_before)
        o->not_before = now + 1;
    k = rnd(g, 100);
    o->early_ms = k < 55 ? 0 : k < 90 ? (1 + rnd(g, 8)) * 500 : (o->not_before > now ? (uint32_t)(o->not_before - now) : 0) + 1000;
}

static int gen_op(world *w, uint64_t *g, uint32_t index, op *o)
{
    const setup *s = w->s;
    view v;
    make_view(w, &v);
    memset(o, 0, sizeof *o);
    o->data = 0x10000u + index;
    uint64_t now = ref_now(w->r);

    /* weights, per op kind */
    uint32_t wt[OP_KINDS];
    memset(wt, 0, sizeof wt);
    int warm = index < 3 * s->max_agents && index < 24;
    wt[OP_AGENT_ADD] = v.nagents < s->max_agents ? (warm ? 40 : 5) : 1;
    wt[OP_AGENT_UPDATE] = 3;
    wt[OP_AGENT_REMOVE] = 2;
    wt[OP_PRESENCE] = warm ? 25 : 10;
    wt[OP_MEMBER_ADD] = warm ? 25 : 5;
    wt[OP_MEMBER_REMOVE] = 1;
    wt[OP_RANK] = 2;
    wt[OP_ENQUEUE] = warm ? 8 : 18;
    wt[OP_ACCEPT] = v.nby_state[ORCA_STATE_OFFERED] ? 14 : 1;
    wt[OP_REJECT] = v.nby_state[ORCA_STATE_OFFERED] ? 5 : 1;
    wt[OP_END] = v.nby_state[ORCA_STATE_BUSY] ? 9 : 1;
    wt[OP_WRAPUP_DONE] = v.nby_state[ORCA_STATE_WRAPUP] ? 3 : 1;
    wt[OP_ABANDON] = 2;
    wt[OP_CANCEL] = 2;
    wt[OP_PRIORITY] = 3;
    wt[OP_ADVANCE] = warm ? 4 : 20;
    wt[OP_CHANNEL_WRAPUP] = 1;
    wt[OP_TRANSFER] = v.nby_state[ORCA_STATE_BUSY] ? s->pct_transfer : 1;
    wt[OP_DISPOSITION] = 2;
    wt[OP_FORGET] = 1;
    wt[OP_RESTORE] = 1;
    /* more often when holds would be released with agents still READY to
     * be offered them (what the OFFLINE step must not do) */
    wt[OP_RESTORE_OFFLINE] = v.nheld && v.nready > 1 ? 8 : 1;
    wt[OP_UNREACHED] = v.nby_state[ORCA_STATE_BUSY] ? 3 : 1;
    wt[OP_ESCALATE] = v.nby_state[ORCA_STATE_BOT] ? 6 : 0;
    wt[OP_CALLBACK] = v.nby_state[ORCA_STATE_WAITING] + v.nby_state[ORCA_STATE_SCHEDULED] ? 3 : 0;
    wt[OP_HOURS] = s->wt_hours;
    wt[OP_QUEUE_REMOVE] = 1;
    uint32_t total = 0;
    for (int k = 0; k < OP_KINDS; k++)
        total += wt[k];
    uint32_t x = rnd(g, total);
    int kind = 0;
    while (x >= wt[kind]) {
        x -= wt[kind];
        kind++;
    }
    o->kind = (op_kind)kind;

    uint64_t any_agent = chance(g, 4) ? UNKNOWN_AGENT : agent_id(s, 1 + rnd(g, s->max_agents + 2));
    uint64_t live_agent = chance(g, 95) ? pick(g, v.agents, v.nagents, any_agent) : any_agent;
    uint32_t any_queue = chance(g, 3) ? s->nqueues + 1 : 1 + rnd(g, s->nqueues);

    switch (o->kind) {
    case OP_AGENT_ADD: {
        /* mostly an id not in use (ids are reused after removal) */
        uint64_t free_ids[AGENT_ID_SPACE];
        uint32_t nfree = 0;
        for (uint64_t k = 1; k <= s->max_agents + 2 && k <= AGENT_ID_SPACE; k++) {
            orca_agent_info ai;
            if (ref_agent_info_get(w->r, agent_id(s, k), &ai) != 0)
                free_ids[nfree++] = agent_id(s, k);
        }
        o->id = chance(g, 92) ? pick(g, free_ids, nfree, 1) : pick(g, v.agents, v.nagents, 1);
        gen_agent_def(w, g, o);
        if (chance(g, 3))
            o->capacity = ORCA_CAPACITY_MAX + 1;            /* ERANGE */
        else if (chance(g, 3) && o->nskills)
            o->skills[0].level = ORCA_LEVEL_MAX + 1;        /* ERANGE */
        else if (chance(g, 2))
            o->weight = ORCA_WEIGHT_MAX + 1;                /* ERANGE */
        break;
    }
    case OP_AGENT_UPDATE:
        o->id = live_agent;
        gen_agent_def(w, g, o);
        if (chance(g, 3))
            o->capacity = ORCA_CAPACITY_MAX + 1;
        break;
    case OP_AGENT_REMOVE:
        o->id = live_agent;
        break;
    case OP_PRESENCE: {
        o->id = live_agent;
        uint32_t p = rnd(g, 100);
        o->v = p < 60 ? ORCA_PRESENCE_READY : p < 82 ? ORCA_PRESENCE_NOT_READY : p < 99 ? ORCA_PRESENCE_OFFLINE : 7;
        o->reason = rnd(g, 4);
        break;
    }
    case OP_MEMBER_ADD:
        o->id = live_agent;
        o->queue = any_queue;
        /* mostly a queue the agent is not a member of yet */
        for (int tries = 0; tries < 4 && ref_queue_is_member(w->r, o->queue, o->id, NULL) &&
                            chance(g, 90); tries++)
            o->queue = 1 + rnd(g, s->nqueues);
        o->v = chance(g, 50) ? 0 : chance(g, 97) ? rnd(g, 4) : ORCA_TIER_MAX + 1;
        break;
    case OP_MEMBER_REMOVE:
        o->id = live_agent;
        o->queue = any_queue;
        for (int tries = 0; tries < 4 && !ref_queue_is_member(w->r, o->queue, o->id, NULL) &&
                            chance(g, 80); tries++)
            o->queue = 1 + rnd(g, s->nqueues);
        break;
    case OP_RANK:
        o->id = live_agent;
        o->queue = any_queue;
        o->v = chance(g, 97) ? rnd(g, 3) : ORCA_RANK_MAX + 1;
        break;
    case OP_ENQUEUE: {
        int dup = chance(g, 3);
        if (dup && (v.nby_state[ORCA_STATE_WAITING] || v.nby_state[ORCA_STATE_BUSY])) {
            o->id = v.nby_state[ORCA_STATE_BUSY] ? v.by_state[ORCA_STATE_BUSY][0]
                                                  : v.by_state[ORCA_STATE_WAITING][0];
        } else if (v.ndead && chance(g, 10)) {
            o->id = v.dead[rnd(g, v.ndead)];                /* reuse a finished id */
        } else {
            o->id = inter_id(s, ++w->next_n);
        }
        o->queue = any_queue;
        if (dup) {
            /* a duplicate id must be the only fault: pick a queue with room */
            o->queue = 0;
            for (uint32_t q = 1; q <= s->nqueues && !o->queue; q++) {
                orca_queue_info qi;
                ref_queue_info_get(w->r, q, &qi);
                if (!s->q[q - 1].max_size || qi.waiting + qi.offered < s->q[q - 1].max_size)
                    o->queue = q;
            }
            if (!o->queue) {
                o->queue = 1;
                o->id = inter_id(s, ++w->next_n);
            }
        }
        uint32_t c = rnd(g, 100);
        o->customer = c < 12 ? 0 : c < 90 ? cust_id(s, 1 + rnd(g, s->ncust))
                    : 1000 + rnd(g, 100000);
        if (w->ab_cust && !dup && chance(g, 30)) {
            /* the customer who abandoned comes back (resume) */
            o->customer = w->ab_cust;
            o->queue = w->ab_queue;
        }
        gen_work(w, g, &v, o, s->pct_named);
        if (chance(g, s->pct_bot)) {
            o->bot = 1;                      /* a bot: nobody named, no slot */
            o->agent = o->agent_wait_ms = o->agent_required = 0;
        } else if (chance(g, s->pct_sched)) {
            gen_slot(w, g, o);
        }
        if (!dup && chance(g, 2))
            o->v = ORCA_PRIORITY_MAX + 1;                   /* ERANGE */
        break;
    }
    case OP_TRANSFER: {
        o->id = pick_inter(&v, g, ORCA_STATE_BUSY, 0);
        orca_interaction_info fi;
        int from_known = ref_interaction_info_get(w->r, o->id, &fi) == 0;
        o->reason = chance(g, 50) ? ORCA_TRANSFER_BLIND : ORCA_TRANSFER_CONSULT;
        uint32_t k = rnd(g, 100);
        if (o->reason == ORCA_TRANSFER_BLIND && k < 35)
            o->id2 = o->id;                                  /* the id carries on */
        else if (k < 37)
            o->id2 = o->reason == ORCA_TRANSFER_CONSULT ? o->id   /* EINVAL */
                   : pick(g, v.by_state[ORCA_STATE_WAITING], v.nby_state[ORCA_STATE_WAITING],
                          inter_id(s, ++w->next_n));               /* EEXIST */
        else if (v.ndead && chance(g, 10))
            o->id2 = v.dead[rnd(g, v.ndead)];
        else
            o->id2 = inter_id(s, ++w->next_n);
        o->queue = any_queue;
        gen_work(w, g, &v, o, 25);
        /* customer and conversation: 0 (from's), equal, or another (EINVAL) */
        uint64_t fc = from_known ? fi.customer : 0, fv = from_known ? fi.conversation : 0;
        k = rnd(g, 100);
        o->customer = k < 70 ? 0 : k < 97 ? fc : fc + 1;
        k = rnd(g, 100);
        o->conversation = k < 70 ? 0 : k < 97 ? fv : fv + 1;
        if (chance(g, s->pct_sched / 2))
            gen_slot(w, g, o);
        if (chance(g, 2))
            o->reason = 7;                                   /* EINVAL */
        else if (chance(g, 1))
            o->v = ORCA_PRIORITY_MAX + 1;                    /* ERANGE */
        break;
    }
    case OP_DISPOSITION: {
        uint32_t n = 0;
        for (int st = 1; st <= 6; st++)
            n += v.nby_state[st];
        o->id = UNKNOWN_INTERACTION;
        if (n && chance(g, 94)) {
            uint32_t k = rnd(g, n);
            for (int st = 1; st <= 6; st++) {
                if (k < v.nby_state[st]) {
                    o->id = v.by_state[st][k];
                    break;
                }
                k -= v.nby_state[st];
            }
        } else if (v.ndead && chance(g, 50)) {
            o->id = v.dead[rnd(g, v.ndead)];
        }
        o->v = chance(g, 10) ? 0 : 1 + rnd(g, 9999);
        break;
    }
    case OP_FORGET: {
        uint32_t k = rnd(g, 100);
        o->id = k < 80 ? cust_id(s, 1 + rnd(g, s->ncust))
              : k < 90 && w->nocust ? w->ocust[rnd(g, w->nocust)]
              : k < 96 ? UNKNOWN_CUSTOMER : 0;
        break;
    }
    case OP_ACCEPT:
    case OP_REJECT:
        o->id = pick_inter(&v, g, ORCA_STATE_OFFERED, 0);
        break;
    case OP_END:
        o->id = v.nby_state[ORCA_STATE_BOT] && chance(g, 30)
              ? pick(g, v.by_state[ORCA_STATE_BOT], v.nby_state[ORCA_STATE_BOT], 0)
              : pick_inter(&v, g, ORCA_STATE_BUSY, 0);
        break;
    case OP_WRAPUP_DONE:
        o->id = pick_inter(&v, g, ORCA_STATE_WRAPUP, 0);
        break;
    case OP_ABANDON:
    case OP_CANCEL:
        if (v.nby_state[ORCA_STATE_SCHEDULED] && chance(g, 25))
            o->id = pick(g, v.by_state[ORCA_STATE_SCHEDULED], v.nby_state[ORCA_STATE_SCHEDULED], 0);
        else if (v.nby_state[ORCA_STATE_BOT] && chance(g, 30))
            o->id = pick(g, v.by_state[ORCA_STATE_BOT], v.nby_state[ORCA_STATE_BOT], 0);
        else
            o->id = pick_inter(&v, g, ORCA_STATE_WAITING, ORCA_STATE_OFFERED);
        if (o->kind == OP_ABANDON) {
            orca_interaction_info ai;
            if (ref_interaction_info_get(w->r, o->id, &ai) == 0 && ai.customer &&
                (ai.state == ORCA_STATE_WAITING || ai.state == ORCA_STATE_OFFERED)) {
                w->ab_cust = ai.customer;
                w->ab_queue = ai.queue;
            }
        }
        break;
    case OP_UNREACHED:
        o->id = pick_inter(&v, g, ORCA_STATE_BUSY, 0);
        break;
    case OP_ESCALATE: {
        o->id = v.nby_state[ORCA_STATE_BOT] && chance(g, 92)
              ? pick(g, v.by_state[ORCA_STATE_BOT], v.nby_state[ORCA_STATE_BOT], 0)
              : pick_inter(&v, g, ORCA_STATE_WAITING, ORCA_STATE_BUSY);
        o->id2 = chance(g, 98) ? o->id : inter_id(s, ++w->next_n);   /* EINVAL */
        orca_interaction_info bi;
        int known = ref_interaction_info_get(w->r, o->id, &bi) == 0;
        o->queue = any_queue;
        gen_work(w, g, &v, o, 25);
        uint64_t bc = known ? bi.customer : 0, bv = known ? bi.conversation : 0;
        uint32_t k = rnd(g, 100);
        o->customer = k < 70 ? 0 : k < 97 ? bc : bc + 1;
        k = rnd(g, 100);
        o->conversation = k < 70 ? 0 : k < 97 ? bv : bv + 1;
        if (chance(g, s->pct_sched))
            gen_slot(w, g, o);
        if (chance(g, 1))
            o->v = ORCA_PRIORITY_MAX + 1;                    /* ERANGE */
        else if (chance(g, 1))
            o->bot = 1;                                      /* EINVAL */
        break;
    }
    case OP_QUEUE_REMOVE:
        o->queue = any_queue;
        break;
    case OP_CALLBACK: {
        o->id = v.nby_state[ORCA_STATE_SCHEDULED] && chance(g, 35)
              ? pick(g, v.by_state[ORCA_STATE_SCHEDULED], v.nby_state[ORCA_STATE_SCHEDULED], 0)
              : pick_inter(&v, g, ORCA_STATE_WAITING, ORCA_STATE_SCHEDULED);
        uint32_t c = rnd(g, 100);
        o->channel = c < 50 ? ORCA_CHANNEL_CALLBACK : c < 65 ? ORCA_CHANNEL_VOICE
                   : c < 80 ? ORCA_CHANNEL_CHAT : c < 90 && s->host ? w->host_ch
                   : c < 97 ? rnd(g, ORCA_CHANNEL_BUILTIN_COUNT) : ORCA_MAX_CHANNELS + 3;
        uint32_t k = rnd(g, 100);
        o->not_before = k < 45 ? 0 : k < 55 ? now : k < 75 ? now + (uint64_t)(1 + rnd(g, 8)) * s->gran
                      : k < 98 ? now + (uint64_t)(1 + rnd(g, 40)) * 500
                      : now ? now - 1 : 0;                          /* ERANGE */
        break;
    }
    case OP_PRIORITY: {
        o->id = pick_inter(&v, g, ORCA_STATE_WAITING, ORCA_STATE_OFFERED);
        if (v.nby_state[ORCA_STATE_SCHEDULED] && chance(g, 10))
            o->id = pick(g, v.by_state[ORCA_STATE_SCHEDULED], v.nby_state[ORCA_STATE_SCHEDULED], 0);
        o->v = rnd(g, 12);
        orca_interaction_info ii;
        if (chance(g, 3) && ref_interaction_info_get(w->r, o->id, &ii) == 0 &&
            (ii.state == ORCA_STATE_WAITING || ii.state == ORCA_STATE_OFFERED))
            o->v = ORCA_PRIORITY_MAX + 1;                   /* ERANGE, the only fault */
        break;
    }
    case OP_ADVANCE: {
        uint64_t dl = 0;
        int has = ref_next_deadline(w->r, &dl) == 0;
        uint32_t k = rnd(g, 100);
        if (has && k < 35)
            o->t = dl;
        else if (has && k < 45 && dl > now)
            o->t = dl - 1;
        else if (k < 52)
            o->t = now;
        else if (k < 85)
            o->t = now + (uint64_t)(1 + rnd(g, 8)) * s->gran;
        else if (k < 96)
            o->t = now + rnd(g, 30000);
        else if (k < 98)
            o->t = now + rnd(g, 400000);
        else
            o->t = now ? now - 1 : ORCA_TIME_MAX;           /* ERANGE */
        break;
    }
    case OP_RESTORE:
        break;
    case OP_RESTORE_OFFLINE: {
        uint32_t k = rnd(g, 100);
        o->v = k < 25 ? 0 : k < 75 ? 1 : 2;
        break;
    }
    case OP_HOURS:
        o->queue = any_queue;
        if (chance(g, 15))
            break;                                          /* clear */
        gen_hours(s, g, now, o->queue, &o->hs);
        if (chance(g, 5)) {
            /* one malformed schedule (ERANGE / EINVAL / ENOENT) */
            hspec *h = &o->hs;
            switch (rnd(g, 10)) {
            case 0: h->off = chance(g, 50) ? 841 : -841; break;
            case 1:
                if (!h->nr) h->r[h->nr++] = (orca_hours_range){1, 60, 120};
                h->r[0].close_min = h->r[0].open_min;
                break;
            case 2:
                if (!h->nr) h->r[h->nr++] = (orca_hours_range){1, 60, 120};
                if (chance(g, 50)) h->r[0].day = 7; else h->r[0].close_min = 1441;
                break;
            case 3:
                if (!h->nx) h->x[h->nx++] = (orca_hours_exception){now, now + 1000, 1};
                h->x[h->nx - 1].to_ms = h->x[h->nx - 1].from_ms;
                break;
            case 4:
                if (!h->nx) h->x[h->nx++] = (orca_hours_exception){now, now + 1000, 1};
                h->x[0].open = 2;
                break;
            case 5: h->act = ORCA_CLOSED_REDIRECT; h->redir = o->queue; break;
            case 6: h->act = ORCA_CLOSED_REDIRECT; h->redir = s->nqueues + 1; break;
            case 7: h->act = ORCA_CLOSED_HOLD; h->redir = 1; break;
            case 8: h->act = 3; h->redir = 0; break;
            default:
                if (!h->nx) h->x[h->nx++] = (orca_hours_exception){now, now + 1000, 1};
                h->x[0].to_ms = ORCA_TIME_MAX + 1;
                break;
            }
        }
        break;
    case OP_CHANNEL_WRAPUP:
        o->channel = rnd(g, ORCA_CHANNEL_BUILTIN_COUNT);
        o->v = chance(g, 60) ? 0 : (1 + rnd(g, 8)) * 500;
        if (chance(g, 5))
            o->channel = ORCA_MAX_CHANNELS + 3;              /* ENOENT */
        break;
    case OP_KINDS:
        break;
    }
    one_fault(w, o);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Running, shrinking, printing                                             */
/* ------------------------------------------------------------------------ */


enum { PASS = 0, MISMATCH = 1, CRASH = 2 };

/* Play setup + ops in this process; returns the index of the failing op
 * (-1: none; nops: the setup failed). */
static int replay(const setup *s, const op *ops, int nops, world *w, FILE *log)
{
    int fail = -1;
    if (world_open(w, s, &g_opt)) {
        if (log) {
            print_setup(w, log);
            fprintf(log, "  setup failed:\n%s", w->msg);
        }
        world_close(w);
        return nops;
    }
    if (log)
        print_setup(w, log);
    for (int k = 0; k < nops; k++) {
        int rc = 0;
        char b[512];
        w->msglen = 0;
        w->msg[0] = 0;
        /* a shrunk scenario plays ops in other states than they were made
         * for: keep each one at one fault (a no-op on the original) */
        op o = ops[k];
        one_fault(w, &o);
        if (log) {
            fmt_op(w, &o, b, sizeof b);
            fprintf(log, "  #%-3d %s", k, b);
            fflush(log);
        }
        int bad = world_apply(w, &o, &rc);
        if (log) {
            fprintf(log, " -> %s\n", rc_name(rc));
            if (g_verbose && !bad)
                for (size_t m = 0; m < w->last_ref.n; m++) {
                    char e[256];
                    fmt_event(w, &w->last_ref.v[m], e, sizeof e);
                    fprintf(log, "         %s\n", e);
                }
            if (bad)
                fprintf(log, "  ^^^ MISMATCH:\n%s", w->msg);
        }
        if (bad) {
            fail = k;
            break;
        }
    }
    w->msglen = 0;
    if (world_close(w) && fail < 0) {
        fail = nops;
        if (log)
            fprintf(log, "  ^^^ MISMATCH at the end:\n%s", w->msg);
    }
    return fail;
}

/* replay() in a child process when forking is on, so that an engine crash
 * or hang is reported as a failure of this scenario. PASS/MISMATCH/CRASH. */
static int outcome(const setup *s, const op *ops, int nops, FILE *log, int *sig)
{
    *sig = 0;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = g_fork ? fork() : -1;
    if (pid == 0) {
        /* die by the signal: cmocka's handlers must not catch it here */
        signal(SIGSEGV, SIG_DFL);
        signal(SIGABRT, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        signal(SIGFPE, SIG_DFL);
        signal(SIGILL, SIG_DFL);
        signal(SIGALRM, SIG_DFL);
        alarm(60);
        world *w = calloc(1, sizeof *w);
        int f = replay(s, ops, nops, w, log);
        fflush(NULL);
        _exit(f >= 0 ? MISMATCH : PASS);
    }
    if (pid < 0) {
        world *w = calloc(1, sizeof *w);
        int f = replay(s, ops, nops, w, log);
        free(w);
        return f >= 0 ? MISMATCH : PASS;
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        ;
    if (WIFSIGNALED(st)) {
        *sig = WTERMSIG(st);
        return CRASH;
    }
    return WIFEXITED(st) && WEXITSTATUS(st) == PASS ? PASS : MISMATCH;
}

static int same_failure(const setup *s, const op *ops, int nops, int want)
{
    int sig;
    return outcome(s, ops, nops, NULL, &sig) == want;
}

/* Drop ops (chunks, then singles) and queue features while it still fails
 * the same way (mismatch or crash). */
static int shrink(setup *s, op *ops, int nops, int want)
{
    op *tmp = malloc(sizeof(op) * (size_t)(nops ? nops : 1));
    int progress = 1;
    while (progress) {
        progress = 0;
        for (int chunk = nops / 2; chunk >= 1; chunk /= 2) {
            for (int at = 0; at + chunk <= nops;) {
                int m = 0;
                for (int k = 0; k < nops; k++)
                    if (k < at || k >= at + chunk)
                        tmp[m++] = ops[k];
                if (same_failure(s, tmp, m, want)) {
                    memcpy(ops, tmp, sizeof(op) * (size_t)m);
                    nops = m;
                    progress = 1;
                } else {
                    at += chunk;
                }
            }
        }
        /* simpler queues and configuration */
        for (uint32_t q = 0; q < s->nqueues; q++) {
            qspec *p = &s->q[q];
#define TRY(stmt) do { qspec before = *p; stmt; \
                       if (memcmp(&before, p, sizeof before)) { \
                           if (same_failure(s, ops, nops, want)) progress = 1; \
                           else *p = before; } } while (0)
            TRY(p->nsteps = 0);
            TRY(p->aging_ms = 0; p->aging_max = 0);
            TRY(p->overflow_after_ms = 0; p->overflow_to = 0);
            TRY(p->max_wait_ms = 0);
            TRY(p->max_size = 0);
            TRY(p->strategy = ORCA_STRATEGY_LONGEST_IDLE);
            TRY(p->offer_timeout_ms = 0);
            TRY(p->wrapup_ms = 0);
            TRY(p->serve = ORCA_SERVE_MEMBERS; p->nskills = 0; p->skills_tier = 0);
            TRY(p->sticky_ms = 0; p->sticky_within_ms = 0);
            TRY(p->sticky_within_ms = 0);
            TRY(p->callback_attempts = 0; p->callback_retry_ms = 0);
            TRY(p->resume_ms = 0);
            TRY(p->hours.nx = 0);
            TRY(p->hours.on = 0);
#undef TRY
        }
        /* default customer limits */
        {
#define TRYC(stmt) do { setup t = *s; stmt; \
                        if (memcmp(&t, s, sizeof t) && same_failure(&t, ops, nops, want)) { \
                            *s = t; progress = 1; } } while (0)
            TRYC(t.cfg.history_per_customer = 0);
            TRYC(t.cfg.max_customers = 0);
            TRYC(t.cfg.customer_ttl_ms = 0);
#undef TRYC
        }
        /* simpler ops: no named agent, no conversation, no customer */
        for (int k = 0; k < nops; k++) {
            if (ops[k].kind != OP_ENQUEUE && ops[k].kind != OP_TRANSFER &&
                ops[k].kind != OP_ESCALATE)
                continue;
#define TRYO(stmt) do { op before = ops[k]; stmt; \
                        if (memcmp(&before, &ops[k], sizeof before)) { \
                            if (same_failure(s, ops, nops, want)) progress = 1; \
                            else ops[k] = before; } } while (0)
            TRYO(ops[k].agent = 0; ops[k].agent_wait_ms = 0; ops[k].agent_required = 0);
            TRYO(ops[k].conversation = 0);
            TRYO(ops[k].nreq = 0; ops[k].npref = 0);
            TRYO(ops[k].early_ms = 0);
            TRYO(ops[k].not_before = 0; ops[k].early_ms = 0);
            if (ops[k].kind == OP_ENQUEUE)
                TRYO(ops[k].customer = 0);
            if (ops[k].kind == OP_ENQUEUE)
                TRYO(ops[k].bot = 0);
#undef TRYO
        }
        if (s->cb_mode) {
            setup t = *s;
            t.cb_mode = t.cb_mode == 2 ? 1 : 0;
            if (same_failure(&t, ops, nops, want)) {
                *s = t;
                progress = 1;
            }
        }
        if (s->nqueues > 1) {
            setup t = *s;
            t.nqueues--;
            int used = 0;
            for (uint32_t q = 0; q < t.nqueues; q++)
                if (t.q[q].overflow_to == s->nqueues ||
                    (t.q[q].hours.on && t.q[q].hours.redir == s->nqueues))
                    used = 1;
            if (!used && same_failure(&t, ops, nops, want)) {
                *s = t;
                progress = 1;
            }
        }
    }
    free(tmp);
    return nops;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    return strtoull(v, NULL, 0);
}

static uint64_t scenario_seed(uint64_t master, uint64_t k)
{
    uint64_t s = master ^ (k * 0xD1B54A32D192ED03ull);
    return sm64(&s);
}

/* Generate a scenario: the setup, then ops chosen from the reference's
 * state (the engine plays no part, so the ops are the same whoever runs
 * them). 0, or -1 if the setup itself disagrees. */
static int gen_scenario(uint64_t master, uint64_t index, setup *s, op *ops, int *nops)
{
    uint64_t g = scenario_seed(master, index);
    gen_setup(s, &g);
    world *w = calloc(1, sizeof *w);
    *nops = 0;
    if (world_open(w, s, &g_opt)) {
        world_close(w);
        free(w);
        return -1;
    }
    w->ref_only = 1;
    for (uint32_t k = 0; k < s->nops && k < MAX_OPS; k++) {
        gen_op(w, &g, k, &ops[k]);
        world_apply(w, &ops[k], NULL);
        *nops = (int)k + 1;
    }
    world_close(w);
    free(w);
    return 0;
}

/* Shrink a failing scenario and print it with its replay command. */
static void report(uint64_t master, uint64_t index, setup *s, op *ops, int nops, int out, int sig)
{
    fprintf(stderr, "\n=== differential %s: seed=%#" PRIx64 " scenario=%" PRIu64 " (%d ops)",
            out == CRASH ? "CRASH" : "mismatch", master, index, nops);
    if (out == CRASH)
        fprintf(stderr, " signal %d (%s)", sig, sig == SIGALRM ? "hang" : "crash");
    char masks[64] = "";
    if (g_masks) {
        size_t n = (size_t)snprintf(masks, sizeof masks, "ORCA_DIFF_MASK=");
        for (int k = 1; k <= NMASKS; k++)
            if (MASKED(k))
                n += (size_t)snprintf(masks + n, sizeof masks - n, "%d,", k);
        masks[n - 1] = ' ';
    }
    fprintf(stderr, "\nreplay: %sORCA_DIFF_SEED=%#" PRIx64 " ORCA_DIFF_ONLY=%" PRIu64
            " build/tests/test_differential\n", masks, master, index);
    if (getenv("ORCA_DIFF_NO_SHRINK") == NULL) {
        int before = nops;
        nops = shrink(s, ops, nops, out);
        fprintf(stderr, "shrunk from %d to %d ops (ORCA_DIFF_NO_SHRINK=1 for the original)\n",
                before, nops);
    }
    fprintf(stderr, "op log:\n");
    outcome(s, ops, nops, stderr, &sig);
    if (sig)
        fprintf(stderr, "  ^^^ the engine died here (signal %d)\n", sig);
}

/* One scenario, played in this process (fast); on a mismatch shrink it
 * (in child processes) and print it. 0 passed, -1 failed. */
static int run_scenario(uint64_t master, uint64_t index, uint64_t *ops_done)
{
    setup *s = calloc(1, sizeof *s);
    op *ops = calloc(MAX_OPS, sizeof *ops);
    world *w = calloc(1, sizeof *w);
    int nops = 0;
    gen_scenario(master, index, s, ops, &nops);
    *ops_done += (uint64_t)nops;
    int f = replay(s, ops, nops, w, NULL);
    if (f >= 0)
        report(master, index, s, ops, nops, MISMATCH, 0);
    free(w);
    free(ops);
    free(s);
    return f >= 0 ? -1 : 0;
}

/* A scenario that killed the process playing it: regenerate, shrink, print. */
static void report_crash(uint64_t master, uint64_t index, int sig)
{
    setup *s = calloc(1, sizeof *s);
    op *ops = calloc(MAX_OPS, sizeof *ops);
    int nops = 0;
    gen_scenario(master, index, s, ops, &nops);
    report(master, index, s, ops, nops, CRASH, sig);
    free(ops);
    free(s);
}

typedef struct scan_rec {
    uint64_t index, ops, status;   /* status: 0 started, 1 passed, 2 failed */
} scan_rec;

/* Scenarios [first, end) in one child process that reports each one on a
 * pipe: if the engine crashes or hangs, the parent knows which scenario it
 * was, reports it, and goes on with the next in a new child. */
static void scan(uint64_t master, uint64_t first, uint64_t end, uint64_t max_failures,
                 uint64_t *ran, uint64_t *ops, uint64_t *failures)
{
    uint64_t k = first;
    while (k < end && *failures < max_failures) {
        int fd[2];
        fflush(NULL);
        if (!g_fork || g_stats || pipe(fd) != 0) {
            for (; k < end && *failures < max_failures; k++) {
                (*ran)++;
                if (run_scenario(master, k, ops))
                    (*failures)++;
            }
            return;
        }
        pid_t pid = fork();
        if (pid == 0) {
            close(fd[0]);
            signal(SIGSEGV, SIG_DFL);
            signal(SIGABRT, SIG_DFL);
            signal(SIGBUS, SIG_DFL);
            signal(SIGFPE, SIG_DFL);
            signal(SIGILL, SIG_DFL);
            signal(SIGALRM, SIG_DFL);
            uint64_t fails_here = 0;
            for (uint64_t j = k; j < end && *failures + fails_here < max_failures; j++) {
                scan_rec r = {j, 0, 0};
                if (write(fd[1], &r, sizeof r) != (ssize_t)sizeof r)
                    _exit(3);
                alarm(120);
                int bad = run_scenario(master, j, &r.ops);
                alarm(0);
                r.status = bad ? 2 : 1;
                fails_here += bad ? 1 : 0;
                if (write(fd[1], &r, sizeof r) != (ssize_t)sizeof r)
                    _exit(3);
            }
            fflush(NULL);
            _exit(0);
        }
        close(fd[1]);
        scan_rec r;
        uint64_t started = UINT64_MAX, next = end;
        for (;;) {
            ssize_t n = read(fd[0], &r, sizeof r);
            if (n != (ssize_t)sizeof r)
                break;
            if (r.status == 0) {
                started = r.index;
                continue;
            }
            started = UINT64_MAX;
            (*ran)++;
            *ops += r.ops;
            if (r.status == 2)
                (*failures)++;
            next = r.index + 1;
        }
        close(fd[0]);
        int st = 0;
        while (waitpid(pid, &st, 0) < 0)
            ;
        if (started != UINT64_MAX) {
            /* the child died in this scenario */
            (*ran)++;
            (*failures)++;
            report_crash(master, started, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
            k = started + 1;
        } else {
            k = next;
            if (k < end && *failures < max_failures) {
                fprintf(stderr, "differential: the scan process stopped early (status %d)\n", st);
                (*failures)++;
                return;
            }
        }
    }
}

static const char *op_names[OP_KINDS] = {
    "agent_add", "agent_update", "agent_remove", "set_presence", "member_add",
    "member_remove", "set_queue_rank", "enqueue", "accept", "reject", "end",
    "wrapup_done", "abandon", "cancel", "set_priority", "advance", "channel_set_wrapup",
    "transfer", "set_disposition", "customer_forget", "restore", "unreached",
    "escalate", "callback", "queue_set_hours", "queue_remove", "restore_offline",
};

static void print_stats(void)
{
    fprintf(stderr, "events by type (reference):\n");
    for (int t = 1; t < ORCA_EV_TYPE_COUNT; t++)
        fprintf(stderr, "  %-15s %" PRIu64 "\n", ev_name((orca_event_type)t), g_ev_count[t]);
    fprintf(stderr, "  REJECTED because the agent was removed: %" PRIu64 "\n", g_special[0]);
    fprintf(stderr, "  NOT_READY for no answer: %" PRIu64 "\n", g_special[1]);
    fprintf(stderr, "  OFFERED right after another OFFERED at the same ms: %" PRIu64 "\n", g_special[2]);
    fprintf(stderr, "  OFFERED at arrival (wait 0): %" PRIu64 "\n", g_special[3]);
    fprintf(stderr, "  offer callbacks: %" PRIu64 ", withdraw callbacks: %" PRIu64
            ", answers from inside the callback: %" PRIu64 " (%" PRIu64 " OK)\n",
            g_special[4], g_special[5], g_special[6], g_special[7]);
    fprintf(stderr, "  ENQUEUED bits: RECONTACT %" PRIu64 ", SWITCH %" PRIu64 ", TARGETED %" PRIu64
            ", STICKY %" PRIu64 ", TRANSFER %" PRIu64 "\n", g_special[8], g_special[9],
            g_special[10], g_special[11], g_special[12]);
    fprintf(stderr, "  TARGET_RELEASED: EXPIRED %" PRIu64 ", OFFLINE %" PRIu64 ", DECLINED %" PRIu64
            ", INELIGIBLE %" PRIu64 "\n", g_release[1], g_release[2], g_release[3], g_release[4]);
    fprintf(stderr, "  consult transfers: %" PRIu64 "; offer callbacks with history: %" PRIu64 "\n",
            g_special[14], g_special[13]);
    fprintf(stderr, "  ENQUEUED bits: RESUMED %" PRIu64 ", REDIRECTED %" PRIu64 ", ESCALATED %" PRIu64
            ", BOT %" PRIu64 ", SCHEDULED %" PRIu64 "\n", g_special[16], g_special[17],
            g_special[18], g_special[19], g_special[20]);
    fprintf(stderr, "  SCHEDULED: SLOT %" PRIu64 ", RETRY %" PRIu64 ", CLOSED %" PRIu64
            "; UNREACHED on the last try: %" PRIu64 "; offered as soon as DUE: %" PRIu64 "\n",
            g_sched[1], g_sched[2], g_sched[3], g_special[21], g_special[22]);
    fprintf(stderr, "  abandoned or cancelled: SCHEDULED %" PRIu64 ", BOT %" PRIu64
            "; virtual hold of SCHEDULED work %" PRIu64 "; unreached with a consult pending %" PRIu64
            "; agents removed with SCHEDULED work held for them %" PRIu64 "\n",
            g_special[23], g_special[24], g_special[25], g_special[26], g_special[27]);
    fprintf(stderr, "  opening hours: DUE at a closed queue's opening %" PRIu64
            "; REDIRECTED transfers and escalations %" PRIu64 "; REDIRECTED then held"
            " (SCHEDULED CLOSED) %" PRIu64 "; bots REDIRECTED %" PRIu64 "\n",
            g_special[28], g_special[29], g_special[30], g_special[31]);
    fprintf(stderr, "  restore_offline: agents set OFFLINE %" PRIu64 ", holds released %" PRIu64
            ", offers recovered %" PRIu64 ", offers made %" PRIu64 "\n",
            g_offline[0], g_offline[1], g_offline[2], g_offline[3]);
    fprintf(stderr, "  REJECTED_CLOSED: by a REJECT queue %" PRIu64 ", a HOLD queue not opening within"
            " a year %" PRIu64 ", a redirect loop past 8 hops %" PRIu64 ", other %" PRIu64 "\n",
            g_closed[0], g_closed[1], g_closed[2], g_closed[3]);
    fprintf(stderr, "return codes by op:\n");
    for (int k = 0; k < OP_KINDS; k++) {
        fprintf(stderr, "  %-19s", op_names[k]);
        for (int c = 0; c < 13; c++)
            if (g_rc_count[k][c])
                fprintf(stderr, " %s=%" PRIu64, rc_name(-c), g_rc_count[k][c]);
        fprintf(stderr, "\n");
    }
}

static void test_random_scenarios(void **state)
{
    (void)state;
    uint64_t master = env_u64("ORCA_DIFF_SEED", 0x0DCA2024u);
    uint64_t count = env_u64("ORCA_DIFF_SCENARIOS", DEFAULT_SCENARIOS);
    uint64_t max_failures = env_u64("ORCA_DIFF_MAX_FAILURES", 3);
    const char *only = getenv("ORCA_DIFF_ONLY");
    uint64_t first = 0;
    if (only && *only) {
        first = strtoull(only, NULL, 0);
        count = 1;
    }
    uint64_t failures = 0, ops = 0, ran = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    scan(master, first, first + count, max_failures, &ran, &ops, &failures);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "differential: seed=%#" PRIx64 " scenarios=%" PRIu64 " ops=%" PRIu64
            " failures=%" PRIu64 " (%.1fs)\n", master, ran, ops, failures, secs);
    if (g_stats)
        print_stats();
    if (failures)
        fail_msg("%" PRIu64 " differential scenario(s) failed (seed %#" PRIx64 ")", failures, master);
}

/* ------------------------------------------------------------------------ */
/* Directed scenarios                                                       */
/* ------------------------------------------------------------------------ */

typedef struct dt {
    setup s;
    world w;
    op log[MAX_OPS];
    int nlog;
} dt;

static int g_in_child;

static void dt_fail(dt *d, const char *why)
{
    fprintf(stderr, "directed scenario failed: %s\nop log:\n", why);
    world *tmp = calloc(1, sizeof *tmp);
    replay(&d->s, d->log, d->nlog, tmp, stderr);
    free(tmp);
    if (g_in_child) {
        fflush(NULL);
        _exit(1);
    }
    fail_msg("%s", why);
}

/* A minimal setup: nskills skills, nqueues plain queues (LONGEST_IDLE,
 * members, wrap-up 0), offer timeout 10 s, re-offer delay 5 s. */
static void dt_setup(dt *d, uint32_t nskills, uint32_t nqueues)
{
    memset(d, 0, sizeof *d);
    orca_config_init(&d->s.cfg);
    d->s.cfg.start_ms = 1000000;
    d->s.cfg.seed = 42;
    d->s.cfg.offer_timeout_ms = 10000;
    d->s.cfg.reoffer_delay_ms = 5000;
    d->s.nskills = nskills;
    d->s.nqueues = nqueues;
    for (uint32_t k = 0; k < nqueues; k++) {
        d->s.q[k].serve = ORCA_SERVE_MEMBERS;
        d->s.q[k].wrapup_ms = 0;
    }
}

static void dt_open(dt *d)
{
    if (world_open(&d->w, &d->s, &g_opt)) {
        fprintf(stderr, "%s", d->w.msg);
        dt_fail(d, "setup mismatch");
    }
}

static void dt_close(dt *d)
{
    d->w.msglen = 0;
    if (world_close(&d->w)) {
        fprintf(stderr, "%s", d->w.msg);
        dt_fail(d, "the engine leaked memory");
    }
}

/* Apply an op to both sides; fail on any mismatch or an unexpected code. */
static void dt_do(dt *d, op o, int want_rc)
{
    int rc = 0;
    d->log[d->nlog++] = o;
    d->w.msglen = 0;
    if (world_apply(&d->w, &o, &rc)) {
        fprintf(stderr, "%s", d->w.msg);
        dt_fail(d, "engine and reference disagree");
    }
    if (rc != want_rc) {
        char b[256];
        snprintf(b, sizeof b, "op #%d returned %s, the rules say %s", d->nlog - 1,
                 rc_name(rc), rc_name(want_rc));
        dt_fail(d, b);
    }
}

/* The reference's events of the last op include (type, i, a) (0: any). */
static int dt_saw(dt *d, orca_event_type t, uint64_t i, uint64_t a)
{
    for (size_t k = 0; k < d->w.last_ref.n; k++) {
        const orca_event *ev = &d->w.last_ref.v[k];
        if (ev->type == t && (!i || ev->interaction == i) && (!a || ev->agent == a))
            return 1;
    }
    return 0;
}

static void dt_expect(dt *d, int cond, const char *what)
{
    if (!cond)
        dt_fail(d, what);
}

static uint64_t dt_agent_of(dt *d, uint64_t iid)
{
    orca_interaction_info ii;
    if (ref_interaction_info_get(d->w.r, iid, &ii))
        return 0;
    return ii.agent;
}

static op o_agent(uint64_t id)
{
    op o;
    memset(&o, 0, sizeof o);
    o.kind = OP_AGENT_ADD;
    o.id = id;
    o.capacity = 100;
    o.weight = 1;
    o.limits[o.nlimits++] = (orca_channel_limit){ORCA_CHANNEL_VOICE, 1};
    o.limits[o.nlimits++] = (orca_channel_limit){ORCA_CHANNEL_CHAT, 3};
    o.limits[o.nlimits++] = (orca_channel_limit){ORCA_CHANNEL_EMAIL, 5};
    return o;
}

static op o_skill(op o, const dt *d, uint32_t idx, uint8_t level)
{
    o.skills[o.nskills].skill = d->w.sid[idx];
    o.skills[o.nskills].level = level;
    o.nskills++;
    return o;
}

static op o_simple(op_kind k, uint64_t id)
{
    op o;
    memset(&o, 0, sizeof o);
    o.kind = k;
    o.id = id;
    return o;
}

static op o_ready(uint64_t id)
{
    op o = o_simple(OP_PRESENCE, id);
    o.v = ORCA_PRESENCE_READY;
    return o;
}

static op o_presence(uint64_t id, orca_presence p)
{
    op o = o_simple(OP_PRESENCE, id);
    o.v = p;
    o.reason = 7;
    return o;
}

static op o_member(uint32_t q, uint64_t id, uint32_t tier_)
{
    op o = o_simple(OP_MEMBER_ADD, id);
    o.queue = q;
    o.v = tier_;
    return o;
}

static op o_work(uint64_t id, uint32_t q, orca_channel_id ch, uint32_t prio)
{
    op o = o_simple(OP_ENQUEUE, id);
    o.queue = q;
    o.channel = ch;
    o.v = prio;
    return o;
}

static op o_req(op o, const dt *d, uint32_t idx, uint8_t level)
{
    o.req[o.nreq].skill = d->w.sid[idx];
    o.req[o.nreq].level = level;
    o.nreq++;
    return o;
}

static op o_at(const dt *d, uint64_t after_start)
{
    op o = o_simple(OP_ADVANCE, 0);
    o.t = d->s.cfg.start_ms + after_start;
    return o;
}

/* Equal idle_since: the lowest id wins, whatever order agents came in. */
static void test_ties_lowest_id(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 3, 1);
    dt_open(d);
    uint64_t ids[] = {3, 1, 2};
    for (int k = 0; k < 3; k++) {
        dt_do(d, o_agent(ids[k]), ORCA_OK);
        dt_do(d, o_member(1, ids[k], 0), ORCA_OK);
        dt_do(d, o_ready(ids[k]), ORCA_OK);
    }
    dt_do(d, o_work(10, 1, ORCA_CHANNEL_VOICE, 0), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 10, 1), "equal idle_since: agent 1 first");
    dt_do(d, o_work(11, 1, ORCA_CHANNEL_VOICE, 0), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 11, 2), "then agent 2");
    /* agent 1 completes at +1000: idle_since later than agent 3's */
    dt_do(d, o_simple(OP_ACCEPT, 10), ORCA_OK);
    dt_do(d, o_at(d, 1000), ORCA_OK);
    dt_do(d, o_simple(OP_END, 10), ORCA_OK);
    dt_do(d, o_work(12, 1, ORCA_CHANNEL_VOICE, 0), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 12, 3), "agent 3 idle longest");
    dt_do(d, o_work(13, 1, ORCA_CHANNEL_VOICE, 0), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 13, 1), "agent 1 next");
    dt_close(d);
    free(d);
}

/* A rejected interaction is re-routed exactly when the exclusion runs out. */
static void test_exclusion_expiry(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 3, 1);
    dt_open(d);
    dt_do(d, o_agent(1), ORCA_OK);
    dt_do(d, o_member(1, 1, 0), ORCA_OK);
    dt_do(d, o_ready(1), ORCA_OK);
    dt_do(d, o_work(5, 1, ORCA_CHANNEL_VOICE, 0), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 5, 1), "offered to 1");
    dt_do(d, o_at(d, 2000), ORCA_OK);
    dt_do(d, o_simple(OP_REJECT, 5), ORCA_OK);
    dt_expect(d, !dt_saw(d, ORCA_EV_OFFERED, 5, 0), "excluded right after reject");
    dt_do(d, o_at(d, 6999), ORCA_OK);
    dt_expect(d, d->w.last_ref.n == 0, "still excluded at +4999");
    dt_do(d, o_at(d, 7000), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 5, 1), "re-offered at the exclusion's end");
    /* a second agent takes it at once on the next reject */
    dt_do(d, o_agent(2), ORCA_OK);
    dt_do(d, o_member(1, 2, 0), ORCA_OK);
    dt_do(d, o_ready(2), ORCA_OK);
    dt_do(d, o_simple(OP_REJECT, 5), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 5, 2), "other agent at once");
    /* timeout also excludes */
    dt_do(d, o_at(d, 17000), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFER_TIMEOUT, 5, 2), "timed out");
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 5, 1), "agent 1 no longer excluded");
    dt_close(d);
    free(d);
}

/* Steps at 0 ms apply on enqueue; later steps and their STEP events. */
static void test_steps(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 3, 1);
    qspec *q = &d->s.q[0];
    q->nsteps = 3;
    q->steps[0] = (qstep){0, ORCA_STEP_SET_LEVEL, 0, 3};
    q->steps[1] = (qstep){0, ORCA_STEP_DROP_PREFERRED, 2, 0};
    q->steps[2] = (qstep){4000, ORCA_STEP_DROP_REQUIRED, 1, 0};
    dt_open(d);
    dt_do(d, o_skill(o_agent(1), d, 0, 3), ORCA_OK);    /* s0:3 only */
    dt_do(d, o_member(1, 1, 0), ORCA_OK);
    dt_do(d, o_ready(1), ORCA_OK);
    /* needs s0:5 -> relaxed to s0:3 at 0 ms: offered at once */
    dt_do(d, o_req(o_work(1, 1, ORCA_CHANNEL_EMAIL, 0), d, 0, 5), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_STEP, 1, 0), "step at 0 ms");
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 1, 1), "offered after the 0 ms step");
    /* needs s0:5 and s1:1: waits until s1 is dropped at 4000 */
    dt_do(d, o_req(o_req(o_work(2, 1, ORCA_CHANNEL_EMAIL, 0), d, 0, 5), d, 1, 1), ORCA_OK);
    dt_expect(d, !dt_saw(d, ORCA_EV_OFFERED, 2, 0), "s1 still required");
    dt_do(d, o_at(d, 3999), ORCA_OK);
    dt_expect(d, d->w.last_ref.n == 0, "nothing before 4000");
    dt_do(d, o_at(d, 4000), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_STEP, 2, 0) && dt_saw(d, ORCA_EV_OFFERED, 2, 1),
              "step at 4000 then offer");
    dt_close(d);
    free(d);
}

/* Aging raises a low priority until it passes an older high one. */
static void test_aging_order(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 3, 2);
    d->s.q[0].aging_ms = 1000;
    d->s.q[0].aging_max = 10;
    dt_open(d);
    dt_do(d, o_agent(1), ORCA_OK);
    dt_do(d, o_member(1, 1, 0), ORCA_OK);
    dt_do(d, o_member(2, 1, 0), ORCA_OK);
    dt_do(d, o_work(1, 2, ORCA_CHANNEL_VOICE, 5), ORCA_OK);   /* q2, no aging, prio 5 */
    dt_do(d, o_at(d, 500), ORCA_OK);
    dt_do(d, o_work(2, 1, ORCA_CHANNEL_VOICE, 2), ORCA_OK);   /* q1, aging, prio 2 */
    dt_do(d, o_at(d, 3500), ORCA_OK);                          /* 2 -> 5 */
    dt_expect(d, dt_saw(d, ORCA_EV_PRIORITY, 2, 0), "aged");
    dt_do(d, o_ready(1), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 1, 1), "equal effprio: earlier arrival first");
    dt_do(d, o_simple(OP_CANCEL, 1), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 2, 1), "then the aged one");
    dt_do(d, o_simple(OP_CANCEL, 2), ORCA_OK);
    dt_do(d, o_presence(1, ORCA_PRESENCE_NOT_READY), ORCA_OK);
    dt_do(d, o_work(3, 2, ORCA_CHANNEL_VOICE, 5), ORCA_OK);   /* arrival 3500 */
    dt_do(d, o_work(4, 1, ORCA_CHANNEL_VOICE, 2), ORCA_OK);   /* arrival 3500, seq later */
    dt_do(d, o_at(d, 7500), ORCA_OK);                          /* 2 -> 6 */
    dt_do(d, o_ready(1), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 4, 1), "aged above the high priority");
    dt_close(d);
    free(d);
}

/* Overflow resets requirements to the original ones and restarts steps. */
static void test_overflow_resets(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 3, 2);
    qspec *q2 = &d->s.q[1];
    q2->nsteps = 1;
    q2->steps[0] = (qstep){1000, ORCA_STEP_DROP_REQUIRED, 1, 0};
    q2->overflow_after_ms = 3000;
    q2->overflow_to = 1;
    qspec *q1 = &d->s.q[0];
    q1->nsteps = 1;
    q1->steps[0] = (qstep){2000, ORCA_STEP_SET_LEVEL, 1, 2};
    dt_open(d);
    dt_do(d, o_agent(1), ORCA_OK);                  /* no skills, member of q1 */
    dt_do(d, o_member(1, 1, 0), ORCA_OK);
    dt_do(d, o_ready(1), ORCA_OK);
    dt_do(d, o_skill(o_agent(2), d, 1, 2), ORCA_OK);  /* s1:2, member of q1 */
    dt_do(d, o_member(1, 2, 0), ORCA_OK);
    dt_do(d, o_ready(2), ORCA_OK);
    dt_do(d, o_req(o_work(1, 2, ORCA_CHANNEL_VOICE, 0), d, 1, 5), ORCA_OK);
    dt_do(d, o_at(d, 1000), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_STEP, 1, 0), "q2 step dropped s1");
    dt_do(d, o_at(d, 3000), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OVERFLOWED, 1, 0), "overflowed");
    dt_expect(d, !dt_saw(d, ORCA_EV_OFFERED, 1, 0), "s1:5 required again in q1");
    dt_do(d, o_at(d, 4999), ORCA_OK);
    dt_expect(d, d->w.last_ref.n == 0, "q1's step is 2000 ms after entering q1");
    dt_do(d, o_at(d, 5000), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 1, 2), "level relaxed to 2: agent 2");
    dt_close(d);
    free(d);
}

/* Blended agent: chat cost 25 limit 3, email cost 10 limit 5, voice 100. */
static void test_blended(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 3, 1);
    dt_open(d);
    dt_do(d, o_agent(1), ORCA_OK);
    dt_do(d, o_member(1, 1, 0), ORCA_OK);
    dt_do(d, o_ready(1), ORCA_OK);
    for (uint64_t i = 1; i <= 4; i++)
        dt_do(d, o_work(i, 1, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_expect(d, dt_agent_of(d, 3) == 1 && dt_agent_of(d, 4) == 0, "3 chats, the 4th waits");
    dt_do(d, o_work(5, 1, ORCA_CHANNEL_VOICE, 9), ORCA_OK);
    dt_expect(d, dt_agent_of(d, 5) == 0, "voice does not fit beside chats");
    dt_do(d, o_work(6, 1, ORCA_CHANNEL_EMAIL, 0), ORCA_OK);
    dt_do(d, o_work(7, 1, ORCA_CHANNEL_EMAIL, 0), ORCA_OK);
    dt_do(d, o_work(8, 1, ORCA_CHANNEL_EMAIL, 0), ORCA_OK);
    dt_expect(d, dt_agent_of(d, 7) == 1 && dt_agent_of(d, 8) == 0, "75+10+10 = 95, third email waits");
    /* a chat ends: 95 - 25 = 70; the voice (prio 9) still does not fit; chat 4 does */
    dt_do(d, o_simple(OP_ACCEPT, 1), ORCA_OK);
    dt_do(d, o_simple(OP_END, 1), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 4, 1), "chat 4 offered");
    dt_expect(d, !dt_saw(d, ORCA_EV_OFFERED, 8, 0), "95 again: no room for email 8");
    /* capacity update to 200 lets voice in */
    op up = o_agent(1);
    up.kind = OP_AGENT_UPDATE;
    up.capacity = 205;
    dt_do(d, up, ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 5, 1) && dt_saw(d, ORCA_EV_OFFERED, 8, 1),
              "voice 5 then email 8 after the update");
    dt_close(d);
    free(d);
}

/* Offers stay pending when the agent goes NOT_READY; they time out. */
static void test_not_ready_with_offer(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 3, 1);
    dt_open(d);
    dt_do(d, o_agent(1), ORCA_OK);
    dt_do(d, o_member(1, 1, 0), ORCA_OK);
    dt_do(d, o_ready(1), ORCA_OK);
    dt_do(d, o_work(1, 1, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_do(d, o_work(2, 1, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_do(d, o_presence(1, ORCA_PRESENCE_NOT_READY), ORCA_OK);
    dt_do(d, o_work(3, 1, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_expect(d, dt_agent_of(d, 3) == 0, "no new offer while NOT_READY");
    dt_do(d, o_simple(OP_ACCEPT, 1), ORCA_OK);
    dt_do(d, o_at(d, 10000), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFER_TIMEOUT, 2, 1), "pending offer times out");
    dt_do(d, o_simple(OP_END, 1), ORCA_OK);
    dt_expect(d, !dt_saw(d, ORCA_EV_OFFERED, 0, 0), "no offer after end while NOT_READY");
    dt_do(d, o_ready(1), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 3, 1) && !dt_saw(d, ORCA_EV_OFFERED, 2, 0),
              "READY: gets 3, still excluded from 2");
    dt_do(d, o_at(d, 15000), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 2, 1), "2 after the exclusion");
    dt_close(d);
    free(d);
}

/* Removing an agent returns its offers to the queue (no exclusion). */
static void test_remove_with_offers(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 3, 1);
    dt_open(d);
    dt_do(d, o_agent(1), ORCA_OK);
    dt_do(d, o_member(1, 1, 0), ORCA_OK);
    dt_do(d, o_ready(1), ORCA_OK);
    dt_do(d, o_work(1, 1, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_do(d, o_work(2, 1, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_do(d, o_work(3, 1, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_do(d, o_simple(OP_ACCEPT, 3), ORCA_OK);
    dt_do(d, o_simple(OP_AGENT_REMOVE, 1), ORCA_ESTATE);
    dt_do(d, o_simple(OP_END, 3), ORCA_OK);
    dt_do(d, o_agent(2), ORCA_OK);
    dt_do(d, o_member(1, 2, 0), ORCA_OK);
    dt_do(d, o_ready(2), ORCA_OK);
    dt_do(d, o_at(d, 1000), ORCA_OK);
    dt_do(d, o_simple(OP_AGENT_REMOVE, 1), ORCA_OK);
    dt_expect(d, d->w.last_ref.n == 5 &&
              d->w.last_ref.v[0].type == ORCA_EV_REJECTED && d->w.last_ref.v[0].interaction == 1 &&
              d->w.last_ref.v[1].type == ORCA_EV_REJECTED && d->w.last_ref.v[1].interaction == 2 &&
              d->w.last_ref.v[2].type == ORCA_EV_AGENT_REMOVED &&
              d->w.last_ref.v[3].type == ORCA_EV_OFFERED && d->w.last_ref.v[3].agent == 2 &&
              d->w.last_ref.v[4].type == ORCA_EV_OFFERED && d->w.last_ref.v[4].interaction == 2,
              "REJECTED x2, AGENT_REMOVED, then re-offered in seq order");
    dt_do(d, o_simple(OP_REJECT, 1), ORCA_OK);
    dt_do(d, o_agent(1), ORCA_OK);
    dt_do(d, o_member(1, 1, 0), ORCA_OK);
    dt_do(d, o_ready(1), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 1, 1), "re-added agent 1 was never excluded");
    dt_do(d, o_simple(OP_AGENT_REMOVE, 1), ORCA_OK);
    dt_do(d, o_simple(OP_AGENT_REMOVE, 1), ORCA_ENOENT);
    dt_close(d);
    free(d);
}

/* no_answer_limit: NOT_READY with ORCA_REASON_NO_ANSWER after OFFER_TIMEOUT. */
static void test_no_answer(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 3, 1);
    d->s.cfg.no_answer_limit = 2;
    dt_open(d);
    dt_do(d, o_agent(1), ORCA_OK);
    dt_do(d, o_member(1, 1, 0), ORCA_OK);
    dt_do(d, o_ready(1), ORCA_OK);
    dt_do(d, o_work(1, 1, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_do(d, o_work(2, 1, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_do(d, o_at(d, 10000), ORCA_OK);
    dt_expect(d, d->w.last_ref.n >= 3 && d->w.last_ref.v[0].type == ORCA_EV_OFFER_TIMEOUT &&
              d->w.last_ref.v[1].type == ORCA_EV_OFFER_TIMEOUT &&
              d->w.last_ref.v[2].type == ORCA_EV_AGENT_PRESENCE &&
              d->w.last_ref.v[2].reason == ORCA_REASON_NO_ANSWER,
              "second timeout sets NOT_READY (after its OFFER_TIMEOUT)");
    orca_agent_info ai;
    orca_agent_info_get(d->w.e, 1, &ai);
    dt_expect(d, ai.presence == ORCA_PRESENCE_NOT_READY && ai.missed == 2, "engine agent state");
    dt_close(d);
    free(d);
}

/* Weighted random: the exponential race, over many offers. */
static void test_weighted_random_race(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 3, 1);
    d->s.q[0].strategy = ORCA_STRATEGY_WEIGHTED_RANDOM;
    dt_open(d);
    for (uint64_t a = 1; a <= 4; a++) {
        op o = o_agent(a);
        o.weight = (uint32_t)a;
        dt_do(d, o, ORCA_OK);
        dt_do(d, o_member(1, a, 0), ORCA_OK);
        dt_do(d, o_ready(a), ORCA_OK);
    }
    uint32_t got[5] = {0};
    for (uint64_t i = 1; i <= 200; i++) {
        dt_do(d, o_work(i, 1, ORCA_CHANNEL_EMAIL, 0), ORCA_OK);
        uint64_t a = dt_agent_of(d, i);
        dt_expect(d, a >= 1 && a <= 4, "offered");
        got[a]++;
        dt_do(d, o_simple(OP_ACCEPT, i), ORCA_OK);
        dt_do(d, o_simple(OP_END, i), ORCA_OK);
        if (d->nlog > MAX_OPS - 8)
            d->nlog = 0;                   /* keep the log short */
    }
    dt_expect(d, got[4] > got[1], "weight 4 wins more than weight 1");
    dt_close(d);
    free(d);
}

/* The primary key of each strategy, and pref before it. */
static void test_strategies(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 3, 4);
    d->s.q[0].strategy = ORCA_STRATEGY_LEAST_OCCUPIED;
    d->s.q[1].strategy = ORCA_STRATEGY_MOST_PROFICIENT;
    d->s.q[2].strategy = ORCA_STRATEGY_ROUND_ROBIN;
    d->s.q[3].strategy = ORCA_STRATEGY_FEWEST_HANDLED;
    dt_open(d);
    dt_do(d, o_skill(o_agent(1), d, 0, 3), ORCA_OK);   /* s0:3 */
    dt_do(d, o_skill(o_skill(o_agent(2), d, 0, 7), d, 1, 1), ORCA_OK);  /* s0:7 s1:1 */
    dt_do(d, o_skill(o_agent(3), d, 2, 5), ORCA_OK);   /* s2:5 */
    for (uint64_t a = 1; a <= 3; a++)
        for (uint32_t q = 1; q <= 4; q++)
            dt_do(d, o_member(q, a, 0), ORCA_OK);
    dt_do(d, o_ready(1), ORCA_OK);
    dt_do(d, o_at(d, 1000), ORCA_OK);
    dt_do(d, o_ready(2), ORCA_OK);
    dt_do(d, o_ready(3), ORCA_OK);
    /* LEAST_OCCUPIED: all 0 -> longest idle (1); then 2 (1 uses 25); then 3 */
    dt_do(d, o_work(1, 1, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_expect(d, dt_agent_of(d, 1) == 1, "least occupied: tie -> longest idle");
    dt_do(d, o_work(2, 1, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_expect(d, dt_agent_of(d, 2) == 2, "least occupied: 2 uses 0");
    dt_do(d, o_work(3, 1, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_expect(d, dt_agent_of(d, 3) == 3, "least occupied: 3 uses 0");
    dt_do(d, o_work(4, 1, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_expect(d, dt_agent_of(d, 4) == 1, "least occupied: all 25 -> longest idle");
    for (uint64_t i = 1; i <= 4; i++)
        dt_do(d, o_simple(OP_CANCEL, i), ORCA_OK);
    /* MOST_PROFICIENT: s0 required, 2 holds it at 7 */
    dt_do(d, o_req(o_work(5, 2, ORCA_CHANNEL_EMAIL, 0), d, 0, 1), ORCA_OK);
    dt_expect(d, dt_agent_of(d, 5) == 2, "most proficient: s0:7");
    /* a preferred skill counts before proficiency: s2 preferred, only 3 */
    op o = o_req(o_work(6, 2, ORCA_CHANNEL_EMAIL, 0), d, 0, 1);
    o.pref[o.npref++] = (orca_skill_level){d->w.sid[2], 1};
    dt_do(d, o, ORCA_OK);
    dt_expect(d, dt_agent_of(d, 6) == 2, "3 (s2) lacks required s0: 2 again");
    o = o_work(7, 2, ORCA_CHANNEL_EMAIL, 0);
    o.pref[o.npref++] = (orca_skill_level){d->w.sid[2], 1};
    dt_do(d, o, ORCA_OK);
    dt_expect(d, dt_agent_of(d, 7) == 3, "pref before score");
    dt_do(d, o_simple(OP_CANCEL, 5), ORCA_OK);
    dt_do(d, o_simple(OP_CANCEL, 6), ORCA_OK);
    dt_do(d, o_simple(OP_CANCEL, 7), ORCA_OK);
    /* ROUND_ROBIN: last offers were 1 (#4), 2 (#5), 3 (#7): 1 is least recent */
    dt_do(d, o_work(8, 3, ORCA_CHANNEL_EMAIL, 0), ORCA_OK);
    dt_expect(d, dt_agent_of(d, 8) == 1, "round robin: least recently offered");
    dt_do(d, o_work(9, 3, ORCA_CHANNEL_EMAIL, 0), ORCA_OK);
    dt_expect(d, dt_agent_of(d, 9) == 2, "round robin: next");
    /* FEWEST_HANDLED: 1 and 2 accept one each, 3 none */
    dt_do(d, o_simple(OP_ACCEPT, 8), ORCA_OK);
    dt_do(d, o_simple(OP_ACCEPT, 9), ORCA_OK);
    dt_do(d, o_work(10, 4, ORCA_CHANNEL_EMAIL, 0), ORCA_OK);
    dt_expect(d, dt_agent_of(d, 10) == 3, "fewest handled");
    dt_close(d);
    free(d);
}

/* MOST_PROFICIENT's score counts a skill both required and preferred once. */
static void test_score_distinct_skills(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 3, 1);
    d->s.q[0].strategy = ORCA_STRATEGY_MOST_PROFICIENT;
    dt_open(d);
    dt_do(d, o_skill(o_skill(o_agent(1), d, 0, 5), d, 1, 4), ORCA_OK);  /* 5 + 4 = 9 */
    dt_do(d, o_skill(o_skill(o_agent(2), d, 0, 2), d, 1, 8), ORCA_OK);  /* 2 + 8 = 10 */
    for (uint64_t a = 1; a <= 2; a++) {
        dt_do(d, o_member(1, a, 0), ORCA_OK);
        dt_do(d, o_ready(a), ORCA_OK);
    }
    op o = o_req(o_work(1, 1, ORCA_CHANNEL_EMAIL, 0), d, 0, 1);
    o.pref[o.npref++] = (orca_skill_level){d->w.sid[0], 1};
    o.pref[o.npref++] = (orca_skill_level){d->w.sid[1], 1};
    dt_do(d, o, ORCA_OK);
    /* counting s0 twice would give 14 against 12 */
    dt_expect(d, dt_agent_of(d, 1) == 2, "score 10 beats 9");
    dt_close(d);
    free(d);
}

/* Tiers come first on the agent side; ranks first on the work side. */
static void test_tiers_and_ranks(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 3, 2);
    d->s.q[1].serve = ORCA_SERVE_MEMBERS | ORCA_SERVE_SKILLS;
    d->s.q[1].nskills = 1;
    d->s.q[1].skill_idx[0] = 0;
    d->s.q[1].skill_lvl[0] = 2;
    d->s.q[1].skills_tier = 1;
    dt_open(d);
    dt_do(d, o_skill(o_agent(1), d, 0, 2), ORCA_OK);   /* serves q2 by skill, tier 1 */
    dt_do(d, o_agent(2), ORCA_OK);
    dt_do(d, o_member(1, 1, 0), ORCA_OK);
    dt_do(d, o_member(1, 2, 1), ORCA_OK);
    dt_do(d, o_member(2, 2, 2), ORCA_OK);              /* member of q2 at tier 2 */
    dt_do(d, o_ready(1), ORCA_OK);
    dt_do(d, o_at(d, 1000), ORCA_OK);
    dt_do(d, o_ready(2), ORCA_OK);
    /* q1: agent 1 tier 0 beats agent 2 tier 1 */
    dt_do(d, o_work(1, 1, ORCA_CHANNEL_EMAIL, 0), ORCA_OK);
    dt_expect(d, dt_agent_of(d, 1) == 1, "tier 0 first");
    /* q2: agent 1 by skills (skills_tier 1) beats member 2 at tier 2 */
    dt_do(d, o_work(2, 2, ORCA_CHANNEL_EMAIL, 0), ORCA_OK);
    dt_expect(d, dt_agent_of(d, 2) == 1, "skills tier 1 before member tier 2");
    dt_do(d, o_simple(OP_CANCEL, 1), ORCA_OK);
    dt_do(d, o_simple(OP_CANCEL, 2), ORCA_OK);
    /* release: q1 work prio 9 first by default; with rank(q1) = 1, q2's */
    dt_do(d, o_presence(1, ORCA_PRESENCE_NOT_READY), ORCA_OK);
    dt_do(d, o_presence(2, ORCA_PRESENCE_NOT_READY), ORCA_OK);
    dt_do(d, o_work(3, 1, ORCA_CHANNEL_VOICE, 9), ORCA_OK);
    dt_do(d, o_work(4, 2, ORCA_CHANNEL_VOICE, 0), ORCA_OK);
    op r = o_simple(OP_RANK, 1);
    r.queue = 1;
    r.v = 1;
    dt_do(d, r, ORCA_OK);
    dt_do(d, o_ready(1), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 4, 1), "rank 0 queue first despite priority");
    dt_do(d, o_ready(2), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 3, 2), "agent 2 (rank 0 everywhere) takes q1's");
    dt_close(d);
    free(d);
}

/* ---- helpers for held work, customers and transfers -------------------- */

static op o_cust(op o, uint64_t customer, uint64_t conversation)
{
    o.customer = customer;
    o.conversation = conversation;
    return o;
}

static op o_named(op o, uint64_t agent, uint32_t wait_ms, uint32_t hard)
{
    o.agent = agent;
    o.agent_wait_ms = wait_ms;
    o.agent_required = hard;
    return o;
}

static op o_transfer(uint64_t from, uint64_t to, uint32_t q, orca_channel_id ch,
                     orca_transfer_mode mode)
{
    op o = o_work(from, q, ch, 0);
    o.kind = OP_TRANSFER;
    o.id2 = to;
    o.reason = mode;
    return o;
}

/* The reference's events of the last op include (type, i, a) with this
 * value. */
static int dt_saw_v(dt *d, orca_event_type t, uint64_t i, uint64_t a, uint32_t value)
{
    for (size_t k = 0; k < d->w.last_ref.n; k++) {
        const orca_event *ev = &d->w.last_ref.v[k];
        if (ev->type == t && ev->interaction == i && ev->agent == a && ev->value == value)
            return 1;
    }
    return 0;
}

static orca_customer_info dt_customer(dt *d, uint64_t customer)
{
    orca_customer_info ci;
    memset(&ci, 0, sizeof ci);
    if (ref_customer_info_get(d->w.r, customer, &ci) != 0)
        ci.customer = 0;
    return ci;
}

static orca_interaction_info dt_info(dt *d, uint64_t id)
{
    orca_interaction_info ii;
    memset(&ii, 0, sizeof ii);
    ref_interaction_info_get(d->w.r, id, &ii);
    return ii;
}

/* Named agents: soft with wait 0 means "that agent if available now";
 * hard waits out its time for nobody else; held work reaches its agent in
 * the release direction; a soft hold ends when its agent declines. */
static void test_named_targets(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 3, 1);
    dt_open(d);
    for (uint64_t a = 1; a <= 3; a++) {
        dt_do(d, o_agent(a), ORCA_OK);
        dt_do(d, o_member(1, a, 0), ORCA_OK);
    }
    dt_do(d, o_ready(2), ORCA_OK);
    dt_do(d, o_at(d, 1000), ORCA_OK);
    dt_do(d, o_ready(1), ORCA_OK);                   /* 2 has been idle longer */
    dt_do(d, o_named(o_work(10, 1, ORCA_CHANNEL_VOICE, 0), 1, 0, 0), ORCA_OK);
    dt_expect(d, dt_saw_v(d, ORCA_EV_ENQUEUED, 10, 1, ORCA_ENQ_TARGETED), "ENQUEUED: held for 1");
    dt_expect(d, dt_agent_of(d, 10) == 1, "soft 0: agent 1, available now");
    dt_do(d, o_named(o_work(11, 1, ORCA_CHANNEL_VOICE, 0), 1, 0, 0), ORCA_OK);
    dt_expect(d, dt_saw_v(d, ORCA_EV_TARGET_RELEASED, 11, 1, ORCA_RELEASE_EXPIRED),
              "soft 0, agent 1 busy: released at once");
    dt_expect(d, dt_agent_of(d, 11) == 2, "then to anyone: agent 2");
    dt_do(d, o_simple(OP_ACCEPT, 10), ORCA_OK);
    dt_do(d, o_simple(OP_ACCEPT, 11), ORCA_OK);
    /* hard, 3 s: agent 3 comes in and is not offered it */
    dt_do(d, o_named(o_work(12, 1, ORCA_CHANNEL_VOICE, 0), 1, 3000, 1), ORCA_OK);
    dt_expect(d, dt_info(d, 12).target_until_ms == d->s.cfg.start_ms + 4000 &&
              dt_info(d, 12).target_required == 1, "held (hard) until +4000");
    dt_do(d, o_ready(3), ORCA_OK);
    dt_expect(d, dt_agent_of(d, 12) == 0, "nobody but agent 1");
    dt_do(d, o_at(d, 3999), ORCA_OK);
    dt_expect(d, d->w.last_ref.n == 0, "still held at +3999");
    dt_do(d, o_at(d, 4000), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_TIMED_OUT, 12, 0), "hard: timed out at until");
    /* soft, 5 s: reaches agent 1 when it is free; a reject releases it */
    dt_do(d, o_named(o_work(13, 1, ORCA_CHANNEL_VOICE, 0), 1, 5000, 0), ORCA_OK);
    dt_expect(d, dt_agent_of(d, 13) == 0, "held for agent 1, agent 3 idle");
    dt_do(d, o_simple(OP_END, 10), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OFFERED, 13, 1), "agent 1 free: takes its held work");
    dt_do(d, o_simple(OP_REJECT, 13), ORCA_OK);
    dt_expect(d, dt_saw_v(d, ORCA_EV_TARGET_RELEASED, 13, 1, ORCA_RELEASE_DECLINED),
              "declined: released");
    dt_expect(d, dt_agent_of(d, 13) == 3, "then to agent 3");
    dt_close(d);
    free(d);
}

/* Sticky routing to the customer's last agent, ENQUEUED bits, history. */
static void test_sticky_and_history(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 3, 1);
    d->s.q[0].sticky_ms = 10000;
    d->s.ncust = 1;
    dt_open(d);
    for (uint64_t a = 1; a <= 2; a++) {
        dt_do(d, o_agent(a), ORCA_OK);
        dt_do(d, o_member(1, a, 0), ORCA_OK);
    }
    dt_do(d, o_ready(1), ORCA_OK);
    dt_do(d, o_at(d, 1000), ORCA_OK);
    dt_do(d, o_ready(2), ORCA_OK);
    dt_do(d, o_cust(o_work(1, 1, ORCA_CHANNEL_CHAT, 0), 1, 7), ORCA_OK);
    dt_expect(d, dt_saw_v(d, ORCA_EV_ENQUEUED, 1, 0, 0), "a new customer: no bits");
    dt_expect(d, dt_agent_of(d, 1) == 1, "longest idle: agent 1");
    dt_do(d, o_simple(OP_ACCEPT, 1), ORCA_OK);
    dt_do(d, o_at(d, 2000), ORCA_OK);
    dt_do(d, o_simple(OP_END, 1), ORCA_OK);
    orca_customer_info ci = dt_customer(d, 1);
    dt_expect(d, ci.customer == 1 && ci.history == 1 && ci.open == 0 && ci.last_agent == 1 &&
              ci.contacts == 1, "one finished interaction, answered by 1");
    /* agent 2 is now the longest idle, but the customer's last agent wins */
    dt_do(d, o_cust(o_work(2, 1, ORCA_CHANNEL_CHAT, 0), 1, 7), ORCA_OK);
    dt_expect(d, dt_saw_v(d, ORCA_EV_ENQUEUED, 2, 1,
                          ORCA_ENQ_RECONTACT | ORCA_ENQ_TARGETED | ORCA_ENQ_STICKY),
              "recontact, sticky to agent 1");
    dt_expect(d, dt_agent_of(d, 2) == 1, "offered to agent 1");
    /* the conversation's latest interaction is a chat: an email switches */
    dt_do(d, o_cust(o_work(3, 1, ORCA_CHANNEL_EMAIL, 0), 1, 7), ORCA_OK);
    dt_expect(d, dt_saw_v(d, ORCA_EV_ENQUEUED, 3, 1,
                          ORCA_ENQ_RECONTACT | ORCA_ENQ_SWITCH | ORCA_ENQ_TARGETED |
                              ORCA_ENQ_STICKY), "channel switch, sticky again");
    ci = dt_customer(d, 1);
    dt_expect(d, ci.contacts == 3 && ci.open == 2 && ci.history == 1, "3 contacts, 2 live");
    /* agent 1 takes both: a voice call can't fit beside them, so it is
     * held, then released to agent 2 when sticky_ms runs out */
    dt_do(d, o_simple(OP_ACCEPT, 2), ORCA_OK);
    dt_do(d, o_simple(OP_ACCEPT, 3), ORCA_OK);
    dt_do(d, o_cust(o_work(4, 1, ORCA_CHANNEL_VOICE, 0), 1, 0), ORCA_OK);
    dt_expect(d, dt_agent_of(d, 4) == 0, "held for busy agent 1");
    dt_do(d, o_at(d, 12000), ORCA_OK);
    dt_expect(d, dt_saw_v(d, ORCA_EV_TARGET_RELEASED, 4, 1, ORCA_RELEASE_EXPIRED) &&
              dt_saw(d, ORCA_EV_OFFERED, 4, 2), "sticky_ms over: to agent 2");
    dt_close(d);
    free(d);
}

/* Consult then blind transfer: linked legs, from completing on the leg's
 * accept, the id carrying on, arrival kept, history outcomes. */
static void test_transfers(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 3, 2);
    d->s.ncust = 1;
    dt_open(d);
    dt_do(d, o_agent(1), ORCA_OK);
    dt_do(d, o_member(1, 1, 0), ORCA_OK);
    dt_do(d, o_agent(2), ORCA_OK);
    dt_do(d, o_member(2, 2, 0), ORCA_OK);
    dt_do(d, o_ready(1), ORCA_OK);
    dt_do(d, o_ready(2), ORCA_OK);
    dt_do(d, o_cust(o_work(1, 1, ORCA_CHANNEL_CHAT, 0), 1, 9), ORCA_OK);
    dt_do(d, o_simple(OP_ACCEPT, 1), ORCA_OK);
    dt_do(d, o_at(d, 5000), ORCA_OK);
    dt_do(d, o_transfer(1, 2, 2, ORCA_CHANNEL_VOICE, ORCA_TRANSFER_CONSULT), ORCA_OK);
    dt_expect(d, !dt_saw(d, ORCA_EV_TRANSFERRED, 1, 0), "no TRANSFERRED until the leg's accept");
    dt_expect(d, dt_saw_v(d, ORCA_EV_ENQUEUED, 2, 0, ORCA_ENQ_TRANSFER | ORCA_ENQ_SWITCH),
              "the leg: transferred, chat -> voice");
    dt_expect(d, dt_agent_of(d, 2) == 2 && dt_info(d, 1).state == ORCA_STATE_BUSY &&
              dt_info(d, 1).transfer_to == 2 && dt_info(d, 2).transfer_from == 1 &&
              dt_info(d, 2).arrival_ms == d->s.cfg.start_ms, "from stays BUSY, linked");
    dt_do(d, o_transfer(1, 3, 2, ORCA_CHANNEL_VOICE, ORCA_TRANSFER_CONSULT), ORCA_ESTATE);
    dt_do(d, o_simple(OP_ACCEPT, 2), ORCA_OK);
    dt_expect(d, dt_saw_v(d, ORCA_EV_TRANSFERRED, 1, 1, ORCA_TRANSFER_CONSULT) &&
              dt_saw(d, ORCA_EV_COMPLETED, 1, 1), "from handed over on the leg's accept");
    orca_history_entry h[4];
    uint32_t n = 0;
    ref_customer_history(d->w.r, 1, h, 4, &n);
    dt_expect(d, n == 1 && h[0].interaction == 1 && h[0].outcome == ORCA_OUTCOME_TRANSFERRED &&
              h[0].agent == 1, "from in the history, transferred");
    /* blind, same id, back to q1 on chat */
    dt_do(d, o_transfer(2, 2, 1, ORCA_CHANNEL_CHAT, ORCA_TRANSFER_BLIND), ORCA_OK);
    dt_expect(d, dt_saw_v(d, ORCA_EV_TRANSFERRED, 2, 2, ORCA_TRANSFER_BLIND) &&
              dt_saw(d, ORCA_EV_COMPLETED, 2, 2) &&
              dt_saw_v(d, ORCA_EV_ENQUEUED, 2, 0, ORCA_ENQ_TRANSFER | ORCA_ENQ_SWITCH) &&
              dt_saw(d, ORCA_EV_OFFERED, 2, 1), "the id carries on, to agent 1");
    dt_expect(d, dt_info(d, 2).arrival_ms == d->s.cfg.start_ms, "arrival of the first leg");
    dt_close(d);
    free(d);
}

/* history_per_customer keeps the newest; past max_customers idle ones the
 * least recently active is forgotten. */
/* Scheduled work, bots, resume and virtual hold, worked out from DESIGN.md
 * "Scheduled work, bots, opening hours, resume" (T = start):
 *  - a slot at T+10 s, offered 2 s early: ENQUEUED (bit SCHEDULED, wait 0)
 *    then SCHEDULED (SLOT, due T+8 s), arrival T+8 s; DUE at T+8 s and
 *    offered at once; unreached: UNREACHED 1, SCHEDULED RETRY at +3 s, the
 *    agent free; the second unreached (callback_attempts 2) forgets it;
 *  - a bot: state BOT, never offered; end: CONTAINED; another escalated:
 *    ESCALATED, then ENQUEUED with ESCALATED and no RECONTACT, offered;
 *  - abandoned in a queue with resume_ms: back within it, RESUMED with the
 *    old arrival;
 *  - virtual hold: CHANNEL_CHANGED, SCHEDULED SLOT until the time. */
/* Opening hours, worked by hand (orca.h "Opening hours"). The clock
 * starts at 1970-01-01 00:16:40 UTC, a Thursday (day 4). Queue 1 opens
 * 00:17-00:18 on Thursdays and holds new work while closed; queue 2 is
 * always closed and redirects to queue 3, which is open 00:16-00:17 on
 * Thursdays but for a holiday [T+10 s, T+15 s), and rejects. */
static void test_opening_hours(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 1, 3);
    uint64_t T = d->s.cfg.start_ms;
    hspec *h = &d->s.q[0].hours;
    h->on = 1;
    h->r[h->nr++] = (orca_hours_range){4, 17, 18};
    h->act = ORCA_CLOSED_HOLD;
    h = &d->s.q[1].hours;
    h->on = 1;
    h->act = ORCA_CLOSED_REDIRECT;
    h->redir = 3;
    h = &d->s.q[2].hours;
    h->on = 1;
    h->r[h->nr++] = (orca_hours_range){4, 16, 17};
    h->x[h->nx++] = (orca_hours_exception){T + 10000, T + 15000, 0};
    h->act = ORCA_CLOSED_REJECT;
    dt_open(d);
    dt_do(d, o_agent(1), ORCA_OK);
    dt_do(d, o_member(1, 1, 0), ORCA_OK);
    dt_do(d, o_member(3, 1, 0), ORCA_OK);
    dt_do(d, o_ready(1), ORCA_OK);
    dt_do(d, o_work(10, 1, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_expect(d, dt_saw_v(d, ORCA_EV_SCHEDULED, 10, 0, ORCA_SCHED_CLOSED) &&
              d->w.last_ref.v[1].due_ms == T + 20000 &&
              dt_info(d, 10).arrival_ms == T + 20000,
              "closed HOLD queue: SCHEDULED (CLOSED) until 00:17, arriving then");
    dt_do(d, o_work(11, 2, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_expect(d, dt_saw_v(d, ORCA_EV_ENQUEUED, 11, 0, ORCA_ENQ_REDIRECTED) &&
              d->w.last_ref.v[0].queue == 3 && d->w.last_ref.v[0].queue_from == 2 &&
              dt_saw(d, ORCA_EV_OFFERED, 11, 1),
              "redirected to queue 3 (open): ENQUEUED queue 3, queue_from 2, offered");
    dt_do(d, o_at(d, 12000), ORCA_OK);
    dt_do(d, o_work(12, 2, ORCA_CHANNEL_CHAT, 0), ORCA_ECLOSED);
    dt_expect(d, dt_saw(d, ORCA_EV_REJECTED_CLOSED, 12, 0) && d->w.last_ref.v[0].queue == 2,
              "queue 3 on holiday: refused, REJECTED_CLOSED names the queue asked for");
    dt_do(d, o_at(d, 15000), ORCA_OK);
    dt_do(d, o_work(12, 2, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_do(d, o_at(d, 20000), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_DUE, 10, 0), "due at the opening");
    dt_do(d, o_work(13, 2, ORCA_CHANNEL_CHAT, 0), ORCA_ECLOSED);
    dt_do(d, o_at(d, 90000), ORCA_OK);
    dt_do(d, o_work(14, 1, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_expect(d, dt_saw_v(d, ORCA_EV_SCHEDULED, 14, 0, ORCA_SCHED_CLOSED) &&
              d->w.last_ref.v[1].due_ms == 7 * 86400000ull + 17 * 60000ull,
              "closed after 00:18: held until next Thursday 00:17");
    op o = o_simple(OP_HOURS, 0);
    o.queue = 1;
    dt_do(d, o, ORCA_OK);
    dt_do(d, o_work(15, 1, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_expect(d, dt_info(d, 15).state == ORCA_STATE_WAITING ||
              dt_info(d, 15).state == ORCA_STATE_OFFERED, "hours cleared: always open");
    dt_close(d);
    free(d);
}

static void test_scheduled_bots_resume(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 1, 2);
    d->s.ncust = 8;
    d->s.q[0].callback_attempts = 2;
    d->s.q[0].callback_retry_ms = 3000;
    d->s.q[0].resume_ms = 5000;
    dt_open(d);
    uint64_t T = d->s.cfg.start_ms;
    dt_do(d, o_agent(1), ORCA_OK);
    dt_do(d, o_member(1, 1, 0), ORCA_OK);
    dt_do(d, o_ready(1), ORCA_OK);
    op o = o_work(10, 1, ORCA_CHANNEL_VOICE, 0);
    o.not_before = T + 10000;
    o.early_ms = 2000;
    dt_do(d, o, ORCA_OK);
    dt_expect(d, dt_saw_v(d, ORCA_EV_ENQUEUED, 10, 0, ORCA_ENQ_SCHEDULED) &&
              dt_saw_v(d, ORCA_EV_SCHEDULED, 10, 0, ORCA_SCHED_SLOT) &&
              d->w.last_ref.v[1].due_ms == T + 8000 && d->w.last_ref.v[0].wait_ms == 0 &&
              dt_info(d, 10).state == ORCA_STATE_SCHEDULED && dt_info(d, 10).arrival_ms == T + 8000,
              "a slot: ENQUEUED, SCHEDULED until T+8 s, not offered");
    o = o_work(11, 1, ORCA_CHANNEL_VOICE, 0);
    o.not_before = T - 1;
    dt_do(d, o, ORCA_ERANGE);
    dt_do(d, o_at(d, 7999), ORCA_OK);
    dt_expect(d, d->w.last_ref.n == 0, "nothing before due");
    dt_do(d, o_at(d, 8000), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_DUE, 10, 0) && dt_saw(d, ORCA_EV_OFFERED, 10, 1),
              "due at T+8 s, offered at once");
    dt_do(d, o_simple(OP_ACCEPT, 10), ORCA_OK);
    dt_do(d, o_simple(OP_UNREACHED, 10), ORCA_OK);
    dt_expect(d, dt_saw_v(d, ORCA_EV_UNREACHED, 10, 1, 1) &&
              dt_saw_v(d, ORCA_EV_SCHEDULED, 10, 0, ORCA_SCHED_RETRY) &&
              d->w.last_ref.v[1].due_ms == T + 11000 && dt_agent_of(d, 10) == 0,
              "unreached once: retry in 3 s, the agent free");
    dt_do(d, o_simple(OP_UNREACHED, 10), ORCA_ESTATE);
    dt_do(d, o_at(d, 11000), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_DUE, 10, 0) && dt_saw(d, ORCA_EV_OFFERED, 10, 1),
              "retried at T+11 s");
    dt_do(d, o_simple(OP_ACCEPT, 10), ORCA_OK);
    dt_do(d, o_simple(OP_UNREACHED, 10), ORCA_OK);
    dt_expect(d, dt_saw_v(d, ORCA_EV_UNREACHED, 10, 1, 2) && !dt_saw(d, ORCA_EV_SCHEDULED, 10, 0) &&
              dt_info(d, 10).id == 0, "the last try: forgotten");
    /* bots */
    o = o_cust(o_work(20, 2, ORCA_CHANNEL_CHAT, 0), 5, 0);
    o.bot = 1;
    dt_do(d, o, ORCA_OK);
    dt_expect(d, dt_saw_v(d, ORCA_EV_ENQUEUED, 20, 0, ORCA_ENQ_BOT) &&
              dt_info(d, 20).state == ORCA_STATE_BOT, "a bot");
    dt_do(d, o_at(d, 12000), ORCA_OK);
    dt_do(d, o_simple(OP_END, 20), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_CONTAINED, 20, 0) && d->w.last_ref.v[0].duration_ms == 1000,
              "contained after 1 s");
    o = o_cust(o_work(21, 2, ORCA_CHANNEL_CHAT, 0), 5, 0);
    o.bot = 1;
    dt_do(d, o, ORCA_OK);
    o = o_work(21, 1, ORCA_CHANNEL_CHAT, 0);
    o.kind = OP_ESCALATE;
    o.id2 = 21;
    dt_do(d, o, ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_ESCALATED, 21, 0) &&
              dt_saw_v(d, ORCA_EV_ENQUEUED, 21, 0, ORCA_ENQ_ESCALATED) &&
              dt_saw(d, ORCA_EV_OFFERED, 21, 1), "escalated: a new leg, offered");
    dt_do(d, o, ORCA_ESTATE);
    /* resume */
    dt_do(d, o_presence(1, ORCA_PRESENCE_NOT_READY), ORCA_OK);
    dt_do(d, o_cust(o_work(30, 1, ORCA_CHANNEL_VOICE, 0), 7, 0), ORCA_OK);
    dt_do(d, o_at(d, 13000), ORCA_OK);
    dt_do(d, o_simple(OP_ABANDON, 30), ORCA_OK);
    dt_do(d, o_at(d, 17999), ORCA_OK);
    dt_do(d, o_cust(o_work(31, 1, ORCA_CHANNEL_VOICE, 0), 7, 0), ORCA_OK);
    dt_expect(d, dt_saw_v(d, ORCA_EV_ENQUEUED, 31, 0, ORCA_ENQ_RECONTACT | ORCA_ENQ_RESUMED) &&
              dt_info(d, 31).arrival_ms == T + 12000, "resumed: the old arrival");
    /* virtual hold */
    dt_do(d, o_work(40, 1, ORCA_CHANNEL_VOICE, 0), ORCA_OK);
    o = o_simple(OP_CALLBACK, 40);
    o.channel = ORCA_CHANNEL_CALLBACK;
    o.not_before = T + 30000;
    dt_do(d, o, ORCA_OK);
    dt_expect(d, dt_saw_v(d, ORCA_EV_CHANNEL_CHANGED, 40, 0, ORCA_CHANNEL_VOICE) &&
              dt_saw_v(d, ORCA_EV_SCHEDULED, 40, 0, ORCA_SCHED_SLOT) &&
              dt_info(d, 40).channel == ORCA_CHANNEL_CALLBACK &&
              dt_info(d, 40).arrival_ms == T + 17999, "virtual hold: a callback at T+30 s");
    dt_close(d);
    free(d);
}

static void test_customer_limits(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 3, 1);
    d->s.cfg.history_per_customer = 2;
    d->s.cfg.max_customers = 1;
    d->s.ncust = 2;
    dt_open(d);
    for (uint64_t i = 1; i <= 3; i++) {
        dt_do(d, o_cust(o_work(i, 1, ORCA_CHANNEL_VOICE, 0), 1, 0), ORCA_OK);
        dt_do(d, o_at(d, 1000 * i), ORCA_OK);
        dt_do(d, o_simple(OP_CANCEL, i), ORCA_OK);
    }
    orca_history_entry h[4];
    uint32_t n = 0;
    ref_customer_history(d->w.r, 1, h, 4, &n);
    dt_expect(d, n == 2 && h[0].interaction == 3 && h[1].interaction == 2 &&
              h[0].outcome == ORCA_OUTCOME_CANCELLED, "the two newest");
    dt_expect(d, dt_customer(d, 1).contacts == 3, "three contacts");
    dt_do(d, o_cust(o_work(4, 1, ORCA_CHANNEL_VOICE, 0), 2, 0), ORCA_OK);
    dt_expect(d, dt_customer(d, 1).customer == 1, "customer 2 has live work: 1 kept");
    dt_do(d, o_simple(OP_ABANDON, 4), ORCA_OK);
    dt_expect(d, dt_customer(d, 1).customer == 0 && dt_customer(d, 2).customer == 2,
              "two idle, max 1: the least recently active forgotten");
    op f = o_simple(OP_FORGET, 2);
    dt_do(d, f, ORCA_OK);
    dt_do(d, f, ORCA_ENOENT);
    dt_close(d);
    free(d);
}

/* Max wait passing while OFFERED applies when the offer comes back. */
static void test_max_wait_while_offered(void **state)
{
    (void)state;
    dt *d = calloc(1, sizeof *d);
    dt_setup(d, 3, 1);
    d->s.q[0].max_wait_ms = 5000;
    d->s.q[0].max_size = 1;
    dt_open(d);
    dt_do(d, o_agent(1), ORCA_OK);
    dt_do(d, o_member(1, 1, 0), ORCA_OK);
    dt_do(d, o_ready(1), ORCA_OK);
    dt_do(d, o_work(1, 1, ORCA_CHANNEL_VOICE, 0), ORCA_OK);
    dt_do(d, o_work(2, 1, ORCA_CHANNEL_VOICE, 0), ORCA_EFULL);
    dt_expect(d, dt_saw(d, ORCA_EV_REJECTED_FULL, 2, 0), "REJECTED_FULL");
    dt_do(d, o_at(d, 7000), ORCA_OK);
    dt_expect(d, d->w.last_ref.n == 0, "no max wait while offered");
    dt_do(d, o_simple(OP_REJECT, 1), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_TIMED_OUT, 1, 0), "timed out on its return");
    dt_close(d);
    free(d);
}

/* ------------------------------------------------------------------------ */
/* Engine bugs the random test found, kept as minimal regression scenarios  */
/* (all fixed in e19235f). Each runs in a child process, so a crash fails   */
/* the test and not the whole program.                                      */
/* ------------------------------------------------------------------------ */

typedef void (*dt_fn)(dt *d);

static void run_isolated(dt_fn fn)
{
    fflush(NULL);
    pid_t pid = g_fork ? fork() : -1;
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        signal(SIGABRT, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        signal(SIGFPE, SIG_DFL);
        signal(SIGILL, SIG_DFL);
        signal(SIGALRM, SIG_DFL);
        alarm(60);
        g_in_child = 1;
        dt *d = calloc(1, sizeof *d);
        fn(d);
        free(d);
        fflush(NULL);
        _exit(0);
    }
    if (pid < 0) {
        dt *d = calloc(1, sizeof *d);
        fn(d);
        free(d);
        return;
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        ;
    if (WIFSIGNALED(st))
        fail_msg("the engine crashed (signal %d)", WTERMSIG(st));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("engine and reference disagree (see above)");
}

/*
 * The timer heap's room is reserved at enqueue for timers.n + 1 entries,
 * but BUSY interactions have no timer: once they end (WRAPUP needs a timer)
 * the heap holds more entries than were reserved and heap_push writes past
 * the block (ASan: heap-buffer-overflow in heap_push from timer_update).
 */
static void regress_timer_heap_overflow(dt *d)
{
    dt_setup(d, 3, 1);
    d->s.builtin_wrapup[ORCA_CHANNEL_EMAIL] = 1000;
    d->s.q[0].wrapup_ms = ORCA_WRAPUP_CHANNEL;
    dt_open(d);
    dt_do(d, o_agent(1), ORCA_OK);                   /* email limit 5 */
    dt_do(d, o_member(1, 1, 0), ORCA_OK);
    dt_do(d, o_ready(1), ORCA_OK);
    for (uint64_t i = 1; i <= 4; i++)
        dt_do(d, o_work(i, 1, ORCA_CHANNEL_EMAIL, 0), ORCA_OK);  /* 4 offers: 4 timers */
    for (uint64_t i = 1; i <= 4; i++)
        dt_do(d, o_simple(OP_ACCEPT, i), ORCA_OK);   /* BUSY: no timers */
    dt_do(d, o_work(5, 1, ORCA_CHANNEL_EMAIL, 0), ORCA_OK);      /* reserves 1 more */
    for (uint64_t i = 1; i <= 4; i++)
        dt_do(d, o_simple(OP_END, i), ORCA_OK);      /* 4 wrap-up timers + 1 offer */
    dt_close(d);
}

static void test_regress_timer_heap_overflow(void **state)
{
    (void)state;
    run_isolated(regress_timer_heap_overflow);
}

/*
 * A routing step that leaves the requirements as they are (here: dropping
 * a preferred skill the interaction does not have) puts the same class in
 * the plan twice; plan_use() then counts the class's `need` once per
 * occurrence while plan_reserve_user() reserved room for one, and
 * orca_engine_check() fails (engine.c: c->waiting.cap >= c->need).
 */
static void regress_noop_steps_check(dt *d)
{
    dt_setup(d, 3, 1);
    qspec *q = &d->s.q[0];
    q->nsteps = 4;
    for (uint32_t k = 0; k < 4; k++)
        q->steps[k] = (qstep){1000 * (k + 1), ORCA_STEP_DROP_PREFERRED, 0, 0};
    dt_open(d);
    dt_do(d, o_work(1, 1, ORCA_CHANNEL_VOICE, 0), ORCA_OK);
    dt_close(d);
}

static void test_regress_noop_steps_check(void **state)
{
    (void)state;
    run_isolated(regress_noop_steps_check);
}

/*
 * Changing a channel's wrap-up time while an interaction of that channel
 * is in WRAPUP: the wrap-up end was fixed when it ended (and the timer
 * keeps it), but ix_compute_deadline() recomputes it from the channel's
 * current wrap-up, so orca_engine_check() fails (engine.c: i->deadline ==
 * ix_compute_deadline(e, i)).
 */
static void regress_wrapup_change_check(dt *d)
{
    dt_setup(d, 3, 1);
    d->s.builtin_wrapup[ORCA_CHANNEL_CHAT] = 3000;
    d->s.q[0].wrapup_ms = ORCA_WRAPUP_CHANNEL;
    dt_open(d);
    dt_do(d, o_agent(1), ORCA_OK);
    dt_do(d, o_member(1, 1, 0), ORCA_OK);
    dt_do(d, o_ready(1), ORCA_OK);
    dt_do(d, o_work(1, 1, ORCA_CHANNEL_CHAT, 0), ORCA_OK);
    dt_do(d, o_simple(OP_ACCEPT, 1), ORCA_OK);
    dt_do(d, o_simple(OP_END, 1), ORCA_OK);          /* WRAPUP until +3000 */
    op o = o_simple(OP_CHANNEL_WRAPUP, 0);
    o.channel = ORCA_CHANNEL_CHAT;
    o.v = 1000;
    dt_do(d, o, ORCA_OK);
    dt_do(d, o_at(d, 3000), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_COMPLETED, 1, 1), "wrap-up ends when it was set to");
    dt_close(d);
}

static void test_regress_wrapup_change_check(void **state)
{
    (void)state;
    run_isolated(regress_wrapup_change_check);
}

/*
 * orca_queue_info.oldest_arrival_ms ignores waiting work that arrived at
 * time 0 (0 is taken for "none" while taking the minimum): with work from
 * 0 and from 1000 waiting it answers 1000.
 */
static void regress_oldest_arrival_zero(dt *d)
{
    dt_setup(d, 3, 1);
    d->s.cfg.start_ms = 0;
    dt_open(d);
    dt_do(d, o_work(1, 1, ORCA_CHANNEL_VOICE, 0), ORCA_OK);
    dt_do(d, o_at(d, 1000), ORCA_OK);
    dt_do(d, o_work(2, 1, ORCA_CHANNEL_VOICE, 0), ORCA_OK);
    dt_close(d);
}

static void test_regress_oldest_arrival_zero(void **state)
{
    (void)state;
    run_isolated(regress_oldest_arrival_zero);
}

/*
 * Overflow out of an aging queue: the effective priority goes back to the
 * priority as given (aging restarts in the new queue), and DESIGN.md's
 * process_waiting step 5 says "recompute effprio (event PRIORITY if it
 * changed)". The engine resets it silently at the overflow (step 3), so
 * listeners last told "effective priority 2" are never told it is 0 again.
 * Expected at +3000: OVERFLOWED, then PRIORITY value 0.
 */
static void regress_overflow_priority_event(dt *d)
{
    dt_setup(d, 3, 2);
    d->s.q[1].aging_ms = 1000;
    d->s.q[1].aging_max = 10;
    d->s.q[1].overflow_after_ms = 3000;
    d->s.q[1].overflow_to = 1;
    dt_open(d);
    dt_do(d, o_work(1, 2, ORCA_CHANNEL_VOICE, 0), ORCA_OK);
    dt_do(d, o_at(d, 2000), ORCA_OK);                /* PRIORITY 1, PRIORITY 2 */
    dt_do(d, o_at(d, 3000), ORCA_OK);
    dt_expect(d, dt_saw(d, ORCA_EV_OVERFLOWED, 1, 0) && dt_saw(d, ORCA_EV_PRIORITY, 1, 0),
              "OVERFLOWED then PRIORITY 0");
    dt_close(d);
}

static void test_regress_overflow_priority_event(void **state)
{
    (void)state;
    run_isolated(regress_overflow_priority_event);
}

/*
 * Known engine disagreements: where the engine (at the commit this test was
 * last run against) does not do what DESIGN.md says, the reference can be
 * told to do what the engine does, so the random scenarios keep hunting for
 * other bugs (ORCA_DIFF_MASK=n, reported when the test starts). Add one
 * here while a fix is pending; remove it once the engine (or DESIGN.md) is
 * fixed.
 * The four found while the reference learnt held work and customers
 * (oldest_arrival_ms leaving out held work, holds ending together in
 * heap-array order, the order hard-held work times out on agent removal, a
 * conversation's last agent answered at clock 0) were fixed in the engine;
 * their switches stay for the next one:
 *  1. oldest_ignores_held  2. reverse_release_order  3. held_doomed_first
 *  4. kept_answer_at_0_ignored (ORCA_DIFF_MASK=1,3 turns some back on).
 * Four more found when the reference learnt scheduled work, bots, resume
 * and virtual hold, all settled (none is on by default): 5 by the
 * documents (orca.h and DESIGN.md now say set_priority takes SCHEDULED
 * work too: a booked callback keeps its priority for when it is due; the
 * reference does so always), 6-8 by fixing the engine (removal walks
 * scheduled holds in seq order; an escalation's sticky lookup uses the
 * conversation the leg keeps; process_waiting does nothing before
 * queued, and sla_met uses the event's wait). What they were:
 *  5. priority_when_scheduled: orca_interaction_set_priority on SCHEDULED
 *     work (a callback slot or retry) succeeds in the engine (event
 *     PRIORITY, the new priority kept), where orca.h ("Change priority of
 *     WAITING or OFFERED work") and DESIGN.md ("Set priority (WAITING or
 *     OFFERED)") say ORCA_ESTATE. Replay without the mask:
 *     ORCA_DIFF_MASK=6,7,8 ORCA_DIFF_SEED=0xdca2024 ORCA_DIFF_ONLY=21
 *     build/tests/test_differential (shrinks to: enqueue, callback to a
 *     later time, set_priority). Either the engine or the documents should
 *     move.
 *  6. (no option: such ops are played as advance(now), see mask_fixup)
 *     an agent removed while two or more SCHEDULED interactions are held
 *     for it: DESIGN.md says their soft holds are released (event only)
 *     and hard-held ones time out, without an order; everywhere else on
 *     removal the order is seq (offered work) or held order. The
 *     reference goes in seq order; the engine walks its interaction map,
 *     so the TARGET_RELEASED / TIMED_OUT events come in hash order.
 *     Replay: ORCA_DIFF_MASK=5,7,8 ORCA_DIFF_SEED=0xdca2024
 *     ORCA_DIFF_ONLY=6561 build/tests/test_differential (two hard-held
 *     slots, the agent removed: TIMED_OUT in the other order).
 *  7. escalate_sticky_def_conversation: orca_interaction_escalate with
 *     to->conversation 0 ("0 or equal": the leg keeps the bot's
 *     conversation) into a queue with sticky routing: the engine looks the
 *     customer's last agent up without the conversation (to->conversation
 *     as given) and holds the leg for the customer's latest answering
 *     agent, where DESIGN.md ("if the new work names a conversation and
 *     some ... interaction of the customer in that conversation was
 *     answered, the agent of the latest answer among them") picks the
 *     conversation's own last agent. Replay: ORCA_DIFF_MASK=5,6,8
 *     ORCA_DIFF_SEED=0xdca2024 ORCA_DIFF_ONLY=222 build/tests/test_differential
 *  8. future_queued_wraps: orca_interaction_callback (virtual hold) on work
 *     SCHEDULED for a slot, with no time or one before that slot: the work
 *     keeps its queued (and arrival) time, which is the slot, later than
 *     now (DESIGN.md: "arrival, queued, seq, priority and hold kept").
 *     The engine's process_waiting computes waited = now - queued as an
 *     unsigned number, so it wraps to ~2^64: max wait times the work out
 *     at once, overflow moves it, every routing step applies at once;
 *     and ACCEPTED's sla_met (now - arrival <= sla_ms) is 0 for an answer
 *     before the slot. By the rules, nothing is due before queued (steps
 *     "whose after_ms <= waited"), and the wait the events report is 0.
 *     Replay: ORCA_DIFF_MASK=5,6,7 ORCA_DIFF_SEED=0xdca2024 ORCA_DIFF_ONLY=0
 *     build/tests/test_differential (shrinks to: enqueue with a slot into
 *     a queue with steps, callback(id, callback, 0): three STEP events).
 */
#define DEFAULT_MASKS 0u

static void set_masks(void)
{
    const char *on = getenv("ORCA_DIFF_MASK");
    g_masks = on ? 0 : DEFAULT_MASKS; /* the open disagreements, unless told */
    for (const char *p = on; p && *p; p++)
        if (*p >= '1' && *p <= '9')
            g_masks |= 1u << (*p - '0');
    g_masks &= ALL_MASKS;
    g_opt.oldest_ignores_held = MASKED(1);
    g_opt.reverse_release_order = MASKED(2);
    g_opt.held_doomed_first = MASKED(3);
    g_opt.kept_answer_at_0_ignored = MASKED(4);
    g_opt.priority_when_scheduled = 1; /* (5: orca.h now says SCHEDULED too) */
    g_opt.escalate_sticky_def_conversation = MASKED(7);
    g_opt.future_queued_wraps = MASKED(8);
    if (g_masks) {
        fprintf(stderr, "differential: masking known engine disagreements");
        for (int k = 1; k <= NMASKS; k++)
            if (MASKED(k))
                fprintf(stderr, " %d", k);
        fprintf(stderr, " (see set_masks; ORCA_DIFF_MASK=0 holds the engine to DESIGN.md)\n");
    }
}

int main(void)
{
    ref_options_init(&g_opt);
    g_verbose = getenv("ORCA_DIFF_VERBOSE") != NULL;
    g_fork = env_u64("ORCA_DIFF_FORK", 1) != 0;
    g_stats = env_u64("ORCA_DIFF_STATS", 0) != 0;
    const char *skip = getenv("ORCA_DIFF_SKIP");
    if (skip) {
        g_skip_oldest = strstr(skip, "oldest") != NULL;
        g_skip_check = strstr(skip, "check") != NULL;
        g_skip_deadline = strstr(skip, "deadline") != NULL;
    }
    g_opt.fresh_effprio = (int)env_u64("ORCA_DIFF_FRESH_EFFPRIO", (uint64_t)g_opt.fresh_effprio);
    g_opt.fresh_exclusions = (int)env_u64("ORCA_DIFF_FRESH_EXCLUSIONS", (uint64_t)g_opt.fresh_exclusions);
    set_masks();

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ties_lowest_id),
        cmocka_unit_test(test_exclusion_expiry),
        cmocka_unit_test(test_steps),
        cmocka_unit_test(test_aging_order),
        cmocka_unit_test(test_overflow_resets),
        cmocka_unit_test(test_blended),
        cmocka_unit_test(test_not_ready_with_offer),
        cmocka_unit_test(test_remove_with_offers),
        cmocka_unit_test(test_no_answer),
        cmocka_unit_test(test_weighted_random_race),
        cmocka_unit_test(test_strategies),
        cmocka_unit_test(test_score_distinct_skills),
        cmocka_unit_test(test_tiers_and_ranks),
        cmocka_unit_test(test_max_wait_while_offered),
        cmocka_unit_test(test_named_targets),
        cmocka_unit_test(test_sticky_and_history),
        cmocka_unit_test(test_transfers),
        cmocka_unit_test(test_customer_limits),
        cmocka_unit_test(test_scheduled_bots_resume),
        cmocka_unit_test(test_opening_hours),
        cmocka_unit_test(test_regress_timer_heap_overflow),
        cmocka_unit_test(test_regress_noop_steps_check),
        cmocka_unit_test(test_regress_wrapup_change_check),
        cmocka_unit_test(test_regress_oldest_arrival_zero),
        cmocka_unit_test(test_regress_overflow_priority_event),
        cmocka_unit_test(test_random_scenarios),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
