/*
 * orca.h: the public API of orca, an embeddable contact-centre router.
 *
 * orca keeps queues of interactions (calls, chats, emails, ...), agents with
 * skills and capacity, and decides which agent is offered which interaction.
 * The engine is single-threaded and deterministic: it never reads a clock,
 * the host gives it time with orca_engine_advance() (milliseconds, virtual or
 * real). See docs/DESIGN.md for the data structures and the exact routing
 * rules, and include/orca/uv.h to run an engine on a libuv loop.
 *
 * Conventions
 *  - Every function that can fail returns int: 0 (ORCA_OK) or a negative
 *    ORCA_E* code; orca_strerror() turns it into text.
 *  - A call that fails leaves the engine exactly as it was.
 *  - Agents and interactions are named by host-chosen nonzero 64-bit ids; skills,
 *    channels and queues get small dense ids from the engine.
 *  - Ids rule: every id the engine hands out counts 1, 2, ... in the order
 *    of creation, and 0 means "none" (skills, queues). Channels are the one
 *    exception: they are array indexes and bits of 32-bit masks inside the
 *    engine, and the built-in ones are constants 0..6 that hosts compile
 *    in, so they count from 0 (ORCA_CHANNEL_VOICE is 0) and a channel id
 *    is never optional in the API.
 *  - Strings passed in are copied; strings returned stay valid for the life
 *    of the engine.
 *  - Callbacks get the void *data the host registered with them.
 */
#ifndef ORCA_H
#define ORCA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ORCA_API marks what liborca exports. The library is built with
 * -fvisibility=hidden, so everything else (the modules' internal
 * functions) stays inside it; a host that builds orca's sources into its
 * own program may define ORCA_API itself (empty) before including this. */
#ifndef ORCA_API
#if defined(__GNUC__) || defined(__clang__)
#define ORCA_API __attribute__((visibility("default")))
#else
#define ORCA_API
#endif
#endif

/* Before 1.0, a minor version may change the ABI (0.2 added fields to
 * orca_config, orca_*_def, orca_offer, orca_event and the info structs;
 * 0.3 to orca_journal_config and orca_journal_info; 0.4 to
 * orca_journal_config again and hid every internal symbol), so the soname
 * names the minor version (liborca.so.0.4): rebuild against the header you
 * link with. Zero-initialise defs with the
 * *_init functions so new fields take their defaults. */
#define ORCA_VERSION_MAJOR 0
#define ORCA_VERSION_MINOR 6
#define ORCA_VERSION_PATCH 0
#define ORCA_VERSION_STRING "0.6.0"

/* The library's version string, e.g. "0.1.0". */
ORCA_API const char *orca_version(void);

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

#define ORCA_OK 0
#define ORCA_EINVAL (-1)   /* invalid argument: NULL, bad enum, empty string */
#define ORCA_ENOMEM (-2)   /* the allocator returned NULL */
#define ORCA_ENOENT (-3)   /* unknown id or name */
#define ORCA_EEXIST (-4)   /* duplicate id or name (or the journal file exists) */
#define ORCA_ESTATE (-5)   /* not allowed in the object's current state */
#define ORCA_ERANGE (-6)   /* value out of range (level, capacity, time...) */
#define ORCA_ELIMIT (-7)   /* a limit from orca_config would be exceeded */
#define ORCA_EFULL (-8)    /* the queue is at its max_size: work rejected */
#define ORCA_ETOOLONG (-9) /* string longer than ORCA_NAME_MAX */
#define ORCA_EBUSY (-10)   /* called from inside a listener or withdraw callback */
#define ORCA_ECORRUPT (-11) /* orca_engine_check() found an inconsistency, or
                               a journal is damaged (orca_journal_replay) */
#define ORCA_ECLOSED (-12)  /* the queue is closed (opening hours) and rejects work */
#define ORCA_EIO (-13)      /* the journal could not be written or read (errno in
                               orca_journal_info.os_error) */
#define ORCA_ELOCKED (-14)  /* the journal is in use by another engine (this
                               process or another holds its lock) */
#define ORCA_EVERSION (-15) /* a journal (or its snapshot) in a format this
                               version of the library does not read: written
                               by another version (since 0.6) */

/* Text for an error code ("invalid argument", ...); never NULL. */
ORCA_API const char *orca_strerror(int err);

/* ------------------------------------------------------------------------ */
/* Limits                                                                   */
/* ------------------------------------------------------------------------ */

#define ORCA_NAME_MAX 63          /* bytes in a skill/channel/queue name */
#define ORCA_LEVEL_MIN 1          /* skill levels are 1..100, higher is better */
#define ORCA_LEVEL_MAX 100
#define ORCA_PRIORITY_MAX 255     /* priorities are 0..255, higher first */
#define ORCA_MAX_REQUIRED 8       /* required skills per interaction/queue */
#define ORCA_MAX_PREFERRED 8      /* preferred skills per interaction */
#define ORCA_MAX_STEPS 16         /* routing steps per queue */
#define ORCA_MAX_CHANNELS 32      /* built-in + host channels */
#define ORCA_CAPACITY_MAX 10000   /* agent capacity units and channel cost */
#define ORCA_TIER_MAX 255         /* member tier (lower is offered first) */
#define ORCA_RANK_MAX 255         /* agent's queue rank (lower first) */
#define ORCA_WEIGHT_MAX 10000     /* weighted-random agent weight */
#define ORCA_TIME_MAX ((uint64_t)1 << 46) /* clock values must stay below */
#define ORCA_HISTORY_MAX 64       /* history entries per customer */
#define ORCA_MAX_AGENT_SKILLS 1024 /* skills one agent holds (ORCA_ERANGE past it) */

/* ------------------------------------------------------------------------ */
/* Engine                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct orca_engine orca_engine;

/*
 * Allocator hook, same contract as Lua's lua_Alloc: called with nsize == 0 to
 * free ptr (osize is its size), with ptr == NULL to allocate nsize bytes, and
 * otherwise to resize ptr from osize to nsize bytes. Returning NULL for an
 * allocation makes the orca call fail with ORCA_ENOMEM and change nothing.
 * Because sizes are passed, a hook can count live bytes exactly.
 */
typedef void *(*orca_alloc_fn)(void *ud, void *ptr, size_t osize, size_t nsize);

/* For an offer timeout (orca_config, orca_queue_def): offers never time
 * out, they wait for the agent's accept or reject. */
#define ORCA_TIMEOUT_NEVER UINT32_MAX
/* For orca_config.no_answer_limit: never set an agent NOT_READY for
 * offers that time out. */
#define ORCA_NO_ANSWER_NEVER UINT32_MAX

typedef struct orca_config {
    orca_alloc_fn alloc;   /* NULL: malloc/realloc/free */
    void *alloc_ud;
    uint64_t start_ms;     /* the engine's clock at creation (< ORCA_TIME_MAX) */
    uint64_t seed;         /* seeds weighted-random selection */
    uint32_t max_agents;       /* 0: 1,000,000 */
    uint32_t max_interactions; /* live interactions (any state); 0: 16,000,000 */
    uint32_t max_queues;       /* 0: 65,536 */
    uint32_t max_skills;       /* 0: 65,536 */
    uint32_t offer_timeout_ms; /* default offer timeout; 0: 20,000;
                                  ORCA_TIMEOUT_NEVER: offers wait for an
                                  answer for ever */
    uint32_t reoffer_delay_ms; /* an agent who rejected or let an offer time
                                  out is not offered the same interaction
                                  again for this long; 0: 30,000 */
    uint32_t no_answer_limit;  /* after this many consecutive offer timeouts
                                  an agent is set NOT_READY with reason
                                  ORCA_REASON_NO_ANSWER; 0: 3;
                                  ORCA_NO_ANSWER_NEVER: never (an agent who
                                  never answers is offered the work again
                                  after each reoffer_delay_ms, every offer
                                  and timeout an event: a clock step costs
                                  one per offer period it spans) */
    /* Customer context (see "Customers"): */
    uint32_t history_per_customer; /* finished interactions kept per
                                  customer, newest first; 0: 8; at most
                                  ORCA_HISTORY_MAX */
    uint32_t max_customers;    /* customers with no live work kept at most
                                  (least recently active forgotten first);
                                  0: 100,000 */
    uint64_t customer_ttl_ms;  /* history older than this is forgotten;
                                  0: 7 days */
} orca_config;

/* Fill cfg with defaults (all zero: every default above). */
ORCA_API void orca_config_init(orca_config *cfg);

/* Create an engine. cfg may be NULL for defaults. The built-in channels
 * (ORCA_CHANNEL_VOICE ... ORCA_CHANNEL_CALLBACK) exist from the start.
 * ORCA_EINVAL (out NULL), ORCA_ERANGE (start_ms or customer_ttl_ms not below
 * ORCA_TIME_MAX, max_queues over 2^20, max_skills over 2^24,
 * history_per_customer over ORCA_HISTORY_MAX), ORCA_ENOMEM. *out is NULL
 * after a failure. */
ORCA_API int orca_engine_new(const orca_config *cfg, orca_engine **out);

/* Free an engine and everything in it. No callback is called. NULL is ok. */
ORCA_API void orca_engine_free(orca_engine *e);

/* The engine's clock (ms). */
ORCA_API uint64_t orca_engine_now(const orca_engine *e);

/*
 * Move the clock to now_ms and fire everything due up to it, in time order
 * (offer timeouts, wrap-up ends, routing steps, aging, overflow, max wait,
 * re-offer delays running out). Each due item runs with the clock set to its
 * own deadline. ORCA_ERANGE if now_ms is before the current clock or not
 * below ORCA_TIME_MAX. It never fails half-way: routing needs no memory
 * (room is reserved when work is enqueued). The one exception is the record
 * that keeps an agent who let an offer time out from being offered the same
 * work again for reoffer_delay_ms: if that record cannot be allocated, the
 * delay is skipped for that agent (see DESIGN.md); nothing is lost.
 */
ORCA_API int orca_engine_advance(orca_engine *e, uint64_t now_ms);

/* Earliest pending deadline; ORCA_ENOENT if nothing is scheduled, or
 * ORCA_EINVAL for a NULL argument. A host sleeps until then (the libuv
 * adapter does this for you). Always below ORCA_TIME_MAX: an offer or a
 * wrap-up that would end past the clock's range ends at ORCA_TIME_MAX - 1,
 * and a wait limit, routing step, overflow or retry that falls past it is
 * never due. */
ORCA_API int orca_engine_next_deadline(const orca_engine *e, uint64_t *deadline_ms);

/* How much of everything the engine holds: for dashboards and tests. */
typedef struct orca_counts {
    uint32_t skills, channels, queues, agents;
    uint32_t agents_ready;     /* presence READY */
    uint32_t interactions;     /* live: waiting + offered + busy + wrap-up
                                  + scheduled + bot */
    uint32_t waiting, offered, busy, wrapup;
    uint32_t scheduled;        /* not routable until their time */
    uint32_t bot;              /* with a bot (self-service) */
    uint32_t classes;          /* requirement classes held by the router */
    uint32_t listeners;
    uint64_t events;           /* events emitted since creation */
} orca_counts;

/* Fill *out with the counts above. ORCA_EINVAL if e or out is NULL. O(1). */
ORCA_API int orca_engine_counts(const orca_engine *e, orca_counts *out);

/*
 * Write a canonical text description of the whole state (every skill,
 * channel, queue, agent and interaction, with their indexes' view) to fn,
 * in pieces. Two engines with the same state produce the same text, so tests
 * compare dumps to prove a failed call changed nothing.
 */
typedef void (*orca_write_fn)(void *data, const char *text, size_t len);
/* Write the dump (see orca_write_fn above) to fn. ORCA_EINVAL if e or fn is
 * NULL, ORCA_ENOMEM if its scratch space cannot be allocated (nothing is
 * written then). */
ORCA_API int orca_engine_dump(const orca_engine *e, orca_write_fn fn, void *data);

/* Walk every index and prove it consistent with the objects (capacity never
 * exceeded, each interaction in exactly one place, no waiting interaction
 * left with an eligible ready agent). 0 or ORCA_ECORRUPT. Costs O(state). */
ORCA_API int orca_engine_check(const orca_engine *e);

/* ------------------------------------------------------------------------ */
/* Skills                                                                   */
/* ------------------------------------------------------------------------ */

typedef uint32_t orca_skill_id;

/* Intern a skill tag ("billing", "fr", "vip"): returns its dense id (1, 2,
 * ... in order of creation; 0 is never a skill), the same id every time for
 * the same name. 1..ORCA_NAME_MAX bytes, no NUL.
 * ORCA_EINVAL (NULL e or out, empty name), ORCA_ETOOLONG, and for a new name
 * ORCA_ELIMIT (max_skills), ORCA_EBUSY (inside a listener), ORCA_ENOMEM,
 * ORCA_EIO (the journal failed; the change is made). */
