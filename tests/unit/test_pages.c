/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Pages made a process's own ahead (common/pages.h), seen by mincore(). */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "unit.h"

#include "../../common/pages.h"

static size_t page;

static bool resident(const void *at)
{
	unsigned char in = 0;
	char *start = (char *)at - (uintptr_t)at % page;

	assert_int_equal(mincore(start, page, &in), 0);
	return in & 1;
}

/* The pages the range lies on, not one more. */
UNIT_TEST(own_pages_of_a_range)
{
	char *map;

	page = (size_t)sysconf(_SC_PAGESIZE);
	map = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	nsiso_own_pages(map + 10, 0);
	assert_false(resident(map));
	nsiso_own_pages(map + 10, page);	/* from the first page into the second */
	assert_true(resident(map));
	assert_true(resident(map + page));
	assert_false(resident(map + 2 * page));
	assert_false(resident(map + 3 * page));
	munmap(map, 4 * page);
}

/* Whether the stack mapping has a page at `at` (mincore() fails outside
 * every mapping). */
static bool mapped(const void *at)
{
	unsigned char in = 0;
	char *start = (char *)at - (uintptr_t)at % page;

	return mincore(start, page, &in) == 0;
}

/* Below the caller's frame: a page of the stack mapping below `here` that
 * nothing touched yet is made resident; asked for more than the mapping
 * has, as much as it has (the try halves), and no crash. */
UNIT_TEST(own_stack_below_the_caller)
{
	volatile char here = 0;
	const char *fresh = NULL;
	size_t k;

	page = (size_t)sysconf(_SC_PAGESIZE);
	for (k = 2; k < 64 && !fresh; k++) {
		const char *at = (const char *)&here - k * page;

		if (!mapped(at - 2 * page))
			break;
		if (!resident(at))
			fresh = at;
	}
	if (!fresh)
		skip();		/* every page of the mapping below is in use */
	nsiso_own_stack_below((size_t)((const char *)&here - fresh) + 2 * page);
	assert_true(resident(fresh));
	nsiso_own_stack_below((size_t)1 << 30);
}
