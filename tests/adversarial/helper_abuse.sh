#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Hostile use of nsiso-helper.  An unprivileged user runs the
# built helper (a snapshot copy, see adv_snapshot) and a setuid-root copy
# of it with every verb, with other users' names, uids and PIDs, with a hostile environment (LD_PRELOAD,
# LD_LIBRARY_PATH, GCONV_PATH, CGROUP_LOGLEVEL), closed or 1000 extra fds,
# 1 MiB and non-UTF-8 arguments, a run directory of its own or a symlink.
# Every case asserts the exit status, that nothing was created, moved or
# written (no cgroup, no holder/namespace, no run directory, no code run
# as root) and the syslog line, where one is due.
#
# Then root, standing in for the module, feeds the helper invalid requests
# (it must refuse each before touching anything), stops and kills it at
# every system call of a session setup (nothing may be left: no holder, no
# cgroup, no record), and the module's conf checks are driven through
# pamtester with conf= (symlink, FIFO, device, world-writable, in a
# user-writable directory).
set -u
. "$(dirname "$0")/lib/adv.sh"
# AU the attacker, VICTIM, RU the user for root-run cases.
adv_begin --syslog AU VICTIM RU
adv_build_tools "$PUB"
H=$NSISO_HELPER
S=$PUB/nsiso-helper-suid
install -m 4755 -o root -g root "$H" "$S" || nsiso_die "cannot install the setuid copy"
RUN=$PUB/run		# only root can create it: its existence is a write
# Holders are found from the session records (nsiso_holders_of): here too.
# shellcheck disable=SC2034 # read by nsiso_holders_of
NSISO_RUN_DIRS=$RUN
SID=0123456789abcdef
default_run_state() { ls -la --time-style=+%s /run/nsiso 2>/dev/null; }
DEFAULT_RUN_STATE=$(default_run_state)
REFUSED_LOG="^authpriv\.warning nsiso-helper: refused: run by uid $AU_UID, not by pam_nsiso as root"

# ---------------------------------------------------------------------------
# Invariants
# ---------------------------------------------------------------------------

# No run dir, no cgroup (parent or any user-<uid> leaf), no holder, no
# LD_PRELOAD code run as root.  Holders are found from the session records
# (nsiso_holders_of), in $RUN too; a session made there would also leave $RUN.
nothing_made() {
	local name="$1: nothing created, moved or written" why="" u uid
	[ -e "$RUN" ] && why+=" $RUN exists;"
	[ "$(default_run_state)" = "$DEFAULT_RUN_STATE" ] || why+=" /run/nsiso changed;"
	for h in memory pids; do
		[ -e "$NSISO_CG_V1/$h/$PARENT" ] && why+=" cgroup $h/$PARENT exists;"
	done
	for u in "$AU" "$VICTIM" "$RU" root; do
		uid=$(id -u "$u")
		adv_has_leaf "$uid" && why+=" a cgroup user-$uid exists;"
		[ -n "$(nsiso_holders_of "$u")" ] && why+=" a holder (namespaces) for $u exists;"
	done
	grep -qsx 0 "$PUB/markers/preload" && why+=" LD_PRELOAD code ran as root;"
	if [ -z "$why" ]; then nsiso_pass "$name"; else nsiso_fail "$name" "$why"; fi
}

# user_case NAME WANT_EXIT WANT_OUTPUT_ERE LOG -- SPAWN_ARGS...
#   Run "spawn SPAWN_ARGS" as $AU twice: with @HELPER@ standing for the built
#   helper, then for the setuid copy.  LOG: "refused" (the refusal must be
#   logged) or "none" (nothing of the helper may be logged).
user_case() {
	local name=$1 want_rc=$2 want_re=$3 want_log=$4 kind helper out rc
	local -a args
	shift 5
	for kind in ${KINDS:-built setuid}; do
		helper=$H
		[ "$kind" = setuid ] && helper=$S
		args=("${@//@HELPER@/$helper}")
		rm -f "$PUB/markers/preload"
		nsiso_log_mark
		out=$(cd "$PUB" && adv_as "$AU" "$PUB/spawn" "${args[@]}" 2>&1)
		rc=$(sed -n 's/^exit //p' <<<"$out")
		nsiso_assert_eq "$name [$kind]: exit status" "$want_rc" "$rc"
		[ -z "$want_re" ] || nsiso_assert_match "$name [$kind]: output" "$want_re" "$out"
		nothing_made "$name [$kind]"
		if [ "$want_log" = refused ]; then
			nsiso_assert_true "$name [$kind]: refusal logged (authpriv)" nsiso_wait_log "$REFUSED_LOG"
		else
			# (other sessions on the machine may log meanwhile: only
			# what this case could have logged counts)
			adv_log_none "$name [$kind]: nothing logged" "nsiso-helper: refused: run by uid $AU_UID"
		fi
	done
}

