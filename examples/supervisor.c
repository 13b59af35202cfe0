/*
 * supervisor.c: an afternoon of running a small centre, the calls a host
 * makes around routing rather than for it.
 *
 * A WhatsApp channel the host adds itself; a bot that hands a customer to
 * people; an agent trained on the spot (orca_agent_update); a supervisor
 * who moves an upset caller up the line, lets another take a callback
 * instead of waiting, and withdraws a message the customer no longer
 * needs answered; a callback nobody picks up at first; a survey; the
 * customer's record read and then forgotten on request; a campaign queue
 * and a temp agent removed at the end of the day; tomorrow's staffing;
 * and orca_engine_dump proving a refused call changed nothing.
 *
 * The clock is virtual and starts at 14:00 (in ms since midnight).
 */
#include <orca.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call) do { int rc_ = (call); if (rc_ != ORCA_OK) { \
    fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, orca_strerror(rc_)); \
    exit(1); } } while (0)

#define MIN 60000ull
#define T0 (14 * 60 * MIN)
#define ANA 1
#define BEN 2
#define TEMP 3                     /* a temp agent, on the campaign only */
#define CUSTOMER 500

typedef unsigned long long ull;

static const char *clock_of(uint64_t ms)
{
    static char buf[48];
    snprintf(buf, sizeof buf, "%02llu:%02llu", (ull)(ms / 3600000), (ull)(ms / MIN % 60));
    return buf;
}

/* The live log a supervisor watches: every event, by name. */
static void on_event(void *data, const orca_event *ev)
{
    (void)data;
    printf("  %s  %-14s", clock_of(ev->time_ms), orca_event_name(ev->type));
    if (ev->interaction) printf(" work %llu", (ull)ev->interaction);
    if (ev->agent) printf(" agent %llu", (ull)ev->agent);
    printf("\n");
}

/* Agents pick up at once (a real host would ring them). */
static void on_offer(void *data, const orca_offer *o)
{
    CHECK(orca_offer_accept(data, o->interaction));
}

static void enqueue(orca_engine *e, uint64_t id, orca_queue_id q, orca_channel_id ch,
                    uint64_t customer, uint32_t bot, const orca_skill_level *need)
{
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = id;
    d.queue = q;
    d.channel = ch;
    d.customer = customer;
    d.bot = bot;
    d.required = need;                         /* NULL: anyone in the queue */
    d.nrequired = need ? 1 : 0;
    CHECK(orca_interaction_enqueue(e, &d));
}

static void add_agent(orca_engine *e, uint64_t id, const orca_skill_level *skills,
                      uint32_t nskills, orca_channel_id whatsapp)
{
    const orca_channel_limit limits[] = { { ORCA_CHANNEL_VOICE, 1 },
                                          { ORCA_CHANNEL_CALLBACK, 1 }, { whatsapp, 2 } };
    orca_agent_def ad;
    orca_agent_def_init(&ad);
    ad.id = id;
    ad.skills = skills;
    ad.nskills = nskills;
    ad.limits = limits;
    ad.nlimits = 3;
    if (orca_agent_info_get(e, id, &(orca_agent_info){0}) == ORCA_OK)
        CHECK(orca_agent_update(e, &ad));      /* same agent, new skills */
    else
        CHECK(orca_agent_add(e, &ad));
}

/* Every live interaction, a page of 4 at a time, in id order. */
static void list_work(orca_engine *e)
{
    static const char *const state[] = { "?", "waiting", "offered", "busy", "wrap-up",
                                         "scheduled", "with the bot" };
    orca_cursor c = {0};
    orca_interaction_info page[4];
    uint32_t n;
    printf("  live work:");
    do {
        CHECK(orca_interaction_list(e, &c, page, 4, &n));
        for (uint32_t i = 0; i < n; i++)
            printf(" %llu %s %s (priority %u);", (ull)page[i].id,
                   orca_channel_name(e, page[i].channel), state[page[i].state],
                   page[i].effective_priority);
    } while (n == 4);
    printf("\n");
}

/* orca_engine_dump writes the whole state as text: collect it to compare. */
typedef struct text { char *p; size_t len; } text;
static void append(void *data, const char *s, size_t len)
{
    text *t = data;
    char *p = realloc(t->p, t->len + len);
    if (!p) { perror("supervisor"); exit(1); }
    memcpy(p + t->len, s, len);
    t->p = p;
    t->len += len;
}

