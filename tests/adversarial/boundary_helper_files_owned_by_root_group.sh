#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row G1 (docs/threat-model.md): the helper starts from a clean slate, whoever started the
# PAM application.  A user (with a primary group of their own) runs a
# setuid-root pamtester; everything the root helper creates for the session
# - a fresh run directory, the session record, the cgroup parent and the
# user's group in the memory and pids hierarchies - must be root:root, not
# root:<the user's group> (the helper must not keep the caller's gids).
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin U
GID_=$(id -g "$U")
[ "$GID_" != 0 ] || nsiso_die "the user's primary group is root's"
adv_setuid_pamtester
RUN=$T/fresh/run	# does not exist yet: the helper creates it in this case
install -d -m 0755 "$T/fresh"
# shellcheck disable=SC2034 # read by nsiso_holders_of
NSISO_RUN_DIRS=$RUN

adv_conf "$U"

# While the session is open, root (pam_exec seteuid) notes the owner of
# each object, as "uid:gid path", and the session's PID namespace.
cat >"$T/probe" <<PROBE
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
{
	echo "pidns \$(readlink /proc/self/ns/pid)"
	stat -c '%u:%g %n' $RUN $RUN/*.session $CG/memory/$PARENT $CG/memory/$PARENT/user-$U_UID \\
		$CG/pids/$PARENT $CG/pids/$PARENT/user-$U_UID
} >$T/probe.out 2>&1
PROBE
chmod 0755 "$T/probe"
SVC=$(nsiso_make_pam_service "session required $NSISO_MODULE conf=$T/nsiso.conf helper=$NSISO_HELPER run_dir=$RUN
session required pam_exec.so seteuid $T/probe")

adv_as "$U" "$PUB/pamtester" "$SVC" "$U" open_session close_session >"$T/app.out" 2>&1
nsiso_assert_eq "setuid pamtester run by the user opens and closes (exit status)" 0 "$?"
cat "$T/app.out" "$T/probe.out" 2>/dev/null
nsiso_assert_false "the session had its own PID namespace" \
	grep -qx "pidns $(readlink /proc/self/ns/pid)" "$T/probe.out"

owner_of() { sed -n "s|^\([0-9]*:[0-9]*\) $1\$|\1|p" "$T/probe.out"; }
nsiso_assert_eq "the run directory the helper created is root:root" 0:0 "$(owner_of "$RUN")"
records=$(grep -c "^[0-9]*:[0-9]* $RUN/[0-9a-f]*\.session\$" "$T/probe.out")
nsiso_assert_eq "one session record while the session was open" 1 "$records"
nsiso_assert_eq "the session record is root:root" 0:0 \
	"$(sed -n "s|^\([0-9]*:[0-9]*\) $RUN/[0-9a-f]*\.session\$|\1|p" "$T/probe.out")"
for hier in memory pids; do
	nsiso_assert_eq "the cgroup parent ($hier) is root:root" 0:0 "$(owner_of "$CG/$hier/$PARENT")"
	nsiso_assert_eq "the user's group user-$U_UID ($hier) is root:root" 0:0 \
		"$(owner_of "$CG/$hier/$PARENT/user-$U_UID")"
done
nsiso_assert_true "nothing of the session is left afterwards" \
	nsiso_wait_for nsiso_session_gone "$U" "$PARENT"
