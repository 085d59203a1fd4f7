/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "size.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *nsiso_parse_decimal(const char *text, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;
	size_t i;

	/* Not strtoull: it takes "-1" (as a huge number), " 5", "+5" and, with
	 * base 0, "0x10", none of which an admin means as a number. */
	if (len == 0)
		return "empty number";
	for (i = 0; i < len; i++)
		if (text[i] < '0' || text[i] > '9')
			return "not a plain decimal number (digits only: no sign, space or prefix)";
	for (i = 0; i < len; i++)
		if (__builtin_mul_overflow(n, 10, &n) ||
		    __builtin_add_overflow(n, (uint64_t)(text[i] - '0'), &n) || n > max)
			return "number too large";
	*out = n;
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
	size_t len = strspn(text, "0123456789");
	const char *end = text + len;
	uint64_t n;
	int shift;

	if (strcmp(text, "unlimited") == 0) {
		*out = (struct nsiso_limit){ NSISO_LIMIT_UNLIMITED, 0 };
		return NULL;
	}
	if (len == 0)
		return "expected a number";
	if (end[0] == '%' && end[1] == '\0') {
		if (!percent_ok)
			return "a percentage is not allowed here";
		if (nsiso_parse_decimal(text, len, 100, &n) != NULL || n < 1)
			return "percentage must be 1..100";
		*out = (struct nsiso_limit){ NSISO_LIMIT_PERCENT, n };
		return NULL;
	}
	shift = end[0] == '\0' ? 0 : suffix_shift(end[0]);
	if (shift < 0 || (shift > 0 && end[1] != '\0'))
		return "unknown size suffix (use K, M, G, T, % or unlimited)";
	if (nsiso_parse_decimal(text, len, NSISO_SIZE_MAX >> shift, &n) != NULL)
		return "size too large (the kernel's largest limit is 8388607T; use unlimited)";
	*out = (struct nsiso_limit){ NSISO_LIMIT_VALUE, n << shift };
	return NULL;
}

const char *nsiso_parse_count(const char *text, struct nsiso_limit *out)
{
	size_t len = strspn(text, "0123456789");
	uint64_t n;

	if (strcmp(text, "unlimited") == 0) {
		*out = (struct nsiso_limit){ NSISO_LIMIT_UNLIMITED, 0 };
		return NULL;
	}
	if (len == 0)
		return "expected a number";
	if (text[len] != '\0')
		return "expected a whole number or unlimited";
	if (nsiso_parse_decimal(text, len, NSISO_TASKS_LIMIT_MAX, &n) != NULL)
		return "larger than the kernel's maximum number of tasks (4194304)";
	if (n < 1)
		return "must be at least 1";
	*out = (struct nsiso_limit){ NSISO_LIMIT_VALUE, n };
	return NULL;
}

const char *nsiso_parse_cpu_percent(const char *text, struct nsiso_limit *out)
{
	size_t len = strspn(text, "0123456789");
	uint64_t n;

	if (strcmp(text, "unlimited") == 0) {
		*out = (struct nsiso_limit){ NSISO_LIMIT_UNLIMITED, 0 };
		return NULL;
	}
	if (len == 0 || text[len] != '%' || text[len + 1] != '\0')
		return "expected a percentage of one CPU (50%, 400% for four CPUs) or unlimited";
	if (nsiso_parse_decimal(text, len, NSISO_CPU_PERCENT_MAX, &n) != NULL || n < 1)
		return "must be 1% to 1000000% (100% is one CPU)";
	*out = (struct nsiso_limit){ NSISO_LIMIT_VALUE, n };
	return NULL;
}

const char *nsiso_parse_weight(const char *text, struct nsiso_limit *out)
{
	size_t len = strspn(text, "0123456789");
	uint64_t n;

	if (len == 0 || text[len] != '\0')
		return "expected a whole number 1 to 10000 (100 is the default)";
	if (nsiso_parse_decimal(text, len, NSISO_WEIGHT_MAX, &n) != NULL || n < NSISO_WEIGHT_MIN)
		return "must be 1 to 10000 (100 is the default)";
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
