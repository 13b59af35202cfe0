/* peer_opensips.c: see peer_opensips.h. */
#include "peer_opensips.h"

#include <string.h>

#include "peer_common.h"

typedef struct os_agent {
    uint32_t used, capacity;
    uint8_t logged_in, nskills;
    uint8_t count[WL_NCHANNELS], limit[WL_NCHANNELS];
    uint64_t id;
    wl_skill_level skills[WL_MAX_AGENT_SKILLS];
} os_agent;

typedef peer_call os_call;
#define CALL_SIZE sizeof(os_call)

struct os_peer {
    os_config cfg;
    os_agent *agents;          /* the agent list, in the order added */
    uint32_t nagents;
    size_t cap_agents;
    /* the calls; the call queue: one FIFO per priority, walked from the highest */
    peer_calls calls;
};

static os_call *call(const os_peer *p, uint32_t h)
{
    return peer_call_at(&p->calls, CALL_SIZE, h);
}

int os_new(const os_config *cfg, os_peer **out)
{
    os_peer *p = bench_mem_realloc(cfg->mem, NULL, 0, sizeof *p);
    if (p == NULL)
        return -1;
    memset(p, 0, sizeof *p);
    p->cfg = *cfg;
    peer_calls_init(&p->calls);
    *out = p;
    return 0;
}

void os_free(os_peer *p)
{
    if (p == NULL)
        return;
    bench_mem *m = p->cfg.mem;
    bench_mem_realloc(m, p->agents, p->cap_agents * sizeof *p->agents, 0);
    peer_calls_free(&p->calls, m, CALL_SIZE);
    bench_mem_realloc(m, p, sizeof *p, 0);
}

int os_agent_add(os_peer *p, const wl_agent *wa, uint32_t capacity,
                 const uint32_t limits[WL_NCHANNELS])
{
    if (p->nagents == p->cap_agents) {
        os_agent *na = bench_grow(p->cfg.mem, p->agents, &p->cap_agents, p->nagents + 1,
                                  sizeof *na, 64);
        if (na == NULL)
            return -1;
        p->agents = na;
    }
    os_agent *a = &p->agents[p->nagents++];
    memset(a, 0, sizeof *a);
    a->id = wa->id;
    a->capacity = capacity;
    a->nskills = wa->nskills;
    memcpy(a->skills, wa->skills, sizeof a->skills);
    for (int c = 0; c < WL_NCHANNELS; c++)
        a->limit[c] = (uint8_t)limits[c];
    return 0;
}

/* The agent holds every skill the call needs, at >= its level. */
static int has_skills(const os_agent *a, const os_call *c)
{
    return wl_skills_hold(a->skills, a->nskills, c->req, c->nreq);
}

/* The agent is free for a call of channel ch. */
static int is_free(const os_agent *a, uint32_t ch)
{
    return a->logged_in && a->used + wl_channel_cost[ch] <= a->capacity &&
           a->count[ch] < a->limit[ch];
}

static void offer(os_peer *p, uint32_t h, uint32_t ai)
{
    os_call *c = call(p, h);
    os_agent *a = &p->agents[ai];
    c->state = PEER_OFFERED;
    c->agent = ai;
    a->used += wl_channel_cost[c->channel];
    a->count[c->channel]++;
    if (p->cfg.offer != NULL)
        p->cfg.offer(p->cfg.offer_data, c->id, a->id, h, c->channel);
}

/* A freed agent walks the queue from the head and takes the first calls it
 * can. Only this agent's state changed since the last dispatch, so no other
 * free agent can take a waiting call: looking at this agent alone is what
 * the module's dispatch over the queue amounts to. */
static void dispatch_agent(os_peer *p, uint32_t ai)
{
    os_agent *a = &p->agents[ai];
    if (!a->logged_in)
        return;
    for (int pr = PEER_NPRIO - 1; pr >= 0; pr--) {
        uint32_t h = p->calls.head[pr];
        while (h != PEER_NIL) {
            if (a->used + wl_channel_cost[WL_EMAIL] > a->capacity)
                return; /* full: nothing fits any more */
            os_call *c = call(p, h);
            uint32_t next = c->next;
            if (is_free(a, c->channel) && has_skills(a, c)) {
                peer_queue_unlink(&p->calls, CALL_SIZE, h);
                offer(p, h, ai);
            }
            h = next;
        }
    }
}

void os_agent_ready(os_peer *p, uint32_t idx, int route)
{
    p->agents[idx].logged_in = 1;
    if (route)
        dispatch_agent(p, idx);
}

int os_enqueue(os_peer *p, const wl_interaction *it, uint64_t now, int route,
               uint32_t *handle)
{
    uint32_t h = peer_call_alloc(&p->calls, p->cfg.mem, CALL_SIZE);
    if (h == PEER_NIL)
        return -1;
    os_call *c = peer_call_fill(&p->calls, CALL_SIZE, h, it, now);
    *handle = h;
    if (route) {
        /* first fit: the first free agent of the list holding the skills */
        for (uint32_t i = 0; i < p->nagents; i++) {
            const os_agent *a = &p->agents[i];
            if (is_free(a, c->channel) && has_skills(a, c)) {
                offer(p, h, i);
                return 0;
            }
        }
    }
    peer_queue_append(&p->calls, CALL_SIZE, h);
    return 0;
}

void os_force_offer(os_peer *p, uint32_t handle, uint32_t agent_idx)
{
    peer_queue_unlink(&p->calls, CALL_SIZE, handle);
    offer(p, handle, agent_idx);
}

void os_accept(os_peer *p, uint32_t handle)
{
    call(p, handle)->state = PEER_BUSY;
}

void os_end(os_peer *p, uint32_t handle)
{
    os_call *c = call(p, handle);
    uint32_t ai = c->agent;
    os_agent *a = &p->agents[ai];
    a->used -= wl_channel_cost[c->channel];
    a->count[c->channel]--;
    peer_call_release(&p->calls, CALL_SIZE, handle);
    dispatch_agent(p, ai);
}

void os_abandon(os_peer *p, uint32_t handle)
{
    peer_queue_unlink(&p->calls, CALL_SIZE, handle);
    peer_call_release(&p->calls, CALL_SIZE, handle);
}
