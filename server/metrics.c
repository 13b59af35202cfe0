/*
 * server/metrics.c: orca_stats figures as Prometheus text. Each family is
 * written whole (HELP, TYPE, then its samples) because the format wants a
 * family's samples together. Queues (from 1) and channels (from 0) are found by id, up
 * until the engine's count of them is met: ids are never reused, so a
 * removed one is skipped and the walk stays bounded.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

#define LINE_MAX_LEN 512
#define MAX_ID (1u << 24)

typedef struct out {
    orca_write_fn fn;
    void *data;
    int rc;
} out;

static void put(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out *o, const char *fmt, ...)
{
    char line[LINE_MAX_LEN];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line) {
        o->rc = ORCA_ENOMEM;
        return;
    }
    o->fn(o->data, line, (size_t)n);
}

/* A label value: backslash, double quote and newline escaped, as the
 * format says. Names are identifiers today, but the format must hold. */
static void label(char *dst, size_t cap, const char *src)
{
    size_t k = 0;
    for (; src && *src && k + 3 < cap; src++) {
        char c = *src;
        if (c == '\\' || c == '"' || c == '\n') {
            dst[k++] = '\\';
            c = c == '\n' ? 'n' : c;
        }
        dst[k++] = c;
    }
    dst[k] = '\0';
}

/* Which figure a family shows, and from which span. */
typedef enum what {
    W_WAITING, W_LONGEST, W_SL, W_ASA, W_EWT, W_ENTERED, W_ANSWERED, W_ABANDONED, W_OFFERS
} what;

typedef struct family {
    const char *name, *type, *help;
    what w;
    orca_span span;
} family;

static const family families[] = {
    { "orca_waiting", "gauge", "Interactions waiting now (not yet answered).", W_WAITING, ORCA_SPAN_TOTAL },
    { "orca_longest_wait_seconds", "gauge", "Longest wait of the interactions waiting now.", W_LONGEST, ORCA_SPAN_TOTAL },
    { "orca_service_level", "gauge", "Answered within the queue's SLA / (answered + abandoned - short abandons), 0..1, over the sliding window.", W_SL, ORCA_SPAN_WINDOW },
    { "orca_asa_seconds", "gauge", "Average speed of answer over the sliding window.", W_ASA, ORCA_SPAN_WINDOW },
    { "orca_ewt_seconds", "gauge", "Estimated wait for work entering the queue now (absent until the window has answers).", W_EWT, ORCA_SPAN_WINDOW },
    { "orca_entered_total", "counter", "Interactions that started waiting.", W_ENTERED, ORCA_SPAN_TOTAL },
    { "orca_answered_total", "counter", "Interactions answered by an agent.", W_ANSWERED, ORCA_SPAN_TOTAL },
    { "orca_abandoned_total", "counter", "Interactions abandoned before an answer.", W_ABANDONED, ORCA_SPAN_TOTAL },
    { "orca_offers_total", "counter", "Offers made to agents.", W_OFFERS, ORCA_SPAN_TOTAL },
};

static void sample(out *o, const family *f, const char *key, const char *name, const orca_figures *x)
{
    char v[LINE_MAX_LEN / 2];
    label(v, sizeof v, name);
    switch (f->w) {
    case W_WAITING: put(o, "%s{%s=\"%s\"} %u\n", f->name, key, v, x->waiting); break;
    case W_LONGEST: put(o, "%s{%s=\"%s\"} %.3f\n", f->name, key, v, (double)x->longest_wait_ms / 1000.0); break;
    case W_SL: put(o, "%s{%s=\"%s\"} %.6f\n", f->name, key, v, x->service_level); break;
    case W_ASA: put(o, "%s{%s=\"%s\"} %.3f\n", f->name, key, v, x->asa_ms / 1000.0); break;
    case W_ENTERED: put(o, "%s{%s=\"%s\"} %llu\n", f->name, key, v, (unsigned long long)x->entered); break;
    case W_ANSWERED: put(o, "%s{%s=\"%s\"} %llu\n", f->name, key, v, (unsigned long long)x->answered); break;
    case W_ABANDONED: put(o, "%s{%s=\"%s\"} %llu\n", f->name, key, v, (unsigned long long)x->abandoned); break;
    case W_OFFERS: put(o, "%s{%s=\"%s\"} %llu\n", f->name, key, v, (unsigned long long)x->offers); break;
    case W_EWT: break;
    }
}

