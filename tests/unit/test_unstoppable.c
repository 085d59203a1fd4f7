/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The module's child its user cannot stop (pam_nsiso/spawn.c,
 * nsiso_run_unstoppable), with real processes: a caller as su is (real uid
 * a user's, effective uid 0) hands it one end of a socket pair; the user
 * stops the caller and cannot stop the child, and the other end still sees
 * the end of the connection while the caller is stopped: the caller kept
 * no copy.  A child that does not answer is killed in time. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "unit.h"

#include "../../pam_nsiso/spawn.h"

UNIT_NEEDS_ROOT

/* A uid no one on a test machine has: the caller's user. */
#define USER_UID 4242421

/* What the child reports first, on its fd. */
struct child_report {
	pid_t pid, sid;
	uid_t ruid, euid, suid;
};

/* The job: report, wait for a byte from the test, say "finished", return 0. */
static int report_then_wait(int fd, void *ctx, enum nsiso_failure *failure, char *why,
			    size_t len)
{
	struct child_report r = { .pid = getpid(), .sid = getsid(0) };
	char go;

	(void)ctx;
	(void)failure;
	(void)why;
	(void)len;
	getresuid(&r.ruid, &r.euid, &r.suid);
	if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r) || read(fd, &go, 1) != 1 ||
	    write(fd, "finished", 8) != 8)
		return -1;
	close(fd);
	return 0;
}

/* Readable within ms, or false. */
static bool readable_within(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1;
}

/* kill() as the caller's user would send it: from a process of that uid. */
static int kill_as_user(pid_t pid, int sig)
{
	pid_t p = fork();
	int status;

	if (p == 0) {
		if (setresgid(USER_UID, USER_UID, USER_UID) != 0 ||
		    setresuid(USER_UID, USER_UID, USER_UID) != 0)
			_exit(100);
		_exit(kill(pid, sig) == 0 ? 0 : errno);
	}
	waitpid(p, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The caller, as su: real uid the user's, effective and saved 0. */
static pid_t start_caller(int give_fd)
{
	pid_t p = fork();

	if (p == 0) {
		enum nsiso_failure failure;
		char why[256];

		if (setresuid(USER_UID, 0, 0) != 0)
			_exit(100);
		_exit(nsiso_run_unstoppable(give_fd, report_then_wait, NULL, 20000, &failure, why,
					    sizeof(why)) == 0 ? 0 : 1);
	}
	return p;
}

static pid_t caller = -1;

/* A caller left stopped by a failed assertion is ended; its child ends when
 * this process's end of the pair closes (at the latest, at its exit). */
static int end_caller(void **state)
{
	(void)state;
	if (caller > 0) {
		kill(caller, SIGKILL);
		while (waitpid(caller, NULL, 0) < 0 && errno == EINTR)
			;
		caller = -1;
	}
	return 0;
}

UNIT_TEST_IN(a_stopped_caller_keeps_no_copy_and_the_child_runs_on, NULL, end_caller)
{
	struct child_report r;
	char buf[16];
	int sv[2], status;
	ssize_t n;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	caller = start_caller(sv[1]);
	assert_true(caller > 0);
	close(sv[1]);
	assert_true(readable_within(sv[0], 10000));
	assert_int_equal(read(sv[0], &r, sizeof(r)), (ssize_t)sizeof(r));
	/* Root in every id, in a session of its own. */
	assert_int_equal(r.ruid, 0);
	assert_int_equal(r.euid, 0);
	assert_int_equal(r.suid, 0);
	assert_int_equal(r.sid, r.pid);
	/* The user may stop su, and not the child. */
	assert_int_equal(kill_as_user(caller, SIGSTOP), 0);
	assert_int_equal(kill_as_user(r.pid, SIGSTOP), EPERM);
	assert_int_equal(waitpid(caller, &status, WUNTRACED), caller);
	assert_true(WIFSTOPPED(status));
	/* With su stopped, the child goes on, and its end is the end of the
	 * connection: su kept no copy. */
	assert_int_equal(write(sv[0], "g", 1), 1);
	assert_true(readable_within(sv[0], 10000));
	assert_int_equal(read(sv[0], buf, sizeof(buf)), 8);
	assert_true(readable_within(sv[0], 10000));
	n = read(sv[0], buf, sizeof(buf));
	assert_int_equal(n, 0);
	kill(caller, SIGCONT);
	assert_int_equal(waitpid(caller, &status, 0), caller);
	caller = -1;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(sv[0]);
}

/* The job: never answers. */
__attribute__((noreturn))
static int never_answer(int fd, void *ctx, enum nsiso_failure *failure, char *why, size_t len)
{
	(void)fd;
	(void)ctx;
	(void)failure;
	(void)why;
	(void)len;
	for (;;)
		pause();
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

UNIT_TEST(a_silent_child_is_killed_at_the_deadline)
{
	enum nsiso_failure failure = NSISO_FAIL_HOST;
	struct timespec t0;
	char why[256] = "", buf[4];
	int sv[2], ret;
	long took;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = nsiso_run_unstoppable(sv[1], never_answer, NULL, 300, &failure, why, sizeof(why));
	took = ms_since(&t0);
	printf("# a silent child: %ld ms, \"%s\"\n", took, why);
	assert_int_equal(ret, -1);
	assert_int_equal(failure, NSISO_FAIL_DENY);
	assert_non_null(strstr(why, "no answer within 300 ms"));
	assert_true(took >= 290 && took < 5000);
	/* Killed: nothing holds the other end any more. */
	assert_true(readable_within(sv[0], 1000));
	assert_int_equal(read(sv[0], buf, sizeof(buf)), 0);
	close(sv[0]);
}

/* The job: fails, with the host's kind and its reason. */
static int fail_as_host(int fd, void *ctx, enum nsiso_failure *failure, char *why, size_t len)
{
	(void)ctx;
	close(fd);
	*failure = NSISO_FAIL_HOST;
	snprintf(why, len, "no bus here (%s)", "test");
	return -1;
}

UNIT_TEST(a_failing_job_says_why_and_what_kind)
{
	enum nsiso_failure failure = NSISO_FAIL_DENY;
	char why[256] = "";
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(nsiso_run_unstoppable(sv[1], fail_as_host, NULL, 5000, &failure, why,
					       sizeof(why)), -1);
	assert_int_equal(failure, NSISO_FAIL_HOST);
	assert_string_equal(why, "no bus here (test)");
	close(sv[0]);
}
