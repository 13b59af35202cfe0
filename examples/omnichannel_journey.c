/*
 * omnichannel_journey.c: one customer's day across channels, and what orca
 * gives the agents along the way.
 *
 * Customer 4242 chats in the morning, writes an email before lunch and
 * calls in the afternoon, all in one conversation. Every offer arrives with
 * the customer's history, so each agent sees the story before accepting,
 * and sticky routing brings each follow-up back to Ana, who handled the
 * first contact. The call is then transferred (consult) to billing, and the
 * billing agent books a callback for the next morning, held for herself.
 *
 * The clock is virtual and reads as Unix time: it starts on Monday
 * 2025-11-24 at 09:00 UTC and the program moves it along.
 */
#include <orca.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(call) do { int rc_ = (call); if (rc_ != ORCA_OK) { \
    fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, orca_strerror(rc_)); \
    exit(1); } } while (0)

#define MONDAY_9AM 1763974800000ull /* 2025-11-24 09:00:00 UTC, in ms */
#define MIN 60000ull
#define HOUR (60 * MIN)
#define CUSTOMER 4242
#define CONVERSATION 77

static const char *agent_name(uint64_t id)
{
    static const char *names[] = { "?", "Ana", "Ben", "Chloe" };
    return id < 4 ? names[id] : "?";
}

static void clock_str(uint64_t ms, char *buf, size_t len)
{
    uint64_t s = (ms - MONDAY_9AM) / 1000 + 9 * 3600;
    snprintf(buf, len, "%s %02u:%02u:%02u", s >= 86400 ? "Tue" : "Mon",
             (unsigned)(s % 86400 / 3600), (unsigned)(s % 3600 / 60), (unsigned)(s % 60));
}

static const char *outcome_name(orca_outcome o)
{
    switch (o) {
    case ORCA_OUTCOME_COMPLETED: return "completed";
    case ORCA_OUTCOME_ABANDONED: return "abandoned";
    case ORCA_OUTCOME_CANCELLED: return "cancelled";
    case ORCA_OUTCOME_TIMED_OUT: return "timed out";
    case ORCA_OUTCOME_TRANSFERRED: return "transferred";
    case ORCA_OUTCOME_CONTAINED: return "contained by the bot";
    case ORCA_OUTCOME_UNREACHED: return "customer unreached";
    }
    return "?";
}

/* Wrap-up codes the host uses (orca stores the number). */
static const char *disposition_name(uint32_t d)
{
    static const char *names[] = { "-", "password reset explained", "invoice copy sent",
                                   "refund approved", "refund confirmed" };
    return d < 5 ? names[d] : "?";
}

/* What the agent's screen shows when work is offered. */
static void on_offer(void *data, const orca_offer *o)
{
    orca_engine *e = data;
    char now[32], at[32];
    clock_str(o->offered_ms, now, sizeof now);
    printf("%s  OFFER %s #%llu to %s (customer %llu, waited %llus)\n", now,
           orca_channel_name(e, o->channel), (unsigned long long)o->interaction,
           agent_name(o->agent), (unsigned long long)o->customer,
           (unsigned long long)((o->offered_ms - o->arrival_ms) / 1000));
    if (!o->nhistory)
        printf("              history: first contact\n");
    for (uint32_t k = 0; k < o->nhistory; k++) {
        const orca_history_entry *h = &o->history[k];
        clock_str(h->arrival_ms, at, sizeof at);
        printf("              history: %s %-8s #%llu with %-5s %-12s (%s)\n", at,
               orca_channel_name(e, h->channel), (unsigned long long)h->interaction,
               agent_name(h->agent), outcome_name(h->outcome), disposition_name(h->disposition));
    }
}

