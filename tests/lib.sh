# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# shellcheck shell=bash
#
# tests/lib.sh - shared harness for the pam_nsiso integration tests.
#
# Sourced, never executed:   . "$(dirname "$0")/../lib.sh"
# Needs root and bash >= 4.4. Safe under `set -u`; works with or without
# `set -e` (a failed assertion returns 1, so under `set -e` it ends the script;
# cleanups run either way).
#
# Everything the harness creates carries "nsiso" in its name and is removed by
# the EXIT trap installed by nsiso_setup, also when a test fails or is killed
# with INT/TERM.  Cleanups and assertion results live in files under $T, so
# functions that are used inside $(...) (nsiso_make_user, nsiso_ssh_bg, ...)
# can register cleanups from the subshell.
#
# Typical use:
#   nsiso_setup
#   NSISO_SSH_USER=$(nsiso_make_user) || nsiso_die "cannot create user"
#   nsiso_start_sshd 'session required pam_nsiso.so'
#   nsiso_assert_eq "login works" "$NSISO_SSH_USER" "$(nsiso_ssh id -un)"
#
# Public API (one line each; details at each function):
#   nsiso_setup                          private $T + EXIT/INT/TERM cleanup trap
#   nsiso_on_exit CMD...                 register a cleanup (run in reverse order)
#   nsiso_public_dir                     a root-owned 0755 dir under /tmp, removed at exit
#   nsiso_require FILE...                a built test tool; missing: a failure, not a skip
#   nsiso_unique                         print 6 random hex chars
#   nsiso_die MSG                        record a failure and exit 2
#   nsiso_skip REASON                    exit 77 (test not applicable here)
#   nsiso_make_user [NAME]               create a key-login user, print its name
#   nsiso_pids_of_user NAME              print PIDs running as NAME
#   nsiso_make_pam_service CONTENT       /etc/pam.d/nsiso-test-XXXXXX, print name
#   nsiso_make_sshd_pam_file NAME CONTENT  /etc/pam.d/NAME (NAME must contain nsiso)
#   nsiso_free_port                      print a free TCP port on 127.0.0.1
#   nsiso_start_sshd SESSION_LINES       private sshd for $NSISO_SSH_USER
#   nsiso_stop_sshd                      stop it early (e.g. to restart it)
#   nsiso_ssh CMD...                     run CMD over ssh, return ssh's status
#   nsiso_ssh_bg OUTFILE CMD...          same in background, print client PID
#   nsiso_wait_pid PID [TIMEOUT_S]       wait until PID is gone (default NSISO_WAIT_S)
#   nsiso_start_syslog                   private rsyslogd on /dev/log -> $T/syslog.log
#   nsiso_log_mark                       later nsiso_wait_log only sees newer lines
#   nsiso_log_since_mark                 the syslog lines after the mark
#   nsiso_wait_log PATTERN [TIMEOUT_S]   wait for an ERE in $T/syslog.log
#   nsiso_wait_for CMD...                poll CMD for up to NSISO_WAIT_S; say what it saw
#   nsiso_wait_within TIMEOUT_S CMD...   the same with another bound
#   nsiso_wait_until TIMEOUT_S CMD...    poll CMD every NSISO_POLL_S (0.1) s, silently
#   nsiso_pass NAME / nsiso_fail NAME REASON
#   nsiso_assert_eq NAME EXPECTED ACTUAL
#   nsiso_assert_match NAME REGEX ACTUAL
#   nsiso_assert_true NAME CMD... / nsiso_assert_false NAME CMD...
#   nsiso_holders_of USER [RUN_DIR...]   live holders of USER, from the records
#   nsiso_session_gone USER PARENT [RUN_DIR]  no holder, process, cgroup (or record) of USER
#   nsiso_run_dirs                       the run dirs nsiso_holders_of searches
#   nsiso_dir_outside_tmp                root 0755 dir under /var/lib, removed at exit
#   nsiso_private_tmp UID [/var/tmp]     host path of UID's private /tmp (or /var/tmp)
#   nsiso_forget_private_tmp UID         remove UID's private /tmp, /var/tmp at exit

# Sourcing twice would reset state the EXIT trap relies on.
[ -n "${_NSISO_LIB_LOADED:-}" ] && return 0
_NSISO_LIB_LOADED=1

# Ignore a $T inherited from the environment; nsiso_setup sets the real one.
T=""
NSISO_TEST_NAME=${NSISO_TEST_NAME:-$(basename -- "$0" .sh)}
NSISO_SSH_PORT=""
NSISO_SSH_PID=""
NSISO_SYSLOG_PID=""
NSISO_LOG_MARK=0
# Extra ssh client options for nsiso_ssh/nsiso_ssh_bg, e.g. (-tt) for a tty.
[ -n "${NSISO_SSH_EXTRA_OPTS+x}" ] || NSISO_SSH_EXTRA_OPTS=()
_NSISO_MAIN_PID=""
_NSISO_SSHD_START=""
_NSISO_SYSLOG_START=""

# ---------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------

# Informational line on stderr, so it never pollutes captured stdout.
_nsiso_info() { printf '# %s\n' "$*" >&2; }

# Warning on stderr (used by cleanups, which must not abort).
_nsiso_warn() { printf 'WARNING: %s\n' "$*" >&2; }

# nsiso_die MSG: a harness step failed; record it as a FAIL so the test fails
# even when called in a $(...) subshell, then exit 2 (the EXIT trap cleans up).
nsiso_die() {
	printf 'ERROR: %s\n' "$*" >&2
	[ -n "$T" ] && _nsiso_record FAIL "harness: $*"
	exit 2
}

# nsiso_skip REASON: the test cannot run here; exit 77 (automake's SKIP code).
# Only for a facility the machine lacks (and REASON names it): a tool the
# tests install, a binary make builds or a resource another test holds for a
# while is a failure or a wait, never a skip, so no skip can hide a
# regression.
nsiso_skip() {
	printf 'SKIP: %s: %s\n' "$NSISO_TEST_NAME" "$*"
	_NSISO_SKIPPED=1
	exit 77
}

# ---------------------------------------------------------------------------
# Setup and cleanup stack
# ---------------------------------------------------------------------------

# nsiso_setup: create the private dir $T and install the cleanup trap.
# Must be called once, from the main shell, before any other nsiso_* call.
nsiso_setup() {
	[ "$(id -u)" = 0 ] || { echo "ERROR: integration tests must run as root" >&2; exit 2; }
	[ -z "$T" ] || nsiso_die "nsiso_setup called twice"
	T=$(_nsiso_make_tmpdir 0700) || { echo "ERROR: mktemp failed" >&2; exit 2; }
	_NSISO_MAIN_PID=$BASHPID
	_NSISO_CLEANUP_FILE=$T/.cleanups
	_NSISO_ASSERT_FILE=$T/.assertions
	: >"$_NSISO_CLEANUP_FILE"
	: >"$_NSISO_ASSERT_FILE"
	trap _nsiso_exit_trap EXIT
	trap '_nsiso_info "interrupted (INT)"; exit 130' INT
	trap '_nsiso_info "terminated (TERM)"; exit 143' TERM
	# Registered first, so it runs last: the other cleanups may still need $T.
	nsiso_on_exit _nsiso_remove_tmpdir "$T"
	_nsiso_note_host_state
	export T
	_nsiso_info "$NSISO_TEST_NAME: private dir $T"
}

# What the helper makes on the host at its first private /tmp, whatever
# run_dir= says: the default run directory with its users' private /tmp
# lock files (user-UID.private-tmp, which the last logout removes; a login
# that failed leaves it), and the base directories of private /tmp and
# /var/tmp.  Those this test made are removed at its end,
# after every other cleanup (the sessions are over), when nothing else is
# in them.
_nsiso_note_host_state() {
	local d
	for d in /run/nsiso /tmp/.nsiso-tmp /var/tmp/.nsiso-tmp; do
		[ -e "$d" ] || nsiso_on_exit _nsiso_remove_host_state "$d"
	done
}

# _nsiso_unlocked FILE: no lock of anyone's on FILE (nsiso_lock_id).
_nsiso_unlocked() {
	local id
	id=$(nsiso_lock_id "$1") || return 1
	! awk -v id="$id" '$6 == id || $7 == id {found = 1} END {exit !found}' /proc/locks
}

