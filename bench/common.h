/*
 * common.h: small helpers shared by the bench harness files: a byte-counting
 * allocator (the same contract as orca_config.alloc, so one counter type
 * serves orca and the peers), the monotonic clock, and a seeded generator.
 */
#ifndef ORCA_BENCH_COMMON_H
#define ORCA_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Live bytes handed out through bench_mem_realloc (or bench_alloc_hook). */
typedef struct bench_mem {
    size_t live;
    size_t peak;
    uint64_t calls;
} bench_mem;

/* Lua-style allocator that counts into m: nsize == 0 frees ptr (osize is
 * its size); ptr == NULL allocates; otherwise resizes from osize. */
void *bench_mem_realloc(bench_mem *m, void *ptr, size_t osize, size_t nsize);

/* The same, with the orca_alloc_fn signature (ud is a bench_mem *). */
void *bench_alloc_hook(void *ud, void *ptr, size_t osize, size_t nsize);

/* Grow the array items (*cap elements of size bytes) to hold at least need:
 * the capacity doubles, from first when it is 0, until it does. Counted in
 * m, or plain realloc when m is NULL. The new array (*cap updated), or NULL
 * when out of memory (items and *cap unchanged). Callers test need > *cap
 * themselves, so the common case costs no call. */
void *bench_grow(bench_mem *m, void *items, size_t *cap, size_t need, size_t size,
                 size_t first);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* splitmix64: the next value of the generator whose state is *s. */
uint64_t bench_splitmix64(uint64_t *s);

/* A uniform value in [0, n) from the generator *s (n > 0). */
uint32_t bench_below(uint64_t *s, uint32_t n);

/* A uniform double in [0, 1) from the generator *s. */
double bench_unit(uint64_t *s);

/* A well-mixed seed for stream `stream`, item `index` of a run seeded with
 * seed, so every generated object can be drawn independently of the rest. */
uint64_t bench_stream_seed(uint64_t seed, uint64_t stream, uint64_t index);

#endif
