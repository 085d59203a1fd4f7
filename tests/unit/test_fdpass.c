/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* A struct with fds on a socket pair (common/fdpass.c), as a broker's spare
 * gives the holder and the reaper it made ahead their session: taken only
 * whole, with the fds its content asks for and every string terminated;
 * anything else is refused and leaves no fd behind. */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"

#include "../../common/fdpass.h"

struct message {
	char name[8];
	char other[8];
	int two;	/* 1: two fds attached; otherwise one */
};

static size_t wanted(const void *buf)
{
	return ((const struct message *)buf)->two == 1 ? 2 : 1;
}

static int pair[2] = { -1, -1 };

static int make_pair(void **state)
{
	(void)state;
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair);
}

static int close_pair(void **state)
{
	(void)state;
	close(pair[0]);
	close(pair[1]);
	return 0;
}

#define FDPASS_TEST(name) UNIT_TEST_IN(name, make_pair, close_pair)

/* Open fds of this process, to see that a refusal keeps none. */
static int open_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static bool receive(struct message *m, int fds[2])
{
	const char *const texts[] = { m->name, m->other };
	const size_t sizes[] = { sizeof(m->name), sizeof(m->other) };

	return nsiso_recv_struct(pair[1], m, sizeof(*m), fds, 2, wanted, texts, sizes, 2);
}

static int send_with(const void *buf, size_t len, const int *fds, size_t n)
{
	return nsiso_send_fds(pair[0], buf, len, fds, n);
}

FDPASS_TEST(a_whole_message_with_its_fds_is_taken)
{
	struct message out = { "alice", "x", 1 }, in;
	const int fds[2] = { STDIN_FILENO, pair[0] };
	struct stat want, got;
	int received[2];

	assert_int_equal(send_with(&out, sizeof(out), fds, 2), 0);
	assert_true(receive(&in, received));
	assert_string_equal(in.name, "alice");
	assert_int_equal(fstat(pair[0], &want), 0);
	assert_int_equal(fstat(received[1], &got), 0);
	assert_true(want.st_ino == got.st_ino);
	close(received[0]);
	close(received[1]);
}

FDPASS_TEST(a_short_message_is_refused_and_its_fd_closed)
{
	struct message out = { "alice", "x", 0 }, in;
	const int fd = STDIN_FILENO;
	int received[2], before = open_fds();

	assert_int_equal(send_with(&out, sizeof(out) - 1, &fd, 1), 0);
	assert_false(receive(&in, received));
	assert_int_equal(open_fds(), before);
}

FDPASS_TEST(a_longer_message_is_refused)
{
	char out[sizeof(struct message) + 8] = "alice";
	struct message in;
	const int fd = STDIN_FILENO;
	int received[2], before = open_fds();

	assert_int_equal(send_with(out, sizeof(out), &fd, 1), 0);
	assert_false(receive(&in, received));
	assert_int_equal(open_fds(), before);
}

FDPASS_TEST(a_string_without_its_end_is_refused)
{
	struct message out, in;
	const int fd = STDIN_FILENO;
	int received[2], before = open_fds();

	memset(&out, 'a', sizeof(out));
	out.two = 0;
	out.name[0] = '\0';	/* the first ends, the second does not */
	assert_int_equal(send_with(&out, sizeof(out), &fd, 1), 0);
	assert_false(receive(&in, received));
	assert_int_equal(open_fds(), before);
}

FDPASS_TEST(fewer_fds_than_the_message_asks_for_are_refused)
{
	struct message out = { "alice", "x", 1 }, in;
	const int fd = STDIN_FILENO;
	int received[2], before = open_fds();

	assert_int_equal(send_with(&out, sizeof(out), &fd, 1), 0);
	assert_false(receive(&in, received));
	assert_int_equal(open_fds(), before);
}

FDPASS_TEST(more_fds_than_the_message_asks_for_are_refused)
{
	struct message out = { "alice", "x", 0 }, in;
	const int fds[2] = { STDIN_FILENO, STDIN_FILENO };
	int received[2], before = open_fds();

	assert_int_equal(send_with(&out, sizeof(out), fds, 2), 0);
	assert_false(receive(&in, received));
	assert_int_equal(open_fds(), before);
}

FDPASS_TEST(end_of_file_is_refused)
{
	struct message in;
	int received[2];

	close(pair[0]);
	pair[0] = -1;
	assert_false(receive(&in, received));
}
