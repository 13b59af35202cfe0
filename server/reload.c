/*
 * server/reload.c: the difference between the live configuration and an
 * edited file, applied to the live engine (see reload.h for the rules).
 *
 * Three phases, so that a refusal leaves everything as it was: check the
 * new file alone (a scratch engine built from it, as --check-config
 * does); check it against the live engine (what the engine would refuse:
 * removing a queue with live work or an agent with work in hand); then
 * apply, reusing apply.c's per-item steps. The diff is between the two
 * files: the current file is taken to describe the engine.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "reload.h"

/* ------------------------------------------------------------------------ */
/* Result lists                                                             */
/* ------------------------------------------------------------------------ */

const char *orcad_reload_list_name(int k)
{
    static const char *const names[ORCAD_RL_NLISTS] = {
        "channels_added", "channels_changed", "queues_added", "queues_changed", "queues_removed",
        "agents_added",   "agents_changed",   "agents_removed", "not_applied"
    };
    return k >= 0 && k < ORCAD_RL_NLISTS ? names[k] : "";
}

void orcad_reload_free(orcad_reload *r)
{
    for (int k = 0; k < ORCAD_RL_NLISTS; k++) {
        for (size_t j = 0; j < r->list[k].n; j++)
            free(r->list[k].s[j]);
        free(r->list[k].s);
    }
    memset(r, 0, sizeof *r);
}

static void note(orcad_reload *r, int k, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void note(orcad_reload *r, int k, const char *fmt, ...)
{
    orcad_strs *l = &r->list[k];
    char body[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **grown = realloc(l->s, cap * sizeof *grown);
        if (!grown) {
            r->oom = 1;
            return;
        }
        l->s = grown, l->cap = cap;
    }
    if (!(l->s[l->n] = strdup(body)))
        r->oom = 1;
    else
        l->n++;
}

static void agent_note(orcad_reload *r, int k, uint64_t id)
{
    note(r, k, "%llu", (unsigned long long)id);
}

/* ------------------------------------------------------------------------ */
/* Comparing the two files                                                  */
/* ------------------------------------------------------------------------ */

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same_levels(const orcad_level *a, size_t na, const orcad_level *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t k = 0; k < na; k++)
        if (strcmp(a[k].name, b[k].name) || a[k].level != b[k].level)
            return 0;
    return 1;
}

static const orcad_channel *channel_in(const orcad_config *c, const char *name)
{
    for (size_t k = 0; k < c->nchannels; k++)
        if (!strcmp(c->channels[k].name, name))
            return &c->channels[k];
    return NULL;
}

static const orcad_queue *queue_in(const orcad_config *c, const char *name)
{
    for (size_t k = 0; k < c->nqueues; k++)
        if (!strcmp(c->queues[k].name, name))
            return &c->queues[k];
    return NULL;
}

static const orcad_agent *agent_in(const orcad_config *c, uint64_t id)
{
    for (size_t k = 0; k < c->nagents; k++)
        if (c->agents[k].id == id)
            return &c->agents[k];
    return NULL;
}

static const orcad_member *member_in(const orcad_member *m, size_t n, const char *queue)
{
    for (size_t k = 0; k < n; k++)
        if (!strcmp(m[k].queue, queue))
            return &m[k];
    return NULL;
}

/* What differs between two definitions of a queue, named in *routing (how
 * it routes, and what its live work's deadlines come from: orca.h sets
 * those only when adding the queue) and *settings (orca_queue_update
 * changes those live); empty strings: nothing. */