orcad_walk orcad_walk_queues(const orca_engine *e)
{
    orca_counts n;
    orca_engine_counts(e, &n);
    return (orcad_walk){ 1, 0, n.queues };
}

orcad_walk orcad_walk_channels(const orca_engine *e)
{
    orca_counts n;
    orca_engine_counts(e, &n);
    return (orcad_walk){ 0, 0, n.channels };
}

/* The next id with a name, below MAX_ID so the walk stays bounded. */
static const char *walk_next(orcad_walk *w, const char *(*name_of)(const orca_engine *, uint32_t),
                             const orca_engine *e, uint32_t *id)
{
    while (w->seen < w->n && w->next < MAX_ID) {
        uint32_t k = w->next++;
        const char *name = name_of(e, k);
        if (name) {
            w->seen++;
            *id = k;
            return name;
        }
    }
    return NULL;
}

static const char *queue_name_of(const orca_engine *e, uint32_t id)
{
    return orca_queue_name(e, (orca_queue_id)id);
}

static const char *channel_name_of(const orca_engine *e, uint32_t id)
{
    return orca_channel_name(e, (orca_channel_id)id);
}

const char *orcad_queue_next(const orca_engine *e, orcad_walk *w, orca_queue_id *id)
{
    uint32_t k;
    const char *name = walk_next(w, queue_name_of, e, &k);
    if (name)
        *id = (orca_queue_id)k;
    return name;
}

const char *orcad_channel_next(const orca_engine *e, orcad_walk *w, orca_channel_id *id)
{
    uint32_t k;
    const char *name = walk_next(w, channel_name_of, e, &k);
    if (name)
        *id = (orca_channel_id)k;
    return name;
}

static void queues(out *o, const orca_engine *e, const orca_stats *s, const family *f)
{
    orca_figures x;
    uint64_t ms;
    orca_queue_id q;
    orcad_walk w = orcad_walk_queues(e);
    for (const char *name; (name = orcad_queue_next(e, &w, &q));) {
        if (f->w == W_EWT) {
            char v[LINE_MAX_LEN / 2];
            label(v, sizeof v, name);
            if (orca_stats_ewt(s, q, &ms) == ORCA_OK)
                put(o, "%s{queue=\"%s\"} %.3f\n", f->name, v, (double)ms / 1000.0);
        } else if (orca_stats_queue(s, q, f->span, &x) == ORCA_OK) {
            sample(o, f, "queue", name, &x);
        }
    }
}

static void channels(out *o, const orca_engine *e, const orca_stats *s, const family *f)
{
    orca_figures x;
    orca_channel_id ch;
    orcad_walk w = orcad_walk_channels(e);
    if (f->w == W_EWT)
        return; /* an estimate is per queue */
    for (const char *name; (name = orcad_channel_next(e, &w, &ch));)
        if (orca_stats_channel(s, ch, f->span, &x) == ORCA_OK)
            sample(o, f, "channel", name, &x);
}

int orcad_agent_states_get(const orca_engine *e, orcad_agent_states *st)
{
    orca_agent_info page[64];
    orca_cursor c = { 0 };
    uint32_t n;
    if (!e || !st)
        return ORCA_EINVAL;
    memset(st, 0, sizeof *st);
    do {
        int rc = orca_agent_list(e, &c, page, 64, &n);
        if (rc != ORCA_OK)
            return rc;
        for (uint32_t k = 0; k < n; k++) {
            const orca_agent_info *a = &page[k];
            if (a->presence == ORCA_PRESENCE_OFFLINE)
                st->offline++;
            else if (a->presence == ORCA_PRESENCE_NOT_READY)
                st->not_ready++;
            else if (a->busy)
                st->busy++;
            else if (a->wrapup)
                st->wrapup++;
            else if (a->offered)
                st->offered++;
            else
                st->ready++;
        }
    } while (n == 64);
    return ORCA_OK;
}

/* Agents by state: offline, not_ready, and of the READY ones, idle (no
 * work) or working (offered, busy or wrap-up). */
