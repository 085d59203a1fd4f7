/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Ended sessions' processes left unreaped by the application's ancestors.
 *
 * An exec'd helper's holder and reaper outlive it: when it exits they are
 * orphans, and the kernel gives them to the nearest ancestor that made
 * itself a child subreaper (PR_SET_CHILD_SUBREAPER, kept across execve),
 * which may be the user's own process, or to init.  A user's subreaper that
 * never calls wait() kept both, root's zombies, after every session: not
 * counted by the user's tasks limit (the user's group is gone) nor by their
 * RLIMIT_NPROC (they are root's), and at 100 logins a second the host's PIDs
 * were used up within minutes (an attacker review of rev 10b2fe5: 200
 * zombies in 2 s from one loop).
 *
 * Which ancestor is a subreaper cannot be read from /proc, so every ancestor
 * of the helper below the PID namespace's init counts: a login is refused
 * while some ancestor keeps NSISO_UNREAPED_MAX of them.  A user then keeps
 * at most that many per subreaper of theirs, each a process of their own
 * under their own limits.  A broker's holders and reapers are the broker's
 * children: its logins need no look. */
#ifndef NSISO_UNREAPED_H
#define NSISO_UNREAPED_H

#include <stddef.h>
#include <sys/types.h>

#define NSISO_UNREAPED_MAX 8	/* four sessions' holder and reaper */

/* 0: no ancestor of this process keeps NSISO_UNREAPED_MAX zombies of
 * ours; -1 with why (naming the ancestor, its uid and the count) when one
 * does, or when the ancestors could not be walked up to init (more than
 * 64 of them, or ending as they are read, three times over). */
int nsiso_unreaped_check(char *why, size_t len);

#endif
