/*
 * powerfs.h: a simulated power cut under the journal (the way LazyFS does
 * it for Jepsen), for tests/test_power_loss.c.
 *
 * The journal's writes, syncs, truncations, renames and unlinks go through
 * the engine's jfile_io table (src/jfile.h); powerfs is such a table. It
 * lets each call through to the real files in one directory and records
 * what a power cut would keep:
 *  - of a file's bytes, what the last fdatasync of it saw (every byte
 *    after that is lost, or, in "torn" mode, a random prefix of them is
 *    kept: a write that reached the disk halfway);
 *  - of the directory's names, what the last fsync of the directory saw:
 *    a file created or renamed since is not there after the cut (under
 *    the name it had then, if it had one).
 * Armed with a call number, the call of that number and every one after
 * it fail with EIO and do nothing (the power is off); powerfs_cut then
 * rewrites the directory as the disk would hold it after the cut.
 *
 * Inode numbers name the files it tracks, so no inode may be freed and
 * reused while it runs: unlink and rename-over keep the file they drop as
 * a hard link in DIR/.graveyard. ORCA_POWER_TRACE=1 prints every call.
 */
#ifndef ORCA_TESTS_POWERFS_H
#define ORCA_TESTS_POWERFS_H

#include <stdint.h>

#include "jfile.h"

typedef struct powerfs powerfs;

/* Watch dir (it must exist; what is in it now counts as durable). NULL
 * if out of memory. */
powerfs *powerfs_new(const char *dir, uint64_t seed);
void powerfs_free(powerfs *p);

/* The table to give jrn_set_io. */
const jfile_io *powerfs_io(powerfs *p);

/* Cut the power at the call numbered at (1 = the next one; 0: never),
 * keeping a random prefix of unsynced bytes if torn. */
void powerfs_arm(powerfs *p, uint64_t at, int torn);

/* Calls seen so far, syncs (fdatasync of a file) that succeeded, and
 * whether the power is off. */
uint64_t powerfs_calls(const powerfs *p);
uint64_t powerfs_syncs(const powerfs *p);
int powerfs_is_off(const powerfs *p);
/* The power went off during a compaction (its rename not yet durable:
 * a ".compact" file was being written or renamed). */
int powerfs_mid_compaction(const powerfs *p);

/* Rewrite the directory as the disk holds it after the cut (every engine
 * using it must be freed first). 0, or -1 with errno. */
int powerfs_cut(powerfs *p);

#endif
