/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "unreaped.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record.h"
#include "textfile.h"

/* A PID namespace by its inode and its init's start time: a number the
 * kernel hands out again at once names another namespace then. */
#define DIR_FORMAT "unreaped-%llu-%llu"

/* The n numbers after "\n<key>" in text, each after one blank: 0 or -1. */
static int numbers_after(const char *text, const char *key, unsigned long *v, int n)
{
	const char *p = strstr(text, key);
	char *end;
	int i;

	if (!p)
		return -1;
	p += strlen(key);
	for (i = 0; i < n; i++, p = end) {
		if (*p != ' ' && *p != '\t')
			return -1;
		errno = 0;
		v[i] = strtoul(p + 1, &end, 10);
		if (end == p + 1 || errno != 0)
			return -1;
	}
	return 0;
}

struct proc_status {
	char state;
	pid_t ppid;
	uid_t uid;		/* the real one */
};

/* State, PPid and Uid of /proc/<pid>/status (a zombie's too).  0 or -1. */
static int read_status(pid_t pid, struct proc_status *st)
{
	char path[64], buf[2048];
	unsigned long ppid, uid;
	const char *state;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (nsiso_read_text(path, buf, sizeof(buf)) <= 0 || !(state = strstr(buf, "\nState:\t")) ||
	    numbers_after(buf, "\nPPid:", &ppid, 1) != 0 || ppid > INT_MAX ||
	    numbers_after(buf, "\nUid:", &uid, 1) != 0)
		return -1;
	st->state = state[8];
	st->ppid = (pid_t)ppid;
	st->uid = (uid_t)uid;
	return 0;
}

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
	struct proc_status holder;
	long holder_pid = nsiso_pidfd_pid(holder_pidfd), answerer_pid = nsiso_pidfd_pid(answerer_pidfd);
	int dir_fd;

	if (getppid() <= 1)
		return;
	dir_fd = open_own_dir(run_dir_fd, true);
	if (dir_fd < 0)
		return;
	note_one(dir_fd, uid, getpid());
	if (holder_pid > 0 && read_status((pid_t)holder_pid, &holder) == 0 && holder.state == 'Z')
		note_one(dir_fd, uid, (pid_t)holder_pid);
	if (answerer_pid > 0)
		note_one(dir_fd, uid, (pid_t)answerer_pid);
	close(dir_fd);
}

/* An entry of uid whose process is still there: the PID has the start
 * time noted.  "<uid>-<pid>-<start>". */
static bool still_there(const char *name, uid_t uid, pid_t *pid)
{
	unsigned long long start;
	unsigned long who;
	char *end;
	long p;

	errno = 0;
	who = strtoul(name, &end, 10);
	if (end == name || *end != '-' || who != (unsigned long)uid)
		return false;
	p = strtol(end + 1, &end, 10);
	if (*end != '-' || p <= 1 || p > INT_MAX)
		return false;
	start = strtoull(end + 1, &end, 10);
	if (*end != '\0' || errno != 0)
		return false;
	*pid = (pid_t)p;
	return start != 0 && nsiso_process_start_time(*pid) == start;
}

/* Whether an entry names uid (another user's are left alone). */
static bool of_uid(const char *name, uid_t uid)
{
	char prefix[24];
	int n = snprintf(prefix, sizeof(prefix), "%u-", (unsigned)uid);

	return strncmp(name, prefix, (size_t)n) == 0;
}

int nsiso_unreaped_check(int run_dir_fd, uid_t uid, char *why, size_t len)
{
	int dir_fd = open_own_dir(run_dir_fd, false);
	struct proc_status zombie = { .ppid = 0 }, keeper = { .uid = 0 };
	struct dirent *d;
	unsigned n = 0;
	pid_t pid;
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
		if (d->d_name[0] == '.' || !of_uid(d->d_name, uid))
			continue;
		if (!still_there(d->d_name, uid, &pid)) {
			unlinkat(dirfd(dir), d->d_name, 0);
			continue;
		}
		if (n++ == 0)
			(void)read_status(pid, &zombie);
	}
	closedir(dir);
	if (n < NSISO_UNREAPED_MAX)
		return 0;
	if (zombie.ppid > 0)
		(void)read_status(zombie.ppid, &keeper);
	snprintf(why, len, "%u processes of the user's ended sessions are left unreaped (process %d, "
		 "uid %u, keeps one: a child subreaper that does not wait): no more logins through "
		 "the exec'd helper until they are reaped", n, (int)zombie.ppid, (unsigned)keeper.uid);
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
