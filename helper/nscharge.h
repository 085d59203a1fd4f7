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

/* What a change of the effective uid resets, kept to be put back. */
struct nsiso_charge {
	int securebits;
	int pdeath_signal;	/* the kernel clears it at the change */
	pid_t pid, ppid;
};

/* Namespaces made from here until nsiso_charge_end() count against uid:
 * effective uid uid, and SECBIT_NO_SETUID_FIXUP so that the change keeps
 * the capabilities.  False (errno set, nothing changed) when that cannot be
 * done: where securebits cannot be set (no CAP_SETPCAP in the host's
 * bounding set) the namespaces count against root, as they did; the host's
 * setting, nothing a user can bring about. */
bool nsiso_charge_begin(uid_t uid, struct nsiso_charge *saved);

/* Effective uid 0 and the securebits of before again: in the process that
 * began it, and in a child cloned in between; the parent-death signal in
 * the former only (a child has none), raised at once if the parent went
 * meanwhile.  A process that cannot get back exits (127): it must not go
 * on as anyone but root. */
void nsiso_charge_end(const struct nsiso_charge *saved);

/* unshare(flags), the new namespaces counted against uid: as unshare(). */
int nsiso_unshare_charged(int flags, uid_t uid);

#endif