_nsiso_remove_host_state() {
	local f
	case $1 in
	/run/nsiso)
		for f in /run/nsiso/user-*.private-tmp; do
			[ -f "$f" ] && _nsiso_unlocked "$f" && rm -f -- "$f"
		done
		[ "$(ls -A /run/nsiso 2>/dev/null)" = private-tmp.lock ] &&
			rm -f /run/nsiso/private-tmp.lock
		rmdir /run/nsiso 2>/dev/null ;;
	/tmp/.nsiso-tmp | /var/tmp/.nsiso-tmp) rmdir "$1" 2>/dev/null ;;
	esac
	return 0
}

# nsiso_on_exit CMD...: register a cleanup; cleanups run in reverse order of
# registration. Stored (shell-quoted) in a file so subshells can register too.
nsiso_on_exit() {
	_nsiso_require_setup
	local q
	q=$(printf '%q ' "$@")
	printf '%s\n' "$q" >>"$_NSISO_CLEANUP_FILE"
}

# Abort early with a clear message when a test forgot nsiso_setup.
_nsiso_require_setup() {
	[ -n "$T" ] && [ -d "$T" ] && return 0
	echo "ERROR: call nsiso_setup first" >&2
	exit 2
}

# A new /tmp/nsiso-test.XXXXXX, root's, with MODE; prints its path.
_nsiso_make_tmpdir() {
	local dir
	dir=$(mktemp -d /tmp/nsiso-test.XXXXXX) || return 1
	chown root:root "$dir" && chmod "$1" "$dir" && printf '%s\n' "$dir"
}

# nsiso_public_dir: a root-owned 0755 directory under /tmp, for what the
# test users must reach ($T is 0700), removed at exit; prints its path.
nsiso_public_dir() {
	local dir
	_nsiso_require_setup
	dir=$(_nsiso_make_tmpdir 0755) || nsiso_die "cannot make a public directory"
	nsiso_on_exit _nsiso_remove_tmpdir "$dir"
	printf '%s\n' "$dir"
}

# nsiso_require FILE...: a test tool that was not built is a failure (make
# check builds them all), never a reason to skip.
nsiso_require() {
	local f
	for f in "$@"; do
		[ -x "$f" ] || nsiso_die "$f is missing: run make unit (make check does)"
	done
}

# nsiso_fault_helper: the test build of the helper (HELPER: the same code
# with fault points, helper/faults.h) and its fault file (FAULT), which is
# removed at the test's end.
nsiso_fault_helper() {
	HELPER=$NSISO_TOP/tests/build/nsiso-helper-faults
	FAULT=$NSISO_TOP/tests/build/fault
	nsiso_require "$HELPER"
	nsiso_on_exit rm -f -- "$FAULT"
}

# rm -rf only a path that really is one of our temp dirs (defence in depth).
_nsiso_remove_tmpdir() {
	case $1 in
	/tmp/nsiso-test.?*) rm -rf -- "$1" ;;
	*) _nsiso_warn "refusing to remove unexpected path '$1'" ;;
	esac
}

# Run every registered cleanup in reverse order. Each one runs in the main
# shell (so `wait` works for our children); a failure is reported and the
# remaining cleanups still run.
_nsiso_run_cleanups() {
	local -a lines=()
	local i
	[ -f "${_NSISO_CLEANUP_FILE:-}" ] || return 0
	mapfile -t lines <"$_NSISO_CLEANUP_FILE"
	: >"$_NSISO_CLEANUP_FILE"
	for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
		[ -n "${lines[i]}" ] || continue
		eval "${lines[i]}" || _nsiso_warn "cleanup failed (status $?): ${lines[i]}"
	done
}

# EXIT trap: count results, show logs on failure, clean up, print a summary,
# and make the exit status non-zero when any assertion failed.
_nsiso_exit_trap() {
	local rc=$? pass=0 fail=0
	# A child forked from this shell (e.g. by `&`) that is killed before it
	# execs inherits this trap; only the main shell may clean up.
	[ "$BASHPID" = "$_NSISO_MAIN_PID" ] || return 0
	trap '' INT TERM # a second Ctrl-C must not cut the cleanup short
	set +e
	if [ -f "${_NSISO_ASSERT_FILE:-}" ]; then
		pass=$(grep -c '^PASS ' "$_NSISO_ASSERT_FILE")
		fail=$(grep -c '^FAIL ' "$_NSISO_ASSERT_FILE")
	fi
	if [ "$fail" -gt 0 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; }; then
		_nsiso_dump_logs
	fi
	_nsiso_run_cleanups
	[ "$rc" -eq 0 ] && [ "$fail" -gt 0 ] && rc=1
	if [ "${_NSISO_SKIPPED:-0}" != 1 ] && [ -z "${NSISO_NO_SUMMARY:-}" ]; then
		printf '%s: %d passed, %d failed (exit %d)\n' "$NSISO_TEST_NAME" "$pass" "$fail" "$rc"
	fi
	exit "$rc"
}

# Show the tail of every log in $T before it is deleted: the only chance to
# see why sshd or PAM misbehaved.
_nsiso_dump_logs() {
	local f
	for f in "$T"/*.log; do
		[ -s "$f" ] || continue
		printf -- '----- last lines of %s -----\n' "${f##*/}" >&2
		tail -n 40 -- "$f" >&2
	done
}

# nsiso_unique: print a short random suffix (6 hex chars) for unique names.
nsiso_unique() {
	od -An -N3 -tx1 /dev/urandom | tr -d ' \n'
	echo
}

# ---------------------------------------------------------------------------
# Polling (tests must poll, never sleep blindly)
# ---------------------------------------------------------------------------

# Current time in microseconds, without forking (bash 5 EPOCHREALTIME).
_nsiso_now_us() {
	local t=${EPOCHREALTIME//[.,]/}
	printf '%s\n' "$((10#$t))"
}

# How long a test waits for something that must happen, in seconds: enough
# for a loaded, slow 2-core machine (processes starting 5 times slower than
# on a developer's machine, other tests running beside).  A wait ends as soon
# as its condition holds, so the bound costs time only when something is
# broken.  The environment may set another.
NSISO_WAIT_S=${NSISO_WAIT_S:-60}

# nsiso_wait_until TIMEOUT_S CMD...: run CMD every NSISO_POLL_S seconds
# (0.1 unless the caller sets it, e.g. NSISO_POLL_S=0.01 for a wait whose
# duration is measured) until it succeeds (return 0) or TIMEOUT_S seconds
# (may be fractional) have passed (return 1).  Silent: for the harness's
# own waits, and for waits whose timeout is normal.
nsiso_wait_until() {
	local timeout=$1 whole frac deadline
	shift
	whole=${timeout%%.*}
	frac=${timeout#"$whole"}
	frac=${frac#.}000000
	deadline=$(($(_nsiso_now_us) + 10#${whole:-0} * 1000000 + 10#${frac:0:6}))
	while :; do
		"$@" && return 0
		[ "$(_nsiso_now_us)" -lt "$deadline" ] || return 1
		sleep "${NSISO_POLL_S:-0.1}"
	done
}

# nsiso_wait_for CMD...: wait up to NSISO_WAIT_S for CMD to succeed.  CMD's
# stdout is discarded while it is polled; when the wait gives up, it says so
# on stderr with what it saw (CMD's output on one last run, or what
# _nsiso_seen knows about CMD), and leaves that text in NSISO_SEEN, which
# nsiso_assert_true adds to its FAIL line.  So a condition may print what it
# sees.
nsiso_wait_for() {
	nsiso_wait_within "$NSISO_WAIT_S" "$@"
}

_nsiso_quiet() { "$@" >/dev/null; }

# nsiso_wait_within TIMEOUT_S CMD...: nsiso_wait_for with another bound.
nsiso_wait_within() {
	local timeout=$1 t0
	shift
	NSISO_SEEN=
	t0=$(_nsiso_now_us)
	nsiso_wait_until "$timeout" _nsiso_quiet "$@" && return 0
	NSISO_SEEN="gave up after $((($(_nsiso_now_us) - t0) / 1000000)) s waiting for: $*; saw: $(_nsiso_seen "$@")"
	_nsiso_info "$NSISO_SEEN"
	return 1
}

# _nsiso_seen CMD...: one line on what CMD's condition looked like when a
# wait for it gave up.
_nsiso_seen() {
	local out rc=0
	case $1 in
	nsiso_session_gone)
		printf 'holders [%s] processes [%s] cgroup %s%s' "$(nsiso_holders_of "$2" | tr '\n' ' ')" \
			"$(_nsiso_live_pids_of_user "$2" | tr '\n' ' ')" \
			"$(_nsiso_user_groups_left "$3" "$2" || echo absent)" \
			"${4:+ records [$(nsiso_records "$4" | tr '\n' ' ')]}"
		return ;;
	_nsiso_log_has)
		printf 'no match among the %s log lines since the mark; the last: %s' \
			"$(nsiso_log_since_mark | wc -l)" "$(nsiso_log_since_mark | tail -n 3 | tr '\n' '|')"
		return ;;
	_nsiso_not_alive)
		printf 'pid %s: %s' "$2" "$(tr '\0' ' ' <"/proc/$2/cmdline" 2>/dev/null), state $(_nsiso_stat_field "$2" 3)"
		return ;;
	grep)
		out=${*: -1}
		if [ -f "$out" ]; then
			printf '%s ends: %s' "$out" "$(tail -n 3 -- "$out" | tr '\n' '|')"
		else
			printf '%s does not exist' "$out"
		fi
		return ;;
	test)
		printf '%s' "$(ls -ld -- "${*: -1}" 2>&1)"
		return ;;
	esac
	out=$("$@" 2>&1) || rc=$?
	printf 'status %s, output: %s' "$rc" "$(tail -n 3 <<<"$out" | tr '\n' '|')"
}

