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

/* How a limit is written: "unlimited" where that is allowed, or digits
 * followed by exactly `unit`, from min to max; the limit is the number
 * shifted left by `shift`.  Each way to miss it has its reason (NULL:
 * bad_unit is no_number's, too_small too_large's). */
struct form {
	bool unlimited_ok;
	const char *unit;
	unsigned shift;
	uint64_t min, max;
	enum nsiso_limit_kind kind;
	const char *no_number, *bad_unit, *too_large, *too_small;
};

static const char *parse_form(const char *text, const struct form *f, struct nsiso_limit *out)
{
	size_t len = strspn(text, "0123456789");
	uint64_t n;

	if (f->unlimited_ok && strcmp(text, "unlimited") == 0) {
		*out = (struct nsiso_limit){ NSISO_LIMIT_UNLIMITED, 0 };
		return NULL;
	}
	if (len == 0)
		return f->no_number;
	if (strcmp(text + len, f->unit) != 0)
		return f->bad_unit ? f->bad_unit : f->no_number;
	if (nsiso_parse_decimal(text, len, f->max, &n) != NULL)
		return f->too_large;
	if (n < f->min)
		return f->too_small ? f->too_small : f->too_large;
	*out = (struct nsiso_limit){ f->kind, n << f->shift };
	return NULL;
}

/* A size: bytes, with an optional K, M, G or T; or a percentage of RAM,
 * where that is allowed. */
const char *nsiso_parse_size(const char *text, bool percent_ok,
			     struct nsiso_limit *out)
{
	static const struct form percent = {
		.unit = "%", .min = 1, .max = 100, .kind = NSISO_LIMIT_PERCENT,
		.too_large = "percentage must be 1..100",
	};
	const char *end = text + strspn(text, "0123456789");
	int found = suffix_shift(end[0]);
	unsigned shift = found < 0 ? 0 : (unsigned)found;
	/* The letter, if it is one, must stand alone after the digits. */
	char unit[2] = { (char)(shift ? end[0] : '\0'), '\0' };
	const struct form bytes = {
		.unlimited_ok = true, .unit = unit, .shift = shift,
		.max = NSISO_SIZE_MAX >> shift, .kind = NSISO_LIMIT_VALUE,
		.no_number = "expected a number",
		.bad_unit = "unknown size suffix (use K, M, G, T, % or unlimited)",
		.too_large = "size too large (the kernel's largest limit is 8388607T; use unlimited)",
	};

	if (end == text || strcmp(end, "%") != 0)
		return parse_form(text, &bytes, out);
	return percent_ok ? parse_form(text, &percent, out) : "a percentage is not allowed here";
}

const char *nsiso_parse_count(const char *text, struct nsiso_limit *out)
{
	static const struct form tasks = {
		.unlimited_ok = true, .unit = "", .min = 1, .max = NSISO_TASKS_LIMIT_MAX,
		.kind = NSISO_LIMIT_VALUE, .no_number = "expected a number",
		.bad_unit = "expected a whole number or unlimited",
		.too_large = "larger than the kernel's maximum number of tasks (4194304)",
		.too_small = "must be at least 1",
	};

	return parse_form(text, &tasks, out);
}

const char *nsiso_parse_cpu_percent(const char *text, struct nsiso_limit *out)
{
	static const struct form cpu = {
		.unlimited_ok = true, .unit = "%", .min = 1, .max = NSISO_CPU_PERCENT_MAX,
		.kind = NSISO_LIMIT_VALUE,
		.no_number = "expected a percentage of one CPU (50%, 400% for four CPUs) or unlimited",
		.too_large = "must be 1% to 1000000% (100% is one CPU)",
	};

	return parse_form(text, &cpu, out);
}

const char *nsiso_parse_weight(const char *text, struct nsiso_limit *out)
{
	static const struct form weight = {
		.unit = "", .min = NSISO_WEIGHT_MIN, .max = NSISO_WEIGHT_MAX,
		.kind = NSISO_LIMIT_VALUE,
		.no_number = "expected a whole number 1 to 10000 (100 is the default)",
		.too_large = "must be 1 to 10000 (100 is the default)",
	};

	return parse_form(text, &weight, out);
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
