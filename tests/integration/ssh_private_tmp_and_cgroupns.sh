#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Real SSH logins with private_tmp yes and isolate ...,cgroup: a file one
# login makes in /tmp or /var/tmp is there in the user's other login, not
# in the host's /tmp and not in another user's login; the user's /tmp is a
# /tmp (root's, 1777) of their own; /proc/self/cgroup reads "/" in every hierarchy, also in a
# shell's children; after the last logout the private directories are gone.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup

nsiso_isolated_sshd "isolate uts,ipc,mnt,pid,cgroup
memory 256M
tasks 64
private_tmp yes"
U=$NSISO_SSH_USER
UID_=$(id -u "$U")
nsiso_forget_private_tmp "$UID_"
OTHER=$(nsiso_make_user) || nsiso_die "cannot create the second user"
UID_O=$(id -u "$OTHER")
nsiso_forget_private_tmp "$UID_O"
nsiso_write_conf "$(cat "$T/nsiso.conf")
$OTHER isolate uts,ipc,mnt,pid,cgroup
$OTHER private_tmp yes" >/dev/null
_nsiso_install_authorized_key "$OTHER"
TAG=$(nsiso_unique)
P=$(nsiso_private_tmp "$UID_")
PV=$(nsiso_private_tmp "$UID_" /var/tmp)

A=$(nsiso_ssh_bg "$T/a.out" "echo $TAG >/tmp/a-$TAG && echo $TAG >/var/tmp/a-$TAG &&
	mkdir /tmp/d-$TAG && echo ready && exec sleep 150")
nsiso_assert_true "first login writes into /tmp and /var/tmp" \
	nsiso_wait_for grep -q ready "$T/a.out"

out=$(nsiso_ssh "echo \"tmp_file=\$(cat /tmp/a-$TAG)\"; echo \"vartmp_file=\$(cat /var/tmp/a-$TAG)\"
	echo \"tmp=\$(stat -c '%U %a %i' /tmp)\"; echo \"vartmp=\$(stat -c '%U %a %i' /var/tmp)\"
	echo \"mine=\$(find /tmp /var/tmp -mindepth 1 ! -user $U | wc -l)\"
	echo \"cgroup=\$(tr '\n' ' ' </proc/self/cgroup)\"
	echo \"child_cgroup=\$(sh -c 'grep -vc \":/\\\$\" /proc/self/cgroup')\"
	echo \"cgroupns=\$(readlink /proc/self/ns/cgroup)\"
	echo \"mktemp=\$(mktemp /tmp/x.XXXXXX)\"")
nsiso_assert_eq "second login succeeds" 0 "$?"
get() { printf '%s\n' "$out" | sed -n "s/^$1=//p"; }
nsiso_assert_eq "second login reads the first login's /tmp file" "$TAG" "$(get tmp_file)"
nsiso_assert_eq "and its /var/tmp file" "$TAG" "$(get vartmp_file)"
nsiso_assert_eq "/tmp is the user's private dir, root's and 1777 like any /tmp" \
	"root 1777 $(stat -c %i "$P")" "$(get tmp)"
nsiso_assert_eq "/var/tmp likewise" "root 1777 $(stat -c %i "$(nsiso_private_tmp "$UID_" /var/tmp)")" \
	"$(get vartmp)"
nsiso_assert_eq "everything in them is the user's" 0 "$(get mine)"
nsiso_assert_match "mktemp works in the private /tmp" '^/tmp/x\.[^/]+$' "$(get mktemp)"
nsiso_assert_true "(its file is in the private /tmp on the host)" test -f "$P/$(basename "$(get mktemp)")"
nsiso_assert_match "memory hierarchy reads /" '(^| )[0-9]+:memory:/ ' "$(get cgroup)"
nsiso_assert_match "pids hierarchy reads /" '(^| )[0-9]+:pids:/ ' "$(get cgroup)"
nsiso_assert_eq "a child of the shell sees / in every hierarchy" 0 "$(get child_cgroup)"
nsiso_assert_false "the login has its own cgroup namespace" \
	test "$(get cgroupns)" = "$(readlink /proc/self/ns/cgroup)"
nsiso_assert_false "the file is not in the host's /tmp" test -e "/tmp/a-$TAG"
nsiso_assert_false "nor in the host's /var/tmp" test -e "/var/tmp/a-$TAG"
nsiso_assert_eq "on the host it is in the user's private /tmp" "$TAG" "$(cat "$P/a-$TAG")"
nsiso_assert_eq "and private /var/tmp" "$TAG" "$(cat "$PV/a-$TAG")"

sshd_of_a=$(pgrep -u "$U" -x sleep)
nsiso_assert_eq "seen from the host, the first login is in the user's memory group" \
	"/$NSISO_PARENT/user-$UID_" "$(sed -n 's/^[0-9]*:memory://p' "/proc/$sshd_of_a/cgroup")"

out=$(NSISO_SSH_USER=$OTHER nsiso_ssh "echo \"entries=\$(ls -A /tmp /var/tmp | grep -v ':\$' | grep -c .)\"
	echo \"denied=\$(cat /sys/fs/cgroup/memory/$NSISO_PARENT/user-$UID_/memory.usage_in_bytes 2>&1 |
		grep -c 'Permission denied')\"")
nsiso_assert_eq "another user's login succeeds" 0 "$?"
nsiso_assert_eq "another user sees an empty /tmp and /var/tmp, not the first user's files" 0 \
	"$(get entries)"
nsiso_assert_eq "another user cannot read the first user's group" 1 "$(get denied)"

nsiso_assert_true "the first user's private /tmp stays while a login is open" test -d "$P/d-$TAG"
A_START=$(_nsiso_starttime "$A")
_nsiso_terminate "$A:$A_START"
nsiso_assert_true "after the last logout: no session left" \
	nsiso_wait_for nsiso_session_gone "$U" "$NSISO_PARENT"
gone() { [ ! -e "$1" ] && ! compgen -G "$1.gone.*" >/dev/null; }
nsiso_assert_true "after the last logout the private /tmp is removed" nsiso_wait_for gone "$P"
nsiso_assert_true "and the private /var/tmp" nsiso_wait_for gone "$PV"
nsiso_assert_true "the other user's is removed after its logout" \
	nsiso_wait_for gone "$(nsiso_private_tmp "$UID_O")"
