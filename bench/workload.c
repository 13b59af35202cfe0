/* workload.c: see workload.h. */
#include "workload.h"
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const uint32_t wl_channel_cost[WL_NCHANNELS] = {100, 25, 10};
const uint32_t wl_channel_limit[WL_NCHANNELS] = {1, 3, 5};
const char *const wl_channel_name[WL_NCHANNELS] = {"voice", "chat", "email"};

/* Independent random streams of one run. */
enum { ST_AGENT = 1, ST_SET = 2, ST_INTERACTION = 3, ST_CUSTOMER = 4 };

#define ZIPF_S 1.0

static double *zipf_cdf(uint32_t n)
{
    double *cdf = malloc((size_t)n * sizeof *cdf);
    if (cdf == NULL)
        return NULL;
    double sum = 0.0;
    for (uint32_t r = 0; r < n; r++) {
        sum += 1.0 / pow((double)r + 1.0, ZIPF_S);
        cdf[r] = sum;
    }
    for (uint32_t r = 0; r < n; r++)
        cdf[r] /= sum;
    cdf[n - 1] = 1.0;
    return cdf;
}

/* First index whose CDF value exceeds a uniform draw. */
static uint32_t zipf_draw(const double *cdf, uint32_t n, uint64_t *rng)
{
    double u = bench_unit(rng);
    uint32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static int cmp_skill_level(const void *a, const void *b)
{
    const wl_skill_level *x = a, *y = b;
    return (x->skill > y->skill) - (x->skill < y->skill);
}

static void sort_req(wl_skill_level *req, uint32_t n)
{
    qsort(req, n, sizeof *req, cmp_skill_level);
}

static int has_skill(const wl_skill_level *req, uint32_t n, uint16_t skill)
{
    for (uint32_t i = 0; i < n; i++)
        if (req[i].skill == skill)
            return 1;
    return 0;
}

int wl_agent_serves(const wl_agent *a, const wl_skill_level *req, uint32_t n)
{
    return wl_skills_hold(a->skills, a->nskills, req, n);
}

uint32_t wl_count_eligible(const workload *w, const wl_skill_level *req,
                           uint32_t n, uint32_t limit)
{
    if (n == 0)
        return w->p.agents < limit ? w->p.agents : limit;
    /* walk the holders of the rarest required skill */
    uint32_t best = 0;
    for (uint32_t i = 1; i < n; i++) {
        uint16_t s = req[i].skill, b = req[best].skill;
        if (w->holder_off[s + 1] - w->holder_off[s] < w->holder_off[b + 1] - w->holder_off[b])
            best = i;
    }
    uint16_t rs = req[best].skill;
    uint32_t count = 0;
    for (uint32_t h = w->holder_off[rs]; h < w->holder_off[rs + 1] && count < limit; h++) {
        if (w->holder_level[h] < req[best].level)
            continue;
        if (wl_agent_serves(&w->agents[w->holder_agent[h]], req, n))
            count++;
    }
    return count;
}

static int cmp_set_eligible(const void *a, const void *b)
{
    const wl_set *x = a, *y = b;
    return (x->eligible < y->eligible) - (x->eligible > y->eligible);
}

static void draw_set(const workload *w, uint64_t *rng, wl_set *s)
{
    uint32_t k = w->p.skills;
    for (int attempt = 0; attempt < 1000; attempt++) {
        uint32_t n = 1 + bench_below(rng, 3);
        if (n > k)
            n = k;
        s->n = 0;
        while (s->n < n) {
            uint16_t sk = (uint16_t)zipf_draw(w->skill_cdf, k, rng);
            if (has_skill(s->req, s->n, sk))
                continue;
            s->req[s->n].skill = sk;
            s->req[s->n].level = (uint8_t)(1 + bench_below(rng, 5));
            s->n++;
        }
        sort_req(s->req, s->n);
        s->eligible = wl_count_eligible(w, s->req, s->n, UINT32_MAX);
        if (s->eligible > 0)
            return;
    }
    /* the most popular skill at level 1 is always held by someone */
    s->n = 1;
    s->req[0].skill = 0;
    s->req[0].level = 1;
    s->eligible = wl_count_eligible(w, s->req, 1, UINT32_MAX);
}

int wl_build(workload *w, const wl_params *p)
{
    memset(w, 0, sizeof *w);
    if (p->agents == 0 || p->skills == 0 || p->skills > 65535 ||
        (!p->adversarial && p->classes == 0))
        return -1;
    w->p = *p;
    uint32_t k = p->skills;
    w->skill_cdf = zipf_cdf(k);
    w->agents = calloc(p->agents, sizeof *w->agents);
    w->holder_off = calloc((size_t)k + 1, sizeof *w->holder_off);
    if (w->skill_cdf == NULL || w->agents == NULL || w->holder_off == NULL)
        goto fail;

    size_t total = 0;
    for (uint32_t i = 0; i < p->agents; i++) {
        wl_agent *a = &w->agents[i];
        uint64_t rng = bench_stream_seed(p->seed, ST_AGENT, i);
        uint32_t n = 4 + bench_below(&rng, 7);
        if (n > k)
            n = k;
        a->id = (uint64_t)i + 1;
        a->weight = 1 + bench_below(&rng, 4);
        a->nskills = 0;
        while (a->nskills < n) {
            uint16_t sk = (uint16_t)zipf_draw(w->skill_cdf, k, &rng);
            if (has_skill(a->skills, a->nskills, sk))
                continue;
            a->skills[a->nskills].skill = sk;
            a->skills[a->nskills].level = (uint8_t)(1 + bench_below(&rng, 10));
            a->nskills++;
        }
        sort_req(a->skills, a->nskills);
        for (uint32_t j = 0; j < a->nskills; j++)
            w->holder_off[a->skills[j].skill + 1]++;
        total += a->nskills;
    }
    for (uint32_t s = 0; s < k; s++)
        w->holder_off[s + 1] += w->holder_off[s];
    w->holder_agent = malloc(total * sizeof *w->holder_agent);
    w->holder_level = malloc(total);
    uint32_t *fill = malloc((size_t)k * sizeof *fill);
    if (w->holder_agent == NULL || w->holder_level == NULL || fill == NULL) {
        free(fill);
        goto fail;
    }
    memcpy(fill, w->holder_off, (size_t)k * sizeof *fill);
    for (uint32_t i = 0; i < p->agents; i++) {
        const wl_agent *a = &w->agents[i];
        for (uint32_t j = 0; j < a->nskills; j++) {
            uint32_t at = fill[a->skills[j].skill]++;
            w->holder_agent[at] = i;
            w->holder_level[at] = a->skills[j].level;
        }
    }
    free(fill);

    if (!p->adversarial) {
        w->nsets = p->classes;
        w->sets = calloc(w->nsets, sizeof *w->sets);
        w->set_cdf = zipf_cdf(w->nsets);
        if (w->sets == NULL || w->set_cdf == NULL)
            goto fail;
        for (uint32_t j = 0; j < w->nsets; j++) {
            uint64_t rng = bench_stream_seed(p->seed, ST_SET, j);
            draw_set(w, &rng, &w->sets[j]);
        }
        /* qsort is not stable, but the eligible counts and the draws are
         * deterministic, and so is qsort on the same input. */
        qsort(w->sets, w->nsets, sizeof *w->sets, cmp_set_eligible);
    }
    return 0;
fail:
    wl_free(w);
    return -1;
}

void wl_free(workload *w)
{
    free(w->agents);
    free(w->sets);
    free(w->skill_cdf);
    free(w->set_cdf);
    free(w->holder_off);
    free(w->holder_agent);
    free(w->holder_level);
    memset(w, 0, sizeof *w);
}

static void draw_adversarial(const workload *w, uint64_t *rng, wl_interaction *it)
{
    uint32_t k = w->p.skills;
    for (int attempt = 0; attempt < 256; attempt++) {
        uint32_t n = 2 + bench_below(rng, 2);
        if (n > k)
            n = k;
        it->nreq = 0;
        while (it->nreq < n) {
            uint16_t sk = (uint16_t)bench_below(rng, k);
            if (has_skill(it->req, it->nreq, sk))
                continue;
            it->req[it->nreq].skill = sk;
            it->req[it->nreq].level = (uint8_t)(1 + bench_below(rng, 10));
            it->nreq++;
        }
        sort_req(it->req, it->nreq);
        if (wl_count_eligible(w, it->req, it->nreq, 1) > 0)
            return;
    }
    it->nreq = 1;
    it->req[0].skill = (uint16_t)bench_below(rng, k < 3 ? k : 3);
    it->req[0].level = 1;
    if (wl_count_eligible(w, it->req, 1, 1) == 0)
        it->req[0].skill = 0;
}

void wl_interaction_get(const workload *w, uint64_t k, wl_interaction *it)
{
    uint64_t rng = bench_stream_seed(w->p.seed, ST_INTERACTION, k);
    it->id = k + 1;
    uint32_t c = bench_below(&rng, 100);
    it->channel = c < 45 ? WL_VOICE : c < 80 ? WL_CHAT : WL_EMAIL;
    it->priority = bench_below(&rng, 1000) < 30 ? WL_PRIO_URGENT : WL_PRIO_NORMAL;
    if (w->p.adversarial) {
        it->set = UINT32_MAX;
        draw_adversarial(w, &rng, it);
    } else {
        it->set = zipf_draw(w->set_cdf, w->nsets, &rng);
        const wl_set *s = &w->sets[it->set];
        it->nreq = s->n;
        memcpy(it->req, s->req, sizeof it->req);
    }
}

static uint64_t set_hash(const wl_interaction *it)
{
    uint64_t h = 0x2545f4914f6cdd1dull ^ it->nreq;
    for (uint32_t i = 0; i < it->nreq; i++) {
        h ^= ((uint64_t)it->req[i].skill << 8) | it->req[i].level;
        uint64_t s = h;
        h = bench_splitmix64(&s);
    }
    return h | 1; /* 0 marks an empty slot */
}

static int same_set(const wl_interaction *a, const wl_interaction *b)
{
    if (a->nreq != b->nreq)
        return 0;
    for (uint32_t i = 0; i < a->nreq; i++)
        if (a->req[i].skill != b->req[i].skill || a->req[i].level != b->req[i].level)
            return 0;
    return 1;
}

uint32_t wl_count_distinct(const workload *w, uint64_t k0, uint32_t n)
{
    if (!w->p.adversarial) {
        /* a set drawn once counts; cheaper than hashing */
        uint8_t *seen = calloc(w->nsets, 1);
        if (seen == NULL)
            return 0;
        uint32_t d = 0;
        wl_interaction it;
        for (uint32_t i = 0; i < n; i++) {
            wl_interaction_get(w, k0 + i, &it);
            if (!seen[it.set]) {
                seen[it.set] = 1;
                d++;
            }
        }
        free(seen);
        return d;
    }
    size_t cap = 16;
    while (cap < (size_t)n * 2)
        cap <<= 1;
    uint64_t *hash = calloc(cap, sizeof *hash);
    uint64_t *key = calloc(cap, sizeof *key);
    if (hash == NULL || key == NULL) {
        free(hash);
        free(key);
        return 0;
    }
    uint32_t d = 0;
    wl_interaction it, other;
    for (uint32_t i = 0; i < n; i++) {
        wl_interaction_get(w, k0 + i, &it);
        uint64_t h = set_hash(&it);
        size_t at = (size_t)h & (cap - 1);
        for (;;) {
            if (hash[at] == 0) {
                hash[at] = h;
                key[at] = k0 + i;
                d++;
                break;
            }
            if (hash[at] == h) {
                wl_interaction_get(w, key[at], &other);
                if (same_set(&it, &other))
                    break;
            }
            at = (at + 1) & (cap - 1);
        }
    }
    free(hash);
    free(key);
    return d;
}

void wl_customer_get(const workload *w, const wl_customers *c, uint64_t k,
                     uint64_t *customer, uint64_t *conversation)
{
    uint64_t s = bench_stream_seed(w->p.seed, ST_CUSTOMER, k);
    int back = k > 0 && bench_unit(&s) < c->recontact;
    uint64_t window = k < c->window ? k : c->window;
    uint64_t d = back && window > 0 ? 1 + bench_splitmix64(&s) % window : 0;
    int same = bench_unit(&s) < c->same_conversation;
    int open = bench_unit(&s) < c->new_conversation;
    if (d == 0) {
        *customer = k + 1;
        *conversation = open ? k + 1 : 0;
        return;
    }
    /* the earlier contact's customer and conversation: a chain of returns,
     * each link taken with probability `recontact`, so short */
    uint64_t conv = 0;
    wl_customer_get(w, c, k - d, customer, &conv);
    *conversation = same && conv != 0 ? conv : open ? k + 1 : 0;
}
