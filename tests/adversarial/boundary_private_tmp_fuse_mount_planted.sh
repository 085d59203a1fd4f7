#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model P5: a user who can reach the host's /tmp (not covered by
# private_tmp) mounts a FUSE file system of their own (bindfs, through the
# setuid fusermount3 every FUSE user has) where root makes the private /tmp
# base, before root made it.  Root may not enter a FUSE mount of another
# user (EACCES, without asking the user's daemon) and, with allow_other, the
# daemon could hold root's open for as long as it likes; a mount point
# cannot be renamed aside (EBUSY).  Before the fix the EACCES counted as the
# host's fault: under on_error allow the victim's login went through with
# no namespaces and no limit, under deny every private_tmp login was
# refused while the mount stayed.
# Now: the login, under on_error allow, is isolated and has the victim's
# own /tmp; the mount was never entered; it is detached in the session's
# mount namespace only and the directory under it moved aside (logged with
# the planter's uid); the host's mount is the attacker's still, and the
# victim's private dirs go at the logout.  The same via the broker (whose
# holder made ahead detaches them) with two allow_other FUSE mounts stacked
# there, on a host whose fuse.conf has user_allow_other (then root's open
# would have been served by the attacker's daemon, which may take forever).
set -u
. "$(dirname "$0")/lib/adv.sh"
nsiso_setup
nsiso_start_syslog || nsiso_die "no syslog listener of our own on /dev/log"

command -v bindfs >/dev/null && [ -u /usr/bin/fusermount3 ] ||
	nsiso_die "bindfs and a setuid fusermount3 are needed (make deps installs fuse3 and bindfs)"
ATT=$(nsiso_make_user) || nsiso_die "cannot create the attacker"
VIC=$(nsiso_make_user) || nsiso_die "cannot create the victim"
UIDA=$(id -u "$ATT") UIDV=$(id -u "$VIC")
nsiso_forget_private_tmp "$UIDV"
PARENT=$(nsiso_cgroup_parent)
D=$(nsiso_dir_outside_tmp)
nsiso_write_conf "* cgroup_parent $PARENT
$VIC isolate uts,ipc,mnt,pid
$VIC memory 128M
$VIC tasks 100
$VIC private_tmp yes
$VIC on_error allow" >/dev/null
P=$(nsiso_private_tmp "$UIDV")
PV=$(nsiso_private_tmp "$UIDV" /var/tmp)
HOST_PIDNS=$(readlink /proc/self/ns/pid)

# /dev/fuse is 0666 where udev runs (every desktop and most servers); this
# machine has no udev.  Given to users for the test, given back after it.
FUSE_MODE=$(stat -c %a /dev/fuse) || nsiso_die "no /dev/fuse"
nsiso_on_exit chmod "$FUSE_MODE" /dev/fuse
chmod 0666 /dev/fuse

as() {
	local user=$1
	shift
	setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --init-groups -- "$@"
}

# Cleanup: the attacker's FUSE mounts (wherever the entry went), then what
# the attacker planted.
_remove_planted() {
	local m f
	for m in $(findmnt -rn -t fuse -o TARGET | grep -E '^(/var)?/tmp/\.nsiso-tmp'); do
		umount -l "$m"
	done
	for f in /tmp/.nsiso-tmp /var/tmp/.nsiso-tmp /tmp/.nsiso-tmp.planted.* /var/tmp/.nsiso-tmp.planted.*; do
		if [ -e "$f" ] && [ "$(stat -c %u "$f")" = "$UIDA" ]; then
			rm -rf --one-file-system -- "$f"
		fi
	done
	return 0
}
nsiso_on_exit _remove_planted

