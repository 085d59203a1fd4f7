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
for u in "$UID_A" "$UID_B"; do nsiso_forget_private_tmp "$u"; done
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

# [SERVICE=...] session USER UID N: a session held by an application (as atd) whose
# child, as the user, sleeps 3000+N seconds; ended by killing that sleep.
declare -a DAEMONS=()
session() {
	"$PAMDAEMON" "${SERVICE:-$SVC}" "$1" "$2" /bin/sleep "$((3000 + $3))" >"$T/daemon-$3.out" 2>&1 &
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
gone() { local n; for n in "$@"; do [ -z "$(sleeper "$n")" ] || return 1; done; }

# lock_id FILE: FILE as /proc/locks names it (MAJ:MIN:INODE, the device
# in hex).
lock_id() {
	local st
	st=$(stat -c '%d %i' "$1" 2>/dev/null) || return 1
	set -- $st
	printf '%02x:%02x:%s\n' $((($1 >> 8) & 0xfff)) $((($1 & 0xff) | (($1 >> 12) & 0xfff00))) "$2"
}
# locks FILE [BYTE] [TYPE]: the OFD locks of TYPE (READ) on FILE (/proc/locks:
# "N: OFDLCK ADVISORY READ -1 MAJ:MIN:INODE START END"), on the whole file
# or on its byte BYTE.
locks() {
	local id
	id=$(lock_id "$1") || { echo 0; return; }
	awk -v id="$id" -v byte="${2-}" -v type="${3:-READ}" '$2 == "OFDLCK" && $4 == type &&
		$6 == id && ((byte == "" && $7 == 0 && $8 == "EOF") || ($7 == byte && $8 == byte)) {n++}
		END {print n + 0}' /proc/locks
}
has_locks() { [ "$(locks "$1")" -eq "$2" ]; } # FILE N
# stale_fds FILE: holders' fds on a removed FILE.
stale_fds() {
	local pid fd
	for pid in $(pgrep -x nsiso-holder); do
		for fd in /proc/"$pid"/fd/*; do
			[ "$(readlink "$fd" 2>/dev/null)" = "$1 (deleted)" ] && echo "$pid"
		done
	done
	return 0
}
no_stale() { [ -z "$(stale_fds "$FILE_A")" ]; }
# opened_by COMM FILE: a process COMM has FILE open.
opened_by() {
	local pid fd
	for pid in $(pgrep -x "$1"); do
		for fd in /proc/"$pid"/fd/*; do
			[ "$(readlink "$fd" 2>/dev/null)" = "$2" ] && return 0
		done
	done
	return 1
}
# tmp_of N: the inode of session N's /tmp (its sleep's view, as root).
tmp_of() { local p; p=$(sleeper "$1"); [ -n "$p" ] && stat -Lc %i "/proc/$p/root/tmp" 2>/dev/null; }
# in_dir N...: sessions N... use A's private /tmp as it is now.
in_dir() {
	local n ino
	ino=$(dir_ino "$DIR_A") || return 1
	for n in "$@"; do [ "$(tmp_of "$n")" = "$ino" ] || return 1; done
}
reapers_of() { # UID: the reapers in the user's pids group
	local pid
	for pid in $(cat "$NSISO_CG_V1/pids/$PARENT/user-$1/cgroup.procs" 2>/dev/null); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = nsiso-reaper ] && echo "$pid"
	done
	return 0
}
dir_ino() { stat -c %i "$1" 2>/dev/null; }
no_dir() { [ ! -e "$1" ] && ! compgen -G "$1.gone.*" >/dev/null; }
records_of() { grep -l "^user=$1\$" "$T"/run/*.session 2>/dev/null | wc -l; }
has_records() { [ "$(records_of "$1")" -eq "$2" ]; } # USER N
# reapers_end N PID...: N of the reapers PID... have ended.
reapers_end() {
	local n=$1 pid alive=0
	shift
	for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
	[ "$alive" -le $(($# - n)) ]
}

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
	nsiso_wait_for reapers_end 1 "${REAPERS[@]}"
nsiso_assert_eq "A's private /tmp stays, the same directory, the other session's" \
	"$INO_A $INO_A" "$(dir_ino "$DIR_A") $(tmp_of 2)"
end_session 2
nsiso_assert_true "A's last logout removes A's private /tmp" nsiso_wait_for no_dir "$DIR_A"
nsiso_assert_true "and A's file" nsiso_wait_for test ! -e "$FILE_A"
nsiso_assert_eq "B's file is untouched" "$INO_FILE_B 1" "$(stat -c %i "$FILE_B") $(locks "$FILE_B")"
nsiso_assert_true "and B's private /tmp" test -d "$DIR_B"

# ---- a session of a release of before: A's byte of private-tmp.lock -------
# legacy.py FILE BYTE r|w: an OFD lock on byte BYTE of FILE, held until
# killed.
cat >"$T/legacy.py" <<'EOF'
import fcntl, os, struct, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
F_OFD_SETLK = 37
kind = fcntl.F_RDLCK if sys.argv[3] == "r" else fcntl.F_WRLCK
fcntl.fcntl(fd, F_OFD_SETLK, struct.pack("hhqqi4x", kind, os.SEEK_SET, int(sys.argv[2]), 1, 0))
print("held", flush=True)
time.sleep(600)
EOF
legacy() { # NAME r|w: start it; its pid in LEGACY
	python3 "$T/legacy.py" "$OLD" "$UID_A" "$2" >"$T/$1.out" 2>&1 &
	LEGACY=$!
	nsiso_on_exit _nsiso_terminate "$LEGACY:$(_nsiso_starttime "$LEGACY")"
	nsiso_wait_for grep -q held "$T/$1.out" >/dev/null || nsiso_die "$1: $(cat "$T/$1.out")"
}
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
nsiso_assert_true "the session of ours ends: A's file goes" nsiso_wait_for test ! -e "$FILE_A"
nsiso_assert_true "its reaper is done" nsiso_wait_for nsiso_session_gone "$USER_A" "$PARENT"
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
prev="11 12 13 14 15 16"
for round in 1 2 3; do
	# End all (the last of them removes the file and the directories)
	# while four more start.
	next=$(seq -s ' ' $((round * 20 + 1)) $((round * 20 + 4)))
	for n in $next; do session "$USER_A" "$UID_A" "$n"; done
	for n in $prev; do end_session "$n"; done
	nsiso_assert_true "round $round: four new sessions of A are up" nsiso_wait_for up $next
	nsiso_assert_true "round $round: the sessions before are over" nsiso_wait_for gone $prev
	nsiso_assert_true "round $round: the file the name leads to carries four locks" \
		nsiso_wait_for has_locks "$FILE_A" 4
	nsiso_assert_true "round $round: no holder holds a removed file" nsiso_wait_for no_stale
	nsiso_assert_true "round $round: A's private /tmp is their /tmp" in_dir $next
	prev=$next
done
for n in $prev; do end_session "$n"; done
end_session 3
nsiso_assert_true "every session ends" nsiso_wait_for nsiso_session_gone "$USER_A" "$PARENT"
nsiso_assert_true "B's too" nsiso_wait_for nsiso_session_gone "$USER_B" "$PARENT" "$T/run"
nsiso_assert_true "the last logouts remove both files" \
	nsiso_wait_for test ! -e "$FILE_A" -a ! -e "$FILE_B"
nsiso_assert_true "and both users' private /tmp" nsiso_wait_for no_dir "$DIR_B"
nsiso_assert_true "(A's)" no_dir "$DIR_A"
