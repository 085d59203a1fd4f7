/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* A session's holder and reaper, made ahead by a spare (prebuilt.h). */
#include "prebuilt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/fdpass.h"
#include "../common/pages.h"
#include "../common/textfile.h"
#include "nscharge.h"

unsigned long nsiso_holder_clone_flags(unsigned isolate)
{
	unsigned long flags = 0;

	if (isolate & NSISO_NS_UTS) flags |= CLONE_NEWUTS;
	if (isolate & NSISO_NS_IPC) flags |= CLONE_NEWIPC;
	if (isolate & NSISO_NS_MNT) flags |= CLONE_NEWNS;
	if (isolate & NSISO_NS_PID) flags |= CLONE_NEWPID;
	if (isolate & NSISO_NS_NET) flags |= CLONE_NEWNET;
	/* Not NSISO_NS_CGROUP: see cgroupns.h. */
	return flags;
}

long nsiso_clone_holder(unsigned isolate, uid_t charge, int *pidfd)
{
	return nsiso_clone_charged(nsiso_holder_clone_flags(isolate) | CLONE_PIDFD | SIGCHLD,
				   charge, pidfd);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void nsiso_prebuilt_drop_holder(struct nsiso_prebuilt *pb)
{
	/* EOF on its commit socket ends it, wherever it is in its set-up. */
	close_fd(&pb->holder_commit_fd);
	close_fd(&pb->holder_ready_fd);
	close_fd(&pb->holder_pidfd);
	close_fd(&pb->mountinfo_fd);
	pb->holder_pid = 0;
}

static void drop_reaper(struct nsiso_prebuilt *pb)
{
	close_fd(&pb->reaper_sock);
	pb->reaper_pid = 0;
}

void nsiso_prebuilt_forget(const struct nsiso_prebuilt *pb)
{
	size_t i;

	if (!pb)
		return;
	if (pb->reaper_sock >= 0)
		close(pb->reaper_sock);
	/* The worker's way into the application's cgroups: no holder or
	 * reaper made at the login keeps it. */
	for (i = 0; i < pb->n_follow; i++)
		close(pb->follow[i]);
}

static void make_holder(struct nsiso_prebuilt *pb)
{
	int ready[2], commit[2], pidfd = -1;
	long pid;

	if (pipe2(ready, O_CLOEXEC) != 0)
		return;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, commit) != 0) {
		close(ready[0]);
		close(ready[1]);
		return;
	}
	pid = nsiso_clone_holder(pb->isolate, NSISO_MADE_AHEAD_UID, &pidfd);
	if (pid == 0)
		holder_prebuilt_main(pb->isolate, ready[1], commit[0]);
	close(ready[1]);
	close(commit[0]);
	pb->holder_ready_fd = ready[0];
	pb->holder_commit_fd = commit[1];
	if (pid < 0) {
		nsiso_prebuilt_drop_holder(pb);
		return;
	}
	pb->holder_pid = (pid_t)pid;
	pb->holder_pidfd = pidfd;
}

static void make_reaper(struct nsiso_prebuilt *pb)
{
	int sock[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) != 0)
		return;
	pid = fork();
	if (pid == 0)
		reaper_prebuilt_main(sock[1]);
	close(sock[1]);
	pb->reaper_sock = sock[0];
	if (pid < 0) {
		drop_reaper(pb);
		return;
	}
	pb->reaper_pid = pid;
}

/* ---- the spare's own pages -------------------------------------------- */

/* A spare shares its written memory with the broker copy-on-write, and a
 * fault that copies a page costs about 20 us in this guest: unprepared, a
 * login's worker took about 60 of them (its heap, its static buffers,
 * libc's state, its deeper stack), over a millisecond.  The spare takes
 * them while it waits instead, and only after the holder and reaper are
 * made, which must not inherit private copies.  Only pages already there
 * are made its own (untouched .bss and heap stay unallocated), and the
 * stack below.  Mappings larger than this are left shared, the heap aside:
 * libcgroup's mount table (2.4 MiB of .bss), which a login reads. */
#define OWN_MAPPING_MAX ((size_t)256 * 1024)
#define OWN_STACK_BYTES ((size_t)48 * 1024)	/* below the spare's frame */

/* Each run of resident pages in [start, end), written as if touched. */
static void own_resident(char *start, const char *end, size_t page)
{
	unsigned char in_core[256];

	while (start < end) {
		size_t n = (size_t)(end - start) / page, i, run = 0;

		if (n > sizeof(in_core))
			n = sizeof(in_core);
		if (mincore(start, n * page, in_core) != 0)
			return;
		for (i = 0; i <= n; i++) {
			if (i < n && (in_core[i] & 1)) {
				run++;
				continue;
			}
			if (run > 0)
				nsiso_own_pages(start + (i - run) * page, run * page);
			run = 0;
		}
		start += n * page;
	}
}

