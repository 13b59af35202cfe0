/*
 * test_proto.c: orcad's JSON message layer (server/proto.c) against a real
 * engine built from a small config: each message's happy path, every kind
 * of bad input answered with its code and changing nothing (engine dump
 * unchanged), role enforcement, and idempotent resends by request id.
 */
#include "testutil.h"

#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "proto.h"

static const char conf[] =
    "skills = [ \"english\", \"billing\" ];\n"
    "queues = ( { name = \"sales\"; wrapup_ms = 5000; }, { name = \"support\"; max_size = 1; } );\n"
    "agents = (\n"
    " { id = 1; skills = { english = 50; }; queues = { sales = 0; support = 0; }; },\n"
    " { id = 2; skills = { english = 50; }; queues = { sales = 0; }; }\n"
    ");\n"
    "tokens = ( { token = \"gateway-token-0001\"; role = \"gateway\"; },\n"
    "  { token = \"agent-token-000001\"; role = \"agent\"; },\n"
    "  { token = \"super-token-000001\"; role = \"supervisor\"; },\n"
    "  { token = \"admin-token-000001\"; role = \"admin\"; },\n"
    "  { token = \"gw-voice-token-001\"; role = \"gateway\"; channels = [ \"voice\", \"callback\" ]; },\n"
    "  { token = \"agent-two-token-01\"; role = \"agent\"; agent = 2; } );\n";

typedef struct fx {
    orcad_config cfg;
    orca_engine *e;
    proto_session gw, ag1, ag2, sup, anon;
    char *last;                /* the last reply */
    int replies;
} fx;

static void out(void *data, const char *msg, size_t len)
{
    fx *f = data;
    free(f->last);
    f->last = strndup(msg, len);
    f->replies++;
}

/* Send msg on s; the reply (exactly one) is parsed and returned. */
static json_t *ask_(fx *f, proto_session *s, const char *msg, int want, int line)
{
    int before = f->replies;
    int rc = proto_handle(s, f->e, msg, strlen(msg), out, f);
    if (rc != want)
        fail_msg("line %d: %s -> %d (%s), want %d; reply %s", line, msg, rc, proto_code_name(rc), want,
                 f->last);
    assert_int_equal(f->replies, before + 1);
    json_t *r = json_loads(f->last, 0, NULL);
    assert_non_null(r);
    assert_true(json_is_boolean(json_object_get(r, "ok")));
    assert_int_equal(json_is_true(json_object_get(r, "ok")), want == 0);
    if (want < 0)
        assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "code")),
                            proto_code_name(want));
    return r;
}
#define ASK(f, s, msg, want) ask_((f), (s), (msg), (want), __LINE__)
#define OK(f, s, msg) json_decref(ASK(f, s, msg, 0))

/* Bad input: the code, and the engine exactly as it was. */
#define BAD(f, s, msg, want) do {                                                         \
        tu_snap sn_;                                                                      \
        tu_snap_take_(&sn_, (f)->e, __FILE__, __LINE__);                                  \
        json_decref(ask_((f), (s), (msg), (want), __LINE__));                             \
        tu_snap_same_(&sn_, (f)->e, (msg), __FILE__, __LINE__);                           \
    } while (0)

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    orcad_errors err = { 0 };
    orca_config ec;
    assert_int_equal(orcad_config_load_string(conf, "t.conf", &f->cfg, &err), 0);
    orcad_config_engine(&f->cfg, 1000, &ec);
    assert_int_equal(orca_engine_new(&ec, &f->e), 0);
    assert_int_equal(orcad_config_apply(&f->cfg, f->e, &err), 0);
    orcad_errors_free(&err);
    proto_session *all[] = { &f->gw, &f->ag1, &f->ag2, &f->sup, &f->anon };
    for (size_t k = 0; k < 5; k++)
        proto_session_init(all[k], &f->cfg);
    OK(f, &f->gw, "{\"v\":1,\"id\":1,\"type\":\"hello\",\"token\":\"gateway-token-0001\"}");
    OK(f, &f->ag1, "{\"v\":1,\"id\":1,\"type\":\"hello\",\"token\":\"agent-token-000001\"}");
    OK(f, &f->ag2, "{\"v\":1,\"id\":1,\"type\":\"hello\",\"token\":\"agent-token-000001\"}");
    OK(f, &f->sup, "{\"v\":1,\"id\":1,\"type\":\"hello\",\"token\":\"super-token-000001\"}");
    OK(f, &f->ag1, "{\"v\":1,\"id\":2,\"type\":\"login\",\"agent\":1}");
    OK(f, &f->ag2, "{\"v\":1,\"id\":2,\"type\":\"login\",\"agent\":2}");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    TU_CHECK(f->e);
    proto_session *all[] = { &f->gw, &f->ag1, &f->ag2, &f->sup, &f->anon };
    for (size_t k = 0; k < 5; k++)
        proto_session_free(all[k]);
    orca_engine_free(f->e);
    orcad_config_free(&f->cfg);
    free(f->last);
    free(f);
    return 0;
}

static orca_interaction_state state_of(fx *f, uint64_t id)
{
    orca_interaction_info ii;
    TU_OK(orca_interaction_info_get(f->e, id, &ii));
    return ii.state;
}

static void test_hello(void **state)
{
    fx *f = *state;
    json_t *r = ASK(f, &f->anon, "{\"v\":1,\"id\":\"a\",\"type\":\"hello\",\"token\":\"admin-token-000001\"}", 0);
    assert_string_equal(json_string_value(json_object_get(r, "role")), "admin");
    assert_string_equal(json_string_value(json_object_get(r, "id")), "a");
    assert_int_equal(json_integer_value(json_object_get(r, "protocol")), 1);
    json_decref(r);
    proto_session s;
    proto_session_init(&s, &f->cfg);
    BAD(f, &s, "{\"v\":1,\"id\":1,\"type\":\"hello\",\"token\":\"wrong-token-000001\"}", PROTO_EAUTH);
    BAD(f, &s, "{\"v\":1,\"id\":1,\"type\":\"queues\"}", PROTO_EAUTH);
    BAD(f, &s, "{\"v\":1,\"id\":1,\"type\":\"enqueue\",\"interaction\":5,\"queue\":\"sales\",\"channel\":\"voice\"}",
        PROTO_EAUTH);
    assert_int_equal(s.role, 0);
    proto_session_free(&s);
}

/* The gateway's messages and the agent's whole life of one call. */
static void test_call_flow(void **state)
{
    fx *f = *state;
    OK(f, &f->gw, "{\"v\":1,\"id\":10,\"type\":\"enqueue\",\"interaction\":100,\"queue\":\"sales\","
                  "\"channel\":\"voice\",\"customer\":7,\"priority\":3,\"skills\":{\"english\":20}}");
    assert_int_equal(state_of(f, 100), ORCA_STATE_WAITING);
    json_t *r = ASK(f, &f->gw, "{\"v\":1,\"id\":11,\"type\":\"position\",\"interaction\":100}", 0);
    assert_int_equal(json_integer_value(json_object_get(r, "position")), 1);
    json_decref(r);
    OK(f, &f->gw, "{\"v\":1,\"id\":12,\"type\":\"set_priority\",\"interaction\":100,\"priority\":9}");
    orca_interaction_info ii;
    TU_OK(orca_interaction_info_get(f->e, 100, &ii));
    assert_int_equal(ii.priority, 9);
    OK(f, &f->ag1, "{\"v\":1,\"id\":3,\"type\":\"presence\",\"presence\":\"ready\"}");
    assert_int_equal(state_of(f, 100), ORCA_STATE_OFFERED);
    /* agent 2 may not touch agent 1's offer */
    BAD(f, &f->ag2, "{\"v\":1,\"id\":3,\"type\":\"accept\",\"interaction\":100}", PROTO_EPERM);
    OK(f, &f->ag1, "{\"v\":1,\"id\":4,\"type\":\"accept\",\"interaction\":100}");
    assert_int_equal(state_of(f, 100), ORCA_STATE_BUSY);
    /* accepted twice (a resend): answered as done, nothing changes */
    BAD(f, &f->ag1, "{\"v\":1,\"id\":5,\"type\":\"accept\",\"interaction\":100}", 0);
    OK(f, &f->ag1, "{\"v\":1,\"id\":6,\"type\":\"end\",\"interaction\":100}");
    assert_int_equal(state_of(f, 100), ORCA_STATE_WRAPUP);
    BAD(f, &f->ag1, "{\"v\":1,\"id\":8,\"type\":\"accept\",\"interaction\":100}", ORCA_ESTATE);
    OK(f, &f->ag1, "{\"v\":1,\"id\":7,\"type\":\"wrapup_done\",\"interaction\":100}");
    TU_RC(orca_interaction_info_get(f->e, 100, &ii), ORCA_ENOENT);
}

