/*
 * test_journal_guard.c: the journal's file against the outside world
 * (orca.h, "Journal and recovery": the lock, what is detected when, the
 * errors). Each test is the regression test of a defect of issue 11:
 *  - lock: a second engine (in this process, and in a forked child) cannot
 *    replay or open a journal that is in use: ORCA_ELOCKED, engine and file
 *    unchanged; once closed, it can; a compaction keeps it locked.
 *  - identity: a journal renamed, unlinked or replaced while open stops at
 *    the next sync point (ENOENT / ESTALE, the call says ORCA_EIO), also
 *    with SYNC_NEVER (within 1,024 records), and a compaction never
 *    renames over the file that took its place.
 *  - a FIFO as the journal: ORCA_EIO (EINVAL) at once, never a hang
 *    (alarm: a hang fails the test).
 *  - errors name the cause: os_error and errno after a failed open,
 *    replay or read_config; the texts of ORCA_EEXIST and ORCA_EIO.
 *  - a failed automatic compaction (ENOMEM) is counted.
 *  - orca_journal_sync (group commit): syncs only when something was
 *    written, checks the path as any sync does, says EIO once stopped.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static char g_dir[512];
static unsigned g_nfile;

/* A fresh path (nothing there) in this run's temporary directory. */
static void tmp_path(char *buf, size_t len, const char *tag)
{
    if (!g_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(g_dir, sizeof(g_dir), "%s/orca-jguard-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(g_dir))
            abort();
    }
    snprintf(buf, len, "%s/%u-%s.jrnl", g_dir, g_nfile++, tag);
    unlink(buf);
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : UINT64_MAX;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static int same_text(const char *path, const char *text)
{
    char buf[256] = { 0 };
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    return n == strlen(text) && memcmp(buf, text, n) == 0;
}

static orca_journal_info jinfo(const orca_engine *e)
{
    orca_journal_info ji;
    TU_OK(orca_journal_info_get(e, &ji));
    return ji;
}

static const orca_journal_config jc_never = { .sync = ORCA_SYNC_NEVER };
static const orca_journal_config jc_every = { .sync = ORCA_SYNC_EVERY };

/* A small centre journaling into path: a queue, an agent, work waiting. */
static orca_engine *centre(tu_fx *fx, const char *path, const orca_journal_config *jc)
{
    orca_engine *e = tu_fx_new(fx, NULL);
    TU_OK(orca_journal_open(e, path, jc));
    orca_queue_id q = tu_queue(e, "support", ORCA_STRATEGY_LONGEST_IDLE);
    tu_agent(e, 1, 100, NULL, 0);
    tu_member(e, q, 1, 0);
    tu_enqueue(e, 7, q, ORCA_CHANNEL_VOICE, 0);
    tu_advance(e, 1000);
    return e;
}

/* A new engine with path's config (asserts it can be read). */
static orca_engine *engine_for(tu_fx *fx, const char *path)
{
    orca_config c;
    TU_OK(orca_journal_read_config(path, &c));
    return tu_fx_new(fx, &c);
}

/* ------------------------------------------------------------------------ */
/* 1. The lock                                                              */
/* ------------------------------------------------------------------------ */

static void test_lock_same_process(void **state)
{
    (void)state;
    char path[600];
    tmp_path(path, sizeof(path), "lock");
    tu_fx fa, fb;
    orca_engine *A = centre(&fa, path, &jc_never);
    uint64_t size = file_size(path);
    /* B replays the journal A is writing: refused, B and the file as they were */
    orca_engine *B = engine_for(&fb, path);
    orca_journal_info ri;
    TU_FAILS(B, orca_journal_replay(B, path, &jc_never, &ri), ORCA_ELOCKED);
    assert_int_equal(file_size(path), size);
    assert_true(ri.os_error == EAGAIN || ri.os_error == EWOULDBLOCK);
    assert_string_equal(orca_strerror(ORCA_ELOCKED), "the journal is in use by another engine");
    /* A goes on, undisturbed, and its journal stays whole */
    tu_enqueue(A, 8, 1, ORCA_CHANNEL_VOICE, 0);
    /* after a compaction, the new file is locked as well */
    TU_OK(orca_journal_compact(A));
    TU_FAILS(B, orca_journal_replay(B, path, &jc_never, &ri), ORCA_ELOCKED);
    tu_enqueue(A, 9, 1, ORCA_CHANNEL_VOICE, 0);
    TU_OK(orca_journal_close(A));
    /* closed: B takes it, with everything A wrote */
    TU_OK(orca_journal_replay(B, path, &jc_never, &ri));
    assert_int_equal(tu_counts(B).interactions, 3);
    /* and now A's kind is refused: a third engine */
    tu_fx fc;
    orca_engine *C = engine_for(&fc, path);
    TU_FAILS(C, orca_journal_replay(C, path, &jc_never, &ri), ORCA_ELOCKED);
    tu_fx_free(&fc);
    tu_fx_free(&fb); /* (frees B's journal: unlocked) */
    C = engine_for(&fc, path);
    TU_OK(orca_journal_replay(C, path, &jc_never, &ri));
    tu_fx_free(&fc);
    tu_fx_free(&fa);
    unlink(path);
}

/* The child replays the journal its parent holds: ORCA_ELOCKED. */
static void test_lock_other_process(void **state)
{
    (void)state;
    char path[600];
    tmp_path(path, sizeof(path), "lockfork");
    tu_fx fa;
    orca_engine *A = centre(&fa, path, &jc_never);
    for (int round = 0; round < 2; round++) {
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            orca_config c;
            orca_engine *b;
            orca_journal_info ri;
            if (orca_journal_read_config(path, &c) || orca_engine_new(&c, &b))
                _exit(3);
            int rc = orca_journal_replay(b, path, &jc_never, &ri);
            orca_engine_free(b);
            _exit(rc == ORCA_ELOCKED ? 10 : rc == ORCA_OK ? 20 : 30);
        }
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        /* round 0: A holds it (refused); round 1: A has closed it (taken) */
        assert_int_equal(WEXITSTATUS(st), round == 0 ? 10 : 20);
        if (round == 0)
            TU_OK(orca_journal_close(A));
    }
    tu_fx_free(&fa);
    unlink(path);
}

/* ------------------------------------------------------------------------ */
/* 2. A journal renamed, unlinked or replaced while open                    */
/* ------------------------------------------------------------------------ */

static void test_replaced_sync_every(void **state)
{
    (void)state;
    char path[600], moved[600], other[600];
    for (int how = 0; how < 3; how++) { /* renamed, unlinked, replaced */
        tmp_path(path, sizeof(path), "ident");
        tmp_path(moved, sizeof(moved), "moved");
        tmp_path(other, sizeof(other), "other");
        tu_fx fa;
        orca_engine *A = centre(&fa, path, &jc_every);
        if (how == 0)
            assert_int_equal(rename(path, moved), 0);
        else if (how == 1)
            assert_int_equal(unlink(path), 0);
        else {
            write_text(other, "someone else's file");
            assert_int_equal(rename(other, path), 0);
        }
        /* the next call's sync notices: the change is made, the call says EIO */
        TU_RC(orca_agent_set_presence(A, 1, ORCA_PRESENCE_READY, 0), ORCA_EIO);
        orca_journal_info ji = jinfo(A);
        assert_int_equal(ji.failed, 1);
        assert_int_equal(ji.os_error, how == 2 ? ESTALE : ENOENT);
        TU_OK(orca_engine_check(A));
        /* a compaction does not rename over whatever is at the path now */
        TU_RC(orca_journal_compact(A), ORCA_EIO);
        ji = jinfo(A);
        assert_int_equal(ji.compact_failures, 1);
        assert_int_equal(ji.compact_error, how == 2 ? ESTALE : ENOENT);
        assert_int_equal(ji.failed, 1);
        if (how == 2)
            assert_true(same_text(path, "someone else's file"));
        else
            assert_int_equal(file_size(path), UINT64_MAX); /* nothing created */
        /* closing says why it stopped, afterwards too */
        TU_OK(orca_journal_close(A));
        orca_journal_info after;
        TU_RC(orca_journal_info_get(A, &after), ORCA_ENOENT);
        assert_int_equal(after.os_error, how == 2 ? ESTALE : ENOENT);
        tu_fx_free(&fa);
        unlink(path);
        unlink(moved);
    }
}

/* SYNC_NEVER: noticed within 1,024 records; and at once by a compaction
 * (the defect: it renamed its snapshot over the other file). */
static void test_replaced_sync_never(void **state)
{
    (void)state;
    char path[600], other[600];
    tmp_path(path, sizeof(path), "identn");
    tmp_path(other, sizeof(other), "othern");
    tu_fx fa;
    orca_engine *A = centre(&fa, path, &jc_never);
    write_text(other, "someone else's file");
    assert_int_equal(rename(other, path), 0);
    TU_RC(orca_journal_compact(A), ORCA_EIO);
    assert_true(same_text(path, "someone else's file"));
    orca_journal_info ji = jinfo(A);
    assert_int_equal(ji.failed, 1);
    assert_int_equal(ji.os_error, ESTALE);
    assert_int_equal(ji.compact_error, ESTALE);
    tu_fx_free(&fa);

    /* records only: the check comes within 1,024 of them */
    tmp_path(path, sizeof(path), "identn2");
    A = centre(&fa, path, &jc_never);
    assert_int_equal(unlink(path), 0);
    int k, rc = ORCA_OK;
    for (k = 0; k < 1100 && rc == ORCA_OK; k++)
        rc = orca_agent_set_presence(A, 1, k % 2 ? ORCA_PRESENCE_READY : ORCA_PRESENCE_OFFLINE, 0);
    TU_RC(rc, ORCA_EIO);
    assert_true(k <= 1024);
    assert_int_equal(jinfo(A).os_error, ENOENT);
    /* stopped: the next calls succeed and write nothing */
    TU_OK(orca_agent_set_presence(A, 1, ORCA_PRESENCE_NOT_READY, 3));
    tu_fx_free(&fa);
}

/* orca_journal_sync, the host's group commit: a sync now when something
 * was written since the last one (and the path check that goes with any
 * sync), nothing at all when not; clear errors without a journal or
 * after it stopped. */
static void test_sync_on_demand(void **state)
{
    (void)state;
    char path[600];
    tu_fx fa;
    TU_RC(orca_journal_sync(NULL), ORCA_EINVAL);
    orca_engine *A = tu_fx_new(&fa, NULL);
    TU_RC(orca_journal_sync(A), ORCA_ESTATE);
    tu_fx_free(&fa);

    tmp_path(path, sizeof(path), "sync");
    A = centre(&fa, path, &jc_never);
    TU_OK(orca_journal_sync(A));
    /* Nothing written since: no sync, so no path check either. */
    assert_int_equal(unlink(path), 0);
    TU_OK(orca_journal_sync(A));
    assert_int_equal(jinfo(A).failed, 0);
    /* One record: the sync runs and its check finds the file gone. */
    TU_OK(orca_agent_set_presence(A, 1, ORCA_PRESENCE_READY, 0));
    TU_RC(orca_journal_sync(A), ORCA_EIO);
    orca_journal_info ji = jinfo(A);
    assert_int_equal(ji.failed, 1);
    assert_int_equal(ji.os_error, ENOENT);
    /* Stopped: nothing is durable any more, and it says so each time. */
    TU_RC(orca_journal_sync(A), ORCA_EIO);
    tu_fx_free(&fa);
}

/* Automatic compaction checks too: the call that triggers it says EIO. */
static void test_replaced_auto_compact(void **state)
{
    (void)state;
    char path[600], other[600];
    tmp_path(path, sizeof(path), "identa");
    tmp_path(other, sizeof(other), "othera");
    orca_journal_config jc = { .sync = ORCA_SYNC_NEVER, .compact_bytes = 1 };
    tu_fx fa;
    orca_engine *A = centre(&fa, path, &jc);
    assert_true(jinfo(A).compactions > 0);
    write_text(other, "someone else's file");
    assert_int_equal(rename(other, path), 0);
    TU_RC(orca_agent_set_presence(A, 1, ORCA_PRESENCE_READY, 0), ORCA_EIO);
    assert_true(same_text(path, "someone else's file"));
    assert_int_equal(jinfo(A).os_error, ESTALE);
    tu_fx_free(&fa);
    unlink(path);
}

/* ------------------------------------------------------------------------ */
/* 3. A FIFO (not a regular file) as the journal                            */
/* ------------------------------------------------------------------------ */

static void test_fifo(void **state)
{
    (void)state;
    char path[600];
    tmp_path(path, sizeof(path), "fifo");
    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(10); /* before the fix, open(2) waited for a writer forever */
    orca_config c;
    errno = 0;
    TU_RC(orca_journal_read_config(path, &c), ORCA_EIO);
    assert_int_equal(errno, EINVAL);
    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, NULL);
    orca_journal_info ri;
    TU_FAILS(A, orca_journal_replay(A, path, &jc_never, &ri), ORCA_EIO);
    assert_int_equal(ri.os_error, EINVAL);
    orca_journal_info ji;
    TU_RC(orca_journal_info_get(A, &ji), ORCA_ENOENT);
    assert_int_equal(ji.os_error, EINVAL);
    TU_FAILS(A, orca_journal_open(A, path, &jc_never), ORCA_EEXIST);
    /* a directory and a device: the same */
    TU_FAILS(A, orca_journal_replay(A, g_dir, &jc_never, &ri), ORCA_EIO);
    assert_int_not_equal(ri.os_error, 0);
    TU_RC(orca_journal_read_config("/dev/null", &c), ORCA_EIO);
    assert_int_equal(errno, EINVAL);
    alarm(0);
    tu_fx_free(&fa);
    unlink(path);
}

