/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The module's request to the helper (common/request.c): every field
 * survives encode + decode, and each malformed argument vector is refused
 * with the message the helper reports (nsiso-helper(8), and
 * tests/adversarial/helper_abuse.sh which feeds it the real helper). */
#include <stdio.h>
#include <string.h>
#include "unit.h"

#include "../../common/conf.h"
#include "../../common/request.h"

static void full_request(struct nsiso_request *r)
{
	nsiso_request_init(r);
	r->user = "alice";
	r->uid = 1000;
	r->caller = 4242;
	r->session = "0123456789abcdef";
	r->isolate = NSISO_NS_UTS | NSISO_NS_IPC | NSISO_NS_MNT | NSISO_NS_PID | NSISO_NS_CGROUP;
	r->propagation_private = true;
	r->keep_on_logout = true;
	r->private_tmp = NSISO_PRIVATE_TMP_KEEP;
	r->hostname = "lab-alice";
	r->use_cgroup = true;
	r->limits = NSISO_CGROUP_LIMITS_NONE;
	r->limits.memory = 128ULL << 20;
	r->limits.tasks = 2048;
	r->limits.memory_high = 96ULL << 20;
	r->limits.cpu = 250;
	r->limits.cpu_weight = 400;
	r->limits.io_weight = 10000;
	r->cgroup_parent = "lab/nsiso";
	r->service = "sshd";
	r->tty = "ssh";
	r->rhost = "client.example";
	r->run_dir = "/run/nsiso-test";
	r->debug = true;
}

UNIT_TEST(round_trip_keeps_every_field)
{
	struct nsiso_request in, out;
	struct nsiso_request_args args;
	char why[256];

	full_request(&in);
	nsiso_request_encode(&in, "/usr/libexec/nsiso-helper", &args);
	assert_string_equal(args.argv[0], "/usr/libexec/nsiso-helper");
	assert_string_equal(args.argv[1], "open");
	assert_null(args.argv[args.argc]);
	assert_null(nsiso_request_decode(args.argc, args.argv, &out, why, sizeof(why)));
	assert_string_equal(out.user, "alice");
	assert_int_equal(out.uid, 1000);
	assert_int_equal(out.caller, 4242);
	assert_string_equal(out.session, in.session);
	assert_int_equal(out.isolate, in.isolate);
	assert_true(out.propagation_private);
	assert_true(out.keep_on_logout);
	assert_int_equal(out.private_tmp, NSISO_PRIVATE_TMP_KEEP);
	assert_string_equal(out.hostname, "lab-alice");
	assert_true(out.use_cgroup);
	assert_int_equal(out.limits.memory, 128ULL << 20);
	assert_true(out.limits.swap == NSISO_UNLIMITED);
	assert_int_equal(out.limits.tasks, 2048);
	assert_int_equal(out.limits.memory_high, 96ULL << 20);
	assert_int_equal(out.limits.cpu, 250);
	assert_int_equal(out.limits.cpu_weight, 400);
	assert_int_equal(out.limits.io_weight, 10000);
	assert_memory_equal(&out.limits, &in.limits, sizeof(in.limits));
	assert_string_equal(out.cgroup_parent, "lab/nsiso");
	assert_null(out.systemd_unit);
	assert_string_equal(out.service, "sshd");
	assert_string_equal(out.tty, "ssh");
	assert_string_equal(out.rhost, "client.example");
	assert_string_equal(out.run_dir, "/run/nsiso-test");
	assert_true(out.debug);
}

UNIT_TEST(round_trip_of_a_systemd_request_without_namespaces)
{
	struct nsiso_request in, out;
	struct nsiso_request_args args;
	char why[256];
	int i;

	full_request(&in);
	in.isolate = 0;
	in.hostname = "";
	in.service = in.tty = in.rhost = "";
	in.systemd_unit = "user-1000.slice";
	in.private_tmp = NSISO_PRIVATE_TMP_YES;	/* goes only with namespaces */
	in.debug = false;
	nsiso_request_encode(&in, "helper", &args);
	for (i = 0; i < args.argc; i++) {	/* what is empty is not sent */
		assert_string_not_equal(args.argv[i], "--isolate");
		assert_string_not_equal(args.argv[i], "--rhost");
		assert_string_not_equal(args.argv[i], "--cgroup-parent");
		assert_string_not_equal(args.argv[i], "--private-tmp");
	}
	assert_null(nsiso_request_decode(args.argc, args.argv, &out, why, sizeof(why)));
	assert_int_equal(out.isolate, 0);
	assert_int_equal(out.private_tmp, NSISO_PRIVATE_TMP_NO);
	assert_string_equal(out.systemd_unit, "user-1000.slice");
	assert_string_equal(out.rhost, "");
	assert_false(out.debug);
}

