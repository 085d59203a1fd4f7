#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# nsisoctl check and explain against a corpus of confs with expected output
# (tests/ctl/check, tests/ctl/explain).  @USER@ and @UID@ in a conf stand for
# a test user in group "users"; <dir> in an expected file is the temp dir.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
CTL=$NSISO_TOP/ctl/nsisoctl
CASES=$NSISO_TOP/tests/ctl

USER1=$(nsiso_make_user) || nsiso_die "cannot create user"
usermod -a -G users "$USER1"
UID1=$(id -u "$USER1")

# Run nsisoctl on a case's conf (copied into $T, root-owned 0644) and compare
# its output plus exit status with the .expected file.
run_case() {
	local verb=$1 conf=$2 name expected actual
	name=$(basename "$conf" .conf)
	sed "s/@USER@/$USER1/g; s/@UID@/$UID1/g" "$conf" >"$T/$name.conf"
	chmod 0644 "$T/$name.conf"
	expected=$(sed "s/@USER@/$USER1/g; s/@UID@/$UID1/g" "${conf%.conf}.expected")
	if [ "$verb" = check ]; then
		actual=$("$CTL" check "$T/$name.conf" 2>&1)
	else
		actual=$("$CTL" explain "$USER1" --conf "$T/$name.conf" 2>&1)
	fi
	actual="$actual
exit $?"
	actual=${actual//$T/<dir>}
	nsiso_assert_eq "$verb $name" "$expected" "$actual"
}

for conf in "$CASES"/check/*.conf; do run_case check "$conf"; done
for conf in "$CASES"/explain/*.conf; do run_case explain "$conf"; done

# Ownership and mode problems are reported like syntax errors.
printf '* memory 1G\n' >"$T/open.conf"
chmod 0666 "$T/open.conf"
nsiso_assert_eq "check: world-writable file" "$T/open.conf: writable by group or others" \
	"$("$CTL" check "$T/open.conf")"
ln -s "$T/open.conf" "$T/link.conf"
nsiso_assert_eq "check: symlink" "$T/link.conf: cannot open: is a symbolic link" \
	"$("$CTL" check "$T/link.conf")"
chown "$USER1" "$T/open.conf"
chmod 0644 "$T/open.conf"
"$CTL" check "$T/open.conf" >/dev/null
nsiso_assert_eq "check: file owned by a user fails with status 1" 1 "$?"
nsiso_assert_eq "check: several files, one bad, status 1" 1 \
	"$("$CTL" check "$CASES/check/good.conf" "$T/open.conf" >/dev/null; echo $?)"

# Usage errors and help.
"$CTL" frobnicate >/dev/null 2>&1
nsiso_assert_eq "unknown verb: status 2" 2 "$?"
"$CTL" explain >/dev/null 2>&1
nsiso_assert_eq "explain without user: status 2" 2 "$?"
nsiso_assert_match "--help lists every verb" 'check.*explain.*status.*kill' \
	"$("$CTL" --help | tr '\n' ' ')"
nsiso_assert_match "--version" '^nsisoctl [0-9]+\.[0-9]+\.[0-9]+$' "$("$CTL" --version)"
nsiso_assert_eq "explain: unknown user: status 1" 1 \
	"$("$CTL" explain no-such-user-nsiso --conf "$T/open.conf" >/dev/null 2>&1; echo $?)"
