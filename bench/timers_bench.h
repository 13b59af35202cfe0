/* timers_bench.h: the cost of one long clock step (bench/timers.c). */
#ifndef ORCA_BENCH_TIMERS_H
#define ORCA_BENCH_TIMERS_H

/* Prints one line per case; 0, or the failing call's ORCA_E* code. */
int bench_timers(void);

#endif
