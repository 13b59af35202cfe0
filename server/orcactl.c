/*
 * server/orcactl.c: orcad's command line, as fs_cli and `asterisk -rx` are
 * for their servers. It speaks the same protocol as every other client
 * (docs/PROTOCOL.md: JSON over a WebSocket asking for "orca.v1"), so it
 * can do nothing a token could not do from a script.
 *
 * The WebSocket client is a small one of its own (RFC 6455, client side:
 * masked text frames out, text/continuation/ping/close in) over a blocking
 * socket driven by poll() with one deadline for the whole run, rather than
 * an lws context: a one-shot command needs one connection, one request at
 * a time, and a hard bound on how long it may take. It does not check
 * Sec-WebSocket-Accept (that needs SHA-1; the peer is the orcad the user
 * named, and the subprotocol answer is checked instead).
 *
 * Exit status: 0 ok, 1 the server refused (its error is printed as
 * "orcactl: CODE: message"), 2 usage, connection or timeout errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "wsframe.h"

#include <jansson.h>

#define DEFAULT_SERVER "ws://127.0.0.1:7878"  /* the example config's listen */
#define MAX_MESSAGE (16u << 20)               /* a reply bigger than this is refused */

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2 };

typedef struct ctl {
    char host[256];
    char port[8];
    const char *token;
    int json;                  /* --json: print replies as JSON */
    int64_t deadline_ms;       /* monotonic, for the whole run */
    int fd;
    long next_id;
} ctl;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    fputs("orcactl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(EXIT_USAGE);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------------ */
/* Socket I/O under the deadline                                            */
/* ------------------------------------------------------------------------ */

static void wait_fd(ctl *c, short ev)
{
    for (;;) {
        int64_t left = c->deadline_ms - mono_ms();
        if (left <= 0)
            die("timed out talking to %s:%s", c->host, c->port);
        struct pollfd p = { c->fd, ev, 0 };
        int n = poll(&p, 1, (int)left);
        if (n > 0)
            return;
        if (n < 0 && errno != EINTR)
            die("poll: %s", strerror(errno));
    }
}

static void send_all(ctl *c, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        wait_fd(c, POLLOUT);
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            die("sending to %s:%s: %s", c->host, c->port, strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

/* Exactly len bytes, or die (the server closed or the deadline passed). */
static void recv_all(ctl *c, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        wait_fd(c, POLLIN);
        ssize_t n = recv(c->fd, p, len, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n == 0)
            die("%s:%s closed the connection", c->host, c->port);
        if (n < 0)
            die("reading from %s:%s: %s", c->host, c->port, strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

static void tcp_connect(ctl *c)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai, *a;
    int rc = getaddrinfo(c->host, c->port, &hints, &ai);
    if (rc != 0)
        die("cannot resolve %s: %s", c->host, gai_strerror(rc));
    int err = 0;
    for (a = ai, c->fd = -1; a && c->fd < 0; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        c->fd = fd;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
            socklen_t l = sizeof err;
            wait_fd(c, POLLOUT);
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) == 0 && err == 0)
                break;
        } else {
            err = errno;
        }
        close(fd);
        c->fd = -1;
    }
    freeaddrinfo(ai);
    if (c->fd < 0)
        die("cannot connect to %s:%s: %s (is orcad running? --server or ORCA_SERVER)", c->host,
            c->port, strerror(err ? err : ECONNREFUSED));
}

/* Read an HTTP response head (up to the blank line) into buf. */
static void read_head(ctl *c, char *buf, size_t cap)
{
    size_t n = 0;
    while (n < 4 || memcmp(buf + n - 4, "\r\n\r\n", 4) != 0) {
        if (n + 1 >= cap)
            die("%s:%s sent an oversized HTTP header", c->host, c->port);
        recv_all(c, buf + n, 1);
        n++;
    }
    buf[n] = '\0';
}

/* ------------------------------------------------------------------------ */
/* WebSocket client (RFC 6455)                                              */
/* ------------------------------------------------------------------------ */

static void randbytes(void *buf, size_t n)
{
    if (getrandom(buf, n, 0) != (ssize_t)n) /* masking needs no strong randomness */
        for (size_t k = 0; k < n; k++)
            ((unsigned char *)buf)[k] = (unsigned char)(rand() ^ (int)mono_ms());
}

/* The WebSocket upgrade request for c with key into req (cap bytes); its
 * length. */
static int upgrade_request(const ctl *c, const char *key, char *req, size_t cap)
{
    return snprintf(req, cap,
                    "GET / HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Protocol: orca.v1\r\n\r\n",
                    c->host, c->port, key);
}

static void ws_connect(ctl *c)
{
    unsigned char nonce[16];
    char key[32], req[512], head[4096];
    tcp_connect(c);
    randbytes(nonce, sizeof nonce);
    wsf_base64(nonce, sizeof nonce, key);
    int n = upgrade_request(c, key, req, sizeof req);
    send_all(c, req, (size_t)n);
    read_head(c, head, sizeof head);
    if (strncmp(head, "HTTP/1.1 101", 12) != 0)
        die("%s:%s did not accept a WebSocket (answered \"%.*s\")", c->host, c->port,
            (int)strcspn(head, "\r\n"), head);
    if (!strcasestr(head, "\r\nSec-WebSocket-Protocol: orca.v1\r\n"))
        die("%s:%s does not speak orca.v1", c->host, c->port);
    /* The server proves it read this handshake (not a cached or a
     * confused reply): its accept value is derived from our key. */
    char want[29];
    wsf_accept(key, want);
    const char *v = strcasestr(head, "\r\nSec-WebSocket-Accept:");
    if (v)
        v += strspn(v + 23, " \t") + 23; /* the value: case matters there */
    if (!v || strncmp(v, want, 28) != 0 || (v[28] != '\r' && v[28] != ' '))
        die("%s:%s answered the WebSocket handshake with a wrong Sec-WebSocket-Accept", c->host,
            c->port);
}

static void ws_frame(ctl *c, unsigned op, const void *data, size_t len)
{
    unsigned char h[WSF_HEADER_MAX], mask[4];
    randbytes(mask, 4);
    send_all(c, h, wsf_header(h, op, len, mask));
    unsigned char *m = malloc(len ? len : 1);
    if (!m)
        die("out of memory");
    memcpy(m, data, len);
    wsf_mask(m, len, mask);
    send_all(c, m, len);
    free(m);
}

/* The next whole text message (NUL-terminated, malloc'd). Pings are
 * answered, a close frame is a connection error. */
static char *ws_recv(ctl *c)
{
    char *msg = NULL;
    size_t len = 0;
    for (;;) {
        unsigned char h[2], ext[8];
        recv_all(c, h, 2);
        unsigned op = h[0] & 0x0f, fin = h[0] & 0x80;
        uint64_t n = h[1] & 0x7f;
        if (n == 126) {
            recv_all(c, ext, 2);
            n = (uint64_t)ext[0] << 8 | ext[1];
        } else if (n == 127) {
            recv_all(c, ext, 8);
            n = 0;
            for (int k = 0; k < 8; k++)
                n = n << 8 | ext[k];
        }
        if (h[1] & 0x80)
            die("%s:%s sent a masked frame", c->host, c->port);
        if (n > MAX_MESSAGE || len + n > MAX_MESSAGE)
            die("%s:%s sent a message over %u bytes", c->host, c->port, MAX_MESSAGE);
        char *p = realloc(msg, len + n + 1);
        if (!p)
            die("out of memory");
        msg = p;
        recv_all(c, msg + len, (size_t)n);
        if (op == 0x8)
            die("%s:%s closed the connection", c->host, c->port);
        if (op == 0x9) {       /* ping: pong with its payload */
            ws_frame(c, 0xA, msg + len, (size_t)n);
            continue;
        }
        if (op == 0xA)
            continue;
        len += n;
        if (fin) {
            msg[len] = '\0';
            return msg;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                 */
/* ------------------------------------------------------------------------ */

/* Send req (its v and id are filled in; the reference is taken) and wait
 * for the reply with its id; pushes (offers, events) in between are
 * skipped. */
static json_t *request(ctl *c, json_t *req)
{
    long id = ++c->next_id;
    json_object_set_new(req, "v", json_integer(1));
    json_object_set_new(req, "id", json_integer(id));
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!text)
        die("out of memory");
    ws_frame(c, 0x1, text, strlen(text));
    free(text);
    for (;;) {
        char *m = ws_recv(c);
        json_error_t je;
        json_t *r = json_loads(m, 0, &je);
        if (!r)
            die("the server sent malformed JSON: %s", je.text);
        free(m);
        json_t *rid = json_object_get(r, "id");
        if (json_is_integer(rid) && json_integer_value(rid) == id)
            return r;
        if (json_is_null(rid) && json_is_false(json_object_get(r, "ok")))
            return r;          /* the server could not read our request */
        json_decref(r);
    }
}

static int refused(const json_t *r)
{
    return !json_is_true(json_object_get(r, "ok"));
}

/* Print an error reply and exit 1. */
static void fail_reply(ctl *c, json_t *r)
{
    json_t *e = json_object_get(r, "error");
    if (c->json) {
        char *t = json_dumps(r, JSON_COMPACT);
        puts(t ? t : "{}");
        free(t);
    }
    fprintf(stderr, "orcactl: %s: %s\n", json_string_value(json_object_get(e, "code")) ?: "EUNKNOWN",
            json_string_value(json_object_get(e, "message")) ?: "(no message)");
    json_decref(r);
    exit(EXIT_REFUSED);
}

/* One request whose error ends the run. */
static json_t *must(ctl *c, json_t *req)
{
    if (!req)
        die("out of memory");
    json_t *r = request(c, req);
    if (refused(r))
        fail_reply(c, r);
    return r;
}

static void hello(ctl *c)
{
    if (!c->token)
        die("no token: give --token or set ORCA_TOKEN (a token from orcad's config)");
    json_decref(must(c, json_pack("{s:s,s:s}", "type", "hello", "token", c->token)));
}

static void print_json(const json_t *r)
{
    char *t = json_dumps(r, JSON_COMPACT);
    if (!t)
        die("out of memory");
    puts(t);
    free(t);
}

/* ------------------------------------------------------------------------ */
/* Commands                                                                 */
/* ------------------------------------------------------------------------ */

static long long ival(const json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

static const char *sval(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* Longest wait in seconds from a queue's oldest_arrival_ms (wall clock). */
static double longest_wait_s(const json_t *q)
{
    long long oldest = ival(q, "oldest_arrival_ms");
    if (ival(q, "waiting") == 0 || oldest <= 0)
        return 0;
    long long d = wall_ms() - oldest;
    return d > 0 ? d / 1000.0 : 0;
}

static int cmd_queues(ctl *c)
{
    json_t *r = must(c, json_pack("{s:s}", "type", "queues")), *q;
    size_t k;
    if (c->json) {
        print_json(r);
    } else {
        printf("%-24s %8s %8s %8s %12s\n", "QUEUE", "WAITING", "OFFERED", "MEMBERS", "LONGEST(s)");
        json_array_foreach(json_object_get(r, "queues"), k, q)
            printf("%-24s %8lld %8lld %8lld %12.1f\n", sval(q, "name"), ival(q, "waiting"),
                   ival(q, "offered"), ival(q, "members"), longest_wait_s(q));
    }
    json_decref(r);
    return EXIT_OK;
}

static int cmd_agents(ctl *c)
{
    json_t *r = must(c, json_pack("{s:s}", "type", "agents")), *a;
    size_t k;
    if (c->json) {
        print_json(r);
    } else {
        printf("%-12s %-10s %6s %6s %8s %5s %7s\n", "AGENT", "PRESENCE", "REASON", "USED", "OFFERED",
               "BUSY", "WRAPUP");
        json_array_foreach(json_object_get(r, "agents"), k, a)
            printf("%-12lld %-10s %6lld %6lld %8lld %5lld %7lld\n", ival(a, "agent"),
                   sval(a, "presence"), ival(a, "reason"), ival(a, "used"), ival(a, "offered"),
                   ival(a, "busy"), ival(a, "wrapup"));
    }
    json_decref(r);
    return EXIT_OK;
}

/* GET /healthz on the same address (plain HTTP/1.0: the server closes). */
static json_t *healthz(ctl *c)
{
    char req[300], head[4096];
    int n = snprintf(req, sizeof req, "GET /healthz HTTP/1.0\r\nHost: %s:%s\r\n\r\n", c->host, c->port);
    tcp_connect(c);
    send_all(c, req, (size_t)n);
    read_head(c, head, sizeof head);
    if (strncmp(head, "HTTP/1.", 7) != 0 || strncmp(head + 8, " 200", 4) != 0)
        die("GET /healthz: %.*s", (int)strcspn(head, "\r\n"), head);
    char body[1024];
    size_t len = 0;
    for (;;) {                 /* to the close, or a whole JSON object */
        wait_fd(c, POLLIN);
        ssize_t k = recv(c->fd, body + len, sizeof body - 1 - len, 0);
        if (k < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (k <= 0)
            break;
        len += (size_t)k;
        body[len] = '\0';
        if (len == sizeof body - 1 || strchr(body, '\n'))
            break;
    }
    body[len] = '\0';
    close(c->fd);
    c->fd = -1;
    json_t *h = json_loads(body, JSON_DISABLE_EOF_CHECK, NULL);
    if (!h)
        die("GET /healthz: not JSON");
    return h;
}

/* The /healthz figures, and with a token the queues and agents by presence. */
static int cmd_status(ctl *c)
{
    json_t *h = healthz(c), *qs = NULL, *as = NULL;
    if (c->token) {
        ws_connect(c);
        hello(c);
        json_t *q = must(c, json_pack("{s:s}", "type", "queues"));
        json_t *a = must(c, json_pack("{s:s}", "type", "agents"));
        qs = json_incref(json_object_get(q, "queues"));
        as = json_incref(json_object_get(a, "agents"));
        json_decref(q);
        json_decref(a);
    }
    long long ready = 0, not_ready = 0, offline = 0, offered = 0;
    double longest = 0;
    size_t k;
    json_t *x;
    json_array_foreach(as, k, x) {
        const char *p = sval(x, "presence");
        ready += !strcmp(p, "ready");
        not_ready += !strcmp(p, "not_ready");
        offline += !strcmp(p, "offline");
    }
    json_array_foreach(qs, k, x) {
        offered += ival(x, "offered");
        if (longest_wait_s(x) > longest)
            longest = longest_wait_s(x);
    }
    if (c->json) {
        json_t *o = json_pack("{s:O,s:O,s:I,s:I,s:I}", "status", json_object_get(h, "status"), "version",
                              json_object_get(h, "version"), "queues", (json_int_t)ival(h, "queues"),
                              "agents", (json_int_t)ival(h, "agents"), "waiting",
                              (json_int_t)ival(h, "waiting"));
        json_t *more = as ? json_pack("{s:I,s:I,s:I,s:I,s:I}", "ready", (json_int_t)ready, "not_ready",
                                      (json_int_t)not_ready, "offline", (json_int_t)offline, "offered",
                                      (json_int_t)offered, "longest_wait_ms", (json_int_t)(longest * 1000))
                          : NULL;
        if (o && more)
            json_object_update(o, more);
        json_decref(more);
        if (!o)
            die("out of memory");
        print_json(o);
        json_decref(o);
    } else {
        printf("orcad %s (liborca %s): %s\n", sval(h, "version"), sval(h, "liborca"), sval(h, "status"));
        printf("queues %lld, agents %lld, waiting %lld\n", ival(h, "queues"), ival(h, "agents"),
               ival(h, "waiting"));
        if (as)
            printf("agents ready %lld, not_ready %lld, offline %lld; offered %lld; longest wait %.1f s\n",
                   ready, not_ready, offline, offered, longest);
    }
    json_decref(h);
    json_decref(qs);
    json_decref(as);
    return EXIT_OK;
}

/* A whole non-negative number argument, or die. */
static json_int_t number(const char *what, const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < 0 || errno)
        die("%s must be a non-negative whole number, not '%s'", what, s);
    return (json_int_t)v;
}

/* Send one request and print its reply: fields for people, or the JSON. */
static int simple(ctl *c, json_t *req, const char *done)
{
    json_t *r = must(c, req);
    if (c->json)
        print_json(r);
    else if (done)
        puts(done);
    else {
        const char *k;
        json_t *v;
        int shown = 0;
        json_object_foreach(r, k, v) {
            if (!strcmp(k, "id") || !strcmp(k, "ok"))
                continue;
            char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            printf("%s: %s\n", k, t ? t : "?");
            free(t);
            shown++;
        }
        if (!shown)
            puts("ok");
    }
    json_decref(r);
    return EXIT_OK;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: orcactl [--server ws://HOST:PORT[,ws://HOST:PORT...]] [--token T] [--timeout S]\n"
            "               [--json] COMMAND [ARGS]\n"
            "\n"
            "Talks to orcad over its WebSocket protocol (docs/PROTOCOL.md).\n"
            "  --server URL   orcad's address (default $ORCA_SERVER, else " DEFAULT_SERVER ");\n"
            "                 a comma-separated list (a leader and its standbys): the first\n"
            "                 that accepts a WebSocket is used (a standby refuses it)\n"
            "  --token T      a token from orcad's config (default $ORCA_TOKEN); status\n"
            "                 works without one (GET /healthz only)\n"
            "  --timeout S    give up after S seconds in all (default 5)\n"
            "  --json         print the server's replies as JSON\n"
            "\n"
            "commands (role needed):\n"
            "  status                            version, counts, waiting (+ supervisor: presence)\n"
            "  queues                            per queue: waiting, offered, members, longest wait\n"
            "  agents                            per agent: presence, used, offered, busy, wrapup\n"
            "  position INTERACTION              place in its queue (gateway, supervisor, admin)\n"
            "  presence AGENT ready|not_ready|offline [REASON]   set_presence (supervisor, admin)\n"
            "  reload                            re-read orcad's config (admin)\n"
            "  compact                           compact the journal (admin)\n"
            "  raw JSON                          send one request object, print the reply\n"
            "\n"
            "exit status: 0 ok, 1 the server refused (orcactl: CODE: message), 2 usage,\n"
            "connection or timeout errors.\n");
}

/* ws://HOST:PORT[/...] or HOST:PORT; an IPv6 host in brackets. */
static void parse_server(ctl *c, const char *url)
{
    const char *p = url, *host, *colon;
    size_t hl;
    if (!strncmp(p, "ws://", 5))
        p += 5;
    else if (strstr(p, "://"))
        die("--server: only ws:// URLs are supported, not '%s'", url);
    size_t end = strcspn(p, "/");
    if (p[0] == '[') {
        const char *rb = memchr(p, ']', end);
        host = p + 1;
        hl = rb ? (size_t)(rb - host) : 0;
        colon = rb && rb + 1 < p + end && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memrchr(p, ':', end);
        host = p;
        hl = colon ? (size_t)(colon - p) : 0;
    }
    size_t pl = colon ? (size_t)(p + end - colon - 1) : 0;
    if (!colon || hl == 0 || hl >= sizeof c->host || pl == 0 || pl >= sizeof c->port)
        die("--server '%s' is not ws://HOST:PORT", url);
    memcpy(c->host, host, hl);
    c->host[hl] = '\0';
    memcpy(c->port, colon + 1, pl);
    c->port[pl] = '\0';
    json_int_t port = number("the port in --server", c->port);
    if (port < 1 || port > 65535)
        die("--server '%s': the port is 1..65535", url);
}

/* 1 if c's address upgrades a WebSocket to orca.v1 (101) before the
 * deadline; 0 if it refuses the connection, closes, or answers anything
 * else (a standby answers 503). Never dies: the next server is tried. */
static int probe_ws(ctl *c)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai, *a;
    char req[512], head[64];
    int ok = 0;
    if (getaddrinfo(c->host, c->port, &hints, &ai) != 0)
        return 0;
    int n = upgrade_request(c, "dGhlIHNhbXBsZSBub25jZQ==", req, sizeof req); /* (only a probe) */
    for (a = ai; a && !ok; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        int64_t left = c->deadline_ms - mono_ms();
        struct timeval tv = { left > 0 ? left / 1000 : 0, left > 0 ? (left % 1000) * 1000 : 1000 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        size_t got = 0;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 &&
            send(fd, req, (size_t)n, MSG_NOSIGNAL) == n) {
            while (got < 12) {
                ssize_t k = recv(fd, head + got, sizeof head - 1 - got, 0);
                if (k <= 0)
                    break;
                got += (size_t)k;
            }
        }
        ok = got >= 12 && !strncmp(head, "HTTP/1.1 101", 12);
        close(fd);
    }
    freeaddrinfo(ai);
    return ok;
}

/* --server (or ORCA_SERVER) may list several servers, "ws://a:1,ws://b:2"
 * (a leader and its standbys): the first that accepts a WebSocket is
 * used; a standby refuses one (503), a dead one refuses the connection.
 * One server alone is used as it is (its errors are the command's). */
static void choose_server(ctl *c, const char *list)
{
    char one[600];
    if (!strchr(list, ',')) {
        parse_server(c, list);
        return;
    }
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof one)
            die("--server '%s': an empty or overlong entry in the list", list);
        memcpy(one, p, len);
        one[len] = '\0';
        parse_server(c, one);
        if (probe_ws(c))
            return;
        p += len;
        p += *p == ',';
    }
    die("no server in '%s' accepted a WebSocket (is the leader running?)", list);
}

int main(int argc, char **argv)
{
    ctl c = { .fd = -1 };
    const char *server = getenv("ORCA_SERVER");
    double timeout = 5;
    int i = 1;
    c.token = getenv("ORCA_TOKEN");
    if (c.token && !*c.token)
        c.token = NULL;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return EXIT_OK;
        } else if (!strcmp(a, "--json")) {
            c.json = 1;
        } else if ((!strcmp(a, "--server") || !strcmp(a, "--token") || !strcmp(a, "--timeout")) &&
                   i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(a, "--server"))
                server = v;
            else if (!strcmp(a, "--token"))
                c.token = v;
            else if ((timeout = strtod(v, NULL)) <= 0 || timeout > 3600)
                die("--timeout must be 0 < S <= 3600 seconds");
        } else {
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    c.deadline_ms = mono_ms() + (int64_t)(timeout * 1000);
    choose_server(&c, server && *server ? server : DEFAULT_SERVER);
    const char *cmd = argv[i++];
    int nargs = argc - i;
    char **args = argv + i;

    if (!strcmp(cmd, "status") && nargs == 0)
        return cmd_status(&c);

    json_t *req = NULL;
    if (!strcmp(cmd, "queues") && nargs == 0) {
    } else if (!strcmp(cmd, "agents") && nargs == 0) {
    } else if (!strcmp(cmd, "position") && nargs == 1) {
        req = json_pack("{s:s,s:I}", "type", "position", "interaction", number("INTERACTION", args[0]));
    } else if (!strcmp(cmd, "presence") && (nargs == 2 || nargs == 3)) {
        if (strcmp(args[1], "ready") && strcmp(args[1], "not_ready") && strcmp(args[1], "offline"))
            die("presence is ready, not_ready or offline, not '%s'", args[1]);
        req = json_pack("{s:s,s:I,s:s}", "type", "set_presence", "agent", number("AGENT", args[0]),
                        "presence", args[1]);
        if (req && nargs == 3)
            json_object_set_new(req, "reason", json_integer(number("REASON", args[2])));
    } else if ((!strcmp(cmd, "reload") || !strcmp(cmd, "compact")) && nargs == 0) {
        req = json_pack("{s:s}", "type", cmd);
    } else if (!strcmp(cmd, "raw") && nargs == 1) {
        json_error_t je;
        req = json_loads(args[0], 0, &je);
        if (!json_is_object(req))
            die("raw: the argument must be one JSON object (%s)", req ? "not an object" : je.text);
        json_object_del(req, "v");
        json_object_del(req, "id");
    } else {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (req == NULL && strcmp(cmd, "queues") && strcmp(cmd, "agents"))
        die("out of memory");
    ws_connect(&c);
    hello(&c);
    if (!strcmp(cmd, "queues"))
        return cmd_queues(&c);
    if (!strcmp(cmd, "agents"))
        return cmd_agents(&c);
    if (!strcmp(cmd, "presence"))
        return simple(&c, req, "ok");
    if (!strcmp(cmd, "raw")) {
        json_t *r = request(&c, req);
        print_json(r);
        int rc = refused(r) ? EXIT_REFUSED : EXIT_OK;
        if (rc)
            fprintf(stderr, "orcactl: %s: %s\n",
                    sval(json_object_get(r, "error"), "code"),
                    sval(json_object_get(r, "error"), "message"));
        json_decref(r);
        return rc;
    }
    return simple(&c, req, NULL);
}
