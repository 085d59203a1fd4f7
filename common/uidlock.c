/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "uidlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <time.h>

#include "deadline.h"

static int try_lock(int fd, uid_t uid, short type)
{
	struct flock lock = { .l_type = type, .l_whence = SEEK_SET, .l_start = (off_t)uid,
			      .l_len = 1 };

	return fcntl(fd, F_OFD_SETLK, &lock);
}

int nsiso_lock_uid_byte(int fd, uid_t uid, short type, int wait_ms)
{
	const struct timespec tick = { 0, 2000000L };	/* 2 ms */
	struct nsiso_deadline until;

	nsiso_deadline_in(&until, wait_ms);
	while (try_lock(fd, uid, type) != 0) {
		/* Held by another: EAGAIN, or EACCES (fcntl(2) allows both). */
		bool held = errno == EAGAIN || errno == EACCES;

		if ((!held && errno != EINTR) || nsiso_deadline_left_ms(&until) == 0) {
			if (held)
				errno = ETIMEDOUT;
			return -1;
		}
		nanosleep(&tick, NULL);
	}
	return 0;
}
