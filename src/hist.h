/*
 * hist.h: a sparse log-linear histogram of u64 values (answered waits, ms),
 * for orca_stats' percentiles.
 *
 * Buckets are HdrHistogram's layout with 64 linear sub-buckets per power of
 * two: values below 128 have a bucket each (exact); a value v >= 64 with
 * 2^e <= v < 2^(e+1) falls in one of 64 buckets of width 2^(e-6). That is
 * HIST_NB buckets for the whole u64 range, so nothing is ever clamped.
 * A bucket reads as its middle (hist_value), which is within
 * value / 128 (0.78125%) of every value it holds.
 *
 * Only the nonzero buckets are stored, sorted, in an array that grows from
 * the engine's allocator and is kept when cleared (a window slot reused).
 */
#ifndef ORCA_HIST_H
#define ORCA_HIST_H

#include <stdint.h>

#include "orca.h"

#define HIST_SUB_BITS 6
#define HIST_SUB (1u << HIST_SUB_BITS)      /* sub-buckets per group */
#define HIST_GROUPS (64 - HIST_SUB_BITS + 1) /* 59: [0,64), then one per 2^e */
#define HIST_NB (HIST_GROUPS * HIST_SUB)     /* 3776 buckets */

typedef struct hent {
    uint16_t b;    /* bucket, < HIST_NB */
    uint32_t c;    /* count, > 0 */
} hent;

typedef struct hist {
    hent *v;       /* ascending bucket */
    uint32_t n, cap;
} hist;

/* The bucket of v, and the value a bucket reads as. */
uint32_t hist_bucket(uint64_t v);
uint64_t hist_value(uint32_t b);
/* Count c more in bucket b: ORCA_ENOMEM (nothing changed) if the array
 * cannot grow. */
int hist_add(orca_engine *e, hist *h, uint32_t b, uint32_t c);
/* Empty, keeping the memory. */
void hist_clear(hist *h);
void hist_free(orca_engine *e, hist *h);
uint64_t hist_total(const hist *h);
/* The value of rank `want` (1-based, <= the total count) over the union of
 * nh histograms, as its bucket's hist_value; 0 for want 0. */
uint64_t hist_rank(const hist *const *hs, uint32_t nh, uint64_t want);
/* Bytes held (for the memory figures in DESIGN.md). */
size_t hist_bytes(const hist *h);

#endif
