/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsiso.conf: parsing, precedence, error messages, file checks. */
#include "unit.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/conf.h"
#include "unit_files.h"

/* The conf a case parsed or loaded last, and what it resolved last. */
static struct nsiso_conf conf;
static struct nsiso_settings s;

/* teardown: the conf, whatever became of the case. */
static int free_conf(void **state)
{
	(void)state;
	nsiso_conf_free(&conf);
	return 0;
}

static int free_conf_and_dir(void **state)
{
	nsiso_conf_free(&conf);
	return unit_remove_dir(state);
}

#define CONF_TEST(name) UNIT_TEST_IN(name, NULL, free_conf)
#define CONF_FILE_TEST(name) UNIT_TEST_IN(name, unit_make_dir, free_conf_and_dir)

/* conf, from len bytes of text, as if read from file name. */
static void parse_named(const char *name, const char *text, size_t len)
{
	nsiso_conf_free(&conf);
	nsiso_conf_parse_buffer(&conf, name, text, len);
}

static void parse(const char *text)
{
	parse_named("test.conf", text, strlen(text));
}

/* Resolve into s for a user with no supplementary groups that matter. */
static void resolve(const char *name, uid_t uid)
{
	static const gid_t groups[] = { 4242424 };
	struct nsiso_user user = { name, uid, groups, 1 };

	assert_null(nsiso_conf_resolve(&conf, &user, &s, NULL));
}

/* What resolve made of a user: matched by a rule, exempt, given anything to
 * do (nsiso_settings_active). */
#define MATCHED 1u
#define EXEMPT 2u
#define ACTIVE 4u

/* Resolve into s for a user, and check all three of them against want. */
static void resolve_to(const char *name, uid_t uid, unsigned want)
{
	unsigned got;

	resolve(name, uid);
	got = (s.matched ? MATCHED : 0) | (s.exempt ? EXEMPT : 0) |
	      (nsiso_settings_active(&s) ? ACTIVE : 0);
	if (got != want)
		fail_msg("%s (uid %u): matched %d, exempt %d, active %d; not %d, %d, %d", name,
			 (unsigned)uid, !!(got & MATCHED), !!(got & EXEMPT), !!(got & ACTIVE),
			 !!(want & MATCHED), !!(want & EXEMPT), !!(want & ACTIVE));
}

static void first_error(const char *text, const char *expected)
{
	parse(text);
	assert_true(nsiso_conf_error_count(&conf) >= 1);
	assert_string_equal(nsiso_conf_error(&conf, 0), expected);
}

/* The items that are choices rather than limits, as s must hold them. */
struct choices {
	unsigned isolate;
	const char *hostname;
	enum nsiso_on_logout on_logout;
	enum nsiso_private_tmp private_tmp;
	enum nsiso_propagation propagation;
	enum nsiso_on_error on_error;
	const char *cgroup_parent;
	enum nsiso_cgroup_mode cgroup_mode;
};

static void expect_choices(const struct choices *want)
{
	assert_int_equal(s.isolate, want->isolate);
	assert_string_equal(s.hostname, want->hostname);
	assert_int_equal(s.on_logout, want->on_logout);
	assert_int_equal(s.private_tmp, want->private_tmp);
	assert_int_equal(s.propagation, want->propagation);
	assert_int_equal(s.on_error, want->on_error);
	assert_string_equal(s.cgroup_parent, want->cgroup_parent);
	assert_int_equal(s.cgroup_mode, want->cgroup_mode);
}

