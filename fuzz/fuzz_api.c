/*
 * fuzz_api.c: libFuzzer harness for the public API.
 *
 * The input is read as a program: a few bytes of engine config, then a
 * sequence of calls (one byte picks the call, the bytes after it give its
 * arguments from small id spaces so calls meet each other's objects).
 * After every call:
 *  - orca_engine_check() must pass (capacity never exceeded, each
 *    interaction in one place, no waiting work with an eligible ready
 *    agent, every index consistent);
 *  - a call that failed must have left the engine as it was (same dump,
 *    same counts): orca.h's convention. (Refused enqueues, ORCA_EFULL and
 *    ORCA_ECLOSED, emit an event and so count; their dump is compared.)
 * Listings and positions (orca_agent_list, orca_interaction_list,
 * orca_queue_waiting_list, orca_agent_work_list, in pages of 1 to 4 from a
 * zeroed cursor to the end; orca_interaction_position) are read-only: their
 * dump is compared whatever they answer, and they are checked against each
 * other: id order (routing order for a queue's waiting work: effective
 * priority highest first, then arrival), every entry as info_get says, as
 * many entries as the counts, queue info or agent info say, each waiting
 * entry's position its index in the listing, a position only for WAITING
 * work and within its queue's waiting count. orca_queue_remove is a call
 * like the others (journaled, so the final replay covers it). Agents
 * without channel bits keep orca_agent_def_init's default limits; config
 * and queue offer timeouts reach ORCA_TIMEOUT_NEVER, the no-answer limit
 * ORCA_NO_ANSWER_NEVER.
 * The offer callback takes a byte too: accept, reject or nothing, from
 * inside the callback.
 * If the first byte says so, the engine journals (ORCA_SYNC_NEVER), compacts
 * now and then (op 29 with a high byte), and at
 * the end an engine replayed from the journal (offers accepted first, so
 * none is pending) must have the same dump. Another bit puts the engine on
 * an allocator that fails one allocation (or every one from then on),
 * chosen by the input: failed calls (ORCA_ENOMEM) must still change
 * nothing; a journal stopped by it must still replay.
 * Any violation aborts, so libFuzzer keeps the input.
 *
 * Build and run: make fuzz (FUZZ_SECONDS, default 60).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "orca.h"

typedef struct rd {
    const uint8_t *p;
    size_t n, at;
} rd;

static uint8_t u8(rd *r)
{
    return r->at < r->n ? r->p[r->at++] : 0;
}

static uint32_t u16(rd *r)
{
    uint32_t a = u8(r);
    return a | (uint32_t)u8(r) << 8;
}

static uint32_t u32(rd *r)
{
    uint32_t a = u16(r);
    return a | u16(r) << 16;
}

/* ------------------------------------------------------------------------ */

typedef struct text {
    char *p;
    size_t n, cap;
} text;

static void text_write(void *data, const char *s, size_t len)
{
    text *t = data;
    if (t->n + len + 1 > t->cap) {
        while (t->n + len + 1 > t->cap)
            t->cap = t->cap ? t->cap * 2 : 4096;
        t->p = realloc(t->p, t->cap);
        if (!t->p)
            abort();
    }
    memcpy(t->p + t->n, s, len);
    t->n += len;
    t->p[t->n] = 0;
}

/* The allocator: counts attempts, fails attempt g_fail_at (and every one
 * after it with g_fail_after). */
static uint64_t g_attempts, g_fail_at;
static int g_fail_after, g_failed;
static int g_paused; /* the harness's own reads: not counted, never failed */

static void *fz_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    if ((!ptr || nsize > osize) && !g_paused) {
        g_attempts++;
        if (g_fail_at && (g_attempts == g_fail_at || (g_fail_after && g_attempts > g_fail_at))) {
            g_failed = 1;
            return NULL;
        }
    }
    return realloc(ptr, nsize);
}

/* The harness's own reads (dump, check) run with memory. */
static char *dump(const orca_engine *e)
{
    g_paused = 1; /* (so the failing allocation does not depend on how
                   * often the harness dumps) */
    text t = { 0 };
    text_write(&t, "", 0);
    if (orca_engine_dump(e, text_write, &t) != ORCA_OK)
        abort();
    g_paused = 0;
    return t.p;
}

