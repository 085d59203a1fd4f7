#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# bench/run.sh - pam_nsiso benchmarks, run by `make bench` as root.
#
#   B1  pamtester open_session+close_session: floor (pam_permit), pam_nsiso
#       full isolation, pam_nsiso cgroup only, and peers (pam_cgroup,
#       unshare(1), bwrap(1)); medians of interleaved runs, ratio to the floor
#   B2  memory per idle session: N sessions held open; Pss of the holders (of
#       the reapers for cgroup only, which have no holder) and the cgroup
#       charge of what nsiso keeps alive
#   B3  open latency with 0/100/500/1000 live sessions (growth: the median of
#       pairs of 0 and 1000, each measured right after the other); host
#       mount+umount cost with 0 and 1000 sessions, propagation slave and
#       private
#   B4  SSH key login through one real sshd on 127.0.0.1 with and without
#       the module (its PAM file switched before each login; back to back
#       and 100 ms apart), a second sshd beside it as the control;
#       pam_open_session / pam_close_session latency by libpam; the
#       teardown after a user's only session is closed
#
# Prints a table and writes bench/results.json.  Uses the harness of the
# integration tests (tests/lib.sh): unique users, PAM services and sshd, and
# an EXIT trap that removes all of it - every held session, holder and
# cgroup (nsiso-bench-XXXXXX) - also when a step fails or on Ctrl-C.
#
# Environment: NSISO_BENCH_QUICK=1 (a smoke run with small counts),
# NSISO_BENCH_RUNS (B1 runs, default 500), NSISO_BENCH_OUT (results path),
# NSISO_BENCH_BASELINE=REV (B1, and B4's pam_open_session and
# pam_close_session, also time the module and helper of git revision REV,
# built in the private dir, interleaved with this tree's: before and after
# in one run).
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
NSBENCH=$BENCH_DIR/build/nsbench
RESULTS=${NSISO_BENCH_OUT:-$BENCH_DIR/results.json}
export NSISO_TEST_NAME=bench NSISO_NO_SUMMARY=1
# shellcheck source=../tests/lib.sh
. "$BENCH_DIR/../tests/lib.sh"

if [ "${NSISO_BENCH_QUICK:-0}" = 1 ]; then
	B1_RUNS=${NSISO_BENCH_RUNS:-50} B1_WARM=5 B2_N=20 B3_LEVELS="0 10 50 100" B3_RUNS=30 B3_NUSERS=10 B3_PAIRS=1
	MOUNT_N=50 B4_RUNS=20 B4_WARM=2 PAM_RUNS=50 B1_CPU_RUNS=20 IDLE_RUNS=10 TD_RUNS=10
	B4_IDLE_RUNS=10
else
	B1_RUNS=${NSISO_BENCH_RUNS:-500} B1_WARM=20 B2_N=200 B3_LEVELS="0 100 500 1000" B3_NUSERS=100 B3_PAIRS=2
	B3_RUNS=200 MOUNT_N=200 B4_RUNS=200 B4_WARM=10 PAM_RUNS=300 B1_CPU_RUNS=100 IDLE_RUNS=40
	TD_RUNS=100 B4_IDLE_RUNS=100
fi
B3_MAX=${B3_LEVELS##* }

[ "$(id -u)" = 0 ] || { echo "bench: needs root (users, cgroups, sshd)" >&2; exit 2; }
[ -x "$NSBENCH" ] && [ -f "$NSISO_MODULE" ] && [ -x "$NSISO_HELPER" ] ||
	{ echo "bench: build first (make bench)" >&2; exit 2; }

# ---------------------------------------------------------------------------
# Packages: only what is missing, only with apt-get.
# ---------------------------------------------------------------------------
bench_deps() {
	local p missing=()
	for p in bubblewrap libpam-cgroup util-linux pamtester; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "bench: installing ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null 2>&1 ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" >/dev/null; } ||
		echo "bench: could not install ${missing[*]}; those peers are skipped" >&2
}

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------
START_S=$SECONDS
say() { printf '%s\n' "$*" >&2; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }

# Parse nsbench's "LABEL n median p10 p90 mean min max" lines into ST_*.
declare -A ST_N ST_MED ST_P10 ST_P90 ST_MEAN
parse_stats() {
	local label n med p10 p90 mean _min _max
	while IFS=$'\t' read -r label n med p10 p90 mean _min _max; do
		[ -n "${mean:-}" ] || continue
		ST_N[$label]=$n ST_MED[$label]=$med ST_P10[$label]=$p10
		ST_P90[$label]=$p90 ST_MEAN[$label]=$mean
	done
}
run_stats() { # CMD...: run an nsbench timer, parse its output, fail loudly
	local out
	out=$("$@") || nsiso_die "timer failed: $*"
	parse_stats <<<"$out"
}

# cgroup layout: v1 (legacy or hybrid) or v2 (unified).
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
	CG_MODE="v2 (unified)" CG_V2=1 MEMCG=/sys/fs/cgroup
	CG_HIERS=(/sys/fs/cgroup)
else
	[ -d /sys/fs/cgroup/unified ] && CG_MODE="v1 (hybrid)" || CG_MODE="v1 (legacy)"
	CG_V2=0 MEMCG=/sys/fs/cgroup/memory
	CG_HIERS=(/sys/fs/cgroup/memory /sys/fs/cgroup/pids)
	[ -d /sys/fs/cgroup/cpuacct ] && CG_HIERS+=(/sys/fs/cgroup/cpuacct)
fi
cg_usage() { # DIR: bytes charged, 0 if absent
	local f=$1/memory.usage_in_bytes v=0
	[ "$CG_V2" = 1 ] && f=$1/memory.current
	[ -r "$f" ] && read -r v <"$f"
	printf '%s\n' "$v"
}
cg_kernel() { # DIR: kernel part of the charge (slab, stacks, page tables)
	local v=0 key val
	if [ "$CG_V2" = 1 ]; then
		while read -r key val; do [ "$key" = kernel ] && v=$val; done <"$1/memory.stat" 2>/dev/null
	else
		[ -r "$1/memory.kmem.usage_in_bytes" ] && read -r v <"$1/memory.kmem.usage_in_bytes"
	fi
	printf '%s\n' "$v"
}
cg_mkdir() { # REL: a memory cgroup of ours under the bench parent
	mkdir -p "$MEMCG/$1" || nsiso_die "cannot create cgroup $1"
	[ "$CG_V2" = 1 ] && echo +memory >"$MEMCG/${1%/*}/cgroup.subtree_control"
	return 0
}

# CPU time, immune to other load on the machine: the process under test and
# all it starts (PAM applications, helpers, holders, sshd monitors) run in a
# CPU-accounting group below $PARENT.  The module moves PAM applications into
# the user's cgroup, which on v2 is also the CPU one, but still below
# $PARENT: so a run's CPU is the growth of all of $PARENT while only it runs.
CPU_ROOT=""
if [ "$CG_V2" = 1 ]; then CPU_ROOT=$MEMCG; elif [ -d /sys/fs/cgroup/cpuacct ]; then CPU_ROOT=/sys/fs/cgroup/cpuacct; fi
cpu_join() { # NAME PID
	[ -n "$CPU_ROOT" ] || return 0
	mkdir -p "$CPU_ROOT/$PARENT/$1" && echo "$2" >"$CPU_ROOT/$PARENT/$1/cgroup.procs"
}
cpu_used_us() { # REL
	if [ -z "$CPU_ROOT" ] || [ ! -d "$CPU_ROOT/$1" ]; then echo 0
	elif [ "$CG_V2" = 1 ]; then awk '$1 == "usage_usec" { print $2 }' "$CPU_ROOT/$1/cpu.stat"
	else awk '{ printf "%d\n", $1 / 1000 }' "$CPU_ROOT/$1/cpuacct.usage"; fi
}

# Remove our cgroup parents (this tree's and the baseline's) in every
# hierarchy, deepest first, once empty.
remove_bench_cgroups() {
	local dir
	for dir in "${CG_HIERS[@]/%//$PARENT}" "${CG_HIERS[@]/%//$PARENT-base}"; do
		[ -d "$dir" ] || continue
		nsiso_wait_until 10 _bench_cg_empty "$dir" || say "bench: $dir still has tasks"
		find "$dir" -depth -mindepth 0 -type d -exec rmdir {} + 2>/dev/null
		[ -d "$dir" ] && say "bench: could not remove $dir"
	done
	return 0
}
_bench_cg_empty() {
	local f
	while IFS= read -r f; do
		[ -s "$f" ] && return 1
	done < <(find "$1" -name cgroup.procs)
	return 0
}

