/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/deadline.h"
#include "../common/fdpass.h"
#include "../common/proto.h"

/* In the child, between vfork and exec.  The child shares the
 * application's memory and runs on its stack until the exec: raw system
 * calls only, nothing that writes to memory the application uses, no
 * return.  (glibc's setresuid() would tell the application's threads to
 * change their ids too: the raw call changes the child's.)  Every signal is
 * blocked, so no handler of the application's runs here; the helper sets
 * its own mask. */
__attribute__((noreturn))
static void exec_helper(int helper_fd, char *const argv[], int channel)
{
	static char *const empty_env[] = { NULL };
	int null_fd;

	/* Move the helper's fd above the slots we are about to fill. */
	if (helper_fd <= NSISO_CHANNEL_FD) {
		helper_fd = fcntl(helper_fd, F_DUPFD_CLOEXEC, NSISO_CHANNEL_FD + 1);
		if (helper_fd < 0)
			_exit(127);
	}
	if (channel == NSISO_CHANNEL_FD)
		fcntl(channel, F_SETFD, 0);
	else if (dup2(channel, NSISO_CHANNEL_FD) != NSISO_CHANNEL_FD)
		_exit(127);
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(null_fd, 2) < 0)
		_exit(127);
	/* If the application had 0-2 closed, null_fd is one of them and
	 * dup2() onto itself kept its close-on-exec flag. */
	if (null_fd <= 2 && fcntl(null_fd, F_SETFD, 0) != 0)
		_exit(127);
	/* Nothing of the application's (sockets, pidfds, the pty) may reach
	 * the helper: everything above the channel closes at exec, including
	 * helper_fd itself once it has been executed. */
	if (syscall(SYS_close_range, NSISO_CHANNEL_FD + 1, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
		_exit(127);
	/* su runs with euid 0 but the invoking user's real uid, atd with its
	 * own real and effective gid (the module took euid 0 for it).  The
	 * helper acts only for a real root, and an exec with real and
	 * effective ids apart is a secure exec it takes for a set-id start:
	 * become root in every id for it. */
	if (geteuid() == 0 && (syscall(SYS_setresgid, 0, 0, 0) != 0 ||
			       syscall(SYS_setresuid, 0, 0, 0) != 0))
		_exit(127);
	/* A personality the user set (ADDR_NO_RANDOMIZE, say) survives an
	 * exec that is not set-id: not into the helper. */
	if (personality(PER_LINUX) < 0)
		_exit(127);
	syscall(SYS_execveat, helper_fd, "", argv, empty_env, AT_EMPTY_PATH);
	_exit(127);
}

/* Close every fd that arrived with a reply we do not use. */
static void drop_fds(int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* One message, NUL-terminated, with up to max_fds fds attached (received
 * close-on-exec): an unexpected fd is closed, never kept (it would stay open
 * in the application, and in the user's session). */
static ssize_t receive_reply(int fd, char *buf, size_t len, int *fds, size_t max_fds, size_t *n_fds)
{
	ssize_t n = nsiso_recv_fds(fd, buf, len - 1, fds, max_fds, n_fds, NULL);

	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Wait for the helper to exit, killing it if it outlives the deadline. */
static int reap_helper(pid_t pid, const struct nsiso_deadline *deadline)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), status = 0;

	if (pidfd >= 0) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

		if (poll(&pfd, 1, nsiso_deadline_left_ms(deadline)) <= 0)
			kill(pid, SIGKILL);
		close(pidfd);
	} else {
		/* No pidfd (out of fds or memory): poll the old way, so that a
		 * wedged helper still cannot hang the login. */
		const struct timespec tick = { 0, 10000000L };	/* 10 ms */
		pid_t done;

		while ((done = waitpid(pid, &status, WNOHANG)) == 0 &&
		       nsiso_deadline_left_ms(deadline) > 0)
			nanosleep(&tick, NULL);
		if (done == pid)
			return status;
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* The holder's PID in "ok <pid>": digits only, nothing after them. */
static pid_t reply_pid(const char *text)
{
	char *end;
	long pid;

	if (*text < '1' || *text > '9')
		return -1;
	errno = 0;
	pid = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || pid > 4194304)
		return -1;
	return (pid_t)pid;
}

/* A reply that is not the one wanted: a failure's word and its reason, or
 * anything else (deny). */
static void take_failure(const char *reply, struct helper_result *r)
{
	int kind = nsiso_failure_of_reply(reply);

	r->failure = kind < 0 ? NSISO_FAIL_DENY : (enum nsiso_failure)kind;
	if (kind >= 0)
		snprintf(r->reason, sizeof(r->reason), "%s", strchr(reply, ' ') + 1);
	else
		snprintf(r->reason, sizeof(r->reason), "unexpected reply from the helper");
	if (!r->reason[0])
		snprintf(r->reason, sizeof(r->reason), "the helper failed");
}

/* "ok <pid>" with the holder's pidfd first, then 0 to NSISO_CGROUP_PROCS_MAX
 * cgroup.procs fds. */
static void parse_reply(const char *reply, int *fds, size_t n_fds, struct helper_result *r)
{
	pid_t pid;
	size_t i;

	if (strncmp(reply, "ok ", 3) == 0 && (pid = reply_pid(reply + 3)) > 1 && n_fds >= 1) {
		r->holder_pidfd = fds[0];
		r->holder_pid = pid;
		for (i = 1; i < n_fds; i++)
			r->procs_fds[i - 1] = fds[i];
		return;
	}
	drop_fds(fds, n_fds);
	take_failure(reply, r);
}

/* One reply within the deadline, with up to max_fds fds: its length, or 0
 * with a reason why there is none (deny). */
static ssize_t receive_within(int channel, const struct nsiso_deadline *deadline, int timeout_ms,
			      char *reply, size_t len, int *fds, size_t max_fds, size_t *n_fds,
			      struct helper_result *r)
{
	struct pollfd pfd = { .fd = channel, .events = POLLIN };
	ssize_t n;
	int ready;

	do
		ready = poll(&pfd, 1, nsiso_deadline_left_ms(deadline));
	while (ready < 0 && errno == EINTR);
	if (ready == 0) {
		snprintf(r->reason, sizeof(r->reason), "the helper did not answer within %d ms",
			 timeout_ms);
		return 0;
	}
	n = receive_reply(channel, reply, len, fds, max_fds, n_fds);
	if (n <= 0) {
		snprintf(r->reason, sizeof(r->reason), "the helper exited without an answer");
		return 0;
	}
	return n;
}

/* The open's reply, or a reason why there is none. */
static void collect_reply(int channel, const struct nsiso_deadline *deadline,
			  struct helper_result *r)
{
	char reply[NSISO_REPLY_MAX];
	int fds[1 + NSISO_CGROUP_PROCS_MAX];
	size_t n_fds = 0;

	if (receive_within(channel, deadline, NSISO_OPEN_TIMEOUT_MS, reply, sizeof(reply), fds,
			   1 + NSISO_CGROUP_PROCS_MAX, &n_fds, r) > 0)
		parse_reply(reply, fds, n_fds, r);
}

/* A reply that is want alone (true, reason left empty), or a failure's
 * word and its reason, or why there is none (a reason, deny). */
static bool collect_word(int channel, const struct nsiso_deadline *deadline, int timeout_ms,
			 const char *want, struct helper_result *r)
{
	char reply[NSISO_REPLY_MAX];
	int fds[1];
	size_t n_fds = 0;

	if (receive_within(channel, deadline, timeout_ms, reply, sizeof(reply), fds, 1, &n_fds,
			   r) == 0)
		return false;
	drop_fds(fds, n_fds);
	if (strcmp(reply, want) == 0)
		return true;
	take_failure(reply, r);
	return false;
}

/* The helper runs as root with the application's privileges: it must be a
 * root-owned regular executable nobody else can write.  Judged on the fd we
 * then execute, so it cannot be swapped in between. */
static int open_helper(const char *path, struct helper_result *r)
{
	struct stat st;
	const char *why = NULL;
	int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd < 0) {
		/* Missing or unreachable is the host's set-up; out of fds or
		 * memory is what a user's rlimits or load can cause. */
		if (errno != EMFILE && errno != ENFILE && errno != ENOMEM)
			r->failure = NSISO_FAIL_HOST;
		snprintf(r->reason, sizeof(r->reason), "helper %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_uid != 0)
		why = "not owned by root";
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		why = "writable by group or others";
	else if (!(st.st_mode & S_IXUSR))
		why = "not executable";
	if (why) {
		r->failure = NSISO_FAIL_HOST;
		snprintf(r->reason, sizeof(r->reason), "helper %s: %s", path, why);
		close(fd);
		return -1;
	}
	return fd;
}

/* Nothing yet: every failure denies unless it is shown to be the host's. */
static void init_result(struct helper_result *r)
{
	size_t i;

	*r = (struct helper_result){ .holder_pidfd = -1, .failure = NSISO_FAIL_DENY };
	for (i = 0; i < NSISO_CGROUP_PROCS_MAX; i++)
		r->procs_fds[i] = -1;
}

/* Close every fd a result holds (the holder's pidfd too). */
static void release_result(struct helper_result *r)
{
	size_t i;

	if (r->holder_pidfd >= 0)
		close(r->holder_pidfd);
	r->holder_pidfd = -1;
	for (i = 0; i < NSISO_CGROUP_PROCS_MAX; i++) {
		if (r->procs_fds[i] >= 0)
			close(r->procs_fds[i]);
		r->procs_fds[i] = -1;
	}
}

/* vfork, not fork: the application (sshd's monitor, a su) is not copied
 * for a child that only sets up fds and execs, and it waits only until the
 * exec.  Its PID, or -1 with errno. */
static pid_t start_helper(int helper_fd, char *const argv[], int channel)
{
	sigset_t all, mask;
	pid_t pid;
	int e;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &mask);
	/* The child keeps to what vfork allows (exec_helper): the linters'
	 * advice against vfork is for children that do more. */
	/* cppcheck-suppress vforkCalled */
	pid = vfork();	/* NOLINT(clang-analyzer-security.insecureAPI.vfork) */
	if (pid == 0)
		exec_helper(helper_fd, argv, channel);	/* NOLINT(clang-analyzer-unix.Vfork) */
	e = errno;
	sigprocmask(SIG_SETMASK, &mask, NULL);
	errno = e;
	return pid;
}

/* The helper's fd, checked (open_helper()), and the channel: the helper's
 * fd, or -1 with the reason in r. */
static int open_channel(const char *path, int sv[2], struct helper_result *r)
{
	int helper_fd;

	init_result(r);
	helper_fd = open_helper(path, r);
	if (helper_fd >= 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		r->failure = NSISO_FAIL_CRIT;
		snprintf(r->reason, sizeof(r->reason), "socketpair: %s", strerror(errno));
		close(helper_fd);
		helper_fd = -1;
	}
	return helper_fd;
}

/* A helper started on a channel of its own (launch()), until land(). */
struct launch {
	int helper_fd, channel;
	pid_t pid;
	struct nsiso_deadline deadline;
	struct sigaction saved;	/* the application's SIGCHLD */
};

/* The helper, its deadline timeout_ms from now: true once it runs, false
 * with the reason in r.  The application may ignore SIGCHLD or reap in a
 * handler; either would take the helper's exit status from us: SIGCHLD is
 * at its default until land(). */
static bool launch(const char *path, char *const argv[], int timeout_ms, struct launch *l,
		   struct helper_result *r)
{
	const struct sigaction dfl = { .sa_handler = SIG_DFL };
	int sv[2];

	l->pid = -1;
	l->helper_fd = open_channel(path, sv, r);
	if (l->helper_fd < 0)
		return false;
	l->channel = sv[0];
	sigaction(SIGCHLD, &dfl, &l->saved);
	nsiso_deadline_in(&l->deadline, timeout_ms);
	l->pid = start_helper(l->helper_fd, argv, sv[1]);
	close(sv[1]);
	if (l->pid < 0) {
		r->failure = NSISO_FAIL_CRIT;
		snprintf(r->reason, sizeof(r->reason), "vfork: %s", strerror(errno));
	}
	return l->pid > 0;
}

/* After launch(), whatever it said. */
static void land(struct launch *l)
{
	if (l->helper_fd < 0)
		return;
	close(l->channel);
	close(l->helper_fd);
	sigaction(SIGCHLD, &l->saved, NULL);
}

int nsiso_run_helper(const char *path, char *const argv[], struct helper_result *r)
{
	struct launch l;
	int status;

	if (launch(path, argv, NSISO_OPEN_TIMEOUT_MS, &l, r)) {
		collect_reply(l.channel, &l.deadline, r);
		status = reap_helper(l.pid, &l.deadline);
		if (r->holder_pidfd < 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127 &&
		    strstr(r->reason, "without an answer"))
			snprintf(r->reason, sizeof(r->reason), "cannot execute helper %s", path);
		/* "ok" counts only from a helper that then exits 0: one that died
		 * before telling the holder NSISO_SYNC_DONE leaves a holder ending
		 * its session. */
		if (r->holder_pidfd >= 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
			release_result(r);
			r->failure = NSISO_FAIL_DENY;
			snprintf(r->reason, sizeof(r->reason), "the helper failed after its reply");
		}
	}
	land(&l);
	return r->holder_pidfd >= 0 ? 0 : -1;
}

/* ---- a connection handed to the helper --------------------------------- */

/* Once the helper said "ready": the fd made now, sent, ours no more. */
static void hand_over_fd(int channel, nsiso_fd_maker make_fd, void *ctx, struct helper_result *r)
{
	int fd = make_fd(ctx, &r->failure, r->reason, sizeof(r->reason));

	if (fd < 0)
		return;
	if (nsiso_send_fds(channel, "fd", 2, &fd, 1) < 0) {
		r->failure = NSISO_FAIL_CRIT;
		snprintf(r->reason, sizeof(r->reason), "cannot hand the helper its fd: %s",
			 strerror(errno));
	}
	close(fd);
}

int nsiso_run_helper_with(const char *path, char *const argv[], nsiso_fd_maker make_fd,
			  void *ctx, int timeout_ms, enum nsiso_failure *failure, char *why,
			  size_t len)
{
	struct helper_result r;
	struct launch l;

	if (launch(path, argv, timeout_ms, &l, &r)) {
		/* The fd exists only once the helper is out of its user's reach
		 * and says so: a helper stopped or frozen before that holds
		 * nothing, and is killed at the deadline. */
		if (collect_word(l.channel, &l.deadline, timeout_ms, "ready", &r))
			hand_over_fd(l.channel, make_fd, ctx, &r);
		if (!r.reason[0])
			(void)collect_word(l.channel, &l.deadline, timeout_ms, "ok", &r);
		(void)reap_helper(l.pid, &l.deadline);
	}
	land(&l);
	*failure = r.failure;
	snprintf(why, len, "%s", r.reason);
	return r.reason[0] ? -1 : 0;
}

/* ---- the broker ------------------------------------------------------- */

/* Connected to the broker at path, or -1 (nothing listening there, or a
 * listener that is not root: anyone's socket could lie to us). */
static int connect_broker(const char *path, char *why, size_t len)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct ucred peer;
	socklen_t plen = sizeof(peer);
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(why, len, "broker socket path too long");
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(why, len, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &plen) != 0 || peer.uid != 0) {
		snprintf(why, len, "%s: its listener is not root: not used", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* The request: argv[1..] each ending in NUL, with our own pidfd. */
static int send_request(int fd, char *const argv[], char *why, size_t len)
{
	static char buf[NSISO_BROKER_REQUEST_MAX];
	size_t used = 0, i;
	int pidfd, ret;

	for (i = 1; argv[i]; i++) {
		size_t n = strlen(argv[i]) + 1;

		if (used + n > sizeof(buf)) {
			snprintf(why, len, "request too long for the broker");
			return -1;
		}
		memcpy(buf + used, argv[i], n);
		used += n;
	}
	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd < 0) {
		snprintf(why, len, "pidfd_open: %s", strerror(errno));
		return -1;
	}
	ret = nsiso_send_fds(fd, buf, used, &pidfd, 1);
	if (ret < 0)
		snprintf(why, len, "sending the request: %s", strerror(errno));
	close(pidfd);
	return ret;
}

/* recv(), once more after ECONNRESET: a broker that answered and closed
 * before it read our request (it passes over as we connect) leaves that
 * error first, reported once, and its answer queued behind it. */
static ssize_t recv_after_reset(int fd, char *buf, size_t len, int flags)
{
	bool reset = false;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, len, flags);
		if (n >= 0 || (errno != EINTR && (errno != ECONNRESET || reset)))
			return n;
		reset = reset || errno == ECONNRESET;
	}
}

