#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# pamtester + pam_exec probes: a probe running after pam_nsiso in the
# session stack is inside the new namespaces and the user's limited cgroup;
# exempt and unmatched users are untouched; a bad conf fails the session.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup

USER1=$(nsiso_make_user) || nsiso_die "cannot create user"
EXEMPT=$(nsiso_make_user) || nsiso_die "cannot create user"
OTHER=$(nsiso_make_user) || nsiso_die "cannot create user"
PARENT=$(nsiso_cgroup_parent)
uid1=$(id -u "$USER1")

cat >"$T/probe" <<'PROBE'
#!/bin/sh
# Runs as root from pam_exec at open_session, inside whatever pam_nsiso made.
[ "$PAM_TYPE" = open_session ] || exit 0
out=$(dirname "$0")/probe.$PAM_USER
{
	echo "pid=$$"
	echo "host=$(hostname)"
	for ns in uts ipc mnt pid; do echo "ns_$ns=$(readlink /proc/self/ns/$ns)"; done
	echo "procs=$(ls -d /proc/[0-9]* | wc -l)"
	echo "cgroup=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)"
	echo "pids_cgroup=$(sed -n 's/^[0-9]*:pids://p' /proc/self/cgroup)"
} >"$out"
PROBE
chmod 0755 "$T/probe"

nsiso_write_conf "* cgroup_parent $PARENT
* isolate uts,ipc,mnt,pid
* memory 96M
* swap 16M
* tasks 50
* hostname s-%U
$EXEMPT exempt yes
$OTHER isolate none" >/dev/null
SVC=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so $T/probe")

probe() { sed -n "s/^$2=//p" "$T/probe.$1"; }

nsiso_assert_true "pamtester open+close for a configured user" \
	pamtester "$SVC" "$USER1" open_session close_session
for ns in uts ipc mnt pid; do
	nsiso_assert_false "probe in a new $ns namespace" \
		test "$(probe "$USER1" ns_$ns)" = "$(readlink /proc/self/ns/$ns)"
done
nsiso_assert_match "probe has a small PID" '^[0-9]$' "$(probe "$USER1" pid)"
nsiso_assert_match "probe's /proc has no host PIDs" '^[1-6]$' "$(probe "$USER1" procs)"
nsiso_assert_eq "hostname from template" "s-$uid1" "$(probe "$USER1" host)"
nsiso_assert_eq "probe in the user's memory cgroup" "/$PARENT/user-$uid1" "$(probe "$USER1" cgroup)"
nsiso_assert_eq "probe in the user's pids cgroup" "/$PARENT/user-$uid1" "$(probe "$USER1" pids_cgroup)"

# The limits are read while a session is open: pam_exec sleeping holds it.
cat >"$T/hold" <<HOLD
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
d=$NSISO_CG_V1/memory/$PARENT/user-$uid1
p=$NSISO_CG_V1/pids/$PARENT/user-$uid1
echo "\$(cat \$d/memory.limit_in_bytes) \$(cat \$d/memory.memsw.limit_in_bytes) \$(cat \$p/pids.max)" >$T/limits
HOLD
chmod 0755 "$T/hold"
SVC2=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so $T/hold")
nsiso_assert_true "pamtester with limit probe" pamtester "$SVC2" "$USER1" open_session close_session
nsiso_assert_eq "v1 limits: memory, memory+swap, tasks" \
	"$((96 << 20)) $((112 << 20)) 50" "$(cat "$T/limits")"

nsiso_assert_true "exempt user: session opens" pamtester "$SVC" "$EXEMPT" open_session close_session
for ns in uts pid mnt; do
	nsiso_assert_eq "exempt user stays in the host $ns namespace" \
		"$(readlink /proc/self/ns/$ns)" "$(probe "$EXEMPT" ns_$ns)"
done
nsiso_assert_true "user with isolate none: session opens" \
	pamtester "$SVC" "$OTHER" open_session close_session
nsiso_assert_eq "isolate none: host pid namespace" \
	"$(readlink /proc/self/ns/pid)" "$(probe "$OTHER" ns_pid)"
# isolate none with the conf's limits: a group while the session is open,
# removed by its reaper just after the close returns (not before it).
no_other_group() { [ ! -d "$(nsiso_user_cgroup "$PARENT" "$OTHER")" ]; }
nsiso_assert_true "isolate none: no cgroup left after the session" nsiso_wait_for no_other_group

nsiso_assert_true "after close: holder and cgroup gone" \
	nsiso_wait_for nsiso_session_gone "$USER1" "$PARENT"

# A conf error fails the session (and the probe never runs isolated).
nsiso_write_conf "* isolate uts
* colour blue" >/dev/null
nsiso_assert_false "bad conf: open_session fails" \
	pamtester "$SVC" "$USER1" open_session close_session
chmod 0666 "$T/nsiso.conf"
nsiso_write_conf "* isolate uts" >/dev/null
chmod 0666 "$T/nsiso.conf"
nsiso_assert_false "world-writable conf: open_session fails" \
	pamtester "$SVC" "$USER1" open_session close_session
