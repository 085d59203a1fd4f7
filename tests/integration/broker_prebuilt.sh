#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# nsiso-helper broker: each spare worker makes a session's holder (already
# in new namespaces) and reaper ahead, and its worker gives them the login's
# session.  What such a session gets must be what a holder made at the login
# would give: the host's current host name (changed after the holder was
# made), the host's current mounts (a mount the holder's copy cannot have
# received: after 2 s without a change the broker replaces its spares at
# once; within them a holder made ahead copies the table again, as
# broker_mount_churn.sh and fault_broker_remount.sh show), exactly the namespaces the login asks for (other than the
# spare's: made anew, and later spares follow).  Unused ones end with their
# broker, and with a worker that had no use for them.
#
# Spares follow the namespaces most of the last eight logins asked for.
#
# The broker and pamtester run in a private UTS namespace (nsenter), so the
# "host's" name can change without touching the machine's.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
nsiso_start_syslog || nsiso_skip "/dev/log is taken by another syslog daemon"

USER1=$(nsiso_make_user) || nsiso_die "cannot create user"
USER2=$(nsiso_make_user) || nsiso_die "cannot create user"
USER3=$(nsiso_make_user) || nsiso_die "cannot create user"
USER4=$(nsiso_make_user) || nsiso_die "cannot create user"
UID1=$(id -u "$USER1")
PARENT=$(nsiso_cgroup_parent)
SOCK=$T/brk/broker.sock
# USER1 the usual full set, no host name of its own; USER2 no PID
# namespace; USER3 the full set and a cgroup namespace; USER4 cgroup only.
nsiso_write_conf "* cgroup_parent $PARENT
* memory 96M
$USER1 isolate uts,ipc,mnt,pid
$USER2 isolate uts,ipc,mnt
$USER3 isolate uts,ipc,mnt,pid,cgroup
$USER4 isolate none" >/dev/null

# A mount point whose new mounts cannot propagate into a copy of the mount
# table made before them: a private bind mount.
PRIV=$T/priv
mkdir -p "$PRIV/sub"
mount --bind "$PRIV" "$PRIV" && mount --make-private "$PRIV" ||
	nsiso_die "cannot make a private bind mount at $PRIV"
nsiso_on_exit umount -l "$PRIV"

