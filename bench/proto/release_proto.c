/*
 * release_proto.c: a standalone model of orca's release decision, to
 * measure alternatives before changing the engine (issue 14, "Design:
 * measure alternatives"; the results are in docs/DESIGN.md, "Release
 * structures measured").
 *
 * The model keeps only what the release decision touches. The centre comes
 * from bench/workload.c (the same generator as `make bench`): agents with
 * Zipf skills and blended capacity (100 units, voice 100 / chat 25 / email
 * 10, at most 1 / 3 / 5), a class per (requirement set, channel), and per
 * class a 4-ary heap of waiting work keyed like orca's
 * ((255 - priority) << 48 | arrival, seq). One queue, so every queue rank is
 * 0 (as in the bench). `ctop[class]` is the class's head key, as in orca.
 *
 * Three ways to pick the best head for a freed agent:
 *   a (today)   a pass over the agent's classes (8-byte scan entries)
 *               reading ctop: orca's route_agent loop;
 *   b (global)  every class in one heap ordered by its head key; the agent
 *               walks it best-first and takes the first class it can serve
 *               (eligibility bitmap over class ids and the channel fit),
 *               falling back to (a) after K probes;
 *   c (sig)     agents with the same eligible classes share a signature;
 *               each signature keeps, per channel, a heap of its classes by
 *               head key: the answer is the best of at most 3 heap tops;
 *   a2          (a) with the agent's scan array grouped by channel, so the
 *               classes of a channel that does not fit are not read (Zipf).
 * One decision: an agent's random busy item ends (untimed), the timed
 * release picks and removes the head (as an offer would) and updates what
 * the method keeps when the head changes; then one new arrival refills
 * (timed separately: a head change on that side is paid there).
 *
 * The adversarial workload (every interaction its own requirement set)
 * creates a class per arrival (links to the eligible agents: holders of the
 * rarest skill, as orca) and drops it when it empties. There (b) tests
 * eligibility from the agent's skills instead of a bitmap, and (c) is not
 * run: every new class changes the signature of each agent it links; nor is
 * (a2), whose grouped array would need moves as classes come and go.
 *
 *   release_proto [--workload zipf|adversarial] [--method a|a2|b|c] [--k K]
 *                 [--agents N] [--waiting N] [--calls N] [--warmup N]
 *                 [--seed N] [--verify] [--no-time] [--out FILE]
 * --verify: every decision runs a2, b (K = 4, 16, 64) and c and fails on the
 * first disagreement (nothing timed). --no-time: no clock reads, for runs
 * under callgrind (measured_release and measured_arrival are the functions
 * to count). --out appends one CSV row.
 */
#include "common.h"
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOPOS UINT32_MAX
#define KEY_EMPTY UINT64_MAX
#define ORCA_LINK_BYTES 48 /* sizeof(link) in src/orca_int.h */

/* ---- memory ------------------------------------------------------------ */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "release_proto: out of memory (%zu bytes)\n", n);
        exit(2);
    }
    return q;
}

static void *xcalloc(size_t n, size_t size)
{
    void *q = calloc(n ? n : 1, size);
    if (!q) {
        fprintf(stderr, "release_proto: out of memory\n");
        exit(2);
    }
    return q;
}

/* ---- an indexed 4-ary heap, keyed (k1, k2) like orca's ------------------ */

typedef struct hent {
    uint64_t k1, k2;
    uint32_t id;
} hent;

typedef struct heap4 {
    hent *v;
    uint32_t n, cap;
    uint32_t *pos; /* pos[id] = index in v, or NULL when not indexed */
} heap4;

static inline int key_less(uint64_t a1, uint64_t a2, uint64_t b1, uint64_t b2)
{
    return a1 < b1 || (a1 == b1 && a2 < b2);
}

static inline int ent_less(const hent *a, const hent *b)
{
    return key_less(a->k1, a->k2, b->k1, b->k2);
}

static inline void h_place(heap4 *h, uint32_t i, hent e)
{
    h->v[i] = e;
    if (h->pos)
        h->pos[e.id] = i;
}

static void h_up(heap4 *h, uint32_t i)
{
    hent e = h->v[i];
    while (i) {
        uint32_t p = (i - 1) / 4;
        if (!ent_less(&e, &h->v[p]))
            break;
        h_place(h, i, h->v[p]);
        i = p;
    }
    h_place(h, i, e);
}

static void h_down(heap4 *h, uint32_t i)
{
    hent e = h->v[i];
    for (;;) {
        uint32_t c = 4 * i + 1;
        if (c >= h->n)
            break;
        uint32_t end = c + 4 < h->n ? c + 4 : h->n, best = c;
        for (uint32_t j = c + 1; j < end; j++)
            if (ent_less(&h->v[j], &h->v[best]))
                best = j;
        if (!ent_less(&h->v[best], &e))
            break;
        h_place(h, i, h->v[best]);
        i = best;
    }
    h_place(h, i, e);
}

