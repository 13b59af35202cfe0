/*
 * bench/e2e/wsc.c: the WebSocket client of wsc.h (RFC 6455, text only).
 * Reading: bytes gather in one growing buffer; the handshake is parsed
 * once the blank line is in, then whole frames are taken off the front.
 * Writing: uv_try_write first (the common case costs no allocation); what
 * the socket does not take goes to uv_write with its own copy.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "wsc.h"
#include "wsframe.h"

#define WSC_MAX_MESSAGE (16u << 20) /* a longer message from the server is an error */

enum { ST_CONNECTING, ST_HANDSHAKE, ST_OPEN, ST_CLOSING };

struct wsc {
    uv_tcp_t tcp;
    uv_connect_t creq;
    const wsc_callbacks *cb;
    void *data;
    int state, err;
    char key[32];                   /* our Sec-WebSocket-Key, base64 */
    char *req;                      /* the handshake request, kept until connected */
    uint64_t rng;
    char *in;                       /* bytes read, not yet taken */
    size_t inlen, incap;
    char *msg;                      /* a fragmented message being joined */
    size_t msglen, msgcap;
    int in_msg;
};

typedef struct wreq {
    uv_write_t w;
    uv_buf_t b;
    char bytes[];
} wreq;

static uint64_t next_rand(wsc *c)
{
    /* xorshift64*: masking keys and the handshake key need no more */
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return c->rng * 2685821657736338717ull;
}

static void on_closed(uv_handle_t *h)
{
    wsc *c = h->data;
    if (c->cb->on_close)
        c->cb->on_close(c, c->err, c->data);
    free(c->in);
    free(c->msg);
    free(c->req);
    free(c);
}

static void fail(wsc *c, int err)
{
    if (c->state == ST_CLOSING)
        return;
    c->state = ST_CLOSING;
    c->err = err;
    uv_read_stop((uv_stream_t *)&c->tcp);
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

void wsc_close(wsc *c)
{
    fail(c, 0);
}

static void on_written(uv_write_t *w, int status)
{
    wreq *r = (wreq *)w;
    wsc *c = w->handle->data;
    free(r);
    if (status < 0 && status != UV_ECANCELED)
        fail(c, status);
}

/* Write n bytes in order: straight to the socket when nothing is queued. */
static int write_raw(wsc *c, const char *p, size_t n)
{
    if (c->tcp.write_queue_size == 0) {
        uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
        int w = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w != UV_EAGAIN) {
            fail(c, w);
            return w;
        }
        if (n == 0)
            return 0;
    }
    wreq *r = malloc(sizeof *r + n);
    if (!r)
        return UV_ENOMEM;
    memcpy(r->bytes, p, n);
    r->b = uv_buf_init(r->bytes, (unsigned)n);
    int rc = uv_write(&r->w, (uv_stream_t *)&c->tcp, &r->b, 1, on_written);
    if (rc < 0) {
        free(r);
        fail(c, rc);
    }
    return rc;
}

static int send_frame(wsc *c, int opcode, const char *p, size_t n)
{
    char stackbuf[1024];
    size_t total = WSF_HEADER_MAX + n;
    char *f = total <= sizeof stackbuf ? stackbuf : malloc(total);
    if (!f)
        return UV_ENOMEM;
    uint32_t m = (uint32_t)next_rand(c);
    unsigned char mask[4] = { (unsigned char)(m >> 24), (unsigned char)(m >> 16),
                              (unsigned char)(m >> 8), (unsigned char)m };
    size_t hl = wsf_header((unsigned char *)f, (unsigned)opcode, n, mask);
    memcpy(f + hl, p, n);
    wsf_mask((unsigned char *)f + hl, n, mask);
    int rc = write_raw(c, f, hl + n);
    if (f != stackbuf)
        free(f);
    return rc;
}

int wsc_send(wsc *c, const char *text, size_t len)
{
    if (c->state != ST_OPEN)
        return UV_ENOTCONN;
    return send_frame(c, 1, text, len);
}

size_t wsc_pending(const wsc *c)
{
    return c->tcp.write_queue_size;
}

/* The server's handshake reply: 101, and the accept hash of our key. */
static int check_handshake(wsc *c, const char *h, size_t n)
{
    if (n < 12 || strncmp(h, "HTTP/1.1 101", 12) != 0)
        return -1;
    char want[29];
    wsf_accept(c->key, want);
    for (const char *l = h; l && l < h + n; l = strstr(l, "\r\n")) {
        l += (l != h) ? 2 : 0;
        static const char name[] = "Sec-WebSocket-Accept:";
        if (strncasecmp(l, name, sizeof name - 1) == 0) {
            const char *v = l + sizeof name - 1;
            while (*v == ' ')
                v++;
            return strncmp(v, want, strlen(want)) == 0 ? 0 : -1;
        }
    }
    return -1;
}

static int deliver(wsc *c, int fin, int opcode, const char *p, size_t n)
{
    if (opcode == 1 && !c->in_msg && fin) {
        c->cb->on_text(c, p, n, c->data); /* the common case: no copy */
        return 0;
    }
    if (opcode == 1 || opcode == 0) {
        if ((opcode == 1) == (c->in_msg != 0))
            return -1; /* a new message inside one, or a continuation of none */
        if (c->msglen + n > WSC_MAX_MESSAGE)
            return -1;
        if (c->msglen + n > c->msgcap) {
            size_t cap = (c->msglen + n) * 2;
            char *m = realloc(c->msg, cap);
            if (!m)
                return -1;
            c->msg = m, c->msgcap = cap;
        }
        memcpy(c->msg + c->msglen, p, n);
        c->msglen += n;
        c->in_msg = !fin;
        if (fin) {
            size_t len = c->msglen;
            c->msglen = 0;
            c->cb->on_text(c, c->msg, len, c->data);
        }
        return 0;
    }
    return -1;
}

