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

# adv_holders_of USER: live holders whose command line (the helper's) says
# --user USER; like nsiso_holders_of, but forks only per holder.
adv_holders_of() {
	local pid cmd state
	for pid in $(pgrep -x nsiso-holder); do
		state=$(_nsiso_stat_field "$pid" 3) || continue
		[ "$state" = Z ] && continue
		cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
		[[ $cmd == *" --user $1 "* ]] && printf '%s\n' "$pid"
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
