/*
 * codec.h: little-endian encoding of numbers, strings and skill lists into
 * a byte buffer, and decoding them back, for the journal's records and its
 * snapshots (journal.c, snapshot.c, stats.c).
 *
 * Writing never fails midway: a fixed buffer that runs out (or a growing
 * one whose allocation fails) sets `bad` and keeps counting, so the caller
 * checks once at the end. Reading past the end sets `bad` and yields zeros.
 */
#ifndef ORCA_CODEC_H
#define ORCA_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "orca.h"

typedef struct wbuf {
    orca_engine *e;   /* grows with e's allocator; NULL: fixed at cap */
    uint8_t *p;
    size_t n, cap;
    bool bad;         /* out of room or memory */
} wbuf;

void w_bytes(wbuf *w, const void *p, size_t n);
void w_u8(wbuf *w, uint8_t v);
void w_u32(wbuf *w, uint32_t v);
void w_u64(wbuf *w, uint64_t v);
void w_str(wbuf *w, const char *s);
void w_levels(wbuf *w, const orca_skill_level *v, uint32_t n);
/* Free a growing buffer's memory. */
void w_free(wbuf *w);

typedef struct rbuf {
    const uint8_t *p;
    size_t n, at;
    bool bad;         /* read past the end, or a value out of range */
    uint8_t *scratch; /* where r_str, r_levels and r_take put what they
                         decode (the caller's memory; reset `used` to
                         reuse it) */
    size_t used, cap;
} rbuf;

void r_bytes(rbuf *r, void *out, size_t n);
uint8_t r_u8(rbuf *r);
uint32_t r_u32(rbuf *r);
uint64_t r_u64(rbuf *r);
/* A count of items of at least `min_bytes` each: bad (and 0) if the rest
 * of the buffer could not hold that many, so a damaged count cannot make
 * the reader allocate without bound. */
uint32_t r_count(rbuf *r, size_t min_bytes);
/* Variable-length numbers (LEB128), for snapshots: r_v32 is bad past
 * UINT32_MAX. */
void w_v(wbuf *w, uint64_t v);
uint64_t r_v(rbuf *r);
uint32_t r_v32(rbuf *r);
/* r_count's check, for a count written with w_v. */
uint32_t r_vcount(rbuf *r, size_t min_bytes);
/* n bytes of scratch (8-aligned), or NULL and bad. */
void *r_take(rbuf *r, size_t n);
const char *r_str(rbuf *r);
orca_skill_level *r_levels(rbuf *r, uint32_t *n);

/* The public definitions the journal and its snapshots carry. Arrays a
 * decoded definition points to live in r's scratch. */
void w_queue_def(wbuf *w, const orca_queue_def *d);
void r_queue_def(rbuf *r, orca_queue_def *d);
/* h may be NULL (always open); r_hours returns NULL for that. */
void w_hours(wbuf *w, const orca_hours *h);
const orca_hours *r_hours(rbuf *r, orca_hours *h);

#endif
