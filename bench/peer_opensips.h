/*
 * peer_opensips.h: the `opensips_style` peer.
 *
 * Our own code, written from the documented selection logic of OpenSIPS's
 * call_center module: calls wait in a queue ordered by the priority of
 * their flow, then by arrival; a flow requires a skill, agents provide a
 * set of skills, and a call goes to the first free agent that holds the
 * skill, found by walking the agent list in its order. There is no
 * strategy (no longest idle, no least occupied, ...): first fit.
 *
 * Applied to the bench's workload:
 *  - an interaction needs every one of its 1..3 required skills at >= the
 *    minimum level (call_center's skills have no levels and a flow names one
 *    skill; the workload asks for more, so the walk checks them all);
 *  - an agent is free for an interaction when it is logged in (READY) and
 *    the interaction's channel fits its remaining capacity and per-channel
 *    limit (call_center's voice calls plus MSRP chat sessions, generalised to
 *    the workload's voice/chat/email mix);
 *  - arrival (os_enqueue): one walk over the agent list from its head, in
 *    the order agents were added; the first free agent holding the skills
 *    is offered the interaction; if none, it waits;
 *  - release (os_end): the interaction completes and frees capacity; while
 *    the agent has room, one walk over the waiting calls from the head
 *    (priority desc, arrival): the first call the agent can take is
 *    offered, and the walk goes on from there.
 * Because the arrival is first fit, its offers differ from orca's (which
 * honour the queue's strategy), so the bench reports its timings only and
 * does not compare its decisions with orca's.
 *
 * Interactions are named by a handle (a slot index).
 */
#ifndef ORCA_BENCH_PEER_OPENSIPS_H
#define ORCA_BENCH_PEER_OPENSIPS_H

#include <stdint.h>

#include "common.h"
#include "workload.h"

typedef struct os_peer os_peer;

/* Called at each offer, synchronously. handle names the interaction. */
typedef void (*os_offer_fn)(void *data, uint64_t interaction, uint64_t agent,
                            uint32_t handle, uint8_t channel);

typedef struct os_config {
    os_offer_fn offer;
    void *offer_data;
    bench_mem *mem;          /* counts every byte the peer holds */
} os_config;

int os_new(const os_config *cfg, os_peer **out);
void os_free(os_peer *p);

/* Append an agent (logged out) to the list; its index is the count before. */
int os_agent_add(os_peer *p, const wl_agent *a, uint32_t capacity,
                 const uint32_t limits[WL_NCHANNELS]);

/* Agent idx logs in; with route, it is then offered what it can take. */
void os_agent_ready(os_peer *p, uint32_t idx, int route);

/* Queue interaction it at now; with route, the first free agent holding the
 * skills is offered it at once. The handle is written to *handle. */
int os_enqueue(os_peer *p, const wl_interaction *it, uint64_t now, int route,
               uint32_t *handle);

/* Offer WAITING interaction `handle` to agent idx without choosing (loads
 * the state orca reached while the centre was built). */
void os_force_offer(os_peer *p, uint32_t handle, uint32_t agent_idx);

/* The agent takes the offered interaction. */
void os_accept(os_peer *p, uint32_t handle);

/* The interaction ends (no wrap-up): capacity freed, then the agent is
 * offered the first waiting calls it can take. */
void os_end(os_peer *p, uint32_t handle);

/* The customer of WAITING interaction `handle` hangs up: forgotten. */
void os_abandon(os_peer *p, uint32_t handle);

#endif
