/*
 * server/proto.c: orcad's JSON messages (docs/PROTOCOL.md) -> orca.h calls.
 *
 * Each message is checked as a whole before anything is done: the
 * envelope (v, id, type), then the type's own fields against a table
 * (no unknown field, every required field there, each of its JSON type
 * and size). Only then is the role checked and the engine called, so bad
 * input never changes the engine. The engine's own refusals are mapped
 * to their protocol codes (EINVAL, ENOENT...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "metrics.h"
#include "proto.h"

/* ------------------------------------------------------------------------ */
/* Error codes                                                              */
/* ------------------------------------------------------------------------ */

const char *proto_code_name(int code)
{
    static const char *const orca[] = { "EINVAL", "ENOMEM", "ENOENT", "EEXIST", "ESTATE",
                                        "ERANGE", "ELIMIT", "EFULL", "ETOOLONG", "EBUSY",
                                        "ECORRUPT", "ECLOSED", "EIO", "ELOCKED",
                                        "EVERSION" };
    static const char *const proto[] = { "EPROTO", "EAUTH", "EPERM", "ETOOBIG", "ENOMEM",
                                         "EUNAVAIL" };
    if (code <= -1 && code >= -(int)(sizeof orca / sizeof *orca))
        return orca[-code - 1];
    if (code <= -101 && code >= -100 - (int)(sizeof proto / sizeof *proto))
        return proto[-code - 101];
    return "EUNKNOWN";
}

/* ------------------------------------------------------------------------ */
/* Sessions                                                                 */
/* ------------------------------------------------------------------------ */

void proto_session_init(proto_session *s, const orcad_config *cfg)
{
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->outcomes = ~0ull;
}

void proto_session_set_host(proto_session *s, const proto_host *h)
{
    s->host = h;
}

void proto_session_free(proto_session *s)
{
    for (size_t k = 0; k < PROTO_DEDUP; k++) {
        free(s->dedup[k].id);
        free(s->dedup[k].reply);
    }
    memset(s->dedup, 0, sizeof s->dedup);
}

/* FNV-1a: every mutating request is looked up among the last PROTO_DEDUP,
 * so they are compared by hash first, not by strcmp each. */
static uint64_t id_hash(const char *id)
{
    uint64_t h = 14695981039346656037ull;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 1099511628211ull;
    return h;
}

static const proto_dedup *dedup_find(const proto_session *s, const char *id, uint64_t h)
{
    for (size_t k = 0; k < PROTO_DEDUP; k++)
        if (s->dedup[k].hash == h && s->dedup[k].id && strcmp(s->dedup[k].id, id) == 0)
            return &s->dedup[k];
    return NULL;
}

/* Remember a reply, taking both strings (freed here if not kept); out of
 * memory only means a resend is not recognised. */
static void dedup_add(proto_session *s, char *id, uint64_t h, char *reply)
{
    proto_dedup *d = &s->dedup[s->dedup_next];
    free(d->id);
    free(d->reply);
    d->id = id;
    d->reply = reply;
    d->hash = h;
    s->dedup_next = (s->dedup_next + 1) % PROTO_DEDUP;
}

/* ------------------------------------------------------------------------ */
/* Message table and strict field checks                                    */
/* ------------------------------------------------------------------------ */

enum { F_STR = 1, F_INT, F_OBJ, F_BOOL, F_ARR };

typedef struct field {
    const char *name;
    int kind;
    int required;
} field;

typedef struct req {
    json_t *root;
    json_t *id;                /* borrowed */
    const char *msg;           /* what an error reply says */
    json_t *errors;            /* owned: a list the error reply carries too */
} req;

typedef int (*handler_fn)(proto_session *s, orca_engine *e, req *r, json_t *reply);

typedef struct msg_type {
    const char *type;
    unsigned roles;            /* bit (1 << orcad_role) */
    int mutating;              /* remembered for resends */
    const field *fields;
    handler_fn fn;
} msg_type;

#define R(x) (1u << ORCAD_ROLE_##x)

static int fail(req *r, int code, const char *msg)
{
    r->msg = msg;
    return code;
}

/* Every key of the object is known and of its kind; every required one is
 * there. Strings are at most ORCA_NAME_MAX bytes (no name is longer). */
static int check_fields(req *r, const field *f)
{
    const char *key;
    json_t *v;
    json_object_foreach(r->root, key, v) {
        if (!strcmp(key, "v") || !strcmp(key, "id") || !strcmp(key, "type"))
            continue;
        const field *k = f;
        while (k && k->name && strcmp(k->name, key))
            k++;
        if (!k || !k->name)
            return fail(r, PROTO_EPROTO, "unknown field");
        if ((k->kind == F_STR && !json_is_string(v)) || (k->kind == F_INT && !json_is_integer(v)) ||
            (k->kind == F_OBJ && !json_is_object(v)) || (k->kind == F_BOOL && !json_is_boolean(v)) ||
            (k->kind == F_ARR && !json_is_array(v)))
            return fail(r, PROTO_EPROTO, "a field has the wrong type");
        if (k->kind == F_STR && json_string_length(v) > ORCA_NAME_MAX)
            return fail(r, PROTO_ETOOBIG, "a string field is too long");
        if (k->kind == F_INT && json_integer_value(v) < 0)
            return fail(r, PROTO_EPROTO, "a number field is negative");
    }
    for (; f && f->name; f++)
        if (f->required && !json_object_get(r->root, f->name))
            return fail(r, PROTO_EPROTO, "a required field is missing");
    return 0;
}

static uint64_t get_u64(req *r, const char *name)
{
    json_t *v = json_object_get(r->root, name);
    return v ? (uint64_t)json_integer_value(v) : 0;
}

