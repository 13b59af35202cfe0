/*
 * testutil.h: helpers shared by the cmocka unit suites (tests/test_*.c).
 *
 *  - tu_alloc: a counting allocator (orca_alloc_fn) that tracks live bytes
 *    and blocks exactly, checks every osize it is given, poisons new memory
 *    and can fail the Nth allocation (or every one from the Nth on).
 *  - tu_dump / tu_snap: capture orca_engine_dump() into a heap string, plus
 *    the counts, so a test can prove a failed call changed nothing.
 *  - tu_rec: an event recorder listener.
 *  - tu_offers: channel callbacks that record offers and withdrawals.
 *  - tu_fx: a fixture: an engine on the counting allocator with a recorder,
 *    freed with a check that no byte leaked.
 *  - small builders (skills, queues, agents, work) that assert success at
 *    the caller's line.
 *
 * Everything is prefixed tu_ so it links next to the other test sources.
 */
#ifndef ORCA_TESTUTIL_H
#define ORCA_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "orca.h"

/* ------------------------------------------------------------------------ */
/* Counting allocator                                                       */
/* ------------------------------------------------------------------------ */

typedef struct tu_alloc {
    size_t live_bytes;     /* bytes currently allocated through the hook */
    size_t live_blocks;
    size_t peak_bytes;
    uint64_t attempts;     /* counted allocation attempts (see below) */
    uint64_t fail_at;      /* 0: never fail; else fail attempt number fail_at */
    int fail_after;        /* 1: also fail every attempt after fail_at */
    uint64_t failed;       /* attempts that were made to fail */
    int paused;            /* 1: attempts are neither counted nor failed */
    uint64_t bad_osize;    /* frees/resizes whose osize was not the block's size */
    uint64_t calls;        /* every call of the hook */
} tu_alloc;

/* An "allocation attempt" is a call with ptr == NULL and nsize > 0, or a
 * resize that grows the block. Shrinking resizes never fail (as in Lua,
 * whose contract the header copies) and are not counted. */
void tu_alloc_init(tu_alloc *a);
void *tu_alloc_fn(void *ud, void *ptr, size_t osize, size_t nsize);

/* ------------------------------------------------------------------------ */
/* Result codes                                                             */
/* ------------------------------------------------------------------------ */

const char *tu_rc_name(int rc);
void tu_rc_(int got, int want, const char *expr, const char *file, int line);
void tu_rc2_(int got, int want1, int want2, const char *expr, const char *file, int line);

/* Assert that expr returns exactly code (names both codes on failure). */
#define TU_RC(expr, code) tu_rc_((expr), (code), #expr, __FILE__, __LINE__)
#define TU_OK(expr) tu_rc_((expr), ORCA_OK, #expr, __FILE__, __LINE__)

/* ------------------------------------------------------------------------ */
/* Dumps and snapshots                                                      */
/* ------------------------------------------------------------------------ */

/* orca_engine_dump() into a malloc'd NUL-terminated string (asserts 0). */
char *tu_dump_(const orca_engine *e, const char *file, int line);
#define tu_dump(e) tu_dump_((e), __FILE__, __LINE__)

/* Fail (naming the first differing line) unless a and b are equal. */
void tu_same_text_(const char *a, const char *b, const char *what,
                   const char *file, int line);

typedef struct tu_snap {
    char *dump;
    orca_counts counts;
    uint64_t now;
} tu_snap;

void tu_snap_take_(tu_snap *s, const orca_engine *e, const char *file, int line);
/* Compare the engine with the snapshot (dump, counts, clock), then free it. */
void tu_snap_same_(tu_snap *s, const orca_engine *e, const char *what,
                   const char *file, int line);
void tu_snap_free(tu_snap *s);
/* The same without failing: prints what differs, returns 1 if anything did. */
int tu_snap_diff_(tu_snap *s, const orca_engine *e, const char *what,
                  const char *file, int line);

/* Assert expr fails with code and leaves the engine exactly as it was:
 * same dump, same counts (so no event was emitted), same clock. */
