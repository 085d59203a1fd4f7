/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsisoctl: see, check and explain pam_nsiso sessions. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/proto.h"
#include "../common/record.h"
#include "ctl.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: nsisoctl check [FILE...] [--pam-dir DIR]\n"
		"       nsisoctl explain USER [--conf FILE]\n"
		"       nsisoctl status [USER] [--json]\n"
		"       nsisoctl kill SESSION | --user USER\n"
		"       nsisoctl quota [USER] [--json]\n"
		"       nsisoctl --help | --version\n"
		"\n"
		"  check     parse the conf (default /etc/security/nsiso.conf and nsiso.d/*.conf)\n"
		"            with the module's parser; print problems as file:line: reason;\n"
		"            warn of PAM services (DIR, default /etc/pam.d) that skip the module\n"
		"  explain   the effective settings for USER and the line that decided each\n"
		"  status    live isolated sessions and each user's cgroup numbers (root)\n"
		"  kill      end a session, or all sessions of a user, as at logout but\n"
		"            ending every process of the session (root)\n"
		"  quota     your own memory, swap, tasks, CPU, IO weight, OOM kills and\n"
		"            sessions, from a session's reaper (any user; root names a USER)\n"
		"\n"
		"Options: --conf FILE (explain), --json (status, quota), --user USER (kill),\n"
		"         --pam-dir DIR (check),\n"
		"         --run-dir DIR (status, kill, quota; default " NSISO_RUN_DIR_DEFAULT ").\n"
		"Exit status: 0 ok, 1 problems found or nothing matched, 2 usage, 3 no open\n"
		"session (quota), 4 not root (or another user's numbers asked for).\n");
}

static int parse_options(int argc, char **argv, struct ctl_options *o)
{
	static const struct option options[] = {
		{ "conf", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "user", required_argument, NULL, 'u' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "pam-dir", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	*o = (struct ctl_options){ .run_dir = NSISO_RUN_DIR_DEFAULT, .pam_dir = "/etc/pam.d" };
	/* GNU getopt permutes: options may come before or after operands. */
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'c': o->conf = optarg; break;
		case 'j': o->json = true; break;
		case 'u': o->user = optarg; break;
		case 'r': o->run_dir = optarg; break;
		case 'p': o->pam_dir = optarg; break;
		case 'h': usage(stdout); exit(CTL_OK);
		case 'V': printf("nsisoctl %s\n", NSISO_VERSION); exit(CTL_OK);
		default: usage(stderr); exit(CTL_USAGE);
		}
	}
	return optind;
}

int main(int argc, char **argv)
{
	struct ctl_options o;
	int first = parse_options(argc, argv, &o), n = argc - first, ret = CTL_USAGE;
	char **ops = argv + first;

	if (n == 0) {
		usage(stderr);
		return CTL_USAGE;
	}
	if (strcmp(ops[0], "check") == 0)
		ret = ctl_check(n - 1, ops + 1, &o);
	else if (strcmp(ops[0], "explain") == 0 && n == 2)
		ret = ctl_explain(ops[1], &o);
	else if (strcmp(ops[0], "status") == 0 && n <= 2) {
		if (n == 2)
			o.user = ops[1];
		ret = ctl_status(&o);
	} else if (strcmp(ops[0], "quota") == 0 && n <= 2) {
		if (n == 2)
			o.user = ops[1];
		ret = ctl_quota(&o);
	} else if (strcmp(ops[0], "kill") == 0 && ((n == 2 && !o.user) || (n == 1 && o.user)))
		ret = ctl_kill(n == 2 ? ops[1] : NULL, &o);
	else
		usage(stderr);
	return ret;
}
