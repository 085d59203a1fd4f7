/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "systemd.h"
#include "textfile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* controller is one of the comma separated items of list ("memory" in
 * "memory", "cpu" in "cpu,cpuacct"; "" only for the empty list of v2). */
static bool controller_in(const char *list, const char *controller)
{
	size_t n = strlen(controller);
	const char *p = list;

	if (!n)
		return !*list;
	for (; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, controller, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

bool nsiso_proc_cgroup_next(const char **text, struct nsiso_cgroup_line *l)
{
	while (**text) {
		size_t n = strcspn(*text, "\n");
		char *controllers, *cgroup;

		snprintf(l->line, sizeof(l->line), "%.*s", (int)n, *text);
		*text += n + ((*text)[n] == '\n');
		controllers = strchr(l->line, ':');
		cgroup = controllers ? strchr(controllers + 1, ':') : NULL;
		if (!cgroup)
			continue;
		*controllers++ = '\0';
		*cgroup++ = '\0';
		l->hierarchy = l->line;
		l->controllers = controllers;
		l->path = cgroup;
		return true;
	}
	return false;
}

bool nsiso_proc_cgroup_path(const char *text, const char *controller, char *path, size_t len)
{
	struct nsiso_cgroup_line l;

	while (nsiso_proc_cgroup_next(&text, &l))
		if (controller_in(l.controllers, controller) &&
		    (*controller || strcmp(l.hierarchy, "0") == 0)) {
			snprintf(path, len, "%s", l.path);
			return true;
		}
	return false;
}

/* The cgroup path of the line that systemd manages: "0::<path>" on v2 and
 * hybrid hosts, "N:name=systemd:<path>" on v1.  The v2 line wins. */
static bool managed_path(const char *text, char *path, size_t len)
{
	return nsiso_proc_cgroup_path(text, "", path, len) ||
	       nsiso_proc_cgroup_path(text, "name=systemd", path, len);
}

bool nsiso_systemd_below_user_slice(const char *path, uid_t uid, size_t *slice_len)
{
	static const char top[] = "/user.slice/";
	char want[64];
	size_t n;

	if (strncmp(path, top, sizeof(top) - 1) != 0)
		return false;
	n = (size_t)snprintf(want, sizeof(want), "user-%u.slice/", (unsigned)uid);
	path += sizeof(top) - 1;
	if (strncmp(path, want, n) != 0 || path[n] == '\0')
		return false;	/* another slice, or the slice itself: no session in it */
	if (slice_len)
		*slice_len = sizeof(top) - 1 + n - 1;
	return true;
}

/* Anchored at the root (nsiso_systemd_below_user_slice): anywhere deeper,
 * in a subtree delegated to a user (their manager's, or a Delegate= service
 * running as them), that user can make directories of any name
 * ("user.slice/user-<uid>.slice" of another uid too), and a session placed
 * there would be the delegate's, not in the target's slice or limit. */
bool nsiso_systemd_user_slice_path(const char *proc_cgroup, uid_t uid, char *slice, size_t len)
{
	char path[4096];
	size_t n;

	if (!managed_path(proc_cgroup, path, sizeof(path)) ||
	    !nsiso_systemd_below_user_slice(path, uid, &n))
		return false;
	/* From below the root to the slice itself, its "/" left out. */
	snprintf(slice, len, "%.*s", (int)n - 1, path + 1);
	return true;
}

bool nsiso_systemd_user_slice(const char *proc_cgroup, uid_t uid, char *unit, size_t len)
{
	char slice[4096];

	if (!nsiso_systemd_user_slice_path(proc_cgroup, uid, slice, sizeof(slice)))
		return false;
	snprintf(unit, len, "user-%u.slice", (unsigned)uid);
	return true;
}

bool nsiso_systemd_in_user_manager(const char *proc_cgroup, uid_t uid)
{
	char path[4096], want[64];
	size_t n, k;

	if (!managed_path(proc_cgroup, path, sizeof(path)) ||
	    !nsiso_systemd_below_user_slice(path, uid, &n))
		return false;
	k = (size_t)snprintf(want, sizeof(want), "/user@%u.service", (unsigned)uid);
	return strncmp(path + n, want, k) == 0 && (path[n + k] == '/' || path[n + k] == '\0');
}

bool nsiso_systemd_self_placed(uid_t uid, bool manager, char *unit, size_t len)
{
	char text[8192];

	if (nsiso_read_text("/proc/self/cgroup", text, sizeof(text)) <= 0)
		return false;
	return nsiso_systemd_user_slice(text, uid, unit, len) &&
	       (manager || !nsiso_systemd_in_user_manager(text, uid));
}

bool nsiso_systemd_in_unit(const char *proc_cgroup, const char *unit)
{
	char path[4096];
	size_t n, u = strlen(unit);

	if (!u || !managed_path(proc_cgroup, path, sizeof(path)))
		return false;
	n = strlen(path);
	return n > u && path[n - u - 1] == '/' && strcmp(path + n - u, unit) == 0;
}

bool nsiso_systemd_pid_in_unit(pid_t pid, const char *unit)
{
	char path[64], text[8192];

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (nsiso_read_text(path, text, sizeof(text)) <= 0)
		return false;
	return nsiso_systemd_in_unit(text, unit);
}

static bool label_byte_plain(const char *unit, const char *c)
{
	return (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
	       (c > unit && *c >= '0' && *c <= '9');
}

int nsiso_systemd_unit_object_path(const char *unit, char *path, size_t len)
{
	static const char hex[] = "0123456789abcdef", base[] = "/org/freedesktop/systemd1/unit/";
	size_t n = sizeof(base) - 1;
	const char *c;

	if (!unit[0] || len < n + 1)
		return -1;
	memcpy(path, base, n);
	for (c = unit; *c; c++) {
		unsigned char b = (unsigned char)*c;

		if (label_byte_plain(unit, c)) {
			if (n + 1 >= len)
				return -1;
			path[n++] = *c;
			continue;
		}
		if (n + 3 >= len)
			return -1;
		path[n++] = '_';
		path[n++] = hex[b >> 4];
		path[n++] = hex[b & 15];
	}
	path[n] = '\0';
	return 0;
}

/* name is NSISO_SYSTEMD_SCOPE_PREFIX, 16 lowercase hex digits, ".scope". */
static bool is_our_scope(const char *name)
{
	static const char prefix[] = NSISO_SYSTEMD_SCOPE_PREFIX, suffix[] = ".scope";
	size_t i;

	if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
		return false;
	name += sizeof(prefix) - 1;
	for (i = 0; i < 16; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return strcmp(name + 16, suffix) == 0;
}

bool nsiso_systemd_scope_outside_ns(const char *rel, uid_t uid)
{
	static const char up[] = "/..", top[] = "/user.slice";
	const size_t up_len = sizeof(up) - 1, top_len = sizeof(top) - 1;
	char slice[40];
	size_t n;

	if (strncmp(rel, up, up_len) != 0)
		return false;
	while (strncmp(rel, up, up_len) == 0 && (rel[up_len] == '/' || rel[up_len] == '\0'))
		rel += up_len;
	if (strncmp(rel, top, top_len) == 0 && rel[top_len] == '/')
		rel += top_len;
	n = (size_t)snprintf(slice, sizeof(slice), "/user-%u.slice", (unsigned)uid);
	if (strncmp(rel, slice, n) == 0 && rel[n] == '/')
		rel += n;
	return rel[0] == '/' && is_our_scope(rel + 1);
}

bool nsiso_systemd_booted(void)
{
	struct stat st;

	return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

enum nsiso_cgroup_mode nsiso_cgroup_mode_effective(enum nsiso_cgroup_mode mode, const char **why)
{
	const char *reason = mode == NSISO_CGROUP_MODE_OWN ? "cgroup_mode own" : "cgroup_mode systemd";

	if (mode == NSISO_CGROUP_MODE_AUTO) {
		bool systemd = nsiso_systemd_booted();

		mode = systemd ? NSISO_CGROUP_MODE_SYSTEMD : NSISO_CGROUP_MODE_OWN;
		reason = systemd ? "cgroup_mode auto: PID 1 is systemd (/run/systemd/system)"
				 : "cgroup_mode auto: PID 1 is not systemd";
	}
	if (why)
		*why = reason;
	return mode;
}