static void queue_def_diff(const orcad_queue *a, const orcad_queue *b, char *routing,
                           char *settings, size_t len)
{
    int same_steps = a->nsteps == b->nsteps;
    for (size_t k = 0; same_steps && k < a->nsteps; k++)
        same_steps = a->steps[k].after_ms == b->steps[k].after_ms &&
                     a->steps[k].action == b->steps[k].action &&
                     !strcmp(a->steps[k].skill, b->steps[k].skill) &&
                     a->steps[k].level == b->steps[k].level;
    struct { int differs, live; const char *name; } f[] = {
        { a->strategy != b->strategy, 0, "strategy" },
        { a->serve != b->serve, 0, "serve" },
        { !same_levels(a->skills, a->nskills, b->skills, b->nskills), 0, "skills" },
        { !same_steps, 0, "steps" },
        { !same_str(a->overflow_to, b->overflow_to) || a->overflow_after_ms != b->overflow_after_ms,
          0, "overflow" },
        { a->max_wait_ms != b->max_wait_ms, 0, "max_wait_ms" },
        { a->offer_timeout_ms != b->offer_timeout_ms, 0, "offer_timeout_ms" },
        { a->max_size != b->max_size, 1, "max_size" },
        { a->sticky_ms != b->sticky_ms, 1, "sticky_ms" },
        { a->sla_ms != b->sla_ms, 1, "sla_ms" },
        { a->wrapup_ms != b->wrapup_ms, 1, "wrapup_ms" },
    };
    size_t used[2] = { 0, 0 };
    char *out[2] = { routing, settings };
    routing[0] = settings[0] = 0;
    for (size_t k = 0; k < sizeof f / sizeof *f; k++) {
        int l = f[k].live;
        if (f[k].differs && used[l] < len)
            used[l] += (size_t)snprintf(out[l] + used[l], len - used[l], "%s%s",
                                        used[l] ? ", " : "", f[k].name);
    }
}

static int same_hours(const orcad_queue *a, const orcad_queue *b)
{
    if (a->has_hours != b->has_hours)
        return 0;
    if (!a->has_hours)
        return 1;
    if (a->utc_offset_min != b->utc_offset_min || a->when_closed != b->when_closed ||
        !same_str(a->redirect_to, b->redirect_to) || a->nranges != b->nranges)
        return 0;
    for (size_t k = 0; k < a->nranges; k++)
        if (a->ranges[k].day != b->ranges[k].day || a->ranges[k].open_min != b->ranges[k].open_min ||
            a->ranges[k].close_min != b->ranges[k].close_min)
            return 0;
    if (a->nexceptions != b->nexceptions)
        return 0;
    for (size_t k = 0; k < a->nexceptions; k++)
        if (a->exceptions[k].from_ms != b->exceptions[k].from_ms ||
            a->exceptions[k].to_ms != b->exceptions[k].to_ms ||
            a->exceptions[k].open != b->exceptions[k].open)
            return 0;
    return 1;
}

static int same_agent_def(const orcad_agent *a, const orcad_agent *b)
{
    return a->capacity == b->capacity && a->weight == b->weight &&
           same_levels(a->skills, a->nskills, b->skills, b->nskills) &&
           same_levels(a->limits, a->nlimits, b->limits, b->nlimits);
}

static int same_members(const orcad_member *a, size_t na, const orcad_member *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t k = 0; k < na; k++) {
        const orcad_member *m = member_in(b, nb, a[k].queue);
        if (!m || m->tier != a[k].tier)
            return 0;
    }
    return 1;
}

