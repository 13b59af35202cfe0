/*
 * demo.c: one simulated hour of an omnichannel contact centre.
 *
 * 50 agents (voice, digital, blended, senior), five queues on voice, chat and
 * email, Poisson arrivals, lognormal handle times, customers who give up,
 * agents who ring, reject, miss offers and take breaks. It runs on orca's
 * virtual clock: the host keeps a min-heap of its own future events and
 * advances the engine to whichever comes first, its next event or the
 * engine's next deadline. The figures come from orca_stats, a listener of
 * the engine's events: the table at the end, the last 15 minutes, how many
 * agents each voice queue needs now, and a JSON snapshot for a dashboard.
 * At 09:44 the host reads the engine as an IVR (each waiting customer's
 * place in line and estimated wait) and a supervisor's screen (agents
 * paged by a cursor, a blended agent's work, the queues) would.
 *
 *   demo [--seed N] [--check] [--snapshot FILE]
 *     --check: orca_engine_check() at every step
 *     --snapshot: where the JSON snapshot goes (default demo-snapshot.json)
 *
 * stdout depends only on the seed; the wall time goes to stderr.
 */
#include <orca.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEC 1000ull
#define MIN (60 * SEC)
#define T0 (9 * 60 * MIN)          /* the clock starts at 09:00 */
#define T1 (T0 + 60 * MIN)         /* arrivals stop at 10:00 */
#define TM (T0 + 44 * MIN)         /* the IVR's and supervisor's moment */
#define NAGENTS 50
#define NQUEUES 5
#define NCH 3                      /* voice, chat, email: built-in ids 0..2 */
#define REASON_BREAK 1             /* our NOT_READY reason code */

#define CHECK(call) do { int rc_ = (call); if (rc_ != ORCA_OK) { fprintf(stderr, \
    "demo:%d: %s: %s\n", __LINE__, #call, orca_strerror(rc_)); exit(1); } } while (0)

/* ---- the centre ---------------------------------------------------------- */

enum { S_EN, S_FR, S_DE, S_SALES, S_SUPPORT, S_MOBILE, S_BROADBAND, NSKILLS };
static const char *const skill_names[NSKILLS] =
    { "en", "fr", "de", "sales", "support", "mobile", "broadband" };

/* Each queue: its traffic (arrivals per hour, median handle time, mean
 * patience; 0: never gives up), the work's priority, the product and support
 * levels it requires (product 0: preferred at 4; support 0: none), and
 * engine settings. Routing steps are in add_queues(). */
typedef struct qspec {
    const char *name;
    orca_channel_id ch;
    double per_hour, handle_s, patience_s;
    uint32_t priority;
    uint8_t product, support;
    orca_strategy strategy;
    uint32_t sla_s, max_wait_s, offer_timeout_s;
    orca_queue_id id;          /* given by the engine */
} qspec;

static qspec queues[NQUEUES] = {   /* sales calls go to voicemail after 4 minutes */
    { "sales.voice",   ORCA_CHANNEL_VOICE, 100, 200, 120,  0, 2, 0,
      ORCA_STRATEGY_LONGEST_IDLE,     20,   240,  0, 0 },
    { "support.voice", ORCA_CHANNEL_VOICE, 150, 270, 150,  0, 3, 4,
      ORCA_STRATEGY_MOST_PROFICIENT,  30,     0,  0, 0 },
    { "vip.voice",     ORCA_CHANNEL_VOICE,  20, 300, 240, 10, 0, 0,
      ORCA_STRATEGY_LONGEST_IDLE,     10,     0,  0, 0 },
    { "support.chat",  ORCA_CHANNEL_CHAT,  180, 480, 240,  0, 3, 3,
      ORCA_STRATEGY_LEAST_OCCUPIED,   60,     0, 30, 0 },
    { "email",         ORCA_CHANNEL_EMAIL, 120, 240,   0,  0, 0, 0,
      ORCA_STRATEGY_FEWEST_HANDLED, 3600, 28800, 90, 0 },
};

/* Agent groups by id range: base sales/support levels (0: none), the
 * channels they take, and their tier on the VIP line (-1: not a member). */
