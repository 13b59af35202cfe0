/*
 * server/config.c: read orcad's configuration file with libconfig into an
 * orcad_config, checking every setting (unknown keys, wrong types, values
 * out of range, names that refer to nothing, duplicates) and keeping every
 * problem with its line. No engine here: apply.c does that.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "config.h"

typedef struct ctx {
    const char *file;
    orcad_errors *err;
    size_t before;             /* problems already in err at the start */
} ctx;

static int line_of(const config_setting_t *s)
{
    return s ? (int)config_setting_source_line(s) : 0;
}

static void bad(ctx *x, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void bad(ctx *x, const config_setting_t *s, const char *fmt, ...)
{
    char body[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    orcad_errors_add(x->err, x->file, line_of(s), "%s", body);
}

static char *dup_str(ctx *x, const char *s)
{
    char *d = strdup(s);
    if (!d)
        bad(x, NULL, "out of memory");
    return d;
}

static void *alloc_n(ctx *x, size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        bad(x, NULL, "out of memory");
    return p;
}

/* A group's settings must all be known: a typo ("max_wiat_ms") would
 * otherwise be silently ignored. */
static int check_group(ctx *x, const config_setting_t *g, const char *what,
                       const char *const *keys)
{
    if (!config_setting_is_group(g)) {
        bad(x, g, "%s must be a group { ... }", what);
        return -1;
    }
    for (int k = 0; k < config_setting_length(g); k++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)k);
        const char *name = config_setting_name(s);
        int known = 0;
        for (const char *const *p = keys; *p && !known; p++)
            known = strcmp(*p, name) == 0;
        if (!known)
            bad(x, s, "unknown setting '%s' in %s", name, what);
    }
    return 0;
}

static int is_int(const config_setting_t *s)
{
    int t = config_setting_type(s);
    return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

/* An integer setting in [min, max]: 1 if there and good, 0 if absent,
 * -1 if wrong (reported). */
static int int_in(ctx *x, const config_setting_t *s, const char *what, long long min,
                  long long max, long long *out)
{
    if (!is_int(s)) {
        bad(x, s, "%s must be an integer", what);
        return -1;
    }
    long long v = config_setting_get_int64(s);
    if (v < min || v > max) {
        bad(x, s, "%s is %lld, must be %lld..%lld", what, v, min, max);
        return -1;
    }
    *out = v;
    return 1;
}

static int get_u32(ctx *x, const config_setting_t *g, const char *key, long long min,
                   long long max, uint32_t *out)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    long long v;
    if (!s)
        return 0;
    int rc = int_in(x, s, key, min, max, &v);
    if (rc == 1)
        *out = (uint32_t)v;
    return rc;
}

/* A time in ms, or "never" where never_value is not 0. */
static int get_ms(ctx *x, const config_setting_t *g, const char *key, uint32_t never_value,
                  uint32_t *out)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    if (s && never_value && config_setting_type(s) == CONFIG_TYPE_STRING) {
        if (strcmp(config_setting_get_string(s), "never") == 0) {
            *out = never_value;
            return 1;
        }
        bad(x, s, "%s must be a time in ms or \"never\"", key);
        return -1;
    }
    return get_u32(x, g, key, 0, UINT32_MAX - 1, out);
}

static const char *get_string(ctx *x, const config_setting_t *g, const char *key, int required)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    if (!s) {
        if (required)
            bad(x, g, "missing setting '%s'", key);
        return NULL;
    }
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        bad(x, s, "%s must be a string", key);
        return NULL;
    }
    return config_setting_get_string(s);
}

/* Names others refer to: identifiers, so that they can be keys too. */
static int good_name(ctx *x, const config_setting_t *s, const char *what, const char *name)
{
    size_t n = strlen(name);
    int ok = n > 0 && n <= ORCA_NAME_MAX && isalpha((unsigned char)name[0]);
    for (size_t k = 1; ok && k < n; k++)
        ok = isalnum((unsigned char)name[k]) || name[k] == '_' || name[k] == '-';
    if (!ok)
        bad(x, s, "%s name '%s' must be 1..%d letters, digits, '_' or '-', starting with a letter",
            what, name, ORCA_NAME_MAX);
    return ok;
}

/* Look a word up in a table of names; its index, or -1 (reported). */
static int pick(ctx *x, const config_setting_t *s, const char *what, const char *word,
                const char *const *names)
{
    for (int k = 0; names[k]; k++)
        if (strcmp(names[k], word) == 0)
            return k;
    char all[200] = "";
    for (int k = 0; names[k]; k++)
        snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", k ? ", " : "", names[k]);
    bad(x, s, "unknown %s '%s' (one of: %s)", what, word, all);
    return -1;
}

/* name = number pairs: { english = 80; billing = 40; } */
static int get_levels(ctx *x, const config_setting_t *g, const char *key, const char *what,
                      long long min, long long max, orcad_level **out, size_t *n)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    if (!s)
        return 0;
    if (!config_setting_is_group(s)) {
        bad(x, s, "%s must be a group of name = number, e.g. { english = 80; }", key);
        return -1;
    }
    size_t len = (size_t)config_setting_length(s);
    if (!(*out = alloc_n(x, len, sizeof **out)))
        return -1;
    for (size_t k = 0; k < len; k++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)k);
        long long v;
        orcad_level *l = &(*out)[*n];
        if (int_in(x, e, what, min, max, &v) != 1)
            continue;
        if (!(l->name = dup_str(x, config_setting_name(e))))
            return -1;
        l->level = (uint32_t)v;
        l->line = line_of(e);
        (*n)++;
    }
    return 1;
}

