/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Only linked into the test build; see faults.h. */
#include "faults.h"

#ifdef NSISO_FAULT_FILE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

bool nsiso_fault_point(const char *point)
{
	char want[128] = "";
	size_t n = strlen(point);
	int fd = open(NSISO_FAULT_FILE, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return false;
	got = read(fd, want, sizeof(want) - 1);
	close(fd);
	if (got <= 0 || strncmp(want, point, n) != 0 || want[n] != ':')
		return false;
	if (strncmp(want + n + 1, "stall", 5) == 0)
		for (;;)
			pause();
	if (strncmp(want + n + 1, "slow", 4) == 0) {
		sleep(4);
		return false;
	}
	if (strncmp(want + n + 1, "wait", 4) == 0) {
		const struct timespec tick = { 0, 10000000L };	/* 10 ms */
		int i;

		for (i = 0; i < 6000 && access(NSISO_FAULT_FILE, F_OK) == 0; i++)
			nanosleep(&tick, NULL);
		return false;
	}
	if (strncmp(want + n + 1, "exit", 4) == 0)
		_exit(1);
	if (strncmp(want + n + 1, "kill", 4) == 0)
		raise(SIGKILL);
	if (strncmp(want + n + 1, "fail", 4) != 0)
		return false;
	errno = EIO;	/* so the failing step's message is not a stale errno */
	return true;
}
#endif
