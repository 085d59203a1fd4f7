/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "quota.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record.h"
#include "size.h"

/* ---- words ------------------------------------------------------------ */

static const char *const ask_words[] = { [NSISO_QUOTA_ASK_NUMBERS] = "quota" };
static const char *const answer_words[] = {
	[NSISO_QUOTA_OK] = "ok", [NSISO_QUOTA_DENIED] = "denied",
	[NSISO_QUOTA_BUSY] = "busy", [NSISO_QUOTA_FAILED] = "failed",
};
#define N_ASKS (sizeof(ask_words) / sizeof(ask_words[0]))
#define N_ANSWERS (sizeof(answer_words) / sizeof(answer_words[0]))

const char *nsiso_quota_ask_word(enum nsiso_quota_ask ask)
{
	return ask_words[ask];
}

/* A request is the word alone: nothing else is looked at, nothing else is
 * accepted. */
int nsiso_quota_ask_of(const char *message, size_t len)
{
	size_t i;

	for (i = 0; i < N_ASKS; i++)
		if (len == strlen(ask_words[i]) && memcmp(message, ask_words[i], len) == 0)
			return (int)i;
	return -1;
}

const char *nsiso_quota_answer_word(enum nsiso_quota_answer answer)
{
	return answer_words[answer];
}

/* The word ends at a newline (ok) or a space (the others, a reason follows). */
int nsiso_quota_answer_of(const char *message, size_t len)
{
	size_t i;

	for (i = 0; i < N_ANSWERS; i++) {
		size_t n = strlen(answer_words[i]);

		if (len > n && memcmp(message, answer_words[i], n) == 0 &&
		    message[n] == (i == NSISO_QUOTA_OK ? '\n' : ' '))
			return (int)i;
	}
	return -1;
}

int nsiso_quota_socket_path(const char *run_dir, uid_t uid, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/" NSISO_QUOTA_SOCKET_FORMAT, run_dir, (unsigned)uid);

	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* ---- the fields of an answer ----------------------------------------- */

/* The fields other than the group's numbers.  A number's id is F_NUMBER
 * and its place in numbers[]. */
enum field_id { F_UID, F_USER, F_CGROUP, F_STATS, F_KILL, F_SESSIONS, F_SESSION, F_NUMBER };

static const char *const field_names[F_NUMBER] = {
	[F_UID] = "uid", [F_USER] = "user", [F_CGROUP] = "cgroup", [F_STATS] = "stats",
	[F_KILL] = "kill", [F_SESSIONS] = "sessions", [F_SESSION] = "session",
};

/* The group's numbers, in the order of an answer, each named as its member
 * of struct nsiso_cgroup_stats. */
static const struct {
	const char *name;
	size_t offset;
} numbers[] = {
#define NUMBER(member) { #member, offsetof(struct nsiso_cgroup_stats, member) }
	NUMBER(memory_current), NUMBER(memory_peak), NUMBER(memory_high), NUMBER(memory_limit),
	NUMBER(swap_current), NUMBER(swap_limit), NUMBER(tasks_current), NUMBER(tasks_limit),
	NUMBER(cpu_usage_usec), NUMBER(cpu_quota_usec), NUMBER(cpu_period_usec),
	NUMBER(cpu_throttled_usec), NUMBER(io_weight), NUMBER(oom_kills),
#undef NUMBER
};
#define N_NUMBERS (sizeof(numbers) / sizeof(numbers[0]))
#define N_FIELDS (F_NUMBER + N_NUMBERS)

/* Every number of the group is in an answer; a field is a bit of seen. */
_Static_assert(sizeof(struct nsiso_cgroup_stats) == N_NUMBERS * sizeof(uint64_t),
	       "each member of struct nsiso_cgroup_stats is in numbers[]");
_Static_assert(N_FIELDS <= sizeof(unsigned long) * 8, "the fields fit in a bit mask");

static uint64_t *number_of(struct nsiso_cgroup_stats *s, size_t i)
{
	return (uint64_t *)(void *)((char *)s + numbers[i].offset);
}

static void all_unknown(struct nsiso_cgroup_stats *s)
{
	size_t i;

	for (i = 0; i < N_NUMBERS; i++)
		*number_of(s, i) = NSISO_UNLIMITED;
}

/* ---- encoding ---------------------------------------------------------- */

struct out {
	char *buf;
	size_t len, used;
	bool full;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->used)
		o->full = true;
	else
		o->used += (size_t)n;
}

