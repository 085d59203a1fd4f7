/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Session records (common/record.c) in a private run directory: written
 * atomically and read back field for field, removed, listed; session ids
 * and every field validated on the way in and out; a malformed or
 * truncated record refused with its reason; and the run directory itself
 * refused unless it is root's and nobody else's (as root: chown). */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/record.h"
#include "unit_files.h"

#define ID "0123456789abcdef"
#define FILE_NAME ID ".session"

/* A record with every field set to a value of its own. */
static void full_record(struct nsiso_record *r, const char *session, long long started)
{
	memset(r, 0, sizeof(*r));
	nsiso_record_set(r->session, sizeof(r->session), session);
	nsiso_record_set(r->user, sizeof(r->user), "alice");
	r->uid = 4294967294U;
	nsiso_record_set(r->service, sizeof(r->service), "sshd");
	nsiso_record_set(r->tty, sizeof(r->tty), "ssh");
	nsiso_record_set(r->rhost, sizeof(r->rhost), "client.example");
	r->started = started;
	r->holder = 4194304;
	r->holder_start = 18446744073709551615ULL;
	r->caller = 4242;
	r->pidns = 4026531836ULL;
	r->session_pidns = 4026532999ULL;
	nsiso_record_set(r->isolate, sizeof(r->isolate), "uts,ipc,mnt,pid");
	nsiso_record_set(r->hostname, sizeof(r->hostname), "lab-alice");
	nsiso_record_set(r->cgroup_parent, sizeof(r->cgroup_parent), "lab/nsiso");
	nsiso_record_set(r->cgroup_slice, sizeof(r->cgroup_slice), "user.slice/user-1000.slice");
	nsiso_record_set(r->on_logout, sizeof(r->on_logout), "keep");
	nsiso_record_set(r->private_tmp, sizeof(r->private_tmp), "yes");
}

static int open_unit_dir(void)
{
	char err[256] = "";
	int fd = nsiso_run_dir_open(unit_dir, false, err, sizeof(err));

	assert_string_equal(err, "");
	assert_true(fd >= 0);
	return fd;
}

static bool exists(const char *name)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", unit_dir, name);
	return access(path, F_OK) == 0;
}

