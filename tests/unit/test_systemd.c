/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* cgroup_mode systemd: telling from /proc/<pid>/cgroup whether pam_systemd
 * already put the session into the user's slice.  The texts are real
 * shapes: pure v2 (Debian 12, Ubuntu 22.04), hybrid, and v1. */
#include <stdio.h>
#include <string.h>
#include "unit.h"

#include "../../common/systemd.h"

UNIT_TEST(pure_v2_session_scope)
{
	char unit[64];

	assert_true(nsiso_systemd_user_slice("0::/user.slice/user-1000.slice/session-4.scope\n",
					     1000, unit, sizeof(unit)));
	assert_string_equal(unit, "user-1000.slice");
	/* another user's slice is not ours */
	assert_false(nsiso_systemd_user_slice("0::/user.slice/user-1001.slice/session-4.scope\n",
					      1000, unit, sizeof(unit)));
	/* uid 100 must not match user-1000 */
	assert_false(nsiso_systemd_user_slice("0::/user.slice/user-1000.slice/session-4.scope\n",
					      100, unit, sizeof(unit)));
}

UNIT_TEST(system_services_are_not_sessions)
{
	char unit[64];

	assert_false(nsiso_systemd_user_slice("0::/system.slice/ssh.service\n", 1000, unit, sizeof(unit)));
	assert_false(nsiso_systemd_user_slice("0::/\n", 1000, unit, sizeof(unit)));
	assert_false(nsiso_systemd_user_slice("", 1000, unit, sizeof(unit)));
	/* our own top-level parent, after a join in cgroup_mode own */
	assert_false(nsiso_systemd_user_slice("0::/nsiso/user-1000\n", 1000, unit, sizeof(unit)));
}

UNIT_TEST(hybrid_and_v1_use_the_systemd_line)
{
	char unit[64];
	const char *hybrid =
		"12:pids:/user.slice/user-1000.slice/session-2.scope\n"
		"4:memory:/user.slice/user-1000.slice/session-2.scope\n"
		"1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n"
		"0::/user.slice/user-1000.slice/session-2.scope\n";
	const char *v1 =
		"4:memory:/\n"
		"1:name=systemd:/user.slice/user-1000.slice/session-7.scope\n";
	const char *this_sandbox =	/* no systemd at all */
		"9:name=systemd:/\n4:memory:/process_api/2fc05c31\n0::/\n";

	assert_true(nsiso_systemd_user_slice(hybrid, 1000, unit, sizeof(unit)));
	assert_true(nsiso_systemd_user_slice(v1, 1000, unit, sizeof(unit)));
	assert_false(nsiso_systemd_user_slice(this_sandbox, 1000, unit, sizeof(unit)));
}

/* Where the slice is: the managed line's path up to the user's slice, as
 * systemd made it (the v2 line wins), from the root only. */
UNIT_TEST(slice_path)
{
	char slice[64], small[12];
	const char *hybrid =
		"4:memory:/user.slice/user-1000.slice/session-2.scope\n"
		"1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n"
		"0::/user.slice/user-1000.slice/session-2.scope\n";

	assert_true(nsiso_systemd_user_slice_path("0::/user.slice/user-1000.slice/session-4.scope\n",
						  1000, slice, sizeof(slice)));
	assert_string_equal(slice, "user.slice/user-1000.slice");
	assert_true(nsiso_systemd_user_slice_path(hybrid, 1000, slice, sizeof(slice)));
	assert_string_equal(slice, "user.slice/user-1000.slice");
	assert_true(nsiso_systemd_user_slice_path("1:name=systemd:/user.slice/user-7.slice/nsiso-0a.scope\n",
						  7, slice, sizeof(slice)));
	assert_string_equal(slice, "user.slice/user-7.slice");
	/* Anchored at the root: below anything else, names prove nothing (a
	 * Delegate= service running as a user can make these). */
	assert_false(nsiso_systemd_user_slice_path("0::/box.slice/user.slice/user-1000.slice/s.scope\n",
						   1000, slice, sizeof(slice)));
	assert_false(nsiso_systemd_user_slice_path(
		"0::/system.slice/x.service/user.slice/user-1001.slice/y\n", 1001, slice, sizeof(slice)));
	assert_false(nsiso_systemd_user_slice_path("0::/user.slice/user-1000.slice\n", 1000, slice,
						   sizeof(slice)));	/* in the slice itself: no session */
	assert_false(nsiso_systemd_user_slice_path("0::/user.slice/user-10000.slice/s.scope\n", 1000,
						   slice, sizeof(slice)));
	assert_false(nsiso_systemd_user_slice_path("0::/nsiso/user-1000\n", 1000, slice, sizeof(slice)));
	/* A delegated subtree of another user (1003) with directories named
	 * like the target's slice: not the target's slice. */
	assert_false(nsiso_systemd_user_slice_path(
		"0::/user.slice/user-1003.slice/user@1003.service/app.slice/run-r1.scope"
		"/user.slice/user-1001.slice/x\n", 1001, slice, sizeof(slice)));
	assert_false(nsiso_systemd_user_slice_path("0::/user.slice/x/user-1001.slice/s.scope\n", 1001,
						   slice, sizeof(slice)));
	/* The target's own delegated subtree is in the target's slice. */
	assert_true(nsiso_systemd_user_slice_path(
		"0::/user.slice/user-1001.slice/user@1001.service/app.slice/x.scope\n", 1001, slice,
		sizeof(slice)));
	assert_string_equal(slice, "user.slice/user-1001.slice");
	assert_true(nsiso_systemd_user_slice_path("0::/user.slice/user-1000.slice/s.scope\n", 1000,
						  small, sizeof(small)));
	assert_string_equal(small, "user.slice/");	/* cut, terminated */
}

