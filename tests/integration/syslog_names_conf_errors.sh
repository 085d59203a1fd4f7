#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# With a syslog listener on /dev/log, a conf error is logged through
# pam_syslog at LOG_ALERT on authpriv as "file:line: reason", and an
# isolated session logs one line at open and one at close.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
nsiso_start_syslog || nsiso_die "no syslog listener of our own on /dev/log"

USER1=$(nsiso_make_user) || nsiso_die "cannot create user"
PARENT=$(nsiso_cgroup_parent)
CONF=$(nsiso_write_conf "* cgroup_parent $PARENT
$USER1 isolate uts,ipc
$USER1 memmory 1G")
SVC=$(nsiso_make_pam_service "$(nsiso_module_line)")

nsiso_log_mark
nsiso_assert_false "bad conf: session denied" pamtester "$SVC" "$USER1" open_session
nsiso_assert_true "conf error logged as file:line: reason at alert" \
	nsiso_wait_log "^authpriv\.alert .*pam_nsiso\(.*\): $CONF:3: unknown item 'memmory'"

nsiso_write_conf "* cgroup_parent $PARENT
$USER1 isolate uts,ipc
$USER1 memory 1G" >/dev/null
nsiso_log_mark
nsiso_assert_true "good conf: session opens and closes" \
	pamtester "$SVC" "$USER1" open_session close_session
nsiso_assert_true "open logged with user, service, namespaces and limit" \
	nsiso_wait_log "^authpriv\.info .*session [0-9a-f]{16} opened for $USER1 \(uid [0-9]+\) service $SVC: isolate uts,ipc, .*cgroup $PARENT/user-[0-9]+, memory 1G"
nsiso_assert_true "close logged" nsiso_wait_log "^authpriv\.info .*session [0-9a-f]{16} closed"

nsiso_log_mark
chmod 0757 "$T" 2>/dev/null
nsiso_assert_false "conf in a directory others can write: denied" \
	pamtester "$SVC" "$USER1" open_session
chmod 0700 "$T"
nsiso_assert_true "unsafe directory logged" \
	nsiso_wait_log "^authpriv\.alert .*$CONF: its directory .* is writable by group or others"