/* Texts went through nsiso_record_set (no spaces, printable); "" is "-". */
static const char *text_or_dash(const char *text)
{
	return text[0] ? text : "-";
}

/* "<time> <pid|-> <command|->": a kill, in an answer and in the history
 * file (parse_kill reads it back). */
#define KILL_TEXT_MAX 96
static void kill_text(const struct nsiso_oom_kill *k, char *buf, size_t len)
{
	char pid[16] = "-";

	if (k->pid > 0)
		snprintf(pid, sizeof(pid), "%d", (int)k->pid);
	snprintf(buf, len, "%lld %s %s", k->time, pid, text_or_dash(k->command));
}

static void put_number(struct out *o, const char *name, uint64_t v)
{
	if (v == NSISO_UNLIMITED)
		put(o, "%s -\n", name);
	else
		put(o, "%s %llu\n", name, (unsigned long long)v);
}

int nsiso_quota_encode(const struct nsiso_quota *q, char *buf, size_t len)
{
	struct out o = { buf, len, 0, false };
	struct nsiso_cgroup_stats s = q->stats;
	char line[KILL_TEXT_MAX];
	size_t i;

	if (!q->have_stats)
		all_unknown(&s);
	put(&o, "%s\n", answer_words[NSISO_QUOTA_OK]);
	put(&o, "uid %u\nuser %s\ncgroup %s\nstats %s\n", (unsigned)q->uid, text_or_dash(q->user),
	    text_or_dash(q->cgroup), q->have_stats ? "yes" : "no");
	for (i = 0; i < N_NUMBERS; i++)
		put_number(&o, numbers[i].name, *number_of(&s, i));
	for (i = 0; i < q->n_kills; i++) {
		kill_text(&q->kills[i], line, sizeof(line));
		put(&o, "kill %s\n", line);
	}
	put(&o, "sessions %llu\n", (unsigned long long)q->sessions_total);
	for (i = 0; i < q->n_sessions; i++) {
		const struct nsiso_quota_session *s2 = &q->sessions[i];

		put(&o, "session %s %lld %s %s %s %s %s\n", s2->session, s2->started,
		    text_or_dash(s2->service), text_or_dash(s2->tty), text_or_dash(s2->rhost),
		    text_or_dash(s2->isolate), text_or_dash(s2->hostname));
	}
	return o.full ? -1 : (int)o.used;
}

/* ---- decoding ---------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static int bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* A text field: printable, no space, fits; "-" stands for "". */
static bool take_text(const char *word, char *field, size_t size)
{
	size_t i, n = strlen(word);

	if (n == 0 || n >= size)
		return false;
	for (i = 0; i < n; i++)
		if (word[i] <= ' ' || word[i] >= 0x7f)
			return false;
	snprintf(field, size, "%s", strcmp(word, "-") == 0 ? "" : word);
	return true;
}

static bool take_number(const char *word, uint64_t max, uint64_t *out)
{
	return nsiso_parse_decimal(word, strlen(word), max, out) == NULL;
}

/* A group number, or "-" for unknown. */
static bool take_stat(const char *word, uint64_t *out)
{
	if (strcmp(word, "-") == 0) {
		*out = NSISO_UNLIMITED;
		return true;
	}
	return take_number(word, UINT64_MAX - 1, out);
}

/* Split value into exactly n space-separated words (value is modified). */
static bool split(char *value, char **words, size_t n)
{
	size_t i;
	char *save = NULL, *w = strtok_r(value, " ", &save);

	for (i = 0; i < n; i++, w = strtok_r(NULL, " ", &save)) {
		if (!w)
			return false;
		words[i] = w;
	}
	return w == NULL;
}

/* "<time> <pid|-> <command|->", in an answer and in the history file. */
static bool parse_kill(char *value, struct nsiso_oom_kill *k)
{
	char *w[3];
	uint64_t t, pid = 0;

	if (!split(value, w, 3) || !take_number(w[0], INT64_MAX, &t) ||
	    (strcmp(w[1], "-") != 0 && !take_number(w[1], 0x7fffffff, &pid)))
		return false;
	k->time = (long long)t;
	k->pid = (pid_t)pid;
	return take_text(w[2], k->command, sizeof(k->command));
}

