/*
 * queues.c: where work waits. A queue owns its agent-selection strategy,
 * who serves it (members with tiers and/or skill holders), routing steps,
 * aging, overflow and limits. Its waiting work lives in the router's
 * classes (classes.c); the queue keeps the definition and counts.
 */
#include "orca_int.h"


void orca_queue_def_init(orca_queue_def *def)
{
    if (!def)
        return;
    memset(def, 0, sizeof(*def));
    def->strategy = ORCA_STRATEGY_LONGEST_IDLE;
    def->serve = ORCA_SERVE_MEMBERS;
    def->wrapup_ms = ORCA_WRAPUP_CHANNEL;
}

/* The queue with this id, NULL if none or removed. */
queue *queue_get(const orca_engine *e, orca_queue_id id)
{
    return id >= 1 && id <= e->nqueues ? e->queues[id - 1] : NULL;
}

static const char *queue_name_cb(const void *ctx, uint32_t id, size_t *len)
{
    const orca_engine *e = ctx;
    const queue *q = e->queues[id - 1];
    *len = q ? q->len : 0; /* a removed queue's name matches nothing */
    return q ? q->name : "";
}

int orca_queue_find(const orca_engine *e, const char *name, orca_queue_id *out)
{
    int rc;
    if (!e || !out)
        return ORCA_EINVAL;
    if ((rc = name_check(name)))
        return rc;
    size_t len = strlen(name);
    uint32_t id = strtab_find(&e->queue_names, name, len, strtab_hash(name, len),
                              queue_name_cb, e);
    if (id == UINT32_MAX)
        return ORCA_ENOENT;
    *out = id;
    return ORCA_OK;
}

/* orca_queue_add's checks of a new queue's definition. */
int queue_def_check(const orca_engine *e, const orca_queue_def *d)
{
    int rc;
    orca_queue_id dummy;
    if (!d)
        return ORCA_EINVAL;
    if ((rc = name_check(d->name)))
        return rc;
    if ((unsigned)d->strategy > ORCA_STRATEGY_LEAST_BUSY)
        return ORCA_EINVAL;
    if (d->serve & ~(ORCA_SERVE_MEMBERS | ORCA_SERVE_SKILLS))
        return ORCA_EINVAL;
    if ((rc = skills_check(e, d->skills, d->nskills, ORCA_MAX_REQUIRED)))
        return rc;
    if (d->nsteps > ORCA_MAX_STEPS)
        return ORCA_ERANGE;
    if (d->nsteps && !d->steps)
        return ORCA_EINVAL;
    for (uint32_t k = 0; k < d->nsteps; k++) {
        const orca_step *s = &d->steps[k];
        if (k && s->after_ms < d->steps[k - 1].after_ms)
            return ORCA_EINVAL;
        if (s->action != ORCA_STEP_SET_LEVEL && s->action != ORCA_STEP_DROP_REQUIRED &&
            s->action != ORCA_STEP_DROP_PREFERRED)
            return ORCA_EINVAL;
        if (s->skill < SKILL_FIRST || s->skill >= e->nskills)
            return ORCA_ENOENT;
        if (s->action == ORCA_STEP_SET_LEVEL &&
            (s->level < ORCA_LEVEL_MIN || s->level > ORCA_LEVEL_MAX))
            return ORCA_ERANGE;
    }
    /* overflow time with no target is a missing argument; a target that
     * names no queue is an unknown id */
    if (d->overflow_after_ms && d->overflow_to == ORCA_QUEUE_NONE)
        return ORCA_EINVAL;
    if (d->overflow_after_ms && !queue_get(e, d->overflow_to))
        return ORCA_ENOENT;
    if (!d->overflow_after_ms && d->overflow_to)
        return ORCA_EINVAL;
    if (orca_queue_find(e, d->name, &dummy) == ORCA_OK)
        return ORCA_EEXIST;
    if (e->nqueues - e->nqueues_removed >= e->cfg.max_queues || e->nqueues == UINT32_MAX - 1)
        return ORCA_ELIMIT;
    return ORCA_OK;
}

/* orca_queue_add's work, def checked: ORCA_OK, or ORCA_ENOMEM with
 * nothing changed. */
