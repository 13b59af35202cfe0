/*
 * journal.c: every successful state-changing call, appended to a file, so a
 * restarted process can play them again and be where it was.
 *
 * orca is deterministic: the same calls at the same clock give the same
 * state, so the journal records inputs (calls and clock steps), not state.
 * Each public call that changed something ends with one jrn_* call that
 * encodes its arguments into a preallocated buffer and writes one record:
 *
 *   [u32 length of the rest][u32 ~length][u64 seq][u8 op][payload]
 *   [u64 XXH64(seq..payload)]
 *
 * The length is stored twice (the second time inverted) so that a damaged
 * length is seen as damage, not taken for a record cut short at the end.
 *
 * Replay checks the whole file first (lengths, sequence, checksums), so a
 * damaged journal changes nothing; then decodes each record and makes the
 * same public call. A record cut short by a crash can only be the last one:
 * it is dropped and cut off the file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
/* unistd.h declares link(2), a name orca_int.h uses for a type; we never
 * call link(2), so its declaration is renamed out of the way */
#define link posix_link_unused
#include <unistd.h>
#undef link
#include <xxhash.h>

#include "orca_int.h"

#define MAGIC "ORCAJRNL"
#define FORMAT 1
#define BUF_CAP (256 * 1024)  /* the largest record: an agent with 1,024 skills */
#define REC_MIN (8 + 1 + 8)   /* seq, op, checksum */

struct journal {
    int fd;
    int eio_pending;          /* stopped inside a call: that call says EIO */
    orca_journal_config cfg;
    uint8_t *buf;
    size_t n;
    uint64_t seq, records, bytes, last_sync;
    int failed, os_error;
};

/* ---- encoding --------------------------------------------------------------- */

static void put(journal *j, const void *p, size_t n)
{
    if (j->n + n <= BUF_CAP) /* sized for the largest record: never short */
        memcpy(j->buf + j->n, p, n);
    j->n += n;
}

static void put_u8(journal *j, uint8_t v) { put(j, &v, 1); }
static void put_u32(journal *j, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    put(j, b, 4);
}
static void put_u64(journal *j, uint64_t v)
{
    put_u32(j, (uint32_t)v);
    put_u32(j, (uint32_t)(v >> 32));
}
static void put_str(journal *j, const char *s)
{
    uint32_t n = (uint32_t)strlen(s);
    put_u32(j, n);
    put(j, s, n);
}
static void put_levels(journal *j, const orca_skill_level *v, uint32_t n)
{
    put_u32(j, n);
    for (uint32_t k = 0; k < n; k++) {
        put_u32(j, v[k].skill);
        put_u8(j, v[k].level);
    }
}

/* Is a record to be written for this call? Starts it if so. */
static journal *begin(orca_engine *e, uint8_t op)
{
    journal *j = e->jrn;
    if (!j || j->failed || e->replaying)
        return NULL;
    j->n = 8; /* length and its check, filled in by commit */
    put_u64(j, j->seq + 1);
    put_u8(j, op);
    return j;
}

