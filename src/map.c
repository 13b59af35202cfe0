/* map.c: u64 -> pointer hash map; see map.h. */
#include "orca_int.h"

uint64_t u64_mix(uint64_t x)
{
    /* splitmix64's finalizer: cheap, and spreads sequential ids well. */
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

void u64map_init(u64map *m)
{
    m->slots = NULL;
    m->n = m->mask = 0;
}

void u64map_free(orca_engine *e, u64map *m)
{
    if (m->slots)
        mem_free(e, m->slots, (size_t)(m->mask + 1) * sizeof(u64map_slot));
    u64map_init(m);
}

static void raw_put(u64map_slot *slots, uint32_t mask, uint64_t key, void *val)
{
    uint32_t i = (uint32_t)u64_mix(key) & mask;
    while (slots[i].key && slots[i].key != key)
        i = (i + 1) & mask;
    slots[i].key = key;
    slots[i].val = val;
}

int u64map_reserve(orca_engine *e, u64map *m, uint32_t need)
{
    uint64_t size = m->slots ? (uint64_t)m->mask + 1 : 0;
    if (need * 2ull <= size)
        return ORCA_OK;
    uint64_t nsize = size ? size : 16;
    while (nsize < need * 2ull)
        nsize *= 2;
    if (nsize > (1ull << 31))
        return ORCA_ELIMIT;
    u64map_slot *ns = mem_calloc(e, nsize * sizeof(u64map_slot));
    if (!ns)
        return ORCA_ENOMEM;
    for (uint64_t i = 0; i < size; i++)
        if (m->slots[i].key)
            raw_put(ns, (uint32_t)(nsize - 1), m->slots[i].key, m->slots[i].val);
    if (m->slots)
        mem_free(e, m->slots, size * sizeof(u64map_slot));
    m->slots = ns;
    m->mask = (uint32_t)(nsize - 1);
    return ORCA_OK;
}

void *u64map_get(const u64map *m, uint64_t key)
{
    if (!m->slots || !key)
        return NULL;
    uint32_t i = (uint32_t)u64_mix(key) & m->mask;
    while (m->slots[i].key) {
        if (m->slots[i].key == key)
            return m->slots[i].val;
        i = (i + 1) & m->mask;
    }
    return NULL;
}

void u64map_put(u64map *m, uint64_t key, void *val)
{
    uint32_t i = (uint32_t)u64_mix(key) & m->mask;
    while (m->slots[i].key && m->slots[i].key != key)
        i = (i + 1) & m->mask;
    if (!m->slots[i].key)
        m->n++;
    m->slots[i].key = key;
    m->slots[i].val = val;
}

void *u64map_del(u64map *m, uint64_t key)
{
    if (!m->slots || !key)
        return NULL;
    uint32_t i = (uint32_t)u64_mix(key) & m->mask;
    while (m->slots[i].key != key) {
        if (!m->slots[i].key)
            return NULL;
        i = (i + 1) & m->mask;
    }
    void *val = m->slots[i].val;
    /* Backward-shift: pull later entries of the probe run into the hole. */
    uint32_t hole = i, j = i;
    for (;;) {
        j = (j + 1) & m->mask;
        if (!m->slots[j].key)
            break;
        uint32_t home = (uint32_t)u64_mix(m->slots[j].key) & m->mask;
        /* Move j into the hole unless its home lies cyclically in (hole, j]. */
        if ((j > hole && (home <= hole || home > j)) ||
            (j < hole && (home <= hole && home > j))) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole].key = 0;
    m->slots[hole].val = NULL;
    m->n--;
    return val;
}

size_t u64map_bytes(const u64map *m)
{
    return m->slots ? (size_t)(m->mask + 1) * sizeof(u64map_slot) : 0;
}