static const char *const top_keys[] = { "server", "limits", "channels", "skills", "queues",
                                        "agents", "tokens", "tls", NULL };
static const char *const tls_keys[] = { "listen", "cert", "key", NULL };
static const char *const server_keys[] = { "listen", "data_dir", "sync", "sync_interval_ms", NULL };
static const char *const limit_keys[] = { "max_agents", "max_interactions", "max_queues",
                                          "max_skills", "offer_timeout_ms", "reoffer_delay_ms",
                                          "no_answer_limit", "history_per_customer",
                                          "max_customers",
                                          /* orcad's own, for its clients (orcad_clients) */
                                          "max_connections", "client_rate", "client_burst",
                                          "ping_s", "agent_grace_ms", NULL };
static const char *const channel_keys[] = { "name", "cost", "wrapup_ms", NULL };
static const char *const queue_keys[] = { "name", "strategy", "serve", "skills", "steps",
                                          "overflow", "max_wait_ms", "max_size", "wrapup_ms",
                                          "sla_ms", "sticky_ms", "offer_timeout_ms", "hours",
                                          NULL };
static const char *const step_keys[] = { "after_ms", "action", "skill", "level", NULL };
static const char *const overflow_keys[] = { "to", "after_ms", NULL };
static const char *const hours_keys[] = { "utc_offset_min", "open", "when_closed",
                                          "redirect_to", "exceptions", NULL };
static const char *const exception_keys[] = { "date", "from", "to", "open", "name", NULL };
static const char *const range_keys[] = { "days", "from", "to", NULL };
static const char *const agent_keys[] = { "id", "skills", "capacity", "weight", "channels",
                                          "queues", "ranks", NULL };
static const char *const token_keys[] = { "token", "role", "name", "channels", "agent", NULL };

static const char *const sync_names[] = { "never", "every", "interval", NULL };
static const char *const strategy_names[] = { "longest_idle", "least_occupied",
                                              "most_proficient", "round_robin",
                                              "fewest_handled", "weighted_random",
                                              "top_down", "packing", "least_busy", NULL };
static const char *const action_names[] = { "", "set_level", "drop_required",
                                            "drop_preferred", NULL };
static const char *const closed_names[] = { "reject", "hold", "redirect", NULL };
static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };
static const char *const role_names[] = { "", "gateway", "agent", "supervisor", "admin", NULL };
static const char *const builtin_channels[] = { "voice", "chat", "email", "sms", "social",
                                                "video", "callback", NULL };

const char *orcad_role_name(orcad_role r)
{
    return r >= ORCAD_ROLE_GATEWAY && r <= ORCAD_ROLE_ADMIN ? role_names[r] : "?";
}

/* A list ( {...}, {...} ) under key: its length, or -1. */
static int get_list(ctx *x, const config_setting_t *root, const char *key)
{
    const config_setting_t *s = config_setting_get_member(root, key);
    if (!s)
        return 0;
    if (!config_setting_is_list(s)) {
        bad(x, s, "%s must be a list ( { ... }, ... )", key);
        return -1;
    }
    return config_setting_length(s);
}

int orcad_listen_parse(const char *addr, char *host, int *port)
{
    const char *colon = strrchr(addr, ':');
    size_t hl = colon ? (size_t)(colon - addr) : 0;
    char *end;
    long p = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || hl == 0 || hl > ORCAD_HOST_MAX || end == colon + 1 || *end || p < 1 ||
        p > 65535)
        return -1;
    memcpy(host, addr, hl);
    host[hl] = '\0';
    *port = (int)p;
    return 0;
}

/* One listen address of the file, kept in to[] if it is host:port. */
static void add_listen(ctx *x, const config_setting_t *e, char **to, size_t *n)
{
    char host[ORCAD_HOST_MAX + 1];
    int port;
    const char *v = config_setting_get_string(e);
    if (*n == ORCAD_MAX_LISTEN)
        bad(x, e, "at most %d listen addresses", ORCAD_MAX_LISTEN);
    else if (orcad_listen_parse(v, host, &port) != 0)
        bad(x, e, "listen address '%s' is not host:port (port 1..65535)", v);
    else if ((to[*n] = dup_str(x, v)))
        (*n)++;
}

/* g's "listen": one string or an array of them. */
static void parse_listen(ctx *x, const config_setting_t *g, char **to, size_t *n)
{
    const config_setting_t *l = config_setting_get_member(g, "listen");
    if (l && config_setting_type(l) == CONFIG_TYPE_STRING) {
        add_listen(x, l, to, n);
    } else if (l && config_setting_is_array(l)) {
        for (int k = 0; k < config_setting_length(l); k++) {
            const config_setting_t *e = config_setting_get_elem(l, (unsigned)k);
            if (config_setting_type(e) != CONFIG_TYPE_STRING)
                bad(x, e, "listen addresses are strings, \"host:port\"");
            else
                add_listen(x, e, to, n);
        }
    } else if (l) {
        bad(x, l, "listen must be a string or an array of strings");
    }
}

/* A TLS file: relative to the config file's folder unless absolute; it
 * must be readable now (orcad reads it at start). */
static char *tls_file(ctx *x, const config_setting_t *g, const char *key)
{
    const char *v = get_string(x, g, key, 1);
    const char *slash = strrchr(x->file, '/');
    size_t dl = v && v[0] != '/' && slash ? (size_t)(slash - x->file) + 1 : 0;
    char *path;
    FILE *f;
    if (!v)
        return NULL;
    if (!(path = alloc_n(x, dl + strlen(v) + 1, 1)))
        return NULL;
    memcpy(path, x->file, dl);
    strcpy(path + dl, v);
    if (!(f = fopen(path, "r")))
        bad(x, config_setting_get_member(g, key), "tls %s '%s': %s", key, path, strerror(errno));
    else
        fclose(f);
    return path;
}

