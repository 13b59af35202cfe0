/*
 * journal.c: every successful state-changing call, appended to a file, so a
 * restarted process can play them again and be where it was.
 *
 * orca is deterministic: the same calls at the same clock give the same
 * state, so the journal records inputs (calls and clock steps), not state.
 * Each public call that changed something ends with one jrn_* call that
 * encodes its arguments into a preallocated buffer and writes one record:
 *
 *   [u32 length of the rest][u32 ~length][u64 seq][u8 op][payload]
 *   [u64 XXH64(seq..payload)]
 *
 * The length is stored twice (the second time inverted) so that a damaged
 * length is seen as damage, not taken for a record cut short at the end.
 *
 * Replay checks the whole file first (lengths, sequence, checksums), so a
 * damaged journal changes nothing; then decodes each record and makes the
 * same public call. A record cut short by a crash can only be the last one:
 * it is dropped and cut off the file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
/* unistd.h declares link(2), a name orca_int.h uses for a type; we never
 * call link(2), so its declaration is renamed out of the way */
#define link posix_link_unused
#include <unistd.h>
#undef link
#include <xxhash.h>

#include "jfile.h"
#include "orca_int.h"

#define MAGIC "ORCAJRNL"
/* 2 (0.4): skill ids start at 1 and no_answer_limit 0 means 3, so a 0.3
 * journal (format 1) would not replay the same: it is refused. */
#define FORMAT 2
#define BUF_CAP (256 * 1024)  /* the largest record: an agent with 1,024 skills */
#define REC_MIN (8 + 1 + 8)   /* seq, op, checksum */
/* With SYNC_NEVER, the path is checked to still name the journal every
 * this many records (a stat(2), so about a nanosecond a record) */
#define CHECK_EVERY 1024

struct journal {
    int fd;                   /* locked (jfile.c) while open, also after
                                 a failure, until closed or compacted */
    jfile_id id;              /* the file it has open, to compare with
                                 what the path names (jfile_check) */
    uint32_t unchecked;       /* records since the path was last checked */
    int eio_pending;          /* stopped inside a call: that call says EIO */
    orca_journal_config cfg;
    wbuf w;                   /* the record being written */
    uint64_t seq, records, bytes, last_sync;
    uint64_t synced_bytes;    /* file length at the last fdatasync (or open) */
    int failed, os_error;
    char *path;               /* for compaction's rename */
    size_t pathlen;
    uint64_t snap_bytes;      /* file length after the last compaction */
    uint64_t compactions, compact_failures;
    int compact_error;        /* errno of the last failed compaction */
};

/* ---- encoding --------------------------------------------------------------- */

/* (records are encoded with codec.h into j->w, a fixed buffer sized for
 * the largest record) */

/* Start record seq (op) in w; seal() closes it. */
static void rec_start(wbuf *w, uint64_t seq, uint8_t op)
{
    w->n = 8; /* length and its check, filled in by seal */
    w_u64(w, seq);
    w_u8(w, op);
}

/* Is a record to be written for this call? Starts it if so. */
static journal *begin(orca_engine *e, uint8_t op)
{
    journal *j = e->jrn;
    if (!j || j->failed || e->replaying)
        return NULL;
    rec_start(&j->w, j->seq + 1, op);
    return j;
}

/* The journal stops. Its file stays open, and so locked: no other engine
 * takes it while this one may still compact it (which starts it again). */
static int io_fail(journal *j, int err)
{
    j->failed = 1;
    j->os_error = err;
    return ORCA_EIO;
}

/* Does the path still name the file being written? If not (renamed,
 * unlinked, replaced), the journal stops: ENOENT or ESTALE. */
static int check_path(journal *j)
{
    j->unchecked = 0;
    int err = jfile_check(j->path, &j->id);
    return err ? io_fail(j, err) : ORCA_OK;
}

