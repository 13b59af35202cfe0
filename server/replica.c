/*
 * server/replica.c: the journal through a Redis Stream, the standby, the
 * lease (replica.h). Stream entries: e (the leader's epoch), n (a count
 * of the records the leader handed the stream, without gaps: a number
 * missing means records were lost), s (the record's seq), f (1: the first
 * record of a new journal file, a snapshot's first chunk), r (the
 * record's bytes). hiredis runs on orcad's libuv loop; one timer (a fifth
 * of the lease) renews or tries for the lease, reconnects, and drops a
 * connection whose replies stopped coming.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

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

#define RECONNECT_MS 250   /* between attempts to reach Redis */
#define SILENCE_MS 1500    /* no reply for this long with commands pending: the link is dead */

struct orcad_replica {
    uv_loop_t *loop;
    redisAsyncContext *ac;  /* NULL while disconnected */
    uv_timer_t tick;
    orcad_replica_opts o;
    orcad_replica_cb cb;
    char logkey[160], epochkey[160], leasekey[160];
    char token[33];         /* this process's lease token */
    char epochtext[24];     /* a leader's epoch as Redis gets it, made once */
    char lease_ms[16], wait_ms[16];
    int stopping, tick_closed;
    int connected;          /* r->ac is up (not still connecting) */
    uint64_t connecting_since, last_try;
    unsigned pending;       /* commands without their reply yet */
    uint64_t last_reply;    /* uv_now of the last reply */
    orcad_replica_stats st;
    uint64_t last_ack;      /* uv_now when Redis last confirmed a record */
    /* leader */
    orca_engine *e;
    int leader, fenced;
    int whole;              /* the stream has every record since the last snapshot sent */
    int epoch_setting;      /* Redis lost the epoch: SET NX under way */
    int renewing;
    uint64_t n;             /* numbers handed out for the "n" field */
    uint64_t want, confirmed; /* the last turn gated, the last one released */
    uint64_t n_gated;       /* n at the last turn gated */
    unsigned markers;       /* markers without their reply yet */
    /* standby */
    orca_config ec;
    orca_engine *fe;
    orca_stats *fs;
    char last_id[64];
    uint64_t last_n;        /* the n of the last entry taken (0: none) */
    uint64_t known;         /* the highest epoch seen */
    uint64_t noepoch_since; /* uv_now when Redis was first seen without an epoch (0: it has one) */
    uint64_t started;       /* uv_now when this standby started following */
    int resync;             /* skip to the next snapshot of a new engine */
    int reading, acquiring, promoting;
    uint64_t new_epoch;
};

static const char *const ack_names[] = { "async", "redis", "wait" }; /* by orcad_ack */

int orcad_ack_parse(const char *s, orcad_ack *out)
{
    for (int k = 0; k < 3; k++)
        if (strcmp(s, ack_names[k]) == 0) {
            *out = (orcad_ack)k;
            return 0;
        }
    return -1;
}

const char *orcad_ack_name(orcad_ack a)
{
    return (unsigned)a < 3 ? ack_names[a] : "async";
}

int orcad_redis_parse(const char *spec, orcad_replica_opts *o)
{
    const char *colon = strrchr(spec, ':'), *slash = colon ? strchr(colon, '/') : NULL;
    if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof o->host)
        return -1;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || p < 1 || p > 65535 || (*end && *end != '/'))
        return -1;
    const char *k = slash && slash[1] ? slash + 1 : "orca";
    if (strlen(k) >= sizeof o->key)
        return -1;
    memcpy(o->host, spec, (size_t)(colon - spec));
    o->host[colon - spec] = '\0';
    o->port = (int)p;
    strcpy(o->key, k);
    return 0;
}

static void connect_now(orcad_replica *r);
static void read_more(orcad_replica *r);
static void send_marker(orcad_replica *r, uint64_t batch);

/* ---- the connection -------------------------------------------------------------- */

