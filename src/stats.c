/*
 * stats.c: the figures a wallboard shows, kept by a listener of the
 * engine's events (orca_stats).
 *
 * Every figure is a sum of counters. Each queue, channel, agent and the
 * total keep their counters twice over: since the start, and in a ring of
 * `nslots` time slots covering the sliding window. An event adds to the
 * current slot (clearing it first if it belongs to an older turn of the
 * ring), so it costs O(1); a window figure sums the slots still inside the
 * window. Agent state time (idle, working...) is added when the state
 * changes, split over the slots it spans.
 *
 * Work waiting now is kept in small records on three lists ordered by
 * arrival (its queue's, its channel's, all), so the longest wait is a list
 * head and a position is a short walk.
 */
#include "orca_int.h"

#include <math.h>

#define HB 96                 /* wait histogram buckets */
#define H_FIRST_MS 250.0      /* bucket 0: waits up to 250 ms */
#define MAX_SLOTS 240

/* Counters of one entity over one span. */
typedef struct sfig {
    uint64_t entered, answered, answered_sl, abandoned, abandoned_short, timed_out;
    uint64_t wait_answered, wait_abandoned; /* sums, ms */
    uint64_t handled, handle_sum, wrap_sum;
    uint64_t offers, accepted, rejected, timeouts, transfers;
    uint64_t csat_n, csat_sum, fcr_n, fcr_yes, recontacts;
    uint64_t t_off, t_nr, t_idle, t_work; /* agent state time, ms */
} sfig;

/* Answered waits, for percentiles (queues, channels, total only). */
typedef struct shist {
    uint32_t b[HB];
} shist;

typedef struct wnode wnode;
typedef struct wlist {
    wnode *head, *tail;
    uint32_t n;
} wlist;

enum { L_QUEUE, L_CHANNEL, L_TOTAL, NLISTS };

struct wnode {
    uint64_t id, arrival;
    orca_queue_id q;
    orca_channel_id ch;
    uint8_t on;               /* bit per list it is linked on */
    bool parked;              /* entered, now SCHEDULED (a virtual hold with a
                                 time): off the lists, not entered again */
    wnode *prev[NLISTS], *next[NLISTS];
};

/* A queue, a channel or the total. */
typedef struct sent {
    sfig tot;
    shist htot;
    sfig *slot;               /* nslots */
    shist *hslot;             /* nslots */
    uint64_t *epoch;          /* nslots: which slot-time each slot holds */
    wlist waiting;
} sent;

typedef struct sagent {
    uint64_t id;
    sfig tot;
    sfig *slot;
    uint64_t *epoch;
    orca_presence presence;
    uint32_t work;
    uint64_t since;           /* state time counted up to here */
} sagent;

struct orca_stats {
    orca_engine *e;
    int handle;
    uint64_t start, now;
    uint32_t window_ms, nslots, slot_ms, short_ms;
    sent total;
    sent channels[ORCA_MAX_CHANNELS];
    sent **queues;            /* by id - 1, NULL until seen */
    uint32_t nqueues;
    u64map agents;            /* id -> sagent */
    u64map waiting;           /* interaction id -> wnode */
    uint64_t dropped;
};

/* ---- slots ------------------------------------------------------------------ */

/* The slot for time t, cleared first if it still holds an older turn of
 * the ring (hslot may be NULL: agents keep no histogram). */
static uint32_t slot_k(const orca_stats *s, sfig *slots, shist *hslot, uint64_t *epochs,
                       uint64_t t)
{
    uint64_t ep = t / s->slot_ms;
    uint32_t k = (uint32_t)(ep % s->nslots);
    if (epochs[k] != ep) {
        memset(&slots[k], 0, sizeof(sfig));
        if (hslot)
            memset(&hslot[k], 0, sizeof(shist));
        epochs[k] = ep;
    }
    return k;
}

/* The slots inside the window ending at now: epochs (now_ep - nslots, now_ep]. */
static bool slot_live(const orca_stats *s, uint64_t ep)
{
    uint64_t cur = s->now / s->slot_ms;
    return ep != UINT64_MAX && ep <= cur && ep + s->nslots > cur;
}

static void fig_add(sfig *a, const sfig *b)
{
    const uint64_t *src = &b->entered;
    uint64_t *dst = &a->entered;
    for (size_t k = 0; k < sizeof(sfig) / sizeof(uint64_t); k++)
        dst[k] += src[k];
}

/* The counters (and, when asked, the histogram) of one entity over a
 * span, into *out and *hout. */
static void span_sum(const orca_stats *s, const sfig *tot, const sfig *slots,
                     const shist *htot, const shist *hslots, const uint64_t *epochs,
                     orca_span span, sfig *out, shist *hout)
{
    if (span == ORCA_SPAN_TOTAL) {
        *out = *tot;
        if (hout)
            *hout = *htot;
        return;
    }
    memset(out, 0, sizeof(*out));
    if (hout)
        memset(hout, 0, sizeof(*hout));
    for (uint32_t k = 0; k < s->nslots; k++) {
        if (!slot_live(s, epochs[k]))
            continue;
        fig_add(out, &slots[k]);
        for (int b = 0; hout && b < HB; b++)
            hout->b[b] += hslots[k].b[b];
    }
}

static uint64_t span_ms(const orca_stats *s, orca_span span)
{
    uint64_t from = s->start;
    if (span == ORCA_SPAN_WINDOW) {
        uint64_t cur = s->now / s->slot_ms;
        uint64_t first = cur + 1 >= s->nslots ? (cur + 1 - s->nslots) * s->slot_ms : 0;
        if (first > from)
            from = first;
    }
    return s->now > from ? s->now - from : 0;
}

/* ---- entities -------------------------------------------------------------- */

static int sent_init(orca_stats *s, sent *x)
{
    memset(x, 0, sizeof(*x));
    x->slot = mem_calloc(s->e, s->nslots * sizeof(sfig));
    x->hslot = mem_calloc(s->e, s->nslots * sizeof(shist));
    x->epoch = mem_alloc(s->e, s->nslots * sizeof(uint64_t));
    if (!x->slot || !x->hslot || !x->epoch)
        return ORCA_ENOMEM;
    for (uint32_t k = 0; k < s->nslots; k++)
        x->epoch[k] = UINT64_MAX;
    return ORCA_OK;
}

