/*
 * bench/e2e/loadtest.c: orcad end to end under load (make loadtest).
 *
 * The driver starts orcad itself (a config written for the run to a temp
 * dir, a free loopback port, a temp data dir), opens N agent connections
 * (hello, login as agent k, presence ready) and G gateway connections over
 * its own WebSocket client (wsc.c), and for each offered rate has the
 * gateways enqueue at that rate for D seconds, paced by a 1 ms uv timer.
 * Agents accept each offer at once and end it after a handle time. The
 * latency of an interaction is the agent's receipt of its offer minus the
 * gateway's send of its enqueue, both CLOCK_MONOTONIC (uv_hrtime) in this
 * one process. Errors: any ok:false reply, a withdraw, an acknowledged
 * interaction never offered, a disconnect, a double offer.
 *
 * --crash K: one run at one rate during which orcad is SIGKILLed K times
 * at random moments and restarted on the same data dir; every client
 * reconnects, agents log in and get ready again (a restored centre has
 * them OFFLINE), gateways resend the enqueues that got no reply (EEXIST
 * means it was journaled). At the end nothing acknowledged may be lost
 * (every acknowledged interaction ended by an agent, or still live as
 * `position` says) and nothing offered to two agents at once.
 *
 * Everything is bounded in time: each phase has a deadline and orcad runs
 * with --run-for as a last resort.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "wsc.h"

#define GW_TOKEN "loadtest-gateway-token-0001"
#define AG_TOKEN "loadtest-agent-token-00001"
#define MAX_RATES 8

/* Request kinds, in the low 3 bits of a request id. */
enum { K_HELLO = 1, K_LOGIN, K_READY, K_ACCEPT, K_END, K_ENQ, K_POS };
/* Gateway side of an interaction. */
enum { GW_NONE, GW_SENT, GW_ACKED, GW_REFUSED };
/* Agent side. */
enum { AG_NONE, AG_OFFERED, AG_ACCEPTED, AG_ENDED };

typedef struct ix {
    uint64_t t_send, t_offer, t_ack;
    uint32_t agent;   /* offered to / held by (agent index + 1) */
    uint32_t epoch;   /* orcad's incarnation when offered */
    uint8_t gw, ag;
    uint8_t ok;       /* the gateway got ok:true (or EEXIST on a resend) */
} ix;

typedef struct peer {
    wsc *c;
    int idx, gateway, ready;
    /* agents: the one interaction held (voice: capacity for one) */
    uint64_t cur;
    int accept_acked, end_sent;
    /* an end sent whose reply has not come yet while the next offer has:
     * orcad may push the offer the end made room for before the end's
     * reply (routing runs inside the call) */
    uint64_t ending;
    int ending_held;
    int end_before_kill;  /* cur's end went out before orcad was killed */
    uv_timer_t handle;
} peer;

typedef struct run {
    uv_loop_t *loop;
    const char *orcad;
    char dir[256], conf[300], data[300], log[300];
    int port;
    pid_t pid;
    struct sockaddr_in addr;
    /* parameters */
    int agents, gateways, duration_s, handle_ms, crashes;
    int handle_given;  /* --handle-ms: the same for every rate */
    double rates[MAX_RATES];
    int nrates;
    const char *csv;
    /* this rate */
    double rate;
    peer *ag, *gw;
    ix *ixs;
    uint64_t cap, sent, acked, refused, offers, ended, dup, errors, disconnects, lost, live_end;
    uint64_t *lat;
    uint64_t t0, t_last_offer, deadline;
    int phase, ready, epoch, crashes_left, kills, pos_wait;
    uint64_t next_crash;
    uv_timer_t tick;
    long cpu0;
    double self_cpu0;     /* the driver's own CPU seconds at t0 */
    int verbose, wipe;
    int all_outcomes;  /* gateways hear every outcome (else accepted only) */
    const char *dump;     /* --dump FILE: every interaction's send time and latency */
    const char *sync;     /* the journal's sync policy in the config */
    const char *redis, *ack; /* --redis, --ack: passed to orcad (a Redis already running) */
    unsigned seed;
} run;

enum { PH_CONNECT, PH_LOAD, PH_DRAIN, PH_VERIFY, PH_DONE };

static run R;

static void err_note(const char *what, const char *text, size_t len)
{
    R.errors++;
    if (R.errors <= 10)
        fprintf(stderr, "loadtest: error: %s: %.*s\n", what, (int)(len > 300 ? 300 : len), text);
}

/* The value of a top-level key of a JSON object: a pointer just past the
 * colon, or NULL. Strings are skipped so that keys inside them and inside
 * nested objects (an offer's history) are not taken. */
static const char *jkey(const char *p, size_t n, const char *key)
{
    size_t kl = strlen(key);
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '"') {
            size_t s = i + 1;
            for (i++; i < n && p[i] != '"'; i++)
                if (p[i] == '\\')
                    i++;
            if (depth == 1 && i - s == kl && memcmp(p + s, key, kl) == 0 && i + 1 < n &&
                p[i + 1] == ':')
                return p + i + 2;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            depth--;
        }
    }
    return NULL;
}

static uint64_t jnum(const char *p, size_t n, const char *key, int *found)
{
    const char *v = jkey(p, n, key);
    *found = v && *v >= '0' && *v <= '9';
    return *found ? strtoull(v, NULL, 10) : 0;
}