static void parse_tls(ctx *x, const config_setting_t *root, orcad_config *c)
{
    const config_setting_t *g = config_setting_get_member(root, "tls");
    if (!g || check_group(x, g, "tls", tls_keys) < 0)
        return;
    parse_listen(x, g, c->tls_listen, &c->ntls_listen);
    if (!config_setting_get_member(g, "listen"))
        bad(x, g, "tls needs listen addresses");
    c->tls_cert = tls_file(x, g, "cert");
    c->tls_key = tls_file(x, g, "key");
}

static void parse_server(ctx *x, const config_setting_t *root, orcad_config *c)
{
    const config_setting_t *g = config_setting_get_member(root, "server");
    const char *v;
    c->sync = ORCA_SYNC_INTERVAL;
    c->sync_interval_ms = 1000;
    if (!g || check_group(x, g, "server", server_keys) < 0)
        return;
    parse_listen(x, g, c->listen, &c->nlisten);
    if ((v = get_string(x, g, "data_dir", 0)))
        c->data_dir = dup_str(x, v);
    if ((v = get_string(x, g, "sync", 0))) {
        int k = pick(x, config_setting_get_member(g, "sync"), "sync policy", v, sync_names);
        if (k >= 0)
            c->sync = (orca_sync)k;
    }
    get_u32(x, g, "sync_interval_ms", 1, 3600000, &c->sync_interval_ms);
}

static void parse_limits(ctx *x, const config_setting_t *root, orca_config *e)
{
    const config_setting_t *g = config_setting_get_member(root, "limits");
    orca_config_init(e);
    if (!g || check_group(x, g, "limits", limit_keys) < 0)
        return;
    get_u32(x, g, "max_agents", 1, UINT32_MAX, &e->max_agents);
    get_u32(x, g, "max_interactions", 1, UINT32_MAX, &e->max_interactions);
    get_u32(x, g, "max_queues", 1, UINT32_MAX, &e->max_queues);
    get_u32(x, g, "max_skills", 1, UINT32_MAX, &e->max_skills);
    get_ms(x, g, "offer_timeout_ms", ORCA_TIMEOUT_NEVER, &e->offer_timeout_ms);
    get_u32(x, g, "reoffer_delay_ms", 1, UINT32_MAX - 1, &e->reoffer_delay_ms);
    get_ms(x, g, "no_answer_limit", ORCA_NO_ANSWER_NEVER, &e->no_answer_limit);
    get_u32(x, g, "history_per_customer", 1, ORCA_HISTORY_MAX, &e->history_per_customer);
    get_u32(x, g, "max_customers", 1, UINT32_MAX, &e->max_customers);
}

/* What a client may cost orcad (docs/PROTOCOL.md, "Bad clients"); in the
 * limits block next to the engine's limits. */
static void parse_client_limits(ctx *x, const config_setting_t *root, orcad_clients *l)
{
    const config_setting_t *g = config_setting_get_member(root, "limits");
    l->max_connections = ORCAD_DEFAULT_MAX_CONNECTIONS;
    l->rate = ORCAD_DEFAULT_CLIENT_RATE;
    l->burst = ORCAD_DEFAULT_CLIENT_BURST;
    l->ping_s = ORCAD_DEFAULT_PING_S;
    l->agent_grace_ms = ORCAD_DEFAULT_AGENT_GRACE_MS;
    if (!g || config_setting_type(g) != CONFIG_TYPE_GROUP)
        return; /* parse_limits has said what is wrong with it */
    get_u32(x, g, "max_connections", 1, 1000000, &l->max_connections);
    get_u32(x, g, "client_rate", 1, 10000000, &l->rate);
    get_u32(x, g, "client_burst", 1, 10000000, &l->burst);
    get_u32(x, g, "ping_s", 0, 3600, &l->ping_s);
    get_u32(x, g, "agent_grace_ms", 0, 3600000, &l->agent_grace_ms);
}

static void parse_channels(ctx *x, const config_setting_t *root, orcad_config *c)
{
    int n = get_list(x, root, "channels");
    const config_setting_t *l = config_setting_get_member(root, "channels");
    if (n <= 0 || !(c->channels = alloc_n(x, (size_t)n, sizeof *c->channels)))
        return;
    for (int k = 0; k < n; k++) {
        const config_setting_t *g = config_setting_get_elem(l, (unsigned)k);
        orcad_channel *ch = &c->channels[c->nchannels];
        if (check_group(x, g, "a channel", channel_keys) < 0)
            continue;
        const char *name = get_string(x, g, "name", 1);
        if (!name || !good_name(x, g, "channel", name))
            continue;
        ch->line = line_of(g);
        for (int b = 0; builtin_channels[b]; b++)
            ch->builtin |= strcmp(builtin_channels[b], name) == 0;
        int has_cost = get_u32(x, g, "cost", 1, ORCA_CAPACITY_MAX, &ch->cost);
        if (ch->builtin && has_cost)
            bad(x, g, "channel '%s' is built in: its cost is fixed (set only wrapup_ms)", name);
        else if (!ch->builtin && has_cost == 0)
            bad(x, g, "channel '%s' needs a cost (capacity units, 1..%d)", name,
                ORCA_CAPACITY_MAX);
        ch->has_wrapup = get_u32(x, g, "wrapup_ms", 0, UINT32_MAX - 1, &ch->wrapup_ms) == 1;
        for (size_t j = 0; j < c->nchannels; j++)
            if (strcmp(c->channels[j].name, name) == 0)
                bad(x, g, "channel '%s' is defined twice (first at line %d)", name,
                    c->channels[j].line);
        if ((ch->name = dup_str(x, name)))
            c->nchannels++;
    }
}

