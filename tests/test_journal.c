/*
 * test_journal.c: the journal and recovery (orca.h, "Journal and recovery").
 *
 *  - Round trip: a seeded random workload over the whole public API runs on
 *    engine A with a journal; engine B is rebuilt from the file with
 *    orca_journal_read_config + orca_engine_new + orca_journal_replay and
 *    must be A: same dump, same events, same figures (an orca_stats on B
 *    attached before the replay against one on A from the start). Then A
 *    and B go on in lockstep with the same workload (B journaling into the
 *    replayed file), and an engine C replayed from that file must be B.
 *  - Offers pending at the crash come back WAITING with their arrival, as
 *    REJECTED events with value ORCA_WITHDRAW_RECOVERED.
 *  - Torn tail: the file cut at every byte inside the last record (and
 *    inside a few earlier ones) replays to the state before that record,
 *    reports the torn bytes, is cut back, and journaling goes on.
 *  - Corruption in the middle or in the header: ORCA_ECORRUPT at that
 *    record's offset, file untouched, engine untouched; a record missing
 *    (checksums redone) or crafted: ORCA_ECORRUPT where it stops playing.
 *  - Refused enqueues (full, closed) replayed with their events.
 *  - Bad inputs, allocation failure (journaling engine and replay), I/O
 *    failure (RLIMIT_FSIZE in a forked child), and records/s at each sync
 *    policy (printed, not asserted). ORCA_JOURNAL_NO_REFUSED=1: no queue
 *    refuses work in the workload.
 *
 * Env: ORCA_JOURNAL_SEED (master seed), ORCA_JOURNAL_STEPS (workload
 * length of the round trip), ORCA_JOURNAL_SEEDS (round trips to run),
 * ORCA_JOURNAL_BENCH_MS (time per sync policy in the records/s figure),
 * ORCA_JOURNAL_SLOW=1 (smaller runs; set by itself under valgrind),
 * ORCA_JOURNAL_VERBOSE=1 (how often each call succeeded),
 * TMPDIR (where files go).
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

/* ------------------------------------------------------------------------ */
/* Small helpers: env, rng, files                                           */
/* ------------------------------------------------------------------------ */

static uint64_t env_u64(const char *name, uint64_t dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    return strtoull(v, NULL, 0);
}

/* tu_rc_name, and ORCA_EIO (newer than testutil). */
static const char *rc_name(int rc)
{
    return rc == ORCA_EIO ? "ORCA_EIO" : tu_rc_name(rc);
}

#include "rng.h"

static char g_dir[512];
static unsigned g_nfile;

/* A fresh path (nothing there) in this run's temporary directory. */
static void tmp_path(char *buf, size_t len, const char *tag)
{
    if (!g_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(g_dir, sizeof(g_dir), "%s/orca-journal-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(g_dir)) {
            print_error("mkdtemp(%s): %s\n", g_dir, strerror(errno));
            abort();
        }
    }
    snprintf(buf, len, "%s/%u-%s.jrnl", g_dir, g_nfile++, tag);
    unlink(buf);
}