CONF_TEST(comments_blank_lines_and_all_items)
{
	parse("# a comment\n"
	      "\n"
	      "   \t\n"
	      "*   isolate  uts,ipc,mnt,pid,cgroup   # trailing comment\n"
	      "*   memory   512M\n"
	      "*   swap     0\n"
	      "*   tasks    200\n"
	      "*   memory_high 384M\n"
	      "*   cpu      250%\n"
	      "*   cpu_weight 400\n"
	      "*   io_weight 50\n"
	      "*   hostname lab-%u\n"
	      "*   on_logout keep\n"
	      "*   private_tmp keep\n"
	      "*   propagation private\n"
	      "*   on_error allow\n"
	      "*   exempt no\n"
	      "*   cgroup_parent lab/nsiso\n"
	      "*   cgroup_mode systemd\n");
	assert_int_equal(nsiso_conf_error_count(&conf), 0);
	resolve_to("alice", 1000, MATCHED | ACTIVE);	/* exempt no */
	expect_choices(&(struct choices){
		.isolate = NSISO_NS_UTS | NSISO_NS_IPC | NSISO_NS_MNT | NSISO_NS_PID | NSISO_NS_CGROUP,
		.hostname = "lab-alice", .on_logout = NSISO_LOGOUT_KEEP,
		.private_tmp = NSISO_PRIVATE_TMP_KEEP, .propagation = NSISO_PROPAGATION_PRIVATE,
		.on_error = NSISO_ON_ERROR_ALLOW, .cgroup_parent = "lab/nsiso",
		.cgroup_mode = NSISO_CGROUP_MODE_SYSTEMD });
	assert_true(s.memory.value == 512ULL << 20);
	assert_int_equal(s.swap.kind, NSISO_LIMIT_VALUE);
	assert_true(s.swap.value == 0);
	assert_true(s.tasks.value == 200);
	assert_true(s.memory_high.value == 384ULL << 20);
	assert_true(s.cpu.kind == NSISO_LIMIT_VALUE && s.cpu.value == 250);
	assert_true(s.cpu_weight.value == 400);
	assert_true(s.io_weight.value == 50);
	assert_int_equal(s.origin[NSISO_ITEM_IO_WEIGHT].line, 11);
	assert_int_equal(s.origin[NSISO_ITEM_MEMORY].line, 5);
	assert_string_equal(s.written[NSISO_ITEM_MEMORY], "512M");
}

CONF_TEST(defaults_when_unset)
{
	parse("alice memory 1G\n");
	resolve_to("alice", 1000, MATCHED | ACTIVE);	/* a limit alone is enough */
	expect_choices(&(struct choices){
		.isolate = 0, .hostname = "", .on_logout = NSISO_LOGOUT_KILL,
		.private_tmp = NSISO_PRIVATE_TMP_NO, .propagation = NSISO_PROPAGATION_SLAVE,
		.on_error = NSISO_ON_ERROR_DENY, .cgroup_parent = "nsiso",
		.cgroup_mode = NSISO_CGROUP_MODE_AUTO });
	assert_null(s.origin[NSISO_ITEM_ISOLATE].file);
}

/* The module lists a user's groups only for a conf with an @group line. */
CONF_TEST(names_groups_only_with_a_group_line)
{
	parse("alice memory 1G\n1000:1999 isolate uts\n* memory 4G\n");
	assert_false(nsiso_conf_names_groups(&conf));
	parse("alice memory 1G\n@staff isolate uts\n");
	assert_true(nsiso_conf_names_groups(&conf));
	parse("");
	assert_false(nsiso_conf_names_groups(&conf));
}

/* user > uid range > @group > *, whatever the order of lines. */
CONF_TEST(precedence_by_specificity)
{
	const gid_t root_group[] = { 0 };
	struct nsiso_user in_root = { "carol", 1500, root_group, 1 };

	parse("alice memory 1G\n"
	      "1000:1999 memory 2G\n"
	      "@root memory 3G\n"
	      "* memory 4G\n");
	resolve("alice", 1000);
	assert_true(s.memory.value == 1ULL << 30);
	resolve("bob", 1001);
	assert_true(s.memory.value == 2ULL << 30);
	resolve("dave", 5000);
	assert_true(s.memory.value == 4ULL << 30);
	/* group "root" has gid 0 on every Debian system */
	assert_null(nsiso_conf_resolve(&conf, &in_root, &s, NULL));
	assert_true(s.memory.value == 2ULL << 30);	/* range beats group */
	in_root.uid = 7000;
	assert_null(nsiso_conf_resolve(&conf, &in_root, &s, NULL));
	assert_true(s.memory.value == 3ULL << 30);	/* group beats * */
}

