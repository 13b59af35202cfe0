/*
 * server/reload.h: apply an edited configuration file to a live engine
 * (SIGHUP and the admin message "reload").
 *
 * The new file is checked as a whole first (parsed, validated, built into
 * a scratch engine) and then against the live engine (a queue to remove
 * must hold no live work, an agent to remove no accepted or wrap-up
 * work): any problem and NOTHING changes, every problem is reported as
 * "file:line: message". Then only the difference between the current
 * file and the new one is applied through orca.h, so waiting work keeps
 * its place: channels, skills and queues added, queue hours changed,
 * agents added, changed (skills, capacity, weight, limits, memberships,
 * ranks) and removed, queues removed, tokens replaced. What the engine
 * cannot change live (a queue's definition: strategy, skills, steps,
 * overflow, limits, wrap-up, sticky...; a channel's cost; the engine
 * limits, listen addresses, data dir, journal sync) is listed as "not
 * applied" and keeps its old value until orcad starts on a new data dir.
 */
#ifndef ORCAD_RELOAD_H
#define ORCAD_RELOAD_H

#include <stddef.h>

#include "config.h"

/* What a reload did, as lists of names (queue names, agent ids as text,
 * channel names) and, in ORCAD_RL_NOT_APPLIED, sentences. */
enum {
    ORCAD_RL_CHANNELS_ADDED,
    ORCAD_RL_CHANNELS_CHANGED,
    ORCAD_RL_QUEUES_ADDED,
    ORCAD_RL_QUEUES_CHANGED,
    ORCAD_RL_QUEUES_REMOVED,
    ORCAD_RL_AGENTS_ADDED,
    ORCAD_RL_AGENTS_CHANGED,
    ORCAD_RL_AGENTS_REMOVED,
    ORCAD_RL_NOT_APPLIED,
    ORCAD_RL_NLISTS
};

typedef struct orcad_strs {
    char **s;
    size_t n, cap;
} orcad_strs;

typedef struct orcad_reload {
    orcad_strs list[ORCAD_RL_NLISTS];
    int tokens_changed;        /* the token table differs (it was replaced) */
    int oom;                   /* a name could not be stored in a list */
} orcad_reload;

/* "channels_added", "queues_changed", ..., "not_applied". */
const char *orcad_reload_list_name(int k);
void orcad_reload_free(orcad_reload *r);

/* Reload from the file at path: cur is the live configuration (the one
 * the engine was built from, at an address sessions keep). On success
 * returns 0: e has the difference applied, *cur holds the new file (but
 * its listen addresses and data dir, which need a restart) and *out says
 * what changed (zeroed first; free it with orcad_reload_free). Otherwise
 * returns -1 with every problem in *err, e and *cur unchanged (unless the
 * engine refused a step midway, which only running out of memory or a
 * journal failure can cause: that is said in *err too). */
int orcad_reload_file(orca_engine *e, orcad_config *cur, const char *path, orcad_reload *out,
                      orcad_errors *err);

/* The same with the new file already loaded into *next, which is consumed
 * (freed, or its contents moved into *cur). */
int orcad_reload_apply(orca_engine *e, orcad_config *cur, orcad_config *next, orcad_reload *out,
                       orcad_errors *err);

#endif
