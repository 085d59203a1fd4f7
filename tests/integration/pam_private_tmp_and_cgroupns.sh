#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# private_tmp and isolate ...,cgroup through real pamtester logins with a
# pam_exec probe in the session: the user's /tmp and /var/tmp are their own
# (root's and 1777 like any /tmp, mounted from the user's private dirs, which
# no other user can reach), shared by their sessions, absent from the host's /tmp
# and from another user's session, removed after the last logout (kept with
# private_tmp keep); /proc/self/cgroup reads "/" in every hierarchy (the
# memory and pids ones rooted at the user's group), and another user's
# group is not reachable.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup

U1=$(nsiso_make_user) || nsiso_die "cannot create user"
U2=$(nsiso_make_user) || nsiso_die "cannot create user"
UK=$(nsiso_make_user) || nsiso_die "cannot create user"
UN=$(nsiso_make_user) || nsiso_die "cannot create user"
UID1=$(id -u "$U1") UID2=$(id -u "$U2") UIDK=$(id -u "$UK")
for u in "$UID1" "$UID2" "$UIDK"; do nsiso_forget_private_tmp "$u"; done
PARENT=$(nsiso_cgroup_parent)
D=$(nsiso_dir_outside_tmp)
TAG=$(nsiso_unique)

conf="* cgroup_parent $PARENT"
for u in "$U1" "$U2" "$UK"; do
	conf+="
$u isolate uts,ipc,mnt,pid,cgroup
$u memory 96M
$u tasks 50
$u private_tmp yes"
done
nsiso_write_conf "$conf
$UK private_tmp keep
$UN isolate uts,ipc,mnt,pid,cgroup" >/dev/null

# The probe runs as root from pam_exec, inside the session.  PROBE names its
# report; WRITE makes the user write that word into /tmp and /var/tmp;
# HOLD keeps the session open until a line arrives on $D/go.PROBE.
cat >"$D/probe" <<PROBE
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
out=$D/probe.\$PROBE
as_user() { setpriv --reuid="\$PAM_USER" --regid="\$(id -g "\$PAM_USER")" --init-groups -- "\$@"; }
{
	echo "cgroup=\$(tr '\n' ' ' </proc/self/cgroup)"
	echo "not_root_lines=\$(grep -vc ':/\$' /proc/self/cgroup)"
	echo "tmp=\$(stat -c '%U %a' /tmp)"
	echo "vartmp=\$(stat -c '%U %a' /var/tmp)"
	echo "tmp_root=\$(awk '\$5 == "/tmp" { r = \$4 } END { print r }' /proc/self/mountinfo)"
	echo "vartmp_root=\$(awk '\$5 == "/var/tmp" { r = \$4 } END { print r }' /proc/self/mountinfo)"
	echo "tmp_list=\$(ls -A /tmp | tr '\n' ' ')"
	echo "vartmp_list=\$(ls -A /var/tmp | tr '\n' ' ')"
	if [ -n "\${WRITE:-}" ]; then
		as_user sh -c "echo \$WRITE >/tmp/\$WRITE && echo \$WRITE >/var/tmp/\$WRITE" &&
			echo "wrote=yes"
	fi
	as_user cat $NSISO_CG_V1/memory/$PARENT/user-$UID2/memory.usage_in_bytes >/dev/null 2>&1
	echo "other_group_rc=\$?"
	as_user ls -d /tmp/.nsiso-tmp /var/tmp/.nsiso-tmp >/dev/null 2>&1
	echo "base_visible_rc=\$?"
	# Root code in the session (a PAM module after ours, sudo) writes
	# /tmp/NAME, as root writes in any /tmp: the user can neither remove
	# nor replace it (the sticky bit), so no link of theirs is followed.
	if [ -n "\${ROOTFILE:-}" ]; then
		echo root >/tmp/\$ROOTFILE
		as_user rm -f /tmp/\$ROOTFILE 2>/dev/null
		echo "user_rm_rc=\$?"
		as_user mv /tmp/\$ROOTFILE /tmp/\$ROOTFILE.moved 2>/dev/null
		echo "user_mv_rc=\$?"
		as_user sh -c "echo user >>/tmp/\$ROOTFILE" 2>/dev/null
		echo "user_write_rc=\$?"
		echo "rootfile=\$(stat -c '%U' /tmp/\$ROOTFILE) \$(cat /tmp/\$ROOTFILE)"
		rm -f /tmp/\$ROOTFILE
	fi
} >\$out.tmp 2>&1
mv \$out.tmp \$out
if [ -n "\${HOLD:-}" ]; then
	exec 3<>$D/go.\$PROBE
	echo ready >$D/ready.\$PROBE
	read -r go <&3
