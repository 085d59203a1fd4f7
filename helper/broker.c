/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* See broker.h. */
#include "broker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "../common/cgroup.h"
#include "../common/proto.h"
#include "../common/record.h"
#include "../common/size.h"
#include "../common/textfile.h"
#include "cgroupns.h"

/* Workers at once; a request beyond them is closed unanswered, and its
 * module execs the helper.  Bounds what a flood of logins makes us hold. */
#define BROKER_WORKERS_MAX 64
#define REQUEST_ARGS_MAX 64

/* ---- the listening socket --------------------------------------------- */

/* Held for the broker's life: the claim on its socket (bind_listener). */
static int claim_fd = -1;

/* A listening AF_UNIX SOCK_SEQPACKET socket, at a path that is root's and
 * nobody else's to connect to (the module checks the other direction: that
 * the listener is root). */
static const char *check_listener(int fd)
{
	struct sockaddr_un addr;
	socklen_t alen = sizeof(addr);
	int type = 0, listening = 0;
	socklen_t olen = sizeof(int);
	struct stat st;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) != 0 || type != SOCK_SEQPACKET)
		return "not a SOCK_SEQPACKET socket";
	olen = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &olen) != 0 || !listening)
		return "not listening";
	memset(&addr, 0, sizeof(addr));
	if (getsockname(fd, (struct sockaddr *)&addr, &alen) != 0 || addr.sun_family != AF_UNIX ||
	    alen <= offsetof(struct sockaddr_un, sun_path) || addr.sun_path[0] != '/')
		return "not bound to a path";
	if (lstat(addr.sun_path, &st) != 0 || !S_ISSOCK(st.st_mode))
		return "its path is not a socket";
	if (st.st_uid != 0 || (st.st_mode & 0077) != 0)
		return "its path is not root's alone (want mode 0600, owner root)";
	return NULL;
}

int nsiso_broker_activated_fd(const char *listen_pid, const char *listen_fds, char *err,
			      size_t len)
{
	uint64_t pid = 0, n = 0;
	const char *why;

	if (!listen_pid || !listen_fds)
		return -1;
	if (nsiso_parse_decimal(listen_pid, strlen(listen_pid), 4194304, &pid) != NULL ||
	    pid != (uint64_t)getpid() ||
	    nsiso_parse_decimal(listen_fds, strlen(listen_fds), 1024, &n) != NULL || n != 1) {
		snprintf(err, len, "socket activation: want exactly one socket for this process "
			 "(LISTEN_PID %.16s, LISTEN_FDS %.16s)", listen_pid, listen_fds);
		return -1;
	}
	why = check_listener(NSISO_CHANNEL_FD);
	if (why) {
		snprintf(err, len, "socket activation: fd %d: %s", NSISO_CHANNEL_FD, why);
		return -1;
	}
	return NSISO_CHANNEL_FD;
}

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}

/* The socket's directory, checked and created as the helper's run
 * directory is; then the socket, 0600, in place of a stale one.  The lock
 * (root's, in that directory: no user can hold it) keeps a second broker
 * from unlinking a live one's socket. */
