/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* See broker.h. */
#include "broker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../common/cgroup.h"
#include "../common/deadline.h"
#include "../common/fdpass.h"
#include "../common/pages.h"
#include "../common/proto.h"
#include "../common/record.h"
#include "../common/size.h"
#include "../common/textfile.h"
#include "cgroupns.h"
#include "faults.h"
#include "prebuilt.h"
#include "holder.h"
#include "workers.h"

/* Workers at once: no spare is made beyond them, so a request waits in the
 * socket's backlog and its module execs the helper after
 * NSISO_BROKER_TAKE_MS.  Bounds what a flood of logins makes us hold. */
#define BROKER_WORKERS_MAX NSISO_WORKERS_MAX
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

/* The request, as a worker receives it (static: the spare makes its first
 * page, where every request so far fits, its own ahead: rehearse()). */
static char request[NSISO_BROKER_REQUEST_MAX];
#define REQUEST_REHEARSED_BYTES 4096

/* The module sends its request right after it connects.  Its application
 * may be a user's setuid program, stopped by that user (SIGSTOP) between
 * the two: waiting for it without end would park this worker, its holder
 * and its reaper for good, and 64 such connections would leave no worker
 * for anyone.  Its module stops waiting for our word after the same
 * time, so nobody waits longer for nothing. */
static bool request_arrives(int conn)
{
	struct pollfd pfd = { .fd = conn, .events = POLLIN };
	struct nsiso_deadline until;
	int n;

	nsiso_deadline_in(&until, NSISO_BROKER_TAKE_MS);
	do
		n = poll(&pfd, 1, nsiso_deadline_left_ms(&until));
	while (n < 0 && errno == EINTR);
	return n == 1;
}

/* One message: the arguments, NUL-terminated each, and exactly one fd. */
static int receive_request(int conn, char *buf, size_t size, char **argv, int *argc, int *pidfd)
{
	int fds[4], flags = 0;
	size_t n_fds = 0;
	ssize_t got;
	char *p;

	*pidfd = -1;
	got = nsiso_recv_fds(conn, buf, size, fds, 4, &n_fds, &flags);
	if (got > 0 && !(flags & MSG_TRUNC) && n_fds == 1 && buf[got - 1] == '\0')
		*pidfd = fds[0];
	else
		while (n_fds > 0)
			close(fds[--n_fds]);
	if (*pidfd < 0)
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

/* The namespaces a request's application must share with us, and our root
 * directory (last).  Ours are looked up once, when the broker starts: it
 * never changes them, and every spare and worker is its fork. */
static const char *const place_kinds[] = {
	"mnt", "pid", "pid_for_children", "uts", "ipc", "net", "cgroup", "user", "time",
	"root directory",
};
#define PLACE_KINDS (sizeof(place_kinds) / sizeof(place_kinds[0]))
#define ROOT_PLACE (PLACE_KINDS - 1)

struct place_id {
	bool present;
	dev_t dev;
	ino_t ino;
};

static struct place_id own_place[PLACE_KINDS];

/* /proc/<pid>/ns/<kind> of each namespace kind, and /proc/<pid>/root. */
static void place_path(const char *pid, size_t i, char *path, size_t len)
{
	if (i == ROOT_PLACE)
		snprintf(path, len, "/proc/%s/root", pid);
	else
		snprintf(path, len, "/proc/%s/ns/%s", pid, place_kinds[i]);
}

static struct place_id place_of(const char *pid, size_t i)
{
	struct place_id id = { false, 0, 0 };
	char path[96];
	struct stat st;

	place_path(pid, i, path, sizeof(path));
	if (stat(path, &st) == 0)
		id = (struct place_id){ true, st.st_dev, st.st_ino };
	return id;
}

/* The same namespace (or root), or the same kind missing on both sides. */
static bool same_id(struct place_id a, struct place_id b)
{
	return a.present == b.present && (!a.present || (a.dev == b.dev && a.ino == b.ino));
}

static void learn_own_place(void)
{
	size_t i;

	for (i = 0; i < PLACE_KINDS; i++)
		own_place[i] = place_of("self", i);
}

/* The namespaces and root directory of the application are ours: then the
 * holder we clone is what an exec'd helper, its child, would have cloned.
 * Read through /proc while its pidfd says it is alive, so they were its. */
static const char *same_place(pid_t caller, int pidfd)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	char pid[24];
	size_t i;

	snprintf(pid, sizeof(pid), "%d", (int)caller);
	for (i = 0; i < PLACE_KINDS; i++) {
		struct place_id theirs = place_of(pid, i);

		/* A namespace kind the kernel lacks is missing on both sides;
		 * a root directory we cannot see is another one. */
		if (!same_id(theirs, own_place[i]) || (i == ROOT_PLACE && !theirs.present))
			return place_kinds[i];
	}
	if (poll(&pfd, 1, 0) != 0)
		return "(the application went away)";
	return NULL;
}

