#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# If the PAM application dies without calling close (sshd's [priv] monitor
# SIGKILLed), the holder notices through its pidfd and ends the session:
# nothing is left behind.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup

nsiso_isolated_sshd "isolate uts,ipc,mnt,pid
memory 128M"
PARENT=$NSISO_PARENT

client=$(nsiso_ssh_bg "$T/bg.out" 'echo up; sleep 300')
nsiso_assert_true "session is up" nsiso_wait_for grep -q up "$T/bg.out"
# The monitor is the listener's child that runs as root for this login.
monitor=$(ps -o pid= --ppid "$NSISO_SSH_PID" | tr -d ' ' | head -n1)
nsiso_assert_match "found the session's sshd monitor" '^[0-9]+$' "$monitor"
nsiso_assert_eq "the monitor is in the user's cgroup" \
	"/$PARENT/user-$(id -u "$NSISO_SSH_USER")" "$(sed -n 's/^[0-9]*:memory://p' "/proc/$monitor/cgroup")"
kill -KILL "$monitor"
nsiso_assert_true "holder, processes and cgroup are gone" \
	nsiso_wait_for nsiso_session_gone "$NSISO_SSH_USER" "$PARENT"
nsiso_wait_pid "$client" || kill "$client" 2>/dev/null
nsiso_assert_true "sshd still accepts logins" test "$(nsiso_ssh 'echo ok')" = ok
