#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row C5: a helper slowed while it holds the cgroup lock
# delays only its own user's logins.  The lock was one for all users (an
# flock on cgroup.lock), and a login from inside a session runs its helper
# in the user's own throttled cpu group: an attacker review of rev 03abf0a,
# with `cpu 5%`, 40 busy loops and a loop of nested logins, saw the lock
# held up to 7.4 s and other users' logins delayed up to 3.5 s.  The lock is
# now byte <uid> of cgroup.lock (an open file description lock), under a
# shared flock of the whole file that keeps out an older release's helper.
#
# Here user A's first login holds A's lock for 4 s: its holder and reaper
# are slow to move into A's group (member-join:slow, the faults build), as
# a throttled helper is slow.  Meanwhile the kernel's lock table must show
# byte <uid of A> taken, another user's login must go through while A's
# helper still holds it (it waited for A's helper to finish before), and
# A's own second login must wait for A's lock, without holding the shared
# flock meanwhile (waiting logins that held it starved an older release's
# helper: an attacker review of 5d122e8).  Both of A's logins then
# succeed, and nothing of any is left.
set -u
. "$(dirname "$0")/lib.bash"
lc_begin --tool "$LC_FAULTS_HELPER"

OTHER=$(nsiso_make_user) || nsiso_die "cannot create the second user"
lc_conf deny "$OTHER memory 64M"
SVC_FAULTS=$(nsiso_make_pam_service "$(nsiso_module_line "helper=$LC_FAULTS_HELPER")")
SVC=$(nsiso_make_pam_service "$(nsiso_module_line)")

# The exec'd helpers of the faults build now alive, one PID a line.
helpers() { grep -l -x -s nsiso-helper-fa /proc/[0-9]*/comm | sed 's|^/proc/||; s|/comm$||'; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
# The kernel's lock table, for the cgroup lock's file: "TYPE KIND START END"
# a line (/proc/locks: "N: OFDLCK ADVISORY WRITE -1 MAJ:MIN:INODE START END").
locks_of_file() {
	local st id
	st=$(stat -c '%Hd %Ld %i' "$LC_RUN/cgroup.lock" 2>/dev/null) || return 0
	# shellcheck disable=SC2086 # three numbers
	id=$(printf '%02x:%02x:%s' $st)
	awk -v id="$id" '$6 == id { print $2, $4, $7, $8 }' /proc/locks
}

lc_fault member-join:slow
pamtester "$SVC_FAULTS" "$LC_USER" open_session close_session >"$T/first.out" 2>&1 &
first=$!
nsiso_on_exit kill -9 "$first"
held() { [ -n "$(helpers)" ] && locks_of_file | grep -q "^OFDLCK WRITE $LC_UID $LC_UID\$"; }
nsiso_assert_true "A's first login holds A's byte of cgroup.lock (uid $LC_UID) while it waits" \
	nsiso_wait_until 3 held
helper=$(helpers | head -n 1)
nsiso_assert_true "beside a shared flock of the whole file" \
	eval 'locks_of_file | grep -q "^FLOCK READ 0 EOF\$"'

pamtester "$SVC" "$LC_USER" open_session close_session >"$T/second.out" 2>&1 &
second=$!
nsiso_on_exit kill -9 "$second"
lc_try pamtester "$SVC" "$OTHER" open_session close_session
helper_alive=no
alive "$helper" && helper_alive=yes
nsiso_assert_eq "another user's login goes through (took ${LC_MS} ms)" 0 "$LC_RC"
nsiso_assert_eq "... while A's helper still holds A's lock" yes "$helper_alive"
second_waits=no
alive "$second" && alive "$helper" && second_waits=yes
nsiso_assert_eq "A's own second login waits for A's lock meanwhile" yes "$second_waits"
nsiso_assert_eq "... holding no shared flock while it waits (one, the first login's), which would keep an older release's helper out" \
	1 "$(locks_of_file | grep -c '^FLOCK ')"

wait "$first"
rc=$?
nsiso_assert_eq "A's first login succeeds once its members answered ($(head -c 200 "$T/first.out"))" \
	0 "$rc"
lc_fault ""
wait "$second"
rc=$?
nsiso_assert_eq "A's second login succeeds after it ($(head -c 200 "$T/second.out"))" 0 "$rc"
nsiso_assert_eq "no lock of ours is left taken" "" "$(locks_of_file)"
nsiso_assert_true "nothing of A's logins is left" \
	nsiso_wait_for nsiso_session_gone "$LC_USER" "$LC_PARENT"
nsiso_assert_true "nor of the other user's" nsiso_wait_for nsiso_session_gone "$OTHER" "$LC_PARENT"
