/*
 * test_config.c: orcad's configuration file (server/config.c, apply.c).
 * Good files give an engine with what they say; every kind of bad input is
 * reported with its line and gives no config (so nothing can be applied);
 * several problems are all reported; what only the engine can refuse is
 * reported with the line of the setting.
 */
#include "testutil.h"

#include <unistd.h>

#include "config.h"

#define MONDAY_10_UTC 1767607200000ull /* 2026-01-05 10:00 UTC */
#define SUNDAY_10_UTC 1767520800000ull

static const char good[] =
    "server = { listen = [ \"127.0.0.1:9000\", \"[::1]:9000\" ]; sync = \"every\"; };\n" /* 1 */
    "limits = { max_agents = 50; offer_timeout_ms = \"never\"; };\n"                     /* 2 */
    "channels = ( { name = \"whatsapp\"; cost = 25; wrapup_ms = 5000; },\n"             /* 3 */
    "             { name = \"chat\"; wrapup_ms = 7000; } );\n"                          /* 4 */
    "skills = [ \"english\", \"billing\" ];\n"                                          /* 5 */
    "queues = (\n"                                                                      /* 6 */
    " { name = \"billing\"; strategy = \"most_proficient\"; serve = [ \"skills\" ];\n"  /* 7 */
    "   skills = { billing = 30; english = 20; };\n"                                    /* 8 */
    "   steps = ( { after_ms = 1000; action = \"set_level\"; skill = \"billing\"; level = 10; } );\n"
    "   overflow = { to = \"support\"; after_ms = 5000; }; max_size = 10; },\n"         /* 10 */
    " { name = \"support\"; strategy = \"round_robin\"; offer_timeout_ms = \"never\";\n"
    "   hours = { utc_offset_min = 60; when_closed = \"redirect\"; redirect_to = \"billing\";\n"
    "     open = ( { days = [ \"mon\", \"fri\" ]; from = \"08:00\"; to = \"18:00\"; } ); }; }\n"
    ");\n"
    "agents = (\n"
    " { id = 5000000000L; skills = { english = 90; }; capacity = 50;\n"
    "   channels = { chat = 2; whatsapp = 1; }; queues = { support = 3; }; ranks = { support = 2; }; },\n"
    " { id = 2; skills = { billing = 80; english = 25; }; queues = { support = 0; billing = 1; }; }\n"
    ");\n"
    "tokens = ( { token = \"0123456789abcdef\"; role = \"supervisor\"; name = \"floor\"; } );\n";

static orca_engine *engine_from(const orcad_config *c, uint64_t start)
{
    orca_config ec;
    orca_engine *e = NULL;
    orcad_errors err = { 0 };
    orcad_config_engine(c, start, &ec);
    assert_int_equal(orca_engine_new(&ec, &e), ORCA_OK);
    int rc = orcad_config_apply(c, e, &err);
    for (size_t k = 0; k < err.n; k++)
        print_message("%s\n", err.msg[k]);
    assert_int_equal(rc, ORCA_OK);
    assert_int_equal(err.n, 0);
    orcad_errors_free(&err);
    return e;
}

static void load_good(orcad_config *c)
{
    orcad_errors err = { 0 };
    int rc = orcad_config_load_string(good, "good.conf", c, &err);
    for (size_t k = 0; k < err.n; k++)
        print_message("%s\n", err.msg[k]);
    assert_int_equal(rc, 0);
    orcad_errors_free(&err);
}

static void test_good_parses(void **state)
{
    (void)state;
    orcad_config c;
    load_good(&c);
    assert_int_equal(c.nlisten, 2);
    assert_string_equal(c.listen[1], "[::1]:9000");
    assert_int_equal(c.sync, ORCA_SYNC_EVERY);
    assert_int_equal(c.engine.max_agents, 50);
    assert_int_equal(c.engine.offer_timeout_ms, ORCA_TIMEOUT_NEVER);
    assert_int_equal(c.nqueues, 2);
    assert_int_equal(c.queues[0].nsteps, 1);
    assert_int_equal(c.queues[0].steps[0].action, ORCA_STEP_SET_LEVEL);
    assert_int_equal(c.queues[0].steps[0].level, 10);
    assert_int_equal(c.queues[1].offer_timeout_ms, ORCA_TIMEOUT_NEVER);
    assert_int_equal(c.queues[1].nranges, 2);
    assert_int_equal(c.queues[1].ranges[1].day, 5);
    assert_int_equal(c.queues[1].ranges[1].open_min, 480);
    assert_int_equal(c.queues[1].ranges[1].close_min, 1080);
    assert_int_equal(c.nagents, 2);
    assert_true(c.agents[0].id == 5000000000ull);
    assert_int_equal(c.ntokens, 1);
    assert_int_equal(c.tokens[0].role, ORCAD_ROLE_SUPERVISOR);
    orcad_config_free(&c);
}

