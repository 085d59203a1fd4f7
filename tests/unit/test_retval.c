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

UNIT_FILE_TEST(user_without_rule_is_ignored)
{
	int close_ret;

	write_service("nosuchuser-nsiso isolate uts\n", helper_arg);
	assert_int_equal(open_close("root", &close_ret), IGNORED);
	assert_int_equal(close_ret, IGNORED);
}

UNIT_FILE_TEST(exempt_user_is_ignored)
{
	int close_ret;

	write_service("* isolate uts\nroot exempt yes\n", helper_arg);
	assert_int_equal(open_close("root", &close_ret), IGNORED);
}

UNIT_FILE_TEST(isolate_none_without_limit_is_ignored)
{
	int close_ret;

	write_service("* isolate uts\nroot isolate none\n", helper_arg);
	assert_int_equal(open_close("root", &close_ret), IGNORED);
}

UNIT_FILE_TEST(bad_conf_denies)
{
	int close_ret;

	write_service("* isolate uts\n* nonsense 1\n", helper_arg);
	assert_int_equal(open_close("nobody", &close_ret), PAM_SESSION_ERR);
	/* root is never locked out by a broken conf */
	assert_int_equal(open_close("root", &close_ret), IGNORED);
}

UNIT_FILE_TEST(close_without_open_is_ignored)
{
	pam_handle_t *pamh = NULL;

	write_service("root isolate uts\n", helper_arg);
	assert_int_equal(pam_start_confdir("svc", "root", &conv, unit_dir, &pamh), PAM_SUCCESS);
	assert_int_equal(pam_close_session(pamh, 0), IGNORED);
	pam_end(pamh, PAM_SUCCESS);
}

UNIT_FILE_TEST(missing_conf_denies)
{
	char service[512];
	int close_ret;

	snprintf(service, sizeof(service), "%s conf=%s/absent.conf run_dir=%s/run %s\n%s",
		 STACK_HEAD, unit_dir, unit_dir, helper_arg, STACK_TAIL);
	write_text("svc", service, 0644);
	assert_int_equal(open_close("nobody", &close_ret), PAM_SESSION_ERR);
}

UNIT_FILE_TEST(unknown_user_is_user_unknown)
{
	int close_ret;

	write_service("* isolate uts\n", helper_arg);
	assert_int_equal(open_close("no-such-user-nsiso", &close_ret), PAM_USER_UNKNOWN);
}

UNIT_FILE_TEST(missing_helper_follows_on_error)
{
	char args[256];
	int close_ret;

	snprintf(args, sizeof(args), "helper=%s/absent-helper", unit_dir);
	write_service("root isolate uts\n", args);
	assert_int_equal(open_close("root", &close_ret), PAM_SESSION_ERR);
	write_service("root isolate uts\nroot on_error allow\n", args);
	assert_int_equal(open_close("root", &close_ret), PAM_SUCCESS);
}

UNIT_FILE_TEST(helper_writable_by_others_is_refused)
{
	char args[256], cmd[512];
	int close_ret;

	snprintf(cmd, sizeof(cmd), "cp %s %s/helper && chmod 0757 %s/helper", HELPER_PATH, unit_dir, unit_dir);
	assert_int_equal(system(cmd), 0);
	snprintf(args, sizeof(args), "helper=%s/helper", unit_dir);
	write_service("root isolate uts\n", args);
	assert_int_equal(open_close("root", &close_ret), PAM_SESSION_ERR);
}

UNIT_FILE_TEST(hostname_template_invalid_for_user_denies)
{
	int close_ret;

	write_service("* isolate uts\n* hostname bad_%u\n", helper_arg);
	assert_int_equal(open_close("nobody", &close_ret), PAM_SESSION_ERR);
	write_service("* isolate uts\n* hostname bad_%u\n* on_error allow\n", helper_arg);
	assert_int_equal(open_close("nobody", &close_ret), PAM_SUCCESS);
}

/* Rules that cannot be applied to root let root through, unisolated, as a
 * broken conf does: no template or limit locks root out. */
UNIT_FILE_TEST(root_is_let_through_when_rules_fail_for_root)
{
	int close_ret;

	write_service("* isolate uts\n* hostname bad_%u\n", helper_arg);
	assert_int_equal(open_close("root", &close_ret), IGNORED);
}

/* Exempt means exempt: nothing else is worked out for an exempt user, so a
 * template that is invalid for them does not deny them. */
UNIT_FILE_TEST(exempt_user_is_ignored_whatever_the_template)
{
	int close_ret;

	write_service("root exempt yes\n* isolate uts,ipc,mnt,pid\n* hostname lab_%U\n", helper_arg);
	assert_int_equal(open_close("root", &close_ret), IGNORED);
	/* _apt (uid 42 on Debian) cannot be in a host name. */
	write_service(":999 exempt yes\n* isolate uts\n* hostname lab-%u\n", helper_arg);
	assert_int_equal(open_close("_apt", &close_ret), IGNORED);
}

/* cgroup_mode systemd outside a systemd user slice (this test's case):
 * a clear failure, handled per on_error, and nothing started. */
UNIT_FILE_TEST(systemd_mode_without_pam_systemd_follows_on_error)
{
	int close_ret;

	write_service("root memory 1G\nroot cgroup_mode systemd\n", helper_arg);
	assert_int_equal(open_close("root", &close_ret), PAM_SESSION_ERR);
	write_service("root memory 1G\nroot cgroup_mode systemd\nroot on_error allow\n", helper_arg);
	assert_int_equal(open_close("root", &close_ret), PAM_SUCCESS);
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
