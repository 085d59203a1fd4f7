/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Reading the small kernel text files the project looks at: /proc/<pid>/
 * stat, status and cgroup, and cgroup control files. */
#ifndef NSISO_TEXTFILE_H
#define NSISO_TEXTFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Read up to size - 1 bytes of path into buf with one read(), as the
 * kernel hands these files out whole, and NUL-terminate it.  The length
 * (0 for an empty file), or -1 with errno from open() or read(). */
ssize_t nsiso_read_text(const char *path, char *buf, size_t size);

/* The same for a file that must be read whole: one that fills buf may have
 * been cut off (a /proc/PID/cgroup a user made long with deep cgroups of
 * theirs), and a cut line would name something else: -1 with EFBIG. */
ssize_t nsiso_read_whole(const char *path, char *buf, size_t size);

/* The real and effective uid in the text of a /proc/PID/status: its
 * "Uid:" line, which the kernel writes from the task's credentials (no page
 * of the process's own is read for it).  0, or -1 when the line is not
 * there or not two numbers first. */
int nsiso_status_uids(const char *status, uid_t *real, uid_t *effective);

/* text into dst, cut to fit: printable ASCII other than space only, every
 * other byte '?', so that what a user chose (PAM_RHOST, PAM_TTY, a name
 * no account has) stays one word on one line in a record or a log line. */
void nsiso_text_printable(char *dst, size_t size, const char *text);

#endif