/* A uint32 field; ERANGE past UINT32_MAX (the engine checks its own range). */
static int get_u32(req *r, const char *name, uint32_t *out)
{
    uint64_t v = get_u64(r, name);
    if (v > UINT32_MAX)
        return fail(r, ORCA_ERANGE, "a number field is out of range");
    *out = (uint32_t)v;
    return 0;
}

/* The engine's answer: its text for an error. */
static int engine_rc(req *r, int rc)
{
    if (rc < 0)
        r->msg = orca_strerror(rc);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Handlers                                                                 */
/* ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------ */
/* Token scopes (docs/PROTOCOL.md "Token scopes")                           */
/* ------------------------------------------------------------------------ */

/* Copy a token's scope into the session. A channel the engine does not
 * know (config.c refuses such a file) is left out: less, not more, access. */
static void scope_from_token(proto_session *s, const orca_engine *e, const orcad_token *t)
{
    s->channel_limited = t->nchannels > 0;
    s->nchannels = 0;
    for (size_t k = 0; k < t->nchannels && s->nchannels < ORCA_MAX_CHANNELS; k++)
        if (orca_channel_find(e, t->channels[k].name, &s->channels[s->nchannels]) == 0)
            s->nchannels++;
    s->bound_agent = t->agent;
}

/* May the session touch work on channel ch? */
static int channel_ok(const proto_session *s, req *r, orca_channel_id ch)
{
    for (uint32_t k = 0; s->channel_limited && k < s->nchannels; k++)
        if (s->channels[k] == ch)
            return 0;
    return s->channel_limited ? fail(r, PROTO_EPERM, "this token may not use this channel") : 0;
}

/* May the session touch this live work (its channel now)? Unknown work
 * passes: the engine's own answer (ENOENT) follows. */
static int work_ok(const proto_session *s, const orca_engine *e, req *r, uint64_t id)
{
    orca_interaction_info ii;
    if (!s->channel_limited || orca_interaction_info_get(e, id, &ii) < 0)
        return 0;
    return channel_ok(s, r, ii.channel);
}

static int on_hello(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    const char *tok = json_string_value(json_object_get(r->root, "token"));
    const orcad_config *c = s->cfg;
    for (size_t k = 0; c && k < c->ntokens; k++)
        if (strcmp(c->tokens[k].token, tok) == 0) {
            s->role = c->tokens[k].role;
            s->agent = 0;
            scope_from_token(s, e, &c->tokens[k]);
            json_object_set_new(reply, "role", json_string(orcad_role_name(s->role)));
            json_object_set_new(reply, "protocol", json_integer(PROTO_VERSION));
            return 0;
        }
    return fail(r, PROTO_EAUTH, "unknown token");
}

/* skills: { "name": level, ... } -> required skills, names looked up (not
 * created: a skill no agent holds could never be served). */
static int get_skills(orca_engine *e, req *r, orca_skill_level *out, uint32_t *n)
{
    json_t *o = json_object_get(r->root, "skills"), *v;
    const char *name;
    *n = 0;
    if (!o)
        return 0;
    if (json_object_size(o) > ORCA_MAX_REQUIRED)
        return fail(r, ORCA_ERANGE, "too many skills");
    json_object_foreach(o, name, v) {
        orca_skill_id id;
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 100)
            return fail(r, ORCA_ERANGE, "a skill level must be a number 1..100");
        if (strlen(name) > ORCA_NAME_MAX)
            return fail(r, PROTO_ETOOBIG, "a skill name is too long");
        int rc = orca_skill_find(e, name, &id);
        if (rc < 0)
            return fail(r, rc, "unknown skill");
        out[*n].skill = id;
        out[(*n)++].level = (uint8_t)json_integer_value(v);
    }
    return 0;
}

/* New work only while it can be made as safe as the acknowledgement
 * mode promises (a replica that cannot take records: refused, so the
 * client tries again rather than trusting an answer that may be lost). */
static int may_take_work(const proto_session *s, req *r)
{
    const proto_host *h = s->host;
    if (h && h->accepting && !h->accepting(h->data))
        return fail(r, PROTO_EUNAVAIL, "new work is refused while the replica cannot take it; "
                    "try again");
    return 0;
}

/* A resent enqueue ("resend": true) of work this server has, or finished
 * lately, is answered as done: a gateway that lost the reply (a failover,
 * a reconnection) does not queue the call twice. */
static int resent(const proto_session *s, orca_engine *e, req *r, uint64_t id, json_t *reply)
{
    orca_interaction_info ii;
    if (!json_is_true(json_object_get(r->root, "resend")))
        return 0;
    if (orca_interaction_info_get(e, id, &ii) != ORCA_OK &&
        !(s->host && s->host->finished && s->host->finished(s->host->data, id)))
        return 0;
    json_object_set_new(reply, "interaction", json_integer((json_int_t)id));
    json_object_set_new(reply, "duplicate", json_true());
    return 1;
}

static int on_enqueue(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    orca_interaction_def d;
    orca_skill_level sk[ORCA_MAX_REQUIRED];
    int rc;
    orca_interaction_def_init(&d);
    d.id = get_u64(r, "interaction");
    if (resent(s, e, r, d.id, reply))
        return 0;
    if ((rc = may_take_work(s, r)) < 0)
        return rc;
    d.customer = get_u64(r, "customer");
    d.conversation = get_u64(r, "conversation");
    if ((rc = get_u32(r, "priority", &d.priority)) < 0)
        return rc;
    if ((rc = orca_queue_find(e, json_string_value(json_object_get(r->root, "queue")), &d.queue)) < 0)
        return fail(r, rc, "unknown queue");
    if ((rc = orca_channel_find(e, json_string_value(json_object_get(r->root, "channel")), &d.channel)) < 0)
        return fail(r, rc, "unknown channel");
    if ((rc = channel_ok(s, r, d.channel)) < 0)
        return rc;
    if ((rc = get_skills(e, r, sk, &d.nrequired)) < 0)
        return rc;
    d.required = sk;
    if ((rc = engine_rc(r, orca_interaction_enqueue(e, &d))) < 0)
        return rc;
    json_object_set_new(reply, "interaction", json_integer((json_int_t)d.id));
    return 0;
}