static int jok(const char *p, size_t n)
{
    const char *v = jkey(p, n, "ok");
    return v && strncmp(v, "true", 4) == 0;
}

static int jcode(const char *p, size_t n, const char *code)
{
    const char *v = jkey(p, n, "error");
    return v && (v = jkey(v, n - (size_t)(v - p), "code")) && v[0] == '"' &&
           strncmp(v + 1, code, strlen(code)) == 0;
}

static void sendf(peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sendf(peer *p, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (p->c && wsc_send(p->c, buf, (size_t)n) != 0 && !R.crashes)
        err_note("send", buf, (size_t)n);
}

/* ---- orcad: start, stop, measure ---- */

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t l = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &l) != 0) {
        if (s >= 0)
            close(s);
        return -1;
    }
    close(s);
    return ntohs(a.sin_port);
}

static int write_config(void)
{
    FILE *f = fopen(R.conf, "w");
    if (!f)
        return -1;
    fprintf(f, "server = { listen = [ \"127.0.0.1:%d\" ]; data_dir = \"%s\"; sync = \"%s\"; };\n"
               "limits = { max_agents = %d; max_interactions = 1000000; offer_timeout_ms = \"never\"; };\n"
               "channels = ( { name = \"voice\"; wrapup_ms = 0; } );\n"
               "queues = ( { name = \"q0\"; strategy = \"longest_idle\"; serve = [ \"members\" ]; } );\n"
               "agents = (\n",
            R.port, R.data, R.sync, R.agents);
    for (int k = 0; k < R.agents; k++)
        fprintf(f, "  { id = %d; queues = { q0 = 0; }; }%s\n", k + 1, k + 1 < R.agents ? "," : "");
    fprintf(f, ");\ntokens = (\n  { token = \"%s\"; role = \"gateway\"; },\n"
               "  { token = \"%s\"; role = \"agent\"; }\n);\n", GW_TOKEN, AG_TOKEN);
    return fclose(f);
}

/* Start orcad on R.data and wait (at most 20 s) until it accepts connections. */
static int start_orcad(void)
{
    char listen[64], runfor[16];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", R.port);
    snprintf(runfor, sizeof runfor, "%d", R.duration_s * 3 + 120);
    R.pid = fork();
    if (R.pid < 0)
        return -1;
    if (R.pid == 0) {
        int fd = open(R.log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        char *argv[] = { (char *)R.orcad, "--config", R.conf, "--data-dir", R.data, "--listen",
                         listen, "--run-for", runfor, "--redis", (char *)R.redis, "--ack",
                         (char *)(R.ack ? R.ack : "async"), NULL };
        if (!R.redis)
            argv[9] = NULL; /* (no --redis, no --ack) */
        execv(R.orcad, argv);
        _exit(127);
    }
    if (R.verbose)
        fprintf(stderr, "loadtest: orcad pid %d, port %d, dir %s\n", (int)R.pid, R.port, R.dir);
    for (int k = 0; k < 400; k++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        int rc = connect(s, (struct sockaddr *)&R.addr, sizeof R.addr);
        close(s);
        if (rc == 0)
            return 0;
        if (waitpid(R.pid, NULL, WNOHANG) == R.pid) {
            fprintf(stderr, "loadtest: orcad exited at start (log %s)\n", R.log);
            R.pid = 0;
            return -1;
        }
        usleep(50000);
    }
    fprintf(stderr, "loadtest: orcad did not listen within 20 s (log %s)\n", R.log);
    return -1;
}

static long orcad_cpu_ticks(void)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)R.pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command may hold spaces */
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (long)(ut + st);
}

static long orcad_hwm_kib(void)
{
    char path[64], line[256];
    long kib = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)R.pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* orcad's own share, from its /metrics: the orcad_turn_seconds histogram
 * (how long each turn of its loop took from the first request handled to
 * the end of its sends), read with a plain blocking GET before it stops.
 * Prints the turns and the bucket bounds holding their p50 and p99. */
static void print_turns(void)
{
    static char buf[1 << 16];
    size_t n = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = { 5, 0 };
    if (fd < 0)
        return;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    static const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (connect(fd, (const struct sockaddr *)&R.addr, sizeof R.addr) == 0 &&
        write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1))
        for (ssize_t r; n + 1 < sizeof buf && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0;)
            n += (size_t)r;
    close(fd);
    buf[n] = 0;
    double le[32];
    unsigned long long cum[32], total = 0;
    int k = 0;
    for (char *l = strstr(buf, "orcad_turn_seconds_bucket{le=\""); l && k < 32;
         l = strstr(l + 1, "orcad_turn_seconds_bucket{le=\"")) {
        char *q = l + strlen("orcad_turn_seconds_bucket{le=\"");
        le[k] = strncmp(q, "+Inf", 4) == 0 ? -1 : strtod(q, NULL);
        char *v = strchr(q, '}');
        cum[k++] = v ? strtoull(v + 1, NULL, 10) : 0;
    }
    if (!k || !(total = cum[k - 1]))
        return;
    double at[2] = { 0, 0 }, p[2] = { .5, .99 };
    for (int j = 0; j < 2; j++)
        for (int i = 0; i < k; i++)
            if ((double)cum[i] >= p[j] * (double)total) {
                at[j] = le[i];
                break;
            }
    printf("  (orcad's own time per turn of its loop, from its /metrics: %llu turns, p50 <= %.0f us, "
           "p99 <= %.0f us)\n", total, at[0] * 1e6, at[1] * 1e6);
}

