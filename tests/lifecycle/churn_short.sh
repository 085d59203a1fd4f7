#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# make check's short churn (make stress runs the full one): up to 100
# open/close cycles (as many as the machine does in about 20 s after the
# first round, at least two rounds), 10 concurrent sessions of one user plus
# 2 other users, through pamtester and a real sshd, every 10th PAM
# application SIGKILLed between open and close; each session inside its
# user's cgroup with its limits; nothing left after.  See
# tests/stress/churn.sh.
NSISO_TEST_NAME=churn_short NSISO_CHURN_MAX=100 NSISO_CHURN_BUDGET_S=20 NSISO_CHURN_MAIN=10 \
	NSISO_CHURN_OTHERS=2 NSISO_CHURN_SSH_MAIN=2 exec bash "$(dirname "$0")/../stress/churn.sh"
