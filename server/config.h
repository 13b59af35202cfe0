/*
 * server/config.h: orcad's configuration file, read with libconfig into
 * plain C structs (no engine), validated as a whole, then applied to a new
 * orca_engine through the public API (orca.h).
 *
 * Every problem found is kept as "file:line: message", all of them, not
 * just the first: a person fixing a file wants the whole list at once.
 * Names that other settings refer to (skills, channels, queues) must be
 * plain identifiers (a letter, then letters, digits, '_' or '-'), because
 * agents and queues use them as keys: `skills = { english = 80; };`.
 */
#ifndef ORCAD_CONFIG_H
#define ORCAD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <orca.h>

/* The problems found in a file, in file order. */
typedef struct orcad_errors {
    char **msg;                /* "file:line: message" each */
    size_t n, cap;
    int oom;                   /* a message could not be stored */
} orcad_errors;

void orcad_errors_free(orcad_errors *err);
/* Append "file:line: fmt..." (line 0: "file: fmt..."). */
void orcad_errors_add(orcad_errors *err, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A skill name with its level, as queues and agents list them. */
typedef struct orcad_level {
    char *name;
    uint32_t level;
    int line;
} orcad_level;

typedef struct orcad_channel {
    char *name;
    int builtin;               /* voice, chat...: only wrap-up may be set */
    uint32_t cost;             /* host channels: 1..ORCA_CAPACITY_MAX */
    uint32_t wrapup_ms;
    int has_wrapup;
    int line;
} orcad_channel;

typedef struct orcad_step {
    uint32_t after_ms;
    orca_step_action action;
    char *skill;
    uint32_t level;
    int line;
} orcad_step;

typedef struct orcad_range {
    uint32_t day, open_min, close_min;
} orcad_range;

/* A holiday (open = 0) or special opening (open = 1): [from, to) in Unix
 * ms, converted from the file's local dates with the queue's offset. */
typedef struct orcad_exception {
    uint64_t from_ms, to_ms;
    uint32_t open;
} orcad_exception;

typedef struct orcad_queue {
    char *name;
    orca_strategy strategy;
    uint32_t serve;            /* ORCA_SERVE_* */
    orcad_level *skills;
    size_t nskills;
    orcad_step *steps;
    size_t nsteps;
    char *overflow_to;         /* NULL: no overflow */
    uint32_t overflow_after_ms;
    uint32_t max_wait_ms, max_size, sticky_ms, offer_timeout_ms, sla_ms;
    uint32_t wrapup_ms;        /* ORCA_WRAPUP_CHANNEL unless set */
    int has_hours;
    int32_t utc_offset_min;
    orcad_range *ranges;
    size_t nranges;
    orcad_exception *exceptions; /* in file order: the last match wins */
    size_t nexceptions;
    orca_closed_action when_closed;
    char *redirect_to;
    int line, hours_line;
} orcad_queue;

typedef struct orcad_member {
    char *queue;
    uint32_t tier;
    int line;
} orcad_member;

typedef struct orcad_agent {
    uint64_t id;
    orcad_level *skills;
    size_t nskills;
    uint32_t capacity, weight;
    orcad_level *limits;       /* channel name, max */
    size_t nlimits;            /* 0: orca_agent_def_init's built-in blend */
    orcad_member *queues;      /* memberships (tier) */
    size_t nqueues;
    orcad_member *ranks;       /* queue ranks */
    size_t nranks;
    int line;
} orcad_agent;

typedef enum orcad_role {
    ORCAD_ROLE_GATEWAY = 1,
    ORCAD_ROLE_AGENT,
    ORCAD_ROLE_SUPERVISOR,
    ORCAD_ROLE_ADMIN
} orcad_role;

typedef struct orcad_token {
    char *token;
    orcad_role role;
    char *name;                /* who holds it, for logs; may be NULL */
    int line;
    /* Scopes (docs/PROTOCOL.md "Token scopes"). A gateway token with
     * channels may only touch work on these channels (names; level unused);
     * none: every channel. An agent token with agent != 0 may only log in
     * as that agent; 0: as any agent. */
    orcad_level *channels;
    size_t nchannels;
    uint64_t agent;
    int agent_line;
} orcad_token;

#define ORCAD_MAX_LISTEN 8
#define ORCAD_HOST_MAX 255  /* bytes of a listen address's host part */

/* A listen address "host:port" (port 1..65535, a non-empty host of at
 * most ORCAD_HOST_MAX bytes) split into host (a buffer of
 * ORCAD_HOST_MAX + 1) and port: 0, or -1 if addr is not one. The config
 * file, --listen and the listener all judge an address by this. */
int orcad_listen_parse(const char *addr, char *host, int *port);

/* What one client may cost orcad (the limits block; docs/PROTOCOL.md,
 * "Bad clients" and "Agent disconnect"). */
#define ORCAD_DEFAULT_MAX_CONNECTIONS 10000
#define ORCAD_DEFAULT_CLIENT_RATE 10000    /* messages/s per connection */
#define ORCAD_DEFAULT_CLIENT_BURST 20000
#define ORCAD_DEFAULT_PING_S 30
#define ORCAD_DEFAULT_AGENT_GRACE_MS 10000

typedef struct orcad_clients {
    uint32_t max_connections;  /* WebSocket connections open at once */
    uint32_t rate, burst;      /* token bucket per connection, messages */
    uint32_t ping_s;           /* ping a quiet peer after this; 0: never */
    uint32_t agent_grace_ms;   /* a gone agent is NOT_READY after this */
} orcad_clients;

typedef struct orcad_config {
    char *file;                /* as errors name it */
    char *listen[ORCAD_MAX_LISTEN];
    size_t nlisten;            /* default: one, "127.0.0.1:7878" */
    char *data_dir;            /* NULL: none given (--data-dir then) */
    orca_sync sync;            /* default ORCA_SYNC_INTERVAL */
    uint32_t sync_interval_ms; /* default 1000 */
    orca_config engine;        /* limits (alloc and start_ms left 0) */
    orcad_clients clients;     /* the limits block's client limits */
    orcad_channel *channels;
    size_t nchannels;
    char **skills;
    size_t nskills;
    orcad_queue *queues;
    size_t nqueues;
    orcad_agent *agents;
    size_t nagents;
    orcad_token *tokens;
    size_t ntokens;
    /* tls = { listen = [...]; cert = "..."; key = "..."; }: HTTPS and wss://
     * on these addresses (none: no TLS). cert and key are paths, relative
     * to the file's folder unless absolute, resolved and checked readable. */
    char *tls_listen[ORCAD_MAX_LISTEN];
    size_t ntls_listen;
    char *tls_cert, *tls_key;
} orcad_config;

/* Parse and validate the file at path into *out (zeroed first). Returns 0,
 * or -1 with every problem in *err (which must start zeroed or hold earlier
 * messages); *out is then freed. Out of memory is reported as a problem. */
int orcad_config_load(const char *path, orcad_config *out, orcad_errors *err);
/* The same for text in memory; name is what the messages call it. */
int orcad_config_load_string(const char *text, const char *name, orcad_config *out,
                             orcad_errors *err);
void orcad_config_free(orcad_config *c);

/* The engine configuration the file asks for, with start_ms. */
void orcad_config_engine(const orcad_config *c, uint64_t start_ms, orca_config *out);

/* Apply c to e, a new engine (nothing added but the built-in channels):
 * channels, skills, queues (in two passes, so overflow and redirect may
 * name a later queue), hours, agents, memberships, ranks. Returns 0, or the
 * engine's ORCA_E* code with "file:line: <what>: <orca_strerror>" in *err;
 * e is then partly built: free it (apply to a scratch engine first to
 * leave nothing applied on a refusal). */
int orcad_config_apply(const orcad_config *c, orca_engine *e, orcad_errors *err);

/* "gateway", "agent", "supervisor", "admin". */
const char *orcad_role_name(orcad_role r);

#endif
