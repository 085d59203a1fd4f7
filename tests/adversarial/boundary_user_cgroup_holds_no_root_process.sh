#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row C2 (docs/threat-model.md): a login from a cgroup the user
# can write - `systemd-run --user --scope su - $USER` runs su in the user's
# own systemd manager, whose cgroup v2 subtree is delegated to the user.
# The user can freeze, kill (cgroup.kill) or, on v2, move any process in
# there, root's too.  The helper used to be born there (exec'd: the
# application's child) or to follow the application there (the broker's
# worker, with the holder and reaper its spare made), and takes cgroup.lock,
# which every limited login waits for: frozen while holding it, it held up
# every other user's login until their budget ran out, and they were denied
# (found by an adversarial review of rev c902b42).
#
# Here a cgroup v2 group chowned to the user (what systemd's Delegate= does)
# holds the PAM application.  While the helper is held 4 s before its reply
# (a fault; the cgroup work is done by then), and while the session is
# open, no process of ours (helper, worker, holder, reaper) is in it, and
# the helper is alive elsewhere; the login itself is isolated and ends
# cleanly.  Exec'd and via the broker.
set -u
. "$(dirname "$0")/../lifecycle/lib.bash"
lc_begin --syslog --tool "$LC_FAULTS_HELPER"
lc_conf deny

CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$CG2" ] || nsiso_skip "no cgroup2 mount to delegate from"
DELEG=$CG2/nsiso-test-deleg-$$
mkdir "$DELEG" || nsiso_die "cannot make $DELEG"
remove_deleg() {
	local d
	nsiso_wait_until 10 deleg_empty
	for d in $(find "$DELEG" -depth -type d 2>/dev/null); do rmdir "$d" 2>/dev/null; done
	return 0
}
deleg_empty() { ! find "$DELEG" -name cgroup.procs -exec cat {} + 2>/dev/null | grep -q .; }
nsiso_on_exit remove_deleg
chown -R "$LC_USER" "$DELEG" || nsiso_die "cannot chown $DELEG to $LC_USER"
DELEG_REL=${DELEG#"$CG2"}

SOCK=$T/brk/broker.sock
nsiso_start_broker "$LC_FAULTS_HELPER" "$SOCK"
SVC_EXEC=$(lc_service "helper=$LC_FAULTS_HELPER")
SVC_BRK=$(lc_service "broker=$SOCK")

# Our processes in the delegated group, as "pid comm" lines.
ours_in_deleg() {
	local pid comm
	for pid in $(find "$DELEG" -name cgroup.procs -exec cat {} + 2>/dev/null); do
		comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
		case $comm in nsiso-*) echo "$pid $comm" ;; esac
	done
}
# The helper held before its reply: exec'd, pamtester's child; via the
# broker, the broker's child that has a holder of the user.
stalled_helper() {
	local pid
	for pid in $(pgrep "^nsiso-helper"); do
		if [ "$1" = exec ]; then
			[ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = "$APP" ] && { echo "$pid"; return 0; }
		elif [ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = "$BROKER_PID" ] &&
			[ -n "$(nsiso_holders_of "$LC_USER")" ]; then
			grep -q -s "^Pid:" /proc/"$pid"/fdinfo/* && { echo "$pid"; return 0; }
		fi
	done
	return 1
}
unified_of() { sed -n 's/^0:://p' "/proc/$1/cgroup"; }

for way in exec broker; do
	svc=$SVC_EXEC
	[ "$way" = broker ] && svc=$SVC_BRK
	nsiso_log_mark
	lc_fault "helper-before-reply:slow"
	( echo "$BASHPID" >"$DELEG/cgroup.procs" &&
		exec pamtester "$svc" "$LC_USER" open_session close_session ) >"$T/app.out" 2>&1 &
	APP=$!
	helper=""
	got_helper() { helper=$(stalled_helper "$way"); }
	nsiso_assert_true "$way: the helper is held before its reply" nsiso_wait_until 8 got_helper
	nsiso_assert_eq "$way: the application is in the user's group" "$DELEG_REL" "$(unified_of "$APP")"
	nsiso_assert_true "$way: the held helper ($helper) is not in a group the user can write ($(unified_of "${helper:-0}"))" \
		test "$(unified_of "${helper:-0}")" != "$DELEG_REL"
	nsiso_assert_eq "$way: while held, no process of ours is in the user's group" "" "$(ours_in_deleg)"
	holder=$(nsiso_holders_of "$LC_USER" | head -n 1)
	nsiso_assert_true "$way: the holder (${holder:-none}) is not in it" \
		test -n "$holder" -a "$(unified_of "${holder:-0}")" != "$DELEG_REL"
	wait "$APP"
	rc=$?
	lc_fault ""
	nsiso_assert_eq "$way: the login opens and closes" 0 "$rc"
	nsiso_assert_true "$way: isolated (its own PID namespace)" \
		test -n "$(_lc_probe pidns)" -a "$(_lc_probe pidns)" != "$LC_HOST_PIDNS"
	lc_nothing_left "$way"
done
