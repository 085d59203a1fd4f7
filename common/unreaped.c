/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "unreaped.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record.h"
#include "size.h"
#include "textfile.h"

/* A PID namespace by its inode and its init's start time: a number the
 * kernel hands out again at once names another namespace then. */
#define DIR_FORMAT "unreaped-%llu-%llu"

/* The directory of entries of the PID namespace whose inode is pidns and
 * whose init started at init_start, root's (made when make): fd or -1. */
static int open_dir(int run_dir_fd, unsigned long long pidns, unsigned long long init_start,
		    bool make)
{
	char name[64];
	struct stat st;
	int fd;

	if (pidns == 0 || init_start == 0) {
		errno = ESRCH;	/* /proc cannot name the namespace */
		return -1;
	}
	snprintf(name, sizeof(name), DIR_FORMAT, pidns, init_start);
	if (make && mkdirat(run_dir_fd, name, 0700) < 0 && errno != EEXIST)
		return -1;
	fd = openat(run_dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 0077))) {
		close(fd);
		fd = -1;
		errno = EPERM;	/* not root's alone */
	}
	return fd;
}

/* Ours: /proc is our PID namespace's (the holder mounts it in a session's). */
static int open_own_dir(int run_dir_fd, bool make)
{
	return open_dir(run_dir_fd, nsiso_own_pidns(), nsiso_process_start_time(1), make);
}

static void note_one(int dir_fd, uid_t uid, pid_t pid)
{
	unsigned long long start = nsiso_process_start_time(pid);
	char name[64];
	int fd;

	if (start == 0)
		return;
	snprintf(name, sizeof(name), "%u-%d-%llu", (unsigned)uid, (int)pid, start);
	fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
}

/* Any parent but init: a root one too, which a user's subreaper may be
 * above (a setuid program that became all root, with the subreaper flag
 * its user set before the exec, hands its orphans up when it ends).  One
 * that reaps leaves nothing to count. */
void nsiso_unreaped_note(int run_dir_fd, uid_t uid, int holder_pidfd, int answerer_pidfd)
{
	struct nsiso_proc_stat holder;
	long holder_pid = nsiso_pidfd_pid(holder_pidfd), answerer_pid = nsiso_pidfd_pid(answerer_pidfd);
	int dir_fd;

	if (getppid() <= 1)
		return;
	dir_fd = open_own_dir(run_dir_fd, true);
	if (dir_fd < 0)
		return;
	note_one(dir_fd, uid, getpid());
	if (holder_pid > 0 && nsiso_process_stat((pid_t)holder_pid, &holder) == 0 &&
	    holder.state == 'Z')
		note_one(dir_fd, uid, (pid_t)holder_pid);
	if (answerer_pid > 0)
		note_one(dir_fd, uid, (pid_t)answerer_pid);
	close(dir_fd);
}

/* An entry whose process is still there (the PID has the start time
 * noted), with that process's stat in *st.  Its three numbers go through
 * the project's one strict parser. */
static bool still_there(const char *name, struct nsiso_proc_stat *st)
{
	static const uint64_t max[3] = { UINT32_MAX, INT_MAX, UINT64_MAX };
	uint64_t v[3];
	const char *p = name;
	int i;

	for (i = 0; i < 3; i++) {
		size_t n = strcspn(p, "-");

		if (nsiso_parse_decimal(p, n, max[i], &v[i]) != NULL || (i < 2 && p[n] != '-'))
			return false;
		p += n + (i < 2);
	}
	return *p == '\0' && v[1] > 1 && v[2] != 0 &&
	       nsiso_process_stat((pid_t)v[1], st) == 0 && st->start == v[2];
}

/* Whether an entry names uid. */
static bool of_uid(const char *name, uid_t uid)
{
	char prefix[24];
	int n = snprintf(prefix, sizeof(prefix), "%u-", (unsigned)uid);

	return strncmp(name, prefix, (size_t)n) == 0;
}

/* The owner of /proc/<pid> (its effective uid; root's when it is not
 * dumpable), for the message. */
static unsigned owner_of(pid_t pid)
{
	char path[32];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return stat(path, &st) == 0 ? (unsigned)st.st_uid : 0;
}

int nsiso_unreaped_check(int run_dir_fd, uid_t uid, char *why, size_t len)
{
	int dir_fd = open_own_dir(run_dir_fd, false);
	struct nsiso_proc_stat st;
	pid_t keeper = 0;
	struct dirent *d;
	unsigned n = 0;
	DIR *dir;

	if (dir_fd < 0 && errno == ENOENT)
		return 0;	/* none noted here */
	dir = dir_fd >= 0 ? fdopendir(dir_fd) : NULL;
	if (!dir) {
		snprintf(why, len, "cannot count the processes of the user's ended sessions left "
			 "unreaped: %s", errno == ESRCH ? "no PID namespace or init in /proc" :
			 errno == EPERM ? "their directory is not root's alone" : strerror(errno));
		if (dir_fd >= 0)
			close(dir_fd);
		return -1;
	}
	while ((d = readdir(dir)) != NULL) {
		/* Another user's entries are theirs to count. */
		if (d->d_name[0] == '.' || !of_uid(d->d_name, uid))
			continue;
		if (!still_there(d->d_name, &st))
			unlinkat(dirfd(dir), d->d_name, 0);
		else if (n++ == 0)
			keeper = st.ppid;
	}
	closedir(dir);
	if (n < NSISO_UNREAPED_MAX)
		return 0;
	snprintf(why, len, "%u processes of the user's ended sessions are left unreaped (process %d, "
		 "uid %u, keeps one: a child subreaper that does not wait): no more logins through "
		 "the exec'd helper until they are reaped", n, (int)keeper, owner_of(keeper));
	return -1;
}

void nsiso_unreaped_forget(int run_dir_fd, unsigned long long pidns, unsigned long long init_start)
{
	int dir_fd = open_dir(run_dir_fd, pidns, init_start, false);
	struct dirent *d;
	char name[64];
	DIR *dir;

	if (dir_fd < 0)
		return;
	dir = fdopendir(dir_fd);
	if (!dir) {
		close(dir_fd);
		return;
	}
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.')
			unlinkat(dirfd(dir), d->d_name, 0);
	closedir(dir);
	snprintf(name, sizeof(name), DIR_FORMAT, pidns, init_start);
	unlinkat(run_dir_fd, name, AT_REMOVEDIR);
}
