/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Recognising a session that pam_systemd already placed in a user slice. */
#ifndef NSISO_SYSTEMD_H
#define NSISO_SYSTEMD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf.h"

/* The one reader of /proc/<pid>/cgroup lines ("N:controllers:path"): the
 * next line of text at *text, split (each part NUL-terminated in line; a
 * line longer than it is cut), *text moved past it; lines not of that form
 * are skipped.  False at the end. */
struct nsiso_cgroup_line {
	char line[4200];
	const char *hierarchy, *controllers, *path;
};
bool nsiso_proc_cgroup_next(const char **text, struct nsiso_cgroup_line *l);

/* The path of the line whose controllers include controller ("memory",
 * "name=systemd"; "" for v2's "0::" line), into path.  False when none. */
bool nsiso_proc_cgroup_path(const char *text, const char *controller, char *path, size_t len);

/* path (absolute, as a process in the initial cgroup namespace sees it)
 * lies below systemd's user-<uid>.slice, anchored at the root:
 * "/user.slice/user-<uid>.slice/<something>".  *slice_len (if not NULL):
 * the length of the slice's own path in it, "/user.slice/user-<uid>.slice". */
bool nsiso_systemd_below_user_slice(const char *path, uid_t uid, size_t *slice_len);

/* Given the text of /proc/<pid>/cgroup, true when the process sits in
 * systemd's user-<uid>.slice (the v2 "0::" line, or v1's name=systemd
 * hierarchy), below it, with the path starting "/user.slice/user-<uid>.slice/"
 * (nothing else proves it: a user's delegated subtree may hold directories
 * of those names); the unit name "user-<uid>.slice" is written to unit. */
bool nsiso_systemd_user_slice(const char *proc_cgroup, uid_t uid, char *unit, size_t len);

/* Given the text of /proc/<pid>/cgroup, true when the process sits in the
 * user manager's subtree, "/user.slice/user-<uid>.slice/user@<uid>.service"
 * or below: systemd delegates it to the user, who makes, moves and freezes
 * cgroups there. */
bool nsiso_systemd_in_user_manager(const char *proc_cgroup, uid_t uid);

/* Whether the calling process is where a session of uid's may stay in
 * cgroup_mode systemd: below user-<uid>.slice (its name written to unit,
 * as nsiso_systemd_user_slice()), and, unless it is the user manager's own
 * session (manager), not in the manager's subtree.  false also when
 * unreadable. */
bool nsiso_systemd_self_placed(uid_t uid, bool manager, char *unit, size_t len);

/* Where that slice is: its cgroup path as systemd made it, relative to the
 * root of the hierarchies ("user.slice/user-1000.slice"), for reading the
 * user's numbers there (nsiso_cgroup_user_group).  False when the process
 * is not below user-<uid>.slice. */
bool nsiso_systemd_user_slice_path(const char *proc_cgroup, uid_t uid, char *slice, size_t len);

/* Given the text of /proc/<pid>/cgroup, true when the managed line's path
 * ends in the unit's own cgroup ("/<unit>"): absolute, or relative to a
 * cgroup namespace the process is in ("/../nsiso-<id>.scope" for a login
 * from inside a session, whose namespace is rooted below the slice). */
bool nsiso_systemd_in_unit(const char *proc_cgroup, const char *unit);

/* The same for process pid, as this process sees it (its PID namespace, its
 * cgroup namespace).  false also when unreadable. */
bool nsiso_systemd_pid_in_unit(pid_t pid, const char *unit);

/* The D-Bus object path systemd gives unit: "/org/freedesktop/systemd1/unit/"
 * and the name with every byte but a letter (or a digit after the first
 * byte) written "_xx" in lowercase hex, as systemd's own bus_label_escape().
 * 0, or -1 when it does not fit in len or the name is empty. */
int nsiso_systemd_unit_object_path(const char *unit, char *path, size_t len);

/* The transient scope the module asks for a session it finds outside the
 * user's slice: NSISO_SYSTEMD_SCOPE_PREFIX, the session's 16 hex digits,
 * ".scope". */
#define NSISO_SYSTEMD_SCOPE_PREFIX "nsiso-"

/* rel, a cgroup path relative to our cgroup namespace, lies outside it
 * ("/../...") at a scope of ours right in user uid's slice, seen from below
 * that slice or from another user's: where systemd put the PAM application
 * of a login from inside a session (su there), at the module's asking. */
bool nsiso_systemd_scope_outside_ns(const char *rel, uid_t uid);

/* True when PID 1 is systemd (its /run/systemd/system, as sd_booted()). */
bool nsiso_systemd_booted(void);

/* cgroup_mode auto made concrete: systemd where PID 1 is systemd, own
 * elsewhere; *why (may be NULL) says which and why, for nsisoctl explain. */
enum nsiso_cgroup_mode nsiso_cgroup_mode_effective(enum nsiso_cgroup_mode mode, const char **why);

#endif