static int check(const orca_engine *e)
{
    g_paused = 1;
    int rc = orca_engine_check(e);
    g_paused = 0;
    return rc;
}

static void die(const char *what, const char *a, const char *b)
{
    fprintf(stderr, "fuzz_api: %s\n", what);
    if (a && b) {
        size_t i = 0, line = 1;
        while (a[i] && a[i] == b[i])
            if (a[i++] == '\n')
                line++;
        size_t s = i;
        while (s > 0 && a[s - 1] != '\n')
            s--;
        fprintf(stderr, "  first difference at line %zu:\n  before: %.*s\n  after:  %.*s\n",
                line, (int)strcspn(a + s, "\n"), a + s, (int)strcspn(b + s, "\n"), b + s);
    }
    abort();
}

/* ------------------------------------------------------------------------ */

#define NAGENTS 8
#define NIX 32
#define NCUST 6
#define NOPS 38 /* calls 0..37: op % NOPS */

static rd *g_in;
static orca_engine *g_e;
static char g_path[256];

static void on_offer(void *data, const orca_offer *o)
{
    (void)data;
    uint8_t b = u8(g_in);
    if (b % 4 == 1)
        (void)orca_offer_accept(g_e, o->interaction);
    else if (b % 4 == 2)
        (void)orca_offer_reject(g_e, o->interaction);
}

static void on_withdraw(void *data, const orca_offer *o, orca_withdraw_reason why)
{
    (void)data;
    (void)why;
    /* must be refused from here, and change nothing */
    if (orca_offer_accept(g_e, o->interaction) != ORCA_EBUSY)
        die("a mutating call from a withdraw callback was not refused", NULL, NULL);
}

static const orca_channel_callbacks g_cbs = { on_offer, on_withdraw };

static void levels(rd *r, orca_skill_level *v, uint32_t *n, uint32_t max)
{
    *n = u8(r) % (max + 1);
    for (uint32_t k = 0; k < *n; k++) {
        v[k].skill = u8(r) % 7; /* ids 1..6 and the invalid 0 */
        v[k].level = u8(r) % 12;  /* 0 and > 10 are invalid... or not */
        if (v[k].level == 11)
            v[k].level = 100;
    }
}

static void agent_def(rd *r, orca_agent_def *d, orca_skill_level *sk, orca_channel_limit *lim)
{
    orca_agent_def_init(d);
    d->id = 1 + u8(r) % NAGENTS;
    levels(r, sk, &d->nskills, 4);
    d->skills = sk;
    uint8_t c = u8(r);
    d->capacity = c < 200 ? 100 : c < 250 ? (uint32_t)(c - 190) * 10 : 0;
    uint8_t m = u8(r);
    if (m) { /* (none: orca_agent_def_init's default limits) */
        d->nlimits = 0;
        for (uint32_t ch = 0; ch < 8; ch++)
            if (m & (1u << ch)) {
                lim[d->nlimits].channel = ch;
                lim[d->nlimits].max = 1 + u8(r) % 4;
                d->nlimits++;
            }
        d->limits = lim;
    }
    d->weight = 1 + u8(r) % 5;
}

static void work_def(rd *r, orca_interaction_def *d, orca_skill_level *req,
                     orca_skill_level *pref)
{
    orca_interaction_def_init(d);
    d->id = 1 + u8(r) % NIX;
    d->queue = u8(r) % 5;
    d->channel = u8(r) % 9;
    uint8_t f = u8(r);
    d->customer = f & 1 ? 1 + u8(r) % NCUST : 0;
    d->priority = f & 2 ? u8(r) : 0;
    if (f & 4)
        levels(r, req, &d->nrequired, 3);
    d->required = req;
    if (f & 8)
        levels(r, pref, &d->npreferred, 2);
    d->preferred = pref;
    if (f & 16)
        d->conversation = 1 + u8(r) % 4;
    if (f & 32) {
        d->agent = u8(r) % (NAGENTS + 1);
        d->agent_wait_ms = u16(r) * 10;
        d->agent_required = u8(r) % 3;
    }
    if (f & 64) {
        d->not_before_ms = orca_engine_now(g_e) + u16(r) * 100;
        d->early_ms = u16(r) * 10;
    }
    if (f & 128)
        d->bot = u8(r) % 3;
}


