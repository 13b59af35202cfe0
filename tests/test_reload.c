/*
 * test_reload.c: a configuration reload (server/reload.c) against a live
 * engine built from a first file: each kind of change is applied (or
 * listed as not applied), a bad file or one the live engine would refuse
 * changes nothing at all (engine dump and live config the same), waiting
 * work keeps its state and place, an agent with only an offer is removed
 * with its work put back in place, one with work in hand is not.
 */
#include "testutil.h"

#include "config.h"
#include "reload.h"

static const char base[] =
    "channels = ( { name = \"whatsapp\"; cost = 25; wrapup_ms = 1000; } );\n"
    "skills = [ \"english\", \"tech\" ];\n"
    "queues = ( { name = \"support\"; }, { name = \"sales\"; strategy = \"round_robin\"; },\n"
    "           { name = \"old\"; } );\n"
    "agents = (\n"
    " { id = 1; skills = { english = 50; }; queues = { support = 0; }; },\n"
    " { id = 2; queues = { sales = 0; }; },\n"
    " { id = 3; queues = { old = 0; }; }\n"
    ");\n"
    "tokens = ( { token = \"admin-token-000001\"; role = \"admin\"; } );\n";

/* Every kind of change at once. */
static const char changed[] =
    "channels = ( { name = \"whatsapp\"; cost = 25; wrapup_ms = 2000; },\n"
    "             { name = \"telegram\"; cost = 10; } );\n"
    "skills = [ \"english\", \"tech\", \"french\" ];\n"
    "queues = ( { name = \"support\";\n"
    "             hours = { open = ( { days = [ \"mon\" ]; from = \"08:00\"; to = \"18:00\"; } );\n"
    "                       when_closed = \"hold\"; }; },\n"
    "           { name = \"sales\"; strategy = \"least_occupied\"; },\n"
    "           { name = \"new\"; } );\n"
    "agents = (\n"
    " { id = 1; skills = { english = 50; french = 60; }; capacity = 50;\n"
    "   queues = { support = 0; sales = 2; }; ranks = { sales = 1; }; },\n"
    " { id = 2; queues = { sales = 0; }; },\n"
    " { id = 4; queues = { new = 0; }; }\n"
    ");\n"
    "tokens = ( { token = \"admin-token-000002\"; role = \"admin\"; } );\n";

/* The base without queue "old" and agent 3 only. */
static const char removed[] =
    "channels = ( { name = \"whatsapp\"; cost = 25; wrapup_ms = 1000; } );\n"
    "skills = [ \"english\", \"tech\" ];\n"
    "queues = ( { name = \"support\"; }, { name = \"sales\"; strategy = \"round_robin\"; },\n"
    "           { name = \"extra\"; } );\n"
    "agents = (\n"
    " { id = 1; skills = { english = 50; }; queues = { support = 0; }; },\n"
    " { id = 2; queues = { sales = 0; }; }\n"
    ");\n"
    "tokens = ( { token = \"admin-token-000001\"; role = \"admin\"; } );\n";