static int same_tokens(const orcad_config *a, const orcad_config *b)
{
    if (a->ntokens != b->ntokens)
        return 0;
    for (size_t k = 0; k < a->ntokens; k++)
        if (strcmp(a->tokens[k].token, b->tokens[k].token) || a->tokens[k].role != b->tokens[k].role ||
            !same_str(a->tokens[k].name, b->tokens[k].name))
            return 0;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Phase 1 and 2: the checks                                                */
/* ------------------------------------------------------------------------ */

/* The file alone: built into a scratch engine, so the engine's own
 * refusals are found before the live engine is touched. */
static int check_alone(orca_engine *e, const orcad_config *next, orcad_errors *err)
{
    orca_engine *scratch = NULL;
    orca_config ec;
    orcad_config_engine(next, orca_engine_now(e), &ec);
    int rc = orca_engine_new(&ec, &scratch);
    if (rc != ORCA_OK)
        orcad_errors_add(err, next->file, 0, "limits refused by the engine: %s", orca_strerror(rc));
    else
        rc = orcad_config_apply(next, scratch, err);
    orca_engine_free(scratch);
    return rc == ORCA_OK ? 0 : -1;
}

/* Live interactions per queue id, counted over orca_interaction_list. */
static int live_in_queue(const orca_engine *e, orca_queue_id q, uint32_t *n)
{
    orca_cursor c = { 0 };
    orca_interaction_info ii[64];
    uint32_t got;
    *n = 0;
    do {
        int rc = orca_interaction_list(e, &c, ii, 64, &got);
        if (rc != ORCA_OK)
            return rc;
        for (uint32_t k = 0; k < got; k++)
            *n += ii[k].queue == q;
    } while (got == 64);
    return ORCA_OK;
}

/* Against the live engine: what it would refuse, so that it never does. */
static int check_live(orca_engine *e, const orcad_config *cur, const orcad_config *next,
                      orcad_errors *err)
{
    size_t before = err->n;
    for (size_t k = 0; k < cur->nqueues; k++) {
        const orcad_queue *q = &cur->queues[k];
        orca_queue_id id;
        uint32_t live;
        if (queue_in(next, q->name) || orca_queue_find(e, q->name, &id) != ORCA_OK)
            continue;
        if (live_in_queue(e, id, &live) != ORCA_OK)
            orcad_errors_add(err, next->file, 0, "out of memory");
        else if (live)
            orcad_errors_add(err, next->file, 0,
                             "queue '%s' cannot be removed: %u interactions are in it (a reload "
                             "never drops work: end, cancel or transfer them first)", q->name, live);
        /* An overflow is part of a definition, which cannot change live. */
        for (size_t j = 0; j < cur->nqueues; j++)
            if (queue_in(next, cur->queues[j].name) && same_str(cur->queues[j].overflow_to, q->name))
                orcad_errors_add(err, next->file, queue_in(next, cur->queues[j].name)->line,
                                 "queue '%s' cannot be removed: queue '%s' overflows to it in the "
                                 "engine (an overflow cannot change live)", q->name,
                                 cur->queues[j].name);
    }
    for (size_t k = 0; k < cur->nagents; k++) {
        const orcad_agent *ag = &cur->agents[k];
        orca_agent_info ai;
        if (agent_in(next, ag->id) || orca_agent_info_get(e, ag->id, &ai) != ORCA_OK)
            continue;
        if (ai.busy || ai.wrapup)
            orcad_errors_add(err, next->file, 0,
                             "agent %llu cannot be removed: it has work in hand (%u busy, %u in "
                             "wrap-up); reload again once it is done", (unsigned long long)ag->id,
                             ai.busy, ai.wrapup);
    }
    return err->n == before && !err->oom ? 0 : -1;
}

/* ------------------------------------------------------------------------ */
/* Phase 3: apply                                                           */
/* ------------------------------------------------------------------------ */

static void restart_notes(const orcad_config *cur, const orcad_config *next, orcad_reload *r)
{
    int listen = cur->nlisten != next->nlisten;
    for (size_t k = 0; !listen && k < cur->nlisten; k++)
        listen = strcmp(cur->listen[k], next->listen[k]) != 0;
    if (listen)
        note(r, ORCAD_RL_NOT_APPLIED, "server.listen: needs a restart");
    int tls = cur->ntls_listen != next->ntls_listen || !same_str(cur->tls_cert, next->tls_cert) ||
              !same_str(cur->tls_key, next->tls_key);
    for (size_t k = 0; !tls && k < cur->ntls_listen; k++)
        tls = strcmp(cur->tls_listen[k], next->tls_listen[k]) != 0;
    if (tls)
        note(r, ORCAD_RL_NOT_APPLIED, "tls: needs a restart");
    if (!same_str(cur->data_dir, next->data_dir))
        note(r, ORCAD_RL_NOT_APPLIED, "server.data_dir: needs a restart");
    if (cur->sync != next->sync || cur->sync_interval_ms != next->sync_interval_ms)
        note(r, ORCAD_RL_NOT_APPLIED, "journal sync: needs a restart");
    if (memcmp(&cur->engine, &next->engine, sizeof cur->engine) != 0)
        note(r, ORCAD_RL_NOT_APPLIED, "engine limits: fixed when the engine is created");
}

static int apply_channels(orcad_apply *a, const orcad_config *cur, orcad_reload *r)
{
    const orcad_config *next = a->c;
    for (size_t k = 0; k < next->nchannels; k++) {
        const orcad_channel *n = &next->channels[k], *o = channel_in(cur, n->name);
        int rc = ORCA_OK;
        if (!o) {
            if ((rc = orcad_apply_channel(a, n, 0)) == ORCA_OK)
                note(r, ORCAD_RL_CHANNELS_ADDED, "%s", n->name);
        } else if (o->cost != n->cost) {
            note(r, ORCAD_RL_NOT_APPLIED, "channel '%s': cost cannot change live", n->name);
        } else if (o->has_wrapup != n->has_wrapup || o->wrapup_ms != n->wrapup_ms) {
            if (n->builtin && !n->has_wrapup)
                note(r, ORCAD_RL_NOT_APPLIED,
                     "channel '%s': wrap-up stays %u ms (set it to change it)", n->name, o->wrapup_ms);
            else if ((rc = orcad_apply_channel(a, n, 1)) == ORCA_OK)
                note(r, ORCAD_RL_CHANNELS_CHANGED, "%s", n->name);
        }
        if (rc != ORCA_OK)
            return rc;
    }
    for (size_t k = 0; k < cur->nchannels; k++)
        if (!channel_in(next, cur->channels[k].name))
            note(r, ORCAD_RL_NOT_APPLIED, "channel '%s': channels cannot be removed",
                 cur->channels[k].name);
    return ORCA_OK;
}

static int apply_queues(orcad_apply *a, const orcad_config *cur, orcad_reload *r)
{
    const orcad_config *next = a->c;
    char *skip = calloc(next->nqueues ? next->nqueues : 1, 1);
    int rc;
    if (!skip) {
        orcad_errors_add(a->err, next->file, 0, "out of memory");
        return ORCA_ENOMEM;
    }
    for (size_t k = 0; k < next->nqueues; k++)
        skip[k] = queue_in(cur, next->queues[k].name) != NULL;
    rc = orcad_apply_queues(a, skip);
    for (size_t k = 0; k < next->nqueues && rc == ORCA_OK; k++) {
        const orcad_queue *n = &next->queues[k], *o = queue_in(cur, n->name);
        char what[256];
        if (!o) {
            note(r, ORCAD_RL_QUEUES_ADDED, "%s", n->name);
            if (n->has_hours)
                rc = orcad_apply_hours(a, n);
            continue;
        }
        char live[256];
        int changed = 0;
        queue_def_diff(o, n, what, live, sizeof what);
        if (what[0])
            note(r, ORCAD_RL_NOT_APPLIED,
                 "queue '%s': %s cannot change live (the engine keeps the old)", n->name,
                 what);
        if (live[0] && (rc = orcad_apply_queue_settings(a, n, o)) == ORCA_OK)
            changed = 1;
        if (rc == ORCA_OK && !same_hours(o, n) && (rc = orcad_apply_hours(a, n)) == ORCA_OK)
            changed = 1;
        if (changed)
            note(r, ORCAD_RL_QUEUES_CHANGED, "%s", n->name);
    }
    free(skip);
    return rc;
}

/* Memberships and ranks of an agent in both files: drop what went, add
 * what came, a tier that changed is dropped and added again. */
static int apply_members(orcad_apply *a, const orcad_agent *o, const orcad_agent *n)
{
    int rc = ORCA_OK;
    for (size_t k = 0; k < o->nqueues && rc == ORCA_OK; k++) {
        const orcad_member *m = member_in(n->queues, n->nqueues, o->queues[k].queue);
        orca_queue_id q;
        if ((m && m->tier == o->queues[k].tier) || orca_queue_find(a->e, o->queues[k].queue, &q))
            continue;
        rc = orca_queue_member_remove(a->e, q, o->id);
        if (rc == ORCA_ENOENT) /* not a member in the engine: nothing to drop */
            rc = ORCA_OK;
    }
    for (size_t k = 0; k < n->nqueues && rc == ORCA_OK; k++) {
        const orcad_member *m = member_in(o->queues, o->nqueues, n->queues[k].queue);
        if (!m || m->tier != n->queues[k].tier)
            rc = orcad_apply_member(a, n, &n->queues[k], 0);
    }
    for (size_t k = 0; k < o->nranks && rc == ORCA_OK; k++) {
        orca_queue_id q;
        if (!member_in(n->ranks, n->nranks, o->ranks[k].queue) &&
            orca_queue_find(a->e, o->ranks[k].queue, &q) == ORCA_OK)
            rc = orca_agent_set_queue_rank(a->e, o->id, q, 0); /* back to the default */
    }
    for (size_t k = 0; k < n->nranks && rc == ORCA_OK; k++) {
        const orcad_member *m = member_in(o->ranks, o->nranks, n->ranks[k].queue);
        if (!m || m->tier != n->ranks[k].tier)
            rc = orcad_apply_member(a, n, &n->ranks[k], 1);
    }
    if (rc != ORCA_OK && a->err->n == 0)
        orcad_errors_add(a->err, a->c->file, n->line, "memberships of agent %llu refused by the engine: %s",
                         (unsigned long long)n->id, orca_strerror(rc));
    return rc;
}

static int apply_agents(orcad_apply *a, const orcad_config *cur, orcad_reload *r)
{
    const orcad_config *next = a->c;
    int rc = ORCA_OK;
    for (size_t k = 0; k < cur->nagents && rc == ORCA_OK; k++) {
        const orcad_agent *o = &cur->agents[k];
        if (agent_in(next, o->id))
            continue;
        rc = orca_agent_remove(a->e, o->id);
        if (rc == ORCA_OK || rc == ORCA_ENOENT) {
            rc = ORCA_OK;
            agent_note(r, ORCAD_RL_AGENTS_REMOVED, o->id);
        } else {
            orcad_errors_add(a->err, next->file, 0, "agent %llu: removal refused by the engine: %s",
                             (unsigned long long)o->id, orca_strerror(rc));
        }
    }
    for (size_t k = 0; k < next->nagents && rc == ORCA_OK; k++) {
        const orcad_agent *n = &next->agents[k], *o = agent_in(cur, n->id);
        static const orcad_agent none = { 0 };
        if (!o) {
            if ((rc = orcad_apply_agent(a, n, 0)) == ORCA_OK &&
                (rc = apply_members(a, &none, n)) == ORCA_OK)
                agent_note(r, ORCAD_RL_AGENTS_ADDED, n->id);
            continue;
        }
        int def = !same_agent_def(o, n);
        int mem = !same_members(o->queues, o->nqueues, n->queues, n->nqueues) ||
                  !same_members(o->ranks, o->nranks, n->ranks, n->nranks);
        if (def)
            rc = orcad_apply_agent(a, n, 1);
        if (rc == ORCA_OK && mem)
            rc = apply_members(a, o, n);
        if (rc == ORCA_OK && (def || mem))
            agent_note(r, ORCAD_RL_AGENTS_CHANGED, n->id);
    }
    return rc;
}

/* Queues gone from the file, in passes: one that another removed queue
 * overflows to goes after it. */
static int remove_queues(orcad_apply *a, const orcad_config *cur, orcad_reload *r)
{
    size_t left = 0, removed;
    for (size_t k = 0; k < cur->nqueues; k++)
        left += !queue_in(a->c, cur->queues[k].name);
    while (left) {
        removed = 0;
        int last = ORCA_OK;
        const char *stuck = NULL;
        for (size_t k = 0; k < cur->nqueues; k++) {
            orca_queue_id q;
            const char *name = cur->queues[k].name;
            if (queue_in(a->c, name) || orca_queue_find(a->e, name, &q) != ORCA_OK)
                continue;
            last = orca_queue_remove(a->e, q);
            if (last == ORCA_OK) {
                note(r, ORCAD_RL_QUEUES_REMOVED, "%s", name);
                removed++, left--;
            } else {
                stuck = name;
            }
        }
        if (!removed && left) {
            if (!stuck) /* not in the engine at all: nothing to remove */
                return ORCA_OK;
            orcad_errors_add(a->err, a->c->file, 0, "queue '%s': removal refused by the engine: %s",
                             stuck, orca_strerror(last));
            return last;
        }
    }
    return ORCA_OK;
}

/* *cur takes next's contents but the listen addresses and data dir (the
 * listener keeps pointers to the addresses); next gets the old contents,
 * to be freed. Sessions keep pointing at cur. */
static void swap_in(orcad_config *cur, orcad_config *next)
{
    orcad_config old = *cur;
    *cur = *next;
    memcpy(cur->listen, old.listen, sizeof cur->listen);
    cur->nlisten = old.nlisten;
    cur->data_dir = old.data_dir;
    memcpy(cur->tls_listen, old.tls_listen, sizeof cur->tls_listen);
    cur->ntls_listen = old.ntls_listen;
    cur->tls_cert = old.tls_cert, cur->tls_key = old.tls_key;
    memcpy(old.listen, next->listen, sizeof old.listen);
    old.nlisten = next->nlisten;
    old.data_dir = next->data_dir;
    memcpy(old.tls_listen, next->tls_listen, sizeof old.tls_listen);
    old.ntls_listen = next->ntls_listen;
    old.tls_cert = next->tls_cert, old.tls_key = next->tls_key;
    *next = old;
}

int orcad_reload_apply(orca_engine *e, orcad_config *cur, orcad_config *next, orcad_reload *out,
                       orcad_errors *err)
{
    orcad_apply a = { next, e, err };
    int rc;
    memset(out, 0, sizeof *out);
    if (check_alone(e, next, err) != 0 || check_live(e, cur, next, err) != 0) {
        orcad_config_free(next);
        return -1;
    }
    restart_notes(cur, next, out);
    if ((rc = apply_channels(&a, cur, out)) == ORCA_OK && (rc = orcad_apply_skills(&a)) == ORCA_OK &&
        (rc = apply_queues(&a, cur, out)) == ORCA_OK && (rc = apply_agents(&a, cur, out)) == ORCA_OK)
        rc = remove_queues(&a, cur, out);
    out->tokens_changed = !same_tokens(cur, next);
    if (rc != ORCA_OK) {
        /* Checked beforehand: only memory or the journal gets here. */
        orcad_errors_add(err, next->file, 0,
                         "the reload stopped midway (%s): the engine has part of the new file; "
                         "the file in use is still the old one", orca_strerror(rc));
        orcad_config_free(next);
        return -1;
    }
    swap_in(cur, next);
    orcad_config_free(next);
    return 0;
}

int orcad_reload_file(orca_engine *e, orcad_config *cur, const char *path, orcad_reload *out,
                      orcad_errors *err)
{
    orcad_config next;
    memset(out, 0, sizeof *out);
    if (orcad_config_load(path, &next, err) != 0)
        return -1;
    return orcad_reload_apply(e, cur, &next, out, err);
}
