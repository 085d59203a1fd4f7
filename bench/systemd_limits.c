/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* How long it takes to set a user slice's limits on a systemd host: the
 * helper's way (sd-bus SetUnitProperties, common/systemd_bus.c) against
 * exec'ing `systemctl set-property --runtime`, N times each, interleaved.
 * Prints the median and p90 of each in milliseconds, wall and CPU (the
 * caller's own CPU plus its children's).  Run as root on a systemd host
 * (make check-systemd runs it in its VM):
 *   systemd_limits SLICE [N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/systemd_bus.h"

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
	struct rusage self, children;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	return (self.ru_utime.tv_sec + self.ru_stime.tv_sec + children.ru_utime.tv_sec +
		children.ru_stime.tv_sec) * 1e3 +
	       (self.ru_utime.tv_usec + self.ru_stime.tv_usec + children.ru_utime.tv_usec +
		children.ru_stime.tv_usec) / 1e3;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int with_sd_bus(const char *slice, uint64_t memory)
{
	struct nsiso_cgroup_limits limits = NSISO_CGROUP_LIMITS_NONE;
	enum nsiso_failure failure;
	char err[512];

	limits.memory = memory;
	limits.tasks = 512;

	if (nsiso_systemd_set_limits(slice, &limits, NSISO_SYSTEMD_TIMEOUT_MS, &failure, err,
				     sizeof(err)) < 0) {
		fprintf(stderr, "sd-bus: %s\n", err);
		return -1;
	}
	return 0;
}

static int with_systemctl(const char *slice, uint64_t memory)
{
	char mem[64];
	int status;
	pid_t pid;

	snprintf(mem, sizeof(mem), "MemoryMax=%llu", (unsigned long long)memory);
	pid = fork();
	if (pid == 0) {
		execl("/bin/systemctl", "systemctl", "set-property", "--runtime", "--", slice, mem,
		      "MemorySwapMax=infinity", "TasksMax=512", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "systemctl failed\n");
		return -1;
	}
	return 0;
}

static void report(const char *name, double *wall, double *cpu, int n)
{
	qsort(wall, (size_t)n, sizeof(*wall), by_value);
	qsort(cpu, (size_t)n, sizeof(*cpu), by_value);
	printf("%-10s wall median %.2f ms p90 %.2f ms, cpu median %.2f ms\n", name, wall[n / 2],
	       wall[n * 9 / 10], cpu[n / 2]);
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 20, i;
	double *wall[2], *cpu[2];

	if (argc < 2 || n < 1) {
		fprintf(stderr, "usage: systemd_limits SLICE [N]\n");
		return 2;
	}
	for (i = 0; i < 2; i++) {
		wall[i] = calloc((size_t)n, sizeof(double));
		cpu[i] = calloc((size_t)n, sizeof(double));
		if (!wall[i] || !cpu[i])
			return 1;
	}
	for (i = 0; i < n; i++) {
		uint64_t memory = (160ULL << 20) + (uint64_t)i * 4096;
		double w0 = now_ms(), c0 = cpu_ms();

		if (with_sd_bus(argv[1], memory) < 0)
			return 1;
		wall[0][i] = now_ms() - w0;
		cpu[0][i] = cpu_ms() - c0;
		w0 = now_ms();
		c0 = cpu_ms();
		if (with_systemctl(argv[1], memory) < 0)
			return 1;
		wall[1][i] = now_ms() - w0;
		cpu[1][i] = cpu_ms() - c0;
	}
	printf("set the limits of %s, %d times each, interleaved:\n", argv[1], n);
	report("sd-bus", wall[0], cpu[0], n);
	report("systemctl", wall[1], cpu[1], n);
	return 0;
}