int main(void)
{
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.start_ms = T0;
    orca_engine *e;
    CHECK(orca_engine_new(&cfg, &e));
    orca_stats *st;
    CHECK(orca_stats_new(e, NULL, &st));

    /* A channel of the host's own: a WhatsApp conversation costs a quarter
     * of an agent (cost 25 of 100). The gateway knows it by name. */
    const orca_channel_callbacks cb = { .offer = on_offer };
    orca_channel_def cd = { .name = "whatsapp", .cost = 25, .wrapup_ms = 0,
                            .callbacks = &cb, .data = e };
    orca_channel_id wa;
    CHECK(orca_channel_add(e, &cd, &wa));
    CHECK(orca_channel_find(e, "whatsapp", &wa));
    CHECK(orca_channel_set_callbacks(e, ORCA_CHANNEL_VOICE, &cb, e));
    CHECK(orca_channel_set_callbacks(e, ORCA_CHANNEL_CALLBACK, &cb, e));
    CHECK(orca_channel_set_wrapup(e, ORCA_CHANNEL_VOICE, 2 * MIN));

    orca_skill_id en, refunds;
    CHECK(orca_skill_intern(e, "en", &en));
    CHECK(orca_skill_intern(e, "refunds", &refunds));
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "support";
    qd.callback_retry_ms = 5 * MIN;            /* a missed callback: again in 5 min */
    orca_queue_id support, campaign;
    CHECK(orca_queue_add(e, &qd, &support));
    qd.name = "campaign";                      /* this month's offer line */
    CHECK(orca_queue_add(e, &qd, &campaign));
    const orca_skill_level base[] = { { en, 4 } };
    add_agent(e, ANA, base, 1, wa);
    add_agent(e, BEN, base, 1, wa);
    add_agent(e, TEMP, base, 1, wa);
    CHECK(orca_queue_member_add(e, support, ANA, 0));
    CHECK(orca_queue_member_add(e, support, BEN, 0));
    CHECK(orca_queue_member_add(e, campaign, TEMP, 0));
    for (uint64_t a = ANA; a <= TEMP; a++)
        CHECK(orca_agent_set_presence(e, a, ORCA_PRESENCE_READY, 0));

    int log;                                   /* the live log, from now on */
    CHECK(orca_listener_add(e, on_event, NULL, &log));
    printf("14:00 a WhatsApp message starts with the bot, which cannot do refunds\n");
    enqueue(e, 101, support, wa, CUSTOMER, 1, NULL);
    CHECK(orca_engine_advance(e, T0 + 3 * MIN));
    orca_interaction_def to;                   /* to people who can */
    orca_interaction_def_init(&to);
    to.id = 101;
    to.queue = support;
    to.channel = wa;
    const orca_skill_level need[] = { { refunds, 1 } };
    to.required = need;
    to.nrequired = 1;
    CHECK(orca_interaction_escalate(e, 101, &to));
    printf("14:03 nobody has \"refunds\": Ana has just been trained, so the supervisor"
           " adds it\n");
    orca_skill_id r;
    CHECK(orca_skill_find(e, "refunds", &r));  /* known: no new skill made */
    const orca_skill_level trained[] = { { en, 4 }, { r, 2 } };
    CHECK(orca_engine_advance(e, T0 + 4 * MIN));
    add_agent(e, ANA, trained, 2, wa);         /* orca_agent_update: offered at once */

    printf("14:05 three calls; Ben takes one, Ana is on WhatsApp (a call needs all of her)\n");
    CHECK(orca_engine_advance(e, T0 + 5 * MIN));
    for (uint64_t id = 201; id <= 203; id++)
        enqueue(e, id, support, ORCA_CHANNEL_VOICE, 600 + id, 0, NULL);
    printf("14:06 a large refund (refunds level 3: nobody yet) waits; the customer\n"
           "      then writes it is sorted, so the message is withdrawn\n");
    CHECK(orca_engine_advance(e, T0 + 6 * MIN));
    const orca_skill_level large[] = { { refunds, 3 } };
    enqueue(e, 102, support, wa, 700, 0, large);
    list_work(e);
    CHECK(orca_interaction_cancel(e, 102));
    printf("14:06 the supervisor sets support's service-level target to 20 s and caps\n"
           "      it at 50 callers, from now on (live settings; how it routes stays)\n");
    qd.name = "support";
    qd.sla_ms = 20 * 1000;
    qd.max_size = 50;
    CHECK(orca_queue_update(e, support, &qd));
    printf("14:07 caller 203 is upset: priority 5, ahead of 202; 202 takes a callback"
           " at 14:20\n");
    CHECK(orca_engine_advance(e, T0 + 7 * MIN));
    CHECK(orca_interaction_set_priority(e, 203, 5));
    CHECK(orca_interaction_callback(e, 202, ORCA_CHANNEL_CALLBACK, T0 + 20 * MIN));
    list_work(e);

    printf("14:10 Ben's call ends; he skips the rest of wrap-up and takes 203\n");
    CHECK(orca_engine_advance(e, T0 + 10 * MIN));
    CHECK(orca_interaction_end(e, 201));
    CHECK(orca_interaction_wrapup_done(e, 201));
    printf("14:12 Ana's refund is done: 5 stars, resolved first time\n");
    CHECK(orca_engine_advance(e, T0 + 12 * MIN));
    CHECK(orca_interaction_set_survey(e, 101, 5, 1));
    CHECK(orca_interaction_end(e, 101));
    CHECK(orca_engine_advance(e, T0 + 15 * MIN));
    CHECK(orca_interaction_end(e, 203));

    CHECK(orca_engine_advance(e, T0 + 19 * MIN));
    printf("14:20 the callback: nobody answers; again 5 minutes later, and it works\n");
    /* step to each due time: offers reach the host when advance returns,
     * so one long jump would let them time out unanswered on the way */
    CHECK(orca_engine_advance(e, T0 + 20 * MIN));
    CHECK(orca_engine_advance(e, T0 + 21 * MIN));
    CHECK(orca_interaction_unreached(e, 202));
    CHECK(orca_engine_advance(e, T0 + 26 * MIN));
    CHECK(orca_engine_advance(e, T0 + 30 * MIN));
    CHECK(orca_interaction_end(e, 202));
    CHECK(orca_engine_advance(e, T0 + 35 * MIN));

    printf("14:35 the supervisor closes the live log\n");
    CHECK(orca_listener_remove(e, log));

    /* The customer's record, then a privacy request: forget them. */
    uint64_t open[4];
    orca_history_entry h[8];
    uint32_t nopen, nh;
    CHECK(orca_customer_open(e, CUSTOMER, open, 4, &nopen));
    CHECK(orca_customer_history(e, CUSTOMER, h, 8, &nh));
    printf("customer %d: %u open, %u in history:", CUSTOMER, nopen, nh);
    for (uint32_t i = 0; i < nh; i++)
        printf(" %llu on %s, answered by agent %llu", (ull)h[i].interaction,
               orca_channel_name(e, h[i].channel), (ull)h[i].agent);
    CHECK(orca_customer_forget(e, CUSTOMER));
    printf("; forgotten on request: %s\n",
           orca_customer_info_get(e, CUSTOMER, &(orca_customer_info){0}) == ORCA_ENOENT
           ? "nothing kept" : "STILL KEPT");

    /* The campaign is over: its queue goes, and so does the temp agent. */
    CHECK(orca_queue_member_remove(e, campaign, TEMP));
    CHECK(orca_queue_remove(e, campaign));
    CHECK(orca_agent_remove(e, TEMP));

    /* A refused call leaves the engine as it was: the dumps are equal. */
    text before = {0}, after = {0};
    CHECK(orca_engine_dump(e, append, &before));
    int rc = orca_queue_remove(e, campaign);   /* gone already */
    CHECK(orca_engine_dump(e, append, &after));
    printf("removing the campaign queue again: %s; state %s (dump of %zu bytes)\n",
           orca_strerror(rc), before.len == after.len && !memcmp(before.p, after.p, after.len)
           ? "unchanged" : "CHANGED", after.len);
    free(before.p);
    free(after.p);

    /* Tomorrow: 120 calls an hour, 5 minutes each, 80% answered in 20 s. */
    uint32_t need_agents;
    orca_erlang er;
    CHECK(orca_erlang_agents(120 / 3600.0, 300, 20, 0.8, &need_agents, &er));
    orca_figures f;
    CHECK(orca_stats_total(st, ORCA_SPAN_TOTAL, &f));
    printf("today: %llu answered, %llu events the figures missed; tomorrow at 120 calls/h:"
           " %u agents (%.0f%% in 20 s)\n", (ull)f.answered, (ull)orca_stats_dropped(st),
           need_agents, 100 * er.sl);
    printf("check: %s\n", orca_engine_check(e) == ORCA_OK ? "ok" : "FAILED");
    orca_stats_free(st);
    orca_engine_free(e);
    return 0;
}
