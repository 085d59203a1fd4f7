#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row M3 (docs/threat-model.md): a session's root holder and
# reaper are in no user's memory group, so that no user's memory counts
# them and no user's OOM killer can pick them.  A login of user B from
# inside user A's session (su - B, or root's su B, in A's shell) has its
# helper born in A's groups, and a broker's worker follows it there, with
# the members made ahead: before the fix (a review of 49dd4a0) only the
# target's own group was left, so B's holder and reaper stayed in A's, and
# A filling its memory group had the kernel kill B's reaper, which left B's
# group behind for good.
#
#   A  cgroup only (memory 64M), B's login exec'd from A's session
#   A  the same, B's login through the broker
#   C  isolate ...,cgroup: B's helper sees its cgroups relative to C's
#      cgroup namespace, where C's group is "/" (exec'd)
#   A  D's login, exec'd and via the broker: D is isolated without limits,
#      so no group of ours is joined at all (a review of 9f2282c)
# In each: the outer user's memory group holds none of root's holders and
# reapers; B's are at the top of the memory hierarchy and in B's pids
# group, D's holder at the top.  Then A fills its group (tmpfs, 96M against
# 64M: the kernel's OOM killer runs there until nothing it may kill is
# left): B's holder and reaper live on, B's session closes, and nothing of
# it is left.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin A B C D
SOCK=$PUB/brk/broker.sock
install -d -m 0700 "$PUB/brk"
nsiso_write_conf "* cgroup_parent $PARENT
$A memory 64M
$A swap 0
$B isolate uts,ipc,mnt,pid
$B memory 96M
$B tasks 50
$C isolate uts,ipc,mnt,pid,cgroup
$C memory 64M
$D isolate uts,ipc,mnt,pid" >/dev/null

