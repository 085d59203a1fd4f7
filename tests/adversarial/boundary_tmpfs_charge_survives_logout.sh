#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row H1 (docs/threat-model.md): the limit survives the last logout.  A cgroup-only user
# (no namespaces, memory 128M: /dev/shm is the host's tmpfs) writes 100M to
# /dev/shm in each of four logins.  The user's group user-<uid> must be kept
# while it holds that charge after the last logout, the next login must join
# it, and across the four logins the user's files in /dev/shm can never
# exceed the limit by more than a small slack (the writes that would fail).
#
# The writes are real: a pam_exec script after the module (so inside the
# user's group, like the user's shell would be) runs dd as the user.  The
# module is requisite: a denied login writes nothing, as a user without a
# shell could not.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin U
GROUP=$CG/memory/$PARENT/user-$U_UID
SHM=/dev/shm/nsiso-h1-$(nsiso_unique)
MIB=$((1024 * 1024))
LIMIT_MIB=128 SLACK_MIB=8
nsiso_on_exit remove_shm_files	# before the cgroup parent goes (cleanups run in reverse)
remove_shm_files() { rm -f -- "$SHM".*; }

nsiso_write_conf "* cgroup_parent $PARENT
$U memory ${LIMIT_MIB}M
$U swap 0" >/dev/null

# The write: 100M in 10M blocks (dd's 10M buffer also makes dd the biggest
# process of the group, so a group OOM kill ends the writer).
cat >"$T/write" <<WRITE
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
cg=\$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
setpriv --reuid=$U_UID --regid=$(id -g "$U") --init-groups dd if=/dev/zero of=$SHM.\$ADV_N bs=10M count=10 2>/dev/null
echo "cg=\$cg dd=\$?" >$T/write.\$ADV_N
exit 0
WRITE
chmod 0755 "$T/write"
SVC=$(nsiso_make_pam_service "$(nsiso_module_line | sed 's/^session required /session requisite /')
session optional pam_exec.so $T/write")

# Bytes of tmpfs the user's files hold (allocated blocks, not file sizes).
shm_bytes() {
	local f total=0
	for f in "$SHM".*; do
		[ -e "$f" ] && total=$((total + $(stat -c '%b * %B' "$f")))
	done
	echo "$total"
}
no_holder() { [ -z "$(nsiso_holders_of "$U")" ]; }

# login N: one login that writes; waits until its session has ended.
login() {
	local n=$1 rc
	timeout 60 pamtester -E "ADV_N=$n" "$SVC" "$U" open_session close_session >"$T/login.$n" 2>&1
	rc=$?
	nsiso_wait_until "$NSISO_WAIT_S" no_holder ||
		_nsiso_info "login $n: a holder is still there after $NSISO_WAIT_S s"
	_nsiso_info "login $n: exit $rc; write: $(cat "$T/write.$n" 2>/dev/null || echo none);" \
		"user's shm now $(($(shm_bytes) / MIB))M; group: $(cat "$GROUP/memory.usage_in_bytes" 2>/dev/null || echo none)"
	return "$rc"
}

login 1
nsiso_assert_eq "login 1 succeeds" 0 "$?"
nsiso_assert_match "login 1 ran in the user's group and wrote 100M" "^cg=/$PARENT/user-$U_UID dd=0\$" \
	"$(cat "$T/write.1" 2>/dev/null)"
nsiso_assert_true "after the last logout, user-$U_UID is kept (it holds the tmpfs charge)" test -d "$GROUP"
usage=$(cat "$GROUP/memory.usage_in_bytes" 2>/dev/null || echo 0)
nsiso_assert_true "... and still counts it: usage $((usage / MIB))M >= 90M" test "$usage" -ge $((90 * MIB))
inode=$(stat -c %i "$GROUP" 2>/dev/null)

login 2
nsiso_assert_eq "login 2 succeeds (104M of 128M would be in use with the 4M headroom)" 0 "$?"
nsiso_assert_match "login 2 ran in the user's group" "^cg=/$PARENT/user-$U_UID " "$(cat "$T/write.2" 2>/dev/null)"
nsiso_assert_eq "login 2 joined the kept group (same cgroup inode), not a new one" \
	"${inode:-none}" "$(stat -c %i "$GROUP" 2>/dev/null || echo gone)"

login 3
login 4
total=$(shm_bytes)
ls -ls "$SHM".* >&2
nsiso_assert_true "after four logins the user holds $((total / MIB))M of /dev/shm: at most ${LIMIT_MIB}M + ${SLACK_MIB}M" \
	test "$total" -le $(((LIMIT_MIB + SLACK_MIB) * MIB))
