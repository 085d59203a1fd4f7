/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsiso-pamdaemon: open a PAM session the way atd does, with root kept only
 * in the saved uid, and run a command in it.
 *
 *   nsiso-pamdaemon SERVICE USER UID CMD [ARG...]     (started as root)
 *
 * Sets the real and effective uid to UID (the saved uid stays 0) and the
 * effective gid to the number UID (real and saved gid stay 0): root kept
 * only in the saved uid, real and effective gid apart.  Then, through
 * the real libpam: pam_start(SERVICE, USER), pam_open_session, a child that
 * runs CMD, pam_close_session, pam_end.  Prints one line per step with the
 * PAM result and the process's uids afterwards ("open 0 uids 1/1/0").
 * Exits 0 only if both calls returned PAM_SUCCESS, CMD exited 0 and the
 * uids were UID/UID/0 after each call, as the caller left them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

static int no_conversation(int n, const struct pam_message **msg, struct pam_response **resp,
			   void *data)
{
	(void)n, (void)msg, (void)resp, (void)data;
	return PAM_CONV_ERR;
}

/* Print the step and say whether the uids are as the caller set them. */
static int report(const char *step, int ret, uid_t uid)
{
	uid_t r, e, s;

	if (getresuid(&r, &e, &s) != 0)
		return -1;
	printf("%s %d uids %u/%u/%u\n", step, ret, (unsigned)r, (unsigned)e, (unsigned)s);
	fflush(stdout);
	return ret == PAM_SUCCESS && r == uid && e == uid && s == 0 ? 0 : -1;
}

static int run(char **cmd)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execv(cmd[0], cmd);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	printf("command exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct pam_conv conv = { no_conversation, NULL };
	pam_handle_t *pamh = NULL;
	uid_t uid;
	int ret, bad = 0;

	if (argc < 5) {
		fprintf(stderr, "usage: nsiso-pamdaemon SERVICE USER UID CMD [ARG...]\n");
		return 2;
	}
	uid = (uid_t)strtoul(argv[3], NULL, 10);
	if (setresgid(0, uid, 0) != 0 || setresuid(uid, uid, 0) != 0) {
		perror("nsiso-pamdaemon: setresuid");
		return 1;
	}
	if (pam_start(argv[1], argv[2], &conv, &pamh) != PAM_SUCCESS) {
		fprintf(stderr, "nsiso-pamdaemon: pam_start failed\n");
		return 1;
	}
	ret = pam_open_session(pamh, PAM_SILENT);
	if (report("open", ret, uid) < 0) {
		pam_end(pamh, ret);
		return 1;
	}
	bad |= run(argv + 4);
	ret = pam_close_session(pamh, PAM_SILENT);
	bad |= report("close", ret, uid);
	pam_end(pamh, ret);
	return bad ? 1 : 0;
}