UNIT_FILE_TEST(write_then_read_keeps_every_field)
{
	struct nsiso_record in, out;
	char err[256] = "", path[160];
	struct stat st;
	int fd = open_unit_dir();

	full_record(&in, ID, 1700000000LL);
	assert_int_equal(nsiso_record_write(fd, &in, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/%s", unit_dir, FILE_NAME);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_false(exists("." ID ".tmp"));
	assert_int_equal(nsiso_record_read(fd, FILE_NAME, &out, err, sizeof(err)), 0);
	assert_string_equal(out.session, ID);
	assert_string_equal(out.user, "alice");
	assert_int_equal(out.uid, 4294967294U);
	assert_string_equal(out.service, "sshd");
	assert_string_equal(out.tty, "ssh");
	assert_string_equal(out.rhost, "client.example");
	assert_int_equal(out.started, 1700000000LL);
	assert_int_equal(out.holder, 4194304);
	assert_true(out.holder_start == 18446744073709551615ULL);
	assert_int_equal(out.caller, 4242);
	assert_true(out.pidns == 4026531836ULL);
	assert_true(out.session_pidns == 4026532999ULL);
	assert_string_equal(out.isolate, "uts,ipc,mnt,pid");
	assert_string_equal(out.hostname, "lab-alice");
	assert_string_equal(out.cgroup_parent, "lab/nsiso");
	assert_string_equal(out.cgroup_slice, "user.slice/user-1000.slice");
	assert_string_equal(out.on_logout, "keep");
	assert_string_equal(out.private_tmp, "yes");
	close(fd);
}

/* What a user sends as PAM_RHOST or PAM_TTY stays one field: no newline
 * reaches the file, so no line of it can pose as another field. */
UNIT_FILE_TEST(text_from_users_cannot_add_a_line)
{
	struct nsiso_record in, out;
	char err[256] = "", tty[8];
	int fd = open_unit_dir();

	full_record(&in, ID, 1);
	nsiso_record_set(in.rhost, sizeof(in.rhost), "evil\nholder=2\nuid=0 \x7f\x01");
	assert_string_equal(in.rhost, "evil?holder=2?uid=0???");
	nsiso_record_set(tty, sizeof(tty), "pts/12345678");
	assert_string_equal(tty, "pts/123");
	assert_int_equal(nsiso_record_write(fd, &in, err, sizeof(err)), 0);
	assert_int_equal(nsiso_record_read(fd, FILE_NAME, &out, err, sizeof(err)), 0);
	assert_string_equal(out.rhost, "evil?holder=2?uid=0???");
	assert_int_equal(out.holder, 4194304);
	assert_int_equal(out.uid, 4294967294U);
	close(fd);
}

UNIT_FILE_TEST(write_refuses_invalid_session_ids)
{
	static const char *const bad[] = {
		"", "0123", "0123456789ABCDEF", "0123456789abcdeg", "0123456789abcde",
		"0123456789abcdef0", "../../etc/passwd", "012345678/abcdef",
	};
	struct nsiso_record r;
	char err[256];
	DIR *d;
	size_t i;
	int fd = open_unit_dir(), entries = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		full_record(&r, ID, 1);
		snprintf(r.session, sizeof(r.session), "%s", bad[i]);
		strcpy(err, "");
		assert_int_equal(nsiso_record_write(fd, &r, err, sizeof(err)), -1);
		assert_string_equal(err, "invalid session id");
	}
	d = opendir(unit_dir);
	assert_non_null(d);
	while (readdir(d))
		entries++;
	closedir(d);
	assert_int_equal(entries, 2);	/* . and .. */
	close(fd);
}

UNIT_FILE_TEST(remove_takes_the_record_and_a_leftover_temporary)
{
	struct nsiso_record r;
	char err[256];
	int fd = open_unit_dir();

	full_record(&r, ID, 1);
	assert_int_equal(nsiso_record_write(fd, &r, err, sizeof(err)), 0);
	unit_write_file(unit_dir, "." ID ".tmp", "session=" ID "\n");	/* a killed writer's */
	unit_write_file(unit_dir, "fedcba9876543210.session", "kept\n");
	assert_int_equal(nsiso_record_remove(fd, ID), 0);
	assert_false(exists(FILE_NAME));
	assert_false(exists("." ID ".tmp"));
	assert_true(exists("fedcba9876543210.session"));
	assert_int_equal(nsiso_record_remove(fd, ID), 0);	/* gone already */
	assert_int_equal(nsiso_record_remove(fd, "../fedcba98765432"), -1);
	assert_int_equal(nsiso_record_remove(fd, "FEDCBA9876543210"), -1);
	assert_true(exists("fedcba9876543210.session"));
	close(fd);
}

/* read TEXT as the record FILE_NAME into r, which must be accepted. */
static void accepted(int fd, const char *text, struct nsiso_record *r)
{
	char err[256] = "";

	unit_write_file(unit_dir, FILE_NAME, text);
	assert_int_equal(nsiso_record_read(fd, FILE_NAME, r, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

/* read TEXT as the record FILE_NAME: the reason it is refused for. */
static const char *refused(int fd, const char *text)
{
	static char err[256];
	struct nsiso_record r;

	unit_write_file(unit_dir, FILE_NAME, text);
	if (nsiso_record_read(fd, FILE_NAME, &r, err, sizeof(err)) == 0)
		snprintf(err, sizeof(err), "(read without an error)");
	return err;
}

/* pidns: read back; not a plain number of 64 bits, the record is refused. */
UNIT_FILE_TEST(pidns_field)
{
	struct nsiso_record r;
	int fd = open_unit_dir();

	accepted(fd, "session=" ID "\nholder=42\npidns=4026532448\n", &r);
	assert_true(r.pidns == 4026532448ULL);
	assert_string_equal(refused(fd, "session=" ID "\nholder=42\npidns=-1\n"),
			    FILE_NAME ": invalid pidns '-1': not a plain decimal number (digits "
				      "only: no sign, space or prefix)");
	assert_string_equal(refused(fd, "session=" ID "\nholder=42\npidns=18446744073709551616\n"),
			    FILE_NAME ": invalid pidns '18446744073709551616': number too large");
	close(fd);
}

/* Another version's record: an older one has no pidns nor session_pidns
 * (they read as 0), a newer one may have fields this version does not know
 * (skipped). */
UNIT_FILE_TEST(records_of_other_versions_are_read)
{
	struct nsiso_record r;
	int fd = open_unit_dir();

	accepted(fd, "session=" ID "\nholder=42\n", &r);
	assert_true(r.pidns == 0);
	assert_true(r.session_pidns == 0);
	assert_int_equal(r.holder, 42);
	accepted(fd, "session=" ID "\nfuture=x y z\nholder=43\n", &r);
	assert_int_equal(r.holder, 43);
	close(fd);
}

#define S "session=" ID "\n"
#define NOT_DECIMAL "not a plain decimal number (digits only: no sign, space or prefix)"
#define TRUNCATED "line 2 is cut off (a truncated record)"

/* Records cut short or malformed, each with the reason it is refused for
 * (after "<file name>: "). */
static const struct {
	const char *text, *reason;
} bad_records[] = {
	{ S "holder=42", TRUNCATED },
	{ S "user=al", TRUNCATED },
	{ S, "no holder (a truncated record?)" },
	{ "", "no valid session id (a truncated record?)" },
	{ "user=alice\nholder=42\n", "no valid session id (a truncated record?)" },
	{ "session=0123456789ABCDEF\nholder=42\n", "no valid session id (a truncated record?)" },
	{ "session=fedcba9876543210\nholder=42\n",
	  "session id fedcba9876543210 does not match the file name" },
	{ S "holder 42\n", "line 2 is not key=value" },
	{ S "holder=42abc\n", "invalid holder '42abc': " NOT_DECIMAL },
	{ S "holder=\n", "invalid holder '': empty number" },
	{ S "holder=4194305\n", "invalid holder '4194305': number too large" },
	{ S "holder=1\n", "invalid holder '1': PID 1 is never a session's holder" },
	{ S "holder=0\n", "no holder (a truncated record?)" },
	{ S "holder=42\nuid=-1\n", "invalid uid '-1': " NOT_DECIMAL },
	{ S "holder=42\nuid=4294967295\n", "invalid uid '4294967295': number too large" },
	{ S "holder=42\nstarted=-5\n", "invalid started '-5': " NOT_DECIMAL },
	{ S "holder=42\nholder=43\n", "holder given twice" },
	{ S S "holder=42\n", "session given twice" },
	{ S "holder=42\non_logout=keep-them\n", "invalid on_logout 'keep-them': too long" },
};

UNIT_FILE_TEST(malformed_or_truncated_records_are_refused_with_a_reason)
{
	char long_line[700], want[256];
	size_t i;
	int fd = open_unit_dir();

	for (i = 0; i < sizeof(bad_records) / sizeof(bad_records[0]); i++) {
		snprintf(want, sizeof(want), "%s: %s", FILE_NAME, bad_records[i].reason);
		assert_string_equal(refused(fd, bad_records[i].text), want);
	}
	snprintf(long_line, sizeof(long_line), S "rhost=%0600d\nholder=42\n", 0);
	assert_string_equal(refused(fd, long_line), FILE_NAME ": line 2 is too long");
	close(fd);
}
#undef S
#undef NOT_DECIMAL
#undef TRUNCATED

UNIT_FILE_TEST(records_not_files_are_refused)
{
	struct nsiso_record r;
	char err[256], target[160];
	int fd = open_unit_dir();

	unit_write_file(unit_dir, "target", "session=" ID "\nholder=42\n");
	snprintf(target, sizeof(target), "%s/target", unit_dir);
	assert_int_equal(symlinkat(target, fd, FILE_NAME), 0);
	assert_int_equal(nsiso_record_read(fd, FILE_NAME, &r, err, sizeof(err)), -1);
	assert_string_equal(err, FILE_NAME ": cannot open: Too many levels of symbolic links");
	assert_int_equal(unlinkat(fd, FILE_NAME, 0), 0);
	assert_int_equal(mkdirat(fd, FILE_NAME, 0700), 0);
	assert_int_equal(nsiso_record_read(fd, FILE_NAME, &r, err, sizeof(err)), -1);
	assert_string_equal(err, FILE_NAME ": not a regular file");
	assert_int_equal(nsiso_record_read(fd, "fedcba9876543210.session", &r, err, sizeof(err)), -1);
	assert_string_equal(err, "fedcba9876543210.session: cannot open: No such file or directory");
	close(fd);
}

/* The list: records only (no temporary, lock or malformed file), sorted by
 * start time. */
UNIT_FILE_TEST(list_has_the_valid_records_by_start_time)
{
	struct nsiso_record r, *list = NULL;
	char err[256];
	int fd = open_unit_dir(), n;

	full_record(&r, "00000000000000c3", 300);
	assert_int_equal(nsiso_record_write(fd, &r, err, sizeof(err)), 0);
	full_record(&r, "00000000000000a1", 100);
	assert_int_equal(nsiso_record_write(fd, &r, err, sizeof(err)), 0);
	full_record(&r, "00000000000000b2", 200);
	assert_int_equal(nsiso_record_write(fd, &r, err, sizeof(err)), 0);
	unit_write_file(unit_dir, "00000000000000d4.session", "session=00000000000000d4\nholder=4");
	unit_write_file(unit_dir, ".00000000000000e5.tmp", "session=00000000000000e5\nholder=42\n");
	unit_write_file(unit_dir, "cgroup.lock", "");
	n = nsiso_record_list(fd, &list);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].session, "00000000000000a1");
	assert_string_equal(list[1].session, "00000000000000b2");
	assert_string_equal(list[2].session, "00000000000000c3");
	assert_int_equal(list[2].started, 300);
	free(list);
	close(fd);
}

/* nsiso_run_dir_open on PATH: the error, or "" with the fd closed. */
static const char *run_dir_error(const char *path, bool create)
{
	static char err[256];
	int fd;

	strcpy(err, "");
	fd = nsiso_run_dir_open(path, create, err, sizeof(err));
	if (fd >= 0) {
		close(fd);
		assert_string_equal(err, "");
	}
	return err;
}

/* Nobody but root may read or write it; others may pass through (0711:
 * users reach their quota socket there). */
UNIT_FILE_TEST(run_dir_must_be_roots_and_nobody_elses)
{
	static const mode_t refused_modes[] = { 0720, 0702, 0740, 0704, 0770, 0707, 0750, 0755 };
	char want[200];
	size_t i;

	if (geteuid() != 0)
		skip();	/* chown; tests/run counts a skip as a failure */
	snprintf(want, sizeof(want), "%s must be a directory owned by root with mode 0711 or 0700", unit_dir);
	assert_int_equal(chmod(unit_dir, 0711), 0);
	assert_string_equal(run_dir_error(unit_dir, false), "");
	assert_int_equal(chmod(unit_dir, 0700), 0);
	assert_string_equal(run_dir_error(unit_dir, false), "");
	for (i = 0; i < sizeof(refused_modes) / sizeof(refused_modes[0]); i++) {
		assert_int_equal(chmod(unit_dir, refused_modes[i]), 0);
		assert_string_equal(run_dir_error(unit_dir, false), want);
	}
	assert_int_equal(chmod(unit_dir, 0700), 0);
	assert_int_equal(chown(unit_dir, 65534, 0), 0);
	assert_string_equal(run_dir_error(unit_dir, false), want);
	assert_int_equal(chown(unit_dir, 0, 65534), 0);
	assert_string_equal(run_dir_error(unit_dir, false), "");	/* the group may be any */
	assert_int_equal(chown(unit_dir, 0, 0), 0);
	assert_string_equal(run_dir_error("tmp/run", true),
			    "run directory tmp/run is not an absolute path");
}

UNIT_FILE_TEST(run_dir_is_made_0711_and_never_followed)
{
	char path[160], link[160], file[160], want[300];
	struct stat st;
	mode_t old_mask;

	snprintf(path, sizeof(path), "%s/run", unit_dir);
	snprintf(want, sizeof(want), "cannot open %s: No such file or directory", path);
	assert_string_equal(run_dir_error(path, false), want);
	old_mask = umask(0);	/* the mode is 0711 because it is asked for */
	assert_string_equal(run_dir_error(path, true), "");
	umask(old_mask);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0711);
	assert_int_equal(st.st_uid, geteuid());
	snprintf(link, sizeof(link), "%s/link", unit_dir);
	assert_int_equal(symlink(path, link), 0);
	/* O_DIRECTORY with O_NOFOLLOW: a link is not a directory. */
	snprintf(want, sizeof(want), "cannot open %s: Not a directory", link);
	assert_string_equal(run_dir_error(link, true), want);
	snprintf(file, sizeof(file), "%s", unit_write_file(unit_dir, "file", "x\n"));
	snprintf(want, sizeof(want), "cannot open %s: Not a directory", file);
	assert_string_equal(run_dir_error(file, true), want);
}

/* The outer session's reaper takes what logins opened inside it left
 * (threat model M5): with the mark of its PID namespace, the records made
 * there and only those, and the mark; without a mark, nothing. */
UNIT_FILE_TEST(take_nested_takes_only_the_marked_namespace)
{
	static const char *const ids[] = { "00000000000000a1", "00000000000000a2",
					   "00000000000000b1" };
	const unsigned long long inner = 4026532177ULL, other = 4026532999ULL;
	struct nsiso_record r, *taken = NULL;
	char err[256], mark[64];
	size_t i;
	int fd = open_unit_dir();

	for (i = 0; i < 3; i++) {
		full_record(&r, ids[i], (long long)i + 1);
		r.pidns = ids[i][14] == 'a' ? inner : other;
		assert_int_equal(nsiso_record_write(fd, &r, err, sizeof(err)), 0);
	}
	/* No mark: nothing is taken, nothing removed. */
	assert_int_equal(nsiso_record_take_nested(fd, inner, &taken), 0);
	assert_null(taken);
	assert_true(exists("00000000000000a1.session"));
	snprintf(mark, sizeof(mark), "nested-%llu", inner);
	unit_write_file(unit_dir, mark, "");
	assert_int_equal(nsiso_record_take_nested(fd, inner, &taken), 2);
	assert_string_equal(taken[0].session, ids[0]);
	assert_string_equal(taken[1].session, ids[1]);
	assert_string_equal(taken[0].cgroup_parent, "lab/nsiso");
	free(taken);
	assert_false(exists("00000000000000a1.session"));
	assert_false(exists("00000000000000a2.session"));
	assert_true(exists("00000000000000b1.session"));
	assert_false(exists(mark));
	/* Once taken, the same call finds no mark again. */
	assert_int_equal(nsiso_record_take_nested(fd, inner, &taken), 0);
	assert_int_equal(nsiso_record_take_nested(fd, 0, &taken), 0);
	close(fd);
}

/* A namespace's number is handed out again at once when it ends: a record
 * naming it whose holder lives is another, newer namespace's (an attacker
 * review of rev 10b2fe5 had another user's live nested session taken so).
 * It is kept, and the mark with it, until its holder has ended too.  The
 * "holder" is a child named like one; the records name our own namespace,
 * where its PID is what we see. */
UNIT_FILE_TEST(take_nested_keeps_a_record_whose_holder_lives)
{
	const unsigned long long inner = nsiso_own_pidns();
	struct nsiso_record r, *taken = NULL;
	char err[256], mark[64];
	int fd = open_unit_dir(), ready[2], status;
	pid_t child;
	char byte;

	if (geteuid() != 0)
		skip();	/* a holder is root's */
	assert_int_equal(pipe(ready), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* a failing case ends it too */
		prctl(PR_SET_NAME, "nsiso-holder");
		(void)write(ready[1], "x", 1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(ready[0], &byte, 1), 1);
	full_record(&r, "00000000000000c1", 1);
	r.pidns = inner;
	r.holder = child;
	r.holder_start = nsiso_process_start_time(child);
	assert_int_equal(nsiso_record_write(fd, &r, err, sizeof(err)), 0);
	full_record(&r, "00000000000000c2", 2);	/* holder 4194304: none */
	r.pidns = inner;
	assert_int_equal(nsiso_record_write(fd, &r, err, sizeof(err)), 0);
	snprintf(mark, sizeof(mark), "nested-%llu", inner);
	unit_write_file(unit_dir, mark, "");

	assert_int_equal(nsiso_record_take_nested(fd, inner, &taken), 1);
	assert_string_equal(taken[0].session, "00000000000000c2");
	free(taken);
	assert_true(exists("00000000000000c1.session"));
	assert_true(exists(mark));
	/* Its holder ends: then it is taken, and the mark goes. */
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(nsiso_record_take_nested(fd, inner, &taken), 1);
	assert_string_equal(taken[0].session, "00000000000000c1");
	free(taken);
	assert_false(exists(mark));
	close(fd);
	close(ready[0]);
	close(ready[1]);
}

/* A reaper in another session's PID namespace (a login from inside a
 * session: a live record names that namespace as its session's) ends its
 * record in two steps: renamed <session>.ending, which nsisoctl's listing
 * leaves out, locked while the reaper works, then removed once it is done.
 * In the initial namespace, or one no session's record names (a container
 * the broker runs in), it is removed at once, as it is when there is
 * nothing to rename.  An ending record reads back marked so. */
UNIT_FILE_TEST(end_keeps_a_nested_record_as_ending_until_done)
{
	const unsigned long long initial = 0xEFFFFFFCULL, inner = 4026532177ULL;
	struct nsiso_record r, outer, *list = NULL;
	char err[256] = "";
	int fd = open_unit_dir(), ending_fd;

	full_record(&r, ID, 2);
	r.pidns = inner;
	assert_int_equal(nsiso_record_write(fd, &r, err, sizeof(err)), 0);
	assert_int_equal(nsiso_record_end(fd, ID, inner, &ending_fd), 0);
	assert_int_equal(ending_fd, -1);	/* no session's namespace */
	assert_false(exists(FILE_NAME));
	assert_false(exists(ID ".ending"));

	full_record(&outer, "00000000000000e0", 1);
	outer.session_pidns = inner;
	assert_int_equal(nsiso_record_write(fd, &outer, err, sizeof(err)), 0);
	assert_int_equal(nsiso_record_write(fd, &r, err, sizeof(err)), 0);
	assert_int_equal(nsiso_record_end(fd, ID, initial, &ending_fd), 0);
	assert_int_equal(ending_fd, -1);
	assert_false(exists(FILE_NAME));

	assert_int_equal(nsiso_record_write(fd, &r, err, sizeof(err)), 0);
	assert_int_equal(nsiso_record_end(fd, ID, inner, &ending_fd), 0);
	assert_true(ending_fd >= 0);
	assert_false(exists(FILE_NAME));
	assert_true(exists(ID ".ending"));
	assert_int_equal(nsiso_record_list(fd, &list), 1);	/* the outer one */
	assert_string_equal(list[0].session, "00000000000000e0");
	free(list);
	assert_int_equal(nsiso_record_read(fd, ID ".ending", &r, err, sizeof(err)), 0);
	assert_true(r.ending);
	assert_string_equal(r.session, ID);
	/* nsisoctl's removal of a record leaves an .ending alone. */
	assert_int_equal(nsiso_record_remove(fd, ID), 0);
	assert_true(exists(ID ".ending"));
	assert_int_equal(nsiso_record_end_done(fd, ID, ending_fd), 0);
	assert_false(exists(ID ".ending"));

	/* Nothing to rename (gone already): removed, which it is. */
	assert_int_equal(nsiso_record_end(fd, ID, inner, &ending_fd), 0);
	assert_int_equal(ending_fd, -1);
	assert_int_equal(nsiso_record_end_done(fd, ID, ending_fd), 0);
	assert_int_equal(nsiso_record_end(fd, "../fedcba98765432", inner, &ending_fd), -1);
	close(fd);
}

/* The outer session's reaper takes the .ending records made in its
 * namespace whose reaper is gone: it ended with that namespace before it
 * was done (a CI run of 5222136 left such a session's group behind), and
 * only the outer reaper can clean up after it.  One whose reaper still
 * holds its lock is another, newer namespace's under the same number, at
 * work: kept, with the mark, until it is done. */
UNIT_FILE_TEST(take_nested_takes_ending_records_whose_reaper_is_gone)
{
	const unsigned long long inner = 4026532177ULL;
	struct nsiso_record r, outer, *taken = NULL;
	char err[256], mark[64];
	int fd = open_unit_dir(), ending_fd;

	full_record(&outer, "00000000000000e0", 1);
	outer.session_pidns = inner;
	assert_int_equal(nsiso_record_write(fd, &outer, err, sizeof(err)), 0);
	full_record(&r, "00000000000000d1", 2);
	r.pidns = inner;
	assert_int_equal(nsiso_record_write(fd, &r, err, sizeof(err)), 0);
	assert_int_equal(nsiso_record_end(fd, r.session, inner, &ending_fd), 0);
	assert_true(ending_fd >= 0);
	assert_int_equal(nsiso_record_remove(fd, outer.session), 0);
	snprintf(mark, sizeof(mark), "nested-%llu", inner);
	unit_write_file(unit_dir, mark, "");

	/* Its reaper at work: kept, and the mark. */
	assert_int_equal(nsiso_record_take_nested(fd, inner, &taken), 0);
	assert_null(taken);
	assert_true(exists("00000000000000d1.ending"));
	assert_true(exists(mark));
	/* Its reaper gone (its fd closed, as at its end): taken. */
	close(ending_fd);
	assert_int_equal(nsiso_record_take_nested(fd, inner, &taken), 1);
	assert_string_equal(taken[0].session, "00000000000000d1");
	assert_true(taken[0].ending);
	assert_string_equal(taken[0].cgroup_parent, "lab/nsiso");
	free(taken);
	assert_false(exists("00000000000000d1.ending"));
	assert_false(exists(mark));
	close(fd);
}
