/* skills.c: skill tags interned to dense ids (xxHash on the name). */
#include "orca_int.h"

static const char *skill_name_cb(const void *ctx, uint32_t id, size_t *len)
{
    const orca_engine *e = ctx;
    *len = e->skills[id].len;
    return e->skills[id].name;
}

int orca_skill_find(const orca_engine *e, const char *name, orca_skill_id *out)
{
    int rc;
    if (!e || !out)
        return ORCA_EINVAL;
    if ((rc = name_check(name)))
        return rc;
    size_t len = strlen(name);
    uint32_t id = strtab_find(&e->skill_names, name, len, strtab_hash(name, len),
                              skill_name_cb, e);
    if (id == UINT32_MAX)
        return ORCA_ENOENT;
    *out = id;
    return ORCA_OK;
}

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
    if (e->nskills >= e->cfg.max_skills)
        return api_leave(e, ORCA_ELIMIT);
    if ((rc = mem_reserve(e, (void **)&e->skills, &e->capskills, e->nskills + 1,
                          sizeof(skill))) ||
        (rc = strtab_reserve(e, &e->skill_names, e->nskills + 1)))
        return api_leave(e, rc);
    skill *s = &e->skills[e->nskills];
    if (!(s->name = mem_strdup(e, name, &s->len)))
        return api_leave(e, ORCA_ENOMEM);
    strtab_put(&e->skill_names, strtab_hash(name, s->len), e->nskills);
    *out = e->nskills++;
    orca_event ev;
    ev_init(e, &ev, ORCA_EV_SKILL_ADDED);
    ev.value = *out;
    emit(e, &ev);
    return api_leave(e, ORCA_OK);
}

const char *orca_skill_name(const orca_engine *e, orca_skill_id id)
{
    if (!e || id >= e->nskills)
        return NULL;
    return e->skills[id].name;
}
