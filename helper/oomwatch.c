/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "oomwatch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../common/cgroup.h"
#include "../common/size.h"

/* After a notification, look this often for this long: the v1 event comes
 * before the kill, and the counter moves after the kernel's report. */
#define BUSY_INTERVAL_MS 50
#define BUSY_FOR_MS 3000
/* Otherwise once in a while, in case a notification was missed. */
#define IDLE_INTERVAL_MS 5000
/* A kill the counter shows but the kernel's log does not name (its report
 * is rate-limited) is logged without a name after this long. */
#define UNNAMED_AFTER_MS 2000
/* A report the counter never follows (the victim was exiting anyway). */
#define CANDIDATE_EXPIRES_MS 10000
/* Records read from /dev/kmsg in one go, at most. */
#define KMSG_READS_MAX 100000

long long watch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void oom_watch_init(struct oom_watch *w, int run_dir_fd, uid_t uid, const char *user,
		    const char *group, bool systemd)
{
	struct nsiso_cgroup_dirs dirs;

	memset(w, 0, sizeof(*w));
	w->run_dir_fd = run_dir_fd;
	w->uid = uid;
	w->user = user;
	w->event_fd = w->kmsg_fd = -1;
	w->systemd = systemd;
	snprintf(w->rel, sizeof(w->rel), "%s", group);
	snprintf(w->group, sizeof(w->group), "/%s", w->rel);
	/* A group of ours is where its maker made it, from the mount points a
	 * reaper knows when it was forked after they were found (a broker's
	 * spare's are current: the broker replaces its spares when the cgroup
	 * mounts change).  Its reaper's look at the mount table was the most of
	 * its start, with the OOM watch's (0.39 ms of CPU a login: perf,
	 * 100 logins via the broker). */
	if (!systemd && nsiso_cgroup_known_memory_dir(w->rel, w->memory_dir,
						      sizeof(w->memory_dir))) {
		w->v1 = nsiso_cgroup_version() == NSISO_CGROUP_V1;
		return;
	}
	/* No such group in the mount table: memory_dir "", never watched. */
	nsiso_cgroup_dirs_of(w->rel, &dirs);
	w->v1 = dirs.version == NSISO_CGROUP_V1;
	snprintf(w->memory_dir, sizeof(w->memory_dir), "%s", dirs.memory);
}

static bool has_below(const struct nsiso_cgroup_count *now, size_t n, unsigned long long group)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (now[i].group == group)
			return true;
	return false;
}

/* v1: the sum of the counts of the group and the groups below, plus those
 * of the groups below that are gone (their last count, as the history
 * keeps it): a scope of systemd's removed with its kills takes nothing
 * back.  A group missing from a full table may only be past its end, so
 * it is not taken for gone then. */
static uint64_t v1_count(struct oom_watch *w)
{
	struct nsiso_cgroup_count now[NSISO_OOM_GROUPS_MAX];
	struct nsiso_oom_state *s = &w->state;
	size_t n, i;
	uint64_t sum = nsiso_cgroup_v1_oom_kills(w->memory_dir, now, NSISO_OOM_GROUPS_MAX, &n);

	if (sum == NSISO_UNLIMITED)
		return sum;
	for (i = 0; n < NSISO_OOM_GROUPS_MAX && i < s->n_below; i++)
		if (!has_below(now, n, s->below[i].group)) {
			s->gone += s->below[i].count;
			w->gone_changed = true;
		}
	memcpy(s->below, now, sizeof(now[0]) * n);
	s->n_below = n;
	return s->gone + sum;
}

/* The group's oom_kill count, all kills since it was made (v2's
 * memory.events counts those below it too). */
static uint64_t oom_kill_count(struct oom_watch *w)
{
	return w->v1 ? v1_count(w) : nsiso_cgroup_read_keyed(w->memory_dir, "memory.events", "oom_kill");
}

/* v1: an eventfd the kernel signals when the group runs out of memory
 * (cgroup.event_control); v2: memory.events, which polls POLLPRI when it
 * changes.  -1 if neither can be had (or may: registering the eventfd is a
 * write into systemd's tree): then the kernel's log, or else only the
 * periodic look, finds kills. */