# ---------------------------------------------------------------------------
# Process helpers: we only ever signal processes we started, identified by
# PID *and* start time so a recycled PID is never hit.
# ---------------------------------------------------------------------------

# Print field N (1-based, as in proc(5)) of /proc/PID/stat; fails if gone.
_nsiso_stat_field() {
	local pid=$1 n=$2 line rest
	local -a f
	{ read -r line <"/proc/$pid/stat"; } 2>/dev/null || return 1
	rest=${line##*) } # comm may contain spaces and ')'
	read -r -a f <<<"$rest"
	printf '%s\n' "${f[n - 3]}"
}

# Print the start time of PID (clock ticks since boot).
_nsiso_starttime() { _nsiso_stat_field "$1" 22; }

# True if PID exists, is not a zombie, and (if given) has start time START.
_nsiso_alive() {
	local pid=$1 start=${2:-} state
	state=$(_nsiso_stat_field "$pid" 3) || return 1
	case $state in Z | X | x) return 1 ;; esac
	[ -z "$start" ] || [ "$(_nsiso_starttime "$pid")" = "$start" ]
}

# True only if PID is alive with exactly start time START. An empty START
# (process already gone when we looked) never matches, so a recycled PID
# can never be mistaken for one of ours.
_nsiso_is_ours() {
	[ -n "${2:-}" ] && _nsiso_alive "$1" "$2"
}

# True if none of the PID:START pairs is alive.
_nsiso_all_gone() {
	local p
	for p in "$@"; do
		_nsiso_is_ours "${p%%:*}" "${p#*:}" && return 1
	done
	return 0
}

# _nsiso_terminate PID:START...: TERM, wait up to 5 s, then KILL, then reap
# those that are children of this shell (quietly).
_nsiso_terminate() {
	local p sig
	for sig in TERM KILL; do
		for p in "$@"; do
			_nsiso_is_ours "${p%%:*}" "${p#*:}" && kill -s "$sig" "${p%%:*}" 2>/dev/null
		done
		nsiso_wait_until 5 _nsiso_all_gone "$@" && break
	done
	for p in "$@"; do
		_nsiso_alive "${p%%:*}" || wait "${p%%:*}" 2>/dev/null
	done
	_nsiso_all_gone "$@" || { _nsiso_warn "could not kill: $*"; return 1; }
}

