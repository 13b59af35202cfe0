/* journal_bench.h: the journal's records per second and recovery time
 * (bench/journal.c). */
#ifndef ORCA_BENCH_JOURNAL_H
#define ORCA_BENCH_JOURNAL_H

#include <stdint.h>

/* records/s with n_fast (never, interval) and n_sync (every record)
 * enqueues; recovery of `waiting` waiting interactions among `agents`. */
void bench_journal(uint64_t waiting, uint32_t agents, uint64_t n_fast, uint64_t n_sync);

#endif
