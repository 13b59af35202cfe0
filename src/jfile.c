/*
 * jfile.c: opening, locking and recognising the journal's file.
 *
 * The lock: one engine writes a journal. A second one replaying it while
 * the first still appends would interleave records (the file is then
 * damaged beyond recovery), so the writer holds an exclusive lock on the
 * file for as long as it has it open, and orca_journal_open and
 * orca_journal_replay refuse a locked file (ORCA_ELOCKED). The lock must
 * hold between two engines in one process as well as between processes,
 * so it belongs to the open file, not to the process:
 *  - Linux's open file description locks (F_OFD_SETLK) do that, and they
 *    work on NFS too;
 *  - elsewhere, flock(2) does (BSD, macOS).
 * Classic fcntl (F_SETLK) locks do not: they belong to the process, so
 * a second engine in the same process would get the lock as well, and
 * closing any descriptor of the file (orca_journal_read_config does)
 * would drop it.
 * A process that forks keeps sharing the lock with its child through the
 * inherited descriptor (it is close-on-exec, so an exec drops it).
 *
 * Compaction writes the next journal beside it and renames it over the
 * old one: it locks the new file before the rename, so there is no moment
 * without a lock. Someone who opened the old file just before the rename
 * may get its lock once the old file is closed; so a lock counts only if
 * the path still names the locked file afterwards (else open again).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#define link posix_link_unused /* (see journal.c) */
#include <unistd.h>
#undef link

#include <stdbool.h>

#include "orca.h"
#include "jfile.h"

static int jfile_lock(int fd)
{
#ifdef F_OFD_SETLK
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
    if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
        return 0;
#else
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
#endif
    return errno == EACCES ? EAGAIN : errno; /* (fcntl may say either) */
}

int jfile_check(const char *path, const jfile_id *id)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno;
    return (uint64_t)st.st_dev == id->dev && (uint64_t)st.st_ino == id->ino ? 0 : ESTALE;
}

/* Close fd keeping errno (err), and say which orca code err means
 * (creating a journal, a missing path is a missing folder: ORCA_EIO). */
static int fail(int fd, int err, bool create, int *err_out)
{
    if (fd >= 0)
        close(fd);
    *err_out = err;
    errno = err;
    switch (err) {
    case ENOENT: return create ? ORCA_EIO : ORCA_ENOENT;
    case EEXIST: return ORCA_EEXIST;
    case EAGAIN: return ORCA_ELOCKED;
    default: return ORCA_EIO;
    }
}

int jfile_open(const char *path, int flags, int lock, int *fd_out, jfile_id *id, int *err)
{
    bool create = flags & O_CREAT;
    for (int tries = 0;; tries++) {
        /* O_NONBLOCK: opening a FIFO (or a device) must not wait for a
         * writer; it is refused below, and a regular file ignores it */
        int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC, 0644);
        if (fd < 0)
            return fail(-1, errno, create, err);
        struct stat st;
        if (fstat(fd, &st) != 0)
            return fail(fd, errno, create, err);
        if (!S_ISREG(st.st_mode))
            return fail(fd, EINVAL, create, err); /* a FIFO, device, socket, directory */
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0)
            return fail(fd, errno, create, err);
        id->dev = (uint64_t)st.st_dev;
        id->ino = (uint64_t)st.st_ino;
        int lerr = lock ? jfile_lock(fd) : 0;
        if (lerr)
            return fail(fd, lerr, create, err);
        /* the file locked must still be the journal (see above) */
        int cerr = lock ? jfile_check(path, id) : 0;
        if (!cerr) {
            *fd_out = fd;
            *err = 0;
            return ORCA_OK;
        }
        if (create || tries == 8)
            return fail(fd, cerr, create, err);
        close(fd); /* replaced (a compaction) since we opened it: again */
    }
}

static ssize_t sys_write(void *data, int fd, const void *p, size_t n)
{
    (void)data;
    return write(fd, p, n);
}

static int sys_fdatasync(void *data, int fd)
{
    (void)data;
    return fdatasync(fd);
}

static int sys_fsync_dir(void *data, const char *dir)
{
    (void)data;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd), err = errno;
    close(fd);
    errno = err;
    return rc;
}

static int sys_ftruncate(void *data, int fd, off_t len)
{
    (void)data;
    return ftruncate(fd, len);
}

static int sys_rename(void *data, const char *from, const char *to)
{
    (void)data;
    return rename(from, to);
}

static int sys_unlink(void *data, const char *path)
{
    (void)data;
    return unlink(path);
}

const jfile_io jfile_sys = { sys_write, sys_fdatasync, sys_fsync_dir, sys_ftruncate,
                             sys_rename, sys_unlink, NULL };
