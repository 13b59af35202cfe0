/*
 * fuzz_journal.c: libFuzzer harness for the journal reader, compacted
 * journals (snapshots) included.
 *
 * The input is a journal file: orca_journal_read_config() and
 * orca_journal_replay() must never crash, leak, hang or trip a sanitizer
 * on it, whatever it holds. When the replay succeeds the engine must pass
 * orca_engine_check() and take more calls (journaling on), and compacting
 * it (after accepting the offers pending) must give a journal that
 * replays to the same engine (dump, counts, clock, figures). When it fails
 * in the records, the engine (partly rebuilt by the calls played) must
 * still pass orca_engine_check(); when the snapshot is refused
 * (ORCA_ECORRUPT at the snapshot's offset) it only has to be freed
 * cleanly, as orca.h says.
 *
 * Random bytes almost never carry a valid XXH64, so most inputs would stop
 * at the checksums. The first input byte picks a mode (bits 0-1):
 *   0, 2: the rest is the file as it is;
 *   1:    the rest is fixed up first: the header's checksum (its last 8
 *         bytes, XXH64 of the bytes before) and each record's framing
 *         ([u32 length][u32 ~length][u64 seq][u8 op][payload][u64
 *         XXH64(seq..payload)]: lengths clamped to the file, sequence
 *         numbers 1, 2, ..., checksums recomputed), and the payload of each
 *         8-byte J_SNAP_END (the snapshot's length) set to the length of
 *         the J_SNAP chunks before it (unless bit 3 is set), so the
 *         payload decoder, the snapshot loader and the replayed calls are
 *         what gets fuzzed;
 *   3:    snapshot-framed: the rest is [journal header][u32 w][snapshot
 *         bytes][records]: the harness writes the header (checksum fixed),
 *         the w & 0xffffff snapshot bytes that follow as 1 + (w >> 24) % 4
 *         J_SNAP records and a J_SNAP_END with their length, then the
 *         records, fixed up as in mode 1. Inserting or deleting bytes of
 *         the snapshot keeps it framed, so snap_load's decoding is fuzzed
 *         directly.
 * Bit 2 attaches an orca_stats before the replay (a snapshot's figures are
 * then decoded too, and replayed events counted).
 * Bit 4 replays with restore_presence ORCA_RESTORE_OFFLINE (every agent
 * OFFLINE before recovered offers are routed, journaled as J_OFFLINE_ALL).
 * The header length is learnt from a journal opened at start-up.
 * FUZZ_JOURNAL_VERBOSE=1 prints what each input's replay did: how far
 * each corpus entry gets is
 *   FUZZ_JOURNAL_VERBOSE=1 build/fuzz/fuzz_journal -runs=0 fuzz/corpus/journal
 * (a line per input: replay result, records, bad offset; 116, the end of
 * the header, with snapshot 0 means the snapshot was refused; no line
 * means read_config refused the header). Building with -DSNAP_DEBUG also
 * prints the snapshot.c line that refused a snapshot.
 * FUZZ_JOURNAL_KEEP_BAD=path (on FUZZ_TMPDIR's file system): a compacted
 * journal that does not replay is moved there, to look at.
 *
 * Seeds: fuzz/corpus/journal/snap-* are compacted journals (a snapshot of
 * a small centre with work in every state, customers, figures, then more
 * calls) in modes 0, 1 and 3. They are made by the harness itself:
 *   FUZZ_JOURNAL_MAKE_SEEDS=fuzz/corpus/journal build/fuzz/fuzz_journal
 * writes them there and exits.
 *
 * Build and run: make fuzz (FUZZ_SECONDS, default 60).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "orca.h"
#include "journal.h" /* J_SNAP, J_SNAP_END */

static char g_path[256];
static size_t g_hdr = 116;
static int g_verbose; /* FUZZ_JOURNAL_VERBOSE=1: what each input did */

#define REC_MIN (8 + 1 + 8)   /* seq, op, checksum */
#define CHUNK_MAX (200 * 1024) /* a J_SNAP payload the reader accepts */

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int k = 0; k < 8; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void remove_file(void)
{
    char c[300];
    unlink(g_path);
    snprintf(c, sizeof(c), "%s.compact", g_path);
    unlink(c);
}

