/*
 * simulate.c: whole days of a contact centre on orca's virtual clock, and
 * the fidelity check against Erlang C and Erlang A.
 *
 * Day mode (the default): N agents in three groups (voice only; digital:
 * 3 chats and 5 emails or SMS at once; blended), three languages and three
 * products as skills, twelve queues (product x channel) on voice, chat,
 * email and SMS. Work arrives 07:00-21:00 as a Poisson stream whose rate
 * follows an hourly day profile (200 interactions per agent and day at
 * --load 1), agents log in and out hour by hour to follow the same
 * profile, handle times are lognormal (mean per channel, coefficient of
 * variation --cv), voice and chat customers give up after an exponential
 * patience. Requirements relax after 30 s (product level 3 -> 1); VIP work
 * has priority. Every decision is the real engine's, through the public
 * API; the host only keeps its own future events (arrivals, hang-ups,
 * customers giving up, shift changes) and advances the engine's clock to
 * the earliest of those and the engine's next deadline (wrap-ups).
 *
 * Fidelity mode (--fidelity): single-skill M/M/n and M/M/n+M experiments
 * (examples/simcore.h), several independent replications each, 95%
 * confidence intervals next to orca_erlang_c() / orca_erlang_a(); writes
 * bench/results/fidelity.csv (columns as docs/BENCH.md).
 *
 * --strategy NAME routes every queue with that strategy (default: per
 * channel, as chans[] says); --compare NAME runs the same day twice, every
 * queue longest-idle and then every queue NAME, and prints service level,
 * ASA, abandons and the fairness figure (orca_stats_fairness: how evenly
 * the work fell on the agents) side by side.
 *
 *   simulate [--day] [--agents N] [--days D] [--seed S] [--cv X] [--load X]
 *            [--check] [--strategy NAME | --compare NAME]
 *   simulate --fidelity [--scale X] [--replications R] [--seed S]
 *            [--csv PATH]
 *
 * stdout depends only on the arguments; wall times go to stderr.
 */
#include "simcore.h"

#include <errno.h>
#include <time.h>

#define SEC 1000ull
#define HOUR (3600 * SEC)
#define DAY (24 * HOUR)
#define OPEN_H 7
#define CLOSE_H 21

#define CHECK(call) do { int rc_ = (call); if (rc_ != ORCA_OK) { fprintf(stderr, \
    "simulate:%d: %s: %s\n", __LINE__, #call, orca_strerror(rc_)); exit(1); } } while (0)

typedef unsigned long long ull;

static double wall_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* ---- the centre ------------------------------------------------------------ */

/* Relative arrival rate by hour of day, 07:00 to 21:00: a morning peak,
 * a lunch dip, an afternoon peak, a long evening tail. */
static const double profile[24] = {
    [7] = 0.35, [8] = 0.70, [9] = 1.00, [10] = 1.00, [11] = 0.95, [12] = 0.80,
    [13] = 0.85, [14] = 0.95, [15] = 0.90, [16] = 0.80, [17] = 0.65, [18] = 0.50,
    [19] = 0.35, [20] = 0.25,
};

#define NCH 4   /* built-in voice, chat, email, sms: ids 0..3 */
static const struct chspec {
    double share;      /* of arrivals */
    double handle_s;   /* mean talk (lognormal) */
    double patience_s; /* mean (exponential); 0: never gives up */
    uint32_t wrapup_s, sla_s;
    orca_strategy strategy;
} chans[NCH] = {
    { 0.50, 200, 150, 15, 20, ORCA_STRATEGY_LONGEST_IDLE },
    { 0.30, 560, 300, 5, 60, ORCA_STRATEGY_LEAST_OCCUPIED },
    { 0.15, 400, 0, 0, 3600, ORCA_STRATEGY_FEWEST_HANDLED },
    { 0.05, 200, 0, 0, 900, ORCA_STRATEGY_ROUND_ROBIN },
};
static const uint32_t ch_cost[NCH] = { 100, 25, 10, 10 }; /* built-in costs */

enum { L_EN, L_ES, L_FR, P_BILLING, P_TECH, P_SALES, NSKILLS };
static const char *const skill_names[NSKILLS] = { "en", "es", "fr", "billing", "tech", "sales" };
static const double lang_share[3] = { 0.85, 0.10, 0.05 };
static const double prod_share[3] = { 0.45, 0.35, 0.20 };
#define NPROD 3
#define NQ (NPROD * NCH)
#define VIP_SHARE 0.05

