/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsiso_read_text: the one reader of small kernel text files; nsiso_status_uids. */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/textfile.h"
#include "unit_files.h"

/* A file in this case's directory; its path. */
static const char *write_file(const char *name, const char *text)
{
	return unit_write_file(unit_dir, name, text);
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

UNIT_FILE_TEST(whole_file_nul_terminated)
{
	char buf[64];

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(nsiso_read_text(write_file("a", "1208320\n"), buf, sizeof(buf)), 8);
	assert_string_equal(buf, "1208320\n");
}

UNIT_FILE_TEST(empty_file_is_zero_and_empty)
{
	char buf[16] = "junk";

	assert_int_equal(nsiso_read_text(write_file("empty", ""), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

/* At most size - 1 bytes, so the terminator always fits. */
UNIT_FILE_TEST(long_file_is_cut_to_the_buffer)
{
	char buf[4];

	assert_int_equal(nsiso_read_text(write_file("long", "abcdef"), buf, sizeof(buf)), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(nsiso_read_text(write_file("long", "abcdef"), buf, 1), 0);
	assert_string_equal(buf, "");
}

UNIT_FILE_TEST(errors_keep_errno)
{
	char buf[16] = "junk", path[160];

	snprintf(path, sizeof(path), "%s/absent", unit_dir);
	errno = 0;
	assert_int_equal(nsiso_read_text(path, buf, sizeof(buf)), -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(buf, "");	/* never stale text */
	strcpy(buf, "junk");
	errno = 0;
	assert_int_equal(nsiso_read_text(unit_dir, buf, sizeof(buf)), -1);	/* read() fails */
	assert_int_equal(errno, EISDIR);
	assert_string_equal(buf, "");
}

UNIT_TEST(proc_files_read_whole)
{
	char buf[1024], want[32];

	snprintf(want, sizeof(want), "%d (", (int)getpid());
	assert_true(nsiso_read_text("/proc/self/stat", buf, sizeof(buf)) > 0);
	assert_true(strncmp(buf, want, strlen(want)) == 0);
	assert_true(nsiso_read_text("/proc/self/status", buf, sizeof(buf)) > 0);
	assert_true(strncmp(buf, "Name:\t", 6) == 0);
}

/* Success or failure, nothing stays open. */
UNIT_FILE_TEST(no_descriptor_leaks)
{
	char buf[16], path[160];
	int before = open_fds(), i;

	write_file("a", "1\n");
	for (i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), "%s/a", unit_dir);
		assert_int_equal(nsiso_read_text(path, buf, sizeof(buf)), 2);
		assert_int_equal(nsiso_read_text(unit_dir, buf, sizeof(buf)), -1);
		snprintf(path, sizeof(path), "%s/absent", unit_dir);
		assert_int_equal(nsiso_read_text(path, buf, sizeof(buf)), -1);
	}
	assert_int_equal(open_fds(), before);
}

/* The real and effective uid of a status text; anything but two numbers
 * first on its "Uid:" line is no answer (never a uid read from the wrong
 * place, such as root's 0 from a line cut short). */
UNIT_TEST(status_uids_real_and_effective)
{
	uid_t real = 7, effective = 7;
	char buf[8192];

	assert_int_equal(nsiso_status_uids("Name:\tsu\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n",
					   &real, &effective), 0);
	assert_int_equal(real, 1000);
	assert_int_equal(effective, 0);
	assert_int_equal(nsiso_status_uids("Name:\tx\nUid:\t4294967294\t5\t5\t5\n", &real, &effective), 0);
	assert_int_equal(real, 4294967294U);
	assert_int_equal(effective, 5);
	assert_true(nsiso_read_whole("/proc/self/status", buf, sizeof(buf)) > 0);
	assert_int_equal(nsiso_status_uids(buf, &real, &effective), 0);
	assert_int_equal(real, getuid());
	assert_int_equal(effective, geteuid());
}

UNIT_TEST(status_uids_refuses_what_is_not_two_numbers)
{
	static const char *const bad[] = {
		"Name:\tx\n",				/* no line */
		"Uid:\t1000\t0\t0\t0\n",		/* not after a newline: the first line is Name */
		"Name:\tx\nUid:\t\t0\t0\t0\n",		/* empty */
		"Name:\tx\nUid:\t1000\n",		/* one number */
		"Name:\tx\nUid:\t1000\t0",		/* cut short */
		"Name:\tx\nUid:\t-1\t0\t0\t0\n",	/* a sign */
		"Name:\tx\nUid:\t 1000\t0\t0\t0\n",	/* a space */
		"Name:\tx\nUid:\t1000x\t0\t0\t0\n",	/* not a number */
		"Name:\tx\nUid:\t4294967295\t0\t0\t0\n",	/* (uid_t)-1 */
		"Name:\tx\nUid:\t99999999999\t0\t0\t0\n",	/* too large */
	};
	uid_t real = 7, effective = 7;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(nsiso_status_uids(bad[i], &real, &effective), -1);
	assert_int_equal(real, 7);
	assert_int_equal(effective, 7);
}

/* A FIFO where a file was expected reads as empty, at once: its open and
 * read would wait for a writer (a root tool reading a conf some admin
 * replaced so, or a path a user could plant). */
UNIT_FILE_TEST(fifo_reads_empty_without_waiting)
{
	char buf[64], path[160];

	snprintf(path, sizeof(path), "%s/fifo", unit_dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(nsiso_read_text(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(nsiso_read_whole(path, buf, sizeof(buf)), 0);
}
