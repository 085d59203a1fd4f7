/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsiso-helper broker: the helper's work without its start-up per login.
 *
 * A long-lived root process, listening on a root-only socket (0600 in the
 * 0711 run directory, or handed over by systemd's socket activation), that
 * has done libcgroup's one-time initialisation once.  Per request it forks a
 * worker, which checks that the PAM application sent it (its PID from the
 * socket's credentials, its pidfd in the request) and that the application
 * lives where the broker does (every namespace and the root directory the
 * same), follows the application into its cgroups, says "taken" and then
 * does exactly what an exec'd helper does, replying on the connection -
 * with the holder and reaper its spare made while it waited, when they fit
 * (prebuilt.h).
 * Whatever it cannot vouch for it answers "exec <reason>", before it has
 * built anything: the module then runs the helper as without a broker.  A
 * broker that is absent, dead, stopped or full costs a login nothing but
 * that fallback (at most NSISO_BROKER_TAKE_MS). */
#ifndef NSISO_BROKER_H
#define NSISO_BROKER_H

#include <sys/types.h>

#include "../common/request.h"

struct nsiso_prebuilt;

/* What a worker runs once the request is vouched for: the helper's open,
 * replying on NSISO_CHANNEL_FD, with the application's pidfd and the holder
 * and reaper its spare made ahead (prebuilt.h).  Never returns. */
typedef void (*nsiso_broker_open_fn)(struct nsiso_request *r, int caller_pidfd,
				     struct nsiso_prebuilt *pb);

/* Serve requests until killed.  listen_fd is a listening socket systemd
 * handed over (already checked), or -1 to bind socket_path.  Returns only
 * when it cannot listen: an exit status, with the reason on stderr and in
 * syslog. */
int nsiso_broker_main(const char *socket_path, int listen_fd, nsiso_broker_open_fn open_fn);

/* The socket systemd passed as fd 3 (LISTEN_PID/LISTEN_FDS, read before the
 * environment is cleared), or -1 with a reason when it is not a listening
 * AF_UNIX SOCK_SEQPACKET socket at a root-owned path nobody else may use. */
int nsiso_broker_activated_fd(const char *listen_pid, const char *listen_fds, char *err,
			      size_t len);

#endif
