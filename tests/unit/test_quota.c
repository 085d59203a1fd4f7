/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The quota socket's messages and the OOM history (common/quota.c): every
 * field survives encode + decode, unknown numbers stay unknown, malformed
 * answers are refused, a request is one word and nothing else, and the
 * history file keeps the last kills. */
#include "unit.h"

#include "unit_files.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/quota.h"

static struct nsiso_quota in, out;
static char message[NSISO_QUOTA_MESSAGE_MAX], why[256];

static void full_quota(struct nsiso_quota *q)
{
	memset(q, 0, sizeof(*q));
	q->uid = 1000;
	strcpy(q->user, "alice");
	strcpy(q->cgroup, "lab/nsiso/user-1000");
	q->have_stats = true;
	q->stats = (struct nsiso_cgroup_stats){
		.memory_current = 1 << 20, .memory_peak = 64 << 20, .memory_limit = 64 << 20,
		.oom_kills = 2, .tasks_current = 7, .tasks_limit = 100,
		.memory_high = NSISO_UNLIMITED, .swap_current = 0, .swap_limit = 16 << 20,
		.cpu_usage_usec = 123456, .cpu_quota_usec = 50000, .cpu_period_usec = 100000,
		.cpu_throttled_usec = NSISO_UNLIMITED, .io_weight = 300,
	};
	q->kills[0] = (struct nsiso_oom_kill){ 1796000000, 4321, "memhog" };
	q->kills[1] = (struct nsiso_oom_kill){ 1796000100, 0, "" };
	q->n_kills = 2;
	q->sessions[0] = (struct nsiso_quota_session){ "0123456789abcdef", "sshd", "pts/0",
						       "10.0.0.1", "uts,ipc,mnt,pid", "lab-alice", 1795999999 };
	q->sessions[1] = (struct nsiso_quota_session){ "fedcba9876543210", "cron", "", "",
						       "none", "", 1796000001 };
	q->n_sessions = 2;
	q->sessions_total = 3;
}

static int decode(const char *text)
{
	return nsiso_quota_decode(text, strlen(text), &out, why, sizeof(why));
}

UNIT_TEST(round_trip)
{
	int n;

	full_quota(&in);
	n = nsiso_quota_encode(&in, message, sizeof(message));
	assert_true(n > 0);
	assert_int_equal(nsiso_quota_decode(message, (size_t)n, &out, why, sizeof(why)), NSISO_QUOTA_OK);
	assert_int_equal(out.uid, 1000);
	assert_string_equal(out.user, "alice");
	assert_string_equal(out.cgroup, "lab/nsiso/user-1000");
	assert_true(out.have_stats);
	assert_memory_equal(&out.stats, &in.stats, sizeof(in.stats));
	assert_int_equal(out.n_kills, 2);
	assert_int_equal(out.kills[0].pid, 4321);
	assert_string_equal(out.kills[0].command, "memhog");
	assert_true(out.kills[1].time == 1796000100);
	assert_int_equal(out.kills[1].pid, 0);
	assert_string_equal(out.kills[1].command, "");
	assert_int_equal(out.n_sessions, 2);
	assert_true(out.sessions_total == 3);
	assert_memory_equal(&out.sessions[0], &in.sessions[0], sizeof(in.sessions[0]));
	assert_string_equal(out.sessions[1].tty, "");
	assert_string_equal(out.sessions[1].isolate, "none");
	assert_true(out.sessions[1].started == 1796000001);
}

/* No group: every number unknown, whatever the struct held. */
UNIT_TEST(no_group)
{
	int n;

	full_quota(&in);
	in.have_stats = false;
	in.cgroup[0] = '\0';
	n = nsiso_quota_encode(&in, message, sizeof(message));
	assert_int_equal(nsiso_quota_decode(message, (size_t)n, &out, why, sizeof(why)), NSISO_QUOTA_OK);
	assert_false(out.have_stats);
	assert_string_equal(out.cgroup, "");
	assert_true(out.stats.memory_limit == NSISO_UNLIMITED);
	assert_true(out.stats.oom_kills == NSISO_UNLIMITED);
	assert_true(out.stats.cpu_usage_usec == NSISO_UNLIMITED);
	/* too small a buffer: refused, not cut */
	assert_int_equal(nsiso_quota_encode(&in, message, 40), -1);
}

