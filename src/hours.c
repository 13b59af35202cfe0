/*
 * hours.c: opening hours per queue: weekly ranges in local time, dated
 * exceptions (holidays, special openings), and what a closed queue does
 * with new work (reject, hold until it opens, redirect).
 *
 * The clock is Unix time in ms. Whether a queue is open at t is a scan of
 * its (at most 64 + 64) ranges and exceptions; when it next opens or closes
 * is the earliest "edge" (a range's start or end on one of the next eight
 * local days, an exception's start or end) after t where the answer
 * changes. Both only run for work arriving at a closed queue or when asked,
 * never in routing.
 */
#include "orca_int.h"

#define DAY_MS 86400000ull
#define MIN_MS 60000ull
#define YEAR_MS (366ull * DAY_MS)
#define MAX_HOPS 8

struct qhours {
    int64_t offset_ms;
    orca_hours_range *ranges;
    uint32_t nranges;
    orca_hours_exception *ex;
    uint32_t nex;
    orca_closed_action when_closed;
    orca_queue_id redirect_to;
};

/* Local day number of clock time t (floor, so before 1970 works too). */
static int64_t local_day(const qhours *h, uint64_t t)
{
    int64_t local = (int64_t)t + h->offset_ms, d = (int64_t)DAY_MS;
    return local >= 0 ? local / d : -((-local + d - 1) / d);
}