static void test_reject_abandon_cancel(void **state)
{
    fx *f = *state;
    OK(f, &f->ag2, "{\"v\":1,\"id\":3,\"type\":\"presence\",\"presence\":\"ready\"}");
    OK(f, &f->gw, "{\"v\":1,\"id\":10,\"type\":\"enqueue\",\"interaction\":100,\"queue\":\"sales\",\"channel\":\"chat\"}");
    assert_int_equal(state_of(f, 100), ORCA_STATE_OFFERED);
    OK(f, &f->ag2, "{\"v\":1,\"id\":4,\"type\":\"reject\",\"interaction\":100}");
    assert_int_equal(state_of(f, 100), ORCA_STATE_WAITING);
    OK(f, &f->gw, "{\"v\":1,\"id\":11,\"type\":\"abandon\",\"interaction\":100}");
    OK(f, &f->gw, "{\"v\":1,\"id\":12,\"type\":\"enqueue\",\"interaction\":101,\"queue\":\"support\",\"channel\":\"voice\"}");
    OK(f, &f->gw, "{\"v\":1,\"id\":13,\"type\":\"cancel\",\"interaction\":101}");
    orca_counts c;
    TU_OK(orca_engine_counts(f->e, &c));
    orca_interaction_info ii;
    TU_RC(orca_interaction_info_get(f->e, 100, &ii), ORCA_ENOENT);
    TU_RC(orca_interaction_info_get(f->e, 101, &ii), ORCA_ENOENT);
    BAD(f, &f->gw, "{\"v\":1,\"id\":14,\"type\":\"cancel\",\"interaction\":101}", ORCA_ENOENT);
}

static void test_supervisor(void **state)
{
    fx *f = *state;
    OK(f, &f->gw, "{\"v\":1,\"id\":10,\"type\":\"enqueue\",\"interaction\":100,\"queue\":\"sales\",\"channel\":\"voice\"}");
    OK(f, &f->gw, "{\"v\":1,\"id\":11,\"type\":\"enqueue\",\"interaction\":101,\"queue\":\"sales\",\"channel\":\"voice\"}");
    json_t *r = ASK(f, &f->sup, "{\"v\":1,\"id\":2,\"type\":\"queues\"}", 0);
    json_t *q = json_array_get(json_object_get(r, "queues"), 0);
    assert_int_equal(json_array_size(json_object_get(r, "queues")), 2);
    assert_string_equal(json_string_value(json_object_get(q, "name")), "sales");
    assert_int_equal(json_integer_value(json_object_get(q, "waiting")), 2);
    json_decref(r);
    r = ASK(f, &f->sup, "{\"v\":1,\"id\":3,\"type\":\"position\",\"interaction\":101}", 0);
    assert_int_equal(json_integer_value(json_object_get(r, "position")), 2);
    assert_int_equal(json_integer_value(json_object_get(r, "waiting")), 2);
    json_decref(r);
    OK(f, &f->sup, "{\"v\":1,\"id\":4,\"type\":\"set_presence\",\"agent\":2,\"presence\":\"ready\"}");
    assert_int_equal(state_of(f, 100), ORCA_STATE_OFFERED);
    r = ASK(f, &f->sup, "{\"v\":1,\"id\":5,\"type\":\"agents\"}", 0);
    json_t *a = json_object_get(r, "agents");
    assert_int_equal(json_array_size(a), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 1), "presence")), "ready");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 1), "offered")), 1);
    json_decref(r);
}

/* Roles: each message from a role that may not send it is EPERM and does
 * nothing. */
static void test_roles(void **state)
{
    fx *f = *state;
    OK(f, &f->gw, "{\"v\":1,\"id\":10,\"type\":\"enqueue\",\"interaction\":100,\"queue\":\"sales\",\"channel\":\"voice\"}");
    BAD(f, &f->ag1, "{\"v\":1,\"id\":9,\"type\":\"enqueue\",\"interaction\":101,\"queue\":\"sales\",\"channel\":\"voice\"}",
        PROTO_EPERM);
    BAD(f, &f->gw, "{\"v\":1,\"id\":11,\"type\":\"accept\",\"interaction\":100}", PROTO_EPERM);
    BAD(f, &f->gw, "{\"v\":1,\"id\":12,\"type\":\"presence\",\"presence\":\"ready\"}", PROTO_EPERM);
    BAD(f, &f->sup, "{\"v\":1,\"id\":12,\"type\":\"cancel\",\"interaction\":100}", PROTO_EPERM);
    BAD(f, &f->ag1, "{\"v\":1,\"id\":12,\"type\":\"queues\"}", PROTO_EPERM);
    BAD(f, &f->gw, "{\"v\":1,\"id\":12,\"type\":\"set_presence\",\"agent\":1,\"presence\":\"ready\"}", PROTO_EPERM);
    /* an agent not logged in may not act */
    proto_session s;
    proto_session_init(&s, &f->cfg);
    OK(f, &s, "{\"v\":1,\"id\":1,\"type\":\"hello\",\"token\":\"agent-token-000001\"}");
    BAD(f, &s, "{\"v\":1,\"id\":2,\"type\":\"presence\",\"presence\":\"ready\"}", PROTO_EPERM);
    BAD(f, &s, "{\"v\":1,\"id\":3,\"type\":\"login\",\"agent\":99}", ORCA_ENOENT);
    assert_int_equal(s.agent, 0);
    proto_session_free(&s);
}

