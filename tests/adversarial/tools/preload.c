/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* An LD_PRELOAD library that proves whether it ran: at load it writes
 * "<euid>" to NSISO_MARKER (compiled in).  Test tool for tests/adversarial. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

__attribute__((constructor)) static void nsiso_preload_marker(void)
{
	char text[32];
	int fd = open(NSISO_MARKER, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0)
		return;
	snprintf(text, sizeof(text), "%d\n", (int)geteuid());
	if (write(fd, text, strlen(text)) < 0)
		close(fd);
	close(fd);
}
