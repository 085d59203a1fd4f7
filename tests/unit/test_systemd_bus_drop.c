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
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"

#include "../../common/systemd_bus.h"
#include "../../pam_nsiso/spawn.h"

UNIT_NEEDS_ROOT

#ifndef HELPER_PATH
#error "HELPER_PATH must point at the built nsiso-helper"
#endif

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

/* ---- the helper's scope: out of the user's cgroups before it talks -------- */

/* A uid no one on a test machine has: the caller's user. */
#define USER_UID 4242421
#define UNIFIED "/sys/fs/cgroup/unified"

static char user_cg[96];
static pid_t caller = -1, helper = -1;
static int listener = -1;

/* A cgroup of the user's (chowned to them, as a delegated subtree is) in
 * the host's cgroup2 hierarchy, and a bus socket where the test listens. */
static int make_user_cgroup(void **state)
{
	static const char *const files[] = { "", "/cgroup.procs", "/cgroup.freeze" };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[160];
	size_t i;

	(void)state;
	snprintf(user_cg, sizeof(user_cg), UNIFIED "/nsiso-unit-scope-%d", (int)getpid());
	if (mkdir(user_cg, 0755) != 0)
		return -1;
	for (i = 0; i < UNIT_ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s%s", user_cg, files[i]);
		if (chown(path, USER_UID, USER_UID) != 0)
			return -1;
	}
	snprintf(bus_dir, sizeof(bus_dir), "/tmp/nsiso-unit-dbus-XXXXXX");
	if (!mkdtemp(bus_dir))
		return -1;
	snprintf(bus_path, sizeof(bus_path), "%s/bus", bus_dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", bus_path);
	listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(listener, 4) != 0)
		return -1;
	return 0;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, text, strlen(text));
		close(fd);
	}
}

static int remove_user_cgroup(void **state)
{
	(void)state;
	int i;

	write_file(user_cg, "cgroup.freeze", "0");
	/* The helper (ours to end: this test started it) first, then its
	 * parent, which reaps it; the group empties before it goes. */
	if (helper > 0)
		kill(helper, SIGKILL);
	if (caller > 0) {
		kill(caller, SIGKILL);
		while (waitpid(caller, NULL, 0) < 0 && errno == EINTR)
			;
	}
	helper = caller = -1;
	for (i = 0; i < 500 && rmdir(user_cg) != 0 && errno == EBUSY; i++)
		usleep(10000);
	if (listener >= 0)
		close(listener);
	listener = -1;
	unlink(bus_path);
	rmdir(bus_dir);
	return 0;
}

/* The fd the helper is handed: a connection to the test's bus; a copy
 * kept in *ctx when asked for (as a stopped su would keep one). */
static int make_connection(void *ctx, enum nsiso_failure *failure, char *why, size_t len)
{
	int fd = connect_bus();

	(void)failure;
	(void)why;
	(void)len;
	if (ctx)
		*(int *)ctx = dup(fd);
	return fd;
}

/* The caller, as su is: in the user's cgroup, real uid the user's,
 * effective 0; it connects and hands the connection to the helper. */
static pid_t start_caller(void)
{
	pid_t p = fork();

	if (p == 0) {
		char self[16], *argv[] = { HELPER_PATH, "scope", "--user", "root", "--uid", "0",
					   "--caller", self, "--session", "0123456789abcdef", NULL };
		enum nsiso_failure failure;
		char why[256];

		write_file(user_cg, "cgroup.procs", "0");
		if (setresuid(USER_UID, 0, 0) != 0)
			_exit(100);
		snprintf(self, sizeof(self), "%d", (int)getpid());
		_exit(nsiso_run_helper_with(HELPER_PATH, argv, make_connection, NULL, 20000,
					    &failure, why, sizeof(why)) == 0 ? 0 : 1);
	}
	return p;
}

/* The caller's one child: the helper. */
static pid_t helper_of(pid_t parent)
{
	char path[64], text[64] = "";
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)parent, (int)parent);
	for (i = 0; i < 1000; i++) {
		f = fopen(path, "r");
		if (f) {
			if (!fgets(text, sizeof(text), f))
				text[0] = '\0';
			fclose(f);
		}
		if (text[0] >= '1' && text[0] <= '9')
			return (pid_t)atoi(text);
		usleep(10000);
	}
	return -1;
}

