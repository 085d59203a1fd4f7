#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Of a user's reapers one watches (it holds the user's byte of watch.lock
# and the write end of the baton FIFO user-<uid>.watch); the others wait on
# the FIFO's read end and sleep: no wake-up a second each, which with
# 1000 sessions held made 1000 a second on an idle host.  When the
# watching session is killed, another reaper takes over; after the last
# logout the FIFO is gone with the quota socket.  The FIFO is root's, 0600.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup

# reapers: the reapers with the baton ($BATON) open, "PID MODE" a line, MODE
# rw or ro (from the fd's flags).
reapers() {
	local pid fd flags
	for pid in $(pgrep -x nsiso-reaper); do
		for fd in /proc/"$pid"/fd/*; do
			[ "$(readlink "$fd" 2>/dev/null)" = "$BATON" ] || continue
			flags=$(awk '$1 == "flags:" {print $2}' "/proc/$pid/fdinfo/${fd##*/}" 2>/dev/null)
			[ -n "$flags" ] || continue
			if (((8#$flags & 3) == 2)); then echo "$pid rw"; else echo "$pid ro"; fi
		done
	done
}
settled() { # OWNERS WAITING
	local r
	r=$(reapers)
	echo "reapers: $(tr '\n' ' ' <<<"$r")"
	[ "$(grep -c ' rw$' <<<"$r")" -eq "$1" ] && [ "$(grep -c ' ro$' <<<"$r")" -eq "$2" ]
}

nsiso_isolated_sshd "isolate uts,ipc,mnt,pid
memory 256M"
USER1=$NSISO_SSH_USER
UID1=$(id -u "$USER1")
BATON=$T/run/user-$UID1.watch

for s in a b c; do
	nsiso_ssh_bg "$T/$s.out" 'echo up; exec sleep 300' >"$T/$s.pid"
done
for s in a b c; do
	nsiso_assert_true "session $s is up" nsiso_wait_for grep -q up "$T/$s.out"
done

nsiso_assert_true "one reaper holds the baton read-write, two wait on it read-only" \
	nsiso_wait_for settled 1 2
nsiso_assert_eq "the baton is root's FIFO, 0600" "root fifo 600" \
	"$(stat -c '%U %F %a' "$BATON" | sed 's/named pipe/fifo/')"
nsiso_assert_false "the user cannot open it" runuser -u "$USER1" -- sh -c "exec 3<'$BATON'" 2>/dev/null

# Waiting reapers sleep: their voluntary context switches stay put for 3 s
# (a look a second would add 3; one may come from the 60 s fallback).
switches() { awk '/^voluntary_ctxt_switches:/ {print $2}' "/proc/$1/status"; }
mapfile -t WAITING < <(reapers | awk '$2 == "ro" {print $1}')
declare -A before
for pid in "${WAITING[@]}"; do before[$pid]=$(switches "$pid"); done
sleep 3
for pid in "${WAITING[@]}"; do
	woke=$(($(switches "$pid") - ${before[$pid]}))
	if [ "$woke" -le 1 ]; then nsiso_pass "waiting reaper $pid slept 3 s (woke $woke times)"
	else nsiso_fail "waiting reaper $pid slept 3 s" "woke $woke times"; fi
done

# Kill the watching session (its holder: PID 1 of the session): one of the
# two waiting reapers takes the baton and the quota socket.
OWNER=$(reapers | awk '$2 == "rw" {print $1}')
holder_of() { # REAPER: the holder its pidfd is for
	local fd p
	for fd in /proc/"$1"/fdinfo/*; do
		p=$(awk '$1 == "Pid:" {print $2}' "$fd" 2>/dev/null)
		[ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = nsiso-holder ] && echo "$p"
	done
	return 0
}
HOLDER=$(holder_of "$OWNER" | head -n1)
nsiso_assert_match "the watching reaper's holder is found" '^[0-9]+$' "$HOLDER"
kill -KILL "$HOLDER"
took_over() {
	local r
	settled 1 1 || return 1
	r=$(reapers | awk '$2 == "rw" {print $1}')
	[ "$r" != "$OWNER" ] && printf '%s\n' "${WAITING[@]}" | grep -qx "$r"
}
nsiso_assert_true "a waiting reaper took over" nsiso_wait_for took_over
nsiso_assert_true "the quota socket is served again" \
	nsiso_wait_for test -S "$T/run/user-$UID1.sock"

# The last logouts: the baton goes with the socket.
for s in a b c; do kill "$(cat "$T/$s.pid")" 2>/dev/null; done
nsiso_assert_true "after the logouts: nothing left" \
	nsiso_wait_for nsiso_session_gone "$USER1" "$NSISO_PARENT"
nsiso_assert_true "the baton is gone" nsiso_wait_for test ! -e "$BATON"
nsiso_assert_true "so is the quota socket" nsiso_wait_for test ! -e "$T/run/user-$UID1.sock"