/* ---- listings and positions: read-only, checked against each other ---- */

static int g_readonly; /* the call made reads only: its dump is compared */

#define LIST_MAX 64 /* more entries than the id spaces hold */

static void same_ix(const orca_engine *e, const orca_interaction_info *l, const char *what)
{
    orca_interaction_info g;
    if (orca_interaction_info_get(e, l->id, &g) != ORCA_OK || g.state != l->state ||
        g.queue != l->queue || g.agent != l->agent || g.priority != l->priority ||
        g.effective_priority != l->effective_priority || g.arrival_ms != l->arrival_ms ||
        g.channel != l->channel || g.customer != l->customer)
        die(what, NULL, NULL);
}

/* Every agent, pages of `page`: id order, each as orca_agent_info_get
 * says, as many as the counts say. */
static int list_agents(const orca_engine *e, uint32_t page)
{
    orca_cursor c = { 0 };
    orca_agent_info buf[4];
    uint64_t last = 0;
    uint32_t total = 0, n = 0;
    do {
        int rc = orca_agent_list(e, &c, buf, page, &n);
        if (rc != ORCA_OK)
            return rc;
        if (n > page)
            die("orca_agent_list: more than cap", NULL, NULL);
        for (uint32_t k = 0; k < n; k++) {
            orca_agent_info g;
            if (buf[k].id <= last || orca_agent_info_get(e, buf[k].id, &g) != ORCA_OK ||
                g.presence != buf[k].presence || g.used != buf[k].used ||
                g.offered != buf[k].offered || g.busy != buf[k].busy ||
                g.wrapup != buf[k].wrapup || g.idle_since_ms != buf[k].idle_since_ms)
                die("orca_agent_list: an entry out of order or not as info_get says", NULL,
                    NULL);
            last = buf[k].id;
        }
        total += n;
    } while (n == page && total < LIST_MAX);
    orca_counts cn;
    orca_engine_counts(e, &cn);
    if (total != cn.agents)
        die("orca_agent_list: not every agent", NULL, NULL);
    return ORCA_OK;
}

/* Every live interaction: id order, as info_get says, counts.interactions
 * of them. */
static int list_interactions(const orca_engine *e, uint32_t page)
{
    orca_cursor c = { 0 };
    orca_interaction_info buf[4];
    uint64_t last = 0;
    uint32_t total = 0, n = 0;
    do {
        int rc = orca_interaction_list(e, &c, buf, page, &n);
        if (rc != ORCA_OK)
            return rc;
        if (n > page)
            die("orca_interaction_list: more than cap", NULL, NULL);
        for (uint32_t k = 0; k < n; k++) {
            if (buf[k].id <= last)
                die("orca_interaction_list: not in id order", NULL, NULL);
            same_ix(e, &buf[k], "orca_interaction_list: an entry not as info_get says");
            last = buf[k].id;
        }
        total += n;
    } while (n == page && total < LIST_MAX);
    orca_counts cn;
    orca_engine_counts(e, &cn);
    if (total != cn.interactions)
        die("orca_interaction_list: not every live interaction", NULL, NULL);
    return ORCA_OK;
}

/* Queue q's waiting work: routing order (effective priority highest
 * first, then arrival), the queue's waiting count of it, each one's
 * position its index in the listing. */