static int open_event_fd(const struct oom_watch *w)
{
	char path[700], text[32];
	int efd, ofd, cfd, ok;

	if (w->v1 && w->systemd)
		return -1;
	if (!w->v1) {
		snprintf(path, sizeof(path), "%s/memory.events", w->memory_dir);
		return open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	}
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	snprintf(path, sizeof(path), "%s/memory.oom_control", w->memory_dir);
	ofd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/cgroup.event_control", w->memory_dir);
	cfd = open(path, O_WRONLY | O_CLOEXEC);
	ok = efd >= 0 && ofd >= 0 && cfd >= 0;
	if (ok) {
		snprintf(text, sizeof(text), "%d %d", efd, ofd);
		ok = write(cfd, text, strlen(text)) == (ssize_t)strlen(text);
	}
	if (ofd >= 0)
		close(ofd);
	if (cfd >= 0)
		close(cfd);
	if (!ok && efd >= 0) {
		close(efd);
		efd = -1;
	}
	return efd;
}

/* Queue a report of a kill in the group until the counter shows it.  A
 * queue that cannot be made drops it: the kill is logged without its name
 * once the count shows it, as a report that never came. */
static void add_candidate(struct oom_watch *w, const struct nsiso_kmsg_oom *oom, long long now)
{
	w->reports++;
	if (!w->candidates) {
		w->candidates = calloc(OOM_CANDIDATES_MAX, sizeof(*w->candidates));
		if (!w->candidates)
			return;
	}
	if (w->n_candidates == OOM_CANDIDATES_MAX) {
		memmove(&w->candidates[0], &w->candidates[1],
			sizeof(w->candidates[0]) * (OOM_CANDIDATES_MAX - 1));
		w->n_candidates--;
	}
	w->candidates[w->n_candidates].oom = *oom;
	w->candidates[w->n_candidates].seen_ms = now;
	w->n_candidates++;
}

/* Read the kernel's log from where we are to its end (never waiting) and
 * queue the reports of kills in the group that come after state.kmsg_seq.
 * True when it got to the end (EAGAIN), false on an error or when it had
 * to stop before. */
static bool read_kmsg(struct oom_watch *w, long long now)
{
	/* Not on the stack: a frame this size is probed a page at a time
	 * (-fstack-clash-protection), which dirtied two pages in every reaper
	 * at its start, where a read at the log's end returns nothing.  One
	 * watch a process. */
	static char record[NSISO_KMSG_RECORD_MAX];
	struct nsiso_kmsg_oom oom;
	int i;

	for (i = 0; w->kmsg_fd >= 0 && i < KMSG_READS_MAX; i++) {
		ssize_t n = read(w->kmsg_fd, record, sizeof(record));
		uint64_t seq = 0;
		int kind;

		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten before we read them */
		if (n <= 0)
			return n < 0 && errno == EAGAIN;
		kind = nsiso_kmsg_parse(record, (size_t)n, &seq, &oom);
		if (kind < 0 || (seq <= w->state.kmsg_seq && w->state.kmsg_seq != 0))
			continue;
		w->state.kmsg_seq = seq;
		if (kind == 1 && nsiso_kmsg_in_group(&oom, w->group))
			add_candidate(w, &oom, now);
	}
	return false;
}

/* Of the reports queued, keep the newest n: the kernel's log may still
 * hold reports of an earlier group of the same name, and the kills this
 * group counted are the last ones. */
static void keep_newest(struct oom_watch *w, uint64_t n)
{
	int drop = (uint64_t)w->n_candidates > n ? w->n_candidates - (int)n : 0;

	if (drop == 0)
		return;
	memmove(&w->candidates[0], &w->candidates[drop],
		sizeof(w->candidates[0]) * (size_t)(w->n_candidates - drop));
	w->n_candidates -= drop;
}

static bool log_counted(struct oom_watch *w, uint64_t count, bool final, long long now);

static void save_state(struct oom_watch *w)
{
	if (nsiso_oom_state_write(w->run_dir_fd, w->uid, &w->state) < 0)
		syslog(LOG_ERR, "user %s (uid %u): cannot write the OOM history: %m", w->user,
		       (unsigned)w->uid);
}

/* The history of this very group, if there is one: go on from it (a
 * reaper that watched before us has ended).  Without one nobody has logged
 * a kill of this group: every kill it counted is ours to log.  The count,
 * or NSISO_UNLIMITED when the group has none. */
