#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# nsisoctl status and kill on a run directory that is missing (no session
# was ever opened: empty output, status 0) or bad (relative, 0755, not
# root's, a symbolic link: the error and status 1, never empty tables that a
# monitoring script would read as "no sessions"); root's quota likewise.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
CTL=$NSISO_TOP/ctl/nsisoctl

# run NAME ARGS...: stdout, stderr and exit status of nsisoctl in $T/NAME.*
run() {
	local name=$1
	shift
	"$CTL" "$@" >"$T/$name.out" 2>"$T/$name.err"
	echo $? >"$T/$name.rc"
}
rc() { cat "$T/$1.rc"; }

# Missing: no sessions, status 0, in both forms.
run missing status --run-dir "$T/absent"
nsiso_assert_eq "missing run dir: status 0" 0 "$(rc missing)"
nsiso_assert_match "missing run dir: the empty tables" '^SESSION .*PROCS' "$(head -n1 "$T/missing.out")"
nsiso_assert_eq "missing run dir: nothing on stderr" "" "$(cat "$T/missing.err")"
run missing_json status --json --run-dir "$T/absent/deeper"
nsiso_assert_eq "missing run dir (and parent): --json status 0" 0 "$(rc missing_json)"
nsiso_assert_eq "missing run dir: --json is the empty object" '{"sessions": [], "users": []}' \
	"$(python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)))' <"$T/missing_json.out")"

# An empty good one: status 0 as well, 0711 (as the helper makes it, so
# users reach their quota socket) or 0700 (as older versions made it).
install -d -m 0700 -o root -g root "$T/good"
run good status --json --run-dir "$T/good"
nsiso_assert_eq "empty 0700 run dir: status 0" 0 "$(rc good)"
install -d -m 0711 -o root -g root "$T/good711"
run good711 status --json --run-dir "$T/good711"
nsiso_assert_eq "empty 0711 run dir: status 0" 0 "$(rc good711)"

# Bad ones: the error, status 1, nothing on stdout; kill and quota too.
install -d -m 0755 -o root -g root "$T/open"
install -d -m 0700 -o nobody -g root "$T/users"
ln -s "$T/good" "$T/link"
check_bad() {
	local what=$1 dir=$2 why=$3 verb
	for verb in "status" "status --json" "kill --user root" "quota root"; do
		# shellcheck disable=SC2086 # verb is words on purpose
		run bad $verb --run-dir "$dir"
		nsiso_assert_eq "$what: $verb: status 1" 1 "$(rc bad)"
		nsiso_assert_match "$what: $verb: says why" "$why" "$(cat "$T/bad.err")"
		nsiso_assert_eq "$what: $verb: nothing on stdout" "" "$(cat "$T/bad.out")"
	done
}
check_bad "mode 0755" "$T/open" "must be a directory owned by root with mode 0711 or 0700"
check_bad "owned by nobody" "$T/users" "must be a directory owned by root with mode 0711 or 0700"
check_bad "relative" "relative/run" "is not an absolute path"
check_bad "symbolic link" "$T/link" "cannot open $T/link"
check_bad "a file" /etc/passwd "cannot open /etc/passwd"
