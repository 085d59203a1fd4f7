/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Reading a user's cgroup numbers: plain files, no libcgroup, so that the
 * PAM module can log them at close without loading libcgroup into sshd. */
#include "cgroup.h"
#include "textfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

void nsiso_cgroup_user_path(const char *parent, uid_t uid, char *buf, size_t len)
{
	snprintf(buf, len, "%s/" NSISO_CGROUP_LEAF_PREFIX "%u", parent, (unsigned)uid);
}

void nsiso_cgroup_user_group(const char *parent, const char *slice, uid_t uid, char *buf,
			     size_t len)
{
	if (slice && slice[0])
		snprintf(buf, len, "%s", slice);
	else if (parent && parent[0])
		nsiso_cgroup_user_path(parent, uid, buf, len);
	else if (len > 0)
		buf[0] = '\0';
}

enum nsiso_cgroup_version nsiso_cgroup_detect_version(void)
{
	struct statfs fs;

	return statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC
		       ? NSISO_CGROUP_V2 : NSISO_CGROUP_V1;
}

/* "subsys_name hierarchy num_cgroups enabled" lines, after a header. */
int nsiso_cgroup_listed_in(const char *path, const char *name)
{
	char line[256], *save = NULL, *field[4];
	bool found = false;
	FILE *f = fopen(path, "re");
	int n, e;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f)) {
		field[0] = strtok_r(line, " \t\n", &save);
		for (n = 1; n < 4; n++)
			field[n] = field[n - 1] ? strtok_r(NULL, " \t\n", &save) : NULL;
		found = field[0] && field[3] && strcmp(field[0], name) == 0 &&
			strcmp(field[3], "1") == 0;
	}
	/* A read that failed before the name came is no answer. */
	e = !found && ferror(f) ? (errno ? errno : EIO) : 0;
	fclose(f);
	if (e) {
		errno = e;
		return -1;
	}
	return found;
}

int nsiso_cgroup_kernel_has(const char *name)
{
	return nsiso_cgroup_listed_in("/proc/cgroups", name);
}

uint64_t nsiso_cgroup_read_number(const char *dir, const char *file)
{
	char path[PATH_MAX], text[64], *end;
	unsigned long long value;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (nsiso_read_text(path, text, sizeof(text)) <= 0)
		return NSISO_UNLIMITED;
	if (text[0] < '0' || text[0] > '9')
		return NSISO_UNLIMITED;		/* "max", or garbage */
	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno != 0 || (*end != '\n' && *end != '\0'))
		return NSISO_UNLIMITED;
	/* v1 reports "no limit" as the largest page-aligned long. */
	return value >= (unsigned long long)LLONG_MAX - 4096 ? NSISO_UNLIMITED : value;
}

/* "key value" lines, as in memory.events and memory.oom_control: one
 * read, as nsiso_read_text() takes them (a stdio stream cost two more
 * system calls, and the close line reads these). */
uint64_t nsiso_cgroup_read_keyed(const char *dir, const char *file, const char *key)
{
	char path[PATH_MAX], text[4096], *line, *save = NULL;
	size_t key_len = strlen(key);
	uint64_t found = NSISO_UNLIMITED;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (nsiso_read_text(path, text, sizeof(text)) <= 0)
		return NSISO_UNLIMITED;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *end;
		unsigned long long value;

		if (strncmp(line, key, key_len) != 0 || line[key_len] != ' ')
			continue;
		errno = 0;
		value = strtoull(line + key_len + 1, &end, 10);
		if (errno == 0 && end != line + key_len + 1)
			found = value;
	}
	return found;
}

/* ---- v1's OOM kill count of a group with groups below it -------------- */

struct walk {
	struct nsiso_cgroup_count *out;
	size_t max, n, seen;
	uint64_t sum;
};

/* dir and the groups below it, depth first, at most NSISO_CGROUP_WALK_MAX
 * of them and NSISO_CGROUP_WALK_DEPTH deep: a user who may make groups
 * below their own (a delegated subtree) cannot make the walk unbounded, so
 * neither can the recursion (hence the NOLINT). */
