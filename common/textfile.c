/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "size.h"

ssize_t nsiso_read_text(const char *path, char *buf, size_t size)
{
	/* Non-blocking: a FIFO put where a file was expected reads as empty
	 * (its open and read would wait for a writer). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), saved;
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

int nsiso_status_uids(const char *status, uid_t *real, uid_t *effective)
{
	const char *field = strstr(status, "\nUid:\t");
	uint64_t id[2];
	size_t i, len;

	if (!field)
		return -1;
	field += strlen("\nUid:\t");
	for (i = 0; i < 2; i++) {
		len = strcspn(field, "\t\n");
		if (field[len] != '\t' ||
		    nsiso_parse_decimal(field, len, (uid_t)-1 - 1, &id[i]) != NULL)
			return -1;
		field += len + 1;
	}
	*real = (uid_t)id[0];
	*effective = (uid_t)id[1];
	return 0;
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
