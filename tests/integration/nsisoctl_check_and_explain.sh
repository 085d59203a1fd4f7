#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# nsisoctl check and explain against a corpus of confs with expected output
# (tests/ctl/check, tests/ctl/explain).  @USER@ and @UID@ in a conf stand for
# a test user in group "users"; <dir> in an expected file is the temp dir.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
CTL=$NSISO_TOP/ctl/nsisoctl
CASES=$NSISO_TOP/tests/ctl

USER1=$(nsiso_make_user) || nsiso_die "cannot create user"
usermod -a -G users "$USER1"
UID1=$(id -u "$USER1")

# Run nsisoctl on a case's conf (copied into $T, root-owned 0644) and compare
# its output plus exit status with the .expected file.
run_case() {
	local verb=$1 conf=$2 name expected actual
	name=$(basename "$conf" .conf)
	sed "s/@USER@/$USER1/g; s/@UID@/$UID1/g" "$conf" >"$T/$name.conf"
	chmod 0644 "$T/$name.conf"
	expected=$(sed "s/@USER@/$USER1/g; s/@UID@/$UID1/g" "${conf%.conf}.expected")
	if [ "$verb" = check ]; then
		actual=$("$CTL" check "$T/$name.conf" 2>&1)
	else
		actual=$("$CTL" explain "$USER1" --conf "$T/$name.conf" 2>&1)
	fi
	actual="$actual
exit $?"
	actual=${actual//$T/<dir>}
	nsiso_assert_eq "$verb $name" "$expected" "$actual"
}

for conf in "$CASES"/check/*.conf; do run_case check "$conf"; done
for conf in "$CASES"/explain/*.conf; do run_case explain "$conf"; done

# private_tmp: a warning for each of the kernel's guards in sticky
# directories writable by all that this host leaves at 0 (root code in a
# session would follow a user's links in a private /tmp), none otherwise;
# a warning is no problem.  Without private_tmp, none at all.
printf '%s isolate uts,ipc,mnt,pid\n%s private_tmp yes\n' "$USER1" "$USER1" >"$T/pt.conf"
printf '%s isolate uts,ipc,mnt,pid\n' "$USER1" >"$T/nopt.conf"
chmod 0644 "$T/pt.conf" "$T/nopt.conf"
out=$("$CTL" check "$T/pt.conf" 2>&1)
nsiso_assert_eq "private_tmp: the check passes" 0 "$?"
for guard in protected_symlinks protected_regular protected_fifos; do
	want=0
	[ "$(cat "/proc/sys/fs/$guard")" = 0 ] && want=1
	nsiso_assert_eq "private_tmp: a warning for fs.$guard exactly when it is 0 here ($(cat "/proc/sys/fs/$guard"))" \
		"$want" "$(grep -c "^nsisoctl: warning: fs\.$guard is 0: " <<<"$out")"
done
nsiso_assert_eq "without private_tmp: no such warning" 0 \
	"$("$CTL" check "$T/nopt.conf" 2>&1 | grep -c 'warning: fs\.')"

# cgroup_mode systemd puts the limit on a slice that logind stops at the
# last logout: with /tmp a tmpfs (here in a mount namespace of our own) and
# no private_tmp, a warning naming the account; none with private_tmp, none
# in own mode, none where /tmp is no tmpfs.  A warning is no problem.
# The confs, and nsisoctl itself (a checkout may be in /tmp), live outside
# /tmp, which the tmpfs hides.
CONFS=/run/nsiso-test-$(nsiso_unique)
nsiso_on_exit rm -rf -- "$CONFS"
mkdir -m 0755 "$CONFS"
install -m 0755 "$CTL" "$CONFS/nsisoctl"
printf '%s memory 256M\n%s cgroup_mode systemd\n' "$USER1" "$USER1" >"$CONFS/slice.conf"
printf '%s memory 256M\n%s cgroup_mode systemd\n%s isolate uts,ipc,mnt,pid\n%s private_tmp yes\n' \
	"$USER1" "$USER1" "$USER1" "$USER1" >"$CONFS/slicept.conf"
printf '%s memory 256M\n%s cgroup_mode own\n' "$USER1" "$USER1" >"$CONFS/own.conf"
chmod 0644 "$CONFS"/*.conf
on_tmpfs() {
	unshare -m --propagation private sh -c 'mount -t tmpfs nsiso-test /tmp && exec "$@"' sh "$@"
}
out=$(on_tmpfs "$CONFS/nsisoctl" check "$CONFS/slice.conf" 2>&1)
nsiso_assert_eq "systemd slice, tmpfs /tmp, no private_tmp: the check passes" 0 "$?"
nsiso_assert_match "and warns, naming the account" \
	"^nsisoctl: warning: /tmp is a tmpfs, and 1 account \($USER1\) gets a memory limit on a systemd slice without private_tmp" \
	"$out"
nsiso_assert_eq "with private_tmp: no such warning" 0 \
	"$(on_tmpfs "$CONFS/nsisoctl" check "$CONFS/slicept.conf" 2>&1 | grep -c 'warning: /tmp is a tmpfs')"
nsiso_assert_eq "in own mode: no such warning" 0 \
	"$(on_tmpfs "$CONFS/nsisoctl" check "$CONFS/own.conf" 2>&1 | grep -c 'warning: /tmp is a tmpfs')"
if [ "$(stat -f -c %T /tmp)" != tmpfs ]; then
	nsiso_assert_eq "with the host's /tmp ($(stat -f -c %T /tmp)): no such warning" 0 \
		"$("$CTL" check "$CONFS/slice.conf" 2>&1 | grep -c 'warning: /tmp is a tmpfs')"
fi

# The system bus's dbus-daemon holds what a connection that does not read
# is sent, up to its built-in limits, outside every user's limit: a
# warning while it runs and no conf of the host's sets both queue limits
# (comments do not count).  It is told by what the kernel answers without
# reading the process's memory: real and effective uid messagebus's (root's
# without that account), an executable named dbus-daemon.  The stand-ins
# are copies of sleep of that name.  The host's /etc/dbus-1 is left alone:
# a tmpfs over it in a mount namespace of our own.  (make check-systemd
# checks it against a real dbus-daemon; boundary_nsisoctl_check_reads_no_
# process_memory.sh, that no process's memory is read.)
printf '%s memory 256M\n' "$USER1" >"$CONFS/mem.conf"
chmod 0644 "$CONFS/mem.conf"
with_bus_conf() { # FILE CONTENT: nsisoctl check mem.conf, FILE under /etc/dbus-1 holding CONTENT
	unshare -m --propagation private sh -c 'mount -t tmpfs nsiso-test /etc/dbus-1 &&
		mkdir /etc/dbus-1/system.d && { [ -z "$1" ] || printf "%s\n" "$2" >"/etc/dbus-1/$1"; } &&
		exec "$3" check "$4"' sh "$1" "$2" "$CTL" "$CONFS/mem.conf" 2>&1 | grep -c "dbus-daemon has its built-in limits"
}
BOTH='<busconfig><limit name="max_incoming_bytes">8388608</limit>
<limit name="max_outgoing_bytes">8388608</limit></busconfig>'
BUS_USER=root
getent passwd messagebus >/dev/null && BUS_USER=messagebus
REAL_BUS=
pgrep -u messagebus -x dbus-daemon >/dev/null && REAL_BUS=1
BIN=$(nsiso_dir_outside_tmp)
install -m 0755 "$(command -v sleep)" "$BIN/dbus-daemon"
STAND_IN=
# stand_in ID_ARGS...: a dbus-daemon, with setpriv's ID_ARGS, in STAND_IN
# (PID:START) once it runs.
stand_in() {
	setpriv "$@" -- "$BIN/dbus-daemon" 300 </dev/null >/dev/null 2>&1 &
	STAND_IN=$!:$(_nsiso_starttime $!)
	nsiso_on_exit _nsiso_terminate "$STAND_IN"
	nsiso_wait_for runs_stand_in "${STAND_IN%%:*}" || nsiso_die "no stand-in dbus-daemon"
}
runs_stand_in() { [ "$(readlink "/proc/$1/exe")" = "$BIN/dbus-daemon" ]; }
if [ -z "$REAL_BUS" ]; then
	nsiso_assert_eq "bus limits: no warning where no dbus-daemon serves the system bus" 0 \
		"$(with_bus_conf "" "")"
	# Anyone can run a dbus-daemon: a user's counts for nothing.
	stand_in --reuid="$UID1" --regid="$(id -g "$USER1")" --clear-groups
	nsiso_assert_eq "bus limits: no warning for a user's dbus-daemon" 0 "$(with_bus_conf "" "")"
	_nsiso_terminate "$STAND_IN"
	if [ "$BUS_USER" = messagebus ]; then
		stand_in --reuid=0 --regid=0 --clear-groups
		nsiso_assert_eq "bus limits: none for root's dbus-daemon where messagebus runs the bus" 0 \
			"$(with_bus_conf "" "")"
		_nsiso_terminate "$STAND_IN"
	fi
fi
stand_in --reuid="$BUS_USER" --regid="$(id -g "$BUS_USER")" --clear-groups
nsiso_assert_eq "bus limits: a warning while $BUS_USER's dbus-daemon runs with its built-in limits" 1 \
	"$(with_bus_conf "" "")"
nsiso_assert_eq "bus limits: still, when the limits are only in a comment" 1 \
	"$(with_bus_conf system-local.conf "<busconfig><!-- $BOTH --></busconfig>")"
nsiso_assert_eq "bus limits: still, with the outgoing limit alone" 1 \
	"$(with_bus_conf system-local.conf '<busconfig><limit name="max_outgoing_bytes">8388608</limit></busconfig>')"
nsiso_assert_eq "bus limits: none once a conf sets both (system.d)" 0 \
	"$(with_bus_conf system.d/limits.conf "$BOTH")"
nsiso_assert_eq "bus limits: none once system-local.conf sets both" 0 \
	"$(with_bus_conf system-local.conf "$BOTH")"
# An upgrade replaces the file under a daemon that keeps running.
rm -f "$BIN/dbus-daemon"
nsiso_assert_eq "bus limits: still found once its file is gone (exe '... (deleted)')" 1 \
	"$(with_bus_conf "" "")"
_nsiso_terminate "$STAND_IN"

# Mail delivery is a door PAM never sees: a local MTA that runs a user's
# ~/.forward pipe starts, when they mail themselves, a program of theirs
# outside their isolation and limits.  A warning for Postfix while its
# allow_mail_to_commands (the last assignment in main.cf, "alias, forward"
# when none) has forward, or a mailbox_command is set; for Exim while
# /usr/sbin/exim4 exists and the conf it runs with does not set forbid_pipe
# and forbid_filter_run; none without an MTA, none where the conf isolates and
# limits nobody.  This machine has no MTA: main.cf is made only where
# /etc/postfix is missing (and removed after), Exim's binary only in a
# mount namespace of our own (a tmpfs over /usr/sbin), its conf only where
# /etc/exim4 is missing.
printf 'nobody-nsiso-none isolate none\n' >"$CONFS/none.conf"
chmod 0644 "$CONFS/none.conf"
postfix_warnings() { # CONF: the Postfix warnings of nsisoctl check CONF
	"$CTL" check "$1" 2>&1 | grep -c '^nsisoctl: warning: Postfix'
}
if [ ! -e /etc/postfix ]; then
	nsiso_on_exit rm -rf -- /etc/postfix
	mkdir -m 0755 /etc/postfix
	: >/etc/postfix/main.cf
	nsiso_assert_match "postfix: the default (no allow_mail_to_commands): a warning" \
		"nsisoctl: warning: Postfix runs the commands of users' ~/.forward files" \
		"$("$CTL" check "$CONFS/mem.conf" 2>&1)"
	nsiso_assert_eq "postfix: none where the conf isolates and limits nobody" 0 \
		"$(postfix_warnings "$CONFS/none.conf")"
	printf '# allow_mail_to_commands = alias, forward\nallow_mail_to_commands = alias\n' \
		>/etc/postfix/main.cf
	nsiso_assert_eq "postfix: allow_mail_to_commands = alias: none" 0 \
		"$(postfix_warnings "$CONFS/mem.conf")"
	printf 'allow_mail_to_commands = alias\nallow_mail_to_commands = alias,\n  forward\n' \
		>/etc/postfix/main.cf
	nsiso_assert_eq "postfix: the last assignment counts, with its continuation line" 1 \
		"$(postfix_warnings "$CONFS/mem.conf")"
	printf 'allow_mail_to_commands = alias\n  # forward\nmailbox_command =\n' >/etc/postfix/main.cf
	nsiso_assert_eq "postfix: a comment line is no continuation; an empty mailbox_command none" 0 \
		"$(postfix_warnings "$CONFS/mem.conf")"
	printf 'allow_mail_to_commands = alias\nmailbox_command = /usr/bin/procmail\n' \
		>/etc/postfix/main.cf
	nsiso_assert_match "postfix: a mailbox_command: a warning" \
		"nsisoctl: warning: Postfix's mailbox_command runs as each recipient" \
		"$("$CTL" check "$CONFS/mem.conf" 2>&1)"
	printf 'allow_mail_to_commands = alias, forward\r\n' >/etc/postfix/main.cf
	nsiso_assert_eq "postfix: a main.cf with carriage returns: forward still seen" 1 \
		"$(postfix_warnings "$CONFS/mem.conf")"
	printf 'allow_mail_to_commands = alias, include\n' >/etc/postfix/main.cf
	nsiso_assert_eq "postfix: include (a :include: file of a user's .forward): a warning" 1 \
		"$(postfix_warnings "$CONFS/mem.conf")"
	# shellcheck disable=SC2016 # a $parameter of Postfix's, as written
	printf 'allow_mail_to_commands = $my_classes\n' >/etc/postfix/main.cf
	nsiso_assert_eq "postfix: a \$parameter, not followed: a warning" 1 \
		"$(postfix_warnings "$CONFS/mem.conf")"
	rm -f /etc/postfix/main.cf
	mkfifo -m 0644 /etc/postfix/main.cf
	out=$(timeout -s KILL 20 "$CTL" check "$CONFS/mem.conf" 2>&1)
	nsiso_assert_match "postfix: main.cf a FIFO: check does not wait for a writer, warns as for the defaults" \
		"nsisoctl: warning: Postfix runs the commands of users' ~/.forward files" "$out"
	rm -rf /etc/postfix
	nsiso_assert_eq "postfix: none without main.cf" 0 "$(postfix_warnings "$CONFS/mem.conf")"
fi
if [ ! -e /usr/sbin/exim4 ] && [ ! -e /etc/exim4 ] && [ ! -e /var/lib/exim4 ]; then
	nsiso_on_exit rm -rf -- /etc/exim4 /var/lib/exim4
	exim_warnings() { # CONF: the Exim warnings of nsisoctl check CONF, with an exim4
		unshare -m --propagation private sh -c 'mount -t tmpfs nsiso-test /usr/sbin &&
			: >/usr/sbin/exim4 && exec "$0" check "$1"' "$CTL" "$1" 2>&1 |
			grep -c '^nsisoctl: warning: Exim (/usr/sbin/exim4) runs the pipes'
	}
	nsiso_assert_eq "exim: none without exim4" 0 \
		"$("$CTL" check "$CONFS/mem.conf" 2>&1 | grep -c 'warning: Exim')"
	nsiso_assert_eq "exim: exim4 and no conf: a warning" 1 "$(exim_warnings "$CONFS/mem.conf")"
	nsiso_assert_eq "exim: none where the conf isolates and limits nobody" 0 \
		"$(exim_warnings "$CONFS/none.conf")"
	# What exim4 runs with: update-exim4.conf's output.
	mkdir -m 0755 /var/lib/exim4
	R=/var/lib/exim4/config.autogenerated
	printf 'userforward:\n  driver = redirect\n  # forbid_pipe\n  forbid_filter_run\n' >"$R"
	nsiso_assert_eq "exim: forbid_pipe only in a comment: still" 1 "$(exim_warnings "$CONFS/mem.conf")"
	printf 'userforward:\n  driver = redirect\n  forbid_pipe = false\n  forbid_filter_run\n' >"$R"
	nsiso_assert_eq "exim: forbid_pipe = false: still" 1 "$(exim_warnings "$CONFS/mem.conf")"
	printf 'userforward:\n  driver = redirect\n  forbid_pipe\n  forbid_filter_run = true\n' >"$R"
	nsiso_assert_eq "exim: forbid_pipe and forbid_filter_run: none" 0 "$(exim_warnings "$CONFS/mem.conf")"
	mkdir -m 0755 /etc/exim4
	printf 'userforward:\n  driver = redirect\n' >/etc/exim4/exim4.conf
	nsiso_assert_eq "exim: an exim4.conf of the admin's, without them, is what runs: a warning" 1 \
		"$(exim_warnings "$CONFS/mem.conf")"
	rm -f /etc/exim4/exim4.conf
	# procmail beside exim4 (an overlay on /usr/bin, in the same private
	# namespace): its router runs a user's ~/.procmailrc.
	mkdir -p "$T/ovl/up" "$T/ovl/work"
	# shellcheck disable=SC2016 # expanded by the inner shell
	nsiso_assert_eq "exim: procmail installed: a warning of its own" 1 \
		"$(unshare -m --propagation private sh -c 'mount -t tmpfs nsiso-test /usr/sbin &&
			: >/usr/sbin/exim4 && mount -t overlay nsiso-test -o \
			"lowerdir=/usr/bin,upperdir=$2/up,workdir=$2/work" /usr/bin &&
			: >/usr/bin/procmail && exec "$0" check "$1"' "$CTL" "$CONFS/mem.conf" "$T/ovl" 2>&1 |
			grep -c '^nsisoctl: warning: Exim (/usr/sbin/exim4) and /usr/bin/procmail')"
	rm -rf /etc/exim4 /var/lib/exim4
fi

# Ownership and mode problems are reported like syntax errors.
printf '* memory 1G\n' >"$T/open.conf"
chmod 0666 "$T/open.conf"
nsiso_assert_eq "check: world-writable file" "$T/open.conf: writable by group or others" \
	"$("$CTL" check "$T/open.conf")"
ln -s "$T/open.conf" "$T/link.conf"
nsiso_assert_eq "check: symlink" "$T/link.conf: cannot open: is a symbolic link" \
	"$("$CTL" check "$T/link.conf")"
chown "$USER1" "$T/open.conf"
chmod 0644 "$T/open.conf"
"$CTL" check "$T/open.conf" >/dev/null
nsiso_assert_eq "check: file owned by a user fails with status 1" 1 "$?"
nsiso_assert_eq "check: several files, one bad, status 1" 1 \
	"$("$CTL" check "$CASES/check/good.conf" "$T/open.conf" >/dev/null; echo $?)"

# Usage errors and help.
"$CTL" frobnicate >/dev/null 2>&1
nsiso_assert_eq "unknown verb: status 2" 2 "$?"
"$CTL" explain >/dev/null 2>&1
nsiso_assert_eq "explain without user: status 2" 2 "$?"
nsiso_assert_match "--help lists every verb" 'check.*explain.*status.*kill' \
	"$("$CTL" --help | tr '\n' ' ')"
nsiso_assert_match "--version" '^nsisoctl [0-9]+\.[0-9]+\.[0-9]+$' "$("$CTL" --version)"
nsiso_assert_eq "explain: unknown user: status 1" 1 \
	"$("$CTL" explain no-such-user-nsiso --conf "$T/open.conf" >/dev/null 2>&1; echo $?)"

# Exempt means exempt, for root and for a system account whose name cannot
# be in a host name: the template is not even worked out for them.
printf 'root exempt yes\n* isolate uts,ipc,mnt,pid\n* hostname lab_%%U\n' >"$T/root_exempt.conf"
printf ':999 exempt yes\n* isolate uts\n* hostname lab-%%u\n' >"$T/system_exempt.conf"
printf '* isolate uts\n* hostname lab_%%U\n' >"$T/root_odd.conf"
chmod 0644 "$T"/root_exempt.conf "$T"/system_exempt.conf "$T"/root_odd.conf
out=$("$CTL" explain root --conf "$T/root_exempt.conf")
nsiso_assert_eq "explain root, exempt, bad template: status 0" 0 "$?"
nsiso_assert_match "explain root: exempt" "decision: left alone: exempt" "$out"
if getent passwd _apt >/dev/null; then
	out=$("$CTL" explain _apt --conf "$T/system_exempt.conf")
	nsiso_assert_eq "explain _apt, :999 exempt, lab-%u: status 0" 0 "$?"
	nsiso_assert_match "explain _apt: exempt" "decision: left alone: exempt" "$out"
	out=$("$CTL" check "$T/system_exempt.conf")
	nsiso_assert_false "check: _apt not reported under :999 exempt" grep -q _apt <<<"$out"
fi
out=$("$CTL" explain root --conf "$T/root_odd.conf")
nsiso_assert_eq "explain root, rules that fail for root: status 1" 1 "$?"
nsiso_assert_match "explain root: let through" "decision: left alone: the rules cannot be applied to root" "$out"

# check tries the rules on every account getpwent lists: a template that
# is invalid for some names reports them (root's outcome apart).
out=$("$CTL" check "$T/root_odd.conf")
nsiso_assert_eq "check: template invalid for the accounts: status 1" 1 "$?"
nsiso_assert_match "check: root let through, named" \
	"root_odd.conf:2: hostname 'lab_%U' cannot be applied to 1 account .*: root \(uid 0\); root is let through unisolated" "$out"
nsiso_assert_match "check: the others denied, counted" \
	"root_odd.conf:2: hostname 'lab_%U' cannot be applied to [0-9]+ accounts .*; logins denied \(on_error deny\)" "$out"

# The shipped conf passes on this machine.
install -m 0644 "$NSISO_TOP/conf/nsiso.conf" "$T/shipped.conf"
out=$("$CTL" check "$T/shipped.conf")
nsiso_assert_eq "check: the shipped conf passes" 0 "$?"