# Print all descendants of PID (children, grandchildren, ...), as PID:START.
_nsiso_descendants() {
	local root=$1 f pid line
	local -A kids=()
	local -a todo st
	# Build a parent -> children map from one pass over /proc (no forks).
	for f in /proc/[0-9]*/stat; do
		{ read -r line <"$f"; } 2>/dev/null || continue
		pid=${f#/proc/}
		pid=${pid%/stat}
		read -r -a st <<<"${line##*) }"
		kids[${st[1]}]+=" $pid"
	done
	todo=("$root")
	while [ ${#todo[@]} -gt 0 ]; do
		pid=${todo[0]}
		todo=("${todo[@]:1}")
		for f in ${kids[$pid]:-}; do
			printf '%s:%s\n' "$f" "$(_nsiso_starttime "$f")"
			todo+=("$f")
		done
	done
}

# Print PIDs whose real, effective, saved or fs uid is UID (from /proc, since
# pkill/killall are banned on this machine).
_nsiso_pids_of_uid() {
	local uid=$1 f key a b c d
	for f in /proc/[0-9]*/status; do
		{
			while read -r key a b c d; do
				[ "$key" = "Uid:" ] || continue
				if [ "$a" = "$uid" ] || [ "$b" = "$uid" ] || [ "$c" = "$uid" ] || [ "$d" = "$uid" ]; then
					f=${f#/proc/}
					printf '%s\n' "${f%/status}"
				fi
				break
			done <"$f"
		} 2>/dev/null
	done
}

# nsiso_pids_of_user NAME: print the PIDs currently running as user NAME.
nsiso_pids_of_user() {
	local uid
	uid=$(id -u -- "$1") || return 1
	_nsiso_pids_of_uid "$uid"
}

# nsiso_wait_pid PID [TIMEOUT_S=NSISO_WAIT_S]: wait until PID has exited
# (also works for PIDs that are not our children, e.g. from
# $(nsiso_ssh_bg ...)).
nsiso_wait_pid() {
	nsiso_wait_within "${2:-$NSISO_WAIT_S}" _nsiso_not_alive "$1"
}
_nsiso_not_alive() { ! _nsiso_alive "$1"; }

# ---------------------------------------------------------------------------
# Users and PAM service files
# ---------------------------------------------------------------------------

# nsiso_make_user [NAME]: create user NAME (default nsiso-u-<suffix>) with a
# home dir and /bin/bash, password '*' (not locked: sshd refuses pubkey login
# for '!' accounts), register its removal, print the name.
# shellcheck disable=SC2120 # NAME is optional
nsiso_make_user() {
	_nsiso_require_setup
	local name=${1:-nsiso-u-$(nsiso_unique)} uid
	case $name in *nsiso*) ;; *) nsiso_die "user name '$name' must contain 'nsiso'" ;; esac
	getent passwd -- "$name" >/dev/null && nsiso_die "user '$name' already exists"
	useradd -m -s /bin/bash -- "$name" || nsiso_die "useradd $name failed"
	uid=$(id -u -- "$name")
	nsiso_on_exit _nsiso_remove_user "$name" "$uid"
	usermod -p '*' -- "$name" || nsiso_die "usermod -p '*' $name failed"
	printf '%s\n' "$name"
}

# Cleanup for nsiso_make_user: kill what still runs as the user (only our
# test's sessions can run under this fresh uid), then userdel -r.
_nsiso_remove_user() {
	local name=$1 uid=$2 pid err rc=0
	local -a procs=()
	[ "$(id -u -- "$name" 2>/dev/null)" = "$uid" ] || return 0
	for pid in $(_nsiso_pids_of_uid "$uid"); do
		procs+=("$pid:$(_nsiso_starttime "$pid")")
	done
	[ ${#procs[@]} -eq 0 ] || _nsiso_terminate "${procs[@]}"
	# userdel complains that the (never created) mail spool is missing.
	err=$(userdel -r -- "$name" 2>&1) || rc=$?
	err=$(printf '%s\n' "$err" | grep -v 'mail spool .* not found')
	[ -z "$err" ] || printf '%s\n' "$err" >&2
	return "$rc"
}

# nsiso_make_sshd_pam_file NAME CONTENT: write /etc/pam.d/NAME (0644 root)
# and register its removal. NAME must contain "nsiso" and must not exist.
nsiso_make_sshd_pam_file() {
	_nsiso_require_setup
	local name=$1 content=$2 path=/etc/pam.d/$1
	case $name in */* | "") nsiso_die "bad PAM service name '$name'" ;; *nsiso*) ;;
	*) nsiso_die "PAM service name '$name' must contain 'nsiso'" ;; esac
	[ -e "$path" ] && nsiso_die "$path already exists"
	nsiso_on_exit rm -f -- "$path"
	(umask 022 && printf '%s\n' "$content" >"$path") || nsiso_die "cannot write $path"
	chown root:root "$path" && chmod 0644 "$path"
}

# nsiso_make_pam_service CONTENT: write /etc/pam.d/nsiso-test-<suffix> (e.g.
# for pamtester), register its removal, print the service name.
nsiso_make_pam_service() {
	local name
	name=nsiso-test-$(nsiso_unique)
	nsiso_make_sshd_pam_file "$name" "$1"
	printf '%s\n' "$name"
}

# ---------------------------------------------------------------------------
# sshd
# ---------------------------------------------------------------------------

# nsiso_free_port: print a TCP port on 127.0.0.1 that nothing uses. Chosen
# below the ephemeral range, so outgoing connections cannot grab it before
# sshd binds it.
nsiso_free_port() {
	local low _ port i
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range
	[ "$low" -gt 20100 ] || low=61000 # unusual range: use the space above it
	for ((i = 0; i < 100; i++)); do
		if [ "$low" = 61000 ]; then
			port=$((61000 + RANDOM % 4000))
		else
			port=$((20000 + RANDOM % (low - 20000)))
		fi
		[ -z "$(ss -Htan "sport = :$port")" ] && { echo "$port"; return 0; }
	done
	nsiso_die "no free TCP port found"
}

# True once PID listens on 127.0.0.1:PORT.
_nsiso_listening() {
	ss -Hltnp "src 127.0.0.1 and sport = :$2" | grep -q "pid=$1,"
}

# For polling: true when sshd is listening or has already died.
_nsiso_sshd_settled() {
	_nsiso_listening "$1" "$2" || ! _nsiso_alive "$1"
}

# Create the host key and client key pair once per test, in $T.
_nsiso_make_ssh_keys() {
	[ -f "$T/ssh_host_ed25519_key" ] ||
		ssh-keygen -q -t ed25519 -N '' -C nsiso-host -f "$T/ssh_host_ed25519_key" ||
		nsiso_die "ssh-keygen (host key) failed"
	[ -f "$T/client_ed25519" ] ||
		ssh-keygen -q -t ed25519 -N '' -C nsiso-client -f "$T/client_ed25519" ||
		nsiso_die "ssh-keygen (client key) failed"
}

# Install the client public key for $NSISO_SSH_USER with the ownership and
# modes StrictModes insists on.
_nsiso_install_authorized_key() {
	local user=$1 home group
	home=$(getent passwd -- "$user" | cut -d: -f6)
	group=$(id -g -- "$user")
	[ -d "$home" ] || nsiso_die "home of $user ($home) missing"
	install -d -m 0700 -o "$user" -g "$group" -- "$home/.ssh"
	install -m 0600 -o "$user" -g "$group" -- "$T/client_ed25519.pub" "$home/.ssh/authorized_keys"
}

# sshd refuses to start without its privilege separation dir /run/sshd.
# Create it if missing; remove it at the end only if we created it and no
# other sshd still needs it.
_nsiso_ensure_run_sshd() {
	[ -d /run/sshd ] && return 0
	install -d -m 0755 -o root -g root /run/sshd || nsiso_die "cannot create /run/sshd"
	nsiso_on_exit _nsiso_remove_run_sshd
}
_nsiso_remove_run_sshd() {
	local exe
	for exe in /proc/[0-9]*/exe; do
		if [ "$(readlink -- "$exe" 2>/dev/null)" = /usr/sbin/sshd ]; then
			_nsiso_info "another sshd is running; leaving /run/sshd in place"
			return 0
		fi
	done
	rmdir /run/sshd
}

# Write $T/sshd_config for PORT.
_nsiso_write_sshd_config() {
	cat >"$T/sshd_config" <<-EOF
		# Generated by tests/lib.sh for a single test; nothing here is global.
		ListenAddress 127.0.0.1
		Port $1
		HostKey $T/ssh_host_ed25519_key
		PidFile $T/sshd.pid
		UsePAM yes
		PubkeyAuthentication yes
		AuthenticationMethods publickey
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PermitRootLogin no
		AuthorizedKeysFile .ssh/authorized_keys
		StrictModes yes
		LogLevel VERBOSE
		X11Forwarding no
		AllowAgentForwarding no
		AllowTcpForwarding no
		PermitTunnel no
		MaxStartups 50
		MaxSessions 50
		PrintMotd no
		PrintLastLog no
		UseDNS no
		# AcceptEnv is deliberately absent: the default accepts no variables
		# ("AcceptEnv none" would accept a variable called "none").
	EOF
}

# nsiso_start_sshd SESSION_LINES: start a private sshd on 127.0.0.1 whose
# PAM service is /etc/pam.d/sshd-nsiso-test-<suffix> = permit auth/account +
# SESSION_LINES (may be multi-line or empty). Key login for $NSISO_SSH_USER.
# Exports NSISO_SSH_PORT, NSISO_SSH_PID, NSISO_SSH_PAM_SERVICE.
nsiso_start_sshd() {
	local session_lines=${1-} sfx name port attempt
	_nsiso_require_setup
	[ -n "${NSISO_SSH_USER:-}" ] || nsiso_die "set NSISO_SSH_USER before nsiso_start_sshd"
	case $NSISO_SSH_USER in *nsiso*) ;; *) nsiso_die "NSISO_SSH_USER must be a test user (name containing nsiso)" ;; esac
	if [ -n "$NSISO_SSH_PID" ] && _nsiso_is_ours "$NSISO_SSH_PID" "$_NSISO_SSHD_START"; then
		nsiso_die "sshd already running; call nsiso_stop_sshd first"
	fi
	_nsiso_make_ssh_keys
	_nsiso_install_authorized_key "$NSISO_SSH_USER"
	_nsiso_ensure_run_sshd

	# sshd uses basename(argv[0]) as its PAM service name, so a uniquely
	# named symlink gives this sshd a private /etc/pam.d file.
	sfx=$(nsiso_unique)
	name=sshd-nsiso-test-$sfx
	ln -s /usr/sbin/sshd "$T/$name" || nsiso_die "cannot create $T/$name"
	nsiso_make_sshd_pam_file "$name" "auth required pam_permit.so
account required pam_permit.so
$session_lines"

	# Retry with another port in case something grabbed ours meanwhile.
	for attempt in 1 2 3; do
		port=$(nsiso_free_port) || nsiso_die "no free port"
		_nsiso_write_sshd_config "$port"
		"$T/$name" -t -f "$T/sshd_config" 2>>"$T/sshd.log" ||
			nsiso_die "sshd -t rejected $T/sshd_config (see sshd.log)"
		# sshd re-execs itself via argv[0], hence the absolute path.
		"$T/$name" -D -e -f "$T/sshd_config" </dev/null >/dev/null 2>>"$T/sshd.log" &
		NSISO_SSH_PID=$!
		_NSISO_SSHD_START=$(_nsiso_starttime "$NSISO_SSH_PID")
		nsiso_on_exit _nsiso_stop_sshd_pid "$NSISO_SSH_PID" "$_NSISO_SSHD_START"
		nsiso_wait_until "$NSISO_WAIT_S" _nsiso_sshd_settled "$NSISO_SSH_PID" "$port"
		_nsiso_listening "$NSISO_SSH_PID" "$port" && break
		_nsiso_stop_sshd_pid "$NSISO_SSH_PID" "$_NSISO_SSHD_START"
		_nsiso_info "sshd did not come up on port $port (attempt $attempt)"
		port=""
	done
	[ -n "$port" ] || nsiso_die "sshd failed to start (see sshd.log)"
	NSISO_SSH_PORT=$port
	NSISO_SSH_PAM_SERVICE=$name
	export NSISO_SSH_PORT NSISO_SSH_PID NSISO_SSH_PAM_SERVICE
	_nsiso_info "sshd pid $NSISO_SSH_PID on 127.0.0.1:$port, PAM service $name"
}

# Stop one sshd (PID START) and every process below it: per-connection
# monitors and the sessions they run (anything that escaped by daemonizing
# is still caught by the user's cleanup, by uid).
_nsiso_stop_sshd_pid() {
	local pid=$1 start=$2
	local -a procs
	_nsiso_is_ours "$pid" "$start" || { wait "$pid" 2>/dev/null; return 0; }
	mapfile -t procs < <(_nsiso_descendants "$pid")
	_nsiso_terminate "$pid:$start" ${procs[@]+"${procs[@]}"}
}

# nsiso_stop_sshd: stop the running test sshd now (its PAM file stays until
# exit); afterwards nsiso_start_sshd may be called again.
nsiso_stop_sshd() {
	[ -n "$NSISO_SSH_PID" ] || return 0
	_nsiso_stop_sshd_pid "$NSISO_SSH_PID" "$_NSISO_SSHD_START"
}

# ssh client options shared by nsiso_ssh and nsiso_ssh_bg. -F /dev/null and
# IdentitiesOnly keep root's own ssh config, keys and agent out of the test.
_nsiso_ssh_cmd() {
	[ -n "$NSISO_SSH_PORT" ] || nsiso_die "nsiso_start_sshd first"
	_NSISO_SSH=(ssh -F /dev/null -i "$T/client_ed25519" -p "$NSISO_SSH_PORT"
		-o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
		-o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR
		-o ConnectTimeout=10
		${NSISO_SSH_EXTRA_OPTS[@]+"${NSISO_SSH_EXTRA_OPTS[@]}"}
		"$NSISO_SSH_USER@127.0.0.1")
}

# nsiso_ssh CMD...: run CMD as $NSISO_SSH_USER over ssh; remote stdout on
# stdout, returns ssh's status (remote status, or 255 on ssh errors). Like
# ssh itself, the words of CMD are joined and run by the remote shell.
nsiso_ssh() {
	_nsiso_ssh_cmd
	"${_NSISO_SSH[@]}" "$@"
}

# nsiso_ssh_bg OUTFILE CMD...: like nsiso_ssh but in the background, stdin
# from /dev/null, stdout+stderr to OUTFILE; prints the client PID (to hold a
# session open while the test inspects it). Use nsiso_wait_pid to wait.
nsiso_ssh_bg() {
	local out=$1 pid
	shift
	_nsiso_ssh_cmd
	"${_NSISO_SSH[@]}" "$@" </dev/null >"$out" 2>&1 &
	pid=$!
	nsiso_on_exit _nsiso_terminate "$pid:$(_nsiso_starttime "$pid")"
	printf '%s\n' "$pid"
}

# ---------------------------------------------------------------------------
# syslog capture
# ---------------------------------------------------------------------------

# Write $T/rsyslog.conf: /dev/log in, every message flushed to $T/syslog.log.
_nsiso_write_rsyslog_conf() {
	install -d -m 0700 -- "$T/rsyslog-work"
	cat >"$T/rsyslog.conf" <<-EOF
		# Generated by tests/lib.sh; private to one test.
		global(workDirectory="$T/rsyslog-work")
		# No rate limiting: a test may log bursts and must see all of them.
		# Unlink off: never take /dev/log from a listener that has it (a
		# test beside this one that started at the same time); the socket
		# is removed at exit by _nsiso_stop_syslog.
		module(load="imuxsock" SysSock.Name="/dev/log" SysSock.Unlink="off"
		       SysSock.RateLimit.Interval="0")
		# "facility.severity prog: msg"; the msg options give exactly one space
		# after the colon and strip a trailing newline (as rsyslog's own
		# traditional format does).
		template(name="nsiso" type="string"
		         string="%syslogfacility-text%.%syslogseverity-text% %programname%:%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%\n")
		# Synchronous, flushed writes so polling sees lines at once.
		*.* action(type="omfile" file="$T/syslog.log" template="nsiso"
		           asyncWriting="off" flushOnTXEnd="on" ioBufferSize="4k")
	EOF
}

# What holds /dev/log: "free"; "test PID", another test's listener (another
# checkout's run on this machine), which lets go when that test ends; or
# "other ...", a syslog daemon of the machine (or a socket nobody listens
# on), which these tests do not replace.
_nsiso_devlog_state() {
	local pid
	if [ ! -e /dev/log ] && [ ! -L /dev/log ]; then
		echo free
		return
	fi
	pid=$(ss -Hxap 2>/dev/null | awk '$5 == "/dev/log"' | grep -o -m1 'pid=[0-9]*')
	pid=${pid#pid=}
	[ -z "$pid" ] || [ -d "/proc/$pid" ] || pid=""	# a listener that has just ended
	if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
		grep -q -- '^rsyslogd -n -f /tmp/nsiso-test\.[^ /]*/rsyslog\.conf '; then
		echo "test $pid"
		return
	fi
	# ... and may have removed its socket meanwhile, or ended since it
	# was looked up (then it is one that is just ending, as above).
	if [ ! -e /dev/log ] && [ ! -L /dev/log ]; then
		echo free
		return
	fi
	[ -z "$pid" ] || [ -d "/proc/$pid" ] || pid=""
	echo "other: $(ls -l /dev/log 2>&1), ${pid:+listener pid $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)}${pid:-no listener found}"
}
# For polling: true once no other test's listener holds /dev/log (a socket
# left behind as it ends is for _nsiso_devlog_clear_stale); the state it saw
# in _NSISO_DEVLOG_SEEN (looking again could find that another waiting test
# took it meanwhile).
_nsiso_devlog_not_another_test() {
	_NSISO_DEVLOG_SEEN=$(_nsiso_devlog_state)
	case $_NSISO_DEVLOG_SEEN in
	"test "*) return 1 ;;
	esac
}

# How long nsiso_start_syslog waits for another test's listener to let go
# of /dev/log (a test holds it for its whole run).
NSISO_DEVLOG_WAIT_S=${NSISO_DEVLOG_WAIT_S:-900}

# nsiso_start_syslog: run a private rsyslogd on /dev/log writing all
# facilities (incl. authpriv) as "facility.severity prog: msg" to
# $T/syslog.log.  Waits (up to NSISO_DEVLOG_WAIT_S) while another test's
# listener holds /dev/log, also when a test waiting beside it takes it first
# (both saw it free and started); removes a stale socket nobody listens on;
# returns 1, saying why, if it is still held then, or held by a syslog daemon
# of the machine.  Exports NSISO_SYSLOG_PID.
nsiso_start_syslog() {
	local end left rc
	_nsiso_require_setup
	if [ -n "$NSISO_SYSLOG_PID" ] && _nsiso_is_ours "$NSISO_SYSLOG_PID" "$_NSISO_SYSLOG_START"; then
		return 0
	fi
	end=$(($(_nsiso_now_us) + NSISO_DEVLOG_WAIT_S * 1000000))
	while :; do
		_NSISO_DEVLOG_SEEN=$(_nsiso_devlog_state)
		if [ "${_NSISO_DEVLOG_SEEN%% *}" = test ]; then
			_nsiso_info "/dev/log is held by another test's listener (pid ${_NSISO_DEVLOG_SEEN#test }); waiting for it"
			left=$(((end - $(_nsiso_now_us)) / 1000000))
			nsiso_wait_until "$((left > 0 ? left : 0))" _nsiso_devlog_not_another_test
		fi
		case $_NSISO_DEVLOG_SEEN in
		"other: s"*"no listener found")
			_nsiso_devlog_clear_stale && [ "$(_nsiso_now_us)" -lt "$end" ] && continue ;;
		esac
		if [ "$_NSISO_DEVLOG_SEEN" != free ]; then
			echo "ERROR: cannot listen on /dev/log (${_NSISO_DEVLOG_SEEN}): these tests read the module's log lines through a listener of their own" >&2
			return 1
		fi
		rc=0
		_nsiso_run_syslog || rc=$?
		[ "$rc" = 2 ] && [ "$(_nsiso_now_us)" -lt "$end" ] || return "$((rc == 0 ? 0 : 1))"
		_nsiso_info "another test's listener took /dev/log as ours started; waiting again"
	done
}

# How long a socket at /dev/log must go unlistened before it counts as stale.
NSISO_DEVLOG_GRACE_S=${NSISO_DEVLOG_GRACE_S:-5}

# For polling: true once /dev/log is anything but a socket nobody listens on.
_nsiso_devlog_listened_or_gone() {
	case $(_nsiso_devlog_state) in
	*"no listener found") return 1 ;;
	esac
}