/* The client limits: their defaults when the file says nothing, and what
 * a limits block gives (next to the engine's limits, which stay). */
static void test_client_limits(void **state)
{
    (void)state;
    orcad_config c;
    orcad_errors err = { 0 };
    load_good(&c);
    assert_int_equal(c.clients.max_connections, ORCAD_DEFAULT_MAX_CONNECTIONS);
    assert_int_equal(c.clients.rate, ORCAD_DEFAULT_CLIENT_RATE);
    assert_int_equal(c.clients.burst, ORCAD_DEFAULT_CLIENT_BURST);
    assert_int_equal(c.clients.ping_s, ORCAD_DEFAULT_PING_S);
    assert_int_equal(c.clients.agent_grace_ms, ORCAD_DEFAULT_AGENT_GRACE_MS);
    orcad_config_free(&c);
    assert_int_equal(orcad_config_load_string("limits = { max_agents = 7; max_connections = 3; "
                                              "client_rate = 50; client_burst = 20; ping_s = 0; "
                                              "agent_grace_ms = 0; };\n", "l.conf", &c, &err), 0);
    assert_int_equal(c.engine.max_agents, 7);
    assert_int_equal(c.clients.max_connections, 3);
    assert_int_equal(c.clients.rate, 50);
    assert_int_equal(c.clients.burst, 20);
    assert_int_equal(c.clients.ping_s, 0);
    assert_int_equal(c.clients.agent_grace_ms, 0);
    orcad_config_free(&c);
    assert_int_equal(err.n, 0);
}

static void test_good_applies(void **state)
{
    (void)state;
    orcad_config c;
    load_good(&c);
    orca_engine *e = engine_from(&c, MONDAY_10_UTC);
    orca_queue_id billing, support;
    orca_queue_info qi;
    orca_agent_info ai;
    orca_channel_id wa;
    int open;
    assert_int_equal(orca_queue_find(e, "billing", &billing), ORCA_OK);
    assert_int_equal(orca_queue_find(e, "support", &support), ORCA_OK);
    assert_int_equal(orca_queue_info_get(e, billing, &qi), ORCA_OK);
    assert_int_equal(qi.strategy, ORCA_STRATEGY_MOST_PROFICIENT);
    assert_int_equal(qi.members, 1);
    assert_int_equal(orca_queue_info_get(e, support, &qi), ORCA_OK);
    assert_int_equal(qi.strategy, ORCA_STRATEGY_ROUND_ROBIN);
    assert_int_equal(qi.members, 2);
    assert_int_equal(orca_agent_info_get(e, 5000000000ull, &ai), ORCA_OK);
    assert_int_equal(ai.capacity, 50);
    assert_int_equal(ai.presence, ORCA_PRESENCE_OFFLINE);
    assert_int_equal(orca_channel_find(e, "whatsapp", &wa), ORCA_OK);
    /* Monday 11:00 local: support is open; on Sunday it is not. */
    assert_int_equal(orca_queue_is_open(e, support, &open, NULL), ORCA_OK);
    assert_int_equal(open, 1);
    orca_engine_free(e);
    e = engine_from(&c, SUNDAY_10_UTC);
    assert_int_equal(orca_queue_find(e, "support", &support), ORCA_OK);
    assert_int_equal(orca_queue_is_open(e, support, &open, NULL), ORCA_OK);
    assert_int_equal(open, 0);
    orca_engine_free(e);
    orcad_config_free(&c);
}

