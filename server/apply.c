/*
 * server/apply.c: build an engine from a checked orcad_config, through the
 * public API only. The file was validated already; what is left is what
 * only the engine can say (a step on a skill the queue does not require,
 * an agent that could never be offered anything...), reported with the
 * line of the setting it refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"

typedef orcad_apply apply;

static int refused(apply *a, int line, int rc, const char *what, const char *name)
{
    orcad_errors_add(a->err, a->c->file, line, "%s '%s' refused by the engine: %s", what, name,
                     orca_strerror(rc));
    return rc;
}

/* A host channel is added; a built-in one (or, with exists, one the engine
 * has already) gets its wrap-up time if the file sets one. */
int orcad_apply_channel(apply *a, const orcad_channel *ch, int exists)
{
    orca_channel_id id;
    int rc;
    if (ch->builtin || exists) {
        rc = orca_channel_find(a->e, ch->name, &id);
    } else {
        orca_channel_def d = { .name = ch->name, .cost = ch->cost, .wrapup_ms = ch->wrapup_ms };
        rc = orca_channel_add(a->e, &d, &id);
    }
    if (rc == ORCA_OK && (ch->builtin || exists) && (ch->has_wrapup || !ch->builtin))
        rc = orca_channel_set_wrapup(a->e, id, ch->wrapup_ms);
    if (rc != ORCA_OK)
        return refused(a, ch->line, rc, "channel", ch->name);
    return ORCA_OK;
}

static int channels(apply *a)
{
    for (size_t k = 0; k < a->c->nchannels; k++) {
        int rc = orcad_apply_channel(a, &a->c->channels[k], 0);
        if (rc != ORCA_OK)
            return rc;
    }
    return ORCA_OK;
}

int orcad_apply_skills(apply *a)
{
    for (size_t k = 0; k < a->c->nskills; k++) {
        orca_skill_id id;
        int rc = orca_skill_intern(a->e, a->c->skills[k], &id);
        if (rc != ORCA_OK)
            return refused(a, 0, rc, "skill", a->c->skills[k]);
    }
    return ORCA_OK;
}

/* name = level pairs to the engine's form (skill names were checked). */
static int levels(apply *a, const orcad_level *l, size_t n, orca_skill_level *out)
{
    for (size_t k = 0; k < n; k++) {
        int rc = orca_skill_find(a->e, l[k].name, &out[k].skill);
        if (rc != ORCA_OK)
            return refused(a, l[k].line, rc, "skill", l[k].name);
        out[k].level = (uint8_t)l[k].level;
    }
    return ORCA_OK;
}

static int queue_find(apply *a, const char *name, int line, orca_queue_id *id)
{
    int rc = orca_queue_find(a->e, name, id);
    return rc == ORCA_OK ? rc : refused(a, line, rc, "queue", name);
}

/* q as the engine's definition into *d (skill and step names looked up
 * into sk and st, which d points at); overflow only with with_overflow
 * (the target may not exist yet). */
static int queue_def(apply *a, const orcad_queue *q, int with_overflow, orca_queue_def *d,
                     orca_skill_level *sk, orca_step *st)
{
    int rc;
    if (q->nskills > ORCA_MAX_REQUIRED)
        return refused(a, q->line, ORCA_ERANGE, "queue", q->name);
    if ((rc = levels(a, q->skills, q->nskills, sk)) != ORCA_OK)
        return rc;
    for (size_t k = 0; k < q->nsteps; k++) {
        st[k] = (orca_step){ .after_ms = q->steps[k].after_ms, .action = q->steps[k].action,
                             .level = (uint8_t)q->steps[k].level };
        if ((rc = orca_skill_find(a->e, q->steps[k].skill, &st[k].skill)) != ORCA_OK)
            return refused(a, q->steps[k].line, rc, "skill", q->steps[k].skill);
    }
    orca_queue_def_init(d);
    d->name = q->name;
    d->strategy = q->strategy;
    d->serve = q->serve;
    d->skills = sk;
    d->nskills = (uint32_t)q->nskills;
    d->max_size = q->max_size;
    d->max_wait_ms = q->max_wait_ms;
    d->wrapup_ms = q->wrapup_ms;
    d->sla_ms = q->sla_ms;
    d->offer_timeout_ms = q->offer_timeout_ms;
    d->steps = st;
    d->nsteps = (uint32_t)q->nsteps;
    d->sticky_ms = q->sticky_ms;
    if (with_overflow && q->overflow_to) {
        d->overflow_after_ms = q->overflow_after_ms;
        if ((rc = queue_find(a, q->overflow_to, q->line, &d->overflow_to)) != ORCA_OK)
            return rc;
    }
    return ORCA_OK;
}