UNIT_TEST(other_answers)
{
	assert_int_equal(decode("denied this socket answers only its own user"), NSISO_QUOTA_DENIED);
	assert_string_equal(why, "this socket answers only its own user");
	assert_int_equal(decode("busy too many"), NSISO_QUOTA_BUSY);
	assert_int_equal(decode("failed x\x01y"), NSISO_QUOTA_FAILED);
	assert_string_equal(why, "x?y");
	assert_int_equal(decode("okay\n"), -1);
	assert_int_equal(decode("ok"), -1);
	assert_int_equal(decode("denied"), -1);
	assert_int_equal(decode(""), -1);
}

UNIT_TEST(malformed_ok)
{
	static const char *const bad[] = {
		"ok\nuid 1000\nstats yes\n",			/* no sessions */
		"ok\nuid 1000\nsessions 1\n",			/* no stats */
		"ok\nuid x\nstats no\nsessions 0\n",
		"ok\nuid 1000\nuid 1001\nstats no\nsessions 0\n",
		"ok\nuid 1000\nstats maybe\nsessions 0\n",
		"ok\nuid 1000\nstats yes\nmemory_limit -5\nsessions 0\n",
		"ok\nuid 1000\nstats yes\nmemory_limit 12abc\nsessions 0\n",
		"ok\nuid 1000\nstats no\nsessions 0\nkill 1 2\n",
		"ok\nuid 1000\nstats no\nsessions 0\nkill 1 2 a b\n",
		"ok\nuid 1000\nstats no\nsessions 0\nsession a 1 b c d e\n",
		"ok\nuid 1000\nstats no\nsessions 0\nuid\n",
		"ok\nuid 1000\nstats no\nsessions 0\nuser \x7f\n",
	};
	char many[2048];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(decode(bad[i]), -1);
		assert_true(why[0] != '\0');
	}
	/* a field this version does not know is skipped */
	assert_int_equal(decode("ok\nuid 7\nstats no\nsessions 0\nio_read_bytes 5\n"), NSISO_QUOTA_OK);
	assert_int_equal(out.uid, 7);
	/* more kills than are kept: refused */
	strcpy(many, "ok\nuid 1\nstats no\nsessions 0\n");
	for (i = 0; i <= NSISO_QUOTA_KILLS_MAX; i++)
		strcat(many, "kill 1 2 x\n");
	assert_int_equal(decode(many), -1);
	/* an embedded NUL */
	assert_int_equal(nsiso_quota_decode("ok\nuid 1\0", 9, &out, why, sizeof(why)), -1);
}

/* A request is exactly the word: no uid, no user, nothing after it. */
UNIT_TEST(ask_words)
{
	assert_string_equal(nsiso_quota_ask_word(NSISO_QUOTA_ASK_NUMBERS), "quota");
	assert_int_equal(nsiso_quota_ask_of("quota", 5), NSISO_QUOTA_ASK_NUMBERS);
	assert_int_equal(nsiso_quota_ask_of("quota 1001", 10), -1);
	assert_int_equal(nsiso_quota_ask_of("quota\n", 6), -1);
	assert_int_equal(nsiso_quota_ask_of("quot", 4), -1);
	assert_int_equal(nsiso_quota_ask_of("", 0), -1);
	assert_int_equal(nsiso_quota_answer_of("ok\n", 3), NSISO_QUOTA_OK);
	assert_int_equal(nsiso_quota_answer_of("ok x", 4), -1);
	assert_int_equal(nsiso_quota_answer_of("busy x", 6), NSISO_QUOTA_BUSY);
}

