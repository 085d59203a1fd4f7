# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# shellcheck shell=sh
# The check-v2 cases, run by /init inside the VM (busybox sh, as root, on a
# pure cgroup v2 hierarchy).  Never run on the host.
#
# Sessions are opened with pamtester; a pam_exec probe after pam_nsiso in the
# session stack runs inside the new namespaces and the user's cgroup and
# writes what it sees to /tmp/v2/probe.<service> (the same file system is
# seen from the host namespace).  One line per assertion on fd 9:
#   PASS <name> | FAIL <name>: <reason> | LOG <text>
USER_NAME=alice
USER_ID=1000
PARENT=nsiso/ci				# two levels: every ancestor must be set up
CG=/sys/fs/cgroup
LEAF=$CG/$PARENT/user-$USER_ID
MEMORY=$((64 << 20))
SWAP=$((16 << 20))
TASKS=50
W=/tmp/v2
failed=0

say() { printf '%s\n' "$*" >&9; }
pass() { say "PASS $1"; }
fail() { say "FAIL $1: $2"; failed=1; }
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$2', got '$3'"; fi
}
check_ne() {
	if [ "$2" != "$3" ]; then pass "$1"; else fail "$1" "both are '$2'"; fi
}
check_true() {
	name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name" "not true: $*"; fi
}
check_ge() {
	case $3 in
	'' | *[!0-9]*) fail "$1" "expected a number >= $2, got '$3'" ;;
	*) if [ "$3" -ge "$2" ]; then pass "$1"; else fail "$1" "expected >= $2, got $3"; fi ;;
	esac
}
# How long to wait for something that must happen: the VM is emulated (TCG),
# on a host that may be loaded and slow; a wait ends when its condition holds.
WAIT_S=60
# wait_until SECONDS CMD...: poll every 0.1 s; when it gives up, log what the
# session's leaf and holders looked like.
wait_until() {
	s=$1
	n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		usleep 100000
		n=$((n - 1))
	done
	"$@" && return 0
	say "LOG gave up after $s s waiting for: $*; saw: leaf $(ls -d "$LEAF" 2>&1), holders '$(holders | tr '\n' ' ')'"
	return 1
}
probe() { sed -n "s/^$2=//p" "$W/probe.$1" 2>/dev/null; }
has_word() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }
holders() {
	for f in /proc/[0-9]*/comm; do
		[ "$(cat "$f" 2>/dev/null)" = nsiso-holder ] && echo "${f%/comm}"
	done
}
no_holders() { [ -z "$(holders)" ]; }
leaf_gone() { [ ! -d "$LEAF" ]; }
# What keeps a leaf, for the log when leaf_gone fails.
leaf_state() {
	[ -d "$LEAF" ] || { echo gone; return; }
	echo "procs='$(procs_of "$LEAF")' $(tr '\n' ' ' <"$LEAF/cgroup.events")" \
		"shmem=$(awk '$1 == "shmem" {print $2}' "$LEAF/memory.stat")" \
		"swap=$(cat "$LEAF/memory.swap.current" 2>/dev/null)" \
		"reapers='$(for f in /proc/[0-9]*/comm; do [ "$(cat "$f" 2>/dev/null)" = nsiso-reaper ] && echo "${f%/comm}"; done | tr '\n' ' ')'"
}
line_in() { printf '%s\n' "$2" | grep -qx "$1"; }
# Processes directly in a cgroup (cgroup.procs), as one line.
procs_of() { tr '\n' ' ' <"$1/cgroup.procs" | sed 's/ *$//'; }

mkdir -p $W /etc/security/nsiso.d /etc/pam.d
# The cases' own files (probe reports, pamtester output) are written from
# inside the user's cgroup.  On a tmpfs they would be memory the user left
# behind, which keeps the user's group (see the tmpfs case below): ramfs
# pages are charged as file pages, not as shared memory.
mount -t ramfs -o mode=0755 ramfs $W
say "LOG uptime at start of cases: $(cut -d' ' -f1 /proc/uptime)s"

# ---- the system ------------------------------------------------------------

check_eq "boot: /sys/fs/cgroup is cgroup2 (statfs magic)" 63677270 "$(stat -f -c %t $CG)"
check_eq "boot: no cgroup v1 hierarchy mounted" 0 "$(grep -c ' cgroup ' /proc/mounts)"
check_true "boot: memory and pids controllers available" \
	has_word "$(cat $CG/cgroup.controllers)" memory
check_true "boot: pids controller available" has_word "$(cat $CG/cgroup.controllers)" pids

# How libcgroup 2.0.2 sees a pure v2 system (common/cgroup.c relies on it).
cgprobe >$W/cgprobe 2>&1
check_eq "libcgroup: cgroup_init succeeds" 0 "$(sed -n 's/^init=//p' $W/cgprobe)"
check_eq "libcgroup: memory mount point is the unified mount" $CG \
	"$(sed -n 's/^memory=//p' $W/cgprobe)"
check_eq "libcgroup: pids mount point is the unified mount" $CG \
	"$(sed -n 's/^pids=//p' $W/cgprobe)"

# libcgroup alone on a fresh hierarchy (nothing enabled in the root's
# subtree_control yet): shown for the record, not asserted.
say "LOG libcgroup alone, fresh root: $(cgprobe create cgprobe/a/leaf 33554432 7 2>&1 |
	grep -v '^init=\|^memory=\|^pids=' | tr '\n' ' ')"
say "LOG   root subtree_control after it: '$(cat $CG/cgroup.subtree_control)'"
rmdir $CG/cgprobe/a/leaf $CG/cgprobe/a $CG/cgprobe 2>/dev/null
# Whatever it did, start the sessions from a root with nothing enabled, so
# that what follows proves pam_nsiso's own doing.
[ -z "$(cat $CG/cgroup.subtree_control)" ] ||
	echo "-memory -pids" >$CG/cgroup.subtree_control