static int on_interaction(proto_session *s, orca_engine *e, req *r, int (*fn)(orca_engine *, uint64_t))
{
    int rc = work_ok(s, e, r, get_u64(r, "interaction"));
    return rc < 0 ? rc : engine_rc(r, fn(e, get_u64(r, "interaction")));
}

static int on_abandon(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    (void)reply;
    return on_interaction(s, e, r, orca_interaction_abandon);
}

static int on_cancel(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    (void)reply;
    return on_interaction(s, e, r, orca_interaction_cancel);
}

static int on_set_priority(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    (void)reply;
    uint32_t p;
    int rc = get_u32(r, "priority", &p);
    if (rc == 0)
        rc = work_ok(s, e, r, get_u64(r, "interaction"));
    return rc < 0 ? rc : engine_rc(r, orca_interaction_set_priority(e, get_u64(r, "interaction"), p));
}

static int on_login(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    (void)reply;
    orca_agent_info ai;
    uint64_t id = get_u64(r, "agent");
    if (s->bound_agent && id != s->bound_agent)
        return fail(r, PROTO_EPERM, "this token may log in only as its own agent");
    int rc = engine_rc(r, orca_agent_info_get(e, id, &ai));
    if (rc < 0)
        return rc;
    s->agent = id;
    return 0;
}

static int parse_presence(const char *p, orca_presence *out)
{
    if (!strcmp(p, "ready"))
        *out = ORCA_PRESENCE_READY;
    else if (!strcmp(p, "not_ready"))
        *out = ORCA_PRESENCE_NOT_READY;
    else if (!strcmp(p, "offline"))
        *out = ORCA_PRESENCE_OFFLINE;
    else
        return ORCA_EINVAL;
    return 0;
}

/* presence for the bound agent (agent role) or any agent (supervisor:
 * set_presence with "agent"). */
static int set_presence(orca_engine *e, req *r, uint64_t agent)
{
    orca_presence p;
    uint32_t reason;
    int rc = get_u32(r, "reason", &reason);
    if (rc < 0)
        return rc;
    if (parse_presence(json_string_value(json_object_get(r->root, "presence")), &p) < 0)
        return fail(r, ORCA_EINVAL, "presence is ready, not_ready or offline");
    return engine_rc(r, orca_agent_set_presence(e, agent, p, reason));
}

static int need_login(proto_session *s, req *r)
{
    return s->agent ? 0 : fail(r, PROTO_EPERM, "log in as an agent first");
}

static int on_presence(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    (void)reply;
    int rc = need_login(s, r);
    return rc < 0 ? rc : set_presence(e, r, s->agent);
}

static int on_set_presence(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    (void)s, (void)reply;
    return set_presence(e, r, get_u64(r, "agent"));
}

/* An agent acts only on work offered to or held by itself. Unknown work
 * is ENOENT as the engine would say (it reveals nothing). */
static int own_work(proto_session *s, orca_engine *e, req *r, int (*fn)(orca_engine *, uint64_t))
{
    orca_interaction_info ii;
    uint64_t id = get_u64(r, "interaction");
    int rc = need_login(s, r);
    if (rc < 0)
        return rc;
    if ((rc = engine_rc(r, orca_interaction_info_get(e, id, &ii))) < 0)
        return rc;
    if (ii.agent != s->agent)
        return fail(r, PROTO_EPERM, "this work is not yours");
    return engine_rc(r, fn(e, id));
}

static int on_accept(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    orca_interaction_info ii;
    /* an accept resent after a failover, whose first send did land: the
     * work is this agent's already */
    if (s->agent && orca_interaction_info_get(e, get_u64(r, "interaction"), &ii) == ORCA_OK &&
        ii.state == ORCA_STATE_BUSY && ii.agent == s->agent) {
        json_object_set_new(reply, "duplicate", json_true());
        return 0;
    }
    return own_work(s, e, r, orca_offer_accept);
}

static int on_reject(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    (void)reply;
    return own_work(s, e, r, orca_offer_reject);
}

static int on_end(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    (void)reply;
    return own_work(s, e, r, orca_interaction_end);
}

static int on_wrapup_done(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    (void)reply;
    return own_work(s, e, r, orca_interaction_wrapup_done);
}

static int on_queues(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    (void)r;
    json_t *a = json_array();
    if (!a)
        return PROTO_ENOMEM;
    json_object_set_new(reply, "queues", a);
    for (size_t k = 0; s->cfg && k < s->cfg->nqueues; k++) {
        orca_queue_id q;
        orca_queue_info qi;
        if (orca_queue_find(e, s->cfg->queues[k].name, &q) < 0 || orca_queue_info_get(e, q, &qi) < 0)
            continue;
        json_t *o = json_pack("{s:s,s:i,s:i,s:i,s:I}", "name", qi.name, "waiting", (int)qi.waiting,
                              "offered", (int)qi.offered, "members", (int)qi.members, "oldest_arrival_ms",
                              (json_int_t)qi.oldest_arrival_ms);
        if (!o || json_array_append_new(a, o) < 0)
            return PROTO_ENOMEM;
    }
    return 0;
}

