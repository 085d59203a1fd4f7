#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A cgroup_parent of several components ("lab/nsiso", as nsiso.conf(5)
# allows) whose first one does not exist yet: on cgroup v1 the helper made
# the whole path with one mkdir, which failed (ENOENT) and denied every
# limited login ("cannot create cgroup .../lab/nsiso"; found when make
# bench gave its baseline such a parent).  Now each component is made in
# turn, 0711, in every hierarchy the limits use, and the login runs in
# PARENT/inner/user-UID.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup

MEM_MNT=$(nsiso_cgroup_mount memory) || nsiso_skip "no cgroup v1 memory hierarchy (make check-v2 covers v2)"
PIDS_MNT=$(nsiso_cgroup_mount pids) || nsiso_skip "no cgroup v1 pids hierarchy"
U=$(nsiso_make_user) || nsiso_die "cannot create the user"
UID_=$(id -u "$U")
PARENT=$(nsiso_cgroup_parent)
remove_inner() {
	local m
	for m in "$MEM_MNT" "$PIDS_MNT"; do
		rmdir "$m/$PARENT/inner/user-$UID_" "$m/$PARENT/inner" 2>/dev/null
	done
	return 0
}
nsiso_on_exit remove_inner	# before the parent goes (cleanups run in reverse)
nsiso_write_conf "* cgroup_parent $PARENT/inner
$U isolate uts,ipc,mnt,pid
$U memory 128M
$U tasks 50" >/dev/null
cat >"$T/probe" <<PROBE
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
echo "mem=\$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup) pids=\$(sed -n 's/^[0-9]*:pids://p' /proc/self/cgroup)" >"$T/probe.out"
PROBE
chmod 0755 "$T/probe"
SVC=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so $T/probe")

nsiso_assert_false "the parent's first component is not there before the login" test -e "$MEM_MNT/$PARENT"
nsiso_assert_eq "a login under cgroup_parent $PARENT/inner succeeds" 0 \
	"$(pamtester "$SVC" "$U" open_session close_session >"$T/pamtester.log" 2>&1; echo $?)"
nsiso_assert_eq "it ran in PARENT/inner/user-UID (memory and pids)" \
	"mem=/$PARENT/inner/user-$UID_ pids=/$PARENT/inner/user-$UID_" "$(cat "$T/probe.out" 2>/dev/null)"
for m in "$MEM_MNT" "$PIDS_MNT"; do
	nsiso_assert_eq "$(basename "$m"): both components were made 0711" "711 711" \
		"$(stat -c %a "$m/$PARENT" 2>/dev/null) $(stat -c %a "$m/$PARENT/inner" 2>/dev/null)"
done
