/* testutil.c: see testutil.h. */
#include "testutil.h"

#include <stdio.h>

/* ------------------------------------------------------------------------ */
/* Counting allocator                                                       */
/* ------------------------------------------------------------------------ */

/* Each block carries its size in a header, so every osize can be checked. */
typedef union tu_hdr {
    size_t size;
    max_align_t align;
} tu_hdr;

void tu_alloc_init(tu_alloc *a)
{
    memset(a, 0, sizeof(*a));
}

static int tu_alloc_should_fail(tu_alloc *a)
{
    if (a->paused)
        return 0;
    a->attempts++;
    if (a->fail_at == 0)
        return 0;
    if (a->attempts == a->fail_at || (a->fail_after && a->attempts > a->fail_at)) {
        a->failed++;
        return 1;
    }
    return 0;
}

void *tu_alloc_fn(void *ud, void *ptr, size_t osize, size_t nsize)
{
    tu_alloc *a = ud;
    a->calls++;
    if (nsize == 0) {
        if (ptr) {
            tu_hdr *h = (tu_hdr *)ptr - 1;
            if (h->size != osize)
                a->bad_osize++;
            a->live_bytes -= h->size;
            a->live_blocks--;
            free(h);
        }
        return NULL;
    }
    if (!ptr) {
        if (tu_alloc_should_fail(a))
            return NULL;
        tu_hdr *h = malloc(sizeof(tu_hdr) + nsize);
        if (!h)
            return NULL;
        h->size = nsize;
        memset(h + 1, 0xA5, nsize); /* poison: the engine must not expect zeros */
        a->live_bytes += nsize;
        a->live_blocks++;
        if (a->live_bytes > a->peak_bytes)
            a->peak_bytes = a->live_bytes;
        return h + 1;
    }
    tu_hdr *h = (tu_hdr *)ptr - 1;
    size_t old = h->size;
    if (old != osize)
        a->bad_osize++;
    if (nsize > old && tu_alloc_should_fail(a))
        return NULL;
    tu_hdr *nh = realloc(h, sizeof(tu_hdr) + nsize);
    if (!nh)
        return NULL;
    if (nsize > old)
        memset((char *)(nh + 1) + old, 0xA5, nsize - old);
    nh->size = nsize;
    a->live_bytes = a->live_bytes - old + nsize;
    if (a->live_bytes > a->peak_bytes)
        a->peak_bytes = a->live_bytes;
    return nh + 1;
}

/* ------------------------------------------------------------------------ */
/* Result codes                                                             */
/* ------------------------------------------------------------------------ */

const char *tu_rc_name(int rc)
{
    switch (rc) {
    case ORCA_OK: return "ORCA_OK";
    case ORCA_EINVAL: return "ORCA_EINVAL";
    case ORCA_ENOMEM: return "ORCA_ENOMEM";
    case ORCA_ENOENT: return "ORCA_ENOENT";
    case ORCA_EEXIST: return "ORCA_EEXIST";
    case ORCA_ESTATE: return "ORCA_ESTATE";
    case ORCA_ERANGE: return "ORCA_ERANGE";
    case ORCA_ELIMIT: return "ORCA_ELIMIT";
    case ORCA_EFULL: return "ORCA_EFULL";
    case ORCA_ETOOLONG: return "ORCA_ETOOLONG";
    case ORCA_EBUSY: return "ORCA_EBUSY";
    case ORCA_ECORRUPT: return "ORCA_ECORRUPT";
    case ORCA_ECLOSED: return "ORCA_ECLOSED";
    case ORCA_EIO: return "ORCA_EIO";
    case ORCA_ELOCKED: return "ORCA_ELOCKED";
    default: return "(not an orca code)";
    }
}

void tu_rc_(int got, int want, const char *expr, const char *file, int line)
{
    if (got == want)
        return;
    print_error("%s returned %d %s, expected %d %s\n", expr, got, tu_rc_name(got),
                want, tu_rc_name(want));
    _fail(file, line);
}

void tu_rc2_(int got, int want1, int want2, const char *expr, const char *file, int line)
{
    if (got == want1 || got == want2)
        return;
    print_error("%s returned %d %s, expected %s or %s\n", expr, got, tu_rc_name(got),
                tu_rc_name(want1), tu_rc_name(want2));
    _fail(file, line);
}

