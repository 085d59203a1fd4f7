/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* A user's cgroup numbers from plain files (cgroup_stats.c): v1 and v2
 * file names and shapes (memory, swap, tasks, CPU), in a temporary
 * directory standing in for the cgroup's; what is missing or not a number
 * is unknown (NSISO_UNLIMITED). */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/cgroup.h"
#include "unit_files.h"

static char mem[128], pids[128];

/* setup: the case's directory, with a memory and a pids cgroup's stand-ins. */
static int make_dirs(void **state)
{
	if (unit_make_dir(state) != 0)
		return -1;
	snprintf(mem, sizeof(mem), "%s/memory", unit_dir);
	snprintf(pids, sizeof(pids), "%s/pids", unit_dir);
	return mkdir(mem, 0755) == 0 && mkdir(pids, 0755) == 0 ? 0 : -1;
}

static void read_stats(const char *m, const char *p, enum nsiso_cgroup_version v,
		       struct nsiso_cgroup_stats *s)
{
	memset(s, 0xa5, sizeof(*s));
	assert_int_equal(nsiso_cgroup_stats_at(m, p, v, s), 0);
}

/* A field a step reads, and what it must hold. */
struct want {
	const char *field;
	size_t offset;
	uint64_t value;
};

#define WANT(f, v) { #f, offsetof(struct nsiso_cgroup_stats, f), v }
#define UNKNOWN NSISO_UNLIMITED

/* How a step reads: the memory and tasks numbers; the CPU ones from the
 * cpu (here: pids) and cpuacct (memory) stand-ins, or with neither there. */
enum reader { STATS, CPU, CPU_ABSENT };

/* Files written, "memory/<name>=<text>" or "pids/<name>=<text>" (to the
 * first NULL; on v2 memory/ is the one directory), then one read, then the
 * fields wanted (to the first without a name). */
struct step {
	enum nsiso_cgroup_version version;
	enum reader reader;
	const char *files[9];
	struct want want[10];
};

/* A case: its steps, in order, each writing over what the last one left. */
struct stats_case {
	const char *name;
	struct step steps[3];
};