REFUSAL='refused: only pam_nsiso, running as root, may use .open.'
REQ=(open --user "$AU" --uid "$AU_UID" --caller @SELF@ --session "$SID"
	--isolate uts,ipc,mnt,pid --hostname nsiso-adv --memory 67108864 --tasks 50
	--cgroup-parent "$PARENT" --run-dir "$RUN")

# ---------------------------------------------------------------------------
# 1. As an unprivileged user: the built helper and the setuid copy
# ---------------------------------------------------------------------------

user_case "U1 --help works" 0 'Usage: nsiso-helper open' none -- @HELPER@ --help
user_case "U2 --version works" 0 'nsiso-helper [0-9]+\.[0-9]+' none -- @HELPER@ --version
user_case "U3 no verb: usage, exit 2" 2 'Usage:' none -- @HELPER@
user_case "U4 unknown verb 'close': usage, exit 2" 2 'Usage:' none -- @HELPER@ close --user "$AU"
user_case "U5 empty argv (argc 0): usage, exit 2" 2 'Usage:' none -- -0 @HELPER@
user_case "U6 open for oneself (a complete, valid request)" 1 "$REFUSAL" refused -- @HELPER@ "${REQ[@]}"
user_case "U7 open for another user" 1 "$REFUSAL" refused -- @HELPER@ open --user "$VICTIM" \
	--uid "$VICTIM_UID" --caller @SELF@ --session "$SID" --isolate uts --run-dir "$RUN"
user_case "U8 open for root (--user root --uid 0)" 1 "$REFUSAL" refused -- @HELPER@ open --user root \
	--uid 0 --caller @SELF@ --session "$SID" --isolate uts,ipc,mnt,pid --run-dir "$RUN"
user_case "U9 open with --caller 1" 1 "$REFUSAL" refused -- @HELPER@ open --user "$AU" \
	--uid "$AU_UID" --caller 1 --session "$SID" --isolate uts --run-dir "$RUN"
user_case "U10 open with --caller of a PID that is not the parent" 1 "$REFUSAL" refused -- \
	@HELPER@ open --user "$AU" --uid "$AU_UID" --caller "$$" --session "$SID" --isolate uts --run-dir "$RUN"
user_case "U11 open with a socket on fd 3 (looks like the module)" 1 "reply err $REFUSAL" refused -- \
	-c @HELPER@ "${REQ[@]}"
user_case "U12 open with a regular file on fd 3" 1 "$REFUSAL" refused -- -f /etc/passwd @HELPER@ "${REQ[@]}"
user_case "U13 open with 0, 1 and 2 closed" 1 '' refused -- -x 012 @HELPER@ "${REQ[@]}"
user_case "U14 --help with 0, 1 and 2 closed" 0 '' none -- -x 012 @HELPER@ --help
user_case "U15 open with 1000 extra open fds" 1 "$REFUSAL" refused -- -n 1000 -m /etc/hostname \
	@HELPER@ "${REQ[@]}"
big=$(head -c 65536 /dev/zero | tr '\0' A)
huge=()
for _ in $(seq 16); do huge+=("$big"); done
user_case "U16 open with 1 MiB of arguments" 1 "$REFUSAL" refused -- @HELPER@ "${REQ[@]}" "${huge[@]}"
user_case "U17 --help with 1 MiB of arguments: usage, exit 2" 2 'Usage:' none -- @HELPER@ --help "${huge[@]}"
user_case "U18 open with non-UTF-8 arguments" 1 "$REFUSAL" refused -- @HELPER@ open \
	--user $'\xff\xfe\x80nsiso' --uid $'\xc3\x28' --caller @SELF@ --session $'\xf0\x28\x8c\xbc' --run-dir "$RUN"
