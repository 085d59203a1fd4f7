/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* cgprobe - show what libcgroup does on this system's cgroup hierarchy.
 *
 * Run inside the check-v2 VM (tests/v2/cases.sh) to check, on a pure cgroup
 * v2 hierarchy, what common/cgroup.c relies on libcgroup for.
 *
 *   cgprobe
 *     init=<cgroup_init() result>
 *     memory=<cgroup_get_subsys_mount_point("memory")>   or memory_error=...
 *     pids=<cgroup_get_subsys_mount_point("pids")>       or pids_error=...
 *   cgprobe create NAME MEMORY_MAX PIDS_MAX
 *     also creates NAME with cgroup_create_cgroup() (memory.max, pids.max),
 *     moves itself in with cgroup_attach_task_pid() and prints
 *     create=<ret> <reason>, attach=<ret> <reason>, self=<0:: line>
 */
#include <libcgroup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void show(const char *controller)
{
	char *mp = NULL;
	int ret = cgroup_get_subsys_mount_point(controller, &mp);

	if (ret == 0 && mp)
		printf("%s=%s\n", controller, mp);
	else
		printf("%s_error=%s\n", controller, cgroup_strerror(ret));
	free(mp);
}

static const char *reason(int ret)
{
	if (ret == 0)
		return "ok";
	return ret == ECGOTHER ? strerror(cgroup_get_last_errno()) : cgroup_strerror(ret);
}

static void self_cgroup(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/cgroup", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "0::", 3) == 0)
			printf("self=%s", line + 3);
	if (f)
		fclose(f);
}

static int create(const char *name, const char *memory_max, const char *pids_max)
{
	struct cgroup *cg = cgroup_new_cgroup(name);
	struct cgroup_controller *mem, *pids;
	int ret;

	if (!cg)
		return 1;
	mem = cgroup_add_controller(cg, "memory");
	pids = cgroup_add_controller(cg, "pids");
	if (!mem || !pids || cgroup_add_value_string(mem, "memory.max", memory_max) ||
	    cgroup_add_value_string(pids, "pids.max", pids_max))
		return 1;
	ret = cgroup_create_cgroup(cg, 0);
	printf("create=%d %s\n", ret, reason(ret));
	if (ret == 0) {
		ret = cgroup_attach_task_pid(cg, getpid());
		printf("attach=%d %s\n", ret, reason(ret));
	}
	self_cgroup();
	cgroup_free(&cg);
	return 0;
}

int main(int argc, char **argv)
{
	int ret = cgroup_init();

	printf("init=%d\n", ret);
	if (ret != 0) {
		printf("init_error=%s\n", cgroup_strerror(ret));
		return 1;
	}
	show("memory");
	show("pids");
	if (argc == 5 && strcmp(argv[1], "create") == 0)
		return create(argv[2], argv[3], argv[4]);
	return 0;
}
