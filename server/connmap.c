/*
 * server/connmap.c: see connmap.h. The hash is a 64-bit finaliser
 * (splitmix64's): ids are often sequential, and the mix spreads them over
 * the table so linear probing stays short.
 */
#include <stdlib.h>

#include "connmap.h"

#define MIN_CAP 16

static size_t slot_of(uint64_t key, size_t cap)
{
    key ^= key >> 30;
    key *= 0xbf58476d1ce4e5b9ull;
    key ^= key >> 27;
    key *= 0x94d049bb133111ebull;
    key ^= key >> 31;
    return (size_t)key & (cap - 1);
}

/* Move every key into a new table of cap slots; -1 (nothing changed) if
 * it cannot be had. */
static int resize(connmap *m, size_t cap)
{
    connmap_slot *s = calloc(cap, sizeof *s);
    if (!s)
        return -1;
    for (size_t k = 0; k < m->cap; k++) {
        if (!m->slots[k].key)
            continue;
        size_t i = slot_of(m->slots[k].key, cap);
        while (s[i].key)
            i = (i + 1) & (cap - 1);
        s[i] = m->slots[k];
    }
    free(m->slots);
    m->slots = s, m->cap = cap;
    return 0;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find(const connmap *m, uint64_t key)
{
    size_t i = slot_of(key, m->cap);
    while (m->slots[i].key && m->slots[i].key != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}

void *connmap_get(const connmap *m, uint64_t key)
{
    if (!key || !m->n)
        return NULL;
    return m->slots[find(m, key)].val;
}

int connmap_put(connmap *m, uint64_t key, void *val)
{
    if (!key || !val)
        return -1;
    if ((m->n + 1) * 2 > m->cap && resize(m, m->cap ? m->cap * 2 : MIN_CAP) != 0)
        return -1;
    size_t i = find(m, key);
    if (!m->slots[i].key)
        m->n++;
    m->slots[i].key = key;
    m->slots[i].val = val;
    return 0;
}

/* Empty slot i, then pull back the keys after it that probed past it, so
 * every key stays reachable from its home slot without a tombstone. */
static void remove_at(connmap *m, size_t i)
{
    size_t mask = m->cap - 1, j = i;
    m->slots[i].key = 0, m->slots[i].val = NULL;
    m->n--;
    for (;;) {
        j = (j + 1) & mask;
        if (!m->slots[j].key)
            break;
        size_t home = slot_of(m->slots[j].key, m->cap);
        /* j's key may move to i if i lies cyclically in [home, j). */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->slots[i] = m->slots[j];
            m->slots[j].key = 0, m->slots[j].val = NULL;
            i = j;
        }
    }
}

/* Shrinking is an optimisation: if it cannot be had, the map stays big. */
static void maybe_shrink(connmap *m)
{
    if (m->cap > MIN_CAP && m->n * 8 < m->cap)
        (void)resize(m, m->cap / 2);
}

void *connmap_del(connmap *m, uint64_t key)
{
    if (!key || !m->n)
        return NULL;
    size_t i = find(m, key);
    void *val = m->slots[i].val;
    if (!m->slots[i].key)
        return NULL;
    remove_at(m, i);
    maybe_shrink(m);
    return val;
}

size_t connmap_del_val(connmap *m, const void *val)
{
    size_t gone = 0;
    for (size_t k = 0; k < m->cap;) {
        /* A backward shift may bring another match into slot k: look again. */
        if (m->slots[k].key && m->slots[k].val == val) {
            remove_at(m, k);
            gone++;
        } else {
            k++;
        }
    }
    maybe_shrink(m);
    return gone;
}

void connmap_free(connmap *m)
{
    free(m->slots);
    m->slots = NULL, m->cap = 0, m->n = 0;
}
