/*
 * server/connmap.h: a small hash map from a 64-bit id (an agent, an
 * interaction) to a pointer (a connection, a timer), for orcad's
 * WebSocket layer: O(1) to find who is logged in as an agent or which
 * gateway enqueued an interaction, however many connections there are.
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones, so a map that churns does not slow down); key 0 is "empty"
 * (ids are never 0 in orca). It grows at half full and shrinks when an
 * eighth full, so memory follows what is live. Allocation failure leaves
 * the map as it was and is reported.
 */
#ifndef ORCAD_CONNMAP_H
#define ORCAD_CONNMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct connmap_slot {
    uint64_t key;   /* 0: empty */
    void *val;
} connmap_slot;

typedef struct connmap {
    connmap_slot *slots;
    size_t cap;     /* 0 or a power of two */
    size_t n;       /* keys held */
} connmap;

/* An empty map needs no allocation: connmap m = { 0 }. */

/* The value for key, or NULL (key 0 or absent). */
void *connmap_get(const connmap *m, uint64_t key);

/* Map key to val (replacing what it had). Returns 0, or -1 if key is 0,
 * val is NULL or memory ran out (the map is then unchanged). */
int connmap_put(connmap *m, uint64_t key, void *val);

/* Remove key; returns its value, or NULL if it was not there. */
void *connmap_del(connmap *m, uint64_t key);

/* Remove every key whose value is val; returns how many. O(capacity):
 * for the rare case of one owner going away (a gateway closing). */
size_t connmap_del_val(connmap *m, const void *val);

/* Free the table (values are the caller's). The map is empty after. */
void connmap_free(connmap *m);

#endif
