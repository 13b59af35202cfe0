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
 *
 * What bad and gone clients get (PROTOCOL.md, "Bad clients", "Agent
 * disconnect"): a rate limit per connection, a bound on connections, pings
 * for half-open peers, one live connection per agent (a new login takes
 * the binding over) and a grace period before a gone agent is NOT_READY.
 * Agents and interactions find their connection through hash maps
 * (connmap.h), so an offer or an event costs the same with 10 or 10,000
 * connections open.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "connmap.h"
#include "http.h"
#include "proto.h"
#include "ws.h"
#include "recent.h"
#include "wsframe.h"

struct conn;

struct orcad_ws {
    orca_engine *e;
    const orcad_config *cfg;
    orca_uv *u;
    uv_loop_t *loop;    /* the rate limit's clock and the grace timers */
    struct conn *subs;  /* those subscribed to anything (the feed's list) */
    size_t nconns;      /* established WebSocket connections */
    size_t high;        /* most connections since memory was last given back */
    connmap agents;     /* agent id -> the connection logged in as it */
    connmap graces;     /* agent id -> its grace timer (struct grace) */
    connmap work;       /* interaction id -> the gateway that enqueued it */
    struct conn *current; /* whose message the engine is handling */
    int listener;       /* gateway outcomes (on_event) */
    const proto_host *host; /* admin actions for every new session */
    /* the supervisor feed (orcad_ws_feed_start) */
    const orca_stats *stats;
    uv_timer_t tick;
    int feed_listener, feeding;
    int stopping;       /* no more grace timers: orcad is going */
    /* Group commit (orcad_ws_set_group): what is queued in batch b is sent
     * only once a journal sync after it succeeded (released >= b). */
    int group, checking;
    uint64_t batch, released;
    /* Acknowledgement after a replica (orcad_ws_set_gate): a turn's batch
     * is also held until the replica confirms its records (release). */
    int (*gate)(void *data, uint64_t batch);
    void *gate_data;
    struct conn *held;    /* connections with messages of batches not released */
    recent finished;      /* interactions finished lately (resent enqueues) */
    uv_check_t check;     /* flush_turn after the sockets were read */
    uv_prepare_t prep;    /* ... and before the loop waits again */
    struct conn *dirty;   /* connections with messages queued since the last flush */
    unsigned char *out;   /* on_writable's framing buffer */
    uint64_t turn_start;  /* uv_hrtime of the turn's first message, or 0 */
    orcad_turns turns;
    size_t outcap;
};

/* An agent whose connection went: NOT_READY when it fires, unless the
 * agent logged in again first (the timer is then cancelled). */
typedef struct grace {
    uv_timer_t t;
    orcad_ws *w;
    uint64_t agent;
} grace;

/* One queued message, LWS_PRE bytes of headroom in front as lws_write wants. */
typedef struct msg {
    struct msg *next;
    uint64_t batch;      /* group commit: sent once released >= batch */
    size_t len;
    unsigned char buf[];
} msg;

/* Per connection (lws allocates and zeroes it). */
/* A connection's place in one of w's lists (dirty, subs). */
typedef struct clink {
    struct conn *next, *prev;
    int in;
} clink;

typedef struct conn {
    struct lws *wsi;
    orcad_ws *w;
    proto_session ps;
    msg *head, *tail;
    size_t queued;       /* bytes in the queue */
    char *rx;            /* the message being received, PROTO_MAX_MESSAGE + 1 at most */
    size_t rxlen, rxcap;
    int dead;            /* over its output bound: closing, sends nothing more */
    int rx_paused;       /* not read while its output is over ORCAD_WS_RX_PAUSE */
    int closing;         /* replaced: closes once its queue is sent */
    clink dirty;         /* in w->dirty: queued since the last flush */
    clink subs;          /* in w->subs while ps.sub is not 0 */
    clink held;          /* in w->held while it has messages not yet released */
    uint64_t bound;      /* the agent this connection holds in w->agents */
    size_t nwork;        /* interactions it enqueued that are still live */
    double tokens;       /* rate limit: messages it may send now */
    double strikes;      /* refusals, draining at the rate: too many closes it */
    uint64_t last_ms;    /* when tokens and strikes were last brought up to date */
} conn;

/* The two lists are the same doubly linked list on different links:
 * LINK(c, field) is c's link in the list that field names. */
#define LINK(c, off) ((clink *)((char *)(c) + (off)))

static void clist_add(conn **head, conn *c, size_t off)
{
    clink *l = LINK(c, off);
    if (l->in)
        return;
    l->prev = NULL, l->next = *head;
    if (*head)
        LINK(*head, off)->prev = c;
    *head = c;
    l->in = 1;
}

static void clist_del(conn **head, conn *c, size_t off)
{
    clink *l = LINK(c, off);
    if (!l->in)
        return;
    if (l->prev)
        LINK(l->prev, off)->next = l->next;
    else
        *head = l->next;
    if (l->next)
        LINK(l->next, off)->prev = l->prev;
    l->in = 0;
}

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
    m->batch = c->w->batch;
    m->len = len;
    memcpy(m->buf + LWS_PRE, text, len);
    if (c->tail)
        c->tail->next = m;
    else
        c->head = m;
    c->tail = m;
    c->queued += len;
    if (!c->rx_paused && c->queued > ORCAD_WS_RX_PAUSE) {
        c->rx_paused = 1;
        lws_rx_flow_control(c->wsi, 0);
    }
    orcad_ws *w = c->w;
    if (!w->checking) {
        lws_callback_on_writable(c->wsi); /* (no loop handles yet) */
        return;
    }
    /* Sent by flush_turn at the end of this turn of the loop, with
     * whatever else this connection gets meanwhile, in one send(2). */
    clist_add(&w->dirty, c, offsetof(conn, dirty));
}

