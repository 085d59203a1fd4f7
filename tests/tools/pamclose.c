/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsiso-pamclose: a PAM application that lives on after it closed its
 * session, as a display manager or a long-lived daemon does, driven line by
 * line on stdin.
 *
 *   nsiso-pamclose SERVICE USER        (as root)
 *
 * pam_start(SERVICE, USER) and pam_open_session through the real libpam,
 * then prints "opened RC" and obeys one command per line:
 *   close        pam_close_session in this process    -> "closed RC"
 *   close-child  pam_close_session in a forked child, which then exits
 *                (a close in another process than the open) -> "closed RC",
 *                or "closed killed SIG" (the child is in the session's PID
 *                namespace, whose processes the close may kill)
 *   fork         fork a child that exits 0 at once    -> "fork ok" or
 *                "fork failed: ERROR" (a dead PID namespace for children
 *                refuses it)
 *   EOF          pam_end, exit 0
 * Every answer is one line, flushed.  Exits 2 on a usage or setup error. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

static int no_conversation(int n, const struct pam_message **msg, struct pam_response **resp,
			   void *data)
{
	(void)n; (void)msg; (void)resp; (void)data;
	return PAM_CONV_ERR;
}

__attribute__((format(printf, 1, 2)))
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* The close in a child: its exit status carries the PAM result. */
static void close_in_child(pam_handle_t *pamh)
{
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		say("closed fork failed: %s\n", strerror(errno));
		return;
	}
	if (pid == 0)
		_exit(pam_close_session(pamh, 0) & 0x7f);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			say("closed waitpid failed: %s\n", strerror(errno));
			return;
		}
	if (WIFEXITED(status))
		say("closed %d\n", WEXITSTATUS(status));
	else
		say("closed killed %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static void try_fork(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		say("fork failed: %s\n", strerror(errno));
		return;
	}
	if (pid == 0)
		_exit(0);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	say("fork ok\n");
}

int main(int argc, char **argv)
{
	const struct pam_conv conv = { no_conversation, NULL };
	pam_handle_t *pamh = NULL;
	char line[64];
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: nsiso-pamclose SERVICE USER\n");
		return 2;
	}
	if (pam_start(argv[1], argv[2], &conv, &pamh) != PAM_SUCCESS)
		return 2;
	ret = pam_open_session(pamh, 0);
	say("opened %d\n", ret);
	while (fgets(line, sizeof(line), stdin)) {
		if (strcmp(line, "close\n") == 0)
			say("closed %d\n", pam_close_session(pamh, 0));
		else if (strcmp(line, "close-child\n") == 0)
			close_in_child(pamh);
		else if (strcmp(line, "fork\n") == 0)
			try_fork();
		else
			say("unknown command\n");
	}
	pam_end(pamh, ret);
	return 0;
}
