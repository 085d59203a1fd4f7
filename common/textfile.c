/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

ssize_t nsiso_read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), saved;
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	buf[n] = '\0';
	return n;
}

ssize_t nsiso_read_whole(const char *path, char *buf, size_t size)
{
	ssize_t n = nsiso_read_text(path, buf, size);

	if (n >= (ssize_t)size - 1) {
		errno = EFBIG;
		return -1;
	}
	return n;
}

void nsiso_text_printable(char *dst, size_t size, const char *text)
{
	size_t i;

	if (size == 0)
		return;
	for (i = 0; text && text[i] && i + 1 < size; i++)
		dst[i] = (char)((text[i] > ' ' && text[i] < 0x7f) ? text[i] : '?');
	dst[i] = '\0';
}
