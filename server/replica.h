/*
 * server/replica.h: orcad's journal shipped through a Redis Stream (issue
 * 13, first slice). A leader appends every journal record (the tap,
 * orca_journal_set_tap) to the stream KEY:log with XADD, tagged with its
 * epoch (INCR KEY:epoch at start) and seq; after each compaction the
 * stream is trimmed to the new snapshot. A standby reads the stream
 * (XREAD BLOCK) and applies each record (orca_journal_apply) to an engine
 * of its own, which thus follows the leader's. Both through hiredis on
 * orcad's libuv loop. Each append is fenced by the epoch: a leader that is
 * no longer the latest has its records refused and steps down. Acknowledgements do not wait for Redis yet (async:
 * a leader that dies loses from the standby what was not shipped; its
 * own journal still has it).
 */
#ifndef ORCAD_REPLICA_H
#define ORCAD_REPLICA_H

#include <stdint.h>
#include <uv.h>

#include <orca.h>

typedef struct orcad_replica orcad_replica;

/* Where: "HOST:PORT" or "HOST:PORT/KEY" (KEY defaults to "orca"). 0, or -1
 * if it does not parse. host is written into host (cap bytes). */
int orcad_redis_parse(const char *spec, char *host, size_t cap, int *port, char *key, size_t kcap);

/* Leader: take a new epoch, set e's tap, and compact e so the stream
 * starts with a snapshot of it. Blocks (at most timeout_ms) for the
 * connection and the epoch; ships asynchronously from then on. Each
 * append is guarded by the epoch (a Lua script: refused unless KEY:epoch
 * is still ours); the first refusal calls step_down(data) once: a later
 * leader has taken over. Returns 0, or -1 with a message on stderr (e
 * unchanged). */
int orcad_ship_start(uv_loop_t *loop, orca_engine *e, const char *host, int port, const char *key,
                     unsigned timeout_ms, void (*step_down)(void *data), void *data,
                     orcad_replica **out);

/* Standby: follow the stream into an engine made with ec (and a new one,
 * from the next snapshot, when a leader of a later epoch starts). The
 * engine changes then: read it through orcad_follow_engine each time;
 * on_engine(data, e, s) is told of each new one and its stats. */
typedef void (*orcad_engine_fn)(void *data, orca_engine *e, orca_stats *s);
int orcad_follow_start(uv_loop_t *loop, const orca_config *ec, const char *host, int port,
                       const char *key, orcad_engine_fn on_engine, void *data,
                       orcad_replica **out);
orca_engine *orcad_follow_engine(const orcad_replica *r);
orca_stats *orcad_follow_stats(const orcad_replica *r);

/* Counters: records sent (leader) or applied (standby), acknowledged by
 * Redis (leader), failed; the epoch. */
typedef struct orcad_replica_stats {
    uint64_t sent, acked, failed, applied, resyncs, epoch;
} orcad_replica_stats;
void orcad_replica_stats_get(const orcad_replica *r, orcad_replica_stats *out);

/* Stop: the connection is closed on the loop (which must run on); the
 * standby's engine and stats are freed. NULL is ok. */
void orcad_replica_stop(orcad_replica *r);

#endif