/* What a spare tells the broker on the taken pipe (one write each, well
 * within PIPE_BUF). */
enum note_kind { NOTE_TAKEN, NOTE_ISOLATE };

struct spare_note {
	pid_t spare;
	enum note_kind what;
	unsigned isolate;	/* NOTE_ISOLATE: the namespaces a login asked for */
};

/* The namespaces spares make holders in: first the usual full set, then
 * the set most of the last PREBUILD_RECENT logins asked for (a tie keeps
 * the one in use, so that two sets in turn do not make every holder
 * unfit). */
#define PREBUILD_ISOLATE_FIRST (NSISO_NS_UTS | NSISO_NS_IPC | NSISO_NS_MNT | NSISO_NS_PID)
#define PREBUILD_ISOLATE_BITS (PREBUILD_ISOLATE_FIRST | NSISO_NS_NET)
#define PREBUILD_RECENT 8

static void note(int taken_wr, enum note_kind what, unsigned isolate)
{
	const struct spare_note n = { getpid(), what, isolate };

	if (write(taken_wr, &n, sizeof(n)) != (ssize_t)sizeof(n) && what == NOTE_TAKEN)
		_exit(1);
}

__attribute__((noreturn))
static void serve(int conn, const struct ucred *peer, int taken_wr, nsiso_broker_open_fn open_fn,
		  struct nsiso_prebuilt *pb)
{
	char *argv[REQUEST_ARGS_MAX], why[NSISO_REPLY_MAX - 16];
	struct nsiso_request r;
	const char *other, *busy;
	int argc, pidfd;
	long user, counted;

