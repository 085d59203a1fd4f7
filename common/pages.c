/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "pages.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23		/* Linux 5.14 */
#endif

static size_t page_size(void)
{
	static size_t page;

	if (page == 0)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return page;
}

void nsiso_own_pages(const void *start, size_t len)
{
	size_t page = page_size();
	size_t lead = (uintptr_t)start % page;		/* to its page's start */
	char *from = (char *)start - lead;

	if (len > 0)
		(void)madvise(from, (lead + len + page - 1) / page * page, MADV_POPULATE_WRITE);
}

/* Not inlined: its frame lies below the caller's, so what it makes its own
 * is what the caller's callees will use. */
__attribute__((noinline)) void nsiso_own_stack_below(size_t bytes)
{
	volatile char here = 0;
	size_t page = page_size();
	char *top = (char *)&here - (uintptr_t)&here % page;

	/* Where the mapping ends sooner, the call fails as a whole (ENOMEM):
	 * a half as deep try then, down to a page. */
	for (bytes = (bytes + page - 1) / page * page; bytes >= page; bytes = bytes / 2 / page * page)
		if (madvise(top - bytes, bytes, MADV_POPULATE_WRITE) == 0 || errno != ENOMEM)
			return;
}
