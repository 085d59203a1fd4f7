#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# nsiso-helper broker under a mount table that keeps changing.  Any user
# with fusermount can change it as often as they like, and each time the
# spares' holders become stale (they copied the old table).  The broker must
# not replace its spares at that rate (each replacement costs root a fork, a
# clone into new namespaces and another fork per spare): at most once every
# 2 s while the cgroup mounts stay as they were; a login in between gets a
# holder made ahead all the same, which copies the mount table again.  A change of the cgroup mounts (what libcgroup's table
# is made from) replaces them at once.  Root's tmpfs mounts stand in for a
# user's FUSE mounts: the broker sees the same event.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
nsiso_start_syslog || nsiso_skip "/dev/log is taken by another syslog daemon"

U=$(nsiso_make_user) || nsiso_die "cannot create user"
UID_=$(id -u "$U")
PARENT=$(nsiso_cgroup_parent)
SOCK=$T/brk/broker.sock
nsiso_write_conf "* cgroup_parent $PARENT
* memory 96M
$U isolate uts,ipc,mnt,pid" >/dev/null
HOLD=$(nsiso_make_pam_service "$(nsiso_module_line "broker=$SOCK debug")
session required pam_exec.so /bin/sleep 3
session required pam_permit.so")

CHURN=$T/churn CG2=$T/cg2
mkdir -p "$CHURN" "$CG2"
nsiso_on_exit nsiso_unmount "$CHURN" "$CG2"

nsiso_start_broker "$NSISO_HELPER" "$SOCK"

idle_holders() { nsiso_made_ahead "$BROKER_PID" nsiso-idle-hold | sort; }
nsiso_wait_until 10 nsiso_broker_ready || nsiso_die "the broker's spares made no holders"
# A login held open 3 s in the background: its pamtester's PID in HELD, its
# holder's in HOLDER.
has_holder() { [ -n "$(nsiso_holders_of "$U")" ]; }
held_login() {
	nsiso_log_mark
	pamtester "$HOLD" "$U" open_session close_session >/dev/null 2>&1 &
	HELD=$!
	nsiso_wait_until 10 has_holder || nsiso_die "the held session did not open"
	HOLDER=$(nsiso_holders_of "$U" | head -n 1)
}
held_login_ended() {
	wait "$HELD"
	nsiso_assert_eq "$1: the login ended well" 0 $?
	nsiso_assert_true "$1: via the broker" \
		nsiso_wait_log "session [0-9a-f]{16} opened for $U .*, via broker$" 5
	nsiso_assert_true "$1: its session is gone after the logout" \
		nsiso_wait_until 10 nsiso_session_gone "$U" "$PARENT" "$T/run"
}

# --- a flood of mount changes ---------------------------------------------------
# 3 s of tmpfs mount+umount pairs; the broker's children sampled meanwhile.
flood() {
	local end=$((${EPOCHREALTIME/./} + 3000000)) n=0
	while [ "${EPOCHREALTIME/./}" -lt "$end" ]; do
		mount -t tmpfs nsiso-churn "$CHURN" && umount "$CHURN" && n=$((n + 1))
	done
	echo "$n" >"$T/flood.n"
}
sleep 2.1	# past the minimum interval since the broker made its spares
flood &
FLOOD=$!
declare -A seen=()
while kill -0 "$FLOOD" 2>/dev/null; do
	for s in $(nsiso_broker_spares); do seen[$s]=1; done
	sleep 0.02
done
wait "$FLOOD"
AT_END=$(nsiso_broker_spares)
pairs=$(cat "$T/flood.n")
nsiso_assert_true "the flood changed the mount table at least 100 times ($((pairs * 2)))" \
	test "$pairs" -ge 50
nsiso_assert_true "the spares were replaced at most every 2 s (spares seen: ${#seen[@]}, at most 8)" \
	test "${#seen[@]}" -le 8
nsiso_assert_true "and were replaced during it (spares seen: ${#seen[@]})" \
	test "${#seen[@]}" -ge 4

# --- after it: fresh holders made ahead again -------------------------------------
nsiso_assert_true "within 2 s of the last change, new spares with new holders" \
	nsiso_wait_until 5 nsiso_broker_replaced "$AT_END"
IDLE=$(idle_holders)
held_login
nsiso_assert_true "the login's holder is one made ahead after the flood" \
	grep -qx "$HOLDER" <<<"$IDLE"
held_login_ended "after the flood"

# --- a change of the cgroup mounts: at once ----------------------------------------
# One tmpfs change replaces the spares (the last replacement was over 2 s
# ago, during the wait above and the login) ...
nsiso_wait_until 5 nsiso_broker_ready || nsiso_die "no two spares after the login"
sleep 2.1
before=$(nsiso_broker_spares)
mount -t tmpfs nsiso-churn "$CHURN" && umount "$CHURN"
nsiso_assert_true "a change after 2 s quiet: the spares are replaced at once" \
	nsiso_wait_until 1 nsiso_broker_replaced "$before"
# ... and a cgroup2 mount right after it replaces them again, well within
# the 2 s a change of other mounts would wait.
before=$(nsiso_broker_spares)
mount -t cgroup2 nsiso-test-cg2 "$CG2" || nsiso_die "cannot mount cgroup2 at $CG2"
nsiso_assert_true "a new cgroup mount right after: replaced at once too" \
	nsiso_wait_until 0.8 nsiso_broker_replaced "$before"
before=$(nsiso_broker_spares)
umount "$CG2"
nsiso_assert_true "the cgroup mount gone: replaced at once again" \
	nsiso_wait_until 0.8 nsiso_broker_replaced "$before"
# libcgroup's table, made again twice, still finds the user's groups.
held_login
# (The record is written before the holder joins the group: waited for.)
nsiso_assert_true "a login after the cgroup mounts changed: its holder is in the user's group" \
	nsiso_wait_until 5 grep -Eq ":/$PARENT/user-$UID_\$" "/proc/$HOLDER/cgroup"
held_login_ended "after the cgroup mounts changed"

# --- a login in the middle of a flood ----------------------------------------------
# The spares' holders are out of date while it lasts: the login's holder,
# made ahead, copies the table again instead of being made at the login.
nsiso_wait_until 5 nsiso_broker_ready || nsiso_die "no two spares before the second flood"
flood &
FLOOD=$!
sleep 0.2
held_login
nsiso_assert_true "during a flood: the login's holder made ahead copied the mount table again" \
	nsiso_wait_log "session [0-9a-f]{16}: holder copied the mount table again$" 5
nsiso_assert_eq "during a flood: its /proc is its own (PID 1 the holder)" \
	nsiso-holder "$(nsenter --mount --target "$HOLDER" cat /proc/1/comm)"
wait "$FLOOD"
held_login_ended "during a flood"
