#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# A host name template that is fine for most users but invalid for this one
# (lab-%u for a user whose name has an underscore): with on_error deny and
# allow, the configured outcome, one clear log line (the conf file and line,
# LOG_ALERT), nothing half-built; a user for whom the template works still
# gets an isolated session under the same conf.
set -u
. "$(dirname "$0")/lib.bash"
lc_begin --syslog --user "nsiso_h_$(nsiso_unique)"
GOOD=$(nsiso_make_user) || nsiso_die "cannot create user"
SVC=$(lc_service)

for oe in deny allow; do
	CONF=$(nsiso_write_conf "* cgroup_parent $LC_PARENT
* isolate uts,ipc,mnt,pid
* memory 256M
* hostname lab-%u
* on_error $oe")
	lc_try pamtester "$SVC" "$LC_USER" open_session close_session
	lc_outcome "host name invalid for the user ($oe)" "$oe"
	lc_one_line "host name invalid for the user ($oe)" alert \
		"$CONF:4: host name may only contain letters, digits, '-' and '.'" "$oe"
	lc_nothing_left "host name invalid for the user ($oe)"
done

lc_try pamtester "$SVC" "$GOOD" open_session close_session
nsiso_assert_eq "the template works for another user" 0 "$LC_RC"
nsiso_assert_false "... whose session is isolated" test "$(_lc_probe pidns)" = "$LC_HOST_PIDNS"
