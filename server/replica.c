/*
 * server/replica.c: the journal through a Redis Stream (replica.h).
 * Stream entries: e (the leader's epoch), s (the record's seq), f (1: the
 * first record of a new journal file, a snapshot's first chunk), r (the
 * record's bytes). hiredis runs on orcad's libuv loop; a lost connection
 * is tried again every 500 ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <hiredis/adapters/libuv.h>
#pragma GCC diagnostic pop

#include "replica.h"

struct orcad_replica {
    uv_loop_t *loop;
    redisAsyncContext *ac;  /* NULL while disconnected */
    uv_timer_t retry;
    char host[256], key[128], logkey[160], epochkey[160];
    char epochtext[24];     /* a leader's epoch as Redis gets it, made once */
    int port, leader, stopping, retry_closed;
    int connected;          /* r->ac is up (not still connecting) */
    uint64_t connecting_since; /* uv_now when r->ac was made */
    orcad_replica_stats st;
    /* leader */
    orca_engine *e;
    int fenced;             /* a later leader took the epoch: nothing more is shipped */
    int reseeding;          /* Redis lost the epoch (restarted empty): ship again from a snapshot */
    uint64_t n;             /* records handed to the stream, the "n" field */
    void (*step_down)(void *data);
    void *step_data;
    /* standby */
    orca_config ec;
    orca_engine *fe;
    orca_stats *fs;
    char last_id[64];
    uint64_t last_n;        /* the n of the last entry taken (0: none) */
    int resync;             /* skip to the next snapshot of a new engine */
    orcad_engine_fn on_engine;
    void *data;
};

int orcad_redis_parse(const char *spec, char *host, size_t cap, int *port, char *key, size_t kcap)
{
    const char *colon = strrchr(spec, ':'), *slash = colon ? strchr(colon, '/') : NULL;
    if (!colon || colon == spec || (size_t)(colon - spec) >= cap)
        return -1;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || p < 1 || p > 65535 || (*end && *end != '/'))
        return -1;
    *port = (int)p;
    const char *k = slash && slash[1] ? slash + 1 : "orca";
    if (strlen(k) >= kcap)
        return -1;
    strcpy(key, k);
    return 0;
}

static void connect_now(orcad_replica *r);
static void read_more(orcad_replica *r);

/* Freed once stopping, its timer closed and its connection gone. */
static void maybe_free(orcad_replica *r)
{
    if (!r->stopping || !r->retry_closed || r->ac)
        return;
    orca_stats_free(r->fs);
    orca_engine_free(r->fe);
    free(r);
}

static void on_retry(uv_timer_t *t)
{
    orcad_replica *r = t->data;
    if (r->stopping)
        return;
    /* a connection that never came up (nothing answered, or libuv could
     * not watch its socket) is dropped and tried again */
    if (r->ac && !r->connected && uv_now(r->loop) - r->connecting_since > 2000) {
        redisAsyncContext *ac = r->ac;
        r->ac = NULL;
        ac->data = NULL;
        redisAsyncFree(ac);
    }
    if (!r->ac)
        connect_now(r);
}

static void on_connected(const redisAsyncContext *c, int status)
{
    orcad_replica *r = c->data;
    if (!r)
        return; /* given up on (on_retry) */
    if (status != REDIS_OK) {
        r->ac = NULL; /* hiredis frees it */
        maybe_free(r);
        return;
    }
    r->connected = 1;
    fprintf(stderr, "orcad: redis %s:%d connected (%s)\n", r->host, r->port,
            r->leader ? "shipping the journal" : "following the journal");
    if (!r->leader)
        read_more(r);
}

static void on_disconnected(const redisAsyncContext *c, int status)
{
    orcad_replica *r = c->data;
    (void)status;
    if (!r)
        return; /* given up on (on_retry) */
    r->ac = NULL;
    r->connected = 0;
    if (!r->stopping)
        fprintf(stderr, "orcad: redis %s:%d lost; trying again\n", r->host, r->port);
    maybe_free(r);
}

static void connect_now(orcad_replica *r)
{
    redisAsyncContext *ac = redisAsyncConnect(r->host, r->port);
    if (!ac)
        return;
    if (ac->err) {
        redisAsyncFree(ac);
        return;
    }
    ac->data = r;
    if (redisLibuvAttach(ac, r->loop) != REDIS_OK) {
        redisAsyncFree(ac); /* (its socket cannot be watched yet: next time) */
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connected);
    redisAsyncSetDisconnectCallback(ac, on_disconnected);
    r->ac = ac;
    r->connected = 0;
    r->connecting_since = uv_now(r->loop);
}