/* Every kind of bad input: its code, and nothing changes. */
static void test_bad_input(void **state)
{
    fx *f = *state;
    static const struct { const char *msg; int code; } bad[] = {
        { "", PROTO_EPROTO },
        { "{", PROTO_EPROTO },
        { "[1,2]", PROTO_EPROTO },
        { "\"enqueue\"", PROTO_EPROTO },
        { "{\"v\":1,\"id\":1,\"type\":\"enqueue\",\"id\":2}", PROTO_EPROTO },     /* duplicate key */
        { "{\"id\":1,\"type\":\"cancel\",\"interaction\":1}", PROTO_EPROTO },     /* no version */
        { "{\"v\":2,\"id\":1,\"type\":\"cancel\",\"interaction\":1}", PROTO_EPROTO },
        { "{\"v\":\"1\",\"id\":1,\"type\":\"cancel\",\"interaction\":1}", PROTO_EPROTO },
        { "{\"v\":1,\"type\":\"cancel\",\"interaction\":1}", PROTO_EPROTO },      /* no id */
        { "{\"v\":1,\"id\":true,\"type\":\"cancel\",\"interaction\":1}", PROTO_EPROTO },
        { "{\"v\":1,\"id\":\"\",\"type\":\"cancel\",\"interaction\":1}", PROTO_EPROTO },
        { "{\"v\":1,\"id\":1,\"interaction\":1}", PROTO_EPROTO },                /* no type */
        { "{\"v\":1,\"id\":1,\"type\":\"launch\"}", PROTO_EPROTO },
        { "{\"v\":1,\"id\":1,\"type\":\"cancel\",\"interaction\":1,\"why\":1}", PROTO_EPROTO },
        { "{\"v\":1,\"id\":1,\"type\":\"cancel\"}", PROTO_EPROTO },              /* missing */
        { "{\"v\":1,\"id\":1,\"type\":\"cancel\",\"interaction\":\"1\"}", PROTO_EPROTO },
        { "{\"v\":1,\"id\":1,\"type\":\"cancel\",\"interaction\":1.5}", PROTO_EPROTO },
        { "{\"v\":1,\"id\":1,\"type\":\"cancel\",\"interaction\":-1}", PROTO_EPROTO },
        { "{\"v\":1,\"id\":1,\"type\":\"cancel\",\"interaction\":0}", ORCA_EINVAL },
        { "{\"v\":1,\"id\":1,\"type\":\"enqueue\",\"interaction\":5,\"queue\":\"nope\",\"channel\":\"voice\"}", ORCA_ENOENT },
        { "{\"v\":1,\"id\":1,\"type\":\"enqueue\",\"interaction\":5,\"queue\":\"sales\",\"channel\":\"fax\"}", ORCA_ENOENT },
        { "{\"v\":1,\"id\":1,\"type\":\"enqueue\",\"interaction\":5,\"queue\":\"sales\",\"channel\":\"voice\","
          "\"skills\":{\"english\":101}}", ORCA_ERANGE },
        { "{\"v\":1,\"id\":1,\"type\":\"enqueue\",\"interaction\":5,\"queue\":\"sales\",\"channel\":\"voice\","
          "\"skills\":{\"english\":\"high\"}}", ORCA_ERANGE },
        { "{\"v\":1,\"id\":1,\"type\":\"enqueue\",\"interaction\":5,\"queue\":\"sales\",\"channel\":\"voice\","
          "\"skills\":{\"klingon\":10}}", ORCA_ENOENT },
        { "{\"v\":1,\"id\":1,\"type\":\"enqueue\",\"interaction\":5,\"queue\":\"sales\",\"channel\":\"voice\","
          "\"skills\":[1]}", PROTO_EPROTO },
        { "{\"v\":1,\"id\":1,\"type\":\"enqueue\",\"interaction\":5,\"queue\":\"sales\",\"channel\":\"voice\","
          "\"priority\":4294967296}", ORCA_ERANGE },
        { "{\"v\":1,\"id\":1,\"type\":\"enqueue\",\"interaction\":5,\"queue\":\"sales\",\"channel\":\"voice\","
          "\"priority\":100000}", ORCA_ERANGE },
        { "{\"v\":1,\"id\":1,\"type\":\"enqueue\",\"interaction\":5,\"queue\":"
          "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
          "\"channel\":\"voice\"}", PROTO_ETOOBIG },
        { "{\"v\":1,\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
          "\"type\":\"cancel\",\"interaction\":1}", PROTO_ETOOBIG },
    };
    OK(f, &f->gw, "{\"v\":1,\"id\":10,\"type\":\"enqueue\",\"interaction\":1,\"queue\":\"sales\",\"channel\":\"voice\"}");
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        BAD(f, &f->gw, bad[k].msg, bad[k].code);
    /* oversize message */
    size_t n = PROTO_MAX_MESSAGE + 1;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    big[n] = 0;
    memcpy(big, "{\"v\":1,\"id\":1,\"type\":\"cancel\",\"interaction\":1}", 45);
    BAD(f, &f->gw, big, PROTO_ETOOBIG);
    free(big);
    /* agent-side bad input */
    BAD(f, &f->ag1, "{\"v\":1,\"id\":1,\"type\":\"presence\",\"presence\":\"away\"}", ORCA_EINVAL);
    BAD(f, &f->ag1, "{\"v\":1,\"id\":1,\"type\":\"presence\",\"presence\":\"ready\",\"reason\":\"x\"}", PROTO_EPROTO);
    assert_int_equal(state_of(f, 1), ORCA_STATE_WAITING);
}

/* A resent request (same request id) gets the first reply and is not
 * applied twice; a new id is a new request. */
static void test_idempotent(void **state)
{
    fx *f = *state;
    const char *m = "{\"v\":1,\"id\":\"req-1\",\"type\":\"enqueue\",\"interaction\":100,\"queue\":\"sales\","
                    "\"channel\":\"voice\"}";
    OK(f, &f->gw, m);
    char *first = strdup(f->last);
    orca_counts c1, c2;
    TU_OK(orca_engine_counts(f->e, &c1));
    BAD(f, &f->gw, m, 0);
    assert_string_equal(f->last, first);
    TU_OK(orca_engine_counts(f->e, &c2));
    assert_memory_equal(&c1, &c2, sizeof c1);
    free(first);
    /* the same interaction under a new request id: the engine's EEXIST */
    BAD(f, &f->gw, "{\"v\":1,\"id\":\"req-2\",\"type\":\"enqueue\",\"interaction\":100,\"queue\":\"sales\","
                   "\"channel\":\"voice\"}", ORCA_EEXIST);
}

/* transfer: BUSY work to a new leg, consult then blind; every refusal
 * changes nothing. */