static int bind_listener(const char *path, char *err, size_t len)
{
	char dir[200], proc_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *slash = strrchr(path, '/'), *name;
	struct stat st;
	int dir_fd, fd;
	mode_t old;

	if (path[0] != '/' || !slash || slash == path || !slash[1] ||
	    (size_t)(slash - path) >= sizeof(dir))
		return fail(err, len, "invalid --socket '%.64s': want an absolute path below /",
			    path);
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	name = slash + 1;
	dir_fd = nsiso_run_dir_open(dir, true, err, len);
	if (dir_fd < 0)
		return -1;
	claim_fd = openat(dir_fd, "broker.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (claim_fd < 0 || flock(claim_fd, LOCK_EX | LOCK_NB) != 0)
		return fail(err, len, "%s/broker.lock: %s", dir,
			    errno == EWOULDBLOCK ? "another broker is running" : strerror(errno));
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return fail(err, len, "%s exists and is not a socket", path);
		if (unlinkat(dir_fd, name, 0) != 0)
			return fail(err, len, "cannot remove the stale %s: %s", path, strerror(errno));
	}
	snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d/%s", dir_fd, name);
	if (strlen(proc_path) >= sizeof(addr.sun_path))
		return fail(err, len, "--socket name too long");
	memcpy(addr.sun_path, proc_path, strlen(proc_path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, len, "socket: %s", strerror(errno));
	/* Born 0600: no moment in which another user could connect. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 128) != 0) {
		umask(old);
		fail(err, len, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	close(dir_fd);
	return fd;
}

/* ---- one request, in its worker --------------------------------------- */

static void reply(int conn, const char *text)
{
	(void)send(conn, text, strlen(text), MSG_NOSIGNAL);
}

__attribute__((noreturn, format(printf, 2, 3)))
static void pass_over(int conn, const char *fmt, ...)
{
	char why[NSISO_REPLY_MAX - 8], text[NSISO_REPLY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(text, sizeof(text), "%s %s", NSISO_BROKER_EXEC, why);
	reply(conn, text);
	_exit(0);
}

/* The PID a pidfd refers to, in our PID namespace (its fdinfo); -1 when it
 * is no pidfd, 0 or -1 when its process is gone or not visible to us. */
static long pidfd_pid(int fd)
{
	char path[64], text[2048], *line;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (nsiso_read_text(path, text, sizeof(text)) <= 0)
		return -1;
	line = strstr(text, "\nPid:\t");
	return line ? strtol(line + 6, NULL, 10) : -1;
}

/* One message: the arguments, NUL-terminated each, and exactly one fd. */
static int receive_request(int conn, char *buf, size_t size, char **argv, int *argc, int *pidfd)
{
	char control[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg;
	size_t i, n_fds = 0;
	ssize_t got;
	char *p;

	*pidfd = -1;
	got = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
	if (got <= 0)
		return -1;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		for (i = 0; i < (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++, n_fds++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
			if (n_fds == 0)
				*pidfd = fd;
			else
				close(fd);
		}
	}
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || n_fds != 1 || buf[got - 1] != '\0')
		return -1;
	argv[0] = (char *)"nsiso-helper";
	*argc = 1;
	for (p = buf; p < buf + got; p += strlen(p) + 1) {
		if (*argc >= REQUEST_ARGS_MAX - 1)
			return -1;
		argv[(*argc)++] = p;
	}
	argv[*argc] = NULL;
	return 0;
}

/* The namespaces and root directory of the application are ours: then the
 * holder we clone is what an exec'd helper, its child, would have cloned.
 * Read through /proc while its pidfd says it is alive, so they were its. */
static const char *same_place(pid_t caller, int pidfd)
{
	static const char *const kinds[] = {
		"mnt", "pid", "pid_for_children", "uts", "ipc", "net", "cgroup", "user", "time",
	};
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	char path[96], own[96];
	struct stat a, b;
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		bool has_a, has_b;

		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)caller, kinds[i]);
		snprintf(own, sizeof(own), "/proc/self/ns/%s", kinds[i]);
		has_a = stat(path, &a) == 0;
		has_b = stat(own, &b) == 0;
		if (has_a != has_b || (has_a && (a.st_dev != b.st_dev || a.st_ino != b.st_ino)))
			return kinds[i];
	}
	snprintf(path, sizeof(path), "/proc/%d/root", (int)caller);
	if (stat(path, &a) != 0 || stat("/", &b) != 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino)
		return "root directory";
	if (poll(&pfd, 1, 0) != 0)
		return "(the application went away)";
	return NULL;
}

