/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* stopwrap: a stand-in for pam_nsiso's helper= that runs the real helper
 * (NSISO_REAL_HELPER, compiled in) in its own process, so the helper is
 * still the PAM application's child, and has a tracer act on it at its
 * first entry to system call NSISO_STOP_NR after the exec:
 * NSISO_ACTION 's' leaves it stopped (SIGSTOP), 'k' kills it (SIGKILL).
 * With NSISO_STOP_PATH defined, the stop is instead at the first open(at)
 * of exactly that path made while the helper has a child of its own (the
 * holder; the tracer is not counted): with the fault build's compiled-in
 * fault file, that is the first fault point after the holder was made.
 * Test tool for tests/adversarial (a helper stopped or killed mid-setup,
 * driven through the real module). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <errno.h>
#include <unistd.h>

#ifdef NSISO_STOP_PATH
/* The path argument of the system call the helper is entering. */
static int path_is(pid_t helper, unsigned long addr, const char *want)
{
	size_t len = strlen(want) + 1, i;

	for (i = 0; i < len; i += sizeof(long)) {
		long word;
		size_t j;

		errno = 0;
		word = ptrace(PTRACE_PEEKDATA, helper, (void *)(addr + i), NULL);
		if (errno != 0)
			return 0;
		for (j = 0; j < sizeof(long) && i + j < len; j++)
			if (((const char *)&word)[j] != want[i + j])
				return 0;
	}
	return 1;
}

/* True if the helper has a child other than us (its holder). */
static int has_other_child(pid_t helper)
{
	char path[64], buf[256], *p, *end;
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)helper, (int)helper);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f))
		for (p = buf; !found; p = end) {
			long pid = strtol(p, &end, 10);

			if (end == p)
				break;
			found = pid > 0 && pid != (long)getpid();
		}
	fclose(f);
	return found;
}

static int at_stop_point(pid_t helper, const struct user_regs_struct *regs)
{
	unsigned long path;

	if ((long)regs->orig_rax == SYS_openat)
		path = regs->rsi;
	else if ((long)regs->orig_rax == SYS_open)
		path = regs->rdi;
	else
		return 0;
	return path_is(helper, path, NSISO_STOP_PATH) && has_other_child(helper);
}
#else
static int at_stop_point(pid_t helper, const struct user_regs_struct *regs)
{
	(void)helper;
	return (long)regs->orig_rax == NSISO_STOP_NR;
}
#endif

static void trace(pid_t helper, int sync_fd)
{
	int status, after_exec = 0, entering = 0;

	if (ptrace(PTRACE_SEIZE, helper, NULL,
		   (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC)) != 0 ||
	    ptrace(PTRACE_INTERRUPT, helper, NULL, NULL) != 0 ||
	    waitpid(helper, &status, __WALL) != helper)
		_exit(1);
	if (write(sync_fd, "g", 1) != 1)
		_exit(1);
	close(sync_fd);
	for (;;) {
		int sig = 0;

		if (ptrace(PTRACE_SYSCALL, helper, NULL, NULL) != 0 ||
		    waitpid(helper, &status, __WALL) != helper || !WIFSTOPPED(status))
			_exit(1);
		if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
			struct user_regs_struct regs;

			entering = !entering;
			if (!after_exec || !entering ||
			    ptrace(PTRACE_GETREGS, helper, NULL, &regs) != 0 ||
			    !at_stop_point(helper, &regs))
				continue;
			if (NSISO_ACTION == 'k') {
				kill(helper, SIGKILL);
				_exit(0);
			}
			ptrace(PTRACE_DETACH, helper, NULL, (void *)(long)SIGSTOP);
			_exit(0);
		}
		if (status >> 16 == PTRACE_EVENT_EXEC) {
			after_exec = 1;
			entering = 0;
			continue;
		}
		if (status >> 16 == 0)
			sig = WSTOPSIG(status);	/* a real signal: pass it on */
		if (sig && ptrace(PTRACE_SYSCALL, helper, NULL, (void *)(long)sig) == 0 &&
		    waitpid(helper, &status, __WALL) == helper && WIFSTOPPED(status) &&
		    WSTOPSIG(status) == (SIGTRAP | 0x80))
			entering = !entering;
	}
}

int main(int argc, char **argv)
{
	int sync[2];
	pid_t me = getpid(), tracer;
	char byte;

	(void)argc;
	if (pipe2(sync, O_CLOEXEC) != 0)
		return 127;
	tracer = fork();
	if (tracer < 0)
		return 127;
	if (tracer == 0) {
		/* Hold nothing of the module's: the reply channel must close
		 * when the helper dies. */
		close(sync[0]);
		if (sync[1] != 3)
			dup2(sync[1], 3);
		syscall(SYS_close_range, 4, ~0U, 0);
		setsid();
		trace(me, 3);
		_exit(0);
	}
	close(sync[1]);
	if (read(sync[0], &byte, 1) != 1)
		return 127;
	execv(NSISO_REAL_HELPER, argv);
	return 127;
}
