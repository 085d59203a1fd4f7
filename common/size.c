/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "size.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Digits only: strtoull would accept "-1", " 5" and "0x10", none of which an
 * admin means as a size. */
static const char *parse_digits(const char *text, uint64_t *out, const char **end)
{
	uint64_t n = 0;
	const char *p = text;

	if (*p < '0' || *p > '9')
		return "expected a number";
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return "number too large";
		n = n * 10 + (uint64_t)(*p - '0');
	}
	*out = n;
	*end = p;
	return NULL;
}

static int suffix_shift(char c)
{
	switch (c) {
	case 'K': case 'k': return 10;
	case 'M': case 'm': return 20;
	case 'G': case 'g': return 30;
	case 'T': case 't': return 40;
	default: return -1;
	}
}

const char *nsiso_parse_size(const char *text, bool percent_ok,
			     struct nsiso_limit *out)
{
	const char *end, *why;
	uint64_t n;
	int shift;

	if (strcmp(text, "unlimited") == 0) {
		*out = (struct nsiso_limit){ NSISO_LIMIT_UNLIMITED, 0 };
		return NULL;
	}
	why = parse_digits(text, &n, &end);
	if (why)
		return why;
	if (end[0] == '%' && end[1] == '\0') {
		if (!percent_ok)
			return "a percentage is not allowed here";
		if (n < 1 || n > 100)
			return "percentage must be 1..100";
		*out = (struct nsiso_limit){ NSISO_LIMIT_PERCENT, n };
		return NULL;
	}
	if (end[0] == '\0') {
		*out = (struct nsiso_limit){ NSISO_LIMIT_VALUE, n };
		return NULL;
	}
	shift = suffix_shift(end[0]);
	if (shift < 0 || end[1] != '\0')
		return "unknown size suffix (use K, M, G, T, % or unlimited)";
	if (n > (UINT64_MAX >> shift))
		return "size too large";
	*out = (struct nsiso_limit){ NSISO_LIMIT_VALUE, n << shift };
	return NULL;
}

const char *nsiso_parse_count(const char *text, struct nsiso_limit *out)
{
	const char *end, *why;
	uint64_t n;

	if (strcmp(text, "unlimited") == 0) {
		*out = (struct nsiso_limit){ NSISO_LIMIT_UNLIMITED, 0 };
		return NULL;
	}
	why = parse_digits(text, &n, &end);
	if (why)
		return why;
	if (*end != '\0')
		return "expected a whole number or unlimited";
	if (n < 1)
		return "must be at least 1";
	if (n > 4194304)	/* the kernel's PID_MAX_LIMIT */
		return "larger than the kernel's maximum number of tasks";
	*out = (struct nsiso_limit){ NSISO_LIMIT_VALUE, n };
	return NULL;
}

uint64_t nsiso_limit_bytes(const struct nsiso_limit *limit)
{
	long pages, page_size;

	switch (limit->kind) {
	case NSISO_LIMIT_VALUE:
		return limit->value;
	case NSISO_LIMIT_PERCENT:
		pages = sysconf(_SC_PHYS_PAGES);
		page_size = sysconf(_SC_PAGESIZE);
		if (pages <= 0 || page_size <= 0)
			return UINT64_MAX;
		return (uint64_t)pages / 100 * limit->value * (uint64_t)page_size;
	default:
		return UINT64_MAX;
	}
}

bool nsiso_limit_is_set(const struct nsiso_limit *limit)
{
	return limit->kind == NSISO_LIMIT_VALUE || limit->kind == NSISO_LIMIT_PERCENT;
}

void nsiso_format_size(uint64_t bytes, char *buf, unsigned len)
{
	static const char units[] = "TGMK";
	int i;

	if (bytes == UINT64_MAX) {
		snprintf(buf, len, "unlimited");
		return;
	}
	for (i = 0; i < 4; i++) {
		int shift = 40 - 10 * i;

		if (bytes != 0 && (bytes & ((UINT64_C(1) << shift) - 1)) == 0) {
			snprintf(buf, len, "%llu%c",
				 (unsigned long long)(bytes >> shift), units[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)bytes);
}