static int io_fail(journal *j, int err)
{
    j->failed = 1;
    j->os_error = err;
    close(j->fd);
    j->fd = -1;
    return ORCA_EIO;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (w == 0)
            return EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Finish and write the record begun by begin(). */
static int commit(orca_engine *e, journal *j)
{
    uint64_t sum = XXH64(j->buf + 8, j->n - 8, 0);
    put_u64(j, sum);
    uint32_t len = (uint32_t)(j->n - 8), chk = ~len;
    for (int k = 0; k < 4; k++) {
        j->buf[k] = (uint8_t)(len >> (8 * k));
        j->buf[4 + k] = (uint8_t)(chk >> (8 * k));
    }
    int err = write_all(j->fd, j->buf, j->n);
    if (err) {
        /* a partial record may be on disk: cut it, so the file ends at the
         * last good record (replay would drop it anyway) */
        if (ftruncate(j->fd, (off_t)j->bytes) != 0) { /* nothing more to do */ }
        return io_fail(j, err);
    }
    j->seq++;
    j->records++;
    j->bytes += j->n;
    bool sync = j->cfg.sync == ORCA_SYNC_EVERY ||
                (j->cfg.sync == ORCA_SYNC_INTERVAL && e->now - j->last_sync >= j->cfg.interval_ms);
    if (sync) {
        if (fdatasync(j->fd) != 0)
            return io_fail(j, errno);
        j->last_sync = e->now;
    }
    return ORCA_OK;
}

void jrn_diverged(orca_engine *e)
{
    if (e->replaying) {
        e->replay_diverged = true;
    } else if (e->jrn && !e->jrn->failed) {
        io_fail(e->jrn, ENOMEM);
        e->jrn->eio_pending = 1; /* the call under way reports it */
    }
}

/* No record to write: ORCA_OK, or ORCA_EIO once if the journal stopped
 * during this call. */
static int no_record(orca_engine *e)
{
    journal *j = e->jrn;
    if (j && j->eio_pending) {
        j->eio_pending = 0;
        return ORCA_EIO;
    }
    return ORCA_OK;
}

/* ---- the calls ------------------------------------------------------------------ */

int jrn_id_u32(orca_engine *e, uint8_t op, uint64_t id, uint32_t a, uint32_t b)
{
    journal *j = begin(e, op);
    if (!j)
        return no_record(e);
    put_u64(j, id);
    put_u32(j, a);
    put_u32(j, b);
    return commit(e, j);
}

int jrn_str(orca_engine *e, uint8_t op, const char *s, uint32_t a, uint32_t b)
{
    journal *j = begin(e, op);
    if (!j)
        return no_record(e);
    put_str(j, s);
    put_u32(j, a);
    put_u32(j, b);
    return commit(e, j);
}

int jrn_queue(orca_engine *e, const orca_queue_def *d)
{
    journal *j = begin(e, J_QUEUE_ADD);
    if (!j)
        return no_record(e);
    put_str(j, d->name);
    put_u32(j, (uint32_t)d->strategy);
    put_u32(j, d->serve);
    put_levels(j, d->skills, d->nskills);
    put_u8(j, d->skills_tier);
    put_u32(j, d->max_size);
    put_u32(j, d->max_wait_ms);
    put_u32(j, d->aging_ms);
    put_u8(j, d->aging_max);
    put_u32(j, d->wrapup_ms);
    put_u32(j, d->sla_ms);
    put_u32(j, d->offer_timeout_ms);
    put_u32(j, d->nsteps);
    for (uint32_t k = 0; k < d->nsteps; k++) {
        put_u32(j, d->steps[k].after_ms);
        put_u32(j, (uint32_t)d->steps[k].action);
        put_u32(j, d->steps[k].skill);
        put_u8(j, d->steps[k].level);
    }
    put_u32(j, d->overflow_after_ms);
    put_u32(j, d->overflow_to);
    put_u32(j, d->sticky_ms);
    put_u32(j, d->sticky_within_ms);
    put_u32(j, d->callback_attempts);
    put_u32(j, d->callback_retry_ms);
    put_u32(j, d->resume_ms);
    return commit(e, j);
}

int jrn_hours(orca_engine *e, orca_queue_id q, const orca_hours *h)
{
    journal *j = begin(e, J_HOURS);
    if (!j)
        return no_record(e);
    put_u32(j, q);
    put_u8(j, h != NULL);
    if (h) {
        put_u32(j, (uint32_t)h->utc_offset_min);
        put_u32(j, h->nranges);
        for (uint32_t k = 0; k < h->nranges; k++) {
            put_u32(j, h->ranges[k].day);
            put_u32(j, h->ranges[k].open_min);
            put_u32(j, h->ranges[k].close_min);
        }
        put_u32(j, h->nexceptions);
        for (uint32_t k = 0; k < h->nexceptions; k++) {
            put_u64(j, h->exceptions[k].from_ms);
            put_u64(j, h->exceptions[k].to_ms);
            put_u32(j, h->exceptions[k].open);
        }
        put_u32(j, (uint32_t)h->when_closed);
        put_u32(j, h->redirect_to);
    }
    return commit(e, j);
}

int jrn_agent(orca_engine *e, uint8_t op, const orca_agent_def *d)
{
    journal *j = begin(e, op);
    if (!j)
        return no_record(e);
    put_u64(j, d->id);
    put_levels(j, d->skills, d->nskills);
    put_u32(j, d->capacity);
    put_u32(j, d->nlimits);
    for (uint32_t k = 0; k < d->nlimits; k++) {
        put_u32(j, d->limits[k].channel);
        put_u32(j, d->limits[k].max);
    }
    put_u32(j, d->weight);
    return commit(e, j);
}

static void put_ixdef(journal *j, const orca_interaction_def *d)
{
    put_u64(j, d->id);
    put_u32(j, d->queue);
    put_u32(j, d->channel);
    put_u64(j, d->customer);
    put_u32(j, d->priority);
    put_levels(j, d->required, d->nrequired);
    put_levels(j, d->preferred, d->npreferred);
    put_u64(j, d->conversation);
    put_u64(j, d->agent);
    put_u32(j, d->agent_wait_ms);
    put_u32(j, d->agent_required);
    put_u64(j, d->not_before_ms);
    put_u32(j, d->early_ms);
    put_u32(j, d->bot);
}

int jrn_ix(orca_engine *e, uint8_t op, uint64_t from, const orca_interaction_def *d,
           uint32_t mode, int rc)
{
    journal *j = begin(e, op);
    if (!j)
        return no_record(e);
    put_u64(j, from);
    put_ixdef(j, d);
    put_u32(j, mode);
    put_u32(j, (uint32_t)-rc);
    return commit(e, j);
}

int jrn_callback(orca_engine *e, uint64_t id, orca_channel_id ch, uint64_t not_before)
{
    journal *j = begin(e, J_CALLBACK);
    if (!j)
        return no_record(e);
    put_u64(j, id);
    put_u32(j, ch);
    put_u64(j, not_before);
    return commit(e, j);
}

/* ---- the header ------------------------------------------------------------------ */

enum { HDR_LEN = 8 + 4 + 12 * 8 + 8 };

static void header(uint8_t *h, const orca_config *c)
{
    journal tmp = { .buf = h, .n = 0 };
    put(&tmp, MAGIC, 8);
    put_u32(&tmp, FORMAT);
    put_u64(&tmp, c->start_ms);
    put_u64(&tmp, c->seed);
    put_u64(&tmp, c->max_agents);
    put_u64(&tmp, c->max_interactions);
    put_u64(&tmp, c->max_queues);
    put_u64(&tmp, c->max_skills);
    put_u64(&tmp, c->offer_timeout_ms);
    put_u64(&tmp, c->reoffer_delay_ms);
    put_u64(&tmp, c->no_answer_limit);
    put_u64(&tmp, c->history_per_customer);
    put_u64(&tmp, c->max_customers);
    put_u64(&tmp, c->customer_ttl_ms);
    put_u64(&tmp, XXH64(h, tmp.n, 0));
}

/* ---- decoding ---------------------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t n, at;
    bool bad;
    uint8_t *scratch;       /* arrays decoded for one call */
    size_t used, cap;
} rd;