user_case "U19 --cgroup-parent escaping the hierarchy" 1 "$REFUSAL" refused -- @HELPER@ open \
	--user "$AU" --uid "$AU_UID" --caller @SELF@ --session "$SID" --memory 67108864 \
	--cgroup-parent ../../.. --run-dir "$RUN"

# A run directory the user owns, and a symlink to it: the helper must
# neither write into them nor create anything behind them.
install -d -m 0755 -o "$AU" "$PUB/userdir"
ln -s "$PUB/userdir" "$PUB/link"
user_case "U20 --run-dir a directory the user owns" 1 "$REFUSAL" refused -- @HELPER@ open \
	--user "$AU" --uid "$AU_UID" --caller @SELF@ --session "$SID" --isolate uts --run-dir "$PUB/userdir"
user_case "U21 --run-dir a symlink" 1 "$REFUSAL" refused -- @HELPER@ open \
	--user "$AU" --uid "$AU_UID" --caller @SELF@ --session "$SID" --isolate uts --run-dir "$PUB/link"
nsiso_assert_eq "U20/U21 nothing was written into the user's directory" "" "$(ls -A "$PUB/userdir")"

# The environment: the setuid copy must honour none of it; the plain binary
# is the user's own program (whatever it loads runs as the user, never root).
env_case() {
	local name=$1 var=$2 kind helper out rc marker
	for kind in built setuid; do
		helper=$H
		[ "$kind" = setuid ] && helper=$S
		rm -f "$PUB/markers/preload"
		nsiso_log_mark
		out=$(cd "$PUB" && adv_as "$AU" "$PUB/spawn" -e "$var" -- "$helper" "${REQ[@]}" 2>&1)
		rc=$(sed -n 's/^exit //p' <<<"$out")
		marker=$(cat "$PUB/markers/preload" 2>/dev/null)
		if [ "$kind" = setuid ]; then
			nsiso_assert_eq "$name [setuid]: exit status (variable ignored)" 1 "$rc"
			nsiso_assert_eq "$name [setuid]: the refusal and nothing else on stdout/stderr" \
				"nsiso-helper: refused: only pam_nsiso, running as root, may use 'open'" \
				"$(grep -v -E '^(pid|exit) ' <<<"$out")"
			nsiso_assert_eq "$name [setuid]: no injected code ran" "" "$marker"
			nsiso_assert_true "$name [setuid]: refusal logged" nsiso_wait_log "$REFUSED_LOG"
		else
			nsiso_assert_match "$name [built]: exit status (1, or 127 if the loader failed)" '^(1|127)$' "$rc"
			nsiso_assert_match "$name [built]: injected code, if any, ran as the user" \
				"^($AU_UID )*$" "$(tr '\n' ' ' <<<"$marker" | sed 's/^ $//')"
		fi
		nothing_made "$name [$kind]"
	done
}
install -d -m 0755 "$PUB/libdir" "$PUB/gconv"
cp "$PUB/preload.so" "$PUB/libdir/libcgroup.so.2"
cp "$PUB/preload.so" "$PUB/gconv/NSISO.so"
printf 'module INTERNAL NSISO// NSISO 1\nmodule NSISO// INTERNAL NSISO 1\nalias ANSI_X3.4-1968// NSISO//\n' \
	>"$PUB/gconv/gconv-modules"
env_case "U22 LD_PRELOAD of a marking library" "LD_PRELOAD=$PUB/preload.so"
env_case "U23 LD_LIBRARY_PATH with a fake libcgroup" "LD_LIBRARY_PATH=$PUB/libdir"
env_case "U24 GCONV_PATH with a marking gconv module" "GCONV_PATH=$PUB/gconv"
env_case "U25 CGROUP_LOGLEVEL=DEBUG (libcgroup must not print)" "CGROUP_LOGLEVEL=DEBUG"

