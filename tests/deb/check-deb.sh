#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# make check-deb (as root): build libpam-nsiso with dpkg-buildpackage in a
# copy of the tree (as an unprivileged user: Rules-Requires-Root is no),
# lint it, install it with apt-get, enable it with pam-auth-update, prove
# through /etc/pam.d/common-session that a regular user's session is
# isolated and root's is not, then purge it and prove the system is as before.
#
# While the package is enabled EVERY session that includes common-session
# on this machine (sshd, su, login) goes through pam_nsiso with the shipped
# conf (root and uids <= 999 exempt).  That window is kept to a few seconds,
# and the EXIT trap purges the package and restores /etc/pam.d even when the
# test fails or is interrupted half-way.
#
# Output: "PASS name" / "FAIL name: reason" lines, then "N passed, N failed".
set -u
# shellcheck disable=SC2034 # read by tests/lib.sh
{
	NSISO_TEST_NAME=check-deb
	NSISO_NO_SUMMARY=1 # summary() below prints it in this script's format
}
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
nsiso_setup
export NSISO_RESULTS=$T/results
: >"$NSISO_RESULTS"

PKG=libpam-nsiso
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
MODULE_PATH=/usr/lib/$MULTIARCH/security/pam_nsiso.so
HELPER_PATH=/usr/libexec/nsiso-helper
# Everything the package installs, and what it must leave behind on purge.
PKG_PATHS=("$MODULE_PATH" "$HELPER_PATH" /usr/bin/nsisoctl /etc/security/nsiso.conf
	/etc/security/nsiso.d /usr/share/pam-configs/nsiso "/usr/share/doc/$PKG"
	/lib/systemd/system/nsiso-broker.socket /lib/systemd/system/nsiso-broker.service)
CG=/sys/fs/cgroup
BUILDER=nobody
APT_OPTS=(-y -q -o DPkg::Lock::Timeout=300)
export DEBIAN_FRONTEND=noninteractive

pass() {
	nsiso_pass "$1" >/dev/null
	printf 'PASS %s\n' "$1"
}
fail() {
	nsiso_fail "$1" "$2" >/dev/null
	printf 'FAIL %s: %s\n' "$1" "$2"
	return 1
}
check_eq() { # NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$2', got '$3'"; fi
}
check() { # NAME CMD...: CMD must succeed (a wait that gave up says what it saw)
	local name=$1
	shift
	NSISO_SEEN=
	if "$@"; then pass "$name"; else fail "$name" "failed: $*${NSISO_SEEN:+; $NSISO_SEEN}"; fi
}
check_not() { # NAME CMD...: CMD must fail
	local name=$1
	shift
	if "$@"; then fail "$name" "unexpectedly succeeded: $*"; else pass "$name"; fi
}
info() { printf '# %s\n' "$*"; }
pkg_present() { # installed, half-installed or only its conffiles left
	case $(dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null) in
	"" | not-installed) return 1 ;;
	esac
}

finished=""
summary() {
	local p f
	if [ -z "$finished" ]; then
		fail "check-deb" "stopped before the end"
		# The cleanups above have purged the package and restored the stack.
		if [ -f "$T/state.before" ]; then
			state >"$T/state.after"
			if cmp -s "$T/state.before" "$T/state.after"; then
				pass "after the abort: system as before"
			else
				diff -u "$T/state.before" "$T/state.after" | sed 's/^/# /'
				fail "after the abort: system as before" "state differs (diff above)"
			fi
		fi
	fi
	p=$(grep -c '^PASS ' "$NSISO_RESULTS")
	f=$(grep -c '^FAIL ' "$NSISO_RESULTS")
	printf '%d passed, %d failed\n' "$p" "$f"
}
nsiso_on_exit summary
START=$SECONDS

