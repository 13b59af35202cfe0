/*
 * customers.c: what the engine remembers about a customer, so the agent who
 * takes their next interaction (on any channel) already knows the story.
 *
 * A customer context holds the customer's live interactions (an intrusive
 * list through ix->cnext) and a ring of their finished ones, newest first.
 * Contexts with live work are pinned; the others sit in an LRU list ordered
 * by last activity, and are forgotten from its head when there are more
 * than max_customers or their last activity is older than customer_ttl_ms.
 * So memory is bounded by max_customers idle contexts plus one per live
 * interaction, whatever the load. Entries end in time order, so the
 * entries still within the TTL are always a prefix of the ring (newest
 * first): readers just stop at the first expired one.
 */
#include "orca_int.h"

static size_t cust_bytes(const cust *c)
{
    return sizeof(*c);
}

static void ring_free(orca_engine *e, cust *c)
{
    if (c->v)
        mem_free(e, c->v, c->cap * sizeof(orca_history_entry));
    c->v = NULL;
    c->cap = c->n = c->head = 0;
}

static const orca_history_entry *ring_at(const cust *c, uint32_t k)
{
    return &c->v[(c->head + k) % c->cap];
}

/* Entries still within the TTL (a prefix, newest first). */
static uint32_t ring_valid(const orca_engine *e, const cust *c)
{
    uint32_t k = 0;
    while (k < c->n && ring_at(c, k)->end_ms + e->cfg.customer_ttl_ms > e->now)
        k++;
    return k;
}

/* Make room so that every live interaction of c, plus one more, can be
 * recorded without allocating when it finishes (finishing cannot fail),
 * and without overwriting kept entries while the ring is below its max. */
static int ring_reserve(orca_engine *e, cust *c, uint32_t need)
{
    uint32_t max = e->cfg.history_per_customer;
    if (need > max)
        need = max;
    if (c->cap >= need)
        return ORCA_OK;
    uint32_t cap = c->cap ? c->cap : 2;
    while (cap < need)
        cap *= 2;
    if (cap > max)
        cap = max;
    orca_history_entry *v = mem_alloc(e, cap * sizeof(*v));
    if (!v)
        return ORCA_ENOMEM;
    for (uint32_t k = 0; k < c->n; k++)
        v[k] = *ring_at(c, k);
    if (c->v)
        mem_free(e, c->v, c->cap * sizeof(orca_history_entry));
    c->v = v;
    c->cap = cap;
    c->head = 0;
    return ORCA_OK;
}

/* ---- the LRU of contexts with no live work ------------------------------- */

static void lru_unlink(orca_engine *e, cust *c)
{
    if (c->lru_prev)
        c->lru_prev->lru_next = c->lru_next;
    else
        e->lru_head = c->lru_next;
    if (c->lru_next)
        c->lru_next->lru_prev = c->lru_prev;
    else
        e->lru_tail = c->lru_prev;
    c->lru_prev = c->lru_next = NULL;
    e->nlru--;
}

static void lru_append(orca_engine *e, cust *c)
{
    c->lru_next = NULL;
    c->lru_prev = e->lru_tail;
    if (e->lru_tail)
        e->lru_tail->lru_next = c;
    else
        e->lru_head = c;
    e->lru_tail = c;
    e->nlru++;
}

static void cust_destroy(orca_engine *e, cust *c)
{
    u64map_del(&e->cust_map, c->id);
    e->ncust--;
    ring_free(e, c);
    mem_free(e, c, cust_bytes(c));
}

static void forget(orca_engine *e, cust *c)
{
    lru_unlink(e, c);
    cust_destroy(e, c);
    e->ctot.forgotten++;
}

/* Forget idle contexts past max_customers or older than the TTL. The LRU
 * is in last-activity order, so only its head needs looking at. Run when a
 * public call ends (api_leave) and when the clock moves. */
void cust_expire(orca_engine *e)
{
    while (e->lru_head && (e->nlru > e->cfg.max_customers ||
                           e->lru_head->last_active + e->cfg.customer_ttl_ms <= e->now))
        forget(e, e->lru_head);
}