static int list_waiting(const orca_engine *e, orca_queue_id q, uint32_t page)
{
    orca_queue_info qi;
    int qrc = orca_queue_info_get(e, q, &qi);
    orca_cursor c = { 0 };
    orca_interaction_info buf[4], prev;
    uint32_t total = 0, n = 0;
    do {
        int rc = orca_queue_waiting_list(e, q, &c, buf, page, &n);
        if (rc != ORCA_OK) {
            if (rc != qrc)
                die("orca_queue_waiting_list and orca_queue_info_get disagree", NULL, NULL);
            return rc;
        }
        if (qrc != ORCA_OK)
            die("orca_queue_waiting_list of a queue info_get does not know", NULL, NULL);
        if (n > page)
            die("orca_queue_waiting_list: more than cap", NULL, NULL);
        for (uint32_t k = 0; k < n; k++) {
            const orca_interaction_info *l = &buf[k];
            if (l->state != ORCA_STATE_WAITING || l->queue != q)
                die("orca_queue_waiting_list: an entry not waiting in that queue", NULL, NULL);
            same_ix(e, l, "orca_queue_waiting_list: an entry not as info_get says");
            if (total + k > 0 &&
                (l->effective_priority > prev.effective_priority ||
                 (l->effective_priority == prev.effective_priority &&
                  l->arrival_ms < prev.arrival_ms)))
                die("orca_queue_waiting_list: not in routing order", NULL, NULL);
            uint32_t ahead = UINT32_MAX, waiting = UINT32_MAX;
            if (orca_interaction_position(e, l->id, &ahead, &waiting) != ORCA_OK ||
                ahead != total + k || waiting != qi.waiting) {
                fprintf(stderr, "interaction %llu: listed %u-th of %u, position ahead %u of %u\n",
                        (unsigned long long)l->id, total + k, qi.waiting, ahead, waiting);
                die("orca_interaction_position disagrees with the routing-order listing", NULL,
                    NULL);
            }
            prev = *l;
        }
        total += n;
    } while (n == page && total < LIST_MAX);
    if (total != qi.waiting) {
        fprintf(stderr, "queue %u: %u listed, queue info says %u waiting\n", q, total,
                qi.waiting);
        die("orca_queue_waiting_list: not the queue's waiting count", NULL, NULL);
    }
    return ORCA_OK;
}

/* An agent's work: id order, held by it, as many as its info says. */
static int list_work(const orca_engine *e, uint64_t agent, uint32_t page)
{
    orca_agent_info ai;
    int arc = orca_agent_info_get(e, agent, &ai);
    orca_cursor c = { 0 };
    orca_interaction_info buf[4];
    uint64_t last = 0;
    uint32_t total = 0, n = 0;
    do {
        int rc = orca_agent_work_list(e, agent, &c, buf, page, &n);
        if (rc != ORCA_OK) {
            if (rc != arc)
                die("orca_agent_work_list and orca_agent_info_get disagree", NULL, NULL);
            return rc;
        }
        if (arc != ORCA_OK)
            die("orca_agent_work_list of an agent info_get does not know", NULL, NULL);
        if (n > page)
            die("orca_agent_work_list: more than cap", NULL, NULL);
        for (uint32_t k = 0; k < n; k++) {
            const orca_interaction_info *l = &buf[k];
            if (l->id <= last || l->agent != agent ||
                (l->state != ORCA_STATE_OFFERED && l->state != ORCA_STATE_BUSY &&
                 l->state != ORCA_STATE_WRAPUP))
                die("orca_agent_work_list: an entry out of order or not the agent's work", NULL,
                    NULL);
            same_ix(e, l, "orca_agent_work_list: an entry not as info_get says");
            last = l->id;
        }
        total += n;
    } while (n == page && total < LIST_MAX);
    if (total != ai.offered + ai.busy + ai.wrapup)
        die("orca_agent_work_list: not the agent's work count", NULL, NULL);
    return ORCA_OK;
}

/* One interaction's position: only for WAITING work, within its queue's
 * waiting count. */
static int position(const orca_engine *e, uint64_t id)
{
    uint32_t ahead = UINT32_MAX, waiting = UINT32_MAX;
    int rc = orca_interaction_position(e, id, &ahead, &waiting);
    orca_interaction_info ii;
    int irc = orca_interaction_info_get(e, id, &ii);
    if (rc == ORCA_OK) {
        orca_queue_info qi;
        if (irc != ORCA_OK || ii.state != ORCA_STATE_WAITING ||
            orca_queue_info_get(e, ii.queue, &qi) != ORCA_OK || waiting != qi.waiting ||
            ahead >= waiting)
            die("orca_interaction_position: not within the queue's waiting count", NULL, NULL);
    } else if (rc == ORCA_ESTATE) {
        if (irc != ORCA_OK || ii.state == ORCA_STATE_WAITING)
            die("orca_interaction_position: ORCA_ESTATE for waiting work", NULL, NULL);
    } else if (rc != (id ? irc : ORCA_EINVAL)) {
        die("orca_interaction_position and orca_interaction_info_get disagree", NULL, NULL);
    }
    return rc;
}

