/*
 * timers.c: every deadline lives on an interaction (offer expiry, wrap-up
 * end, routing step, aging, overflow, max wait, exclusion running out), so
 * one heap of interactions keyed by (deadline, seq) is the whole timer
 * system, and orca_engine_advance() (clock.c) pops it in order.
 */
#include "orca_int.h"

#define NEVER UINT64_MAX

/* ORCA_TIMEOUT_NEVER (from the queue or the engine) means no timer. */
uint32_t queue_offer_timeout(const orca_engine *e, const queue *q)
{
    return q->offer_timeout_ms ? q->offer_timeout_ms : e->cfg.offer_timeout_ms;
}

uint32_t ix_wrapup_ms(const orca_engine *e, const ix *i)
{
    const queue *q = i->cls->q;
    return q->wrapup_ms == ORCA_WRAPUP_CHANNEL ? e->channels[i->cls->ch].wrapup_ms
                                               : q->wrapup_ms;
}

uint8_t ix_effprio(const ix *i, uint64_t now)
{
    const queue *q = i->cls->q;
    if (!q->aging_ms || i->prio >= q->aging_max || now < i->queued)
        return i->prio;
    uint64_t up = (now - i->queued) / q->aging_ms;
    uint64_t eff = i->prio + up;
    return (uint8_t)(eff > q->aging_max ? q->aging_max : eff);
}

static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* The clock never reaches ORCA_TIME_MAX. An offer or a wrap-up that would
 * end past it ends at the last instant instead (else the offer would never
 * expire and the agent would be held for good); their handlers end them
 * unconditionally, so firing early cannot loop. */
static uint64_t clamp_end(uint64_t d)
{
    return d < ORCA_TIME_MAX ? d : ORCA_TIME_MAX - 1;
}

/* A waiting or scheduled deadline past the clock's end can never come:
 * none at all (its handler would re-check the time and find nothing due,
 * so firing it early would come round again forever). */
static uint64_t reachable(uint64_t d)
{
    return d < ORCA_TIME_MAX ? d : NEVER;
}

/* The first of a waiting interaction's deadlines (may lie past the end). */
static uint64_t waiting_deadline(const ix *i)
{
    const queue *q = i->cls->q;
    uint64_t d = NEVER;
    if (q->max_wait_ms)
        d = min64(d, i->queued + q->max_wait_ms);
    if (q->overflow_after_ms && i->plan->stages[i->stage].next_stage != NOPOS)
        d = min64(d, i->queued + q->overflow_after_ms);
    if (i->step < q->nsteps)
        d = min64(d, i->queued + q->steps[i->step].after_ms);
    if (q->aging_ms && i->eff < q->aging_max && i->prio < q->aging_max)
        d = min64(d, i->queued + (uint64_t)(i->eff - i->prio + 1) * q->aging_ms);
    if (i->ex)
        for (uint32_t k = 0; k < i->ex->n; k++)
            d = min64(d, i->ex->v[k].until);
    if (i->target)
        d = min64(d, i->target_until);
    return d;
}

uint64_t ix_compute_deadline(const orca_engine *e, const ix *i)
{
    const queue *q = i->cls->q;
    switch (i->state) {
    case ORCA_STATE_OFFERED: {
        uint32_t t = queue_offer_timeout(e, q);
        return t == ORCA_TIMEOUT_NEVER ? NEVER : clamp_end(i->state_ms + t);
    }
    case ORCA_STATE_WRAPUP:
        return clamp_end(i->state_ms + i->wrap_len);
    case ORCA_STATE_BUSY:
    case ORCA_STATE_BOT:
        return NEVER;
    case ORCA_STATE_SCHEDULED:
        return reachable(i->due);
    default:
        return reachable(waiting_deadline(i));
    }
}

void timer_update(orca_engine *e, ix *i)
{
    uint64_t d = ix_compute_deadline(e, i);
    i->deadline = d;
    if (d == NEVER) {
        if (i->tpos != NOPOS)
            heap_remove(&e->timers, i->tpos);
    } else if (i->tpos == NOPOS) {
        heap_push(&e->timers, d, i->seq, i, 0);
    } else if (e->timers.v[i->tpos].k1 != d) {
        heap_rekey(&e->timers, i->tpos, d, i->seq);
    }
}

