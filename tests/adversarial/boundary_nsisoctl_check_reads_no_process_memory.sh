#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# nsisoctl check looks for the system bus's dbus-daemon among all processes.
# It used to read /proc/PID/cmdline of each whose /proc/PID was root's or
# messagebus's: a read of the process's memory, under its mmap lock.  A
# user can keep that lock from root for as long as they like: a thread of
# theirs faults on a page of a FUSE file whose server never answers (the
# fault holds the lock shared), a second waits to take it exclusive, and
# every later reader waits behind both (tests/adversarial/tools/
# fusestall.c).  Such a process with /proc/PID root's: one that exec'd a
# setuid-root program (here a copy of the tool, that only the user may run).
# Now nsisoctl check reads only what the kernel answers without that lock
# (the uids in /proc/PID/status, the /proc/PID/exe link): it returns, finds
# a bus user's "dbus-daemon" that holds its lock so, and does not count the
# user's setuid one (its real uid is the user's).
set -u
. "$(dirname "$0")/lib/adv.sh"
nsiso_setup
CTL=$NSISO_TOP/ctl/nsisoctl
nsiso_require "$CTL"

U=$(nsiso_make_user) || nsiso_die "cannot create user"
GID=$(id -g "$U")
BUS_USER=root # whose dbus-daemon counts: messagebus's, or root's without that account
getent passwd messagebus >/dev/null && BUS_USER=messagebus
# Outside /tmp, which may be nosuid.
D=$(nsiso_dir_outside_tmp)
mkdir -m 0755 "$D/mnt" "$D/bus" "$D/suid"
gcc -O2 -Wall -Wextra -Werror -pthread -o "$D/fusestall" "$ADV_SRC/fusestall.c" ||
	nsiso_die "cannot build fusestall"
install -m 0755 "$D/fusestall" "$D/bus/dbus-daemon"
install -m 4750 -o root -g "$GID" "$D/fusestall" "$D/suid/dbus-daemon"
printf '%s memory 256M\n' "$U" >"$D/mem.conf"
chmod 0644 "$D/mem.conf"
# Looked at before any holder runs: pgrep may read command lines.
REAL_BUS=
pgrep -u messagebus -x dbus-daemon >/dev/null && REAL_BUS=1

# The file system, root's (allow_other): a user serves theirs through
# fusermount3; the kernel waits for either alike.  A case starts a server
# and one holder; unserve ends the server first (its death aborts the
# connection and frees every waiter: a holder's thread waits for its READ
# uninterruptibly), then the holder and the mount.
SERVER= HOLDER=
unserve() {
	[ -z "$SERVER" ] || _nsiso_terminate "$SERVER"
	[ -z "$HOLDER" ] || _nsiso_terminate "$HOLDER"
	# Not nsiso_unmount: mountpoint(1) stats the dead mount (ENOTCONN).
	while findmnt -rn --mountpoint "$D/mnt" >/dev/null; do umount -l "$D/mnt" || break; done
	SERVER= HOLDER=
}
nsiso_on_exit unserve
# serve_and_hold NAME ID_ARGS...: a server, and a holder of its file's page
# as setpriv ID_ARGS say, in HOLDER_PID once it holds.
serve_and_hold() {
	local name=$1 pid
	shift
	"$D/fusestall" serve "$D/mnt" >"$T/serve.out" 2>&1 &
	SERVER=$!:$(_nsiso_starttime $!)
	nsiso_wait_for grep -q serving "$T/serve.out" || nsiso_die "no FUSE server"
	setpriv "$@" -- "$D/$name/dbus-daemon" hold "$D/mnt/f" >"$T/$name.out" 2>&1 &
	pid=$!
	HOLDER=$pid:$(_nsiso_starttime "$pid")
	HOLDER_PID=$pid
	nsiso_wait_for grep -q held "$T/$name.out" || nsiso_die "no holder ($name)"
}
# cmdline_blocks PID: root's read of its command line still waits after 2 s.
cmdline_blocks() { timeout -s KILL 2 cat "/proc/$1/cmdline" >/dev/null 2>&1; [ $? -eq 137 ]; }
# check: nsisoctl check of mem.conf, at most 20 s; its output, then "exit N".
check() {
	timeout -s KILL 20 "$CTL" check "$D/mem.conf" 2>&1
	echo "exit $?"
}
WARNING='dbus-daemon has its built-in limits'

# The bus user's: found, without waiting on its memory.
serve_and_hold bus --reuid="$BUS_USER" --regid="$(id -g "$BUS_USER")" --clear-groups
nsiso_assert_eq "bus user's holder: /proc/PID is $BUS_USER's (the old filter let it through)" \
	"$(id -u "$BUS_USER")" "$(stat -c %u "/proc/$HOLDER_PID")"
nsiso_assert_true "bus user's holder: root's read of its cmdline blocks" cmdline_blocks "$HOLDER_PID"
out=$(check)
nsiso_assert_match "bus user's holder: nsisoctl check returns, status 0" $'\nexit 0$' "$out"
nsiso_assert_match "bus user's holder: and warns: uids and exe make it the system bus's" \
	"nsisoctl: warning: the system bus's $WARNING" "$out"
unserve

# The user's, through a setuid-root program: /proc/PID root's, real uid the
# user's.
serve_and_hold suid --reuid="$U" --regid="$GID" --init-groups
nsiso_assert_eq "user's setuid holder: /proc/PID is root's" 0 "$(stat -c %u "/proc/$HOLDER_PID")"
nsiso_assert_true "user's setuid holder: root's read of its cmdline blocks" cmdline_blocks "$HOLDER_PID"
out=$(check)
nsiso_assert_match "user's setuid holder: nsisoctl check returns, status 0" $'\nexit 0$' "$out"
if [ -z "$REAL_BUS" ]; then
	nsiso_assert_eq "user's setuid holder: named dbus-daemon, not counted" 0 \
		"$(grep -c "$WARNING" <<<"$out")"
fi
unserve