/* Holidays and special openings, in the queue's local time: a holiday
 * closes a Monday that the weekly hours open, a special opening opens a
 * Sunday they close, and outside both the weekly hours hold. */
static const char holidays[] =
    "queues = ( { name = \"q\"; hours = { utc_offset_min = 60;\n"
    "  open = ( { days = [ \"mon\" ]; from = \"08:00\"; to = \"18:00\"; } );\n"
    "  exceptions = ( { date = \"2026-01-05\"; name = \"holiday\"; },\n"
    "                 { from = \"2026-01-04 09:00\"; to = \"2026-01-04 12:00\"; open = true; } ); }; } );\n";

static int open_at(const orcad_config *c, uint64_t now)
{
    orca_engine *e = engine_from(c, now);
    orca_queue_id q;
    int open = -1;
    assert_int_equal(orca_queue_find(e, "q", &q), ORCA_OK);
    assert_int_equal(orca_queue_is_open(e, q, &open, NULL), ORCA_OK);
    orca_engine_free(e);
    return open;
}

static void test_hours_exceptions(void **state)
{
    (void)state;
    orcad_config c;
    orcad_errors err = { 0 };
    assert_int_equal(orcad_config_load_string(holidays, "h.conf", &c, &err), 0);
    assert_int_equal(c.queues[0].nexceptions, 2);
    /* 2026-01-05 00:00 local is 2026-01-04 23:00 UTC. */
    assert_int_equal(c.queues[0].exceptions[0].from_ms, MONDAY_10_UTC - 11 * 3600000ull);
    assert_int_equal(c.queues[0].exceptions[0].to_ms, MONDAY_10_UTC + 13 * 3600000ull);
    assert_int_equal(open_at(&c, MONDAY_10_UTC), 0);                  /* the holiday */
    assert_int_equal(open_at(&c, MONDAY_10_UTC + 7 * 86400000ull), 1); /* next Monday */
    assert_int_equal(open_at(&c, SUNDAY_10_UTC), 1);                  /* 11:00 local */
    assert_int_equal(open_at(&c, SUNDAY_10_UTC + 2 * 3600000ull), 0); /* 13:00 local */
    orcad_config_free(&c);
    orcad_errors_free(&err);
}

/* The overflow the file names is the engine's: work left in billing moves
 * to support after 5 s. */
static void test_overflow_applied(void **state)
{
    (void)state;
    orcad_config c;
    load_good(&c);
    orca_engine *e = engine_from(&c, MONDAY_10_UTC);
    orca_queue_id billing, support;
    orca_interaction_def d;
    orca_interaction_info ii;
    assert_int_equal(orca_queue_find(e, "billing", &billing), ORCA_OK);
    assert_int_equal(orca_queue_find(e, "support", &support), ORCA_OK);
    orca_interaction_def_init(&d);
    d.id = 77;
    d.queue = billing;
    d.channel = ORCA_CHANNEL_VOICE;
    assert_int_equal(orca_interaction_enqueue(e, &d), ORCA_OK);
    assert_int_equal(orca_engine_advance(e, MONDAY_10_UTC + 4999), ORCA_OK);
    assert_int_equal(orca_interaction_info_get(e, 77, &ii), ORCA_OK);
    assert_int_equal(ii.queue, billing);
    assert_int_equal(orca_engine_advance(e, MONDAY_10_UTC + 5000), ORCA_OK);
    assert_int_equal(orca_interaction_info_get(e, 77, &ii), ORCA_OK);
    assert_int_equal(ii.queue, support);
    orca_engine_free(e);
    orcad_config_free(&c);
}

/* One bad input each: the message, at the right line; no config comes
 * out (it is zeroed), so nothing can be applied from it. */
