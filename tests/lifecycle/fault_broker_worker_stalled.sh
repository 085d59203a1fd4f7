#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A broker's worker whose step does not end (sd-bus waits up to 90 s for a
# system bus that stalls its authentication; here a fault that stops the
# worker for good before its reply): the module gives up at its 10 s budget
# and denies the login, and the worker ends by its own bound soon after.
# Before it had one (a review of 9f2282c), it stayed, one of the broker's 64
# workers taken for good, and the session it built was left to its holder
# and reaper.
set -u
. "$(dirname "$0")/lib.bash"
lc_begin --syslog --tool "$LC_FAULTS_HELPER"
lc_conf deny
lc_broker

# The broker's children: its two spares, and a worker while it serves.
children() { nsiso_broker_spares | wc -w; }

lc_fault "helper-before-reply:stall"
lc_try pamtester "$SVC" "$LC_USER" open_session close_session
lc_outcome "stalled worker" deny
nsiso_assert_true "stalled worker: the module gave up within 20 s (${LC_MS} ms)" test "$LC_MS" -lt 20000
nsiso_assert_true "stalled worker: after its full budget, not before (${LC_MS} ms)" test "$LC_MS" -ge 9000
lc_fault ""
# Its bound: 11 s from its take, which came with the login.
back_to_spares() { [ "$(children)" -eq 2 ] && nsiso_broker_ready; }
nsiso_assert_true "stalled worker: gone by its own bound, the broker back to two spares" \
	nsiso_wait_until 15 back_to_spares
nsiso_assert_true "stalled worker: the broker logs why it ended" \
	nsiso_wait_log "broker: worker [0-9]+ ended by its time limit"
lc_nothing_left "stalled worker"
