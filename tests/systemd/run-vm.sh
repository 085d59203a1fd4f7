#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# make check-systemd: pam_nsiso on a real systemd host, proven through real
# SSH logins.
#
# 1. A Debian 12 root file system from mmdebstrap (minbase + systemd, dbus,
#    libpam-systemd, openssh-server, cron, at, ...) from this machine's own
#    apt sources, cached in tests/build/systemd/rootfs-<hash>.tar; the hash
#    covers the package list, the mmdebstrap options and the sources, so the
#    tarball is rebuilt only when one of them changes.
# 2. The project's .deb, built as make check-deb builds it
#    (tests/deb/build-deb.sh, in a copy under /tmp), installed into a copy of
#    that root with apt-get in a chroot and enabled exactly as README.md tells
#    an admin: pam-auth-update --enable nsiso, with the shipped nsiso.conf
#    edited as an admin would (memory 160M, tasks 512, hostname box-%u,
#    memory_high 156M, cpu 400%, cpu_weight 200, io_weight 300 for uids >=
#    1000; no cgroup_mode line).  Users alice (1000) and bob (1001)
#    log in with a key made for this run; dave (1003), limits only on his
#    slice (a drop-in in /etc/security/nsiso.d), logs in too; carol (1002)
#    gets limits only with cgroup_mode own from the case that uses her.
# 3. That root as an uncompressed initramfs, booted with
#    rdinit=/lib/systemd/systemd on Debian's cloud kernel (tests/vm/lib.sh)
#    under qemu TCG, twice: the default (cgroup v2, unified) and
#    systemd.unified_cgroup_hierarchy=0 (hybrid).  A oneshot unit runs
#    tests/systemd/cases.sh after multi-user.target: SSH logins to the VM's
#    own sshd on 127.0.0.1, cron, at, su, systemd-run --user, a lingering
#    user's timer, loginctl.  One line per assertion on the second serial
#    port; here they are printed with the boot's name, then
#    "N passed, N failed".  Exit status non-zero on any failure.
#
# Needs root.  Installs mmdebstrap, qemu-system-x86, cpio and the package's
# build dependencies when missing.  The VM needs no network: everything it
# runs is in its initramfs.  Temporary files live in /tmp/nsiso-sd.*, removed
# at exit; qemu never outlives this script.
#
#   NSISO_SD_TIMEOUT=900     seconds each boot may run (one killed at it before
#                            any case ran is booted once more)
#   NSISO_SD_BOOTS="unified hybrid"   which boots
#   NSISO_SD_VERBOSE=1       print the VM's logs even on success
#   NSISO_SD_APPEND=...      extra kernel command line
#   NSISO_SD_SOURCES=FILE    apt sources for mmdebstrap (default: this
#                            machine's debian.sources or sources.list)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/tests/build/systemd
timeout_s=${NSISO_SD_TIMEOUT:-900}
boots=${NSISO_SD_BOOTS:-unified hybrid}

VM_NAME=check-systemd
VM_WORK=""
# shellcheck source=tests/vm/lib.sh
. "$top/tests/vm/lib.sh"
say() { vm_say "$@"; }
die() { vm_die "$@"; }

[ "$(id -u)" -eq 0 ] || die "needs root (mmdebstrap, chroot, apt-get)"

work=""
debdir=""
cleanup() {
	vm_cleanup
	case $work in
	/tmp/nsiso-sd.?*) rm -rf -- "$work" ;;
	esac
	case $debdir in
	/tmp/nsiso-deb.?*) rm -rf -- "$debdir" ;;
	esac
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT
trap 'say terminated; exit 143' TERM

work=$(mktemp -d /tmp/nsiso-sd.XXXXXX)
VM_WORK=$work
mkdir -p "$build"
t_start=$SECONDS

# ---- packages on this machine -------------------------------------------------

# The package's build dependencies, from debian/control (nocheck: no cmocka).
mapfile -t build_deps < <(sed -n '/^Build-Depends:/,/^[^ ]/{s/^Build-Depends://; /^[^ ]/!p}' \
	"$top/debian/control" | tr ',' '\n' | grep -v '<!nocheck>' |
	sed 's/([^)]*)//g; s/<[^>]*>//g; s/[[:space:]]//g; s/^debhelper-compat$/debhelper/' | sed '/^$/d')
