#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model P6 (docs/threat-model.md): a login from inside a private_tmp
# session (su, sudo: a setuid PAM application run in the session).  The
# exec'd helper works in the caller's mount namespace, where /tmp is the
# outer user's private dir (root's and 1777 like any /tmp, told apart by
# its mount's root, .nsiso-tmp/<uid>): that must never count as the host's
# fault, or on_error allow lets the inner login through with no namespaces
# and no group of its own.
#   - the same user (as M2 allows a session inside a session): the login
#     opens, in PID namespaces of its own, and keeps the user's private /tmp
#     and /var/tmp (the outer session's: already the user's own);
#   - another private_tmp user, on_error allow: denied, never let through,
#     with the reason logged;
#   - the outer user cannot mount a FUSE file system of their own on their
#     /tmp (bindfs; root could not enter it, and its daemon could lie or keep
#     root waiting): it is root's and sticky, and fusermount refuses.  When
#     it was the user's (0700), such a mount made both inner logins denied.
# Everything the sessions must reach lives outside /tmp (the outer session's
# /tmp is private): the module, the helper, the conf, the run directory, a
# setuid-root pamtester and the probes.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib/adv.sh"
nsiso_setup
nsiso_start_syslog || nsiso_die "no syslog listener of our own on /dev/log"

A=$(nsiso_make_user) || nsiso_die "cannot create the first user"
B=$(nsiso_make_user) || nsiso_die "cannot create the second user"
UIDA=$(id -u "$A") UIDB=$(id -u "$B")
nsiso_forget_private_tmp "$UIDA"
nsiso_forget_private_tmp "$UIDB"
PARENT=$(nsiso_cgroup_parent)
D=$(nsiso_dir_outside_tmp)
command -v bindfs >/dev/null || nsiso_die "no bindfs: run make deps (make check does)"
# /dev/fuse is 0666 where udev runs; this machine has no udev.
FUSE_MODE=$(stat -c %a /dev/fuse) || nsiso_die "no /dev/fuse"
nsiso_on_exit chmod "$FUSE_MODE" /dev/fuse
chmod 0666 /dev/fuse
install -d -o "$A" -m 0700 "$D/src"
install -m 0755 -o root -g root "$NSISO_HELPER" "$D/nsiso-helper" &&
	install -m 0644 -o root -g root "$NSISO_MODULE" "$D/pam_nsiso.so" &&
	install -m 4755 -o root -g root /usr/bin/pamtester "$D/pamtester" ||
	nsiso_die "cannot copy the module, the helper and pamtester to $D"
rules=""
for u in "$A" "$B"; do
	rules+="$u isolate uts,ipc,mnt,pid
$u memory 128M
$u tasks 50
$u private_tmp yes
$u on_error allow
"
done
printf '* cgroup_parent %s\n%s' "$PARENT" "$rules" >"$D/nsiso.conf"
chmod 0644 "$D/nsiso.conf"
LINE="session required $D/pam_nsiso.so conf=$D/nsiso.conf helper=$D/nsiso-helper run_dir=$D/run"

# view FILE: where the process running it is (root, in a session; pam_exec
# seteuid in the inner one: the setuid pamtester's real uid is A's).
cat >"$D/view" <<'VIEW'
#!/bin/sh
{
	echo "pidns=$(readlink /proc/self/ns/pid)"
	echo "tmp=$(stat -c '%U %a %i' /tmp)"
	echo "vartmp=$(stat -c '%U %a %i' /var/tmp)"
	echo "tmp_root=$(awk '$5 == "/tmp" { r = $4 } END { print r }' /proc/self/mountinfo)"
	echo "mem=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)"
} >"$1.tmp" 2>&1
mv "$1.tmp" "$1"
VIEW
# The inner session's probe, and the outer session's step: its own view,
# then an inner login of each user, run as A through the setuid pamtester.
cat >"$D/inner" <<INNER
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
$D/view $D/inner.\$NSISO_PHASE.\$PAM_USER
INNER
cat >"$D/outer" <<OUTER
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
$D/view $D/outer.view
as_a() { setpriv --reuid=$UIDA --regid=$(id -g "$A") --init-groups -- "\$@"; }
nested() { # PHASE
	for u in $A $B; do
		as_a $D/pamtester -E NSISO_PHASE=\$1 \$SVC_IN \$u open_session close_session \\
			>$D/\$1.\$u 2>&1
		echo "rc=\$?" >>$D/\$1.\$u
	done
}
nested nested
if as_a bindfs --no-allow-other $D/src /tmp 2>$D/fuse.err; then
	echo mounted >$D/fuse.state
	nested fuse
	as_a fusermount3 -u /tmp
