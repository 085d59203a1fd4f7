/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* spawn: run a program (the helper) the way an attacker, or the module,
 * would, and report what happened.  Test tool for tests/adversarial.
 *
 *   spawn [options] -- PROGRAM ARG...
 *     -c          give the program a reply channel on fd 3 (a SEQPACKET
 *                 socketpair, as pam_nsiso does) and print the reply
 *     -f FILE     make fd 3 FILE instead (a non-socket "channel")
 *     -n N        open N extra fds (O_RDONLY on -m FILE) before exec
 *     -m FILE     the file those fds point to (default /dev/null)
 *     -x FDS      close these of 0,1,2 before exec, e.g. -x 012
 *     -e K=V      the program's environment (repeatable); default: ours
 *     -E          an empty environment
 *     -F          stdout is a full pipe: the program blocks on its first
 *                 write, until -W FILE appears (then the pipe is drained)
 *     -W FILE     see -F
 *     -k N        ptrace: SIGKILL the program at its N-th syscall entry
 *                 (N larger than the number of syscalls: run to the end and
 *                 print "syscalls <count>")
 *     -s NR       ptrace: at the first entry to syscall number NR, detach
 *                 and leave the program stopped (SIGSTOP)
 *                 (with -k or -s, "holder <pid>" is printed for each child
 *                 the program makes - the holder first, then the reaper -
 *                 which is then left to run untraced)
 *     -0          run the program with an empty argv (argc 0)
 *     -u MASK     umask for the program (octal)
 *
 * Prints "pid <pid>" as soon as the program runs, "reply <text>" and
 * "fd <yes|no>" for a channel reply, and "exit <code>" or "signal <sig>". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ENV 64

static void fail(const char *what)
{
	fprintf(stderr, "spawn: %s: %s\n", what, strerror(errno));
	exit(125);
}

