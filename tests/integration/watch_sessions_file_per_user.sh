#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Whether a user has other sessions is the question of the user's own
# file, user-<uid>.sessions, which each of its reapers holds read-locked
# (an OFD lock) while its session lasts: the kernel walks a file's locks at
# every lock and close, and one file for every user made each login pay
# for every session on the host.
#  - each user's file carries exactly its own sessions' locks, root 0600;
#    no reaper that can hold its file locks the old shared sessions.lock;
#  - a logout with other sessions left keeps the file, the quota socket and
#    the baton FIFO (the same one: a last look that took the user for gone
#    removes it, and the next watcher makes a new one);
#  - a lock on the user's byte of sessions.lock (a reaper of before an
#    upgrade) still counts: the last logout of ours leaves the socket;
#  - a reaper that cannot hold its user's file (fault point
#    session-file:fail) holds the user's byte of sessions.lock instead, so
#    the watching session's logout keeps the baton;
#  - the last reaper removes the file, and logins and logouts at once leave
#    every lock on the file the name leads to (none on a removed one).
# The helper is the test build with fault points (the same code).
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
nsiso_fault_helper

USER_A=$(nsiso_make_user) || nsiso_die "cannot create user"
USER_B=$(nsiso_make_user) || nsiso_die "cannot create user"
UID_A=$(id -u "$USER_A")
UID_B=$(id -u "$USER_B")
PARENT=$(nsiso_cgroup_parent)
RUN=$T/run
nsiso_write_conf "* cgroup_parent $PARENT
* isolate uts,ipc,mnt,pid
* memory 256M" >/dev/null
SVC=$(nsiso_make_pam_service "$(nsiso_module_line "helper=$HELPER")")
FILE_A=$RUN/user-$UID_A.sessions
FILE_B=$RUN/user-$UID_B.sessions

