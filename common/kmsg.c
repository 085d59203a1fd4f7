/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "kmsg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

#define OOM_PREFIX "oom-kill:constraint="

/* The header "<prio>,<seq>,<usec>,<flags>[,...];": the kernel facility
 * (prio >> 3 == 0) only, so that nothing written to /dev/kmsg from user
 * space (root only, facility user) is taken for the kernel's.  The text
 * after ';' to the end of its line, or NULL. */
static const char *record_text(const char *rec, uint64_t *seq)
{
	unsigned long long prio, number;
	char *end;

	errno = 0;
	prio = strtoull(rec, &end, 10);
	if (errno || end == rec || *end != ',')
		return NULL;
	number = strtoull(end + 1, &end, 10);
	if (errno || *end != ',')
		return NULL;
	*seq = number;
	end = strchr(end, ';');
	if (!end || (prio >> 3) != 0)
		return end ? (const char *)"" : NULL;
	return end + 1;
}

/* text[from, to) into a field, made printable. */
static void copy_span(char *field, size_t size, const char *from, const char *to)
{
	char tmp[512];
	size_t n = (size_t)(to - from);

	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, from, n);
	tmp[n] = '\0';
	nsiso_record_set(field, size, tmp);
}

/* The last occurrence of needle in [text, end). */
static const char *last_of(const char *text, const char *end, const char *needle)
{
	size_t n = strlen(needle);
	const char *p;

	for (p = end - n; p >= text; p--)
		if (memcmp(p, needle, n) == 0)
			return p;
	return NULL;
}

static bool number_at(const char *from, const char *to, unsigned long long *out)
{
	char *end;

	if (from >= to || *from < '0' || *from > '9')
		return false;
	errno = 0;
	*out = strtoull(from, &end, 10);
	return errno == 0 && end == to;
}

/* From the end: ",uid=U" and ",pid=P" follow the comm; then the comm after
 * the ",task=" that follows the cgroup paths. */
static int parse_oom(const char *text, struct nsiso_kmsg_oom *oom)
{
	const char *end = text + strcspn(text, "\n"), *uid, *pid, *oom_memcg, *task_memcg, *task;
	unsigned long long u, p;

	uid = last_of(text, end, ",uid=");
	pid = uid ? last_of(text, uid, ",pid=") : NULL;
	oom_memcg = strstr(text, ",oom_memcg=");
	task_memcg = strstr(text, ",task_memcg=");
	if (!pid || !task_memcg || task_memcg > pid || (oom_memcg && oom_memcg > task_memcg))
		return -1;
	task = strstr(task_memcg, ",task=");
	if (!task || task > pid || !number_at(uid + 5, end, &u) || !number_at(pid + 5, uid, &p) ||
	    p == 0 || p > 0x7fffffffULL || u > 0xfffffffeULL)
		return -1;
	memset(oom, 0, sizeof(*oom));
	oom->pid = (pid_t)p;
	oom->uid = (uid_t)u;
	copy_span(oom->command, sizeof(oom->command), task + 6, pid);
	copy_span(oom->task_memcg, sizeof(oom->task_memcg), task_memcg + 12, task);
	/* No oom_memcg: the kill was for the whole host (or a cpuset). */
	if (oom_memcg)
		copy_span(oom->oom_memcg, sizeof(oom->oom_memcg), oom_memcg + 11, task_memcg);
	return 1;
}

int nsiso_kmsg_parse(const char *record, size_t len, uint64_t *seq, struct nsiso_kmsg_oom *oom)
{
	char buf[NSISO_KMSG_RECORD_MAX + 1];
	const char *text;

	if (len == 0 || len > NSISO_KMSG_RECORD_MAX)
		return -1;
	memcpy(buf, record, len);
	buf[len] = '\0';
	text = record_text(buf, seq);
	if (!text)
		return -1;
	if (strncmp(text, OOM_PREFIX, strlen(OOM_PREFIX)) != 0)
		return 0;
	return parse_oom(text, oom) == 1 ? 1 : 0;
}

bool nsiso_kmsg_in_group(const struct nsiso_kmsg_oom *oom, const char *group)
{
	size_t n = strlen(group);

	return n > 1 && strncmp(oom->task_memcg, group, n) == 0 &&
	       (oom->task_memcg[n] == '\0' || oom->task_memcg[n] == '/');
}