static int write_all(const jfile_io *io, int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = io->write(io->data, fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (w == 0)
            return EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Close the record in w: its checksum, then its length (twice) in front. */
static void seal(wbuf *w)
{
    uint64_t sum = XXH64(w->p + 8, w->n - 8, 0);
    w_u64(w, sum);
    uint32_t len = (uint32_t)(w->n - 8), chk = ~len;
    for (int k = 0; k < 4; k++) {
        w->p[k] = (uint8_t)(len >> (8 * k));
        w->p[4 + k] = (uint8_t)(chk >> (8 * k));
    }
}

/* Finish and write the record begun by begin(). */
static int commit(orca_engine *e, journal *j)
{
    wbuf *w = &j->w;
    seal(w);
    int err = write_all(&e->jio, j->fd, w->p, w->n);
    if (err) {
        /* a partial record may be on disk: cut it, so the file ends at the
         * last good record (replay would drop it anyway) */
        if (e->jio.ftruncate(e->jio.data, j->fd, (off_t)j->bytes) != 0) { /* nothing more to do */ }
        return io_fail(j, err);
    }
    j->seq++;
    j->records++;
    j->bytes += j->w.n;
    bool sync = j->cfg.sync == ORCA_SYNC_EVERY ||
                (j->cfg.sync == ORCA_SYNC_INTERVAL && e->now - j->last_sync >= j->cfg.interval_ms);
    int rc = ORCA_OK;
    if (sync) {
        if (e->jio.fdatasync(e->jio.data, j->fd) != 0)
            return io_fail(j, errno);
        j->last_sync = e->now;
        j->synced_bytes = j->bytes;
        rc = check_path(j);
    } else if (++j->unchecked >= CHECK_EVERY) {
        rc = check_path(j);
    }
    if (e->jtap)
        e->jtap(e->jtap_data, j->seq, w->p, w->n, 0);
    return rc;
}

int orca_journal_set_tap(orca_engine *e, orca_journal_tap_fn fn, void *data)
{
    if (!e)
        return ORCA_EINVAL;
    if (e->in_callback)
        return ORCA_EBUSY;
    e->jtap = fn;
    e->jtap_data = fn ? data : NULL;
    return ORCA_OK;
}

void jrn_diverged(orca_engine *e)
{
    if (e->replaying) {
        e->replay_diverged = true;
    } else if (e->jrn && !e->jrn->failed) {
        io_fail(e->jrn, ENOMEM);
        e->jrn->eio_pending = 1; /* the call under way reports it */
    }
}

/* No record to write: ORCA_OK, or ORCA_EIO once if the journal stopped
 * during this call. */
static int no_record(orca_engine *e)
{
    journal *j = e->jrn;
    if (j && j->eio_pending) {
        j->eio_pending = 0;
        return ORCA_EIO;
    }
    return ORCA_OK;
}

/* ---- the calls ------------------------------------------------------------------ */

int jrn_id_u32(orca_engine *e, uint8_t op, uint64_t id, uint32_t a, uint32_t b)
{
    journal *j = begin(e, op);
    if (!j)
        return no_record(e);
    w_u64(&j->w, id);
    w_u32(&j->w, a);
    w_u32(&j->w, b);
    return commit(e, j);
}

int jrn_str(orca_engine *e, uint8_t op, const char *s, uint32_t a, uint32_t b)
{
    journal *j = begin(e, op);
    if (!j)
        return no_record(e);
    w_str(&j->w, s);
    w_u32(&j->w, a);
    w_u32(&j->w, b);
    return commit(e, j);
}

int jrn_queue(orca_engine *e, const orca_queue_def *d)
{
    journal *j = begin(e, J_QUEUE_ADD);
    if (!j)
        return no_record(e);
    w_queue_def(&j->w, d);
    return commit(e, j);
}

int jrn_queue_update(orca_engine *e, orca_queue_id q, const orca_queue_def *d)
{
    journal *j = begin(e, J_QUEUE_UPDATE);
    if (!j)
        return no_record(e);
    w_u32(&j->w, q);
    w_queue_def(&j->w, d);
    return commit(e, j);
}

int jrn_hours(orca_engine *e, orca_queue_id q, const orca_hours *h)
{
    journal *j = begin(e, J_HOURS);
    if (!j)
        return no_record(e);
    w_u32(&j->w, q);
    w_hours(&j->w, h);
    return commit(e, j);
}

int jrn_agent(orca_engine *e, uint8_t op, const orca_agent_def *d)
{
    journal *j = begin(e, op);
    if (!j)
        return no_record(e);
    w_u64(&j->w, d->id);
    w_levels(&j->w, d->skills, d->nskills);
    w_u32(&j->w, d->capacity);
    w_u32(&j->w, d->nlimits);
    for (uint32_t k = 0; k < d->nlimits; k++) {
        w_u32(&j->w, d->limits[k].channel);
        w_u32(&j->w, d->limits[k].max);
    }
    w_u32(&j->w, d->weight);
    return commit(e, j);
}

static void put_ixdef(journal *j, const orca_interaction_def *d)
{
    w_u64(&j->w, d->id);
    w_u32(&j->w, d->queue);
    w_u32(&j->w, d->channel);
    w_u64(&j->w, d->customer);
    w_u32(&j->w, d->priority);
    w_levels(&j->w, d->required, d->nrequired);
    w_levels(&j->w, d->preferred, d->npreferred);
    w_u64(&j->w, d->conversation);
    w_u64(&j->w, d->agent);
    w_u32(&j->w, d->agent_wait_ms);
    w_u32(&j->w, d->agent_required);
    w_u64(&j->w, d->not_before_ms);
    w_u32(&j->w, d->early_ms);
    w_u32(&j->w, d->bot);
}

int jrn_ix(orca_engine *e, uint8_t op, uint64_t from, const orca_interaction_def *d,
           uint32_t mode, int rc)
{
    journal *j = begin(e, op);
    if (!j)
        return no_record(e);
    w_u64(&j->w, from);
    put_ixdef(j, d);
    w_u32(&j->w, mode);
    w_u32(&j->w, (uint32_t)-rc);
    return commit(e, j);
}

int jrn_callback(orca_engine *e, uint64_t id, orca_channel_id ch, uint64_t not_before)
{
    journal *j = begin(e, J_CALLBACK);
    if (!j)
        return no_record(e);
    w_u64(&j->w, id);
    w_u32(&j->w, ch);
    w_u64(&j->w, not_before);
    return commit(e, j);
}

/* ---- the header ------------------------------------------------------------------ */

enum { HDR_LEN = 8 + 4 + 12 * 8 + 8 };

static void header(uint8_t *h, const orca_config *c)
{
    wbuf tmp = { .p = h, .cap = HDR_LEN };
    w_bytes(&tmp, MAGIC, 8);
    w_u32(&tmp, FORMAT);
    w_u64(&tmp, c->start_ms);
    w_u64(&tmp, c->seed);
    w_u64(&tmp, c->max_agents);
    w_u64(&tmp, c->max_interactions);
    w_u64(&tmp, c->max_queues);
    w_u64(&tmp, c->max_skills);
    w_u64(&tmp, c->offer_timeout_ms);
    w_u64(&tmp, c->reoffer_delay_ms);
    w_u64(&tmp, c->no_answer_limit);
    w_u64(&tmp, c->history_per_customer);
    w_u64(&tmp, c->max_customers);
    w_u64(&tmp, c->customer_ttl_ms);
    w_u64(&tmp, XXH64(h, tmp.n, 0));
}

/* ---- decoding ---------------------------------------------------------------------- */

typedef rbuf rd; /* a record being decoded */

static void get_ixdef(rd *r, orca_interaction_def *d)
{
    orca_interaction_def_init(d);
    d->id = r_u64(r);
    d->queue = r_u32(r);
    d->channel = r_u32(r);
    d->customer = r_u64(r);
    d->priority = r_u32(r);
    d->required = r_levels(r, &d->nrequired);
    d->preferred = r_levels(r, &d->npreferred);
    d->conversation = r_u64(r);
    d->agent = r_u64(r);
    d->agent_wait_ms = r_u32(r);
    d->agent_required = r_u32(r);
    d->not_before_ms = r_u64(r);
    d->early_ms = r_u32(r);
    d->bot = r_u32(r);
}

/* Make the call one record describes. ORCA_ECORRUPT if it cannot be
 * decoded; otherwise what the call returned (which must be ORCA_OK, as it
 * was when it was written). */
static int play(orca_engine *e, uint8_t op, rd *r)
{
    uint64_t id;
    uint32_t a, b;
    switch (op) {
    case J_SKILL: {
        const char *name = r_str(r);
        r_u32(r);
        r_u32(r);
        orca_skill_id sid;
        return r->bad ? ORCA_ECORRUPT : orca_skill_intern(e, name, &sid);
    }
    case J_CHANNEL_ADD: {
        orca_channel_def d = { 0 };
        d.name = r_str(r);
        d.cost = r_u32(r);
        d.wrapup_ms = r_u32(r);
        orca_channel_id ch;
        return r->bad ? ORCA_ECORRUPT : orca_channel_add(e, &d, &ch);
    }
    case J_QUEUE_ADD: {
        orca_queue_def d;
        r_queue_def(r, &d);
        orca_queue_id q;
        return r->bad ? ORCA_ECORRUPT : orca_queue_add(e, &d, &q);
    }
    case J_QUEUE_UPDATE: {
        orca_queue_id q = r_u32(r);
        orca_queue_def d;
        r_queue_def(r, &d);
        return r->bad ? ORCA_ECORRUPT : orca_queue_update(e, q, &d);
    }
    case J_HOURS: {
        orca_queue_id q = r_u32(r);
        orca_hours h;
        const orca_hours *hp = r_hours(r, &h);
        return r->bad ? ORCA_ECORRUPT : orca_queue_set_hours(e, q, hp);
    }
    case J_AGENT_ADD:
    case J_AGENT_UPDATE: {
        orca_agent_def d;
        orca_agent_def_init(&d);
        d.id = r_u64(r);
        d.skills = r_levels(r, &d.nskills);
        d.capacity = r_u32(r);
        d.nlimits = r_u32(r);
        if (d.nlimits > ORCA_MAX_CHANNELS)
            return ORCA_ECORRUPT;
        orca_channel_limit *l = d.nlimits ? r_take(r, d.nlimits * sizeof(*l)) : NULL;
        for (uint32_t k = 0; l && k < d.nlimits; k++) {
            l[k].channel = r_u32(r);
            l[k].max = r_u32(r);
        }
        d.limits = l;
        d.weight = r_u32(r);
        if (r->bad)
            return ORCA_ECORRUPT;
        return op == J_AGENT_ADD ? orca_agent_add(e, &d) : orca_agent_update(e, &d);
    }
    case J_ENQUEUE:
    case J_TRANSFER:
    case J_ESCALATE: {
        orca_interaction_def d;
        uint64_t from = r_u64(r);
        get_ixdef(r, &d);
        uint32_t mode = r_u32(r);
        uint32_t code = r_u32(r); /* the answer it got, negated: small */
        if (r->bad || code > 64)
            return ORCA_ECORRUPT;
        int expect = -(int)code;
        int rc = op == J_ENQUEUE    ? orca_interaction_enqueue(e, &d)
                 : op == J_ESCALATE ? orca_interaction_escalate(e, from, &d)
                                    : orca_interaction_transfer(e, from, &d,
                                                                (orca_transfer_mode)mode);
        return rc == expect ? ORCA_OK : rc ? rc : ORCA_ECORRUPT;
    }
    case J_CALLBACK: {
        id = r_u64(r);
        a = r_u32(r);
        uint64_t nb = r_u64(r);
        return r->bad ? ORCA_ECORRUPT : orca_interaction_callback(e, id, a, nb);
    }
    case J_RECOVER:
        return jrn_recover_offers(e, NULL);
    case J_OFFLINE_ALL:
        return jrn_offline_all(e);
    default:
        break;
    }
    /* the rest: an id and two numbers */
    id = r_u64(r);
    a = r_u32(r);
    b = r_u32(r);
    if (r->bad)
        return ORCA_ECORRUPT;
    switch (op) {
    case J_ADVANCE: return orca_engine_advance(e, id);
    case J_CHANNEL_WRAPUP: return orca_channel_set_wrapup(e, (orca_channel_id)id, a);
    case J_MEMBER_ADD: return orca_queue_member_add(e, a, id, b);
    case J_MEMBER_REMOVE: return orca_queue_member_remove(e, a, id);
    case J_AGENT_REMOVE: return orca_agent_remove(e, id);
    case J_PRESENCE: return orca_agent_set_presence(e, id, (orca_presence)a, b);
    case J_RANK: return orca_agent_set_queue_rank(e, id, a, b);
    case J_ACCEPT: return orca_offer_accept(e, id);
    case J_REJECT: return orca_offer_reject(e, id);
    case J_END: return orca_interaction_end(e, id);
    case J_WRAPUP_DONE: return orca_interaction_wrapup_done(e, id);
    case J_ABANDON: return orca_interaction_abandon(e, id);
    case J_CANCEL: return orca_interaction_cancel(e, id);
    case J_PRIORITY: return orca_interaction_set_priority(e, id, a);
    case J_DISPOSITION: return orca_interaction_set_disposition(e, id, a);
    case J_SURVEY: return orca_interaction_set_survey(e, id, a, (int32_t)b);
    case J_UNREACHED: return orca_interaction_unreached(e, id);
    case J_FORGET: return orca_customer_forget(e, id);
    case J_QUEUE_REMOVE: return orca_queue_remove(e, a);
    default: return ORCA_ECORRUPT;
    }
}

/* ---- files ------------------------------------------------------------------------- */

static void cfg_default(orca_journal_config *c, const orca_journal_config *in)
{
    if (in)
        *c = *in;
    else
        memset(c, 0, sizeof(*c));
    if (c->sync == ORCA_SYNC_INTERVAL && !c->interval_ms)
        c->interval_ms = 1000;
}

static bool engine_is_new(const orca_engine *e)
{
    return e->nskills == SKILL_FIRST && e->nchannels == ORCA_CHANNEL_BUILTIN_COUNT && !e->nqueues &&
           !e->nagents && !e->nix && !e->ncust && e->ev_seq == 0 && e->now == e->cfg.start_ms;
}

static int jrn_attach(orca_engine *e, const char *path, int fd, const jfile_id *id,
                      const orca_journal_config *cfg, uint64_t seq, uint64_t bytes,
                      uint64_t snap_bytes)
{
    journal *j = mem_calloc(e, sizeof(*j));
    uint8_t *buf = mem_alloc(e, BUF_CAP + 64);
    char *name = j ? mem_strdup(e, path, &j->pathlen) : NULL;
    if (!j || !buf || !name) {
        mem_free(e, name, j ? j->pathlen + 1 : 0);
        mem_free(e, j, sizeof(*j));
        mem_free(e, buf, BUF_CAP + 64);
        return ORCA_ENOMEM;
    }
    j->path = name;
    j->snap_bytes = snap_bytes;
    j->fd = fd;
    j->id = *id;
    cfg_default(&j->cfg, cfg);
    j->w = (wbuf){ .p = buf, .cap = BUF_CAP + 64 };
    j->seq = seq;
    j->bytes = j->synced_bytes = bytes;
    j->last_sync = e->now;
    e->jrn = j;
    return ORCA_OK;
}

/* Sync the directory holding path, so a rename in it survives a crash. */
static int sync_dir(orca_engine *e, const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n >= sizeof(dir))
        return ENAMETOOLONG;
    memcpy(dir, slash ? path : ".", slash ? n : 1);
    dir[slash ? (n ? n : 1) : 1] = '\0'; /* "/x": the root */
    return e->jio.fsync_dir(e->jio.data, dir) != 0 ? errno : 0;
}

/* A new journal file at path (which must not exist): its header, synced
 * with its directory, attached to e. */
static int journal_create(orca_engine *e, const char *path, const orca_journal_config *cfg)
{
    int fd, err;
    jfile_id id;
    int rc = jfile_open(path, O_WRONLY | O_CREAT | O_EXCL, 1, &fd, &id, &err);
    if (rc) {
        e->jrn_os_error = err;
        return rc;
    }
    uint8_t h[HDR_LEN];
    header(h, &e->cfg);
    err = write_all(&e->jio, fd, h, sizeof(h));
    if (!err && e->jio.fdatasync(e->jio.data, fd) != 0)
        err = errno;
    /* The new file's name must survive a power cut as well as its
     * records: sync the directory once, here. */
    if (!err)
        err = sync_dir(e, path);
    rc = err ? ORCA_EIO : jrn_attach(e, path, fd, &id, cfg, 0, sizeof(h), sizeof(h));
    if (rc) {
        e->jio.unlink(e->jio.data, path); /* (before the close: while still locked) */
        close(fd);
        e->jrn_os_error = err ? err : ENOMEM;
        errno = e->jrn_os_error;
        return rc;
    }
    e->jrn_os_error = 0;
    return ORCA_OK;
}

int orca_journal_open(orca_engine *e, const char *path, const orca_journal_config *cfg)
{
    if (!e || !path || !*path || (cfg && (unsigned)cfg->sync > ORCA_SYNC_INTERVAL))
        return ORCA_EINVAL;
    if (e->in_callback)
        return ORCA_EBUSY;
    if (e->jrn || !engine_is_new(e))
        return ORCA_ESTATE;
    return journal_create(e, path, cfg);
}

void jrn_free(orca_engine *e)
{
    journal *j = e->jrn;
    if (!j)
        return;
    if (j->fd >= 0) {
        if (j->cfg.sync != ORCA_SYNC_NEVER && !j->failed)
            e->jio.fdatasync(e->jio.data, j->fd);
        close(j->fd);
    }
    /* a journal that failed leaves its reason for orca_journal_info_get */
    e->jrn_os_error = j->failed ? j->os_error : 0;
    mem_free(e, j->w.p, BUF_CAP + 64);
    mem_free(e, j->path, j->pathlen + 1);
    mem_free(e, j, sizeof(*j));
    e->jrn = NULL;
}

int orca_journal_close(orca_engine *e)
{
    if (!e)
        return ORCA_EINVAL;
    if (e->in_callback)
        return ORCA_EBUSY;
    if (!e->jrn)
        return ORCA_ESTATE;
    jrn_free(e);
    return ORCA_OK;
}

void jrn_set_io(orca_engine *e, const jfile_io *io)
{
    e->jio = io ? *io : jfile_sys;
}

int orca_journal_sync(orca_engine *e)
{
    if (!e)
        return ORCA_EINVAL;
    journal *j = e->jrn;
    if (!j)
        return ORCA_ESTATE;
    if (j->failed)
        return ORCA_EIO;
    if (j->bytes == j->synced_bytes)
        return ORCA_OK; /* nothing written since: no system call */
    if (e->jio.fdatasync(e->jio.data, j->fd) != 0)
        return io_fail(j, errno);
    j->last_sync = e->now;
    j->synced_bytes = j->bytes;
    j->unchecked = 0;
    return check_path(j);
}

int orca_journal_info_get(const orca_engine *e, orca_journal_info *out)
{
    if (!e || !out)
        return ORCA_EINVAL;
    memset(out, 0, sizeof(*out));
    const journal *j = e->jrn;
    if (!j) {
        out->os_error = e->jrn_os_error; /* why the last one failed, if it did */
        return ORCA_ENOENT;
    }
    out->records = j->records;
    out->bytes = j->bytes;
    out->last_seq = j->seq;
    out->failed = j->failed;
    out->os_error = j->os_error;
    out->snapshot_bytes = j->snap_bytes;
    out->compactions = j->compactions;
    out->compact_failures = j->compact_failures;
    out->compact_error = j->compact_error;
    return ORCA_OK;
}

/* Read the whole (locked) file fd with the engine's allocator. */
static int slurp(orca_engine *e, int fd, uint8_t **out, size_t *n, int *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        *err = errno;
        return ORCA_EIO;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *p = mem_alloc(e, size + 1);
    if (!p) {
        *err = ENOMEM;
        return ORCA_ENOMEM;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = pread(fd, p + got, size - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            *err = r < 0 ? errno : EIO;
            mem_free(e, p, size + 1);
            return ORCA_EIO;
        }
        got += (size_t)r;
    }
    *out = p;
    *n = size;
    return ORCA_OK;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int k = 7; k >= 0; k--)
        v = v << 8 | p[k];
    return v;
}

