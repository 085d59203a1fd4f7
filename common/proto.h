/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* What the module and nsiso-helper say to each other.
 *
 * The module execs the helper with the decision as arguments (see
 * nsiso-helper(8)) and an empty environment; fd NSISO_CHANNEL_FD is one end of
 * a SOCK_SEQPACKET socketpair and the only fd besides 0-2.  The helper sends
 * exactly one message on it:
 *   "ok <holder-pid>"   with the holder's pidfd attached (SCM_RIGHTS)
 *   "err <reason>"      the session could not be set up
 *   "crit <reason>"     the same, for a resource shortage (LOG_CRIT)
 * and exits.  Everything it built is then owned by the holder, which tears it
 * down itself if the module never uses it. */
#ifndef NSISO_PROTO_H
#define NSISO_PROTO_H

#define NSISO_CHANNEL_FD 3
#define NSISO_REPLY_MAX 512

/* A session open that takes longer than this is abandoned: the helper is
 * killed and the login denied (or allowed, per on_error). */
#define NSISO_OPEN_TIMEOUT_MS 10000

/* How long the helper waits for the holder to acknowledge the hand-over. */
#define NSISO_HANDOVER_TIMEOUT_MS 2000

/* The holder's signals: "the session was closed" (logout: processes end per
 * on_logout) and "end the session now" (nsisoctl kill: every process ends). */
#define NSISO_CLOSE_SIGNAL SIGTERM
#define NSISO_KILL_SIGNAL SIGUSR1

#define NSISO_SESSION_ID_LEN 16

#ifndef NSISO_HELPER_PATH
#define NSISO_HELPER_PATH "/usr/libexec/nsiso-helper"
#endif

#define NSISO_VERSION "0.1.0"

#endif
