/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The holder: PID 1 of a session's namespaces, and the one process that ends
 * the session's processes when it is over.  What is left after it (the
 * record, the user's cgroup) the reaper removes (reaper.h). */
#ifndef NSISO_HOLDER_H
#define NSISO_HOLDER_H

#include <stdbool.h>
#include <sys/types.h>

#include "../common/conf.h"

struct holder_config {
	unsigned isolate;		/* NSISO_NS_* bits; 0 = cgroup only */
	bool propagation_private;
	const char *hostname;		/* "" = keep the host's */
	bool keep_on_logout;
	enum nsiso_private_tmp private_tmp;
	uid_t uid;			/* the user: private /tmp, cgroup ns */
	gid_t gid;
	const char *session;
	int caller_pidfd;		/* the PAM application */
	int ready_fd;			/* write: enum nsiso_sync */
	int commit_fd;			/* socket: enum nsiso_sync, EOF = give up */
	bool debug;
};

/* Ask never to be the OOM killer's pick (oom_score_adj -1000).  Needs
 * CAP_SYS_RESOURCE, which root lacks on some hosts; there, in cgroup v1,
 * the holder and the reaper live outside the user's memory group anyway
 * (only in its tasks group), so the user's OOM kills never reach them. */
void nsiso_protect_from_oom(void);

/* 0, 1 and 2 to /dev/null: the login's terminal is not ours. */
void nsiso_detach_stdio(void);

/* Runs in the child made by clone(); never returns. */
__attribute__((noreturn)) void holder_main(const struct holder_config *config);

#endif
