/*
 * test_journal_ship.c: a standby that follows an engine record by record
 * (orca_journal_set_tap, orca_journal_apply; the ground a hot standby is
 * built on). A leader works a small centre at random, with compactions;
 * a standby applies every record as the tap hands it over and must equal
 * the leader (engine dump) after every step; a standby that starts late,
 * from the last compaction's snapshot, must equal it too. Bad records (a
 * flipped byte, a gap, a wrong length) are refused and change nothing.
 * ORCA_SHIP_STEPS sets the number of steps (default 3000).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct rec {
    uint8_t *p;
    size_t n;
    uint64_t seq;
    int new_file;
} rec;

typedef struct tape {
    rec *v;
    size_t n, cap;
    size_t last_file; /* index of the last record that began a file */
} tape;

static void on_record(void *data, uint64_t seq, const void *p, size_t n, int new_file)
{
    tape *t = data;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->v = realloc(t->v, t->cap * sizeof *t->v);
        assert_non_null(t->v);
    }
    rec *r = &t->v[t->n];
    r->p = malloc(n);
    assert_non_null(r->p);
    memcpy(r->p, p, n);
    r->n = n, r->seq = seq, r->new_file = new_file;
    if (new_file)
        t->last_file = t->n;
    t->n++;
}

static void tape_free(tape *t)
{
    for (size_t k = 0; k < t->n; k++)
        free(t->v[k].p);
    free(t->v);
}

/* A name for a journal that does not exist yet. */
static void free_path(char *path)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
}

static char *dump(const orca_engine *e)
{
    return tu_dump_(e, __FILE__, __LINE__);
}

static void same(const orca_engine *a, const orca_engine *b, size_t step)
{
    char *x = dump(a), *y = dump(b);
    if (strcmp(x, y) != 0)
        fail_msg("step %zu: the standby differs from the leader", step);
    free(x);
    free(y);
}

/* One random step on the leader: arrivals, answers, ends, abandons, agents
 * coming and going, the clock, now and then a compaction. */
static void step(orca_engine *e, orca_queue_id q, uint32_t x, uint64_t *next_id)
{
    uint64_t id = 1 + (x >> 8) % (*next_id > 1 ? *next_id - 1 : 1);
    orca_interaction_info ii;
    switch (x % 9) {
    case 0:
    case 1: {
        orca_interaction_def d;
        orca_interaction_def_init(&d);
        d.id = (*next_id)++;
        d.queue = q;
        d.channel = (x >> 4) % 2 ? ORCA_CHANNEL_VOICE : ORCA_CHANNEL_CHAT;
        d.customer = 1 + (x >> 12) % 20;
        TU_OK(orca_interaction_enqueue(e, &d));
        break;
    }
    case 2:
        if (orca_interaction_info_get(e, id, &ii) == ORCA_OK && ii.state == ORCA_STATE_OFFERED)
            TU_OK((x >> 20) % 4 ? orca_offer_accept(e, id) : orca_offer_reject(e, id));
        break;
    case 3:
        if (orca_interaction_info_get(e, id, &ii) == ORCA_OK && ii.state == ORCA_STATE_BUSY)
            TU_OK(orca_interaction_end(e, id));
        break;
    case 4:
        if (orca_interaction_info_get(e, id, &ii) == ORCA_OK && ii.state == ORCA_STATE_WAITING)
            TU_OK(orca_interaction_abandon(e, id));
        break;
    case 5:
        TU_OK(orca_agent_set_presence(e, 1 + (x >> 8) % 4,
                                      (x >> 16) % 3 ? ORCA_PRESENCE_READY : ORCA_PRESENCE_NOT_READY, 0));
        break;
    case 6:
    case 7:
        TU_OK(orca_engine_advance(e, orca_engine_now(e) + 100 + (x >> 8) % 5000));
        break;
    default:
        if ((x >> 8) % 16 == 0)
            TU_OK(orca_journal_compact(e));
        break;
    }
}

/* A leader journaling at path (a new name) with its records taped, the
 * config a follower needs in *c, and a queue of four READY agents in *q. */
static orca_engine *leader_new(tu_fx *fa, char *path, tape *t, orca_config *c, orca_queue_id *q)
{
    free_path(path);
    orca_engine *A = tu_fx_new(fa, NULL);
    TU_OK(orca_journal_set_tap(A, on_record, t));
    orca_journal_config jc = { .sync = ORCA_SYNC_NEVER };
    TU_OK(orca_journal_open(A, path, &jc));
    TU_OK(orca_journal_read_config(path, c));
    *q = tu_queue(A, "support", ORCA_STRATEGY_LONGEST_IDLE);
    for (uint64_t a = 1; a <= 4; a++) {
        tu_agent(A, a, 100, NULL, 0);
        tu_member(A, *q, a, 0);
        tu_ready(A, a);
    }
    return A;
}