	/* The connection becomes the channel first: fd 3 is then taken, and no
	 * fd received below can be the one a later dup2() would close.  (Fd 3
	 * is nothing else of ours here: reserve_channel_fd().) */
	if (conn != NSISO_CHANNEL_FD) {
		if (dup2(conn, NSISO_CHANNEL_FD) != NSISO_CHANNEL_FD)
			_exit(1);
		close(conn);
		conn = NSISO_CHANNEL_FD;
	}
	fcntl(conn, F_SETFD, FD_CLOEXEC);
	/* A bound of our own, as an exec'd helper has the module's: a worker
	 * slowed in a user's groups (below), or a step that does not end
	 * (sd-bus waits up to 90 s for a bus that stalls its authentication)
	 * would keep one of the broker's workers for good (a review of
	 * 9f2282c).  Until "taken", the module's wait for it (and a second);
	 * from then on, its budget (a second more).  The module gave up on us
	 * by then.  SIGALRM ends us (the broker's signals are the defaults). */
	alarm(NSISO_BROKER_TAKE_MS / 1000 + 1);
	/* Counted as it connects, before its request: a user who stops their
	 * su in between holds one of their own places, not one of everybody's
	 * (threat model B3). */
	user = nsiso_workers_connecting_user(peer);
	if (user < 0)
		pass_over(conn, "cannot tell whose limits the PAM application is under");
	busy = nsiso_workers_claim((uint32_t)user);
	if (busy)
		pass_over(conn, "the broker serves %s (uid %ld)", busy, user);
	if (!request_arrives(conn)) {
		syslog(LOG_WARNING, "broker: no request within %d ms of a connection (pid %d)",
		       NSISO_BROKER_TAKE_MS, (int)peer->pid);
		pass_over(conn, "no request within %d ms", NSISO_BROKER_TAKE_MS);
	}
	if (receive_request(conn, request, sizeof(request), argv, &argc, &pidfd) < 0)
		pass_over(conn, "malformed request");
	if (argc < 2 || strcmp(argv[1], "open") != 0 ||
	    nsiso_request_decode(argc, argv, &r, why, sizeof(why)) != NULL)
		pass_over(conn, "request not understood");
	/* The connection's credentials (taken at connect) name the
	 * application; its pidfd in the request pins that process. */
	if (r.caller <= 1 || r.caller != peer->pid || nsiso_pidfd_pid(pidfd) != (long)peer->pid)
		pass_over(conn, "the request is not from the process that connected "
			  "(another PID namespace?)");
	other = same_place(r.caller, pidfd);
	if (other)
		pass_over(conn, "the PAM application's %s is not the broker's", other);
	/* (A login of no user's application whose rule has limits.) */
	counted = nsiso_workers_request_user(user, r.uid, r.use_cgroup);
	if (counted != user) {
		user = counted;
		busy = nsiso_workers_recount((uint32_t)user);
		if (busy)
			pass_over(conn, "the broker serves %s (uid %ld)", busy, user);
	}
	/* What spares make next follows what vouched-for logins ask for. */
	note(taken_wr, NOTE_ISOLATE, r.isolate);
	close(taken_wr);
	if (nsiso_cgroup_follow_caller(r.caller, pidfd, pb->follow, &pb->n_follow, why,
				       sizeof(why)) < 0)
		pass_over(conn, "%s", why);
	/* The module waits for us from "taken" on, up to its budget: the
	 * longer bound first, so that the first cannot end us after it. */
	alarm(NSISO_OPEN_TIMEOUT_MS / 1000 + 1);
	reply(conn, NSISO_BROKER_TAKEN);
	/* A worker slowed in a user's groups, for as long as a test likes. */
	FAULT_POINT_OF("broker-taken-user", (unsigned long)user);
	open_fn(&r, pidfd, pb);
	_exit(1);	/* not reached */
}

/* ---- the pool --------------------------------------------------------- */

/* Spare workers wait for a connection themselves, forked ahead: a login
 * does not wait for the broker's fork (whose cost here is mostly copying the page
 * tables of libcgroup's table).  Each spare serves one connection. */
#define BROKER_SPARES 2

/* A spare's making (a fork, a clone into new namespaces, another fork:
 * about 3 ms of CPU on a 2-core VM) would compete with the login that just
 * took the last one's place: while another spare is left, the place is
 * filled only this long after the take, when that login is mostly done.
 * With none left, one is made as soon as the worker that took the last
 * has ended (its login has its reply), or at once when a connection waits
 * or another worker still serves (spare_wanted_now()), and the rest when
 * due: made at the take, it took the CPU the worker was serving its login
 * on (logins back to back via a broker: the open 0.86 -> 0.71 ms, the
 * worker's accept to its request 95 -> 9 us); two made together are a CPU's 5
 * ms beside the end of the session that took the last one (a trace of
 * sessions back to back: the slowest fifth of teardowns, 5.1 ms each, had
 * 4.9 ms of spares' CPU in them; the faster half none). */
#define BROKER_REFILL_DELAY_MS 20

/* After a change of the mount table that leaves the cgroup mounts as they
 * were, the spares are replaced at most this often.  Their holders copied
 * the old table, so a login until then has its holder copy it again
 * (holder.h: remount).  Any user with fusermount can change the table as
 * often as they like, and each replacement costs root a fork, a clone into
 * new namespaces and another fork per spare. */
#define BROKER_RESPARE_MIN_MS 2000

