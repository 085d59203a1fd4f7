#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# The user's memory limit is already used up by another session of theirs
# when a new one opens: the helper refuses it ("memory limit ... already used
# up", LOG_CRIT) instead of starting it in a group where it would be OOM-
# killed.  The user can cause this failure, so it denies the login under
# on_error allow too (isolation is never switched off by something the user
# does): one clear log line, nothing half-built; the first session is
# unharmed, and once it has ended, everything is gone and a new session opens
# again.
set -u
. "$(dirname "$0")/lib.bash"
lc_begin --syslog --tool "$LC_LCTOOL"
HOME_DIR=$(getent passwd "$LC_USER" | cut -d: -f6)
install -m 0755 "$LC_LCTOOL" "$HOME_DIR/nsiso-lctool"

# Session A (pamtester held open by pam_exec): a process of the user fills
# the group until less than 2 MiB are left below the limit (the helper
# wants 4 MiB of headroom); A reports on $T/a.ready what the hog printed
# (each round has its own file, $T/a-ROUND.hog, ROUND from $T/round), or
# that it gave up waiting for it, and then waits for $T/a.go.
mkfifo "$T/a.ready" "$T/a.go"
exec {ready}<>"$T/a.ready"
cat >"$T/hold" <<HOLD
#!/bin/bash
[ "\$PAM_TYPE" = open_session ] || exit 0
exec 3<>$T/a.go
hog=$T/a-\$(cat $T/round).hog
# The hog opens the group's files as root (the group is 0700), then
# becomes the user and fills the group.
$HOME_DIR/nsiso-lctool holdmem 2 "\$(id -u "\$PAM_USER")" "\$(id -g "\$PAM_USER")" >\$hog 2>&1 &
state=ready
until grep -q '^held' \$hog 2>/dev/null; do
	[ \$SECONDS -lt $NSISO_WAIT_S ] || { state="gave up after \$SECONDS s:"; break; }
	sleep 0.05
done
cg=\$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
echo "\$state hog said '\$(cat \$hog)'; group \$cg usage \$(cat /sys/fs/cgroup/memory\$cg/memory.usage_in_bytes)" >$T/a.ready
read -r go <&3
HOLD
chmod 0755 "$T/hold"
SVC_A=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so $T/hold")
SVC_B=$(lc_service)
CG=$NSISO_CG_V1/memory/$LC_PARENT/user-$LC_UID

a_is_ready() { read -r -t 0 -u "$ready"; }
for oe in deny allow; do
	name="memory used up (on_error $oe)"
	lc_conf "$oe" "$LC_USER memory 64M"
	echo "$oe" >"$T/round"
	pamtester "$SVC_A" "$LC_USER" open_session close_session >"$T/a.out" 2>&1 &
	a=$!
	nsiso_on_exit _nsiso_terminate "$a:$(_nsiso_starttime "$a")"
	nsiso_assert_true "session A is open ($oe)" nsiso_wait_for a_is_ready
	line=
	a_is_ready && read -r -u "$ready" line
	nsiso_assert_match "session A's hog has filled the group ($oe)" "^ready hog said 'held " "$line"
	_nsiso_info "A: $line; usage now $(cat "$CG/memory.usage_in_bytes" 2>&1) of $(cat "$CG/memory.limit_in_bytes" 2>&1)"

	lc_try pamtester "$SVC_B" "$LC_USER" open_session close_session
	# Denied under either on_error.  B's holder, if the helper got that
	# far, waits for B's application to go: with A in the group it cannot
	# tell that B was never moved in.
	lc_outcome "$name" deny
	lc_one_line "$name" crit \
		"memory limit of cgroup $LC_PARENT/user-$LC_UID already used up by the user's other sessions \\([0-9.]+[KMG]? in use, limit 64M\\)" \
		"$oe" "login denied.*"
	nsiso_assert_eq "$name: only A's holder is left" 1 "$(nsiso_holders_of "$LC_USER" | wc -l)"
	nsiso_assert_eq "$name: only A's record is left" 1 "$(nsiso_records "$LC_RUN" | wc -l)"
	nsiso_assert_true "$name: A is unharmed" _nsiso_alive "$a"

	echo go 1<>"$T/a.go"
	wait "$a"
	nsiso_assert_eq "session A closes normally ($oe)" 0 "$?"
	lc_nothing_left "$name, after A"
done
lc_try pamtester "$SVC_B" "$LC_USER" open_session close_session
nsiso_assert_eq "with the group empty again, a session opens" 0 "$LC_RC"
nsiso_assert_eq "... isolated, in the user's cgroup" "/$LC_PARENT/user-$LC_UID" "$(_lc_probe cg)"
lc_nothing_left "at the end"
