/* common.c: see common.h. */
#include "common.h"

#include <stdlib.h>
#include <time.h>

void *bench_mem_realloc(bench_mem *m, void *ptr, size_t osize, size_t nsize)
{
    m->calls++;
    if (nsize == 0) {
        if (ptr != NULL) {
            free(ptr);
            m->live -= osize;
        }
        return NULL;
    }
    void *q = realloc(ptr, nsize);
    if (q == NULL)
        return NULL;
    if (ptr != NULL)
        m->live -= osize;
    m->live += nsize;
    if (m->live > m->peak)
        m->peak = m->live;
    return q;
}

void *bench_alloc_hook(void *ud, void *ptr, size_t osize, size_t nsize)
{
    return bench_mem_realloc((bench_mem *)ud, ptr, osize, nsize);
}

void *bench_grow(bench_mem *m, void *items, size_t *cap, size_t need, size_t size,
                 size_t first)
{
    if (need <= *cap)
        return items;
    size_t ncap = *cap ? *cap : first;
    while (ncap < need)
        ncap *= 2;
    void *q = m != NULL ? bench_mem_realloc(m, items, *cap * size, ncap * size)
                        : realloc(items, ncap * size);
    if (q == NULL)
        return NULL;
    *cap = ncap;
    return q;
}

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint32_t bench_below(uint64_t *s, uint32_t n)
{
    return (uint32_t)(((bench_splitmix64(s) >> 32) * (uint64_t)n) >> 32);
}

double bench_unit(uint64_t *s)
{
    return (double)(bench_splitmix64(s) >> 11) * 0x1p-53;
}

uint64_t bench_stream_seed(uint64_t seed, uint64_t stream, uint64_t index)
{
    uint64_t s = seed ^ (stream * 0xd1b54a32d192ed03ull);
    uint64_t a = bench_splitmix64(&s);
    s = a ^ (index * 0x8cb92ba72f3d8dd7ull);
    return bench_splitmix64(&s);
}
