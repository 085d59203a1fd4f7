#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Two concurrent SSH logins of one user: each has its own PID namespace and
# hostname instance, both are in the same cgroup under one limit, and the
# cgroup goes away only after the last of them.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup

nsiso_isolated_sshd "isolate uts,ipc,mnt,pid
memory 128M"
PARENT=$NSISO_PARENT
CG=$(nsiso_user_cgroup "$PARENT" "$NSISO_SSH_USER")

probe='echo "$(readlink /proc/self/ns/pid) $(grep :memory: /proc/self/cgroup | cut -d: -f3)"; '
first=$(nsiso_ssh_bg "$T/first.out" "$probe"'sleep 60')
nsiso_assert_true "first session is up" nsiso_wait_for test -s "$T/first.out"
second_out=$(nsiso_ssh "$probe")
read -r ns1 cg1 <"$T/first.out"
read -r ns2 cg2 <<<"$second_out"
nsiso_assert_false "each login has its own PID namespace" test "$ns1" = "$ns2"
nsiso_assert_eq "both logins are in the same cgroup" "$cg1" "$cg2"
nsiso_assert_eq "that cgroup is the user's" "/$PARENT/user-$(id -u "$NSISO_SSH_USER")" "$cg1"
nsiso_assert_eq "one limit for both" $((128 << 20)) "$(cat "$CG/memory.limit_in_bytes")"
nsiso_assert_true "cgroup survives the end of the second login" test -d "$CG"
holder_count() { local n; n=$(nsiso_holders_of "$NSISO_SSH_USER" | wc -l); echo "holders: $n"; test "$n" -eq "$1"; }
nsiso_assert_true "the second login's holder ends, the first's stays" nsiso_wait_for holder_count 1
kill "$first"
nsiso_assert_true "after the last logout: nothing left" \
	nsiso_wait_for nsiso_session_gone "$NSISO_SSH_USER" "$PARENT"