static void parse_skills(ctx *x, const config_setting_t *root, orcad_config *c)
{
    const config_setting_t *s = config_setting_get_member(root, "skills");
    if (!s)
        return;
    if (!config_setting_is_array(s)) {
        bad(x, s, "skills must be an array of names, e.g. [ \"english\", \"billing\" ]");
        return;
    }
    size_t n = (size_t)config_setting_length(s);
    if (!(c->skills = alloc_n(x, n, sizeof *c->skills)))
        return;
    for (size_t k = 0; k < n; k++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)k);
        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            bad(x, e, "skills are names (strings)");
            continue;
        }
        const char *name = config_setting_get_string(e);
        if (!good_name(x, e, "skill", name))
            continue;
        for (size_t j = 0; j < c->nskills; j++)
            if (strcmp(c->skills[j], name) == 0)
                bad(x, e, "skill '%s' is listed twice", name);
        if ((c->skills[c->nskills] = dup_str(x, name)))
            c->nskills++;
    }
}

/* "08:30" -> 510; -1 if not a time of day (24:00 allowed, as an end). */
static int minutes(const char *t)
{
    int h, m;
    char end;
    if (sscanf(t, "%2d:%2d%c", &h, &m, &end) != 2 || h < 0 || m < 0 || m > 59 ||
        h * 60 + m > 1440)
        return -1;
    return h * 60 + m;
}

static void parse_range(ctx *x, const config_setting_t *g, orcad_queue *q)
{
    if (check_group(x, g, "an opening range", range_keys) < 0)
        return;
    const char *from = get_string(x, g, "from", 1), *to = get_string(x, g, "to", 1);
    const config_setting_t *days = config_setting_get_member(g, "days");
    int open = from ? minutes(from) : -1, close = to ? minutes(to) : -1;
    if (from && open < 0)
        bad(x, g, "from '%s' is not a time of day HH:MM", from);
    if (to && close < 0)
        bad(x, g, "to '%s' is not a time of day HH:MM (24:00 for midnight)", to);
    if (open >= 0 && close >= 0 && open >= close)
        bad(x, g, "an opening range must end after it starts (%s-%s)", from, to);
    if (!days || !config_setting_is_array(days) || config_setting_length(days) == 0) {
        bad(x, days ? days : g, "days must be an array of day names, e.g. [ \"mon\", \"tue\" ]");
        return;
    }
    for (int k = 0; k < config_setting_length(days); k++) {
        const config_setting_t *d = config_setting_get_elem(days, (unsigned)k);
        int day = config_setting_type(d) == CONFIG_TYPE_STRING
                      ? pick(x, d, "day", config_setting_get_string(d), day_names)
                      : (bad(x, d, "days are names (\"mon\")"), -1);
        if (day < 0 || open < 0 || close < 0 || open >= close)
            continue;
        if (q->nranges == ORCA_HOURS_MAX) {
            bad(x, d, "at most %d opening ranges per queue", ORCA_HOURS_MAX);
            return;
        }
        q->ranges[q->nranges++] = (orcad_range){ (uint32_t)day, (uint32_t)open, (uint32_t)close };
    }
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so dates need no time zone database. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" (local time, 24:00 allowed) as
 * minutes since the epoch in local time; -1 if it is neither. */
static int64_t local_minutes(const char *s)
{
    static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    unsigned y, mo, d, h = 0, mi = 0;
    int n = 0, tail = 0;
    if (sscanf(s, "%4u-%2u-%2u%n", &y, &mo, &d, &n) != 3 || n != 10)
        return -1;
    if (s[n] == ' ' && (sscanf(s + n, " %2u:%2u%n", &h, &mi, &tail) != 2 || tail != 6))
        return -1;
    if (s[n] && s[n] != ' ')
        return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || y > 2999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !leap) || mi > 59 || h > 24 || (h == 24 && mi))
        return -1;
    return days_from_civil(y, mo, d) * 1440 + h * 60 + mi;
}

/* One exception: `date` (a whole local day) or `from`/`to` (local
 * "YYYY-MM-DD[ HH:MM]"), with open = false (a holiday: the default) or
 * true (a special opening). */
static void parse_exception(ctx *x, const config_setting_t *g, orcad_queue *q)
{
    if (check_group(x, g, "an exception", exception_keys) < 0)
        return;
    const char *date = get_string(x, g, "date", 0);
    const char *from = get_string(x, g, "from", 0), *to = get_string(x, g, "to", 0);
    int64_t a = -1, b = -1;
    int open = 0;
    const config_setting_t *o = config_setting_get_member(g, "open");
    if (o && config_setting_type(o) != CONFIG_TYPE_BOOL)
        bad(x, o, "open must be true (a special opening) or false (a holiday)");
    else if (o)
        open = config_setting_get_bool(o);
    if (date && (from || to)) {
        bad(x, g, "an exception has either date or from and to, not both");
        return;
    }
    if (date) {
        if ((a = local_minutes(date)) < 0 || strlen(date) != 10)
            bad(x, g, "date '%s' is not a date YYYY-MM-DD", date), a = -1;
        b = a + 1440;
    } else if (!from || !to) {
        bad(x, g, "an exception needs date, or from and to (\"YYYY-MM-DD HH:MM\")");
        return;
    } else {
        if ((a = local_minutes(from)) < 0)
            bad(x, g, "from '%s' is not \"YYYY-MM-DD\" or \"YYYY-MM-DD HH:MM\"", from);
        if ((b = local_minutes(to)) < 0)
            bad(x, g, "to '%s' is not \"YYYY-MM-DD\" or \"YYYY-MM-DD HH:MM\"", to);
        if (a >= 0 && b >= 0 && b <= a)
            bad(x, g, "an exception must end after it starts (%s to %s)", from, to), a = -1;
    }
    if (a < 0 || b < 0)
        return;
    if (q->nexceptions == ORCA_HOURS_MAX) {
        bad(x, g, "at most %d exceptions per queue", ORCA_HOURS_MAX);
        return;
    }
    /* Local minutes less the offset are UTC minutes; a date in 1970 with
     * an eastern offset could fall before the epoch. */
    int64_t fa = a - q->utc_offset_min, fb = b - q->utc_offset_min;
    if (fa < 0) {
        bad(x, g, "an exception before 1970");
        return;
    }
    q->exceptions[q->nexceptions++] =
        (orcad_exception){ (uint64_t)fa * 60000, (uint64_t)fb * 60000, (uint32_t)open };
}