static void on_reply(void *data, const char *text, size_t len)
{
    send_text(data, text, len);
}

/* The connection logged in as agent (one at most), or NULL. */
static conn *agent_conn(const orcad_ws *w, uint64_t agent)
{
    conn *c = connmap_get(&w->agents, agent);
    return c && !c->dead ? c : NULL;
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

/* ---- the disconnect rule: grace, then NOT_READY ---- */

/* The agent has no connection: NOT_READY (reason 0) unless OFFLINE
 * already, so no new work is offered to nobody. */
static void set_not_ready(orcad_ws *w, uint64_t agent)
{
    orca_agent_info ai;
    if (agent_conn(w, agent) || orca_agent_info_get(w->e, agent, &ai) != ORCA_OK ||
        ai.presence == ORCA_PRESENCE_OFFLINE)
        return;
    orca_agent_set_presence(w->e, agent, ORCA_PRESENCE_NOT_READY, 0);
    if (w->u)
        orca_uv_kick(w->u);
}

static void grace_free(uv_handle_t *h)
{
    free(h->data);
}

static void grace_cancel(orcad_ws *w, uint64_t agent)
{
    grace *g = connmap_del(&w->graces, agent);
    if (g) {
        uv_timer_stop(&g->t);
        uv_close((uv_handle_t *)&g->t, grace_free);
    }
}

static void on_grace(uv_timer_t *t)
{
    grace *g = t->data;
    orcad_ws *w = g->w;
    uint64_t agent = g->agent;
    grace_cancel(w, agent); /* closes t */
    set_not_ready(w, agent);
}

/* The agent's connection went: NOT_READY after agent_grace_ms, unless it
 * logs in again first. At once if there is no grace (0, no loop yet,
 * orcad stopping, or no memory for the timer). */
static void grace_start(orcad_ws *w, uint64_t agent)
{
    uint32_t ms = w->cfg->clients.agent_grace_ms;
    grace *g = NULL;
    grace_cancel(w, agent);
    if (ms && w->loop && !w->stopping && (g = malloc(sizeof *g))) {
        g->w = w, g->agent = agent;
        uv_timer_init(w->loop, &g->t);
        g->t.data = g;
        if (connmap_put(&w->graces, agent, g) == 0) {
            uv_timer_start(&g->t, on_grace, ms, 0);
            return;
        }
        uv_close((uv_handle_t *)&g->t, grace_free);
    }
    set_not_ready(w, agent);
}

/* ---- one connection per agent ---- */

/* Another connection logged in as old's agent: old is told and closed,
 * after what it has queued (its requests are not acted on from now). */
static void replace(conn *old)
{
    static const char text[] = "{\"v\":1,\"type\":\"closed\",\"reason\":\"replaced\"}";
    old->bound = 0;
    old->ps.agent = 0;
    send_text(old, text, sizeof text - 1);
    old->closing = 1;
    lws_callback_on_writable(old->wsi);
    /* If it does not read, it goes anyway. */
    lws_set_timeout(old->wsi, PENDING_TIMEOUT_CLOSE_SEND, 5);
}

/* After a message: if c's agent binding changed (login, a second hello),
 * bring w->agents up to date. The agent it leaves gets the grace rule; the
 * agent it takes is taken from any other connection and its grace ends. */
static void rebind(conn *c)
{
    orcad_ws *w = c->w;
    uint64_t agent = c->ps.agent;
    if (c->bound == agent)
        return;
    if (c->bound && connmap_get(&w->agents, c->bound) == c) {
        connmap_del(&w->agents, c->bound);
        grace_start(w, c->bound);
    }
    c->bound = 0;
    if (!agent)
        return;
    conn *old = connmap_get(&w->agents, agent);
    if (old && old != c)
        replace(old);
    if (connmap_put(&w->agents, agent, c) != 0) {
        /* Offers could not find it: better closed than silently deaf. */
        connmap_del(&w->agents, agent);
        fprintf(stderr, "orcad: out of memory binding agent %llu: its connection is closed\n",
                (unsigned long long)agent);
        kill_conn(c);
        grace_start(w, agent);
        return;
    }
    c->bound = agent;
    grace_cancel(w, agent);
}

/* ---- the rate limit ---- */

/* A token bucket of client_burst messages filled at client_rate a second.
 * Over it: ELIMIT, nothing done. Refusals drain at the same rate; a
 * client with more than 10 x client_burst of them undrained keeps
 * flooding and is cut off. Returns 1 if the message may go on. */
static int within_rate(conn *c, const char *text, size_t len)
{
    const orcad_clients *l = &c->w->cfg->clients;
    uint64_t now = c->w->loop ? uv_now(c->w->loop) : 0;
    double add = (double)(now - c->last_ms) * l->rate / 1000.0;
    c->last_ms = now;
    c->tokens = c->tokens + add > l->burst ? l->burst : c->tokens + add;
    c->strikes = c->strikes > add ? c->strikes - add : 0;
    if (c->tokens >= 1) {
        c->tokens -= 1;
        return 1;
    }
    proto_refuse(text, len, ORCA_ELIMIT, "rate limit", on_reply, c);
    if ((c->strikes += 1) > 10.0 * l->burst) {
        fprintf(stderr, "orcad: a WebSocket client over its rate (%u/s, burst %u) kept sending: "
                "disconnected\n", l->rate, l->burst);
        kill_conn(c);
    }
    return 0;
}

/* Pushes a request caused (an offer to the agent that got ready, the
 * gateway's own "offered" event) were queued while it ran, before its
 * reply: put the reply (the last message queued) first, after `before`,
 * so a client reads the answer to its request, then what followed. */
static void reply_first(conn *c, msg *before)
{
    if (c->dead)
        return; /* cut off while it ran: the queue (before too) is gone */
    msg *first = before ? before->next : c->head;
    if (!first || first == c->tail)
        return; /* nothing queued but the reply */
    msg *p = first, *r = c->tail;
    while (p->next != r)
        p = p->next;
    p->next = NULL;
    c->tail = p;
    r->next = first;
    if (before)
        before->next = r;
    else
        c->head = r;
}

/* Keep w->subs, the connections with a subscription, in step with c's
 * (after a message, and at close), so an event costs nothing when no
 * supervisor listens and one pass over the subscribers when some do. */
static void subs_update(conn *c, int closing)
{
    orcad_ws *w = c->w;
    int want = !closing && c->ps.sub != 0;
    if (want)
        clist_add(&w->subs, c, offsetof(conn, subs));
    else
        clist_del(&w->subs, c, offsetof(conn, subs));
}

/* A whole message has arrived: handle it (if within the rate), then
 * re-arm the engine's timers (the call may have queued or offered work). */
static void on_message(conn *c, const char *text, size_t len)
{
    orcad_ws *w = c->w;
    if (within_rate(c, text, len)) {
        /* The engine's clock moves only when the adapter advances it: bring
         * it to the loop's time first, so that this request happens now
         * (an arrival's time, an answer's wait), not at the last timer. */
        if (w->u)
            orca_uv_kick(w->u);
        msg *before = c->tail; /* (what that fired comes before the reply) */
        if (!w->turn_start)
            w->turn_start = uv_hrtime();
        w->current = c;
        int rc = proto_handle(&c->ps, w->e, text, len, on_reply, c);
        w->current = NULL;
        reply_first(c, before);
        /* A refusal changed nothing: with a replica gate it need not wait
         * for Redis to confirm records (only for what is before it on
         * this connection), so an EUNAVAIL reaches the client while Redis
         * is away. (reply_first put the reply right after before.) */
        msg *reply = before ? before->next : c->head;
        if (rc < 0 && w->gate && reply && !c->dead)
            reply->batch = 0;
        rebind(c);
        subs_update(c, 0);
    }
    if (w->u)
        orca_uv_kick(w->u);
    c->rxlen = 0;
}

/* A piece of a message. A message in one piece (the usual case) is handled
 * where lws has it; else it is gathered in c->rx, which grows as needed.
 * Bytes past PROTO_MAX_MESSAGE + 1 are not kept: proto_handle answers
 * ETOOBIG for the length alone. */
static int on_receive(struct lws *wsi, conn *c, const char *in, size_t len)
{
    if (c->dead || c->closing)
        return 0; /* cut off: its requests must not act with no one told */
    int last = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
    if (last && c->rxlen == 0) {
        on_message(c, in, len);
        return 0;
    }
    size_t room = PROTO_MAX_MESSAGE + 1 - c->rxlen;
    size_t n = len < room ? len : room;
    if (c->rxlen + n > c->rxcap) {
        size_t cap = c->rxcap ? c->rxcap : 1024;
        while (cap < c->rxlen + n)
            cap *= 2;
        cap = cap < PROTO_MAX_MESSAGE + 1 ? cap : PROTO_MAX_MESSAGE + 1;
        char *p = realloc(c->rx, cap);
        if (!p)
            return -1;
        c->rx = p, c->rxcap = cap;
    }
    memcpy(c->rx + c->rxlen, in, n);
    c->rxlen += n;
    if (last)
        on_message(c, c->rx, c->rxlen);
    return 0;
}

/* Released messages go out together: each framed here as a final text
 * frame (a server's frames are not masked, RFC 6455 5.1) into one buffer,
 * and the buffer handed to lws in one raw write, so a turn of the loop
 * costs a connection one send(2), not one per message: on loopback the
 * system calls were most of orcad's time (make loadtest, perf). At most
 * WRITE_MAX bytes (or one larger message) per writable callback, so one
 * busy connection does not keep the loop from the others; lws buffers
 * what the kernel does not take and calls back once it is sent. */
#define WRITE_MAX (64 * 1024)


static int sendable(const conn *c, const msg *m)
{
    return m && !((c->w->group || c->w->gate) && m->batch && m->batch > c->w->released);
}

static int on_writable(struct lws *wsi, conn *c)
{
    orcad_ws *w = c->w;
    if (!c->head && c->closing) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *)"replaced", 8);
        return -1; /* replaced, and told so: now it goes */
    }
    if (c->dead || !sendable(c, c->head))
        return 0; /* (held until its batch is on disk: flush_turn asks again) */
    size_t total = 0;
    for (const msg *m = c->head; sendable(c, m); m = m->next) {
        size_t f = WSF_HEADER_MAX + m->len;
        if (total && total + f > WRITE_MAX)
            break;
        total += f;
    }
    if (LWS_PRE + total > w->outcap) {
        unsigned char *p = realloc(w->out, LWS_PRE + total);
        if (!p)
            return -1;
        w->out = p, w->outcap = LWS_PRE + total;
    }
    unsigned char *p = w->out + LWS_PRE;
    size_t used = 0;
    while (sendable(c, c->head) && used + WSF_HEADER_MAX + c->head->len <= total) {
        msg *m = c->head;
        used += wsf_header(p + used, WSF_TEXT, m->len, NULL);
        memcpy(p + used, m->buf + LWS_PRE, m->len);
        used += m->len;
        c->head = m->next;
        if (!c->head)
            c->tail = NULL;
        c->queued -= m->len;
        free(m);
    }
    if (lws_write(wsi, p, used, LWS_WRITE_RAW) < (int)used)
        return -1;
    if (c->rx_paused && c->queued < ORCAD_WS_RX_RESUME) {
        c->rx_paused = 0;
        lws_rx_flow_control(wsi, 1);
    }
    if (c->head || c->closing)
        lws_callback_on_writable(wsi);
    return 0;
}

