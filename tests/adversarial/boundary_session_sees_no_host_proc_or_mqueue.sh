#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A session with its own PID, IPC and mount namespaces keeps no proc or
# mqueue mount of the host's that the copy of the host's mount table
# brought.  A proc mount lists the processes of the PID namespace that
# mounted it (a chroot's /proc on the host: every host process); an mqueue
# mount holds the message queues of the IPC namespace that mounted it
# (systemd's /dev/mqueue: the host's queues, and through them those of
# every other session: an attacker review of 7e05936 passed a message from
# one user's session to another's so).  Exec'd, and via a broker whose
# holders were made ahead before the mounts and after them.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin --syslog U
adv_conf "$U"
SOCK=$T/brk/broker.sock
EXEC_SVC=$(nsiso_make_pam_service "$(nsiso_module_line)
session required pam_exec.so $T/probe
session required pam_permit.so")
BROKER_SVC=$(nsiso_make_pam_service "$(nsiso_module_line "broker=$SOCK")
session required pam_exec.so $T/probe
session required pam_permit.so")

# What the session sees: the host's mounts' directories, and the proc and
# mqueue mounts of its table other than its /proc.
cat >"$T/probe" <<PROBE
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
{
	echo "mq=\$(ls -A $PUB/mq | wc -l)"
	echo "proc=\$(ls -A "$PUB/pro c" | wc -l)"
	echo "mounts=\$(awk '{ for (i = 7; \$i != "-"; i++); if (\$5 != "/proc" && (\$(i + 1) == "proc" || \$(i + 1) == "mqueue")) print \$5 }' /proc/self/mountinfo | tr '\n' ' ')"
	echo "procs=\$(ls -d /proc/[0-9]* | wc -l)"
} >$T/probe.out
PROBE
chmod 0755 "$T/probe"
val() { sed -n "s/^$1=//p" "$T/probe.out"; }

login() { # NAME SERVICE HOW: one login, and what its session saw
	rm -f "$T/probe.out"
	nsiso_log_mark
	nsiso_assert_true "$1: pamtester opens and closes" pamtester "$2" "$U" open_session close_session
	nsiso_assert_true "$1: set up $3" nsiso_wait_log "session [0-9a-f]{16} opened for $U \(uid $U_UID\).*memory 128M$4$" 5
	nsiso_assert_eq "$1: the host's message queues are not there" 0 "$(val mq)"
	nsiso_assert_eq "$1: nor the host's processes in its other proc mount" 0 "$(val proc)"
	nsiso_assert_eq "$1: no proc or mqueue mount but its /proc" "" "$(val mounts)"
	nsiso_assert_true "$1: its own /proc ($(val procs) processes)" test "$(val procs)" -lt 10
}

# A broker whose holders are made before the host's mounts.
nsiso_start_broker "$NSISO_HELPER" "$SOCK"
nsiso_wait_until 10 nsiso_broker_ready || nsiso_die "the broker made no spares"

# (a space in its path: mountinfo writes it \040)
mkdir -p "$PUB/mq" "$PUB/pro c"
nsiso_on_exit nsiso_unmount "$PUB/mq" "$PUB/pro c"
mount -t mqueue nsiso-test "$PUB/mq" || nsiso_die "cannot mount an mqueue"
mount -t proc nsiso-test "$PUB/pro c" || nsiso_die "cannot mount a proc"
# A queue of the host's IPC namespace: it outlives its mount, so removed
# through it at the end.
QUEUE=nsiso-test-$(nsiso_unique)
nsiso_on_exit rm -f "$PUB/mq/$QUEUE"
: >"$PUB/mq/$QUEUE" || nsiso_die "cannot make a message queue"
nsiso_assert_eq "the host sees its queue" "$QUEUE" "$(ls "$PUB/mq")"

login "exec'd" "$EXEC_SVC" "by the exec'd helper" ""
login "broker, holder made before the mounts" "$BROKER_SVC" "by the broker" ", via broker"
_nsiso_stop_broker "$BROKER_PID"
nsiso_start_broker "$NSISO_HELPER" "$SOCK"
nsiso_wait_until 10 nsiso_broker_ready || nsiso_die "the new broker made no spares"
login "broker, holder made after the mounts" "$BROKER_SVC" "by the broker" ", via broker"
nsiso_assert_true "after all: nothing of the user's sessions left" \
	nsiso_wait_for nsiso_session_gone "$U" "$PARENT"
