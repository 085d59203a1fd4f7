#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A user's child subreaper cannot pile up root's zombies (attacker reviews
# of revs 10b2fe5 and d94714f).  The exec'd helper's holder and reaper are
# orphaned when it exits, and go to the nearest ancestor that made itself a
# subreaper (PR_SET_CHILD_SUBREAPER): a user's process that never waits for
# them kept two root zombies per session, counted by none of the user's
# limits (their group is gone, the zombies are root's); one loop of logins
# made 100 a second, enough to use up the host's PIDs in minutes.  A bound
# per ancestor, looked at by each login, was walked around: subreapers that
# log in below themselves and then exit hand their zombies up to the one
# above (82 under one process).  Now each reaper notes itself and its
# holder when its parent is a user's process, and an exec'd login of the
# user is refused, whatever on_error says, while 8 noted ones are still
# there: four sessions' worth, however they are handed around.
#
# The user's subreaper A starts subreapers B1 and B2 in turn; each runs a
# setuid pamtester (as su would run) three times, waits only for pamtester
# itself, and exits, handing its zombies to A.  After each login the two
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

def zombies():
    me = os.getpid()
    n = 0
    for child in open("/proc/%d/task/%d/children" % (me, me)).read().split():
        try:
            st = open("/proc/%s/status" % child).read()
        except OSError:
            continue
        n += "\nState:\tZ" in st and st.split("\n")[0] in ("Name:\tnsiso-holder", "Name:\tnsiso-reaper")
    return n

def wait_for(want):
    deadline = time.monotonic() + 60
    while zombies() < want and time.monotonic() < deadline:
        time.sleep(0.05)

def login():
    r = subprocess.run([pamtester, svc, user, "open_session", "close_session"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0

def subreaper(name, tries):
    pid = os.fork()
    if pid == 0:
        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
        ok = 0
        for i in range(tries):
            went = login()
            if went:
                ok += 1
                wait_for(2 * ok)
            print("%s login %d: %s, zombies %d" % (name, i + 1, "ok" if went else "refused", zombies()),
                  flush=True)
        os._exit(0)    # without a wait: its zombies go to A
    os.waitpid(pid, 0)    # B itself only

subreaper("B1", 3)
wait_for(6)
print("A after B1: zombies %d" % zombies(), flush=True)
subreaper("B2", 3)
wait_for(8)
time.sleep(0.5)
print("A after B2: zombies %d" % zombies(), flush=True)
print("A login: %s, zombies %d" % ("ok" if login() else "refused", zombies()), flush=True)
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
for i in 1 2 3; do
	nsiso_assert_eq "B1's login $i goes through" "B1 login $i: ok, zombies $((2 * i))" "$(line "B1 login $i:")"
done
nsiso_assert_eq "B1 exits: A keeps its 6 zombies" "A after B1: zombies 6" "$(line "A after B1:")"
nsiso_assert_eq "B2's first login goes through (7 and 8)" "B2 login 1: ok, zombies 2" "$(line "B2 login 1:")"
nsiso_assert_eq "B2's second, with 8 of the user's kept (on_error allow): refused" \
	"B2 login 2: refused, zombies 2" "$(line "B2 login 2:")"
nsiso_assert_eq "B2's third: refused" "B2 login 3: refused, zombies 2" "$(line "B2 login 3:")"
nsiso_assert_eq "B2 exits: A keeps 8, no more" "A after B2: zombies 8" "$(line "A after B2:")"
nsiso_assert_eq "A's own login: refused" "A login: refused, zombies 8" "$(line "A login:")"
nsiso_assert_true "the refusal is logged with the count and the keeper" \
	nsiso_wait_log "pam_nsiso.*8 processes of the user's ended sessions are left unreaped \(process [0-9]+, uid $(id -u "$USER_A"), keeps one.*login denied"
nsiso_assert_eq "once A reaps them, none left" "reaped: zombies 0" "$(line reaped:)"
nsiso_assert_eq "and the user's logins go through again" "after reaping: ok" \
	"$(line "after reaping:")"
nsiso_assert_true "nothing of the user's sessions is left" \
	nsiso_wait_for nsiso_session_gone "$USER_A" "$PARENT"