static int parse_header(const uint8_t *p, size_t n, orca_config *c)
{
    if (n < HDR_LEN || memcmp(p, MAGIC, 8) != 0)
        return ORCA_ECORRUPT;
    rd r = { .p = p, .n = HDR_LEN, .at = 8 };
    uint32_t format = r_u32(&r);
    /* the header's last 8 bytes: the checksum of the rest */
    bool sound = le64(p + HDR_LEN - 8) == XXH64(p, HDR_LEN - 8, 0);
    /* Our magic, another format: another version's journal if it is the
     * one older format there was (1, before 0.4), or if its header checks
     * out as a header of this layout; else a damaged one. */
    if (format != FORMAT)
        return format == 1 || sound ? ORCA_EVERSION : ORCA_ECORRUPT;
    orca_config_init(c);
    c->start_ms = r_u64(&r);
    c->seed = r_u64(&r);
    c->max_agents = (uint32_t)r_u64(&r);
    c->max_interactions = (uint32_t)r_u64(&r);
    c->max_queues = (uint32_t)r_u64(&r);
    c->max_skills = (uint32_t)r_u64(&r);
    c->offer_timeout_ms = (uint32_t)r_u64(&r);
    c->reoffer_delay_ms = (uint32_t)r_u64(&r);
    c->no_answer_limit = (uint32_t)r_u64(&r);
    c->history_per_customer = (uint32_t)r_u64(&r);
    c->max_customers = (uint32_t)r_u64(&r);
    c->customer_ttl_ms = r_u64(&r);
    return sound ? ORCA_OK : ORCA_ECORRUPT;
}

