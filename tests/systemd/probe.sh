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
# systemd's /dev/mqueue: a session's own mqueue instance is another device,
# and holds none of the host's queues.
echo "mq_dev=$(stat -c %d /dev/mqueue 2>/dev/null)"
echo "mq=$(ls -A /dev/mqueue 2>/dev/null | tr '\n' ' ')"
echo "cg_unified=$(sed -n 's/^0:://p' /proc/self/cgroup)"
echo "cg_systemd=$(sed -n 's/^[0-9]*:name=systemd://p' /proc/self/cgroup)"
echo "cg_memory=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)"
echo "cg_pids=$(sed -n 's/^[0-9]*:pids://p' /proc/self/cgroup)"
echo "session=${XDG_SESSION_ID:-}"
echo "cgroup_lines=$(tr '\n' ' ' </proc/self/cgroup)"
echo "cgns=$(readlink /proc/self/ns/cgroup)"
echo "cg_not_root=$(grep -vc ':/$' /proc/self/cgroup)"
echo "cg_above_root=$(grep -c ':/\.\.' /proc/self/cgroup)"
# In a cgroup namespace of its own (isolate ...,cgroup) a process reads only
# "/" above: where it is on the host is where systemd has its unit, asked
# for the caller (GetUnitByPID 0) over the system bus.
unit=$(busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
	org.freedesktop.systemd1.Manager GetUnitByPID u 0 2>/dev/null | sed -n 's/^o "\(.*\)"$/\1/p')
id=
[ -n "$unit" ] && id=$(busctl get-property org.freedesktop.systemd1 "$unit" \
	org.freedesktop.systemd1.Unit Id 2>/dev/null | sed -n 's/^s "\(.*\)"$/\1/p')
echo "unit=$id"
echo "unit_cg=$([ -n "$id" ] && systemctl show -P ControlGroup "$id" 2>/dev/null)"
echo "tmp=$(stat -c '%U %a' /tmp) $(awk '$5 == "/tmp" { r = $4 } END { print r }' /proc/self/mountinfo | grep -o '[.]nsiso-tmp/[0-9]*$')"