#define TU_FAILS(e, expr, code) do {                                        \
        tu_snap tu_s_;                                                      \
        tu_snap_take_(&tu_s_, (e), __FILE__, __LINE__);                     \
        int tu_r_ = (expr);                                                 \
        tu_rc_(tu_r_, (code), #expr, __FILE__, __LINE__);                   \
        tu_snap_same_(&tu_s_, (e), #expr, __FILE__, __LINE__);              \
    } while (0)

/* The same where the header leaves the exact code open between two. */
#define TU_FAILS2(e, expr, code1, code2) do {                               \
        tu_snap tu_s_;                                                      \
        tu_snap_take_(&tu_s_, (e), __FILE__, __LINE__);                     \
        int tu_r_ = (expr);                                                 \
        tu_rc2_(tu_r_, (code1), (code2), #expr, __FILE__, __LINE__);        \
        tu_snap_same_(&tu_s_, (e), #expr, __FILE__, __LINE__);              \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Event recorder                                                           */
/* ------------------------------------------------------------------------ */

typedef struct tu_rec {
    orca_event *ev;
    size_t n, cap;
} tu_rec;

/* An orca_listener_fn; data is a tu_rec *. */
void tu_rec_fn(void *data, const orca_event *ev);
void tu_rec_clear(tu_rec *r);
void tu_rec_free(tu_rec *r);
/* How many events of type t (0: any type) were recorded. */
size_t tu_rec_count(const tu_rec *r, orca_event_type t);
/* The nth (0-based) event of type t, or NULL. */
const orca_event *tu_rec_nth(const tu_rec *r, orca_event_type t, size_t nth);
const orca_event *tu_rec_last(const tu_rec *r, orca_event_type t);
/* The event types recorded from index `from`, about interaction ix (0: all
 * events), as "ENQUEUED OFFERED ACCEPTED" (malloc'd). */
char *tu_rec_seq(const tu_rec *r, size_t from, uint64_t ix);
/* Our own names, so the suites do not depend on orca_event_name(). */
const char *tu_ev_name(orca_event_type t);

#define TU_SEQ(rec, from, ix, expect) do {                                  \
        char *tu_q_ = tu_rec_seq((rec), (from), (ix));                      \
        tu_same_text_(expect, tu_q_, "event sequence", __FILE__, __LINE__); \
        free(tu_q_);                                                        \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Offer / withdraw recorder (channel callbacks)                            */
/* ------------------------------------------------------------------------ */

#define TU_MAX_OFFERS 256

typedef enum tu_offer_action {
    TU_OFFER_NOTHING = 0,
    TU_OFFER_ACCEPT = 1,       /* orca_offer_accept() from inside offer() */
    TU_OFFER_REJECT = 2        /* orca_offer_reject() from inside offer() */
} tu_offer_action;

typedef struct tu_offers {
    orca_engine *e;                    /* set it to let the callbacks call in */
    tu_offer_action action;            /* what offer() does */
    uint32_t action_limit;             /* act on at most this many (0: all) */
    uint32_t acted;
    orca_offer offer[TU_MAX_OFFERS];
    int action_rc[TU_MAX_OFFERS];      /* what the call made from offer() returned */
    orca_interaction_state state_in_offer[TU_MAX_OFFERS]; /* info_get in offer() */
    size_t noffers;
    orca_offer withdrawn[TU_MAX_OFFERS];
    orca_withdraw_reason reason[TU_MAX_OFFERS];
    int probe_rc[TU_MAX_OFFERS];       /* mutating call made from withdraw() */
    int probe_info_rc[TU_MAX_OFFERS];  /* read-only call made from withdraw() */
    size_t nwithdrawn;
    char log[4096];                    /* "O:ix:agent W:ix:reason ..." */
} tu_offers;

extern const orca_channel_callbacks tu_offer_callbacks;
void tu_offers_init(tu_offers *o, orca_engine *e);

/* ------------------------------------------------------------------------ */
/* Fixture                                                                  */
/* ------------------------------------------------------------------------ */

/* A growing NUL-terminated string (p is malloc'd; free it). tu_buf_write
 * has the orca_write_fn shape. */
typedef struct tu_buf {
    char *p;
    size_t len, cap;
} tu_buf;
void tu_buf_write(void *data, const char *text, size_t len);
void tu_buf_printf(tu_buf *b, const char *fmt, ...) CMOCKA_PRINTF_ATTRIBUTE(2, 3);

typedef struct tu_fx {
    tu_alloc alloc;
    orca_engine *e;
    tu_rec rec;
    int handle;
} tu_fx;

/* New engine on fx->alloc with cfg (NULL: defaults) and fx->rec listening. */
orca_engine *tu_fx_new_(tu_fx *fx, const orca_config *cfg, const char *file, int line);
/* Check the engine, free it, assert no byte is left allocated. */
void tu_fx_free_(tu_fx *fx, const char *file, int line);
#define tu_fx_new(fx, cfg) tu_fx_new_((fx), (cfg), __FILE__, __LINE__)
#define tu_fx_free(fx) tu_fx_free_((fx), __FILE__, __LINE__)

/* ------------------------------------------------------------------------ */
/* Builders (assert success at the caller's line)                           */
/* ------------------------------------------------------------------------ */

orca_skill_id tu_skill_(orca_engine *e, const char *name, const char *file, int line);
#define tu_skill(e, name) tu_skill_((e), (name), __FILE__, __LINE__)

/* A queue served by its members, strategy s, everything else default. */
orca_queue_id tu_queue_(orca_engine *e, const char *name, orca_strategy s,
                        const char *file, int line);
#define tu_queue(e, name, s) tu_queue_((e), (name), (s), __FILE__, __LINE__)
orca_queue_id tu_queue_def_(orca_engine *e, const orca_queue_def *def,
                            const char *file, int line);
#define tu_queue_def(e, def) tu_queue_def_((e), (def), __FILE__, __LINE__)

/* Fill def for agent id with capacity, skills, and every built-in channel
 * at limit 1000 (so only capacity decides). */
void tu_agent_def(orca_agent_def *def, uint64_t id, uint32_t capacity,
                  const orca_skill_level *skills, uint32_t nskills);
void tu_agent_(orca_engine *e, uint64_t id, uint32_t capacity,
               const orca_skill_level *skills, uint32_t nskills,
               const char *file, int line);
#define tu_agent(e, id, cap, skills, n) tu_agent_((e), (id), (cap), (skills), (n), __FILE__, __LINE__)

#define tu_member(e, q, a, tier) tu_rc_(orca_queue_member_add((e), (q), (a), (tier)), ORCA_OK, "member_add", __FILE__, __LINE__)
#define tu_ready(e, a) tu_rc_(orca_agent_set_presence((e), (a), ORCA_PRESENCE_READY, 0), ORCA_OK, "set_presence READY", __FILE__, __LINE__)
#define tu_notready(e, a) tu_rc_(orca_agent_set_presence((e), (a), ORCA_PRESENCE_NOT_READY, 7), ORCA_OK, "set_presence NOT_READY", __FILE__, __LINE__)
#define tu_advance(e, t) tu_rc_(orca_engine_advance((e), (t)), ORCA_OK, "advance", __FILE__, __LINE__)

/* Enqueue interaction id on queue q, channel ch, priority prio, no skills. */
void tu_enqueue_(orca_engine *e, uint64_t id, orca_queue_id q, orca_channel_id ch,
                 uint32_t prio, const char *file, int line);
#define tu_enqueue(e, id, q, ch, prio) tu_enqueue_((e), (id), (q), (ch), (prio), __FILE__, __LINE__)

orca_interaction_info tu_info_(const orca_engine *e, uint64_t id, const char *file, int line);
#define tu_info(e, id) tu_info_((e), (id), __FILE__, __LINE__)
orca_agent_info tu_ainfo_(const orca_engine *e, uint64_t id, const char *file, int line);
#define tu_ainfo(e, id) tu_ainfo_((e), (id), __FILE__, __LINE__)
orca_counts tu_counts_(const orca_engine *e, const char *file, int line);
#define tu_counts(e) tu_counts_((e), __FILE__, __LINE__)
orca_queue_info tu_qinfo_(const orca_engine *e, orca_queue_id q, const char *file, int line);
#define tu_qinfo(e, q) tu_qinfo_((e), (q), __FILE__, __LINE__)

/* State of an interaction, 0 if unknown (forgotten). */
int tu_state(const orca_engine *e, uint64_t id);
/* The agent an interaction is with, 0 if none or unknown. */
uint64_t tu_agent_of(const orca_engine *e, uint64_t id);

/* Assert that interaction id is OFFERED to agent (agent 0: WAITING). */
#define TU_OFFERED_TO(e, id, ag) do {                                       \
        orca_interaction_info tu_i_ = tu_info_((e), (id), __FILE__, __LINE__); \
        if ((ag) == 0) {                                                    \
            if (tu_i_.state != ORCA_STATE_WAITING || tu_i_.agent != 0) {    \
                print_error("interaction %llu: state %d agent %llu, expected WAITING\n", \
                            (unsigned long long)(id), (int)tu_i_.state,     \
                            (unsigned long long)tu_i_.agent);               \
                _fail(__FILE__, __LINE__);                                  \
            }                                                               \
        } else if (tu_i_.state != ORCA_STATE_OFFERED || tu_i_.agent != (uint64_t)(ag)) { \
            print_error("interaction %llu: state %d agent %llu, expected OFFERED to %llu\n", \
                        (unsigned long long)(id), (int)tu_i_.state,         \
                        (unsigned long long)tu_i_.agent, (unsigned long long)(ag)); \
            _fail(__FILE__, __LINE__);                                      \
        }                                                                   \
    } while (0)

/* Assert the engine's own consistency check passes. */
#define TU_CHECK(e) tu_rc_(orca_engine_check(e), ORCA_OK, "orca_engine_check", __FILE__, __LINE__)

/* Call first in main(): TU_FILTER=pattern runs only matching tests
 * (cmocka_set_test_filter), TU_SKIP=pattern skips them. */
void tu_filter_from_env(void);

/* A name of exactly n bytes ('a'..), in buf (n + 1 bytes). */
char *tu_name_of_len(char *buf, size_t n);

#endif /* ORCA_TESTUTIL_H */
