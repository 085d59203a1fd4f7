#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# One real session under valgrind memcheck: pamtester (so the
# module) runs under valgrind, and the module runs the helper under
# valgrind too (helper= points at a root-owned wrapper that execs valgrind
# on the real helper; the holder, a clone of the helper, is checked as
# well).  Every process must end with no memcheck error and no definite
# leak, and nothing of the session may be left.
#
# Valgrind 3.19 (Debian 12) fails pidfd_open and pidfd_send_signal with
# ENOSYS; tools/vgshim.c runs exactly those two natively (they touch no
# memory of the caller), and the test asserts valgrind met no other
# unhandled system call.
set -u
. "$(dirname "$0")/lib/adv.sh"
adv_begin U
command -v valgrind >/dev/null || nsiso_die "valgrind is not installed (tests/deps.sh)"
VG=$T/vg
SUPP=$NSISO_TOP/tests/adversarial/valgrind.supp
install -d -m 0700 "$VG"
cc=(gcc -O2 -Wall -Wextra -Werror)
"${cc[@]}" -shared -fPIC -o "$PUB/vgshim.so" "$ADV_SRC/vgshim.c" -ldl &&
	"${cc[@]}" -DNSISO_REAL_HELPER="\"$NSISO_HELPER\"" -DNSISO_VGSHIM="\"$PUB/vgshim.so\"" \
		-DNSISO_VG_LOGDIR="\"$VG\"" -DNSISO_VG_SUPP="\"$SUPP\"" -DNSISO_VALGRIND="\"$(command -v valgrind)\"" \
		-o "$PUB/vghelper" "$ADV_SRC/vghelper.c" ||
	nsiso_die "cannot build the valgrind tools"
chmod 0755 "$PUB/vgshim.so" "$PUB/vghelper"

nsiso_write_conf "* cgroup_parent $PARENT
$U isolate uts,ipc,mnt,pid
$U memory 64M
$U swap 16M
$U tasks 50
$U hostname vg-%u" >/dev/null
# pam_exec after the module runs inside the session's namespaces and cgroup.
cat >"$T/probe" <<'PROBE'
#!/bin/sh
[ "$PAM_TYPE" = open_session ] || exit 0
echo "$(hostname) $(cat /proc/1/comm)" >"$(dirname "$0")/probe.out"
PROBE
chmod 0755 "$T/probe"
SVC=$(nsiso_make_pam_service "session required $NSISO_MODULE conf=$T/nsiso.conf helper=$PUB/vghelper run_dir=$T/run
session required pam_exec.so $T/probe")

LD_PRELOAD=$PUB/vgshim.so valgrind --tool=memcheck --error-exitcode=98 --leak-check=full \
	--show-leak-kinds=definite --errors-for-leak-kinds=definite --suppressions="$SUPP" \
	--log-file="$VG/pamtester.%p.log" pamtester "$SVC" "$U" open_session close_session >"$T/pamtester.out" 2>&1
nsiso_assert_eq "pamtester open+close under valgrind: success, no memcheck error (98)" 0 "$?"
nsiso_assert_eq "the session was real: own host name, PID 1 the holder" "vg-$U nsiso-holder" \
	"$(cat "$T/probe.out" 2>/dev/null)"
nsiso_assert_true "the session ends: no holder, process or cgroup left" \
	nsiso_wait_for nsiso_session_gone "$U" "$PARENT"
# A process that exits writes an ERROR SUMMARY; one forked by a process
# under valgrind that then execs (the module's child that execs the helper,
# pam_exec's children) stops being checked at the exec: its log has the
# header and nothing else unless it hit an error before the exec.
summary_logs() { grep -l 'ERROR SUMMARY' "$VG"/*.log 2>/dev/null; }
# The holder (PID 1 of its namespace: helper.1.log) and the reaper, which
# ends after it, have both written their summaries.
all_done() { grep -qs 'ERROR SUMMARY' "$VG"/helper.1.log && [ "$(summary_logs | wc -l)" -ge 4 ]; }
nsiso_wait_for all_done

nsiso_assert_eq "logs with a summary: pamtester, the helper, its holder and its reaper" 4 \
	"$(summary_logs | wc -l)"
for f in "$VG"/*.log; do
	what=$(sed -n 's/^==[0-9]*== Command: \([^ ]*\).*/\1/p' "$f" | head -1)
	what=${what##*/}
	case ${f##*/} in helper.1.log) what="$what, the holder (PID 1)" ;; esac
	if grep -q 'ERROR SUMMARY' "$f"; then
		nsiso_assert_match "${f##*/} [$what]: 0 memcheck errors" 'ERROR SUMMARY: 0 errors' "$(cat "$f")"
		nsiso_assert_match "${f##*/} [$what]: no definite leak" \
			'definitely lost: 0 bytes|All heap blocks were freed|no leaks are possible' "$(cat "$f")"
	else
		nsiso_assert_eq "${f##*/} [$what, a child until its exec]: no memcheck report" "" \
			"$(sed '1,/Parent PID/d' "$f" | grep -v '^==[0-9]*== *$')"
	fi
	nsiso_assert_false "${f##*/} [$what]: no system call valgrind could not handle" \
		grep -q 'unhandled .* syscall' "$f"
done