ORCA_API int orca_skill_intern(orca_engine *e, const char *name, orca_skill_id *out);

/* Look a skill up without creating it; ORCA_ENOENT if unknown. */
ORCA_API int orca_skill_find(const orca_engine *e, const char *name, orca_skill_id *out);

/* The name of a skill id, or NULL if unknown (0 included). */
ORCA_API const char *orca_skill_name(const orca_engine *e, orca_skill_id id);

/* A skill at a level: what an agent holds, or what work requires (the agent
 * must hold the skill at level >= this one). Levels are 1..100. */
typedef struct orca_skill_level {
    orca_skill_id skill;
    uint8_t level;
} orca_skill_level;

/* ------------------------------------------------------------------------ */
/* Channels                                                                 */
/* ------------------------------------------------------------------------ */

typedef uint32_t orca_channel_id;

/* Built-in channels, registered in every engine with these costs (capacity
 * units out of an agent's usual 100) and no callbacks. */
enum {
    ORCA_CHANNEL_VOICE = 0,    /* cost 100 */
    ORCA_CHANNEL_CHAT = 1,     /* cost 25 */
    ORCA_CHANNEL_EMAIL = 2,    /* cost 10 */
    ORCA_CHANNEL_SMS = 3,      /* cost 10 */
    ORCA_CHANNEL_SOCIAL = 4,   /* cost 10 */
    ORCA_CHANNEL_VIDEO = 5,    /* cost 100 */
    ORCA_CHANNEL_CALLBACK = 6, /* cost 100 */
    ORCA_CHANNEL_BUILTIN_COUNT = 7
};

/* How a finished interaction ended, in a customer's history. */
typedef enum orca_outcome {
    ORCA_OUTCOME_COMPLETED = 1,   /* answered by an agent and finished */
    ORCA_OUTCOME_ABANDONED = 2,   /* the customer left before an answer */
    ORCA_OUTCOME_CANCELLED = 3,   /* the host withdrew it */
    ORCA_OUTCOME_TIMED_OUT = 4,   /* max wait (or a hard agent wait) ran out */
    ORCA_OUTCOME_TRANSFERRED = 5, /* handed to a new leg (orca_interaction_transfer) */
    ORCA_OUTCOME_CONTAINED = 6,   /* resolved by the bot, no person needed */
    ORCA_OUTCOME_UNREACHED = 7    /* callback: the customer could not be reached */
} orca_outcome;

/* One finished interaction in a customer's history. */
typedef struct orca_history_entry {
    uint64_t interaction;
    uint64_t conversation;     /* the host's conversation id; 0: none */
    uint32_t queue;            /* orca_queue_id it ended in */
    orca_channel_id channel;
    uint64_t agent;            /* agent who answered it; 0: nobody */
    uint64_t arrival_ms;       /* first arrival (kept across transfers) */
    uint64_t answer_ms;        /* accepted (when agent != 0) */
    uint64_t end_ms;           /* left the engine */
    orca_outcome outcome;
    uint32_t disposition;      /* orca_interaction_set_disposition; 0: none */
} orca_history_entry;

/* What the host is told when the engine offers work, and passed back when
 * an offer is withdrawn. */
typedef struct orca_offer {
    uint64_t interaction;       /* interaction id */
    uint64_t agent;             /* agent id */
    uint32_t queue;             /* orca_queue_id */
    orca_channel_id channel;
    uint64_t customer;
    uint64_t arrival_ms;        /* original arrival (kept across requeues) */
    uint64_t offered_ms;
    uint64_t expires_ms;        /* offered_ms + the queue's offer timeout,
                                   at most ORCA_TIME_MAX - 1; UINT64_MAX
                                   with ORCA_TIMEOUT_NEVER */
    uint32_t attempt;           /* 1 for the first offer, 2 after one reject... */
    void *interaction_data;     /* orca_interaction_def.data */
    void *agent_data;           /* orca_agent_def.data */
    /* The customer's story, so the agent sees it before accepting (offer
     * callback only; NULL/0 in withdraw): the customer's finished
     * interactions, newest first, valid until the callback returns. */
    uint64_t conversation;
    const orca_history_entry *history;
    uint32_t nhistory;
    uint32_t open;              /* the customer's other live interactions */
} orca_offer;

/* Why an offer was withdrawn (the withdraw callback's reason). */
typedef enum orca_withdraw_reason {
    ORCA_WITHDRAW_TIMEOUT = 1,   /* nobody answered within the offer timeout */
    ORCA_WITHDRAW_ABANDONED = 2, /* the customer left */
    ORCA_WITHDRAW_CANCELLED = 3, /* the host cancelled the interaction */
    ORCA_WITHDRAW_AGENT_REMOVED = 4,
    ORCA_WITHDRAW_RECOVERED = 5  /* pending when the process stopped */
} orca_withdraw_reason;

/*
 * A channel's callbacks. offer() is called after the public call that made
 * the decision has finished changing state, so it may call back into the
 * engine (accept or reject at once, for example). withdraw() is called
 * synchronously and must not call mutating functions (they return
 * ORCA_EBUSY); it is only called for offers whose offer() was delivered.
 * Either may be NULL.
 */
typedef struct orca_channel_callbacks {
    void (*offer)(void *data, const orca_offer *offer);
    void (*withdraw)(void *data, const orca_offer *offer,
                     orca_withdraw_reason reason);
} orca_channel_callbacks;

typedef struct orca_channel_def {
    const char *name;          /* 1..ORCA_NAME_MAX bytes, unique */
    uint32_t cost;             /* capacity units one interaction uses, 1..ORCA_CAPACITY_MAX */
    uint32_t wrapup_ms;        /* wrap-up after each interaction, unless the queue sets one */
    const orca_channel_callbacks *callbacks; /* copied; may be NULL */
    void *data;                /* passed to the callbacks */
} orca_channel_def;

/* Register a host channel ("whatsapp"); ORCA_ELIMIT past ORCA_MAX_CHANNELS. */
ORCA_API int orca_channel_add(orca_engine *e, const orca_channel_def *def, orca_channel_id *out);
/* The id of the channel called name, in *out. ORCA_EINVAL (NULL or empty
 * name, NULL out), ORCA_ETOOLONG, ORCA_ENOENT if there is none. */
ORCA_API int orca_channel_find(const orca_engine *e, const char *name, orca_channel_id *out);
/* The channel's name, or NULL for an unknown id (or NULL e). */
ORCA_API const char *orca_channel_name(const orca_engine *e, orca_channel_id id);
/* Set (or replace) the callbacks of any channel, built-in ones included.
 * ORCA_EINVAL (NULL e), ORCA_EBUSY (inside a listener or callback),
 * ORCA_ENOENT (unknown channel). */
ORCA_API int orca_channel_set_callbacks(orca_engine *e, orca_channel_id id,
                               const orca_channel_callbacks *callbacks, void *data);
/* Change a channel's wrap-up time (cost is fixed once work may use it).
 * ORCA_EINVAL (NULL e), ORCA_EBUSY, ORCA_ENOENT (unknown channel), ORCA_EIO
 * (the journal failed; the change is made). */
ORCA_API int orca_channel_set_wrapup(orca_engine *e, orca_channel_id id, uint32_t wrapup_ms);

/* ------------------------------------------------------------------------ */
/* Queues                                                                   */
/* ------------------------------------------------------------------------ */

typedef uint32_t orca_queue_id; /* 1, 2, ...; 0 means "none" */
#define ORCA_QUEUE_NONE 0u

/* How a queue picks among eligible ready agents (see DESIGN.md "Routing
 * rules" for the exact keys; ties go to the longest idle, then lowest id). */
typedef enum orca_strategy {
    ORCA_STRATEGY_LONGEST_IDLE = 0,   /* longest since last work ended / became ready */
    ORCA_STRATEGY_LEAST_OCCUPIED = 1, /* fewest capacity units in use */
    ORCA_STRATEGY_MOST_PROFICIENT = 2,/* highest sum of levels on required+preferred skills */
    ORCA_STRATEGY_ROUND_ROBIN = 3,    /* least recently offered anything */
    ORCA_STRATEGY_FEWEST_HANDLED = 4, /* fewest interactions accepted */
    ORCA_STRATEGY_WEIGHTED_RANDOM = 5,/* random, in proportion to agent weight (seeded) */
    /* Top-down (FreeSWITCH top-down, app_queue linear): always in the
     * queue's configured order of agents, which is the member tier (lower
     * first; agents serving by skills have the queue's skills_tier), then
     * the lowest agent id. Idle time plays no part: the first ready agent
     * in that order with room gets every offer. */
    ORCA_STRATEGY_TOP_DOWN = 6,
    /* Packing (OpenSIPS call_center full-load, the opposite of
     * LEAST_OCCUPIED): the agent with the most capacity units in use first,
     * so an agent who has chats is filled before another is started and
     * the others stay whole for voice; ties go to the longest idle, then
     * the lowest id. */
    ORCA_STRATEGY_PACKING = 7,
    /* Least busy (the fair strategy): the agent with the least work held
     * so far first: capacity units in use times the time held, over every
     * channel and state (offered, busy, wrap-up), summed since the agent
     * was added (orca_agent_info.busy_units_ms); so a minute on a call
     * costing 100 counts as four minutes on a chat costing 25. Ties go to
     * the longest idle, then the lowest id. The key only grows with time,
     * which keeps it O(log n): it is deliberately not divided by the time
     * the agent was ready (a per-hour figure falls while an agent waits),
     * nor by capacity (which an update may change). */
    ORCA_STRATEGY_LEAST_BUSY = 8
} orca_strategy;

/* Who serves a queue: its members, agents holding the queue's skills, or both. */
#define ORCA_SERVE_MEMBERS 1u
#define ORCA_SERVE_SKILLS 2u

/* A routing step: once an interaction has waited after_ms in the queue, its
 * requirements relax; it keeps its place (arrival time) meanwhile. */
typedef enum orca_step_action {
    ORCA_STEP_SET_LEVEL = 1,      /* required skill's minimum becomes level */
    ORCA_STEP_DROP_REQUIRED = 2,  /* required skill is dropped */
    ORCA_STEP_DROP_PREFERRED = 3  /* preferred skill is dropped */
} orca_step_action;

typedef struct orca_step {
    uint32_t after_ms;         /* since the interaction entered the queue */
    orca_step_action action;
    orca_skill_id skill;
    uint8_t level;             /* for ORCA_STEP_SET_LEVEL */
} orca_step;

#define ORCA_WRAPUP_CHANNEL UINT32_MAX /* queue wrap-up: use the channel's */

typedef struct orca_queue_def {
    const char *name;          /* 1..ORCA_NAME_MAX bytes, unique */
    orca_strategy strategy;
    uint32_t serve;            /* ORCA_SERVE_* flags; 0 means MEMBERS */
    const orca_skill_level *skills; /* with ORCA_SERVE_SKILLS: an agent holding
                                       all of these serves the queue */
    uint32_t nskills;
    uint8_t skills_tier;       /* tier of agents serving by skills (members
                                  use their own tier); lower is offered first */
    uint32_t max_size;         /* waiting + offered; 0: unlimited. Enqueue past
                                  it returns ORCA_EFULL. */
    uint32_t max_wait_ms;      /* 0: unlimited; then ORCA_EV_TIMED_OUT */
    uint32_t aging_ms;         /* 0: none; else +1 effective priority per
                                  aging_ms waited, up to aging_max */
    uint8_t aging_max;         /* 0: ORCA_PRIORITY_MAX */
    uint32_t wrapup_ms;        /* ORCA_WRAPUP_CHANNEL (the default from
                                  orca_queue_def_init) or a time */
    uint32_t sla_ms;           /* service-level target: answered within it */
    uint32_t offer_timeout_ms; /* 0: the engine's; ORCA_TIMEOUT_NEVER: none */
    const orca_step *steps;    /* sorted by after_ms */
    uint32_t nsteps;
    uint32_t overflow_after_ms;/* 0: no overflow */
    orca_queue_id overflow_to; /* queue to move to (keeping arrival time);
                                  needed with overflow_after_ms: ORCA_EINVAL
                                  if none, ORCA_ENOENT if unknown */
    /* Last-agent (sticky) routing: new work of a known customer is held for
     * the agent who last answered that customer (in the same conversation
     * when the work names one and it has an answered interaction, else any
     * of the customer's), for sticky_ms, if that agent is logged in and
     * eligible for the work; then anyone eligible (a soft agent target, see
     * orca_interaction_def.agent). 0: off. */
    uint32_t sticky_ms;
    uint32_t sticky_within_ms; /* only if that answer was at most this long
                                  ago; 0: any answer still in the history */
    /* Callbacks that fail to reach the customer (orca_interaction_unreached)
     * are tried again after callback_retry_ms (0: 300,000), keeping their
     * place, up to callback_attempts tries in all (0: 3). */
    uint32_t callback_attempts;
    uint32_t callback_retry_ms;
    /* Abandon and resume: a known customer who abandons WAITING work and
     * comes back to this queue within resume_ms gets the old place back
     * (arrival time and order). 0: off. */
    uint32_t resume_ms;
} orca_queue_def;