struct pool {
	pid_t spare[BROKER_SPARES];	/* waiting for a connection; 0 = none */
	unsigned busy;			/* took a connection, not yet reaped */
	unsigned prebuild_isolate;	/* for the holders of new spares */
	unsigned recent[PREBUILD_RECENT];	/* what the last logins asked for */
	unsigned n_recent, next_recent;
	long long refill_at_ms;		/* CLOCK_MONOTONIC; 0 = at once */
	long long respare_at_ms;	/* spares are stale from then; 0 = not */
	long long respared_ms;		/* their last replacement */
	uint64_t cgroup_mounts;		/* digest: what libcgroup's table is from */
	pid_t broker;
	int listen_fd, mountinfo_fd;
	int taken_rd, taken_wr;		/* struct spare_note, from spares */
	/* The spares' retire pipe: its write end is the broker's alone, and
	 * closing it retires every spare made with it; -1 until the next
	 * spare is made (fill_spares()). */
	int retire_rd, retire_wr;
	/* While no spare is left: the worker that took the last one (our
	 * unreaped child, so its PID was its own), until it ends; -1 else. */
	int taker_pidfd;
	nsiso_broker_open_fn open_fn;
};

/* The channel's number kept from every fd the broker and its spares open
 * (the taken pipe, what a spare makes ahead): serve() puts the connection
 * there with dup2(), which would close whatever else had it without a
 * word.  A placeholder when it is free (0-2 are open: the lowest free fd is
 * then 3); else it is the listening socket, which a worker closes before
 * that dup2(). */
static void reserve_channel_fd(void)
{
	int fd;

	if (fcntl(NSISO_CHANNEL_FD, F_GETFD) >= 0)
		return;
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fd != NSISO_CHANNEL_FD)
		close(fd);
}

/* What a worker does first that no spare did before it, rehearsed while
 * the spare waits, on pages that are its own by then: a fork shares the
 * broker's written pages until one side writes, and maps none of the code
 * the child has not run yet; each such page fault took 20-100 us in the
 * worker (perf, this guest).  Rehearsed: the user lookup (with root: libc's
 * name-service set-up, its code, and the try to reach nscd, which libc
 * then leaves alone for a while when none runs; 308 -> 32 us in the
 * worker), the clock (the vDSO), libcgroup's code and table lock, and the
 * first page of each buffer a login reads into. */
static void rehearse(void)
{
	struct timespec now;

	(void)getpwnam("root");
	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	nsiso_cgroup_rehearse();
	nsiso_cgroupns_rehearse();
	nsiso_own_pages(request, REQUEST_REHEARSED_BYTES);
}

/* In a spare: a connection, or -1 once the broker has retired this spare
 * (EOF on the retire pipe: retire_spares()).  The retirement is looked at
 * first and only while no connection is accepted: a spare that has one is
 * a worker and finishes its login, whatever the broker does meanwhile (it
 * used to kill spares it still counted as idle, and one that had accepted
 * and said "taken" since had its login denied: from "taken" on the module's
 * answer is final).  The listening socket is non-blocking: every spare
 * waiting is woken by a connection (none sleeps in accept(), out of reach
 * of its retirement, and none misses one another retired without taking),
 * and all but one find it taken. */
static int await_connection(const struct pool *p)
{
	struct pollfd pfd[2] = {
		{ .fd = p->retire_rd, .events = POLLIN },
		{ .fd = p->listen_fd, .events = POLLIN },
	};
	int conn;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pfd[0].revents)
			_exit(0);
		conn = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (conn >= 0 || (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED))
			return conn;
	}
}

/* In a spare: one connection, then the worker's part.  The root-only socket
 * keeps users out; a peer that is not root gets no further either. */
