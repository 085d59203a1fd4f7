/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsisoctl quota: a user's own numbers.  Not setuid: a user asks a reaper
 * of their sessions (root) over the user's quota socket, which answers for
 * the uid the kernel gives for the caller and nobody else; root reads the
 * files itself (common/quota.h). */
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../common/quota.h"
#include "../common/record.h"
#include "ctl.h"

/* The answer comes within the reaper's own bound for a client; a socket
 * whose reaper has just ended is taken over within WATCH_TAKEOVER_MS. */
#define ANSWER_TIMEOUT_MS 5000
#define REFUSED_RETRY_MS 3000
#define RETRY_TICK_MS 100

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- asking ---------------------------------------------------------------- */

/* Connect to the socket, relative to the run directory (its path may be
 * longer than sun_path).  Non-blocking: a full backlog is EAGAIN, not a
 * wait.  fd, or -1 with errno. */
static int connect_socket(const char *run_dir, uid_t uid)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -1;
	snprintf(addr.sun_path, sizeof(addr.sun_path), NSISO_QUOTA_SOCKET_FORMAT, (unsigned)uid);
	if (chdir(run_dir) == 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		return fd;
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* Only root's reaper may answer: the listening socket's owner, as the
 * kernel tells it, must be root. */
static bool served_by_root(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == 0;
}

/* One request, one answer, within ANSWER_TIMEOUT_MS.  Its length, or -1.
 * A reaper that has no place for us answers at once and closes, maybe
 * before our request is sent: the answer is read all the same (a reset
 * is reported once, before the messages that were queued). */
static ssize_t exchange(int fd, char *answer, size_t len)
{
	const char *ask = nsiso_quota_ask_word(NSISO_QUOTA_ASK_NUMBERS);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (send(fd, ask, strlen(ask), MSG_NOSIGNAL) < 0 && errno != EPIPE && errno != ECONNRESET)
		return -1;
	if (poll(&p, 1, ANSWER_TIMEOUT_MS) != 1) {
		errno = ETIMEDOUT;
		return -1;
	}
	n = recv(fd, answer, len, MSG_DONTWAIT);
	if (n < 0 && errno == ECONNRESET)
		n = recv(fd, answer, len, MSG_DONTWAIT);
	return n;
}

/* A refused connection is a socket whose reaper has ended: another of the
 * user's reapers takes over within a second, if there is one.  A full
 * backlog clears as the reaper accepts. */
static int connect_retrying(const struct ctl_options *o, uid_t uid)
{
	int waited = 0, fd;

	while ((fd = connect_socket(o->run_dir, uid)) < 0 &&
	       ((errno == ECONNREFUSED && waited < REFUSED_RETRY_MS) ||
		(errno == EAGAIN && waited < ANSWER_TIMEOUT_MS))) {
		sleep_ms(RETRY_TICK_MS);
		waited += RETRY_TICK_MS;
	}
	return fd;
}

static int no_session(const char *user)
{
	fprintf(stderr, "nsisoctl: %s has no open session: there are no numbers to show\n", user);
	return CTL_NO_SESSION;
}

/* Ask our own reaper: CTL_OK with q filled in, or the exit code after the
 * error is printed. */
static int ask_reaper(const struct ctl_options *o, uid_t uid, const char *user,
		      struct nsiso_quota *q)
{
	static char answer[NSISO_QUOTA_MESSAGE_MAX + 1];
	char why[NSISO_QUOTA_REASON_MAX + 64], path[300];
	int fd, kind = -1, tries;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/" NSISO_QUOTA_SOCKET_FORMAT, o->run_dir, (unsigned)uid);
	for (tries = 0; tries < 3; tries++) {
		fd = connect_retrying(o, uid);
		if (fd < 0)
			return errno == ENOENT || errno == ECONNREFUSED
				       ? no_session(user)
				       : (fprintf(stderr, "nsisoctl: cannot reach %s: %s\n", path,
						  strerror(errno)), CTL_PROBLEM);
		if (!served_by_root(fd)) {
			close(fd);
			fprintf(stderr, "nsisoctl: %s is not served by root: not asked\n", path);
			return CTL_PROBLEM;
		}
		n = exchange(fd, answer, sizeof(answer) - 1);
		close(fd);
		if (n <= 0) {
			fprintf(stderr, "nsisoctl: no answer from %s: %s\n", path,
				n < 0 ? strerror(errno) : "closed");
			return CTL_PROBLEM;
		}
		kind = nsiso_quota_decode(answer, (size_t)n, q, why, sizeof(why));
		if (kind != NSISO_QUOTA_BUSY)
			break;
		sleep_ms(200);
	}
	if (kind == NSISO_QUOTA_OK)
		return CTL_OK;
	fprintf(stderr, "nsisoctl: %s: %s\n", kind < 0 ? "malformed answer" :
		nsiso_quota_answer_word((enum nsiso_quota_answer)kind), why);
	return kind == NSISO_QUOTA_DENIED ? CTL_NOT_ROOT : CTL_PROBLEM;
}

/* Root: the files themselves. */
static int read_as_root(const struct ctl_options *o, uid_t uid, const char *user,
			struct nsiso_quota *q)
{
	int dirfd, ret = ctl_open_run_dir(o, &dirfd);

	if (ret != CTL_OK)
		return ret;
	if (dirfd < 0)
		return no_session(user);
	ret = nsiso_quota_collect(dirfd, uid, user, NULL, q);
	close(dirfd);
	if (ret < 0) {
		fprintf(stderr, "nsisoctl: cannot read %s\n", o->run_dir);
		return CTL_PROBLEM;
	}
	return q->sessions_total ? CTL_OK : no_session(user);
}

/* ---- text ------------------------------------------------------------------- */

static void limit_text(uint64_t v, bool have, char *buf, size_t len)
{
	if (!have)
		snprintf(buf, len, "-");
	else if (v == NSISO_UNLIMITED)
		snprintf(buf, len, "max");
	else
		size_or_dash(v, buf, len);
}

static void seconds_text(uint64_t usec, char *buf, size_t len)
{
	if (usec == NSISO_UNLIMITED)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%llu.%03llu s", (unsigned long long)(usec / 1000000),
			 (unsigned long long)(usec % 1000000 / 1000));
}