# ---------------------------------------------------------------------------
# Tools, only the missing ones, from Debian's repositories.
# ---------------------------------------------------------------------------
install_missing() {
	local p made_policy="" rc=0
	local -a missing=()
	for p in "$@"; do
		dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	info "installing ${missing[*]}"
	# Keep package scripts from starting services (as tests/deps.sh does).
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 0755 /usr/sbin/policy-rc.d
		made_policy=1
		nsiso_on_exit rm -f /usr/sbin/policy-rc.d # also if apt-get is interrupted
	fi
	apt-get install "${APT_OPTS[@]}" --no-install-recommends "${missing[@]}" >"$T/apt-deps.log" 2>&1 || {
		apt-get update -qq -o DPkg::Lock::Timeout=300 >/dev/null 2>&1
		apt-get install "${APT_OPTS[@]}" --no-install-recommends "${missing[@]}" >"$T/apt-deps.log" 2>&1
	} || rc=$?
	[ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
	return "$rc"
}
check "build and test tools installed" install_missing \
	build-essential debhelper dpkg-dev fakeroot lintian libpam-runtime pamtester \
	libpam0g-dev libcgroup-dev libcmocka-dev util-linux || nsiso_die "cannot install tools"

# ---------------------------------------------------------------------------
# Build in a copy of the tree: no build output ever lands in the checkout.
# The copy holds the tracked files as they are in the work tree, plus debian/
# and tests/deb when they are not committed yet.
# ---------------------------------------------------------------------------
B=$(mktemp -d /tmp/nsiso-deb.XXXXXX) || nsiso_die "mktemp failed"
remove_build_dir() { case $1 in /tmp/nsiso-deb.?*) rm -rf -- "$1" ;; esac; }
nsiso_on_exit remove_build_dir "$B"
as_builder() {
	setpriv --reuid="$BUILDER" --regid="$(id -g "$BUILDER")" --clear-groups \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$B/tmp" TMPDIR="$B/tmp" LC_ALL=C.UTF-8 "$@"
}
t0=$SECONDS
# tests/deb/build-deb.sh: the copy, dpkg-source -b and dpkg-buildpackage.
if NSISO_DEB_BUILDER=$BUILDER "$NSISO_TOP/tests/deb/build-deb.sh" "$B"; then
	pass "dpkg-buildpackage -us -uc -b as $BUILDER ($((SECONDS - t0)) s)"
else
	fail "dpkg-buildpackage -us -uc -b as $BUILDER" "see the build log above"
	exit 1
fi
DEB=$(echo "$B/${PKG}_"*_"$(dpkg --print-architecture)".deb)
check "built ${PKG}_*.deb" test -f "$DEB" || exit 1
check "non-root unit tests ran in the build (dh_auto_test)" \
	grep -q 'PASSED.*test(s)' "$B/build.log"
check "nothing new in the checkout" \
	test -z "$(cd "$NSISO_TOP" && git status --porcelain --ignored -- debian | grep -v '^??')"
# The helper links libcgroup statically: the package names the libcgroup it
# was built with, and needs no libcgroup at run time.
check_eq "Built-Using names the libcgroup built in" \
	"libcgroup (= $(dpkg-query -f '${source:Version}' -W libcgroup-dev))" \
	"$(dpkg-deb -f "$DEB" Built-Using)"
check "Depends has no libcgroup (linked in)" \
	sh -c "! dpkg-deb -f '$DEB' Depends | grep -q libcgroup"

contents=$(dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's,^\.,,; s,/$,,')
for path in "$MODULE_PATH" "$HELPER_PATH" /usr/bin/nsisoctl /usr/share/pam-configs/nsiso \
	/etc/security/nsiso.d /usr/share/man/man8/pam_nsiso.8.gz /usr/share/man/man5/nsiso.conf.5.gz; do
	check "package ships $path" grep -qx -- "$path" <<<"$contents"
done
check_eq "/etc/security/nsiso.conf is the only conffile" /etc/security/nsiso.conf \
	"$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./conffiles)"
check "module has $HELPER_PATH compiled in" \
	sh -c "dpkg-deb --fsys-tarfile '$DEB' | tar -xOf - '.$MODULE_PATH' | grep -qaF '$HELPER_PATH'"

