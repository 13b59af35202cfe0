/*
 * server/recent.h: the ids of interactions that finished in the last
 * window (60 s in orcad), so that a gateway's resent enqueue after a
 * failover or a reconnection (PROTOCOL.md, "Failover") is recognised as
 * one already done, not queued a second time. A FIFO of (id, time) and a
 * connmap for lookups: O(1) each, memory bounded by the rate of
 * finishing times the window.
 */
#ifndef ORCAD_RECENT_H
#define ORCAD_RECENT_H

#include <stdint.h>

#include "connmap.h"

typedef struct recent_item {
    uint64_t id, ms;
} recent_item;

typedef struct recent {
    recent_item *ring;
    size_t cap, head, n;  /* the FIFO: n items from head */
    connmap map;          /* id -> its newest time + 1 */
    uint64_t window_ms;
} recent;

/* An empty set remembering window_ms: recent r = { .window_ms = 60000 }. */

/* id finished at now_ms (times never go back). -1 if memory ran out (it
 * is then not remembered). */
int recent_add(recent *r, uint64_t id, uint64_t now_ms);

/* 1 if id finished within the window before now_ms. */
int recent_has(recent *r, uint64_t id, uint64_t now_ms);

void recent_free(recent *r);

#endif
