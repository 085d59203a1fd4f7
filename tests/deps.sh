#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# Install what building and testing pam_nsiso needs on Debian 12, and nothing
# that is already there.  Services are never started by the install: tests
# start their own private sshd and syslog daemon.
set -eu

packages=(
	gcc make libc6-dev pkg-config
	libpam0g-dev libpam-modules libcgroup-dev cgroup-tools libcmocka-dev libsystemd-dev
	pamtester openssh-server openssh-client rsyslog dbus-daemon
	procps psmisc util-linux bsdutils iproute2 passwd mandoc
	valgrind gdb binutils cppcheck clang-tidy
	fuse3 bindfs python3
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
# Keep package scripts from starting sshd or rsyslog on this machine.
made_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 0755 /usr/sbin/policy-rc.d
	made_policy=1
fi
trap '[ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