static const struct stats_case cases[] = {
	/* v1: memory and pids are separate hierarchies, as on this machine;
	 * oom_kill_disable comes first and must not be taken for oom_kill;
	 * swap alone is memsw minus memory; v1 has no memory.high; the CPU
	 * numbers are another call's. */
	{ "v1_files", { { NSISO_CGROUP_V1, STATS, {
		"memory/memory.usage_in_bytes=1236992\n",
		"memory/memory.max_usage_in_bytes=2473984\n",
		"memory/memory.limit_in_bytes=268435456\n",
		"memory/memory.oom_control=oom_kill_disable 1\nunder_oom 0\noom_kill 3\n",
		"pids/pids.current=6\n",
		"pids/pids.max=100\n",
		"memory/memory.memsw.usage_in_bytes=1240064\n",
		"memory/memory.memsw.limit_in_bytes=285212672\n" }, {
		WANT(memory_current, 1236992), WANT(memory_peak, 2473984),
		WANT(memory_limit, 268435456), WANT(oom_kills, 3), WANT(tasks_current, 6),
		WANT(tasks_limit, 100), WANT(swap_current, 3072), WANT(swap_limit, 16 << 20),
		WANT(memory_high, UNKNOWN), WANT(cpu_usage_usec, UNKNOWN) } } } },
	/* v1 CPU: cpuacct.usage in ns, the cpu hierarchy's quota and
	 * throttling; no quota is -1; no cpu or cpuacct group at all is
	 * unknown. */
	{ "v1_cpu", { { NSISO_CGROUP_V1, CPU, {
		"memory/cpuacct.usage=2500123456\n",
		"pids/cpu.stat=nr_periods 10\nnr_throttled 2\nthrottled_time 7000000\n",
		"pids/cpu.cfs_quota_us=50000\n",
		"pids/cpu.cfs_period_us=100000\n" }, {
		WANT(cpu_usage_usec, 2500123), WANT(cpu_throttled_usec, 7000),
		WANT(cpu_quota_usec, 50000), WANT(cpu_period_usec, 100000) } },
	    { NSISO_CGROUP_V1, CPU, { "pids/cpu.cfs_quota_us=-1\n" }, {
		WANT(cpu_quota_usec, UNKNOWN) } },
	    { NSISO_CGROUP_V1, CPU_ABSENT, { NULL }, {
		WANT(cpu_usage_usec, UNKNOWN), WANT(cpu_throttled_usec, UNKNOWN),
		WANT(cpu_period_usec, UNKNOWN) } } } },
	/* v2 CPU: cpu.stat's usage_usec and throttled_usec, cpu.max; without
	 * the cpu controller, usage only. */
	{ "v2_cpu", { { NSISO_CGROUP_V2, CPU, {
		"memory/cpu.stat=usage_usec 4242\nuser_usec 4000\nsystem_usec 242\n"
				   "nr_periods 3\nnr_throttled 1\nthrottled_usec 99\n",
		"memory/cpu.max=25000 100000\n" }, {
		WANT(cpu_usage_usec, 4242), WANT(cpu_throttled_usec, 99),
		WANT(cpu_quota_usec, 25000), WANT(cpu_period_usec, 100000) } },
	    { NSISO_CGROUP_V2, CPU, { "memory/cpu.max=max 100000\n" }, {
		WANT(cpu_quota_usec, UNKNOWN), WANT(cpu_period_usec, 100000) } },
	    { NSISO_CGROUP_V2, CPU, {
		"memory/cpu.stat=usage_usec 5\nuser_usec 3\nsystem_usec 2\n",
		"memory/cpu.max=garbage\n" }, {
		WANT(cpu_usage_usec, 5), WANT(cpu_throttled_usec, UNKNOWN) } } } },
	/* v1 writes "no limit" as the largest page-aligned long; pids says
	 * max; what is not there is unknown, not zero. */
	{ "v1_no_limits", { { NSISO_CGROUP_V1, STATS, {
		"memory/memory.usage_in_bytes=0\n",
		"memory/memory.limit_in_bytes=9223372036854771712\n",
		"pids/pids.max=max\n" }, {
		WANT(memory_current, 0), WANT(memory_limit, UNKNOWN), WANT(tasks_limit, UNKNOWN),
		WANT(memory_peak, UNKNOWN), WANT(oom_kills, UNKNOWN),
		WANT(tasks_current, UNKNOWN) } } } },
	/* v2: one directory, other names; oom_kill among oom and
	 * oom_group_kill; v1 names next to them are not read; no memory.high
	 * or swap files: unknown. */
	{ "v2_files", { { NSISO_CGROUP_V2, STATS, {
		"memory/memory.current=4096\n",
		"memory/memory.peak=8192\n",
		"memory/memory.max=134217728\n",
		"memory/memory.events=low 0\nhigh 0\nmax 17\noom 2\noom_kill 1\noom_group_kill 9\n",
		"memory/pids.current=2\n",
		"memory/pids.max=max\n",
		"memory/memory.limit_in_bytes=1\n" }, {
		WANT(memory_current, 4096), WANT(memory_peak, 8192), WANT(memory_limit, 134217728),
		WANT(oom_kills, 1), WANT(tasks_current, 2), WANT(memory_high, UNKNOWN),
		WANT(swap_current, UNKNOWN) } },
	    { NSISO_CGROUP_V2, STATS, {
		"memory/memory.high=100663296\n",
		"memory/memory.swap.current=8192\n",
		"memory/memory.swap.max=0\n" }, {
		WANT(memory_high, 100663296), WANT(swap_current, 8192), WANT(swap_limit, 0),
		WANT(tasks_limit, UNKNOWN) } },
	    { NSISO_CGROUP_V2, STATS, { "memory/memory.max=max\n" }, {
		WANT(memory_limit, UNKNOWN) } } } },
};

/* "<dir>/<name>=<text>": text written to <name> in the case's <dir>. */
static void write_spec(const char *spec)
{
	const char *eq = strchr(spec, '=');
	char name[128];

	assert_non_null(eq);
	snprintf(name, sizeof(name), "%.*s", (int)(eq - spec), spec);
	unit_write_file(unit_dir, name, eq + 1);
}

