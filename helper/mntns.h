/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* A session's mount namespace at its end.  A user can keep the namespace
 * past the session (an fd of their own /proc/self/ns/mnt, handed to a
 * process outside it); it must then hold no mount: no copy of the host's
 * mount table charged to root, and no file system that root unmounts on
 * the host living on in it (an attacker review of d5e0d91 kept a loop
 * device's ext4 so, past root's umount).  The session's reaper detaches its
 * whole tree once the holder has ended: with the holder's PID namespace
 * every process that could be in it is gone.  The reaper, not the holder:
 * the unmount waits for an RCU grace period (up to 2 ms here, traced),
 * which in the holder came before its end, and so before the record's and
 * the group's removal. */
#ifndef NSISO_MNTNS_H
#define NSISO_MNTNS_H

#include <sys/types.h>

/* The session's mount namespace, for its reaper: a fd of
 * /proc/<holder>/ns/mnt, holder being the maker's child not yet reaped
 * (its PID cannot be anyone else's).  -1 with errno. */
int nsiso_mntns_of_child(pid_t holder);

/* Enter the namespace of mnt_ns_fd, detach its whole tree and come back
 * to our own (absolute paths after this are the host's again).  Where "/"
 * is the namespace's first mount, which never goes (EINVAL: a host that
 * runs from its initramfs and never switched root: diskless and netboot
 * hosts, the check-systemd VM), every mount on it is detached instead; it
 * stays, the host's own root, which the host never unmounts.  0, or the
 * errno of what failed first.  Must not be called by a process with
 * threads (setns). */
int nsiso_mntns_detach(int mnt_ns_fd);

#endif
