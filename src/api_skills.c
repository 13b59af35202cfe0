/*
 * api_skills.c: the public calls that add skills: argument checks, entering
 * and leaving the call, the journal record. skills.c does the work.
 */
#include "orca_int.h"

int orca_skill_intern(orca_engine *e, const char *name, orca_skill_id *out)
{
    int rc;
    if (!e || !out)
        return ORCA_EINVAL;
    if ((rc = name_check(name)))
        return rc;
    if (orca_skill_find(e, name, out) == ORCA_OK)
        return ORCA_OK;
    if ((rc = api_enter(e)))
        return rc;
    if ((rc = skill_add(e, name, out)))
        return api_leave(e, rc);
    return api_leave(e, jrn_str(e, J_SKILL, name, 0, 0));
}