static bool take_kill(char *value, struct nsiso_quota *q)
{
	if (q->n_kills >= NSISO_QUOTA_KILLS_MAX || !parse_kill(value, &q->kills[q->n_kills]))
		return false;
	q->n_kills++;
	return true;
}

static bool take_session(char *value, struct nsiso_quota *q)
{
	struct nsiso_quota_session *s;
	char *w[7];
	uint64_t started;

	if (q->n_sessions >= NSISO_QUOTA_SESSIONS_MAX || !split(value, w, 7) ||
	    !take_number(w[1], INT64_MAX, &started))
		return false;
	s = &q->sessions[q->n_sessions];
	s->started = (long long)started;
	if (!take_text(w[0], s->session, sizeof(s->session)) ||
	    !take_text(w[2], s->service, sizeof(s->service)) ||
	    !take_text(w[3], s->tty, sizeof(s->tty)) ||
	    !take_text(w[4], s->rhost, sizeof(s->rhost)) ||
	    !take_text(w[5], s->isolate, sizeof(s->isolate)) ||
	    !take_text(w[6], s->hostname, sizeof(s->hostname)))
		return false;
	q->n_sessions++;
	return true;
}

static bool take_field(int id, char *value, struct nsiso_quota *q)
{
	uint64_t n;

	if (id >= F_NUMBER)
		return take_stat(value, number_of(&q->stats, (size_t)(id - F_NUMBER)));
	switch (id) {
	case F_UID:
		if (!take_number(value, 4294967294ULL, &n))
			return false;
		q->uid = (uid_t)n;
		return true;
	case F_USER: return take_text(value, q->user, sizeof(q->user));
	case F_CGROUP: return take_text(value, q->cgroup, sizeof(q->cgroup));
	case F_STATS:
		q->have_stats = strcmp(value, "yes") == 0;
		return q->have_stats || strcmp(value, "no") == 0;
	case F_KILL: return take_kill(value, q);
	case F_SESSIONS: return take_number(value, UINT32_MAX, &q->sessions_total);
	case F_SESSION: return take_session(value, q);
	default: return false;
	}
}

static int field_of(const char *name)
{
	size_t i;

	for (i = 0; i < F_NUMBER; i++)
		if (strcmp(field_names[i], name) == 0)
			return (int)i;
	for (i = 0; i < N_NUMBERS; i++)
		if (strcmp(numbers[i].name, name) == 0)
			return (int)(F_NUMBER + i);
	return -1;
}

/* "<field> <value>" lines after "ok".  A field this version does not know
 * is skipped (a newer reaper may say more); one it knows must be well
 * formed and, but for kill and session, given once. */
static int decode_ok(char *text, struct nsiso_quota *q, char *why, size_t why_len)
{
	unsigned long seen = 0;
	char *save = NULL, *line;

	memset(q, 0, sizeof(*q));
	all_unknown(&q->stats);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *value = strchr(line, ' ');
		int id;

		if (!value || value[1] == '\0')
			return bad(why, why_len, "malformed answer line '%.40s'", line);
		*value++ = '\0';
		id = field_of(line);
		if (id < 0)
			continue;
		if (id != F_KILL && id != F_SESSION && (seen & (1UL << id)))
			return bad(why, why_len, "field %s given twice", line);
		seen |= 1UL << id;
		if (!take_field(id, value, q))
			return bad(why, why_len, "malformed field %s", line);
	}
	if (!(seen & (1UL << F_UID)) || !(seen & (1UL << F_STATS)) || !(seen & (1UL << F_SESSIONS)))
		return bad(why, why_len, "incomplete answer");
	return NSISO_QUOTA_OK;
}

/* A reason as the reaper gave it: printable ASCII, spaces kept. */
static void reason_text(const char *text, char *why, size_t why_len)
{
	size_t i;

	for (i = 0; text[i] && text[i] != '\n' && i + 1 < why_len && i < NSISO_QUOTA_REASON_MAX; i++)
		why[i] = (char)(text[i] >= ' ' && text[i] < 0x7f ? text[i] : '?');
	why[i] = '\0';
}

