/*
 * orca/uv.h: run an orca engine on a libuv loop.
 *
 * The engine never reads a clock (see orca.h); this adapter gives it one.
 * It maps engine time onto the loop's time, keeps one uv_timer_t armed for
 * orca_engine_next_deadline() so that offer timeouts, wrap-up ends, routing
 * steps, aging, overflow and max-wait fire on their own, and lets other
 * threads hand work to the engine through a uv_async_t.
 *
 *     uv_loop_t *loop = uv_default_loop();
 *     orca_engine *e;
 *     orca_uv *u;
 *     orca_engine_new(NULL, &e);
 *     orca_uv_new(loop, e, &u);
 *     ... set up queues and agents, enqueue work ...
 *     orca_uv_kick(u);               (after engine calls on the loop thread)
 *     uv_run(loop, UV_RUN_DEFAULT);  (until something calls orca_uv_close)
 *
 * A host that journals and restarts runs the engine on the wall clock:
 *
 *     orca_config c;                 first run:
 *     orca_config_init(&c);
 *     c.start_ms = (ms since the epoch, now);
 *     orca_engine_new(&c, &e);  orca_journal_open(e, path, &jc);
 *                                    later runs:
 *     orca_journal_read_config(path, &c);  orca_engine_new(&c, &e);
 *     jc.restore_presence = ORCA_RESTORE_OFFLINE;
 *     orca_journal_replay(e, path, &jc, &info);
 *                                    either way:
 *     orca_uv_config uc = { .clock = ORCA_UV_CLOCK_WALL };
 *     orca_uv_new_ex(loop, e, &uc, &u);  (catches up to now: max waits,
 *                                    offer timeouts, wrap-ups that fell due
 *                                    while it was down fire, in order)
 * examples/uv_host.c is such a host.
 *
 * Threads
 *   The engine is single-threaded. Every orca_* engine call, and every
 *   orca_uv_* call below except orca_uv_submit(), must be made on the thread
 *   that runs the loop (from uv callbacks, from functions passed to
 *   orca_uv_submit(), from orca's own callbacks, or before/after uv_run() on
 *   that same thread). Other threads reach the engine only through
 *   orca_uv_submit().
 *
 * Time
 *   engine ms = the engine's clock when orca_uv_new() was called
 *               + (uv_now(loop) - uv_now(loop) when orca_uv_new() was called)
 *   That is the default (ORCA_UV_CLOCK_ENGINE): the engine's clock goes on
 *   from wherever it is. In wall-clock mode (orca_uv_new_ex with
 *   ORCA_UV_CLOCK_WALL) engine time is milliseconds since the Unix epoch:
 *   the attach reads CLOCK_REALTIME once and starts from there (or from the
 *   engine's clock, if that is ahead: it never goes back), catching up at
 *   once, then the loop's monotonic uv_now() paces it as above (so a later
 *   step of the system clock does not jump the engine; over days it may
 *   drift from the wall clock by what NTP slews).
 *   uv_now() is the loop's cached time (updated once per loop iteration), so
 *   the engine sees the same "now" as every other uv timer. The host need
 *   not call orca_engine_advance() itself while the adapter is attached. If
 *   it does move the engine's clock past the mapped time, the mapping is
 *   shifted at the next kick or timer: engine time then goes on from the
 *   clock the host set, at the loop's pace (the adapter never asks the
 *   engine to go back in time).
 *
 * Memory
 *   The adapter allocates its own state and every queued submission with
 *   malloc()/free(), not with the engine's orca_config allocator (the engine
 *   does not expose it). The engine itself is not owned by the adapter:
 *   create it before orca_uv_new() and free it after orca_uv_close() has
 *   returned (or in its done callback).
 *
 * Errors
 *   Functions return 0 (ORCA_OK) or a negative ORCA_E* code from orca.h.
 *   Errors reported by libuv are translated: out of memory is ORCA_ENOMEM,
 *   out of file descriptors is ORCA_ELIMIT, anything else ORCA_ESTATE.
 *   No function aborts on bad input: NULL arguments give ORCA_EINVAL.
 *
 * Compiling
 *   This header includes <uv.h>, which needs POSIX declarations: with a
 *   strict -std=c11 (rather than the default gnu dialect) define
 *   _POSIX_C_SOURCE=200809L, as orca's own build does. The adapter is its
 *   own library, liborca-uv (liborca itself never needs libuv): link with
 *   $(pkg-config --libs orca-uv), or orca-uv-static for the archives.
 *
 * Handles
 *   The adapter owns one uv_async_t and one uv_timer_t on the loop (the
 *   timer is active only while the engine has a deadline). The async handle
 *   is referenced, so uv_run(loop, UV_RUN_DEFAULT) keeps running until
 *   orca_uv_close() (or uv_stop()).
 */
