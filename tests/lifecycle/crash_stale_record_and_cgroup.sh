#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A crash: a holder SIGKILLed with its session (its PID namespace dies with
# it) cannot clean up, but the session's reaper, waiting on its pidfd, does:
# the record goes at once, the user's cgroup as soon as the application has
# left it.  Traces a crash of both would leave are handled too: nsisoctl
# status recognises a stale record and removes it; a stale cgroup, here with
# wrong limits, is taken over by the user's next session, which rewrites the
# limits, and removed when that session ends.
set -u
. "$(dirname "$0")/lib.bash"
lc_begin
CTL=$NSISO_TOP/ctl/nsisoctl
MEM=$NSISO_CG_V1/memory/$LC_PARENT/user-$LC_UID
PIDS=$NSISO_CG_V1/pids/$LC_PARENT/user-$LC_UID
lc_conf deny "$LC_USER memory 128M
$LC_USER tasks 50"

# The session to crash: pamtester held open by pam_exec (optional: the
# crash kills it), with a process of the user in it.
mkfifo "$T/ready" "$T/go"
exec {ready}<>"$T/ready"
cat >"$T/hold" <<HOLD
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
exec 3<>$T/go
setpriv --reuid="\$PAM_USER" --regid="\$(id -g "\$PAM_USER")" --init-groups sleep 3001 </dev/null >/dev/null 2>&1 &
echo ready >$T/ready
read -r go <&3
HOLD
chmod 0755 "$T/hold"
SVC_HOLD=$(nsiso_make_pam_service "$(nsiso_module_line)
session optional pam_exec.so $T/hold")
pamtester "$SVC_HOLD" "$LC_USER" open_session close_session >"$T/hold.out" 2>&1 &
app=$!
nsiso_on_exit _nsiso_terminate "$app:$(_nsiso_starttime "$app")"
held() { read -r -t 0 -u "$ready"; }
nsiso_assert_true "session is open" nsiso_wait_for held
record=$(ls "$LC_RUN"/*.session)
session=$(basename "$record" .session)
holder=$(sed -n 's/^holder=//p' "$record")
sleeper() { pgrep -u "$LC_USER" -x sleep; }
# The hold script starts it in the background and says "ready" at once:
# setpriv may not have become the user's sleep yet.
one_sleeper() { [[ $(sleeper) =~ ^[0-9]+$ ]]; }
nsiso_assert_true "the user's process runs in it" nsiso_wait_for one_sleeper

# The crash.
kill -KILL "$holder"
t0=$(_nsiso_now_us)
record_gone() { [ ! -e "$record" ]; }
nsiso_assert_true "the reaper removes the record (within 3 s)" nsiso_wait_until 3 record_gone
_nsiso_info "record gone $((($(_nsiso_now_us) - t0) / 1000)) ms after the holder was killed"
wait "$app"
nsiso_assert_eq "the application closes its session normally" 0 "$?"
t0=$(_nsiso_now_us)
no_sleeper() { echo "sleepers: $(sleeper | tr '\n' ' ')"; [ -z "$(sleeper)" ]; }
nsiso_assert_true "the session's processes died with their PID namespace" nsiso_wait_for no_sleeper
group_gone() { [ ! -d "$MEM" ] && [ ! -d "$PIDS" ]; }
nsiso_assert_true "the reaper removes the cgroup once the application is gone (within 3 s)" \
	nsiso_wait_until 3 group_gone
_nsiso_info "cgroup gone $((($(_nsiso_now_us) - t0) / 1000)) ms after the application exited"

# A stale record (holder and reaper both gone, as after a crash of both):
# nsisoctl status recognises it, removes it, never shows it.
# (Its start time read while it surely runs: a record nsisoctl reads has
# every number it names.)
sleep 300 &
gone_pid=$!
gone_start=$(_nsiso_starttime "$gone_pid")
kill "$gone_pid"
wait "$gone_pid"
[ -n "$gone_start" ] || nsiso_die "no start time of PID $gone_pid"
session=00000000c0ffee00
record=$LC_RUN/$session.session
printf 'session=%s\nuser=%s\nuid=%s\nholder=%d\nholder_start=%s\nisolate=uts,ipc,mnt,pid\n' \
	"$session" "$LC_USER" "$LC_UID" "$gone_pid" "$gone_start" >"$record"
status_cleans_up() {
	"$CTL" status --run-dir "$LC_RUN" >"$T/status.out" 2>"$T/status.err" &&
		grep -q "removed stale record of session $session" "$T/status.err" ||
		{ echo "nsisoctl status said: $(tr '\n' ' ' <"$T/status.err")"; return 1; }
}
nsiso_assert_true "nsisoctl status reports the stale record and removes it" \
	nsiso_wait_for status_cleans_up
nsiso_assert_false "... it does not show it as a session" grep -q "$session" "$T/status.out"
nsiso_assert_false "... the record is gone" test -e "$record"

# A stale cgroup, with wrong limits (as an older conf, a hand edit or a
# crash of holder and reaper would leave it): the next session takes it over
# with the right ones.
mkdir -p "$MEM" "$PIDS"
echo $((32 << 20)) >"$MEM/memory.limit_in_bytes"
echo 7 >"$PIDS/pids.max"
cat >"$T/limits" <<LIMITS
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
cg=\$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
pc=\$(sed -n 's/^[0-9]*:pids://p' /proc/self/cgroup)
echo "\$cg \$(cat /sys/fs/cgroup/memory\$cg/memory.limit_in_bytes) \$(cat /sys/fs/cgroup/pids\$pc/pids.max)" >$T/limits.out
LIMITS
chmod 0755 "$T/limits"
SVC=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so $T/limits")
nsiso_assert_true "the next session opens and closes" pamtester "$SVC" "$LC_USER" open_session close_session
nsiso_assert_eq "... in the old group, with the limits rewritten" \
	"/$LC_PARENT/user-$LC_UID $((128 << 20)) 50" "$(cat "$T/limits.out")"
lc_nothing_left "after that session"
