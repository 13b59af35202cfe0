/*
 * codec.c: the byte encoding shared by the journal and its snapshots.
 */
#include "codec.h"
#include "orca_int.h"

void w_bytes(wbuf *w, const void *p, size_t n)
{
    if (w->n + n > w->cap && w->e && !w->bad) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->n + n)
            cap *= 2;
        uint8_t *np = mem_realloc(w->e, w->p, w->cap, cap);
        if (np) {
            w->p = np;
            w->cap = cap;
        } else {
            w->bad = true;
        }
    }
    if (w->n + n <= w->cap)
        memcpy(w->p + w->n, p, n);
    else
        w->bad = true;
    w->n += n;
}

void w_u8(wbuf *w, uint8_t v) { w_bytes(w, &v, 1); }

void w_u32(wbuf *w, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    w_bytes(w, b, 4);
}

void w_u64(wbuf *w, uint64_t v)
{
    w_u32(w, (uint32_t)v);
    w_u32(w, (uint32_t)(v >> 32));
}

void w_str(wbuf *w, const char *s)
{
    uint32_t n = (uint32_t)strlen(s);
    w_u32(w, n);
    w_bytes(w, s, n);
}

void w_levels(wbuf *w, const orca_skill_level *v, uint32_t n)
{
    w_u32(w, n);
    for (uint32_t k = 0; k < n; k++) {
        w_u32(w, v[k].skill);
        w_u8(w, v[k].level);
    }
}

void w_free(wbuf *w)
{
    if (w->e && w->p)
        mem_free(w->e, w->p, w->cap);
    w->p = NULL;
    w->n = w->cap = 0;
}

/* The next n bytes in place, or NULL (and bad) if there are not n. */
static const uint8_t *r_at(rbuf *r, size_t n)
{
    if (r->bad || n > r->n - r->at) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *p = r->p + r->at;
    r->at += n;
    return p;
}

void r_bytes(rbuf *r, void *out, size_t n)
{
    const uint8_t *p = r_at(r, n);
    if (p)
        memcpy(out, p, n);
    else
        memset(out, 0, n);
}

uint8_t r_u8(rbuf *r)
{
    const uint8_t *b = r_at(r, 1);
    return b ? b[0] : 0;
}

