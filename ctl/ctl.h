/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsisoctl: see, check and explain isolated sessions. */
#ifndef NSISO_CTL_H
#define NSISO_CTL_H

#include <stdbool.h>

/* Exit codes, as in the man page. */
enum {
	CTL_OK = 0,
	CTL_PROBLEM = 1,	/* check found errors, nothing to kill, ... */
	CTL_USAGE = 2,
	CTL_NOT_ROOT = 4,
};

struct ctl_options {
	const char *conf;	/* explain --conf */
	const char *run_dir;
	const char *user;	/* kill --user, status USER */
	bool json;
};

int ctl_check(int n_files, char **files);
int ctl_explain(const char *user, const struct ctl_options *options);
int ctl_status(const struct ctl_options *options);
int ctl_kill(const char *session, const struct ctl_options *options);

#endif
