#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# The log lines pam_nsiso(8) documents, as the module writes them: the open
# line of a session without a limit (cgroup none) and of one with limits
# only (isolate none), the debug line of each way to be left alone, a rule
# that cannot be applied to a user (denied or allowed per on_error) and to
# root (let through), root under a broken conf, and the reaper's line for
# an OOM kill in the user's group (nsiso-helper(8)).
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
nsiso_start_syslog || nsiso_skip "/dev/log is taken by another syslog daemon"

USER1=$(nsiso_make_user) || nsiso_die "cannot create user"
UID1=$(id -u "$USER1")
PARENT=$(nsiso_cgroup_parent)
# pam_permit after the module: a lone PAM_IGNORE would make the stack fail.
SVC=$(nsiso_make_pam_service "$(nsiso_module_line debug)
session required pam_permit.so")
conf() { CONF=$(nsiso_write_conf "* cgroup_parent $PARENT
$1"); }
ID='[0-9a-f]{16}'
PAM="pam_nsiso\($SVC:session\): "

conf "$USER1 isolate uts,ipc"
nsiso_log_mark
nsiso_assert_true "isolate only: opens and closes" pamtester "$SVC" "$USER1" open_session close_session
nsiso_assert_true "isolate only: open line says cgroup none, memory unlimited" \
	nsiso_wait_log "^authpriv\.info .*${PAM}session $ID opened for $USER1 \(uid $UID1\) service $SVC: isolate uts,ipc, hostname \(host's\), holder [0-9]+, cgroup none, memory unlimited$" 5
nsiso_assert_true "isolate only: short close line" \
	nsiso_wait_log "^authpriv\.info .*${PAM}session $ID closed \(holder [0-9]+\)$" 5

conf "$USER1 memory 64M"
nsiso_log_mark
nsiso_assert_true "limits only: opens and closes" pamtester "$SVC" "$USER1" open_session close_session
nsiso_assert_true "limits only: open line says isolate none and the cgroup" \
	nsiso_wait_log "^authpriv\.info .*${PAM}session $ID opened for $USER1 \(uid $UID1\) service $SVC: isolate none, hostname \(host's\), holder [0-9]+, cgroup $PARENT/user-$UID1, memory 64M$" 5
nsiso_assert_true "limits only: close line with the cgroup's numbers" \
	nsiso_wait_log "^authpriv\.info .*${PAM}session $ID closed \(holder [0-9]+\): cgroup $PARENT/user-$UID1 memory peak [0-9]+[KMGT]? of 64M, oom kills 0$" 5

for case in "no rule|nosuchuser-nsiso isolate uts" "exempt|$USER1 isolate uts
$USER1 exempt yes" "isolate none and no limit|$USER1 isolate none"; do
	conf "${case#*|}"
	nsiso_log_mark
	pamtester "$SVC" "$USER1" open_session close_session >/dev/null 2>&1
	nsiso_assert_true "debug: ${case%%|*}" \
		nsiso_wait_log "^authpriv\.debug .*${PAM}user $USER1: ${case%%|*}, nothing to do$" 5
done

conf "* isolate uts
* hostname x_%u"
nsiso_log_mark
nsiso_assert_false "template invalid for the user: denied" pamtester "$SVC" "$USER1" open_session
nsiso_assert_true "template invalid: the documented alert" \
	nsiso_wait_log "^authpriv\.alert .*${PAM}cannot isolate session of $USER1: $CONF:3: host name may only contain letters, digits, '-' and '.'; login denied \(on_error deny\)$" 5
nsiso_log_mark
nsiso_assert_true "template invalid for root: let through" pamtester "$SVC" root open_session close_session
nsiso_assert_true "root let through: the documented alert" \
	nsiso_wait_log "^authpriv\.alert .*${PAM}$CONF:3: host name may only contain letters, digits, '-' and '.' \(for root\); root's session is let through, not isolated$" 5

conf "* isolate uts
* hostname x_%u
* on_error allow"
nsiso_log_mark
nsiso_assert_true "template invalid, on_error allow: allowed" pamtester "$SVC" "$USER1" open_session close_session
nsiso_assert_true "on_error allow: the documented alert" \
	nsiso_wait_log "^authpriv\.alert .*${PAM}cannot isolate session of $USER1: $CONF:3: .*; login allowed without isolation \(on_error allow\)$" 5

conf "* isolate uts
* memory 1"
nsiso_log_mark
nsiso_assert_true "broken conf: root let through" pamtester "$SVC" root open_session close_session
nsiso_assert_true "broken conf: the error, then root's line" \
	nsiso_wait_log "^authpriv\.alert .*${PAM}configuration broken: root's session is let through, not isolated$" 5
nsiso_assert_true "broken conf: the 16M minimum named with file:line" \
	nsiso_wait_log "^authpriv\.alert .*${PAM}$CONF:3: memory limit must be at least 16M \(a session needs 4M of it free to start\): memory '1'$" 5

# A memory hog run in the session (by pam_exec, after the module): the
# reaper's line, once, and the close line counts the kill.
OOMSVC=$(nsiso_make_pam_service "$(nsiso_module_line)
session optional pam_exec.so type=open_session $NSISO_MEMHOG 200
session required pam_permit.so")
conf "$USER1 memory 64M
$USER1 swap 0"
nsiso_log_mark
nsiso_assert_true "a hog in the session: opens and closes" pamtester "$OOMSVC" "$USER1" open_session close_session
OOM_LINE="^authpriv\.warning nsiso-helper: user $USER1 \(uid $UID1\): memhog \(pid [0-9]+\) killed by the OOM killer at the memory limit 64M of cgroup $PARENT/user-$UID1$"
nsiso_assert_true "the OOM kill: the documented line" nsiso_wait_log "$OOM_LINE" 20
nsiso_assert_true "the OOM kill: counted in the close line" \
	nsiso_wait_log "^authpriv\.info .*pam_nsiso\($OOMSVC:session\): session $ID closed \(holder [0-9]+\): cgroup $PARENT/user-$UID1 memory peak [0-9]+[KMGT]? of 64M, oom kills 1$" 5
gone() { [ -z "$(nsiso_holders_of "$USER1")" ] && [ ! -d "$(nsiso_user_cgroup "$PARENT" "$USER1")" ]; }
nsiso_assert_true "the session is over" nsiso_wait_for gone
nsiso_assert_eq "the OOM kill: one line" 1 \
	"$(tail -n "+$((NSISO_LOG_MARK + 1))" -- "$T/syslog.log" | grep -cE "$OOM_LINE")"

# A name no account has, as a setuid application hands it on (pamtester
# runs the session stack for any name): logged as one word on one line,
# each control byte a '?' (it went out raw: a syslog daemon that keeps raw
# bytes showed a forged second line, and escapes reached root's terminal).
nsiso_log_mark
pamtester "$SVC" $'nsiso-no-such\nFAKE: root login ok\e[31m' open_session >/dev/null 2>&1
nsiso_assert_true "an unknown user's name: one word on one line, control bytes as '?'" \
	nsiso_wait_log "^authpriv\.err .*${PAM}unknown user nsiso-no-such\?FAKE:\?root\?login\?ok\?\[31m$" 5