# A socket at /dev/log that nobody listens on was left by a listener killed
# before its cleanup ran (a run cut off by SIGKILL or a reboot): rsyslogd here
# runs with Unlink off, so it is the cleanup that removes the socket.  Give a
# listener that is just ending NSISO_DEVLOG_GRACE_S to remove its own, then
# remove it if it is still the same unlistened socket.  0 when /dev/log
# changed or was removed (look again); 1 when it is not a plain socket.
_nsiso_devlog_clear_stale() {
	local inode
	[ -S /dev/log ] && [ ! -L /dev/log ] || return 1
	inode=$(stat -c %i /dev/log 2>/dev/null) || return 0
	nsiso_wait_until "$NSISO_DEVLOG_GRACE_S" _nsiso_devlog_listened_or_gone && return 0
	[ "$(stat -c %i /dev/log 2>/dev/null)" = "$inode" ] || return 0
	_nsiso_info "removing a stale /dev/log (nobody listened on it for ${NSISO_DEVLOG_GRACE_S} s)"
	rm -f /dev/log
}

# Start our rsyslogd on the free /dev/log and prove the whole path (socket
# -> rsyslogd -> file) with a message.  0; 2 when ours does not hold
# /dev/log after all (another test's started at the same time, or a test of
# an older checkout took the socket over): ours is then stopped, its socket
# never recorded as ours; 1 for any other failure, said on stderr.
_nsiso_run_syslog() {
	local pid start probe
	_nsiso_write_rsyslog_conf
	: >"$T/syslog.log"
	rm -f "$T/devlog.inode"
	rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslog.pid" </dev/null >/dev/null 2>>"$T/rsyslog.log" &
	pid=$!
	start=$(_nsiso_starttime "$pid")
	nsiso_on_exit _nsiso_stop_syslog "$pid" "$start"
	nsiso_wait_until "$NSISO_WAIT_S" _nsiso_socket_settled "$pid"
	# Only a socket our rsyslogd listens on is recorded as ours: cleanup
	# never deletes someone else's.
	if [ "$(_nsiso_devlog_state)" = "test $pid" ]; then
		stat -c %i /dev/log >"$T/devlog.inode"
		probe=nsiso-syslog-ready-$(nsiso_unique)
		logger -p user.debug -- "$probe"
		nsiso_wait_until "$NSISO_WAIT_S" _nsiso_probe_settled "$probe" "$pid"
		if _nsiso_log_has "$probe"; then
			NSISO_SYSLOG_PID=$pid _NSISO_SYSLOG_START=$start
			export NSISO_SYSLOG_PID
			return 0
		fi
	fi
	_nsiso_alive "$pid" || { echo "ERROR: rsyslogd died (see rsyslog.log)" >&2; return 1; }
	if [ "$(_nsiso_devlog_state)" != "test $pid" ]; then
		_nsiso_stop_syslog "$pid" "$start"
		return 2
	fi
	echo "ERROR: syslog probe message never arrived" >&2
	return 1
}

