/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "cgroup.h"
#include "size.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libcgroup.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

static bool initialised;
static enum nsiso_cgroup_version version;
static char memory_mount[256];	/* v2: the unified mount */
static char pids_mount[256];	/* "" when pids is not available */

/* libcgroup's default logger writes to stdout, which in the helper is the
 * login's terminal or nothing at all: send it to syslog instead. */
static void log_to_syslog(void *userdata, int level, const char *fmt, va_list ap)
{
	char text[512];

	(void)userdata;
	vsnprintf(text, sizeof(text), fmt, ap);
	text[strcspn(text, "\n")] = '\0';
	syslog(LOG_AUTHPRIV | (level <= CGROUP_LOG_ERROR ? LOG_ERR : LOG_WARNING),
	       "libcgroup: %s", text);
}

static int mount_point(const char *controller, char *out, size_t len)
{
	char *mp = NULL;

	if (cgroup_get_subsys_mount_point(controller, &mp) != 0 || !mp)
		return -1;
	snprintf(out, len, "%s", mp);
	free(mp);
	return 0;
}

int nsiso_cgroup_init(char *err, size_t len)
{
	int ret;

	if (initialised)
		return 0;
	/* Errors only: its warnings ("fts_read failed" at the end of every
	 * ownership walk) are noise in an auth log. */
	cgroup_set_logger(log_to_syslog, CGROUP_LOG_ERROR, NULL);
	ret = cgroup_init();
	if (ret != 0) {
		snprintf(err, len, "cgroup filesystem not usable: %s", cgroup_strerror(ret));
		return -1;
	}
	version = nsiso_cgroup_detect_version();
	if (mount_point("memory", memory_mount, sizeof(memory_mount)) < 0) {
		snprintf(err, len, "the memory cgroup controller is not available");
		return -1;
	}
	if (mount_point("pids", pids_mount, sizeof(pids_mount)) < 0)
		pids_mount[0] = '\0';
	initialised = true;
	return 0;
}

enum nsiso_cgroup_version nsiso_cgroup_version(void)
{
	return version;
}

int nsiso_cgroup_memory_dir(const char *parent, uid_t uid, char *buf, size_t len)
{
	char rel[512];

	if (!initialised)
		return -1;
	nsiso_cgroup_user_path(parent, uid, rel, sizeof(rel));
	snprintf(buf, len, "%s/%s", memory_mount, rel);
	return 0;
}

/* ---- values ---------------------------------------------------------- */

static void limit_text(uint64_t value, bool v1, char *buf, size_t len)
{
	if (value == NSISO_UNLIMITED)
		snprintf(buf, len, "%s", v1 ? "-1" : "max");
	else
		snprintf(buf, len, "%" PRIu64, value);
}

static int add_value(struct cgroup_controller *ctl, const char *name, const char *value)
{
	return ctl ? cgroup_add_value_string(ctl, name, value) : ECGFAIL;
}

/* v1 keeps memory+swap in one number that must never be below the memory
 * limit, so memsw is first opened to unlimited, then the memory limit is
 * set, then memsw is set to its final value in a second write. */
static int add_memory_values(struct cgroup *cg, const struct nsiso_cgroup_limits *l)
{
	struct cgroup_controller *mem = cgroup_add_controller(cg, "memory");
	char text[32];
	int ret = 0;

	if (version == NSISO_CGROUP_V2) {
		limit_text(l->memory, false, text, sizeof(text));
		ret = add_value(mem, "memory.max", text);
		limit_text(l->swap, false, text, sizeof(text));
		return ret ? ret : add_value(mem, "memory.swap.max", text);
	}
	if (l->swap != NSISO_UNLIMITED && l->memory != NSISO_UNLIMITED)
		ret = add_value(mem, "memory.memsw.limit_in_bytes", "-1");
	limit_text(l->memory, true, text, sizeof(text));
	return ret ? ret : add_value(mem, "memory.limit_in_bytes", text);
}

