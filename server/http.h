/*
 * server/http.h: orcad's plain HTTP endpoints (GET /healthz, /metrics,
 * /snapshot) on libwebsockets, sharing orcad's libuv loop (lws's libuv
 * event library with a foreign loop): one port, later the WebSocket
 * protocol's too.
 */
#ifndef ORCAD_HTTP_H
#define ORCAD_HTTP_H

#include <stddef.h>
#include <uv.h>

#include <orca.h>

typedef struct orcad_http orcad_http;
struct orcad_ws;

/* Listen on each "host:port" of listen[0..n) and serve e's figures from s.
 * version goes into /healthz. ws (NULL: HTTP only) is the WebSocket
 * transport served on the same ports (server/ws.h); ping_s (0: none)
 * how quiet a WebSocket peer may be before it is pinged. Returns 0, or -1 with a message on stderr
 * (nothing left listening). Call it before anything else is on the loop:
 * after a failure it runs the loop until lws's own handles are closed. */
int orcad_http_start(uv_loop_t *loop, const orca_engine *e, const orca_stats *s,
                     const char *version, struct orcad_ws *ws, unsigned ping_s,
                     char *const *listen, size_t n, orcad_http **out);

/* Also listen with TLS (HTTPS and wss://, the same endpoints and protocol)
 * on each "host:port" of listen[0..n), with the PEM certificate (chain)
 * and private key files cert and key. Returns 0, or -1 with a message on
 * stderr: then stop, run the loop and free h as after a failed start. */
int orcad_http_add_tls(orcad_http *h, char *const *listen, size_t n, const char *cert,
                       const char *key);

/* Serve another engine and its figures from now on (a standby's, when
 * it starts again from a new leader's snapshot). */
void orcad_http_set_engine(orcad_http *h, const orca_engine *e, const orca_stats *s);

/* The journal's shipping or following (server/replica.h), for /metrics:
 * records sent, acknowledged by Redis, failed, the lag, the epoch. */
struct orcad_replica;
void orcad_http_set_replica(orcad_http *h, const struct orcad_replica *r);

/* The WebSocket transport given to orcad_http_start (NULL for NULL h). */
struct orcad_ws *orcad_http_ws(const orcad_http *h);
/* A standby that took over: its WebSocket layer (upgrades were refused
 * with 503 until then). */
void orcad_http_set_ws(orcad_http *h, struct orcad_ws *ws);

/* Stop listening and close every connection; lws closes its handles on
 * the loop, which must run on for them to close. NULL is ok; twice too. */
void orcad_http_stop(orcad_http *h);

/* Free what is left, once the loop has run the handles closed (after
 * uv_run returns). Stops first if orcad_http_stop was not called. NULL is ok. */
void orcad_http_free(orcad_http *h);

#endif
