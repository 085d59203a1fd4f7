/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Whose namespaces they are, for the kernel's count (nscharge.h). */
#include "nscharge.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <unistd.h>

bool nsiso_charge_begin(uid_t uid, struct nsiso_charge *saved)
{
	int bits = prctl(PR_GET_SECUREBITS), e;

	if (bits < 0 || prctl(PR_GET_PDEATHSIG, &saved->pdeath_signal) != 0)
		return false;
	if (prctl(PR_SET_SECUREBITS, bits | SECBIT_NO_SETUID_FIXUP) != 0)
		return false;
	saved->securebits = bits;
	saved->pid = getpid();
	saved->ppid = getppid();
	/* Only the effective uid: the real and saved ones stay 0, so a user
	 * can neither signal nor trace us meanwhile (and the change makes us
	 * not dumpable), and we may go back to 0 without a capability. */
	if (setresuid((uid_t)-1, uid, (uid_t)-1) != 0) {
		e = errno;
		(void)prctl(PR_SET_SECUREBITS, bits);
		errno = e;
		return false;
	}
	return true;
}

void nsiso_charge_end(const struct nsiso_charge *saved)
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

int nsiso_unshare_charged(int flags, uid_t uid)
{
	struct nsiso_charge saved;
	bool charged;
	int e, r;

	charged = nsiso_charge_begin(uid, &saved);
	r = unshare(flags);
	e = errno;
	if (charged)
		nsiso_charge_end(&saved);
	errno = e;
	return r;
}
