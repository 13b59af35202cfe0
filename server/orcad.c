/*
 * server/orcad.c: orcad, orca as a service. This first slice reads the
 * configuration file, builds the engine from it (or restores it from the
 * journal in the data dir), runs it on a libuv loop in wall-clock mode and
 * stops cleanly on SIGINT/SIGTERM. It serves plain HTTP (server/http.c:
 * /healthz, /metrics, /snapshot) and the WebSocket protocol (server/ws.c,
 * docs/PROTOCOL.md) on the same port and loop.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <orca.h>
#include <orca/uv.h>

#include "config.h"
#include "http.h"
#include "reload.h"
#include "replica.h"
#include "syncer.h"
#include "ws.h"

#define ORCAD_VERSION "0.1.0"

typedef struct orcad {
    uv_loop_t *loop;
    orca_engine *e;            /* the engine orcad runs (NULL: a standby's is the replica's) */
    orca_uv *u;
    orca_stats *stats;
    orcad_http *http;
    orcad_ws *ws;
    orcad_syncer *syncer;      /* sync = "interval": the periodic fdatasync */
    orcad_replica *rep;        /* --redis: the journal shipped, or followed by a standby */
    uv_signal_t sigint, sigterm, sighup;
    uv_timer_t stop, bye;
    int stopping, run_for, failed;
    orcad_config c;            /* the live file: sessions point at it */
    const char *conf;          /* its path, read again by a reload */
    proto_host host;           /* reload, shutdown, replica state for the sessions */
    char journal[4096];
    orca_journal_config jc;
    int group, interval;       /* server.sync "every" (group commit) or "interval" */
    char *const *addrs;        /* where it listens */
    size_t naddrs;
    const char *redis;         /* --redis, as given */
    orcad_replica_opts ro;
} orcad;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: orcad --config FILE [--data-dir DIR] [--listen HOST:PORT]... [--run-for SECONDS]\n"
            "             [--redis HOST:PORT[/KEY] [--standby] [--ack MODE] [--lease-ms MS]]\n"
            "       orcad --check-config FILE\n"
            "       orcad --help | --version\n"
            "\n"
            "orcad runs one orca routing engine as a service: it builds the engine\n"
            "from the configuration file (or restores it from DIR/orca.journal, with\n"
            "every agent OFFLINE until they log in again), journals into\n"
            "DIR/orca.journal and runs it on the wall clock until SIGINT or SIGTERM,\n"
            "when it compacts the journal and stops. SIGHUP reloads FILE: the\n"
            "difference is applied live, or nothing changes if FILE has errors.\n"
            "\n"
            "  --config FILE        the configuration (see server/orcad.conf.example)\n"
            "  --check-config FILE  check FILE: parse, validate and build a scratch\n"
            "                       engine from it; print every error with its line;\n"
            "                       exit 0 and print \"ok\" if it is good\n"
            "  --data-dir DIR       where the journal lives (overrides server.data_dir)\n"
            "  --listen HOST:PORT   listen there instead of server.listen (repeatable)\n"
            "  --run-for SECONDS    stop after this long (for tests)\n"
            "  --redis HOST:PORT[/KEY]  lead: take the lease KEY:lease (waiting for one\n"
            "                       held to lapse) and ship the journal to the Redis\n"
            "                       Stream KEY:log (KEY defaults to orca) for a standby\n"
            "  --standby            follow the leader's journal from --redis: an engine\n"
            "                       kept equal to the leader's, its figures served\n"
            "                       read-only over HTTP (WebSocket clients refused with\n"
            "                       503); when the leader's lease lapses, take over\n"
            "  --ack MODE           when a reply may leave (with --redis): async (after\n"
            "                       the local journal; default), redis (after Redis has\n"
            "                       the records behind it), wait (after a Redis replica\n"
            "                       has them too, WAIT 1)\n"
            "  --lease-ms MS        the leader's lease (default 500): a standby takes\n"
            "                       over within about this long of the leader's death\n"
            "  --version            orcad's and liborca's versions\n"
            "\n"
            "HTTP on each listen address: GET /healthz, /metrics (Prometheus text)\n"
            "and /snapshot (JSON figures); WebSocket clients ask for the \"orca.v1\"\n"
            "subprotocol on the same port (docs/PROTOCOL.md).\n");
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("orcad: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    fflush(stdout);
    va_end(ap);
}