/* ------------------------------------------------------------------------ */
/* 4. Every journal error names the cause                                   */
/* ------------------------------------------------------------------------ */

static void test_errors_name_the_cause(void **state)
{
    (void)state;
    char path[600], nodir[700];
    tmp_path(path, sizeof(path), "exists");
    snprintf(nodir, sizeof(nodir), "%s/no/such/dir.jrnl", g_dir);
    tu_fx fa;
    orca_engine *A = tu_fx_new(&fa, NULL);
    orca_journal_info ji;
    /* nothing failed yet: no journal, no error */
    TU_RC(orca_journal_info_get(A, &ji), ORCA_ENOENT);
    assert_int_equal(ji.os_error, 0);
    /* an existing file */
    write_text(path, "a file");
    errno = 0;
    TU_FAILS(A, orca_journal_open(A, path, &jc_never), ORCA_EEXIST);
    assert_int_equal(errno, EEXIST);
    assert_non_null(strstr(orca_strerror(ORCA_EEXIST), "file"));
    TU_RC(orca_journal_info_get(A, &ji), ORCA_ENOENT);
    assert_int_equal(ji.os_error, EEXIST);
    assert_true(same_text(path, "a file"));
    /* a missing folder: EIO, and the cause is ENOENT */
    errno = 0;
    TU_FAILS(A, orca_journal_open(A, nodir, &jc_never), ORCA_EIO);
    assert_int_equal(errno, ENOENT);
    TU_RC(orca_journal_info_get(A, &ji), ORCA_ENOENT);
    assert_int_equal(ji.os_error, ENOENT);
    assert_non_null(strstr(orca_strerror(ORCA_EIO), "os_error"));
    /* replay and read_config of a missing file */
    orca_journal_info ri;
    TU_FAILS(A, orca_journal_replay(A, nodir, &jc_never, &ri), ORCA_ENOENT);
    assert_int_equal(ri.os_error, ENOENT);
    orca_config c;
    errno = 0;
    TU_RC(orca_journal_read_config(nodir, &c), ORCA_ENOENT);
    assert_int_equal(errno, ENOENT);
    /* a file that cannot be written (unless we are root) */
    if (geteuid() != 0) {
        char ro[600];
        tmp_path(ro, sizeof(ro), "ro");
        tu_fx fb;
        orca_engine *B = centre(&fb, ro, &jc_never);
        TU_OK(orca_journal_close(B));
        tu_fx_free(&fb);
        assert_int_equal(chmod(ro, 0400), 0);
        B = engine_for(&fb, ro);
        TU_FAILS(B, orca_journal_replay(B, ro, &jc_never, &ri), ORCA_EIO);
        assert_int_equal(ri.os_error, EACCES);
        TU_RC(orca_journal_info_get(B, &ji), ORCA_ENOENT);
        assert_int_equal(ji.os_error, EACCES);
        tu_fx_free(&fb);
        unlink(ro);
    }
    /* a success clears it */
    unlink(path);
    TU_OK(orca_journal_open(A, path, &jc_never));
    TU_OK(orca_journal_close(A));
    TU_RC(orca_journal_info_get(A, &ji), ORCA_ENOENT);
    assert_int_equal(ji.os_error, 0);
    tu_fx_free(&fa);
    unlink(path);
}