/* ---- the interaction's side ---------------------------------------------- */

/* Find or create id's context and reserve what attaching one more live
 * interaction needs. On a later failure the caller undoes a creation with
 * cust_discard, so a failed enqueue leaves no trace. */
int cust_prepare(orca_engine *e, uint64_t id, cust **out, bool *created)
{
    *created = false;
    cust *c = u64map_get(&e->cust_map, id);
    if (!c) {
        int rc = u64map_reserve(e, &e->cust_map, e->cust_map.n + 1);
        if (rc)
            return rc;
        if (!(c = mem_calloc(e, sizeof(*c))))
            return ORCA_ENOMEM;
        c->id = id;
        u64map_put(&e->cust_map, id, c);
        e->ncust++;
        *created = true;
    }
    if (ring_reserve(e, c, c->n + c->nopen + 1) != ORCA_OK) {
        if (*created)
            cust_destroy(e, c);
        *created = false;
        return ORCA_ENOMEM;
    }
    *out = c;
    return ORCA_OK;
}

void cust_discard(orca_engine *e, cust *c)
{
    cust_destroy(e, c);
}

/* i joins the end of c's live interactions. */
static void open_append(cust *c, ix *i)
{
    i->cust = c;
    i->cnext = NULL;
    i->cprev = c->open_tail;
    if (c->open_tail)
        c->open_tail->cnext = i;
    else
        c->open_head = i;
    c->open_tail = i;
    c->nopen++;
}

/* The previous interaction of i's conversation: its channel, or NOPOS. */
static uint32_t conversation_channel(const orca_engine *e, const cust *c, uint64_t conv)
{
    uint64_t best = 0;
    uint32_t ch = NOPOS;
    for (const ix *o = c->open_head; o; o = o->cnext)
        if (o->conversation == conv && o->arrival >= best) {
            best = o->arrival;
            ch = o->cls->ch;
        }
    if (ch != NOPOS)
        return ch; /* live work is more recent than anything finished */
    uint32_t valid = ring_valid(e, c);
    for (uint32_t k = 0; k < valid; k++)
        if (ring_at(c, k)->conversation == conv)
            return ring_at(c, k)->channel;
    return NOPOS;
}

/* Link new work i into c; returns the ORCA_ENQ_* bits it earns. A leg
 * that continues a contact (transfer, escalation) is not a new contact. */
uint32_t cust_attach(orca_engine *e, cust *c, ix *i, bool contact)
{
    uint32_t bits = 0;
    bool known = c->nopen || ring_valid(e, c);
    if (known && contact)
        bits |= ORCA_ENQ_RECONTACT;
    if (i->conversation) {
        uint32_t ch = conversation_channel(e, c, i->conversation);
        if (ch != NOPOS && ch != i->cls->ch)
            bits |= ORCA_ENQ_SWITCH;
    }
    if (!c->nopen && (c->lru_prev || e->lru_head == c))
        lru_unlink(e, c);
    open_append(c, i);
    c->contacts += contact;
    c->last_active = e->now;
    e->ctot.contacts += contact;
    if (bits & ORCA_ENQ_RECONTACT)
        e->ctot.recontacts++;
    if (bits & ORCA_ENQ_SWITCH)
        e->ctot.channel_switches++;
    return bits;
}

/* i leaves the engine: record it in c's history and unpin c when it was
 * c's last live interaction. Never allocates (cust_prepare reserved). */
void cust_detach(orca_engine *e, ix *i, orca_outcome outcome)
{
    /* outcome 0: the interaction carries on under a new record (a bot
     * escalation): unlinked, not recorded */
    cust *c = i->cust;
    if (!c)
        return;
    if (i->cprev)
        i->cprev->cnext = i->cnext;
    else
        c->open_head = i->cnext;
    if (i->cnext)
        i->cnext->cprev = i->cprev;
    else
        c->open_tail = i->cprev;
    i->cnext = i->cprev = NULL;
    i->cust = NULL;
    c->nopen--;
    c->last_active = e->now;
    if (c->cap && outcome) {
        c->head = (c->head + c->cap - 1) % c->cap;
        c->v[c->head] = (orca_history_entry){
            .interaction = i->id,
            .conversation = i->conversation,
            .queue = i->cls->q->id,
            .channel = i->cls->ch,
            .agent = i->answered_by,
            .arrival_ms = i->arrival,
            .answer_ms = i->answered,
            .end_ms = e->now,
            .outcome = outcome,
            .disposition = i->disposition,
        };
        if (c->n < c->cap)
            c->n++;
    }
    if (!c->nopen)
        lru_append(e, c); /* forgotten, if over the limits, when the call
                             ends: a transfer or escalation re-attaches it */
}