vm_install_missing mmdebstrap qemu-system-x86 cpio build-essential dpkg-dev fakeroot "${build_deps[@]}"

vm_kernel
# What systemd and the cases need, built in (the initramfs has no modules).
vm_require_kernel_config CGROUPS MEMCG CGROUP_PIDS UTS_NS IPC_NS PID_NS DEVTMPFS TMPFS \
	BLK_DEV_INITRD BINFMT_SCRIPT SERIAL_8250 SERIAL_8250_CONSOLE UNIX INOTIFY_USER \
	SIGNALFD TIMERFD EPOLL FHANDLE

# ---- the package, built as check-deb builds it --------------------------------

t0=$SECONDS
# Its own directory: the builder (nobody) must reach it.
debdir=$(mktemp -d /tmp/nsiso-deb.XXXXXX)
DEB_BUILD_OPTIONS=nocheck "$top/tests/deb/build-deb.sh" "$debdir" >&2 ||
	die "building the .deb failed (logs above)"
deb=$(echo "$debdir"/libpam-nsiso_*_"$(dpkg --print-architecture)".deb)
[ -f "$deb" ] || die "no libpam-nsiso .deb was built"
say "built ${deb##*/} ($((SECONDS - t0)) s)"

# ---- the root file system, cached -------------------------------------------

# What the image is made of.  The .deb's own dependencies are added by name,
# so that it installs without a network; a change of any of this (or of the
# sources) makes a new tarball.
packages=(systemd systemd-sysv dbus dbus-user-session libpam-systemd openssh-server
	openssh-client cron at procps iproute2 psmisc pamtester)
mapfile -t deb_deps < <(dpkg-deb -f "$deb" Depends | tr ',|' '\n\n' |
	sed 's/([^)]*)//g; s/:any//; s/[[:space:]]//g' | sed '/^$/d')
mapfile -t packages < <(printf '%s\n' "${packages[@]}" "${deb_deps[@]}" | LC_ALL=C sort -u)
mm_opts=(--variant=minbase
	--dpkgopt='path-exclude=/usr/share/man/*'
	--dpkgopt='path-exclude=/usr/share/doc/*'
	--dpkgopt='path-include=/usr/share/doc/*/copyright'
	--dpkgopt='path-exclude=/usr/share/locale/*'
	--dpkgopt='path-exclude=/usr/share/info/*')
suite=bookworm

sources=${NSISO_SD_SOURCES:-}
if [ -z "$sources" ]; then
	for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
		if [ -s "$f" ] && grep -q '^[^#]' "$f"; then
			sources=$f
			break
		fi
	done
fi
[ -n "$sources" ] && [ -s "$sources" ] || die "no apt sources found (set NSISO_SD_SOURCES)"

key=$( {
	printf 'suite %s\n' "$suite"
	printf 'package %s\n' "${packages[@]}"
	printf 'option %s\n' "${mm_opts[@]}"
	grep -v '^[[:space:]]*#' "$sources"
} | sha256sum | cut -c1-16)
rootfs=$build/rootfs-$key.tar

exec {lock}>"$build/.lock"
flock "$lock"
if [ -s "$rootfs" ]; then
	say "root file system: cached ${rootfs#"$top"/}"
else
	say "mmdebstrap $suite (${#packages[@]} packages, sources $sources); log in $build/mmdebstrap.log"
	t0=$SECONDS
	pkglist=$(IFS=,; echo "${packages[*]}")
	# (mmdebstrap takes the output format from the name: it must end in .tar)
	if ! mmdebstrap --quiet --format=tar "${mm_opts[@]}" --include="$pkglist" \
		"$suite" "$build/new-$key.tar" "$sources" >"$build/mmdebstrap.log" 2>&1; then
		tail -n 30 "$build/mmdebstrap.log" >&2
		rm -rf "$build/new-$key.tar"
		die "mmdebstrap failed"
	fi
	mv "$build/new-$key.tar" "$rootfs"
	{
		printf 'suite %s\nsources %s\n' "$suite" "$sources"
		printf 'package %s\n' "${packages[@]}"
	} >"${rootfs%.tar}.info"
	# Only the newest tarball is kept.
	find "$build" -maxdepth 1 -name 'rootfs-*' ! -name "rootfs-$key.*" -type f -delete
	say "root file system built in $((SECONDS - t0)) s: ${rootfs#"$top"/}"
