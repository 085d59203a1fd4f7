#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row M4 (docs/threat-model.md): memory held in socket buffers
# counts against the user's limit.  cgroup v1 counts a group's socket
# buffers (TCP's and, once that is on, UDP's) on a counter of their own,
# "tcp", and only once the group's memory.kmem.tcp.limit_in_bytes has been
# written; without it a user with memory 64M held 2.2 GB in loopback
# connections nobody reads (an attacker review of rev 9a6823c), while the
# group showed 2.7 MB, and pushed the host past tcp_mem, where root's own
# transfer was reset.
#
# A session (memory 64M, swap 0) runs sockhog as the user: 40 TCP
# connections to itself, written to until none takes more, then 400 UDP
# sockets sent datagrams nobody reads.  With the limit the queued bytes stay
# below 64M (plus a slack for what is in flight); on 9a6823c they were 161M
# (TCP) and 81M (UDP), and 8 of these 11 checks failed.  The group's TCP limit is the memory limit, and its
# counter counted them.  A second login (the same conf) finds the limit
# there and leaves it.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin U
GROUP=$CG/memory/$PARENT/user-$U_UID
MIB=$((1024 * 1024))
LIMIT_MIB=64 SLACK_MIB=8
gcc -O2 -Wall -Wextra -Werror -o "$PUB/sockhog" "$ADV_SRC/sockhog.c" || nsiso_die "cannot build sockhog"
chmod 0755 "$PUB/sockhog"

nsiso_write_conf "* cgroup_parent $PARENT
$U isolate uts,ipc,mnt,pid
$U memory ${LIMIT_MIB}M
$U swap 0" >/dev/null

# In the session (after the module, so in the user's group): the hogs as
# the user, each followed by the group's counter as root (its peak, reset
# before each), before the group can go.
cat >"$T/hog" <<HOG
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
g=$GROUP
out=$T/hog.\$ADV_N
echo "limit=\$(cat \$g/memory.kmem.tcp.limit_in_bytes 2>/dev/null || echo none)" >\$out
for kind in tcp udp; do
	[ \$kind = tcp ] && n=40 || n=400
	echo 0 >\$g/memory.kmem.tcp.max_usage_in_bytes 2>/dev/null
	r=\$(setpriv --reuid=$U_UID --regid=$(id -g "$U") --init-groups $PUB/sockhog \$kind \$n 2>&1)
	echo "\$kind: rc=\$? \$r max=\$(cat \$g/memory.kmem.tcp.max_usage_in_bytes 2>/dev/null || echo none)" >>\$out
done
exit 0
HOG
chmod 0755 "$T/hog"
SVC=$(nsiso_make_pam_service "$(nsiso_module_line | sed 's/^session required /session requisite /')
session optional pam_exec.so $T/hog")
no_holder() { [ -z "$(nsiso_holders_of "$U")" ]; }

login() {
	timeout 120 pamtester -E "ADV_N=$1" "$SVC" "$U" open_session close_session >"$T/login.$1" 2>&1
	local rc=$?
	nsiso_wait_until "$NSISO_WAIT_S" no_holder || _nsiso_info "login $1: a holder is still there"
	_nsiso_info "login $1: exit $rc; $(tr '\n' ' ' <"$T/hog.$1" 2>/dev/null)"
	return "$rc"
}
# val LOGIN KIND NAME: NAME=value on the line of KIND ("limit" for the first).
val() { grep "^$2" "$T/hog.$1" 2>/dev/null | sed -n "s/.*\\b$3=\\([0-9a-z]*\\).*/\\1/p" | head -n 1; }
within_limit() { # LOGIN KIND
	local queued
	queued=$(val "$1" "$2" queued)
	nsiso_assert_true "login $1, $2: the queued bytes stay within the limit: $((${queued:-0} / MIB))M <= $((LIMIT_MIB + SLACK_MIB))M" \
		test "${queued:-999999999999}" -le $(((LIMIT_MIB + SLACK_MIB) * MIB))
}

login 1
nsiso_assert_eq "login 1 succeeds" 0 "$?"
nsiso_assert_eq "the group's TCP limit is the memory limit" $((LIMIT_MIB * MIB)) "$(val 1 limit limit)"
nsiso_assert_eq "sockhog ran as the user: 40 TCP connections, 400 UDP sockets" "0 40 0 400" \
	"$(val 1 tcp rc) $(val 1 tcp socks) $(val 1 udp rc) $(val 1 udp socks)"
within_limit 1 tcp
within_limit 1 udp
max=$(val 1 tcp max)
nsiso_assert_true "the group's counter counted the TCP buffers: peak $((${max:-0} / MIB))M >= $((LIMIT_MIB / 2))M" \
	test "${max:-0}" -ge $((LIMIT_MIB / 2 * MIB))
max=$(val 1 udp max)
nsiso_assert_true "... and the UDP ones: peak $((${max:-0} / MIB))M >= $((LIMIT_MIB / 2))M" \
	test "${max:-0}" -ge $((LIMIT_MIB / 2 * MIB))

login 2
nsiso_assert_eq "login 2 succeeds" 0 "$?"
nsiso_assert_eq "login 2: the TCP limit is there at its start" $((LIMIT_MIB * MIB)) "$(val 2 limit limit)"
within_limit 2 tcp
within_limit 2 udp
