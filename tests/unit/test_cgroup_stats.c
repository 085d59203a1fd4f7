/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* A user's cgroup numbers from plain files (cgroup_stats.c): v1 and v2
 * file names and shapes (memory, swap, tasks, CPU), in a temporary
 * directory standing in for the cgroup's; what is missing or not a number
 * is unknown (NSISO_UNLIMITED). */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* v1: memory and pids are separate hierarchies, as on this machine. */
UNIT_TEST_IN(v1_files, make_dirs, unit_remove_dir)
{
	struct nsiso_cgroup_stats s;

	unit_write_file(mem, "memory.usage_in_bytes", "1236992\n");
	unit_write_file(mem, "memory.max_usage_in_bytes", "2473984\n");
	unit_write_file(mem, "memory.limit_in_bytes", "268435456\n");
	/* oom_kill_disable comes first and must not be taken for oom_kill */
	unit_write_file(mem, "memory.oom_control", "oom_kill_disable 1\nunder_oom 0\noom_kill 3\n");
	unit_write_file(pids, "pids.current", "6\n");
	unit_write_file(pids, "pids.max", "100\n");
	unit_write_file(mem, "memory.memsw.usage_in_bytes", "1240064\n");
	unit_write_file(mem, "memory.memsw.limit_in_bytes", "285212672\n");
	read_stats(mem, pids, NSISO_CGROUP_V1, &s);
	assert_true(s.memory_current == 1236992);
	assert_true(s.memory_peak == 2473984);
	assert_true(s.memory_limit == 268435456);
	assert_true(s.oom_kills == 3);
	assert_true(s.tasks_current == 6);
	assert_true(s.tasks_limit == 100);
	/* swap alone: memsw minus memory */
	assert_true(s.swap_current == 3072);
	assert_true(s.swap_limit == 16 << 20);
	/* v1 has no memory.high; the CPU numbers are another call's */
	assert_true(s.memory_high == NSISO_UNLIMITED);
	assert_true(s.cpu_usage_usec == NSISO_UNLIMITED);
}

/* v1 CPU: cpuacct.usage in ns, the cpu hierarchy's quota and throttling. */
UNIT_TEST_IN(v1_cpu, make_dirs, unit_remove_dir)
{
	struct nsiso_cgroup_stats s;

	unit_write_file(mem, "cpuacct.usage", "2500123456\n");
	unit_write_file(pids, "cpu.stat", "nr_periods 10\nnr_throttled 2\nthrottled_time 7000000\n");
	unit_write_file(pids, "cpu.cfs_quota_us", "50000\n");
	unit_write_file(pids, "cpu.cfs_period_us", "100000\n");
	memset(&s, 0xa5, sizeof(s));
	nsiso_cgroup_cpu_stats_at(pids, mem, NSISO_CGROUP_V1, &s);
	assert_true(s.cpu_usage_usec == 2500123);
	assert_true(s.cpu_throttled_usec == 7000);
	assert_true(s.cpu_quota_usec == 50000);
	assert_true(s.cpu_period_usec == 100000);
	/* no quota: -1 */
	unit_write_file(pids, "cpu.cfs_quota_us", "-1\n");
	nsiso_cgroup_cpu_stats_at(pids, mem, NSISO_CGROUP_V1, &s);
	assert_true(s.cpu_quota_usec == NSISO_UNLIMITED);
	/* no cpu or cpuacct group at all: unknown */
	nsiso_cgroup_cpu_stats_at("/nonexistent-nsiso", "/nonexistent-nsiso", NSISO_CGROUP_V1, &s);
	assert_true(s.cpu_usage_usec == NSISO_UNLIMITED);
	assert_true(s.cpu_throttled_usec == NSISO_UNLIMITED);
	assert_true(s.cpu_period_usec == NSISO_UNLIMITED);
}

/* v2 CPU: cpu.stat's usage_usec and throttled_usec, cpu.max. */
UNIT_TEST_IN(v2_cpu, make_dirs, unit_remove_dir)
{
	struct nsiso_cgroup_stats s;

	unit_write_file(mem, "cpu.stat", "usage_usec 4242\nuser_usec 4000\nsystem_usec 242\n"
			     "nr_periods 3\nnr_throttled 1\nthrottled_usec 99\n");
	unit_write_file(mem, "cpu.max", "25000 100000\n");
	memset(&s, 0xa5, sizeof(s));
	nsiso_cgroup_cpu_stats_at(mem, mem, NSISO_CGROUP_V2, &s);
	assert_true(s.cpu_usage_usec == 4242);
	assert_true(s.cpu_throttled_usec == 99);
	assert_true(s.cpu_quota_usec == 25000);
	assert_true(s.cpu_period_usec == 100000);
	unit_write_file(mem, "cpu.max", "max 100000\n");
	memset(&s, 0xa5, sizeof(s));
	nsiso_cgroup_cpu_stats_at(mem, mem, NSISO_CGROUP_V2, &s);
	assert_true(s.cpu_quota_usec == NSISO_UNLIMITED);
	assert_true(s.cpu_period_usec == 100000);
	/* without the cpu controller: usage only */
	unit_write_file(mem, "cpu.stat", "usage_usec 5\nuser_usec 3\nsystem_usec 2\n");
	unit_write_file(mem, "cpu.max", "garbage\n");
	memset(&s, 0xa5, sizeof(s));
	nsiso_cgroup_cpu_stats_at(mem, mem, NSISO_CGROUP_V2, &s);
	assert_true(s.cpu_usage_usec == 5);
	assert_true(s.cpu_throttled_usec == NSISO_UNLIMITED);
}

