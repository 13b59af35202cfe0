/*
 * ref_router.h: a deliberately simple reference implementation of the
 * routing rules in docs/DESIGN.md ("Routing rules").
 *
 * Everything is a linear scan over small fixed arrays: no index, no heap, no
 * hash. It is meant to be checked by eye against DESIGN.md, line by line,
 * and used by tests/test_differential.c as the oracle the engine is compared
 * with. It mirrors the public API (same arguments, same return codes) and
 * records the events the engine would emit, in order.
 *
 * Skills are not interned here: the test interns them in the engine and
 * declares the ids the engine gave with ref_skill_define(). Channels get ids
 * ORCA_CHANNEL_BUILTIN_COUNT, +1, ... and queues 1, 2, ... as in the engine.
 *
 * Limits (the test stays inside them): REF_MAX_AGENTS live agents,
 * REF_MAX_INTERACTIONS live interactions, REF_MAX_QUEUES queues,
 * REF_MAX_SKILLS skills, REF_MAX_AGENT_SKILLS skills per agent,
 * REF_MAX_CUSTOMERS customer contexts kept at once. Past them the reference
 * answers ORCA_ELIMIT (customers: it aborts; the test stays well below).
 *
 * Besides routing it models DESIGN.md's "Work held for one agent" (named
 * and sticky targets) and "Customers, history and transfers": customer
 * contexts with their history, the ENQUEUED bits, totals, dispositions and
 * blind and consult transfers; and, from "Scheduled work, bots, opening
 * hours, resume": callback slots (not_before_ms, early_ms) and unreached
 * callbacks; bots (BOT work, contained or escalated); abandon and resume
 * (tickets); virtual hold (orca_interaction_callback); and opening hours
 * (weekly ranges in a UTC offset, exceptions, and new work for a closed
 * queue rejected, held until the opening or redirected).
 */
#ifndef ORCA_REF_ROUTER_H
#define ORCA_REF_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "orca.h"

#define REF_MAX_AGENTS 64
#define REF_MAX_INTERACTIONS 512
#define REF_MAX_QUEUES 32
#define REF_MAX_SKILLS 64
#define REF_MAX_AGENT_SKILLS 32
#define REF_MAX_CUSTOMERS 512

typedef struct ref_router ref_router;

/*
 * Readings of DESIGN.md that could go either way. The defaults are what
 * DESIGN.md says; the others exist so a disagreement can be confirmed, or
 * masked while hunting for other bugs (test_differential's set_masks maps
 * ORCA_DIFF_MASK bits to them: oldest_ignores_held .. kept_answer_at_0_ignored
 * reproduce engine disagreements since fixed; priority_when_scheduled,
 * escalate_sticky_def_conversation and future_queued_wraps open ones, on
 * by default).
 */
typedef struct ref_options {
    /* 1: effprio(i) in the release key is computed from the clock at the
     * moment of the decision; 0: it is the value last computed by
     * process_waiting / set_priority (the one the PRIORITY events report). */
    int fresh_effprio;
    /* 1: excluded(a, i) compares the exclusion's end with the clock;
     * 0: an exclusion holds until process_waiting(i) drops it. */
    int fresh_exclusions;
    /* 1: orca_queue_info.oldest_arrival_ms leaves out WAITING work held for
     * an agent (which .waiting counts); 0: all WAITING work. */
    int oldest_ignores_held;
    /* 1: when an agent goes OFFLINE, is removed or no longer serves held
     * work, the holds end (TARGET_RELEASED) in reverse held order; 0: in
     * t's held order. Either way INELIGIBLE work is routed right after its
     * event, and OFFLINE routes and removal's process_waiting go in held
     * order. */
    int reverse_release_order;
    /* 1: an agent removed with hard-held work times it out (TIMED_OUT after
     * AGENT_REMOVED) held work first, in held order, then offered work in
     * reverse seq order; 0: offered work in seq order, then held work in
     * held order. */
    int held_doomed_first;
    /* 1: for the last agent in a conversation, a kept (finished)
     * interaction answered at clock 0 does not count; 0: it does. */
    int kept_answer_at_0_ignored;
    /* 1: orca_interaction_set_priority also takes SCHEDULED work (the
     * engine does); 0: WAITING or OFFERED only, as orca.h and DESIGN.md
     * say (ORCA_ESTATE otherwise). */
    int priority_when_scheduled;
    /* 1: an escalated leg's sticky routing looks the last agent up with
     * to->conversation as given (0 when the host leaves it to the bot's, as
     * the engine does); 0: with the leg's conversation, the bot's, which
     * the leg keeps. */
    int escalate_sticky_def_conversation;
    /* 1: work called back (orca_interaction_callback) to WAITING before the
     * slot it was SCHEDULED for keeps a queued time in the future, and
     * process_waiting's "waited" (now - queued) and ACCEPTED's sla_met
     * (now - arrival) wrap around as unsigned numbers, as in the engine:
     * max wait, overflow and every step fall due at once, and sla_met is 0;
     * 0: it has waited less than nothing: none of them is due yet (and its
     * wait, as the events report it, is 0). */
    int future_queued_wraps;
} ref_options;

void ref_options_init(ref_options *o);

/* cfg may be NULL for defaults; opt may be NULL for ref_options_init's. */
ref_router *ref_new(const orca_config *cfg, const ref_options *opt);
void ref_free(ref_router *r);

uint64_t ref_now(const ref_router *r);

/* Events recorded since creation or the last ref_events_clear(). */
size_t ref_events(const ref_router *r, const orca_event **out);
void ref_events_clear(ref_router *r);

/* Declare a skill id the engine handed out (event SKILL_ADDED). */
int ref_skill_define(ref_router *r, orca_skill_id id);