fi
flock -u "$lock"
exec {lock}>&-

# ---- this run's image: the package installed and enabled as README says ------

root=$work/root
mkdir "$root"
# Numeric owners: the image's users are not this machine's.
tar --numeric-owner --xattrs --xattrs-include='*' -C "$root" -xf "$rootfs"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }

cp "$deb" "$root/tmp/"
in_root apt-get install -y -q "/tmp/${deb##*/}" >"$work/apt-install.log" 2>&1 ||
	{ cat "$work/apt-install.log" >&2; die "apt-get install of the .deb in the image failed"; }
rm -f "$root/tmp/${deb##*/}"
# The admin's edits of the shipped conf: the lines for uids >= 1000.
conf=$root/etc/security/nsiso.conf
grep -q '^1000: *memory' "$conf" && grep -q '^1000: *tasks' "$conf" && grep -q '^1000: *hostname' "$conf" ||
	die "the shipped nsiso.conf has no 1000: memory/tasks/hostname lines to edit"
sed -i -E 's/^(1000: +memory +).*/\1160M/; s/^(1000: +tasks +).*/\1512/; s/^(1000: +hostname +).*/\1box-%u/' "$conf"
# And the cpu and io items as an admin would add them: a quota and weights
# that leave a 2-CPU VM's timing alone, memory_high just below memory.
printf '1000:       %s\n' 'memory_high 156M' 'cpu 400%' 'cpu_weight 200' 'io_weight 300' >>"$conf"
grep -q '^1000: *isolate *uts,ipc,mnt,pid,cgroup$' "$conf" || die "the shipped nsiso.conf does not isolate uids >= 1000"
in_root nsisoctl check >"$work/nsisoctl-check.log" 2>&1 ||
	{ cat "$work/nsisoctl-check.log" >&2; die "nsisoctl check fails on the edited conf"; }
in_root pam-auth-update --enable nsiso

# The VM's name, users and keys.
echo nsiso-vm >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tnsiso-vm\n' >"$root/etc/hosts"
in_root useradd -m -u 1000 -U -s /bin/bash alice
in_root useradd -m -u 1001 -U -s /bin/bash bob
in_root useradd -m -u 1002 -U -s /bin/bash carol
in_root useradd -m -u 1003 -U -s /bin/bash dave
# dave: limits only, on his slice (he keeps his user manager, with the
# subtree it delegates to him), in a drop-in as an admin would add him.
# carol's drop-in (cgroup_mode own) is written by the case that uses her.
install -d -m 0755 "$root/etc/security/nsiso.d"
printf 'dave        %s\n' 'isolate none' 'private_tmp no' >"$root/etc/security/nsiso.d/dave.conf"
in_root nsisoctl check >"$work/nsisoctl-check.log" 2>&1 ||
	{ cat "$work/nsisoctl-check.log" >&2; die "nsisoctl check fails with dave's drop-in"; }
in_root usermod -p '*' alice
in_root usermod -p '*' bob
in_root usermod -p '*' dave
install -d -m 0700 "$root/root/.ssh"
in_root ssh-keygen -q -t ed25519 -N '' -C check-systemd -f /root/.ssh/id_ed25519
for u in root alice bob dave; do
	h=/home/$u
	[ "$u" = root ] && h=/root
	install -d -m 0700 "$root$h/.ssh"
	install -m 0600 "$root/root/.ssh/id_ed25519.pub" "$root$h/.ssh/authorized_keys"
	in_root chown -R "$u:" "$h/.ssh"
done

# bob's user timer, for the lingering case: it writes what it sees.
ud=$root/home/bob/.config/systemd/user
mkdir -p "$ud/timers.target.wants"
cat >"$ud/nsiso-probe.timer" <<'EOF'
[Unit]
Description=check-systemd: a lingering user's timer

[Timer]
OnActiveSec=2s
AccuracySec=1s

[Install]
WantedBy=timers.target
EOF
cat >"$ud/nsiso-probe.service" <<'EOF'
[Unit]
Description=check-systemd: what a lingering user's timer sees

[Service]
Type=oneshot
ExecStart=/bin/sh -c '/usr/local/lib/nsiso-vm/probe >%h/timer.out 2>&1'
EOF
ln -s ../nsiso-probe.timer "$ud/timers.target.wants/nsiso-probe.timer"
in_root chown -R bob: /home/bob/.config