static uint64_t epoch_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void print_errors(orcad_errors *err)
{
    for (size_t k = 0; k < err->n; k++)
        fprintf(stderr, "%s\n", err->msg[k]);
    if (err->oom)
        fprintf(stderr, "orcad: out of memory (more errors may have been lost)\n");
}

/* Parse, validate and build a scratch engine: the file's every problem,
 * the engine's refusal included, before anything real is touched. */
static int check(const char *path, orcad_config *c)
{
    orcad_errors err = { 0 };
    orca_engine *scratch = NULL;
    orca_config ec;
    int rc = -1;
    if (orcad_config_load(path, c, &err) == 0) {
        orcad_config_engine(c, epoch_ms(), &ec);
        int erc = orca_engine_new(&ec, &scratch);
        if (erc != ORCA_OK)
            orcad_errors_add(&err, path, 0, "limits refused by the engine: %s", orca_strerror(erc));
        else if (orcad_config_apply(c, scratch, &err) == ORCA_OK)
            rc = 0;
        orca_engine_free(scratch);
        if (rc != 0)
            orcad_config_free(c);
    }
    print_errors(&err);
    orcad_errors_free(&err);
    return rc;
}

static void shut_down(orcad *d)
{
    if (d->stopping)
        return;
    d->stopping = 1;
    orcad_ws_feed_stop(d->ws); /* before the connections close: no sends to them */
    orcad_ws_stop(d->ws);     /* grace timers closed: the loop can end */
    orcad_syncer_stop(d->syncer); /* a sync under way finishes on the loop */
    d->syncer = NULL;
    /* Compact before lws lets go of its sockets: on a foreign loop lws
     * closes a connection's fd when its teardown starts and again when it
     * ends, so a file opened in between (the compacted journal took the
     * number) was closed under the journal (make loadtest, perf trace:
     * the final fdatasync and close got EBADF). A leader that was fenced
     * off does not: its snapshot would go nowhere, and its journal is
     * superseded by the stream. */
    if (d->e && (!d->rep || orcad_replica_leading(d->rep))) {
        int rc = orca_journal_compact(d->e);
        say("stopping: journal compacted (%s)", rc == ORCA_OK ? "ok" : orca_strerror(rc));
    }
    orcad_http_set_replica(d->http, NULL);
    orcad_replica_stop(d->rep); /* (after the last snapshot went to the stream) */
    d->rep = NULL;
    orcad_http_stop(d->http); /* lws closes its handles on the loop */
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    uv_close((uv_handle_t *)&d->sighup, NULL);
    uv_close((uv_handle_t *)&d->stop, NULL);
    uv_close((uv_handle_t *)&d->bye, NULL);
    orca_uv_close(d->u, NULL, NULL);
}

static void on_signal(uv_signal_t *s, int signum)
{
    say("signal %d", signum);
    shut_down(s->data);
}

/* Reload the file (SIGHUP or the admin message): the difference goes to
 * the engine, or nothing changes and every problem is logged. */
static int reload(void *data, orcad_reload *out, orcad_errors *err)
{
    orcad *d = data;
    if (!d->e || !d->ws) {
        orcad_errors_add(err, d->conf, 0, "a standby applies no file: the leader's journal is its state");
        return -1;
    }
    if (orcad_reload_file(d->e, &d->c, d->conf, out, err) != 0) {
        say("reload of %s refused, nothing changed:", d->conf);
        print_errors(err);
        return -1;
    }
    orcad_ws_channels(d->ws); /* channels the file added */
    orca_uv_kick(d->u);       /* new agents or hours may change deadlines */
    say("reloaded %s%s", d->conf, out->tokens_changed ? " (tokens replaced)" : "");
    for (int k = 0; k < ORCAD_RL_NLISTS; k++)
        for (size_t j = 0; j < out->list[k].n; j++)
            say("  %s: %s", orcad_reload_list_name(k), out->list[k].s[j]);
    return 0;
}

static void on_sighup(uv_signal_t *s, int signum)
{
    orcad_reload out;
    orcad_errors err = { 0 };
    (void)signum;
    say("signal %d: reloading", signum);
    reload(s->data, &out, &err);
    orcad_reload_free(&out);
    orcad_errors_free(&err);
}