__attribute__((noreturn))
static void spare_main(const struct pool *p)
{
	struct nsiso_prebuilt pb;
	struct ucred peer;
	socklen_t len = sizeof(peer);
	int conn;

	close(p->taken_rd);
	nsiso_workers_keep_from_children();
	nsiso_prebuild(&pb, p->prebuild_isolate);
	rehearse();
	conn = await_connection(p);
	/* A worker now: it finishes its login even if the broker goes. */
	(void)prctl(PR_SET_PDEATHSIG, 0);
	/* Whatever happened, the broker makes a new spare. */
	note(p->taken_wr, NOTE_TAKEN, 0);
	/* Nothing of the broker's may live on in a holder or reaper: above all
	 * not the claim on the socket, which would keep a new broker out for
	 * as long as the session lasts.  (The taken pipe goes once the
	 * request is read: serve().) */
	close(p->listen_fd);
	close(p->retire_rd);
	if (p->mountinfo_fd >= 0)
		close(p->mountinfo_fd);
	if (conn < 0)
		_exit(1);
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0)
		_exit(1);
	if (peer.uid != 0) {
		syslog(LOG_WARNING, "broker: refused a connection from uid %d", (int)peer.uid);
		_exit(0);
	}
	serve(conn, &peer, p->taken_wr, p->open_fn, &pb);
}

static unsigned spares_of(const struct pool *p)
{
	unsigned i, n = 0;

	for (i = 0; i < BROKER_SPARES; i++)
		n += p->spare[i] != 0;
	return n;
}

static void forget_taker(struct pool *p)
{
	if (p->taker_pidfd >= 0)
		close(p->taker_pidfd);
	p->taker_pidfd = -1;
}

/* A retire pipe for the spares about to be made, unless they have one. */
static bool retire_pipe(struct pool *p)
{
	int fds[2];

	if (p->retire_wr >= 0)
		return true;
	if (pipe2(fds, O_CLOEXEC) != 0) {
		syslog(LOG_ERR, "broker: pipe: %m");
		return false;
	}
	p->retire_rd = fds[0];
	p->retire_wr = fds[1];
	return true;
}

/* Up to max empty places filled, within BROKER_WORKERS_MAX workers in all.
 * Whatever the wait for the last taker was, it is over (and its pidfd is
 * not a new spare's). */
static void fill_spares(struct pool *p, unsigned max)
{
	unsigned i;

	forget_taker(p);
	if (!retire_pipe(p))
		return;
	for (i = 0; i < BROKER_SPARES && max > 0; i++) {
		pid_t pid;

		if (p->spare[i] != 0 || spares_of(p) + p->busy >= BROKER_WORKERS_MAX)
			continue;
		pid = fork();
		if (pid == 0) {
			/* A spare dies with the broker: nothing would replace it,
			 * and it would go on accepting on the socket a new broker
			 * is to take over.  The claim on the socket is the
			 * broker's alone: nothing of ours may keep a new broker
			 * out (a holder or reaper would, for a session's life).
			 * Nor may a spare keep the retire pipe open. */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != p->broker)
				_exit(0);
			if (claim_fd >= 0)
				close(claim_fd);
			close(p->retire_wr);
			spare_main(p);
		}
		if (pid < 0) {
			syslog(LOG_ERR, "broker: fork: %m");
			return;
		}
		p->spare[i] = pid;
		max--;
	}
}

static bool forget_spare(struct pool *p, pid_t pid)
{
	unsigned i;

	for (i = 0; i < BROKER_SPARES; i++)
		if (p->spare[i] == pid) {
			p->spare[i] = 0;
			return true;
		}
	return false;
}

static long long monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static unsigned times_asked(const struct pool *p, unsigned isolate)
{
	unsigned i, n = 0;

	for (i = 0; i < p->n_recent; i++)
		n += p->recent[i] == isolate;
	return n;
}

static void count_asked(struct pool *p, unsigned isolate)
{
	unsigned i, best;

	p->recent[p->next_recent] = isolate & PREBUILD_ISOLATE_BITS;
	p->next_recent = (p->next_recent + 1) % PREBUILD_RECENT;
	if (p->n_recent < PREBUILD_RECENT)
		p->n_recent++;
	best = times_asked(p, p->prebuild_isolate);
	for (i = 0; i < p->n_recent; i++)
		if (times_asked(p, p->recent[i]) > best) {
			p->prebuild_isolate = p->recent[i];
			best = times_asked(p, p->recent[i]);
		}
}

