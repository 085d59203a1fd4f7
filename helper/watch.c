/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#include "../common/proto.h"
#include "../common/quota.h"
#include "../common/record.h"
#include "../common/uidlock.h"
#include "faults.h"
#include "holder.h"

/* While the session is being set up the user's group appears within
 * milliseconds of the reaper: look for it this often until it does (for at
 * most NSISO_OPEN_TIMEOUT_MS), so that the watch starts before any process
 * of the user can be in the group. */
#define GROUP_APPEARS_MS 20
#define LISTEN_BACKLOG 8
#define ACCEPTS_PER_WAKE 16
/* An answerer has its clients' time and this much more before it is
 * killed. */
#define ANSWERER_GRACE_MS 500
#define ANSWERER_RETRY_MS 1000
#define ANSWERER_REAP_MS 100

/* ---- whether the user has sessions: user-<uid>.sessions ---------------- */

/* Every reaper holds a shared lock on its user's file from the end of its
 * session's setting up until its record is gone: a user has other sessions
 * exactly while some other reaper holds one.  Asking is one fcntl();
 * reading every record in the run directory made each logout O(sessions on
 * the host) (make bench, B3: +80% open latency with 1000 sessions of other
 * users).  A file per user, not a byte per uid of one file: the kernel
 * keeps a file's locks in one list and walks it at every lock, test and
 * close, so one file made each login O(sessions on the host) again (0.36
 * ms of CPU a login with 1000 sessions of 100 users).
 *
 * The last reaper removes the file, under a write lock no reader can share;
 * a reader that finds its file gone or replaced once it holds its lock
 * starts again.  So every lock held is on the file the name leads to.  A
 * reaper that cannot hold it (tries used up, an error) holds its user's
 * byte of sessions.lock instead, which every last look reads too.  One that
 * can hold neither is counted by no other reaper's look (logged). */

#define SESSION_LOCK_TRIES 8
/* A remover holds it for microseconds. */
static const struct timespec session_lock_retry = { .tv_nsec = 1000000L };

enum others { OTHERS_HELD, OTHERS_NONE, OTHERS_UNKNOWN };

static void sessions_name(uid_t uid, char *buf, size_t len)
{
	snprintf(buf, len, NSISO_SESSIONS_FILE_FORMAT, (unsigned)uid);
}

/* A lock file of the run directory (root's, 0600), made if missing when
 * create. */
static int open_lock_file(const struct watch_config *c, const char *name, bool create)
{
	return openat(c->run_dir_fd, name,
		      O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | (create ? O_CREAT : 0), 0600);
}

/* fd, read-locked and named, or -1 (errno set).  Bounded: a remover holds
 * its write lock for microseconds, but may be preempted there. */
static int hold_session_file(const struct watch_config *c)
{
	char name[64];
	int tries;

	/* session-file:fail stands for a file that cannot be held. */
	if (FAULT_FAILS("session-file"))
		return -1;
	sessions_name(c->uid, name, sizeof(name));
	for (tries = 0; tries < SESSION_LOCK_TRIES; tries++) {
		int fd = open_lock_file(c, name, true);
		int locked, err;

		if (fd < 0)
			return -1;
		locked = nsiso_lock_whole_once(fd, F_RDLCK);
		err = errno;
		if (locked == 0 && nsiso_still_named(c->run_dir_fd, fd, name))
			return fd;
		close(fd);	/* the last reaper's, removed or being removed */
		if (locked != 0 && !nsiso_lock_is_held(err)) {
			errno = err;
			return -1;
		}
		if (tries + 1 < SESSION_LOCK_TRIES)
			nanosleep(&session_lock_retry, NULL);
	}
	errno = EAGAIN;
	return -1;
}

/* The user's byte of sessions.lock, which every last look reads too (for
 * reapers of before an upgrade): where the user's file cannot be held, the
 * session still counts for every other reaper of its user.  fd, or -1. */
static int hold_legacy_byte(const struct watch_config *c)
{
	int fd = open_lock_file(c, NSISO_SESSIONS_LOCK_NAME, true);

	if (fd >= 0 && nsiso_lock_uid_byte(fd, c->uid, F_RDLCK, 0) != 0) {
		int err = errno;

		close(fd);
		errno = err;
		fd = -1;
	}
	return fd;
}

