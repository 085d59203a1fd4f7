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
#include <unistd.h>

#include "../common/textfile.h"

/* Far more than any real chain of processes: a longer one is refused, as
 * only a user would make it (to put a subreaper beyond the walk). */
#define ANCESTORS_MAX 64
#define WALK_ATTEMPTS 3
/* The threads of one ancestor read; a user's process with more is refused
 * (its children could not all be read). */
#define TASKS_MAX 4096

struct proc_stat {
	char comm[16];
	char state;
};

/* comm and state from /proc/<pid>/stat (a zombie's too; cheaper for the
 * kernel to write than status).  The command name may hold spaces and ')':
 * the state follows the last ')'.  0 or -1. */
static int read_stat(pid_t pid, struct proc_stat *st)
{
	char path[64], buf[1024], *open_paren, *close_paren;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (nsiso_read_text(path, buf, sizeof(buf)) <= 0 || !(open_paren = strchr(buf, '(')) ||
	    !(close_paren = strrchr(buf, ')')))
		return -1;
	n = (size_t)(close_paren - open_paren - 1);
	if (n >= sizeof(st->comm))
		n = sizeof(st->comm) - 1;
	memcpy(st->comm, open_paren + 1, n);
	st->comm[n] = '\0';
	return sscanf(close_paren + 1, " %c", &st->state) == 1 ? 0 : -1;
}

struct ancestor {
	char name[16];
	pid_t ppid;
	uid_t uid;		/* the real one */
	bool root;		/* all four uids 0 */
};

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

/* Name, PPid and Uid of /proc/<pid>/status.  0 or -1. */
static int read_ancestor(pid_t pid, struct ancestor *a)
{
	char path[64], buf[2048];
	unsigned long ppid, uids[4];
	size_t name_len;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (nsiso_read_text(path, buf, sizeof(buf)) <= 0 || strncmp(buf, "Name:\t", 6) != 0 ||
	    numbers_after(buf, "\nPPid:", &ppid, 1) != 0 || ppid > INT_MAX ||
	    numbers_after(buf, "\nUid:", uids, 4) != 0)
		return -1;
	name_len = strcspn(buf + 6, "\n");
	if (name_len >= sizeof(a->name))
		name_len = sizeof(a->name) - 1;
	memcpy(a->name, buf + 6, name_len);
	a->name[name_len] = '\0';
	a->ppid = (pid_t)ppid;
	a->uid = (uid_t)uids[0];
	a->root = uids[0] == 0 && uids[1] == 0 && uids[2] == 0 && uids[3] == 0;
	return 0;
}

/* A zombie holder or reaper: root's, by its name.  A user can take the
 * name, not the uids (read only for a zombie of that name). */
static bool our_zombie(pid_t pid)
{
	struct proc_stat st;
	struct ancestor a;

	return read_stat(pid, &st) == 0 && st.state == 'Z' &&
	       (strcmp(st.comm, "nsiso-holder") == 0 || strcmp(st.comm, "nsiso-reaper") == 0) &&
	       read_ancestor(pid, &a) == 0 && a.root;
}

/* Ours among the children of one thread of pid (an orphan goes to any
 * live thread of its subreaper).  Read to its end, however long, in
 * pieces: a list cut short would hide the zombies after many live
 * children. */
static unsigned zombies_of_task(pid_t pid, pid_t tid)
{
	char path[64], buf[4096];
	unsigned n = 0;
	long child = 0;
	bool digits = false;
	ssize_t got, i;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < got; i++) {
			if (buf[i] >= '0' && buf[i] <= '9' && child < INT_MAX / 10) {
				child = child * 10 + (buf[i] - '0');
				digits = true;
				continue;
			}
			if (digits)
				n += our_zombie((pid_t)child);
			child = 0;
			digits = false;
		}
	if (digits)
		n += our_zombie((pid_t)child);
	close(fd);
	return n;
}

/* The threads of pid, in /proc's order (by TID): their count, 0 for a
 * process gone, -1 for more than TASKS_MAX. */
static int list_tasks(pid_t pid, pid_t *tids)
{
	char path[64];
	struct dirent *d;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		if (n == TASKS_MAX) {
			n = -1;
			break;
		}
		tids[n++] = (pid_t)strtol(d->d_name, NULL, 10);
	}
	closedir(dir);
	return n;
}

/* Ours among the children of every thread of pid, in *n: 0, or 1 when its
 * threads changed meanwhile (or are too many to read).  A child moves from
 * one thread to another only when its thread ends, so the same threads
 * before and after the reading (TIDs do not come round within it) mean no
 * zombie moved past it; one that moved up to an ancestor is read there,
 * later in the walk. */
static int zombies_of(pid_t pid, unsigned *n)
{
	static pid_t before[TASKS_MAX], after[TASKS_MAX];
	int n_before = list_tasks(pid, before), i;

	*n = 0;
	if (n_before < 0)
		return 1;
	for (i = 0; i < n_before; i++)
		*n += zombies_of_task(pid, before[i]);
	return list_tasks(pid, after) != n_before ||
	       memcmp(before, after, sizeof(pid_t) * (size_t)n_before) != 0;
}

/* One walk from our parent up to the PID namespace's init: 0, -1 (why
 * says), or 1 when it could not be finished: an ancestor ended meanwhile
 * (its children went elsewhere), or a chain longer than ANCESTORS_MAX.
 * Only an ancestor with a uid of a user counts: a subreaper a user made
 * (the flag survives execve, so a setuid application may be one, its real
 * uid the user's) is a user's process.  One of root's own (sshd, whose
 * listener has a child per connection, cron, init) is not the user's to
 * make, and its children are not read. */
static int walk_ancestors(char *why, size_t len)
{
	pid_t pid = getppid();
	int depth;

	for (depth = 0; pid > 1; depth++) {
		struct ancestor a;
		unsigned n = 0;

		if (depth == ANCESTORS_MAX || read_ancestor(pid, &a) != 0 ||
		    (!a.root && zombies_of(pid, &n) != 0))
			return 1;
		if (n >= NSISO_UNREAPED_MAX) {
			snprintf(why, len, "process %d (%s, uid %u) keeps %u ended sessions' "
				 "processes unreaped (a child subreaper that does not wait): "
				 "no more logins below it until it reaps them",
				 (int)pid, a.name, (unsigned)a.uid, n);
			return -1;
		}
		pid = a.ppid;
	}
	return 0;
}

/* A walk cut short is tried again (an ancestor may end at any time), but
 * never taken for a clean one: a user who ended processes on the way at the
 * right moment would have the walk stop below their subreaper. */
int nsiso_unreaped_check(char *why, size_t len)
{
	int attempt, r = 1;

	for (attempt = 0; attempt < WALK_ATTEMPTS && r == 1; attempt++)
		r = walk_ancestors(why, len);
	if (r == 1)
		snprintf(why, len, "the application's ancestors cannot be walked up to init "
			 "(more than %d, or changing as they are read)", ANCESTORS_MAX);
	return r == 0 ? 0 : -1;
}
