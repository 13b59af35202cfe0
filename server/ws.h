/*
 * server/ws.h: orcad's WebSocket transport. The "orca.v1" lws protocol on
 * the same vhosts (and port) as the HTTP endpoints: one proto_session per
 * connection, each text message handed to proto_handle, its reply queued
 * on that connection; offers pushed to the connection logged in as the
 * agent offered the work. Everything runs on orcad's libuv loop thread.
 */
#ifndef ORCAD_WS_H
#define ORCAD_WS_H

#include <stddef.h>

#include <libwebsockets.h>
#include <orca.h>
#include <orca/uv.h>

#include "config.h"
#include "proto.h"

/* Bytes waiting to be sent on one connection: a client that lets more
 * pile up (it does not read) is disconnected. */
#define ORCAD_WS_MAX_OUT (1024 * 1024)

/* Backpressure: past ORCAD_WS_RX_PAUSE bytes waiting to be sent to a
 * connection orcad stops reading its requests (their answers would only
 * pile up), and reads again once it is under ORCAD_WS_RX_RESUME. A client
 * that sends faster than it reads is slowed down by TCP, not cut off; only
 * pushes it did not ask for (offers, events) can take it to the bound. */
#define ORCAD_WS_RX_PAUSE (256 * 1024)
#define ORCAD_WS_RX_RESUME (64 * 1024)

typedef struct orcad_ws orcad_ws;

/* The transport's state for engine e, with cfg's tokens (cfg must outlive
 * it). Sets every channel's offer and withdraw callbacks to push offers.
 * Returns 0, or -1 with a message on stderr. */
int orcad_ws_new(orca_engine *e, const orcad_config *cfg, orcad_ws **out);

/* After engine calls from a message orcad re-arms the engine's timers
 * through u (set once the adapter exists; NULL until then). */
void orcad_ws_set_uv(orcad_ws *w, orca_uv *u);

/* Set every channel's offer and withdraw callbacks again: after a reload
 * added channels. Returns 0, or -1 with a message on stderr. */
int orcad_ws_channels(orcad_ws *w);

/* The admin actions (reload, shutdown) new sessions get (h must outlive
 * w; NULL: none). */
void orcad_ws_set_host(orcad_ws *w, const proto_host *h);

/* The supervisor feed (docs/PROTOCOL.md, "subscribe"): an engine listener
 * that sends every event to the connections subscribed to events, and a
 * one-second timer on the adapter's loop (orcad_ws_set_uv first) that
 * sends the figures read from s to those subscribed to figures. Both go
 * through each connection's bounded output queue. Returns 0, or -1 with a
 * message on stderr (nothing started). */
int orcad_ws_feed_start(orcad_ws *w, const orca_stats *s);

/* Stop the feed: the listener is removed and the timer closed on the loop
 * (which must run on for it to close). Safe if it never started; twice too. */
void orcad_ws_feed_stop(orcad_ws *w);

/* Group commit (server.sync = "every"): replies and pushes are held until
 * one orca_journal_sync per loop iteration has made the changes behind them
 * durable (the journal is then opened with ORCA_SYNC_NEVER). Set before
 * orcad_ws_set_uv. */
void orcad_ws_set_group(orcad_ws *w, int on);

/* Acknowledgement after a replica: gate(data, batch) is called at the end
 * of each turn that queued messages; they are held until release(batch)
 * says the records behind them are confirmed, or go at once if the gate
 * returns 0 (nothing to confirm, every earlier turn confirmed). Replies
 * that refuse a request (nothing changed) wait only for earlier messages
 * on their connection. */
void orcad_ws_set_gate(orcad_ws *w, int (*gate)(void *data, uint64_t batch), void *data);
void orcad_ws_release(orcad_ws *w, uint64_t batch);

/* 1 if the interaction finished here in the last minute (proto_host's
 * finished: a resent enqueue of it is answered as done). */
int orcad_ws_finished(orcad_ws *w, uint64_t interaction);

/* The connection whose message is being handled takes the interaction's
 * outcomes (proto_host's claim). 0, or -1 if out of memory. */
int orcad_ws_claim(orcad_ws *w, uint64_t interaction);

/* How long orcad took over its requests, per turn of the loop: from the
 * first message it handled in the turn to the end of that turn's sends
 * (flush_turn), in buckets of powers of two microseconds (bucket k counts
 * turns under 2^k us; the last, anything longer). A request's own time in
 * orcad is at most its turn's. */
#define ORCAD_TURN_BUCKETS 24
typedef struct orcad_turns {
    uint64_t count[ORCAD_TURN_BUCKETS];
    uint64_t n, sum_ns;
} orcad_turns;

/* The turns so far (zeroed if w is NULL). */
void orcad_ws_turns(const orcad_ws *w, orcad_turns *out);

/* Write them as the Prometheus histogram orcad_turn_seconds. */
void orcad_turns_metrics(const orcad_turns *t, orca_write_fn fn, void *data);

/* orcad is stopping: grace timers are closed (so the loop can end) and
 * agents whose connections close from now are NOT_READY at once. */
void orcad_ws_stop(orcad_ws *w);

/* Free it, after the lws context is gone (every connection closed).
 * NULL is ok. */
void orcad_ws_free(orcad_ws *w);

/* The lws protocol, for the vhosts' protocol list; its callback finds
 * the orcad_ws through orcad_http_ws() on the context's user pointer. */
extern const struct lws_protocols orcad_ws_protocol;

#endif
