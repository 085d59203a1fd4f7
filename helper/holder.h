/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The holder: PID 1 of a session's namespaces, and the one process that ends
 * the session and removes the user's cgroup when the session is over. */
#ifndef NSISO_HOLDER_H
#define NSISO_HOLDER_H

#include <stdbool.h>
#include <sys/types.h>

struct holder_config {
	unsigned isolate;		/* NSISO_NS_* bits; 0 = cgroup only */
	bool propagation_private;
	const char *hostname;		/* "" = keep the host's */
	bool keep_on_logout;
	const char *cgroup_parent;	/* NULL = no cgroup to clean up */
	uid_t uid;
	const char *session;
	int caller_pidfd;		/* the PAM application */
	int run_dir_fd;			/* where the session's record lives */
	int ready_fd;			/* write: "R", or "E<reason>" */
	int commit_fd;			/* read: "C", or EOF = give up */
	bool debug;
};

/* Runs in the child made by clone(); never returns. */
__attribute__((noreturn)) void holder_main(const struct holder_config *config);

#endif
