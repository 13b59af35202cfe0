/*
 * rng.h: the seeded generator the randomized tests share (splitmix64), so
 * a seed printed by one test replays the same choices anywhere.
 */
#ifndef ORCA_TEST_RNG_H
#define ORCA_TEST_RNG_H

#include <stdint.h>

static inline uint64_t sm64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n); 0 when n is 0. */
static inline uint32_t rnd(uint64_t *s, uint32_t n)
{
    return n ? (uint32_t)(sm64(s) % n) : 0;
}

/* True with probability pct / 100. */
static inline int chance(uint64_t *s, uint32_t pct)
{
    return rnd(s, 100) < pct;
}

#endif
