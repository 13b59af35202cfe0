/*
 * classes.c: requirement sets, classes and plans: the router's indexes.
 *
 * A reqset is an interned (required, preferred) pair. A class is
 * (queue, channel, reqset): all waiting work in it is interchangeable for
 * eligibility, so it keeps one ordered heap of that work and one ordered
 * heap of the agents who could take it right now. Each agent keeps a `link`
 * per class it is eligible for. A plan is the precomputed path of classes an
 * interaction can move through (routing steps, overflow), built at enqueue
 * so that timers never need memory.
 */
#include "orca_int.h"

#include <stdlib.h>
#include <xxhash.h>

#define PLAN_IDLE_MAX 8192

/* ---- helpers ----------------------------------------------------------- */

const orca_skill_level *skill_of(const orca_skill_level *v, uint32_t n, orca_skill_id s)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (v[mid].skill < s)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && v[lo].skill == s ? &v[lo] : NULL;
}

static int cmp_skill(const void *a, const void *b)
{
    const orca_skill_level *x = a, *y = b;
    return x->skill < y->skill ? -1 : x->skill > y->skill;
}

static uint64_t reqset_hash(const reqset *rs)
{
    uint64_t buf[2 + ORCA_MAX_REQUIRED + ORCA_MAX_PREFERRED];
    uint32_t n = 0;
    buf[n++] = rs->nreq;
    buf[n++] = rs->npref;
    for (uint32_t k = 0; k < rs->nreq; k++)
        buf[n++] = (uint64_t)rs->req[k].skill << 8 | rs->req[k].level;
    for (uint32_t k = 0; k < rs->npref; k++)
        buf[n++] = (uint64_t)rs->pref[k].skill << 8 | rs->pref[k].level;
    uint64_t h = XXH3_64bits(buf, n * sizeof(uint64_t));
    return h ? h : 1;
}

static bool reqset_same(const reqset *a, const reqset *b)
{
    if (a->nreq != b->nreq || a->npref != b->npref)
        return false;
    for (uint32_t k = 0; k < a->nreq; k++)
        if (a->req[k].skill != b->req[k].skill || a->req[k].level != b->req[k].level)
            return false;
    for (uint32_t k = 0; k < a->npref; k++)
        if (a->pref[k].skill != b->pref[k].skill || a->pref[k].level != b->pref[k].level)
            return false;
    return true;
}

/* ---- reqsets ----------------------------------------------------------- */

int reqset_get(orca_engine *e, const orca_skill_level *req, uint32_t nreq,
               const orca_skill_level *pref, uint32_t npref, reqset **out)
{
    reqset key;
    memset(&key, 0, sizeof(key));
    key.nreq = nreq;
    key.npref = npref;
    for (uint32_t k = 0; k < nreq; k++)
        key.req[k] = (orca_skill_level){ req[k].skill, req[k].level };
    for (uint32_t k = 0; k < npref; k++)
        key.pref[k] = (orca_skill_level){ pref[k].skill, pref[k].level };
    qsort(key.req, nreq, sizeof(orca_skill_level), cmp_skill);
    qsort(key.pref, npref, sizeof(orca_skill_level), cmp_skill);
    key.hash = reqset_hash(&key);

    reqset *head = u64map_get(&e->rs_map, key.hash);
    for (reqset *r = head; r; r = r->chain) {
        if (reqset_same(r, &key)) {
            r->refs++;
            *out = r;
            return ORCA_OK;
        }
    }
    int rc;
    if ((rc = u64map_reserve(e, &e->rs_map, e->rs_map.n + 1)) ||
        (rc = mem_reserve(e, (void **)&e->rs_by_id, &e->caprs, e->nrs + 1, sizeof(reqset *))) ||
        (rc = mem_reserve(e, (void **)&e->rs_free, &e->caprs_free, e->nrs + 1, sizeof(uint32_t))))
        return rc;
    reqset *rs = mem_alloc(e, sizeof(reqset));
    if (!rs)
        return ORCA_ENOMEM;
    *rs = key;
    rs->refs = 1;
    rs->id = e->nrs_free ? e->rs_free[--e->nrs_free] : e->nrs++;
    e->rs_by_id[rs->id] = rs;
    rs->chain = head;
    u64map_put(&e->rs_map, rs->hash, rs);
    *out = rs;
    return ORCA_OK;
}