static void h_push(heap4 *h, hent e)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 4;
        h->v = xrealloc(h->v, (size_t)h->cap * sizeof(hent));
    }
    h->v[h->n++] = e;
    h_up(h, h->n - 1);
}

static void h_remove(heap4 *h, uint32_t i)
{
    uint32_t last = --h->n;
    if (h->pos)
        h->pos[h->v[i].id] = NOPOS;
    if (i == last)
        return;
    h->v[i] = h->v[last];
    if (i && ent_less(&h->v[i], &h->v[(i - 1) / 4]))
        h_up(h, i);
    else
        h_down(h, i);
}

static void h_update(heap4 *h, uint32_t i, uint64_t k1, uint64_t k2)
{
    hent *e = &h->v[i];
    int up = key_less(k1, k2, e->k1, e->k2);
    e->k1 = k1;
    e->k2 = k2;
    if (up)
        h_up(h, i);
    else
        h_down(h, i);
}

/* ---- the model --------------------------------------------------------- */

typedef struct ctop {
    uint64_t k1, k2; /* KEY_EMPTY when the class has no waiting work */
} ctop;

typedef struct elig_ref {
    uint32_t a, li; /* agent, index in its scan array */
} elig_ref;

typedef struct pclass {
    heap4 wait;                    /* waiting work, best on top */
    uint8_t nreq;
    wl_skill_level req[WL_MAX_REQ];
    elig_ref *elig;                /* agents linked to the class (a) */
    uint32_t nelig, capelig;
    uint32_t *memb;                /* (c): memberships in signatures */
    uint32_t nmemb;
} pclass;

typedef struct pagent {
    uint64_t *scan;                /* (a): ch << 32 | class, as orca's scan */
    uint32_t *epos;                /* epos[li]: index in the class's elig */
    uint32_t nscan, capscan;
    uint32_t choff[WL_NCHANNELS + 1]; /* Zipf: scan[] grouped by channel (a2) */
    uint32_t sig;                  /* (c) */
    uint16_t used;                 /* capacity units busy */
    uint8_t cnt[WL_NCHANNELS];     /* busy items per channel */
} pagent;

typedef struct psig {
    heap4 h[WL_NCHANNELS];         /* member classes by head key, per channel */
} psig;

enum { M_A = 0, M_B = 1, M_C = 2, M_A2 = 3 };

typedef struct proto {
    const workload *w;
    int adv, method, verify;
    uint32_t K;
    int keep_b, keep_c;            /* which indexes are maintained */
    /* classes: Zipf slot = set * 3 + channel; adversarial slots are reused */
    pclass *cls;
    ctop *top;
    uint8_t *cch;                  /* channel per class slot, dense */
    uint32_t ncls, capcls, *cfree, ncfree, live;
    pagent *ag;
    uint32_t nag;
    uint64_t *bits;                /* Zipf: eligibility bitmap per agent */
    uint32_t words;
    heap4 g;                       /* (b): classes by head key */
    uint32_t *frontier;            /* (b): best-first walk over g */
    psig *sigs;                    /* (c) */
    uint32_t nsigs, nmemb, *memb_cls, *memb_sig, *mpos;
    uint32_t pending[64];          /* adversarial: emptied, freed on arrival */
    uint32_t npending;
    uint64_t next_k, rng;
    /* what the methods did */
    uint64_t walks, probes, fallbacks, head_changes, sig_updates, fit_misses;
} proto;

static int eligible_zipf(const proto *p, uint32_t ai, uint32_t c)
{
    return (int)(p->bits[(size_t)ai * p->words + c / 64] >> (c % 64) & 1);
}

static int eligible_skills(const proto *p, uint32_t ai, uint32_t c)
{
    const wl_agent *a = &p->w->agents[ai];
    return wl_skills_hold(a->skills, a->nskills, p->cls[c].req, p->cls[c].nreq);
}

static void link_add(proto *p, uint32_t ai, uint32_t c)
{
    pagent *a = &p->ag[ai];
    pclass *k = &p->cls[c];
    if (a->nscan == a->capscan) {
        a->capscan = a->capscan ? 2 * a->capscan : 8;
        a->scan = xrealloc(a->scan, (size_t)a->capscan * sizeof(uint64_t));
        a->epos = xrealloc(a->epos, (size_t)a->capscan * sizeof(uint32_t));
    }
    if (k->nelig == k->capelig) {
        k->capelig = k->capelig ? 2 * k->capelig : 8;
        k->elig = xrealloc(k->elig, (size_t)k->capelig * sizeof(elig_ref));
    }
    uint32_t li = a->nscan++;
    a->scan[li] = (uint64_t)p->cch[c] << 32 | c;
    a->epos[li] = k->nelig;
    k->elig[k->nelig++] = (elig_ref){ai, li};
}

