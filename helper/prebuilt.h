/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* A session's two processes, made ahead by a broker's spare worker.
 *
 * Making a holder (a clone into new namespaces, a fresh /proc) and a reaper
 * (a fork) is most of a broker's login: each new address space costs about
 * a millisecond on a virtual machine before its first instruction.  So a
 * spare makes both while it waits for a connection: the holder already in
 * its namespaces with the set-up no session changes (holder.h), the reaper
 * with nothing yet (reaper.h).  Each waits on a socket for its session and
 * ends on EOF, or when the spare dies, until it has one.  The worker the
 * spare becomes gives them the session.  It drops the holder and makes one
 * at the login, as an exec'd helper does, when
 *   - the request asks for other namespaces than the holder was made in;
 *   - the mount table changed after the holder copied it (its mountinfo,
 *     opened before the clone, says so: POLLPRI);
 *   - the holder is gone.
 * The reaper serves any session; it is made at the login only when gone.
 * They are the worker's own children, so their PIDs are theirs until it
 * exits: it moves them into the application's cgroups with itself. */
#ifndef NSISO_PREBUILT_H
#define NSISO_PREBUILT_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroupns.h"
#include "holder.h"
#include "privtmp.h"
#include "reaper.h"

struct nsiso_prebuilt {
	unsigned isolate;		/* the namespaces the holder is in */
	pid_t holder_pid;		/* 0 = none */
	int holder_pidfd;
	int holder_ready_fd;		/* read: the holder's enum nsiso_sync bytes */
	int holder_commit_fd;		/* its session, then the hand-over */
	pid_t reaper_pid;		/* 0 = none */
	int reaper_sock;		/* its session */
	int mountinfo_fd;		/* opened before the holder's clone */
	/* Set by the worker: the application's cgroups it went into, which
	 * the holder and the reaper follow it into (cgroupns.h) */
	int follow[NSISO_FOLLOW_MAX];
	size_t n_follow;
};

/* The clone() flags of the namespaces in isolate (not cgroup: cgroupns.h). */
unsigned long nsiso_holder_clone_flags(unsigned isolate);

/* A holder's process: clone() into the namespaces of isolate, counted
 * against charge's per-uid namespace limits (nscharge.h), its pidfd in
 * *pidfd; returns as fork() does, both sides root again (prebuilt.c). */
long nsiso_clone_holder(unsigned isolate, uid_t charge, int *pidfd);

/* In a spare, before accept(): make both, then make the spare's own copy
 * of the pages its login writes (prebuilt.c).  Whatever cannot be made is
 * left out (the worker then makes it at the login); never fails. */
void nsiso_prebuild(struct nsiso_prebuilt *pb, unsigned isolate);

/* Give the holder its session (with the application's pidfd and the private
 * /tmp lock, or -1).  0 when it fits: the session's namespaces are the ones
 * it was made in (cgroup aside: made later); when the mount table changed
 * since it copied it, it copies it again.  Otherwise -1 after dropping it
 * (the reaper waits on: it serves any session). */
int nsiso_prebuilt_give_holder(struct nsiso_prebuilt *pb, const struct holder_session *s,
			       int caller_pidfd, const struct nsiso_privtmp_locks *locks);

/* Give the reaper its session; fds as struct reaper_session says (the last
 * -1 without a private /tmp).  Its PID, or 0 after dropping it.  It is not
 * the session's reaper until it says so (nsiso_prebuilt_reaper_took()). */
pid_t nsiso_prebuilt_give_reaper(struct nsiso_prebuilt *pb, const struct reaper_session *s,
				 const int fds[4]);

/* Whether the reaper given a session has taken it over, waited for at most
 * wait_ms.  Until it has, it dies with the worker (PR_SET_PDEATHSIG): a
 * worker that ended first (on a busy machine the reaper may not have run
 * yet) left the session without a reaper, and its record and group behind.
 * False when it ended or did not answer in time; then it is killed (the
 * worker's unreaped child: its PID is still its own) and the caller makes
 * one at the login.  True when none waits for its word (none was given:
 * the caller made the reaper itself).  A reaper that took its session waits
 * for EOF on its socket, which the worker then keeps open until it ends,
 * before it sets up its watch (reaper_prebuilt_main()). */
bool nsiso_prebuilt_reaper_took(struct nsiso_prebuilt *pb, int wait_ms);

/* In a holder cloned at the login beside a reaper made ahead: close the
 * inherited end of the reaper's socket, which is not the holder's to keep
 * (the reaper would never see EOF while it lived), and the worker's way
 * into the application's cgroups (follow), not the session's to hold. */
void nsiso_prebuilt_forget(const struct nsiso_prebuilt *pb);

/* The holder made ahead, dropped (EOF on its commit socket ends it): for a
 * session that has no holder (reaper.h). */
void nsiso_prebuilt_drop_holder(struct nsiso_prebuilt *pb);

#endif