/* Every command goes through here: its reply is counted (the watchdog). */
static int cmd(orcad_replica *r, redisCallbackFn *fn, void *priv, int argc, const char **argv,
               const size_t *lens)
{
    if (!r->ac || redisAsyncCommandArgv(r->ac, fn, priv, argc, argv, lens) != REDIS_OK)
        return -1;
    if (!r->pending++)
        r->last_reply = uv_now(r->loop); /* silence counts from the first one pending */
    return 0;
}

/* The start of every reply callback: r, or NULL if it is going. */
static orcad_replica *replied(const redisAsyncContext *c)
{
    orcad_replica *r = c->data;
    if (!r)
        return NULL;
    if (r->pending)
        r->pending--;
    r->last_reply = uv_now(r->loop);
    return r->stopping ? NULL : r;
}

/* Freed once stopping, its timer closed and its connection gone. */
static void maybe_free(orcad_replica *r)
{
    if (!r->stopping || !r->tick_closed || r->ac)
        return;
    orca_stats_free(r->fs);
    orca_engine_free(r->fe);
    free(r);
}

/* The link is gone (or given up on): what was in flight may or may not
 * have reached Redis, so a leader's stream is no longer known whole. */
static void lost(orcad_replica *r)
{
    r->ac = NULL;
    r->connected = 0;
    r->pending = 0;
    r->markers = 0;
    r->st.inflight = 0; /* (their callbacks, with no reply, come with the link's end) */
    r->reading = r->acquiring = r->renewing = r->epoch_setting = 0;
    if (r->leader)
        r->whole = 0;
}

static void drop_link(orcad_replica *r)
{
    redisAsyncContext *ac = r->ac;
    lost(r);
    ac->data = NULL;
    redisAsyncFree(ac); /* (its callbacks find no r: they do nothing) */
}

static void on_connected(const redisAsyncContext *c, int status)
{
    orcad_replica *r = c->data;
    if (!r)
        return; /* given up on */
    if (status != REDIS_OK) {
        lost(r); /* hiredis frees it */
        maybe_free(r);
        return;
    }
    r->connected = 1;
    r->last_reply = uv_now(r->loop);
    fprintf(stderr, "orcad: redis %s:%d connected (%s)\n", r->o.host, r->o.port,
            r->leader ? "shipping the journal" : "following the journal");
    if (r->leader && !r->whole && !r->fenced && r->e) {
        /* records were lost while away: the stream starts again from a
         * snapshot (its first record makes it whole) */
        int rc = orca_journal_compact(r->e);
        if (rc != ORCA_OK)
            fprintf(stderr, "orcad: compaction for the stream: %s\n", orca_strerror(rc));
    }
    if (!r->leader)
        read_more(r);
}

static void on_disconnected(const redisAsyncContext *c, int status)
{
    orcad_replica *r = c->data;
    (void)status;
    if (!r)
        return;
    lost(r);
    if (!r->stopping)
        fprintf(stderr, "orcad: redis %s:%d lost; trying again\n", r->o.host, r->o.port);
    maybe_free(r);
}

