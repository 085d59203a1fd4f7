/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsiso-lctool: small actors for the lifecycle tests (tests/lifecycle).
 *
 *   nsiso-lctool holdmem MARGIN_MIB
 *       Allocate and touch memory, 1 MiB at a time, until the memory cgroup
 *       (v1) this process is in has less than MARGIN_MIB left below its
 *       limit; print "held N MiB, usage U of L" and then hold it until
 *       killed.  Exits 1 if it is not in a limited memory cgroup.
 *   nsiso-lctool vfork-stop
 *       vfork() a child that stops itself (SIGSTOP) before it would exec:
 *       the parent then sleeps in the kernel's vfork wait (state D) until
 *       the child is gone.  Prints "vforked" first. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIB (1024ULL * 1024)

static unsigned long long read_number(const char *dir, const char *file)
{
	char path[4096];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (!f || fscanf(f, "%llu", &v) != 1)
		v = 0;
	if (f)
		fclose(f);
	return v;
}

static int holdmem(unsigned long long margin)
{
	char line[4096], dir[4096] = "";
	unsigned long long limit, usage, held = 0;
	FILE *f = fopen("/proc/self/cgroup", "re");

	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, ":memory:");

		if (p) {
			p[strcspn(p, "\n")] = '\0';
			snprintf(dir, sizeof(dir), "/sys/fs/cgroup/memory%s", p + 8);
		}
	}
	if (f)
		fclose(f);
	limit = dir[0] ? read_number(dir, "memory.limit_in_bytes") : 0;
	if (!limit || limit >= (1ULL << 60)) {
		fprintf(stderr, "holdmem: not in a limited memory cgroup\n");
		return 1;
	}
	for (;;) {
		char *p;

		usage = read_number(dir, "memory.usage_in_bytes");
		if (usage + margin * MIB >= limit)
			break;
		p = malloc(MIB);
		if (!p)
			return 1;
		memset(p, 0x5a, MIB);
		held++;
	}
	printf("held %llu MiB, usage %llu of %llu\n", held, usage, limit);
	fflush(stdout);
	for (;;)
		pause();
}

static int vfork_stop(void)
{
	pid_t pid;

	printf("vforked\n");
	fflush(stdout);
	pid = vfork();
	if (pid == 0) {
		raise(SIGSTOP);
		_exit(0);
	}
	return pid < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "holdmem") == 0)
		return holdmem(strtoull(argv[2], NULL, 10));
	if (argc == 2 && strcmp(argv[1], "vfork-stop") == 0)
		return vfork_stop();
	fprintf(stderr, "usage: nsiso-lctool holdmem MARGIN_MIB | vfork-stop\n");
	return 2;
}
