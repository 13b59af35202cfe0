/*
 * test_proto.c: orcad's JSON message layer (server/proto.c) against a real
 * engine built from a small config: each message's happy path, every kind
 * of bad input answered with its code and changing nothing (engine dump
 * unchanged), role enforcement, and idempotent resends by request id.
 */
#include "testutil.h"

#include <jansson.h>

#include "config.h"
#include "proto.h"

static const char conf[] =
    "skills = [ \"english\", \"billing\" ];\n"
    "queues = ( { name = \"sales\"; wrapup_ms = 5000; }, { name = \"support\"; } );\n"
    "agents = (\n"
    " { id = 1; skills = { english = 50; }; queues = { sales = 0; support = 0; }; },\n"
    " { id = 2; skills = { english = 50; }; queues = { sales = 0; }; }\n"
    ");\n"
    "tokens = ( { token = \"gateway-token-0001\"; role = \"gateway\"; },\n"
    "  { token = \"agent-token-000001\"; role = \"agent\"; },\n"
    "  { token = \"super-token-000001\"; role = \"supervisor\"; },\n"
    "  { token = \"admin-token-000001\"; role = \"admin\"; } );\n";

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
    BAD(f, &f->ag1, "{\"v\":1,\"id\":5,\"type\":\"accept\",\"interaction\":100}", ORCA_ESTATE);
    OK(f, &f->ag1, "{\"v\":1,\"id\":6,\"type\":\"end\",\"interaction\":100}");
    assert_int_equal(state_of(f, 100), ORCA_STATE_WRAPUP);
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

static void test_codes(void **state)
{
    (void)state;
    assert_string_equal(proto_code_name(ORCA_EINVAL), "EINVAL");
    assert_string_equal(proto_code_name(ORCA_ELOCKED), "ELOCKED");
    assert_string_equal(proto_code_name(ORCA_ECLOSED), "ECLOSED");
    assert_string_equal(proto_code_name(PROTO_EPROTO), "EPROTO");
    assert_string_equal(proto_code_name(PROTO_ETOOBIG), "ETOOBIG");
    assert_string_equal(proto_code_name(-15), "EUNKNOWN");
    for (int c = -1; c >= -14; c--)
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
        cmocka_unit_test(test_codes),
        cmocka_unit_test(test_refuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
