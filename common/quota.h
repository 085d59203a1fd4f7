/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* A user's own numbers, for `nsisoctl quota`: the user's cgroup (memory,
 * swap, tasks, CPU), the OOM kills the reaper logged, and the user's open
 * sessions.
 *
 * The user-<uid> groups are root's and 0700, so a user asks the reaper of
 * one of their sessions (root) over a unix socket in the run directory,
 * <run_dir>/user-<uid>.sock.  The client sends one message, a word of enum
 * nsiso_quota_ask; the reaper answers with one message and closes:
 *   "ok\n" and "<field> <value>\n" lines (the fields of quota.c), or
 *   "<word> <reason>" for the other kinds of enum nsiso_quota_answer.
 * The reaper answers only for the uid the kernel gives for the peer
 * (SO_PEERCRED) and only if that is its own user's: nothing in a request
 * names a user.  Root reads the same numbers itself (nsiso_quota_collect).
 * This unit is the one place that knows the socket's, the files' and the
 * fields' names and forms. */
#ifndef NSISO_QUOTA_H
#define NSISO_QUOTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"

/* In the run directory: the socket one reaper of the user serves (the
 * user's, 0600), and root's, 0600: the user's OOM history, the FIFO the
 * other reapers sleep on until that one ends, the lock that makes one
 * reaper per user the one that serves and watches (a byte per uid), and
 * the file every reaper of the user holds read-locked while its session
 * lasts.  sessions.lock (a byte per uid) is what reapers of before the
 * file per user held, and a reaper of ours that cannot hold the file. */
#define NSISO_QUOTA_SOCKET_FORMAT "user-%u.sock"
#define NSISO_OOM_STATE_FORMAT "user-%u.oom"
#define NSISO_WATCH_BATON_FORMAT "user-%u.watch"
#define NSISO_WATCH_LOCK_NAME "watch.lock"
#define NSISO_SESSIONS_FILE_FORMAT "user-%u.sessions"
#define NSISO_SESSIONS_LOCK_NAME "sessions.lock"

#define NSISO_QUOTA_KILLS_MAX 5		/* the last kills kept and shown */
#define NSISO_OOM_GROUPS_MAX 32		/* v1: groups below with kills, kept */
#define NSISO_QUOTA_SESSIONS_MAX 32	/* sessions listed in one answer */
#define NSISO_QUOTA_MESSAGE_MAX 16384
#define NSISO_QUOTA_REASON_MAX 200

/* What a client asks. */
enum nsiso_quota_ask {
	NSISO_QUOTA_ASK_NUMBERS,	/* "quota": the peer's own numbers */
};

/* What the reaper answers. */
enum nsiso_quota_answer {
	NSISO_QUOTA_OK,		/* "ok": the numbers follow */
	NSISO_QUOTA_DENIED,	/* "denied": the peer is not this user */
	NSISO_QUOTA_BUSY,	/* "busy": too many clients at once */
	NSISO_QUOTA_FAILED,	/* "failed": a malformed request, or an error */
};

/* One OOM kill, as the reaper logged it. */
struct nsiso_oom_kill {
	long long time;			/* unix time it was logged */
	pid_t pid;			/* host PID; 0 when the kernel's log
					 * did not name it */
	char command[32];		/* "" when unknown */
};

/* The user's OOM history: <run_dir>/user-<uid>.oom, root's, 0600, written
 * by the reaper that watches the user's group (only that one). */
struct nsiso_oom_state {
	unsigned long long group;	/* inode of the memory cgroup directory
					 * the numbers are of */
	uint64_t handled;		/* its oom_kill count, all logged */
	uint64_t kmsg_seq;		/* the last kernel log record read */
	/* v1, where a kill counts only in the victim's own group: the count
	 * of each group below (or the group itself) that has one, and the
	 * last counts of those since removed, so that the sum never goes
	 * back when a group goes (a systemd scope in a user's slice). */
	struct nsiso_cgroup_count below[NSISO_OOM_GROUPS_MAX];
	size_t n_below;
	uint64_t gone;
	struct nsiso_oom_kill kills[NSISO_QUOTA_KILLS_MAX];	/* oldest first */
	size_t n_kills;
};

struct nsiso_quota_session {
	char session[24], service[64], tty[64], rhost[128], isolate[64], hostname[72];
	long long started;
};

struct nsiso_quota {
	uid_t uid;
	char user[64];
	char cgroup[300];		/* the user's group, "" for none
					 * (nsiso_cgroup_user_group) */
	bool have_stats;		/* the group exists and was read */
	struct nsiso_cgroup_stats stats;
	struct nsiso_oom_kill kills[NSISO_QUOTA_KILLS_MAX];
	size_t n_kills;
	struct nsiso_quota_session sessions[NSISO_QUOTA_SESSIONS_MAX];
	size_t n_sessions;		/* listed */
	uint64_t sessions_total;	/* open, listed or not */
};

/* The words on the socket, and back (-1 for anything else). */
const char *nsiso_quota_ask_word(enum nsiso_quota_ask ask);
int nsiso_quota_ask_of(const char *message, size_t len);
const char *nsiso_quota_answer_word(enum nsiso_quota_answer answer);
int nsiso_quota_answer_of(const char *message, size_t len);

/* "<dir>/user-<uid>.sock".  0, or -1 when it does not fit. */
int nsiso_quota_socket_path(const char *run_dir, uid_t uid, char *buf, size_t len);

/* Everything about uid: its live sessions from the run directory's
 * records, its group (nsiso_cgroup_user_group: pam_nsiso's own or, in
 * systemd mode, the user's slice; "": none; NULL: the group of its oldest
 * live session that has one) and that group's OOM history.  Needs root.
 * 0, or -1 when the run directory cannot be read. */
int nsiso_quota_collect(int run_dir_fd, uid_t uid, const char *user, const char *group,
			struct nsiso_quota *q);

/* The "ok" answer.  Its length, or -1 when buf is too small. */
int nsiso_quota_encode(const struct nsiso_quota *q, char *buf, size_t len);

/* Any answer.  The kind (enum nsiso_quota_answer), with q filled in for
 * NSISO_QUOTA_OK and the reason in why for the others; -1 with why set for
 * a malformed answer. */
int nsiso_quota_decode(const char *message, size_t len, struct nsiso_quota *q,
		       char *why, size_t why_len);

/* The OOM history: 0 (a missing file reads as an empty state, group 0), or
 * -1.  Write: atomically (temporary file and rename), 0 or -1. */
int nsiso_oom_state_read(int run_dir_fd, uid_t uid, struct nsiso_oom_state *s);
int nsiso_oom_state_write(int run_dir_fd, uid_t uid, const struct nsiso_oom_state *s);
int nsiso_oom_state_remove(int run_dir_fd, uid_t uid);

/* Append a kill, dropping the oldest beyond NSISO_QUOTA_KILLS_MAX. */
void nsiso_oom_state_add(struct nsiso_oom_state *s, const struct nsiso_oom_kill *kill);

#endif