lintian_out=$(cd "$B" && as_builder lintian --display-info --pedantic --tag-display-limit 0 \
	--fail-on error,warning ./*.dsc ./*.changes 2>&1)
lrc=$?
printf '%s\n' "$lintian_out" | sed 's/^/# lintian: /'
check_eq "lintian: no errors or warnings" "0 " \
	"$lrc $(grep -E '^[EW]: ' <<<"$lintian_out" | tr '\n' ' ')"

# ---------------------------------------------------------------------------
# The system before.  Test-owned PAM files of concurrent tests (names with
# nsiso-test) come and go and are not part of the state.
# ---------------------------------------------------------------------------
state() {
	local p d
	for p in /etc/pam.d/*; do
		case $p in *nsiso-test*) ;; *) sha256sum -- "$p" ;; esac
	done
	(cd /var/lib/pam && sha256sum -- *)
	for p in "${PKG_PATHS[@]}"; do
		[ -e "$p" ] && printf 'exists %s\n' "$p"
	done
	# An empty /run/nsiso (another pam_nsiso user's) may go with the purge;
	# records in it must not.
	[ -n "$(ls /run/nsiso/*.session 2>/dev/null)" ] && printf 'records in /run/nsiso\n'
	for d in "$CG"/memory/nsiso "$CG"/pids/nsiso; do
		[ -d "$d" ] && find "$d" -type d
	done
	printf 'dpkg %s\n' "$(dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null)"
}
state >"$T/state.before"
mkdir "$T/saved" && cp -a /etc/pam.d/common-* /var/lib/pam "$T/saved/"

preflight_ok=1
for p in "${PKG_PATHS[@]}"; do
	# dpkg would take such a file over (and purge would delete it).
	[ -e "$p" ] && { fail "preflight" "$p exists (make install?); remove it first"; preflight_ok=""; }
done
pkg_present && { fail "preflight" "$PKG is already installed"; preflight_ok=""; }
grep -q pam_nsiso /etc/pam.d/common-* && { fail "preflight" "pam_nsiso already in /etc/pam.d/common-*"; preflight_ok=""; }
[ -n "$preflight_ok" ] || exit 1
pass "preflight: no pam_nsiso on this system"

# Remove the default cgroup parent when a session made it (it did not exist
# before) and it is empty; the user's leaf is the holder's to remove.
made_cgroups=()
for d in "$CG"/memory/nsiso "$CG"/pids/nsiso; do
	[ -d "$d" ] || made_cgroups+=("$d")
done
run_existed=""
[ -e /run/nsiso ] && run_existed=1
remove_our_cgroups() {
	local d
	for d in ${made_cgroups[@]+"${made_cgroups[@]}"}; do
		[ -d "$d" ] || continue
		nsiso_wait_until "$NSISO_WAIT_S" _nsiso_no_leaves "$d" || true
		rmdir "$d" 2>/dev/null || info "could not remove $d (not empty?)"
	done
	[ -n "$run_existed" ] || [ ! -d /run/nsiso ] || rmdir /run/nsiso 2>/dev/null || true
}
nsiso_on_exit remove_our_cgroups

USER1=$(nsiso_make_user) || nsiso_die "cannot create the test user"
uid1=$(id -u "$USER1")
[ "$uid1" -ge 1000 ] || nsiso_die "test user $USER1 has uid $uid1 < 1000"

# The probe and its reports live outside /tmp: the shipped conf gives
# isolated users a /tmp of their own (private_tmp yes).
D=$(nsiso_dir_outside_tmp)
nsiso_forget_private_tmp "$uid1"
cat >"$D/probe" <<'PROBE'
#!/bin/sh
# Runs as root from pam_exec at open_session, after common-session.  In
# the shipped conf's cgroup namespace /proc/self/cgroup reads "/": the
# user's group is checked by its path, with the probe's PID in its
# cgroup.procs (which lists PIDs as the reader's PID namespace sees them).
out=$(dirname "$0")/probe.$PAM_USER
mem=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
pids=$(sed -n 's/^[0-9]*:pids://p' /proc/self/cgroup)
own=/nsiso/user-$(id -u "$PAM_USER")
{
	for ns in uts ipc mnt pid cgroup; do echo "ns_$ns=$(readlink /proc/self/ns/$ns)"; done
	echo "host=$(hostname)"
	echo "procs=$(ls -d /proc/[0-9]* | wc -l)"
	echo "cgroup=$mem"
	echo "pids_cgroup=$pids"
	echo "in_own=$(grep -cx $$ /sys/fs/cgroup/memory$own/cgroup.procs 2>/dev/null) $(grep -cx $$ /sys/fs/cgroup/pids$own/cgroup.procs 2>/dev/null)"
	echo "limits=$(cat /sys/fs/cgroup/memory$own/memory.limit_in_bytes \
		/sys/fs/cgroup/memory$own/memory.memsw.limit_in_bytes \
		/sys/fs/cgroup/pids$own/pids.max 2>/dev/null | tr '\n' ' ')"
	echo "tmp=$(stat -c '%U %a' /tmp) $(awk '$5 == "/tmp" { r = $4 } END { print r }' /proc/self/mountinfo | grep -o '[.]nsiso-tmp/[0-9]*$')"
	echo "run_dir=$(ls /run/nsiso 2>/dev/null | grep -c '')"
} >"$out.tmp" && mv "$out.tmp" "$out"
PROBE
chmod 0755 "$D/probe"
SVC=$(nsiso_make_pam_service "@include common-session
session required pam_exec.so type=open_session $D/probe")
# probe LABEL KEY: what the probe saw in the session that session() ran as
# LABEL.  (pam_exec runs even after pam_nsiso has failed: required does not
# stop the stack, so every session keeps its own copy.)
probe() { sed -n "s/^$2=//p" "$T/seen.$1" 2>/dev/null; }
session() { # SERVICE USER [LABEL]
	local rc=0
	rm -f "$D/probe.$2"
	printf '## pamtester %s %s\n' "$1" "$2" >>"$T/pamtester.log"
	timeout 60 pamtester "$1" "$2" open_session close_session >>"$T/pamtester.log" 2>&1 || rc=$?
	[ -f "$D/probe.$2" ] && mv "$D/probe.$2" "$T/seen.${3:-$2}"
	return "$rc"
}

# ---------------------------------------------------------------------------
# Install, enable, sessions, purge.  From here the EXIT trap restores.
# ---------------------------------------------------------------------------
installed=""
restore_system() {
	local f
	rm -f /etc/security/nsiso.d/zz-nsiso-test-*.conf
	if [ -n "$installed" ] || pkg_present; then
		apt-get purge "${APT_OPTS[@]}" "$PKG" >"$T/apt-purge.log" 2>&1 ||
			dpkg --purge "$PKG" >>"$T/apt-purge.log" 2>&1 ||
			_nsiso_warn "purge of $PKG failed (see $T/apt-purge.log)"
		installed=""
	fi
	# Last resort: the stack must never keep pam_nsiso after this test.
	for f in /etc/pam.d/common-*; do
		if ! cmp -s "$f" "$T/saved/${f##*/}"; then
			_nsiso_warn "restoring $f from the copy taken before the test"
			cp -a "$T/saved/${f##*/}" "$f"
			cp -a "$T/saved/pam/." /var/lib/pam/
		fi
	done
}
nsiso_on_exit restore_system
installed=1
t0=$SECONDS
if apt-get install "${APT_OPTS[@]}" "$DEB" >"$T/apt-install.log" 2>&1; then
	pass "apt-get install ./${DEB##*/} ($((SECONDS - t0)) s)"