enum { G_VOICE, G_DIGITAL, G_BLENDED };
static const char *const group_names[3] = { "voice", "digital", "blended" };

/* ---- state and figures --------------------------------------------------- */

enum { H_ARRIVE = 1, H_END, H_GIVE_UP, H_SHIFT };

typedef struct figs {
    uint64_t offered, answered, abandoned, in_target;
    uint64_t wait_sum_ms, wait_max_ms, talk_sum_ms;
} figs;

typedef struct day_sim {
    orca_engine *e;
    sc_rng rng;
    sc_heap heap;
    uint32_t agents, days;
    double cv, per_day;
    orca_skill_id sk[NSKILLS];
    orca_queue_id q[NQ];
    uint32_t on_duty;          /* agents 1..on_duty are logged in */
    uint64_t next_id, last_offered;
    double arrival_work;       /* Exp(1) left to the next arrival */
    figs ch[NCH], all, hour[24][NCH];
    uint64_t busy_unit_ms;     /* capacity units x (talk + wrap-up) */
    uint64_t duty_unit_ms;     /* capacity units x time logged in */
    uint64_t duty_from;
    uint32_t peak_duty;
    int strategy;              /* every queue's, or -1: per channel (chans[]) */
    int quiet;                 /* --compare: no per-day report */
    orca_stats *st;            /* the fairness figure */
} day_sim;

/* What --compare prints for one run. */
typedef struct day_summary {
    double sl_voice, sl_all, asa_all, abandon_pct, occupancy;
    orca_fairness fair;
} day_summary;

static const struct { const char *name; orca_strategy s; } strategies[] = {
    { "longest_idle", ORCA_STRATEGY_LONGEST_IDLE },
    { "least_occupied", ORCA_STRATEGY_LEAST_OCCUPIED },
    { "most_proficient", ORCA_STRATEGY_MOST_PROFICIENT },
    { "round_robin", ORCA_STRATEGY_ROUND_ROBIN },
    { "fewest_handled", ORCA_STRATEGY_FEWEST_HANDLED },
    { "weighted_random", ORCA_STRATEGY_WEIGHTED_RANDOM },
    { "top_down", ORCA_STRATEGY_TOP_DOWN },
    { "packing", ORCA_STRATEGY_PACKING },
    { "least_busy", ORCA_STRATEGY_LEAST_BUSY },
};

static int strategy_by_name(const char *name)
{
    for (size_t k = 0; k < sizeof strategies / sizeof *strategies; k++)
        if (!strcmp(strategies[k].name, name))
            return (int)strategies[k].s;
    return -1;
}

static const char *strategy_name(int st)
{
    for (size_t k = 0; k < sizeof strategies / sizeof *strategies; k++)
        if ((int)strategies[k].s == st)
            return strategies[k].name;
    return "per channel";
}

static int group_of(uint64_t id)
{
    uint64_t k = id % 10;      /* interleaved, so any prefix of ids is a mix */
    return k < 6 ? G_VOICE : k < 8 ? G_DIGITAL : G_BLENDED;
}

/* Agents wanted at hour h of any day: the profile, scaled to --agents. */
static uint32_t duty_at(const day_sim *s, int h)
{
    return (uint32_t)ceil(s->agents * profile[h] - 1e-9);
}

/* Total arrival rate at clock t (per ms). */
static double rate_at(const day_sim *s, uint64_t t)
{
    static double sum;
    if (sum == 0)
        for (int h = 0; h < 24; h++)
            sum += profile[h];
    return s->per_day * profile[t % DAY / HOUR] / sum / (double)HOUR;
}

/* Next arrival of the non-homogeneous Poisson stream after t: spend an
 * Exp(1) amount of "rate x time" across the piecewise-constant rate. */
static uint64_t next_arrival(day_sim *s, uint64_t t, uint64_t end)
{
    double w = sc_expo(&s->rng, 1);
    while (t < end) {
        uint64_t b = (t / HOUR + 1) * HOUR;
        double r = rate_at(s, t);
        if (r > 0 && w < r * (double)(b - t))
            return t + (uint64_t)ceil(w / r);
        w -= r * (double)(b - t);
        t = b;
    }
    return UINT64_MAX;
}

static int pick(sc_rng *r, const double *share, int n)
{
    double u = sc_uniform(r);
    for (int i = 0; i < n - 1; i++)
        if ((u -= share[i]) < 0)
            return i;
    return n - 1;
}