int orca_journal_read_config(const char *path, orca_config *out)
{
    if (!path || !out)
        return ORCA_EINVAL;
    /* only the header: a journal may be large (and no lock: reading
     * the config of a journal in use is harmless) */
    int fd, err;
    jfile_id id;
    int rc = jfile_open(path, O_RDONLY, 0, &fd, &id, &err);
    if (rc)
        return rc; /* (errno says why) */
    uint8_t h[HDR_LEN];
    size_t got = 0;
    while (got < sizeof(h)) {
        ssize_t r = read(fd, h + got, sizeof(h) - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            err = errno;
            close(fd);
            errno = err;
            return ORCA_EIO;
        }
        if (r == 0)
            break; /* shorter than a header: parse_header says so */
        got += (size_t)r;
    }
    close(fd);
    return parse_header(h, got, out);
}

static bool same_config(const orca_config *a, const orca_config *b)
{
    return a->start_ms == b->start_ms && a->seed == b->seed && a->max_agents == b->max_agents &&
           a->max_interactions == b->max_interactions && a->max_queues == b->max_queues &&
           a->max_skills == b->max_skills && a->offer_timeout_ms == b->offer_timeout_ms &&
           a->reoffer_delay_ms == b->reoffer_delay_ms &&
           a->no_answer_limit == b->no_answer_limit &&
           a->history_per_customer == b->history_per_customer &&
           a->max_customers == b->max_customers && a->customer_ttl_ms == b->customer_ttl_ms;
}