/* SIGTERM (a clean stop) or SIGKILL, and reap it; at most 20 s. */
static int stop_orcad(int sig)
{
    int st = 0;
    if (R.pid <= 0)
        return -1;
    kill(R.pid, sig);
    for (int k = 0; k < 400; k++) {
        if (waitpid(R.pid, &st, WNOHANG) == R.pid) {
            R.pid = 0;
            return sig == SIGKILL || (WIFEXITED(st) && WEXITSTATUS(st) == 0) ? 0 : -1;
        }
        usleep(50000);
    }
    kill(R.pid, SIGKILL);
    waitpid(R.pid, &st, 0);
    R.pid = 0;
    return -1;
}

/* ---- clients ---- */

static void connect_peer(peer *p);

static void on_open(wsc *c, void *data)
{
    peer *p = data;
    if (p->c != c)
        return;
    sendf(p, "{\"v\":1,\"id\":%d,\"type\":\"hello\",\"token\":\"%s\"}", K_HELLO,
          p->gateway ? GW_TOKEN : AG_TOKEN);
}

static void on_close(wsc *c, int err, void *data)
{
    peer *p = data;
    if (p->c != c)
        return; /* an old connection of a crashed orcad */
    p->c = NULL;
    if (p->ready)
        R.ready--;
    p->ready = 0;
    if (R.phase != PH_DONE && !R.crashes) {
        R.disconnects++;
        R.errors++;
        if (R.disconnects <= 5)
            fprintf(stderr, "loadtest: %s %d disconnected: %s\n", p->gateway ? "gateway" : "agent",
                    p->idx, err ? uv_strerror(err) : "closed");
    }
}

static void peer_ready(peer *p)
{
    p->ready = 1;
    R.ready++;
}

static void send_end(peer *p)
{
    p->end_sent = 1;
    sendf(p, "{\"v\":1,\"id\":%llu,\"type\":\"end\",\"interaction\":%llu}",
          (unsigned long long)(p->cur * 8 + K_END), (unsigned long long)p->cur);
}

static void on_handle_done(uv_timer_t *t)
{
    peer *p = t->data;
    if (p->cur && p->c && p->ready && !p->end_sent)
        send_end(p);
}

static void on_offer(peer *p, const char *text, size_t len)
{
    int found;
    uint64_t id = jnum(text, len, "interaction", &found);
    uint64_t now = uv_hrtime();
    if (!found || id == 0 || id >= R.cap) {
        err_note("offer of an unknown interaction", text, len);
        return;
    }
    ix *x = &R.ixs[id];
    uint32_t me = (uint32_t)p->idx + 1;
    if (x->ag == AG_ENDED || (x->ag == AG_ACCEPTED && x->agent != me) ||
        (x->ag == AG_OFFERED && x->agent != me && x->epoch == (uint32_t)R.epoch)) {
        R.dup++;
        err_note("offered twice", text, len);
    }
    if (p->cur && p->cur != id && p->end_sent && !p->ending) {
        p->ending = p->cur, p->ending_held = p->accept_acked;
        p->cur = 0;
    }
    if (p->cur && p->cur != id) {
        if (R.verbose)
            fprintf(stderr, "agent %d holds %llu (ag %d gw %d ok %d acc %d end_sent %d epoch %u/%d)\n", p->idx + 1,
                    (unsigned long long)p->cur, R.ixs[p->cur].ag, R.ixs[p->cur].gw, R.ixs[p->cur].ok,
                    p->accept_acked, p->end_sent, R.ixs[p->cur].epoch, R.epoch);
        err_note("an offer to an agent that holds work", text, len);
        return;
    }
    if (!x->t_offer) {
        x->t_offer = now;
        R.lat[R.offers++] = now - x->t_send;
        R.t_last_offer = now;
        if (x->gw == GW_SENT)
            x->gw = GW_ACKED; /* an offer proves the enqueue was journaled */
    }
    x->ag = AG_OFFERED, x->agent = me, x->epoch = (uint32_t)R.epoch;
    p->cur = id, p->accept_acked = 0, p->end_sent = 0, p->end_before_kill = 0;
    sendf(p, "{\"v\":1,\"id\":%llu,\"type\":\"accept\",\"interaction\":%llu}",
          (unsigned long long)(id * 8 + K_ACCEPT), (unsigned long long)id);
    uv_timer_start(&p->handle, on_handle_done, (uint64_t)R.handle_ms, 0);
}

