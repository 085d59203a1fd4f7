#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# check-hardening.sh BINARY...: the hardening the Makefile asks for, as the
# ELF files show it (make hardening).  Executables: PIE; all: RELRO and
# BIND_NOW, the stack protector, _FORTIFY_SOURCE (*_chk calls) and a
# non-executable stack.  Runs hardening-check (devscripts) too when present.
set -u
fail=0
check() {
	if eval "$2"; then printf '  ok    %-28s %s\n' "$f" "$1"; else
		printf '  FAIL  %-28s %s\n' "$f" "$1"
		fail=1
	fi
}
for f in "$@"; do
	dyn=$(readelf -dW "$f") phdr=$(readelf -lW "$f") syms=$(readelf --dyn-syms -W "$f")
	case $f in
	*.so) ;;
	*) check "PIE" 'grep -q "FLAGS_1.*PIE" <<<"$dyn"' ;;
	esac
	check "RELRO" 'grep -q GNU_RELRO <<<"$phdr"'
	check "BIND_NOW" 'grep -qE "BIND_NOW|FLAGS_1.* NOW" <<<"$dyn"'
	check "stack protector" 'grep -q __stack_chk_fail <<<"$syms"'
	check "FORTIFY_SOURCE" 'grep -qE "__[a-z0-9_]+_chk" <<<"$syms"'
	check "non-executable stack" 'grep GNU_STACK <<<"$phdr" | grep -qv RWE'
	# Not its control-flow item: on Debian 12 no binary can pass it (the
	# distribution's crt objects carry no CET property, so the linker
	# drops it even with -fcf-protection=full).
	if command -v hardening-check >/dev/null; then
		check "hardening-check (but CET)" 'hardening-check --quiet --nocfprotection "$f" >/dev/null'
	fi
done
[ "$fail" -eq 0 ] && echo "hardening: $# binaries ok"
exit "$fail"