static void rm_dir(void)
{
    if (!g_dir[0])
        return;
    DIR *d = opendir(g_dir);
    if (d) {
        struct dirent *de;
        char p[1024];
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            snprintf(p, sizeof(p), "%s/%s", g_dir, de->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(g_dir);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return UINT64_MAX;
    return (uint64_t)st.st_size;
}

/* The whole file into a malloc'd buffer. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)n + 1);
    assert_non_null(p);
    size_t got = fread(p, 1, (size_t)n, f);
    fclose(f);
    assert_int_equal(got, (size_t)n);
    *len = (size_t)n;
    return p;
}

static void spit(const char *path, const uint8_t *p, size_t len)
{
    unlink(path);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (len)
        assert_int_equal(fwrite(p, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void same_file(const char *path, const uint8_t *p, size_t len, const char *what)
{
    size_t n;
    uint8_t *q = slurp(path, &n);
    if (n != len || memcmp(p, q, n) != 0) {
        size_t k = 0;
        while (k < n && k < len && p[k] == q[k])
            k++;
        print_error("%s: the file changed (length %zu -> %zu, first difference at %zu)\n",
                    what, len, n, k);
        free(q);
        fail();
    }
    free(q);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static orca_journal_info jinfo(const orca_engine *e)
{
    orca_journal_info ji;
    memset(&ji, 0, sizeof(ji));
    TU_OK(orca_journal_info_get(e, &ji));
    return ji;
}

static const orca_journal_config jc_never = { .sync = ORCA_SYNC_NEVER };
#define HDR_BYTES 116 /* the file header (orca.h) */

/* ------------------------------------------------------------------------ */
/* The workload: a seeded random driver of the whole public API             */
/* ------------------------------------------------------------------------ */

#define WL_MAX_SKILLS 12
#define WL_MAX_QUEUES 8
#define WL_MAX_AGENTS 40
#define WL_MAX_IX 1024
#define WL_MAX_CHANNELS 10
#define WL_START_MS 1700000000000ull /* a Tuesday, 22:13 UTC */

enum {
    OP_SKILL, OP_CHANNEL_ADD, OP_CHANNEL_WRAPUP, OP_QUEUE_ADD, OP_HOURS, OP_MEMBER_ADD,
    OP_MEMBER_REMOVE, OP_RANK, OP_AGENT_ADD, OP_AGENT_UPDATE, OP_AGENT_REMOVE,
    OP_PRESENCE, OP_ENQUEUE, OP_ACCEPT, OP_REJECT, OP_END, OP_WRAPUP_DONE, OP_ABANDON,
    OP_CANCEL, OP_PRIORITY, OP_DISPOSITION, OP_SURVEY, OP_TRANSFER, OP_ESCALATE,
    OP_CALLBACK, OP_UNREACHED, OP_FORGET, OP_ADVANCE, OP_KINDS
};

static const char *const op_names[OP_KINDS] = {
    "skill", "channel_add", "channel_wrapup", "queue_add", "hours", "member_add",
    "member_remove", "rank", "agent_add", "agent_update", "agent_remove", "presence",
    "enqueue", "accept", "reject", "end", "wrapup_done", "abandon", "cancel", "priority",
    "disposition", "survey", "transfer", "escalate", "callback", "unreached", "forget",
    "advance"
};

/* Relative weights of the ops once the centre is set up. */
static const uint32_t op_weight[OP_KINDS] = {
    [OP_SKILL] = 1, [OP_CHANNEL_ADD] = 1, [OP_CHANNEL_WRAPUP] = 1, [OP_QUEUE_ADD] = 1,
    [OP_HOURS] = 1, [OP_MEMBER_ADD] = 3, [OP_MEMBER_REMOVE] = 1, [OP_RANK] = 2,
    [OP_AGENT_ADD] = 2, [OP_AGENT_UPDATE] = 2, [OP_AGENT_REMOVE] = 1, [OP_PRESENCE] = 10,
    [OP_ENQUEUE] = 30, [OP_ACCEPT] = 18, [OP_REJECT] = 4, [OP_END] = 14,
    [OP_WRAPUP_DONE] = 5, [OP_ABANDON] = 4, [OP_CANCEL] = 2, [OP_PRIORITY] = 3,
    [OP_DISPOSITION] = 3, [OP_SURVEY] = 3, [OP_TRANSFER] = 4, [OP_ESCALATE] = 3,
    [OP_CALLBACK] = 3, [OP_UNREACHED] = 3, [OP_FORGET] = 1, [OP_ADVANCE] = 20,
};

/* ORCA_JOURNAL_NO_REFUSED=1: no queue refuses work (no max_size, no
 * opening hours), to look past a failure about refused work. */
static int g_no_refused;
/* Smaller runs (valgrind). */
static int g_slow;

typedef struct wl {
    orca_engine *e;
    uint64_t rng;
    int cb_acts;               /* 1: the offer callback may accept/reject */
    orca_skill_id skills[WL_MAX_SKILLS];
    uint32_t nskills;
    orca_queue_id queues[WL_MAX_QUEUES];
    uint32_t nqueues;
    uint32_t nchannels;        /* built-ins + host channels added */
    uint64_t agents[WL_MAX_AGENTS];
    uint32_t nagents;
    uint64_t next_agent;
    uint64_t ix[WL_MAX_IX];    /* ids that may be live (pruned when found gone) */
    uint32_t nix;
    uint64_t next_ix;
    uint64_t calls, ok;
    uint64_t rc_count[OP_KINDS][2]; /* ok, failed */
    uint64_t cb_calls;
    int last_rc;
} wl;

static void wl_note_ix(wl *w, uint64_t id)
{
    for (uint32_t k = 0; k < w->nix; k++)
        if (w->ix[k] == id)
            return;
    if (w->nix < WL_MAX_IX)
        w->ix[w->nix++] = id;
}

/* Offer callback: sometimes accept or reject at once (a call from inside
 * the deferred callback is a public call of its own). */
static void wl_on_offer(void *data, const orca_offer *o)
{
    wl *w = data;
    if (!w->cb_acts)
        return;
    uint32_t r = rnd(&w->rng, 100);
    if (r < 25) {
        w->cb_calls++;
        (void)orca_offer_accept(w->e, o->interaction);
    } else if (r < 30) {
        w->cb_calls++;
        (void)orca_offer_reject(w->e, o->interaction);
    }
}

static void wl_on_withdraw(void *data, const orca_offer *o, orca_withdraw_reason why)
{
    (void)data;
    (void)o;
    (void)why;
}

static const orca_channel_callbacks wl_cbs = { wl_on_offer, wl_on_withdraw };

static void wl_callbacks(wl *w)
{
    for (uint32_t c = 0; c < w->nchannels; c++)
        TU_OK(orca_channel_set_callbacks(w->e, c, &wl_cbs, w));
}

/* A live interaction in one of the states (mask of 1 << state), or 0. Ids
 * found gone are dropped from the list on the way. */
static uint64_t wl_pick(wl *w, unsigned mask)
{
    if (!w->nix)
        return 0;
    uint32_t k = rnd(&w->rng, w->nix), seen = 0;
    while (w->nix && seen < w->nix) {
        if (k >= w->nix)
            k = 0;
        orca_interaction_info in;
        if (orca_interaction_info_get(w->e, w->ix[k], &in) != ORCA_OK) {
            w->ix[k] = w->ix[--w->nix]; /* look at slot k again */
            continue;
        }
        if (mask & (1u << in.state))
            return in.id;
        k++;
        seen++;
    }
    return 0;
}

#define ST(s) (1u << (s))

static uint64_t wl_agent(wl *w)
{
    if (!w->nagents || chance(&w->rng, 2))
        return w->next_agent + 7; /* unknown */
    return w->agents[rnd(&w->rng, w->nagents)];
}

static orca_queue_id wl_queue(wl *w)
{
    if (!w->nqueues || chance(&w->rng, 2))
        return (orca_queue_id)(w->nqueues + 3); /* unknown */
    return w->queues[rnd(&w->rng, w->nqueues)];
}

static orca_channel_id wl_channel(wl *w)
{
    static const orca_channel_id common[] = { ORCA_CHANNEL_VOICE, ORCA_CHANNEL_CHAT,
                                              ORCA_CHANNEL_CHAT, ORCA_CHANNEL_EMAIL,
                                              ORCA_CHANNEL_VOICE, ORCA_CHANNEL_CALLBACK };
    if (chance(&w->rng, 20))
        return rnd(&w->rng, w->nchannels);
    return common[rnd(&w->rng, sizeof(common) / sizeof(common[0]))];
}

/* n distinct skills from the pool at levels in [lo, hi]. */
static uint32_t wl_levels(wl *w, orca_skill_level *out, uint32_t max, uint8_t lo, uint8_t hi)
{
    uint32_t n = rnd(&w->rng, max + 1);
    if (n > w->nskills)
        n = w->nskills;
    uint32_t k = 0;
    while (k < n) {
        orca_skill_id s = w->skills[rnd(&w->rng, w->nskills)];
        int dup = 0;
        for (uint32_t j = 0; j < k; j++)
            dup |= out[j].skill == s;
        if (dup)
            break;
        out[k].skill = s;
        out[k].level = (uint8_t)(lo + rnd(&w->rng, (uint32_t)(hi - lo + 1)));
        k++;
    }
    return k;
}

static int wl_skill(wl *w)
{
    char name[16];
    uint32_t k = w->nskills < WL_MAX_SKILLS && chance(&w->rng, 80) ? w->nskills
                                                                     : rnd(&w->rng, WL_MAX_SKILLS);
    snprintf(name, sizeof(name), "skill%u", k);
    orca_skill_id id;
    int rc = orca_skill_intern(w->e, name, &id);
    if (rc == ORCA_OK && k == w->nskills && w->nskills < WL_MAX_SKILLS)
        w->skills[w->nskills++] = id;
    return rc;
}

static int wl_channel_add(wl *w)
{
    char name[16];
    snprintf(name, sizeof(name), "host%u", w->nchannels);
    orca_channel_def d;
    memset(&d, 0, sizeof(d));
    d.name = name;
    d.cost = 1 + rnd(&w->rng, 120);
    d.wrapup_ms = chance(&w->rng, 50) ? 0 : rnd(&w->rng, 20000);
    d.callbacks = &wl_cbs;
    d.data = w;
    orca_channel_id id;
    int rc = orca_channel_add(w->e, &d, &id);
    if (rc == ORCA_OK)
        w->nchannels++;
    return rc;
}

static int wl_channel_wrapup(wl *w)
{
    return orca_channel_set_wrapup(w->e, rnd(&w->rng, w->nchannels + 1),
                                   chance(&w->rng, 40) ? 0 : rnd(&w->rng, 30000));
}

static int wl_queue_add(wl *w)
{
    if (w->nqueues >= WL_MAX_QUEUES)
        return orca_queue_add(w->e, NULL, NULL);
    char name[16];
    snprintf(name, sizeof(name), "queue%u", w->nqueues);
    orca_queue_def d;
    orca_queue_def_init(&d);
    d.name = name;
    d.strategy = (orca_strategy)rnd(&w->rng, ORCA_STRATEGY_LEAST_BUSY + 1);
    d.serve = 1 + rnd(&w->rng, 3);
    orca_skill_level qs[2];
    if (d.serve & ORCA_SERVE_SKILLS) {
        d.nskills = wl_levels(w, qs, 2, 1, 3);
        d.skills = qs;
        d.skills_tier = (uint8_t)rnd(&w->rng, 3);
    }
    d.max_size = chance(&w->rng, 30) ? 3 + rnd(&w->rng, 20) : 0;
    if (g_no_refused)
        d.max_size = 0;
    d.max_wait_ms = chance(&w->rng, 40) ? 60000 + rnd(&w->rng, 600000) : 0;
    if (chance(&w->rng, 40)) {
        d.aging_ms = 5000 + rnd(&w->rng, 60000);
        d.aging_max = (uint8_t)rnd(&w->rng, 20);
    }
    d.wrapup_ms = chance(&w->rng, 50) ? ORCA_WRAPUP_CHANNEL : rnd(&w->rng, 15000);
    d.sla_ms = rnd(&w->rng, 60000);
    d.offer_timeout_ms = chance(&w->rng, 50) ? 0 : 5000 + rnd(&w->rng, 30000);
    orca_step st[3];
    uint32_t ns = w->nskills ? rnd(&w->rng, 4) : 0;
    uint32_t after = 0;
    for (uint32_t k = 0; k < ns; k++) {
        after += 1000 + rnd(&w->rng, 60000);
        st[k].after_ms = after;
        st[k].action = (orca_step_action)(1 + rnd(&w->rng, 3));
        st[k].skill = w->skills[rnd(&w->rng, w->nskills)];
        st[k].level = (uint8_t)(1 + rnd(&w->rng, 3));
    }
    d.steps = st;
    d.nsteps = ns;
    if (w->nqueues && chance(&w->rng, 40)) {
        d.overflow_after_ms = 10000 + rnd(&w->rng, 120000);
        d.overflow_to = w->queues[rnd(&w->rng, w->nqueues)];
    }
    if (chance(&w->rng, 40)) {
        d.sticky_ms = 1000 + rnd(&w->rng, 60000);
        d.sticky_within_ms = chance(&w->rng, 50) ? 0 : rnd(&w->rng, 3600000);
    }
    if (chance(&w->rng, 50)) {
        d.callback_attempts = rnd(&w->rng, 4);
        d.callback_retry_ms = rnd(&w->rng, 120000);
    }
    d.resume_ms = chance(&w->rng, 40) ? rnd(&w->rng, 300000) : 0;
    orca_queue_id q;
    int rc = orca_queue_add(w->e, &d, &q);
    if (rc == ORCA_OK)
        w->queues[w->nqueues++] = q;
    return rc;
}

static int wl_hours(wl *w)
{
    orca_queue_id q = wl_queue(w);
    if (chance(&w->rng, 20) || g_no_refused)
        return orca_queue_set_hours(w->e, q, NULL);
    orca_hours_range r[8];
    orca_hours_exception x[3];
    orca_hours h;
    memset(&h, 0, sizeof(h));
    h.utc_offset_min = (int32_t)rnd(&w->rng, 1201) - 600;
    h.nranges = 1 + rnd(&w->rng, 8);
    for (uint32_t k = 0; k < h.nranges; k++) {
        r[k].day = rnd(&w->rng, 7);
        r[k].open_min = rnd(&w->rng, 1200);
        r[k].close_min = r[k].open_min + 1 + rnd(&w->rng, 1440 - r[k].open_min);
    }
    h.ranges = r;
    h.nexceptions = rnd(&w->rng, 4);
    uint64_t now = orca_engine_now(w->e);
    for (uint32_t k = 0; k < h.nexceptions; k++) {
        x[k].from_ms = now + rnd(&w->rng, 86400000);
        x[k].to_ms = x[k].from_ms + 1 + rnd(&w->rng, 7200000);
        x[k].open = rnd(&w->rng, 2);
    }
    h.exceptions = x;
    h.when_closed = (orca_closed_action)rnd(&w->rng, 3);
    if (h.when_closed == ORCA_CLOSED_REDIRECT)
        h.redirect_to = wl_queue(w);
    return orca_queue_set_hours(w->e, q, &h);
}

static void wl_agent_def(wl *w, orca_agent_def *d, uint64_t id, orca_skill_level *sk,
                         orca_channel_limit *lim)
{
    orca_agent_def_init(d);
    d->id = id;
    d->nskills = wl_levels(w, sk, 5, 1, 6);
    d->skills = sk;
    d->capacity = 50 + rnd(&w->rng, 250);
    uint32_t n = 0;
    for (uint32_t c = 0; c < w->nchannels && n < WL_MAX_CHANNELS; c++)
        if (c == ORCA_CHANNEL_VOICE || c == ORCA_CHANNEL_CHAT || chance(&w->rng, 60)) {
            lim[n].channel = c;
            lim[n].max = 1 + rnd(&w->rng, 4);
            n++;
        }
    d->limits = lim;
    d->nlimits = n;
    d->weight = 1 + rnd(&w->rng, 10);
}

static int wl_agent_add(wl *w)
{
    orca_agent_def d;
    orca_skill_level sk[5];
    orca_channel_limit lim[WL_MAX_CHANNELS];
    uint64_t id = chance(&w->rng, 5) && w->nagents ? w->agents[0] : ++w->next_agent;
    wl_agent_def(w, &d, id, sk, lim);
    int rc = orca_agent_add(w->e, &d);
    if (rc == ORCA_OK && w->nagents < WL_MAX_AGENTS)
        w->agents[w->nagents++] = id;
    return rc;
}

static int wl_agent_update(wl *w)
{
    orca_agent_def d;
    orca_skill_level sk[5];
    orca_channel_limit lim[WL_MAX_CHANNELS];
    wl_agent_def(w, &d, wl_agent(w), sk, lim);
    return orca_agent_update(w->e, &d);
}

static int wl_agent_remove(wl *w)
{
    if (!w->nagents)
        return orca_agent_remove(w->e, 999999);
    uint32_t k = rnd(&w->rng, w->nagents);
    int rc = orca_agent_remove(w->e, w->agents[k]);
    if (rc == ORCA_OK)
        w->agents[k] = w->agents[--w->nagents];
    return rc;
}

static int wl_presence(wl *w)
{
    uint32_t r = rnd(&w->rng, 100);
    orca_presence p = r < 60 ? ORCA_PRESENCE_READY
                    : r < 85 ? ORCA_PRESENCE_NOT_READY : ORCA_PRESENCE_OFFLINE;
    return orca_agent_set_presence(w->e, wl_agent(w), p, rnd(&w->rng, 5));
}

static void wl_work_def(wl *w, orca_interaction_def *d, uint64_t id, orca_skill_level *req,
                        orca_skill_level *pref)
{
    orca_interaction_def_init(d);
    d->id = id;
    d->queue = wl_queue(w);
    d->channel = wl_channel(w);
    d->customer = chance(&w->rng, 70) ? 1 + rnd(&w->rng, 25) : 0;
    d->priority = chance(&w->rng, 70) ? 0 : rnd(&w->rng, 10);
    d->nrequired = wl_levels(w, req, 2, 1, 4);
    d->required = req;
    d->npreferred = wl_levels(w, pref, 2, 1, 6);
    d->preferred = pref;
    if (d->customer && chance(&w->rng, 50))
        d->conversation = d->customer * 10 + rnd(&w->rng, 3);
    if (chance(&w->rng, 10)) {
        d->agent = wl_agent(w);
        d->agent_wait_ms = chance(&w->rng, 30) ? 0 : rnd(&w->rng, 120000);
        d->agent_required = chance(&w->rng, 30);
    }
}

static int wl_enqueue(wl *w)
{
    orca_interaction_def d;
    orca_skill_level req[2], pref[2];
    uint64_t id = chance(&w->rng, 3) && w->nix ? w->ix[rnd(&w->rng, w->nix)] : ++w->next_ix;
    wl_work_def(w, &d, id, req, pref);
    uint64_t now = orca_engine_now(w->e);
    if (chance(&w->rng, 10)) {
        d.not_before_ms = now + 1000 + rnd(&w->rng, 600000);
        d.early_ms = rnd(&w->rng, 60000);
    }
    if (chance(&w->rng, 10) && !d.not_before_ms)
        d.bot = 1;
    int rc = orca_interaction_enqueue(w->e, &d);
    if (rc == ORCA_OK)
        wl_note_ix(w, id);
    return rc;
}

static int wl_transfer(wl *w)
{
    uint64_t from = wl_pick(w, ST(ORCA_STATE_BUSY));
    orca_interaction_def d;
    orca_skill_level req[2], pref[2];
    orca_transfer_mode mode = chance(&w->rng, 50) ? ORCA_TRANSFER_BLIND : ORCA_TRANSFER_CONSULT;
    uint64_t id = mode == ORCA_TRANSFER_BLIND && chance(&w->rng, 40) ? from : ++w->next_ix;
    wl_work_def(w, &d, id, req, pref);
    d.customer = 0;
    d.conversation = 0;
    int rc = orca_interaction_transfer(w->e, from, &d, mode);
    if (rc == ORCA_OK)
        wl_note_ix(w, id);
    return rc;
}

static int wl_escalate(wl *w)
{
    uint64_t id = wl_pick(w, ST(ORCA_STATE_BOT));
    orca_interaction_def d;
    orca_skill_level req[2], pref[2];
    wl_work_def(w, &d, id, req, pref);
    d.customer = 0;
    d.conversation = 0;
    return orca_interaction_escalate(w->e, id, &d);
}

static int wl_advance(wl *w)
{
    uint64_t now = orca_engine_now(w->e);
    uint32_t r = rnd(&w->rng, 100);
    uint64_t dt = r < 70 ? rnd(&w->rng, 5000)
                : r < 95 ? rnd(&w->rng, 120000)
                : rnd(&w->rng, 4 * 3600000);
    if (chance(&w->rng, 2))
        return orca_engine_advance(w->e, now - 1); /* ORCA_ERANGE */
    return orca_engine_advance(w->e, now + dt);
}

static int wl_do(wl *w, int op)
{
    uint64_t id;
    switch (op) {
    case OP_SKILL: return wl_skill(w);
    case OP_CHANNEL_ADD: return wl_channel_add(w);
    case OP_CHANNEL_WRAPUP: return wl_channel_wrapup(w);
    case OP_QUEUE_ADD: return wl_queue_add(w);
    case OP_HOURS: return wl_hours(w);
    case OP_MEMBER_ADD:
        return orca_queue_member_add(w->e, wl_queue(w), wl_agent(w), rnd(&w->rng, 4));
    case OP_MEMBER_REMOVE:
        return orca_queue_member_remove(w->e, wl_queue(w), wl_agent(w));
    case OP_RANK:
        return orca_agent_set_queue_rank(w->e, wl_agent(w), wl_queue(w), rnd(&w->rng, 4));
    case OP_AGENT_ADD: return wl_agent_add(w);
    case OP_AGENT_UPDATE: return wl_agent_update(w);
    case OP_AGENT_REMOVE: return wl_agent_remove(w);
    case OP_PRESENCE: return wl_presence(w);
    case OP_ENQUEUE: return wl_enqueue(w);
    case OP_ACCEPT: return orca_offer_accept(w->e, wl_pick(w, ST(ORCA_STATE_OFFERED)));
    case OP_REJECT: return orca_offer_reject(w->e, wl_pick(w, ST(ORCA_STATE_OFFERED)));
    case OP_END:
        return orca_interaction_end(w->e, wl_pick(w, ST(ORCA_STATE_BUSY) | ST(ORCA_STATE_BOT)));
    case OP_WRAPUP_DONE:
        return orca_interaction_wrapup_done(w->e, wl_pick(w, ST(ORCA_STATE_WRAPUP)));
    case OP_ABANDON:
        return orca_interaction_abandon(w->e, wl_pick(w, ST(ORCA_STATE_WAITING) |
                                                         ST(ORCA_STATE_OFFERED) |
                                                         ST(ORCA_STATE_SCHEDULED) |
                                                         ST(ORCA_STATE_BOT)));
    case OP_CANCEL:
        return orca_interaction_cancel(w->e, wl_pick(w, ST(ORCA_STATE_WAITING) |
                                                       ST(ORCA_STATE_OFFERED) |
                                                       ST(ORCA_STATE_SCHEDULED)));
    case OP_PRIORITY:
        return orca_interaction_set_priority(w->e, wl_pick(w, ST(ORCA_STATE_WAITING) |
                                                             ST(ORCA_STATE_OFFERED)),
                                             rnd(&w->rng, 12));
    case OP_DISPOSITION:
        return orca_interaction_set_disposition(w->e, wl_pick(w, 0x7e), 1 + rnd(&w->rng, 50));
    case OP_SURVEY:
        return orca_interaction_set_survey(w->e, wl_pick(w, ST(ORCA_STATE_OFFERED) |
                                                         ST(ORCA_STATE_BUSY) |
                                                         ST(ORCA_STATE_WRAPUP)),
                                           rnd(&w->rng, 6),
                                           (int32_t)rnd(&w->rng, 3) - 1);
    case OP_TRANSFER: return wl_transfer(w);
    case OP_ESCALATE: return wl_escalate(w);
    case OP_CALLBACK:
        id = wl_pick(w, ST(ORCA_STATE_WAITING) | ST(ORCA_STATE_SCHEDULED));
        return orca_interaction_callback(w->e, id, chance(&w->rng, 80) ? ORCA_CHANNEL_CALLBACK
                                                                       : wl_channel(w),
                                         chance(&w->rng, 50) ? 0
                                         : orca_engine_now(w->e) + rnd(&w->rng, 900000));
    case OP_UNREACHED:
        return orca_interaction_unreached(w->e, wl_pick(w, ST(ORCA_STATE_BUSY)));
    case OP_FORGET:
        return orca_customer_forget(w->e, 1 + rnd(&w->rng, 25));
    case OP_ADVANCE: return wl_advance(w);
    default: return ORCA_EINVAL;
    }
}

/* Per-call trace of the journal: where each call's records start and end. */
typedef struct wl_call {
    int op, rc;
    uint64_t bytes0, bytes1, records0, records1;
    uint32_t offered_before;   /* counts.offered before the call */
    char *dump_before;         /* if kept: the dump before the call */
} wl_call;

typedef struct wl_trace {
    wl_call *v;
    size_t n, cap;
    int keep_dumps;
} wl_trace;

static void trace_free(wl_trace *t)
{
    for (size_t k = 0; k < t->n; k++)
        free(t->v[k].dump_before);
    free(t->v);
    memset(t, 0, sizeof(*t));
}

/* One call of op (journal records checked around it); returns its rc. */
static int wl_call_op(wl *w, int op, wl_trace *t)
{
    orca_journal_info j0, j1;
    int have = orca_journal_info_get(w->e, &j0) == ORCA_OK;
    wl_call c;
    memset(&c, 0, sizeof(c));
    if (t && t->keep_dumps) {
        c.dump_before = tu_dump(w->e);
        c.offered_before = tu_counts(w->e).offered;
    }
    int rc = wl_do(w, op);
    w->calls++;
    w->last_rc = rc;
    w->rc_count[op][rc != ORCA_OK]++;
    if (rc == ORCA_OK)
        w->ok++;
    if (have && orca_journal_info_get(w->e, &j1) == ORCA_OK) {
        /* a failed call changes nothing, so writes nothing; but a refused
         * enqueue (full, closed) emits an event and counts, so it may */
        if (rc != ORCA_OK && rc != ORCA_EIO && rc != ORCA_EFULL && rc != ORCA_ECLOSED &&
            j1.records != j0.records) {
            print_error("%s failed with %s but wrote %llu journal records\n", op_names[op],
                        rc_name(rc), (unsigned long long)(j1.records - j0.records));
            fail();
        }
        if (j1.records < j0.records || j1.bytes < j0.bytes) {
            print_error("%s: journal went back (records %llu -> %llu)\n", op_names[op],
                        (unsigned long long)j0.records, (unsigned long long)j1.records);
            fail();
        }
        c.bytes0 = j0.bytes;
        c.bytes1 = j1.bytes;
        c.records0 = j0.records;
        c.records1 = j1.records;
    }
    c.op = op;
    c.rc = rc;
    if (t) {
        if (t->n == t->cap) {
            t->cap = t->cap ? t->cap * 2 : 256;
            t->v = realloc(t->v, t->cap * sizeof(*t->v));
            assert_non_null(t->v);
        }
        t->v[t->n++] = c;
    } else {
        free(c.dump_before);
    }
    return rc;
}

static int wl_pick_op(wl *w)
{
    uint32_t total = 0;
    for (int k = 0; k < OP_KINDS; k++)
        total += op_weight[k];
    uint32_t r = rnd(&w->rng, total);
    for (int k = 0; k < OP_KINDS; k++) {
        if (r < op_weight[k])
            return k;
        r -= op_weight[k];
    }
    return OP_ADVANCE;
}

static void wl_init(wl *w, orca_engine *e, uint64_t seed, int cb_acts)
{
    memset(w, 0, sizeof(*w));
    w->e = e;
    w->rng = seed;
    w->cb_acts = cb_acts;
    w->nchannels = ORCA_CHANNEL_BUILTIN_COUNT;
    w->next_ix = 1000;
    wl_callbacks(w);
}

/* A centre to work in: skills, queues, agents, members, presence. */
static void wl_setup(wl *w, wl_trace *t)
{
    for (int k = 0; k < 6; k++)
        wl_call_op(w, OP_SKILL, t);
    wl_call_op(w, OP_CHANNEL_ADD, t);
    for (int k = 0; k < 5; k++)
        wl_call_op(w, OP_QUEUE_ADD, t);
    for (int k = 0; k < 2; k++)
        wl_call_op(w, OP_HOURS, t);
    for (int k = 0; k < 14; k++)
        wl_call_op(w, OP_AGENT_ADD, t);
    for (int k = 0; k < 30; k++)
        wl_call_op(w, OP_MEMBER_ADD, t);
    for (int k = 0; k < 14; k++)
        wl_call_op(w, OP_PRESENCE, t);
}

static int wl_step(wl *w, wl_trace *t)
{
    return wl_call_op(w, wl_pick_op(w), t);
}

/* Accept every pending offer, so nothing is OFFERED (accept routes nothing).
 * Every interaction id the workload made is in (1000, next_ix]. */
static void wl_settle(wl *w)
{
    for (uint64_t id = 1001; id <= w->next_ix; id++)
        if (tu_state(w->e, id) == ORCA_STATE_OFFERED)
            TU_OK(orca_offer_accept(w->e, id));
    assert_int_equal(tu_counts(w->e).offered, 0);
}

static orca_config wl_config(uint64_t *g)
{
    orca_config c;
    orca_config_init(&c);
    c.start_ms = WL_START_MS + rnd(g, 86400000);
    c.seed = sm64(g);
    c.max_agents = 100 + rnd(g, 1000);
    c.max_interactions = 5000 + rnd(g, 10000);
    c.max_queues = 50 + rnd(g, 50);
    c.max_skills = 50 + rnd(g, 50);
    c.offer_timeout_ms = 5000 + rnd(g, 30000);
    c.reoffer_delay_ms = 1000 + rnd(g, 60000);
    c.no_answer_limit = 1 + rnd(g, 4);
    c.history_per_customer = 1 + rnd(g, 10);
    c.max_customers = 5 + rnd(g, 20);
    c.customer_ttl_ms = 3600000ull + rnd(g, 86400000);
    return c;
}

static void same_config(const orca_config *a, const orca_config *b)
{
    assert_null(b->alloc);
    assert_int_equal(a->start_ms, b->start_ms);
    assert_int_equal(a->seed, b->seed);
    assert_int_equal(a->max_agents, b->max_agents);
    assert_int_equal(a->max_interactions, b->max_interactions);
    assert_int_equal(a->max_queues, b->max_queues);
    assert_int_equal(a->max_skills, b->max_skills);
    assert_int_equal(a->offer_timeout_ms, b->offer_timeout_ms);
    assert_int_equal(a->reoffer_delay_ms, b->reoffer_delay_ms);
    assert_int_equal(a->no_answer_limit, b->no_answer_limit);
    assert_int_equal(a->history_per_customer, b->history_per_customer);
    assert_int_equal(a->max_customers, b->max_customers);
    assert_int_equal(a->customer_ttl_ms, b->customer_ttl_ms);
}

/* ------------------------------------------------------------------------ */
/* Comparing two engines                                                    */
/* ------------------------------------------------------------------------ */

static void same_event(const orca_event *a, const orca_event *b, size_t k)
{
#define EVF(f)                                                               \
    if (a->f != b->f) {                                                      \
        print_error("event %zu (%s, seq %llu): " #f " %llu vs %llu\n", k,    \
                    tu_ev_name(a->type), (unsigned long long)a->seq,         \
                    (unsigned long long)a->f, (unsigned long long)b->f);     \
        fail();                                                              \
    }
    EVF(type) EVF(seq) EVF(time_ms) EVF(interaction) EVF(agent) EVF(queue)
    EVF(queue_from) EVF(channel) EVF(customer) EVF(priority) EVF(arrival_ms)
    EVF(wait_ms) EVF(duration_ms) EVF(sla_met) EVF(presence) EVF(reason) EVF(value)
    EVF(conversation) EVF(other) EVF(due_ms) EVF(handle_ms) EVF(csat)
    if (a->fcr != b->fcr) {
        print_error("event %zu: fcr %d vs %d\n", k, a->fcr, b->fcr);
        fail();
    }
#undef EVF
}

static void same_events(const tu_rec *a, const tu_rec *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t k = 0; k < n; k++)
        same_event(&a->ev[k], &b->ev[k], k);
    if (a->n != b->n) {
        print_error("%zu events against %zu\n", a->n, b->n);
        fail();
    }
}

static char *stats_json(const orca_stats *s)
{
    tu_buf b = { 0 };
    tu_buf_write(&b, "", 0);
    TU_OK(orca_stats_snapshot_json(s, tu_buf_write, &b));
    return b.p;
}

static void same_figures(const orca_stats *a, const orca_stats *b)
{
    char *ja = stats_json(a), *jb = stats_json(b);
    tu_same_text_(ja, jb, "stats snapshot", __FILE__, __LINE__);
    free(ja);
    free(jb);
    orca_figures fa, fb;
    for (int span = 0; span < 2; span++) {
        memset(&fa, 0, sizeof(fa));
        memset(&fb, 0, sizeof(fb));
        TU_OK(orca_stats_total(a, (orca_span)span, &fa));
        TU_OK(orca_stats_total(b, (orca_span)span, &fb));
        assert_int_equal(fa.entered, fb.entered);
        assert_int_equal(fa.answered, fb.answered);
        assert_int_equal(fa.abandoned, fb.abandoned);
        assert_int_equal(fa.handled, fb.handled);
        assert_int_equal(fa.offers, fb.offers);
        assert_int_equal(fa.rejected, fb.rejected);
        assert_int_equal(fa.csat_count, fb.csat_count);
        assert_int_equal(fa.transfers, fb.transfers);
        assert_true(fa.occupancy == fb.occupancy);
        assert_true(fa.aht_ms == fb.aht_ms);
    }
}

/* Dumps, counts, clock, next deadline, customer totals equal. */
static void same_engine(const orca_engine *a, const orca_engine *b, const char *what)
{
    char *da = tu_dump(a), *db = tu_dump(b);
    tu_same_text_(da, db, what, __FILE__, __LINE__);
    free(da);
    free(db);
    orca_counts ca = tu_counts(a), cb = tu_counts(b);
    ca.listeners = cb.listeners = 0;
    assert_memory_equal(&ca, &cb, sizeof(ca));
    assert_int_equal(orca_engine_now(a), orca_engine_now(b));
    uint64_t xa = 0, xb = 0;
    int ra = orca_engine_next_deadline(a, &xa), rb = orca_engine_next_deadline(b, &xb);
    assert_int_equal(ra, rb);
    assert_int_equal(xa, xb);
    orca_customer_totals ta, tb;
    memset(&ta, 0, sizeof(ta));
    memset(&tb, 0, sizeof(tb));
    TU_OK(orca_customer_totals_get(a, &ta));
    TU_OK(orca_customer_totals_get(b, &tb));
    assert_memory_equal(&ta, &tb, sizeof(ta));
}

/* Replay path into a new engine on fx (config read from the file). */
static void replay_into(tu_fx *fx, const char *path, const orca_journal_config *jc,
                        orca_journal_info *info)
{
    orca_config c;
    memset(&c, 0xA5, sizeof(c));
    TU_OK(orca_journal_read_config(path, &c));
    tu_fx_new(fx, &c);
    memset(info, 0xA5, sizeof(*info));
    TU_OK(orca_journal_replay(fx->e, path, jc, info));
}

/* The same from a copy of path: path is the journal of an engine still
 * open (locked: ORCA_ELOCKED), the copy what a crash would have left. */
static void replay_copy(tu_fx *fx, const char *path, const orca_journal_config *jc,
                        orca_journal_info *info)
{
    char copy[600];
    tmp_path(copy, sizeof(copy), "replica");
    size_t n;
    uint8_t *p = slurp(path, &n);
    spit(copy, p, n);
    free(p);
    replay_into(fx, copy, jc, info);
}

/* ------------------------------------------------------------------------ */
/* Round trip                                                               */
/* ------------------------------------------------------------------------ */

static void round_trip(uint64_t seed, uint32_t steps, int cb_acts)
{
    uint64_t g = seed;
    orca_config cfg = wl_config(&g);
    char path[600];
    tmp_path(path, sizeof(path), "rt");

    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, &cfg);
    TU_OK(orca_journal_open(A, path, &jc_never));
    orca_journal_info j0 = jinfo(A);
    assert_int_equal(j0.records, 0);
    assert_int_equal(j0.failed, 0);
    assert_int_equal(j0.bytes, file_size(path));
    orca_stats *sa;
    TU_OK(orca_stats_new(A, NULL, &sa));

    static wl wa, wb;
    wl_init(&wa, A, sm64(&g), cb_acts);
    wl_setup(&wa, NULL);
    for (uint32_t k = 0; k < steps; k++) {
        wl_step(&wa, NULL);
        TU_CHECK(A);
    }
    wl_settle(&wa);
    orca_journal_info ja = jinfo(A);
    assert_int_equal(ja.failed, 0);
    assert_int_equal(ja.bytes, file_size(path));
    assert_true(ja.records > steps / 2);
    TU_OK(orca_journal_close(A));
    assert_int_equal(file_size(path), ja.bytes);

    orca_config rc;
    memset(&rc, 0xA5, sizeof(rc));
    TU_OK(orca_journal_read_config(path, &rc));
    same_config(&cfg, &rc);

    /* B: an orca_stats attached before the replay */
    tu_fx fb;
    orca_engine *B = tu_fx_new(&fb, &rc);
    orca_stats *sb;
    TU_OK(orca_stats_new(B, NULL, &sb));
    orca_journal_info ri;
    memset(&ri, 0xA5, sizeof(ri));
    double t0 = now_s();
    TU_OK(orca_journal_replay(B, path, &jc_never, &ri));
    double took = now_s() - t0;
    assert_int_equal(ri.records, ja.records);
    assert_int_equal(ri.last_seq, ja.last_seq);
    assert_int_equal(ri.bytes, ja.bytes);
    assert_int_equal(ri.torn_bytes, 0);
    assert_int_equal(ri.recovered_offers, 0);
    assert_int_equal(ri.failed, 0);
    TU_CHECK(B);
    same_events(&fa.rec, &fb.rec);
    same_engine(A, B, "dump of the replayed engine");
    same_figures(sa, sb);
    orca_journal_info jb = jinfo(B);
    assert_int_equal(jb.failed, 0);
    assert_int_equal(jb.last_seq, ja.last_seq);
    print_message("  seed %#llx: %llu calls (%llu ok, %llu from callbacks), %llu records, "
                  "%llu bytes, %zu events; replay %.1f ms\n",
                  (unsigned long long)seed, (unsigned long long)wa.calls,
                  (unsigned long long)wa.ok, (unsigned long long)wa.cb_calls,
                  (unsigned long long)ja.records, (unsigned long long)ja.bytes, fa.rec.n,
                  took * 1e3);

    if (getenv("ORCA_JOURNAL_VERBOSE")) {
        for (int k = 0; k < OP_KINDS; k++)
            print_message("    %-15s %6llu ok %6llu failed\n", op_names[k],
                          (unsigned long long)wa.rc_count[k][0],
                          (unsigned long long)wa.rc_count[k][1]);
    }
    /* A and B go on in lockstep; B journals into the replayed file */
    wb = wa;
    wb.e = B;
    wl_callbacks(&wb);
    for (uint32_t k = 0; k < steps / 2; k++) {
        int ra = wl_step(&wa, NULL);
        int rb = wl_step(&wb, NULL);
        if (ra != rb) {
            print_error("step %u after the replay: A gave %s, B %s\n", k, rc_name(ra),
                        rc_name(rb));
            fail();
        }
        if (k % 64 == 0)
            same_engine(A, B, "dump while going on after the replay");
    }
    wl_settle(&wa);
    wl_settle(&wb);
    same_engine(A, B, "dump after going on");
    same_events(&fa.rec, &fb.rec);
    same_figures(sa, sb);
    orca_journal_info jb2 = jinfo(B);
    assert_int_equal(jb2.failed, 0);
    assert_true(jb2.last_seq > ja.last_seq);
    TU_OK(orca_journal_close(B));
    assert_int_equal(file_size(path), jb2.bytes);

    /* C from the file B went on writing: B again */
    tu_fx fc;
    orca_journal_info ci;
    replay_into(&fc, path, &jc_never, &ci);
    assert_int_equal(ci.last_seq, jb2.last_seq);
    assert_int_equal(ci.torn_bytes, 0);
    TU_CHECK(fc.e);
    same_engine(B, fc.e, "dump of the engine replayed after going on");
    same_events(&fb.rec, &fc.rec);

    TU_OK(orca_stats_free(sa));
    TU_OK(orca_stats_free(sb));
    tu_fx_free(&fa);
    tu_fx_free(&fb);
    tu_fx_free(&fc);
    unlink(path);
}