static void parse_hours(ctx *x, const config_setting_t *g, orcad_queue *q)
{
    const char *v;
    long long off = 0;
    if (check_group(x, g, "hours", hours_keys) < 0)
        return;
    q->has_hours = 1;
    q->hours_line = line_of(g);
    const config_setting_t *s = config_setting_get_member(g, "utc_offset_min");
    if (s && int_in(x, s, "utc_offset_min", -840, 840, &off) == 1)
        q->utc_offset_min = (int32_t)off;
    if ((v = get_string(x, g, "when_closed", 0))) {
        int k = pick(x, config_setting_get_member(g, "when_closed"), "closed action", v,
                     closed_names);
        if (k >= 0)
            q->when_closed = (orca_closed_action)k;
    }
    if ((v = get_string(x, g, "redirect_to", 0)))
        q->redirect_to = dup_str(x, v);
    if (q->when_closed == ORCA_CLOSED_REDIRECT && !q->redirect_to)
        bad(x, g, "when_closed = \"redirect\" needs redirect_to (a queue)");
    if (q->when_closed != ORCA_CLOSED_REDIRECT && q->redirect_to)
        bad(x, g, "redirect_to needs when_closed = \"redirect\"");
    int n = get_list(x, g, "open");
    const config_setting_t *l = config_setting_get_member(g, "open");
    if (n > 0 && (q->ranges = alloc_n(x, ORCA_HOURS_MAX, sizeof *q->ranges)))
        for (int k = 0; k < n; k++)
            parse_range(x, config_setting_get_elem(l, (unsigned)k), q);
    n = get_list(x, g, "exceptions");
    l = config_setting_get_member(g, "exceptions");
    if (n > 0 && (q->exceptions = alloc_n(x, ORCA_HOURS_MAX, sizeof *q->exceptions)))
        for (int k = 0; k < n; k++)
            parse_exception(x, config_setting_get_elem(l, (unsigned)k), q);
}

static void parse_steps(ctx *x, const config_setting_t *g, orcad_queue *q)
{
    int n = get_list(x, g, "steps");
    const config_setting_t *l = config_setting_get_member(g, "steps");
    if (n <= 0)
        return;
    if (n > ORCA_MAX_STEPS) {
        bad(x, l, "at most %d routing steps per queue", ORCA_MAX_STEPS);
        return;
    }
    if (!(q->steps = alloc_n(x, (size_t)n, sizeof *q->steps)))
        return;
    for (int k = 0; k < n; k++) {
        const config_setting_t *s = config_setting_get_elem(l, (unsigned)k);
        orcad_step *st = &q->steps[q->nsteps];
        if (check_group(x, s, "a routing step", step_keys) < 0)
            continue;
        const char *action = get_string(x, s, "action", 1), *skill = get_string(x, s, "skill", 1);
        int a = action ? pick(x, config_setting_get_member(s, "action"), "step action", action,
                              action_names + 1) : -1;
        if (get_u32(x, s, "after_ms", 0, UINT32_MAX - 1, &st->after_ms) == 0)
            bad(x, s, "missing setting 'after_ms'");
        int has_level = get_u32(x, s, "level", ORCA_LEVEL_MIN, ORCA_LEVEL_MAX, &st->level);
        if (a == 0 && has_level == 0)
            bad(x, s, "action \"set_level\" needs a level");
        if (a > 0 && has_level == 1)
            bad(x, s, "only action \"set_level\" takes a level");
        if (q->nsteps && st->after_ms < q->steps[q->nsteps - 1].after_ms)
            bad(x, s, "steps must be in order of after_ms");
        if (a < 0 || !skill)
            continue;
        st->action = (orca_step_action)(a + 1);
        st->line = line_of(s);
        if ((st->skill = dup_str(x, skill)))
            q->nsteps++;
    }
}

