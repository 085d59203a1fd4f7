/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "cgroup.h"
#include "deadline.h"
#include "pages.h"
#include "size.h"
#include "systemd.h"
#include "textfile.h"
#include "uidlock.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libcgroup.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

static bool initialised;		/* libcgroup's cgroup_init() done */
static bool mounts_known;		/* the *_mount below are filled */
static enum nsiso_cgroup_version version;
static char memory_mount[512];	/* v2: the unified mount */
static char pids_mount[512];	/* "" when pids is not available */
static char cpu_mount[512];	/* "" when cpu is not available */
static char cpuacct_mount[512];	/* v1: cpuacct's (init leaves "" when it is cpu's) */
static char io_mount[512];	/* v1 blkio, v2 io; "" when not available */

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

/* Where the cpu and io controllers are: libcgroup reads the mount table
 * (v1: cpu mounted with cpuacct on most distributions, apart on others;
 * v2: the unified mount, when the root offers the controller).  "" where
 * there is none: only a user with such a limit needs them. */
static void find_cpu_io_mounts(void)
{
	if (mount_point("cpu", cpu_mount, sizeof(cpu_mount)) < 0)
		cpu_mount[0] = '\0';
	if (version != NSISO_CGROUP_V1 ||
	    mount_point("cpuacct", cpuacct_mount, sizeof(cpuacct_mount)) < 0 ||
	    strcmp(cpuacct_mount, cpu_mount) == 0)
		cpuacct_mount[0] = '\0';
	if (mount_point(version == NSISO_CGROUP_V1 ? "blkio" : "io", io_mount, sizeof(io_mount)) < 0)
		io_mount[0] = '\0';
}

/* Where the hierarchies are, for removal only, without libcgroup: its
 * cgroup_init() clears and refills an 800 KiB mount table, and at a
 * session's end that was most of what the reaper did (make bench, B1's CPU
 * column).  Read with the parser the close line and nsisoctl use; a
 * removal needs no more than the mount points (v2: the one mount). */
static int know_mounts_for_removal(void)
{
	struct nsiso_cgroup_dirs mounts;

	if (mounts_known)
		return 0;
	if (nsiso_cgroup_mounts_of(&mounts) < 0)
		return -1;
	version = mounts.version;
	snprintf(memory_mount, sizeof(memory_mount), "%s", mounts.memory);
	snprintf(pids_mount, sizeof(pids_mount), "%s", mounts.pids);
	snprintf(cpu_mount, sizeof(cpu_mount), "%s", mounts.cpu);
	snprintf(cpuacct_mount, sizeof(cpuacct_mount), "%s", mounts.cpuacct);
	snprintf(io_mount, sizeof(io_mount), "%s", mounts.io);
	mounts_known = true;
	return 0;
}

/* libcgroup's cgroup_init() writes its 800 KiB mount table in .bss, a
 * page at a time: about 200 faults in a new process, each dear in a virtual
 * machine.  One madvise() takes them at once, over the whole .bss of the
 * helper, which libcgroup's is part of (linked in: see the Makefile):
 * 2.6 MiB, libcgroup's other two tables of that size included, for the few
 * milliseconds an exec'd helper lives.  Measured with a static test program
 * here: cgroup_init() 2.5-4.2 ms before, 1.6-2.1 ms with the 0.3 ms of the
 * madvise() counted.  Without MADV_POPULATE_WRITE (before Linux 5.14) the
 * faults are taken as before. */
/* The linker's names for where .bss begins and ends (GNU ld, gold, lld). */
extern char __bss_start[], _end[];	// NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)

static void own_bss(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t from = (uintptr_t)__bss_start, to = (uintptr_t)_end;
	size_t skip = (page - from % page) % page;	/* to the first whole page */
	size_t len = to > from + skip ? (to - from - skip) / page * page : 0;

	nsiso_own_pages(__bss_start + skip, len);
}

static int init_once(char *err, size_t len)
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
	find_cpu_io_mounts();
	mounts_known = true;
	initialised = true;
	return 0;
}

int nsiso_cgroup_init(char *err, size_t len)
{
	if (!initialised)
		own_bss();
	return init_once(err, len);
}

/* Not own_bss(): the broker's spares, holders and reapers would all map
 * the 1.6 MiB of libcgroup's tables it never writes. */
int nsiso_cgroup_reinit(char *err, size_t len)
{
	initialised = false;
	mounts_known = false;
	return init_once(err, len);
}

enum nsiso_cgroup_version nsiso_cgroup_version(void)
{
	return version;
}

/* Our group rel's directory in the memory hierarchy (v2: the unified
 * one), once the mount points are known. */
static void memory_dir(const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", memory_mount, rel);
}

