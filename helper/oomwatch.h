/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Logging each OOM kill in a user's group once, when it happens: the
 * reaper that watches the user (watch.h) learns of it from the group
 * (v1: an eventfd on memory.oom_control; v2: POLLPRI on memory.events;
 * systemd's slice on v1, where registering an eventfd would be a write
 * into systemd's tree: the kernel's log becoming readable), counts it with
 * the group's oom_kill counter (v1: the sum of the groups below too) and
 * names it from the kernel's own report in /dev/kmsg.  What was logged is kept in the user's
 * OOM history in the run directory (quota.h), so that a reaper that takes
 * over logs neither a kill twice nor one that happened between. */
#ifndef NSISO_OOMWATCH_H
#define NSISO_OOMWATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/kmsg.h"
#include "../common/quota.h"

#define OOM_CANDIDATES_MAX 16

struct oom_watch {
	int run_dir_fd;
	uid_t uid;
	const char *user;
	char rel[512];			/* the group (nsiso_cgroup_user_group) */
	char group[520];		/* as the kernel writes it: "/" rel */
	char memory_dir[600];
	bool v1;
	bool systemd;			/* systemd's slice: read, never written */
	bool wake_on_kmsg;		/* no event fd: /dev/kmsg wakes us */
	bool watching;
	bool gone_changed;		/* v1: a group below went, not saved */
	int event_fd;			/* v1 eventfd, v2 memory.events; -1 */
	int kmsg_fd;			/* -1 when /dev/kmsg cannot be read */
	struct nsiso_oom_state state;
	/* The kernel's reports of kills in the group not yet counted: the
	 * report comes before the counter moves.  OOM_CANDIDATES_MAX of them,
	 * made at the first report: 9 KiB that every reaper dirtied at its
	 * start (zeroed, on its stack) and few ever use.  NULL until then. */
	struct oom_candidate {
		struct nsiso_kmsg_oom oom;
		long long seen_ms;
	} *candidates;
	int n_candidates;
	unsigned long reports;		/* reports of the group read, ever */
	long long uncounted_since_ms;	/* the counter is ahead of the log; 0 */
	long long busy_until_ms;	/* look often until then (after an event) */
};

void oom_watch_init(struct oom_watch *w, int run_dir_fd, uid_t uid, const char *user,
		    const char *group, bool systemd);

/* Start watching once the group exists; true while watching. */
bool oom_watch_start(struct oom_watch *w, long long now_ms);

/* The fd to poll and for which events, or -1. */
int oom_watch_fd(const struct oom_watch *w, short *events);

/* The fd was ready: take the notification (and so re-arm it).  True when
 * it is worth a look now (the kernel's log: only when it reported a kill
 * in the group). */
bool oom_watch_event(struct oom_watch *w, long long now_ms);

/* Log every kill the counter shows that is not logged yet.  final: the
 * watch ends now, so a kill the kernel's log does not name (yet) is logged
 * without a name rather than waited for.  The ms until it wants to look
 * again. */
long long oom_watch_check(struct oom_watch *w, bool final, long long now_ms);

/* The ms until a watch that is watching wants to look again, as
 * oom_watch_check() says after its look: for the look right after
 * oom_watch_start(), which has just read the counter and logged what it
 * shows. */
long long oom_watch_interval(const struct oom_watch *w, long long now_ms);

/* Its files closed and the kernel's reports it kept freed; a later
 * oom_watch_start() begins anew. */
void oom_watch_stop(struct oom_watch *w);

/* CLOCK_MONOTONIC in ms. */
long long watch_now_ms(void);

#endif