static const struct {
    const char *text, *want;
} bad[] = {
    { "queues = ( { name = \"a\"; }\n", "t.conf:2: syntax error" },
    { "limits = {\n max_agent = 5; };\n", "t.conf:2: unknown setting 'max_agent' in limits" },
    { "colour = 1;\n", "t.conf:1: unknown setting 'colour' in the file" },
    /* orcad's client limits (limits block) */
    { "limits = {\n max_connections = 0; };\n", "t.conf:2: max_connections is 0, must be 1..1000000" },
    { "limits = {\n client_rate = \"fast\"; };\n", "t.conf:2: client_rate must be an integer" },
    { "limits = {\n client_burst = 0; };\n", "t.conf:2: client_burst is 0, must be 1..10000000" },
    { "limits = {\n ping_s = 3601; };\n", "t.conf:2: ping_s is 3601, must be 0..3600" },
    { "limits = {\n agent_grace_ms = -1; };\n", "t.conf:2: agent_grace_ms is -1, must be 0..3600000" },
    { "queues = (\n { name = \"a\";\n max_wait_ms = \"long\"; } );\n",
      "t.conf:3: max_wait_ms must be an integer" },
    { "skills = \"english\";\n", "t.conf:1: skills must be an array" },
    { "queues = ( { name = \"a\";\n\n max_size = -3; } );\n", "t.conf:3: max_size is -3" },
    { "skills = [ \"x\" ];\nagents = ( { id = 1;\n skills = { x = 101; }; } );\n",
      "t.conf:3: a skill level is 101, must be 1..100" },
    { "agents = ( { id = 0; } );\n", "t.conf:1: id is 0" },
    { "queues = ( { name = \"a\";\n hours = { utc_offset_min = 900; }; } );\n",
      "t.conf:2: utc_offset_min is 900" },
    { "queues = ( { name = \"a\"; hours = {\n open = ( { days = [ \"mon\" ]; from = \"18:00\"; to = \"08:00\"; } ); }; } );\n",
      "t.conf:2: an opening range must end after it starts" },
    { "queues = ( { name = \"a\"; hours = { open = ( { days = [\n \"someday\" ]; from = \"08:00\"; to = \"18:00\"; } ); }; } );\n",
      "t.conf:2: unknown day 'someday'" },
    { "queues = ( { name = \"a\";\n strategy = \"fastest\"; } );\n", "t.conf:2: unknown strategy 'fastest'" },
    { "queues = ( { name = \"a\";\n overflow = { to = \"b\"; after_ms = 5; }; } );\n",
      "t.conf:1: queue 'a': overflow to unknown queue 'b'" },
    { "queues = ( { name = \"a\"; hours = {\n when_closed = \"redirect\"; redirect_to = \"zz\"; }; } );\n",
      "t.conf:1: queue 'a': redirect to unknown queue 'zz'" },
    { "agents = ( { id = 1;\n channels = { fax = 1; }; } );\n", "t.conf:2: agent 1: unknown channel 'fax'" },
    { "queues = ( { name = \"q\"; } );\nagents = ( { id = 1;\n queues = { q = 0; r = 1; }; } );\n",
      "t.conf:3: agent 1: unknown queue 'r'" },
    { "queues = ( { name = \"q\"; steps = (\n { after_ms = 1; action = \"drop_required\"; skill = \"nope\"; } ); } );\n",
      "t.conf:2: queue 'q': step on unknown skill 'nope'" },
    { "skills = [ \"a\",\n \"a\" ];\n", "t.conf:2: skill 'a' is listed twice" },
    { "queues = ( { name = \"a\"; },\n { name = \"a\"; } );\n", "t.conf:2: queue 'a' is defined twice (first at line 1)" },
    { "agents = ( { id = 4; },\n { id = 4; } );\n", "t.conf:2: agent 4 is defined twice (first at line 1)" },
    { "channels = ( { name = \"x\"; cost = 1; },\n { name = \"x\"; cost = 2; } );\n",
      "t.conf:2: channel 'x' is defined twice" },
    { "channels = (\n { name = \"voice\"; cost = 5; } );\n", "t.conf:2: channel 'voice' is built in" },
    { "channels = (\n { name = \"fax\"; } );\n", "t.conf:2: channel 'fax' needs a cost" },
    { "skills = [ \"two words\" ];\n", "t.conf:1: skill name 'two words' must be" },
    { "tokens = ( { token = \"0123456789abcdef\"; role = \"admin\"; },\n { token = \"0123456789abcdef\"; role = \"agent\"; } );\n",
      "t.conf:2: this token is given twice (first at line 1)" },
    { "tokens = (\n { token = \"short\"; role = \"admin\"; } );\n", "t.conf:2: a token must be at least 16" },
    { "tokens = ( { token = \"0123456789abcdef\";\n role = \"root\"; } );\n", "t.conf:2: unknown role 'root'" },
    /* token scopes */
    { "tokens = ( { token = \"0123456789abcdef\"; role = \"gateway\"; channels = [ \"voice\",\n \"fax\" ]; } );\n",
      "t.conf:2: token: unknown channel 'fax'" },
    { "tokens = ( { token = \"0123456789abcdef\"; role = \"agent\";\n channels = [ \"voice\" ]; } );\n",
      "t.conf:2: channels limit gateway tokens only" },
    { "tokens = ( { token = \"0123456789abcdef\"; role = \"gateway\";\n channels = \"voice\"; } );\n",
      "t.conf:2: channels must be a non-empty array" },
    { "tokens = ( { token = \"0123456789abcdef\"; role = \"gateway\";\n channels = [ ]; } );\n",
      "t.conf:2: channels must be a non-empty array" },
    { "tokens = ( { token = \"0123456789abcdef\"; role = \"gateway\"; channels = [ \"sms\",\n \"sms\" ]; } );\n",
      "t.conf:2: channel 'sms' is listed twice" },
    { "agents = ( { id = 7; } );\ntokens = ( { token = \"0123456789abcdef\"; role = \"agent\";\n agent = 8; } );\n",
      "t.conf:3: token: unknown agent 8" },
    { "agents = ( { id = 7; } );\ntokens = ( { token = \"0123456789abcdef\"; role = \"gateway\";\n agent = 7; } );\n",
      "t.conf:3: agent binds agent tokens only" },
    { "agents = ( { id = 7; } );\ntokens = ( { token = \"0123456789abcdef\"; role = \"agent\";\n agent = 0; } );\n",
      "t.conf:3: agent is 0" },
    { "server = {\n sync = \"sometimes\"; };\n", "t.conf:2: unknown sync policy 'sometimes'" },
    { "server = { listen = [\n \"localhost\" ]; };\n", "t.conf:2: listen address 'localhost' is not host:port" },
    { "server = {\n listen = \"localhost\"; };\n", "t.conf:2: listen address 'localhost' is not host:port" },
    { "server = { listen = [\n \"h:99999\" ]; };\n", "t.conf:2: listen address 'h:99999' is not host:port" },
    { "server = { listen = [\n \":80\" ]; };\n", "t.conf:2: listen address ':80' is not host:port" },
    { "queues = ( { name = \"q\";\n offer_timeout_ms = \"soon\"; } );\n",
      "t.conf:2: offer_timeout_ms must be a time in ms or \"never\"" },
    { "queues = ( { name = \"q\"; steps = (\n { after_ms = 1; action = \"set_level\"; skill = \"s\"; } ); } );\nskills = [ \"s\" ];\n",
      "t.conf:2: action \"set_level\" needs a level" },
    { "queues = ( { name = \"a\"; hours = { exceptions = (\n { date = \"2026-02-30\"; } ); }; } );\n",
      "t.conf:2: date '2026-02-30' is not a date" },
    { "queues = ( { name = \"a\"; hours = { exceptions = (\n { from = \"2026-12-24 14:00\"; } ); }; } );\n",
      "t.conf:2: an exception needs date, or from and to" },
    { "queues = ( { name = \"a\"; hours = { exceptions = (\n { from = \"2026-12-24 14:00\"; to = \"2026-12-24 13:00\"; } ); }; } );\n",
      "t.conf:2: an exception must end after it starts" },
    { "queues = ( { name = \"a\"; hours = { exceptions = (\n { from = \"2026-12-24 25:00\"; to = \"2026-12-25\"; } ); }; } );\n",
      "t.conf:2: from '2026-12-24 25:00' is not" },
    { "queues = ( { name = \"a\"; hours = { exceptions = (\n { date = \"2026-12-25\"; from = \"2026-12-24\"; } ); }; } );\n",
      "t.conf:2: an exception has either date or from and to" },
    { "queues = ( { name = \"a\"; hours = { exceptions = ( { date = \"2026-12-25\";\n open = 1; } ); }; } );\n",
      "t.conf:2: open must be true" },
};

