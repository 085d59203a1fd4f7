/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "record.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proto.h"
#include "size.h"
#include "textfile.h"

void nsiso_record_set(char *field, size_t size, const char *text)
{
	nsiso_text_printable(field, size, text);
}

bool nsiso_run_dir_mode_ok(const struct stat *st)
{
	return S_ISDIR(st->st_mode) && st->st_uid == 0 && (st->st_mode & 066) == 0;
}

int nsiso_run_dir_open(const char *path, bool create, char *err, size_t len)
{
	struct stat st;
	int fd;

	if (path[0] != '/') {
		snprintf(err, len, "run directory %s is not an absolute path", path);
		return -1;
	}
	if (create && mkdir(path, NSISO_RUN_DIR_MODE) != 0 && errno != EEXIST) {
		snprintf(err, len, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, len, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !nsiso_run_dir_mode_ok(&st)) {
		snprintf(err, len, "%s must be a directory owned by root with mode 0711 or 0700", path);
		close(fd);
		return -1;
	}
	return fd;
}

static int valid_session(const char *id)
{
	return strlen(id) == NSISO_SESSION_ID_LEN &&
	       strspn(id, "0123456789abcdef") == NSISO_SESSION_ID_LEN;
}

/* A session's file in the run directory: <session><suffix> (the record,
 * NSISO_RECORD_SUFFIX, or its .ending). */
#define RECORD_NAME_MAX 64
static void record_file_name(const char *session, const char *suffix, char name[RECORD_NAME_MAX])
{
	snprintf(name, RECORD_NAME_MAX, "%s%s", session, suffix);
}

/* name is <session id><suffix>. */
static bool has_suffix(const char *name, const char *suffix)
{
	return strlen(name) == NSISO_SESSION_ID_LEN + strlen(suffix) &&
	       strcmp(name + NSISO_SESSION_ID_LEN, suffix) == 0;
}

int nsiso_record_write(int dirfd, const struct nsiso_record *r, char *err, size_t len)
{
	char tmp[RECORD_NAME_MAX], final[RECORD_NAME_MAX];
	FILE *f;
	int fd, ok;

	if (!valid_session(r->session)) {
		snprintf(err, len, "invalid session id");
		return -1;
	}
	snprintf(tmp, sizeof(tmp), ".%s.tmp", r->session);
	record_file_name(r->session, NSISO_RECORD_SUFFIX, final);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, len, "cannot write session record: %s", strerror(errno));
		return -1;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlinkat(dirfd, tmp, 0);
		snprintf(err, len, "cannot write session record: %s", strerror(errno));
		return -1;
	}
	fprintf(f, "session=%s\nuser=%s\nuid=%u\nservice=%s\ntty=%s\nrhost=%s\n"
		   "started=%lld\nholder=%d\nholder_start=%llu\ncaller=%d\npidns=%llu\n"
		   "session_pidns=%llu\nisolate=%s\nhostname=%s\ncgroup_parent=%s\n"
		   "cgroup_slice=%s\non_logout=%s\nprivate_tmp=%s\n",
		r->session, r->user, (unsigned)r->uid, r->service, r->tty, r->rhost,
		r->started, (int)r->holder, r->holder_start, (int)r->caller, r->pidns,
		r->session_pidns, r->isolate, r->hostname, r->cgroup_parent, r->cgroup_slice,
		r->on_logout, r->private_tmp);
	/* No fsync: /run is a tmpfs, and a record has no meaning after a
	 * reboot anyway.  The rename keeps readers from a half-written file. */
	ok = fflush(f) == 0;
	ok = (fclose(f) == 0) && ok;
	if (!ok || renameat(dirfd, tmp, dirfd, final) != 0) {
		snprintf(err, len, "cannot write session record: %s", strerror(errno));
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	return 0;
}

int nsiso_record_remove(int dirfd, const char *session)
{
	char name[RECORD_NAME_MAX];

	if (!valid_session(session))
		return -1;
	/* A helper killed while writing the record leaves its temporary. */
	snprintf(name, sizeof(name), ".%s.tmp", session);
	unlinkat(dirfd, name, 0);
	record_file_name(session, NSISO_RECORD_SUFFIX, name);
	return unlinkat(dirfd, name, 0) == 0 || errno == ENOENT ? 0 : -1;
}

