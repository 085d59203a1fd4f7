/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The broker's count of the logins its workers serve, by the user whose
 * limits can slow each: a worker follows the PAM application into its
 * cgroups, and where those are a user's, that user's cpu limit (and busy
 * loops beside) slows it.  At most 16 logins that count for one user and
 * 32 that count for any user are served at once; a login beyond either is
 * passed over, and its module runs the helper itself (threat model B4). */
#ifndef NSISO_WORKERS_H
#define NSISO_WORKERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Workers at once, spares included (broker.c): a slot each. */
#define NSISO_WORKERS_MAX 64

/* The table of whom workers serve, shared with every process forked
 * after (MAP_SHARED): in the broker, before its first spare.  0, or -1
 * with why. */
int nsiso_workers_init(char *err, size_t len);

/* In a spare: nothing it forks (its holder and reaper) gets the table. */
void nsiso_workers_keep_from_children(void);

/* The user a cgroup path (of /proc/PID/cgroup) counts for, by its names:
 * the first component "user.slice/user-<uid>.slice" (systemd's), else the
 * first "user-<uid>" (pam_nsiso's own groups); never uid 0; -1 for none. */
long nsiso_workers_path_user(const char *path);

/* The user the login of the process that connected counts for: the user
 * of the first of its cgroups that names one, else its real uid (0: no
 * user).  Read by a pidfd of its PID, while it lives.  -1 when it cannot
 * be told. */
long nsiso_workers_connecting_user(const struct ucred *peer);

/* In a worker: NULL with a slot claimed for a login that counts for uid,
 * or why none may be (the bounds). */
const char *nsiso_workers_claim(uint32_t uid);

/* Once the request is read, the user a login counts for: connected (what
 * nsiso_workers_connecting_user() said), unless that is no user (0) and
 * the login's rule has limits (limited), when it counts for its user uid:
 * its worker waits on that user's group all the same (the user's lock,
 * the holder and reaper moving into the limited group; a review of
 * 393741d). */
long nsiso_workers_request_user(long connected, uid_t uid, bool limited);

/* In a worker that claimed: its login counts for uid instead, within the
 * same bounds (NULL), or why not (its slot freed). */
const char *nsiso_workers_recount(uint32_t uid);

/* In the broker, for a child it has just reaped: its slot freed. */
void nsiso_workers_release(pid_t worker);

#endif
