/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* probe: one system call an escaping user would try, and its exact outcome.
 * Test tool for tests/adversarial.  Prints "ok" or the errno name and exits
 * 0 on success, 1 on failure.
 *
 *   probe ptrace PID            PTRACE_ATTACH (and detach on success)
 *   probe pidfd PID             pidfd_open
 *   probe kill PID SIG          kill(2)
 *   probe setns PATH            open + setns(fd, 0)
 *   probe setns-pid PID         pidfd_open + setns(pidfd, mnt|pid|uts|ipc)
 *   probe open PATH MODE        open for r (read) or w (write)
 *   probe write PATH TEXT       open O_WRONLY + write
 *   probe mq-create NAME        mq_open(O_CREAT) and keep it (no unlink)
 *   probe mq-open NAME          mq_open(O_RDONLY)
 *   probe mq-unlink NAME
 *   probe abstract-listen NAME SECONDS   listen on @NAME, answer "hi", for SECONDS
 *   probe abstract-connect NAME          connect to @NAME and read the answer
 *   probe sethostname NAME
 *   probe umount PATH
 *   probe forkbomb MAX HOLD_S   fork children (each pause()s) until fork fails
 *                               or MAX; print "forked=K errno=E"; hold HOLD_S
 *                               seconds, then kill them all
 *   probe fds                   list our own open fds (from /proc/self/fd)
 *   probe procs                 count the processes /proc shows
 *   probe creds                 print uid, euid, caps and NoNewPrivs */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int result(int ok)
{
	if (ok) {
		printf("ok\n");
		return 0;
	}
	printf("%s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
	return 1;
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	strncpy(a->sun_path + 1, name, sizeof(a->sun_path) - 2);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

static int forkbomb(long max, int hold)
{
	pid_t *kids = calloc((size_t)max, sizeof(pid_t));
	long n = 0, i;
	int err = 0;

	for (n = 0; n < max; n++) {
		pid_t p = fork();

		if (p < 0) {
			err = errno;
			break;
		}
		if (p == 0) {
			pause();
			_exit(0);
		}
		kids[n] = p;
	}
	printf("forked=%ld errno=%s\n", n, err ? strerrorname_np(err) : "none");
	fflush(stdout);
	sleep((unsigned)hold);
	for (i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
	return err == EAGAIN ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	const char *a = argc > 2 ? argv[2] : "", *b = argc > 3 ? argv[3] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(what, "ptrace") == 0) {
		pid_t pid = (pid_t)atoi(a);
		int ok = ptrace(PTRACE_ATTACH, pid, NULL, NULL) == 0;

		if (ok) {
			waitpid(pid, NULL, __WALL);
			ptrace(PTRACE_DETACH, pid, NULL, NULL);
		}
		return result(ok);
	}
	if (strcmp(what, "pidfd") == 0)
		return result(syscall(SYS_pidfd_open, atoi(a), 0) >= 0);
	if (strcmp(what, "kill") == 0)
		return result(kill(atoi(a), atoi(b)) == 0);
	if (strcmp(what, "setns") == 0) {
		int fd = open(a, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return result(0);
		return result(setns(fd, 0) == 0);
	}
	if (strcmp(what, "setns-pid") == 0) {
		int fd = (int)syscall(SYS_pidfd_open, atoi(a), 0);

		if (fd < 0)
			return result(0);
		return result(setns(fd, CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC) == 0);
	}
	if (strcmp(what, "open") == 0)
		return result(open(a, strcmp(b, "w") == 0 ? O_WRONLY : O_RDONLY) >= 0);
	if (strcmp(what, "write") == 0) {
		int fd = open(a, O_WRONLY);

		if (fd < 0)
			return result(0);
		return result(write(fd, b, strlen(b)) == (ssize_t)strlen(b));
	}
	if (strcmp(what, "mq-create") == 0)
		return result(mq_open(a, O_CREAT | O_RDWR, 0644, NULL) != (mqd_t)-1);
	if (strcmp(what, "mq-open") == 0)
		return result(mq_open(a, O_RDONLY) != (mqd_t)-1);
	if (strcmp(what, "mq-unlink") == 0)
		return result(mq_unlink(a) == 0);
	if (strcmp(what, "abstract-listen") == 0) {
		struct sockaddr_un addr;
		socklen_t len = abstract_addr(&addr, a);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		time_t end = time(NULL) + atoi(b);

		if (fd < 0 || bind(fd, (struct sockaddr *)&addr, len) != 0 || listen(fd, 8) != 0)
			return result(0);
		printf("listening\n");
		alarm((unsigned)atoi(b));
		while (time(NULL) < end) {
			int c = accept(fd, NULL, NULL);

			if (c >= 0) {
				if (write(c, "hi\n", 3) < 0)
					perror("write");
				close(c);
			}
		}
		return 0;
	}
	if (strcmp(what, "abstract-connect") == 0) {
		struct sockaddr_un addr;
		socklen_t len = abstract_addr(&addr, a);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		char buf[16] = "";

		if (fd < 0 || connect(fd, (struct sockaddr *)&addr, len) != 0)
			return result(0);
		if (read(fd, buf, sizeof(buf) - 1) < 0)
			return result(0);
		printf("connected %s", buf);
		return 0;
	}
	if (strcmp(what, "sethostname") == 0)
		return result(sethostname(a, strlen(a)) == 0);
	if (strcmp(what, "umount") == 0)
		return result(umount2(a, MNT_DETACH) == 0);
	if (strcmp(what, "forkbomb") == 0)
		return forkbomb(atol(a), atoi(b));
	if (strcmp(what, "fds") == 0) {
		DIR *d = opendir("/proc/self/fd");
		struct dirent *e;

		if (!d)
			return result(0);
		while ((e = readdir(d)))
			if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
				printf("%s ", e->d_name);
		printf("\n");
		return 0;
	}
	if (strcmp(what, "procs") == 0) {
		DIR *d = opendir("/proc");
		struct dirent *e;
		int n = 0;

		if (!d)
			return result(0);
		while ((e = readdir(d)))
			if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
				n++;
		printf("%d\n", n);
		return 0;
	}
	if (strcmp(what, "creds") == 0) {
		char line[256];
		FILE *f = fopen("/proc/self/status", "r");

		printf("uid=%d euid=%d\n", (int)getuid(), (int)geteuid());
		while (f && fgets(line, sizeof(line), f))
			if (strncmp(line, "Cap", 3) == 0 || strncmp(line, "NoNewPrivs", 10) == 0)
				fputs(line, stdout);
		return 0;
	}
	fprintf(stderr, "probe: unknown operation '%s'\n", what);
	return 2;
}