static void test_round_trip(void **state)
{
    (void)state;
    uint64_t master = env_u64("ORCA_JOURNAL_SEED", 0x6a6f75726e616cull);
    uint32_t steps = (uint32_t)env_u64("ORCA_JOURNAL_STEPS", g_slow ? 800 : 2500);
    uint64_t n = env_u64("ORCA_JOURNAL_SEEDS", g_slow ? 1 : 4);
    for (uint64_t k = 0; k < n; k++)
        round_trip(master + k * 0x1000193ull, steps, 0);
}

/* The same with offer callbacks that accept or reject at once: calls made
 * from inside a deferred callback are journaled in order too. */
static void test_round_trip_callbacks(void **state)
{
    (void)state;
    uint64_t master = env_u64("ORCA_JOURNAL_SEED", 0x6a6f75726e616cull) ^ 0xcb;
    uint32_t steps = (uint32_t)env_u64("ORCA_JOURNAL_STEPS", g_slow ? 800 : 2500);
    uint64_t n = env_u64("ORCA_JOURNAL_SEEDS", g_slow ? 1 : 4);
    for (uint64_t k = 0; k < n; k++)
        round_trip(master + k * 0x1000193ull, steps, 1);
}

/* Defaults everywhere (NULL config, NULL stats config), a small centre. */
static void test_round_trip_defaults(void **state)
{
    (void)state;
    char path[600];
    tmp_path(path, sizeof(path), "rt");
    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, NULL);
    orca_journal_config jc = { .sync = ORCA_SYNC_INTERVAL, .interval_ms = 0 };
    TU_OK(orca_journal_open(A, path, &jc));
    orca_skill_id en = tu_skill(A, "en");
    orca_queue_id q = tu_queue(A, "support", ORCA_STRATEGY_LONGEST_IDLE);
    orca_skill_level sk = { en, 5 };
    tu_agent(A, 7, 100, &sk, 1);
    tu_member(A, q, 7, 0);
    tu_ready(A, 7);
    tu_enqueue(A, 1001, q, ORCA_CHANNEL_VOICE, 0);
    tu_enqueue(A, 1002, q, ORCA_CHANNEL_VOICE, 3);
    TU_OK(orca_offer_accept(A, 1001));
    tu_advance(A, 60000);
    TU_OK(orca_interaction_end(A, 1001)); /* no wrap-up on voice by default */
    TU_OFFERED_TO(A, 1002, 7);
    TU_OK(orca_offer_accept(A, 1002));
    tu_advance(A, 200000);
    TU_OK(orca_journal_close(A));
    orca_config c;
    TU_OK(orca_journal_read_config(path, &c));
    tu_fx fb;
    tu_fx_new(&fb, &c);
    orca_journal_info ri;
    TU_OK(orca_journal_replay(fb.e, path, &jc, &ri));
    same_engine(A, fb.e, "dump (defaults)");
    same_events(&fa.rec, &fb.rec);
    assert_int_equal(tu_info(fb.e, 1002).state, ORCA_STATE_BUSY);
    tu_fx_free(&fa);
    tu_fx_free(&fb);
    unlink(path);
}

/* ------------------------------------------------------------------------ */
/* Compaction                                                               */
/* ------------------------------------------------------------------------ */

/* Events b recorded against a's from index from on; b may have more
 * after them if more (recovering offers) is true. */
static void same_events_from(const tu_rec *a, size_t from, const tu_rec *b, int more)
{
    tu_rec tail = { .ev = a->ev + from, .n = a->n - from, .cap = 0 };
    tu_rec head = *b;
    if (more && head.n > tail.n) {
        for (size_t k = tail.n; k < head.n; k++)
            if (head.ev[k].type == ORCA_EV_REJECTED)
                assert_int_equal(head.ev[k].value, ORCA_WITHDRAW_RECOVERED);
        head.n = tail.n;
    }
    same_events(&tail, &head);
}

/*
 * A compacts its journal at random points while A2, the same workload on
 * the same config, journals without compacting. Replaying each file must
 * give the same engine (B from A's snapshot + tail, B2 from A2's whole
 * journal), the same events since the last snapshot and the same figures;
 * then B and B2 go on in lockstep (the rebuilt indexes make the same
 * decisions as the replayed ones), B compacting as it goes, and C replayed
 * from B's file is B. `settle` 0 leaves offers pending (recovered).
 */
static void compact_round_trip(uint64_t seed, uint32_t steps, int cb_acts, int settle)
{
    uint64_t g = seed;
    orca_config cfg = wl_config(&g);
    uint64_t wseed = sm64(&g);
    char path[600], path2[600];
    tmp_path(path, sizeof(path), "cpt");
    tmp_path(path2, sizeof(path2), "cpt2");

    tu_fx fa, fa2;
    orca_engine *A = tu_fx_new(&fa, &cfg), *A2 = tu_fx_new(&fa2, &cfg);
    TU_OK(orca_journal_open(A, path, &jc_never));
    TU_OK(orca_journal_open(A2, path2, &jc_never));
    orca_stats *sa;
    TU_OK(orca_stats_new(A, NULL, &sa));
    static wl wa, wa2, wb, wb2;
    wl_init(&wa, A, wseed, cb_acts);
    wl_init(&wa2, A2, wseed, cb_acts);
    wl_setup(&wa, NULL);
    wl_setup(&wa2, NULL);
    size_t since = 0;     /* A's events from its last snapshot on */
    uint64_t compactions = 0;
    for (uint32_t k = 0; k < steps; k++) {
        int ra = wl_step(&wa, NULL), ra2 = wl_step(&wa2, NULL);
        assert_int_equal(ra, ra2);
        if (rnd(&g, 400) == 0 || k == steps / 3) {
            TU_OK(orca_journal_compact(A));
            compactions++;
            since = fa.rec.n;
            orca_journal_info ji = jinfo(A);
            assert_int_equal(ji.compactions, compactions);
            assert_int_equal(ji.bytes, file_size(path));
            assert_int_equal(ji.snapshot_bytes, ji.bytes);
            assert_false(exists(path) && file_size(path) == UINT64_MAX);
            TU_CHECK(A);
        }
    }
    if (settle) {
        wl_settle(&wa);
        wl_settle(&wa2);
    }
    same_engine(A, A2, "the compacting engine against the other");
    orca_journal_info ja = jinfo(A), ja2 = jinfo(A2);
    assert_int_equal(ja.failed, 0);
    /* (a snapshot may be bigger than the journal it replaces: it holds the
     * state, and a short journal may hold little but the state) */
    TU_OK(orca_journal_close(A));
    TU_OK(orca_journal_close(A2));

    /* B from the snapshot and its tail (stats attached first), B2 from the
     * whole journal */
    orca_config rc;
    TU_OK(orca_journal_read_config(path, &rc));
    tu_fx fb, fb2;
    orca_engine *B = tu_fx_new(&fb, &rc);
    orca_stats *sb;
    TU_OK(orca_stats_new(B, NULL, &sb));
    orca_journal_info ri, ri2;
    double t0 = now_s();
    TU_OK(orca_journal_replay(B, path, &jc_never, &ri));
    double took = now_s() - t0;
    assert_int_equal(ri.snapshot_bytes > HDR_BYTES, compactions > 0);
    TU_OK(orca_journal_read_config(path2, &rc));
    orca_engine *B2 = tu_fx_new(&fb2, &rc);
    orca_stats *sb2;
    TU_OK(orca_stats_new(B2, NULL, &sb2));
    TU_OK(orca_journal_replay(B2, path2, &jc_never, &ri2));
    assert_int_equal(ri.recovered_offers, ri2.recovered_offers);
    TU_CHECK(B);
    same_engine(B, B2, "engine from the snapshot against the one from the whole journal");
    same_events_from(&fa.rec, since, &fb.rec, ri.recovered_offers > 0);
    same_figures(sb, sb2);
    if (!ri.recovered_offers)
        same_figures(sb, sa);
    if (settle)
        same_engine(A, B, "engine from the snapshot against the one that wrote it");
    print_message("  seed %#llx: %llu compactions, journal %llu bytes (whole: %llu), "
                  "replay %.1f ms, %llu offers recovered\n",
                  (unsigned long long)seed, (unsigned long long)compactions,
                  (unsigned long long)ja.bytes, (unsigned long long)ja2.bytes, took * 1e3,
                  (unsigned long long)ri.recovered_offers);

    /* B and B2 go on in lockstep; B compacts now and then */
    wb = wa;
    wb.e = B;
    wb2 = wa2;
    wb2.e = B2;
    wl_callbacks(&wb);
    wl_callbacks(&wb2);
    for (uint32_t k = 0; k < steps / 2; k++) {
        int rb = wl_step(&wb, NULL), rb2 = wl_step(&wb2, NULL);
        if (rb != rb2) {
            print_error("step %u after the replay: B gave %s, B2 %s\n", k, rc_name(rb),
                        rc_name(rb2));
            fail();
        }
        if (k % 64 == 0)
            same_engine(B, B2, "going on after the replays");
        if (rnd(&g, 300) == 0)
            TU_OK(orca_journal_compact(B));
    }
    wl_settle(&wb);
    wl_settle(&wb2);
    same_engine(B, B2, "after going on");
    same_figures(sb, sb2);
    TU_OK(orca_journal_compact(B));
    TU_OK(orca_journal_close(B));

    /* C from B's file: B again, figures included */
    tu_fx fc;
    orca_config cc;
    TU_OK(orca_journal_read_config(path, &cc));
    tu_fx_new(&fc, &cc);
    orca_stats *sc;
    TU_OK(orca_stats_new(fc.e, NULL, &sc));
    TU_OK(orca_journal_replay(fc.e, path, &jc_never, &ri));
    assert_int_equal(fc.rec.n, 0); /* nothing after the snapshot: no event */
    same_engine(B, fc.e, "engine replayed from a snapshot alone");
    same_figures(sb, sc);

    TU_OK(orca_stats_free(sa));
    TU_OK(orca_stats_free(sb));
    TU_OK(orca_stats_free(sc));
    TU_OK(orca_stats_free(sb2));
    tu_fx_free(&fa);
    tu_fx_free(&fa2);
    tu_fx_free(&fb);
    tu_fx_free(&fb2);
    tu_fx_free(&fc);
    unlink(path);
    unlink(path2);
}

static void test_compact_round_trip(void **state)
{
    (void)state;
    uint64_t master = env_u64("ORCA_JOURNAL_SEED", 0x6a6f75726e616cull) ^ 0xc0;
    uint32_t steps = (uint32_t)env_u64("ORCA_JOURNAL_STEPS", g_slow ? 800 : 2500);
    uint64_t n = env_u64("ORCA_JOURNAL_SEEDS", g_slow ? 1 : 4);
    for (uint64_t k = 0; k < n; k++) {
        compact_round_trip(master + k * 0x1000193ull, steps, (int)(k & 1), 1);
        compact_round_trip(master + k * 0x1000193ull + 7, steps, (int)(k & 1), 0);
    }
}

/* A small journaling centre with work in every state, for the edge cases. */
static orca_engine *small_centre(tu_fx *fx, const char *path, const orca_journal_config *jc)
{
    orca_engine *e = tu_fx_new(fx, NULL);
    TU_OK(orca_journal_open(e, path, jc));
    orca_skill_id en = tu_skill(e, "en");
    orca_queue_id q = tu_queue(e, "support", ORCA_STRATEGY_LONGEST_IDLE);
    orca_skill_level sk = { en, 5 };
    for (uint64_t a = 1; a <= 3; a++) {
        tu_agent(e, a, 100, &sk, 1);
        tu_member(e, q, a, 0);
        tu_ready(e, a);
    }
    for (uint64_t id = 1001; id <= 1006; id++)
        tu_enqueue(e, id, q, ORCA_CHANNEL_VOICE, (uint32_t)(id % 3));
    TU_OK(orca_offer_accept(e, 1001));
    tu_advance(e, 30000);
    return e;
}

/* Accept every pending offer (ids 1001.. and 5000..), so a replay (which
 * recovers pending offers) must give the same engine. */
static void small_settle(orca_engine *e)
{
    for (uint64_t id = 1001; id < 9000; id++)
        if (tu_state(e, id) == ORCA_STATE_OFFERED)
            TU_OK(orca_offer_accept(e, id));
}

static void test_compact_bad_calls(void **state)
{
    (void)state;
    char path[600];
    tmp_path(path, sizeof(path), "cbad");
    TU_RC(orca_journal_compact(NULL), ORCA_EINVAL);
    tu_fx fa;
    orca_engine *e = tu_fx_new(&fa, NULL);
    TU_RC(orca_journal_compact(e), ORCA_ESTATE); /* no journal */
    tu_fx_free(&fa);
    e = small_centre(&fa, path, &jc_never);
    uint64_t before = file_size(path);
    tu_snap s;
    tu_snap_take_(&s, e, __FILE__, __LINE__);
    TU_OK(orca_journal_close(e));
    TU_RC(orca_journal_compact(e), ORCA_ESTATE); /* closed */
    tu_snap_same_(&s, e, "orca_journal_compact refused", __FILE__, __LINE__);
    tu_snap_free(&s);
    assert_int_equal(file_size(path), before);
    tu_fx_free(&fa);
    unlink(path);
}

static orca_engine *g_busy_e;
static int g_busy_rc;
static void compact_listener(void *data, const orca_event *ev)
{
    (void)data;
    (void)ev;
    g_busy_rc = orca_journal_compact(g_busy_e);
}

static void test_compact_in_listener(void **state)
{
    (void)state;
    char path[600];
    tmp_path(path, sizeof(path), "cbusy");
    tu_fx fa;
    orca_engine *e = small_centre(&fa, path, &jc_never);
    g_busy_e = e;
    g_busy_rc = 1;
    int h;
    TU_OK(orca_listener_add(e, compact_listener, NULL, &h));
    uint64_t compactions = jinfo(e).compactions;
    tu_enqueue(e, 1100, 1, ORCA_CHANNEL_VOICE, 0);
    TU_RC(g_busy_rc, ORCA_EBUSY);
    assert_int_equal(jinfo(e).compactions, compactions);
    TU_OK(orca_listener_remove(e, h));
    tu_fx_free(&fa);
    unlink(path);
}

/* Compaction that cannot write its file: ORCA_EIO, the old journal goes
 * on, whole and replayable, and the next compaction works. */
