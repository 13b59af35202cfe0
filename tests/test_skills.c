/*
 * test_skills.c: orca_skill_intern / orca_skill_find / orca_skill_name, and
 * every bad input they can get.
 */
#include "testutil.h"

static void test_intern_find_name(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id a = UINT32_MAX, b = UINT32_MAX, f = UINT32_MAX;
    TU_OK(orca_skill_intern(e, "billing", &a));
    TU_OK(orca_skill_intern(e, "fr", &b));
    assert_int_not_equal(a, b);
    assert_int_equal(b, a + 1); /* dense ids */
    TU_OK(orca_skill_find(e, "billing", &f));
    assert_int_equal(f, a);
    TU_OK(orca_skill_find(e, "fr", &f));
    assert_int_equal(f, b);
    assert_string_equal(orca_skill_name(e, a), "billing");
    assert_string_equal(orca_skill_name(e, b), "fr");
    assert_int_equal(tu_counts(e).skills, 2);
    tu_fx_free(&fx);
}

static void test_same_name_same_id(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id a = tu_skill(e, "vip");
    tu_skill(e, "other");
    size_t added = tu_rec_count(&fx.rec, ORCA_EV_SKILL_ADDED);
    assert_int_equal(added, 2);
    const orca_event *ev = tu_rec_nth(&fx.rec, ORCA_EV_SKILL_ADDED, 0);
    assert_int_equal(ev->value, a);

    char *before = tu_dump(e);
    for (int i = 0; i < 5; i++) {
        orca_skill_id again = UINT32_MAX;
        TU_OK(orca_skill_intern(e, "vip", &again));
        assert_int_equal(again, a);
    }
    /* Re-interning changes nothing and announces nothing. */
    char *after = tu_dump(e);
    assert_string_equal(before, after);
    free(before);
    free(after);
    assert_int_equal(tu_rec_count(&fx.rec, ORCA_EV_SKILL_ADDED), 2);
    assert_int_equal(tu_counts(e).skills, 2);
    tu_fx_free(&fx);
}

static void test_names_are_copied_and_exact(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    char buf[16];
    strcpy(buf, "spanish");
    orca_skill_id s = tu_skill(e, buf);
    strcpy(buf, "XXXXXXX");
    assert_string_equal(orca_skill_name(e, s), "spanish");
    orca_skill_id f;
    TU_OK(orca_skill_find(e, "spanish", &f));
    assert_int_equal(f, s);
    TU_RC(orca_skill_find(e, "XXXXXXX", &f), ORCA_ENOENT);

    /* Byte-exact: case, prefixes and trailing spaces are other skills. */
    orca_skill_id up = tu_skill(e, "Spanish");
    orca_skill_id pre = tu_skill(e, "span");
    orca_skill_id sp = tu_skill(e, "spanish ");
    assert_int_not_equal(up, s);
    assert_int_not_equal(pre, s);
    assert_int_not_equal(sp, s);
    assert_int_not_equal(up, pre);
    /* Any bytes but NUL: UTF-8 works. */
    orca_skill_id u = tu_skill(e, "fran\xc3\xa7" "ais");
    assert_string_equal(orca_skill_name(e, u), "fran\xc3\xa7" "ais");

    /* The returned string stays valid as more skills are added. */
    const char *n = orca_skill_name(e, s);
    char name[32];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof(name), "skill-%d", i);
        tu_skill(e, name);
    }
    assert_string_equal(n, "spanish");
    assert_string_equal(orca_skill_name(e, s), "spanish");
    TU_OK(orca_skill_find(e, "skill-123", &f));
    assert_string_equal(orca_skill_name(e, f), "skill-123");
    tu_fx_free(&fx);
}

static void test_bad_names(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    tu_skill(e, "existing");
    orca_skill_id s = 4242;
    char name[ORCA_NAME_MAX + 8];

    TU_FAILS(e, orca_skill_intern(e, NULL, &s), ORCA_EINVAL);
    TU_FAILS(e, orca_skill_intern(e, "", &s), ORCA_EINVAL);
    TU_FAILS(e, orca_skill_intern(e, tu_name_of_len(name, ORCA_NAME_MAX + 1), &s),
             ORCA_ETOOLONG);
    TU_FAILS(e, orca_skill_intern(e, tu_name_of_len(name, ORCA_NAME_MAX + 7), &s),
             ORCA_ETOOLONG);
    assert_int_equal(s, 4242); /* out untouched on failure */

    TU_FAILS(e, orca_skill_find(e, NULL, &s), ORCA_EINVAL);
    TU_FAILS(e, orca_skill_find(e, "", &s), ORCA_EINVAL);
    TU_FAILS(e, orca_skill_find(e, "nosuch", &s), ORCA_ENOENT);
    assert_int_equal(s, 4242);

    /* Exactly ORCA_NAME_MAX bytes is fine, and found again. */
    tu_name_of_len(name, ORCA_NAME_MAX);
    orca_skill_id longest = tu_skill(e, name);
    orca_skill_id f;
    TU_OK(orca_skill_find(e, name, &f));
    assert_int_equal(f, longest);
    assert_string_equal(orca_skill_name(e, longest), name);
    assert_int_equal(strlen(orca_skill_name(e, longest)), ORCA_NAME_MAX);
    tu_fx_free(&fx);
}

