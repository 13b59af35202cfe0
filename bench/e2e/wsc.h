/*
 * bench/e2e/wsc.h: a small WebSocket client (RFC 6455) on libuv, text
 * messages only. It does the HTTP Upgrade handshake (a random
 * Sec-WebSocket-Key, the subprotocol asked for, the 101 and its
 * Sec-WebSocket-Accept checked), sends masked client frames and reads the
 * server's unmasked ones (7, 16 and 64-bit lengths, continuation frames
 * joined into one message, pings answered). Written for the load driver
 * (bench/e2e/loadtest.c); nothing in it is specific to orca, so orcactl
 * can reuse it.
 *
 * One wsc is one connection. Every function returns 0 or a negative libuv
 * error code (UV_E*). Callbacks run on the loop:
 *   on_open(c, 0)      the handshake is done: wsc_send may be called
 *   on_text(c, p, n)   one whole text message (not NUL-terminated)
 *   on_close(c, err)   the connection is gone (err 0: closed cleanly or by
 *                      wsc_close; else a UV_E* code, UV_EPROTO for a bad
 *                      handshake or frame); the wsc is freed after it
 */
#ifndef ORCA_BENCH_WSC_H
#define ORCA_BENCH_WSC_H

#include <stddef.h>
#include <uv.h>

typedef struct wsc wsc;

typedef struct wsc_callbacks {
    void (*on_open)(wsc *c, void *data);
    void (*on_text)(wsc *c, const char *text, size_t len, void *data);
    void (*on_close)(wsc *c, int err, void *data);
} wsc_callbacks;

/* Connect to addr (IPv4 or IPv6) and ask for path with subprotocol
 * protocol (NULL: none); host is the Host header. *out is the new
 * connection; its callbacks get data. UV_ENOMEM, or the error of
 * uv_tcp_connect (then no callback is called and nothing is left). */
int wsc_connect(uv_loop_t *loop, const struct sockaddr *addr, const char *host, const char *path,
                const char *protocol, const wsc_callbacks *cb, void *data, wsc **out);

/* Send one text message (a single masked frame). Before on_open, or after
 * the connection is closing: UV_ENOTCONN. UV_ENOMEM. Written in order;
 * what the socket does not take at once waits in libuv's write queue. */
int wsc_send(wsc *c, const char *text, size_t len);

/* Bytes waiting in the write queue (the socket did not take them yet). */
size_t wsc_pending(const wsc *c);

/* Close now (no close handshake): on_close(c, 0) follows on the loop. */
void wsc_close(wsc *c);

#endif