static void agent_reply(peer *p, uint64_t rid, const char *text, size_t len)
{
    int ok = jok(text, len), kind = (int)(rid & 7);
    uint64_t id = rid >> 3;
    if (kind == K_HELLO && ok) {
        sendf(p, "{\"v\":1,\"id\":%d,\"type\":\"login\",\"agent\":%d}", K_LOGIN, p->idx + 1);
    } else if (kind == K_LOGIN && ok) {
        /* After a restart: the work held before it is ended first (or
         * found gone) before the agent is ready for more; one connection
         * is handled in order, so the end goes before the presence. */
        if (p->ending)
            sendf(p, "{\"v\":1,\"id\":%llu,\"type\":\"end\",\"interaction\":%llu}",
                  (unsigned long long)(p->ending * 8 + K_END), (unsigned long long)p->ending);
        if (p->cur)
            send_end(p);
        sendf(p, "{\"v\":1,\"id\":%d,\"type\":\"presence\",\"presence\":\"ready\"}", K_READY);
    } else if (kind == K_READY && ok) {
        peer_ready(p);
    } else if (kind == K_ACCEPT && id == p->cur) {
        if (ok) {
            p->accept_acked = 1;
            R.ixs[id].ag = AG_ACCEPTED;
        } else {
            err_note("accept", text, len);
        }
    } else if (kind == K_END && id && (id == p->cur || id == p->ending) && id < R.cap) {
        ix *x = &R.ixs[id];
        int was_held, sent_before = 1;
        if (id == p->ending) {
            was_held = p->ending_held;
            p->ending = 0;
        } else {
            was_held = p->accept_acked;
            sent_before = p->end_before_kill;
            p->cur = 0;
        }
        if (ok || (R.crashes && was_held && sent_before &&
                   (jcode(text, len, "ENOENT") || jcode(text, len, "EPERM") ||
                    jcode(text, len, "ESTATE")))) {
            /* ended; or a resend after a restart of an end that went out
             * before the kill: it was journaled, its reply was lost. Held
             * work whose end never went out must still be there. */
            x->ag = AG_ENDED;
            R.ended++;
        } else if (R.crashes && !was_held) {
            /* offered, never held: the restart put it back in the queue */
            if (x->agent == (uint32_t)p->idx + 1)
                x->ag = AG_NONE;
        } else {
            err_note("end", text, len);
        }
    } else if (!ok) {
        err_note("agent reply", text, len);
    }
}

static void gateway_resend(peer *p);

static void gateway_reply(peer *p, uint64_t rid, const char *text, size_t len)
{
    int ok = jok(text, len), kind = (int)(rid & 7);
    uint64_t id = rid >> 3;
    if (kind == K_HELLO && ok) {
        /* A voice gateway bridges the call when an agent accepts it: that
         * is the one outcome it asks for (id 0: kind 0), unless
         * --all-outcomes, orcad's default, measures every event. */
        if (!R.all_outcomes)
            sendf(p, "{\"v\":1,\"id\":0,\"type\":\"outcomes\",\"events\":[\"accepted\"]}");
        peer_ready(p);
        gateway_resend(p);
    } else if (kind == K_ENQ && id && id < R.cap) {
        ix *x = &R.ixs[id];
        if (ok || (R.crashes && jcode(text, len, "EEXIST"))) {
            if (!x->ok) {
                R.acked++;
                x->t_ack = uv_hrtime();
            }
            x->ok = 1;
            x->gw = GW_ACKED;
        } else if (x->gw != GW_ACKED) {
            x->gw = GW_REFUSED;
            R.refused++;
            err_note("enqueue", text, len);
        }
    } else if (kind == K_POS && id && id < R.cap) {
        /* waiting (ok) or not waiting but live (ESTATE): not lost */
        if (ok || jcode(text, len, "ESTATE"))
            R.live_end++;
        else if (jcode(text, len, "ENOENT"))
            R.lost++;
        else
            err_note("position", text, len);
        R.pos_wait--;
    } else if (!ok) {
        err_note("gateway reply", text, len);
    }
}

static void on_text(wsc *c, const char *text, size_t len, void *data)
{
    peer *p = data;
    int found;
    if (p->c != c)
        return;
    uint64_t rid = jnum(text, len, "id", &found);
    if (found) {
        (p->gateway ? gateway_reply : agent_reply)(p, rid, text, len);
        return;
    }
    const char *t = jkey(text, len, "type");
    if (t && strncmp(t, "\"offer\"", 7) == 0 && !p->gateway) {
        on_offer(p, text, len);
    } else if (t && strncmp(t, "\"withdraw\"", 10) == 0 && !p->gateway) {
        uint64_t id = jnum(text, len, "interaction", &found);
        if (found && id == p->cur) {
            p->cur = 0;
            if (id < R.cap && R.ixs[id].ag == AG_OFFERED)
                R.ixs[id].ag = AG_NONE;
        }
        if (!R.crashes)
            err_note("withdraw", text, len);
    } else if (t && strncmp(t, "\"event\"", 7) == 0 && p->gateway) {
        /* its interactions' outcomes (offered, accepted, ended...): read,
         * so orcad's output queue to it drains, and not needed here */
    } else {
        err_note("unexpected message", text, len);
    }
}

static const wsc_callbacks peer_cbs = { on_open, on_text, on_close };

static void connect_peer(peer *p)
{
    int rc = wsc_connect(R.loop, (const struct sockaddr *)&R.addr, "127.0.0.1", "/", "orca.v1",
                         &peer_cbs, p, &p->c);
    if (rc != 0) {
        p->c = NULL;
        R.errors++;
        fprintf(stderr, "loadtest: connect: %s\n", uv_strerror(rc));
    }
}

static void send_enqueue(peer *g, uint64_t id)
{
    sendf(g, "{\"v\":1,\"id\":%llu,\"type\":\"enqueue\",\"interaction\":%llu,\"queue\":\"q0\","
             "\"channel\":\"voice\"}",
          (unsigned long long)(id * 8 + K_ENQ), (unsigned long long)id);
}

/* After a restart: every enqueue of this gateway that got no reply and
 * was never offered goes again (ok or EEXIST: it is in). */
