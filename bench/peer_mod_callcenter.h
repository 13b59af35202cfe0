/*
 * peer_mod_callcenter.h: the `mod_callcenter_style` peer.
 *
 * Our own code, written from FreeSWITCH mod_callcenter's documented logic:
 * the module keeps its state in an SQL database (SQLite by default) in three
 * tables, agents, tiers (agent, queue, level, position) and members (the
 * callers waiting), and picks the agent for a member with one query: agents
 * joined with tiers for the member's queue, filtered by the agent's status
 * and state and the tier's state, ordered by tier level then by the queue's
 * strategy (longest-idle-agent: agents.last_bridge_end ascending, then the
 * tier position; agent-with-fewest-calls: calls_answered; ...). Agent state
 * changes are SQL UPDATEs. Here the database is in memory (":memory:"),
 * every statement is prepared once and reused, and each decision runs in
 * one transaction.
 *
 * Applied to the bench's workload (one queue every agent serves at tier
 * level 1, position = agent id):
 *  - skills are a table agent_skills(agent, skill, level), keyed by (agent,
 *    skill) and indexed by (skill, level); the arrival query joins it once
 *    per required skill (skill = ? AND level >= ?), the rarest skill first
 *    (the peer counts each skill's holders as agents are added), so SQLite
 *    starts from the shortest index range (see the plans in the notes);
 *  - members waiting are indexed by (queue, priority desc, joined_epoch, seq)
 *    where state = Waiting, so the release query walks them in order and
 *    stops at the first the agent can take;
 *  - an agent is free for an interaction when its status is Available and
 *    the interaction's channel fits its capacity (columns used, capacity,
 *    and per channel cnt0..2 and lim0..2: mod_callcenter's agents take one
 *    call, the workload's agents are blended);
 *  - arrival (mc_enqueue): INSERT the member, then one query for the best
 *    free agent; ORDER BY tiers.level, then the strategy's column:
 *      LONGEST_IDLE    last_bridge_end (set when the agent becomes Available
 *                      and when any of its interactions completes)
 *      LEAST_OCCUPIED  used
 *      MOST_PROFICIENT sum of the agent's levels on the required skills, desc
 *      ROUND_ROBIN     last_offered_call (the offer counter at its last offer)
 *      FEWEST_HANDLED  calls_answered
 *      WEIGHTED_RANDOM wr_key (the same exponential race as orca's, drawn
 *                      in C from the same seeded generator, kept in a column)
 *    then last_bridge_end, then tiers.position; if found, the offer is two
 *    UPDATEs (members.state = Trying, serving_agent; the agent's capacity);
 *  - release (mc_end): DELETE the member, UPDATE the agent (capacity back,
 *    last_bridge_end = now), then while the agent has room one query for the
 *    best waiting member it can take (members ordered by priority desc,
 *    joined_epoch, seq, as mod_callcenter orders members by score) and its
 *    offer.
 * These are orca's routing rules for the bench's single queue (DESIGN.md,
 * "Routing rules"), so the bench holds this peer to the same offers as orca.
 *
 * Interactions are named by a handle: the member's uuid, the interaction id.
 * Bytes are counted by SQLite (sqlite3_memory_used(): the database, its page
 * cache and the prepared statements) plus the peer's own through cfg.mem;
 * SQLite's counter is process-wide, so one mc_peer at a time.
 */
#ifndef ORCA_BENCH_PEER_MOD_CALLCENTER_H
#define ORCA_BENCH_PEER_MOD_CALLCENTER_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "orca.h"
#include "workload.h"

typedef struct mc_peer mc_peer;

/* Called at each offer, synchronously. handle names the interaction. */
typedef void (*mc_offer_fn)(void *data, uint64_t interaction, uint64_t agent,
                            uint32_t handle, uint8_t channel);

typedef struct mc_config {
    orca_strategy strategy;
    uint64_t seed;           /* weighted random, as orca_config.seed */
    mc_offer_fn offer;
    void *offer_data;
    bench_mem *mem;          /* the peer's own bytes (SQLite counts its own) */
} mc_config;

/* Open the database, create the schema, prepare the statements. 0 or -1
 * (the reason is printed). SQL errors later abort the process. */
int mc_new(const mc_config *cfg, mc_peer **out);
void mc_free(mc_peer *p);

/* Add an agent (Logged Out) with its tier and skills; its index is the
 * count of agents before it. */
int mc_agent_add(mc_peer *p, const wl_agent *a, uint32_t capacity,
                 const uint32_t limits[WL_NCHANNELS]);

/* Agent idx becomes Available at now (last_bridge_end = now); with route,
 * it is then offered the best waiting work it can take. */
void mc_agent_ready(mc_peer *p, uint32_t idx, uint64_t now, int route);

/* Member `it` joins at now; with route, the best free agent is offered it
 * at once. The handle is written to *handle. */
int mc_enqueue(mc_peer *p, const wl_interaction *it, uint64_t now, int route,
               uint32_t *handle);

/* Offer waiting member `handle` to agent idx without choosing (loads the
 * state orca reached while the centre was built). */
void mc_force_offer(mc_peer *p, uint32_t handle, uint32_t agent_idx);

/* The agent takes the offered member. */
void mc_accept(mc_peer *p, uint32_t handle);

/* The interaction ends (no wrap-up): the member row goes, the agent's
 * capacity comes back, last_bridge_end = now, then the agent is offered the
 * best waiting members it can take. */
void mc_end(mc_peer *p, uint32_t handle, uint64_t now);

/* Waiting member `handle` hangs up: its row goes. */
void mc_abandon(mc_peer *p, uint32_t handle);

/* Wrap many calls in one transaction (the bench's untimed build); every
 * call above still runs its own transaction when none is open. */
void mc_bulk_begin(mc_peer *p);
void mc_bulk_end(mc_peer *p);

/* Bytes held now: SQLite's (process-wide) plus the peer's own. */
size_t mc_live_bytes(const mc_peer *p);

/* The SQLite library's version. */
const char *mc_sqlite_version(void);

/* The query plans of the two decisions (EXPLAIN QUERY PLAN), one line
 * each, for the bench's notes. */
void mc_plans(mc_peer *p, char *arrival, size_t alen, char *release, size_t rlen);

#endif
