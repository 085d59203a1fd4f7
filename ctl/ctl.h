/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsisoctl: see, check and explain isolated sessions. */
#ifndef NSISO_CTL_H
#define NSISO_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes, as in the man page. */
enum {
	CTL_OK = 0,
	CTL_PROBLEM = 1,	/* check found errors, nothing to kill, ... */
	CTL_USAGE = 2,
	CTL_NO_SESSION = 3,	/* quota: the user has no open session */
	CTL_NOT_ROOT = 4,	/* status, kill; quota: another user's numbers */
};

struct ctl_options {
	const char *conf;	/* explain --conf */
	const char *run_dir;
	const char *pam_dir;	/* check --pam-dir */
	const char *user;	/* kill --user, status USER, quota USER */
	bool json;
};

int ctl_check(int n_files, char **files, const struct ctl_options *options);
/* check's warnings on a local MTA that runs users' commands (mail.c). */
void ctl_warn_mail_doors(void);
/* check's warnings on the PAM services a user's programs start through,
 * the files of pam_dir: where pam_nsiso is in some, each without it, each
 * where its failure is ignored, each that runs it twice (doors.c). */
void ctl_warn_pam_doors(const char *pam_dir);
int ctl_explain(const char *user, const struct ctl_options *options);
int ctl_status(const struct ctl_options *options);
int ctl_kill(const char *session, const struct ctl_options *options);
int ctl_quota(const struct ctl_options *options);

/* The run directory for root's commands (status.c): CTL_OK with *fd, or -1
 * when it does not exist; else the exit code, the error printed. */
int ctl_open_run_dir(const struct ctl_options *options, int *fd);

/* Output shared by status and quota (output.c): times, sizes and counts
 * ("-" when unknown), JSON members (null when unknown). */
void time_text(long long t, char *buf, size_t len);
void size_or_dash(uint64_t v, char *buf, size_t len);
void count_or_dash(uint64_t v, char *buf, size_t len, const char *none);
void json_string(const char *key, const char *value, const char *after);
void json_number(const char *key, uint64_t v, const char *after);

#endif
