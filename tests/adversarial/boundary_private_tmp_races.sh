#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model P1-P3: a user plants symbolic links and directories where
# root makes and removes private /tmp directories (private_tmp), to make
# root create, chown or delete something elsewhere.
#   P1  /tmp/.nsiso-tmp and /var/tmp/.nsiso-tmp planted before root made
#       them (a symlink to a root directory; a user's 0777 directory with a
#       symlink named after the victim's uid): moved aside, never followed;
#       the login gets a fresh root-made base; nothing appears elsewhere.
#   P2  the same planted in a tight loop while logins make the base
#       (removed before each): whatever wins, nothing appears elsewhere.
#   P3  the user's own /tmp and /var/tmp hold symlinks to root's and to the
#       user's files, a directory tree deeper than the reaper's fd budget
#       ending in a symlink, an unreadable directory, a FIFO, and a mount
#       point (made by root): after the last logout everything of the user
#       is gone, nothing outside is touched, and the mount is not entered.
# The bases are shared by the machine's private_tmp sessions: the test
# removes them only when they are empty (no session uses them), and the
# product makes them again on demand.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib/adv.sh"
nsiso_setup
nsiso_start_syslog || nsiso_die "no syslog listener of our own on /dev/log"

ATT=$(nsiso_make_user) || nsiso_die "cannot create the attacker"
VIC=$(nsiso_make_user) || nsiso_die "cannot create the victim"
UIDA=$(id -u "$ATT") UIDV=$(id -u "$VIC")
nsiso_forget_private_tmp "$UIDV"
nsiso_forget_private_tmp "$UIDA"
PARENT=$(nsiso_cgroup_parent)
D=$(nsiso_dir_outside_tmp)
HOMEV=$(getent passwd "$VIC" | cut -d: -f6)
nsiso_write_conf "* cgroup_parent $PARENT
$VIC isolate uts,ipc,mnt,pid
$VIC memory 128M
$VIC tasks 100
$VIC private_tmp yes" >/dev/null
P=$(nsiso_private_tmp "$UIDV")
PV=$(nsiso_private_tmp "$UIDV" /var/tmp)

as() {
	local user=$1
	shift
	setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --init-groups -- "$@"
}

# Root-owned targets a planted link points at: nothing may appear in the
# empty ones, nothing may go from the full ones.
install -d -m 0755 "$D/victim" "$D/victim2" "$D/victim3" "$D/victim4"
echo keep >"$D/victim3/keep"
echo keep >"$D/victim4/keep"
as "$VIC" mkdir "$HOMEV/keepme"
as "$VIC" sh -c "echo mine >$HOMEV/keepme/file"
empty() { [ -z "$(ls -A "$1")" ]; }

# Cleanup: the attacker's planted entries, wherever the test left them, and
# any mount made into the victim's private dirs.
_remove_planted() {
	local f m
	for m in $(findmnt -rn -o TARGET | grep -E "^(/var)?/tmp/\\.nsiso-tmp/$UIDV(\\.gone\\.[0-9a-f]+)?/"); do
		umount "$m"
	done
	for f in /tmp/.nsiso-tmp /var/tmp/.nsiso-tmp /tmp/.nsiso-tmp.planted.* /var/tmp/.nsiso-tmp.planted.*; do
		if [ -L "$f" ] || [ -e "$f" ]; then
			[ "$(stat -c %u "$f")" = "$UIDA" ] && rm -rf --one-file-system -- "$f"
		fi
	done
	return 0
}
nsiso_on_exit _remove_planted