uint32_t r_u32(rbuf *r)
{
    const uint8_t *b = r_at(r, 4);
    if (!b)
        return 0;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

uint64_t r_u64(rbuf *r)
{
    uint64_t lo = r_u32(r);
    return lo | (uint64_t)r_u32(r) << 32;
}

/* n items of at least min_bytes each could follow: n, else bad and 0. */
static uint32_t count_ok(rbuf *r, uint32_t n, size_t min_bytes)
{
    if (r->bad || (min_bytes && n > (r->n - r->at) / min_bytes)) {
        r->bad = true;
        return 0;
    }
    return n;
}

uint32_t r_count(rbuf *r, size_t min_bytes)
{
    return count_ok(r, r_u32(r), min_bytes);
}

void *r_take(rbuf *r, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (r->bad || n > r->cap - r->used) {
        r->bad = true;
        return NULL;
    }
    void *p = r->scratch + r->used;
    r->used += n;
    return p;
}

const char *r_str(rbuf *r)
{
    uint32_t n = r_u32(r);
    if (n > 4096 || r->bad) {
        r->bad = true;
        return "";
    }
    char *s = r_take(r, (size_t)n + 1);
    if (!s)
        return "";
    r_bytes(r, s, n);
    s[n] = '\0';
    return s;
}

orca_skill_level *r_levels(rbuf *r, uint32_t *n)
{
    *n = r_u32(r);
    if (*n > 4096) {
        r->bad = true;
        *n = 0;
    }
    orca_skill_level *v = *n ? r_take(r, *n * sizeof(*v)) : NULL;
    for (uint32_t k = 0; v && k < *n; k++) {
        v[k].skill = r_u32(r);
        v[k].level = r_u8(r);
    }
    if (!v)
        *n = 0;
    return v;
}

/* ---- public definitions ---------------------------------------------------- */

void w_queue_def(wbuf *w, const orca_queue_def *d)
{
    w_str(w, d->name);
    w_u32(w, (uint32_t)d->strategy);
    w_u32(w, d->serve);
    w_levels(w, d->skills, d->nskills);
    w_u8(w, d->skills_tier);
    w_u32(w, d->max_size);
    w_u32(w, d->max_wait_ms);
    w_u32(w, d->aging_ms);
    w_u8(w, d->aging_max);
    w_u32(w, d->wrapup_ms);
    w_u32(w, d->sla_ms);
    w_u32(w, d->offer_timeout_ms);
    w_u32(w, d->nsteps);
    for (uint32_t k = 0; k < d->nsteps; k++) {
        w_u32(w, d->steps[k].after_ms);
        w_u32(w, (uint32_t)d->steps[k].action);
        w_u32(w, d->steps[k].skill);
        w_u8(w, d->steps[k].level);
    }
    w_u32(w, d->overflow_after_ms);
    w_u32(w, d->overflow_to);
    w_u32(w, d->sticky_ms);
    w_u32(w, d->sticky_within_ms);
    w_u32(w, d->callback_attempts);
    w_u32(w, d->callback_retry_ms);
    w_u32(w, d->resume_ms);
}

void r_queue_def(rbuf *r, orca_queue_def *d)
{
    /* every field is read below, so orca_queue_def_init's defaults would
     * all be overwritten: zero is enough (and keeps the codec from calling
     * up into queues.c) */
    memset(d, 0, sizeof(*d));
    d->name = r_str(r);
    d->strategy = (orca_strategy)r_u32(r);
    d->serve = r_u32(r);
    d->skills = r_levels(r, &d->nskills);
    d->skills_tier = r_u8(r);
    d->max_size = r_u32(r);
    d->max_wait_ms = r_u32(r);
    d->aging_ms = r_u32(r);
    d->aging_max = r_u8(r);
    d->wrapup_ms = r_u32(r);
    d->sla_ms = r_u32(r);
    d->offer_timeout_ms = r_u32(r);
    d->nsteps = r_u32(r);
    if (d->nsteps > ORCA_MAX_STEPS) {
        r->bad = true;
        d->nsteps = 0;
    }
    orca_step *steps = d->nsteps ? r_take(r, d->nsteps * sizeof(orca_step)) : NULL;
    for (uint32_t k = 0; steps && k < d->nsteps; k++) {
        steps[k].after_ms = r_u32(r);
        steps[k].action = (orca_step_action)r_u32(r);
        steps[k].skill = r_u32(r);
        steps[k].level = r_u8(r);
    }
    d->steps = steps;
    d->overflow_after_ms = r_u32(r);
    d->overflow_to = r_u32(r);
    d->sticky_ms = r_u32(r);
    d->sticky_within_ms = r_u32(r);
    d->callback_attempts = r_u32(r);
    d->callback_retry_ms = r_u32(r);
    d->resume_ms = r_u32(r);
}

void w_hours(wbuf *w, const orca_hours *h)
{
    w_u8(w, h != NULL);
    if (!h)
        return;
    w_u32(w, (uint32_t)h->utc_offset_min);
    w_u32(w, h->nranges);
    for (uint32_t k = 0; k < h->nranges; k++) {
        w_u32(w, h->ranges[k].day);
        w_u32(w, h->ranges[k].open_min);
        w_u32(w, h->ranges[k].close_min);
    }
    w_u32(w, h->nexceptions);
    for (uint32_t k = 0; k < h->nexceptions; k++) {
        w_u64(w, h->exceptions[k].from_ms);
        w_u64(w, h->exceptions[k].to_ms);
        w_u32(w, h->exceptions[k].open);
    }
    w_u32(w, (uint32_t)h->when_closed);
    w_u32(w, h->redirect_to);
}

const orca_hours *r_hours(rbuf *r, orca_hours *h)
{
    memset(h, 0, sizeof(*h));
    if (!r_u8(r))
        return NULL;
    h->utc_offset_min = (int32_t)r_u32(r);
    h->nranges = r_u32(r);
    if (h->nranges > ORCA_HOURS_MAX) {
        r->bad = true;
        h->nranges = 0;
    }
    orca_hours_range *rg = h->nranges ? r_take(r, h->nranges * sizeof(*rg)) : NULL;
    for (uint32_t k = 0; rg && k < h->nranges; k++) {
        rg[k].day = r_u32(r);
        rg[k].open_min = r_u32(r);
        rg[k].close_min = r_u32(r);
    }
    h->ranges = rg;
    h->nexceptions = r_u32(r);
    if (h->nexceptions > ORCA_HOURS_MAX) {
        r->bad = true;
        h->nexceptions = 0;
    }
    orca_hours_exception *x = h->nexceptions ? r_take(r, h->nexceptions * sizeof(*x)) : NULL;
    for (uint32_t k = 0; x && k < h->nexceptions; k++) {
        x[k].from_ms = r_u64(r);
        x[k].to_ms = r_u64(r);
        x[k].open = r_u32(r);
    }
    h->exceptions = x;
    h->when_closed = (orca_closed_action)r_u32(r);
    h->redirect_to = r_u32(r);
    return h;
}

/* ---- variable-length numbers (snapshots) ------------------------------------ */

/* 7 bits a byte, low first, the top bit saying more follow (LEB128): ids,
 * counters and zeros take a byte or two, times six. */
void w_v(wbuf *w, uint64_t v)
{
    uint8_t b[10];
    size_t n = 0;
    do {
        b[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        b[n++] |= v ? 0x80 : 0;
    } while (v);
    w_bytes(w, b, n);
}

uint64_t r_v(rbuf *r)
{
    /* (read in place: a snapshot is mostly these) */
    const uint8_t *p = r->p + r->at, *end = r->p + r->n;
    uint64_t v = 0;
    for (unsigned shift = 0; !r->bad && p < end && shift < 64; shift += 7) {
        uint8_t b = *p++;
        if (shift == 63 && b > 1)
            break; /* more than 64 bits */
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            r->at = (size_t)(p - r->p);
            return v;
        }
    }
    r->bad = true;
    return 0;
}

uint32_t r_v32(rbuf *r)
{
    uint64_t v = r_v(r);
    if (v > UINT32_MAX) {
        r->bad = true;
        return 0;
    }
    return (uint32_t)v;
}

uint32_t r_vcount(rbuf *r, size_t min_bytes)
{
    return count_ok(r, r_v32(r), min_bytes);
}