/* Take whole frames off the front of c->in. Returns -1 on a protocol error. */
static int take_frames(wsc *c)
{
    size_t off = 0;
    while (c->state == ST_OPEN) {
        const unsigned char *f = (const unsigned char *)c->in + off;
        size_t have = c->inlen - off;
        wsf_frame h;
        if (!wsf_parse(f, have, &h))
            break;
        if (h.len > WSC_MAX_MESSAGE)
            return -1;
        int fin = (int)h.fin, opcode = (int)h.opcode;
        size_t n = (size_t)h.len;
        if (have < h.header + n)
            break;
        char *p = (char *)c->in + off + h.header;
        if (h.masked) /* servers must not mask; undo it anyway */
            wsf_mask((unsigned char *)p, n, h.mask);
        off += h.header + n;
        if (opcode == 8) { /* close: we are done */
            fail(c, 0);
            break;
        } else if (opcode == 9) {
            send_frame(c, WSF_PONG, p, n); /* ping: pong with its data */
        } else if (opcode == 10) {
            /* pong: nothing to do */
        } else if (deliver(c, fin, opcode, p, n) != 0) {
            return -1;
        }
    }
    memmove(c->in, c->in + off, c->inlen - off);
    c->inlen -= off;
    return 0;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    wsc *c = h->data;
    (void)hint;
    if (c->incap - c->inlen < 65536) {
        size_t cap = c->incap ? c->incap * 2 : 131072;
        char *p = realloc(c->in, cap);
        if (!p) {
            *b = uv_buf_init(NULL, 0); /* libuv reports UV_ENOBUFS */
            return;
        }
        c->in = p, c->incap = cap;
    }
    *b = uv_buf_init(c->in + c->inlen, (unsigned)(c->incap - c->inlen));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    wsc *c = s->data;
    (void)b;
    if (nread < 0) {
        fail(c, nread == UV_EOF ? 0 : (int)nread);
        return;
    }
    c->inlen += (size_t)nread;
    if (c->state == ST_HANDSHAKE) {
        char *end = c->inlen >= 4 ? memmem(c->in, c->inlen, "\r\n\r\n", 4) : NULL;
        if (!end) {
            if (c->inlen > 16384)
                fail(c, UV_EPROTO);
            return;
        }
        size_t hlen = (size_t)(end - c->in) + 4;
        end[2] = 0; /* terminates the header for strstr; the blank line is dropped */
        if (check_handshake(c, c->in, hlen - 2) != 0) {
            fail(c, UV_EPROTO);
            return;
        }
        memmove(c->in, c->in + hlen, c->inlen - hlen);
        c->inlen -= hlen;
        c->state = ST_OPEN;
        if (c->cb->on_open)
            c->cb->on_open(c, c->data);
    }
    if (c->state == ST_OPEN && take_frames(c) != 0)
        fail(c, UV_EPROTO);
}

static void on_connect(uv_connect_t *r, int status)
{
    wsc *c = r->data;
    if (status < 0) {
        fail(c, status);
        return;
    }
    if (c->state == ST_CLOSING)
        return;
    c->state = ST_HANDSHAKE;
    uv_tcp_nodelay(&c->tcp, 1);
    int rc = write_raw(c, c->req, strlen(c->req));
    free(c->req);
    c->req = NULL;
    if (rc == 0)
        rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc < 0)
        fail(c, rc);
}

int wsc_connect(uv_loop_t *loop, const struct sockaddr *addr, const char *host, const char *path,
                const char *protocol, const wsc_callbacks *cb, void *data, wsc **out)
{
    wsc *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return UV_ENOMEM;
    c->cb = cb, c->data = data;
    c->rng = uv_hrtime() ^ (uint64_t)(uintptr_t)c ^ 0x9e3779b97f4a7c15ull;
    unsigned char raw[16];
    for (int k = 0; k < 16; k++)
        raw[k] = (unsigned char)next_rand(c);
    wsf_base64(raw, sizeof raw, c->key);
    size_t cap = strlen(host) + strlen(path) + (protocol ? strlen(protocol) : 0) + 256;
    if (!(c->req = malloc(cap))) {
        free(c);
        return UV_ENOMEM;
    }
    snprintf(c->req, cap,
             "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s%s%s\r\n",
             path, host, c->key, protocol ? "Sec-WebSocket-Protocol: " : "",
             protocol ? protocol : "", protocol ? "\r\n" : "");
    int rc = uv_tcp_init(loop, &c->tcp);
    if (rc < 0) {
        free(c->req);
        free(c);
        return rc;
    }
    c->tcp.data = c;
    c->creq.data = c;
    if ((rc = uv_tcp_connect(&c->creq, &c->tcp, addr, on_connect)) < 0) {
        /* nothing to tell: the caller has the error */
        static const wsc_callbacks none = { 0 };
        c->cb = &none;
        c->state = ST_CLOSING;
        uv_close((uv_handle_t *)&c->tcp, on_closed);
        return rc;
    }
    *out = c;
    return 0;
}