CONF_TEST(later_line_wins_at_equal_specificity)
{
	parse("* memory 1G\nalice memory 2G\n* memory 3G\nalice memory 4G\n");
	resolve("alice", 1);
	assert_true(s.memory.value == 4ULL << 30);
	assert_int_equal(s.origin[NSISO_ITEM_MEMORY].line, 4);
	resolve("bob", 2);
	assert_true(s.memory.value == 3ULL << 30);
}

CONF_TEST(uid_ranges)
{
	parse("1000: memory 1G\n:999 exempt yes\n");
	assert_int_equal(nsiso_conf_error_count(&conf), 0);
	resolve_to("u", 999, MATCHED | EXEMPT);
	resolve_to("u", 1000, MATCHED | ACTIVE);
	resolve("u", 4000000000U);
	assert_true(s.memory.value == 1ULL << 30);
}

CONF_TEST(no_rule_and_none_mean_left_alone)
{
	parse("alice isolate uts\nbob isolate none\nbob memory unlimited\n");
	resolve_to("carol", 1, 0);
	resolve_to("bob", 2, MATCHED);
}

CONF_TEST(errors_name_file_and_line)
{
	first_error("\n\n* frobnicate yes\n", "test.conf:3: unknown item 'frobnicate'");
	first_error("* memory\n", "test.conf:1: expected '<domain> <item> <value>', got 2 fields");
	first_error("* memory 1G extra\n",
		    "test.conf:1: expected '<domain> <item> <value>', got more than 3 fields");
	first_error("* memory 0K\n", "test.conf:1: memory limit must be at least 16M (a session "
		    "needs 4M of it free to start): memory '0K'");
	first_error("* memory lots\n", "test.conf:1: expected a number: memory 'lots'");
	first_error("* isolate pid\n",
		    "test.conf:1: pid needs mnt (a fresh /proc needs a private mount namespace): isolate 'pid'");
	first_error("* isolate uts,,ipc\n", "test.conf:1: malformed namespace list: isolate 'uts,,ipc'");
	first_error("* isolate user\n",
		    "test.conf:1: unknown namespace (use uts, ipc, mnt, pid, net, cgroup or none): "
		    "isolate 'user'");
	first_error("alice cgroup_parent x\n",
		    "test.conf:1: cgroup_parent is global: use it only with domain '*'");
	first_error("* cgroup_parent ../etc\n",
		    "test.conf:1: empty, '.' or '..' path component: cgroup_parent '../etc'");
	first_error("* hostname %q\n",
		    "test.conf:1: unknown escape in hostname template (use %u, %U, %h or %%): hostname '%q'");
	first_error("5:1 memory 1G\n", "test.conf:1: uid range is empty (min > max): '5:1'");
	first_error("a:b memory 1G\n", "test.conf:1: uid range must be digits (e.g. 1000:1999 or 1000:): 'a:b'");
	first_error("* on_logout maybe\n", "test.conf:1: expected kill or keep: on_logout 'maybe'");
	first_error("* private_tmp on\n", "test.conf:1: expected yes, no or keep: private_tmp 'on'");
	first_error("* exempt 1\n", "test.conf:1: expected yes or no: exempt '1'");
	first_error("* cgroup_mode cgmanager\n",
		    "test.conf:1: expected auto, own or systemd: cgroup_mode 'cgmanager'");
	first_error("* memory 0\n", "test.conf:1: memory limit must be at least 16M (a session "
		    "needs 4M of it free to start): memory '0'");
	first_error("al/ice memory 1G\n",
		    "test.conf:1: invalid user name (or use @group, min:max or *): 'al/ice'");
}

CONF_TEST(every_bad_line_is_reported)
{
	parse("* a b\n* memory 1G\n* c d\n\x01 x y\n");
	assert_int_equal(nsiso_conf_error_count(&conf), 3);
	assert_int_equal(conf.n_rules, 1);
}

CONF_TEST(nul_bytes_and_long_lines)
{
	char big[6000];

	parse_named("t", "* memory 1G\n* me\0mory 1G\n", 24);
	assert_int_equal(nsiso_conf_error_count(&conf), 1);
	assert_string_equal(nsiso_conf_error(&conf, 0), "t:2: line contains a NUL byte");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	parse(big);
	assert_string_equal(nsiso_conf_error(&conf, 0), "test.conf:1: line longer than 4095 bytes");
}