bool nsiso_cgroup_known_memory_dir(const char *rel, char *buf, size_t len)
{
	if (!mounts_known || !memory_mount[0])
		return false;
	memory_dir(rel, buf, len);
	return true;
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

/* v1 counts socket buffers on a counter of their own ("tcp"; UDP's too once
 * it is on), and only once the group's memory.kmem.tcp.limit_in_bytes has
 * been written: until then a user holds gigabytes in loopback connections
 * nobody reads (each socket far below the host's tcp_mem) while the group
 * shows a few MiB, and pushes the host past tcp_mem, where any TCP
 * connection on it may be reset.  Its limit is the memory limit again (v1
 * cannot count the two as one).  *out: the text to write, or NULL when
 * the same limit is there already (the kernel refuses a limit below what
 * the counter holds, EBUSY, and TCP may charge past its limit: written at
 * every login, a user's own buffers would fail their next login) or there
 * is no such file (a kernel without kmem accounting).  0, or -1 with errno
 * when the file is there but cannot be read: the limit would go unset, so
 * that is never taken for "no such file". */
static int tcp_limit_text_in(const char *dir, uint64_t memory, char *text, size_t len,
			     const char **out)
{
	const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	const uint64_t want = memory == NSISO_UNLIMITED ? (uint64_t)LONG_MAX / page * page
						       : memory / page * page;
	char path[PATH_MAX], now[32];
	uint64_t cur;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/memory.kmem.tcp.limit_in_bytes", dir);
	if (nsiso_read_text(path, now, sizeof(now)) <= 0)
		return errno == ENOENT ? 0 : -1;
	if (!nsiso_parse_decimal(now, strcspn(now, "\n"), UINT64_MAX, &cur) && cur == want)
		return 0;
	limit_text(memory, true, text, len);
	*out = text;
	return 0;
}

/* v1 keeps memory+swap in one number that must never be below the memory
 * limit, so memsw is first opened to unlimited, then the memory limit is
 * set, then memsw is set to its final value in a second write. */
static int add_memory_values(struct cgroup *cg, const struct nsiso_cgroup_limits *l,
			     const char *tcp_text)
{
	struct cgroup_controller *mem = cgroup_add_controller(cg, "memory");
	char text[32];
	int ret = 0;

	if (version == NSISO_CGROUP_V2) {
		limit_text(l->memory, false, text, sizeof(text));
		ret = add_value(mem, "memory.max", text);
		limit_text(l->swap, false, text, sizeof(text));
		if (!ret)
			ret = add_value(mem, "memory.swap.max", text);
		limit_text(l->memory_high, false, text, sizeof(text));
		return ret ? ret : add_value(mem, "memory.high", text);
	}
	/* v1 has no memory.high (its soft limit acts only under the
	 * machine's memory pressure, which is something else): memory_high
	 * is not applied here, and nsisoctl explain and nsiso.conf(5) say
	 * so. */
	if (l->swap != NSISO_UNLIMITED && l->memory != NSISO_UNLIMITED)
		ret = add_value(mem, "memory.memsw.limit_in_bytes", "-1");
	limit_text(l->memory, true, text, sizeof(text));
	if (!ret)
		ret = add_value(mem, "memory.limit_in_bytes", text);
	if (!ret && tcp_text)
		ret = add_value(mem, "memory.kmem.tcp.limit_in_bytes", tcp_text);
	return ret;
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

/* The cpu and io limits need a controller a user without them does not:
 * their groups are made only for a user who has one. */
static bool needs_cpu(const struct nsiso_cgroup_limits *l)
{
	return l->cpu != NSISO_UNLIMITED || l->cpu_weight != NSISO_UNLIMITED;
}

static bool needs_io(const struct nsiso_cgroup_limits *l)
{
	return l->io_weight != NSISO_UNLIMITED;
}

/* cpu N%: N * 1000 microseconds of CPU time in every NSISO_CPU_PERIOD_US,
 * for all of the user's processes together.  cpu_weight: v2 as it is; v1
 * as cpu.shares, weight * 1024 / 100 (1024 being the default as 100 is, the
 * mapping systemd uses).  Both are written whenever the group is used, the
 * unset one at the kernel's default, so that a login under a changed conf
 * does not keep what an older one set. */
static int add_cpu_values(struct cgroup *cg, const struct nsiso_cgroup_limits *l)
{
	uint64_t weight = l->cpu_weight == NSISO_UNLIMITED ? NSISO_WEIGHT_DEFAULT : l->cpu_weight;
	struct cgroup_controller *cpu;
	char text[48];
	int ret;

	if (!needs_cpu(l))
		return 0;
	cpu = cgroup_add_controller(cg, "cpu");
	if (version == NSISO_CGROUP_V2) {
		if (l->cpu == NSISO_UNLIMITED)
			snprintf(text, sizeof(text), "max %d", NSISO_CPU_PERIOD_US);
		else
			snprintf(text, sizeof(text), "%" PRIu64 " %d", l->cpu * 1000, NSISO_CPU_PERIOD_US);
		ret = add_value(cpu, "cpu.max", text);
		snprintf(text, sizeof(text), "%" PRIu64, weight);
		return ret ? ret : add_value(cpu, "cpu.weight", text);
	}
	snprintf(text, sizeof(text), "%d", NSISO_CPU_PERIOD_US);
	ret = add_value(cpu, "cpu.cfs_period_us", text);
	if (l->cpu == NSISO_UNLIMITED)
		snprintf(text, sizeof(text), "-1");
	else
		snprintf(text, sizeof(text), "%" PRIu64, l->cpu * 1000);
	if (!ret)
		ret = add_value(cpu, "cpu.cfs_quota_us", text);
	snprintf(text, sizeof(text), "%" PRIu64, weight * 1024 / NSISO_WEIGHT_DEFAULT);
	return ret ? ret : add_value(cpu, "cpu.shares", text);
}

/* io_weight as `file` (io_weight_file) takes it, the default staying the
 * default: io.weight "default N"; blkio.weight (10..1000, default 500) N * 5
 * kept in its range, as systemd maps it; blkio.bfq.weight (1..1000, default
 * 100, as io.weight's) N, at most 1000. */
static int add_io_values(struct cgroup *cg, const struct nsiso_cgroup_limits *l, const char *file)
{
	struct cgroup_controller *io;
	uint64_t n = l->io_weight;
	char text[48];

	if (!needs_io(l))
		return 0;
	io = cgroup_add_controller(cg, version == NSISO_CGROUP_V2 ? "io" : "blkio");
	if (strcmp(file, "io.weight") == 0)
		snprintf(text, sizeof(text), "default %" PRIu64, n);
	else if (strcmp(file, "blkio.weight") == 0)
		snprintf(text, sizeof(text), "%" PRIu64, n * 5 < 10 ? 10 : n * 5 > 1000 ? 1000 : n * 5);
	else
		snprintf(text, sizeof(text), "%" PRIu64, n > 1000 ? 1000 : n);
	return add_value(io, file, text);
}

static int write_memsw(const char *path, const struct nsiso_cgroup_limits *l)
{
	struct cgroup *cg;
	struct cgroup_controller *mem;
	char text[32];
	int ret, e;

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
	e = errno;
	cgroup_free(&cg);
	errno = e;
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

int nsiso_cgroup_open_mover(const char *dir)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/tasks", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	return open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
}

int nsiso_cgroup_move_self(const char *dir)
{
	int fd = nsiso_cgroup_open_mover(dir), e;
	bool moved;

	if (fd < 0)
		return -1;
	moved = write(fd, "0", 1) == 1;
	e = errno;
	close(fd);
	errno = e;
	return moved ? 0 : -1;
}

/* ---- modes: who may look ------------------------------------------ */

/* The parent is 0711: a user may pass through it to the group they are in,
 * but not list it, so nobody learns who else is logged in.  A user's own
 * group is 0700: only root reads its numbers (nsisoctl shows them). */
#define PARENT_MODE 0711
#define LEAF_MODE 0700

/* mkdir with the mode we want, or bring an existing directory (made by an
 * older version, or by cgroup-tools) to it.  0 or -1 with errno. */
static int make_dir(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (lstat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if ((st.st_mode & 07777) != mode && chmod(path, mode) != 0)
		return -1;
	return 0;
}

/* v2's no-internal-process rule: controllers must be enabled in every
 * ancestor's subtree_control for the leaf to have memory.max and pids.max
 * (and cpu.max, cpu.weight, io.weight for a user with such limits).
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
static int enable_v2_controllers(const char *parent, const struct nsiso_cgroup_limits *l,
				 char *err, size_t len)
{
	char path[PATH_MAX], dir[1024], ctl[64];
	const char *p = parent;

	/* cpu and io only for a user who has such a limit (and the host has
	 * them: check_controllers). */
	snprintf(ctl, sizeof(ctl), "+memory%s%s%s", pids_mount[0] ? " +pids" : "",
		 needs_cpu(l) ? " +cpu" : "", needs_io(l) ? " +io" : "");

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
			if (make_dir(dir, PARENT_MODE) < 0) {
				snprintf(err, len, "cannot create cgroup %s: %s", dir, strerror(errno));
				return -1;
			}
			p += n;
			if (*p == '/')
				p++;
		}
	}
}

