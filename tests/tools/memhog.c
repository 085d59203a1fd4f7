/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/*
 * memhog - allocate and touch memory, to provoke a real OOM kill inside a
 * memory-limited cgroup in the pam_nsiso integration tests.
 *
 * Built by make as tests/build/memhog.
 *
 * Usage: memhog MIB
 *   Allocates MIB mebibytes with malloc, writes every byte (so every page is
 *   really backed by RAM and charged to the cgroup), prints
 *   "allocated MIB MiB" and exits 0. Exits 2 on bad usage, 1 if malloc fails.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB ((size_t)1024 * 1024)

/*
 * Storing the block in a volatile global makes it observable, so the
 * compiler may neither drop the memset nor turn malloc+memset into calloc
 * (which would leave the pages untouched).
 */
static void *volatile sink;

/* Parse a positive decimal MiB count that fits in size_t bytes; 0 if bad. */
static size_t parse_mib(const char *s)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > SIZE_MAX / MIB)
		return 0;
	return (size_t)v;
}

int main(int argc, char **argv)
{
	size_t mib;
	unsigned char *p;

	if (argc != 2 || (mib = parse_mib(argv[1])) == 0) {
		fprintf(stderr, "usage: memhog MIB   (MIB: positive integer)\n");
		return 2;
	}
	p = malloc(mib * MIB);
	if (p == NULL) {
		fprintf(stderr, "memhog: malloc(%zu MiB) failed: %s\n", mib,
			strerror(errno));
		return 1;
	}
	/* Non-zero pattern: every page is written, none can stay shared-zero. */
	memset(p, 0x5a, mib * MIB);
	sink = p;
	printf("allocated %zu MiB\n", mib);
	fflush(stdout);
	free(p);
	return 0;
}