/* The initial PID namespace's inode (PROC_PID_INIT_INO): from there every
 * process is visible, so a holder not found is a holder gone. */
#define INIT_PIDNS_INO 0xEFFFFFFCULL

static bool pidns_is_nested(unsigned long long pidns)
{
	return pidns != 0 && pidns != INIT_PIDNS_INO;
}

/* Whether a live session's record names pidns as its own (session_pidns):
 * then that session's reaper will look for what was left there. */
static bool pidns_is_a_sessions(int dirfd, unsigned long long pidns)
{
	struct nsiso_record *list = NULL;
	int n = nsiso_record_list(dirfd, &list), i;
	bool found = false;

	for (i = 0; i < n && !found; i++)
		found = list[i].session_pidns == pidns;
	free(list);
	return found;
}

/* The record renamed .ending, locked through fd (flock: the lock is the
 * open file's, and lives as long as the reaper keeps it open).  fd, or -1
 * with nothing renamed. */
static int rename_locked(int dirfd, const char *session)
{
	char from[RECORD_NAME_MAX], to[RECORD_NAME_MAX];
	int fd;

	record_file_name(session, NSISO_RECORD_SUFFIX, from);
	record_file_name(session, NSISO_ENDING_SUFFIX, to);
	fd = openat(dirfd, from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 || renameat(dirfd, from, dirfd, to) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int nsiso_record_end(int dirfd, const char *session, unsigned long long pidns, int *ending_fd)
{
	*ending_fd = -1;
	if (!valid_session(session)) {
		errno = EINVAL;
		return -1;
	}
	if (pidns_is_nested(pidns) && pidns_is_a_sessions(dirfd, pidns)) {
		*ending_fd = rename_locked(dirfd, session);
		if (*ending_fd >= 0)
			return 0;
	}
	return nsiso_record_remove(dirfd, session);
}

/* Remove <session>.ending; 0, or -1 (ENOENT: someone else did). */
static int remove_ending(int dirfd, const char *session)
{
	char name[RECORD_NAME_MAX];

	record_file_name(session, NSISO_ENDING_SUFFIX, name);
	return unlinkat(dirfd, name, 0);
}

int nsiso_record_end_done(int dirfd, const char *session, int ending_fd)
{
	int ret, e;

	if (ending_fd < 0)
		return 0;
	errno = EINVAL;
	ret = valid_session(session) ? remove_ending(dirfd, session) : -1;
	e = errno;
	close(ending_fd);
	errno = e;
	return ret;
}

/* Take an .ending record whose reaper is gone (its lock free): removed
 * under the lock, so that of two takers one has it.  1 taken; 0 kept (its
 * reaper lives, or it could not be told: it keeps the mark, for a later
 * look); -1 gone already (another taker had it). */
static int take_ending(int dirfd, const char *session)
{
	char name[RECORD_NAME_MAX];
	int fd, ret;

	record_file_name(session, NSISO_ENDING_SUFFIX, name);
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? -1 : 0;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
		ret = 0;
	else if (remove_ending(dirfd, session) == 0)
		ret = 1;
	else
		ret = errno == ENOENT ? -1 : 0;
	close(fd);
	return ret;
}

/* The fields a record may have.  A text field is copied into its array
 * (nsiso_record_set: printable only); a number must be plain decimal and at
 * most max, and is stored in the width of its member (uid_t and pid_t are 32
 * bits, the others 64: each max fits its type). */
struct record_field {
	const char *key;
	size_t offset;		/* of the member in struct nsiso_record */
	size_t size;		/* of the member */
	uint64_t max;		/* a number's largest value; 0 for text */
};

#define MEMBER(name) offsetof(struct nsiso_record, name), sizeof(((struct nsiso_record *)NULL)->name)
#define TEXT_FIELD(name) { #name, MEMBER(name), 0 }
#define NUMBER_FIELD(name, max) { #name, MEMBER(name), max }
#define PID_MAX NSISO_TASKS_LIMIT_MAX	/* the kernel's PID_MAX_LIMIT */

static const struct record_field record_fields[] = {
	TEXT_FIELD(session), TEXT_FIELD(user), NUMBER_FIELD(uid, UINT32_MAX - 1),
	TEXT_FIELD(service), TEXT_FIELD(tty), TEXT_FIELD(rhost),
	NUMBER_FIELD(started, INT64_MAX), NUMBER_FIELD(holder, PID_MAX),
	NUMBER_FIELD(holder_start, UINT64_MAX), NUMBER_FIELD(caller, PID_MAX),
	NUMBER_FIELD(pidns, UINT64_MAX), NUMBER_FIELD(session_pidns, UINT64_MAX),
	TEXT_FIELD(isolate), TEXT_FIELD(hostname), TEXT_FIELD(cgroup_parent),
	TEXT_FIELD(cgroup_slice), TEXT_FIELD(on_logout), TEXT_FIELD(private_tmp),
};
#define N_RECORD_FIELDS (sizeof(record_fields) / sizeof(record_fields[0]))

_Static_assert(sizeof(uid_t) == 4 && sizeof(pid_t) == 4 && sizeof(long long) == 8 &&
	       sizeof(unsigned long long) == 8, "record numbers are 32 or 64 bits wide");
_Static_assert(N_RECORD_FIELDS <= 32, "one bit per field in a 32-bit mask");

/* One value into its member.  NULL, or what is wrong with the value. */
static const char *set_field(struct nsiso_record *r, const struct record_field *f,
			     const char *value)
{
	char *at = (char *)r + f->offset;
	uint64_t n;
	const char *bad;

	if (f->max == 0) {
		if (strlen(value) >= f->size)
			return "too long";
		nsiso_record_set(at, f->size, value);
		return NULL;
	}
	bad = nsiso_parse_decimal(value, strlen(value), f->max, &n);
	if (bad)
		return bad;
	if (f->size == sizeof(uint32_t)) {
		uint32_t narrow = (uint32_t)n;

		memcpy(at, &narrow, sizeof(narrow));
	} else {
		memcpy(at, &n, sizeof(n));
	}
	return NULL;
}

static const struct record_field *find_field(const char *key)
{
	size_t i;

	for (i = 0; i < N_RECORD_FIELDS; i++)
		if (strcmp(record_fields[i].key, key) == 0)
			return &record_fields[i];
	return NULL;
}

/* One line of the file (with its newline).  NULL, or the reason in err.
 * Keys we do not know are skipped: a newer version may add fields. */
static const char *read_line(struct nsiso_record *r, char *line, unsigned number,
			     uint32_t *seen, char *err, size_t len)
{
	char *eq = strchr(line, '=');
	const struct record_field *f;
	const char *bad;
	uint32_t bit;

	if (!eq) {
		snprintf(err, len, "line %u is not key=value", number);
		return err;
	}
	*eq = '\0';
	eq[strcspn(eq + 1, "\n") + 1] = '\0';
	f = find_field(line);
	if (!f)
		return NULL;
	bit = UINT32_C(1) << (f - record_fields);
	if (*seen & bit) {
		snprintf(err, len, "%s given twice", f->key);
		return err;
	}
	*seen |= bit;
	bad = set_field(r, f, eq + 1);
	if (bad) {
		snprintf(err, len, "invalid %s '%.32s': %s", f->key, eq + 1, bad);
		return err;
	}
	return NULL;
}

/* Every line, each complete: a line without its newline is one cut off (a
 * record written by anything but nsiso_record_write, which renames only a
 * complete file) or longer than any we write.  NULL or the reason. */
static const char *read_lines(FILE *f, struct nsiso_record *r, char *err, size_t len)
{
	char line[512];
	unsigned number = 0;
	uint32_t seen = 0;

	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		number++;
		if (n == 0 || line[n - 1] != '\n') {
			snprintf(err, len, n + 1 == sizeof(line) ? "line %u is too long"
				 : "line %u is cut off (a truncated record)", number);
			return err;
		}
		if (read_line(r, line, number, &seen, err, len))
			return err;
	}
	if (ferror(f)) {
		snprintf(err, len, "cannot read: %s", strerror(errno));
		return err;
	}
	return NULL;
}

/* What every record must say, and say consistently with its name. */
static const char *check_record(const struct nsiso_record *r, const char *name, char *err,
				size_t len)
{
	if (!valid_session(r->session))
		snprintf(err, len, "no valid session id (a truncated record?)");
	else if (strncmp(name, r->session, NSISO_SESSION_ID_LEN) != 0 ||
		 (!has_suffix(name, NSISO_RECORD_SUFFIX) && !has_suffix(name, NSISO_ENDING_SUFFIX)))
		snprintf(err, len, "session id %s does not match the file name", r->session);
	else if (r->holder == 0)
		snprintf(err, len, "no holder (a truncated record?)");
	else if (r->holder == 1)
		snprintf(err, len, "invalid holder '1': PID 1 is never a session's holder");
	else
		return NULL;
	return err;
}

int nsiso_record_read(int dirfd, const char *name, struct nsiso_record *r, char *err, size_t len)
{
	char why[160];
	struct stat st;
	const char *bad;
	FILE *f;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	memset(r, 0, sizeof(*r));
	if (fd < 0) {
		snprintf(err, len, "%s: cannot open: %s", name, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, len, "%s: not a regular file", name);
		close(fd);
		return -1;
	}
	f = fdopen(fd, "r");
	if (!f) {
		snprintf(err, len, "%s: cannot read: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	bad = read_lines(f, r, why, sizeof(why));
	fclose(f);
	if (!bad)
		bad = check_record(r, name, why, sizeof(why));
	if (!bad) {
		r->ending = has_suffix(name, NSISO_ENDING_SUFFIX);
		return 0;
	}
	snprintf(err, len, "%s: %s", name, bad);
	return -1;
}

static int by_start(const void *a, const void *b)
{
	const struct nsiso_record *x = a, *y = b;

	if (x->started != y->started)
		return x->started < y->started ? -1 : 1;
	return strcmp(x->session, y->session);
}

/* A live session's record; with ending, an ending one's too. */
static bool is_record_name(const char *name, bool ending)
{
	return has_suffix(name, NSISO_RECORD_SUFFIX) ||
	       (ending && has_suffix(name, NSISO_ENDING_SUFFIX));
}

/* nsiso_record_list(), the .ending records too if ending. */
static int list_records(int dirfd, bool ending, struct nsiso_record **out)
{
	DIR *dir = fdopendir(dup(dirfd));
	struct nsiso_record *list = NULL;
	struct dirent *entry;
	char why[256];
	int n = 0;

	if (!dir)
		return -1;
	/* The dup shares dirfd's position: a second listing through the same
	 * dirfd (the reaper lists at every quota request) starts at the top. */
	rewinddir(dir);
	while ((entry = readdir(dir)) != NULL) {
		struct nsiso_record *grown;

		if (!is_record_name(entry->d_name, ending))
			continue;
		grown = realloc(list, (size_t)(n + 1) * sizeof(*grown));
		if (!grown)
			break;
		list = grown;
		/* A record that does not read is not a session we could
		 * check: it is left out (nsisoctl shows live sessions only). */
		if (nsiso_record_read(dirfd, entry->d_name, &list[n], why, sizeof(why)) == 0)
			n++;
	}
	closedir(dir);
	if (n)
		qsort(list, (size_t)n, sizeof(*list), by_start);
	*out = list;
	return n;
}

int nsiso_record_list(int dirfd, struct nsiso_record **out)
{
	return list_records(dirfd, false, out);
}

/* The command name (2) may hold spaces and ')': fields are counted from the
 * last ')'. */
int nsiso_process_stat(pid_t pid, struct nsiso_proc_stat *st)
{
	char path[64], buf[1024], *p;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (nsiso_read_text(path, buf, sizeof(buf)) <= 0)
		return -1;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -1;
	memset(st, 0, sizeof(*st));
	st->state = p[2];
	/* p walks the spaces: the one before field 3, then 4, ... then 22. */
	for (field = 3; p && field <= 22; field++) {
		p = strchr(p + 1, ' ');
		if (p && field == 4)
			st->ppid = (pid_t)strtol(p + 1, NULL, 10);
		if (p && field == 9)
			st->flags = strtoul(p + 1, NULL, 10);
	}
	if (!p)
		return -1;
	st->start = strtoull(p + 1, NULL, 10);
	return 0;
}

unsigned long long nsiso_process_start_time(pid_t pid)
{
	struct nsiso_proc_stat st;

	return nsiso_process_stat(pid, &st) == 0 ? st.start : 0;
}

/* /proc/<pid>/<file>, read by reader, while the process lives. */
static ssize_t read_proc_while_alive(pid_t pid, int pidfd, const char *file, char *buf,
				     size_t size, ssize_t (*reader)(const char *, char *, size_t))
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	n = reader(path, buf, size);
	if (n < 0)
		return -1;
	if (poll(&pfd, 1, 0) != 0) {
		errno = ESRCH;
		return -1;
	}
	return n;
}

ssize_t nsiso_read_proc_of(pid_t pid, int pidfd, const char *file, char *buf, size_t size)
{
	return read_proc_while_alive(pid, pidfd, file, buf, size, nsiso_read_whole);
}

ssize_t nsiso_read_proc_start_of(pid_t pid, int pidfd, const char *file, char *buf, size_t size)
{
	return read_proc_while_alive(pid, pidfd, file, buf, size, nsiso_read_text);
}

long nsiso_pidfd_pid(int fd)
{
	char path[64], text[2048], *line;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (fd < 0 || nsiso_read_text(path, text, sizeof(text)) <= 0)
		return -1;
	line = strstr(text, "\nPid:\t");
	return line ? strtol(line + 6, NULL, 10) : -1;
}

/* A holder runs as root and is named nsiso-holder; a session with isolate
 * none is held by its reaper, nsiso-reaper (helper/reaper.h), or by a
 * holder when an older version opened it.  A user can choose a name but
 * not the uids.  Read from status, not from the owner of /proc/<pid>,
 * which any non-dumpable process shows as root. */
static int is_holder(pid_t pid, const struct nsiso_record *r)
{
	static const char holder[] = "Name:\tnsiso-holder\n", reaper[] = "Name:\tnsiso-reaper\n";
	char path[64], status[2048];

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (nsiso_read_text(path, status, sizeof(status)) <= 0)
		return 0;
	return (strncmp(status, holder, sizeof(holder) - 1) == 0 ||
		(strcmp(r->isolate, "none") == 0 &&
		 strncmp(status, reaper, sizeof(reaper) - 1) == 0)) &&
	       strstr(status, "\nUid:\t0\t0\t0\t0\n") != NULL;
}

#define PF_EXITING 0x4	/* include/linux/sched.h */

unsigned long long nsiso_own_pidns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

static void nested_mark_name(unsigned long long pidns, char *name, size_t len)
{
	snprintf(name, len, "nested-%llu", pidns);
}

void nsiso_record_mark_nested(int dirfd, unsigned long long pidns)
{
	char name[48];
	int fd;

	if (!pidns_is_nested(pidns))
		return;
	nested_mark_name(pidns, name, sizeof(name));
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0)
		close(fd);
}

/* Every process of an ended PID namespace has ended before its init's
 * pidfd says so, nested sessions' holders with them: a record naming that
 * namespace's number whose holder lives belongs to a namespace made since
 * under the same number (the kernel hands a freed one out again at once; an
 * attacker review of rev 10b2fe5 had another user's live nested record
 * taken so).  One whose holder cannot be told gone is kept too. */
static bool nested_holder_gone(const struct nsiso_record *r)
{
	struct nsiso_record copy = *r;
	bool gone;
	int fd = nsiso_record_open_holder(&copy, &gone);

	if (fd >= 0) {
		close(fd);
		return false;
	}
	return gone;
}

int nsiso_record_take_nested(int dirfd, unsigned long long pidns, struct nsiso_record **out)
{
	struct nsiso_record *list = NULL;
	char name[48];
	int n, i, taken = 0, live = 0;

	*out = NULL;
	nested_mark_name(pidns, name, sizeof(name));
	if (pidns == 0 || faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	n = list_records(dirfd, true, &list);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (list[i].pidns != pidns)
			continue;
		if (list[i].ending) {
			int took = take_ending(dirfd, list[i].session);

			live += took == 0;
			if (took == 1)
				list[taken++] = list[i];
		} else if (!nested_holder_gone(&list[i])) {
			live++;
		} else if (nsiso_record_remove(dirfd, list[i].session) == 0) {
			list[taken++] = list[i];
		}
	}
	if (live == 0)
		unlinkat(dirfd, name, 0);
	if (taken == 0) {
		free(list);
		list = NULL;
	}
	*out = list;
	return taken;
}

/* pid is r's holder by start time, name and uids, and not on its way out. */
static bool is_live_holder(pid_t pid, const struct nsiso_record *r)
{
	struct nsiso_proc_stat st;

	return nsiso_process_stat(pid, &st) == 0 && st.start == r->holder_start &&
	       st.state != 'Z' && st.state != 'X' && !(st.flags & PF_EXITING) && is_holder(pid, r);
}

/* The last `want` numbers of the NSpid line (PIDs from our namespace down
 * to the process's own): the one at depth `back` from the end. */
static pid_t nspid_from_end(pid_t pid, int back)
{
	char path[64], status[4096], *line, *p;
	long ids[32];
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (nsiso_read_text(path, status, sizeof(status)) <= 0)
		return -1;
	line = strstr(status, "\nNSpid:");
	if (!line)
		return -1;
	for (p = line + 7; n < 32 && *p && *p != '\n';) {
		char *end;
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		ids[n++] = v;
		p = end;
	}
	return back < n ? (pid_t)ids[n - 1 - back] : -1;
}

/* The holder's PID namespace, or (with its own PID namespace, where it is
 * PID 1) that namespace's parent: the namespace the helper ran in. */
static unsigned long long helper_pidns_of(pid_t holder, bool own_pidns)
{
	char path[64];
	struct stat st;
	int fd, parent;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)holder);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (!own_pidns) {
		parent = fd;
	} else {
		parent = ioctl(fd, NS_GET_PARENT);
		close(fd);
		if (parent < 0)
			return 0;
	}
	if (fstat(parent, &st) != 0)
		st.st_ino = 0;
	close(parent);
	return (unsigned long long)st.st_ino;
}

