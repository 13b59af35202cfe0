/*
 * fuzz_proto.c: libFuzzer harness for orcad's JSON message layer
 * (server/proto.c).
 *
 * The input is a sequence of messages, one per line; each line's first
 * byte picks the session that sends it ('0'..'4', modulo 5: unauthenticated, gateway, agent 1,
 * agent 2, supervisor), the rest is the message, arbitrary bytes. After
 * every message:
 *  - exactly one reply came, and it is a JSON object with a boolean "ok";
 *  - orca_engine_check() passes;
 *  - a refused message left the engine as it was (same dump).
 * Any violation aborts, so libFuzzer keeps the input.
 *
 * Build and run: make fuzz (FUZZ_SECONDS per harness).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "orca.h"
#include "proto.h"

static const char conf[] =
    "skills = [ \"english\", \"billing\" ];\n"
    "queues = ( { name = \"sales\"; wrapup_ms = 5000; max_size = 3; }, { name = \"support\"; } );\n"
    "agents = (\n"
    " { id = 1; skills = { english = 50; }; queues = { sales = 0; support = 0; }; },\n"
    " { id = 2; skills = { english = 50; billing = 10; }; queues = { sales = 0; }; }\n"
    ");\n"
    "tokens = ( { token = \"gateway-token-0001\"; role = \"gateway\"; },\n"
    "  { token = \"agent-token-000001\"; role = \"agent\"; },\n"
    "  { token = \"super-token-000001\"; role = \"supervisor\"; } );\n";

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static void put(void *data, const char *text, size_t len)
{
    buf *b = data;
    if (b->n + len + 1 > b->cap) {
        b->cap = (b->n + len + 1) * 2;
        if (!(b->p = realloc(b->p, b->cap)))
            abort();
    }
    memcpy(b->p + b->n, text, len);
    b->n += len;
    b->p[b->n] = 0;
}

typedef struct reply {
    int count;
    buf text;
} reply;

static void on_reply(void *data, const char *msg, size_t len)
{
    reply *r = data;
    r->count++;
    r->text.n = 0;
    put(&r->text, msg, len);
}

static void must(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_proto: %s\n", what);
        abort();
    }
}

static void say(proto_session *s, orca_engine *e, const char *msg)
{
    reply r = { 0 };
    must(proto_handle(s, e, msg, strlen(msg), on_reply, &r) == 0, msg);
    free(r.text.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    orcad_config cfg;
    orcad_errors err = { 0 };
    orca_config ec;
    orca_engine *e = NULL;
    proto_session s[5];
    must(orcad_config_load_string(conf, "fuzz.conf", &cfg, &err) == 0, "config");
    orcad_config_engine(&cfg, 1000, &ec);
    must(orca_engine_new(&ec, &e) == 0 && orcad_config_apply(&cfg, e, &err) == 0, "engine");
    orcad_errors_free(&err);
    for (int k = 0; k < 5; k++)
        proto_session_init(&s[k], &cfg);
    say(&s[1], e, "{\"v\":1,\"id\":0,\"type\":\"hello\",\"token\":\"gateway-token-0001\"}");
    say(&s[2], e, "{\"v\":1,\"id\":0,\"type\":\"hello\",\"token\":\"agent-token-000001\"}");
    say(&s[2], e, "{\"v\":1,\"id\":0,\"type\":\"login\",\"agent\":1}");
    say(&s[3], e, "{\"v\":1,\"id\":0,\"type\":\"hello\",\"token\":\"agent-token-000001\"}");
    say(&s[3], e, "{\"v\":1,\"id\":0,\"type\":\"login\",\"agent\":2}");
    say(&s[4], e, "{\"v\":1,\"id\":0,\"type\":\"hello\",\"token\":\"super-token-000001\"}");

    buf before = { 0 };
    size_t at = 0;
    while (at < size) {
        size_t end = at;
        while (end < size && data[end] != '\n')
            end++;
        if (end > at) {
            proto_session *who = &s[(uint8_t)(data[at] - '0') % 5]; /* '0'..'4' */
            reply r = { 0 };
            before.n = 0;
            must(orca_engine_dump(e, put, &before) == 0, "dump");
            int rc = proto_handle(who, e, (const char *)data + at + 1, end - at - 1, on_reply, &r);
            must(r.count == 1, "one reply per message");
            json_t *j = json_loadb(r.text.p, r.text.n, 0, NULL);
            must(j && json_is_boolean(json_object_get(j, "ok")), "the reply is an object with ok");
            must(json_is_true(json_object_get(j, "ok")) == (rc == 0), "ok says what rc says");
            json_decref(j);
            must(orca_engine_check(e) == 0, "orca_engine_check");
            if (rc < 0) {
                buf after = { 0 };
                must(orca_engine_dump(e, put, &after) == 0, "dump");
                must(after.n == before.n && memcmp(after.p, before.p, after.n) == 0,
                     "a refused message changed the engine");
                free(after.p);
            }
            free(r.text.p);
            /* The transport's refusal (rate limit) of the same text: one
             * reply, not ok, ELIMIT, whatever the text is. */
            reply q = { 0 };
            must(proto_refuse((const char *)data + at + 1, end - at - 1, ORCA_ELIMIT, "rate limit",
                              on_reply, &q) == ORCA_ELIMIT && q.count == 1, "one refusal");
            j = json_loadb(q.text.p, q.text.n, 0, NULL);
            const char *code = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
            must(j && json_is_false(json_object_get(j, "ok")) && code && !strcmp(code, "ELIMIT"),
                 "the refusal says ELIMIT");
            json_decref(j);
            free(q.text.p);
        }
        at = end + 1;
    }
    free(before.p);
    for (int k = 0; k < 5; k++)
        proto_session_free(&s[k]);
    orca_engine_free(e);
    orcad_config_free(&cfg);
    return 0;
}
