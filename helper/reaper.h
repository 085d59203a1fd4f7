/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The reaper: one small process per session, outside its namespaces, that
 * removes what the session leaves behind once its holder has ended - the
 * record at once, the user's cgroup when the application is gone too -
 * however the holder ended, even killed outright.  While the session lives
 * it takes its turn at serving the user's quota socket and logging the OOM
 * kills in the user's group (watch.h). */
#ifndef NSISO_REAPER_H
#define NSISO_REAPER_H

#include <stdbool.h>
#include <sys/types.h>

#include "../common/conf.h"
#include "../common/proto.h"

/* A session with no namespace to hold (isolate none, the NSISO_NS_* bits
 * 0) has no holder: its reaper holds it (struct reaper_config, holds).
 * The one rule for the helper, and for a broker's spare whether to make a
 * holder ahead. */
static inline bool nsiso_reaper_holds(unsigned isolate)
{
	return isolate == 0;
}

struct reaper_config {
	int holder_pidfd;		/* -1 when the reaper holds the session */
	bool holds;			/* isolate none: no holder, the reaper is
					 * told of the close (hold_session()) */
	int commit_sock;		/* holds: the maker's socket until its
					 * NSISO_SYNC_COMMIT; -1 then */
	int caller_pidfd;		/* the PAM application */
	int run_dir_fd;			/* the record, and the cgroup lock */
	const char *session;
	const char *user;
	const char *cgroup_parent;	/* NULL = no cgroup of ours */
	const char *cgroup_slice;	/* cgroup_mode systemd: the user's
					 * slice, watched but never written;
					 * NULL = none */
	uid_t uid;
	enum nsiso_private_tmp private_tmp;	/* yes: remove after the last */
	int private_tmp_dir_fd;		/* its lock's directory, or -1 */
	unsigned long long session_pidns;	/* the holder's own PID namespace
						 * (isolate pid), 0 = none */
	unsigned long long holder_start;	/* its start time (clock ticks
						 * after boot), read by the maker
						 * while the holder was its child */
	int mnt_ns_fd;			/* the session's mount namespace, detached
					 * at the end (mntns.h); -1 = none */
	bool debug;
};

/* Runs in the child made by fork(); never returns.  sock: the helper's
 * end stays open until it is done, and it may have us join the user's
 * group meanwhile (member.h) and give us the session's mount namespace
 * (NSISO_SYNC_MNT_NS); once it says NSISO_SYNC_DONE or is gone, the reaper
 * sets up its watch.  A reaper that holds its session (config->holds) is
 * the holder the module knows: it takes the holder's close signals, and
 * the helper says NSISO_SYNC_COMMIT on sock once the module has the
 * session; EOF before that ends the session at once. */
__attribute__((noreturn)) void reaper_main(const struct reaper_config *config, int sock);

/* The session a reaper made ahead is given (prebuilt.h): one message on its
 * socket, with holder_pidfd (not when it holds the session), caller_pidfd,
 * run_dir_fd and (with a private /tmp) private_tmp_dir_fd attached in that
 * order. */
struct reaper_session {
	char session[NSISO_SESSION_ID_LEN + 1];
	char user[NSISO_VALUE_MAX];
	char cgroup_parent[NSISO_VALUE_MAX];	/* "" = no cgroup of ours */
	char cgroup_slice[NSISO_VALUE_MAX];	/* "" = none */
	uid_t uid;
	enum nsiso_private_tmp private_tmp;
	unsigned long long session_pidns;	/* as in struct reaper_config */
	unsigned long long holder_start;	/* as in struct reaper_config */
	bool holds;				/* as in struct reaper_config */
	bool debug;
};

/* The config of a reaper of session s; fds as above (holder or -1,
 * application, run directory, private /tmp directory or -1), no mount
 * namespace yet, the commit socket -1.
 * Its strings point into s, "" there meaning none. */
void reaper_config_of(const struct reaper_session *s, const int fds[4], struct reaper_config *c);

/* Whether fd i of those four comes with session s to a reaper made ahead:
 * the holder's pidfd not when the reaper holds the session, the private
 * /tmp directory only with one.  The one rule for the sender (which, in
 * order) and the reaper (how many, and which is which). */
bool reaper_fd_sent(const struct reaper_session *s, size_t i);

/* A reaper made ahead, in a spare worker: it waits on sock for its struct
 * reaper_session, then goes on as reaper_main.  EOF (the spare is gone or
 * dropped it) ends it; so does its parent's death until it has a session. */
__attribute__((noreturn)) void reaper_prebuilt_main(int sock);

#endif
