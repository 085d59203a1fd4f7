/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The module's return codes through the real libpam (Linux-PAM's
 * tst-*-retval habit): a service file in a temp dir and pam_start_confdir.
 * libpam turns a lone PAM_IGNORE into PAM_PERM_DENIED, so the stack makes
 * every outcome visible: success jumps to pam_permit, PAM_IGNORE falls
 * through to pam_debug returning PAM_CRED_UNAVAIL (our marker for
 * "ignored"), anything else ends the stack with the module's own code.
 * libpam replays open's control decisions at close (its "frozen chain"), so
 * close codes are asserted only where open took the same path, plus on a
 * handle whose session was never opened.  Runs as root with the built
 * helper. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "unit_files.h"

UNIT_NEEDS_ROOT

#ifndef MODULE_PATH
#error "MODULE_PATH must point at the built pam_nsiso.so"
#endif
#ifndef HELPER_PATH
#error "HELPER_PATH must point at the built nsiso-helper"
#endif

#define STACK_HEAD "session [success=1 ignore=ignore default=die] " MODULE_PATH
#define STACK_TAIL "session [default=die] pam_debug.so open_session=cred_unavail " \
		   "close_session=cred_unavail\n" \
		   "session required pam_permit.so\n"
#define IGNORED PAM_CRED_UNAVAIL

static const struct pam_conv conv = { NULL, NULL };

static void write_text(const char *name, const char *text, mode_t mode)
{
	assert_int_equal(chmod(unit_write_file(unit_dir, name, text), mode), 0);
}

/* A service "svc" using the module with conf=<dir>/nsiso.conf holding
 * conf_text (NULL: conf=<dir>/absent.conf, which is not there) and extra
 * args. */
static void write_service(const char *conf_text, const char *extra_args)
{
	char service[1024];

	if (conf_text)
		write_text("nsiso.conf", conf_text, 0644);
	/* No broker (nothing listens there): these cases are about the helper
	 * and the module's answers, whatever runs on the host. */
	snprintf(service, sizeof(service), "%s conf=%s/%s run_dir=%s/run broker=%s/no-broker.sock %s\n%s",
		 STACK_HEAD, unit_dir, conf_text ? "nsiso.conf" : "absent.conf", unit_dir, unit_dir,
		 extra_args, STACK_TAIL);
	write_text("svc", service, 0644);
}

static int open_close(const char *user, int *close_ret)
{
	pam_handle_t *pamh = NULL;
	int ret;

	assert_int_equal(pam_start_confdir("svc", user, &conv, unit_dir, &pamh), PAM_SUCCESS);
	ret = pam_open_session(pamh, 0);
	*close_ret = pam_close_session(pamh, 0);
	pam_end(pamh, ret);
	return ret;
}

static const char helper_arg[] = "helper=" HELPER_PATH;

/* One login: its conf (NULL: none), the user, the code open gives. */
struct login {
	const char *conf, *user;
	int open;
};

/* A case: one or two logins through the built helper, or through
 * <dir>/<helper>: a copy of it with helper_mode, or (mode 0) nothing.
 * close_too: close gives what open gave (where open took the path close
 * replays). */
struct retval_case {
	const char *name, *helper;
	mode_t helper_mode;
	bool close_too;
	struct login logins[2];
};

