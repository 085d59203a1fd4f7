/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Running nsiso-helper from inside the PAM application. */
#ifndef PAM_NSISO_SPAWN_H
#define PAM_NSISO_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "../common/cgroup.h"
#include "../common/proto.h"

struct helper_result {
	int holder_pidfd;	/* -1 on failure */
	pid_t holder_pid;	/* in the caller's PID namespace */
	/* cgroup.procs of each leaf of the user's group we must enter (by
	 * writing "0": we move ourselves), -1 for none */
	int procs_fds[NSISO_CGROUP_PROCS_MAX];
	enum nsiso_failure failure;	/* why it failed: may on_error apply? */
	char reason[512];	/* why it failed */
};

/* fork+exec the helper with argv (argv[0] = path), an empty environment and
 * only the reply channel open; wait at most NSISO_OPEN_TIMEOUT_MS.  0 on
 * success, -1 with result->reason set. */
int nsiso_run_helper(const char *path, char *const argv[], struct helper_result *result);

/* The same request to a running broker (helper/broker.h) at path: 0 on
 * success, -1 when it took the request and it failed (as the helper's
 * failures), 1 when it did not take it (absent, not root's, full, silent
 * for NSISO_BROKER_TAKE_MS, or it passed): nothing was built, result->reason
 * says why, and the helper is to be run instead. */
int nsiso_ask_broker(const char *path, char *const argv[], struct helper_result *result);

/* Makes the fd handed to the helper: it, or -1 with *failure and why set. */
typedef int (*nsiso_fd_maker)(void *ctx, enum nsiso_failure *failure, char *why, size_t len);

/* The helper with argv, a mode that takes one fd: once it says "ready" (it
 * is out of its user's reach), make_fd(ctx) makes the fd, which goes to the
 * helper as the channel's message and is closed here; the helper answers
 * "ok" or why not.  At most timeout_ms, then it is killed.  0, or -1 with
 * *failure and why set. */
int nsiso_run_helper_with(const char *path, char *const argv[], nsiso_fd_maker make_fd,
			  void *ctx, int timeout_ms, enum nsiso_failure *failure, char *why,
			  size_t len);

#endif
