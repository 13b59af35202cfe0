/*
 * server/ws.c: the WebSocket transport (docs/PROTOCOL.md, "Transport").
 * Clients ask for the "orca.v1" subprotocol on the HTTP port. Each
 * connection owns one proto_session; a complete text message goes to
 * proto_handle and its reply joins the connection's output queue. Offers
 * are pushed from the channels' offer callbacks to the connection logged
 * in as the agent; nobody logged in as it: nothing is sent and the offer
 * times out as the engine's rules say.
 *
 * Output is bounded per connection (ORCAD_WS_MAX_OUT bytes queued): a
 * client that never reads is disconnected rather than growing orcad's
 * memory. Input is bounded by PROTO_MAX_MESSAGE: a longer message is not
 * kept, it gets the ETOOBIG reply proto_handle gives any oversize text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "proto.h"
#include "ws.h"

struct conn;

struct orcad_ws {
    orca_engine *e;
    const orcad_config *cfg;
    orca_uv *u;
    struct conn *conns; /* open connections, newest first */
};

/* One queued message, LWS_PRE bytes of headroom in front as lws_write wants. */
typedef struct msg {
    struct msg *next;
    size_t len;
    unsigned char buf[];
} msg;

/* Per connection (lws allocates and zeroes it). */
typedef struct conn {
    struct conn *next, *prev;
    struct lws *wsi;
    orcad_ws *w;
    proto_session ps;
    msg *head, *tail;
    size_t queued;       /* bytes in the queue */
    char *rx;            /* the message being received, PROTO_MAX_MESSAGE + 1 at most */
    size_t rxlen;
    int dead;            /* over its output bound: closing, sends nothing more */
} conn;

static orcad_ws *ws_of(struct lws *wsi)
{
    return orcad_http_ws(lws_context_user(lws_get_context(wsi)));
}

static void drop_queue(conn *c)
{
    while (c->head) {
        msg *m = c->head;
        c->head = m->next;
        free(m);
    }
    c->tail = NULL;
    c->queued = 0;
}

/* Cut c off at once: what it has not been sent is dropped, and lws closes
 * it from the loop (the disconnect rule then applies). */
static void kill_conn(conn *c)
{
    c->dead = 1;
    drop_queue(c);
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* Queue text on c. Past the bound (or out of memory) the connection is
 * closed: a reply it cannot have must not be silently lost. */
static void send_text(conn *c, const char *text, size_t len)
{
    if (c->dead)
        return;
    msg *m = c->queued + len <= ORCAD_WS_MAX_OUT ? malloc(sizeof *m + LWS_PRE + len) : NULL;
    if (!m) {
        fprintf(stderr, "orcad: a WebSocket client with %zu bytes unsent (bound %d) is "
                "disconnected\n", c->queued + len, ORCAD_WS_MAX_OUT);
        kill_conn(c);
        return;
    }
    m->next = NULL;
    m->len = len;
    memcpy(m->buf + LWS_PRE, text, len);
    if (c->tail)
        c->tail->next = m;
    else
        c->head = m;
    c->tail = m;
    c->queued += len;
    lws_callback_on_writable(c->wsi);
}

static void on_reply(void *data, const char *text, size_t len)
{
    send_text(data, text, len);
}

/* The newest connection logged in as agent, or NULL. */
static conn *agent_conn(const orcad_ws *w, uint64_t agent)
{
    for (conn *c = w->conns; c; c = c->next)
        if (c->ps.agent == agent && !c->dead)
            return c;
    return NULL;
}

static void on_offer(void *data, const orca_offer *o)
{
    orcad_ws *w = data;
    conn *c = agent_conn(w, o->agent);
    if (!c)
        return; /* nobody to tell: the offer times out */
    char *text = proto_offer_json(w->e, o);
    if (!text) {
        /* An offer the agent never sees would only ring out; closing
         * says something went wrong, and the disconnect rule applies. */
        kill_conn(c);
        return;
    }
    send_text(c, text, strlen(text));
    free(text);
}

static void on_withdraw(void *data, const orca_offer *o, orca_withdraw_reason why)
{
    static const char *const reasons[] = { "unknown", "timeout", "abandoned", "cancelled",
                                           "agent_removed", "recovered" };
    orcad_ws *w = data;
    conn *c = agent_conn(w, o->agent);
    char text[160];
    if (!c)
        return;
    int len = snprintf(text, sizeof text,
                       "{\"v\":1,\"type\":\"withdraw\",\"interaction\":%llu,\"reason\":\"%s\"}",
                       (unsigned long long)o->interaction,
                       (unsigned)why < sizeof reasons / sizeof *reasons ? reasons[why] : "unknown");
    send_text(c, text, (size_t)len);
}

/* A whole message has arrived: handle it, then re-arm the engine's timers
 * (the call may have queued or offered work). */
static void on_message(conn *c)
{
    proto_handle(&c->ps, c->w->e, c->rx ? c->rx : "", c->rxlen, on_reply, c);
    if (c->w->u)
        orca_uv_kick(c->w->u);
    c->rxlen = 0;
}

/* A piece of a message. Bytes past PROTO_MAX_MESSAGE + 1 are not kept:
 * proto_handle answers ETOOBIG for the length alone. */
static int on_receive(struct lws *wsi, conn *c, const char *in, size_t len)
{
    if (c->dead)
        return 0; /* cut off: its requests must not act with no one told */
    if (!c->rx && !(c->rx = malloc(PROTO_MAX_MESSAGE + 1)))
        return -1;
    size_t room = PROTO_MAX_MESSAGE + 1 - c->rxlen;
    size_t n = len < room ? len : room;
    memcpy(c->rx + c->rxlen, in, n);
    c->rxlen += n;
    if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0)
        on_message(c);
    return 0;
}