static void dirty_del(conn *c)
{
    clist_del(&c->w->dirty, c, offsetof(conn, dirty));
}

/* Send what c has queued now, outside lws's writable callback: allowed
 * while the socket is not choked (else lws calls back when it drains).
 * This saves the round through epoll that asking for a callback costs
 * per message (an epoll_ctl to watch for POLLOUT and one to stop). */
static void flush(conn *c)
{
    if (c->dead)
        return;
    /* All of it, as long as the socket takes it: a busy turn can queue
     * more than WRITE_MAX for one connection, and what is left behind
     * here waits a turn for lws's callback while the next turn adds more
     * (under overload a gateway's queue then grew to the bound). */
    for (int k = 0; k < 64 && c->head && !c->dead; k++) {
        if (lws_send_pipe_choked(c->wsi))
            break;
        msg *head = c->head;
        if (on_writable(c->wsi, c) < 0) {
            kill_conn(c);
            return;
        }
        if (c->head == head)
            break; /* held (group commit): nothing could go */
    }
    if (!c->dead && (c->head || c->closing))
        lws_callback_on_writable(c->wsi);
}

/* Thousands of connections gone leave their memory free inside malloc's
 * heap, pinned there by what was allocated after them: once half of the
 * most since the last time (and at least 128) have gone, glibc is asked
 * to give the free pages back, so orcad's size follows its connections
 * down as well as up. */