#ifndef ORCA_UV_H
#define ORCA_UV_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../orca.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An engine attached to a loop. Opaque. */
typedef struct orca_uv orca_uv;

/* Which clock engine time follows (orca_uv_config.clock). */
typedef enum orca_uv_clock {
    ORCA_UV_CLOCK_ENGINE = 0,  /* go on from the engine's clock at the
                                  loop's pace (orca_uv_new) */
    ORCA_UV_CLOCK_WALL = 1     /* ms since the Unix epoch (see "Time") */
} orca_uv_clock;

/* orca_uv_submit()'s bound when orca_uv_config.max_pending is 0. */
#define ORCA_UV_MAX_PENDING_DEFAULT 65536

/* Options for orca_uv_new_ex(). Zero-initialise it (= { 0 } or memset):
 * zero is the default for every field, now and in later versions. */
typedef struct orca_uv_config {
    orca_uv_clock clock;       /* 0: ORCA_UV_CLOCK_ENGINE */
    size_t max_pending;        /* submissions queued and not yet run, at
                                  most; 0: ORCA_UV_MAX_PENDING_DEFAULT. Each
                                  takes about 32 bytes */
} orca_uv_config;

/*
 * Attach engine e to loop and store the adapter in *out. Records the mapping
 * between the loop's time and the engine's clock (see "Time" above) and arms
 * the timer for the engine's earliest deadline, if any. The loop need not be
 * running yet. Loop thread only. The same as orca_uv_new_ex() with cfg NULL
 * (the engine's own clock, the default submit bound).
 *
 * Returns 0; ORCA_EINVAL if an argument is NULL (*out is then left alone);
 * ORCA_ENOMEM if malloc fails; ORCA_ELIMIT or ORCA_ESTATE if libuv cannot
 * create the async handle or the mutex. On failure nothing is left on the
 * loop and *out is set to NULL (when out is not NULL).
 */
ORCA_API int orca_uv_new(uv_loop_t *loop, orca_engine *e, orca_uv **out);

/*
 * orca_uv_new() with options (cfg NULL: all defaults). With cfg->clock
 * ORCA_UV_CLOCK_WALL, engine time becomes ms since the Unix epoch: the
 * loop's time is refreshed (uv_update_time), CLOCK_REALTIME read once, and
 * the engine advanced to it before this returns, firing in order whatever
 * fell due since the engine's clock (after a replay: max waits, offer
 * timeouts, wrap-up ends, routing steps of the downtime; offer callbacks
 * run inside this call). If the engine's clock is ahead of the wall clock
 * (the system clock was stepped back), engine time goes on from the
 * engine's clock instead: it never goes back. An error of that catch-up
 * advance does not fail the attach: orca_uv_last_error() reports it (as
 * for the timer's advances). Create a new engine with orca_config.start_ms
 * set to now in ms since the epoch; one left at 0 is moved to now at once,
 * as a clock step would.
 *
 * Returns 0; ORCA_EINVAL if loop, e or out is NULL or cfg->clock is not an
 * orca_uv_clock (*out is then NULL when out is not NULL); otherwise as
 * orca_uv_new().
 */
ORCA_API int orca_uv_new_ex(uv_loop_t *loop, orca_engine *e, const orca_uv_config *cfg,
                            orca_uv **out);

/*
 * Call after making engine calls on the loop thread: advances the engine to
 * the loop's current time (firing anything due) and re-arms the timer for
 * the engine's earliest deadline, which those calls may have moved earlier.
 * Cheap; calling it when nothing changed is harmless. May be called from
 * orca's channel offer callbacks and from submitted functions. When called
 * while the adapter itself is inside orca_engine_advance() (for instance
 * from an offer callback the timer triggered), it does nothing and returns
 * 0: the timer is re-armed when that advance returns.
 *
 * Returns 0; ORCA_EINVAL if u is NULL; ORCA_ESTATE once orca_uv_close() has
 * been called; otherwise the error orca_engine_advance() returned (for
 * example ORCA_EBUSY if called from an event listener, or ORCA_ERANGE once
 * the mapped time reaches ORCA_TIME_MAX). The timer is still re-armed when
 * the advance fails.
 */