/* In the scope asked for: the managed line ends in its cgroup, absolute or
 * relative to a session's cgroup namespace (a login from inside one). */
/* The user manager's subtree, the user's to write: a session from there
 * is not placed (a scope is asked), whatever is below it. */
UNIT_TEST(in_user_manager)
{
	assert_true(nsiso_systemd_in_user_manager(
		"0::/user.slice/user-1003.slice/user@1003.service/app.slice/run-u4.scope\n", 1003));
	assert_true(nsiso_systemd_in_user_manager(
		"1:name=systemd:/user.slice/user-1003.slice/user@1003.service\n", 1003));
	assert_true(nsiso_systemd_in_user_manager(
		"0::/user.slice/user-1003.slice/user@1003.service/x/user.slice/user-1003.slice/"
		"session-1.scope\n", 1003));
	assert_false(nsiso_systemd_in_user_manager(
		"0::/user.slice/user-1003.slice/session-4.scope\n", 1003));
	assert_false(nsiso_systemd_in_user_manager(
		"0::/user.slice/user-1003.slice/nsiso-0123456789abcdef.scope\n", 1003));
	/* Another user's manager, or one with a longer number: not this one. */
	assert_false(nsiso_systemd_in_user_manager(
		"0::/user.slice/user-1003.slice/user@1004.service/a.scope\n", 1003));
	assert_false(nsiso_systemd_in_user_manager(
		"0::/user.slice/user-1003.slice/user@10030.service/a.scope\n", 1003));
	assert_false(nsiso_systemd_in_user_manager(
		"0::/user.slice/user-1003.slice/user@1003.serviceX/a.scope\n", 1003));
	/* Not below the user's slice from the root: not the manager's. */
	assert_false(nsiso_systemd_in_user_manager(
		"0::/system.slice/user@1003.service/a.scope\n", 1003));
}

UNIT_TEST(in_unit)
{
	const char *hybrid =
		"4:memory:/user.slice/user-1000.slice/nsiso-0a.scope\n"
		"1:name=systemd:/user.slice/user-1000.slice/nsiso-0a.scope\n"
		"0::/user.slice/user-1000.slice/nsiso-0a.scope\n";

	assert_true(nsiso_systemd_in_unit("0::/user.slice/user-7.slice/nsiso-0a.scope\n",
					  "nsiso-0a.scope"));
	assert_true(nsiso_systemd_in_unit(hybrid, "nsiso-0a.scope"));
	assert_true(nsiso_systemd_in_unit("1:name=systemd:/../nsiso-0a.scope\n", "nsiso-0a.scope"));
	assert_true(nsiso_systemd_in_unit("0::/../../user-1001.slice/nsiso-0a.scope\n",
					  "nsiso-0a.scope"));
	assert_false(nsiso_systemd_in_unit("0::/\n", "nsiso-0a.scope"));	/* not moved yet */
	assert_false(nsiso_systemd_in_unit("0::/user.slice/user-7.slice/xnsiso-0a.scope\n",
					   "nsiso-0a.scope"));
	assert_false(nsiso_systemd_in_unit("0::/user.slice/user-7.slice/nsiso-0a.scope/sub\n",
					   "nsiso-0a.scope"));
	assert_false(nsiso_systemd_in_unit("0::nsiso-0a.scope\n", "nsiso-0a.scope"));
	assert_false(nsiso_systemd_in_unit("4:memory:/nsiso-0a.scope\n", "nsiso-0a.scope"));
	assert_false(nsiso_systemd_in_unit("0::/nsiso-0a.scope\n", ""));
}