check_eq "before any session: nothing enabled in the root's subtree_control" "" \
	"$(cat $CG/cgroup.subtree_control)"

# ---- conf, PAM services and the probe ------------------------------------

cat >/etc/security/nsiso.conf <<EOF
* cgroup_parent $PARENT
* isolate uts,ipc,mnt,pid
* memory 64M
* swap 16M
* tasks $TASKS
* hostname v2-%U
EOF
chmod 0644 /etc/security/nsiso.conf

for svc in v2-probe v2-oom v2-pids v2-hold-a v2-hold-b v2-hold-c v2-leave v2-cpu v2-io; do
	cat >/etc/pam.d/$svc <<EOF
auth required pam_permit.so
account required pam_permit.so
session required pam_nsiso.so helper=/usr/libexec/nsiso-helper
session required pam_exec.so $W/probe
EOF
done

cat >$W/probe <<'PROBE'
#!/bin/sh
# pam_exec, as root, at open_session, after pam_nsiso: inside the session.
[ "$PAM_TYPE" = open_session ] || exit 0
W=/tmp/v2
out=$W/probe.$PAM_SERVICE
cg=$(sed -n 's/^0:://p' /proc/self/cgroup)
d=/sys/fs/cgroup$cg
{
	echo "pid=$$"
	echo "host=$(hostname)"
	for ns in uts ipc mnt pid; do echo "ns_$ns=$(readlink /proc/self/ns/$ns)"; done
	echo "procs=$(ls -d /proc/[0-9]* | wc -l)"
	echo "pid1=$(cat /proc/1/comm)"
	echo "cgroup=$cg"
	echo "cgroup_lines=$(wc -l </proc/self/cgroup)"
	echo "memory_max=$(cat "$d/memory.max")"
	echo "swap_max=$(cat "$d/memory.swap.max")"
	echo "pids_max=$(cat "$d/pids.max")"
	echo "memory_high=$(cat "$d/memory.high")"
	echo "cpu_max=$(cat "$d/cpu.max" 2>/dev/null)"
	echo "cpu_weight=$(cat "$d/cpu.weight" 2>/dev/null)"
	echo "io_weight=$(cat "$d/io.weight" 2>/dev/null | head -n 1)"
	echo "leaf_type=$(cat "$d/cgroup.type")"
	echo "leaf_subtree=$(cat "$d/cgroup.subtree_control")"
	echo "leaf_controllers=$(cat "$d/cgroup.controllers")"
	case $PAM_SERVICE in
	v2-oom)
		memhog 200 >/dev/null 2>&1
		echo "hog_rc=$?"
		echo "oom_kill=$(sed -n 's/^oom_kill //p' "$d/memory.events")"
		echo "still_here=yes"
		;;
	v2-pids)
		# More processes than pids.max allows: some forks must fail.
		(
			i=0
			while [ $i -lt 80 ]; do
				sleep 60 &
				i=$((i + 1))
			done
		) >/dev/null 2>&1
		echo "pids_current=$(cat "$d/pids.current")"
		echo "pids_events_max=$(sed -n 's/^max //p' "$d/pids.events")"
		kill $(pidof sleep) 2>/dev/null
		;;
	esac
} >"$out.tmp" 2>&1
mv "$out.tmp" "$out"
case $PAM_SERVICE in
v2-hold-*)
	# Hold the session open until the test says so.
	touch "$W/ready.$PAM_SERVICE"
	read -r _ <"$W/fifo.$PAM_SERVICE"
	;;
esac
exit 0
PROBE
chmod 0755 $W/probe

# ---- one session: namespaces, cgroup, limits, layout ---------------------

rc=0
pamtester v2-probe $USER_NAME open_session close_session >$W/pamtester.probe 2>&1 9>&- || rc=$?
check_eq "pamtester open+close succeeds" 0 "$rc"
[ "$rc" = 0 ] || say "LOG pamtester: $(tr '\n' ' ' <$W/pamtester.probe)"
for ns in uts ipc mnt pid; do
	check_ne "session in a new $ns namespace" "$(readlink /proc/self/ns/$ns)" \
		"$(probe v2-probe ns_$ns)"
done
check_eq "session's PID 1 is the holder" nsiso-holder "$(probe v2-probe pid1)"
p=$(probe v2-probe procs)
case $p in
[1-6]) pass "session's /proc has no host PIDs ($p entries)" ;;
*) fail "session's /proc has no host PIDs" "$p entries" ;;
esac
check_eq "host name from the template" v2-$USER_ID "$(probe v2-probe host)"
check_eq "session in the user's cgroup (0:: line)" "/$PARENT/user-$USER_ID" \
	"$(probe v2-probe cgroup)"
check_eq "only the unified hierarchy in /proc/self/cgroup" 1 "$(probe v2-probe cgroup_lines)"
check_eq "memory.max equals the conf (64M)" $MEMORY "$(probe v2-probe memory_max)"
check_eq "memory.swap.max equals the conf (16M)" $SWAP "$(probe v2-probe swap_max)"
check_eq "pids.max equals the conf" $TASKS "$(probe v2-probe pids_max)"
check_eq "memory.high is max without memory_high" max "$(probe v2-probe memory_high)"
check_eq "no cpu.max without a cpu rule (cpu not enabled)" "" "$(probe v2-probe cpu_max)"
check_eq "user's cgroup is a domain leaf" domain "$(probe v2-probe leaf_type)"
check_eq "nothing enabled below the leaf (subtree_control empty)" "" \
	"$(probe v2-probe leaf_subtree)"
for c in memory pids; do
	check_true "leaf has the $c controller" has_word "$(probe v2-probe leaf_controllers)" $c