static const char *presence_name(orca_presence p)
{
    return p == ORCA_PRESENCE_READY ? "ready" : p == ORCA_PRESENCE_NOT_READY ? "not_ready" : "offline";
}

static int on_agents(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    (void)s, (void)r;
    orca_cursor c = { 0 };
    orca_agent_info ai[64];
    uint32_t n;
    json_t *a = json_array();
    if (!a)
        return PROTO_ENOMEM;
    json_object_set_new(reply, "agents", a);
    do {
        if (orca_agent_list(e, &c, ai, 64, &n) < 0)
            return PROTO_ENOMEM;
        for (uint32_t k = 0; k < n; k++) {
            json_t *o = json_pack("{s:I,s:s,s:i,s:i,s:i,s:i,s:i}", "agent", (json_int_t)ai[k].id,
                                  "presence", presence_name(ai[k].presence), "reason", (int)ai[k].reason,
                                  "used", (int)ai[k].used, "offered", (int)ai[k].offered, "busy",
                                  (int)ai[k].busy, "wrapup", (int)ai[k].wrapup);
            if (!o || json_array_append_new(a, o) < 0)
                return PROTO_ENOMEM;
        }
    } while (n == 64);
    return 0;
}

static int on_position(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    uint32_t ahead, waiting;
    int rc = work_ok(s, e, r, get_u64(r, "interaction"));
    if (rc == 0)
        rc = engine_rc(r, orca_interaction_position(e, get_u64(r, "interaction"), &ahead, &waiting));
    if (rc < 0)
        return rc;
    json_object_set_new(reply, "position", json_integer((json_int_t)ahead + 1));
    json_object_set_new(reply, "waiting", json_integer(waiting));
    return 0;
}

/* transfer's "to": the new leg, as for enqueue (customer and conversation
 * carry over from the transferred work). */
static const field f_to[] = { { "interaction", F_INT, 1 },  { "queue", F_STR, 1 },
                              { "channel", F_STR, 1 },      { "priority", F_INT, 0 },
                              { "skills", F_OBJ, 0 },       { "agent", F_INT, 0 },
                              { "agent_wait_ms", F_INT, 0 }, { "agent_required", F_INT, 0 },
                              { NULL, 0, 0 } };

/* The new leg of a transfer from the "to" object: checked as strictly as
 * a message (the envelope's keys are not fields of it), names looked up,
 * the channel within the token's scope. */
static int get_leg(proto_session *s, orca_engine *e, req *r, orca_interaction_def *d,
                   orca_skill_level *sk)
{
    json_t *root = r->root, *to = json_object_get(root, "to");
    int rc;
    if (json_object_get(to, "v") || json_object_get(to, "id") || json_object_get(to, "type"))
        return fail(r, PROTO_EPROTO, "unknown field in to");
    r->root = to;              /* the field helpers read r->root */
    orca_interaction_def_init(d);
    d->id = get_u64(r, "interaction");
    d->agent = get_u64(r, "agent");
    if ((rc = check_fields(r, f_to)) < 0 || (rc = get_u32(r, "priority", &d->priority)) < 0 ||
        (rc = get_u32(r, "agent_wait_ms", &d->agent_wait_ms)) < 0 ||
        (rc = get_u32(r, "agent_required", &d->agent_required)) < 0)
        goto out;
    if (d->agent_required > 1) {
        rc = fail(r, ORCA_EINVAL, "agent_required is 0 (soft) or 1 (hard)");
        goto out;
    }
    if ((rc = orca_queue_find(e, json_string_value(json_object_get(to, "queue")), &d->queue)) < 0) {
        rc = fail(r, rc, "unknown queue");
        goto out;
    }
    if ((rc = orca_channel_find(e, json_string_value(json_object_get(to, "channel")), &d->channel)) < 0) {
        rc = fail(r, rc, "unknown channel");
        goto out;
    }
    if ((rc = channel_ok(s, r, d->channel)) < 0 || (rc = get_skills(e, r, sk, &d->nrequired)) < 0)
        goto out;
    d->required = sk;
out:
    r->root = root;
    return rc;
}

/* transfer: BUSY work to a new leg (docs/PROTOCOL.md). */
static int on_transfer(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    orca_interaction_def d;
    orca_skill_level sk[ORCA_MAX_REQUIRED];
    orca_transfer_mode mode;
    const char *m = json_string_value(json_object_get(r->root, "mode"));
    uint64_t from = get_u64(r, "interaction");
    int rc;
    if (!json_is_object(json_object_get(r->root, "to")))
        return fail(r, PROTO_EPROTO, "to is an object");
    if ((rc = get_leg(s, e, r, &d, sk)) < 0)
        return rc;
    if (!strcmp(m, "blind"))
        mode = ORCA_TRANSFER_BLIND;
    else if (!strcmp(m, "consult"))
        mode = ORCA_TRANSFER_CONSULT;
    else
        return fail(r, ORCA_EINVAL, "mode is blind or consult");
    if ((rc = work_ok(s, e, r, from)) < 0 || (rc = engine_rc(r, orca_interaction_transfer(e, from, &d, mode))) < 0)
        return rc;
    json_object_set_new(reply, "interaction", json_integer((json_int_t)d.id));
    return 0;
}

/* callback: waiting work becomes a callback (virtual hold). */
static int on_callback(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    (void)reply;
    orca_channel_id ch;
    uint64_t id = get_u64(r, "interaction");
    int rc = orca_channel_find(e, json_string_value(json_object_get(r->root, "channel")), &ch);
    if (rc < 0)
        return fail(r, rc, "unknown channel");
    if ((rc = channel_ok(s, r, ch)) < 0 || (rc = work_ok(s, e, r, id)) < 0)
        return rc;
    return engine_rc(r, orca_interaction_callback(e, id, ch, get_u64(r, "not_before_ms")));
}

