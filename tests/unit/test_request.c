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

static struct nsiso_request in, out;
static struct nsiso_request_args args;
static char why[256];

/* in, encoded (the helper at path), must decode into out. */
static void round_trip(const char *path)
{
	nsiso_request_encode(&in, path, &args);
	assert_null(args.argv[args.argc]);
	assert_null(nsiso_request_decode(args.argc, args.argv, &out, why, sizeof(why)));
}

/* What is empty or unset is not sent: none of names in the encoded vector. */
static void none_sent(const char *const *names)
{
	int i, n;

	for (i = 0; i < args.argc; i++)
		for (n = 0; names[n]; n++)
			assert_string_not_equal(args.argv[i], names[n]);
}

UNIT_TEST(round_trip_keeps_every_field)
{
	full_request(&in);
	round_trip("/usr/libexec/nsiso-helper");
	assert_string_equal(args.argv[0], "/usr/libexec/nsiso-helper");
	assert_string_equal(args.argv[1], "open");
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
	static const char *const unsent[] = {
		"--isolate", "--rhost", "--cgroup-parent", "--private-tmp", NULL
	};

	full_request(&in);
	in.isolate = 0;
	in.hostname = "";
	in.service = in.tty = in.rhost = "";
	in.systemd_unit = "user-1000.slice";
	in.private_tmp = NSISO_PRIVATE_TMP_YES;	/* goes only with namespaces */
	in.debug = false;
	round_trip("helper");
	none_sent(unsent);
	assert_int_equal(out.isolate, 0);
	assert_int_equal(out.private_tmp, NSISO_PRIVATE_TMP_NO);
	assert_string_equal(out.systemd_unit, "user-1000.slice");
	assert_string_equal(out.rhost, "");
	assert_false(out.debug);
}

/* Decode "helper open WORDS..." (words NULL-terminated) into r; the reason
 * it is refused, or NULL. */
static const char *decode_into(struct nsiso_request *r, const char *const *words)
{
	char *argv[32] = { "helper", "open" };
	int argc = 2;

	while (words[argc - 2]) {
		assert_true(argc < 31);
		argv[argc] = (char *)words[argc - 2];
		argc++;
	}
	return nsiso_request_decode(argc, argv, r, why, sizeof(why));
}

/* words must be refused for the reason want, or (want NULL) accepted. */
static void expect_reason(const char *const *words, const char *want)
{
	struct nsiso_request r;
	const char *got = decode_into(&r, words);

	if (want ? !got || strcmp(got, want) != 0 : got != NULL)
		fail_msg("helper open %s ...: \"%s\", not \"%s\"", words[0],
			 got ? got : "(accepted)", want ? want : "(accepted)");
}

/* memory_high, cpu and the weights are sent only when set; each one alone
 * is a request for a cgroup. */
UNIT_TEST(unset_cpu_io_limits_are_not_sent)
{
	static const char *const unsent[] = {
		"--memory-high", "--cpu", "--cpu-weight", "--io-weight", NULL
	};

	full_request(&in);
	in.limits = NSISO_CGROUP_LIMITS_NONE;
	round_trip("helper");
	none_sent(unsent);
	assert_memory_equal(&out.limits, &in.limits, sizeof(in.limits));
	assert_null(decode_into(&out, (const char *[]){ "--cpu-weight", "1", NULL }));
	assert_true(out.use_cgroup);
	assert_int_equal(out.limits.cpu_weight, 1);
	assert_true(out.limits.cpu == NSISO_UNLIMITED);
}

#define BAD_ARGUMENTS "invalid arguments (see nsiso-helper --help)"
#define MIN_REASON "memory limit must be at least 16M (a session needs 4M of it free to start)"

/* Argument vectors after "helper open", and the reason each is refused
 * for (NULL: accepted). */
static const struct {
	const char *words[6], *reason;
} vectors[] = {
	{ { "--us", "x" }, "invalid option '--us': use the full name --user" },
	{ { "--s", "x" }, BAD_ARGUMENTS },
	{ { "--user", "a", "--user", "b" }, "option --user given twice" },
	{ { "--user" }, BAD_ARGUMENTS },
	{ { "--debug=1" }, BAD_ARGUMENTS },
	{ { "stray" }, "unexpected argument 'stray'" },
	{ { "--", "x" }, "unexpected argument 'x'" },
	{ { "-u" }, BAD_ARGUMENTS },
	{ { "--uid", "-1" }, "invalid --uid '-1'" },
	{ { "--uid", "4294967295" }, "invalid --uid '4294967295'" },
	{ { "--memory", "0x10" }, "invalid --memory '0x10': expected a number of bytes or max" },
	{ { "--memory", "0" }, "invalid --memory '0': " MIN_REASON },
	{ { "--tasks", "4194305" }, "invalid --tasks '4194305': expected 1..4194304 or max" },
	{ { "--cpu", "0" }, "invalid --cpu '0': expected 1..1000000 or max" },
	{ { "--cpu", "1000001" }, "invalid --cpu '1000001': expected 1..1000000 or max" },
	{ { "--cpu", "50%" }, "invalid --cpu '50%': expected 1..1000000 or max" },
	{ { "--cpu-weight", "10001" }, "invalid --cpu-weight '10001': expected 1..10000" },
	{ { "--io-weight", "max" }, "invalid --io-weight 'max': expected 1..10000" },
	{ { "--io-weight", "-1" }, "invalid --io-weight '-1': expected 1..10000" },
	{ { "--memory-high", "0" }, "invalid --memory-high '0': expected 1..9223372036854775807 or max" },
	{ { "--memory-high", "99999999999999999999" },
	  "invalid --memory-high '99999999999999999999': expected 1..9223372036854775807 or max" },
	{ { "--cpu-w", "5" }, "invalid option '--cpu-w': use the full name --cpu-weight" },
	{ { "--cpu", "5", "--cpu", "6" }, "option --cpu given twice" },
	{ { "--cpu=max", "--memory-high=max" }, NULL },
	{ { "--on-logout", "later" }, "invalid --on-logout 'later': expected kill or keep" },
	{ { "--private-tmp", "on" }, "invalid --private-tmp 'on': expected no, yes or keep" },
	{ { "--run-dir", "run" }, "invalid --run-dir 'run': expected an absolute path" },
	{ { "--user=alice", "--uid=0", "--" }, NULL },
};

UNIT_TEST(malformed_vectors_are_refused_with_a_reason)
{
	size_t i;

	for (i = 0; i < UNIT_ARRAY_SIZE(vectors); i++)
		expect_reason(vectors[i].words, vectors[i].reason);
}

/* The helper run by hand gets no smaller memory limit than a conf can give:
 * the boundary, in bytes, is the conf parser's, with the conf's reason. */
UNIT_TEST(memory_below_the_conf_minimum_is_refused)
{
	char below[32], at[32], conf_error[256];
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
	expect_reason((const char *[]){ "--memory", below, NULL },
		      "invalid --memory '16777215': " MIN_REASON);
	expect_reason((const char *[]){ "--memory", "1048576", NULL },
		      "invalid --memory '1048576': " MIN_REASON);
	expect_reason((const char *[]){ "--memory", at, NULL }, NULL);
	expect_reason((const char *[]){ "--memory", "max", NULL }, NULL);
}