/* One step: its files written, its read (on v2 one directory for all),
 * every field it wants checked by name. */
static void run_step(const char *name, int n, const struct step *step)
{
	const char *other = step->version == NSISO_CGROUP_V2 ? mem : pids;
	const char *const *f;
	const struct want *w;
	struct nsiso_cgroup_stats s;
	uint64_t got;

	for (f = step->files; f < step->files + UNIT_ARRAY_SIZE(step->files) && *f; f++)
		write_spec(*f);
	memset(&s, 0xa5, sizeof(s));
	if (step->reader == STATS)
		read_stats(mem, other, step->version, &s);
	else if (step->reader == CPU)
		nsiso_cgroup_cpu_stats_at(other, mem, step->version, &s);
	else
		nsiso_cgroup_cpu_stats_at("/nonexistent-nsiso", "/nonexistent-nsiso", step->version, &s);
	for (w = step->want; w < step->want + UNIT_ARRAY_SIZE(step->want) && w->field; w++) {
		memcpy(&got, (const char *)&s + w->offset, sizeof(got));
		if (got != w->value)
			fail_msg("%s, step %d: %s is %ju, not %ju", name, n, w->field,
				 (uintmax_t)got, (uintmax_t)w->value);
	}
}

/* A row of cases: its steps, to the first that wants nothing. */
static void run_case(void **state)
{
	const struct stats_case *c = *state;
	size_t i;

	for (i = 0; i < UNIT_ARRAY_SIZE(c->steps) && c->steps[i].want[0].field; i++)
		run_step(c->name, (int)i + 1, &c->steps[i]);
}

UNIT_ROWS(run_case, cases, make_dirs, unit_remove_dir)

/* Anything but a plain number is unknown, never a wrong number. */
UNIT_TEST_IN(garbage_is_unknown, make_dirs, unit_remove_dir)
{
	static const char *const bad[] = {
		"", "\n", "-5\n", " 7\n", "+7\n", "12abc\n", "0x10\n", "99999999999999999999\n",
		"18446744073709551615\n",
	};
	struct nsiso_cgroup_stats s;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unit_write_file(pids, "pids.current", bad[i]);
		read_stats(mem, pids, NSISO_CGROUP_V1, &s);
		assert_true(s.tasks_current == NSISO_UNLIMITED);
	}
	unit_write_file(pids, "pids.current", "42");	/* no newline is fine */
	read_stats(mem, pids, NSISO_CGROUP_V1, &s);
	assert_true(s.tasks_current == 42);
	unit_write_file(mem, "memory.oom_control", "oom_kill_disable 0\noom_kill x\n");
	read_stats(mem, pids, NSISO_CGROUP_V1, &s);
	assert_true(s.oom_kills == NSISO_UNLIMITED);
	/* The last line without its newline still counts; a longer key
	 * that starts like it does not. */
	unit_write_file(mem, "memory.oom_control", "oom_kill_x 9\nunder_oom 0\noom_kill 5");
	read_stats(mem, pids, NSISO_CGROUP_V1, &s);
	assert_true(s.oom_kills == 5);
}

/* No cgroup directory: no numbers at all. */
UNIT_TEST_IN(missing_group_is_an_error, make_dirs, unit_remove_dir)
{
	struct nsiso_cgroup_stats s;
	char absent[160];

	snprintf(absent, sizeof(absent), "%s/user-4242", unit_dir);
	assert_int_equal(nsiso_cgroup_stats_at(absent, pids, NSISO_CGROUP_V1, &s), -1);
	assert_int_equal(nsiso_cgroup_stats_of("nsiso-unit-absent-parent/user-4242", &s), -1);
	assert_int_equal(nsiso_cgroup_stats_of("", &s), -1);
}

/* The close line's three numbers from the memory directory alone, v1 and
 * v2 told apart by its files; a group that is gone gives none. */