static void sent_free(orca_stats *s, sent *x)
{
    if (x->slot)
        mem_free(s->e, x->slot, s->nslots * sizeof(sfig));
    if (x->hslot)
        mem_free(s->e, x->hslot, s->nslots * sizeof(shist));
    if (x->epoch)
        mem_free(s->e, x->epoch, s->nslots * sizeof(uint64_t));
    x->slot = NULL;
    x->hslot = NULL;
    x->epoch = NULL;
}

static sent *queue_ent(orca_stats *s, orca_queue_id q)
{
    if (!q)
        return NULL;
    if (q > s->nqueues) {
        uint32_t cap = s->nqueues;
        if (mem_reserve(s->e, (void **)&s->queues, &cap, q, sizeof(sent *)))
            return NULL;
        memset(s->queues + s->nqueues, 0, (cap - s->nqueues) * sizeof(sent *));
        s->nqueues = cap;
    }
    sent *x = s->queues[q - 1];
    if (!x) {
        if (!(x = mem_alloc(s->e, sizeof(*x))))
            return NULL;
        if (sent_init(s, x)) {
            sent_free(s, x);
            mem_free(s->e, x, sizeof(*x));
            return NULL;
        }
        s->queues[q - 1] = x;
    }
    return x;
}

static sent *channel_ent(orca_stats *s, orca_channel_id ch)
{
    return ch < ORCA_MAX_CHANNELS ? &s->channels[ch] : NULL;
}

static sagent *agent_ent(orca_stats *s, uint64_t id)
{
    if (!id)
        return NULL;
    sagent *a = u64map_get(&s->agents, id);
    if (a)
        return a;
    if (u64map_reserve(s->e, &s->agents, s->agents.n + 1) ||
        !(a = mem_calloc(s->e, sizeof(*a))))
        return NULL;
    a->slot = mem_calloc(s->e, s->nslots * sizeof(sfig));
    a->epoch = mem_alloc(s->e, s->nslots * sizeof(uint64_t));
    if (!a->slot || !a->epoch) {
        if (a->slot)
            mem_free(s->e, a->slot, s->nslots * sizeof(sfig));
        if (a->epoch)
            mem_free(s->e, a->epoch, s->nslots * sizeof(uint64_t));
        mem_free(s->e, a, sizeof(*a));
        return NULL;
    }
    for (uint32_t k = 0; k < s->nslots; k++)
        a->epoch[k] = UINT64_MAX;
    a->id = id;
    a->presence = ORCA_PRESENCE_OFFLINE;
    a->since = s->now;
    u64map_put(&s->agents, id, a);
    return a;
}

/* ---- counting -------------------------------------------------------------- */

/* The counters one event adds to: since-start and current slot of its
 * queue, its channel, the total and (for agent figures) its agent; a NULL
 * entity (unknown, or out of memory) is skipped. h: their histograms. */
typedef struct targets {
    sfig *f[8];
    shist *h[8];
    int n, nh;
} targets;

static void tg_ent(orca_stats *s, targets *t, sent *x)
{
    if (!x)
        return;
    uint32_t k = slot_k(s, x->slot, x->hslot, x->epoch, s->now);
    t->f[t->n++] = &x->tot;
    t->f[t->n++] = &x->slot[k];
    t->h[t->nh++] = &x->htot;
    t->h[t->nh++] = &x->hslot[k];
}

static void tg_agent(orca_stats *s, targets *t, sagent *a)
{
    if (!a)
        return;
    t->f[t->n++] = &a->tot;
    t->f[t->n++] = &a->slot[slot_k(s, a->slot, NULL, a->epoch, s->now)];
}

#define ADD(t, field, v)                                                     \
    do {                                                                     \
        for (int k_ = 0; k_ < (t)->n; k_++)                                  \
            (t)->f[k_]->field += (v);                                        \
    } while (0)

static uint32_t hist_bucket(uint64_t ms)
{
    if (ms <= H_FIRST_MS)
        return 0;
    double b = ceil(4.0 * log2((double)ms / H_FIRST_MS));
    return b >= HB - 1 ? HB - 1 : (uint32_t)b;
}

static uint64_t hist_edge(uint32_t b)
{
    return (uint64_t)llround(H_FIRST_MS * exp2(b / 4.0));
}

/* Targets queue q, channel ch, total (and agent when given). */
static void tg_work(orca_stats *s, targets *t, orca_queue_id q, orca_channel_id ch, uint64_t who)
{
    t->n = t->nh = 0;
    tg_ent(s, t, queue_ent(s, q));
    tg_ent(s, t, channel_ent(s, ch));
    tg_ent(s, t, &s->total);
    if (who)
        tg_agent(s, t, agent_ent(s, who));
}

/* ---- agent state time ------------------------------------------------------ */

static void accrue_into(sfig *f, int cat, uint64_t ms)
{
    switch (cat) {
    case 0: f->t_off += ms; break;
    case 1: f->t_nr += ms; break;
    case 2: f->t_idle += ms; break;
    default: f->t_work += ms; break;
    }
}

static int agent_cat(const sagent *a)
{
    if (a->work)
        return 3;
    return a->presence == ORCA_PRESENCE_READY ? 2 : a->presence == ORCA_PRESENCE_NOT_READY ? 1 : 0;
}

/* Add a's time in its current state up to now, split over the slots it
 * spans (only the last nslots matter for the window), to a and the total. */
static void accrue(orca_stats *s, sagent *a)
{
    uint64_t t = a->since, now = s->now;
    if (now <= t) {
        a->since = now;
        return;
    }
    int cat = agent_cat(a);
    accrue_into(&a->tot, cat, now - t);
    accrue_into(&s->total.tot, cat, now - t);
    uint64_t e0 = t / s->slot_ms, e1 = now / s->slot_ms;
    if (e1 - e0 >= s->nslots) {
        e0 = e1 - s->nslots + 1;
        t = e0 * s->slot_ms;
    }
    for (uint64_t ep = e0; ep <= e1; ep++) {
        uint64_t lo = ep * s->slot_ms > t ? ep * s->slot_ms : t;
        uint64_t hi = (ep + 1) * s->slot_ms < now ? (ep + 1) * s->slot_ms : now;
        if (hi <= lo)
            continue;
        sent *tot = &s->total;
        accrue_into(&a->slot[slot_k(s, a->slot, NULL, a->epoch, lo)], cat, hi - lo);
        accrue_into(&tot->slot[slot_k(s, tot->slot, tot->hslot, tot->epoch, lo)], cat, hi - lo);
    }
    a->since = now;
}

