/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Asking systemd, over the system bus (sd-bus), for what only systemd may do
 * in its own part of the cgroup tree: a transient scope in a user's slice,
 * and the limits on that slice.  We never write into systemd's tree. */
#ifndef NSISO_SYSTEMD_BUS_H
#define NSISO_SYSTEMD_BUS_H

#include <stddef.h>
#include <sys/types.h>

#include "cgroup.h"
#include "proto.h"

/* How long the call to systemd for a scope (nsiso-helper scope, before the
 * session's helper runs) may take, and then the wait for the application to
 * be in it, before the open gives up; also the module's bound on connecting.
 * The session helper's call for the limits takes what is left of its
 * budget instead. */
#define NSISO_SYSTEMD_TIMEOUT_MS 5000

/* The system bus's socket, connected by the calling process itself and not
 * yet spoken on, in *fd: dbus-daemon takes a connection's PID from the
 * socket's peer credentials at connect(), and systemd reads PID 0 as that
 * PID.  Made in the process to be moved; spoken on by one its user cannot
 * stop (nsiso_systemd_enter_scope_over).  0, or -1 with a reason in err and
 * *failure set (no bus there is the host's set-up). */
int nsiso_systemd_connect(int *fd, enum nsiso_failure *failure, char *err, size_t len);

/* Over fd, from nsiso_systemd_connect() in process app (its PID as we see
 * it), called in a child of app: put app, and only it, into a new transient
 * scope `unit` in the slice user-<uid>.slice, and wait until the kernel and
 * then systemd show it there.  For a session that pam_systemd did not place
 * (cron, at, su from another user's session).  Nothing is asked once app
 * has ended (our parent changed).  The connection ends here whatever
 * happens, for every copy of fd (shut down, then closed).  0, or -1 with
 * a reason in err and *failure set. */
int nsiso_systemd_enter_scope_over(int fd, pid_t app, const char *unit, uid_t uid,
				   const char *description, enum nsiso_failure *failure,
				   char *err, size_t len);

/* SetUnitProperties(runtime) on the slice: MemoryMax, MemorySwapMax,
 * TasksMax, MemoryHigh, CPUQuotaPerSecUSec, CPUWeight, IOWeight (unset ones
 * back to systemd's defaults).  A cpu or io limit on a kernel without that
 * controller is the host's fault.  Answered within timeout_ms.  0, or -1
 * with a reason in err and *failure set. */
int nsiso_systemd_set_limits(const char *slice, const struct nsiso_cgroup_limits *limits,
			     int timeout_ms, enum nsiso_failure *failure, char *err, size_t len);

#endif