UNIT_TEST_IN(memory_stats_at_reads_the_close_lines_numbers, make_dirs, unit_remove_dir)
{
	struct nsiso_cgroup_stats s;
	char absent[160];

	unit_write_file(mem, "memory.max_usage_in_bytes", "1048576\n");
	unit_write_file(mem, "memory.limit_in_bytes", "67108864\n");
	unit_write_file(mem, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
	unit_write_file(mem, "memory.usage_in_bytes", "4096\n");
	assert_int_equal(nsiso_cgroup_memory_stats_at(mem, &s), 0);
	assert_true(s.memory_peak == 1048576 && s.memory_limit == 67108864 && s.oom_kills == 3);
	assert_true(s.memory_current == NSISO_UNLIMITED);	/* not read: not shown */

	unit_write_file(pids, "memory.peak", "2048\n");
	unit_write_file(pids, "memory.max", "max\n");
	unit_write_file(pids, "memory.events", "low 0\nhigh 0\nmax 9\noom 2\noom_kill 1\n");
	assert_int_equal(nsiso_cgroup_memory_stats_at(pids, &s), 0);
	assert_true(s.memory_peak == 2048 && s.memory_limit == NSISO_UNLIMITED && s.oom_kills == 1);

	snprintf(absent, sizeof(absent), "%s/user-4242", unit_dir);
	assert_int_equal(nsiso_cgroup_memory_stats_at(absent, &s), -1);
	assert_int_equal(nsiso_cgroup_memory_stats_at("", &s), -1);
	assert_int_equal(nsiso_cgroup_memory_stats_of("", &s), -1);
}

UNIT_TEST(user_path)
{
	char buf[64], small[12];

	nsiso_cgroup_user_path("lab/nsiso", 1000, buf, sizeof(buf));
	assert_string_equal(buf, "lab/nsiso/user-1000");
	nsiso_cgroup_user_path("nsiso", 4294967294U, buf, sizeof(buf));
	assert_string_equal(buf, "nsiso/user-4294967294");
	nsiso_cgroup_user_path("nsiso", 1000, small, sizeof(small));
	assert_string_equal(small, "nsiso/user-");	/* cut, terminated */
}

/* The IO weight on io_weight's scale: v2's io.weight, v1's BFQ weight, or
 * the old blkio.weight (written as N * 5); none: unknown. */
UNIT_TEST_IN(io_weight, make_dirs, unit_remove_dir)
{
	struct nsiso_cgroup_stats s;

	nsiso_cgroup_io_stats_at(mem, NSISO_CGROUP_V2, &s);
	assert_true(s.io_weight == NSISO_UNLIMITED);
	unit_write_file(mem, "io.weight", "default 300\n8:0 50\n");
	nsiso_cgroup_io_stats_at(mem, NSISO_CGROUP_V2, &s);
	assert_true(s.io_weight == 300);
	nsiso_cgroup_io_stats_at(mem, NSISO_CGROUP_V1, &s);
	assert_true(s.io_weight == NSISO_UNLIMITED);
	unit_write_file(mem, "blkio.weight", "1000\n");
	nsiso_cgroup_io_stats_at(mem, NSISO_CGROUP_V1, &s);
	assert_true(s.io_weight == 200);
	unit_write_file(mem, "blkio.bfq.weight", "300\n");
	nsiso_cgroup_io_stats_at(mem, NSISO_CGROUP_V1, &s);
	assert_true(s.io_weight == 300);
	unit_write_file(mem, "blkio.bfq.weight", "default 250\n");
	nsiso_cgroup_io_stats_at(mem, NSISO_CGROUP_V1, &s);
	assert_true(s.io_weight == 250);
}

/* The user's group: systemd's slice where there is one, else our own. */
UNIT_TEST(user_group)
{
	char buf[64];

	nsiso_cgroup_user_group("nsiso", NULL, 1000, buf, sizeof(buf));
	assert_string_equal(buf, "nsiso/user-1000");
	nsiso_cgroup_user_group("", "user.slice/user-1000.slice", 1000, buf, sizeof(buf));
	assert_string_equal(buf, "user.slice/user-1000.slice");
	nsiso_cgroup_user_group("", "", 1000, buf, sizeof(buf));
	assert_string_equal(buf, "");
	nsiso_cgroup_user_group(NULL, NULL, 1000, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

/* Mount tables as the kernel writes them: Debian's hybrid (cpu and cpuacct
 * joined), this machine's (apart), pure v2, and a container whose
 * hierarchies are mounted from below their roots. */
static const char hybrid_mountinfo[] =
	"22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
	"25 22 0:23 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
	"26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
	"27 25 0:25 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd\n"
	"31 25 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct\n"
	"33 25 0:31 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n"
	"35 25 0:33 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids\n";

UNIT_TEST(dirs_from_mountinfo)
{
	static const char v2[] =
		"22 1 0:21 / /sys rw - sysfs sysfs rw\n"
		"26 22 0:24 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
	static const char apart[] =
		"31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
		"32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
		"34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n";
	static const char below[] =
		"40 30 0:37 /lxc/c1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
	struct nsiso_cgroup_dirs d;

	nsiso_cgroup_dirs_in(hybrid_mountinfo, NSISO_CGROUP_V1, "user.slice/user-1000.slice", &d);
	assert_int_equal(d.version, NSISO_CGROUP_V1);
	assert_string_equal(d.memory, "/sys/fs/cgroup/memory/user.slice/user-1000.slice");
	assert_string_equal(d.pids, "/sys/fs/cgroup/pids/user.slice/user-1000.slice");
	assert_string_equal(d.cpu, "/sys/fs/cgroup/cpu,cpuacct/user.slice/user-1000.slice");
	assert_string_equal(d.cpuacct, "/sys/fs/cgroup/cpu,cpuacct/user.slice/user-1000.slice");
	assert_string_equal(d.io, "");		/* no blkio hierarchy */
	nsiso_cgroup_dirs_in(apart, NSISO_CGROUP_V1, "nsiso/user-1000", &d);
	assert_string_equal(d.cpu, "/sys/fs/cgroup/cpu/nsiso/user-1000");
	assert_string_equal(d.cpuacct, "/sys/fs/cgroup/cpuacct/nsiso/user-1000");
	assert_string_equal(d.pids, "");	/* no pids hierarchy */
	nsiso_cgroup_dirs_in(v2, NSISO_CGROUP_V2, "user.slice/user-1000.slice", &d);
	assert_string_equal(d.memory, "/sys/fs/cgroup/user.slice/user-1000.slice");
	assert_string_equal(d.pids, d.memory);
	assert_string_equal(d.cpu, d.memory);
	assert_string_equal(d.io, d.memory);
	nsiso_cgroup_dirs_in(below, NSISO_CGROUP_V2, "lxc/c1/user.slice/user-1000.slice", &d);
	assert_string_equal(d.memory, "/sys/fs/cgroup/user.slice/user-1000.slice");
	nsiso_cgroup_dirs_in(below, NSISO_CGROUP_V2, "lxc/c10/user.slice", &d);
	assert_string_equal(d.memory, "");	/* not below the mounted root */
	nsiso_cgroup_dirs_in(hybrid_mountinfo, NSISO_CGROUP_V2, "x", &d);
	assert_string_equal(d.memory, "/sys/fs/cgroup/unified/x");
}

UNIT_TEST(find_mount)
{
	char point[64], root[64];

	assert_int_equal(nsiso_cgroup_find_mount(hybrid_mountinfo, "name=systemd", point,
						 sizeof(point), root, sizeof(root)), 0);
	assert_string_equal(point, "/sys/fs/cgroup/systemd");
	assert_string_equal(root, "/");
	assert_int_equal(nsiso_cgroup_find_mount(hybrid_mountinfo, "cpuacct,cpu", point,
						 sizeof(point), root, sizeof(root)), 0);
	assert_string_equal(point, "/sys/fs/cgroup/cpu,cpuacct");
	/* "cpu" is not "cpuset", "memory" is not "memory_recursiveprot" */
	assert_int_equal(nsiso_cgroup_find_mount("1 0 0:1 / /c rw - cgroup cgroup rw,cpuset\n",
						 "cpu", point, sizeof(point), root, sizeof(root)), -1);
	assert_int_equal(nsiso_cgroup_find_mount("1 0 0:1 / /c rw - cgroup2 cgroup2 rw,memory_recursiveprot\n",
						 "memory", point, sizeof(point), root, sizeof(root)), -1);
	assert_int_equal(nsiso_cgroup_find_mount(hybrid_mountinfo, "blkio", point, sizeof(point),
						 root, sizeof(root)), -1);
	assert_int_equal(nsiso_cgroup_find_mount("", "", point, sizeof(point), root, sizeof(root)), -1);
}

/* The kernel's own shapes: optional fields before the "-", a mount point
 * with an escaped space, a line cut short; and a name longer than the
 * caller's buffer, which is no name (a part of it names another place). */
UNIT_TEST(find_mount_odd_lines)
{
	static const char odd[] =
		"24 1 0:22 / /sys/fs/cgroup/mem\\040ory rw - cgroup cgroup rw,memory\n"
		"25 1 0:23 / /sys/fs/cgroup/cut rw - cgroup\n"
		"26 1 0:24 /a /sys/fs/cgroup/memory rw,nosuid shared:7 master:1 - cgroup cgroup rw,memory\n"
		"27 1 0:25 / /sys/fs/cgroup/a-very-long-mount-point-name rw - cgroup cgroup rw,pids";
	char point[64], root[64], small[16];

	assert_int_equal(nsiso_cgroup_find_mount(odd, "memory", point, sizeof(point), root,
						 sizeof(root)), 0);
	assert_string_equal(point, "/sys/fs/cgroup/memory");
	assert_string_equal(root, "/a");
	assert_int_equal(nsiso_cgroup_find_mount(odd, "pids", point, sizeof(point), root,
						 sizeof(root)), 0);
	assert_string_equal(point, "/sys/fs/cgroup/a-very-long-mount-point-name");
	assert_int_equal(nsiso_cgroup_find_mount(odd, "pids", small, sizeof(small), root,
						 sizeof(root)), -1);
	assert_int_equal(nsiso_cgroup_find_mount(odd, "", point, sizeof(point), root,
						 sizeof(root)), -1);
}

/* This process's own mount table: the memory hierarchy is where the kernel
 * says it is. */
UNIT_TEST(dirs_of_this_host)
{
	struct nsiso_cgroup_dirs d;
	struct stat st;

	assert_int_equal(nsiso_cgroup_dirs_of("", &d), -1);
	if (nsiso_cgroup_dirs_of(".", &d) < 0)
		skip();		/* no memory hierarchy mounted here */
	assert_int_equal(stat(d.memory, &st), 0);
	assert_int_equal(d.version, nsiso_cgroup_detect_version());
}

static void oom_control(const char *dir, unsigned kills)
{
	char text[64];

	snprintf(text, sizeof(text), "oom_kill_disable 0\nunder_oom 0\noom_kill %u\n", kills);
	unit_write_file(dir, "memory.oom_control", text);
}

/* v1 counts a kill in the victim's own group: a slice's count is the sum
 * of its scopes'; each group above 0 is listed by inode. */
UNIT_TEST_IN(v1_oom_kills_below, make_dirs, unit_remove_dir)
{
	struct nsiso_cgroup_count out[4];
	char a[160], b[160], c[200];
	struct stat st;
	size_t n;

	snprintf(a, sizeof(a), "%s/session-1.scope", mem);
	snprintf(b, sizeof(b), "%s/user@1000.service", mem);
	snprintf(c, sizeof(c), "%s/app.slice", b);
	assert_int_equal(mkdir(a, 0755) | mkdir(b, 0755) | mkdir(c, 0755), 0);
	assert_true(nsiso_cgroup_v1_oom_kills(mem, out, 4, &n) == NSISO_UNLIMITED);
	oom_control(mem, 0);
	oom_control(a, 2);
	oom_control(b, 0);
	oom_control(c, 3);
	assert_true(nsiso_cgroup_v1_oom_kills(mem, out, 4, &n) == 5);
	assert_int_equal(n, 2);
	assert_int_equal(stat(a, &st), 0);
	assert_true((out[0].group == st.st_ino && out[0].count == 2) ||
		    (out[1].group == st.st_ino && out[1].count == 2));
	assert_true(nsiso_cgroup_v1_oom_kills(mem, out, 1, &n) == 5);	/* table full: sum all */
	assert_int_equal(n, 1);
	assert_true(nsiso_cgroup_v1_oom_kills(mem, NULL, 0, NULL) == 5);
	oom_control(mem, 1);		/* a process of the slice itself */
	assert_true(nsiso_cgroup_v1_oom_kills(mem, NULL, 0, NULL) == 6);
}

/* The kernel's list of controllers (/proc/cgroups), read as it is: every
 * line a name that the kernel has enabled is found; other names are not. */
UNIT_TEST(kernel_controllers)
{
	char line[256], name[64];
	unsigned hierarchy, n, enabled, seen = 0;
	FILE *f = fopen("/proc/cgroups", "re");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %u %u %u", name, &hierarchy, &n, &enabled) != 4)
			continue;	/* the header */
		assert_int_equal(nsiso_cgroup_kernel_has(name), enabled == 1 ? 1 : 0);
		seen++;
	}
	fclose(f);
	assert_true(seen > 0);
	assert_int_equal(nsiso_cgroup_kernel_has("nsiso-no-such-controller"), 0);
	assert_int_equal(nsiso_cgroup_kernel_has("#subsys_name"), 0);
	assert_int_equal(nsiso_cgroup_kernel_has(""), 0);
}

/* A list that cannot be read is an error (errno kept), never "the kernel
 * has none": that would be the host's set-up, where on_error allow lets a
 * login through without the limit (a review of rev 9f2282c). */
UNIT_TEST_IN(controller_list_unreadable_is_no_answer, make_dirs, unit_remove_dir)
{
	const char *list = unit_write_file(unit_dir, "cgroups",
					   "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
					   "cpu\t3\t1\t1\nblkio\t4\t1\t0\n");
	char missing[128];

	assert_int_equal(nsiso_cgroup_listed_in(list, "cpu"), 1);
	assert_int_equal(nsiso_cgroup_listed_in(list, "blkio"), 0);	/* disabled */
	assert_int_equal(nsiso_cgroup_listed_in(list, "memory"), 0);
	errno = 0;
	assert_int_equal(nsiso_cgroup_listed_in(unit_dir, "cpu"), -1);	/* read fails */
	assert_int_equal(errno, EISDIR);
	snprintf(missing, sizeof(missing), "%s/none", unit_dir);
	errno = 0;
	assert_int_equal(nsiso_cgroup_listed_in(missing, "cpu"), -1);
	assert_int_equal(errno, ENOENT);
}

/* nsiso_each_mount_on(): the mounts right on a mount, their points with
 * mountinfo's escapes undone, not itself and not what is on them; and a
 * callback that detaches each as it comes (a session's end, mntns.c)
 * meets every one.  In a child of our own, in mount and user namespaces
 * of its own: a tmpfs at a fresh directory, "a b" and "c" on it, "d" on
 * c. */
struct seen_points {
	char base[64];
	int n;
	bool space, c, other;
	bool detach;
};

static void note_point(const char *point, void *arg)
{
	struct seen_points *s = arg;
	char want[128];

	s->n++;
	snprintf(want, sizeof(want), "%s/a b", s->base);
	s->space = s->space || strcmp(point, want) == 0;
	snprintf(want, sizeof(want), "%s/c", s->base);
	s->c = s->c || strcmp(point, want) == 0;
	s->other = s->other || (strcmp(point, want) != 0 && !strstr(point, "/a b"));
	if (s->detach && umount2(point, MNT_DETACH) != 0)
		s->other = true;
}

/* text into a /proc/self file. */
static bool write_proc(const char *file, const char *text)
{
	FILE *f = fopen(file, "we");

	return f && fputs(text, f) >= 0 && fclose(f) == 0;
}

/* A tmpfs at s->base in our mount namespace, with "a b" and "c" on it
 * and "d" on c: 0, or the step that failed (base + 0..3). */
static int make_tree(const struct seen_points *s, int base)
{
	static const char *const on[] = { "", "/a b", "/c", "/c/d" };
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", s->base, on[i]);
		if ((i > 0 && mkdir(path, 0700) != 0) || mount("t", path, "tmpfs", 0, NULL) != 0)
			return base + (int)i;
	}
	return 0;
}

static int walk_in_child(struct seen_points *s)
{
	char uid_map[32], gid_map[32];
	struct statx base;
	int failed;

	snprintf(uid_map, sizeof(uid_map), "0 %u 1", (unsigned)getuid());
	snprintf(gid_map, sizeof(gid_map), "0 %u 1", (unsigned)getgid());
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0 ||
	    !write_proc("/proc/self/setgroups", "deny") ||
	    !write_proc("/proc/self/uid_map", uid_map) ||
	    !write_proc("/proc/self/gid_map", gid_map))
		return 9;
	failed = make_tree(s, 10);
	if (failed)
		return failed;
	if (statx(AT_FDCWD, s->base, 0, STATX_MNT_ID, &base) != 0)
		return 14;
	if (nsiso_each_mount_on(-1, base.stx_mnt_id, note_point, s) != 0)
		return 15;
	if (s->n != 2 || !s->space || !s->c || s->other)
		return 16;
	if (s->detach) {	/* all gone: a second walk finds none */
		s->n = 0;
		if (nsiso_each_mount_on(-1, base.stx_mnt_id, note_point, s) != 0 || s->n != 0)
			return 17;
	}
	return 0;
}