/* v1 writes "no limit" as the largest page-aligned long; pids says max. */
UNIT_TEST_IN(v1_no_limits, make_dirs, unit_remove_dir)
{
	struct nsiso_cgroup_stats s;

	unit_write_file(mem, "memory.usage_in_bytes", "0\n");
	unit_write_file(mem, "memory.limit_in_bytes", "9223372036854771712\n");
	unit_write_file(pids, "pids.max", "max\n");
	read_stats(mem, pids, NSISO_CGROUP_V1, &s);
	assert_true(s.memory_current == 0);
	assert_true(s.memory_limit == NSISO_UNLIMITED);
	assert_true(s.tasks_limit == NSISO_UNLIMITED);
	/* not there: unknown, not zero */
	assert_true(s.memory_peak == NSISO_UNLIMITED);
	assert_true(s.oom_kills == NSISO_UNLIMITED);
	assert_true(s.tasks_current == NSISO_UNLIMITED);
}

/* v2: one directory, other names; oom_kill among oom and oom_group_kill. */
UNIT_TEST_IN(v2_files, make_dirs, unit_remove_dir)
{
	struct nsiso_cgroup_stats s;

	unit_write_file(mem, "memory.current", "4096\n");
	unit_write_file(mem, "memory.peak", "8192\n");
	unit_write_file(mem, "memory.max", "134217728\n");
	unit_write_file(mem, "memory.events",
			"low 0\nhigh 0\nmax 17\noom 2\noom_kill 1\noom_group_kill 9\n");
	unit_write_file(mem, "pids.current", "2\n");
	unit_write_file(mem, "pids.max", "max\n");
	/* v1 names next to them are not read on v2 */
	unit_write_file(mem, "memory.limit_in_bytes", "1\n");
	read_stats(mem, mem, NSISO_CGROUP_V2, &s);
	assert_true(s.memory_current == 4096);
	assert_true(s.memory_peak == 8192);
	assert_true(s.memory_limit == 134217728);
	assert_true(s.oom_kills == 1);
	assert_true(s.tasks_current == 2);
	/* no memory.high, swap files: unknown */
	assert_true(s.memory_high == NSISO_UNLIMITED);
	assert_true(s.swap_current == NSISO_UNLIMITED);
	unit_write_file(mem, "memory.high", "100663296\n");
	unit_write_file(mem, "memory.swap.current", "8192\n");
	unit_write_file(mem, "memory.swap.max", "0\n");
	read_stats(mem, mem, NSISO_CGROUP_V2, &s);
	assert_true(s.memory_high == 100663296);
	assert_true(s.swap_current == 8192);
	assert_true(s.swap_limit == 0);
	assert_true(s.tasks_limit == NSISO_UNLIMITED);
	unit_write_file(mem, "memory.max", "max\n");
	read_stats(mem, mem, NSISO_CGROUP_V2, &s);
	assert_true(s.memory_limit == NSISO_UNLIMITED);
}

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
}

/* No cgroup directory: no numbers at all. */
UNIT_TEST_IN(missing_group_is_an_error, make_dirs, unit_remove_dir)
{
	struct nsiso_cgroup_stats s;
	char absent[160];

	snprintf(absent, sizeof(absent), "%s/user-4242", unit_dir);
	assert_int_equal(nsiso_cgroup_stats_at(absent, pids, NSISO_CGROUP_V1, &s), -1);
	assert_int_equal(nsiso_cgroup_stats_standard("nsiso-unit-absent-parent", 4242, &s), -1);
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
		assert_int_equal(nsiso_cgroup_kernel_has(name), enabled == 1);
		seen++;
	}
	fclose(f);
	assert_true(seen > 0);
	assert_false(nsiso_cgroup_kernel_has("nsiso-no-such-controller"));
	assert_false(nsiso_cgroup_kernel_has("#subsys_name"));
	assert_false(nsiso_cgroup_kernel_has(""));
}