/* ------------------------------------------------------------------------ */
/* Dumps and snapshots                                                      */
/* ------------------------------------------------------------------------ */

void tu_buf_write(void *data, const char *text, size_t len)
{
    tu_buf *b = data;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (b->len + len + 1 > cap)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np)
            abort();
        b->p = np;
        b->cap = cap;
    }
    if (len)
        memcpy(b->p + b->len, text, len);
    b->len += len;
    b->p[b->len] = '\0';
}

void tu_buf_printf(tu_buf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n >= 0) /* even "" allocates: the result is never NULL */
        tu_buf_write(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

char *tu_dump_(const orca_engine *e, const char *file, int line)
{
    tu_buf b = {0};
    tu_buf_write(&b, "", 0);
    tu_rc_(orca_engine_dump(e, tu_buf_write, &b), ORCA_OK, "orca_engine_dump", file, line);
    return b.p;
}

static void tu_print_line(const char *label, const char *s, size_t pos)
{
    size_t start = pos;
    while (start > 0 && s[start - 1] != '\n')
        start--;
    size_t end = pos;
    while (s[end] && s[end] != '\n')
        end++;
    print_error("  %s: %.*s\n", label, (int)(end - start), s + start);
}

void tu_same_text_(const char *a, const char *b, const char *what,
                   const char *file, int line)
{
    if (strcmp(a, b) == 0)
        return;
    size_t i = 0, ln = 1;
    while (a[i] && a[i] == b[i]) {
        if (a[i] == '\n')
            ln++;
        i++;
    }
    print_error("%s differs at line %zu:\n", what, ln);
    tu_print_line("expected", a, i);
    tu_print_line("actual  ", b, i);
    if (strlen(a) < 400 && strlen(b) < 400)
        print_error("  expected \"%s\"\n  actual   \"%s\"\n", a, b);
    _fail(file, line);
}

void tu_snap_take_(tu_snap *s, const orca_engine *e, const char *file, int line)
{
    s->dump = tu_dump_(e, file, line);
    memset(&s->counts, 0, sizeof(s->counts));
    tu_rc_(orca_engine_counts(e, &s->counts), ORCA_OK, "orca_engine_counts", file, line);
    s->now = orca_engine_now(e);
}

void tu_snap_free(tu_snap *s)
{
    free(s->dump);
    s->dump = NULL;
}

#define TU_CMP_COUNT(f)                                                      \
    if (s->counts.f != c.f) {                                               \
        print_error("after %s: counts." #f " changed from %llu to %llu\n",  \
                    what, (unsigned long long)s->counts.f,                  \
                    (unsigned long long)c.f);                               \
        bad = 1;                                                            \
    }

static void tu_print_diff(const char *a, const char *b, const char *what)
{
    size_t i = 0, ln = 1;
    while (a[i] && a[i] == b[i]) {
        if (a[i] == '\n')
            ln++;
        i++;
    }
    print_error("%s differs at line %zu:\n", what, ln);
    tu_print_line("expected", a, i);
    tu_print_line("actual  ", b, i);
}

int tu_snap_diff_(tu_snap *s, const orca_engine *e, const char *what,
                  const char *file, int line)
{
    int bad = 0;
    char *d = tu_dump_(e, file, line);
    char msg[256];
    snprintf(msg, sizeof(msg), "dump after failed %s", what);
    if (strcmp(s->dump, d) != 0) {
        tu_print_diff(s->dump, d, msg);
        bad = 1;
    }
    free(s->dump);
    s->dump = NULL;
    free(d);
    orca_counts c;
    memset(&c, 0, sizeof(c));
    tu_rc_(orca_engine_counts(e, &c), ORCA_OK, "orca_engine_counts", file, line);
    TU_CMP_COUNT(skills) TU_CMP_COUNT(channels) TU_CMP_COUNT(queues)
    TU_CMP_COUNT(agents) TU_CMP_COUNT(agents_ready) TU_CMP_COUNT(interactions)
    TU_CMP_COUNT(waiting) TU_CMP_COUNT(offered) TU_CMP_COUNT(busy)
    TU_CMP_COUNT(wrapup) TU_CMP_COUNT(classes) TU_CMP_COUNT(listeners)
    TU_CMP_COUNT(events)
    if (orca_engine_now(e) != s->now) {
        print_error("after %s: clock moved from %llu to %llu\n", what,
                    (unsigned long long)s->now, (unsigned long long)orca_engine_now(e));
        bad = 1;
    }
    return bad;
}

void tu_snap_same_(tu_snap *s, const orca_engine *e, const char *what,
                   const char *file, int line)
{
    if (tu_snap_diff_(s, e, what, file, line))
        _fail(file, line);
}

/* ------------------------------------------------------------------------ */
/* Event recorder                                                           */
/* ------------------------------------------------------------------------ */

void tu_rec_fn(void *data, const orca_event *ev)
{
    tu_rec *r = data;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        orca_event *np = realloc(r->ev, cap * sizeof(*np));
        if (!np)
            abort();
        r->ev = np;
        r->cap = cap;
    }
    r->ev[r->n++] = *ev;
}

