#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A user's child subreaper cannot pile up root's zombies (an attacker review
# of rev 10b2fe5).  The exec'd helper's holder and reaper are orphaned when
# it exits, and go to the nearest ancestor that made itself a subreaper
# (PR_SET_CHILD_SUBREAPER): a user's process that never waits for them kept
# two root zombies per session, counted by none of the user's limits (their
# group is gone, the zombies are root's); one loop of logins made 100 a
# second, enough to use up the host's PIDs in minutes.  Now a login is
# refused, whatever on_error says, while an ancestor of the application
# keeps NSISO_UNREAPED_MAX (8) of them: four sessions' worth.
#
# The user's subreaper runs a setuid pamtester (as su would run) over and
# over and waits only for pamtester itself; after each login the two
# zombies are waited for, so the count is exact when the next one looks.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
nsiso_start_syslog || nsiso_skip "/dev/log is taken by another syslog daemon"

USER_A=$(nsiso_make_user) || nsiso_die "cannot create user"
PARENT=$(nsiso_cgroup_parent)
nsiso_write_conf "* cgroup_parent $PARENT
$USER_A isolate uts,ipc,mnt,pid
$USER_A memory 128M
$USER_A tasks 100
$USER_A on_error allow" >/dev/null
SVC=$(nsiso_make_pam_service "$(nsiso_module_line)")
PUB=$(nsiso_public_dir)
install -m 4755 -o root /usr/bin/pamtester "$PUB/pamtester"

cat >"$PUB/subreaper.py" <<'EOF'
import ctypes, os, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)    # PR_SET_CHILD_SUBREAPER
pamtester, svc, user = sys.argv[1:4]
me = os.getpid()

def zombies():
    n = 0
    for child in open("/proc/%d/task/%d/children" % (me, me)).read().split():
        try:
            st = open("/proc/%s/status" % child).read()
        except OSError:
            continue
        n += "\nState:\tZ" in st and st.split("\n")[0] in ("Name:\tnsiso-holder", "Name:\tnsiso-reaper")
    return n

def login():
    r = subprocess.run([pamtester, svc, user, "open_session", "close_session"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0

ok = 0
for i in range(6):
    went = login()
    if went:
        ok += 1
        deadline = time.monotonic() + 60
        while zombies() < 2 * ok and time.monotonic() < deadline:
            time.sleep(0.05)
    print("login %d: %s, zombies %d" % (i + 1, "ok" if went else "refused", zombies()), flush=True)
while True:
    try:
        if os.waitpid(-1, 0)[0] <= 0:
            break
    except ChildProcessError:
        break
print("reaped: zombies %d" % zombies(), flush=True)
print("after reaping: %s" % ("ok" if login() else "refused"), flush=True)
EOF

nsiso_log_mark
setpriv --reuid="$USER_A" --regid="$USER_A" --init-groups \
	timeout 300 python3 "$PUB/subreaper.py" "$PUB/pamtester" "$SVC" "$USER_A" >"$T/sub.out" 2>&1
cat "$T/sub.out"
line() { grep "^$1" "$T/sub.out"; }
for i in 1 2 3 4; do
	nsiso_assert_eq "login $i under the user's subreaper goes through" \
		"login $i: ok, zombies $((2 * i))" "$(line "login $i:")"
done
nsiso_assert_eq "login 5, with 8 of root's zombies kept above it: refused (on_error allow)" \
	"login 5: refused, zombies 8" "$(line "login 5:")"
nsiso_assert_eq "login 6 too: the zombies stay at 8" "login 6: refused, zombies 8" "$(line "login 6:")"
nsiso_assert_true "the refusal is logged with the subreaper and the count" \
	nsiso_wait_log "pam_nsiso.*keeps 8 ended sessions' processes unreaped.*login denied"
nsiso_assert_eq "once it reaps them, none left" "reaped: zombies 0" "$(line reaped:)"
nsiso_assert_eq "and the user's logins there go through again" "after reaping: ok" \
	"$(line "after reaping:")"
nsiso_assert_true "nothing of the user's sessions is left" \
	nsiso_wait_for nsiso_session_gone "$USER_A" "$PARENT"