static void agent_work(orca_stats *s, uint64_t id, int delta)
{
    sagent *a = agent_ent(s, id);
    if (!a) {
        s->dropped++;
        return;
    }
    accrue(s, a);
    if (delta < 0 && a->work)
        a->work--;
    else if (delta > 0)
        a->work++;
}

/* ---- waiting work ------------------------------------------------------------ */

static wlist *wl_of(orca_stats *s, const wnode *w, int l)
{
    sent *x = l == L_QUEUE ? queue_ent(s, w->q) : l == L_CHANNEL ? channel_ent(s, w->ch)
                                                                  : &s->total;
    return x ? &x->waiting : NULL;
}

/* Insert by arrival, walking back from the tail (arrivals mostly come in
 * order, so this is O(1) but for work that keeps an old arrival). */
static void wl_insert(wlist *l, wnode *w, int k)
{
    wnode *after = l->tail;
    while (after && after->arrival > w->arrival)
        after = after->prev[k];
    w->prev[k] = after;
    w->next[k] = after ? after->next[k] : l->head;
    if (w->next[k])
        w->next[k]->prev[k] = w;
    else
        l->tail = w;
    if (after)
        after->next[k] = w;
    else
        l->head = w;
    l->n++;
}

static void wl_remove(wlist *l, wnode *w, int k)
{
    if (w->prev[k])
        w->prev[k]->next[k] = w->next[k];
    else
        l->head = w->next[k];
    if (w->next[k])
        w->next[k]->prev[k] = w->prev[k];
    else
        l->tail = w->prev[k];
    w->prev[k] = w->next[k] = NULL;
    l->n--;
}

/* Link w on its lists; a list whose entity could not be made (no memory)
 * is skipped, and w remembers which lists it is on. */
static void w_link(orca_stats *s, wnode *w)
{
    w->on = 0;
    for (int k = 0; k < NLISTS; k++) {
        wlist *l = wl_of(s, w, k);
        w->prev[k] = w->next[k] = NULL;
        if (l) {
            wl_insert(l, w, k);
            w->on |= (uint8_t)(1u << k);
        }
    }
}

static void w_unlink(orca_stats *s, wnode *w)
{
    for (int k = 0; k < NLISTS; k++)
        if (w->on >> k & 1)
            wl_remove(wl_of(s, w, k), w, k);
    w->on = 0;
}

static int w_new(orca_stats *s, uint64_t id, uint64_t arrival, orca_queue_id q,
                 orca_channel_id ch)
{
    wnode *w;
    if (u64map_get(&s->waiting, id))
        return ORCA_OK;
    if (u64map_reserve(s->e, &s->waiting, s->waiting.n + 1) ||
        !(w = mem_calloc(s->e, sizeof(*w))))
        return ORCA_ENOMEM;
    w->id = id;
    w->arrival = arrival;
    w->q = q;
    w->ch = ch;
    u64map_put(&s->waiting, w->id, w);
    w_link(s, w);
    return ORCA_OK;
}

static void w_add(orca_stats *s, const orca_event *ev)
{
    if (w_new(s, ev->interaction, ev->arrival_ms, ev->queue, ev->channel))
        s->dropped++;
}

/* Forget work; true if it was waiting (not parked). */
static bool w_del(orca_stats *s, uint64_t id)
{
    wnode *w = u64map_del(&s->waiting, id);
    if (!w)
        return false;
    bool waiting = !w->parked;
    w_unlink(s, w);
    mem_free(s->e, w, sizeof(*w));
    return waiting;
}

/* ---- the listener ------------------------------------------------------------ */

static void entered(orca_stats *s, const orca_event *ev)
{
    targets t;
    tg_work(s, &t, ev->queue, ev->channel, 0);
    ADD(&t, entered, 1);
    w_add(s, ev);
}