static void on_event(void *data, const orca_event *ev)
{
    char now[32];
    (void)data;
    clock_str(ev->time_ms, now, sizeof now);
    if (ev->type == ORCA_EV_ENQUEUED && (ev->value & ORCA_ENQ_STICKY))
        printf("%s  #%llu is held for %s, who handled this conversation before%s\n", now,
               (unsigned long long)ev->interaction, agent_name(ev->agent),
               ev->value & ORCA_ENQ_SWITCH ? " (on another channel)" : "");
    else if (ev->type == ORCA_EV_TRANSFERRED)
        printf("%s  %s hands #%llu over to leg #%llu (%s)\n", now, agent_name(ev->agent),
               (unsigned long long)ev->interaction, (unsigned long long)ev->other,
               ev->value == ORCA_TRANSFER_CONSULT ? "consult: the leg was answered" : "blind");
    else if (ev->type == ORCA_EV_SCHEDULED)
        printf("%s  #%llu scheduled: routable from %llu min from now\n", now,
               (unsigned long long)ev->interaction,
               (unsigned long long)((ev->due_ms - ev->time_ms) / MIN));
    else if (ev->type == ORCA_EV_TARGET_RELEASED)
        printf("%s  #%llu is no longer held for %s\n", now, (unsigned long long)ev->interaction,
               agent_name(ev->agent));
    else if (ev->type == ORCA_EV_COMPLETED)
        printf("%s  %s is done with #%llu\n", now, agent_name(ev->agent),
               (unsigned long long)ev->interaction);
}

static orca_queue_id add_queue(orca_engine *e, const char *name, uint32_t sticky_ms)
{
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = name;
    qd.wrapup_ms = 0;            /* keep the story short: no after-call work */
    qd.sticky_ms = sticky_ms;    /* hold follow-ups for the last agent this long */
    orca_queue_id q;
    CHECK(orca_queue_add(e, &qd, &q));
    return q;
}

static void add_agent(orca_engine *e, uint64_t id, orca_queue_id q1, orca_queue_id q2)
{
    static const orca_channel_limit limits[] = {
        { ORCA_CHANNEL_VOICE, 1 }, { ORCA_CHANNEL_CHAT, 2 }, { ORCA_CHANNEL_EMAIL, 4 },
        { ORCA_CHANNEL_CALLBACK, 1 } };
    orca_agent_def ad;
    orca_agent_def_init(&ad);
    ad.id = id;
    ad.limits = limits;
    ad.nlimits = 4;
    CHECK(orca_agent_add(e, &ad));
    CHECK(orca_queue_member_add(e, q1, id, 0));
    if (q2)
        CHECK(orca_queue_member_add(e, q2, id, 0));
    CHECK(orca_agent_set_presence(e, id, ORCA_PRESENCE_READY, 0));
}

static void contact(orca_engine *e, uint64_t id, orca_queue_id q, orca_channel_id ch,
                    uint64_t customer)
{
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = id;
    d.queue = q;
    d.channel = ch;
    d.customer = customer;
    d.conversation = customer == CUSTOMER ? CONVERSATION : 0;
    CHECK(orca_interaction_enqueue(e, &d));
}

/* The agent handling #id finishes it, with a wrap-up code. */
static void finish(orca_engine *e, uint64_t id, uint32_t disposition)
{
    CHECK(orca_interaction_set_disposition(e, id, disposition));
    CHECK(orca_interaction_end(e, id));
}

