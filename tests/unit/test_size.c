/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Sizes and counts as nsiso.conf writes them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "../../common/size.h"

static void sizes_use_powers_of_1024(void **state)
{
	struct nsiso_limit l;

	(void)state;
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

static void percent_and_unlimited(void **state)
{
	struct nsiso_limit l;

	(void)state;
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

static void bad_sizes_are_rejected(void **state)
{
	static const char *const bad[] = {
		"", "M", "-1", " 5", "5 ", "0x10", "5MB", "5X", "1.5G",
		"99999999999999999999", "17179869184G", "unlimitedx", "5%%",
	};
	struct nsiso_limit l;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_non_null(nsiso_parse_size(bad[i], true, &l));
}

static void counts(void **state)
{
	struct nsiso_limit l;

	(void)state;
	assert_null(nsiso_parse_count("100", &l));
	assert_true(l.value == 100);
	assert_null(nsiso_parse_count("unlimited", &l));
	assert_int_equal(l.kind, NSISO_LIMIT_UNLIMITED);
	assert_non_null(nsiso_parse_count("0", &l));
	assert_non_null(nsiso_parse_count("10K", &l));
	assert_non_null(nsiso_parse_count("4194305", &l));
}

static void format_round_trips(void **state)
{
	char buf[32];

	(void)state;
	nsiso_format_size(512ULL << 20, buf, sizeof(buf));
	assert_string_equal(buf, "512M");
	nsiso_format_size(3ULL << 30, buf, sizeof(buf));
	assert_string_equal(buf, "3G");
	nsiso_format_size(1000, buf, sizeof(buf));
	assert_string_equal(buf, "1000");
	nsiso_format_size(UINT64_MAX, buf, sizeof(buf));
	assert_string_equal(buf, "unlimited");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sizes_use_powers_of_1024),
		cmocka_unit_test(percent_and_unlimited),
		cmocka_unit_test(bad_sizes_are_rejected),
		cmocka_unit_test(counts),
		cmocka_unit_test(format_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