static void get(rd *r, void *out, size_t n)
{
    if (r->at + n > r->n) {
        r->bad = true;
        memset(out, 0, n);
        return;
    }
    memcpy(out, r->p + r->at, n);
    r->at += n;
}
static uint8_t get_u8(rd *r) { uint8_t v; get(r, &v, 1); return v; }
static uint32_t get_u32(rd *r)
{
    uint8_t b[4];
    get(r, b, 4);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static uint64_t get_u64(rd *r)
{
    uint64_t lo = get_u32(r);
    return lo | (uint64_t)get_u32(r) << 32;
}
static void *take(rd *r, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (r->used + n > r->cap) {
        r->bad = true;
        return NULL;
    }
    void *p = r->scratch + r->used;
    r->used += n;
    return p;
}
static const char *get_str(rd *r)
{
    uint32_t n = get_u32(r);
    if (n > 4096 || r->bad) {
        r->bad = true;
        return "";
    }
    char *s = take(r, (size_t)n + 1);
    if (!s)
        return "";
    get(r, s, n);
    s[n] = '\0';
    return s;
}
static orca_skill_level *get_levels(rd *r, uint32_t *n)
{
    *n = get_u32(r);
    if (*n > 4096) {
        r->bad = true;
        *n = 0;
    }
    orca_skill_level *v = *n ? take(r, *n * sizeof(*v)) : NULL;
    for (uint32_t k = 0; v && k < *n; k++) {
        v[k].skill = get_u32(r);
        v[k].level = get_u8(r);
    }
    if (!v)
        *n = 0;
    return v;
}

static void get_ixdef(rd *r, orca_interaction_def *d)
{
    orca_interaction_def_init(d);
    d->id = get_u64(r);
    d->queue = get_u32(r);
    d->channel = get_u32(r);
    d->customer = get_u64(r);
    d->priority = get_u32(r);
    d->required = get_levels(r, &d->nrequired);
    d->preferred = get_levels(r, &d->npreferred);
    d->conversation = get_u64(r);
    d->agent = get_u64(r);
    d->agent_wait_ms = get_u32(r);
    d->agent_required = get_u32(r);
    d->not_before_ms = get_u64(r);
    d->early_ms = get_u32(r);
    d->bot = get_u32(r);
}

/* Make the call one record describes. ORCA_ECORRUPT if it cannot be
 * decoded; otherwise what the call returned (which must be ORCA_OK, as it
 * was when it was written). */
static int play(orca_engine *e, uint8_t op, rd *r)
{
    uint64_t id;
    uint32_t a, b;
    switch (op) {
    case J_SKILL: {
        const char *name = get_str(r);
        get_u32(r);
        get_u32(r);
        orca_skill_id sid;
        return r->bad ? ORCA_ECORRUPT : orca_skill_intern(e, name, &sid);
    }
    case J_CHANNEL_ADD: {
        orca_channel_def d = { 0 };
        d.name = get_str(r);
        d.cost = get_u32(r);
        d.wrapup_ms = get_u32(r);
        orca_channel_id ch;
        return r->bad ? ORCA_ECORRUPT : orca_channel_add(e, &d, &ch);
    }
    case J_QUEUE_ADD: {
        orca_queue_def d;
        orca_queue_def_init(&d);
        d.name = get_str(r);
        d.strategy = (orca_strategy)get_u32(r);
        d.serve = get_u32(r);
        d.skills = get_levels(r, &d.nskills);
        d.skills_tier = get_u8(r);
        d.max_size = get_u32(r);
        d.max_wait_ms = get_u32(r);
        d.aging_ms = get_u32(r);
        d.aging_max = get_u8(r);
        d.wrapup_ms = get_u32(r);
        d.sla_ms = get_u32(r);
        d.offer_timeout_ms = get_u32(r);
        d.nsteps = get_u32(r);
        if (d.nsteps > ORCA_MAX_STEPS)
            return ORCA_ECORRUPT;
        orca_step *steps = d.nsteps ? take(r, d.nsteps * sizeof(orca_step)) : NULL;
        for (uint32_t k = 0; steps && k < d.nsteps; k++) {
            steps[k].after_ms = get_u32(r);
            steps[k].action = (orca_step_action)get_u32(r);
            steps[k].skill = get_u32(r);
            steps[k].level = get_u8(r);
        }
        d.steps = steps;
        d.overflow_after_ms = get_u32(r);
        d.overflow_to = get_u32(r);
        d.sticky_ms = get_u32(r);
        d.sticky_within_ms = get_u32(r);
        d.callback_attempts = get_u32(r);
        d.callback_retry_ms = get_u32(r);
        d.resume_ms = get_u32(r);
        orca_queue_id q;
        return r->bad ? ORCA_ECORRUPT : orca_queue_add(e, &d, &q);
    }
    case J_HOURS: {
        orca_queue_id q = get_u32(r);
        if (!get_u8(r))
            return r->bad ? ORCA_ECORRUPT : orca_queue_set_hours(e, q, NULL);
        orca_hours h = { 0 };
        h.utc_offset_min = (int32_t)get_u32(r);
        h.nranges = get_u32(r);
        if (h.nranges > ORCA_HOURS_MAX)
            return ORCA_ECORRUPT;
        orca_hours_range *rg = h.nranges ? take(r, h.nranges * sizeof(*rg)) : NULL;
        for (uint32_t k = 0; rg && k < h.nranges; k++) {
            rg[k].day = get_u32(r);
            rg[k].open_min = get_u32(r);
            rg[k].close_min = get_u32(r);
        }
        h.ranges = rg;
        h.nexceptions = get_u32(r);
        if (h.nexceptions > ORCA_HOURS_MAX)
            return ORCA_ECORRUPT;
        orca_hours_exception *x = h.nexceptions ? take(r, h.nexceptions * sizeof(*x)) : NULL;
        for (uint32_t k = 0; x && k < h.nexceptions; k++) {
            x[k].from_ms = get_u64(r);
            x[k].to_ms = get_u64(r);
            x[k].open = get_u32(r);
        }
        h.exceptions = x;
        h.when_closed = (orca_closed_action)get_u32(r);
        h.redirect_to = get_u32(r);
        return r->bad ? ORCA_ECORRUPT : orca_queue_set_hours(e, q, &h);
    }
    case J_AGENT_ADD:
    case J_AGENT_UPDATE: {
        orca_agent_def d;
        orca_agent_def_init(&d);
        d.id = get_u64(r);
        d.skills = get_levels(r, &d.nskills);
        d.capacity = get_u32(r);
        d.nlimits = get_u32(r);
        if (d.nlimits > ORCA_MAX_CHANNELS)
            return ORCA_ECORRUPT;
        orca_channel_limit *l = d.nlimits ? take(r, d.nlimits * sizeof(*l)) : NULL;
        for (uint32_t k = 0; l && k < d.nlimits; k++) {
            l[k].channel = get_u32(r);
            l[k].max = get_u32(r);
        }
        d.limits = l;
        d.weight = get_u32(r);
        if (r->bad)
            return ORCA_ECORRUPT;
        return op == J_AGENT_ADD ? orca_agent_add(e, &d) : orca_agent_update(e, &d);
    }
    case J_ENQUEUE:
    case J_TRANSFER:
    case J_ESCALATE: {
        orca_interaction_def d;
        uint64_t from = get_u64(r);
        get_ixdef(r, &d);
        uint32_t mode = get_u32(r);
        uint32_t code = get_u32(r); /* the answer it got, negated: small */
        if (r->bad || code > 64)
            return ORCA_ECORRUPT;
        int expect = -(int)code;
        int rc = op == J_ENQUEUE    ? orca_interaction_enqueue(e, &d)
                 : op == J_ESCALATE ? orca_interaction_escalate(e, from, &d)
                                    : orca_interaction_transfer(e, from, &d,
                                                                (orca_transfer_mode)mode);
        return rc == expect ? ORCA_OK : rc ? rc : ORCA_ECORRUPT;
    }
    case J_CALLBACK: {
        id = get_u64(r);
        a = get_u32(r);
        uint64_t nb = get_u64(r);
        return r->bad ? ORCA_ECORRUPT : orca_interaction_callback(e, id, a, nb);
    }
    case J_RECOVER:
        return jrn_recover_offers(e, NULL);
    default:
        break;
    }
    /* the rest: an id and two numbers */
    id = get_u64(r);
    a = get_u32(r);
    b = get_u32(r);
    if (r->bad)
        return ORCA_ECORRUPT;
    switch (op) {
    case J_ADVANCE: return orca_engine_advance(e, id);
    case J_CHANNEL_WRAPUP: return orca_channel_set_wrapup(e, (orca_channel_id)id, a);
    case J_MEMBER_ADD: return orca_queue_member_add(e, a, id, b);
    case J_MEMBER_REMOVE: return orca_queue_member_remove(e, a, id);
    case J_AGENT_REMOVE: return orca_agent_remove(e, id);
    case J_PRESENCE: return orca_agent_set_presence(e, id, (orca_presence)a, b);
    case J_RANK: return orca_agent_set_queue_rank(e, id, a, b);
    case J_ACCEPT: return orca_offer_accept(e, id);
    case J_REJECT: return orca_offer_reject(e, id);
    case J_END: return orca_interaction_end(e, id);
    case J_WRAPUP_DONE: return orca_interaction_wrapup_done(e, id);
    case J_ABANDON: return orca_interaction_abandon(e, id);
    case J_CANCEL: return orca_interaction_cancel(e, id);
    case J_PRIORITY: return orca_interaction_set_priority(e, id, a);
    case J_DISPOSITION: return orca_interaction_set_disposition(e, id, a);
    case J_SURVEY: return orca_interaction_set_survey(e, id, a, (int32_t)b);
    case J_UNREACHED: return orca_interaction_unreached(e, id);
    case J_FORGET: return orca_customer_forget(e, id);
    default: return ORCA_ECORRUPT;
    }
}

/* ---- files ------------------------------------------------------------------------- */

static void cfg_default(orca_journal_config *c, const orca_journal_config *in)
{
    if (in)
        *c = *in;
    else
        memset(c, 0, sizeof(*c));
    if (c->sync == ORCA_SYNC_INTERVAL && !c->interval_ms)
        c->interval_ms = 1000;
}

static bool engine_is_new(const orca_engine *e)
{
    return !e->nskills && e->nchannels == ORCA_CHANNEL_BUILTIN_COUNT && !e->nqueues &&
           !e->nagents && !e->nix && !e->ncust && e->ev_seq == 0 && e->now == e->cfg.start_ms;
}

static int jrn_attach(orca_engine *e, int fd, const orca_journal_config *cfg, uint64_t seq,
                      uint64_t bytes)
{
    journal *j = mem_calloc(e, sizeof(*j));
    uint8_t *buf = mem_alloc(e, BUF_CAP + 64);
    if (!j || !buf) {
        mem_free(e, j, sizeof(*j));
        mem_free(e, buf, BUF_CAP + 64);
        return ORCA_ENOMEM;
    }
    j->fd = fd;
    cfg_default(&j->cfg, cfg);
    j->buf = buf;
    j->seq = seq;
    j->bytes = bytes;
    j->last_sync = e->now;
    e->jrn = j;
    return ORCA_OK;
}

int orca_journal_open(orca_engine *e, const char *path, const orca_journal_config *cfg)
{
    if (!e || !path || !*path || (cfg && (unsigned)cfg->sync > ORCA_SYNC_INTERVAL))
        return ORCA_EINVAL;
    if (e->in_callback)
        return ORCA_EBUSY;
    if (e->jrn || !engine_is_new(e))
        return ORCA_ESTATE;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno == EEXIST ? ORCA_EEXIST : ORCA_EIO;
    uint8_t h[HDR_LEN];
    header(h, &e->cfg);
    int err = write_all(fd, h, sizeof(h));
    if (!err && fdatasync(fd) != 0)
        err = errno;
    if (err) {
        close(fd);
        unlink(path);
        return ORCA_EIO;
    }
    int rc = jrn_attach(e, fd, cfg, 0, sizeof(h));
    if (rc) {
        close(fd);
        unlink(path);
    }
    return rc;
}

void jrn_free(orca_engine *e)
{
    journal *j = e->jrn;
    if (!j)
        return;
    if (j->fd >= 0) {
        if (j->cfg.sync != ORCA_SYNC_NEVER)
            fdatasync(j->fd);
        close(j->fd);
    }
    mem_free(e, j->buf, BUF_CAP + 64);
    mem_free(e, j, sizeof(*j));
    e->jrn = NULL;
}

int orca_journal_close(orca_engine *e)
{
    if (!e)
        return ORCA_EINVAL;
    if (e->in_callback)
        return ORCA_EBUSY;
    if (!e->jrn)
        return ORCA_ESTATE;
    jrn_free(e);
    return ORCA_OK;
}

int orca_journal_info_get(const orca_engine *e, orca_journal_info *out)
{
    if (!e || !out)
        return ORCA_EINVAL;
    memset(out, 0, sizeof(*out));
    const journal *j = e->jrn;
    if (!j)
        return ORCA_ENOENT;
    out->records = j->records;
    out->bytes = j->bytes;
    out->last_seq = j->seq;
    out->failed = j->failed;
    out->os_error = j->os_error;
    return ORCA_OK;
}

/* Read a whole file with the engine's allocator. */
static int slurp(orca_engine *e, const char *path, uint8_t **out, size_t *n, int *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *err = errno;
        return errno == ENOENT ? ORCA_ENOENT : ORCA_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        *err = errno;
        close(fd);
        return ORCA_EIO;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *p = mem_alloc(e, size + 1);
    if (!p) {
        close(fd);
        return ORCA_ENOMEM;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, p + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            *err = r < 0 ? errno : EIO;
            close(fd);
            mem_free(e, p, size + 1);
            return ORCA_EIO;
        }
        got += (size_t)r;
    }
    close(fd);
    *out = p;
    *n = size;
    return ORCA_OK;
}