static void print_group_text(const struct nsiso_quota *q)
{
	const struct nsiso_cgroup_stats *s = &q->stats;
	bool h = q->have_stats;
	char a[64], b[64], c[64], d[64];

	size_or_dash(s->memory_current, a, sizeof(a));
	size_or_dash(s->memory_peak, b, sizeof(b));
	limit_text(s->memory_limit, h, d, sizeof(d));
	/* memory.high (v2) only where it is set. */
	c[0] = '\0';
	if (s->memory_high != NSISO_UNLIMITED) {
		snprintf(c, sizeof(c), ", high ");
		size_or_dash(s->memory_high, c + 7, sizeof(c) - 7);
	}
	printf("memory     %s in use, peak %s%s, limit %s\n", a, b, c, d);
	size_or_dash(s->swap_current, a, sizeof(a));
	limit_text(s->swap_limit, h && s->swap_current != NSISO_UNLIMITED, b, sizeof(b));
	printf("swap       %s in use, limit %s\n", a, b);
	count_or_dash(s->tasks_current, a, sizeof(a), "-");
	count_or_dash(s->tasks_limit, b, sizeof(b), h ? "max" : "-");
	printf("tasks      %s, limit %s\n", a, b);
	seconds_text(s->cpu_usage_usec, a, sizeof(a));
	if (s->cpu_quota_usec != NSISO_UNLIMITED && s->cpu_period_usec != NSISO_UNLIMITED)
		snprintf(b, sizeof(b), "%llu us per %llu us", (unsigned long long)s->cpu_quota_usec,
			 (unsigned long long)s->cpu_period_usec);
	else
		snprintf(b, sizeof(b), "-");
	seconds_text(s->cpu_throttled_usec, c, sizeof(c));
	printf("cpu        %s since the group was made, quota %s, throttled %s\n", a, b, c);
	count_or_dash(s->io_weight, a, sizeof(a), "-");
	printf("io         weight %s\n", a);
}

static void print_text(const struct nsiso_quota *q)
{
	char when[32], oom[24];
	size_t i;

	printf("user       %s (uid %u)\n", q->user, (unsigned)q->uid);
	printf("cgroup     %s\n", q->cgroup[0] ? q->cgroup : "- (no limit)");
	print_group_text(q);
	count_or_dash(q->stats.oom_kills, oom, sizeof(oom), "-");
	printf("oom kills  %s\n", oom);
	for (i = 0; i < q->n_kills; i++) {
		time_text(q->kills[i].time, when, sizeof(when));
		if (q->kills[i].pid > 0)
			printf("           %s  %s (pid %d)\n", when, q->kills[i].command,
			       (int)q->kills[i].pid);
		else
			printf("           %s  (not named in the kernel's log)\n", when);
	}
	printf("sessions   %llu\n", (unsigned long long)q->sessions_total);
	for (i = 0; i < q->n_sessions; i++) {
		const struct nsiso_quota_session *s = &q->sessions[i];

		time_text(s->started, when, sizeof(when));
		printf("           %s  %s  %s  %s  %s  since %s\n", s->session,
		       s->service[0] ? s->service : "-", s->tty[0] ? s->tty : "-",
		       s->rhost[0] ? s->rhost : "-", s->isolate, when);
	}
}