fi
exit 0
PROBE
chmod 0755 "$D/probe"
SVC=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so $D/probe")
probe() { sed -n "s/^$2=//p" "$D/probe.$1"; }

# env_opts VAR=VALUE...: pamtester's -E options for them, in ENV_OPTS.
env_opts() {
	local v
	ENV_OPTS=()
	for v in "$@"; do ENV_OPTS+=(-E "$v"); done
}

declare -A HELD=()
# hold KEY USER [VAR=VALUE...]: a session held open in the background.
hold() {
	local key=$1 user=$2 pid
	shift 2
	env_opts "PROBE=$key" HOLD=1 "$@"
	mkfifo -m 0600 "$D/go.$key"
	pamtester "${ENV_OPTS[@]}" "$SVC" "$user" open_session close_session \
		>"$T/pamtester.$key" 2>&1 &
	pid=$!
	HELD[$key]=$pid
	nsiso_on_exit _release "$key" "$pid:$(_nsiso_starttime "$pid")"
	nsiso_wait_for test -s "$D/ready.$key"
}
_release() {
	[ -p "$D/go.$1" ] && echo go 1<>"$D/go.$1"
	nsiso_wait_until 10 _nsiso_all_gone "$2" || _nsiso_terminate "$2"
	wait "${2%%:*}" 2>/dev/null
	return 0
}
release() {
	local rc=0
	echo go 1<>"$D/go.$1"
	wait "${HELD[$1]}" || rc=$?
	return "$rc"
}
# once KEY USER [VAR=VALUE...]: a session opened and closed.
once() {
	local key=$1 user=$2
	shift 2
	env_opts "PROBE=$key" "$@"
	pamtester "${ENV_OPTS[@]}" "$SVC" "$user" open_session close_session \
		>"$T/pamtester.$key" 2>&1
}
gone() { [ ! -e "$1" ] && ! compgen -G "$1.gone.*" >/dev/null; }

P1=$(nsiso_private_tmp "$UID1") V1=$(nsiso_private_tmp "$UID1" /var/tmp)

# ---- one user, two sessions ----------------------------------------------

nsiso_assert_true "first session of $U1 opens (held)" hold a "$U1" "WRITE=f-$TAG"
nsiso_assert_eq "the user wrote into /tmp and /var/tmp" yes "$(probe a wrote)"
nsiso_assert_eq "session /tmp is a /tmp: root's, 1777 (sticky)" "root 1777" "$(probe a tmp)"
nsiso_assert_eq "session /var/tmp likewise" "root 1777" "$(probe a vartmp)"
nsiso_assert_match "session /tmp is mounted from the user's private dir" "/\.nsiso-tmp/$UID1\$" \
	"$(probe a tmp_root)"
nsiso_assert_match "session /var/tmp likewise" "/\.nsiso-tmp/$UID1\$" "$(probe a vartmp_root)"
nsiso_assert_eq "a fresh private /tmp is empty" "" "$(probe a tmp_list)"
nsiso_assert_true "second session of $U1 opens and closes" once b "$U1" "ROOTFILE=r-$TAG"
nsiso_assert_match "the user cannot remove root's file in the session's /tmp" '^[1-9]' \
	"$(probe b user_rm_rc)"
nsiso_assert_match "nor rename it" '^[1-9]' "$(probe b user_mv_rc)"
nsiso_assert_match "nor write it" '^[1-9]' "$(probe b user_write_rc)"
nsiso_assert_eq "root's file stays as root wrote it" "root root" "$(probe b rootfile)"
nsiso_assert_eq "the second session sees the first one's /tmp file" "f-$TAG " "$(probe b tmp_list)"
nsiso_assert_eq "the second session sees the first one's /var/tmp file" "f-$TAG " \
	"$(probe b vartmp_list)"