/* The agent answers at once: the conversation takes a lognormal time. */
static void day_offer(void *data, const orca_offer *o)
{
    day_sim *s = data;
    s->last_offered = o->interaction;
    CHECK(orca_offer_accept(s->e, o->interaction));
    int c = (int)o->channel;
    uint64_t talk = (uint64_t)llround(sc_lognormal(&s->rng, chans[c].handle_s, s->cv) * 1000);
    sc_push(&s->heap, o->offered_ms + talk, H_END, o->interaction, 0);
    uint64_t wait = o->offered_ms - o->arrival_ms;
    int h = (int)(o->arrival_ms % DAY / HOUR);
    figs *f[3] = { &s->ch[c], &s->all, &s->hour[h][c] };
    for (int k = 0; k < 3; k++) {
        f[k]->answered++;
        f[k]->in_target += wait <= chans[c].sla_s * SEC;
        f[k]->wait_sum_ms += wait;
        if (wait > f[k]->wait_max_ms)
            f[k]->wait_max_ms = wait;
        f[k]->talk_sum_ms += talk;
    }
    s->busy_unit_ms += ch_cost[c] * (talk + chans[c].wrapup_s * SEC);
}

static void build(day_sim *s, uint64_t seed)
{
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.seed = seed;
    cfg.start_ms = 0;
    cfg.max_agents = s->agents + 1;
    CHECK(orca_engine_new(&cfg, &s->e));
    CHECK(orca_stats_new(s->e, NULL, &s->st)); /* before anything happens */
    orca_channel_callbacks cb = { .offer = day_offer, .withdraw = NULL };
    for (int c = 0; c < NCH; c++) {
        CHECK(orca_channel_set_callbacks(s->e, (orca_channel_id)c, &cb, s));
        CHECK(orca_channel_set_wrapup(s->e, (orca_channel_id)c, chans[c].wrapup_s * 1000));
    }
    for (int k = 0; k < NSKILLS; k++)
        CHECK(orca_skill_intern(s->e, skill_names[k], &s->sk[k]));
    static const char *const chn[NCH] = { "voice", "chat", "email", "sms" };
    for (int p = 0; p < NPROD; p++)
        for (int c = 0; c < NCH; c++) {
            char name[32];
            snprintf(name, sizeof name, "%s.%s", skill_names[P_BILLING + p], chn[c]);
            orca_skill_level serve = { s->sk[P_BILLING + p], 1 };
            /* Product level 3 wanted; after 30 s any holder will do. */
            orca_step step = { 30000, ORCA_STEP_SET_LEVEL, s->sk[P_BILLING + p], 1 };
            orca_queue_def d;
            orca_queue_def_init(&d);
            d.name = name;
            d.strategy = s->strategy >= 0 ? (orca_strategy)s->strategy : chans[c].strategy;
            d.serve = ORCA_SERVE_SKILLS;
            d.skills = &serve;
            d.nskills = 1;
            d.sla_ms = chans[c].sla_s * 1000;
            d.steps = &step;
            d.nsteps = 1;
            CHECK(orca_queue_add(s->e, &d, &s->q[p * NCH + c]));
        }
    static const orca_channel_limit lim_voice[] = { { 0, 1 } };
    static const orca_channel_limit lim_digital[] = { { 1, 3 }, { 2, 5 }, { 3, 5 } };
    static const orca_channel_limit lim_blended[] = { { 0, 1 }, { 1, 2 }, { 2, 3 }, { 3, 3 } };
    for (uint64_t id = 1; id <= s->agents; id++) {
        /* Everyone speaks English; 15% Spanish, 8% French. Billing is held
         * by 80%, tech by 60%, sales by 50% (at least one each), levels
         * 1..10. */
        orca_skill_level sl[NSKILLS];
        uint32_t n = 0;
        sl[n++] = (orca_skill_level){ s->sk[L_EN], (uint8_t)(3 + sc_next(&s->rng) % 6) };
        if (sc_uniform(&s->rng) < 0.15)
            sl[n++] = (orca_skill_level){ s->sk[L_ES], (uint8_t)(3 + sc_next(&s->rng) % 6) };
        if (sc_uniform(&s->rng) < 0.08)
            sl[n++] = (orca_skill_level){ s->sk[L_FR], (uint8_t)(3 + sc_next(&s->rng) % 6) };
        static const double hold[NPROD] = { 0.8, 0.6, 0.5 };
        uint32_t before = n;
        for (int p = 0; p < NPROD; p++)
            if (sc_uniform(&s->rng) < hold[p])
                sl[n++] = (orca_skill_level){ s->sk[P_BILLING + p],
                                              (uint8_t)(1 + sc_next(&s->rng) % 10) };
        if (n == before)
            sl[n++] = (orca_skill_level){ s->sk[P_BILLING + (int)(id % NPROD)], 5 };
        orca_agent_def d;
        orca_agent_def_init(&d);
        d.id = id;
        d.skills = sl;
        d.nskills = n;
        int g = group_of(id);
        d.limits = g == G_VOICE ? lim_voice : g == G_DIGITAL ? lim_digital : lim_blended;
        d.nlimits = g == G_VOICE ? 1 : g == G_DIGITAL ? 3 : 4;
        CHECK(orca_agent_add(s->e, &d));
        if (g == G_BLENDED)        /* blended: calls first, then chats, then the rest */
            for (int q = 0; q < NQ; q++)
                CHECK(orca_agent_set_queue_rank(s->e, id, s->q[q], q % NCH == 0 ? 0 :
                                                q % NCH == 1 ? 1 : 2));
    }
}