static int has_msg(const orcad_errors *err, const char *want)
{
    for (size_t k = 0; k < err->n; k++)
        if (strstr(err->msg[k], want) == err->msg[k])
            return 1;
    return 0;
}

static void test_each_bad_input(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        orcad_config c;
        orcad_errors err = { 0 };
        memset(&c, 0x5a, sizeof c);
        int rc = orcad_config_load_string(bad[k].text, "t.conf", &c, &err);
        if (rc != -1 || !has_msg(&err, bad[k].want)) {
            print_message("case %zu: want '%s', got %zu messages:\n", k, bad[k].want, err.n);
            for (size_t j = 0; j < err.n; j++)
                print_message("  %s\n", err.msg[j]);
            fail();
        }
        /* nothing came out to apply */
        assert_null(c.queues);
        assert_null(c.agents);
        assert_int_equal(c.nqueues + c.nagents + c.nskills + c.nchannels, 0);
        orcad_errors_free(&err);
    }
}

/* Several problems in one file: every one is reported, not the first. */
static void test_all_errors_reported(void **state)
{
    (void)state;
    static const char text[] =
        "skills = [ \"english\" ];\n"
        "queues = (\n"
        " { name = \"a\"; strategy = \"fastest\"; },\n"
        " { name = \"b\"; max_wiat_ms = 5; },\n"
        " { name = \"c\"; overflow = { to = \"nowhere\"; after_ms = 1; }; }\n"
        ");\n"
        "agents = ( { id = 1; skills = { english = 0; french = 5; }; queues = { zz = 1; }; } );\n"
        "tokens = ( { token = \"x\"; role = \"boss\"; } );\n";
    orcad_config c;
    orcad_errors err = { 0 };
    assert_int_equal(orcad_config_load_string(text, "m.conf", &c, &err), -1);
    assert_true(has_msg(&err, "m.conf:3: unknown strategy"));
    assert_true(has_msg(&err, "m.conf:4: unknown setting 'max_wiat_ms'"));
    assert_true(has_msg(&err, "m.conf:5: queue 'c': overflow to unknown queue 'nowhere'"));
    assert_true(has_msg(&err, "m.conf:7: a skill level is 0"));
    assert_true(has_msg(&err, "m.conf:7: agent 1: unknown skill 'french'"));
    assert_true(has_msg(&err, "m.conf:7: agent 1: unknown queue 'zz'"));
    assert_true(has_msg(&err, "m.conf:8: unknown role 'boss'"));
    assert_true(has_msg(&err, "m.conf:8: a token must be at least 16"));
    assert_int_equal(err.n, 8);
    orcad_errors_free(&err);
}

