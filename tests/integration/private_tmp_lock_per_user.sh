#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Whether another session of a user uses its private /tmp is the question
# of the user's own file, /run/nsiso/user-<uid>.private-tmp, which each
# such session's holder holds read-locked (an OFD lock on the whole file)
# for its life: the kernel walks a file's locks at every lock and close,
# and one file for every user (a byte per uid of private-tmp.lock) made
# each login pay for every private /tmp session on the host.
#  - each user's file carries exactly its own sessions' locks, root 0600,
#    and no session locks the old shared private-tmp.lock;
#  - a logout with sessions left keeps the user's directories (the same
#    ones); the last one removes them and the file;
#  - where a release of before left private-tmp.lock, its sessions (a lock
#    on the user's byte there) still count: our last logout leaves the
#    directories while that byte is held; our sessions hold the byte too
#    (so that its reapers see them), also a holder a broker made ahead
#    (given both locks), and a login waits while one of its reapers holds
#    the byte exclusively; the file stays;
#  - a login while the last logout moves the directories away waits for
#    it, finds the file removed, and holds a new one (fault point
#    private-tmp-release:wait, in the test build of the helper);
#  - logins and logouts at once leave every lock on the file the name leads
#    to (none on a removed one) and each round's sessions one directory.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
nsiso_fault_helper

USER_A=$(nsiso_make_user) || nsiso_die "cannot create user"
UID_A=$(id -u "$USER_A")
nsiso_forget_private_tmp "$UID_A"
USER_B=$(nsiso_make_user) || nsiso_die "cannot create user"
UID_B=$(id -u "$USER_B")
nsiso_forget_private_tmp "$UID_B"
PARENT=$(nsiso_cgroup_parent)
nsiso_write_conf "* cgroup_parent $PARENT
* isolate uts,ipc,mnt,pid
* memory 256M
* private_tmp yes" >/dev/null
SVC=$(nsiso_make_pam_service "$(nsiso_module_line)")
# The same, with the test build of the helper (the same code with fault
# points).
SVC_F=$(nsiso_make_pam_service "$(nsiso_module_line "helper=$HELPER")")
# And through a broker of our own, which gives holders it made ahead.
install -d -m 0700 "$T/brk"
SVC_B=$(nsiso_make_pam_service "$(nsiso_module_line "broker=$T/brk/broker.sock")")
nsiso_start_broker "$NSISO_HELPER" "$T/brk/broker.sock"
LOCKS=/run/nsiso
FILE_A=$LOCKS/user-$UID_A.private-tmp
FILE_B=$LOCKS/user-$UID_B.private-tmp
OLD=$LOCKS/private-tmp.lock
DIR_A=/tmp/.nsiso-tmp/$UID_A
DIR_B=/tmp/.nsiso-tmp/$UID_B
# The old lock file is made by this test below: never one of a real
# release (the test stops if one is there).
[ -e "$OLD" ] && nsiso_die "$OLD is there before the test: another release's sessions?"
nsiso_on_exit rm -f -- "$OLD"