void reqset_put(orca_engine *e, reqset *rs)
{
    if (--rs->refs)
        return;
    reqset *head = u64map_get(&e->rs_map, rs->hash);
    if (head == rs) {
        if (rs->chain)
            u64map_put(&e->rs_map, rs->hash, rs->chain);
        else
            u64map_del(&e->rs_map, rs->hash);
    } else {
        reqset *p = head;
        while (p->chain != rs)
            p = p->chain;
        p->chain = rs->chain;
    }
    e->rs_by_id[rs->id] = NULL;
    e->rs_free[e->nrs_free++] = rs->id;
    mem_free(e, rs, sizeof(reqset));
}

/* ---- eligibility ------------------------------------------------------- */

static const agent_queue *agent_queue_of(const agent *a, orca_queue_id q)
{
    for (uint32_t k = 0; k < a->nqueues; k++)
        if (a->queues[k].q == q)
            return &a->queues[k];
    return NULL;
}

static bool holds_all(const agent *a, const orca_skill_level *req, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        const orca_skill_level *s = skill_of(a->skills, a->nskills, req[k].skill);
        if (!s || s->level < req[k].level)
            return false;
    }
    return true;
}

bool agent_serves(const agent *a, const queue *q)
{
    const agent_queue *aq = agent_queue_of(a, q->id);
    return ((q->serve & ORCA_SERVE_MEMBERS) && aq && aq->member) ||
           ((q->serve & ORCA_SERVE_SKILLS) && holds_all(a, q->skills, q->nskills));
}

bool agent_eligible(const orca_engine *e, const agent *a, const rclass *c,
                    uint8_t *tier, uint8_t *pref, uint16_t *score, uint8_t *rank)
{
    const queue *q = c->q;
    (void)e;
    if (!agent_serves(a, q))
        return false;
    if (a->limit[c->ch] == 0)
        return false;
    const reqset *rs = c->rs;
    if (!holds_all(a, rs->req, rs->nreq))
        return false;
    uint32_t np = 0, sc = 0, i = 0, j = 0;
    for (uint32_t k = 0; k < rs->npref; k++) {
        const orca_skill_level *s = skill_of(a->skills, a->nskills, rs->pref[k].skill);
        if (s && s->level >= rs->pref[k].level)
            np++;
    }
    /* score: levels over the union of required and preferred skills */
    while (i < rs->nreq || j < rs->npref) {
        orca_skill_id s;
        if (j >= rs->npref || (i < rs->nreq && rs->req[i].skill < rs->pref[j].skill))
            s = rs->req[i++].skill;
        else if (i >= rs->nreq || rs->pref[j].skill < rs->req[i].skill)
            s = rs->pref[j++].skill;
        else {
            s = rs->req[i].skill;
            i++;
            j++;
        }
        const orca_skill_level *h = skill_of(a->skills, a->nskills, s);
        if (h)
            sc += h->level;
    }
    const agent_queue *aq = agent_queue_of(a, q->id);
    *tier = aq && aq->member ? aq->tier : q->skills_tier;
    *pref = (uint8_t)np;
    *score = (uint16_t)sc;
    *rank = aq ? aq->rank : 0;
    return true;
}

/* ---- links ------------------------------------------------------------- */

static int links_reserve(orca_engine *e, agent *a, uint32_t n)
{
    int rc = mem_reserve(e, (void **)&a->links, &a->caplinks, n, sizeof(link));
    return rc ? rc : mem_reserve(e, (void **)&a->scan, &a->capscan, n, sizeof(uint64_t));
}

static void link_add(orca_engine *e, agent *a, rclass *c, uint8_t tier,
                     uint8_t pref, uint16_t score, uint8_t rank)
{
    (void)e;
    uint32_t li = a->nlinks++;
    link *l = &a->links[li];
    l->cls = c;
    l->cidx = c->idx;
    l->ch = (uint8_t)c->ch;
    l->strategy = (uint8_t)c->q->strategy;
    l->hpos = NOPOS;
    a->out_mask |= 1u << l->ch;
    a->nlo += l->strategy == ORCA_STRATEGY_LEAST_OCCUPIED;
    a->npack += l->strategy == ORCA_STRATEGY_PACKING;
    l->epos = c->nelig;
    l->tier = tier;
    l->pref = pref;
    l->score = score;
    l->rank = rank;
    a->scan[li] = SCAN_ENTRY(l);
    c->elig[c->nelig++] = (elig_ref){ a, li };
}