static void parse_queue(ctx *x, const config_setting_t *g, orcad_config *c)
{
    orcad_queue *q = &c->queues[c->nqueues];
    const char *v;
    if (check_group(x, g, "a queue", queue_keys) < 0)
        return;
    const char *name = get_string(x, g, "name", 1);
    if (!name || !good_name(x, g, "queue", name))
        return;
    q->line = line_of(g);
    q->wrapup_ms = ORCA_WRAPUP_CHANNEL;
    for (size_t j = 0; j < c->nqueues; j++)
        if (strcmp(c->queues[j].name, name) == 0)
            bad(x, g, "queue '%s' is defined twice (first at line %d)", name, c->queues[j].line);
    /* counted from here on, so that whatever it owns is freed with it */
    if (!(q->name = dup_str(x, name)))
        return;
    c->nqueues++;
    if ((v = get_string(x, g, "strategy", 0))) {
        int k = pick(x, config_setting_get_member(g, "strategy"), "strategy", v, strategy_names);
        if (k >= 0)
            q->strategy = (orca_strategy)k;
    }
    const config_setting_t *serve = config_setting_get_member(g, "serve");
    if (serve && config_setting_is_array(serve)) {
        static const char *const serve_names[] = { "members", "skills", NULL };
        for (int k = 0; k < config_setting_length(serve); k++) {
            const config_setting_t *e = config_setting_get_elem(serve, (unsigned)k);
            int w = config_setting_type(e) == CONFIG_TYPE_STRING
                        ? pick(x, e, "serve", config_setting_get_string(e), serve_names)
                        : (bad(x, e, "serve lists \"members\" and/or \"skills\""), -1);
            if (w >= 0)
                q->serve |= w == 0 ? ORCA_SERVE_MEMBERS : ORCA_SERVE_SKILLS;
        }
    } else if (serve) {
        bad(x, serve, "serve must be an array: [ \"members\" ], [ \"skills\" ] or both");
    }
    get_levels(x, g, "skills", "a skill level", ORCA_LEVEL_MIN, ORCA_LEVEL_MAX, &q->skills,
               &q->nskills);
    if ((q->serve & ORCA_SERVE_SKILLS) && q->nskills == 0)
        bad(x, g, "queue '%s' serves by skills but lists none", name);
    parse_steps(x, g, q);
    const config_setting_t *o = config_setting_get_member(g, "overflow");
    if (o && check_group(x, o, "overflow", overflow_keys) == 0) {
        const char *to = get_string(x, o, "to", 1);
        if (get_u32(x, o, "after_ms", 1, UINT32_MAX - 1, &q->overflow_after_ms) == 0)
            bad(x, o, "missing setting 'after_ms'");
        if (to)
            q->overflow_to = dup_str(x, to);
    }
    get_u32(x, g, "max_wait_ms", 0, UINT32_MAX - 1, &q->max_wait_ms);
    get_u32(x, g, "max_size", 0, UINT32_MAX, &q->max_size);
    get_u32(x, g, "wrapup_ms", 0, UINT32_MAX - 1, &q->wrapup_ms);
    get_u32(x, g, "sla_ms", 0, UINT32_MAX - 1, &q->sla_ms);
    get_u32(x, g, "sticky_ms", 0, UINT32_MAX - 1, &q->sticky_ms);
    get_ms(x, g, "offer_timeout_ms", ORCA_TIMEOUT_NEVER, &q->offer_timeout_ms);
    const config_setting_t *h = config_setting_get_member(g, "hours");
    if (h)
        parse_hours(x, h, q);
}

static void parse_members(ctx *x, const config_setting_t *g, const char *key, long long max,
                          orcad_member **out, size_t *n)
{
    orcad_level *lv = NULL;
    size_t nl = 0;
    if (get_levels(x, g, key, key, 0, max, &lv, &nl) <= 0) {
        free(lv);
        return;
    }
    if ((*out = alloc_n(x, nl, sizeof **out)))
        for (size_t k = 0; k < nl; k++) {
            (*out)[k] = (orcad_member){ lv[k].name, lv[k].level, lv[k].line };
            lv[k].name = NULL;
        }
    *n = *out ? nl : 0;
    for (size_t k = 0; k < nl; k++)
        free(lv[k].name);
    free(lv);
}

static void parse_agent(ctx *x, const config_setting_t *g, orcad_config *c)
{
    orcad_agent *a = &c->agents[c->nagents];
    const config_setting_t *id = config_setting_get_member(g, "id");
    long long v;
    if (check_group(x, g, "an agent", agent_keys) < 0)
        return;
    if (!id) {
        bad(x, g, "an agent needs an id (a positive integer)");
        return;
    }
    if (int_in(x, id, "id", 1, INT64_MAX, &v) != 1)
        return;
    a->id = (uint64_t)v;
    a->line = line_of(g);
    a->capacity = 100;
    a->weight = 1;
    for (size_t j = 0; j < c->nagents; j++)
        if (c->agents[j].id == a->id)
            bad(x, id, "agent %llu is defined twice (first at line %d)", (unsigned long long)a->id,
                c->agents[j].line);
    get_levels(x, g, "skills", "a skill level", ORCA_LEVEL_MIN, ORCA_LEVEL_MAX, &a->skills,
               &a->nskills);
    get_u32(x, g, "capacity", 1, ORCA_CAPACITY_MAX, &a->capacity);
    get_u32(x, g, "weight", 1, ORCA_WEIGHT_MAX, &a->weight);
    get_levels(x, g, "channels", "a channel limit", 1, 1000, &a->limits, &a->nlimits);
    parse_members(x, g, "queues", ORCA_TIER_MAX, &a->queues, &a->nqueues);
    parse_members(x, g, "ranks", ORCA_RANK_MAX, &a->ranks, &a->nranks);
    c->nagents++;
}

/* A token's scope: channels = [ "voice", ... ] (gateway tokens) or
 * agent = ID (agent tokens). The names and the agent are checked against
 * the rest of the file by check_refs. */
