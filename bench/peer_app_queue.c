/* peer_app_queue.c: see peer_app_queue.h. */
#include "peer_app_queue.h"

#include <math.h>
#include <string.h>

#include "peer_common.h"

typedef struct aq_agent {
    /* what the scan looks at first */
    uint32_t used, capacity;
    uint8_t ready, nskills;
    uint8_t count[WL_NCHANNELS], limit[WL_NCHANNELS];
    uint32_t handled, weight;
    uint64_t idle_since, last_offer, wr_key, id;
    wl_skill_level skills[WL_MAX_AGENT_SKILLS];
} aq_agent;

typedef struct aq_node {
    peer_call c;               /* the waiting list / free list, the call */
    uint64_t seq;
} aq_node;
#define NODE_SIZE sizeof(aq_node)

struct aq_peer {
    aq_config cfg;
    aq_agent *agents;
    uint32_t nagents;
    size_t cap_agents;
    peer_calls nodes;          /* the nodes; the waiting list, per priority */
    uint64_t nonempty[PEER_NPRIO / 64];
    uint64_t seq, offer_counter, rng, wr_clock;
    uint32_t waiting, busy;
};

static peer_call *node(const aq_peer *p, uint32_t h)
{
    return peer_call_at(&p->nodes, NODE_SIZE, h);
}

static uint64_t draw(aq_peer *p, uint32_t weight)
{
    uint64_t x = bench_splitmix64(&p->rng);
    double u = (double)((x >> 11) + 1) * 0x1p-53;
    return (uint64_t)(-log(u) * 1e6 / (double)weight);
}

int aq_new(const aq_config *cfg, aq_peer **out)
{
    aq_peer *p = bench_mem_realloc(cfg->mem, NULL, 0, sizeof *p);
    if (p == NULL)
        return -1;
    memset(p, 0, sizeof *p);
    p->cfg = *cfg;
    p->rng = cfg->seed;
    peer_calls_init(&p->nodes);
    *out = p;
    return 0;
}

void aq_free(aq_peer *p)
{
    if (p == NULL)
        return;
    bench_mem *m = p->cfg.mem;
    bench_mem_realloc(m, p->agents, p->cap_agents * sizeof *p->agents, 0);
    peer_calls_free(&p->nodes, m, NODE_SIZE);
    bench_mem_realloc(m, p, sizeof *p, 0);
}

int aq_agent_add(aq_peer *p, const wl_agent *wa, uint32_t capacity,
                 const uint32_t limits[WL_NCHANNELS])
{
    if (p->nagents == p->cap_agents) {
        aq_agent *na = bench_grow(p->cfg.mem, p->agents, &p->cap_agents, p->nagents + 1,
                                  sizeof *na, 64);
        if (na == NULL)
            return -1;
        p->agents = na;
    }
    aq_agent *a = &p->agents[p->nagents++];
    memset(a, 0, sizeof *a);
    a->id = wa->id;
    a->capacity = capacity;
    a->weight = wa->weight;
    a->nskills = wa->nskills;
    memcpy(a->skills, wa->skills, sizeof a->skills);
    for (int c = 0; c < WL_NCHANNELS; c++)
        a->limit[c] = (uint8_t)limits[c];
    a->wr_key = p->wr_clock + draw(p, a->weight);
    return 0;
}

static int holds(const aq_agent *a, const peer_call *n)
{
    return wl_skills_hold(a->skills, a->nskills, n->req, n->nreq);
}

static int fits(const aq_agent *a, uint32_t ch)
{
    return a->used + wl_channel_cost[ch] <= a->capacity && a->count[ch] < a->limit[ch];
}

static int64_t primary(const aq_peer *p, const aq_agent *a, const peer_call *n)
{
    switch (p->cfg.strategy) {
    case ORCA_STRATEGY_LEAST_OCCUPIED:
        return a->used;
    case ORCA_STRATEGY_MOST_PROFICIENT: {
        int64_t score = 0;
        for (uint32_t i = 0; i < n->nreq; i++)
            for (uint32_t j = 0; j < a->nskills; j++)
                if (a->skills[j].skill == n->req[i].skill)
                    score += a->skills[j].level;
        return -score;
    }
    case ORCA_STRATEGY_ROUND_ROBIN:
        return (int64_t)a->last_offer;
    case ORCA_STRATEGY_FEWEST_HANDLED:
        return a->handled;
    case ORCA_STRATEGY_WEIGHTED_RANDOM:
        return (int64_t)a->wr_key;
    case ORCA_STRATEGY_LONGEST_IDLE:
    default:
        return 0;
    }
}

/* The shared FIFOs, plus which priorities are non-empty and the count. */
static void list_append(aq_peer *p, uint32_t h)
{
    peer_queue_append(&p->nodes, NODE_SIZE, h);
    uint32_t pr = node(p, h)->priority;
    p->nonempty[pr / 64] |= 1ull << (pr % 64);
    p->waiting++;
}

