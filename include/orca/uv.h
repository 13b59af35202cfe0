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

#include <stdint.h>
#include <uv.h>

#include "../orca.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An engine attached to a loop. Opaque. */
typedef struct orca_uv orca_uv;

/*
 * Attach engine e to loop and store the adapter in *out. Records the mapping
 * between the loop's time and the engine's clock (see "Time" above) and arms
 * the timer for the engine's earliest deadline, if any. The loop need not be
 * running yet. Loop thread only.
 *
 * Returns 0; ORCA_EINVAL if an argument is NULL (*out is then left alone);
 * ORCA_ENOMEM if malloc fails; ORCA_ELIMIT or ORCA_ESTATE if libuv cannot
 * create the async handle or the mutex. On failure nothing is left on the
 * loop and *out is set to NULL (when out is not NULL).
 */
ORCA_API int orca_uv_new(uv_loop_t *loop, orca_engine *e, orca_uv **out);

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
 * Returns 0; ORCA_EINVAL if u or fn is NULL; ORCA_ENOMEM if malloc fails;
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