static int call(rd *r, uint8_t op)
{
    orca_engine *e = g_e;
    orca_skill_level sk[8], pref[8];
    orca_channel_limit lim[8];
    orca_agent_def ad;
    orca_interaction_def d;
    char name[16];
    uint64_t now = orca_engine_now(e);
    switch (op % NOPS) {
    case 0: {
        orca_skill_id s;
        snprintf(name, sizeof(name), "s%u", u8(r) % 7);
        return orca_skill_intern(e, name, &s);
    }
    case 1: {
        orca_channel_def cd;
        memset(&cd, 0, sizeof(cd));
        snprintf(name, sizeof(name), "c%u", u8(r) % 3);
        cd.name = name;
        cd.cost = u8(r);
        cd.wrapup_ms = u16(r);
        cd.callbacks = &g_cbs;
        orca_channel_id ch;
        return orca_channel_add(e, &cd, &ch);
    }
    case 2:
        return orca_channel_set_wrapup(e, u8(r) % 10, u16(r) * 4);
    case 3: {
        orca_queue_def qd;
        orca_queue_def_init(&qd);
        snprintf(name, sizeof(name), "q%u", u8(r) % 5);
        qd.name = name;
        qd.strategy = (orca_strategy)(u8(r) % (ORCA_STRATEGY_LEAST_BUSY + 2)); /* + 1 bad */
        qd.serve = u8(r) % 4;
        levels(r, sk, &qd.nskills, 2);
        qd.skills = sk;
        qd.skills_tier = u8(r);
        uint8_t f = u8(r);
        qd.max_size = f & 1 ? u8(r) % 5 : 0;
        qd.max_wait_ms = f & 2 ? u16(r) * 10 : 0;
        if (f & 4) {
            qd.aging_ms = u16(r);
            qd.aging_max = u8(r);
        }
        qd.wrapup_ms = f & 8 ? u16(r) : ORCA_WRAPUP_CHANNEL;
        qd.sla_ms = u16(r);
        qd.offer_timeout_ms = f & 16 ? u16(r) : 0;
        if (qd.offer_timeout_ms == 0xffff)
            qd.offer_timeout_ms = ORCA_TIMEOUT_NEVER;
        orca_step st[4];
        qd.nsteps = u8(r) % 5;
        for (uint32_t k = 0; k < qd.nsteps; k++) {
            st[k].after_ms = (k + 1) * 1000 * (1 + u8(r) % 30);
            st[k].action = (orca_step_action)(u8(r) % 4);
            st[k].skill = u8(r) % 7;
            st[k].level = u8(r) % 11;
        }
        qd.steps = st;
        if (f & 32) {
            qd.overflow_after_ms = u16(r) * 10;
            qd.overflow_to = u8(r) % 5;
        }
        if (f & 64) {
            qd.sticky_ms = u16(r) * 10;
            qd.sticky_within_ms = u16(r) * 100;
        }
        if (f & 128) {
            qd.callback_attempts = u8(r) % 5;
            qd.callback_retry_ms = u16(r) * 10;
            qd.resume_ms = u16(r) * 10;
        }
        orca_queue_id q;
        return orca_queue_add(e, &qd, &q);
    }
    case 4: {
        orca_queue_id q = u8(r) % 5;
        if (u8(r) % 4 == 0)
            return orca_queue_set_hours(e, q, NULL);
        orca_hours_range rg[4];
        orca_hours_exception ex[2];
        orca_hours h;
        memset(&h, 0, sizeof(h));
        h.utc_offset_min = (int32_t)(u16(r) % 1700) - 850;
        h.nranges = u8(r) % 5;
        for (uint32_t k = 0; k < h.nranges; k++) {
            rg[k].day = u8(r) % 8;
            rg[k].open_min = u16(r) % 1500;
            rg[k].close_min = rg[k].open_min + u16(r) % 900;
        }
        h.ranges = rg;
        h.nexceptions = u8(r) % 3;
        for (uint32_t k = 0; k < h.nexceptions; k++) {
            ex[k].from_ms = now + u16(r) * 60000ull;
            ex[k].to_ms = ex[k].from_ms + u16(r) * 1000ull;
            ex[k].open = u8(r) % 3;
        }
        h.exceptions = ex;
        h.when_closed = (orca_closed_action)(u8(r) % 4);
        h.redirect_to = u8(r) % 5;
        return orca_queue_set_hours(e, q, &h);
    }
    case 5:
        return orca_queue_member_add(e, u8(r) % 5, u8(r) % (NAGENTS + 1), u8(r));
    case 6:
        return orca_queue_member_remove(e, u8(r) % 5, u8(r) % (NAGENTS + 1));
    case 7:
        return orca_agent_set_queue_rank(e, u8(r) % (NAGENTS + 1), u8(r) % 5, u8(r));
    case 8:
        agent_def(r, &ad, sk, lim);
        return orca_agent_add(e, &ad);
    case 9:
        agent_def(r, &ad, sk, lim);
        return orca_agent_update(e, &ad);
    case 10:
        return orca_agent_remove(e, u8(r) % (NAGENTS + 1));
    case 11:
        return orca_agent_set_presence(e, u8(r) % (NAGENTS + 1), (orca_presence)(u8(r) % 4),
                                       u8(r));
    case 12:
    case 13:
        work_def(r, &d, sk, pref);
        return orca_interaction_enqueue(e, &d);
    case 14:
        return orca_offer_accept(e, u8(r) % (NIX + 1));
    case 15:
        return orca_offer_reject(e, u8(r) % (NIX + 1));
    case 16:
        return orca_interaction_end(e, u8(r) % (NIX + 1));
    case 17:
        return orca_interaction_wrapup_done(e, u8(r) % (NIX + 1));
    case 18:
        return orca_interaction_abandon(e, u8(r) % (NIX + 1));
    case 19:
        return orca_interaction_cancel(e, u8(r) % (NIX + 1));
    case 20:
        return orca_interaction_set_priority(e, u8(r) % (NIX + 1), u8(r) % 260);
    case 21:
        return orca_interaction_set_disposition(e, u8(r) % (NIX + 1), u8(r));
    case 22:
        return orca_interaction_set_survey(e, u8(r) % (NIX + 1), u8(r) % 7,
                                           (int32_t)(u8(r) % 4) - 1);
    case 23: {
        uint64_t from = u8(r) % (NIX + 1);
        work_def(r, &d, sk, pref);
        d.customer = u8(r) % 2 ? d.customer : 0;
        d.conversation = u8(r) % 2 ? d.conversation : 0;
        return orca_interaction_transfer(e, from, &d, (orca_transfer_mode)(u8(r) % 3));
    }
    case 24: {
        uint64_t id = u8(r) % (NIX + 1);
        work_def(r, &d, sk, pref);
        if (u8(r) % 4)
            d.id = id;
        d.customer = 0;
        d.conversation = 0;
        return orca_interaction_escalate(e, id, &d);
    }
    case 25:
        return orca_interaction_callback(e, u8(r) % (NIX + 1), u8(r) % 9,
                                         u8(r) % 2 ? now + u16(r) * 100 : 0);
    case 26:
        return orca_interaction_unreached(e, u8(r) % (NIX + 1));
    case 27:
        return orca_customer_forget(e, u8(r) % (NCUST + 1));
    case 28:
    case 29: {
        uint8_t k = u8(r);
        if (op % NOPS == 29 && k >= 200) /* (ORCA_ESTATE when not journaling) */
            return orca_journal_compact(e);
        uint64_t dt = k < 128 ? k * 100u : k < 240 ? (k - 127u) * 5000u : (k - 239u) * 3600000u;
        return orca_engine_advance(e, now + dt);
    }
    case 30:
        return orca_queue_remove(e, u8(r) % 5);
    case 31:
        g_readonly = 1;
        return list_agents(e, 1 + u8(r) % 4);
    case 32:
        g_readonly = 1;
        return list_interactions(e, 1 + u8(r) % 4);
    case 33:
    case 34: {
        g_readonly = 1;
        orca_queue_id q = u8(r) % 5;
        return list_waiting(e, q, 1 + u8(r) % 4);
    }
    case 35: {
        g_readonly = 1;
        uint64_t a = u8(r) % (NAGENTS + 1);
        return list_work(e, a, 1 + u8(r) % 4);
    }
    case 36:
    case 37:
        g_readonly = 1;
        return position(e, u8(r) % (NIX + 1));
    }
    return ORCA_EINVAL;
}