/* Zero def and set wrapup_ms = ORCA_WRAPUP_CHANNEL, strategy LONGEST_IDLE,
 * serve MEMBERS. */
ORCA_API void orca_queue_def_init(orca_queue_def *def);

/* Add a queue described by def; its id (1, 2, ...) in *out (out may be
 * NULL). ORCA_EINVAL (NULL e or def, empty name, bad strategy, serve,
 * a skill listed twice, steps out of order or a bad step action,
 * overflow_to without
 * overflow_after_ms), ORCA_ETOOLONG (name), ORCA_EEXIST (name taken),
 * ORCA_ENOENT (unknown skill, or overflow to an unknown queue),
 * ORCA_ERANGE (a level, too many skills or steps), ORCA_ELIMIT
 * (max_queues), ORCA_EBUSY (inside a listener), ORCA_ENOMEM, ORCA_EIO
 * (journal write failed; the queue was added). */
ORCA_API int orca_queue_add(orca_engine *e, const orca_queue_def *def, orca_queue_id *out);

/* Change queue q's settings live to def's: max_size, wrapup_ms, sla_ms,
 * sticky_ms, sticky_within_ms, callback_attempts, callback_retry_ms and
 * resume_ms (a configuration reload's edits). They apply from now on: to
 * work that enters the queue, to the next wrap-ups, to what is answered
 * next. What decides how the queue routes, or a deadline already set on
 * its live work, cannot change this way (an engine rebuilt from a new
 * definition can): def's name, strategy, serve, skills (as a set),
 * skills_tier, steps, aging, max_wait_ms, offer_timeout_ms and overflow
 * must be q's as they are (0 for serve and aging_max meaning their
 * defaults, as for orca_queue_add). ORCA_EINVAL (NULL e or def, or one of
 * those that differs), ORCA_ENOENT (unknown queue), ORCA_EBUSY (inside a
 * listener), ORCA_EIO (journal write failed; the change was made). A
 * refused call changes nothing. */
ORCA_API int orca_queue_update(orca_engine *e, orca_queue_id q, const orca_queue_def *def);
/* The id of the queue called name, in *out. ORCA_EINVAL (NULL or empty
 * name, NULL out), ORCA_ETOOLONG, ORCA_ENOENT if there is none. */
ORCA_API int orca_queue_find(const orca_engine *e, const char *name, orca_queue_id *out);
/* The queue's name, or NULL for an unknown id (or NULL e). */
ORCA_API const char *orca_queue_name(const orca_engine *e, orca_queue_id id);

/* Make an agent a member of a queue at a tier (0..ORCA_TIER_MAX; lower tiers
 * are offered first, as mod_callcenter tiers and app_queue penalties).
 * ORCA_EINVAL (agent 0), ORCA_ENOENT (unknown queue or agent), ORCA_ERANGE
 * (tier), ORCA_EEXIST (already a member), ORCA_EBUSY, ORCA_ENOMEM, ORCA_EIO
 * (the journal failed; the change is made). */
ORCA_API int orca_queue_member_add(orca_engine *e, orca_queue_id q, uint64_t agent, uint32_t tier);
/* Stop the agent being a member of the queue (it may still serve it by
 * skill). Work held for it there is released if it no longer serves it.
 * ORCA_EINVAL (agent 0), ORCA_ENOENT (unknown queue or agent, or not a
 * member), ORCA_EBUSY, ORCA_ENOMEM, ORCA_EIO (journal). */
ORCA_API int orca_queue_member_remove(orca_engine *e, orca_queue_id q, uint64_t agent);
/* Remove queue q. Refused with ORCA_ESTATE while any live interaction is in
 * it (waiting, offered, busy, wrap-up, scheduled or with a bot: end, cancel
 * or transfer them first) or overflowed out of it, or while another queue
 * overflows to it or redirects to it when closed; nothing changes then. Otherwise its members'
 * memberships and ranks go, with every cached index that names it, event
 * ORCA_EV_QUEUE_REMOVED. Its id is never given again (every call naming it
 * then answers ORCA_ENOENT, as for an id never used); its name is free
 * for a new queue; figures already in an orca_stats stay readable.
 * ORCA_EINVAL: e NULL; ORCA_ENOENT: no queue q; ORCA_EBUSY: called from
 * a listener or withdraw callback. Costs O(live interactions + agents +
 * queues + cached plans): an administrative call. */
ORCA_API int orca_queue_remove(orca_engine *e, orca_queue_id q);

typedef struct orca_queue_info {
    orca_queue_id id;
    const char *name;
    orca_strategy strategy;
    uint32_t waiting;          /* routable, not offered */
    uint32_t offered;          /* waiting for an agent's answer */
    uint32_t members;
    uint64_t oldest_arrival_ms;/* of waiting work; 0 if none */
} orca_queue_info;

/* Fill *out with the queue's state. ORCA_EINVAL (NULL e or out),
 * ORCA_ENOENT (unknown queue). */
ORCA_API int orca_queue_info_get(const orca_engine *e, orca_queue_id q, orca_queue_info *out);

/*
 * Opening hours. The engine's clock is read as Unix time in ms (UTC), as a
 * host driving it from the wall clock (or the libuv adapter) gives it.
 * A queue with hours is open inside any of its weekly ranges, in local time
 * (UTC + utc_offset_min), unless an exception covering that instant says
 * otherwise (holidays: closed; special openings: open; the last matching
 * exception wins). A queue without hours is always open.
 *
 * New work (enqueue, transfer, escalation) for a closed queue gets its
 * when_closed action; work already waiting is routed as usual (agents
 * finish the queue). "Closed" is read at the time the work would become
 * routable: now, or for a callback slot its not_before_ms less early_ms.
 * So a callback booked while the queue is closed for a slot when it will
 * be open is taken, and one booked for a slot when it will be closed gets
 * the action now (REJECT: refused at the call, while the host can offer
 * the customer another slot; HOLD: held until the opening after the slot).
 * Hours changed after the booking do not revisit scheduled work. The
 * actions:
 *  - ORCA_CLOSED_REJECT: ORCA_ECLOSED, event REJECTED_CLOSED, nothing kept;
 *  - ORCA_CLOSED_HOLD: SCHEDULED until the queue next opens (event
 *    SCHEDULED, reason ORCA_SCHED_CLOSED); ORCA_ECLOSED if it never opens
 *    again within the schedule's reach (a year). Bot work is not held: the
 *    bot answers at once, open or not (reject and redirect still apply);
 *  - ORCA_CLOSED_REDIRECT: the work goes to redirect_to instead (which may
 *    apply its own hours; at most 8 hops, then ORCA_ECLOSED); ENQUEUED
 *    names it, with queue_from = the closed queue and bit
 *    ORCA_ENQ_REDIRECTED.
 */
typedef struct orca_hours_range {
    uint32_t day;              /* 0 Sunday .. 6 Saturday (local) */
    uint32_t open_min;         /* minutes after local midnight, 0..1439 */
    uint32_t close_min;        /* open_min < close_min <= 1440 */
} orca_hours_range;

typedef struct orca_hours_exception {
    uint64_t from_ms, to_ms;   /* [from, to), clock time; from < to */
    uint32_t open;             /* 0: closed (holiday), 1: open */
} orca_hours_exception;

typedef enum orca_closed_action {
    ORCA_CLOSED_REJECT = 0,
    ORCA_CLOSED_HOLD = 1,
    ORCA_CLOSED_REDIRECT = 2
} orca_closed_action;

#define ORCA_HOURS_MAX 64      /* ranges, and exceptions, per queue */

typedef struct orca_hours {
    int32_t utc_offset_min;    /* -840..840 */
    const orca_hours_range *ranges;
    uint32_t nranges;          /* 0..ORCA_HOURS_MAX (0 and no open
                                  exception: always closed) */
    const orca_hours_exception *exceptions;
    uint32_t nexceptions;      /* 0..ORCA_HOURS_MAX */
    orca_closed_action when_closed;
    orca_queue_id redirect_to; /* for ORCA_CLOSED_REDIRECT; not the queue */
} orca_hours;

/* Set (copying) or, with hours NULL, clear a queue's opening hours.
 * ORCA_EINVAL (NULL e; ranges or exceptions NULL with a count; an
 * exception's open not 0 or 1; a bad when_closed; redirect_to set without
 * ORCA_CLOSED_REDIRECT, or naming q itself), ORCA_ERANGE (more than
 * ORCA_HOURS_MAX ranges or exceptions, utc_offset_min outside -840..840, a
 * range's day or minutes out of range or empty, an exception empty or ending
 * past ORCA_TIME_MAX), ORCA_ENOENT (unknown queue or redirect queue),
 * ORCA_EBUSY, ORCA_ENOMEM, ORCA_EIO (the journal failed; the change is
 * made). */
ORCA_API int orca_queue_set_hours(orca_engine *e, orca_queue_id q, const orca_hours *hours);
/* Is q open at the engine's clock? *next_change_ms: the next instant it
 * opens or closes (UINT64_MAX if never, within a year).
 * ORCA_EINVAL (NULL e or open; next_change_ms may be NULL), ORCA_ENOENT
 * (unknown queue). */
ORCA_API int orca_queue_is_open(const orca_engine *e, orca_queue_id q, int *open,
                       uint64_t *next_change_ms);

/* ------------------------------------------------------------------------ */
/* Agents                                                                   */
/* ------------------------------------------------------------------------ */

typedef enum orca_presence {
    ORCA_PRESENCE_OFFLINE = 0,
    ORCA_PRESENCE_READY = 1,
    ORCA_PRESENCE_NOT_READY = 2
} orca_presence;

/* Reason codes for NOT_READY are the host's, except this one. */
#define ORCA_REASON_NO_ANSWER 0xFFFF0001u

/* Per-channel concurrency: at most max interactions of that channel at once. */
typedef struct orca_channel_limit {
    orca_channel_id channel;
    uint32_t max;              /* 1..1000 */
} orca_channel_limit;

typedef struct orca_agent_def {
    uint64_t id;
    const orca_skill_level *skills; /* each skill at most once; level 1..100 */
    uint32_t nskills;          /* 0..ORCA_MAX_AGENT_SKILLS */
    uint32_t capacity;         /* units, 1..ORCA_CAPACITY_MAX (default 100) */
    const orca_channel_limit *limits; /* channels the agent takes; a channel
                                  not listed is never offered to the agent.
                                  orca_agent_def_init points this at the
                                  built-in blend (see there) */
    uint32_t nlimits;
    uint32_t weight;           /* weighted random, 1..ORCA_WEIGHT_MAX (default 1) */
    void *data;                /* handed back in offers */
} orca_agent_def;

/* Zero def and set capacity 100, weight 1 and the usual blend of the
 * built-in channels as limits: voice 1, chat 3, email 5, and 1 each of sms,
 * social, video and callback (a read-only table inside the library; point
 * limits at your own array to change it, and to add host channels). With
 * the built-in costs and capacity 100, that is one call, or up to 3 chats
 * and emails as the capacity allows. */
ORCA_API void orca_agent_def_init(orca_agent_def *def);

/* Add an agent; it starts OFFLINE.
 * ORCA_EINVAL (NULL e or def, id 0, a skill or channel listed twice, NULL
 * skills or limits with a count, or an agent that could never be offered
 * anything: no limits at all, or only channels that cost more than its
 * capacity; park an agent with its presence instead), ORCA_ENOENT (unknown
 * skill or channel), ORCA_ERANGE (more than ORCA_MAX_AGENT_SKILLS skills or
 * ORCA_MAX_CHANNELS limits, a level, capacity, weight or limit out of
 * range), ORCA_EEXIST (id taken), ORCA_ELIMIT (max_agents), ORCA_EBUSY,
 * ORCA_ENOMEM, ORCA_EIO (the journal failed; the change is made). */
ORCA_API int orca_agent_add(orca_engine *e, const orca_agent_def *def);
/* Replace an agent's skills, capacity, limits, weight and data (by def->id).
 * Work in progress is kept even if it now exceeds the capacity; no new work
 * is offered until it fits.
 * The errors of orca_agent_add, but ORCA_ENOENT for an unknown id and no
 * ORCA_EEXIST or ORCA_ELIMIT. */