static void fix_header(uint8_t *p, size_t n)
{
    if (n >= g_hdr)
        put_u64(p + g_hdr - 8, XXH64(p, g_hdr - 8, 0));
}

/* Fix the framing of the records in p[at..n), numbering them from seq + 1;
 * with snap_end, the length in each 8-byte J_SNAP_END too. */
static void fix_records(uint8_t *p, size_t n, size_t at, uint64_t seq, int snap_end)
{
    uint64_t snap = 0; /* J_SNAP bytes since the last J_SNAP_END */
    while (at <= n && n - at >= 8 + REC_MIN) {
        uint32_t len = get_u32(p + at);
        if (len < REC_MIN)
            len = REC_MIN + (len % 16);
        if ((size_t)len > n - at - 8)
            len = (uint32_t)(n - at - 8);
        put_u32(p + at, len);
        put_u32(p + at + 4, ~len);
        uint8_t *rec = p + at + 8;
        put_u64(rec, ++seq);
        uint8_t op = rec[8];
        size_t plen = len - REC_MIN;
        if (op == J_SNAP) {
            snap += plen;
        } else if (op == J_SNAP_END) {
            if (snap_end && plen == 8)
                put_u64(rec + 9, snap);
            snap = 0;
        }
        put_u64(rec + len - 8, XXH64(rec, len - 8, 0));
        at += 8 + (size_t)len;
    }
}

static void fix_up(uint8_t *p, size_t n, int snap_end)
{
    if (n < g_hdr)
        return;
    fix_header(p, n);
    fix_records(p, n, g_hdr, 0, snap_end);
}

/* Append a record (seq, op, payload) to out at *at. */
static void put_rec(uint8_t *out, size_t *at, uint64_t seq, uint8_t op, const uint8_t *body,
                    size_t n)
{
    uint32_t len = (uint32_t)(REC_MIN + n);
    uint8_t *p = out + *at;
    put_u32(p, len);
    put_u32(p + 4, ~len);
    put_u64(p + 8, seq);
    p[16] = op;
    if (n)
        memcpy(p + 17, body, n);
    put_u64(p + 8 + len - 8, XXH64(p + 8, len - 8, 0));
    *at += 8 + (size_t)len;
}

/* Mode 3: [header][u32 w][snapshot][records] -> a journal starting with
 * that snapshot. *out is malloc'ed. */
static size_t frame_snapshot(const uint8_t *d, size_t n, uint8_t **out)
{
    if (n < g_hdr + 4) {
        *out = malloc(n ? n : 1);
        if (*out) {
            memcpy(*out, d, n);
            fix_header(*out, n);
        }
        return n;
    }
    uint32_t w = get_u32(d + g_hdr);
    size_t s = w & 0xffffff, k = 1 + (w >> 24) % 4;
    size_t left = n - g_hdr - 4;
    if (s > left)
        s = left;
    size_t per = s / k + 1;
    if (per > CHUNK_MAX)
        per = CHUNK_MAX;
    size_t chunks = s ? (s + per - 1) / per : 1;
    size_t rest = left - s;
    size_t size = g_hdr + chunks * (8 + REC_MIN) + s + (8 + REC_MIN + 8) + rest;
    uint8_t *p = malloc(size);
    if (!p)
        return 0;
    memcpy(p, d, g_hdr);
    fix_header(p, size);
    size_t at = g_hdr;
    uint64_t seq = 0;
    const uint8_t *snap = d + g_hdr + 4;
    size_t done = 0;
    do {
        size_t c = s - done < per ? s - done : per;
        put_rec(p, &at, ++seq, J_SNAP, snap + done, c);
        done += c;
    } while (done < s);
    uint8_t len[8];
    put_u64(len, s);
    put_rec(p, &at, ++seq, J_SNAP_END, len, 8);
    memcpy(p + at, snap + s, rest);
    fix_records(p, size, at, seq, 1);
    *out = p;
    return size;
}

/* ------------------------------------------------------------------------ */
/* Everything an engine shows of its state, as text                          */
/* ------------------------------------------------------------------------ */

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static void buf_write(void *data, const char *text, size_t len)
{
    buf *b = data;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->n + len + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            abort();
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, text, len);
    b->n += len;
    b->p[b->n] = 0;
}