/* A holder recorded in another PID namespace: look through /proc for a
 * holder with the record's start time whose PID in the record's namespace
 * is the recorded one.  Our PID for it, or -1. */
static pid_t find_foreign_holder(const struct nsiso_record *r)
{
	bool own_pidns = strstr(r->isolate, "pid") != NULL;
	DIR *dir = opendir("/proc");
	struct dirent *entry;
	pid_t found = -1;

	if (!dir)
		return -1;
	while (found < 0 && (entry = readdir(dir)) != NULL) {
		pid_t pid;

		if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
			continue;
		pid = (pid_t)strtol(entry->d_name, NULL, 10);
		if (is_live_holder(pid, r) && nspid_from_end(pid, own_pidns ? 1 : 0) == r->holder &&
		    helper_pidns_of(pid, own_pidns) == r->pidns)
			found = pid;
	}
	closedir(dir);
	return found;
}

int nsiso_record_open_holder(struct nsiso_record *r, bool *gone)
{
	unsigned long long ours = nsiso_own_pidns();
	bool foreign = r->pidns != 0 && ours != 0 && r->pidns != ours;
	pid_t pid = r->holder;
	int fd;

	*gone = !foreign || ours == INIT_PIDNS_INO;
	if (r->holder <= 1 || r->holder_start == 0)
		return -1;
	if (foreign) {
		pid = find_foreign_holder(r);
		if (pid < 0)
			return -1;
	}
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -1;
	/* Checked after the pidfd exists: if the PID had been reused before the
	 * open, the start time now read is the new process's and differs.  A
	 * holder that is exiting (a crashed session: PID 1 waits for its
	 * namespace's zombies) or a zombie is a session that is over. */
	if (!is_live_holder(pid, r)) {
		close(fd);
		return -1;
	}
	r->holder = pid;
	*gone = false;
	return fd;
}