static void on_event(void *data, const orca_event *ev)
{
    orca_stats *s = data;
    targets t;
    s->now = ev->time_ms;
    switch (ev->type) {
    case ORCA_EV_ENQUEUED:
        if (ev->value & ORCA_ENQ_BOT)
            break; /* with a bot: not in a queue until escalated */
        if (ev->value & ORCA_ENQ_RECONTACT) { /* the customer is back, now */
            tg_work(s, &t, ev->queue, ev->channel, 0);
            ADD(&t, recontacts, 1);
        }
        if (!(ev->value & ORCA_ENQ_SCHEDULED))
            entered(s, ev);
        break;
    case ORCA_EV_DUE: {
        wnode *w = u64map_get(&s->waiting, ev->interaction);
        if (w && w->parked) { /* a virtual hold's time came: back, once */
            w->parked = false;
            w_link(s, w);
        } else {
            entered(s, ev);
        }
        break;
    }
    case ORCA_EV_SCHEDULED: {
        wnode *w = u64map_get(&s->waiting, ev->interaction);
        if (w && !w->parked) { /* a virtual hold until a later time */
            w_unlink(s, w);
            w->parked = true;
        }
        break;
    }
    case ORCA_EV_OVERFLOWED: {
        wnode *w = u64map_get(&s->waiting, ev->interaction);
        if (w) { /* same work, another queue: entered there */
            w_unlink(s, w);
            w->q = ev->queue;
            if (!w->parked)
                w_link(s, w);
        }
        t.n = t.nh = 0;
        tg_ent(s, &t, queue_ent(s, ev->queue));
        ADD(&t, entered, 1);
        break;
    }
    case ORCA_EV_CHANNEL_CHANGED: {
        wnode *w = u64map_get(&s->waiting, ev->interaction);
        if (w) {
            w_unlink(s, w);
            w->ch = ev->channel;
            if (!w->parked)
                w_link(s, w);
        }
        break;
    }
    case ORCA_EV_OFFERED:
        agent_work(s, ev->agent, +1);
        tg_work(s, &t, ev->queue, ev->channel, ev->agent);
        ADD(&t, offers, 1);
        break;
    case ORCA_EV_ACCEPTED: {
        tg_work(s, &t, ev->queue, ev->channel, 0);
        ADD(&t, accepted, 1);
        ADD(&t, answered, 1);
        ADD(&t, answered_sl, ev->sla_met ? 1 : 0);
        ADD(&t, wait_answered, ev->wait_ms);
        uint32_t b = hist_bucket(ev->wait_ms);
        for (int k = 0; k < t.nh; k++)
            t.h[k]->b[b]++;
        t.n = 0;
        tg_agent(s, &t, agent_ent(s, ev->agent));
        ADD(&t, accepted, 1);
        w_del(s, ev->interaction);
        break;
    }
    case ORCA_EV_REJECTED:
        agent_work(s, ev->agent, -1);
        if (ev->value == ORCA_WITHDRAW_AGENT_REMOVED)
            break; /* not the agent's choice */
        tg_work(s, &t, ev->queue, ev->channel, ev->agent);
        ADD(&t, rejected, 1);
        break;
    case ORCA_EV_OFFER_TIMEOUT:
        agent_work(s, ev->agent, -1);
        tg_work(s, &t, ev->queue, ev->channel, ev->agent);
        ADD(&t, timeouts, 1);
        break;
    case ORCA_EV_COMPLETED:
        agent_work(s, ev->agent, -1);
        tg_work(s, &t, ev->queue, ev->channel, ev->agent);
        ADD(&t, handled, 1);
        ADD(&t, handle_sum, ev->handle_ms);
        ADD(&t, wrap_sum, ev->duration_ms);
        if (ev->csat) {
            ADD(&t, csat_n, 1);
            ADD(&t, csat_sum, ev->csat);
        }
        if (ev->fcr >= 0) {
            ADD(&t, fcr_n, 1);
            ADD(&t, fcr_yes, ev->fcr ? 1 : 0);
        }
        break;
    case ORCA_EV_UNREACHED:
        agent_work(s, ev->agent, -1);
        break;
    case ORCA_EV_TRANSFERRED:
        tg_work(s, &t, ev->queue, ev->channel, ev->agent);
        ADD(&t, transfers, 1);
        break;
    case ORCA_EV_ABANDONED:
    case ORCA_EV_CANCELLED:
    case ORCA_EV_TIMED_OUT: {
        if (ev->agent)
            agent_work(s, ev->agent, -1); /* an offer was pending */
        if (!w_del(s, ev->interaction))
            break; /* scheduled or with a bot: it was not waiting */
        tg_work(s, &t, ev->queue, ev->channel, 0);
        if (ev->type == ORCA_EV_TIMED_OUT) {
            ADD(&t, timed_out, 1);
        } else if (ev->type == ORCA_EV_ABANDONED) {
            ADD(&t, abandoned, 1);
            ADD(&t, wait_abandoned, ev->wait_ms);
            if (s->short_ms != ORCA_STATS_NO_SHORT && ev->wait_ms <= s->short_ms)
                ADD(&t, abandoned_short, 1);
        }
        break;
    }
    case ORCA_EV_AGENT_ADDED:
    case ORCA_EV_AGENT_PRESENCE:
    case ORCA_EV_AGENT_REMOVED: {
        sagent *a = agent_ent(s, ev->agent);
        if (!a) {
            s->dropped++;
            break;
        }
        accrue(s, a);
        a->presence = ev->type == ORCA_EV_AGENT_REMOVED ? ORCA_PRESENCE_OFFLINE : ev->presence;
        if (ev->type == ORCA_EV_AGENT_REMOVED)
            a->work = 0;
        break;
    }
    case ORCA_EV_QUEUE_ADDED:
        if (!queue_ent(s, ev->queue))
            s->dropped++;
        break;
    default:
        break;
    }
}

/* ---- life -------------------------------------------------------------------- */

int orca_stats_new(orca_engine *e, const orca_stats_config *cfg, orca_stats **out)
{
    orca_stats_config c;
    int rc;
    if (!e || !out)
        return ORCA_EINVAL;
    *out = NULL;
    if (e->in_callback)
        return ORCA_EBUSY;
    if (cfg)
        c = *cfg;
    else
        memset(&c, 0, sizeof(c));
    if (!c.window_ms) c.window_ms = 900000;
    if (!c.window_slots) c.window_slots = 15;
    if (!c.short_abandon_ms) c.short_abandon_ms = 5000;
    if (c.window_slots > MAX_SLOTS || c.window_ms < c.window_slots)
        return ORCA_ERANGE;
    orca_stats *s = mem_calloc(e, sizeof(*s));
    if (!s)
        return ORCA_ENOMEM;
    s->e = e;
    s->start = s->now = e->now;
    s->window_ms = c.window_ms;
    s->nslots = c.window_slots;
    s->slot_ms = c.window_ms / c.window_slots;
    s->short_ms = c.short_abandon_ms;
    u64map_init(&s->agents);
    u64map_init(&s->waiting);
    rc = sent_init(s, &s->total);
    for (uint32_t k = 0; !rc && k < ORCA_MAX_CHANNELS; k++)
        rc = sent_init(s, &s->channels[k]);
    for (uint32_t q = 1; !rc && q <= e->nqueues; q++)
        rc = !orca_queue_name(e, q) || queue_ent(s, q) ? ORCA_OK : ORCA_ENOMEM; /* (removed) */
    U64MAP_FOREACH(&e->ix_map, slot) { /* work waiting when attached */
        const ix *i = slot->val;
        if (!rc && (i->state == ORCA_STATE_WAITING || i->state == ORCA_STATE_OFFERED))
            rc = w_new(s, i->id, i->arrival, i->cls->q->id, i->cls->ch);
    }
    for (uint32_t k = 0; !rc && k < e->nagents; k++) {
        sagent *a = agent_ent(s, e->agents[k]->id);
        if (!a)
            rc = ORCA_ENOMEM;
        else {
            a->presence = e->agents[k]->presence;
            a->work = e->agents[k]->noffered + e->agents[k]->nbusy + e->agents[k]->nwrap;
        }
    }
    if (!rc)
        rc = orca_listener_add(e, on_event, s, &s->handle);
    if (rc) {
        s->handle = 0;
        orca_stats_free(s);
        return rc;
    }
    *out = s;
    return ORCA_OK;
}