CONF_TEST(invalid_expanded_hostname_is_reported_with_origin)
{
	struct nsiso_origin where = { 0 };
	const gid_t g[] = { 1 };
	struct nsiso_user user = { "bob_smith", 1000, g, 1 };

	parse("* isolate uts\n* hostname box-%u\n");
	assert_non_null(nsiso_conf_resolve(&conf, &user, &s, &where));
	assert_string_equal(where.file, "test.conf");
	assert_int_equal(where.line, 2);
}

/* Resolve for a user and return the reason, with its line in *line. */
static const char *resolve_why(const char *name, uid_t uid, unsigned *line)
{
	static const gid_t groups[] = { 4242424 };
	struct nsiso_user user = { name, uid, groups, 1 };
	struct nsiso_origin where = { 0 };
	const char *why = nsiso_conf_resolve(&conf, &user, &s, &where);

	*line = where.line;
	return why;
}

/* An exempt user is let through before any item is worked out for them: a
 * host name template that is invalid for them cannot deny them. */
CONF_TEST(exempt_means_exempt)
{
	unsigned line = 0;

	parse("root exempt yes\n* isolate uts,ipc,mnt,pid\n* hostname lab_%U\n");
	assert_int_equal(nsiso_conf_error_count(&conf), 0);
	resolve_to("root", 0, MATCHED | EXEMPT);
	assert_string_equal(s.hostname, "");
	/* The rule still denies everyone else, with its line. */
	assert_string_equal(resolve_why("alice", 1000, &line),
			    "host name may only contain letters, digits, '-' and '.'");
	assert_int_equal(line, 3);

	/* The shipped conf's habit: system accounts exempt by uid range; _apt
	 * cannot be in a host name, and must not need to be. */
	parse(":999 exempt yes\n* isolate uts\n* hostname lab-%u\n");
	resolve_to("_apt", 42, MATCHED | EXEMPT);
	assert_non_null(resolve_why("bob_x", 1000, &line));
	assert_int_equal(line, 3);

	/* Exempt also shields from a limit this machine cannot give. */
	parse("* isolate uts\n* memory 1%\nroot exempt yes\n");
	resolve_to("root", 0, MATCHED | EXEMPT);
}

/* Left alone for another reason (isolate none without a limit, no rule):
 * nothing is worked out either. */
CONF_TEST(left_alone_evaluates_nothing)
{
	parse("* hostname x_%u\n* isolate none\nbob isolate uts\n");
	resolve_to("alice", 1000, MATCHED);
}

/* Limits a login would refuse are refused by the parser, with file:line. */
CONF_TEST(limits_a_login_would_refuse)
{
	/* memory + swap used to overflow 64 bits in the helper: every login
	 * denied after a conf that parsed. */
	first_error("* memory 8388607T\n* swap 16777215T\n",
		    "test.conf:2: size too large (the kernel's largest limit is 8388607T; "
		    "use unlimited): swap '16777215T'");
	first_error("* memory 16777215T\n",
		    "test.conf:1: size too large (the kernel's largest limit is 8388607T; "
		    "use unlimited): memory '16777215T'");
	/* The helper refuses a session when less than 4M of the limit is free:
	 * "memory 1" refused every login while the user's group existed. */
	first_error("* memory 1\n", "test.conf:1: memory limit must be at least 16M (a session "
		    "needs 4M of it free to start): memory '1'");
	first_error("* memory 16777215\n", "test.conf:1: memory limit must be at least 16M (a "
		    "session needs 4M of it free to start): memory '16777215'");
	first_error("* memory 4M\n", "test.conf:1: memory limit must be at least 16M (a session "
		    "needs 4M of it free to start): memory '4M'");
	first_error("* tasks 4194305\n", "test.conf:1: larger than the kernel's maximum number "
		    "of tasks (4194304): tasks '4194305'");
	first_error("1:99999999999 memory 1G\n", "test.conf:1: uid out of range: '1:99999999999'");
	first_error("-1: memory 1G\n", "test.conf:1: uid range must be digits (e.g. 1000:1999 or "
		    "1000:): '-1:'");
	first_error("+1: memory 1G\n", "test.conf:1: uid range must be digits (e.g. 1000:1999 or "
		    "1000:): '+1:'");
	parse("* memory 16M\n* swap 8388607T\n* tasks 4194304\n");
	assert_int_equal(nsiso_conf_error_count(&conf), 0);
	resolve("alice", 1000);
	assert_true(s.memory.value == 16ULL << 20);
}

