/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Recognising a session that pam_systemd already placed in a user slice. */
#ifndef NSISO_SYSTEMD_H
#define NSISO_SYSTEMD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Given the text of /proc/<pid>/cgroup, true when the process sits in
 * systemd's user-<uid>.slice (the v2 "0::" line, or v1's name=systemd
 * hierarchy); the unit name "user-<uid>.slice" is written to unit. */
bool nsiso_systemd_user_slice(const char *proc_cgroup, uid_t uid, char *unit, size_t len);

/* The same for the calling process.  false also when unreadable. */
bool nsiso_systemd_self_in_user_slice(uid_t uid, char *unit, size_t len);

#endif