static void parse_token_scope(ctx *x, const config_setting_t *g, orcad_token *t)
{
    const config_setting_t *ch = config_setting_get_member(g, "channels");
    const config_setting_t *ag = config_setting_get_member(g, "agent");
    long long v;
    if (ch && t->role != ORCAD_ROLE_GATEWAY)
        bad(x, ch, "channels limit gateway tokens only");
    else if (ch && (!config_setting_is_array(ch) || config_setting_length(ch) == 0))
        bad(x, ch, "channels must be a non-empty array of channel names, e.g. [ \"voice\" ]");
    else if (ch && (t->channels = alloc_n(x, (size_t)config_setting_length(ch), sizeof *t->channels)))
        for (int k = 0; k < config_setting_length(ch); k++) {
            const config_setting_t *e = config_setting_get_elem(ch, (unsigned)k);
            const char *n = config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : NULL;
            if (!n) {
                bad(x, e, "channels are names (strings)");
                continue;
            }
            for (size_t j = 0; j < t->nchannels; j++)
                if (strcmp(t->channels[j].name, n) == 0)
                    bad(x, e, "channel '%s' is listed twice", n);
            t->channels[t->nchannels].line = line_of(e);
            if ((t->channels[t->nchannels].name = dup_str(x, n)))
                t->nchannels++;
        }
    if (ag && t->role != ORCAD_ROLE_AGENT)
        bad(x, ag, "agent binds agent tokens only");
    else if (ag && int_in(x, ag, "agent", 1, INT64_MAX, &v) == 1) {
        t->agent = (uint64_t)v;
        t->agent_line = line_of(ag);
    }
}

static void parse_token(ctx *x, const config_setting_t *g, orcad_config *c)
{
    orcad_token *t = &c->tokens[c->ntokens];
    if (check_group(x, g, "a token", token_keys) < 0)
        return;
    const char *tok = get_string(x, g, "token", 1), *role = get_string(x, g, "role", 1);
    const char *name = get_string(x, g, "name", 0);
    int r = role ? pick(x, config_setting_get_member(g, "role"), "role", role, role_names + 1)
                 : -1;
    if (tok && strlen(tok) < 16)
        bad(x, g, "a token must be at least 16 characters (it is a password)");
    for (size_t j = 0; tok && j < c->ntokens; j++)
        if (strcmp(c->tokens[j].token, tok) == 0)
            bad(x, g, "this token is given twice (first at line %d)", c->tokens[j].line);
    if (!tok || strlen(tok) < 16 || r < 0)
        return;
    t->role = (orcad_role)(r + 1);
    t->line = line_of(g);
    t->name = name ? dup_str(x, name) : NULL;
    if ((t->token = dup_str(x, tok))) {
        parse_token_scope(x, g, t);
        c->ntokens++;
    }
}

static int list_alloc(ctx *x, const config_setting_t *root, const char *key, size_t size,
                      void **out)
{
    int n = get_list(x, root, key);
    if (n > 0 && !(*out = alloc_n(x, (size_t)n, size)))
        return 0;
    return n > 0 ? n : 0;
}

/* Is name one of a list of names (stride bytes apart, name first)? */
static int named(const void *base, size_t n, size_t stride, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(*(char *const *)((const char *)base + k * stride), name) == 0)
            return 1;
    return 0;
}

static int has_skill(const orcad_config *c, const char *s) { return named(c->skills, c->nskills, sizeof *c->skills, s); }
static int has_queue(const orcad_config *c, const char *s) { return named(c->queues, c->nqueues, sizeof *c->queues, s); }

static int has_channel(const orcad_config *c, const char *s)
{
    for (int b = 0; builtin_channels[b]; b++)
        if (strcmp(builtin_channels[b], s) == 0)
            return 1;
    return named(c->channels, c->nchannels, sizeof *c->channels, s);
}

/* Every name a setting refers to must be defined somewhere in the file. */
static void check_refs(ctx *x, const orcad_config *c)
{
    const char *f = x->file;
    for (size_t k = 0; k < c->nqueues; k++) {
        const orcad_queue *q = &c->queues[k];
        for (size_t j = 0; j < q->nskills; j++)
            if (!has_skill(c, q->skills[j].name))
                orcad_errors_add(x->err, f, q->skills[j].line, "queue '%s': unknown skill '%s'",
                                 q->name, q->skills[j].name);
        for (size_t j = 0; j < q->nsteps; j++)
            if (!has_skill(c, q->steps[j].skill))
                orcad_errors_add(x->err, f, q->steps[j].line, "queue '%s': step on unknown skill '%s'",
                                 q->name, q->steps[j].skill);
        if (q->overflow_to && !has_queue(c, q->overflow_to))
            orcad_errors_add(x->err, f, q->line, "queue '%s': overflow to unknown queue '%s'",
                             q->name, q->overflow_to);
        if (q->overflow_to && strcmp(q->overflow_to, q->name) == 0)
            orcad_errors_add(x->err, f, q->line, "queue '%s' overflows to itself", q->name);
        if (q->redirect_to && !has_queue(c, q->redirect_to))
            orcad_errors_add(x->err, f, q->hours_line, "queue '%s': redirect to unknown queue '%s'",
                             q->name, q->redirect_to);
        if (q->redirect_to && strcmp(q->redirect_to, q->name) == 0)
            orcad_errors_add(x->err, f, q->hours_line, "queue '%s' redirects to itself", q->name);
    }
    for (size_t k = 0; k < c->nagents; k++) {
        const orcad_agent *a = &c->agents[k];
        unsigned long long id = (unsigned long long)a->id;
        for (size_t j = 0; j < a->nskills; j++)
            if (!has_skill(c, a->skills[j].name))
                orcad_errors_add(x->err, f, a->skills[j].line, "agent %llu: unknown skill '%s'", id,
                                 a->skills[j].name);
        for (size_t j = 0; j < a->nlimits; j++)
            if (!has_channel(c, a->limits[j].name))
                orcad_errors_add(x->err, f, a->limits[j].line, "agent %llu: unknown channel '%s'",
                                 id, a->limits[j].name);
        for (size_t j = 0; j < a->nqueues; j++)
            if (!has_queue(c, a->queues[j].queue))
                orcad_errors_add(x->err, f, a->queues[j].line, "agent %llu: unknown queue '%s'", id,
                                 a->queues[j].queue);
        for (size_t j = 0; j < a->nranks; j++)
            if (!has_queue(c, a->ranks[j].queue))
                orcad_errors_add(x->err, f, a->ranks[j].line, "agent %llu: rank for unknown queue '%s'",
                                 id, a->ranks[j].queue);
    }
    for (size_t k = 0; k < c->ntokens; k++) {
        const orcad_token *t = &c->tokens[k];
        for (size_t j = 0; j < t->nchannels; j++)
            if (!has_channel(c, t->channels[j].name))
                orcad_errors_add(x->err, f, t->channels[j].line, "token: unknown channel '%s'",
                                 t->channels[j].name);
        size_t j = 0;
        while (t->agent && j < c->nagents && c->agents[j].id != t->agent)
            j++;
        if (t->agent && j == c->nagents)
            orcad_errors_add(x->err, f, t->agent_line, "token: unknown agent %llu",
                             (unsigned long long)t->agent);
    }
}