static int parse_header(const uint8_t *p, size_t n, orca_config *c)
{
    if (n < HDR_LEN || memcmp(p, MAGIC, 8) != 0)
        return ORCA_ECORRUPT;
    rd r = { .p = p, .n = HDR_LEN, .at = 8 };
    if (get_u32(&r) != FORMAT)
        return ORCA_ECORRUPT;
    orca_config_init(c);
    c->start_ms = get_u64(&r);
    c->seed = get_u64(&r);
    c->max_agents = (uint32_t)get_u64(&r);
    c->max_interactions = (uint32_t)get_u64(&r);
    c->max_queues = (uint32_t)get_u64(&r);
    c->max_skills = (uint32_t)get_u64(&r);
    c->offer_timeout_ms = (uint32_t)get_u64(&r);
    c->reoffer_delay_ms = (uint32_t)get_u64(&r);
    c->no_answer_limit = (uint32_t)get_u64(&r);
    c->history_per_customer = (uint32_t)get_u64(&r);
    c->max_customers = (uint32_t)get_u64(&r);
    c->customer_ttl_ms = get_u64(&r);
    uint64_t sum = get_u64(&r);
    return sum == XXH64(p, HDR_LEN - 8, 0) ? ORCA_OK : ORCA_ECORRUPT;
}