static orcad_replica *replica_new(uv_loop_t *loop, const char *host, int port, const char *key)
{
    orcad_replica *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->loop = loop;
    snprintf(r->host, sizeof r->host, "%s", host);
    snprintf(r->key, sizeof r->key, "%s", key);
    snprintf(r->logkey, sizeof r->logkey, "%s:log", key);
    snprintf(r->epochkey, sizeof r->epochkey, "%s:epoch", key);
    r->port = port;
    uv_timer_init(loop, &r->retry);
    r->retry.data = r;
    uv_timer_start(&r->retry, on_retry, 500, 500);
    uv_unref((uv_handle_t *)&r->retry);
    return r;
}

/* ---- leader ---------------------------------------------------------------------- */

/* The append, guarded by the epoch (a fencing token): a leader whose
 * epoch is no longer the current one (a later leader took over while it
 * was away) has its records refused, and steps down. */
static const char XADD_FENCED[] =
    "local cur = redis.call('GET', KEYS[1]) "
    "if not cur then return redis.error_reply('NOEPOCH') end "
    "if cur ~= ARGV[1] then return redis.error_reply('FENCED') end "
    "return redis.call('XADD', KEYS[2], '*', 'e', ARGV[1], 'n', ARGV[5], 's', ARGV[2], 'f', ARGV[3], "
    "'r', ARGV[4])";

/* Redis answered SET epoch NX: ours again (it had lost it), so the stream
 * starts over from a snapshot; or someone else's (a later leader): fenced. */
static void on_reseed(redisAsyncContext *c, void *reply, void *priv)
{
    orcad_replica *r = c->data;
    redisReply *rep = reply;
    (void)priv;
    if (!rep || r->stopping)
        return;
    if (rep->type != REDIS_REPLY_STATUS) { /* nil: taken */
        r->fenced = 1;
        fprintf(stderr, "orcad: fenced off: the epoch was taken while Redis was empty; "
                "stepping down\n");
        if (r->step_down)
            r->step_down(r->step_data);
        return;
    }
    fprintf(stderr, "orcad: redis had lost the stream: epoch %llu set again, a snapshot shipped\n",
            (unsigned long long)r->st.epoch);
    int rc = orca_journal_compact(r->e); /* its snapshot goes to the stream (new_file) */
    if (rc != ORCA_OK) {
        r->reseeding = 0; /* records flow again; a standby waits for the next snapshot */
        fprintf(stderr, "orcad: compaction for the stream: %s\n", orca_strerror(rc));
    }
}

static void on_xadd(redisAsyncContext *c, void *reply, void *priv)
{
    orcad_replica *r = c->data;
    redisReply *rep = reply;
    if (rep && rep->type == REDIS_REPLY_ERROR && strstr(rep->str, "NOEPOCH")) {
        r->st.failed++;
        if (!r->reseeding && !r->fenced) {
            /* Redis restarted without its data: take the epoch back (if
             * nobody did meanwhile) and ship a snapshot first */
            const char *argv[] = { "SET", r->epochkey, r->epochtext, "NX" };
            r->reseeding = 1;
            redisAsyncCommandArgv(c, on_reseed, NULL, 4, argv, NULL);
        }
        return;
    }
    if (rep && rep->type == REDIS_REPLY_ERROR && strstr(rep->str, "FENCED")) {
        r->st.failed++;
        if (!r->fenced) {
            r->fenced = 1;
            fprintf(stderr, "orcad: fenced off: a later leader holds the epoch after %llu; "
                    "stepping down\n", (unsigned long long)r->st.epoch);
            if (r->step_down)
                r->step_down(r->step_data);
        }
        return;
    }
    if (!rep || rep->type == REDIS_REPLY_ERROR) {
        if (rep && r->st.failed++ == 0)
            fprintf(stderr, "orcad: redis XADD: %s\n", rep->str);
        return;
    }
    r->st.acked++;
    if (priv && rep->type == REDIS_REPLY_STRING) {
        /* a new file's snapshot: what came before it is not needed */
        const char *argv[] = { "XTRIM", r->logkey, "MINID", rep->str };
        redisAsyncCommandArgv(c, NULL, NULL, 4, argv, NULL);
    }
}