static const struct retval_case cases[] = {
	{ "user_without_rule_is_ignored", .close_too = true, .logins = {
		{ "nosuchuser-nsiso isolate uts\n", "root", IGNORED } } },
	{ "exempt_user_is_ignored", .logins = { { "* isolate uts\nroot exempt yes\n", "root", IGNORED } } },
	{ "isolate_none_without_limit_is_ignored", .logins = {
		{ "* isolate uts\nroot isolate none\n", "root", IGNORED } } },
	/* root is never locked out by a broken conf */
	{ "bad_conf_denies", .logins = {
		{ "* isolate uts\n* nonsense 1\n", "nobody", PAM_SESSION_ERR },
		{ "* isolate uts\n* nonsense 1\n", "root", IGNORED } } },
	{ "missing_conf_denies", .logins = { { NULL, "nobody", PAM_SESSION_ERR } } },
	{ "unknown_user_is_user_unknown", .logins = {
		{ "* isolate uts\n", "no-such-user-nsiso", PAM_USER_UNKNOWN } } },
	{ "missing_helper_follows_on_error", .helper = "absent-helper", .logins = {
		{ "root isolate uts\n", "root", PAM_SESSION_ERR },
		{ "root isolate uts\nroot on_error allow\n", "root", PAM_SUCCESS } } },
	{ "helper_writable_by_others_is_refused", .helper = "helper", .helper_mode = 0757, .logins = {
		{ "root isolate uts\n", "root", PAM_SESSION_ERR } } },
	{ "hostname_template_invalid_for_user_denies", .logins = {
		{ "* isolate uts\n* hostname bad_%u\n", "nobody", PAM_SESSION_ERR },
		{ "* isolate uts\n* hostname bad_%u\n* on_error allow\n", "nobody", PAM_SUCCESS } } },
	/* Rules that cannot be applied to root let root through, unisolated,
	 * as a broken conf does: no template or limit locks root out. */
	{ "root_is_let_through_when_rules_fail_for_root", .logins = {
		{ "* isolate uts\n* hostname bad_%u\n", "root", IGNORED } } },
	/* Exempt means exempt: nothing else is worked out for an exempt user,
	 * so a template that is invalid for them does not deny them; _apt
	 * (uid 42 on Debian) cannot be in a host name. */
	{ "exempt_user_is_ignored_whatever_the_template", .logins = {
		{ "root exempt yes\n* isolate uts,ipc,mnt,pid\n* hostname lab_%U\n", "root", IGNORED },
		{ ":999 exempt yes\n* isolate uts\n* hostname lab-%u\n", "_apt", IGNORED } } },
	/* cgroup_mode systemd outside a systemd user slice (this test's case):
	 * a clear failure, handled per on_error, and nothing started. */
	{ "systemd_mode_without_pam_systemd_follows_on_error", .logins = {
		{ "root memory 1G\nroot cgroup_mode systemd\n", "root", PAM_SESSION_ERR },
		{ "root memory 1G\nroot cgroup_mode systemd\nroot on_error allow\n", "root", PAM_SUCCESS } } },
};

/* The helper= argument of a case, and its copy of the helper if it has one. */
static void helper_of(const struct retval_case *c, char *args, size_t len)
{
	char cmd[512];

	if (!c->helper) {
		snprintf(args, len, "%s", helper_arg);
		return;
	}
	snprintf(args, len, "helper=%s/%s", unit_dir, c->helper);
	if (c->helper_mode == 0)
		return;
	snprintf(cmd, sizeof(cmd), "cp %s %s/%s && chmod %o %s/%s", HELPER_PATH, unit_dir, c->helper,
		 (unsigned)c->helper_mode, unit_dir, c->helper);
	assert_int_equal(system(cmd), 0);
}

/* A row of cases, its logins in order; a failure names the login. */
static void run_case(void **state)
{
	const struct retval_case *c = *state;
	const struct login *l;
	char args[256];
	int ret, close_ret;

	helper_of(c, args, sizeof(args));
	for (l = c->logins; l < c->logins + UNIT_ARRAY_SIZE(c->logins) && l->user; l++) {
		write_service(l->conf, args);
		ret = open_close(l->user, &close_ret);
		if (ret != l->open)
			fail_msg("login %d as %s: open gave %d, not %d", (int)(l - c->logins) + 1,
				 l->user, ret, l->open);
		if (c->close_too && close_ret != l->open)
			fail_msg("login %d as %s: close gave %d, not %d", (int)(l - c->logins) + 1,
				 l->user, close_ret, l->open);
	}
}

UNIT_ROWS(run_case, cases, unit_make_dir, unit_remove_dir)

