/*
 * server/recent.c: interactions finished within a window (recent.h).
 */
#include <stdlib.h>
#include <string.h>

#include "recent.h"

/* Forget what left the window. */
static void expire(recent *r, uint64_t now_ms)
{
    while (r->n) {
        recent_item *it = &r->ring[r->head];
        if (now_ms - it->ms <= r->window_ms)
            break;
        /* (an id that finished again later keeps its newer time) */
        if ((uintptr_t)connmap_get(&r->map, it->id) == it->ms + 1)
            connmap_del(&r->map, it->id);
        r->head = (r->head + 1) % r->cap;
        r->n--;
    }
}

static int grow(recent *r)
{
    size_t cap = r->cap ? 2 * r->cap : 64;
    recent_item *ring = malloc(cap * sizeof *ring);
    if (!ring)
        return -1;
    for (size_t k = 0; k < r->n; k++)
        ring[k] = r->ring[(r->head + k) % r->cap];
    free(r->ring);
    r->ring = ring, r->cap = cap, r->head = 0;
    return 0;
}

int recent_add(recent *r, uint64_t id, uint64_t now_ms)
{
    expire(r, now_ms);
    if (r->n == r->cap && grow(r) != 0)
        return -1;
    if (connmap_put(&r->map, id, (void *)(uintptr_t)(now_ms + 1)) != 0)
        return -1;
    r->ring[(r->head + r->n) % r->cap] = (recent_item){ id, now_ms };
    r->n++;
    return 0;
}

int recent_has(recent *r, uint64_t id, uint64_t now_ms)
{
    expire(r, now_ms);
    return connmap_get(&r->map, id) != NULL;
}

void recent_free(recent *r)
{
    free(r->ring);
    connmap_free(&r->map);
    memset(r, 0, sizeof *r);
}
