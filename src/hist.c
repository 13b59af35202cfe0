/*
 * hist.c: the sparse log-linear histogram behind orca_stats' wait
 * percentiles (hist.h says the layout and its error bound).
 *
 * Adding finds the bucket by binary search; a bucket seen for the first
 * time is inserted in order (a move of the entries above it, at most
 * HIST_NB). Reading a rank over several histograms (the window's slots)
 * needs no memory: a first pass counts per group of 64 buckets, a second
 * counts the sub-buckets of the one group that holds the rank.
 */
#include "orca_int.h"
#include "hist.h"

uint32_t hist_bucket(uint64_t v)
{
    if (v < HIST_SUB)
        return (uint32_t)v;
    uint32_t e = 63u - (uint32_t)__builtin_clzll(v); /* 2^e <= v, e >= 6 */
    uint32_t shift = e - HIST_SUB_BITS;
    /* group shift + 1; v >> shift is in [64, 128): sub-bucket + 64 */
    return shift * HIST_SUB + (uint32_t)(v >> shift);
}

/* Bucket b >= 64 is group g = b / 64 >= 1, holding [lo, lo + 2^(g-1))
 * with lo = (64 + b % 64) << (g - 1) >= 2^(g+5). Its middle lo + 2^(g-2)
 * is within 2^(g-2) of every value there, and 2^(g-2) / 2^(g+5) = 1/128.
 * Groups 0 and 1 (values below 128) are exact. */
uint64_t hist_value(uint32_t b)
{
    if (b < 2 * HIST_SUB)
        return b;
    uint32_t shift = b / HIST_SUB - 1;
    uint64_t lo = (uint64_t)(HIST_SUB + b % HIST_SUB) << shift;
    return lo + ((uint64_t)1 << (shift - 1));
}

/* Index of the first entry with bucket >= b. */
static uint32_t find(const hist *h, uint32_t b)
{
    uint32_t lo = 0, hi = h->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (h->v[mid].b < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int hist_add(orca_engine *e, hist *h, uint32_t b, uint32_t c)
{
    uint32_t k = find(h, b);
    if (k < h->n && h->v[k].b == b) {
        h->v[k].c += c;
        return ORCA_OK;
    }
    if (mem_reserve(e, (void **)&h->v, &h->cap, h->n + 1, sizeof(hent)))
        return ORCA_ENOMEM;
    memmove(&h->v[k + 1], &h->v[k], (h->n - k) * sizeof(hent));
    h->v[k] = (hent){ .b = (uint16_t)b, .c = c };
    h->n++;
    return ORCA_OK;
}

void hist_clear(hist *h)
{
    h->n = 0;
}

void hist_free(orca_engine *e, hist *h)
{
    if (h->v)
        mem_free(e, h->v, h->cap * sizeof(hent));
    h->v = NULL;
    h->n = h->cap = 0;
}

uint64_t hist_total(const hist *h)
{
    uint64_t n = 0;
    for (uint32_t k = 0; k < h->n; k++)
        n += h->v[k].c;
    return n;
}

uint64_t hist_rank(const hist *const *hs, uint32_t nh, uint64_t want)
{
    uint64_t group[HIST_GROUPS] = { 0 }, sub[HIST_SUB] = { 0 };
    if (!want)
        return 0;
    for (uint32_t j = 0; j < nh; j++)
        for (uint32_t k = 0; k < hs[j]->n; k++)
            group[hs[j]->v[k].b / HIST_SUB] += hs[j]->v[k].c;
    uint32_t g = 0;
    for (; g < HIST_GROUPS - 1 && group[g] < want; g++)
        want -= group[g];
    for (uint32_t j = 0; j < nh; j++)
        for (uint32_t k = 0; k < hs[j]->n; k++)
            if (hs[j]->v[k].b / HIST_SUB == g)
                sub[hs[j]->v[k].b % HIST_SUB] += hs[j]->v[k].c;
    uint32_t b = 0;
    for (; b < HIST_SUB - 1 && sub[b] < want; b++)
        want -= sub[b];
    return hist_value(g * HIST_SUB + b);
}

size_t hist_bytes(const hist *h)
{
    return h->cap * sizeof(hent);
}
