/*
 * peer_app_queue.h: the `app_queue_style` peer, and the reference linear
 * router the bench compares orca with.
 *
 * Our own code, written from Asterisk app_queue's documented selection
 * logic: for every call, app_queue walks all members of the queue, skips
 * the ones that are not available, computes the strategy's metric for each
 * of the others (leastrecent: longest since the last call; fewestcalls:
 * fewest calls taken; rrmemory: round robin that remembers where it was;
 * wrandom: weighted random) and rings the member with the lowest metric.
 * When a member becomes free the callers, kept in one list ordered by
 * priority then arrival, are tried from the head.
 *
 * Here it decides by the same rules as orca (docs/DESIGN.md, "Routing
 * rules"), restricted to what the bench uses: one queue that every agent
 * serves, tier 0, rank 0, no preferred skills, no aging, steps, overflow or
 * exclusions, every offer accepted. So, with the same workload, it must make
 * the same decisions as orca, and the bench checks that it does.
 *  - arrival (aq_enqueue): one linear pass over every agent: READY, the
 *    interaction's channel fits (units and per-channel limit), holds every
 *    required skill at >= its level; the smallest (primary, idle_since, id)
 *    wins, primary being the strategy's:
 *      LONGEST_IDLE    0            (app_queue leastrecent)
 *      LEAST_OCCUPIED  units in use
 *      MOST_PROFICIENT -sum of the agent's levels on the required skills
 *      ROUND_ROBIN     offer counter at its last offer (app_queue rrmemory)
 *      FEWEST_HANDLED  offers accepted (app_queue fewestcalls)
 *      WEIGHTED_RANDOM exponential race, splitmix64 seeded as orca's
 *                      (app_queue wrandom);
 *  - release (aq_end): the interaction completes, capacity is freed, and
 *    while the agent has room, one linear pass over the waiting list (kept
 *    in (priority desc, arrival, seq) order, like app_queue's caller list)
 *    from the head: the first interaction the agent can take is offered,
 *    and the pass goes on from there.
 * To keep the comparison fair to the peer, a new interaction is appended to
 * its priority's list in O(1) (app_queue walks the caller list to insert).
 *
 * Interactions are named by a handle (a slot index), the way app_queue
 * holds a pointer to its caller and member.
 */
#ifndef ORCA_BENCH_PEER_APP_QUEUE_H
#define ORCA_BENCH_PEER_APP_QUEUE_H

#include <stdint.h>

#include "common.h"
#include "orca.h"
#include "workload.h"

typedef struct aq_peer aq_peer;

/* Called at each offer, synchronously. handle names the interaction. */
typedef void (*aq_offer_fn)(void *data, uint64_t interaction, uint64_t agent,
                            uint32_t handle, uint8_t channel);

typedef struct aq_config {
    orca_strategy strategy;
    uint64_t seed;           /* weighted random, as orca_config.seed */
    aq_offer_fn offer;
    void *offer_data;
    bench_mem *mem;          /* counts every byte the peer holds */
} aq_config;

int aq_new(const aq_config *cfg, aq_peer **out);
void aq_free(aq_peer *p);

/* Add an agent (not READY); its index is the count of agents before it. */
int aq_agent_add(aq_peer *p, const wl_agent *a, uint32_t capacity,
                 const uint32_t limits[WL_NCHANNELS]);

/* Make agent idx READY at now (idle_since = now); with route, it is then
 * offered the best waiting work it can take. */
void aq_agent_ready(aq_peer *p, uint32_t idx, uint64_t now, int route);

/* Queue interaction it at now; with route, the best available agent is
 * offered it at once. The handle is written to *handle. */
int aq_enqueue(aq_peer *p, const wl_interaction *it, uint64_t now, int route,
               uint32_t *handle);

/* Offer WAITING interaction `handle` to agent idx without choosing (the
 * bench uses it to load the state orca reached while the centre was built). */
void aq_force_offer(aq_peer *p, uint32_t handle, uint32_t agent_idx);

/* The agent takes the offered interaction. */
void aq_accept(aq_peer *p, uint32_t handle);

/* The interaction ends with no wrap-up: capacity freed, idle_since = now,
 * then the agent is offered the best waiting work it can take. */
void aq_end(aq_peer *p, uint32_t handle, uint64_t now);

/* The customer of WAITING interaction `handle` hangs up: forgotten. */
void aq_abandon(aq_peer *p, uint32_t handle);

void aq_counts(const aq_peer *p, uint32_t *waiting, uint32_t *busy);

#endif