/* Log agents in or out so that agents 1..want are on duty. */
static void set_duty(day_sim *s, uint64_t now, uint32_t want)
{
    s->duty_unit_ms += (uint64_t)s->on_duty * 100 * (now - s->duty_from);
    s->duty_from = now;
    for (uint32_t id = s->on_duty + 1; id <= want; id++)
        CHECK(orca_agent_set_presence(s->e, id, ORCA_PRESENCE_READY, 0));
    for (uint32_t id = want + 1; id <= s->on_duty; id++)
        CHECK(orca_agent_set_presence(s->e, id, ORCA_PRESENCE_OFFLINE, 0));
    s->on_duty = want;
    if (want > s->peak_duty)
        s->peak_duty = want;
}

static void arrive(day_sim *s, uint64_t now)
{
    int c = pick(&s->rng, (const double[NCH]){ chans[0].share, chans[1].share,
                                               chans[2].share, chans[3].share }, NCH);
    int p = pick(&s->rng, prod_share, NPROD), l = pick(&s->rng, lang_share, 3);
    orca_skill_level req[2] = { { s->sk[L_EN + l], 1 }, { s->sk[P_BILLING + p], 3 } };
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = ++s->next_id;
    d.queue = s->q[p * NCH + c];
    d.channel = (orca_channel_id)c;
    d.customer = 1 + sc_next(&s->rng) % 1000000;
    d.priority = sc_uniform(&s->rng) < VIP_SHARE ? 5 : 0;
    d.required = req;
    d.nrequired = 2;
    int h = (int)(now % DAY / HOUR);
    s->ch[c].offered++;
    s->all.offered++;
    s->hour[h][c].offered++;
    s->last_offered = 0;
    CHECK(orca_interaction_enqueue(s->e, &d));
    if (s->last_offered != d.id && chans[c].patience_s > 0)
        sc_push(&s->heap, now + (uint64_t)llround(sc_expo(&s->rng, chans[c].patience_s) * 1000),
                H_GIVE_UP, d.id, 0);
}

static void give_up(day_sim *s, uint64_t id)
{
    orca_interaction_info in;
    if (orca_interaction_info_get(s->e, id, &in) != ORCA_OK || in.state != ORCA_STATE_WAITING)
        return;
    CHECK(orca_interaction_abandon(s->e, id));
    int c = (int)in.channel, h = (int)(in.arrival_ms % DAY / HOUR);
    s->ch[c].abandoned++;
    s->all.abandoned++;
    s->hour[h][c].abandoned++;
}

/* ---- day report ------------------------------------------------------------- */

static double pct(uint64_t a, uint64_t b)
{
    return b ? 100.0 * (double)a / (double)b : 0;
}

static double avg_s(uint64_t sum_ms, uint64_t n)
{
    return n ? (double)sum_ms / (double)n / 1000 : 0;
}