int queue_add(orca_engine *e, const orca_queue_def *def, orca_queue_id *out)
{
    int rc;
    if ((rc = mem_reserve(e, (void **)&e->queues, &e->capqueues, e->nqueues + 1,
                          sizeof(queue *))) ||
        (rc = strtab_reserve(e, &e->queue_names, e->nqueues + 1)) ||
        (rc = wait_reserve(e, e->nix, e->nqueues - e->nqueues_removed + 1)))
        return rc;
    queue *q = mem_calloc(e, sizeof(*q));
    if (!q || !(q->name = mem_strdup(e, def->name, &q->len))) {
        mem_free(e, q, sizeof(*q));
        return ORCA_ENOMEM;
    }
    q->id = e->nqueues + 1;
    q->strategy = def->strategy;
    q->serve = def->serve ? def->serve : ORCA_SERVE_MEMBERS;
    for (uint32_t k = 0; k < def->nskills; k++)
        q->skills[k] = (orca_skill_level){ def->skills[k].skill, def->skills[k].level };
    q->nskills = def->nskills;
    q->skills_tier = def->skills_tier;
    q->max_size = def->max_size;
    q->max_wait_ms = def->max_wait_ms;
    q->aging_ms = def->aging_ms;
    q->aging_max = def->aging_max ? def->aging_max : ORCA_PRIORITY_MAX;
    q->wrapup_ms = def->wrapup_ms;
    q->sla_ms = def->sla_ms;
    q->offer_timeout_ms = def->offer_timeout_ms;
    for (uint32_t k = 0; k < def->nsteps; k++)
        q->steps[k] = def->steps[k];
    q->nsteps = def->nsteps;
    q->overflow_after_ms = def->overflow_after_ms;
    q->overflow_to = def->overflow_to;
    q->overflow = def->overflow_after_ms ? queue_get(e, def->overflow_to) : NULL;
    q->sticky_ms = def->sticky_ms;
    q->sticky_within_ms = def->sticky_within_ms;
    q->callback_attempts = def->callback_attempts;
    q->callback_retry_ms = def->callback_retry_ms;
    q->resume_ms = def->resume_ms;
    e->queues[e->nqueues++] = q;
    strtab_put(&e->queue_names, strtab_hash(q->name, q->len), q->id);
    if (out)
        *out = q->id;
    orca_event ev;
    ev_init(e, &ev, ORCA_EV_QUEUE_ADDED);
    ev.queue = q->id;
    emit(e, &ev);
    return ORCA_OK;
}

/* Is def q in all orca_queue_update may not change: the name, how the
 * queue routes (strategy, serve, skills as a set, tier, steps, aging,
 * overflow: plans and indexes are built from them) and what its live work's
 * deadlines are computed from (max wait, offer timeout)? */
bool queue_fixed_alike(const queue *q, const orca_queue_def *d)
{
    if (!d->name || strcmp(d->name, q->name) != 0 || d->strategy != q->strategy ||
        (d->serve ? d->serve : ORCA_SERVE_MEMBERS) != q->serve || d->nskills != q->nskills ||
        (d->nskills && !d->skills) || d->skills_tier != q->skills_tier ||
        d->nsteps != q->nsteps || (d->nsteps && !d->steps) || d->aging_ms != q->aging_ms ||
        (d->aging_max ? d->aging_max : ORCA_PRIORITY_MAX) != q->aging_max ||
        d->max_wait_ms != q->max_wait_ms || d->offer_timeout_ms != q->offer_timeout_ms ||
        d->overflow_after_ms != q->overflow_after_ms || d->overflow_to != q->overflow_to)
        return false;
    for (uint32_t k = 0; k < d->nskills; k++) {
        uint32_t j = 0;
        while (j < q->nskills && (q->skills[j].skill != d->skills[k].skill ||
                                  q->skills[j].level != d->skills[k].level))
            j++;
        if (j == q->nskills)
            return false;
    }
    for (uint32_t k = 0; k < d->nsteps; k++)
        if (d->steps[k].after_ms != q->steps[k].after_ms || d->steps[k].action != q->steps[k].action ||
            d->steps[k].skill != q->steps[k].skill || d->steps[k].level != q->steps[k].level)
            return false;
    return true;
}

/* orca_queue_update's work: what may change, def checked. */
void queue_update(queue *q, const orca_queue_def *def)
{
    q->max_size = def->max_size;
    q->wrapup_ms = def->wrapup_ms;
    q->sla_ms = def->sla_ms;
    q->sticky_ms = def->sticky_ms;
    q->sticky_within_ms = def->sticky_within_ms;
    q->callback_attempts = def->callback_attempts;
    q->callback_retry_ms = def->callback_retry_ms;
    q->resume_ms = def->resume_ms;
}