static void test_compact_io_failure(void **state)
{
    (void)state;
    char path[600], blocker[700];
    tmp_path(path, sizeof(path), "cio");
    tu_fx fa;
    orca_engine *e = small_centre(&fa, path, &jc_never);
    snprintf(blocker, sizeof(blocker), "%s.compact", path);
    assert_int_equal(mkdir(blocker, 0755), 0); /* open(2) of it fails: EISDIR */
    uint64_t before = file_size(path);
    char *d0 = tu_dump(e);
    TU_RC(orca_journal_compact(e), ORCA_EIO);
    char *d1 = tu_dump(e);
    tu_same_text_(d0, d1, "engine after a failed compaction", __FILE__, __LINE__);
    free(d0);
    free(d1);
    orca_journal_info ji = jinfo(e);
    assert_int_equal(ji.compact_failures, 1);
    assert_int_equal(ji.compact_error, EISDIR);
    assert_int_equal(ji.compactions, 0);
    assert_int_equal(ji.failed, 0);
    assert_int_equal(file_size(path), before);
    /* journaling goes on into the old file */
    tu_advance(e, 40000);
    small_settle(e);
    assert_true(file_size(path) > before);
    tu_fx fb;
    orca_journal_info ri;
    replay_copy(&fb, path, &jc_never, &ri);
    assert_int_equal(ri.snapshot_bytes, HDR_BYTES);
    same_engine(e, fb.e, "replay after a failed compaction");
    tu_fx_free(&fb);
    /* room again: it works */
    assert_int_equal(rmdir(blocker), 0);
    TU_OK(orca_journal_compact(e));
    assert_false(exists(blocker));
    tu_advance(e, 50000);
    small_settle(e);
    replay_copy(&fb, path, &jc_never, &ri);
    assert_true(ri.snapshot_bytes > HDR_BYTES);
    same_engine(e, fb.e, "replay after compacting again");
    tu_fx_free(&fb);
    tu_fx_free(&fa);
    unlink(path);
}

/* Every allocation compaction makes fails in turn: ORCA_ENOMEM, nothing
 * changes (engine, file), and journaling goes on. */
static void test_compact_alloc_failure(void **state)
{
    (void)state;
    char path[600];
    tmp_path(path, sizeof(path), "cnomem");
    tu_fx fa;
    orca_engine *e = small_centre(&fa, path, &jc_never);
    uint64_t at;
    for (at = 1;; at++) {
        size_t n0;
        uint8_t *f0 = slurp(path, &n0);
        tu_snap s;
        tu_snap_take_(&s, e, __FILE__, __LINE__);
        fa.alloc.fail_at = fa.alloc.attempts + at;
        int rc = orca_journal_compact(e);
        fa.alloc.fail_at = 0;
        if (rc == ORCA_OK) {
            tu_snap_free(&s);
            free(f0);
            break;
        }
        TU_RC(rc, ORCA_ENOMEM);
        tu_snap_same_(&s, e, "orca_journal_compact (ENOMEM)", __FILE__, __LINE__);
        tu_snap_free(&s);
        same_file(path, f0, n0, "orca_journal_compact (ENOMEM)");
        free(f0);
        assert_int_equal(jinfo(e).failed, 0);
        assert_true(at < 50);
    }
    tu_advance(e, 60000);
    small_settle(e);
    tu_fx fb;
    orca_journal_info ri;
    replay_copy(&fb, path, &jc_never, &ri);
    same_engine(e, fb.e, "replay after the allocation failures");
    print_message("  compaction: %llu allocations failed in turn\n", (unsigned long long)at - 1);

    /* restoring: each allocation of the replay fails in turn */
    TU_OK(orca_journal_close(e));
    size_t n;
    uint8_t *file = slurp(path, &n);
    char *want = tu_dump(fb.e);
    tu_fx_free(&fb);
    for (at = 1;; at++) {
        char p2[600];
        tmp_path(p2, sizeof(p2), "cnomem2");
        spit(p2, file, n);
        orca_config c;
        TU_OK(orca_journal_read_config(p2, &c));
        tu_fx fc;
        tu_fx_new(&fc, &c);
        fc.alloc.fail_at = fc.alloc.attempts + at;
        int rc = orca_journal_replay(fc.e, p2, &jc_never, &ri);
        fc.alloc.fail_at = 0;
        if (rc == ORCA_OK) {
            char *d = tu_dump(fc.e);
            tu_same_text_(want, d, "replay of a snapshot", __FILE__, __LINE__);
            free(d);
            tu_fx_free(&fc);
            unlink(p2);
            break;
        }
        TU_RC(rc, ORCA_ENOMEM);
        same_file(p2, file, n, "replay of a snapshot (ENOMEM)");
        orca_engine_free(fc.e); /* partly rebuilt (not consistent: no check) */
        fc.e = NULL;
        tu_fx_free(&fc); /* ... and freed without a leak */
        unlink(p2);
        assert_true(at < 5000);
    }
    print_message("  restore: %llu allocations failed in turn\n", (unsigned long long)at - 1);
    free(want);
    free(file);
    tu_fx_free(&fa);
    unlink(path);
}

/* compact_bytes: the journal compacts itself as it grows, stays bounded,
 * and replays to the same engine. */
static void test_compact_auto(void **state)
{
    (void)state;
    char path[600], path2[600];
    tmp_path(path, sizeof(path), "cauto");
    tmp_path(path2, sizeof(path2), "cauto2");
    orca_journal_config jc = { .sync = ORCA_SYNC_NEVER, .compact_bytes = 16384 };
    tu_fx fa, fa2;
    orca_engine *e = small_centre(&fa, path, &jc);
    orca_engine *e2 = small_centre(&fa2, path2, &jc_never);
    for (orca_engine *x = e; x; x = x == e ? e2 : NULL) { /* a fresh start */
        for (uint64_t a = 1; a <= 3; a++)
            tu_ready(x, a);
        for (int round = 0; round < 4; round++) {
            small_settle(x);
            for (uint64_t id = 1001; id <= 1006; id++)
                if (tu_state(x, id) == ORCA_STATE_BUSY)
                    TU_OK(orca_interaction_end(x, id));
        }
        assert_int_equal(tu_counts(x).waiting + tu_counts(x).busy, 0);
    }
    uint64_t biggest = 0;
    for (uint64_t k = 0; k < 3000; k++) {
        uint64_t id = 5000 + k;
        for (orca_engine *x = e; x; x = x == e ? e2 : NULL) {
            tu_enqueue(x, id, 1, ORCA_CHANNEL_VOICE, 0);
            for (uint64_t o = id > 5020 ? id - 20 : 5000; o <= id; o++) {
                if (tu_state(x, o) == ORCA_STATE_OFFERED)
                    TU_OK(orca_offer_accept(x, o));
                else if (tu_state(x, o) == ORCA_STATE_BUSY && o + 2 <= id)
                    TU_OK(orca_interaction_end(x, o));
            }
            tu_advance(x, orca_engine_now(x) + 1000);
        }
        uint64_t sz = file_size(path);
        biggest = sz > biggest ? sz : biggest;
    }
    orca_journal_info ji = jinfo(e);
    assert_true(ji.compactions > 10);
    assert_int_equal(ji.compact_failures, 0);
    assert_true(biggest < ji.snapshot_bytes + 16384 + 4096);
    print_message("  %llu compactions, journal at most %llu bytes (uncompacted %llu), snapshot %llu\n",
                  (unsigned long long)ji.compactions, (unsigned long long)biggest,
                  (unsigned long long)file_size(path2), (unsigned long long)ji.snapshot_bytes);
    assert_true(file_size(path2) > 4 * biggest);
    small_settle(e);
    small_settle(e2);
    same_engine(e, e2, "auto-compacting engine against the other");
    tu_fx fb;
    orca_journal_info ri;
    replay_copy(&fb, path, &jc, &ri);
    same_engine(e, fb.e, "replay of an auto-compacted journal");
    tu_fx_free(&fb);
    tu_fx_free(&fa);
    tu_fx_free(&fa2);
    unlink(path);
    unlink(path2);
}

/* A damaged snapshot: every byte flipped in turn is ORCA_ECORRUPT at the
 * first record (the checksums), and a leftover "<path>.compact" from a
 * crash in the middle of a compaction is ignored. */
static void test_compact_damage(void **state)
{
    (void)state;
    char path[600], side[700];
    tmp_path(path, sizeof(path), "cdmg");
    tu_fx fa;
    orca_engine *e = small_centre(&fa, path, &jc_never);
    TU_OK(orca_journal_compact(e));
    uint64_t snap = jinfo(e).snapshot_bytes;
    tu_advance(e, 45000);
    small_settle(e);
    TU_OK(orca_journal_close(e));
    size_t n;
    uint8_t *file = slurp(path, &n);
    size_t flips = 0;
    for (size_t at = HDR_BYTES; at < snap; at += 1 + at % 7) {
        char p2[600];
        tmp_path(p2, sizeof(p2), "cdmg2");
        file[at] ^= 0x5a;
        spit(p2, file, n);
        file[at] ^= 0x5a;
        orca_config c;
        TU_OK(orca_journal_read_config(p2, &c));
        tu_fx fb;
        tu_fx_new(&fb, &c);
        orca_journal_info ri;
        TU_RC(orca_journal_replay(fb.e, p2, &jc_never, &ri), ORCA_ECORRUPT);
        assert_true(ri.bad_offset == HDR_BYTES || ri.bad_offset <= at);
        tu_fx_free(&fb);
        unlink(p2);
        flips++;
    }
    /* a half-written side file is not the journal */
    snprintf(side, sizeof(side), "%s.compact", path);
    spit(side, file, snap / 2);
    tu_fx fb;
    orca_journal_info ri;
    replay_into(&fb, path, &jc_never, &ri);
    same_engine(e, fb.e, "replay beside a leftover .compact file");
    /* and the next compaction replaces it */
    TU_OK(orca_journal_compact(fb.e));
    assert_false(exists(side));
    print_message("  %zu flips in a %llu-byte snapshot: all ORCA_ECORRUPT\n", flips,
                  (unsigned long long)snap);
    tu_fx_free(&fb);
    free(file);
    tu_fx_free(&fa);
    unlink(path);
}

/* Append a record (seq, op, payload) to buf with a sound frame. */
static size_t put_record(uint8_t *buf, size_t at, uint64_t seq, uint8_t op, const uint8_t *body,
                         size_t n)
{
    uint8_t *r = buf + at + 8;
    for (int k = 0; k < 8; k++)
        r[k] = (uint8_t)(seq >> (8 * k));
    r[8] = op;
    if (n)
        memcpy(r + 9, body, n);
    uint64_t sum = XXH64(r, 9 + n, 0);
    for (int k = 0; k < 8; k++)
        r[9 + n + (size_t)k] = (uint8_t)(sum >> (8 * k));
    uint32_t len = (uint32_t)(9 + n + 8), chk = ~len;
    for (int k = 0; k < 4; k++) {
        buf[at + (size_t)k] = (uint8_t)(len >> (8 * k));
        buf[at + 4 + (size_t)k] = (uint8_t)(chk >> (8 * k));
    }
    return at + 8 + len;
}

/* Snapshots that check out (frames and checksums) but cannot be: an empty
 * one (the fuzzer's find), and one cut short inside its chunks. */
static void test_compact_crafted(void **state)
{
    (void)state;
    enum { OP_SNAP = 30, OP_SNAP_END = 31 }; /* src/journal.h */
    char path[600];
    tmp_path(path, sizeof(path), "ccraft");
    tu_fx fa;
    orca_engine *e = small_centre(&fa, path, &jc_never);
    TU_OK(orca_journal_compact(e));
    TU_OK(orca_journal_close(e));
    size_t n;
    uint8_t *file = slurp(path, &n);
    assert_int_equal(file[HDR_BYTES + 16], OP_SNAP);
    uint8_t *buf = calloc(1, n + 4096);
    assert_non_null(buf);
    memcpy(buf, file, HDR_BYTES);
    /* empty: no chunk byte, an end that says 0 */
    uint8_t zero[8] = { 0 };
    size_t at = put_record(buf, HDR_BYTES, 1, OP_SNAP, NULL, 0);
    at = put_record(buf, at, 2, OP_SNAP_END, zero, sizeof zero);
    /* and half a real snapshot, its end saying so */
    uint32_t len1 = (uint32_t)file[HDR_BYTES] | (uint32_t)file[HDR_BYTES + 1] << 8 |
                    (uint32_t)file[HDR_BYTES + 2] << 16 | (uint32_t)file[HDR_BYTES + 3] << 24;
    size_t half = (len1 - 17) / 2;
    uint8_t hl[8];
    for (int k = 0; k < 8; k++)
        hl[k] = (uint8_t)((uint64_t)half >> (8 * k));
    uint8_t *buf2 = calloc(1, n + 4096);
    assert_non_null(buf2);
    memcpy(buf2, file, HDR_BYTES);
    size_t at2 = put_record(buf2, HDR_BYTES, 1, OP_SNAP, file + HDR_BYTES + 8 + 9, half);
    at2 = put_record(buf2, at2, 2, OP_SNAP_END, hl, sizeof hl);
    const struct { uint8_t *p; size_t n; const char *what; } cases[] = {
        { buf, at, "an empty snapshot" },
        { buf2, at2, "half a snapshot" },
    };
    for (size_t c = 0; c < 2; c++) {
        char p2[600];
        tmp_path(p2, sizeof(p2), "ccraft2");
        spit(p2, cases[c].p, cases[c].n);
        orca_config cfg;
        TU_OK(orca_journal_read_config(p2, &cfg));
        tu_fx fb;
        tu_fx_new(&fb, &cfg);
        orca_journal_info ri;
        int rc = orca_journal_replay(fb.e, p2, &jc_never, &ri);
        if (rc != ORCA_ECORRUPT) {
            print_error("%s: %s, expected ORCA_ECORRUPT\n", cases[c].what, rc_name(rc));
            fail();
        }
        assert_int_equal(ri.bad_offset, HDR_BYTES);
        same_file(p2, cases[c].p, cases[c].n, cases[c].what);
        orca_engine_free(fb.e); /* partly rebuilt: no check */
        fb.e = NULL;
        tu_fx_free(&fb);
        unlink(p2);
    }
    free(buf);
    free(buf2);
    free(file);
    tu_fx_free(&fa);
    unlink(path);
}

/* ------------------------------------------------------------------------ */
/* Offers pending at the crash                                              */
/* ------------------------------------------------------------------------ */

static void copy_file(const char *from, const char *to)
{
    size_t n;
    uint8_t *p = slurp(from, &n);
    spit(to, p, n);
    free(p);
}

static void test_recovered_offers(void **state)
{
    (void)state;
    char path[600], crash[600];
    tmp_path(path, sizeof(path), "rec");
    tmp_path(crash, sizeof(crash), "recr");
    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, NULL);
    TU_OK(orca_journal_open(A, path, &jc_never));
    orca_queue_id q = tu_queue(A, "support", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(A, 1, 100, NULL, 0);
    tu_agent(A, 2, 100, NULL, 0);
    tu_member(A, q, 1, 0);
    tu_member(A, q, 2, 0);
    tu_ready(A, 1);
    tu_advance(A, 1000);
    tu_ready(A, 2);
    tu_advance(A, 5000);
    tu_enqueue(A, 101, q, ORCA_CHANNEL_VOICE, 0); /* offered to 1 */
    tu_advance(A, 6000);
    tu_enqueue(A, 102, q, ORCA_CHANNEL_VOICE, 0); /* offered to 2 */
    tu_advance(A, 7000);
    tu_enqueue(A, 103, q, ORCA_CHANNEL_VOICE, 0); /* waits */
    TU_OFFERED_TO(A, 101, 1);
    TU_OFFERED_TO(A, 102, 2);
    TU_OFFERED_TO(A, 103, 0);
    /* nobody READY: the offers are kept */
    tu_notready(A, 1);
    tu_notready(A, 2);
    TU_OFFERED_TO(A, 101, 1);
    orca_interaction_info a101 = tu_info(A, 101), a102 = tu_info(A, 102),
                          a103 = tu_info(A, 103);

    /* the process dies here: the file as it is on disk */
    copy_file(path, crash);
    tu_fx fb;
    orca_journal_info ri;
    replay_into(&fb, crash, &jc_never, &ri);
    orca_engine *B = fb.e;
    TU_CHECK(B);
    assert_int_equal(ri.recovered_offers, 2);
    assert_int_equal(ri.torn_bytes, 0);
    orca_counts cb = tu_counts(B);
    assert_int_equal(cb.offered, 0);
    assert_int_equal(cb.waiting, 3);
    for (uint64_t id = 101; id <= 103; id++) {
        orca_interaction_info b = tu_info(B, id);
        const orca_interaction_info *a = id == 101 ? &a101 : id == 102 ? &a102 : &a103;
        assert_int_equal(b.state, ORCA_STATE_WAITING);
        assert_int_equal(b.agent, 0);
        assert_int_equal(b.arrival_ms, a->arrival_ms);
        assert_int_equal(b.queued_ms, a->queued_ms);
        assert_int_equal(b.queue, a->queue);
        assert_int_equal(b.channel, a->channel);
    }
    for (uint64_t ag = 1; ag <= 2; ag++) {
        orca_agent_info ai = tu_ainfo(B, ag);
        assert_int_equal(ai.used, 0);
        assert_int_equal(ai.offered, 0);
        assert_int_equal(ai.presence, ORCA_PRESENCE_NOT_READY);
    }
    /* one REJECTED event per pending offer, value RECOVERED, naming it */
    assert_int_equal(tu_rec_count(&fb.rec, ORCA_EV_REJECTED), 2);
    int seen = 0;
    for (size_t k = 0; k < 2; k++) {
        const orca_event *ev = tu_rec_nth(&fb.rec, ORCA_EV_REJECTED, k);
        assert_int_equal(ev->value, ORCA_WITHDRAW_RECOVERED);
        if (ev->interaction == 101 && ev->agent == 1)
            seen |= 1;
        if (ev->interaction == 102 && ev->agent == 2)
            seen |= 2;
    }
    assert_int_equal(seen, 3);
    /* same place: a new agent takes them in arrival order */
    tu_agent(B, 3, 100, NULL, 0);
    tu_member(B, q, 3, 0);
    tu_ready(B, 3);
    TU_OFFERED_TO(B, 101, 3);
    TU_OK(orca_offer_accept(B, 101));
    TU_OK(orca_interaction_end(B, 101)); /* no wrap-up on voice by default */
    TU_OFFERED_TO(B, 102, 3);
    TU_CHECK(B);

    /* B journals on: its own replay shows what B shows (recovery included) */
    orca_journal_info jb = jinfo(B);
    TU_OK(orca_journal_close(B));
    tu_fx fc;
    orca_journal_info ci;
    replay_into(&fc, crash, &jc_never, &ci);
    assert_int_equal(ci.last_seq, jb.last_seq);
    assert_int_equal(ci.recovered_offers, 1); /* 102, offered to 3 */
    TU_CHECK(fc.e);
    /* 3 is READY with room: 102 waits again and is offered again at once */
    const orca_event *rj = tu_rec_last(&fc.rec, ORCA_EV_REJECTED);
    assert_non_null(rj);
    assert_int_equal(rj->interaction, 102);
    assert_int_equal(rj->agent, 3);
    assert_int_equal(rj->value, ORCA_WITHDRAW_RECOVERED);
    const orca_event *of = tu_rec_last(&fc.rec, ORCA_EV_OFFERED);
    assert_true(of > rj);
    assert_int_equal(of->interaction, 102);
    TU_OFFERED_TO(fc.e, 102, 3);
    assert_int_equal(tu_info(fc.e, 102).arrival_ms, a102.arrival_ms);
    assert_int_equal(tu_info(fc.e, 102).attempts, tu_info(B, 102).attempts + 1);
    assert_int_equal(tu_state(fc.e, 101), 0);
    assert_int_equal(tu_state(fc.e, 103), ORCA_STATE_WAITING);

    tu_fx_free(&fa);
    tu_fx_free(&fb);
    tu_fx_free(&fc);
    unlink(path);
    unlink(crash);
}