static void report_day(const day_sim *s, uint64_t end)
{
    static const char *const chn[NCH] = { "voice", "chat", "email", "sms" };
    orca_counts cn;
    CHECK(orca_engine_counts(s->e, &cn));
    printf("\nby hour of arrival (all days):\n%5s %8s %6s %9s %9s %9s %8s %9s\n", "hour",
           "arrived", "agents", "voice SL", "voice ASA", "voice ab%", "chat SL", "email ASA");
    for (int h = OPEN_H; h < CLOSE_H; h++) {
        const figs *v = &s->hour[h][0], *c = &s->hour[h][1], *m = &s->hour[h][2];
        uint64_t arr = 0;
        for (int k = 0; k < NCH; k++)
            arr += s->hour[h][k].offered;
        printf("%02d:00 %8llu %6u %8.1f%% %8.1fs %8.1f%% %7.1f%% %8.0fs\n", h, (ull)arr,
               duty_at(s, h), pct(v->in_target, v->offered), avg_s(v->wait_sum_ms, v->answered),
               pct(v->abandoned, v->offered), pct(c->in_target, c->offered),
               avg_s(m->wait_sum_ms, m->answered));
    }
    printf("\n%-6s %9s %9s %9s %7s %7s %8s %8s %7s\n", "chan", "offered", "answered",
           "abandoned", "SL", "target", "ASA", "longest", "AHT");
    for (int c = 0; c <= NCH; c++) {
        const figs *f = c < NCH ? &s->ch[c] : &s->all;
        char tgt[16] = "";
        if (c < NCH)
            snprintf(tgt, sizeof tgt, "%us", chans[c].sla_s);
        double aht = f->answered ? avg_s(f->talk_sum_ms, f->answered) : 0;
        if (c < NCH && f->answered)
            aht += chans[c].wrapup_s;
        else if (f->answered) {           /* all: mean of talk + wrap-up */
            uint64_t wrap = 0;
            for (int k = 0; k < NCH; k++)
                wrap += s->ch[k].answered * chans[k].wrapup_s;
            aht += (double)wrap / (double)f->answered;
        }
        printf("%-6s %9llu %9llu %9llu %6.1f%% %7s %7.1fs %7.0fs %6.0fs\n",
               c < NCH ? chn[c] : "all", (ull)f->offered, (ull)f->answered,
               (ull)f->abandoned, pct(f->in_target, f->offered), tgt,
               avg_s(f->wait_sum_ms, f->answered), (double)f->wait_max_ms / 1000, aht);
    }
    printf("\nSL: answered within the channel's target / offered (abandoned count against).\n"
           "ASA: mean wait of answered work. AHT: talk + wrap-up (voice 15 s, chat 5 s).\n");
    printf("\nagent capacity in use while logged in: %.1f%% (units x time; peak %u agents on duty)\n",
           pct(s->busy_unit_ms, s->duty_unit_ms), s->peak_duty);
    orca_fairness f;
    CHECK(orca_stats_fairness(s->st, ORCA_GROUP_ALL, 0, ORCA_SPAN_TOTAL, &f));
    printf("fairness (all %u agents with ready time): occupancy Gini %.3f, max/min %.2f "
           "(%.1f%% .. %.1f%%); handled Gini %.3f\n", f.agents, f.occ_gini, f.occ_ratio,
           100 * f.occ_min, 100 * f.occ_max, f.handled_gini);
    printf("still waiting at %02llu:00 of the last day: %u; engine events: %llu; check: %s\n",
           (ull)(end % DAY / HOUR ? end % DAY / HOUR : 24), (unsigned)cn.waiting,
           (ull)cn.events, orca_engine_check(s->e) == ORCA_OK ? "ok" : "FAILED");
}

