/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Ended sessions' holders and reapers a user's process keeps unreaped.
 *
 * An exec'd helper's holder and reaper outlive it: when it exits they are
 * orphans, and the kernel gives them to the nearest ancestor that made
 * itself a child subreaper (PR_SET_CHILD_SUBREAPER, kept across execve),
 * which may be the user's own process, or to init.  A user's subreaper that
 * never calls wait() kept both, root's zombies, after every session: not
 * counted by the user's tasks limit (the user's group is gone) nor by their
 * RLIMIT_NPROC (they are root's); at 100 logins a second the host's PIDs
 * were used up within minutes (an attacker review of rev 10b2fe5).  A bound
 * per ancestor at the login did not hold: subreapers that exit hand their
 * zombies up to one above them (a review of d94714f: 82 under one process).
 *
 * So each reaper notes, as the last thing it does, itself and its holder
 * (while a zombie) when its parent is not init: an entry
 * "<uid>-<pid>-<start time>" (the session user's uid) in
 * unreaped-<pidns>-<init's start time>/ of the run directory: its own PID
 * namespace, by inode and by when its init started (the kernel hands a
 * freed inode number out again at once).
 * Orphans stay in their PID namespace (a subreaper is looked for there
 * only, else its init takes them), and end with it: an exec'd login
 * counts the entries of its user in its own namespace whose process is
 * still there (the others go) and is refused while there are
 * NSISO_UNREAPED_MAX, wherever the subreapers hand them.  A user keeps at
 * most that many a PID namespace (the host's, and one per session of
 * theirs, under their tasks limit), plus what their live sessions leave
 * when they end.  A session's reaper removes the directory of its
 * namespace once that has ended.  A broker's holders and reapers are its
 * own children, and init reaps: neither leaves an entry. */
#ifndef NSISO_UNREAPED_H
#define NSISO_UNREAPED_H

#include <stddef.h>
#include <sys/types.h>

#define NSISO_UNREAPED_MAX 8	/* four sessions' holder and reaper */

/* The reaper, just before it exits: note itself, its holder while that is
 * a zombie, and its answerer (watch.c) when it could not collect it
 * (answerer_pidfd, or -1), when its parent is not init. */
void nsiso_unreaped_note(int run_dir_fd, uid_t uid, int holder_pidfd, int answerer_pidfd);

/* An exec'd login of uid: 0, or -1 with why when NSISO_UNREAPED_MAX of the
 * noted processes of uid in our PID namespace are still there (naming a
 * process that keeps one, and its uid), or when they cannot be counted.
 * Entries of processes gone are removed. */
int nsiso_unreaped_check(int run_dir_fd, uid_t uid, char *why, size_t len);

/* A session's reaper, its holder's PID namespace over (pidns, its holder
 * started at holder_start): what was noted there goes. */
void nsiso_unreaped_forget(int run_dir_fd, unsigned long long pidns,
			   unsigned long long holder_start);

#endif