static uint64_t take_history(struct oom_watch *w, unsigned long long group, bool *resume,
			     bool *found)
{
	struct nsiso_oom_state saved;
	uint64_t count;

	*found = nsiso_oom_state_read(w->run_dir_fd, w->uid, &saved) == 0;
	*resume = *found && saved.group == group;
	if (*resume) {
		w->state = saved;
		count = oom_kill_count(w);
		*resume = count != NSISO_UNLIMITED && saved.handled <= count;
		if (*resume)
			return count;
	}
	memset(&w->state, 0, sizeof(w->state));
	w->state.group = group;
	return oom_kill_count(w);
}

bool oom_watch_start(struct oom_watch *w, long long now)
{
	struct stat st;
	uint64_t count;
	bool resume, found;

	if (w->watching)
		return true;
	if (!w->memory_dir[0] || stat(w->memory_dir, &st) != 0)
		return false;
	/* The kernel's log from its end, before the count is read: a kill
	 * reported after this is read as it comes.  Its backlog (thousands of
	 * records, one read each) only when the count has kills nobody has
	 * logged yet, to find their names; otherwise it was most of a
	 * session's start in the reaper (make bench's profile).  A kill whose
	 * report falls just before the seek and whose count just after the
	 * read is logged as it would be with its report rate-limited: without
	 * its command. */
	w->kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (w->kmsg_fd >= 0)
		lseek(w->kmsg_fd, 0, SEEK_END);
	count = take_history(w, (unsigned long long)st.st_ino, &resume, &found);
	if (count == NSISO_UNLIMITED) {
		if (w->kmsg_fd >= 0)
			close(w->kmsg_fd);
		w->kmsg_fd = -1;
		return false;
	}
	if (w->kmsg_fd >= 0 && count > (resume ? w->state.handled : 0))
		lseek(w->kmsg_fd, 0, SEEK_SET);
	w->event_fd = open_event_fd(w);
	w->wake_on_kmsg = w->event_fd < 0 && w->kmsg_fd >= 0;
	read_kmsg(w, now);
	if (!resume)
		keep_newest(w, count);
	w->watching = true;
	/* A new history is written when there is one to replace or a kill to
	 * keep: no history and no kill (a user's first login, as a rule) says
	 * the same as a history of none, to the next watcher and to nsisoctl,
	 * without the 7 system calls of a safe write. */
	if (log_counted(w, count, false, now) || (!resume && (found || count > 0)))
		save_state(w);
	return true;
}

int oom_watch_fd(const struct oom_watch *w, short *events)
{
	if (!w->watching)
		return -1;
	if (w->event_fd < 0 && w->wake_on_kmsg) {
		*events = POLLIN;
		return w->kmsg_fd;
	}
	*events = w->v1 ? POLLIN : POLLPRI;
	return w->event_fd;
}

bool oom_watch_event(struct oom_watch *w, long long now)
{
	unsigned long reports = w->reports;
	char buf[512];

	/* The kernel's log has new records: read them now (a log that cannot
	 * be read to its end would stay ready for good: then it wakes us no
	 * more).  Only a report of a kill in the group is worth a look: the
	 * counter follows it. */
	if (w->event_fd < 0) {
		if (!read_kmsg(w, now))
			w->wake_on_kmsg = false;
		if (w->reports == reports)
			return false;
		w->busy_until_ms = now + BUSY_FOR_MS;
		return true;
	}
	/* v1: the eventfd's count; v2: reading memory.events again re-arms it.
	 * A file of a group that is gone stays ready for good: from then on
	 * only the periodic look is left. */
	if (w->v1 ? read(w->event_fd, buf, 8) < 0 && errno != EAGAIN
		  : pread(w->event_fd, buf, sizeof(buf), 0) < 0) {
		close(w->event_fd);
		w->event_fd = -1;
	}
	w->busy_until_ms = now + BUSY_FOR_MS;
	return true;
}