/* The worker that took the last spare, by a pidfd opened while it is our
 * unreaped child: the notes are read before any waitpid() (reap_workers(),
 * retire_spares()).  Without one (pidfd_open() failed: before Linux 5.3,
 * or out of fds) the next spare is made at once, as if it had ended. */
static void wait_for_taker(struct pool *p, pid_t worker)
{
	forget_taker(p);
	p->taker_pidfd = (int)syscall(SYS_pidfd_open, worker, 0);
}

/* Spares that took a connection are workers now, and what logins asked
 * for (taken_rd is non-blocking). */
static void note_taken(struct pool *p)
{
	struct spare_note n;

	while (read(p->taken_rd, &n, sizeof(n)) == (ssize_t)sizeof(n)) {
		if (n.what == NOTE_ISOLATE) {
			count_asked(p, n.isolate);
		} else if (forget_spare(p, n.spare)) {
			p->busy++;
			p->refill_at_ms = monotonic_ms() + BROKER_REFILL_DELAY_MS;
			if (spares_of(p) == 0)
				wait_for_taker(p, n.spare);
		}
	}
}

/* With no spare left, is it time for one: has the last taker ended, or
 * does a connection wait to be accepted?  At once, too, while another
 * worker still serves (busy counts those not yet reaped, and this is asked
 * after reap_workers()): logins that overlap come in bursts, whose next
 * would wait for the whole making of its spare after its connect. */
static bool spare_wanted_now(const struct pool *p)
{
	struct pollfd pfd[2] = {
		{ .fd = p->taker_pidfd, .events = POLLIN },
		{ .fd = p->listen_fd, .events = POLLIN },
	};

	return p->taker_pidfd < 0 || p->busy > 1 || poll(pfd, 2, 0) != 0;
}

static void retire_spares(struct pool *p);

/* How long the broker may sleep: until a place is due to be filled, or
 * (while workers run) until the next look for finished ones.  Places are
 * filled when due, and one at once when none is left. */
static int refill(struct pool *p)
{
	long long left = p->refill_at_ms - monotonic_ms();

	if (spares_of(p) < BROKER_SPARES && left <= 0) {
		fill_spares(p, BROKER_SPARES);
		p->refill_at_ms = 0;
	} else if (spares_of(p) == 0 && spare_wanted_now(p)) {
		fill_spares(p, 1);
	}
	if (spares_of(p) < BROKER_SPARES && left > 0)
		return (int)left;
	return p->busy > 0 ? 100 : 1000;
}

/* The spares' replacement, when it is due (mounts_changed()); how long
 * the broker may sleep until then, or -1. */
static int respare(struct pool *p)
{
	long long now, left;

	if (p->respare_at_ms == 0)
		return -1;
	now = monotonic_ms();
	left = p->respare_at_ms - now;
	if (left > 0)
		return (int)left;
	retire_spares(p);
	p->respare_at_ms = 0;
	p->respared_ms = now;
	return -1;
}

/* A spare that ended without a connection just leaves its place. */
static void reap_workers(struct pool *p)
{
	siginfo_t ended;
	int status;

	for (;;) {
		/* Which child ended, left unreaped for now: a spare that took a
		 * connection wrote its note before it ended, and the note is
		 * read while the PID it names is still that spare's (a pidfd may
		 * be opened of it: wait_for_taker()). */
		ended.si_pid = 0;
		note_taken(p);
		if (waitid(P_ALL, 0, &ended, WEXITED | WNOHANG | WNOWAIT) != 0 || ended.si_pid == 0)
			return;
		if (waitpid(ended.si_pid, &status, 0) != ended.si_pid) {
			if (errno == EINTR)
				continue;
			return;	/* cannot be: it was there to reap */
		}
		nsiso_workers_release(ended.si_pid);
		if (forget_spare(p, ended.si_pid))
			continue;
		if (p->busy > 0)
			p->busy--;
		/* Its own bound (open_for_broker()): the module had given up. */
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
			syslog(LOG_WARNING, "broker: worker %d ended by its time limit",
			       (int)ended.si_pid);
	}
}