else
	cat "$T/apt-install.log"
	fail "apt-get install ./${DEB##*/}" "see the log above"
	exit 1
fi
check_eq "dpkg registers the conffile" /etc/security/nsiso.conf \
	"$(dpkg-query -W -f='${Conffiles}\n' "$PKG" | awk 'NF {print $1}')"
check "/etc/security/nsiso.d exists" test -d /etc/security/nsiso.d
check "installed nsiso.conf passes nsisoctl check" nsisoctl check
check_eq "Default: no: installing leaves /etc/pam.d/common-session alone" \
	"$(cd "$T/saved" && sha256sum common-session)" "$(cd /etc/pam.d && sha256sum common-session)"

# --- the window: pam_nsiso in common-session -------------------------------
window=$SECONDS
check "pam-auth-update --enable nsiso" pam-auth-update --enable nsiso
stack=$(grep -E '^[^#]*session' /etc/pam.d/common-session)
printf '%s\n' "$stack" | sed 's/^/# common-session: /'
line_of() { grep -n -- "$1" <<<"$stack" | head -n1 | cut -d: -f1; }
check "common-session: required pam_nsiso.so" grep -qE '^session[[:space:]]+required[[:space:]]+pam_nsiso\.so' <<<"$stack"
check "common-session: root guard right before pam_nsiso" \
	test "$(line_of 'pam_succeed_if.so quiet uid eq 0')" = "$(($(line_of pam_nsiso) - 1))"