/* A record's length header (8 bytes at p) is sound: its length twice (the
 * second inverted), within what a record can be. */
static bool rec_len_ok(const uint8_t *p)
{
    uint32_t len = le32(p);
    return le32(p + 4) == ~len && len >= REC_MIN && len <= BUF_CAP;
}

/* The record's body (len bytes at rec: seq, op, payload, checksum) has
 * the checksum it carries. */
static bool rec_sum_ok(const uint8_t *rec, uint32_t len)
{
    return le64(rec + len - 8) == XXH64(rec, len - 8, 0);
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (p[k])
            return false;
    return true;
}

/* Check every record; the length of the good part, or ORCA_ECORRUPT.
 * Writes are sequential, so only the last record can be cut short (or, on
 * a power cut, left as zeros): anything else that does not check out is
 * damage. */
static int scan(const uint8_t *p, size_t n, size_t *good, uint64_t *records, uint64_t *bad)
{
    size_t at = HDR_LEN;
    uint64_t seq = 0;
    while (at < n) {
        if (n - at < 8)
            break; /* torn length */
        uint32_t len = le32(p + at);
        if (!rec_len_ok(p + at)) {
            if (all_zero(p + at, n - at))
                break; /* zeros where the last write did not land */
            *bad = at;
            return ORCA_ECORRUPT;
        }
        if (at + 8 + (size_t)len > n)
            break; /* torn body: its length is sound, its end is missing */
        const uint8_t *rec = p + at + 8;
        bool sum_ok = rec_sum_ok(rec, len);
        if (!sum_ok || le64(rec) != seq + 1) {
            if (at + 8 + (size_t)len == n && !sum_ok)
                break; /* the last record, half written */
            *bad = at;
            return ORCA_ECORRUPT;
        }
        seq++;
        at += 8 + (size_t)len;
    }
    *good = at;
    *records = seq;
    return ORCA_OK;
}

/* ---- snapshots and compaction ---------------------------------------------------- */

/* The record at p + at (checked by scan): its op, its payload and its
 * payload's length, and where the next one starts. */
static uint8_t rec_op(const uint8_t *p, size_t at)
{
    return p[at + 8 + 8];
}

static const uint8_t *rec_body(const uint8_t *p, size_t at, size_t *n)
{
    *n = le32(p + at) - REC_MIN; /* (the length counts seq..checksum) */
    return p + at + 8 + 9;
}

static size_t rec_next(const uint8_t *p, size_t at)
{
    return at + 8 + (size_t)le32(p + at);
}

/* A snapshot that did not load, as its reader says it: memory, another
 * version's format, or else damage. */
static int snap_refusal(int rc)
{
    return rc == ORCA_ENOMEM || rc == ORCA_EVERSION ? rc : ORCA_ECORRUPT;
}

/* If the records at *at begin with a snapshot (J_SNAP chunks, then
 * J_SNAP_END with their total length), rebuild e from it and move *at and
 * *k past it. */
static int restore_snapshot(orca_engine *e, const uint8_t *p, size_t *at, uint64_t *k,
                            uint64_t records, uint8_t *scratch, uint64_t *bad)
{
    if (*k >= records || rec_op(p, *at) != J_SNAP)
        return ORCA_OK;
    /* where the chunks end, and how much they hold */
    size_t pos = *at, total = 0;
    uint64_t r = *k;
    size_t len;
    for (; r < records && rec_op(p, pos) == J_SNAP; r++) {
        rec_body(p, pos, &len);
        total += len;
        pos = rec_next(p, pos);
    }
    int rc = ORCA_ECORRUPT; /* (a snapshot is never empty) */
    if (r < records && total && rec_op(p, pos) == J_SNAP_END) {
        const uint8_t *body = rec_body(p, pos, &len);
        rbuf end = { .p = body, .n = len };
        if (r_u64(&end) == total && end.at == end.n && !end.bad)
            rc = ORCA_OK;
        pos = rec_next(p, pos);
        r++;
    }
    /* the chunks, end to end, in one allocation */
    uint8_t *all = rc ? NULL : mem_alloc(e, total);
    if (!rc && !all)
        rc = ORCA_ENOMEM;
    if (!rc) {
        size_t n = 0;
        for (size_t q = *at; rec_op(p, q) == J_SNAP; q = rec_next(p, q)) {
            const uint8_t *body = rec_body(p, q, &len);
            memcpy(all + n, body, len);
            n += len;
        }
        rbuf in = { .p = all, .n = total, .scratch = scratch, .cap = BUF_CAP };
        rc = snap_load(e, &in);
    }
    mem_free(e, all, total);
    if (rc) {
        *bad = *at; /* the snapshot does not rebuild an engine */
        return snap_refusal(rc);
    }
    *at = pos;
    *k = r;
    return ORCA_OK;
}