/* Drop every link of class c (swap-remove on the agents' side). */
static void links_drop(proto *p, uint32_t c)
{
    pclass *k = &p->cls[c];
    for (uint32_t e = 0; e < k->nelig; e++) {
        pagent *a = &p->ag[k->elig[e].a];
        uint32_t li = k->elig[e].li, last = --a->nscan;
        if (li != last) {
            a->scan[li] = a->scan[last];
            a->epos[li] = a->epos[last];
            uint32_t mc = (uint32_t)a->scan[li];
            p->cls[mc].elig[a->epos[li]].li = li;
        }
    }
    k->nelig = 0;
}

static void slots_reserve(proto *p, uint32_t need)
{
    if (need <= p->capcls)
        return;
    uint32_t cap = p->capcls ? p->capcls : 1024;
    while (cap < need)
        cap *= 2;
    p->cls = xrealloc(p->cls, (size_t)cap * sizeof(pclass));
    memset(p->cls + p->capcls, 0, (size_t)(cap - p->capcls) * sizeof(pclass));
    p->top = xrealloc(p->top, (size_t)cap * sizeof(ctop));
    p->cch = xrealloc(p->cch, cap);
    p->cfree = xrealloc(p->cfree, (size_t)cap * sizeof(uint32_t));
    p->g.pos = xrealloc(p->g.pos, (size_t)cap * sizeof(uint32_t));
    for (uint32_t c = p->capcls; c < cap; c++)
        p->g.pos[c] = NOPOS;
    p->capcls = cap;
}

/* The class's head changed (new best, removed best, emptied): copy its key
 * to ctop and to what the maintained methods keep ordered. */
static void head_changed(proto *p, uint32_t c)
{
    const heap4 *wq = &p->cls[c].wait;
    ctop t = wq->n ? (ctop){wq->v[0].k1, wq->v[0].k2} : (ctop){KEY_EMPTY, KEY_EMPTY};
    p->top[c] = t;
    p->head_changes++;
    if (p->keep_b && p->g.pos[c] != NOPOS)
        h_update(&p->g, p->g.pos[c], t.k1, t.k2);
    if (p->keep_c) {
        const pclass *k = &p->cls[c];
        for (uint32_t i = 0; i < k->nmemb; i++) {
            uint32_t m = k->memb[i];
            h_update(&p->sigs[p->memb_sig[m]].h[p->cch[c]], p->mpos[m], t.k1, t.k2);
        }
        p->sig_updates += k->nmemb;
    }
}

/* Adversarial: a class for one interaction's requirements, linked to the
 * agents that can serve it (the holders of its rarest skill are examined,
 * as orca's candidates()). */
static uint32_t class_create(proto *p, const wl_interaction *it)
{
    slots_reserve(p, p->ncls + 1);
    uint32_t c = p->ncfree ? p->cfree[--p->ncfree] : p->ncls++;
    pclass *k = &p->cls[c];
    k->nreq = it->nreq;
    memcpy(k->req, it->req, sizeof k->req);
    p->cch[c] = it->channel;
    p->top[c] = (ctop){KEY_EMPTY, KEY_EMPTY};
    p->live++;
    const workload *w = p->w;
    uint32_t best = 0;
    for (uint32_t i = 1; i < it->nreq; i++) {
        uint16_t s = it->req[i].skill, b = it->req[best].skill;
        if (w->holder_off[s + 1] - w->holder_off[s] < w->holder_off[b + 1] - w->holder_off[b])
            best = i;
    }
    uint16_t rs = it->req[best].skill;
    for (uint32_t h = w->holder_off[rs]; h < w->holder_off[rs + 1]; h++)
        if (w->holder_level[h] >= it->req[best].level &&
            wl_agent_serves(&w->agents[w->holder_agent[h]], it->req, it->nreq))
            link_add(p, w->holder_agent[h], c);
    if (p->keep_b)
        h_push(&p->g, (hent){KEY_EMPTY, KEY_EMPTY, c});
    return c;
}

static void class_destroy(proto *p, uint32_t c)
{
    links_drop(p, c);
    if (p->keep_b && p->g.pos[c] != NOPOS)
        h_remove(&p->g, p->g.pos[c]);
    p->cfree[p->ncfree++] = c;
    p->live--;
}

/* ---- the three picks --------------------------------------------------- */

static uint32_t fitmask(const pagent *a)
{
    uint32_t m = 0;
    for (uint32_t ch = 0; ch < WL_NCHANNELS; ch++)
        if (a->used + wl_channel_cost[ch] <= WL_AGENT_CAPACITY &&
            a->cnt[ch] < wl_channel_limit[ch])
            m |= 1u << ch;
    return m;
}

/* (a) today: one pass over the agent's classes, reading ctop. */
static uint32_t pick_a(const proto *p, uint32_t ai, uint32_t fit)
{
    const pagent *a = &p->ag[ai];
    const ctop *tops = p->top;
    uint32_t best = NOPOS;
    uint64_t b1 = KEY_EMPTY, b2 = KEY_EMPTY;
    for (uint32_t li = 0, n = a->nscan; li < n; li++) {
        uint64_t s = a->scan[li];
        if (!(fit >> (s >> 32) & 1))
            continue;
        const ctop *t = &tops[(uint32_t)s];
        if (key_less(t->k1, t->k2, b1, b2)) {
            best = (uint32_t)s;
            b1 = t->k1;
            b2 = t->k2;
        }
    }
    return best;
}

