#!/bin/bash
# The user's memory limit is already used up by another session of theirs
# when a new one opens: the helper refuses it ("memory limit ... already used
# up", LOG_CRIT) instead of starting it in a group where it would be OOM-
# killed.  With on_error deny and allow: the configured outcome, one clear
# log line, nothing half-built; the first session is unharmed, and once it
# has ended, everything is gone and a new session opens again.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.bash"
nsiso_setup
lc_require "$LC_LCTOOL"
nsiso_start_syslog || nsiso_skip "/dev/log is taken by another syslog daemon"
lc_init
HOME_DIR=$(getent passwd "$LC_USER" | cut -d: -f6)
install -m 0755 "$LC_LCTOOL" "$HOME_DIR/nsiso-lctool"

# Session A (pamtester held open by pam_exec): a process of the user fills
# the group until less than 2 MiB are left below the limit (the helper
# wants 4 MiB of headroom), then A waits for $T/a.go.
mkfifo "$T/a.ready" "$T/a.go"
exec {ready}<>"$T/a.ready"
cat >"$T/hold" <<HOLD
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
exec 3<>$T/a.go
setpriv --reuid="\$PAM_USER" --regid="\$(id -g "\$PAM_USER")" --init-groups \\
	$HOME_DIR/nsiso-lctool holdmem 2 >$T/a.hog 2>&1 &
i=0
while ! grep -q '^held' $T/a.hog 2>/dev/null && [ \$i -lt 1000 ]; do sleep 0.01; i=\$((i + 1)); done
echo "ready \$(cat $T/a.hog)" >$T/a.ready
read -r go <&3
HOLD
chmod 0755 "$T/hold"
SVC_A=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so $T/hold")
SVC_B=$(lc_service)
CG=$NSISO_CG_V1/memory/$LC_PARENT/user-$LC_UID

a_is_ready() { read -r -t 0 -u "$ready"; }
for oe in deny allow; do
	lc_conf "$oe" "$LC_USER memory 64M"
	pamtester "$SVC_A" "$LC_USER" open_session close_session >"$T/a.out" 2>&1 &
	a=$!
	nsiso_on_exit _nsiso_terminate "$a:$(_nsiso_starttime "$a")"
	nsiso_assert_true "session A is open and has filled its group ($oe)" nsiso_wait_until 20 a_is_ready
	read -r -u "$ready" line
	_nsiso_info "A: $line; usage now $(cat "$CG/memory.usage_in_bytes") of $(cat "$CG/memory.limit_in_bytes")"

	lc_try pamtester "$SVC_B" "$LC_USER" open_session close_session
	# While B was open (allow): A's record, not B's, and B not in the
	# user's group; but two holders: B's waits for B's application to go,
	# since with A in the group it cannot tell that B was never moved in.
	lc_outcome "memory used up ($oe)" "$oe" 2 1 0
	lc_one_line "memory used up ($oe)" crit \
		"memory limit of cgroup $LC_PARENT/user-$LC_UID already used up by the user's other sessions \\([0-9.]+[KMG]? in use, limit 64M\\)" "$oe"
	nsiso_assert_eq "memory used up ($oe): only A's holder is left" 1 "$(lc_holders | wc -l)"
	nsiso_assert_eq "memory used up ($oe): only A's record is left" 1 "$(nsiso_records "$LC_RUN" | wc -l)"
	nsiso_assert_true "memory used up ($oe): A is unharmed" _nsiso_alive "$a"

	echo go 1<>"$T/a.go"
	wait "$a"
	nsiso_assert_eq "session A closes normally ($oe)" 0 "$?"
	lc_nothing_left "memory used up ($oe), after A"
done
lc_try pamtester "$SVC_B" "$LC_USER" open_session close_session
nsiso_assert_eq "with the group empty again, a session opens" 0 "$LC_RC"
nsiso_assert_eq "... isolated, in the user's cgroup" "/$LC_PARENT/user-$LC_UID" "$(_lc_probe cg)"
lc_nothing_left "at the end"