static void on_bye(uv_timer_t *t)
{
    shut_down(t->data);
}

/* The admin message: its reply is queued now; stop a moment later so
 * that it is sent first. */
static void shutdown_soon(void *data)
{
    orcad *d = data;
    say("shutdown asked by an admin");
    uv_timer_start(&d->bye, on_bye, 100, 0);
}

/* A later leader fenced this one off, or its lease went to another
 * server (server/replica.c): it may not write any more, so it stops; it
 * may start again as a standby. */
static void step_down(void *data)
{
    orcad *d = data;
    say("stepping down: another server leads");
    d->failed = 1;
    uv_timer_start(&d->bye, on_bye, 0, 0);
}

/* The replica has the records behind every turn up to batch. */
static void on_release(void *data, uint64_t batch)
{
    orcad *d = data;
    orcad_ws_release(d->ws, batch);
}

static int gate(void *data, uint64_t batch)
{
    return orcad_replica_gate(((orcad *)data)->rep, batch);
}

static int accepting(void *data)
{
    return orcad_replica_accepting(((orcad *)data)->rep);
}

static int finished(void *data, uint64_t interaction)
{
    return orcad_ws_finished(((orcad *)data)->ws, interaction);
}

static int claim(void *data, uint64_t interaction)
{
    return orcad_ws_claim(((orcad *)data)->ws, interaction);
}

static void on_stop(uv_timer_t *t)
{
    say("ran for %d s", ((orcad *)t->data)->run_for);
    shut_down(t->data);
}

static int fail(const char *what, int rc)
{
    fprintf(stderr, "orcad: %s: %s\n", what, orca_strerror(rc));
    return 1;
}

/* A journal call failed: errno holds the system's reason, if there was one
 * (the journal calls set it, or leave the 0 we set before them). */
static int fail_journal(const char *journal, int rc)
{
    fprintf(stderr, "orcad: %s: %s%s%s\n", journal, orca_strerror(rc), errno ? ": " : "",
            errno ? strerror(errno) : "");
    return 1;
}

/* A new centre: the engine from the file, journaled from its first call. */
static int build(orcad *d)
{
    orca_config ec;
    orcad_errors err = { 0 };
    int rc;
    orcad_config_engine(&d->c, epoch_ms(), &ec);
    if ((rc = orca_engine_new(&ec, &d->e)) != ORCA_OK)
        return fail("engine", rc);
    if ((rc = orca_stats_new(d->e, NULL, &d->stats)) != ORCA_OK)
        return fail("figures", rc);
    errno = 0;
    if ((rc = orca_journal_open(d->e, d->journal, &d->jc)) != ORCA_OK)
        return fail_journal(d->journal, rc);
    if ((rc = orcad_config_apply(&d->c, d->e, &err)) != ORCA_OK) {
        print_errors(&err);
        orcad_errors_free(&err);
        return 1;
    }
    say("new centre from %s, journal %s", d->c.file, d->journal);
    return 0;
}

/* A restart: the engine from its journal; agents OFFLINE until they log
 * in again (nobody is connected as them yet). The file's definitions are
 * not re-applied: the journal is the state (a reload applies the
 * difference between the file read at start and the edited one). */
static int restore(orcad *d)
{
    orca_config ec;
    orca_journal_info ji;
    int rc;
    errno = 0;
    if ((rc = orca_journal_read_config(d->journal, &ec)) != ORCA_OK)
        return fail_journal(d->journal, rc);
    if ((rc = orca_engine_new(&ec, &d->e)) != ORCA_OK)
        return fail("engine", rc);
    /* Attached before the replay so that the figures come back too. */
    if ((rc = orca_stats_new(d->e, NULL, &d->stats)) != ORCA_OK)
        return fail("figures", rc);
    orca_journal_config jc = d->jc;
    jc.restore_presence = ORCA_RESTORE_OFFLINE;
    errno = 0;
    if ((rc = orca_journal_replay(d->e, d->journal, &jc, &ji)) != ORCA_OK)
        return fail_journal(d->journal, rc);
    say("restored from %s: %llu records, %llu torn bytes dropped, %llu recovered offers",
        d->journal, (unsigned long long)ji.records, (unsigned long long)ji.torn_bytes,
        (unsigned long long)ji.recovered_offers);
    return 0;
}