static int run_day(uint32_t agents, uint32_t days, uint64_t seed, double cv, double load,
                   int check, int strategy, day_summary *sum)
{
    double w0 = wall_now();
    static day_sim s;
    memset(&s, 0, sizeof s); /* (--compare runs twice) */
    s.strategy = strategy;
    s.quiet = sum != NULL;
    s.agents = agents;
    s.days = days;
    s.cv = cv;
    s.per_day = 200.0 * agents * load;
    s.rng.s = seed;
    build(&s, seed);
    double w1 = wall_now();
    uint64_t end = (uint64_t)days * DAY;
    for (uint64_t d = 0; d < days; d++)
        for (int h = OPEN_H; h <= CLOSE_H; h++)
            sc_push(&s.heap, d * DAY + (uint64_t)h * HOUR, H_SHIFT, 0,
                    h < CLOSE_H ? duty_at(&s, h) : 0);
    uint64_t first = next_arrival(&s, 0, end);
    if (first != UINT64_MAX)
        sc_push(&s.heap, first, H_ARRIVE, 0, 0);
    uint32_t ng[3] = { 0, 0, 0 };
    for (uint64_t id = 1; id <= agents; id++)
        ng[group_of(id)]++;
    if (!s.quiet) {
        printf("orca %s simulate: seed %llu, %u agents (%s %u, %s %u, %s %u), %u day(s)\n",
               orca_version(), (ull)seed, agents, group_names[0], ng[0], group_names[1], ng[1],
               group_names[2], ng[2], days);
        printf("arrivals 07:00-21:00: %.0f a day (voice %.0f%%, chat %.0f%%, email %.0f%%, "
               "sms %.0f%%); handle time lognormal, cv %.2f; strategy %s\n", s.per_day,
               100 * chans[0].share, 100 * chans[1].share, 100 * chans[2].share,
               100 * chans[3].share, cv, strategy_name(strategy));
    }
    uint64_t events = 0, now = 0;
    for (;;) {
        uint64_t t = s.heap.n ? s.heap.a[0].t : UINT64_MAX, dl;
        if (orca_engine_next_deadline(s.e, &dl) == ORCA_OK && dl < t)
            t = dl;
        if (t == UINT64_MAX || t >= end)
            break;
        CHECK(orca_engine_advance(s.e, t));
        now = t;
        while (s.heap.n && s.heap.a[0].t <= t) {
            sc_ev ev = sc_pop(&s.heap);
            events++;
            switch (ev.kind) {
            case H_ARRIVE: {
                arrive(&s, t);
                uint64_t nx = next_arrival(&s, t, end);
                if (nx != UINT64_MAX)
                    sc_push(&s.heap, nx, H_ARRIVE, 0, 0);
                break;
            }
            case H_END: CHECK(orca_interaction_end(s.e, ev.id)); break;
            case H_GIVE_UP: give_up(&s, ev.id); break;
            case H_SHIFT: set_duty(&s, t, ev.arg); break;
            default: break;
            }
        }
        if (check && events % 65536 == 0)
            CHECK(orca_engine_check(s.e));
    }
    (void)now;
    set_duty(&s, end, s.on_duty); /* close the duty time */
    double w2 = wall_now();
    if (sum) {
        sum->sl_voice = pct(s.ch[0].in_target, s.ch[0].offered);
        sum->sl_all = pct(s.all.in_target, s.all.offered);
        sum->asa_all = avg_s(s.all.wait_sum_ms, s.all.answered);
        sum->abandon_pct = pct(s.all.abandoned, s.all.offered);
        sum->occupancy = pct(s.busy_unit_ms, s.duty_unit_ms);
        CHECK(orca_stats_fairness(s.st, ORCA_GROUP_ALL, 0, ORCA_SPAN_TOTAL, &sum->fair));
    } else {
        report_day(&s, end);
    }
    fflush(stdout);
    orca_stats_free(s.st);
    orca_engine_free(s.e);
    sc_heap_free(&s.heap);
    double w3 = wall_now();
    fprintf(stderr, "wall time: %.3f s total (set-up %.3f s, %llu interactions and %llu host "
            "events in %.3f s: %.2f us per interaction)\n", w3 - w0, w1 - w0,
            (ull)s.next_id, (ull)events, w2 - w1, (w2 - w1) * 1e6 / (double)(s.next_id ? s.next_id : 1));
    return 0;
}

/* --compare: the same day (same seed: the same arrivals, handle times and
 * patience draws) with every queue longest-idle, then with every queue
 * routed by the other strategy. */
static int run_compare(uint32_t agents, uint32_t days, uint64_t seed, double cv, double load,
                       int other)
{
    day_summary a, b;
    run_day(agents, days, seed, cv, load, 0, ORCA_STRATEGY_LONGEST_IDLE, &a);
    run_day(agents, days, seed, cv, load, 0, other, &b);
    printf("orca %s simulate --compare: seed %llu, %u agents, %u day(s), load %.2f; every "
           "queue longest_idle, then every queue %s\n\n", orca_version(), (ull)seed, agents,
           days, load, strategy_name(other));
    printf("%-28s %14s %14s\n", "", "longest_idle", strategy_name(other));
    printf("%-28s %13.1f%% %13.1f%%\n", "SL, voice", a.sl_voice, b.sl_voice);
    printf("%-28s %13.1f%% %13.1f%%\n", "SL, all channels", a.sl_all, b.sl_all);
    printf("%-28s %13.1fs %13.1fs\n", "ASA, all channels", a.asa_all, b.asa_all);
    printf("%-28s %13.1f%% %13.1f%%\n", "abandoned", a.abandon_pct, b.abandon_pct);
    printf("%-28s %13.1f%% %13.1f%%\n", "capacity in use", a.occupancy, b.occupancy);
    printf("%-28s %14.3f %14.3f\n", "occupancy Gini (agents)", a.fair.occ_gini, b.fair.occ_gini);
    printf("%-28s %14.2f %14.2f\n", "occupancy max/min", a.fair.occ_ratio, b.fair.occ_ratio);
    printf("%-28s %13.1f%% %13.1f%%\n", "least busy agent", 100 * a.fair.occ_min,
           100 * b.fair.occ_min);
    printf("%-28s %13.1f%% %13.1f%%\n", "busiest agent", 100 * a.fair.occ_max,
           100 * b.fair.occ_max);
    printf("%-28s %14.3f %14.3f\n", "handled Gini (agents)", a.fair.handled_gini,
           b.fair.handled_gini);
    printf("\nGini: 0 when every agent was equally busy per hour ready; max/min: the busiest\n"
           "agent's occupancy over the least busy one's (orca_stats_fairness, since start).\n");
    return 0;
}