typedef struct fx {
    orcad_config cur;
    orca_engine *e;
    orcad_reload r;
    orcad_errors err;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    orca_config ec;
    assert_int_equal(orcad_config_load_string(base, "base.conf", &f->cur, &f->err), 0);
    orcad_config_engine(&f->cur, 1000, &ec);
    assert_int_equal(orca_engine_new(&ec, &f->e), ORCA_OK);
    assert_int_equal(orcad_config_apply(&f->cur, f->e, &f->err), ORCA_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    TU_CHECK(f->e);
    orca_engine_free(f->e);
    orcad_config_free(&f->cur);
    orcad_reload_free(&f->r);
    orcad_errors_free(&f->err);
    free(f);
    return 0;
}

/* Reload from text; the result code. */
static int reload(fx *f, const char *text)
{
    orcad_config next;
    orcad_reload_free(&f->r);
    orcad_errors_free(&f->err);
    if (orcad_config_load_string(text, "new.conf", &next, &f->err) != 0)
        return -1;
    int rc = orcad_reload_apply(f->e, &f->cur, &next, &f->r, &f->err);
    for (size_t k = 0; k < f->err.n; k++)
        print_message("  %s\n", f->err.msg[k]);
    return rc;
}

static int listed(const fx *f, int list, const char *name)
{
    for (size_t k = 0; k < f->r.list[list].n; k++)
        if (strstr(f->r.list[list].s[k], name))
            return 1;
    return 0;
}

static int has_error(const fx *f, const char *part)
{
    for (size_t k = 0; k < f->err.n; k++)
        if (strstr(f->err.msg[k], part))
            return 1;
    return 0;
}

static orca_queue_id queue(fx *f, const char *name)
{
    orca_queue_id q = 0;
    TU_OK(orca_queue_find(f->e, name, &q));
    return q;
}

static void enqueue(fx *f, uint64_t id, const char *q)
{
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = id;
    d.queue = queue(f, q);
    d.channel = ORCA_CHANNEL_VOICE;
    TU_OK(orca_interaction_enqueue(f->e, &d));
}

static orca_interaction_state state_of(fx *f, uint64_t id)
{
    orca_interaction_info ii;
    TU_OK(orca_interaction_info_get(f->e, id, &ii));
    return ii.state;
}

static uint32_t ahead_of(fx *f, uint64_t id)
{
    uint32_t ahead = 99;
    TU_OK(orca_interaction_position(f->e, id, &ahead, NULL));
    return ahead;
}

static void test_each_change(void **state)
{
    fx *f = *state;
    orca_queue_id q;
    orca_queue_info qi;
    orca_agent_info ai;
    int open = 1;
    assert_int_equal(reload(f, changed), 0);
    assert_int_equal(f->err.n, 0);
    assert_true(listed(f, ORCAD_RL_CHANNELS_ADDED, "telegram"));
    assert_true(listed(f, ORCAD_RL_CHANNELS_CHANGED, "whatsapp"));
    assert_true(listed(f, ORCAD_RL_QUEUES_ADDED, "new"));
    assert_true(listed(f, ORCAD_RL_QUEUES_CHANGED, "support")); /* its hours */
    assert_true(listed(f, ORCAD_RL_QUEUES_REMOVED, "old"));
    assert_true(listed(f, ORCAD_RL_AGENTS_ADDED, "4"));
    assert_true(listed(f, ORCAD_RL_AGENTS_CHANGED, "1"));
    assert_false(listed(f, ORCAD_RL_AGENTS_CHANGED, "2"));
    assert_true(listed(f, ORCAD_RL_AGENTS_REMOVED, "3"));
    /* The engine has no live update of how a queue routes: said so. */
    assert_true(listed(f, ORCAD_RL_NOT_APPLIED, "queue 'sales': strategy"));
    assert_false(listed(f, ORCAD_RL_QUEUES_CHANGED, "sales"));
    assert_true(f->r.tokens_changed);

    /* ...and the engine has it all. */
    orca_channel_id ch;
    TU_OK(orca_channel_find(f->e, "telegram", &ch));
    TU_OK(orca_skill_find(f->e, "french", &(orca_skill_id){ 0 }));
    assert_int_equal(orca_queue_find(f->e, "old", &q), ORCA_ENOENT);
    TU_OK(orca_queue_info_get(f->e, queue(f, "new"), &qi));
    assert_int_equal(qi.members, 1);
    TU_OK(orca_queue_info_get(f->e, queue(f, "sales"), &qi));
    assert_int_equal(qi.members, 2);
    assert_int_equal(qi.strategy, ORCA_STRATEGY_ROUND_ROBIN); /* kept */
    TU_OK(orca_queue_is_open(f->e, queue(f, "support"), &open, NULL));
    assert_int_equal(open, 0); /* 1970-01-01 was a Thursday */
    TU_OK(orca_agent_info_get(f->e, 1, &ai));
    assert_int_equal(ai.capacity, 50);
    assert_int_equal(orca_agent_info_get(f->e, 3, &ai), ORCA_ENOENT);
    TU_OK(orca_agent_info_get(f->e, 4, &ai));
    /* The live config is the new file (tokens), at the same address. */
    assert_string_equal(f->cur.tokens[0].token, "admin-token-000002");
    assert_int_equal(f->cur.nqueues, 3);

    /* The same file again: nothing to do. */
    assert_int_equal(reload(f, changed), 0);
    for (int k = 0; k < ORCAD_RL_NLISTS; k++)
        assert_int_equal(f->r.list[k].n, 0);
    assert_false(f->r.tokens_changed);
    /* Back to the first file: memberships and hours undone. */
    assert_int_equal(reload(f, base), 0);
    TU_OK(orca_queue_info_get(f->e, queue(f, "sales"), &qi));
    assert_int_equal(qi.members, 1);
    TU_OK(orca_queue_is_open(f->e, queue(f, "support"), &open, NULL));
    assert_int_equal(open, 1);
    assert_true(listed(f, ORCAD_RL_AGENTS_ADDED, "3"));
    assert_true(listed(f, ORCAD_RL_QUEUES_ADDED, "old"));
}

/* A bad file, or one the engine refuses: nothing changes, every problem
 * with its place. */
static void test_bad_file_changes_nothing(void **state)
{
    fx *f = *state;
    tu_snap sn;
    static const char bad_ref[] =
        "queues = ( { name = \"support\"; } );\n"
        "agents = ( { id = 1; queues = { nowhere = 0; }; },\n"
        "           { id = 2; queues = { elsewhere = 0; }; } );\n";
    static const char engine_refuses[] = /* an agent that could never be offered anything */
        "queues = ( { name = \"support\"; }, { name = \"sales\"; }, { name = \"old\"; } );\n"
        "agents = ( { id = 1; capacity = 50;\n"
        "             channels = { voice = 1; }; } );\n";
    enqueue(f, 100, "support");
    tu_snap_take_(&sn, f->e, __FILE__, __LINE__);
    assert_int_equal(reload(f, "queues = ( { name = \"x\"; } ;\n"), -1);
    assert_true(has_error(f, "new.conf:1"));
    assert_int_equal(reload(f, bad_ref), -1);
    assert_true(has_error(f, "new.conf:2:"));
    assert_true(has_error(f, "new.conf:3:"));
    assert_int_equal(reload(f, engine_refuses), -1);
    assert_int_equal(f->err.n, 1);
    assert_true(has_error(f, "new.conf:2: agent '1' refused by the engine"));
    tu_snap_same_(&sn, f->e, "a refused reload", __FILE__, __LINE__);
    tu_snap_free(&sn);
    assert_string_equal(f->cur.file, "base.conf");
    assert_int_equal(f->cur.nqueues, 3);
    assert_int_equal(f->cur.nagents, 3);
}

/* Work waiting in a changed queue is still waiting, in the same order. */
static void test_waiting_work_keeps_place(void **state)
{
    fx *f = *state;
    for (uint64_t id = 10; id < 13; id++)
        enqueue(f, id, "support");
    enqueue(f, 20, "sales");
    assert_int_equal(reload(f, changed), 0);
    for (uint64_t id = 10; id < 13; id++) {
        assert_int_equal(state_of(f, id), ORCA_STATE_WAITING);
        assert_int_equal(ahead_of(f, id), id - 10);
    }
    assert_int_equal(state_of(f, 20), ORCA_STATE_WAITING);
    assert_int_equal(ahead_of(f, 20), 0);
}

/* A queue with live work is not removed, and then nothing else is done. */
static void test_removed_queue_with_work(void **state)
{
    fx *f = *state;
    tu_snap sn;
    enqueue(f, 100, "old");
    tu_snap_take_(&sn, f->e, __FILE__, __LINE__);
    assert_int_equal(reload(f, removed), -1);
    assert_true(has_error(f, "queue 'old' cannot be removed: 1 interactions"));
    tu_snap_same_(&sn, f->e, "a refused queue removal", __FILE__, __LINE__);
    tu_snap_free(&sn);
    assert_int_equal(orca_queue_find(f->e, "extra", &(orca_queue_id){ 0 }), ORCA_ENOENT);
    /* Once the work is gone, the same file goes through. */
    TU_OK(orca_interaction_cancel(f->e, 100));
    assert_int_equal(reload(f, removed), 0);
    assert_true(listed(f, ORCAD_RL_QUEUES_REMOVED, "old"));
    assert_true(listed(f, ORCAD_RL_QUEUES_ADDED, "extra"));
}

/* An agent with an offer only: removed, the work waits again in its place.
 * With work in hand (accepted): the reload is refused. */
static void test_removed_agent_with_work(void **state)
{
    fx *f = *state;
    static const char no_agent3[] =
        "channels = ( { name = \"whatsapp\"; cost = 25; wrapup_ms = 1000; } );\n"
        "skills = [ \"english\", \"tech\" ];\n"
        "queues = ( { name = \"support\"; }, { name = \"sales\"; strategy = \"round_robin\"; },\n"
        "           { name = \"old\"; } );\n"
        "agents = (\n"
        " { id = 1; skills = { english = 50; }; queues = { support = 0; }; },\n"
        " { id = 2; queues = { sales = 0; }; }\n"
        ");\n"
        "tokens = ( { token = \"admin-token-000001\"; role = \"admin\"; } );\n";
    orca_interaction_info ii;
    tu_snap sn;
    TU_OK(orca_agent_set_presence(f->e, 3, ORCA_PRESENCE_READY, 0));
    enqueue(f, 100, "old");
    assert_int_equal(state_of(f, 100), ORCA_STATE_OFFERED);
    TU_OK(orca_offer_accept(f->e, 100));
    tu_snap_take_(&sn, f->e, __FILE__, __LINE__);
    assert_int_equal(reload(f, no_agent3), -1);
    assert_true(has_error(f, "agent 3 cannot be removed: it has work in hand (1 busy"));
    tu_snap_same_(&sn, f->e, "a refused agent removal", __FILE__, __LINE__);
    tu_snap_free(&sn);

    /* Done with it; a new offer only. */
    TU_OK(orca_interaction_end(f->e, 100));
    TU_OK(orca_engine_advance(f->e, 1000 + 3600 * 1000)); /* past any wrap-up */
    TU_OK(orca_agent_info_get(f->e, 3, &(orca_agent_info){ 0 }));
    enqueue(f, 101, "old");
    enqueue(f, 102, "old");
    assert_int_equal(state_of(f, 101), ORCA_STATE_OFFERED);
    assert_int_equal(reload(f, no_agent3), 0);
    assert_true(listed(f, ORCAD_RL_AGENTS_REMOVED, "3"));
    TU_OK(orca_interaction_info_get(f->e, 101, &ii));
    assert_int_equal(ii.state, ORCA_STATE_WAITING);
    assert_int_equal(ahead_of(f, 101), 0); /* first, as it was */
    assert_int_equal(ahead_of(f, 102), 1);
}

/* What needs a restart is listed, not applied, and the rest goes on. */
static void test_restart_only(void **state)
{
    fx *f = *state;
    char text[2048];
    snprintf(text, sizeof text,
             "server = { listen = [ \"127.0.0.1:9999\" ]; sync = \"every\"; };\n"
             "limits = { max_agents = 500; };\n%s", base);
    assert_int_equal(reload(f, text), 0);
    assert_true(listed(f, ORCAD_RL_NOT_APPLIED, "server.listen: needs a restart"));
    assert_true(listed(f, ORCAD_RL_NOT_APPLIED, "journal sync: needs a restart"));
    assert_true(listed(f, ORCAD_RL_NOT_APPLIED, "engine limits"));
    assert_int_equal(f->r.list[ORCAD_RL_NOT_APPLIED].n, 3);
    /* The live config keeps the addresses it listens on. */
    assert_string_equal(f->cur.listen[0], "127.0.0.1:7878");
}

/* Settings of a queue change live (orca_queue_update): support's
 * max_size is enforced from the reload on, its waiting work keeps its
 * place; a strategy and a max wait change beside them are listed as not
 * applied and the settings still go through. */
static const char settings[] =
    "channels = ( { name = \"whatsapp\"; cost = 25; wrapup_ms = 1000; } );\n"
    "skills = [ \"english\", \"tech\" ];\n"
    "queues = ( { name = \"support\"; max_size = 3; sla_ms = 15000; },\n"
    "           { name = \"sales\"; strategy = \"least_occupied\"; max_size = 1; max_wait_ms = 600000; },\n"
    "           { name = \"old\"; } );\n"
    "agents = (\n"
    " { id = 1; skills = { english = 50; }; queues = { support = 0; }; },\n"
    " { id = 2; queues = { sales = 0; }; },\n"
    " { id = 3; queues = { old = 0; }; }\n"
    ");\n"
    "tokens = ( { token = \"admin-token-000001\"; role = \"admin\"; } );\n";

static void test_queue_settings_live(void **state)
{
    fx *f = *state;
    enqueue(f, 10, "support");
    enqueue(f, 11, "support");
    enqueue(f, 20, "sales");
    assert_int_equal(reload(f, settings), 0);
    assert_int_equal(f->err.n, 0);
    assert_true(listed(f, ORCAD_RL_QUEUES_CHANGED, "support"));
    assert_true(listed(f, ORCAD_RL_QUEUES_CHANGED, "sales"));
    assert_true(listed(f, ORCAD_RL_NOT_APPLIED, "queue 'sales': strategy, max_wait_ms"));
    assert_false(listed(f, ORCAD_RL_NOT_APPLIED, "max_size"));
    assert_int_equal(ahead_of(f, 11), 1); /* in place */
    enqueue(f, 12, "support");            /* the third fits... */
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 13, d.queue = queue(f, "support"), d.channel = ORCA_CHANNEL_VOICE;
    TU_RC(orca_interaction_enqueue(f->e, &d), ORCA_EFULL); /* ...a fourth does not */
    d.id = 21, d.queue = queue(f, "sales");
    TU_RC(orca_interaction_enqueue(f->e, &d), ORCA_EFULL); /* sales holds one now */
    orca_queue_info qi;
    TU_OK(orca_queue_info_get(f->e, queue(f, "sales"), &qi));
    assert_int_equal(qi.strategy, ORCA_STRATEGY_ROUND_ROBIN); /* how it routes stays */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_each_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_settings_live, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_file_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waiting_work_keeps_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed_queue_with_work, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed_agent_with_work, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_only, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