/* What only the engine can refuse comes back with the setting's line: an
 * agent whose only channel costs more than its capacity could never be
 * offered anything (orca_agent_add: ORCA_EINVAL). */
static void test_engine_refusal(void **state)
{
    (void)state;
    static const char text[] =
        "queues = ( { name = \"q\"; } );\n"
        "agents = (\n"
        " { id = 1; },\n"
        " { id = 2; capacity = 50;\n"
        "   channels = { voice = 1; }; } );\n";
    orcad_config c;
    orcad_errors err = { 0 };
    orca_engine *e = NULL;
    orca_config ec;
    assert_int_equal(orcad_config_load_string(text, "r.conf", &c, &err), 0);
    orcad_config_engine(&c, 1000, &ec);
    assert_int_equal(orca_engine_new(&ec, &e), ORCA_OK);
    assert_int_equal(orcad_config_apply(&c, e, &err), ORCA_EINVAL);
    assert_int_equal(err.n, 1);
    assert_true(has_msg(&err, "r.conf:4: agent '2' refused by the engine"));
    orca_engine_free(e);
    orcad_errors_free(&err);
    orcad_config_free(&c);
}

/* Overflow chains are added target first, whatever the file's order. */
static void test_overflow_chain_order(void **state)
{
    (void)state;
    static const char text[] =
        "queues = ( { name = \"a\"; overflow = { to = \"b\"; after_ms = 10; }; },\n"
        "           { name = \"b\"; overflow = { to = \"c\"; after_ms = 10; }; },\n"
        "           { name = \"c\"; } );\n";
    orcad_config c;
    orcad_errors err = { 0 };
    assert_int_equal(orcad_config_load_string(text, "o.conf", &c, &err), 0);
    orca_engine *e = engine_from(&c, 1000);
    orca_queue_id q;
    assert_int_equal(orca_queue_find(e, "a", &q), ORCA_OK);
    assert_int_equal(q, 3); /* added last */
    orca_engine_free(e);
    orcad_config_free(&c);
}

