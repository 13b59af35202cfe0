/* journal_bench.h: the journal's records per second and recovery time
 * (bench/journal.c). */
#ifndef ORCA_BENCH_JOURNAL_H
#define ORCA_BENCH_JOURNAL_H

#include <stdint.h>

/* records/s with n_fast (never, interval) and n_sync (every record)
 * enqueues; recovery of `waiting` waiting interactions among `agents`,
 * from the whole journal and from its snapshot (orca_journal_compact);
 * recovery against age: a centre keeping waiting/20 interactions live
 * while `waiting` and 10 x `waiting` flow through it, whole journal,
 * compacted at the end, and with compact_bytes = waiting x 80. Every
 * size follows `waiting`, so a small one (--smoke) runs in a second. */
void bench_journal(uint64_t waiting, uint32_t agents, uint64_t n_fast, uint64_t n_sync);

#endif
