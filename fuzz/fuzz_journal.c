/*
 * fuzz_journal.c: libFuzzer harness for the journal reader.
 *
 * The input is a journal file: orca_journal_read_config() and
 * orca_journal_replay() must never crash, leak or trip a sanitizer on it,
 * whatever it holds; when the replay succeeds the engine must pass
 * orca_engine_check() and take more calls (journaling on).
 *
 * Random bytes almost never carry a valid XXH64, so most inputs would stop
 * at the checksums. The first input byte picks a mode:
 *   even: the rest is the file as it is;
 *   odd:  the rest is fixed up first: the header's checksum (its last 8
 *         bytes, XXH64 of the bytes before) and each record's framing
 *         ([u32 length][u32 ~length][u64 seq][u8 op][payload][u64
 *         XXH64(seq..payload)]: lengths clamped to the file, sequence
 *         numbers 1, 2, ..., checksums recomputed), so the payload decoder
 *         and the replayed calls are what gets fuzzed.
 * The header length is learnt from a journal opened at start-up.
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

static char g_path[256];
static size_t g_hdr = 116;

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
    unlink(g_path);
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
        if (orca_journal_open(e, g_path, &(orca_journal_config){ ORCA_SYNC_NEVER, 0 }) == ORCA_OK &&
            orca_journal_info_get(e, &ji) == ORCA_OK)
            g_hdr = (size_t)ji.bytes;
        orca_engine_free(e);
    }
    unlink(g_path);
    atexit(remove_file);
    return 0;
}

static void fix_up(uint8_t *p, size_t n)
{
    if (n < g_hdr)
        return;
    put_u64(p + g_hdr - 8, XXH64(p, g_hdr - 8, 0));
    size_t at = g_hdr;
    uint64_t seq = 0;
    const uint32_t rec_min = 8 + 1 + 8;
    while (n - at >= 8 + rec_min) {
        uint32_t len = get_u32(p + at);
        if (len < rec_min)
            len = rec_min + (len % 16);
        if ((size_t)len > n - at - 8)
            len = (uint32_t)(n - at - 8);
        put_u32(p + at, len);
        put_u32(p + at + 4, ~len);
        uint8_t *rec = p + at + 8;
        put_u64(rec, ++seq);
        put_u64(rec + len - 8, XXH64(rec, len - 8, 0));
        at += 8 + (size_t)len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int mode = data[0] & 1;
    data++;
    size--;
    uint8_t *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    memcpy(p, data, size);
    if (mode)
        fix_up(p, size);
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
    free(p);

    orca_config cfg;
    if (orca_journal_read_config(g_path, &cfg) != ORCA_OK)
        return 0;
    orca_engine *e;
    if (orca_engine_new(&cfg, &e) != ORCA_OK)
        return 0;
    orca_journal_config jc = { .sync = ORCA_SYNC_NEVER, .interval_ms = 0 };
    orca_journal_info ri;
    int rc = orca_journal_replay(e, g_path, &jc, &ri);
    if (orca_engine_check(e) != ORCA_OK) {
        fprintf(stderr, "orca_engine_check failed after a replay that returned %s\n",
                orca_strerror(rc));
        abort();
    }
    if (rc == ORCA_OK) {
        /* the engine goes on, journaling */
        uint64_t now = orca_engine_now(e);
        if (now + 1000 < ((uint64_t)1 << 46)) {
            rc = orca_engine_advance(e, now + 1000);
            if (rc != ORCA_OK && rc != ORCA_EIO) {
                fprintf(stderr, "advance after a replay: %s\n", orca_strerror(rc));
                abort();
            }
        }
        if (orca_engine_check(e) != ORCA_OK)
            abort();
        orca_journal_close(e);
    }
    orca_engine_free(e);
    return 0;
}
