/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* See fdpass.h. */
#include "fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int nsiso_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t n)
{
	char control[CMSG_SPACE(sizeof(int) * NSISO_FDPASS_MAX)];
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (n > NSISO_FDPASS_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (n > 0) {
		struct cmsghdr *cmsg;

		memset(control, 0, sizeof(control));
		msg.msg_control = control;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * n);
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

ssize_t nsiso_recv_fds(int sock, void *buf, size_t len, int *fds, size_t max, size_t *n_fds,
		       int *flags)
{
	char control[CMSG_SPACE(sizeof(int) * NSISO_FDPASS_MAX)];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg;
	size_t i;
	ssize_t n;

	*n_fds = 0;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		size_t count;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < count; i++) {
			int received;

			memcpy(&received, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
			if (*n_fds < max)
				fds[(*n_fds)++] = received;
			else
				close(received);
		}
	}
	if (msg.msg_flags & MSG_CTRUNC) {
		while (*n_fds > 0)
			close(fds[--*n_fds]);
	}
	if (flags)
		*flags = msg.msg_flags;
	return n;
}

bool nsiso_recv_struct(int sock, void *buf, size_t len, int *fds, size_t max,
		       size_t (*want_fds)(const void *buf), const char *const *texts,
		       const size_t *sizes, size_t n_texts)
{
	size_t n_fds = 0, i;
	int flags = 0;
	bool ok = nsiso_recv_fds(sock, buf, len, fds, max, &n_fds, &flags) == (ssize_t)len &&
		  !(flags & MSG_TRUNC) && n_fds == want_fds(buf);

	for (i = 0; ok && i < n_texts; i++)
		ok = memchr(texts[i], '\0', sizes[i]) != NULL;
	if (!ok)
		while (n_fds > 0)
			close(fds[--n_fds]);
	return ok;
}