/* Each client is a socket: thousands of them need the soft limit on open
 * files raised to the hard one (lws sizes its tables from it, so before
 * the context is made). Not fatal: orcad serves fewer clients. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == rl.rlim_max)
        return;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        fprintf(stderr, "orcad: cannot raise the open files limit: %s\n", strerror(errno));
}

/* SIGINT and SIGTERM stop, SIGHUP reloads, --run-for stops too; the
 * handles shut_down closes, all made here. */
static void start_signals(orcad *d, int run_for)
{
    d->run_for = run_for;
    uv_signal_init(d->loop, &d->sigint);
    uv_signal_init(d->loop, &d->sigterm);
    uv_signal_init(d->loop, &d->sighup);
    uv_timer_init(d->loop, &d->stop);
    uv_timer_init(d->loop, &d->bye);
    d->sigint.data = d->sigterm.data = d->sighup.data = d->stop.data = d->bye.data = d;
    uv_signal_start(&d->sigint, on_signal, SIGINT);
    uv_signal_start(&d->sigterm, on_signal, SIGTERM);
    uv_signal_start(&d->sighup, on_sighup, SIGHUP);
    if (run_for > 0)
        uv_timer_start(&d->stop, on_stop, (uint64_t)run_for * 1000, 0);
}

/* The file, the data dir, the journal's sync: what both roles need. 0, or
 * orcad's exit code. */