/* FUZZ_API_KEEP_JOURNALS=dir: copy journals that replayed fine into dir
 * (at most 300, those with some records), as seeds for fuzz_journal:
 * prefixed with its mode byte, 0 (as is) and 1 (fixed up). */
static void keep_journal(void)
{
    static int kept = -1;
    static const char *dir;
    if (kept < 0) {
        dir = getenv("FUZZ_API_KEEP_JOURNALS");
        kept = 0;
    }
    if (!dir || !*dir || kept >= 300)
        return;
    FILE *f = fopen(g_path, "rb");
    if (!f)
        return;
    static uint8_t buf[1 << 20];
    size_t n = fread(buf + 1, 1, sizeof(buf) - 1, f);
    fclose(f);
    if (n < 400)
        return;
    for (int mode = 0; mode < 2; mode++) {
        char out[512];
        snprintf(out, sizeof(out), "%s/seed-%d-%03d-%d", dir, (int)getpid(), kept, mode);
        buf[0] = (uint8_t)mode;
        FILE *o = fopen(out, "wb");
        if (!o)
            return;
        fwrite(buf, 1, n + 1, o);
        fclose(o);
    }
    kept++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/* AddressSanitizer parses every printf format it sees (check_printf): the
 * engine dump is thousands of them per input, and the formats are the
 * library's own constants, so that check costs a fifth of the run and
 * finds nothing here. (ASAN_OPTIONS still overrides it.) */
const char *__asan_default_options(void)
{
    return "check_printf=0";
}

static void remove_file(void)
{
    unlink(g_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("FUZZ_TMPDIR");
    if (!dir || !*dir)
        dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(g_path, sizeof(g_path), "%s/orca-fuzz-api-%d.jrnl", dir, (int)getpid());
    atexit(remove_file);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rd in = { data, size, 0 };
    g_in = &in;
    uint8_t flags = u8(&in);
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.start_ms = 1700000000000ull + u32(&in) % 604800000u;
    cfg.seed = u8(&in);
    cfg.offer_timeout_ms = u16(&in);
    if (cfg.offer_timeout_ms >= 0xfff0)
        cfg.offer_timeout_ms = ORCA_TIMEOUT_NEVER;
    cfg.reoffer_delay_ms = u16(&in);
    uint8_t na = u8(&in);
    cfg.no_answer_limit = na >= 0xf8 ? ORCA_NO_ANSWER_NEVER : na % 4;
    cfg.history_per_customer = u8(&in) % 10;
    cfg.max_customers = u8(&in) % 8;
    cfg.customer_ttl_ms = u16(&in) * 1000ull;
    if (flags & 2) {
        cfg.max_agents = 1 + u8(&in) % 8;
        cfg.max_interactions = 1 + u8(&in) % 32;
        cfg.max_queues = 1 + u8(&in) % 4;
        cfg.max_skills = 1 + u8(&in) % 6;
    }
    g_attempts = g_fail_at = 0;
    g_fail_after = g_failed = 0;
    if (flags & 4) {
        cfg.alloc = fz_alloc;
        g_fail_at = 1 + u16(&in) % 2000;
        g_fail_after = (flags & 8) != 0;
    }
    if (orca_engine_new(&cfg, &g_e) != ORCA_OK)
        return 0;
    orca_engine *e = g_e;
    for (orca_channel_id c = 0; c < ORCA_CHANNEL_BUILTIN_COUNT; c++)
        orca_channel_set_callbacks(e, c, &g_cbs, NULL);
    int journal = flags & 1;
    if (journal) {
        unlink(g_path);
        orca_journal_config jc = { .sync = ORCA_SYNC_NEVER };
        int rc = orca_journal_open(e, g_path, &jc);
        if (rc == ORCA_ENOMEM && g_failed)
            journal = 0;
        else if (rc != ORCA_OK)
            die("orca_journal_open failed", NULL, NULL);
    }
    int ncalls = 0;
    /* The dump of the engine before the next call. A failed call must
     * leave the engine as it was, so its dump afterwards (compared) is
     * also the one before the call after it: only a call that succeeded
     * needs a new one. (The dump is most of this harness's time.) */
    char *before = NULL;
    while (in.at < in.n && ncalls < 400) {
        uint8_t op = u8(&in);
        if (!before)
            before = dump(e);
        orca_counts cb;
        orca_engine_counts(e, &cb);
        g_readonly = 0;
        int rc = call(&in, op);
        ncalls++;
        if (check(e) != ORCA_OK) {
            fprintf(stderr, "call %d (op %u) returned %s\n", ncalls, op % NOPS, orca_strerror(rc));
            die("orca_engine_check failed", NULL, NULL);
        }
        /* ORCA_EIO: the call made its change and the journal stopped (or a
         * compaction could not be written): not a failed call. Listings
         * and positions change nothing, whatever they answer. */
        if (g_readonly || (rc != ORCA_OK && rc != ORCA_EIO)) {
            char *after = dump(e);
            if (strcmp(before, after) != 0) {
                fprintf(stderr, "call %d (op %u) returned %s\n", ncalls, op % NOPS,
                        orca_strerror(rc));
                die(g_readonly ? "a listing or position changed the engine"
                               : "a failed call changed the engine", before, after);
            }
            orca_counts ca;
            orca_engine_counts(e, &ca);
            if ((g_readonly || (rc != ORCA_EFULL && rc != ORCA_ECLOSED)) &&
                ca.events != cb.events) {
                fprintf(stderr, "call %d (op %u) returned %s\n", ncalls, op % NOPS,
                        orca_strerror(rc));
                die("a failed call emitted events", NULL, NULL);
            }
            free(after);
        } else {
            free(before);
            before = NULL;
        }
    }
    free(before);
    g_fail_at = 0; /* memory again */
    if (journal) {
        /* no offer pending: accept them all (accept routes nothing) */
        static rd nothing;
        g_in = &nothing;
        for (uint64_t id = 1; id <= NIX; id++) {
            orca_interaction_info ii;
            if (orca_interaction_info_get(e, id, &ii) == ORCA_OK &&
                ii.state == ORCA_STATE_OFFERED && orca_offer_accept(e, id) != ORCA_OK)
                die("accepting a pending offer failed", NULL, NULL);
        }
        orca_journal_info ji;
        orca_journal_info_get(e, &ji);
        int stopped = ji.failed;
        if (stopped && !(g_failed && ji.os_error == 12 /* ENOMEM */))
            die("the journal failed", NULL, NULL);
        orca_journal_close(e);
        orca_config rc;
        if (orca_journal_read_config(g_path, &rc) != ORCA_OK)
            die("read_config of our own journal failed", NULL, NULL);
        orca_engine *b;
        if (orca_engine_new(&rc, &b) != ORCA_OK)
            die("engine_new with the journal's config failed", NULL, NULL);
        orca_journal_info ri;
        int r = orca_journal_replay(b, g_path, &(orca_journal_config){ .sync = ORCA_SYNC_NEVER }, &ri);
        if (r != ORCA_OK) {
            fprintf(stderr, "replay: %s at offset %llu\n", orca_strerror(r),
                    (unsigned long long)ri.bad_offset);
            die("replaying our own journal failed", NULL, NULL);
        }
        if (orca_engine_check(b) != ORCA_OK)
            die("orca_engine_check failed after the replay", NULL, NULL);
        char *da = dump(e), *db = dump(b);
        if (!stopped && strcmp(da, db) != 0)
            die("the replayed engine differs", da, db);
        free(da);
        free(db);
        orca_engine_free(b);
        keep_journal();
        unlink(g_path);
    }
    orca_engine_free(e);
    g_e = NULL;
    return 0;
}