static int add_pids_values(struct cgroup *cg, const struct nsiso_cgroup_limits *l)
{
	struct cgroup_controller *pids;
	char text[32];

	if (!pids_mount[0])
		return l->tasks == NSISO_UNLIMITED ? 0 : ECGROUPSUBSYSNOTMOUNTED;
	pids = cgroup_add_controller(cg, "pids");
	limit_text(l->tasks, false, text, sizeof(text));
	return add_value(pids, "pids.max", text);
}

static int write_memsw(const char *path, const struct nsiso_cgroup_limits *l)
{
	struct cgroup *cg;
	struct cgroup_controller *mem;
	char text[32];
	int ret;

	if (version != NSISO_CGROUP_V1 || l->swap == NSISO_UNLIMITED ||
	    l->memory == NSISO_UNLIMITED)
		return 0;
	if (l->swap > UINT64_MAX - l->memory)
		return ECGINVAL;
	cg = cgroup_new_cgroup(path);
	if (!cg)
		return ECGFAIL;
	mem = cgroup_add_controller(cg, "memory");
	snprintf(text, sizeof(text), "%" PRIu64, l->memory + l->swap);
	ret = add_value(mem, "memory.memsw.limit_in_bytes", text);
	if (!ret)
		ret = cgroup_modify_cgroup(cg);
	cgroup_free(&cg);
	return ret;
}

/* ---- the parent and its lock ----------------------------------------- */

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok ? 0 : -1;
}

/* v2's no-internal-process rule: controllers must be enabled in every
 * ancestor's subtree_control for the leaf to have memory.max and pids.max.
 * Our processes only ever live in the user-<uid> leaves.
 *
 * Written directly, not through libcgroup: 2.0.2's cgroup_create_cgroup()
 * writes "+<controller>" into the subtree_control of the leaf's ancestors
 * below the root but never into the root's, so on a system where nothing
 * enabled memory in the root (no systemd, as in make check-v2's VM) its
 * first write fails with ENOENT and no group is made.  These are our own
 * writes, so libcgroup's last errno says nothing about them: the reason goes
 * into err here.  The kernel refuses (EBUSY) to enable a controller in a
 * cgroup that has processes of its own, which the message names, since an
 * admin can hit it by pointing cgroup_parent at a cgroup in use. */
static int enable_v2_controllers(const char *parent, char *err, size_t len)
{
	char path[PATH_MAX], dir[1024];
	const char *p = parent;
	const char *ctl = pids_mount[0] ? "+memory +pids" : "+memory";

	snprintf(dir, sizeof(dir), "%s", memory_mount);
	for (;;) {
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
		if (write_file(path, ctl) < 0) {
			int e = errno;

			snprintf(err, len, "cannot write \"%s\" to %s: %s%s", ctl, path, strerror(e),
				 e == EBUSY ? " (it has processes of its own; cgroup v2 enables "
					      "controllers only below cgroups without processes)" : "");
			return -1;
		}
		if (!*p)
			return 0;
		{
			size_t n = strcspn(p, "/"), used = strlen(dir);

			snprintf(dir + used, sizeof(dir) - used, "/%.*s", (int)n, p);
			if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
				snprintf(err, len, "cannot create cgroup %s: %s", dir, strerror(errno));
				return -1;
			}
			p += n;
			if (*p == '/')
				p++;
		}
	}
}

/* v1 only: v2 parents are made by enable_v2_controllers(). */
/* Only when missing: cgroup_create_cgroup() also walks the whole existing
 * subtree to chown it, every other user's group included, which made each
 * open cost O(users) (make bench, B3). */
