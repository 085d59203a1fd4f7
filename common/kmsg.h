/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The kernel's own report of an OOM kill, as /dev/kmsg hands it out: the
 * one record that names the victim's memory cgroup, its command and pid.
 *
 *   6,1234,5678901,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),
 *   cpuset=/,mems_allowed=0,oom_memcg=/nsiso/user-1000,
 *   task_memcg=/nsiso/user-1000,task=memhog,pid=4321,uid=1000
 *
 * (one line).  The command is the victim's comm, which its owner chooses:
 * the fields after it are taken from the end, the cgroup paths before it
 * from the start, so a comm cannot move them. */
#ifndef NSISO_KMSG_H
#define NSISO_KMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A record of /dev/kmsg is at most this long (CONSOLE_EXT_LOG_MAX); a
 * read() into a smaller buffer fails with EINVAL. */
#define NSISO_KMSG_RECORD_MAX 8192

struct nsiso_kmsg_oom {
	pid_t pid;			/* in the initial PID namespace */
	uid_t uid;
	char command[32];		/* printable ASCII, '?' for the rest */
	char oom_memcg[256];		/* the group whose limit was hit; ""
					 * when the whole host ran out */
	char task_memcg[256];		/* the victim's group */
};

/* One record as read from /dev/kmsg.  Its sequence number goes to *seq for
 * every well-formed record; 1 when it is a kernel oom-kill report (*oom
 * filled in), 0 for any other record, -1 for one that is malformed. */
int nsiso_kmsg_parse(const char *record, size_t len, uint64_t *seq, struct nsiso_kmsg_oom *oom);

/* True when the victim was in the group or below it; group as the kernel
 * writes it: "/<parent>/user-<uid>". */
bool nsiso_kmsg_in_group(const struct nsiso_kmsg_oom *oom, const char *group);

#endif