static void list_unlink(aq_peer *p, uint32_t h)
{
    peer_queue_unlink(&p->nodes, NODE_SIZE, h);
    uint32_t pr = node(p, h)->priority;
    if (p->nodes.head[pr] == PEER_NIL)
        p->nonempty[pr / 64] &= ~(1ull << (pr % 64));
    p->waiting--;
}

static void offer(aq_peer *p, uint32_t h, uint32_t ai)
{
    peer_call *n = node(p, h);
    aq_agent *a = &p->agents[ai];
    n->state = PEER_OFFERED;
    n->agent = ai;
    a->used += wl_channel_cost[n->channel];
    a->count[n->channel]++;
    a->last_offer = ++p->offer_counter;
    p->wr_clock = a->wr_key;
    a->wr_key += draw(p, a->weight);
    p->busy++;
    if (p->cfg.offer != NULL)
        p->cfg.offer(p->cfg.offer_data, n->id, a->id, h, n->channel);
}

/* The release direction: while agent ai has room, the first waiting
 * interaction (priority desc, arrival, seq) it can take is offered. Work the
 * pass skipped stays out of reach as the agent fills, so it goes on from
 * the offered one rather than restarting from the head. */
static void route_agent(aq_peer *p, uint32_t ai)
{
    aq_agent *a = &p->agents[ai];
    if (!a->ready)
        return;
    for (int w = PEER_NPRIO / 64 - 1; w >= 0; w--) {
        uint64_t bits = p->nonempty[w];
        while (bits != 0) {
            int bit = 63 - __builtin_clzll(bits);
            bits &= ~(1ull << bit);
            uint32_t h = p->nodes.head[w * 64 + bit];
            while (h != PEER_NIL) {
                if (a->used + wl_channel_cost[WL_EMAIL] > a->capacity)
                    return; /* nothing fits any more */
                peer_call *n = node(p, h);
                uint32_t next = n->next;
                if (fits(a, n->channel) && holds(a, n)) {
                    list_unlink(p, h);
                    offer(p, h, ai);
                }
                h = next;
            }
        }
    }
}

void aq_agent_ready(aq_peer *p, uint32_t idx, uint64_t now, int route)
{
    aq_agent *a = &p->agents[idx];
    if (!a->ready) {
        a->ready = 1;
        a->idle_since = now;
    }
    if (route)
        route_agent(p, idx);
}

int aq_enqueue(aq_peer *p, const wl_interaction *it, uint64_t now, int route,
               uint32_t *handle)
{
    uint32_t h = peer_call_alloc(&p->nodes, p->cfg.mem, NODE_SIZE);
    if (h == PEER_NIL)
        return -1;
    peer_call *n = peer_call_fill(&p->nodes, NODE_SIZE, h, it, now);
    ((aq_node *)n)->seq = ++p->seq;
    *handle = h;
    if (route) {
        /* the arrival direction: one pass over every agent */
        uint32_t best = PEER_NIL;
        int64_t bprim = 0;
        uint64_t bidle = 0, bid = 0;
        uint32_t ch = n->channel;
        for (uint32_t i = 0; i < p->nagents; i++) {
            const aq_agent *a = &p->agents[i];
            if (!a->ready || !fits(a, ch) || !holds(a, n))
                continue;
            int64_t prim = primary(p, a, n);
            if (best == PEER_NIL || prim < bprim ||
                (prim == bprim && (a->idle_since < bidle ||
                                   (a->idle_since == bidle && a->id < bid)))) {
                best = i;
                bprim = prim;
                bidle = a->idle_since;
                bid = a->id;
            }
        }
        if (best != PEER_NIL) {
            offer(p, h, best);
            return 0;
        }
    }
    list_append(p, h);
    return 0;
}

void aq_force_offer(aq_peer *p, uint32_t handle, uint32_t agent_idx)
{
    list_unlink(p, handle);
    offer(p, handle, agent_idx);
}

void aq_accept(aq_peer *p, uint32_t handle)
{
    peer_call *n = node(p, handle);
    n->state = PEER_BUSY;
    p->agents[n->agent].handled++;
}

void aq_end(aq_peer *p, uint32_t handle, uint64_t now)
{
    peer_call *n = node(p, handle);
    uint32_t ai = n->agent;
    aq_agent *a = &p->agents[ai];
    a->used -= wl_channel_cost[n->channel];
    a->count[n->channel]--;
    a->idle_since = now;
    peer_call_release(&p->nodes, NODE_SIZE, handle);
    p->busy--;
    route_agent(p, ai);
}

void aq_abandon(aq_peer *p, uint32_t handle)
{
    list_unlink(p, handle);
    peer_call_release(&p->nodes, NODE_SIZE, handle);
}

void aq_counts(const aq_peer *p, uint32_t *waiting, uint32_t *busy)
{
    *waiting = p->waiting;
    *busy = p->busy;
}