/* Free everything s holds but s itself (stats_load swaps contents too). */
static void stats_clear(orca_stats *s)
{
    orca_engine *e = s->e;
    sent_free(s, &s->total);
    for (uint32_t k = 0; k < ORCA_MAX_CHANNELS; k++)
        sent_free(s, &s->channels[k]);
    for (uint32_t q = 0; q < s->nqueues; q++)
        if (s->queues[q]) {
            sent_free(s, s->queues[q]);
            mem_free(e, s->queues[q], sizeof(sent));
        }
    mem_free(e, s->queues, s->nqueues * sizeof(sent *));
    U64MAP_FOREACH(&s->agents, slot) {
        sagent *a = slot->val;
        mem_free(e, a->slot, s->nslots * sizeof(sfig));
        mem_free(e, a->epoch, s->nslots * sizeof(uint64_t));
        mem_free(e, a, sizeof(*a));
    }
    u64map_free(e, &s->agents);
    U64MAP_FOREACH(&s->waiting, slot)
        mem_free(e, slot->val, sizeof(wnode));
    u64map_free(e, &s->waiting);
}

int orca_stats_free(orca_stats *s)
{
    if (!s)
        return ORCA_OK;
    if (s->handle && orca_listener_remove(s->e, s->handle) == ORCA_EBUSY)
        return ORCA_EBUSY; /* inside a listener: still attached, kept */
    stats_clear(s);
    mem_free(s->e, s, sizeof(*s));
    return ORCA_OK;
}

uint64_t orca_stats_dropped(const orca_stats *s)
{
    return s ? s->dropped : 0;
}

/* ---- reading ------------------------------------------------------------------- */

/* The clock for readings: the engine's (events may be older). */
static orca_stats *at_now(const orca_stats *s)
{
    orca_stats *m = (orca_stats *)s; /* only the reading clock moves */
    m->now = s->e->now;
    return m;
}

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

static uint64_t percentile(const shist *h, double p)
{
    uint64_t n = 0, seen = 0;
    for (int b = 0; b < HB; b++)
        n += h->b[b];
    if (!n)
        return 0;
    uint64_t want = (uint64_t)ceil(p * (double)n);
    for (uint32_t b = 0; b < HB; b++) {
        seen += h->b[b];
        if (seen >= want)
            return hist_edge(b);
    }
    return hist_edge(HB - 1);
}

static void figures_of(const orca_stats *s, const sent *x, orca_span span, bool occ,
                       orca_figures *out)
{
    sfig f;
    shist h;
    span_sum(s, &x->tot, x->slot, &x->htot, x->hslot, x->epoch, span, &f, &h);
    memset(out, 0, sizeof(*out));
    out->waiting = x->waiting.n;
    out->longest_wait_ms =
        x->waiting.head && s->now > x->waiting.head->arrival ? s->now - x->waiting.head->arrival : 0;
    out->entered = f.entered;
    out->answered = f.answered;
    out->abandoned = f.abandoned;
    out->abandoned_short = f.abandoned_short;
    out->timed_out = f.timed_out;
    out->answered_in_sl = f.answered_sl;
    out->service_level = ratio(f.answered_sl, f.answered + f.abandoned - f.abandoned_short);
    out->sl_of_answered = ratio(f.answered_sl, f.answered);
    out->asa_ms = ratio(f.wait_answered, f.answered);
    out->avg_wait_ms = ratio(f.wait_answered + f.wait_abandoned, f.answered + f.abandoned);
    out->wait_p50_ms = percentile(&h, 0.50);
    out->wait_p90_ms = percentile(&h, 0.90);
    out->wait_p99_ms = percentile(&h, 0.99);
    out->handled = f.handled;
    out->aht_ms = ratio(f.handle_sum, f.handled);
    out->avg_wrapup_ms = ratio(f.wrap_sum, f.handled);
    out->avg_talk_ms = out->aht_ms - out->avg_wrapup_ms;
    out->occupancy = occ ? ratio(f.t_work, f.t_work + f.t_idle) : 0.0;
    out->offers = f.offers;
    out->accepted = f.accepted;
    out->rejected = f.rejected;
    out->offer_timeouts = f.timeouts;
    out->transfers = f.transfers;
    out->csat_count = f.csat_n;
    out->csat_avg = ratio(f.csat_sum, f.csat_n);
    out->fcr_count = f.fcr_n;
    out->fcr_resolved = f.fcr_yes;
    out->fcr_rate = ratio(f.fcr_yes, f.fcr_n);
    out->recontacts = f.recontacts;
    out->span_ms = span_ms(s, span);
}

static int span_ok(orca_span span)
{
    return span == ORCA_SPAN_TOTAL || span == ORCA_SPAN_WINDOW;
}

/* Agent state time up to now, without changing anything: the open stretch
 * of the current state is added to the figures read. */
static void agent_open_stretch(const orca_stats *s, const sagent *a, orca_span span, sfig *f)
{
    uint64_t from = a->since;
    if (span == ORCA_SPAN_WINDOW) {
        uint64_t w = s->now - span_ms(s, ORCA_SPAN_WINDOW);
        if (w > from)
            from = w;
    }
    if (s->now > from)
        accrue_into(f, agent_cat(a), s->now - from);
}

int orca_stats_total(const orca_stats *s, orca_span span, orca_figures *out)
{
    if (!s || !out || !span_ok(span))
        return ORCA_EINVAL;
    s = at_now(s);
    figures_of(s, &s->total, span, true, out);
    /* open stretches of every agent's current state */
    sfig f;
    span_sum(s, &s->total.tot, s->total.slot, NULL, NULL, s->total.epoch, span, &f, NULL);
    U64MAP_FOREACH(&s->agents, slot)
        agent_open_stretch(s, slot->val, span, &f);
    out->occupancy = ratio(f.t_work, f.t_work + f.t_idle);
    return ORCA_OK;
}

int orca_stats_queue(const orca_stats *s, orca_queue_id q, orca_span span, orca_figures *out)
{
    if (!s || !out || !span_ok(span))
        return ORCA_EINVAL;
    if (!queue_get(s->e, q))
        return ORCA_ENOENT;
    s = at_now(s);
    const sent *x = q <= s->nqueues ? s->queues[q - 1] : NULL;
    if (!x) { /* a queue added while memory was short: nothing counted */
        memset(out, 0, sizeof(*out));
        out->span_ms = span_ms(s, span);
        return ORCA_OK;
    }
    figures_of(s, x, span, false, out);
    return ORCA_OK;
}