static void test_transfer(void **state)
{
    fx *f = *state;
    orca_interaction_info ii;
    OK(f, &f->ag1, "{\"v\":1,\"id\":3,\"type\":\"presence\",\"presence\":\"ready\"}");
    OK(f, &f->gw, "{\"v\":1,\"id\":10,\"type\":\"enqueue\",\"interaction\":100,\"queue\":\"sales\","
                  "\"channel\":\"voice\",\"customer\":7}");
    OK(f, &f->ag1, "{\"v\":1,\"id\":4,\"type\":\"accept\",\"interaction\":100}");
    /* agent 1 is busy: 101 waits in sales, 102 fills support (max_size 1) */
    OK(f, &f->gw, "{\"v\":1,\"id\":11,\"type\":\"enqueue\",\"interaction\":101,\"queue\":\"sales\",\"channel\":\"voice\"}");
    OK(f, &f->gw, "{\"v\":1,\"id\":12,\"type\":\"enqueue\",\"interaction\":102,\"queue\":\"support\",\"channel\":\"voice\"}");
#define TX(to, mode) "{\"v\":1,\"id\":20,\"type\":\"transfer\",\"interaction\":100,\"to\":" to ",\"mode\":\"" mode "\"}"
    static const struct { const char *msg; int code; } bad[] = {
        { TX("{\"interaction\":103,\"queue\":\"sales\",\"channel\":\"voice\"}", "warm"), ORCA_EINVAL },
        { TX("1", "blind"), PROTO_EPROTO },
        { TX("{\"interaction\":103,\"queue\":\"sales\",\"channel\":\"voice\",\"colour\":1}", "blind"), PROTO_EPROTO },
        { TX("{\"interaction\":103,\"queue\":\"sales\",\"channel\":\"voice\",\"id\":1}", "blind"), PROTO_EPROTO },
        { TX("{\"queue\":\"sales\",\"channel\":\"voice\"}", "blind"), PROTO_EPROTO },
        { TX("{\"interaction\":\"103\",\"queue\":\"sales\",\"channel\":\"voice\"}", "blind"), PROTO_EPROTO },
        { TX("{\"interaction\":103,\"queue\":\"nowhere\",\"channel\":\"voice\"}", "blind"), ORCA_ENOENT },
        { TX("{\"interaction\":103,\"queue\":\"sales\",\"channel\":\"fax\"}", "blind"), ORCA_ENOENT },
        { TX("{\"interaction\":103,\"queue\":\"sales\",\"channel\":\"voice\",\"skills\":{\"juggling\":5}}", "blind"), ORCA_ENOENT },
        { TX("{\"interaction\":103,\"queue\":\"sales\",\"channel\":\"voice\",\"skills\":{\"english\":500}}", "blind"), ORCA_ERANGE },
        { TX("{\"interaction\":103,\"queue\":\"sales\",\"channel\":\"voice\",\"agent\":99}", "blind"), ORCA_ENOENT },
        { TX("{\"interaction\":103,\"queue\":\"sales\",\"channel\":\"voice\",\"agent\":2,\"agent_required\":2}", "blind"), ORCA_EINVAL },
        { TX("{\"interaction\":103,\"queue\":\"sales\",\"channel\":\"voice\",\"priority\":4294967296}", "blind"), ORCA_ERANGE },
        { TX("{\"interaction\":103,\"queue\":\"sales\",\"channel\":\"voice\",\"priority\":100000}", "blind"), ORCA_ERANGE },
        { TX("{\"interaction\":103,\"queue\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",\"channel\":\"voice\"}", "blind"), PROTO_ETOOBIG },
        { TX("{\"interaction\":101,\"queue\":\"sales\",\"channel\":\"voice\"}", "blind"), ORCA_EEXIST },
        { TX("{\"interaction\":100,\"queue\":\"sales\",\"channel\":\"voice\"}", "consult"), ORCA_EINVAL },
        { TX("{\"interaction\":0,\"queue\":\"sales\",\"channel\":\"voice\"}", "blind"), ORCA_EINVAL },
        { "{\"v\":1,\"id\":20,\"type\":\"transfer\",\"interaction\":100,\"mode\":\"blind\"}", PROTO_EPROTO },
        { "{\"v\":1,\"id\":20,\"type\":\"transfer\",\"interaction\":100,\"to\":{\"interaction\":103,\"queue\":\"sales\",\"channel\":\"voice\"}}", PROTO_EPROTO },
        { "{\"v\":1,\"id\":20,\"type\":\"transfer\",\"interaction\":999,\"to\":{\"interaction\":103,\"queue\":\"sales\",\"channel\":\"voice\"},\"mode\":\"blind\"}", ORCA_ENOENT },
        { "{\"v\":1,\"id\":20,\"type\":\"transfer\",\"interaction\":101,\"to\":{\"interaction\":103,\"queue\":\"sales\",\"channel\":\"voice\"},\"mode\":\"blind\"}", ORCA_ESTATE },
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        BAD(f, &f->gw, bad[k].msg, bad[k].code);
    /* support is full: refused (the engine counts the refusal as an event,
     * as for enqueue), 100 stays with its agent and no leg is made */
    json_decref(ASK(f, &f->gw, TX("{\"interaction\":103,\"queue\":\"support\",\"channel\":\"voice\"}", "blind"), ORCA_EFULL));
    assert_int_equal(state_of(f, 100), ORCA_STATE_BUSY);
    TU_RC(orca_interaction_info_get(f->e, 103, &ii), ORCA_ENOENT);
    BAD(f, &f->ag1, TX("{\"interaction\":103,\"queue\":\"sales\",\"channel\":\"voice\"}", "blind"), PROTO_EPERM);
    BAD(f, &f->sup, TX("{\"interaction\":103,\"queue\":\"sales\",\"channel\":\"voice\"}", "blind"), PROTO_EPERM);
    /* consult: 100 stays BUSY with its agent, the new leg 103 waits */
    json_t *r = ASK(f, &f->gw, TX("{\"interaction\":103,\"queue\":\"sales\",\"channel\":\"chat\",\"priority\":5}", "consult"), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "interaction")), 103);
    json_decref(r);
    TU_OK(orca_interaction_info_get(f->e, 100, &ii));
    assert_int_equal(ii.state, ORCA_STATE_BUSY);
    assert_int_equal(ii.transfer_to, 103);
    TU_OK(orca_interaction_info_get(f->e, 103, &ii));
    assert_int_equal(ii.customer, 7);
    assert_int_equal(ii.channel, ORCA_CHANNEL_CHAT);
    assert_int_equal(ii.priority, 5);
    /* the same request id again: the first reply, nothing done twice */
    OK(f, &f->gw, TX("{\"interaction\":103,\"queue\":\"sales\",\"channel\":\"chat\",\"priority\":5}", "consult"));
    /* a second transfer while one is pending */
    BAD(f, &f->gw, "{\"v\":1,\"id\":21,\"type\":\"transfer\",\"interaction\":100,\"to\":{\"interaction\":104,"
                   "\"queue\":\"sales\",\"channel\":\"voice\"},\"mode\":\"blind\"}", ORCA_ESTATE);
    /* the consult leg goes away: 100 is still the agent's; now blind, same id */
    OK(f, &f->gw, "{\"v\":1,\"id\":22,\"type\":\"cancel\",\"interaction\":103}");
    /* agent 2 (the named target) is not ready but online: the work is held for it */
    OK(f, &f->ag2, "{\"v\":1,\"id\":3,\"type\":\"presence\",\"presence\":\"not_ready\"}");
    OK(f, &f->gw, "{\"v\":1,\"id\":23,\"type\":\"transfer\",\"interaction\":100,\"to\":{\"interaction\":100,"
                  "\"queue\":\"sales\",\"channel\":\"voice\",\"agent\":2,\"agent_wait_ms\":1000},\"mode\":\"blind\"}");
    TU_OK(orca_interaction_info_get(f->e, 100, &ii));
    assert_true(ii.state == ORCA_STATE_WAITING || ii.state == ORCA_STATE_OFFERED);
    assert_int_equal(ii.customer, 7);
    assert_int_equal(ii.target_agent, 2);
#undef TX
}

/* callback: waiting work moves to a channel keeping its place, now or
 * scheduled; every refusal changes nothing. */
