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

/* fn(pamh) in a forked child, whose exit status is its result: 0 with the
 * child's wait status, or -1 with errno (fork or waitpid failed). */
static int in_child(int (*fn)(pam_handle_t *), pam_handle_t *pamh, int *status)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(pamh) & 0x7f);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

static int close_here(pam_handle_t *pamh)
{
	return pam_close_session(pamh, 0);
}

static int nothing(pam_handle_t *pamh)
{
	(void)pamh;
	return 0;
}

/* The close in a child: its exit status carries the PAM result. */
static void close_in_child(pam_handle_t *pamh)
{
	int status;

	if (in_child(close_here, pamh, &status) < 0)
		say("closed failed: %s\n", strerror(errno));
	else if (WIFEXITED(status))
		say("closed %d\n", WEXITSTATUS(status));
	else
		say("closed killed %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static void try_fork(pam_handle_t *pamh)
{
	int status;

	if (in_child(nothing, pamh, &status) < 0)
		say("fork failed: %s\n", strerror(errno));
	else
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
			try_fork(pamh);
		else
			say("unknown command\n");
	}
	pam_end(pamh, ret);
	return 0;
}