void tu_rec_clear(tu_rec *r)
{
    r->n = 0;
}

void tu_rec_free(tu_rec *r)
{
    free(r->ev);
    memset(r, 0, sizeof(*r));
}

size_t tu_rec_count(const tu_rec *r, orca_event_type t)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        if (t == 0 || r->ev[i].type == t)
            n++;
    return n;
}

const orca_event *tu_rec_nth(const tu_rec *r, orca_event_type t, size_t nth)
{
    for (size_t i = 0; i < r->n; i++)
        if (t == 0 || r->ev[i].type == t) {
            if (nth == 0)
                return &r->ev[i];
            nth--;
        }
    return NULL;
}

const orca_event *tu_rec_last(const tu_rec *r, orca_event_type t)
{
    for (size_t i = r->n; i > 0; i--)
        if (t == 0 || r->ev[i - 1].type == t)
            return &r->ev[i - 1];
    return NULL;
}

const char *tu_ev_name(orca_event_type t)
{
    static const char *const names[] = {
        "?", "ENQUEUED", "OFFERED", "ACCEPTED", "REJECTED", "OFFER_TIMEOUT",
        "ENDED", "COMPLETED", "ABANDONED", "CANCELLED", "TIMED_OUT",
        "REJECTED_FULL", "OVERFLOWED", "STEP", "PRIORITY", "AGENT_ADDED",
        "AGENT_UPDATED", "AGENT_REMOVED", "AGENT_PRESENCE", "MEMBER_ADDED",
        "MEMBER_REMOVED", "QUEUE_ADDED", "CHANNEL_ADDED", "SKILL_ADDED",
        "TARGET_RELEASED", "TRANSFERRED", "SCHEDULED", "DUE", "ESCALATED", "CONTAINED",
        "CHANNEL_CHANGED", "UNREACHED", "REJECTED_CLOSED", "QUEUE_REMOVED"
    };
    if ((int)t <= 0 || (size_t)t >= sizeof(names) / sizeof(names[0]))
        return "?";
    return names[t];
}

char *tu_rec_seq(const tu_rec *r, size_t from, uint64_t ix)
{
    tu_buf b = {0};
    tu_buf_write(&b, "", 0);
    for (size_t i = from; i < r->n; i++) {
        if (ix && r->ev[i].interaction != ix)
            continue;
        if (b.len)
            tu_buf_write(&b, " ", 1);
        const char *n = tu_ev_name(r->ev[i].type);
        tu_buf_write(&b, n, strlen(n));
    }
    return b.p;
}

/* ------------------------------------------------------------------------ */
/* Offer / withdraw recorder                                                */
/* ------------------------------------------------------------------------ */

static void tu_log(tu_offers *o, const char *fmt, ...)
{
    size_t len = strlen(o->log);
    if (len + 64 >= sizeof(o->log))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->log + len, sizeof(o->log) - len, fmt, ap);
    va_end(ap);
}