/* Frontier of the best-first walk: a small binary heap of positions in g. */
static inline int fr_less(const heap4 *g, uint32_t x, uint32_t y)
{
    return ent_less(&g->v[x], &g->v[y]);
}

static void fr_push(const heap4 *g, uint32_t *fr, uint32_t *n, uint32_t x)
{
    uint32_t i = (*n)++;
    while (i && fr_less(g, x, fr[(i - 1) / 2])) {
        fr[i] = fr[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    fr[i] = x;
}

static uint32_t fr_pop(const heap4 *g, uint32_t *fr, uint32_t *n)
{
    uint32_t top = fr[0], x = fr[--*n], i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && fr_less(g, fr[c + 1], fr[c]))
            c++;
        if (!fr_less(g, fr[c], x))
            break;
        fr[i] = fr[c];
        i = c;
    }
    if (*n)
        fr[i] = x;
    return top;
}

/* (b) walk the classes in head-key order; the first one the agent can take
 * is the best; after K probes that fail, today's pass. */
static uint32_t pick_b(proto *p, uint32_t ai, uint32_t fit, uint32_t K)
{
    const heap4 *g = &p->g;
    uint32_t *fr = p->frontier, nf = 0, probes = 0;
    p->walks++;
    if (g->n)
        fr[nf++] = 0;
    while (nf) {
        uint32_t i = fr_pop(g, fr, &nf);
        const hent *e = &g->v[i];
        if (e->k1 == KEY_EMPTY)
            break; /* the rest of the walk is empty classes */
        uint32_t c = e->id;
        probes++;
        p->fit_misses += !(fit >> p->cch[c] & 1);
        if ((fit >> p->cch[c] & 1) &&
            (p->adv ? eligible_skills(p, ai, c) : eligible_zipf(p, ai, c))) {
            p->probes += probes;
            return c;
        }
        if (probes == K) {
            p->probes += probes;
            p->fallbacks++;
            return pick_a(p, ai, fit);
        }
        for (uint32_t ch = 4 * i + 1; ch <= 4 * i + 4 && ch < g->n; ch++)
            fr_push(g, fr, &nf, ch);
    }
    p->probes += probes;
    return NOPOS;
}

/* (c) the best of the agent's signature's heap tops, one per channel that
 * fits. */
static uint32_t pick_c(const proto *p, uint32_t ai, uint32_t fit)
{
    const psig *s = &p->sigs[p->ag[ai].sig];
    uint32_t best = NOPOS;
    uint64_t b1 = KEY_EMPTY, b2 = KEY_EMPTY;
    for (uint32_t ch = 0; ch < WL_NCHANNELS; ch++) {
        if (!(fit >> ch & 1) || !s->h[ch].n)
            continue;
        const hent *e = &s->h[ch].v[0];
        if (key_less(e->k1, e->k2, b1, b2)) {
            best = p->memb_cls[e->id];
            b1 = e->k1;
            b2 = e->k2;
        }
    }
    return best;
}

/* (a2) today's pass over the channels that fit only: the scan array is
 * grouped by channel (Zipf), so entries of a full channel are not read. */
static uint32_t pick_a2(const proto *p, uint32_t ai, uint32_t fit)
{
    const pagent *a = &p->ag[ai];
    const ctop *tops = p->top;
    uint32_t best = NOPOS;
    uint64_t b1 = KEY_EMPTY, b2 = KEY_EMPTY;
    for (uint32_t ch = 0; ch < WL_NCHANNELS; ch++) {
        if (!(fit >> ch & 1))
            continue;
        for (uint32_t li = a->choff[ch], n = a->choff[ch + 1]; li < n; li++) {
            uint32_t c = (uint32_t)a->scan[li];
            const ctop *t = &tops[c];
            if (key_less(t->k1, t->k2, b1, b2)) {
                best = c;
                b1 = t->k1;
                b2 = t->k2;
            }
        }
    }
    return best;
}

static uint32_t pick(proto *p, uint32_t ai, uint32_t fit)
{
    switch (p->method) {
    case M_B:
        return pick_b(p, ai, fit, p->K);
    case M_C:
        return pick_c(p, ai, fit);
    case M_A2:
        return pick_a2(p, ai, fit);
    default:
        return pick_a(p, ai, fit);
    }
}

