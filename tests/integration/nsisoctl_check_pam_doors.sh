#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# nsisoctl check names the doors (PAM services through which a user's
# programs start) that skip pam_nsiso, once the module is in some: with
# the README's one line in sshd alone, cron and at jobs and the systemd
# user manager start unisolated and unlimited.  Also each pam_nsiso line
# whose failure a stack ignores (optional, sufficient, default=ignore: a
# switch), each stack that runs it twice, and a stack that cannot be read.
# The PAM files are this host's /etc/pam.d (Debian's own) in a copy, plus
# cron's, atd's and systemd-user's as Debian 12 ships them; the stacks are
# read as Linux-PAM reads them.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
CTL=$NSISO_TOP/ctl/nsisoctl
D=$T/pam.d

USER1=$(nsiso_make_user) || nsiso_die "cannot create user"
printf '%s memory 200M\n' "$USER1" >"$T/mem.conf"
printf '%s exempt yes\n' "$USER1" >"$T/none.conf"
chmod 0644 "$T/mem.conf" "$T/none.conf"

fresh() { # a copy of the host's PAM files and the three Debian 12 doors
	rm -rf "$D" && cp -a /etc/pam.d "$D" || nsiso_die "cannot copy /etc/pam.d"
	sed -i '/pam_nsiso/d' "$D"/*
	rm -f "$D"/*nsiso*
	printf '%s\n' '@include common-auth' 'session    required     pam_loginuid.so' \
		'session       required   pam_env.so' '@include common-account' \
		'@include common-session-noninteractive' 'session    required   pam_limits.so' >"$D/cron"
	printf '%s\n' '@include common-auth' '@include common-account' \
		'session    required   pam_loginuid.so' '@include common-session-noninteractive' \
		'session    required   pam_limits.so' >"$D/atd"
	printf '%s\n' 'account  sufficient pam_unix.so' 'account  include    common-account' \
		'session  required pam_selinux.so close' 'session  required pam_selinux.so nottys open' \
		'session  required pam_loginuid.so' 'session  optional pam_keyinit.so force revoke' \
		'session  required pam_namespace.so' '@include common-session-noninteractive' \
		'session optional pam_systemd.so' >"$D/systemd-user"
}
both() { printf '%s\n' "$profile" | tee -a "$D/common-session" >>"$D/common-session-noninteractive"; }
check() { "$CTL" check --pam-dir "$D" "${1:-$T/mem.conf}" 2>&1; }
doors_without() { check "$@" | sed -n "s|^nsisoctl: warning: $D/\([^ ]*\) does not run pam_nsiso.so: .*|\1|p" | sort | tr '\n' ' '; }
profile='session [success=1 default=ignore]  pam_succeed_if.so quiet uid eq 0
session required                    pam_nsiso.so'

fresh
nsiso_assert_eq "module in no door: no door warning (not enabled yet)" "" "$(doors_without)"
echo 'session required pam_nsiso.so' >>"$D/sshd"
nsiso_assert_eq "the one line in sshd: every other door named" "atd cron login su su-l systemd-user " \
	"$(doors_without)"
nsiso_assert_match "each says what starts through it" \
	"$D/cron does not run pam_nsiso.so: cron jobs of the accounts the conf isolates or limits start outside their isolation and limits" \
	"$(check)"
nsiso_assert_eq "the check still passes (warnings)" 0 "$(check >/dev/null; echo $?)"
nsiso_assert_eq "none where the conf isolates and limits nobody" "" "$(doors_without "$T/none.conf")"

fresh
printf '%s\n' "$profile" >>"$D/common-session"
printf '%s\n' "$profile" >>"$D/common-session-noninteractive"
nsiso_assert_eq "the package's lines in both common-session files: no warning at all" "" \
	"$(check | grep 'nsisoctl: warning')"
echo 'session required pam_nsiso.so conf=/etc/other.conf' >>"$D/sshd"
n=$(grep -n pam_nsiso "$D/common-session" | cut -d: -f1)
nsiso_assert_eq "and the line in sshd too: it runs twice there, only the first acts" \
	"nsisoctl: warning: $D/sshd runs pam_nsiso.so 2 times in its session stack: only the first, $D/common-session:$n, acts (its arguments count, the others' do not)" \
	"$(check | grep 'times in its session stack')"

fresh
printf '%s\n' "$profile" >>"$D/common-session-noninteractive"
echo 'session optional pam_nsiso.so' >>"$D/common-session"
n=$(grep -n pam_nsiso "$D/common-session" | cut -d: -f1)
nsiso_assert_eq "optional in common-session: one warning for that line, not one a door" \
	"nsisoctl: warning: $D/common-session:$n: pam_nsiso.so is optional (read for $D/sshd): a session it refuses goes on, unisolated and unlimited; make it required" \
	"$(check | grep 'a session it refuses goes on')"
weak() { # CONTROL: 1 when check calls pam_nsiso.so with CONTROL a switch
	fresh
	printf '%s\n' "$profile" >>"$D/common-session-noninteractive"
	printf 'session %s pam_nsiso.so\n' "$1" >>"$D/common-session"
	check | grep -c 'a session it refuses goes on'
}
nsiso_assert_eq "sufficient: a switch" 1 "$(weak sufficient)"
nsiso_assert_eq "[success=ok default=ignore]: a switch" 1 "$(weak '[success=ok default=ignore]')"
nsiso_assert_eq "[default=bad session_err=reset]: a switch" 1 "$(weak '[default=bad session_err=reset]')"
nsiso_assert_eq "requisite: none" 0 "$(weak requisite)"
nsiso_assert_eq "[success=ok default=bad]: none" 0 "$(weak '[success=ok default=bad]')"
# The module also returns user_unknown, and libpam module_unknown for a
# module it cannot load: default=ignore lets those through.
nsiso_assert_eq "[default=ignore session_err=die]: a switch" 1 "$(weak '[default=ignore session_err=die]')"
nsiso_assert_eq "[default=bad session_err=die]: none" 0 "$(weak '[default=bad session_err=die]')"
nsiso_assert_eq "[success=ok ignore=ignore] (no default: bad): none" 0 "$(weak '[success=ok ignore=ignore]')"

# As Linux-PAM reads a file: a comment is no line, '#' ends a line, '\'
# continues one (past a comment line), the type may start with '-'.
lines() { # TEXT appended to common-session (both files else as the package): the doors without it
	fresh
	printf '%s\n' "$profile" >>"$D/common-session-noninteractive"
	printf '%s\n' "$1" >>"$D/common-session"
	doors_without
}
nsiso_assert_eq "a commented-out line does not count" "login sshd su su-l " \
	"$(lines '# session required pam_nsiso.so')"
nsiso_assert_eq "after a '#' on a line: a comment" "login sshd su su-l " \
	"$(lines 'session required pam_permit.so # pam_nsiso.so')"
nsiso_assert_eq "a line continued with '\\' (past a comment line) counts" "" \
	"$(lines 'session required \
# a comment
   pam_nsiso.so')"
nsiso_assert_eq "a '-session' line counts" "" "$(lines '-session required /lib/x86_64-linux-gnu/security/pam_nsiso.so')"
nsiso_assert_eq "'session include' counts" "" "$(lines 'session include nsiso-extra' &&
	printf '%s\n' 'session required pam_nsiso.so' >"$D/nsiso-extra" && doors_without)"

# A service with no session line of its own runs "other"'s (Debian's
# includes common-session).
fresh
both
printf 'auth required pam_permit.so\n' >"$D/atd"
nsiso_assert_eq "atd without session lines: other's stack counts" "" "$(doors_without)"
sed -i '/common-session/d' "$D/other"
nsiso_assert_eq "and without the module there: atd named" "atd " "$(doors_without)"

# What cannot be read is said, not taken for "no module", and a loop ends.
fresh
both
printf '@include nsiso-missing\n' >>"$D/cron"
out=$(check)
nsiso_assert_match "an include that is not there: said" \
	"the session stack of $D/cron cannot be read whole \($D/nsiso-missing: No such file or directory\)" "$out"
printf '@include nsiso-loop\n' >"$D/nsiso-loop"
printf '@include nsiso-loop\n' >>"$D/atd"
out=$(timeout 10 "$CTL" check --pam-dir "$D" "$T/mem.conf" 2>&1)
nsiso_assert_eq "a file that includes itself: the check ends" 0 "$?"
nsiso_assert_match "and says it is nested too deep" \
	"the session stack of $D/atd cannot be read whole \($D/nsiso-loop: nested more than 16 deep\)" "$out"

# sshd without PAM (UsePAM no, OpenSSH's default) runs no session stack:
# /etc/pam.d/sshd, and pamtester, which reads it, say "isolated" while SSH
# logins are not.  Drop-ins of the host's own sshd_config.d, which Debian's
# sshd_config includes before its "UsePAM yes" (sshd takes the first
# value); the real sshd -T says what sshd reads.
install -d -m 0755 /run/sshd
fresh
both
usepam_warnings() { check | grep -c 'sshd does not use PAM'; }
sshd_reads() { sshd -T 2>/dev/null | sed -n 's/^usepam //p'; }
nsiso_assert_eq "the host's sshd uses PAM: no warning" "yes 0" "$(sshd_reads) $(usepam_warnings)"
DROP=/etc/ssh/sshd_config.d/nsiso-test-$(nsiso_unique)
nsiso_on_exit rm -f -- "$DROP-a.conf" "$DROP-b.conf"
printf '# UsePAM yes\nUsePAM=no # a drop-in\n' >"$DROP-b.conf"
nsiso_assert_eq "a drop-in's UsePAM=no: sshd reads no, and check warns" "no 1" \
	"$(sshd_reads) $(usepam_warnings)"
nsiso_assert_match "naming the drop-in's line" \
	"nsisoctl: warning: $DROP-b.conf:2: sshd does not use PAM \(UsePAM no\): SSH logins run no session stack" \
	"$(check)"
printf 'usepam yes\n' >"$DROP-a.conf"
nsiso_assert_eq "usepam yes in a drop-in read before it: the first value wins" "yes 0" \
	"$(sshd_reads) $(usepam_warnings)"

# What Linux-PAM does and what check says agree: each stack below runs as
# a real service whose pam_nsiso line fails (a helper that is not there,
# for a user the conf limits), and as the sshd door of a copy.  pamtester
# lets the session through exactly where check warns (a review of 1c56089
# found jumps, done and sufficient before the line, and brackets the check
# read otherwise than PAM).
FAILING="$NSISO_MODULE conf=$T/mem.conf helper=$T/absent-helper run_dir=$T/run"
# An included file of sufficient pam_permit, for the real service and the copy.
INC=nsiso-test-inc-$(nsiso_unique)
nsiso_on_exit rm -f "/etc/pam.d/$INC"
printf 'session sufficient pam_permit.so\n' >"/etc/pam.d/$INC"
agree() { # NAME STACK (@NSISO@ for the module): pamtester's verdict and check's agree
	local through=no warned=no svc
	svc=$(nsiso_make_pam_service "${2//@NSISO@/$FAILING}
session required pam_permit.so")
	pamtester "$svc" "$USER1" open_session >/dev/null 2>&1 && through=yes
	fresh
	both
	printf '%s\nsession required pam_permit.so\n' "${2//@NSISO@/pam_nsiso.so}" >"$D/sshd"
	cp "/etc/pam.d/$INC" "$D/$INC"
	check | grep -E "^nsisoctl: warning: .*(session stack of|read for) $D/sshd[ ),]" | grep -q . &&
		warned=yes
	nsiso_assert_eq "$1: let through by PAM ($through), warned by check" "$through $through" "$through $warned"
}
agree "required" 'session required @NSISO@'
agree "a jump on failure" 'session [success=ok default=1] @NSISO@
session required pam_deny.so'
agree "sufficient pam_permit before" 'session sufficient pam_permit.so
session required @NSISO@'
agree "done on success before" 'session [success=done default=ignore] pam_permit.so
session required @NSISO@'
agree "a jump over it for a group" "session [success=1 default=ignore] pam_succeed_if.so quiet user ingroup $USER1
session required @NSISO@"
agree "the package's jump for root alone" 'session [success=1 default=ignore] pam_succeed_if.so quiet uid eq 0
session required @NSISO@'
agree "Debian's primary block before" 'session [default=1] pam_permit.so
session requisite pam_deny.so
session required pam_permit.so
session required @NSISO@'
agree "spaces around =" 'session [success=ok session_err = ignore] @NSISO@'
agree "the first default counts" 'session [default=ignore success=ok default=bad] @NSISO@'
agree "use_uid: the application's uid, root's" 'session [success=1 default=ignore] pam_succeed_if.so quiet use_uid uid eq 0
session required @NSISO@'
agree "root's line jumping on its failure" 'session [success=ignore default=1] pam_succeed_if.so quiet uid eq 0
session required @NSISO@'
agree "a reset after it" 'session required @NSISO@
session [success=reset default=ignore] pam_permit.so'
agree "module_unknown jumps over it" 'session [module_unknown=1 default=ignore] pam_nsiso-absent.so
session required @NSISO@'
agree "a jump with a leading zero" 'session [success=ok default=01] @NSISO@
session required pam_deny.so'
agree "@INCLUDE in capitals" "@INCLUDE $INC
session required @NSISO@"
agree "a long bracket" "session [success=ok new_authtok_reqd=ok user_unknown=bad perm_denied=bad auth_err=bad cred_err=bad acct_expired=bad system_err=bad buf_err=bad session_err=ignore] @NSISO@"

# sshd's words as sshd splits them: quoted, and an Include of a quoted
# path (a review of 1c56089); a file too big to read whole is said.
fresh
both
rm -f "$DROP-a.conf" "$DROP-b.conf"
printf '"UsePAM" no\n' >"$DROP-b.conf"
nsiso_assert_eq "\"UsePAM\" no: sshd reads no, and check warns" "no 1" \
	"$(sshd_reads) $(usepam_warnings)"
nsiso_on_exit rm -f -- "$DROP-extra"
printf 'UsePAM no\n' >"$DROP-extra"
printf 'Include "%s"\n' "$DROP-extra" >"$DROP-b.conf"
nsiso_assert_eq "Include \"FILE\" that says no: sshd reads no, and check warns" "no 1" \
	"$(sshd_reads) $(usepam_warnings)"
{ head -c 70000 /dev/zero | tr '\0' '#'; printf '\nUsePAM no\n'; } >"$DROP-b.conf"
nsiso_assert_match "a drop-in too big to read whole: said" \
	"nsisoctl: warning: $DROP-b.conf cannot be read whole: whether sshd uses PAM is not known" "$(check)"
rm -f "$DROP-b.conf" "$DROP-extra"

# What Linux-PAM reads otherwise than check could: a NUL byte (it reads on
# past it) and a line of 1023 bytes or more (two lines to it) are said
# (a review of a909b8b hid a sufficient line from check so).
fresh
both
printf '# a comment\0\nsession sufficient pam_permit.so\n' >>"$D/cron"
nsiso_assert_match "a NUL byte in a door's file: said" \
	"the session stack of $D/cron cannot be read whole \($D/cron: a NUL byte, past which Linux-PAM reads on\)" "$(check)"
fresh
both
{ printf '#'; head -c 1100 /dev/zero | tr '\0' x; printf '\n'; } >>"$D/atd"
nsiso_assert_match "a line of 1023 bytes or more: said" \
	"the session stack of $D/atd cannot be read whole \($D/atd: a line of 1023 bytes or more, which Linux-PAM reads as two\)" "$(check)"

# Options given to sshd on its command line (Debian's SSHD_OPTS) are not
# read: said when set, blanks and export before it too.
if [ -e /etc/default/ssh ]; then
	cp -a /etc/default/ssh "$T/default-ssh"
	nsiso_on_exit cp -a "$T/default-ssh" /etc/default/ssh
else
	nsiso_on_exit rm -f /etc/default/ssh
fi
printf 'SSHD_OPTS=\n' >/etc/default/ssh
nsiso_assert_eq "an empty SSHD_OPTS: nothing said" 0 "$(check | grep -c SSHD_OPTS)"
printf '  export SSHD_OPTS="-f /etc/ssh/other_config"\n' >/etc/default/ssh
nsiso_assert_match "SSHD_OPTS set: said" "/etc/default/ssh: SSHD_OPTS gives sshd options" "$(check)"