static void gateway_resend(peer *g)
{
    for (uint64_t id = 1; id <= R.sent; id++) {
        ix *x = &R.ixs[id];
        if (x->gw == GW_SENT && x->ag == AG_NONE && !x->t_offer &&
            (int)(id % (uint64_t)R.gateways) == g->idx)
            send_enqueue(g, id);
    }
}

/* ---- the phases ---- */

static uint64_t ms(uint64_t ns)
{
    return ns / 1000000;
}

static void crash_now(void)
{
    fprintf(stderr, "loadtest: kill -9 orcad (%llu sent, %llu acknowledged, %llu ended)\n",
            (unsigned long long)R.sent, (unsigned long long)R.acked, (unsigned long long)R.ended);
    stop_orcad(SIGKILL);
    R.epoch++;
    for (int k = 0; k < R.agents; k++)
        R.ag[k].end_before_kill = R.ag[k].end_sent;
    if (R.wipe) { /* a test of the checks: the journal lost */
        char path[400];
        snprintf(path, sizeof path, "%s/orca.journal", R.data);
        unlink(path);
    }
    for (int k = 0; k < R.agents; k++)
        if (R.ag[k].c) {
            wsc *c = R.ag[k].c;
            R.ag[k].c = NULL, R.ag[k].ready = 0;
            wsc_close(c);
        }
    for (int k = 0; k < R.gateways; k++)
        if (R.gw[k].c) {
            wsc *c = R.gw[k].c;
            R.gw[k].c = NULL, R.gw[k].ready = 0;
            wsc_close(c);
        }
    R.ready = 0;
    if (start_orcad() != 0) {
        R.errors++;
        R.phase = PH_DONE;
        return;
    }
    for (int k = 0; k < R.agents; k++)
        connect_peer(&R.ag[k]);
    for (int k = 0; k < R.gateways; k++)
        connect_peer(&R.gw[k]);
}

static void finish(void)
{
    R.phase = PH_DONE;
    uv_timer_stop(&R.tick);
    for (int k = 0; k < R.agents; k++) {
        uv_timer_stop(&R.ag[k].handle);
        if (R.ag[k].c)
            wsc_close(R.ag[k].c);
    }
    for (int k = 0; k < R.gateways; k++)
        if (R.gw[k].c)
            wsc_close(R.gw[k].c);
}

static void verify(void)
{
    R.phase = PH_VERIFY;
    R.deadline = uv_hrtime() + 10000000000ull;
    for (uint64_t id = 1; id <= R.sent; id++) {
        ix *x = &R.ixs[id];
        peer *g = &R.gw[id % (uint64_t)R.gateways];
        if ((x->ok || x->t_offer) && x->ag != AG_ENDED && g->c) {
            sendf(g, "{\"v\":1,\"id\":%llu,\"type\":\"position\",\"interaction\":%llu}",
                  (unsigned long long)(id * 8 + K_POS), (unsigned long long)id);
            R.pos_wait++;
        }
    }
}

/* The driver's own user + system CPU seconds: printed beside orcad's, so
 * a reader sees whether the driver had the core it needed. */