static const field f_transfer[] = { { "interaction", F_INT, 1 }, { "to", F_OBJ, 1 },
                                    { "mode", F_STR, 1 }, { NULL, 0, 0 } };
static const field f_callback[] = { { "interaction", F_INT, 1 }, { "channel", F_STR, 1 },
                                    { "not_before_ms", F_INT, 0 }, { NULL, 0, 0 } };

/* Admin messages. */

static int on_compact(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    (void)s;
    orca_journal_info before, after;
    if (orca_journal_info_get(e, &before) != ORCA_OK)
        return fail(r, ORCA_ESTATE, "no journal to compact");
    int rc = engine_rc(r, orca_journal_compact(e));
    if (rc < 0)
        return rc;
    orca_journal_info_get(e, &after);
    json_object_set_new(reply, "bytes_before", json_integer((json_int_t)before.bytes));
    json_object_set_new(reply, "bytes_after", json_integer((json_int_t)after.bytes));
    return 0;
}

static json_t *strs_json(char *const *s, size_t n)
{
    json_t *a = json_array();
    for (size_t k = 0; a && k < n; k++)
        if (json_array_append_new(a, json_string(s[k])) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static int on_reload(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    (void)e;
    orcad_reload out;
    orcad_errors err = { 0 };
    int rc = 0;
    memset(&out, 0, sizeof out);
    if (!s->host || !s->host->reload)
        return fail(r, ORCA_ESTATE, "this server cannot reload");
    if (s->host->reload(s->host->data, &out, &err) != 0) {
        r->errors = strs_json(err.msg, err.n);
        rc = fail(r, ORCA_EINVAL, err.n ? "the file has errors: nothing changed" : "out of memory");
    } else {
        json_t *c = json_object();
        for (int k = 0; c && k < ORCAD_RL_NLISTS; k++)
            json_object_set_new(c, orcad_reload_list_name(k), strs_json(out.list[k].s, out.list[k].n));
        if (c)
            json_object_set_new(c, "tokens_replaced", json_boolean(out.tokens_changed));
        if (!c || json_object_set_new(reply, "changes", c) < 0)
            rc = PROTO_ENOMEM;
    }
    orcad_reload_free(&out);
    orcad_errors_free(&err);
    return rc;
}

static int on_shutdown(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    (void)e, (void)reply;
    if (!s->host || !s->host->shutdown)
        return fail(r, ORCA_ESTATE, "this server cannot be shut down from here");
    s->host->shutdown(s->host->data);
    return 0;
}

/* subscribe: what the connection receives from now on; both false (or
 * left out) stops both. Supervisors and admins only (the table). */
static int on_subscribe(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    (void)e;
    int events = json_is_true(json_object_get(r->root, "events"));
    int figures = json_is_true(json_object_get(r->root, "figures"));
    s->sub = (events ? PROTO_SUB_EVENTS : 0u) | (figures ? PROTO_SUB_FIGURES : 0u);
    json_object_set_new(reply, "events", json_boolean(events));
    json_object_set_new(reply, "figures", json_boolean(figures));
    return 0;
}

static const field f_hello[] = { { "token", F_STR, 1 }, { NULL, 0, 0 } };
static const field f_enqueue[] = { { "interaction", F_INT, 1 }, { "queue", F_STR, 1 },
                                   { "channel", F_STR, 1 },     { "customer", F_INT, 0 },
                                   { "priority", F_INT, 0 },    { "conversation", F_INT, 0 },
                                   { "skills", F_OBJ, 0 },      { "resend", F_BOOL, 0 },
                                   { NULL, 0, 0 } };
static const field f_work[] = { { "interaction", F_INT, 1 }, { NULL, 0, 0 } };
static const field f_prio[] = { { "interaction", F_INT, 1 }, { "priority", F_INT, 1 }, { NULL, 0, 0 } };
static const field f_login[] = { { "agent", F_INT, 1 }, { NULL, 0, 0 } };
static const field f_presence[] = { { "presence", F_STR, 1 }, { "reason", F_INT, 0 }, { NULL, 0, 0 } };
static const field f_setpres[] = { { "agent", F_INT, 1 }, { "presence", F_STR, 1 },
                                   { "reason", F_INT, 0 }, { NULL, 0, 0 } };
static const field f_none[] = { { NULL, 0, 0 } };
/* outcomes: which events a gateway hears about its interactions (all
 * until it says less): a voice gateway that only bridges calls wants
 * "accepted", and saves orcad and itself the rest. Names as
 * orca_event_name gives them; the whole list is checked first. */
static int on_outcomes(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    (void)e;
    json_t *list = json_object_get(r->root, "events"), *v, *names = json_array();
    uint64_t mask = 0;
    size_t k;
    if (!names)
        return PROTO_ENOMEM;
    json_array_foreach(list, k, v) {
        const char *name = json_string_value(v);
        unsigned t = 0;
        if (!name) {
            json_decref(names);
            return fail(r, PROTO_EPROTO, "events is a list of event type names");
        }
        while (t < 64 && strcmp(orca_event_name((orca_event_type)t), name) != 0)
            t++;
        if (t == 64 || !strcmp(name, "unknown")) {
            json_decref(names);
            return fail(r, ORCA_EINVAL, "unknown event type");
        }
        mask |= 1ull << t;
    }
    s->outcomes = mask;
    for (unsigned t = 0; t < 64; t++)
        if (mask >> t & 1)
            json_array_append_new(names, json_string(orca_event_name((orca_event_type)t)));
    json_object_set_new(reply, "events", names);
    return 0;
}

/* claim: a gateway that reconnected (or followed a failover) takes its
 * live interactions back, so their outcomes reach this connection; the
 * reply lists those that are not live here (finished, or never arrived:
 * PROTOCOL.md, "Failover", says what to do about them). */
#define PROTO_MAX_CLAIM 1000
static int on_claim(proto_session *s, orca_engine *e, req *r, json_t *reply)
{
    json_t *list = json_object_get(r->root, "interactions"), *v, *gone = json_array();
    size_t k, claimed = 0;
    orca_interaction_info ii;
    if (!gone)
        return PROTO_ENOMEM;
    if (json_array_size(list) > PROTO_MAX_CLAIM) {
        json_decref(gone);
        return fail(r, PROTO_ETOOBIG, "at most 1000 interactions per claim");
    }
    json_array_foreach(list, k, v) {
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            json_decref(gone);
            return fail(r, PROTO_EPROTO, "interactions is a list of interaction ids");
        }
    }
    json_array_foreach(list, k, v) {
        uint64_t id = (uint64_t)json_integer_value(v);
        if (orca_interaction_info_get(e, id, &ii) != ORCA_OK || work_ok(s, e, r, id) < 0) {
            json_array_append_new(gone, json_integer((json_int_t)id));
            continue;
        }
        if (s->host && s->host->claim && s->host->claim(s->host->data, id) != 0) {
            json_decref(gone);
            return PROTO_ENOMEM;
        }
        claimed++;
    }
    json_object_set_new(reply, "claimed", json_integer((json_int_t)claimed));
    json_object_set_new(reply, "not_live", gone);
    return 0;
}

static const field f_claim[] = { { "interactions", F_ARR, 1 }, { NULL, 0, 0 } };
static const field f_outcomes[] = { { "events", F_ARR, 1 }, { NULL, 0, 0 } };
static const field f_subscribe[] = { { "events", F_BOOL, 0 }, { "figures", F_BOOL, 0 }, { NULL, 0, 0 } };

static const msg_type types[] = {
    { "hello", R(GATEWAY) | R(AGENT) | R(SUPERVISOR) | R(ADMIN), 0, f_hello, on_hello },
    { "enqueue", R(GATEWAY), 1, f_enqueue, on_enqueue },
    { "abandon", R(GATEWAY), 1, f_work, on_abandon },
    { "cancel", R(GATEWAY), 1, f_work, on_cancel },
    { "set_priority", R(GATEWAY) | R(SUPERVISOR), 1, f_prio, on_set_priority },
    { "login", R(AGENT), 0, f_login, on_login },
    { "presence", R(AGENT), 1, f_presence, on_presence },
    { "accept", R(AGENT), 1, f_work, on_accept },
    { "reject", R(AGENT), 1, f_work, on_reject },
    { "end", R(AGENT), 1, f_work, on_end },
    { "wrapup_done", R(AGENT), 1, f_work, on_wrapup_done },
    { "queues", R(SUPERVISOR) | R(ADMIN), 0, f_none, on_queues },
    { "agents", R(SUPERVISOR) | R(ADMIN), 0, f_none, on_agents },
    { "position", R(GATEWAY) | R(SUPERVISOR) | R(ADMIN), 0, f_work, on_position },
    { "set_presence", R(SUPERVISOR) | R(ADMIN), 1, f_setpres, on_set_presence },
    { "transfer", R(GATEWAY), 1, f_transfer, on_transfer },
    { "callback", R(GATEWAY), 1, f_callback, on_callback },
    { "compact", R(ADMIN), 1, f_none, on_compact },
    { "reload", R(ADMIN), 1, f_none, on_reload },
    { "shutdown", R(ADMIN), 1, f_none, on_shutdown },
    { "subscribe", R(SUPERVISOR) | R(ADMIN), 0, f_subscribe, on_subscribe },
    { "outcomes", R(GATEWAY), 0, f_outcomes, on_outcomes },
    { "claim", R(GATEWAY), 0, f_claim, on_claim },
};

/* ------------------------------------------------------------------------ */
/* Dispatch                                                                 */
/* ------------------------------------------------------------------------ */

/* The envelope: an object with "v": 1, "id" a string (1..PROTO_MAX_ID
 * bytes) or a non-negative integer, and a known "type". */
static int check_envelope(req *r, const msg_type **t)
{
    json_t *v = json_object_get(r->root, "v"), *type = json_object_get(r->root, "type");
    if (!json_is_object(r->root))
        return fail(r, PROTO_EPROTO, "a message is a JSON object");
    json_t *id = json_object_get(r->root, "id");
    if (id && ((json_is_string(id) && json_string_length(id) > PROTO_MAX_ID)))
        return fail(r, PROTO_ETOOBIG, "the request id is too long");
    if (id && (json_is_string(id) ? json_string_length(id) == 0 : !json_is_integer(id)))
        return fail(r, PROTO_EPROTO, "id is a non-empty string or a number");
    r->id = id;
    if (!id)
        return fail(r, PROTO_EPROTO, "id is missing");
    if (!json_is_integer(v) || json_integer_value(v) != PROTO_VERSION)
        return fail(r, PROTO_EPROTO, "unsupported protocol version (v must be 1)");
    if (!json_is_string(type))
        return fail(r, PROTO_EPROTO, "type is missing or not a string");
    for (size_t k = 0; k < sizeof types / sizeof *types; k++)
        if (!strcmp(types[k].type, json_string_value(type))) {
            *t = &types[k];
            return check_fields(r, types[k].fields);
        }
    return fail(r, PROTO_EPROTO, "unknown message type");
}

static int send_reply(json_t *reply, proto_out_fn out, void *data, char **text)
{
    *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
    if (!*text) {
        static const char oom[] =
            "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"ENOMEM\",\"message\":\"out of memory\"}}";
        out(data, oom, sizeof oom - 1);
        return PROTO_ENOMEM;
    }
    out(data, *text, strlen(*text));
    return 0;
}

int proto_handle(proto_session *s, orca_engine *e, const char *msg, size_t len, proto_out_fn out,
                 void *data)
{
    req r = { NULL, NULL, NULL, NULL };
    const msg_type *t = NULL;
    char *idtext = NULL, *text = NULL;
    json_t *reply = json_object();
    int rc;
    if (!reply)
        rc = PROTO_ENOMEM;
    else if (len > PROTO_MAX_MESSAGE)
        rc = fail(&r, PROTO_ETOOBIG, "message too long");
    else if (!(r.root = json_loadb(msg, len, JSON_REJECT_DUPLICATES, NULL)))
        rc = fail(&r, PROTO_EPROTO, "malformed JSON");
    else
        rc = check_envelope(&r, &t);
    if (rc == 0 && !(s->role ? (t->roles >> s->role) & 1u : t->fn == on_hello))
        rc = s->role ? fail(&r, PROTO_EPERM, "this role may not send this message")
                     : fail(&r, PROTO_EAUTH, "say hello with a token first");
    if (rc == 0 && t->mutating && !(idtext = json_dumps(r.id, JSON_ENCODE_ANY | JSON_COMPACT)))
        rc = PROTO_ENOMEM;
    uint64_t h = idtext ? id_hash(idtext) : 0;
    if (rc == 0 && idtext) {
        const proto_dedup *d = dedup_find(s, idtext, h);
        if (d) {               /* a resend: the first answer, nothing done */
            out(data, d->reply, strlen(d->reply));
            free(idtext);
            json_decref(reply);
            json_decref(r.root);
            return 0;
        }
    }
    if (rc == 0)
        rc = t->fn(s, e, &r, reply);
    if (reply) {
        if (rc < 0)            /* nothing but the error */
            json_object_clear(reply);
        json_object_set(reply, "id", r.id ? r.id : json_null());
        json_object_set_new(reply, "ok", json_boolean(rc == 0));
        if (rc < 0) {
            json_t *err = json_pack("{s:s,s:s}", "code", proto_code_name(rc), "message",
                                    r.msg ? r.msg : orca_strerror(rc));
            if (err && r.errors) /* e.g. a reload's "file:line: message" list */
                json_object_set(err, "errors", r.errors);
            json_object_set_new(reply, "error", err);
        }
    }
    int src = send_reply(reply, out, data, &text);
    if (src == 0 && idtext && rc == 0) {
        dedup_add(s, idtext, h, text);
        idtext = text = NULL;
    }
    free(text);
    free(idtext);
    json_decref(r.errors);
    json_decref(reply);
    json_decref(r.root);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Server-to-client messages                                                */
/* ------------------------------------------------------------------------ */

static const char *outcome_name(orca_outcome o)
{
    static const char *const names[] = { "completed", "abandoned", "cancelled", "timed_out",
                                         "transferred", "contained", "unreached" };
    return o >= 1 && o <= 7 ? names[o - 1] : "unknown";
}

static const char *or_unknown(const char *s)
{
    return s ? s : "";
}

char *proto_offer_json(const orca_engine *e, const orca_offer *o)
{
    json_t *h = json_array(), *m;
    for (uint32_t k = 0; h && k < o->nhistory; k++) {
        const orca_history_entry *x = &o->history[k];
        json_t *j = json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:s,s:i}", "interaction", (json_int_t)x->interaction,
                              "queue", or_unknown(orca_queue_name(e, x->queue)), "channel",
                              or_unknown(orca_channel_name(e, x->channel)), "agent", (json_int_t)x->agent,
                              "arrival_ms", (json_int_t)x->arrival_ms, "end_ms", (json_int_t)x->end_ms,
                              "outcome", outcome_name(x->outcome), "disposition", (int)x->disposition);
        if (!j || json_array_append_new(h, j) < 0) {
            json_decref(h);
            return NULL;
        }
    }
    if (!h)
        return NULL;
    /* expires_ms is UINT64_MAX with no timeout: sent as null */
    m = json_pack("{s:i,s:s,s:I,s:I,s:s,s:s,s:I,s:I,s:I,s:o,s:i,s:i,s:o}", "v", PROTO_VERSION, "type", "offer",
                  "interaction", (json_int_t)o->interaction, "agent", (json_int_t)o->agent, "queue",
                  or_unknown(orca_queue_name(e, o->queue)), "channel", or_unknown(orca_channel_name(e, o->channel)),
                  "customer", (json_int_t)o->customer, "arrival_ms", (json_int_t)o->arrival_ms, "offered_ms",
                  (json_int_t)o->offered_ms, "expires_ms",
                  o->expires_ms == UINT64_MAX ? json_null() : json_integer((json_int_t)o->expires_ms), "attempt",
                  (int)o->attempt, "open", (int)o->open, "history", h);
    char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
    json_decref(m);
    return text;
}

