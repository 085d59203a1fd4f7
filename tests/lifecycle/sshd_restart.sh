#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# sshd restarted while sessions are live (as "systemctl restart ssh" does:
# only the listener is killed, the per-login monitors go on): the open
# sessions keep working - a command sent afterwards still runs, in the same
# namespaces and cgroup - a new listener accepts logins into the same user's
# group, and each session's teardown still happens when it ends.
set -u
. "$(dirname "$0")/lib.bash"
nsiso_setup
nsiso_isolated_sshd "isolate uts,ipc,mnt,pid
memory 128M
hostname r-%U"
U=$NSISO_SSH_USER
LC_USER=$U LC_UID=$(id -u "$U") LC_PARENT=$NSISO_PARENT LC_RUN=$T/run
CG=$NSISO_CG_V1/memory/$NSISO_PARENT/user-$LC_UID

# A session that runs what it is sent: "ping N" answers with N, the host
# name and the PID namespace seen from inside; EOF ends it.
# shellcheck disable=SC2016 # expanded remotely
LOOP='while read -r cmd arg; do
	case $cmd in ping) echo "pong $arg $(hostname) $(readlink /proc/self/ns/pid)" ;; esac
done'
open_session() { # NAME: stdin FIFO $T/NAME.in, output $T/NAME.out
	local name=$1 pid
	mkfifo "$T/$name.in"
	exec {fd}<>"$T/$name.in"
	_nsiso_ssh_cmd
	"${_NSISO_SSH[@]}" "$LOOP" <"$T/$name.in" >"$T/$name.out" 2>&1 &
	pid=$!
	nsiso_on_exit _nsiso_terminate "$pid:$(_nsiso_starttime "$pid")"
	eval "IN_$name=$fd CLIENT_$name=$pid"
}
ping_() { # NAME N: ask, wait for the answer, print it
	local fd
	eval "fd=\$IN_$1"
	echo "ping $2" >&"$fd"
	nsiso_wait_for grep -q "^pong $2 " "$T/$1.out" && grep "^pong $2 " "$T/$1.out"
}
end_session() { # NAME: EOF on its stdin ends the remote loop, so the login
	local fd pid
	eval "fd=\$IN_$1 pid=\$CLIENT_$1"
	exec {fd}>&-
	nsiso_wait_pid "$pid"
}
records() { nsiso_records "$LC_RUN" | wc -l; }

open_session a
open_session b
before_a=$(ping_ a 1) before_b=$(ping_ b 1)
nsiso_assert_match "session a answers" "^pong 1 r-$LC_UID pid:" "$before_a"
nsiso_assert_match "session b answers" "^pong 1 r-$LC_UID pid:" "$before_b"
holders=$(nsiso_holders_of "$LC_USER" | sort)
nsiso_assert_eq "two holders, two records" "2 2" "$(wc -l <<<"$holders") $(records)"

# Restart: the listener goes, its monitors stay (they are reparented); they
# are ours to clean up if the test fails.
mapfile -t monitors < <(_nsiso_descendants "$NSISO_SSH_PID" | while IFS=: read -r p s; do
	[ "$(_nsiso_stat_field "$p" 4)" = "$NSISO_SSH_PID" ] && echo "$p:$s"; done)
nsiso_assert_eq "two monitors before the restart" 2 "${#monitors[@]}"
nsiso_on_exit _nsiso_terminate "${monitors[@]}"
kill -TERM "$NSISO_SSH_PID"
nsiso_wait_pid "$NSISO_SSH_PID"
nsiso_assert_false "the old listener is gone" _nsiso_alive "$NSISO_SSH_PID"
nsiso_start_sshd "$(nsiso_module_line)"
nsiso_assert_true "the monitors survived the restart" eval '! _nsiso_all_gone "${monitors[@]}"'
nsiso_assert_true "... both" eval '_nsiso_is_ours "${monitors[0]%%:*}" "${monitors[0]#*:}" && _nsiso_is_ours "${monitors[1]%%:*}" "${monitors[1]#*:}"'

# The open sessions still work, in the same namespaces, holders and cgroup.
after_a=$(ping_ a 2) after_b=$(ping_ b 2)
nsiso_assert_eq "session a still runs commands, in the same PID namespace" \
	"${before_a#pong 1 }" "${after_a#pong 2 }"
nsiso_assert_eq "session b still runs commands, in the same PID namespace" \
	"${before_b#pong 1 }" "${after_b#pong 2 }"
nsiso_assert_eq "the same holders" "$holders" "$(nsiso_holders_of "$LC_USER" | sort)"
nsiso_assert_eq "the cgroup still holds both monitors" 2 \
	"$(grep -c -x -e "${monitors[0]%%:*}" -e "${monitors[1]%%:*}" "$CG/cgroup.procs")"

# The new listener: a new login joins the same group.
open_session c
nsiso_assert_match "a login through the new sshd works" "^pong 1 r-$LC_UID pid:" "$(ping_ c 1)"
nsiso_assert_eq "three holders, three records" "3 3" "$(nsiso_holders_of "$LC_USER" | wc -l) $(records)"

# Teardown still happens for each session as it ends.
end_session a
gone_to() { local seen; seen="$(nsiso_holders_of "$LC_USER" | wc -l) $(records)"; echo "holders records: $seen"; [ "$seen" = "$1" ]; }
nsiso_assert_true "session a ended: its holder and record are gone" nsiso_wait_for gone_to "2 2"
nsiso_assert_true "... the group stays for the others" test -d "$CG"
end_session b
nsiso_assert_true "session b ended: its holder and record are gone" nsiso_wait_for gone_to "1 1"
nsiso_assert_true "the old monitors are gone" nsiso_wait_for _nsiso_all_gone "${monitors[@]}"
end_session c
lc_nothing_left "after the last session"
