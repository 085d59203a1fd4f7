/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* vghelper: a stand-in for pam_nsiso's helper= that runs the real helper
 * (NSISO_REAL_HELPER) under valgrind memcheck, in the same process (so the
 * helper is still the PAM application's child and keeps fd 3), with the
 * pidfd shim preloaded (NSISO_VGSHIM, see vgshim.c) and one log file per
 * process (the holder gets its own) under NSISO_VG_LOGDIR.
 * Test tool for tests/adversarial/valgrind_session.sh. */
#include <unistd.h>

int main(int argc, char **argv)
{
	char *args[argc + 16];
	char *env[] = { "LD_PRELOAD=" NSISO_VGSHIM, NULL };
	int n = 0, i;

	args[n++] = "valgrind";
	args[n++] = "--tool=memcheck";
	args[n++] = "--error-exitcode=97";
	args[n++] = "--leak-check=full";
	args[n++] = "--show-leak-kinds=definite";
	args[n++] = "--errors-for-leak-kinds=definite";
	args[n++] = "--suppressions=" NSISO_VG_SUPP;
	args[n++] = "--log-file=" NSISO_VG_LOGDIR "/helper.%p.log";
	args[n++] = NSISO_REAL_HELPER;
	for (i = 1; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	execve(NSISO_VALGRIND, args, env);
	return 127;
}
