/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The broker's count of the logins its workers serve (workers.h). */
#include "workers.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/record.h"
#include "../common/size.h"
#include "../common/systemd.h"
#include "../common/textfile.h"

/* Workers serving the logins whose applications one user's limits can
 * slow, at once, and those of all users together.  A worker follows the
 * PAM application into its cgroups before it says "taken" (cgroupns.h),
 * and where those are a user's (a su from inside a session; on systemd
 * hosts sshd's and login's root monitor too, placed in the session's scope
 * by pam_systemd first, and cron's job, placed by the module) it runs as
 * slowly as a small cpu limit of that user's, with busy loops beside it,
 * makes it: enough such logins at once held every worker of the pool, and
 * every other login waited NSISO_BROKER_TAKE_MS for a take before its
 * module ran the helper itself (found by an attacker review of 4323dc3).
 * Beyond either bound a login is passed over at once, and its module runs
 * the helper, delaying nobody else; half the pool is always left to the
 * logins whose applications no user's limits reach (sshd, login and cron
 * outside any user's group). */
#define WORKERS_PER_USER 16
#define WORKERS_USERS (NSISO_WORKERS_MAX / 2)

/* Whom each worker serves: slot i is a worker's PID and the user its
 * login counts for (caller_user()), claimed by the worker (the PID first,
 * with a compare and exchange), freed by the broker when it reaps that
 * worker (until then the PID is the worker's).  Shared by the broker and
 * its spares (MAP_SHARED, made before the first spare; a spare keeps it
 * from what it forks: spare_main()).  Workers are at most
 * NSISO_WORKERS_MAX, spares included, so a slot is free for each.  32-bit
 * atomics: lock-free everywhere, which atomics shared between processes
 * must be. */
struct serving {
	_Atomic uint32_t pid[NSISO_WORKERS_MAX];
	_Atomic uint32_t uid[NSISO_WORKERS_MAX];	/* SERVING_NOBODY: not yet */
};
#define SERVING_NOBODY UINT32_MAX
static struct serving *serving;

/* The uid of digits (len of them) that end where a path component does,
 * after the suffix after, or -1. */
static long component_uid(const char *digits, size_t len, const char *after)
{
	size_t n = strlen(after);
	uint64_t uid;

	if (strncmp(digits + len, after, n) != 0 ||
	    (digits[len + n] != '/' && digits[len + n] != '\0') ||
	    nsiso_parse_decimal(digits, len, SERVING_NOBODY - 1, &uid) != NULL)
		return -1;
	return (long)uid;
}

/* The first component of path that is "<prefix><uid><suffix>", a uid
 * other than 0, or -1. */
static long named_user(const char *path, const char *prefix, const char *suffix)
{
	size_t n = strlen(prefix);
	const char *p, *digits;
	long uid;

	for (p = strstr(path, prefix); p; p = strstr(p + 1, prefix)) {
		digits = p + n;
		uid = component_uid(digits, strspn(digits, "0123456789"), suffix);
		if (uid > 0)
			return uid;
	}
	return -1;
}

/* The user whose group a cgroup path lies in, or -1: systemd's
 * ".../user.slice/user-<uid>.slice/...", else pam_nsiso's own
 * "<cgroup_parent>/user-<uid>".  By names, which a user may also give the
 * directories of a cgroup delegated to them: the first such component is
 * the outermost, and a name never makes a login count for no user (uid 0),
 * so a user's own names can only make it count for another user, which
 * costs that user's logins speed, never the pool. */
long nsiso_workers_path_user(const char *path)
{
	long uid = named_user(path, "/user.slice/user-", ".slice");

	return uid > 0 ? uid : named_user(path, "/user-", "");
}

/* Whose limits can slow a worker that follows the application: the user
 * whose group one of its cgroups lies in (/proc/PID/cgroup), else, for an
 * application in no user's group, its real uid (/proc/PID/status: a
 * setuid su's is the user who ran it; the rest are root's, 0, and no
 * user's).  Both read while its pidfd shows it alive (the PID was its
 * own), and neither from a page of the process's own.  -1 when it cannot
 * be told. */