/* ---- fidelity ------------------------------------------------------------------ */

/* The default experiments: single skill, handle 180 s, target 20 s. Each
 * replication measures `measure_arrivals` arrivals after a warm-up of
 * 100 handle times (several relaxation times of the queue). */
static const struct fid_spec {
    sc_model model;
    uint32_t agents;
    double rho;            /* offered load / agents */
    double patience_s;
    double measure_arrivals;
} fid_specs[] = {
    { SC_ERLANG_C, 10, 0.85, 0, 1.0e6 },
    { SC_ERLANG_C, 50, 0.90, 0, 1.0e6 },
    { SC_ERLANG_C, 200, 0.95, 0, 4.0e6 },   /* mixes slowest: 4x longer */
    { SC_ERLANG_A, 10, 0.95, 120, 1.0e6 },
    { SC_ERLANG_A, 50, 1.00, 180, 1.0e6 },
    { SC_ERLANG_A, 200, 1.05, 120, 1.0e6 },
};
#define FID_HANDLE_S 180.0
#define FID_TARGET_S 20.0

static int run_fidelity(double scale, int reps, uint64_t seed, const char *csv)
{
    FILE *f = fopen(csv, "w");
    if (!f) {
        fprintf(stderr, "simulate: %s: %s\n", csv, strerror(errno));
        return 1;
    }
    fprintf(f, "model,agents,arrivals_per_s,mean_handle_s,mean_patience_s,replications,pwait,"
               "pwait_ci95,asa_s,asa_ci95,sl,sl_ci95,pab,pab_ci95,theory_pwait,theory_asa_s,"
               "theory_sl,theory_pab\n");
    printf("orca %s fidelity: one skill, Poisson arrivals, exponential handle times (mean "
           "%.0f s) and patience, %d replications, seed %llu\n", orca_version(), FID_HANDLE_S,
           reps, (ull)seed);
    printf("measured: mean over replications +- 95%% CI; theory: orca_erlang_c / orca_erlang_a;"
           " SL target %.0f s\n\n", FID_TARGET_S);
    printf("%-8s %5s %5s %6s %19s %19s %19s %19s %s\n", "model", "n", "rho", "pat_s",
           "pwait (theory)", "ASA s (theory)", "SL (theory)", "abandon (theory)", "in CI");
    double w0 = wall_now();
    int hits = 0, total = 0;
    for (size_t i = 0; i < sizeof fid_specs / sizeof fid_specs[0]; i++) {
        const struct fid_spec *sp = &fid_specs[i];
        sc_fid_cfg c;
        memset(&c, 0, sizeof c);
        c.model = sp->model;
        c.agents = sp->agents;
        c.handle_s = FID_HANDLE_S;
        c.arrivals_per_s = sp->rho * sp->agents / FID_HANDLE_S;
        c.patience_s = sp->patience_s;
        c.target_s = FID_TARGET_S;
        c.warmup_s = 100 * FID_HANDLE_S;
        c.measure_s = sp->measure_arrivals * scale / c.arrivals_per_s;
        c.replications = reps;
        c.seed = seed + i;
        sc_fid_result r;
        double t0 = wall_now();
        if (sc_fidelity(&c, &r) != 0 || (r.theory_rc != ORCA_OK)) {
            fprintf(stderr, "simulate: fidelity run %zu failed\n", i);
            fclose(f);
            return 1;
        }
        int a = sp->model == SC_ERLANG_A;
        const orca_erlang *th = &r.theory;
        int hit = (fabs(r.pwait - th->pwait) <= r.pwait_ci) +
                  (fabs(r.asa_s - th->asa_s) <= r.asa_ci) + (fabs(r.sl - th->sl) <= r.sl_ci) +
                  (a && fabs(r.pab - th->pab) <= r.pab_ci);
        int nfig = a ? 4 : 3;
        hits += hit;
        total += nfig;
        char pab[24] = "";
        if (a)
            snprintf(pab, sizeof pab, "%.4f+-%.4f (%.4f)", r.pab, r.pab_ci, th->pab);
        printf("%-8s %5u %5.2f %6.0f %.4f+-%.4f (%.4f) %6.2f+-%5.2f (%6.2f) %.4f+-%.4f (%.4f) "
               "%-19s %d/%d\n", a ? "erlang_a" : "erlang_c", sp->agents, sp->rho,
               sp->patience_s, r.pwait, r.pwait_ci, th->pwait, r.asa_s, r.asa_ci, th->asa_s,
               r.sl, r.sl_ci, th->sl, pab, hit, nfig);
        fflush(stdout);
        fprintf(stderr, "  %.1f s wall, %llu arrivals measured, %llu host events\n",
                wall_now() - t0, (ull)r.arrivals, (ull)r.events);
        fprintf(f, "%s,%u,%.9g,%.9g,", a ? "erlang_a" : "erlang_c", sp->agents,
                c.arrivals_per_s, c.handle_s);
        if (a)
            fprintf(f, "%.9g", c.patience_s);
        fprintf(f, ",%d,%.6f,%.6f,%.5f,%.5f,%.6f,%.6f,", reps, r.pwait, r.pwait_ci, r.asa_s,
                r.asa_ci, r.sl, r.sl_ci);
        if (a)
            fprintf(f, "%.6f,%.6f", r.pab, r.pab_ci);
        else
            fprintf(f, ",");
        fprintf(f, ",%.6f,%.5f,%.6f,", th->pwait, th->asa_s, th->sl);
        if (a)
            fprintf(f, "%.6f", th->pab);
        fprintf(f, "\n");
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "simulate: %s: %s\n", csv, strerror(errno));
        return 1;
    }
    printf("\ntheory inside the measured 95%% interval for %d of %d figures (each interval "
           "misses\nits true value 5%% of the time by design; test_fidelity holds its short "
           "run to 3 half-widths)\nwritten to %s\n", hits, total, csv);
    fprintf(stderr, "wall time: %.1f s\n", wall_now() - w0);
    return 0;
}