/* The strategies of issue 15 by their config names. */
static void test_new_strategy_names(void **state)
{
    (void)state;
    static const char text[] =
        "queues = ( { name = \"t\"; strategy = \"top_down\"; },\n"
        "           { name = \"p\"; strategy = \"packing\"; },\n"
        "           { name = \"b\"; strategy = \"least_busy\"; } );\n";
    static const char *const names[] = { "t", "p", "b" };
    static const orca_strategy want[] = { ORCA_STRATEGY_TOP_DOWN, ORCA_STRATEGY_PACKING,
                                          ORCA_STRATEGY_LEAST_BUSY };
    orcad_config c;
    orcad_errors err = { 0 };
    assert_int_equal(orcad_config_load_string(text, "s.conf", &c, &err), 0);
    orca_engine *e = engine_from(&c, 1000);
    for (int k = 0; k < 3; k++) {
        orca_queue_id q;
        orca_queue_info qi;
        assert_int_equal(orca_queue_find(e, names[k], &q), ORCA_OK);
        assert_int_equal(orca_queue_info_get(e, q, &qi), ORCA_OK);
        assert_int_equal(qi.strategy, want[k]);
    }
    orca_engine_free(e);
    orcad_config_free(&c);
}

/* A loop a -> b -> a cannot be built: a clear error, not a hang. */
static void test_overflow_loop(void **state)
{
    (void)state;
    static const char text[] =
        "queues = ( { name = \"a\"; overflow = { to = \"b\"; after_ms = 10; }; },\n"
        "           { name = \"b\"; overflow = { to = \"a\"; after_ms = 10; }; } );\n";
    orcad_config c;
    orcad_errors err = { 0 };
    orca_engine *e = NULL;
    orca_config ec;
    assert_int_equal(orcad_config_load_string(text, "l.conf", &c, &err), 0);
    orcad_config_engine(&c, 1000, &ec);
    assert_int_equal(orca_engine_new(&ec, &e), ORCA_OK);
    assert_int_equal(orcad_config_apply(&c, e, &err), ORCA_ENOENT);
    assert_true(has_msg(&err, "l.conf:1: overflow of queue 'a' refused"));
    orca_engine_free(e);
    orcad_errors_free(&err);
    orcad_config_free(&c);
}

/* Token scopes are kept as written: a gateway's channels (host channels
 * too), an agent token's agent; tokens without them are unlimited. */
static void test_token_scopes(void **state)
{
    (void)state;
    static const char text[] =
        "channels = ( { name = \"whatsapp\"; cost = 25; } );\n"
        "agents = ( { id = 7; } );\n"
        "tokens = ( { token = \"gateway-token-0001\"; role = \"gateway\"; channels = [ \"voice\", \"whatsapp\" ]; },\n"
        "  { token = \"agent-token-000007\"; role = \"agent\"; agent = 7; },\n"
        "  { token = \"agent-token-anyone\"; role = \"agent\"; } );\n";
    orcad_config c;
    orcad_errors err = { 0 };
    assert_int_equal(orcad_config_load_string(text, "t.conf", &c, &err), 0);
    assert_int_equal(c.ntokens, 3);
    assert_int_equal(c.tokens[0].nchannels, 2);
    assert_string_equal(c.tokens[0].channels[0].name, "voice");
    assert_string_equal(c.tokens[0].channels[1].name, "whatsapp");
    assert_int_equal(c.tokens[0].agent, 0);
    assert_int_equal(c.tokens[1].agent, 7);
    assert_int_equal(c.tokens[1].nchannels, 0);
    assert_int_equal(c.tokens[2].agent, 0);
    orcad_config_free(&c);
    orcad_errors_free(&err);
}

