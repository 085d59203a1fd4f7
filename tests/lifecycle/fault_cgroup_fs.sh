#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# The cgroup filesystem in odd states, each made in a private mount namespace
# (unshare -m --propagation private) in which pamtester, and so the helper,
# runs - the host's mounts are never touched: /sys/fs/cgroup not mounted, the
# memory hierarchy missing or read-only, and the pids hierarchy missing when
# the user has a tasks limit.  Each, with on_error deny and allow: the
# configured outcome, one clear log line, nothing half-built.
set -u
. "$(dirname "$0")/lib.bash"
lc_begin --syslog
SVC=$(lc_service)

# A first, good session: it works, and leaves the cgroup parent behind (so
# that the read-only case below fails on an existing parent).
lc_conf deny
lc_try pamtester "$SVC" "$LC_USER" open_session close_session
nsiso_assert_eq "good session first" 0 "$LC_RC"
nsiso_assert_eq "... isolated, in the user's cgroup" "/$LC_PARENT/user-$LC_UID" "$(_lc_probe cg)"
lc_nothing_left "good session"

# case NAME SETUP LEVEL REASON
case_() {
	local oe
	for oe in deny allow; do
		lc_conf "$oe"
		lc_try lc_in_private_ns "$2" "$SVC"
		lc_outcome "$1 ($oe)" "$oe"
		lc_one_line "$1 ($oe)" "$3" "$4" "$oe"
		lc_nothing_left "$1 ($oe)"
	done
}
case_ "cgroup fs not mounted" "umount -l /sys/fs/cgroup" err \
	"cgroup filesystem not usable: Cgroup is not mounted"
case_ "memory hierarchy not mounted" "umount -l /sys/fs/cgroup/memory" err \
	"the memory cgroup controller is not available"
case_ "memory hierarchy read-only" "mount -o remount,bind,ro /sys/fs/cgroup/memory" err \
	"cannot (create cgroup( parent)?|set up cgroup) [^ ]*: .*(Read-only file system|operation not allowed)"
case_ "pids hierarchy not mounted, tasks limit asked" "umount -l /sys/fs/cgroup/pids" err \
	"cannot set up cgroup $LC_PARENT/user-$LC_UID: Cgroup one of the needed subsystems is not mounted"

# The host's view never changed.
nsiso_assert_true "host: memory hierarchy still mounted read-write" \
	grep -q ' /sys/fs/cgroup/memory cgroup rw' /proc/self/mounts
nsiso_assert_true "host: pids hierarchy still mounted" grep -q ' /sys/fs/cgroup/pids cgroup ' /proc/self/mounts
