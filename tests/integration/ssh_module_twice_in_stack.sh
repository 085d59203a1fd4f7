#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# pam_nsiso twice in one session stack, as when the package's line is in
# common-session (which sshd's file includes) and an admin also added the
# README's line to /etc/pam.d/sshd: the login is isolated and limited once,
# by the first line; the second does nothing and logs that it did nothing.
# Before, the second asked for a session of its own from inside the
# first's namespaces, failed, and so denied every login of an isolated
# user.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
nsiso_start_syslog

NSISO_SSH_USER=$(nsiso_make_user) || nsiso_die "cannot create the test user"
PARENT=$(nsiso_cgroup_parent)
uid=$(id -u "$NSISO_SSH_USER")
nsiso_write_conf "* cgroup_parent $PARENT
$NSISO_SSH_USER isolate uts,ipc,mnt,pid
$NSISO_SSH_USER hostname twice-%U
$NSISO_SSH_USER memory 128M" >/dev/null
line=$(nsiso_module_line)
nsiso_start_sshd "$line
$line"

nsiso_log_mark
out=$(nsiso_ssh_bg "$T/login.out" 'hostname; grep :memory: /proc/self/cgroup | cut -d: -f3;
	ls /proc | grep -c "^[0-9]"; echo UP; sleep 60')
nsiso_assert_true "the login goes through" nsiso_wait_for grep -qx UP "$T/login.out"
{ read -r name; read -r group; read -r procs; } <"$T/login.out"
nsiso_assert_eq "its own host name" "twice-$uid" "$name"
nsiso_assert_eq "in the user's limited group" "/$PARENT/user-$uid" "$group"
nsiso_assert_true "its own /proc ($procs processes)" test "${procs:-99}" -lt 10
holder_count() { local n; n=$(nsiso_holders_of "$NSISO_SSH_USER" | wc -l); echo "holders: $n"; test "$n" -eq "$1"; }
nsiso_assert_true "one session, one holder" holder_count 1
nsiso_assert_true "the second line says it did nothing" nsiso_wait_log \
	"is open already: pam_nsiso is twice in the session stack of sshd-nsiso-test-[0-9a-f]+ .*this line does nothing"
nsiso_assert_eq "one open logged" 1 "$(nsiso_log_since_mark | grep -c 'pam_nsiso.*: session [0-9a-f]* opened for ')"
kill "$out"
nsiso_assert_true "after the logout: nothing left" \
	nsiso_wait_for nsiso_session_gone "$NSISO_SSH_USER" "$PARENT"
