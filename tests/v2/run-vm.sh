#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# make check-v2: prove the cgroup v2 path on a pure v2 kernel.
#
# Boots Debian's cloud kernel in qemu (TCG, no KVM needed) with an initramfs
# built here from busybox-static, the built pam_nsiso.so and nsiso-helper,
# pamtester, libpam and its modules, libcgroup and every shared library they
# need.  Its /init (tests/v2/init.sh) mounts cgroup2 alone at /sys/fs/cgroup
# and runs tests/v2/cases.sh, which reports one line per assertion on the
# VM's second serial port.  Here those lines are printed, then
# "N passed, N failed"; the exit status is non-zero on any failure or if the
# VM did not report.
#
# Needs root (apt-get, mknod).  Installs qemu-system-x86, busybox-static and
# cpio when missing (apt-get update only then).  The kernel is not installed:
# its package is downloaded and unpacked into tests/build/v2/kernel and kept
# there for later runs (make clean removes it).  Everything else lives in a
# temporary directory that is removed at exit, and qemu never outlives this
# script.
#
#   NSISO_V2_TIMEOUT=1200  seconds the VM may run: a hang guard (emulated, the
#                          VM takes a minute or two, more on a slow host)
#   NSISO_V2_VERBOSE=1     print the VM's console and logs even on success
#   NSISO_V2_APPEND=...    extra kernel command line (e.g. for debugging)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/tests/build/v2
timeout_s=${NSISO_V2_TIMEOUT:-1200}
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
secdir=/lib/$multiarch/security
module=$top/pam_nsiso/pam_nsiso.so
helper=$top/helper/nsiso-helper

say() { printf 'check-v2: %s\n' "$*" >&2; }
die() { say "$*"; echo "0 passed, 1 failed"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (apt-get, mknod)"
if [ ! -f "$module" ] || [ ! -x "$helper" ] || [ ! -x "$top/ctl/nsisoctl" ]; then
	die "build first: make"
fi

# ---- cleanup: temp dir and qemu, also on failure and on signals ----------

work=""
qemu_pid_file=""
runner_pid=""
cleanup() {
	local pid
	if [ -n "$runner_pid" ]; then
		kill -TERM "$runner_pid" 2>/dev/null || true
		wait "$runner_pid" 2>/dev/null || true
	fi
	# qemu writes its own pid: make sure it is gone even if timeout(1) was
	# killed first.  Only that pid, and only while it is still our qemu.
	if [ -n "$qemu_pid_file" ] && [ -s "$qemu_pid_file" ]; then
		pid=$(<"$qemu_pid_file")
		if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = qemu-system-x86 ]; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	case $work in
	/tmp/nsiso-v2.?*) rm -rf -- "$work" ;;
	esac
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT
trap 'say terminated; exit 143' TERM

work=$(mktemp -d /tmp/nsiso-v2.XXXXXX)
mkdir -p "$build"

# ---- packages -------------------------------------------------------------

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

apt_updated=
apt_update_once() {
	[ -n "$apt_updated" ] && return 0
	say "apt-get update"
	apt-get update -qq
	apt_updated=1
}

# busybox-static conflicts with the dynamic busybox package: where that one
# is installed, unpack busybox-static into the build dir instead.
busybox=/bin/busybox
missing=()
for p in qemu-system-x86 cpio pamtester libpam-modules; do
	installed "$p" || missing+=("$p")
done
if ! installed busybox-static; then
	if installed busybox; then
		busybox=$build/busybox-static/bin/busybox
	else
		missing+=(busybox-static)
	fi