enum { L_VOICE, L_DIGITAL, L_ALL };
static const struct group {
    const char *name;
    uint64_t first, last;
    uint8_t sales, support;
    int limits, vip_tier;
} groups[] = {
    { "senior (vip, sales, support)", 1, 5, 4, 5, L_VOICE, 0 },
    { "sales voice", 6, 17, 2, 0, L_VOICE, -1 },
    { "support voice", 18, 33, 0, 2, L_VOICE, 1 },    /* tier 1: support level >= 3 only */
    { "digital (3 chats + 5 emails)", 34, 45, 0, 2, L_DIGITAL, -1 },
    { "blended (voice, chat, email)", 46, 50, 3, 3, L_ALL, 2 },
};
#define NGROUPS (int)(sizeof groups / sizeof groups[0])

/* Breaks: agent, start (minutes after 09:00), length (minutes). */
static const struct { uint64_t agent; int at, len; } breaks[] =
    { { 20, 15, 15 }, { 9, 30, 10 }, { 38, 40, 15 } };

/* ---- simulation state ---------------------------------------------------- */

enum { H_ARRIVAL, H_PATIENCE, H_ANSWER, H_REJECT, H_HANGUP, H_BREAK, H_READY };
typedef struct hev { uint64_t t, seq, id; uint32_t kind, arg; } hev;   /* host event */

typedef struct sim {
    orca_engine *e;
    uint64_t rng, seq, next_id, last_t;
    hev *heap;                 /* min-heap on (t, seq) */
    size_t n, cap;
    orca_skill_id sk[NSKILLS];
    orca_stats *stats;
    uint64_t no_answer;
} sim;

static int before(const hev *a, const hev *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void push(sim *s, uint64_t t, uint32_t kind, uint64_t id, uint32_t arg)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        hev *p = realloc(s->heap, s->cap * sizeof *p);
        if (!p) { perror("demo"); exit(1); }
        s->heap = p;
    }
    hev x = { t, ++s->seq, id, kind, arg };
    size_t i = s->n++;
    for (; i > 0 && before(&x, &s->heap[(i - 1) / 2]); i = (i - 1) / 2)
        s->heap[i] = s->heap[(i - 1) / 2];
    s->heap[i] = x;
}

static hev pop(sim *s)
{
    hev top = s->heap[0], x = s->heap[--s->n];
    size_t i = 0, c;
    for (; (c = 2 * i + 1) < s->n; i = c) {
        if (c + 1 < s->n && before(&s->heap[c + 1], &s->heap[c])) c++;
        if (!before(&s->heap[c], &x)) break;
        s->heap[i] = s->heap[c];
    }
    s->heap[i] = x;
    return top;
}

