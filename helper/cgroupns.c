/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* See cgroupns.h. */
#include "cgroupns.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cgroup.h"
#include "../common/pages.h"
#include "../common/record.h"
#include "../common/systemd.h"
#include "../common/textfile.h"
#include "faults.h"
#include "holder.h"
#include "nscharge.h"

/* Room for a mover fd per hierarchy: v1 has about a dozen. */
#define ENTER_MAX NSISO_FOLLOW_MAX

struct entries {
	int fds[ENTER_MAX];
	size_t n;
};

__attribute__((format(printf, 5, 6)))
static int fail(enum nsiso_failure *failure, enum nsiso_failure kind, char *err, size_t len,
		const char *fmt, ...)
{
	va_list ap;

	*failure = kind;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

static void close_entries(struct entries *e)
{
	while (e->n > 0)
		close(e->fds[--e->n]);
}

static bool same_hierarchy(int fd, const int procs_fds[NSISO_CGROUP_PROCS_MAX])
{
	struct stat a, b;
	size_t i;

	if (fstat(fd, &a) != 0)
		return false;
	for (i = 0; i < NSISO_CGROUP_PROCS_MAX; i++)
		if (procs_fds[i] >= 0 && fstat(procs_fds[i], &b) == 0 && a.st_dev == b.st_dev)
			return true;
	return false;
}

/* True when text has line as one of its lines. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

/* What lets its owner move, freeze or kill the processes of a cgroup. */
static const char *const control_files[] = { "cgroup.procs", "cgroup.freeze", "cgroup.kill",
					     "tasks", "freezer.state" };

static bool users_may_write(const struct stat *st)
{
	return st->st_uid != 0 || (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
}

/* The cgroup dir, or one of its control files, a user's to write? */
static bool dir_reachable(const char *dir)
{
	struct stat st;
	size_t i;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return true;	/* cannot tell: as if it were */
	if (fstat(fd, &st) != 0 || users_may_write(&st)) {
		close(fd);
		return true;
	}
	for (i = 0; i < sizeof(control_files) / sizeof(control_files[0]); i++)
		if (fstatat(fd, control_files[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    users_may_write(&st)) {
			close(fd);
			return true;
		}
	close(fd);
	return false;
}

/* A cgroup (rel below the hierarchy's mount point) that a user can reach:
 * it, or one of its ancestors up to the mount point, or their
 * cgroup.procs, cgroup.freeze, cgroup.kill, tasks or freezer.state (v1), is
 * not root's or is writable by group or others (a delegated subtree: a
 * user's systemd manager, or one chowned to them).  Its owner could move,
 * freeze or kill a root process in it (cgroup v2 checks no uid for a move
 * within a delegated subtree), one holding cgroup.lock too.  True as well
 * when it cannot be told. */
static bool user_reachable(const char *point, const char *rel)
{
	char path[4608], *slash;
	size_t top = strlen(point);

	if ((size_t)snprintf(path, sizeof(path), "%s%s", point, rel) >= sizeof(path))
		return true;
	/* The cgroup, then each ancestor, up to the mount point itself. */
	for (;;) {
		if (dir_reachable(path))
			return true;
		slash = strrchr(path, '/');
		if (strlen(path) <= top || !slash || (size_t)(slash - path) < top)
			return false;
		*slash = '\0';
	}
}

/* Where one line of /proc/PID/cgroup, "N:controllers:path", lies here: the
 * hierarchy's mount point, and in *rel the path below it (within line).
 * False for a hierarchy not mounted here, or a path its mount does not
 * show. */
static bool place_of_line(const char *line, const char *mountinfo, char *point, size_t plen,
			  const char **rel)
{
	char controllers[256], root[256];
	const char *colon = strchr(line, ':'), *second;
	size_t n;

	if (!colon || !(second = strchr(colon + 1, ':')))
		return false;
	snprintf(controllers, sizeof(controllers), "%.*s", (int)(second - colon - 1), colon + 1);
	if (nsiso_cgroup_find_mount(mountinfo, controllers, point, plen, root, sizeof(root)) < 0)
		return false;
	*rel = second + 1;
	if (strcmp(root, "/") == 0)
		return true;
	n = strlen(root);
	if (strncmp(*rel, root, n) != 0 || ((*rel)[n] != '/' && (*rel)[n] != '\0'))
		return false;
	*rel += n;
	return true;
}

/* One line of /proc/<caller>/cgroup: the mover file of that cgroup
 * (nsiso_cgroup_open_mover(): we, and the maker, are one thread each),
 * unless the helper is in that very cgroup already (so is its child:
 * nothing to write, and nothing touched that is not ours), or a procs fd is
 * for the same hierarchy (the application moves there), or - with
 * only_roots - a user can reach it (user_reachable()).  A hierarchy not
 * mounted here, or a cgroup gone meanwhile, is left as it is. */
static void add_line(const char *line, const char *own, const char *mountinfo,
		     const int procs_fds[NSISO_CGROUP_PROCS_MAX], bool only_roots, struct entries *e)
{
	char point[256], dir[4608];
	const char *rel;
	int fd;

	if (e->n >= ENTER_MAX || has_line(own, line) ||
	    !place_of_line(line, mountinfo, point, sizeof(point), &rel))
		return;
	if (only_roots && user_reachable(point, rel))
		return;
	snprintf(dir, sizeof(dir), "%s%s", point, rel);
	fd = nsiso_cgroup_open_mover(dir);
	if (fd < 0)
		return;
	if (same_hierarchy(fd, procs_fds))
		close(fd);
	else
		e->fds[e->n++] = fd;
}

/* What add_callers_cgroups() reads: /proc/<pid>/cgroup, our own, and the
 * mount table. */
static char cgroups[16384], own[16384], mountinfo[65536];

/* The first pages of each buffer, which a read fills, made ours ahead (see
 * nsiso_cgroupns_rehearse()). */
#define REHEARSED_BYTES 8192

void nsiso_cgroupns_rehearse(void)
{
	nsiso_own_pages(cgroups, REHEARSED_BYTES);
	nsiso_own_pages(own, REHEARSED_BYTES);
	nsiso_own_pages(mountinfo, REHEARSED_BYTES);
}

/* The application's cgroup in every hierarchy, read whole while it is
 * alive (nsiso_read_proc_of).  A failure denies: where the application is, a user may have chosen (a
 * cgroup they can write, moved into while we work). */
static int add_callers_cgroups(pid_t caller, int caller_pidfd,
			       const int procs_fds[NSISO_CGROUP_PROCS_MAX], bool only_roots,
			       struct entries *e, enum nsiso_failure *failure, char *err, size_t len)
{
	char *line, *save = NULL;
	ssize_t n;

	if (FAULT_FAILS("cgroupns-caller-cgroups"))
		return fail(failure, NSISO_FAIL_DENY, err, len,
			    "cannot read the PAM application's cgroups: fault injected");
	n = nsiso_read_proc_of(caller, caller_pidfd, "cgroup", cgroups, sizeof(cgroups));
	if (n < 0 && errno == ESRCH)
		return fail(failure, NSISO_FAIL_DENY, err, len,
			    "the PAM application went away");
	if (n <= 0 ||
	    nsiso_read_whole("/proc/self/cgroup", own, sizeof(own)) <= 0 ||
	    nsiso_mountinfo_read(mountinfo, sizeof(mountinfo)) <= 0)
		return fail(failure, NSISO_FAIL_DENY, err, len,
			    "cannot read the PAM application's cgroups: %s", strerror(errno));
	for (line = strtok_r(cgroups, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		add_line(line, own, mountinfo, procs_fds, only_roots, e);
	return 0;
}

/* The maker: into every cgroup by its own hand (writing "0" moves the
 * writer), then a new cgroup namespace there.  It reports {step, errno} and
 * waits until the helper has opened its namespace (EOF on the socket). */
__attribute__((noreturn))
static void maker(const struct entries *e, uid_t uid, int report)
{
	int result[2] = { 0, 0 }, keep[ENTER_MAX + 1];
	size_t i;
	char byte;

	/* Nothing of the helper's lives on in a process a user can reach:
	 * above all not the user's private /tmp locks, which a maker kept
	 * alive (frozen, say) would hold past the session. */
	for (i = 0; i < e->n; i++)
		keep[i] = e->fds[i];
	keep[e->n] = report;
	nsiso_keep_only_fds(keep, e->n + 1);

	for (i = 0; i < e->n && result[0] == 0; i++)
		if (write(e->fds[i], "0", 1) != 1)
			result[0] = 1, result[1] = errno;
	if (result[0] == 0 && nsiso_unshare_charged(CLONE_NEWCGROUP, uid) != 0)
		result[0] = 2, result[1] = errno;
	if (write(report, result, sizeof(result)) != (ssize_t)sizeof(result))
		_exit(1);
	while (read(report, &byte, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* The maker's report, waited for at most wait_ms; then its namespace,
 * opened while it is our unreaped child (its PID cannot be anyone else's).
 * The fd, or -1. */
static int maker_namespace(pid_t pid, int sock, int wait_ms, enum nsiso_failure *failure,
			   char *err, size_t len)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	char path[64];
	int result[2], fd;

	if (poll(&pfd, 1, wait_ms) != 1 ||
	    read(sock, result, sizeof(result)) != (ssize_t)sizeof(result))
		return fail(failure, NSISO_FAIL_DENY, err, len,
			    "its maker did not report in time");
	/* A kernel without cgroup namespaces, or one that refuses them, is
	 * the host's; failing to enter a cgroup, or no namespace left, is
	 * not. */
	if (result[0] == 2)
		return fail(failure, result[1] == EINVAL || result[1] == EPERM ? NSISO_FAIL_HOST
						: NSISO_FAIL_CRIT, err, len,
			    "unshare: %s", strerror(result[1]));
	if (result[0] == 1)
		return fail(failure, NSISO_FAIL_DENY, err, len,
			    "cannot enter the session's cgroups: %s", strerror(result[1]));
	snprintf(path, sizeof(path), "/proc/%d/ns/cgroup", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(failure, NSISO_FAIL_DENY, err, len, "cannot open %s: %s", path,
			    strerror(errno));
	return fd;
}

int nsiso_cgroupns_make(pid_t caller, int caller_pidfd, uid_t uid,
			const int procs_fds[NSISO_CGROUP_PROCS_MAX], int wait_ms,
			enum nsiso_failure *failure, char *err, size_t len)
{
	struct entries e = { .n = 0 };
	int sock[2], fd = -1;
	size_t i;
	pid_t pid;

	for (i = 0; i < NSISO_CGROUP_PROCS_MAX; i++)
		if (procs_fds[i] >= 0 && (e.fds[e.n] = dup(procs_fds[i])) >= 0)
			e.n++;
	/* The maker enters a cgroup a user can reach too: it keeps no fd but
	 * these (maker()), and it is waited for only wait_ms, by the user's
	 * own login. */
	if (add_callers_cgroups(caller, caller_pidfd, procs_fds, false, &e, failure, err, len) < 0) {
		close_entries(&e);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) != 0) {
		close_entries(&e);
		return fail(failure, NSISO_FAIL_CRIT, err, len, "socketpair: %s", strerror(errno));
	}
	pid = fork();
	if (pid == 0) {
		close(sock[0]);
		maker(&e, uid, sock[1]);
	}
	close(sock[1]);
	close_entries(&e);
	if (pid < 0)
		fail(failure, NSISO_FAIL_CRIT, err, len, "cannot start its maker: %s", strerror(errno));
	else
		fd = maker_namespace(pid, sock[0], wait_ms, failure, err, len);
	close(sock[0]);
	if (pid > 0) {
		kill(pid, SIGKILL);	/* our unreaped child: not a reused PID */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	return fd;
}

int nsiso_cgroup_follow_caller(pid_t caller, int caller_pidfd, int movers[NSISO_FOLLOW_MAX],
			       size_t *n_movers, char *err, size_t len)
{
	const int none[NSISO_CGROUP_PROCS_MAX] = { [0 ... NSISO_CGROUP_PROCS_MAX - 1] = -1 };
	struct entries e = { .n = 0 };
	enum nsiso_failure failure;
	size_t i;

	*n_movers = 0;
	if (add_callers_cgroups(caller, caller_pidfd, none, true, &e, &failure, err, len) < 0)
		return -1;
	for (i = 0; i < e.n; i++)
		if (write(e.fds[i], "0", 1) != 1) {
			snprintf(err, len, "cannot enter the PAM application's cgroup: %s",
				 strerror(errno));
			close_entries(&e);
			return -1;
		}
	for (i = 0; i < e.n; i++)
		movers[i] = e.fds[i];
	*n_movers = e.n;
	return 0;
}

/* rel is the top of its hierarchy as mounted here (a cgroup namespace's
 * root, or the real root), or outside it ("/..": a cgroup namespace we
 * were started in, and we are not below its root). */
static bool at_top_or_outside(const char *rel)
{
	return rel[0] == '\0' || strcmp(rel, "/") == 0 ||
	       (strncmp(rel, "/..", 3) == 0 && (rel[3] == '/' || rel[3] == '\0'));
}

/* There is nowhere to leave for from the top as mounted here, nor from
 * outside it.  Staying is safe only when that top is root's alone: a
 * process gets out of a cgroup namespace, or into its root, only through a
 * cgroup above it, which its owner must be able to write.  Outside, only in
 * a scope of ours (our_scope_outside()).  0, or -1 with a reason. */
static int stay_at_top(const char *point, const char *rel, uid_t uid, char *err, size_t len)
{
	if (dir_reachable(point)) {
		snprintf(err, len, "cannot leave cgroup %s%s: the top of its hierarchy here is one a "
			 "user can write (a login from inside a session started in such a cgroup?)",
			 point, rel);
		return -1;
	}
	if (strncmp(rel, "/..", 3) == 0 && !nsiso_systemd_scope_outside_ns(rel, uid)) {
		snprintf(err, len, "cannot leave cgroup %s%s: it is outside this cgroup namespace, "
			 "and not a scope of ours", point, rel);
		return -1;
	}
	return 0;
}

/* Our own cgroup in each hierarchy that a user can reach: we leave it for
 * the top of the hierarchy as mounted here (the root cgroup, which takes
 * processes on v2 too). */
int nsiso_cgroup_leave_user_reachable(uid_t uid, char *err, size_t len)
{
	char *line, *save = NULL;

	if (nsiso_read_whole("/proc/self/cgroup", own, sizeof(own)) <= 0 ||
	    nsiso_mountinfo_read(mountinfo, sizeof(mountinfo)) <= 0) {
		snprintf(err, len, "cannot read our own cgroups: %s", strerror(errno));
		return -1;
	}
	for (line = strtok_r(own, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char point[256];
		const char *rel;

		if (!place_of_line(line, mountinfo, point, sizeof(point), &rel))
			continue;
		/* At the top already (most hierarchies, as a rule). */
		if (at_top_or_outside(rel)) {
			if (stay_at_top(point, rel, uid, err, len) < 0)
				return -1;
			continue;
		}
		if (!user_reachable(point, rel))
			continue;
		if (nsiso_cgroup_move_self(point) < 0) {
			snprintf(err, len, "cannot leave cgroup %s%s, which a user can write: %s",
				 point, rel, strerror(errno));
			return -1;
		}
	}
	return 0;
}