# The probe: root, in the session, after pam_nsiso.
cat >"$D/probe" <<PROBE
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
{
	echo "tmp=\$(stat -c '%U %a' /tmp) \$(awk '\$5 == "/tmp" { r = \$4 } END { print r }' /proc/self/mountinfo)"
	echo "vartmp=\$(stat -c '%U %a' /var/tmp) \$(awk '\$5 == "/var/tmp" { r = \$4 } END { print r }' /proc/self/mountinfo)"
	echo "pidns=\$(readlink /proc/self/ns/pid)"
} >$D/probe.out.tmp 2>&1
mv $D/probe.out.tmp $D/probe.out
exit 0
PROBE
chmod 0755 "$D/probe"
SVC=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so $D/probe")
nsiso_start_broker "$NSISO_HELPER" "$T/broker.sock"
SVC_BRK=$(nsiso_make_pam_service "$(nsiso_module_line "broker=$T/broker.sock")
session required pam_exec.so $D/probe")
probe() { sed -n "s/^$1=//p" "$D/probe.out" 2>/dev/null; }
gone() { [ ! -e "$1" ] && ! compgen -G "$1.gone.*" >/dev/null; }
no_session() { [ -z "$(nsiso_holders_of "$VIC")" ] && gone "$P" && gone "$PV"; }

mkdir -p "$D/src"
chown "$ATT" "$D/src"

# plant N [OPT]: the attacker's directory where root makes the base, and N
# FUSE mounts stacked on it (fusermount can stack only allow_other ones:
# it looks at the mount point as the user).
plant() {
	local i
	adv_take_private_tmp_bases_away
	as "$ATT" mkdir /tmp/.nsiso-tmp || return 1
	for ((i = 0; i < $1; i++)); do
		as "$ATT" bindfs "${2:---no-allow-other}" "$D/src" /tmp/.nsiso-tmp || return 1
	done
}

# round NAME SERVICE MOUNTS [OPT]
round() {
	local name=$1 svc=$2 aside
	rm -f "$D/probe.out"
	plant "$3" "${4-}" || nsiso_die "$name: the attacker's bindfs mount failed"
	nsiso_assert_eq "$name: the attacker's FUSE mount sits where root makes the base" "fuse" \
		"$(findmnt -rn -o FSTYPE /tmp/.nsiso-tmp | tail -n 1)"
	nsiso_log_mark
	nsiso_assert_true "$name: the victim's login succeeds" \
		pamtester "$svc" "$VIC" open_session close_session
	nsiso_assert_true "$name: it ran in a PID namespace of its own (no switch to unisolated)" \
		test -n "$(probe pidns)" -a "$(probe pidns)" != "$HOST_PIDNS"
	nsiso_assert_match "$name: its /tmp is the victim's own (root's, 1777, mounted from it)" \
		"^root 1777 .*/\.nsiso-tmp/$UIDV\$" "$(probe tmp)"
	nsiso_assert_match "$name: its /var/tmp too" "^root 1777 .*/\.nsiso-tmp/$UIDV\$" "$(probe vartmp)"
	nsiso_assert_true "$name: the mounts were detached in the session only, logged" nsiso_wait_log \
		"warning nsiso-helper.*/tmp/\\.nsiso-tmp was a mount point \\(not pam_nsiso's; $3 mounts\\): detached in the session's mount namespace"
	nsiso_assert_true "$name: the directory under them was moved aside, logged with the planter's uid" \
		nsiso_wait_log "warning nsiso-helper.*/tmp/\\.nsiso-tmp was not as pam_nsiso makes it \\(owner uid $UIDA, a directory\\)"
	adv_log_none "$name: no failure was logged" "private /tmp:"
	aside=$(compgen -G '/tmp/.nsiso-tmp.planted.*' | tail -n 1)
	nsiso_assert_eq "$name: on the host the attacker's mounts went with its directory, untouched" \
		"$3" "$(findmnt -rn -o FSTYPE "$aside" 2>/dev/null | grep -c '^fuse$')"
	nsiso_assert_eq "$name: /tmp/.nsiso-tmp is now root's own 0700 directory" "root 700 directory" \
		"$(stat -c '%U %a %F' /tmp/.nsiso-tmp)"
	nsiso_assert_true "$name: after the logout the victim's private dirs are removed" \
		nsiso_wait_for no_session
	_remove_planted
}

round exec "$SVC" 1
nsiso_wait_for nsiso_broker_ready || nsiso_die "the broker made no spares"
cp /etc/fuse.conf "$T/fuse.conf.orig" || nsiso_die "no /etc/fuse.conf"
nsiso_on_exit cp "$T/fuse.conf.orig" /etc/fuse.conf
echo user_allow_other >>/etc/fuse.conf
round broker "$SVC_BRK" 2 -oallow_other