/* Offers pending with their agent still READY: after the recovery the
 * engine is consistent, the work was withdrawn (REJECTED, RECOVERED) and,
 * the agent being free, offered again, arrival kept. The host, having set
 * its callbacks before the replay, hears of the new offers (and of nothing
 * else: no offer during the replay, no withdrawal of offers it was never
 * told about). */
static void test_recovered_offer_agent_ready(void **state)
{
    (void)state;
    char path[600], crash[600];
    tmp_path(path, sizeof(path), "rec");
    tmp_path(crash, sizeof(crash), "recr");
    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, NULL);
    TU_OK(orca_journal_open(A, path, &jc_never));
    orca_queue_id q = tu_queue(A, "support", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(A, 1, 100, NULL, 0);
    tu_member(A, q, 1, 0);
    tu_ready(A, 1);
    tu_advance(A, 3000);
    tu_enqueue(A, 100, q, ORCA_CHANNEL_CHAT, 0);
    TU_OK(orca_offer_accept(A, 100));
    tu_enqueue(A, 101, q, ORCA_CHANNEL_CHAT, 0);
    tu_enqueue(A, 102, q, ORCA_CHANNEL_CHAT, 0);
    TU_OFFERED_TO(A, 101, 1);
    TU_OFFERED_TO(A, 102, 1);
    copy_file(path, crash);

    orca_config c;
    TU_OK(orca_journal_read_config(crash, &c));
    tu_fx fb;
    orca_engine *B = tu_fx_new(&fb, &c);
    static tu_offers o;
    tu_offers_init(&o, NULL);
    TU_OK(orca_channel_set_callbacks(B, ORCA_CHANNEL_CHAT, &tu_offer_callbacks, &o));
    orca_journal_info ri;
    TU_OK(orca_journal_replay(B, crash, &jc_never, &ri));
    TU_CHECK(B);
    assert_int_equal(ri.recovered_offers, 2);
    assert_int_equal(tu_rec_count(&fb.rec, ORCA_EV_REJECTED), 2);
    for (uint64_t id = 101; id <= 102; id++) {
        const orca_event *ev = tu_rec_nth(&fb.rec, ORCA_EV_REJECTED, id - 101);
        assert_int_equal(ev->interaction, id); /* oldest first */
        assert_int_equal(ev->value, ORCA_WITHDRAW_RECOVERED);
        TU_OFFERED_TO(B, id, 1);
        assert_int_equal(tu_info(B, id).arrival_ms, 3000);
        assert_int_equal(tu_info(B, id).attempts, 2);
    }
    assert_int_equal(tu_state(B, 100), ORCA_STATE_BUSY);
    /* told of the two new offers only, and of no withdrawal */
    assert_int_equal(o.noffers, 2);
    assert_int_equal(o.offer[0].interaction, 101);
    assert_int_equal(o.offer[1].interaction, 102);
    assert_int_equal(o.offer[0].attempt, 2);
    assert_int_equal(o.nwithdrawn, 0);
    tu_fx_free(&fa);
    tu_fx_free(&fb);
    unlink(path);
    unlink(crash);
}

/* ------------------------------------------------------------------------ */
/* Presence after restore (orca_journal_config.restore_presence)            */
/* ------------------------------------------------------------------------ */

/* A centre as a crash leaves it, at path: agent 1 BUSY on voice 100 (full),
 * agent 2 READY with chat 101 offered, 3 NOT_READY, 4 never logged in;
 * chat 102 held for agent 1 (soft, named), voice 103 waiting (no room). */
static void restore_centre(const char *path, orca_queue_id *qout)
{
    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, NULL);
    TU_OK(orca_journal_open(A, path, &jc_never));
    orca_queue_id q = tu_queue(A, "support", ORCA_STRATEGY_LONGEST_IDLE);
    for (uint64_t ag = 1; ag <= 4; ag++) {
        tu_agent(A, ag, 100, NULL, 0);
        tu_member(A, q, ag, 0);
    }
    tu_ready(A, 1);
    tu_advance(A, 1000);
    tu_ready(A, 2);
    tu_notready(A, 3);
    tu_advance(A, 2000);
    tu_enqueue(A, 100, q, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(A, 100, 1);
    TU_OK(orca_offer_accept(A, 100));
    tu_enqueue(A, 101, q, ORCA_CHANNEL_CHAT, 0);
    TU_OFFERED_TO(A, 101, 2);
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 102;
    d.queue = q;
    d.channel = ORCA_CHANNEL_CHAT;
    d.agent = 1;
    d.agent_wait_ms = 600000;
    TU_OK(orca_interaction_enqueue(A, &d));
    tu_enqueue(A, 103, q, ORCA_CHANNEL_VOICE, 0);
    assert_int_equal(tu_state(A, 102), ORCA_STATE_WAITING);
    assert_int_equal(tu_state(A, 103), ORCA_STATE_WAITING);
    TU_CHECK(A);
    tu_fx_free(&fa); /* the process dies: the file stays as it is */
    *qout = q;
}

/* OFFLINE: every agent OFFLINE before the recovered offer is routed again;
 * the work waits in its place, offered to nobody (not even the released
 * hold for agent 1, which agent 2, still READY in the file, has room for:
 * routed one agent at a time, it would have gone to 2). Journaled: the
 * next replay of the file, in either mode, gives the same engine and adds
 * nothing. */
static void test_restore_offline(void **state)
{
    (void)state;
    char path[600];
    tmp_path(path, sizeof(path), "roff");
    orca_queue_id q;
    restore_centre(path, &q);

    orca_journal_config jc = jc_never;
    jc.restore_presence = ORCA_RESTORE_OFFLINE;
    orca_config c;
    TU_OK(orca_journal_read_config(path, &c));
    tu_fx fb;
    orca_engine *B = tu_fx_new(&fb, &c);
    static tu_offers o;
    tu_offers_init(&o, NULL);
    TU_OK(orca_channel_set_callbacks(B, ORCA_CHANNEL_CHAT, &tu_offer_callbacks, &o));
    TU_OK(orca_channel_set_callbacks(B, ORCA_CHANNEL_VOICE, &tu_offer_callbacks, &o));
    orca_journal_info ri;
    TU_OK(orca_journal_replay(B, path, &jc, &ri));
    TU_CHECK(B);
    assert_int_equal(ri.recovered_offers, 1);
    for (uint64_t ag = 1; ag <= 4; ag++)
        assert_int_equal(tu_ainfo(B, ag).presence, ORCA_PRESENCE_OFFLINE);
    orca_counts cb = tu_counts(B);
    assert_int_equal(cb.offered, 0);
    assert_int_equal(cb.waiting, 3);
    assert_int_equal(cb.agents_ready, 0);
    assert_int_equal(tu_state(B, 100), ORCA_STATE_BUSY); /* accepted: stays */
    assert_int_equal(tu_agent_of(B, 100), 1);
    for (uint64_t id = 101; id <= 103; id++)
        assert_int_equal(tu_state(B, id), ORCA_STATE_WAITING);
    assert_int_equal(o.noffers, 0); /* nobody was offered anything */
    /* one presence event each for 1, 2, 3 (4 was OFFLINE), then the
     * recovered offer's withdrawal, and no offer after it */
    const orca_event *rj = tu_rec_last(&fb.rec, ORCA_EV_REJECTED);
    assert_non_null(rj);
    assert_int_equal(rj->interaction, 101);
    assert_int_equal(rj->value, ORCA_WITHDRAW_RECOVERED);
    size_t np = tu_rec_count(&fb.rec, ORCA_EV_AGENT_PRESENCE);
    assert_true(np >= 3);
    for (size_t k = np - 3; k < np; k++) {
        const orca_event *ev = tu_rec_nth(&fb.rec, ORCA_EV_AGENT_PRESENCE, k);
        assert_int_equal(ev->agent, k - (np - 3) + 1);
        assert_int_equal(ev->presence, ORCA_PRESENCE_OFFLINE);
        assert_int_equal(ev->reason, 0);
        assert_true(ev < rj);
    }
    const orca_event *of = tu_rec_last(&fb.rec, ORCA_EV_OFFERED);
    assert_true(of == NULL || of < rj);
    orca_journal_info jb = jinfo(B);

    /* replayed again (OFFLINE, then KEEP): the same engine, no new record */
    TU_OK(orca_journal_close(B));
    for (int mode = 0; mode < 2; mode++) {
        orca_journal_config jc2 = jc_never;
        jc2.restore_presence = mode ? ORCA_RESTORE_KEEP : ORCA_RESTORE_OFFLINE;
        tu_fx fc;
        orca_journal_info ci;
        TU_OK(orca_journal_read_config(path, &c));
        tu_fx_new(&fc, &c);
        TU_OK(orca_journal_replay(fc.e, path, &jc2, &ci));
        assert_int_equal(ci.last_seq, jb.last_seq);
        assert_int_equal(ci.recovered_offers, 0);
        same_engine(B, fc.e, "replayed twice");
        assert_int_equal(jinfo(fc.e).records, 0);
        if (mode) {
            /* agents log in again: the work is offered in its old order */
            tu_ready(fc.e, 2);
            TU_OFFERED_TO(fc.e, 101, 2);
            TU_OFFERED_TO(fc.e, 102, 2);
            TU_OFFERED_TO(fc.e, 103, 0);
            TU_CHECK(fc.e);
        }
        tu_fx_free(&fc);
    }
    tu_fx_free(&fb);
    unlink(path);
}

/* KEEP (0, and the default with cfg NULL): presence as journaled, the
 * recovered offer routed again at once to the READY agent, as in 0.3. */
static void test_restore_keep(void **state)
{
    (void)state;
    char path[600], copy[600];
    tmp_path(path, sizeof(path), "rkeep");
    tmp_path(copy, sizeof(copy), "rkeepc");
    orca_queue_id q;
    restore_centre(path, &q);
    copy_file(path, copy);
    tu_fx fb, fn;
    orca_journal_info ri, rn;
    orca_journal_config jc = jc_never;
    jc.restore_presence = ORCA_RESTORE_KEEP;
    replay_into(&fb, path, &jc, &ri);
    replay_into(&fn, copy, NULL, &rn);
    orca_engine *B = fb.e;
    TU_CHECK(B);
    assert_int_equal(ri.recovered_offers, 1);
    assert_int_equal(tu_ainfo(B, 1).presence, ORCA_PRESENCE_READY);
    assert_int_equal(tu_ainfo(B, 2).presence, ORCA_PRESENCE_READY);
    assert_int_equal(tu_ainfo(B, 3).presence, ORCA_PRESENCE_NOT_READY);
    assert_int_equal(tu_ainfo(B, 4).presence, ORCA_PRESENCE_OFFLINE);
    TU_OFFERED_TO(B, 101, 2); /* withdrawn and offered again */
    assert_int_equal(tu_state(B, 102), ORCA_STATE_WAITING); /* still held for 1 */
    same_engine(B, fn.e, "KEEP and cfg NULL");
    tu_fx_free(&fb);
    tu_fx_free(&fn);
    unlink(path);
    unlink(copy);
}

/* A restore_presence that is neither KEEP nor OFFLINE is ORCA_EINVAL and
 * leaves the engine new: the same engine then replays with a good one. */
static void test_restore_bad_mode(void **state)
{
    (void)state;
    char path[600];
    tmp_path(path, sizeof(path), "rbad");
    orca_queue_id q;
    restore_centre(path, &q);
    uint64_t size = file_size(path);
    orca_config c;
    TU_OK(orca_journal_read_config(path, &c));
    tu_fx fb;
    tu_fx_new(&fb, &c);
    orca_journal_config jc = jc_never;
    jc.restore_presence = (orca_restore_presence)2;
    orca_journal_info ri;
    TU_FAILS(fb.e, orca_journal_replay(fb.e, path, &jc, &ri), ORCA_EINVAL);
    assert_int_equal(file_size(path), size);
    jc.restore_presence = ORCA_RESTORE_OFFLINE;
    TU_OK(orca_journal_replay(fb.e, path, &jc, &ri));
    assert_int_equal(tu_ainfo(fb.e, 2).presence, ORCA_PRESENCE_OFFLINE);
    tu_fx_free(&fb);
    unlink(path);
}

/* ------------------------------------------------------------------------ */
/* Torn tail                                                                */
/* ------------------------------------------------------------------------ */

/* A workload with its trace (dumps before each call), file closed. */
typedef struct traced {
    tu_fx fx;
    wl w;
    wl_trace t;
    char path[600];
    uint8_t *file;
    size_t len;
    uint64_t header;           /* bytes of the header */
    char *final_dump;
} traced;

static void traced_run(traced *r, uint64_t seed, uint32_t steps)
{
    memset(r, 0, sizeof(*r));
    uint64_t g = seed;
    orca_config cfg = wl_config(&g);
    tmp_path(r->path, sizeof(r->path), "torn");
    tu_fx_new(&r->fx, &cfg);
    TU_OK(orca_journal_open(r->fx.e, r->path, &jc_never));
    r->header = jinfo(r->fx.e).bytes;
    wl_init(&r->w, r->fx.e, sm64(&g), 0);
    r->t.keep_dumps = 1;
    wl_setup(&r->w, &r->t);
    for (uint32_t k = 0; k < steps; k++)
        wl_step(&r->w, &r->t);
    wl_settle(&r->w);
    /* the last call: one record, nothing offered before or after */
    wl_call_op(&r->w, OP_SKILL, &r->t);
    assert_int_equal(r->w.last_rc, ORCA_OK);
    r->final_dump = tu_dump(r->fx.e);
    TU_OK(orca_journal_close(r->fx.e));
    r->file = slurp(r->path, &r->len);
    assert_int_equal(r->len, r->t.v[r->t.n - 1].bytes1);
}

static void traced_free(traced *r)
{
    tu_fx_free(&r->fx);
    trace_free(&r->t);
    free(r->file);
    free(r->final_dump);
    unlink(r->path);
}

/* Cut the file at cut (inside call k's one record): the replay drops that
 * record, cuts the file back, and journaling goes on. */
static void torn_at(traced *r, size_t k, uint64_t cut, int go_on)
{
    const wl_call *c = &r->t.v[k];
    char path[600];
    tmp_path(path, sizeof(path), "tornc");
    spit(path, r->file, (size_t)cut);
    tu_fx fb;
    orca_journal_info ri;
    replay_into(&fb, path, &jc_never, &ri);
    if (ri.torn_bytes != cut - c->bytes0 || ri.records != c->records0) {
        print_error("cut at %llu inside the record [%llu, %llu) of call %zu (%s): torn_bytes "
                    "%llu (expected %llu), records %llu (expected %llu)\n",
                    (unsigned long long)cut, (unsigned long long)c->bytes0,
                    (unsigned long long)c->bytes1, k, op_names[c->op],
                    (unsigned long long)ri.torn_bytes,
                    (unsigned long long)(cut - c->bytes0), (unsigned long long)ri.records,
                    (unsigned long long)c->records0);
        fail();
    }
    assert_int_equal(ri.bytes, c->bytes0);
    assert_int_equal(file_size(path), c->bytes0);
    assert_int_equal(ri.recovered_offers, 0);
    TU_CHECK(fb.e);
    char *d = tu_dump(fb.e);
    tu_same_text_(c->dump_before, d, "dump after dropping the torn record", __FILE__, __LINE__);
    free(d);
    if (go_on) {
        /* journaling goes on after the cut */
        orca_skill_id s;
        TU_OK(orca_skill_intern(fb.e, "after-the-cut", &s));
        tu_advance(fb.e, orca_engine_now(fb.e) + 1234);
        orca_journal_info jb = jinfo(fb.e);
        assert_int_equal(jb.failed, 0);
        assert_int_equal(jb.bytes, file_size(path));
        TU_OK(orca_journal_close(fb.e));
        tu_fx fc;
        orca_journal_info ci;
        replay_into(&fc, path, &jc_never, &ci);
        assert_int_equal(ci.torn_bytes, 0);
        assert_int_equal(ci.last_seq, jb.last_seq);
        same_engine(fb.e, fc.e, "dump after the cut and more records");
        tu_fx_free(&fc);
    }
    tu_fx_free(&fb);
    unlink(path);
}

static int single_record(const wl_call *c)
{
    return c->rc == ORCA_OK && c->records1 == c->records0 + 1 && c->offered_before == 0;
}

static void test_torn_tail(void **state)
{
    (void)state;
    static traced r;
    traced_run(&r, env_u64("ORCA_JOURNAL_SEED", 0x746f726eull), 400);
    size_t last = r.t.n - 1;
    const wl_call *c = &r.t.v[last];
    assert_true(single_record(c));
    size_t cuts = 0;
    for (uint64_t cut = c->bytes0 + 1; cut < c->bytes1; cut++, cuts++)
        torn_at(&r, last, cut, 1);
    /* a few earlier records, each cut so that it becomes the last */
    size_t done = 0;
    for (size_t k = r.t.n / 5; k < r.t.n && done < 4; k += r.t.n / 5) {
        size_t j = k;
        while (j < r.t.n && !single_record(&r.t.v[j]))
            j++;
        if (j >= r.t.n - 1)
            break;
        const wl_call *e = &r.t.v[j];
        uint64_t len = e->bytes1 - e->bytes0;
        const uint64_t at[] = { 1, 3, 4, 5, 12, 13, len / 2, len - 8, len - 1 };
        for (size_t a = 0; a < sizeof(at) / sizeof(at[0]); a++)
            if (at[a] > 0 && at[a] < len) {
                torn_at(&r, j, e->bytes0 + at[a], a == 6);
                cuts++;
            }
        done++;
    }
    assert_true(done >= 3);
    /* cut exactly at a record boundary: nothing torn */
    {
        char path[600];
        tmp_path(path, sizeof(path), "tornc");
        spit(path, r.file, (size_t)c->bytes0);
        tu_fx fb;
        orca_journal_info ri;
        replay_into(&fb, path, &jc_never, &ri);
        assert_int_equal(ri.torn_bytes, 0);
        assert_int_equal(ri.records, c->records0);
        char *d = tu_dump(fb.e);
        tu_same_text_(c->dump_before, d, "dump cut at a boundary", __FILE__, __LINE__);
        free(d);
        tu_fx_free(&fb);
        unlink(path);
    }
    print_message("  %zu cuts, header %llu bytes, %zu records, file %zu bytes\n", cuts,
                  (unsigned long long)r.header, (size_t)c->records1, r.len);
    traced_free(&r);
}

/* ------------------------------------------------------------------------ */
/* Corruption                                                               */
/* ------------------------------------------------------------------------ */

static uint32_t get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

typedef struct corrupt_tally {
    size_t flips, corrupt, length_past_end_torn, bad;
} corrupt_tally;

/* Flip bits at byte off of the file; the replay must refuse with
 * ORCA_ECORRUPT at rec_start, touching neither the file nor the engine. */