// NOLINTNEXTLINE(misc-no-recursion)
static void walk_group(const char *dir, uint64_t count, int depth, struct walk *w)
{
	struct dirent *e;
	struct stat st;
	bool known;
	DIR *d;

	if (w->seen++ >= NSISO_CGROUP_WALK_MAX)
		return;
	known = stat(dir, &st) == 0;
	if (count != NSISO_UNLIMITED && count > 0) {
		w->sum += count;
		if (w->out && w->n < w->max && known)
			w->out[w->n++] = (struct nsiso_cgroup_count){ st.st_ino, count };
	}
	/* A cgroup directory's link count is 2 plus its subdirectories (as
	 * on most file systems; some always say 1): at 2 there is nothing
	 * below to read, and the close line is spared an opendir(). */
	if (depth >= NSISO_CGROUP_WALK_DEPTH || (known && st.st_nlink == 2) || !(d = opendir(dir)))
		return;
	while ((e = readdir(d)) != NULL) {
		char sub[PATH_MAX];
		int n;

		if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		n = snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		if (n > 0 && (size_t)n < sizeof(sub))
			walk_group(sub, nsiso_cgroup_read_keyed(sub, "memory.oom_control", "oom_kill"),
				   depth + 1, w);
	}
	closedir(d);
}

uint64_t nsiso_cgroup_v1_oom_kills(const char *dir, struct nsiso_cgroup_count *out, size_t max,
				   size_t *n)
{
	struct walk w = { out, max, 0, 0, 0 };
	uint64_t count = nsiso_cgroup_read_keyed(dir, "memory.oom_control", "oom_kill");

	if (n)
		*n = 0;
	if (count == NSISO_UNLIMITED)
		return NSISO_UNLIMITED;
	walk_group(dir, count, 0, &w);
	if (n)
		*n = w.n;
	return w.sum;
}

/* Swap alone: v2 counts it apart; v1 counts memory + swap (memsw), which
 * is missing where swap accounting is off. */
static void read_swap(const char *mem, bool v1, struct nsiso_cgroup_stats *s)
{
	uint64_t memsw, memsw_limit;

	if (!v1) {
		s->swap_current = nsiso_cgroup_read_number(mem, "memory.swap.current");
		s->swap_limit = nsiso_cgroup_read_number(mem, "memory.swap.max");
		return;
	}
	memsw = nsiso_cgroup_read_number(mem, "memory.memsw.usage_in_bytes");
	memsw_limit = nsiso_cgroup_read_number(mem, "memory.memsw.limit_in_bytes");
	s->swap_current = memsw != NSISO_UNLIMITED && s->memory_current != NSISO_UNLIMITED &&
			  memsw >= s->memory_current ? memsw - s->memory_current : NSISO_UNLIMITED;
	s->swap_limit = memsw_limit != NSISO_UNLIMITED && s->memory_limit != NSISO_UNLIMITED &&
			memsw_limit >= s->memory_limit ? memsw_limit - s->memory_limit
						       : NSISO_UNLIMITED;
}

int nsiso_cgroup_stats_at(const char *mem, const char *pids,
			  enum nsiso_cgroup_version version, struct nsiso_cgroup_stats *s)
{
	bool v1 = version == NSISO_CGROUP_V1;
	struct stat st;

	if (stat(mem, &st) != 0)
		return -1;
	s->memory_current = nsiso_cgroup_read_number(mem, v1 ? "memory.usage_in_bytes" : "memory.current");
	s->memory_peak = nsiso_cgroup_read_number(mem, v1 ? "memory.max_usage_in_bytes" : "memory.peak");
	s->memory_limit = nsiso_cgroup_read_number(mem, v1 ? "memory.limit_in_bytes" : "memory.max");
	/* v1 has no such soft ceiling. */
	s->memory_high = v1 ? NSISO_UNLIMITED : nsiso_cgroup_read_number(mem, "memory.high");
	s->oom_kills = v1 ? nsiso_cgroup_v1_oom_kills(mem, NULL, 0, NULL)
			  : nsiso_cgroup_read_keyed(mem, "memory.events", "oom_kill");
	read_swap(mem, v1, s);
	s->tasks_current = nsiso_cgroup_read_number(pids, "pids.current");
	s->tasks_limit = nsiso_cgroup_read_number(pids, "pids.max");
	s->cpu_usage_usec = s->cpu_quota_usec = s->cpu_period_usec = NSISO_UNLIMITED;
	s->cpu_throttled_usec = s->io_weight = NSISO_UNLIMITED;
	return 0;
}

static uint64_t ns_to_usec(uint64_t ns)
{
	return ns == NSISO_UNLIMITED ? ns : ns / 1000;
}

