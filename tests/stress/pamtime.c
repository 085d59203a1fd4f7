/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsiso-pamtime: time pam_open_session and pam_close_session of pam_nsiso
 * through the real libpam, and the teardown that follows each close.
 *
 *   nsiso-pamtime CONFDIR SERVICE USER LIVE ROUNDS RUN_DIR [CGROUP_DIR]
 *
 * Each session runs in its own child process, as in sshd (one [priv]
 * monitor per login): pam_start_confdir(SERVICE) from CONFDIR, open, wait,
 * close, pam_end, exit.  LIVE sessions are opened first; then ROUNDS times
 * the oldest is closed (with LIVE - 1 others still open) and a new one is
 * opened in its place; at the end the rest are closed.  Per operation:
 *   open      pam_open_session, as the child sees it
 *   close     pam_close_session, with LIVE sessions open
 *   teardown  from the start of the close until the session's record in
 *             RUN_DIR is gone (its holder removes it once every process of
 *             the session is gone) and, when it was the user's last session
 *             and CGROUP_DIR is given, that directory too (the holder removes
 *             it right after the record).  Polled every 0.2 ms.
 * Prints one "op n= median_us= p99_us= max_us=" line per operation, and
 * exits 0 only if every open and close returned PAM_SUCCESS and every
 * teardown finished within 10 s (a generous bound: figures are reported,
 * not asserted). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#define TEARDOWN_BOUND_MS 10000

struct open_report { int ret; long long us; char record[64]; };
struct close_report { int ret; long long start_ns, end_ns; };

struct session {
	pid_t child;
	char record[64];	/* its file in run_dir, "" if none */
	int cmd_fd, rep_fd;
};

static const char *confdir, *service, *user, *run_dir, *cgroup_dir;
static long long *opens, *closes, *teardowns;
static int n_open, n_close, n_teardown, failures;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int conversation(int n, const struct pam_message **msg, struct pam_response **resp,
			void *data)
{
	(void)n; (void)msg; (void)resp; (void)data;
	return PAM_CONV_ERR;
}