int orca_stats_channel(const orca_stats *s, orca_channel_id ch, orca_span span,
                       orca_figures *out)
{
    if (!s || !out || !span_ok(span))
        return ORCA_EINVAL;
    if (ch >= s->e->nchannels)
        return ORCA_ENOENT;
    s = at_now(s);
    figures_of(s, &s->channels[ch], span, false, out);
    return ORCA_OK;
}

int orca_stats_agent(const orca_stats *s, uint64_t id, orca_span span,
                     orca_agent_figures *out)
{
    if (!s || !out || !id || !span_ok(span))
        return ORCA_EINVAL;
    const sagent *a = u64map_get(&s->agents, id);
    if (!a)
        return ORCA_ENOENT;
    s = at_now(s);
    sfig f;
    span_sum(s, &a->tot, a->slot, NULL, NULL, a->epoch, span, &f, NULL);
    agent_open_stretch(s, a, span, &f);
    memset(out, 0, sizeof(*out));
    out->agent = a->id;
    out->presence = a->presence;
    out->work = a->work;
    out->offers = f.offers;
    out->accepted = f.accepted;
    out->rejected = f.rejected;
    out->offer_timeouts = f.timeouts;
    out->handled = f.handled;
    out->aht_ms = ratio(f.handle_sum, f.handled);
    out->transfers = f.transfers;
    out->csat_count = f.csat_n;
    out->csat_avg = ratio(f.csat_sum, f.csat_n);
    out->offline_ms = f.t_off;
    out->not_ready_ms = f.t_nr;
    out->idle_ms = f.t_idle;
    out->working_ms = f.t_work;
    out->occupancy = ratio(f.t_work, f.t_work + f.t_idle);
    out->span_ms = span_ms(s, span);
    return ORCA_OK;
}

/* ---- staffing and waiting estimates ------------------------------------------ */

int orca_stats_load(const orca_stats *s, orca_queue_id q, double *arrivals_per_s,
                    double *handle_s)
{
    orca_figures f;
    int rc;
    if (!arrivals_per_s || !handle_s)
        return ORCA_EINVAL;
    if ((rc = orca_stats_queue(s, q, ORCA_SPAN_WINDOW, &f)))
        return rc;
    if (!f.handled || !f.span_ms)
        return ORCA_ENOENT;
    *arrivals_per_s = (double)f.entered * 1000.0 / (double)f.span_ms;
    *handle_s = f.aht_ms / 1000.0;
    return ORCA_OK;
}

int orca_stats_agents_needed(const orca_stats *s, orca_queue_id q, double target_s,
                             double sl_goal, uint32_t *agents, orca_erlang *out)
{
    double lambda, h;
    int rc = orca_stats_load(s, q, &lambda, &h);
    if (rc)
        return rc;
    return orca_erlang_agents(lambda, h, target_s, sl_goal, agents, out);
}

static int ewt_for(const orca_stats *s, orca_queue_id q, uint64_t ahead, uint64_t *ms)
{
    orca_figures f;
    int rc = orca_stats_queue(s, q, ORCA_SPAN_WINDOW, &f);
    if (rc)
        return rc;
    if (!f.answered || !f.span_ms)
        return ORCA_ENOENT;
    /* answered per ms over the window; the work ahead clears at that pace */
    double per_ms = (double)f.answered / (double)f.span_ms;
    *ms = (uint64_t)llround((double)(ahead + 1) / per_ms);
    return ORCA_OK;
}

int orca_stats_ewt(const orca_stats *s, orca_queue_id q, uint64_t *ms)
{
    if (!s || !ms)
        return ORCA_EINVAL;
    const sent *x = q && q <= s->nqueues ? s->queues[q - 1] : NULL;
    return ewt_for(s, q, x ? x->waiting.n : 0, ms);
}

int orca_stats_ewt_interaction(const orca_stats *s, uint64_t interaction, uint64_t *ms)
{
    if (!s || !ms || !interaction)
        return ORCA_EINVAL;
    const wnode *w = u64map_get(&s->waiting, interaction);
    if (!w)
        return ORCA_ENOENT; /* not waiting (or unknown) */
    uint64_t ahead = 0;
    for (const wnode *p = w->prev[L_QUEUE]; p; p = p->prev[L_QUEUE])
        ahead++;
    return ewt_for(s, w->q, ahead, ms);
}

const orca_engine *stats_engine(const orca_stats *s)
{
    return at_now(s)->e;
}

/* ---- snapshot (journal compaction) ------------------------------------------ */

/*
 * What stats_save writes (little-endian, codec.h): everything the figures
 * depend on, field by field.
 *
 *   u32 STATS_TAG; u32 window_ms, nslots, slot_ms, short_ms;
 *   u64 start, now, dropped;
 *   ent total;  u32 n, ent x n           channels 0..n-1
 *   u32 n, { u32 id; ent } x n           queues seen, ascending id
 *   u32 n, { u64 id; u8 presence; u32 work; u64 since; fig tot; slots } x n
 *                                        agents
 *   u32 n, { u64 id, arrival; u32 q, ch; u8 on, parked } x n
 *                                        waiting work: the total list in
 *                                        order, then the parked
 * where
 *   ent   = fig tot; hist htot; slots (each with its hist)
 *   fig   = u32 mask of the nonzero counters, then those (sfig order)
 *   hist  = u32 n, { u8 bucket; u32 count } x n, ascending, nonzero
 *   slots = u32 n, { u64 epoch; fig [; hist] } x n, the ring's used slots
 *
 * Every list of waiting work is sorted by (arrival, when it was last
 * linked): a node is linked on all its lists at once, after the nodes of
 * equal arrival. So the total list's order, restricted to any other list,
 * is that list's order, and appending the nodes in it rebuilds all three.
 */
#define STATS_TAG 0x31415453u /* "STA1" */
#define NFIG (sizeof(sfig) / sizeof(uint64_t))

_Static_assert(sizeof(sfig) / sizeof(uint64_t) <= 32, "a fig's mask is a u32");

orca_stats *stats_find(const orca_engine *e)
{
    for (uint32_t k = 0; k < e->nlisteners; k++)
        if (e->listeners[k].fn == on_event)
            return e->listeners[k].data;
    return NULL;
}