/* The snapshot s as the records a new journal file starts with: its
 * chunks (J_SNAP, up to the buffer's size each), then J_SNAP_END with
 * their total length, each sealed in j's buffer and handed to put with its
 * seq (1, 2, ...). Stops at put's first error (an errno), which it
 * returns; *records: how many went. One encoder for the file a compaction
 * writes and for the tap that ships it. */
static int snap_records(journal *j, const wbuf *s, int (*put)(void *ctx, const wbuf *rec, uint64_t seq),
                        void *ctx, uint64_t *records)
{
    const size_t chunk = BUF_CAP - 64;
    uint64_t seq = 0;
    uint8_t len[8];
    int err = 0;
    for (size_t at = 0; !err && at < s->n; at += chunk) {
        rec_start(&j->w, ++seq, J_SNAP);
        w_bytes(&j->w, s->p + at, s->n - at < chunk ? s->n - at : chunk);
        seal(&j->w);
        err = put(ctx, &j->w, seq);
    }
    for (int k = 0; k < 8; k++)
        len[k] = (uint8_t)((uint64_t)s->n >> (8 * k));
    if (!err) {
        rec_start(&j->w, ++seq, J_SNAP_END);
        w_bytes(&j->w, len, sizeof(len));
        seal(&j->w);
        err = put(ctx, &j->w, seq);
    }
    *records = seq;
    return err;
}

typedef struct file_sink {
    const jfile_io *io;
    int fd;
} file_sink;

static int put_file(void *ctx, const wbuf *rec, uint64_t seq)
{
    const file_sink *f = ctx;
    (void)seq;
    return write_all(f->io, f->fd, rec->p, rec->n);
}

static int put_tap(void *ctx, const wbuf *rec, uint64_t seq)
{
    orca_engine *e = ctx;
    e->jtap(e->jtap_data, seq, rec->p, rec->n, seq == 1);
    return 0;
}


/* Write the snapshot s as a new journal at tmp; the records written. */
static int write_snapshot(orca_engine *e, journal *j, const char *tmp, const wbuf *s,
                          uint64_t *records, uint64_t *bytes, int *fd_out, jfile_id *id)
{
    /* a regular file, locked before it becomes the journal (jfile.c) */
    int fd, err;
    if (jfile_open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 1, &fd, id, &err) != ORCA_OK)
        return err;
    uint8_t h[HDR_LEN];
    header(h, &e->cfg);
    if (!err)
        err = write_all(&e->jio, fd, h, sizeof(h));
    uint64_t seq = 0;
    file_sink sink = { &e->jio, fd };
    if (!err)
        err = snap_records(j, s, put_file, &sink, &seq);
    if (!err && e->jio.fdatasync(e->jio.data, fd) != 0)
        err = errno;
    off_t end = err ? 0 : lseek(fd, 0, SEEK_CUR);
    if (!err && end < 0)
        err = errno;
    if (err) {
        close(fd);
        return err;
    }
    *records = seq;
    *bytes = (uint64_t)end;
    *fd_out = fd;
    return 0;
}

/* A compaction failed (err, an errno): counted; the journal goes on as
 * it was. */
static int compact_failed(journal *j, int err, int rc)
{
    j->compact_failures++;
    j->compact_error = err;
    return rc;
}

/* The new file's snapshot records, as write_snapshot wrote them, to the
 * tap (the first one says a new file starts). */
static void tap_snapshot(orca_engine *e, journal *j, const wbuf *s)
{
    uint64_t n;
    if (e->jtap)
        snap_records(j, s, put_tap, e, &n);
}

/* Replace the journal with a snapshot of e: written beside it, synced,
 * then renamed over it, so a crash leaves one whole journal or the other.
 * On failure the old journal carries on untouched. The path must still
 * name the file this engine has open, before and just before the rename
 * (else the journal stops: ENOENT or ESTALE); nothing is renamed over a
 * file that is not it. (Between that last check and the rename, another
 * program could still replace the file: a window of one system call;
 * another orca engine cannot, it is kept out by the lock.) */
static int compact(orca_engine *e)
{
    journal *j = e->jrn;
    int err = jfile_check(j->path, &j->id);
    if (err) {
        if (!j->failed)
            io_fail(j, err);
        return compact_failed(j, err, ORCA_EIO);
    }
    wbuf s = { .e = e };
    snap_save(e, &s);
    size_t tlen = j->pathlen + sizeof(".compact");
    char *tmp = s.bad ? NULL : mem_alloc(e, tlen);
    if (!tmp) {
        w_free(&s);
        return compact_failed(j, ENOMEM, ORCA_ENOMEM);
    }
    memcpy(tmp, j->path, j->pathlen);
    memcpy(tmp + j->pathlen, ".compact", sizeof(".compact"));
    uint64_t records = 0, bytes = 0;
    int fd = -1;
    jfile_id id;
    err = write_snapshot(e, j, tmp, &s, &records, &bytes, &fd, &id);
    int moved = err ? 0 : jfile_check(j->path, &j->id);
    if (moved && !j->failed)
        io_fail(j, moved);
    if (!err && !moved && e->jio.rename(e->jio.data, tmp, j->path) != 0)
        err = errno;
    if (err || moved) {
        if (fd >= 0)
            close(fd);
        e->jio.unlink(e->jio.data, tmp);
        mem_free(e, tmp, tlen);
        w_free(&s);
        return compact_failed(j, err ? err : moved, ORCA_EIO);
    }
    /* The new journal is in place, so from here on it is the one written
     * to. Its name is durable only once the directory is synced: until
     * then a power cut brings back the old journal, without what was
     * written since its last sync and without anything written to the new
     * one. So a directory that cannot be synced stops the journal (below):
     * nothing more is acknowledged as durable. */
    int derr = sync_dir(e, j->path);
    mem_free(e, tmp, tlen);
    if (j->fd >= 0)
        close(j->fd);
    j->fd = fd;
    j->id = id;
    j->unchecked = 0;
    j->failed = 0; /* a stopped journal starts again from the snapshot */
    j->eio_pending = 0;
    j->seq = records;
    j->bytes = j->snap_bytes = j->synced_bytes = bytes;
    j->last_sync = e->now;
    if (derr) {
        w_free(&s);
        io_fail(j, derr);
        return compact_failed(j, derr, ORCA_EIO);
    }
    j->compactions++;
    tap_snapshot(e, j, &s);
    w_free(&s);
    return ORCA_OK;
}