static int prepare(orcad *d, const char *conf, const char *dir_arg, char *const *listen,
                   size_t nlisten)
{
    if (check(conf, &d->c) != 0)
        return 2;
    d->conf = conf;
    const char *dir = dir_arg ? dir_arg : d->c.data_dir;
    if (!dir) {
        fprintf(stderr, "orcad: no data dir: give --data-dir DIR or server.data_dir\n");
        return 2;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "orcad: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    snprintf(d->journal, sizeof d->journal, "%s/orca.journal", dir);
    say("orcad %s, liborca %s", ORCAD_VERSION, orca_version());
    say("config %s: %zu channels, %zu skills, %zu queues, %zu agents, %zu tokens", conf,
        d->c.nchannels, d->c.nskills, d->c.nqueues, d->c.nagents, d->c.ntokens);
    /* sync = "every": group commit. The journal only writes, and the
     * WebSocket layer syncs once per loop iteration before it sends the
     * replies of that iteration (orcad_ws_set_group): every acknowledged
     * change is on disk, at one fdatasync per batch, not per call. */
    d->group = d->c.sync == ORCA_SYNC_EVERY;
    /* sync = "interval": the periodic fdatasync runs in the thread pool
     * (server/syncer.c), so the engine only writes; the loop never waits
     * for the disk. */
    d->interval = d->c.sync == ORCA_SYNC_INTERVAL;
    d->jc.sync = d->group || d->interval ? ORCA_SYNC_NEVER : d->c.sync;
    d->jc.interval_ms = d->c.sync_interval_ms;
    say("data dir %s, journal sync %s", dir,
        d->group ? "before every acknowledgement (group commit)"
                 : d->interval ? "every interval, off the loop" : "never");
    /* --listen's addresses, else the file's (the config lives until exit:
     * the WebSocket sessions read its tokens). */
    d->addrs = nlisten ? listen : d->c.listen;
    d->naddrs = nlisten ? nlisten : d->c.nlisten;
    raise_nofile();
    d->loop = uv_default_loop();
    return 0;
}

/* HTTP (and TLS) on every address, serving engine e's figures; the
 * WebSocket upgrade is refused until serve() gives it its layer. */
static int listen_all(orcad *d, const orca_engine *e, const orca_stats *s)
{
    if (orcad_http_start(d->loop, e, s, ORCAD_VERSION, NULL, d->c.clients.ping_s, d->addrs,
                         d->naddrs, &d->http) != 0)
        return -1;
    if (d->c.ntls_listen &&
        orcad_http_add_tls(d->http, d->c.tls_listen, d->c.ntls_listen, d->c.tls_cert, d->c.tls_key) != 0)
        return -1;
    return 0;
}

/* d->e takes work: the WebSocket layer, the libuv adapter, the syncer,
 * the supervisor feed; with a replica, replies wait for it as --ack
 * says. 0, or -1 (said why). */
static int serve(orcad *d)
{
    orca_uv_config uc = { .clock = ORCA_UV_CLOCK_WALL };
    orca_counts n;
    int rc;
    if (orcad_ws_new(d->e, &d->c, &d->ws) != 0)
        return -1;
    orcad_ws_set_group(d->ws, d->group);
    if ((rc = orca_uv_new_ex(d->loop, d->e, &uc, &d->u)) != ORCA_OK) {
        fail("libuv adapter", rc);
        return -1;
    }
    orcad_ws_set_uv(d->ws, d->u);
    if (d->interval && orcad_syncer_start(d->loop, d->journal, d->c.sync_interval_ms, &d->syncer) != 0)
        d->syncer = NULL; /* (said why; the journal is still written, and synced at exit) */
    if (d->rep && d->ro.ack != ORCAD_ACK_ASYNC)
        orcad_ws_set_gate(d->ws, gate, d);
    d->host = (proto_host){ reload, shutdown_soon, accepting, finished, claim, d };
    orcad_ws_set_host(d->ws, &d->host);
    if (orcad_ws_feed_start(d->ws, d->stats) != 0)
        return -1;
    orcad_http_set_engine(d->http, d->e, d->stats);
    orcad_http_set_ws(d->http, d->ws);
    for (size_t k = 0; k < d->naddrs; k++)
        say("listening on http://%s and ws://%s (orca.v1)", d->addrs[k], d->addrs[k]);
    for (size_t k = 0; k < d->c.ntls_listen; k++)
        say("listening on https://%s and wss://%s (orca.v1), certificate %s", d->c.tls_listen[k],
            d->c.tls_listen[k], d->c.tls_cert);
    orca_engine_counts(d->e, &n);
    say("engine on the wall clock: %u queues, %u agents (%u ready), %u waiting", n.queues,
        n.agents, n.agents_ready, n.waiting);
    return 0;
}

/* The loop until the end, then everything freed. orcad's exit code. */
static int finish(orcad *d)
{
    uv_run(d->loop, UV_RUN_DEFAULT);
    orcad_http_free(d->http);
    int rc = d->e ? orca_engine_check(d->e) : ORCA_OK;
    if (d->e) {
        orca_journal_sync(d->e); /* (journaled with ORCA_SYNC_NEVER: what came after the compaction) */
        orca_journal_close(d->e);
    }
    orca_stats_free(d->stats);
    orca_engine_free(d->e);
    orcad_ws_free(d->ws);
    orcad_config_free(&d->c);
    say("stopped, state %s", rc == ORCA_OK ? "consistent" : "INCONSISTENT");
    return uv_loop_close(d->loop) == 0 && rc == ORCA_OK && !d->failed ? 0 : 1;
}

/* Something failed before the loop ran: stop what started, and finish. */
static int stop_early(orcad *d)
{
    d->failed = 1;
    start_signals(d, 0); /* (shut_down closes them) */
    shut_down(d);
    return finish(d);
}

static orcad_replica_cb replica_cb(orcad *d);

static int run(const char *conf, const char *dir_arg, char *const *listen, size_t nlisten,
               int run_for, const char *redis, const orcad_replica_opts *ro)
{
    static orcad d; /* zeroed; static so that handles outlive main's frame */
    d.redis = redis, d.ro = *ro;
    int rc = prepare(&d, conf, dir_arg, listen, nlisten);
    if (rc != 0) {
        orcad_config_free(&d.c);
        return rc;
    }
    int restoring = access(d.journal, F_OK) == 0;
    if ((restoring ? restore(&d) : build(&d)) != 0) {
        orcad_config_free(&d.c);
        /* A half-built new centre must not be restored next time: its
         * journal goes (after the engine, which holds its lock). */
        int created = !restoring && d.e && orca_journal_info_get(d.e, &(orca_journal_info){ 0 }) == ORCA_OK;
        orca_stats_free(d.stats);
        orca_engine_free(d.e);
        if (created)
            unlink(d.journal);
        return 1;
    }
    /* HTTP first: if it cannot listen, nothing else is on the loop yet. */
    if (listen_all(&d, d.e, d.stats) != 0)
        return stop_early(&d);
    orcad_replica_cb cb = replica_cb(&d);
    if (d.redis && orcad_ship_start(d.loop, d.e, &d.ro, &cb, 3 * d.ro.lease_ms + 2000, &d.rep) != 0) {
        fprintf(stderr, "orcad: --redis %s: cannot ship the journal there; stopping\n", d.redis);
        return stop_early(&d);
    }
    orcad_http_set_replica(d.http, d.rep);
    if (serve(&d) != 0)
        return stop_early(&d);
    start_signals(&d, run_for);
    say("running (SIGINT or SIGTERM stops, SIGHUP reloads %s)", conf);
    return finish(&d);
}

/* --standby: an engine that follows the leader's journal through Redis
 * (server/replica.c), its figures served read-only over HTTP (/healthz,
 * /metrics, /snapshot); WebSocket upgrades refused (503) so that clients
 * go to the leader. When the leader's lease lapses, this one takes over. */
static void on_follow_engine(void *data, orca_engine *e, orca_stats *s)
{
    orcad *d = data; /* (d->e stays NULL: the follower owns its engine) */
    orcad_http_set_engine(d->http, e, s);
}

/* The engine a standby takes over with: the one that followed the stream
 * (made the writer of a new local journal); or, if the stream was empty,
 * this server's own journal if it has one (a restart with Redis empty),
 * else a new centre from the file. */
static int take_over_engine(orcad *d, orca_engine *fe, orca_stats *fs, int empty)
{
    int have = access(d->journal, F_OK) == 0;
    if (empty)
        return have ? restore(d) : build(d);
    if (have) {
        /* superseded by the stream's state: kept aside, not replayed */
        char prev[sizeof d->journal + 8];
        snprintf(prev, sizeof prev, "%s.prev", d->journal);
        if (rename(d->journal, prev) != 0) {
            fprintf(stderr, "orcad: %s: %s\n", d->journal, strerror(errno));
            return 1;
        }
    }
    orca_journal_config jc = d->jc;
    orca_journal_info ji;
    jc.restore_presence = ORCA_RESTORE_OFFLINE;
    errno = 0;
    int rc = orca_journal_promote(fe, d->journal, &jc, &ji);
    if (rc != ORCA_OK)
        return fail_journal(d->journal, rc);
    d->e = fe, d->stats = fs;
    say("took over the followed engine: journal %s, %llu recovered offers", d->journal,
        (unsigned long long)ji.recovered_offers);
    return 0;
}

static int promote(void *data, orca_engine *fe, orca_stats *fs, int empty)
{
    orcad *d = data;
    if (take_over_engine(d, fe, fs, empty) != 0 || orcad_replica_lead(d->rep, d->e) != 0 ||
        serve(d) != 0) {
        say("could not take over; stopping");
        if (d->e == fe)
            d->e = NULL, d->stats = NULL; /* (still the replica's to free) */
        return -1;
    }
    lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
    orcad_replica_stats st;
    orcad_replica_stats_get(d->rep, &st);
    say("leader of epoch %llu: taking work (acknowledgements: %s)", (unsigned long long)st.epoch,
        orcad_ack_name(d->ro.ack));
    return 0;
}

static orcad_replica_cb replica_cb(orcad *d)
{
    return (orcad_replica_cb){ step_down, on_release, on_follow_engine, promote, d };
}

static int run_standby(const char *conf, const char *dir_arg, char *const *listen,
                       size_t nlisten, int run_for, const char *redis, const orcad_replica_opts *ro)
{
    static orcad d;
    orca_config ec;
    d.redis = redis, d.ro = *ro;
    if (!d.redis) {
        fprintf(stderr, "orcad: --standby needs --redis HOST:PORT[/KEY]\n");
        return 2;
    }
    int rc = prepare(&d, conf, dir_arg, listen, nlisten);
    if (rc != 0) {
        orcad_config_free(&d.c);
        return rc;
    }
    /* The leader's stream starts with a snapshot, which sets the clock: the
     * engine's own start must not be after it. */
    orcad_config_engine(&d.c, 0, &ec);
    orcad_replica_cb cb = replica_cb(&d);
    if (orcad_follow_start(d.loop, &ec, &d.ro, &cb, &d.rep) != 0 ||
        listen_all(&d, orcad_follow_engine(d.rep), orcad_follow_stats(d.rep)) != 0)
        return stop_early(&d);
    orcad_http_set_replica(d.http, d.rep);
    /* lws warns of each upgrade refused: clients retrying during a
     * failover would fill the log with them */
    lws_set_log_level(LLL_ERR, NULL);
    for (size_t k = 0; k < d.naddrs; k++)
        say("standby: listening on http://%s (read-only figures; WebSocket clients are refused "
            "until it takes over)", d.addrs[k]);
    start_signals(&d, run_for);
    say("standby running: following redis %s:%d stream %s:log, lease %u ms (SIGINT or SIGTERM "
        "stops)", d.ro.host, d.ro.port, d.ro.key, d.ro.lease_ms);
    return finish(&d);
}

int main(int argc, char **argv)
{
    const char *conf = NULL, *check_path = NULL, *dir = NULL, *redis = NULL;
    int run_for = 0, standby = 0;
    char *listen[ORCAD_MAX_LISTEN];
    size_t nlisten = 0;
    orcad_replica_opts ro = { .lease_ms = 500, .ack = ORCAD_ACK_ASYNC };
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("orcad %s (liborca %s)\n", ORCAD_VERSION, orca_version());
            return 0;
        } else if (v && strcmp(a, "--config") == 0) {
            conf = v, k++;
        } else if (v && strcmp(a, "--check-config") == 0) {
            check_path = v, k++;
        } else if (v && strcmp(a, "--listen") == 0) {
            char host[ORCAD_HOST_MAX + 1];
            int port;
            if (nlisten == ORCAD_MAX_LISTEN || orcad_listen_parse(v, host, &port) != 0) {
                fprintf(stderr, "orcad: --listen wants HOST:PORT, at most %d of them\n",
                        ORCAD_MAX_LISTEN);
                return 2;
            }
            listen[nlisten++] = (char *)v, k++;
        } else if (v && strcmp(a, "--data-dir") == 0) {
            dir = v, k++;
        } else if (v && strcmp(a, "--redis") == 0) {
            if (orcad_redis_parse(v, &ro) != 0) {
                fprintf(stderr, "orcad: --redis wants HOST:PORT or HOST:PORT/KEY\n");
                return 2;
            }
            redis = v, k++;
        } else if (v && strcmp(a, "--ack") == 0) {
            if (orcad_ack_parse(v, &ro.ack) != 0) {
                fprintf(stderr, "orcad: --ack is async, redis or wait\n");
                return 2;
            }
            k++;
        } else if (v && strcmp(a, "--lease-ms") == 0) {
            char *end;
            long ms = strtol(v, &end, 10);
            if (*end || ms < 50 || ms > 60000) {
                fprintf(stderr, "orcad: --lease-ms wants 50..60000\n");
                return 2;
            }
            ro.lease_ms = (unsigned)ms, k++;
        } else if (strcmp(a, "--standby") == 0) {
            standby = 1;
        } else if (v && strcmp(a, "--run-for") == 0) {
            char *end;
            long s = strtol(v, &end, 10);
            if (*end || s <= 0 || s > 86400 * 365) {
                fprintf(stderr, "orcad: --run-for wants seconds, 1..31536000\n");
                return 2;
            }
            run_for = (int)s, k++;
        } else {
            fprintf(stderr, "orcad: unknown or incomplete option '%s'\n\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (check_path) {
        orcad_config c;
        if (check(check_path, &c) != 0) {
            fprintf(stderr, "orcad: %s: not valid\n", check_path);
            return 1;
        }
        printf("ok: %s: %zu channels, %zu skills, %zu queues, %zu agents, %zu tokens, "
               "%zu listen addresses\n", check_path, c.nchannels, c.nskills, c.nqueues,
               c.nagents, c.ntokens, c.nlisten);
        orcad_config_free(&c);
        return 0;
    }
    if (!conf) {
        usage(stderr);
        return 2;
    }
    if (ro.ack != ORCAD_ACK_ASYNC && !redis) {
        fprintf(stderr, "orcad: --ack %s needs --redis\n", orcad_ack_name(ro.ack));
        return 2;
    }
    if (standby)
        return run_standby(conf, dir, listen, nlisten, run_for, redis, &ro);
    return run(conf, dir, listen, nlisten, run_for, redis, &ro);
}
