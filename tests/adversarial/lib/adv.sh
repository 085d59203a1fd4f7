# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034 # what adv_begin sets is for the scripts that source this
#
# tests/adversarial/lib/adv.sh - shared by tests/adversarial/*.sh; built on
# tests/lib.sh, which it sources.  (Not a test itself: tests/run only picks
# up tests/adversarial/*.sh.)  A scenario starts:
#   set -u
#   . "$(dirname "$0")/lib/adv.sh"
#   adv_begin [--syslog] [USER_VAR...]
#
#   adv_begin ...             nsiso_setup, syslog, test users, PARENT, PUB, CG, RUN
#   adv_build_tools DIR       compile the test tools into DIR (spawn, probe,
#                             preload.so writing DIR/markers/preload)
#   adv_snapshot DIR          copy the built module and helper into DIR and
#                             point NSISO_MODULE and NSISO_HELPER at the copies
#   adv_setuid_pamtester      a setuid-root copy of pamtester: $PUB/pamtester
#   adv_conf USER... [-- LINE...]  the conf: each USER isolated, 128M, 50 tasks
#   adv_probe OUT             $T/probe: notes the session's PID namespace and cgroups
#   adv_as USER CMD...        run CMD as USER (setpriv: real and effective ids,
#                             the user's groups), environment kept
#   adv_log_none NAME REGEX   assert no syslog line since nsiso_log_mark matches
#   adv_has_leaf UID          true if a cgroup user-UID exists in memory or pids
#   adv_poll TIMEOUT_S CMD... nsiso_wait_until, polling every 10 ms
#   adv_holders_in RUN_DIR    live holders that keep RUN_DIR open (no record needed)
#   adv_hold_line             a PAM line (pam_exec) that holds a session open
#   adv_hold_service          a pamtester service: the module, adv_hold_line, pam_permit
#   adv_hold_open KEY SVC USER [PAMTESTER_OPTS...]  pamtester session held open
#   adv_hold_close KEY        let it close; its status in ADV_HOLD_RC
#   adv_nested_sshd           A's isolated sshd and SVC_N, a held session nested in a login
#   adv_nested_login SVC OUT  A's SSH login that opens SVC nested and waits to log out
#   adv_release_nested        let the nested session close
#   adv_take_private_tmp_bases_away  no /tmp/.nsiso-tmp, /var/tmp/.nsiso-tmp
#                             (removed when root's and empty; else the test dies)

. "$(dirname "${BASH_SOURCE[0]}")/../../lib.sh"

ADV_SRC=$NSISO_TOP/tests/adversarial/tools