check_eq "common-session: pam_nsiso is the last module" pam_nsiso.so \
	"$(tail -n1 <<<"$stack" | awk '{print $3}')"
if [ -n "$(line_of pam_systemd)" ]; then
	check "common-session: pam_nsiso after pam_systemd" test "$(line_of pam_systemd)" -lt "$(line_of pam_nsiso)"
else
	info "pam_systemd is not enabled here; order against it not checked"
fi
# cron, at, sudo and the user's systemd manager include only this one: a
# door that skipped the module would go around isolation and the limit.
check "common-session-noninteractive: required pam_nsiso.so, with the root guard" \
	grep -qE '^session[[:space:]]+required[[:space:]]+pam_nsiso\.so' /etc/pam.d/common-session-noninteractive

check "pamtester $USER1 through common-session" session "$SVC" "$USER1"
check "pamtester root through common-session" session "$SVC" root
check "pamtester daemon (uid 1) through common-session" session "$SVC" daemon
check_eq "enabled: nsisoctl check names no door without the module" 0 \
	"$(nsisoctl check 2>&1 | grep -c 'does not run pam_nsiso.so')"
# The package's line and the README's manual one after it, as when an
# admin follows both: the first isolates the session, the second does
# nothing (it denied every such login before).
SVC2=$(nsiso_make_pam_service "@include common-session
session required pam_nsiso.so
session required pam_exec.so type=open_session $D/probe")
check "pamtester $USER1 with pam_nsiso twice in the stack" session "$SVC2" "$USER1" twice

# A broken conf denies the users it applies to (required, on_error deny),
# but never root: the profile skips pam_nsiso for uid 0.
printf 'this line is not valid\n' >/etc/security/nsiso.d/zz-nsiso-test-broken.conf
chmod 0644 /etc/security/nsiso.d/zz-nsiso-test-broken.conf
check_not "broken conf: nsisoctl check reports it" nsisoctl check
check "broken conf: root still gets a session" session "$SVC" root broken-root
check_not "broken conf: $USER1 is denied" session "$SVC" "$USER1" broken-user
rm -f /etc/security/nsiso.d/zz-nsiso-test-broken.conf

t0=$SECONDS
apt-get purge "${APT_OPTS[@]}" "$PKG" >"$T/apt-purge.log" 2>&1
rc=$?
installed=""
window=$((SECONDS - window))
# --- end of the window ---------------------------------------------------------
check_eq "apt-get purge $PKG ($((SECONDS - t0)) s; pam_nsiso was enabled for ${window} s)" 0 "$rc" ||
	cat "$T/apt-purge.log"

# What the sessions saw.
host_short=$(uname -n)
host_short=${host_short%%.*}
pages=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 1024 / $(getconf PAGESIZE)))
# shellcheck disable=SC2017 # the module's own arithmetic, on purpose
limit=$((pages / 100 * 25 * $(getconf PAGESIZE)))
info "25% of RAM as nsiso_limit_bytes computes it: $pages pages / 100 * 25 * $(getconf PAGESIZE) = $limit"
for ns in uts ipc mnt pid cgroup; do
	check_not "$USER1: new $ns namespace" test "$(probe "$USER1" ns_$ns)" = "$(readlink /proc/self/ns/$ns)"
done
check "$USER1: fresh /proc: $(probe "$USER1" procs) PIDs (holder, probe and its commands)" \
	test "$(probe "$USER1" procs)" -ge 1 -a "$(probe "$USER1" procs)" -le 6
check_eq "$USER1: host name from the shipped template %h-%U" "$host_short-$uid1" "$(probe "$USER1" host)"
check "$USER1, module twice: isolated once: fresh /proc ($(probe twice procs) PIDs), own host name" \
	test "$(probe twice procs)" -le 6 -a "$(probe twice host)" = "$host_short-$uid1"
