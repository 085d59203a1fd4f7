/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsiso-lctool: small actors for the lifecycle tests (tests/lifecycle).
 *
 *   nsiso-lctool holdmem MARGIN_MIB [UID GID]
 *       Allocate and touch memory, 1 MiB at a time, until the memory cgroup
 *       (v1) this process is in has less than MARGIN_MIB left below its
 *       limit; print "held N MiB, usage U of L" and then hold it until
 *       killed.  Exits 1 if it is not in a limited memory cgroup.  With UID
 *       and GID (started as root) it opens the group's files first and
 *       then becomes that user: a user's own group is root's and 0700.
 *   nsiso-lctool vfork-stop
 *       vfork() a child that stops itself (SIGSTOP) before it would exec:
 *       the parent then sleeps in the kernel's vfork wait (state D) until
 *       the child is gone.  Prints "vforked" first. */
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIB (1024ULL * 1024)

static int open_number(const char *dir, const char *file)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static unsigned long long read_number(int fd)
{
	char text[64];
	ssize_t n = fd < 0 ? -1 : pread(fd, text, sizeof(text) - 1, 0);

	if (n <= 0)
		return 0;
	text[n] = '\0';
	return strtoull(text, NULL, 10);
}

static int holdmem(unsigned long long margin, const char *uid, const char *gid)
{
	char line[4096], dir[4096] = "";
	unsigned long long limit, usage, held = 0;
	int limit_fd, usage_fd;
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
	limit_fd = dir[0] ? open_number(dir, "memory.limit_in_bytes") : -1;
	usage_fd = dir[0] ? open_number(dir, "memory.usage_in_bytes") : -1;
	if (uid && (setgroups(0, NULL) != 0 || setgid((gid_t)strtoul(gid, NULL, 10)) != 0 ||
		    setuid((uid_t)strtoul(uid, NULL, 10)) != 0)) {
		fprintf(stderr, "holdmem: cannot become uid %s\n", uid);
		return 1;
	}
	limit = read_number(limit_fd);
	if (!limit || limit >= (1ULL << 60)) {
		fprintf(stderr, "holdmem: not in a limited memory cgroup\n");
		return 1;
	}
	for (;;) {
		char *p;

		usage = read_number(usage_fd);
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
		return holdmem(strtoull(argv[2], NULL, 10), NULL, NULL);
	if (argc == 5 && strcmp(argv[1], "holdmem") == 0)
		return holdmem(strtoull(argv[2], NULL, 10), argv[3], argv[4]);
	if (argc == 2 && strcmp(argv[1], "vfork-stop") == 0)
		return vfork_stop();
	fprintf(stderr, "usage: nsiso-lctool holdmem MARGIN_MIB [UID GID] | vfork-stop\n");
	return 2;
}