ORCA_API int orca_agent_update(orca_engine *e, const orca_agent_def *def);
/* Remove an agent. Pending offers are withdrawn (the work goes back to its
 * queue, keeping its place). ORCA_ESTATE if it has accepted or wrap-up work. */
ORCA_API int orca_agent_remove(orca_engine *e, uint64_t id);
/* Presence: READY makes the agent available at once (it is given the best
 * waiting work it can serve). NOT_READY and OFFLINE stop new offers; pending
 * offers and work in progress are kept. reason is the host's code.
 * ORCA_EINVAL (NULL e, id 0, bad presence), ORCA_ENOENT (unknown agent),
 * ORCA_EBUSY, ORCA_EIO (the journal failed; the change is made). */
ORCA_API int orca_agent_set_presence(orca_engine *e, uint64_t id, orca_presence p, uint32_t reason);
/* Rank a queue for this agent (0..ORCA_RANK_MAX, lower first, default 0):
 * an agent serving several queues gets work by (rank, priority, arrival),
 * so equal ranks mean one global order, as Amazon Connect routing profiles.
 * ORCA_EINVAL (NULL e, id 0), ORCA_ENOENT (unknown agent or queue),
 * ORCA_ERANGE (rank), ORCA_EBUSY, ORCA_ENOMEM, ORCA_EIO (the journal failed;
 * the change is made). */
ORCA_API int orca_agent_set_queue_rank(orca_engine *e, uint64_t agent, orca_queue_id q, uint32_t rank);

typedef struct orca_agent_info {
    uint64_t id;
    orca_presence presence;
    uint32_t reason;
    uint32_t capacity, used;   /* units */
    uint32_t offered, busy, wrapup; /* interactions in each work state */
    uint32_t handled;          /* accepted since added */
    uint32_t missed;           /* consecutive offer timeouts */
    uint64_t idle_since_ms;    /* last work ended or became READY */
    void *data;
    uint64_t busy_units_ms;    /* capacity units in use times ms, summed since
                                  added (ORCA_STRATEGY_LEAST_BUSY's key) */
} orca_agent_info;

/* Fill *out with the agent's state. ORCA_EINVAL (NULL e or out, id 0),
 * ORCA_ENOENT (unknown agent). */
ORCA_API int orca_agent_info_get(const orca_engine *e, uint64_t id, orca_agent_info *out);

/* ------------------------------------------------------------------------ */
/* Interactions                                                             */
/* ------------------------------------------------------------------------ */

typedef enum orca_interaction_state {
    ORCA_STATE_WAITING = 1,    /* queued, routable */
    ORCA_STATE_OFFERED = 2,    /* offered to an agent, waiting for the answer */
    ORCA_STATE_BUSY = 3,       /* accepted, in progress */
    ORCA_STATE_WRAPUP = 4,     /* ended, agent in after-work */
    ORCA_STATE_SCHEDULED = 5,  /* not routable until its time: a callback
                                  slot, a retry, or a closed queue's opening */
    ORCA_STATE_BOT = 6         /* with a bot (self-service): not routable,
                                  counted; escalate or end it */
} orca_interaction_state;

typedef struct orca_interaction_def {
    uint64_t id;               /* unique among live interactions */
    orca_queue_id queue;
    orca_channel_id channel;
    uint64_t customer;         /* host's customer id (0: unknown) */
    uint32_t priority;         /* 0..ORCA_PRIORITY_MAX, higher first */
    const orca_skill_level *required; /* each skill at most once */
    uint32_t nrequired;        /* 0..ORCA_MAX_REQUIRED */
    const orca_skill_level *preferred;/* raise an agent's rank; at most once each */
    uint32_t npreferred;       /* 0..ORCA_MAX_PREFERRED */
    void *data;                /* handed back in offers */
    uint64_t conversation;     /* host's conversation id (0: none): links
                                  interactions of one conversation across
                                  channels in the customer's history */
    /* A named agent (0: none; the agent must exist). The work is offered to
     * nobody else while it waits for them:
     *  - soft (agent_required 0): for agent_wait_ms, then to anyone
     *    eligible; also released at once when the agent goes OFFLINE, is
     *    removed, is no longer eligible, or declines (reject or offer
     *    timeout). agent_wait_ms 0: offered to the agent only if they can
     *    take it right now, else to anyone.
     *  - hard (agent_required 1): nobody else, ever. After agent_wait_ms
     *    (0: no limit) or when the agent is removed, the work times out
     *    (ORCA_EV_TIMED_OUT, outcome ORCA_OUTCOME_TIMED_OUT).
     * The agent must be eligible for the work (skills, membership) to be
     * offered it. A named agent overrides the queue's sticky routing. */
    uint64_t agent;
    uint32_t agent_wait_ms;
    uint32_t agent_required;   /* 0 soft, 1 hard */
    /* Callbacks: not routable before not_before_ms (a slot the customer
     * picked; 0: now; in the past: ORCA_ERANGE), but offered from
     * not_before_ms - early_ms so an agent is ready on time. Waiting
     * figures (arrival_ms) start when it becomes routable. A named agent's
     * wait and sticky_ms count from then too. */
    uint64_t not_before_ms;
    uint32_t early_ms;
    uint32_t bot;              /* 1: start with a bot (ORCA_STATE_BOT) */
} orca_interaction_def;

/* Zero def. */
ORCA_API void orca_interaction_def_init(orca_interaction_def *def);

/* Queue new work; it is offered at once if an eligible agent is ready.
 * ORCA_EFULL if the queue is at max_size (nothing is kept). */
ORCA_API int orca_interaction_enqueue(orca_engine *e, const orca_interaction_def *def);
/* The agent takes the offered interaction: OFFERED -> BUSY.
 * ORCA_EINVAL (NULL e, id 0), ORCA_ENOENT (unknown interaction), ORCA_ESTATE
 * (not OFFERED), ORCA_EBUSY, ORCA_EIO (the journal failed; the change is
 * made). */
ORCA_API int orca_offer_accept(orca_engine *e, uint64_t interaction);
/* The agent declines: the interaction goes back to WAITING with its place
 * and arrival time, and is not offered to the same agent for
 * reoffer_delay_ms.
 * ORCA_EINVAL (NULL e, id 0), ORCA_ENOENT (unknown interaction), ORCA_ESTATE
 * (not OFFERED), ORCA_EBUSY, ORCA_ENOMEM, ORCA_EIO (the journal failed; the
 * change is made). */
ORCA_API int orca_offer_reject(orca_engine *e, uint64_t interaction);
/* The conversation ended: BUSY -> WRAPUP (for the queue's or channel's
 * wrap-up time) or, with no wrap-up, done and forgotten.
 * Ending BOT work counts it as contained (see orca_interaction_def.bot).
 * ORCA_EINVAL (NULL e, id 0), ORCA_ENOENT (unknown interaction), ORCA_ESTATE
 * (not BUSY or BOT), ORCA_EBUSY, ORCA_EIO (the journal failed; the change is
 * made). */
ORCA_API int orca_interaction_end(orca_engine *e, uint64_t interaction);
/* The agent finished wrap-up early: WRAPUP -> done and forgotten.
 * ORCA_EINVAL (NULL e, id 0), ORCA_ENOENT (unknown interaction), ORCA_ESTATE
 * (not WRAPUP), ORCA_EBUSY, ORCA_EIO (the journal failed; the change is
 * made). */
ORCA_API int orca_interaction_wrapup_done(orca_engine *e, uint64_t interaction);
/* The customer left while WAITING, OFFERED, SCHEDULED or BOT: forgotten.
 * ORCA_EINVAL (NULL e, id 0), ORCA_ENOENT (unknown interaction), ORCA_ESTATE
 * (BUSY or WRAPUP), ORCA_EBUSY, ORCA_EIO (the journal failed; the change is
 * made). */
ORCA_API int orca_interaction_abandon(orca_engine *e, uint64_t interaction);
/* The host withdraws WAITING, OFFERED, SCHEDULED or BOT work: forgotten.
 * ORCA_EINVAL (NULL e, id 0), ORCA_ENOENT (unknown interaction), ORCA_ESTATE
 * (BUSY or WRAPUP), ORCA_EBUSY, ORCA_EIO (the journal failed; the change is
 * made). */
ORCA_API int orca_interaction_cancel(orca_engine *e, uint64_t interaction);
/* Change priority of WAITING, OFFERED or SCHEDULED work (a booked callback
 * keeps it for when it is due); arrival time is kept.
 * ORCA_EINVAL (NULL e, id 0), ORCA_ENOENT (unknown interaction), ORCA_ESTATE
 * (another state), ORCA_ERANGE (over ORCA_PRIORITY_MAX), ORCA_EBUSY,
 * ORCA_EIO (the journal failed; the change is made). */
ORCA_API int orca_interaction_set_priority(orca_engine *e, uint64_t interaction, uint32_t priority);
/* The host's disposition code (wrap-up code) for live work, kept in the
 * customer's history when it finishes.
 * ORCA_EINVAL (NULL e, id 0), ORCA_ENOENT (unknown or finished interaction),
 * ORCA_EBUSY, ORCA_EIO (the journal failed; the change is made). */
ORCA_API int orca_interaction_set_disposition(orca_engine *e, uint64_t interaction, uint32_t code);
/* Customer satisfaction (csat 1..5, 0: none) and first-contact resolution
 * (fcr 1 resolved, 0 not, -1 unknown) for live work, reported with its
 * ORCA_EV_COMPLETED event (and so in the figures, orca_stats). */
ORCA_API int orca_interaction_set_survey(orca_engine *e, uint64_t interaction, uint32_t csat,
                                int32_t fcr);

typedef enum orca_transfer_mode {
    /* The agent lets go at once: `from` ends (ORCA_EV_TRANSFERRED, then
     * ORCA_EV_COMPLETED with no wrap-up: the capacity is free now) and
     * the new leg waits in its queue. */
    ORCA_TRANSFER_BLIND = 0,
    /* The agent keeps `from` (BUSY) until the new leg is accepted; then
     * `from` ends as for a blind transfer (TRANSFERRED, COMPLETED, after the
     * leg's ACCEPTED). If the new leg leaves before an answer (abandoned,
     * cancelled, timed out), `from` stays with its agent, nothing is
     * counted as transferred, and the host decides what next. */
    ORCA_TRANSFER_CONSULT = 1
} orca_transfer_mode;

/*
 * Transfer accepted (BUSY) work: to another queue, to a named agent
 * (to->agent, soft or hard as for enqueue), or onto another channel (chat
 * escalated to a call). `to` describes the new leg as for enqueue; its
 * customer and conversation are taken from `from` (to->customer and
 * to->conversation must be 0 or equal), and it keeps from's arrival time,
 * so waiting figures count from the customer's first contact. to->id is
 * from's id (blind only: the id carries on) or a new unused id. `from`
 * enters the customer's history with outcome ORCA_OUTCOME_TRANSFERRED.
 * ORCA_ESTATE if from is not BUSY or already has a consult transfer
 * pending; ORCA_EFULL if the target queue is full (nothing changes).
 */
ORCA_API int orca_interaction_transfer(orca_engine *e, uint64_t from, const orca_interaction_def *to,
                              orca_transfer_mode mode);

/* Self-service: hand BOT work to people. `to` describes the queue,
 * channel, skills, priority, target agent and data as for enqueue (to->id
 * must be the interaction's id; customer and conversation 0 or equal);
 * the bot's context travels in to->data. Waiting figures start now; the
 * event ESCALATED says how long the bot had it. ORCA_ESTATE if not BOT.
 * (orca_interaction_end on BOT work records it as contained.) */
ORCA_API int orca_interaction_escalate(orca_engine *e, uint64_t interaction,
                              const orca_interaction_def *to);

/* Virtual hold: WAITING (or SCHEDULED) work moves to channel `channel`
 * (e.g. ORCA_CHANNEL_CALLBACK) keeping its place (arrival time and order)
 * and its queue; with not_before_ms > now it is SCHEDULED until then (the
 * customer picked a time). The caller hangs up without abandoning.
 * ORCA_EINVAL (NULL e, id 0), ORCA_ENOENT (unknown interaction or channel),
 * ORCA_ESTATE (not WAITING or SCHEDULED), ORCA_ERANGE (not_before_ms in the
 * past or not below ORCA_TIME_MAX), ORCA_EBUSY, ORCA_ENOMEM, ORCA_EIO (the
 * journal failed; the change is made). */
ORCA_API int orca_interaction_callback(orca_engine *e, uint64_t interaction, orca_channel_id channel,
                              uint64_t not_before_ms);

