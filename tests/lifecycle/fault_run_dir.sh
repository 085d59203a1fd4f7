#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# The run directory (where session records live; run_dir= here, /run/nsiso
# by default) full or not writable, made in a private mount namespace in
# which pamtester, and so the helper, runs: a tiny tmpfs filled up, a
# read-only bind mount of an existing run directory, and a read-only parent
# in which the run directory does not exist yet.  Each, with on_error deny
# and allow: the configured outcome, one clear log line, nothing half-built.
set -u
. "$(dirname "$0")/lib.bash"
lc_begin --syslog
install -d -m 0700 "$T/full" "$T/ro" "$T/ro/run" "$T/roparent"
SVC_FULL=$(lc_service "run_dir=$T/full/run")
SVC_RO=$(lc_service "run_dir=$T/ro/run")
SVC_ROPARENT=$(lc_service "run_dir=$T/roparent/run")

FILL="mount -t tmpfs -o size=16k,mode=0700 nsiso-test-full $T/full &&
	mkdir -m 0700 $T/full/run && { dd if=/dev/zero of=$T/full/fill bs=4k 2>/dev/null || :; }"
RO="mount --bind $T/ro $T/ro && mount -o remount,bind,ro $T/ro"
ROPARENT="mount --bind $T/roparent $T/roparent && mount -o remount,bind,ro $T/roparent"

for oe in deny allow; do
	lc_conf "$oe"
	# Both fail writing the record, before anything is made in the cgroup
	# tree.  A full run directory is something a user may bring about (on a
	# host where /run/lock is not a separate tmpfs, any user can fill
	# /run): denied under allow too.  A read-only one is the host's doing.
	full_oe=$oe
	[ "$oe" = allow ] && full_oe=allow-denied
	lc_try lc_in_private_ns "$FILL" "$SVC_FULL"
	lc_outcome "run dir full ($oe)" "$full_oe"
	lc_one_line "run dir full ($oe)" crit "cannot write session record: No space left on device" "$full_oe"
	lc_nothing_left "run dir full ($oe)"

	lc_try lc_in_private_ns "$RO" "$SVC_RO"
	lc_outcome "run dir read-only ($oe)" "$oe"
	lc_one_line "run dir read-only ($oe)" err "cannot write session record: Read-only file system" "$oe"
	lc_nothing_left "run dir read-only ($oe)"

	lc_try lc_in_private_ns "$ROPARENT" "$SVC_ROPARENT"
	lc_outcome "run dir missing, parent read-only ($oe)" "$oe"
	lc_one_line "run dir missing, parent read-only ($oe)" err \
		"cannot create $T/roparent/run: Read-only file system" "$oe"
	lc_nothing_left "run dir missing, parent read-only ($oe)"
done
nsiso_assert_false "host: the tmpfs never appeared here" grep -q nsiso-test-full /proc/self/mounts
nsiso_assert_eq "host: the run dir is still writable" "" "$(touch "$T/ro/run/x" 2>&1 && rm "$T/ro/run/x")"
