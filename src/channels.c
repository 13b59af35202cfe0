/* channels.c: media with a capacity cost, wrap-up and host callbacks. */
#include "orca_int.h"

static const char *channel_name_cb(const void *ctx, uint32_t id, size_t *len)
{
    const orca_engine *e = ctx;
    *len = e->channels[id].len;
    return e->channels[id].name;
}

int orca_channel_find(const orca_engine *e, const char *name, orca_channel_id *out)
{
    int rc;
    if (!e || !out)
        return ORCA_EINVAL;
    if ((rc = name_check(name)))
        return rc;
    size_t len = strlen(name);
    uint32_t id = strtab_find(&e->channel_names, name, len, strtab_hash(name, len),
                              channel_name_cb, e);
    if (id == UINT32_MAX)
        return ORCA_ENOENT;
    *out = id;
    return ORCA_OK;
}

/* Shared by orca_engine_new (built-ins) and orca_channel_add. */
int channel_add_raw(orca_engine *e, const orca_channel_def *def, orca_channel_id *out)
{
    int rc;
    orca_channel_id dummy;
    if (!def)
        return ORCA_EINVAL;
    if ((rc = name_check(def->name)))
        return rc;
    if (def->cost < 1 || def->cost > ORCA_CAPACITY_MAX)
        return ORCA_ERANGE;
    if (orca_channel_find(e, def->name, &dummy) == ORCA_OK)
        return ORCA_EEXIST;
    if (e->nchannels >= ORCA_MAX_CHANNELS)
        return ORCA_ELIMIT;
    if ((rc = strtab_reserve(e, &e->channel_names, e->nchannels + 1)))
        return rc;
    channel *c = &e->channels[e->nchannels];
    memset(c, 0, sizeof(*c));
    if (!(c->name = mem_strdup(e, def->name, &c->len)))
        return ORCA_ENOMEM;
    c->cost = def->cost;
    c->wrapup_ms = def->wrapup_ms;
    if (def->callbacks)
        c->cb = *def->callbacks;
    c->data = def->data;
    strtab_put(&e->channel_names, strtab_hash(c->name, c->len), e->nchannels);
    if (out)
        *out = e->nchannels;
    e->nchannels++;
    return ORCA_OK;
}

/* orca_channel_add's work: the channel, and its CHANNEL_ADDED event. */
int channel_add(orca_engine *e, const orca_channel_def *def, orca_channel_id *out)
{
    int rc;
    if ((rc = channel_add_raw(e, def, out)))
        return rc;
    orca_event ev;
    ev_init(e, &ev, ORCA_EV_CHANNEL_ADDED);
    ev.channel = *out;
    emit(e, &ev);
    return ORCA_OK;
}

const char *orca_channel_name(const orca_engine *e, orca_channel_id id)
{
    if (!e || id >= e->nchannels)
        return NULL;
    return e->channels[id].name;
}

int orca_channel_set_callbacks(orca_engine *e, orca_channel_id id,
                               const orca_channel_callbacks *cb, void *data)
{
    if (!e)
        return ORCA_EINVAL;
    if (e->in_callback)
        return ORCA_EBUSY;
    if (id >= e->nchannels)
        return ORCA_ENOENT;
    channel *c = &e->channels[id];
    if (cb)
        c->cb = *cb;
    else
        memset(&c->cb, 0, sizeof(c->cb));
    c->data = data;
    return ORCA_OK;
}

void channel_set_wrapup(orca_engine *e, orca_channel_id id, uint32_t wrapup_ms)
{
    e->channels[id].wrapup_ms = wrapup_ms;
}
