/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsisoctl status / kill: live sessions from the run directory's records,
 * each checked against the live holder before it is shown or signalled. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../common/cgroup.h"
#include "../common/proto.h"
#include "../common/record.h"
#include "../common/size.h"
#include "../common/unreaped.h"
#include "ctl.h"

struct live_session {
	struct nsiso_record rec;
	int processes;		/* -1: no PID namespace to count in */
};

struct user_row {
	uid_t uid;
	char user[64];
	char group[300];		/* nsiso_cgroup_user_group; "" none */
	int sessions;
	bool have_stats;
	struct nsiso_cgroup_stats stats;
};

/* The run directory, read-only.  CTL_OK with *fd open, or with *fd -1 when
 * the directory does not exist (no session was ever opened: nothing to
 * show); otherwise the exit code, after the error is printed.  A directory
 * that exists but fails the checks (relative, not root's, readable or
 * writable by others) is an error, never "no sessions": a monitoring script
 * must not read it as such. */
int ctl_open_run_dir(const struct ctl_options *o, int *fd)
{
	char err[300];
	struct stat st;

	*fd = -1;
	if (geteuid() != 0) {
		fprintf(stderr, "nsisoctl: reading %s needs root\n", o->run_dir);
		return CTL_NOT_ROOT;
	}
	*fd = nsiso_run_dir_open(o->run_dir, false, err, sizeof(err));
	if (*fd >= 0)
		return CTL_OK;
	/* Decided on the path itself, not on errno, which a failed check
	 * need not set. */
	if (o->run_dir[0] == '/' && lstat(o->run_dir, &st) != 0 && errno == ENOENT)
		return CTL_OK;
	fprintf(stderr, "nsisoctl: %s\n", err);
	return CTL_PROBLEM;
}

/* Whether a stat file says its task has exited (state Z or X, after the
 * last ')'); one that cannot be read has gone meanwhile. */
static bool stat_exited(int dir_fd, const char *path)
{
	char text[512], *paren;
	ssize_t n;
	int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return true;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return true;
	text[n] = '\0';
	paren = strrchr(text, ')');
	return !paren || paren[1] != ' ' || paren[2] == 'Z' || paren[2] == 'X';
}

/* Whether the process of a /proc's entry has exited and waits to be
 * reaped: every one of its threads has (a leader that called pthread_exit
 * shows Z while another thread runs on: a review of a909b8b). */
static bool exited_in(int proc_fd, const char *entry)
{
	char path[300];
	struct dirent *t;
	DIR *tasks;
	int fd;
	bool exited = true;

	snprintf(path, sizeof(path), "%s/stat", entry);
	if (!stat_exited(proc_fd, path))
		return false;
	snprintf(path, sizeof(path), "%s/task", entry);
	fd = openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	tasks = fd >= 0 ? fdopendir(fd) : NULL;
	if (!tasks) {
		if (fd >= 0)
			close(fd);
		return true;
	}
	while (exited && (t = readdir(tasks)) != NULL)
		if (t->d_name[0] >= '1' && t->d_name[0] <= '9') {
			snprintf(path, sizeof(path), "%s/stat", t->d_name);
			exited = stat_exited(dirfd(tasks), path);
		}
	closedir(tasks);
	return exited;
}

/* The processes of the session's PID namespace, as its own /proc (the
 * holder mounted it, and it is reached through the holder's root) lists
 * them: the holder, and those of namespaces a user made inside it (a
 * review of 1c56089 kept one alive past nsisoctl kill, which counted the
 * session's own namespace only).  With live_only, not those that have
 * exited and wait to be reaped: a session process whose parent is outside
 * (sshd's user child, its monitor's) stays a zombie as long as that parent
 * does not reap it, a stopped one never.  -1 when it cannot be read (the
 * holder is gone or ending). */
static int count_processes(pid_t holder, bool live_only)
{
	char path[64];
	struct dirent *entry;
	DIR *proc;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/root/proc", (int)holder);
	proc = opendir(path);
	if (!proc)
		return -1;
	while ((entry = readdir(proc)) != NULL) {
		if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
			continue;
		if (!live_only || !exited_in(dirfd(proc), entry->d_name))
			n++;
	}
	closedir(proc);
	return n;
}