static void test_follow(void **state)
{
    (void)state;
    const char *v = getenv("ORCA_SHIP_STEPS");
    size_t steps = v && *v ? strtoul(v, NULL, 10) : 3000;
    char path[] = "/tmp/orca-ship-XXXXXX";
    tape t = { 0 };
    tu_fx fa;
    orca_config c;
    orca_queue_id q;
    orca_engine *A = leader_new(&fa, path, &t, &c, &q);
    orca_engine *B = NULL;
    TU_OK(orca_engine_new(&c, &B));
    size_t fed = 0, compactions = 0;
    uint64_t next_id = 1, applied = 0;
    uint32_t s = 12345;
    for (size_t k = 0; k < steps; k++) {
        s = s * 1103515245u + 12345u;
        step(A, q, s ^ (s >> 15), &next_id);
        for (; fed < t.n; fed++) {
            compactions += (size_t)t.v[fed].new_file;
            TU_OK(orca_journal_apply(B, t.v[fed].p, t.v[fed].n, &applied));
            assert_int_equal(applied, t.v[fed].seq);
        }
        same(A, B, k);
    }
    assert_true(compactions > 0); /* the standby went through snapshots it had */

    /* A standby that starts from the last snapshot, not the beginning. */
    orca_engine *C = NULL;
    TU_OK(orca_engine_new(&c, &C));
    /* ...it may not start in the middle of a file */
    TU_RC(orca_journal_apply(C, t.v[t.n - 1].p, t.v[t.n - 1].n, NULL), ORCA_ESTATE);
    for (size_t k = t.last_file; k < t.n; k++)
        TU_OK(orca_journal_apply(C, t.v[k].p, t.v[k].n, NULL));
    same(A, C, steps);
    TU_OK(orca_engine_check(C));
    print_message("standby: %zu steps, %zu records, %zu compactions followed; a late standby "
                  "from the last snapshot (%zu records) equal too\n",
                  steps, t.n, compactions, t.n - t.last_file);
    orca_engine_free(C);
    orca_engine_free(B);
    tu_fx_free(&fa);
    tape_free(&t);
    unlink(path);
}

/* Bad records: refused, nothing changed. */
static void test_refused(void **state)
{
    (void)state;
    char path[] = "/tmp/orca-ship-XXXXXX";
    free_path(path);
    tape t = { 0 };
    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, NULL);
    orca_journal_config jc = { .sync = ORCA_SYNC_NEVER };
    TU_OK(orca_journal_open(A, path, &jc));
    TU_OK(orca_journal_set_tap(A, on_record, &t));
    orca_queue_id q = tu_queue(A, "support", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(A, 1, 100, NULL, 0);
    tu_member(A, q, 1, 0);
    tu_enqueue(A, 7, q, ORCA_CHANNEL_VOICE, 0);
    assert_true(t.n >= 4);
    orca_config c;
    TU_OK(orca_journal_read_config(path, &c));
    orca_engine *B = NULL;
    TU_OK(orca_engine_new(&c, &B));
    uint64_t applied = 99;
    TU_RC(orca_journal_apply(NULL, t.v[0].p, t.v[0].n, &applied), ORCA_EINVAL);
    assert_int_equal(applied, 0);
    TU_FAILS(B, orca_journal_apply(B, NULL, 10, NULL), ORCA_EINVAL);
    TU_FAILS(B, orca_journal_apply(B, t.v[0].p, t.v[0].n - 1, NULL), ORCA_EINVAL);
    TU_FAILS(B, orca_journal_apply(B, t.v[1].p, t.v[1].n, NULL), ORCA_ESTATE); /* not the first */
    t.v[0].p[t.v[0].n - 12] ^= 1; /* a flipped bit: the checksum says so */
    TU_FAILS(B, orca_journal_apply(B, t.v[0].p, t.v[0].n, NULL), ORCA_ECORRUPT);
    t.v[0].p[t.v[0].n - 12] ^= 1;
    TU_OK(orca_journal_apply(B, t.v[0].p, t.v[0].n, &applied));
    assert_int_equal(applied, 1);
    TU_FAILS(B, orca_journal_apply(B, t.v[2].p, t.v[2].n, NULL), ORCA_ESTATE); /* a gap */
    TU_FAILS(B, orca_journal_apply(B, t.v[0].p, t.v[0].n, NULL), ORCA_ESTATE); /* again */
    for (size_t k = 1; k < t.n; k++)
        TU_OK(orca_journal_apply(B, t.v[k].p, t.v[k].n, NULL));
    same(A, B, 0);
    /* An engine with its own journal follows nobody. */
    TU_FAILS(A, orca_journal_apply(A, t.v[0].p, t.v[0].n, NULL), ORCA_ESTATE);
    orca_engine_free(B);
    tu_fx_free(&fa);
    tape_free(&t);
    unlink(path);
}

static size_t count_offered(const orca_engine *e, uint64_t ids)
{
    size_t n = 0;
    orca_interaction_info ii;
    for (uint64_t id = 1; id < ids; id++)
        n += orca_interaction_info_get(e, id, &ii) == ORCA_OK && ii.state == ORCA_STATE_OFFERED;
    return n;
}