/* ------------------------------------------------------------------------ */
/* 6. A failed automatic compaction is counted                              */
/* ------------------------------------------------------------------------ */

static void test_auto_compact_enomem_counted(void **state)
{
    (void)state;
    char path[600];
    tmp_path(path, sizeof(path), "cnomem");
    orca_journal_config jc = { .sync = ORCA_SYNC_NEVER, .compact_bytes = 1 };
    tu_fx fa;
    orca_engine *A = centre(&fa, path, &jc);
    orca_journal_info j0 = jinfo(A);
    /* the call's own work allocates nothing; the compaction after it
     * (a snapshot buffer) is the first allocation and fails */
    fa.alloc.fail_at = fa.alloc.attempts + 1;
    fa.alloc.fail_after = 1;
    int rc = orca_agent_set_presence(A, 1, ORCA_PRESENCE_READY, 0);
    fa.alloc.fail_at = 0;
    fa.alloc.fail_after = 0;
    orca_journal_info ji = jinfo(A);
    /* the call itself succeeded (or said ENOMEM and changed nothing) */
    assert_true(rc == ORCA_OK || rc == ORCA_ENOMEM);
    if (rc == ORCA_OK) {
        assert_int_equal(ji.compactions, j0.compactions);
        assert_int_equal(ji.compact_failures, j0.compact_failures + 1);
        assert_int_equal(ji.compact_error, ENOMEM);
        assert_int_equal(ji.failed, 0);
    }
    assert_int_equal(rc, ORCA_OK);
    /* the journal carries on, and compacts again once memory is back */
    TU_OK(orca_agent_set_presence(A, 1, ORCA_PRESENCE_NOT_READY, 2));
    assert_true(jinfo(A).compactions > j0.compactions);
    tu_fx_free(&fa);
    unlink(path);
}

static int teardown(void **state)
{
    (void)state;
    if (g_dir[0])
        rmdir(g_dir); /* (each test unlinks its files) */
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_same_process),
        cmocka_unit_test(test_lock_other_process),
        cmocka_unit_test(test_replaced_sync_every),
        cmocka_unit_test(test_replaced_sync_never),
        cmocka_unit_test(test_replaced_auto_compact),
        cmocka_unit_test(test_sync_on_demand),
        cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_errors_name_the_cause),
        cmocka_unit_test(test_auto_compact_enomem_counted),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
