/* util.c: memory through the host's allocator hook, names, random numbers. */
#include "orca_int.h"

#include <stdarg.h>
#include <stdio.h>

#include <math.h>

void *mem_alloc(orca_engine *e, size_t n)
{
    return n ? e->alloc(e->alloc_ud, NULL, 0, n) : NULL;
}

void *mem_calloc(orca_engine *e, size_t n)
{
    void *p = mem_alloc(e, n);
    if (p)
        memset(p, 0, n);
    return p;
}

void *mem_realloc(orca_engine *e, void *p, size_t oldn, size_t newn)
{
    if (!p)
        return mem_alloc(e, newn);
    return e->alloc(e->alloc_ud, p, oldn, newn);
}

void mem_free(orca_engine *e, void *p, size_t n)
{
    if (p)
        e->alloc(e->alloc_ud, p, n, 0);
}

int mem_reserve(orca_engine *e, void **arr, uint32_t *cap, uint32_t need, size_t sz)
{
    if (need <= *cap)
        return ORCA_OK;
    uint64_t ncap = *cap ? *cap : 4;
    while (ncap < need)
        ncap *= 2;
    if (ncap > UINT32_MAX)
        return ORCA_ELIMIT;
    void *p = mem_realloc(e, *arr, (size_t)*cap * sz, (size_t)ncap * sz);
    if (!p)
        return ORCA_ENOMEM;
    *arr = p;
    *cap = (uint32_t)ncap;
    return ORCA_OK;
}

char *mem_strdup(orca_engine *e, const char *s, size_t *len_out)
{
    size_t len = strlen(s);
    char *p = mem_alloc(e, len + 1);
    if (p) {
        memcpy(p, s, len + 1);
        *len_out = len;
    }
    return p;
}

int name_check(const char *name)
{
    if (!name || !name[0])
        return ORCA_EINVAL;
    if (strnlen(name, ORCA_NAME_MAX + 1) > ORCA_NAME_MAX)
        return ORCA_ETOOLONG;
    return ORCA_OK;
}

uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* One exponential draw with rate proportional to weight: the weighted-random
 * strategy is a race of such clocks (see DESIGN.md). */
uint64_t rng_draw(uint64_t *s, uint32_t weight)
{
    uint64_t x = rng_next(s);
    double u = (double)((x >> 11) + 1) * (1.0 / 9007199254740992.0);
    return (uint64_t)(-log(u) * 1e6 / (double)weight);
}

/* printf to an orca_write_fn (the dump, the JSON writers): one line or
 * value at a time, cut at 511 bytes. */
void out_printf(orca_write_fn fn, void *data, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0)
        fn(data, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}