/* Drop link li of agent a (swap-remove on both sides). */
static void link_remove(agent *a, uint32_t li)
{
    link *l = &a->links[li];
    rclass *c = l->cls;
    if (l->hpos != NOPOS)
        heap_remove(&c->agents, l->hpos);
    a->nlo -= l->strategy == ORCA_STRATEGY_LEAST_OCCUPIED;
    a->npack -= l->strategy == ORCA_STRATEGY_PACKING;
    /* remove from the class's eligible list */
    uint32_t ep = l->epos, elast = --c->nelig;
    if (ep != elast) {
        c->elig[ep] = c->elig[elast];
        c->elig[ep].a->links[c->elig[ep].li].epos = ep;
    }
    /* remove from the agent's link array */
    uint32_t last = --a->nlinks;
    if (li != last) {
        a->links[li] = a->links[last];
        a->scan[li] = a->scan[last];
        link *m = &a->links[li];
        m->cls->elig[m->epos].li = li;
        if (m->hpos != NOPOS)
            heap_set_aux(&m->cls->agents, m->hpos, li);
    }
}

void agent_unlink_all(orca_engine *e, agent *a)
{
    (void)e;
    while (a->nlinks)
        link_remove(a, a->nlinks - 1);
}

/* Phase 1 (apply == false): reserve memory so that phase 2 cannot fail.
 * Phase 2: relink a (whose fields the caller has already replaced). */
int agent_relink(orca_engine *e, agent *a, const orca_skill_level *skills,
                 uint32_t nskills, const uint16_t *limits,
                 const agent_queue *queues, uint32_t nqueues, bool apply)
{
    if (apply) {
        agent_unlink_all(e, a);
        for (uint32_t k = 0; k < e->nslots; k++) {
            rclass *c = e->classes[k];
            uint8_t tier, pref, rank;
            uint16_t score;
            if (c && agent_eligible(e, a, c, &tier, &pref, &score, &rank))
                link_add(e, a, c, tier, pref, score, rank);
        }
        return ORCA_OK;
    }
    agent tmp = *a;
    tmp.skills = (orca_skill_level *)skills;
    tmp.nskills = nskills;
    memcpy(tmp.limit, limits, sizeof(tmp.limit));
    tmp.queues = (agent_queue *)queues;
    tmp.nqueues = nqueues;
    uint32_t count = 0;
    int rc;
    for (uint32_t k = 0; k < e->nslots; k++) {
        rclass *c = e->classes[k];
        uint8_t tier, pref, rank;
        uint16_t score;
        if (!c || !agent_eligible(e, &tmp, c, &tier, &pref, &score, &rank))
            continue;
        count++;
        if ((rc = mem_reserve(e, (void **)&c->elig, &c->capelig, c->nelig + 1,
                              sizeof(elig_ref))) ||
            (rc = mem_reserve(e, (void **)&c->agents.v, &c->agents.cap,
                              c->nelig + 1, sizeof(heap_ent))))
            return rc;
    }
    return links_reserve(e, a, count);
}

/* ---- classes ----------------------------------------------------------- */

void ix_setpos(void *item, uint32_t aux, uint32_t pos)
{
    (void)aux;
    ((ix *)item)->hpos = pos;
}

static void agent_setpos(void *item, uint32_t aux, uint32_t pos)
{
    agent *a = item;
    a->links[aux].hpos = pos;
    if (pos == NOPOS)
        a->out_mask |= 1u << a->links[aux].ch;
}

static int agent_tie(const void *x, const void *y)
{
    uint64_t a = ((const agent *)x)->id, b = ((const agent *)y)->id;
    return a < b ? -1 : a > b;
}

static uint64_t class_key(const queue *q, orca_channel_id ch, const reqset *rs)
{
    return (uint64_t)q->id << 40 | (uint64_t)ch << 34 | rs->id;
}

static void class_free(orca_engine *e, rclass *c)
{
    /* when the whole engine goes, agents' links go with the agents */
    while (c->nelig && !e->freeing) {
        elig_ref r = c->elig[c->nelig - 1];
        link_remove(r.a, r.li);
    }
    u64map_del(&e->class_map, c->key);
    e->nclasses--;
    e->classes[c->idx] = NULL;
    e->cfree[e->ncfree++] = c->idx;
    reqset_put(e, c->rs);
    mem_free(e, c->elig, c->capelig * sizeof(elig_ref));
    mem_free(e, c->waiting.v, c->waiting.cap * sizeof(heap_ent));
    mem_free(e, c->agents.v, c->agents.cap * sizeof(heap_ent));
    mem_free(e, c, sizeof(*c));
}


