/*
 * powerfs.c: a simulated power cut under the journal (powerfs.h). The
 * real files change as the journal asks; alongside, per file (by inode)
 * the bytes its last fdatasync saw and, for the directory, the names its
 * last fsync saw. No real sync is done: the simulation decides what
 * survives, and /tmp need not be a disk.
 */
#define _GNU_SOURCE
#include "powerfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct pinode {
    uint64_t ino;
    uint8_t *dur;              /* the bytes at its last fdatasync */
    size_t dur_len;
} pinode;

typedef struct pname {
    char *name;
    uint64_t ino;
} pname;

struct powerfs {
    char dir[512], grave[600];
    jfile_io io;
    uint64_t calls, syncs, cut_at, rng;
    int torn, off, mid_compaction;
    unsigned ngrave;
    pinode *in;
    size_t nin;
    pname *names;              /* the directory as its last fsync saw it */
    size_t nnames;
};

static uint64_t rnd(powerfs *p)
{
    p->rng ^= p->rng << 13;
    p->rng ^= p->rng >> 7;
    p->rng ^= p->rng << 17;
    return p->rng;
}

/* The whole file behind fd or path (fd < 0), malloc'd; 0 or -1. */
static int slurp(int fd, const char *path, uint8_t **out, size_t *len)
{
    char proc[64];
    if (fd >= 0) {
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        path = proc; /* reopens for reading, even a write-only descriptor */
    }
    int rfd = open(path, O_RDONLY | O_CLOEXEC);
    if (rfd < 0)
        return -1;
    size_t cap = 4096, n = 0;
    uint8_t *b = malloc(cap);
    for (ssize_t r = 1; b && r > 0;) {
        if (n == cap) {
            uint8_t *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
        }
        r = read(rfd, b + n, cap - n);
        if (r < 0) {
            free(b);
            b = NULL;
        } else {
            n += (size_t)r;
        }
    }
    close(rfd);
    if (!b)
        return -1;
    *out = b;
    *len = n;
    return 0;
}

static pinode *inode(powerfs *p, uint64_t ino, int add)
{
    for (size_t k = 0; k < p->nin; k++)
        if (p->in[k].ino == ino)
            return &p->in[k];
    if (!add)
        return NULL;
    pinode *n = realloc(p->in, (p->nin + 1) * sizeof *n);
    if (!n)
        return NULL;
    p->in = n;
    n[p->nin] = (pinode){ ino, NULL, 0 };
    return &p->in[p->nin++];
}

static void free_names(powerfs *p)
{
    for (size_t k = 0; k < p->nnames; k++)
        free(p->names[k].name);
    free(p->names);
    p->names = NULL;
    p->nnames = 0;
}

/* The directory's names now become its durable names. */
static int snapshot_dir(powerfs *p)
{
    DIR *d = opendir(p->dir);
    struct dirent *de;
    if (!d)
        return -1;
    free_names(p);
    while ((de = readdir(d))) {
        char path[1200];
        struct stat st;
        if (de->d_name[0] == '.' && (!de->d_name[1] || de->d_name[1] == '.' ||
                                     strcmp(de->d_name, ".graveyard") == 0))
            continue;
        snprintf(path, sizeof path, "%s/%s", p->dir, de->d_name);
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        pname *n = realloc(p->names, (p->nnames + 1) * sizeof *n);
        if (!n || !(n[p->nnames].name = strdup(de->d_name))) {
            if (n)
                p->names = n;
            closedir(d);
            errno = ENOMEM;
            return -1;
        }
        p->names = n;
        n[p->nnames++].ino = (uint64_t)st.st_ino;
    }
    closedir(d);
    return 0;
}

/* Is a compaction's new file there (being written, or not yet renamed)? */
static int compact_file_exists(const powerfs *p)
{
    DIR *d = opendir(p->dir);
    struct dirent *de;
    int found = 0;
    while (d && (de = readdir(d)))
        if (strstr(de->d_name, ".compact"))
            found = 1;
    if (d)
        closedir(d);
    return found;
}

/* Every call passes here first: the one numbered cut_at, and every one
 * after, find the power off and do nothing. */
static int gate_(powerfs *p, const char *what, long arg)
{
    p->calls++;
    if (getenv("ORCA_POWER_TRACE"))
        fprintf(stderr, "pfs %llu %s %ld%s\n", (unsigned long long)p->calls, what, arg, p->off || (p->cut_at && p->calls >= p->cut_at) ? " OFF" : "");
    if (!p->off && p->cut_at && p->calls >= p->cut_at) {
        p->off = 1;
        p->mid_compaction = compact_file_exists(p);
    }
    if (p->off) {
        errno = EIO;
        return -1;
    }
    return 0;
}

/* Keep the file at path alive under the graveyard, so its inode number
 * is not reused while we still know it. */
static int bury(powerfs *p, const char *path)
{
    char g[700];
    snprintf(g, sizeof g, "%s/%u", p->grave, p->ngrave++);
    return link(path, g) == 0 || errno == ENOENT ? 0 : -1;
}

#define gate(p) gate_((p), __func__, 0)

static ssize_t pf_write(void *data, int fd, const void *b, size_t n)
{
    return gate_(data, "write", (long)n) ? -1 : write(fd, b, n);
}