static void test_callback(void **state)
{
    fx *f = *state;
    orca_interaction_info ii;
    OK(f, &f->gw, "{\"v\":1,\"id\":10,\"type\":\"enqueue\",\"interaction\":100,\"queue\":\"sales\",\"channel\":\"voice\"}");
    OK(f, &f->gw, "{\"v\":1,\"id\":11,\"type\":\"enqueue\",\"interaction\":101,\"queue\":\"sales\",\"channel\":\"voice\"}");
    static const struct { const char *msg; int code; } bad[] = {
        { "{\"v\":1,\"id\":20,\"type\":\"callback\",\"interaction\":100}", PROTO_EPROTO },
        { "{\"v\":1,\"id\":20,\"type\":\"callback\",\"channel\":\"callback\"}", PROTO_EPROTO },
        { "{\"v\":1,\"id\":20,\"type\":\"callback\",\"interaction\":100,\"channel\":\"callback\",\"when\":1}", PROTO_EPROTO },
        { "{\"v\":1,\"id\":20,\"type\":\"callback\",\"interaction\":100,\"channel\":\"callback\",\"not_before_ms\":\"soon\"}", PROTO_EPROTO },
        { "{\"v\":1,\"id\":20,\"type\":\"callback\",\"interaction\":100,\"channel\":\"callback\",\"not_before_ms\":-5}", PROTO_EPROTO },
        { "{\"v\":1,\"id\":20,\"type\":\"callback\",\"interaction\":100,\"channel\":\"fax\"}", ORCA_ENOENT },
        { "{\"v\":1,\"id\":20,\"type\":\"callback\",\"interaction\":999,\"channel\":\"callback\"}", ORCA_ENOENT },
        { "{\"v\":1,\"id\":20,\"type\":\"callback\",\"interaction\":0,\"channel\":\"callback\"}", ORCA_EINVAL },
        { "{\"v\":1,\"id\":20,\"type\":\"callback\",\"interaction\":100,\"channel\":\"callback\",\"not_before_ms\":500}", ORCA_ERANGE },
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        BAD(f, &f->gw, bad[k].msg, bad[k].code);
    BAD(f, &f->sup, "{\"v\":1,\"id\":20,\"type\":\"callback\",\"interaction\":100,\"channel\":\"callback\"}", PROTO_EPERM);
    BAD(f, &f->ag1, "{\"v\":1,\"id\":20,\"type\":\"callback\",\"interaction\":100,\"channel\":\"callback\"}", PROTO_EPERM);
    OK(f, &f->gw, "{\"v\":1,\"id\":21,\"type\":\"callback\",\"interaction\":100,\"channel\":\"callback\"}");
    TU_OK(orca_interaction_info_get(f->e, 100, &ii));
    assert_int_equal(ii.state, ORCA_STATE_WAITING);
    assert_int_equal(ii.channel, ORCA_CHANNEL_CALLBACK);
    OK(f, &f->gw, "{\"v\":1,\"id\":22,\"type\":\"callback\",\"interaction\":101,\"channel\":\"callback\",\"not_before_ms\":3600000}");
    assert_int_equal(state_of(f, 101), ORCA_STATE_SCHEDULED);
    /* offered work is not waiting */
    OK(f, &f->ag1, "{\"v\":1,\"id\":3,\"type\":\"presence\",\"presence\":\"ready\"}");
    assert_int_equal(state_of(f, 100), ORCA_STATE_OFFERED);
    BAD(f, &f->gw, "{\"v\":1,\"id\":23,\"type\":\"callback\",\"interaction\":100,\"channel\":\"voice\"}", ORCA_ESTATE);
}

/* Token scopes: a gateway limited to voice and callback touches nothing
 * on another channel; an agent token bound to agent 2 logs in only as 2. */
static void test_scopes(void **state)
{
    fx *f = *state;
    proto_session gv, a2;
    proto_session_init(&gv, &f->cfg);
    proto_session_init(&a2, &f->cfg);
    OK(f, &gv, "{\"v\":1,\"id\":1,\"type\":\"hello\",\"token\":\"gw-voice-token-001\"}");
    OK(f, &gv, "{\"v\":1,\"id\":2,\"type\":\"enqueue\",\"interaction\":200,\"queue\":\"sales\",\"channel\":\"voice\"}");
    BAD(f, &gv, "{\"v\":1,\"id\":3,\"type\":\"enqueue\",\"interaction\":201,\"queue\":\"sales\",\"channel\":\"chat\"}", PROTO_EPERM);
    /* chat work of another gateway: out of gv's reach */
    OK(f, &f->gw, "{\"v\":1,\"id\":10,\"type\":\"enqueue\",\"interaction\":202,\"queue\":\"sales\",\"channel\":\"chat\"}");
    BAD(f, &gv, "{\"v\":1,\"id\":4,\"type\":\"abandon\",\"interaction\":202}", PROTO_EPERM);
    BAD(f, &gv, "{\"v\":1,\"id\":4,\"type\":\"cancel\",\"interaction\":202}", PROTO_EPERM);
    BAD(f, &gv, "{\"v\":1,\"id\":4,\"type\":\"set_priority\",\"interaction\":202,\"priority\":3}", PROTO_EPERM);
    BAD(f, &gv, "{\"v\":1,\"id\":4,\"type\":\"position\",\"interaction\":202}", PROTO_EPERM);
    BAD(f, &gv, "{\"v\":1,\"id\":4,\"type\":\"callback\",\"interaction\":202,\"channel\":\"callback\"}", PROTO_EPERM);
    BAD(f, &gv, "{\"v\":1,\"id\":4,\"type\":\"callback\",\"interaction\":200,\"channel\":\"sms\"}", PROTO_EPERM);
    BAD(f, &gv, "{\"v\":1,\"id\":4,\"type\":\"transfer\",\"interaction\":202,\"to\":{\"interaction\":203,"
                "\"queue\":\"sales\",\"channel\":\"voice\"},\"mode\":\"blind\"}", PROTO_EPERM);
    BAD(f, &gv, "{\"v\":1,\"id\":4,\"type\":\"cancel\",\"interaction\":999}", ORCA_ENOENT);
    /* its own channel: as any gateway */
    json_t *r = ASK(f, &gv, "{\"v\":1,\"id\":5,\"type\":\"position\",\"interaction\":200}", 0);
    assert_int_equal(json_integer_value(json_object_get(r, "position")), 1);
    json_decref(r);
    OK(f, &gv, "{\"v\":1,\"id\":6,\"type\":\"set_priority\",\"interaction\":200,\"priority\":2}");
    OK(f, &gv, "{\"v\":1,\"id\":7,\"type\":\"callback\",\"interaction\":200,\"channel\":\"callback\"}");
    /* the transfer's new leg must be on its channels too */
    OK(f, &f->ag1, "{\"v\":1,\"id\":3,\"type\":\"presence\",\"presence\":\"ready\"}");
    OK(f, &f->ag1, "{\"v\":1,\"id\":4,\"type\":\"accept\",\"interaction\":200}");
    BAD(f, &gv, "{\"v\":1,\"id\":8,\"type\":\"transfer\",\"interaction\":200,\"to\":{\"interaction\":203,"
                "\"queue\":\"sales\",\"channel\":\"chat\"},\"mode\":\"blind\"}", PROTO_EPERM);
    OK(f, &gv, "{\"v\":1,\"id\":9,\"type\":\"transfer\",\"interaction\":200,\"to\":{\"interaction\":203,"
               "\"queue\":\"sales\",\"channel\":\"voice\"},\"mode\":\"blind\"}");
    /* a new hello takes the new token's scope */
    OK(f, &gv, "{\"v\":1,\"id\":10,\"type\":\"hello\",\"token\":\"gateway-token-0001\"}");
    OK(f, &gv, "{\"v\":1,\"id\":11,\"type\":\"cancel\",\"interaction\":202}");
    /* the bound agent token */
    OK(f, &a2, "{\"v\":1,\"id\":1,\"type\":\"hello\",\"token\":\"agent-two-token-01\"}");
    BAD(f, &a2, "{\"v\":1,\"id\":2,\"type\":\"login\",\"agent\":1}", PROTO_EPERM);
    BAD(f, &a2, "{\"v\":1,\"id\":2,\"type\":\"login\",\"agent\":99}", PROTO_EPERM);
    assert_int_equal(a2.agent, 0);
    OK(f, &a2, "{\"v\":1,\"id\":3,\"type\":\"login\",\"agent\":2}");
    assert_int_equal(a2.agent, 2);
    proto_session_free(&gv);
    proto_session_free(&a2);
}

static void test_codes(void **state)
{
    (void)state;
    assert_string_equal(proto_code_name(ORCA_EINVAL), "EINVAL");
    assert_string_equal(proto_code_name(ORCA_ELOCKED), "ELOCKED");
    assert_string_equal(proto_code_name(ORCA_ECLOSED), "ECLOSED");
    assert_string_equal(proto_code_name(PROTO_EPROTO), "EPROTO");
    assert_string_equal(proto_code_name(PROTO_ETOOBIG), "ETOOBIG");
    assert_string_equal(proto_code_name(PROTO_EUNAVAIL), "EUNAVAIL");
    assert_string_equal(proto_code_name(-16), "EUNKNOWN");
    assert_string_equal(proto_code_name(ORCA_EVERSION), "EVERSION");
    for (int c = -1; c >= -15; c--)
        assert_string_not_equal(proto_code_name(c), "EUNKNOWN");
}

/* The transport's refusal (a client over its rate): ELIMIT with the
 * request's id when it has a valid one, else null; one reply each. */
static void test_refuse(void **state)
{
    (void)state;
    static const struct {
        const char *msg, *id;  /* id: the reply's id as JSON text */
    } cases[] = {
        { "{\"v\":1,\"id\":\"req-1\",\"type\":\"enqueue\"}", "\"req-1\"" },
        { "{\"v\":1,\"id\":42,\"type\":\"queues\"}", "42" },
        { "{\"id\":-1}", "null" },
        { "{\"id\":\"\"}", "null" },
        { "{\"id\":1.5}", "null" },
        { "{\"id\":[1]}", "null" },
        { "{\"id\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}", "null" },
        { "{not json", "null" },
        { "[1,2]", "null" },
        { "", "null" },
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        fx f = { 0 };
        assert_int_equal(proto_refuse(cases[k].msg, strlen(cases[k].msg), ORCA_ELIMIT, "rate limit",
                                      out, &f), ORCA_ELIMIT);
        assert_int_equal(f.replies, 1);
        json_t *r = json_loads(f.last, 0, NULL);
        assert_non_null(r);
        char *id = json_dumps(json_object_get(r, "id"), JSON_ENCODE_ANY | JSON_COMPACT);
        assert_string_equal(id, cases[k].id);
        assert_true(json_is_false(json_object_get(r, "ok")));
        json_t *e = json_object_get(r, "error");
        assert_string_equal(json_string_value(json_object_get(e, "code")), "ELIMIT");
        assert_string_equal(json_string_value(json_object_get(e, "message")), "rate limit");
        free(id);
        json_decref(r);
        free(f.last);
    }
}

/* The offer message an agent's desktop gets, with the customer's history. */
static void test_offer_json(void **state)
{
    fx *f = *state;
    orca_history_entry h = { .interaction = 50, .queue = 1, .channel = ORCA_CHANNEL_CHAT, .agent = 2,
                             .arrival_ms = 10, .end_ms = 20, .outcome = ORCA_OUTCOME_ABANDONED };
    orca_offer o = { .interaction = 100, .agent = 1, .queue = 1, .channel = ORCA_CHANNEL_VOICE,
                     .customer = 7, .offered_ms = 30, .expires_ms = UINT64_MAX, .attempt = 1,
                     .history = &h, .nhistory = 1 };
    char *t = proto_offer_json(f->e, &o);
    assert_non_null(t);
    json_t *m = json_loads(t, 0, NULL);
    assert_non_null(m);
    assert_string_equal(json_string_value(json_object_get(m, "type")), "offer");
    assert_string_equal(json_string_value(json_object_get(m, "queue")), "sales");
    assert_string_equal(json_string_value(json_object_get(m, "channel")), "voice");
    assert_true(json_is_null(json_object_get(m, "expires_ms")));
    json_t *x = json_array_get(json_object_get(m, "history"), 0);
    assert_string_equal(json_string_value(json_object_get(x, "outcome")), "abandoned");
    assert_string_equal(json_string_value(json_object_get(x, "channel")), "chat");
    assert_int_equal(json_integer_value(json_object_get(x, "agent")), 2);
    json_decref(m);
    free(t);
}

/* Admin messages against a fake host: what it was asked, what it answered. */
typedef struct fake_host {
    int reloads, shutdowns, fail;
} fake_host;

static int fake_reload(void *data, orcad_reload *out, orcad_errors *err)
{
    fake_host *h = data;
    h->reloads++;
    if (h->fail) {
        orcad_errors_add(err, "f.conf", 3, "unknown queue 'x'");
        orcad_errors_add(err, "f.conf", 7, "a token must be at least 16 characters");
        return -1;
    }
    memset(out, 0, sizeof *out);
    out->list[ORCAD_RL_QUEUES_ADDED].s = calloc(1, sizeof(char *));
    out->list[ORCAD_RL_QUEUES_ADDED].s[0] = strdup("vip");
    out->list[ORCAD_RL_QUEUES_ADDED].n = out->list[ORCAD_RL_QUEUES_ADDED].cap = 1;
    out->tokens_changed = 1;
    return 0;
}

static void fake_shutdown(void *data)
{
    ((fake_host *)data)->shutdowns++;
}

static void test_admin(void **state)
{
    fx *f = *state;
    fake_host fh = { 0 };
    proto_host host = { fake_reload, fake_shutdown, NULL, NULL, NULL, &fh };
    proto_session adm;
    proto_session_init(&adm, &f->cfg);
    proto_session_set_host(&adm, &host);
    proto_session_set_host(&f->sup, &host);
    proto_session_set_host(&f->gw, &host);
    OK(f, &adm, "{\"v\":1,\"id\":1,\"type\":\"hello\",\"token\":\"admin-token-000001\"}");
    /* Only the admin role: the host is not even asked. */
    static const char *const types[] = { "compact", "reload", "shutdown" };
    for (size_t k = 0; k < 3; k++) {
        char m[128];
        snprintf(m, sizeof m, "{\"v\":1,\"id\":50,\"type\":\"%s\"}", types[k]);
        BAD(f, &f->sup, m, PROTO_EPERM);
        BAD(f, &f->gw, m, PROTO_EPERM);
        BAD(f, &f->ag1, m, PROTO_EPERM);
        BAD(f, &f->anon, m, PROTO_EAUTH);
    }
    BAD(f, &adm, "{\"v\":1,\"id\":2,\"type\":\"reload\",\"file\":\"x\"}", PROTO_EPROTO);
    assert_int_equal(fh.reloads + fh.shutdowns, 0);

    /* reload: what changed, by list. */
    json_t *r = ASK(f, &adm, "{\"v\":1,\"id\":3,\"type\":\"reload\"}", 0);
    json_t *c = json_object_get(r, "changes");
    assert_string_equal(json_string_value(json_array_get(json_object_get(c, "queues_added"), 0)), "vip");
    assert_int_equal(json_array_size(json_object_get(c, "agents_removed")), 0);
    assert_int_equal(json_array_size(json_object_get(c, "not_applied")), 0);
    assert_true(json_is_true(json_object_get(c, "tokens_replaced")));
    json_decref(r);
    /* A bad file: EINVAL with every problem in error.errors. */
    fh.fail = 1;
    r = ASK(f, &adm, "{\"v\":1,\"id\":4,\"type\":\"reload\"}", ORCA_EINVAL);
    json_t *errs = json_object_get(json_object_get(r, "error"), "errors");
    assert_int_equal(json_array_size(errs), 2);
    assert_string_equal(json_string_value(json_array_get(errs, 0)), "f.conf:3: unknown queue 'x'");
    json_decref(r);
    assert_int_equal(fh.reloads, 2);

    /* compact: no journal on this engine. */
    BAD(f, &adm, "{\"v\":1,\"id\":5,\"type\":\"compact\"}", ORCA_ESTATE);
    /* shutdown: ok, and the host is told once (a resend is not acted on). */
    OK(f, &adm, "{\"v\":1,\"id\":6,\"type\":\"shutdown\"}");
    OK(f, &adm, "{\"v\":1,\"id\":6,\"type\":\"shutdown\"}");
    assert_int_equal(fh.shutdowns, 1);
    /* No host (an embedding without one): ESTATE. */
    proto_session_set_host(&adm, NULL);
    BAD(f, &adm, "{\"v\":1,\"id\":7,\"type\":\"reload\"}", ORCA_ESTATE);
    BAD(f, &adm, "{\"v\":1,\"id\":8,\"type\":\"shutdown\"}", ORCA_ESTATE);
    proto_session_free(&adm);
}

/* compact on an engine with a journal: done, with the file's sizes. */
static void test_admin_compact(void **state)
{
    fx *f = *state;
    char dir[] = "/tmp/orca-proto-XXXXXX", path[64];
    orca_engine *e = NULL;
    orca_config ec;
    orcad_errors err = { 0 };
    orca_journal_config jc = { 0 };
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/j", dir);
    orcad_config_engine(&f->cfg, 1000, &ec);
    assert_int_equal(orca_engine_new(&ec, &e), ORCA_OK);
    assert_int_equal(orca_journal_open(e, path, &jc), ORCA_OK);
    assert_int_equal(orcad_config_apply(&f->cfg, e, &err), ORCA_OK);
    orca_engine *live = f->e;
    f->e = e;
    proto_session adm;
    proto_session_init(&adm, &f->cfg);
    OK(f, &adm, "{\"v\":1,\"id\":1,\"type\":\"hello\",\"token\":\"admin-token-000001\"}");
    OK(f, &f->gw, "{\"v\":1,\"id\":10,\"type\":\"enqueue\",\"interaction\":100,\"queue\":\"sales\",\"channel\":\"voice\"}");
    json_t *r = ASK(f, &adm, "{\"v\":1,\"id\":2,\"type\":\"compact\"}", 0);
    orca_journal_info ji;
    assert_int_equal(orca_journal_info_get(e, &ji), ORCA_OK);
    assert_int_equal(ji.compactions, 1);
    assert_true(json_integer_value(json_object_get(r, "bytes_before")) > 0);
    assert_int_equal(json_integer_value(json_object_get(r, "bytes_after")), (json_int_t)ji.bytes);
    json_decref(r);
    proto_session_free(&adm);
    f->e = live;
    orca_engine_free(e);
    unlink(path);
    rmdir(dir);
}

/* outcomes: a gateway chooses the events it hears about its work (all by
 * default); other roles may not; a bad list changes nothing. */
static void test_outcomes(void **state)
{
    fx *f = *state;
    assert_true(f->gw.outcomes == ~0ull);
    const char *m = "{\"v\":1,\"id\":30,\"type\":\"outcomes\",\"events\":[\"accepted\",\"completed\"]}";
    BAD(f, &f->sup, m, PROTO_EPERM);
    BAD(f, &f->ag1, m, PROTO_EPERM);
    BAD(f, &f->anon, m, PROTO_EAUTH);
    BAD(f, &f->gw, "{\"v\":1,\"id\":31,\"type\":\"outcomes\",\"events\":[\"accepted\",\"nope\"]}", ORCA_EINVAL);
    BAD(f, &f->gw, "{\"v\":1,\"id\":32,\"type\":\"outcomes\",\"events\":[\"accepted\",7]}", PROTO_EPROTO);
    BAD(f, &f->gw, "{\"v\":1,\"id\":33,\"type\":\"outcomes\",\"events\":\"accepted\"}", PROTO_EPROTO);
    BAD(f, &f->gw, "{\"v\":1,\"id\":34,\"type\":\"outcomes\"}", PROTO_EPROTO);
    assert_true(f->gw.outcomes == ~0ull); /* unchanged by every refusal */
    json_t *r = ASK(f, &f->gw, m, 0);
    assert_true(f->gw.outcomes == ((1ull << ORCA_EV_ACCEPTED) | (1ull << ORCA_EV_COMPLETED)));
    json_t *ev = json_object_get(r, "events");
    assert_int_equal(json_array_size(ev), 2);
    /* in the engine's order of event types: accepted comes before completed */
    assert_string_equal(json_string_value(json_array_get(ev, 0)), "accepted");
    assert_string_equal(json_string_value(json_array_get(ev, 1)), "completed");
    json_decref(r);
    OK(f, &f->gw, "{\"v\":1,\"id\":35,\"type\":\"outcomes\",\"events\":[]}");
    assert_true(f->gw.outcomes == 0);
}

/* subscribe: supervisors and admins only; the flags land in the session
 * (what ws.c reads to send events and figures); both false stops both;
 * a non-boolean or unknown field is EPROTO and changes nothing. */
static void test_subscribe(void **state)
{
    fx *f = *state;
    const char *sub = "{\"v\":1,\"id\":20,\"type\":\"subscribe\",\"events\":true,\"figures\":true}";
    BAD(f, &f->gw, sub, PROTO_EPERM);
    BAD(f, &f->ag1, sub, PROTO_EPERM);
    BAD(f, &f->anon, sub, PROTO_EAUTH);
    assert_int_equal(f->gw.sub | f->ag1.sub | f->anon.sub, 0);
    json_t *r = ASK(f, &f->sup, sub, 0);
    assert_true(json_is_true(json_object_get(r, "events")));
    assert_true(json_is_true(json_object_get(r, "figures")));
    json_decref(r);
    assert_int_equal(f->sup.sub, PROTO_SUB_EVENTS | PROTO_SUB_FIGURES);
    BAD(f, &f->sup, "{\"v\":1,\"id\":21,\"type\":\"subscribe\",\"events\":1}", PROTO_EPROTO);
    BAD(f, &f->sup, "{\"v\":1,\"id\":22,\"type\":\"subscribe\",\"figures\":\"yes\"}", PROTO_EPROTO);
    BAD(f, &f->sup, "{\"v\":1,\"id\":23,\"type\":\"subscribe\",\"figurs\":true}", PROTO_EPROTO);
    assert_int_equal(f->sup.sub, PROTO_SUB_EVENTS | PROTO_SUB_FIGURES); /* unchanged */
    OK(f, &f->sup, "{\"v\":1,\"id\":24,\"type\":\"subscribe\",\"figures\":true}");
    assert_int_equal(f->sup.sub, PROTO_SUB_FIGURES);
    OK(f, &f->sup, "{\"v\":1,\"id\":25,\"type\":\"subscribe\",\"events\":false,\"figures\":false}");
    assert_int_equal(f->sup.sub, 0);
    proto_session adm;
    proto_session_init(&adm, &f->cfg);
    OK(f, &adm, "{\"v\":1,\"id\":1,\"type\":\"hello\",\"token\":\"admin-token-000001\"}");
    OK(f, &adm, "{\"v\":1,\"id\":2,\"type\":\"subscribe\",\"events\":true}");
    assert_int_equal(adm.sub, PROTO_SUB_EVENTS);
    proto_session_free(&adm);
}

static json_t *by_name(json_t *a, const char *name)
{
    size_t k;
    json_t *x;
    json_array_foreach(a, k, x)
        if (!strcmp(json_string_value(json_object_get(x, "name")), name))
            return x;
    fail_msg("no entry %s", name);
    return NULL;
}

static json_int_t int_of(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

/* The figures message from a small engine with known work: 3 in sales at
 * t=1000, one answered 2 s later by agent 1 (busy), agent 2 not ready;
 * then one abandoned. Waiting, longest wait, SL, ASA, EWT, the window's
 * counts and the agents by state are what the engine says they are. */
static void test_figures_json(void **state)
{
    fx *f = *state;
    orca_stats *st;
    TU_OK(orca_stats_new(f->e, NULL, &st));
    char *t = proto_figures_json(f->e, st);
    assert_non_null(t);
    json_t *m = json_loads(t, 0, NULL);
    free(t);
    assert_non_null(m);
    json_t *q = by_name(json_object_get(m, "queues"), "sales");
    assert_int_equal(int_of(q, "waiting"), 0);
    assert_true(json_is_null(json_object_get(q, "service_level"))); /* nothing counts yet */
    assert_true(json_is_null(json_object_get(q, "asa_ms")));
    assert_true(json_is_null(json_object_get(q, "ewt_ms")));
    assert_true(json_is_null(json_object_get(q, "fairness_gini"))); /* nobody ready yet */
    assert_true(json_is_null(json_object_get(q, "fairness_max_min")));
    assert_int_equal(int_of(json_object_get(m, "agents"), "offline"), 2);
    json_decref(m);

    for (int k = 0; k < 3; k++) {
        char msg[160];
        snprintf(msg, sizeof msg, "{\"v\":1,\"id\":%d,\"type\":\"enqueue\",\"interaction\":%d,"
                 "\"queue\":\"sales\",\"channel\":\"voice\"}", 30 + k, 100 + k);
        OK(f, &f->gw, msg);
    }
    TU_OK(orca_engine_advance(f->e, 3000));
    OK(f, &f->ag1, "{\"v\":1,\"id\":3,\"type\":\"presence\",\"presence\":\"ready\"}");
    OK(f, &f->ag1, "{\"v\":1,\"id\":4,\"type\":\"accept\",\"interaction\":100}");
    OK(f, &f->sup, "{\"v\":1,\"id\":5,\"type\":\"set_presence\",\"agent\":2,\"presence\":\"not_ready\"}");
    TU_OK(orca_engine_advance(f->e, 4000));
    OK(f, &f->gw, "{\"v\":1,\"id\":40,\"type\":\"abandon\",\"interaction\":102}");

    orca_figures x;
    uint64_t ewt;
    TU_OK(orca_stats_queue(st, 1, ORCA_SPAN_WINDOW, &x));
    TU_OK(orca_stats_ewt(st, 1, &ewt));
    assert_non_null(t = proto_figures_json(f->e, st));
    assert_non_null(m = json_loads(t, 0, NULL));
    free(t);
    assert_string_equal(json_string_value(json_object_get(m, "type")), "figures");
    assert_int_equal(int_of(m, "v"), 1);
    assert_int_equal(int_of(m, "now_ms"), 4000);
    assert_int_equal(json_array_size(json_object_get(m, "queues")), 2);
    q = by_name(json_object_get(m, "queues"), "sales");
    assert_int_equal(int_of(q, "waiting"), 1);             /* 101 (102 abandoned) */
    assert_int_equal(int_of(q, "longest_wait_ms"), 3000);  /* 101 since t=1000 */
    assert_int_equal(int_of(q, "entered"), 3);
    assert_int_equal(int_of(q, "answered"), 1);
    assert_int_equal(int_of(q, "abandoned"), 1);
    assert_true(json_is_real(json_object_get(q, "asa_ms")));
    assert_true(json_real_value(json_object_get(q, "asa_ms")) == 2000.0);
    assert_true(json_real_value(json_object_get(q, "service_level")) == x.service_level);
    assert_int_equal(int_of(q, "ewt_ms"), (json_int_t)ewt);
    /* agent 1, READY at 3 s and working since: one agent, occupancy 1 */
    orca_fairness fr;
    TU_OK(orca_stats_fairness(st, ORCA_GROUP_QUEUE, 1, ORCA_SPAN_WINDOW, &fr));
    assert_int_equal(fr.agents, 1);
    assert_true(json_real_value(json_object_get(q, "fairness_gini")) == 0.0);
    assert_true(json_real_value(json_object_get(q, "fairness_max_min")) == 1.0);
    json_t *sup = by_name(json_object_get(m, "queues"), "support");
    assert_int_equal(int_of(sup, "waiting"), 0);
    assert_int_equal(int_of(by_name(json_object_get(m, "channels"), "voice"), "waiting"), 1);
    assert_int_equal(int_of(by_name(json_object_get(m, "channels"), "voice"), "answered"), 1);
    json_t *a = json_object_get(m, "agents");
    assert_int_equal(int_of(a, "busy"), 1);
    assert_int_equal(int_of(a, "not_ready"), 1);
    assert_int_equal(int_of(a, "ready") + int_of(a, "offered") + int_of(a, "wrapup") + int_of(a, "offline"), 0);
    json_decref(m);
    TU_OK(orca_stats_free(st));
}

/* The event message wraps orca_event_json's object unchanged. */
static void test_event_json(void **state)
{
    (void)state;
    orca_event ev = { .type = ORCA_EV_ENQUEUED, .seq = 7, .time_ms = 1234, .interaction = 100, .queue = 1 };
    char buf[512];
    size_t len, n = orca_event_json(&ev, buf, sizeof buf);
    char *t = proto_event_json(&ev, &len);
    assert_non_null(t);
    assert_int_equal(len, strlen(t));
    json_t *m = json_loads(t, 0, NULL), *inner = json_loads(buf, 0, NULL);
    assert_true(n < sizeof buf);
    assert_non_null(m);
    assert_string_equal(json_string_value(json_object_get(m, "type")), "event");
    assert_int_equal(int_of(m, "v"), 1);
    assert_true(json_equal(json_object_get(m, "event"), inner));
    assert_string_equal(json_string_value(json_object_get(json_object_get(m, "event"), "type")), "enqueued");
    json_decref(m);
    json_decref(inner);
    free(t);
}

/* Failover (PROTOCOL.md): a host whose replica cannot take records
 * refuses new work with EUNAVAIL, changing nothing; a resent enqueue of
 * work the server has, or finished lately, is answered as done and not
 * queued twice; an accept resent for work that is this agent's already
 * is answered as done. */
typedef struct fo_host {
    int accepting;
    uint64_t finished_id;
    uint64_t claimed[4];
    unsigned nclaimed;
} fo_host;

static int fo_accepting(void *data)
{
    return ((fo_host *)data)->accepting;
}

static int fo_finished(void *data, uint64_t id)
{
    return ((fo_host *)data)->finished_id == id;
}

static int fo_claim(void *data, uint64_t id)
{
    fo_host *h = data;
    h->claimed[h->nclaimed++ % 4] = id;
    return 0;
}

static void test_failover(void **state)
{
    fx *f = *state;
    fo_host fh = { 0 };
    proto_host host = { NULL, NULL, fo_accepting, fo_finished, fo_claim, &fh };
    proto_session_set_host(&f->gw, &host);
    proto_session_set_host(&f->ag1, &host);
    const char *enq = "{\"v\":1,\"id\":\"e1\",\"type\":\"enqueue\",\"interaction\":100,\"queue\":\"sales\","
                      "\"channel\":\"voice\"}";
    BAD(f, &f->gw, enq, PROTO_EUNAVAIL);
    /* a refusal is not remembered: the same id goes through once accepted */
    fh.accepting = 1;
    OK(f, &f->gw, enq);
    assert_int_equal(state_of(f, 100), ORCA_STATE_WAITING);
    /* resent on a new connection (another request id table): live work */
    proto_session gw2;
    proto_session_init(&gw2, &f->cfg);
    proto_session_set_host(&gw2, &host);
    OK(f, &gw2, "{\"v\":1,\"id\":1,\"type\":\"hello\",\"token\":\"gateway-token-0001\"}");
    const char *again = "{\"v\":1,\"id\":\"e1\",\"type\":\"enqueue\",\"interaction\":100,\"queue\":\"sales\","
                        "\"channel\":\"voice\",\"resend\":true}";
    fh.accepting = 0; /* (known work is answered even while new work is refused) */
    json_t *r;
    tu_snap sn;
    tu_snap_take_(&sn, f->e, __FILE__, __LINE__);
    r = ASK(f, &gw2, again, 0);
    tu_snap_same_(&sn, f->e, again, __FILE__, __LINE__);
    assert_true(json_is_true(json_object_get(r, "duplicate")));
    assert_int_equal(json_integer_value(json_object_get(r, "interaction")), 100);
    json_decref(r);
    /* without "resend" it is the engine's EEXIST, as before */
    BAD(f, &gw2, "{\"v\":1,\"id\":\"e2\",\"type\":\"enqueue\",\"interaction\":100,\"queue\":\"sales\","
                 "\"channel\":\"voice\"}", PROTO_EUNAVAIL);
    fh.accepting = 1;
    BAD(f, &gw2, "{\"v\":1,\"id\":\"e3\",\"type\":\"enqueue\",\"interaction\":100,\"queue\":\"sales\","
                 "\"channel\":\"voice\"}", ORCA_EEXIST);
    /* an accept resent for work already this agent's */
    OK(f, &f->ag1, "{\"v\":1,\"id\":3,\"type\":\"presence\",\"presence\":\"ready\"}");
    OK(f, &f->ag1, "{\"v\":1,\"id\":4,\"type\":\"accept\",\"interaction\":100}");
    r = ASK(f, &f->ag1, "{\"v\":1,\"id\":5,\"type\":\"accept\",\"interaction\":100}", 0);
    assert_true(json_is_true(json_object_get(r, "duplicate")));
    json_decref(r);
    /* ...but not another agent's */
    BAD(f, &f->ag2, "{\"v\":1,\"id\":5,\"type\":\"accept\",\"interaction\":100}", PROTO_EPERM);
    OK(f, &f->ag1, "{\"v\":1,\"id\":6,\"type\":\"end\",\"interaction\":100}");
    OK(f, &f->ag1, "{\"v\":1,\"id\":7,\"type\":\"wrapup_done\",\"interaction\":100}");
    /* finished: a resend is answered as done only if the host finished it lately */
    fh.finished_id = 100;
    tu_snap_take_(&sn, f->e, __FILE__, __LINE__);
    r = ASK(f, &gw2, "{\"v\":1,\"id\":\"e4\",\"type\":\"enqueue\",\"interaction\":100,\"queue\":\"sales\","
                     "\"channel\":\"voice\",\"resend\":true}", 0);
    tu_snap_same_(&sn, f->e, "resend of finished work", __FILE__, __LINE__);
    assert_true(json_is_true(json_object_get(r, "duplicate")));
    json_decref(r);
    fh.finished_id = 0;
    r = ASK(f, &gw2, "{\"v\":1,\"id\":\"e5\",\"type\":\"enqueue\",\"interaction\":100,\"queue\":\"sales\","
                     "\"channel\":\"voice\",\"resend\":true}", 0);
    assert_null(json_object_get(r, "duplicate")); /* not known: queued (and offered) */
    json_decref(r);
    assert_int_equal(state_of(f, 100), ORCA_STATE_OFFERED);
    BAD(f, &gw2, "{\"v\":1,\"id\":\"e6\",\"type\":\"enqueue\",\"interaction\":101,\"queue\":\"sales\","
                 "\"channel\":\"voice\",\"resend\":1}", PROTO_EPROTO);
    /* claim: live work is taken (the host told), the rest listed */
    r = ASK(f, &gw2, "{\"v\":1,\"id\":\"c1\",\"type\":\"claim\",\"interactions\":[100,555]}", 0);
    assert_int_equal(json_integer_value(json_object_get(r, "claimed")), 1);
    assert_int_equal(json_array_size(json_object_get(r, "not_live")), 1);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(r, "not_live"), 0)), 555);
    json_decref(r);
    assert_int_equal(fh.nclaimed, 1);
    assert_int_equal(fh.claimed[0], 100);
    BAD(f, &gw2, "{\"v\":1,\"id\":\"c2\",\"type\":\"claim\",\"interactions\":[100,\"x\"]}", PROTO_EPROTO);
    BAD(f, &gw2, "{\"v\":1,\"id\":\"c3\",\"type\":\"claim\",\"interactions\":[0]}", PROTO_EPROTO);
    BAD(f, &f->ag1, "{\"v\":1,\"id\":\"c4\",\"type\":\"claim\",\"interactions\":[100]}", PROTO_EPERM);
    assert_int_equal(fh.nclaimed, 1); /* refused claims claim nothing */
    proto_session_free(&gw2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hello, setup, teardown),
        cmocka_unit_test_setup_teardown(test_call_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_abandon_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_supervisor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offer_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transfer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scopes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admin_compact, setup, teardown),
        cmocka_unit_test(test_codes),
        cmocka_unit_test_setup_teardown(test_subscribe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outcomes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_figures_json, setup, teardown),
        cmocka_unit_test(test_event_json),
        cmocka_unit_test(test_refuse),
        cmocka_unit_test_setup_teardown(test_failover, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
