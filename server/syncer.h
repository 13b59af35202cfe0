/*
 * server/syncer.h: the journal's periodic sync off the loop thread.
 *
 * With server.sync = "interval" the engine itself would fdatasync inside
 * whichever call comes an interval after the last sync, and the loop would
 * stand still for as long as the disk takes (about 3 to 7 ms here, once a
 * second: the whole of orcad's p99 under load). So orcad journals with
 * ORCA_SYNC_NEVER and this syncer, every interval, has libuv's thread
 * pool open the journal's path and fdatasync it: the same promise (a
 * power cut loses at most the last interval, plus the sync's own time),
 * and the loop never waits for the disk. (An fdatasync of any descriptor
 * of a file flushes the file; the engine's own descriptor, and its lock,
 * are not touched. After a compaction the path names the new file, which
 * the compaction synced itself.)
 */
#ifndef ORCAD_SYNCER_H
#define ORCAD_SYNCER_H

#include <stdint.h>
#include <uv.h>

typedef struct orcad_syncer orcad_syncer;

/* Every interval_ms, fdatasync the file at path in the thread pool (one
 * at a time: a sync still running when the next is due is not doubled).
 * path is copied. Returns 0, or -1 with a message on stderr. */
int orcad_syncer_start(uv_loop_t *loop, const char *path, uint32_t interval_ms,
                       orcad_syncer **out);

/* Syncs done and failed so far (a failure is logged once per errno). */
uint64_t orcad_syncer_count(const orcad_syncer *s, uint64_t *failed);

/* Stop: the timer is closed; a sync under way finishes, then it is freed
 * (the loop must run on for that). NULL is ok. */
void orcad_syncer_stop(orcad_syncer *s);

#endif