__attribute__((noreturn))
static void serve(int conn, const struct ucred *peer, nsiso_broker_open_fn open_fn)
{
	static char buf[NSISO_BROKER_REQUEST_MAX];
	char *argv[REQUEST_ARGS_MAX], why[NSISO_REPLY_MAX - 16];
	struct nsiso_request r;
	const char *other;
	int argc, pidfd;

	/* The connection becomes the channel first: fd 3 is then taken, and no
	 * fd received below can be the one a later dup2() would close. */
	if (conn != NSISO_CHANNEL_FD) {
		if (dup2(conn, NSISO_CHANNEL_FD) != NSISO_CHANNEL_FD)
			_exit(1);
		close(conn);
		conn = NSISO_CHANNEL_FD;
	}
	fcntl(conn, F_SETFD, FD_CLOEXEC);
	if (receive_request(conn, buf, sizeof(buf), argv, &argc, &pidfd) < 0)
		pass_over(conn, "malformed request");
	if (argc < 2 || strcmp(argv[1], "open") != 0 ||
	    nsiso_request_decode(argc, argv, &r, why, sizeof(why)) != NULL)
		pass_over(conn, "request not understood");
	/* The connection's credentials (taken at connect) name the
	 * application; its pidfd in the request pins that process. */
	if (r.caller <= 1 || r.caller != peer->pid || pidfd_pid(pidfd) != (long)peer->pid)
		pass_over(conn, "the request is not from the process that connected "
			  "(another PID namespace?)");
	other = same_place(r.caller, pidfd);
	if (other)
		pass_over(conn, "the PAM application's %s is not the broker's", other);
	if (nsiso_cgroup_follow_caller(r.caller, pidfd, why, sizeof(why)) < 0)
		pass_over(conn, "%s", why);
	reply(conn, NSISO_BROKER_TAKEN);
	open_fn(&r, pidfd);
	_exit(1);	/* not reached */
}

/* ---- the loop --------------------------------------------------------- */

/* The root-only socket keeps users out; a root process that is not our
 * module gets no further either (it could do all this itself). */
static void accept_one(int listen_fd, unsigned *workers, nsiso_broker_open_fn open_fn)
{
	struct ucred peer;
	socklen_t len = sizeof(peer);
	int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	pid_t pid;

	if (conn < 0)
		return;
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 || peer.uid != 0) {
		syslog(LOG_WARNING, "broker: refused a connection from uid %d",
		       len == sizeof(peer) ? (int)peer.uid : -1);
		close(conn);
		return;
	}
	if (*workers >= BROKER_WORKERS_MAX) {
		close(conn);	/* the module execs the helper */
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(listen_fd);
		serve(conn, &peer, open_fn);
	}
	if (pid > 0)
		(*workers)++;
	else
		syslog(LOG_ERR, "broker: fork: %m");
	close(conn);
}

static void reap_workers(unsigned *workers)
{
	while (*workers > 0 && waitpid(-1, NULL, WNOHANG) > 0)
		(*workers)--;
}

/* libcgroup's table of mounts, filled once here and inherited by every
 * worker, is filled again when the mount table changes (poll on
 * /proc/self/mountinfo says so). */
static void refresh_cgroup_table(int mountinfo_fd)
{
	static char drain[65536];
	char err[256];

	while (read(mountinfo_fd, drain, sizeof(drain)) > 0)
		;
	lseek(mountinfo_fd, 0, SEEK_SET);
	if (nsiso_cgroup_reinit(err, sizeof(err)) < 0)
		syslog(LOG_DEBUG, "broker: %s", err);
}

int nsiso_broker_main(const char *socket_path, int listen_fd, nsiso_broker_open_fn open_fn)
{
	char err[512];
	unsigned workers = 0;
	int mountinfo_fd, null_fd;

	if (listen_fd < 0)
		listen_fd = bind_listener(socket_path, err, sizeof(err));
	if (listen_fd < 0) {
		syslog(LOG_ERR, "broker: %s", err);
		fprintf(stderr, "nsiso-helper: broker: %s\n", err);
		return 1;
	}
	/* Workers, holders and reapers must not keep a terminal open. */
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd >= 0) {
		dup2(null_fd, 0);
		dup2(null_fd, 1);
		dup2(null_fd, 2);
		if (null_fd > 2)
			close(null_fd);
	}
	mountinfo_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (mountinfo_fd >= 0)
		refresh_cgroup_table(mountinfo_fd);
	syslog(LOG_INFO, "broker: serving on %s", socket_path);
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = listen_fd, .events = POLLIN },
			{ .fd = mountinfo_fd, .events = POLLPRI },
		};

		reap_workers(&workers);
		if (poll(pfd, mountinfo_fd >= 0 ? 2 : 1, workers > 0 ? 100 : -1) <= 0)
			continue;
		if (pfd[1].revents & (POLLPRI | POLLERR))
			refresh_cgroup_table(mountinfo_fd);
		if (pfd[0].revents & POLLIN)
			accept_one(listen_fd, &workers, open_fn);
	}
}
