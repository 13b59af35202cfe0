/* strtab.c: name -> id table; see strtab.h. */
#include "orca_int.h"

#include <xxhash.h>

uint64_t strtab_hash(const char *s, size_t len)
{
    return XXH3_64bits(s, len);
}

void strtab_init(strtab *t)
{
    t->slots = NULL;
    t->n = t->mask = 0;
}

void strtab_free(orca_engine *e, strtab *t)
{
    if (t->slots)
        mem_free(e, t->slots, (size_t)(t->mask + 1) * sizeof(strtab_slot));
    strtab_init(t);
}

static void raw_put(strtab_slot *slots, uint32_t mask, uint64_t hash, uint32_t id)
{
    uint32_t i = (uint32_t)hash & mask;
    while (slots[i].id != UINT32_MAX)
        i = (i + 1) & mask;
    slots[i].hash = hash;
    slots[i].id = id;
}

int strtab_reserve(orca_engine *e, strtab *t, uint32_t need)
{
    uint64_t size = t->slots ? (uint64_t)t->mask + 1 : 0;
    if (need * 2ull <= size)
        return ORCA_OK;
    uint64_t nsize = size ? size : 16;
    while (nsize < need * 2ull)
        nsize *= 2;
    strtab_slot *ns = mem_alloc(e, nsize * sizeof(strtab_slot));
    if (!ns)
        return ORCA_ENOMEM;
    for (uint64_t i = 0; i < nsize; i++)
        ns[i].id = UINT32_MAX;
    for (uint64_t i = 0; i < size; i++)
        if (t->slots[i].id != UINT32_MAX)
            raw_put(ns, (uint32_t)(nsize - 1), t->slots[i].hash, t->slots[i].id);
    if (t->slots)
        mem_free(e, t->slots, size * sizeof(strtab_slot));
    t->slots = ns;
    t->mask = (uint32_t)(nsize - 1);
    return ORCA_OK;
}

uint32_t strtab_find(const strtab *t, const char *s, size_t len, uint64_t hash,
                     strtab_name_fn name, const void *ctx)
{
    if (!t->slots)
        return UINT32_MAX;
    for (uint32_t i = (uint32_t)hash & t->mask; t->slots[i].id != UINT32_MAX;
         i = (i + 1) & t->mask) {
        if (t->slots[i].hash != hash)
            continue;
        size_t l;
        const char *n = name(ctx, t->slots[i].id, &l);
        if (l == len && memcmp(n, s, len) == 0)
            return t->slots[i].id;
    }
    return UINT32_MAX;
}

void strtab_put(strtab *t, uint64_t hash, uint32_t id)
{
    raw_put(t->slots, t->mask, hash, id);
    t->n++;
}