/* The agents that could be eligible for c: holders of its rarest required
 * skill (or of the queue's, for a queue only skill holders serve), else
 * everyone. Keeps class creation proportional to the candidates, which is
 * what makes a workload of all-different requirements degrade gracefully. */
static void candidates(orca_engine *e, const rclass *c, agent ***out, uint32_t *n)
{
    const skill *best = NULL;
    for (uint32_t k = 0; k < c->rs->nreq; k++) {
        const skill *s = &e->skills[c->rs->req[k].skill];
        if (!best || s->nholders < best->nholders)
            best = s;
    }
    if (c->q->serve == ORCA_SERVE_SKILLS)
        for (uint32_t k = 0; k < c->q->nskills; k++) {
            const skill *s = &e->skills[c->q->skills[k].skill];
            if (!best || s->nholders < best->nholders)
                best = s;
        }
    if (best) {
        *out = best->holders;
        *n = best->nholders;
    } else {
        *out = e->agents;
        *n = e->nagents;
    }
}

/* Find or build the class (q, ch, rs) and pin it (plans++). Building scans
 * every agent once: classes are few (requirements come from queue set-up)
 * and cached, so this is rare. */
static int class_pin(orca_engine *e, queue *q, orca_channel_id ch, reqset *rs, rclass **out)
{
    uint64_t key = class_key(q, ch, rs);
    rclass *c = u64map_get(&e->class_map, key);
    if (c) {
        c->plans++;
        *out = c;
        return ORCA_OK;
    }
    int rc;
    if ((rc = u64map_reserve(e, &e->class_map, e->class_map.n + 1)) ||
        (rc = mem_reserve(e, (void **)&e->classes, &e->capclasses, e->nslots + 1,
                          sizeof(rclass *))) ||
        (rc = mem_reserve(e, (void **)&e->ctop, &e->capctop, e->nslots + 1, sizeof(ctop))) ||
        (rc = mem_reserve(e, (void **)&e->cfree, &e->capcfree, e->nslots + 1,
                          sizeof(uint32_t))))
        return rc;
    c = mem_calloc(e, sizeof(*c));
    if (!c)
        return ORCA_ENOMEM;
    c->q = q;
    c->ch = ch;
    c->rs = rs;
    c->key = key;
    heap_init(&c->waiting, ix_setpos, NULL);
    heap_init(&c->agents, agent_setpos, agent_tie);
    agent **cand;
    uint32_t ncand;
    candidates(e, c, &cand, &ncand);
    /* one eligibility pass; the verdicts wait in a temporary array while
     * memory is reserved, so nothing after the reservations can fail */
    struct verdict {
        agent *a;
        uint16_t score;
        uint8_t tier, pref, rank;
    } *ok = NULL;
    size_t oksz = (size_t)ncand * sizeof(*ok);
    if (ncand && !(ok = mem_alloc(e, oksz))) {
        rc = ORCA_ENOMEM;
        goto fail;
    }
    uint32_t n = 0;
    for (uint32_t k = 0; k < ncand; k++) {
        struct verdict *v = &ok[n];
        v->a = cand[k];
        if (!agent_eligible(e, v->a, c, &v->tier, &v->pref, &v->score, &v->rank))
            continue;
        n++;
        if ((rc = links_reserve(e, v->a, v->a->nlinks + 1)))
            goto fail;
    }
    if (n && ((rc = mem_reserve(e, (void **)&c->elig, &c->capelig, n, sizeof(elig_ref))) ||
              (rc = mem_reserve(e, (void **)&c->agents.v, &c->agents.cap, n,
                                sizeof(heap_ent)))))
        goto fail;
    /* nothing below can fail */
    rs->refs++;
    c->idx = e->ncfree ? e->cfree[--e->ncfree] : e->nslots++;
    e->classes[c->idx] = c;
    e->nclasses++;
    e->ctop[c->idx] = (ctop){ UINT64_MAX, UINT64_MAX };
    u64map_put(&e->class_map, key, c);
    for (uint32_t k = 0; k < n; k++) {
        struct verdict *v = &ok[k];
        link_add(e, v->a, c, v->tier, v->pref, v->score, v->rank);
        agent_refresh_link(e, v->a, v->a->nlinks - 1);
    }
    mem_free(e, ok, oksz);
    c->plans = 1;
    *out = c;
    return ORCA_OK;
fail:
    mem_free(e, ok, oksz);
    mem_free(e, c->elig, c->capelig * sizeof(elig_ref));
    mem_free(e, c->agents.v, c->agents.cap * sizeof(heap_ent));
    mem_free(e, c, sizeof(*c));
    return rc;
}

