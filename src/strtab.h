/*
 * strtab.h: name -> dense id lookup for skills, channels and queues.
 * Names are hashed with xxHash (XXH3); the table stores (hash, id) pairs and
 * confirms a hit by comparing the name through a callback, so two names
 * with the same hash still get different ids.
 */
#ifndef ORCA_STRTAB_H
#define ORCA_STRTAB_H

#include <stdint.h>
#include <stddef.h>

typedef struct strtab_slot {
    uint64_t hash;
    uint32_t id;    /* UINT32_MAX: empty */
} strtab_slot;

typedef struct strtab {
    strtab_slot *slots;
    uint32_t n, mask;
} strtab;

/* Return the name of id (and its length) for confirming matches. */
typedef const char *(*strtab_name_fn)(const void *ctx, uint32_t id, size_t *len);

struct orca_engine;
uint64_t strtab_hash(const char *s, size_t len);
void strtab_init(strtab *t);
void strtab_free(struct orca_engine *e, strtab *t);
int strtab_reserve(struct orca_engine *e, strtab *t, uint32_t need);
/* id or UINT32_MAX */
uint32_t strtab_find(const strtab *t, const char *s, size_t len, uint64_t hash,
                     strtab_name_fn name, const void *ctx);
void strtab_put(strtab *t, uint64_t hash, uint32_t id);

#endif