/* ---- main ----------------------------------------------------------------------- */

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--day] [--agents N] [--days D] [--seed S] [--cv X] [--load X] [--check]\n"
            "          [--strategy NAME | --compare NAME]   (NAME: longest_idle, least_occupied,\n"
            "          most_proficient, round_robin, fewest_handled, weighted_random,\n"
            "          top_down, packing, least_busy)\n"
            "       %s --fidelity [--scale X] [--replications R] [--seed S] [--csv PATH]\n",
            argv0, argv0);
    exit(2);
}

int main(int argc, char **argv)
{
    uint32_t agents = 1000, days = 1;
    uint64_t seed = 1;
    double cv = 1.0, load = 1.0, scale = 1.0;
    int fidelity = 0, check = 0, reps = 20, strategy = -1, compare = -1;
    const char *csv = "bench/results/fidelity.csv";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--day")) fidelity = 0;
        else if (!strcmp(a, "--fidelity")) fidelity = 1;
        else if (!strcmp(a, "--check")) check = 1;
        else if (!v) usage(argv[0]);
        else if (!strcmp(a, "--agents")) agents = (uint32_t)strtoul(v, NULL, 10), i++;
        else if (!strcmp(a, "--days")) days = (uint32_t)strtoul(v, NULL, 10), i++;
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10), i++;
        else if (!strcmp(a, "--cv")) cv = strtod(v, NULL), i++;
        else if (!strcmp(a, "--load")) load = strtod(v, NULL), i++;
        else if (!strcmp(a, "--scale")) scale = strtod(v, NULL), i++;
        else if (!strcmp(a, "--replications")) reps = atoi(v), i++;
        else if (!strcmp(a, "--csv")) csv = v, i++;
        else if (!strcmp(a, "--strategy") && (strategy = strategy_by_name(v)) >= 0) i++;
        else if (!strcmp(a, "--compare") && (compare = strategy_by_name(v)) >= 0) i++;
        else usage(argv[0]);
    }
    if (fidelity) {
        if (!(scale > 0) || reps < 2)
            usage(argv[0]);
        return run_fidelity(scale, reps, seed, csv);
    }
    if (agents < 1 || agents > 10000000 || days < 1 || days > 3660 || !(cv >= 0) ||
        !(load > 0))
        usage(argv[0]);
    if (compare >= 0)
        return run_compare(agents, days, seed, cv, load, compare);
    return run_day(agents, days, seed, cv, load, check, strategy, NULL);
}