cat >"$T/probe" <<'PROBE'
#!/bin/sh
[ "$PAM_TYPE" = open_session ] || exit 0
{
	echo "host=$(hostname)"
	echo "pidns=$(readlink /proc/self/ns/pid)"
	echo "mntns=$(readlink /proc/self/ns/mnt)"
	echo "cgns=$(readlink /proc/self/ns/cgroup)"
	echo "mark=$(cat "$(dirname "$0")/priv/sub/mark" 2>/dev/null)"
	echo "pid1=$(cat /proc/1/comm)"
	echo "shm=$(stat -c %d /dev/shm)"
	echo "memory=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)"
} >"$(dirname "$0")/probe.out"
PROBE
chmod 0755 "$T/probe"
SVC=$(nsiso_make_pam_service "$(nsiso_module_line "broker=$SOCK debug")
session required pam_exec.so $T/probe
session required pam_permit.so")
HOLD=$(nsiso_make_pam_service "$(nsiso_module_line "broker=$SOCK")
session required pam_exec.so /bin/sleep 3
session required pam_permit.so")

# The broker in a UTS namespace of its own, host name pre-a.
unshare --uts sh -c "hostname pre-a && exec \"$NSISO_HELPER\" broker --socket \"$SOCK\"" &
BROKER_PID=$!
stop_broker() { kill -9 "$BROKER_PID" 2>/dev/null; wait "$BROKER_PID" 2>/dev/null; return 0; }
nsiso_on_exit stop_broker
nsiso_wait_until 10 test -S "$SOCK" || nsiso_die "the broker did not listen"
in_uts() { nsenter --uts --target "$BROKER_PID" "$@"; }
login() { # USER SERVICE: one open+close in the broker's UTS namespace
	rm -f "$T/probe.out"
	nsiso_log_mark
	in_uts pamtester "$2" "$1" open_session close_session >/dev/null 2>&1
}
via_broker() { nsiso_wait_log "session [0-9a-f]{16} opened for $1 .*, via broker$" 5; }

# The processes the spares made ahead, of one kind; of both.
idle_of() { nsiso_made_ahead "$BROKER_PID" "$1"; }
made_ahead() { idle_of nsiso-idle-hold; idle_of nsiso-idle-reap; }
count_idle() { [ "$(idle_of "$1" | wc -l)" -eq "$2" ]; }
ns_of() { readlink "/proc/$1/ns/$2"; }

# --- made ahead ---------------------------------------------------------------
nsiso_assert_true "each of the two spares has a holder made ahead" \
	nsiso_wait_until 10 count_idle nsiso-idle-hold 2
nsiso_assert_true "and a reaper" nsiso_wait_until 10 count_idle nsiso-idle-reap 2
idle=$(idle_of nsiso-idle-hold | head -n 1)
for ns in mnt pid_for_children uts ipc; do
	nsiso_assert_false "a holder made ahead is in a new $ns namespace" \
		test "$(ns_of "$idle" "$ns")" = "$(ns_of "$BROKER_PID" "$ns")"
done
nsiso_assert_eq "a reaper made ahead is in the broker's mount namespace" \
	"$(ns_of "$BROKER_PID" mnt)" "$(ns_of "$(idle_of nsiso-idle-reap | head -n 1)" mnt)"

# --- the spare's own pages ----------------------------------------------------------
# A spare copies the pages its login will write (the heap's) once its
# holder and reaper are made, and leaves libcgroup's table (its largest
# mapping) shared with the broker.
smaps_kib() { # PID heap|largest FIELD: KiB of FIELD in that mapping
	awk -v which="$2" -v field="$3:" '
		function done() {
			if (seen && (which == "heap" ? name == "[heap]" : perms == "rw-p" && size > best)) {
				best = size; v = val
			}
		}
		/^[0-9a-f]+-[0-9a-f]+ / { done(); seen = 1; perms = $2; name = NF >= 6 ? $NF : ""
			size = 0; val = 0; next }
		$1 == "Size:" { size = $2 }
		$1 == field { val = $2 }
		END { done(); print v + 0 }' "/proc/$1/smaps"
}
heap_own() { [ "$(smaps_kib "$1" heap Shared_Dirty)" -eq 0 ] &&
	[ "$(smaps_kib "$1" heap Private_Dirty)" -gt 0 ]; }
for spare in $(ps -o pid= --ppid "$BROKER_PID"); do
	nsiso_assert_true "spare $spare: its heap is its own before any login" \
		nsiso_wait_until 5 heap_own "$spare"
	nsiso_assert_true "spare $spare: libcgroup's table is still shared with the broker" \
		test "$(smaps_kib "$spare" largest Shared_Dirty)" -gt 0
done
reaper=$(idle_of nsiso-idle-reap | head -n 1)
nsiso_assert_true "a reaper made ahead shares its heap (made before the spare's copies)" \
	test "$(smaps_kib "$reaper" heap Shared_Dirty)" -gt 0

# --- a session given to them ----------------------------------------------------
# The host's name changes after the holders copied it; a held session shows
# which holder and reaper it got.
IDLE_HOLDERS=$(idle_of nsiso-idle-hold)
IDLE_REAPERS=$(idle_of nsiso-idle-reap)
in_uts hostname pre-b
nsiso_log_mark
in_uts pamtester "$HOLD" "$USER1" open_session close_session >/dev/null 2>&1 &
held=$!
has_holder() { [ -n "$(nsiso_holders_of "$USER1")" ]; }
nsiso_wait_until 10 has_holder || nsiso_die "the held session did not open"
holder=$(nsiso_holders_of "$USER1" | head -n 1)
nsiso_assert_true "the session's holder is one made ahead" \
	grep -qx "$holder" <<<"$IDLE_HOLDERS"
nsiso_assert_eq "it is a holder now" nsiso-holder "$(cat "/proc/$holder/comm")"
nsiso_assert_eq "its host name is the host's at the login, not at its making" \
	pre-b "$(nsenter --uts --target "$holder" hostname)"
reapers=0
for r in $IDLE_REAPERS; do
	[ "$(cat "/proc/$r/comm" 2>/dev/null)" = nsiso-reaper ] && reapers=$((reapers + 1))
done
nsiso_assert_eq "one reaper made ahead is the session's reaper now" 1 "$reapers"
nsiso_assert_true "the holder is in the user's tasks group" \
	grep -Eqx "[0-9]+:pids:/$PARENT/user-$UID1" "/proc/$holder/cgroup"
wait "$held"
nsiso_assert_eq "that login ended well" 0 $?
nsiso_assert_true "via the broker" via_broker "$USER1"
nsiso_assert_true "its session is gone after the logout" \
	nsiso_wait_until 10 nsiso_session_gone "$USER1" "$PARENT" "$T/run"

# --- the host's mounts, not the copy's ---------------------------------------------
# A mount on the private mount point reaches no copy made before it.
nsiso_assert_true "the spares are back" nsiso_wait_until 10 count_idle nsiso-idle-hold 2
mount -t tmpfs nsiso-test "$PRIV/sub" || nsiso_die "cannot mount a tmpfs on $PRIV/sub"
echo fresh >"$PRIV/sub/mark"
login "$USER1" "$SVC"
nsiso_assert_true "after a host mount: the login works" test -s "$T/probe.out"
nsiso_assert_true "after a host mount: the session sees it" grep -qx "mark=fresh" "$T/probe.out"
nsiso_assert_true "after a host mount: in its own PID namespace" \
	test "$(sed -n 's/^pidns=//p' "$T/probe.out")" != "$(ns_of "$BROKER_PID" pid)"
nsiso_assert_eq "after a host mount: its /proc is its own (PID 1 the holder)" \
	"pid1=nsiso-holder" "$(grep '^pid1=' "$T/probe.out")"
nsiso_assert_true "after a host mount: its /dev/shm is its own" \
	test "$(sed -n 's/^shm=//p' "$T/probe.out")" != "$(stat -c %d /dev/shm)"
umount "$PRIV/sub"

# --- a cgroup namespace too; cgroup only -------------------------------------------
# The spare's holder serves the first (the cgroup namespace is made later:
# cgroupns.h); the cgroup-only login gets a holder made at the login.
login "$USER3" "$SVC"
nsiso_assert_true "with cgroup: via the broker" via_broker "$USER3"
nsiso_assert_true "with cgroup: its own PID namespace" \
	test "$(sed -n 's/^pidns=//p' "$T/probe.out")" != "$(ns_of "$BROKER_PID" pid)"
nsiso_assert_true "with cgroup: its own cgroup namespace" \
	test "$(sed -n 's/^cgns=//p' "$T/probe.out")" != "$(ns_of "$BROKER_PID" cgroup)"
login "$USER4" "$SVC"
nsiso_assert_true "cgroup only: via the broker" via_broker "$USER4"
nsiso_assert_eq "cgroup only: the host's PID namespace" \
	"$(ns_of "$BROKER_PID" pid)" "$(sed -n 's/^pidns=//p' "$T/probe.out")"
nsiso_assert_eq "cgroup only: the host's mount namespace" \
	"$(ns_of "$BROKER_PID" mnt)" "$(sed -n 's/^mntns=//p' "$T/probe.out")"
nsiso_assert_true "cgroup only: in the user's memory group" \
	grep -qx "memory=/$PARENT/user-$(id -u "$USER4")" "$T/probe.out"
full_set_ahead() {
	local h
	for h in $(idle_of nsiso-idle-hold); do
		[ "$(ns_of "$h" pid_for_children)" = "$(ns_of "$BROKER_PID" pid)" ] && return 1
	done
	count_idle nsiso-idle-hold 2
}
nsiso_assert_true "one login of another kind does not change what spares make" \
	nsiso_wait_until 10 full_set_ahead

# --- other namespaces than the spare's -------------------------------------------
nsiso_assert_true "the spares are back again" nsiso_wait_until 10 count_idle nsiso-idle-hold 2
unfit=$(made_ahead)
login "$USER2" "$SVC"
nsiso_assert_true "without pid: the login works, via the broker" via_broker "$USER2"
nsiso_assert_eq "without pid: the session is in the host's PID namespace" \
	"$(ns_of "$BROKER_PID" pid)" "$(sed -n 's/^pidns=//p' "$T/probe.out")"
nsiso_assert_eq "without pid: the host's name (none configured)" pre-b \
	"$(sed -n 's/^host=//p' "$T/probe.out")"
# Of the four made ahead, the used spare's unfit holder ends at once and
# its reaper (which serves any session) with the session; the other
# spare's pair waits on.
two_gone() {
	local p n=0
	for p in $unfit; do
		_nsiso_alive "$p" || n=$((n + 1))
	done
	[ "$n" -eq 2 ]
}
nsiso_assert_true "the unfit holder it dropped ended, and the reaper it used" \
	nsiso_wait_until 10 two_gone
no_pid_namespace() {
	local h
	for h in $(idle_of nsiso-idle-hold); do
		[ "$(ns_of "$h" pid_for_children)" = "$(ns_of "$BROKER_PID" pid)" ] && return 0
	done
	return 1
}
# Three more: four of the last eight logins asked for this set, three for
# the full one.
for i in 1 2 3; do
	login "$USER2" "$SVC"
	nsiso_assert_true "without pid, login $((i + 1)): via the broker" via_broker "$USER2"
done
nsiso_assert_true "once most of the last logins ask for them, spares make holders for them" \
	nsiso_wait_until 10 no_pid_namespace
login "$USER1" "$SVC"
nsiso_assert_true "the full set again: via the broker" via_broker "$USER1"
nsiso_assert_true "the full set again: its own PID namespace" \
	test "$(sed -n 's/^pidns=//p' "$T/probe.out")" != "$(ns_of "$BROKER_PID" pid)"

# --- the broker gone ------------------------------------------------------------------
# Both kinds: the loop below has a check for each one alive.
two_pairs() { count_idle nsiso-idle-hold 2 && count_idle nsiso-idle-reap 2; }
nsiso_assert_true "before the kill: two pairs made ahead" \
	nsiso_wait_until 10 two_pairs
left=$(made_ahead)
stop_broker
for p in $left; do
	nsiso_assert_true "killed broker: what its spares made ahead ends ($p)" nsiso_wait_pid "$p" 10
done
for u in "$USER1" "$USER2" "$USER3" "$USER4"; do
	nsiso_assert_true "no session of $u is left" \
		nsiso_wait_until 10 nsiso_session_gone "$u" "$PARENT" "$T/run"
done