/* Queued messages, oldest first, while the socket takes them
 * (lws_send_pipe_choked) and at most WRITE_BURST per writable callback, so
 * one busy connection does not keep the loop from the others. One message
 * per callback was too few: a gateway's replies then waited one loop turn
 * each (an epoll_ctl and a wake-up per message) and fell behind at a few
 * thousand enqueues a second (make loadtest). */
#define WRITE_BURST 64

static int on_writable(struct lws *wsi, conn *c)
{
    for (int k = 0; k < WRITE_BURST && c->head && !c->dead; k++) {
        msg *m = c->head;
        if (k > 0 && lws_send_pipe_choked(wsi))
            break;
        if (lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int)m->len)
            return -1;
        c->head = m->next;
        if (!c->head)
            c->tail = NULL;
        c->queued -= m->len;
        free(m);
    }
    if (c->head && !c->dead)
        lws_callback_on_writable(wsi);
    return 0;
}

/* The disconnect rule (PROTOCOL.md, "Agent disconnect"): an agent whose
 * last connection closes is set NOT_READY at once (unless it is OFFLINE
 * already), so no new work is offered to nobody. */
static void on_closed(conn *c)
{
    orcad_ws *w = c->w;
    uint64_t agent = c->ps.agent;
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    drop_queue(c);
    free(c->rx);
    proto_session_free(&c->ps);
    orca_agent_info ai;
    if (agent && !agent_conn(w, agent) && orca_agent_info_get(w->e, agent, &ai) == ORCA_OK &&
        ai.presence != ORCA_PRESENCE_OFFLINE) {
        orca_agent_set_presence(w->e, agent, ORCA_PRESENCE_NOT_READY, 0);
        if (w->u)
            orca_uv_kick(w->u);
    }
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED: {
        orcad_ws *w = ws_of(wsi);
        if (!w)
            return -1;
        memset(c, 0, sizeof *c);
        c->wsi = wsi, c->w = w;
        proto_session_init(&c->ps, w->cfg);
        c->next = w->conns;
        if (w->conns)
            w->conns->prev = c;
        w->conns = c;
        return 0;
    }
    case LWS_CALLBACK_RECEIVE:
        return c && c->w ? on_receive(wsi, c, in, len) : -1;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return c && c->w ? on_writable(wsi, c) : 0;
    case LWS_CALLBACK_CLOSED:
        if (c && c->w)
            on_closed(c);
        if (c)
            c->w = NULL;
        return 0;
    default:
        return 0;
    }
}

const struct lws_protocols orcad_ws_protocol = {
    "orca.v1", callback, sizeof(conn), 4096, 0, NULL, 0
};

int orcad_ws_new(orca_engine *e, const orcad_config *cfg, orcad_ws **out)
{
    static const orca_channel_callbacks cbs = { on_offer, on_withdraw };
    orcad_ws *w = calloc(1, sizeof *w);
    *out = NULL;
    if (!w) {
        fprintf(stderr, "orcad: out of memory\n");
        return -1;
    }
    w->e = e, w->cfg = cfg;
    for (orca_channel_id ch = 0; ch < ORCA_MAX_CHANNELS; ch++) {
        if (!orca_channel_name(e, ch))
            continue;
        int rc = orca_channel_set_callbacks(e, ch, &cbs, w);
        if (rc != ORCA_OK) {
            fprintf(stderr, "orcad: channel callbacks: %s\n", orca_strerror(rc));
            free(w);
            return -1;
        }
    }
    *out = w;
    return 0;
}

void orcad_ws_set_uv(orcad_ws *w, orca_uv *u)
{
    w->u = u;
}

void orcad_ws_free(orcad_ws *w)
{
    free(w);
}