/* Live sessions matching options->user; stale records are removed. */
static int collect(int dirfd, const struct ctl_options *o, struct live_session **out)
{
	struct nsiso_record *records = NULL;
	struct live_session *live;
	int n = dirfd >= 0 ? nsiso_record_list(dirfd, &records) : 0, i, kept = 0;

	live = calloc((size_t)(n > 0 ? n : 1), sizeof(*live));
	if (n < 0 || !live) {
		free(records);
		free(live);
		return -1;
	}
	for (i = 0; i < n; i++) {
		bool gone;
		int pidfd = nsiso_record_open_holder(&records[i], &gone);

		if (pidfd < 0 && !gone)
			continue;	/* in a PID namespace we cannot see into */
		if (pidfd < 0) {
			/* Its holder is gone (crash, reboot of the holder's
			 * PID): the record is stale, never trusted, removed. */
			nsiso_record_remove(dirfd, records[i].session);
			nsiso_unreaped_forget(dirfd, records[i].session_pidns,
					      records[i].holder_start);
			fprintf(stderr, "nsisoctl: removed stale record of session %s\n",
				records[i].session);
			continue;
		}
		close(pidfd);
		if (o->user && strcmp(o->user, records[i].user) != 0)
			continue;
		live[kept].rec = records[i];
		live[kept].processes = strstr(records[i].isolate, "pid")
					       ? count_processes(records[i].holder, false) : -1;
		kept++;
	}
	free(records);
	*out = live;
	return kept;
}

static int build_users(const struct live_session *s, int n, struct user_row *users)
{
	int i, j, n_users = 0;

	for (i = 0; i < n; i++) {
		char group[300];

		nsiso_cgroup_user_group(s[i].rec.cgroup_parent, s[i].rec.cgroup_slice, s[i].rec.uid,
					group, sizeof(group));
		for (j = 0; j < n_users; j++)
			if (users[j].uid == s[i].rec.uid && strcmp(users[j].group, group) == 0)
				break;
		if (j == n_users) {
			memset(&users[j], 0, sizeof(users[j]));
			users[j].uid = s[i].rec.uid;
			snprintf(users[j].user, sizeof(users[j].user), "%s", s[i].rec.user);
			snprintf(users[j].group, sizeof(users[j].group), "%s", group);
			users[j].have_stats = group[0] &&
				nsiso_cgroup_stats_of(group, &users[j].stats) == 0;
			n_users++;
		}
		users[j].sessions++;
	}
	return n_users;
}

/* ---- text ---------------------------------------------------------------- */

static void print_text(const struct live_session *s, int n, const struct user_row *u, int n_users)
{
	char started[32], procs[24], now[24], peak[24], limit[24], oom[24], tasks[24], tlimit[24];
	int i;

	printf("%-16s  %-16s %6s  %-22s %-7s %-15s %-19s %7s %5s\n", "SESSION", "USER", "UID",
	       "SERVICE", "TTY", "FROM", "STARTED", "HOLDER", "PROCS");
	for (i = 0; i < n; i++) {
		time_text(s[i].rec.started, started, sizeof(started));
		snprintf(procs, sizeof(procs), s[i].processes < 0 ? "-" : "%d", s[i].processes);
		printf("%-16s  %-16s %6u  %-22s %-7s %-15s %-19s %7d %5s\n", s[i].rec.session,
		       s[i].rec.user, (unsigned)s[i].rec.uid, s[i].rec.service[0] ? s[i].rec.service : "-",
		       s[i].rec.tty[0] ? s[i].rec.tty : "-", s[i].rec.rhost[0] ? s[i].rec.rhost : "-",
		       started, (int)s[i].rec.holder, procs);
	}
	printf("\n%-16s %6s %8s  %-24s %8s %8s %8s %9s %6s %6s\n", "USER", "UID", "SESSIONS",
	       "CGROUP", "MEMORY", "PEAK", "LIMIT", "OOM_KILLS", "TASKS", "MAX");
	for (i = 0; i < n_users; i++) {
		const struct nsiso_cgroup_stats *st = &u[i].stats;
		char cgroup[300];

		if (u[i].have_stats) {
			snprintf(cgroup, sizeof(cgroup), "%s", u[i].group);
			size_or_dash(st->memory_current, now, sizeof(now));
			size_or_dash(st->memory_peak, peak, sizeof(peak));
			size_or_dash(st->memory_limit, limit, sizeof(limit));
			if (st->memory_limit == NSISO_UNLIMITED)
				snprintf(limit, sizeof(limit), "max");
			count_or_dash(st->oom_kills, oom, sizeof(oom), "-");
			count_or_dash(st->tasks_current, tasks, sizeof(tasks), "-");
			count_or_dash(st->tasks_limit, tlimit, sizeof(tlimit), "max");
		} else {
			snprintf(cgroup, sizeof(cgroup), "-");
			strcpy(now, "-"), strcpy(peak, "-"), strcpy(limit, "-");
			strcpy(oom, "-"), strcpy(tasks, "-"), strcpy(tlimit, "-");
		}
		printf("%-16s %6u %8d  %-24s %8s %8s %8s %9s %6s %6s\n", u[i].user, (unsigned)u[i].uid,
		       u[i].sessions, cgroup, now, peak, limit, oom, tasks, tlimit);
	}
}

