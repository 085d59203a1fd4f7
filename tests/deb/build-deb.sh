#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# tests/deb/build-deb.sh DIR: build libpam-nsiso the way an admin would
# (dpkg-source -b, then dpkg-buildpackage -us -uc -b), in a copy of the tree
# under DIR, as an unprivileged user (Rules-Requires-Root: no): no build
# output ever lands in the checkout.  Used by make check-deb and make
# check-systemd.
#
# DIR must be an existing directory made by the caller (which removes it).
# Afterwards DIR holds src/ (the copy, built), the .deb, .dsc and .changes,
# source.log and build.log.  The copy holds the tracked files as they are in
# the work tree, plus debian/ and tests/deb when they are not committed yet.
#
#   NSISO_DEB_BUILDER=nobody   the user that builds
#   DEB_BUILD_OPTIONS          passed on (e.g. nocheck)
#
# Exit status 0 when the .deb was built; otherwise the end of the logs is on
# stderr.  Needs root (chown, setpriv) and the build dependencies.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:?usage: build-deb.sh DIR}
BUILDER=${NSISO_DEB_BUILDER:-nobody}
[ -d "$B" ] || { echo "build-deb: $B is not a directory" >&2; exit 2; }

chmod 0755 "$B" # apt's _apt user and the builder read the .deb here
mkdir "$B/src" "$B/tmp" || exit 1
(cd "$top" && { git ls-files -z; git ls-files -z -o --exclude-standard debian tests/deb; } |
	tar --null -T - -cf -) | tar -C "$B/src" -xf - || { echo "build-deb: cannot copy the tree" >&2; exit 1; }
chown -R "$BUILDER:" "$B/src" "$B/tmp" && chown "$BUILDER:" "$B" || exit 1
as_builder() {
	setpriv --reuid="$BUILDER" --regid="$(id -g "$BUILDER")" --clear-groups \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$B/tmp" TMPDIR="$B/tmp" LC_ALL=C.UTF-8 \
		${DEB_BUILD_OPTIONS:+DEB_BUILD_OPTIONS="$DEB_BUILD_OPTIONS"} "$@"
}
# The source package too, from the pristine copy, so lintian sees debian/.
if (cd "$B/src" && as_builder dpkg-source -b . >"$B/source.log" 2>&1 &&
	as_builder dpkg-buildpackage -us -uc -b >"$B/build.log" 2>&1); then
	exit 0
fi
tail -n 40 "$B/source.log" "$B/build.log" >&2
exit 1