done
dir=$CG
rel=
for part in '' nsiso ci; do
	[ -n "$part" ] && dir=$dir/$part && rel=$rel/$part
	for c in memory pids; do
		check_true "+$c in subtree_control of ${rel:-the root}" \
			has_word "$(cat "$dir/cgroup.subtree_control")" $c
	done
done
check_true "after close: the user's cgroup is removed" wait_until $WAIT_S leaf_gone
say "LOG leaf after close: $(leaf_state)"
check_true "after close: no holder left" wait_until $WAIT_S no_holders

# ---- the broker, on pure v2 -----------------------------------------------
# A service whose helper= names nothing: only the broker can set the session
# up, so a session proves it did, and without the broker the login fails.
cat >/etc/pam.d/v2-brk <<BRK
auth required pam_permit.so
account required pam_permit.so
session required pam_nsiso.so helper=/nonexistent/nsiso-helper broker=/run/nsiso/broker.sock
session required pam_exec.so $W/probe
BRK
/usr/libexec/nsiso-helper broker </dev/null >/dev/null 2>&1 9>&- &
broker=$!
check_true "broker: listening on /run/nsiso/broker.sock" wait_until $WAIT_S test -S /run/nsiso/broker.sock
rm -f $W/probe.v2-brk
rc=0
pamtester v2-brk $USER_NAME open_session close_session >$W/pamtester.brk 2>&1 9>&- || rc=$?
check_eq "broker: pamtester open+close succeeds (no helper to exec)" 0 "$rc"
[ "$rc" = 0 ] || say "LOG pamtester: $(tr '\n' ' ' <$W/pamtester.brk)"
check_eq "broker: session's PID 1 is the holder" nsiso-holder "$(probe v2-brk pid1)"
check_ne "broker: session in a new PID namespace" "$(readlink /proc/self/ns/pid)" \
	"$(probe v2-brk ns_pid)"
check_eq "broker: session in the user's cgroup (0:: line)" "/$PARENT/user-$USER_ID" \
	"$(probe v2-brk cgroup)"
check_eq "broker: memory.max equals the conf (64M)" $MEMORY "$(probe v2-brk memory_max)"
check_true "broker: after close the user's cgroup is removed" wait_until $WAIT_S leaf_gone
check_true "broker: after close no holder left" wait_until $WAIT_S no_holders
kill -9 $broker
wait $broker 2>/dev/null
rc=0
pamtester v2-brk $USER_NAME open_session close_session >$W/pamtester.brk 2>&1 9>&- || rc=$?
check_ne "broker killed: the same service fails (its helper is missing)" 0 "$rc"
rm -f /etc/pam.d/v2-brk /run/nsiso/broker.sock /run/nsiso/broker.lock