int nsiso_quota_decode(const char *message, size_t len, struct nsiso_quota *q,
		       char *why, size_t why_len)
{
	char text[NSISO_QUOTA_MESSAGE_MAX + 1];
	int kind = nsiso_quota_answer_of(message, len);
	size_t n;

	if (kind < 0 || len > NSISO_QUOTA_MESSAGE_MAX || memchr(message, '\0', len))
		return bad(why, why_len, "malformed answer");
	memcpy(text, message, len);
	text[len] = '\0';
	n = strlen(answer_words[kind]) + 1;
	if (kind == NSISO_QUOTA_OK)
		return decode_ok(text + n, q, why, why_len);
	reason_text(text + n, why, why_len);
	return kind;
}

/* ---- the OOM history ------------------------------------------------- */

static void state_name(uid_t uid, bool temporary, char *buf, size_t len)
{
	snprintf(buf, len, "%s" NSISO_OOM_STATE_FORMAT "%s", temporary ? "." : "", (unsigned)uid,
		 temporary ? ".tmp" : "");
}

/* "<inode> <count>" of a group below. */
static void take_below(char *value, struct nsiso_oom_state *s)
{
	uint64_t group, count;
	char *w[2];

	if (s->n_below < NSISO_OOM_GROUPS_MAX && split(value, w, 2) &&
	    take_number(w[0], UINT64_MAX, &group) && take_number(w[1], UINT64_MAX, &count))
		s->below[s->n_below++] = (struct nsiso_cgroup_count){ group, count };
}

/* "group N", "handled N", "seq N", "gone N", "below ..." and "kill ..."
 * lines. */
static void state_line(char *line, struct nsiso_oom_state *s)
{
	char *value = strchr(line, ' ');
	struct nsiso_oom_kill kill;
	uint64_t n;

	if (!value)
		return;
	*value++ = '\0';
	if (strcmp(line, "group") == 0 && take_number(value, UINT64_MAX, &n))
		s->group = n;
	else if (strcmp(line, "handled") == 0 && take_number(value, UINT64_MAX, &n))
		s->handled = n;
	else if (strcmp(line, "seq") == 0 && take_number(value, UINT64_MAX, &n))
		s->kmsg_seq = n;
	else if (strcmp(line, "gone") == 0 && take_number(value, UINT64_MAX, &n))
		s->gone = n;
	else if (strcmp(line, "below") == 0)
		take_below(value, s);
	else if (strcmp(line, "kill") == 0 && parse_kill(value, &kill))
		nsiso_oom_state_add(s, &kill);
}

int nsiso_oom_state_read(int dirfd, uid_t uid, struct nsiso_oom_state *s)
{
	char name[64], line[256];
	FILE *f;
	int fd;

	memset(s, 0, sizeof(*s));
	state_name(uid, false, name, sizeof(name));
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		state_line(line, s);
	}
	fclose(f);
	return 0;
}