static void tu_offer_cb(void *data, const orca_offer *offer)
{
    tu_offers *o = data;
    if (o->noffers >= TU_MAX_OFFERS)
        return;
    size_t k = o->noffers++;
    o->offer[k] = *offer;
    o->action_rc[k] = 0;
    o->state_in_offer[k] = 0;
    tu_log(o, "%sO:%llu:%llu", o->log[0] ? " " : "",
           (unsigned long long)offer->interaction, (unsigned long long)offer->agent);
    if (!o->e)
        return;
    orca_interaction_info info;
    if (orca_interaction_info_get(o->e, offer->interaction, &info) == ORCA_OK)
        o->state_in_offer[k] = info.state;
    if (o->action_limit && o->acted >= o->action_limit)
        return;
    if (o->action == TU_OFFER_ACCEPT) {
        o->acted++;
        o->action_rc[k] = orca_offer_accept(o->e, offer->interaction);
    } else if (o->action == TU_OFFER_REJECT) {
        o->acted++;
        o->action_rc[k] = orca_offer_reject(o->e, offer->interaction);
    }
}

static void tu_withdraw_cb(void *data, const orca_offer *offer, orca_withdraw_reason reason)
{
    tu_offers *o = data;
    if (o->nwithdrawn >= TU_MAX_OFFERS)
        return;
    size_t k = o->nwithdrawn++;
    o->withdrawn[k] = *offer;
    o->reason[k] = reason;
    tu_log(o, "%sW:%llu:%d", o->log[0] ? " " : "",
           (unsigned long long)offer->interaction, (int)reason);
    o->probe_rc[k] = 0;
    o->probe_info_rc[k] = 0;
    if (!o->e)
        return;
    /* A mutating call must be refused; a read-only one must work. */
    o->probe_rc[k] = orca_interaction_set_priority(o->e, offer->interaction, 1);
    orca_counts c;
    o->probe_info_rc[k] = orca_engine_counts(o->e, &c);
}

const orca_channel_callbacks tu_offer_callbacks = {tu_offer_cb, tu_withdraw_cb};

void tu_offers_init(tu_offers *o, orca_engine *e)
{
    memset(o, 0, sizeof(*o));
    o->e = e;
}

/* ------------------------------------------------------------------------ */
/* Fixture                                                                  */
/* ------------------------------------------------------------------------ */

orca_engine *tu_fx_new_(tu_fx *fx, const orca_config *cfg, const char *file, int line)
{
    memset(fx, 0, sizeof(*fx));
    tu_alloc_init(&fx->alloc);
    orca_config c;
    if (cfg)
        c = *cfg;
    else
        orca_config_init(&c);
    c.alloc = tu_alloc_fn;
    c.alloc_ud = &fx->alloc;
    tu_rc_(orca_engine_new(&c, &fx->e), ORCA_OK, "orca_engine_new", file, line);
    if (!fx->e) {
        print_error("orca_engine_new returned OK but no engine\n");
        _fail(file, line);
    }
    tu_rc_(orca_listener_add(fx->e, tu_rec_fn, &fx->rec, &fx->handle), ORCA_OK,
           "orca_listener_add", file, line);
    return fx->e;
}

void tu_fx_free_(tu_fx *fx, const char *file, int line)
{
    if (fx->e)
        tu_rc_(orca_engine_check(fx->e), ORCA_OK, "orca_engine_check (at free)", file, line);
    orca_engine_free(fx->e);
    fx->e = NULL;
    tu_rec_free(&fx->rec);
    if (fx->alloc.live_bytes != 0 || fx->alloc.live_blocks != 0) {
        print_error("leak: %zu bytes in %zu blocks still allocated after orca_engine_free\n",
                    fx->alloc.live_bytes, fx->alloc.live_blocks);
        _fail(file, line);
    }
    if (fx->alloc.bad_osize != 0) {
        print_error("%llu frees/resizes passed a wrong osize to the allocator\n",
                    (unsigned long long)fx->alloc.bad_osize);
        _fail(file, line);
    }
}

/* ------------------------------------------------------------------------ */
/* Builders                                                                 */
/* ------------------------------------------------------------------------ */

orca_skill_id tu_skill_(orca_engine *e, const char *name, const char *file, int line)
{
    orca_skill_id id = UINT32_MAX;
    tu_rc_(orca_skill_intern(e, name, &id), ORCA_OK, "orca_skill_intern", file, line);
    return id;
}

orca_queue_id tu_queue_def_(orca_engine *e, const orca_queue_def *def,
                            const char *file, int line)
{
    orca_queue_id q = ORCA_QUEUE_NONE;
    tu_rc_(orca_queue_add(e, def, &q), ORCA_OK, "orca_queue_add", file, line);
    if (q == ORCA_QUEUE_NONE) {
        print_error("orca_queue_add gave queue id 0\n");
        _fail(file, line);
    }
    return q;
}