/* Queues that overflow go in a second pass: the target may come later. */
static int add_queue(apply *a, const orcad_queue *q, int with_overflow)
{
    orca_skill_level sk[ORCA_MAX_REQUIRED];
    orca_step st[ORCA_MAX_STEPS];
    orca_queue_def d;
    int rc;
    if ((rc = queue_def(a, q, with_overflow, &d, sk, st)) != ORCA_OK)
        return rc;
    if ((rc = orca_queue_add(a->e, &d, NULL)) != ORCA_OK)
        return refused(a, q->line, rc, "queue", q->name);
    return ORCA_OK;
}

int orcad_apply_queue_settings(apply *a, const orcad_queue *q, const orcad_queue *routing)
{
    orca_skill_level sk[ORCA_MAX_REQUIRED], rsk[ORCA_MAX_REQUIRED];
    orca_step st[ORCA_MAX_STEPS], rst[ORCA_MAX_STEPS];
    orca_queue_def d, r;
    orca_queue_id id;
    int rc;
    if ((rc = queue_def(a, q, 0, &d, sk, st)) != ORCA_OK ||
        (rc = queue_def(a, routing, 1, &r, rsk, rst)) != ORCA_OK ||
        (rc = queue_find(a, q->name, q->line, &id)) != ORCA_OK)
        return rc;
    /* the routing and deadlines as the engine has them, the settings as
     * the file says */
    d.strategy = r.strategy, d.serve = r.serve;
    d.skills = r.skills, d.nskills = r.nskills;
    d.steps = r.steps, d.nsteps = r.nsteps;
    d.max_wait_ms = r.max_wait_ms, d.offer_timeout_ms = r.offer_timeout_ms;
    d.overflow_after_ms = r.overflow_after_ms, d.overflow_to = r.overflow_to;
    if ((rc = orca_queue_update(a->e, id, &d)) != ORCA_OK)
        return refused(a, q->line, rc, "settings of queue", q->name);
    return ORCA_OK;
}

/* Queues without overflow first, then those with it, as long as each pass
 * adds something (a chain a -> b -> c is added c, b, a). skip[k] set:
 * queue k is not added (the engine has it already); NULL: add them all. */
int orcad_apply_queues(apply *a, const char *skip)
{
    size_t left = a->c->nqueues, pass_added;
    char *done = calloc(left ? left : 1, 1);
    int rc = ORCA_OK;
    if (!done)
        return refused(a, 0, ORCA_ENOMEM, "queues", "all");
    for (size_t k = 0; skip && k < a->c->nqueues; k++)
        if (skip[k])
            done[k] = 1, left--;
    do {
        pass_added = 0;
        for (size_t k = 0; k < a->c->nqueues && rc == ORCA_OK; k++) {
            const orcad_queue *q = &a->c->queues[k];
            orca_queue_id target;
            if (done[k] || (q->overflow_to && orca_queue_find(a->e, q->overflow_to, &target) != ORCA_OK))
                continue;
            if ((rc = add_queue(a, q, 1)) == ORCA_OK)
                done[k] = 1, left--, pass_added++;
        }
    } while (rc == ORCA_OK && left && pass_added);
    for (size_t k = 0; k < a->c->nqueues && rc == ORCA_OK; k++)
        if (!done[k]) /* an overflow loop: the engine cannot take it */
            rc = refused(a, a->c->queues[k].line, ORCA_ENOENT, "overflow of queue",
                         a->c->queues[k].name);
    free(done);
    return rc;
}

/* Set q's hours as the file gives them; a queue without hours in the file
 * has them cleared (always open). */
int orcad_apply_hours(apply *a, const orcad_queue *q)
{
    orca_hours_range r[ORCA_HOURS_MAX];
    orca_hours_exception x[ORCA_HOURS_MAX];
    orca_hours h = { .utc_offset_min = q->utc_offset_min, .ranges = r,
                     .nranges = (uint32_t)q->nranges, .exceptions = x,
                     .nexceptions = (uint32_t)q->nexceptions, .when_closed = q->when_closed };
    orca_queue_id id;
    int rc;
    if (q->nranges > ORCA_HOURS_MAX || q->nexceptions > ORCA_HOURS_MAX)
        return refused(a, q->hours_line, ORCA_ERANGE, "hours of queue", q->name);
    for (size_t j = 0; j < q->nranges; j++)
        r[j] = (orca_hours_range){ q->ranges[j].day, q->ranges[j].open_min,
                                   q->ranges[j].close_min };
    for (size_t j = 0; j < q->nexceptions; j++)
        x[j] = (orca_hours_exception){ q->exceptions[j].from_ms, q->exceptions[j].to_ms,
                                       q->exceptions[j].open };
    if ((rc = queue_find(a, q->name, q->has_hours ? q->hours_line : q->line, &id)) != ORCA_OK ||
        (q->has_hours && q->redirect_to &&
         (rc = queue_find(a, q->redirect_to, q->hours_line, &h.redirect_to)) != ORCA_OK))
        return rc;
    if ((rc = orca_queue_set_hours(a->e, id, q->has_hours ? &h : NULL)) != ORCA_OK)
        return refused(a, q->hours_line, rc, "hours of queue", q->name);
    return ORCA_OK;
}