int nsiso_oom_state_write(int dirfd, uid_t uid, const struct nsiso_oom_state *s)
{
	char tmp[64], final[64], line[KILL_TEXT_MAX];
	size_t i;
	FILE *f;
	int fd, ok;

	state_name(uid, true, tmp, sizeof(tmp));
	state_name(uid, false, final, sizeof(final));
	unlinkat(dirfd, tmp, 0);	/* left by a reaper killed while writing */
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	fprintf(f, "group %llu\nhandled %llu\nseq %llu\ngone %llu\n", s->group,
		(unsigned long long)s->handled, (unsigned long long)s->kmsg_seq,
		(unsigned long long)s->gone);
	for (i = 0; i < s->n_below; i++)
		fprintf(f, "below %llu %llu\n", s->below[i].group,
			(unsigned long long)s->below[i].count);
	for (i = 0; i < s->n_kills; i++) {
		kill_text(&s->kills[i], line, sizeof(line));
		fprintf(f, "kill %s\n", line);
	}
	ok = fflush(f) == 0;
	ok = (fclose(f) == 0) && ok;
	if (!ok || renameat(dirfd, tmp, dirfd, final) != 0) {
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	return 0;
}

int nsiso_oom_state_remove(int dirfd, uid_t uid)
{
	char name[64];

	state_name(uid, false, name, sizeof(name));
	return unlinkat(dirfd, name, 0) == 0 || errno == ENOENT ? 0 : -1;
}

void nsiso_oom_state_add(struct nsiso_oom_state *s, const struct nsiso_oom_kill *kill)
{
	if (s->n_kills == NSISO_QUOTA_KILLS_MAX) {
		memmove(&s->kills[0], &s->kills[1], sizeof(s->kills[0]) * (NSISO_QUOTA_KILLS_MAX - 1));
		s->n_kills--;
	}
	s->kills[s->n_kills++] = *kill;
}

/* ---- collecting -------------------------------------------------------- */

static unsigned long long group_inode(const char *group)
{
	struct nsiso_cgroup_dirs dirs;
	struct stat st;

	return nsiso_cgroup_dirs_of(group, &dirs) == 0 && stat(dirs.memory, &st) == 0
		       ? (unsigned long long)st.st_ino : 0;
}

static void add_session(struct nsiso_quota *q, const struct nsiso_record *r)
{
	struct nsiso_quota_session *s;

	q->sessions_total++;
	if (q->n_sessions >= NSISO_QUOTA_SESSIONS_MAX)
		return;
	s = &q->sessions[q->n_sessions++];
	/* Record fields are printable and without spaces already. */
	snprintf(s->session, sizeof(s->session), "%s", r->session);
	snprintf(s->service, sizeof(s->service), "%s", r->service);
	snprintf(s->tty, sizeof(s->tty), "%s", r->tty);
	snprintf(s->rhost, sizeof(s->rhost), "%s", r->rhost);
	snprintf(s->isolate, sizeof(s->isolate), "%s", r->isolate);
	snprintf(s->hostname, sizeof(s->hostname), "%s", r->hostname);
	s->started = r->started;
}

/* The user's sessions whose holder is alive (a record is only a hint).
 * Records are sorted by start time: the oldest are listed.  The group of
 * the first that has one goes to group (when not NULL). */
static int collect_sessions(int dirfd, struct nsiso_quota *q, char *group, size_t len)
{
	struct nsiso_record *records = NULL;
	int n = nsiso_record_list(dirfd, &records), i;

	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		bool gone;
		int pidfd;

		if (records[i].uid != q->uid)
			continue;
		pidfd = nsiso_record_open_holder(&records[i], &gone);
		if (pidfd < 0)
			continue;
		close(pidfd);
		add_session(q, &records[i]);
		if (group && !group[0])
			nsiso_cgroup_user_group(records[i].cgroup_parent, records[i].cgroup_slice,
						q->uid, group, len);
	}
	free(records);
	return 0;
}

/* The group's numbers and the OOM history of this very group: one removed
 * and made again starts from nothing, as its counter does.  (v1: the
 * kills of the groups below that are gone count too, as the watch counts
 * them.) */
static void collect_group(int dirfd, const char *group, struct nsiso_quota *q)
{
	struct nsiso_oom_state oom;

	snprintf(q->cgroup, sizeof(q->cgroup), "%s", group);
	q->have_stats = nsiso_cgroup_stats_of(group, &q->stats) == 0;
	if (!q->have_stats) {
		all_unknown(&q->stats);
		return;
	}
	if (nsiso_oom_state_read(dirfd, q->uid, &oom) == 0 && oom.group == group_inode(group)) {
		memcpy(q->kills, oom.kills, sizeof(oom.kills[0]) * oom.n_kills);
		q->n_kills = oom.n_kills;
		if (q->stats.oom_kills != NSISO_UNLIMITED)
			q->stats.oom_kills += oom.gone;
	}
}

int nsiso_quota_collect(int dirfd, uid_t uid, const char *user, const char *group,
			struct nsiso_quota *q)
{
	char found[300] = "";

	memset(q, 0, sizeof(*q));
	q->uid = uid;
	nsiso_record_set(q->user, sizeof(q->user), user);
	all_unknown(&q->stats);
	if (collect_sessions(dirfd, q, group ? NULL : found, sizeof(found)) < 0)
		return -1;
	if (!group)
		group = found;
	if (group[0])
		collect_group(dirfd, group, q);
	return 0;
}