/* Outside our cgroup namespace, at a scope of ours right in the user's
 * slice: from below that slice, from another user's, or from above. */
UNIT_TEST(scope_outside_ns)
{
	const char *scope = "nsiso-0123456789abcdef.scope";
	char path[128];

	snprintf(path, sizeof(path), "/../%s", scope);
	assert_true(nsiso_systemd_scope_outside_ns(path, 1000));
	snprintf(path, sizeof(path), "/../../user-1001.slice/%s", scope);
	assert_true(nsiso_systemd_scope_outside_ns(path, 1001));
	snprintf(path, sizeof(path), "/../../../user.slice/user-1001.slice/%s", scope);
	assert_true(nsiso_systemd_scope_outside_ns(path, 1001));
	snprintf(path, sizeof(path), "/%s", scope);		/* inside: not outside */
	assert_false(nsiso_systemd_scope_outside_ns(path, 1000));
	snprintf(path, sizeof(path), "/../../user-1002.slice/%s", scope);	/* not uid's */
	assert_false(nsiso_systemd_scope_outside_ns(path, 1001));
	snprintf(path, sizeof(path), "/../user@1003.service/app.slice/%s", scope);
	assert_false(nsiso_systemd_scope_outside_ns(path, 1003));
	assert_false(nsiso_systemd_scope_outside_ns("/../nsiso-0123456789ABCDEF.scope", 1000));
	assert_false(nsiso_systemd_scope_outside_ns("/../nsiso-0123.scope", 1000));
	assert_false(nsiso_systemd_scope_outside_ns("/..x/nsiso-0123456789abcdef.scope", 1000));
}

/* The object paths systemd 252 gives (busctl tree org.freedesktop.systemd1
 * on the check-systemd VM): "-", "." and "@" escaped, a leading digit too. */
UNIT_TEST(unit_object_path)
{
	char path[128];

	assert_int_equal(nsiso_systemd_unit_object_path("nsiso-0123456789abcdef.scope", path,
							sizeof(path)), 0);
	assert_string_equal(path, "/org/freedesktop/systemd1/unit/nsiso_2d0123456789abcdef_2escope");
	assert_int_equal(nsiso_systemd_unit_object_path("user@1000.service", path, sizeof(path)), 0);
	assert_string_equal(path, "/org/freedesktop/systemd1/unit/user_401000_2eservice");
	assert_int_equal(nsiso_systemd_unit_object_path("0a_b", path, sizeof(path)), 0);
	assert_string_equal(path, "/org/freedesktop/systemd1/unit/_30a_5fb");
	assert_int_equal(nsiso_systemd_unit_object_path("", path, sizeof(path)), -1);
	/* Too long: the base and "user_40" fit in 40 bytes, the rest not. */
	assert_int_equal(nsiso_systemd_unit_object_path("user@1000.service", path, 40), -1);
	assert_int_equal(nsiso_systemd_unit_object_path("ab", path, 34), 0);
	assert_string_equal(path, "/org/freedesktop/systemd1/unit/ab");
	assert_int_equal(nsiso_systemd_unit_object_path("ab", path, 33), -1);
}

/* auto is systemd exactly where PID 1 is systemd; the others are what they
 * say, and explain's reason names the mode. */
UNIT_TEST(auto_follows_pid1)
{
	const char *why = NULL;

	assert_int_equal(nsiso_cgroup_mode_effective(NSISO_CGROUP_MODE_OWN, &why),
			 NSISO_CGROUP_MODE_OWN);
	assert_string_equal(why, "cgroup_mode own");
	assert_int_equal(nsiso_cgroup_mode_effective(NSISO_CGROUP_MODE_SYSTEMD, NULL),
			 NSISO_CGROUP_MODE_SYSTEMD);
	assert_int_equal(nsiso_cgroup_mode_effective(NSISO_CGROUP_MODE_AUTO, &why),
			 nsiso_systemd_booted() ? NSISO_CGROUP_MODE_SYSTEMD : NSISO_CGROUP_MODE_OWN);
	assert_non_null(strstr(why, "cgroup_mode auto: PID 1 is"));
}
