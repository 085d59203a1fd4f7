/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* cgroup_mode systemd loads libsystemd on its first use, in the PAM
 * application (the module's scope for cron or su).  A user sets that
 * application's rlimits (ulimit -n before su): a load that fails for want
 * of an fd is not the host's set-up, and must deny rather than fall to
 * on_error allow.  This binary does not link libsystemd, so the case below
 * is its first load. */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include "unit.h"

#include "../../common/systemd_bus.h"

UNIT_TEST(a_load_without_a_free_fd_denies)
{
	const struct nsiso_cgroup_limits none = NSISO_CGROUP_LIMITS_NONE;
	enum nsiso_failure failure = NSISO_FAIL_HOST;
	struct rlimit saved, tight;
	char err[256] = "";
	int ret;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	tight = saved;
	tight.rlim_cur = 3;	/* 0-2 are open: no new fd can be had */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &tight), 0);
	ret = nsiso_systemd_set_limits("user-4242.slice", &none, 1000, &failure, err,
				       sizeof(err));
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
	assert_int_equal(ret, -1);
	assert_int_equal(failure, NSISO_FAIL_DENY);
	assert_non_null(strstr(err, "cannot load libsystemd.so.0"));
	assert_non_null(strstr(err, strerror(EMFILE)));
}