static double self_cpu(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The next kill: the rest of the load time is cut in as many slots as
 * kills are left, and the kill falls at a random moment in the first
 * slot's middle half (so all K happen, and never back to back). */
static uint64_t next_kill(uint64_t now)
{
    uint64_t end = R.t0 + (uint64_t)R.duration_s * 1000000000ull;
    if (!R.crashes_left || now >= end)
        return UINT64_MAX;
    uint64_t slot = (end - now) / (uint64_t)R.crashes_left / 1000000; /* ms */
    uint64_t at = slot / 4 + (slot / 2 ? (uint64_t)rand_r(&R.seed) % (slot / 2) : 0);
    return now + at * 1000000ull;
}

static void on_tick(uv_timer_t *t)
{
    uint64_t now = uv_hrtime();
    (void)t;
    if (R.phase == PH_CONNECT) {
        if (R.ready == R.agents + R.gateways) {
            R.phase = PH_LOAD;
            R.t0 = now;
            R.cpu0 = orcad_cpu_ticks();
            R.self_cpu0 = self_cpu();
            R.next_crash = next_kill(now);
        } else if (now > R.deadline) {
            fprintf(stderr, "loadtest: only %d of %d clients ready\n", R.ready, R.agents + R.gateways);
            R.errors++;
            finish();
        }
        return;
    }
    if (R.phase == PH_LOAD) {
        double el = (double)(now - R.t0) / 1e9;
        if (el >= R.duration_s) {
            R.phase = PH_DRAIN;
            R.deadline = now + (uint64_t)(R.duration_s + 20) * 1000000000ull;
            return;
        }
        if (R.crashes_left && now >= R.next_crash) {
            R.crashes_left--;
            R.kills++;
            crash_now();
            R.next_crash = next_kill(uv_hrtime());
            return;
        }
        uint64_t target = (uint64_t)(R.rate * el);
        while (R.sent < target && R.sent + 1 < R.cap) {
            peer *g = &R.gw[(R.sent + 1) % (uint64_t)R.gateways];
            if (!g->ready)
                break; /* reconnecting after a restart: the rate slips */
            uint64_t id = ++R.sent;
            R.ixs[id].t_send = uv_hrtime();
            R.ixs[id].gw = GW_SENT;
            send_enqueue(g, id);
        }
        return;
    }
    if (R.phase == PH_DRAIN) {
        int all_ready = R.ready == R.agents + R.gateways;
        /* every interaction ended and (crashes aside) every reply in */
        int replied = R.crashes || R.acked + R.refused >= R.sent;
        if ((R.ended >= R.sent && replied && all_ready) || now > R.deadline)
            verify();
        return;
    }
    if (R.phase == PH_VERIFY && (R.pos_wait <= 0 || now > R.deadline)) {
        if (R.pos_wait > 0) {
            fprintf(stderr, "loadtest: %d position queries unanswered\n", R.pos_wait);
            R.errors++;
        }
        finish();
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t pct(const uint64_t *v, uint64_t n, double q)
{
    if (!n)
        return 0;
    uint64_t k = (uint64_t)(q * (double)n);
    return v[k < n ? k : n - 1];
}

/* One run at one rate: a fresh orcad and data dir, clients, load, drain,
 * figures. Returns 0 when it went without errors. */
static int one_rate(double rate, FILE *csv)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", R.data);
    if (system(cmd) != 0)
        return -1;
    R.rate = rate;
    /* Agents at most half busy, so what is measured is orcad, not calls
     * waiting for a free agent: 1,000 agents for 50 ms take 20,000/s with
     * none to spare; at 20,000/s the handle time is 25 ms. */
    if (!R.handle_given)
        R.handle_ms = (int)(500.0 * R.agents / rate) < 50 ? (int)(500.0 * R.agents / rate) : 50;
    if (!R.handle_given && R.handle_ms < 1)
        R.handle_ms = 1;
    R.cap = (uint64_t)(rate * R.duration_s) + 16;
    R.ixs = calloc(R.cap, sizeof *R.ixs);
    R.lat = calloc(R.cap, sizeof *R.lat);
    R.ag = calloc((size_t)R.agents, sizeof *R.ag);
    R.gw = calloc((size_t)R.gateways, sizeof *R.gw);
    if (!R.ixs || !R.lat || !R.ag || !R.gw)
        return -1;
    R.sent = R.acked = R.refused = R.offers = R.ended = R.dup = R.errors = R.disconnects = R.lost = R.live_end = 0;
    R.ready = R.epoch = R.pos_wait = 0;
    R.crashes_left = R.crashes;
    R.kills = 0;
    R.t_last_offer = 0;
    if (start_orcad() != 0)
        return -1;
    R.phase = PH_CONNECT;
    R.deadline = uv_hrtime() + 30000000000ull;
    for (int k = 0; k < R.agents; k++) {
        R.ag[k].idx = k;
        uv_timer_init(R.loop, &R.ag[k].handle);
        R.ag[k].handle.data = &R.ag[k];
        connect_peer(&R.ag[k]);
    }
    for (int k = 0; k < R.gateways; k++) {
        R.gw[k].idx = k, R.gw[k].gateway = 1;
        connect_peer(&R.gw[k]);
    }
    uv_timer_start(&R.tick, on_tick, 1, 1);
    while (R.phase != PH_DONE)
        uv_run(R.loop, UV_RUN_ONCE);
    uint64_t t_end = uv_hrtime();
    double self = self_cpu() - R.self_cpu0;
    long ticks = orcad_cpu_ticks(), hwm = orcad_hwm_kib();
    if (!R.crashes)
        print_turns();
    if (stop_orcad(SIGTERM) != 0) {
        fprintf(stderr, "loadtest: orcad did not stop cleanly (log %s)\n", R.log);
        R.errors++;
    }
    for (int k = 0; k < R.agents; k++)
        uv_close((uv_handle_t *)&R.ag[k].handle, NULL);
    uv_run(R.loop, UV_RUN_DEFAULT); /* the closes */
    uv_timer_stop(&R.tick);

    /* Acknowledged and never ended nor live: lost (the position replies
     * counted ENOENT); acknowledged and live at the end: not served. */
    uint64_t unserved = 0;
    for (uint64_t id = 1; id <= R.sent; id++)
        if ((R.ixs[id].ok || R.ixs[id].t_offer) && R.ixs[id].ag != AG_ENDED)
            unserved++;
    uint64_t noreply = 0;
    for (uint64_t id = 1; id <= R.sent; id++)
        if (!R.ixs[id].ok && R.ixs[id].gw != GW_REFUSED)
            noreply++;
    if (noreply && !R.crashes)
        fprintf(stderr, "loadtest: %llu enqueues never answered\n", (unsigned long long)noreply);
    if (unserved)
        fprintf(stderr, "loadtest: %llu acknowledged interactions not served by the end of the drain\n",
                (unsigned long long)unserved);
    if (!R.crashes)
        R.errors += unserved + noreply; /* a lost offer or reply */
    if (R.crashes) {
        R.errors += R.lost + R.dup;
        if (R.kills != R.crashes) {
            fprintf(stderr, "loadtest: %d kills of %d asked for\n", R.kills, R.crashes);
            R.errors++;
        }
    }
    FILE *df = R.dump ? fopen(R.dump, "w") : NULL;
    for (uint64_t id = 1; df && id <= R.sent; id++)
        if (R.ixs[id].t_offer)
            fprintf(df, "%.3f %llu\n", (double)(R.ixs[id].t_send - R.t0) / 1e6,
                    (unsigned long long)(R.ixs[id].t_offer - R.ixs[id].t_send) / 1000);
    if (df)
        fclose(df);
    /* The enqueue's reply to the gateway: not in the CSV, printed. */
    uint64_t nack = 0;
    for (uint64_t id = 1; id <= R.sent; id++)
        if (R.ixs[id].t_ack)
            R.lat[nack++] = R.ixs[id].t_ack - R.ixs[id].t_send;
    qsort(R.lat, nack, sizeof *R.lat, cmp_u64);
    if (!R.crashes && nack)
        printf("  (%.0f/s, handle %d ms: enqueue -> its reply to the gateway: p50 %llu us, p99 %llu us,"
               " max %llu us; the driver's CPU %.1f%%)\n",
               rate, R.handle_ms, (unsigned long long)pct(R.lat, nack, .5) / 1000,
               (unsigned long long)pct(R.lat, nack, .99) / 1000,
               (unsigned long long)R.lat[nack - 1] / 1000,
               R.t0 ? 100.0 * self / ((double)(t_end - R.t0) / 1e9) : 0);
    nack = 0;
    for (uint64_t id = 1; id <= R.sent; id++)
        if (R.ixs[id].t_offer)
            R.lat[nack++] = R.ixs[id].t_offer - R.ixs[id].t_send;
    qsort(R.lat, R.offers, sizeof *R.lat, cmp_u64);
    double wall = R.t0 ? (double)(t_end - R.t0) / 1e9 : 1;
    double span = R.t_last_offer > R.t0 ? (double)(R.t_last_offer - R.t0) / 1e9 : wall;
    if (span < R.duration_s)
        span = R.duration_s;
    double achieved = (double)R.offers / span;
    long hz = sysconf(_SC_CLK_TCK);
    double cpu = ticks >= 0 && R.cpu0 >= 0 ? 100.0 * (double)(ticks - R.cpu0) / (double)hz / wall : -1;
    if (R.crashes) {
        printf("crash: %d kills at %.0f/s: %llu sent, %llu acknowledged, %llu ended, %llu live at the "
               "end, %llu lost, %llu offered twice, %llu errors\n",
               R.kills, rate, (unsigned long long)R.sent, (unsigned long long)R.acked,
               (unsigned long long)R.ended, (unsigned long long)R.live_end,
               (unsigned long long)R.lost, (unsigned long long)R.dup, (unsigned long long)R.errors);
    } else {
        printf("%8.0f %10.0f %8.1f %9llu %9llu %6llu %8llu %8llu %8llu %8llu %9ld %6.1f\n", rate,
               achieved, (double)R.duration_s, (unsigned long long)R.sent,
               (unsigned long long)R.offers, (unsigned long long)R.errors,
               (unsigned long long)pct(R.lat, R.offers, .5) / 1000,
               (unsigned long long)pct(R.lat, R.offers, .99) / 1000,
               (unsigned long long)pct(R.lat, R.offers, .999) / 1000,
               (unsigned long long)(R.offers ? R.lat[R.offers - 1] / 1000 : 0), hwm, cpu);
        fflush(stdout);
        if (csv)
            fprintf(csv, "ws,%d,%.0f,%.0f,%d,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%ld,%.1f\n",
                    R.agents, rate, achieved, R.duration_s, (unsigned long long)R.sent,
                    (unsigned long long)R.offers, (unsigned long long)R.errors,
                    (unsigned long long)pct(R.lat, R.offers, .5) / 1000,
                    (unsigned long long)pct(R.lat, R.offers, .99) / 1000,
                    (unsigned long long)pct(R.lat, R.offers, .999) / 1000,
                    (unsigned long long)(R.offers ? R.lat[R.offers - 1] / 1000 : 0), hwm, cpu);
    }
    (void)ms;
    int bad = R.errors != 0;
    free(R.ixs), free(R.lat), free(R.ag), free(R.gw);
    R.ixs = NULL, R.lat = NULL, R.ag = NULL, R.gw = NULL;
    return bad ? 1 : 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: loadtest --orcad PATH [--agents N] [--gateways G] [--rates R1,R2,...]\n"
            "                [--duration S] [--handle-ms MS] [--csv FILE] [--quick]\n"
            "                [--crash K [--rate R]] [--sync never|interval|every] [--verbose]\n"
            "                [--dump FILE] [--all-outcomes] [--redis HOST:PORT/KEY [--ack MODE]]\n"
            "Defaults: 1000 agents, 4 gateways, rates 1000,5000,10000,20000 per second,\n"
            "10 s each, handle time 50 ms or less (agents at most half busy: 25 ms at\n"
            "20,000/s), CSV bench/results/e2e.csv. --quick: 2 s at\n"
            "1000 and 5000/s, no CSV unless --csv. --crash K: one run (default 1000/s,\n"
            "10 s) with K kill -9 of orcad; checks nothing acknowledged is lost or\n"
            "offered twice. --sync: the journal's sync policy (default interval, 1 s)\n"
            "(--wipe-journal deletes the journal at each kill: the\n"
            "checks must then fail). --verbose: orcad's pid (for perf -p). --dump: each\n"
            "offered interaction's send time (ms from the start) and latency (us).\n"
            "Gateways ask for the accepted outcome only (what a voice gateway bridges\n"
            "on); --all-outcomes: every one, orcad's default (4 events per call).\n"
            "--redis, --ack: orcad ships its journal to that Redis (already running)\n"
            "with that acknowledgement mode (README, \"Two servers\").\n"
            "Exit status 1 on any error.\n");
}

static int parse_rates(const char *s)
{
    R.nrates = 0;
    while (*s && R.nrates < MAX_RATES) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || v <= 0)
            return -1;
        R.rates[R.nrates++] = v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return R.nrates ? 0 : -1;
}