int main(void)
{
    orca_engine *e;
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.start_ms = MONDAY_9AM;
    CHECK(orca_engine_new(&cfg, &e));
    orca_channel_callbacks cb = { .offer = on_offer };
    for (orca_channel_id ch = 0; ch < ORCA_CHANNEL_BUILTIN_COUNT; ch++)
        CHECK(orca_channel_set_callbacks(e, ch, &cb, e));
    CHECK(orca_listener_add(e, on_event, NULL, NULL));

    orca_queue_id support = add_queue(e, "support", 2 * MIN);
    orca_queue_id billing = add_queue(e, "billing", 0);
    add_agent(e, 1, support, 0);       /* Ana */
    add_agent(e, 2, support, 0);       /* Ben */
    add_agent(e, 3, billing, 0);       /* Chloe */

    printf("-- 09:00 the customer opens a chat\n");
    contact(e, 101, support, ORCA_CHANNEL_CHAT, CUSTOMER); /* Ana: idle longest */
    CHECK(orca_offer_accept(e, 101));
    CHECK(orca_engine_advance(e, MONDAY_9AM + 12 * MIN));
    finish(e, 101, 1);

    printf("-- 11:40 a follow-up email in the same conversation; Ben is idle longer\n");
    CHECK(orca_engine_advance(e, MONDAY_9AM + 160 * MIN));
    contact(e, 102, support, ORCA_CHANNEL_EMAIL, CUSTOMER);
    CHECK(orca_offer_accept(e, 102));
    CHECK(orca_engine_advance(e, MONDAY_9AM + 170 * MIN));
    finish(e, 102, 2);

    printf("-- 14:00 Ben is on a break; Ana takes another customer's call\n");
    CHECK(orca_engine_advance(e, MONDAY_9AM + 5 * HOUR));
    CHECK(orca_agent_set_presence(e, 2, ORCA_PRESENCE_NOT_READY, 0));
    contact(e, 200, support, ORCA_CHANNEL_VOICE, 9999);
    CHECK(orca_offer_accept(e, 200));
    CHECK(orca_engine_advance(e, MONDAY_9AM + 5 * HOUR + 4 * MIN));
    CHECK(orca_agent_set_presence(e, 2, ORCA_PRESENCE_READY, 0));
    printf("-- 14:05 our customer calls: Ben is free, Ana is on the phone\n");
    CHECK(orca_engine_advance(e, MONDAY_9AM + 5 * HOUR + 5 * MIN));
    contact(e, 103, support, ORCA_CHANNEL_VOICE, CUSTOMER);
    CHECK(orca_engine_advance(e, MONDAY_9AM + 5 * HOUR + 5 * MIN + 40000));
    finish(e, 200, 0);                 /* Ana hangs up: the held call goes to her */
    CHECK(orca_offer_accept(e, 103));

    printf("-- 14:09 a refund is needed: Ana consults billing\n");
    CHECK(orca_engine_advance(e, MONDAY_9AM + 5 * HOUR + 9 * MIN));
    orca_interaction_def to;
    orca_interaction_def_init(&to);
    to.id = 104;                       /* the new leg, while Ana stays on the line */
    to.queue = billing;
    to.channel = ORCA_CHANNEL_VOICE;
    CHECK(orca_interaction_transfer(e, 103, &to, ORCA_TRANSFER_CONSULT));
    CHECK(orca_offer_accept(e, 104));  /* Chloe answers: Ana is released */
    CHECK(orca_engine_advance(e, MONDAY_9AM + 5 * HOUR + 20 * MIN));
    finish(e, 104, 3);

    printf("-- Chloe books a callback for Tuesday 10:00, for herself, offered 2 min early\n");
    orca_interaction_def cbk;
    orca_interaction_def_init(&cbk);
    cbk.id = 105;
    cbk.queue = billing;
    cbk.channel = ORCA_CHANNEL_CALLBACK;
    cbk.customer = CUSTOMER;
    cbk.conversation = CONVERSATION;
    cbk.not_before_ms = MONDAY_9AM + 25 * HOUR;
    cbk.early_ms = 2 * MIN;
    cbk.agent = 3;                     /* Chloe first, for 10 minutes, then anyone */
    cbk.agent_wait_ms = 10 * MIN;
    CHECK(orca_interaction_enqueue(e, &cbk));
    CHECK(orca_engine_advance(e, MONDAY_9AM + 25 * HOUR - 2 * MIN));
    CHECK(orca_offer_accept(e, 105));
    CHECK(orca_engine_advance(e, MONDAY_9AM + 25 * HOUR + 6 * MIN));
    finish(e, 105, 4);

    orca_customer_info ci;
    orca_customer_totals t;
    CHECK(orca_customer_info_get(e, CUSTOMER, &ci));
    CHECK(orca_customer_totals_get(e, &t));
    printf("\ncustomer %llu: %llu contacts, %u kept in history, last answered by %s\n",
           (unsigned long long)ci.customer, (unsigned long long)ci.contacts, ci.history,
           agent_name(ci.last_agent));
    printf("all: %llu contacts, %llu recontacts, %llu channel switches, %llu held for an "
           "agent (%llu sticky), %llu transfers, %llu scheduled\n",
           (unsigned long long)t.contacts, (unsigned long long)t.recontacts,
           (unsigned long long)t.channel_switches, (unsigned long long)t.targeted,
           (unsigned long long)t.sticky, (unsigned long long)t.transfers,
           (unsigned long long)t.scheduled);
    CHECK(orca_engine_check(e));
    orca_engine_free(e);
    return 0;
}