char *proto_event_json(const orca_event *ev, size_t *len)
{
    static const char head[] = "{\"v\":1,\"type\":\"event\",\"event\":";
    size_t n = orca_event_json(ev, NULL, 0);
    char *text = malloc(sizeof head - 1 + n + 2);
    if (!text)
        return NULL;
    memcpy(text, head, sizeof head - 1);
    orca_event_json(ev, text + sizeof head - 1, n + 1);
    memcpy(text + sizeof head - 1 + n, "}", 2);
    *len = sizeof head - 1 + n + 1;
    return text;
}

/* A ratio that means nothing yet (no answers, nothing counted) is null
 * rather than a misleading 0. */
static json_t *ratio_or_null(int counts, double v)
{
    return counts ? json_real(v) : json_null();
}

/* The fairness of a queue's agents over the window (orca_stats_fairness)
 * added to its figures o: null while no agent of it was ready in the
 * window, and the max/min ratio null while the least busy had no work. */
static json_t *with_fairness(json_t *o, const orca_stats *s, orca_queue_id q)
{
    orca_fairness fr;
    int has = orca_stats_fairness(s, ORCA_GROUP_QUEUE, q, ORCA_SPAN_WINDOW, &fr) == ORCA_OK &&
              fr.agents > 0;
    if (o) {
        json_object_set_new(o, "fairness_gini", has ? json_real(fr.occ_gini) : json_null());
        json_object_set_new(o, "fairness_max_min",
                            has && fr.occ_ratio > 0 ? json_real(fr.occ_ratio) : json_null());
    }
    return o;
}

