/*
 * server/http.c: the HTTP endpoints on libwebsockets. lws runs on orcad's
 * own libuv loop (LWS_SERVER_OPTION_LIBUV with foreign_loops), so the
 * engine, its timers and the sockets share one thread and one loop: a
 * request reads the engine between two engine calls, never during one.
 *
 * A response is built whole into one buffer (LWS_PRE bytes of headroom in
 * front, as lws_write wants), the headers go out at once and the body in
 * pieces as the socket becomes writable, so a large snapshot never blocks
 * the loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "assets.h"
#include "http.h"
#include "metrics.h"
#include "replica.h"
#include "ws.h"

#define CHUNK 16384

struct orcad_http {
    struct lws_context *ctx;
    const orca_engine *e;
    const orca_stats *s;
    const char *version;
    orcad_ws *ws;
    const struct orcad_replica *replica;
    lws_retry_bo_t idle;   /* pings (clients.ping_s); all zero: none */
    struct lws_protocols protocols[3];
    int stopped;
};

/* A growing body; a failed allocation marks it and the reply becomes 500. */
typedef struct body {
    unsigned char *buf; /* LWS_PRE headroom, then the body */
    size_t len, cap, sent;
    int oom;
} body;

/* Per connection (lws zeroes it): the reply being sent. */
typedef struct session {
    body b;
} session;