int ref_channel_add(ref_router *r, const orca_channel_def *def, orca_channel_id *out);
int ref_channel_set_wrapup(ref_router *r, orca_channel_id id, uint32_t wrapup_ms);
/* Offer and withdraw callbacks, with the engine's rules: offers are
 * announced when the outermost call ends (the callback may call back in),
 * withdrawals synchronously, only for announced offers. */
int ref_channel_set_callbacks(ref_router *r, orca_channel_id id,
                              const orca_channel_callbacks *cb, void *data);
/* Append a record of the caller's own to the event stream (the test notes
 * its callbacks there, so their order is compared with the events'). */
void ref_record(ref_router *r, const orca_event *ev);

int ref_queue_add(ref_router *r, const orca_queue_def *def, orca_queue_id *out);
int ref_queue_member_add(ref_router *r, orca_queue_id q, uint64_t agent, uint32_t tier);
int ref_queue_member_remove(ref_router *r, orca_queue_id q, uint64_t agent);
int ref_queue_remove(ref_router *r, orca_queue_id q);

int ref_agent_add(ref_router *r, const orca_agent_def *def);
int ref_agent_update(ref_router *r, const orca_agent_def *def);
int ref_agent_remove(ref_router *r, uint64_t id);
int ref_agent_set_presence(ref_router *r, uint64_t id, orca_presence p, uint32_t reason);
int ref_agent_set_queue_rank(ref_router *r, uint64_t agent, orca_queue_id q, uint32_t rank);
/* What orca_journal_replay does at the end (DESIGN.md "Journal"): with
 * ORCA_RESTORE_OFFLINE every agent OFFLINE (jrn_offline_all), then the
 * offers pending go back to waiting (jrn_recover_offers). */
int ref_offline_all(ref_router *r);
int ref_recover_offers(ref_router *r);

int ref_interaction_enqueue(ref_router *r, const orca_interaction_def *def);
int ref_offer_accept(ref_router *r, uint64_t interaction);
int ref_offer_reject(ref_router *r, uint64_t interaction);
int ref_interaction_end(ref_router *r, uint64_t interaction);
int ref_interaction_wrapup_done(ref_router *r, uint64_t interaction);
int ref_interaction_abandon(ref_router *r, uint64_t interaction);
int ref_interaction_cancel(ref_router *r, uint64_t interaction);
int ref_interaction_set_priority(ref_router *r, uint64_t interaction, uint32_t priority);
int ref_interaction_set_disposition(ref_router *r, uint64_t interaction, uint32_t code);
int ref_interaction_transfer(ref_router *r, uint64_t from, const orca_interaction_def *to,
                             orca_transfer_mode mode);

/* Opening hours (orca.h): set (copying) or, with hours NULL, clear; and
 * whether q is open at the reference's clock. */
int ref_queue_set_hours(ref_router *r, orca_queue_id q, const orca_hours *hours);
int ref_queue_is_open(const ref_router *r, orca_queue_id q, int *open);

/* DESIGN.md "Scheduled work, bots, opening hours, resume". */
int ref_interaction_unreached(ref_router *r, uint64_t interaction);
int ref_interaction_escalate(ref_router *r, uint64_t interaction, const orca_interaction_def *to);
int ref_interaction_callback(ref_router *r, uint64_t interaction, orca_channel_id channel,
                             uint64_t not_before_ms);

int ref_advance(ref_router *r, uint64_t now_ms);
int ref_next_deadline(const ref_router *r, uint64_t *deadline_ms);

/* The same views as the engine's getters (fields the reference models:
 * counts without classes/listeners/events; data pointers are copied). */
int ref_counts(const ref_router *r, orca_counts *out);
int ref_agent_info_get(const ref_router *r, uint64_t id, orca_agent_info *out);
int ref_interaction_info_get(const ref_router *r, uint64_t id, orca_interaction_info *out);
int ref_queue_info_get(const ref_router *r, orca_queue_id q, orca_queue_info *out);
int ref_customer_info_get(const ref_router *r, uint64_t customer, orca_customer_info *out);
int ref_customer_history(const ref_router *r, uint64_t customer, orca_history_entry *out,
                         uint32_t cap, uint32_t *n);
int ref_customer_open(const ref_router *r, uint64_t customer, uint64_t *ids, uint32_t cap,
                      uint32_t *n);
int ref_customer_forget(ref_router *r, uint64_t customer);
int ref_customer_totals_get(const ref_router *r, orca_customer_totals *out);
/* 1 if the agent is a member of q (its tier in *tier), else 0. */
int ref_queue_is_member(const ref_router *r, orca_queue_id q, uint64_t agent, uint32_t *tier);

/* Listings and positions: a queue's WAITING work in routing order
 * (-effprio, arrival, seq), held work included, by selection (a scan per
 * entry); an interaction's place in it by counting (ORCA_ENOENT,
 * ORCA_ESTATE as the engine). */
int ref_queue_waiting(const ref_router *r, orca_queue_id q, uint64_t *ids, uint32_t cap,
                      uint32_t *n);
int ref_interaction_position(const ref_router *r, uint64_t id, uint32_t *ahead,
                             uint32_t *waiting);

/* The ids of every live agent (interactions 0) or live interaction
 * (interactions 1), in no particular order. */
int ref_live_ids(const ref_router *r, int interactions, uint64_t *ids, uint32_t cap,
                 uint32_t *n);

/* The reference's own invariant (no WAITING interaction has an available
 * agent). 0, or -1 with a description in buf. */
int ref_check(const ref_router *r, char *buf, size_t len);

#endif /* ORCA_REF_ROUTER_H */