static void parse_all(ctx *x, const config_setting_t *root, orcad_config *c)
{
    int n;
    const config_setting_t *l;
    check_group(x, root, "the file", top_keys);
    parse_server(x, root, c);
    parse_tls(x, root, c);
    parse_limits(x, root, &c->engine);
    parse_client_limits(x, root, &c->clients);
    parse_channels(x, root, c);
    parse_skills(x, root, c);
    if ((n = list_alloc(x, root, "queues", sizeof *c->queues, (void **)&c->queues)))
        for (l = config_setting_get_member(root, "queues"); n-- > 0;)
            parse_queue(x, config_setting_get_elem(l, (unsigned)(config_setting_length(l) - n - 1)), c);
    if ((n = list_alloc(x, root, "agents", sizeof *c->agents, (void **)&c->agents)))
        for (l = config_setting_get_member(root, "agents"); n-- > 0;)
            parse_agent(x, config_setting_get_elem(l, (unsigned)(config_setting_length(l) - n - 1)), c);
    if ((n = list_alloc(x, root, "tokens", sizeof *c->tokens, (void **)&c->tokens)))
        for (l = config_setting_get_member(root, "tokens"); n-- > 0;)
            parse_token(x, config_setting_get_elem(l, (unsigned)(config_setting_length(l) - n - 1)), c);
    if (c->nlisten == 0)
        c->listen[c->nlisten++] = dup_str(x, "127.0.0.1:7878");
    check_refs(x, c);
}

static int load(config_t *lc, int read_ok, const char *name, orcad_config *out, orcad_errors *err)
{
    ctx x = { name, err, err->n };
    memset(out, 0, sizeof *out);
    if (!read_ok) {
        const char *f = config_error_file(lc) ? config_error_file(lc) : name;
        orcad_errors_add(err, f, config_error_line(lc), "%s", config_error_text(lc));
    } else {
        out->file = dup_str(&x, name);
        parse_all(&x, config_root_setting(lc), out);
    }
    config_destroy(lc);
    if (err->n == x.before && !err->oom)
        return 0;
    orcad_config_free(out);
    return -1;
}

int orcad_config_load(const char *path, orcad_config *out, orcad_errors *err)
{
    config_t lc;
    config_init(&lc);
    return load(&lc, config_read_file(&lc, path) == CONFIG_TRUE, path, out, err);
}

int orcad_config_load_string(const char *text, const char *name, orcad_config *out,
                             orcad_errors *err)
{
    config_t lc;
    config_init(&lc);
    return load(&lc, config_read_string(&lc, text) == CONFIG_TRUE, name, out, err);
}

static void free_levels(orcad_level *l, size_t n)
{
    for (size_t k = 0; k < n; k++)
        free(l[k].name);
    free(l);
}

static void free_members(orcad_member *m, size_t n)
{
    for (size_t k = 0; k < n; k++)
        free(m[k].queue);
    free(m);
}

void orcad_config_free(orcad_config *c)
{
    free(c->file);
    for (size_t k = 0; k < c->nlisten; k++)
        free(c->listen[k]);
    free(c->data_dir);
    for (size_t k = 0; k < c->ntls_listen; k++)
        free(c->tls_listen[k]);
    free(c->tls_cert);
    free(c->tls_key);
    for (size_t k = 0; k < c->nchannels; k++)
        free(c->channels[k].name);
    free(c->channels);
    for (size_t k = 0; k < c->nskills; k++)
        free(c->skills[k]);
    free(c->skills);
    for (size_t k = 0; k < c->nqueues; k++) {
        orcad_queue *q = &c->queues[k];
        free(q->name);
        free_levels(q->skills, q->nskills);
        for (size_t j = 0; j < q->nsteps; j++)
            free(q->steps[j].skill);
        free(q->steps);
        free(q->overflow_to);
        free(q->ranges);
        free(q->exceptions);
        free(q->redirect_to);
    }
    free(c->queues);
    for (size_t k = 0; k < c->nagents; k++) {
        orcad_agent *a = &c->agents[k];
        free_levels(a->skills, a->nskills);
        free_levels(a->limits, a->nlimits);
        free_members(a->queues, a->nqueues);
        free_members(a->ranks, a->nranks);
    }
    free(c->agents);
    for (size_t k = 0; k < c->ntokens; k++) {
        free(c->tokens[k].token);
        free(c->tokens[k].name);
        for (size_t j = 0; j < c->tokens[k].nchannels; j++)
            free(c->tokens[k].channels[j].name);
        free(c->tokens[k].channels);
    }
    free(c->tokens);
    memset(c, 0, sizeof *c);
}