static void body_add(void *data, const char *text, size_t len)
{
    body *b = data;
    if (b->oom)
        return;
    if (LWS_PRE + b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (LWS_PRE + b->len + len > cap)
            cap *= 2;
        unsigned char *p = realloc(b->buf, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->buf = p, b->cap = cap;
    }
    memcpy(b->buf + LWS_PRE + b->len, text, len);
    b->len += len;
}

static void body_free(body *b)
{
    free(b->buf);
    memset(b, 0, sizeof *b);
}

static void healthz(const orcad_http *h, body *b)
{
    char text[256];
    orca_counts n;
    orca_engine_counts(h->e, &n);
    /* role: a leader takes work (it has the WebSocket layer), a standby
     * serves these figures only */
    int len = snprintf(text, sizeof text,
                       "{\"status\":\"ok\",\"role\":\"%s\",\"version\":\"%s\",\"liborca\":\"%s\","
                       "\"queues\":%u,\"agents\":%u,\"waiting\":%u}\n",
                       h->ws ? "leader" : "standby", h->version, orca_version(), n.queues,
                       n.agents, n.waiting);
    body_add(b, text, (size_t)len);
}

/* The dashboard: GET / (and /dashboard/) is its page, /dashboard/NAME its
 * files, from the copies embedded at build time (server/assets.h). 0 if
 * uri is none of them. */
static int dashboard(const char *uri, body *b, const char **type)
{
    static const struct { const char *ext, *type; } types[] = {
        { ".html", "text/html; charset=utf-8" },
        { ".css", "text/css; charset=utf-8" },
        { ".js", "text/javascript; charset=utf-8" },
    };
    if (strcmp(uri, "/") == 0 || strcmp(uri, "/dashboard") == 0 || strcmp(uri, "/dashboard/") == 0)
        uri = "/dashboard/index.html";
    for (const orcad_asset *a = orcad_assets; a->path; a++) {
        if (strcmp(a->path, uri) != 0)
            continue;
        const char *dot = strrchr(a->path, '.');
        *type = "application/octet-stream";
        for (size_t k = 0; dot && k < sizeof types / sizeof *types; k++)
            if (strcmp(dot, types[k].ext) == 0)
                *type = types[k].type;
        body_add(b, (const char *)a->data, a->len);
        return 1;
    }
    return 0;
}

/* The journal's shipping (a leader) or following (a standby). */
static void replica_metrics(const struct orcad_replica *r, body *b)
{
    orcad_replica_stats st;
    char text[2048];
    orcad_replica_stats_get(r, &st);
    int n = snprintf(text, sizeof text,
        "# HELP orcad_replica_epoch The leader's epoch (a standby: of the leader it follows).\n"
        "# TYPE orcad_replica_epoch gauge\norcad_replica_epoch %llu\n"
        "# HELP orcad_replica_leader 1 while this server leads (holds the lease and the epoch).\n"
        "# TYPE orcad_replica_leader gauge\norcad_replica_leader %d\n"
        "# HELP orcad_replica_connected 1 while Redis is reachable.\n"
        "# TYPE orcad_replica_connected gauge\norcad_replica_connected %d\n"
        "# HELP orcad_replica_whole 1 while the stream holds every record since its last snapshot (a standby: while it follows without a gap).\n"
        "# TYPE orcad_replica_whole gauge\norcad_replica_whole %d\n"
        "# HELP orcad_replica_records_total Journal records sent to Redis (leader), acknowledged by it, failed or dropped, or applied (standby).\n"
        "# TYPE orcad_replica_records_total counter\n"
        "orcad_replica_records_total{what=\"sent\"} %llu\n"
        "orcad_replica_records_total{what=\"acked\"} %llu\n"
        "orcad_replica_records_total{what=\"failed\"} %llu\n"
        "orcad_replica_records_total{what=\"applied\"} %llu\n"
        "# HELP orcad_replica_lag_records Records sent to Redis and not yet answered (a lost link drops them: they count as failed).\n"
        "# TYPE orcad_replica_lag_records gauge\norcad_replica_lag_records %llu\n"
        "# HELP orcad_replica_lag_seconds How long records have waited for Redis (0: none waiting).\n"
        "# TYPE orcad_replica_lag_seconds gauge\norcad_replica_lag_seconds %.3f\n"
        "# HELP orcad_replica_resyncs_total Times a standby started over from a snapshot.\n"
        "# TYPE orcad_replica_resyncs_total counter\norcad_replica_resyncs_total %llu\n"
        "# HELP orcad_replica_promotions_total Times this server took over as the leader.\n"
        "# TYPE orcad_replica_promotions_total counter\norcad_replica_promotions_total %llu\n",
        (unsigned long long)st.epoch, st.leader, st.connected, st.whole,
        (unsigned long long)st.sent, (unsigned long long)st.acked,
        (unsigned long long)st.failed, (unsigned long long)st.applied,
        (unsigned long long)st.inflight, (double)st.lag_ms / 1000,
        (unsigned long long)st.resyncs, (unsigned long long)st.promotions);
    body_add(b, text, (size_t)n);
}

/* Which endpoint, its status and content type; the body into b. */
static unsigned route(const orcad_http *h, struct lws *wsi, const char *uri, body *b,
                      const char **type)
{
    (void)wsi;
    *type = "text/plain; charset=utf-8";
    if (strcmp(uri, "/healthz") == 0) {
        *type = "application/json";
        healthz(h, b);
    } else if (strcmp(uri, "/metrics") == 0) {
        *type = "text/plain; version=0.0.4; charset=utf-8";
        orcad_turns t;
        if (orcad_metrics_write(h->e, h->s, body_add, b) != ORCA_OK)
            b->oom = 1;
        orcad_ws_turns(h->ws, &t);
        orcad_turns_metrics(&t, body_add, b);
        if (h->replica)
            replica_metrics(h->replica, b);
    } else if (strcmp(uri, "/snapshot") == 0) {
        *type = "application/json";
        orca_stats_snapshot_json(h->s, body_add, b);
    } else if (dashboard(uri, b, type)) {
        /* the body is in b */
    } else {
        body_add(b, "not found\n", 10);
        return HTTP_STATUS_NOT_FOUND;
    }
    return HTTP_STATUS_OK;
}

static int on_request(struct lws *wsi, session *ss, const char *uri)
{
    const orcad_http *h = lws_context_user(lws_get_context(wsi));
    unsigned char head[LWS_PRE + 512], *p = head + LWS_PRE, *end = head + sizeof head - 1;
    const char *type;
    /* Anything but GET: 405 at once and the connection closes (a body it
     * may carry is not read). */
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0) {
        lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, "only GET");
        return -1;
    }
    unsigned status = route(h, wsi, uri, &ss->b, &type);
    if (ss->b.oom) {
        body_free(&ss->b);
        return lws_return_http_status(wsi, HTTP_STATUS_INTERNAL_SERVER_ERROR, NULL) ? -1 : 0;
    }
    if (lws_add_http_common_headers(wsi, status, type, ss->b.len, &p, end) ||
        lws_finalize_write_http_header(wsi, head + LWS_PRE, &p, end))
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

/* The body, a chunk per writable callback; then the transaction ends
 * (keep-alive connections wait for their next request). */
