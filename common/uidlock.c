/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "uidlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"

/* One try at a lock that is not to be waited for in the kernel. */
typedef int try_lock_fn(int fd, uid_t uid, short type);

static int try_byte(int fd, uid_t uid, short type)
{
	struct flock lock = { .l_type = type, .l_whence = SEEK_SET, .l_start = (off_t)uid,
			      .l_len = 1 };

	return fcntl(fd, F_OFD_SETLK, &lock);
}

bool nsiso_lock_is_held(int err)
{
	return err == EAGAIN || err == EACCES;
}

int nsiso_lock_whole_once(int fd, short type)
{
	struct flock lock = { .l_type = type, .l_whence = SEEK_SET };

	return fcntl(fd, F_OFD_SETLK, &lock);
}

static int try_whole(int fd, uid_t uid, short type)
{
	(void)uid;
	return nsiso_lock_whole_once(fd, type);
}

static int try_whole_shared(int fd, uid_t uid, short type)
{
	(void)uid, (void)type;
	return flock(fd, LOCK_SH | LOCK_NB);
}

/* try, again every 2 ms while another holds the lock, for at most wait_ms. */
static int poll_lock(try_lock_fn *try, int fd, uid_t uid, short type, int wait_ms)
{
	const struct timespec tick = { 0, 2000000L };	/* 2 ms */
	struct nsiso_deadline until;

	nsiso_deadline_in(&until, wait_ms);
	while (try(fd, uid, type) != 0) {
		bool held = nsiso_lock_is_held(errno);

		if ((!held && errno != EINTR) || nsiso_deadline_left_ms(&until) == 0) {
			if (held)
				errno = ETIMEDOUT;
			return -1;
		}
		nanosleep(&tick, NULL);
	}
	return 0;
}

int nsiso_lock_uid_byte(int fd, uid_t uid, short type, int wait_ms)
{
	return poll_lock(try_byte, fd, uid, type, wait_ms);
}

int nsiso_lock_whole(int fd, short type, int wait_ms)
{
	return poll_lock(try_whole, fd, 0, type, wait_ms);
}

bool nsiso_still_named(int dir_fd, int fd, const char *name)
{
	struct stat mine, now;

	return fstat(fd, &mine) == 0 &&
	       fstatat(dir_fd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	       mine.st_dev == now.st_dev && mine.st_ino == now.st_ino;
}

int nsiso_take_named_file(int dir_fd, const char *name, int tries)
{
	const struct timespec retry = { 0, 1000000L };	/* 1 ms */

	for (; tries > 0; tries--) {
		int fd = openat(dir_fd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		int err;

		if (fd < 0)
			return -1;
		if (nsiso_lock_whole_once(fd, F_WRLCK) != 0) {
			err = errno;
			close(fd);
			errno = err;
			return -1;
		}
		if (nsiso_still_named(dir_fd, fd, name))
			return fd;
		close(fd);	/* replaced since we opened it: the new one */
		nanosleep(&retry, NULL);
	}
	errno = ESTALE;
	return -1;
}

int nsiso_lock_whole_shared(int fd, int wait_ms)
{
	return poll_lock(try_whole_shared, fd, 0, 0, wait_ms);
}