/* The record of the session whose PAM application (caller) is pid. */
static void find_record(pid_t pid, char *name, size_t len)
{
	char want[32], line[256], path[4096];
	struct dirent *e;
	DIR *d = opendir(run_dir);

	name[0] = '\0';
	if (!d)
		return;
	snprintf(want, sizeof(want), "caller=%d\n", (int)pid);
	while (!name[0] && (e = readdir(d)) != NULL) {
		FILE *f;

		if (!strstr(e->d_name, ".session") || e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", run_dir, e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (strcmp(line, want) == 0)
				snprintf(name, len, "%.63s", e->d_name);
		fclose(f);
	}
	closedir(d);
}

static int exists_in(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void write_all(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		_exit(3);
}

static int read_all(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

__attribute__((noreturn))
static void session_child(int cmd_fd, int rep_fd)
{
	const struct pam_conv conv = { conversation, NULL };
	struct open_report o = { 0, 0, "" };
	struct close_report c = { 0, 0, 0 };
	pam_handle_t *pamh = NULL;
	long long t0;
	char byte;

	if (pam_start_confdir(service, user, &conv, confdir, &pamh) != PAM_SUCCESS)
		_exit(2);
	t0 = now_ns();
	o.ret = pam_open_session(pamh, 0);
	o.us = (now_ns() - t0) / 1000;
	if (o.ret == PAM_SUCCESS)
		find_record(getpid(), o.record, sizeof(o.record));
	write_all(rep_fd, &o, sizeof(o));
	if (read(cmd_fd, &byte, 1) != 1)
		byte = 0;	/* the driver died: close anyway */
	c.start_ns = now_ns();
	c.ret = o.ret == PAM_SUCCESS ? pam_close_session(pamh, 0) : o.ret;
	c.end_ns = now_ns();
	write_all(rep_fd, &c, sizeof(c));
	pam_end(pamh, c.ret);
	_exit(0);
}

static void fail(const char *what)
{
	fprintf(stderr, "nsiso-pamtime: %s\n", what);
	failures++;
}

static int start_session(struct session *s)
{
	struct open_report o;
	int cmd[2], rep[2];

	if (pipe2(cmd, O_CLOEXEC) != 0 || pipe2(rep, O_CLOEXEC) != 0) {
		perror("pipe2");
		exit(2);
	}
	s->child = fork();
	if (s->child < 0) {
		perror("fork");
		exit(2);
	}
	if (s->child == 0) {
		close(cmd[1]);
		close(rep[0]);
		session_child(cmd[0], rep[1]);
	}
	close(cmd[0]);
	close(rep[1]);
	s->cmd_fd = cmd[1];
	s->rep_fd = rep[0];
	if (read_all(s->rep_fd, &o, sizeof(o)) < 0) {
		fail("a session child died during open");
		return -1;
	}
	if (o.ret != PAM_SUCCESS || !o.record[0]) {
		fprintf(stderr, "nsiso-pamtime: open returned %d (%s), record '%s'\n", o.ret,
			pam_strerror(NULL, o.ret), o.record);
		failures++;
	}
	memcpy(s->record, o.record, sizeof(s->record));
	opens[n_open++] = o.us;
	return 0;
}

/* What is left of a session whose record outlived the bound, on stderr:
 * the record, and its holder's state if it still runs. */
static void describe_leftover(const char *record)
{
	char path[4096], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", run_dir, record);
	fprintf(stderr, "nsiso-pamtime: left over: %s\n", path);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		int holder;

		fprintf(stderr, "  %s", line);
		if (sscanf(line, "holder=%d", &holder) == 1) {
			char stat[512] = "";
			FILE *st;

			snprintf(path, sizeof(path), "/proc/%d/stat", holder);
			st = fopen(path, "re");
			if (st && fgets(stat, sizeof(stat), st))
				fprintf(stderr, "  (holder: %s", stat);
			else
				fprintf(stderr, "  (holder %d is gone)\n", holder);
			if (st)
				fclose(st);
		}
	}
	fclose(f);
}

/* Close one session; count it in the close figures if counted. */
static void end_session(struct session *s, int counted, int last)
{
	const struct timespec tick = { 0, 200000 };
	struct close_report c;
	int status;

	if (write(s->cmd_fd, "c", 1) != 1 || read_all(s->rep_fd, &c, sizeof(c)) < 0) {
		fail("a session child died before close");
	} else {
		if (c.ret != PAM_SUCCESS)
			fail("close did not return PAM_SUCCESS");
		if (counted)
			closes[n_close++] = (c.end_ns - c.start_ns) / 1000;
		while ((s->record[0] && exists_in(run_dir, s->record)) ||
		       (last && cgroup_dir && access(cgroup_dir, F_OK) == 0)) {
			if (now_ns() - c.start_ns > TEARDOWN_BOUND_MS * 1000000LL)
				break;
			nanosleep(&tick, NULL);
		}
		if (s->record[0] && exists_in(run_dir, s->record)) {
			describe_leftover(s->record);
			fail("a session's record outlived the teardown bound");
		}
		else if (last && cgroup_dir && access(cgroup_dir, F_OK) == 0)
			fail("the user's cgroup outlived the teardown bound after the last close");
		else
			teardowns[n_teardown++] = (now_ns() - c.start_ns) / 1000;
	}
	close(s->cmd_fd);
	close(s->rep_fd);
	while (waitpid(s->child, &status, 0) < 0 && errno == EINTR)
		;
}

static int by_value(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *op, long long *v, int n)
{
	int p99;

	if (n == 0) {
		printf("%-8s n=0\n", op);
		return;
	}
	qsort(v, (size_t)n, sizeof(*v), by_value);
	p99 = (n * 99 + 99) / 100 - 1;
	printf("%-8s n=%d median_us=%lld p99_us=%lld max_us=%lld\n", op, n, v[n / 2], v[p99],
	       v[n - 1]);
}

int main(int argc, char **argv)
{
	struct session *live;
	int n_live, rounds, i, head = 0;

	if (argc < 7 || argc > 8) {
		fprintf(stderr, "usage: nsiso-pamtime CONFDIR SERVICE USER LIVE ROUNDS RUN_DIR "
				"[CGROUP_DIR]\n");
		return 2;
	}
	confdir = argv[1];
	service = argv[2];
	user = argv[3];
	n_live = atoi(argv[4]);
	rounds = atoi(argv[5]);
	run_dir = argv[6];
	cgroup_dir = argc == 8 ? argv[7] : NULL;
	if (n_live < 1 || rounds < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	live = calloc((size_t)n_live, sizeof(*live));
	opens = calloc((size_t)(n_live + rounds), sizeof(*opens));
	closes = calloc((size_t)(n_live + rounds), sizeof(*closes));
	teardowns = calloc((size_t)(n_live + rounds), sizeof(*teardowns));
	if (!live || !opens || !closes || !teardowns)
		return 2;
	for (i = 0; i < n_live; i++)
		if (start_session(&live[i]) < 0)
			return 1;
	/* Steady state: LIVE sessions open at every counted close. */
	for (i = 0; i < rounds; i++) {
		end_session(&live[head], 1, n_live == 1);
		if (start_session(&live[head]) < 0)
			return 1;
		head = (head + 1) % n_live;
	}
	for (i = 0; i < n_live; i++)
		end_session(&live[(head + i) % n_live], rounds == 0, i == n_live - 1);
	report("open", opens, n_open);
	report("close", closes, n_close);
	report("teardown", teardowns, n_teardown);
	printf("failures=%d\n", failures);
	return failures ? 1 : 0;
}