# The holders of USERs' sessions, read with builtins only (there may be
# thousands): by the group they live in, the user's below $PARENT (a
# holder's command line names no user).  A cgroup-only session has no
# holder: its reaper holds it, and with HELD_BY=nsiso-reaper those count.
HELD_BY=nsiso-holder
# held_by NAME: the process that holds a session of B2's configuration NAME.
held_by() { case $1 in cgonly*) echo nsiso-reaper ;; *) echo nsiso-holder ;; esac; }
holders_of() { # USER...
	local f pid comm state line u uid
	local -A want=()
	for u in "$@"; do
		uid=$(id -u "$u" 2>/dev/null) && want[$uid]=1
	done
	for f in /proc/[0-9]*/comm; do
		{ read -r comm <"$f"; } 2>/dev/null || continue
		[ "$comm" = "$HELD_BY" ] || continue
		pid=${f#/proc/} pid=${pid%/comm}
		{ read -r line <"/proc/$pid/stat"; } 2>/dev/null || continue
		state=${line##*) } state=${state%% *}
		[ "$state" = Z ] && continue
		while read -r line; do
			[[ $line =~ :/$PARENT/user-([0-9]+)(/|$) ]] || continue
			[ -n "${want[${BASH_REMATCH[1]}]:-}" ] && { printf '%s\n' "$pid"; break; }
		done <"/proc/$pid/cgroup" 2>/dev/null
	done
}
count_holders() { holders_of "$@" | wc -l; }
no_holders() { [ "$(count_holders "$@")" -eq 0 ]; }

# Cleanup: end every holder of our users that is still there (TERM, then
# KILL: as PID 1 of its namespace that ends the whole session).
kill_holders() {
	local pid procs=()
	for pid in $(holders_of "$@"); do
		procs+=("$pid:$(_nsiso_starttime "$pid")")
	done
	[ ${#procs[@]} -eq 0 ] || _nsiso_terminate "${procs[@]}"
	return 0
}
B3_USERS=()
kill_holders_of_bench() { kill_holders "$BUSER" "$HUSER" ${B3_USERS[@]+"${B3_USERS[@]}"}; }

# Sum a field (kB) of smaps_rollup over PIDs.
sum_smaps() { # FIELD PID...
	local field=$1 pid key val _unit sum=0
	shift
	for pid in "$@"; do
		while read -r key val _unit; do
			[ "$key" = "$field:" ] && sum=$((sum + val))
		done <"/proc/$pid/smaps_rollup" 2>/dev/null
	done
	printf '%s\n' "$sum"
}

# Sessions held open by `nsbench hold` in the background.
HOLD_PID=""
hold_start() { # NAME SERVICE N CGROUP.PROCS|"" USER...: N sessions, users in turn
	local name=$1 svc=$2 n=$3 cgprocs=$4 start
	local -a g=()
	shift 4
	[ -n "$cgprocs" ] && g=(-g "$cgprocs")
	"$NSBENCH" hold "${g[@]}" "$svc" "$n" "$@" >"$T/hold-$name.out" 2>&1 </dev/null &
	HOLD_PID=$!
	start=$(_nsiso_starttime "$HOLD_PID")
	nsiso_on_exit _nsiso_terminate "$HOLD_PID:$start"
	printf '%s:%s\n' "$HOLD_PID" "$start" >"$T/hold-$name.pid"
	nsiso_wait_until 600 _hold_settled "$name" "$HOLD_PID" ||
		nsiso_die "hold $name: no answer"
	grep -q '^ready ' "$T/hold-$name.out" ||
		nsiso_die "hold $name failed: $(tail -n 3 "$T/hold-$name.out")"
}
_hold_settled() { grep -q '^ready ' "$T/hold-$1.out" || ! _nsiso_alive "$2"; }
hold_stop() { # NAME...: release, wait for the drivers to exit
	local name p
	for name in "$@"; do
		p=$(<"$T/hold-$name.pid")
		_nsiso_is_ours "${p%%:*}" "${p#*:}" && kill -TERM "${p%%:*}"
	done
	for name in "$@"; do
		p=$(<"$T/hold-$name.pid")
		nsiso_wait_until 120 _nsiso_not_alive "${p%%:*}" || say "bench: hold $name slow to stop"
		wait "${p%%:*}" 2>/dev/null || say "bench: hold $name: a session did not close cleanly"
	done
}

# ---------------------------------------------------------------------------
# Results: a table for people, JSON for tools.
# ---------------------------------------------------------------------------
TABLE=()
JSON_B1=() JSON_B1_SPLIT=() JSON_B2=() JSON_B3=() JSON_B4=()
VERDICTS=()
verdict() { # NAME VALUE OP LIMIT -> "met"/"MISSED", recorded
	local ok
	ok=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { print ((op == "<=") ? (v <= l) : (v >= l)) }')
	if [ "$ok" = 1 ]; then printf 'met'; else printf 'MISSED'; fi
}
ms() { calc "$1 / 1000" "${2:-2}"; }

# ===========================================================================
nsiso_setup
bench_deps

SFX=$(nsiso_unique)
PARENT=nsiso-bench-$SFX
nsiso_on_exit remove_bench_cgroups
BUSER=$(nsiso_make_user "nsiso-bench-$SFX") || nsiso_die "cannot create user"
HUSER=$(nsiso_make_user "nsiso-bhold-$SFX") || nsiso_die "cannot create user"
nsiso_on_exit kill_holders_of_bench
BUID=$(id -u "$BUSER") HUID=$(id -u "$HUSER")

MACHINE=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
CORES=$(nproc)
MEM_GIB=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
KERNEL=$(uname -r)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
REV=${NSISO_BENCH_REV:-$(git -C "$NSISO_TOP" describe --always --dirty 2>/dev/null || echo unknown)}
say "bench: $MACHINE, $CORES cores, $MEM_GIB GiB, kernel $KERNEL, cgroup $CG_MODE, rev $REV"

# --- configurations ---------------------------------------------------------
# $T/NAME-base.conf is the same for the baseline's rows, under a cgroup
# parent of their own: the baseline has a run directory of its own, so its
# cgroup lock is not this tree's, and in one parent a baseline reaper could
# remove the user's group while this tree's helper joins it (a login of a
# row failed so, about one in 6000, in two runs).
conf() { # NAME EXTRA-LINES: $T/NAME.conf for both bench users
	printf '* cgroup_parent %s\n%s\n' "$PARENT" "$2" >"$T/$1.conf"
	printf '* cgroup_parent %s-base\n%s\n' "$PARENT" "$2" >"$T/$1-base.conf"
	chmod 0644 "$T/$1.conf" "$T/$1-base.conf"
}
# The run directories (this tree's and the baseline's) live on a tmpfs of
# the bench's own, as the default /run/nsiso does on Debian and systemd
# hosts, whose /run is a tmpfs.  Where /run is a disk file system, as on
# this project's test guests (one ext4 without a journal for / and /run),
# every file a session makes there (its record, its user's FIFO and quota
# socket) costs the allocator a scan past every inode freed in the last
# minute or so (ext4's recently_deleted), which grows with the login rate:
# 0.5 ms a B1 run in 300 runs of each in turns (docs/performance.md).
RUN_FS_HERE=$(findmnt -n -o FSTYPE --target "$T")
RUN_FS=$T/rundirs
mkdir -m 0700 "$RUN_FS" && mount -t tmpfs -o mode=0700,size=64m nsiso-bench "$RUN_FS" ||
	nsiso_die "cannot mount the run directories' tmpfs on $RUN_FS"
# Lazily: a held session's reaper may still be at work in it.
nsiso_on_exit umount -l "$RUN_FS"
RUN_DIR=$RUN_FS/run BASE_RUN_DIR=$RUN_FS/run-base
# broker=: the exec rows name a socket nobody listens on (what a host
# without a broker pays: one refused connect); the broker rows the bench's
# own broker's.
module_line() { printf 'session required %s conf=%s/%s.conf helper=%s run_dir=%s broker=%s\n' \
	"$NSISO_MODULE" "$T" "$1" "$NSISO_HELPER" "$RUN_DIR" "${2:-$T/no-broker.sock}"; }
FULL_ITEMS="* isolate uts,ipc,mnt,pid
* hostname bench-%U
* memory 25%"
conf full "$FULL_ITEMS"
conf private "$FULL_ITEMS
* propagation private"
conf cgonly "* isolate none
* memory 25%"
SVC_FLOOR=$(nsiso_make_pam_service "session required pam_permit.so")
SVC_FULL=$(nsiso_make_pam_service "session required pam_permit.so
$(module_line full)")
SVC_PRIV=$(nsiso_make_pam_service "session required pam_permit.so
$(module_line private)")
SVC_CG=$(nsiso_make_pam_service "session required pam_permit.so
$(module_line cgonly)")
# One broker per configuration, as on a host configured so: spares make
# holders for the namespaces most logins ask for.
BROKER_SOCK=$T/broker/broker.sock
BROKER_CG_SOCK=$T/broker-cg/broker.sock
SVC_FULL_BRK=$(nsiso_make_pam_service "session required pam_permit.so
$(module_line full "$BROKER_SOCK")")
SVC_CG_BRK=$(nsiso_make_pam_service "session required pam_permit.so
$(module_line cgonly "$BROKER_CG_SOCK")")

# Before and after in one run: REV's module and helper, on their own run
# dir, with the same confs and users.
BASE_REV=${NSISO_BENCH_BASELINE:-}
if [ -n "$BASE_REV" ]; then
	BASE=$T/baseline
	mkdir -p "$BASE"
	git -C "$NSISO_TOP" archive "$BASE_REV" | tar -x -C "$BASE" ||
		nsiso_die "NSISO_BENCH_BASELINE=$BASE_REV: cannot export it from $NSISO_TOP"
	say "bench: building the baseline $BASE_REV"
	make -C "$BASE" all >"$T/baseline-build.log" 2>&1 ||
		nsiso_die "NSISO_BENCH_BASELINE=$BASE_REV: build failed (see $T/baseline-build.log)"
	base_line() { printf 'session required %s conf=%s/%s-base.conf helper=%s run_dir=%s\n' \
		"$BASE/pam_nsiso/pam_nsiso.so" "$T" "$1" "$BASE/helper/nsiso-helper" "$BASE_RUN_DIR"; }
	SVC_FULL_BASE=$(nsiso_make_pam_service "session required pam_permit.so
$(base_line full)")
	SVC_CG_BASE=$(nsiso_make_pam_service "session required pam_permit.so
$(base_line cgonly)")
	for svc in "$SVC_FULL_BASE" "$SVC_CG_BASE"; do
		pamtester "$svc" "$BUSER" open_session close_session >/dev/null ||
			nsiso_die "baseline $BASE_REV: a session of $svc fails"
	done
fi

# Sanity: each configuration does what its name says, before timing it.
# The bench's broker, started in the group the B1 CPU pass counts, so its
# own CPU (accept, fork) is counted too (idle, it uses none), and in a
# memory group of its own ($PARENT/brk), whose growth B2 counts: what its
# spares make ahead is charged there first.
[ -n "$CPU_ROOT" ] && mkdir -p "$CPU_ROOT/$PARENT/cpu-b1"
cg_mkdir "$PARENT/brk"
start_bench_broker() { # HELPER SOCKET: prints the broker's PID
	( [ -z "$CPU_ROOT" ] || echo "$BASHPID" >"$CPU_ROOT/$PARENT/cpu-b1/cgroup.procs"
		echo "$BASHPID" >"$MEMCG/$PARENT/brk/cgroup.procs" &&
		exec "$1" broker --socket "$2" ) </dev/null >/dev/null 2>&1 &
	echo $!
}
BROKER_PID=$(start_bench_broker "$NSISO_HELPER" "$BROKER_SOCK")
BROKER_CG_PID=$(start_bench_broker "$NSISO_HELPER" "$BROKER_CG_SOCK")
BASE_BROKER_PID="" BASE_BROKER_CG_PID=""
# Reaped by init once killed (started from a command substitution).
stop_bench_broker() {
	kill -9 "$BROKER_PID" "$BROKER_CG_PID" ${BASE_BROKER_PID:+"$BASE_BROKER_PID"} \
		${BASE_BROKER_CG_PID:+"$BASE_BROKER_CG_PID"} 2>/dev/null
	return 0
}
nsiso_on_exit stop_bench_broker
nsiso_wait_until 10 test -S "$BROKER_SOCK" || nsiso_die "the bench's broker did not listen"
nsiso_wait_until 10 test -S "$BROKER_CG_SOCK" || nsiso_die "the bench's second broker did not listen"
# The baseline's own brokers (if REV has one), on their own sockets: before
# and after via the broker too.  One per configuration, as for this tree:
# a broker's spares make holders for the namespaces most of its last logins
# asked for, so one broker serving both rows in turns made a holder at the
# login for about every other one (until rev 7b076b9 the baseline had one,
# and its rows paid that: 1.3-1.4 ms of B1 in the runs of b341c64 and
# 7b076b9).
if [ -n "$BASE_REV" ] && grep -q "broker" <("$BASE/helper/nsiso-helper" --help 2>&1); then
	BASE_SOCK=$T/broker-base/broker.sock
	BASE_CG_SOCK=$T/broker-base-cg/broker.sock
	BASE_BROKER_PID=$(start_bench_broker "$BASE/helper/nsiso-helper" "$BASE_SOCK")
	BASE_BROKER_CG_PID=$(start_bench_broker "$BASE/helper/nsiso-helper" "$BASE_CG_SOCK")
	nsiso_wait_until 10 test -S "$BASE_SOCK" || nsiso_die "the baseline's broker did not listen"
	nsiso_wait_until 10 test -S "$BASE_CG_SOCK" ||
		nsiso_die "the baseline's second broker did not listen"
	base_broker_line() { printf '%s broker=%s\n' "$(base_line "$1")" "$2"; }
	SVC_FULL_BRK_BASE=$(nsiso_make_pam_service "session required pam_permit.so
$(base_broker_line full "$BASE_SOCK")")
	SVC_CG_BRK_BASE=$(nsiso_make_pam_service "session required pam_permit.so
$(base_broker_line cgonly "$BASE_CG_SOCK")")
	for svc in "$SVC_FULL_BRK_BASE" "$SVC_CG_BRK_BASE"; do
		pamtester "$svc" "$BUSER" open_session close_session >/dev/null ||
			nsiso_die "baseline $BASE_REV: a session via its broker fails ($svc)"
	done
fi
pamtester "$SVC_FULL_BRK" "$BUSER" open_session close_session >/dev/null ||
	nsiso_die "sanity: pam_nsiso full via the broker fails for $BUSER"
pamtester "$SVC_FULL" "$BUSER" open_session close_session >/dev/null ||
	nsiso_die "full isolation session fails"
pamtester "$SVC_CG" "$BUSER" open_session close_session >/dev/null ||
	nsiso_die "cgroup-only session fails"
hold_start sanity "$SVC_FULL" 1 "" "$HUSER"
h=$(holders_of "$HUSER")
[ -n "$h" ] && [ "$(readlink "/proc/$h/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] &&
	[ "$(readlink "/proc/$h/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] &&
	[ -d "$MEMCG/$PARENT/user-$HUID" ] || nsiso_die "full isolation: no holder in new namespaces or no cgroup"
hold_stop sanity
nsiso_wait_until 10 no_holders "$HUSER" || nsiso_die "holder did not end"

# pam_cgroup (libcgroup's PAM module) needs a rule in the global
# /etc/cgrules.conf and an existing group: only if no cgrules.conf exists.
PCG_NOTE=""
PCG_MOD=/lib/$(gcc -print-multiarch 2>/dev/null)/security/pam_cgroup.so
remove_cgrules() { [ -f /etc/cgrules.conf ] && grep -q "^$BUSER " /etc/cgrules.conf && rm -f /etc/cgrules.conf; return 0; }
if [ ! -f "$PCG_MOD" ]; then
	PCG_NOTE="pam_cgroup.so not installed (libpam-cgroup)"
elif [ -e /etc/cgrules.conf ]; then
	PCG_NOTE="skipped: /etc/cgrules.conf exists and is not ours to change"
else
	cg_mkdir "$PARENT/pcg"
	echo $((1 << 30)) >"$MEMCG/$PARENT/pcg/memory.$([ "$CG_V2" = 1 ] && echo max || echo limit_in_bytes)"
	nsiso_on_exit remove_cgrules
	printf '%s memory %s/pcg\n' "$BUSER" "$PARENT" >/etc/cgrules.conf
	SVC_PCG=$(nsiso_make_pam_service "session required pam_permit.so
session required pam_cgroup.so")
	pamtester "$SVC_PCG" "$BUSER" open_session close_session >/dev/null ||
		PCG_NOTE="pam_cgroup session fails"
fi

# ===========================================================================
# B1: pamtester open_session close_session
# ===========================================================================
say "bench: B1 ($B1_RUNS runs + $B1_WARM warm-up per configuration, interleaved)"
B1_CMDS=(floor pamtester "$SVC_FLOOR" "$BUSER" open_session close_session :::
	full pamtester "$SVC_FULL" "$BUSER" open_session close_session :::
	cgonly pamtester "$SVC_CG" "$BUSER" open_session close_session :::
	full_broker pamtester "$SVC_FULL_BRK" "$BUSER" open_session close_session :::
	cgonly_broker pamtester "$SVC_CG_BRK" "$BUSER" open_session close_session :::
	unshare unshare --uts --ipc --mount --pid --fork --mount-proc true :::)
[ -z "$PCG_NOTE" ] && B1_CMDS+=(pam_cgroup pamtester "$SVC_PCG" "$BUSER" open_session close_session :::)
[ -n "$BASE_REV" ] && B1_CMDS+=(
	full_base pamtester "$SVC_FULL_BASE" "$BUSER" open_session close_session :::
	cgonly_base pamtester "$SVC_CG_BASE" "$BUSER" open_session close_session :::)
[ -n "$BASE_BROKER_PID" ] && B1_CMDS+=(
	full_broker_base pamtester "$SVC_FULL_BRK_BASE" "$BUSER" open_session close_session :::
	cgonly_broker_base pamtester "$SVC_CG_BRK_BASE" "$BUSER" open_session close_session :::)
HAVE_BWRAP=0
if command -v bwrap >/dev/null && bwrap --dev-bind / / --unshare-uts --unshare-ipc --unshare-pid \
	--proc /proc --hostname bench true 2>/dev/null; then
	HAVE_BWRAP=1
	B1_CMDS+=(bwrap bwrap --dev-bind / / --unshare-uts --unshare-ipc --unshare-pid --proc /proc
		--hostname bench true :::)
fi
run_stats "$NSBENCH" exec -n "$B1_RUNS" -w "$B1_WARM" "${B1_CMDS[@]}"
FLOOR=${ST_MED[floor]}
# CPU per run, one configuration at a time (the group must hold one
# configuration only), holders' teardown included; in B1_CPU_ROUNDS rounds
# over all configurations, so that the machine's drift (its speed moves by
# a third within minutes here) falls on every row alike.  B1_CPU_RUNS is a
# multiple of the rounds in both settings above.
B1_CPU_ROUNDS=4
declare -A B1_CPU B1_CPU_SUM
# Beside each block, the CPU of every process that ends meanwhile, from the
# kernel's exit records (nsbench exits: taskstats), summed by role: where a
# login's CPU goes.  The block ends once its sessions' reapers have ended
# too (they outlive the holders by their clean-up), so that none of it falls
# into the next block.  Where that cannot be told (other sessions' reapers
# run on the host), or the kernel has no taskstats, or a record was lost, the
# split is left out (B1_SPLIT_OK=0), never the bench.  A spare counts where
# it ends, with the CPU of its making: in the block of the login it served.
declare -A B1_SPLIT_SUM
B1_SPLIT_OK=1
B1_SPLIT_ROLES="pamtester nsiso-helper nsiso-holder nsiso-reaper"
no_session_reapers() { ! pgrep -x nsiso-reaper >/dev/null; }
b1_cpu_block() { # NAME RUNS CMD...
	local name=$1 runs=$2 start used exits listener comm n us role
	shift 2
	exits=$(mktemp "$T/exits.XXXXXX")
	"$NSBENCH" exits >"$exits" &
	listener=$!
	nsiso_wait_until 10 grep -q listening "$exits" || B1_SPLIT_OK=0
	start=$(cpu_used_us "$PARENT")
	(echo "$BASHPID" >"$CPU_ROOT/$PARENT/cpu-b1/cgroup.procs" &&
		exec "$NSBENCH" exec -n "$runs" -w 0 "$name" "$@" :::) >/dev/null ||
		nsiso_die "B1 CPU pass $name failed"
	nsiso_wait_until 10 no_holders "$BUSER"
	[ "$B1_SPLIT_OK" = 1 ] && ! nsiso_wait_until 10 no_session_reapers && B1_SPLIT_OK=0
	used=$(($(cpu_used_us "$PARENT") - start))
	B1_CPU_SUM[$name]=$((${B1_CPU_SUM[$name]:-0} + used))
	{ kill -TERM "$listener" && wait "$listener"; } 2>/dev/null || B1_SPLIT_OK=0
	[ "$(awk -F'\t' '$1 == "lost" { print $2 }' "$exits")" = 0 ] || B1_SPLIT_OK=0
	while IFS=$'\t' read -r comm n us; do
		case $comm in
		pamtester | nsiso-helper) role=$comm ;;
		nsiso-holder | nsiso-idle-hold) role=nsiso-holder ;;
		nsiso-reaper | nsiso-idle-reap) role=nsiso-reaper ;;
		*) continue ;;
		esac
		B1_SPLIT_SUM[$name.$role]=$((${B1_SPLIT_SUM[$name.$role]:-0} + us))
		used=$((used - us))
	done < <(grep -v -e '^listening$' -e '^lost' "$exits")
	# The rest of the group's CPU: the broker, nsbench, what ended outside.
	B1_SPLIT_SUM[$name.rest]=$((${B1_SPLIT_SUM[$name.rest]:-0} + used))
	rm -f "$exits"
}
b1_cpu_pass() {
	local i per=$((B1_CPU_RUNS / B1_CPU_ROUNDS)) name
	local -a cmd
	[ -n "$CPU_ROOT" ] || return 0
	mkdir -p "$CPU_ROOT/$PARENT/cpu-b1"
	for _ in $(seq "$B1_CPU_ROUNDS"); do
		i=0
		while [ "$i" -lt ${#B1_CMDS[@]} ]; do
			name=${B1_CMDS[i]} cmd=() i=$((i + 1))
			while [ "${B1_CMDS[i]}" != ::: ]; do cmd+=("${B1_CMDS[i]}"); i=$((i + 1)); done
			i=$((i + 1))
			b1_cpu_block "$name" "$per" "${cmd[@]}"
		done
	done
	for name in "${!B1_CPU_SUM[@]}"; do
		B1_CPU[$name]=$((B1_CPU_SUM[$name] / B1_CPU_RUNS))
	done
}
# CPU per run by role, for the rows that run pamtester (ms), under the
# description without its parenthesis.
b1_split_row() { # LABEL DESCRIPTION [TARGET]
	local role cells=() json="{\"name\": \"$1\"" v
	for role in $B1_SPLIT_ROLES rest; do
		v=$(( ${B1_SPLIT_SUM[$1.$role]:-0} / B1_CPU_RUNS ))
		cells+=("$(ms "$v")")
		json+=", \"${role//-/_}_us\": $v"
	done
	TABLE+=("$(printf '  %-44s %9s %9s %9s %9s %9s' "${2% (*}" "${cells[@]}")")
	JSON_B1_SPLIT+=("$json}")
}
b1_cpu_pass
b1_row() { # LABEL DESCRIPTION [TARGET]
	local r v="" cpu cr
	r=$(calc "${ST_MED[$1]} / $FLOOR")
	[ -n "${3:-}" ] && v=$(verdict "$1" "$r" "<=" "$3")
	cpu=${B1_CPU[$1]:-0} cr=$(calc "${B1_CPU[$1]:-0} / ${B1_CPU[floor]:-1}")
	TABLE+=("$(printf '  %-44s %8s ms  %5s-%-5s ms  %+7s ms  %5sx  %6s ms %5sx   %s' "$2" "$(ms "${ST_MED[$1]}")" \
		"$(ms "${ST_P10[$1]}" 1)" "$(ms "${ST_P90[$1]}" 1)" "$(ms "$(calc "${ST_MED[$1]} - $FLOOR" 1)")" \
		"$r" "$(ms "$cpu")" "$cr" "${3:+<= ${3}x $v}")")
	JSON_B1+=("{\"name\": \"$1\", \"what\": \"$2\", \"runs\": ${ST_N[$1]}, \"median_us\": ${ST_MED[$1]}, \"p10_us\": ${ST_P10[$1]}, \"p90_us\": ${ST_P90[$1]}, \"mean_us\": ${ST_MEAN[$1]}, \"ratio_to_floor\": $r, \"cpu_us_per_run\": $cpu, \"cpu_ratio_to_floor\": $cr${3:+, \"target_ratio\": $3, \"verdict\": \"$v\"}}")
	[ -n "$v" ] && VERDICTS+=("B1 $1: ${r}x floor (target <= ${3}x): $v")
}
TABLE+=("B1  session open+close, pamtester (median of $B1_RUNS after $B1_WARM warm-up, interleaved; CPU: all processes, $B1_CPU_RUNS runs in $B1_CPU_ROUNDS rounds)"
	"$(printf '  %-44s %11s  %13s  %10s  %6s  %9s %6s   %s' configuration median p10-p90 "vs floor" "x floor" "CPU/run" "x" target)")
# The rows that run pamtester, in the table's order: ROW LABEL DESCRIPTION
# [TARGET] for each.
b1_pam_rows() { # ROW
	"$1" floor "floor: pam_permit only"
	"$1" full "pam_nsiso full (uts,ipc,mnt,pid+host+memory)" 1.3
	"$1" cgonly "pam_nsiso cgroup only (memory, isolate none)"
	"$1" full_broker "pam_nsiso full, via the broker" 1.3
	"$1" cgonly_broker "pam_nsiso cgroup only, via the broker"
	if [ -n "$BASE_REV" ]; then
		"$1" full_base "baseline $BASE_REV: full"
		"$1" cgonly_base "baseline $BASE_REV: cgroup only"
	fi
	if [ -n "$BASE_BROKER_PID" ]; then
		"$1" full_broker_base "baseline $BASE_REV: full, via its broker"
		"$1" cgonly_broker_base "baseline $BASE_REV: cgroup only, via its broker"
	fi
	if [ -z "$PCG_NOTE" ]; then "$1" pam_cgroup "peer: pam_cgroup (cgrules.conf, memory)"; fi
}
b1_pam_rows b1_row
# The cgroup-only configuration against libcgroup's own module, same run.
if [ -z "$PCG_NOTE" ]; then
	for k in cgonly cgonly_broker; do
		VERDICTS+=("B1 $k: $(ms "${ST_MED[$k]}") ms, pam_cgroup $(ms "${ST_MED[pam_cgroup]}") ms (target: no slower): $(verdict "$k" "${ST_MED[$k]}" "<=" "${ST_MED[pam_cgroup]}")")
	done
fi
b1_row unshare "peer: unshare -uimp --fork --mount-proc true"
[ "$HAVE_BWRAP" = 1 ] && b1_row bwrap "peer: bwrap uts,ipc,pid,mnt+proc true"
if [ -n "$CPU_ROOT" ] && [ "$B1_SPLIT_OK" = 1 ]; then
	TABLE+=("" "B1  CPU per run by process (ms; the CPU/run above by the kernel's record of each process that ended; a broker's spare with its worker under helper; rest: nsbench, the broker, spares still waiting)"
		"$(printf '  %-44s %9s %9s %9s %9s %9s' configuration pamtester helper holder reaper rest)")
	b1_pam_rows b1_split_row
elif [ -n "$CPU_ROOT" ]; then
	TABLE+=("" "B1  CPU per run by process: left out (other sessions' reapers ran, or exit records were lost)")
fi
[ -n "$PCG_NOTE" ] && TABLE+=("  peer pam_cgroup: $PCG_NOTE")

# ===========================================================================
# B2: memory per idle session
# ===========================================================================
say "bench: B2 ($B2_N sessions held open per configuration)"
# Each held session's PAM application moves itself into $PARENT/b2-NAME just
# before pam_open_session, so the helper and the holder are born there: the
# group's charge is what opening left behind (holder, its namespaces,
# kernel objects), the floor's (pam_permit) is subtracted.
declare -A B2_CHARGE B2_KERNEL B2_USER
b2_measure() { # NAME SERVICE
	local name=$1 dir=$MEMCG/$PARENT/b2-$1 pids n brk0 kbrk0
	local HELD_BY
	HELD_BY=$(held_by "$name")
	cg_mkdir "$PARENT/b2-$name"
	brk0=$(cg_usage "$MEMCG/$PARENT/brk") kbrk0=$(cg_kernel "$MEMCG/$PARENT/brk")
	hold_start "b2-$name" "$2" "$B2_N" "$dir/cgroup.procs" "$HUSER"
	sleep 0.5
	# The broker's group grows by what stays charged there (holders and
	# reapers its spares made ahead); an exec'd helper's sessions do not
	# touch it (the broker's spares are made before B2).
	B2_CHARGE[$name]=$(($(cg_usage "$dir") + $(cg_usage "$MEMCG/$PARENT/brk") - brk0))
	B2_KERNEL[$name]=$(($(cg_kernel "$dir") + $(cg_kernel "$MEMCG/$PARENT/brk") - kbrk0))
	B2_USER[$name]=$(cg_usage "$MEMCG/$PARENT/user-$HUID")
	mapfile -t pids < <(holders_of "$HUSER")
	n=${#pids[@]}
	if [ "$name" != floor ]; then
		[ "$n" -eq "$B2_N" ] || nsiso_die "B2 $name: $n holders for $B2_N sessions"
		B2_PSS[$name]=$(sum_smaps Pss "${pids[@]}")
		B2_RSS[$name]=$(sum_smaps Rss "${pids[@]}")
		B2_USS[$name]=$(($(sum_smaps Private_Clean "${pids[@]}") + $(sum_smaps Private_Dirty "${pids[@]}")))
	fi
	hold_stop "b2-$name"
	nsiso_wait_until 60 no_holders "$HUSER" || nsiso_die "B2 $name: holders did not end"
	nsiso_wait_until 10 _bench_cg_empty "$dir" && rmdir "$dir" 2>/dev/null
	return 0
}
declare -A B2_PSS B2_RSS B2_USS
b2_measure floor "$SVC_FLOOR"
b2_measure full "$SVC_FULL"
b2_measure full_broker "$SVC_FULL_BRK"
b2_measure cgonly "$SVC_CG"
b2_measure cgonly_broker "$SVC_CG_BRK"

# Via the broker while the host's mount table keeps changing (an
# automounter, users' FUSE mounts): a mount and umount every 10 ms on a
# private mount point of ours, which no session's copy receives.  Most
# logins then find their spare's holder out of date (the spares are
# replaced at most every 2 s); it copies the table again at the login
# (nsiso-helper(8)).  Until rev c902b42 the worker made the holder itself,
# which kept the worker's own pages: Pss 218 and a charge of 532 KiB a
# session against 44 and 357 without the churn (30 sessions, this guest).
CHURN_DIR=$T/b2-churn CHURN_PID=""
mkdir -p "$CHURN_DIR"
b2_churn_stop() {
	[ -n "$CHURN_PID" ] && kill "$CHURN_PID" 2>/dev/null && wait "$CHURN_PID" 2>/dev/null
	CHURN_PID=""
	nsiso_unmount "$CHURN_DIR/m" "$CHURN_DIR"
}
nsiso_on_exit b2_churn_stop
mount --bind "$CHURN_DIR" "$CHURN_DIR" && mount --make-private "$CHURN_DIR" && mkdir -p "$CHURN_DIR/m" ||
	nsiso_die "cannot make the private mount point $CHURN_DIR"
( while :; do mount -t tmpfs nsiso-bench-churn "$CHURN_DIR/m" && umount "$CHURN_DIR/m"; sleep 0.01; done ) \
	</dev/null >/dev/null 2>&1 &
CHURN_PID=$!
b2_measure full_broker_churn "$SVC_FULL_BRK"
b2_churn_stop

# Peer: what an `unshare ... sleep` holder costs on this machine.
b2_unshare() {
	local dir=$MEMCG/$PARENT/b2-unshare i pids=() procs=() p
	cg_mkdir "$PARENT/b2-unshare"
	for ((i = 0; i < B2_N; i++)); do
		(echo "$BASHPID" >"$dir/cgroup.procs" &&
			exec unshare --uts --ipc --mount --pid --fork --kill-child --mount-proc sleep infinity) </dev/null &
		procs+=("$!:$(_nsiso_starttime "$!")")
	done
	nsiso_on_exit _nsiso_terminate "${procs[@]}"
	nsiso_wait_until 30 _unshare_ready "$dir" || nsiso_die "unshare peers did not start"
	sleep 0.5
	mapfile -t pids < "$dir/cgroup.procs"
	B2_CHARGE[unshare]=$(cg_usage "$dir")
	B2_KERNEL[unshare]=$(cg_kernel "$dir")
	B2_PSS[unshare]=$(sum_smaps Pss "${pids[@]}")
	B2_RSS[unshare]=$(sum_smaps Rss "${pids[@]}")
	B2_USS[unshare]=$(($(sum_smaps Private_Clean "${pids[@]}") + $(sum_smaps Private_Dirty "${pids[@]}")))
	for p in "${pids[@]}"; do procs+=("$p:$(_nsiso_starttime "$p")"); done
	_nsiso_terminate "${procs[@]}" 2>/dev/null
	nsiso_wait_until 10 _bench_cg_empty "$dir" && rmdir "$dir" 2>/dev/null
	return 0
}
_unshare_ready() { # both unshare and its sleep in the group, for every peer
	local f=$1/cgroup.procs c=0 comm pid
	while read -r pid; do
		{ read -r comm <"/proc/$pid/comm"; } 2>/dev/null && [ "$comm" = sleep ] && c=$((c + 1))
	done <"$f"
	[ "$c" -ge "$B2_N" ]
}
b2_unshare

kib() { calc "$1 / 1024 / $B2_N" 1; }
TABLE+=("" "B2  memory per idle session ($B2_N sessions held open; KiB per session)"
	"$(printf '  %-44s %9s %9s %9s %12s %9s   %s' configuration "Pss" "Rss" "USS" "cg charge" "kernel" target)")
b2_row() { # NAME DESCRIPTION PSS_TARGET
	local pss rss uss charge kern who v="" v2="" extra=""
	pss=$(calc "${B2_PSS[$1]} / $B2_N" 1)
	rss=$(calc "${B2_RSS[$1]} / $B2_N" 1)
	uss=$(calc "${B2_USS[$1]} / $B2_N" 1)
	if [ "$1" = unshare ]; then
		charge=$(kib "${B2_CHARGE[$1]}") kern=$(kib "${B2_KERNEL[$1]}")
	else
		charge=$(kib "$((B2_CHARGE[$1] - B2_CHARGE[floor]))")
		kern=$(kib "$((B2_KERNEL[$1] - B2_KERNEL[floor]))")
		extra=", \"app_cgroup_kib\": $(kib "${B2_USER[$1]}")"
	fi
	if [ -n "${3:-}" ]; then
		v=$(verdict "$1" "$pss" "<=" "$3")
		who=$(held_by "$1")
		VERDICTS+=("B2 $1: ${who#nsiso-} Pss $pss KiB/session (target <= $3): $v")
		v2=$(verdict "$1" "$charge" "<=" "$4")
		VERDICTS+=("B2 $1: cgroup charge $charge KiB/session (target <= $4): $v2")
	fi
	TABLE+=("$(printf '  %-44s %9s %9s %9s %12s %9s   %s' "$2" "$pss" "$rss" "$uss" "$charge" "$kern" \
		"${3:+Pss <= $3 $v, charge <= $4 $v2}")")
	JSON_B2+=("{\"name\": \"$1\", \"what\": \"$2\", \"sessions\": $B2_N, \"pss_kib\": $pss, \"rss_kib\": $rss, \"uss_kib\": $uss, \"cgroup_charge_kib\": $charge, \"cgroup_kernel_kib\": $kern$extra${3:+, \"target_pss_kib\": $3, \"target_charge_kib\": $4, \"verdict_pss\": \"$v\", \"verdict_charge\": \"$v2\"}}")
}
b2_row full "pam_nsiso full: holder" 100 150
b2_row full_broker "pam_nsiso full, via the broker: holder" 100 150
b2_row cgonly "pam_nsiso cgroup only: reaper (no holder)" 100 150
b2_row cgonly_broker "pam_nsiso cgroup only, via the broker: reaper" 100 150
b2_row full_broker_churn "pam_nsiso full, broker, mounts changing" 100 150
b2_row unshare "peer: unshare --fork ... sleep (2 procs)"
TABLE+=("  (cg charge: group the holders are born in, plus the growth of the broker's group, minus the"
	"   floor's; kernel: its slab/stack part; via the broker, the holders and reapers made ahead are"
	"   charged first to the broker's group; pages a holder still shares with the broker stay there)")

# ===========================================================================
# B3: open latency with live sessions; host mount cost vs propagation
# ===========================================================================
say "bench: B3 (open latency at $B3_LEVELS live sessions of 1 and $B3_NUSERS users; mounts)"
# A shared mount point stands in for a systemd host's shared /: sessions
# made after it get a slave (or private) copy of it.
PROP=$T/prop
mkdir -p "$PROP"
mount --bind "$PROP" "$PROP" && nsiso_on_exit umount -l "$PROP" &&
	mount --make-private "$PROP" && mount --make-shared "$PROP" && mkdir -p "$PROP/m" ||
	nsiso_die "cannot make the shared mount point $PROP"

# Sessions of many users: what a lab server has.  Plain accounts without a
# home; sessions go to them in turn.
remove_b3_users() {
	local u
	for u in "${B3_USERS[@]}"; do userdel -- "$u" 2>/dev/null; done
	return 0
}
nsiso_on_exit remove_b3_users
for ((i = 1; i <= B3_NUSERS; i++)); do
	u=nsiso-b3-$SFX-$i
	getent passwd "$u" >/dev/null && nsiso_die "user $u exists"
	useradd -M -s /usr/sbin/nologin -- "$u" || nsiso_die "useradd $u failed"
	B3_USERS+=("$u")
done

# settle: until the machine is quiet (at least 90% idle over half a second),
# at most 30 s.  What 500 or 1000 logins or logouts leave to the kernel
# (cgroups' and namespaces' teardown in its workers) runs for seconds after
# the last of them: a level measured in it is the machine's, not the level's.
cpu_idle_total() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $5 + $6, t; exit }' /proc/stat; }
quiet() {
	local i0 t0 i1 t1
	read -r i0 t0 < <(cpu_idle_total)
	sleep 0.5
	read -r i1 t1 < <(cpu_idle_total)
	[ $(((i1 - i0) * 10)) -ge $(((t1 - t0) * 9)) ]
}
settle() { nsiso_wait_until 30 quiet || say "bench: B3: the machine did not settle within 30 s"; }

declare -A B3_OPEN B3_OPEN_P90 B3_MOUNT
b3_open() { # KEY [SERVICE]: open latency of new sessions of BUSER (own cgroup leaf)
	local svc=${2:-$SVC_FULL}
	settle
	run_stats "$NSBENCH" pam -n "$B3_RUNS" -w 10 "$BUSER" "$svc"
	B3_OPEN[$1]=${ST_MED["$svc open"]}
	B3_OPEN_P90[$1]=${ST_P90["$svc open"]}
}
b3_mount() { # KEY
	settle
	run_stats "$NSBENCH" mount -n "$MOUNT_N" "$PROP/m"
	B3_MOUNT[$1]=${ST_MED[mount+umount]}
}
b3_series() { # TAG SERVICE USER...: hold more and more sessions, measure at each level
	local tag=$1 svc=$2 level held=0 names=()
	shift 2
	for level in $B3_LEVELS; do
		if [ "$level" -gt "$held" ]; then
			hold_start "b3-$tag-$level" "$svc" $((level - held)) "" "$@"
			names+=("b3-$tag-$level")
			held=$level
			[ "$(count_holders "$@")" -eq "$held" ] || nsiso_die "B3: holders != $held"
			b3_open "$tag-$level" "$svc"
		fi
	done
	b3_mount "$tag-$B3_MAX"
	hold_stop "${names[@]}"
	nsiso_wait_until 120 no_holders "$@" || nsiso_die "B3: holders did not end"
}
# Pairs: 0 live sessions, then B3_MAX held at once, each measured right
# after the other, B3_PAIRS times more after a series.  The machine's speed
# drifts by more than the target within minutes (a series' 0 and its end
# are minutes apart); within a pair it drifts less, and the growth is the
# median of the pairs' (the series counts as the first, with the 0 measured
# right before it).
b3_pairs() { # TAG SERVICE USER...
	local tag=$1 svc=$2 i
	shift 2
	for ((i = 2; i <= B3_PAIRS + 1; i++)); do
		b3_open "$tag-zero-$i" "$svc"
		hold_start "b3-$tag-pair-$i" "$svc" "$B3_MAX" "" "$@"
		[ "$(count_holders "$@")" -eq "$B3_MAX" ] || nsiso_die "B3: holders != $B3_MAX"
		b3_open "$tag-max-$i" "$svc"
		hold_stop "b3-$tag-pair-$i"
		nsiso_wait_until 120 no_holders "$@" || nsiso_die "B3: holders did not end"
	done
}
# The levels run one after the other, not interleaved: measuring 0 live
# sessions again after each series shows how much the machine drifted.
b3_mount slave-0
b3_open zero-1
b3_series 1user "$SVC_FULL" "$HUSER"
b3_pairs 1user "$SVC_FULL" "$HUSER"
b3_open zero-2
b3_series users "$SVC_FULL" "${B3_USERS[@]}"
b3_pairs users "$SVC_FULL" "${B3_USERS[@]}"
b3_open zero-3
b3_mount private-0
b3_series private "$SVC_PRIV" "${B3_USERS[@]}"

B3_BASE=$(calc "(${B3_OPEN[zero-1]} + ${B3_OPEN[zero-2]} + ${B3_OPEN[zero-3]}) / 3" 1)
grow() { calc "(${B3_OPEN[$1]} / $B3_BASE - 1) * 100" 1; }
TABLE+=("" "B3  open latency: pam_open_session of a new session (median of $B3_RUNS) with sessions held open"
	"$(printf '  %-44s %11s  %12s  %7s' "live sessions" median p90 "vs 0")")
b3_row() { # KEY DESCRIPTION LIVE USERS
	TABLE+=("$(printf '  %-44s %8s ms  %6s ms   %+6s%%' "$2" "$(ms "${B3_OPEN[$1]}")" \
		"$(ms "${B3_OPEN_P90[$1]}")" "$(grow "$1")")")
	JSON_B3+=("{\"key\": \"$1\", \"what\": \"$2\", \"live_sessions\": $3, \"users\": $4, \"open_median_us\": ${B3_OPEN[$1]}, \"open_p90_us\": ${B3_OPEN_P90[$1]}, \"growth_pct\": $(grow "$1")}")
}
b3_row zero-1 "0" 0 0
for level in ${B3_LEVELS#0 }; do
	b3_row "1user-$level" "$level of 1 user" "$level" 1
done
b3_row zero-2 "0 (again, drift check)" 0 0
for level in ${B3_LEVELS#0 }; do
	b3_row "users-$level" "$level of $B3_NUSERS users" "$level" "$B3_NUSERS"
done
b3_row zero-3 "0 (again, drift check)" 0 0
b3_row "private-$B3_MAX" "$B3_MAX of $B3_NUSERS users, propagation private" "$B3_MAX" "$B3_NUSERS"
# pair_growth TAG ZERO_KEY: each pair's growth, the series' first, one a line.
pair_growth() {
	local i
	calc "(${B3_OPEN[$1-$B3_MAX]} / ${B3_OPEN[$2]} - 1) * 100" 1
	echo
	for ((i = 2; i <= B3_PAIRS + 1; i++)); do
		calc "(${B3_OPEN[$1-max-$i]} / ${B3_OPEN[$1-zero-$i]} - 1) * 100" 1
		echo
	done
}
median() { sort -g | awk '{ v[NR] = $1 } END { printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for pair in "1user zero-1 1 user" "users zero-2 $B3_NUSERS users"; do
	read -r tag zero who <<<"$pair"
	growths=$(pair_growth "$tag" "$zero")
	gr=$(median <<<"$growths") v=$(verdict b3 "$(median <<<"$growths")" "<=" 5)
	TABLE+=("  pairs of $who (0, then $B3_MAX held at once; the series is the first):")
	TABLE+=("$(printf '    %s ms -> %s ms (%+.1f%%)' "$(ms "${B3_OPEN[$zero]}")" 		"$(ms "${B3_OPEN[$tag-$B3_MAX]}")" "$(head -n 1 <<<"$growths")")")
	for ((i = 2; i <= B3_PAIRS + 1; i++)); do
		TABLE+=("$(printf '    %s ms -> %s ms (%+.1f%%)' "$(ms "${B3_OPEN[$tag-zero-$i]}")" 			"$(ms "${B3_OPEN[$tag-max-$i]}")" "$(sed -n "${i}p" <<<"$growths")")")
	done
	VERDICTS+=("B3 open latency growth 0 -> $B3_MAX sessions ($who): ${gr}%, median of $((B3_PAIRS + 1)) pairs (target <= 5%): $v")
	TABLE+=("  growth 0 -> $B3_MAX sessions, $who: ${gr}% (median of the $((B3_PAIRS + 1)) pairs)   target <= 5%: $v")
	JSON_B3+=("{\"key\": \"growth-$tag\", \"pairs_growth_pct\": [$(paste -sd, <<<"$growths")], \"growth_pct\": $gr}")
done
TABLE+=("  host mount+umount of a tmpfs on a shared mount point (median of $MOUNT_N):")
b3_mrow() { # KEY BASEKEY DESCRIPTION
	TABLE+=("$(printf '  %-44s %8s us  %6sx' "$3" "${B3_MOUNT[$1]}" "$(calc "${B3_MOUNT[$1]} / ${B3_MOUNT[$2]}")")")
}
b3_mrow slave-0 slave-0 "0 sessions"
b3_mrow "1user-$B3_MAX" slave-0 "$B3_MAX sessions of 1 user, slave"
b3_mrow "users-$B3_MAX" slave-0 "$B3_MAX sessions of $B3_NUSERS users, slave"
b3_mrow private-0 private-0 "0 sessions"
b3_mrow "private-$B3_MAX" private-0 "$B3_MAX sessions of $B3_NUSERS users, private"

# ===========================================================================
# B4: SSH login end to end; open/close latency through libpam
# ===========================================================================
say "bench: B4 (ssh logins, $B4_RUNS each, interleaved; pam open/close $PAM_RUNS each)"
# One sshd for all three rows, its PAM file a symlink that nsbench points at
# the row's stack before each login (untimed).  With one sshd per row, as
# before, two sshds with the same stack differed by up to 4% (their medians,
# 120-200 logins each, interleaved; docs/performance.md): more than the
# target.  A second sshd with the stack without the module is timed beside
# them, so that each run shows that spread.
NSISO_SSH_USER=$BUSER
nsiso_start_sshd "session required pam_permit.so"
cpu_join ssh "$NSISO_SSH_PID"
_nsiso_ssh_cmd
SSH=("${_NSISO_SSH[@]}")
B4_LINK=/etc/pam.d/$NSISO_SSH_PAM_SERVICE
nsiso_on_exit rm -f -- "$B4_LINK.nsbench"
mkdir -p "$T/b4-pam"
b4_stack() { printf 'auth required pam_permit.so\naccount required pam_permit.so\n%s\n' "$2" >"$T/b4-pam/$1"; }
b4_stack plain "session required pam_permit.so"
b4_stack nsiso "$(module_line full)"
b4_stack broker "$(module_line full "$BROKER_SOCK")"
b4_use() { # STACK: the sshd's PAM file names it from the next login on
	if ! { ln -sfn "$T/b4-pam/$1" "$B4_LINK.nsbench" && mv -Tf "$B4_LINK.nsbench" "$B4_LINK"; }; then
		nsiso_die "cannot point $B4_LINK at $1"
	fi
}
b4_use nsiso
[ "$("${SSH[@]}" hostname)" = "bench-$BUID" ] || nsiso_die "ssh: no isolated login"
b4_use broker
[ "$("${SSH[@]}" hostname)" = "bench-$BUID" ] || nsiso_die "ssh: no isolated login via the broker"
b4_use plain
[ "$("${SSH[@]}" hostname)" != "bench-$BUID" ] || nsiso_die "ssh: the stack without the module isolates"
NSISO_SSH_PID="" # a second, independent sshd: the harness cleans up both
nsiso_start_sshd "session required pam_permit.so"
_nsiso_ssh_cmd
SSH_OTHER=("${_NSISO_SSH[@]}")
nsiso_wait_until 10 no_holders "$BUSER"
run_stats "$NSBENCH" exec -l "$B4_LINK" -n "$B4_RUNS" -w "$B4_WARM" \
	"ssh_plain=$T/b4-pam/plain" "${SSH[@]}" true ::: "ssh_nsiso=$T/b4-pam/nsiso" "${SSH[@]}" true ::: \
	"ssh_broker=$T/b4-pam/broker" "${SSH[@]}" true ::: ssh_other "${SSH_OTHER[@]}" true :::
nsiso_wait_until 10 no_holders "$BUSER"
# Real logins come far apart, and then each hand-over between processes
# wakes a halted vCPU and runs in cold caches (docs/performance.md): the
# same three stacks with 100 ms idle before each login.
run_stats "$NSBENCH" exec -l "$B4_LINK" -i 100 -n "$B4_IDLE_RUNS" -w 2 \
	"ssh_plain_idle=$T/b4-pam/plain" "${SSH[@]}" true ::: \
	"ssh_nsiso_idle=$T/b4-pam/nsiso" "${SSH[@]}" true ::: \
	"ssh_broker_idle=$T/b4-pam/broker" "${SSH[@]}" true :::
nsiso_wait_until 10 no_holders "$BUSER"
# Server CPU per login: one stack at a time in rounds (as B1's CPU pass),
# each block until its sessions' reapers have ended.  All of $PARENT: the
# sshd and all it starts (on v2 the sessions' own groups are below it too),
# and the brokers (their CPU counts for the logins they serve; they idle in
# the other blocks).  The ssh clients run outside it.
B4_CPU_ROUNDS=4
declare -A B4_CPU=()
b4_cpu_used() { cpu_used_us "$PARENT"; }
b4_cpu_pass() {
	local per=$((B1_CPU_RUNS / B4_CPU_ROUNDS)) k start
	[ -n "$CPU_ROOT" ] || return 0
	for _ in $(seq "$B4_CPU_ROUNDS"); do
		for k in plain nsiso broker; do
			b4_use "$k"
			start=$(b4_cpu_used)
			"$NSBENCH" exec -n "$per" -w 0 "$k" "${SSH[@]}" true ::: >/dev/null ||
				nsiso_die "B4 CPU pass $k failed"
			nsiso_wait_until 10 no_holders "$BUSER"
			nsiso_wait_until 10 no_session_reapers || true
			B4_CPU[$k]=$((${B4_CPU[$k]:-0} + $(b4_cpu_used) - start))
		done
	done
	for k in plain nsiso broker; do B4_CPU[$k]=$((B4_CPU[$k] / (per * B4_CPU_ROUNDS))); done
}
b4_cpu_pass
nsiso_stop_sshd
ssh_ratio=$(calc "(${ST_MED[ssh_nsiso]} / ${ST_MED[ssh_plain]} - 1) * 100" 1)
brk_ratio=$(calc "(${ST_MED[ssh_broker]} / ${ST_MED[ssh_plain]} - 1) * 100" 1)
other_ratio=$(calc "(${ST_MED[ssh_other]} / ${ST_MED[ssh_plain]} - 1) * 100" 1)
idle_ratio=$(calc "(${ST_MED[ssh_nsiso_idle]} / ${ST_MED[ssh_plain_idle]} - 1) * 100" 1)
idle_brk_ratio=$(calc "(${ST_MED[ssh_broker_idle]} / ${ST_MED[ssh_plain_idle]} - 1) * 100" 1)
v=$(verdict b4 "$ssh_ratio" "<=" 1)
vb=$(verdict b4 "$brk_ratio" "<=" 1)
VERDICTS+=("B4 ssh login with the module: ${ssh_ratio}% slower (target <= 1%): $v"
	"B4 ssh login with the module via the broker: ${brk_ratio}% slower (target <= 1%): $vb")
TABLE+=("" "B4  ssh key login to 127.0.0.1 and 'true' (median of $B4_RUNS, interleaved; one sshd, its PAM stack switched before each login)")
for l in ssh_plain ssh_nsiso ssh_broker ssh_other; do
	case $l in
	ssh_plain) what="sshd without the module" ;;
	ssh_nsiso) what="sshd with pam_nsiso full" ;;
	ssh_broker) what="sshd with pam_nsiso full, via the broker" ;;
	*) what="another sshd, without the module" ;;
	esac
	TABLE+=("$(printf '  %-44s %8s ms  %5s-%-5s ms' "$what" \
		"$(ms "${ST_MED[$l]}")" "$(ms "${ST_P10[$l]}" 1)" "$(ms "${ST_P90[$l]}" 1)")")
	JSON_B4+=("{\"name\": \"$l\", \"runs\": ${ST_N[$l]}, \"median_us\": ${ST_MED[$l]}, \"p10_us\": ${ST_P10[$l]}, \"p90_us\": ${ST_P90[$l]}}")
done
TABLE+=("  with the module: ${ssh_ratio}% slower, via the broker ${brk_ratio}% slower   target <= 1%: $v, $vb"
	"  (another sshd with the same stack: ${other_ratio}%, what one sshd per row would add)"
	"$(printf '  100 ms idle before each login, as between real logins (median of %s): %s ms without, %s ms with the module (%s%% slower), %s ms via the broker (%s%% slower)' \
		"$B4_IDLE_RUNS" "$(ms "${ST_MED[ssh_plain_idle]}")" "$(ms "${ST_MED[ssh_nsiso_idle]}")" "$idle_ratio" \
		"$(ms "${ST_MED[ssh_broker_idle]}")" "$idle_brk_ratio")")
for l in ssh_plain_idle ssh_nsiso_idle ssh_broker_idle; do
	JSON_B4+=("{\"name\": \"$l\", \"idle_ms\": 100, \"runs\": ${ST_N[$l]}, \"median_us\": ${ST_MED[$l]}, \"p10_us\": ${ST_P10[$l]}, \"p90_us\": ${ST_P90[$l]}}")
done
if [ -n "$CPU_ROOT" ]; then
	cpu_plain=${B4_CPU[plain]} cpu_nsiso=${B4_CPU[nsiso]} cpu_brk=${B4_CPU[broker]}
	TABLE+=("$(printf '  server CPU per login (sshd and all it starts, %s logins each in %s rounds): %s ms without, %s ms with the module (%+.1f ms), %s ms via the broker, its own CPU included (%+.1f ms); target <= +2 ms' \
		"$B1_CPU_RUNS" "$B4_CPU_ROUNDS" "$(ms "$cpu_plain")" "$(ms "$cpu_nsiso")" "$(calc "($cpu_nsiso - $cpu_plain) / 1000" 1)" \
		"$(ms "$cpu_brk")" "$(calc "($cpu_brk - $cpu_plain) / 1000" 1)")")
	VERDICTS+=("B4 server CPU per login: +$(calc "($cpu_nsiso - $cpu_plain) / 1000" 1) ms, via the broker +$(calc "($cpu_brk - $cpu_plain) / 1000" 1) ms (target <= +2 ms): $(verdict b4cpu "$(calc "($cpu_nsiso - $cpu_plain) / 1000" 1)" "<=" 2), $(verdict b4cpu "$(calc "($cpu_brk - $cpu_plain) / 1000" 1)" "<=" 2)")
	JSON_B4+=("{\"name\": \"server_cpu_per_login\", \"plain_us\": $cpu_plain, \"nsiso_us\": $cpu_nsiso, \"broker_us\": $cpu_brk}")
fi

PAM_SVCS=("floor:$SVC_FLOOR" "full:$SVC_FULL" "cgonly:$SVC_CG" "full_broker:$SVC_FULL_BRK"
	"cgonly_broker:$SVC_CG_BRK")
[ -z "$PCG_NOTE" ] && PAM_SVCS+=("pam_cgroup:$SVC_PCG")
# Before and after here too: the baseline's module and helper, and its
# brokers where it has them, in the same rounds.
[ -n "$BASE_REV" ] && PAM_SVCS+=("full_base:$SVC_FULL_BASE" "cgonly_base:$SVC_CG_BASE")
[ -n "${SVC_FULL_BRK_BASE:-}" ] &&
	PAM_SVCS+=("full_broker_base:$SVC_FULL_BRK_BASE" "cgonly_broker_base:$SVC_CG_BRK_BASE")
pam_rows() { # IDLE_MS: rows from the last `nsbench pam`
	local pair k s
	for pair in "${PAM_SVCS[@]}"; do
		k=${pair%%:*} s=${pair#*:}
		TABLE+=("$(printf '  %-44s open %8s ms   close %8s ms' "$k" "$(ms "${ST_MED["$s open"]}" 3)" \
			"$(ms "${ST_MED["$s close"]}" 3)")")
		JSON_B4+=("{\"name\": \"pam_open_close\", \"config\": \"$k\", \"idle_ms\": $1, \"runs\": ${ST_N["$s open"]}, \"open_median_us\": ${ST_MED["$s open"]}, \"open_p90_us\": ${ST_P90["$s open"]}, \"close_median_us\": ${ST_MED["$s close"]}, \"close_p90_us\": ${ST_P90["$s close"]}}")
	done
}
run_stats "$NSBENCH" pam -n "$PAM_RUNS" -w 20 "$BUSER" "${PAM_SVCS[@]#*:}"
TABLE+=("  pam_open_session / pam_close_session in one process (libpam), back to back (median of $PAM_RUNS):")
pam_rows 0
for pair in "full:$SVC_FULL" "full_broker:$SVC_FULL_BRK"; do
	VERDICTS+=("close ${pair%%:*}: $(ms "${ST_MED["${pair#*:} close"]}" 3) ms (target <= 0.2 ms): $(verdict close "${ST_MED["${pair#*:} close"]}" "<=" 200)")
done
# Real logins are seconds apart: then moving a process into a cgroup waits
# for an RCU grace period (percpu_down_write of cgroup_threadgroup_rwsem);
# back to back the kernel stays in its slow-but-cheap mode.
run_stats "$NSBENCH" pam -n "$IDLE_RUNS" -w 2 -i 100 "$BUSER" "${PAM_SVCS[@]#*:}"
TABLE+=("  the same, 100 ms idle before each session, as between real logins (median of $IDLE_RUNS):")
pam_rows 100

# Teardown: from the start of pam_close_session until the session's record
# is gone and, the user's last session, its memory group too; one child
# process per session, as sshd's monitors (tests/stress/pamtime.c).
PAMTIME=$NSISO_TOP/tests/build/nsiso-pamtime
mkdir -p "$T/pamd-teardown"
printf 'session required pam_permit.so\n%s\n' "$(module_line full)" >"$T/pamd-teardown/full"
printf 'session required pam_permit.so\n%s\n' "$(module_line full "$BROKER_SOCK")" \
	>"$T/pamd-teardown/full_broker"
TABLE+=("  teardown after pam_close_session, the user's only session: record and memory group gone (of $TD_RUNS):")
for k in full full_broker; do
	out=$("$PAMTIME" "$T/pamd-teardown" "$k" "$BUSER" 1 "$TD_RUNS" "$RUN_DIR" \
		"$MEMCG/$PARENT/user-$BUID" 2>"$T/pamtime.err") ||
		nsiso_die "teardown timing of $k failed: $(cat "$T/pamtime.err")"
	td_med=$(sed -n 's/^teardown .*median_us=\([0-9]*\).*/\1/p' <<<"$out")
	td_p99=$(sed -n 's/^teardown .*p99_us=\([0-9]*\).*/\1/p' <<<"$out")
	[ -n "$td_med" ] && [ -n "$td_p99" ] || nsiso_die "teardown timing of $k: no figures in: $out"
	TABLE+=("$(printf '  %-44s median %6s ms   p99 %6s ms' "$k" "$(ms "$td_med" 2)" "$(ms "$td_p99" 2)")")
	VERDICTS+=("teardown $k: p99 $(ms "$td_p99" 2) ms (target <= 5 ms): $(verdict teardown "$td_p99" "<=" 5000)")
	JSON_B4+=("{\"name\": \"teardown\", \"config\": \"$k\", \"runs\": $TD_RUNS, \"median_us\": $td_med, \"p99_us\": $td_p99}")
done

# ===========================================================================
RUNTIME=$((SECONDS - START_S))
{
	printf '\npam_nsiso benchmarks, %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf 'machine: %s, %s cores, %s GiB; kernel %s; cgroup %s; load at start %s; rev %s\n' \
		"$MACHINE" "$CORES" "$MEM_GIB" "$KERNEL" "$CG_MODE" "$LOAD" "$REV${BASE_REV:+ (baseline $BASE_REV)}"
	printf 'runs: B1 %s (+%s warm-up) per row, CPU %s; B2 %s sessions; B3 %s opens per level, %s mounts; B4 %s (+%s idle) logins, %s+%s PAM sessions per row, %s teardowns\n' \
		"$B1_RUNS" "$B1_WARM" "$B1_CPU_RUNS" "$B2_N" "$B3_RUNS" "$MOUNT_N" "$B4_RUNS" "$B4_IDLE_RUNS" "$PAM_RUNS" "$IDLE_RUNS" "$TD_RUNS"
	printf "run directories on a tmpfs of the bench's own, as /run is on Debian hosts (the rest of its files on %s)\n\n" \
		"$RUN_FS_HERE"
	printf '%s\n' "${TABLE[@]}"
	printf '\ntargets:\n'
	printf '  %s\n' "${VERDICTS[@]}"
	printf '\nbench runtime %d s\n' "$RUNTIME"
}

join() { local IFS=,; printf '%s' "$*"; }
jq_str() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }
{
	printf '{\n  "schema": 1,\n  "date": %s,\n  "rev": %s,\n' "$(jq_str "$(date -u '+%Y-%m-%dT%H:%M:%SZ')")" "$(jq_str "$REV")"
	[ -n "$BASE_REV" ] && printf '  "baseline_rev": %s,\n' "$(jq_str "$BASE_REV")"
	printf '  "machine": {"cpu": %s, "cores": %s, "mem_gib": %s, "kernel": %s, "cgroup": %s, "loadavg_at_start": %s},\n' \
		"$(jq_str "$MACHINE")" "$CORES" "$MEM_GIB" "$(jq_str "$KERNEL")" "$(jq_str "$CG_MODE")" "$(jq_str "$LOAD")"
	printf '  "run_dirs": "tmpfs", "files_fs": %s,\n' "$(jq_str "$RUN_FS_HERE")"
	printf '  "runtime_s": %s,\n' "$RUNTIME"
	printf '  "b1": {"tool": "pamtester open_session close_session", "runs": %s, "warmup": %s, "floor_median_us": %s, "pam_cgroup_note": %s,\n         "rows": [%s],\n         "cpu_by_process": [%s]},\n' \
		"$B1_RUNS" "$B1_WARM" "$FLOOR" "$(jq_str "${PCG_NOTE:-measured}")" "$(join "${JSON_B1[@]}")" \
		"$(join ${JSON_B1_SPLIT[@]+"${JSON_B1_SPLIT[@]}"})"
	printf '  "b2": {"sessions": %s, "rows": [%s]},\n' "$B2_N" "$(join "${JSON_B2[@]}")"
	printf '  "b3": {"runs_per_level": %s, "users": %s, "open": [%s], "open_baseline_us": %s, "target_growth_pct": 5,\n         "mount_umount_median_us": {' \
		"$B3_RUNS" "$B3_NUSERS" "$(join "${JSON_B3[@]}")" "$B3_BASE"
	first=1
	for key in slave-0 "1user-$B3_MAX" "users-$B3_MAX" private-0 "private-$B3_MAX"; do
		[ $first = 1 ] || printf ', '
		first=0
		printf '"%s": %s' "$key" "${B3_MOUNT[$key]}"
	done
	printf '}, "mounts": %s},\n' "$MOUNT_N"
	printf '  "b4": {"ssh_runs": %s, "ssh_slower_pct": %s, "broker_slower_pct": %s, "other_sshd_pct": %s, "idle_slower_pct": %s, "idle_broker_slower_pct": %s, "target_pct": 1, "rows": [%s]},\n' \
		"$B4_RUNS" "$ssh_ratio" "$brk_ratio" "$other_ratio" "$idle_ratio" "$idle_brk_ratio" "$(join "${JSON_B4[@]}")"
	printf '  "verdicts": [%s]\n}\n' "$(for x in "${VERDICTS[@]}"; do jq_str "$x"; printf ','; done | sed 's/,$//')"
} >"$RESULTS.tmp" && mv "$RESULTS.tmp" "$RESULTS"
say "bench: wrote $RESULTS"