static void agents(out *o, const orca_engine *e)
{
    orcad_agent_states st;
    orcad_agent_states_get(e, &st);
    put(o, "# HELP orca_agents Agents by state now (idle and working are READY).\n");
    put(o, "# TYPE orca_agents gauge\n");
    put(o, "orca_agents{state=\"offline\"} %llu\n", (unsigned long long)st.offline);
    put(o, "orca_agents{state=\"not_ready\"} %llu\n", (unsigned long long)st.not_ready);
    put(o, "orca_agents{state=\"idle\"} %llu\n", (unsigned long long)st.ready);
    put(o, "orca_agents{state=\"working\"} %llu\n",
        (unsigned long long)(st.offered + st.busy + st.wrapup));
}

/* Fairness over the sliding window (orca_stats_fairness): one family per
 * figure, a sample for all agents, each queue and each channel. A group
 * with no agent counted (none ready in the window) has no sample, and the
 * max/min ratio none while the least occupied agent had no work: an
 * undefined figure is absent, not 0. */
typedef enum fwhat { F_GINI, F_RATIO, F_HANDLED } fwhat;

static const struct {
    const char *name, *help;
    fwhat w;
} ffamilies[] = {
    { "orca_fairness_gini", "Gini coefficient of agent occupancy (busy time per ready hour) in the group over the sliding window: 0 even, towards 1 uneven.", F_GINI },
    { "orca_fairness_max_min_ratio", "Highest / lowest agent occupancy in the group over the sliding window (absent while the lowest is 0).", F_RATIO },
    { "orca_fairness_handled_gini", "Gini coefficient of interactions handled per agent in the group over the sliding window.", F_HANDLED },
};

static void fsample(out *o, fwhat w, const char *name, const char *key, const char *lv,
                    const orca_fairness *x)
{
    char v[LINE_MAX_LEN / 2];
    label(v, sizeof v, lv);
    if (!x->agents || (w == F_RATIO && x->occ_ratio <= 0))
        return;
    double d = w == F_GINI ? x->occ_gini : w == F_RATIO ? x->occ_ratio : x->handled_gini;
    put(o, "%s{%s=\"%s\"} %.6f\n", name, key, v, d);
}

static void fairness(out *o, const orca_engine *e, const orca_stats *s)
{
    orca_fairness x;
    for (size_t k = 0; k < sizeof ffamilies / sizeof ffamilies[0]; k++) {
        const char *fam = ffamilies[k].name;
        fwhat w = ffamilies[k].w;
        put(o, "# HELP %s %s\n", fam, ffamilies[k].help);
        put(o, "# TYPE %s gauge\n", fam);
        if (orca_stats_fairness(s, ORCA_GROUP_ALL, 0, ORCA_SPAN_WINDOW, &x) == ORCA_OK)
            fsample(o, w, fam, "group", "all", &x);
        orca_queue_id q;
        orcad_walk qw = orcad_walk_queues(e);
        for (const char *name; (name = orcad_queue_next(e, &qw, &q));)
            if (orca_stats_fairness(s, ORCA_GROUP_QUEUE, q, ORCA_SPAN_WINDOW, &x) == ORCA_OK)
                fsample(o, w, fam, "queue", name, &x);
        orca_channel_id ch;
        orcad_walk cw = orcad_walk_channels(e);
        for (const char *name; (name = orcad_channel_next(e, &cw, &ch));)
            if (orca_stats_fairness(s, ORCA_GROUP_CHANNEL, ch, ORCA_SPAN_WINDOW, &x) == ORCA_OK)
                fsample(o, w, fam, "channel", name, &x);
    }
}

int orcad_metrics_write(const orca_engine *e, const orca_stats *s, orca_write_fn fn, void *data)
{
    if (!e || !s || !fn)
        return ORCA_EINVAL;
    out o = { fn, data, ORCA_OK };
    for (size_t k = 0; k < sizeof families / sizeof families[0]; k++) {
        const family *f = &families[k];
        put(&o, "# HELP %s %s\n", f->name, f->help);
        put(&o, "# TYPE %s %s\n", f->name, f->type);
        queues(&o, e, s, f);
        channels(&o, e, s, f);
    }
    agents(&o, e);
    fairness(&o, e, s);
    return o.rc;
}
