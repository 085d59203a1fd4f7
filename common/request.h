/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The request the module sends nsiso-helper: one decision about one session.
 *
 * It crosses the exec boundary as arguments ("open --user NAME ..."; see
 * nsiso-helper(8)).  This unit is the one place that knows their names and
 * forms: the module encodes with nsiso_request_encode(), the helper decodes
 * with nsiso_request_decode(), and a unit test round-trips every field.
 * Decoding checks the form only (numbers, choices, lengths); whether the
 * user exists or the caller is the helper's parent is the helper's to
 * check against the system. */
#ifndef NSISO_REQUEST_H
#define NSISO_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroup.h"
#include "conf.h"

#define NSISO_NAME_ARG_MAX 256		/* --user, --service, --tty */
#define NSISO_RHOST_ARG_MAX 1024	/* NI_MAXHOST, with room */
#define NSISO_RUN_DIR_ARG_MAX 200

struct nsiso_request {
	const char *user;
	uid_t uid;			/* (uid_t)-1 until given */
	pid_t caller;			/* the PAM application */
	const char *session;
	unsigned isolate;		/* NSISO_NS_* */
	bool propagation_private;
	const char *hostname;		/* "" = the host's */
	bool keep_on_logout;
	enum nsiso_private_tmp private_tmp;	/* needs NSISO_NS_MNT */
	struct nsiso_cgroup_limits limits;
	bool use_cgroup;		/* any limit given */
	const char *cgroup_parent;
	const char *service, *tty, *rhost;	/* "" when unknown */
	const char *run_dir;
	const char *systemd_unit;	/* NULL, or user-<uid>.slice */
	bool debug;
};

/* A request with every default set. */
void nsiso_request_init(struct nsiso_request *r);

/* The arguments, with room for their numbers: argv[0] is path, argv[1]
 * "open", NULL-terminated.  Texts are not copied: r must outlive args. */
struct nsiso_request_args {
	char *argv[56];
	int argc;
	char uid[16], caller[16], isolate[64], memory[24], swap[24], tasks[24];
	char memory_high[24], cpu[24], cpu_weight[24], io_weight[24];
};

void nsiso_request_encode(const struct nsiso_request *r, const char *path,
			  struct nsiso_request_args *args);

/* Parse argv[2..argc-1] (argv[1] being the verb) into r (texts point into
 * argv).  NULL, or a reason in why (the message the helper reports). */
const char *nsiso_request_decode(int argc, char *const argv[], struct nsiso_request *r,
				 char *why, size_t len);

#endif
