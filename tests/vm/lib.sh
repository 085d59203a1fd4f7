# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
#
# tests/vm/lib.sh - what the qemu suites share (make check-v2, make
# check-systemd): packages from Debian's archive, Debian's cloud kernel
# (downloaded and unpacked, never installed), one qemu boot that never
# outlives its script, and the results a VM reports on its second serial port.
#
# Sourced, never executed.  The caller sets, before sourcing:
#   VM_NAME    prefix of messages ("check-v2")
#   VM_WORK    its temporary directory (mktemp -d), removed by the caller
# and calls vm_cleanup from its EXIT trap.
#
#   vm_say MSG...                     "VM_NAME: MSG" on stderr
#   vm_die MSG...                     vm_say, "0 passed, 1 failed", exit 1
#   vm_installed PKG                  0 when dpkg says "install ok installed"
#   vm_apt_update_once                apt-get update, once per run
#   vm_install_missing PKG...         apt-get install those not installed
#   vm_fetch_deb PKG DEST             apt-get download PKG, unpack into DEST
#   vm_kernel                         sets VM_VMLINUZ (tests/build/kernel)
#   vm_require_kernel_config OPT...   each CONFIG_OPT must be =y
#   vm_boot TIMEOUT INITRD APPEND OUT [QEMU_ARGS...]
#                                     boot; OUT.console, OUT.results, OUT.qemu;
#                                     sets VM_RC (qemu's or timeout's status)
#                                     and VM_ELAPSED (seconds, one decimal)
#   vm_results OUT [PREFIX]           print the PASS/FAIL/SKIP lines of
#                                     OUT.results, add to VM_PASS/VM_FAIL (a
#                                     SKIP counts as a failure); a VM that
#                                     never wrote END is one failure
#   vm_show_logs OUT [LINES]          LOG lines, console and qemu output
#   vm_cleanup                        kill the qemu of a boot still running

VM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VM_KERNEL_DIR=$VM_TOP/tests/build/kernel
VM_PASS=${VM_PASS:-0}
VM_FAIL=${VM_FAIL:-0}
VM_RC=0
VM_ELAPSED=0
_vm_runner=""
_vm_qemu_pid_file=""
_vm_apt_updated=""

vm_say() { printf '%s: %s\n' "${VM_NAME:-vm}" "$*" >&2; }
vm_die() {
	vm_say "$*"
	echo "0 passed, 1 failed"
	exit 1
}

vm_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

vm_apt_update_once() {
	[ -n "$_vm_apt_updated" ] && return 0
	vm_say "apt-get update"
	apt-get update -qq -o DPkg::Lock::Timeout=300
	_vm_apt_updated=1
}

vm_install_missing() {
	local p
	local -a missing=()
	for p in "$@"; do
		vm_installed "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	vm_apt_update_once
	vm_say "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 \
		--no-install-recommends "${missing[@]}" >"$VM_WORK/apt.log" 2>&1 ||
		{ cat "$VM_WORK/apt.log" >&2; vm_die "apt-get install ${missing[*]} failed"; }
}

