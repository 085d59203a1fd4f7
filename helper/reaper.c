/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Why a second process: the holder is PID 1 of the session and cleans up
 * after a normal end, but a holder killed outright (by root, or picked by
 * the OOM killer where it cannot be protected) can clean nothing.  The
 * reaper waits on the holder's pidfd (serving and watching the user
 * meanwhile, when its turn: watch.h), so it learns of any end at once, and
 * on the application's pidfd, because the application sits in the user's
 * cgroup until it exits.  It is the helper's child, never the holder's
 * parent: nobody waits for the holder synchronously.  Users cannot signal
 * it (it is root's) and it counts in the user's tasks limit, like the
 * holder. */
#include "reaper.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include "../common/cgroup.h"
#include "../common/deadline.h"
#include "../common/fdpass.h"
#include "../common/proto.h"
#include "../common/record.h"
#include "../common/unreaped.h"
#include "faults.h"
#include "holder.h"
#include "member.h"
#include "mntns.h"
#include "privtmp.h"
#include "watch.h"

/* Keep 0-2 (on /dev/null) and the fds of the config: above all, the
 * helper's ends of the hand-over pipes must go, or the holder would never
 * see the helper's EOF (and its copy of the private /tmp lock, or this
 * session would count as using the user's directories). */
static void keep_only(const struct reaper_config *c)
{
	const int keep[6] = { c->holder_pidfd, c->caller_pidfd, c->run_dir_fd,
			      c->private_tmp_dir_fd, c->mnt_ns_fd, c->commit_sock };

	nsiso_keep_only_fds(keep, 6);
}

/* Until the process behind pidfd has exited (a zombie counts as exited). */
static void wait_for_exit(int pidfd)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
}

/* Once the application is gone (it is in the group until it exits; a
 * killed holder, or one that ended a second after a close while the
 * application lives on, leaves it there), leave the user's tasks group (we
 * are in it) and remove the group if nothing is left in it.  Not before:
 * the group could not go yet, and a try beside the application's exit could
 * fail while a look at its pidfd right after already saw it gone. */
static int remove_cgroup(const struct reaper_config *c, const struct watch *w)
{
	int ret;

	wait_for_exit(c->caller_pidfd);
	if (nsiso_cgroup_leave_tasks_group() < 0)
		syslog(LOG_ERR, "session %s: reaper cannot leave the user's cgroup: %m", c->session);
	watch_move_history(w);
	ret = nsiso_cgroup_remove_if_empty(c->cgroup_parent, c->uid, c->run_dir_fd);
	if (ret < 0)
		syslog(LOG_ERR, "session %s: cannot remove cgroup %s/user-%u: %m",
		       c->session, c->cgroup_parent, (unsigned)c->uid);
	return ret;
}

/* The reaper shares the session's cgroup with the holder: whoever ends the
 * session by signalling every process in it (systemd stopping a session
 * scope, loginctl terminate-user: SIGTERM first) must not end the reaper
 * before the holder, or the record would stay.  It goes on its own once the
 * holder has ended; only SIGKILL ends it earlier. */
static void ignore_polite_signals(bool holds)
{
	static const int polite[] = { SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE };
	struct sigaction ignore = { .sa_handler = SIG_IGN };
	size_t i;

	for (i = 0; i < sizeof(polite) / sizeof(polite[0]); i++) {
		/* A holding reaper's close: ignored, one already pending
		 * would be dropped (take_holder_signals()). */
		if (holds && (polite[i] == NSISO_CLOSE_SIGNAL || polite[i] == NSISO_KILL_SIGNAL))
			continue;
		sigaction(polite[i], &ignore, NULL);
	}
}

/* The holder's two signals, queued for hold_session() from before the
 * module can know our PID (the helper waits for our word, which comes after
 * this): a blocked signal is queued whatever its disposition, and at the
 * default it ends nothing while blocked.  A reaper made at the login was
 * born with them blocked (main.c). */