int orca_journal_read_config(const char *path, orca_config *out)
{
    if (!path || !out)
        return ORCA_EINVAL;
    /* only the header: a journal may be large */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? ORCA_ENOENT : ORCA_EIO;
    uint8_t h[HDR_LEN];
    size_t got = 0;
    while (got < sizeof(h)) {
        ssize_t r = read(fd, h + got, sizeof(h) - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            close(fd);
            return ORCA_EIO;
        }
        if (r == 0)
            break; /* shorter than a header: parse_header says so */
        got += (size_t)r;
    }
    close(fd);
    return parse_header(h, got, out);
}

static bool same_config(const orca_config *a, const orca_config *b)
{
    return a->start_ms == b->start_ms && a->seed == b->seed && a->max_agents == b->max_agents &&
           a->max_interactions == b->max_interactions && a->max_queues == b->max_queues &&
           a->max_skills == b->max_skills && a->offer_timeout_ms == b->offer_timeout_ms &&
           a->reoffer_delay_ms == b->reoffer_delay_ms &&
           a->no_answer_limit == b->no_answer_limit &&
           a->history_per_customer == b->history_per_customer &&
           a->max_customers == b->max_customers && a->customer_ttl_ms == b->customer_ttl_ms;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (p[k])
            return false;
    return true;
}