/* One queue's figures: now, and over the stats' sliding window. */
static json_t *queue_figures(const orca_stats *s, orca_queue_id q, const char *name)
{
    orca_figures x;
    uint64_t ewt;
    if (orca_stats_queue(s, q, ORCA_SPAN_WINDOW, &x) != ORCA_OK)
        return json_object(); /* cannot happen for a live queue: an empty entry */
    int has_ewt = orca_stats_ewt(s, q, &ewt) == ORCA_OK;
    int sl_counts = x.answered + x.abandoned > x.abandoned_short;
    return with_fairness(json_pack("{s:I,s:s,s:I,s:I,s:o,s:o,s:o,s:I,s:I,s:I,s:I}", "id", (json_int_t)q, "name", name, "waiting",
                     (json_int_t)x.waiting, "longest_wait_ms", (json_int_t)x.longest_wait_ms,
                     "service_level", ratio_or_null(sl_counts, x.service_level), "asa_ms",
                     ratio_or_null(x.answered > 0, x.asa_ms), "ewt_ms",
                     has_ewt ? json_integer((json_int_t)ewt) : json_null(), "entered",
                     (json_int_t)x.entered, "answered", (json_int_t)x.answered, "abandoned",
                     (json_int_t)x.abandoned, "offers", (json_int_t)x.offers), s, q);
}

