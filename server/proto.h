/*
 * server/proto.h: orcad's JSON message layer (docs/PROTOCOL.md, version 1).
 *
 * Transport-independent: a connection hands each text message it receives
 * to proto_handle(), which parses it strictly (jansson), checks what the
 * session's role may do, calls the engine through orca.h, and hands the
 * reply (one JSON text) to the caller's out function. Nothing here reads
 * a socket or a clock; the WebSocket layer (next slice) owns both.
 *
 * Bad input of any kind (malformed JSON, unknown type or field, wrong
 * type, missing field, oversize, bad version, a role not allowed) gets an
 * error reply and changes nothing in the engine.
 */
#ifndef ORCAD_PROTO_H
#define ORCAD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <orca.h>

#include "config.h"
#include "reload.h"

#define PROTO_VERSION 1
#define PROTO_MAX_MESSAGE 65536   /* bytes in one message (ETOOBIG past it) */
#define PROTO_MAX_ID 64           /* bytes in a string request id */
#define PROTO_DEDUP 64            /* mutating requests remembered per session */

/* What one connection is: its role once authenticated (0 before hello),
 * the agent it is bound to (agent role, after login; 0 before), and the
 * replies of its last PROTO_DEDUP mutating requests by request id, so a
 * resent request gets the first reply and is not applied twice. */
typedef struct proto_dedup {
    char *id;                  /* the request id as canonical JSON text */
    char *reply;
    uint64_t hash;             /* of id: most entries are told apart by it */
} proto_dedup;

/* What the admin messages reach beyond the engine: orcad fills it (unit
 * tests a fake). A NULL function: that message answers ESTATE. */
typedef struct proto_host {
    /* Reload the configuration file: 0 with *out filled (proto.c frees
     * it), or -1 with every problem in *err (nothing changed). */
    int (*reload)(void *data, orcad_reload *out, orcad_errors *err);
    /* Stop orcad as SIGTERM does (compact, close); called after the reply
     * is queued, so the host should stop a moment later, not at once. */
    void (*shutdown)(void *data);
    /* 0 while new work may not be acknowledged (a replica that cannot
     * take records, ack "redis" or "wait"): enqueue is refused with
     * EUNAVAIL. NULL: always 1. */
    int (*accepting)(void *data);
    /* 1 if the interaction finished here lately (a resent enqueue of it
     * is answered as done). NULL: never. */
    int (*finished)(void *data, uint64_t interaction);
    /* A gateway claims live work (after a reconnection or a failover):
     * its outcomes go to the connection handling the message from now
     * on. 0, or -1 if out of memory. NULL: claims change nothing. */
    int (*claim)(void *data, uint64_t interaction);
    void *data;
} proto_host;

typedef struct proto_session {
    const orcad_config *cfg;   /* tokens; queue names for listings */
    const proto_host *host;    /* admin actions; NULL: none */
    orcad_role role;           /* 0: not authenticated */
    uint64_t agent;            /* agent role: the bound agent id, or 0 */
    proto_dedup dedup[PROTO_DEDUP];
    size_t dedup_next;
    /* The scope of the token it said hello with, copied (so a reload of
     * the file does not change a live connection's scope; the next hello
     * takes the new one). A gateway token limited to channels
     * (channel_limited 1) touches only work on channels[0..nchannels); an
     * agent token bound to an agent (bound_agent != 0) logs in only as it. */
    int channel_limited;
    uint32_t nchannels;
    orca_channel_id channels[ORCA_MAX_CHANNELS];
    uint64_t bound_agent;
    unsigned sub;              /* PROTO_SUB_* bits, from subscribe */
    uint64_t outcomes;         /* gateway: the event types it hears about its
                                  interactions (bit = orca_event_type; all
                                  until an "outcomes" message says less) */
} proto_session;

/* What a supervisor or admin subscribed to (proto_session.sub). */
#define PROTO_SUB_EVENTS 1u    /* every engine event, as "event" messages */
#define PROTO_SUB_FIGURES 2u   /* a "figures" message once a second */

/* Where replies go: one complete JSON text, not NUL-terminated. */
typedef void (*proto_out_fn)(void *data, const char *msg, size_t len);

/* A new, unauthenticated session using cfg's tokens (cfg must outlive it). */
void proto_session_init(proto_session *s, const orcad_config *cfg);
/* Give the session the host's admin actions (h must outlive it). */
void proto_session_set_host(proto_session *s, const proto_host *h);
/* Free what the session remembers (the dedup replies). */
void proto_session_free(proto_session *s);

/* Handle one message: exactly one reply goes to out. Returns 0 if the
 * request was carried out, or the negative ORCA_E* code (or -100 - k for
 * the protocol errors, see proto_code_name) the reply carries. */
int proto_handle(proto_session *s, orca_engine *e, const char *msg, size_t len,
                 proto_out_fn out, void *data);

/* Protocol-level errors, after the ORCA_E* codes. */
#define PROTO_EPROTO (-101)  /* malformed JSON, unknown type or field, wrong type */
#define PROTO_EAUTH (-102)   /* unknown token, or a request before hello */
#define PROTO_EPERM (-103)   /* the role may not send this, or not on this work */
#define PROTO_ETOOBIG (-104) /* message or string too long */
#define PROTO_ENOMEM (-105)  /* the reply could not be built */
#define PROTO_EUNAVAIL (-106) /* new work refused: it could not be made safe now (PROTOCOL.md) */

/* "EINVAL", "ENOENT"... for an ORCA_E* or PROTO_E* code; "EUNKNOWN" else. */
const char *proto_code_name(int code);

/* Render an offer as the server-to-client "offer" message (with the
 * customer's history) into a malloc'd NUL-terminated string, or NULL if out
 * of memory. Queue and channel are given by name. */
char *proto_offer_json(const orca_engine *e, const orca_offer *o);

/* Render an engine event as the "event" message, {"v":1,"type":"event",
 * "event":{...orca_event_json's object...}}, into a malloc'd string (*len
 * its length), or NULL if out of memory. */
char *proto_event_json(const orca_event *ev, size_t *len);

/* Render the supervisor's "figures" message (docs/PROTOCOL.md): the
 * engine's time, per queue its waiting work, longest wait, service level,
 * ASA, EWT and the window's entered/answered/abandoned, per channel the
 * same counts, and the agents by state, read as GET /metrics reads them
 * (server/metrics.h). A malloc'd string, or NULL if out of memory. */
char *proto_figures_json(const orca_engine *e, const orca_stats *s);

/* The reply to a message the transport refuses before proto_handle sees
 * it (a client over its rate: ELIMIT): {"id":...,"ok":false,"error":
 * {"code":<code's name>,"message":why}}, with the message's id if it has a
 * valid one, else null. Nothing else is done. Returns code. */
int proto_refuse(const char *msg, size_t len, int code, const char *why, proto_out_fn out,
                 void *data);

#endif