/* Check every record; the length of the good part, or ORCA_ECORRUPT.
 * Writes are sequential, so only the last record can be cut short (or, on
 * a power cut, left as zeros): anything else that does not check out is
 * damage. */
static int scan(const uint8_t *p, size_t n, size_t *good, uint64_t *records, uint64_t *bad)
{
    size_t at = HDR_LEN;
    uint64_t seq = 0;
    while (at < n) {
        if (n - at < 8)
            break; /* torn length */
        uint32_t len = le32(p + at);
        if (le32(p + at + 4) != ~len || len < REC_MIN || len > BUF_CAP) {
            if (all_zero(p + at, n - at))
                break; /* zeros where the last write did not land */
            *bad = at;
            return ORCA_ECORRUPT;
        }
        if (at + 8 + (size_t)len > n)
            break; /* torn body: its length is sound, its end is missing */
        const uint8_t *rec = p + at + 8;
        uint64_t sum = 0, rs = 0;
        for (int k = 7; k >= 0; k--) {
            sum = sum << 8 | rec[len - 8 + (size_t)k];
            rs = rs << 8 | rec[k];
        }
        if (sum != XXH64(rec, len - 8, 0) || rs != seq + 1) {
            if (at + 8 + (size_t)len == n && sum != XXH64(rec, len - 8, 0))
                break; /* the last record, half written */
            *bad = at;
            return ORCA_ECORRUPT;
        }
        seq++;
        at += 8 + (size_t)len;
    }
    *good = at;
    *records = seq;
    return ORCA_OK;
}