/* The cpu and io items: each alone is a limit (the user gets a cgroup), and
 * they follow the precedence of the others. */
CONF_TEST(cpu_and_io_items)
{
	parse("* cpu 400%\nalice cpu 100%\n1000: cpu_weight 50\n* cpu_weight 300\n"
	      "@nosuchgroup io_weight 10\nbob cpu unlimited\n");
	assert_int_equal(nsiso_conf_error_count(&conf), 0);
	resolve("alice", 1000);
	assert_true(s.cpu.value == 100);
	assert_true(s.cpu_weight.value == 50);
	assert_false(nsiso_limit_is_set(&s.io_weight));
	assert_true(nsiso_settings_has_limits(&s));
	resolve("bob", 999);
	assert_false(nsiso_limit_is_set(&s.cpu));
	assert_true(s.cpu_weight.value == 300);
	parse("alice io_weight 10\n");
	resolve_to("alice", 1000, MATCHED | ACTIVE);	/* a weight alone is enough */
	first_error("* cpu 0%\n", "test.conf:1: must be 1% to 1000000% (100% is one CPU): cpu '0%'");
	first_error("* cpu 5\n", "test.conf:1: expected a percentage of one CPU (50%, 400% for "
		    "four CPUs) or unlimited: cpu '5'");
	first_error("* cpu 99999999999999999999%\n", "test.conf:1: must be 1% to 1000000% (100% "
		    "is one CPU): cpu '99999999999999999999%'");
	first_error("* cpu_weight 10001\n", "test.conf:1: must be 1 to 10000 (100 is the default): "
		    "cpu_weight '10001'");
	first_error("* io_weight 0\n", "test.conf:1: must be 1 to 10000 (100 is the default): "
		    "io_weight '0'");
	first_error("* memory_high 0\n", "test.conf:1: must be above 0: memory_high '0'");
}

/* memory_high must be below memory, as the user's rules resolve (the two
 * may come from different domains, and percentages from this machine). */
CONF_TEST(memory_high_below_memory)
{
	unsigned line = 0;

	parse("* memory 1G\nalice memory_high 1G\n");
	assert_int_equal(nsiso_conf_error_count(&conf), 0);
	assert_string_equal(resolve_why("alice", 1000, &line),
			    "memory_high must be below memory: throttling starts below the hard limit");
	assert_int_equal(line, 2);
	assert_null(resolve_why("bob", 1001, &line));
	parse("* memory 1G\n* memory_high 1023M\nbob memory_high 2G\nbob memory unlimited\n");
	resolve("alice", 1000);
	assert_true(s.memory_high.value == 1023ULL << 20);
	resolve("bob", 1001);	/* no hard limit: any memory_high */
	assert_true(s.memory_high.value == 2ULL << 30);
	parse("* memory 10%\n* memory_high 20%\n");
	assert_non_null(resolve_why("alice", 1000, &line));
}

/* private_tmp needs a mount namespace; the two items may come from lines
 * of different domains, so resolve checks the pair per user and names the
 * private_tmp line. */
CONF_TEST(private_tmp_needs_mnt)
{
	static const gid_t groups[] = { 4242424 };
	struct nsiso_user alice = { "alice", 1000, groups, 1 };
	struct nsiso_origin where = { 0 };
	const char *why;

	parse("*  isolate uts,ipc,mnt,pid\n"
	      "*  private_tmp yes\n"
	      "alice isolate uts,cgroup\n");
	assert_int_equal(nsiso_conf_error_count(&conf), 0);
	why = nsiso_conf_resolve(&conf, &alice, &s, &where);
	assert_non_null(why);
	assert_string_equal(why, "private_tmp needs mnt in isolate (/tmp is replaced in the "
			    "session's mount namespace)");
	assert_string_equal(where.file, "test.conf");
	assert_int_equal(where.line, 2);
	resolve("bob", 1001);	/* * gives bob mnt */
	assert_int_equal(s.private_tmp, NSISO_PRIVATE_TMP_YES);
	/* no is always fine, and a user left alone is not worked out. */
	parse("* isolate uts\n* private_tmp no\nbob exempt yes\nbob private_tmp keep\n");
	resolve("alice", 1000);
	resolve_to("bob", 1001, MATCHED | EXEMPT);
}