const char *orca_queue_name(const orca_engine *e, orca_queue_id id)
{
    const queue *q = e ? queue_get(e, id) : NULL;
    return q ? q->name : NULL;
}

bool queue_is_member(const agent *a, orca_queue_id q, uint8_t *tier)
{
    for (uint32_t k = 0; k < a->nqueues; k++)
        if (a->queues[k].q == q && a->queues[k].member) {
            if (tier)
                *tier = a->queues[k].tier;
            return true;
        }
    return false;
}

/* orca_queue_member_add's work, checked: ORCA_OK, or ORCA_ENOMEM with
 * nothing changed. */
int queue_member_add(orca_engine *e, queue *q, agent *a, uint32_t tier)
{
    int rc;
    orca_queue_id qid = q->id;
    if ((rc = agent_queue_set(e, a, qid, 1, tier, -1)))
        return rc;
    q->members++;
    orca_event ev;
    ev_init(e, &ev, ORCA_EV_MEMBER_ADDED);
    ev.agent = a->id;
    ev.queue = qid;
    ev.value = tier;
    emit(e, &ev);
    if (a->presence == ORCA_PRESENCE_READY)
        route_agent(e, a);
    return ORCA_OK;
}

/* orca_queue_member_remove's work, checked: ORCA_OK, or ORCA_ENOMEM with
 * nothing changed. */
int queue_member_remove(orca_engine *e, queue *q, agent *a)
{
    int rc;
    orca_queue_id qid = q->id;
    if ((rc = agent_queue_set(e, a, qid, 0, 0, -1)))
        return rc;
    q->members--;
    orca_event ev;
    ev_init(e, &ev, ORCA_EV_MEMBER_REMOVED);
    ev.agent = a->id;
    ev.queue = qid;
    emit(e, &ev);
    target_recheck(e, a);
    return ORCA_OK;
}

int orca_queue_info_get(const orca_engine *e, orca_queue_id qid, orca_queue_info *out)
{
    if (!e || !out)
        return ORCA_EINVAL;
    const queue *q = queue_get(e, qid);
    if (!q)
        return ORCA_ENOENT;
    memset(out, 0, sizeof(*out));
    out->id = q->id;
    out->name = q->name;
    out->strategy = q->strategy;
    out->waiting = q->waiting;
    out->offered = q->offered;
    out->members = q->members;
    /* the routing-order tree keeps the minimum arrival under every child */
    out->oldest_arrival_ms = q->wtree.n ? bt_vmin(&q->wtree) : 0;
    return ORCA_OK;
}

/* Does anything still need queue q: live work in it (any state) or that
 * overflowed out of it (its plan, and so q's classes, still pass through
 * q), or another queue sending work to it (overflow, or redirect when
 * closed)? */
bool queue_in_use(const orca_engine *e, const queue *q)
{
    if (q->waiting || q->offered)
        return true;
    for (uint32_t k = 0; k < e->nqueues; k++) {
        const queue *o = e->queues[k];
        if (o && o != q &&
            ((o->overflow_after_ms && o->overflow_to == q->id) || hours_redirect(o->hours) == q->id))
            return true;
    }
    U64MAP_FOREACH(&e->ix_map, slot) {
        const ix *i = slot->val;
        for (uint32_t s = 0; s < i->plan->nstages; s++)
            if (i->plan->stages[s].q == q)
                return true;
    }
    return false;
}

/* orca_queue_remove's work: q is in use by nothing (queue_in_use). */
void queue_remove(orca_engine *e, queue *q)
{
    orca_queue_id qid = q->id;
    /* cached plans through q go, and with them q's classes and every
     * agent's link to them: no live plan passes through q (its work would
     * be in q, or come from a queue overflowing to it) */
    plan_drop_queue(e, q);
    for (uint32_t k = 0; k < e->nagents; k++) { /* memberships and ranks */
        agent *a = e->agents[k];
        for (uint32_t j = 0; j < a->nqueues;)
            if (a->queues[j].q == qid)
                a->queues[j] = a->queues[--a->nqueues];
            else
                j++;
    }
    e->queues[qid - 1] = NULL;
    e->nqueues_removed++;
    hours_free(e, q->hours);
    mem_free(e, q->name, q->len + 1);
    mem_free(e, q, sizeof(*q));
    orca_event ev;
    ev_init(e, &ev, ORCA_EV_QUEUE_REMOVED);
    ev.queue = qid;
    emit(e, &ev);
}
