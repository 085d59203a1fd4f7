/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Which failures of the system bus are the host's (on_error applies) and
 * which deny.  Its own binary: test_systemd_bus.c needs the first load of
 * libsystemd in its process to fail. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"

#include "../../common/systemd_bus.h"

/* A bus that takes the connection and drops it before the caller is
 * through (what dbus-daemon does to the oldest of its 64 unauthenticated
 * connections when one more comes: any user can make it, by opening
 * connections that never authenticate).  The call then fails "not
 * connected", and that must deny: were it the host's, on_error allow would
 * let the login through unisolated and unlimited. */
static pid_t drop_every_caller(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;) {
			char buf[512];
			int c = accept(fd, NULL, NULL);

			if (c < 0)
				continue;
			/* Its first words (the authentication) read, then
			 * dropped while it waits for the answer. */
			(void)read(c, buf, sizeof(buf));
			close(c);
		}
	}
	close(fd);
	return pid;
}

static int set_limits_via(const char *address, enum nsiso_failure *failure, char *err,
			  size_t len)
{
	const struct nsiso_cgroup_limits none = NSISO_CGROUP_LIMITS_NONE;
	int ret;

	assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1), 0);
	ret = nsiso_systemd_set_limits("user-4242.slice", &none, 2000, failure, err, len);
	unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
	return ret;
}

UNIT_TEST(a_bus_that_drops_the_caller_denies)
{
	char dir[] = "/tmp/nsiso-unit-bus-XXXXXX", path[64], address[96], err[256] = "";
	enum nsiso_failure failure = NSISO_FAIL_HOST;
	pid_t pid;
	int ret;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/bus", dir);
	snprintf(address, sizeof(address), "unix:path=%s", path);
	pid = drop_every_caller(path);
	ret = set_limits_via(address, &failure, err, sizeof(err));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(path);
	rmdir(dir);
	assert_int_equal(ret, -1);
	assert_int_equal(failure, NSISO_FAIL_DENY);
	assert_non_null(strstr(err, strerror(ENOTCONN)));
}

/* No bus at all (no socket where the address says): the host's set-up. */
UNIT_TEST(no_bus_at_all_is_the_hosts)
{
	enum nsiso_failure failure = NSISO_FAIL_DENY;
	char err[256] = "";

	assert_int_equal(set_limits_via("unix:path=/nonexistent/nsiso-unit-bus", &failure, err,
					 sizeof(err)), -1);
	assert_int_equal(failure, NSISO_FAIL_HOST);
	assert_non_null(strstr(err, "cannot connect to the system bus"));
}
