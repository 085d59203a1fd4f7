/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The broker's count of the logins its workers serve (helper/workers.c):
 * whom a cgroup path makes a login count for, by names a user may also
 * give the directories of a cgroup delegated to them (never uid 0), and
 * the bounds of one user's logins and of all users' together. */
#include "unit.h"

#include <string.h>
#include <unistd.h>

#include "../../helper/workers.h"

UNIT_TEST(path_user_by_systemd_slice_first)
{
	assert_int_equal(nsiso_workers_path_user("/user.slice/user-1000.slice/session-3.scope"), 1000);
	assert_int_equal(nsiso_workers_path_user("/user.slice/user-1000.slice"), 1000);
	/* Names the user gave in their manager's subtree come after it. */
	assert_int_equal(nsiso_workers_path_user(
				 "/user.slice/user-1000.slice/user@1000.service/app.slice/user-0"), 1000);
	assert_int_equal(nsiso_workers_path_user(
				 "/user.slice/user-1000.slice/user@1000.service/user.slice/user-7.slice"),
			 1000);
	/* A broker in a cgroup namespace of its own sees paths above its root. */
	assert_int_equal(nsiso_workers_path_user("/../../user.slice/user-1000.slice/session-3.scope"),
			 1000);
}

UNIT_TEST(path_user_by_own_groups)
{
	assert_int_equal(nsiso_workers_path_user("/nsiso/user-1003"), 1003);
	assert_int_equal(nsiso_workers_path_user("/a/b/user-42/x"), 42);
	assert_int_equal(nsiso_workers_path_user("/user-4294967294"), 4294967294L);
}

/* A name never makes a login count for no user; where a user named a
 * directory so, the real uid decides (workers.c: caller_user()). */
UNIT_TEST(path_user_never_zero_nor_half_a_name)
{
	static const char *const none[] = {
		"/", "", "/system.slice/sshd.service", "/system.slice/foo.service/user-0",
		"/user.slice/user-0.slice/session-1.scope", "/user-", "/user-1000x", "/user-1000.slice",
		"/user-99999999999", "/user-4294967295", "/user-+5", "/user- 5", "/users-5",
		"/user.slice/user-1000.slicex/a",
	};
	size_t i;

	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		assert_int_equal(nsiso_workers_path_user(none[i]), -1);
	/* A zero first does not hide a user after it. */
	assert_int_equal(nsiso_workers_path_user("/system.slice/foo.service/user-0/user-7"), 7);
}

/* 16 logins of one user, 32 of all users, any number of no user's, 64 in
 * all; a slot is freed with its worker. */
UNIT_TEST(claims_bounded_per_user_and_for_all_users)
{
	char err[128];
	unsigned i;

	assert_int_equal(nsiso_workers_init(err, sizeof(err)), 0);
	for (i = 0; i < 16; i++)
		assert_null(nsiso_workers_claim(1000));
	assert_string_equal(nsiso_workers_claim(1000), "as many logins as one user may have");
	for (i = 1; i <= 16; i++)
		assert_null(nsiso_workers_claim(2000 + i));
	assert_string_equal(nsiso_workers_claim(3000), "as many logins as users together may have");
	for (i = 0; i < 32; i++)
		assert_null(nsiso_workers_claim(0));
	assert_string_equal(nsiso_workers_claim(0), "no slot left");
	/* (Every slot here is this process's, as a worker's is its own.) */
	nsiso_workers_release(getpid());
	assert_null(nsiso_workers_claim(1000));
	assert_null(nsiso_workers_claim(3000));
	nsiso_workers_release(getpid());
}

/* Once the request is read: a login of no user's application (0) whose
 * rule has limits counts for its own user; any other stays as counted. */
UNIT_TEST(request_user_for_no_users_application_with_limits)
{
	assert_int_equal(nsiso_workers_request_user(0, 1000, true), 1000);
	assert_int_equal(nsiso_workers_request_user(0, 1000, false), 0);
	assert_int_equal(nsiso_workers_request_user(0, 0, true), 0);
	assert_int_equal(nsiso_workers_request_user(0, (uid_t)-1, true), 0);
	assert_int_equal(nsiso_workers_request_user(1001, 1000, true), 1001);
}