static bool parent_exists(const char *parent)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", memory_mount, parent);
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return false;
	if (!pids_mount[0])
		return true;
	snprintf(path, sizeof(path), "%s/%s", pids_mount, parent);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int create_parent(const char *parent)
{
	struct cgroup *cg;
	int ret;

	if (parent_exists(parent))
		return 0;
	cg = cgroup_new_cgroup(parent);
	if (!cg)
		return ECGFAIL;
	ret = cgroup_add_controller(cg, "memory") ? 0 : ECGFAIL;
	if (!ret && pids_mount[0] && !cgroup_add_controller(cg, "pids"))
		ret = ECGFAIL;
	if (!ret)
		ret = cgroup_create_cgroup(cg, 0);
	cgroup_free(&cg);
	return ret;
}

/* An exclusive flock on the parent directory in the memory hierarchy.
 * Every create/attach and every remove of a user-<uid> leaf takes it. */
static int lock_parent(const char *parent)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", memory_mount, parent);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* ---- join ------------------------------------------------------------ */

/* Read /proc/<pid>/cgroup and check the memory line names our leaf. */
static int check_membership(pid_t pid, const char *rel)
{
	char path[64], line[PATH_MAX + 64], want[PATH_MAX + 8];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	snprintf(want, sizeof(want), "/%s\n", rel);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f)) {
		char *colon1 = strchr(line, ':'), *colon2;

		if (!colon1 || !(colon2 = strchr(colon1 + 1, ':')))
			continue;
		*colon2 = '\0';
		if (version == NSISO_CGROUP_V2 ? colon1[1] == '\0'
					       : strcmp(colon1 + 1, "memory") == 0)
			found = strcmp(colon2 + 1, want) == 0 ? 1 : -1;
	}
	fclose(f);
	return found == 1 ? 0 : -1;
}

/* What libcgroup 2.0.2 does on a pure v2 hierarchy (checked by make
 * check-v2, which boots one):
 *  - cgroup_get_subsys_mount_point() gives the unified mount for every
 *    controller listed in the root's cgroup.controllers;
 *  - cgroup_create_cgroup() makes the leaf (EEXIST is fine), enables each
 *    controller in the ancestors' subtree_control, but not in the root's
 *    (hence enable_v2_controllers), and writes memory.max, memory.swap.max
 *    and pids.max;
 *  - cgroup_attach_task_pid() writes the pid to the leaf's cgroup.procs (by
 *    its cgroup.type), once per controller, after checking the controller
 *    is enabled in the parent.
 *  Its recursive chown logs "fts_read failed" at the end of every walk, on
 *  v1 as on v2: harmless. */
static int create_leaf(const char *rel, const struct nsiso_cgroup_limits *l, pid_t pid)
{
	struct cgroup *cg = cgroup_new_cgroup(rel);
	int ret;

	if (!cg)
		return ECGFAIL;
	ret = add_memory_values(cg, l);
	if (!ret)
		ret = add_pids_values(cg, l);
	if (!ret)
		ret = cgroup_create_cgroup(cg, 0);
	if (!ret)
		ret = write_memsw(rel, l);
	/* libcgroup would otherwise attach to every controller it knows:
	 * never pass it a NULL cgroup. */
	if (!ret)
		ret = cgroup_attach_task_pid(cg, pid);
	cgroup_free(&cg);
	return ret;
}

/* A new session of a user whose other sessions already use up the memory
 * limit would start inside a cgroup where its first allocations fail or are
 * OOM-killed: refuse it with a clear reason instead (under the lock, so
 * the numbers are those of the group we would join). */
static bool memory_used_up(const char *rel, const struct nsiso_cgroup_limits *l,
			   char *err, size_t len)
{
	struct nsiso_cgroup_stats now;
	char mem[PATH_MAX], used[32], limit[32];

	if (l->memory == NSISO_UNLIMITED)
		return false;
	snprintf(mem, sizeof(mem), "%s/%s", memory_mount, rel);
	if (nsiso_cgroup_stats_at(mem, mem, version, &now) < 0 ||
	    now.memory_current == NSISO_UNLIMITED ||
	    now.memory_current + NSISO_MEMORY_HEADROOM < l->memory)
		return false;
	nsiso_format_size(now.memory_current, used, sizeof(used));
	nsiso_format_size(l->memory, limit, sizeof(limit));
	snprintf(err, len, "memory limit of cgroup %s already used up by the user's other "
		 "sessions (%s in use, limit %s)", rel, used, limit);
	return true;
}