/* ---- JSON ---------------------------------------------------------------- */

static void print_json(const struct live_session *s, int n, const struct user_row *u, int n_users)
{
	char cgroup[300];
	int i;

	printf("{\n  \"sessions\": [");
	for (i = 0; i < n; i++) {
		const struct nsiso_record *r = &s[i].rec;

		printf("%s\n    {", i ? "," : "");
		json_string("session", r->session, ", ");
		json_string("user", r->user, ", ");
		json_number("uid", r->uid, ", ");
		json_string("service", r->service, ", ");
		json_string("tty", r->tty, ", ");
		json_string("rhost", r->rhost, ", ");
		json_number("started", (uint64_t)r->started, ", ");
		json_number("holder_pid", (uint64_t)r->holder, ", ");
		json_number("processes", s[i].processes < 0 ? NSISO_UNLIMITED : (uint64_t)s[i].processes, ", ");
		json_string("isolate", r->isolate, ", ");
		json_string("hostname", r->hostname, ", ");
		json_string("on_logout", r->on_logout, ", ");
		nsiso_cgroup_user_group(r->cgroup_parent, r->cgroup_slice, r->uid, cgroup,
					sizeof(cgroup));
		json_string("cgroup", cgroup, "}");
	}
	printf("%s],\n  \"users\": [", n ? "\n  " : "");
	for (i = 0; i < n_users; i++) {
		const struct nsiso_cgroup_stats *st = &u[i].stats;
		uint64_t none = NSISO_UNLIMITED;

		printf("%s\n    {", i ? "," : "");
		json_string("user", u[i].user, ", ");
		json_number("uid", u[i].uid, ", ");
		json_number("sessions", (uint64_t)u[i].sessions, ", ");
		json_string("cgroup", u[i].group, ", ");
		json_number("memory_current", u[i].have_stats ? st->memory_current : none, ", ");
		json_number("memory_peak", u[i].have_stats ? st->memory_peak : none, ", ");
		json_number("memory_limit", u[i].have_stats ? st->memory_limit : none, ", ");
		json_number("oom_kills", u[i].have_stats ? st->oom_kills : none, ", ");
		json_number("tasks_current", u[i].have_stats ? st->tasks_current : none, ", ");
		json_number("tasks_limit", u[i].have_stats ? st->tasks_limit : none, "}");
	}
	printf("%s]\n}\n", n_users ? "\n  " : "");
}

int ctl_status(const struct ctl_options *o)
{
	struct live_session *sessions = NULL;
	struct user_row *users;
	int dirfd, n, n_users, ret = ctl_open_run_dir(o, &dirfd);

	if (ret != CTL_OK)
		return ret;
	n = collect(dirfd, o, &sessions);
	if (dirfd >= 0)
		close(dirfd);
	if (n < 0) {
		fprintf(stderr, "nsisoctl: cannot read %s\n", o->run_dir);
		return CTL_PROBLEM;
	}
	users = calloc((size_t)(n > 0 ? n : 1), sizeof(*users));
	if (!users) {
		free(sessions);
		return CTL_PROBLEM;
	}
	n_users = build_users(sessions, n, users);
	if (o->json)
		print_json(sessions, n, users, n_users);
	else
		print_text(sessions, n, users, n_users);
	free(users);
	free(sessions);
	return CTL_OK;
}

/* ---- kill ---------------------------------------------------------------- */

enum { KILL_GRACE_MS = 2000, KILL_HARD_MS = 3000, KILL_POLL_MS = 20 };
#define PF_EXITING 0x00000004	/* include/linux/sched.h: getting shut down */

/* A session being ended: its holder's pidfd, opened right before the
 * signal. */
struct ending {
	const struct live_session *s;
	int pidfd;
	bool done;
};