static void connect_now(orcad_replica *r)
{
    r->last_try = uv_now(r->loop);
    redisAsyncContext *ac = redisAsyncConnect(r->o.host, r->o.port);
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

/* ---- the lease ------------------------------------------------------------------- */

/* Take the lease if nobody holds it, and with it a new epoch, in one step:
 * from the moment it is ours, a former leader's appends are refused. The
 * epoch never goes back (ARGV[3]: the highest one this process has seen,
 * for a Redis that restarted empty). 0 if the lease is someone else's.
 * -1 if Redis has no epoch at all (it lost its data) unless ARGV[4] is
 * 1: a leader that is alive sets it again within a moment, and should
 * keep leading; a standby insists only after two leases of that. */
static const char ACQUIRE[] =
    "if ARGV[4] ~= '1' and redis.call('EXISTS', KEYS[2]) == 0 then return -1 end "
    "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then "
    "local e = redis.call('INCR', KEYS[2]) "
    "local k = tonumber(ARGV[3]) "
    "if e <= k then e = k + 1 redis.call('SET', KEYS[2], e) end "
    "return e end "
    "return 0";

/* Renew our lease: 1; taken again after Redis lost it: 2; someone else's: 0. */
static const char RENEW[] =
    "local cur = redis.call('GET', KEYS[1]) "
    "if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end "
    "if not cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end "
    "return 0";

/* Give it back at a clean stop, if it is still ours. */
static const char RELEASE[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

static void fence(orcad_replica *r, const char *why)
{
    if (r->fenced)
        return;
    r->fenced = 1;
    fprintf(stderr, "orcad: fenced off (%s) after epoch %llu; stepping down\n", why,
            (unsigned long long)r->st.epoch);
    if (r->cb.step_down)
        r->cb.step_down(r->cb.data);
}

static void on_renew(redisAsyncContext *c, void *reply, void *priv)
{
    orcad_replica *r = replied(c);
    redisReply *rep = reply;
    (void)priv;
    if (!r)
        return;
    r->renewing = 0;
    if (rep && rep->type == REDIS_REPLY_INTEGER && rep->integer == 0 && (r->leader || r->promoting))
        fence(r, "another server holds the lease");
}

static void renew(orcad_replica *r)
{
    const char *argv[] = { "EVAL", RENEW, "1", r->leasekey, r->token, r->lease_ms };
    if (cmd(r, on_renew, NULL, 6, argv, NULL) == 0)
        r->renewing = 1;
}

static void finish_promotion(orcad_replica *r);

static void on_acquire(redisAsyncContext *c, void *reply, void *priv)
{
    orcad_replica *r = replied(c);
    redisReply *rep = reply;
    (void)priv;
    if (!r)
        return;
    r->acquiring = 0;
    if (rep && rep->type == REDIS_REPLY_INTEGER && rep->integer < 0 && !r->noepoch_since)
        r->noepoch_since = uv_now(r->loop);
    else if (rep && rep->type == REDIS_REPLY_INTEGER && rep->integer >= 0)
        r->noepoch_since = 0;
    if (rep && rep->type == REDIS_REPLY_INTEGER && rep->integer > 0) {
        r->promoting = 1;
        r->new_epoch = (uint64_t)rep->integer;
        fprintf(stderr, "orcad: the lease lapsed: taken, epoch %llu; applying the rest of the stream\n",
                (unsigned long long)r->new_epoch);
    }
    if (!r->reading)
        read_more(r);
}

static void try_acquire(orcad_replica *r)
{
    char known[24];
    snprintf(known, sizeof known, "%llu", (unsigned long long)r->known);
    int force = r->noepoch_since && uv_now(r->loop) - r->noepoch_since >= 2ull * r->o.lease_ms;
    const char *argv[] = { "EVAL", ACQUIRE, "2", r->leasekey, r->epochkey, r->token, r->lease_ms,
                           known, force ? "1" : "0" };
    if (cmd(r, on_acquire, NULL, 9, argv, NULL) == 0)
        r->acquiring = 1;
}

static void on_tick(uv_timer_t *t)
{
    orcad_replica *r = t->data;
    uint64_t now = uv_now(r->loop);
    if (r->stopping)
        return;
    if (r->ac && !r->connected && now - r->connecting_since > 2000) {
        drop_link(r); /* a connection that never came up */
    } else if (r->ac && r->connected && r->pending && now - r->last_reply > SILENCE_MS) {
        fprintf(stderr, "orcad: redis %s:%d silent for %u ms; reconnecting\n", r->o.host, r->o.port,
                SILENCE_MS);
        drop_link(r);
    }
    if (!r->ac) {
        if (now - r->last_try >= RECONNECT_MS)
            connect_now(r);
        return;
    }
    if (!r->connected)
        return;
    if ((r->leader || r->promoting) && !r->fenced && !r->renewing)
        renew(r);
    /* replies held across a loss (or a WAIT no replica answered): ask again */
    if (r->leader && !r->fenced && r->whole && r->want > r->confirmed && !r->markers)
        send_marker(r, r->want);
    /* a standby that just started lets one that has followed for a while go first */
    if (!r->leader && !r->promoting && !r->acquiring && now - r->started >= 2ull * r->o.lease_ms)
        try_acquire(r);
}

static orcad_replica *replica_new(uv_loop_t *loop, const orcad_replica_opts *o,
                                  const orcad_replica_cb *cb)
{
    unsigned char raw[16];
    orcad_replica *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        free(r);
        return NULL;
    }
    for (int k = 0; k < 16; k++)
        snprintf(r->token + 2 * k, 3, "%02x", raw[k]);
    r->loop = loop;
    r->o = *o;
    if (!r->o.lease_ms)
        r->o.lease_ms = 500;
    if (cb)
        r->cb = *cb;
    snprintf(r->logkey, sizeof r->logkey, "%s:log", o->key);
    snprintf(r->epochkey, sizeof r->epochkey, "%s:epoch", o->key);
    snprintf(r->leasekey, sizeof r->leasekey, "%s:lease", o->key);
    /* the tick, and the longest a WAIT may hold the connection */
    unsigned fifth = r->o.lease_ms / 5 ? r->o.lease_ms / 5 : 1;
    snprintf(r->lease_ms, sizeof r->lease_ms, "%u", r->o.lease_ms);
    snprintf(r->wait_ms, sizeof r->wait_ms, "%u", fifth);
    uv_timer_init(loop, &r->tick);
    r->tick.data = r;
    uv_timer_start(&r->tick, on_tick, fifth, fifth);
    uv_unref((uv_handle_t *)&r->tick);
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
static void on_epoch_set(redisAsyncContext *c, void *reply, void *priv)
{
    orcad_replica *r = replied(c);
    redisReply *rep = reply;
    (void)priv;
    if (!r || !rep)
        return;
    r->epoch_setting = 0;
    if (rep->type != REDIS_REPLY_STATUS) { /* nil: taken */
        fence(r, "the epoch was taken while Redis was empty");
        return;
    }
    fprintf(stderr, "orcad: redis had lost the stream: epoch %llu set again, a snapshot shipped\n",
            (unsigned long long)r->st.epoch);
    int rc = orca_journal_compact(r->e); /* its first record makes the stream whole */
    if (rc != ORCA_OK)
        fprintf(stderr, "orcad: compaction for the stream: %s\n", orca_strerror(rc));
}

static void broken(orcad_replica *r)
{
    r->whole = 0;
    r->st.failed++;
}

static void on_xadd(redisAsyncContext *c, void *reply, void *priv)
{
    orcad_replica *r = replied(c);
    redisReply *rep = reply;
    if (!r)
        return;
    if (r->st.inflight)
        r->st.inflight--; /* answered, or lost with the link */
    if (!rep) {
        broken(r); /* the link went with it in flight */
        return;
    }
    if (rep->type == REDIS_REPLY_ERROR && strstr(rep->str, "NOEPOCH")) {
        broken(r);
        if (!r->epoch_setting && !r->fenced) {
            /* Redis restarted without its data: take the epoch back (if
             * nobody did meanwhile) and ship a snapshot first */
            const char *argv[] = { "SET", r->epochkey, r->epochtext, "NX" };
            if (cmd(r, on_epoch_set, NULL, 4, argv, NULL) == 0)
                r->epoch_setting = 1;
        }
        return;
    }
    if (rep->type == REDIS_REPLY_ERROR && strstr(rep->str, "FENCED")) {
        broken(r);
        fence(r, "a later leader holds the epoch");
        return;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        if (r->st.failed == 0)
            fprintf(stderr, "orcad: redis XADD: %s\n", rep->str);
        broken(r);
        return;
    }
    r->st.acked++;
    r->last_ack = uv_now(r->loop);
    if (priv && rep->type == REDIS_REPLY_STRING) {
        /* a new file's snapshot: what came before it is not needed */
        const char *argv[] = { "XTRIM", r->logkey, "MINID", rep->str };
        redisAsyncCommandArgv(c, NULL, NULL, 4, argv, NULL); /* (no reply awaited) */
    }
}

static void on_record(void *data, uint64_t seq, const void *rec, size_t len, int new_file)
{
    orcad_replica *r = data;
    char s[24], n[24];
    if (r->fenced)
        return;
    /* A snapshot rebases the stream: from its first record on, a standby
     * can rebuild everything from what follows. Before one, after a loss,
     * records go nowhere (and use up their numbers, so a standby sees the
     * gap and waits for the snapshot). */
    if (new_file && r->connected && !r->epoch_setting)
        r->whole = 1;
    if (!r->connected || !r->whole) {
        r->n++;
        broken(r);
        return;
    }
    snprintf(s, sizeof s, "%llu", (unsigned long long)seq);
    snprintf(n, sizeof n, "%llu", (unsigned long long)++r->n);
    const char *argv[] = { "EVAL", XADD_FENCED, "2", r->epochkey, r->logkey, r->epochtext, s,
                           new_file ? "1" : "0", rec, n };
    size_t lens[] = { 4, sizeof XADD_FENCED - 1, 1, strlen(r->epochkey), strlen(r->logkey),
                      strlen(r->epochtext), strlen(s), 1, len, strlen(n) };
    if (!r->st.inflight)
        r->last_ack = uv_now(r->loop); /* lag counts from the first one pending */
    if (cmd(r, on_xadd, new_file ? (void *)1 : NULL, 10, argv, lens) == 0)
        r->st.sent++, r->st.inflight++;
    else
        broken(r);
}

/* A marker after a turn's records: its reply says Redis took every
 * command before it (one connection keeps order); if none of them
 * failed, the turn's replies may go. WAIT also wants a replica's copy. */
static void on_marker(redisAsyncContext *c, void *reply, void *priv)
{
    orcad_replica *r = replied(c);
    redisReply *rep = reply;
    uint64_t batch = (uint64_t)(uintptr_t)priv;
    if (!r)
        return;
    if (r->markers)
        r->markers--;
    if (!rep || !r->whole || r->fenced || rep->type == REDIS_REPLY_ERROR)
        return;
    if (r->o.ack == ORCAD_ACK_WAIT && (rep->type != REDIS_REPLY_INTEGER || rep->integer < 1))
        return; /* no replica has it: the tick asks again */
    if (batch <= r->confirmed)
        return;
    r->confirmed = batch;
    if (r->cb.release)
        r->cb.release(r->cb.data, batch);
}

static void send_marker(orcad_replica *r, uint64_t batch)
{
    int rc;
    if (r->o.ack == ORCAD_ACK_WAIT) {
        /* WAIT blocks the connection: at most a fifth of the lease, so
         * renewals behind it still come in time (the tick asks again) */
        const char *argv[] = { "WAIT", "1", r->wait_ms };
        rc = cmd(r, on_marker, (void *)(uintptr_t)batch, 3, argv, NULL);
    } else {
        const char *argv[] = { "PING" };
        rc = cmd(r, on_marker, (void *)(uintptr_t)batch, 1, argv, NULL);
    }
    if (rc == 0)
        r->markers++;
}

int orcad_replica_gate(orcad_replica *r, uint64_t batch)
{
    if (!r || (r->n == r->n_gated && r->confirmed == r->want))
        return 0; /* no record since the last turn, all before confirmed */
    r->n_gated = r->n;
    if (batch > r->want)
        r->want = batch;
    /* Held while the stream is not whole: a marker now would confirm
     * nothing; the tick sends one once a snapshot made it whole again. */
    if (!r->fenced && r->connected && r->whole)
        send_marker(r, batch);
    return 1;
}

int orcad_replica_accepting(const orcad_replica *r)
{
    if (!r || r->o.ack == ORCAD_ACK_ASYNC)
        return 1;
    return r->leader && r->connected && r->whole && !r->fenced && !r->epoch_setting;
}

int orcad_replica_leading(const orcad_replica *r)
{
    return r && r->leader && !r->fenced;
}

int orcad_replica_lead(orcad_replica *r, orca_engine *e)
{
    if (e != r->fe) {
        orca_stats_free(r->fs);
        orca_engine_free(r->fe);
    }
    r->fe = NULL, r->fs = NULL;
    r->e = e;
    r->leader = 1;
    r->promoting = 0;
    r->st.epoch = r->new_epoch;
    snprintf(r->epochtext, sizeof r->epochtext, "%llu", (unsigned long long)r->st.epoch);
    r->whole = 0; /* until the snapshot below */
    int rc = orca_journal_set_tap(e, on_record, r);
    if (rc == ORCA_OK)
        rc = orca_journal_compact(e); /* the stream goes on from a snapshot */
    if (rc != ORCA_OK) {
        fprintf(stderr, "orcad: shipping the journal: %s\n", orca_strerror(rc));
        orca_journal_set_tap(e, NULL, NULL);
        r->e = NULL;
        return -1;
    }
    fprintf(stderr, "orcad: leader of epoch %llu, journal shipped to redis %s:%d stream %s "
            "(acknowledgements: %s)\n", (unsigned long long)r->st.epoch, r->o.host, r->o.port,
            r->logkey, orcad_ack_name(r->o.ack));
    return 0;
}

/* Blocking, at start: the lease (waiting for one held to lapse) and the
 * epoch into r->new_epoch, as a standby takes them. */
static int acquire_now(orcad_replica *r, unsigned timeout_ms)
{
    const orcad_replica_opts *o = &r->o;
    struct timeval tv = { 1, 0 };
    redisContext *c = redisConnectWithTimeout(o->host, o->port, tv);
    if (!c || c->err) {
        fprintf(stderr, "orcad: redis %s:%d: %s\n", o->host, o->port, c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return -1;
    }
    for (unsigned waited = 0;; waited += 100) {
        redisReply *rep = redisCommand(c, "EVAL %s 2 %s %s %s %s 0 1", ACQUIRE, r->leasekey,
                                       r->epochkey, r->token, r->lease_ms);
        if (!rep || rep->type != REDIS_REPLY_INTEGER) {
            fprintf(stderr, "orcad: redis: taking the lease: %s\n",
                    rep && rep->type == REDIS_REPLY_ERROR ? rep->str : c->errstr);
            if (rep)
                freeReplyObject(rep);
            redisFree(c);
            return -1;
        }
        long long got = rep->integer;
        freeReplyObject(rep);
        if (got > 0) {
            r->new_epoch = (uint64_t)got;
            redisFree(c);
            return 0;
        }
        if (waited >= timeout_ms) {
            fprintf(stderr, "orcad: another server holds the lease %s:lease (start this one with "
                    "--standby)\n", o->key);
            redisFree(c);
            return -1;
        }
        nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
    }
}

int orcad_ship_start(uv_loop_t *loop, orca_engine *e, const orcad_replica_opts *o,
                     const orcad_replica_cb *cb, unsigned timeout_ms, orcad_replica **out)
{
    *out = NULL;
    orcad_replica *r = replica_new(loop, o, cb);
    if (!r)
        return -1;
    if (acquire_now(r, timeout_ms) != 0) {
        orcad_replica_stop(r);
        return -1;
    }
    connect_now(r); /* commands queue until it is up */
    r->connected = 1; /* (as far as records go: queued in order) */
    if (orcad_replica_lead(r, e) != 0) {
        orcad_replica_stop(r);
        return -1;
    }
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
    if (r->cb.on_engine)
        r->cb.on_engine(r->cb.data, e, s);
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

/* One stream entry: a record of some epoch. Only one leader at a time can
 * append (the epoch guard), so the stream's order is the truth: a new
 * epoch starts with its leader's snapshot. */
static void take(orcad_replica *r, const redisReply *kv)
{
    const redisReply *e = field(kv, "e"), *f = field(kv, "f"), *rec = field(kv, "r"),
                     *nf = field(kv, "n");
    if (!e || !f || !rec || !nf || rec->type != REDIS_REPLY_STRING)
        return;
    uint64_t epoch = strtoull(e->str, NULL, 10), n = strtoull(nf->str, NULL, 10);
    int first = f->str[0] == '1';
    if (epoch > r->known)
        r->known = epoch;
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
    if (epoch != r->st.epoch || r->resync) {
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
    orcad_replica *r = replied(c);
    redisReply *rep = reply;
    (void)priv;
    if (!r || !rep)
        return; /* disconnected: the next connection reads on */
    r->reading = 0;
    size_t got = 0;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 1) {
        const redisReply *entries = rep->element[0]->element[1];
        got = entries->elements;
        for (size_t k = 0; k < entries->elements && !r->resync; k++) {
            const redisReply *en = entries->element[k];
            snprintf(r->last_id, sizeof r->last_id, "%s", en->element[0]->str);
            take(r, en->element[1]);
        }
        if (r->resync)
            snprintf(r->last_id, sizeof r->last_id, "0-0");
    }
    if (r->promoting && !got) {
        finish_promotion(r); /* everything the old leader could write is applied */
        return;
    }
    if (!r->acquiring)
        read_more(r); /* (else on_acquire reads on, knowing which way) */
}

/* A standby blocks a little (50 ms) so that its lease attempts, on the
 * same connection, are not kept waiting long; one taking over reads what
 * is left without blocking, until nothing is. */
static void read_more(orcad_replica *r)
{
    if (!r->ac || r->stopping || r->leader)
        return;
    const char *argv[8] = { "XREAD", "COUNT", "512" };
    int n = 3;
    if (!r->promoting)
        argv[n++] = "BLOCK", argv[n++] = "50";
    argv[n++] = "STREAMS", argv[n++] = r->logkey, argv[n++] = r->last_id;
    if (cmd(r, on_xread, NULL, n, argv, NULL) == 0)
        r->reading = 1;
}

static void finish_promotion(orcad_replica *r)
{
    int empty = r->st.applied == 0;
    fprintf(stderr, "orcad: taking over as the leader of epoch %llu (%s)\n",
            (unsigned long long)r->new_epoch,
            empty ? "the stream was empty" : "the stream applied to its end");
    if (!r->cb.promote || r->cb.promote(r->cb.data, r->fe, r->fs, empty) != 0) {
        r->promoting = 0;
        fence(r, "could not take over");
        return;
    }
    r->st.promotions++;
}

int orcad_follow_start(uv_loop_t *loop, const orca_config *ec, const orcad_replica_opts *o,
                       const orcad_replica_cb *cb, orcad_replica **out)
{
    orcad_replica *r = replica_new(loop, o, cb);
    *out = NULL;
    if (!r)
        return -1;
    r->ec = *ec;
    r->started = uv_now(loop);
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
    memset(out, 0, sizeof *out);
    if (!r)
        return;
    *out = r->st;
    out->leader = r->leader && !r->fenced;
    out->connected = r->connected;
    out->whole = r->leader ? r->whole : !r->resync;
    if (r->leader && r->st.inflight)
        out->lag_ms = uv_now(r->loop) - r->last_ack;
}

static void on_tick_closed(uv_handle_t *h)
{
    orcad_replica *r = h->data;
    r->tick_closed = 1;
    maybe_free(r);
}

void orcad_replica_stop(orcad_replica *r)
{
    if (!r || r->stopping)
        return;
    if (r->leader && r->e)
        orca_journal_set_tap(r->e, NULL, NULL);
    /* A leader lets its appends in flight finish and gives its lease
     * back (a standby need not wait for it to lapse); a standby's one
     * pending reply is an XREAD that may block a moment: it goes at once. */
    if (r->ac && r->connected && (r->leader || r->promoting) && !r->fenced) {
        const char *argv[] = { "EVAL", RELEASE, "1", r->leasekey, r->token };
        redisAsyncCommandArgv(r->ac, NULL, NULL, 5, argv, NULL);
    }
    r->stopping = 1;
    if (r->ac && (r->leader || r->promoting))
        redisAsyncDisconnect(r->ac);
    else if (r->ac) {
        redisAsyncContext *ac = r->ac;
        r->ac = NULL;
        redisAsyncFree(ac); /* at once, connected or not */
    }
    uv_close((uv_handle_t *)&r->tick, on_tick_closed);
}