static bool has_line(const char *path, const char *line)
{
	char text[256];
	FILE *f = fopen(path, "r");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(text, sizeof(text), f))
		found = strcmp(text, line) == 0;
	fclose(f);
	return found;
}

static int kill_as_user(pid_t pid, int sig)
{
	pid_t p = fork();
	int status;

	if (p == 0) {
		if (setresgid(USER_UID, USER_UID, USER_UID) != 0 ||
		    setresuid(USER_UID, USER_UID, USER_UID) != 0)
			_exit(100);
		_exit(kill(pid, sig) == 0 ? 0 : errno);
	}
	waitpid(p, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool gone_within(pid_t pid, int ms)
{
	char path[32];
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (i = 0; i < ms / 10; i++) {
		FILE *f = fopen(path, "r");
		char state = '?';

		if (!f)
			return true;
		if (fscanf(f, "%*d %*s %c", &state) != 1)
			state = '?';
		fclose(f);
		if (state == 'Z')
			return true;
		usleep(10000);
	}
	return false;
}

/* The attack of a review of 3d295fd: su started in a cgroup its user can
 * write, frozen there with its user's own hand, and stopped.  The helper
 * speaks on the bus only once it has left that cgroup; the user can neither
 * freeze it nor signal it; when it is done nothing holds the connection,
 * the frozen and stopped caller included. */
UNIT_TEST_IN(the_helper_talks_out_of_the_users_reach, make_user_cgroup, remove_user_cgroup)
{
	char buf[64], own[160];
	int conn;
	ssize_t n;

	caller = start_caller();
	assert_true(caller > 0);
	conn = accept(listener, NULL, NULL);
	assert_true(conn >= 0);
	/* Its first words: the authentication, from the helper. */
	n = read(conn, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	helper = helper_of(caller);
	assert_true(helper > 0);
	snprintf(own, sizeof(own), "/proc/%d/cgroup", (int)helper);
	printf("# helper %d; the caller %d in %s\n", (int)helper, (int)caller, user_cg);
	assert_true(has_line(own, "0::/\n"));
	/* The user freezes their cgroup and stops su: the helper is in
	 * neither's reach. */
	write_file(user_cg, "cgroup.freeze", "1");
	assert_int_equal(kill_as_user(caller, SIGSTOP), 0);
	assert_int_equal(kill_as_user(helper, SIGSTOP), EPERM);
	/* The bus never answers: the helper ends at its own deadline (its
	 * caller, frozen and stopped, will not kill it), and the connection
	 * with it. */
	assert_true(gone_within(helper, 20000));
	do
		n = read(conn, buf, sizeof(buf));
	while (n > 0);
	assert_int_equal(n, 0);
	close(conn);
}

/* Against a real dbus-daemon (no systemd on it): the helper's call is
 * denied, and the connection has ended for a copy the caller kept too, as
 * a stopped su would have. */
UNIT_TEST_IN(the_helper_ends_the_connection_for_every_copy, start_bus, stop_bus)
{
	char self[16], *argv[] = { HELPER_PATH, "scope", "--user", "root", "--uid", "0",
				   "--caller", self, "--session", "0123456789abcdef", NULL };
	enum nsiso_failure failure = NSISO_FAIL_HOST;
	char why[256] = "", byte;
	int kept = -1;

	snprintf(self, sizeof(self), "%d", (int)getpid());
	assert_int_equal(nsiso_run_helper_with(HELPER_PATH, argv, make_connection, &kept, 20000,
					       &failure, why, sizeof(why)), -1);
	assert_true(kept >= 0);
	printf("# the helper: \"%s\"\n", why);
	assert_int_equal(failure, NSISO_FAIL_DENY);
	assert_non_null(strstr(why, "cannot start a scope"));
	assert_int_equal(recv(kept, &byte, 1, MSG_DONTWAIT), 0);
	close(kept);
}