# ---- a cgroup-only session: its reaper holds it, no holder ----------------
# With isolate none the session's one process is its reaper: the record
# names it, it is in the user's group (v2: the group itself, the members'
# way in is cgroup.procs), and it ends the session at the close.
cp /etc/security/nsiso.conf $W/nsiso.conf.full
sed 's/^\* isolate .*/* isolate none/' $W/nsiso.conf.full >/etc/security/nsiso.conf
mkfifo $W/fifo.v2-hold-c
pamtester v2-hold-c $USER_NAME open_session close_session >$W/pamtester.c 2>&1 9>&- &
held=$!
check_true "cgroup only: the session opens (held)" wait_until $WAIT_S test -e $W/ready.v2-hold-c
rec=$(grep -l -x "user=$USER_NAME" /run/nsiso/*.session 2>/dev/null | head -n 1)
reaper=$(sed -n 's/^holder=//p' "${rec:-/dev/null}")
check_eq "cgroup only: the record names the session's reaper" nsiso-reaper \
	"$(cat /proc/${reaper:-0}/comm 2>/dev/null)"
check_eq "cgroup only: no holder" "" "$(holders)"
check_true "cgroup only: the reaper is in the user's group" line_in "${reaper:-none}" \
	"$(cat $LEAF/cgroup.procs 2>/dev/null)"
check_eq "cgroup only: the application in the user's cgroup (0:: line)" \
	"/$PARENT/user-$USER_ID" "$(probe v2-hold-c cgroup)"
echo go >$W/fifo.v2-hold-c
rc=0
wait $held || rc=$?
check_eq "cgroup only: pamtester open+close succeeds" 0 "$rc"
reaper_gone() { ! grep -qs nsiso-reaper /proc/${reaper:-0}/comm || grep -qs '^State:.*Z' /proc/$reaper/status; }
check_true "cgroup only: after close the user's cgroup is removed" wait_until $WAIT_S leaf_gone
check_true "cgroup only: after close the reaper has ended" wait_until $WAIT_S reaper_gone
cp $W/nsiso.conf.full /etc/security/nsiso.conf

# ---- M7: a session's namespaces count against its user --------------------
# A user can keep a session's namespaces past its end (an fd of
# /proc/PID/ns/... of their own process; here a sleep with it as stdin).
# Each counts, while it lives, against the per-uid limit of the effective
# uid that made it: made by the helper as root, enough kept ones used up
# root's, and every namespace root made after failed.  Now they count
# against the session's user, and a broker's holders made ahead against a
# uid of their own (helper/nscharge.h).  user.max_uts_namespaces is lowered
# to what is in use plus 8 (root here has CAP_SYS_RESOURCE; the project's
# test machines do not, hence this case is here).
LIMIT=/proc/sys/user/max_uts_namespaces
OLD_LIMIT=$(cat $LIMIT)
HOST_UTS=$(readlink /proc/self/ns/uts)
in_use=$(for f in /proc/[0-9]*/ns/uts; do readlink "$f"; done 2>/dev/null | sort -u | grep -cvx "$HOST_UTS")
K=$((in_use + 8))
KEPT=""
cat >/etc/pam.d/v2-hold-k <<KBRK
auth required pam_permit.so
account required pam_permit.so
session required pam_nsiso.so helper=/usr/libexec/nsiso-helper broker=/run/nsiso/broker.sock
session required pam_exec.so $W/probe
KBRK
keep_settled() { [ -e "$W/ready.$1" ] || ! kill -0 "$kpt" 2>/dev/null; }
# keep SERVICE: a session of alice's held open, its UTS namespace kept by
# a sleep, the session closed; false when it did not open.
keep() {
	rm -f "$W/ready.$1" "$W/probe.$1"
	[ -p "$W/fifo.$1" ] || mkfifo "$W/fifo.$1"
	pamtester "$1" $USER_NAME open_session close_session >$W/pamtester.keep 2>&1 9>&- &
	kpt=$!
	wait_until $WAIT_S keep_settled "$1"
	if [ ! -e "$W/ready.$1" ]; then
		wait $kpt
		return 1
	fi
	for h in $(holders); do
		[ "$(readlink "$h/ns/pid")" = "$(probe "$1" ns_pid)" ] || continue
		sleep 3600 <"$h/ns/uts" 9>&- &
		KEPT="$KEPT $!"
	done
	echo go >"$W/fifo.$1"
	wait $kpt
}
kept() { echo $KEPT | wc -w; }
drop_kept() {
	for p in $KEPT; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	KEPT=""
}
root_unshares() { unshare -u true 2>/dev/null; }
bob_isolated() {
	rm -f $W/probe.v2-probe
	pamtester v2-probe bob open_session close_session >/dev/null 2>&1 9>&- &&
		[ -n "$(probe v2-probe ns_uts)" ] && [ "$(probe v2-probe ns_uts)" != "$HOST_UTS" ]
}
if echo $K >$LIMIT; then
	i=0
	while [ $i -lt 8 ] && keep v2-hold-a; do i=$((i + 1)); done
	check_eq "kept namespaces: 8 of alice's ended sessions kept" 8 "$(kept)"
	check_true "kept namespaces: root can still make a UTS namespace (limit $K, $in_use in use)" \
		root_unshares
	check_true "kept namespaces: bob's login is still isolated" bob_isolated
	refused=0
	while [ $i -lt $((K + 2)) ]; do
		keep v2-hold-a || { refused=1; break; }
		i=$((i + 1))
	done
	check_eq "kept namespaces: alice is refused once her own reach the limit" "1 $K" "$refused $(kept)"
	check_true "kept namespaces: the refusal says why" \
		grep -q "cannot create the session's namespaces: No space left on device" /var/log/messages
	check_true "kept namespaces: root still can" root_unshares
	check_true "kept namespaces: bob's login is still isolated then" bob_isolated
	drop_kept
	# Via a broker: its holders made ahead count against a uid of their
	# own; once that is used up the worker makes each at its login.
	/usr/libexec/nsiso-helper broker </dev/null >/dev/null 2>&1 9>&- &
	broker=$!
	wait_until $WAIT_S test -S /run/nsiso/broker.sock
	i=0
	while [ $i -lt $((K + 4)) ] && keep v2-hold-k; do i=$((i + 1)); done
	check_eq "kept namespaces, broker: $((K + 4)) of alice's ended sessions kept" $((K + 4)) "$(kept)"
	check_true "kept namespaces, broker: root can still make a UTS namespace" root_unshares
	check_true "kept namespaces, broker: bob's login is still isolated" bob_isolated
	drop_kept
	kill -9 $broker
	wait $broker 2>/dev/null
	rm -f /etc/pam.d/v2-hold-k /run/nsiso/broker.sock /run/nsiso/broker.lock
	echo "$OLD_LIMIT" >$LIMIT
else
	fail "kept namespaces: cannot lower $LIMIT" "root lacks CAP_SYS_RESOURCE in the VM"
fi

# What common/cgroup.c leaves to libcgroup, once the root has the
# controllers: creating a group with values, and attaching a process.
cgprobe create cgprobe2/leaf 33554432 7 >$W/cgprobe2 2>&1
check_eq "libcgroup: cgroup_create_cgroup succeeds on v2" "0 ok" \
	"$(sed -n 's/^create=//p' $W/cgprobe2)"
check_eq "libcgroup: cgroup_create_cgroup writes memory.max" 33554432 \
	"$(cat $CG/cgprobe2/leaf/memory.max 2>&1)"
check_eq "libcgroup: cgroup_create_cgroup writes pids.max" 7 "$(cat $CG/cgprobe2/leaf/pids.max 2>&1)"
check_eq "libcgroup: cgroup_attach_task_pid succeeds on v2" "0 ok" \
	"$(sed -n 's/^attach=//p' $W/cgprobe2)"
check_eq "libcgroup: cgroup_attach_task_pid writes cgroup.procs" /cgprobe2/leaf \
	"$(sed -n 's/^self=//p' $W/cgprobe2)"
rmdir $CG/cgprobe2/leaf $CG/cgprobe2

# ---- a memory hog in a session is OOM-killed, the session survives -------

rc=0
pamtester v2-oom $USER_NAME open_session close_session >$W/pamtester.oom 2>&1 9>&- || rc=$?
check_eq "OOM session: open+close succeeds" 0 "$rc"
check_eq "OOM: memhog over memory.max is killed (137)" 137 "$(probe v2-oom hog_rc)"
check_ge "OOM: memory.events oom_kill >= 1" 1 "$(probe v2-oom oom_kill)"
check_eq "OOM: only the hog is killed (the probe goes on)" yes "$(probe v2-oom still_here)"
check_true "OOM: cgroup removed after close" wait_until $WAIT_S leaf_gone
# The reaper's line, from memory.events (POLLPRI) and the kernel's report.
OOM_LINE="nsiso-helper\[[0-9]*\]: user $USER_NAME (uid $USER_ID): memhog (pid [0-9]*) killed by the OOM killer at the memory limit 64M of cgroup $PARENT/user-$USER_ID\$"
oom_logged() { grep -q "$OOM_LINE" /var/log/messages; }
check_true "OOM: the kill is logged by the reaper" wait_until $WAIT_S oom_logged
check_true "OOM: no holder left" wait_until $WAIT_S no_holders
check_eq "OOM: logged once" 1 "$(grep -c "$OOM_LINE" /var/log/messages)"
check_true "OOM: the user's OOM history went with the group" test ! -e /run/nsiso/user-$USER_ID.oom

