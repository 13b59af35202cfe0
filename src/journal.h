/*
 * journal.h: what the rest of the engine calls to journal a successful
 * state change (journal.c). Each jrn_* returns ORCA_OK, or ORCA_EIO when
 * the record could not be written (the journal is then closed as failed);
 * with no journal open, or during a replay, it does nothing.
 */
#ifndef ORCA_JOURNAL_H
#define ORCA_JOURNAL_H

#include "orca.h"

typedef struct journal journal;

enum {
    J_ADVANCE = 1, J_SKILL, J_CHANNEL_ADD, J_CHANNEL_WRAPUP, J_QUEUE_ADD, J_MEMBER_ADD,
    J_MEMBER_REMOVE, J_HOURS, J_AGENT_ADD, J_AGENT_UPDATE, J_AGENT_REMOVE, J_PRESENCE,
    J_RANK, J_ENQUEUE, J_ACCEPT, J_REJECT, J_END, J_WRAPUP_DONE, J_ABANDON, J_CANCEL,
    J_PRIORITY, J_DISPOSITION, J_SURVEY, J_TRANSFER, J_ESCALATE, J_CALLBACK, J_UNREACHED,
    J_FORGET, J_RECOVER,
    J_SNAP, J_SNAP_END, /* a snapshot: chunks of snap_save's bytes, then their length */
    J_OFFLINE_ALL,      /* replay with ORCA_RESTORE_OFFLINE: every agent OFFLINE */
    J_QUEUE_REMOVE,
    J_QUEUE_UPDATE      /* (new ops go last: the numbers are on disk) */
};

/* op with an id and two numbers (most calls) */
int jrn_id_u32(orca_engine *e, uint8_t op, uint64_t id, uint32_t a, uint32_t b);
#define jrn_id(e, op, id) jrn_id_u32((e), (op), (id), 0, 0)
int jrn_str(orca_engine *e, uint8_t op, const char *s, uint32_t a, uint32_t b);
int jrn_queue(orca_engine *e, const orca_queue_def *d);
/* orca_queue_update: the queue and its new definition */
int jrn_queue_update(orca_engine *e, orca_queue_id q, const orca_queue_def *d);
int jrn_hours(orca_engine *e, orca_queue_id q, const orca_hours *h);
int jrn_agent(orca_engine *e, uint8_t op, const orca_agent_def *d);
/* rc: what the call answered (ORCA_OK, or ORCA_EFULL / ORCA_ECLOSED for a
 * refusal that left an event); replay expects the same answer. */
int jrn_ix(orca_engine *e, uint8_t op, uint64_t from, const orca_interaction_def *d,
           uint32_t mode, int rc);
int jrn_callback(orca_engine *e, uint64_t id, orca_channel_id ch, uint64_t not_before);
void jrn_free(orca_engine *e);
/* The engine absorbed an allocation failure (a timer could not record an
 * exclusion): from here a replay would differ, so the journal stops (as
 * failed, os_error ENOMEM); while replaying, the replay fails (ENOMEM). */
void jrn_diverged(orca_engine *e);
/* api_enqueue.c: offers pending when the journal was written come back to
 * WAITING (journaled as J_RECOVER); *n (if given) counts them. */
int jrn_recover_offers(orca_engine *e, uint64_t *n);
/* api_agents.c: every agent OFFLINE at once (replay's ORCA_RESTORE_OFFLINE),
 * journaled as J_OFFLINE_ALL; nothing (and no record) if all already are. */
int jrn_offline_all(orca_engine *e);
/* api.c, when a top-level call ends: compact if the journal has grown
 * by its compact_bytes since the last snapshot. ORCA_EIO if the journal
 * stopped (its path no longer names it), else ORCA_OK. */
int jrn_auto_compact(orca_engine *e);
/* The file I/O the journal uses from now on (NULL: the system calls).
 * For tests that cut the power between two of its calls (tests/powerfs.c);
 * set it before orca_journal_open or orca_journal_replay. */
struct jfile_io;
void jrn_set_io(orca_engine *e, const struct jfile_io *io);
/* orca_engine_free: what orca_journal_apply keeps between records. */
void jrn_apply_free(orca_engine *e);

#endif
