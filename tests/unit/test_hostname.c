/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Host name templates: expansion and validity. */
#include <stdio.h>
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

/* Inside a session %h is the session's own name, made from the template:
 * logins nested in logins would grow it without end, and a login a user
 * can make fail by nesting is a switch for on_error allow.  %h is cut to
 * fit instead, each %h alike, never at a '-' or '.'. */
UNIT_TEST(host_escape_is_cut_to_fit)
{
	char out[NSISO_HOSTNAME_MAX + 1], host[NSISO_HOSTNAME_MAX + 1], want[NSISO_HOSTNAME_MAX + 1];
	char user[80];
	int i;

	/* Nesting "%h-%u" 20 times: always valid, never longer than 63. */
	snprintf(host, sizeof(host), "lab1");
	for (i = 0; i < 20; i++) {
		assert_null(nsiso_hostname_expand("%h-%u", "alice", 1000, host, out));
		assert_true(strlen(out) <= 63);
		assert_null(nsiso_hostname_valid(out));
		snprintf(host, sizeof(host), "%s", out);
	}
	/* Room for 57 of the host's characters beside "-alice"; the 57th is a
	 * '-', which goes too. */
	memset(host, 'h', 60);
	host[60] = '\0';
	host[56] = '-';
	assert_null(nsiso_hostname_expand("%h-%u", "alice", 1000, host, out));
	snprintf(want, sizeof(want), "%.56s-alice", host);
	assert_string_equal(out, want);
	/* Two %h share the room alike: (63 - 1) / 2 = 31 each. */
	memset(host, 'h', 60);
	host[60] = '\0';
	assert_null(nsiso_hostname_expand("%h.%h", "u", 1, host, out));
	assert_int_equal(strlen(out), 63);
	/* Without %h nothing is cut: a user name too long stays an error. */
	memset(user, 'a', 70);
	user[70] = '\0';
	assert_string_equal(nsiso_hostname_expand("%u-%h", user, 1, "lab1", out),
			    "expanded host name is longer than 64 characters");
	/* A short name is as it was. */
	assert_null(nsiso_hostname_expand("%h-%u", "alice", 1000, "lab1", out));
	assert_string_equal(out, "lab1-alice");
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
