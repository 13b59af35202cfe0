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
 * Occupancy per queue and channel: each queue and channel counts the
 * agents working on its work now (n_work) and the agents idle now who
 * could take it (n_idle); when a count changes, the time since the last
 * change times each count is added first. An agent's share of those counts
 * is taken off before each change to the agent and put back after, so a
 * change costs O(channels and queues the agent serves or works for).
 *
 * Work waiting now is kept in small records on three lists ordered by
 * arrival (its queue's, its channel's, all), so the longest wait is a list
 * head and a position is a short walk.
 */
#include "orca_int.h"
#include "hist.h"

#include <math.h>
#include <stdlib.h>

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
    hist htot;                /* answered waits, for percentiles */
    sfig *slot;               /* nslots */
    hist *hslot;              /* nslots */
    uint64_t *epoch;          /* nslots: which slot-time each slot holds */
    wlist waiting;
    uint32_t n_work, n_idle;  /* occupancy: agents working on / idle for
                                 this queue or channel now (not the total) */
    uint64_t occ_since;       /* their time is counted up to here */
} sent;

/* Work an agent holds (offered, busy or wrap-up), with the queue and
 * channel it was offered from. */
typedef struct sheld {
    uint64_t id;
    orca_queue_id q;
    orca_channel_id ch;
} sheld;

typedef struct sagent {
    uint64_t id;
    sfig tot;
    sfig *slot;
    uint64_t *epoch;
    orca_presence presence;
    uint32_t work;
    uint64_t since;           /* state time counted up to here */
    sheld *held;              /* the work counted in `work` (fewer if memory
                                 ran out) */
    uint32_t nheld, capheld;
    uint32_t chmask;          /* channels whose limit is > 0 (engine's) */
    orca_queue_id *serves;    /* queues it serves (engine's rule) */
    uint32_t nserves, capserves;
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
    double *fair;             /* room for orca_stats_fairness: two values
                                 per agent known, reserved as agents come */
    uint32_t capfair;
};

/* ---- slots ------------------------------------------------------------------ */

/* The slot for time t, cleared first if it still holds an older turn of
 * the ring (hslot may be NULL: agents keep no histogram). */
