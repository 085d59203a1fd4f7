#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row M5 (docs/threat-model.md): a session opened from inside a
# session leaves nothing when the outer one ends first.  Inside an isolated
# SSH login (the shipped isolate uts,ipc,mnt,pid,cgroup; memory and tasks)
# user A starts a setuid-root pamtester in the background, which opens a
# nested session of A and holds it; then A logs out.  The outer holder, PID
# 1 of the outer namespace, ends every process in it, the nested session's
# holder and reaper too, before that reaper could remove its record: on
# 6b484bb its record stayed in the run directory (until root's next
# `nsisoctl status`), one more for every such logout, with no line in the
# log (an attacker review).  Now the outer reaper removes it, logs it, and
# the user's group goes.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin --syslog
adv_nested_sshd

client=$(adv_nested_login "$SVC_N" "$T/outer.out")
nested_open() { [ -s "$T/hold.ready.n" ] || ! _nsiso_alive "$client"; }
nsiso_wait_until "$NSISO_WAIT_S" nested_open
[ -s "$T/hold.ready.n" ] || nsiso_die "the nested session did not open: $(cat "$T/outer.out")"
records() { find "$RUN" -maxdepth 1 -name '*.session' -printf '%f\n' | sed 's/\.session$//' | sort | tr '\n' ' '; }
mapfile -t IDS < <(records | tr ' ' '\n' | sed '/^$/d')
nsiso_assert_eq "two session records while both are open (outer and nested)" 2 "${#IDS[@]}"
marks=$(find "$RUN" -maxdepth 1 -name 'nested-*' -printf '%f ')
nsiso_assert_match "the nested login marked the outer session's PID namespace" '^nested-[0-9]+ $' "$marks"
nsiso_log_mark

# The outer login ends while the nested session is held.
echo go >"$PUB/logout"
nsiso_assert_true "the outer login ends" nsiso_wait_pid "$client"
no_records() { [ -z "$(records)" ]; }
nsiso_assert_true "no record is left, the nested one's too" \
	nsiso_wait_until "$NSISO_WAIT_S" no_records
nsiso_assert_eq "no mark is left" "" "$(find "$RUN" -maxdepth 1 -name 'nested-*' -printf '%f ')"
nsiso_assert_true "nothing of either session is left (processes, holders, groups)" \
	nsiso_wait_for nsiso_session_gone "$A" "$NSISO_PARENT"
ended=$(nsiso_log_since_mark | grep -c "ended with session")
nsiso_assert_eq "the log says the nested session ended with the outer one" 1 "$ended"
nsiso_assert_eq "the run directory holds its locks only (no socket, watch or sessions file, or record of either)" \
	"cgroup.lock watch.lock" "$(ls "$RUN" | sort | tr '\n' ' ' | sed 's/ $//')"