/* The example shipped with orcad is valid and applies. */
static void test_example_file(void **state)
{
    (void)state;
    orcad_config c;
    orcad_errors err = { 0 };
    int rc = orcad_config_load("server/orcad.conf.example", &c, &err);
    for (size_t k = 0; k < err.n; k++)
        print_message("%s\n", err.msg[k]);
    assert_int_equal(rc, 0);
    orca_engine *e = engine_from(&c, MONDAY_10_UTC);
    orca_counts n;
    assert_int_equal(orca_engine_counts(e, &n), ORCA_OK);
    assert_int_equal(n.queues, c.nqueues);
    assert_int_equal(n.agents, c.nagents);
    orca_engine_free(e);
    orcad_config_free(&c);
    orcad_errors_free(&err);
}

static void test_missing_file(void **state)
{
    (void)state;
    orcad_config c;
    orcad_errors err = { 0 };
    assert_int_equal(orcad_config_load("/nonexistent/orcad.conf", &c, &err), -1);
    assert_int_equal(err.n, 1);
    assert_non_null(strstr(err.msg[0], "/nonexistent/orcad.conf"));
    orcad_errors_free(&err);
}

/* tls: paths relative to the file's folder, each file checked readable
 * at its line; the block's keys checked like any other group. */
static void test_tls(void **state)
{
    (void)state;
    char dir[] = "/tmp/orca-tls-XXXXXX", name[64], cert[80];
    orcad_config c;
    orcad_errors err = { 0 };
    FILE *f;
    assert_non_null(mkdtemp(dir));
    snprintf(name, sizeof name, "%s/o.conf", dir);
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    assert_non_null(f = fopen(cert, "w"));
    fclose(f);
    static const char good_tls[] =
        "tls = { listen = [ \"127.0.0.1:8443\" ]; cert = \"cert.pem\"; key = \"cert.pem\"; };\n";
    assert_int_equal(orcad_config_load_string(good_tls, name, &c, &err), 0);
    assert_int_equal(c.ntls_listen, 1);
    assert_string_equal(c.tls_listen[0], "127.0.0.1:8443");
    assert_string_equal(c.tls_cert, cert);
    assert_string_equal(c.tls_key, cert);
    orcad_config_free(&c);
    static const char bad_tls[] =
        "tls = {\n"
        "  listen = [ \"127.0.0.1:99999\" ];\n" /* 2 */
        "  cert = \"/nonexistent/cert.pem\";\n" /* 3 */
        "  key = \"key.pem\";\n"                /* 4 */
        "  ciphers = \"x\";\n"                  /* 5 */
        "};\n";
    assert_int_equal(orcad_config_load_string(bad_tls, name, &c, &err), -1);
    char want[160];
    snprintf(want, sizeof want, "%s:4: tls key '%s/key.pem': No such file or directory", name, dir);
    assert_true(has_msg(&err, want));
    snprintf(want, sizeof want, "%s:3: tls cert '/nonexistent/cert.pem'", name);
    assert_true(has_msg(&err, want));
    snprintf(want, sizeof want, "%s:2: listen address '127.0.0.1:99999'", name);
    assert_true(has_msg(&err, want));
    snprintf(want, sizeof want, "%s:5:", name);
    assert_true(has_msg(&err, want));
    orcad_errors_free(&err);
    assert_int_equal(orcad_config_load_string("tls = { cert = \"a\"; key = \"b\"; };\n", "t.conf", &c,
                                              &err), -1);
    assert_true(has_msg(&err, "t.conf:1: tls needs listen addresses"));
    orcad_errors_free(&err);
    unlink(cert);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_parses),
        cmocka_unit_test(test_good_applies),
        cmocka_unit_test(test_client_limits),
        cmocka_unit_test(test_overflow_applied),
        cmocka_unit_test(test_hours_exceptions),
        cmocka_unit_test(test_each_bad_input),
        cmocka_unit_test(test_all_errors_reported),
        cmocka_unit_test(test_engine_refusal),
        cmocka_unit_test(test_overflow_chain_order),
        cmocka_unit_test(test_new_strategy_names),
        cmocka_unit_test(test_overflow_loop),
        cmocka_unit_test(test_token_scopes),
        cmocka_unit_test(test_example_file),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_tls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
