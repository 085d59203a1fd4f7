/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Only linked into the test build; see faults.h. */
#include "faults.h"

#ifdef NSISO_FAULT_FILE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The mode the fault file gives point ("<point>:<mode>" on a line of its
 * own: a test may arm several points at once), or NULL. */
static const char *fault_mode(char *want, const char *point)
{
	size_t n = strlen(point);
	char *line, *next;

	for (line = want; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, point, n) == 0 && line[n] == ':')
			return line + n + 1;
	}
	return NULL;
}

bool nsiso_fault_point(const char *point)
{
	char want[512] = "";
	const char *mode;
	int fd = open(NSISO_FAULT_FILE, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return false;
	got = read(fd, want, sizeof(want) - 1);
	close(fd);
	mode = got > 0 ? fault_mode(want, point) : NULL;
	if (!mode)
		return false;
	if (strncmp(mode, "stall", 5) == 0)
		for (;;)
			pause();
	if (strncmp(mode, "slow", 4) == 0) {
		sleep(4);
		return false;
	}
	if (strncmp(mode, "wait", 4) == 0) {
		const struct timespec tick = { 0, 10000000L };	/* 10 ms */
		int i;

		for (i = 0; i < 6000 && access(NSISO_FAULT_FILE, F_OK) == 0; i++)
			nanosleep(&tick, NULL);
		return false;
	}
	if (strncmp(mode, "exit", 4) == 0)
		_exit(1);
	if (strncmp(mode, "kill", 4) == 0)
		raise(SIGKILL);
	if (strncmp(mode, "fail", 4) != 0)
		return false;
	errno = EIO;	/* so the failing step's message is not a stale errno */
	return true;
}

void nsiso_fault_point_of(const char *point, unsigned long id)
{
	char name[96];

	snprintf(name, sizeof(name), "%s-%lu", point, id);
	(void)nsiso_fault_point(name);
}
#endif