# For polling: the probe message PROBE arrived, or rsyslogd PID no longer
# listens on /dev/log (another test's listener has it, or had it: a test
# of an older checkout takes the socket over).
_nsiso_probe_settled() { _nsiso_log_has "$1" || [ "$(_nsiso_devlog_state)" != "test $2" ]; }

# For polling: true when a test's listener (rsyslogd PID, or another
# test's) holds /dev/log, or PID has died.
_nsiso_socket_settled() {
	local state
	state=$(_nsiso_devlog_state)
	[ "${state%% *}" = test ] || ! _nsiso_alive "$1"
}

# Cleanup for nsiso_start_syslog: stop rsyslogd (it unlinks /dev/log itself);
# remove /dev/log only if it is still the socket we created.
_nsiso_stop_syslog() {
	local pid=$1 start=$2 inode=""
	[ -f "$T/devlog.inode" ] && inode=$(<"$T/devlog.inode")
	_nsiso_terminate "$pid:$start"
	if [ -n "$inode" ] && [ -S /dev/log ] && [ "$(stat -c %i /dev/log)" = "$inode" ]; then
		rm -f /dev/log
	fi
}

# nsiso_log_mark: remember the current end of $T/syslog.log, so that
# nsiso_wait_log ignores older lines (e.g. those of a previous session).
nsiso_log_mark() {
	NSISO_LOG_MARK=$(wc -l <"$T/syslog.log")
}

# nsiso_log_since_mark: the lines of $T/syslog.log after line NSISO_LOG_MARK.
nsiso_log_since_mark() {
	tail -n "+$((NSISO_LOG_MARK + 1))" -- "$T/syslog.log"
}

# True if an ERE matches a line of $T/syslog.log after line NSISO_LOG_MARK.
_nsiso_log_has() {
	nsiso_log_since_mark | grep -Eq -- "$1"
}

# nsiso_wait_log PATTERN [TIMEOUT_S=NSISO_WAIT_S]: wait until an ERE matches
# a line of $T/syslog.log (after nsiso_log_mark, if used); returns 1 on
# timeout, with what the log had in NSISO_SEEN.
nsiso_wait_log() {
	nsiso_wait_within "${2:-$NSISO_WAIT_S}" _nsiso_log_has "$1"
}

# ---------------------------------------------------------------------------
# Assertions: print PASS/FAIL, record in $T (counted by the EXIT trap) and in
# $NSISO_RESULTS if set (summed by the top-level runner).
# ---------------------------------------------------------------------------

# Append "STATUS NAME" (single line) to the result files.
_nsiso_record() {
	local line="$1 ${2//$'\n'/ }"
	printf '%s\n' "$line" >>"$_NSISO_ASSERT_FILE"
	if [ -n "${NSISO_RESULTS:-}" ]; then
		printf '%s\n' "$line" >>"$NSISO_RESULTS"
	fi
}

# nsiso_pass NAME: record a passed check.
nsiso_pass() {
	_nsiso_require_setup
	printf 'PASS: %s\n' "$1"
	_nsiso_record PASS "$1"
}

# nsiso_fail NAME REASON: record a failed check; returns 1.
nsiso_fail() {
	_nsiso_require_setup
	printf 'FAIL: %s: %s\n' "$1" "${2:-}"
	_nsiso_record FAIL "$1"
	return 1
}

# nsiso_assert_eq NAME EXPECTED ACTUAL: exact string comparison.
nsiso_assert_eq() {
	if [ "$2" = "$3" ]; then nsiso_pass "$1"; else nsiso_fail "$1" "expected '$2', got '$3'"; fi
}

# nsiso_assert_match NAME REGEX ACTUAL: bash ERE match (unanchored).
nsiso_assert_match() {
	if [[ $3 =~ $2 ]]; then nsiso_pass "$1"; else nsiso_fail "$1" "'$3' does not match /$2/"; fi
}

# nsiso_assert_true NAME CMD...: CMD must succeed.  When CMD is a wait that
# gave up (nsiso_wait_for, nsiso_wait_log, nsiso_wait_pid), the FAIL line
# says what it saw.
nsiso_assert_true() {
	local name=$1 rc=0
	shift
	NSISO_SEEN=
	"$@" || rc=$?
	if [ "$rc" -eq 0 ]; then
		nsiso_pass "$name"
	else
		nsiso_fail "$name" "command failed (status $rc): $*${NSISO_SEEN:+; $NSISO_SEEN}"
	fi
}

# nsiso_assert_false NAME CMD...: CMD must fail (e.g. a login that PAM denies).
nsiso_assert_false() {
	local name=$1 rc=0
	shift
	"$@" || rc=$?
	if [ "$rc" -ne 0 ]; then nsiso_pass "$name"; else nsiso_fail "$name" "command unexpectedly succeeded: $*"; fi
}

# ---------------------------------------------------------------------------
# pam_nsiso specifics: the built module and helper, a private conf, and a
# uniquely named cgroup parent that is removed at exit.
# ---------------------------------------------------------------------------

NSISO_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NSISO_MODULE=$NSISO_TOP/pam_nsiso/pam_nsiso.so
NSISO_HELPER=$NSISO_TOP/helper/nsiso-helper
NSISO_MEMHOG=$NSISO_TOP/tests/build/memhog
NSISO_CG_V1=/sys/fs/cgroup

# nsiso_cgroup_parent: print a unique cgroup parent name and register its
# removal (leaves first) in every v1 hierarchy the module may use.
nsiso_cgroup_parent() {
	local name
	name=nsiso-test-$(nsiso_unique)
	nsiso_on_exit _nsiso_remove_cgroup_parent "$name"
	printf '%s\n' "$name"
}

# nsiso_cgroup_mount CONTROLLER: the mount point of the cgroup v1 hierarchy
# that has CONTROLLER (memory, cpu, cpuacct, blkio, ...: cpu and cpuacct are
# one hierarchy on most distributions, two on others), from
# /proc/self/mountinfo; fails when no hierarchy has it.
nsiso_cgroup_mount() {
	awk -v c="$1" '{
		for (i = 7; i < NF && $i != "-"; i++) {}
		if ($(i + 1) != "cgroup") next
		n = split($(i + 3), opt, ",")
		for (j = 1; j <= n; j++) if (opt[j] == c) { print $5; found = 1; exit }
	} END { exit !found }' /proc/self/mountinfo
}

_nsiso_remove_cgroup_parent() {
	local name=$1 hier dir mount
	local -A seen=()
	for hier in memory pids cpu cpuacct blkio; do
		mount=$(nsiso_cgroup_mount "$hier") || continue
		[ -z "${seen[$mount]:-}" ] || continue
		seen[$mount]=1
		dir=$mount/$name
		[ -d "$dir" ] || continue
		# Leaves are normally gone already; wait briefly for teardown.
		nsiso_wait_until 5 _nsiso_no_leaves "$dir" || true
		for leaf in "$dir"/user-*; do
			[ -d "$leaf" ] && rmdir "$leaf" 2>/dev/null
		done
		rmdir "$dir" 2>/dev/null || _nsiso_info "could not remove $dir"
	done
}

_nsiso_no_leaves() {
	! compgen -G "$1/user-*" >/dev/null
}