/* Spares hold libcgroup's table as it was when they were forked: after a
 * change of the mount table they go, and new ones are made.  They retire
 * themselves, on EOF of their retire pipe, unless they have accepted a
 * connection: then they are workers and serve it (await_connection()).
 * Either way they are counted as workers until reaped, so that one that
 * serves a login meanwhile is counted in BROKER_WORKERS_MAX. */
static void retire_spares(struct pool *p)
{
	unsigned i;

	note_taken(p);
	/* Where a spare that accepts now used to be killed as idle. */
	FAULT_POINT("broker-retire");
	if (p->retire_wr >= 0) {
		close(p->retire_wr);
		close(p->retire_rd);
		p->retire_rd = p->retire_wr = -1;
	}
	for (i = 0; i < BROKER_SPARES; i++)
		if (p->spare[i] != 0) {
			p->spare[i] = 0;
			p->busy++;
		}
}

static uint64_t fnv1a(uint64_t h, const char *text)
{
	for (; *text; text++)
		h = (h ^ (unsigned char)*text) * 1099511628211ULL;
	return h;
}

/* A digest of the cgroup mounts in the mount table (the lines whose file
 * system is cgroup or cgroup2), read line by line whatever its size; 0
 * when it cannot be read.  No user can make such a line: a FUSE mount's
 * type is "fuse" or "fuse.<subtype>", and the kernel escapes spaces and
 * newlines in paths, so " - " appears only before the type. */
