/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* A session's member moves itself (helper/member.c): asked on its socket
 * with mover fds, it writes "0" through each in turn, in real v1 cgroups of
 * this test's own, and answers; the helper's side learns of a failure, a
 * member that died and one that does not answer, each with its reason, and
 * never waits longer than it was told. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"

#include "../../common/proto.h"
#include "../../helper/member.h"

UNIT_NEEDS_ROOT

#define PIDS "/sys/fs/cgroup/pids"

static char group_a[128], group_b[128];
static int pair[2] = { -1, -1 };
static pid_t member = -1;

static int make_groups(void **state)
{
	(void)state;
	snprintf(group_a, sizeof(group_a), PIDS "/nsiso-unit-member-%d-a", (int)getpid());
	snprintf(group_b, sizeof(group_b), PIDS "/nsiso-unit-member-%d-b", (int)getpid());
	if (mkdir(group_a, 0700) != 0 || mkdir(group_b, 0700) != 0)
		return -1;
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair);
}

/* The member ended and reaped first: a group with a process in it stays. */
static int remove_groups(void **state)
{
	(void)state;
	if (member > 0) {
		kill(member, SIGKILL);
		while (waitpid(member, NULL, 0) < 0 && errno == EINTR)
			;
		member = -1;
	}
	close(pair[0]);
	close(pair[1]);
	rmdir(group_a);
	rmdir(group_b);
	return 0;
}

#define MEMBER_TEST(name) UNIT_TEST_IN(name, make_groups, remove_groups)

/* A member as the holder and the reaper are: each step on its socket,
 * NSISO_SYNC_JOIN answered, until EOF.  how: 0 as they are, 1 dies at the
 * first step, 2 takes the step and never answers. */
static void start_member(int how)
{
	member = fork();
	if (member != 0)
		return;
	close(pair[0]);
	for (;;) {
		int fds[NSISO_FDPASS_MAX];
		size_t n = 0;
		char step;

		if (!nsiso_member_next_step(pair[1], &step, fds, &n))
			_exit(0);
		if (how == 1)
			_exit(3);
		if (how == 2)
			pause();
		if (step == NSISO_SYNC_JOIN)
			(void)nsiso_member_join(pair[1], fds, n);
		nsiso_member_close_fds(fds, n);
	}
}

static int open_tasks(const char *group, int flags)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/tasks", group);
	return open(path, flags | O_CLOEXEC);
}

/* The member's group in the pids hierarchy, from its /proc line. */
static bool member_in(const char *group)
{
	char path[64], line[256];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)member);
	f = fopen(path, "re");
	while (f && !found && fgets(line, sizeof(line), f)) {
		const char *rel = strstr(line, ":pids:");

		line[strcspn(line, "\n")] = '\0';
		found = rel && strcmp(rel + 6, group + strlen(PIDS)) == 0;
	}
	if (f)
		fclose(f);
	return found;
}

MEMBER_TEST(member_moves_itself_through_each_mover_in_turn)
{
	int movers[2] = { open_tasks(group_a, O_WRONLY), open_tasks(group_b, O_WRONLY) };
	char err[256] = "";

	assert_true(movers[0] >= 0 && movers[1] >= 0);
	start_member(0);
	assert_int_equal(nsiso_member_ask(pair[0], movers, 1, err, sizeof(err)), 0);
	assert_int_equal(nsiso_member_answer(pair[0], 5000, err, sizeof(err)), 0);
	assert_true(member_in(group_a));
	assert_int_equal(nsiso_member_ask(pair[0], movers, 2, err, sizeof(err)), 0);
	assert_int_equal(nsiso_member_answer(pair[0], 5000, err, sizeof(err)), 0);
	assert_true(member_in(group_b));	/* through a, then b: the last one */
	close(movers[0]);
	close(movers[1]);
}

MEMBER_TEST(a_member_that_cannot_move_says_why)
{
	int mover = open_tasks(group_a, O_RDONLY);	/* a write fails: EBADF */
	char err[256] = "";

	assert_true(mover >= 0);
	start_member(0);
	assert_int_equal(nsiso_member_ask(pair[0], &mover, 1, err, sizeof(err)), 0);
	assert_int_equal(nsiso_member_answer(pair[0], 5000, err, sizeof(err)), -1);
	assert_int_equal(errno, EIO);
	assert_string_equal(err, strerror(EBADF));
	assert_false(member_in(group_a));
	close(mover);
}

MEMBER_TEST(a_member_asked_to_move_through_nothing_refuses)
{
	char err[256] = "";

	start_member(0);
	assert_int_equal(nsiso_member_ask(pair[0], NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(nsiso_member_answer(pair[0], 5000, err, sizeof(err)), -1);
	assert_string_equal(err, "nothing to move through");
}

MEMBER_TEST(a_member_that_dies_is_not_waited_for)
{
	int mover = open_tasks(group_a, O_WRONLY);
	char err[256] = "";

	start_member(1);
	close(pair[1]);	/* as the helper keeps only its own end */
	pair[1] = -1;
	assert_int_equal(nsiso_member_ask(pair[0], &mover, 1, err, sizeof(err)), 0);
	assert_int_equal(nsiso_member_answer(pair[0], 5000, err, sizeof(err)), -1);
	assert_int_equal(errno, ESRCH);
	assert_string_equal(err, "it died");
	close(mover);
}

MEMBER_TEST(a_member_that_does_not_answer_is_waited_for_no_longer_than_told)
{
	int mover = open_tasks(group_a, O_WRONLY);
	char err[256] = "";

	start_member(2);
	assert_int_equal(nsiso_member_ask(pair[0], &mover, 1, err, sizeof(err)), 0);
	assert_int_equal(nsiso_member_answer(pair[0], 50, err, sizeof(err)), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_string_equal(err, "no answer in time");
	close(mover);
}

MEMBER_TEST(a_member_whose_helper_is_gone_asks_for_nothing_more)
{
	int fds[NSISO_FDPASS_MAX];
	size_t n = 1;
	char step = 0;

	close(pair[0]);	/* the helper ended */
	pair[0] = -1;
	assert_false(nsiso_member_next_step(pair[1], &step, fds, &n));
	assert_int_equal(n, 0);
}