# A live setuid-invoked helper, held in a write to a full pipe (--help),
# with 1000 extra fds and a file on fd 3: only 0, 1 and 2 survive, every id
# is the user's, no capability is left, it is not dumpable (the user cannot
# ptrace it) and it has no_new_privs.
rm -f "$PUB/go"
adv_as "$AU" "$PUB/spawn" -F -W "$PUB/go" -n 1000 -m /etc/hostname -f /etc/hostname \
	-- "$S" --help >"$T/held.out" 2>&1 &
held=$!
nsiso_wait_for grep -q '^pid ' "$T/held.out"
hpid=$(sed -n 's/^pid //p' "$T/held.out")
held_in_write() { [ "$(_nsiso_stat_field "$hpid" 3)" = S ] && grep -q 'pipe_write\|^0$' /proc/"$hpid"/wchan 2>/dev/null; }
nsiso_wait_for held_in_write
nsiso_assert_eq "U26 held setuid helper: only fds 0 1 2 survive (of 1000 + fd 3)" "0 1 2" \
	"$(find /proc/"$hpid"/fd -mindepth 1 -printf '%f\n' | sort -n | tr '\n' ' ' | sed 's/ $//')"
nsiso_assert_eq "U26 held setuid helper: real, effective, saved and fs uid are the user's" \
	"Uid: $AU_UID $AU_UID $AU_UID $AU_UID" "$(grep '^Uid:' /proc/"$hpid"/status | tr -s '\t ' ' ')"
nsiso_assert_eq "U26 held setuid helper: no capabilities left" \
	"0000000000000000 0000000000000000 0000000000000000 0000000000000000" \
	"$(awk '/^Cap(Inh|Prm|Eff|Amb):/ {printf "%s%s", sep, $2; sep=" "}' /proc/"$hpid"/status)"
nsiso_assert_eq "U26 held setuid helper: no_new_privs" 1 "$(awk '/^NoNewPrivs:/ {print $2}' /proc/"$hpid"/status)"
nsiso_assert_eq "U26 held setuid helper: not dumpable (/proc/PID/fd is root's)" root \
	"$(stat -c %U /proc/"$hpid"/fd)"
nsiso_assert_eq "U26 the user cannot ptrace the setuid-invoked helper" EPERM \
	"$(adv_as "$AU" "$PUB/probe" ptrace "$hpid")"
touch "$PUB/go"
wait "$held"
nsiso_assert_match "U26 released: --help completes" 'exit 0' "$(cat "$T/held.out")"

# ---------------------------------------------------------------------------
# 2. As root, standing in for the module (fd 3 a socketpair): every invalid
#    request is refused before anything is created.
# ---------------------------------------------------------------------------

RREQ=(open --user "$RU" --uid "$RU_UID" --caller @SELF@ --session "$SID"
	--isolate uts,ipc,mnt,pid --hostname nsiso-adv --memory 67108864 --tasks 50
	--cgroup-parent "$PARENT" --run-dir "$RUN")