int orca_journal_replay(orca_engine *e, const char *path, const orca_journal_config *cfg,
                        orca_journal_info *info)
{
    orca_journal_info tmp;
    if (!info)
        info = &tmp;
    memset(info, 0, sizeof(*info));
    if (!e || !path || (cfg && (unsigned)cfg->sync > ORCA_SYNC_INTERVAL))
        return ORCA_EINVAL;
    if (e->in_callback)
        return ORCA_EBUSY;
    if (e->jrn || !engine_is_new(e))
        return ORCA_ESTATE;
    uint8_t *p;
    size_t n, good;
    int err = 0;
    int rc = slurp(e, path, &p, &n, &err);
    info->os_error = err;
    if (rc)
        return rc;
    orca_config c;
    uint64_t records = 0;
    if ((rc = parse_header(p, n, &c))) {
        info->bad_offset = 0;
    } else if (!same_config(&c, &e->cfg)) {
        rc = ORCA_EINVAL; /* build e with orca_journal_read_config's config */
    } else {
        rc = scan(p, n, &good, &records, &info->bad_offset);
    }
    uint8_t *scratch = rc ? NULL : mem_alloc(e, BUF_CAP);
    if (!rc && !scratch)
        rc = ORCA_ENOMEM;
    int fd = -1;
    if (!rc) {
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || (good < n && ftruncate(fd, (off_t)good) != 0) ||
            lseek(fd, (off_t)good, SEEK_SET) < 0) {
            info->os_error = errno;
            rc = ORCA_EIO;
        }
    }
    /* play every record with journaling off */
    size_t at = HDR_LEN;
    e->replaying = true;
    for (uint64_t k = 0; !rc && k < records; k++) {
        uint32_t len = le32(p + at);
        rd r = { .p = p + at + 8, .n = len - 8, .at = 8, .scratch = scratch, .cap = BUF_CAP };
        uint8_t op = get_u8(&r);
        int prc = play(e, op, &r);
        if (prc != ORCA_OK) {
            info->bad_offset = at; /* it did not do again what it did */
            rc = prc == ORCA_ENOMEM ? ORCA_ENOMEM : ORCA_ECORRUPT;
        }
        at += 8 + (size_t)len;
    }
    e->replaying = false;
    if (!rc && e->replay_diverged)
        rc = ORCA_ENOMEM; /* memory ran out where the engine absorbs it */
    e->replay_diverged = false;
    if (scratch)
        mem_free(e, scratch, BUF_CAP);
    mem_free(e, p, n + 1);
    info->records = records;
    if (rc) {
        if (fd >= 0)
            close(fd);
        return rc;
    }
    info->torn_bytes = n - good;
    info->bytes = good;
    info->last_seq = records;
    if ((rc = jrn_attach(e, fd, cfg, records, good))) {
        close(fd);
        return rc;
    }
    e->jrn->records = 0;
    return jrn_recover_offers(e, &info->recovered_offers);
}