void cust_answered(orca_engine *e, ix *i)
{
    cust *c = i->cust;
    if (!c)
        return;
    c->last_agent = i->agent->id;
    c->last_answer = e->now;
}

/* The agent who last answered c, in conversation conv when it has an
 * answered interaction (live or kept), else in any; answered at most
 * within_ms ago (0: any time within the TTL). 0 if none. */
uint64_t cust_last_agent(const orca_engine *e, const cust *c, uint64_t conversation,
                         uint64_t within_ms)
{
    uint64_t who = 0, when = 0;
    if (conversation) {
        for (const ix *o = c->open_head; o; o = o->cnext)
            if (o->conversation == conversation && o->answered_by && o->answered >= when) {
                when = o->answered;
                who = o->answered_by;
            }
        /* kept entries: newest first; on a tie live work wins, then the
         * one that finished last (the first met) */
        uint32_t valid = ring_valid(e, c);
        for (uint32_t k = 0; k < valid; k++) {
            const orca_history_entry *h = ring_at(c, k);
            if (h->conversation == conversation && h->agent && (!who || h->answer_ms > when)) {
                when = h->answer_ms;
                who = h->agent;
            }
        }
    }
    if (!who && c->last_agent && c->last_answer + e->cfg.customer_ttl_ms > e->now) {
        who = c->last_agent;
        when = c->last_answer;
    }
    if (who && within_ms && when + within_ms < e->now)
        return 0;
    return who;
}

uint32_t cust_history_copy(const orca_engine *e, const cust *c, orca_history_entry *out,
                           uint32_t cap)
{
    uint32_t n = ring_valid(e, c);
    if (n > cap)
        n = cap;
    for (uint32_t k = 0; k < n; k++)
        out[k] = *ring_at(c, k);
    return n;
}

void cust_free_all(orca_engine *e)
{
    U64MAP_FOREACH(&e->cust_map, slot) {
        cust *c = slot->val;
        ring_free(e, c);
        mem_free(e, c, cust_bytes(c));
    }
    u64map_free(e, &e->cust_map);
    e->lru_head = e->lru_tail = NULL;
    e->ncust = e->nlru = 0;
}

/* For orca_engine_check: lists, counts and pins agree. */
int cust_check(const orca_engine *e)
{
    uint32_t n = 0, idle = 0;
    U64MAP_FOREACH(&e->cust_map, slot) {
        const cust *c = slot->val;
        n++;
        uint32_t open = 0;
        for (const ix *i = c->open_head; i; i = i->cnext) {
            if (i->cust != c || (i->cnext ? i->cnext->cprev != i : c->open_tail != i))
                return ORCA_ECORRUPT;
            open++;
        }
        if (open != c->nopen || c->n > c->cap || c->cap > e->cfg.history_per_customer)
            return ORCA_ECORRUPT;
        /* nothing happened after the clock (a restore must not bring in a
         * customer from the future: the LRU, kept in last-activity order,
         * would break at the next contact). (resume_arrival may be later:
         * a callback's slot.) */
        if (c->last_active > e->now || c->last_answer > e->now ||
            c->resume_until > e->now + UINT32_MAX)
            return ORCA_ECORRUPT;
        for (uint32_t k = 0; k < c->n; k++) {
            const orca_history_entry *h = ring_at(c, k);
            if (h->end_ms > e->now || h->answer_ms > h->end_ms)
                return ORCA_ECORRUPT;
        }
        if (!c->nopen)
            idle++;
        /* every live interaction can be recorded without allocating */
        uint32_t need = c->n + c->nopen;
        if (need > e->cfg.history_per_customer)
            need = e->cfg.history_per_customer;
        if (c->nopen && c->cap < need)
            return ORCA_ECORRUPT;
    }
    uint32_t lru = 0;
    uint64_t last = 0;
    for (const cust *c = e->lru_head; c; c = c->lru_next) {
        if (c->nopen || c->last_active < last || (c->lru_next ? c->lru_next->lru_prev != c
                                                             : e->lru_tail != c))
            return ORCA_ECORRUPT;
        last = c->last_active;
        lru++;
    }
    if (n != e->ncust || lru != e->nlru || idle != lru)
        return ORCA_ECORRUPT;
    return ORCA_OK;
}