static void corrupt_at(traced *r, uint64_t rec_start, uint64_t rec_end, uint64_t off,
                       uint8_t mask, corrupt_tally *tally)
{
    char path[600];
    tmp_path(path, sizeof(path), "cor");
    uint8_t *p = malloc(r->len);
    assert_non_null(p);
    memcpy(p, r->file, r->len);
    p[off] ^= mask;
    spit(path, p, r->len);
    tally->flips++;
    orca_config c;
    int rrc = orca_journal_read_config(path, &c);
    if (rrc != ORCA_OK) {
        print_error("flip %#x at %llu (record at %llu): read_config says %s\n", mask,
                    (unsigned long long)off, (unsigned long long)rec_start, rc_name(rrc));
        fail();
    }
    tu_fx fb;
    tu_fx_new(&fb, &c);
    char *before = tu_dump(fb.e);
    orca_journal_info ri;
    memset(&ri, 0, sizeof(ri));
    int rc = orca_journal_replay(fb.e, path, &jc_never, &ri);
    /* A flipped length that reaches past the end of the file must not be
     * taken for a torn tail: a torn tail is the beginning of one record,
     * and here whole checksummed records follow. Counted apart, so the
     * report says how many; failed all the same. */
    uint64_t rec_len = rec_end - rec_start;
    uint64_t len_field = get_u32le(r->file + rec_start);
    uint64_t flipped_len = get_u32le(p + rec_start);
    int past_end = off < rec_start + 4 &&
                   rec_start + (rec_len - len_field) + flipped_len > r->len;
    if (rc == ORCA_ECORRUPT && ri.bad_offset == rec_start) {
        tally->corrupt++;
    } else if (past_end && rc == ORCA_OK && ri.torn_bytes == r->len - rec_start) {
        tally->length_past_end_torn++;
        if (tally->length_past_end_torn == 1)
            print_error("flip %#x at byte %llu (length field) of the record [%llu, %llu): "
                        "taken as a torn tail: ORCA_OK, %llu records, torn_bytes %llu, the "
                        "file cut to %llu bytes (was %zu): the records after it are lost\n",
                        mask, (unsigned long long)(off - rec_start),
                        (unsigned long long)rec_start, (unsigned long long)rec_end,
                        (unsigned long long)ri.records, (unsigned long long)ri.torn_bytes,
                        (unsigned long long)file_size(path), r->len);
    } else {
        print_error("flip %#x at byte %llu of the record [%llu, %llu): replay %s, "
                    "bad_offset %llu, torn_bytes %llu\n",
                    mask, (unsigned long long)(off - rec_start), (unsigned long long)rec_start,
                    (unsigned long long)rec_end, rc_name(rc),
                    (unsigned long long)ri.bad_offset, (unsigned long long)ri.torn_bytes);
        tally->bad++;
    }
    if (rc != ORCA_OK) {
        same_file(path, p, r->len, "refused replay");
        char *after = tu_dump(fb.e);
        tu_same_text_(before, after, "engine after a refused replay", __FILE__, __LINE__);
        free(after);
        assert_int_equal(tu_counts(fb.e).events, 0);
        assert_int_equal(fb.rec.n, 0);
    }
    free(before);
    free(p);
    tu_fx_free(&fb);
    unlink(path);
}

static void test_corrupt_middle(void **state)
{
    (void)state;
    static traced r;
    traced_run(&r, env_u64("ORCA_JOURNAL_SEED", 0x636f72ull), 300);
    corrupt_tally tally = { 0 };
    size_t recs = 0;
    for (size_t k = r.t.n / 4; k < r.t.n - 1 && recs < 3; k += r.t.n / 4) {
        size_t j = k;
        while (j < r.t.n - 1 && !single_record(&r.t.v[j]))
            j++;
        if (j >= r.t.n - 1)
            break;
        const wl_call *c = &r.t.v[j];
        for (uint64_t off = c->bytes0; off < c->bytes1; off += g_slow ? 3 : 1) {
            corrupt_at(&r, c->bytes0, c->bytes1, off, 0x01, &tally);
            corrupt_at(&r, c->bytes0, c->bytes1, off, 0x80, &tally);
        }
        recs++;
    }
    /* the first record, right after the header */
    const wl_call *f = &r.t.v[0];
    assert_int_equal(f->bytes0, r.header);
    for (uint64_t off = f->bytes0; off < f->bytes1; off += 3)
        corrupt_at(&r, f->bytes0, f->bytes1, off, 0x10, &tally);
    print_message("  %zu flips: %zu ORCA_ECORRUPT at the record, %zu length flips past the "
                  "end taken as a torn tail (file cut), %zu other\n",
                  tally.flips, tally.corrupt, tally.length_past_end_torn, tally.bad);
    assert_int_equal(tally.bad, 0);
    assert_int_equal(tally.length_past_end_torn, 0);
    traced_free(&r);
}

/* Journal format 2 (0.4): skill ids start at 1 and no_answer_limit 0 means
 * 3, so a journal written by 0.3 (format 1) would replay to another
 * engine. It is refused as ORCA_EVERSION (since 0.6; ORCA_ECORRUPT before),
 * the file untouched; so is a later format with a sound header. */
static void test_old_format_refused(void **state)
{
    (void)state;
    char path[600];
    tmp_path(path, sizeof(path), "fmt1");
    unlink(path);
    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, NULL);
    TU_OK(orca_journal_open(A, path, &jc_never));
    tu_skill(A, "billing");
    TU_OK(orca_journal_close(A));
    tu_fx_free(&fa);
    size_t n;
    uint8_t *p = slurp(path, &n);
    assert_true(n > HDR_BYTES);
    assert_int_equal(p[8], 2); /* after the 8-byte magic, little-endian */
    orca_config c;
    TU_OK(orca_journal_read_config(path, &c));
    p[8] = 1;
    uint64_t sum = XXH64(p, HDR_BYTES - 8, 0);
    for (int k = 0; k < 8; k++)
        p[HDR_BYTES - 8 + k] = (uint8_t)(sum >> (8 * k));
    spit(path, p, n);
    /* another version's journal is said to be one (0.6), not damaged */
    assert_int_equal(orca_journal_read_config(path, &c), ORCA_EVERSION);
    tu_fx fb;
    orca_engine *B = tu_fx_new(&fb, NULL);
    orca_journal_info ri;
    memset(&ri, 0, sizeof(ri));
    assert_int_equal(orca_journal_replay(B, path, &jc_never, &ri), ORCA_EVERSION);
    same_file(path, p, n, "replay of a format 1 journal");
    assert_int_equal(tu_counts(B).skills, 0);
    /* a later version's format (3), its header sound: the same */
    p[8] = 3;
    sum = XXH64(p, HDR_BYTES - 8, 0);
    for (int k = 0; k < 8; k++)
        p[HDR_BYTES - 8 + k] = (uint8_t)(sum >> (8 * k));
    spit(path, p, n);
    assert_int_equal(orca_journal_read_config(path, &c), ORCA_EVERSION);
    assert_int_equal(orca_journal_replay(B, path, &jc_never, &ri), ORCA_EVERSION);
    same_file(path, p, n, "replay of a format 3 journal");
    assert_string_equal(orca_strerror(ORCA_EVERSION),
                        "the journal's format is not one this version of orca reads");
    /* ...but a format field that does not check out is damage */
    p[HDR_BYTES - 1] ^= 1;
    spit(path, p, n);
    assert_int_equal(orca_journal_read_config(path, &c), ORCA_ECORRUPT);
    tu_fx_free(&fb);
    free(p);
    unlink(path);
}

/* A flipped byte in the header: ORCA_ECORRUPT from read_config, or from the
 * replay into an engine made with whatever config read_config returned;
 * never accepted. */
static void test_corrupt_header(void **state)
{
    (void)state;
    static traced r;
    traced_run(&r, env_u64("ORCA_JOURNAL_SEED", 0x686472ull), 40);
    char path[600];
    tmp_path(path, sizeof(path), "hdr");
    uint8_t *p = malloc(r.len);
    assert_non_null(p);
    size_t accepted = 0, by_read = 0, by_replay = 0, by_engine = 0;
    char where[2048] = "";
    for (uint64_t off = 0; off < r.header; off++) {
        for (int m = 0; m < 2; m++) {
            memcpy(p, r.file, r.len);
            p[off] ^= m ? 0x80 : 0x01;
            spit(path, p, r.len);
            orca_config c;
            int rc = orca_journal_read_config(path, &c);
            if (rc == ORCA_ECORRUPT) {
                by_read++;
                same_file(path, p, r.len, "read_config of a bad header");
                continue;
            }
            if (rc != ORCA_OK) {
                print_error("flip at header byte %llu: read_config %s\n",
                            (unsigned long long)off, rc_name(rc));
                fail();
            }
            orca_engine *probe = NULL;
            if (orca_engine_new(&c, &probe) != ORCA_OK) {
                /* a config no engine takes: refused, though not as corrupt */
                by_engine++;
                size_t l = strlen(where);
                snprintf(where + l, sizeof(where) - l, " %llu(engine_new)",
                         (unsigned long long)off);
                continue;
            }
            orca_engine_free(probe);
            tu_fx fb;
            tu_fx_new(&fb, &c);
            orca_journal_info ri;
            memset(&ri, 0, sizeof(ri));
            rc = orca_journal_replay(fb.e, path, &jc_never, &ri);
            if (rc == ORCA_ECORRUPT) {
                by_replay++;
                same_file(path, p, r.len, "replay of a bad header");
            } else {
                accepted++;
                size_t l = strlen(where);
                snprintf(where + l, sizeof(where) - l, " %llu(%s)", (unsigned long long)off,
                         rc == ORCA_OK ? "ok" : rc_name(rc));
            }
            tu_fx_free(&fb);
        }
    }
    print_message("  header of %llu bytes, %llu flips: %zu refused by read_config, %zu by "
                  "replay, %zu by orca_engine_new, %zu accepted\n",
                  (unsigned long long)r.header, (unsigned long long)r.header * 2, by_read,
                  by_replay, by_engine, accepted);
    if (accepted || by_engine) {
        print_error("a flipped header byte was not reported as ORCA_ECORRUPT at offsets:%s\n",
                    where);
        fail();
    }
    free(p);
    unlink(path);
    traced_free(&r);
}

/* Short files: nothing, part of the header, the header alone. */
static void test_short_files(void **state)
{
    (void)state;
    static traced r;
    traced_run(&r, 0x73686f7274ull, 5);
    char path[600];
    tmp_path(path, sizeof(path), "misc");
    for (uint64_t n = 0; n < r.header; n++) {
        spit(path, r.file, (size_t)n);
        orca_config c;
        int rc = orca_journal_read_config(path, &c);
        if (rc == ORCA_OK) {
            print_error("a file of %llu bytes (header is %llu): read_config OK\n",
                        (unsigned long long)n, (unsigned long long)r.header);
            fail();
        }
        tu_fx fb;
        tu_fx_new(&fb, NULL);
        orca_journal_info ri;
        rc = orca_journal_replay(fb.e, path, &jc_never, &ri);
        assert_int_not_equal(rc, ORCA_OK);
        assert_int_equal(tu_counts(fb.e).events, 0);
        same_file(path, r.file, (size_t)n, "refused short file");
        tu_fx_free(&fb);
    }
    /* the header alone: an engine with nothing in it, journaling on */
    spit(path, r.file, (size_t)r.header);
    tu_fx fb;
    orca_journal_info ri;
    replay_into(&fb, path, &jc_never, &ri);
    assert_int_equal(ri.records, 0);
    assert_int_equal(ri.torn_bytes, 0);
    assert_int_equal(tu_counts(fb.e).events, 0);
    tu_advance(fb.e, orca_engine_now(fb.e) + 10);
    assert_true(jinfo(fb.e).bytes > r.header);
    tu_fx_free(&fb);
    unlink(path);
    traced_free(&r);
}

/* Damage the checksums cannot see: a record missing from the middle (the
 * rest renumbered and checksummed again, as a lost write or a bug would
 * leave it). A later record then fails when played: ORCA_ECORRUPT at that
 * record and the file untouched; the engine is partly rebuilt ("free it",
 * orca.h) but consistent. */
static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int k = 0; k < n; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

static void test_corrupt_semantic(void **state)
{
    (void)state;
    static traced r;
    traced_run(&r, env_u64("ORCA_JOURNAL_SEED", 0x73656dull), 200);
    /* the first agent_add of the set-up */
    size_t j = 0;
    while (j < r.t.n && !(r.t.v[j].op == OP_AGENT_ADD && single_record(&r.t.v[j])))
        j++;
    assert_true(j < r.t.n);
    uint64_t cut0 = r.t.v[j].bytes0, cut1 = r.t.v[j].bytes1;
    size_t n = r.len - (size_t)(cut1 - cut0);
    uint8_t *p = malloc(r.len);
    memcpy(p, r.file, (size_t)cut0);
    memcpy(p + cut0, r.file + cut1, r.len - (size_t)cut1);
    /* renumber and checksum again (orca.h: [u32 length][u32 ~length][u64
     * sequence][u8 op][payload][u64 XXH64 of sequence..payload]) */
    uint64_t seq = 0;
    for (size_t at = (size_t)r.header; at < n;) {
        uint32_t len = get_u32le(p + at);
        assert_int_equal(get_u32le(p + at + 4), ~len);
        uint8_t *rec = p + at + 8;
        put_le(rec, ++seq, 8);
        put_le(rec + len - 8, XXH64(rec, len - 8, 0), 8);
        at += 8 + (size_t)len;
    }
    char path[600];
    tmp_path(path, sizeof(path), "cor");
    spit(path, p, n);
    orca_config c;
    TU_OK(orca_journal_read_config(path, &c));
    tu_fx fb;
    tu_fx_new(&fb, &c);
    orca_journal_info ri;
    memset(&ri, 0, sizeof(ri));
    int rc = orca_journal_replay(fb.e, path, &jc_never, &ri);
    print_message("  record of call %zu (%s) removed: replay %s, bad_offset %llu\n", j,
                  op_names[r.t.v[j].op], rc_name(rc), (unsigned long long)ri.bad_offset);
    TU_RC(rc, ORCA_ECORRUPT);
    assert_true(ri.bad_offset >= cut0 && ri.bad_offset < n);
    same_file(path, p, n, "replay of a journal with a record missing");
    /* where it stopped: the records before bad_offset were played */
    size_t played = 0;
    for (size_t at = (size_t)r.header; at < ri.bad_offset; at += 8 + get_u32le(p + at))
        played++;
    assert_true(played > j);
    TU_CHECK(fb.e);
    tu_fx_free(&fb); /* no leak from a partly rebuilt engine */
    free(p);
    unlink(path);
    traced_free(&r);
}

/* A record that checks out but was not written by this build (found by
 * fuzz/fuzz_journal.c): an enqueue whose stored answer is 0x80000000.
 * Refused (ORCA_ECORRUPT at it), with no undefined behaviour on the way
 * (make SAN=1 check). */
static void test_crafted_record(void **state)
{
    (void)state;
    char path[600];
    tmp_path(path, sizeof(path), "cor");
    tu_fx fa;
    tu_fx_new(&fa, NULL);
    TU_OK(orca_journal_open(fa.e, path, &jc_never));
    uint64_t hdr = jinfo(fa.e).bytes;
    tu_fx_free(&fa);
    size_t n;
    uint8_t *h = slurp(path, &n);
    assert_int_equal(n, hdr);
    /* [u32 length][u32 ~length][u64 seq][u8 op][payload][u64 XXH64] with
     * op 14 (enqueue): from, the interaction def (id 1, queue 0, nothing
     * else), mode, and the answer the call gave: 0x80000000 */
    uint8_t rec[256];
    size_t k = 8;
    put_le(rec + k, 1, 8), k += 8;           /* seq */
    rec[k++] = 14;                           /* op */
    put_le(rec + k, 0, 8), k += 8;           /* from */
    put_le(rec + k, 1, 8), k += 8;           /* id */
    /* queue, channel, customer, priority, no required, no preferred,
     * conversation, agent, agent_wait, agent_required, not_before, early,
     * bot: all 0 */
    memset(rec + k, 0, 4 + 4 + 8 + 4 + 4 + 4 + 8 + 8 + 4 + 4 + 8 + 4 + 4);
    k += 4 + 4 + 8 + 4 + 4 + 4 + 8 + 8 + 4 + 4 + 8 + 4 + 4;
    put_le(rec + k, 0, 4), k += 4;           /* mode */
    put_le(rec + k, 0x80000000u, 4), k += 4; /* the answer */
    uint32_t len = (uint32_t)(k - 8 + 8);
    put_le(rec, len, 4);
    put_le(rec + 4, ~len, 4);
    put_le(rec + k, XXH64(rec + 8, k - 8, 0), 8), k += 8;
    uint8_t *f = malloc(n + k);
    memcpy(f, h, n);
    memcpy(f + n, rec, k);
    spit(path, f, n + k);
    orca_config c;
    TU_OK(orca_journal_read_config(path, &c));
    tu_fx fb;
    tu_fx_new(&fb, &c);
    orca_journal_info ri;
    memset(&ri, 0, sizeof(ri));
    TU_RC(orca_journal_replay(fb.e, path, &jc_never, &ri), ORCA_ECORRUPT);
    assert_int_equal(ri.bad_offset, hdr);
    same_file(path, f, n + k, "replay of a crafted record");
    tu_fx_free(&fb);
    free(f);
    free(h);
    unlink(path);
}

/* Refused work is part of the story too: an enqueue refused because the
 * queue is full (event REJECTED_FULL) or closed (REJECTED_CLOSED, counted
 * in orca_customer_totals.closed_rejected) changes the engine's event
 * sequence, its totals and the figures, so the replay must show it. */
static void test_refused_work_replayed(void **state)
{
    (void)state;
    char path[600];
    tmp_path(path, sizeof(path), "misc");
    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, NULL);
    TU_OK(orca_journal_open(A, path, &jc_never));
    orca_stats *sa;
    TU_OK(orca_stats_new(A, NULL, &sa));
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "small";
    qd.max_size = 1;
    orca_queue_id small = tu_queue_def(A, &qd);
    orca_queue_id shut = tu_queue(A, "shut", ORCA_STRATEGY_LONGEST_IDLE);
    orca_hours h;
    memset(&h, 0, sizeof(h)); /* no ranges: always closed */
    h.when_closed = ORCA_CLOSED_REJECT;
    TU_OK(orca_queue_set_hours(A, shut, &h));
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 1;
    d.queue = small;
    d.channel = ORCA_CHANNEL_EMAIL;
    d.customer = 77;
    TU_OK(orca_interaction_enqueue(A, &d));
    d.id = 2;
    TU_RC(orca_interaction_enqueue(A, &d), ORCA_EFULL);
    d.id = 3;
    d.queue = shut;
    TU_RC(orca_interaction_enqueue(A, &d), ORCA_ECLOSED);
    assert_int_equal(tu_rec_count(&fa.rec, ORCA_EV_REJECTED_FULL), 1);
    assert_int_equal(tu_rec_count(&fa.rec, ORCA_EV_REJECTED_CLOSED), 1);
    TU_OK(orca_journal_close(A));

    tu_fx fb;
    orca_config c;
    TU_OK(orca_journal_read_config(path, &c));
    orca_engine *B = tu_fx_new(&fb, &c);
    orca_stats *sb;
    TU_OK(orca_stats_new(B, NULL, &sb));
    orca_journal_info ri;
    TU_OK(orca_journal_replay(B, path, &jc_never, &ri));
    char *qa = tu_rec_seq(&fa.rec, 0, 0), *qb = tu_rec_seq(&fb.rec, 0, 0);
    print_message("  A: %zu events (%s)\n  B: %zu events (%s)\n", fa.rec.n, qa, fb.rec.n, qb);
    free(qa);
    free(qb);
    orca_customer_totals ta, tb;
    TU_OK(orca_customer_totals_get(A, &ta));
    TU_OK(orca_customer_totals_get(B, &tb));
    assert_int_equal(tb.closed_rejected, ta.closed_rejected);
    assert_int_equal(tu_counts(B).events, tu_counts(A).events);
    same_events(&fa.rec, &fb.rec);
    same_figures(sa, sb);
    TU_OK(orca_stats_free(sa));
    TU_OK(orca_stats_free(sb));
    tu_fx_free(&fa);
    tu_fx_free(&fb);
    unlink(path);
}