/* ---- JSON ------------------------------------------------------------------- */

static void print_json(const struct nsiso_quota *q)
{
	const struct nsiso_cgroup_stats *s = &q->stats;
	size_t i;

	printf("{");
	json_string("user", q->user, ", ");
	json_number("uid", q->uid, ", ");
	json_string("cgroup", q->cgroup, ", ");
	json_number("memory_current", s->memory_current, ", ");
	json_number("memory_peak", s->memory_peak, ", ");
	json_number("memory_high", s->memory_high, ", ");
	json_number("memory_limit", s->memory_limit, ", ");
	json_number("swap_current", s->swap_current, ", ");
	json_number("swap_limit", s->swap_limit, ", ");
	json_number("tasks_current", s->tasks_current, ", ");
	json_number("tasks_limit", s->tasks_limit, ", ");
	json_number("cpu_usage_usec", s->cpu_usage_usec, ", ");
	json_number("cpu_quota_usec", s->cpu_quota_usec, ", ");
	json_number("cpu_period_usec", s->cpu_period_usec, ", ");
	json_number("cpu_throttled_usec", s->cpu_throttled_usec, ", ");
	json_number("io_weight", s->io_weight, ", ");
	json_number("oom_kills", s->oom_kills, ",\n  \"last_oom_kills\": [");
	for (i = 0; i < q->n_kills; i++) {
		printf("%s{", i ? ", " : "");
		json_number("time", (uint64_t)q->kills[i].time, ", ");
		json_number("pid", q->kills[i].pid > 0 ? (uint64_t)q->kills[i].pid : NSISO_UNLIMITED, ", ");
		if (q->kills[i].command[0])
			json_string("command", q->kills[i].command, "}");
		else
			printf("\"command\": null}");
	}
	printf("],\n  ");
	json_number("sessions_open", q->sessions_total, ",\n  \"sessions\": [");
	for (i = 0; i < q->n_sessions; i++) {
		const struct nsiso_quota_session *x = &q->sessions[i];

		printf("%s\n    {", i ? "," : "");
		json_string("session", x->session, ", ");
		json_string("service", x->service, ", ");
		json_string("tty", x->tty, ", ");
		json_string("rhost", x->rhost, ", ");
		json_number("started", (uint64_t)x->started, ", ");
		json_string("isolate", x->isolate, ", ");
		json_string("hostname", x->hostname, "}");
	}
	printf("%s]}\n", q->n_sessions ? "\n  " : "");
}

/* ---- the command -------------------------------------------------------------- */

/* Whose numbers: root names a user; anyone else gets their own (and may
 * name only themselves). */
static int whose(const struct ctl_options *o, uid_t *uid, char *user, size_t len)
{
	uid_t me = geteuid();
	struct passwd *pw;

	if (me == 0 && !o->user) {
		fprintf(stderr, "nsisoctl: quota as root needs a USER\n");
		return CTL_USAGE;
	}
	pw = o->user ? getpwnam(o->user) : getpwuid(me);
	if (!pw) {
		fprintf(stderr, "nsisoctl: no such user: %s\n", o->user ? o->user : "(you)");
		return CTL_PROBLEM;
	}
	if (me != 0 && pw->pw_uid != me) {
		fprintf(stderr, "nsisoctl: only root may see another user's numbers\n");
		return CTL_NOT_ROOT;
	}
	*uid = pw->pw_uid;
	snprintf(user, len, "%s", pw->pw_name);
	return CTL_OK;
}

int ctl_quota(const struct ctl_options *o)
{
	static struct nsiso_quota q;
	char user[64];
	uid_t uid;
	int ret = whose(o, &uid, user, sizeof(user));

	if (ret != CTL_OK)
		return ret;
	ret = geteuid() == 0 ? read_as_root(o, uid, user, &q) : ask_reaper(o, uid, user, &q);
	if (ret != CTL_OK)
		return ret;
	if (o->json)
		print_json(&q);
	else
		print_text(&q);
	return CTL_OK;
}
