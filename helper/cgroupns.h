/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The session's cgroup namespace (isolate ...,cgroup).  A cgroup namespace is
 * rooted, in each hierarchy, at the cgroup of the process that makes it, and
 * the session must see "/" where it is.  So the namespace is made once the
 * user's group exists, by a short-lived child of the helper that first
 * enters every cgroup the application is in, or is about to enter: the
 * cgroup.procs files the helper opened for the application (own mode), and
 * in every other hierarchy the application's current cgroup (on a systemd
 * host, where systemd placed it, which may have happened after the helper
 * was forked).  The holder then joins it through a namespace fd. */
#ifndef NSISO_CGROUPNS_H
#define NSISO_CGROUPNS_H

#include <stddef.h>
#include <sys/types.h>

#include "../common/cgroup.h"
#include "../common/proto.h"

/* An fd of a new cgroup namespace rooted where the application (the
 * helper's parent, caller; its pidfd tells it is still the same process) is
 * or will be, counted against uid's namespace limit (nscharge.h);
 * procs_fds are the application's way into the user's group (-1 where
 * none).  The maker is waited for at most wait_ms.  The fd, or -1 with
 * *failure and a reason in err. */
int nsiso_cgroupns_make(pid_t caller, int caller_pidfd, uid_t uid,
			const int procs_fds[NSISO_CGROUP_PROCS_MAX], int wait_ms,
			enum nsiso_failure *failure, char *err, size_t len);

/* The most cgroups a process enters at once here: one per hierarchy. */
#define NSISO_FOLLOW_MAX 32

/* Into the application's cgroup in every hierarchy, by our own hand, as
 * an exec'd helper (its child) would have been from the start: the broker's
 * worker, before it makes the holder and the reaper.  Not into one a user
 * can reach (nsiso_cgroup_leave_user_reachable()): there it stays where the
 * broker is, as an exec'd helper leaves it.  The mover fds it went through
 * (nsiso_cgroup_open_mover(): we are one thread) go to movers (*n_movers of
 * them, ours to close): the holder and the reaper its spare made ahead
 * follow through them once they have the session (member.h), each by its
 * own hand, as no move by PID could without the kernel's grace period.  0,
 * or -1 with a reason in err. */
int nsiso_cgroup_follow_caller(pid_t caller, int caller_pidfd, int movers[NSISO_FOLLOW_MAX],
			       size_t *n_movers, char *err, size_t len);

/* An exec'd helper, before it takes any lock or makes anything: out of
 * each of its cgroups (its parent's, the application's) that a user can
 * reach, into the top of that hierarchy.  A user can reach a cgroup when
 * it, one of its ancestors up to the mount point, or their cgroup.procs,
 * cgroup.freeze, cgroup.kill, tasks or freezer.state (v1) is not root's or
 * is writable by group or others (a delegated subtree: a user's systemd
 * manager, or one chowned to them); its owner could move, freeze or kill a
 * root process in it (v2 checks no uid for a move within a delegated
 * subtree), one holding cgroup.lock too.  A scope of ours in user uid's
 * slice outside the cgroup namespace we were started in (systemd's, for a
 * login from inside a session) is left as it is: root's, and not mounted
 * here.  0, or -1 with a reason. */
int nsiso_cgroup_leave_user_reachable(uid_t uid, char *err, size_t len);

/* A broker's spare, before it accepts: the pages of its buffers that
 * nsiso_cgroup_follow_caller() will fill made its own now, not copied one
 * page fault at a time in the middle of a login. */
void nsiso_cgroupns_rehearse(void);

#endif