/* --verify: every method (b at K = 4, 16, 64) must choose what (a) does. */
static void verify_pick(proto *p, uint32_t ai, uint32_t fit, uint32_t want)
{
    static const uint32_t ks[] = {4, 16, 64};
    uint64_t walks = p->walks, probes = p->probes, fallbacks = p->fallbacks;
    uint64_t fit_misses = p->fit_misses;
    for (uint32_t i = 0; i < 3; i++) {
        uint32_t got = pick_b(p, ai, fit, ks[i]);
        if (got != want) {
            fprintf(stderr, "release_proto: verify: agent %u: (b, K=%u) chose class %u, "
                    "(a) class %u (decision %llu)\n", ai, ks[i], got, want,
                    (unsigned long long)p->next_k);
            exit(1);
        }
    }
    p->walks = walks, p->probes = probes, p->fallbacks = fallbacks;
    p->fit_misses = fit_misses;
    if (!p->adv && pick_a2(p, ai, fit) != want) {
        fprintf(stderr, "release_proto: verify: agent %u: (a2) disagrees with (a)\n", ai);
        exit(1);
    }
    if (p->keep_c) {
        uint32_t got = pick_c(p, ai, fit);
        if (got != want) {
            fprintf(stderr, "release_proto: verify: agent %u: (c) chose class %u, (a) class "
                    "%u\n", ai, got, want);
            exit(1);
        }
    }
}

/* ---- one decision in each direction ------------------------------------ */

/* The timed release: pick, remove the head (the offer), charge the agent,
 * pay the head change. Not inlined, so callgrind can count it alone. */
__attribute__((noinline)) static uint32_t release_step(proto *p, uint32_t ai)
{
    pagent *a = &p->ag[ai];
    uint32_t fit = fitmask(a);
    uint32_t c = pick(p, ai, fit);
    if (c == NOPOS)
        return NOPOS;
    pclass *k = &p->cls[c];
    h_remove(&k->wait, 0);
    uint8_t ch = p->cch[c];
    a->cnt[ch]++;
    a->used = (uint16_t)(a->used + wl_channel_cost[ch]);
    head_changed(p, c);
    if (p->adv && !k->wait.n)
        p->pending[p->npending++] = c;
    return c;
}

/* The timed arrival of `it` (drawn before, untimed): its class (built, for
 * adversarial work), the push, and the head change if it is the new best. */
__attribute__((noinline)) static void arrival_step(proto *p, const wl_interaction *it)
{
    while (p->npending)
        class_destroy(p, p->pending[--p->npending]);
    uint32_t c = p->adv ? class_create(p, it) : it->set * WL_NCHANNELS + it->channel;
    uint64_t k = it->id - 1;
    hent e = {(uint64_t)(255 - it->priority) << 48 | k, k, (uint32_t)k};
    heap4 *wq = &p->cls[c].wait;
    h_push(wq, e);
    if (wq->v[0].k2 == k)
        head_changed(p, c);
}

/* The same two steps, called only for measured decisions: under callgrind,
 * --toggle-collect=measured_release counts those and not the build's. */
__attribute__((noinline)) static uint32_t measured_release(proto *p, uint32_t ai)
{
    return release_step(p, ai);
}

__attribute__((noinline)) static void measured_arrival(proto *p, const wl_interaction *it)
{
    arrival_step(p, it);
}

static void arrive_next(proto *p)
{
    wl_interaction it;
    wl_interaction_get(p->w, p->next_k++, &it);
    arrival_step(p, &it);
}

/* An agent's random busy item ends (untimed). The agent freed. */
static uint32_t free_one(proto *p)
{
    for (;;) {
        uint32_t ai = bench_below(&p->rng, p->nag);
        pagent *a = &p->ag[ai];
        uint32_t tot = a->cnt[0] + a->cnt[1] + a->cnt[2];
        if (!tot)
            continue;
        uint32_t r = bench_below(&p->rng, tot), ch = 0;
        while (r >= a->cnt[ch])
            r -= a->cnt[ch++];
        a->cnt[ch]--;
        a->used = (uint16_t)(a->used - wl_channel_cost[ch]);
        return ai;
    }
}

/* ---- building the centre ----------------------------------------------- */

static void build_zipf_classes(proto *p)
{
    const workload *w = p->w;
    slots_reserve(p, w->nsets * WL_NCHANNELS);
    p->ncls = p->live = w->nsets * WL_NCHANNELS;
    p->words = (p->ncls + 63) / 64;
    p->bits = xcalloc((size_t)p->nag * p->words, sizeof(uint64_t));
    for (uint32_t c = 0; c < p->ncls; c++) {
        const wl_set *s = &w->sets[c / WL_NCHANNELS];
        p->cls[c].nreq = s->n;
        memcpy(p->cls[c].req, s->req, sizeof s->req);
        p->cch[c] = (uint8_t)(c % WL_NCHANNELS);
        p->top[c] = (ctop){KEY_EMPTY, KEY_EMPTY};
    }
    /* channel by channel, so each agent's scan array is grouped by channel */
    for (uint32_t ai = 0; ai < p->nag; ai++)
        for (uint32_t ch = 0; ch < WL_NCHANNELS; ch++) {
            p->ag[ai].choff[ch] = p->ag[ai].nscan;
            for (uint32_t c = ch; c < p->ncls; c += WL_NCHANNELS)
                if (wl_agent_serves(&w->agents[ai], p->cls[c].req, p->cls[c].nreq)) {
                    link_add(p, ai, c);
                    p->bits[(size_t)ai * p->words + c / 64] |= 1ull << (c % 64);
                }
            p->ag[ai].choff[ch + 1] = p->ag[ai].nscan;
        }
    if (p->keep_b)
        for (uint32_t c = 0; c < p->ncls; c++)
            h_push(&p->g, (hent){KEY_EMPTY, KEY_EMPTY, c});
}

