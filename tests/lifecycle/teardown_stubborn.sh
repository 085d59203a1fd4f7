#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# make check's short timing run (make stress runs the full one): close with
# 10 sessions open, and teardown (processes gone, record and cgroup removed)
# of a session whose process ignores SIGHUP and SIGTERM, is stopped, or is in
# D state (a vfork parent) - the holder's SIGKILL ends them all.  Figures are
# printed; only a generous bound (10 s) is asserted.  See
# tests/stress/timing.sh.
NSISO_TEST_NAME=teardown_stubborn NSISO_TIMING_LIVE=10 NSISO_TIMING_ROUNDS=20 \
	NSISO_TIMING_TEARDOWNS=5 exec bash "$(dirname "$0")/../stress/timing.sh"
