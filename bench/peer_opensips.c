/* peer_opensips.c: see peer_opensips.h. */
#include "peer_opensips.h"

#include <string.h>

#define OS_NIL UINT32_MAX
#define OS_NPRIO 256

enum { OS_FREE = 0, OS_WAITING = 1, OS_OFFERED = 2, OS_BUSY = 3 };

typedef struct os_agent {
    uint32_t used, capacity;
    uint8_t logged_in, nskills;
    uint8_t count[WL_NCHANNELS], limit[WL_NCHANNELS];
    uint64_t id;
    wl_skill_level skills[WL_MAX_AGENT_SKILLS];
} os_agent;

typedef struct os_call {
    uint32_t next, prev;       /* queue, or the free list (next) */
    uint32_t agent;
    uint8_t state, channel, priority, nreq;
    wl_skill_level req[WL_MAX_REQ];
    uint64_t id, arrival;
} os_call;

struct os_peer {
    os_config cfg;
    os_agent *agents;          /* the agent list, in the order added */
    uint32_t nagents, cap_agents;
    os_call *calls;
    uint32_t cap_calls, used_calls, free_head;
    /* the call queue: one FIFO per priority, walked from the highest */
    uint32_t head[OS_NPRIO], tail[OS_NPRIO];
};

int os_new(const os_config *cfg, os_peer **out)
{
    os_peer *p = bench_mem_realloc(cfg->mem, NULL, 0, sizeof *p);
    if (p == NULL)
        return -1;
    memset(p, 0, sizeof *p);
    p->cfg = *cfg;
    p->free_head = OS_NIL;
    for (int i = 0; i < OS_NPRIO; i++)
        p->head[i] = p->tail[i] = OS_NIL;
    *out = p;
    return 0;
}

void os_free(os_peer *p)
{
    if (p == NULL)
        return;
    bench_mem *m = p->cfg.mem;
    bench_mem_realloc(m, p->agents, (size_t)p->cap_agents * sizeof *p->agents, 0);
    bench_mem_realloc(m, p->calls, (size_t)p->cap_calls * sizeof *p->calls, 0);
    bench_mem_realloc(m, p, sizeof *p, 0);
}

int os_agent_add(os_peer *p, const wl_agent *wa, uint32_t capacity,
                 const uint32_t limits[WL_NCHANNELS])
{
    if (p->nagents == p->cap_agents) {
        uint32_t ncap = p->cap_agents ? p->cap_agents * 2 : 64;
        os_agent *na = bench_mem_realloc(p->cfg.mem, p->agents,
                                         (size_t)p->cap_agents * sizeof *na,
                                         (size_t)ncap * sizeof *na);
        if (na == NULL)
            return -1;
        p->agents = na;
        p->cap_agents = ncap;
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
    for (uint32_t i = 0; i < c->nreq; i++) {
        uint32_t j = 0;
        while (j < a->nskills && a->skills[j].skill != c->req[i].skill)
            j++;
        if (j == a->nskills || a->skills[j].level < c->req[i].level)
            return 0;
    }
    return 1;
}

/* The agent is free for a call of channel ch. */
static int is_free(const os_agent *a, uint32_t ch)
{
    return a->logged_in && a->used + wl_channel_cost[ch] <= a->capacity &&
           a->count[ch] < a->limit[ch];
}

static void queue_append(os_peer *p, uint32_t h)
{
    os_call *c = &p->calls[h];
    uint32_t pr = c->priority;
    c->next = OS_NIL;
    c->prev = p->tail[pr];
    if (p->tail[pr] != OS_NIL)
        p->calls[p->tail[pr]].next = h;
    else
        p->head[pr] = h;
    p->tail[pr] = h;
    c->state = OS_WAITING;
}

static void queue_unlink(os_peer *p, uint32_t h)
{
    os_call *c = &p->calls[h];
    uint32_t pr = c->priority;
    if (c->prev != OS_NIL)
        p->calls[c->prev].next = c->next;
    else
        p->head[pr] = c->next;
    if (c->next != OS_NIL)
        p->calls[c->next].prev = c->prev;
    else
        p->tail[pr] = c->prev;
}

static void offer(os_peer *p, uint32_t h, uint32_t ai)
{
    os_call *c = &p->calls[h];
    os_agent *a = &p->agents[ai];
    c->state = OS_OFFERED;
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
    for (int pr = OS_NPRIO - 1; pr >= 0; pr--) {
        uint32_t h = p->head[pr];
        while (h != OS_NIL) {
            if (a->used + wl_channel_cost[WL_EMAIL] > a->capacity)
                return; /* full: nothing fits any more */
            os_call *c = &p->calls[h];
            uint32_t next = c->next;
            if (is_free(a, c->channel) && has_skills(a, c)) {
                queue_unlink(p, h);
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

static uint32_t call_alloc(os_peer *p)
{
    if (p->free_head != OS_NIL) {
        uint32_t h = p->free_head;
        p->free_head = p->calls[h].next;
        return h;
    }
    if (p->used_calls == p->cap_calls) {
        uint32_t ncap = p->cap_calls ? p->cap_calls * 2 : 1024;
        os_call *nc = bench_mem_realloc(p->cfg.mem, p->calls,
                                        (size_t)p->cap_calls * sizeof *nc,
                                        (size_t)ncap * sizeof *nc);
        if (nc == NULL)
            return OS_NIL;
        p->calls = nc;
        p->cap_calls = ncap;
    }
    return p->used_calls++;
}

int os_enqueue(os_peer *p, const wl_interaction *it, uint64_t now, int route,
               uint32_t *handle)
{
    uint32_t h = call_alloc(p);
    if (h == OS_NIL)
        return -1;
    os_call *c = &p->calls[h];
    c->id = it->id;
    c->arrival = now;
    c->channel = it->channel;
    c->priority = it->priority;
    c->nreq = it->nreq;
    memcpy(c->req, it->req, sizeof c->req);
    c->agent = OS_NIL;
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
    queue_append(p, h);
    return 0;
}

void os_force_offer(os_peer *p, uint32_t handle, uint32_t agent_idx)
{
    queue_unlink(p, handle);
    offer(p, handle, agent_idx);
}

void os_accept(os_peer *p, uint32_t handle)
{
    p->calls[handle].state = OS_BUSY;
}

static void call_release(os_peer *p, uint32_t h)
{
    os_call *c = &p->calls[h];
    c->state = OS_FREE;
    c->next = p->free_head;
    p->free_head = h;
}

void os_end(os_peer *p, uint32_t handle)
{
    os_call *c = &p->calls[handle];
    uint32_t ai = c->agent;
    os_agent *a = &p->agents[ai];
    a->used -= wl_channel_cost[c->channel];
    a->count[c->channel]--;
    call_release(p, handle);
    dispatch_agent(p, ai);
}

void os_abandon(os_peer *p, uint32_t handle)
{
    queue_unlink(p, handle);
    call_release(p, handle);
}
