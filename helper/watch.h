/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* What the reaper does while its session lives: of all the reapers of one
 * user, one at a time - the one holding the user's byte of watch.lock in
 * the run directory (root's, 0600: nothing a user can open takes part) -
 * serves the user's quota socket and watches the user's group for OOM
 * kills (oomwatch.h).  The others sleep on the user's baton FIFO (watch.c)
 * and try to take over when its holder lets go, so when that reaper's
 * session ends another goes on where it stopped.
 *
 * Nothing a client does can hold up the reaper's own job: the reaper
 * itself never accepts a connection.  A child of it (the answerer) does,
 * and answers: a client has QUOTA_CLIENT_TIMEOUT_MS for its one request, at
 * most QUOTA_CLIENTS_MAX are served at once, and the reaper kills the
 * answerer by its pidfd when it outlives that (a close that blocks, see
 * watch.c); one answerer at a time, at most one every QUOTA_REUSE_MS.  A
 * peer of another uid is answered "denied" and dropped at once, so it never
 * takes a place. */
#ifndef NSISO_WATCH_H
#define NSISO_WATCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "oomwatch.h"

#define QUOTA_CLIENTS_MAX 4
#define QUOTA_CLIENT_TIMEOUT_MS 2000
/* How often a reaper that does not watch tries to take over: without the
 * baton's read end, and with it (its hang-up wakes the reaper at once). */
#define WATCH_TAKEOVER_MS 1000
#define WATCH_STANDBY_MS 60000
/* How long the last reaper waits for the lock to tidy up. */
#define WATCH_LOCK_TIMEOUT_MS 1000

struct watch_config {
	int run_dir_fd;
	uid_t uid;
	const char *user;
	const char *group;		/* the user's group (nsiso_cgroup_user_group);
					 * NULL: none to watch */
	bool systemd;			/* it is systemd's slice: read, never
					 * written */
	const char *session;
	bool debug;
};

struct watch {
	const struct watch_config *c;
	int lock_fd;			/* watch.lock; -1 */
	int session_fd;			/* user-<uid>.sessions (or the user's
					 * byte of sessions.lock), read-locked
					 * while the session lasts; -1 */
	bool held_session_lock;		/* it was taken at the start */
	bool owner;			/* we hold the user's byte of it */
	int listen_fd;			/* the quota socket; -1 */
	int baton_fd;			/* user-<uid>.watch: read-write with
					 * the byte of watch.lock, read-only
					 * waiting for it; -1 */
	struct {
		int fd;
	} clients[QUOTA_CLIENTS_MAX];	/* the answerer's */
	int answerer_pidfd;		/* the answerer until it is collected;
					 * -1 */
	bool answerer_failed;		/* one could not be started (said once) */
	long long answerer_kill_ms;	/* when the reaper kills it */
	long long next_answerer_ms;	/* the earliest start of the next */
	long long started_ms;
	long long next_takeover_ms, next_check_ms;
	struct oom_watch oom;
};

void watch_init(struct watch *w, const struct watch_config *c);

/* The reaper's session counts for its user from now until watch_release(). */
void watch_hold_session(struct watch *w);

/* What ends a reaper's watch: up to WATCH_END_FDS fds (-1: none), polled
 * for POLLIN beside the watch's own.  When one of them is ready, or
 * wait_ms (-1: no time) after over() last said no, over() is called with
 * their revents (0 when it is the time): true once the session is over.
 * It may change fd and wait_ms for the next round. */
#define WATCH_END_FDS 3
struct watch_end {
	int fd[WATCH_END_FDS];
	short revents[WATCH_END_FDS];
	int wait_ms;
	bool (*over)(struct watch_end *end);
	void *arg;
};

/* Serve and watch (when ours to) until end says the session is over; then
 * log what is left to log and stop serving.  The lock is kept until
 * watch_release(). */
void watch_until_end(struct watch *w, struct watch_end *end);

/* The same until the holder behind holder_pidfd has ended. */
void watch_until_exit(struct watch *w, int holder_pidfd);

/* After the session's record is gone: the last reaper of the user removes
 * the quota socket.  Lets go of the lock. */
void watch_release(struct watch *w);

/* The last reaper of a user, once it has left the user's group: the OOM
 * history is written again, so that its page is charged to where the
 * reaper is now.  (On cgroup v2 the reaper lives in the user's one group:
 * a tmpfs page it wrote there is memory the user left behind, which keeps
 * the group.) */
void watch_move_history(const struct watch *w);

/* After the user's group was removed: its OOM history goes too (only while
 * no other reaper watches). */
void watch_forget_group(const struct watch_config *c);

/* For a session whose reaper ended before watch_release() (one opened
 * inside a session, ended with it: reaper.c), by another reaper: the same
 * tidy-up of the user's files if no session of the user is left (the
 * sessions file, quota socket and baton), and the OOM history when
 * group_removed. */
void watch_release_ended(const struct watch_config *c, bool group_removed);

#endif