static void class_unpin(orca_engine *e, rclass *c)
{
    if (--c->plans == 0)
        class_free(e, c);
}

void class_free_all(orca_engine *e)
{
    for (uint32_t k = 0; k < e->nslots; k++) {
        rclass *c = e->classes[k];
        if (c) {
            c->plans = 1;
            class_unpin(e, c);
        }
    }
}

/* ---- plans ------------------------------------------------------------- */

static int apply_step(orca_engine *e, const reqset *from, const orca_step *st, reqset **out)
{
    orca_skill_level req[ORCA_MAX_REQUIRED], pref[ORCA_MAX_PREFERRED];
    uint32_t nreq = 0, npref = 0;
    for (uint32_t k = 0; k < from->nreq; k++) {
        orca_skill_level s = from->req[k];
        if (s.skill == st->skill && st->action == ORCA_STEP_DROP_REQUIRED)
            continue;
        if (s.skill == st->skill && st->action == ORCA_STEP_SET_LEVEL)
            s.level = st->level;
        req[nreq++] = s;
    }
    for (uint32_t k = 0; k < from->npref; k++) {
        if (from->pref[k].skill == st->skill && st->action == ORCA_STEP_DROP_PREFERRED)
            continue;
        pref[npref++] = from->pref[k];
    }
    return reqset_get(e, req, nreq, pref, npref, out);
}

static void plan_destroy(orca_engine *e, plan *p)
{
    for (uint32_t s = 0; s < p->nstages; s++) {
        plan_stage *st = &p->stages[s];
        for (uint32_t k = 0; k < st->nclasses; k++)
            if (st->classes[k])
                class_unpin(e, st->classes[k]);
        mem_free(e, st->classes, st->nclasses * sizeof(rclass *));
    }
    mem_free(e, p->stages, p->nstages * sizeof(plan_stage));
    if (p->key)
        u64map_del(&e->plan_map, p->key);
    reqset_put(e, p->base);
    mem_free(e, p, sizeof(*p));
}

static int plan_build(orca_engine *e, plan *p, queue *q0)
{
    /* stages: q0, then its overflow chain until a queue repeats */
    queue *chain[64];
    uint32_t n = 0;
    for (queue *q = q0; q && n < 64;) {
        uint32_t k;
        for (k = 0; k < n && chain[k] != q; k++)
            ;
        if (k < n)
            break;
        chain[n++] = q;
        q = q->overflow;
    }
    p->stages = mem_calloc(e, n * sizeof(plan_stage));
    if (!p->stages)
        return ORCA_ENOMEM;
    p->nstages = n;
    for (uint32_t s = 0; s < n; s++) {
        plan_stage *st = &p->stages[s];
        queue *q = chain[s];
        st->q = q;
        st->next_stage = NOPOS;
        if (q->overflow_after_ms) {
            queue *t = q->overflow;
            for (uint32_t k = 0; k < n; k++)
                if (chain[k] == t)
                    st->next_stage = k;
        }
        st->classes = mem_calloc(e, (1 + q->nsteps) * sizeof(rclass *));
        if (!st->classes)
            return ORCA_ENOMEM;
        st->nclasses = 1 + q->nsteps;
        reqset *rs = p->base;
        rs->refs++;
        for (uint32_t k = 0; k <= q->nsteps; k++) {
            int rc;
            if (k > 0) {
                reqset *next;
                rc = apply_step(e, rs, &q->steps[k - 1], &next);
                reqset_put(e, rs);
                if (rc)
                    return rc;
                rs = next;
            }
            rc = class_pin(e, q, p->ch, rs, &st->classes[k]);
            if (rc) {
                reqset_put(e, rs);
                return rc;
            }
        }
        reqset_put(e, rs);
    }
    return ORCA_OK;
}

static uint64_t plan_key(const queue *q, orca_channel_id ch, const reqset *rs)
{
    return class_key(q, ch, rs);
}

/* Find or build the plan for (q, ch, base). A new plan starts idle (no
 * users); the caller reserves and uses it, or releases it. */
