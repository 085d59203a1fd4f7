#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A broker's holder made ahead whose copy of the mount table is out of date
# (a mount on the host since it was made) copies the table again at the
# login, from the broker's mount namespace.  Any user with fusermount can
# bring a login there, so should that copy fail, the login is denied under
# on_error deny and under allow alike (never let through unisolated), with
# one log line naming the step, and nothing is left behind; so too when a
# mount made in the new copy (/proc) fails.  Without the fault the same
# login goes through that holder.
set -u
. "$(dirname "$0")/lib.bash"
lc_begin --syslog --tool "$LC_FAULTS_HELPER"
lc_broker debug

# Spares whose holders' copies are out of date.  A change of the mount
# table replaces the spares (at once after 2 s without one, else 2 s after
# their last replacement: broker.c); a second change right after that
# leaves the new ones out of date for the next 2 s, in which the login
# comes.
out_of_date() {
	local before
	nsiso_wait_until 10 nsiso_broker_ready || nsiso_die "$1: the spares made no holders"
	before=$(nsiso_broker_spares)
	lc_change_mounts
	nsiso_wait_until 5 nsiso_broker_replaced "$before" || nsiso_die "$1: the spares were not replaced"
	lc_change_mounts
}

for oe in deny allow; do
	lc_conf "$oe"
	out_of_date "$oe"
	lc_fault "holder-remount:fail"
	lc_try pamtester "$SVC" "$LC_USER" open_session close_session
	lc_fault ""
	expect=deny
	[ "$oe" = allow ] && expect=allow-denied
	lc_outcome "copy fails ($oe)" "$expect"
	lc_one_line "copy fails ($oe)" err \
		"session setup failed: cannot copy the host's mount table again: fault injected" "$expect"
	lc_nothing_left "copy fails ($oe)"
	# The same for the mounts made in the new copy: a host would fail
	# them at every login, but here a user's mount brought the login.
	out_of_date "$oe, /proc"
	lc_fault "holder-proc:fail"
	lc_try pamtester "$SVC" "$LC_USER" open_session close_session
	lc_fault ""
	lc_outcome "/proc fails in the new copy ($oe)" "$expect"
	lc_one_line "/proc fails in the new copy ($oe)" err \
		"session setup failed: cannot mount a fresh /proc" "$expect"
	lc_nothing_left "/proc fails in the new copy ($oe)"
done

lc_conf deny
out_of_date "no fault"
ahead=$(for h in $(nsiso_made_ahead "$BROKER_PID" nsiso-idle-hold); do readlink "/proc/$h/ns/pid"; done)
lc_try pamtester "$SVC" "$LC_USER" open_session close_session
nsiso_assert_eq "no fault: the login opens and closes" 0 "$LC_RC"
nsiso_assert_true "no fault: via the broker" \
	nsiso_wait_log "session [0-9a-f]{16} opened for $LC_USER .*, via broker$" 5
nsiso_assert_true "no fault: the holder copied the mount table again" \
	nsiso_wait_log "session [0-9a-f]{16}: holder copied the mount table again$" 5
nsiso_assert_true "no fault: its holder is one made ahead (its PID namespace)" \
	grep -qxF "$(_lc_probe pidns)" <<<"$ahead"
lc_nothing_left "no fault"
