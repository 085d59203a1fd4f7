#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Churn: many concurrent sessions of one user plus sessions of other users,
# opened and closed over and over through pamtester (a pam_exec probe holds
# each session open) and a real sshd, with every 10th PAM application
# SIGKILLed between open and close (the pamtester, or the sshd [priv]
# monitor of that login).  Each session reports from inside, while open,
# its memory and pids cgroup and their limits; at the end nothing may be
# left: no holder, no cgroup under the test's parent, no record, no process
# of the test users.
#
# The number of cycles is sized to the machine: the first round (one cycle
# per worker, all at once: the main user's workers wait at a barrier until
# all of them are open, so the main user really has NSISO_CHURN_MAIN
# sessions at once) is timed, and from its rate the test picks as many
# cycles as fit NSISO_CHURN_BUDGET_S, at least two rounds and at most
# NSISO_CHURN_MAX, rounded down to a multiple of 10.  A slow machine runs
# fewer cycles, never into a time bound.
#
# Sizes come from the environment (the defaults are make stress's):
#   NSISO_CHURN_BUDGET_S  seconds for the cycles after the first round  120
#   NSISO_CHURN_MAX       open/close cycles at most, in all              1000
#   NSISO_CHURN_MAIN      concurrent workers of the main user              50
#   NSISO_CHURN_OTHERS    other users, one worker each                     10
#   NSISO_CHURN_SSH_MAIN  main-user workers that use ssh                   10
# Main-user workers use either pamtester or ssh for all their cycles; the
# other users alternate (even cycles ssh).  Cycle g (0-based, over all
# workers) is killed when g % 10 == 7: exactly a tenth of them.  Every
# cycle's outcome is checked.  Figures (the rate, open and teardown
# latencies, as seen from bash, so coarse) are printed.
set -u
. "$(dirname "$0")/../lib.sh"
BUDGET_S=${NSISO_CHURN_BUDGET_S:-120}
MAX_CYCLES=${NSISO_CHURN_MAX:-1000}
MAIN=${NSISO_CHURN_MAIN:-50}
OTHERS=${NSISO_CHURN_OTHERS:-10}
SSH_MAIN=${NSISO_CHURN_SSH_MAIN:-10}
KILL_EVERY=10
WORKERS=$((MAIN + OTHERS))
# Bounds on one open and one teardown: generous, the figures show the times.
OPEN_BOUND_US=$((NSISO_WAIT_S * 1000000))
TEARDOWN_BOUND_US=$((NSISO_WAIT_S * 1000000))
nsiso_setup
command -v pamtester >/dev/null || nsiso_die "pamtester is not installed (tests/deps.sh installs it)"
# The module's and the helper's log: why a cycle failed, when one does.
nsiso_start_syslog || nsiso_die "no syslog listener of our own on /dev/log"

MAIN_USER=$(nsiso_make_user) || nsiso_die "cannot create the main user"
OTHER_USERS=()
for ((k = 0; k < OTHERS; k++)); do
	OTHER_USERS+=("$(nsiso_make_user)") || nsiso_die "cannot create user $k"
done
PARENT=$(nsiso_cgroup_parent)
RUN=$T/run
D=$T/churn
install -d -m 0700 "$D"
HOST_PIDNS=$(readlink /proc/self/ns/pid)

# Limits differ per user, so a session in the wrong group shows.
conf="* cgroup_parent $PARENT
* isolate uts,ipc,mnt,pid
* on_logout kill
$MAIN_USER memory 2G
$MAIN_USER tasks 2000"
declare -A WANT_MEM WANT_TASKS
WANT_MEM[$MAIN_USER]=$((2 << 30))
WANT_TASKS[$MAIN_USER]=2000
for ((k = 0; k < OTHERS; k++)); do
	u=${OTHER_USERS[k]}
	conf+=$'\n'"$u memory $((256 + 8 * k))M"$'\n'"$u tasks $((100 + k))"
	WANT_MEM[$u]=$(((256 + 8 * k) << 20))
	WANT_TASKS[$u]=$((100 + k))
done
nsiso_write_conf "$conf" >/dev/null

