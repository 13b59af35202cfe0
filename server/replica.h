/*
 * server/replica.h: orcad's journal shipped through a Redis Stream, a
 * standby that follows it, and the lease that says which of them leads
 * (issue 13).
 *
 * Keys (KEY defaults to "orca"): KEY:log the stream, KEY:epoch the
 * fencing token, KEY:lease the leader's lease (a random token, PX).
 * - A leader appends every journal record (orca_journal_set_tap) to
 *   KEY:log with a Lua script that refuses it unless KEY:epoch is still
 *   the leader's own: a former leader that wakes up late cannot write, and
 *   steps down. It renews its lease every lease/4; a renewal that finds
 *   someone else's token steps it down too. After a compaction the stream
 *   is trimmed to the new snapshot.
 * - A standby reads the stream (XREAD BLOCK) and applies each record
 *   (orca_journal_apply) to an engine of its own. When the lease lapses it
 *   takes it and a new epoch in one script (from then on the old leader's
 *   appends are refused), applies what is left in the stream, and hands
 *   its engine to orcad (promote), which makes it the leader's
 *   (orca_journal_promote) and calls orcad_replica_lead.
 * - Acknowledgements (ack): async, replies do not wait for Redis; redis,
 *   a turn's replies wait until Redis has every record before them; wait,
 *   until Redis has also copied them to a replica (WAIT 1). orcad's
 *   WebSocket layer asks with orcad_replica_gate and is told with
 *   release. While Redis cannot take records (unreachable, or the stream
 *   has a gap not yet covered by a snapshot), orcad_replica_accepting is 0
 *   in those modes: new work is refused rather than accepted and lost.
 */
#ifndef ORCAD_REPLICA_H
#define ORCAD_REPLICA_H

#include <stdint.h>
#include <uv.h>

#include <orca.h>

typedef struct orcad_replica orcad_replica;

typedef enum orcad_ack { ORCAD_ACK_ASYNC, ORCAD_ACK_REDIS, ORCAD_ACK_WAIT } orcad_ack;

/* "async", "redis" or "wait": 0, or -1. */
int orcad_ack_parse(const char *s, orcad_ack *out);
const char *orcad_ack_name(orcad_ack a);

typedef struct orcad_replica_opts {
    char host[256];
    int port;
    char key[128];
    unsigned lease_ms; /* the lease's length (default 500) */
    orcad_ack ack;
} orcad_replica_opts;

/* Where: "HOST:PORT" or "HOST:PORT/KEY" into o (host, port, key; the rest
 * untouched). 0, or -1 if it does not parse. */
int orcad_redis_parse(const char *spec, orcad_replica_opts *o);

/* What orcad is told. */
typedef struct orcad_replica_cb {
    /* a leader may not write any more (a later one holds the epoch or the
     * lease): it must stop; once */
    void (*step_down)(void *data);
    /* the records behind every turn up to batch are confirmed (ack redis
     * or wait): their replies may go */
    void (*release)(void *data, uint64_t batch);
    /* a standby's engine is a new one (a new leader's snapshot) */
    void (*on_engine)(void *data, orca_engine *e, orca_stats *s);
    /* a standby holds the lease and a new epoch and has applied the whole
     * stream: orcad makes an engine the leader's (e, which follows, or one
     * of its own if e applied nothing) and calls orcad_replica_lead;
     * returns 0, or -1 if it could not (it then stops) */
    int (*promote)(void *data, orca_engine *e, orca_stats *s, int empty);
    void *data;
} orcad_replica_cb;

/* Leader at once: take the lease (waiting up to timeout_ms for one that
 * is held to lapse) and a new epoch, then as orcad_replica_lead. Blocks
 * for that; ships asynchronously from then on. 0, or -1 with a message
 * on stderr (e unchanged). */
int orcad_ship_start(uv_loop_t *loop, orca_engine *e, const orcad_replica_opts *o,
                     const orcad_replica_cb *cb, unsigned timeout_ms, orcad_replica **out);

/* Standby: follow the stream into an engine made with ec (a new one from
 * each new leader's snapshot: read it through orcad_follow_engine; cb
 * on_engine is told), and take over when the lease lapses (cb promote). */
int orcad_follow_start(uv_loop_t *loop, const orca_config *ec, const orcad_replica_opts *o,
                       const orcad_replica_cb *cb, orcad_replica **out);
orca_engine *orcad_follow_engine(const orcad_replica *r);
orca_stats *orcad_follow_stats(const orcad_replica *r);

/* From promote: e (journaled now) leads. If e is the standby's engine, it
 * and its stats pass to orcad; else r frees its own. Its tap is set and
 * it is compacted, so the stream goes on from a snapshot of the new
 * epoch. 0, or -1 (said why on stderr). */
int orcad_replica_lead(orcad_replica *r, orca_engine *e);

/* The turn numbered batch has queued replies behind the records tapped so
 * far: cb release(batch) once Redis has them (ack redis or wait); 1. Or
 * 0 if no record was tapped since the last turn (nothing to confirm). */
int orcad_replica_gate(orcad_replica *r, uint64_t batch);

/* 1 if new work may be acknowledged: always in async mode; else only
 * while Redis takes every record. NULL r: 1. */
int orcad_replica_accepting(const orcad_replica *r);

/* 1 while r leads (holds the lease and the epoch, not fenced). */
int orcad_replica_leading(const orcad_replica *r);

/* Counters: records sent (leader) or applied (standby), acknowledged by
 * Redis (leader), failed or dropped; resyncs (standby), the epoch;
 * promotions; connected and whole (the stream has every record since the
 * last snapshot); lag_ms: since Redis last confirmed a record while some
 * were pending (leader). */
typedef struct orcad_replica_stats {
    uint64_t sent, acked, failed, applied, resyncs, epoch, promotions;
    int leader, connected, whole;
    uint64_t inflight;      /* sent, no answer yet */
    uint64_t lag_ms;
} orcad_replica_stats;
void orcad_replica_stats_get(const orcad_replica *r, orcad_replica_stats *out);

/* Stop: the connection is closed on the loop (which must run on); a
 * leader gives its lease back; a standby's engine and stats are freed.
 * NULL is ok. */
void orcad_replica_stop(orcad_replica *r);

#endif