static int on_writable(struct lws *wsi, session *ss)
{
    body *b = &ss->b;
    size_t n = b->len - b->sent < CHUNK ? b->len - b->sent : CHUNK;
    int last = b->sent + n == b->len;
    if (n && lws_write(wsi, b->buf + LWS_PRE + b->sent, n,
                       last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
        return -1;
    b->sent += n;
    if (!last) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    body_free(b);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    session *ss = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        body_free(&ss->b);
        return on_request(wsi, ss, in);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return ss && ss->b.buf ? on_writable(wsi, ss) : 0;
    case LWS_CALLBACK_CLOSED_HTTP:
        if (ss)
            body_free(&ss->b);
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* HTTP, then the WebSocket protocol (server/ws.c) on the same vhosts:
 * lws hands a connection that asks for "orca.v1" to the latter. Kept in
 * orcad_http because lws wants the list to outlive the vhosts. */
static const struct lws_protocols http_protocol = {
    "http", callback, sizeof(session), 0, 0, NULL, 0
};

/* "host:port" into a vhost; with cert and key (PEM files), a TLS one. */
static int listen_on(struct lws_context *ctx, const struct lws_protocols *protocols,
                     const char *addr, const char *cert, const char *key)
{
    char host[ORCAD_HOST_MAX + 1];
    int port;
    if (orcad_listen_parse(addr, host, &port) != 0) {
        fprintf(stderr, "orcad: listen address '%s' is not host:port\n", addr);
        return -1;
    }
    struct lws_context_creation_info vi;
    memset(&vi, 0, sizeof vi);
    vi.port = port;
    vi.iface = host;
    vi.protocols = protocols;
    vi.vhost_name = addr;
    vi.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    if (cert) {
        vi.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        vi.ssl_cert_filepath = cert;
        vi.ssl_private_key_filepath = key;
    }
    /* Pings for half-open WebSocket peers (limits.ping_s). */
    const orcad_http *h = lws_context_user(ctx);
    vi.retry_and_idle_policy = h->idle.secs_since_valid_ping ? &h->idle : NULL;
    if (!lws_create_vhost(ctx, &vi)) {
        fprintf(stderr, "orcad: cannot listen on %s%s\n", addr,
                cert ? " with TLS (is the certificate and key pair good?)" : "");
        return -1;
    }
    return 0;
}

int orcad_http_start(uv_loop_t *loop, const orca_engine *e, const orca_stats *s,
                     const char *version, orcad_ws *ws, unsigned ping_s, char *const *listen,
                     size_t n, orcad_http **out)
{
    *out = NULL;
    if (n > ORCAD_MAX_LISTEN) {
        fprintf(stderr, "orcad: at most %d listen addresses\n", ORCAD_MAX_LISTEN);
        return -1;
    }
    orcad_http *h = calloc(1, sizeof *h);
    if (!h) {
        fprintf(stderr, "orcad: out of memory\n");
        return -1;
    }
    h->e = e, h->s = s, h->version = version, h->ws = ws;
    /* lws's idle policy: ping a peer quiet for ping_s seconds, hang up on
     * one with nothing valid (a pong) for 2 x ping_s */
    h->idle.secs_since_valid_ping = (uint16_t)ping_s;
    h->idle.secs_since_valid_hangup = (uint16_t)(2 * ping_s);
    h->protocols[0] = http_protocol;
    /* The WebSocket protocol is always there: a standby (ws NULL until it
     * takes over, orcad_http_set_ws) refuses its upgrades with 503. */
    h->protocols[1] = orcad_ws_protocol; /* [2] stays zero: the end */
    void *loops[1] = { loop };
    struct lws_context_creation_info ci;
    memset(&ci, 0, sizeof ci);
    ci.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
                 LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN |
                 LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT; /* for TLS vhosts, if any */
    ci.foreign_loops = loops;
    ci.user = h;
    ci.port = CONTEXT_PORT_NO_LISTEN;
    lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
    if (!(h->ctx = lws_create_context(&ci))) {
        fprintf(stderr, "orcad: libwebsockets: no context (is libwebsockets-evlib-uv installed?)\n");
        free(h);
        return -1;
    }
    for (size_t k = 0; k < n; k++) {
        if (listen_on(h->ctx, h->protocols, listen[k], NULL, NULL) != 0) {
            orcad_http_stop(h);
            /* lws's handles close on the loop: run it until they have
             * (nothing else may be on it yet, see http.h), or their close
             * callbacks would run after the second destroy unloaded
             * lws's libuv plugin. */
            uv_run(loop, UV_RUN_DEFAULT);
            orcad_http_free(h);
            return -1;
        }
    }
    *out = h;
    return 0;
}

int orcad_http_add_tls(orcad_http *h, char *const *listen, size_t n, const char *cert,
                       const char *key)
{
    for (size_t k = 0; k < n; k++)
        if (listen_on(h->ctx, h->protocols, listen[k], cert, key) != 0)
            return -1;
    return 0;
}

void orcad_http_set_replica(orcad_http *h, const struct orcad_replica *r)
{
    if (h)
        h->replica = r;
}

void orcad_http_set_engine(orcad_http *h, const orca_engine *e, const orca_stats *s)
{
    if (h)
        h->e = e, h->s = s;
}

void orcad_http_set_ws(orcad_http *h, orcad_ws *ws)
{
    if (h)
        h->ws = ws;
}

orcad_ws *orcad_http_ws(const orcad_http *h)
{
    return h ? h->ws : NULL;
}

void orcad_http_stop(orcad_http *h)
{
    if (h && !h->stopped) {
        h->stopped = 1;
        lws_context_destroy(h->ctx);
    }
}

/* On a foreign loop lws_context_destroy only starts: it closes lws's
 * handles on the loop, and a second call once they are closed frees the
 * rest of the context. */
void orcad_http_free(orcad_http *h)
{
    if (!h)
        return;
    orcad_http_stop(h);
    lws_context_destroy(h->ctx);
    free(h);
}