static void give_back(orcad_ws *w)
{
#ifdef __GLIBC__
    if (w->high - w->nconns >= 128 && w->nconns <= w->high / 2) {
        malloc_trim(0);
        w->high = w->nconns;
    }
#else
    (void)w;
#endif
}

/* The disconnect rule (PROTOCOL.md, "Agent disconnect"): an agent whose
 * connection closes is set NOT_READY after the grace period (unless it
 * logs in again first, or is OFFLINE already), so no new work is offered
 * to nobody. A gateway's live interactions are forgotten: their outcomes
 * have nobody to go to. */
static void on_closed(conn *c)
{
    orcad_ws *w = c->w;
    w->nconns--;
    subs_update(c, 1);
    dirty_del(c);
    clist_del(&w->held, c, offsetof(conn, held));
    give_back(w);
    if (w->current == c)
        w->current = NULL;
    if (c->nwork)
        connmap_del_val(&w->work, c);
    drop_queue(c);
    free(c->rx);
    proto_session_free(&c->ps);
    if (c->bound && connmap_get(&w->agents, c->bound) == c) {
        connmap_del(&w->agents, c->bound);
        grace_start(w, c->bound);
    }
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        /* At max_connections the upgrade is refused with 503. */
        orcad_ws *w = ws_of(wsi);
        if (!w) { /* a standby: clients go to the leader */
            lws_return_http_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "standby");
            return -1;
        }
        if (w->nconns >= w->cfg->clients.max_connections) {
            lws_return_http_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "too many connections");
            return -1;
        }
        return 0;
    }
    case LWS_CALLBACK_ESTABLISHED: {
        orcad_ws *w = ws_of(wsi);
        if (!w)
            return -1;
        memset(c, 0, sizeof *c);
        c->wsi = wsi, c->w = w;
        proto_session_init(&c->ps, w->cfg);
        proto_session_set_host(&c->ps, w->host);
        if (++w->nconns > w->high)
            w->high = w->nconns;
        c->tokens = w->cfg->clients.burst;
        c->last_ms = w->loop ? uv_now(w->loop) : 0;
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

/* ---- gateway outcomes ---- */

/* The events a gateway hears about its interactions (PROTOCOL.md, "event"):
 * what happens to the work, not the routing's inner steps. */
static int told(orca_event_type t)
{
    switch (t) {
    case ORCA_EV_OFFERED: case ORCA_EV_ACCEPTED: case ORCA_EV_REJECTED:
    case ORCA_EV_OFFER_TIMEOUT: case ORCA_EV_ENDED: case ORCA_EV_COMPLETED:
    case ORCA_EV_ABANDONED: case ORCA_EV_CANCELLED: case ORCA_EV_TIMED_OUT:
    case ORCA_EV_REJECTED_FULL: case ORCA_EV_REJECTED_CLOSED: case ORCA_EV_OVERFLOWED:
    case ORCA_EV_TRANSFERRED: case ORCA_EV_SCHEDULED: case ORCA_EV_DUE:
    case ORCA_EV_ESCALATED: case ORCA_EV_CONTAINED: case ORCA_EV_CHANNEL_CHANGED:
    case ORCA_EV_UNREACHED:
        return 1;
    default:
        return 0;
    }
}

/* The events after which an interaction is gone. */
static int finished(orca_event_type t)
{
    return t == ORCA_EV_COMPLETED || t == ORCA_EV_ABANDONED || t == ORCA_EV_CANCELLED ||
           t == ORCA_EV_TIMED_OUT || t == ORCA_EV_REJECTED_FULL ||
           t == ORCA_EV_REJECTED_CLOSED || t == ORCA_EV_CONTAINED;
}

static void send_event(conn *g, const orca_event *ev)
{
    size_t len;
    char *text = proto_event_json(ev, &len); /* (the feed's message, the same) */
    if (!text)
        return; /* out of memory: this outcome is not told */
    send_text(g, text, len);
    free(text);
}

/* The gateway whose message enqueued an interaction hears its outcomes
 * until it finishes (or the gateway goes); no other connection does. */
static void on_event(void *data, const orca_event *ev)
{
    orcad_ws *w = data;
    conn *g, *cur = w->current;
    if (!ev->interaction)
        return;
    if (finished(ev->type) && w->loop)
        recent_add(&w->finished, ev->interaction, uv_now(w->loop)); /* (best effort) */
    g = connmap_get(&w->work, ev->interaction);
    if (!g && cur && cur->ps.role == ORCAD_ROLE_GATEWAY) {
        if (ev->type == ORCA_EV_ENQUEUED) {
            if (connmap_put(&w->work, ev->interaction, cur) == 0) {
                cur->nwork++;
                g = cur;
            }
        } else if (ev->type == ORCA_EV_REJECTED_FULL || ev->type == ORCA_EV_REJECTED_CLOSED) {
            g = cur; /* refused at once: nothing to remember */
        }
    }
    if (!g)
        return;
    if (told(ev->type) && (g->ps.outcomes >> ev->type & 1))
        send_event(g, ev);
    if (ev->type == ORCA_EV_TRANSFERRED && ev->other && !connmap_get(&w->work, ev->other) &&
        connmap_put(&w->work, ev->other, g) == 0)
        g->nwork++; /* the new leg is the same gateway's call */
    if (finished(ev->type) && connmap_del(&w->work, ev->interaction) == g)
        g->nwork--;
}

/* ------------------------------------------------------------------------ */
/* The supervisor feed: events and figures to subscribed connections        */
/* ------------------------------------------------------------------------ */

/* Called inside engine calls: it only queues text (no engine call). The
 * text is built once, and only when someone is subscribed. */
static void on_feed_event(void *data, const orca_event *ev)
{
    orcad_ws *w = data;
    char *text = NULL;
    size_t len = 0;
    for (conn *c = w->subs; c; c = c->subs.next) {
        if (!(c->ps.sub & PROTO_SUB_EVENTS) || c->dead)
            continue;
        if (!text && !(text = proto_event_json(ev, &len))) {
            kill_conn(c); /* an event it cannot have: it must not miss it silently */
            continue;
        }
        send_text(c, text, len);
    }
    free(text);
}

static void on_tick(uv_timer_t *t)
{
    orcad_ws *w = t->data;
    char *text = NULL;
    /* Figures read now (longest wait, EWT), not at the engine's last
     * deadline; this also keeps /metrics and /snapshot within a second. */
    orca_uv_kick(w->u);
    for (conn *c = w->subs; c; c = c->subs.next) {
        if (!(c->ps.sub & PROTO_SUB_FIGURES) || c->dead)
            continue;
        if (!text && !(text = proto_figures_json(w->e, w->stats)))
            return; /* out of memory: the next tick tries again */
        send_text(c, text, strlen(text));
    }
    free(text);
}

int orcad_ws_feed_start(orcad_ws *w, const orca_stats *s)
{
    int rc;
    if (!w->u) {
        fprintf(stderr, "orcad: the supervisor feed needs the libuv adapter\n");
        return -1;
    }
    if ((rc = orca_listener_add(w->e, on_feed_event, w, &w->feed_listener)) != ORCA_OK) {
        fprintf(stderr, "orcad: event listener: %s\n", orca_strerror(rc));
        return -1;
    }
    w->stats = s;
    uv_timer_init(orca_uv_loop(w->u), &w->tick);
    w->tick.data = w;
    uv_timer_start(&w->tick, on_tick, 1000, 1000);
    w->feeding = 1;
    return 0;
}

void orcad_ws_feed_stop(orcad_ws *w)
{
    if (!w || !w->feeding)
        return;
    w->feeding = 0;
    orca_listener_remove(w->e, w->feed_listener);
    uv_close((uv_handle_t *)&w->tick, NULL);
}

int orcad_ws_channels(orcad_ws *w)
{
    static const orca_channel_callbacks cbs = { on_offer, on_withdraw };
    for (orca_channel_id ch = 0; ch < ORCA_MAX_CHANNELS; ch++) {
        if (!orca_channel_name(w->e, ch))
            continue;
        int rc = orca_channel_set_callbacks(w->e, ch, &cbs, w);
        if (rc != ORCA_OK) {
            fprintf(stderr, "orcad: channel callbacks: %s\n", orca_strerror(rc));
            return -1;
        }
    }
    return 0;
}

int orcad_ws_new(orca_engine *e, const orcad_config *cfg, orcad_ws **out)
{
    orcad_ws *w = calloc(1, sizeof *w);
    *out = NULL;
    if (!w) {
        fprintf(stderr, "orcad: out of memory\n");
        return -1;
    }
    w->e = e, w->cfg = cfg;
    w->finished.window_ms = 60000;
    w->batch = 1; /* released 0: nothing yet */
    int lrc = orca_listener_add(e, on_event, w, &w->listener);
    if (lrc != ORCA_OK) {
        fprintf(stderr, "orcad: event listener: %s\n", orca_strerror(lrc));
        free(w);
        return -1;
    }
    if (orcad_ws_channels(w) != 0) {
        orca_listener_remove(e, w->listener);
        free(w);
        return -1;
    }
    *out = w;
    return 0;
}

void orcad_ws_set_host(orcad_ws *w, const proto_host *h)
{
    w->host = h;
}

/* Once per turn of the loop (after the sockets were read, and again
 * before it waits), every connection with something queued gets it in
 * one send. With group commit, first one fdatasync makes every change
 * behind those messages durable: a reply says "done" only for what a
 * power cut cannot undo. If the sync fails, nothing of the batch may be
 * acknowledged: its connections are cut off (their clients resend; the
 * journal has stopped, orcad logs why). */
static void turn_done(orcad_ws *w)
{
    if (!w->turn_start)
        return;
    uint64_t ns = uv_hrtime() - w->turn_start, us = ns / 1000;
    unsigned k = 0;
    while (k + 1 < ORCAD_TURN_BUCKETS && (1ull << k) <= us)
        k++;
    w->turns.count[k]++;
    w->turns.n++;
    w->turns.sum_ns += ns;
    w->turn_start = 0;
}

/* c has messages of a batch not yet released: flushed again then. */
static void hold(conn *c)
{
    if (!c->dead && c->head && !sendable(c, c->head))
        clist_add(&c->w->held, c, offsetof(conn, held));
}

static void flush_turn(orcad_ws *w)
{
    int ok = 1;
    if (!w->dirty) { /* nothing queued since the last time */
        turn_done(w);
        return;
    }
    uint64_t b = w->batch++; /* this turn's messages carry b */
    if (w->group) {
        int rc = orca_journal_sync(w->e);
        ok = rc == ORCA_OK || rc == ORCA_ESTATE; /* (ESTATE: no journal at all) */
        if (!ok)
            fprintf(stderr, "orcad: journal sync failed (%s): unacknowledged replies dropped, "
                    "their connections closed\n", orca_strerror(rc));
    }
    if (!w->gate)
        w->released = b;
    else if (ok && !w->gate(w->gate_data, b))
        orcad_ws_release(w, b); /* nothing to confirm: every earlier turn is */
    while (w->dirty) {
        conn *c = w->dirty;
        dirty_del(c);
        if (!ok) {
            if (!c->dead)
                kill_conn(c);
            continue;
        }
        flush(c);
        hold(c);
    }
    turn_done(w);
}

void orcad_ws_set_gate(orcad_ws *w, int (*gate)(void *data, uint64_t batch), void *data)
{
    w->gate = gate, w->gate_data = data;
}

/* The replica has the records of every turn up to batch: their messages go. */
void orcad_ws_release(orcad_ws *w, uint64_t batch)
{
    if (batch <= w->released)
        return;
    w->released = batch;
    conn *list = w->held;
    w->held = NULL;
    while (list) {
        conn *c = list;
        clist_del(&list, c, offsetof(conn, held));
        flush(c);
        hold(c);
    }
}

int orcad_ws_claim(orcad_ws *w, uint64_t interaction)
{
    conn *c = w->current, *g = connmap_get(&w->work, interaction);
    if (!c || g == c)
        return 0;
    if (connmap_put(&w->work, interaction, c) != 0)
        return -1;
    if (g)
        g->nwork--; /* (an old connection of the same gateway, still open) */
    c->nwork++;
    return 0;
}

int orcad_ws_finished(orcad_ws *w, uint64_t interaction)
{
    return recent_has(&w->finished, interaction, uv_now(w->loop));
}

void orcad_ws_turns(const orcad_ws *w, orcad_turns *out)
{
    if (w)
        *out = w->turns;
    else
        memset(out, 0, sizeof *out);
}

void orcad_turns_metrics(const orcad_turns *t, orca_write_fn fn, void *data)
{
    char line[160];
    uint64_t acc = 0;
    static const char head[] =
        "# HELP orcad_turn_seconds Time orcad took over its requests per turn of its loop "
        "(first message handled to the end of the turn's sends).\n"
        "# TYPE orcad_turn_seconds histogram\n";
    fn(data, head, sizeof head - 1);
    for (unsigned k = 0; k + 1 < ORCAD_TURN_BUCKETS; k++) {
        acc += t->count[k];
        int n = snprintf(line, sizeof line, "orcad_turn_seconds_bucket{le=\"%g\"} %llu\n",
                         (double)(1ull << k) / 1e6, (unsigned long long)acc);
        fn(data, line, (size_t)n);
    }
    int n = snprintf(line, sizeof line,
                     "orcad_turn_seconds_bucket{le=\"+Inf\"} %llu\norcad_turn_seconds_sum %.6f\n"
                     "orcad_turn_seconds_count %llu\n",
                     (unsigned long long)t->n, (double)t->sum_ns / 1e9, (unsigned long long)t->n);
    fn(data, line, (size_t)n);
}

static void on_check(uv_check_t *h)
{
    flush_turn(h->data);
}

static void on_prepare(uv_prepare_t *h)
{
    flush_turn(h->data);
}

void orcad_ws_set_group(orcad_ws *w, int on)
{
    w->group = on;
}

void orcad_ws_set_uv(orcad_ws *w, orca_uv *u)
{
    w->u = u;
    w->loop = u ? orca_uv_loop(u) : NULL;
    if (w->loop && !w->checking) {
        uv_check_init(w->loop, &w->check);
        uv_prepare_init(w->loop, &w->prep);
        w->check.data = w->prep.data = w;
        uv_check_start(&w->check, on_check);
        uv_prepare_start(&w->prep, on_prepare);
        uv_unref((uv_handle_t *)&w->check); /* they alone keep no loop alive */
        uv_unref((uv_handle_t *)&w->prep);
        w->checking = 1;
    }
}

void orcad_ws_stop(orcad_ws *w)
{
    if (!w)
        return;
    if (w->checking) {
        flush_turn(w); /* what is queued now goes out with the rest */
        w->checking = 0;
        uv_close((uv_handle_t *)&w->check, NULL);
        uv_close((uv_handle_t *)&w->prep, NULL);
    }
    w->stopping = 1;
    while (w->graces.n) {
        for (size_t k = 0; k < w->graces.cap; k++)
            if (w->graces.slots[k].key) {
                grace_cancel(w, w->graces.slots[k].key);
                break;
            }
    }
}

void orcad_ws_free(orcad_ws *w)
{
    if (!w)
        return;
    connmap_free(&w->agents);
    connmap_free(&w->graces);
    connmap_free(&w->work);
    recent_free(&w->finished);
    free(w->out);
    free(w);
}