/* ---- public calls --------------------------------------------------------- */

static const cust *cust_find(const orca_engine *e, uint64_t id)
{
    return id ? u64map_get(&e->cust_map, id) : NULL;
}

int orca_customer_info_get(const orca_engine *e, uint64_t customer, orca_customer_info *out)
{
    if (!e || !out || !customer)
        return ORCA_EINVAL;
    const cust *c = cust_find(e, customer);
    if (!c)
        return ORCA_ENOENT;
    memset(out, 0, sizeof(*out));
    out->customer = c->id;
    out->history = ring_valid(e, c);
    out->open = c->nopen;
    if (c->last_agent && c->last_answer + e->cfg.customer_ttl_ms > e->now) {
        out->last_agent = c->last_agent;
        out->last_answer_ms = c->last_answer;
    }
    out->last_active_ms = c->last_active;
    out->contacts = c->contacts;
    return ORCA_OK;
}

int orca_customer_history(const orca_engine *e, uint64_t customer, orca_history_entry *out,
                          uint32_t cap, uint32_t *n)
{
    if (!e || !customer || !n || (cap && !out))
        return ORCA_EINVAL;
    const cust *c = cust_find(e, customer);
    if (!c)
        return ORCA_ENOENT;
    *n = cust_history_copy(e, c, out, cap);
    return ORCA_OK;
}

int orca_customer_open(const orca_engine *e, uint64_t customer, uint64_t *ids, uint32_t cap,
                       uint32_t *n)
{
    if (!e || !customer || !n || (cap && !ids))
        return ORCA_EINVAL;
    const cust *c = cust_find(e, customer);
    if (!c)
        return ORCA_ENOENT;
    uint32_t k = 0;
    for (const ix *i = c->open_head; i && k < cap; i = i->cnext)
        ids[k++] = i->id;
    *n = k;
    return ORCA_OK;
}

/* orca_customer_forget's work: ORCA_ENOENT (unknown), ORCA_ESTATE (it has
 * live work) or ORCA_OK (forgotten). */
int cust_forget(orca_engine *e, uint64_t customer)
{
    cust *c = u64map_get(&e->cust_map, customer);
    if (!c)
        return ORCA_ENOENT;
    if (c->nopen)
        return ORCA_ESTATE;
    forget(e, c);
    return ORCA_OK;
}

int orca_customer_totals_get(const orca_engine *e, orca_customer_totals *out)
{
    if (!e || !out)
        return ORCA_EINVAL;
    *out = e->ctot;
    out->customers = e->ncust;
    return ORCA_OK;
}

/* ---- snapshots -------------------------------------------------------------- */

static void cust_save_one(const cust *c, wbuf *w)
{
    w_v(w, c->id);
    w_v(w, c->last_agent);
    w_v(w, c->last_answer);
    w_v(w, c->last_active);
    w_v(w, c->contacts);
    w_v(w, c->resume_q);
    w_v(w, c->resume_until);
    w_v(w, c->resume_arrival);
    w_v(w, c->resume_seq);
    w_v(w, c->cap);
    w_v(w, c->n);
    for (uint32_t k = 0; k < c->n; k++) { /* newest first */
        const orca_history_entry *h = ring_at(c, k);
        w_v(w, h->interaction);
        w_v(w, h->conversation);
        w_v(w, h->queue);
        w_v(w, h->channel);
        w_v(w, h->agent);
        w_v(w, h->arrival_ms);
        w_v(w, h->answer_ms);
        w_v(w, h->end_ms);
        w_v(w, (uint32_t)h->outcome);
        w_v(w, h->disposition);
    }
    w_v(w, c->nopen);
    for (const ix *i = c->open_head; i; i = i->cnext)
        w_v(w, i->id);
}