else
	echo refused >$D/fuse.state
fi
exit 0
OUTER
chmod 0755 "$D/view" "$D/inner" "$D/outer"
SVC_IN=$(nsiso_make_pam_service "$LINE
session required pam_exec.so seteuid $D/inner")
SVC_OUT=$(nsiso_make_pam_service "$LINE
session required pam_exec.so $D/outer")
sed -i "s/\\\$SVC_IN/$SVC_IN/" "$D/outer"

val() { sed -n "s/^$2=//p" "$1" 2>/dev/null; }
HOST_PIDNS=$(readlink /proc/self/ns/pid)

nsiso_log_mark
nsiso_assert_true "the outer login of $A opens and closes" \
	pamtester "$SVC_OUT" "$A" open_session close_session
outer_pidns=$(val "$D/outer.view" pidns)
nsiso_assert_true "the outer login is isolated" \
	test -n "$outer_pidns" -a "$outer_pidns" != "$HOST_PIDNS"
outer_tmp=$(val "$D/outer.view" tmp)
nsiso_assert_match "the outer login's /tmp is a /tmp: root's, 1777" "^root 1777 [0-9]+\$" "$outer_tmp"
nsiso_assert_match "... mounted from $A's private dir" "/\.nsiso-tmp/$UIDA\$" \
	"$(val "$D/outer.view" tmp_root)"

# The same user inside: a session of its own, the private /tmp kept.
nsiso_assert_match "$A inside $A's session: the login opens and closes" '^rc=0$' \
	"$(grep '^rc=' "$D/nested.$A")"
inner_pidns=$(val "$D/inner.nested.$A" pidns)
nsiso_assert_true "$A inside: a PID namespace of its own (not the outer one, not the host's)" \
	test -n "$inner_pidns" -a "$inner_pidns" != "$outer_pidns" -a "$inner_pidns" != "$HOST_PIDNS"
nsiso_assert_eq "$A inside: /tmp is the outer session's, $A's own" "$outer_tmp" "$(val "$D/inner.nested.$A" tmp)"
nsiso_assert_eq "$A inside: /var/tmp likewise" "$(val "$D/outer.view" vartmp)" \
	"$(val "$D/inner.nested.$A" vartmp)"
nsiso_assert_eq "$A inside: in $A's group" "/$PARENT/user-$UIDA" "$(val "$D/inner.nested.$A" mem)"

# Another user inside: the failure is a user's doing, so it denies.
nsiso_assert_match "$B inside $A's session: the login is refused" '^rc=[1-9]' \
	"$(grep '^rc=' "$D/nested.$B")"
nsiso_assert_true "$B inside: the refusal names the user's /tmp, and denies" nsiso_wait_log \
	"cannot isolate session of $B: .*private /tmp: /tmp is the private /tmp of uid $UIDA .*login denied"
adv_log_none "$B inside: never let through without isolation" "session of $B: .*allowed without isolation"

# The outer user's FUSE mount on their /tmp: refused at the mount.
nsiso_assert_eq "$A cannot mount a FUSE file system on the session's /tmp (root's, sticky)" \
	refused "$(cat "$D/fuse.state" 2>/dev/null)"
adv_log_none "nobody let through without isolation" "allowed without isolation"

gone_all() {
	nsiso_session_gone "$A" "$PARENT" "$D/run" && nsiso_session_gone "$B" "$PARENT" "$D/run" &&
		[ ! -e "$(nsiso_private_tmp "$UIDA")" ] && [ ! -e "$(nsiso_private_tmp "$UIDB")" ]
}
nsiso_assert_true "after the logout nothing of either user is left" nsiso_wait_for gone_all
