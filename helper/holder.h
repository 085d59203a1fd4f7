/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The holder: PID 1 of a session's namespaces, and the one process that ends
 * the session's processes when it is over.  What is left after it (the
 * record, the user's cgroup) the reaper removes (reaper.h). */
#ifndef NSISO_HOLDER_H
#define NSISO_HOLDER_H

#include <signal.h>
#include <stdbool.h>
#include <sys/signalfd.h>
#include <sys/types.h>

#include "../common/conf.h"
#include "../common/hostname.h"
#include "../common/proto.h"

/* A holder's session: what it is given, with the application's pidfd and,
 * with a private /tmp, the user's share of the private /tmp lock (kept for
 * its life), and with remount the host's mount namespace.  A holder cloned
 * at the login gets it in its struct holder_config, one made ahead
 * (prebuilt.h) in one message on its commit socket, those fds attached. */
struct holder_session {
	/* NSISO_NS_* bits: the holder's own namespaces, with cgroup if
	 * asked (made later: cgroupns.h); 0 = cgroup only */
	unsigned isolate;
	char session[NSISO_SESSION_ID_LEN + 1];
	char hostname[NSISO_HOSTNAME_MAX + 1];	/* "" = the host's */
	/* The host's names at the login, set again in the holder's UTS
	 * namespace: one made ahead copied them earlier. */
	char host_nodename[NSISO_HOSTNAME_MAX + 1];
	char host_domainname[NSISO_HOSTNAME_MAX + 1];
	uid_t uid;			/* the user: private /tmp, cgroup ns */
	gid_t gid;
	enum nsiso_private_tmp private_tmp;
	bool propagation_private;
	bool keep_on_logout;
	bool debug;
	/* A holder made ahead whose copy of the mount table is older than the
	 * host's: it copies the table again, from the host's mount namespace
	 * (its fd comes with the session, after the others).  Only with
	 * NSISO_NS_MNT; false for a holder made at the login. */
	bool remount;
	/* With a private /tmp, the byte of the lock file of a release of
	 * before comes too (privtmp.h), after the user's file's lock. */
	bool legacy_tmp_lock;
};

struct holder_config {
	struct holder_session s;
	int caller_pidfd;		/* the PAM application */
	int ready_fd;			/* write: enum nsiso_sync */
	int commit_fd;			/* socket: enum nsiso_sync, EOF = give up */
};


/* SCHED_BATCH for the rest of a holder's or reaper's life: the work a
 * wake-up brings (a close, an end) never preempts the process that woke
 * it.  Best effort. */
void nsiso_be_background(void);

/* Ask never to be the OOM killer's pick (oom_score_adj -1000).  Needs
 * CAP_SYS_RESOURCE, which root lacks on some hosts; there, in cgroup v1,
 * the holder and the reaper live outside the user's memory group anyway
 * (only in its tasks group), so the user's OOM kills never reach them. */
void nsiso_protect_from_oom(void);

/* 0, 1 and 2 to /dev/null: the login's terminal is not ours. */
void nsiso_detach_stdio(void);

/* The signals a session's holder takes from outside, *set emptied first:
 * NSISO_CLOSE_SIGNAL (the close; systemd stopping a scope) and
 * NSISO_KILL_SIGNAL (nsisoctl kill).  A reaper that holds its session
 * takes the same (reaper.h). */
void nsiso_holder_signals(sigset_t *set);

/* Whether a close (NSISO_CLOSE_SIGNAL) says the application is back in its
 * own namespaces, or its own place (proto.h). */
bool nsiso_says_caller_back(const struct signalfd_siginfo *info);

/* Runs in the child made by clone(); never returns. */
__attribute__((noreturn)) void holder_main(const struct holder_config *config);

/* A holder made ahead, in a spare worker (prebuilt.h): in the namespaces of
 * isolate already, it does the part of the set-up that no session changes,
 * then waits on commit_fd for its struct holder_session and goes on as
 * holder_main.  EOF there (the spare is gone or dropped it) ends it; so
 * does its parent's death until it has a session. */
__attribute__((noreturn)) void holder_prebuilt_main(unsigned isolate, int ready_fd, int commit_fd);

/* The end of a session's holder or reaper (part): "session ID: PART done"
 * in syslog with debug, then exit 0. */
__attribute__((noreturn)) void nsiso_part_done(bool debug, const char *session, const char *part);

/* How every part of the helper logs (openlog). */
#define NSISO_LOG_IDENT "nsiso-helper"

/* Close every fd but 0-2 and the n in keep (syslog's is opened anew when
 * next needed). */
void nsiso_keep_only_fds(const int *keep, size_t n);

#endif