static const char *libcgroup_reason(int ret)
{
	return ret == ECGOTHER ? strerror(cgroup_get_last_errno()) : cgroup_strerror(ret);
}

int nsiso_cgroup_join(const char *parent, uid_t uid,
		      const struct nsiso_cgroup_limits *limits, pid_t pid,
		      bool *critical, char *err, size_t len)
{
	char rel[512];
	int ret, lock;

	*critical = false;
	nsiso_cgroup_user_path(parent, uid, rel, sizeof(rel));
	if (version == NSISO_CGROUP_V2) {
		if (enable_v2_controllers(parent, err, len) < 0)
			return -1;
	} else if ((ret = create_parent(parent)) != 0) {
		snprintf(err, len, "cannot create cgroup parent %s: %s", parent,
			 libcgroup_reason(ret));
		return -1;
	}
	lock = lock_parent(parent);
	if (lock < 0) {
		snprintf(err, len, "cannot lock cgroup parent %s: %s", parent, strerror(errno));
		return -1;
	}
	if (memory_used_up(rel, limits, err, len)) {
		*critical = true;
		close(lock);
		return -1;
	}
	ret = create_leaf(rel, limits, pid);
	if (ret) {
		int e = cgroup_get_last_errno();

		*critical = ret == ECGOTHER && (e == ENOMEM || e == EBUSY || e == ENOSPC || e == EAGAIN);
		snprintf(err, len, "cannot set up cgroup %s for pid %d: %s", rel, (int)pid,
			 libcgroup_reason(ret));
	} else if (check_membership(pid, rel) < 0) {
		ret = -1;
		snprintf(err, len, "pid %d is not in cgroup %s after attaching it", (int)pid, rel);
	}
	close(lock);
	return ret ? -1 : 0;
}

/* ---- remove ---------------------------------------------------------- */

static int rmdir_leaf(const char *mount, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", mount, rel);
	if (rmdir(path) == 0)
		return 1;
	return errno == ENOENT ? 0 : (errno == EBUSY ? 0 : -1);
}

int nsiso_cgroup_remove_if_empty(const char *parent, uid_t uid)
{
	char rel[512];
	int lock, ret;

	if (!initialised) {
		/* The holder initialises libcgroup only now, at the end of its
		 * session: its mount table (800 KiB of .bss) would otherwise be
		 * dirty memory in every idle holder. */
		char err[256];

		/* No usable cgroup fs here: then nothing of ours is in it. */
		if (nsiso_cgroup_init(err, sizeof(err)) < 0)
			return 0;
	}
	nsiso_cgroup_user_path(parent, uid, rel, sizeof(rel));
	lock = lock_parent(parent);
	if (lock < 0)
		return errno == ENOENT ? 0 : -1;
	ret = rmdir_leaf(memory_mount, rel);
	/* Only remove the pids leaf once the memory leaf is gone, so the two
	 * hierarchies never disagree about whether the user has a group. */
	if (ret == 1 && version == NSISO_CGROUP_V1 && pids_mount[0] &&
	    rmdir_leaf(pids_mount, rel) < 0)
		ret = -1;
	close(lock);
	return ret;
}

/* ---- stats ----------------------------------------------------------- */

int nsiso_cgroup_read_stats(const char *parent, uid_t uid, struct nsiso_cgroup_stats *s)
{
	char rel[512], mem[PATH_MAX], pids[PATH_MAX];

	if (!initialised)
		return -1;
	nsiso_cgroup_user_path(parent, uid, rel, sizeof(rel));
	snprintf(mem, sizeof(mem), "%s/%s", memory_mount, rel);
	snprintf(pids, sizeof(pids), "%s/%s", pids_mount[0] ? pids_mount : memory_mount, rel);
	return nsiso_cgroup_stats_at(mem, pids, version, s);
}
