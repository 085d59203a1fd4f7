/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Whose namespaces they are, for the kernel's count.  Every namespace
 * counts, for its whole life, against the per-uid limit
 * (user.max_mnt_namespaces and its siblings) of the effective uid that made
 * it.  A user can keep a session's namespaces past its end (an fd of
 * /proc/PID/ns/... of their own process, kept by another: threat model
 * M7); made with euid 0, enough of them would use up root's count, and
 * every namespace root makes after that would fail (every isolated login,
 * every service with namespaces of its own).  So a session's namespaces are
 * made with the user's uid as effective uid, the capabilities kept, and
 * root again at once: the user uses up their own count only.  A broker's
 * holders made ahead do not know their user yet: they count against
 * NSISO_MADE_AHEAD_UID, a uid of their own; once that is used up a spare
 * makes none, and the worker makes each at its login. */
#ifndef NSISO_NSCHARGE_H
#define NSISO_NSCHARGE_H

#include <stdbool.h>
#include <sys/types.h>

/* No account has it ((uid_t)-2, never a user on Debian); all it is for is
 * the kernel's count of the namespaces of holders made ahead. */
#define NSISO_MADE_AHEAD_UID ((uid_t)4294967294U)

/* unshare(flags), the new namespaces counted against uid: as unshare().
 * The effective uid is uid for the call, SECBIT_NO_SETUID_FIXUP keeping
 * the capabilities, and 0 again at once (the file system uid right away:
 * what the kernel makes with a namespace is owned by it); the securebits
 * and the parent-death signal, which the change clears, are put back.
 * Where that cannot be done (no CAP_SETPCAP in the host's bounding set,
 * said once a process), the namespaces count against root, as they did:
 * the host's setting, nothing a user can bring about.  A process that
 * cannot get back to euid 0 exits (127). */
int nsiso_unshare_charged(int flags, uid_t uid);

/* The same for clone(flags) by the raw system call (no stack: fork-like),
 * the pidfd of CLONE_PIDFD in *pidfd; both sides are root again, the child
 * without a parent-death signal.  As fork(). */
long nsiso_clone_charged(unsigned long flags, uid_t uid, int *pidfd);

#endif