int main(int argc, char **argv)
{
    int quick = 0, csv_given = 0;
    R.agents = 1000, R.gateways = 4, R.duration_s = 10, R.handle_ms = 50;
    R.csv = "bench/results/e2e.csv";
    R.sync = "interval";
    parse_rates("1000,5000,10000,20000");
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;
        if (!strcmp(a, "--quick")) {
            quick = 1;
        } else if (v && !strcmp(a, "--orcad")) {
            R.orcad = v, k++;
        } else if (v && !strcmp(a, "--agents")) {
            R.agents = atoi(v), k++;
        } else if (v && !strcmp(a, "--gateways")) {
            R.gateways = atoi(v), k++;
        } else if (v && (!strcmp(a, "--rates") || !strcmp(a, "--rate"))) {
            if (parse_rates(v) != 0) {
                usage();
                return 2;
            }
            k++;
        } else if (v && !strcmp(a, "--duration")) {
            R.duration_s = atoi(v), k++;
        } else if (v && !strcmp(a, "--handle-ms")) {
            R.handle_ms = atoi(v), R.handle_given = 1, k++;
        } else if (v && !strcmp(a, "--csv")) {
            R.csv = v, csv_given = 1, k++;
        } else if (v && !strcmp(a, "--dump")) {
            R.dump = v, k++;
        } else if (v && !strcmp(a, "--sync")) {
            R.sync = v, k++;
        } else if (v && !strcmp(a, "--redis")) {
            R.redis = v, k++;
        } else if (v && !strcmp(a, "--ack")) {
            R.ack = v, k++;
        } else if (!strcmp(a, "--wipe-journal")) {
            R.wipe = 1; /* with --crash: must fail (a test of the checks) */
        } else if (!strcmp(a, "--all-outcomes")) {
            R.all_outcomes = 1;
        } else if (!strcmp(a, "--verbose")) {
            R.verbose = 1;
        } else if (v && !strcmp(a, "--crash")) {
            R.crashes = atoi(v), k++;
        } else {
            usage();
            return 2;
        }
    }
    if (quick) {
        R.duration_s = 2;
        if (R.nrates == 4)
            parse_rates("1000,5000");
    }
    if (R.crashes && R.nrates != 1)
        parse_rates("1000");
    if (!R.orcad || R.agents < 1 || R.agents > 100000 || R.gateways < 1 || R.gateways > 64 ||
        R.duration_s < 1 || R.duration_s > 600 || R.handle_ms < 0 || R.crashes < 0 ||
        R.crashes > 100) {
        usage();
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    R.seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    snprintf(R.dir, sizeof R.dir, "%s/orca-loadtest.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(R.dir)) {
        perror("loadtest: mkdtemp");
        return 1;
    }
    snprintf(R.conf, sizeof R.conf, "%s/orcad.conf", R.dir);
    snprintf(R.data, sizeof R.data, "%s/data", R.dir);
    snprintf(R.log, sizeof R.log, "%s/orcad.log", R.dir);
    R.port = free_port();
    R.addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)R.port),
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (R.port <= 0 || write_config() != 0) {
        fprintf(stderr, "loadtest: no port or config in %s\n", R.dir);
        return 1;
    }
    R.loop = uv_default_loop();
    uv_timer_init(R.loop, &R.tick);
    FILE *csv = NULL;
    if (!R.crashes && (!quick || csv_given)) {
        if (!(csv = fopen(R.csv, "w"))) {
            perror(R.csv);
            return 1;
        }
        fprintf(csv, "transport,agents,target_per_s,achieved_per_s,duration_s,interactions,offers,"
                     "errors,p50_us,p99_us,p999_us,max_us,orcad_peak_rss_kib,orcad_cpu_pct\n");
    }
    if (!R.crashes)
        printf("orcad end to end: %d agents, %d gateways (outcomes: %s), handle %s, loopback "
               "WebSocket\n"
               "  rate/s  achieved/s  dur_s   enqueued    offers errors   p50_us   p99_us  p999_us   "
               "max_us  rss_kib  cpu%%\n",
               R.agents, R.gateways, R.all_outcomes ? "all" : "accepted",
               R.handle_given ? "as given" : "50 ms or less (agents at most half busy)");
    int bad = 0;
    for (int k = 0; k < R.nrates; k++) {
        int rc = one_rate(R.rates[k], csv);
        if (rc < 0) {
            fprintf(stderr, "loadtest: the run at %.0f/s could not start (log %s)\n", R.rates[k], R.log);
            bad = 1;
            break;
        }
        bad |= rc;
    }
    if (csv) {
        fclose(csv);
        printf("written: %s\n", R.csv);
    }
    uv_close((uv_handle_t *)&R.tick, NULL);
    uv_run(R.loop, UV_RUN_DEFAULT);
    uv_loop_close(R.loop);
    if (!bad) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", R.dir);
        if (system(cmd) != 0)
            fprintf(stderr, "loadtest: could not remove %s\n", R.dir);
    } else {
        fprintf(stderr, "loadtest: FAILED (orcad's log and config kept in %s)\n", R.dir);
    }
    return bad;
}
