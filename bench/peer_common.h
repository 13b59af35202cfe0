/*
 * peer_common.h: the call records and waiting list that app_queue_style and
 * opensips_style keep the same way.
 *
 * Both peers name an interaction by a handle, the index of its record in one
 * growable array; records that end go on a free list and are reused. Each
 * record starts with a peer_call (a peer may append its own fields: the
 * functions take the record's size). Calls waiting are kept in one FIFO per
 * priority (0..255), so appending is O(1) and a walk from the highest
 * priority's head visits them in (priority desc, arrival) order.
 *
 * What is on the timed paths is static inline, so each peer compiles it as
 * it did its own copy; only the growth of the array is a call.
 */
#ifndef ORCA_BENCH_PEER_COMMON_H
#define ORCA_BENCH_PEER_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common.h"
#include "workload.h"

#define PEER_NIL UINT32_MAX
#define PEER_NPRIO 256

enum { PEER_FREE = 0, PEER_WAITING = 1, PEER_OFFERED = 2, PEER_BUSY = 3 };

typedef struct peer_call {
    uint32_t next, prev;       /* waiting list, or the free list (next) */
    uint32_t agent;            /* offered / busy: the agent's index */
    uint8_t state, channel, priority, nreq;
    wl_skill_level req[WL_MAX_REQ];
    uint64_t id, arrival;
} peer_call;

typedef struct peer_calls {
    void *recs;                /* the records, each starting with a peer_call */
    size_t cap;
    uint32_t used, free_head;
    uint32_t head[PEER_NPRIO], tail[PEER_NPRIO]; /* one FIFO per priority */
} peer_calls;

void peer_calls_init(peer_calls *pc);
void peer_calls_free(peer_calls *pc, bench_mem *m, size_t size);

/* Grow the array by doubling (from 1024 records); 0 or -1. */
int peer_calls_grow(peer_calls *pc, bench_mem *m, size_t size);

static inline peer_call *peer_call_at(const peer_calls *pc, size_t size, uint32_t h)
{
    return (peer_call *)((char *)pc->recs + (size_t)h * size);
}

/* A free record (from the free list, else a new one): its handle, or
 * PEER_NIL when out of memory. */
static inline uint32_t peer_call_alloc(peer_calls *pc, bench_mem *m, size_t size)
{
    if (pc->free_head != PEER_NIL) {
        uint32_t h = pc->free_head;
        pc->free_head = peer_call_at(pc, size, h)->next;
        return h;
    }
    if (pc->used == pc->cap && peer_calls_grow(pc, m, size) != 0)
        return PEER_NIL;
    return pc->used++;
}

/* Record h is done with: FREE, on the free list. */
static inline void peer_call_release(peer_calls *pc, size_t size, uint32_t h)
{
    peer_call *c = peer_call_at(pc, size, h);
    c->state = PEER_FREE;
    c->next = pc->free_head;
    pc->free_head = h;
}

/* Call h waits: appended to its priority's FIFO, WAITING. */
static inline void peer_queue_append(peer_calls *pc, size_t size, uint32_t h)
{
    peer_call *c = peer_call_at(pc, size, h);
    uint32_t pr = c->priority;
    c->next = PEER_NIL;
    c->prev = pc->tail[pr];
    if (pc->tail[pr] != PEER_NIL)
        peer_call_at(pc, size, pc->tail[pr])->next = h;
    else
        pc->head[pr] = h;
    pc->tail[pr] = h;
    c->state = PEER_WAITING;
}

/* Waiting call h leaves its FIFO. */
static inline void peer_queue_unlink(peer_calls *pc, size_t size, uint32_t h)
{
    peer_call *c = peer_call_at(pc, size, h);
    uint32_t pr = c->priority;
    if (c->prev != PEER_NIL)
        peer_call_at(pc, size, c->prev)->next = c->next;
    else
        pc->head[pr] = c->next;
    if (c->next != PEER_NIL)
        peer_call_at(pc, size, c->next)->prev = c->prev;
    else
        pc->tail[pr] = c->prev;
}

/* Fill record h from the interaction, arriving at now, offered to no one. */
static inline peer_call *peer_call_fill(peer_calls *pc, size_t size, uint32_t h,
                                        const wl_interaction *it, uint64_t now)
{
    peer_call *c = peer_call_at(pc, size, h);
    c->id = it->id;
    c->arrival = now;
    c->channel = it->channel;
    c->priority = it->priority;
    c->nreq = it->nreq;
    memcpy(c->req, it->req, sizeof c->req);
    c->agent = PEER_NIL;
    return c;
}

#endif