/* Byte <uid> of sessions.lock is held by a reaper of before the file per
 * user (its session opened before an upgrade), or by one of ours that
 * could not hold the user's file.  A reaper of before does not see ours:
 * if it watches the user when the last session of its kind ends, it
 * removes the quota socket and the baton; the waiting reapers of ours see
 * the baton's hang-up and one takes the watch over and makes both again
 * (one without the baton open looks within a second). */
static enum others others_in_legacy_byte(const struct watch_config *c)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = (off_t)c->uid, .l_len = 1 };
	int fd = open_lock_file(c, NSISO_SESSIONS_LOCK_NAME, false);
	enum others state = OTHERS_UNKNOWN;

	if (fd < 0)
		return errno == ENOENT ? OTHERS_NONE : OTHERS_UNKNOWN;
	if (fcntl(fd, F_OFD_GETLK, &fl) == 0)
		state = fl.l_type != F_UNLCK ? OTHERS_HELD : OTHERS_NONE;
	close(fd);
	return state;
}

/* Whether the user's file is held (ours is released before anyone asks).
 * When it is not it goes, while we hold the write lock that keeps readers
 * out. */
static enum others others_in_file(const struct watch_config *c)
{
	char name[64];
	int fd;

	sessions_name(c->uid, name, sizeof(name));
	fd = nsiso_take_named_file(c->run_dir_fd, name, SESSION_LOCK_TRIES);
	if (fd < 0)
		return errno == ENOENT ? OTHERS_NONE :
		       nsiso_lock_is_held(errno) ? OTHERS_HELD : OTHERS_UNKNOWN;
	unlinkat(c->run_dir_fd, name, 0);
	close(fd);
	return OTHERS_NONE;
}

/* Whether another reaper of the user, of now or of before an upgrade,
 * holds its lock. */
static enum others others_hold_locks(const struct watch_config *c)
{
	enum others now = others_in_file(c);

	return now == OTHERS_NONE ? others_in_legacy_byte(c) : now;
}

void watch_hold_session(struct watch *w)
{
	char name[64];
	int file_err;

	if (w->session_fd >= 0)
		return;
	w->session_fd = hold_session_file(w->c);
	if (w->session_fd >= 0) {
		w->held_session_lock = true;
		return;
	}
	file_err = errno;
	sessions_name(w->c->uid, name, sizeof(name));
	w->session_fd = hold_legacy_byte(w->c);
	w->held_session_lock = w->session_fd >= 0;
	if (w->held_session_lock)
		syslog(LOG_WARNING, "session %s: cannot lock %s (%s): holds its byte of %s "
		       "instead", w->c->session, name, strerror(file_err), NSISO_SESSIONS_LOCK_NAME);
	else
		syslog(LOG_ERR, "session %s: cannot lock %s (%s) or its byte of %s (%m): its "
		       "user's other logouts do not see it", w->c->session, name,
		       strerror(file_err), NSISO_SESSIONS_LOCK_NAME);
}

/* Nothing open, nothing watched: all a look under the lock needs (the
 * OOM watch's setting up reads the mount table). */
static void watch_init_for_lock(struct watch *w, const struct watch_config *c)
{
	size_t i;

	memset(w, 0, sizeof(*w));
	w->c = c;
	w->lock_fd = w->listen_fd = w->session_fd = w->baton_fd = w->answerer_pidfd = -1;
	for (i = 0; i < QUOTA_CLIENTS_MAX; i++)
		w->clients[i].fd = -1;
	w->oom.event_fd = w->oom.kmsg_fd = -1;
}

void watch_init(struct watch *w, const struct watch_config *c)
{
	watch_init_for_lock(w, c);
	w->started_ms = watch_now_ms();
	if (c->group)	/* its fds -1 too */
		oom_watch_init(&w->oom, c->run_dir_fd, c->uid, c->user, c->group, c->systemd);
}

/* ---- who watches: a byte of watch.lock per uid -------------------------- */