# ---- pids.max is enforced -------------------------------------------------

rc=0
pamtester v2-pids $USER_NAME open_session close_session >$W/pamtester.pids 2>&1 9>&- || rc=$?
check_eq "pids session: open+close succeeds" 0 "$rc"
check_ge "pids: forks beyond pids.max refused (pids.events max >= 1)" 1 \
	"$(probe v2-pids pids_events_max)"
p=$(probe v2-pids pids_current)
case $p in
'' | *[!0-9]*) fail "pids: pids.current never above pids.max" "got '$p'" ;;
*) if [ "$p" -le $TASKS ]; then pass "pids: pids.current never above pids.max ($p)"; else
	fail "pids: pids.current never above pids.max" "$p > $TASKS"; fi ;;
esac
check_true "pids: cgroup removed after close" wait_until $WAIT_S leaf_gone

# ---- two open sessions of one user share one cgroup ----------------------

mkfifo $W/fifo.v2-hold-a $W/fifo.v2-hold-b
pamtester v2-hold-a $USER_NAME open_session close_session >$W/pamtester.a 2>&1 9>&- &
pa=$!
wait_until $WAIT_S test -e $W/ready.v2-hold-a
pamtester v2-hold-b $USER_NAME open_session close_session >$W/pamtester.b 2>&1 9>&- &
pb=$!
if wait_until $WAIT_S test -e $W/ready.v2-hold-b; then
	pass "two sessions of one user open at once"
else
	fail "two sessions of one user open at once" "the second session never opened"
fi
check_eq "both sessions in the same cgroup" "$(probe v2-hold-a cgroup)" "$(probe v2-hold-b cgroup)"
procs=$(cat "$LEAF/cgroup.procs" 2>/dev/null)
check_true "first session's PAM application is in the leaf" line_in "$pa" "$procs"
check_true "second session's PAM application is in the leaf" line_in "$pb" "$procs"
check_ne "two sessions: separate PID namespaces" "$(probe v2-hold-a ns_pid)" \
	"$(probe v2-hold-b ns_pid)"
check_eq "no-internal-process rule: $PARENT has no processes" "" "$(procs_of $CG/$PARENT)"
check_eq "no-internal-process rule: nsiso has no processes" "" "$(procs_of $CG/nsiso)"

# nsisoctl status reads the v2 files (memory.max, pids.max, ...) itself.
if ! command -v nsisoctl >/dev/null; then
	fail "nsisoctl status" "nsisoctl is not in the VM (run-vm.sh puts the built one there)"
else
	nsisoctl status --json >$W/status.json 2>&1
	say "LOG nsisoctl status --json: $(tr -d '\n' <$W/status.json)"
	users=$(sed -n '/"users"/,$p' $W/status.json)
	json() { printf '%s\n' "$users" | grep -o "\"$1\": [^,}]*" | head -n 1 | sed 's/.*: //'; }
	check_eq "nsisoctl status: alice has 2 sessions" 2 "$(json sessions)"
	check_eq "nsisoctl status: cgroup" "\"$PARENT/user-$USER_ID\"" "$(json cgroup)"
	check_eq "nsisoctl status: memory limit from memory.max" $MEMORY "$(json memory_limit)"
	check_eq "nsisoctl status: tasks limit from pids.max" $TASKS "$(json tasks_limit)"
	check_ge "nsisoctl status: memory in use from memory.current" 1 "$(json memory_current)"
	check_ge "nsisoctl status: tasks from pids.current" 2 "$(json tasks_current)"
fi

# nsisoctl quota, run by alice: the v2 numbers, from a reaper of hers.
su -s /bin/sh alice -c 'nsisoctl quota --json' >$W/quota.json 2>&1 9>&-
rc=$?
say "LOG nsisoctl quota --json (alice): $(tr -d '\n' <$W/quota.json)"
check_eq "nsisoctl quota as alice: status 0" 0 "$rc"
q() { grep -o "\"$1\": [^,}]*" $W/quota.json | head -n 1 | sed 's/.*: //'; }
check_eq "quota: alice's uid" $USER_ID "$(q uid)"
check_eq "quota: memory limit from memory.max" $MEMORY "$(q memory_limit)"
check_eq "quota: swap limit from memory.swap.max" $SWAP "$(q swap_limit)"
check_eq "quota: tasks limit from pids.max" $TASKS "$(q tasks_limit)"
check_eq "quota: memory.high is max (null)" null "$(q memory_high)"
check_ge "quota: memory in use from memory.current" 1 "$(q memory_current)"
check_ge "quota: CPU used, from cpu.stat usage_usec" 1 "$(q cpu_usage_usec)"
check_eq "quota: two open sessions" 2 "$(q sessions_open)"
check_eq "quota: the socket is alice's, 0600" "$USER_ID 600" "$(stat -c '%u %a' /run/nsiso/user-$USER_ID.sock)"

echo go >$W/fifo.v2-hold-b
rc=0
wait $pb || rc=$?
check_eq "second session closes" 0 "$rc"
check_true "cgroup kept while the first session is open" test -d "$LEAF"
procs=$(cat "$LEAF/cgroup.procs" 2>/dev/null)
check_true "first session still in the leaf" line_in "$pa" "$procs"
check_eq "memory.max unchanged by the second session" $MEMORY "$(cat "$LEAF/memory.max" 2>/dev/null)"