# [SERVICE=...] session USER UID N: nsiso_held_session, with SVC unless
# SERVICE says.
session() { nsiso_held_session "${SERVICE:-$SVC}" "$@"; }
sleeper() { nsiso_held_sleeper "$@"; }
end_session() { nsiso_end_held "$@"; }
up() { nsiso_held_up "$@"; }
locks() { nsiso_ofd_locks "$@"; }
has_locks() { [ "$(locks "$1")" -eq "$2" ]; } # FILE N
no_stale() { [ -z "$(nsiso_open_by nsiso-holder "$FILE_A (deleted)")" ]; }
opened_by() { [ -n "$(nsiso_open_by "$@")" ]; } # COMM FILE
# tmp_of N: the inode of session N's /tmp (its sleep's view, as root).
tmp_of() { local p; p=$(sleeper "$1"); [ -n "$p" ] && stat -Lc %i "/proc/$p/root/tmp" 2>/dev/null; }
# in_dir N...: sessions N... use A's private /tmp as it is now.
in_dir() {
	local n ino
	ino=$(dir_ino "$DIR_A") || return 1
	for n in "$@"; do [ "$(tmp_of "$n")" = "$ino" ] || return 1; done
}
reapers_of() { nsiso_members_in pids "$PARENT" "$1" nsiso-reaper; } # UID
dir_ino() { stat -c %i "$1" 2>/dev/null; }
no_dir() { [ ! -e "$1" ] && ! compgen -G "$1.gone.*" >/dev/null; }
records_of() { grep -l "^user=$1\$" "$T"/run/*.session 2>/dev/null | wc -l; }
has_records() { [ "$(records_of "$1")" -eq "$2" ]; } # USER N

# ---- two users: a file each, with its own sessions' locks ------------------
session "$USER_A" "$UID_A" 1
session "$USER_A" "$UID_A" 2
session "$USER_B" "$UID_B" 3
nsiso_assert_true "two sessions of A and one of B are up" nsiso_wait_for up 1 2 3
nsiso_assert_true "A's file carries A's two sessions' locks" nsiso_wait_for has_locks "$FILE_A" 2
nsiso_assert_true "B's file carries B's one" nsiso_wait_for has_locks "$FILE_B" 1
nsiso_assert_eq "the files are root's, 0600, regular" \
	"root 600 regular empty file root 600 regular empty file" \
	"$(stat -c '%U %a %F' "$FILE_A" "$FILE_B" | tr '\n' ' ' | sed 's/ $//')"
nsiso_assert_false "no session makes the old shared private-tmp.lock" test -e "$OLD"
nsiso_assert_true "A's private /tmp is there, A's two sessions' /tmp" in_dir 1 2
INO_A=$(dir_ino "$DIR_A")
INO_FILE_B=$(stat -c %i "$FILE_B")

# ---- a logout with sessions left, then the last --------------------------
mapfile -t REAPERS < <(reapers_of "$UID_A")
[ ${#REAPERS[@]} -eq 2 ] || nsiso_die "A's reapers: ${REAPERS[*]-none}"
end_session 1
nsiso_assert_true "one of A's logouts: its holder lets go of its lock" \
	nsiso_wait_for has_locks "$FILE_A" 1
nsiso_assert_true "its reaper, done with its release, ends" \
	nsiso_wait_for nsiso_ended 1 "${REAPERS[@]}"
nsiso_assert_eq "A's private /tmp stays, the same directory, the other session's" \
	"$INO_A $INO_A" "$(dir_ino "$DIR_A") $(tmp_of 2)"
end_session 2
nsiso_assert_true "A's last logout removes A's private /tmp" nsiso_wait_for no_dir "$DIR_A"
nsiso_assert_true "and A's file" nsiso_wait_for test ! -e "$FILE_A"
nsiso_assert_eq "B's file is untouched" "$INO_FILE_B 1" "$(stat -c %i "$FILE_B") $(locks "$FILE_B")"
nsiso_assert_true "and B's private /tmp" test -d "$DIR_B"

# ---- a session of a release of before: A's byte of private-tmp.lock -------
legacy() { nsiso_hold_ofd_byte "$1" "$OLD" "$UID_A" "$2"; LEGACY=$NSISO_OFD_PID; } # NAME r|w
legacy old-session r
session "$USER_A" "$UID_A" 4
nsiso_assert_true "with the old byte held, a session of A is up" nsiso_wait_for up 4
nsiso_assert_true "its holder holds A's file" nsiso_wait_for has_locks "$FILE_A" 1
nsiso_assert_eq "and A's byte of private-tmp.lock, beside the old session" 2 "$(locks "$OLD" "$UID_A")"
INO_A=$(dir_ino "$DIR_A")
# The same through the broker, whose spare gives its holder both locks.
nsiso_assert_true "the broker has two holders made ahead" nsiso_wait_for nsiso_broker_ready
mapfile -t IDLE < <(nsiso_made_ahead "$BROKER_PID" nsiso-idle-hold)
SERVICE=$SVC_B session "$USER_A" "$UID_A" 8
nsiso_assert_true "a session of A through the broker is up" nsiso_wait_for up 8
nsiso_assert_true "A's file carries both sessions' locks" nsiso_wait_for has_locks "$FILE_A" 2
nsiso_assert_eq "and A's byte of private-tmp.lock three" 3 "$(locks "$OLD" "$UID_A")"
given() { # the holder made ahead that serves session 8 has FILE open
	local pid fd
	for pid in "${IDLE[@]}"; do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = nsiso-holder ] || continue
		for fd in /proc/"$pid"/fd/*; do
			[ "$(readlink "$fd" 2>/dev/null)" = "$1" ] && return 0
		done
	done
	return 1
}
nsiso_assert_true "the holder made ahead holds A's file" given "$FILE_A"
nsiso_assert_true "and private-tmp.lock" given "$OLD"
nsiso_assert_true "and the session's /tmp is A's private /tmp" in_dir 8
end_session 8
nsiso_assert_true "the broker's session ends: its locks go" nsiso_wait_for has_locks "$FILE_A" 1
end_session 4
nsiso_assert_true "the session of ours ends: its reaper is done" \
	nsiso_wait_for nsiso_session_gone "$USER_A" "$PARENT"
nsiso_assert_eq "A's file is let go, and kept for the next last logout" "yes 0" \
	"$(test -f "$FILE_A" && echo yes) $(locks "$FILE_A")"
nsiso_assert_eq "with the old byte held, A's private /tmp stays, the same directory" \
	"$INO_A" "$(dir_ino "$DIR_A")"
kill "$LEGACY"
wait "$LEGACY" 2>/dev/null
# A reaper of before, moving the directories away, holds the byte
# exclusively: a login of ours waits for it.
legacy old-reaper w
session "$USER_A" "$UID_A" 7
nsiso_assert_true "a login of A waits for the old byte, private-tmp.lock open" \
	nsiso_wait_for opened_by nsiso-helper "$OLD"
kill "$LEGACY"
wait "$LEGACY" 2>/dev/null
old_byte_is() { [ "$(locks "$OLD" "$UID_A" "$1")" -eq "$2" ]; } # TYPE N
nsiso_assert_true "the byte let go, it is up" nsiso_wait_for up 7
nsiso_assert_true "and holds A's byte" nsiso_wait_for old_byte_is READ 1
end_session 7
nsiso_assert_true "its logout, the last, removes A's private /tmp" nsiso_wait_for no_dir "$DIR_A"
nsiso_assert_true "and A's file" nsiso_wait_for test ! -e "$FILE_A"
nsiso_assert_true "and lets go of the byte" nsiso_wait_for old_byte_is READ 0
nsiso_assert_true "private-tmp.lock stays (a broker of before may still use it)" test -e "$OLD"
rm -f -- "$OLD"	# as the next boot does

# ---- a login while the last logout moves the directories away -------------
SERVICE=$SVC_F session "$USER_A" "$UID_A" 5
nsiso_assert_true "a session of A (the test build) is up" nsiso_wait_for up 5
nsiso_assert_true "its holder holds A's file" nsiso_wait_for has_locks "$FILE_A" 1
write_locked() { [ "$(locks "$FILE_A" "" WRITE)" -eq 1 ]; }
printf 'private-tmp-release:wait\n' >"$FAULT"
end_session 5
nsiso_assert_true "its logout holds A's file exclusively (until the fault file goes)" \
	nsiso_wait_for write_locked
session "$USER_A" "$UID_A" 6
nsiso_assert_true "a login of A meanwhile opens A's file" nsiso_wait_for opened_by nsiso-helper "$FILE_A"
nsiso_assert_false "and waits: it is not up while the file is held" up 6
nsiso_assert_true "(held)" write_locked
rm -f -- "$FAULT"
nsiso_assert_true "the lock let go, the login is up" nsiso_wait_for up 6
nsiso_assert_true "its holder holds the new file the name leads to" \
	nsiso_wait_for has_locks "$FILE_A" 1
nsiso_assert_true "no holder holds a removed file" nsiso_wait_for no_stale
nsiso_assert_true "A's private /tmp, made again, is its /tmp" in_dir 6
end_session 6
nsiso_assert_true "its logout removes A's private /tmp" nsiso_wait_for no_dir "$DIR_A"

# ---- logins and logouts at once ------------------------------------------
for n in 11 12 13 14 15 16; do session "$USER_A" "$UID_A" "$n"; done
nsiso_assert_true "six sessions of A are up" nsiso_wait_for up 11 12 13 14 15 16
nsiso_assert_true "A's file carries six locks" nsiso_wait_for has_locks "$FILE_A" 6
# The last logout of each round removes the file and the directories.
round_left() { # ROUND NEW...
	local round=$1
	shift
	nsiso_assert_true "round $round: the file the name leads to carries four locks" \
		nsiso_wait_for has_locks "$FILE_A" 4
	nsiso_assert_true "round $round: no holder holds a removed file" nsiso_wait_for no_stale
	nsiso_assert_true "round $round: A's private /tmp is their /tmp" in_dir "$@"
}
nsiso_held_rounds "$SVC" "$USER_A" "$UID_A" round_left 11 12 13 14 15 16
for n in $NSISO_HELD_LAST; do end_session "$n"; done
end_session 3
nsiso_assert_true "every session ends" nsiso_wait_for nsiso_session_gone "$USER_A" "$PARENT"
nsiso_assert_true "B's too" nsiso_wait_for nsiso_session_gone "$USER_B" "$PARENT" "$T/run"
nsiso_assert_true "the last logouts remove both files" \
	nsiso_wait_for test ! -e "$FILE_A" -a ! -e "$FILE_B"
nsiso_assert_true "and both users' private /tmp" nsiso_wait_for no_dir "$DIR_B"
nsiso_assert_true "(A's)" no_dir "$DIR_A"