/* ---- the baton: a FIFO per uid, so that waiting reapers sleep ----------
 *
 * Whoever holds the user's byte of watch.lock keeps user-<uid>.watch open
 * read-write; the reapers waiting for the byte keep it open read-only and
 * poll it.  No one ever writes to it: when the last writer closes it -
 * the holder let go of the byte, or died - the readers see POLLHUP and
 * try for the byte at once.  A reader sees that hang-up only for a writer
 * that was there at or after its open, so it opens before it tries the
 * lock, and opens anew after each hang-up.  Without it every waiting
 * reaper looked once a second: with 1000 sessions held, 1000 wake-ups a
 * second on an idle host.  Root's, 0600, in the root-only run directory:
 * no user can hold it open, so none can keep the readers asleep. */

static void baton_name(uid_t uid, char *buf, size_t len)
{
	snprintf(buf, len, NSISO_WATCH_BATON_FORMAT, (unsigned)uid);
}

/* mode O_RDWR (a holder of the byte) or O_RDONLY (a reader); made when
 * missing (make) only by the reaper that becomes the watcher: the others
 * take the byte briefly to tidy up, maybe after the last logout.  -1 when
 * there is none. */
static int open_baton(const struct watch *w, int mode, bool make)
{
	char name[64];
	struct stat st;
	int fd;

	baton_name(w->c->uid, name, sizeof(name));
	if (make && mkfifoat(w->c->run_dir_fd, name, 0600) < 0 && errno != EEXIST)
		return -1;
	fd = openat(w->c->run_dir_fd, name, mode | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode) || st.st_uid != 0)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void close_baton(struct watch *w)
{
	if (w->baton_fd >= 0)
		close(w->baton_fd);
	w->baton_fd = -1;
}

/* An open file description lock on byte <uid>: it goes with the reaper,
 * however the reaper ends.  Waited for at most wait_ms (only our own root
 * processes hold it, each briefly, but for a reaper that watches).  0 taken
 * (and the baton held, made if missing when make_baton), -1 held by another
 * (or an error).  A waiting reaper's read end is replaced. */
static int lock_uid_byte(struct watch *w, bool make_baton, int wait_ms)
{
	if (w->lock_fd < 0)
		w->lock_fd = open_lock_file(w->c, NSISO_WATCH_LOCK_NAME, true);
	if (w->lock_fd < 0 || nsiso_lock_uid_byte(w->lock_fd, w->c->uid, F_WRLCK, wait_ms) != 0)
		return -1;
	close_baton(w);
	w->baton_fd = open_baton(w, O_RDWR, make_baton);
	return 0;
}

/* The byte goes first, then the baton: a reader woken by the hang-up
 * finds the byte free. */
static void unlock_uid_byte(struct watch *w)
{
	if (w->lock_fd >= 0)
		close(w->lock_fd);
	w->lock_fd = -1;
	close_baton(w);
}

static void socket_name(uid_t uid, char *buf, size_t len)
{
	snprintf(buf, len, NSISO_QUOTA_SOCKET_FORMAT, (unsigned)uid);
}

#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83	/* Linux 6.16 */
#endif

/* No fds in a client's messages, where the kernel can refuse them (Linux
 * 6.16; an accepted socket inherits it): a file passed to us and dropped
 * unread is closed here, in the reaper, and a TCP socket with SO_LINGER
 * whose peer never reads makes that close wait for as long as the sender
 * likes (an attacker review of a8d74b8: every watching reaper of the host
 * frozen, quota, OOM notices and cleanup with it).  Older kernels take
 * them: there only the socket's owner can connect (open_socket()), and
 * only the answerer, never the reaper, drops what they send. */
static void refuse_fds(int fd)
{
	int off = 0;

	if (FAULT_FAILS("quota-refuse-fds"))	/* as a kernel before 6.16 */
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof(off));
}

/* The user's quota socket, made by the reaper that holds the user's byte
 * (so nobody else binds it meanwhile; one left by a reaper that died is
 * replaced).  The user's and 0600: only they (and root) may connect, so no
 * other user can hand this reaper anything (refuse_fds()); it is bound
 * root's and 0600 (umask) and given to the user before it listens.  The
 * run directory stays root's: the user can neither rename nor replace it.
 * bind() takes a path, and the run directory's may be longer than
 * sun_path: it is bound relative to the directory. */
