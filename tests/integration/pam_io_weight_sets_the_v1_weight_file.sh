#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# io_weight through real logins (pamtester) on cgroup v1: the session is in
# the user's group of the blkio hierarchy (found in the mount table), whose
# weight file holds the weight as nsiso.conf(5) maps it - blkio.weight
# weight*5 within 10..1000 where the kernel has it, else BFQ's
# blkio.bfq.weight, weight up to 1000 - with the modes of the memory group,
# and the last logout removes the group.  A kernel with neither file (no CFQ,
# and no BFQ group scheduling: seen on machines of this kind) must refuse
# the login (on_error deny) with that reason, and leave nothing behind; and
# nsisoctl check says so first, naming the rule.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup

[ "$(nsiso_cgroup_mount memory)" ] || nsiso_skip "no cgroup v1 memory hierarchy (a v2 host: make check-v2 covers io.weight)"
IO_MNT=$(nsiso_cgroup_mount blkio) || nsiso_skip "no cgroup v1 blkio hierarchy"

U=$(nsiso_make_user) || nsiso_die "cannot create the user"
UID_=$(id -u "$U")
PARENT=$(nsiso_cgroup_parent)
LEAF=$IO_MNT/$PARENT/user-$UID_
conf() {
	nsiso_write_conf "* cgroup_parent $PARENT
$U isolate uts,ipc,mnt,pid
$U memory 256M
$U io_weight $1" >/dev/null
}

# Which weight file a group below the root has (BFQ's is not on the root):
# looked up in a group of our own.
PROBE_CG=$IO_MNT/nsiso-test-probe-$(nsiso_unique)
mkdir "$PROBE_CG" || nsiso_die "cannot create $PROBE_CG"
WEIGHT_FILE=
for f in blkio.weight blkio.bfq.weight; do
	[ -e "$PROBE_CG/$f" ] && WEIGHT_FILE=$f && break
done
rmdir "$PROBE_CG"

# nsisoctl check tells the admin before any login does.
conf 50
out=$("$NSISO_TOP/ctl/nsisoctl" check "$T/nsiso.conf" 2>&1)
rc=$?
if [ -z "$WEIGHT_FILE" ]; then
	nsiso_assert_match "nsisoctl check: io_weight cannot be applied here, naming file:line and the user" \
		"$T/nsiso.conf:4: io_weight '50' cannot be applied to 1 account \\(this host's cgroups have no io.weight, blkio.weight or blkio.bfq.weight: .*\\): $U \\(uid $UID_\\); logins denied \\(on_error deny\\)" \
		"$out"
	nsiso_assert_eq "nsisoctl check: exit status 1" 1 "$rc"
else
	nsiso_assert_false "nsisoctl check: io_weight is not reported ($WEIGHT_FILE is there)" \
		grep -q "io_weight .* cannot be applied" <<<"$out"
fi

if [ -z "$WEIGHT_FILE" ]; then
	nsiso_start_syslog || nsiso_die "no syslog listener of our own on /dev/log"
	conf 50
	SVC=$(nsiso_make_pam_service "$(nsiso_module_line)")
	nsiso_log_mark
	nsiso_assert_false "a kernel without blkio.weight and blkio.bfq.weight: the login is refused" \
		pamtester "$SVC" "$U" open_session close_session
	nsiso_assert_true "the reason is logged" \
		nsiso_wait_log "io_weight needs blkio.weight or blkio.bfq.weight, and .* has neither" 5
	nsiso_assert_true "nothing is left" nsiso_wait_for nsiso_session_gone "$U" "$PARENT"
	nsiso_assert_true "no blkio group of the user" test ! -e "$LEAF"
	exit 0
fi

# The probe runs inside the session (pam_exec after the module, as root).
cat >"$T/probe" <<EOF
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
{
	grep -E '[:,]blkio[,:]' /proc/self/cgroup
	for f in blkio.weight blkio.bfq.weight; do
		[ -e "$LEAF/\$f" ] && echo "\$f=\$(cat "$LEAF/\$f")"
	done
	echo "leaf=\$(stat -c '%U:%G %a' "$LEAF") parent=\$(stat -c '%U:%G %a' "$IO_MNT/$PARENT")"
	echo "foreign=\$(find "$LEAF" \\( ! -user root -o ! -group root \\) -printf '%p ')"
} >"$T/probe.out" 2>&1
EOF
chmod 0755 "$T/probe"
SVC=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so $T/probe")

# weight, then what each file must hold for it.
declare -A want_weight=([50]=250 [10000]=1000 [1]=10) want_bfq=([50]=50 [10000]=1000 [1]=1)
for w in 50 10000 1; do
	conf "$w"
	rm -f "$T/probe.out"
	nsiso_assert_eq "io_weight $w: login opens and closes" 0 \
		"$(pamtester "$SVC" "$U" open_session close_session >"$T/pamtester.log" 2>&1; echo $?)"
	nsiso_assert_match "io_weight $w: the session was in the user's blkio group" \
		"[:,]blkio[,:]?[^:]*:/$PARENT/user-$UID_\$" "$(grep blkio "$T/probe.out" | grep -v =)"
	if grep -q '^blkio\.weight=' "$T/probe.out"; then
		nsiso_assert_eq "io_weight $w: blkio.weight" "${want_weight[$w]}" \
			"$(sed -n 's/^blkio\.weight=//p' "$T/probe.out")"
	else
		nsiso_assert_eq "io_weight $w: blkio.bfq.weight (no blkio.weight here)" "${want_bfq[$w]}" \
			"$(sed -n 's/^blkio\.bfq\.weight=//p' "$T/probe.out")"
	fi
	nsiso_assert_eq "io_weight $w: modes" "leaf=root:root 700 parent=root:root 711" \
		"$(grep '^leaf=' "$T/probe.out")"
	nsiso_assert_eq "io_weight $w: every file of the group is root's" "foreign=" \
		"$(grep '^foreign=' "$T/probe.out")"
	nsiso_assert_true "io_weight $w: after logout nothing is left" \
		nsiso_wait_for nsiso_session_gone "$U" "$PARENT"
	nsiso_assert_true "io_weight $w: after logout the blkio group is removed" \
		nsiso_wait_for test ! -e "$LEAF"
done