# adv_begin [--syslog] [USER_VAR...]: what every scenario does first:
# nsiso_setup; a syslog listener of its own (--syslog); for each USER_VAR a
# test user, in that variable, with its uid in USER_VAR_UID ("adv_begin A B"
# sets A, A_UID, B and B_UID) and, when there are users, a unique cgroup
# parent PARENT; a public directory PUB (root's, 0755) with a snapshot of
# the built module and helper (adv_snapshot); CG, the v1 cgroup root, and
# RUN, the run directory nsiso_module_line names.
adv_begin() {
	local var name
	nsiso_setup
	if [ "${1-}" = --syslog ]; then
		shift
		nsiso_start_syslog || nsiso_die "no syslog listener of our own on /dev/log"
	fi
	for var in "$@"; do
		name=$(nsiso_make_user) || nsiso_die "cannot create user $var"
		printf -v "$var" '%s' "$name"
		printf -v "${var}_UID" '%s' "$(id -u "$name")"
	done
	[ $# -eq 0 ] || PARENT=$(nsiso_cgroup_parent)
	PUB=$(nsiso_public_dir)
	adv_snapshot "$PUB"
	CG=$NSISO_CG_V1
	RUN=$T/run
}

adv_build_tools() {
	local dir=$1 cc=(gcc -O2 -Wall -Wextra -Werror)
	install -d -m 1777 "$dir/markers"
	"${cc[@]}" -o "$dir/spawn" "$ADV_SRC/spawn.c" &&
		"${cc[@]}" -o "$dir/probe" "$ADV_SRC/probe.c" &&
		"${cc[@]}" -shared -fPIC -DNSISO_MARKER="\"$dir/markers/preload\"" \
			-o "$dir/preload.so" "$ADV_SRC/preload.c" ||
		nsiso_die "cannot build the adversarial test tools"
	chmod 0755 "$dir/spawn" "$dir/probe" "$dir/preload.so"
}

# A rebuild of the tree while a script runs (make in another shell) must not
# swap the binaries under it: every case runs the same build.
adv_snapshot() {
	install -m 0755 -o root -g root "$NSISO_HELPER" "$1/nsiso-helper" &&
		install -m 0644 -o root -g root "$NSISO_MODULE" "$1/pam_nsiso.so" ||
		nsiso_die "cannot copy the built module and helper"
	NSISO_HELPER=$1/nsiso-helper
	NSISO_MODULE=$1/pam_nsiso.so
}

# adv_setuid_pamtester: $PUB/pamtester, a setuid-root copy of pamtester
# that a test user can run (as with a setuid PAM application: su, sudo).
adv_setuid_pamtester() {
	install -m 4755 -o root -g root /usr/bin/pamtester "$PUB/pamtester" || nsiso_die "no pamtester"
}

# adv_conf USER... [-- LINE...]: write the conf: under $PARENT, each USER
# isolated (uts,ipc,mnt,pid) with memory 128M and tasks 50; each LINE is
# added as it is.
adv_conf() {
	local conf="* cgroup_parent $PARENT" user
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		conf+=$'\n'"$1 isolate uts,ipc,mnt,pid"$'\n'"$1 memory 128M"$'\n'"$1 tasks 50"
		shift
	done
	[ $# -eq 0 ] || shift
	for user in "$@"; do
		conf+=$'\n'"$user"
	done
	nsiso_write_conf "$conf" >/dev/null
}

# adv_probe OUT: write $T/probe, a pam_exec script that notes, at open,
# "pidns=<its PID namespace> mem=<its memory cgroup> pids=<its pids cgroup>"
# in OUT (a file, or a FIFO when a write to a file could fail).
adv_probe() {
	cat >"$T/probe" <<-PROBE
		#!/bin/sh
		[ "\$PAM_TYPE" = open_session ] || exit 0
		echo "pidns=\$(readlink /proc/self/ns/pid) mem=\$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup) pids=\$(sed -n 's/^[0-9]*:pids://p' /proc/self/cgroup)" >$1
	PROBE
	chmod 0755 "$T/probe"
}

adv_as() {
	local user=$1
	shift
	setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --init-groups -- "$@"
}

# Absence in the log needs a barrier: a line we send after the case and wait
# for, so that whatever the case logged is in the file already.
adv_log_none() {
	local name=$1 regex=$2 probe
	probe=nsiso-adv-barrier-$(nsiso_unique)
	logger -p user.info -- "$probe"
	nsiso_wait_log "$probe" || { nsiso_fail "$name" "syslog barrier never arrived"; return 1; }
	if _nsiso_log_has "$regex"; then
		nsiso_fail "$name" "unexpected syslog line: $(nsiso_log_since_mark | grep -E -m1 -- "$regex")"
	else
		nsiso_pass "$name"
	fi
}

adv_has_leaf() {
	compgen -G "$NSISO_CG_V1/memory/*/user-$1" >/dev/null ||
		compgen -G "$NSISO_CG_V1/memory/*/*/user-$1" >/dev/null ||
		compgen -G "$NSISO_CG_V1/pids/*/user-$1" >/dev/null ||
		compgen -G "$NSISO_CG_V1/pids/*/*/user-$1" >/dev/null
}

# adv_poll TIMEOUT_S CMD...: nsiso_wait_until polling every 10 ms, for a
# wait whose duration is measured or that runs hundreds of times.
adv_poll() {
	NSISO_POLL_S=0.01 nsiso_wait_until "$@"
}

# adv_holders_in RUN_DIR: live holders that have RUN_DIR open (today's
# holder keeps its run directory open to remove its record at the end): a
# second way to see a holder that has no record (yet), for "nothing left"
# checks only; it finds nothing if holders stop keeping the directory open.
adv_holders_in() {
	local f pid
	for f in /proc/[0-9]*/comm; do
		pid=${f#/proc/} pid=${pid%/comm}
		_nsiso_is_live_holder "$pid" || continue
		find "/proc/$pid/fd" -mindepth 1 -lname "$1" 2>/dev/null | grep -q . && printf '%s\n' "$pid"
	done
	return 0
}

# ---------------------------------------------------------------------------
# Sessions held open: pamtester SVC USER open_session close_session, where
# SVC has adv_hold_line after the module.  The hold script (root, in the
# session) writes $T/hold.ready.KEY and waits for a line on the FIFO
# $T/hold.go.KEY; KEY comes through the PAM environment (pamtester -E).
# ---------------------------------------------------------------------------

declare -A ADV_HOLD_PID=()

adv_hold_line() {
	if [ ! -x "$T/hold" ]; then
		cat >"$T/hold" <<-HOLD
			#!/bin/sh
			[ "\$PAM_TYPE" = open_session ] && [ -n "\${ADV_HOLD:-}" ] || exit 0
			exec 3<>$T/hold.go.\$ADV_HOLD
			echo "\$(readlink /proc/self/ns/pid)" >$T/hold.ready.\$ADV_HOLD
			read -r go <&3
		HOLD
		chmod 0755 "$T/hold"
	fi
	printf 'session required pam_exec.so %s\n' "$T/hold"
}

# adv_nested_sshd: for a session nested inside an SSH login: a setuid
# pamtester, an isolated sshd for a test user A (the shipped isolate
# uts,ipc,mnt,pid,cgroup; memory 256M, tasks 100), and SVC_N, a service of
# the module and then the hold script as root (seteuid: the setuid
# pamtester's real uid is A's), run with ADV_HOLD=n and held until
# adv_release_nested (also at exit); and $PUB/logout, a FIFO an outer login
# of A's waits on (adv_nested_login) until a line is written to it.
adv_nested_sshd() {
	adv_setuid_pamtester
	nsiso_isolated_sshd "isolate uts,ipc,mnt,pid,cgroup
memory 256M
tasks 100"
	A=$NSISO_SSH_USER
	adv_hold_line >/dev/null	# writes $T/hold
	SVC_N=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so seteuid $T/hold
session optional pam_permit.so")
	mkfifo -m 0600 "$T/hold.go.n"
	nsiso_on_exit adv_release_nested
	mkfifo -m 0666 "$PUB/logout"
	nsiso_on_exit rm -f "$PUB/logout"
}

# adv_nested_login SVC OUT: print the PID of A's SSH login (nsiso_ssh_bg,
# its output in OUT) that starts the setuid pamtester on SVC in the
# background (ADV_HOLD=n, a session nested in the login), then waits for a
# line on $PUB/logout and logs out.
adv_nested_login() {
	nsiso_ssh_bg "$2" "setsid $PUB/pamtester -E ADV_HOLD=n $1 $A open_session close_session \
</dev/null >/dev/null 2>&1 & read -r go <$PUB/logout; echo outer-out"
}
adv_release_nested() { [ -p "$T/hold.go.n" ] && echo go 1<>"$T/hold.go.n"; return 0; }

# adv_hold_service: print the name of a new pamtester service: the module,
# adv_hold_line, and pam_permit (optional).
adv_hold_service() {
	nsiso_make_pam_service "$(nsiso_module_line)
$(adv_hold_line)
session optional pam_permit.so"
}

# adv_hold_open KEY SVC USER [PAMTESTER_OPTS...]: start the session in the
# background (ADV_HOLD_PID[KEY]) and wait up to NSISO_WAIT_S until it is open;
# returns 1 if it did not open (pamtester's output: $T/hold.out.KEY).
adv_hold_open() {
	local key=$1 svc=$2 user=$3 pid
	shift 3
	rm -f -- "$T/hold.ready.$key" "$T/hold.go.$key"
	mkfifo -m 0600 "$T/hold.go.$key" || return 1
	pamtester -E "ADV_HOLD=$key" "$@" "$svc" "$user" open_session close_session \
		>"$T/hold.out.$key" 2>&1 &
	pid=$!
	ADV_HOLD_PID[$key]=$pid
	nsiso_on_exit _adv_hold_end "$key" "$pid:$(_nsiso_starttime "$pid")"
	nsiso_wait_until "$NSISO_WAIT_S" _adv_hold_settled "$key" "$pid" && [ -s "$T/hold.ready.$key" ]
}
_adv_hold_settled() { [ -s "$T/hold.ready.$1" ] || ! _nsiso_alive "$2"; }

# Cleanup: release the session (never blocks: the FIFO is opened read-write),
# then make sure its pamtester is gone.
_adv_hold_end() {
	[ -p "$T/hold.go.$1" ] && echo go 1<>"$T/hold.go.$1"
	nsiso_wait_until 10 _nsiso_all_gone "$2" || _nsiso_terminate "$2"
	wait "${2%%:*}" 2>/dev/null
	return 0
}

# adv_hold_close KEY: release the session and wait up to NSISO_WAIT_S for pamtester
# to exit; ADV_HOLD_RC is its status (124 if it did not exit).
# shellcheck disable=SC2034 # ADV_HOLD_RC is for the caller
adv_hold_close() {
	local key=$1 pid=${ADV_HOLD_PID[$1]}
	echo go 1<>"$T/hold.go.$key"
	ADV_HOLD_RC=124
	nsiso_wait_pid "$pid" || return 1
	wait "$pid"
	ADV_HOLD_RC=$?
}

# adv_take_private_tmp_bases_away: for a test that plants where root makes
# the private /tmp bases.  They are shared by the machine's private_tmp
# sessions: removed only when they are root's and empty (no session uses
# them); the product makes them again on demand.
adv_take_private_tmp_bases_away() {
	local b
	for b in /tmp/.nsiso-tmp /var/tmp/.nsiso-tmp; do
		[ -e "$b" ] || [ -L "$b" ] || continue
		[ "$(stat -c '%U %F' "$b")" = "root directory" ] && rmdir "$b" 2>/dev/null && continue
		nsiso_die "$b is in use or not ours ($(ls -la "$b" 2>&1 | tr '\n' ' ')): cannot test planting"
	done
}
