#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A user's own terminal cannot stop the exec'd helper (found by an attacker
# review of rev 03abf0a; there since the helper first ran setuid callers):
# su, a setuid program, runs in the user's terminal, and the helper it
# starts was in the same process group and session.  ^Z (SIGTSTP, sent by
# the terminal to its foreground group whatever the owner) stopped it,
# holding cgroup.lock if it came at the right time, for as long as the
# user liked (SIGCONT, from anyone in the same session, times the next
# stop): every limited login of every user waited out its budget and was
# denied (of that user's only, since the lock is one user's: C5).  The
# helper now leaves the caller's session and ignores the terminal's stop
# signals.
#
# Here the helper's holder is made slow to move into the user's group
# (member-join:slow, 4 s), so that the helper waits under the lock; the
# user's setuid pamtester runs in a terminal of its own (script(1)), where
# ^Z is typed twice meanwhile.  The helper must not be stopped, and another
# login of the user, which waits for the same lock, must go through.
set -u
. "$(dirname "$0")/lib.bash"
lc_begin --tool "$LC_FAULTS_HELPER"
command -v script >/dev/null || nsiso_skip "script(1) is missing (bsdutils)"

lc_conf deny
bin=$(mktemp -d /tmp/nsiso-suid.XXXXXX)
nsiso_on_exit rm -rf "$bin"
chmod 0755 "$bin"
install -m 4755 -o root /usr/bin/pamtester "$bin/pamtester"
SVC_FAULTS=$(nsiso_make_pam_service "$(nsiso_module_line "helper=$LC_FAULTS_HELPER")")
SVC_PLAIN=$(nsiso_make_pam_service "$(nsiso_module_line)")

# The exec'd helpers of the faults build now alive, one PID a line.
helpers() { grep -l -x -s nsiso-helper-fa /proc/[0-9]*/comm | sed 's|^/proc/||; s|/comm$||'; }
stopped() { grep -q '^State:[[:space:]]*T' "/proc/$1/status" 2>/dev/null; }

lc_fault member-join:slow
# script(1) gives a shell a terminal of its own, as a login has; what we
# write to its input is typed there.  The shell has job control (-m), as a
# login shell does: su runs in a process group of its own in the
# terminal's foreground, which the terminal's ^Z stops (a group without a
# parent in the session elsewhere, "orphaned", is never stopped), and the
# shell lives on (sleep), as the user's shell would.
{
	echo "$BASHPID" >"$T/typist.pid"
	sleep 1; printf '\032'; sleep 1; printf '\032'; exec sleep 60
} | script -qfec "bash --norc -m -c 'setpriv --reuid=$LC_USER --regid=$LC_USER \
--clear-groups $bin/pamtester $SVC_FAULTS $LC_USER open_session close_session; sleep 60'" \
	/dev/null >"$T/term.out" 2>&1 &
term=$!
nsiso_on_exit kill -9 "$term"
sleep 2.5
helper=$(helpers | head -n 1)
nsiso_assert_true "the user's login has a helper at work (under the lock, waiting for its holder)" \
	test -n "$helper"
nsiso_assert_false "^Z in the user's terminal did not stop it" stopped "${helper:-0}"
caller=$(ps -o ppid= -p "${helper:-0}" 2>/dev/null)
nsiso_assert_false "it is not in the session of the user's terminal any more" \
	test "$(ps -o sid= -p "${helper:-0}" 2>/dev/null)" = "$(ps -o sid= -p "${caller:-0}" 2>/dev/null)"
lc_try pamtester "$SVC_PLAIN" "$LC_USER" open_session close_session
nsiso_assert_eq "another login of the user, waiting for the same lock, goes through (took ${LC_MS} ms)" \
	0 "$LC_RC"
lc_fault ""
# The terminal closes: the user's stopped pamtester dies of its hang-up.
kill -9 "$(cat "$T/typist.pid")" "$term" 2>/dev/null
wait "$term" 2>/dev/null
nsiso_assert_true "nothing of the user's logins is left" \
	nsiso_wait_for nsiso_session_gone "$LC_USER" "$LC_PARENT"