/* The mount that counts tasks: pids, or memory where pids is missing (then
 * there is no tasks limit to count against, but the members still live in
 * the user's group).  v2: the one hierarchy. */
static const char *tasks_mount(void)
{
	return version == NSISO_CGROUP_V1 && pids_mount[0] ? pids_mount : memory_mount;
}

/* ---- the parent ------------------------------------------------------- */

/* The hierarchies a user's group lives in. */
struct hierarchies {
	const char *mount[NSISO_CGROUP_PROCS_MAX];
	size_t n;
};

static void add_hierarchy(struct hierarchies *h, const char *mount)
{
	size_t i;

	if (!mount[0])
		return;
	for (i = 0; i < h->n; i++)
		if (strcmp(h->mount[i], mount) == 0)
			return;
	h->mount[h->n++] = mount;
}

/* v1: memory, pids where mounted, and for the limits that need them cpu,
 * cpuacct (where it is not cpu's; it counts the CPU time the limit is
 * about) and blkio; limits NULL: every one of them, for removal.  Memory
 * first.  v2: the one hierarchy. */
static void hierarchies_for(const struct nsiso_cgroup_limits *l, struct hierarchies *h)
{
	h->n = 0;
	add_hierarchy(h, memory_mount);
	if (version != NSISO_CGROUP_V1)
		return;
	add_hierarchy(h, pids_mount);
	if (!l || needs_cpu(l)) {
		add_hierarchy(h, cpu_mount);
		add_hierarchy(h, cpuacct_mount);
	}
	if (!l || needs_io(l))
		add_hierarchy(h, io_mount);
}

/* `step` on <mount>/<rel><leaf> in each hierarchy these limits use, in
 * order, with the hierarchy's place; at the first that fails (-1, errno
 * set), "cannot <what> <path>: <errno>" in err. */
