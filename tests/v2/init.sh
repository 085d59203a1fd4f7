#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# /init of the check-v2 VM (busybox sh, PID 1).  Built into the initramfs by
# tests/v2/run-vm.sh; never run on the host.
#
# Mounts a pure cgroup v2 hierarchy (cgroup2 at /sys/fs/cgroup, no v1 at
# all; the kernel also has cgroup_no_v1=all), runs /cases.sh with the
# results channel on fd 9 (the second serial port, a file on the host), and
# powers the VM off.  The first serial port is the console (kernel messages,
# stray output), kept apart so it cannot garble the results.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
umask 022

mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o nosuid devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /tmp
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup
# Only errors on the console; OOM reports would drown the interesting part.
echo 3 >/proc/sys/kernel/printk
hostname v2-host
ip link set lo up 2>/dev/null

# A syslog for the helper's and the module's messages (shown on failure).
mkdir -p /var/log
syslogd -n -O /var/log/messages &

if exec 9>/dev/ttyS1; then
	echo BEGIN >&9
	sh /cases.sh
	echo END >&9
	# Closing a serial port waits until its output has been sent.
	exec 9>&-
else
	echo "check-v2 init: no /dev/ttyS1 for the results"
fi
sync
poweroff -f
# Not reached unless power-off failed: a panic ends the VM too (panic=-1
# and qemu -no-reboot).
echo o >/proc/sysrq-trigger
sleep 5
exit 1