# The probe: root, in the session, after pam_nsiso.  PLANT=script runs
# $D/script as the user; HOLD keeps the session open until $D/go.PROBE.
cat >"$D/probe" <<PROBE
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
out=$D/probe.\$PROBE
{
	echo "tmp=\$(stat -c '%U %a' /tmp) \$(awk '\$5 == "/tmp" { r = \$4 } END { print r }' /proc/self/mountinfo)"
	echo "vartmp=\$(stat -c '%U %a' /var/tmp) \$(awk '\$5 == "/var/tmp" { r = \$4 } END { print r }' /proc/self/mountinfo)"
	if [ -n "\${PLANT:-}" ]; then
		setpriv --reuid="\$PAM_USER" --regid="\$(id -g "\$PAM_USER")" --init-groups -- \\
			sh $D/\$PLANT && echo "planted=yes"
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
probe() { sed -n "s/^$2=//p" "$D/probe.$1" 2>/dev/null; }
once() {
	local key=$1
	shift
	pamtester -E "PROBE=$key" "$@" "$SVC" "$VIC" open_session close_session >"$T/pamtester.$key" 2>&1
}
gone() { [ ! -e "$1" ] && ! compgen -G "$1.gone.*" >/dev/null; }
no_session() { [ -z "$(nsiso_holders_of "$VIC")" ] && gone "$P" && gone "$PV"; }

# ---- P1: planted before the base was made -----------------------------------

adv_take_private_tmp_bases_away
as "$ATT" ln -s "$D/victim" /tmp/.nsiso-tmp
as "$ATT" mkdir -m 0777 /var/tmp/.nsiso-tmp
as "$ATT" chmod 0777 /var/tmp/.nsiso-tmp
as "$ATT" ln -s "$D/victim2" "/var/tmp/.nsiso-tmp/$UIDV"
nsiso_log_mark
nsiso_assert_true "P1 the login succeeds despite the planted bases" once p1
nsiso_assert_match "P1 its /tmp is the victim's own (root's, 1777, mounted from it)" \
	"^root 1777 .*/\.nsiso-tmp/$UIDV\$" "$(probe p1 tmp)"
nsiso_assert_match "P1 its /var/tmp too" "^root 1777 .*/\.nsiso-tmp/$UIDV\$" "$(probe p1 vartmp)"
nsiso_assert_true "P1 nothing was made in the symlink's target" empty "$D/victim"
nsiso_assert_true "P1 nothing was made in the planted uid symlink's target" empty "$D/victim2"
nsiso_assert_eq "P1 /tmp/.nsiso-tmp is now root's own 0700 directory" "root 700 directory" \
	"$(stat -c '%U %a %F' /tmp/.nsiso-tmp)"
nsiso_assert_eq "P1 and /var/tmp/.nsiso-tmp" "root 700 directory" \
	"$(stat -c '%U %a %F' /var/tmp/.nsiso-tmp)"
aside=$(compgen -G '/tmp/.nsiso-tmp.planted.*')
nsiso_assert_eq "P1 the planted symlink was moved aside, unchanged" \
	"$ATT symbolic link $D/victim" "$(stat -c '%U %F' "$aside") $(readlink "$aside")"
aside=$(compgen -G '/var/tmp/.nsiso-tmp.planted.*')
nsiso_assert_eq "P1 the planted directory was moved aside with only what the attacker put in" \
	"$ATT directory $UIDV" "$(stat -c '%U %F' "$aside") $(ls -A "$aside")"
nsiso_assert_true "P1 the move is logged with the planter's uid" nsiso_wait_log \
	"warning nsiso-helper.*/tmp/\\.nsiso-tmp was not as pam_nsiso makes it \\(owner uid $UIDA, a symbolic link\\): moved aside"
nsiso_assert_true "P1 after the logout the victim's private dirs are removed" \
	nsiso_wait_for no_session
nsiso_assert_true "P1 and the targets are still empty" empty "$D/victim"
_remove_planted

# ---- P2: planted in a loop while the base is made -----------------------------

# setpriv itself in the background (not the function as, whose subshell
# would be $! and leave the loop running when it is killed).
setpriv --reuid="$UIDA" --regid="$(id -g "$ATT")" --init-groups -- \
	bash -c "while :; do ln -s '$D/victim' /tmp/.nsiso-tmp; ln -s '$D/victim' /var/tmp/.nsiso-tmp
	mkdir -m 0777 /tmp/.nsiso-tmp; ln -s '$D/victim' /tmp/.nsiso-tmp/$UIDV; done" 2>/dev/null &
loop=$!
nsiso_on_exit _nsiso_terminate "$loop:$(_nsiso_starttime "$loop")"
# Before each login: no base of root's (an empty one is removed), and what
# the loop planted meanwhile stays for the login to meet.
reset_bases() {
	local b
	for b in /tmp/.nsiso-tmp /var/tmp/.nsiso-tmp; do
		[ "$(stat -c '%U %F' "$b" 2>/dev/null)" = "root directory" ] && rmdir "$b"
	done
	return 0
}
ok=0 denied=0 private=0
for i in 1 2 3 4 5; do
	reset_bases
	if once "race$i"; then
		ok=$((ok + 1))
		[[ "$(probe "race$i" tmp)" =~ ^root\ 1777\ .*/\.nsiso-tmp/$UIDV$ ]] && private=$((private + 1))
	else
		denied=$((denied + 1))
	fi
	nsiso_wait_for no_session || break
done
_nsiso_terminate "$loop:$(_nsiso_starttime "$loop")"
_nsiso_info "P2: $ok logins succeeded, $denied denied, while the attacker planted in a loop"
nsiso_assert_eq "P2 every login that succeeded had the victim's own /tmp" "$ok" "$private"
nsiso_assert_eq "P2 5 logins ended (succeeded or denied)" 5 $((ok + denied))
nsiso_assert_true "P2 nothing was made in the planted links' target" empty "$D/victim"
_remove_planted

# ---- P3: the user's own /tmp at removal ------------------------------------------

cat >"$D/plant-own" <<PLANT
set -e
cd /tmp
ln -s $D/victim3 ln-dir
ln -s $D/victim3/keep ln-file
ln -s $HOMEV/keepme ln-home
ln -s / ln-root
mkdir deep && cd deep
i=0
while [ \$i -lt 150 ]; do mkdir d; cd d; i=\$((i + 1)); done
ln -s $D/victim3 bottom-link
echo x >f
cd /tmp
mkdir locked && echo x >locked/f && chmod 000 locked
mkfifo fifo
echo x >"\$(printf 'new\nline')"
mkdir mnt
ln -s $D/victim3 /var/tmp/ln-dir
mkdir -p /var/tmp/a/b && ln -s $HOMEV/keepme /var/tmp/a/b/home
PLANT
mkfifo -m 0600 "$D/go.p3"
pamtester -E PROBE=p3 -E PLANT=plant-own -E HOLD=1 "$SVC" "$VIC" open_session close_session \
	>"$T/pamtester.p3" 2>&1 &
held=$!
nsiso_on_exit _nsiso_terminate "$held:$(_nsiso_starttime "$held")"
nsiso_assert_true "P3 a session opens and plants links, a deep tree and more in its /tmp" \
	nsiso_wait_for test -s "$D/ready.p3"
nsiso_assert_eq "P3 the user planted them" yes "$(probe p3 planted)"
mount --bind "$D/victim4" "$P/mnt"
nsiso_assert_true "P3 (a mount point appears in the private /tmp)" mountpoint -q "$P/mnt"
nsiso_log_mark
echo go 1<>"$D/go.p3"
nsiso_assert_true "P3 the session closes" wait "$held"
nsiso_assert_true "P3 after the logout the private /var/tmp is removed" nsiso_wait_for gone "$PV"
nsiso_assert_true "P3 the reaper says what it left" nsiso_wait_log \
	"err nsiso-helper.*the private /tmp of uid $UIDV is not removed completely"
left=$(compgen -G "$P.gone.*")
nsiso_assert_eq "P3 only the way to the mount point is left" "$left $left/mnt $left/mnt/keep" \
	"$(find "$left" | sort | tr '\n' ' ' | sed 's/ $//')"
nsiso_assert_eq "P3 the mounted directory was not entered" keep "$(cat "$D/victim4/keep")"
nsiso_assert_eq "P3 the root file behind the links is intact" keep "$(cat "$D/victim3/keep")"
nsiso_assert_eq "P3 the root directory behind the links holds what it held" keep "$(ls -A "$D/victim3")"
nsiso_assert_eq "P3 the user's home file behind a link is intact" mine "$(cat "$HOMEV/keepme/file")"
nsiso_assert_true "P3 / is intact" test -d /etc -a -d /usr -a -d "$D"
umount "$left/mnt"
nsiso_assert_true "P3 without the mount, the next last logout removes all" once p3b
nsiso_assert_true "P3 (everything, the leftover too)" nsiso_wait_for gone "$P"