UNIT_FILE_TEST(close_without_open_is_ignored)
{
	pam_handle_t *pamh = NULL;

	write_service("root isolate uts\n", helper_arg);
	assert_int_equal(pam_start_confdir("svc", "root", &conv, unit_dir, &pamh), PAM_SUCCESS);
	assert_int_equal(pam_close_session(pamh, 0), IGNORED);
	pam_end(pamh, PAM_SUCCESS);
}

/* The real thing: the helper makes a holder, we join its UTS namespace
 * (seen through gethostname) and leave it again at close. */
UNIT_FILE_TEST(isolated_session_opens_and_closes)
{
	char before[65], inside[65], after[65];
	pam_handle_t *pamh = NULL;

	write_service("root isolate uts,ipc\nroot hostname retval-%U\n", helper_arg);
	assert_int_equal(gethostname(before, sizeof(before)), 0);
	assert_int_equal(pam_start_confdir("svc", "root", &conv, unit_dir, &pamh), PAM_SUCCESS);
	assert_int_equal(pam_open_session(pamh, 0), PAM_SUCCESS);
	assert_int_equal(gethostname(inside, sizeof(inside)), 0);
	assert_string_equal(inside, "retval-0");
	assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
	assert_int_equal(gethostname(after, sizeof(after)), 0);
	assert_string_equal(after, before);
	pam_end(pamh, PAM_SUCCESS);
}

/* open as PAM service name (a copy of "svc"), then close. */
static int open_close_as(const char *service, const char *user)
{
	char from[512], to[512];
	pam_handle_t *pamh = NULL;
	int ret;

	snprintf(from, sizeof(from), "%s/svc", unit_dir);
	snprintf(to, sizeof(to), "%s/%s", unit_dir, service);
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(pam_start_confdir(service, user, &conv, unit_dir, &pamh), PAM_SUCCESS);
	ret = pam_open_session(pamh, 0);
	pam_close_session(pamh, 0);
	pam_end(pamh, ret);
	return ret;
}

/* The user's systemd manager (PAM service systemd-user) is refused, whatever
 * on_error says, unless systemd keeps it under the user's limits: for an
 * isolated user, and with cgroup_mode own.  With cgroup_mode systemd it is
 * not refused: outside a user slice (this test's case) the open fails as
 * any other, and on_error allow lets it through. */
UNIT_FILE_TEST(user_manager_refused_unless_its_slice_is_limited)
{
	write_service("root isolate uts\nroot on_error allow\n", helper_arg);
	assert_int_equal(open_close_as("systemd-user", "root"), PAM_SESSION_ERR);
	write_service("root memory 1G\nroot cgroup_mode own\nroot on_error allow\n", helper_arg);
	assert_int_equal(open_close_as("systemd-user", "root"), PAM_SESSION_ERR);
	write_service("root memory 1G\nroot cgroup_mode systemd\nroot on_error allow\n", helper_arg);
	assert_int_equal(open_close_as("systemd-user", "root"), PAM_SUCCESS);
}

/* A setuid application run by a user (real uid theirs) that lets them name
 * its service "systemd-user" is not the user's manager: an isolated user's
 * session opens as any login would, where the manager is refused. */
UNIT_FILE_TEST(user_manager_is_opened_by_root)
{
	pid_t child;
	int status = -1;

	write_service("root isolate uts\nroot on_error deny\n", helper_arg);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char from[512], to[512];
		pam_handle_t *pamh = NULL;
		int ret;

		snprintf(from, sizeof(from), "%s/svc", unit_dir);
		snprintf(to, sizeof(to), "%s/systemd-user", unit_dir);
		if (setresuid(65534, 0, 0) != 0 || rename(from, to) != 0 ||
		    pam_start_confdir("systemd-user", "root", &conv, unit_dir, &pamh) != PAM_SUCCESS)
			_exit(3);
		ret = pam_open_session(pamh, 0);
		if (ret == PAM_SUCCESS)
			ret = pam_close_session(pamh, 0);
		pam_end(pamh, ret);
		_exit(ret == PAM_SUCCESS ? 0 : 1);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}