/* The agent could not reach the customer (BUSY callback): the agent is
 * free at once (no wrap-up); the work is SCHEDULED again after the queue's
 * callback_retry_ms keeping its place, or, after callback_attempts tries,
 * forgotten with outcome ORCA_OUTCOME_UNREACHED (event UNREACHED either
 * way; value = tries so far).
 * ORCA_EINVAL (NULL e, id 0), ORCA_ENOENT (unknown interaction), ORCA_ESTATE
 * (not BUSY), ORCA_EBUSY, ORCA_EIO (the journal failed; the change is made). */
ORCA_API int orca_interaction_unreached(orca_engine *e, uint64_t interaction);

typedef struct orca_interaction_info {
    uint64_t id;
    orca_interaction_state state;
    orca_queue_id queue;
    orca_channel_id channel;
    uint64_t customer;
    uint32_t priority;         /* as given */
    uint32_t effective_priority; /* with aging */
    uint64_t arrival_ms;       /* first arrival */
    uint64_t queued_ms;        /* entered the current queue */
    uint64_t agent;            /* offered/busy/wrap-up agent, else 0 */
    uint32_t attempts;         /* offers made so far */
    uint32_t step;             /* routing steps applied */
    uint32_t nrequired;        /* current (relaxed) requirements */
    orca_skill_level required[ORCA_MAX_REQUIRED];
    void *data;
    uint64_t conversation;
    uint64_t target_agent;     /* agent the work is held for; 0: none */
    uint64_t target_until_ms;  /* until then (UINT64_MAX: no limit) */
    uint32_t target_required;  /* 1: hard target */
    uint64_t transfer_to;      /* consult transfer pending: the new leg */
    uint64_t transfer_from;    /* this is a consult leg of that interaction */
    uint32_t disposition;
} orca_interaction_info;

/* Fill *out with the live interaction's state. ORCA_EINVAL (NULL e or out,
 * id 0), ORCA_ENOENT (unknown, or already ended). */
ORCA_API int orca_interaction_info_get(const orca_engine *e, uint64_t interaction,
                              orca_interaction_info *out);

/* ------------------------------------------------------------------------ */
/* Listings and positions                                                   */
/* ------------------------------------------------------------------------ */

/*
 * What a supervisor screen or an IVR reads. Agents and live interactions
 * are listed in id order, an agent's work in interaction id order, and a
 * queue's waiting work in ROUTING ORDER: (effective priority, highest
 * first; then arrival; then enqueue order), the order the queue hands its
 * work out. Waiting work held for one agent (a named or sticky target)
 * counts in its queue's order and positions: that caller is waiting in that
 * queue too. Agent queue ranks are per agent and do not change a queue's
 * order.
 *
 * Listings are paged by a cursor: zero it (orca_cursor c = {0}) to start;
 * each call returns up to cap entries strictly after the cursor's key and
 * moves the cursor to the last entry returned. Fewer than cap entries
 * means the end. Between pages the engine may change: entries added or
 * removed after the cursor appear or not as they are then; an entry whose
 * key changed (its priority aged, say) may be listed again or skipped, as
 * it moved across the cursor. A page of k entries costs O(k + log n), a
 * position O(log n): announcing positions to every waiting caller never
 * scans the queue. The `data` pointers listed are the host's own.
 */
typedef struct orca_cursor {
    uint64_t k1, k2;   /* opaque: the key of the last entry returned */
} orca_cursor;

/* Up to cap agents (with presence and work counts) after *cursor, in id
 * order, into out; their number in *n. ORCA_EINVAL: e, cursor or n NULL,
 * or out NULL with cap > 0. */
ORCA_API int orca_agent_list(const orca_engine *e, orca_cursor *cursor, orca_agent_info *out,
                             uint32_t cap, uint32_t *n);
/* Up to cap live interactions (every state: waiting, offered, busy,
 * wrap-up, scheduled, bot) after *cursor, in id order. ORCA_EINVAL as
 * orca_agent_list. The id index behind it is built by the first call,
 * O(n log n) over the live interactions and without allocating, and kept
 * from then on (an engine never listed does not pay for it per enqueue). */
ORCA_API int orca_interaction_list(const orca_engine *e, orca_cursor *cursor,
                                   orca_interaction_info *out, uint32_t cap, uint32_t *n);
/* Up to cap of queue q's WAITING interactions after *cursor, in routing
 * order (held work included). ORCA_EINVAL as orca_agent_list;
 * ORCA_ENOENT: no queue q. */
ORCA_API int orca_queue_waiting_list(const orca_engine *e, orca_queue_id q, orca_cursor *cursor,
                                     orca_interaction_info *out, uint32_t cap, uint32_t *n);
/* Up to cap of an agent's current work (offered, busy, wrap-up) after
 * *cursor, in interaction id order; costs O(its work) per entry, which its
 * capacity bounds. ORCA_EINVAL as orca_agent_list, or agent 0;
 * ORCA_ENOENT: no such agent. */
ORCA_API int orca_agent_work_list(const orca_engine *e, uint64_t agent, orca_cursor *cursor,
                                  orca_interaction_info *out, uint32_t cap, uint32_t *n);
/* A WAITING interaction's place in its queue's routing order: *ahead
 * interactions of that queue will be handed out before it (its position,
 * as app_queue announces it, is *ahead + 1), and *waiting (if not NULL)
 * is the queue's waiting count. O(log n). ORCA_EINVAL: e or ahead NULL,
 * or interaction 0; ORCA_ENOENT: no such interaction; ORCA_ESTATE: it is
 * not WAITING (offered, busy, scheduled, with a bot...). */
ORCA_API int orca_interaction_position(const orca_engine *e, uint64_t interaction,
                                       uint32_t *ahead, uint32_t *waiting);

/* ------------------------------------------------------------------------ */
/* Events                                                                   */
/* ------------------------------------------------------------------------ */

/* Every state change is one event. Statistics, journals and dashboards are
 * listeners. New types are only ever appended. */
typedef enum orca_event_type {
    ORCA_EV_ENQUEUED = 1,      /* interaction, queue, channel, priority */
    ORCA_EV_OFFERED,           /* interaction, agent, queue; wait_ms so far */
    ORCA_EV_ACCEPTED,          /* interaction, agent; wait_ms = answer time */
    ORCA_EV_REJECTED,          /* interaction, agent */
    ORCA_EV_OFFER_TIMEOUT,     /* interaction, agent */
    ORCA_EV_ENDED,             /* BUSY -> WRAPUP (or done); duration_ms = talk */
    ORCA_EV_COMPLETED,         /* done: capacity freed; duration_ms = wrap-up */
    ORCA_EV_ABANDONED,         /* customer left; wait_ms */
    ORCA_EV_CANCELLED,         /* host withdrew it; wait_ms */
    ORCA_EV_TIMED_OUT,         /* max wait reached; wait_ms */
    ORCA_EV_REJECTED_FULL,     /* enqueue refused, queue full (nothing kept) */
    ORCA_EV_OVERFLOWED,        /* moved from queue_from to queue */
    ORCA_EV_STEP,              /* routing step applied; value = step number */
    ORCA_EV_PRIORITY,          /* effective priority changed; value = new */
    ORCA_EV_AGENT_ADDED,
    ORCA_EV_AGENT_UPDATED,
    ORCA_EV_AGENT_REMOVED,
    ORCA_EV_AGENT_PRESENCE,    /* presence, reason */
    ORCA_EV_MEMBER_ADDED,      /* agent, queue; value = tier */
    ORCA_EV_MEMBER_REMOVED,    /* agent, queue */
    ORCA_EV_QUEUE_ADDED,       /* queue */
    ORCA_EV_CHANNEL_ADDED,     /* channel */
    ORCA_EV_SKILL_ADDED,       /* value = skill id */
    ORCA_EV_TARGET_RELEASED,   /* held work released to anyone; agent = the
                                  one it was held for, value = ORCA_RELEASE_* */
    ORCA_EV_TRANSFERRED,       /* interaction = from, agent = its agent,
                                  other = the new leg, value = mode */
    ORCA_EV_SCHEDULED,         /* not routable until due_ms; value =
                                  ORCA_SCHED_* */
    ORCA_EV_DUE,               /* SCHEDULED work became WAITING */
    ORCA_EV_ESCALATED,         /* BOT -> WAITING; duration_ms = bot time */
    ORCA_EV_CONTAINED,         /* BOT work ended by the bot; duration_ms */
    ORCA_EV_CHANNEL_CHANGED,   /* virtual hold; value = the old channel */
    ORCA_EV_UNREACHED,         /* callback failed; value = tries so far */
    ORCA_EV_REJECTED_CLOSED,   /* enqueue refused: queue closed (nothing kept) */
    ORCA_EV_QUEUE_REMOVED,     /* orca_queue_remove; queue = its id */
    ORCA_EV_TYPE_COUNT
} orca_event_type;

typedef struct orca_event {
    orca_event_type type;
    uint64_t seq;              /* 1, 2, ... per engine */
    uint64_t time_ms;
    uint64_t interaction;      /* 0 if none */
    uint64_t agent;            /* 0 if none */
    orca_queue_id queue;       /* 0 if none */
    orca_queue_id queue_from;  /* OVERFLOWED */
    orca_channel_id channel;
    uint64_t customer;
    uint32_t priority;
    uint64_t arrival_ms;
    uint64_t wait_ms;          /* now - arrival, where it applies */
    uint64_t duration_ms;      /* ENDED: talk time; COMPLETED: wrap-up time */
    uint32_t sla_met;          /* ACCEPTED: 1 if wait <= the queue's sla_ms */
    orca_presence presence;    /* AGENT_PRESENCE */
    uint32_t reason;           /* AGENT_PRESENCE */
    uint32_t value;            /* see each type */
    uint64_t conversation;     /* interaction events */
    uint64_t other;            /* TRANSFERRED: the new leg's id */
    uint64_t due_ms;           /* SCHEDULED: when it becomes routable */
    uint64_t handle_ms;        /* COMPLETED of answered work: talk plus
                                  wrap-up (accept to completion) */
    uint32_t csat;             /* COMPLETED: orca_interaction_set_survey */
    int32_t fcr;               /* COMPLETED: -1 unknown, 0 no, 1 yes */
} orca_event;

/* ORCA_EV_SCHEDULED reasons. */
#define ORCA_SCHED_SLOT 1      /* not_before_ms at enqueue, or a callback time */
#define ORCA_SCHED_RETRY 2     /* unreached callback, tried again later */
#define ORCA_SCHED_CLOSED 3    /* queue closed, work kept until it opens */

/* ORCA_EV_ENQUEUED value bits. */
#define ORCA_ENQ_RECONTACT 1u  /* the customer has history or live work */
#define ORCA_ENQ_SWITCH 2u     /* the conversation's previous interaction
                                  was on another channel */
#define ORCA_ENQ_TARGETED 4u   /* held for ev.agent (named or sticky) */
#define ORCA_ENQ_STICKY 8u     /* ... because of the queue's sticky routing */
#define ORCA_ENQ_TRANSFER 16u  /* a transferred leg */
#define ORCA_ENQ_RESUMED 32u   /* the customer's abandoned place, given back */
#define ORCA_ENQ_REDIRECTED 64u /* the asked queue was closed: queue_from */
#define ORCA_ENQ_ESCALATED 128u /* from a bot */
#define ORCA_ENQ_BOT 256u      /* starts with a bot (ORCA_STATE_BOT) */
#define ORCA_ENQ_SCHEDULED 512u /* not routable yet (SCHEDULED follows) */

/* ORCA_EV_TARGET_RELEASED reasons. */
#define ORCA_RELEASE_EXPIRED 1   /* the wait for the agent ran out */
#define ORCA_RELEASE_OFFLINE 2   /* the agent went OFFLINE or was removed */
#define ORCA_RELEASE_DECLINED 3  /* the agent rejected or let the offer expire */
#define ORCA_RELEASE_INELIGIBLE 4 /* the agent no longer serves the work */

/* Listeners are called synchronously, in registration order, for every
 * event. They must not call mutating functions (those return ORCA_EBUSY). */
typedef void (*orca_listener_fn)(void *data, const orca_event *ev);

/* Call fn(data, ev) for every event from now on; *handle (handle may be
 * NULL) names it for orca_listener_remove. ORCA_EINVAL (NULL e or fn),
 * ORCA_EBUSY (inside a listener or callback), ORCA_ENOMEM. */
ORCA_API int orca_listener_add(orca_engine *e, orca_listener_fn fn, void *data, int *handle);
/* Stop calling the listener with this handle. ORCA_EINVAL (NULL e),
 * ORCA_EBUSY (inside a listener or callback), ORCA_ENOENT (no such
 * handle). */
ORCA_API int orca_listener_remove(orca_engine *e, int handle);

/* "enqueued", "offered", ...; "unknown" for a bad value. */
ORCA_API const char *orca_event_name(orca_event_type type);

