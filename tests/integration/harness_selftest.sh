#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
#
# harness_selftest.sh - proves tests/lib.sh works against a real sshd before
# any pam_nsiso test relies on it: user creation, private sshd + PAM file,
# foreground and background ssh sessions, and syslog capture. Everything it
# creates is removed by the lib's EXIT trap.
#
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

nsiso_setup
SFX=$(nsiso_unique)

# A run cut off by SIGKILL or a reboot leaves its /dev/log socket with nobody
# listening; the listener must replace it, not give up.  Planted only when
# /dev/log is free (another checkout's test may hold it).
stale_inode=""
if [ ! -e /dev/log ] && [ ! -L /dev/log ]; then
	perl -MSocket -e 'socket(S, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\n"; bind(S, pack_sockaddr_un("/dev/log")) or die "bind /dev/log: $!\n"' &&
		stale_inode=$(stat -c %i /dev/log) || nsiso_die "cannot plant a stale /dev/log"
else
	_nsiso_info "/dev/log is not free ($(_nsiso_devlog_state)): the stale socket case is not planted"
fi

# Syslog first, so the pam_exec line below can prove sshd really uses the
# private PAM file (and that SESSION_LINES may span several lines).
nsiso_start_syslog || nsiso_die "cannot start the syslog listener"
if [ -n "$stale_inode" ]; then
	nsiso_assert_true "a stale /dev/log nobody listened on was replaced by our listener's" \
		test "$(stat -c %i /dev/log)" != "$stale_inode"
fi

NSISO_SSH_USER=$(nsiso_make_user) || nsiso_die "cannot create the test user"
nsiso_start_sshd "session required pam_permit.so
session optional pam_exec.so quiet /usr/bin/logger -p authpriv.info nsiso-pam-exec-$SFX"

# The remote command runs as the test user.
out=$(nsiso_ssh id -un)
nsiso_assert_eq "ssh exit status is 0" 0 "$?"
nsiso_assert_eq "ssh id -un prints the test user" "$NSISO_SSH_USER" "$out"
nsiso_assert_true "sshd logged the publickey login" \
	grep -q "Accepted publickey for $NSISO_SSH_USER" "$T/sshd.log"
nsiso_assert_true "private PAM session stack ran (pam_exec logged)" \
	nsiso_wait_log "^authpriv\.info .*nsiso-pam-exec-$SFX"

# The remote exit status comes back through nsiso_ssh.
nsiso_ssh 'exit 7'
nsiso_assert_eq "remote exit status is passed through" 7 "$?"

# A background session stays open while the test looks at it, then ends
# when the test ends its sleep (not after a fixed time, which a loaded
# machine could let pass before the test looks).
bg_out=$T/bg.out
# (The remote shell's stderr is dropped: it reports the sleep it saw
# terminated.)
bg_pid=$(nsiso_ssh_bg "$bg_out" 'exec 2>/dev/null; sleep 300; echo done')
# True while the test user runs a `sleep` (i.e. the session is open); its
# PID:START in SLEEP.
user_sleeps() {
	local pid
	for pid in $(nsiso_pids_of_user "$NSISO_SSH_USER"); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ] &&
			SLEEP=$pid:$(_nsiso_starttime "$pid") && return 0
	done
	return 1
}
nsiso_assert_true "background session is open (user runs sleep)" \
	nsiso_wait_for user_sleeps
[ -z "${SLEEP:-}" ] || _nsiso_terminate "$SLEEP"
nsiso_assert_true "background ssh client exits" nsiso_wait_pid "$bg_pid"
nsiso_assert_eq "background session output" "done" "$(cat "$bg_out")"

# syslog capture: authpriv must be recorded with facility and severity.
nsiso_ssh true # make sure this still works with syslog running
logger -p authpriv.notice "nsiso-selftest-$SFX"
nsiso_assert_true "logger authpriv.notice reaches syslog.log" \
	nsiso_wait_log "^authpriv\.notice .*nsiso-selftest-$SFX\$"

# nsiso_stop_sshd really stops the listener.
port_listening() { [ -n "$(ss -Hltn "sport = :$1")" ]; }
port=$NSISO_SSH_PORT
nsiso_stop_sshd
nsiso_assert_false "sshd no longer listens after nsiso_stop_sshd" port_listening "$port"