static void save_fig(wbuf *w, const sfig *f)
{
    const uint64_t *v = &f->entered;
    uint32_t mask = 0;
    for (uint32_t k = 0; k < NFIG; k++)
        if (v[k])
            mask |= 1u << k;
    w_u32(w, mask);
    for (uint32_t k = 0; k < NFIG; k++)
        if (v[k])
            w_u64(w, v[k]);
}

static void save_hist(wbuf *w, const shist *h)
{
    uint32_t n = 0;
    for (uint32_t b = 0; b < HB; b++)
        n += h->b[b] != 0;
    w_u32(w, n);
    for (uint32_t b = 0; b < HB; b++)
        if (h->b[b]) {
            w_u8(w, (uint8_t)b);
            w_u32(w, h->b[b]);
        }
}

/* The used slots of a ring (hslot NULL: an agent's, no histograms). */
static void save_slots(wbuf *w, const orca_stats *s, const sfig *slot, const shist *hslot,
                       const uint64_t *epoch)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < s->nslots; k++)
        n += epoch[k] != UINT64_MAX;
    w_u32(w, n);
    for (uint32_t k = 0; k < s->nslots; k++) {
        if (epoch[k] == UINT64_MAX)
            continue;
        w_u64(w, epoch[k]);
        save_fig(w, &slot[k]);
        if (hslot)
            save_hist(w, &hslot[k]);
    }
}

static void save_ent(wbuf *w, const orca_stats *s, const sent *x)
{
    save_fig(w, &x->tot);
    save_hist(w, &x->htot);
    save_slots(w, s, x->slot, x->hslot, x->epoch);
}

static void save_queues(wbuf *w, const orca_stats *s)
{
    uint32_t n = 0;
    for (uint32_t q = 0; q < s->nqueues; q++)
        n += s->queues[q] != NULL;
    w_u32(w, n);
    for (uint32_t q = 0; q < s->nqueues; q++)
        if (s->queues[q]) {
            w_u32(w, q + 1);
            save_ent(w, s, s->queues[q]);
        }
}

static void save_agents(wbuf *w, const orca_stats *s)
{
    w_u32(w, s->agents.n);
    U64MAP_FOREACH(&s->agents, slot) {
        const sagent *a = slot->val;
        w_u64(w, a->id);
        w_u8(w, (uint8_t)a->presence);
        w_u32(w, a->work);
        w_u64(w, a->since);
        save_fig(w, &a->tot);
        save_slots(w, s, a->slot, NULL, a->epoch);
    }
}

static void save_wnode(wbuf *w, const wnode *n)
{
    w_u64(w, n->id);
    w_u64(w, n->arrival);
    w_u32(w, n->q);
    w_u32(w, n->ch);
    w_u8(w, n->on);
    w_u8(w, n->parked);
}

static void save_waiting(wbuf *w, const orca_stats *s)
{
    w_u32(w, s->waiting.n);
    for (const wnode *n = s->total.waiting.head; n; n = n->next[L_TOTAL])
        save_wnode(w, n);
    U64MAP_FOREACH(&s->waiting, slot) {
        const wnode *n = slot->val;
        if (!(n->on >> L_TOTAL & 1)) /* parked: on no list */
            save_wnode(w, n);
    }
}

void stats_save(const orca_stats *s, wbuf *w)
{
    w_u32(w, STATS_TAG);
    w_u32(w, s->window_ms);
    w_u32(w, s->nslots);
    w_u32(w, s->slot_ms);
    w_u32(w, s->short_ms);
    w_u64(w, s->start);
    w_u64(w, s->now);
    w_u64(w, s->dropped);
    save_ent(w, s, &s->total);
    w_u32(w, ORCA_MAX_CHANNELS);
    for (uint32_t k = 0; k < ORCA_MAX_CHANNELS; k++)
        save_ent(w, s, &s->channels[k]);
    save_queues(w, s);
    save_agents(w, s);
    save_waiting(w, s);
}

/* Loading builds a whole orca_stats t aside and swaps it in at the end, so
 * a failure midway leaves the live one untouched. Anything that does not
 * decode or does not fit together sets r->bad (ORCA_ECORRUPT). */
typedef struct sload {
    orca_stats *t;
    rbuf *r;
    uint32_t nslots;   /* the saved ring's length */
    bool keep;         /* saved window config == t's: keep the slots */
} sload;

static void load_fig(rbuf *r, sfig *f)
{
    uint64_t *v = &f->entered;
    uint32_t mask = r_u32(r);
    if (NFIG < 32 && mask >> NFIG)
        r->bad = true;
    for (uint32_t k = 0; k < NFIG; k++)
        v[k] = mask >> k & 1 ? r_u64(r) : 0;
}

static void load_hist(rbuf *r, shist *h)
{
    uint32_t n = r_count(r, 5);
    int prev = -1;
    memset(h, 0, sizeof(*h));
    if (n > HB)
        r->bad = true;
    for (uint32_t k = 0; k < n && !r->bad; k++) {
        uint8_t b = r_u8(r);
        uint32_t c = r_u32(r);
        if (b >= HB || (int)b <= prev || !c) {
            r->bad = true;
            return;
        }
        h->b[b] = c;
        prev = b;
    }
}

/* A ring's used slots, each put back where its epoch says; read and
 * dropped when the window config changed. */
static void load_slots(sload *L, sfig *slot, shist *hslot, uint64_t *epoch)
{
    rbuf *r = L->r;
    uint32_t n = r_count(r, 12);
    if (n > L->nslots)
        r->bad = true;
    for (uint32_t j = 0; j < n && !r->bad; j++) {
        sfig f;
        shist h;
        uint64_t ep = r_u64(r);
        load_fig(r, &f);
        if (hslot)
            load_hist(r, &h);
        if (r->bad || !L->keep)
            continue;
        uint32_t k = (uint32_t)(ep % L->t->nslots);
        if (ep == UINT64_MAX || epoch[k] != UINT64_MAX) { /* a slot twice */
            r->bad = true;
            return;
        }
        epoch[k] = ep;
        slot[k] = f;
        if (hslot)
            hslot[k] = h;
    }
}

static void load_ent(sload *L, sent *x)
{
    load_fig(L->r, &x->tot);
    load_hist(L->r, &x->htot);
    load_slots(L, x->slot, x->hslot, x->epoch);
}

