/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Locks of one user: an open file description lock (F_OFD_SETLK) on byte
 * <uid> of a root-only lock file in the run directory.  One user's lock
 * never waits for another's, and it goes with the last fd of its open file
 * description, however the holder ends. */
#ifndef NSISO_UIDLOCK_H
#define NSISO_UIDLOCK_H

#include <stdbool.h>
#include <sys/types.h>

/* Byte uid of fd's file locked with type (F_RDLCK shared, F_WRLCK
 * exclusive), waited for at most wait_ms, measured (a loaded machine sleeps
 * longer than asked), by polling every 2 ms: F_OFD_SETLKW has no time-out.
 * 0 with wait_ms 0 tries once.  0, or -1 with errno (ETIMEDOUT when still
 * held by another at the end). */
int nsiso_lock_uid_byte(int fd, uid_t uid, short type, int wait_ms);

/* fd's whole file locked with type as an open file description lock, one
 * try (a lock a remover takes before it unlinks the file, and its readers'
 * lock).  0, or -1 with errno: nsiso_lock_is_held() when another has it. */
int nsiso_lock_whole_once(int fd, short type);

/* fd's whole file locked with type as an open file description lock,
 * waited for in the same way as nsiso_lock_uid_byte().  0, or -1 with errno
 * (ETIMEDOUT when still held by another at the end). */
int nsiso_lock_whole(int fd, short type, int wait_ms);

/* Whether fd is the file name leads to in dir_fd now (not removed or
 * replaced since it was opened): a lock on a file its last user removes
 * counts only while it is. */
bool nsiso_still_named(int dir_fd, int fd, const char *name);

/* A lock file its last user removes (a user's file in the run directory):
 * name in dir_fd write-locked as a whole, one try, and still the file the
 * name leads to; opened again, at most tries times 1 ms apart, when it was
 * replaced since it was opened.  The fd, or -1 with errno: ENOENT when there is no
 * such file, nsiso_lock_is_held() when another holds it, ESTALE when it
 * kept being replaced. */
int nsiso_take_named_file(int dir_fd, const char *name, int tries);

/* Whether a try's errno says another holds the lock: EAGAIN (EWOULDBLOCK),
 * or EACCES (fcntl(2) allows both). */
bool nsiso_lock_is_held(int err);

/* A shared flock(2) of fd's whole file, waited for in the same way (what
 * an older release's helper took exclusively: the cgroup lock keeps it
 * out).  0, or -1 with errno (ETIMEDOUT). */
int nsiso_lock_whole_shared(int fd, int wait_ms);

#endif