/* A percentage is known only on the machine: resolve checks it there, as
 * the module does at each login. */
CONF_TEST(percentage_below_the_minimum_is_refused_at_resolve)
{
	struct nsiso_limit one = { NSISO_LIMIT_PERCENT, 1 };
	unsigned line = 0;
	const char *why;

	parse("* isolate uts\n* memory 1%\n");
	why = resolve_why("alice", 1000, &line);
	if (nsiso_limit_bytes(&one) < NSISO_MEMORY_MIN) {
		assert_non_null(why);
		assert_int_equal(line, 2);
	} else {
		assert_null(why);
	}
}

/* ---- files (as root: ownership checks need chown) ---------------------- */

static void write_file(const char *name, const char *text, mode_t mode, uid_t owner)
{
	const char *path = unit_write_file(unit_dir, name, text);

	assert_int_equal(chmod(path, mode), 0);
	assert_int_equal(chown(path, owner, 0), 0);
}

static const char *load_one(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", unit_dir, name);
	nsiso_conf_free(&conf);
	nsiso_conf_load(&conf, path, NULL, false);
	return nsiso_conf_error_count(&conf) ? nsiso_conf_error(&conf, 0) : NULL;
}

CONF_FILE_TEST(file_checks)
{
	char path[128], expect[256];

	if (geteuid() != 0)
		skip();
	write_file("good.conf", "* memory 1G\n", 0644, 0);
	assert_null(load_one("good.conf"));
	assert_int_equal(conf.n_rules, 1);

	write_file("user.conf", "* memory 1G\n", 0644, 65534);
	snprintf(expect, sizeof(expect), "%s/user.conf: not owned by root", unit_dir);
	assert_string_equal(load_one("user.conf"), expect);

	write_file("world.conf", "* memory 1G\n", 0646, 0);
	snprintf(expect, sizeof(expect), "%s/world.conf: writable by group or others", unit_dir);
	assert_string_equal(load_one("world.conf"), expect);

	snprintf(path, sizeof(path), "%s/link.conf", unit_dir);
	assert_int_equal(symlink("good.conf", path), 0);
	snprintf(expect, sizeof(expect), "%s/link.conf: cannot open: is a symbolic link", unit_dir);
	assert_string_equal(load_one("link.conf"), expect);

	/* A FIFO must neither hang the login (CVE-2024-22365) nor be read. */
	snprintf(path, sizeof(path), "%s/fifo.conf", unit_dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(expect, sizeof(expect), "%s/fifo.conf: not a regular file", unit_dir);
	assert_string_equal(load_one("fifo.conf"), expect);

	snprintf(expect, sizeof(expect), "%s/missing.conf: cannot open: No such file or directory", unit_dir);
	assert_string_equal(load_one("missing.conf"), expect);
}

/* A conf of comment lines up to `bytes` long, with one rule at its end:
 * read whole, through a buffer that grows, up to NSISO_CONF_MAX_BYTES. */
static void write_sized(const char *name, size_t bytes)
{
	static const char rule[] = "* memory 1G\n";
	char *text = malloc(bytes + 1);
	size_t i;

	assert_non_null(text);
	for (i = 0; i + sizeof(rule) - 1 < bytes; i++)
		text[i] = (i + 1) % 64 == 0 ? '\n' : '#';
	text[i - 1] = '\n';
	memcpy(text + i, rule, sizeof(rule));
	text[bytes] = '\0';
	write_file(name, text, 0644, 0);
	free(text);
}

CONF_FILE_TEST(file_sizes)
{
	char expect[256];

	if (geteuid() != 0)
		skip();
	write_sized("big.conf", 300000);	/* past the first buffers */
	assert_null(load_one("big.conf"));
	assert_int_equal(conf.n_rules, 1);
	write_sized("max.conf", NSISO_CONF_MAX_BYTES);
	assert_null(load_one("max.conf"));
	assert_int_equal(conf.n_rules, 1);
	write_sized("over.conf", NSISO_CONF_MAX_BYTES + 1);
	snprintf(expect, sizeof(expect), "%s/over.conf: larger than %zu bytes", unit_dir,
		 NSISO_CONF_MAX_BYTES);
	assert_string_equal(load_one("over.conf"), expect);
}

CONF_FILE_TEST(directory_a_user_can_write_is_rejected)
{
	char expect[256];

	if (geteuid() != 0)
		skip();
	write_file("good.conf", "* memory 1G\n", 0644, 0);
	assert_int_equal(chmod(unit_dir, 01777), 0);
	snprintf(expect, sizeof(expect), "%s/good.conf: its directory %s is writable by group or others",
		 unit_dir, unit_dir);
	assert_string_equal(load_one("good.conf"), expect);
	assert_int_equal(chmod(unit_dir, 0700), 0);
}

CONF_FILE_TEST(dropins_in_c_locale_order)
{
	char main_path[128], dropins[128];

	if (geteuid() != 0)
		skip();
	write_file("main.conf", "* memory 1G\n", 0644, 0);
	snprintf(dropins, sizeof(dropins), "%s/d", unit_dir);
	assert_int_equal(mkdir(dropins, 0755), 0);
	write_file("d/b.conf", "* memory 3G\n", 0644, 0);
	write_file("d/B.conf", "* memory 2G\n", 0644, 0);	/* 'B' < 'b' in C */
	write_file("d/z.conf.disabled", "* memory 9G\n", 0644, 0);
	snprintf(main_path, sizeof(main_path), "%s/main.conf", unit_dir);
	nsiso_conf_free(&conf);
	assert_int_equal(nsiso_conf_load(&conf, main_path, dropins, false), 0);
	resolve("alice", 1000);
	assert_true(s.memory.value == 3ULL << 30);
	assert_non_null(strstr(s.origin[NSISO_ITEM_MEMORY].file, "/d/b.conf"));
}

/* readdir() as libc has it, unless a case asks it to fail the way it does
 * when memory runs out (the module reads the conf under the caller's
 * rlimits). */
static int readdir_error;

struct dirent *readdir(DIR *dir)
{
	struct dirent *(*real)(DIR *) = (struct dirent *(*)(DIR *))dlsym(RTLD_NEXT, "readdir");

	if (readdir_error) {
		errno = readdir_error;
		return NULL;
	}
	return real(dir);
}

/* A drop-in directory that cannot be listed is an error naming it, never a
 * directory without drop-ins: a user covered only by one would be let
 * through with no rule at all. */
CONF_FILE_TEST(dropins_that_cannot_be_listed_are_an_error)
{
	char main_path[128], dropins[128], expect[256];
	size_t errors;

	if (geteuid() != 0)
		skip();
	write_file("main.conf", "* memory 1G\n", 0644, 0);
	snprintf(dropins, sizeof(dropins), "%s/d", unit_dir);
	assert_int_equal(mkdir(dropins, 0755), 0);
	write_file("d/alice.conf", "alice isolate uts\n", 0644, 0);
	snprintf(main_path, sizeof(main_path), "%s/main.conf", unit_dir);
	nsiso_conf_free(&conf);
	readdir_error = ENOMEM;
	errors = nsiso_conf_load(&conf, main_path, dropins, false);
	readdir_error = 0;
	assert_int_equal(errors, 1);
	snprintf(expect, sizeof(expect), "%s: cannot list: %s", dropins, strerror(ENOMEM));
	assert_string_equal(nsiso_conf_error(&conf, 0), expect);
	nsiso_conf_free(&conf);
	assert_int_equal(nsiso_conf_load(&conf, main_path, dropins, false), 0);
	resolve("alice", 1000);
	assert_true(s.isolate != 0);
}