static int each_hierarchy(const char *rel, const char *leaf, const struct nsiso_cgroup_limits *l,
			  int (*step)(const char *path, size_t i, void *arg), void *arg,
			  const char *what, char *err, size_t len)
{
	struct hierarchies h;
	char path[PATH_MAX];
	size_t i;

	hierarchies_for(l, &h);
	for (i = 0; i < h.n; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", h.mount[i], rel, leaf);
		if (step(path, i, arg) < 0) {
			snprintf(err, len, "cannot %s %s: %s", what, path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* each_hierarchy's step for make_everywhere: arg is the mode. */
static int make_step(const char *path, size_t i, void *mode)
{
	(void)i;
	return make_dir(path, *(const mode_t *)mode);
}

/* `rel` in each hierarchy these limits use, made by us with `mode`, or
 * brought to it. */
static int make_everywhere(const char *rel, const struct nsiso_cgroup_limits *l, mode_t mode,
			   char *err, size_t len)
{
	return each_hierarchy(rel, "", l, make_step, &mode, "create cgroup", err, len);
}

/* v1: the parent, made by us.  libcgroup is not needed for an empty
 * directory, and its cgroup_create_cgroup() would walk the whole existing
 * subtree to chown it, every other user's group included (O(users) per
 * open).  (v2 parents are made by enable_v2_controllers.) */
static int create_parent(const char *parent, const struct nsiso_cgroup_limits *l, char *err,
			 size_t len)
{
	char prefix[PATH_MAX];
	const char *slash;

	/* One component at a time: a parent of several ("lab/nsiso") whose
	 * first is not there yet could not be made at once (ENOENT). */
	for (slash = strchr(parent, '/'); slash; slash = strchr(slash + 1, '/')) {
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(slash - parent), parent);
		if (make_everywhere(prefix, l, PARENT_MODE, err, len) < 0)
			return -1;
	}
	return make_everywhere(parent, l, PARENT_MODE, err, len);
}

/* ---- the lock --------------------------------------------------------- */

/* The user's lock: byte <uid> of a root-only file in the run directory,
 * exclusive (nsiso_lock_uid_byte()), waited for at most wait_ms.  Only root
 * processes of ours ever hold it, each for a few milliseconds, so a time-out
 * means something is wrong and the caller fails rather than hang.  One
 * user's, because all it guards is that user's group (made, filled and
 * checked against its limits, or removed): a helper slowed in a group of
 * the user's (a login from inside a session runs in the user's throttled
 * cpu group, threat model C5) delays that user's logins only.  A shared
 * flock on the whole file keeps out a helper of an older release (a
 * session's reaper outlives an upgrade), which takes it exclusively; it is
 * taken only once the byte is ours, so that logins waiting for a slowed
 * helper's byte do not hold it and starve that older helper (an attacker
 * review of 5d122e8).  fd or -1 with errno. */
static int take_lock(int lock_dir_fd, uid_t uid, int wait_ms)
{
	struct nsiso_deadline until;
	int fd, e;

	nsiso_deadline_in(&until, wait_ms);
	fd = openat(lock_dir_fd, NSISO_CGROUP_LOCK_NAME,
		    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	if (fd < 0)
		return -1;
	if (nsiso_lock_uid_byte(fd, uid, F_WRLCK, wait_ms) < 0 ||
	    nsiso_lock_whole_shared(fd, nsiso_deadline_left_ms(&until)) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* ---- join ------------------------------------------------------------ */

static int write_pid(const char *procs, pid_t pid)
{
	char text[16];

	snprintf(text, sizeof(text), "%d", (int)pid);
	return write_file(procs, text);
}

/* The leaves, made by us with their mode before libcgroup fills them in
 * (it takes an existing directory as it is). */
static int make_leaves(const char *rel, const struct nsiso_cgroup_limits *l, char *err,
		       size_t len)
{
	return make_everywhere(rel, l, LEAF_MODE, err, len);
}

/* The limits, written by libcgroup into the leaves make_leaves made (on v2
 * below a parent whose subtree_control enable_v2_controllers filled):
 * cgroup_modify_cgroup() writes each value and nothing else.  On a pure v2
 * hierarchy (checked by make check-v2, which boots one) libcgroup 2.0.2
 * takes the unified mount for every controller listed in the root's
 * cgroup.controllers, and the values are memory.max, memory.swap.max,
 * memory.high, pids.max, and cpu.max, cpu.weight, io.weight when asked.
 * cgroup_create_cgroup() would first do again, per hierarchy, what is done:
 * mkdir up the whole path, one more read of /proc/mounts, on v2 the
 * subtree_control of every ancestor, and unless told to ignore ownership a
 * chown of each of the leaf's 40 files.  io_file: where io_weight goes
 * (io_weight_file), NULL when it is not set; tcp_text: v1's socket limit
 * (tcp_limit_text_in), NULL when there is none to write. */
static int write_limits(const char *rel, const struct nsiso_cgroup_limits *l, const char *io_file,
			const char *tcp_text)
{
	struct cgroup *cg = cgroup_new_cgroup(rel);
	int ret, e;

	if (!cg)
		return ECGFAIL;
	ret = add_memory_values(cg, l, tcp_text);
	if (!ret)
		ret = add_pids_values(cg, l);
	if (!ret)
		ret = add_cpu_values(cg, l);
	if (!ret)
		ret = add_io_values(cg, l, io_file);
	if (!ret)
		ret = cgroup_modify_cgroup(cg);
	if (!ret)
		ret = write_memsw(rel, l);
	e = errno;	/* a failed open's, for libcgroup_failure() */
	cgroup_free(&cg);
	errno = e;
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
	memory_dir(rel, mem, sizeof(mem));
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

/* The holder and the reaper count in the user's tasks limit; a session that
 * would take the user past it is refused, so the number of root processes a
 * user can make is bounded by their own limit.  (Moving a process into a
 * group is not checked against pids.max by the kernel: we must.) */
static bool tasks_used_up(const char *rel, const struct nsiso_cgroup_limits *l,
			  size_t members, char *err, size_t len)
{
	char dir[PATH_MAX];
	uint64_t now;

	if (l->tasks == NSISO_UNLIMITED || !pids_mount[0])
		return false;
	snprintf(dir, sizeof(dir), "%s/%s", tasks_mount(), rel);
	now = nsiso_cgroup_read_number(dir, "pids.current");
	if (now == NSISO_UNLIMITED)
		now = 0;	/* a new group */
	if (now + members <= l->tasks)
		return false;
	snprintf(err, len, "tasks limit of cgroup %s already used up by the user's other "
		 "sessions (%llu in use, a session needs %zu more, limit %llu)", rel,
		 (unsigned long long)now, members, (unsigned long long)l->tasks);
	return true;
}

/* The errno behind a libcgroup error, 0 for none: ECGOTHER carries it, and
 * ECGROUPVALUENOTEXIST is what a control file's failed open gives, whatever
 * its errno (e, left as the open set it: ENOMEM and EMFILE too). */
static int libcgroup_errno(int ret, int e)
{
	if (ret == ECGOTHER)
		return cgroup_get_last_errno();
	return ret == ECGROUPVALUENOTEXIST ? e : 0;
}

/* A missing control file keeps libcgroup's own words. */
static const char *libcgroup_reason(int ret, int why)
{
	if (!why || (ret == ECGROUPVALUENOTEXIST && why == ENOENT))
		return cgroup_strerror(ret);
	return strerror(why);
}

/* A failure the host's set-up explains (a read-only or missing hierarchy,
 * a parent that cannot take controllers), as opposed to one a user could
 * bring about (memory, pids, the kernel's own limits). */
static enum nsiso_failure failure_of(int e)
{
	if (e == EROFS || e == ENOENT || e == EACCES || e == EPERM || e == ENOTDIR || e == EINVAL)
		return NSISO_FAIL_HOST;
	if (e == ENOMEM || e == ENOSPC || e == EAGAIN || e == EBUSY)
		return NSISO_FAIL_CRIT;
	return NSISO_FAIL_DENY;
}

/* A libcgroup error, as failure_of() the kernel's: by its errno where it
 * has one (why, libcgroup_errno()); its own codes for what the host lacks (a
 * hierarchy or controller not mounted, a group the kernel does not have)
 * are the host's; a failed allocation is a shortage; anything else denies.
 * (Every code but ECGOTHER counted as the host's before, a failed
 * allocation too, which on_error allow let through: reviews of 49dd4a0 and
 * 9f2282c.) */
static enum nsiso_failure libcgroup_failure(int ret, int why)
{
	if (why)
		return failure_of(why);
	switch (ret) {
	case ECGROUPNOTCOMPILED:
	case ECGROUPNOTMOUNTED:
	case ECGROUPSUBSYSNOTMOUNTED:
	case ECGROUPNOTEXIST:
	case ECGROUPUNSUPP:
		return NSISO_FAIL_HOST;
	case ECGFAIL:
	case ECGCONTROLLERCREATEFAILED:
		return NSISO_FAIL_CRIT;
	default:
		return NSISO_FAIL_DENY;
	}
}

static void close_procs_fds(int procs_fds[NSISO_CGROUP_PROCS_MAX])
{
	size_t i;

	for (i = 0; i < NSISO_CGROUP_PROCS_MAX; i++) {
		if (procs_fds[i] >= 0)
			close(procs_fds[i]);
		procs_fds[i] = -1;
	}
}

/* each_hierarchy's step for open_procs_fds: the mover of the group at dir
 * goes to the hierarchy's place in procs_fds, where close_procs_fds finds
 * it. */
static int open_step(const char *dir, size_t i, void *procs_fds)
{
	int *fds = procs_fds;

	fds[i] = nsiso_cgroup_open_mover(dir);
	return fds[i] < 0 ? -1 : 0;
}

/* The application's way in: the mover file (nsiso_cgroup_open_mover():
 * v1's tasks, v2's cgroup.procs) of each of its leaves (v2: the one; v1:
 * memory, pids, and cpu, cpuacct, blkio for the limits that need them),
 * opened by us, written by the application itself. */
static int open_procs_fds(const char *rel, const struct nsiso_cgroup_limits *l,
			  int procs_fds[NSISO_CGROUP_PROCS_MAX], char *err, size_t len)
{
	if (each_hierarchy(rel, "", l, open_step, procs_fds, "open the mover file of", err,
			   len) < 0) {
		close_procs_fds(procs_fds);
		return -1;
	}
	return 0;
}

/* pid's cgroup (0: our own) in the v1 hierarchy of controller name, into
 * path; false when none. */
static bool v1_cgroup_of(pid_t pid, const char *name, char *path, size_t len)
{
	char file[64], text[8192];

	if (pid)
		snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	else
		snprintf(file, sizeof(file), "/proc/self/cgroup");
	return nsiso_read_text(file, text, sizeof(text)) > 0 &&
	       nsiso_proc_cgroup_path(text, name, path, len);
}

/* The initial cgroup namespace's inode (PROC_CGROUP_INIT_INO): there
 * /proc/PID/cgroup paths are absolute. */
#define INIT_CGROUPNS_INO 0xEFFFFFFBULL

static bool in_initial_cgroupns(void)
{
	struct stat st;

	return stat("/proc/self/ns/cgroup", &st) == 0 && st.st_ino == INIT_CGROUPNS_INO;
}

/* Whether pid is listed in the cgroup.procs file procs.  A helper born
 * inside a session's cgroup namespace (a login from inside a session with
 * isolate cgroup) sees /proc/PID/cgroup relative to that namespace, where
 * the user's group is "/": there only the group's own list tells.  Its
 * PIDs are in our PID namespace, as the members' are. */
static bool listed_in(const char *procs, pid_t pid)
{
	char line[32];
	bool found = false;
	FILE *f = fopen(procs, "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		uint64_t n;

		found = !nsiso_parse_decimal(line, strcspn(line, "\n"), UINT64_MAX, &n) &&
			n == (uint64_t)pid;
	}
	fclose(f);
	return found;
}

/* Whether a memory group is a user's leaf of ours (as
 * nsiso_cgroup_user_path() names it, whatever parent the conf gave it), the
 * target's or another user's. */
static bool user_leaf(const char *path)
{
	const char *base = strrchr(path, '/');
	const size_t n = strlen(NSISO_CGROUP_LEAF_PREFIX);
	uint64_t uid;

	base = base ? base + 1 : path;
	return strncmp(base, NSISO_CGROUP_LEAF_PREFIX, n) == 0 &&
	       !nsiso_parse_decimal(base + n, strlen(base + n), UINT32_MAX, &uid);
}

/* Whether a memory path (from /proc/PID/cgroup) may be a user's group: a
 * leaf of ours, or inside a cgroup namespace, where the line is relative to
 * it, its root "/": a session's user's group, or a container's. */
static bool maybe_users_memory(const char *path, bool initial)
{
	return user_leaf(path) || (!initial && strcmp(path, "/") == 0);
}

/* Whether member pid sits in a user's memory group: the target's (procs,
 * its list; NULL: none) or any other user's.  In the initial namespace the
 * member's own line says it, at the cost of one small read, where a group's
 * list grows with its user's processes.  Inside a cgroup namespace a
 * container's root may be the top of the mount (top, its list): no move
 * then, as each would wait for the kernel's grace period. */
static bool in_user_memory(pid_t pid, const char *procs, const char *top, bool initial)
{
	char path[PATH_MAX];

	if (!initial && procs && listed_in(procs, pid))
		return true;
	return v1_cgroup_of(pid, "memory", path, sizeof(path)) &&
	       maybe_users_memory(path, initial) && (initial || !listed_in(top, pid));
}

/* v1: a member in a user's memory group leaves it for the top of the
 * memory hierarchy (memory_top).  A login from inside a session brings them
 * there (the helper is born in the setuid application's groups, and the
 * broker's worker follows them): a root holder or reaper in it would count
 * against that user's memory and be one of their OOM killer's choices.
 * That user need not be the one logging in: `su - B` in A's session has B's
 * members born in A's group, where A's OOM killer took B's reaper (a review
 * of 49dd4a0).  Their tasks count in the target's pids group (add_members),
 * when it has one. */
static int leave_user_memory(const char *memory_top, const char *procs, const pid_t *members,
			     size_t n, char *err, size_t len)
{
	char top[PATH_MAX];
	bool initial = in_initial_cgroupns();
	size_t i;

	snprintf(top, sizeof(top), "%s/cgroup.procs", memory_top);
	for (i = 0; i < n; i++) {
		if (!in_user_memory(members[i], procs, top, initial))
			continue;
		if (write_pid(top, members[i]) < 0) {
			snprintf(err, len, "cannot move pid %d out of a user's memory group into "
				 "%s: %s", (int)members[i], top, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int members_leave_user_memory(const char *rel, const struct nsiso_cgroup_join *j,
				     char *err, size_t len)
{
	char procs[PATH_MAX];

	if (version != NSISO_CGROUP_V1 || tasks_mount() == memory_mount)
		return 0;
	snprintf(procs, sizeof(procs), "%s/%s/cgroup.procs", memory_mount, rel);
	return leave_user_memory(memory_mount, procs, j->members, j->n_members, err, len);
}

int nsiso_cgroup_members_leave_user_memory(const pid_t *members, size_t n, char *err, size_t len)
{
	struct nsiso_cgroup_dirs top;
	char path[PATH_MAX];

	/* The members are where we are (born there, or following us): our
	 * own line, one small read, spares a login the mount table's unless
	 * we are in a user's group or a namespace's root.  No memory line:
	 * cgroup v2, where the members are in no hierarchy of their own. */
	if (!v1_cgroup_of(0, "memory", path, sizeof(path)) ||
	    !maybe_users_memory(path, in_initial_cgroupns()))
		return 0;
	if (nsiso_cgroup_mounts_of(&top) < 0 || top.version != NSISO_CGROUP_V1 ||
	    !top.memory[0] || strcmp(top.memory, top.pids) == 0)
		return 0;
	return leave_user_memory(top.memory, NULL, members, n, err, len);
}

/* Each member moves itself into the user's tasks group, through a mover
 * fd we open (j->enter): no move by PID, and no wait for the kernel's
 * grace period on v1 (nsiso_cgroup_open_mover()). */
static int add_members(const char *rel, const struct nsiso_cgroup_join *j, char *err, size_t len)
{
	char dir[PATH_MAX];
	int fd, ret, e;

	snprintf(dir, sizeof(dir), "%s/%s", tasks_mount(), rel);
	fd = nsiso_cgroup_open_mover(dir);
	if (fd < 0) {
		snprintf(err, len, "cannot open %s/tasks or cgroup.procs: %s", dir,
			 strerror(errno));
		return -1;
	}
	ret = j->enter(j->enter_arg, fd, err, len);
	e = errno;
	close(fd);
	errno = e;
	return ret < 0 ? -1 : members_leave_user_memory(rel, j, err, len);
}

/* Under the lock: check, make, fill, populate. */
static int join_locked(const char *rel, const struct nsiso_cgroup_join *j, const char *io_file,
		       int procs_fds[NSISO_CGROUP_PROCS_MAX], enum nsiso_failure *failure,
		       char *err, size_t len)
{
	char mem[PATH_MAX], tcp[32];
	const char *tcp_text = NULL;
	int ret;

	*failure = NSISO_FAIL_CRIT;
	if (memory_used_up(rel, j->limits, err, len) ||
	    tasks_used_up(rel, j->limits, j->n_members, err, len))
		return -1;
	if (make_leaves(rel, j->limits, err, len) < 0) {
		*failure = failure_of(errno);
		return -1;
	}
	if (version == NSISO_CGROUP_V1) {
		memory_dir(rel, mem, sizeof(mem));
		if (tcp_limit_text_in(mem, j->limits->memory, tcp, sizeof(tcp), &tcp_text) < 0) {
			*failure = NSISO_FAIL_DENY;
			snprintf(err, len, "cannot read %s/memory.kmem.tcp.limit_in_bytes: %s", mem,
				 strerror(errno));
			return -1;
		}
	}
	ret = write_limits(rel, j->limits, io_file, tcp_text);
	if (ret) {
		int why = libcgroup_errno(ret, errno);	/* a failed open's, first */

		*failure = libcgroup_failure(ret, why);
		snprintf(err, len, "cannot set up cgroup %s: %s", rel, libcgroup_reason(ret, why));
		return -1;
	}
	if (add_members(rel, j, err, len) < 0 ||
	    open_procs_fds(rel, j->limits, procs_fds, err, len) < 0) {
		*failure = failure_of(errno);
		return -1;
	}
	return 0;
}

/* A limit whose controller this host does not have: the host's set-up
 * (on_error decides), said in one line that names the item. */
static int check_controllers(const struct nsiso_cgroup_limits *l, char *err, size_t len)
{
	const char *where = version == NSISO_CGROUP_V1 ? "no such hierarchy is mounted"
						       : "the root cgroup does not offer it";

	if (needs_cpu(l) && !cpu_mount[0]) {
		snprintf(err, len, "cpu and cpu_weight need the cpu cgroup controller, and this "
			 "host has none (%s)", where);
		return -1;
	}
	if (needs_io(l) && !io_mount[0]) {
		snprintf(err, len, "io_weight needs the %s cgroup controller, and this host has "
			 "none (%s)", version == NSISO_CGROUP_V1 ? "blkio" : "io", where);
		return -1;
	}
	return 0;
}

/* The file io_weight goes to, looked up in the parent (a cgroup below the
 * root has the same files as the user's group will): v2 io.weight, which
 * blk-iocost provides; v1 blkio.weight, or where the kernel has only BFQ's
 * (CFQ, which made blkio.weight, left Linux in 5.0) blkio.bfq.weight.  BFQ
 * weighs only devices it schedules, iocost only devices it is enabled on.
 * NULL, with a reason in err, when the kernel has neither. */
static const char *io_weight_file(const char *parent, char *err, size_t len)
{
	char dir[PATH_MAX];
	const char *file;

	snprintf(dir, sizeof(dir), "%s/%s", io_mount, parent);
	file = nsiso_cgroup_io_weight_file_in(dir, version);
	if (file)
		return file;
	if (version == NSISO_CGROUP_V2) {
		snprintf(err, len, "io_weight needs io.weight, and %s/%s has none (a kernel "
			 "without blk-iocost)", io_mount, parent);
		return NULL;
	}
	snprintf(err, len, "io_weight needs blkio.weight or blkio.bfq.weight, and %s/%s has "
		 "neither (a kernel without CFQ or BFQ group scheduling)", io_mount, parent);
	return NULL;
}

int nsiso_cgroup_join(const struct nsiso_cgroup_join *j,
		      int procs_fds[NSISO_CGROUP_PROCS_MAX], enum nsiso_failure *failure,
		      char *err, size_t len)
{
	const char *io_file = NULL;
	char rel[512];
	int lock, ret;
	size_t i;

	for (i = 0; i < NSISO_CGROUP_PROCS_MAX; i++)
		procs_fds[i] = -1;
	*failure = NSISO_FAIL_HOST;
	nsiso_cgroup_user_path(j->parent, j->uid, rel, sizeof(rel));
	if (check_controllers(j->limits, err, len) < 0)
		return -1;
	if (version == NSISO_CGROUP_V2 ? enable_v2_controllers(j->parent, j->limits, err, len) < 0
				       : create_parent(j->parent, j->limits, err, len) < 0)
		return -1;
	if (needs_io(j->limits) && !(io_file = io_weight_file(j->parent, err, len)))
		return -1;
	lock = take_lock(j->lock_dir_fd, j->uid, j->lock_wait_ms);
	if (lock < 0) {
		*failure = errno == ETIMEDOUT ? NSISO_FAIL_DENY : failure_of(errno);
		snprintf(err, len, "cannot take the cgroup lock %s: %s", NSISO_CGROUP_LOCK_NAME,
			 strerror(errno));
		return -1;
	}
	ret = join_locked(rel, j, io_file, procs_fds, failure, err, len);
	close(lock);
	return ret;
}

void nsiso_cgroup_rehearse(void)
{
	struct cgroup *cg;
	char *mount = NULL;

	if (!initialised)
		return;
	cg = cgroup_new_cgroup("nsiso-rehearsal");	/* memory only: nothing made */
	if (cg)
		cgroup_free(&cg);
	/* Takes libcgroup's table lock, which a fork shares with the broker. */
	if (cgroup_get_subsys_mount_point("memory", &mount) == 0)
		free(mount);
}

/* ---- remove ---------------------------------------------------------- */

/* 1 removed, 0 absent or still in use, -1 error. */
static int rmdir_leaf(const char *mount, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", mount, rel);
	if (rmdir(path) == 0)
		return 1;
	/* A read-only hierarchy: no session could make a group in it either
	 * (the open failed and said so), and nothing can be removed. */
	return errno == ENOENT || errno == EBUSY || errno == EROFS ? 0 : -1;
}

/* Memory the user left behind when every process is gone: pages of tmpfs
 * files (/dev/shm, a tmpfs /tmp) and System V shared memory, in memory or
 * swapped out.  Such memory would otherwise be charged to the parent when
 * the group goes, and the next login would start from zero: the group
 * stays while it holds any.  (Page cache is not counted: the kernel
 * reclaims it from the parent as from anywhere.) */
static bool holds_user_memory(const char *rel)
{
	char dir[PATH_MAX];
	uint64_t shmem, swap;

	memory_dir(rel, dir, sizeof(dir));
	shmem = nsiso_cgroup_read_keyed(dir, "memory.stat", "shmem");
	swap = version == NSISO_CGROUP_V1 ? nsiso_cgroup_read_keyed(dir, "memory.stat", "swap")
					  : nsiso_cgroup_read_number(dir, "memory.swap.current");
	return (shmem != NSISO_UNLIMITED && shmem > 0) || (swap != NSISO_UNLIMITED && swap > 0);
}

static int remove_locked(const char *rel)
{
	struct hierarchies h;
	size_t i;
	int ret;

	/* v1: every leaf but memory's first, the tasks leaf before the others:
	 * the holder and reaper of a session that is being set up are in it,
	 * and keep the whole group.  The cpu, cpuacct and blkio leaves of a
	 * user who had such limits go with it, whatever the conf says now. */
	hierarchies_for(NULL, &h);
	for (i = 0; i < h.n; i++) {
		char path[PATH_MAX];

		if (h.mount[i] == memory_mount)
			continue;
		ret = rmdir_leaf(h.mount[i], rel);
		snprintf(path, sizeof(path), "%s/%s", h.mount[i], rel);
		if (ret < 0 || (ret == 0 && access(path, F_OK) == 0))
			return ret;
	}
	if (holds_user_memory(rel))
		return 0;
	return rmdir_leaf(memory_mount, rel);
}

int nsiso_cgroup_remove_if_empty(const char *parent, uid_t uid, int lock_dir_fd)
{
	char rel[512];
	int lock, ret;

	/* No cgroup hierarchy here: then nothing of ours is in one. */
	if (know_mounts_for_removal() < 0)
		return 0;
	nsiso_cgroup_user_path(parent, uid, rel, sizeof(rel));
	lock = take_lock(lock_dir_fd, uid, NSISO_CGROUP_LOCK_TIMEOUT_MS);
	if (lock < 0)	/* no lock file and none can be made: no group was */
		return errno == EROFS ? 0 : -1;
	ret = remove_locked(rel);
	close(lock);
	return ret;
}

int nsiso_cgroup_leave_tasks_group(void)
{
	if (know_mounts_for_removal() < 0)
		return 0;	/* no cgroup hierarchy: we are in no group of ours */
	return nsiso_cgroup_move_self(tasks_mount());
}

/* Our memory group (the application's: an exec'd helper is born in it, a
 * broker's worker follows it there), as a group below the hierarchy's root,
 * when it is a unit below uid's slice (a session's scope,
 * user@UID.service): absolute, or ours right outside a cgroup namespace we
 * are in ("/../nsiso-<id>.scope", su from inside a session).  False for the
 * slice itself or anywhere else. */
static bool own_memory_leaf_in_slice(uid_t uid, char *leaf, size_t len)
{
	char own[4096];

	if (!v1_cgroup_of(0, "memory", own, sizeof(own)))
		return false;
	if (nsiso_systemd_below_user_slice(own, uid, NULL)) {
		snprintf(leaf, len, "%s", own + 1);
		return true;
	}
	if (!nsiso_systemd_scope_outside_ns(own, uid))
		return false;
	snprintf(leaf, len, "user.slice/user-%u.slice/%s", (unsigned)uid, strrchr(own, '/') + 1);
	return true;
}

int nsiso_cgroup_v1_slice_tcp_limit(uid_t uid, uint64_t memory, enum nsiso_failure *failure,
				    char *err, size_t len)
{
	enum { MOUNTINFO_MAX = 65536 };
	struct nsiso_cgroup_dirs slice, leaf;
	char *mountinfo, group[64], leaf_group[4096], file[600], text[32];
	const char *tcp_text;
	int ret = 0;

	*failure = NSISO_FAIL_DENY;
	/* v2 counts socket buffers in memory.max. */
	if (nsiso_cgroup_detect_version() != NSISO_CGROUP_V1)
		return 0;
	mountinfo = malloc(MOUNTINFO_MAX);
	if (!mountinfo || nsiso_mountinfo_read(mountinfo, MOUNTINFO_MAX) <= 0) {
		snprintf(err, len, "cannot read the mount table: %s", strerror(errno));
		free(mountinfo);
		return -1;
	}
	snprintf(group, sizeof(group), "user.slice/user-%u.slice", (unsigned)uid);
	nsiso_cgroup_dirs_in(mountinfo, NSISO_CGROUP_V1, group, &slice);
	leaf.memory[0] = '\0';
	if (own_memory_leaf_in_slice(uid, leaf_group, sizeof(leaf_group)))
		nsiso_cgroup_dirs_in(mountinfo, NSISO_CGROUP_V1, leaf_group, &leaf);
	free(mountinfo);
	/* The slice's limit, when it differs (tcp_limit_text_in()). */
	if (slice.memory[0]) {
		snprintf(file, sizeof(file), "%s/memory.kmem.tcp.limit_in_bytes", slice.memory);
		if (tcp_limit_text_in(slice.memory, memory, text, sizeof(text), &tcp_text) < 0)
			ret = -1;
		else if (tcp_text && write_file(file, tcp_text) < 0) {
			*failure = failure_of(errno);
			ret = -1;
		}
	}
	/* v1 charges a socket to its maker's group only where that group's
	 * own TCP limit has been written (it turns the counting on; a
	 * parent's does not), and the charge then counts up through every
	 * parent, the slice's limit too.  systemd gives each unit of the slice
	 * a memory group of its own (session-N.scope, nsiso-<id>.scope,
	 * user@UID.service), which nothing writes: "-1" (no limit of its own)
	 * turns it on there, at every open, since nothing tells whether it
	 * was.  No such file: a kernel without kmem accounting. */
	if (ret == 0 && leaf.memory[0]) {
		snprintf(file, sizeof(file), "%s/memory.kmem.tcp.limit_in_bytes", leaf.memory);
		if (write_file(file, "-1") < 0 && errno != ENOENT)
			ret = -1;
	}
	if (ret < 0)
		snprintf(err, len, "socket buffer limit %s: %s", file, strerror(errno));
	return ret;
}