static int take_holder_signals(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t set;

	nsiso_holder_signals(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	sigaction(NSISO_CLOSE_SIGNAL, &dfl, NULL);
	sigaction(NSISO_KILL_SIGNAL, &dfl, NULL);
	return 0;
}

/* What every reaper does first: its name, its own session, no terminal,
 * only SIGKILL (a holding reaper: and the holder's signals, for
 * hold_session()). */
static void start_reaper(const char *name, bool holds)
{
	prctl(PR_SET_NAME, name);
	if (holds && take_holder_signals() < 0)
		_exit(1);	/* no word for the helper: the open fails */
	ignore_polite_signals(holds);
	setsid();
	nsiso_detach_stdio();
	nsiso_protect_from_oom();
}

/* A session whose PID namespace ended with ours: its namespace, where
 * sessions opened inside it have theirs, and its id, for the log. */
struct ended_ns {
	unsigned long long pidns;
	char session[sizeof(((struct nsiso_record *)NULL)->session)];
};

/* How many PID namespaces of sessions opened inside ours, at any depth, one
 * reaper cleans up after; the records of any more stay for root's next
 * `nsisoctl status`. */
#define NESTED_MAX 64

/* The directory of the users' private /tmp locks (the default run
 * directory, privtmp.h): our session's, or opened now.  -1 if there is
 * none. */
static int private_tmp_lock_dir(const struct reaper_config *c)
{
	char err[256];
	int fd;

	if (c->private_tmp_dir_fd >= 0)
		return c->private_tmp_dir_fd;
	fd = nsiso_run_dir_open(NSISO_RUN_DIR_DEFAULT, false, err, sizeof(err));
	if (fd < 0)
		syslog(LOG_ERR, "session %s: %s: the private /tmp of sessions opened in it stay",
		       c->session, err);
	return fd;
}

/* What the reaper of an ended session would have done after its record,
 * done for it (it ended with our namespace): its user's private /tmp if no
 * session of theirs uses it any more (the ended sessions' holders, which
 * held its lock, are gone; never for private_tmp keep), its user's group
 * if nothing is left in it, the user's files in the run directory if it
 * was their last session (watch.h), and what logins inside it left
 * unreaped (unreaped.h).  tmp_lock_dir: see private_tmp_lock_dir(), opened
 * at the first need (-2 until then). */
static void clean_up_after(const struct reaper_config *c, const struct nsiso_record *r,
			   int *tmp_lock_dir)
{
	const struct watch_config wc = {
		.run_dir_fd = c->run_dir_fd, .uid = r->uid, .user = r->user,
		.session = r->session, .debug = c->debug,
	};
	/* Ours kept (private_tmp keep) are the same user's directories. */
	const char *yes = nsiso_private_tmp_name(NSISO_PRIVATE_TMP_YES);
	bool private_tmp = strcmp(r->private_tmp, yes) == 0 &&
			   !(r->uid == c->uid && c->private_tmp == NSISO_PRIVATE_TMP_KEEP);
	int removed = 0;

	if (private_tmp && *tmp_lock_dir == -2)
		*tmp_lock_dir = private_tmp_lock_dir(c);
	/* Before the group: on a tmpfs /tmp the files would keep it. */
	if (private_tmp && *tmp_lock_dir >= 0)
		nsiso_privtmp_release(*tmp_lock_dir, r->uid, r->session);
	if (r->cgroup_parent[0]) {
		removed = nsiso_cgroup_remove_if_empty(r->cgroup_parent, r->uid, c->run_dir_fd);
		if (removed < 0)
			syslog(LOG_ERR, "session %s: cannot remove cgroup %s/user-%u: %m",
			       r->session, r->cgroup_parent, (unsigned)r->uid);
	}
	watch_release_ended(&wc, removed == 1);
	nsiso_unreaped_forget(c->run_dir_fd, r->session_pidns, r->holder_start);
}

/* The records of the sessions opened in one ended namespace (see
 * nsiso_record_take_nested()), each cleaned up after (clean_up_after());
 * the namespaces of their own sessions are added to the queue q (of *n, at
 * most NESTED_MAX), for what was opened inside those. */
static void reap_nested_in(const struct reaper_config *c, const struct ended_ns *in,
			   struct ended_ns *q, size_t *n, int *tmp_lock_dir)
{
	struct nsiso_record *nested = NULL;
	int taken = nsiso_record_take_nested(c->run_dir_fd, in->pidns, &nested), i;

	if (taken < 0)
		syslog(LOG_ERR, "session %s: cannot list the records of sessions opened in %s: %m",
		       c->session, in->session);
	for (i = 0; i < taken; i++) {
		syslog(LOG_INFO, "session %s of %s: ended with session %s, which it was opened in%s",
		       nested[i].session, nested[i].user, in->session,
		       nested[i].ending ? ", before its reaper was done" : "");
		clean_up_after(c, &nested[i], tmp_lock_dir);
		if (nested[i].session_pidns && *n < NESTED_MAX) {
			q[*n].pidns = nested[i].session_pidns;
			snprintf(q[*n].session, sizeof(q[*n].session), "%s", nested[i].session);
			(*n)++;
		}
	}
	free(nested);
}

/* What logins opened from inside this session left, and logins opened
 * inside those, at any depth: their processes ended with our holder's PID
 * namespace (every namespace below it ends with it), before their own
 * reapers could clean up.  Each namespace is taken once: its mark goes with
 * its records, so the queue holds no cycle. */
static void reap_nested(const struct reaper_config *c)
{
	struct ended_ns q[NESTED_MAX];
	size_t n = 1, i;
	int tmp_lock_dir = -2;	/* not opened yet */

	q[0].pidns = c->session_pidns;
	snprintf(q[0].session, sizeof(q[0].session), "%s", c->session);
	for (i = 0; i < n; i++)
		reap_nested_in(c, &q[i], q, &n, &tmp_lock_dir);
	if (tmp_lock_dir >= 0 && tmp_lock_dir != c->private_tmp_dir_fd)
		close(tmp_lock_dir);
}

/* The session's mount namespace, its tree detached (mntns.h) and our
 * reference to it dropped.  syslog's socket is connected first, while
 * /dev/log is the host's. */
static void detach_mounts(const struct reaper_config *c)
{
	int err;

	if (c->mnt_ns_fd < 0)
		return;
	openlog(NSISO_LOG_IDENT, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	err = nsiso_mntns_detach(c->mnt_ns_fd);
	if (err != 0)
		syslog(LOG_WARNING, "session %s: cannot detach its mounts at its end: %s",
		       c->session, strerror(err));
	close(c->mnt_ns_fd);
}

/* Whether the process behind pidfd has exited, without waiting. */
static bool has_exited(int pidfd)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

/* ---- a session without a holder --------------------------------------- */

/* With isolate none there is no namespace to hold, and a holder would be a
 * process a login pays for (about 2 ms of CPU here, make bench) and whose
 * charge every session carries: the reaper is the holder the module knows.
 * It takes the holder's part of a session without a PID namespace: the
 * session is over once closed (the module's signal, systemd's SIGTERM to
 * the session's scope, root's NSISO_KILL_SIGNAL, the application's exit,
 * or no commit from the helper) and the application gone, or back in its
 * own place for NSISO_CALLER_BACK_GRACE_MS. */
struct held {
	bool closed, caller_gone, caller_back;
	struct nsiso_deadline back_grace;
};

enum { END_SIGNALS, END_CALLER, END_COMMIT };

static void held_signals(struct held *h, int signal_fd)
{
	struct signalfd_siginfo info;

	while (read(signal_fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
		/* Only root can signal us: the word needs no check of who sent
		 * it. */
		if (nsiso_says_caller_back(&info) && !h->caller_back) {
			h->caller_back = true;
			nsiso_deadline_in(&h->back_grace, NSISO_CALLER_BACK_GRACE_MS);
		}
		h->closed = true;
	}
}

/* The helper's word that the module has the session; EOF (or an error)
 * before it: the module never will.  Any other step is one that came after
 * wait_for_worker() stopped waiting (its budget counts from our start): a
 * late NSISO_SYNC_DONE says nothing of the session, and a late join goes
 * unanswered (fds dropped), which fails the helper's open, whose EOF then
 * ends the session. */
static void held_commit(struct held *h, struct watch_end *end)
{
	char byte = 0;
	ssize_t n = recv(end->fd[END_COMMIT], &byte, 1, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == 1 && byte != NSISO_SYNC_COMMIT)
		return;
	if (n != 1)
		h->closed = h->caller_gone = true;
	close(end->fd[END_COMMIT]);
	end->fd[END_COMMIT] = -1;
}

static bool held_over(struct watch_end *end)
{
	struct held *h = end->arg;

	if (end->revents[END_COMMIT])
		held_commit(h, end);
	if (end->revents[END_SIGNALS])
		held_signals(h, end->fd[END_SIGNALS]);
	if (end->revents[END_CALLER]) {
		h->caller_gone = h->closed = true;
		end->fd[END_CALLER] = -1;
	}
	end->wait_ms = -1;
	if (!h->closed || h->caller_gone)
		return h->closed;
	if (!h->caller_back)
		return false;
	end->wait_ms = nsiso_deadline_left_ms(&h->back_grace);
	return end->wait_ms == 0;
}

/* Until the session is over (struct held), serving the watch meanwhile. */
static void hold_session(const struct reaper_config *c, struct watch *w)
{
	struct held h = { .closed = false };
	struct watch_end end = { .fd = { -1, c->caller_pidfd, c->commit_sock }, .wait_ms = -1,
				 .over = held_over, .arg = &h };
	sigset_t set;

	nsiso_holder_signals(&set);
	end.fd[END_SIGNALS] = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (end.fd[END_SIGNALS] < 0) {
		/* Nothing could tell us of the close: the application's end is
		 * the session's (what a display manager keeps, it keeps). */
		syslog(LOG_ERR, "session %s: cannot take the close signal: %m; the session ends "
		       "with the application", c->session);
		h.closed = true;
	}
	watch_until_end(w, &end);
	if (end.fd[END_SIGNALS] >= 0)
		close(end.fd[END_SIGNALS]);
	if (end.fd[END_COMMIT] >= 0)
		close(end.fd[END_COMMIT]);
}

__attribute__((noreturn))
static void reap(const struct reaper_config *c)
{
	char group[300];
	const struct watch_config wc = {
		.run_dir_fd = c->run_dir_fd, .uid = c->uid, .user = c->user,
		.group = c->cgroup_parent || c->cgroup_slice ? group : NULL,
		.systemd = c->cgroup_slice != NULL, .session = c->session, .debug = c->debug,
	};
	struct watch w;
	bool mounts_first;
	int ending_fd;

	nsiso_cgroup_user_group(c->cgroup_parent, c->cgroup_slice, c->uid, group, sizeof(group));
	nsiso_be_background();
	watch_init(&w, &wc);
	watch_hold_session(&w);
	if (c->holds)
		hold_session(c, &w);
	else
		watch_until_exit(&w, c->holder_pidfd);
	/* First the record: nsisoctl must never show a session that is over.
	 * Opened inside another session, we end with it and may not finish:
	 * then the record stays, renamed, for that session's reaper. */
	if (nsiso_record_end(c->run_dir_fd, c->session, nsiso_own_pidns(), &ending_fd) < 0)
		syslog(LOG_ERR, "session %s: cannot remove its record: %m", c->session);
	watch_release(&w);
	/* The record gone (or .ending), the group not yet (a test ends us here). */
	FAULT_POINT("reaper-after-record");
	/* Before the cgroup: on a tmpfs /tmp the files are the user's memory,
	 * which would keep the group. */
	if (c->private_tmp == NSISO_PRIVATE_TMP_YES)
		nsiso_privtmp_release(c->private_tmp_dir_fd, c->uid, c->session);
	/* Before the wait for the application, which its user can stop: the
	 * sessions opened inside ended with our holder, other users' too. */
	reap_nested(c);
	/* The holder's start names its namespace for unreaped.h. */
	nsiso_unreaped_forget(c->run_dir_fd, c->session_pidns, c->holder_start);
	/* The mounts after the group, out of the teardown's way, unless the
	 * application lives on: its user could stop it for as long as they
	 * liked, and keep the mounts in a namespace they hold so long. */
	mounts_first = c->cgroup_parent && !has_exited(c->caller_pidfd);
	if (mounts_first)
		detach_mounts(c);
	if (c->cgroup_parent && remove_cgroup(c, &w) == 1)
		watch_forget_group(&wc);
	if (!mounts_first)
		detach_mounts(c);
	if (nsiso_record_end_done(c->run_dir_fd, c->session, ending_fd) < 0)
		syslog(LOG_ERR, "session %s: cannot remove its ending record: %m", c->session);
	/* Last: a user's subreaper that never waits keeps us from here on (and
	 * an answerer not yet collected). */
	nsiso_unreaped_note(c->run_dir_fd, c->uid, c->holder_pidfd, w.answerer_pidfd);
	nsiso_part_done(c->debug, c->session, "reaper");
}

void reaper_config_of(const struct reaper_session *s, const int fds[4], struct reaper_config *c)
{
	*c = (struct reaper_config){
		.holder_pidfd = fds[0],
		.holds = s->holds,
		.commit_sock = -1,
		.caller_pidfd = fds[1],
		.run_dir_fd = fds[2],
		.private_tmp_dir_fd = fds[3],
		.mnt_ns_fd = -1,
		.session = s->session,
		.user = s->user,
		.cgroup_parent = s->cgroup_parent[0] ? s->cgroup_parent : NULL,
		.cgroup_slice = s->cgroup_slice[0] ? s->cgroup_slice : NULL,
		.uid = s->uid,
		.private_tmp = s->private_tmp,
		.session_pidns = s->session_pidns,
		.holder_start = s->holder_start,
		.debug = s->debug,
	};
}

bool reaper_fd_sent(const struct reaper_session *s, size_t i)
{
	return (i != 0 || !s->holds) && (i != 3 || s->private_tmp != NSISO_PRIVATE_TMP_NO);
}

static size_t fds_wanted(const void *session)
{
	size_t i, n = 0;

	for (i = 0; i < 4; i++)
		n += reaper_fd_sent(session, i);
	return n;
}

/* The session, from the maker: false on EOF or anything malformed.  fds
 * in the order of reaper_config_of(), -1 for those not sent. */
static bool receive_session(int sock, struct reaper_session *s, int fds[4])
{
	const char *const texts[] = { s->session, s->user, s->cgroup_parent, s->cgroup_slice };
	const size_t sizes[] = { sizeof(s->session), sizeof(s->user), sizeof(s->cgroup_parent),
				 sizeof(s->cgroup_slice) };
	int got[4] = { -1, -1, -1, -1 };
	size_t i, n = 0;

	if (!nsiso_recv_struct(sock, s, sizeof(*s), got, 4, fds_wanted, texts, sizes, 4))
		return false;
	for (i = 0; i < 4; i++)
		fds[i] = reaper_fd_sent(s, i) ? got[n++] : -1;
	return true;
}

/* Until the worker that gave us the session has ended (EOF on our socket:
 * it keeps its end open until then), at most as long as a helper may take.
 * The watch we set up next (the user's quota socket, the OOM watch: about
 * 0.8 ms of CPU here) ran beside the worker's rest of the login, and a
 * worker woken by its holder waited for the CPU until we were done (a
 * trace: 0.85 ms).  An exec'd helper says NSISO_SYNC_DONE instead, once it
 * has nothing more for us: beside its own last steps the watch's setting
 * up costs its login less (300 logins in turns: 6.85 -> 6.65 ms).  A
 * session that ends meanwhile is reaped after it. */
static void wait_for_worker(int sock, int *mnt_ns_fd, bool *committed)
{
	struct nsiso_deadline until;
	struct pollfd pfd = { .fd = sock, .events = POLLIN };

	nsiso_deadline_in(&until, NSISO_HELPER_BUDGET_MS);
	for (;;) {
		int n = poll(&pfd, 1, nsiso_deadline_left_ms(&until)), fds[NSISO_FDPASS_MAX];
		size_t n_fds;
		char step;

		if (n == 0 || (n < 0 && errno != EINTR))
			return;
		if (n < 0)
			continue;
		/* Meanwhile the worker has us move (member.h): into the
		 * application's cgroups, then the user's group. */
		if (!nsiso_member_next_step(sock, &step, fds, &n_fds))
			return;
		if (step == NSISO_SYNC_JOIN)
			(void)nsiso_member_join(sock, fds, n_fds);
		if (step == NSISO_SYNC_MNT_NS && n_fds == 1 && *mnt_ns_fd < 0) {
			*mnt_ns_fd = fds[0];
			n_fds = 0;
		}
		/* A worker's word that the module has the session we hold;
		 * its EOF follows. */
		if (step == NSISO_SYNC_COMMIT)
			*committed = true;
		nsiso_member_close_fds(fds, n_fds);
		if (step == NSISO_SYNC_DONE)
			return;	/* an exec'd helper has nothing more for us */
	}
}

/* From the worker's end on: a reaper that holds its session keeps the
 * socket for the commit, unless it came already. */
__attribute__((noreturn))
static void go_on(struct reaper_config *c, int sock)
{
	bool committed = false;

	wait_for_worker(sock, &c->mnt_ns_fd, &committed);
	if (c->holds && !committed)
		c->commit_sock = sock;
	keep_only(c);
	reap(c);
}

void reaper_main(const struct reaper_config *config, int sock)
{
	struct reaper_config c = *config;

	/* Not yet named, nor ready for the holder's signals (a test parks us
	 * here: the helper must wait for our word before it names us). */
	FAULT_POINT("reaper-start");
	start_reaper("nsiso-reaper", c.holds);
	/* Named, and the close's signal queued for us: the helper may now
	 * name us in the record and to the module. */
	if (c.holds)
		(void)send(sock, &(char){ NSISO_SYNC_ACK }, 1, MSG_NOSIGNAL);
	go_on(&c, sock);
}

void reaper_prebuilt_main(int sock)
{
	static struct reaper_session s;
	struct reaper_config c;
	int fds[4];

	nsiso_keep_only_fds(&sock, 1);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	start_reaper("nsiso-idle-reap", false);
	if (!receive_session(sock, &s, fds))
		_exit(0);
	FAULT_POINT("reaper-prebuilt-given");
	/* Ours now: it outlives the worker that gave it, which waits for our
	 * word before it may end (nsiso_prebuilt_reaper_took()).  Should the
	 * worker be gone already, the session is ours all the same. */
	(void)prctl(PR_SET_PDEATHSIG, 0);
	/* Before the word, which lets the worker name us in the record and
	 * to the module: our name, which nsisoctl checks, and the holder's
	 * signals. */
	prctl(PR_SET_NAME, "nsiso-reaper");
	if (s.holds && take_holder_signals() < 0)
		_exit(1);	/* no word: the worker makes a reaper now */
	/* Before the word: the worker it wakes has the rest of the login to
	 * do, and what we set up after it (the watch) ran beside it and kept
	 * it off the CPU (0.3-0.9 ms, traced). */
	nsiso_be_background();
	{
		const char word = NSISO_SYNC_ACK;

		(void)send(sock, &word, 1, MSG_NOSIGNAL);
	}
	reaper_config_of(&s, fds, &c);
	go_on(&c, sock);
}