/* One line per kill, at the moment we learn of it. */
static void log_kill(const struct oom_watch *w, const struct nsiso_kmsg_oom *oom)
{
	uint64_t limit = nsiso_cgroup_read_number(w->memory_dir,
						  w->v1 ? "memory.limit_in_bytes" : "memory.max");
	char size[32], pid[16], where[300];
	const char *command = oom ? oom->command : "unknown command";

	if (limit == NSISO_UNLIMITED)
		snprintf(size, sizeof(size), "unlimited");
	else
		nsiso_format_size(limit, size, sizeof(size));
	if (oom)
		snprintf(pid, sizeof(pid), "%d", (int)oom->pid);
	else
		snprintf(pid, sizeof(pid), "unknown");
	/* The limit that was hit: the group's own, or (the kernel says) the
	 * whole host's or an ancestor's. */
	if (!oom || strcmp(oom->oom_memcg, w->group) == 0) {
		syslog(LOG_WARNING, "user %s (uid %u): %s (pid %s) killed by the OOM killer at the "
		       "memory limit %s of cgroup %s", w->user, (unsigned)w->uid, command, pid, size,
		       w->rel);
		return;
	}
	if (oom->oom_memcg[0])
		snprintf(where, sizeof(where), "cgroup %s", oom->oom_memcg + (oom->oom_memcg[0] == '/'));
	else
		snprintf(where, sizeof(where), "the host");
	syslog(LOG_WARNING, "user %s (uid %u): %s (pid %s) killed by the OOM killer, %s out of "
	       "memory (cgroup %s, memory limit %s)", w->user, (unsigned)w->uid, command, pid, where,
	       w->rel, size);
}

static void record_kill(struct oom_watch *w, const struct nsiso_kmsg_oom *oom)
{
	struct nsiso_oom_kill kill = { .time = (long long)time(NULL) };

	log_kill(w, oom);
	if (oom) {
		kill.pid = oom->pid;
		snprintf(kill.command, sizeof(kill.command), "%s", oom->command);
	}
	nsiso_oom_state_add(&w->state, &kill);
	w->state.handled++;
}

static void expire_candidates(struct oom_watch *w, long long now)
{
	while (w->n_candidates > 0 && now - w->candidates[0].seen_ms > CANDIDATE_EXPIRES_MS) {
		memmove(&w->candidates[0], &w->candidates[1],
			sizeof(w->candidates[0]) * (size_t)(w->n_candidates - 1));
		w->n_candidates--;
	}
}

/* Each kill the counter shows beyond what was logged: with the oldest
 * report queued, or, once it has waited long enough (or at the end),
 * without a name. */
static bool log_counted(struct oom_watch *w, uint64_t count, bool final, long long now)
{
	bool logged = false;

	while (w->state.handled < count) {
		if (w->n_candidates > 0) {
			struct nsiso_kmsg_oom oom = w->candidates[0].oom;

			memmove(&w->candidates[0], &w->candidates[1],
				sizeof(w->candidates[0]) * (size_t)(w->n_candidates - 1));
			w->n_candidates--;
			record_kill(w, &oom);
		} else if (final || (w->uncounted_since_ms && now - w->uncounted_since_ms >= UNNAMED_AFTER_MS)) {
			record_kill(w, NULL);
		} else {
			if (!w->uncounted_since_ms)
				w->uncounted_since_ms = now;
			return logged;
		}
		logged = true;
	}
	w->uncounted_since_ms = 0;
	return logged;
}

long long oom_watch_check(struct oom_watch *w, bool final, long long now)
{
	uint64_t count;

	if (!w->watching)
		return IDLE_INTERVAL_MS;
	count = oom_kill_count(w);
	if (count == NSISO_UNLIMITED)
		return IDLE_INTERVAL_MS;	/* the group is gone */
	read_kmsg(w, now);
	expire_candidates(w, now);
	if (count < w->state.handled)
		w->state.handled = count;	/* cannot be: a counter never goes back */
	/* Saved also when a group below went with its kills: nsisoctl quota
	 * counts them from the history. */
	if (log_counted(w, count, final, now) || w->gone_changed) {
		save_state(w);
		w->gone_changed = false;
	}
	return oom_watch_interval(w, now);
}

long long oom_watch_interval(const struct oom_watch *w, long long now)
{
	if (w->uncounted_since_ms || now < w->busy_until_ms)
		return BUSY_INTERVAL_MS;
	return IDLE_INTERVAL_MS;
}

void oom_watch_stop(struct oom_watch *w)
{
	if (w->event_fd >= 0)
		close(w->event_fd);
	if (w->kmsg_fd >= 0)
		close(w->kmsg_fd);
	w->event_fd = w->kmsg_fd = -1;
	w->watching = false;
	free(w->candidates);
	w->candidates = NULL;
	w->n_candidates = 0;
}