static int open_socket(const struct watch *w)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), ok;
	mode_t mask;

	if (fd < 0)
		return -1;
	refuse_fds(fd);
	socket_name(w->c->uid, addr.sun_path, sizeof(addr.sun_path));
	unlinkat(w->c->run_dir_fd, addr.sun_path, 0);
	mask = umask(0177);
	ok = fchdir(w->c->run_dir_fd) == 0 &&
	     bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
	umask(mask);
	if (chdir("/") != 0)
		ok = 0;
	ok = ok && fchownat(w->c->run_dir_fd, addr.sun_path, w->c->uid, (gid_t)-1,
			    AT_SYMLINK_NOFOLLOW) == 0 &&
	     listen(fd, LISTEN_BACKLOG) == 0;
	if (!ok) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* A waiting reaper: the read end first, then the byte (see the baton). */
static void try_take_over(struct watch *w)
{
	close_baton(w);
	w->baton_fd = open_baton(w, O_RDONLY, false);
	if (lock_uid_byte(w, true, 0) < 0)
		return;
	w->owner = true;
	w->listen_fd = open_socket(w);
	if (w->listen_fd < 0)
		syslog(LOG_ERR, "user %s (uid %u): cannot open the quota socket: %m", w->c->user,
		       (unsigned)w->c->uid);
	if (w->c->debug)
		syslog(LOG_DEBUG, "session %s: its reaper watches user %s", w->c->session, w->c->user);
}

/* ---- the quota socket --------------------------------------------------- */

