/*
 * map.h: open-addressing hash map from nonzero 64-bit keys to pointers.
 * Linear probing, deletion by backward shift (no tombstones), load <= 1/2.
 * Memory comes from the engine's allocator through the callbacks given.
 */
#ifndef ORCA_MAP_H
#define ORCA_MAP_H

#include <stdint.h>
#include <stddef.h>

typedef struct u64map_slot {
    uint64_t key;   /* 0: empty */
    void *val;
} u64map_slot;

typedef struct u64map {
    u64map_slot *slots;
    uint32_t n, mask; /* mask + 1 slots, or 0 when unallocated */
} u64map;

struct orca_engine;

void u64map_init(u64map *m);
void u64map_free(struct orca_engine *e, u64map *m);
/* Make sure `need` keys fit without growing; may rehash. */
int u64map_reserve(struct orca_engine *e, u64map *m, uint32_t need);
void *u64map_get(const u64map *m, uint64_t key);
/* Insert or replace; requires a prior reserve for n + 1. */
void u64map_put(u64map *m, uint64_t key, void *val);
void *u64map_del(u64map *m, uint64_t key);
size_t u64map_bytes(const u64map *m);
uint64_t u64_mix(uint64_t x);

#define U64MAP_FOREACH(m, slot)                                             \
    for (u64map_slot *slot = (m)->slots;                                    \
         (m)->slots && slot <= (m)->slots + (m)->mask; slot++)              \
        if (slot->key)

#endif
