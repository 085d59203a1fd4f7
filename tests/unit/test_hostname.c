/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Host name templates: expansion and validity. */
#include <string.h>
#include "unit.h"

#include "../../common/hostname.h"

UNIT_TEST(expands_every_escape)
{
	char out[NSISO_HOSTNAME_MAX + 1];

	assert_null(nsiso_hostname_expand("%h-%u-%U", "alice", 1001, "lab1", out));
	assert_string_equal(out, "lab1-alice-1001");
	/* %% gives a literal '%', which no host name may contain */
	assert_string_equal(nsiso_hostname_expand("x%%y", "alice", 1, "h", out),
			    "host name may only contain letters, digits, '-' and '.'");
	assert_string_equal(out, "x%y");
	assert_null(nsiso_hostname_expand("plain", "alice", 1, "h", out));
	assert_string_equal(out, "plain");
}

UNIT_TEST(unknown_escapes_are_conf_errors)
{
	assert_non_null(nsiso_hostname_template_check("%x"));
	assert_non_null(nsiso_hostname_template_check("abc%"));
	assert_non_null(nsiso_hostname_template_check(""));
	assert_null(nsiso_hostname_template_check("%u.%h"));
}

UNIT_TEST(result_must_be_a_valid_host_name)
{
	char out[NSISO_HOSTNAME_MAX + 1];
	char long_user[80];

	/* user names may hold '_' or '$', host names may not */
	assert_non_null(nsiso_hostname_expand("s-%u", "bob_smith", 1, "h", out));
	assert_non_null(nsiso_hostname_expand("%u", "-x", 1, "h", out));
	memset(long_user, 'a', 70);
	long_user[70] = '\0';
	assert_non_null(nsiso_hostname_expand("%u", long_user, 1, "h", out));
	assert_non_null(nsiso_hostname_expand("a..b", "u", 1, "h", out));
	assert_null(nsiso_hostname_expand("a.b-c", "u", 1, "h", out));
}

UNIT_TEST(label_rules)
{
	char name[80];

	assert_null(nsiso_hostname_valid("a"));
	assert_null(nsiso_hostname_valid("lab-1.example"));
	assert_non_null(nsiso_hostname_valid("lab-"));
	assert_non_null(nsiso_hostname_valid(".lab"));
	assert_non_null(nsiso_hostname_valid("l ab"));
	assert_non_null(nsiso_hostname_valid("l\xc3\xa4" "b"));
	memset(name, 'a', 64);
	name[64] = '\0';
	assert_non_null(nsiso_hostname_valid(name));	/* one label > 63 */
	name[30] = '.';
	assert_null(nsiso_hostname_valid(name));	/* 64 in all is fine */
	name[64] = 'a';
	name[65] = '\0';
	assert_non_null(nsiso_hostname_valid(name));	/* 65 is not */
}