static int hours(apply *a)
{
    for (size_t k = 0; k < a->c->nqueues; k++) {
        int rc = a->c->queues[k].has_hours ? orcad_apply_hours(a, &a->c->queues[k]) : ORCA_OK;
        if (rc != ORCA_OK)
            return rc;
    }
    return ORCA_OK;
}

int orcad_apply_agent(apply *a, const orcad_agent *ag, int update)
{
    orca_skill_level *sk = calloc(ag->nskills ? ag->nskills : 1, sizeof *sk);
    orca_channel_limit lim[ORCA_MAX_CHANNELS];
    orca_agent_def d;
    char idname[24];
    int rc = sk ? ORCA_OK : ORCA_ENOMEM;
    snprintf(idname, sizeof idname, "%llu", (unsigned long long)ag->id);
    orca_agent_def_init(&d);
    if (rc == ORCA_OK && ag->nlimits > ORCA_MAX_CHANNELS)
        rc = ORCA_ERANGE;
    if (rc != ORCA_OK) {
        free(sk);
        return refused(a, ag->line, rc, "agent", idname);
    }
    rc = levels(a, ag->skills, ag->nskills, sk);
    for (size_t k = 0; k < ag->nlimits && rc == ORCA_OK; k++) {
        lim[k].max = ag->limits[k].level;
        if ((rc = orca_channel_find(a->e, ag->limits[k].name, &lim[k].channel)) != ORCA_OK)
            refused(a, ag->limits[k].line, rc, "channel", ag->limits[k].name);
    }
    d.id = ag->id;
    d.skills = sk;
    d.nskills = (uint32_t)ag->nskills;
    d.capacity = ag->capacity;
    d.weight = ag->weight;
    if (ag->nlimits) {
        d.limits = lim;
        d.nlimits = (uint32_t)ag->nlimits;
    }
    if (rc == ORCA_OK && (rc = (update ? orca_agent_update : orca_agent_add)(a->e, &d)) != ORCA_OK)
        refused(a, ag->line, rc, "agent", idname);
    free(sk);
    return rc;
}

/* One membership (rank 0) or queue rank (rank 1) of agent ag. */
int orcad_apply_member(apply *a, const orcad_agent *ag, const orcad_member *m, int rank)
{
    char idname[24];
    orca_queue_id q;
    int rc = queue_find(a, m->queue, m->line, &q);
    snprintf(idname, sizeof idname, "%llu", (unsigned long long)ag->id);
    if (rc == ORCA_OK)
        rc = rank ? orca_agent_set_queue_rank(a->e, ag->id, q, m->tier)
                  : orca_queue_member_add(a->e, q, ag->id, m->tier);
    if (rc != ORCA_OK)
        return refused(a, m->line, rc, rank ? "rank of agent" : "membership of agent", idname);
    return ORCA_OK;
}

static int memberships(apply *a, const orcad_agent *ag)
{
    for (size_t k = 0; k < ag->nqueues + ag->nranks; k++) {
        int rank = k >= ag->nqueues;
        int rc = orcad_apply_member(a, ag, rank ? &ag->ranks[k - ag->nqueues] : &ag->queues[k], rank);
        if (rc != ORCA_OK)
            return rc;
    }
    return ORCA_OK;
}

void orcad_config_engine(const orcad_config *c, uint64_t start_ms, orca_config *out)
{
    *out = c->engine;
    out->alloc = NULL;
    out->alloc_ud = NULL;
    out->start_ms = start_ms;
}

int orcad_config_apply(const orcad_config *c, orca_engine *e, orcad_errors *err)
{
    apply a = { c, e, err };
    int rc;
    if ((rc = channels(&a)) || (rc = orcad_apply_skills(&a)) || (rc = orcad_apply_queues(&a, NULL)) ||
        (rc = hours(&a)))
        return rc;
    for (size_t k = 0; k < c->nagents; k++)
        if ((rc = orcad_apply_agent(&a, &c->agents[k], 0)) || (rc = memberships(&a, &c->agents[k])))
            return rc;
    return ORCA_OK;
}
