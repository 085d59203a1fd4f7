// SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
/* A session's members move themselves (member.h). */
#include "member.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/proto.h"
#include "faults.h"

int nsiso_member_ask(int sock, const int *movers, size_t n, char *err, size_t len)
{
	const char join = NSISO_SYNC_JOIN;

	if (nsiso_send_fds(sock, &join, 1, movers, n) == 0)
		return 0;
	snprintf(err, len, "it went away");
	return -1;
}

int nsiso_member_answer(int sock, int wait_ms, char *err, size_t len)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	char answer[NSISO_REPLY_MAX];
	ssize_t got;

	if (poll(&pfd, 1, wait_ms) != 1) {
		errno = ETIMEDOUT;
		snprintf(err, len, "no answer in time");
		return -1;
	}
	got = recv(sock, answer, sizeof(answer) - 1, 0);
	if (got <= 0) {
		errno = ESRCH;
		snprintf(err, len, "it died");
		return -1;
	}
	answer[got] = '\0';
	if (answer[0] != NSISO_SYNC_ACK) {
		errno = EIO;
		snprintf(err, len, "%s", answer + 1);
		return -1;
	}
	return 0;
}

bool nsiso_member_next_step(int sock, char *step, int fds[NSISO_FDPASS_MAX], size_t *n)
{
	int flags = 0;
	ssize_t got = nsiso_recv_fds(sock, step, 1, fds, NSISO_FDPASS_MAX, n, &flags);

	if (got == 1 && !(flags & MSG_CTRUNC))
		return true;
	nsiso_member_close_fds(fds, *n);
	*n = 0;
	return false;
}

bool nsiso_member_join(int sock, const int *movers, size_t n)
{
	char answer[NSISO_REPLY_MAX] = { NSISO_SYNC_ACK };
	bool fault = FAULT_FAILS("member-join"), moved = !fault && n > 0;
	size_t i;

	for (i = 0; moved && i < n; i++)
		moved = write(movers[i], "0", 1) == 1;
	if (!moved)
		snprintf(answer, sizeof(answer), "%c%s", NSISO_SYNC_ERROR,
			 fault ? "fault injected" : n == 0 ? "nothing to move through" :
			 strerror(errno));
	return send(sock, answer, moved ? 1 : strlen(answer), MSG_NOSIGNAL) > 0 && moved;
}

void nsiso_member_close_fds(const int *fds, size_t n)
{
	while (n > 0)
		close(fds[--n]);
}