static bool holder_exited(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/* Ended: no live process left in the session's PID namespace but its
 * holder, which stays until the application closes (or none at all). */
static bool ended_now(const struct ending *e)
{
	struct nsiso_proc_stat st;
	int n;

	if (holder_exited(e->pidfd))
		return true;
	n = count_processes(e->s->rec.holder, true);
	if (n >= 0)
		return n <= 1;
	/* Its /proc is out of reach once the holder is exiting: then the
	 * kernel has killed every process of its namespace, and waits only
	 * for their parents outside to reap them. */
	return nsiso_process_stat(e->s->rec.holder, &st) == 0 && (st.flags & PF_EXITING);
}

/* Until each is ended or ms have passed; the number not ended. */
static int wait_ended(struct ending *e, int n, int ms)
{
	struct timespec pause = { 0, KILL_POLL_MS * 1000000L };
	int i, left, waited;

	for (waited = 0;; waited += KILL_POLL_MS) {
		left = 0;
		for (i = 0; i < n; i++)
			if (!e[i].done && !(e[i].done = ended_now(&e[i])))
				left++;
		if (left == 0 || waited >= ms)
			return left;
		nanosleep(&pause, NULL);
	}
}

/* Each holder is told to kill its namespace's processes, and continued: a
 * holder a user had stopped (on systemd hosts logind's KillSession lets a
 * session's owner signal every process of its scope, root's holder too: a
 * review of b7aa9d1) would act on it only when the user continues it.
 * One not ended within KILL_GRACE_MS is killed outright: as its PID
 * namespace's PID 1 it takes every process of the namespace with it, and
 * its reaper cleans up (threat model L4).  "ended" is printed only for a
 * session that is. */
static int end_sessions(struct ending *e, int n)
{
	int i, ended = 0;

	for (i = 0; i < n; i++) {
		syscall(SYS_pidfd_send_signal, e[i].pidfd, NSISO_KILL_SIGNAL, NULL, 0);
		syscall(SYS_pidfd_send_signal, e[i].pidfd, SIGCONT, NULL, 0);
	}
	if (wait_ended(e, n, KILL_GRACE_MS) > 0) {
		for (i = 0; i < n; i++)
			if (!e[i].done)
				syscall(SYS_pidfd_send_signal, e[i].pidfd, SIGKILL, NULL, 0);
		wait_ended(e, n, KILL_HARD_MS);
	}
	for (i = 0; i < n; i++) {
		const struct nsiso_record *r = &e[i].s->rec;

		if (e[i].done) {
			printf("ended session %s of %s (holder %d)\n", r->session, r->user,
			       (int)r->holder);
			ended++;
		} else {
			fprintf(stderr, "nsisoctl: session %s of %s did not end: its holder (pid %d) "
				"and processes are still there\n", r->session, r->user, (int)r->holder);
		}
		close(e[i].pidfd);
	}
	return ended;
}

int ctl_kill(const char *session, const struct ctl_options *o)
{
	struct live_session *sessions = NULL;
	struct ending *e;
	int dirfd, n, i, n_e = 0, ended = 0, ret = ctl_open_run_dir(o, &dirfd);

	if (ret != CTL_OK)
		return ret;
	n = collect(dirfd, o, &sessions);
	if (dirfd >= 0)
		close(dirfd);
	e = calloc((size_t)(n > 0 ? n : 1), sizeof(*e));
	for (i = 0; e && i < n; i++) {
		bool gone;

		if (session && strcmp(session, sessions[i].rec.session) != 0)
			continue;
		if (sessions[i].processes < 0) {
			/* Without a PID namespace nothing tells the session's
			 * processes from the user's others: refuse, don't guess. */
			fprintf(stderr, "nsisoctl: session %s has no PID namespace (isolate %s): "
				"its processes cannot be ended\n", sessions[i].rec.session,
				sessions[i].rec.isolate);
			continue;
		}
		/* Re-checked now, right before the signal. */
		e[n_e].pidfd = nsiso_record_open_holder(&sessions[i].rec, &gone);
		if (e[n_e].pidfd >= 0)
			e[n_e++].s = &sessions[i];
	}
	if (e)
		ended = end_sessions(e, n_e);
	free(e);
	free(sessions);
	if (!ended) {
		if (n_e == 0)
			fprintf(stderr, "nsisoctl: no live session %s%s\n", session ? session : "of ",
				session ? "" : o->user);
		return CTL_PROBLEM;
	}
	return ended == n_e ? CTL_OK : CTL_PROBLEM;
}
