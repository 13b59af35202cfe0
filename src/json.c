/*
 * json.c: the figures and state as one JSON document (a dashboard's
 * snapshot), and one event as one JSON line (a log or a stream).
 *
 * Written through the caller's writer in small pieces; names are escaped;
 * numbers are integers or finite decimals, so any JSON parser reads it.
 */
#include "orca_int.h"

#include <math.h>
#include <stdio.h>

typedef struct jw {
    orca_write_fn fn;
    void *data;
    bool comma;               /* a value was written at this level */
} jw;

static void sep(jw *w)
{
    if (w->comma)
        w->fn(w->data, ",", 1);
    w->comma = true;
}

static void open_(jw *w, const char *key, char bracket)
{
    sep(w);
    if (key)
        out_printf(w->fn, w->data, "\"%s\":%c", key, bracket);
    else
        out_printf(w->fn, w->data, "%c", bracket);
    w->comma = false;
}

static void close_(jw *w, char bracket)
{
    out_printf(w->fn, w->data, "%c", bracket);
    w->comma = true;
}

static void kv_u(jw *w, const char *key, uint64_t v)
{
    sep(w);
    out_printf(w->fn, w->data, "\"%s\":%llu", key, (unsigned long long)v);
}

static void kv_d(jw *w, const char *key, double v)
{
    sep(w);
    out_printf(w->fn, w->data, "\"%s\":%.17g", key, isfinite(v) ? v : 0.0); /* reads back exactly */
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if it is not one. */
static int utf8_len(const unsigned char *p)
{
    int n = p[0] < 0x80 ? 1 : (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3
                          : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 2 && p[0] < 0xC2)
        return 0; /* overlong */
    for (int k = 1; k < n; k++)
        if ((p[k] & 0xC0) != 0x80)
            return 0;
    if (n == 3) {
        unsigned cp = (p[0] & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu);
        if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
    }
    if (n == 4) {
        unsigned cp = (p[0] & 0x07u) << 18 | (p[1] & 0x3Fu) << 12 | (p[2] & 0x3Fu) << 6 |
                      (p[3] & 0x3Fu);
        if (cp < 0x10000 || cp > 0x10FFFF)
            return 0;
    }
    return n;
}

/* A JSON string. Names are the host's (1..63 bytes, any byte but NUL):
 * bytes that are not valid UTF-8 become U+FFFD, so the output always is. */
static void kv_s(jw *w, const char *key, const char *v)
{
    sep(w);
    out_printf(w->fn, w->data, "\"%s\":\"", key);
    const unsigned char *p = (const unsigned char *)(v ? v : "");
    while (*p) {
        int n = utf8_len(p);
        if (*p == '"' || *p == '\\')
            out_printf(w->fn, w->data, "\\%c", *p);
        else if (*p < 0x20)
            out_printf(w->fn, w->data, "\\u%04x", *p);
        else if (n)
            w->fn(w->data, (const char *)p, (size_t)n);
        else
            out_printf(w->fn, w->data, "\\ufffd");
        p += n ? n : 1;
    }
    w->fn(w->data, "\"", 1);
}

static void figures(jw *w, const char *key, const orca_figures *f)
{
    open_(w, key, '{');
    kv_u(w, "span_ms", f->span_ms);
    kv_u(w, "entered", f->entered);
    kv_u(w, "answered", f->answered);
    kv_u(w, "abandoned", f->abandoned);
    kv_u(w, "abandoned_short", f->abandoned_short);
    kv_u(w, "timed_out", f->timed_out);
    kv_u(w, "answered_in_sl", f->answered_in_sl);
    kv_d(w, "service_level", f->service_level);
    kv_d(w, "sl_of_answered", f->sl_of_answered);
    kv_d(w, "asa_ms", f->asa_ms);
    kv_d(w, "avg_wait_ms", f->avg_wait_ms);
    kv_u(w, "wait_p50_ms", f->wait_p50_ms);
    kv_u(w, "wait_p90_ms", f->wait_p90_ms);
    kv_u(w, "wait_p99_ms", f->wait_p99_ms);
    kv_u(w, "handled", f->handled);
    kv_d(w, "aht_ms", f->aht_ms);
    kv_d(w, "avg_talk_ms", f->avg_talk_ms);
    kv_d(w, "avg_wrapup_ms", f->avg_wrapup_ms);
    kv_d(w, "occupancy", f->occupancy);
    kv_u(w, "offers", f->offers);
    kv_u(w, "accepted", f->accepted);
    kv_u(w, "rejected", f->rejected);
    kv_u(w, "offer_timeouts", f->offer_timeouts);
    kv_u(w, "transfers", f->transfers);
    kv_u(w, "csat_count", f->csat_count);
    kv_d(w, "csat_avg", f->csat_avg);
    kv_u(w, "fcr_count", f->fcr_count);
    kv_u(w, "fcr_resolved", f->fcr_resolved);
    kv_d(w, "fcr_rate", f->fcr_rate);
    kv_u(w, "recontacts", f->recontacts);
    close_(w, '}');
}

static void agent_figures(jw *w, const char *key, const orca_agent_figures *f)
{
    open_(w, key, '{');
    kv_u(w, "span_ms", f->span_ms);
    kv_u(w, "offers", f->offers);
    kv_u(w, "accepted", f->accepted);
    kv_u(w, "rejected", f->rejected);
    kv_u(w, "offer_timeouts", f->offer_timeouts);
    kv_u(w, "handled", f->handled);
    kv_d(w, "aht_ms", f->aht_ms);
    kv_u(w, "transfers", f->transfers);
    kv_u(w, "csat_count", f->csat_count);
    kv_d(w, "csat_avg", f->csat_avg);
    kv_u(w, "offline_ms", f->offline_ms);
    kv_u(w, "not_ready_ms", f->not_ready_ms);
    kv_u(w, "idle_ms", f->idle_ms);
    kv_u(w, "working_ms", f->working_ms);
    kv_d(w, "occupancy", f->occupancy);
    close_(w, '}');
}

static void fairness(jw *w, const char *key, const orca_fairness *f)
{
    open_(w, key, '{');
    kv_u(w, "span_ms", f->span_ms);
    kv_u(w, "agents", f->agents);
    kv_u(w, "left_out", f->left_out);
    kv_d(w, "occ_gini", f->occ_gini);
    kv_d(w, "occ_min", f->occ_min);
    kv_d(w, "occ_max", f->occ_max);
    kv_d(w, "occ_ratio", f->occ_ratio);
    kv_d(w, "handled_gini", f->handled_gini);
    kv_u(w, "handled_min", f->handled_min);
    kv_u(w, "handled_max", f->handled_max);
    close_(w, '}');
}

/* "fairness":{"since_start":{..},"window":{..}} of agent group g, id. */
static void fairness_both(jw *w, const orca_stats *s, orca_group g, uint64_t id)
{
    orca_fairness tot, win;
    if (orca_stats_fairness(s, g, id, ORCA_SPAN_TOTAL, &tot) ||
        orca_stats_fairness(s, g, id, ORCA_SPAN_WINDOW, &win))
        return;
    open_(w, "fairness", '{');
    fairness(w, "since_start", &tot);
    fairness(w, "window", &win);
    close_(w, '}');
}

static const char *presence_name(orca_presence p)
{
    switch (p) {
    case ORCA_PRESENCE_READY: return "ready";
    case ORCA_PRESENCE_NOT_READY: return "not_ready";
    default: return "offline";
    }
}

/* Both spans of one queue / channel / the total, with what is live now. */
static void entity(jw *w, int (*get)(const orca_stats *, uint32_t, orca_span, orca_figures *),
                   const orca_stats *s, uint32_t id, const char *name)
{
    orca_figures tot, win;
    if (get(s, id, ORCA_SPAN_TOTAL, &tot) || get(s, id, ORCA_SPAN_WINDOW, &win))
        return;
    open_(w, NULL, '{');
    kv_u(w, "id", id);
    kv_s(w, "name", name);
    kv_u(w, "waiting", tot.waiting);
    kv_u(w, "longest_wait_ms", tot.longest_wait_ms);
    figures(w, "since_start", &tot);
    figures(w, "window", &win);
}

static int queue_get_(const orca_stats *s, uint32_t id, orca_span sp, orca_figures *f)
{
    return orca_stats_queue(s, id, sp, f);
}

static int channel_get_(const orca_stats *s, uint32_t id, orca_span sp, orca_figures *f)
{
    return orca_stats_channel(s, id, sp, f);
}

int orca_stats_snapshot_json(const orca_stats *s, orca_write_fn fn, void *data)
{
    if (!s || !fn)
        return ORCA_EINVAL;
    const orca_engine *e = stats_engine(s);
    jw w = { fn, data, false };
    orca_figures tot, win;
    orca_counts c;
    orca_stats_total(s, ORCA_SPAN_TOTAL, &tot);
    orca_stats_total(s, ORCA_SPAN_WINDOW, &win);
    orca_engine_counts(e, &c);
    open_(&w, NULL, '{');
    kv_s(&w, "orca", orca_version());
    kv_u(&w, "time_ms", e->now);
    open_(&w, "counts", '{');
    kv_u(&w, "agents", c.agents);
    kv_u(&w, "agents_ready", c.agents_ready);
    kv_u(&w, "waiting", c.waiting);
    kv_u(&w, "offered", c.offered);
    kv_u(&w, "busy", c.busy);
    kv_u(&w, "wrapup", c.wrapup);
    kv_u(&w, "scheduled", c.scheduled);
    kv_u(&w, "bot", c.bot);
    close_(&w, '}');
    open_(&w, "total", '{');
    kv_u(&w, "waiting", tot.waiting);
    kv_u(&w, "longest_wait_ms", tot.longest_wait_ms);
    figures(&w, "since_start", &tot);
    figures(&w, "window", &win);
    fairness_both(&w, s, ORCA_GROUP_ALL, 0);
    close_(&w, '}');

    open_(&w, "queues", '[');
    for (uint32_t q = 1; q <= e->nqueues; q++) {
        if (!orca_queue_name(e, q)) /* removed */
            continue;
        entity(&w, queue_get_, s, q, orca_queue_name(e, q));
        double lambda, h;
        if (orca_stats_load(s, q, &lambda, &h) == ORCA_OK) {
            kv_d(&w, "arrivals_per_s", lambda);
            kv_d(&w, "handle_s", h);
        }
        uint64_t ewt;
        if (orca_stats_ewt(s, q, &ewt) == ORCA_OK)
            kv_u(&w, "ewt_ms", ewt);
        fairness_both(&w, s, ORCA_GROUP_QUEUE, q);
        close_(&w, '}');
    }
    close_(&w, ']');

    open_(&w, "channels", '[');
    for (uint32_t ch = 0; ch < e->nchannels; ch++) {
        entity(&w, channel_get_, s, ch, orca_channel_name(e, ch));
        fairness_both(&w, s, ORCA_GROUP_CHANNEL, ch);
        close_(&w, '}');
    }
    close_(&w, ']');

    open_(&w, "agents", '[');
    for (uint32_t k = 0; k < e->nagents; k++) {
        const agent *a = e->agents[k];
        orca_agent_figures at, aw;
        if (orca_stats_agent(s, a->id, ORCA_SPAN_TOTAL, &at) ||
            orca_stats_agent(s, a->id, ORCA_SPAN_WINDOW, &aw))
            continue;
        open_(&w, NULL, '{');
        kv_u(&w, "id", a->id);
        kv_s(&w, "presence", presence_name(a->presence));
        kv_u(&w, "capacity", a->capacity);
        kv_u(&w, "used", a->used);
        kv_u(&w, "work", a->noffered + a->nbusy + a->nwrap);
        agent_figures(&w, "since_start", &at);
        agent_figures(&w, "window", &aw);
        close_(&w, '}');
    }
    close_(&w, ']');
    kv_u(&w, "dropped_events", orca_stats_dropped(s));
    close_(&w, '}');
    fn(data, "\n", 1);
    return ORCA_OK;
}

/* ---- one event ------------------------------------------------------------ */

typedef struct sbuf {
    char *p;
    size_t len, cap, need;
} sbuf;

static void sb_write(void *data, const char *text, size_t len)
{
    sbuf *b = data;
    for (size_t k = 0; k < len; k++, b->need++)
        if (b->cap && b->need < b->cap - 1)
            b->p[b->need] = text[k];
}

size_t orca_event_json(const orca_event *ev, char *buf, size_t len)
{
    sbuf b = { buf, 0, buf ? len : 0, 0 };
    if (!ev) {
        if (b.cap)
            buf[0] = '\0';
        return 0;
    }
    jw w = { sb_write, &b, false };
    open_(&w, NULL, '{');
    kv_u(&w, "seq", ev->seq);
    kv_u(&w, "time_ms", ev->time_ms);
    kv_s(&w, "type", orca_event_name(ev->type));
    if (ev->interaction)
        kv_u(&w, "interaction", ev->interaction);
    if (ev->agent)
        kv_u(&w, "agent", ev->agent);
    if (ev->queue)
        kv_u(&w, "queue", ev->queue);
    if (ev->queue_from)
        kv_u(&w, "queue_from", ev->queue_from);
    if (ev->type == ORCA_EV_CHANNEL_ADDED)
        kv_u(&w, "channel", ev->channel);
    if (ev->interaction) {
        kv_u(&w, "channel", ev->channel);
        kv_u(&w, "priority", ev->priority);
        kv_u(&w, "arrival_ms", ev->arrival_ms);
        kv_u(&w, "wait_ms", ev->wait_ms);
    }
    if (ev->customer)
        kv_u(&w, "customer", ev->customer);
    if (ev->conversation)
        kv_u(&w, "conversation", ev->conversation);
    if (ev->type == ORCA_EV_ENDED || ev->type == ORCA_EV_COMPLETED ||
        ev->type == ORCA_EV_ESCALATED || ev->type == ORCA_EV_CONTAINED)
        kv_u(&w, "duration_ms", ev->duration_ms);
    if (ev->type == ORCA_EV_ACCEPTED)
        kv_u(&w, "sla_met", ev->sla_met);
    if (ev->type == ORCA_EV_AGENT_PRESENCE || ev->type == ORCA_EV_AGENT_ADDED) {
        kv_s(&w, "presence", presence_name(ev->presence));
        kv_u(&w, "reason", ev->reason);
    }
    kv_u(&w, "value", ev->value); /* see each type; 0 is a value too */
    if (ev->other)
        kv_u(&w, "other", ev->other);
    if (ev->type == ORCA_EV_SCHEDULED)
        kv_u(&w, "due_ms", ev->due_ms);
    if (ev->type == ORCA_EV_COMPLETED) {
        kv_u(&w, "handle_ms", ev->handle_ms);
        if (ev->csat)
            kv_u(&w, "csat", ev->csat);
        if (ev->fcr >= 0)
            kv_u(&w, "fcr", (uint64_t)ev->fcr);
    }
    close_(&w, '}');
    if (b.cap)
        b.p[b.need < b.cap ? b.need : b.cap - 1] = '\0';
    return b.need;
}
