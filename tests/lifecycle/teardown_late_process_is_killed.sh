#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# How the holder ends a session's processes: with on_logout kill it sends
# kill(-1) only once a look at the session's /proc finds a process alive
# (kill(-1) walks every process of the host), at every look while it
# drains, and nsisoctl kill sends it at once.
#  - logout, the look working or failing (fault point holder-look:fail: it
#    finds nothing): the user's background process (started in the session
#    by a pam_exec script, as the user) is gone and so is all the rest;
#  - nsisoctl kill while the application lives on and waits for its child
#    in the session, the look failing: the child dies at once (no look may
#    stand between a kill and the processes), the application closes, and
#    nothing is left;
#  - on_logout keep and a process whose leader called pthread_exit() while
#    another thread runs, with 1001 supplementary groups (status's Threads:
#    line at byte 7000 and more): it counts as alive, and the session stays
#    until it ends.
set -u
. "$(dirname "$0")/lib.bash"
PAMDAEMON=$NSISO_TOP/tests/build/nsiso-pamdaemon
CTL=$NSISO_TOP/ctl/nsisoctl
lc_begin --tool "$LC_FAULTS_HELPER" --tool "$PAMDAEMON"
command -v python3 >/dev/null && command -v setpriv >/dev/null || nsiso_die "python3 and setpriv are missing: run make check (tests/deps.sh installs them)"

# Started in the session (pam_exec's child is in its PID namespace), as the
# user, detached from pam_exec, which waits only for the script: a sleep,
# or ($T/leave-threads) a process whose leader has exited.
cat >"$T/leave-one" <<EOF
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
readlink /proc/self/ns/pid >$T/leave-one.pidns
if [ -e $T/leave-threads ]; then
	setsid setpriv --reuid="\$PAM_USER" --regid="\$(id -g "\$PAM_USER")" \
		--groups="\$(seq -s, 100000 101000)" python3 -c \
		'import ctypes, threading, time
threading.Thread(target=time.sleep, args=(3003,)).start()
ctypes.CDLL(None).pthread_exit(None)' </dev/null >/dev/null 2>&1 &
else
	setsid setpriv --reuid="\$PAM_USER" --regid="\$(id -g "\$PAM_USER")" --init-groups \
		sleep 3003 </dev/null >/dev/null 2>&1 &
fi
EOF
chmod 0755 "$T/leave-one"
SVC=$(nsiso_make_pam_service "$(nsiso_module_line "helper=$LC_FAULTS_HELPER")
session required pam_exec.so $T/leave-one")

leftovers() { # the user's sleeps and pythons, not over (a python's leader may be a zombie)
	local pid st
	for pid in $(nsiso_pids_of_user "$LC_USER"); do
		st=/proc/$pid/status
		grep -q -s '^State:[[:space:]]*Z' "$st" && grep -q -s '^Threads:[[:space:]]*1$' "$st" &&
			continue
		if grep -q -s '^Name:[[:space:]]*python3$' "$st" ||
			tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -E '^(/bin/)?sleep 3003 '; then
			echo "$pid"
		fi
	done
	return 0
}
in_session() { test -s "$T/leave-one.pidns" -a "$(cat "$T/leave-one.pidns" 2>/dev/null)" != "$LC_HOST_PIDNS"; }
# Whatever a failed case left: its processes (ours: started by this test).
end_leftovers() { local p; for p in $(leftovers); do kill -9 "$p"; done; }
nsiso_on_exit end_leftovers

lc_conf deny "$LC_USER on_logout kill"
for look in failing working; do
	if [ "$look" = failing ]; then lc_fault holder-look:fail; else lc_fault ""; fi
	rm -f "$T/leave-one.pidns"
	lc_try pamtester "$SVC" "$LC_USER" open_session close_session
	lc_fault ""
	nsiso_assert_eq "logout, look $look: the login and its close succeed" 0 "$LC_RC"
	nsiso_assert_true "logout, look $look: the background process was in the session" in_session
	lc_nothing_left "logout, look $look"
	nsiso_assert_eq "logout, look $look: the background process is gone" "" "$(leftovers)"
	end_leftovers
	nsiso_wait_for nsiso_session_gone "$LC_USER" "$LC_PARENT" "$LC_RUN" >/dev/null
done

# nsisoctl kill: the application (as atd: root in the saved uid) waits for
# its child, a sleep in the session.
lc_fault holder-look:fail
SVC_DAEMON=$(nsiso_make_pam_service "$(nsiso_module_line "helper=$LC_FAULTS_HELPER")")
"$PAMDAEMON" "$SVC_DAEMON" "$LC_USER" "$LC_UID" /bin/sleep 3003 >"$T/daemon.out" 2>&1 &
DAEMON=$!
nsiso_on_exit _nsiso_terminate "$DAEMON:$(_nsiso_starttime "$DAEMON")"
has_sleeper() { [ -n "$(leftovers)" ]; }
nsiso_assert_true "nsisoctl kill: the application's child runs in the session" \
	nsiso_wait_for has_sleeper
[ -n "$(leftovers)" ] || nsiso_die "the application: $(cat "$T/daemon.out")"
"$CTL" kill --user "$LC_USER" --run-dir "$LC_RUN" >/dev/null
daemon_gone() { ! kill -0 "$DAEMON" 2>/dev/null; }
nsiso_assert_true "nsisoctl kill, look failing: the child dies and the application ends" \
	nsiso_wait_within 10 daemon_gone
wait "$DAEMON" 2>/dev/null
lc_fault ""
lc_nothing_left "nsisoctl kill, look failing"
end_leftovers
nsiso_wait_for nsiso_session_gone "$LC_USER" "$LC_PARENT" "$LC_RUN" >/dev/null

# on_logout keep: a process whose leader is a zombie is alive while its
# other thread runs, however long its status is.
lc_conf deny "$LC_USER on_logout keep"
touch "$T/leave-threads"
rm -f "$T/leave-one.pidns"
lc_try pamtester "$SVC" "$LC_USER" open_session close_session
nsiso_assert_eq "keep: the login and its close succeed" 0 "$LC_RC"
threaded() { # the python process of the session: leader a zombie, 2 threads
	local pid
	for pid in $(nsiso_pids_of_user "$LC_USER"); do
		grep -q '^Name:[[:space:]]*python3' "/proc/$pid/status" 2>/dev/null &&
			grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" &&
			grep -q '^Threads:[[:space:]]*2$' "/proc/$pid/status" && echo "$pid"
	done
	return 0
}
has_threaded() { [ -n "$(threaded)" ]; }
nsiso_assert_true "keep: the process with an exited leader runs in the session" \
	nsiso_wait_for has_threaded
PY=$(threaded)
nsiso_assert_true "keep: its status puts Threads: beyond 4 KiB" \
	test "$(grep -b '^Threads:' "/proc/$PY/status" | cut -d: -f1)" -gt 4096
sleep 3 # past the second the holder waits for an application that is back
nsiso_assert_eq "keep: 3 s after the logout its holder is still there" 1 \
	"$(nsiso_holders_of "$LC_USER" "$LC_RUN" | wc -l)"
nsiso_assert_eq "keep: and so is the process" "$PY" "$(threaded)"
end_leftovers
lc_nothing_left "keep, once the process ends"