/* v2's cpu.max: "<quota> <period>" or "max <period>". */
static void read_cpu_max(const char *dir, struct nsiso_cgroup_stats *s)
{
	char path[PATH_MAX], text[64], *end;
	unsigned long long quota, period;

	snprintf(path, sizeof(path), "%s/cpu.max", dir);
	if (nsiso_read_text(path, text, sizeof(text)) <= 0)
		return;
	if (strncmp(text, "max ", 4) == 0) {
		end = text + 3;
	} else {
		if (text[0] < '0' || text[0] > '9')
			return;
		quota = strtoull(text, &end, 10);
		if (*end != ' ')
			return;
		s->cpu_quota_usec = quota;
	}
	if (end[1] < '0' || end[1] > '9')
		return;
	period = strtoull(end + 1, NULL, 10);
	s->cpu_period_usec = period;
}

void nsiso_cgroup_cpu_stats_at(const char *cpu, const char *cpuacct,
			       enum nsiso_cgroup_version version, struct nsiso_cgroup_stats *s)
{
	s->cpu_quota_usec = s->cpu_period_usec = NSISO_UNLIMITED;
	if (version == NSISO_CGROUP_V2) {
		/* usage_usec is always there; throttled_usec only where the cpu
		 * controller is enabled for the group. */
		s->cpu_usage_usec = nsiso_cgroup_read_keyed(cpu, "cpu.stat", "usage_usec");
		s->cpu_throttled_usec = nsiso_cgroup_read_keyed(cpu, "cpu.stat", "throttled_usec");
		read_cpu_max(cpu, s);
		return;
	}
	s->cpu_usage_usec = ns_to_usec(nsiso_cgroup_read_number(cpuacct, "cpuacct.usage"));
	s->cpu_throttled_usec = ns_to_usec(nsiso_cgroup_read_keyed(cpu, "cpu.stat", "throttled_time"));
	/* "-1" (no quota) reads as unknown: the same thing here. */
	s->cpu_quota_usec = nsiso_cgroup_read_number(cpu, "cpu.cfs_quota_us");
	s->cpu_period_usec = nsiso_cgroup_read_number(cpu, "cpu.cfs_period_us");
}

void nsiso_cgroup_io_stats_at(const char *io, enum nsiso_cgroup_version version,
			      struct nsiso_cgroup_stats *s)
{
	uint64_t blkio;

	if (version == NSISO_CGROUP_V2) {
		s->io_weight = nsiso_cgroup_read_keyed(io, "io.weight", "default");
		return;
	}
	s->io_weight = nsiso_cgroup_read_number(io, "blkio.bfq.weight");
	if (s->io_weight == NSISO_UNLIMITED)
		s->io_weight = nsiso_cgroup_read_keyed(io, "blkio.bfq.weight", "default");
	blkio = nsiso_cgroup_read_number(io, "blkio.weight");
	if (s->io_weight == NSISO_UNLIMITED && blkio != NSISO_UNLIMITED)
		s->io_weight = blkio / 5;
}

/* ---- where the hierarchies are: /proc/self/mountinfo ---------------- */

ssize_t nsiso_mountinfo_read(char *buf, size_t size)
{
	int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	size_t used = 0;
	ssize_t n = 0;

	if (fd < 0 || size == 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (used + 1 < size && (n = read(fd, buf + used, size - 1 - used)) > 0)
		used += (size_t)n;
	close(fd);
	buf[used] = '\0';
	return n < 0 ? -1 : (ssize_t)used;
}

/* True when every comma separated item of want is one of the items of opts
 * (a v1 line's controllers, "memory" or "cpu,cpuacct" or "name=systemd",
 * against a cgroup mount's super options, "rw,cpu,cpuacct"). */
static bool items_in(const char *want, const char *opts)
{
	char copy[256], *save = NULL, *item;

	snprintf(copy, sizeof(copy), "%s", want);
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		size_t n = strlen(item);
		const char *p = opts;
		bool found = false;

		while (!found && (p = strstr(p, item)) != NULL) {
			found = (p == opts || p[-1] == ',') && (p[n] == ',' || p[n] == '\0');
			p += n;
		}
		if (!found)
			return false;
	}
	return true;
}

/* One line of mountinfo, split where it lies: "ID PARENT MAJ:MIN ROOT POINT
 * OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER-OPTIONS".  The kernel writes
 * single spaces and escapes them in names, so a field is what lies between
 * two.  Split in place: sscanf() twice a line, for each of five
 * controllers, took 20 us per look at this host's 21 lines against 4.5 us
 * (2000 looks, warm), and in a reaper, a new process, it also faulted in
 * the code of libc's scanf. */