/* The smallest case of a damaged length: three records, the second one's
 * length has its top byte flipped. Whole good records follow it, so it is
 * not a torn tail: ORCA_ECORRUPT at that record, and the file untouched. */
static void test_corrupt_length_not_torn(void **state)
{
    (void)state;
    char path[600];
    tmp_path(path, sizeof(path), "misc");
    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, NULL);
    TU_OK(orca_journal_open(A, path, &jc_never));
    uint64_t at[4];
    at[0] = jinfo(A).bytes;
    tu_skill(A, "first");
    at[1] = jinfo(A).bytes;
    tu_skill(A, "second");
    at[2] = jinfo(A).bytes;
    tu_skill(A, "third");
    at[3] = jinfo(A).bytes;
    TU_OK(orca_journal_close(A));
    tu_fx_free(&fa);
    size_t n;
    uint8_t *p = slurp(path, &n);
    for (int byte = 0; byte < 4; byte++) {
        uint8_t *q = malloc(n);
        memcpy(q, p, n);
        q[at[1] + (uint64_t)byte] ^= 0x80;
        spit(path, q, n);
        orca_config c;
        TU_OK(orca_journal_read_config(path, &c));
        tu_fx fb;
        tu_fx_new(&fb, &c);
        orca_journal_info ri;
        memset(&ri, 0, sizeof(ri));
        int rc = orca_journal_replay(fb.e, path, &jc_never, &ri);
        if (rc != ORCA_ECORRUPT || ri.bad_offset != at[1]) {
            print_error("length byte %d of record 2 (at %llu) flipped: replay %s, bad_offset "
                        "%llu, records %llu, torn_bytes %llu; file now %llu bytes (was %zu)\n",
                        byte, (unsigned long long)at[1], rc_name(rc),
                        (unsigned long long)ri.bad_offset, (unsigned long long)ri.records,
                        (unsigned long long)ri.torn_bytes, (unsigned long long)file_size(path),
                        n);
            free(q);
            tu_fx_free(&fb);
            fail();
        }
        same_file(path, q, n, "replay of a damaged length");
        free(q);
        tu_fx_free(&fb);
    }
    free(p);
    unlink(path);
}

/* ------------------------------------------------------------------------ */
/* Bad inputs                                                               */
/* ------------------------------------------------------------------------ */

/* The call fails (with want, or any error if want is 0), the engine is as
 * it was, and the file is as it was. */
#define FAILS_FILE(e, expr, want, path, bytes, len) do {                       \
        tu_snap s_;                                                            \
        tu_snap_take_(&s_, (e), __FILE__, __LINE__);                           \
        int r_ = (expr);                                                       \
        if ((want) != 0)                                                       \
            TU_RC(r_, (want));                                                 \
        else if (r_ == ORCA_OK) {                                              \
            print_error("%s returned ORCA_OK\n", #expr);                       \
            fail();                                                            \
        }                                                                      \
        tu_snap_same_(&s_, (e), #expr, __FILE__, __LINE__);                    \
        same_file((path), (bytes), (len), #expr);                              \
    } while (0)

static void test_bad_open(void **state)
{
    (void)state;
    char path[600], other[600];
    tmp_path(path, sizeof(path), "bad");
    tmp_path(other, sizeof(other), "badx");
    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, NULL);
    orca_journal_config bad_sync = { .sync = (orca_sync)7, .interval_ms = 0 };
    TU_FAILS(A, orca_journal_open(NULL, path, &jc_never), ORCA_EINVAL);
    TU_FAILS(A, orca_journal_open(A, NULL, &jc_never), ORCA_EINVAL);
    TU_FAILS(A, orca_journal_open(A, "", &jc_never), ORCA_EINVAL);
    TU_FAILS(A, orca_journal_open(A, path, &bad_sync), ORCA_EINVAL);
    assert_false(exists(path));
    /* path exists: ORCA_EEXIST, the file untouched */
    const uint8_t junk[] = "not a journal";
    spit(path, junk, sizeof(junk));
    FAILS_FILE(A, orca_journal_open(A, path, &jc_never), ORCA_EEXIST, path, junk, sizeof(junk));
    unlink(path);
    /* the directory does not exist */
    char nodir[700];
    snprintf(nodir, sizeof(nodir), "%s/no/such/dir.jrnl", g_dir);
    TU_FAILS2(A, orca_journal_open(A, nodir, &jc_never), ORCA_EIO, ORCA_ENOENT);
    /* no journal yet */
    orca_journal_info ji;
    TU_FAILS(A, orca_journal_info_get(NULL, &ji), ORCA_EINVAL);
    TU_FAILS(A, orca_journal_close(NULL), ORCA_EINVAL);
    assert_int_not_equal(orca_journal_close(A), ORCA_OK);
    /* open; then a second open is refused and creates nothing */
    TU_OK(orca_journal_open(A, path, &jc_never));
    TU_FAILS(A, orca_journal_info_get(A, NULL), ORCA_EINVAL);
    size_t n;
    uint8_t *hdr = slurp(path, &n);
    FAILS_FILE(A, orca_journal_open(A, other, &jc_never), ORCA_ESTATE, path, hdr, n);
    assert_false(exists(other));
    free(hdr);
    /* the journal works and closes */
    tu_skill(A, "en");
    TU_OK(orca_journal_close(A));
    assert_int_not_equal(orca_journal_close(A), ORCA_OK);
    tu_fx_free(&fa);

    /* an engine that is not new */
    tu_fx fb;
    orca_engine *B = tu_fx_new(&fb, NULL);
    tu_skill(B, "en");
    TU_FAILS(B, orca_journal_open(B, other, &jc_never), ORCA_ESTATE);
    assert_false(exists(other));
    tu_fx_free(&fb);
    tu_fx_new(&fb, NULL);
    tu_advance(fb.e, 5);
    TU_FAILS(fb.e, orca_journal_open(fb.e, other, &jc_never), ORCA_ESTATE);
    assert_false(exists(other));
    tu_fx_free(&fb);
    unlink(path);
}

static void test_bad_replay(void **state)
{
    (void)state;
    char path[600], other[600];
    tmp_path(path, sizeof(path), "bad");
    tmp_path(other, sizeof(other), "badx");
    orca_config cfg;
    orca_config_init(&cfg);
    cfg.seed = 42;
    cfg.start_ms = 1000;
    cfg.offer_timeout_ms = 7000;
    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, &cfg);
    TU_OK(orca_journal_open(A, path, &jc_never));
    orca_queue_id q = tu_queue(A, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(A, 1, 100, NULL, 0);
    tu_member(A, q, 1, 0);
    tu_ready(A, 1);
    tu_enqueue(A, 5, q, ORCA_CHANNEL_CHAT, 0);
    TU_OK(orca_offer_accept(A, 5));
    TU_OK(orca_journal_close(A));
    size_t n;
    uint8_t *file = slurp(path, &n);

    orca_config c;
    TU_RC(orca_journal_read_config(NULL, &c), ORCA_EINVAL);
    TU_RC(orca_journal_read_config(path, NULL), ORCA_EINVAL);
    int rc = orca_journal_read_config(other, &c);
    if (rc != ORCA_ENOENT && rc != ORCA_EIO) {
        print_error("read_config of a missing file: %s\n", rc_name(rc));
        fail();
    }
    TU_OK(orca_journal_read_config(path, &c));

    tu_fx fb;
    orca_engine *B = tu_fx_new(&fb, &c);
    orca_journal_info ri;
    TU_FAILS(B, orca_journal_replay(NULL, path, &jc_never, &ri), ORCA_EINVAL);
    TU_FAILS(B, orca_journal_replay(B, NULL, &jc_never, &ri), ORCA_EINVAL);
    TU_FAILS2(B, orca_journal_replay(B, other, &jc_never, &ri), ORCA_ENOENT, ORCA_EIO);
    assert_false(exists(other));
    orca_journal_config bad_sync = { .sync = (orca_sync)9, .interval_ms = 0 };
    FAILS_FILE(B, orca_journal_replay(B, path, &bad_sync, &ri), ORCA_EINVAL, path, file, n);

    /* an engine with a journal of its own */
    TU_OK(orca_journal_open(B, other, &jc_never));
    FAILS_FILE(B, orca_journal_replay(B, path, &jc_never, &ri), ORCA_ESTATE, path, file, n);
    TU_OK(orca_journal_close(B));
    tu_fx_free(&fb);
    unlink(other);

    /* an engine that is not new */
    B = tu_fx_new(&fb, &c);
    tu_skill(B, "x");
    FAILS_FILE(B, orca_journal_replay(B, path, &jc_never, &ri), ORCA_ESTATE, path, file, n);
    tu_fx_free(&fb);

    /* a replay is done once */
    B = tu_fx_new(&fb, &c);
    TU_OK(orca_journal_replay(B, path, &jc_never, &ri));
    TU_OK(orca_journal_close(B));
    size_t n2;
    uint8_t *file2 = slurp(path, &n2);
    FAILS_FILE(B, orca_journal_replay(B, path, &jc_never, &ri), ORCA_ESTATE, path, file2, n2);
    free(file2);
    tu_fx_free(&fb);
    spit(path, file, n);

    /* config mismatch: each field in turn */
    for (int f = 0; f < 12; f++) {
        orca_config m = c;
        switch (f) {
        case 0: m.seed ^= 1; break;
        case 1: m.start_ms += 1; break;
        case 2: m.offer_timeout_ms += 1; break;
        case 3: m.reoffer_delay_ms = 12345; break;
        case 4: m.no_answer_limit = 5; break;
        case 5: m.history_per_customer = 2; break;
        case 6: m.max_customers = 17; break;
        case 7: m.customer_ttl_ms = 99999; break;
        case 8: m.max_agents = 10; break;
        case 9: m.max_interactions = 10; break;
        case 10: m.max_queues = 10; break;
        case 11: m.max_skills = 10; break;
        }
        B = tu_fx_new(&fb, &m);
        FAILS_FILE(B, orca_journal_replay(B, path, &jc_never, &ri), 0, path, file, n);
        tu_fx_free(&fb);
    }
    free(file);
    tu_fx_free(&fa);
    unlink(path);
}

/* A listener that tries a mutating call (refused: ORCA_EBUSY). */
static int g_busy_rc = 1;
static void busy_listener(void *data, const orca_event *ev)
{
    (void)ev;
    orca_skill_id s;
    g_busy_rc = orca_skill_intern(data, "from-a-listener", &s);
}

/* Reads write nothing; a failed call writes nothing (also checked in every
 * workload step); a call from a listener is refused and writes nothing. */
static void test_reads_write_nothing(void **state)
{
    (void)state;
    char path[600];
    tmp_path(path, sizeof(path), "misc");
    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, NULL);
    TU_OK(orca_journal_open(A, path, &jc_never));
    orca_queue_id q = tu_queue(A, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(A, 1, 100, NULL, 0);
    tu_member(A, q, 1, 0);
    tu_enqueue(A, 5, q, ORCA_CHANNEL_CHAT, 0);
    orca_journal_info j0 = jinfo(A);
    orca_counts c;
    TU_OK(orca_engine_counts(A, &c));
    char *d = tu_dump(A);
    free(d);
    TU_CHECK(A);
    orca_interaction_info ii;
    TU_OK(orca_interaction_info_get(A, 5, &ii));
    orca_agent_info ai;
    TU_OK(orca_agent_info_get(A, 1, &ai));
    orca_skill_id s;
    TU_RC(orca_skill_find(A, "nope", &s), ORCA_ENOENT);
    uint64_t dl;
    (void)orca_engine_next_deadline(A, &dl);
    int open;
    uint64_t next;
    TU_OK(orca_queue_is_open(A, q, &open, &next));
    orca_customer_totals ct;
    TU_OK(orca_customer_totals_get(A, &ct));
    /* failed calls */
    TU_RC(orca_offer_accept(A, 5), ORCA_ESTATE);
    TU_RC(orca_interaction_enqueue(A, NULL), ORCA_EINVAL);
    TU_RC(orca_engine_advance(A, orca_engine_now(A) + ORCA_TIME_MAX), ORCA_ERANGE);
    TU_RC(orca_agent_remove(A, 99), ORCA_ENOENT);
    orca_journal_info j1 = jinfo(A);
    assert_int_equal(j1.records, j0.records);
    assert_int_equal(j1.bytes, j0.bytes);
    assert_int_equal(file_size(path), j0.bytes);
    /* a listener's mutating call: refused, not journaled */
    int h;
    TU_OK(orca_listener_add(A, busy_listener, A, &h));
    tu_skill(A, "en");
    TU_OK(orca_listener_remove(A, h));
    assert_int_equal(g_busy_rc, ORCA_EBUSY);
    orca_journal_info j2 = jinfo(A);
    assert_int_equal(j2.records, j1.records + 1);
    TU_OK(orca_journal_close(A));
    tu_fx fb;
    orca_journal_info ri;
    replay_into(&fb, path, &jc_never, &ri);
    same_engine(A, fb.e, "dump after reads and refused calls");
    orca_skill_id x;
    TU_RC(orca_skill_find(fb.e, "from-a-listener", &x), ORCA_ENOENT);
    tu_fx_free(&fa);
    tu_fx_free(&fb);
    unlink(path);
}

static void tu_print_first_diff(const char *a, const char *b, uint64_t at);

/* The other way round: the journaling engine absorbs an allocation failure
 * (an offer timeout whose re-offer delay cannot be recorded is offered
 * again at once, orca.h on orca_engine_advance); the journal has only the
 * clock step, so a replay, with memory, would record the delay and route
 * otherwise. Either the journal still replays to the same engine, or the
 * journal stops there and the call says so (ORCA_EIO, info.failed,
 * os_error ENOMEM) and the file replays to the last good record. */
static void test_absorbed_alloc_failure_journaled(void **state)
{
    (void)state;
    char path[600];
    tmp_path(path, sizeof(path), "nomem");
    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, NULL);
    TU_OK(orca_journal_open(A, path, &jc_never));
    orca_queue_id q = tu_queue(A, "q", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(A, 1, 100, NULL, 0);
    tu_member(A, q, 1, 0);
    tu_ready(A, 1);
    tu_enqueue(A, 10, q, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(A, 10, 1);
    orca_journal_info j0 = jinfo(A);
    /* every allocation fails while the offer times out */
    fa.alloc.fail_at = fa.alloc.attempts + 1;
    fa.alloc.fail_after = 1;
    int rc = orca_engine_advance(A, 25000);
    fa.alloc.fail_at = 0;
    fa.alloc.fail_after = 0;
    assert_true(fa.alloc.failed > 0);
    TU_CHECK(A);
    orca_journal_info j1 = jinfo(A);
    if (rc == ORCA_EIO) {
        /* the journal stopped at its last good record, and said so */
        assert_int_equal(j1.failed, 1);
        assert_int_equal(j1.os_error, ENOMEM);
        assert_int_equal(j1.records, j0.records);
        assert_int_equal(file_size(path), j0.bytes);
        tu_fx fb;
        orca_journal_info ri;
        replay_copy(&fb, path, &jc_never, &ri);
        assert_int_equal(ri.records, j0.records);
        assert_int_equal(ri.torn_bytes, 0);
        tu_fx_free(&fb);
        /* compacting starts it again from the engine as it is */
        TU_OK(orca_journal_compact(A));
        assert_int_equal(jinfo(A).failed, 0);
        TU_OK(orca_offer_accept(A, 10));
        tu_advance(A, 30000);
        replay_copy(&fb, path, &jc_never, &ri);
        same_engine(A, fb.e, "replay of the journal restarted by compaction");
        tu_fx_free(&fb);
    } else {
        TU_RC(rc, ORCA_OK);
        if (j1.failed) {
            print_error("orca_engine_advance returned ORCA_OK, but the journal stopped "
                        "(info.failed, os_error %d): the host is not told (orca.h: the call "
                        "that made the change returns ORCA_EIO)\n", j1.os_error);
            fail();
        }
        /* the delay could not be recorded: offered again to 1 at once */
        TU_OFFERED_TO(A, 10, 1);
        TU_OK(orca_offer_accept(A, 10));
        TU_OK(orca_journal_close(A));
        orca_config c;
        TU_OK(orca_journal_read_config(path, &c));
        tu_fx fb;
        tu_fx_new(&fb, &c);
        orca_journal_info ri;
        memset(&ri, 0, sizeof(ri));
        rc = orca_journal_replay(fb.e, path, &jc_never, &ri);
        if (rc != ORCA_OK) {
            print_error("the journal of an engine that absorbed an allocation failure does "
                        "not replay: %s at offset %llu (file %llu bytes)\n", rc_name(rc),
                        (unsigned long long)ri.bad_offset,
                        (unsigned long long)file_size(path));
            fail();
        }
        same_engine(A, fb.e, "dump of the replayed engine");
        tu_fx_free(&fb);
    }
    tu_fx_free(&fa);
    unlink(path);
}

static void tu_print_first_diff(const char *a, const char *b, uint64_t at)
{
    size_t i = 0, ln = 1;
    while (a[i] && a[i] == b[i])
        if (a[i++] == '\n')
            ln++;
    size_t s0 = i, s1 = i;
    while (s0 > 0 && a[s0 - 1] != '\n')
        s0--;
    while (s1 > 0 && b[s1 - 1] != '\n')
        s1--;
    print_message("  (allocation %llu) first difference at dump line %zu:\n    journaled: "
                  "%.*s\n    replayed:  %.*s\n", (unsigned long long)at, ln,
                  (int)strcspn(a + s0, "\n"), a + s0, (int)strcspn(b + s1, "\n"), b + s1);
}

/* ------------------------------------------------------------------------ */
/* Allocation failure                                                       */
/* ------------------------------------------------------------------------ */

static void test_alloc_failure(void **state)
{
    (void)state;
    char path[600];
    /* open: ENOMEM changes nothing, leaves no file behind, and works later */
    for (uint64_t at = 1;; at++) {
        tmp_path(path, sizeof(path), "nomem");
        tu_fx fa;
        tu_fx_new(&fa, NULL);
        fa.alloc.fail_at = fa.alloc.attempts + at;
        tu_snap s;
        tu_snap_take_(&s, fa.e, __FILE__, __LINE__);
        int rc = orca_journal_open(fa.e, path, &jc_never);
        fa.alloc.fail_at = 0;
        if (rc == ORCA_OK) {
            tu_snap_free(&s);
            tu_fx_free(&fa);
            unlink(path);
            break;
        }
        TU_RC(rc, ORCA_ENOMEM);
        tu_snap_same_(&s, fa.e, "orca_journal_open (ENOMEM)", __FILE__, __LINE__);
        if (exists(path)) {
            print_error("orca_journal_open failed with ORCA_ENOMEM (allocation %llu) and left "
                        "%s behind: opening it again is ORCA_EEXIST\n",
                        (unsigned long long)at, path);
            fail();
        }
        TU_OK(orca_journal_open(fa.e, path, &jc_never));
        tu_fx_free(&fa);
        unlink(path);
        assert_true(at < 100);
    }

    /* replay: each allocation in turn fails */
    static traced r;
    traced_run(&r, 0x6e6f6d656dull, g_slow ? 20 : 60);
    size_t fails = 0, survived = 0, survived_other = 0;
    for (uint64_t at = 1;; at++) {
        char p2[600];
        tmp_path(p2, sizeof(p2), "nomem");
        spit(p2, r.file, r.len);
        orca_config c;
        TU_OK(orca_journal_read_config(p2, &c));
        tu_fx fb;
        tu_fx_new(&fb, &c);
        fb.alloc.fail_at = fb.alloc.attempts + at;
        tu_snap s;
        tu_snap_take_(&s, fb.e, __FILE__, __LINE__);
        orca_journal_info ri;
        int rc = orca_journal_replay(fb.e, p2, &jc_never, &ri);
        int hit = fb.alloc.failed > 0;
        fb.alloc.fail_at = 0;
        if (rc == ORCA_OK) {
            TU_CHECK(fb.e);
            char *d = tu_dump(fb.e);
            if (!hit) {
                tu_same_text_(r.final_dump, d, "dump after the replay", __FILE__, __LINE__);
            } else {
                /* the replay went through an allocation failure it could
                 * absorb (a re-offer delay skipped, see orca.h): counted */
                survived++;
                if (strcmp(r.final_dump, d) != 0) {
                    print_error("  allocation %llu failed inside the replay, which returned "
                                "ORCA_OK:\n", (unsigned long long)at);
                    survived_other++;
                    if (survived_other == 1)
                        tu_print_first_diff(r.final_dump, d, at);
                }
            }
            free(d);
            tu_snap_free(&s);
            tu_fx_free(&fb);
            unlink(p2);
            if (!hit)
                break;
            continue;
        }
        fails++;
        /* ORCA_ENOMEM (not a verdict on the file); the engine may be half
         * replayed ("free e and start again", orca.h) but consistent */
        TU_RC(rc, ORCA_ENOMEM);
        TU_CHECK(fb.e);
        tu_snap_free(&s);
        same_file(p2, r.file, r.len, "replay failed with ENOMEM");
        tu_fx_free(&fb);
        unlink(p2);
        assert_true(at < 200000);
    }
    /* "playing the calls again into a new engine rebuilds exactly the same
     * state" (orca.h): a replay that says ORCA_OK must have done so */
    if (survived_other) {
        print_error("%zu replays went through an allocation failure and returned ORCA_OK "
                    "with a state other than the journaled one\n", survived_other);
        fail();
    }
    print_message("  replay: %zu allocation failures gave ORCA_ENOMEM, %zu were absorbed\n",
                  fails, survived);

    traced_free(&r);
}

/* ------------------------------------------------------------------------ */
/* I/O failure: a file size limit in a forked child                         */
/* ------------------------------------------------------------------------ */

#define CHILD_CHECK(cond, ...) do {                                           \
        if (!(cond)) {                                                        \
            fprintf(stderr, "child: %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                     \
            fprintf(stderr, "\n");                                            \
            _exit(10);                                                        \
        }                                                                     \
    } while (0)

/* In the child: journal under a file size limit of limit bytes; returns
 * through the exit code. */
/* Copy a file without cmocka (for the forked child): false on failure. */
static int copy_plain(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char buf[4096];
    size_t n;
    int ok = in && out;
    while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        ok = 0;
    return ok;
}

static void io_child(const char *path, uint64_t limit, orca_sync sync)
{
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl; /* the soft limit only: raised again below ("room again") */
    CHILD_CHECK(getrlimit(RLIMIT_FSIZE, &rl) == 0, "getrlimit: %s", strerror(errno));
    struct rlimit hard = rl;
    rl.rlim_cur = (rlim_t)limit;
    CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0, "setrlimit: %s", strerror(errno));
    orca_engine *e;
    CHILD_CHECK(orca_engine_new(NULL, &e) == ORCA_OK, "engine_new");
    orca_journal_config jc = { .sync = sync, .interval_ms = 0 };
    int rc = orca_journal_open(e, path, &jc);
    if (rc == ORCA_EIO) {
        /* the header does not fit: refused, the engine is still new */
        CHILD_CHECK(orca_engine_check(e) == ORCA_OK, "check");
        orca_skill_id s;
        CHILD_CHECK(orca_skill_intern(e, "x", &s) == ORCA_OK, "intern after a failed open");
        orca_engine_free(e);
        _exit(20);
    }
    CHILD_CHECK(rc == ORCA_OK, "open: %d", rc);
    orca_queue_id q;
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "q";
    rc = orca_queue_add(e, &qd, &q);
    CHILD_CHECK(rc == ORCA_OK, "queue_add: %d (limit %llu)", rc, (unsigned long long)limit);
    int failed_at = -1;
    uint64_t good_bytes = 0;
    for (int k = 1; k <= 2000; k++) {
        orca_journal_info j0;
        CHILD_CHECK(orca_journal_info_get(e, &j0) == ORCA_OK, "info");
        orca_interaction_def d;
        orca_interaction_def_init(&d);
        d.id = (uint64_t)k;
        d.queue = q;
        d.channel = ORCA_CHANNEL_EMAIL;
        d.customer = (uint64_t)(k % 7 + 1);
        rc = orca_interaction_enqueue(e, &d);
        if (rc == ORCA_EIO) {
            failed_at = k;
            good_bytes = j0.bytes;
            break;
        }
        CHILD_CHECK(rc == ORCA_OK, "enqueue %d: %d", k, rc);
    }
    CHILD_CHECK(failed_at > 0, "no ORCA_EIO within 2000 enqueues (limit %llu)",
                (unsigned long long)limit);
    /* the engine has the change and is consistent */
    CHILD_CHECK(orca_engine_check(e) == ORCA_OK, "check after EIO");
    orca_interaction_info in;
    CHILD_CHECK(orca_interaction_info_get(e, (uint64_t)failed_at, &in) == ORCA_OK,
                "the enqueue that got EIO is in the engine");
    orca_journal_info ji;
    CHILD_CHECK(orca_journal_info_get(e, &ji) == ORCA_OK, "info after EIO");
    CHILD_CHECK(ji.failed == 1, "info.failed %d", ji.failed);
    CHILD_CHECK(ji.os_error == EFBIG, "os_error %d (%s), expected EFBIG", ji.os_error,
                strerror(ji.os_error));
    CHILD_CHECK(ji.bytes == good_bytes, "info.bytes %llu, last good record ends at %llu",
                (unsigned long long)ji.bytes, (unsigned long long)good_bytes);
    struct stat st;
    CHILD_CHECK(stat(path, &st) == 0 && (uint64_t)st.st_size == good_bytes,
                "file is %lld bytes, last good record ends at %llu", (long long)st.st_size,
                (unsigned long long)good_bytes);
    /* later calls say nothing more about it */
    orca_interaction_def d;
    orca_interaction_def_init(&d);
    d.id = 99999;
    d.queue = q;
    d.channel = ORCA_CHANNEL_EMAIL;
    CHILD_CHECK(orca_interaction_enqueue(e, &d) == ORCA_OK, "enqueue after EIO");
    CHILD_CHECK(orca_engine_advance(e, 1000) == ORCA_OK, "advance after EIO");
    CHILD_CHECK(orca_interaction_cancel(e, 1) == ORCA_OK, "cancel after EIO");
    CHILD_CHECK(orca_engine_check(e) == ORCA_OK, "check later");
    orca_journal_info j2;
    CHILD_CHECK(orca_journal_info_get(e, &j2) == ORCA_OK, "info later");
    CHILD_CHECK(j2.failed == 1 && j2.bytes == good_bytes && j2.records == ji.records,
                "the failed journal moved: records %llu -> %llu",
                (unsigned long long)ji.records, (unsigned long long)j2.records);
    CHILD_CHECK(stat(path, &st) == 0 && (uint64_t)st.st_size == good_bytes, "file grew");
    /* the file replays to the state before the failed call */
    CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &hard) == 0, "setrlimit back: %s", strerror(errno));
    orca_config c;
    CHILD_CHECK(orca_journal_read_config(path, &c) == ORCA_OK, "read_config");
    orca_engine *b;
    CHILD_CHECK(orca_engine_new(&c, &b) == ORCA_OK, "engine_new");
    orca_journal_info ri;
    /* the stopped journal is still this engine's (locked): a copy replays */
    rc = orca_journal_replay(b, path, &jc, &ri);
    CHILD_CHECK(rc == ORCA_ELOCKED, "replay of the locked journal: %d", rc);
    char copy[700];
    snprintf(copy, sizeof(copy), "%s.copy", path);
    CHILD_CHECK(copy_plain(path, copy), "copy: %s", strerror(errno));
    rc = orca_journal_replay(b, copy, &jc, &ri);
    unlink(copy);
    CHILD_CHECK(rc == ORCA_OK, "replay: %d", rc);
    CHILD_CHECK(ri.torn_bytes == 0, "torn %llu", (unsigned long long)ri.torn_bytes);
    CHILD_CHECK(ri.records == ji.records, "records %llu vs %llu",
                (unsigned long long)ri.records, (unsigned long long)ji.records);
    orca_counts cb;
    CHILD_CHECK(orca_engine_counts(b, &cb) == ORCA_OK, "counts");
    CHILD_CHECK(cb.interactions == (uint32_t)failed_at - 1, "replayed %u interactions, %d "
                "enqueues were journaled", cb.interactions, failed_at - 1);
    CHILD_CHECK(orca_interaction_info_get(b, (uint64_t)failed_at, &in) == ORCA_ENOENT,
                "the enqueue that got EIO is not in the journal");
    orca_engine_free(b);
    /* room again: compacting starts the stopped journal again from a
     * snapshot of the engine as it is, and a replay gives that engine */
    rc = orca_journal_compact(e);
    orca_journal_info_get(e, &j2);
    CHILD_CHECK(rc == ORCA_OK, "compact to restart: %d (%s)", rc, strerror(j2.compact_error));
    CHILD_CHECK(orca_journal_info_get(e, &j2) == ORCA_OK && !j2.failed && j2.compactions == 1,
                "restarted journal: failed %d", j2.failed);
    d.id = 100000;
    CHILD_CHECK(orca_interaction_enqueue(e, &d) == ORCA_OK, "enqueue after the restart");
    CHILD_CHECK(orca_engine_advance(e, 2000) == ORCA_OK, "advance after the restart");
    CHILD_CHECK(orca_journal_close(e) == ORCA_OK, "close");
    CHILD_CHECK(orca_engine_new(&c, &b) == ORCA_OK, "engine_new");
    rc = orca_journal_replay(b, path, &jc, &ri);
    CHILD_CHECK(rc == ORCA_OK, "replay after the restart: %d", rc);
    orca_counts ce;
    CHILD_CHECK(orca_engine_counts(b, &cb) == ORCA_OK && orca_engine_counts(e, &ce) == ORCA_OK &&
                    cb.interactions == ce.interactions && cb.waiting == ce.waiting,
                "restarted journal replays %u interactions, the engine has %u",
                cb.interactions, ce.interactions);
    CHILD_CHECK(orca_interaction_info_get(b, 99999, &in) == ORCA_OK &&
                    orca_interaction_info_get(b, 100000, &in) == ORCA_OK,
                "the work from after the failure is in the restarted journal");
    orca_engine_free(b);
    orca_engine_free(e);
    _exit(failed_at > 0 ? 0 : 11);
}

static int run_io_child(const char *path, uint64_t limit, orca_sync sync)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        io_child(path, limit, sync);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (WIFSIGNALED(st)) {
        print_error("I/O child (limit %llu) killed by signal %d\n", (unsigned long long)limit,
                    WTERMSIG(st));
        fail();
    }
    return WEXITSTATUS(st);
}