echo go >$W/fifo.v2-hold-a
rc=0
wait $pa || rc=$?
check_eq "first session closes" 0 "$rc"
check_true "after the last close the cgroup is removed" wait_until $WAIT_S leaf_gone
check_true "after the last close no holder is left" wait_until $WAIT_S no_holders
check_eq "parent left in place, empty" "" "$(procs_of $CG/$PARENT)"

# ---- memory left behind in a tmpfs keeps counting ------------------------
# A session writes 1 MiB to a tmpfs (/tmp here) and ends: its pages stay
# charged to the user's group, so the group is kept (the next session joins
# it) instead of handing the charge to the parent.  Once the file is gone,
# the next session's end removes the group.
cat >$W/leave <<'LEAVE'
#!/bin/sh
[ "$PAM_TYPE" = open_session ] || exit 0
dd if=/dev/zero of=/tmp/v2-left bs=64k count=16 2>/dev/null
LEAVE
chmod 0755 $W/leave
echo "session required pam_exec.so $W/leave" >>/etc/pam.d/v2-leave
rc=0
pamtester v2-leave $USER_NAME open_session close_session >$W/pamtester.leave 2>&1 9>&- || rc=$?
check_eq "tmpfs: a session that leaves 1 MiB in /tmp opens and closes" 0 "$rc"
check_true "tmpfs: no holder left" wait_until 5 no_holders
usleep 500000	# the reaper's turn
check_true "tmpfs: the user's group is kept" test -d "$LEAF"
say "LOG tmpfs: leaf after close: $(leaf_state)"
check_ge "tmpfs: it still holds the 1 MiB (memory.stat shmem)" 1048576 \
	"$(awk '$1 == "shmem" {print $2}' "$LEAF/memory.stat" 2>/dev/null)"
rm -f /tmp/v2-left
rc=0
pamtester v2-probe $USER_NAME open_session close_session >$W/pamtester.after-leave 2>&1 9>&- || rc=$?
check_eq "tmpfs: the next session joins and closes" 0 "$rc"
check_true "tmpfs: with the file gone, that session's end removes the group" wait_until 5 leaf_gone

# ---- cpu, cpu_weight, io_weight, memory_high -----------------------------
# cpu 150% is cpu.max "150000 100000"; cpu_weight and io_weight go to
# cpu.weight and io.weight ("default N") as they are; memory_high to
# memory.high.  The cpu and io controllers are enabled on the way down only
# for a user with such a rule.

cp /etc/security/nsiso.conf $W/nsiso.conf.saved
printf '%s\n' '* cpu 150%' '* cpu_weight 300' '* memory_high 48M' >>/etc/security/nsiso.conf
say "LOG root cgroup.controllers: $(cat $CG/cgroup.controllers)"
check_true "boot: cpu controller available" has_word "$(cat $CG/cgroup.controllers)" cpu
rc=0
pamtester v2-cpu $USER_NAME open_session close_session >$W/pamtester.cpu 2>&1 9>&- || rc=$?
check_eq "cpu session: open+close succeeds" 0 "$rc"
check_eq "cpu.max: 150% of one CPU" "150000 100000" "$(probe v2-cpu cpu_max)"
check_eq "cpu.weight equals cpu_weight" 300 "$(probe v2-cpu cpu_weight)"
check_eq "memory.high equals memory_high (48M)" $((48 << 20)) "$(probe v2-cpu memory_high)"
check_eq "memory.max unchanged beside it" $MEMORY "$(probe v2-cpu memory_max)"
check_true "leaf has the cpu controller" has_word "$(probe v2-cpu leaf_controllers)" cpu
dir=$CG
rel=
for part in '' nsiso ci; do
	[ -n "$part" ] && dir=$dir/$part && rel=$rel/$part
	check_true "+cpu in subtree_control of ${rel:-the root}" \
		has_word "$(cat "$dir/cgroup.subtree_control")" cpu
done
check_true "cpu: cgroup removed after close" wait_until $WAIT_S leaf_gone
explain=$(nsisoctl explain $USER_NAME 2>&1)
say "LOG nsisoctl explain: $(printf '%s' "$explain" | tr '\n' '|')"
explain_has() { printf '%s\n' "$explain" | grep -q "$1"; }
explain_lacks() { ! explain_has "$1"; }
check_true "explain: memory_high shown" explain_has 'memory_high *50331648 bytes (48M)'
check_true "explain: no note about cgroup v1 on v2" explain_lacks 'no effect on cgroup v1'
check_true "explain: cpu shown" explain_has 'cpu *150% of one CPU'

# io_weight: io.weight where the io controller is there (blk-iocost gives
# the file); without it, the login is denied (on_error deny) with one line.
echo '* io_weight 50' >>/etc/security/nsiso.conf
marks=$(wc -l </var/log/messages)
rc=0
pamtester v2-io $USER_NAME open_session close_session >$W/pamtester.io 2>&1 9>&- || rc=$?
if has_word "$(cat $CG/cgroup.controllers)" io; then
	check_eq "io session: open+close succeeds" 0 "$rc"
	check_eq "io.weight: default 50" "default 50" "$(probe v2-io io_weight)"
	for part in '' /nsiso /nsiso/ci; do
		check_true "+io in subtree_control of ${part:-the root}" \
			has_word "$(cat "$CG$part/cgroup.subtree_control")" io
	done
else
	check_ne "no io controller: login denied" 0 "$rc"
	io_reason() {
		reason=$(tail -n +$((marks + 1)) /var/log/messages | grep pam_nsiso | grep -m1 'io_weight needs')
		[ -n "$reason" ]
	}
	check_true "no io controller: one clear log line" wait_until $WAIT_S io_reason
	say "LOG io: $reason"
fi
check_true "io: cgroup removed after close" wait_until $WAIT_S leaf_gone
cp $W/nsiso.conf.saved /etc/security/nsiso.conf