fi
if [ ${#missing[@]} -gt 0 ]; then
	apt_update_once
	say "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; die "apt-get install failed"; }
fi

# apt-get download PACKAGE and unpack it into DEST; 1 if the download fails.
fetch_deb() {
	local pkg=$1 dest=$2 dl=$work/dl-$1
	rm -rf "$dl"
	mkdir -p "$dl"
	(cd "$dl" && apt-get -q -o APT::Sandbox::User=root download "$pkg" >/dev/null 2>&1) || return 1
	rm -rf "$dest.new"
	dpkg-deb -x "$dl"/*.deb "$dest.new"
	rm -rf "$dest" "$dl"
	mv "$dest.new" "$dest"
}

if [ "$busybox" != /bin/busybox ] && [ ! -x "$busybox" ]; then
	fetch_deb busybox-static "$build/busybox-static" ||
		{ apt_update_once; fetch_deb busybox-static "$build/busybox-static"; } ||
		die "cannot download busybox-static"
fi

# ---- the kernel: Debian's cloud kernel, unpacked, never installed -------

# The package that linux-image-cloud-amd64 currently stands for.
kernel_package() {
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[^ <>]*\)$/\1/p' | head -n 1
}

exec 8>"$build/.lock"
flock 8
vmlinuz=$(find "$build/kernel/boot" -name 'vmlinuz-*' 2>/dev/null | head -n 1 || true)
if [ -z "$vmlinuz" ]; then
	kpkg=$(kernel_package)
	if [ -z "$kpkg" ] || ! { say "downloading $kpkg"; fetch_deb "$kpkg" "$build/kernel"; }; then
		# No or stale package lists: the version named may be gone.
		apt_update_once
		kpkg=$(kernel_package)
		[ -n "$kpkg" ] || die "cannot resolve linux-image-cloud-amd64"
		say "downloading $kpkg"
		fetch_deb "$kpkg" "$build/kernel" || die "cannot download $kpkg"
	fi
	vmlinuz=$(find "$build/kernel/boot" -name 'vmlinuz-*' | head -n 1)
	[ -n "$vmlinuz" ] || die "$kpkg has no vmlinuz"
fi
flock -u 8
config=${vmlinuz/vmlinuz-/config-}
# Everything the VM needs must be built in: the initramfs carries no
# modules (no disk, no 9p/virtio: the results leave by the serial port).
for opt in CGROUPS MEMCG CGROUP_PIDS UTS_NS IPC_NS PID_NS SWAP DEVTMPFS TMPFS \
	BLK_DEV_INITRD BINFMT_SCRIPT SERIAL_8250 SERIAL_8250_CONSOLE; do
	grep -qx "CONFIG_$opt=y" "$config" ||
		die "kernel $(basename "$vmlinuz"): CONFIG_$opt is not built in"
done

# ---- the initramfs ----------------------------------------------------------

root=$work/root
mkdir -p "$root"/usr/{bin,sbin,lib,lib64,libexec} "$root"/{proc,sys,dev,tmp,run,etc,root}
ln -s usr/bin "$root/bin"
ln -s usr/sbin "$root/sbin"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
mknod -m 0600 "$root/dev/console" c 5 1

# add FILE [DEST]: copy (following links) to DEST (default: the same path).
add() { install -D -m "$(stat -L -c %a "$1")" "$1" "$root${2:-$1}"; }
# add_elf FILE [DEST]: the file and every shared library it needs.
add_elf() {
	local lib
	add "$@"
	while read -r lib; do
		[ -e "$root$lib" ] || add "$lib"
	done < <(ldd "$1" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p')
}

add "$busybox" /usr/bin/busybox
for applet in $("$busybox" --list); do
	[ -e "$root/usr/bin/$applet" ] || ln -s busybox "$root/usr/bin/$applet"
done
add_elf /usr/bin/pamtester
add_elf "$helper" /usr/libexec/nsiso-helper
add_elf "$module" "$secdir/pam_nsiso.so"
for m in pam_permit.so pam_deny.so pam_exec.so; do
	add_elf "$secdir/$m"
done
add_elf "$top/ctl/nsisoctl" /usr/sbin/nsisoctl
cc -O2 -Wall -Wextra -Werror -o "$work/memhog" "$top/tests/tools/memhog.c"
add_elf "$work/memhog" /usr/bin/memhog
cc -O2 -Wall -Wextra -Werror -o "$work/cgprobe" "$top/tests/v2/cgprobe.c" -lcgroup
add_elf "$work/cgprobe" /usr/bin/cgprobe
install -m 0755 "$top/tests/v2/init.sh" "$root/init"
install -m 0644 "$top/tests/v2/cases.sh" "$root/cases.sh"

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
alice:x:1000:1000:v2 test user:/home/alice:/bin/sh
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
alice:x:1000:
EOF
printf 'root:*:19000:0:99999:7:::\nalice:*:19000:0:99999:7:::\n' >"$root/etc/shadow"
chmod 0640 "$root/etc/shadow"
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' >"$root/etc/nsswitch.conf"
mkdir -p "$root/etc/pam.d" "$root/etc/security" "$root/home/alice"
printf 'auth required pam_deny.so\naccount required pam_deny.so\npassword required pam_deny.so\nsession required pam_deny.so\n' >"$root/etc/pam.d/other"
chown 1000:1000 "$root/home/alice"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$work/initrd.cpio"

# ---- boot -----------------------------------------------------------------

qemu_pid_file=$work/qemu.pid
: >"$work/console.log"
: >"$work/results.log"
say "booting $(basename "$vmlinuz") (tcg, 512M, timeout ${timeout_s}s)"
start=$(date +%s.%N)
timeout -k 5 "$timeout_s" qemu-system-x86_64 -accel tcg -m 512M -nographic -no-reboot \
	-nic none -monitor none -parallel none -pidfile "$qemu_pid_file" \
	-kernel "$vmlinuz" -initrd "$work/initrd.cpio" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 cgroup_no_v1=all rdinit=/init ${NSISO_V2_APPEND:-}" \
	-serial "file:$work/console.log" -serial "file:$work/results.log" \
	</dev/null >"$work/qemu.log" 2>&1 &
runner_pid=$!
rc=0
wait "$runner_pid" || rc=$?
runner_pid=""
end=$(date +%s.%N)
elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')

# ---- results ----------------------------------------------------------------

pass=0 fail=0 reported=
tr -d '\r' <"$work/results.log" >"$work/results.txt"
while IFS= read -r line; do
	case $line in
	"PASS "*) pass=$((pass + 1)); printf '%s\n' "$line" ;;
	"FAIL "*) fail=$((fail + 1)); printf '%s\n' "$line" ;;
	"SKIP "*) fail=$((fail + 1)); printf '%s (a skip counts as a failure)\n' "$line" ;;
	END) reported=1 ;;
	esac
done <"$work/results.txt"
if [ -z "$reported" ]; then
	fail=$((fail + 1))
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "FAIL vm: no report within ${timeout_s}s (killed)"
	else
		echo "FAIL vm: did not report (qemu exit status $rc)"
	fi
fi
if [ "$fail" -gt 0 ] || [ -n "${NSISO_V2_VERBOSE:-}" ]; then
	sed -n 's/^LOG /  log: /p' "$work/results.txt"
	echo "----- VM console (last 60 lines) -----"
	tr -d '\r' <"$work/console.log" | tail -n 60
	[ -s "$work/qemu.log" ] && { echo "----- qemu -----"; tail -n 20 "$work/qemu.log"; }
fi
say "VM boot + tests took ${elapsed}s (kernel $(basename "$vmlinuz"))"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