/* ------------------------------------------------------------------------ */
/* Customers: history and continuity                                        */
/* ------------------------------------------------------------------------ */

/*
 * The engine keeps, per customer id (orca_interaction_def.customer, never
 * 0), the customer's live interactions and a bounded history of finished
 * ones (orca_config.history_per_customer, newest first). Every offer hands
 * that history to the host (orca_offer.history), sticky routing uses it, and
 * transfers keep it. Memory is bounded: history older than
 * customer_ttl_ms is forgotten, and past max_customers the customer least
 * recently active (with no live work) is forgotten first.
 */
typedef struct orca_customer_info {
    uint64_t customer;
    uint32_t history;          /* entries kept now */
    uint32_t open;             /* live interactions */
    uint64_t last_agent;       /* agent who last answered them; 0: none */
    uint64_t last_answer_ms;   /* when */
    uint64_t last_active_ms;   /* last arrival or finish */
    uint64_t contacts;         /* interactions since the engine first kept
                                  them (reset if forgotten) */
} orca_customer_info;

/* ORCA_ENOENT if the engine keeps nothing about this customer. */
ORCA_API int orca_customer_info_get(const orca_engine *e, uint64_t customer, orca_customer_info *out);
/* Copy up to cap history entries, newest first; *n is how many.
 * ORCA_EINVAL (NULL e or n, customer 0, out NULL with cap > 0), ORCA_ENOENT
 * (the engine keeps nothing about this customer). */
ORCA_API int orca_customer_history(const orca_engine *e, uint64_t customer, orca_history_entry *out,
                          uint32_t cap, uint32_t *n);
/* Ids of the customer's live interactions, oldest first (up to cap).
 * *n is how many. ORCA_EINVAL (NULL e or n, customer 0, ids NULL with cap >
 * 0), ORCA_ENOENT (the engine keeps nothing about this customer). */
ORCA_API int orca_customer_open(const orca_engine *e, uint64_t customer, uint64_t *ids, uint32_t cap,
                       uint32_t *n);
/* Forget a customer (privacy requests). ORCA_ESTATE while they have live
 * work; ORCA_ENOENT if nothing is kept. */
ORCA_API int orca_customer_forget(orca_engine *e, uint64_t customer);

typedef struct orca_customer_totals {
    uint32_t customers;        /* kept now */
    uint64_t contacts;         /* interactions of known customers enqueued */
    uint64_t recontacts;       /* ... of customers with history or live work */
    uint64_t channel_switches; /* ... continuing a conversation on a new channel */
    uint64_t targeted;         /* ... held for a named or sticky agent */
    uint64_t sticky;           /* ... of which by sticky routing */
    uint64_t target_offers;    /* held work offered to the agent it was held for */
    uint64_t transfers;        /* interactions handed over (blind at once,
                                  consult when the new leg is accepted) */
    uint64_t forgotten;        /* customers dropped by age, max_customers or forget */
    /* the rest of the journey (any interaction, known customer or not) */
    uint64_t bot_started;      /* enqueued with a bot */
    uint64_t contained;        /* ... ended by the bot (ORCA_OUTCOME_CONTAINED) */
    uint64_t escalated;        /* ... handed to people */
    uint64_t scheduled;        /* became SCHEDULED (slots, retries, closed) */
    uint64_t virtual_holds;    /* orca_interaction_callback calls */
    uint64_t unreached;        /* orca_interaction_unreached calls */
    uint64_t resumed;          /* abandoned places given back */
    uint64_t closed_rejected;  /* refused: queue closed */
    uint64_t redirected;       /* sent on: queue closed */
} orca_customer_totals;

/* Fill *out with the totals above. ORCA_EINVAL if e or out is NULL. */
ORCA_API int orca_customer_totals_get(const orca_engine *e, orca_customer_totals *out);

/* ------------------------------------------------------------------------ */
/* Staffing: Erlang C and Erlang A                                          */
/* ------------------------------------------------------------------------ */

/*
 * Queueing formulas for planning: how a queue of `agents` identical agents
 * behaves in steady state when work arrives as a Poisson stream
 * (arrivals_per_s) and each piece takes an exponential time with mean
 * handle_s (talk plus wrap-up: whatever keeps an agent from the next one).
 * Order of service is first come, first served.
 *
 *  - Erlang C (M/M/n): nobody gives up. Needs offered load A = arrivals_per_s
 *    * handle_s (in erlangs) below `agents`, or the queue grows for ever.
 *  - Erlang A (M/M/n+M, Palm 1946; Garnett, Mandelbaum and Reiman 2002):
 *    each waiting customer gives up after an exponential patience with mean
 *    patience_s. Stable at any load.
 *
 * They are pure functions of their arguments: no engine, no allocation,
 * thread-safe. Cost O(min(agents, A + 40 sqrt(A))) for the Erlang B
 * recursion they are built on (no factorials, nothing overflows; rounding
 * grows by at most about 2 ulp per agent, and measures 1e-15 relative at
 * 100,000 agents), plus, for Erlang A,
 * O(sqrt(arrivals_per_s * patience_s) + excess) series terms, where excess
 * is patience_s * (arrivals_per_s - agents / handle_s) when overloaded.
 *
 * Definitions (of arrivals, in steady state):
 *  - pwait: probability an arrival finds every agent busy and waits
 *    (abandoned ones included).
 *  - sl: service level, answered within target_s / all arrivals, so an
 *    abandoned arrival counts against it whenever it left (vendors differ:
 *    some leave out abandons within a few seconds, or divide by answered).
 *    An arrival answered at once counts as within target.
 *  - asa_s: average speed of answer, the mean wait of answered arrivals,
 *    those answered at once (wait 0) included.
 *  - wait_s: mean time in queue of all arrivals: until answered, or until
 *    they gave up. Equals asa_s for Erlang C.
 *  - pab: probability an arrival abandons (0 for Erlang C).
 *  - occupancy: fraction of agent time spent handling work:
 *    A * (1 - pab) / agents.
 *  - erlangs: the offered load A = arrivals_per_s * handle_s.
 */
typedef struct orca_erlang {
    double pwait;          /* P(wait > 0) */
    double sl;             /* P(answered and wait <= target_s) */
    double asa_s;          /* E[wait | answered], seconds */
    double wait_s;         /* E[min(wait, patience)], seconds */
    double pab;            /* P(abandon); 0 for Erlang C */
    double occupancy;      /* 0..1 */
    double erlangs;        /* offered load A */
} orca_erlang;

/* Largest offered load (arrivals_per_s * handle_s, and for Erlang A also
 * arrivals_per_s * patience_s) the functions accept: beyond, ORCA_ERANGE. */
#define ORCA_ERLANG_LOAD_MAX 1e7

/*
 * Erlang C for `agents` (>= 1) agents. arrivals_per_s >= 0, handle_s > 0,
 * target_s >= 0, all finite, out not NULL; otherwise ORCA_EINVAL and *out
 * is untouched. No traffic (arrivals_per_s 0) gives pwait 0, sl 1, waits 0.
 * ORCA_ERANGE if the load is at or above `agents` (unstable: the queue
 * grows without bound); *out then holds the limit: pwait 1, sl 0, asa_s and
 * wait_s +infinity, pab 0, occupancy 1, erlangs A. ORCA_ERANGE too if A
 * exceeds ORCA_ERLANG_LOAD_MAX; every field of *out is then NaN.
 *
 * pwait = C(n, A) = n B / (n - A (1 - B)) with B the Erlang B blocking
 * probability; sl = 1 - C e^(-(n - A) target_s / handle_s);
 * asa_s = C handle_s / (n - A).
 */
ORCA_API int orca_erlang_c(uint32_t agents, double arrivals_per_s, double handle_s,
                  double target_s, orca_erlang *out);

/*
 * Erlang A for `agents` (>= 1) agents whose waiting customers give up after
 * an exponential patience of mean patience_s (> 0; +INFINITY means nobody
 * gives up and gives exactly orca_erlang_c(), ORCA_ERANGE included). Other
 * arguments and ORCA_EINVAL as orca_erlang_c(). Any load is stable;
 * ORCA_ERANGE (every field NaN) only past ORCA_ERLANG_LOAD_MAX. As patience
 * shrinks towards 0 the figures tend to Erlang B (whoever would wait
 * leaves at once: pwait = pab = B, asa_s 0).
 *
 * Computed from the law of the offered wait V (the wait of an infinitely
 * patient arrival): P(V > 0) and its density on V > 0 are proportional to
 * arrivals_per_s * exp(y (1 - e^(-x/patience_s)) - agents x / handle_s),
 * y = arrivals_per_s * patience_s; an arrival is answered when V is below
 * its patience. The integrals are summed as positive series (incomplete
 * gamma functions), with scaling, so no cancellation and no overflow.
 */
ORCA_API int orca_erlang_a(uint32_t agents, double arrivals_per_s, double handle_s,
                  double patience_s, double target_s, orca_erlang *out);

/*
 * Staffing: the fewest agents for which Erlang C gives sl >= sl_goal, for
 * answering within target_s (80% in 20 s: sl_goal 0.8, target_s 20), at
 * this rate and handle time. sl_goal is in [0, 1) (0: the fewest agents
 * that keep the queue stable, floor(A) + 1). *agents gets the count and,
 * if out is not NULL, *out the figures at that count. No traffic gives 0
 * agents (and, in *out, sl 1). ORCA_EINVAL on bad arguments (as
 * orca_erlang_c(), and sl_goal outside [0, 1) or NaN, agents NULL);
 * ORCA_ERANGE past ORCA_ERLANG_LOAD_MAX or if more than UINT32_MAX agents
 * would be needed. On failure *agents and *out are untouched.
 * Cost O(A + the agents added above A).
 */
ORCA_API int orca_erlang_agents(double arrivals_per_s, double handle_s, double target_s,
                       double sl_goal, uint32_t *agents, orca_erlang *out);

/* ------------------------------------------------------------------------ */
/* Figures: real-time statistics (orca_stats)                               */
/* ------------------------------------------------------------------------ */

/*
 * orca_stats is a listener: attach one to an engine and it keeps, from the
 * events alone, the figures a supervisor's wallboard shows, per queue, per
 * channel, per agent and overall, both since it was attached and over a
 * sliding window (e.g. the last 15 minutes). Each event costs O(1); memory
 * is constant per queue, channel and agent (plus one small record per
 * interaction waiting now, for the longest wait and positions).
 *
 * Definitions (of events inside the span; "work" = interactions):
 *  - entered: work that started waiting in the queue (enqueued, a callback
 *    or a closed queue's held work becoming due, overflowed in, a transfer
 *    leg, an escalated bot): what most vendors call "offered" to the queue.
 *  - answered: accepted by an agent. abandoned: the customer left before an
 *    answer; abandoned_short: of those, within short_abandon_ms (not held
 *    against the service level). timed_out: max wait (or a hard agent
 *    wait) ran out.
 *  - service_level: answered within the queue's sla_ms (counted from first
 *    arrival) / (answered + abandoned - abandoned_short): abandons after the
 *    short threshold count against it, short ones are left out. This is the
 *    most common definition (Genesys-, Avaya-style "SL with abandons");
 *    some vendors divide by answered only: sl_of_answered is that one.
 *  - asa_ms: mean wait of answered work. avg_wait_ms: mean wait of answered
 *    and abandoned work. wait_p50/p90/p99_ms: nearest-rank percentiles of
 *    the answered waits (the wait of rank ceil(p * answered)), read from a
 *    log-linear histogram: within 1/128 (0.79%) of the true value, exact
 *    below 128 ms, over any wait a uint64_t holds (nothing is capped).
 *  - handled: answered work that completed. aht_ms: mean talk plus wrap-up
 *    of handled work (avg_talk_ms + avg_wrapup_ms).
 *  - occupancy: time agents spent with work (offered, busy or wrap-up) /
 *    that + their idle time (READY with no work; NOT_READY and OFFLINE
 *    time left out), as Avaya CMS counts it per skill. Per agent, and over
 *    all agents for the total. For a channel or a queue: time agents held
 *    work of it / that + idle time of the agents who could take it (for a
 *    channel, a limit on it; for a queue, serving it: a member, or holding
 *    its skills, as its serve flags say). Idle time counts for every
 *    channel and queue the agent could take; an agent with work of several
 *    channels or queues (a chat and an email) works for each of them at
 *    once, so per-channel occupancies need not add up to the total.
 *  - abandoned_short: abandoned after waiting at most short_abandon_ms.
 *  - offers, accepted, rejected, offer_timeouts: offers made and how they
 *    ended. transfers: work handed over (blind, or consult once answered).
 *  - csat_avg over csat_count surveys (1..5); fcr_rate = fcr_resolved /
 *    fcr_count (surveys that said yes or no).
 *  - recontacts: work of customers with history or live work, counted
 *    when it is enqueued (a booked callback too, bots aside).
 *  - waiting, longest_wait_ms: now (WAITING or OFFERED, not yet answered),
 *    whatever the span.
 */