static void own_pages(void)
{
	static char maps[16384];
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *line, *save = NULL;

	if (nsiso_read_text("/proc/self/maps", maps, sizeof(maps)) <= 0)
		return;
	for (line = strtok_r(maps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		void *start, *end;
		char perms[5];

		if (sscanf(line, "%p-%p %4s", &start, &end, perms) != 3 ||
		    strcmp(perms, "rw-p") != 0 || end <= start)
			continue;
		if ((size_t)((char *)end - (char *)start) <= OWN_MAPPING_MAX ||
		    strstr(line, "[heap]"))
			own_resident(start, end, page);
	}
	/* The stack the worker will use below here, fresh pages. */
	nsiso_own_stack_below(OWN_STACK_BYTES);
}

void nsiso_prebuild(struct nsiso_prebuilt *pb, unsigned isolate)
{
	*pb = (struct nsiso_prebuilt){
		.isolate = isolate, .holder_pidfd = -1, .holder_ready_fd = -1,
		.holder_commit_fd = -1, .reaper_sock = -1, .mountinfo_fd = -1,
	};
	/* Before the clone: a change after it shows as POLLPRI.  None where
	 * the reaper holds the session, which has no holder. */
	if (!nsiso_reaper_holds(isolate))
		pb->mountinfo_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (pb->mountinfo_fd >= 0)
		make_holder(pb);
	make_reaper(pb);
	own_pages();
}

/* The mount table is the one the holder copied. */
static bool mounts_unchanged(const struct nsiso_prebuilt *pb)
{
	struct pollfd pfd = { .fd = pb->mountinfo_fd, .events = POLLPRI };

	return poll(&pfd, 1, 0) == 0;
}

/* A holder made for pb->isolate serves a login that asks for isolate: the
 * same namespaces (cgroup aside: made later).  Not fewer: a cgroup-only
 * session's holder in namespaces would keep a mount table copy alive for
 * nothing, and every copy makes the host's later mounts dearer (make bench,
 * B3).  A mount table changed since it was made is no reason to drop it: it
 * copies the table again (struct holder_session's remount). */
static bool fits(const struct nsiso_prebuilt *pb, unsigned isolate)
{
	return nsiso_holder_clone_flags(isolate) == nsiso_holder_clone_flags(pb->isolate);
}

/* The session as sent: remount when the holder has a mount namespace of its
 * own whose copy is out of date, with our own (the broker's, the
 * application's: broker.c checked) to copy again from. */
static int send_holder_session(struct nsiso_prebuilt *pb, const struct holder_session *s,
			       int caller_pidfd, const struct nsiso_privtmp_locks *locks)
{
	struct holder_session given = *s;
	int fds[4], ret;
	size_t n = 0;

	fds[n++] = caller_pidfd;
	if (s->private_tmp != NSISO_PRIVATE_TMP_NO)
		fds[n++] = locks->file;
	if (s->private_tmp != NSISO_PRIVATE_TMP_NO && s->legacy_tmp_lock)
		fds[n++] = locks->legacy;
	given.remount = (pb->isolate & NSISO_NS_MNT) && !mounts_unchanged(pb);
	if (given.remount) {
		fds[n] = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
		if (fds[n] < 0)
			return -1;
		n++;
	}
	ret = nsiso_send_fds(pb->holder_commit_fd, &given, sizeof(given), fds, n);
	if (given.remount)
		close(fds[n - 1]);
	return ret;
}

int nsiso_prebuilt_give_holder(struct nsiso_prebuilt *pb, const struct holder_session *s,
			       int caller_pidfd, const struct nsiso_privtmp_locks *locks)
{
	if (pb->holder_pid > 0 && fits(pb, s->isolate) &&
	    send_holder_session(pb, s, caller_pidfd, locks) == 0) {
		close_fd(&pb->mountinfo_fd);
		return 0;
	}
	nsiso_prebuilt_drop_holder(pb);
	return -1;
}

pid_t nsiso_prebuilt_give_reaper(struct nsiso_prebuilt *pb, const struct reaper_session *s,
				 const int fds[4])
{
	int sent[4];
	size_t n = 0, i;

	/* In order, those s says come (reaper_fd_sent(): the reaper expects
	 * them so); one missing (-1) fails the send, and the reaper goes. */
	for (i = 0; i < 4; i++)
		if (reaper_fd_sent(s, i))
			sent[n++] = fds[i];
	if (pb->reaper_pid <= 0 || nsiso_send_fds(pb->reaper_sock, s, sizeof(*s), sent, n) != 0) {
		drop_reaper(pb);
		return 0;
	}
	return pb->reaper_pid;	/* its socket stays open for its word */
}

bool nsiso_prebuilt_reaper_took(struct nsiso_prebuilt *pb, int wait_ms)
{
	struct pollfd pfd = { .fd = pb->reaper_sock, .events = POLLIN };
	char word = 0;
	bool took;

	if (pb->reaper_sock < 0)
		return true;	/* none given: the reaper was made at the login */
	took = pb->reaper_pid > 0 && poll(&pfd, 1, wait_ms) == 1 &&
	       read(pb->reaper_sock, &word, 1) == 1 && word == NSISO_SYNC_ACK;

	if (took)
		return true;	/* its socket stays open: the reaper waits for EOF */
	if (pb->reaper_pid > 0)
		kill(pb->reaper_pid, SIGKILL);
	drop_reaper(pb);
	return false;
}
