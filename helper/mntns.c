/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "mntns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cgroup.h"

int nsiso_mntns_of_child(pid_t holder)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)holder);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Every mount at path, from the top down (a path names only the topmost:
 * the session's /proc sits on the copy of the host's), each with all that
 * is on it, until path is a plain directory again (EINVAL).  Bounded: a
 * deeper stack is left, with ELOOP ("too many levels").  0, or -1 with
 * errno. */
static int detach_stack(const char *path)
{
	int i;

	for (i = 0; i < 64; i++) {
		if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) != 0)
			return errno == EINVAL ? 0 : -1;
	}
	errno = ELOOP;
	return -1;
}

/* detach_stack() of point; the first errno kept in *arg. */
static void detach_on_root(const char *point, void *arg)
{
	int *err = arg;

	if (detach_stack(point) != 0 && *err == 0)
		*err = errno;
}

/* Every mount whose parent is the root's, detached with all that is on it:
 * the whole tree but the root itself.  The table is read through
 * proc_self: the namespace's own /proc is its PID namespace's, which has
 * ended and never had us in it.  0, or the errno of the first that
 * failed. */
static int detach_all_on_root(int proc_self)
{
	struct statx root;
	int err = 0;

	if (statx(AT_FDCWD, "/", AT_STATX_DONT_SYNC, STATX_MNT_ID, &root) != 0 ||
	    nsiso_each_mount_on(proc_self, root.stx_mnt_id, detach_on_root, &err) != 0)
		return errno;
	return err;
}

/* In the session's namespace (our root and working directory are its). */
static int detach_tree(int proc_self)
{
	if (umount2("/", MNT_DETACH) == 0)
		return 0;
	return errno == EINVAL ? detach_all_on_root(proc_self) : errno;
}

int nsiso_mntns_detach(int mnt_ns_fd)
{
	int own = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	int proc_self = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;

	if (own < 0 || proc_self < 0 || setns(mnt_ns_fd, CLONE_NEWNS) != 0)
		err = errno;
	else
		err = detach_tree(proc_self);
	/* Back where we were: if this failed we would stay in the detached
	 * tree, where no absolute path leads anywhere; our caller's paths
	 * then fail, which is safe. */
	if (own >= 0 && setns(own, CLONE_NEWNS) != 0 && err == 0)
		err = errno;
	if (own >= 0)
		close(own);
	if (proc_self >= 0)
		close(proc_self);
	return err;
}