static void answer(int fd, enum nsiso_quota_answer kind, const char *reason)
{
	char text[NSISO_QUOTA_REASON_MAX + 16];
	int n = snprintf(text, sizeof(text), "%s %s", nsiso_quota_answer_word(kind), reason);

	if (send(fd, text, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN)
		syslog(LOG_DEBUG, "quota socket: %m");
}

/* How often an answerer may start (start_answerer()), each with one
 * collection of the numbers for all it serves: the reaper is root's and
 * outside the user's cpu group, and a collection reads every record and the
 * group's files.  A user asking in a loop (an attacker review of a8d74b8:
 * 24,500 answers in 10 s, 13.6 times the user's `cpu 5%` of root's CPU)
 * costs a fork and a collection per QUOTA_REUSE_MS at most. */
#define QUOTA_REUSE_MS 100

/* The peer's own numbers: the peer's uid is this reaper's user's, checked
 * at accept.  Large buffers are static: the answerer is single-threaded. */
static void answer_numbers(const struct watch *w, int fd)
{
	static struct nsiso_quota q;
	static char message[NSISO_QUOTA_MESSAGE_MAX];
	static long long collected_ms = -QUOTA_REUSE_MS;
	static int n = -1;
	long long now = watch_now_ms();

	if (n < 0 || now - collected_ms >= QUOTA_REUSE_MS) {
		n = -1;
		if (nsiso_quota_collect(w->c->run_dir_fd, w->c->uid, w->c->user,
					w->c->group ? w->c->group : "", &q) < 0) {
			answer(fd, NSISO_QUOTA_FAILED, "cannot read the session records");
			return;
		}
		n = nsiso_quota_encode(&q, message, sizeof(message));
		if (n < 0) {
			answer(fd, NSISO_QUOTA_FAILED, "the answer does not fit");
			return;
		}
		collected_ms = now;
	}
	if (send(fd, message, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN)
		syslog(LOG_DEBUG, "quota socket: %m");
}

/* A unix socket closed with unread messages resets its peer, whose next
 * read then fails before it gets our answer: read what is there first.  The
 * fd itself is closed by the answerer's end (see answer_and_exit()). */
static void finish_client(int fd)
{
	char sink[64];
	int i;

	for (i = 0; i < 4 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
		;
}

static void drop_client(struct watch *w, size_t i)
{
	finish_client(w->clients[i].fd);
	w->clients[i].fd = -1;
}

/* Each new peer: another uid is told so and dropped at once (it takes no
 * place); ours gets a place, if one is free, for one request. */
static void accept_clients(struct watch *w)
{
	int i;

	for (i = 0; i < ACCEPTS_PER_WAKE; i++) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		size_t slot;
		int fd = accept4(w->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != w->c->uid) {
			answer(fd, NSISO_QUOTA_DENIED, "this socket answers only its own user");
			finish_client(fd);
			continue;
		}
		for (slot = 0; slot < QUOTA_CLIENTS_MAX && w->clients[slot].fd >= 0; slot++)
			;
		if (slot == QUOTA_CLIENTS_MAX) {
			answer(fd, NSISO_QUOTA_BUSY, "too many requests at once, try again");
			finish_client(fd);
			continue;
		}
		w->clients[slot].fd = fd;
	}
}

/* One request, one answer, closed. */
static void serve_client(struct watch *w, size_t i)
{
	char request[64];
	ssize_t n = recv(w->clients[i].fd, request, sizeof(request), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0 && nsiso_quota_ask_of(request, (size_t)n) == NSISO_QUOTA_ASK_NUMBERS)
		answer_numbers(w, w->clients[i].fd);
	else if (n > 0)
		answer(w->clients[i].fd, NSISO_QUOTA_FAILED, "unknown request");
	drop_client(w, i);
}

/* ---- the answerer --------------------------------------------------------
 *
 * The reaper never holds a connection of the quota socket: a child of it
 * does.  A client can attach files to its message (SCM_RIGHTS) where the
 * kernel cannot refuse them (before Linux 6.16, Debian 12's own kernel
 * among them), and a file that arrives unread is closed by whoever drops
 * the message: a TCP socket with SO_LINGER whose peer never reads makes that
 * close wait for as long as its sender likes (an attacker review of a8d74b8
 * saw a reaper in tcp_close for 4 minutes: the user's quota answers, OOM
 * notices and session cleanup stopped with it).  The answerer accepts what
 * is waiting, answers, and ends with its connections open: a task that ends
 * closes them without lingering.  If it is held up meanwhile (a recv()
 * drops such a file too), the reaper kills it, and a signal ends that wait.
 * The reaper's own listening socket, whose connections not yet accepted
 * hold their messages, is closed only by the reaper's end, for the same
 * reason. */

/* Serve what waits on the socket, for at most QUOTA_CLIENT_TIMEOUT_MS.  It
 * ends with the reaper too: only the reaper kills it otherwise, and a
 * reaper killed outright left one held up in a lingering close for as long
 * as the sender liked (an attacker review of 7cf8c2a). */
__attribute__((noreturn))
static void answer_and_exit(struct watch *w, pid_t reaper)
{
	const int keep[] = { w->listen_fd, w->c->run_dir_fd };
	struct pollfd p[QUOTA_CLIENTS_MAX];
	long long now = watch_now_ms(), end = now + QUOTA_CLIENT_TIMEOUT_MS;
	size_t i, open_clients;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != reaper)
		_exit(1);
	nsiso_keep_only_fds(keep, sizeof(keep) / sizeof(keep[0]));
	accept_clients(w);
	for (;;) {
		for (i = open_clients = 0; i < QUOTA_CLIENTS_MAX; i++) {
			p[i] = (struct pollfd){ .fd = w->clients[i].fd, .events = POLLIN };
			open_clients += w->clients[i].fd >= 0;
		}
		now = watch_now_ms();
		if (open_clients == 0 || now >= end ||
		    (poll(p, QUOTA_CLIENTS_MAX, (int)(end - now)) < 0 && errno != EINTR))
			break;
		for (i = 0; i < QUOTA_CLIENTS_MAX; i++)
			if (w->clients[i].fd >= 0 && p[i].revents)
				serve_client(w, i);
	}
	_exit(0);
}

/* One answerer at a time, at most one every QUOTA_REUSE_MS: a user asking
 * in a loop costs root a fork per QUOTA_REUSE_MS, not one per request.  Its
 * pidfd is opened while it is our child, not yet collected (its PID cannot
 * have been reused); the reaper never acts on a bare PID after that. */
static void start_answerer(struct watch *w, long long now)
{
	pid_t reaper = getpid(), pid = fork();
	int pidfd = -1;

	if (pid == 0)
		answer_and_exit(w, reaper);
	if (pid > 0) {
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0) {
			int e = errno;

			kill(pid, SIGKILL);	/* our child, just made */
			waitpid(pid, NULL, 0);
			errno = e;
			pid = -1;
		}
	}
	w->next_answerer_ms = now + QUOTA_REUSE_MS;
	if (pid < 0) {
		/* The user's tasks limit counts it (the reaper is in the user's
		 * tasks group): said once, tried again a second later. */
		if (!w->answerer_failed)
			syslog(LOG_WARNING, "user %s (uid %u): cannot start a quota answer: %m",
			       w->c->user, (unsigned)w->c->uid);
		w->answerer_failed = true;
		w->next_answerer_ms = now + ANSWERER_RETRY_MS;
		return;
	}
	w->answerer_pidfd = pidfd;
	w->answerer_kill_ms = now + QUOTA_CLIENT_TIMEOUT_MS + ANSWERER_GRACE_MS;
}