session() { nsiso_held_session "$SVC" "$@"; } # USER UID N
end_session() { nsiso_end_held "$@"; }
up() { nsiso_held_up "$@"; }
locks() { nsiso_ofd_locks "$@"; } # FILE [BYTE]
has_locks() { [ "$(locks "$1")" -eq "$2" ]; } # FILE N
has_records() { [ "$(records_of "$1")" -eq "$2" ]; } # USER N
# Four locks of A: on the file, or (a reaper that could not hold it) on
# A's byte of sessions.lock.
has_four() { [ $(($(locks "$FILE_A") + $(locks "$RUN/sessions.lock" "$UID_A"))) -eq 4 ]; }
no_stale() { [ -z "$(nsiso_open_by nsiso-reaper "$FILE_A (deleted)")" ]; }
baton_ino() { stat -c %i "$RUN/user-$UID_A.watch" 2>/dev/null; }
# end_watched N WHAT: end session N of A once A's baton is there, note the
# baton's inode in BATON and wait until that session's reaper has ended.
end_watched() {
	local -a reapers
	nsiso_assert_true "A's baton is there" nsiso_wait_for test -p "$RUN/user-$UID_A.watch"
	BATON=$(baton_ino)
	mapfile -t reapers < <(pgrep -x nsiso-reaper)
	end_session "$1"
	nsiso_assert_true "$2: its reaper ends" nsiso_wait_for nsiso_ended 1 "${reapers[@]}"
}
records_of() { grep -l "^user=$1\$" "$RUN"/*.session 2>/dev/null | wc -l; }

# ---- two users: a file each, with its own sessions' locks ------------------
session "$USER_A" "$UID_A" 1
session "$USER_A" "$UID_A" 2
session "$USER_A" "$UID_A" 3
session "$USER_B" "$UID_B" 4
nsiso_assert_true "three sessions of A and one of B are up" nsiso_wait_for up 1 2 3 4
nsiso_assert_true "A's file carries A's three sessions' locks" \
	nsiso_wait_for has_locks "$FILE_A" 3
nsiso_assert_true "B's file carries B's one" nsiso_wait_for has_locks "$FILE_B" 1
nsiso_assert_eq "the files are root's, 0600, regular" "root 600 regular empty file root 600 regular empty file" \
	"$(stat -c '%U %a %F' "$FILE_A" "$FILE_B" | tr '\n' ' ' | sed 's/ $//')"
nsiso_assert_false "no reaper makes the old shared sessions.lock" test -e "$RUN/sessions.lock"
nsiso_assert_true "A's quota socket is served" nsiso_wait_for test -S "$RUN/user-$UID_A.sock"

# ---- a logout with sessions left -----------------------------------------
end_watched 1 "one of A's logouts"
nsiso_assert_eq "its record is gone" 2 "$(records_of "$USER_A")"
nsiso_assert_eq "A's file keeps the other two locks" 2 "$(locks "$FILE_A")"
nsiso_assert_eq "A's baton is the same FIFO" "$BATON" "$(baton_ino)"
nsiso_assert_true "A's quota socket is served" nsiso_wait_for test -S "$RUN/user-$UID_A.sock"
nsiso_assert_eq "B's file is untouched" 1 "$(locks "$FILE_B")"

# ---- a reaper of before an upgrade: the user's byte of sessions.lock -------
nsiso_hold_ofd_byte legacy "$RUN/sessions.lock" "$UID_A" r
LEGACY=$NSISO_OFD_PID
mapfile -t REAPERS < <(pgrep -x nsiso-reaper)
end_session 2
end_session 3
nsiso_assert_true "A's last two sessions of ours end: their reapers end" \
	nsiso_wait_for nsiso_ended 2 "${REAPERS[@]}"
nsiso_assert_eq "their records are gone" 0 "$(records_of "$USER_A")"
nsiso_assert_true "with the old byte held, A still has a session: the quota socket stays" \
	test -S "$RUN/user-$UID_A.sock"
nsiso_assert_false "A's file went with its last lock" test -e "$FILE_A"
kill "$LEGACY"
wait "$LEGACY" 2>/dev/null
pamtester "$SVC" "$USER_A" open_session close_session >"$T/pamtester.out" 2>&1
nsiso_assert_eq "the old byte let go: a login and logout of A succeed" 0 "$?"
nsiso_assert_true "and, the last one, removes A's quota socket" \
	nsiso_wait_for test ! -e "$RUN/user-$UID_A.sock"
nsiso_assert_true "and A's file" nsiso_wait_for test ! -e "$FILE_A"

# ---- a reaper that cannot hold its user's file ---------------------------
# (That every last look reads the byte is the case above.)
session "$USER_A" "$UID_A" 6
nsiso_assert_true "a session of A, the file working, is up" nsiso_wait_for up 6
nsiso_assert_true "its reaper holds A's file" nsiso_wait_for has_locks "$FILE_A" 1
printf 'session-file:fail\n' >"$FAULT"
session "$USER_A" "$UID_A" 5
nsiso_assert_true "with the file failing, a second session of A is up" nsiso_wait_for up 5
has_byte() { [ "$(locks "$RUN/sessions.lock" "$UID_A")" -eq 1 ]; }
nsiso_assert_true "its reaper holds A's byte of sessions.lock instead" nsiso_wait_for has_byte
rm -f -- "$FAULT"
nsiso_assert_eq "and A's file carries only the first session's lock" 1 "$(locks "$FILE_A")"
end_watched 6 "the first session's logout"
nsiso_assert_eq "the session on the byte counts: A's baton is the same FIFO" "$BATON" "$(baton_ino)"
end_session 5
nsiso_assert_true "the last logout: its record goes" nsiso_wait_for has_records "$USER_A" 0
no_byte() { [ "$(locks "$RUN/sessions.lock" "$UID_A")" -eq 0 ]; }
nsiso_assert_true "and the byte is let go" nsiso_wait_for no_byte
nsiso_assert_true "and the quota socket goes" nsiso_wait_for test ! -e "$RUN/user-$UID_A.sock"

# ---- logins and logouts at once ------------------------------------------
for n in 11 12 13 14 15 16 17 18; do session "$USER_A" "$UID_A" "$n"; done
nsiso_assert_true "eight sessions of A are up" nsiso_wait_for up 11 12 13 14 15 16 17 18
nsiso_assert_true "A's file carries eight locks" nsiso_wait_for has_locks "$FILE_A" 8
# The last logout of each round removes the file.
round_left() { # ROUND NEW...
	nsiso_assert_true "round $1: four records of A" nsiso_wait_for has_records "$USER_A" 4
	nsiso_assert_true "round $1: the file the name leads to (and A's byte) carry four locks" \
		nsiso_wait_for has_four
	nsiso_assert_true "round $1: no reaper holds a removed file" nsiso_wait_for no_stale
}
nsiso_held_rounds "$SVC" "$USER_A" "$UID_A" round_left 11 12 13 14 15 16 17 18
for n in $NSISO_HELD_LAST; do end_session "$n"; done
end_session 4
nsiso_assert_true "every session ends" nsiso_wait_for nsiso_session_gone "$USER_A" "$PARENT" "$RUN"
nsiso_assert_true "B's too" nsiso_wait_for nsiso_session_gone "$USER_B" "$PARENT" "$RUN"
nsiso_assert_true "the last logouts remove both files" \
	nsiso_wait_for test ! -e "$FILE_A" -a ! -e "$FILE_B"
nsiso_assert_eq "what is left in the run directory: the locks and the old one" \
	"cgroup.lock sessions.lock watch.lock" "$(ls "$RUN" | sort | tr '\n' ' ' | sed 's/ $//')"