int orca_journal_compact(orca_engine *e)
{
    if (!e)
        return ORCA_EINVAL;
    if (e->in_callback || e->depth)
        return ORCA_EBUSY;
    if (!e->jrn)
        return ORCA_ESTATE;
    return compact(e);
}

int jrn_auto_compact(orca_engine *e)
{
    journal *j = e->jrn;
    if (!j->cfg.compact_bytes || j->failed || e->replaying || e->in_callback ||
        j->bytes < j->snap_bytes + j->cfg.compact_bytes)
        return ORCA_OK;
    /* (a failure is counted in orca_journal_info; the journal goes on,
     * unless its path no longer names it: then the call says ORCA_EIO) */
    if (compact(e) != ORCA_OK)
        j->snap_bytes = j->bytes; /* try again after as much again */
    return j->failed ? ORCA_EIO : ORCA_OK;
}

/* ---- following another engine record by record (orca_journal_apply) ---------------- */

void jrn_apply_free(orca_engine *e)
{
    mem_free(e, e->snapbuf, e->snapcap);
    e->snapbuf = NULL;
    e->snaplen = e->snapcap = 0;
}

/* A snapshot's chunk, kept until its end record comes. */
static int snap_chunk(orca_engine *e, const uint8_t *body, size_t n)
{
    if (e->snaplen + n > e->snapcap) {
        size_t cap = e->snapcap ? e->snapcap : 64 * 1024;
        while (cap < e->snaplen + n)
            cap *= 2;
        uint8_t *p = mem_alloc(e, cap);
        if (!p)
            return ORCA_ENOMEM;
        if (e->snaplen)
            memcpy(p, e->snapbuf, e->snaplen);
        mem_free(e, e->snapbuf, e->snapcap);
        e->snapbuf = p, e->snapcap = cap;
    }
    memcpy(e->snapbuf + e->snaplen, body, n);
    e->snaplen += n;
    return ORCA_OK;
}

/* The snapshot's end: its length must be what came; a new engine loads it. */
static int snap_end(orca_engine *e, const uint8_t *body, size_t n, uint8_t *scratch)
{
    rbuf end = { .p = body, .n = n };
    if (r_u64(&end) != e->snaplen || end.at != end.n || end.bad || !e->snaplen)
        return ORCA_ECORRUPT;
    if (e->snapskip)
        return ORCA_OK;
    rbuf in = { .p = e->snapbuf, .n = e->snaplen, .scratch = scratch, .cap = BUF_CAP };
    e->replaying = true;
    int rc = snap_load(e, &in);
    e->replaying = false;
    return rc == ORCA_OK ? rc : snap_refusal(rc);
}

int orca_journal_apply(orca_engine *e, const void *rec, size_t len, uint64_t *applied)
{
    const uint8_t *p = rec;
    if (applied)
        *applied = e ? e->applied : 0;
    if (!e || !rec || len < 8 + REC_MIN)
        return ORCA_EINVAL;
    if (e->in_callback || e->depth)
        return ORCA_EBUSY;
    if (e->jrn)
        return ORCA_ESTATE;
    uint32_t rl = le32(p);
    if (!rec_len_ok(p))
        return ORCA_ECORRUPT;
    if (8 + (size_t)rl != len)
        return ORCA_EINVAL;
    const uint8_t *r = p + 8;
    if (!rec_sum_ok(r, rl))
        return ORCA_ECORRUPT;
    uint64_t seq = le64(r);
    uint8_t op = r[8];
    bool in_snap = e->snaplen > 0 || (e->following && e->snapskip);
    /* Where in the stream: a file's first record starts a new engine, or,
     * as a compaction's snapshot, is read past by one that follows. */
    if (seq == 1) {
        if (op == J_SNAP && e->following) {
            e->snapskip = true;
        } else if (!e->following && engine_is_new(e)) {
            e->snapskip = false;
        } else {
            return ORCA_ESTATE;
        }
        jrn_apply_free(e);
        in_snap = op == J_SNAP;
    } else if (!e->following || seq != e->applied + 1) {
        return ORCA_ESTATE;
    }
    size_t n = rl - REC_MIN;
    const uint8_t *body = r + 9;
    int rc = ORCA_OK;
    uint8_t *scratch = NULL;
    if (op == J_SNAP) {
        if (!in_snap)
            return ORCA_ECORRUPT; /* a chunk in the middle of a file */
        if (!e->snapskip)
            rc = snap_chunk(e, body, n);
        else
            e->snaplen += n; /* counted, to check its end */
    } else if (op == J_SNAP_END) {
        if (!in_snap)
            return ORCA_ECORRUPT;
        if (!(scratch = mem_alloc(e, BUF_CAP)))
            return ORCA_ENOMEM;
        rc = snap_end(e, body, n, scratch);
        jrn_apply_free(e);
        e->snapskip = false;
    } else {
        if (in_snap)
            return ORCA_ECORRUPT; /* a snapshot cut short */
        if (!(scratch = mem_alloc(e, BUF_CAP)))
            return ORCA_ENOMEM;
        rd rr = { .p = r, .n = rl - 8, .at = 9, .scratch = scratch, .cap = BUF_CAP };
        e->replaying = true;
        rc = play(e, op, &rr);
        e->replaying = false;
        if (rc != ORCA_OK || e->replay_diverged)
            rc = rc == ORCA_ENOMEM || e->replay_diverged ? ORCA_ENOMEM : ORCA_ECORRUPT;
        e->replay_diverged = false;
    }
    if (scratch)
        mem_free(e, scratch, BUF_CAP);
    if (rc != ORCA_OK) {
        if (op == J_SNAP || op == J_SNAP_END)
            jrn_apply_free(e), e->snapskip = false;
        return rc;
    }
    e->applied = seq;
    e->following = true;
    if (applied)
        *applied = seq;
    return ORCA_OK;
}