ORCA_API int orca_uv_kick(orca_uv *u);

/*
 * Queue fn(e, arg) to run on the loop thread, where e is the attached
 * engine. Safe to call from any thread, including the loop thread (the call
 * then runs on a later loop iteration, never inside orca_uv_submit()).
 * Calls run in the order they were submitted (for calls from one thread; calls
 * from different threads run in the order they took the adapter's lock).
 * Before a batch of calls runs, the engine is advanced to the loop's time;
 * after it, the adapter kicks (advances and re-arms the timer), so fn need
 * not call orca_uv_kick() itself.
 *
 * Each call that returned 0 has fn run exactly once: either on a later loop
 * iteration or, if orca_uv_close() comes first, inside orca_uv_close()
 * (see there). fn may call orca_uv_submit() (the new call runs on a later
 * iteration) and orca_uv_close().
 *
 * Bounded: at most orca_uv_config.max_pending calls (default
 * ORCA_UV_MAX_PENDING_DEFAULT, 65,536) wait to run at once. When that many
 * are waiting, the call is not queued and ORCA_ELIMIT is returned at once
 * (fn will not run): the loop is behind, and the producer decides whether
 * to retry later (after the loop has run a batch) or shed the work. So
 * producers faster than the loop cannot grow memory without limit.
 *
 * Returns 0; ORCA_EINVAL if u or fn is NULL; ORCA_ENOMEM if malloc fails;
 * ORCA_ELIMIT if max_pending calls are already waiting (fn will not run);
 * ORCA_ESTATE once orca_uv_close() has been called (fn will not run).
 * Other threads must stop calling orca_uv_submit() before close's done
 * callback runs: after it u is freed.
 */
ORCA_API int orca_uv_submit(orca_uv *u, void (*fn)(orca_engine *e, void *arg), void *arg);

/*
 * Detach and free the adapter. Loop thread only. In order:
 *  1. from now on orca_uv_submit() returns ORCA_ESTATE and orca_uv_kick()
 *     returns ORCA_ESTATE;
 *  2. every call still queued by orca_uv_submit() is RUN, synchronously,
 *     inside orca_uv_close(), in submission order (after advancing the
 *     engine to the loop's time), so no submission is ever lost and each
 *     arg can be freed by its fn;
 *  3. the timer is stopped and both handles are closed with uv_close();
 *  4. once libuv has called both close callbacks (on a later loop
 *     iteration: keep running the loop), done(u, arg) is called on the loop
 *     thread, and then u is freed. done may be NULL.
 * The engine is never touched after orca_uv_close() returns, so it may be
 * freed as soon as close returns. In done, u may only be compared, not
 * passed to any orca_uv_* function.
 * u == NULL does nothing (done is not called). Calling orca_uv_close()
 * again before done has run is a no-op (done is called once, for the first
 * call). May be called from a submitted function or from a channel offer
 * callback; if it is called from an event listener, the queued calls of
 * step 2 run inside that listener, where mutating engine calls return
 * ORCA_EBUSY.
 */
ORCA_API void orca_uv_close(orca_uv *u, void (*done)(orca_uv *u, void *arg), void *arg);

/* The engine attached to u; NULL if u is NULL. */
ORCA_API orca_engine *orca_uv_engine(const orca_uv *u);

/* The loop u is attached to; NULL if u is NULL. */
ORCA_API uv_loop_t *orca_uv_loop(const orca_uv *u);

/*
 * The loop's current time mapped to engine time (see "Time" above), or the
 * engine's clock if the host moved it further. This is what the engine will
 * be advanced to by the next kick; it is not necessarily orca_engine_now()
 * yet. 0 if u is NULL.
 */
ORCA_API uint64_t orca_uv_now(const orca_uv *u);

/*
 * The error the most recent automatic advance returned: the timer's, or the
 * one before/after a batch of submitted calls (those have no caller to
 * return it to). 0 if it succeeded. ORCA_EINVAL if u is NULL.
 */
ORCA_API int orca_uv_last_error(const orca_uv *u);

#ifdef __cplusplus
}
#endif

#endif /* ORCA_UV_H */
