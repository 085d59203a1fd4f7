#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# nsisoctl status and kill against real SSH sessions: the right sessions,
# users, limits and counts (v1), JSON that parses, kill ending one live
# session and then a user's (stopped), stale records recognised and
# removed, a logout with the holder stopped.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
CTL=$NSISO_TOP/ctl/nsisoctl

NSISO_SSH_USER=$(nsiso_make_user) || nsiso_die "cannot create user"
USER_A=$NSISO_SSH_USER
USER_B=$(nsiso_make_user) || nsiso_die "cannot create user"
PARENT=$(nsiso_cgroup_parent)
nsiso_write_conf "* cgroup_parent $PARENT
* isolate uts,ipc,mnt,pid
$USER_A memory 256M
$USER_A tasks 100
$USER_B memory 128M" >/dev/null
nsiso_start_sshd "$(nsiso_module_line)"
RUN=$T/run
status() { "$CTL" status --run-dir "$RUN" "$@"; }

# Two sessions of A, one of B (B's key is A's: install it for B too).
install -d -m 0700 -o "$USER_B" "/home/$USER_B/.ssh"
install -m 0600 -o "$USER_B" "/home/$USER_A/.ssh/authorized_keys" "/home/$USER_B/.ssh/"
a1=$(nsiso_ssh_bg "$T/a1" 'echo up; exec sleep 300')
a2=$(nsiso_ssh_bg "$T/a2" 'echo up; exec sleep 300')
NSISO_SSH_USER=$USER_B
b1=$(nsiso_ssh_bg "$T/b1" 'echo up; exec sleep 300')
NSISO_SSH_USER=$USER_A
for f in a1 a2 b1; do nsiso_wait_for grep -q up "$T/$f" || nsiso_die "session $f did not start"; done
sessions_of() { status --json | python3 -c "
import json,sys; d=json.load(sys.stdin); print(len([s for s in d['sessions'] if s['user']=='$1']))"; }
# Polled: the command substitution must run on every try.
# (What they print is shown only when a wait for them gives up.)
sessions_are() { local n; n=$(sessions_of "$1"); echo "sessions of $1: $n"; test "$n" = "$2"; }
no_records() { echo "records: $(nsiso_records "$RUN" | tr '\n' ' ')"; test -z "$(nsiso_records "$RUN")"; }
parses() { python3 -m json.tool >/dev/null <<<"$1"; }
nsiso_assert_true "status lists both sessions of A" nsiso_wait_for sessions_are "$USER_A" 2
nsiso_assert_eq "status lists the session of B" 1 "$(sessions_of "$USER_B")"

json=$(status --json)
nsiso_assert_true "status --json parses" parses "$json"
field() { python3 -c "
import json,sys; d=json.load(sys.stdin)
print([u for u in d['users'] if u['user']=='$1'][0]['$2'])" <<<"$json"; }
nsiso_assert_eq "A: memory limit from the cgroup" $((256 << 20)) "$(field "$USER_A" memory_limit)"
nsiso_assert_eq "A: tasks limit" 100 "$(field "$USER_A" tasks_limit)"
nsiso_assert_eq "A: two sessions counted in the user row" 2 "$(field "$USER_A" sessions)"
nsiso_assert_eq "B: memory limit" $((128 << 20)) "$(field "$USER_B" memory_limit)"
nsiso_assert_eq "B: no tasks limit (null)" None "$(field "$USER_B" tasks_limit)"
nsiso_assert_match "A: memory in use is a number" '^[0-9]+$' "$(field "$USER_A" memory_current)"
nsiso_assert_eq "A: no OOM kills" 0 "$(field "$USER_A" oom_kills)"
nsiso_assert_eq "A: cgroup path" "$PARENT/user-$(id -u "$USER_A")" "$(field "$USER_A" cgroup)"
proc_counts=$(python3 -c "
import json,sys; d=json.load(sys.stdin)
print(sorted(s['processes'] for s in d['sessions'] if s['user']=='$USER_A'))" <<<"$json")
# holder + sshd user child + sleep (exec'd shell)
nsiso_assert_eq "A: three processes per session" "[3, 3]" "$proc_counts"
nsiso_assert_eq "service and remote host recorded" "$NSISO_SSH_PAM_SERVICE 127.0.0.1" \
	"$(python3 -c "
import json,sys; s=json.load(sys.stdin)['sessions'][0]; print(s['service'], s['rhost'])" <<<"$json")"
text=$(status "$USER_B")
nsiso_assert_match "status USER shows only that user" "$USER_B" "$text"
nsiso_assert_false "status USER hides the others" grep -q "$USER_A" <<<"$text"

# kill one session of A: its ssh client ends, the other stays.
victim=$(python3 -c "
import json,sys; d=json.load(sys.stdin)
print([s['session'] for s in d['sessions'] if s['user']=='$USER_A'][0])" <<<"$json")
nsiso_assert_match "kill SESSION" "^ended session $victim of $USER_A" "$("$CTL" kill "$victim" --run-dir "$RUN")"
ended_one() { ! kill -0 "$a1" 2>/dev/null || ! kill -0 "$a2" 2>/dev/null; }
nsiso_assert_true "one of A's ssh clients ended" nsiso_wait_for ended_one
nsiso_assert_true "status then shows one session of A" nsiso_wait_for sessions_are "$USER_A" 1
nsiso_assert_eq "kill of a gone session: status 1" 1 \
	"$("$CTL" kill "$victim" --run-dir "$RUN" >/dev/null 2>&1; echo $?)"

# kill --user ends all the rest of A; nothing of A is left.  Its holder
# and its processes stopped first, as logind's KillSession lets a session's
# owner do to every process of its scope on systemd hosts, root's holder
# too (a review of b7aa9d1): kill used to say "ended" while the session
# lived on, stopped, for as long as the user liked.
# A third session of A, with a process in a PID namespace the user made
# inside it: kill counts it too (a review of 1c56089 had it say "ended"
# while that process lived on, its holder kept stopped).
a3=$(nsiso_ssh_bg "$T/a3" 'unshare -Urpf sleep 600 & echo up; exec sleep 300')
nsiso_wait_for grep -q up "$T/a3" || nsiso_die "session a3 did not start"
nested_sleep() { local p; for p in $(pgrep -u "$USER_A" -x sleep); do
	[ "$(readlink "/proc/$p/ns/user")" != "$(readlink /proc/self/ns/user)" ] && echo "$p"; done; }
nsiso_assert_true "a3: the nested process runs" nsiso_wait_until 10 test -n "$(nested_sleep)"
# sshd's monitor, the PAM application (in the session's scope there), is
# stopped too: the user's sshd child, its child, stays a zombie in the
# session's namespace until the monitor reaps it.
holders=$(nsiso_holders_of "$USER_A" | tr '\n' ' ')
monitors=$(for h in $holders; do sed -n 's/^caller=//p' "$(grep -l "^holder=$h$" "$RUN"/*.session)"; done)
kill -STOP $holders $monitors $(nsiso_pids_of_user "$USER_A")
# The user keeps stopping them, as a loop of loginctl kill-session would.
nsiso_on_exit kill -CONT $holders
(while :; do kill -STOP $holders 2>/dev/null; done) &
stopper=$!
nsiso_on_exit kill -9 "$stopper"
out=$("$CTL" kill --user "$USER_A" --run-dir "$RUN")
nsiso_assert_eq "kill --user of a stopped session: status 0" 0 "$?"
nsiso_assert_match "kill --user: it says ended" "^ended session [0-9a-f]{16} of $USER_A" "$out"
nsiso_assert_eq "kill --user: no process of A's left running, nested or not" "" \
	"$(ps -o pid=,stat= -u "$USER_A" | grep -v Z)"
kill -9 "$stopper"
wait "$stopper" 2>/dev/null # no stop of its may land after the close's continue
kill -CONT $monitors
nsiso_assert_true "kill --user: A's holders, processes and cgroup gone" \
	nsiso_wait_for nsiso_session_gone "$USER_A" "$PARENT"
nsiso_assert_eq "B untouched" 1 "$(sessions_of "$USER_B")"

# A stale record (holder long gone) is recognised, removed, never shown.
printf 'session=00000000deadbeef\nuser=%s\nuid=1\nholder=%d\nholder_start=1\nisolate=pid\n' \
	"$USER_A" "$NSISO_SSH_PID" >"$RUN/00000000deadbeef.session"
out=$(status --json 2>"$T/stale.err")
nsiso_assert_false "stale record not shown" grep -q deadbeef <<<"$out"
nsiso_assert_true "stale record reported" grep -q "removed stale record of session 00000000deadbeef" "$T/stale.err"
nsiso_assert_false "stale record removed" test -e "$RUN/00000000deadbeef.session"

# Not root: a clear error and status 4.
out=$(setpriv --reuid="$USER_B" --regid="$USER_B" --clear-groups "$CTL" status --run-dir "$RUN" 2>&1)
nsiso_assert_eq "status as a user: status 4" 4 "$?"
nsiso_assert_match "status as a user: says root is needed" "needs root" "$out"

# B logs out with its holder stopped (as above): the close continues it.
kill -STOP "$(nsiso_holders_of "$USER_B" | head -n 1)"
kill "$b1"
nsiso_assert_true "after the last logout: no records left" \
	nsiso_wait_for no_records
nsiso_assert_true "and nothing of B" nsiso_wait_for nsiso_session_gone "$USER_B" "$PARENT"
