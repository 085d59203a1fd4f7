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
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "unit_files.h"

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

/* A service "svc" using the module with conf=<dir>/nsiso.conf and extra args. */
static void write_service(const char *conf_text, const char *extra_args)
{
	char service[1024];

	write_text("nsiso.conf", conf_text, 0644);
	snprintf(service, sizeof(service), "%s conf=%s/nsiso.conf run_dir=%s/run %s\n%s",
		 STACK_HEAD, unit_dir, unit_dir, extra_args, STACK_TAIL);
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

static void user_without_rule_is_ignored(void **state)
{
	int close_ret;

	(void)state;
	write_service("nosuchuser-nsiso isolate uts\n", helper_arg);
	assert_int_equal(open_close("root", &close_ret), IGNORED);
	assert_int_equal(close_ret, IGNORED);
}

static void exempt_user_is_ignored(void **state)
{
	int close_ret;

	(void)state;
	write_service("* isolate uts\nroot exempt yes\n", helper_arg);
	assert_int_equal(open_close("root", &close_ret), IGNORED);
}

static void isolate_none_without_limit_is_ignored(void **state)
{
	int close_ret;

	(void)state;
	write_service("* isolate uts\nroot isolate none\n", helper_arg);
	assert_int_equal(open_close("root", &close_ret), IGNORED);
}

static void bad_conf_denies(void **state)
{
	int close_ret;

	(void)state;
	write_service("* isolate uts\n* nonsense 1\n", helper_arg);
	assert_int_equal(open_close("nobody", &close_ret), PAM_SESSION_ERR);
	/* root is never locked out by a broken conf */
	assert_int_equal(open_close("root", &close_ret), IGNORED);
}

static void close_without_open_is_ignored(void **state)
{
	pam_handle_t *pamh = NULL;

	(void)state;
	write_service("root isolate uts\n", helper_arg);
	assert_int_equal(pam_start_confdir("svc", "root", &conv, unit_dir, &pamh), PAM_SUCCESS);
	assert_int_equal(pam_close_session(pamh, 0), IGNORED);
	pam_end(pamh, PAM_SUCCESS);
}

static void missing_conf_denies(void **state)
{
	char service[512];
	int close_ret;

	(void)state;
	snprintf(service, sizeof(service), "%s conf=%s/absent.conf run_dir=%s/run %s\n%s",
		 STACK_HEAD, unit_dir, unit_dir, helper_arg, STACK_TAIL);
	write_text("svc", service, 0644);
	assert_int_equal(open_close("nobody", &close_ret), PAM_SESSION_ERR);
}

static void unknown_user_is_user_unknown(void **state)
{
	int close_ret;

	(void)state;
	write_service("* isolate uts\n", helper_arg);
	assert_int_equal(open_close("no-such-user-nsiso", &close_ret), PAM_USER_UNKNOWN);
}

static void missing_helper_follows_on_error(void **state)
{
	char args[256];
	int close_ret;

	(void)state;
	snprintf(args, sizeof(args), "helper=%s/absent-helper", unit_dir);
	write_service("root isolate uts\n", args);
	assert_int_equal(open_close("root", &close_ret), PAM_SESSION_ERR);
	write_service("root isolate uts\nroot on_error allow\n", args);
	assert_int_equal(open_close("root", &close_ret), PAM_SUCCESS);
}

static void helper_writable_by_others_is_refused(void **state)
{
	char args[256], cmd[512];
	int close_ret;

	(void)state;
	snprintf(cmd, sizeof(cmd), "cp %s %s/helper && chmod 0757 %s/helper", HELPER_PATH, unit_dir, unit_dir);
	assert_int_equal(system(cmd), 0);
	snprintf(args, sizeof(args), "helper=%s/helper", unit_dir);
	write_service("root isolate uts\n", args);
	assert_int_equal(open_close("root", &close_ret), PAM_SESSION_ERR);
}

static void hostname_template_invalid_for_user_denies(void **state)
{
	int close_ret;

	(void)state;
	write_service("* isolate uts\n* hostname bad_%u\n", helper_arg);
	assert_int_equal(open_close("nobody", &close_ret), PAM_SESSION_ERR);
	write_service("* isolate uts\n* hostname bad_%u\n* on_error allow\n", helper_arg);
	assert_int_equal(open_close("nobody", &close_ret), PAM_SUCCESS);
}

/* Rules that cannot be applied to root let root through, unisolated, as a
 * broken conf does: no template or limit locks root out. */
static void root_is_let_through_when_rules_fail_for_root(void **state)
{
	int close_ret;

	(void)state;
	write_service("* isolate uts\n* hostname bad_%u\n", helper_arg);
	assert_int_equal(open_close("root", &close_ret), IGNORED);
}

/* Exempt means exempt: nothing else is worked out for an exempt user, so a
 * template that is invalid for them does not deny them. */
static void exempt_user_is_ignored_whatever_the_template(void **state)
{
	int close_ret;

	(void)state;
	write_service("root exempt yes\n* isolate uts,ipc,mnt,pid\n* hostname lab_%U\n", helper_arg);
	assert_int_equal(open_close("root", &close_ret), IGNORED);
	/* _apt (uid 42 on Debian) cannot be in a host name. */
	write_service(":999 exempt yes\n* isolate uts\n* hostname lab-%u\n", helper_arg);
	assert_int_equal(open_close("_apt", &close_ret), IGNORED);
}

/* cgroup_mode systemd outside a systemd user slice (this test's case):
 * a clear failure, handled per on_error, and nothing started. */
static void systemd_mode_without_pam_systemd_follows_on_error(void **state)
{
	int close_ret;

	(void)state;
	write_service("root memory 1G\nroot cgroup_mode systemd\n", helper_arg);
	assert_int_equal(open_close("root", &close_ret), PAM_SESSION_ERR);
	write_service("root memory 1G\nroot cgroup_mode systemd\nroot on_error allow\n", helper_arg);
	assert_int_equal(open_close("root", &close_ret), PAM_SUCCESS);
}

/* The real thing: the helper makes a holder, we join its UTS namespace
 * (seen through gethostname) and leave it again at close. */
static void isolated_session_opens_and_closes(void **state)
{
	char before[65], inside[65], after[65];
	pam_handle_t *pamh = NULL;

	(void)state;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(user_without_rule_is_ignored, unit_make_dir, unit_remove_dir),
		cmocka_unit_test_setup_teardown(exempt_user_is_ignored, unit_make_dir, unit_remove_dir),
		cmocka_unit_test_setup_teardown(isolate_none_without_limit_is_ignored, unit_make_dir, unit_remove_dir),
		cmocka_unit_test_setup_teardown(bad_conf_denies, unit_make_dir, unit_remove_dir),
		cmocka_unit_test_setup_teardown(missing_conf_denies, unit_make_dir, unit_remove_dir),
		cmocka_unit_test_setup_teardown(close_without_open_is_ignored, unit_make_dir, unit_remove_dir),
		cmocka_unit_test_setup_teardown(unknown_user_is_user_unknown, unit_make_dir, unit_remove_dir),
		cmocka_unit_test_setup_teardown(missing_helper_follows_on_error, unit_make_dir, unit_remove_dir),
		cmocka_unit_test_setup_teardown(helper_writable_by_others_is_refused, unit_make_dir, unit_remove_dir),
		cmocka_unit_test_setup_teardown(hostname_template_invalid_for_user_denies, unit_make_dir, unit_remove_dir),
		cmocka_unit_test_setup_teardown(root_is_let_through_when_rules_fail_for_root,
						unit_make_dir, unit_remove_dir),
		cmocka_unit_test_setup_teardown(exempt_user_is_ignored_whatever_the_template,
						unit_make_dir, unit_remove_dir),
		cmocka_unit_test_setup_teardown(systemd_mode_without_pam_systemd_follows_on_error,
						unit_make_dir, unit_remove_dir),
		cmocka_unit_test_setup_teardown(isolated_session_opens_and_closes, unit_make_dir, unit_remove_dir),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_retval needs root\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
