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
PAMDAEMON=$NSISO_TOP/tests/build/nsiso-pamdaemon
HELPER=$NSISO_TOP/tests/build/nsiso-helper-faults
FAULT=$NSISO_TOP/tests/build/fault
for f in "$PAMDAEMON" "$HELPER"; do
	[ -x "$f" ] || nsiso_die "$f is missing: run make check (it builds it)"
done
nsiso_on_exit rm -f -- "$FAULT"
command -v python3 >/dev/null || nsiso_die "python3 is missing: run make check (tests/deps.sh installs it)"

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

# session USER UID N: a session held by an application (as atd) whose
# child, as the user, sleeps 3000+N seconds; ended by killing that sleep.
declare -a DAEMONS=()
session() {
	"$PAMDAEMON" "$SVC" "$1" "$2" /bin/sleep "$((3000 + $3))" >"$T/daemon-$3.out" 2>&1 &
	DAEMONS+=("$!:$(_nsiso_starttime "$!")")
}
end_daemons() { [ ${#DAEMONS[@]} -eq 0 ] || _nsiso_terminate "${DAEMONS[@]}"; }
nsiso_on_exit end_daemons
sleeper() { # N: the pid of session N's sleep
	local pid
	for pid in $(pgrep -x sleep); do
		[ "$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" = "/bin/sleep $((3000 + $1)) " ] &&
			echo "$pid"
	done
	return 0
}
end_session() { local p; p=$(sleeper "$1"); [ -n "$p" ] && kill "$p"; }
up() { local n; for n in "$@"; do [ -n "$(sleeper "$n")" ] || return 1; done; }

# locks FILE [BYTE]: the OFD read locks on FILE's inode (/proc/locks: "N:
# OFDLCK ADVISORY READ -1 MAJ:MIN:INODE START END"), or on its byte BYTE.
locks() {
	local ino
	ino=$(stat -c %i "$1" 2>/dev/null) || { echo 0; return; }
	awk -v ino="$ino" -v byte="${2-}" '$2 == "OFDLCK" && $4 == "READ" && $6 ~ (":" ino "$") &&
		(byte == "" || ($7 == byte && $8 == byte)) {n++} END {print n + 0}' /proc/locks
}
has_locks() { [ "$(locks "$1")" -eq "$2" ]; } # FILE N
has_records() { [ "$(records_of "$1")" -eq "$2" ]; } # USER N
# stale_fds FILE: reapers' fds on a removed FILE.
stale_fds() {
	local pid fd
	for pid in $(pgrep -x nsiso-reaper); do
		for fd in /proc/"$pid"/fd/*; do
			[ "$(readlink "$fd" 2>/dev/null)" = "$1 (deleted)" ] && echo "$pid"
		done
	done
	return 0
}
# Four locks of A: on the file, or (a reaper that could not hold it) on
# A's byte of sessions.lock.
has_four() { [ $(($(locks "$FILE_A") + $(locks "$RUN/sessions.lock" "$UID_A"))) -eq 4 ]; }
no_stale() { [ -z "$(stale_fds "$FILE_A")" ]; }
# reapers_end N PID...: N of the reapers PID... have ended.
reapers_end() {
	local n=$1 pid alive=0
	shift
	for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
	[ "$alive" -le $(($# - n)) ]
}
baton_ino() { stat -c %i "$RUN/user-$UID_A.watch" 2>/dev/null; }
# end_watched N WHAT: end session N of A once A's baton is there, note the
# baton's inode in BATON and wait until that session's reaper has ended.
end_watched() {
	local -a reapers
	nsiso_assert_true "A's baton is there" nsiso_wait_for test -p "$RUN/user-$UID_A.watch"
	BATON=$(baton_ino)
	mapfile -t reapers < <(pgrep -x nsiso-reaper)
	end_session "$1"
	nsiso_assert_true "$2: its reaper ends" nsiso_wait_for reapers_end 1 "${reapers[@]}"
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
cat >"$T/legacy.py" <<'EOF'
import fcntl, os, struct, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
F_OFD_SETLK = 37
fcntl.fcntl(fd, F_OFD_SETLK, struct.pack("hhqqi4x", fcntl.F_RDLCK, os.SEEK_SET, int(sys.argv[2]), 1, 0))
print("held", flush=True)
time.sleep(600)
EOF
python3 "$T/legacy.py" "$RUN/sessions.lock" "$UID_A" >"$T/legacy.out" 2>&1 &
LEGACY=$!
nsiso_on_exit _nsiso_terminate "$LEGACY:$(_nsiso_starttime "$LEGACY")"
nsiso_wait_for grep -q held "$T/legacy.out" >/dev/null || nsiso_die "legacy lock: $(cat "$T/legacy.out")"
mapfile -t REAPERS < <(pgrep -x nsiso-reaper)
end_session 2
end_session 3
nsiso_assert_true "A's last two sessions of ours end: their reapers end" \
	nsiso_wait_for reapers_end 2 "${REAPERS[@]}"
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
prev="11 12 13 14 15 16 17 18"
for round in 1 2 3; do
	# End all (the last of them removes the file) while four more start.
	next=$(seq -s ' ' $((round * 20 + 1)) $((round * 20 + 4)))
	for n in $next; do session "$USER_A" "$UID_A" "$n"; done
	for n in $prev; do end_session "$n"; done
	nsiso_assert_true "round $round: four new sessions of A are up" nsiso_wait_for up $next
	nsiso_assert_true "round $round: four records of A" \
		nsiso_wait_for has_records "$USER_A" 4
	nsiso_assert_true "round $round: the file the name leads to (and A's byte) carry four locks" \
		nsiso_wait_for has_four
	nsiso_assert_true "round $round: no reaper holds a removed file" nsiso_wait_for no_stale
	prev=$next
done
for n in 61 62 63 64; do end_session "$n"; done
end_session 4
nsiso_assert_true "every session ends" nsiso_wait_for nsiso_session_gone "$USER_A" "$PARENT" "$RUN"
nsiso_assert_true "B's too" nsiso_wait_for nsiso_session_gone "$USER_B" "$PARENT" "$RUN"
nsiso_assert_true "the last logouts remove both files" \
	nsiso_wait_for test ! -e "$FILE_A" -a ! -e "$FILE_B"
nsiso_assert_eq "what is left in the run directory: the locks and the old one" \
	"cgroup.lock sessions.lock watch.lock" "$(ls "$RUN" | sort | tr '\n' ' ' | sed 's/ $//')"