/* Idle customers first, in LRU order (so the LRU comes back as it was),
 * then those with live work. */
void cust_save(const orca_engine *e, wbuf *w)
{
    w_v(w, e->ncust);
    for (const cust *c = e->lru_head; c; c = c->lru_next)
        cust_save_one(c, w);
    U64MAP_FOREACH(&e->cust_map, slot) {
        const cust *c = slot->val;
        if (c->nopen)
            cust_save_one(c, w);
    }
}

/* Link live interaction `id` at the end of c's list (it must name one of
 * c's and not be linked yet). */
static bool cust_link_open(orca_engine *e, cust *c, uint64_t id)
{
    ix *i = ix_get(e, id);
    if (!i || i->customer != c->id || i->cust)
        return false;
    open_append(c, i);
    return true;
}

static int cust_load_one(orca_engine *e, rbuf *r)
{
    uint64_t id = r_v(r);
    if (r->bad || !id || u64map_get(&e->cust_map, id))
        return ORCA_ECORRUPT;
    int rc = u64map_reserve(e, &e->cust_map, e->cust_map.n + 1);
    cust *c = rc ? NULL : mem_calloc(e, sizeof(*c));
    if (!c)
        return ORCA_ENOMEM;
    c->id = id;
    u64map_put(&e->cust_map, id, c);
    e->ncust++;
    c->last_agent = r_v(r);
    c->last_answer = r_v(r);
    c->last_active = r_v(r);
    c->contacts = r_v(r);
    c->resume_q = r_v32(r);
    c->resume_until = r_v(r);
    c->resume_arrival = r_v(r);
    c->resume_seq = r_v(r);
    uint32_t cap = r_v32(r), n = r_v32(r);
    if (r->bad || cap > e->cfg.history_per_customer || n > cap)
        return ORCA_ECORRUPT;
    if (cap && !(c->v = mem_alloc(e, cap * sizeof(*c->v))))
        return ORCA_ENOMEM;
    c->cap = cap;
    for (uint32_t k = 0; k < n; k++) {
        orca_history_entry *h = &c->v[k];
        h->interaction = r_v(r);
        h->conversation = r_v(r);
        h->queue = r_v32(r);
        h->channel = r_v32(r);
        h->agent = r_v(r);
        h->arrival_ms = r_v(r);
        h->answer_ms = r_v(r);
        h->end_ms = r_v(r);
        h->outcome = (orca_outcome)r_v32(r);
        h->disposition = r_v32(r);
    }
    c->n = n;
    uint32_t open = r_vcount(r, 1);
    for (uint32_t k = 0; k < open; k++)
        if (!cust_link_open(e, c, r_v(r)))
            return ORCA_ECORRUPT;
    if (r->bad)
        return ORCA_ECORRUPT;
    if (!open) {
        if (e->lru_tail && e->lru_tail->last_active > c->last_active)
            return ORCA_ECORRUPT; /* the LRU is in last-activity order */
        lru_append(e, c);
    }
    return ORCA_OK;
}

int cust_load(orca_engine *e, rbuf *r)
{
    uint32_t n = r_vcount(r, 8);
    int rc = u64map_reserve(e, &e->cust_map, n);
    if (rc)
        return rc;
    for (uint32_t k = 0; k < n; k++)
        if ((rc = cust_load_one(e, r)))
            return rc;
    /* every live interaction with a customer must have been linked */
    U64MAP_FOREACH(&e->ix_map, slot) {
        const ix *i = slot->val;
        if (!i->customer != !i->cust)
            return ORCA_ECORRUPT;
    }
    return r->bad ? ORCA_ECORRUPT : ORCA_OK;
}
