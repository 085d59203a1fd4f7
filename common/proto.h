/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* What the module, nsiso-helper, the holder and the reaper say to each other.
 *
 * The module execs the helper with the decision as arguments (see
 * nsiso-helper(8)) and an empty environment; fd NSISO_CHANNEL_FD is one end of
 * a SOCK_SEQPACKET socketpair and the only fd besides 0-2.  The helper sends
 * exactly one message on it and exits:
 *   "ok <holder-pid>"   with fds attached (SCM_RIGHTS): the holder's pidfd,
 *                       then the cgroup.procs file of each leaf of the
 *                       user's group the application must enter (0 to
 *                       NSISO_CGROUP_PROCS_MAX fds);
 *                       the application moves itself in by writing "0"
 *   "<kind> <reason>"   the session could not be set up; kind is a word of
 *                       enum nsiso_failure (nsiso_failure_word)
 * Everything it built is then owned by the holder and the reaper, which tear
 * it down if the module never uses it. */
#ifndef NSISO_PROTO_H
#define NSISO_PROTO_H

#include <string.h>

#define NSISO_CHANNEL_FD 3
#define NSISO_REPLY_MAX 512

/* A session open that takes longer than this is abandoned: the helper is
 * killed and the login denied (also with on_error allow).  The one budget of
 * the open, counted by the module from the helper's start. */
#define NSISO_OPEN_TIMEOUT_MS 10000

/* The helper's part of that budget, counted from its own start: all of it
 * but a margin in which its exec and its reply fit, so that a helper that
 * gives up still tells the module why.  Every wait of the helper (the holder
 * getting ready, the hand-over, the cgroup lock, systemd) takes what is left
 * of it (common/deadline.h): none has a fixed bound of its own that could
 * fail an open on a slow machine while the budget still has room. */
#define NSISO_HELPER_MARGIN_MS 1000
#define NSISO_HELPER_BUDGET_MS (NSISO_OPEN_TIMEOUT_MS - NSISO_HELPER_MARGIN_MS)

/* The holder's signals: "the session was closed" (logout: processes end per
 * on_logout) and "end the session now" (nsisoctl kill: every process ends). */
#define NSISO_CLOSE_SIGNAL SIGTERM
#define NSISO_KILL_SIGNAL SIGUSR1

/* The value a close sends with NSISO_CLOSE_SIGNAL (SI_QUEUE) when the
 * process that closes is the application that joined the namespaces and
 * it is back in its own: then nobody needs the session's PID namespace any
 * more, and the holder waits for the application's exit at most
 * NSISO_CALLER_BACK_GRACE_MS.  Any other close is a plain signal, and the
 * holder waits for the application however long it lives. */
#define NSISO_CLOSE_CALLER_BACK 0x6e736931
#define NSISO_CALLER_BACK_GRACE_MS 1000

#define NSISO_SESSION_ID_LEN 16

/* Why a session could not be set up.  on_error allow lets a login through
 * only for NSISO_FAIL_HOST: a failure of the host's own set-up that no user
 * can bring about.  Anything a user could cause (their rlimits, load, used-up
 * limits, a dead application) denies the login whatever on_error says: a
 * policy the user can trigger would be a switch. */
enum nsiso_failure {
	NSISO_FAIL_DENY,	/* "err": deny, at LOG_ERR */
	NSISO_FAIL_CRIT,	/* "crit": deny, a resource shortage, at LOG_CRIT */
	NSISO_FAIL_HOST,	/* "host": the host cannot isolate; on_error applies */
};

/* The word for a failure kind on the channel, and back: the kind of a
 * reply that starts with that word and a space, or -1 for any other text
 * (the module then treats it as NSISO_FAIL_DENY: fail closed). */
static inline const char *nsiso_failure_word(enum nsiso_failure kind)
{
	return kind == NSISO_FAIL_HOST ? "host" : kind == NSISO_FAIL_CRIT ? "crit" : "err";
}

static inline int nsiso_failure_of_reply(const char *reply)
{
	int kind;

	for (kind = NSISO_FAIL_DENY; kind <= NSISO_FAIL_HOST; kind++) {
		const char *word = nsiso_failure_word((enum nsiso_failure)kind);
		size_t n = strlen(word);

		if (strncmp(reply, word, n) == 0 && reply[n] == ' ')
			return kind;
	}
	return -1;
}

/* The hand-over between the helper and the holder: one byte each way over
 * a pipe (ready: holder to helper) and a SOCK_SEQPACKET socket pair (commit:
 * helper to holder, which can carry an fd and the holder's answer to
 * NSISO_SYNC_CGROUP_NS), in order. */
enum nsiso_sync {
	/* holder: the namespaces are built, waiting for the session */
	NSISO_SYNC_READY = 'R',
	/* holder: setup failed, a reason follows; a user could have caused it */
	NSISO_SYNC_ERROR = 'E',
	/* holder: setup failed, a reason follows; the host cannot do it */
	NSISO_SYNC_HOST_ERROR = 'H',
	/* helper: take the session over (from now on a failure ends it) */
	NSISO_SYNC_COMMIT = 'C',
	/* holder: taken; the helper may build the cgroup and the record */
	NSISO_SYNC_ACK = 'A',
	/* helper, with isolate cgroup, once the user's group exists: join the
	 * session's cgroup namespace, whose fd comes with it (helper/
	 * cgroupns.h); the holder answers on the same socket NSISO_SYNC_ACK,
	 * or an error byte and a reason */
	NSISO_SYNC_CGROUP_NS = 'G',
	/* helper, to the holder and to the reaper (helper/member.h), once the
	 * user's group exists: move yourself into it through the mover fd that
	 * comes with it; the member answers NSISO_SYNC_ACK, or
	 * NSISO_SYNC_ERROR and a reason */
	NSISO_SYNC_JOIN = 'J',
	/* helper, to the reaper, with a PID and a mount namespace, once the
	 * holder is ready: the session's mount namespace, whose fd comes with
	 * it; the reaper detaches its tree once the holder has ended (helper/
	 * reaper.h).  No answer. */
	NSISO_SYNC_MNT_NS = 'M',
	/* helper: the module has the session (EOF instead: it never will) */
	NSISO_SYNC_DONE = 'D',
};

/* The broker (helper/broker.h): the same work from a long-lived helper,
 * reached on a root-only SOCK_SEQPACKET socket instead of an exec.
 *   module: one message, the helper's arguments after argv[0], each ending
 *           in NUL, with the module's own pidfd attached (SCM_RIGHTS)
 *   worker: NSISO_BROKER_TAKEN, then exactly the helper's reply above, then
 *           NSISO_BROKER_DONE once the holder has the session (EOF instead
 *           of it: the session failed after the reply, as a helper that
 *           does not exit 0);
 *           or "exec <reason>" (NSISO_BROKER_EXEC) before anything is
 *           built: not served, the module execs the helper instead.
 * A broker that does not say either within NSISO_BROKER_TAKE_MS, or cannot
 * be reached, is passed over the same way. */
#define NSISO_BROKER_SOCKET "/run/nsiso/broker.sock"
#define NSISO_BROKER_TAKE_MS 2000
#define NSISO_BROKER_REQUEST_MAX 8192
#define NSISO_BROKER_TAKEN "taken"
#define NSISO_BROKER_EXEC "exec"
#define NSISO_BROKER_DONE "done"

#ifndef NSISO_HELPER_PATH
#define NSISO_HELPER_PATH "/usr/libexec/nsiso-helper"
#endif

#define NSISO_VERSION "0.1.0"

#endif
