/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Sizes and counts as nsiso.conf writes them. */
#include <string.h>
#include "unit.h"

#include "../../common/size.h"

UNIT_TEST(sizes_use_powers_of_1024)
{
	struct nsiso_limit l;

	assert_null(nsiso_parse_size("512M", true, &l));
	assert_int_equal(l.kind, NSISO_LIMIT_VALUE);
	assert_true(l.value == 512ULL << 20);
	assert_null(nsiso_parse_size("2G", true, &l));
	assert_true(l.value == 2ULL << 30);
	assert_null(nsiso_parse_size("3k", true, &l));
	assert_true(l.value == 3072);
	assert_null(nsiso_parse_size("1T", true, &l));
	assert_true(l.value == 1ULL << 40);
	assert_null(nsiso_parse_size("4096", true, &l));
	assert_true(l.value == 4096);
}

UNIT_TEST(percent_and_unlimited)
{
	struct nsiso_limit l;

	assert_null(nsiso_parse_size("25%", true, &l));
	assert_int_equal(l.kind, NSISO_LIMIT_PERCENT);
	assert_true(l.value == 25);
	assert_true(nsiso_limit_bytes(&l) > 0 && nsiso_limit_bytes(&l) != UINT64_MAX);
	assert_non_null(nsiso_parse_size("25%", false, &l));
	assert_non_null(nsiso_parse_size("0%", true, &l));
	assert_non_null(nsiso_parse_size("101%", true, &l));
	assert_null(nsiso_parse_size("unlimited", true, &l));
	assert_int_equal(l.kind, NSISO_LIMIT_UNLIMITED);
	assert_true(nsiso_limit_bytes(&l) == UINT64_MAX);
	assert_false(nsiso_limit_is_set(&l));
}

UNIT_TEST(bad_sizes_are_rejected)
{
	static const char *const bad[] = {
		"", "M", "-1", " 5", "5 ", "0x10", "5MB", "5X", "1.5G",
		"99999999999999999999", "17179869184G", "unlimitedx", "5%%",
	};
	struct nsiso_limit l;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_non_null(nsiso_parse_size(bad[i], true, &l));
}

UNIT_TEST(counts)
{
	struct nsiso_limit l;

	assert_null(nsiso_parse_count("100", &l));
	assert_true(l.value == 100);
	assert_null(nsiso_parse_count("unlimited", &l));
	assert_int_equal(l.kind, NSISO_LIMIT_UNLIMITED);
	assert_non_null(nsiso_parse_count("0", &l));
	assert_non_null(nsiso_parse_count("10K", &l));
	assert_non_null(nsiso_parse_count("4194305", &l));
}

/* The one strict number parser: digits only, bounded, never empty. */
/* cpu: N% of one CPU, any number of CPUs; 0%, a bare number and an
 * overflow are errors. */
UNIT_TEST(cpu_percentages)
{
	static const char *const bad[] = {
		"", "5", "0%", "%", "-5%", "+5%", " 5%", "5 %", "5%%", "1.5%", "0x10%", "5M",
		"1000001%", "99999999999999999999%", "18446744073709551717%", "unlimitedx",
	};
	struct nsiso_limit l;
	size_t i;

	assert_null(nsiso_parse_cpu_percent("100%", &l));
	assert_int_equal(l.kind, NSISO_LIMIT_VALUE);
	assert_true(l.value == 100);
	assert_null(nsiso_parse_cpu_percent("1%", &l));
	assert_true(l.value == 1);
	assert_null(nsiso_parse_cpu_percent("1000000%", &l));
	assert_true(l.value == NSISO_CPU_PERCENT_MAX);
	assert_null(nsiso_parse_cpu_percent("unlimited", &l));
	assert_int_equal(l.kind, NSISO_LIMIT_UNLIMITED);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_non_null(nsiso_parse_cpu_percent(bad[i], &l));
	assert_string_equal(nsiso_parse_cpu_percent("5", &l), "expected a percentage of one CPU "
			    "(50%, 400% for four CPUs) or unlimited");
	assert_string_equal(nsiso_parse_cpu_percent("0%", &l),
			    "must be 1% to 1000000% (100% is one CPU)");
}