static int pf_fdatasync(void *data, int fd)
{
    powerfs *p = data;
    struct stat st;
    uint8_t *b;
    size_t n;
    if (gate(p))
        return -1;
    if (fstat(fd, &st) != 0 || slurp(fd, NULL, &b, &n) != 0)
        return -1;
    pinode *in = inode(p, (uint64_t)st.st_ino, 1);
    if (!in) {
        free(b);
        errno = ENOMEM;
        return -1;
    }
    free(in->dur);
    in->dur = b;
    in->dur_len = n;
    p->syncs++;
    return 0;
}

static int pf_fsync_dir(void *data, const char *dir)
{
    powerfs *p = data;
    if (gate(p))
        return -1;
    (void)dir; /* the journal lives in p->dir */
    return snapshot_dir(p);
}

static int pf_ftruncate(void *data, int fd, off_t len)
{
    return gate(data) ? -1 : ftruncate(fd, len);
}

static int pf_rename(void *data, const char *from, const char *to)
{
    powerfs *p = data;
    if (gate(p) || bury(p, to))
        return -1;
    return rename(from, to);
}

static int pf_unlink(void *data, const char *path)
{
    powerfs *p = data;
    if (gate(p) || bury(p, path))
        return -1;
    return unlink(path);
}

powerfs *powerfs_new(const char *dir, uint64_t seed)
{
    powerfs *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    snprintf(p->dir, sizeof p->dir, "%s", dir);
    snprintf(p->grave, sizeof p->grave, "%s/.graveyard", dir);
    p->rng = seed * 2654435761u + 1;
    p->io = (jfile_io){ pf_write, pf_fdatasync, pf_fsync_dir, pf_ftruncate,
                        pf_rename, pf_unlink, p };
    if ((mkdir(p->grave, 0700) != 0 && errno != EEXIST) || snapshot_dir(p) != 0) {
        powerfs_free(p);
        return NULL;
    }
    /* What is there now counts as durable, bytes and names. */
    for (size_t k = 0; k < p->nnames; k++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", p->dir, p->names[k].name);
        pinode *in = inode(p, p->names[k].ino, 1);
        if (!in || slurp(-1, path, &in->dur, &in->dur_len) != 0) {
            powerfs_free(p);
            return NULL;
        }
    }
    return p;
}

void powerfs_free(powerfs *p)
{
    if (!p)
        return;
    for (size_t k = 0; k < p->nin; k++)
        free(p->in[k].dur);
    free(p->in);
    free_names(p);
    free(p);
}

const jfile_io *powerfs_io(powerfs *p)
{
    return &p->io;
}

void powerfs_arm(powerfs *p, uint64_t at, int torn)
{
    p->cut_at = at ? p->calls + at : 0;
    p->torn = torn;
}

uint64_t powerfs_calls(const powerfs *p)
{
    return p->calls;
}

uint64_t powerfs_syncs(const powerfs *p)
{
    return p->syncs;
}

int powerfs_is_off(const powerfs *p)
{
    return p->off;
}

int powerfs_mid_compaction(const powerfs *p)
{
    return p->mid_compaction;
}

/* Delete every regular file in dir. */
static void empty_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char path[1200];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
            unlink(path);
    }
    if (d)
        closedir(d);
}

/* Where the file with inode ino is now (the directory or the graveyard). */
static int find_ino(const powerfs *p, uint64_t ino, char *out, size_t cap)
{
    const char *dirs[2] = { p->dir, p->grave };
    for (int k = 0; k < 2; k++) {
        DIR *d = opendir(dirs[k]);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            struct stat st;
            snprintf(out, cap, "%s/%s", dirs[k], de->d_name);
            if (lstat(out, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_ino == ino) {
                closedir(d);
                return 0;
            }
        }
        if (d)
            closedir(d);
    }
    return -1;
}

/* The bytes the disk holds for ino after the cut: what its last sync saw
 * (nothing if none), and when torn, some of what was written after. */
static int survivor(powerfs *p, uint64_t ino, uint8_t **out, size_t *len)
{
    const pinode *in = inode(p, ino, 0);
    size_t dl = in ? in->dur_len : 0;
    uint8_t *now = NULL;
    size_t nl = 0, keep = dl;
    char path[1200];
    if (p->torn && find_ino(p, ino, path, sizeof path) == 0 && slurp(-1, path, &now, &nl) == 0 &&
        nl > dl && (dl == 0 || memcmp(now, in->dur, dl) == 0))
        keep = dl + (size_t)(rnd(p) % (nl - dl + 1));
    uint8_t *b = malloc(keep + 1);
    if (!b) {
        free(now);
        return -1;
    }
    if (dl)
        memcpy(b, in->dur, dl);
    if (keep > dl)
        memcpy(b + dl, now + dl, keep - dl);
    free(now);
    *out = b;
    *len = keep;
    return 0;
}

int powerfs_cut(powerfs *p)
{
    size_t n = p->nnames;
    uint8_t **bytes = calloc(n ? n : 1, sizeof *bytes);
    size_t *lens = calloc(n ? n : 1, sizeof *lens);
    int rc = bytes && lens ? 0 : -1;
    for (size_t k = 0; !rc && k < n; k++)
        rc = survivor(p, p->names[k].ino, &bytes[k], &lens[k]);
    if (!rc) {
        empty_dir(p->dir);
        empty_dir(p->grave);
    }
    for (size_t k = 0; !rc && k < n; k++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", p->dir, p->names[k].name);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || (lens[k] && write(fd, bytes[k], lens[k]) != (ssize_t)lens[k]))
            rc = -1;
        if (fd >= 0)
            close(fd);
    }
    for (size_t k = 0; bytes && k < n; k++)
        free(bytes[k]);
    free(bytes);
    free(lens);
    return rc;
}
