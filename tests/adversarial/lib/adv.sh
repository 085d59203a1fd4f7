# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# shellcheck shell=bash
#
# tests/adversarial/lib/adv.sh - shared by tests/adversarial/*.sh; sourced
# after tests/lib.sh and nsiso_setup.  (Not a test itself: tests/run only
# picks up tests/adversarial/*.sh.)
#
#   adv_public_dir            a root-owned 0755 /tmp/nsiso-adv-XXXXXX, removed at exit
#   adv_build_tools DIR       compile the test tools into DIR (spawn, probe,
#                             preload.so writing DIR/markers/preload)
#   adv_snapshot DIR          copy the built module and helper into DIR and
#                             point NSISO_MODULE and NSISO_HELPER at the copies
#   adv_as USER CMD...        run CMD as USER (setpriv: real and effective ids,
#                             the user's groups), environment kept
#   adv_log_none NAME REGEX   assert no syslog line since nsiso_log_mark matches
#   adv_has_leaf UID          true if a cgroup user-UID exists in memory or pids
#   adv_holders_of USER       live holders of USER, from the session records
#   adv_holders_in RUN_DIR    live holders that keep RUN_DIR open (no record needed)
#   adv_hold_line             a PAM line (pam_exec) that holds a session open
#   adv_hold_open KEY SVC USER [PAMTESTER_OPTS...]  pamtester session held open
#   adv_hold_close KEY        let it close; its status in ADV_HOLD_RC

ADV_SRC=$NSISO_TOP/tests/adversarial/tools

adv_public_dir() {
	local dir
	dir=$(mktemp -d /tmp/nsiso-adv-XXXXXX) || nsiso_die "mktemp failed"
	nsiso_on_exit _adv_remove_dir "$dir"
	chown root:root "$dir" && chmod 0755 "$dir" || nsiso_die "cannot set up $dir"
	printf '%s\n' "$dir"
}

_adv_remove_dir() {
	case $1 in
	/tmp/nsiso-adv-?*) rm -rf -- "$1" ;;
	*) _nsiso_warn "refusing to remove unexpected path '$1'" ;;
	esac
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
	nsiso_wait_log "$probe" 10 || { nsiso_fail "$name" "syslog barrier never arrived"; return 1; }
	if _nsiso_log_has "$regex"; then
		nsiso_fail "$name" "unexpected syslog line: $(tail -n "+$((NSISO_LOG_MARK + 1))" "$T/syslog.log" | grep -E -m1 -- "$regex")"
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

# adv_holders_of USER: live holders of USER's sessions, from the session
# records (nsiso_holders_of; a script whose run_dir= is elsewhere than $T/run
# or /run/nsiso adds it to NSISO_RUN_DIRS).
adv_holders_of() {
	nsiso_holders_of "$1"
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

# adv_poll TIMEOUT_S CMD...: like nsiso_wait_until, polling every 10 ms.
adv_poll() {
	local end=$(($(_nsiso_now_us) + $1 * 1000000))
	shift
	while ! "$@"; do
		[ "$(_nsiso_now_us)" -lt "$end" ] || return 1
		sleep 0.01
	done
}

# adv_start_syslog: nsiso_start_syslog, after waiting up to 60 s for another
# test's listener (another checkout's run on this machine) to let go of
# /dev/log.
_adv_devlog_free() { [ ! -e /dev/log ] && [ ! -L /dev/log ]; }
adv_start_syslog() {
	nsiso_wait_until 60 _adv_devlog_free
	nsiso_start_syslog
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

# adv_hold_open KEY SVC USER [PAMTESTER_OPTS...]: start the session in the
# background (ADV_HOLD_PID[KEY]) and wait up to 30 s until it is open;
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
	nsiso_wait_until 30 _adv_hold_settled "$key" "$pid" && [ -s "$T/hold.ready.$key" ]
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

# adv_hold_close KEY: release the session and wait up to 30 s for pamtester
# to exit; ADV_HOLD_RC is its status (124 if it did not exit).
# shellcheck disable=SC2034 # ADV_HOLD_RC is for the caller
adv_hold_close() {
	local key=$1 pid=${ADV_HOLD_PID[$1]}
	echo go 1<>"$T/hold.go.$key"
	ADV_HOLD_RC=124
	nsiso_wait_pid "$pid" 30 || return 1
	wait "$pid"
	ADV_HOLD_RC=$?
}
