/* quickstart.c: the smallest useful orca program. Two agents, one queue, four
 * interactions on voice and chat. orca decides; the host hears each decision
 * through the channel's offer callback, and moves the (virtual) clock. */
#include <orca.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(call) do { int rc_ = (call); if (rc_ != ORCA_OK) { \
    fprintf(stderr, "%s: %s\n", #call, orca_strerror(rc_)); exit(1); } } while (0)

/* Runs once the engine's state is consistent, so it may call back in. */
static void on_offer(void *data, const orca_offer *o)
{
    orca_engine *e = data;
    orca_interaction_info in;
    CHECK(orca_interaction_info_get(e, o->interaction, &in));
    printf("%5.1fs offer: %s %llu -> agent %llu (%s>=%u)\n", o->offered_ms / 1000.0,
           orca_channel_name(e, o->channel), (unsigned long long)o->interaction,
           (unsigned long long)o->agent, orca_skill_name(e, in.required[0].skill),
           (unsigned)in.required[0].level);
    CHECK(orca_offer_accept(e, o->interaction));     /* the agent picks up */
}

int main(void)
{
    orca_engine *e;
    CHECK(orca_engine_new(NULL, &e));                /* the clock starts at 0 ms */
    orca_channel_callbacks cb = { .offer = on_offer };
    CHECK(orca_channel_set_callbacks(e, ORCA_CHANNEL_VOICE, &cb, e));   /* built in */
    CHECK(orca_channel_set_callbacks(e, ORCA_CHANNEL_CHAT, &cb, e));
    CHECK(orca_channel_set_wrapup(e, ORCA_CHANNEL_VOICE, 10000));      /* 10 s after calls */

    orca_skill_id en, fr, billing;                   /* skill names -> small ids */
    CHECK(orca_skill_intern(e, "en", &en));
    CHECK(orca_skill_intern(e, "fr", &fr));
    CHECK(orca_skill_intern(e, "billing", &billing));
    orca_queue_def qd;                               /* defaults: longest idle agent first */
    orca_queue_def_init(&qd);
    qd.name = "support";
    orca_queue_id q;
    CHECK(orca_queue_add(e, &qd, &q));

    /* Agents 7 and 8: one call at a time, or up to 3 chats (25 of 100 units each). */
    const orca_channel_limit limits[] = { { ORCA_CHANNEL_VOICE, 1 }, { ORCA_CHANNEL_CHAT, 3 } };
    const orca_skill_level skills[2][2] = { { { en, 5 }, { billing, 4 } },    /* agent 7 */
                                            { { en, 3 }, { fr, 5 } } };       /* agent 8 */
    for (uint64_t id = 7; id <= 8; id++) {
        orca_agent_def ad;
        orca_agent_def_init(&ad);
        ad.id = id;
        ad.skills = skills[id - 7];
        ad.nskills = 2;
        ad.limits = limits;
        ad.nlimits = 2;
        CHECK(orca_agent_add(e, &ad));
        CHECK(orca_queue_member_add(e, q, id, 0));
        CHECK(orca_agent_set_presence(e, id, ORCA_PRESENCE_READY, 0));
    }

    const struct { orca_channel_id ch; uint32_t prio; orca_skill_level need; } work[] = {
        { ORCA_CHANNEL_VOICE, 0, { en, 1 } },        /* 1001: agent 7 (idle longest, lower id) */
        { ORCA_CHANNEL_CHAT, 0, { billing, 3 } },    /* 1002: only 7 has billing: waits */
        { ORCA_CHANNEL_VOICE, 0, { fr, 4 } },        /* 1003: agent 8 */
        { ORCA_CHANNEL_CHAT, 5, { en, 2 } },         /* 1004: both busy: waits, priority 5 */
    };
    for (uint64_t k = 0; k < 4; k++) {
        orca_interaction_def d;
        orca_interaction_def_init(&d);
        d.id = 1001 + k;
        d.queue = q;
        d.channel = work[k].ch;
        d.priority = work[k].prio;
        d.required = &work[k].need;
        d.nrequired = 1;
        CHECK(orca_interaction_enqueue(e, &d));
    }

    /* At 90 s call 1001 ends; after 10 s of wrap-up agent 7 takes both chats
     * at once, the priority 5 one first. Then everything ends. */
    CHECK(orca_engine_advance(e, 90000));
    CHECK(orca_interaction_end(e, 1001));
    CHECK(orca_engine_advance(e, 100000));
    for (uint64_t id = 1002; id <= 1004; id++)
        CHECK(orca_interaction_end(e, id));
    CHECK(orca_engine_advance(e, 120000));          /* wrap-ups run out */

    orca_counts c;
    CHECK(orca_engine_counts(e, &c));
    printf("done: %u interactions live, %llu events\n", (unsigned)c.interactions,
           (unsigned long long)c.events);
    orca_engine_free(e);
    return 0;
}
