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

/* A new skill, name not interned yet (orca_skill_intern checked it):
 * ORCA_OK and *out, or ORCA_ELIMIT / ORCA_ENOMEM with nothing changed. */
int skill_add(orca_engine *e, const char *name, orca_skill_id *out)
{
    int rc;
    if (e->nskills - SKILL_FIRST >= e->cfg.max_skills)
        return ORCA_ELIMIT;
    if ((rc = mem_reserve(e, (void **)&e->skills, &e->capskills, e->nskills + 1,
                          sizeof(skill))) ||
        (rc = strtab_reserve(e, &e->skill_names, e->nskills + 1)))
        return rc;
    if (e->nskills == SKILL_FIRST) /* the first: clear the reserved slot */
        memset(e->skills, 0, SKILL_FIRST * sizeof(skill));
    skill *s = &e->skills[e->nskills];
    memset(s, 0, sizeof(*s));
    if (!(s->name = mem_strdup(e, name, &s->len)))
        return ORCA_ENOMEM;
    strtab_put(&e->skill_names, strtab_hash(name, s->len), e->nskills);
    *out = e->nskills++;
    orca_event ev;
    ev_init(e, &ev, ORCA_EV_SKILL_ADDED);
    ev.value = *out;
    emit(e, &ev);
    return ORCA_OK;
}

const char *orca_skill_name(const orca_engine *e, orca_skill_id id)
{
    if (!e || id < SKILL_FIRST || id >= e->nskills)
        return NULL;
    return e->skills[id].name;
}

/* ---- who holds each skill -------------------------------------------------
 * Used to find the agents a new class could link without scanning them all:
 * only holders of its rarest required skill can be eligible. */

/* Validate a skill list: known skills, levels 1..100, no skill twice. */
int skills_check(const orca_engine *e, const orca_skill_level *v, uint32_t n, uint32_t max)
{
    if (n > max)
        return ORCA_ERANGE;
    if (n && !v)
        return ORCA_EINVAL;
    for (uint32_t k = 0; k < n; k++) {
        if (v[k].skill < SKILL_FIRST || v[k].skill >= e->nskills)
            return ORCA_ENOENT;
        if (v[k].level < ORCA_LEVEL_MIN || v[k].level > ORCA_LEVEL_MAX)
            return ORCA_ERANGE;
        for (uint32_t j = 0; j < k; j++)
            if (v[j].skill == v[k].skill)
                return ORCA_EINVAL;
    }
    return ORCA_OK;
}

int holders_reserve(orca_engine *e, const orca_skill_level *skills, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        skill *s = &e->skills[skills[k].skill];
        int rc = mem_reserve(e, (void **)&s->holders, &s->capholders, s->nholders + 1,
                             sizeof(agent *));
        if (rc)
            return rc;
    }
    return ORCA_OK;
}

void holders_add(orca_engine *e, agent *a)
{
    uint32_t *pos = AGENT_SKILL_POS(a);
    for (uint32_t k = 0; k < a->nskills; k++) {
        skill *s = &e->skills[a->skills[k].skill];
        pos[k] = s->nholders;
        s->holders[s->nholders++] = a;
    }
}

void holders_del(orca_engine *e, agent *a)
{
    uint32_t *pos = AGENT_SKILL_POS(a);
    for (uint32_t k = 0; k < a->nskills; k++) {
        orca_skill_id id = a->skills[k].skill;
        skill *s = &e->skills[id];
        uint32_t p = pos[k], last = --s->nholders;
        if (p != last) {
            agent *m = s->holders[last];
            s->holders[p] = m;
            const orca_skill_level *ms = skill_of(m->skills, m->nskills, id);
            AGENT_SKILL_POS(m)[ms - m->skills] = p;
        }
    }
}