static const uint64_t *agent_bits;
static uint32_t agent_words;

static int cmp_agent_bits(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return memcmp(agent_bits + (size_t)a * agent_words, agent_bits + (size_t)b * agent_words,
                  agent_words * sizeof(uint64_t));
}

/* (c), Zipf: group agents by eligibility bitmap; one membership per
 * (signature, class), kept in that signature's heap for the class's
 * channel. */
static void build_signatures(proto *p)
{
    uint32_t *order = xcalloc(p->nag, sizeof(uint32_t));
    for (uint32_t i = 0; i < p->nag; i++)
        order[i] = i;
    agent_bits = p->bits;
    agent_words = p->words;
    qsort(order, p->nag, sizeof(uint32_t), cmp_agent_bits);
    uint32_t *first = xcalloc(p->nag, sizeof(uint32_t)); /* sig -> an agent */
    p->nsigs = 0;
    for (uint32_t i = 0; i < p->nag; i++) {
        if (i == 0 || cmp_agent_bits(&order[i - 1], &order[i]))
            first[p->nsigs++] = order[i];
        p->ag[order[i]].sig = p->nsigs - 1;
    }
    p->sigs = xcalloc(p->nsigs, sizeof(psig));
    uint32_t total = 0;
    for (uint32_t g = 0; g < p->nsigs; g++)
        total += p->ag[first[g]].nscan;
    p->nmemb = total;
    p->memb_cls = xcalloc(total, sizeof(uint32_t));
    p->memb_sig = xcalloc(total, sizeof(uint32_t));
    p->mpos = xcalloc(total, sizeof(uint32_t));
    for (uint32_t c = 0; c < p->ncls; c++)
        p->cls[c].memb = xcalloc(p->cls[c].nelig, sizeof(uint32_t));
    uint32_t m = 0;
    for (uint32_t g = 0; g < p->nsigs; g++) {
        const pagent *a = &p->ag[first[g]];
        for (uint32_t ch = 0; ch < WL_NCHANNELS; ch++)
            p->sigs[g].h[ch].pos = p->mpos;
        for (uint32_t li = 0; li < a->nscan; li++, m++) {
            uint32_t c = (uint32_t)a->scan[li];
            p->memb_cls[m] = c;
            p->memb_sig[m] = g;
            p->cls[c].memb[p->cls[c].nmemb++] = m;
            h_push(&p->sigs[g].h[p->cch[c]], (hent){p->top[c].k1, p->top[c].k2, m});
        }
    }
    free(first);
    free(order);
}

static uint64_t scan_hash(const pagent *a)
{
    uint32_t *v = xcalloc(a->nscan, sizeof(uint32_t));
    for (uint32_t i = 0; i < a->nscan; i++)
        v[i] = (uint32_t)a->scan[i];
    /* insertion sort: the lists are short */
    for (uint32_t i = 1; i < a->nscan; i++)
        for (uint32_t j = i; j && v[j - 1] > v[j]; j--) {
            uint32_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    uint64_t h = 1469598103934665603ull;
    for (uint32_t i = 0; i < a->nscan; i++)
        h = (h ^ v[i]) * 1099511628211ull;
    free(v);
    return h;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* Adversarial, for the report: how many distinct eligible-class sets the
 * agents have right now (what (c) would have to keep). */
static uint32_t count_signatures(const proto *p)
{
    uint64_t *h = xcalloc(p->nag, sizeof(uint64_t));
    for (uint32_t i = 0; i < p->nag; i++)
        h[i] = scan_hash(&p->ag[i]);
    qsort(h, p->nag, sizeof(uint64_t), cmp_u64);
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->nag; i++)
        n += i == 0 || h[i] != h[i - 1];
    free(h);
    return n;
}

/* Fill the queues to `waiting`, then let every agent fill its capacity from
 * them (refilling after each offer), as the bench's build does. */
static void fill(proto *p, uint32_t waiting)
{
    for (uint32_t i = 0; i < waiting; i++)
        arrive_next(p);
    int method = p->method;
    p->method = M_A;
    for (uint32_t ai = 0; ai < p->nag; ai++)
        while (release_step(p, ai) != NOPOS)
            arrive_next(p);
    p->method = method;
}

/* ---- measuring --------------------------------------------------------- */

typedef struct opts {
    int adv, method, verify, timed;
    uint32_t K, agents, waiting, calls, warmup;
    uint64_t seed;
    const char *out;
} opts;

static int cmp_ns(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

static uint64_t pct(uint64_t *v, uint32_t n, double q)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, cmp_ns);
    uint32_t r = (uint32_t)(q * n + 0.999999);
    return v[r ? r - 1 : 0];
}

