#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Users cannot take every worker of a broker.  A worker follows the PAM
# application into its cgroups before it says "taken", so a login whose
# application runs in a user's group (su from inside a session; on systemd
# hosts sshd's root monitor too, in the session's scope), with a small cpu
# limit of that user's and busy loops beside it, slowed the worker to
# seconds, and enough such logins at once held all 64: every other login
# then waited 2 s for a take before its module ran the helper (attacker
# reviews of 4323dc3 and f42129b).  Workers are bounded by the user whose
# limits can slow them (the user whose group the application is in, else
# its real uid), counted as the application connects: 16 for one user, 32
# for all users together; logins whose applications no user's limits reach
# keep the rest.  Here a setuid pamtester run by each user stands for su,
# and a fault point parks the workers of two users after "taken", as such
# a slowed worker sits: the first user's 17th login, a login from root's
# application placed in the first user's group, and a third user's login
# are passed over at once and go through isolated by the exec'd helper, as
# is one from root's application in no user's group for the first user (its
# worker would wait on that user's group all the same), while one for a
# user without limits is served by the broker meanwhile, and the parked
# logins go through once let go.
set -u
. "$(dirname "$0")/lib.bash"
lc_begin --syslog --tool "$LC_FAULTS_HELPER"
PER_USER=16 USERS=32	# BROKER_WORKERS_PER_USER, _USERS (helper/broker.c)
UID1=$(id -u "$LC_USER")
U1=$LC_USER
U2=$(nsiso_make_user) || nsiso_die "cannot create a second test user"
U3=$(nsiso_make_user) || nsiso_die "cannot create a third test user"
U4=$(nsiso_make_user) || nsiso_die "cannot create a fourth test user"
rules=""
for u in "$U2" "$U3"; do
	rules+="$u isolate uts,ipc,mnt,pid
$u memory 256M
$u tasks 100
"
done
rules+="$U4 isolate uts,ipc,mnt,pid
"	# no limits: no group of the user's to wait on
lc_conf deny "$rules"
lc_broker debug
# For the users' own setuid application: no probe, which pam_exec would run
# as the user (it writes to our private directory).
USVC=$(nsiso_make_pam_service "$(nsiso_module_line "broker=$SOCK debug")")
bin=$(mktemp -d /tmp/nsiso-suid.XXXXXX)
nsiso_on_exit rm -rf "$bin"
chmod 0755 "$bin"
install -m 4755 -o root /usr/bin/pamtester "$bin/pamtester"

# su USER: the user's setuid application opening and closing a session of
# their own.
su_login() { setpriv --reuid="$1" --regid="$1" --clear-groups "$bin/pamtester" "$USVC" "$1" open_session close_session; }

# The broker's children parked at the fault point (a 10 ms sleep loop:
# between two sleeps one may be missed, so this is only waited for).
parked() {
	local c n=0
	for c in $(nsiso_broker_spares); do
		[ "$(cat "/proc/$c/wchan" 2>/dev/null)" = hrtimer_nanosleep ] && n=$((n + 1))
	done
	[ "$n" -eq "$1" ]
}
pids=()
park() {
	local i
	for i in $(seq "$PER_USER"); do
		su_login "$1" >"$T/parked.$1.$i" 2>&1 &
		pids+=("$!")
		nsiso_on_exit _nsiso_terminate "$!:$(_nsiso_starttime "$!")"
	done
}
# A login of USER's application, passed over for REASON: it goes through,
# isolated, by the exec'd helper.
passed_over() {
	local name=$1 user=$2 reason=$3
	nsiso_log_mark
	su_login "$user" >"$T/try.out" 2>&1
	nsiso_assert_eq "$name: goes through" 0 "$?"
	nsiso_assert_true "$name: isolated" \
		nsiso_wait_log "session [0-9a-f]+ opened for $user .*: isolate uts,ipc,mnt,pid,"
	nsiso_assert_true "$name: passed over by the broker at once, why logged" \
		nsiso_wait_log "no broker: the broker passed: the broker serves $reason \\(uid $(id -u "$user")\\)"
}

lc_fault "broker-taken-user-$UID1:wait" "broker-taken-user-$(id -u "$U2"):wait"
park "$U1"
nsiso_assert_true "$PER_USER logins of the first user's application served and parked" \
	nsiso_wait_until 8 parked "$PER_USER"
for i in 1 2; do
	passed_over "the first user's login $((PER_USER + i))" "$U1" \
		"as many logins as one user may have"
done
# Root's application in the first user's group (as sshd's monitor is in
# the session's scope on systemd hosts, or a root shell's su there) counts
# for that user: a pids group of theirs, named as pam_nsiso names it.
G=/sys/fs/cgroup/pids/$LC_PARENT/user-$UID1
mkdir -p "$G" || nsiso_die "cannot make $G"
nsiso_on_exit rmdir "$G"
nsiso_log_mark
sh -c 'echo $$ >"$1/tasks" && exec pamtester "$2" "$3" open_session close_session' \
	sh "$G" "$SVC" "$U3" >"$T/root-in-group.out" 2>&1
nsiso_assert_eq "a login from root's application in the first user's group: goes through" 0 "$?"
nsiso_assert_true "a login from root's application in the first user's group: counted for that user, passed over" \
	nsiso_wait_log "no broker: the broker passed: the broker serves as many logins as one user may have \\(uid $UID1\\)"
# Root's application in no user's group (cron's, sshd's where pam_nsiso
# makes the groups) for the first user, who has limits: its worker would
# wait on that user's group all the same, so it counts for them.
nsiso_log_mark
pamtester "$SVC" "$U1" open_session close_session >"$T/root-for-user.out" 2>&1
nsiso_assert_eq "a login from root's application for the first user: goes through" 0 "$?"
nsiso_assert_true "a login from root's application for the first user: counted for them, passed over" \
	nsiso_wait_log "no broker: the broker passed: the broker serves as many logins as one user may have \\(uid $UID1\\)"
park "$U2"
nsiso_assert_true "$PER_USER of the second user's too: $USERS parked" \
	nsiso_wait_until 8 parked "$USERS"
passed_over "a third user's login" "$U3" "as many logins as users together may have"

nsiso_log_mark
rm -f "$T/probe.out"
pamtester "$SVC" "$U4" open_session close_session >"$T/root.out" 2>&1
nsiso_assert_eq "a login from root's application for a user without limits meanwhile: goes through" 0 "$?"
nsiso_assert_true "a login from root's application for a user without limits meanwhile: isolated" \
	test -n "$(_lc_probe pidns)" -a "$(_lc_probe pidns)" != "$LC_HOST_PIDNS"
nsiso_assert_eq "a login from root's application for a user without limits meanwhile: served by the broker" "" \
	"$(nsiso_log_since_mark | grep -F 'no broker:')"

waiting=0
for p in "${pids[@]}"; do
	kill -0 "$p" 2>/dev/null && waiting=$((waiting + 1))
done
nsiso_assert_eq "meanwhile the parked logins still wait" "$USERS" "$waiting"
lc_fault ""
failed=0
for p in "${pids[@]}"; do
	wait "$p" || failed=$((failed + 1))
done
nsiso_assert_eq "the parked logins, let go: all go through" 0 "$failed"
for u in "$U1" "$U2" "$U3" "$U4"; do
	nsiso_assert_true "$u: nothing left" \
		nsiso_wait_for nsiso_session_gone "$u" "$LC_PARENT" "$LC_RUN"
done