struct field {
	const char *at;
	size_t len;
};

struct mount_line {
	struct field id, parent, root, point, fstype, opts;
};

/* The next space-separated field of [*p, end), or false at the end. */
static bool next_field(const char **p, const char *end, struct field *f)
{
	const char *s = *p;

	while (s < end && *s == ' ')
		s++;
	if (s == end)
		return false;
	f->at = s;
	while (s < end && *s != ' ')
		s++;
	f->len = (size_t)(s - f->at);
	*p = s;
	return true;
}

static bool field_is(const struct field *f, const char *text)
{
	return f->len == strlen(text) && memcmp(f->at, text, f->len) == 0;
}

static bool split_mount_line(const char *line, const char *end, struct mount_line *m)
{
	struct field f[5], skip;
	size_t i;

	for (i = 0; i < 5; i++)
		if (!next_field(&line, end, &f[i]))
			return false;
	m->id = f[0];
	m->parent = f[1];
	m->root = f[3];
	m->point = f[4];
	do	/* the mount options, then optional fields up to "-" */
		if (!next_field(&line, end, &skip))
			return false;
	while (!field_is(&skip, "-"));
	return next_field(&line, end, &m->fstype) && next_field(&line, end, &skip) &&
	       next_field(&line, end, &m->opts);
}

static bool is_hierarchy(const struct mount_line *m, const char *controllers)
{
	char opts[512];

	if (!controllers[0])
		return field_is(&m->fstype, "cgroup2");
	if (!field_is(&m->fstype, "cgroup") || m->opts.len >= sizeof(opts))
		return false;
	memcpy(opts, m->opts.at, m->opts.len);
	opts[m->opts.len] = '\0';
	return items_in(controllers, opts);
}

/* Into out, or false if it does not fit (a name cut short names another
 * directory). */
static bool copy_field(const struct field *f, char *out, size_t len)
{
	if (f->len >= len)
		return false;
	memcpy(out, f->at, f->len);
	out[f->len] = '\0';
	return true;
}

int nsiso_cgroup_find_mount(const char *mountinfo, const char *controllers, char *point,
			    size_t plen, char *root, size_t rlen)
{
	const char *line = mountinfo;

	while (line && *line) {
		const char *end = strchr(line, '\n'), *next;
		struct mount_line m;

		next = end ? end + 1 : NULL;
		if (!end)
			end = line + strlen(line);
		/* An escaped mount point (a space, a newline) is none we
		 * could name back. */
		if (split_mount_line(line, end, &m) && is_hierarchy(&m, controllers) &&
		    !memchr(m.point.at, '\\', m.point.len) && copy_field(&m.point, point, plen) &&
		    copy_field(&m.root, root, rlen))
			return 0;
		line = next;
	}
	return -1;
}

const char *nsiso_cgroup_io_weight_file_in(const char *dir, enum nsiso_cgroup_version version)
{
	static const char *const v1_files[] = { "blkio.weight", "blkio.bfq.weight" };
	char path[PATH_MAX];
	size_t i;

	if (version == NSISO_CGROUP_V2) {
		snprintf(path, sizeof(path), "%s/io.weight", dir);
		return access(path, F_OK) == 0 ? "io.weight" : NULL;
	}
	for (i = 0; i < sizeof(v1_files) / sizeof(v1_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, v1_files[i]);
		if (access(path, F_OK) == 0)
			return v1_files[i];
	}
	return NULL;
}

bool nsiso_mount_by_id(uint64_t mnt_id, struct nsiso_mount *out)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, id[24];
	size_t cap = 0;
	ssize_t n;
	bool found = false;

	if (!f)
		return false;
	snprintf(id, sizeof(id), "%llu", (unsigned long long)mnt_id);
	while ((n = getline(&line, &cap, f)) > 0) {
		struct mount_line m;

		if (!split_mount_line(line, line + n, &m) || !field_is(&m.id, id))
			continue;
		found = copy_field(&m.fstype, out->fstype, sizeof(out->fstype)) &&
			copy_field(&m.root, out->root, sizeof(out->root)) &&
			copy_field(&m.point, out->point, sizeof(out->point));
		break;
	}
	free(line);
	fclose(f);
	return found;
}

/* A mount point as mountinfo writes it (\040 for a space, \011, \012,
 * \134), its escapes undone, into out; false if it does not fit. */