/* Why the walk of (b) is long: the mean number of agents eligible for the
 * first n classes of the global order, against the mean over all live
 * classes. Printed with (b)'s summary. */
static void order_report(proto *p, uint32_t n)
{
    const heap4 *g = &p->g;
    uint32_t *fr = xcalloc(4 * (size_t)n + 8, sizeof(uint32_t)), nf = 0, seen = 0;
    double head = 0, all = 0;
    for (uint32_t c = 0; c < p->ncls; c++)
        if (g->pos[c] != NOPOS)
            all += p->cls[c].nelig;
    if (g->n)
        fr[nf++] = 0;
    while (nf && seen < n) {
        uint32_t i = fr_pop(g, fr, &nf);
        if (g->v[i].k1 == KEY_EMPTY)
            break;
        head += p->cls[g->v[i].id].nelig;
        seen++;
        for (uint32_t ch = 4 * i + 1; ch <= 4 * i + 4 && ch < g->n; ch++)
            fr_push(g, fr, &nf, ch);
    }
    free(fr);
    printf("  (b) the first %u classes in head order: %.1f eligible agents on average; "
           "all %u live classes: %.1f\n", seen, seen ? head / seen : 0, p->live,
           p->live ? all / p->live : 0);
}

static const char *method_name(const opts *o)
{
    static const char *const names[] = {"a_today", "b_global", "c_signature",
                                        "a2_by_channel"};
    return names[o->method];
}

static void usage(void)
{
    fprintf(stderr,
            "usage: release_proto [--workload zipf|adversarial] [--method a|a2|b|c] [--k K]\n"
            "                     [--agents N] [--waiting N] [--calls N] [--warmup N]\n"
            "                     [--seed N] [--verify] [--no-time] [--out FILE]\n");
    exit(2);
}

static void parse(opts *o, int argc, char **argv)
{
    *o = (opts){0, M_A, 0, 1, 16, 10000, 100000, 200000, 20000, 42, NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--verify")) {
            o->verify = 1;
            o->timed = 0;
            continue;
        }
        if (!strcmp(a, "--no-time")) {
            o->timed = 0;
            continue;
        }
        if (!v)
            usage();
        i++;
        if (!strcmp(a, "--workload"))
            o->adv = !strcmp(v, "adversarial") ? 1 : !strcmp(v, "zipf") ? 0 : (usage(), 0);
        else if (!strcmp(a, "--method"))
            o->method = !strcmp(v, "a2") ? M_A2 : v[0] == 'a' ? M_A : v[0] == 'b' ? M_B
                        : v[0] == 'c' ? M_C : (usage(), 0);
        else if (!strcmp(a, "--k"))
            o->K = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--agents"))
            o->agents = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--waiting"))
            o->waiting = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--calls"))
            o->calls = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--warmup"))
            o->warmup = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--seed"))
            o->seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--out"))
            o->out = v;
        else
            usage();
    }
    if (o->K == 0 || o->agents == 0 || (o->adv && (o->method == M_C || o->method == M_A2))) {
        if (o->adv && (o->method == M_C || o->method == M_A2))
            fprintf(stderr, "release_proto: (c) and (a2) are not run on the adversarial "
                    "workload (see the header comment)\n");
        usage();
    }
}

/* What one run measured. */
typedef struct result {
    uint64_t *rel, *arr;           /* ns per measured release / arrival */
    uint32_t nrel, narr, none;     /* none: releases that found no work */
    uint32_t nsig;
    double links_per_agent;
} result;

static void proto_init(proto *p, const workload *w, const opts *o)
{
    memset(p, 0, sizeof *p);
    p->w = w;
    p->adv = o->adv;
    p->method = o->method;
    p->K = o->K;
    p->verify = o->verify;
    p->keep_b = o->method == M_B || o->verify;
    p->keep_c = !o->adv && (o->method == M_C || o->verify);
    p->nag = o->agents;
    p->ag = xcalloc(p->nag, sizeof(pagent));
    p->rng = bench_stream_seed(o->seed, 99, 0);
    /* a walk of K probes holds at most 3K + 1 positions */
    p->frontier = xcalloc(4 * (size_t)(p->K > 64 ? p->K : 64) + 8, sizeof(uint32_t));
    if (!o->adv)
        build_zipf_classes(p);
    fill(p, o->waiting);
    /* (c) is built from the filled state: the same signatures, and the fill
     * does not pay a signature update per head change (minutes under
     * callgrind) */
    if (p->keep_c)
        build_signatures(p);
}

/* warmup + calls decisions: an agent frees (untimed), the timed release,
 * the next interaction drawn (untimed), the timed arrival. */
