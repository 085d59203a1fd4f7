/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* vgshim: an LD_PRELOAD library for programs run under valgrind 3.19
 * (Debian 12), which has no wrappers for pidfd_open(2) and
 * pidfd_send_signal(2) and fails them with ENOSYS.  This library's
 * syscall() runs those two natively, through valgrind's
 * VALGRIND_NON_SIMD_CALL client request (the call executes on the real
 * CPU, outside the instrumentation); every other number goes to libc.
 * Neither call writes the caller's memory.  pidfd_send_signal reads the
 * siginfo it may be given (the module's close queues one, all of it set
 * with memset first); memcheck does not see that read, and nothing else.
 * Outside valgrind the request is a no-op returning 0: do not use this
 * library there.  Test tool for tests/adversarial/valgrind_session.sh. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <valgrind/valgrind.h>

static long raw_syscall4(long nr, long a1, long a2, long a3, long a4)
{
	register long r10 __asm__("r10") = a4;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Called by valgrind's core on the host: first argument is its ThreadId. */
static long host_pidfd_open(long tid, long pid, long flags)
{
	(void)tid;
	return raw_syscall4(SYS_pidfd_open, pid, flags, 0, 0);
}

/* flags is always 0 here: valgrind's call passes at most three values. */
static long host_pidfd_send_signal(long tid, long fd, long sig, long info)
{
	(void)tid;
	return raw_syscall4(SYS_pidfd_send_signal, fd, sig, info, 0);
}

static long kernel_result(long ret)
{
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

long syscall(long number, ...)
{
	static long (*next)(long, ...);
	long a[6];
	va_list ap;
	int i;

	va_start(ap, number);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (RUNNING_ON_VALGRIND && number == SYS_pidfd_open)
		return kernel_result((long)VALGRIND_NON_SIMD_CALL2(host_pidfd_open, a[0], a[1]));
	if (RUNNING_ON_VALGRIND && number == SYS_pidfd_send_signal && a[3] == 0)
		return kernel_result((long)VALGRIND_NON_SIMD_CALL3(host_pidfd_send_signal, a[0], a[1], a[2]));
	if (!next)
		next = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return next(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