static uint32_t slot_k(const orca_stats *s, sfig *slots, hist *hslot, uint64_t *epochs,
                       uint64_t t)
{
    uint64_t ep = t / s->slot_ms;
    uint32_t k = (uint32_t)(ep % s->nslots);
    if (epochs[k] != ep) {
        memset(&slots[k], 0, sizeof(sfig));
        if (hslot)
            hist_clear(&hslot[k]);
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

/* The counters of one entity over a span, into *out. */
static void span_sum(const orca_stats *s, const sfig *tot, const sfig *slots,
                     const uint64_t *epochs, orca_span span, sfig *out)
{
    if (span == ORCA_SPAN_TOTAL) {
        *out = *tot;
        return;
    }
    memset(out, 0, sizeof(*out));
    for (uint32_t k = 0; k < s->nslots; k++)
        if (slot_live(s, epochs[k]))
            fig_add(out, &slots[k]);
}

/* The histograms of an entity over a span, into hs (MAX_SLOTS room);
 * returns how many. */
static uint32_t span_hists(const orca_stats *s, const sent *x, orca_span span,
                           const hist **hs)
{
    uint32_t n = 0;
    if (span == ORCA_SPAN_TOTAL) {
        hs[n++] = &x->htot;
        return n;
    }
    for (uint32_t k = 0; k < s->nslots; k++)
        if (slot_live(s, x->epoch[k]))
            hs[n++] = &x->hslot[k];
    return n;
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
    x->hslot = mem_calloc(s->e, s->nslots * sizeof(hist));
    x->epoch = mem_alloc(s->e, s->nslots * sizeof(uint64_t));
    if (!x->slot || !x->hslot || !x->epoch)
        return ORCA_ENOMEM;
    for (uint32_t k = 0; k < s->nslots; k++)
        x->epoch[k] = UINT64_MAX;
    x->occ_since = s->now;
    return ORCA_OK;
}

static void sent_free(orca_stats *s, sent *x)
{
    if (x->slot)
        mem_free(s->e, x->slot, s->nslots * sizeof(sfig));
    hist_free(s->e, &x->htot);
    if (x->hslot) {
        for (uint32_t k = 0; k < s->nslots; k++)
            hist_free(s->e, &x->hslot[k]);
        mem_free(s->e, x->hslot, s->nslots * sizeof(hist));
    }
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

/* A queue's record without making one (NULL if none). */
static sent *queue_peek(const orca_stats *s, orca_queue_id q)
{
    return q && q <= s->nqueues ? s->queues[q - 1] : NULL;
}

static void agent_free_parts(orca_stats *s, sagent *a)
{
    if (a->slot)
        mem_free(s->e, a->slot, s->nslots * sizeof(sfig));
    if (a->epoch)
        mem_free(s->e, a->epoch, s->nslots * sizeof(uint64_t));
    mem_free(s->e, a->held, a->capheld * sizeof(sheld));
    mem_free(s->e, a->serves, a->capserves * sizeof(orca_queue_id));
}

static sagent *agent_ent(orca_stats *s, uint64_t id)
{
    if (!id)
        return NULL;
    sagent *a = u64map_get(&s->agents, id);
    if (a)
        return a;
    if (u64map_reserve(s->e, &s->agents, s->agents.n + 1) ||
        mem_reserve(s->e, (void **)&s->fair, &s->capfair, s->agents.n + 1, 2 * sizeof(double)) ||
        !(a = mem_calloc(s->e, sizeof(*a))))
        return NULL;
    a->slot = mem_calloc(s->e, s->nslots * sizeof(sfig));
    a->epoch = mem_alloc(s->e, s->nslots * sizeof(uint64_t));
    if (!a->slot || !a->epoch) {
        agent_free_parts(s, a);
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
    hist *h[8];
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

/* A stretch of time [t, now) cut at the window's slot boundaries: only the
 * last nslots slots matter, so a longer stretch starts at the oldest of
 * them. for (stretch_start(&sp, s, t, now); stretch_next(&sp, &lo, &len);)
 * visits each piece: its start (which names the slot) and its length. */
typedef struct stretch {
    uint64_t ep, e1, t, now, slot_ms;
} stretch;

static void stretch_start(stretch *sp, const orca_stats *s, uint64_t t, uint64_t now)
{
    uint64_t e0 = t / s->slot_ms, e1 = now / s->slot_ms;
    if (e1 - e0 >= s->nslots) {
        e0 = e1 - s->nslots + 1;
        t = e0 * s->slot_ms;
    }
    *sp = (stretch){ e0, e1, t, now, s->slot_ms };
}

static bool stretch_next(stretch *sp, uint64_t *lo, uint64_t *len)
{
    for (; sp->ep <= sp->e1; sp->ep++) {
        uint64_t a = sp->ep * sp->slot_ms > sp->t ? sp->ep * sp->slot_ms : sp->t;
        uint64_t b = (sp->ep + 1) * sp->slot_ms < sp->now ? (sp->ep + 1) * sp->slot_ms : sp->now;
        if (b > a) {
            sp->ep++;
            *lo = a;
            *len = b - a;
            return true;
        }
    }
    return false;
}

/* Add a's time in its current state up to now, split over the slots it
 * spans, to a and the total. */
static void accrue(orca_stats *s, sagent *a)
{
    uint64_t t = a->since, now = s->now, lo, len;
    if (now <= t) {
        a->since = now;
        return;
    }
    int cat = agent_cat(a);
    accrue_into(&a->tot, cat, now - t);
    accrue_into(&s->total.tot, cat, now - t);
    sent *tot = &s->total;
    stretch sp;
    for (stretch_start(&sp, s, t, now); stretch_next(&sp, &lo, &len);) {
        accrue_into(&a->slot[slot_k(s, a->slot, NULL, a->epoch, lo)], cat, len);
        accrue_into(&tot->slot[slot_k(s, tot->slot, tot->hslot, tot->epoch, lo)], cat, len);
    }
    a->since = now;
}

/* ---- occupancy per queue and channel ----------------------------------------- */

/* Add x's agent time since occ_since (n_work agents working on its work,
 * n_idle idle agents who could take it) to its figures, split over the
 * slots it spans, as accrue does for one agent. */
static void ent_accrue(orca_stats *s, sent *x)
{
    uint64_t t = x->occ_since, now = s->now;
    if (now <= t)
        return;
    x->occ_since = now;
    uint64_t nw = x->n_work, ni = x->n_idle;
    if (!nw && !ni)
        return;
    x->tot.t_work += nw * (now - t);
    x->tot.t_idle += ni * (now - t);
    uint64_t lo, len;
    stretch sp;
    for (stretch_start(&sp, s, t, now); stretch_next(&sp, &lo, &len);) {
        sfig *f = &x->slot[slot_k(s, x->slot, x->hslot, x->epoch, lo)];
        f->t_work += nw * len;
        f->t_idle += ni * len;
    }
}

/* Move one of x's counts by d (+1 or -1), its time counted first when
 * `now` says so (not while a snapshot is read back: the counts are being
 * rebuilt, and the time up to occ_since is already in the figures). */
static void ent_count(orca_stats *s, sent *x, bool work, int d, bool now)
{
    if (!x)
        return;
    if (now)
        ent_accrue(s, x);
    uint32_t *n = work ? &x->n_work : &x->n_idle;
    if (d > 0)
        (*n)++;
    else if (*n) /* (a queue record made after the agent's share was put) */
        (*n)--;
}

/* Put (d = +1) or take off (d = -1) a's share of the counts: working, it
 * counts once for each channel and each queue of the work it holds (an
 * agent with a chat and an email works for both channels); idle (READY
 * with no work), for each channel it has a limit on and each queue it
 * serves; otherwise (NOT_READY, OFFLINE) for none. */
static void occ_share(orca_stats *s, sagent *a, int d, bool now)
{
    int cat = agent_cat(a);
    if (cat == 3) {
        uint32_t chs = 0;
        for (uint32_t k = 0; k < a->nheld; k++) {
            const sheld *h = &a->held[k];
            if (h->ch < 32 && !(chs >> h->ch & 1)) {
                chs |= 1u << h->ch;
                ent_count(s, channel_ent(s, h->ch), true, d, now);
            }
            uint32_t j = 0;
            while (j < k && a->held[j].q != h->q)
                j++;
            if (j == k) /* the first of its queue */
                ent_count(s, queue_peek(s, h->q), true, d, now);
        }
    } else if (cat == 2) {
        for (uint32_t m = a->chmask; m; m &= m - 1)
            ent_count(s, channel_ent(s, (orca_channel_id)__builtin_ctz(m)), false, d, now);
        for (uint32_t k = 0; k < a->nserves; k++)
            ent_count(s, queue_peek(s, a->serves[k]), false, d, now);
    }
}

static void occ_leave(orca_stats *s, sagent *a)
{
    occ_share(s, a, -1, true);
}

static void occ_join(orca_stats *s, sagent *a)
{
    occ_share(s, a, +1, true);
}

/* Whether agent a serves the queue in slot k of the engine (a removed
 * queue's slot is a hole), by the engine's own rule. */
static bool serves_slot(const orca_engine *e, const agent *a, uint32_t k)
{
    return e->queues[k] && agent_serves(a, e->queues[k]);
}

/* Read again from the engine which channels and queues a could take work
 * of (an agent the engine no longer has: none). Called when they may have
 * changed (agent added or updated, membership); O(queues). On ENOMEM a
 * keeps what it had. Its share must be off the counts meanwhile. */
static int elig_read(orca_stats *s, sagent *a)
{
    const agent *ea = agent_get(s->e, a->id);
    uint32_t mask = 0, n = 0;
    if (ea) {
        for (uint32_t ch = 0; ch < ORCA_MAX_CHANNELS; ch++)
            if (ea->limit[ch])
                mask |= 1u << ch;
        for (uint32_t q = 0; q < s->e->nqueues; q++)
            n += serves_slot(s->e, ea, q);
    }
    if (mem_reserve(s->e, (void **)&a->serves, &a->capserves, n, sizeof(orca_queue_id)))
        return ORCA_ENOMEM;
    a->chmask = mask;
    a->nserves = 0;
    for (uint32_t q = 0; ea && q < s->e->nqueues; q++)
        if (serves_slot(s->e, ea, q))
            a->serves[a->nserves++] = s->e->queues[q]->id;
    return ORCA_OK;
}

/* Agent id's channels or queues may have changed. */
static void agent_elig(orca_stats *s, uint64_t id)
{
    sagent *a = agent_ent(s, id);
    if (!a) {
        s->dropped++;
        return;
    }
    accrue(s, a);
    occ_leave(s, a);
    if (elig_read(s, a))
        s->dropped++;
    occ_join(s, a);
}

/* A new queue: the agents who serve it count for it from now. */
static void queue_elig(orca_stats *s, orca_queue_id qid)
{
    const queue *q = queue_get(s->e, qid);
    if (!q || !queue_peek(s, qid))
        return;
    U64MAP_FOREACH(&s->agents, slot) {
        sagent *a = slot->val;
        const agent *ea = agent_get(s->e, a->id);
        if (!ea || !agent_serves(ea, q))
            continue;
        uint32_t cap = a->capserves;
        if (mem_reserve(s->e, (void **)&a->serves, &cap, a->nserves + 1, sizeof(orca_queue_id))) {
            s->dropped++;
            continue;
        }
        a->capserves = cap;
        occ_leave(s, a);
        a->serves[a->nserves++] = qid;
        occ_join(s, a);
    }
}

static int held_add(orca_stats *s, sagent *a, uint64_t id, orca_queue_id q, orca_channel_id ch)
{
    if (mem_reserve(s->e, (void **)&a->held, &a->capheld, a->nheld + 1, sizeof(sheld)))
        return ORCA_ENOMEM;
    a->held[a->nheld++] = (sheld){ id, q, ch };
    return ORCA_OK;
}

static bool held_has(const sagent *a, uint64_t id)
{
    for (uint32_t k = 0; k < a->nheld; k++)
        if (a->held[k].id == id)
            return true;
    return false;
}

static void held_del(sagent *a, uint64_t id)
{
    for (uint32_t k = 0; k < a->nheld; k++)
        if (a->held[k].id == id) {
            a->held[k] = a->held[--a->nheld];
            return;
        }
}

/* The work of an engine agent, as held (at attach, or from an STA1
 * snapshot record, which did not keep it). */
static int held_from_engine(orca_stats *s, sagent *a)
{
    const agent *ea = agent_get(s->e, a->id);
    a->nheld = 0;
    for (const ix *i = ea ? ea->work : NULL; i; i = i->anext)
        if (held_add(s, a, i->id, i->cls->q->id, i->cls->ch))
            return ORCA_ENOMEM;
    return ORCA_OK;
}

/* The agent of ev takes (delta +1) or lets go of (-1) ev's interaction. */
static void agent_work(orca_stats *s, const orca_event *ev, int delta)
{
    sagent *a = agent_ent(s, ev->agent);
    if (!a) {
        s->dropped++;
        return;
    }
    accrue(s, a);
    occ_leave(s, a);
    if (delta < 0 && a->work) {
        a->work--;
        held_del(a, ev->interaction);
    } else if (delta > 0) {
        a->work++;
        if (held_add(s, a, ev->interaction, ev->queue, ev->channel))
            s->dropped++;
    }
    occ_join(s, a);
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
        agent_work(s, ev, +1);
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
        bool lost = false;
        for (int k = 0; k < t.nh; k++)
            lost |= hist_add(s->e, t.h[k], b, 1) != ORCA_OK;
        if (lost)
            s->dropped++;
        t.n = 0;
        tg_agent(s, &t, agent_ent(s, ev->agent));
        ADD(&t, accepted, 1);
        w_del(s, ev->interaction);
        break;
    }
    case ORCA_EV_REJECTED:
        agent_work(s, ev, -1);
        if (ev->value == ORCA_WITHDRAW_AGENT_REMOVED)
            break; /* not the agent's choice */
        tg_work(s, &t, ev->queue, ev->channel, ev->agent);
        ADD(&t, rejected, 1);
        break;
    case ORCA_EV_OFFER_TIMEOUT:
        agent_work(s, ev, -1);
        tg_work(s, &t, ev->queue, ev->channel, ev->agent);
        ADD(&t, timeouts, 1);
        break;
    case ORCA_EV_COMPLETED:
        agent_work(s, ev, -1);
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
        agent_work(s, ev, -1);
        break;
    case ORCA_EV_TRANSFERRED:
        tg_work(s, &t, ev->queue, ev->channel, ev->agent);
        ADD(&t, transfers, 1);
        break;
    case ORCA_EV_ABANDONED:
    case ORCA_EV_CANCELLED:
    case ORCA_EV_TIMED_OUT: {
        if (ev->agent)
            agent_work(s, ev, -1); /* an offer was pending */
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
        occ_leave(s, a);
        a->presence = ev->type == ORCA_EV_AGENT_REMOVED ? ORCA_PRESENCE_OFFLINE : ev->presence;
        if (ev->type == ORCA_EV_AGENT_REMOVED) {
            a->work = a->nheld = 0;
            /* in no queue or channel now (as a restored record reads it:
             * fairness groups must not depend on a save and load) */
            a->chmask = 0;
            a->nserves = 0;
        }
        if (ev->type == ORCA_EV_AGENT_ADDED && elig_read(s, a))
            s->dropped++;
        occ_join(s, a);
        break;
    }
    case ORCA_EV_AGENT_UPDATED:
    case ORCA_EV_MEMBER_ADDED:
    case ORCA_EV_MEMBER_REMOVED:
        agent_elig(s, ev->agent);
        break;
    case ORCA_EV_QUEUE_ADDED:
        if (!queue_ent(s, ev->queue))
            s->dropped++;
        else
            queue_elig(s, ev->queue);
        break;
    case ORCA_EV_QUEUE_REMOVED: /* its members no longer count for it */
        U64MAP_FOREACH(&s->agents, slot) {
            sagent *a = slot->val;
            agent_elig(s, a->id);
        }
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
            if (!(rc = held_from_engine(s, a)) && !(rc = elig_read(s, a)))
                occ_join(s, a);
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
        agent_free_parts(s, a);
        mem_free(e, a, sizeof(*a));
    }
    u64map_free(e, &s->agents);
    mem_free(e, s->fair, (size_t)s->capfair * 2 * sizeof(double));
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

/* Nearest rank: the value of rank ceil(p n) among the n answered waits
 * (within 1/128 of it, hist.h); 0 when there are none. */
static uint64_t percentile(const hist *const *hs, uint32_t nh, double p)
{
    uint64_t n = 0;
    for (uint32_t k = 0; k < nh; k++)
        n += hist_total(hs[k]);
    return hist_rank(hs, nh, (uint64_t)ceil(p * (double)n));
}

/* The open stretch of a queue's or channel's occupancy counts, from
 * occ_since (or the window's start) to now. */
static void ent_open_stretch(const orca_stats *s, const sent *x, orca_span span, sfig *f)
{
    uint64_t from = x->occ_since;
    if (span == ORCA_SPAN_WINDOW) {
        uint64_t w = s->now - span_ms(s, ORCA_SPAN_WINDOW);
        if (w > from)
            from = w;
    }
    if (s->now > from) {
        f->t_work += x->n_work * (s->now - from);
        f->t_idle += x->n_idle * (s->now - from);
    }
}

/* (For the total, the caller sets occupancy: its counts are the agents'.) */
static void figures_of(const orca_stats *s, const sent *x, orca_span span, orca_figures *out)
{
    sfig f;
    const hist *hs[MAX_SLOTS];
    uint32_t nh = span_hists(s, x, span, hs);
    span_sum(s, &x->tot, x->slot, x->epoch, span, &f);
    ent_open_stretch(s, x, span, &f);
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
    out->wait_p50_ms = percentile(hs, nh, 0.50);
    out->wait_p90_ms = percentile(hs, nh, 0.90);
    out->wait_p99_ms = percentile(hs, nh, 0.99);
    out->handled = f.handled;
    out->aht_ms = ratio(f.handle_sum, f.handled);
    out->avg_wrapup_ms = ratio(f.wrap_sum, f.handled);
    out->avg_talk_ms = out->aht_ms - out->avg_wrapup_ms;
    out->occupancy = ratio(f.t_work, f.t_work + f.t_idle);
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
    figures_of(s, &s->total, span, out);
    /* open stretches of every agent's current state */
    sfig f;
    span_sum(s, &s->total.tot, s->total.slot, s->total.epoch, span, &f);
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
    figures_of(s, x, span, out);
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
    figures_of(s, &s->channels[ch], span, out);
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
    span_sum(s, &a->tot, a->slot, a->epoch, span, &f);
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

/* ---- fairness ------------------------------------------------------------------ */

static bool agent_in_group(const sagent *a, orca_group g, uint64_t id)
{
    if (g == ORCA_GROUP_ALL)
        return true;
    if (g == ORCA_GROUP_CHANNEL)
        return a->chmask >> id & 1u;
    for (uint32_t k = 0; k < a->nserves; k++)
        if (a->serves[k] == id)
            return true;
    return false;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Gini coefficient of v[0..n) (sorts v): sum |vi - vj| over all pairs /
 * (2 n^2 mean), computed from the sorted values as
 * 2 sum(i vi) / (n sum vi) - (n + 1) / n, i = 1..n. 0 for n < 2 or a zero
 * sum. */
static double gini(double *v, uint32_t n)
{
    qsort(v, n, sizeof(double), cmp_double);
    double sum = 0, wsum = 0;
    for (uint32_t k = 0; k < n; k++) {
        sum += v[k];
        wsum += (double)(k + 1) * v[k];
    }
    if (n < 2 || sum <= 0)
        return 0.0;
    double g = 2.0 * wsum / ((double)n * sum) - (double)(n + 1) / (double)n;
    return g > 0 ? g : 0.0; /* rounding of equal values */
}

int orca_stats_fairness(const orca_stats *s, orca_group g, uint64_t id, orca_span span,
                        orca_fairness *out)
{
    if (!s || !out || !span_ok(span) ||
        (g != ORCA_GROUP_ALL && g != ORCA_GROUP_QUEUE && g != ORCA_GROUP_CHANNEL) ||
        (g == ORCA_GROUP_ALL && id))
        return ORCA_EINVAL;
    if (g == ORCA_GROUP_QUEUE && (id > UINT32_MAX || !queue_get(s->e, (orca_queue_id)id)))
        return ORCA_ENOENT;
    if (g == ORCA_GROUP_CHANNEL && id >= s->e->nchannels)
        return ORCA_ENOENT;
    orca_stats *m = at_now(s);
    /* room for every agent (none yet: no room, and nothing to count) */
    double *occ = m->fair, *hd = m->fair ? m->fair + m->capfair : NULL;
    uint32_t n = 0, left = 0;
    U64MAP_FOREACH(&m->agents, slot) {
        const sagent *a = slot->val;
        if (!agent_in_group(a, g, id))
            continue;
        sfig f;
        span_sum(m, &a->tot, a->slot, a->epoch, span, &f);
        agent_open_stretch(m, a, span, &f);
        if (!f.t_idle && !f.t_work) {
            left++;
            continue;
        }
        occ[n] = ratio(f.t_work, f.t_work + f.t_idle);
        hd[n] = (double)f.handled;
        n++;
    }
    memset(out, 0, sizeof(*out));
    out->agents = n;
    out->left_out = left;
    out->span_ms = span_ms(m, span);
    if (!n)
        return ORCA_OK;
    out->occ_gini = gini(occ, n); /* sorted now */
    out->occ_min = occ[0];
    out->occ_max = occ[n - 1];
    out->occ_ratio = occ[0] > 0 ? occ[n - 1] / occ[0] : 0.0;
    out->handled_gini = gini(hd, n);
    out->handled_min = (uint64_t)hd[0];
    out->handled_max = (uint64_t)hd[n - 1];
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
 *   u32 n, { u64 id; u8 presence; u32 work; u64 since; fig tot; slots;
 *            u32 m, { u64 id; u32 q, ch } x m } x n
 *                                        agents, with the work they hold
 *   u32 n, { u64 id, arrival; u32 q, ch; u8 on, parked } x n
 *                                        waiting work: the total list in
 *                                        order, then the parked
 * where
 *   ent   = fig tot; hist htot; slots (each with its hist); u64 occ_since
 *   fig   = u32 mask of the nonzero counters, then those (sfig order)
 *   hist  = v n, { v bucket; v count } x n, ascending, nonzero (v: LEB128;
 *           buckets of hist.h)
 *   slots = u32 n, { u64 epoch; fig [; hist] } x n, the ring's used slots
 *
 * Every list of waiting work is sorted by (arrival, when it was last
 * linked): a node is linked on all its lists at once, after the nodes of
 * equal arrival. So the total list's order, restricted to any other list,
 * is that list's order, and appending the nodes in it rebuilds all three.
 *
 * The occupancy counts (n_work, n_idle) are not written: they are the sum
 * of the agents' shares, rebuilt from the agents' work and from what the
 * engine (restored before the stats) says each agent can take. STA1 (0.3)
 * has no occ_since (read as `now`) nor held work (read from the engine).
 */
#define STATS_TAG 0x32415453u /* "STA2" */
#define STATS_TAG_V1 0x31415453u /* "STA1": 0.3's, read too (see load_hist) */
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

static void save_hist(wbuf *w, const hist *h)
{
    w_v(w, h->n);
    for (uint32_t k = 0; k < h->n; k++) {
        w_v(w, h->v[k].b);
        w_v(w, h->v[k].c);
    }
}

/* The used slots of a ring (hslot NULL: an agent's, no histograms). */
static void save_slots(wbuf *w, const orca_stats *s, const sfig *slot, const hist *hslot,
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
    w_u64(w, x->occ_since);
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
        w_u32(w, a->nheld);
        for (uint32_t k = 0; k < a->nheld; k++) {
            w_u64(w, a->held[k].id);
            w_u32(w, a->held[k].q);
            w_u32(w, a->held[k].ch);
        }
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
    bool v1;           /* an STA1 record: 96 coarse buckets */
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

/* An STA1 bucket (of 96, bucket b read as 250 * 2^(b/4) ms) as the
 * bucket of hist.h holding that value: distinct buckets stay distinct and
 * in order (they are 19% apart, the new ones at most 1.6% wide). */
static uint32_t v1_bucket(uint32_t b)
{
    return hist_bucket((uint64_t)llround(250.0 * exp2(b / 4.0)));
}

/* Into h (empty, h may keep memory); ORCA_ENOMEM, or r->bad when it does
 * not decode. */
static int load_hist(sload *L, hist *h)
{
    rbuf *r = L->r;
    uint32_t n = L->v1 ? r_count(r, 5) : r_vcount(r, 2);
    int64_t prev = -1;
    hist_clear(h);
    if (n > HIST_NB)
        r->bad = true;
    for (uint32_t k = 0; k < n && !r->bad; k++) {
        uint32_t b, c;
        if (L->v1) {
            b = r_u8(r);
            c = r_u32(r);
            if (b >= 96) {
                r->bad = true;
                break;
            }
            b = v1_bucket(b);
        } else {
            b = r_v32(r);
            c = r_v32(r);
        }
        if (r->bad || b >= HIST_NB || (int64_t)b <= prev || !c) {
            r->bad = true;
            break;
        }
        if (hist_add(L->t->e, h, b, c))
            return ORCA_ENOMEM;
        prev = b;
    }
    return ORCA_OK;
}

/* A ring's used slots, each put back where its epoch says; read and
 * dropped when the window config changed. */
static int load_slots(sload *L, sfig *slot, hist *hslot, uint64_t *epoch)
{
    rbuf *r = L->r;
    uint32_t n = r_count(r, 12);
    int rc = ORCA_OK;
    hist h = { 0 };  /* read here, then kept in its slot or dropped */
    if (n > L->nslots)
        r->bad = true;
    for (uint32_t j = 0; j < n && !r->bad && !rc; j++) {
        sfig f;
        uint64_t ep = r_u64(r);
        load_fig(r, &f);
        if (hslot && (rc = load_hist(L, &h)))
            break;
        if (r->bad || !L->keep)
            continue;
        uint32_t k = (uint32_t)(ep % L->t->nslots);
        if (ep == UINT64_MAX || epoch[k] != UINT64_MAX) { /* a slot twice */
            r->bad = true;
            break;
        }
        epoch[k] = ep;
        slot[k] = f;
        if (hslot) { /* swap: the slot's empty array is reused next */
            hist tmp = hslot[k];
            hslot[k] = h;
            h = tmp;
        }
    }
    hist_free(L->t->e, &h);
    return rc;
}

static int load_ent(sload *L, sent *x)
{
    int rc;
    load_fig(L->r, &x->tot);
    if ((rc = load_hist(L, &x->htot)))
        return rc;
    if ((rc = load_slots(L, x->slot, x->hslot, x->epoch)))
        return rc;
    x->occ_since = L->v1 ? L->t->now : r_u64(L->r);
    if (x->occ_since > L->t->now)
        L->r->bad = true;
    return ORCA_OK;
}

static int load_channels(sload *L)
{
    orca_stats *t = L->t;
    int rc = sent_init(t, &t->total);
    for (uint32_t k = 0; !rc && k < ORCA_MAX_CHANNELS; k++)
        rc = sent_init(t, &t->channels[k]);
    if (rc)
        return rc;
    if ((rc = load_ent(L, &t->total)))
        return rc;
    uint32_t n = r_count(L->r, 9); /* an ent is at least 4 + 1 + 4 bytes */
    if (n > ORCA_MAX_CHANNELS)
        L->r->bad = true;
    for (uint32_t k = 0; k < n && !L->r->bad && !rc; k++)
        rc = load_ent(L, &t->channels[k]);
    return rc;
}

/* Queues are never removed, so every queue seen is one of the engine's. */
static int load_queues(sload *L)
{
    rbuf *r = L->r;
    uint32_t n = r_count(r, 13), prev = 0;
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
        int rc = load_ent(L, x);
        if (rc)
            return rc;
    }
    return ORCA_OK;
}

/* An agent's held work: at most its work count, each of a queue the
 * engine has (work is offered from a queue) on a channel that can be, and
 * work the restored engine has that agent hold (else its end would not
 * find it, and the held list would outgrow the work count). */
static int load_held(sload *L, sagent *a)
{
    rbuf *r = L->r;
    uint32_t n = r_count(r, 16);
    if (n > a->work)
        r->bad = true;
    for (uint32_t k = 0; k < n && !r->bad; k++) {
        uint64_t id = r_u64(r);
        uint32_t q = r_u32(r), ch = r_u32(r);
        const ix *i = ix_get(L->t->e, id);
        if (r->bad || !id || !q || q > L->t->e->nqueues || ch >= ORCA_MAX_CHANNELS || !i ||
            !i->agent || i->agent->id != a->id || held_has(a, id)) {
            r->bad = true;
            break;
        }
        if (held_add(L->t, a, id, q, ch))
            return ORCA_ENOMEM;
    }
    return ORCA_OK;
}

/* The work an agent holds in the engine (0 for an agent not there). */
static uint32_t agent_holds(const orca_engine *e, uint64_t id)
{
    const agent *ea = agent_get(e, id);
    return ea ? ea->noffered + ea->nbusy + ea->nwrap : 0;
}

/* Whether the saved work counts must be the engine's: events move both,
 * unless some were dropped (out of memory); STA1's are rebuilt. */
static bool exact_work(const sload *L)
{
    return !L->v1 && !L->t->dropped;
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
        if (r->bad || !id || presence > ORCA_PRESENCE_NOT_READY || u64map_get(&t->agents, id) ||
            (exact_work(L) && work != agent_holds(t->e, id))) {
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
        load_slots(L, a->slot, NULL, a->epoch); /* no histogram: no memory */
        int rc = L->v1 ? held_from_engine(t, a) : load_held(L, a);
        if (!rc)
            rc = elig_read(t, a);
        if (rc)
            return rc;
        occ_share(t, a, +1, false); /* rebuild the counts, time kept */
    }
    /* and every agent holding work is there */
    for (uint32_t k = 0; exact_work(L) && !r->bad && k < t->e->nagents; k++) {
        uint64_t id = t->e->agents[k]->id;
        if (agent_holds(t->e, id) && !u64map_get(&t->agents, id))
            r->bad = true;
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
    L->v1 = tag == STATS_TAG_V1;
    if (r->bad || (tag != STATS_TAG && !L->v1) || !nslots || nslots > MAX_SLOTS || window_ms < nslots ||
        slot_ms != window_ms / nslots)
        return ORCA_ECORRUPT;
    /* nothing after the clock of the engine restored with them: the next
     * event would set the figures' clock back, below the times read */
    if (t->start > t->now || t->now > t->e->now)
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
