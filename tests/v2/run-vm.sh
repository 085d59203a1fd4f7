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
# its package is downloaded and unpacked into tests/build/kernel (shared
# with make check-systemd, tests/vm/lib.sh) and kept there for later runs
# (make clean removes it).  Everything else lives in a
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

VM_NAME=check-v2
VM_WORK=""
# shellcheck source=tests/vm/lib.sh
. "$top/tests/vm/lib.sh"
say() { vm_say "$@"; }
die() { vm_die "$@"; }

[ "$(id -u)" -eq 0 ] || die "needs root (apt-get, mknod)"
if [ ! -f "$module" ] || [ ! -x "$helper" ] || [ ! -x "$top/ctl/nsisoctl" ]; then
	die "build first: make"
fi

# ---- cleanup: temp dir and qemu, also on failure and on signals ----------

work=""
cleanup() {
	vm_cleanup
	case $work in
	/tmp/nsiso-v2.?*) rm -rf -- "$work" ;;
	esac
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT
trap 'say terminated; exit 143' TERM

work=$(mktemp -d /tmp/nsiso-v2.XXXXXX)
VM_WORK=$work
mkdir -p "$build"

# ---- packages -------------------------------------------------------------

# busybox-static conflicts with the dynamic busybox package: where that one
# is installed, unpack busybox-static into the build dir instead.
busybox=/bin/busybox
pkgs=(qemu-system-x86 cpio pamtester libpam-modules)
if ! vm_installed busybox-static; then
	if vm_installed busybox; then
		busybox=$build/busybox-static/bin/busybox
	else
		pkgs+=(busybox-static)
	fi
fi
vm_install_missing "${pkgs[@]}"
if [ "$busybox" != /bin/busybox ] && [ ! -x "$busybox" ]; then
	vm_fetch_deb busybox-static "$build/busybox-static" ||
		{ vm_apt_update_once; vm_fetch_deb busybox-static "$build/busybox-static"; } ||
		die "cannot download busybox-static"
fi

# ---- the kernel: Debian's cloud kernel, unpacked, never installed -------

vm_kernel
vmlinuz=$VM_VMLINUZ
# Everything the VM needs must be built in: the initramfs carries no
# modules (no disk, no 9p/virtio: the results leave by the serial port).
vm_require_kernel_config CGROUPS MEMCG CGROUP_PIDS UTS_NS IPC_NS PID_NS SWAP DEVTMPFS TMPFS \
	BLK_DEV_INITRD BINFMT_SCRIPT SERIAL_8250 SERIAL_8250_CONSOLE

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
add_elf "$top/ctl/nsisoctl" /usr/bin/nsisoctl
cc -O2 -Wall -Wextra -Werror -o "$work/memhog" "$top/tests/tools/memhog.c"
add_elf "$work/memhog" /usr/bin/memhog
cc -O2 -Wall -Wextra -Werror -o "$work/cgprobe" "$top/tests/v2/cgprobe.c" -lcgroup
add_elf "$work/cgprobe" /usr/bin/cgprobe
install -m 0755 "$top/tests/v2/init.sh" "$root/init"
install -m 0644 "$top/tests/v2/cases.sh" "$root/cases.sh"

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
alice:x:1000:1000:v2 test user:/home/alice:/bin/sh
bob:x:1001:1001:v2 second user:/home/bob:/bin/sh
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
alice:x:1000:
bob:x:1001:
EOF
printf 'root:*:19000:0:99999:7:::\nalice:*:19000:0:99999:7:::\nbob:*:19000:0:99999:7:::\n' >"$root/etc/shadow"
chmod 0640 "$root/etc/shadow"
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' >"$root/etc/nsswitch.conf"
mkdir -p "$root/etc/pam.d" "$root/etc/security" "$root/home/alice" "$root/home/bob"
printf 'auth required pam_deny.so\naccount required pam_deny.so\npassword required pam_deny.so\nsession required pam_deny.so\n' >"$root/etc/pam.d/other"
chown 1000:1000 "$root/home/alice"
chown 1001:1001 "$root/home/bob"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$work/initrd.cpio"

# ---- boot -----------------------------------------------------------------

say "booting $(basename "$vmlinuz") (tcg, 512M, timeout ${timeout_s}s)"
vm_boot "$timeout_s" "$work/initrd.cpio" \
	"console=ttyS0 quiet loglevel=3 panic=-1 cgroup_no_v1=all rdinit=/init ${NSISO_V2_APPEND:-}" \
	"$work/vm" -m 512M

# ---- results ----------------------------------------------------------------

vm_results "$work/vm" || true
if [ "$VM_FAIL" -gt 0 ] || [ -n "${NSISO_V2_VERBOSE:-}" ]; then
	vm_show_logs "$work/vm"
fi
say "VM boot + tests took ${VM_ELAPSED}s (kernel $(basename "$vmlinuz"))"
echo "$VM_PASS passed, $VM_FAIL failed"
[ "$VM_FAIL" -eq 0 ]
