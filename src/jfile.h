/*
 * jfile.h: the journal's file as the operating system sees it (jfile.c):
 * opened without blocking on what is not a regular file, locked against a
 * second engine, and recognised by its identity (device and inode) so a
 * journal renamed, unlinked or replaced under an open engine is noticed.
 */
#ifndef ORCA_JFILE_H
#define ORCA_JFILE_H

#include <stdint.h>
#include <sys/types.h>

typedef struct jfile_id {
    uint64_t dev, ino;
} jfile_id;

/* Open path with flags (O_RDONLY, O_RDWR, O_WRONLY | O_CREAT | O_EXCL, or
 * O_WRONLY | O_CREAT | O_TRUNC for a compaction's new file)
 * and check it is a regular file; with lock, also take the journal's lock.
 * ORCA_OK with *fd and *id; else *err is the errno that says why and the
 * answer is ORCA_ENOENT (no such file, without O_CREAT), ORCA_EEXIST (it
 * exists, with O_EXCL), ORCA_ELOCKED (another engine holds it) or ORCA_EIO
 * (anything else; EINVAL: not a regular file). */
int jfile_open(const char *path, int flags, int lock, int *fd, jfile_id *id, int *err);
/* Is path still the file id? 0, or ENOENT (gone: renamed or unlinked),
 * ESTALE (another file is there), or stat's errno. */
int jfile_check(const char *path, const jfile_id *id);

/*
 * Everything the journal does that decides what survives a power cut (its
 * writes, syncs, truncations, renames and unlinks) goes through this table,
 * one per engine (orca_engine.jio). It is the system calls (jfile_sys)
 * unless a test sets another (jrn_set_io), to record each one and cut the
 * power between any two (tests/powerfs.c). Each answers as the system
 * call does: -1 with errno on failure.
 */
typedef struct jfile_io {
    ssize_t (*write)(void *data, int fd, const void *p, size_t n);
    int (*fdatasync)(void *data, int fd);
    int (*fsync_dir)(void *data, const char *dir); /* open, fsync, close */
    int (*ftruncate)(void *data, int fd, off_t len);
    int (*rename)(void *data, const char *from, const char *to);
    int (*unlink)(void *data, const char *path);
    void *data;
} jfile_io;

/* The system calls themselves (data unused). */
extern const jfile_io jfile_sys;

#endif