/* The answerer has ended: collect it. */
static void answerer_ended(struct watch *w)
{
	siginfo_t info;

	if (waitid((idtype_t)P_PIDFD, (id_t)w->answerer_pidfd, &info, WEXITED | WNOHANG) != 0 ||
	    info.si_pid == 0)
		return;
	close(w->answerer_pidfd);
	w->answerer_pidfd = -1;
}

/* One that outlived its clients' time is held up in the kernel: killed
 * (once; it is collected when it has ended, and until then no other
 * starts: only the user's own answers wait). */
static void kill_late_answerer(struct watch *w, long long now)
{
	if (w->answerer_pidfd < 0 || now < w->answerer_kill_ms)
		return;
	syscall(SYS_pidfd_send_signal, w->answerer_pidfd, SIGKILL, NULL, 0);
	w->answerer_kill_ms = LLONG_MAX;
}

/* ---- the loop ------------------------------------------------------------ */

/* The periodic part of watching: start once the group exists, then look
 * for kills.  The ms until the next look. */
static long long look(struct watch *w, long long now)
{
	if (!w->c->group)
		return 60000;
	if (!w->oom.watching) {
		if (!oom_watch_start(&w->oom, now))
			return now - w->started_ms < NSISO_OPEN_TIMEOUT_MS ? GROUP_APPEARS_MS : 5000;
		return oom_watch_interval(&w->oom, now);	/* it has just looked */
	}
	return oom_watch_check(&w->oom, false, now);
}

/* A waiting reaper with a read end of the baton sleeps until it hangs up
 * (or WATCH_STANDBY_MS, in case of a holder that could not open it). */
static long long takeover_interval(const struct watch *w)
{
	return w->baton_fd >= 0 ? WATCH_STANDBY_MS : WATCH_TAKEOVER_MS;
}

/* The socket is ours and no answerer lives. */
static bool answerer_wanted(const struct watch *w)
{
	return w->owner && w->listen_fd >= 0 && w->answerer_pidfd < 0;
}

/* The socket is looked at while no answerer lives, from the earliest start
 * of the next. */
static bool socket_watched(const struct watch *w, long long now)
{
	return answerer_wanted(w) && now >= w->next_answerer_ms;
}

static int poll_timeout(const struct watch *w, long long now)
{
	long long next = w->owner ? w->next_check_ms : w->next_takeover_ms;

	if (w->answerer_pidfd >= 0 && w->answerer_kill_ms < next)
		next = w->answerer_kill_ms;
	/* Only a start still to come: one due already is the socket's to wake
	 * us (it is in the poll then), never a timeout of 0 (a review of
	 * d94714f saw every watching reaper spin at 100% of a core). */
	if (answerer_wanted(w) && w->next_answerer_ms > now && w->next_answerer_ms < next)
		next = w->next_answerer_ms;
	return next <= now ? 0 : next - now > 60000 ? 60000 : (int)(next - now);
}

/* Index 0 to WATCH_END_FDS - 1 what may end the wait (struct watch_end),
 * then the OOM event, the socket, the baton's read end and the answerer (fd
 * -1 where there is none: poll skips it). */
#define POLL_EVENT WATCH_END_FDS
#define POLL_LISTEN (WATCH_END_FDS + 1)
#define POLL_BATON (WATCH_END_FDS + 2)
#define POLL_ANSWERER (WATCH_END_FDS + 3)
#define POLL_FDS (WATCH_END_FDS + 4)

static void fill_pollfds(const struct watch *w, const struct watch_end *end, long long now,
			 struct pollfd *p)
{
	short events = 0;
	size_t i;