static uint64_t cgroup_mounts_digest(int mountinfo_fd)
{
	static char buf[65536];
	uint64_t h = 14695981039346656037ULL;
	size_t have = 0;
	ssize_t n;

	if (lseek(mountinfo_fd, 0, SEEK_SET) != 0)
		return 0;
	while ((n = read(mountinfo_fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
		char *line = buf, *nl;

		have += (size_t)n;
		while ((nl = memchr(line, '\n', have - (size_t)(line - buf))) != NULL) {
			*nl = '\0';
			if (strstr(line, " - cgroup ") || strstr(line, " - cgroup2 "))
				h = fnv1a(h, line);
			line = nl + 1;
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1)
			have = 0;	/* no line is that long: not a mount table */
	}
	return n < 0 ? 0 : h;
}

/* libcgroup's table of mounts, filled once here and inherited by every
 * worker, is filled again when the cgroup mounts change; the spares, whose
 * tables are the old one, go at once.  Any other change of the mount table
 * makes only their holders stale: they are replaced within
 * BROKER_RESPARE_MIN_MS of the last replacement (respare()). */
static void mounts_changed(struct pool *p)
{
	uint64_t digest = cgroup_mounts_digest(p->mountinfo_fd);
	char err[256];

	if (digest == 0 || digest != p->cgroup_mounts) {
		p->cgroup_mounts = digest;
		if (nsiso_cgroup_reinit(err, sizeof(err)) < 0)
			syslog(LOG_DEBUG, "broker: %s", err);
		p->respare_at_ms = monotonic_ms();
	} else if (p->respare_at_ms == 0) {
		p->respare_at_ms = p->respared_ms + BROKER_RESPARE_MIN_MS;
	}
}

/* What a login's worker would otherwise do first, done once here, where
 * every spare inherits it (each first in a spare costs page faults):
 *   - the heap it allocates from (libcgroup's group and its values take
 *     about 40 KiB), written: a spare makes the broker's written heap
 *     pages its own before it accepts (prebuilt.c).  Freed into the top of
 *     the heap, below glibc's trim threshold (128 KiB), which keeps it;
 *   - libc's own lazy binding of realloc (asprintf calls it; libcgroup
 *     builds its paths with asprintf), found with a probe on _dl_fixup. */
#define BROKER_WARM_HEAP ((size_t)64 * 1024)

static void warm_up(void)
{
	char *heap = malloc(BROKER_WARM_HEAP), *text;

	if (heap) {
		explicit_bzero(heap, BROKER_WARM_HEAP);	/* a memset before free() is dropped */
		free(heap);
	}
	/* (glibc shrinks the result with realloc when it takes half of the
	 * 100 bytes it began with or more.) */
	if (asprintf(&text, "%64d", 0) >= 0)
		free(text);
}

/* What the broker waits for, as the pool is now (after refill(): a take
 * it just read may have left no spare): a spare that took a connection, a
 * change of the mount table, and while no spare is left the last taker's
 * end or a connection that waits (spare_wanted_now()).  Else the timeout:
 * a place due, and while workers run every 100 ms to reap them. */
#define BROKER_POLL_FDS 4

static void broker_pollfds(const struct pool *p, struct pollfd pfd[BROKER_POLL_FDS])
{
	pfd[0] = (struct pollfd){ .fd = p->taken_rd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = p->mountinfo_fd, .events = POLLPRI };
	pfd[2] = (struct pollfd){ .fd = p->taker_pidfd, .events = POLLIN };
	pfd[3] = (struct pollfd){ .fd = p->taker_pidfd >= 0 ? p->listen_fd : -1,
				  .events = POLLIN };
}

/* What the pool needs besides its socket: the table of whom workers
 * serve (workers.h), the socket non-blocking for the spares that wait on it
 * (await_connection()), the taken pipe (its read end non-blocking). */
static int pool_setup(int listen_fd, int taken[2], char *err, size_t len)
{
	if (nsiso_workers_init(err, len) < 0)
		return -1;
	if (fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK) != 0)
		return fail(err, len, "the listening socket: %s", strerror(errno));
	if (pipe2(taken, O_CLOEXEC) != 0)
		return fail(err, len, "pipe: %s", strerror(errno));
	fcntl(taken[0], F_SETFL, O_NONBLOCK);
	return 0;
}

int nsiso_broker_main(const char *socket_path, int listen_fd, nsiso_broker_open_fn open_fn)
{
	struct pool p = { .open_fn = open_fn, .broker = getpid(),
			  .prebuild_isolate = PREBUILD_ISOLATE_FIRST };
	int taken[2] = { -1, -1 };
	char err[512];

	reserve_channel_fd();
	if (listen_fd < 0)
		listen_fd = bind_listener(socket_path, err, sizeof(err));
	if (listen_fd >= 0 && pool_setup(listen_fd, taken, err, sizeof(err)) < 0)
		listen_fd = -1;
	if (listen_fd < 0) {
		syslog(LOG_ERR, "broker: %s", err);
		fprintf(stderr, "nsiso-helper: broker: %s\n", err);
		return 1;
	}
	p.listen_fd = listen_fd;
	p.taken_rd = taken[0];
	p.taken_wr = taken[1];
	p.taker_pidfd = -1;
	p.retire_rd = p.retire_wr = -1;
	/* Workers, holders and reapers must not keep a terminal open. */
	nsiso_detach_stdio();
	learn_own_place();
	p.mountinfo_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (p.mountinfo_fd >= 0)
		mounts_changed(&p);	/* libcgroup's table as of now */
	warm_up();
	syslog(LOG_INFO, "broker: serving on %s", socket_path);
	for (;;) {
		struct pollfd pfd[BROKER_POLL_FDS];
		int timeout, until_respare;

		reap_workers(&p);
		until_respare = respare(&p);
		timeout = refill(&p);
		if (until_respare >= 0 && until_respare < timeout)
			timeout = until_respare;
		broker_pollfds(&p, pfd);
		if (poll(pfd, BROKER_POLL_FDS, timeout) <= 0)
			continue;
		if (pfd[1].revents & (POLLPRI | POLLERR))
			mounts_changed(&p);
	}
}