static bool copy_unescaped(const struct field *f, char *out, size_t len)
{
	const char *in = f->at, *end = f->at + f->len;
	size_t n = 0;

	while (in < end && n + 1 < len) {
		if (end - in >= 4 && in[0] == '\\' && in[1] >= '0' && in[1] <= '3' &&
		    in[2] >= '0' && in[2] <= '7' && in[3] >= '0' && in[3] <= '7') {
			out[n++] = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
			in += 4;
		} else {
			out[n++] = *in++;
		}
	}
	out[n] = '\0';
	return in == end;
}

/* Our mountinfo, through proc_self (a directory fd of /proc/<our pid>) or
 * else the path; read from the namespace we are in at the open. */
static int open_own_mountinfo(int proc_self)
{
	if (proc_self < 0)
		return open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	return openat(proc_self, "mountinfo", O_RDONLY | O_CLOEXEC);
}

/* fn(point, arg) for each mount of our table that match(m, key) takes,
 * read a chunk at a time (fn may unmount: the kernel keeps the reader's
 * place as mounts leave the table).  Into one static buffer, not stdio's
 * and the heap's: a holder calls this, and every page it dirties is a
 * session's (the bench saw stdio's and malloc's pages raise a holder's
 * USS by 24 KiB).  A line longer than the buffer: -1, EFBIG. */
static int each_mount(int proc_self, bool (*match)(const struct mount_line *m, const void *key),
		      const void *key, void (*fn)(const char *point, void *arg), void *arg)
{
	static char buf[16384];
	char *line, *nl;
	int fd = open_own_mountinfo(proc_self), err = 0;
	size_t have = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	do {
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			break;
		}
		have += (size_t)n;
		if (n == 0 && have > 0 && buf[have - 1] != '\n' && have < sizeof(buf))
			buf[have++] = '\n';	/* a last line without its newline */
		for (line = buf; (nl = memchr(line, '\n', (size_t)(buf + have - line))); line = nl + 1) {
			struct mount_line m;

			/* The point unescaped in place (it only shrinks), ended
			 * where the next field began: the line is done with. */
			if (split_mount_line(line, nl, &m) && match(&m, key) &&
			    copy_unescaped(&m.point, line + (m.point.at - line), m.point.len + 1))
				fn(line + (m.point.at - line), arg);
		}
		have = (size_t)(buf + have - line);
		if (have == sizeof(buf)) {
			err = EFBIG;
			break;
		}
		memmove(buf, line, have);
	} while (n != 0);
	close(fd);
	errno = err;
	return err ? -1 : 0;
}

/* key: the parent's mount id, as text. */
static bool is_on(const struct mount_line *m, const void *key)
{
	return field_is(&m->parent, key) && !field_is(&m->id, key);
}

/* key: a NULL-terminated list of file system types. */
static bool is_of_type(const struct mount_line *m, const void *key)
{
	const char *const *type;

	for (type = key; *type; type++)
		if (field_is(&m->fstype, *type))
			return true;
	return false;
}

int nsiso_each_mount_on(int proc_self, uint64_t parent, void (*fn)(const char *point, void *arg),
			void *arg)
{
	char id[24];

	snprintf(id, sizeof(id), "%llu", (unsigned long long)parent);
	return each_mount(proc_self, is_on, id, fn, arg);
}

int nsiso_each_mount_of_type(int proc_self, const char *const *fstypes,
			     void (*fn)(const char *point, void *arg), void *arg)
{
	return each_mount(proc_self, is_of_type, fstypes, fn, arg);
}

/* The group's directory in the hierarchy of `controllers`: its mount point
 * and the group's path below the hierarchy path mounted there.  "" when the
 * hierarchy is not mounted, or its mount does not show the group. */
static void dir_in(const char *mountinfo, const char *controllers, const char *group,
		   char *buf, size_t len)
{
	char point[256], root[256], path[PATH_MAX];
	size_t n;

	buf[0] = '\0';
	if (nsiso_cgroup_find_mount(mountinfo, controllers, point, sizeof(point), root,
				    sizeof(root)) < 0)
		return;
	if (!group[0]) {	/* the hierarchy itself: its mount point */
		snprintf(buf, len, "%s", point);
		return;
	}
	snprintf(path, sizeof(path), "/%s", group);
	n = strcmp(root, "/") == 0 ? 0 : strlen(root);
	if (strncmp(path, root, n) != 0 || (path[n] != '/' && path[n] != '\0'))
		return;
	snprintf(buf, len, "%s%s", point, path + n);
}

