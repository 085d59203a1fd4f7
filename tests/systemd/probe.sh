#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# What a process sees, as key=value lines: run inside the check-systemd VM
# (as /usr/local/lib/nsiso-vm/probe) from an SSH login, su, cron, at, a
# user timer, or as root for the host's view.  Never run on the host.
echo "host=$(hostname)"
echo "uid=$(id -u)"
echo "pid1=$(cat /proc/1/comm 2>/dev/null)"
echo "procs=$(ls -d /proc/[0-9]* | wc -l)"
for ns in uts ipc mnt pid; do
	echo "ns_$ns=$(readlink /proc/self/ns/$ns)"
done
# st_dev of /dev/shm: a session's own tmpfs is another device.
echo "shm_dev=$(stat -c %d /dev/shm)"
echo "cg_unified=$(sed -n 's/^0:://p' /proc/self/cgroup)"
echo "cg_systemd=$(sed -n 's/^[0-9]*:name=systemd://p' /proc/self/cgroup)"
echo "cg_memory=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)"
echo "cg_pids=$(sed -n 's/^[0-9]*:pids://p' /proc/self/cgroup)"
echo "session=${XDG_SESSION_ID:-}"
echo "cgroup_lines=$(tr '\n' ' ' </proc/self/cgroup)"
