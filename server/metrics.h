/*
 * server/metrics.h: orcad's GET /metrics body, the Prometheus text
 * exposition format (version 0.0.4) from an engine and its orca_stats.
 * Pure: no socket, no loop; tests/test_metrics.c reads it back.
 */
#ifndef ORCAD_METRICS_H
#define ORCAD_METRICS_H

#include <orca.h>

/* Write every family (# HELP, # TYPE, then one sample per queue and per
 * channel, labelled queue="..." or channel="...", and orca_agents by
 * state) to fn. Gauges are now; service level and ASA are over the
 * stats' sliding window; *_total counters since the stats were attached.
 * ORCA_EINVAL (NULL e, s or fn), ORCA_ENOMEM (a line did not fit). */
int orcad_metrics_write(const orca_engine *e, const orca_stats *s, orca_write_fn fn, void *data);

/* The readers /metrics uses, shared with the supervisor's figures
 * (server/proto.c, proto_figures_json) so both show the same numbers. */

/* A walk over the live queues or channels by id, until the engine's count
 * of them is met (ids are never reused: a removed one is skipped). */
typedef struct orcad_walk {
    uint32_t next, seen, n;
} orcad_walk;

/* Walks from the first queue (id 1) or channel (id 0). */
orcad_walk orcad_walk_queues(const orca_engine *e);
orcad_walk orcad_walk_channels(const orca_engine *e);
/* The next live queue (or channel, with orcad_channel_next): its id into
 * *id and its name returned; NULL when the walk is over. */
const char *orcad_queue_next(const orca_engine *e, orcad_walk *w, orca_queue_id *id);
const char *orcad_channel_next(const orca_engine *e, orcad_walk *w, orca_channel_id *id);

/* Agents by state now. Presence first (offline, not_ready); a READY agent
 * is busy if it holds answered work, else wrapup if it is wrapping up,
 * else offered if an offer waits for its answer, else ready (idle). */
typedef struct orcad_agent_states {
    uint64_t offline, not_ready, ready, offered, busy, wrapup;
} orcad_agent_states;

/* Count e's agents into *st (zeroed first). ORCA_EINVAL (NULL e or st),
 * or the error of orca_agent_list (the counts so far are kept). */
int orcad_agent_states_get(const orca_engine *e, orcad_agent_states *st);

#endif