static char *fingerprint(const orca_engine *e, const orca_stats *st)
{
    buf b = { 0 };
    buf_write(&b, "", 0);
    orca_engine_dump(e, buf_write, &b);
    orca_counts c;
    memset(&c, 0, sizeof(c));
    orca_engine_counts(e, &c);
    char line[400];
    snprintf(line, sizeof(line), "counts %u %u %u %u %u %u %u %u %u %u %u %u %u %llu\n",
             c.skills, c.channels, c.queues, c.agents, c.agents_ready, c.interactions,
             c.waiting, c.offered, c.busy, c.wrapup, c.scheduled, c.bot, c.classes,
             (unsigned long long)c.events);
    buf_write(&b, line, strlen(line));
    uint64_t dl = 0;
    int rc = orca_engine_next_deadline(e, &dl);
    snprintf(line, sizeof(line), "now %llu deadline %d %llu\n",
             (unsigned long long)orca_engine_now(e), rc, (unsigned long long)dl);
    buf_write(&b, line, strlen(line));
    if (st)
        orca_stats_snapshot_json(st, buf_write, &b);
    return b.p;
}

/* Accept the offers pending (those an accept makes too, a few rounds), so
 * a replay recovers nothing and must give the same engine. */
static void accept_offers(orca_engine *e)
{
    for (int round = 0; round < 4; round++) {
        orca_counts c;
        if (orca_engine_counts(e, &c) != ORCA_OK || !c.offered)
            return;
        buf b = { 0 };
        buf_write(&b, "", 0);
        orca_engine_dump(e, buf_write, &b);
        int n = 0;
        for (char *l = b.p; l && *l && n < 64;) {
            unsigned st;
            unsigned long long id;
            if (sscanf(l, "ix %llu state=%u", &id, &st) == 2 && st == ORCA_STATE_OFFERED) {
                (void)orca_offer_accept(e, id);
                n++;
            }
            char *nl = strchr(l, '\n');
            l = nl ? nl + 1 : NULL;
        }
        free(b.p);
    }
}

/* ------------------------------------------------------------------------ */
/* Seeds: compacted journals of a small centre                              */
/* ------------------------------------------------------------------------ */

static void offer_all(orca_engine *e, uint64_t from, uint64_t to, int accept)
{
    for (uint64_t id = from; id <= to; id++) {
        orca_interaction_info in;
        if (orca_interaction_info_get(e, id, &in) == ORCA_OK && in.state == ORCA_STATE_OFFERED)
            (void)(accept ? orca_offer_accept(e, id) : orca_offer_reject(e, id));
    }
}

/* A centre with work in every state: variant 0 compacts then goes on, 1
 * (no stats) compacts twice, 2 ends with a compaction (snapshot alone), 3
 * compacts automatically (compact_bytes) as it goes. */