# nsiso_write_conf TEXT: write $T/nsiso.conf (root, 0644), print its path.
nsiso_write_conf() {
	_nsiso_require_setup
	printf '%s\n' "$1" >"$T/nsiso.conf" && chmod 0644 "$T/nsiso.conf" &&
		printf '%s\n' "$T/nsiso.conf"
}

# nsiso_isolated_sshd RULES: the common setup of an SSH scenario: a test
# user, a unique cgroup parent, a conf giving that user RULES (one
# "<item> <value>" per line), and a private sshd whose session stack is the
# module.  Sets NSISO_SSH_USER and NSISO_PARENT.
nsiso_isolated_sshd() {
	local conf line
	NSISO_SSH_USER=$(nsiso_make_user) || nsiso_die "cannot create the test user"
	NSISO_PARENT=$(nsiso_cgroup_parent)
	conf="* cgroup_parent $NSISO_PARENT"
	while IFS= read -r line; do
		[ -n "$line" ] && conf+=$'\n'"$NSISO_SSH_USER $line"
	done <<<"$1"
	nsiso_write_conf "$conf" >/dev/null
	nsiso_start_sshd "$(nsiso_module_line)"
}

# nsiso_module_line [ARGS]: the PAM line for the built module and helper,
# with the test's own conf and run directory ($T/run, not /run/nsiso).
nsiso_module_line() {
	printf 'session required %s conf=%s/nsiso.conf helper=%s run_dir=%s/run %s\n' \
		"$NSISO_MODULE" "$T" "$NSISO_HELPER" "$T" "${1-}"
}

# nsiso_user_cgroup PARENT USER: the user's memory cgroup directory.
nsiso_user_cgroup() {
	printf '%s/memory/%s/user-%s\n' "$NSISO_CG_V1" "$1" "$(id -u "$2")"
}

# nsiso_records DIR: the session records (and half-written ones) in a run
# directory, one name a line; other files there (cgroup.lock) are not.
nsiso_records() {
	local f
	for f in "$1"/*.session "$1"/.*.tmp; do
		[ -e "$f" ] && printf '%s\n' "${f##*/}"
	done
	return 0
}

# nsiso_run_dirs: the run directories whose session records name holders,
# one per line: $NSISO_RUN_DIRS (space-separated, for a test that uses run_dir=
# somewhere else), the tests' own $T/run, the lifecycle tests' $LC_RUN, and
# the default /run/nsiso.
nsiso_run_dirs() {
	local d
	local -A seen=()
	for d in ${NSISO_RUN_DIRS:-} "$T/run" ${LC_RUN:+"$LC_RUN"} /run/nsiso; do
		[ -n "${seen[$d]:-}" ] && continue
		seen[$d]=1
		printf '%s\n' "$d"
	done
}

# True if PID is a live (not zombie) process named nsiso-holder, started at
# START if START is given (a record's holder_start: a reused PID is not it).
_nsiso_is_live_holder() {
	local pid=$1 start=${2:-} comm
	[[ $pid =~ ^[1-9][0-9]*$ ]] || return 1
	{ read -r comm <"/proc/$pid/comm"; } 2>/dev/null || return 1
	[ "$comm" = nsiso-holder ] && _nsiso_alive "$pid" && { [ -z "$start" ] || [ "$start" = 0 ] ||
		[ "$(_nsiso_starttime "$pid")" = "$start" ]; }
}

# nsiso_holders_of USER [RUN_DIR...]: PIDs of the live holders of USER's
# sessions, from the session records (<RUN_DIR>/<id>.session: user=NAME,
# holder=PID) in RUN_DIRs (default: nsiso_run_dirs).  Not from a holder's
# command line: holders carry no user data.  A holder whose
# helper has not written the record yet is not found.
# nsiso_start_broker HELPER SOCKET: a broker of our own on SOCKET, its PID
# in BROKER_PID, killed when the test ends (its spares and what they made
# die with it: PR_SET_PDEATHSIG); the test dies if it does not listen
# within 10 s.
nsiso_start_broker() {
	"$1" broker --socket "$2" &
	BROKER_PID=$!
	nsiso_on_exit _nsiso_stop_broker "$BROKER_PID"
	nsiso_wait_until 10 test -S "$2" || nsiso_die "the broker did not listen on $2"
}
_nsiso_stop_broker() { kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; return 0; }

# nsiso_broker_spares: the PIDs of the children of our broker (BROKER_PID):
# its spares, and its workers while they serve.
nsiso_broker_spares() { local c=''; read -r c <"/proc/$BROKER_PID/task/$BROKER_PID/children"; echo $c; }
# nsiso_broker_ready: two spares with a holder made ahead each.
nsiso_broker_ready() { [ "$(nsiso_made_ahead "$BROKER_PID" nsiso-idle-hold | wc -l)" -eq 2 ]; }
# nsiso_broker_replaced OLD: none of the spares in OLD (an earlier
# nsiso_broker_spares) is left, and two new ones are ready.
nsiso_broker_replaced() {
	local s
	nsiso_broker_ready || return 1
	for s in $(nsiso_broker_spares); do
		grep -qw "$s" <<<"$1" && return 1
	done
	return 0
}

# nsiso_unmount DIR...: whatever is mounted on each DIR, however often,
# lazily; for a test's traps.
nsiso_unmount() {
	local m
	for m in "$@"; do
		while mountpoint -q "$m"; do umount -l "$m" || break; done
	done
	return 0
}

# nsiso_made_ahead BROKER_PID COMM: the PIDs, one a line, of the processes
# named COMM (nsiso-idle-hold, nsiso-idle-reap) that a broker's spares made
# ahead and that still wait for a session.
nsiso_made_ahead() {
	local spare
	for spare in $(ps -o pid= --ppid "$1"); do
		ps -o comm=,pid= --ppid "$spare"
	done | awk -v c="$2" '$1 == c { print $2 }'
}

# nsiso_members_in HIERARCHY PARENT UID COMM...: the processes named COMM
# (nsiso-holder, nsiso-reaper) in the user's v1 group of HIERARCHY (pids,
# memory), by the host's PIDs (a record written inside another PID namespace
# names its holder by that one's).
nsiso_members_in() {
	local dir=$NSISO_CG_V1/$1/$2/user-$3 p comm c
	shift 3
	for p in $(cat "$dir/cgroup.procs" 2>/dev/null); do
		comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
		for c in "$@"; do [ "$comm" = "$c" ] && echo "$p"; done
	done
	return 0
}