/* decode "helper open ARGS..." into r and return the reason (or NULL). */
static const char *vdecode(struct nsiso_request *r, char *why, size_t len, va_list ap)
{
	char *argv[32] = { "helper", "open" };
	int argc = 2;

	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	return nsiso_request_decode(argc, argv, r, why, len);
}

static const char *decode_into(struct nsiso_request *r, char *why, size_t len, ...)
{
	const char *bad;
	va_list ap;

	va_start(ap, len);
	bad = vdecode(r, why, len, ap);
	va_end(ap);
	return bad;
}

static const char *decode(char *why, size_t len, ...)
{
	struct nsiso_request r;
	const char *bad;
	va_list ap;

	va_start(ap, len);
	bad = vdecode(&r, why, len, ap);
	va_end(ap);
	return bad;
}

/* memory_high, cpu and the weights are sent only when set; each one alone
 * is a request for a cgroup. */
UNIT_TEST(unset_cpu_io_limits_are_not_sent)
{
	static const char *const names[] = { "--memory-high", "--cpu", "--cpu-weight", "--io-weight" };
	struct nsiso_request in, out;
	struct nsiso_request_args args;
	char why[256];
	size_t n;
	int i;

	full_request(&in);
	in.limits = NSISO_CGROUP_LIMITS_NONE;
	nsiso_request_encode(&in, "helper", &args);
	for (i = 0; i < args.argc; i++)
		for (n = 0; n < sizeof(names) / sizeof(names[0]); n++)
			assert_string_not_equal(args.argv[i], names[n]);
	assert_null(nsiso_request_decode(args.argc, args.argv, &out, why, sizeof(why)));
	assert_memory_equal(&out.limits, &in.limits, sizeof(in.limits));
	assert_null(decode_into(&out, why, sizeof(why), "--cpu-weight", "1", NULL));
	assert_true(out.use_cgroup);
	assert_int_equal(out.limits.cpu_weight, 1);
	assert_true(out.limits.cpu == NSISO_UNLIMITED);
}

