/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* A session's members (its holder and its reaper, our own processes) move
 * themselves: into the user's tasks group, and those a broker's spare made
 * ahead first into the application's cgroups, where the worker went
 * (nsiso_cgroup_follow_caller()).  The helper sends each, on the socket it
 * hands the session over by, NSISO_SYNC_JOIN with up to NSISO_FDPASS_MAX
 * mover fds (nsiso_cgroup_open_mover()); the member writes "0" through each
 * in turn and answers NSISO_SYNC_ACK, or NSISO_SYNC_ERROR and the reason.  A process
 * that moves itself through v1's tasks file is moved without the kernel's
 * wait for an RCU grace period that a move by PID pays (5.5-15.7 ms here when
 * no move came just before: most of an SSH login's cost of the module). */
#ifndef NSISO_MEMBER_H
#define NSISO_MEMBER_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/fdpass.h"

/* The helper's side, in two halves so that both members move at once: ask
 * the member on sock to move itself through each of the n movers in turn
 * (n <= NSISO_FDPASS_MAX), then wait at most wait_ms for its answer.  0, or
 * -1 with errno and the reason in err (the member's own, or that it went
 * away, died or did not answer in time). */
int nsiso_member_ask(int sock, const int *movers, size_t n, char *err, size_t len);
int nsiso_member_answer(int sock, int wait_ms, char *err, size_t len);

/* The member's side: the helper's next step, one byte with the fds that
 * came with it (*n of them, close-on-exec).  False on EOF, an error, or
 * anything else. */
bool nsiso_member_next_step(int sock, char *step, int fds[NSISO_FDPASS_MAX], size_t *n);

/* The member's side of NSISO_SYNC_JOIN: through each of the n movers in
 * turn, and the answer on sock.  True if it moved and said so. */
bool nsiso_member_join(int sock, const int *movers, size_t n);

/* Close the n fds of a step. */
void nsiso_member_close_fds(const int *fds, size_t n);

#endif
