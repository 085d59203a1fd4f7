#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A PAM application running with euid 0 but the invoking user's real uid
# (su, or any setuid-root program): the module makes the helper's real uid 0
# before it runs it, and the session is isolated as usual.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup

USER1=$(nsiso_make_user) || nsiso_die "cannot create user"
PARENT=$(nsiso_cgroup_parent)
nsiso_write_conf "* cgroup_parent $PARENT
$USER1 isolate uts,ipc,mnt,pid
$USER1 hostname suid-%U
$USER1 memory 128M" >/dev/null

# A setuid-root pamtester the user can run (root-owned 0755 dir).
bin=$(mktemp -d /tmp/nsiso-suid.XXXXXX)
nsiso_on_exit rm -rf "$bin"
chmod 0755 "$bin"
install -m 4755 -o root /usr/bin/pamtester "$bin/pamtester"
cat >"$T/probe" <<PROBE
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
echo "\$(hostname) \$(id -ru) \$(readlink /proc/self/ns/pid)" >$T/probe.out
PROBE
chmod 0755 "$T/probe"
SVC=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so seteuid $T/probe")

out=$(setpriv --reuid="$USER1" --regid="$USER1" --clear-groups "$bin/pamtester" "$SVC" "$USER1" \
	open_session close_session 2>&1)
nsiso_assert_eq "setuid pamtester run by the user opens and closes" 0 "$?"
printf "%s\n" "$out"
read -r host ruid pidns <"$T/probe.out"
nsiso_assert_eq "the session got its host name" "suid-$(id -u "$USER1")" "$host"
nsiso_assert_false "the session has its own PID namespace" test "$pidns" = "$(readlink /proc/self/ns/pid)"
nsiso_assert_true "nothing left afterwards" nsiso_wait_for nsiso_session_gone "$USER1" "$PARENT"
printf '%s\n' "$out"