	for (i = 0; i < WATCH_END_FDS; i++)
		p[i] = (struct pollfd){ .fd = end->fd[i], .events = POLLIN };
	p[POLL_EVENT].fd = w->owner && w->c->group ? oom_watch_fd(&w->oom, &events) : -1;
	p[POLL_EVENT].events = events;
	p[POLL_LISTEN] = (struct pollfd){ .fd = socket_watched(w, now) ? w->listen_fd : -1,
					  .events = POLLIN };
	p[POLL_BATON] = (struct pollfd){ .fd = w->owner ? -1 : w->baton_fd, .events = POLLIN };
	p[POLL_ANSWERER] = (struct pollfd){ .fd = w->answerer_pidfd, .events = POLLIN };
}

static void handle_ready(struct watch *w, const struct pollfd *p, long long now)
{
	if (p[POLL_EVENT].revents && oom_watch_event(&w->oom, now))
		w->next_check_ms = now;
	if (p[POLL_BATON].revents)
		w->next_takeover_ms = now;
	if (p[POLL_ANSWERER].revents)
		answerer_ended(w);
	if (p[POLL_LISTEN].revents && w->answerer_pidfd < 0)
		start_answerer(w, now);
}

/* The poll's timeout: the watch's own, or sooner the end's. */
static int end_timeout(const struct watch *w, long long now, long long end_at)
{
	int t = poll_timeout(w, now);

	if (end_at >= 0 && end_at - now < t)
		t = end_at <= now ? 0 : (int)(end_at - now);
	return t;
}

/* Whether the end's fds or its time say the session may be over: then its
 * own over() tells, with their revents. */
static bool end_due(const struct pollfd *p, long long now, long long end_at)
{
	size_t i;

	for (i = 0; i < WATCH_END_FDS; i++)
		if (p[i].fd >= 0 && p[i].revents)
			return true;
	return end_at >= 0 && now >= end_at;
}

/* Cannot be (a poll that fails but for a signal); if it were, the end
 * still comes first: waited for alone. */
static void wait_for_end_alone(struct watch_end *end)
{
	struct pollfd p[WATCH_END_FDS];
	size_t i;

	do {
		for (i = 0; i < WATCH_END_FDS; i++)
			p[i] = (struct pollfd){ .fd = end->fd[i], .events = POLLIN };
		while (poll(p, WATCH_END_FDS, end->wait_ms) < 0 && errno == EINTR)
			;
		for (i = 0; i < WATCH_END_FDS; i++)
			end->revents[i] = p[i].revents;
	} while (!end->over(end));
}

void watch_until_end(struct watch *w, struct watch_end *end)
{
	struct pollfd p[POLL_FDS];
	long long end_at = -1;

	for (;;) {
		long long now = watch_now_ms();
		size_t i;

		if (!w->owner && now >= w->next_takeover_ms) {
			try_take_over(w);
			w->next_takeover_ms = now + takeover_interval(w);
		}
		if (w->owner && now >= w->next_check_ms)
			w->next_check_ms = now + look(w, now);
		kill_late_answerer(w, now);
		fill_pollfds(w, end, now, p);
		if (poll(p, POLL_FDS, end_timeout(w, now, end_at)) < 0) {
			if (errno == EINTR)
				continue;
			wait_for_end_alone(end);
			break;
		}
		now = watch_now_ms();
		if (end_due(p, now, end_at)) {
			for (i = 0; i < WATCH_END_FDS; i++)
				end->revents[i] = p[i].revents;	/* 0 where fd is -1 */
			if (end->over(end))
				break;
			end_at = end->wait_ms >= 0 ? now + end->wait_ms : -1;
		}
		handle_ready(w, p, now);
	}
	/* Its answers are over: killed, and collected if it ends within
	 * ANSWERER_REAP_MS; else its pidfd stays, for the reaper's last note
	 * (unreaped.h: whoever inherits it may never wait).  The listening
	 * socket stays open until the reaper's end (see the answerer). */
	if (w->answerer_pidfd >= 0) {
		struct pollfd last = { .fd = w->answerer_pidfd, .events = POLLIN };

		syscall(SYS_pidfd_send_signal, w->answerer_pidfd, SIGKILL, NULL, 0);
		if (poll(&last, 1, ANSWERER_REAP_MS) == 1)
			answerer_ended(w);
	}
	if (w->owner && w->oom.watching)
		oom_watch_check(&w->oom, true, watch_now_ms());
	oom_watch_stop(&w->oom);
}