static void on_record(void *data, uint64_t seq, const void *rec, size_t len, int new_file)
{
    orcad_replica *r = data;
    char s[24], n[24];
    /* while the stream starts over, only the new snapshot may go first */
    if (!r->ac || r->fenced || (r->reseeding && !new_file)) {
        r->st.failed++;
        return;
    }
    if (new_file)
        r->reseeding = 0; /* the snapshot leads: what follows may go too */
    snprintf(s, sizeof s, "%llu", (unsigned long long)seq);
    snprintf(n, sizeof n, "%llu", (unsigned long long)++r->n);
    const char *argv[] = { "EVAL", XADD_FENCED, "2", r->epochkey, r->logkey, r->epochtext, s,
                           new_file ? "1" : "0", rec, n };
    size_t lens[] = { 4, sizeof XADD_FENCED - 1, 1, strlen(r->epochkey), strlen(r->logkey),
                      strlen(r->epochtext), strlen(s), 1, len, strlen(n) };
    if (redisAsyncCommandArgv(r->ac, on_xadd, new_file ? (void *)1 : NULL, 10, argv, lens) == REDIS_OK)
        r->st.sent++;
    else
        r->st.failed++;
}

int orcad_ship_start(uv_loop_t *loop, orca_engine *e, const char *host, int port, const char *key,
                     unsigned timeout_ms, void (*step_down)(void *data), void *data,
                     orcad_replica **out)
{
    struct timeval tv = { (time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000 };
    *out = NULL;
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (!c || c->err) {
        fprintf(stderr, "orcad: redis %s:%d: %s\n", host, port, c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return -1;
    }
    redisReply *rep = redisCommand(c, "INCR %s:epoch", key);
    if (!rep || rep->type != REDIS_REPLY_INTEGER) {
        fprintf(stderr, "orcad: redis INCR %s:epoch: %s\n", key,
                rep && rep->type == REDIS_REPLY_ERROR ? rep->str : c->errstr);
        if (rep)
            freeReplyObject(rep);
        redisFree(c);
        return -1;
    }
    orcad_replica *r = replica_new(loop, host, port, key);
    if (!r) {
        freeReplyObject(rep);
        redisFree(c);
        return -1;
    }
    r->st.epoch = (uint64_t)rep->integer;
    snprintf(r->epochtext, sizeof r->epochtext, "%llu", (unsigned long long)r->st.epoch);
    freeReplyObject(rep);
    redisFree(c);
    r->leader = 1;
    r->e = e;
    r->step_down = step_down, r->step_data = data;
    connect_now(r); /* commands queue until it is up */
    int rc = orca_journal_set_tap(e, on_record, r);
    if (rc == ORCA_OK)
        rc = orca_journal_compact(e); /* the stream starts with a snapshot */
    if (rc != ORCA_OK) {
        fprintf(stderr, "orcad: shipping the journal: %s\n", orca_strerror(rc));
        orca_journal_set_tap(e, NULL, NULL);
        orcad_replica_stop(r);
        return -1;
    }
    fprintf(stderr, "orcad: leader of epoch %llu, journal shipped to redis %s:%d stream %s\n",
            (unsigned long long)r->st.epoch, host, port, r->logkey);
    *out = r;
    return 0;
}

/* ---- standby --------------------------------------------------------------------- */

/* A fresh engine (and its stats) for the snapshot to come; the old one
 * goes once orcad has the new one. */
static int fresh_engine(orcad_replica *r)
{
    orca_engine *e = NULL;
    orca_stats *s = NULL;
    if (orca_engine_new(&r->ec, &e) != ORCA_OK || orca_stats_new(e, NULL, &s) != ORCA_OK) {
        orca_engine_free(e);
        return -1;
    }
    orca_engine *old = r->fe;
    orca_stats *olds = r->fs;
    r->fe = e, r->fs = s;
    if (r->on_engine)
        r->on_engine(r->data, e, s);
    orca_stats_free(olds);
    orca_engine_free(old);
    return 0;
}

static const redisReply *field(const redisReply *kv, const char *name)
{
    for (size_t k = 0; k + 1 < kv->elements; k += 2)
        if (kv->element[k]->type == REDIS_REPLY_STRING && !strcmp(kv->element[k]->str, name))
            return kv->element[k + 1];
    return NULL;
}

/* One stream entry: a record of some epoch. */
static void take(orcad_replica *r, const redisReply *kv)
{
    const redisReply *e = field(kv, "e"), *f = field(kv, "f"), *rec = field(kv, "r"),
                     *nf = field(kv, "n");
    if (!e || !f || !rec || !nf || rec->type != REDIS_REPLY_STRING)
        return;
    uint64_t epoch = strtoull(e->str, NULL, 10), n = strtoull(nf->str, NULL, 10);
    int first = f->str[0] == '1';
    if (epoch < r->st.epoch)
        return; /* an older leader's: fenced off */
    /* Records of one epoch are numbered without gaps: one missing (Redis
     * lost them, or the leader could not ship them) means this engine may
     * no longer be the leader's: start over from the next snapshot. */
    if (epoch == r->st.epoch && r->last_n && n != r->last_n + 1 && !r->resync) {
        fprintf(stderr, "orcad: standby: records %llu..%llu never came; waiting for a snapshot\n",
                (unsigned long long)r->last_n + 1, (unsigned long long)n - 1);
        r->st.resyncs++;
        r->resync = 1;
    }
    r->last_n = n;
    if (epoch > r->st.epoch || r->resync) {
        if (!first)
            return; /* wait for the new leader's snapshot */
        if (fresh_engine(r) != 0)
            return;
        r->st.epoch = epoch;
        r->resync = 0;
    }
    int rc = orca_journal_apply(r->fe, rec->str, rec->len, NULL);
    if (rc == ORCA_OK) {
        r->st.applied++;
        return;
    }
    /* parted from the leader: start again from the stream's snapshot */
    fprintf(stderr, "orcad: standby: a record did not apply (%s); reading the stream again\n",
            orca_strerror(rc));
    r->st.resyncs++;
    r->resync = 1;
    snprintf(r->last_id, sizeof r->last_id, "0-0");
}

static void on_xread(redisAsyncContext *c, void *reply, void *priv)
{
    orcad_replica *r = c->data;
    redisReply *rep = reply;
    (void)priv;
    if (!rep || r->stopping)
        return; /* disconnected: the next connection reads on */
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 1) {
        const redisReply *entries = rep->element[0]->element[1];
        for (size_t k = 0; k < entries->elements && !r->resync; k++) {
            const redisReply *en = entries->element[k];
            snprintf(r->last_id, sizeof r->last_id, "%s", en->element[0]->str);
            take(r, en->element[1]);
        }
        if (r->resync)
            snprintf(r->last_id, sizeof r->last_id, "0-0");
    }
    read_more(r);
}

static void read_more(orcad_replica *r)
{
    if (!r->ac || r->stopping)
        return;
    const char *argv[] = { "XREAD", "COUNT", "512", "BLOCK", "1000", "STREAMS", r->logkey, r->last_id };
    redisAsyncCommandArgv(r->ac, on_xread, NULL, 8, argv, NULL);
}

int orcad_follow_start(uv_loop_t *loop, const orca_config *ec, const char *host, int port,
                       const char *key, orcad_engine_fn on_engine, void *data,
                       orcad_replica **out)
{
    orcad_replica *r = replica_new(loop, host, port, key);
    *out = NULL;
    if (!r)
        return -1;
    r->ec = *ec;
    r->on_engine = on_engine, r->data = data;
    snprintf(r->last_id, sizeof r->last_id, "0-0");
    if (fresh_engine(r) != 0) {
        orcad_replica_stop(r);
        return -1;
    }
    connect_now(r);
    *out = r;
    return 0;
}

orca_engine *orcad_follow_engine(const orcad_replica *r)
{
    return r ? r->fe : NULL;
}

orca_stats *orcad_follow_stats(const orcad_replica *r)
{
    return r ? r->fs : NULL;
}

void orcad_replica_stats_get(const orcad_replica *r, orcad_replica_stats *out)
{
    if (r)
        *out = r->st;
    else
        memset(out, 0, sizeof *out);
}

static void on_retry_closed(uv_handle_t *h)
{
    orcad_replica *r = h->data;
    r->retry_closed = 1;
    maybe_free(r);
}

void orcad_replica_stop(orcad_replica *r)
{
    if (!r || r->stopping)
        return;
    r->stopping = 1;
    if (r->leader && r->e)
        orca_journal_set_tap(r->e, NULL, NULL);
    /* A leader lets its XADDs in flight finish; a standby's one pending
     * reply is an XREAD that may block for a second: it goes at once. */
    if (r->ac && r->leader)
        redisAsyncDisconnect(r->ac);
    else if (r->ac) {
        redisAsyncFree(r->ac); /* at once, connected or not */
        r->ac = NULL;
    }
    uv_close((uv_handle_t *)&r->retry, on_retry_closed);
}