# ---- a parent that holds processes cannot get controllers ----------------
# v2's no-internal-process rule: memory and pids cannot be enabled in the
# subtree_control of a non-root cgroup that has processes of its own.  Such a
# cgroup_parent must deny the login with the kernel's reason, not break it.

mkdir -p $CG/nsiso/busy
sleep 600 &
squatter=$!
echo $squatter >$CG/nsiso/busy/cgroup.procs
sed -i "s|^\* cgroup_parent .*|* cgroup_parent nsiso/busy|" /etc/security/nsiso.conf
marks=$(wc -l </var/log/messages)
rc=0
pamtester v2-probe $USER_NAME open_session close_session >$W/pamtester.busy 2>&1 9>&- || rc=$?
check_ne "parent with a process of its own: login denied" 0 "$rc"
# syslogd writes asynchronously: wait for the line.
busy_reason() {
	reason=$(tail -n +$((marks + 1)) /var/log/messages | grep -E 'nsiso-helper|pam_nsiso' | grep -m1 'nsiso/busy')
	[ -n "$reason" ]
}
wait_until $WAIT_S busy_reason
say "LOG busy parent: $reason"
names_ebusy() { printf '%s\n' "$reason" | grep -q 'subtree_control.*[Bb]usy'; }
check_true "denied with the kernel's reason (EBUSY) in syslog" names_ebusy
check_true "no user cgroup made under the busy parent" test ! -d $CG/nsiso/busy/user-$USER_ID
check_eq "the squatter was left where it was" "$squatter" "$(procs_of $CG/nsiso/busy)"
kill $squatter
wait $squatter 2>/dev/null
rmdir $CG/nsiso/busy 2>/dev/null
sed -i "s|^\* cgroup_parent .*|* cgroup_parent $PARENT|" /etc/security/nsiso.conf

# ---- a cgroup namespace and a private /tmp ---------------------------------
# isolate ...,cgroup: the session's cgroup namespace is rooted at the user's
# group, so /proc/self/cgroup reads "0::/" and the session's own
# /sys/fs/cgroup (a cgroup2 mount made inside it) is the user's group alone.
# private_tmp yes: /tmp and /var/tmp are the user's, shared by the user's
# sessions, made in a root-only base that a user planted as a symbolic link
# before it existed, and removed after the user's last logout, before the
# user's group: the tmpfs pages written into /tmp do not keep the group.
# The probe and its reports live outside /tmp (the session's /tmp is its own).
V=/v2p
mkdir -p $V /v2victim /var/tmp
chmod 0755 /v2victim
chmod 1777 /var/tmp
mount -t ramfs -o mode=0755 ramfs $V
cat >/etc/security/nsiso.conf <<EOF
* cgroup_parent $PARENT
* isolate uts,ipc,mnt,pid,cgroup
* memory 64M
* swap 16M
* tasks $TASKS
* private_tmp yes
EOF
for svc in v2-pt-a v2-pt-b v2-pt-c; do
	cat >/etc/pam.d/$svc <<EOF
auth required pam_permit.so
account required pam_permit.so
session required pam_nsiso.so helper=/usr/libexec/nsiso-helper
session required pam_exec.so $V/probe
EOF
done
cat >$V/probe <<'PROBE'
#!/bin/sh
[ "$PAM_TYPE" = open_session ] || exit 0
V=/v2p
out=$V/probe.$PAM_SERVICE
{
	echo "cgroup=$(cat /proc/self/cgroup)"
	echo "pid1_cgroup=$(cat /proc/1/cgroup)"
	echo "cg_mounts=$(grep -c ' /sys/fs/cgroup cgroup2 ' /proc/self/mounts)"
	echo "cg_memory_max=$(cat /sys/fs/cgroup/memory.max)"
	echo "cg_has_self=$(grep -cx $$ /sys/fs/cgroup/cgroup.procs)"
	echo "cg_dirs=$(find /sys/fs/cgroup -mindepth 1 -type d | wc -l)"
	echo "cg_parent_seen=$(ls -d /sys/fs/cgroup/nsiso /sys/fs/cgroup/../cgroup/nsiso 2>/dev/null | wc -l)"
	echo "tmp=$(stat -c '%U %a' /tmp) $(awk '$5 == "/tmp" { r = $4 } END { print r }' /proc/self/mountinfo | grep -o '[.]nsiso-tmp/[0-9]*$')"
	echo "vartmp=$(stat -c '%U %a' /var/tmp) $(awk '$5 == "/var/tmp" { r = $4 } END { print r }' /proc/self/mountinfo | grep -o '[.]nsiso-tmp/[0-9]*$')"
	echo "tmp_list=$(ls -A /tmp | tr '\n' ' ')"
	echo "vartmp_list=$(ls -A /var/tmp | tr '\n' ' ')"
	echo "$PAM_SERVICE" >/tmp/pt-$PAM_SERVICE
	echo "$PAM_SERVICE" >/var/tmp/pt-$PAM_SERVICE
	dd if=/dev/zero of=/tmp/big-$PAM_SERVICE bs=64k count=16 2>/dev/null
} >"$out.tmp" 2>&1
mv "$out.tmp" "$out"
case $PAM_SERVICE in
v2-pt-a | v2-pt-c)
	touch "$V/ready.$PAM_SERVICE"
	read -r _ <"$V/fifo.$PAM_SERVICE"
	;;
esac
exit 0
PROBE
chmod 0755 $V/probe
ptprobe() { sed -n "s/^$2=//p" "$V/probe.$1" 2>/dev/null; }
BOB_LEAF=$CG/$PARENT/user-1001
PRIV=/tmp/.nsiso-tmp/$USER_ID
pt_gone() { [ ! -e $PRIV ] && [ ! -e /var/tmp/.nsiso-tmp/$USER_ID ] && ! ls -d $PRIV.gone.* >/dev/null 2>&1; }