UNIT_TEST(socket_path)
{
	char buf[64];

	assert_int_equal(nsiso_quota_socket_path("/run/nsiso", 1000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/nsiso/user-1000.sock");
	assert_int_equal(nsiso_quota_socket_path("/run/nsiso", 1000, buf, 10), -1);
}

/* Written whole (0600), read back; the oldest kills go beyond the last
 * NSISO_QUOTA_KILLS_MAX; missing is empty; removed is gone. */
UNIT_FILE_TEST(oom_state)
{
	struct nsiso_oom_state s, back;
	struct nsiso_oom_kill k = { 1796000000, 100, "hog" };
	char path[128];
	struct stat st;
	int fd = open(unit_dir, O_RDONLY | O_DIRECTORY), i;

	assert_true(fd >= 0);
	assert_int_equal(nsiso_oom_state_read(fd, 1000, &back), 0);
	assert_true(back.group == 0 && back.handled == 0 && back.n_kills == 0);
	memset(&s, 0, sizeof(s));
	s.group = 4242;
	s.handled = 9;
	s.kmsg_seq = 123456789;
	s.gone = 3;
	s.below[0] = (struct nsiso_cgroup_count){ 77, 2 };
	s.below[1] = (struct nsiso_cgroup_count){ 18446744073709551615ULL, 4 };
	s.n_below = 2;
	for (i = 0; i < NSISO_QUOTA_KILLS_MAX + 2; i++) {
		k.pid = 100 + i;
		nsiso_oom_state_add(&s, &k);
	}
	k.pid = 0;
	k.command[0] = '\0';
	nsiso_oom_state_add(&s, &k);
	assert_int_equal(s.n_kills, NSISO_QUOTA_KILLS_MAX);
	assert_int_equal(s.kills[0].pid, 103);
	assert_int_equal(nsiso_oom_state_write(fd, 1000, &s), 0);
	snprintf(path, sizeof(path), "%s/user-1000.oom", unit_dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(nsiso_oom_state_read(fd, 1000, &back), 0);
	assert_true(back.group == 4242 && back.handled == 9 && back.kmsg_seq == 123456789);
	/* v1's groups below, and the kills of those gone */
	assert_true(back.gone == 3 && back.n_below == 2);
	assert_true(back.below[0].group == 77 && back.below[0].count == 2);
	assert_true(back.below[1].group == 18446744073709551615ULL && back.below[1].count == 4);
	assert_int_equal(back.n_kills, NSISO_QUOTA_KILLS_MAX);
	assert_int_equal(back.kills[0].pid, 103);
	assert_string_equal(back.kills[0].command, "hog");
	assert_int_equal(back.kills[NSISO_QUOTA_KILLS_MAX - 1].pid, 0);
	assert_string_equal(back.kills[NSISO_QUOTA_KILLS_MAX - 1].command, "");
	assert_int_equal(nsiso_oom_state_remove(fd, 1000), 0);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(nsiso_oom_state_remove(fd, 1000), 0);
	close(fd);
}

/* An empty run directory and no group: no sessions, no numbers. */
UNIT_FILE_TEST(collect_nothing)
{
	int fd = open(unit_dir, O_RDONLY | O_DIRECTORY);

	assert_int_equal(nsiso_quota_collect(fd, 4242, "nobody", NULL, &out), 0);
	assert_true(out.sessions_total == 0);
	assert_false(out.have_stats);
	assert_string_equal(out.cgroup, "");
	assert_int_equal(nsiso_quota_collect(fd, 4242, "nobody", "nsiso-unit-absent-parent/user-4242",
					     &out), 0);
	assert_string_equal(out.cgroup, "nsiso-unit-absent-parent/user-4242");
	assert_false(out.have_stats);
	assert_true(out.stats.memory_current == NSISO_UNLIMITED);
	close(fd);
	assert_int_equal(nsiso_quota_collect(-1, 4242, "nobody", "", &out), -1);
}