/* splitmix64: every draw comes from here, so a seed replays a run exactly. */
static double uniform(sim *s)  /* in (0, 1) */
{
    uint64_t z = (s->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1p-53 + 0x1p-54;
}
static uint64_t expo_ms(sim *s, double mean_s)
{
    return (uint64_t)(-mean_s * log(uniform(s)) * 1000);
}
static uint64_t between_ms(sim *s, double lo, double hi)
{
    return (uint64_t)((lo + (hi - lo) * uniform(s)) * 1000);
}
static uint64_t lognormal_ms(sim *s, double median_s)
{
    double z = sqrt(-2 * log(uniform(s))) * cos(6.283185307179586 * uniform(s));
    return (uint64_t)(median_s * exp(0.5 * z) * 1000);
}

static qspec *spec_of(orca_queue_id id)
{
    for (int k = 0; k < NQUEUES; k++)
        if (queues[k].id == id) return &queues[k];
    return NULL;
}

/* ---- a supervisor ---------------------------------------------------------- */

/* A second listener plays supervisor: an agent the engine set NOT_READY for
 * missing offers is made READY again two minutes later. Listeners must not
 * call the engine, so it schedules a host event. */
static void on_supervise(void *data, const orca_event *ev)
{
    sim *s = data;
    if (ev->type == ORCA_EV_AGENT_PRESENCE && ev->presence == ORCA_PRESENCE_NOT_READY &&
        ev->reason == ORCA_REASON_NO_ANSWER) {
        s->no_answer++;
        push(s, ev->time_ms + 2 * MIN, H_READY, ev->agent, 0);
    }
}

/* ---- agents answering ---------------------------------------------------- */

/* The engine chose an agent. The simulated agent answers after ringing a
 * while; 3% of offers are rejected, 4% never answered (the engine's offer
 * timeout takes them back). */
static void on_offer(void *data, const orca_offer *o)
{
    static const double ring_s[NCH][2] = { { 2, 8 }, { 3, 15 }, { 10, 60 } };
    sim *s = data;
    double r = uniform(s);
    if (r < 0.03)
        push(s, o->offered_ms + between_ms(s, 2, 5), H_REJECT, o->interaction, o->attempt);
    else if (r >= 0.07)
        push(s, o->offered_ms + between_ms(s, ring_s[o->channel][0], ring_s[o->channel][1]),
             H_ANSWER, o->interaction, o->attempt);
}

/* ---- building the centre ------------------------------------------------- */

static void add_queues(sim *s)
{
    const orca_skill_id *k = s->sk;
    const orca_skill_level sales[] = { { k[S_SALES], 1 } }, support[] = { { k[S_SUPPORT], 1 } };
    /* A bullseye: support calls first go to experienced agents (support
     * level 4); after 10 s level 2 will do; after 60 s any support agent.
     * Chats want level 3 for a minute. */
    const orca_step voice_steps[] = { { 10000, ORCA_STEP_SET_LEVEL, k[S_SUPPORT], 2 },
                                      { 60000, ORCA_STEP_DROP_REQUIRED, k[S_SUPPORT], 0 } };
    const orca_step chat_steps[] = { { 60000, ORCA_STEP_DROP_REQUIRED, k[S_SUPPORT], 0 } };
    for (int i = 0; i < NQUEUES; i++) {
        orca_queue_def d;
        orca_queue_def_init(&d);
        d.name = queues[i].name;
        d.strategy = queues[i].strategy;
        d.serve = i == 2 ? ORCA_SERVE_MEMBERS : ORCA_SERVE_SKILLS; /* VIP: members, by tier */
        d.skills = i == 0 ? sales : support;    /* others: anyone with "sales"/"support" */
        d.nskills = 1;
        d.sla_ms = queues[i].sla_s * 1000;
        d.max_wait_ms = queues[i].max_wait_s * 1000;
        d.offer_timeout_ms = queues[i].offer_timeout_s * 1000;   /* 0: the engine's */
        if (i == 1) {                           /* support calls: +1 priority a minute */
            d.steps = voice_steps;
            d.nsteps = 2;
            d.aging_ms = 60000;
            d.aging_max = 5;
        }
        if (i == 3) {
            d.steps = chat_steps;
            d.nsteps = 1;
        }
        if (i == 2) d.wrapup_ms = 60000;        /* instead of the channel's 30 s */
        CHECK(orca_queue_add(s->e, &d, &queues[i].id));
    }
}

static void add_agents(sim *s)
{
    static const orca_channel_limit limits[] =   /* 1 call; or 3 chats and 5 emails */
        { { ORCA_CHANNEL_VOICE, 1 }, { ORCA_CHANNEL_CHAT, 3 }, { ORCA_CHANNEL_EMAIL, 5 } };
    for (int g = 0; g < NGROUPS; g++) {
        const struct group *gr = &groups[g];
        for (uint64_t id = gr->first; id <= gr->last; id++) {
            /* Everyone speaks English, every 4th French, every 5th German;
             * product levels 1..5 vary with the id, each agent has one >= 3. */
            uint8_t p = (uint8_t)(id * 3 % 5), lv[NSKILLS] = {
                (uint8_t)(3 + id % 3), id % 4 == 0 ? 4 : 0, id % 5 == 0 ? 4 : 0,
                gr->sales ? (uint8_t)(gr->sales + id % 3) : 0,
                gr->support ? (uint8_t)(gr->support + id % 3) : 0,
                (uint8_t)(1 + p), (uint8_t)(1 + (p + 2) % 5) };
            orca_skill_level sl[NSKILLS];
            uint32_t n = 0;
            for (int k = 0; k < NSKILLS; k++)
                if (lv[k]) sl[n++] = (orca_skill_level){ s->sk[k], lv[k] };
            orca_agent_def d;
            orca_agent_def_init(&d);      /* capacity 100: call 100, chat 25, email 10 */
            d.id = id;
            d.skills = sl;
            d.nskills = n;
            d.limits = gr->limits == L_DIGITAL ? limits + 1 : limits;
            d.nlimits = gr->limits == L_VOICE ? 1 : gr->limits == L_DIGITAL ? 2 : 3;
            CHECK(orca_agent_add(s->e, &d));
            if (gr->vip_tier >= 0 && (g != 2 || id % 3 != 0))
                CHECK(orca_queue_member_add(s->e, queues[2].id, id, (uint32_t)gr->vip_tier));
            if (gr->limits == L_ALL)      /* blended: calls, then chats, then emails */
                for (int k = 0; k < NQUEUES; k++)
                    CHECK(orca_agent_set_queue_rank(s->e, id, queues[k].id, queues[k].ch));
            CHECK(orca_agent_set_presence(s->e, id, ORCA_PRESENCE_READY, 0));
        }
    }
}

/* ---- host events --------------------------------------------------------- */

static void arrive(sim *s, uint64_t now, int qi)
{
    const qspec *q = &queues[qi];
    double r = uniform(s);
    orca_skill_id lang = s->sk[r < 0.80 ? S_EN : r < 0.92 ? S_FR : S_DE];
    orca_skill_id product = s->sk[uniform(s) < 0.5 ? S_MOBILE : S_BROADBAND];
    orca_skill_level req[3] = { { lang, 3 } }, pref = { product, 4 };
    uint32_t n = 1;
    if (q->product) req[n++] = (orca_skill_level){ product, q->product };
    if (q->support) req[n++] = (orca_skill_level){ s->sk[S_SUPPORT], q->support };
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = ++s->next_id;
    d.queue = q->id;
    d.channel = q->ch;
    d.customer = 1 + (uint64_t)(uniform(s) * 50000);
    d.priority = q->priority;
    d.required = req;                  /* language, product, support level */
    d.nrequired = n;
    d.preferred = &pref;               /* no product required: preferred */
    d.npreferred = q->product ? 0 : 1;
    CHECK(orca_interaction_enqueue(s->e, &d));   /* may offer at once */
    if (q->patience_s > 0)
        push(s, now + expo_ms(s, q->patience_s), H_PATIENCE, d.id, 0);
    uint64_t next = now + expo_ms(s, 3600 / q->per_hour);
    if (next < T1) push(s, next, H_ARRIVAL, (uint64_t)qi, 0);
}

static void handle(sim *s, const hev *h)
{
    orca_interaction_info in;
    orca_agent_info ai;
    /* An answer only counts if its offer still stands: the customer may have
     * left, or the offer timed out and went to someone else (new attempt). */
    int live = h->kind >= H_PATIENCE && h->kind <= H_REJECT &&     /* id: an interaction */
               orca_interaction_info_get(s->e, h->id, &in) == ORCA_OK;
    int offer_stands = live && in.state == ORCA_STATE_OFFERED && in.attempts == h->arg;
    switch (h->kind) {
    case H_ARRIVAL: arrive(s, h->t, (int)h->id); break;
    case H_PATIENCE:           /* gives up unless an agent has taken it */
        if (live && (in.state == ORCA_STATE_WAITING || in.state == ORCA_STATE_OFFERED))
            CHECK(orca_interaction_abandon(s->e, h->id));
        break;
    case H_ANSWER:
        if (!offer_stands) break;
        CHECK(orca_offer_accept(s->e, h->id));
        push(s, h->t + lognormal_ms(s, spec_of(in.queue)->handle_s), H_HANGUP, h->id, 0);
        break;
    case H_REJECT:
        if (offer_stands) CHECK(orca_offer_reject(s->e, h->id));
        break;
    case H_HANGUP: CHECK(orca_interaction_end(s->e, h->id)); break;
    case H_BREAK:
        CHECK(orca_agent_set_presence(s->e, h->id,
                                      h->arg ? ORCA_PRESENCE_NOT_READY : ORCA_PRESENCE_READY,
                                      h->arg ? REASON_BREAK : 0));
        break;
    case H_READY:
        CHECK(orca_agent_info_get(s->e, h->id, &ai));
        if (ai.presence == ORCA_PRESENCE_NOT_READY && ai.reason == ORCA_REASON_NO_ANSWER)
            CHECK(orca_agent_set_presence(s->e, h->id, ORCA_PRESENCE_READY, 0));
        break;
    }
}

/* ---- report -------------------------------------------------------------- */

static void write_file(void *data, const char *text, size_t len)
{
    fwrite(text, 1, len, data);
}

static const char *dur(char buf[24], uint64_t ms)   /* "9s", "4m37s", "60m" */
{
    unsigned long long sec = (ms + 500) / 1000;
    if (sec < 60) snprintf(buf, 24, "%llus", sec);
    else if (sec % 60 == 0) snprintf(buf, 24, "%llum", sec / 60);
    else snprintf(buf, 24, "%llum%02llus", sec / 60, sec % 60);
    return buf;
}

typedef unsigned long long ull;

static void row(const char *name, const char *ch, const orca_figures *f, uint32_t sla_s)
{
    char b1[24], b2[24], b3[24], b4[24] = "";
    printf("%-14s %-5s %7llu %8llu %9llu %9llu %6s %7s %6.1f%% %6s %6s\n", name, ch,
           (ull)f->entered, (ull)f->answered, (ull)f->abandoned, (ull)f->timed_out,
           dur(b1, (uint64_t)f->asa_ms), dur(b2, f->wait_p90_ms), 100 * f->service_level,
           sla_s ? dur(b4, sla_s * SEC) : "", dur(b3, (uint64_t)f->aht_ms));
}

static void table(sim *s, orca_span span)
{
    orca_figures f;
    printf("%-14s %-5s %7s %8s %9s %9s %6s %7s %7s %6s %6s\n", "queue", "chan", "entered",
           "answered", "abandoned", "timed out", "ASA", "p90", "SL", "target", "AHT");
    for (int k = 0; k < NQUEUES; k++) {
        CHECK(orca_stats_queue(s->stats, queues[k].id, span, &f));
        row(queues[k].name, orca_channel_name(s->e, queues[k].ch), &f, queues[k].sla_s);
    }
    for (orca_channel_id c = 0; c < NCH; c++) {
        CHECK(orca_stats_channel(s->stats, c, span, &f));
        row(c ? "" : "by channel:", orca_channel_name(s->e, c), &f, 0);
    }
    CHECK(orca_stats_total(s->stats, span, &f));
    row("all", "", &f, 0);
}

/* One group's fairness over the day: the spread of occupancy (busy time
 * per ready hour) and of handled work across its agents. */
static void fairness_line(sim *s, const char *name, orca_group g, uint64_t id)
{
    orca_fairness fr;
    char ratio[16] = "-";
    CHECK(orca_stats_fairness(s->stats, g, id, ORCA_SPAN_TOTAL, &fr));
    if (fr.occ_ratio > 0)
        snprintf(ratio, sizeof ratio, "%.1f", fr.occ_ratio);
    printf("  %-14s fairness: occupancy spread Gini %.2f, max/min %s (%2u agents); "
           "handled Gini %.2f\n", name, fr.occ_gini, ratio, fr.agents, fr.handled_gini);
}

static void report(sim *s)
{
    orca_figures f;
    printf("\nsince 09:00\n");
    table(s, ORCA_SPAN_TOTAL);
    printf("\nentered: started waiting in the queue. ASA: average wait of answered work.\n"
           "p90: 90%% of answered work waited at most this. SL: answered within the\n"
           "queue's target / (answered + abandoned after 5 s). AHT: talk + wrap-up.\n");
    CHECK(orca_stats_total(s->stats, ORCA_SPAN_TOTAL, &f));
    printf("\noffers to agents: %llu; %llu accepted, %llu rejected, %llu not answered in time,\n"
           "%llu withdrawn as the customer left; agents set NOT_READY after 2 misses: %llu\n",
           (ull)f.offers, (ull)f.accepted, (ull)f.rejected, (ull)f.offer_timeouts,
           (ull)(f.offers - f.accepted - f.rejected - f.offer_timeouts), (ull)s->no_answer);
    printf("occupancy (time with work / time ready or with work): %.1f%%\n",
           100 * f.occupancy);
    printf("\noccupancy by agent group\n  %-30s %6s %6s %6s %6s\n", "agents", "count", "avg",
           "min", "max");
    for (int g = 0; g < NGROUPS; g++) {
        double sum = 0, lo = 1, hi = 0;
        for (uint64_t id = groups[g].first; id <= groups[g].last; id++) {
            orca_agent_figures af;
            CHECK(orca_stats_agent(s->stats, id, ORCA_SPAN_TOTAL, &af));
            sum += af.occupancy;
            lo = fmin(lo, af.occupancy);
            hi = fmax(hi, af.occupancy);
        }
        int n = (int)(groups[g].last - groups[g].first + 1);
        printf("  %-30s %6d %5.1f%% %5.1f%% %5.1f%%\n", groups[g].name, n, 100 * sum / n,
               100 * lo, 100 * hi);
    }
    printf("\nfairness since 09:00: how evenly the work fell on each queue's agents\n");
    for (int k = 0; k < NQUEUES; k++)
        fairness_line(s, queues[k].name, ORCA_GROUP_QUEUE, queues[k].id);
    fairness_line(s, "all", ORCA_GROUP_ALL, 0);
    printf("Gini: 0 when every agent was equally busy per hour ready, towards 1 when a\n"
           "few did the work; max/min: the busiest agent's occupancy over the least busy's.\n");
    orca_counts c;
    CHECK(orca_engine_counts(s->e, &c));
    ull t = s->last_t / 1000;
    printf("\nlast work done %02llu:%02llu:%02llu; %llu interactions, %llu engine events, "
           "%u live; check: %s\n", t / 3600, t / 60 % 60, t % 60, (ull)s->next_id,
           (ull)c.events, (unsigned)c.interactions,
           orca_engine_check(s->e) == ORCA_OK ? "ok" : "FAILED");
}

/* What a wallboard shows at 10:00, as arrivals stop: the last 15 minutes,
 * staffing for the current load, and the JSON snapshot behind it. */
static void report_live(sim *s, const char *snapshot)
{
    orca_figures now;
    char b1[24];
    CHECK(orca_stats_total(s->stats, ORCA_SPAN_WINDOW, &now));
    printf("\n10:00: %u waiting, the longest for %s; the last 15 minutes:\n", now.waiting,
           dur(b1, now.longest_wait_ms));
    table(s, ORCA_SPAN_WINDOW);
    printf("\nstaffing at 10:00: Erlang C at the last 15 minutes' load, for 80%% within each\n"
           "queue's target (chat and email: agent slots, as an agent takes several at once)\n");
    for (int k = 0; k < NQUEUES; k++) {
        double lambda, h;
        uint32_t need;
        orca_erlang er;
        if (orca_stats_load(s->stats, queues[k].id, &lambda, &h) != ORCA_OK ||
            orca_stats_agents_needed(s->stats, queues[k].id, queues[k].sla_s, 0.8, &need,
                                     &er) != ORCA_OK)
            continue;
        printf("  %-14s %5.2f/min, handle %4.0fs: %3u agents for 80%% in %us\n",
               queues[k].name, lambda * 60, h, need, queues[k].sla_s);
    }
    FILE *out = fopen(snapshot, "w");
    if (out) {
        CHECK(orca_stats_snapshot_json(s->stats, write_file, out));
        fclose(out);
        printf("the same as JSON, for a dashboard: %s\n", snapshot);
    } else {
        printf("snapshot: cannot write %s\n", snapshot);
    }
}

/* ---- a moment in the day: the IVR and the supervisor's screen ------------- */

/* What the IVR tells each caller waiting on the voice lines, in the order
 * the queue will hand them out: their place (orca_interaction_position,
 * O(log n): no scan, even with 100,000 callers) and an estimated wait from
 * the answer rate of the last 15 minutes. A real IVR repeats this every
 * 30 s or so; the demo prints it once. */
static void ivr_announce(sim *s)
{
    char b1[24];
    printf("\n09:44, the IVR: what callers and chatters waiting hear\n");
    for (int k = 0; k < NQUEUES; k++) {
        if (queues[k].ch == ORCA_CHANNEL_EMAIL) continue;     /* no one to tell */
        orca_cursor c = {0};
        orca_interaction_info page[8];
        uint32_t n;
        /* the whole queue, a page at a time, in routing order */
        do {
            CHECK(orca_queue_waiting_list(s->e, queues[k].id, &c, page, 8, &n));
            for (uint32_t i = 0; i < n; i++) {
                uint32_t ahead, waiting;
                uint64_t ewt;
                CHECK(orca_interaction_position(s->e, page[i].id, &ahead, &waiting));
                printf("  %-14s %s %-4llu you are number %u of %u in line", queues[k].name,
                       orca_channel_name(s->e, page[i].channel), (ull)page[i].id, ahead + 1,
                       waiting);
                if (orca_stats_ewt_interaction(s->stats, page[i].id, &ewt) == ORCA_OK)
                    printf(", about %s", dur(b1, ewt));
                printf("\n");
            }
        } while (n == 8);
        uint64_t ewt;      /* what the next one to arrive hears */
        if (orca_stats_ewt(s->stats, queues[k].id, &ewt) == ORCA_OK)
            printf("  %-14s %s: about %s\n", queues[k].name,
                   queues[k].ch == ORCA_CHANNEL_VOICE ? "the next caller" : "the next chat",
                   dur(b1, ewt));
    }
}

/* What a supervisor's screen shows: every agent (listed a page at a time,
 * in id order) summed by state, the first page in detail, one blended
 * agent's work, and each queue's waiting count and oldest wait. */
static void supervisor_screen(sim *s, uint64_t now)
{
    static const char *const presence[] = { "offline", "ready", "not ready" };
    char b1[24];
    orca_cursor c = {0};
    orca_agent_info page[5], first[5];
    uint32_t n, nfirst = 0, with_work = 0, idle = 0, away = 0;
    do {
        CHECK(orca_agent_list(s->e, &c, page, 5, &n));
        if (!nfirst) memcpy(first, page, (nfirst = n) * sizeof *page);
        for (uint32_t i = 0; i < n; i++) {
            if (page[i].offered + page[i].busy + page[i].wrapup) with_work++;
            else if (page[i].presence == ORCA_PRESENCE_READY) idle++;
            else away++;
        }
    } while (n == 5);
    printf("\n09:44, the supervisor: %u agents with work, %u ready and idle, %u away;"
           " the first page:\n", with_work, idle, away);
    for (uint32_t i = 0; i < nfirst; i++)
        printf("  agent %llu: %-9s %u offered, %u busy, %u in wrap-up, %2u handled\n",
               (ull)first[i].id, presence[first[i].presence], first[i].offered,
               first[i].busy, first[i].wrapup, first[i].handled);
    orca_cursor w = {0};
    orca_interaction_info work[8];
    CHECK(orca_agent_work_list(s->e, groups[NGROUPS - 1].first, &w, work, 8, &n));
    printf("  blended agent %llu holds:", (ull)groups[NGROUPS - 1].first);
    for (uint32_t i = 0; i < n; i++)
        printf(" %s %llu%s", orca_channel_name(s->e, work[i].channel), (ull)work[i].id,
               work[i].state == ORCA_STATE_WRAPUP ? " (wrap-up)" : "");
    printf("%s\n", n ? "" : " nothing");
    for (int k = 0; k < NQUEUES; k++) {
        orca_queue_info qi;
        CHECK(orca_queue_info_get(s->e, queues[k].id, &qi));
        printf("  %-14s %u waiting", orca_queue_name(s->e, qi.id), qi.waiting);
        if (qi.waiting) printf(", the oldest for %s", dur(b1, now - qi.oldest_arrival_ms));
        printf("\n");
    }
}

/* ---- main: set up, run the event loop, report ---------------------------- */

int main(int argc, char **argv)
{
    static sim s;
    uint64_t seed = 42;
    int check = 0, live_done = 0, moment_done = 0;
    const char *snapshot = "demo-snapshot.json";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--check")) check = 1;
        else if (!strcmp(argv[i], "--snapshot") && i + 1 < argc) snapshot = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--seed N] [--check] [--snapshot FILE]\n", argv[0]);
            return 2;
        }
    }
    struct timespec w0, w1;
    clock_gettime(CLOCK_MONOTONIC, &w0);
    s.rng = seed;

    orca_config cfg;
    orca_config_init(&cfg);
    cfg.start_ms = T0;
    cfg.seed = seed;
    cfg.offer_timeout_ms = 15000;      /* queues may set their own */
    cfg.no_answer_limit = 2;           /* two missed offers in a row: NOT_READY */
    CHECK(orca_engine_new(&cfg, &s.e));
    orca_stats_config sc = { .window_ms = 15 * MIN, .window_slots = 15 };
    CHECK(orca_stats_new(s.e, &sc, &s.stats));   /* the figures: a listener */
    CHECK(orca_listener_add(s.e, on_supervise, &s, NULL));
    const orca_channel_callbacks cb = { .offer = on_offer };
    static const uint32_t wrapup_s[NCH] = { 30, 10, 20 };
    for (orca_channel_id c = 0; c < NCH; c++) {
        CHECK(orca_channel_set_callbacks(s.e, c, &cb, &s));
        CHECK(orca_channel_set_wrapup(s.e, c, wrapup_s[c] * 1000));
    }
    for (int k = 0; k < NSKILLS; k++)
        CHECK(orca_skill_intern(s.e, skill_names[k], &s.sk[k]));
    add_queues(&s);
    add_agents(&s);
    for (size_t k = 0; k < sizeof breaks / sizeof breaks[0]; k++) {
        push(&s, T0 + breaks[k].at * MIN, H_BREAK, breaks[k].agent, 1);
        push(&s, T0 + (breaks[k].at + breaks[k].len) * MIN, H_BREAK, breaks[k].agent, 0);
    }
    for (int k = 0; k < NQUEUES; k++)
        push(&s, T0 + expo_ms(&s, 3600 / queues[k].per_hour), H_ARRIVAL, (uint64_t)k, 0);
    printf("orca %s demo: seed %llu, %d agents, %d queues, arrivals 09:00-10:00\n", orca_version(),
           (unsigned long long)seed, NAGENTS, NQUEUES);

    /* The loop: go to our next event or the engine's next deadline, whichever
     * is first; advance() fires the engine's own timers on the way. */
    for (;;) {
        uint64_t t = s.n ? s.heap[0].t : UINT64_MAX, dl;
        if (orca_engine_next_deadline(s.e, &dl) == ORCA_OK && dl < t) t = dl;
        if (t == UINT64_MAX) break;
        if (!moment_done && t >= TM) { /* 09:44: the IVR's and supervisor's */
            CHECK(orca_engine_advance(s.e, TM));
            ivr_announce(&s);
            supervisor_screen(&s, TM);
            moment_done = 1;
        }
        if (!live_done && t >= T1) {   /* 10:00: the wallboard's moment */
            CHECK(orca_engine_advance(s.e, T1));
            report_live(&s, snapshot);
            live_done = 1;
        }
        CHECK(orca_engine_advance(s.e, t));
        s.last_t = t;
        while (s.n && s.heap[0].t <= t) {
            hev h = pop(&s);
            handle(&s, &h);
        }
        if (check) CHECK(orca_engine_check(s.e));
    }
    report(&s);
    orca_stats_free(s.stats);
    orca_engine_free(s.e);
    free(s.heap);
    clock_gettime(CLOCK_MONOTONIC, &w1);
    fprintf(stderr, "wall time: %.1f ms\n",
            (double)(w1.tv_sec - w0.tv_sec) * 1e3 + (double)(w1.tv_nsec - w0.tv_nsec) / 1e6);
    return 0;
}