vm_fetch_deb() {
	local pkg=$1 dest=$2 dl=$VM_WORK/dl-$1
	rm -rf "$dl"
	mkdir -p "$dl"
	(cd "$dl" && apt-get -q -o APT::Sandbox::User=root download "$pkg" >/dev/null 2>&1) || return 1
	rm -rf "$dest.new"
	dpkg-deb -x "$dl"/*.deb "$dest.new"
	rm -rf "$dest" "$dl"
	mv "$dest.new" "$dest"
}

# The package that linux-image-cloud-amd64 currently stands for.
_vm_kernel_package() {
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[^ <>]*\)$/\1/p' | head -n 1
}

# Debian's cloud kernel, unpacked into tests/build/kernel once and kept (make
# clean removes it); concurrent runs wait for each other's download.
vm_kernel() {
	local kpkg
	mkdir -p "$VM_KERNEL_DIR"
	exec {_vm_lock}>"$VM_KERNEL_DIR/.lock"
	flock "$_vm_lock"
	VM_VMLINUZ=$(find "$VM_KERNEL_DIR/pkg/boot" -name 'vmlinuz-*' 2>/dev/null | head -n 1 || true)
	if [ -z "$VM_VMLINUZ" ]; then
		kpkg=$(_vm_kernel_package)
		if [ -z "$kpkg" ] || ! { vm_say "downloading $kpkg"; vm_fetch_deb "$kpkg" "$VM_KERNEL_DIR/pkg"; }; then
			# No or stale package lists: the version named may be gone.
			vm_apt_update_once
			kpkg=$(_vm_kernel_package)
			[ -n "$kpkg" ] || vm_die "cannot resolve linux-image-cloud-amd64"
			vm_say "downloading $kpkg"
			vm_fetch_deb "$kpkg" "$VM_KERNEL_DIR/pkg" || vm_die "cannot download $kpkg"
		fi
		VM_VMLINUZ=$(find "$VM_KERNEL_DIR/pkg/boot" -name 'vmlinuz-*' | head -n 1)
		[ -n "$VM_VMLINUZ" ] || vm_die "$kpkg has no vmlinuz"
	fi
	flock -u "$_vm_lock"
	exec {_vm_lock}>&-
}

vm_require_kernel_config() {
	local opt config=${VM_VMLINUZ/vmlinuz-/config-}
	for opt in "$@"; do
		grep -qx "CONFIG_$opt=y" "$config" ||
			vm_die "kernel $(basename "$VM_VMLINUZ"): CONFIG_$opt is not built in"
	done
}

# Kill the qemu of this script's boot, if it still runs: only the pid qemu
# wrote itself, and only while that pid is still a qemu.
_vm_kill_qemu() {
	local pid
	if [ -n "$_vm_qemu_pid_file" ] && [ -s "$_vm_qemu_pid_file" ]; then
		pid=$(<"$_vm_qemu_pid_file")
		if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = qemu-system-x86 ]; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
}

vm_cleanup() {
	if [ -n "$_vm_runner" ]; then
		kill -TERM "$_vm_runner" 2>/dev/null || true
		wait "$_vm_runner" 2>/dev/null || true
		_vm_runner=""
	fi
	_vm_kill_qemu
}

vm_boot() {
	local timeout_s=$1 initrd=$2 append=$3 out=$4 start end
	shift 4
	_vm_qemu_pid_file=$out.pid
	rm -f "$_vm_qemu_pid_file"
	: >"$out.console"
	: >"$out.results"
	start=$(date +%s.%N)
	timeout -k 5 "$timeout_s" qemu-system-x86_64 -accel tcg -nographic -no-reboot \
		-nic none -monitor none -parallel none -pidfile "$_vm_qemu_pid_file" \
		-kernel "$VM_VMLINUZ" -initrd "$initrd" -append "$append" \
		-serial "file:$out.console" -serial "file:$out.results" "$@" \
		</dev/null >"$out.qemu" 2>&1 &
	_vm_runner=$!
	VM_RC=0
	wait "$_vm_runner" || VM_RC=$?
	_vm_runner=""
	_vm_kill_qemu # timeout(1) itself killed: its child must not stay
	_vm_qemu_pid_file=""
	end=$(date +%s.%N)
	# shellcheck disable=SC2034 # read by the callers
	VM_ELAPSED=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
}

# One line per assertion: "PASS name", "FAIL name: reason", "SKIP name:
# reason" (a failure: no skip may hide a regression), "LOG text" (shown
# when something failed), "NOTE text" (a measurement: always shown); "END"
# when the VM finished its cases.
vm_results() {
	local out=$1 prefix=${2:+$2 } line reported=""
	tr -d '\r' <"$out.results" >"$out.txt"
	while IFS= read -r line; do
		case $line in
		"PASS "*) VM_PASS=$((VM_PASS + 1)); printf '%s%s\n' "$prefix" "$line" ;;
		"FAIL "*) VM_FAIL=$((VM_FAIL + 1)); printf '%s%s\n' "$prefix" "$line" ;;
		"SKIP "*) VM_FAIL=$((VM_FAIL + 1)); printf '%s%s (a skip counts as a failure)\n' "$prefix" "$line" ;;
		"NOTE "*) printf '%s%s\n' "$prefix" "$line" ;;
		END) reported=1 ;;
		esac
	done <"$out.txt"
	if [ -z "$reported" ]; then
		VM_FAIL=$((VM_FAIL + 1))
		if [ "$VM_RC" -eq 124 ] || [ "$VM_RC" -eq 137 ]; then
			printf '%sFAIL vm: no report within the timeout (killed)\n' "$prefix"
		else
			printf '%sFAIL vm: did not report (qemu exit status %s)\n' "$prefix" "$VM_RC"
		fi
		return 1
	fi
}

vm_show_logs() {
	local out=$1 lines=${2:-60}
	sed -n 's/^LOG /  log: /p' "$out.txt"
	echo "----- VM console (last $lines lines) -----"
	tr -d '\r' <"$out.console" | tail -n "$lines"
	if [ -s "$out.qemu" ]; then
		echo "----- qemu -----"
		tail -n 20 "$out.qemu"
	fi
}
