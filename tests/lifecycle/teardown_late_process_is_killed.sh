#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# on_logout kill: the holder kills the session's processes at the close
# only if its look at the session's /proc finds one alive (kill(-1) walks
# every process of the host).  A process that look missed (born while it
# read, at a PID it had already passed) must still die while the holder
# drains: the fault point holder-close-look:fail makes the close's look
# find nothing, and a user's background process started in the session
# (by a pam_exec script, as the user) is alive at the close.  The session
# must end all the same, with nothing left; with the look working, too.
set -u
. "$(dirname "$0")/lib.bash"
lc_begin --tool "$LC_FAULTS_HELPER"
lc_conf deny "$LC_USER on_logout kill"

# Started in the session (pam_exec's child is in its PID namespace), as the
# user, detached from pam_exec, which waits only for the script.
cat >"$T/leave-one" <<EOF
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
setsid setpriv --reuid="\$PAM_USER" --regid="\$(id -g "\$PAM_USER")" --init-groups \
	sleep 3003 </dev/null >/dev/null 2>&1 &
readlink /proc/self/ns/pid >$T/leave-one.pidns
EOF
chmod 0755 "$T/leave-one"
SVC=$(nsiso_make_pam_service "$(nsiso_module_line "helper=$LC_FAULTS_HELPER")
session required pam_exec.so $T/leave-one")

sleepers() { # the user's live "sleep 3003" processes
	local pid
	for pid in $(_nsiso_live_pids_of_user "$LC_USER"); do
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q '^sleep 3003 ' && echo "$pid"
	done
	return 0
}

for look in missed seen; do
	if [ "$look" = missed ]; then lc_fault holder-close-look:fail; else lc_fault ""; fi
	rm -f "$T/leave-one.pidns"
	lc_try pamtester "$SVC" "$LC_USER" open_session close_session
	lc_fault ""
	nsiso_assert_eq "look $look: the login and its close succeed" 0 "$LC_RC"
	nsiso_assert_true "look $look: the background process was in the session" \
		test -s "$T/leave-one.pidns" -a "$(cat "$T/leave-one.pidns" 2>/dev/null)" != "$LC_HOST_PIDNS"
	lc_nothing_left "look $look"
	nsiso_assert_eq "look $look: the background process was killed" "" "$(sleepers)"
done
