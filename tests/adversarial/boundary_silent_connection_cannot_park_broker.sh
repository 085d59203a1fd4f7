#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Threat model row B3 (docs/threat-model.md): a user stops their own setuid
# PAM application (su) between its connect to the broker and its request.
# The broker's worker sees a root connection that says nothing; waiting for
# it without end parked the worker, with the holder and reaper its spare
# made, for good, and 64 such connections left no worker for anyone (every
# login then waited 2 s for the broker before running the helper: found by
# an adversarial review of rev c902b42).  Three such connections (root's
# own here: the broker sees the same) are each answered "exec" and dropped
# within the 2 s the module itself would wait, with a warning naming the
# connecting PID; nothing of theirs is left, and a login meanwhile still
# goes through the broker.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
nsiso_start_syslog || nsiso_skip "/dev/log is taken by another syslog daemon"

U=$(nsiso_make_user) || nsiso_die "cannot create user"
PARENT=$(nsiso_cgroup_parent)
SOCK=$T/brk/broker.sock
nsiso_write_conf "* cgroup_parent $PARENT
$U isolate uts,ipc,mnt,pid
$U memory 96M" >/dev/null
SVC=$(nsiso_make_pam_service "$(nsiso_module_line "broker=$SOCK")
session required pam_permit.so")

nsiso_start_broker "$NSISO_HELPER" "$SOCK"
nsiso_wait_until 10 nsiso_broker_ready || nsiso_die "the broker's spares made no holders"

# A connection that says nothing: it prints what it is answered and how
# long after its connect, then stays until killed.
silent() { # N
	python3 - "$SOCK" >"$T/silent.$1" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
t0 = time.monotonic()
s.settimeout(30)
try:
    msg = s.recv(512).decode(errors="replace")
except OSError as e:
    msg = "error " + str(e)
print("%d ms: %s" % ((time.monotonic() - t0) * 1000, msg), flush=True)
time.sleep(60)
PY
	SILENT+=("$!:$(_nsiso_starttime "$!")")
}
SILENT=()
stop_silent() { [ ${#SILENT[@]} -eq 0 ] || _nsiso_terminate "${SILENT[@]}"; return 0; }
nsiso_on_exit stop_silent

nsiso_log_mark
for i in 1 2 3; do silent "$i"; done
answered() { grep -q ' ms: ' "$T/silent.$1"; }
for i in 1 2 3; do
	nsiso_assert_true "silent connection $i: answered within 6 s" nsiso_wait_until 6 answered "$i"
	line=$(head -n 1 "$T/silent.$i")
	nsiso_assert_match "silent connection $i: told to exec the helper" \
		"^[0-9]+ ms: exec no request within 2000 ms$" "$line"
	nsiso_assert_true "silent connection $i: not before the module's own 2 s (${line%% ms*} ms)" \
		test "${line%% ms*}" -ge 1900
done
nsiso_assert_true "a warning for each, naming the connecting PID" \
	nsiso_wait_log "broker: no request within 2000 ms of a connection \(pid [0-9]+\)$" 5
nsiso_assert_eq "three warnings" 3 \
	"$(nsiso_log_since_mark | grep -c 'broker: no request within 2000 ms of a connection')"
# The broker's children are its spares again: no worker left behind.
only_spares() { [ "$(nsiso_broker_spares | wc -w)" -eq 2 ] && nsiso_broker_ready; }
nsiso_assert_true "the workers that took them ended; two spares wait" nsiso_wait_until 10 only_spares

nsiso_log_mark
nsiso_assert_true "a login goes through meanwhile" \
	pamtester "$SVC" "$U" open_session close_session
nsiso_assert_true "... via the broker" \
	nsiso_wait_log "session [0-9a-f]{16} opened for $U .*, via broker$" 5
nsiso_assert_true "its session is gone after the logout" \
	nsiso_wait_until 10 nsiso_session_gone "$U" "$PARENT" "$T/run"