static int seed_journal(const char *path, int variant)
{
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.start_ms = UINT64_C(1700000000000) + 3600000ull * (uint64_t)(9 + variant);
    cfg.seed = 0x5eed + (uint64_t)variant;
    cfg.offer_timeout_ms = 15000;
    cfg.no_answer_limit = 2;
    cfg.history_per_customer = 4;
    cfg.max_customers = 6;
    orca_engine *e;
    if (orca_engine_new(&cfg, &e) != ORCA_OK)
        return -1;
    unlink(path);
    orca_journal_config jc = { .sync = ORCA_SYNC_NEVER, .compact_bytes = variant == 3 ? 700 : 0 };
    orca_stats *st = NULL;
    if (orca_journal_open(e, path, &jc) != ORCA_OK ||
        (variant != 1 && orca_stats_new(e, NULL, &st) != ORCA_OK)) {
        orca_engine_free(e);
        return -1;
    }
    orca_skill_id en, fr, bill;
    orca_skill_intern(e, "en", &en);
    orca_skill_intern(e, "fr", &fr);
    orca_skill_intern(e, "billing", &bill);
    orca_channel_def cd = { .name = "whatsapp", .cost = 20, .wrapup_ms = 5000 };
    orca_channel_id wa = 0;
    orca_channel_add(e, &cd, &wa);
    orca_channel_set_wrapup(e, ORCA_CHANNEL_VOICE, 3000);

    orca_queue_id q1 = 0, q2 = 0, q3 = 0;
    orca_step steps[2] = { { 10000, ORCA_STEP_SET_LEVEL, en, 1 },
                           { 40000, ORCA_STEP_DROP_REQUIRED, en, 0 } };
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "sales";
    qd.steps = steps;
    qd.nsteps = 2;
    qd.aging_ms = 5000;
    qd.sla_ms = 20000;
    qd.sticky_ms = 60000;
    qd.resume_ms = 60000;
    qd.max_wait_ms = 600000;
    orca_queue_add(e, &qd, &q1);
    orca_skill_level qsk = { fr, 1 };
    orca_queue_def_init(&qd);
    qd.name = "support";
    qd.strategy = ORCA_STRATEGY_MOST_PROFICIENT;
    qd.serve = ORCA_SERVE_MEMBERS | ORCA_SERVE_SKILLS;
    qd.skills = &qsk;
    qd.nskills = 1;
    qd.skills_tier = 2;
    qd.overflow_after_ms = 30000;
    qd.overflow_to = q1;
    qd.callback_attempts = 2;
    qd.callback_retry_ms = 10000;
    qd.wrapup_ms = 2000;
    orca_queue_add(e, &qd, &q2);
    orca_queue_def_init(&qd);
    qd.name = "back";
    qd.strategy = variant & 1 ? ORCA_STRATEGY_WEIGHTED_RANDOM : ORCA_STRATEGY_ROUND_ROBIN;
    qd.max_size = 5;
    orca_queue_add(e, &qd, &q3);
    orca_hours_range days[5];
    for (uint32_t d = 0; d < 5; d++)
        days[d] = (orca_hours_range){ d + 1, 8 * 60, 18 * 60 };
    orca_hours h;
    memset(&h, 0, sizeof(h));
    h.ranges = days;
    h.nranges = 5;
    h.when_closed = ORCA_CLOSED_HOLD;
    orca_queue_set_hours(e, q3, &h);

    const orca_channel_limit lim[] = { { ORCA_CHANNEL_VOICE, 1 }, { ORCA_CHANNEL_CHAT, 2 },
                                       { ORCA_CHANNEL_EMAIL, 3 }, { ORCA_CHANNEL_CALLBACK, 1 },
                                       { wa, 1 } };
    for (uint64_t a = 1; a <= 5; a++) {
        orca_skill_level s[3] = { { en, (uint8_t)(1 + a % 3) }, { fr, (uint8_t)(a % 2 + 1) },
                                  { bill, (uint8_t)a } };
        orca_agent_def ad;
        orca_agent_def_init(&ad);
        ad.id = a;
        ad.skills = s;
        ad.nskills = a == 3 ? 2 : 3;
        ad.limits = lim;
        ad.nlimits = a == 4 ? 4 : 5;
        ad.weight = (uint32_t)a;
        orca_agent_add(e, &ad);
        orca_queue_member_add(e, q1, a, (uint32_t)(a % 2));
        if (a != 2)
            orca_queue_member_add(e, q2, a, 0);
        if (a >= 3)
            orca_queue_member_add(e, q3, a, 1);
        orca_agent_set_queue_rank(e, a, q1, (uint32_t)(5 - a));
        orca_agent_set_presence(e, a, a == 5 ? ORCA_PRESENCE_NOT_READY : ORCA_PRESENCE_READY,
                                a == 5 ? 7 : 0);
    }

    /* work */
    const orca_channel_id chs[] = { ORCA_CHANNEL_VOICE, ORCA_CHANNEL_CHAT, ORCA_CHANNEL_EMAIL,
                                    wa };
    for (uint64_t id = 101; id <= 116; id++) {
        orca_interaction_def d;
        orca_interaction_def_init(&d);
        d.id = id;
        d.queue = id % 3 == 0 ? q1 : id % 3 == 1 ? q2 : q3;
        d.channel = chs[id % 4];
        d.customer = id % 5 ? 1 + id % 4 : 0;
        d.conversation = id % 7 == 0 ? 9000 + id % 2 : 0;
        d.priority = (uint32_t)(id % 4);
        orca_skill_level need = { en, 2 }, pref = { bill, 3 };
        if (id % 2) {
            d.required = &need;
            d.nrequired = 1;
        }
        if (id % 3 == 1) {
            d.preferred = &pref;
            d.npreferred = 1;
        }
        if (id == 105) {
            d.agent = 3;
            d.agent_wait_ms = 20000;
        }
        if (id == 106) {
            d.agent = 4;
            d.agent_required = 1;
        }
        if (id == 108) {
            d.not_before_ms = orca_engine_now(e) + 120000;
            d.early_ms = 5000;
        }
        if (id == 111)
            d.bot = 1;
        orca_interaction_enqueue(e, &d);
        orca_engine_advance(e, orca_engine_now(e) + 700);
        if (id == 104)
            offer_all(e, 101, 104, 1);
        if (id == 107)
            offer_all(e, 105, 107, 0); /* rejected: exclusions */
    }
    offer_all(e, 101, 116, 1);
    orca_interaction_set_disposition(e, 101, 42);
    orca_interaction_set_survey(e, 101, 4, 1);
    orca_interaction_end(e, 101);
    orca_interaction_end(e, 102);
    orca_interaction_wrapup_done(e, 102);
    orca_interaction_def t;
    orca_interaction_def_init(&t);
    t.id = 201;
    t.queue = q2;
    t.channel = ORCA_CHANNEL_VOICE;
    orca_interaction_transfer(e, 103, &t, ORCA_TRANSFER_CONSULT);
    t.id = 202;
    t.queue = q1;
    orca_interaction_transfer(e, 104, &t, ORCA_TRANSFER_BLIND);
    orca_interaction_def es;
    orca_interaction_def_init(&es);
    es.id = 111;
    es.queue = q1;
    es.channel = ORCA_CHANNEL_CHAT;
    if (variant & 1)
        orca_interaction_escalate(e, 111, &es);
    orca_interaction_callback(e, 112, ORCA_CHANNEL_CALLBACK, 0);
    orca_interaction_abandon(e, 113);
    orca_interaction_set_priority(e, 114, 9);
    orca_engine_advance(e, orca_engine_now(e) + 16000); /* offer timeouts */
    orca_agent_set_presence(e, 2, ORCA_PRESENCE_OFFLINE, 0);

    if (orca_journal_compact(e) != ORCA_OK)
        fprintf(stderr, "seed %d: compaction failed\n", variant);
    /* more calls after the snapshot */
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 120;
    d.queue = q1;
    d.channel = ORCA_CHANNEL_EMAIL;
    d.customer = 2; /* comes back within resume_ms */
    orca_interaction_enqueue(e, &d);
    offer_all(e, 101, 202, 1);
    orca_interaction_end(e, 105);
    orca_engine_advance(e, orca_engine_now(e) + 5000);
    orca_agent_set_presence(e, 5, ORCA_PRESENCE_READY, 0);
    if (variant == 1)
        orca_journal_compact(e);
    orca_interaction_end(e, 106);
    orca_engine_advance(e, orca_engine_now(e) + 1000);
    if (variant == 2)
        orca_journal_compact(e);
    orca_journal_info ji;
    orca_journal_info_get(e, &ji);
    int ok = !ji.failed && ji.snapshot_bytes > g_hdr;
    orca_journal_close(e);
    orca_stats_free(st);
    orca_engine_free(e);
    return ok ? 0 : -1;
}

