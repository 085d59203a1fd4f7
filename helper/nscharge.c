/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Whose namespaces they are, for the kernel's count (nscharge.h). */
#include "nscharge.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <syslog.h>
#include <linux/securebits.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "faults.h"

/* Where it cannot be done (no CAP_SETPCAP in the bounding set, securebits
 * locked): said once a process, and the namespaces count against root. */
static bool charge_failed(uid_t uid)
{
	static bool said;
	int e = errno;

	if (!said)
		syslog(LOG_WARNING, "cannot make new namespaces count against uid %u: %s; they "
		       "count against root's namespace limits", (unsigned)uid, strerror(e));
	said = true;
	errno = e;
	return false;
}

/* What a change of the effective uid resets, kept to be put back. */
struct nsiso_charge {
	int securebits;
	int pdeath_signal;	/* the kernel clears it at the change */
	pid_t pid, ppid;
};

/* Effective uid 0 and the securebits of before again: in the process that
 * began it, and in a child cloned in between; the parent-death signal in
 * the former only (a child has none), raised at once if the parent went
 * meanwhile. */
static void charge_end(const struct nsiso_charge *saved)
{
	if (setresuid((uid_t)-1, 0, (uid_t)-1) != 0 || geteuid() != 0 ||
	    prctl(PR_SET_SECUREBITS, saved->securebits) != 0)
		_exit(127);
	if (getpid() != saved->pid || saved->pdeath_signal == 0)
		return;
	if (prctl(PR_SET_PDEATHSIG, saved->pdeath_signal) != 0)
		_exit(127);
	if (getppid() != saved->ppid)
		raise(saved->pdeath_signal);
}

/* Namespaces made from here until charge_end() count against uid.  False
 * (errno set, nothing changed) when that cannot be done. */
static bool charge_begin(uid_t uid, struct nsiso_charge *saved)
{
	int bits = prctl(PR_GET_SECUREBITS), e;

	if (bits < 0 || prctl(PR_GET_PDEATHSIG, &saved->pdeath_signal) != 0 ||
	    prctl(PR_SET_SECUREBITS, bits | SECBIT_NO_SETUID_FIXUP) != 0)
		return charge_failed(uid);
	saved->securebits = bits;
	saved->pid = getpid();
	saved->ppid = getppid();
	/* Only the effective uid: the real and saved ones stay 0, so a user
	 * can neither signal nor trace us meanwhile (and the change makes us
	 * not dumpable), and we may go back to 0 without a capability.  Nor
	 * can they renice us, change our policy or our CPUs, which the kernel
	 * checks by the effective uid: we keep capabilities the user has not
	 * (cap_safe_nice).  The
	 * file system uid, which follows it, goes back to 0 at once: what the
	 * kernel makes with the namespaces is owned by it (a new IPC
	 * namespace's mqueue root, sticky and 1777: owned by the user, they
	 * could remove root's queues there; a review of 45a02a5). */
	if (setresuid((uid_t)-1, uid, (uid_t)-1) != 0) {
		e = errno;
		(void)prctl(PR_SET_SECUREBITS, bits);
		errno = e;
		return charge_failed(uid);
	}
	(void)setfsuid(0);
	if (setfsuid((uid_t)-1) != 0) {
		charge_end(saved);
		errno = EPERM;
		return charge_failed(uid);
	}
	return true;
}

/* call(flags, pidfd) with the namespaces it makes counted against uid. */
static long charged(uid_t uid, long (*call)(unsigned long, int *), unsigned long flags,
		    int *pidfd)
{
	struct nsiso_charge saved;
	bool began = charge_begin(uid, &saved);
	long r;
	int e;

	/* Held open for a test: the user may not renice us meanwhile. */
	FAULT_POINT("namespace-charge");
	r = call(flags, pidfd);
	e = errno;

	if (began)
		charge_end(&saved);	/* in a cloned child too */
	errno = e;
	return r;
}

static long call_unshare(unsigned long flags, int *pidfd)
{
	(void)pidfd;
	return unshare((int)flags);
}

/* clone(2) by the raw system call: glibc's clone() wants a stack of our
 * making, and fork() makes no namespaces.  The raw call's argument order is
 * the architecture's (the kernel's CLONE_BACKWARDS* variants); CLONE_PIDFD
 * writes the pidfd where the parent's TID would go. */
static long call_clone(unsigned long flags, int *pidfd)
{
#if defined(__s390__) || defined(__CRIS__)
	return syscall(SYS_clone, NULL, flags, pidfd, NULL, 0);
#elif defined(__microblaze__)
	return syscall(SYS_clone, flags, NULL, 0, pidfd, NULL, 0);
#else
	return syscall(SYS_clone, flags, NULL, pidfd, NULL, 0);
#endif
}

int nsiso_unshare_charged(int flags, uid_t uid)
{
	return (int)charged(uid, call_unshare, (unsigned long)flags, NULL);
}

long nsiso_clone_charged(unsigned long flags, uid_t uid, int *pidfd)
{
	return charged(uid, call_clone, flags, pidfd);
}
