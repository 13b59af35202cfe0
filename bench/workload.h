/*
 * workload.h: the seeded generator of contact centres the bench drives
 * (docs: /work/shared/docs/BENCH.md, "Workloads that look like real centres").
 *
 * A centre is:
 *  - a skill catalogue of `skills` skills whose popularity is Zipf (s = 1):
 *    skill 0 is held by most agents, the last ones by few;
 *  - `agents` agents, each holding 4..10 distinct skills drawn from that
 *    popularity, each at a level 1..10, with a weight 1..4 (weighted random);
 *    every agent is blended: capacity 100 units, at most 1 voice, 3 chats and
 *    5 emails at once (built-in costs 100, 25 and 10 units);
 *  - a catalogue of `classes` requirement sets, each 1..3 distinct skills
 *    drawn from the same popularity with a minimum level 1..5; a set no agent
 *    can serve is drawn again (a real centre staffs its queues), and the
 *    catalogue is ordered by how many agents can serve a set, so the most
 *    requested sets are the best staffed;
 *  - a stream of interactions, interaction k (k = 0, 1, ...) drawn on its own
 *    from (seed, k): a requirement set from the catalogue with Zipf (s = 1)
 *    popularity, channel voice 45% / chat 35% / email 20%, priority 0 except
 *    3% urgent at priority WL_PRIO_URGENT.
 * The `adversarial` workload replaces the catalogue: every interaction draws
 * its own set of 2..3 distinct skills chosen uniformly from the catalogue,
 * each with a minimum level 1..10, redrawn (up to 256 times) until some agent
 * can serve it, else one popular skill at level 1.
 *
 * Everything is a pure function of the seed, so a run can be repeated.
 */
#ifndef ORCA_BENCH_WORKLOAD_H
#define ORCA_BENCH_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#define WL_MAX_AGENT_SKILLS 10
#define WL_MAX_REQ 3
#define WL_PRIO_NORMAL 0
#define WL_PRIO_URGENT 10
#define WL_AGENT_CAPACITY 100

/* Channel indexes; they equal orca's ORCA_CHANNEL_VOICE/CHAT/EMAIL. */
enum { WL_VOICE = 0, WL_CHAT = 1, WL_EMAIL = 2, WL_NCHANNELS = 3 };

/* Capacity units per channel and per-agent concurrency limits. */
extern const uint32_t wl_channel_cost[WL_NCHANNELS];
extern const uint32_t wl_channel_limit[WL_NCHANNELS];
extern const char *const wl_channel_name[WL_NCHANNELS];

/* A skill (index into the catalogue, 0 = most popular) at a level. */
typedef struct wl_skill_level {
    uint16_t skill;
    uint8_t level;
} wl_skill_level;

typedef struct wl_agent {
    uint64_t id;                  /* index + 1 */
    uint32_t weight;              /* 1..4 */
    uint8_t nskills;              /* 4..10 */
    wl_skill_level skills[WL_MAX_AGENT_SKILLS]; /* sorted by skill */
} wl_agent;

typedef struct wl_set {
    uint8_t n;                    /* 1..3 */
    wl_skill_level req[WL_MAX_REQ];/* sorted by skill */
    uint32_t eligible;            /* agents that can serve it */
} wl_set;

typedef struct wl_interaction {
    uint64_t id;                  /* k + 1 */
    uint32_t set;                 /* catalogue index; UINT32_MAX if adversarial */
    uint8_t channel;              /* WL_VOICE, WL_CHAT, WL_EMAIL */
    uint8_t priority;             /* WL_PRIO_NORMAL or WL_PRIO_URGENT */
    uint8_t nreq;
    wl_skill_level req[WL_MAX_REQ];/* sorted by skill */
} wl_interaction;

typedef struct wl_params {
    uint64_t seed;
    uint32_t agents;
    uint32_t skills;              /* catalogue size, 1..65535 */
    uint32_t classes;             /* requirement sets (ignored if adversarial) */
    int adversarial;
} wl_params;

typedef struct workload {
    wl_params p;
    wl_agent *agents;             /* p.agents */
    wl_set *sets;                 /* p.classes (none if adversarial) */
    uint32_t nsets;
    double *skill_cdf;            /* Zipf CDF over skills */
    double *set_cdf;              /* Zipf CDF over sets */
    /* who holds each skill: holder_agent/level[holder_off[s] .. holder_off[s+1]) */
    uint32_t *holder_off;
    uint32_t *holder_agent;
    uint8_t *holder_level;
} workload;

/* Who contacts the centre (the continuity measurement only; orca's
 * customer context and sticky routing): interaction k is by a returning
 * customer with probability `recontact`, the customer of interaction
 * k - d with d uniform in 1..min(k, window); otherwise by a new customer
 * (id k + 1, never seen before). A returning customer continues the
 * conversation of that earlier contact with probability `same_conversation`
 * (when it had one); any other contact opens a conversation (id k + 1) with
 * probability `new_conversation`, else names none. A pure function of the
 * seed and k, like the rest of the stream. */
typedef struct wl_customers {
    double recontact;
    uint64_t window;
    double same_conversation;
    double new_conversation;
} wl_customers;

/* The customer (never 0) and conversation (0: none) of interaction k. */
void wl_customer_get(const workload *w, const wl_customers *c, uint64_t k,
                     uint64_t *customer, uint64_t *conversation);

/* Build the centre's agents and catalogue. 0, or -1 on bad parameters or
 * out of memory. */
int wl_build(workload *w, const wl_params *p);
void wl_free(workload *w);

/* Interaction k of the stream (k = 0, 1, ...). */
void wl_interaction_get(const workload *w, uint64_t k, wl_interaction *out);

/* How many agents hold every skill of req[0..n) at >= its level; stops
 * counting at `limit`. */
uint32_t wl_count_eligible(const workload *w, const wl_skill_level *req,
                           uint32_t n, uint32_t limit);

/* Distinct requirement sets among interactions k0 .. k0+n-1. */
uint32_t wl_count_distinct(const workload *w, uint64_t k0, uint32_t n);

/* 1 if skills[0..nskills) hold every skill of req[0..nreq) at >= its
 * level. Inline: the peers test it on their timed paths. */
static inline int wl_skills_hold(const wl_skill_level *skills, uint32_t nskills,
                                 const wl_skill_level *req, uint32_t nreq)
{
    for (uint32_t i = 0; i < nreq; i++) {
        uint32_t j = 0;
        while (j < nskills && skills[j].skill != req[i].skill)
            j++;
        if (j == nskills || skills[j].level < req[i].level)
            return 0;
    }
    return 1;
}

/* 1 if agent a holds every skill of req[0..n) at >= its level. */
int wl_agent_serves(const wl_agent *a, const wl_skill_level *req, uint32_t n);

#endif
