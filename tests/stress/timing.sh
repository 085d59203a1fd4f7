#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Timing of open, close and teardown through the real libpam, measured by
# tests/build/nsiso-pamtime (tests/stress/pamtime.c: one child process per
# session, as sshd has one monitor per login; clock_gettime around
# pam_open_session and pam_close_session; teardown = from the start of the
# close until the session's record, and after the user's last session its
# cgroup, are gone).
#
#   1. close with NSISO_TIMING_LIVE (50) sessions of the user open, over
#      NSISO_TIMING_ROUNDS (200) closes, each followed by a new open
#   2. teardown of the user's only session (so the cgroup goes too) when the
#      session has a process that ignores SIGHUP and SIGTERM, one stopped
#      with SIGSTOP, and one in D state (a vfork parent whose child stopped
#      before exec), NSISO_TIMING_TEARDOWNS (30) times each
# Figures are printed; only generous bounds are asserted (every open and
# close succeeds, every teardown ends within 10 s, the processes really
# were in the wanted state, nothing is left at the end).
set -u
. "$(dirname "$0")/../lifecycle/lib.bash"
LIVE=${NSISO_TIMING_LIVE:-50}
ROUNDS=${NSISO_TIMING_ROUNDS:-200}
TEARDOWNS=${NSISO_TIMING_TEARDOWNS:-30}
lc_begin --tool "$LC_PAMTIME" --tool "$LC_LCTOOL"
nsiso_write_conf "* cgroup_parent $LC_PARENT
$LC_USER isolate uts,ipc,mnt,pid
$LC_USER memory 2G
$LC_USER tasks 4000" >/dev/null
CG=$NSISO_CG_V1/memory/$LC_PARENT/user-$LC_UID

# pam_exec (as root, inside the new session, at open only): start one
# process of the user that will not go quietly, and wait (up to
# NSISO_WAIT_S) until it is in the wanted state; note what was seen in
# $T/states.
HOME_DIR=$(getent passwd "$LC_USER" | cut -d: -f6)
install -m 0755 "$LC_LCTOOL" "$HOME_DIR/nsiso-lctool"
cat >"$T/spawn" <<SPAWN
#!/bin/bash
as_user() { exec setpriv --reuid="\$PAM_USER" --regid="\$(id -g "\$PAM_USER")" --init-groups "\$@"; }
case \$1 in
hupterm) as_user sh -c "trap '' HUP TERM; while :; do sleep 1; done" </dev/null >/dev/null 2>&1 &
	pid=\$! ;;
stopped) as_user sleep 3000 </dev/null >/dev/null 2>&1 &
	pid=\$!; kill -STOP \$pid ;;
dstate) as_user $HOME_DIR/nsiso-lctool vfork-stop </dev/null >/dev/null 2>&1 &
	pid=\$! ;;
esac
while [ \$SECONDS -lt $NSISO_WAIT_S ]; do
	state=\$(sed 's/.*) \\(.\\).*/\\1/' /proc/\$pid/stat 2>/dev/null)
	ign=\$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/\$pid/status 2>/dev/null)
	case \$1:\$state in
	hupterm:S) [ \$((0x\$ign & 0x4001)) = \$((0x4001)) ] && break ;;
	stopped:T | dstate:D) break ;;
	esac
	sleep 0.01
done
echo "\$1 \$state \$ign" >>$T/states
SPAWN
chmod 0755 "$T/spawn"
install -d -m 0700 "$T/pam.d"
printf '%s\n' "$(nsiso_module_line)" >"$T/pam.d/plain"
for v in hupterm stopped dstate; do
	printf '%s\nsession required pam_exec.so type=open_session %s %s\n' \
		"$(nsiso_module_line)" "$T/spawn" "$v" >"$T/pam.d/$v"
done

# How many "variant state SigIgn" lines of $T/states show what was wanted:
# HUP and TERM ignored (mask 0x4001), stopped (T), or in D state.
in_wanted_state() {
	local v state ign n=0
	while read -r v state ign; do
		case $v:$state in
		hupterm:[RS]) [ $((0x$ign & 0x4001)) -eq $((0x4001)) ] && n=$((n + 1)) ;;
		stopped:T | dstate:D) n=$((n + 1)) ;;
		esac
	done
	echo "$n"
}

# pamtime SERVICE LIVE ROUNDS LABEL: run the driver, keep its figures.
pamtime() {
	local out rc
	out=$("$LC_PAMTIME" "$T/pam.d" "$1" "$LC_USER" "$2" "$3" "$LC_RUN" "$CG" 2>"$T/pamtime.err")
	rc=$?
	printf '%s\n' "$out" | sed "s/^/$4 /" >>"$T/figures"
	nsiso_assert_eq "$4: every open and close succeeded, every teardown within 10 s" 0 "$rc"
	[ "$rc" = 0 ] || cat "$T/pamtime.err" >&2
}

: >"$T/figures"
pamtime plain "$LIVE" "$ROUNDS" "live=$LIVE"
for v in hupterm stopped dstate; do
	: >"$T/states"
	pamtime "$v" 1 $((TEARDOWNS - 1)) "$v"
	nsiso_assert_eq "$v: every session had its process in the wanted state" \
		"$TEARDOWNS" "$(in_wanted_state <"$T/states")"
done
lc_nothing_left "after all timings"

sed 's/^/# /' "$T/figures"
[ -n "${NSISO_TIMING_FIGURES:-}" ] && cp "$T/figures" "$NSISO_TIMING_FIGURES"
exit 0