check_eq "$USER1: in the memory and pids groups nsiso/user-$uid1" "1 1" "$(probe "$USER1" in_own)"
check_eq "$USER1: which its cgroup namespace shows as / (memory, pids)" "/ /" \
	"$(probe "$USER1" cgroup) $(probe "$USER1" pids_cgroup)"
check_eq "$USER1: /tmp is the user's own (private_tmp yes), root's 1777 like any /tmp" \
	"root 1777 .nsiso-tmp/$uid1" "$(probe "$USER1" tmp)"
check_eq "$USER1: limits memory=25% of RAM, memsw=memory (swap 0), tasks 2048" \
	"$limit $limit 2048 " "$(probe "$USER1" limits)"
check "$USER1: a session record in /run/nsiso while open" test "$(probe "$USER1" run_dir)" -ge 1
check "$USER1: user cgroup removed after close" \
	nsiso_wait_for test ! -d "$CG/memory/nsiso/user-$uid1" -a ! -d "$CG/pids/nsiso/user-$uid1"
check "$USER1: private /tmp removed after close" nsiso_wait_for test ! -e "$(nsiso_private_tmp "$uid1")"
for u in root daemon broken-root; do
	for ns in uts ipc mnt pid; do
		check_eq "$u: host $ns namespace" "$(readlink /proc/self/ns/$ns)" "$(probe $u ns_$ns)"
	done
	check_eq "$u: host name untouched" "$(uname -n)" "$(probe $u host)"
	check_eq "$u: memory cgroup untouched" "$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)" \
		"$(probe $u cgroup)"
done

# ---------------------------------------------------------------------------
# After the purge: the system as before.
# ---------------------------------------------------------------------------
remove_our_cgroups
state >"$T/state.after"
if cmp -s "$T/state.before" "$T/state.after"; then
	pass "after purge: /etc/pam.d, /var/lib/pam, files, /run/nsiso, nsiso cgroups as before"
else
	diff -u "$T/state.before" "$T/state.after" | sed 's/^/# /'
	fail "after purge: system as before" "state differs (diff above)"
fi
check_eq "after purge: dpkg status of $PKG" "" \
	"$(dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null | grep -v '^not-installed$')"
for p in /etc/security/nsiso.conf "$HELPER_PATH" /run/nsiso; do
	if [ "$p" = /run/nsiso ] && [ -n "$run_existed" ]; then continue; fi
	check_not "after purge: no $p" test -e "$p"
done

# ---------------------------------------------------------------------------
# The preinst on an upgrade: over a helper of a release without the
# per-user private /tmp lock files (one whose binary lacks their name) on a
# host with /run/nsiso, it makes private-tmp.lock, which that release's
# sessions lock; never otherwise.  Run in a mount namespace of its own, on
# tmpfs over /usr/libexec and /run: the host's are not touched.
# ---------------------------------------------------------------------------
preinst_makes() { # HELPER-LIKE-FILE yes|no (a /run/nsiso) [ACTION]: mode and owner of the file, or none
	unshare -m sh -c '
		mount --make-rprivate / &&
		mount -t tmpfs nsiso-preinst /usr/libexec && cp "$1" /usr/libexec/nsiso-helper &&
		mount -t tmpfs nsiso-preinst /run && { [ "$2" = no ] || mkdir -m 0711 /run/nsiso; } &&
		sh "$3" "$4" 0.1.0 &&
		{ stat -c "%a %U %F" /run/nsiso/private-tmp.lock 2>/dev/null || echo none; }
	' sh "$1" "$2" "$NSISO_TOP/debian/libpam-nsiso.preinst" "${3:-upgrade}"
}
check_eq "preinst over a helper of before: it makes private-tmp.lock, root's 0600" \
	"600 root regular empty file" "$(preinst_makes /bin/true yes)"
check_eq "preinst over a helper with the per-user files: none" none \
	"$(preinst_makes "$NSISO_TOP/helper/nsiso-helper" yes)"
check_eq "preinst with no /run/nsiso: none" none "$(preinst_makes /bin/true no)"
check_eq "preinst install over a helper make install put there: it makes the file" \
	"600 root regular empty file" "$(preinst_makes /bin/true yes install)"

info "check-deb took $((SECONDS - START)) s"
finished=1