static json_t *channel_figures(const orca_stats *s, orca_channel_id ch, const char *name)
{
    orca_figures x;
    if (orca_stats_channel(s, ch, ORCA_SPAN_WINDOW, &x) != ORCA_OK)
        return json_object();
    return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I}", "name", name, "waiting", (json_int_t)x.waiting,
                     "longest_wait_ms", (json_int_t)x.longest_wait_ms, "entered",
                     (json_int_t)x.entered, "answered", (json_int_t)x.answered, "abandoned",
                     (json_int_t)x.abandoned);
}

static json_t *agent_states(const orca_engine *e)
{
    orcad_agent_states st;
    if (orcad_agent_states_get(e, &st) != ORCA_OK)
        return NULL;
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "ready", (json_int_t)st.ready, "offered",
                     (json_int_t)st.offered, "busy", (json_int_t)st.busy, "wrapup",
                     (json_int_t)st.wrapup, "not_ready", (json_int_t)st.not_ready, "offline",
                     (json_int_t)st.offline);
}

char *proto_figures_json(const orca_engine *e, const orca_stats *s)
{
    orca_figures all;
    orca_queue_id q;
    orca_channel_id ch;
    const char *name;
    json_t *qs = json_array(), *cs = json_array(), *m = NULL;
    orcad_walk w = orcad_walk_queues(e);
    int ok = qs && cs && orca_stats_total(s, ORCA_SPAN_WINDOW, &all) == ORCA_OK;
    while (ok && (name = orcad_queue_next(e, &w, &q)))
        ok = json_array_append_new(qs, queue_figures(s, q, name)) == 0;
    w = orcad_walk_channels(e);
    while (ok && (name = orcad_channel_next(e, &w, &ch)))
        ok = json_array_append_new(cs, channel_figures(s, ch, name)) == 0;
    if (ok)
        m = json_pack("{s:i,s:s,s:I,s:I,s:O,s:O,s:o}", "v", PROTO_VERSION, "type", "figures", "now_ms",
                      (json_int_t)orca_engine_now(e), "window_ms", (json_int_t)all.span_ms, "queues",
                      qs, "channels", cs, "agents", agent_states(e));
    json_decref(qs);
    json_decref(cs);
    char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
    json_decref(m);
    return text;
}

/* ------------------------------------------------------------------------ */
/* Refusals by the transport                                                */
/* ------------------------------------------------------------------------ */

int proto_refuse(const char *msg, size_t len, int code, const char *why, proto_out_fn out,
                 void *data)
{
    json_t *root = len <= PROTO_MAX_MESSAGE ? json_loadb(msg, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    json_t *id = json_object_get(root, "id");
    /* Only an id the request could have had is echoed; else null. */
    if (id && !(json_is_integer(id) && json_integer_value(id) >= 0) &&
        !(json_is_string(id) && json_string_length(id) >= 1 && json_string_length(id) <= PROTO_MAX_ID))
        id = NULL;
    json_t *reply = json_pack("{s:O,s:b,s:{s:s,s:s}}", "id", id ? id : json_null(), "ok", 0,
                              "error", "code", proto_code_name(code), "message", why);
    char *text = NULL;
    send_reply(reply, out, data, &text);
    free(text);
    json_decref(reply);
    json_decref(root);
    return code;
}
