/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* What status and quota print alike: times, sizes and counts in tables, and
 * JSON members. */
#include <stdio.h>
#include <time.h>

#include "../common/cgroup.h"
#include "../common/size.h"
#include "ctl.h"

void time_text(long long t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "%lld", t);
}

void size_or_dash(uint64_t v, char *buf, size_t len)
{
	if (v == NSISO_UNLIMITED)
		snprintf(buf, len, "-");
	else
		nsiso_format_size(v, buf, (unsigned)len);
}

void count_or_dash(uint64_t v, char *buf, size_t len, const char *none)
{
	if (v == NSISO_UNLIMITED)
		snprintf(buf, len, "%s", none);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

void json_string(const char *key, const char *value, const char *after)
{
	const char *p;

	printf("\"%s\": \"", key);
	for (p = value; *p; p++) {
		if (*p == '"' || *p == '\\')
			putchar('\\');
		putchar(*p);
	}
	printf("\"%s", after);
}

void json_number(const char *key, uint64_t v, const char *after)
{
	if (v == NSISO_UNLIMITED)
		printf("\"%s\": null%s", key, after);
	else
		printf("\"%s\": %llu%s", key, (unsigned long long)v, after);
}