UNIT_TEST(weights)
{
	static const char *const bad[] = {
		"", "0", "10001", "-1", "+5", " 5", "1.5", "5%", "0x10", "unlimited",
		"99999999999999999999",
	};
	struct nsiso_limit l;
	size_t i;

	assert_null(nsiso_parse_weight("1", &l));
	assert_true(l.kind == NSISO_LIMIT_VALUE && l.value == 1);
	assert_null(nsiso_parse_weight("10000", &l));
	assert_true(l.value == NSISO_WEIGHT_MAX);
	assert_null(nsiso_parse_weight("0100", &l));
	assert_true(l.value == 100);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_non_null(nsiso_parse_weight(bad[i], &l));
	assert_string_equal(nsiso_parse_weight("10001", &l), "must be 1 to 10000 (100 is the default)");
}

UNIT_TEST(decimal_parser_is_strict)
{
	static const char *const not_plain[] = {
		"-1", "+1", " 1", "1 ", "0x10", "1e3", "1.0", "1_000", "\t1", "1\n", "\xd9\xa1",
	};
	uint64_t n = 7;
	size_t i;

	assert_null(nsiso_parse_decimal("0", 1, UINT64_MAX, &n));
	assert_true(n == 0);
	assert_null(nsiso_parse_decimal("007", 3, 10, &n));
	assert_true(n == 7);
	assert_null(nsiso_parse_decimal("18446744073709551615", 20, UINT64_MAX, &n));
	assert_true(n == UINT64_MAX);
	assert_string_equal(nsiso_parse_decimal("18446744073709551616", 20, UINT64_MAX, &n),
			    "number too large");
	assert_string_equal(nsiso_parse_decimal("99999999999999999999999", 23, UINT64_MAX, &n),
			    "number too large");
	assert_string_equal(nsiso_parse_decimal("101", 3, 100, &n), "number too large");
	assert_null(nsiso_parse_decimal("100", 3, 100, &n));
	assert_string_equal(nsiso_parse_decimal("", 0, 100, &n), "empty number");
	n = 5;
	for (i = 0; i < sizeof(not_plain) / sizeof(not_plain[0]); i++)
		assert_string_equal(nsiso_parse_decimal(not_plain[i], strlen(not_plain[i]), UINT64_MAX, &n),
				    "not a plain decimal number (digits only: no sign, space or prefix)");
	assert_true(n == 5);	/* untouched on error */
	/* Only len bytes count: the caller splits "1000:1999" or "512M". */
	assert_null(nsiso_parse_decimal("512M", 3, UINT64_MAX, &n));
	assert_true(n == 512);
}

/* The kernel keeps a limit in a page counter of at most LONG_MAX bytes:
 * nothing from 8E on is a limit, and memory + swap never overflows. */
UNIT_TEST(sizes_stop_below_8E)
{
	struct nsiso_limit l;

	assert_null(nsiso_parse_size("8388607T", false, &l));
	assert_true(l.value == 8388607ULL << 40);
	assert_null(nsiso_parse_size("9223372036854775807", false, &l));
	assert_true(l.value == NSISO_SIZE_MAX);
	assert_string_equal(nsiso_parse_size("8388608T", false, &l),
			    "size too large (the kernel's largest limit is 8388607T; use unlimited)");
	assert_non_null(nsiso_parse_size("16777215T", false, &l));
	assert_non_null(nsiso_parse_size("9223372036854775808", false, &l));
	assert_non_null(nsiso_parse_size("8589934592G", false, &l));
	assert_null(nsiso_parse_size("8589934591G", false, &l));
	assert_true(NSISO_SIZE_MAX + NSISO_SIZE_MAX > NSISO_SIZE_MAX);	/* no wrap */
	assert_string_equal(nsiso_parse_size("1000%", true, &l), "percentage must be 1..100");
	assert_string_equal(nsiso_parse_size("99999999999999999999999%", true, &l),
			    "percentage must be 1..100");
	assert_string_equal(nsiso_parse_count("4194305", &l),
			    "larger than the kernel's maximum number of tasks (4194304)");
	assert_null(nsiso_parse_count("4194304", &l));
	assert_true(l.value == 4194304);
	assert_string_equal(nsiso_parse_count("-5", &l), "expected a number");
	assert_string_equal(nsiso_parse_count("5 ", &l), "expected a whole number or unlimited");
}

UNIT_TEST(format_round_trips)
{
	char buf[32];

	nsiso_format_size(512ULL << 20, buf, sizeof(buf));
	assert_string_equal(buf, "512M");
	nsiso_format_size(3ULL << 30, buf, sizeof(buf));
	assert_string_equal(buf, "3G");
	nsiso_format_size(1000, buf, sizeof(buf));
	assert_string_equal(buf, "1000");
	nsiso_format_size(UINT64_MAX, buf, sizeof(buf));
	assert_string_equal(buf, "unlimited");
}