/* walk(s) in a child of ours, on a fresh directory under /tmp. */
static void walk_mounts(int (*walk)(struct seen_points *), bool detach)
{
	struct seen_points s = { .detach = detach };
	int status;
	pid_t pid;

	snprintf(s.base, sizeof(s.base), "/tmp/nsiso-unit-mounts.XXXXXX");
	assert_non_null(mkdtemp(s.base));
	pid = fork();
	if (pid == 0)
		_exit(walk(&s));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	rmdir(s.base);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

UNIT_TEST(each_mount_on_finds_the_mounts_on_one)
{
	walk_mounts(walk_in_child, false);
}

UNIT_TEST(each_mount_on_lets_its_callback_detach)
{
	walk_mounts(walk_in_child, true);
}

/* The reaper's case: it joins the mount namespace of a session whose PID
 * namespace it is not in, and has ended, so that namespace's /proc has no
 * "self" for it.  Root, in a child: a mount and a PID namespace of its own
 * (private, nothing reaches the host), the same tmpfs tree, and a /proc
 * mounted by the first process of the new PID namespace, which then ends.
 * /proc/self there is gone; a directory fd of /proc/<pid> opened before
 * still reads the table of the namespace we are in. */
static int walk_joined_in_child(struct seen_points *s)
{
	struct statx base;
	int proc_self = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC), status, failed;
	pid_t first;

	if (proc_self < 0 || unshare(CLONE_NEWNS | CLONE_NEWPID) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return 19;
	failed = make_tree(s, 20);
	if (failed)
		return failed;
	first = fork();
	if (first == 0)
		_exit(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0);
	if (first < 0 || waitpid(first, &status, 0) != first || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 30;
	if (access("/proc/self/mountinfo", F_OK) == 0 || errno != ENOENT)
		return 31;
	if (statx(AT_FDCWD, s->base, 0, STATX_MNT_ID, &base) != 0)
		return 32;
	if (nsiso_each_mount_on(-1, base.stx_mnt_id, note_point, s) == 0)
		return 33;	/* the path: no table to read */
	if (nsiso_each_mount_on(proc_self, base.stx_mnt_id, note_point, s) != 0)
		return 34;
	return s->n == 2 && s->space && s->c && !s->other ? 0 : 35;
}

UNIT_TEST(each_mount_on_reads_a_joined_namespace_through_an_fd)
{
	walk_mounts(walk_joined_in_child, false);
}