nsiso_assert_false "the file is not in the host's /tmp" test -e "/tmp/f-$TAG"
nsiso_assert_false "the file is not in the host's /var/tmp" test -e "/var/tmp/f-$TAG"
nsiso_assert_eq "on the host it is in the user's private dir" "f-$TAG" "$(cat "$P1/f-$TAG")"
nsiso_assert_eq "and in the private /var/tmp" "f-$TAG" "$(cat "$V1/f-$TAG")"
nsiso_assert_eq "private dir: root's, 1777, like any /tmp" "root 1777" "$(stat -c '%U %a' "$P1")"
nsiso_assert_eq "base: root's, 0700" "root 700" "$(stat -c '%U %a' /tmp/.nsiso-tmp)"
nsiso_assert_eq "/var/tmp base: root's, 0700" "root 700" "$(stat -c '%U %a' /var/tmp/.nsiso-tmp)"
nsiso_assert_false "the user cannot reach it from the host" \
	setpriv --reuid="$U1" --regid="$(id -g "$U1")" --init-groups -- ls "$P1"
nsiso_assert_true "the session's /tmp stays after the second session closed" test -e "$P1/f-$TAG"

# A session through a service with another run_dir= is a session of the same
# user all the same: its end must not remove what the held one uses.
SVC_OTHER=$(nsiso_make_pam_service "$(nsiso_module_line | sed "s|run_dir=$T/run |run_dir=$T/run-other |")
session required pam_exec.so $D/probe")
# True while a reaper has DIR open (it keeps its run directory to the end).
no_reaper_in() {
	local f pid
	for f in /proc/[0-9]*/comm; do
		pid=${f#/proc/} pid=${pid%/comm}
		[ "$(cat "$f" 2>/dev/null)" = nsiso-reaper ] || continue
		find "/proc/$pid/fd" -mindepth 1 -lname "$1" 2>/dev/null | grep -q . && return 1
	done
	return 0
}
once_other() { SVC=$SVC_OTHER once "$@"; }
nsiso_assert_true "a session through another run_dir= opens and closes" once_other b2 "$U1"
nsiso_assert_eq "it sees the same /tmp" "f-$TAG " "$(probe b2 tmp_list)"
nsiso_assert_true "(its reaper is done)" nsiso_wait_for no_reaper_in "$T/run-other"
nsiso_assert_true "the held session's /tmp stays after it" test -e "$P1/f-$TAG"

# ---- the cgroup namespace -------------------------------------------------

nsiso_assert_eq "every line of /proc/self/cgroup reads / in the session" 0 \
	"$(probe a not_root_lines)"
nsiso_assert_match "memory hierarchy: /" '(^| )[0-9]+:memory:/ ' "$(probe a cgroup)"
nsiso_assert_match "pids hierarchy: /" '(^| )[0-9]+:pids:/ ' "$(probe a cgroup)"
nsiso_assert_eq "seen from the host, the session is in the user's memory group" \
	"/$PARENT/user-$UID1" "$(sed -n 's/^[0-9]*:memory://p' "/proc/${HELD[a]}/cgroup")"
nsiso_assert_eq "seen from the host, and in the user's pids group" \
	"/$PARENT/user-$UID1" "$(sed -n 's/^[0-9]*:pids://p' "/proc/${HELD[a]}/cgroup")"
nsiso_assert_false "the session is in a cgroup namespace of its own" \
	test "$(readlink "/proc/${HELD[a]}/ns/cgroup")" = "$(readlink /proc/self/ns/cgroup)"

# Without a limit there is no group of pam_nsiso's own: the namespace is
# rooted where the login came in (here, the test's own cgroups).
nsiso_assert_true "cgroup namespace without a limit: a session opens and closes" once n "$UN"
nsiso_assert_eq "without a limit every line reads / too" 0 "$(probe n not_root_lines)"
nsiso_assert_eq "without private_tmp the host's /tmp is seen" "root 1777" "$(probe n tmp)"
nsiso_assert_false "... not a private dir mounted on it" grep -q nsiso-tmp <<<"$(probe n tmp_root)"

# ---- another user ------------------------------------------------------------

nsiso_assert_true "a session of $U2 opens (held)" hold c "$U2"
nsiso_assert_eq "$U2 does not see $U1's files" "" "$(probe c tmp_list)"
nsiso_assert_match "$U2's /tmp is mounted from $U2's private dir" "/\.nsiso-tmp/$UID2\$" \
	"$(probe c tmp_root)"
nsiso_assert_false "two users: two private dirs" test "$(stat -c %i "$P1")" = \
	"$(stat -c %i "$(nsiso_private_tmp "$UID2")")"
nsiso_assert_false "$U2 cannot read $U1's private dir from the host" \
	setpriv --reuid="$U2" --regid="$(id -g "$U2")" --init-groups -- ls "$P1"
nsiso_assert_false "$U2 cannot make a dir for $U1 in the base" \
	setpriv --reuid="$U2" --regid="$(id -g "$U2")" --init-groups -- mkdir "/tmp/.nsiso-tmp/x$TAG"
nsiso_assert_eq "from $U1's session, the base is not visible" 2 "$(probe a base_visible_rc)"
nsiso_assert_true "$U1 cannot read $U2's memory group from the session" \
	test "$(probe a other_group_rc)" -ne 0

# ---- the last logout -------------------------------------------------------

nsiso_assert_true "$U1's held session closes" release a
nsiso_assert_true "after $U1's last logout the private /tmp is removed" nsiso_wait_for gone "$P1"
nsiso_assert_true "and the private /var/tmp" nsiso_wait_for gone "$V1"
nsiso_assert_true "$U2's private /tmp is still there while $U2 is logged in" \
	test -d "$(nsiso_private_tmp "$UID2")"
nsiso_assert_true "$U2's session closes" release c
nsiso_assert_true "then $U2's is removed too" nsiso_wait_for gone "$(nsiso_private_tmp "$UID2")"
nsiso_assert_true "the base stays" test -d /tmp/.nsiso-tmp
nsiso_assert_true "after both: no session left" nsiso_wait_for nsiso_session_gone "$U1" "$PARENT"
nsiso_assert_true "a new session of $U1 gets an empty /tmp again" once d "$U1"
nsiso_assert_eq "nothing of the earlier sessions" "" "$(probe d tmp_list)$(probe d vartmp_list)"
nsiso_assert_true "and that one is removed after it too" nsiso_wait_for gone "$P1"

# ---- private_tmp keep ----------------------------------------------------

PK=$(nsiso_private_tmp "$UIDK")
nsiso_assert_true "keep: a session writes and closes" once k1 "$UK" "WRITE=k-$TAG"
nsiso_assert_true "keep: its holder ends" nsiso_wait_for nsiso_session_gone "$UK" "$PARENT"
nsiso_assert_eq "keep: the private /tmp is kept after the last logout" "k-$TAG" \
	"$(cat "$PK/k-$TAG" 2>&1)"
nsiso_assert_true "keep: the next session opens" once k2 "$UK"
nsiso_assert_eq "keep: and finds the file" "k-$TAG " "$(probe k2 tmp_list)"

# ---- a directory of an older release -----------------------------------------
# Older releases made the private dir the user's, 0700: its owner could give
# it a default ACL, which a take-over (chown, chmod) kept, and root's files
# made in it were then the user's to write (an attacker review of 71dd4fa).
# Such a directory is moved aside and a fresh one made.
rm -rf -- "$PK"
install -d -o "$UK" -g "$(id -g "$UK")" -m 0700 "$PK"
echo old >"$PK/old-$TAG"
chown "$UK" "$PK/old-$TAG"
python3 -c '
import os, struct, sys
undefined = 0xFFFFFFFF
# user::rwx user:UID:rwx group::rwx mask::rwx other::---
entries = [(0x01, 7, undefined), (0x02, 7, int(sys.argv[2])), (0x04, 7, undefined),
	   (0x10, 7, undefined), (0x20, 0, undefined)]
os.setxattr(sys.argv[1], "system.posix_acl_default",
	    struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries))' "$PK" "$UIDK" ||
	nsiso_die "cannot give the older release's directory a default ACL"
default_acl() {
	python3 -c '
import errno, os, sys
try:
	os.getxattr(sys.argv[1], "system.posix_acl_default")
	print("yes")
except OSError as e:
	print("no" if e.errno == errno.ENODATA else errno.errorcode[e.errno])' "$1"
}
nsiso_assert_eq "(the older release's directory has the user's default ACL)" yes "$(default_acl "$PK")"
nsiso_assert_true "older release: a session of $UK opens and closes" once k3 "$UK" "ROOTFILE=r3-$TAG"
nsiso_assert_eq "older release: its /tmp is a fresh one, root's 1777" "root 1777" "$(probe k3 tmp)"
nsiso_assert_eq "older release: without the old files" "" "$(probe k3 tmp_list)"
nsiso_assert_eq "older release: the private dir has no default ACL" no "$(default_acl "$PK")"
nsiso_assert_match "older release: the user cannot write root's file there" '^[1-9]' \
	"$(probe k3 user_write_rc)"
nsiso_assert_eq "older release: root's file stays as root wrote it" "root root" "$(probe k3 rootfile)"