orca_queue_id tu_queue_(orca_engine *e, const char *name, orca_strategy s,
                        const char *file, int line)
{
    orca_queue_def def;
    orca_queue_def_init(&def);
    def.name = name;
    def.strategy = s;
    return tu_queue_def_(e, &def, file, line);
}

static const orca_channel_limit tu_all_builtins[ORCA_CHANNEL_BUILTIN_COUNT] = {
    {ORCA_CHANNEL_VOICE, 1000}, {ORCA_CHANNEL_CHAT, 1000}, {ORCA_CHANNEL_EMAIL, 1000},
    {ORCA_CHANNEL_SMS, 1000}, {ORCA_CHANNEL_SOCIAL, 1000}, {ORCA_CHANNEL_VIDEO, 1000},
    {ORCA_CHANNEL_CALLBACK, 1000},
};

void tu_agent_def(orca_agent_def *def, uint64_t id, uint32_t capacity,
                  const orca_skill_level *skills, uint32_t nskills)
{
    orca_agent_def_init(def);
    def->id = id;
    def->capacity = capacity;
    def->skills = skills;
    def->nskills = nskills;
    def->limits = tu_all_builtins;
    def->nlimits = ORCA_CHANNEL_BUILTIN_COUNT;
}

void tu_agent_(orca_engine *e, uint64_t id, uint32_t capacity,
               const orca_skill_level *skills, uint32_t nskills,
               const char *file, int line)
{
    orca_agent_def def;
    tu_agent_def(&def, id, capacity, skills, nskills);
    tu_rc_(orca_agent_add(e, &def), ORCA_OK, "orca_agent_add", file, line);
}

void tu_enqueue_(orca_engine *e, uint64_t id, orca_queue_id q, orca_channel_id ch,
                 uint32_t prio, const char *file, int line)
{
    orca_interaction_def def;
    orca_interaction_def_init(&def);
    def.id = id;
    def.queue = q;
    def.channel = ch;
    def.priority = prio;
    tu_rc_(orca_interaction_enqueue(e, &def), ORCA_OK, "orca_interaction_enqueue", file, line);
}

orca_interaction_info tu_info_(const orca_engine *e, uint64_t id, const char *file, int line)
{
    orca_interaction_info info;
    memset(&info, 0, sizeof(info));
    tu_rc_(orca_interaction_info_get(e, id, &info), ORCA_OK, "orca_interaction_info_get",
           file, line);
    return info;
}

orca_agent_info tu_ainfo_(const orca_engine *e, uint64_t id, const char *file, int line)
{
    orca_agent_info info;
    memset(&info, 0, sizeof(info));
    tu_rc_(orca_agent_info_get(e, id, &info), ORCA_OK, "orca_agent_info_get", file, line);
    return info;
}

orca_counts tu_counts_(const orca_engine *e, const char *file, int line)
{
    orca_counts c;
    memset(&c, 0, sizeof(c));
    tu_rc_(orca_engine_counts(e, &c), ORCA_OK, "orca_engine_counts", file, line);
    return c;
}

orca_queue_info tu_qinfo_(const orca_engine *e, orca_queue_id q, const char *file, int line)
{
    orca_queue_info info;
    memset(&info, 0, sizeof(info));
    tu_rc_(orca_queue_info_get(e, q, &info), ORCA_OK, "orca_queue_info_get", file, line);
    return info;
}

int tu_state(const orca_engine *e, uint64_t id)
{
    orca_interaction_info info;
    if (orca_interaction_info_get(e, id, &info) != ORCA_OK)
        return 0;
    return (int)info.state;
}

uint64_t tu_agent_of(const orca_engine *e, uint64_t id)
{
    orca_interaction_info info;
    if (orca_interaction_info_get(e, id, &info) != ORCA_OK)
        return 0;
    return info.agent;
}

char *tu_name_of_len(char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)('a' + (int)(i % 26));
    buf[n] = '\0';
    return buf;
}

void tu_filter_from_env(void)
{
    const char *f = getenv("TU_FILTER");
    if (f && *f)
        cmocka_set_test_filter(f);
    const char *k = getenv("TU_SKIP");
    if (k && *k)
        cmocka_set_skip_filter(k);
}
