/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "systemd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void property(char *buf, size_t len, const char *name, uint64_t value)
{
	if (value == NSISO_UNLIMITED)
		snprintf(buf, len, "%s=infinity", name);
	else
		snprintf(buf, len, "%s=%" PRIu64, name, value);
}

int systemd_set_limits(const char *unit, const struct nsiso_cgroup_limits *l,
		       char *err, size_t len)
{
	static char *const empty_env[] = { NULL };
	char memory[64], swap[64], tasks[64];
	char *argv[] = { NSISO_SYSTEMCTL, "set-property", "--runtime", "--", (char *)unit,
			 memory, swap, tasks, NULL };
	int status;
	pid_t pid;

	property(memory, sizeof(memory), "MemoryMax", l->memory);
	property(swap, sizeof(swap), "MemorySwapMax", l->swap);
	property(tasks, sizeof(tasks), "TasksMax", l->tasks);
	pid = fork();
	if (pid < 0) {
		snprintf(err, len, "cannot run systemctl: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int null_fd = open("/dev/null", O_RDWR);

		if (null_fd >= 0) {
			dup2(null_fd, 0);
			dup2(null_fd, 1);
			dup2(null_fd, 2);
		}
		execve(NSISO_SYSTEMCTL, argv, empty_env);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, len, "waiting for systemctl: %s", strerror(errno));
			return -1;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, len, "systemctl set-property --runtime %s failed (status %d)", unit,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	return 0;
}
