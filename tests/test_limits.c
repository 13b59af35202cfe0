/*
 * test_limits.c: the limits documented in orca.h's Limits section are the
 * ones the engine enforces. ORCA_MAX_AGENT_SKILLS: an agent may hold exactly
 * that many skills; one more is ORCA_ERANGE from add and update, and the
 * engine is left as it was.
 */
#include "testutil.h"

#define NSK (ORCA_MAX_AGENT_SKILLS + 1)

static void test_agent_skills_limit(void **state)
{
    (void)state;
    /* The documented figure; the journal's record buffer is sized for it. */
    assert_int_equal(ORCA_MAX_AGENT_SKILLS, 1024);
    tu_fx fx;
    orca_engine *e = tu_fx_new(&fx, NULL);
    static orca_skill_level sk[NSK];
    for (uint32_t k = 0; k < NSK; k++) {
        char name[16];
        snprintf(name, sizeof(name), "s%u", k);
        sk[k] = (orca_skill_level){ tu_skill(e, name), 1 + k % ORCA_LEVEL_MAX };
    }
    orca_agent_def d;
    tu_agent_def(&d, 1, 100, sk, ORCA_MAX_AGENT_SKILLS);
    TU_OK(orca_agent_add(e, &d));

    tu_agent_def(&d, 2, 100, sk, NSK);
    TU_FAILS(e, orca_agent_add(e, &d), ORCA_ERANGE);
    TU_RC(orca_agent_info_get(e, 2, &(orca_agent_info){0}), ORCA_ENOENT);

    /* update to one too many keeps the 1,024 it has; to fewer works */
    tu_agent_def(&d, 1, 100, sk, NSK);
    TU_FAILS(e, orca_agent_update(e, &d), ORCA_ERANGE);
    tu_agent_def(&d, 1, 100, sk + 1, ORCA_MAX_AGENT_SKILLS);
    TU_OK(orca_agent_update(e, &d));
    tu_fx_free(&fx);
}

int main(void)
{
    tu_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agent_skills_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