# The cases, the probe, a static memory hog and a socket buffer hog.
install -D -m 0755 "$top/tests/systemd/cases.sh" "$root/usr/local/lib/nsiso-vm/cases.sh"
install -D -m 0755 "$top/tests/systemd/probe.sh" "$root/usr/local/lib/nsiso-vm/probe"
cc -static -O2 -Wall -Wextra -Werror -o "$root/usr/local/bin/memhog" "$top/tests/tools/memhog.c"
cc -static -O2 -Wall -Wextra -Werror -o "$root/usr/local/bin/sockhog" "$top/tests/adversarial/tools/sockhog.c"
# sd-bus against systemctl for a slice's limits, measured where systemd is
# PID 1 (bench/systemd_limits.c; this machine's libsystemd is the image's).
make -s -C "$top" bench/build/systemd_limits >"$work/bench-build.log" 2>&1 ||
	{ cat "$work/bench-build.log" >&2; die "building bench/build/systemd_limits failed"; }
install -m 0755 "$top/bench/build/systemd_limits" "$root/usr/local/bin/nsiso-systemd-limits"
cat >"$root/etc/systemd/system/nsiso-vm-cases.service" <<'EOF'
[Unit]
Description=pam_nsiso check-systemd cases
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/usr/local/lib/nsiso-vm/cases.sh
StandardOutput=journal
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
EOF
ln -s /etc/systemd/system/nsiso-vm-cases.service \
	"$root/etc/systemd/system/multi-user.target.wants/nsiso-vm-cases.service"
# No udev here: a getty on ttyS0 would wait 90 s for its device.  The
# archive's periodic jobs have nothing to do in a test VM.
for unit in serial-getty@ttyS0.service apt-daily.timer apt-daily-upgrade.timer \
	dpkg-db-backup.timer e2scrub_all.timer fstrim.timer e2scrub_reap.service; do
	ln -sf /dev/null "$root/etc/systemd/system/$unit"
done

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$work/initrd.cpio"
rm -rf "$root"
say "image ready: $(du -m "$work/initrd.cpio" | cut -f1) MiB initramfs ($((SECONDS - t_start)) s so far)"

# ---- boots ------------------------------------------------------------------

base_append="console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/lib/systemd/systemd"
for boot in $boots; do
	case $boot in
	unified) append="$base_append" ;;
	hybrid) append="$base_append systemd.unified_cgroup_hierarchy=0" ;;
	*) die "unknown boot '$boot' (unified, hybrid)" ;;
	esac
	say "booting $boot: $(basename "$VM_VMLINUZ") (tcg, 2 cpus, 2G, timeout ${timeout_s}s)"
	fail_before=$VM_FAIL
	pass_before=$VM_PASS
	vm_boot "$timeout_s" "$work/initrd.cpio" "$append ${NSISO_SD_APPEND:-}" "$work/$boot" \
		-m 2G -smp 2
	# A boot that never reached the cases (not one line from them) and
	# was killed at the timeout is booted once more: under TCG the guest
	# kernel once hung in dbus-daemon at boot ("soft lockup", before any
	# case ran, on a tree that passed before and after).  What the first
	# boot's console said is shown; a second such boot fails.
	if [ ! -s "$work/$boot.results" ] && { [ "$VM_RC" -eq 124 ] || [ "$VM_RC" -eq 137 ]; }; then
		say "$boot: no case ran within ${timeout_s}s; its console's last lines, then one more boot:"
		vm_show_logs "$work/$boot" 12 | sed "s/^/[$boot, first boot] /"
		vm_boot "$timeout_s" "$work/initrd.cpio" "$append ${NSISO_SD_APPEND:-}" "$work/$boot" \
			-m 2G -smp 2
	fi
	vm_results "$work/$boot" "[$boot]" || true
	if [ "$VM_FAIL" -gt "$fail_before" ] || [ -n "${NSISO_SD_VERBOSE:-}" ]; then
		vm_show_logs "$work/$boot" 40 | sed "s/^/[$boot] /"
	fi
	say "$boot: $((VM_PASS - pass_before)) passed, $((VM_FAIL - fail_before)) failed; boot + cases took ${VM_ELAPSED}s"
done

say "total $((SECONDS - t_start)) s"
echo "$VM_PASS passed, $VM_FAIL failed"
[ "$VM_FAIL" -eq 0 ]
