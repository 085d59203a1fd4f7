#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row C1 (docs/threat-model.md): nothing a user can open takes part in the product's
# locking.  User A, logged in with a limit (so the cgroup parent exists),
# runs `flock -x` on the cgroup parent directory in the memory and in the
# pids hierarchy from processes of their own, and holds the locks for the
# whole case (up to 120 s).  Meanwhile user B logs in, with on_error deny and
# then with on_error allow: each login must finish within 8 s (one takes a
# few hundred ms; a helper held up by a lock would wait out the open's 10 s
# budget), isolated (own PID namespace) and limited (B's own memory and pids
# groups) - with allow, never let through unisolated - and nothing of B's
# login (a helper waiting behind A's lock) may be left.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin A B
HOST_PIDNS=$(readlink /proc/self/ns/pid)
WANT_CG=/$PARENT/user-$B_UID

conf() {
	nsiso_write_conf "* cgroup_parent $PARENT
$A isolate uts,ipc,mnt,pid
$A memory 128M
$B isolate uts,ipc,mnt,pid
$B memory 128M
$B tasks 50
$B on_error $1" >/dev/null
}
conf deny

adv_probe "$T/probe.out"
SVC_A=$(adv_hold_service)
SVC_B=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so $T/probe
session optional pam_permit.so")

# A is logged in: the parent exists in both hierarchies.
adv_hold_open a "$SVC_A" "$A" || nsiso_die "A's session did not open: $(cat "$T/hold.out.a")"
for hier in memory pids; do
	[ -d "$CG/$hier/$PARENT" ] || nsiso_die "the cgroup parent $hier/$PARENT is missing"
done

# lock HIER: A's own process takes flock -x on the parent dir and holds it;
# LOCKED[HIER] says whether A got the lock (A may not even open the dir).
declare -A LOCKER=() LOCKED=()
lock_settled() { [ -s "$T/lock.$1" ] || ! _nsiso_alive "${LOCKER[$1]}"; }
stop_locker() {
	local -a procs
	mapfile -t procs < <(_nsiso_descendants "${1%%:*}")
	_nsiso_terminate "$1" ${procs[@]+"${procs[@]}"}
}
lock() {
	local hier=$1 dir=$2 pid
	setpriv --reuid="$A_UID" --regid="$(id -g "$A")" --init-groups -- \
		flock -x "$dir" sh -c 'echo held; exec sleep 300' >"$T/lock.$hier" 2>&1 &
	pid=$!
	LOCKER[$hier]=$pid
	nsiso_on_exit stop_locker "$pid:$(_nsiso_starttime "$pid")"
	nsiso_wait_until "$NSISO_WAIT_S" lock_settled "$hier"
	LOCKED[$hier]=no
	grep -qx held "$T/lock.$hier" && LOCKED[$hier]=yes
	_nsiso_info "A's flock -x on $dir: held ${LOCKED[$hier]} ($(tr '\n' ' ' <"$T/lock.$hier"))"
}
lock memory "$CG/memory/$PARENT"
lock pids "$CG/pids/$PARENT"
# Also the hierarchies' roots, which every user can open (a lock moved up
# there would be as open to users).
lock memory-root "$CG/memory"
lock pids-root "$CG/pids"

# Live processes of our helper copy (helpers, and the sessions' own
# processes that run the same executable), as "PID:START comm".
helper_procs() {
	local exe pid comm
	find /proc/[0-9]*/exe -maxdepth 0 -lname "$NSISO_HELPER" 2>/dev/null | while read -r exe; do
		pid=${exe#/proc/} pid=${pid%/exe}
		{ read -r comm <"/proc/$pid/comm"; } 2>/dev/null || continue
		_nsiso_alive "$pid" && printf '%s:%s %s\n' "$pid" "$(_nsiso_starttime "$pid")" "$comm"
	done
	return 0
}
# Those that were not there before B's login (BEFORE): a helper still
# waiting behind A's lock, or anything else B's login left running.
new_helper_procs() { helper_procs | grep -v -x -F -f <(printf '%s\n' "$BEFORE"); }
no_new_helper_proc() { [ -z "$(new_helper_procs)" ]; }
nsiso_on_exit _adv_kill_helpers
_adv_kill_helpers() {
	local p
	for p in $(helper_procs | grep -v -e ' nsiso-holder$' -e ' nsiso-reaper$' | cut -d' ' -f1); do
		_nsiso_terminate "$p"
	done
}

field() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" "$T/probe.out" 2>/dev/null; }

# login_b ON_ERROR: B logs in and out while A holds the locks.
login_b() {
	local oe=$1 t0 ms rc hier
	conf "$oe"
	for hier in "${!LOCKER[@]}"; do
		[ "${LOCKED[$hier]}" = no ] || _nsiso_alive "${LOCKER[$hier]}" ||
			nsiso_die "A's lock on $hier ended early"
	done
	rm -f "$T/probe.out"
	BEFORE=$(helper_procs)
	t0=$(_nsiso_now_us)
	timeout 60 pamtester "$SVC_B" "$B" open_session close_session >"$T/b.out" 2>&1
	rc=$?
	ms=$((($(_nsiso_now_us) - t0) / 1000))
	_nsiso_info "B ($oe): exit $rc after $ms ms; probe: $(cat "$T/probe.out" 2>/dev/null); $(tr '\n' ' ' <"$T/b.out")"
	nsiso_assert_eq "[$oe] B's login succeeds while A holds the locks" 0 "$rc"
	nsiso_assert_true "[$oe] B's login finishes within 8 s (took $ms ms)" test "$ms" -le 8000
	nsiso_assert_true "[$oe] B's session has its own PID namespace" \
		test -n "$(field pidns)" -a "$(field pidns)" != "$HOST_PIDNS"
	nsiso_assert_eq "[$oe] B's session is in B's memory group" "$WANT_CG" "$(field mem)"
	nsiso_assert_eq "[$oe] B's session is in B's pids group" "$WANT_CG" "$(field pids)"
	if nsiso_wait_until 10 no_new_helper_proc; then
		nsiso_pass "[$oe] no process of B's login (helper or session) is left after 10 s"
	else
		nsiso_fail "[$oe] no process of B's login (helper or session) is left after 10 s" \
			"$(new_helper_procs | while read -r p c; do
				echo "$p $c wchan=$(cat "/proc/${p%%:*}/wchan" 2>/dev/null)"
			done | tr '\n' ' ')"
	fi
}
login_b deny
login_b allow
for hier in "${!LOCKER[@]}"; do
	_nsiso_info "A's lock on $hier: held ${LOCKED[$hier]}; ending it"
	stop_locker "${LOCKER[$hier]}:$(_nsiso_starttime "${LOCKER[$hier]}")"
done

adv_hold_close a
nsiso_assert_eq "A's session closes normally" 0 "$ADV_HOLD_RC"
nsiso_assert_true "nothing of B's sessions is left" nsiso_wait_for nsiso_session_gone "$B" "$PARENT"
nsiso_assert_true "nothing of A's session is left" nsiso_wait_for nsiso_session_gone "$A" "$PARENT"
no_helper_proc() { [ -z "$(helper_procs)" ]; }
nsiso_assert_true "no process of this test's helper is left at all" nsiso_wait_for no_helper_proc