static int write_seed(const char *dir, const char *name, uint8_t mode, const uint8_t *p,
                      size_t n)
{
    char out[600];
    snprintf(out, sizeof(out), "%s/%s", dir, name);
    FILE *f = fopen(out, "wb");
    if (!f)
        return -1;
    fputc(mode, f);
    fwrite(p, 1, n, f);
    return fclose(f);
}

static void make_seeds(const char *dir)
{
    static uint8_t file[1 << 20], framed[1 << 20];
    int made = 0;
    for (int v = 0; v < 4; v++) {
        if (seed_journal(g_path, v) != 0) {
            fprintf(stderr, "seed %d: no journal with a snapshot\n", v);
            continue;
        }
        FILE *f = fopen(g_path, "rb");
        size_t n = f ? fread(file, 1, sizeof(file), f) : 0;
        if (f)
            fclose(f);
        /* the snapshot's chunks, then the tail */
        size_t at = g_hdr, s = 0;
        while (at + 8 + REC_MIN <= n && file[at + 16] == J_SNAP) {
            uint32_t len = get_u32(file + at);
            memcpy(framed + g_hdr + 4 + s, file + at + 17, len - REC_MIN);
            s += len - REC_MIN;
            at += 8 + (size_t)len;
        }
        if (at + 8 + REC_MIN > n || file[at + 16] != J_SNAP_END) {
            fprintf(stderr, "seed %d: no snapshot at the start\n", v);
            continue;
        }
        at += 8 + (size_t)get_u32(file + at);
        memcpy(framed, file, g_hdr);
        put_u32(framed + g_hdr, (uint32_t)s | (uint32_t)v << 24);
        memcpy(framed + g_hdr + 4 + s, file + at, n - at);
        size_t fn = g_hdr + 4 + s + (n - at);
        char name[64];
        uint8_t stats = v == 1 ? 0 : 4;
        snprintf(name, sizeof(name), "snap-%d-raw", v);
        made += write_seed(dir, name, stats, file, n) == 0;
        snprintf(name, sizeof(name), "snap-%d-fixed", v);
        made += write_seed(dir, name, 1 | stats, file, n) == 0;
        snprintf(name, sizeof(name), "snap-%d-framed", v);
        made += write_seed(dir, name, 3 | stats, framed, fn) == 0;
        if (v == 0) { /* and without stats attached: the figures skipped */
            made += write_seed(dir, "snap-0-framed-nostats", 3, framed, fn) == 0;
        }
        fprintf(stderr, "seed %d: journal %zu bytes, snapshot %zu bytes, tail %zu bytes\n", v,
                n, s, n - at);
    }
    fprintf(stderr, "fuzz_journal: %d seeds written to %s\n", made, dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("FUZZ_TMPDIR");
    if (!dir || !*dir)
        dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(g_path, sizeof(g_path), "%s/orca-fuzz-journal-%d.jrnl", dir, (int)getpid());
    unlink(g_path);
    orca_engine *e;
    if (orca_engine_new(NULL, &e) == ORCA_OK) {
        orca_journal_info ji;
        if (orca_journal_open(e, g_path, &(orca_journal_config){ .sync = ORCA_SYNC_NEVER }) ==
                ORCA_OK &&
            orca_journal_info_get(e, &ji) == ORCA_OK)
            g_hdr = (size_t)ji.bytes;
        orca_engine_free(e);
    }
    unlink(g_path);
    atexit(remove_file);
    g_verbose = getenv("FUZZ_JOURNAL_VERBOSE") && *getenv("FUZZ_JOURNAL_VERBOSE") == '1';
    const char *seeds = getenv("FUZZ_JOURNAL_MAKE_SEEDS");
    if (seeds && *seeds) {
        make_seeds(seeds);
        exit(0);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int mode = data[0];
    data++;
    size--;
    uint8_t *p = NULL;
    if ((mode & 3) == 3) {
        size = frame_snapshot(data, size, &p);
    } else {
        p = malloc(size ? size : 1);
        if (p)
            memcpy(p, data, size);
        if (p && (mode & 3) == 1)
            fix_up(p, size, !(mode & 8));
    }
    if (!p)
        return 0;
    unlink(g_path);
    int fd = open(g_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        abort();
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, p + done, size - done);
        if (w <= 0)
            abort();
        done += (size_t)w;
    }
    close(fd);
    /* does the journal start with a snapshot? */
    int snap_first = size >= g_hdr + 8 + REC_MIN && p[g_hdr + 16] == J_SNAP;
    free(p);

    orca_config cfg;
    if (orca_journal_read_config(g_path, &cfg) != ORCA_OK)
        return 0;
    orca_engine *e;
    if (orca_engine_new(&cfg, &e) != ORCA_OK)
        return 0;
    orca_stats *st = NULL;
    if ((mode & 4) && orca_stats_new(e, NULL, &st) != ORCA_OK)
        abort();
    orca_journal_config jc = { .sync = ORCA_SYNC_NEVER };
    if (mode & 16)
        jc.restore_presence = ORCA_RESTORE_OFFLINE;
    orca_journal_info ri;
    int rc = orca_journal_replay(e, g_path, &jc, &ri);
    if (g_verbose)
        fprintf(stderr, "mode %d: %zu bytes: replay %s, %llu records, snapshot to %llu, torn "
                "%llu, bad offset %llu\n", mode, size, orca_strerror(rc),
                (unsigned long long)ri.records, (unsigned long long)ri.snapshot_bytes,
                (unsigned long long)ri.torn_bytes, (unsigned long long)ri.bad_offset);
    /* A refused snapshot leaves e partly rebuilt (orca.h: free it); a
     * replay that failed in the records (played as calls) or succeeded
     * leaves it consistent. */
    int snap_refused = rc != ORCA_OK && snap_first && ri.bad_offset == g_hdr;
    if (!snap_refused && orca_engine_check(e) != ORCA_OK) {
        fprintf(stderr, "orca_engine_check failed after a replay that returned %s\n",
                orca_strerror(rc));
        abort();
    }
    if (rc != ORCA_OK && rc != ORCA_ECORRUPT && rc != ORCA_ENOMEM && rc != ORCA_EINVAL &&
        rc != ORCA_EVERSION) { /* (a snapshot whose version byte was changed) */
        fprintf(stderr, "replay: unexpected %s\n", orca_strerror(rc));
        abort();
    }
    if (rc == ORCA_OK) {
        /* the engine goes on, journaling */
        uint64_t now = orca_engine_now(e);
        if (now + 1000 < ORCA_TIME_MAX) {
            rc = orca_engine_advance(e, now + 1000);
            if (rc != ORCA_OK && rc != ORCA_EIO) {
                fprintf(stderr, "advance after a replay: %s\n", orca_strerror(rc));
                abort();
            }
        }
        if (orca_engine_check(e) != ORCA_OK)
            abort();
        /* compacting it gives a journal that replays to the same engine */
        accept_offers(e);
        if (orca_engine_check(e) != ORCA_OK)
            abort();
        orca_journal_info ji;
        orca_journal_info_get(e, &ji);
        rc = orca_journal_compact(e);
        if (rc == ORCA_OK) {
            orca_counts c;
            orca_engine_counts(e, &c);
            char *before = c.offered ? NULL : fingerprint(e, st);
            if (g_verbose)
                fprintf(stderr, "  compacted; %s\n", before ? "comparing the replay of it"
                        : "offers pending: not compared");
            orca_journal_close(e);
            orca_engine *e2;
            orca_stats *st2 = NULL;
            if (orca_engine_new(&cfg, &e2) != ORCA_OK)
                abort();
            if (st && orca_stats_new(e2, NULL, &st2) != ORCA_OK)
                abort();
            rc = orca_journal_replay(e2, g_path, &jc, &ri);
            if (rc != ORCA_OK || orca_engine_check(e2) != ORCA_OK) {
                fprintf(stderr, "the compacted journal does not replay: %s (%llu records, "
                        "snapshot to %llu, bad offset %llu)\n", orca_strerror(rc),
                        (unsigned long long)ri.records, (unsigned long long)ri.snapshot_bytes,
                        (unsigned long long)ri.bad_offset);
                if (getenv("FUZZ_JOURNAL_KEEP_BAD")) /* the journal, to look at */
                    rename(g_path, getenv("FUZZ_JOURNAL_KEEP_BAD"));
                abort();
            }
            if (before) { /* no offer pending: nothing recovered */
                char *after = fingerprint(e2, st2);
                if (strcmp(before, after) != 0) {
                    size_t k = 0;
                    while (before[k] && before[k] == after[k])
                        k++;
                    size_t from = k > 200 ? k - 200 : 0;
                    fprintf(stderr, "the compacted journal replays to another engine:\n"
                            "before: ...%.400s\nafter:  ...%.400s\n", before + from,
                            after + from);
                    abort();
                }
                free(after);
                free(before);
            }
            orca_stats_free(st2);
            orca_engine_free(e2);
        } else if (!(rc == ORCA_ESTATE && ji.failed)) {
            fprintf(stderr, "orca_journal_compact after a replay: %s\n", orca_strerror(rc));
            abort();
        }
        orca_journal_close(e);
    }
    orca_stats_free(st);
    orca_engine_free(e);
    return 0;
}