# req OPTION VALUE...: R = RREQ with these options replaced (or appended).
req() {
	local i found
	R=("${RREQ[@]}")
	while [ $# -gt 1 ]; do
		found=
		for ((i = 1; i < ${#R[@]}; i += 2)); do
			[ "${R[i]}" = "$1" ] && R[i + 1]=$2 found=1
		done
		[ -n "$found" ] || R+=("$1" "$2")
		shift 2
	done
}

# root_case NAME WANT_REASON_ERE [SPAWN_OPTIONS] -- HELPER_ARGS...
#   The reason goes back on the channel; logging it is the module's job (it
#   adds the user and the outcome), so no syslog line is asserted here.
root_case() {
	local name=$1 want=$2 out
	shift 2
	local -a opts=()
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	nsiso_log_mark
	out=$("$PUB/spawn" -c ${opts[@]+"${opts[@]}"} -- "$H" "$@" 2>&1)
	nsiso_assert_eq "$name: exit status" "exit 1" "$(grep '^exit ' <<<"$out")"
	nsiso_assert_match "$name: refused with the reason on the channel" "reply err .*$want" "$out"
	nothing_made "$name"
}

gone_pid=$(sh -c 'echo $$')
req --caller 1; root_case "R1 --caller 1" '--caller 1 is not the process that ran the helper' -- "${R[@]}"
req --caller "$$"; root_case "R2 --caller an ancestor, not the parent" \
	"--caller $$ is not the process that ran the helper" -- "${R[@]}"
req --caller "$gone_pid"; root_case "R3 --caller a PID that has exited (may be reused)" \
	"--caller $gone_pid is not the process that ran the helper" -- "${R[@]}"
req --user "$VICTIM"; root_case "R4 another user's name with our uid" "user $VICTIM has uid $VICTIM_UID, not $RU_UID" -- "${R[@]}"
req --uid 0; root_case "R5 our name with uid 0" "user $RU has uid $RU_UID, not 0" -- "${R[@]}"
req --user nsiso-no-such-user; root_case "R6 unknown user" "unknown user 'nsiso-no-such-user'" -- "${R[@]}"
req --user $'\xff\xfe\x80'; root_case "R7 non-UTF-8 user name" "unknown user" -- "${R[@]}"
req --hostname $'nsiso-\xff\xfe'; root_case "R8 non-UTF-8 host name" "invalid --hostname" -- "${R[@]}"
req --session ../../etc/passw; root_case "R9 session id that is a path" "invalid --session" -- "${R[@]}"
req --service "$big"; root_case "R10 a 64 KiB --service" "invalid --service: longer than 256 bytes" -- "${R[@]}"
root_case "R11 1 MiB of extra arguments" "unexpected argument 'AAAA" -- "${RREQ[@]}" "${huge[@]}"
req --cgroup-parent ../../..; root_case "R12 --cgroup-parent ../../.." "invalid --cgroup-parent" -- "${R[@]}"
req --cgroup-parent /sys/fs/cgroup/memory; root_case "R13 --cgroup-parent absolute" "invalid --cgroup-parent" -- "${R[@]}"
req --memory 16777215; root_case "R14 --memory below the conf's minimum (16M)" \
	"invalid --memory '16777215': memory limit must be at least 16M" -- "${R[@]}"
req --memory -1; root_case "R15 --memory -1" "invalid --memory '-1'" -- "${R[@]}"
req --tasks 0; root_case "R16 --tasks 0" "invalid --tasks '0'" -- "${R[@]}"
req --isolate uts,pid; root_case "R17 --isolate pid without mnt" "invalid --isolate 'uts,pid': pid needs mnt" -- "${R[@]}"
req --isolate ipc; root_case "R18 --hostname without uts" "--hostname needs uts in --isolate" -- "${R[@]}"
root_case "R19 abbreviated option (--us)" "invalid option '--us': use the full name --user" -- \
	open --us "$RU" --uid "$RU_UID" --caller @SELF@ --session "$SID" --isolate uts --run-dir "$RUN"
root_case "R20 an option given twice" "option --uid given twice" -- "${RREQ[@]}" --uid 0
req --run-dir "$PUB/userdir"; root_case "R21 --run-dir a directory the user owns" \
	"$PUB/userdir must be a directory owned by root with mode 0711 or 0700" -- "${R[@]}"
req --run-dir "$PUB/userdir/run"; root_case "R22 --run-dir below a directory the user owns" \
	"run directory $PUB/userdir/run: a directory on its path is not owned by root" -- "${R[@]}"
req --run-dir "$PUB/link"; root_case "R23 --run-dir a symlink" \
	"cannot open $PUB/link: not a directory \(a symbolic link\?\)" -- "${R[@]}"
req --run-dir "$PUB/link/run"; root_case "R24 --run-dir through a symlink" \
	"run directory $PUB/link/run: cannot open link: not a directory \(a symbolic link\?\)" -- "${R[@]}"
req --run-dir "$PUB/../$PUB/run"; root_case "R25 --run-dir with '..'" "'\.' or '\.\.' in the path" -- "${R[@]}"
install -d -m 0777 "$PUB/open"
req --run-dir "$PUB/open/run"; root_case "R26 --run-dir below a world-writable directory" \
	"a directory on its path is writable by others" -- "${R[@]}"
nsiso_assert_eq "R21-R26 nothing was written into the user's or the open directory" "" \
	"$(ls -A "$PUB/userdir" "$PUB/open" | grep -v ':$' | grep .)"
# Without a channel nobody else hears of a refusal: the helper logs it.
nsiso_log_mark
out=$("$PUB/spawn" -- "$H" "${RREQ[@]}" 2>&1)
nsiso_assert_match "R27 root without the reply channel on fd 3: refused" \
	"refused: fd 3 is not pam_nsiso's reply channel" "$out"
nsiso_assert_eq "R27 exit status" "exit 1" "$(grep '^exit ' <<<"$out")"
nothing_made "R27 root without the reply channel"
nsiso_assert_true "R27 refusal logged (authpriv.err)" \
	nsiso_wait_log "^authpriv\.err nsiso-helper: refused: fd 3 is not pam_nsiso's reply channel"
nsiso_log_mark
out=$("$PUB/spawn" -f /etc/hostname -- "$H" "${RREQ[@]}" 2>&1)
nsiso_assert_match "R28 root with a regular file on fd 3: refused" "refused: fd 3 is not" "$out"
nsiso_assert_eq "R28 exit status" "exit 1" "$(grep '^exit ' <<<"$out")"
nothing_made "R28 root with a regular file on fd 3"
nsiso_assert_true "R28 refusal logged (authpriv.err)" \
	nsiso_wait_log "^authpriv\.err nsiso-helper: refused: fd 3 is not pam_nsiso's reply channel"

# ---------------------------------------------------------------------------
# 3. Real sessions made by root through the helper: hostile environment and
#    umask, and SIGSTOP/SIGKILL at every point of the setup.  These use
#    their own cgroup parent and run directory (made by design).
# ---------------------------------------------------------------------------

OKPARENT=$(nsiso_cgroup_parent)
OKRUN=$T/run
OKREQ=(open --user "$RU" --uid "$RU_UID" --caller @SELF@ --session "$SID"
	--isolate uts,ipc,mnt,pid --hostname nsiso-adv --memory 67108864 --tasks 50
	--cgroup-parent "$OKPARENT" --run-dir "$OKRUN")
session_gone() {
	[ -z "$(nsiso_holders_of "$RU")" ] && [ -z "$(adv_holders_in "$OKRUN")" ] && ! adv_has_leaf "$RU_UID" &&
		{ [ ! -d "$OKRUN" ] || [ -z "$(nsiso_records "$OKRUN")" ]; }
}

nsiso_log_mark
out=$(CGROUP_LOGLEVEL=DEBUG "$PUB/spawn" -c -u 000 -- "$H" "${OKREQ[@]}" 2>&1)
nsiso_assert_match "S1 a real session (CGROUP_LOGLEVEL=DEBUG, umask 000): ok + holder pidfd" \
	"reply ok [0-9]+"$'\n'"fd yes"$'\n'"exit 0" "$out"
nsiso_assert_eq "S1 libcgroup printed nothing (only spawn's own lines)" "" \
	"$(grep -v -E '^(pid|reply|fd|exit) ' <<<"$out")"
adv_log_none "S1 libcgroup logged no debug lines" 'libcgroup.*(DEBUG|debug|INFO)'
nsiso_assert_eq "S1 the run directory is 0711 despite umask 000" 711 "$(stat -c %a "$OKRUN")"
nsiso_assert_true "S1 caller gone: holder, cgroup and record are gone" adv_poll "$NSISO_WAIT_S" session_gone

# The number of system calls of a whole setup, under the same tracing.
out=$("$PUB/spawn" -c -k 1000000 -- "$H" "${OKREQ[@]}" 2>&1)
total=$(sed -n 's/^syscalls //p' <<<"$out")
nsiso_assert_match "S2 a traced setup succeeds and counts its system calls" '^[0-9]{2,}$' "$total"
adv_poll "$NSISO_WAIT_S" session_gone
# SIGKILL before each one of them: nothing may be left, whatever the point.
# spawn names the holder it saw made; the check runs without a fork.
killed_gone() {
	{ [ -z "$1" ] || ! _nsiso_alive "$1"; } &&
		[ -z "$(nsiso_records "$OKRUN")" ] &&
		[ ! -e "$CG/memory/$OKPARENT/user-$RU_UID" ] && [ ! -e "$CG/pids/$OKPARENT/user-$RU_UID" ]
}
CG=$NSISO_CG_V1
left=() holders=0
for ((k = 1; k <= ${total:-0}; k++)); do
	out=$("$PUB/spawn" -c -k "$k" -- "$H" "${OKREQ[@]}" 2>&1)
	holder=$(sed -n '1s/^holder //p' <(grep '^holder ' <<<"$out"))	# the first: the reaper follows
	[ -n "$holder" ] && holders=$((holders + 1))
	adv_poll "$NSISO_WAIT_S" killed_gone "$holder" || left+=("$k")
done
nsiso_assert_eq "S2 helper SIGKILLed at each of its $total system calls ($holders after its holder existed): no holder, cgroup or record left" \
	"" "${left[*]}"
nsiso_assert_true "S2 and no holder of the user at all" session_gone

# SIGSTOP while it waits for the holder (its poll(2)), with 1000 fds the
# caller left open: none reaches the helper; the user can neither ptrace
# nor signal the root helper or holder; SIGKILL then leaves nothing.
"$PUB/spawn" -c -s 7 -n 1000 -m /etc/hostname -- "$H" "${OKREQ[@]}" >"$T/stop.out" 2>&1 &
stopper=$!
nsiso_wait_for grep -q '^stopped ' "$T/stop.out"
spid=$(sed -n 's/^stopped //p' "$T/stop.out")
is_stopped() { [ "$(_nsiso_stat_field "$spid" 3)" = T ]; }
nsiso_assert_true "S3 helper stopped while it waits for its holder" nsiso_wait_for is_stopped
# (no record yet: the holder is the one spawn saw the helper make)
holder=$(grep -m1 '^holder ' "$T/stop.out" | sed 's/^holder //')	# the first: the reaper follows
nsiso_assert_true "S3 its holder exists meanwhile" _nsiso_is_live_holder "$holder"
nsiso_assert_eq "S3 none of the caller's 1000 fds reached the helper" 0 \
	"$(find /proc/"$spid"/fd -mindepth 1 -lname /etc/hostname | wc -l)"
nsiso_assert_eq "S3 nor the holder" 0 "$(find /proc/"$holder"/fd -mindepth 1 -lname /etc/hostname | wc -l)"
for who in "helper $spid" "holder $holder"; do
	set -- $who
	nsiso_assert_eq "S3 user cannot ptrace the root $1" EPERM "$(adv_as "$AU" "$PUB/probe" ptrace "$2")"
	nsiso_assert_eq "S3 user cannot signal the root $1" EPERM "$(adv_as "$AU" "$PUB/probe" kill "$2" 9)"
	nsiso_assert_eq "S3 the root $1 is not dumpable (no_new_privs too)" "root 1" \
		"$(stat -c %U /proc/"$2"/fd) $(awk '/^NoNewPrivs:/ {print $2}' /proc/"$2"/status)"
done
kill -KILL "$spid"
wait "$stopper"
nsiso_assert_true "S3 SIGKILLed while stopped: no holder, cgroup or record left" adv_poll "$NSISO_WAIT_S" session_gone

# ---------------------------------------------------------------------------
# 4. Through the real module (pamtester): the helper stopped or killed while
#    it waits for its holder.
# ---------------------------------------------------------------------------

nsiso_write_conf "* cgroup_parent $OKPARENT
$RU isolate uts,ipc,mnt,pid
$RU memory 64M" >/dev/null
for action in s k; do
	gcc -O2 -Wall -Wextra -Werror -DNSISO_REAL_HELPER="\"$H\"" -DNSISO_STOP_NR=7 \
		-DNSISO_ACTION="'$action'" -o "$PUB/stopwrap-$action" "$ADV_SRC/stopwrap.c" ||
		nsiso_die "cannot build stopwrap"
	chmod 0755 "$PUB/stopwrap-$action"
done
SVC_STOP=$(nsiso_make_pam_service "session required $NSISO_MODULE conf=$T/nsiso.conf helper=$PUB/stopwrap-s run_dir=$OKRUN")
SVC_KILL=$(nsiso_make_pam_service "session required $NSISO_MODULE conf=$T/nsiso.conf helper=$PUB/stopwrap-k run_dir=$OKRUN")

nsiso_log_mark
start=$SECONDS
timeout "$NSISO_WAIT_S" pamtester "$SVC_STOP" "$RU" open_session >/dev/null 2>&1
rc=$? took=$((SECONDS - start))
nsiso_assert_true "P1 helper SIGSTOPped mid-setup: session denied (not hung)" test "$rc" -ne 0 -a "$rc" -ne 124
# The 10 s budget, and up to 10 s more for starting and ending pamtester on
# a slow, loaded machine.
nsiso_assert_true "P1 the module gave up after its 10 s deadline (took ${took}s)" test "$took" -ge 9 -a "$took" -le 20
nsiso_assert_true "P1 logged: the helper did not answer" \
	nsiso_wait_log "^authpriv\.err .*cannot isolate session of $RU: the helper did not answer within 10000 ms; login denied"
nsiso_assert_true "P1 nothing left: no holder, cgroup or record" adv_poll "$NSISO_WAIT_S" session_gone

nsiso_log_mark
timeout "$NSISO_WAIT_S" pamtester "$SVC_KILL" "$RU" open_session >/dev/null 2>&1
rc=$?
nsiso_assert_true "P2 helper SIGKILLed mid-setup: session denied" test "$rc" -ne 0 -a "$rc" -ne 124
nsiso_assert_true "P2 logged: the helper exited without an answer" \
	nsiso_wait_log "^authpriv\.err .*cannot isolate session of $RU: the helper exited without an answer"
nsiso_assert_true "P2 nothing left: no holder, cgroup or record" adv_poll "$NSISO_WAIT_S" session_gone

# ---------------------------------------------------------------------------
# 5. The module's conf checks, through pamtester with conf=: each unsafe
#    conf denies the session, says why in syslog, and never hangs.
# ---------------------------------------------------------------------------

CONFS=$T/confs
install -d -m 0700 "$CONFS"
good="$RU isolate uts"
printf '%s\n' "$good" >"$CONFS/real.conf"
chmod 0644 "$CONFS/real.conf"
ln -s "$CONFS/real.conf" "$CONFS/symlink.conf"
mkfifo -m 0644 "$CONFS/fifo.conf"
install -m 0666 /dev/null "$CONFS/world-writable.conf"
printf '%s\n' "$good" >"$CONFS/world-writable.conf"
install -m 0644 -o "$AU" /dev/null "$CONFS/user-owned.conf"
install -d -m 0755 -o "$AU" "$PUB/userconf"
install -m 0644 /dev/null "$PUB/userconf/nsiso.conf"
printf '%s\n' "$good" >"$PUB/userconf/nsiso.conf"
install -d -m 0755 "$CONFS/dir.conf"

conf_case() {
	local name=$1 path=$2 why=$3 svc rc
	svc=$(nsiso_make_pam_service "session required $NSISO_MODULE conf=$path helper=$H run_dir=$OKRUN")
	nsiso_log_mark
	timeout 30 pamtester "$svc" "$RU" open_session close_session >/dev/null 2>&1
	rc=$?
	nsiso_assert_true "$name: session denied, promptly (status $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
	nsiso_assert_true "$name: logged at authpriv.alert" \
		nsiso_wait_log "^authpriv\.alert .*pam_nsiso.*: $path: $why"
	nsiso_assert_true "$name: no session was made" session_gone
}
conf_case "C1 conf is a symlink" "$CONFS/symlink.conf" "cannot open: is a symbolic link"
conf_case "C2 conf is a FIFO nobody writes (CVE-2024-22365)" "$CONFS/fifo.conf" "not a regular file"
conf_case "C3 conf is a character device" /dev/zero "not a regular file"
conf_case "C4 conf is world-writable" "$CONFS/world-writable.conf" "writable by group or others"
conf_case "C5 conf is owned by a user" "$CONFS/user-owned.conf" "not owned by root"
conf_case "C6 conf in a directory a user owns" "$PUB/userconf/nsiso.conf" \
	"its directory $PUB/userconf is not owned by root"
conf_case "C7 conf is a directory" "$CONFS/dir.conf" "not a regular file"
svc=$(nsiso_make_pam_service "session required $NSISO_MODULE conf=$CONFS/real.conf helper=$H run_dir=$OKRUN")
nsiso_assert_true "C8 the same conf, safely placed, works" pamtester "$svc" "$RU" open_session close_session
nsiso_assert_true "C8 and leaves nothing behind" adv_poll "$NSISO_WAIT_S" session_gone
