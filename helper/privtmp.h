/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* private_tmp: a user's own /tmp and /var/tmp, shared by all of the user's
 * sessions that ask for it, bind-mounted over /tmp and /var/tmp in each
 * session's mount namespace.  On the file system of each (so /tmp stays a
 * tmpfs where the host's is one, and /var/tmp stays on disk):
 *
 *   /tmp/.nsiso-tmp                     root:root 0700  nobody else passes
 *   /tmp/.nsiso-tmp/<uid>               root:root 1777  the user's /tmp, sticky
 *   /tmp/.nsiso-tmp/<uid>.gone.<hex>    being removed
 *   /var/tmp/.nsiso-tmp/...             the same for /var/tmp
 *
 * Every step is relative to a directory fd opened without following a
 * symbolic link and checked with fstat; the bind mount is made from the fd
 * (open_tree, move_mount), never from a path.  A base directory someone
 * planted in /tmp or /var/tmp before root made it is moved aside, not used.
 *
 * Who removes the directories: the reaper of the user's last session.
 * "Last" is decided by a lock, not by counting: every session with
 * private_tmp holds a shared OFD lock on the whole of
 * /run/nsiso/user-<uid>.private-tmp (the default run directory whatever
 * run_dir= says: the directories are the machine's) from before its holder
 * is made until the holder ends; a reaper that gets the exclusive lock
 * knows no session of the user is using or making the directories, moves
 * them away and removes the file while it holds that lock.  A session
 * whose lock lands on a removed file starts again on a new one.  Where a
 * release of before left /run/nsiso/private-tmp.lock, sessions hold their
 * byte <uid> of it too, and reapers take it as well (privtmp.c). */
#ifndef NSISO_PRIVTMP_H
#define NSISO_PRIVTMP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define NSISO_PRIVATE_TMP_BASE ".nsiso-tmp"
/* The user's lock file in the default run directory. */
#define NSISO_PRIVATE_TMP_FILE_FORMAT "user-%u.private-tmp"
/* What the sessions of a release of before lock a byte of (privtmp.c). */
#define NSISO_PRIVATE_TMP_LOCK_NAME "private-tmp.lock"

/* A directory nobody but root can change: root's, and writable by others
 * only when sticky (/tmp), where they can neither rename nor remove what is
 * root's. */
bool nsiso_trusted_dir(const struct stat *st);

/* The user's share of the private /tmp lock: fds, -1 when not held. */
struct nsiso_privtmp_locks {
	int file;	/* the user's file, read-locked */
	int legacy;	/* byte <uid> of private-tmp.lock, where a release of
			 * before left the file (privtmp.c) */
};

/* The helper, before it makes the holder: the user's shared locks in
 * lock_dir_fd (the default run directory), which the holder inherits (or,
 * made ahead, is given) and keeps; the user's file made if missing, root's, 0600.  Waits at most
 * wait_ms (what is left of the open's time budget) for a reaper that is
 * moving the user's directories away.  0, or -1 with errno (ETIMEDOUT for
 * the wait) and a reason in err, nothing held. */
int nsiso_privtmp_hold(int lock_dir_fd, uid_t uid, int wait_ms, struct nsiso_privtmp_locks *locks,
		       char *err, size_t len);

/* The holder, in the session's new mount namespace, before any process of
 * the user is in it: find or make the user's directories and mount them on
 * /tmp and /var/tmp (a host without /var/tmp gets only /tmp).  0, or -1
 * with a reason in err; *host_fault tells whether the host's set-up
 * explains the failure (no /tmp, a read-only file system, a kernel that
 * refuses the mount) rather than anything a user could do. */
int nsiso_privtmp_mount(uid_t uid, bool *host_fault, char *err, size_t len);

/* The reaper, after the holder has ended: when no other session of the
 * user holds the lock, move the user's directories aside (so that a new
 * session makes fresh ones at once) and remove them, as root, without
 * following a symbolic link or entering a mount point. */
void nsiso_privtmp_release(int lock_dir_fd, uid_t uid, const char *session);

#endif
