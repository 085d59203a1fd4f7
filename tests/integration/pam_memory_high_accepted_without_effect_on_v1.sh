#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# memory_high on cgroup v1, which has no memory.high: a login under it
# works, the memory limit is set as ever and nothing stands in for
# memory_high (the soft limit stays unset); nsisoctl explain says it has no
# effect here.  A memory_high not below memory refuses the login, and
# nsisoctl check names its file:line.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
CTL=$NSISO_TOP/ctl/nsisoctl

MEM_MNT=$(nsiso_cgroup_mount memory) || nsiso_skip "no cgroup v1 memory hierarchy (a v2 host: make check-v2 covers memory.high)"
U=$(nsiso_make_user) || nsiso_die "cannot create the user"
UID_=$(id -u "$U")
PARENT=$(nsiso_cgroup_parent)
LEAF=$MEM_MNT/$PARENT/user-$UID_
conf() {
	nsiso_write_conf "* cgroup_parent $PARENT
$U isolate uts,ipc,mnt,pid
$U memory 256M
$U memory_high $1" >/dev/null
}
cat >"$T/probe" <<EOF
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
echo "cg=\$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)" >"$T/probe.out"
echo "limit=\$(cat "$LEAF/memory.limit_in_bytes")" >>"$T/probe.out"
echo "soft=\$(cat "$LEAF/memory.soft_limit_in_bytes")" >>"$T/probe.out"
EOF
chmod 0755 "$T/probe"
SVC=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so $T/probe")
probe() { sed -n "s/^$1=//p" "$T/probe.out"; }

conf 128M
nsiso_assert_eq "memory_high 128M under memory 256M: the login works" 0 \
	"$(pamtester "$SVC" "$U" open_session close_session >"$T/pamtester.log" 2>&1; echo $?)"
nsiso_assert_eq "... in the user's memory group" "/$PARENT/user-$UID_" "$(probe cg)"
nsiso_assert_eq "... with the memory limit" $((256 << 20)) "$(probe limit)"
nsiso_assert_eq "... and no soft limit standing in for memory_high" "$(cat "$MEM_MNT/memory.soft_limit_in_bytes")" \
	"$(probe soft)"
nsiso_assert_true "after logout nothing is left" nsiso_wait_for nsiso_session_gone "$U" "$PARENT"
out=$("$CTL" explain "$U" --conf "$T/nsiso.conf")
nsiso_assert_match "explain shows memory_high" "memory_high +134217728 bytes \\(128M\\) \\[128M\\] +$T/nsiso.conf:4" "$out"
nsiso_assert_match "explain: no effect on cgroup v1" \
	"$T/nsiso.conf:4"$'\n'" +no effect on cgroup v1, which has no memory.high" "$out"
out=$("$CTL" check "$T/nsiso.conf")
nsiso_assert_eq "check accepts it" 0 "$?"

conf 256M
nsiso_assert_true "memory_high equal to memory: the login is refused" \
	test "$(pamtester "$SVC" "$U" open_session close_session >"$T/pamtester.log" 2>&1; echo $?)" -ne 0
nsiso_assert_true "... and leaves nothing" nsiso_wait_for nsiso_session_gone "$U" "$PARENT"
out=$("$CTL" check "$T/nsiso.conf")
nsiso_assert_eq "check rejects it" 1 "$?"
nsiso_assert_match "check names the file:line of memory_high" \
	"^$T/nsiso.conf:4: memory_high '256M' cannot be applied to 1 account \\(memory_high must be below memory: throttling starts below the hard limit\\): $U \\(uid $UID_\\)" "$out"
