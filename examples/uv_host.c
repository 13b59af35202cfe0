/*
 * uv_host.c: a real-time host on a libuv loop, with the journal on, that
 * survives being stopped or killed.
 *
 *     uv_host [DIR] [--seconds N]
 *
 * The first run creates DIR/orca.journal (DIR defaults to a new folder under
 * /tmp), defines a small centre (four agents, a 24/7 "support" queue and a
 * "sales" queue with opening hours) and runs for N seconds (default 5):
 * a timer brings in calls and chats, simulated agents answer most offers
 * and hang up a little later. Stop it with Ctrl-C, SIGTERM or kill -9.
 *
 * A second thread plays a chat gateway: it hands chats to the engine with
 * orca_uv_submit, the one call other threads may make. A clean stop
 * compacts the journal (one snapshot), so the next start reads the state,
 * not the whole history.
 *
 * Run it again with the same DIR: it replays the journal with every agent
 * OFFLINE (their sessions died with the process), attaches to the loop in
 * wall-clock mode (which fires at once what fell due while it was down:
 * max waits, offer timeouts, wrap-ups), ends the calls that were in progress
 * (the host lost them: it finds them with orca_interaction_list), logs the
 * agents back in and carries on.
 */
#include <orca.h>
#include <orca/uv.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHECK(call) do { int rc_ = (call); if (rc_ != ORCA_OK) { \
    fprintf(stderr, "%s: %s\n", #call, orca_strerror(rc_)); exit(1); } } while (0)

enum { NAGENTS = 4, MAX_CALLS = 64, TICK_MS = 100, JSON_LINES = 6 };

/* A call an agent is on: the host hangs it up at end_ms (engine time). */
typedef struct call { uint64_t id, end_ms; } call;

typedef struct host {
    uv_loop_t *loop;
    orca_engine *e;
    orca_uv *u;
    uv_timer_t tick, stop;
    uv_signal_t sigint, sigterm;
    uv_thread_t gateway;        /* the chat gateway thread */
    atomic_int gateway_stop;
    int stopping;
    orca_queue_id support, sales;
    uint64_t next_id;           /* our interaction ids (see main) */
    call calls[MAX_CALLS];
    uint32_t ncalls;
    uint64_t answered, ignored, hung_up;
    int json_lines;             /* event lines printed so far */
    uint32_t rng;
} host;

static uint32_t rnd(host *h, uint32_t n)
{
    h->rng = h->rng * 1103515245u + 12345u; /* a tiny LCG is enough here */
    return (h->rng >> 8) % n;
}

static uint64_t epoch_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Every event: print a few live ones as JSON, the way a host would feed a
 * log or a dashboard. */
static void on_event(void *data, const orca_event *ev)
{
    host *h = data;
    char line[512];
    if (h->u == NULL || h->json_lines >= JSON_LINES)
        return; /* still replaying or catching up, or printed enough */
    orca_event_json(ev, line, sizeof line);
    printf("event %s\n", line);
    h->json_lines++;
}

/* An agent is offered work: most answer at once and talk for 0.3-2 s; one
 * in eight lets it ring (the queue's offer timeout then re-offers it). */
static void on_offer(void *data, const orca_offer *o)
{
    host *h = data;
    if (h->ncalls == MAX_CALLS || rnd(h, 8) == 0) {
        h->ignored++;
        return;
    }
    CHECK(orca_offer_accept(h->e, o->interaction));
    h->calls[h->ncalls++] = (call){ o->interaction,
                                    orca_engine_now(h->e) + 300 + rnd(h, 1700) };
    h->answered++;
}

/* Every TICK_MS: maybe a new call or chat, and hang up the calls that are
 * over. Engine calls made here are followed by orca_uv_kick, so that the
 * adapter's timer sees the deadlines they set. */
static void on_tick(uv_timer_t *t)
{
    host *h = t->data;
    orca_engine *e = orca_uv_engine(h->u); /* the same as h->e */
    uint64_t now = orca_uv_now(h->u);
    if (rnd(h, 2) == 0) { /* about 5 arrivals a second */
        orca_interaction_def d;
        orca_interaction_def_init(&d);
        d.id = h->next_id++;
        d.queue = rnd(h, 4) == 0 ? h->sales : h->support;
        d.channel = rnd(h, 2) ? ORCA_CHANNEL_VOICE : ORCA_CHANNEL_CHAT;
        int rc = orca_interaction_enqueue(e, &d); /* sales may be closed */
        if (rc != ORCA_OK && rc != ORCA_ECLOSED)
            CHECK(rc);
    }
    for (uint32_t k = 0; k < h->ncalls;) {
        if (h->calls[k].end_ms > now) {
            k++;
            continue;
        }
        CHECK(orca_interaction_end(e, h->calls[k].id)); /* chat: wrap-up */
        h->calls[k] = h->calls[--h->ncalls];
        h->hung_up++;
    }
    /* Group commit: one fdatasync for the tick's calls (none if nothing
     * was journaled), so a power cut loses at most one tick; a host with
     * clients would acknowledge the tick's requests after this. */
    CHECK(orca_journal_sync(e));
    CHECK(orca_uv_kick(h->u));
}

/* Runs on the loop thread, submitted by the gateway thread: one chat. */
static void gateway_chat(orca_engine *e, void *arg)
{
    host *h = arg;
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = h->next_id++;
    d.queue = h->support;
    d.channel = ORCA_CHANNEL_CHAT;
    CHECK(orca_interaction_enqueue(e, &d));
}

/* The chat gateway's own thread: a chat about every 400 ms. It never calls
 * the engine itself, only orca_uv_submit; ORCA_ELIMIT (the loop is behind
 * by 65,536 calls) would mean "shed or retry later". */
static void gateway_main(void *arg)
{
    host *h = arg;
    while (!atomic_load(&h->gateway_stop)) {
        int rc = orca_uv_submit(h->u, gateway_chat, h);
        if (rc != ORCA_OK && rc != ORCA_ELIMIT)
            CHECK(rc);
        uv_sleep(400);
    }
}

/* Stop: at the end of --seconds, or on SIGINT/SIGTERM. The gateway thread
 * must stop submitting before the adapter goes; closing every handle lets
 * uv_run return. The journal is on disk already: compacting it now only
 * makes the next start quicker (it reads one snapshot, not the history). */
static void shut_down(host *h)
{
    if (h->stopping)
        return;
    h->stopping = 1;
    atomic_store(&h->gateway_stop, 1);
    uv_thread_join(&h->gateway);
    CHECK(orca_journal_compact(h->e));
    uv_close((uv_handle_t *)&h->tick, NULL);
    uv_close((uv_handle_t *)&h->stop, NULL);
    uv_close((uv_handle_t *)&h->sigint, NULL);
    uv_close((uv_handle_t *)&h->sigterm, NULL);
    orca_uv_close(h->u, NULL, NULL);
}

static void on_stop(uv_timer_t *t) { shut_down(t->data); }

static void on_signal(uv_signal_t *s, int signum)
{
    printf("signal %d: stopping\n", signum);
    shut_down(s->data);
}

/* The first run: a new engine whose clock starts now (ms since the epoch,
 * as wall-clock mode wants), journaled from its first call. */
static void new_centre(host *h, const char *path)
{
    orca_config c;
    orca_config_init(&c);
    c.start_ms = epoch_ms();
    CHECK(orca_engine_new(&c, &h->e));
    orca_journal_config jc = { .sync = ORCA_SYNC_NEVER }; /* survives kill -9 */
    CHECK(orca_journal_open(h->e, path, &jc));

    CHECK(orca_channel_set_wrapup(h->e, ORCA_CHANNEL_CHAT, 500));
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "support";
    qd.offer_timeout_ms = 2000;
    qd.max_wait_ms = 60000;
    CHECK(orca_queue_add(h->e, &qd, &h->support));
    qd.name = "sales";
    CHECK(orca_queue_add(h->e, &qd, &h->sales));
    /* Sales is open on weekdays 08:00-18:00 UTC; outside those hours its
     * new work goes to support instead. */
    static const orca_hours_range week[] = {
        { 1, 480, 1080 }, { 2, 480, 1080 }, { 3, 480, 1080 }, { 4, 480, 1080 }, { 5, 480, 1080 },
    };
    orca_hours hours = { .ranges = week, .nranges = 5,
                         .when_closed = ORCA_CLOSED_REDIRECT, .redirect_to = h->support };
    CHECK(orca_queue_set_hours(h->e, h->sales, &hours));

    /* One call, or up to three chats, at a time. */
    static const orca_channel_limit limits[] = { { ORCA_CHANNEL_VOICE, 1 },
                                                 { ORCA_CHANNEL_CHAT, 3 } };
    for (uint64_t id = 1; id <= NAGENTS; id++) {
        orca_agent_def ad;
        orca_agent_def_init(&ad);
        ad.id = id;
        ad.limits = limits;
        ad.nlimits = 2;
        CHECK(orca_agent_add(h->e, &ad));
        CHECK(orca_queue_member_add(h->e, h->support, id, 0));
        CHECK(orca_queue_member_add(h->e, h->sales, id, 0));
    }
    printf("new centre, journal %s\n", path);
}

/* A later run: the same engine again, from the journal. Callbacks and
 * listeners are not journaled: set them before the replay. Agents come
 * back OFFLINE: nobody is connected as them yet. */
static void restore_centre(host *h, const char *path, const orca_channel_callbacks *cb)
{
    orca_config c;
    CHECK(orca_journal_read_config(path, &c));
    CHECK(orca_engine_new(&c, &h->e));
    int handle;
    CHECK(orca_listener_add(h->e, on_event, h, &handle));
    CHECK(orca_channel_set_callbacks(h->e, ORCA_CHANNEL_VOICE, cb, h));
    CHECK(orca_channel_set_callbacks(h->e, ORCA_CHANNEL_CHAT, cb, h));
    orca_journal_config jc = { .sync = ORCA_SYNC_NEVER,
                               .restore_presence = ORCA_RESTORE_OFFLINE };
    orca_journal_info ji;
    CHECK(orca_journal_replay(h->e, path, &jc, &ji));
    CHECK(orca_queue_find(h->e, "support", &h->support)); /* ids by name */
    CHECK(orca_queue_find(h->e, "sales", &h->sales));
    orca_counts n;
    CHECK(orca_engine_counts(h->e, &n));
    printf("restored %s: %llu records (%llu torn bytes dropped), %u agents OFFLINE, "
           "%u waiting, %u in progress, %llu recovered offers\n",
           path, (unsigned long long)ji.records, (unsigned long long)ji.torn_bytes,
           n.agents - n.agents_ready, n.waiting, n.busy + n.wrapup,
           (unsigned long long)ji.recovered_offers);
}

/* After the catch-up: calls that were in progress when the process died
 * are gone with it; end them (chats then wrap up), and log agents in. The
 * live work is read a page at a time; ending a call changes only that
 * entry, so the cursor stays good. */
static void resume(host *h, uint64_t events_before)
{
    orca_counts n;
    uint64_t ended = 0;
    CHECK(orca_engine_counts(h->e, &n));
    printf("caught up to the wall clock: %llu events fell due while down\n",
           (unsigned long long)(n.events - events_before));
    orca_cursor cur = { 0 };
    orca_interaction_info page[16];
    uint32_t got;
    do {
        CHECK(orca_interaction_list(h->e, &cur, page, 16, &got));
        for (uint32_t k = 0; k < got; k++)
            if (page[k].state == ORCA_STATE_BUSY) {
                CHECK(orca_interaction_end(h->e, page[k].id));
                ended++;
            }
    } while (got == 16);
    for (uint64_t id = 1; id <= NAGENTS; id++)
        CHECK(orca_agent_set_presence(h->e, id, ORCA_PRESENCE_READY, 0));
    CHECK(orca_engine_counts(h->e, &n));
    printf("resumed: ended %llu lost calls, %u agents READY, %u waiting, %u offered\n",
           (unsigned long long)ended, n.agents_ready, n.waiting, n.offered);
}

int main(int argc, char **argv)
{
    static host h; /* zeroed */
    char dir[256] = "", path[300];
    unsigned seconds = 5;
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--seconds") == 0 && k + 1 < argc)
            seconds = (unsigned)strtoul(argv[++k], NULL, 10);
        else
            snprintf(dir, sizeof dir, "%s", argv[k]);
    }
    if (!dir[0] ? !mkdtemp(strcpy(dir, "/tmp/orca-uv-host-XXXXXX"))
                : mkdir(dir, 0700) != 0 && errno != EEXIST) {
        perror(dir);
        return 1;
    }
    snprintf(path, sizeof path, "%s/orca.journal", dir);
    h.loop = uv_default_loop();
    h.rng = (uint32_t)epoch_ms();
    /* Ids must not clash with work restored from an earlier run: a real
     * host takes them from its own database; here the start time in ms,
     * times 1000, leaves room for 1000 arrivals per ms of running. */
    h.next_id = epoch_ms() * 1000;

    const orca_channel_callbacks cb = { .offer = on_offer };
    int restored = access(path, F_OK) == 0;
    uint64_t events_before = 0;
    if (restored) {
        restore_centre(&h, path, &cb);
        orca_counts n;
        CHECK(orca_engine_counts(h.e, &n));
        events_before = n.events;
    } else {
        new_centre(&h, path);
        int handle;
        CHECK(orca_listener_add(h.e, on_event, &h, &handle));
        CHECK(orca_channel_set_callbacks(h.e, ORCA_CHANNEL_VOICE, &cb, &h));
        CHECK(orca_channel_set_callbacks(h.e, ORCA_CHANNEL_CHAT, &cb, &h));
    }

    /* Wall-clock mode: engine time is ms since the epoch; attaching catches
     * a replayed engine up to now, firing what fell due in order. */
    orca_uv_config uc = { .clock = ORCA_UV_CLOCK_WALL };
    orca_uv *u;
    CHECK(orca_uv_new_ex(h.loop, h.e, &uc, &u));
    CHECK(orca_uv_last_error(u));
    h.u = u;
    if (restored)
        resume(&h, events_before);
    else
        for (uint64_t id = 1; id <= NAGENTS; id++)
            CHECK(orca_agent_set_presence(h.e, id, ORCA_PRESENCE_READY, 0));
    int open;
    uint64_t change;
    CHECK(orca_queue_is_open(h.e, h.sales, &open, &change));
    printf("sales is %s (changes in %.1f h)\n", open ? "open" : "closed, redirecting to support",
           change == UINT64_MAX ? 0.0 : (double)(change - orca_engine_now(h.e)) / 3.6e6);
    CHECK(orca_uv_kick(u));

    uv_timer_init(h.loop, &h.tick);
    uv_timer_init(h.loop, &h.stop);
    uv_signal_init(h.loop, &h.sigint);
    uv_signal_init(h.loop, &h.sigterm);
    h.tick.data = h.stop.data = h.sigint.data = h.sigterm.data = &h;
    uv_timer_start(&h.tick, on_tick, TICK_MS, TICK_MS);
    uv_timer_start(&h.stop, on_stop, (uint64_t)seconds * 1000, 0);
    uv_signal_start(&h.sigint, on_signal, SIGINT);
    uv_signal_start(&h.sigterm, on_signal, SIGTERM);
    if (uv_thread_create(&h.gateway, gateway_main, &h) != 0) {
        fprintf(stderr, "cannot start the gateway thread\n");
        return 1;
    }
    printf("running for %u s (dir %s)\n", seconds, dir);
    fflush(stdout);
    uv_run(orca_uv_loop(u), UV_RUN_DEFAULT); /* the loop the engine runs on */

    orca_counts n;
    orca_journal_info ji;
    CHECK(orca_engine_counts(h.e, &n));
    CHECK(orca_journal_info_get(h.e, &ji));
    printf("journal: %llu records written, %llu bytes after %llu compaction(s)\n",
           (unsigned long long)ji.records, (unsigned long long)ji.bytes,
           (unsigned long long)ji.compactions);
    printf("stopped: %llu answered, %llu let ring, %llu hung up; %u waiting, %u in progress; "
           "state %s\n", (unsigned long long)h.answered, (unsigned long long)h.ignored,
           (unsigned long long)h.hung_up, n.waiting, n.busy + n.wrapup,
           orca_engine_check(h.e) == ORCA_OK ? "consistent" : "INCONSISTENT");
    CHECK(orca_journal_close(h.e));
    orca_engine_free(h.e);
    return uv_loop_close(h.loop) == 0 ? 0 : 1;
}
