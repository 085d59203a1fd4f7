// SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
/* A session's members move themselves into the user's group (member.h). */
#include "member.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/fdpass.h"
#include "../common/proto.h"
#include "faults.h"

int nsiso_member_enter(int sock, int mover, int wait_ms, char *err, size_t len)
{
	const char join = NSISO_SYNC_JOIN;
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	char answer[NSISO_REPLY_MAX];
	ssize_t got;

	if (nsiso_send_fds(sock, &join, 1, &mover, 1) < 0) {
		snprintf(err, len, "it went away before it could join the user's group");
		return -1;
	}
	if (poll(&pfd, 1, wait_ms) != 1) {
		errno = ETIMEDOUT;
		snprintf(err, len, "it did not join the user's group in time");
		return -1;
	}
	got = recv(sock, answer, sizeof(answer) - 1, 0);
	if (got <= 0) {
		errno = ESRCH;
		snprintf(err, len, "it died while joining the user's group");
		return -1;
	}
	answer[got] = '\0';
	if (answer[0] != NSISO_SYNC_ACK) {
		errno = EIO;
		snprintf(err, len, "it could not join the user's group: %s", answer + 1);
		return -1;
	}
	return 0;
}

bool nsiso_member_next_step(int sock, char *step, int *fd)
{
	size_t n_fds = 0;
	ssize_t n = nsiso_recv_fds(sock, step, 1, fd, 1, &n_fds, NULL);

	if (n_fds == 0)
		*fd = -1;
	if (n == 1)
		return true;
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	return false;
}

bool nsiso_member_join(int sock, int mover)
{
	char answer[NSISO_REPLY_MAX] = { NSISO_SYNC_ACK };
	bool fault = FAULT_FAILS("member-join");
	bool moved = !fault && write(mover, "0", 1) == 1;

	if (!moved)
		snprintf(answer, sizeof(answer), "%c%s", NSISO_SYNC_ERROR,
			 fault ? "fault injected" : strerror(errno));
	return send(sock, answer, moved ? 1 : strlen(answer), MSG_NOSIGNAL) > 0 && moved;
}
