#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row M2 (docs/threat-model.md): records name host PIDs.  Inside an isolated SSH login of
# user A, A runs a setuid-root pamtester and opens a second (nested) session
# of A, held open.  On the host, `nsisoctl status --run-dir DIR` must list
# both sessions as live, and again on a second call (it must not have
# removed the nested one as stale), and `nsisoctl status --json` must parse
# and list both.  Row M3: the nested session's holder and reaper, born in
# A's memory group, must leave it.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin
CTL=$NSISO_TOP/ctl/nsisoctl
nsiso_require "$CTL"
adv_nested_sshd

# The outer login runs the nested pamtester and stays while it is held.
client=$(nsiso_ssh_bg "$T/outer.out" \
	"echo outer-pidns=\$(readlink /proc/self/ns/pid); $PUB/pamtester -E ADV_HOLD=n $SVC_N $A open_session close_session; echo nested-exit=\$?")
nested_open() { [ -s "$T/hold.ready.n" ] || ! _nsiso_alive "$client"; }
nsiso_wait_until "$NSISO_WAIT_S" nested_open
[ -s "$T/hold.ready.n" ] || nsiso_die "the nested session did not open: $(cat "$T/outer.out")"
_nsiso_info "outer login: $(head -n 1 "$T/outer.out"); nested session's PID namespace $(cat "$T/hold.ready.n")"

mapfile -t IDS < <(find "$RUN" -maxdepth 1 -name '*.session' -printf '%f\n' | sed 's/\.session$//' | sort)
nsiso_assert_eq "two session records while both are open (outer and nested)" 2 "${#IDS[@]}"
[ "${#IDS[@]}" = 2 ] || nsiso_die "records: ${IDS[*]}"

# status_lists CALL: both sessions appear in one status call.
status_lists() {
	local out rc id
	out=$("$CTL" status --run-dir "$RUN" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	nsiso_assert_eq "status ($1): exit status" 0 "$rc"
	for id in "${IDS[@]}"; do
		nsiso_assert_true "status ($1): lists session $id" grep -q "^$id " <<<"$out"
	done
	nsiso_assert_false "status ($1): removed no record as stale" grep -q 'removed stale record' <<<"$out"
}
status_lists "first call"
status_lists "second call"
for id in "${IDS[@]}"; do
	nsiso_assert_true "record $id is still there" test -f "$RUN/$id.session"
done

json=$("$CTL" status --json --run-dir "$RUN" 2>"$T/json.err")
listed=$(python3 -c 'import json, sys
d = json.loads(sys.stdin.read())
print(" ".join(sorted(s["session"] for s in d["sessions"])))' <<<"$json" 2>"$T/json.py.err")
nsiso_assert_eq "status --json parses" 0 "$?"
nsiso_assert_eq "status --json lists both sessions" "${IDS[*]}" "$listed"

# Threat model M3: the nested session's holder and reaper are root's, born
# in A's memory group (the helper is the setuid pamtester's child there):
# they must leave it for the top of the memory hierarchy (A's OOM killer
# never picks them, A's memory does not hold them) and count in A's pids
# group.  Before rev 6 of this test they stayed (an attacker review of
# 9a6823c).
A_UID=$(id -u "$A")
ours_in() { # GROUP_DIR: our holders and reapers in that cgroup
	local p
	for p in $(cat "$1/cgroup.procs" 2>/dev/null); do
		case $(cat "/proc/$p/comm" 2>/dev/null) in nsiso-holder | nsiso-reaper) echo "$p" ;; esac
	done | sort -n | tr '\n' ' '
}
in_mem=$(ours_in "$NSISO_CG_V1/memory/$NSISO_PARENT/user-$A_UID")
in_pids=$(ours_in "$NSISO_CG_V1/pids/$NSISO_PARENT/user-$A_UID")
_nsiso_info "holders and reapers of A: in A's memory group: '$in_mem'; in A's pids group: '$in_pids'"
nsiso_assert_eq "no holder or reaper of ours in A's memory group" "" "$in_mem"
nsiso_assert_eq "the two sessions' holders and reapers count in A's pids group" 4 "$(wc -w <<<"$in_pids")"

# Both end normally.
adv_release_nested
nsiso_assert_true "the outer login ends after the nested session" nsiso_wait_pid "$client"
nsiso_assert_match "the nested pamtester closed its session" 'nested-exit=0' "$(cat "$T/outer.out")"
nsiso_assert_true "nothing of either session is left" nsiso_wait_for nsiso_session_gone "$A" "$NSISO_PARENT"