static uint32_t weekday(int64_t day)
{
    return (uint32_t)(((day + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
}

static bool weekly_open(const qhours *h, uint64_t t)
{
    int64_t day = local_day(h, t);
    uint32_t wday = weekday(day);
    int64_t local = (int64_t)t + h->offset_ms;
    uint32_t min = (uint32_t)((local - day * (int64_t)DAY_MS) / (int64_t)MIN_MS);
    for (uint32_t k = 0; k < h->nranges; k++) {
        const orca_hours_range *r = &h->ranges[k];
        if (r->day == wday && min >= r->open_min && min < r->close_min)
            return true;
    }
    return false;
}

bool hours_open(const qhours *h, uint64_t t)
{
    if (!h)
        return true;
    bool open = weekly_open(h, t);
    for (uint32_t k = 0; k < h->nex; k++) /* the last matching one wins */
        if (t >= h->ex[k].from_ms && t < h->ex[k].to_ms)
            open = h->ex[k].open;
    return open;
}

static void consider(const qhours *h, uint64_t t, uint64_t edge, bool now_open, uint64_t *best)
{
    if (edge > t && edge < *best && hours_open(h, edge) != now_open)
        *best = edge;
}

/* The first instant after t at which openness differs from at t: every
 * change happens at an edge, so the earliest changing edge is the answer.
 * Weekly edges repeat, so eight days of them cover every week; exceptions
 * add their own. Searched up to a year ahead (then UINT64_MAX). */
uint64_t hours_next_change(const qhours *h, uint64_t t)
{
    if (!h)
        return UINT64_MAX;
    bool now_open = hours_open(h, t);
    uint64_t best = UINT64_MAX;
    for (uint32_t k = 0; k < h->nex; k++) {
        consider(h, t, h->ex[k].from_ms, now_open, &best);
        consider(h, t, h->ex[k].to_ms, now_open, &best);
    }
    /* weekly edges, walking day by day; exceptions may hide some weeks,
     * so keep walking (up to a year) until an edge changes the answer */
    int64_t day0 = local_day(h, t);
    for (int64_t d = day0; d <= day0 + 366; d++) {
        int64_t start = d * (int64_t)DAY_MS; /* local midnight, as local ms */
        uint32_t wday = weekday(d);
        int64_t midnight = start - h->offset_ms; /* as clock time */
        if (best != UINT64_MAX && midnight > 0 && (uint64_t)midnight > best)
            break;
        for (uint32_t k = 0; k < h->nranges; k++) {
            const orca_hours_range *r = &h->ranges[k];
            if (r->day != wday)
                continue;
            int64_t o = start + (int64_t)(r->open_min * MIN_MS) - h->offset_ms;
            int64_t c = start + (int64_t)(r->close_min * MIN_MS) - h->offset_ms;
            if (o > 0)
                consider(h, t, (uint64_t)o, now_open, &best);
            if (c > 0)
                consider(h, t, (uint64_t)c, now_open, &best);
        }
    }
    return best > t + YEAR_MS ? UINT64_MAX : best;
}

void hours_free(orca_engine *e, qhours *h)
{
    if (!h)
        return;
    mem_free(e, h->ranges, h->nranges * sizeof(*h->ranges));
    mem_free(e, h->ex, h->nex * sizeof(*h->ex));
    mem_free(e, h, sizeof(*h));
}

int hours_route(orca_engine *e, queue *q, uint64_t at, queue **to, uint64_t *due, bool *held)
{
    *held = false;
    *due = at;
    for (uint32_t hop = 0; hop <= MAX_HOPS; hop++) {
        const qhours *h = q->hours;
        if (!h || hours_open(h, at)) {
            *to = q;
            return ORCA_OK;
        }
        switch (h->when_closed) {
        case ORCA_CLOSED_HOLD: {
            uint64_t open = hours_next_change(h, at);
            if (open == UINT64_MAX || open >= ORCA_TIME_MAX)
                return ORCA_ECLOSED;
            *to = q;
            *due = open;
            *held = true;
            return ORCA_OK;
        }
        case ORCA_CLOSED_REDIRECT:
            q = queue_get(e, h->redirect_to);
            break;
        default:
            *to = q;
            return ORCA_ECLOSED;
        }
    }
    return ORCA_ECLOSED;
}

/* ---- public calls --------------------------------------------------------- */

static int hours_check(const orca_engine *e, const queue *q, const orca_hours *h)
{
    if ((h->nranges && !h->ranges) || (h->nexceptions && !h->exceptions))
        return ORCA_EINVAL;
    if (h->nranges > ORCA_HOURS_MAX || h->nexceptions > ORCA_HOURS_MAX ||
        h->utc_offset_min < -840 || h->utc_offset_min > 840)
        return ORCA_ERANGE;
    for (uint32_t k = 0; k < h->nranges; k++) {
        const orca_hours_range *r = &h->ranges[k];
        if (r->day > 6 || r->open_min >= 1440 || r->close_min > 1440 ||
            r->open_min >= r->close_min)
            return ORCA_ERANGE;
    }
    for (uint32_t k = 0; k < h->nexceptions; k++) {
        const orca_hours_exception *x = &h->exceptions[k];
        if (x->open > 1)
            return ORCA_EINVAL;
        if (x->from_ms >= x->to_ms || x->to_ms > ORCA_TIME_MAX)
            return ORCA_ERANGE;
    }
    switch (h->when_closed) {
    case ORCA_CLOSED_REJECT:
    case ORCA_CLOSED_HOLD:
        if (h->redirect_to)
            return ORCA_EINVAL;
        break;
    case ORCA_CLOSED_REDIRECT:
        if (!queue_get(e, h->redirect_to))
            return ORCA_ENOENT;
        if (h->redirect_to == q->id)
            return ORCA_EINVAL;
        break;
    default:
        return ORCA_EINVAL;
    }
    return ORCA_OK;
}

/* orca_queue_set_hours's work: check and copy hours (NULL: always open)
 * into q. ORCA_OK, or an error with q unchanged. */
int hours_set(orca_engine *e, queue *q, const orca_hours *hours)
{
    int rc;
    if (hours && (rc = hours_check(e, q, hours)))
        return rc;
    qhours *h = NULL;
    if (hours) {
        if (!(h = mem_calloc(e, sizeof(*h))))
            return ORCA_ENOMEM;
        h->ranges = hours->nranges ? mem_alloc(e, hours->nranges * sizeof(*h->ranges)) : NULL;
        h->ex = hours->nexceptions ? mem_alloc(e, hours->nexceptions * sizeof(*h->ex)) : NULL;
        h->nranges = hours->nranges;
        h->nex = hours->nexceptions;
        if ((h->nranges && !h->ranges) || (h->nex && !h->ex)) {
            hours_free(e, h);
            return ORCA_ENOMEM;
        }
        if (h->nranges)
            memcpy(h->ranges, hours->ranges, h->nranges * sizeof(*h->ranges));
        if (h->nex)
            memcpy(h->ex, hours->exceptions, h->nex * sizeof(*h->ex));
        h->offset_ms = (int64_t)hours->utc_offset_min * (int64_t)MIN_MS;
        h->when_closed = hours->when_closed;
        h->redirect_to = hours->redirect_to;
    }
    hours_free(e, q->hours);
    q->hours = h;
    return ORCA_OK;
}

int orca_queue_is_open(const orca_engine *e, orca_queue_id qid, int *open,
                       uint64_t *next_change_ms)
{
    if (!e || !open)
        return ORCA_EINVAL;
    const queue *q = queue_get(e, qid);
    if (!q)
        return ORCA_ENOENT;
    *open = hours_open(q->hours, e->now);
    if (next_change_ms)
        *next_change_ms = hours_next_change(q->hours, e->now);
    return ORCA_OK;
}

/* The definition h was set from (its arrays are h's own), for snapshots. */
void hours_def(const qhours *h, orca_hours *out)
{
    memset(out, 0, sizeof(*out));
    out->utc_offset_min = (int32_t)(h->offset_ms / (int64_t)MIN_MS);
    out->ranges = h->ranges;
    out->nranges = h->nranges;
    out->exceptions = h->ex;
    out->nexceptions = h->nex;
    out->when_closed = h->when_closed;
    out->redirect_to = h->redirect_to;
}

orca_queue_id hours_redirect(const qhours *h)
{
    return h && h->when_closed == ORCA_CLOSED_REDIRECT ? h->redirect_to : 0;
}