void nsiso_cgroup_dirs_in(const char *mountinfo, enum nsiso_cgroup_version version,
			  const char *group, struct nsiso_cgroup_dirs *d)
{
	d->version = version;
	if (version == NSISO_CGROUP_V2) {
		dir_in(mountinfo, "", group, d->memory, sizeof(d->memory));
		snprintf(d->pids, sizeof(d->pids), "%s", d->memory);
		snprintf(d->cpu, sizeof(d->cpu), "%s", d->memory);
		snprintf(d->cpuacct, sizeof(d->cpuacct), "%s", d->memory);
		snprintf(d->io, sizeof(d->io), "%s", d->memory);
		return;
	}
	dir_in(mountinfo, "memory", group, d->memory, sizeof(d->memory));
	dir_in(mountinfo, "pids", group, d->pids, sizeof(d->pids));
	dir_in(mountinfo, "cpu", group, d->cpu, sizeof(d->cpu));
	dir_in(mountinfo, "cpuacct", group, d->cpuacct, sizeof(d->cpuacct));
	dir_in(mountinfo, "blkio", group, d->io, sizeof(d->io));
}

/* From this process's mount table; group "" gives the mount points. */
static int dirs_from_mount_table(const char *group, struct nsiso_cgroup_dirs *d)
{
	enum { MOUNTINFO_MAX = 65536 };
	char *mountinfo = malloc(MOUNTINFO_MAX);
	int ret = -1;

	memset(d, 0, sizeof(*d));
	if (mountinfo && nsiso_mountinfo_read(mountinfo, MOUNTINFO_MAX) > 0) {
		nsiso_cgroup_dirs_in(mountinfo, nsiso_cgroup_detect_version(), group, d);
		ret = d->memory[0] ? 0 : -1;
	}
	free(mountinfo);
	return ret;
}

int nsiso_cgroup_dirs_of(const char *group, struct nsiso_cgroup_dirs *d)
{
	if (!group[0]) {
		memset(d, 0, sizeof(*d));
		return -1;
	}
	return dirs_from_mount_table(group, d);
}

int nsiso_cgroup_mounts_of(struct nsiso_cgroup_dirs *d)
{
	return dirs_from_mount_table("", d);
}

int nsiso_cgroup_memory_stats_at(const char *mem, struct nsiso_cgroup_stats *s)
{
	char probe[600];
	bool v1;

	/* A v1 or a v2 memory group, told by its files; anything else (the
	 * pids group, a group that is gone) has no such numbers. */
	if (!mem[0])
		return -1;
	memset(s, 0xff, sizeof(*s));	/* NSISO_UNLIMITED: not read */
	snprintf(probe, sizeof(probe), "%s/memory.max_usage_in_bytes", mem);
	v1 = access(probe, F_OK) == 0;
	snprintf(probe, sizeof(probe), "%s/memory.max", mem);
	if (!v1 && access(probe, F_OK) != 0)
		return -1;
	s->memory_limit = nsiso_cgroup_read_number(mem, v1 ? "memory.limit_in_bytes" : "memory.max");
	s->memory_peak = nsiso_cgroup_read_number(mem, v1 ? "memory.max_usage_in_bytes" : "memory.peak");
	s->oom_kills = v1 ? nsiso_cgroup_v1_oom_kills(mem, NULL, 0, NULL)
			  : nsiso_cgroup_read_keyed(mem, "memory.events", "oom_kill");
	return 0;
}

int nsiso_cgroup_memory_stats_of(const char *group, struct nsiso_cgroup_stats *s)
{
	struct nsiso_cgroup_dirs d;

	if (nsiso_cgroup_dirs_of(group, &d) < 0)
		return -1;
	return nsiso_cgroup_memory_stats_at(d.memory, s);
}

int nsiso_cgroup_stats_of(const char *group, struct nsiso_cgroup_stats *s)
{
	struct nsiso_cgroup_dirs d;

	if (nsiso_cgroup_dirs_of(group, &d) < 0 ||
	    nsiso_cgroup_stats_at(d.memory, d.pids, d.version, s) < 0)
		return -1;
	nsiso_cgroup_cpu_stats_at(d.cpu, d.cpuacct, d.version, s);
	nsiso_cgroup_io_stats_at(d.io, d.version, s);
	return 0;
}