SVCB_EXEC=$(nsiso_make_pam_service "$(nsiso_module_line)
$(adv_hold_line)
session optional pam_permit.so")
SVCB_BRK=$(nsiso_make_pam_service "$(nsiso_module_line "broker=$SOCK")
$(adv_hold_line)
session optional pam_permit.so")

# The outer session runs, as root inside it (its namespaces and groups),
# B's login: the service and hold key come in the PAM environment.
cat >"$T/inner" <<INNER
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
mkfifo -m 0600 $T/hold.go.\$INNER_KEY
exec pamtester -E ADV_HOLD=\$INNER_KEY \$INNER_SVC \$INNER_USER open_session close_session \
	>$T/inner.out.\$INNER_KEY 2>&1
INNER
chmod 0755 "$T/inner"
SVC_OUT=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so $T/inner
session optional pam_permit.so")

nsiso_start_broker "$NSISO_HELPER" "$SOCK"
nsiso_wait_until 10 nsiso_broker_ready || nsiso_die "the broker made no spares"

SHM=/dev/shm/nsiso-adv-$(nsiso_unique)
nsiso_on_exit rm -f "$SHM"
declare -A OUTER_PID
_end_outer() { _adv_hold_end "$1" "$2"; }

# B's holder and reaper (by the host's PIDs: a helper in C's PID namespace
# names the holder by that namespace's in the record).
b_members() { nsiso_members_in pids "$PARENT" "$B_UID" nsiso-holder nsiso-reaper; }
memory_of() { sed -n 's/^[0-9]*:memory://p' "/proc/$1/cgroup"; }
# root's holders and reapers in the memory group of the user with uid $1
members_in_memory_of() { nsiso_members_in memory "$PARENT" "$1" nsiso-holder nsiso-reaper; }
pids_of() { sed -n 's/^[0-9]*:pids://p' "/proc/$1/cgroup"; }

# open_from OUTER_USER KEY SVCB [TARGET=B]: A's (or C's) session, inside it
# the target's, held.
open_from() {
	local outer=$1 key=$2 svc=$3 target=${4:-$B} pid
	rm -f -- "$T/hold.ready.$key" "$T/hold.go.$key"
	pamtester -E "INNER_KEY=$key" -E "INNER_SVC=$svc" -E "INNER_USER=$target" "$SVC_OUT" "$outer" \
		open_session close_session >"$T/outer.out.$key" 2>&1 &
	pid=$!
	OUTER_PID[$key]=$pid
	nsiso_on_exit _end_outer "$key" "$pid:$(_nsiso_starttime "$pid")"
	nsiso_wait_until "$NSISO_WAIT_S" _adv_hold_settled "$key" "$pid" && [ -s "$T/hold.ready.$key" ]
}

# opened_inside NAME OUTER_USER KEY SVC TARGET: the target's session opens
# inside the outer user's, whose memory group then holds none of root's
# holders and reapers; 1 if it did not open.
opened_inside() {
	local name=$1 outer=$2 key=$3 svc=$4 target=$5
	if ! open_from "$outer" "$key" "$svc" "$target"; then
		nsiso_fail "$name: $target's session opens inside $outer's" \
			"$(cat "$T/outer.out.$key" "$T/inner.out.$key" 2>/dev/null | tr '\n' ' ')"
		return 1
	fi
	nsiso_pass "$name: $target's session opens inside $outer's"
	nsiso_assert_eq "$name: $outer's memory group holds none of root's holders and reapers" \
		"" "$(members_in_memory_of "$(id -u "$outer")" | tr '\n' ' ')"
}

# check_case NAME OUTER_USER KEY SVC
check_case() {
	local name=$1 outer=$2 key=$3 svc=$4 outer_uid members=() p
	outer_uid=$(id -u "$outer")
	opened_inside "$name" "$outer" "$key" "$svc" "$B" || return
	mapfile -t members < <(b_members)
	nsiso_assert_eq "$name: B's session has a holder and a reaper" 2 "${#members[@]}"
	for p in "${members[@]}"; do
		nsiso_assert_eq "$name: $(cat "/proc/$p/comm") of B is in no user's memory group" \
			/ "$(memory_of "$p")"
		nsiso_assert_eq "$name: $(cat "/proc/$p/comm") of B counts in B's tasks" \
			"/$PARENT/user-$B_UID" "$(pids_of "$p")"
	done
	[ "$key" = oom ] && fill_outer_group "$name" "$outer_uid" "${members[@]}"
	echo go 1<>"$T/hold.go.$key"
	nsiso_assert_true "$name: both sessions close" nsiso_wait_pid "${OUTER_PID[$key]}"
	rm -f "$SHM"
	nsiso_assert_true "$name: nothing of B's session is left" \
		nsiso_wait_for nsiso_session_gone "$B" "$PARENT"
	# After the OOM kills, the outer user's group may stay: the killer can
	# take the application before the hog, which then still kept the group
	# when its reaper looked (a user's process that outlives a session
	# keeps their group; the trap removes it).
	[ "$key" = oom ] ||
		nsiso_assert_true "$name: nothing of $outer's session is left" \
			nsiso_wait_for nsiso_session_gone "$outer" "$PARENT"
}

# fill_outer_group NAME UID MEMBER...: the user fills their own memory group
# with tmpfs pages, which no kill frees: the kernel's OOM killer goes on in
# that group until nothing it may kill is left there.
fill_outer_group() {
	local name=$1 uid=$2 p kills
	shift 2
	# One process, so that none of it outlives the kill and keeps the group.
	(echo "$BASHPID" >"$CG/memory/$PARENT/user-$uid/cgroup.procs" &&
		exec setpriv --reuid="$uid" --regid="$uid" --clear-groups -- \
			head -c 96M /dev/zero >"$SHM") 2>/dev/null
	kills=$(awk '$1 == "oom_kill" {print $2}' "$CG/memory/$PARENT/user-$uid/memory.oom_control" 2>/dev/null)
	nsiso_assert_true "$name: the kernel's OOM killer ran in the user's group (${kills:-no} kills)" \
		test "${kills:-0}" -gt 0
	for p in "$@"; do
		nsiso_assert_true "$name: B's $(cat "/proc/$p/comm" 2>/dev/null || echo "process $p") lives on" \
			test -d "/proc/$p"
	done
}

check_case "exec'd, from a cgroup-only session" "$A" a "$SVCB_EXEC"
check_case "via the broker, from a cgroup-only session" "$A" b "$SVCB_BRK"
check_case "exec'd, from inside a cgroup namespace" "$C" c "$SVCB_EXEC"
check_case "the user's OOM killer in their own group" "$A" oom "$SVCB_BRK"

# D: no group of ours to join; its holder is found by its record.
no_limits_case() {
	local name=$1 key=$2 svc=$3 holder
	opened_inside "$name" "$A" "$key" "$svc" "$D" || return
	holder=$(nsiso_holders_of "$D" | head -1)
	nsiso_assert_true "$name: D's session has a holder" test -n "$holder"
	nsiso_assert_eq "$name: D's holder is in no user's memory group" / "$(memory_of "$holder")"
	echo go 1<>"$T/hold.go.$key"
	nsiso_assert_true "$name: both sessions close" nsiso_wait_pid "${OUTER_PID[$key]}"
	nsiso_assert_true "$name: nothing of D's session is left" \
		nsiso_wait_for nsiso_session_gone "$D" "$PARENT"
	nsiso_assert_true "$name: nothing of A's session is left" \
		nsiso_wait_for nsiso_session_gone "$A" "$PARENT"
}
no_limits_case "exec'd, a user without limits" d "$SVCB_EXEC"
no_limits_case "via the broker, a user without limits" e "$SVCB_BRK"