# The probe runs (pam_exec, as root) right after pam_nsiso opened the
# session, inside it.  It reports what it sees on its worker's "ready" FIFO
# and then holds the session open until its worker writes to its "go" FIFO
# (opened first, read-write, so that a release written early is not lost).
cat >"$T/probe" <<PROBE
#!/bin/sh
w=\${PAM_TTY%%c*}
exec 3<>"$D/\$w.go"
cg=\$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
pc=\$(sed -n 's/^[0-9]*:pids://p' /proc/self/cgroup)
rec=\$(grep -l -x "tty=\$PAM_TTY" "$RUN"/*.session 2>/dev/null)
echo "ready \$PAM_TTY \$PAM_USER \$cg \$(cat /sys/fs/cgroup/memory\$cg/memory.limit_in_bytes) \$pc \$(cat /sys/fs/cgroup/pids\$pc/pids.max) \$(readlink /proc/self/ns/pid) \${rec:-none}" >>"$D/\$w.ready"
read -r go <&3
PROBE
chmod 0755 "$T/probe"
SVC=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so type=open_session $T/probe")

NSISO_SSH_USER=$MAIN_USER
nsiso_start_sshd "$(nsiso_module_line)"
LISTENER=$NSISO_SSH_PID
for u in "${OTHER_USERS[@]}"; do
	install -d -m 0700 -o "$u" "/home/$u/.ssh"
	install -m 0600 -o "$u" "/home/$MAIN_USER/.ssh/authorized_keys" "/home/$u/.ssh/"
done
# The remote side of an ssh cycle: the same report, from the user's shell.
# The user's groups are 0700 (only root reads them): the worker fills in the
# two limits ("-" here) from the paths the shell reports.
# shellcheck disable=SC2016 # expanded remotely
REMOTE='cg=$(sed -n "s/^[0-9]*:memory://p" /proc/self/cgroup)
pc=$(sed -n "s/^[0-9]*:pids://p" /proc/self/cgroup)
echo "ready TAG $(id -un) $cg - $pc - $(readlink /proc/self/ns/pid) $SSH_CLIENT"
read -r go'

# ---- one worker: N sessions of one user, one after the other --------------

# The sshd [priv] monitor of the login from client port $1: the process of
# our listener's children that has the connection.
monitor_of() {
	local p
	for p in $(ss -Htnp state established "( sport = :$NSISO_SSH_PORT and dport = :$1 )" |
		grep -o 'pid=[0-9]*'); do
		p=${p#pid=}
		[ "$(_nsiso_stat_field "$p" 4)" = "$LISTENER" ] && { echo "$p"; return 0; }
	done
	return 1
}

# worker W USER MODE: cycle 0, report it on $D/round0, then read from
# $D/wW.more how many cycles follow, and run them.
worker() {
	local w=$1 u=$2 mode=$3
	local rfd sfd bfd zfd mfd i n more g tag via kill app line t_open t0 t1 rc rec mon
	local -a f
	mkfifo "$D/w$w.ready" "$D/w$w.go" "$D/w$w.sin" "$D/w$w.bar" "$D/w$w.zzz" "$D/w$w.more"
	exec {rfd}<>"$D/w$w.ready" {sfd}<>"$D/w$w.sin" {bfd}<>"$D/w$w.bar" {zfd}<>"$D/w$w.zzz" \
		{mfd}<>"$D/w$w.more"
	nap() { read -r -t "$1" -u "$zfd" _ || :; }	# sleep without a fork
	problem() { printf '%s %s\n' "$tag" "$*" >>"$D/w$w.fail"; }
	n=1
	for ((i = 0; i < n; i++)); do
		g=$((i * WORKERS + w)) tag=w${w}c$i
		cycle
		if [ "$i" -eq 0 ]; then
			echo "$w" >>"$D/round0"
			read -r more <&"$mfd"
			n=$((1 + more))
		fi
	done
}

# The clock and a liveness check that fork nothing: sixty workers poll, and
# forks there would measure the test instead of the machine.
now() { local t=${EPOCHREALTIME//[.,]/}; NOW=$((10#$t)); }
running() { # PID: alive and not a zombie
	local line
	{ read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
	line=${line##*) }
	[[ $line != [ZXx]* ]]
}

# One cycle of a worker (its locals are the worker's): open, report, close
# or kill, wait for the teardown; every outcome is checked.
cycle() {
	via=pam
	if [ "$mode" = ssh ] || { [ "$mode" = mixed ] && [ $((i % 2)) -eq 0 ]; }; then
		via=ssh
	fi
	kill=0
	[ $((g % KILL_EVERY)) -eq 7 ] && kill=1
	now; t_open=$NOW
	if [ "$via" = pam ]; then
		pamtester -I "tty=$tag" "$SVC" "$u" open_session close_session \
			>>"$D/w$w.app.log" 2>&1 &
	else
		NSISO_SSH_USER=$u _nsiso_ssh_cmd
		"${_NSISO_SSH[@]}" "${REMOTE/TAG/$tag}" <&"$sfd" >"$D/w$w.ready" \
			2>>"$D/w$w.app.log" &
	fi
	app=$!
	echo "$app:$(_nsiso_starttime "$app")" >>"$D/apps"
	# Wait for the report, or for the application to give up.  Lines
	# arrive whole (one write each): only read once one is there,
	# since a read timing out mid-line would lose what it had read.
	line=
	until read -t 0 -u "$rfd"; do
		now
		running "$app" && [ $((NOW - t_open)) -lt "$OPEN_BOUND_US" ] || break
		nap 0.02
	done
	read -t 0 -u "$rfd" && read -r -u "$rfd" line
	now; t1=$NOW
	read -r -a f <<<"$line"
	if [ "${f[0]:-}" != ready ] || [ "${f[1]:-}" != "$tag" ]; then
		problem "$via open did not complete within $(((t1 - t_open) / 1000)) ms: '$line' ($(tail -n 3 "$D/w$w.app.log" | tr '\n' ' '))"
		kill_app
		return
	fi
	# The probe runs even when the module failed (required goes on with
	# the stack): a session that was not isolated shows in its sample,
	# and a pamtester that failed in its exit status.
	# ready TAG USER MEMCG LIMIT PIDSCG PIDSMAX PIDNS (RECORD | SSH_CLIENT)
	if [ "$via" = ssh ]; then
		f[4]=$(cat "/sys/fs/cgroup/memory${f[3]}/memory.limit_in_bytes" 2>/dev/null || echo unreadable)
		f[6]=$(cat "/sys/fs/cgroup/pids${f[5]}/pids.max" 2>/dev/null || echo unreadable)
		line="${f[*]}"
	fi
	printf '%s %s %s\n' "$via" "$u" "${line#ready }" >>"$D/w$w.samples"
	mon=
	if [ "$via" = ssh ]; then
		mon=$(monitor_of "${f[9]:-}") || problem "no monitor for client port ${f[9]:-} (report '$line')"
		rec=$(grep -l -x "caller=$mon" "$RUN"/*.session 2>/dev/null)
	else
		rec=${f[8]:-}
	fi
	[ -e "$rec" ] || problem "no record found ('$rec'; report '$line')"
	if [ "$i" -eq 0 ] && [ "$w" -lt "$MAIN" ]; then
		echo "$w" >>"$D/barrier"
		read -r -u "$bfd" _
	fi
	[ "$via" = ssh ] && [ -z "$mon" ] && kill=0
	if [ "$kill" = 1 ]; then
		now; t0=$NOW
		if [ "$via" = ssh ]; then kill -KILL "$mon"; else kill -KILL "$app"; fi
	else
		nap "0.$(printf '%03d' $((RANDOM % 150)))"
		now; t0=$NOW
		if [ "$via" = ssh ]; then echo go >&"$sfd"; else echo go 1<>"$D/w$w.go"; fi
	fi
	wait "$app"
	rc=$?
	case $kill$via$rc in
	0pam0 | 0ssh0 | 1pam137 | 1ssh255) ;;
	*) problem "$via exited with $rc (killed: $kill)" ;;
	esac
	# Teardown: until the record is gone (its holder removes it when
	# every process of the session is gone, then the cgroup if empty).
	while [ -e "$rec" ]; do
		now
		[ $((NOW - t0)) -lt "$TEARDOWN_BOUND_US" ] || break
		nap 0.01
	done
	[ -e "$rec" ] && problem "record $rec still there $((TEARDOWN_BOUND_US / 1000000)) s after close"
	now
	# g via killed open_us teardown_us
	printf '%s %s %s %s %s\n' "$g" "$via" "$kill" "$((t1 - t_open))" "$((NOW - t0))" \
		>>"$D/w$w.cycles"
}

# kill_app: end a cycle's application and what it started (the probe waits
# on its FIFO), when its open did not complete.
kill_app() {
	local -a procs
	mapfile -t procs < <(_nsiso_descendants "$app")
	kill -KILL "$app" 2>/dev/null
	wait "$app"
	[ ${#procs[@]} -eq 0 ] || _nsiso_terminate "${procs[@]}"
}

# ---- run ------------------------------------------------------------------

pids=()
: >"$D/barrier"
: >"$D/round0"
: >"$D/apps"
started=$(_nsiso_now_us)
for ((w = 0; w < WORKERS; w++)); do
	if [ "$w" -lt "$MAIN" ]; then
		u=$MAIN_USER mode=pam
		[ "$w" -lt "$SSH_MAIN" ] && mode=ssh
	else
		u=${OTHER_USERS[w - MAIN]} mode=mixed
	fi
	worker "$w" "$u" "$mode" &
	pids+=($!)
done
# If the test is cut short: the workers and what they started go first.
# Stopped first, so that none starts anything more while we look.
stop_workers() {
	local p
	local -a workers=() all=()
	for p in "${pids[@]}"; do
		_nsiso_alive "$p" && workers+=("$p:$(_nsiso_starttime "$p")")
	done
	for p in "${workers[@]}"; do
		_nsiso_is_ours "${p%%:*}" "${p#*:}" && kill -STOP "${p%%:*}"
	done
	for p in "${workers[@]}"; do
		mapfile -t -O "${#all[@]}" all < <(_nsiso_descendants "${p%%:*}")
	done
	# Applications whose worker is gone (and what they started: the probe).
	while read -r p; do
		_nsiso_is_ours "${p%%:*}" "${p#*:}" || continue
		all+=("$p")
		mapfile -t -O "${#all[@]}" all < <(_nsiso_descendants "${p%%:*}")
	done < <(cat "$D/apps" 2>/dev/null)
	for p in "${workers[@]}"; do
		_nsiso_is_ours "${p%%:*}" "${p#*:}" && kill -KILL "${p%%:*}"
	done
	[ ${#all[@]} -eq 0 ] || _nsiso_terminate "${all[@]}"
	for p in "${workers[@]}"; do
		wait "${p%%:*}" 2>/dev/null
	done
	return 0
}
nsiso_on_exit stop_workers
_nsiso_info "churn: $WORKERS workers, first round"

# The barrier: every main-user worker has its first session open (each open
# is bounded, so it is full within that bound or a worker gave up).
barrier_full() { echo "$(wc -l <"$D/barrier") of $MAIN at the barrier"; [ "$(wc -l <"$D/barrier")" -ge "$MAIN" ]; }
main_records() { grep -l -x "user=$MAIN_USER" "$RUN"/*.session 2>/dev/null | wc -l; }
if nsiso_wait_within $((OPEN_BOUND_US / 1000000 + 30)) barrier_full; then
	nsiso_assert_eq "$MAIN sessions of one user open at once" "$MAIN" "$(main_records)"
	nsiso_assert_eq "... with $MAIN holders" "$MAIN" "$(nsiso_holders_of "$MAIN_USER" | wc -l)"
else
	nsiso_fail "$MAIN sessions of one user open at once" "$NSISO_SEEN"
fi
for ((w = 0; w < MAIN; w++)); do
	echo go 1<>"$D/w$w.bar"
done

# The first round, timed; then the number of cycles that fits the budget.
round0_done() { echo "$(wc -l <"$D/round0") of $WORKERS workers done"; [ "$(wc -l <"$D/round0")" -ge "$WORKERS" ]; }
round0_ok=1
nsiso_wait_within $(((OPEN_BOUND_US + TEARDOWN_BOUND_US) / 1000000 + 60)) round0_done || round0_ok=0
round0_us=$(($(_nsiso_now_us) - started))
rest=$((WORKERS * BUDGET_S * 1000000 / round0_us))
cycles=$((WORKERS + rest))
[ "$cycles" -le "$MAX_CYCLES" ] || cycles=$MAX_CYCLES
[ "$cycles" -ge $((2 * WORKERS)) ] || cycles=$((2 * WORKERS))
cycles=$((cycles - cycles % KILL_EVERY))
[ "$cycles" -ge "$WORKERS" ] || cycles=$((WORKERS + KILL_EVERY - WORKERS % KILL_EVERY))
[ "$round0_ok" = 1 ] || cycles=$WORKERS
nsiso_assert_eq "every worker finished its first cycle" 1 "$round0_ok"
printf 'churn: first round %d cycles in %d.%03d s (%d.%02d cycles/s); %d cycles for a budget of %d s (at most %d)\n' \
	"$WORKERS" $((round0_us / 1000000)) $((round0_us / 1000 % 1000)) \
	$((WORKERS * 1000000 / round0_us)) $((WORKERS * 100000000 / round0_us % 100)) \
	"$cycles" "$BUDGET_S" "$MAX_CYCLES" >"$T/sizing"
_nsiso_info "$(cat "$T/sizing")"
more=$((cycles - WORKERS))
for ((w = 0; w < WORKERS; w++)); do
	echo $((more / WORKERS + (w < more % WORKERS ? 1 : 0))) 1<>"$D/w$w.more"
done
died=()
for ((w = 0; w < WORKERS; w++)); do
	wait "${pids[w]}" || died+=("w$w (status $?)")
done
nsiso_assert_eq "every worker ran to its end" "" "${died[*]}"
elapsed=$(($(_nsiso_now_us) - started))
rest_us=$((elapsed - round0_us))
[ "$rest_us" -gt 0 ] || rest_us=1
CYCLES=$cycles

# ---- results --------------------------------------------------------------

cat "$D"/w*.cycles >"$D/cycles" 2>/dev/null
cat "$D"/w*.samples >"$D/samples" 2>/dev/null
cat "$D"/w*.fail >"$D/fail" 2>/dev/null
if [ -s "$D/fail" ]; then
	_nsiso_info "problems (first 20):"
	head -n 20 "$D/fail" >&2
	_nsiso_info "what pam_nsiso and nsiso-helper logged at err or worse (first 20):"
	grep -E '^[a-z]+\.(err|crit|alert|emerg) .*(pam_nsiso|nsiso-helper)' "$T/syslog.log" | head -n 20 >&2
fi
nsiso_assert_eq "no worker saw a problem" 0 "$(wc -l <"$D/fail")"
nsiso_assert_eq "all $CYCLES cycles completed" "$CYCLES" "$(wc -l <"$D/cycles")"
nsiso_assert_eq "a tenth of the PAM applications SIGKILLed between open and close" \
	$(((CYCLES + KILL_EVERY - 8) / KILL_EVERY)) "$(awk '$3 == 1' "$D/cycles" | wc -l)"

# Every session, from inside: its user's cgroups, its user's limits, its own
# PID namespace.  (via user tag user memcg limit pidscg pidsmax pidns ...)
for u in "$MAIN_USER" "${OTHER_USERS[@]}"; do
	printf '%s %s %s %s\n' "$u" "$(id -u "$u")" "${WANT_MEM[$u]}" "${WANT_TASKS[$u]}"
done >"$D/want"
awk -v parent="$PARENT" -v hostns="$HOST_PIDNS" '
	FNR == NR { uid[$1] = $2; mem[$1] = $3; tasks[$1] = $4; next }
	{
		cg = "/" parent "/user-" uid[$2]
		if ($4 != $2) bad["user"]++
		if ($5 != cg) bad["memory cgroup"]++
		if ($6 != mem[$2]) bad["memory limit"]++
		if ($7 != cg) bad["pids cgroup"]++
		if ($8 != tasks[$2]) bad["pids.max"]++
		if ($9 == hostns || $9 !~ /^pid:/) bad["pid namespace"]++
		n++
	}
	END { for (k in bad) print "wrong " k ": " bad[k]; print "samples " n + 0 }
' "$D/want" "$D/samples" >"$D/sample-check"
nsiso_assert_eq "every session was in its user's cgroups with its limits, in its own PID namespace" \
	"samples $CYCLES" "$(cat "$D/sample-check")"
nsiso_assert_eq "sessions sampled over ssh" \
	"$(awk '$2 == "ssh"' "$D/cycles" | wc -l)" "$(awk '$1 == "ssh"' "$D/samples" | wc -l)"

# The end state, once the last teardown is over.
our_holders() {
	local f pid
	local -a comms
	mapfile -t comms < <(grep -l -x nsiso-holder /proc/[0-9]*/comm 2>/dev/null)
	[ ${#comms[@]} -gt 0 ] || return 0
	for f in $(grep -l -a -F -e "$PARENT" "${comms[@]/%comm/cmdline}" 2>/dev/null); do
		pid=${f#/proc/} pid=${pid%/cmdline}
		_nsiso_alive "$pid" || continue
		tr '\0' ' ' <"$f" 2>/dev/null | grep -q -- "--cgroup-parent $PARENT " && echo "$pid"
	done
}
our_leaves() {
	compgen -G "$NSISO_CG_V1/memory/$PARENT/user-*"
	compgen -G "$NSISO_CG_V1/pids/$PARENT/user-*"
}
our_processes() {
	local u
	for u in "$MAIN_USER" "${OTHER_USERS[@]}"; do
		_nsiso_live_pids_of_user "$u"
	done
}
all_clean() {
	[ -z "$(our_holders)" ] && [ -z "$(our_leaves)" ] && [ -z "$(nsiso_records "$RUN")" ] &&
		[ -z "$(our_processes)" ]
}
nsiso_wait_for all_clean
nsiso_assert_eq "end: no holder left" "" "$(our_holders)"
nsiso_assert_eq "end: no cgroup left under $PARENT" "" "$(our_leaves)"
nsiso_assert_eq "end: no session record left" "" "$(nsiso_records "$RUN")"
nsiso_assert_eq "end: no process of the test users left" "" "$(our_processes)"

# Figures (reported, not asserted).
stats() { # label, then values on stdin (microseconds)
	sort -n | awk -v label="$1" '{ v[NR] = $1 }
		END {
			if (NR == 0) { printf "%-28s n=0\n", label; exit }
			p = int((NR * 99 + 99) / 100); if (p > NR) p = NR
			printf "%-28s n=%d median=%.1fms p99=%.1fms max=%.1fms\n", label, NR,
				v[int((NR + 1) / 2)] / 1000, v[p] / 1000, v[NR] / 1000
		}'
}
{
	cat "$T/sizing"
	printf 'churn: %d cycles (%d pamtester, %d ssh), %d SIGKILLed, %d workers (%d of one user), %.1f s; after the first round %d cycles in %.1f s (%d.%02d cycles/s)\n' \
		"$(wc -l <"$D/cycles")" "$(awk '$2 == "pam"' "$D/cycles" | wc -l)" \
		"$(awk '$2 == "ssh"' "$D/cycles" | wc -l)" "$(awk '$3 == 1' "$D/cycles" | wc -l)" \
		"$WORKERS" "$MAIN" "$((elapsed / 1000))e-3" "$((CYCLES - WORKERS))" "$((rest_us / 1000))e-3" \
		$(((CYCLES - WORKERS) * 1000000 / rest_us)) $(((CYCLES - WORKERS) * 100000000 / rest_us % 100))
	awk '$2 == "pam" { print $4 }' "$D/cycles" | stats "open (pamtester, to probe)"
	awk '$2 == "ssh" { print $4 }' "$D/cycles" | stats "open (ssh, to shell)"
	awk '$3 == 0 && $2 == "pam" { print $5 }' "$D/cycles" | stats "teardown after close (pam)"
	awk '$3 == 0 && $2 == "ssh" { print $5 }' "$D/cycles" | stats "teardown after logout (ssh)"
	awk '$3 == 1 && $2 == "pam" { print $5 }' "$D/cycles" | stats "teardown, pamtester killed"
	awk '$3 == 1 && $2 == "ssh" { print $5 }' "$D/cycles" | stats "teardown, monitor killed"
	awk '{ print $5 }' "$D/cycles" | stats "teardown, all"
	printf 'leftovers: holders %d, cgroups %d, records %d, processes %d\n' \
		"$(our_holders | wc -l)" "$(our_leaves | wc -l)" "$(nsiso_records "$RUN" | wc -l)" \
		"$(our_processes | wc -l)"
	for p in $(our_processes); do ps -o pid,ppid,user,stat,lstart,args -p "$p" | tail -n +2; done
} | tee "$T/figures" | sed 's/^/# /'
[ -n "${NSISO_CHURN_FIGURES:-}" ] && cp "$T/figures" "$NSISO_CHURN_FIGURES"
exit 0