/* The holder's end is the session's. */
static bool holder_ended(struct watch_end *end)
{
	return end->revents[0] != 0;
}

void watch_until_exit(struct watch *w, int holder_pidfd)
{
	struct watch_end end = { .fd = { holder_pidfd, -1, -1 }, .wait_ms = -1,
				 .over = holder_ended };

	watch_until_end(w, &end);
}

/* Another session of the user is still open: another reaper holds the
 * user's file (its holder alive, or its record not yet removed: that
 * reaper looks after us, and the last to look sees none).  Only when the
 * locks cannot tell - they cannot be read, or ours could not be taken, so
 * another reaper's may have failed too - a record of the user with its
 * holder alive decides; reading them all is the O(sessions on the host)
 * path the lock is there to avoid. */
static bool user_has_sessions(const struct watch *w)
{
	const struct watch_config *c = w->c;
	struct nsiso_record *records = NULL;
	enum others others = others_hold_locks(c);
	int n, i;
	bool found = false;

	if (others == OTHERS_HELD)
		return true;
	if (others == OTHERS_NONE && w->held_session_lock)
		return false;
	n = nsiso_record_list(c->run_dir_fd, &records);
	for (i = 0; i < n && !found; i++) {
		bool gone;
		int pidfd;

		if (records[i].uid != c->uid)
			continue;
		pidfd = nsiso_record_open_holder(&records[i], &gone);
		if (pidfd >= 0) {
			close(pidfd);
			found = true;
		}
	}
	free(records);
	return n < 0 || found;
}

/* Every reaper removes its record before it looks: of reapers ending at
 * once, the last to look sees no session left.  The socket goes under the
 * lock, so that it is never a new watcher's. */
void watch_release(struct watch *w)
{
	char name[64];

	if (w->session_fd >= 0)
		close(w->session_fd);	/* our session is over: release its byte */
	w->session_fd = -1;
	if (!user_has_sessions(w) &&
	    (w->owner || lock_uid_byte(w, false, WATCH_LOCK_TIMEOUT_MS) == 0) &&
	    !user_has_sessions(w)) {
		socket_name(w->c->uid, name, sizeof(name));
		unlinkat(w->c->run_dir_fd, name, 0);
		baton_name(w->c->uid, name, sizeof(name));
		unlinkat(w->c->run_dir_fd, name, 0);
	}
	unlock_uid_byte(w);
	w->owner = false;
}

void watch_move_history(const struct watch *session)
{
	const struct watch_config *c = session->c;
	struct nsiso_oom_state state;
	struct watch w;

	if (nsiso_cgroup_detect_version() != NSISO_CGROUP_V2 || user_has_sessions(session))
		return;
	watch_init_for_lock(&w, c);
	if (lock_uid_byte(&w, false, WATCH_LOCK_TIMEOUT_MS) == 0 && !user_has_sessions(session) &&
	    nsiso_oom_state_read(c->run_dir_fd, c->uid, &state) == 0 && state.group != 0 &&
	    nsiso_oom_state_write(c->run_dir_fd, c->uid, &state) < 0)
		syslog(LOG_ERR, "user %s (uid %u): cannot write the OOM history: %m", c->user,
		       (unsigned)c->uid);
	unlock_uid_byte(&w);
}

void watch_forget_group(const struct watch_config *c)
{
	struct watch w;

	watch_init_for_lock(&w, c);
	if (lock_uid_byte(&w, false, WATCH_LOCK_TIMEOUT_MS) == 0 &&
	    nsiso_oom_state_remove(c->run_dir_fd, c->uid) < 0)
		syslog(LOG_ERR, "user %s (uid %u): cannot remove the OOM history: %m", c->user,
		       (unsigned)c->uid);
	unlock_uid_byte(&w);
}

void watch_release_ended(const struct watch_config *c, bool group_removed)
{
	struct watch w;

	/* No lock of the user's is ours: where the locks say that no other
	 * reaper of the user is left, the records decide (user_has_sessions). */
	watch_init_for_lock(&w, c);
	watch_release(&w);
	if (group_removed)
		watch_forget_group(c);
}
