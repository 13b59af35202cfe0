/*
 * standby.c: a second engine that follows the first record by record, the
 * ground a hot standby stands on. The leader journals as usual and hands
 * each record to the host (orca_journal_set_tap); here the host passes it
 * straight to the standby (orca_journal_apply), where a real one would
 * ship it to another machine (issue 13: through Redis Streams). Midway the
 * leader compacts: the standby reads past the snapshot it already has. A
 * third engine that starts late loads that snapshot and catches up. Then
 * the leader dies and the standby takes over (orca_journal_promote): it
 * writes a journal of its own, its agents OFFLINE until they come back,
 * the call that was ringing back in the queue.
 *
 *   build/examples/standby        (writes and removes a journal in /tmp)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <orca.h>

#define CHECK(x) do { int rc_ = (x); if (rc_ != ORCA_OK) { \
    fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #x, orca_strerror(rc_)); exit(1); } } while (0)

typedef struct host {
    orca_engine *standby, *late;
    unsigned records, late_records;
    int late_started;
} host;

/* The leader wrote a record: the standby applies it; from the compaction
 * on, the late starter takes the records too. */
static void on_record(void *data, uint64_t seq, const void *rec, size_t len, int new_file)
{
    host *h = data;
    uint64_t applied;
    h->records++;
    CHECK(orca_journal_apply(h->standby, rec, len, &applied));
    if (applied != seq)
        exit(1);
    if (new_file)
        h->late_started = 1;
    if (h->late_started) {
        h->late_records++;
        CHECK(orca_journal_apply(h->late, rec, len, NULL));
    }
}

static void waiting(const char *who, const orca_engine *e, orca_queue_id q)
{
    orca_queue_info qi;
    CHECK(orca_queue_info_get(e, q, &qi));
    printf("  %-8s support: %u waiting, %u offered, clock %llu\n", who, qi.waiting, qi.offered,
           (unsigned long long)orca_engine_now(e));
}

int main(void)
{
    char path[] = "/tmp/orca-standby-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    close(fd);
    unlink(path);
    orca_config c;
    orca_config_init(&c);
    c.start_ms = 1767607200000ull;
    orca_engine *leader;
    host h = { 0 };
    CHECK(orca_engine_new(&c, &leader));
    CHECK(orca_engine_new(&c, &h.standby)); /* the same orca_config */
    CHECK(orca_engine_new(&c, &h.late));
    CHECK(orca_journal_set_tap(leader, on_record, &h));
    orca_journal_config jc = { .sync = ORCA_SYNC_NEVER };
    CHECK(orca_journal_open(leader, path, &jc));

    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "support";
    orca_queue_id q;
    CHECK(orca_queue_add(leader, &qd, &q));
    for (uint64_t a = 1; a <= 2; a++) {
        orca_agent_def ad;
        orca_agent_def_init(&ad);
        ad.id = a;
        CHECK(orca_agent_add(leader, &ad));
        CHECK(orca_queue_member_add(leader, q, a, 0));
        CHECK(orca_agent_set_presence(leader, a, ORCA_PRESENCE_READY, 0));
    }
    for (uint64_t id = 1; id <= 5; id++) {
        orca_interaction_def d;
        orca_interaction_def_init(&d);
        d.id = id;
        d.queue = q;
        d.channel = ORCA_CHANNEL_VOICE;
        CHECK(orca_interaction_enqueue(leader, &d));
    }
    CHECK(orca_offer_accept(leader, 1));
    printf("five calls, two agents; the standby follows:\n");
    waiting("leader", leader, q);
    waiting("standby", h.standby, q);
    CHECK(orca_journal_compact(leader)); /* a new file: its snapshot first */
    CHECK(orca_engine_advance(leader, c.start_ms + 30000));
    CHECK(orca_interaction_end(leader, 1));
    printf("after a compaction and 30 s (call 1 ended, call 2 rang out):\n");
    waiting("leader", leader, q);
    waiting("standby", h.standby, q);
    waiting("late", h.late, q);
    printf("%u records shipped; the late starter took the last %u, from the snapshot on\n",
           h.records, h.late_records);

    /* The leader's machine dies (here: the engine goes, unclosed). */
    orca_engine_free(leader);
    char path2[sizeof path + 8];
    snprintf(path2, sizeof path2, "%s.b", path);
    orca_journal_config pc = { .sync = ORCA_SYNC_NEVER, .restore_presence = ORCA_RESTORE_OFFLINE };
    orca_journal_info ji;
    CHECK(orca_journal_promote(h.standby, path2, &pc, &ji));
    printf("the leader died; the standby took over: journal of %llu records, %llu offer(s) "
           "recovered\n", (unsigned long long)ji.records, (unsigned long long)ji.recovered_offers);
    waiting("new", h.standby, q);
    CHECK(orca_agent_set_presence(h.standby, 2, ORCA_PRESENCE_READY, 0)); /* agent 2 is back */
    printf("agent 2 logs in to the new leader:\n");
    waiting("new", h.standby, q);
    orca_engine_free(h.late);
    orca_engine_free(h.standby);
    unlink(path);
    unlink(path2);
    return 0;
}
