/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Which failures of the system bus are the host's (on_error applies) and
 * which deny; and the scope's call made by a child over the connection its
 * parent made (S10), against a real dbus-daemon of the test's own: the
 * connection ends for the parent's copy too, and nothing is asked once the
 * parent has ended.  Its own binary: test_systemd_bus.c needs the first
 * load of libsystemd in its process to fail. */
#include <errno.h>
#include <fcntl.h>
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

/* ---- a scope asked for by a child, over its parent's connection ---------- */

/* A real dbus-daemon of this test's own (no systemd on it), its socket in a
 * directory of its own. */
static char bus_dir[64], bus_path[96];
static pid_t bus_daemon = -1;

static int start_bus(void **state)
{
	char conf[96], option[128];
	FILE *f;
	int i;

	(void)state;
	snprintf(bus_dir, sizeof(bus_dir), "/tmp/nsiso-unit-dbus-XXXXXX");
	if (!mkdtemp(bus_dir))
		return -1;
	snprintf(bus_path, sizeof(bus_path), "%s/bus", bus_dir);
	snprintf(conf, sizeof(conf), "%s/bus.conf", bus_dir);
	/* No service directory: nothing is started for a name nobody owns. */
	f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f, "<busconfig><type>session</type><listen>unix:path=%s</listen>"
		"<auth>EXTERNAL</auth><policy context=\"default\"><allow send_destination=\"*\"/>"
		"<allow receive_sender=\"*\"/><allow own=\"*\"/><allow user=\"*\"/></policy></busconfig>\n", bus_path);
	fclose(f);
	snprintf(option, sizeof(option), "--config-file=%s", conf);
	bus_daemon = fork();
	if (bus_daemon == 0) {
		int null_fd = open("/dev/null", O_WRONLY);

		dup2(null_fd, 2);	/* its notes about rlimits are not ours */
		execl("/usr/bin/dbus-daemon", "dbus-daemon", "--nofork", "--nopidfile", option,
		      (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && access(bus_path, F_OK) != 0; i++)
		usleep(10000);
	return access(bus_path, F_OK);
}

static int stop_bus(void **state)
{
	(void)state;
	if (bus_daemon > 0) {
		kill(bus_daemon, SIGTERM);
		waitpid(bus_daemon, NULL, 0);
		bus_daemon = -1;
	}
	unlink(bus_path);
	snprintf(bus_path, sizeof(bus_path), "%s/bus.conf", bus_dir);
	unlink(bus_path);
	rmdir(bus_dir);
	return 0;
}

static int connect_bus(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", bus_path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* What the asking child saw, sent to the test. */
struct asked {
	int ret;
	enum nsiso_failure failure;
	char err[256];
};

/* In a child of app: the call, its outcome written to out. */
__attribute__((noreturn))
static void ask_and_report(int fd, pid_t app, int out)
{
	struct asked a = { .failure = NSISO_FAIL_HOST };

	a.ret = nsiso_systemd_enter_scope_over(fd, app, "nsiso-unit.scope", 4242, "unit test",
					       &a.failure, a.err, sizeof(a.err));
	(void)!write(out, &a, sizeof(a));
	_exit(0);
}

static void read_asked(int fd, struct asked *a)
{
	assert_int_equal(read(fd, a, sizeof(*a)), (ssize_t)sizeof(*a));
	printf("# the child: %d, \"%s\"\n", a->ret, a->err);
}

/* The connection's maker (su) is still there, and keeps its own copy of the
 * socket, as a stopped su would: the call fails on a bus without systemd,
 * denied, and the connection has ended for that copy too. */
UNIT_TEST_IN(the_connection_ends_for_every_copy, start_bus, stop_bus)
{
	struct asked a;
	int fd = connect_bus(), out[2];
	char byte;
	pid_t child;

	assert_int_equal(pipe(out), 0);
	child = fork();
	if (child == 0)
		ask_and_report(fd, getppid(), out[1]);
	close(out[1]);
	read_asked(out[0], &a);
	waitpid(child, NULL, 0);
	assert_int_equal(a.ret, -1);
	assert_int_equal(a.failure, NSISO_FAIL_DENY);
	assert_non_null(strstr(a.err, "cannot start a scope"));
	/* Ended, not merely closed in the child: our copy reads its end. */
	assert_int_equal(recv(fd, &byte, 1, MSG_DONTWAIT), 0);
	close(fd);
	close(out[0]);
}

/* The maker ended before the call (its PID free for another process):
 * nothing is asked for. */
UNIT_TEST_IN(nothing_is_asked_for_an_ended_maker, start_bus, stop_bus)
{
	struct asked a;
	int out[2], status;
	pid_t maker;

	assert_int_equal(pipe(out), 0);
	maker = fork();
	if (maker == 0) {
		int fd = connect_bus();
		pid_t app = getpid();

		if (fork() == 0) {
			/* Until the maker is gone and we are someone else's. */
			while (getppid() == app)
				usleep(1000);
			ask_and_report(fd, app, out[1]);
		}
		_exit(0);
	}
	close(out[1]);
	waitpid(maker, &status, 0);
	read_asked(out[0], &a);
	assert_int_equal(a.ret, -1);
	assert_int_equal(a.failure, NSISO_FAIL_DENY);
	assert_non_null(strstr(a.err, "ended before its scope was asked for"));
	close(out[0]);
}
