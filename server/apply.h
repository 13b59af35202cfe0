/*
 * server/apply.h: the per-item steps of applying an orcad_config to an
 * engine (server/apply.c), shared by the first build (orcad_config_apply)
 * and by a reload (server/reload.c), which applies only what changed.
 * Each returns 0 or the engine's ORCA_E* code, with "file:line: <what>
 * refused by the engine: <why>" added to a->err.
 */
#ifndef ORCAD_APPLY_H
#define ORCAD_APPLY_H

#include "config.h"

typedef struct orcad_apply {
    const orcad_config *c;     /* the file the items come from */
    orca_engine *e;
    orcad_errors *err;
} orcad_apply;

/* Add a host channel (exists 0), or set the wrap-up of a built-in one or
 * (exists 1) of one the engine has already. */
int orcad_apply_channel(orcad_apply *a, const orcad_channel *ch, int exists);
/* Intern every skill the file names (those known already are kept). */
int orcad_apply_skills(orcad_apply *a);
/* Add the file's queues but those with skip[k] set (skip NULL: all),
 * overflow targets first. */
int orcad_apply_queues(orcad_apply *a, const char *skip);
/* Set the live queue q's settings (max size, wrap-up, SLA, sticky) to the
 * file's, keeping the rest (strategy, serve, skills, steps, overflow, max
 * wait, offer timeout) as `routing`, the definition the engine has:
 * orca_queue_update cannot change those. */
int orcad_apply_queue_settings(orcad_apply *a, const orcad_queue *q, const orcad_queue *routing);
/* Set (or, if the file gives none, clear) the queue's opening hours. */
int orcad_apply_hours(orcad_apply *a, const orcad_queue *q);
/* Add the agent (update 0) or replace its skills, capacity, weight and
 * limits (update 1); memberships and ranks are separate. */
int orcad_apply_agent(orcad_apply *a, const orcad_agent *ag, int update);
/* One membership (rank 0) or queue rank (rank 1) of ag. */
int orcad_apply_member(orcad_apply *a, const orcad_agent *ag, const orcad_member *m, int rank);

#endif