/* A journal configuration orca_journal_replay or _promote cannot take. */
static bool restore_cfg_bad(const orca_journal_config *cfg)
{
    return cfg && ((unsigned)cfg->sync > ORCA_SYNC_INTERVAL ||
                   (unsigned)cfg->restore_presence > ORCA_RESTORE_OFFLINE);
}

/* What a replay does at its end, journaled: presence first, so that
 * recovered offers find nobody READY, then the pending offers back. */
static int restore_end(orca_engine *e, const orca_journal_config *cfg, orca_journal_info *info)
{
    int rc;
    if (cfg && cfg->restore_presence == ORCA_RESTORE_OFFLINE && (rc = jrn_offline_all(e)))
        return rc;
    return jrn_recover_offers(e, &info->recovered_offers);
}

/* A standby becomes the writer: its state, as the records it applied
 * made it, goes into a new journal file as a compaction's snapshot (the
 * tap, if set, ships it), and from then on it journals like any engine.
 * What happens next is what a replay does at its end, journaled: agents
 * OFFLINE if asked (nobody is connected to this engine yet), then the
 * offers that were pending back to WAITING. */
int orca_journal_promote(orca_engine *e, const char *path, const orca_journal_config *cfg,
                         orca_journal_info *info)
{
    orca_journal_info tmp;
    if (!info)
        info = &tmp;
    memset(info, 0, sizeof(*info));
    if (!e || !path || !*path || restore_cfg_bad(cfg))
        return ORCA_EINVAL;
    if (e->in_callback || e->depth)
        return ORCA_EBUSY;
    /* only a follower with a whole state: not one rebuilding from a
     * snapshot (one reading past a snapshot of the state it has is) */
    if (e->jrn || !e->following || (e->snaplen && !e->snapskip))
        return ORCA_ESTATE;
    int rc = journal_create(e, path, cfg);
    if (rc) {
        info->os_error = e->jrn_os_error;
        return rc;
    }
    if ((rc = compact(e))) {
        /* the file holds a header only: it goes, and e follows still */
        info->os_error = e->jrn->compact_error;
        e->jio.unlink(e->jio.data, path);
        jrn_free(e);
        e->jrn_os_error = errno = info->os_error;
        return rc;
    }
    jrn_apply_free(e);
    e->snapskip = false;
    e->following = false;
    e->applied = 0;
    info->records = e->jrn->seq;
    info->last_seq = e->jrn->seq;
    info->bytes = info->snapshot_bytes = e->jrn->bytes;
    return restore_end(e, cfg, info);
}

int orca_journal_replay(orca_engine *e, const char *path, const orca_journal_config *cfg,
                        orca_journal_info *info)
{
    orca_journal_info tmp;
    if (!info)
        info = &tmp;
    memset(info, 0, sizeof(*info));
    if (!e || !path || restore_cfg_bad(cfg))
        return ORCA_EINVAL;
    if (e->in_callback)
        return ORCA_EBUSY;
    if (e->jrn || !engine_is_new(e))
        return ORCA_ESTATE;
    uint8_t *p;
    size_t n, good = 0;
    int fd = -1, err = 0;
    jfile_id id;
    int rc = jfile_open(path, O_RDWR, 1, &fd, &id, &err);
    if (!rc && (rc = slurp(e, fd, &p, &n, &err)))
        close(fd);
    if (rc) {
        info->os_error = e->jrn_os_error = errno = err;
        return rc;
    }
    orca_config c;
    uint64_t records = 0;
    if ((rc = parse_header(p, n, &c))) {
        info->bad_offset = 0;
    } else if (!same_config(&c, &e->cfg)) {
        rc = ORCA_EINVAL; /* build e with orca_journal_read_config's config */
    } else {
        rc = scan(p, n, &good, &records, &info->bad_offset);
    }
    uint8_t *scratch = rc ? NULL : mem_alloc(e, BUF_CAP);
    if (!rc && !scratch)
        rc = ORCA_ENOMEM;
    if (!rc && ((good < n && e->jio.ftruncate(e->jio.data, fd, (off_t)good) != 0) ||
                lseek(fd, (off_t)good, SEEK_SET) < 0)) {
        info->os_error = errno;
        rc = ORCA_EIO;
    }
    /* play every record with journaling off, after the snapshot if the
     * journal starts with one */
    size_t at = HDR_LEN;
    uint64_t k = 0;
    e->replaying = true;
    if (!rc)
        rc = restore_snapshot(e, p, &at, &k, records, scratch, &info->bad_offset);
    size_t snap_end = at;
    for (; !rc && k < records; k++) {
        uint32_t len = le32(p + at);
        rd r = { .p = p + at + 8, .n = len - 8, .at = 8, .scratch = scratch, .cap = BUF_CAP };
        uint8_t op = r_u8(&r);
        int prc = play(e, op, &r);
        if (prc != ORCA_OK) {
            info->bad_offset = at; /* it did not do again what it did */
            /* (after an allocation failure the engine absorbed, records
             * may not play again: that is memory, not damage) */
            rc = prc == ORCA_ENOMEM || e->replay_diverged ? ORCA_ENOMEM : ORCA_ECORRUPT;
        }
        at += 8 + (size_t)len;
    }
    e->replaying = false;
    if (!rc && e->replay_diverged)
        rc = ORCA_ENOMEM; /* memory ran out where the engine absorbs it */
    e->replay_diverged = false;
    if (scratch)
        mem_free(e, scratch, BUF_CAP);
    mem_free(e, p, n + 1);
    info->records = records;
    if (rc) {
        close(fd);
        e->jrn_os_error = errno = info->os_error;
        return rc;
    }
    info->torn_bytes = n - good;
    info->snapshot_bytes = snap_end;
    info->bytes = good;
    info->last_seq = records;
    if ((rc = jrn_attach(e, path, fd, &id, cfg, records, good, snap_end))) {
        close(fd);
        e->jrn_os_error = errno = ENOMEM;
        return rc;
    }
    e->jrn_os_error = 0;
    e->jrn->records = 0;
    return restore_end(e, cfg, info);
}