static void test_io_failure(void **state)
{
    (void)state;
    char path[600];
    /* how long is the header? */
    tmp_path(path, sizeof(path), "io");
    tu_fx fa;
    tu_fx_new(&fa, NULL);
    TU_OK(orca_journal_open(fa.e, path, &jc_never));
    uint64_t header = jinfo(fa.e).bytes;
    tu_fx_free(&fa);
    unlink(path);
    const orca_sync syncs[] = { ORCA_SYNC_NEVER, ORCA_SYNC_EVERY, ORCA_SYNC_INTERVAL };
    int runs = 0;
    for (uint64_t extra = 200; extra <= 3000; extra += 397) {
        tmp_path(path, sizeof(path), "io");
        int ex = run_io_child(path, header + extra, syncs[runs % 3]);
        if (ex != 0) {
            print_error("I/O child with a limit of header + %llu bytes: exit %d\n",
                        (unsigned long long)extra, ex);
            fail();
        }
        runs++;
        unlink(path);
    }
    /* a limit inside the header: open itself fails with ORCA_EIO */
    tmp_path(path, sizeof(path), "io");
    int ex = run_io_child(path, header / 2, ORCA_SYNC_EVERY);
    if (ex != 20) {
        print_error("journal_open with room for half the header: exit %d (20 expected: "
                    "ORCA_EIO and the engine still new)\n", ex);
        fail();
    }
    unlink(path);
}

/* ------------------------------------------------------------------------ */
/* Records/s at each sync policy                                            */
/* ------------------------------------------------------------------------ */

static void bench_policy(orca_sync sync, uint32_t interval_ms, double budget_s,
                         const char *name)
{
    char path[600];
    tmp_path(path, sizeof(path), "bench");
    orca_engine *e;
    TU_OK(orca_engine_new(NULL, &e));
    orca_journal_config jc = { .sync = sync, .interval_ms = interval_ms };
    TU_OK(orca_journal_open(e, path, &jc));
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "q";
    orca_queue_id q;
    TU_OK(orca_queue_add(e, &qd, &q));
    for (uint64_t a = 1; a <= 20; a++) {
        orca_agent_def d;
        tu_agent_def(&d, a, 100, NULL, 0);
        TU_OK(orca_agent_add(e, &d));
        TU_OK(orca_queue_member_add(e, q, a, 0));
        TU_OK(orca_agent_set_presence(e, a, ORCA_PRESENCE_READY, 0));
    }
    uint64_t id = 1, now = 0;
    double t0 = now_s(), t1;
    orca_journal_info j0 = jinfo(e);
    do {
        for (int k = 0; k < 50; k++) {
            /* enqueue (offered at once), accept, end: three records, and a
             * clock step every call */
            orca_interaction_def d;
            orca_interaction_def_init(&d);
            d.id = id;
            d.queue = q;
            d.channel = ORCA_CHANNEL_CHAT;
            TU_OK(orca_interaction_enqueue(e, &d));
            TU_OK(orca_offer_accept(e, id));
            now += 10;
            TU_OK(orca_engine_advance(e, now));
            TU_OK(orca_interaction_end(e, id));
            id++;
        }
        t1 = now_s();
    } while (t1 - t0 < budget_s);
    orca_journal_info j1 = jinfo(e);
    double recs = (double)(j1.records - j0.records);
    print_message("  %-26s %9.0f records/s (%llu records, %.0f bytes/record, %.2f s)\n", name,
                  recs / (t1 - t0), (unsigned long long)(j1.records - j0.records),
                  (double)(j1.bytes - j0.bytes) / recs, t1 - t0);
    orca_engine_free(e);
    unlink(path);
}

static void test_records_per_second(void **state)
{
    (void)state;
    double budget = (double)env_u64("ORCA_JOURNAL_BENCH_MS", g_slow ? 200 : 700) / 1000.0;
    char probe[600];
    tmp_path(probe, sizeof(probe), "bench");
    print_message("  records/s in %s (figures only, nothing asserted)\n", g_dir);
    bench_policy(ORCA_SYNC_NEVER, 0, budget, "ORCA_SYNC_NEVER");
    bench_policy(ORCA_SYNC_INTERVAL, 1000, budget, "ORCA_SYNC_INTERVAL 1000 ms");
    bench_policy(ORCA_SYNC_EVERY, 0, budget, "ORCA_SYNC_EVERY");
    /* for comparison: no journal */
    orca_engine *e;
    TU_OK(orca_engine_new(NULL, &e));
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "q";
    orca_queue_id q;
    TU_OK(orca_queue_add(e, &qd, &q));
    for (uint64_t a = 1; a <= 20; a++) {
        orca_agent_def d;
        tu_agent_def(&d, a, 100, NULL, 0);
        TU_OK(orca_agent_add(e, &d));
        TU_OK(orca_queue_member_add(e, q, a, 0));
        TU_OK(orca_agent_set_presence(e, a, ORCA_PRESENCE_READY, 0));
    }
    uint64_t id = 1, now = 0, calls = 0;
    double t0 = now_s(), t1;
    do {
        for (int k = 0; k < 500; k++, id++) {
            orca_interaction_def d;
            orca_interaction_def_init(&d);
            d.id = id;
            d.queue = q;
            d.channel = ORCA_CHANNEL_CHAT;
            TU_OK(orca_interaction_enqueue(e, &d));
            TU_OK(orca_offer_accept(e, id));
            now += 10;
            TU_OK(orca_engine_advance(e, now));
            TU_OK(orca_interaction_end(e, id));
            calls += 4;
        }
        t1 = now_s();
    } while (t1 - t0 < budget);
    print_message("  %-26s %9.0f calls/s\n", "(no journal)", (double)calls / (t1 - t0));
    orca_engine_free(e);
}

/* ------------------------------------------------------------------------ */

static int teardown_all(void **state)
{
    (void)state;
    rm_dir();
    return 0;
}

int main(void)
{
    tu_filter_from_env();
    g_no_refused = env_u64("ORCA_JOURNAL_NO_REFUSED", 0) != 0;
    const char *pre = getenv("LD_PRELOAD");
    g_slow = env_u64("ORCA_JOURNAL_SLOW", pre && strstr(pre, "valgrind") ? 1 : 0) != 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_io_failure), /* first: its forked child inherits the heap */
        cmocka_unit_test(test_round_trip_defaults),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_round_trip_callbacks),
        cmocka_unit_test(test_compact_round_trip),
        cmocka_unit_test(test_compact_bad_calls),
        cmocka_unit_test(test_compact_in_listener),
        cmocka_unit_test(test_compact_io_failure),
        cmocka_unit_test(test_compact_alloc_failure),
        cmocka_unit_test(test_compact_auto),
        cmocka_unit_test(test_compact_damage),
        cmocka_unit_test(test_compact_crafted),
        cmocka_unit_test(test_recovered_offers),
        cmocka_unit_test(test_recovered_offer_agent_ready),
        cmocka_unit_test(test_restore_offline),
        cmocka_unit_test(test_restore_keep),
        cmocka_unit_test(test_restore_bad_mode),
        cmocka_unit_test(test_torn_tail),
        cmocka_unit_test(test_corrupt_middle),
        cmocka_unit_test(test_corrupt_header),
        cmocka_unit_test(test_old_format_refused),
        cmocka_unit_test(test_corrupt_semantic),
        cmocka_unit_test(test_crafted_record),
        cmocka_unit_test(test_short_files),
        cmocka_unit_test(test_refused_work_replayed),
        cmocka_unit_test(test_corrupt_length_not_torn),
        cmocka_unit_test(test_bad_open),
        cmocka_unit_test(test_bad_replay),
        cmocka_unit_test(test_reads_write_nothing),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_absorbed_alloc_failure_journaled),
        cmocka_unit_test(test_records_per_second),
    };
    return cmocka_run_group_tests(tests, NULL, teardown_all);
}