typedef struct orca_stats orca_stats;

typedef struct orca_stats_config {
    uint32_t window_ms;        /* sliding window; 0: 900,000 (15 minutes) */
    uint32_t window_slots;     /* the window moves in window_ms / slots
                                  steps; 0: 15; at most 240 */
    uint32_t short_abandon_ms; /* 0: 5,000; ORCA_STATS_NO_SHORT: none */
} orca_stats_config;

#define ORCA_STATS_NO_SHORT UINT32_MAX

typedef enum orca_span {
    ORCA_SPAN_TOTAL = 0,       /* since the stats were attached */
    ORCA_SPAN_WINDOW = 1       /* the sliding window ending now */
} orca_span;

typedef struct orca_figures {
    uint32_t waiting;
    uint64_t longest_wait_ms;
    uint64_t entered, answered, abandoned, abandoned_short, timed_out;
    uint64_t answered_in_sl;
    double service_level;      /* 0..1; 0 when nothing counts yet */
    double sl_of_answered;     /* answered_in_sl / answered */
    double asa_ms, avg_wait_ms;
    uint64_t wait_p50_ms, wait_p90_ms, wait_p99_ms;
    uint64_t handled;
    double aht_ms, avg_talk_ms, avg_wrapup_ms;
    double occupancy;
    uint64_t offers, accepted, rejected, offer_timeouts;
    uint64_t transfers;
    uint64_t csat_count;
    double csat_avg;
    uint64_t fcr_count, fcr_resolved;
    double fcr_rate;
    uint64_t recontacts;
    uint64_t span_ms;          /* how much time the figures cover */
} orca_figures;

typedef struct orca_agent_figures {
    uint64_t agent;
    orca_presence presence;    /* now */
    uint32_t work;             /* interactions held now (offered..wrap-up) */
    uint64_t offers, accepted, rejected, offer_timeouts;
    uint64_t handled;          /* completed after an answer */
    double aht_ms;
    uint64_t transfers;
    uint64_t csat_count;
    double csat_avg;
    /* time in each state over the span: */
    uint64_t offline_ms, not_ready_ms, idle_ms, working_ms;
    double occupancy;          /* working / (idle + working) */
    uint64_t span_ms;
} orca_agent_figures;

/* Attach figures to e (a listener; cfg may be NULL). Figures start now.
 * ORCA_EINVAL (NULL e or out), ORCA_EBUSY (inside a listener), ORCA_ERANGE
 * (window_slots over the maximum, or window_ms below window_slots),
 * ORCA_ENOMEM. *out is NULL after a failure. */
ORCA_API int orca_stats_new(orca_engine *e, const orca_stats_config *cfg, orca_stats **out);
/* Detach and free (NULL is ok). Call before orca_engine_free. ORCA_EBUSY
 * (and nothing done) from inside a listener. */
ORCA_API int orca_stats_free(orca_stats *s);

/* Figures over every queue and channel for the span. ORCA_EINVAL (NULL s
 * or out, bad span). */
ORCA_API int orca_stats_total(const orca_stats *s, orca_span span, orca_figures *out);
/* Figures of one queue for the span. ORCA_EINVAL (NULL s or out, bad
 * span), ORCA_ENOENT (unknown queue). */
ORCA_API int orca_stats_queue(const orca_stats *s, orca_queue_id q, orca_span span, orca_figures *out);
/* Figures of one channel for the span. ORCA_EINVAL (NULL s or out, bad
 * span), ORCA_ENOENT (unknown channel). */
ORCA_API int orca_stats_channel(const orca_stats *s, orca_channel_id ch, orca_span span,
                       orca_figures *out);
/* ORCA_ENOENT for an agent never seen. */
ORCA_API int orca_stats_agent(const orca_stats *s, uint64_t agent, orca_span span,
                     orca_agent_figures *out);
/*
 * Fairness: how evenly work fell on a group of agents over a span.
 * Longest-idle evens the next minute, not the day; this says how even the
 * day (or the window) was. The group:
 *  - ORCA_GROUP_ALL: every agent the figures know (id must be 0), agents
 *    since removed included, as the total's occupancy counts them;
 *  - ORCA_GROUP_QUEUE: the agents serving queue id now (a member, or
 *    holding its skills, as its serve flags say: the rule of the queue's
 *    occupancy);
 *  - ORCA_GROUP_CHANNEL: the agents who can take channel id now (a limit
 *    on it above 0).
 * Membership is read as it is now; each member's figures are its own over
 * the span, over all its work (orca_stats_agent).
 */
typedef enum orca_group {
    ORCA_GROUP_ALL = 0,
    ORCA_GROUP_QUEUE = 1,
    ORCA_GROUP_CHANNEL = 2
} orca_group;

typedef struct orca_fairness {
    uint32_t agents;           /* agents counted: those of the group with
                                  ready time (idle + working > 0) in the
                                  span */
    uint32_t left_out;         /* agents of the group with no ready time in
                                  the span (offline or not ready all along):
                                  not counted, an absent agent is not an
                                  unfairly idle one */
    /* occupancy of each counted agent: working_ms / (idle_ms + working_ms),
       as orca_agent_figures.occupancy (not weighted by capacity: an agent
       holding any work counts as working) */
    double occ_gini;           /* Gini coefficient of the occupancies: 0 when
                                  all are equal, up to 1 - 1/agents when one
                                  agent has all of it; 0 with no agents or
                                  all occupancies 0 */
    double occ_min, occ_max;   /* lowest and highest occupancy (0, 0 with no
                                  agents) */
    double occ_ratio;          /* occ_max / occ_min; 0 when undefined (no
                                  agents, or occ_min is 0) */
    /* interactions handled (answered and completed) by each counted agent
       in the span, as orca_agent_figures.handled */
    double handled_gini;       /* Gini coefficient of handled counts (0 as
                                  above when none handled anything) */
    uint64_t handled_min, handled_max;
    uint64_t span_ms;          /* how much time the figures cover */
} orca_fairness;

/* The fairness of agent group g (id: 0 for ORCA_GROUP_ALL, a queue id or a
 * channel id) over the span, into *out. Cost O(agents the figures know x
 * queues each serves, for the group test, + n log n for the n counted);
 * no allocation (the room is reserved as agents are first seen).
 * ORCA_EINVAL (NULL s or out, bad span, bad group, id not 0 for
 * ORCA_GROUP_ALL), ORCA_ENOENT (unknown queue or channel). On error *out
 * is untouched; nothing in s changes either way. */
ORCA_API int orca_stats_fairness(const orca_stats *s, orca_group g, uint64_t id, orca_span span,
                                 orca_fairness *out);
/* Events the figures could not follow because memory ran out (figures are
 * then approximate); 0 normally. */
ORCA_API uint64_t orca_stats_dropped(const orca_stats *s);

/* The queue's load over the window, for staffing: arrivals per second
 * (entered / span) and mean handle time in seconds. ORCA_ENOENT while the
 * window has no handled work. */
ORCA_API int orca_stats_load(const orca_stats *s, orca_queue_id q, double *arrivals_per_s,
                    double *handle_s);
/* "How many agents does this queue need right now for sl_goal of its work
 * answered within target_s?": Erlang C at the window's load
 * (orca_erlang_agents).
 * The errors of orca_stats_load (ORCA_EINVAL, ORCA_ENOENT for an unknown
 * queue or a window with no handled work) and of orca_erlang_agents
 * (ORCA_EINVAL, ORCA_ERANGE). */
ORCA_API int orca_stats_agents_needed(const orca_stats *s, orca_queue_id q, double target_s,
                             double sl_goal, uint32_t *agents, orca_erlang *out);
/* Estimated wait for new work entering q now: (waiting + 1) / the rate at
 * which the queue answered work over the window. For waiting work: the
 * same with the number waiting ahead of it in its queue (by arrival).
 * ORCA_ENOENT when the window has no answers yet (no estimate). */
ORCA_API int orca_stats_ewt(const orca_stats *s, orca_queue_id q, uint64_t *ms);
/* Estimated wait of waiting work, from the work ahead of it (see
 * orca_stats_ewt). ORCA_EINVAL (NULL s or ms, id 0), ORCA_ENOENT (not
 * waiting, or no answers in the window yet). */
ORCA_API int orca_stats_ewt_interaction(const orca_stats *s, uint64_t interaction, uint64_t *ms);

/* All figures (both spans) and the state of every queue, channel and agent
 * as one JSON object, written to fn in pieces. Layout in the README.
 * ORCA_EINVAL (NULL s or fn). */
ORCA_API int orca_stats_snapshot_json(const orca_stats *s, orca_write_fn fn, void *data);

/* One event as a JSON object on one line (no newline), for logs and
 * streams: {"seq":..,"time_ms":..,"type":"offered",...}; fields that do
 * not apply are left out. Returns the length it needs; writes at most
 * len - 1 bytes and a NUL (like snprintf). */
ORCA_API size_t orca_event_json(const orca_event *ev, char *buf, size_t len);

/* ------------------------------------------------------------------------ */
/* Journal and recovery                                                     */
/* ------------------------------------------------------------------------ */

/*
 * The journal is an append-only file of every successful state-changing
 * call (and every clock step), in order. orca is deterministic, so playing
 * the calls again into a new engine rebuilds exactly the same state: agents
 * and their presence, queues and hours, waiting work with its original
 * arrival times and places, scheduled callbacks, customer history, and, if
 * an orca_stats is attached before the replay, the figures.
 *
 * File: a header ("ORCAJRNL", format version, the engine's orca_config)
 * then records, each [u32 length][u32 ~length][u64 sequence][u8 op]
 * [payload][u64 XXH64 of sequence..payload], little-endian. Host pointers (orca_*_def.data,
 * channel callbacks) are not written: after a restore, set callbacks again
 * and find your own data by id.
 *
 * If a write fails (disk full, read-only), the call that made the change
 * returns ORCA_EIO: the engine has the change and stays consistent, but the
 * journal is closed at its last good record, and every later call says
 * nothing more about it (orca_journal_info reports the failure).
 *
 * One engine per journal: the file is locked while an engine has it open
 * (an open-file-description lock on Linux, flock elsewhere: it keeps out a
 * second engine of the same process as well as other processes), also
 * across compactions and after a failure, until orca_journal_close or
 * orca_engine_free. orca_journal_open and orca_journal_replay of a locked
 * journal answer ORCA_ELOCKED and change nothing. A process that forks
 * shares the lock with its child (the descriptor is closed on exec).
 *
 * The engine checks that the path still names the file it has open (its
 * device and inode) at every sync (ORCA_SYNC_EVERY: each call;
 * ORCA_SYNC_INTERVAL: each interval), every 1,024 records with
 * ORCA_SYNC_NEVER, and before and just before a compaction's rename. A
 * journal renamed, deleted or replaced stops there: the call returns
 * ORCA_EIO, os_error is ENOENT (gone) or ESTALE (another file is there),
 * and no compaction renames over the file now at the path.
 *
 * Errors: a path that is not a regular file (a FIFO, device, directory)
 * is ORCA_EIO with os_error EINVAL, at once (never waits in open(2)). When
 * orca_journal_open, orca_journal_replay or orca_journal_read_config
 * fails, errno holds the system's reason (0 or unrelated for ORCA_EINVAL,
 * ORCA_ESTATE, ORCA_ECORRUPT).
 */
typedef enum orca_sync {
    ORCA_SYNC_NEVER = 0,       /* write(2) only: the OS flushes (survives a
                                  process crash, not a power cut) */
    ORCA_SYNC_EVERY = 1,       /* fdatasync before the call returns */
    ORCA_SYNC_INTERVAL = 2     /* fdatasync when interval_ms of the
                                  engine's clock have passed since the last */
} orca_sync;

/*
 * Agents' presence after orca_journal_replay (orca_journal_config's
 * restore_presence). The journal brings every agent back as it was when
 * the process stopped, READY ones included; but a host that holds agent
 * sessions (a softphone registration, a websocket) lost them in the crash,
 * and work offered to an agent nobody is connected as only waits for the
 * offer timeout.
 */