nsiso_holders_of() {
	local user=$1 dir f key val u h hs
	shift
	local -a dirs=("$@")
	[ ${#dirs[@]} -gt 0 ] || mapfile -t dirs < <(nsiso_run_dirs)
	for dir in "${dirs[@]}"; do
		for f in "$dir"/*.session; do
			u='' h='' hs=''
			{
				while IFS='=' read -r key val; do
					case $key in
					user) u=$val ;;
					holder) h=$val ;;
					holder_start) hs=$val ;;
					esac
				done <"$f"
			} 2>/dev/null || continue
			[ "$u" = "$user" ] && _nsiso_is_live_holder "$h" "$hs" && printf '%s\n' "$h"
		done
	done
	return 0
}

# nsiso_session_gone USER PARENT [RUN_DIR]: no holder, no process, no
# cgroup (memory or pids) of USER under PARENT; with RUN_DIR, no session
# record (or half-written one) there either.
nsiso_session_gone() {
	[ -z "$(nsiso_holders_of "$1")" ] &&
		[ -z "$(_nsiso_live_pids_of_user "$1")" ] &&
		! _nsiso_user_groups_left "$2" "$1" >/dev/null &&
		{ [ -z "${3:-}" ] || [ -z "$(nsiso_records "$3")" ]; }
}

# _nsiso_user_groups_left PARENT USER: which of USER's groups under PARENT
# still exist ("memory pids", "memory", ...); false if none.
_nsiso_user_groups_left() {
	local hier left=""
	for hier in memory pids; do
		[ -d "$NSISO_CG_V1/$hier/$1/user-$(id -u "$2")" ] && left+="${left:+ }$hier"
	done
	[ -n "$left" ] && printf '%s\n' "$left"
}

_nsiso_live_pids_of_user() {
	local pid
	for pid in $(nsiso_pids_of_user "$1"); do
		[ "$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" = Z ] ||
			printf '%s\n' "$pid"
	done
}

# nsiso_install_memhog USER: copy the memhog tool where USER can run it.
nsiso_install_memhog() {
	local home
	home=$(getent passwd "$1" | cut -d: -f6)
	install -m 0755 -o "$1" "$NSISO_MEMHOG" "$home/memhog"
}

# ---------------------------------------------------------------------------
# private_tmp: a session's /tmp and /var/tmp are the user's own, so what a
# probe in the session runs or writes must live elsewhere.
# ---------------------------------------------------------------------------

# nsiso_dir_outside_tmp: a new root-owned 0755 directory under /var/lib (on
# disk: the tmpfs pages of a /run file written from the user's cgroup would
# keep the user's group), removed at exit; prints its path.
nsiso_dir_outside_tmp() {
	local dir
	_nsiso_require_setup
	dir=$(mktemp -d /var/lib/nsiso-test.XXXXXX) || nsiso_die "mktemp under /var/lib failed"
	nsiso_on_exit _nsiso_remove_outside_dir "$dir"
	chown root:root "$dir" && chmod 0755 "$dir" || nsiso_die "cannot set up $dir"
	printf '%s\n' "$dir"
}

_nsiso_remove_outside_dir() {
	case $1 in
	/var/lib/nsiso-test.?*) rm -rf --one-file-system -- "$1" ;;
	*) _nsiso_warn "refusing to remove unexpected path '$1'" ;;
	esac
}

# nsiso_private_tmp UID [/var/tmp]: where UID's private /tmp (or /var/tmp)
# is on the host (helper/privtmp.h).
nsiso_private_tmp() {
	printf '%s/.nsiso-tmp/%s\n' "${2:-/tmp}" "$1"
}

# nsiso_forget_private_tmp UID: remove what is left of UID's private /tmp
# and /var/tmp at exit (a keep test, or one that failed before the last
# logout).  UID is a test user's, so the names are ours.
nsiso_forget_private_tmp() {
	nsiso_on_exit _nsiso_remove_private_tmp "$1"
}

_nsiso_remove_private_tmp() {
	local where f
	[[ $1 =~ ^[1-9][0-9]*$ ]] || return 0
	for where in /tmp /var/tmp; do
		for f in "$where/.nsiso-tmp/$1" "$where/.nsiso-tmp/$1".gone.*; do
			[ -e "$f" ] && rm -rf --one-file-system -- "$f"
		done
	done
	# Its lock file, which a kept directory or a failed login leaves.
	f=/run/nsiso/user-$1.private-tmp
	[ -f "$f" ] && _nsiso_unlocked "$f" && rm -f -- "$f"
	return 0
}

# ---- sessions an application holds, and the locks in them ------------------
# nsiso_held_session SERVICE USER UID N: a session held open by an
# application (tests/build/nsiso-pamdaemon, as atd) whose child, as the
# user, sleeps 3000+N seconds; nsiso_end_held N ends it by killing that
# sleep, and nsiso_held_up N... (nsiso_held_gone N...) says whether they
# all are up (over).  Every
# application still there is ended at the test's end.
declare -a _NSISO_HELD=()
nsiso_held_session() {
	nsiso_require "$NSISO_TOP/tests/build/nsiso-pamdaemon"
	[ ${#_NSISO_HELD[@]} -eq 0 ] && nsiso_on_exit _nsiso_end_held_all
	"$NSISO_TOP/tests/build/nsiso-pamdaemon" "$1" "$2" "$3" /bin/sleep "$((3000 + $4))" \
		>"$T/daemon-$4.out" 2>&1 &
	_NSISO_HELD+=("$!:$(_nsiso_starttime "$!")")
}
_nsiso_end_held_all() { [ ${#_NSISO_HELD[@]} -eq 0 ] || _nsiso_terminate "${_NSISO_HELD[@]}"; }
# nsiso_held_sleeper N: the pid of session N's sleep.
nsiso_held_sleeper() {
	local pid
	for pid in $(pgrep -x sleep); do
		[ "$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" = "/bin/sleep $((3000 + $1)) " ] &&
			echo "$pid"
	done
	return 0
}
nsiso_end_held() { local p; p=$(nsiso_held_sleeper "$1"); [ -n "$p" ] && kill "$p"; }
nsiso_held_up() { local n; for n in "$@"; do [ -n "$(nsiso_held_sleeper "$n")" ] || return 1; done; }
nsiso_held_gone() { local n; for n in "$@"; do [ -z "$(nsiso_held_sleeper "$n")" ] || return 1; done; }

# nsiso_held_rounds SERVICE USER UID CHECK N...: with sessions N... of
# USER up, three rounds of logins and logouts at once: all of them end
# (the last of them is the user's last logout) while four new ones start;
# once those are up, CHECK ROUND NEW... checks what the round left.
# NSISO_HELD_LAST: the last round's sessions, still up.
nsiso_held_rounds() {
	local svc=$1 user=$2 uid=$3 check=$4 round n prev next
	shift 4
	prev="$*"
	for round in 1 2 3; do
		next=$(seq -s ' ' $((round * 20 + 1)) $((round * 20 + 4)))
		for n in $next; do nsiso_held_session "$svc" "$user" "$uid" "$n"; done
		for n in $prev; do nsiso_end_held "$n"; done
		nsiso_assert_true "round $round: four new sessions of $user are up" \
			nsiso_wait_for nsiso_held_up $next
		nsiso_assert_true "round $round: the sessions before are over" \
			nsiso_wait_for nsiso_held_gone $prev
		# shellcheck disable=SC2086 # the numbers, one word each
		"$check" "$round" $next
		prev=$next
	done
	NSISO_HELD_LAST=$prev
}

# nsiso_lock_id FILE: FILE as /proc/locks names it (MAJ:MIN:INODE, the
# device in hex).
nsiso_lock_id() {
	local st
	st=$(stat -c '%d %i' "$1" 2>/dev/null) || return 1
	read -r -a st <<<"$st"
	printf '%02x:%02x:%s\n' $(((st[0] >> 8) & 0xfff)) \
		$(((st[0] & 0xff) | ((st[0] >> 12) & 0xfff00))) "${st[1]}"
}
# nsiso_ofd_locks FILE [BYTE] [TYPE]: how many OFD locks of TYPE (READ, or
# WRITE) are on the whole of FILE, or on its byte BYTE (/proc/locks: "N:
# OFDLCK ADVISORY READ -1 MAJ:MIN:INODE START END").
nsiso_ofd_locks() {
	local id
	id=$(nsiso_lock_id "$1") || { echo 0; return; }
	awk -v id="$id" -v byte="${2-}" -v type="${3:-READ}" '$2 == "OFDLCK" && $4 == type &&
		$6 == id && ((byte == "" && $7 == 0 && $8 == "EOF") || ($7 == byte && $8 == byte)) {n++}
		END {print n + 0}' /proc/locks
}
# nsiso_open_by COMM PATH: the pids of the processes named COMM that have
# PATH open (readlink's text: a removed file's ends in " (deleted)").
nsiso_open_by() {
	local pid fd
	for pid in $(pgrep -x "$1"); do
		for fd in /proc/"$pid"/fd/*; do
			[ "$(readlink "$fd" 2>/dev/null)" = "$2" ] && { echo "$pid"; break; }
		done
	done
	return 0
}
# nsiso_ended N PID...: N of the processes PID... have ended.
nsiso_ended() {
	local n=$1 pid alive=0
	shift
	for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
	[ "$alive" -le $(($# - n)) ]
}
# nsiso_hold_ofd_byte NAME FILE BYTE r|w: a shared (r) or exclusive (w)
# OFD lock on byte BYTE of FILE (made if missing), as a release of before
# takes, held by a process of its own (its pid in NSISO_OFD_PID) until it
# is killed, at the latest at the test's end.
nsiso_hold_ofd_byte() {
	command -v python3 >/dev/null ||
		nsiso_die "python3 is missing: run make check (tests/deps.sh installs it)"
	python3 - "$2" "$3" "$4" >"$T/ofd-$1.out" 2>&1 <<'EOF' &
import fcntl, os, struct, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
F_OFD_SETLK = 37
kind = fcntl.F_RDLCK if sys.argv[3] == "r" else fcntl.F_WRLCK
fcntl.fcntl(fd, F_OFD_SETLK, struct.pack("hhqqi4x", kind, os.SEEK_SET, int(sys.argv[2]), 1, 0))
print("held", flush=True)
time.sleep(600)
EOF
	NSISO_OFD_PID=$!
	nsiso_on_exit _nsiso_terminate "$NSISO_OFD_PID:$(_nsiso_starttime "$NSISO_OFD_PID")"
	nsiso_wait_for grep -q held "$T/ofd-$1.out" >/dev/null ||
		nsiso_die "an OFD lock on $2: $(cat "$T/ofd-$1.out")"
}