int main(int argc, char **argv)
{
	char *env[MAX_ENV + 1], *fd3_file = NULL, *marker = "/dev/null", *close_fds = "";
	char *wait_file = NULL;
	int n_env = 0, use_env = 0, channel = 0, extra = 0, full_pipe = 0, no_argv = 0, opt;
	long mask = -1;
	long kill_at = 0, stop_nr = -1;
	int sv[2] = { -1, -1 }, out[2] = { -1, -1 }, status;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+cf:n:m:x:e:EFW:k:s:0u:")) != -1) {
		switch (opt) {
		case 'c': channel = 1; break;
		case 'f': fd3_file = optarg; break;
		case 'n': extra = atoi(optarg); break;
		case 'm': marker = optarg; break;
		case 'x': close_fds = optarg; break;
		case 'e':
			if (n_env < MAX_ENV)
				env[n_env++] = optarg;
			use_env = 1;
			break;
		case 'E': use_env = 1; break;
		case 'F': full_pipe = 1; break;
		case 'W': wait_file = optarg; break;
		case 'k': kill_at = atol(optarg); break;
		case 's': stop_nr = atol(optarg); break;
		case '0': no_argv = 1; break;
		case 'u': mask = strtol(optarg, NULL, 8); break;
		default: return 125;
		}
	}
	env[n_env] = NULL;
	if (optind >= argc) {
		fprintf(stderr, "usage: spawn [options] -- PROGRAM ARG...\n");
		return 125;
	}
	/* "@SELF@" in an argument stands for our PID (the caller the helper
	 * expects: its parent). */
	for (opt = optind; opt < argc; opt++)
		if (strcmp(argv[opt], "@SELF@") == 0 && asprintf(&argv[opt], "%d", (int)getpid()) < 0)
			fail("asprintf");
	if (channel && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		fail("socketpair");
	if (full_pipe) {
		char block[4096];

		memset(block, 'x', sizeof(block));
		if (pipe2(out, O_CLOEXEC) != 0)
			fail("pipe");
		fcntl(out[1], F_SETFL, O_NONBLOCK);
		while (write(out[1], block, sizeof(block)) > 0)
			;
		fcntl(out[1], F_SETFL, 0);
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	pid = fork();
	if (pid < 0)
		fail("fork");
	if (pid == 0) {
		int i;

		if (kill_at || stop_nr >= 0) {
			if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
				fail("PTRACE_TRACEME");
		}
		if (full_pipe && dup2(out[1], 1) != 1)
			fail("dup2 stdout");
		for (i = 0; i < extra; i++) {
			int fd = open(marker, O_RDONLY);	/* deliberately inheritable */

			if (fd < 0)
				fail("open marker");
			if (fd < 4) {	/* keep 0-3 for their own roles */
				int moved = fcntl(fd, F_DUPFD, 10);

				close(fd);
				if (moved < 0)
					fail("dup marker");
			}
		}
		if (channel) {
			if (dup2(sv[1], 3) != 3)
				fail("dup2 channel");
		} else if (fd3_file) {
			int fd = open(fd3_file, O_RDONLY);

			if (fd < 0 || (fd != 3 && dup2(fd, 3) != 3))
				fail("open -f file");
		}
		for (i = 0; close_fds[i]; i++)
			close(close_fds[i] - '0');
		if (mask >= 0)
			umask((mode_t)mask);
		if (no_argv) {
			char *none[] = { NULL };

			execve(argv[optind], none, use_env ? env : environ);
		} else if (use_env) {
			execve(argv[optind], &argv[optind], env);
		} else {
			execv(argv[optind], &argv[optind]);
		}
		_exit(126);
	}
	if (channel)
		close(sv[1]);
	printf("pid %d\n", (int)pid);
	int done = 0;

	if (kill_at || stop_nr >= 0) {
		long entries = 0;
		int in_syscall = 0;

		/* The first stop is the SIGTRAP after execve. */
		if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
			fail("waitpid (exec stop)");
		ptrace(PTRACE_SETOPTIONS, pid, NULL,
		       (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL |
				      PTRACE_O_TRACEFORK | PTRACE_O_TRACECLONE));
		for (;;) {
			if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL) != 0)
				break;
			if (waitpid(pid, &status, 0) != pid)
				fail("waitpid");
			if (WIFEXITED(status) || WIFSIGNALED(status)) {
				done = 1;
				break;
			}
			if (WIFSTOPPED(status) && (status >> 16 == PTRACE_EVENT_FORK ||
						   status >> 16 == PTRACE_EVENT_CLONE)) {
				/* The holder: note it, and let it go untraced. */
				unsigned long child = 0;
				int child_status;

				ptrace(PTRACE_GETEVENTMSG, pid, NULL, &child);
				if (waitpid((pid_t)child, &child_status, __WALL) == (pid_t)child)
					ptrace(PTRACE_DETACH, (pid_t)child, NULL, NULL);
				printf("holder %lu\n", child);
				continue;
			}
			if (!(WIFSTOPPED(status) && WSTOPSIG(status) == (SIGTRAP | 0x80))) {
				/* A signal for the tracee: deliver it. */
				ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)WSTOPSIG(status));
				if (waitpid(pid, &status, 0) != pid || WIFEXITED(status) || WIFSIGNALED(status)) {
					done = 1;
					break;
				}
				continue;
			}
			in_syscall = !in_syscall;
			if (!in_syscall)
				continue;
			entries++;
			if (kill_at && entries == kill_at) {
				printf("killed-at %ld\n", entries);
				kill(pid, SIGKILL);
				break;
			}
			if (stop_nr >= 0) {
				struct user_regs_struct regs;

				if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0 &&
				    (long)regs.orig_rax == stop_nr) {
					/* Back to before the call, then leave it stopped. */
					ptrace(PTRACE_DETACH, pid, NULL, (void *)(long)SIGSTOP);
					printf("stopped %d\n", (int)pid);
					break;
				}
			}
		}
		if (kill_at && entries < kill_at)
			printf("syscalls %ld\n", entries);
	}
	if (full_pipe) {
		char buf[65536];

		close(out[1]);
		if (wait_file) {
			struct stat st;

			while (stat(wait_file, &st) != 0)
				usleep(10000);
		}
		while (read(out[0], buf, sizeof(buf)) > 0)
			;
	}
	if (channel) {
		char reply[1024], control[CMSG_SPACE(sizeof(int) * 4)];
		struct iovec iov = { .iov_base = reply, .iov_len = sizeof(reply) - 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = control, .msg_controllen = sizeof(control) };
		ssize_t n = recvmsg(sv[0], &msg, MSG_CMSG_CLOEXEC);

		if (n > 0) {
			reply[n] = '\0';
			printf("reply %s\n", reply);
			printf("fd %s\n", CMSG_FIRSTHDR(&msg) ? "yes" : "no");
		} else {
			printf("reply (none)\n");
		}
	}
	while (!done && waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			fail("waitpid");
	if (WIFEXITED(status))
		printf("exit %d\n", WEXITSTATUS(status));
	else
		printf("signal %d\n", WTERMSIG(status));
	return 0;
}