static int load_channels(sload *L)
{
    orca_stats *t = L->t;
    int rc = sent_init(t, &t->total);
    for (uint32_t k = 0; !rc && k < ORCA_MAX_CHANNELS; k++)
        rc = sent_init(t, &t->channels[k]);
    if (rc)
        return rc;
    load_ent(L, &t->total);
    uint32_t n = r_count(L->r, 12);
    if (n > ORCA_MAX_CHANNELS)
        L->r->bad = true;
    for (uint32_t k = 0; k < n && !L->r->bad; k++)
        load_ent(L, &t->channels[k]);
    return ORCA_OK;
}

/* Queues are never removed, so every queue seen is one of the engine's. */
static int load_queues(sload *L)
{
    rbuf *r = L->r;
    uint32_t n = r_count(r, 16), prev = 0;
    for (uint32_t k = 0; k < n && !r->bad; k++) {
        uint32_t id = r_u32(r);
        if (r->bad || id <= prev || id > L->t->e->nqueues) {
            r->bad = true;
            break;
        }
        prev = id;
        sent *x = queue_ent(L->t, id);
        if (!x)
            return ORCA_ENOMEM;
        load_ent(L, x);
    }
    return ORCA_OK;
}

static int load_agents(sload *L)
{
    rbuf *r = L->r;
    orca_stats *t = L->t;
    uint32_t n = r_count(r, 29);
    for (uint32_t k = 0; k < n && !r->bad; k++) {
        uint64_t id = r_u64(r);
        uint8_t presence = r_u8(r);
        uint32_t work = r_u32(r);
        uint64_t since = r_u64(r);
        if (r->bad || !id || presence > ORCA_PRESENCE_NOT_READY || u64map_get(&t->agents, id)) {
            r->bad = true;
            break;
        }
        sagent *a = agent_ent(t, id);
        if (!a)
            return ORCA_ENOMEM;
        a->presence = (orca_presence)presence;
        a->work = work;
        a->since = since;
        load_fig(r, &a->tot);
        load_slots(L, a->slot, NULL, a->epoch);
    }
    return ORCA_OK;
}

static void wl_append(wlist *l, wnode *w, int k)
{
    w->prev[k] = l->tail;
    w->next[k] = NULL;
    if (l->tail)
        l->tail->next[k] = w;
    else
        l->head = w;
    l->tail = w;
    l->n++;
}

/* Whether a saved node fits: its queue is the engine's (a later event
 * may make its record), parked work is on no list, other work is on the
 * total list (in arrival order) and only on lists that exist. */
static bool wnode_fits(const orca_stats *t, const wnode *w)
{
    const wnode *tail = t->total.waiting.tail;
    if (!w->id || w->q > t->e->nqueues || w->on >> NLISTS || u64map_get(&t->waiting, w->id))
        return false;
    if (w->parked)
        return w->on == 0;
    if (!(w->on >> L_TOTAL & 1) || (tail && tail->arrival > w->arrival))
        return false;
    if (w->on >> L_QUEUE & 1 && !(w->q && w->q <= t->nqueues && t->queues[w->q - 1]))
        return false;
    return !(w->on >> L_CHANNEL & 1) || w->ch < ORCA_MAX_CHANNELS;
}

static int load_waiting(sload *L)
{
    rbuf *r = L->r;
    orca_stats *t = L->t;
    uint32_t n = r_count(r, 26);
    for (uint32_t j = 0; j < n && !r->bad; j++) {
        wnode w;
        memset(&w, 0, sizeof(w));
        w.id = r_u64(r);
        w.arrival = r_u64(r);
        w.q = r_u32(r);
        w.ch = r_u32(r);
        w.on = r_u8(r);
        uint8_t parked = r_u8(r);
        w.parked = parked != 0;
        if (r->bad || parked > 1 || !wnode_fits(t, &w)) {
            r->bad = true;
            break;
        }
        wnode *p;
        if (u64map_reserve(t->e, &t->waiting, t->waiting.n + 1) ||
            !(p = mem_alloc(t->e, sizeof(*p))))
            return ORCA_ENOMEM;
        *p = w;
        u64map_put(&t->waiting, p->id, p);
        for (int k = 0; k < NLISTS; k++)
            if (p->on >> k & 1)
                wl_append(wl_of(t, p, k), p, k);
    }
    return ORCA_OK;
}

static int load_into(sload *L)
{
    rbuf *r = L->r;
    orca_stats *t = L->t;
    uint32_t tag = r_u32(r), window_ms = r_u32(r), nslots = r_u32(r), slot_ms = r_u32(r),
             short_ms = r_u32(r);
    t->start = r_u64(r);
    t->now = r_u64(r);
    t->dropped = r_u64(r);
    if (r->bad || tag != STATS_TAG || !nslots || nslots > MAX_SLOTS || window_ms < nslots ||
        slot_ms != window_ms / nslots)
        return ORCA_ECORRUPT;
    L->nslots = nslots;
    L->keep = window_ms == t->window_ms && nslots == t->nslots && slot_ms == t->slot_ms &&
              short_ms == t->short_ms;
    int rc = load_channels(L);
    if (!rc && !r->bad)
        rc = load_queues(L);
    if (!rc && !r->bad)
        rc = load_agents(L);
    if (!rc && !r->bad)
        rc = load_waiting(L);
    return rc ? rc : r->bad ? ORCA_ECORRUPT : ORCA_OK;
}

/* A saved window config (window_ms, window_slots, short_abandon_ms) other
 * than s's: s keeps its own, and gets back the since-start figures, the
 * agents' states and the waiting work, with its window slots empty (the
 * saved slots cover other spans; the window refills as events come). */
int stats_load(orca_stats *s, rbuf *r)
{
    orca_stats t;
    memset(&t, 0, sizeof(t));
    t.e = s->e;
    t.window_ms = s->window_ms;
    t.nslots = s->nslots;
    t.slot_ms = s->slot_ms;
    t.short_ms = s->short_ms;
    u64map_init(&t.agents);
    u64map_init(&t.waiting);
    sload L = { .t = &t, .r = r };
    int rc = load_into(&L);
    if (rc) {
        stats_clear(&t);
        return rc;
    }
    t.handle = s->handle;
    stats_clear(s);
    *s = t;
    return ORCA_OK;
}
