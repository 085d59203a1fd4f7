#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# The module exports the two session entry points and nothing else, so no
# symbol of common/ can clash with sshd's or another module's.
set -u
. "$(dirname "$0")/../lib.sh"
nsiso_setup
exported=$(nm -D --defined-only "$NSISO_MODULE" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort | tr '\n' ' ')
nsiso_assert_eq "exported symbols" "pam_sm_close_session pam_sm_open_session " "$exported"
nsiso_assert_false "no libcgroup in the module (sshd never loads it)" \
	grep -q libcgroup <<<"$(ldd "$NSISO_MODULE")"
