#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row L2 (docs/threat-model.md): users cannot see other users' sessions through the cgroup
# tree.  Users A and B are both logged in with limits (both groups exist);
# user A cannot list the cgroup parent (which names every logged-in uid)
# nor read B's memory.usage_in_bytes or pids.current, in either hierarchy.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin A B
adv_build_tools "$PUB"
adv_conf "$A" "$B"
SVC=$(adv_hold_service)

adv_hold_open a "$SVC" "$A" || nsiso_die "A's session did not open: $(cat "$T/hold.out.a")"
adv_hold_open b "$SVC" "$B" || nsiso_die "B's session did not open: $(cat "$T/hold.out.b")"
for hier in memory pids; do
	[ -d "$CG/$hier/$PARENT/user-$B_UID" ] || nsiso_die "B's $hier group is missing"
done

# denied NAME CMD...: CMD run as A must fail (print what A got otherwise).
denied() {
	local name=$1 out rc
	shift
	out=$(adv_as "$A" "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ]; then
		nsiso_pass "$name"
	else
		nsiso_fail "$name" "A got: $(head -c 300 <<<"$out" | tr '\n' ' ')"
	fi
}
for hier in memory pids; do
	denied "A cannot list the cgroup parent ($hier)" ls -- "$CG/$hier/$PARENT"
	denied "A cannot open the cgroup parent for reading ($hier)" "$PUB/probe" open "$CG/$hier/$PARENT" r
done
denied "A cannot read B's memory.usage_in_bytes" cat -- "$CG/memory/$PARENT/user-$B_UID/memory.usage_in_bytes"
denied "A cannot read B's memory.stat" cat -- "$CG/memory/$PARENT/user-$B_UID/memory.stat"
denied "A cannot read B's pids.current" cat -- "$CG/pids/$PARENT/user-$B_UID/pids.current"
denied "A cannot list B's memory group" ls -- "$CG/memory/$PARENT/user-$B_UID"
denied "A cannot list B's pids group" ls -- "$CG/pids/$PARENT/user-$B_UID"

adv_hold_close a
nsiso_assert_eq "A's session closes normally" 0 "$ADV_HOLD_RC"
adv_hold_close b
nsiso_assert_eq "B's session closes normally" 0 "$ADV_HOLD_RC"
nsiso_assert_true "nothing of A's session is left" nsiso_wait_for nsiso_session_gone "$A" "$PARENT"
nsiso_assert_true "nothing of B's session is left" nsiso_wait_for nsiso_session_gone "$B" "$PARENT"