static void test_unknown_ids(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    assert_null(orca_skill_name(e, 0));
    assert_null(orca_skill_name(e, 1));
    orca_skill_id a = tu_skill(e, "a");
    assert_non_null(orca_skill_name(e, a));
    assert_null(orca_skill_name(e, a + 1));
    assert_null(orca_skill_name(e, a + 1000));
    assert_null(orca_skill_name(e, UINT32_MAX));

    /* An unknown skill id is refused wherever a skill is named. */
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    orca_skill_level bad = {a + 1, 5};
    orca_agent_def ad;
    tu_agent_def(&ad, 1, 100, &bad, 1);
    TU_FAILS(e, orca_agent_add(e, &ad), ORCA_ENOENT);
    orca_interaction_def id;
    orca_interaction_def_init(&id);
    id.id = 1;
    id.queue = q;
    id.channel = ORCA_CHANNEL_CHAT;
    id.required = &bad;
    id.nrequired = 1;
    TU_FAILS(e, orca_interaction_enqueue(e, &id), ORCA_ENOENT);
    id.required = NULL;
    id.nrequired = 0;
    id.preferred = &bad;
    id.npreferred = 1;
    TU_FAILS(e, orca_interaction_enqueue(e, &id), ORCA_ENOENT);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "skills";
    qd.serve = ORCA_SERVE_SKILLS;
    qd.skills = &bad;
    qd.nskills = 1;
    orca_queue_id q2;
    TU_FAILS(e, orca_queue_add(e, &qd, &q2), ORCA_ENOENT);
    tu_fx_free(&fx);
}

/* The id rule (issue 11): every id the engine hands out starts at 1 and 0
 * means none, skills as queues. Skill 0 is no skill: refused wherever a
 * skill is named, even once skills exist. */
static void test_ids_start_at_one(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    orca_skill_id a = tu_skill(e, "first"), b = tu_skill(e, "second");
    assert_int_equal(a, 1);
    assert_int_equal(b, 2);
    const orca_event *ev = tu_rec_nth(&fx.rec, ORCA_EV_SKILL_ADDED, 0);
    assert_int_equal(ev->value, 1);
    assert_null(orca_skill_name(e, 0));
    assert_int_equal(tu_counts(e).skills, 2);
    orca_queue_id q = tu_queue(e, "q", ORCA_STRATEGY_LONGEST_IDLE);
    assert_int_equal(q, 1);

    orca_skill_level zero = {0, 5};
    orca_agent_def ad;
    tu_agent_def(&ad, 1, 100, &zero, 1);
    TU_FAILS(e, orca_agent_add(e, &ad), ORCA_ENOENT);
    orca_interaction_def id;
    orca_interaction_def_init(&id);
    id.id = 1;
    id.queue = q;
    id.channel = ORCA_CHANNEL_CHAT;
    id.required = &zero;
    id.nrequired = 1;
    TU_FAILS(e, orca_interaction_enqueue(e, &id), ORCA_ENOENT);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "skills";
    qd.serve = ORCA_SERVE_SKILLS;
    qd.skills = &zero;
    qd.nskills = 1;
    orca_queue_id q2;
    TU_FAILS(e, orca_queue_add(e, &qd, &q2), ORCA_ENOENT);
    orca_step st = {1000, ORCA_STEP_DROP_REQUIRED, 0, 0};
    qd.serve = ORCA_SERVE_MEMBERS;
    qd.skills = NULL;
    qd.nskills = 0;
    qd.steps = &st;
    qd.nsteps = 1;
    TU_FAILS(e, orca_queue_add(e, &qd, &q2), ORCA_ENOENT);
    tu_fx_free(&fx);
}

static void test_max_skills(void **state)
{
    (void)state;
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.max_skills = 3;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, &cfg);
    orca_skill_id a = tu_skill(e, "a");
    tu_skill(e, "b");
    tu_skill(e, "c");
    orca_skill_id s = 99;
    TU_FAILS(e, orca_skill_intern(e, "d", &s), ORCA_ELIMIT);
    assert_int_equal(s, 99);
    TU_FAILS(e, orca_skill_find(e, "d", &s), ORCA_ENOENT);
    /* At the limit, an existing name still interns to its id. */
    TU_OK(orca_skill_intern(e, "a", &s));
    assert_int_equal(s, a);
    assert_int_equal(tu_counts(e).skills, 3);
    /* Bad names are still bad names at the limit. */
    TU_FAILS(e, orca_skill_intern(e, "", &s), ORCA_EINVAL);
    tu_fx_free(&fx);
}

static void test_many_skills(void **state)
{
    (void)state;
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    char name[32];
    orca_skill_id first = 0;
    for (uint32_t i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "s%u", i);
        orca_skill_id s = tu_skill(e, name);
        if (i == 0)
            first = s;
        assert_int_equal(s, first + i);
    }
    for (uint32_t i = 0; i < 5000; i += 37) {
        snprintf(name, sizeof(name), "s%u", i);
        orca_skill_id s;
        TU_OK(orca_skill_find(e, name, &s));
        assert_int_equal(s, first + i);
        assert_string_equal(orca_skill_name(e, s), name);
    }
    assert_int_equal(tu_counts(e).skills, 5000);
    tu_fx_free(&fx);
}

int main(void)
{
    tu_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intern_find_name),
        cmocka_unit_test(test_same_name_same_id),
        cmocka_unit_test(test_names_are_copied_and_exact),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_unknown_ids),
        cmocka_unit_test(test_ids_start_at_one),
        cmocka_unit_test(test_max_skills),
        cmocka_unit_test(test_many_skills),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
