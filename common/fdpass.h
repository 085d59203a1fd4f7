/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* One message with fds attached (SCM_RIGHTS), both ways: the helper's and
 * the broker's replies, the module's request to the broker. */
#ifndef NSISO_FDPASS_H
#define NSISO_FDPASS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define NSISO_FDPASS_MAX 8	/* fds in one message */

/* len bytes of buf with n fds (n <= NSISO_FDPASS_MAX), in order.  0, or -1
 * with errno. */
int nsiso_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t n);

/* One message into buf (not NUL-terminated), its fds received
 * close-on-exec: the first max into fds (*n_fds of them), any more closed,
 * never kept.  When the kernel had to cut the fds off (MSG_CTRUNC) none is
 * kept.  *flags (if not NULL) gets the message's flags.  Retries EINTR.
 * Its length, or -1 with errno. */
ssize_t nsiso_recv_fds(int sock, void *buf, size_t len, int *fds, size_t max, size_t *n_fds,
		       int *flags);

/* One message that is exactly a struct of len bytes (not cut short), with
 * want_fds(buf) fds attached (at most max), and whose strings (the n_texts
 * char arrays at texts[i], sizes[i] bytes each, inside buf) are each
 * NUL-terminated: true with the fds in fds.  Otherwise false, nothing
 * kept: EOF, an error, or anything malformed. */
bool nsiso_recv_struct(int sock, void *buf, size_t len, int *fds, size_t max,
		       size_t (*want_fds)(const void *buf), const char *const *texts,
		       const size_t *sizes, size_t n_texts);

#endif