# alice plants the base as a symbolic link to a root directory before any
# private_tmp session made it.
ln -s /v2victim /tmp/.nsiso-tmp
chown -h 1000:1000 /tmp/.nsiso-tmp
mkfifo $V/fifo.v2-pt-a $V/fifo.v2-pt-c
pamtester v2-pt-a $USER_NAME open_session close_session >$W/pamtester.pt-a 2>&1 9>&- &
pta=$!
if wait_until $WAIT_S test -e $V/ready.v2-pt-a; then
	pass "cgroupns/private tmp: a session opens (the planted base moved aside)"
else
	fail "cgroupns/private tmp: a session opens (the planted base moved aside)" \
		"$(tr '\n' ' ' <$W/pamtester.pt-a)"
fi
check_eq "cgroupns: /proc/self/cgroup reads 0::/" "0::/" "$(ptprobe v2-pt-a cgroup)"
check_eq "cgroupns: the holder (PID 1) is in the user's group too" "0::/" \
	"$(ptprobe v2-pt-a pid1_cgroup)"
check_eq "cgroupns: the session has its own cgroup2 mount" 1 "$(ptprobe v2-pt-a cg_mounts)"
check_eq "cgroupns: its /sys/fs/cgroup is the user's group (memory.max 64M)" $MEMORY \
	"$(ptprobe v2-pt-a cg_memory_max)"
check_eq "cgroupns: the probe is in its cgroup.procs" 1 "$(ptprobe v2-pt-a cg_has_self)"
check_eq "cgroupns: no other group below it" 0 "$(ptprobe v2-pt-a cg_dirs)"
check_eq "cgroupns: the parent is not reachable" 0 "$(ptprobe v2-pt-a cg_parent_seen)"
check_true "cgroupns: the host's /sys/fs/cgroup still has the user's group" test -d "$LEAF"
check_eq "private tmp: nothing was made in the planted link's target" "" "$(ls -A /v2victim)"
check_eq "private tmp: the base is root's 0700 directory" "root 700 directory" \
	"$(stat -c '%U %a %F' /tmp/.nsiso-tmp)"
check_eq "private tmp: the planted link was moved aside" "/v2victim" \
	"$(readlink /tmp/.nsiso-tmp.planted.* 2>&1)"
check_eq "private tmp: the session's /tmp is alice's private dir, root's 1777 like any /tmp" \
	"root 1777 .nsiso-tmp/$USER_ID" "$(ptprobe v2-pt-a tmp)"
check_eq "private tmp: and /var/tmp" "root 1777 .nsiso-tmp/$USER_ID" "$(ptprobe v2-pt-a vartmp)"
check_true "private tmp: the file is not in the host's /tmp" test ! -e /tmp/pt-v2-pt-a
check_eq "private tmp: it is in alice's private /tmp" v2-pt-a "$(cat $PRIV/pt-v2-pt-a 2>&1)"
rc=0
pamtester v2-pt-b $USER_NAME open_session close_session >$W/pamtester.pt-b 2>&1 9>&- || rc=$?
check_eq "private tmp: a second session of alice opens and closes" 0 "$rc"
check_true "private tmp: it sees the first one's /tmp file" \
	has_word "$(ptprobe v2-pt-b tmp_list)" pt-v2-pt-a
check_true "private tmp: and its /var/tmp file" \
	has_word "$(ptprobe v2-pt-b vartmp_list)" pt-v2-pt-a
pamtester v2-pt-c bob open_session close_session >$W/pamtester.pt-c 2>&1 9>&- &
ptc=$!
wait_until $WAIT_S test -e $V/ready.v2-pt-c
check_eq "private tmp: bob's session sees none of alice's files" "" "$(ptprobe v2-pt-c tmp_list)"
check_eq "cgroupns: bob's session reads 0::/ too" "0::/" "$(ptprobe v2-pt-c cgroup)"
check_eq "cgroupns: bob's /sys/fs/cgroup shows no other group" 0 "$(ptprobe v2-pt-c cg_dirs)"
check_true "cgroupns: (bob's group exists on the host)" test -d $BOB_LEAF
echo go >$V/fifo.v2-pt-a
rc=0
wait $pta || rc=$?
check_eq "private tmp: alice's first session closes" 0 "$rc"
check_true "private tmp: after alice's last logout her private dirs are removed" \
	wait_until $WAIT_S pt_gone
check_true "private tmp: and then her group, though her /tmp held 1 MiB of tmpfs" \
	wait_until $WAIT_S leaf_gone
say "LOG private tmp: alice's leaf after close: $(leaf_state)"
check_true "private tmp: bob's private /tmp stays while he is logged in" \
	test -e /tmp/.nsiso-tmp/1001/pt-v2-pt-c
echo go >$V/fifo.v2-pt-c
rc=0
wait $ptc || rc=$?
check_eq "private tmp: bob's session closes" 0 "$rc"
check_true "private tmp: then bob's is removed" \
	wait_until $WAIT_S test ! -e /tmp/.nsiso-tmp/1001
check_true "cgroupns/private tmp: no holder left" wait_until $WAIT_S no_holders
check_eq "private tmp: the target of the planted link is still empty" "" "$(ls -A /v2victim)"

say "LOG uptime at end of cases: $(cut -d' ' -f1 /proc/uptime)s"
say "LOG cmdline: $(cat /proc/cmdline)"
sed 's/^/LOG syslog: /' /var/log/messages >&9 2>/dev/null
if [ "$failed" != 0 ]; then
	for f in "$W"/pamtester.*; do
		[ -s "$f" ] && say "LOG ${f##*/}: $(tr '\n' ' ' <"$f")"
	done
	for f in "$W"/probe.*; do
		say "LOG ${f##*/}: $(tr '\n' ' ' <"$f")"
	done
fi