/* A standby becomes the writer (orca_journal_promote): its state goes to a
 * new journal as a snapshot, agents OFFLINE, pending offers back to
 * WAITING; that journal replays to the same engine. Refused while it is
 * not a whole follower, or where a file exists, changing nothing. */
static void test_promote(void **state)
{
    (void)state;
    char path[] = "/tmp/orca-ship-XXXXXX", path2[] = "/tmp/orca-ship-XXXXXX";
    free_path(path2);
    tape t = { 0 };
    tu_fx fa;
    orca_config c;
    orca_queue_id q;
    orca_engine *A = leader_new(&fa, path, &t, &c, &q);
    orca_engine *B = NULL, *N = NULL, *M = NULL, *D = NULL;
    TU_OK(orca_engine_new(&c, &B));
    TU_OK(orca_engine_new(&c, &N));
    TU_OK(orca_engine_new(&c, &M));
    uint64_t next_id = 1;
    uint32_t s = 777;
    size_t fed = 0;
    /* steps until some work is offered and the last record is not a compaction */
    for (size_t k = 0; k < 400 || !count_offered(A, next_id) || t.v[t.n - 1].new_file; k++) {
        s = s * 1103515245u + 12345u;
        step(A, q, s ^ (s >> 15), &next_id);
        assert_true(k < 100000);
    }
    for (; fed < t.n; fed++)
        TU_OK(orca_journal_apply(B, t.v[fed].p, t.v[fed].n, NULL));
    same(A, B, 0);
    size_t offered = count_offered(A, next_id);

    orca_journal_config pc = { .sync = ORCA_SYNC_NEVER, .restore_presence = ORCA_RESTORE_OFFLINE };
    orca_journal_info info;
    /* bad arguments, an engine that follows nobody, one inside a snapshot */
    TU_RC(orca_journal_promote(NULL, path2, &pc, &info), ORCA_EINVAL);
    TU_FAILS(B, orca_journal_promote(B, NULL, &pc, &info), ORCA_EINVAL);
    TU_FAILS(B, orca_journal_promote(B, path2, &(orca_journal_config){ .sync = 9 }, NULL), ORCA_EINVAL);
    TU_FAILS(N, orca_journal_promote(N, path2, &pc, &info), ORCA_ESTATE);
    TU_FAILS(A, orca_journal_promote(A, path2, &pc, &info), ORCA_ESTATE); /* it writes already */
    TU_OK(orca_journal_apply(M, t.v[t.last_file].p, t.v[t.last_file].n, NULL));
    assert_int_equal(access(path2, F_OK), -1);
    TU_FAILS(M, orca_journal_promote(M, path2, &pc, &info), ORCA_ESTATE);
    /* where a file exists already: refused, and B still follows */
    assert_int_not_equal(orca_journal_promote(B, path, &pc, &info), ORCA_OK);
    assert_int_equal(access(path2, F_OK), -1);
    s = s * 1103515245u + 12345u;
    TU_OK(orca_engine_advance(A, orca_engine_now(A) + 1000));
    tu_enqueue(A, next_id++, q, ORCA_CHANNEL_CHAT, 0);
    for (; fed < t.n; fed++)
        TU_OK(orca_journal_apply(B, t.v[fed].p, t.v[fed].n, NULL));
    same(A, B, 1);
    offered = count_offered(A, next_id);
    /* the writer died inside a compaction's snapshot: B, reading past a
     * snapshot of the state it has, is whole */
    TU_OK(orca_journal_compact(A));
    assert_true(t.v[fed].new_file && fed + 1 < t.n);
    TU_OK(orca_journal_apply(B, t.v[fed].p, t.v[fed].n, NULL));

    /* promoted: what it had, agents OFFLINE, no offer left pending */
    TU_OK(orca_journal_promote(B, path2, &pc, &info));
    assert_int_equal(info.recovered_offers, offered);
    assert_true(info.records >= 2);
    assert_int_equal(count_offered(B, next_id), 0);
    orca_counts n;
    TU_OK(orca_engine_counts(B, &n));
    assert_int_equal(n.agents_ready, 0);
    TU_OK(orca_engine_check(B));
    /* it follows no more, and writes: a record from A is refused */
    TU_FAILS(B, orca_journal_apply(B, t.v[0].p, t.v[0].n, NULL), ORCA_ESTATE);
    TU_OK(orca_agent_set_presence(B, 1, ORCA_PRESENCE_READY, 0));
    /* its journal replays to the same engine */
    TU_OK(orca_engine_new(&c, &D));
    TU_OK(orca_journal_close(B));
    TU_OK(orca_journal_replay(D, path2, NULL, NULL));
    same(B, D, 2);
    print_message("promoted after %zu records: %zu pending offers recovered, new journal of "
                  "%llu records\n", t.n, offered, (unsigned long long)info.records);
    orca_engine_free(D);
    orca_engine_free(M);
    orca_engine_free(N);
    orca_engine_free(B);
    tu_fx_free(&fa);
    tape_free(&t);
    unlink(path);
    unlink(path2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_follow),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_promote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
