/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* A session's members (its holder and its reaper, our own processes) move
 * themselves into the user's tasks group: the helper sends each, on the
 * socket it hands the session over by, NSISO_SYNC_JOIN with a mover fd
 * (nsiso_cgroup_open_mover()); the member writes "0" through it and
 * answers NSISO_SYNC_ACK, or NSISO_SYNC_ERROR and the reason.  A process
 * that moves itself through v1's tasks file is moved without the kernel's
 * wait for an RCU grace period that a move by PID pays (8-16 ms here when
 * no move came just before: most of an SSH login's cost of the module). */
#ifndef NSISO_MEMBER_H
#define NSISO_MEMBER_H

#include <stdbool.h>
#include <stddef.h>

/* The helper's side: ask the member on sock to move itself through mover,
 * and wait at most wait_ms for its answer.  0, or -1 with errno and a
 * reason in err. */
int nsiso_member_enter(int sock, int mover, int wait_ms, char *err, size_t len);

/* The member's side: the helper's next step, one byte with at most one fd
 * (in *fd, or -1; close-on-exec).  False on EOF, an error, or anything
 * else. */
bool nsiso_member_next_step(int sock, char *step, int *fd);

/* The member's side of NSISO_SYNC_JOIN: into the group through mover, and
 * the answer on sock.  True if it moved and said so. */
bool nsiso_member_join(int sock, int mover);

#endif