/* One short message before the deadline into buf ("" on EOF or silence).
 * A signal to the application (a user may signal their own su) does not
 * cut the wait short. */
static void short_message(int fd, const struct nsiso_deadline *deadline, char *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n = -1;
	int ready;

	do
		ready = poll(&pfd, 1, nsiso_deadline_left_ms(deadline));
	while (ready < 0 && errno == EINTR);
	if (ready == 1)
		n = recv_after_reset(fd, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
}

/* Is msg the broker's "exec <reason>"?  Then why says so. */
static bool broker_passed(const char *msg, char *why, size_t len)
{
	size_t word = strlen(NSISO_BROKER_EXEC);

	if (strncmp(msg, NSISO_BROKER_EXEC, word) != 0 || msg[word] != ' ')
		return false;
	snprintf(why, len, "the broker passed: %.400s", msg + word + 1);
	return true;
}

/* Did the broker take the request?  1 if not, with why. */
static int broker_took(int fd, char *why, size_t len)
{
	char msg[NSISO_REPLY_MAX] = { 0 };
	struct nsiso_deadline deadline;

	nsiso_deadline_in(&deadline, NSISO_BROKER_TAKE_MS);
	short_message(fd, &deadline, msg, sizeof(msg));
	if (strcmp(msg, NSISO_BROKER_TAKEN) == 0)
		return 0;
	if (!broker_passed(msg, why, len))
		snprintf(why, len, "the broker did not take the request within %d ms",
			 NSISO_BROKER_TAKE_MS);
	return 1;
}

/* After a failed send: a broker that passed as we connected (its count of
 * a user's logins) may have answered and gone before our request came;
 * its reason, if it is there, replaces the send's error. */
static void passed_before_request(int fd, char *why, size_t len)
{
	char msg[NSISO_REPLY_MAX] = { 0 };
	ssize_t n = recv_after_reset(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT);

	if (n > 0)
		(void)broker_passed(msg, why, len);
}

int nsiso_ask_broker(const char *path, char *const argv[], struct helper_result *r)
{
	struct nsiso_deadline deadline;
	char done[16];
	int fd;

	init_result(r);
	fd = connect_broker(path, r->reason, sizeof(r->reason));
	if (fd < 0)
		return 1;
	if (send_request(fd, argv, r->reason, sizeof(r->reason)) < 0) {
		passed_before_request(fd, r->reason, sizeof(r->reason));
		close(fd);
		return 1;
	}
	if (broker_took(fd, r->reason, sizeof(r->reason)) != 0) {
		close(fd);
		return 1;
	}
	/* Taken: from here on the answer is final, as a helper's is. */
	nsiso_deadline_in(&deadline, NSISO_OPEN_TIMEOUT_MS);
	collect_reply(fd, &deadline, r);
	if (r->holder_pidfd >= 0) {
		short_message(fd, &deadline, done, sizeof(done));
		if (strcmp(done, NSISO_BROKER_DONE) != 0) {
			release_result(r);
			r->failure = NSISO_FAIL_DENY;
			snprintf(r->reason, sizeof(r->reason), "the broker failed after its reply");
		}
	}
	close(fd);
	return r->holder_pidfd >= 0 ? 0 : -1;
}
