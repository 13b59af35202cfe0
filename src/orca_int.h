/*
 * orca_int.h: the engine's internal structures, shared by the modules in
 * src/. docs/DESIGN.md explains why they look like this.
 */
#ifndef ORCA_INT_H
#define ORCA_INT_H

#include "orca.h"
#include "heap.h"
#include "map.h"
#include "strtab.h"
#include "journal.h"
#include "codec.h"
#include "otree.h"
#include "btree.h"
#include "jfile.h"

#include <stdbool.h>
#include <string.h>

#define NOPOS UINT32_MAX
/* Every dense id the engine hands out starts at 1 and 0 means none: skill
 * slot 0 is reserved (queues count from 1 the same way). Channels are the
 * named exception, see orca.h. */
#define SKILL_FIRST 1u

typedef struct agent agent;
typedef struct ix ix;
typedef struct queue queue;
typedef struct reqset reqset;
typedef struct rclass rclass;
typedef struct plan plan;
typedef struct cust cust;

/* ---- memory (util.c) -------------------------------------------------- */
void *mem_alloc(orca_engine *e, size_t n);
void *mem_calloc(orca_engine *e, size_t n);
void *mem_realloc(orca_engine *e, void *p, size_t oldn, size_t newn);
void mem_free(orca_engine *e, void *p, size_t n);
/* Grow *arr (elements of size sz) so it can hold need elements. */
int mem_reserve(orca_engine *e, void **arr, uint32_t *cap, uint32_t need, size_t sz);
char *mem_strdup(orca_engine *e, const char *s, size_t *len_out);
void out_printf(orca_write_fn fn, void *data, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int name_check(const char *name);
uint64_t rng_next(uint64_t *state);
uint64_t rng_draw(uint64_t *state, uint32_t weight);

/* ---- skills.c, channels.c --------------------------------------------- */
typedef struct skill {
    char *name;
    size_t len;
    agent **holders;      /* agents holding this skill (any level) */
    uint32_t nholders, capholders;
} skill;

/* An agent's skills array is followed, in the same block, by the agent's
 * position in each skill's holders list. */
#define AGENT_SKILLS_BYTES(n) ((size_t)(n) * (sizeof(orca_skill_level) + sizeof(uint32_t)))
/* (an agent with no skills has skills == NULL: no arithmetic on it) */
#define AGENT_SKILL_POS(a) ((a)->skills ? (uint32_t *)((a)->skills + (a)->nskills) : NULL)
#define SCAN_ENTRY(l) ((uint64_t)(l)->rank << 40 | (uint64_t)(l)->ch << 32 | (l)->cidx)
int holders_reserve(orca_engine *e, const orca_skill_level *skills, uint32_t n);
void holders_add(orca_engine *e, agent *a);
void holders_del(orca_engine *e, agent *a);
/* Validate a skill list: known skills, levels 1..100, no skill twice. */
int skills_check(const orca_engine *e, const orca_skill_level *v, uint32_t n, uint32_t max);
int skill_add(orca_engine *e, const char *name, orca_skill_id *out);

typedef struct channel {
    char *name;
    size_t len;
    uint32_t cost;
    uint32_t wrapup_ms;
    orca_channel_callbacks cb;
    void *data;
} channel;

/* ---- queues ----------------------------------------------------------- */
struct queue {
    orca_queue_id id;
    char *name;
    size_t len;
    orca_strategy strategy;
    uint32_t serve;
    orca_skill_level skills[ORCA_MAX_REQUIRED];
    uint32_t nskills;
    uint8_t skills_tier;
    uint32_t max_size, max_wait_ms, aging_ms;
    uint8_t aging_max;
    uint32_t wrapup_ms, sla_ms, offer_timeout_ms;
    orca_step steps[ORCA_MAX_STEPS];
    uint32_t nsteps;
    uint32_t overflow_after_ms;
    orca_queue_id overflow_to;
    queue *overflow;          /* overflow_to's queue, NULL without overflow:
                                 fixed for q's life (orca_queue_update keeps
                                 overflow_to, orca_queue_remove refuses a
                                 target), so plans follow it with no lookup */
    uint32_t sticky_ms, sticky_within_ms;
    uint32_t callback_attempts, callback_retry_ms, resume_ms;
    struct qhours *hours;     /* opening hours (hours.c); NULL: always open */
    uint32_t waiting, offered, members;
    uint64_t next_member_gen;
    /* every WAITING interaction of the queue, held ones too, in routing
     * order (key (ix.wkey, seq), value arrival, item the ix): positions,
     * the routing-order listing and the oldest arrival, in O(log n) */
    btree wtree;
};

/* ---- requirement sets, classes, plans (classes.c) ----------------------- */
struct reqset {
    uint32_t id;
    uint32_t nreq, npref;
    orca_skill_level req[ORCA_MAX_REQUIRED];  /* sorted by skill id */
    orca_skill_level pref[ORCA_MAX_PREFERRED];/* sorted by skill id */
    uint64_t hash;
    uint32_t refs;
    reqset *chain;                            /* same hash bucket */
};

/* One agent's membership in a class: the agent is eligible for it. */
typedef struct link {
    rclass *cls;
    uint64_t hk1, hk2; /* key of our entry in cls->agents, when there */
    uint32_t cidx;     /* cls->idx, for the release scan over e->ctop */
    uint32_t hpos;     /* position in cls->agents, NOPOS if not available */
    uint32_t epos;     /* position in cls->elig */
    uint16_t score;
    uint8_t tier, pref, rank, ch, strategy;
} link;

/* The key of a class's best waiting work, kept in one dense array indexed
 * by class so an agent's release scan reads 16 bytes per class it serves. */
typedef struct ctop {
    uint64_t k1, k2;   /* UINT64_MAX when the class has no waiting work */
} ctop;

typedef struct elig_ref {
    agent *a;
    uint32_t li;       /* index in a->links */
} elig_ref;

/* A class: interactions of one queue and channel with identical current
 * requirements. Waiting work is ordered in `waiting`; agents who could
 * take it now are ordered by the queue's strategy in `agents`. */
struct rclass {
    uint32_t idx;      /* in e->classes */
    queue *q;
    orca_channel_id ch;
    reqset *rs;
    heap waiting;      /* ix, key (255-effprio)<<48|arrival, seq */
    heap agents;       /* agent, aux = link index */
    elig_ref *elig;
    uint32_t nelig, capelig;
    uint32_t need;     /* interactions whose plan includes this class */
    uint32_t plans;    /* plans pinning this class */
    uint64_t key;      /* in e->class_map */
};

/* The path an interaction's requirements take: for the queue it starts in
 * and every queue it may overflow to, the class at each routing step. Built
 * (with every class it needs) at enqueue, so timers never allocate. */
typedef struct plan_stage {
    queue *q;
    uint32_t nclasses;   /* 1 + nsteps of q */
    rclass **classes;
    uint32_t next_stage; /* stage after overflow, or NOPOS */
} plan_stage;

struct plan {
    uint64_t key;
    reqset *base;
    orca_channel_id ch;
    uint32_t nstages;
    plan_stage *stages;
    uint32_t users;
    plan *idle_prev, *idle_next; /* idle LRU when users == 0 */
    bool idle;
    uint32_t snap_idx;           /* snapshot.c: its number in a snapshot */
};

/* ---- agents ----------------------------------------------------------- */
typedef struct agent_queue {
    orca_queue_id q;
    uint8_t member;
    uint8_t tier;
    uint8_t rank;
} agent_queue;

struct agent {
    uint64_t id;
    void *data;
    uint32_t slot;        /* in e->agents */
    uint32_t capacity, used, weight;
    orca_presence presence;
    uint32_t reason;
    uint64_t idle_since, last_offer, wr_key;
    uint64_t load, load_t; /* units x ms of work held before load_t (work.c) */
    uint32_t handled, missed;
    uint32_t noffered, nbusy, nwrap;
    orca_skill_level *skills; /* sorted by skill id */
    uint32_t nskills;
    uint16_t limit[ORCA_MAX_CHANNELS];
    uint16_t count[ORCA_MAX_CHANNELS];
    agent_queue *queues;
    uint32_t nqueues, capqueues;
    link *links;
    uint32_t nlinks, caplinks;
    uint64_t *scan;       /* per link: rank << 40 | ch << 32 | class idx: the
                             only bytes the release scan reads (8, not 48) */
    uint32_t capscan;
    uint32_t out_mask;    /* channels with a link not in its class heap */
    uint32_t nlo;         /* links of least-occupied queues */
    bool used_fell;       /* capacity freed since the last refresh */
    uint32_t npack;       /* links of packing queues */
    bool used_rose;       /* capacity taken since the last refresh */
    ix *work;             /* offered/busy/wrap-up interactions */
    heap held;            /* waiting work held for this agent (named or
                             sticky target), by the waiting key */
    uint32_t nsched;      /* SCHEDULED work targeted at us (not in held) */
    uint32_t ntargeted;   /* live work targeted at us (held or offered):
                             held.cap stays >= this, so no push allocates */
    inode idn;            /* in e->agent_root, key id: id-order listing */
};

/* ---- interactions ----------------------------------------------------- */
typedef struct excl {
    uint64_t agent;
    uint64_t until;
} excl;

typedef struct excl_list {
    uint32_t n, cap;
    excl v[];
} excl_list;

enum { IXF_NOTIFIED = 1, IXF_IN_NOTIFY = 2, IXF_ZOMBIE = 4 };

struct ix {
    uint64_t id, seq, customer;
    uint64_t arrival, queued, state_ms, deadline;
    void *data;
    plan *plan;
    uint32_t stage, step;     /* position in plan */
    rclass *cls;              /* current class = plan->stages[stage].classes[step] */
    agent *agent;
    excl_list *ex;
    ix *anext, *aprev;        /* agent's work list */
    ix *notify_next;
    uint32_t hpos, tpos;      /* class waiting heap, timer heap */
    uint32_t attempts;
    uint32_t wrap_len;        /* wrap-up length, fixed when wrap-up starts */
    uint8_t state, prio, eff, flags;
    uint32_t disposition;     /* (here, not with the outcome fields: no padding) */
    /* continuity (customers.c, targets in router.c, transfers) */
    cust *cust;               /* customer context, NULL if customer 0 */
    ix *cnext, *cprev;        /* customer's live interactions */
    uint64_t conversation;
    uint64_t answered;        /* accept time; 0: never */
    uint64_t answered_by;     /* agent id who accepted */
    agent *target;            /* waiting work held for this agent: it sits in
                                 target->held instead of its class heap */
    uint64_t target_until;    /* UINT64_MAX: no limit */
    ix *xfer_to, *xfer_from;  /* consult transfer pair */
    uint64_t due;             /* SCHEDULED: when it becomes WAITING */
    uint32_t tries;           /* callback attempts that did not reach */
    uint8_t csat;             /* orca_interaction_set_survey: 0 none, 1..5 */
    int8_t fcr;               /* -1 unknown, 0 no, 1 yes */
    bool xfer_done;           /* ends as ORCA_OUTCOME_TRANSFERRED */
    uint8_t target_hard;      /* target is required (not only preferred) */
    uint64_t wkey;            /* WAITING: its key in cls->q->wtree (routing
                                 order), with seq: ix_wkey when it entered */
    inode idn;                /* in e->ix_root, key id: id-order listing */
};

/* ---- customers (customers.c) ------------------------------------------ */
struct cust {
    uint64_t id;
    uint64_t last_agent, last_answer; /* who answered them last, and when */
    uint64_t last_active;             /* last arrival or finish */
    uint64_t contacts;
    ix *open_head, *open_tail;        /* live interactions, oldest first */
    uint32_t nopen;
    cust *lru_prev, *lru_next;        /* in e's LRU while nopen == 0 */
    orca_history_entry *v;            /* ring, newest at v[head] */
    uint32_t head, n, cap;
    /* abandon and resume: the place of the last abandoned WAITING work */
    orca_queue_id resume_q;
    uint64_t resume_until, resume_arrival, resume_seq;
};

/* ---- the engine ------------------------------------------------------- */
typedef struct listener {
    orca_listener_fn fn;
    void *data;
    int handle;
} listener;

struct orca_engine {
    orca_alloc_fn alloc;
    void *alloc_ud;
    orca_config cfg;
    uint64_t now;
    uint64_t seq;         /* enqueue counter */
    uint64_t offers;      /* offer counter */
    uint64_t ev_seq;
    uint64_t rng;
    uint64_t wr_clock;

    skill *skills;        /* by id; slot 0 unused: skill ids start at 1 */
    uint32_t nskills, capskills; /* nskills: one past the last id */
    strtab skill_names;

    channel channels[ORCA_MAX_CHANNELS];
    uint32_t nchannels;
    strtab channel_names;

    queue **queues;       /* index = id - 1; NULL: removed (ids are not reused) */
    uint32_t nqueues, capqueues;
    uint32_t nqueues_removed;
    strtab queue_names;

    agent **agents;       /* dense, agent->slot */
    uint32_t nagents, capagents;
    u64map agent_map;
    inode *agent_root;    /* every agent by id (listings) */
    uint32_t agents_ready;

    u64map ix_map;
    inode *ix_root;       /* every live interaction by id (listings), once
                             ix_indexed: built by the first
                             orca_interaction_list, kept up to date after */
    bool ix_indexed;
    bt_pool wpool;        /* spare nodes for the queues' wtree: enough for
                             every live interaction to wait (wait_reserve) */
    uint32_t nix, nwaiting, noffered, nbusy, nwrap, nsched, nbot;

    heap timers;          /* ix by (deadline, seq) */

    reqset **rs_by_id;    /* dense ids, NULL holes reused via free list */
    uint32_t nrs, caprs;
    uint32_t *rs_free;
    uint32_t nrs_free, caprs_free;
    u64map rs_map;        /* hash -> reqset chain head */

    rclass **classes;     /* by class idx; NULL for free slots */
    ctop *ctop;           /* by class idx */
    uint32_t nclasses, nslots, capclasses, capctop;
    uint32_t *cfree;      /* free class slots */
    uint32_t ncfree, capcfree;
    u64map class_map;

    u64map plan_map;
    uint32_t nplans, nidle_plans;
    plan *idle_head, *idle_tail;

    listener *listeners;
    uint32_t nlisteners, caplisteners;
    int next_handle;
    int in_callback;      /* > 0 inside a listener or withdraw callback */
    int depth;            /* public call nesting */
    bool freeing;         /* orca_engine_free is tearing everything down */
    bool flushing;
    ix *notify_head, *notify_tail;

    /* customers: live ones are pinned, idle ones in LRU order */
    u64map cust_map;
    uint32_t ncust, nlru;
    cust *lru_head, *lru_tail;
    orca_customer_totals ctot;
    orca_history_entry *hist_buf; /* an offer's copy of the history */

    journal *jrn;         /* journal.c; NULL when not journaling */
    jfile_io jio;         /* the journal's file I/O: jfile_sys, or a test's */
    orca_journal_tap_fn jtap; /* orca_journal_set_tap */
    void *jtap_data;
    /* orca_journal_apply: the last record applied (0: none), and a
     * snapshot arriving chunk by chunk */
    uint64_t applied;
    uint8_t *snapbuf;
    size_t snaplen, snapcap;
    bool snapskip;        /* a snapshot of a state e already has: read past */
    bool following;       /* applied a file's first record: the next counts */
    int jrn_os_error;     /* errno of the last failed orca_journal_open or
                             replay, or of the last journal closed after it
                             failed: orca_journal_info_get with none open */
    bool replaying;       /* orca_journal_replay is playing records */
    bool restoring;       /* ... and restoring a snapshot: no events */
    bool replay_diverged; /* ... and memory ran out where it is absorbed */
    bool diverged;        /* an offer timeout absorbed an allocation failure
                             (interactions.c): orca_engine_advance (clock.c)
                             calls jrn_diverged before it journals itself,
                             and clears it */

    /* scratch for the release-direction walk past exclusions */
    uint32_t *scratch;
    uint32_t capscratch;
};

/* ---- engine.c --------------------------------------------------------- */
/* orca_engine_check; with deep false, without recounting every agent's
 * eligible classes (O(agents x classes)): for indexes the engine built
 * itself, as a snapshot restore does. */
int engine_check(const orca_engine *e, bool deep);

/* ---- api.c ------------------------------------------------------------ */
/* Every state-changing public call: api_enter (ORCA_EBUSY from inside a
 * listener or withdraw callback), the work, then api_leave with its result,
 * which the outermost call may turn into ORCA_EIO (journal compaction). */
int api_enter(orca_engine *e);
int api_leave(orca_engine *e, int rc);

/* ---- events.c --------------------------------------------------------- */
/* An offer record for a host callback; an interaction's memory, now. */
void offer_fill(const orca_engine *e, const ix *i, orca_offer *o);
void ix_free_mem(orca_engine *e, ix *i);
void emit(orca_engine *e, orca_event *ev);
void ev_init(orca_engine *e, orca_event *ev, orca_event_type t);
void ev_ix(orca_engine *e, orca_event *ev, orca_event_type t, const ix *i);
void notify_offer(orca_engine *e, ix *i);
void withdraw_offer(orca_engine *e, ix *i, orca_withdraw_reason why);
void ix_release_mem(orca_engine *e, ix *i);

/* ---- classes.c -------------------------------------------------------- */
int reqset_get(orca_engine *e, const orca_skill_level *req, uint32_t nreq,
               const orca_skill_level *pref, uint32_t npref, reqset **out);
void reqset_put(orca_engine *e, reqset *rs);
int plan_get(orca_engine *e, queue *q, orca_channel_id ch, reqset *base, plan **out,
             bool *created);
void plan_discard(orca_engine *e, plan *p);
void plan_use(orca_engine *e, plan *p);
void plan_unuse(orca_engine *e, plan *p);
int plan_reserve_user(orca_engine *e, plan *p);
void plan_release_idle(orca_engine *e);
/* Free every cached (unused) plan passing through queue q, and so every
 * class of q (queue removal: no live plan passes through it). */
void plan_drop_queue(orca_engine *e, const queue *q);
void plan_free_all(orca_engine *e);
void class_free_all(orca_engine *e);
/* serves(a, q) of the routing rules: a member of a MEMBERS queue, or
 * holding every skill of a SKILLS queue at its level. */
bool agent_serves(const agent *a, const queue *q);
bool agent_eligible(const orca_engine *e, const agent *a, const rclass *c,
                    uint8_t *tier, uint8_t *pref, uint16_t *score, uint8_t *rank);
int agent_relink(orca_engine *e, agent *a, const orca_skill_level *skills,
                 uint32_t nskills, const uint16_t *limits,
                 const agent_queue *queues, uint32_t nqueues, bool apply);
void agent_unlink_all(orca_engine *e, agent *a);
const orca_skill_level *skill_of(const orca_skill_level *v, uint32_t n, orca_skill_id s);

void ix_setpos(void *item, uint32_t aux, uint32_t pos);

/* ---- targets.c -------------------------------------------------------- */
int target_reserve(orca_engine *e, agent *a);
void target_set(orca_engine *e, ix *i, agent *a, uint64_t until, bool hard);
void target_clear(orca_engine *e, ix *i);
void target_release(orca_engine *e, ix *i, uint32_t reason);
ix *target_agent_gone(orca_engine *e, agent *a, bool removed, ix **doomed);
void target_recheck(orca_engine *e, agent *a);

/* ---- held.c ----------------------------------------------------------- */
bool target_eligible(const orca_engine *e, const agent *a, const ix *i, uint8_t *rank);
bool target_can_take(const orca_engine *e, const agent *a, const ix *i, uint8_t *rank);
ix *held_best(orca_engine *e, agent *a, uint32_t fit, uint64_t *rank);

/* ---- work.c ----------------------------------------------------------- */
void ix_attach(orca_engine *e, ix *i, agent *a);
agent *ix_detach(orca_engine *e, ix *i);
void agent_work_remove(agent *a, ix *i);

/* ---- router.c --------------------------------------------------------- */
void agent_refresh(orca_engine *e, agent *a);
void class_top_update(orca_engine *e, rclass *c);
uint32_t agent_fitmask(const orca_engine *e, const agent *a);
bool agent_available(const orca_engine *e, const agent *a, orca_channel_id ch);
void agent_refresh_link(orca_engine *e, agent *a, uint32_t li);
uint64_t agent_key1(const orca_engine *e, const agent *a, const link *l);
uint64_t agent_key2(const agent *a, const link *l);
void route_interaction(orca_engine *e, ix *i);
void route_agent(orca_engine *e, agent *a);
bool ix_excludes(const ix *i, uint64_t agent_id, uint64_t now);
uint64_t ix_wkey(const ix *i);
void ix_to_waiting(orca_engine *e, ix *i);
void ix_from_waiting(orca_engine *e, ix *i);
void ix_rekey(orca_engine *e, ix *i);
/* Spare routing-order tree nodes for nix live interactions over nqueues
 * queues: ORCA_ENOMEM if the allocator refuses. wait_trim gives back what
 * is far beyond the need. */
int wait_reserve(orca_engine *e, uint32_t nix, uint32_t nqueues);
void wait_trim(orca_engine *e);
void wait_free(orca_engine *e);
bool agent_fits(const orca_engine *e, const agent *a, orca_channel_id ch);

/* ---- interactions.c --------------------------------------------------- */
#define IXST(s) (1u << (s))  /* a state's bit, for ix_lookup's mask */
/* The interaction a mutating call names, if in one of `states`. */
int ix_lookup(orca_engine *e, uint64_t id, unsigned states, ix **out);
void emit_ix(orca_engine *e, orca_event_type t, const ix *i);
void ix_hand_over(orca_engine *e, ix *from, uint64_t to, orca_transfer_mode mode);
void process_waiting(orca_engine *e, ix *i);
void ix_complete(orca_engine *e, ix *i);
void ix_offer_returned(orca_engine *e, ix *i, orca_event_type why, bool timeout);
void ix_forget(orca_engine *e, ix *i, orca_outcome outcome);
void ix_offer_timeout(orca_engine *e, ix *i);
void ix_info_fill(const ix *i, orca_interaction_info *out);
ix *ix_get(const orca_engine *e, uint64_t id);
ix *ix_pop_first(ix **chain);
/* The work of the public calls in api_interactions.c, checked. */
void ix_accept(orca_engine *e, ix *i);
int ix_reject(orca_engine *e, ix *i);
void ix_end(orca_engine *e, ix *i);
void ix_drop(orca_engine *e, ix *i, orca_event_type t, orca_withdraw_reason why);
void ix_set_priority(orca_engine *e, ix *i, uint32_t priority);
void ix_set_survey(ix *i, uint32_t csat, int32_t fcr);
void ix_set_disposition(ix *i, uint32_t code);

/* ---- enqueue.c -------------------------------------------------------- */
/* A SCHEDULED interaction whose time came: it starts waiting. */
void process_due(orca_engine *e, ix *i);
/* The checks and the work of the public calls in api_enqueue.c. */
int enqueue_def_check(const orca_engine *e, const orca_interaction_def *def);
int ix_enqueue(orca_engine *e, const orca_interaction_def *def);
int ix_transfer(orca_engine *e, ix *i, const orca_interaction_def *to, orca_transfer_mode mode);
int ix_escalate(orca_engine *e, ix *i, const orca_interaction_def *to);
int ix_callback(orca_engine *e, ix *i, orca_channel_id ch, uint64_t not_before_ms);
void ix_unreached(orca_engine *e, ix *i);
uint64_t offers_pending(const orca_engine *e);
void offers_recover(orca_engine *e);

/* ---- channels.c, agents.c --------------------------------------------- */
int channel_add_raw(orca_engine *e, const orca_channel_def *def, orca_channel_id *out);
int channel_add(orca_engine *e, const orca_channel_def *def, orca_channel_id *out);
void channel_set_wrapup(orca_engine *e, orca_channel_id id, uint32_t wrapup_ms);
void agent_free_all(orca_engine *e);
void agent_info_fill(const agent *a, orca_agent_info *out);
uint64_t agent_load(const orca_engine *e, const agent *a);
int agent_queue_set(orca_engine *e, agent *a, orca_queue_id q, int member,
                    uint32_t tier, int rank);
agent *agent_get(const orca_engine *e, uint64_t id);
/* The checks and the work of the public calls in api_agents.c. */
int agent_def_check(const orca_engine *e, const orca_agent_def *d, uint16_t *limits);
int agent_create(orca_engine *e, const orca_agent_def *def, const uint16_t *limits);
int agent_update(orca_engine *e, agent *a, const orca_agent_def *def, const uint16_t *limits);
void agent_delete(orca_engine *e, agent *a);
void agent_set_presence(orca_engine *e, agent *a, orca_presence p, uint32_t reason);
uint32_t agents_online(const orca_engine *e);
void agent_offline_all(orca_engine *e);

/* ---- queues.c --------------------------------------------------------- */
queue *queue_get(const orca_engine *e, orca_queue_id id);
/* The checks and the work of the public calls in api_queues.c. */
int queue_def_check(const orca_engine *e, const orca_queue_def *d);
int queue_add(orca_engine *e, const orca_queue_def *def, orca_queue_id *out);
bool queue_fixed_alike(const queue *q, const orca_queue_def *d);
void queue_update(queue *q, const orca_queue_def *def);
bool queue_is_member(const agent *a, orca_queue_id q, uint8_t *tier);
int queue_member_add(orca_engine *e, queue *q, agent *a, uint32_t tier);
int queue_member_remove(orca_engine *e, queue *q, agent *a);
bool queue_in_use(const orca_engine *e, const queue *q);
void queue_remove(orca_engine *e, queue *q);

/* ---- customers.c ------------------------------------------------------ */
int cust_prepare(orca_engine *e, uint64_t id, cust **out, bool *created);
void cust_discard(orca_engine *e, cust *c);
uint32_t cust_attach(orca_engine *e, cust *c, ix *i, bool contact);
void cust_detach(orca_engine *e, ix *i, orca_outcome outcome);
void cust_answered(orca_engine *e, ix *i);
uint64_t cust_last_agent(const orca_engine *e, const cust *c, uint64_t conversation,
                         uint64_t within_ms);
uint32_t cust_history_copy(const orca_engine *e, const cust *c, orca_history_entry *out,
                           uint32_t cap);
void cust_expire(orca_engine *e);
void cust_free_all(orca_engine *e);
int cust_forget(orca_engine *e, uint64_t customer);
int cust_check(const orca_engine *e);
/* Snapshots (snapshot.c): every customer, idle ones in LRU order, with
 * their history and the ids of their live work, which cust_load links
 * (the interactions must be restored first). */
void cust_save(const orca_engine *e, wbuf *w);
int cust_load(orca_engine *e, rbuf *r);

/* ---- snapshot.c ------------------------------------------------------- */
/* The whole state (and the figures of stats_find(e)) appended to w. */
void snap_save(orca_engine *e, wbuf *w);
/* Rebuild a new engine from snap_save's bytes: ORCA_OK, ORCA_ECORRUPT,
 * ORCA_ENOMEM (e is then partly built: free it). r->scratch must hold a
 * journal record's worth. */
int snap_load(orca_engine *e, rbuf *r);

/* ---- hours.c ---------------------------------------------------------- */
typedef struct qhours qhours;
bool hours_open(const qhours *h, uint64_t t);
/* The queue h redirects to when closed (0: none). */
orca_queue_id hours_redirect(const qhours *h);
uint64_t hours_next_change(const qhours *h, uint64_t t);
void hours_free(orca_engine *e, qhours *h);
void hours_def(const qhours *h, orca_hours *out);
int hours_set(orca_engine *e, queue *q, const orca_hours *hours);
/* The queue new work for q really goes to if it becomes routable at `at`
 * (now, or a later callback slot; redirects followed, each queue's hours
 * read at `at`) and when it may be routed (at, or the opening after it:
 * *held): ORCA_OK, or ORCA_ECLOSED (rejected). */
int hours_route(orca_engine *e, queue *q, uint64_t at, queue **to, uint64_t *due, bool *held);

/* ---- stats.c, json.c -------------------------------------------------- */
const orca_engine *stats_engine(const orca_stats *s);
/* The journal's snapshot (snapshot.c) carries the figures of the first
 * orca_stats listening to the engine: stats_find finds it (or NULL),
 * stats_save appends everything its figures depend on to w, and
 * stats_load puts that back into a fresh orca_stats (attached to an engine
 * restored from the same snapshot, no event seen yet). stats_load returns
 * ORCA_OK, ORCA_ECORRUPT (r does not decode) or ORCA_ENOMEM, and on
 * failure leaves s fresh. */
orca_stats *stats_find(const orca_engine *e);
void stats_save(const orca_stats *s, wbuf *w);
int stats_load(orca_stats *s, rbuf *r);

/* ---- timers.c --------------------------------------------------------- */
void timer_update(orca_engine *e, ix *i);
uint64_t ix_compute_deadline(const orca_engine *e, const ix *i);
uint32_t queue_offer_timeout(const orca_engine *e, const queue *q);
uint32_t ix_wrapup_ms(const orca_engine *e, const ix *i);
uint8_t ix_effprio(const ix *i, uint64_t now);

#endif