int plan_get(orca_engine *e, queue *q, orca_channel_id ch, reqset *base, plan **out,
             bool *created)
{
    uint64_t key = plan_key(q, ch, base);
    plan *p = u64map_get(&e->plan_map, key);
    *created = false;
    if (p) {
        *out = p;
        return ORCA_OK;
    }
    int rc;
    if ((rc = u64map_reserve(e, &e->plan_map, e->plan_map.n + 1)))
        return rc;
    p = mem_calloc(e, sizeof(*p));
    if (!p)
        return ORCA_ENOMEM;
    p->base = base;
    base->refs++;
    p->ch = ch;
    if ((rc = plan_build(e, p, q))) {
        plan_destroy(e, p);
        return rc;
    }
    p->key = key;
    u64map_put(&e->plan_map, key, p);
    e->nplans++;
    /* start on the idle list so an unused new plan is still accounted */
    p->idle = true;
    p->idle_prev = e->idle_tail;
    if (e->idle_tail)
        e->idle_tail->idle_next = p;
    else
        e->idle_head = p;
    e->idle_tail = p;
    e->nidle_plans++;
    *out = p;
    *created = true;
    return ORCA_OK;
}

static void idle_unlink(orca_engine *e, plan *p)
{
    if (p->idle_prev)
        p->idle_prev->idle_next = p->idle_next;
    else
        e->idle_head = p->idle_next;
    if (p->idle_next)
        p->idle_next->idle_prev = p->idle_prev;
    else
        e->idle_tail = p->idle_prev;
    p->idle_prev = p->idle_next = NULL;
    p->idle = false;
    e->nidle_plans--;
}

/* Undo plan_get's creation of p after a later failure, so a failed call
 * leaves no trace (not even cached classes). */
void plan_discard(orca_engine *e, plan *p)
{
    idle_unlink(e, p);
    e->nplans--;
    plan_destroy(e, p);
}

/* Keep at most PLAN_IDLE_MAX unused plans (and their classes) cached. */
void plan_release_idle(orca_engine *e)
{
    while (e->nidle_plans > PLAN_IDLE_MAX) {
        plan *p = e->idle_head;
        idle_unlink(e, p);
        e->nplans--;
        plan_destroy(e, p);
    }
}

void plan_drop_queue(orca_engine *e, const queue *q)
{
    for (plan *p = e->idle_head, *next; p; p = next) {
        next = p->idle_next;
        for (uint32_t s = 0; s < p->nstages; s++)
            if (p->stages[s].q == q) {
                plan_discard(e, p);
                break;
            }
    }
}

/* Reserve room in every class of the plan for one more interaction. */
int plan_reserve_user(orca_engine *e, plan *p)
{
    /* a class can appear more than once in a plan (a step that changes
     * nothing, an overflow cycle): reserve for every appearance */
    uint32_t total = 0;
    for (uint32_t s = 0; s < p->nstages; s++)
        total += p->stages[s].nclasses;
    for (uint32_t s = 0; s < p->nstages; s++) {
        plan_stage *st = &p->stages[s];
        for (uint32_t k = 0; k < st->nclasses; k++) {
            rclass *c = st->classes[k];
            int rc = mem_reserve(e, (void **)&c->waiting.v, &c->waiting.cap,
                                 c->need + total, sizeof(heap_ent));
            if (rc)
                return rc;
        }
    }
    return ORCA_OK;
}

void plan_use(orca_engine *e, plan *p)
{
    if (p->idle)
        idle_unlink(e, p);
    p->users++;
    for (uint32_t s = 0; s < p->nstages; s++)
        for (uint32_t k = 0; k < p->stages[s].nclasses; k++)
            p->stages[s].classes[k]->need++;
}

void plan_unuse(orca_engine *e, plan *p)
{
    for (uint32_t s = 0; s < p->nstages; s++)
        for (uint32_t k = 0; k < p->stages[s].nclasses; k++)
            p->stages[s].classes[k]->need--;
    if (--p->users)
        return;
    p->idle = true;
    p->idle_next = NULL;
    p->idle_prev = e->idle_tail;
    if (e->idle_tail)
        e->idle_tail->idle_next = p;
    else
        e->idle_head = p;
    e->idle_tail = p;
    e->nidle_plans++;
    plan_release_idle(e);
}

void plan_free_all(orca_engine *e)
{
    U64MAP_FOREACH(&e->plan_map, slot) {
        plan *p = slot->val;
        p->key = 0; /* don't touch the map while walking it */
        plan_destroy(e, p);
    }
    u64map_free(e, &e->plan_map);
    e->idle_head = e->idle_tail = NULL;
    e->nidle_plans = e->nplans = 0;
}