static long caller_user(pid_t caller, int pidfd)
{
	static char text[16384];
	struct nsiso_cgroup_line l;
	const char *rest = text;
	uid_t real, effective;
	long user;

	if (nsiso_read_proc_of(caller, pidfd, "cgroup", text, sizeof(text)) < 0)
		return -1;
	/* (A line cut at its end still names its outermost user.) */
	while (nsiso_proc_cgroup_next(&rest, &l)) {
		user = nsiso_workers_path_user(l.path);
		if (user > 0)
			return user;
	}
	/* Only its start: the uids come before the groups, which may be
	 * thousands. */
	if (nsiso_read_proc_start_of(caller, pidfd, "status", text, 1024) < 0 ||
	    nsiso_status_uids(text, &real, &effective) < 0)
		return -1;
	return (long)real;
}

/* caller_user() of the process that connected, by a pidfd of its PID (the
 * request's own pidfd, checked later to name the same process, pins it);
 * -1 when there is none (it is gone, or in a PID namespace we do not
 * see). */
long nsiso_workers_connecting_user(const struct ucred *peer)
{
	int fd = peer->pid > 1 ? (int)syscall(SYS_pidfd_open, peer->pid, 0) : -1;
	long user = fd >= 0 ? caller_user(peer->pid, fd) : -1;

	if (fd >= 0)
		close(fd);
	return user;
}

/* Slot mine, of this worker, now counts for uid: NULL, or why it may not
 * (the slot freed).  Two that count at once may both count the other and
 * both pass over (each stores its uid before it counts): that costs speed
 * only. */
static const char *count_for(unsigned mine, uint32_t uid)
{
	unsigned i, same = 0, users = 0;

	atomic_store(&serving->uid[mine], uid);
	if (uid == 0)
		return NULL;
	for (i = 0; i < NSISO_WORKERS_MAX; i++) {
		uint32_t theirs = atomic_load(&serving->uid[i]);

		same += theirs == uid;
		users += theirs != 0 && theirs != SERVING_NOBODY;
	}
	if (same <= WORKERS_PER_USER && users <= WORKERS_USERS)
		return NULL;
	atomic_store(&serving->uid[mine], SERVING_NOBODY);
	atomic_store(&serving->pid[mine], 0);
	return same > WORKERS_PER_USER ? "as many logins as one user may have"
				       : "as many logins as users together may have";
}

const char *nsiso_workers_claim(uint32_t uid)
{
	unsigned i;

	for (i = 0; i < NSISO_WORKERS_MAX; i++) {
		uint32_t free_slot = 0;

		if (atomic_compare_exchange_strong(&serving->pid[i], &free_slot,
						   (uint32_t)getpid()))
			return count_for(i, uid);
	}
	return "no slot left";
}

long nsiso_workers_request_user(long connected, uid_t uid, bool limited)
{
	if (connected != 0 || !limited || uid == 0 || uid == (uid_t)-1)
		return connected;
	return (long)uid;
}

const char *nsiso_workers_recount(uint32_t uid)
{
	unsigned i;

	for (i = 0; i < NSISO_WORKERS_MAX; i++)
		if (atomic_load(&serving->pid[i]) == (uint32_t)getpid())
			return count_for(i, uid);
	return nsiso_workers_claim(uid);
}

/* In the broker, for a child it has just reaped. */
void nsiso_workers_release(pid_t worker)
{
	unsigned i;

	for (i = 0; i < NSISO_WORKERS_MAX; i++)
		if (atomic_load(&serving->pid[i]) == (uint32_t)worker) {
			atomic_store(&serving->uid[i], SERVING_NOBODY);
			atomic_store(&serving->pid[i], 0);
		}
}

int nsiso_workers_init(char *err, size_t len)
{
	unsigned i;

	serving = mmap(NULL, sizeof(*serving), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       /* cppcheck-suppress invalidFunctionArg ; no fd with MAP_ANONYMOUS */
		       -1, 0);
	if (serving == MAP_FAILED) {
		snprintf(err, len, "mmap: %s", strerror(errno));
		serving = NULL;
		return -1;
	}
	for (i = 0; i < NSISO_WORKERS_MAX; i++)
		atomic_store(&serving->uid[i], SERVING_NOBODY);
	return 0;
}

void nsiso_workers_keep_from_children(void)
{
	(void)madvise(serving, sizeof(*serving), MADV_DONTFORK);
}