UNIT_TEST(malformed_vectors_are_refused_with_a_reason)
{
	char why[256];

	assert_string_equal(decode(why, sizeof(why), "--us", "x", NULL),
			    "invalid option '--us': use the full name --user");
	assert_string_equal(decode(why, sizeof(why), "--s", "x", NULL),
			    "invalid arguments (see nsiso-helper --help)");
	assert_string_equal(decode(why, sizeof(why), "--user", "a", "--user", "b", NULL),
			    "option --user given twice");
	assert_string_equal(decode(why, sizeof(why), "--user", NULL),
			    "invalid arguments (see nsiso-helper --help)");
	assert_string_equal(decode(why, sizeof(why), "--debug=1", NULL),
			    "invalid arguments (see nsiso-helper --help)");
	assert_string_equal(decode(why, sizeof(why), "stray", NULL), "unexpected argument 'stray'");
	assert_string_equal(decode(why, sizeof(why), "--", "x", NULL), "unexpected argument 'x'");
	assert_string_equal(decode(why, sizeof(why), "-u", NULL),
			    "invalid arguments (see nsiso-helper --help)");
	assert_string_equal(decode(why, sizeof(why), "--uid", "-1", NULL), "invalid --uid '-1'");
	assert_string_equal(decode(why, sizeof(why), "--uid", "4294967295", NULL),
			    "invalid --uid '4294967295'");
	assert_string_equal(decode(why, sizeof(why), "--memory", "0x10", NULL),
			    "invalid --memory '0x10': expected a number of bytes or max");
	assert_string_equal(decode(why, sizeof(why), "--memory", "0", NULL),
			    "invalid --memory '0': memory limit must be at least 16M (a session "
			    "needs 4M of it free to start)");
	assert_string_equal(decode(why, sizeof(why), "--tasks", "4194305", NULL),
			    "invalid --tasks '4194305': expected 1..4194304 or max");
	assert_string_equal(decode(why, sizeof(why), "--cpu", "0", NULL),
			    "invalid --cpu '0': expected 1..1000000 or max");
	assert_string_equal(decode(why, sizeof(why), "--cpu", "1000001", NULL),
			    "invalid --cpu '1000001': expected 1..1000000 or max");
	assert_string_equal(decode(why, sizeof(why), "--cpu", "50%", NULL),
			    "invalid --cpu '50%': expected 1..1000000 or max");
	assert_string_equal(decode(why, sizeof(why), "--cpu-weight", "10001", NULL),
			    "invalid --cpu-weight '10001': expected 1..10000");
	assert_string_equal(decode(why, sizeof(why), "--io-weight", "max", NULL),
			    "invalid --io-weight 'max': expected 1..10000");
	assert_string_equal(decode(why, sizeof(why), "--io-weight", "-1", NULL),
			    "invalid --io-weight '-1': expected 1..10000");
	assert_string_equal(decode(why, sizeof(why), "--memory-high", "0", NULL),
			    "invalid --memory-high '0': expected 1..9223372036854775807 or max");
	assert_string_equal(decode(why, sizeof(why), "--memory-high", "99999999999999999999", NULL),
			    "invalid --memory-high '99999999999999999999': expected "
			    "1..9223372036854775807 or max");
	assert_string_equal(decode(why, sizeof(why), "--cpu-w", "5", NULL),
			    "invalid option '--cpu-w': use the full name --cpu-weight");
	assert_string_equal(decode(why, sizeof(why), "--cpu", "5", "--cpu", "6", NULL),
			    "option --cpu given twice");
	assert_null(decode(why, sizeof(why), "--cpu=max", "--memory-high=max", NULL));
	assert_string_equal(decode(why, sizeof(why), "--on-logout", "later", NULL),
			    "invalid --on-logout 'later': expected kill or keep");
	assert_string_equal(decode(why, sizeof(why), "--private-tmp", "on", NULL),
			    "invalid --private-tmp 'on': expected no, yes or keep");
	assert_string_equal(decode(why, sizeof(why), "--run-dir", "run", NULL),
			    "invalid --run-dir 'run': expected an absolute path");
	assert_null(decode(why, sizeof(why), "--user=alice", "--uid=0", "--", NULL));
}

/* The helper run by hand gets no smaller memory limit than a conf can give:
 * the boundary, in bytes, is the conf parser's, with the conf's reason. */
UNIT_TEST(memory_below_the_conf_minimum_is_refused)
{
#define MIN_REASON "memory limit must be at least 16M (a session needs 4M of it free to start)"
	char why[256], below[32], at[32], conf_error[256];
	struct nsiso_conf conf = { 0 };
	const char *line = "* memory 16777215\n";
	size_t errors;

	snprintf(below, sizeof(below), "%llu", NSISO_MEMORY_MIN - 1);
	snprintf(at, sizeof(at), "%llu", NSISO_MEMORY_MIN);
	nsiso_conf_parse_buffer(&conf, "min.conf", line, strlen(line));
	errors = nsiso_conf_error_count(&conf);
	snprintf(conf_error, sizeof(conf_error), "%s", errors ? nsiso_conf_error(&conf, 0) : "");
	nsiso_conf_free(&conf);
	assert_int_equal(errors, 1);
	assert_string_equal(conf_error, "min.conf:1: " MIN_REASON ": memory '16777215'");
	assert_string_equal(below, "16777215");
	assert_string_equal(decode(why, sizeof(why), "--memory", below, NULL),
			    "invalid --memory '16777215': " MIN_REASON);
	assert_string_equal(decode(why, sizeof(why), "--memory", "1048576", NULL),
			    "invalid --memory '1048576': " MIN_REASON);
	assert_null(decode(why, sizeof(why), "--memory", at, NULL));
	assert_null(decode(why, sizeof(why), "--memory", "max", NULL));
#undef MIN_REASON
}
