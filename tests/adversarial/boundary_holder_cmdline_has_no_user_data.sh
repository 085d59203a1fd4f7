#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row L3 (docs/threat-model.md): users cannot see other users' sessions through a holder's
# command line on the host.  While a session of user A is open (with a
# remote host set), another unprivileged user B reads every nsiso-holder's
# /proc/PID/cmdline, comm and environ: none may show A's name, A's uid as
# an argument, the remote host or A's limits.  A's own holder shows only
# the helper's path and "open".
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin A B
RHOST=nsiso-rhost-$(nsiso_unique).example.org
# Limits with values no other session on the machine is likely to use.
MEM_K=1234567 TASKS=4321
MEM_BYTES=$((MEM_K * 1024))
nsiso_write_conf "* cgroup_parent $PARENT
$A isolate uts,ipc,mnt,pid
$A hostname nsiso-l3-%U
$A memory ${MEM_K}K
$A tasks $TASKS" >/dev/null
SVC=$(adv_hold_service)

adv_hold_open a "$SVC" "$A" -I "rhost=$RHOST" || nsiso_die "A's session did not open: $(cat "$T/hold.out.a")"
A_HOLDER=$(nsiso_holders_of "$A")
[[ $A_HOLDER =~ ^[0-9]+$ ]] || nsiso_die "A's holder not found from its record: '$A_HOLDER'"

# B reads what it can of every holder on the machine: "PID FILE: text"
# (NULs as spaces), or the error it got.
cat >"$T/peek" <<'PEEK'
#!/bin/bash
for comm in /proc/[0-9]*/comm; do
	pid=${comm#/proc/} pid=${pid%/comm}
	[ "$(cat "$comm" 2>/dev/null)" = nsiso-holder ] || continue
	for f in cmdline comm environ; do
		if text=$(tr '\0' ' ' 2>&1 <"/proc/$pid/$f"); then
			echo "$pid $f: $text"
		else
			echo "$pid $f: (unreadable)"
		fi
	done
done
PEEK
chmod 0755 "$T/peek"
cp "$T/peek" "$PUB/peek"
adv_as "$B" "$PUB/peek" >"$T/peek.out" 2>&1
_nsiso_info "B read $(grep -c ' cmdline: ' "$T/peek.out") holders; A's holder $A_HOLDER:"
grep "^$A_HOLDER " "$T/peek.out" >&2

nsiso_assert_true "B saw A's holder among them" grep -q "^$A_HOLDER cmdline: " "$T/peek.out"
# no_holder_shows NAME ERE: no line B read matches ERE.
no_holder_shows() {
	local hits
	hits=$(grep -E -- "$2" "$T/peek.out")
	if [ -z "$hits" ]; then nsiso_pass "$1"; else nsiso_fail "$1" "$(head -n 3 <<<"$hits")"; fi
}
no_holder_shows "no holder shows A's name" "$A"
no_holder_shows "no holder shows A's uid as an argument" ": (.* )?$A_UID( |\$)"
no_holder_shows "no holder shows A's remote host" "$RHOST"
no_holder_shows "no holder shows A's memory limit" "$MEM_BYTES|${MEM_K}K"
no_holder_shows "no holder shows A's tasks limit" " $TASKS( |\$)"
no_holder_shows "no holder shows A's host name" "nsiso-l3-$A_UID"
nsiso_assert_eq "A's holder is named nsiso-holder" "$A_HOLDER comm: nsiso-holder" \
	"$(grep "^$A_HOLDER comm: " "$T/peek.out")"
nsiso_assert_match "A's holder's command line is only the helper's path and 'open'" \
	"^$A_HOLDER cmdline: /[^ ]+ open *\$" "$(grep "^$A_HOLDER cmdline: " "$T/peek.out")"

adv_hold_close a
nsiso_assert_eq "A's session closes normally" 0 "$ADV_HOLD_RC"
nsiso_assert_true "nothing of A's session is left" nsiso_wait_for nsiso_session_gone "$A" "$PARENT"
