/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "oomwatch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
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
		    const char *parent)
{
	memset(w, 0, sizeof(*w));
	w->run_dir_fd = run_dir_fd;
	w->uid = uid;
	w->user = user;
	w->event_fd = w->kmsg_fd = -1;
	w->v1 = nsiso_cgroup_detect_version() == NSISO_CGROUP_V1;
	nsiso_cgroup_user_path(parent, uid, w->rel, sizeof(w->rel));
	snprintf(w->group, sizeof(w->group), "/%s", w->rel);
	nsiso_cgroup_memory_dir(parent, uid, w->memory_dir, sizeof(w->memory_dir));
}

static uint64_t oom_kill_count(const struct oom_watch *w)
{
	return nsiso_cgroup_read_keyed(w->memory_dir, w->v1 ? "memory.oom_control" : "memory.events",
				       "oom_kill");
}

/* v1: an eventfd the kernel signals when the group runs out of memory
 * (cgroup.event_control); v2: memory.events, which polls POLLPRI when it
 * changes.  -1 if neither can be had: then only the periodic look finds
 * kills. */
static int open_event_fd(const struct oom_watch *w)
{
	char path[700], text[32];
	int efd, ofd, cfd, ok;

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

/* Queue a report of a kill in the group until the counter shows it. */
static void add_candidate(struct oom_watch *w, const struct nsiso_kmsg_oom *oom, long long now)
{
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
 * queue the reports of kills in the group that come after state.kmsg_seq. */
static void read_kmsg(struct oom_watch *w, long long now)
{
	char record[NSISO_KMSG_RECORD_MAX];
	struct nsiso_kmsg_oom oom;
	int i;

	for (i = 0; w->kmsg_fd >= 0 && i < KMSG_READS_MAX; i++) {
		ssize_t n = read(w->kmsg_fd, record, sizeof(record));
		uint64_t seq = 0;
		int kind;

		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten before we read them */
		if (n <= 0)
			break;		/* EAGAIN: the end */
		kind = nsiso_kmsg_parse(record, (size_t)n, &seq, &oom);
		if (kind < 0 || (seq <= w->state.kmsg_seq && w->state.kmsg_seq != 0))
			continue;
		w->state.kmsg_seq = seq;
		if (kind == 1 && nsiso_kmsg_in_group(&oom, w->group))
			add_candidate(w, &oom, now);
	}
}

/* Of the reports queued, keep the newest n: the kernel's log may still
 * hold reports of an earlier group of the same name, and the kills this
 * group counted are the last ones. */
static void keep_newest(struct oom_watch *w, uint64_t n)
{
	int drop = (uint64_t)w->n_candidates > n ? w->n_candidates - (int)n : 0;

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

bool oom_watch_start(struct oom_watch *w, long long now)
{
	struct nsiso_oom_state saved;
	struct stat st;
	uint64_t count;
	bool resume;

	if (w->watching)
		return true;
	if (stat(w->memory_dir, &st) != 0 || (count = oom_kill_count(w)) == NSISO_UNLIMITED)
		return false;
	/* The history of this very group: go on from it (a reaper that watched
	 * before us has ended).  Without one nobody has logged a kill of this
	 * group: every kill it counted is ours to log, named by the newest
	 * reports of its group in the kernel's log. */
	resume = nsiso_oom_state_read(w->run_dir_fd, w->uid, &saved) == 0 &&
		 saved.group == (unsigned long long)st.st_ino && saved.handled <= count;
	if (resume) {
		w->state = saved;
	} else {
		memset(&w->state, 0, sizeof(w->state));
		w->state.group = (unsigned long long)st.st_ino;
	}
	w->event_fd = open_event_fd(w);
	w->kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	read_kmsg(w, now);
	if (!resume)
		keep_newest(w, count);
	w->watching = true;
	if (log_counted(w, count, false, now) || !resume)
		save_state(w);
	return true;
}

int oom_watch_fd(const struct oom_watch *w, short *events)
{
	*events = w->v1 ? POLLIN : POLLPRI;
	return w->watching ? w->event_fd : -1;
}

void oom_watch_event(struct oom_watch *w, long long now)
{
	char buf[512];

	/* v1: the eventfd's count; v2: reading memory.events again re-arms it.
	 * A file of a group that is gone stays ready for good: from then on
	 * only the periodic look is left. */
	if (w->v1 ? read(w->event_fd, buf, 8) < 0 && errno != EAGAIN
		  : pread(w->event_fd, buf, sizeof(buf), 0) < 0) {
		close(w->event_fd);
		w->event_fd = -1;
	}
	w->busy_until_ms = now + BUSY_FOR_MS;
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
	if (log_counted(w, count, final, now))
		save_state(w);
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
}
