#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row L1 (docs/threat-model.md): nsisoctl check must reject every conf that a login would
# reject.  "memory 8388607T" with "swap 16777215T" parses, but memory+swap
# overflows 64 bits, so every login of that user is denied: check must say
# so, naming file:line, and exit non-zero, before an admin installs it.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
CTL=$NSISO_TOP/ctl/nsisoctl

U=$(nsiso_make_user) || nsiso_die "cannot create the user"
PARENT=$(nsiso_cgroup_parent)
nsiso_write_conf "* cgroup_parent $PARENT
$U isolate uts,ipc,mnt,pid
$U memory 8388607T
$U swap 16777215T" >/dev/null
CONF=$T/nsiso.conf

# What a login does with it (the reason the check must fail).
SVC=$(nsiso_make_pam_service "$(nsiso_module_line)")
out=$(timeout "$NSISO_WAIT_S" pamtester "$SVC" "$U" open_session close_session 2>&1)
rc=$?
_nsiso_info "pamtester: exit $rc: $out"
nsiso_assert_true "a login with this conf is denied (exit $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
nsiso_assert_true "... and leaves nothing" nsiso_wait_for nsiso_session_gone "$U" "$PARENT"

out=$("$CTL" check "$CONF" 2>&1)
rc=$?
printf '%s\n' "$out"
nsiso_assert_eq "nsisoctl check exits 1" 1 "$rc"
nsiso_assert_match "nsisoctl check names file:line of the memory or swap rule" \
	"(^|"$'\n'")$CONF:(3|4): " "$out"
nsiso_assert_false "nsisoctl check does not say OK" grep -q 'parsed OK' <<<"$out"