typedef enum orca_restore_presence {
    ORCA_RESTORE_KEEP = 0,     /* presence as journaled (what 0.3 did) */
    ORCA_RESTORE_OFFLINE = 1   /* every agent OFFLINE (reason 0, one
                                  AGENT_PRESENCE event each) before the
                                  offers pending at the crash are routed
                                  again: recovered and waiting work keeps
                                  its place and waits for agents to log in
                                  again (orca_agent_set_presence READY).
                                  Work an agent had accepted stays theirs
                                  (BUSY, WRAP_UP): the host ends it. Soft
                                  holds for an agent (agent_wait_ms) end as
                                  when that agent goes OFFLINE. Journaled,
                                  so the next replay of the file gives the
                                  same state. OFFLINE is what a host
                                  holding agent sessions wants. */
} orca_restore_presence;

typedef struct orca_journal_config {
    orca_sync sync;
    uint32_t interval_ms;      /* ORCA_SYNC_INTERVAL: 0 means 1000 */
    uint64_t compact_bytes;    /* compact (orca_journal_compact) when a call
                                  ends and the journal has grown by this
                                  much since its last snapshot; 0: only
                                  when the host calls it. The call that
                                  crosses the line waits for it (about
                                  70 ms for 100,000 waiting interactions,
                                  most of it the sync): hosts that mind
                                  call orca_journal_compact at a quiet
                                  moment instead */
    orca_restore_presence restore_presence; /* orca_journal_replay only:
                                  agents' presence after the restore (see
                                  orca_restore_presence); 0 keeps it */
} orca_journal_config;

typedef struct orca_journal_info {
    uint64_t records;          /* records read (replay) or written since
                                  (open; a compaction's own not counted) */
    uint64_t bytes;            /* file length now */
    uint64_t last_seq;         /* the file's last record number (a
                                  compaction starts a new file at 1) */
    uint64_t torn_bytes;       /* replay: an incomplete last record dropped */
    uint64_t bad_offset;       /* ORCA_ECORRUPT: where the damage starts */
    uint64_t recovered_offers; /* replay: offers pending at the crash, now
                                  waiting again */
    int failed;                /* the journal stopped after an I/O error */
    int os_error;              /* errno of the last I/O error (ENOENT or
                                  ESTALE: the path no longer names the
                                  journal; EINVAL: not a regular file;
                                  EAGAIN: locked by another engine) */
    uint64_t snapshot_bytes;   /* where the snapshot the journal starts
                                  with ends (the header's length if none) */
    uint64_t compactions;      /* done since it was opened or replayed */
    uint64_t compact_failures; /* failed (the journal carried on) */
    int compact_error;         /* errno of the last failed compaction
                                  (a directory sync that failed after its
                                  rename included) */
} orca_journal_info;

/* Start journaling a new engine (nothing added yet but its built-in
 * channels) into a new file, created and locked. ORCA_EINVAL (NULL or
 * empty path, bad sync), ORCA_EBUSY (from a callback), ORCA_ESTATE (not a
 * new engine, or journaling already), ORCA_EEXIST (path exists: a file, a
 * FIFO...), ORCA_ELOCKED (another engine took the new file first),
 * ORCA_ENOMEM, ORCA_EIO (e.g. a missing folder: os_error ENOENT). On
 * failure errno, and orca_journal_info_get's os_error, say why. */
ORCA_API int orca_journal_open(orca_engine *e, const char *path, const orca_journal_config *cfg);
/* Stop journaling (flushes and closes the file, which unlocks it).
 * ORCA_EINVAL, ORCA_EBUSY, ORCA_ESTATE (no journal). */
ORCA_API int orca_journal_close(orca_engine *e);
/* Make what the journal has written durable now (fdatasync), whatever
 * its sync policy: for group commit, a host that journals with
 * ORCA_SYNC_NEVER (or INTERVAL) handles a batch of requests, calls this
 * once, and only then acknowledges the batch, so every acknowledged change
 * is on disk at the cost of one sync per batch rather than per call.
 * Nothing written since the last sync: ORCA_OK at once, no system call.
 * The path is checked as at any sync. ORCA_EINVAL (NULL e), ORCA_ESTATE
 * (no journal), ORCA_EIO (the sync failed, or the journal had stopped:
 * nothing since the last good sync is known to be durable;
 * orca_journal_info says why). */
ORCA_API int orca_journal_sync(orca_engine *e);
/* The journal's figures and state. ORCA_EINVAL; ORCA_ENOENT with no
 * journal open, out zeroed except os_error: why the last
 * orca_journal_open or orca_journal_replay on e failed, or why the last
 * journal closed had stopped (0 if neither). */
ORCA_API int orca_journal_info_get(const orca_engine *e, orca_journal_info *out);

/* The orca_config a journal was written with (alloc is left NULL): create
 * the engine for orca_journal_replay with it (setting your own alloc).
 * Reads only the header and takes no lock (a journal in use may be read).
 * ORCA_EINVAL, ORCA_ENOENT (no such file), ORCA_EIO (errno says why;
 * EINVAL: not a regular file), ORCA_ECORRUPT (not a journal's header),
 * ORCA_EVERSION (a journal in another version's format). */
ORCA_API int orca_journal_read_config(const char *path, orca_config *out);
/*
 * Rebuild e (new, from orca_journal_read_config's config; listeners such as
 * orca_stats may be attached first) from the journal at path, then go on
 * journaling into it with cfg. A torn last record (a crash in the middle of
 * a write) is detected by its length or checksum, dropped and cut off the
 * file; damage anywhere else is ORCA_ECORRUPT with its offset in
 * info->bad_offset and nothing is changed on disk. Offers pending at the
 * crash are withdrawn (event REJECTED, value ORCA_WITHDRAW_RECOVERED): the
 * work waits again, keeping its place, and is routed again at once (so it
 * may be offered again, to the same agent or another); with
 * cfg->restore_presence ORCA_RESTORE_OFFLINE every agent is set OFFLINE
 * first, so that work waits for agents to log in again (ORCA_EINVAL if
 * restore_presence is neither KEEP nor OFFLINE). Offers made while
 * records are played are not announced; those made by this recovery are:
 * set the channels' callbacks before replaying to hear them. Calls that
 * were refused with ORCA_EFULL or ORCA_ECLOSED are journaled too (they left
 * an event and a count) and must be refused again. If memory runs out
 * while replaying, ORCA_ENOMEM; if a record that checks out does not play
 * again as it did (a journal from another build, or edited), ORCA_ECORRUPT
 * at that record: either way e is then partly rebuilt: free it. If the
 * engine that wrote the journal absorbed an allocation failure in a timer
 * (see orca_engine_advance), its journal stopped there (failed, os_error
 * ENOMEM): what came after cannot be replayed.
 * Before anything is read, the file is opened and locked: ORCA_ENOENT (no
 * such file), ORCA_ELOCKED (another engine has it open: e and the file are
 * unchanged), ORCA_EIO (info->os_error, errno and orca_journal_info_get
 * say why: EACCES, EINVAL for what is not a regular file...). Also
 * ORCA_EINVAL (bad argument, or a config other than the journal's),
 * ORCA_EBUSY, ORCA_ESTATE (e not new, or journaling), ORCA_EVERSION (the
 * journal's format, or its snapshot's, is another version's: e and the
 * file unchanged if it is the header's; a snapshot's, e partly rebuilt).
 */
ORCA_API int orca_journal_replay(orca_engine *e, const char *path, const orca_journal_config *cfg,
                        orca_journal_info *info);

/*
 * Compaction: rewrite the journal as one snapshot of e's whole state
 * (definitions, agents and their presence, every live interaction with its
 * place, plans, customers with their history, clocks and counters, and the
 * figures of the first orca_stats attached to e), so replay takes time in
 * proportion to the state, not to the centre's age. The snapshot is
 * written to "<path>.compact", synced, and renamed over the journal, so a
 * crash at any moment leaves either the old journal or the new one, each
 * whole. Calls after it are appended to the new file as before.
 * orca_journal_replay restores the snapshot, then plays what follows it;
 * figures come back if an orca_stats is attached before the replay (with a
 * different window configuration, only the since-start figures and the
 * live state come back; the window starts empty).
 * A journal that stopped (a write failed, or the engine absorbed an
 * allocation failure) starts again this way: the snapshot is the engine as
 * it is now, so nothing before it needs replaying.
 * ORCA_EBUSY inside a listener or callback, ORCA_ESTATE with no journal,
 * ORCA_ENOMEM, ORCA_EIO if the snapshot could not be written (the old
 * journal is kept as it was, and journaling goes on into it unless it had
 * stopped; orca_journal_info says why), or if the path no longer names
 * the journal (renamed, deleted or replaced: nothing is renamed over it,
 * and the journal stops, compact_error and os_error ENOENT or ESTALE), or
 * if the directory could not be synced after the rename (the new name
 * might not survive a power cut, so the journal stops: nothing more is
 * acknowledged as durable until a compaction succeeds; os_error says why).
 * Every failure, automatic ones included, counts in compact_failures
 * with its errno in compact_error (ENOMEM for memory). orca_journal_config.compact_bytes
 * makes it automatic (not for a stopped journal: the host decides when the
 * disk has room again).
 */
ORCA_API int orca_journal_compact(orca_engine *e);

/*
 * Shipping the journal (a hot standby, issue 13's groundwork). The records
 * the journal writes can be handed to the host as they are written, and
 * another engine can apply them one at a time, as orca_journal_replay
 * would, and so follow the first one record by record.
 *
 * A record is the bytes as in the file: an 8-byte length header, the
 * record number (seq, counting from 1 in each file), its operation, its
 * body and an XXH64 checksum. A compaction starts a new file: its first
 * records (seq 1 on) hold the snapshot, then the records that follow.
 */
typedef void (*orca_journal_tap_fn)(void *data, uint64_t seq, const void *rec, size_t len,
                                    int new_file);

/* Call fn(data, seq, rec, len, new_file) with every record the journal
 * writes, once it is written (under the sync policy: before an
 * ORCA_SYNC_EVERY call returns, the record is synced too); new_file is 1
 * for the first record of a compaction's new file (the snapshot's first
 * chunk: what came before it is no longer needed to rebuild the engine),
 * else 0. fn runs inside the engine's call and must not call the engine.
 * fn NULL stops it. The tap may be set before or after orca_journal_open.
 * ORCA_EINVAL (NULL e), ORCA_EBUSY (inside a listener or callback). */
ORCA_API int orca_journal_set_tap(orca_engine *e, orca_journal_tap_fn fn, void *data);

/* Apply one record taken by a tap (on another engine, or from wherever the
 * host shipped it) to e, as orca_journal_replay would: e is a standby that
 * follows the engine that wrote it. e must have been created with the
 * same orca_config (orca_journal_read_config gives it), have no journal
 * of its own, and be given the records in order: from the first record
 * of a file (a new engine takes a snapshot's records and then the rest),
 * or, once it follows, the next one (a compaction's snapshot records are
 * then taken as read: e has that state already). Offer callbacks are not
 * called (as in a replay); listeners see the events.
 * ORCA_EINVAL (NULL e or rec, or len not the record's length),
 * ORCA_ECORRUPT (a bad checksum or length, a record the engine does not
 * make again: e no longer matches the writer; or a snapshot that does not
 * rebuild one), ORCA_ESTATE (e has a journal, or the record is not the
 * next one: a gap, or a snapshot for an engine that is not new and does
 * not follow), ORCA_EBUSY (inside a listener or callback), ORCA_ENOMEM.
 * A refused record changes nothing; *applied (may be NULL) is the seq of
 * the last record e has applied. */
ORCA_API int orca_journal_apply(orca_engine *e, const void *rec, size_t len, uint64_t *applied);

/* A standby takes over (failover): e, which follows a writer through
 * orca_journal_apply and holds a whole state (not one rebuilding itself
 * from a snapshot; one reading past a compaction's snapshot is whole),
 * starts writing a journal of its own at path, which must not exist: its
 * state as a snapshot (the tap, if set, is handed it with new_file 1),
 * then what a replay does at its end, journaled: with
 * cfg->restore_presence ORCA_RESTORE_OFFLINE every agent OFFLINE (nobody is
 * connected to e yet), then the offers that were pending back to WAITING
 * (ORCA_EV_REJECTED with ORCA_WITHDRAW_RECOVERED; info->recovered_offers
 * counts them) and routed again. e applies no records after this.
 * info (may be NULL) gets the new journal's records, bytes and os_error.
 * ORCA_EINVAL (NULL e or path, a bad cfg), ORCA_ESTATE (e has a journal,
 * follows nobody, or is rebuilding from a snapshot), ORCA_EBUSY (inside a listener
 * or callback), ORCA_EIO (the file: it exists, or a write or sync failed;
 * info->os_error and errno say why), ORCA_ENOMEM. If it fails, e is
 * unchanged and still follows. Since 0.6. */
ORCA_API int orca_journal_promote(orca_engine *e, const char *path, const orca_journal_config *cfg,
                                  orca_journal_info *info);

#ifdef __cplusplus
}
#endif

#endif /* ORCA_H */