static void measure(proto *p, const opts *o, result *r)
{
    r->rel = xcalloc(o->calls, sizeof(uint64_t));
    r->arr = xcalloc(o->calls, sizeof(uint64_t));
    for (uint32_t i = 0; i < o->warmup + o->calls; i++) {
        int measured = i >= o->warmup;
        if (i == o->warmup)
            p->walks = p->probes = p->fallbacks = p->head_changes = p->sig_updates =
                p->fit_misses = 0;
        uint32_t ai = free_one(p);
        if (o->verify)
            verify_pick(p, ai, fitmask(&p->ag[ai]), pick_a(p, ai, fitmask(&p->ag[ai])));
        uint64_t t0 = o->timed ? bench_now_ns() : 0;
        uint32_t c = measured ? measured_release(p, ai) : release_step(p, ai);
        uint64_t t1 = o->timed ? bench_now_ns() : 0;
        if (measured)
            r->rel[r->nrel++] = t1 - t0;
        if (c == NOPOS) {
            r->none += measured;
            continue;
        }
        wl_interaction it;
        wl_interaction_get(p->w, p->next_k++, &it);
        t0 = o->timed ? bench_now_ns() : 0;
        if (measured)
            measured_arrival(p, &it);
        else
            arrival_step(p, &it);
        t1 = o->timed ? bench_now_ns() : 0;
        if (measured)
            r->arr[r->narr++] = t1 - t0;
    }
}

/* The summary line, and the CSV row when --out is given (timed runs). */
static int report(proto *p, const opts *o, result *r)
{
    double lpa = r->links_per_agent, elig_bytes;
    if (o->method == M_A || o->method == M_A2)
        elig_bytes = lpa * 8; /* the scan array; the 48-byte links are beside it */
    else if (o->method == M_B)
        elig_bytes = o->adv ? 0 : p->words * 8.0; /* skill test / bitmap */
    else
        elig_bytes = 4 + (double)p->nmemb * (sizeof(hent) + 2 * sizeof(uint32_t)) / p->nag;
    const char *wname = o->adv ? "adversarial" : "zipf";
    double probes = p->walks ? (double)p->probes / p->walks : 0;
    double fb = p->walks ? 100.0 * p->fallbacks / p->walks : 0;
    double fitp = p->probes ? 100.0 * p->fit_misses / p->probes : 0;
    double supd = p->head_changes ? (double)p->sig_updates / p->head_changes : 0;
    unsigned long long rm = pct(r->rel, r->nrel, 0.5), r99 = pct(r->rel, r->nrel, 0.99);
    unsigned long long am = pct(r->arr, r->narr, 0.5), a99 = pct(r->arr, r->narr, 0.99);
    char mname[32];
    snprintf(mname, sizeof mname, o->method == M_B ? "%s K=%u" : "%s", method_name(o), o->K);
    printf("%s %s: %u agents, %u waiting, %u classes live, %.1f links/agent, %u "
           "signatures; release median %llu ns p99 %llu ns, arrival median %llu ns p99 %llu "
           "ns; probes/walk %.2f (%.0f%% failed on the channel), fallback %.1f%%, signature "
           "updates/head change %.1f, eligibility bytes/agent %.0f (links x 48: %.0f); %u "
           "releases found nothing; %u arrivals measured%s\n",
           wname, mname, p->nag, o->waiting, p->live, lpa, r->nsig, rm, r99, am, a99, probes,
           fitp, fb, supd, elig_bytes, lpa * ORCA_LINK_BYTES, r->none, r->narr,
           !o->verify ? ""
           : p->keep_c ? "; verify: (a2), (b) K=4/16/64 and (c) chose as (a) on every decision"
                       : "; verify: (b) K=4/16/64 chose as (a) on every decision");
    if (o->method == M_B)
        order_report(p, 16);
    if (!o->out || !o->timed)
        return 0;
    FILE *f = fopen(o->out, "a");
    if (!f) {
        perror(o->out);
        return 2;
    }
    fprintf(f, "%s,%s,%u,%u,%u,%u,%u,%llu,%llu,%llu,%llu,%.2f,%.0f,%.1f,%u,%.1f,%.0f,%.1f,%.0f\n",
            wname, method_name(o), o->method == M_B ? o->K : 0, p->nag, o->waiting, p->live,
            r->nrel, rm, r99, am, a99, probes, fitp, fb, r->nsig, supd, elig_bytes, lpa,
            lpa * ORCA_LINK_BYTES);
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    opts o;
    parse(&o, argc, argv);
    workload w;
    wl_params wp = {o.seed, o.agents, 50, 200, o.adv};
    if (wl_build(&w, &wp)) {
        fprintf(stderr, "release_proto: workload build failed\n");
        return 2;
    }
    proto p;
    proto_init(&p, &w, &o);
    result r = {0};
    r.nsig = p.keep_c ? p.nsigs : count_signatures(&p);
    uint64_t links = 0;
    for (uint32_t i = 0; i < p.nag; i++)
        links += p.ag[i].nscan;
    r.links_per_agent = (double)links / p.nag;
    measure(&p, &o, &r);
    int rc = report(&p, &o, &r);
    wl_free(&w);
    return rc;
}
