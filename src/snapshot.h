/*
 * snapshot.h: an engine's state copied into a new engine through a
 * snapshot, without a file (snapshot.c). For tests that check a restored
 * engine goes on exactly as the original would (test_differential); the
 * journal uses snap_save and snap_load (orca_int.h) directly.
 */
#ifndef ORCA_SNAPSHOT_H
#define ORCA_SNAPSHOT_H

#include "orca.h"

/* Restore into `to` (new, same orca_config, listeners may be attached) a
 * snapshot of `from`: ORCA_OK, ORCA_ENOMEM, or ORCA_ECORRUPT. The host's
 * pointers (channel callbacks, agents' and interactions' data), which a
 * snapshot on disk cannot carry, are copied across: same process. */
int snap_copy(orca_engine *from, orca_engine *to);

#endif
