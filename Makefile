# SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later
# pam_nsiso: building, installing, testing, packaging and benchmarking.
# `make help` lists every target.  Tests, packaging and benchmarks need root
# on Debian 12 (real cgroups, users, sshd); they install what they need.

# ==== Build ===================================================================

PREFIX     ?= /usr
LIBEXECDIR ?= $(PREFIX)/libexec
UNITDIR    ?= /lib/systemd/system
SYSCONFDIR ?= /etc
MANDIR     ?= $(PREFIX)/share/man
MULTIARCH  := $(shell gcc -print-multiarch 2>/dev/null)
PAMDIR     ?= /lib/$(MULTIARCH)/security
HELPER_PATH = $(LIBEXECDIR)/nsiso-helper

CC       ?= gcc
CFLAGS   ?= -O2 -g
WARN      = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
HARDEN    = -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fstack-clash-protection
CPPFLAGS += -D_GNU_SOURCE -DNSISO_HELPER_PATH='"$(HELPER_PATH)"'
ALL_CFLAGS = -std=gnu11 $(WARN) $(HARDEN) $(CFLAGS)
RELRO     = -Wl,-z,relro,-z,now
# libcgroup linked into the helper: no library to find, map and relocate
# at each exec'd login (0.6 ms of B1 here), and no lazy binding of its calls
# in each broker worker (debian/rules names it in Built-Using).
LIBCGROUP = -Wl,-Bstatic -lcgroup -Wl,-Bdynamic

COMMON_PARSE  = common/conf.c common/size.c common/hostname.c common/textfile.c
COMMON_STATE  = common/record.c common/cgroup_stats.c common/quota.c common/unreaped.c
COMMON_CGROUP = common/cgroup.c common/pages.c common/uidlock.c
COMMON_SYSTEMD = common/systemd.c common/systemd_bus.c
COMMON_REQUEST = common/request.c
COMMON_CHANNEL = common/fdpass.c
MODULE_SRC = pam_nsiso/pam_nsiso.c pam_nsiso/spawn.c $(COMMON_PARSE) common/cgroup_stats.c \
             $(COMMON_SYSTEMD) $(COMMON_REQUEST) $(COMMON_CHANNEL)
HELPER_SRC = helper/main.c helper/broker.c helper/holder.c helper/reaper.c helper/watch.c helper/oomwatch.c \
             helper/privtmp.c helper/cgroupns.c helper/prebuilt.c helper/member.c helper/nscharge.c helper/mntns.c \
             helper/workers.c \
             common/kmsg.c $(COMMON_SYSTEMD) $(COMMON_REQUEST) $(COMMON_CHANNEL) $(COMMON_PARSE) \
             $(COMMON_STATE) $(COMMON_CGROUP)
CTL_SRC    = ctl/main.c ctl/check.c ctl/doors.c ctl/mail.c ctl/status.c ctl/quota.c ctl/output.c $(COMMON_PARSE) $(COMMON_STATE) \
             common/systemd.c
HEADERS    = $(wildcard common/*.h pam_nsiso/*.h helper/*.h ctl/*.h)
MANPAGES   = docs/pam_nsiso.8 docs/nsiso-helper.8 docs/nsisoctl.8 docs/nsiso.conf.5

MODULE = pam_nsiso/pam_nsiso.so
HELPER = helper/nsiso-helper
CTL    = ctl/nsisoctl

# Each source is compiled once, into an object beside it, position-
# independent: the module is a shared object, the helper and nsisoctl are
# PIE executables, and the objects of common/ go into all three.
objects = $(patsubst %.c,%.o,$(1))

.PHONY: all clean help
all: $(MODULE) $(HELPER) $(CTL) ## build the module, the helper and nsisoctl (the default)

%.o: %.c $(HEADERS)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIC -c -o $@ $<

$(MODULE): $(call objects,$(MODULE_SRC)) pam_nsiso/pam_nsiso.map
	$(CC) $(ALL_CFLAGS) -shared $(RELRO) $(LDFLAGS) \
		-Wl,--version-script=pam_nsiso/pam_nsiso.map -o $@ $(filter %.o,$^) -lpam

$(HELPER): $(call objects,$(HELPER_SRC))
	$(CC) $(ALL_CFLAGS) -pie $(RELRO) $(LDFLAGS) -o $@ $^ $(LIBCGROUP)

$(CTL): $(call objects,$(CTL_SRC))
	$(CC) $(ALL_CFLAGS) -pie $(RELRO) $(LDFLAGS) -o $@ $^

clean: clean-bench ## remove everything the build and the tests made
	rm -f $(MODULE) $(HELPER) $(CTL) pam_nsiso/*.o helper/*.o common/*.o ctl/*.o
	rm -rf tests/build

help: ## list the targets
	@echo "make [TARGET] [VARIABLE=value ...]"
	@awk -F ':.*## ' '/^# ==== / { s = $$0; sub(/^# ==== /, "", s); sub(/ =+$$/, "", s); print "\n" s ":" } \
		/^[a-z][a-z0-9-]*:.*## / { printf "  %-13s %s\n", $$1, $$2 }' $(firstword $(MAKEFILE_LIST))

# ==== Install =================================================================
# PREFIX, DESTDIR, PAMDIR, LIBEXECDIR (the module finds the helper there),
# SYSCONFDIR, MANDIR.

.PHONY: install uninstall
# Over a helper of a release without the per-user private /tmp lock
# files, the lock file its sessions use must be there before ours runs:
# the package's preinst does it (and says why).
install: all ## install the module, helper, nsisoctl, man pages, the broker's systemd units and (if absent) the conf
	if [ -z "$(DESTDIR)" ]; then \
		NSISO_HELPER_PATH=$(HELPER_PATH) sh debian/libpam-nsiso.preinst upgrade; fi
	install -D -m 0644 $(MODULE) $(DESTDIR)$(PAMDIR)/pam_nsiso.so
	install -D -m 0755 $(HELPER) $(DESTDIR)$(HELPER_PATH)
	install -D -m 0755 $(CTL) $(DESTDIR)$(PREFIX)/bin/nsisoctl
	for m in $(MANPAGES); do \
		install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/} || exit 1; \
	done
	install -D -m 0644 conf/nsiso-broker.socket $(DESTDIR)$(UNITDIR)/nsiso-broker.socket
	sed 's|@HELPER_PATH@|$(HELPER_PATH)|' conf/nsiso-broker.service.in \
		>$(DESTDIR)$(UNITDIR)/nsiso-broker.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/nsiso-broker.service
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/security/nsiso.d
	test -e $(DESTDIR)$(SYSCONFDIR)/security/nsiso.conf || \
		install -D -m 0644 conf/nsiso.conf $(DESTDIR)$(SYSCONFDIR)/security/nsiso.conf

# The conf and nsiso.d/ go only while they are as install left them; the
# pam_nsiso line in /etc/pam.d is the admin's to remove (first).
# (nsisoctl was in sbin before it became a command for every user.)
uninstall: ## remove what install installed (the conf only if unchanged)
	rm -f $(DESTDIR)$(PAMDIR)/pam_nsiso.so $(DESTDIR)$(HELPER_PATH) $(DESTDIR)$(PREFIX)/bin/nsisoctl \
		$(DESTDIR)$(PREFIX)/sbin/nsisoctl $(DESTDIR)$(UNITDIR)/nsiso-broker.socket \
		$(DESTDIR)$(UNITDIR)/nsiso-broker.service
	for m in $(MANPAGES); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	@conf=$(DESTDIR)$(SYSCONFDIR)/security/nsiso.conf; \
	if cmp -s conf/nsiso.conf $$conf; then echo "rm -f $$conf"; rm -f $$conf; \
	elif [ -e $$conf ]; then echo "uninstall: kept $$conf: it differs from conf/nsiso.conf"; fi; \
	dir=$(DESTDIR)$(SYSCONFDIR)/security/nsiso.d; \
	if [ -d $$dir ] && [ -z "$$(ls -A $$dir)" ]; then echo "rmdir $$dir"; rmdir $$dir; \
	elif [ -d $$dir ]; then echo "uninstall: kept $$dir: it is not empty"; fi
	@! grep -l -s 'pam_nsiso' $(DESTDIR)$(SYSCONFDIR)/pam.d/* || \
		echo "uninstall: the files above still name pam_nsiso: remove those lines"

# ==== Test ====================================================================
# Tests need root, real cgroups, sshd and pamtester (see README.md, Tests).

# Unit tests run under ASan+UBSan; test_retval drives the built module and
# helper through the real libpam.
SAN        = -fsanitize=address,undefined -fno-omit-frame-pointer
UNIT_FLAGS = $(CPPFLAGS) -std=gnu11 $(WARN) -g -O1 $(SAN)
UNIT_TESTS = tests/build/test_size tests/build/test_hostname tests/build/test_conf \
             tests/build/test_retval tests/build/test_systemd tests/build/test_request \
             tests/build/test_textfile tests/build/test_cgroup_stats tests/build/test_kmsg \
             tests/build/test_quota tests/build/test_record tests/build/test_systemd_bus \
             tests/build/test_fdpass tests/build/test_pages tests/build/test_systemd_bus_drop \
             tests/build/test_member tests/build/test_workers
TOOLS      = tests/build/memhog tests/build/nsiso-helper-faults \
             tests/build/nsiso-pamtime tests/build/nsiso-lctool \
             tests/build/nsiso-pamdaemon tests/build/nsiso-pamclose

.PHONY: check unit deps lint-man demo check-v2 stress check-slow
check: deps all unit lint-man fuzz-replay hardening ## every test (as root); ends "N passed, N failed"
	tests/run

unit: $(UNIT_TESTS) $(TOOLS) ## build the unit tests and the test tools (tests/build)

deps: ## install the packages building and testing need, when missing (as root)
	tests/deps.sh

lint-man: ## the man pages, under mandoc's linter (warnings and worse)
	mandoc -T lint -W warning $(MANPAGES)

demo: deps all tests/build/memhog ## a throwaway sshd and one isolated login, checked step by step (as root)
	tests/demo.sh

# A pure cgroup v2 kernel (Debian's cloud kernel, unpacked into
# tests/build/v2) in qemu (TCG) with an initramfs holding the built module,
# helper, nsisoctl and pamtester; tests/v2/cases.sh runs inside.  Installs
# qemu-system-x86, busybox-static and cpio when missing.
check-v2: deps all ## the cgroup v2 path, in a qemu VM (as root)
	tests/v2/run-vm.sh

# Open/close churn sized to the machine (as many cycles as fit a budget,
# from a timed first round; 50 concurrent sessions of one user plus 10
# other users, pamtester and a real sshd, a tenth of the PAM applications
# SIGKILLed, nothing left after), then open/close/teardown timings through
# libpam.  Figures are printed, generous bounds asserted.
stress: deps all unit ## the lifecycle under load: churn and timings (as root)
	tests/stress/run

# make check with every process of the run in a cpu cgroup whose quota makes
# process start 5 times slower (NSISO_SLOW_FACTOR), measured and printed
# first: the waits of every test must hold on a slow, loaded machine.
check-slow: ## make check on a machine made 5x slower at starting processes (as root)
	tests/slow/run

tests/build/test_size: tests/unit/test_size.c common/size.c
tests/build/test_hostname: tests/unit/test_hostname.c common/hostname.c
tests/build/test_conf: tests/unit/test_conf.c $(COMMON_PARSE)
tests/build/test_retval: tests/unit/test_retval.c $(MODULE) $(HELPER)
tests/build/test_systemd: tests/unit/test_systemd.c common/systemd.c common/textfile.c common/size.c
tests/build/test_request: tests/unit/test_request.c $(COMMON_REQUEST) $(COMMON_PARSE)
tests/build/test_textfile: tests/unit/test_textfile.c common/textfile.c common/size.c
tests/build/test_cgroup_stats: tests/unit/test_cgroup_stats.c common/cgroup_stats.c common/textfile.c \
                              common/size.c
tests/build/test_kmsg: tests/unit/test_kmsg.c common/kmsg.c common/record.c common/size.c common/textfile.c
tests/build/test_quota: tests/unit/test_quota.c common/quota.c common/record.c common/cgroup_stats.c \
                        common/textfile.c common/size.c
tests/build/test_record: tests/unit/test_record.c common/record.c common/size.c common/textfile.c
tests/build/test_fdpass: tests/unit/test_fdpass.c $(COMMON_CHANNEL)
tests/build/test_pages: tests/unit/test_pages.c common/pages.c
tests/build/test_member: tests/unit/test_member.c helper/member.c $(COMMON_CHANNEL)
tests/build/test_workers: tests/unit/test_workers.c helper/workers.c common/record.c common/size.c \
                          common/textfile.c common/systemd.c
tests/build/test_systemd_bus: tests/unit/test_systemd_bus.c $(COMMON_SYSTEMD) common/cgroup_stats.c \
                              common/textfile.c common/size.c
tests/build/test_systemd_bus_drop: tests/unit/test_systemd_bus_drop.c $(COMMON_SYSTEMD) \
                                   common/cgroup_stats.c common/textfile.c common/size.c \
                                   pam_nsiso/spawn.c $(HELPER) \
                                   $(COMMON_CHANNEL)
tests/build/test_%: tests/unit/unit.c $(HEADERS) tests/unit/unit.h tests/unit/unit_files.h
	@mkdir -p tests/build
	$(CC) $(UNIT_FLAGS) -DMODULE_PATH='"$(CURDIR)/$(MODULE)"' \
		-DHELPER_PATH='"$(CURDIR)/$(HELPER)"' -o $@ $(filter %.c,$^) -lcmocka -lpam

# The helper with fault points enabled (helper/faults.h), for tests only:
# its own objects of everything but common/, whose objects it shares.
FAULT_FILE = $(CURDIR)/tests/build/fault
FAULTS_OBJ = $(patsubst %.c,tests/build/faults/%.o,$(filter-out common/%,$(HELPER_SRC)) helper/faults.c) \
             $(call objects,$(filter common/%,$(HELPER_SRC)))
tests/build/faults/%.o: %.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DNSISO_FAULT_FILE='"$(FAULT_FILE)"' $(ALL_CFLAGS) -fPIC -c -o $@ $<
tests/build/nsiso-helper-faults: $(FAULTS_OBJ)
	$(CC) $(ALL_CFLAGS) -pie $(RELRO) $(LDFLAGS) -o $@ $^ $(LIBCGROUP)

tests/build/memhog: tests/tools/memhog.c
	@mkdir -p tests/build
	$(CC) -O2 $(WARN) -o $@ $<

tests/build/nsiso-pamtime: tests/stress/pamtime.c
	@mkdir -p tests/build
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< -lpam

tests/build/nsiso-pamdaemon: tests/tools/pamdaemon.c
	@mkdir -p tests/build
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< -lpam

tests/build/nsiso-pamclose: tests/tools/pamclose.c
	@mkdir -p tests/build
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< -lpam

tests/build/nsiso-lctool: tests/lifecycle/tools/lctool.c
	@mkdir -p tests/build
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

# Hardening: fuzzing, lint, binary checks.
#   make fuzz          the conf parser and resolver under libFuzzer (clang,
#                      ASan, UBSan) for FUZZ_SECONDS (60), from the seeds in
#                      fuzz/corpus/; prints the number of executions.  A
#                      finding is written to tests/build/fuzz/crash-*: add it
#                      to fuzz/corpus/ (it then runs in fuzz-replay) and fix.
#   make fuzz-replay   every input of fuzz/corpus/ once under ASan+UBSan (gcc,
#                      no clang needed): the fuzz regressions, for make check.
#   make lint          cppcheck and clang-tidy over pam_nsiso/ helper/
#                      common/ ctl/ (suppressions below, each with its reason)
#   make hardening     PIE, RELRO + BIND_NOW, stack protector, FORTIFY and a
#                      non-executable stack in the built binaries
# tests/adversarial/*.sh (helper abuse, escapes from an SSH session, one
# session under valgrind) run from tests/run with the integration scripts.
FUZZ_SECONDS ?= 60
FUZZ_DIR      = tests/build/fuzz
FUZZ_SRC      = fuzz/conf_fuzz.c $(COMMON_PARSE)
FUZZ_CFLAGS   = -g -O1 -std=gnu11 -D_GNU_SOURCE $(WARN) -fno-omit-frame-pointer \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_RUN      = -dict=fuzz/conf.dict -max_len=4200 -print_final_stats=1 \
                -artifact_prefix=$(FUZZ_DIR)/
.PHONY: fuzz fuzz-request fuzz-deps fuzz-replay lint hardening

fuzz-deps: ## install clang and its libFuzzer runtime, when missing (as root)
	@command -v clang >/dev/null && \
	dpkg-query -W -f='$${Status}' libclang-rt-14-dev 2>/dev/null | grep -q 'ok installed' || \
	{ echo "fuzz: installing clang libclang-rt-14-dev"; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		clang libclang-rt-14-dev >/dev/null; }

$(FUZZ_DIR)/conf_fuzz: $(FUZZ_SRC) $(HEADERS) | fuzz-deps
	@mkdir -p $(FUZZ_DIR)
	clang $(FUZZ_CFLAGS) -o $@ $(FUZZ_SRC)

fuzz: $(FUZZ_DIR)/conf_fuzz ## the conf parser under libFuzzer for FUZZ_SECONDS (60)
	@mkdir -p $(FUZZ_DIR)/corpus && cp fuzz/corpus/* $(FUZZ_DIR)/corpus/
	@echo "fuzz: $(FUZZ_SECONDS) s, log in $(FUZZ_DIR)/fuzz.log"
	@$(FUZZ_DIR)/conf_fuzz -max_total_time=$(FUZZ_SECONDS) $(FUZZ_RUN) $(FUZZ_DIR)/corpus \
		>$(FUZZ_DIR)/fuzz.log 2>&1; rc=$$?; \
	[ $$rc -eq 0 ] || tail -n 40 $(FUZZ_DIR)/fuzz.log; \
	echo "fuzz: $$(sed -n 's/^stat::number_of_executed_units: *//p' $(FUZZ_DIR)/fuzz.log) executions" \
		"in $$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' $(FUZZ_DIR)/fuzz.log) s," \
		"$$(ls $(FUZZ_DIR)/corpus | wc -l) corpus entries, exit $$rc"; \
	exit $$rc

$(FUZZ_DIR)/conf_replay: fuzz/conf_fuzz.c fuzz/replay.c $(COMMON_PARSE) $(HEADERS)
	@mkdir -p $(FUZZ_DIR)
	$(CC) $(UNIT_FLAGS) -fno-sanitize-recover=all -o $@ fuzz/conf_fuzz.c fuzz/replay.c $(COMMON_PARSE)

$(FUZZ_DIR)/request_replay: fuzz/request_fuzz.c fuzz/replay.c $(COMMON_REQUEST) $(COMMON_PARSE) $(HEADERS)
	@mkdir -p $(FUZZ_DIR)
	$(CC) $(UNIT_FLAGS) -fno-sanitize-recover=all -o $@ fuzz/request_fuzz.c fuzz/replay.c \
		$(COMMON_REQUEST) $(COMMON_PARSE)

$(FUZZ_DIR)/request_fuzz: fuzz/request_fuzz.c $(COMMON_REQUEST) $(COMMON_PARSE) $(HEADERS) | fuzz-deps
	@mkdir -p $(FUZZ_DIR)
	clang $(FUZZ_CFLAGS) -o $@ fuzz/request_fuzz.c $(COMMON_REQUEST) $(COMMON_PARSE)

fuzz-request: $(FUZZ_DIR)/request_fuzz ## the helper's request decoder under libFuzzer for FUZZ_SECONDS
	@mkdir -p $(FUZZ_DIR)/request-corpus && cp fuzz/request-corpus/* $(FUZZ_DIR)/request-corpus/
	@$(FUZZ_DIR)/request_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=2048 -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_DIR)/request- $(FUZZ_DIR)/request-corpus >$(FUZZ_DIR)/request.log 2>&1; \
	rc=$$?; [ $$rc -eq 0 ] || tail -n 40 $(FUZZ_DIR)/request.log; \
	echo "fuzz-request: $$(sed -n 's/^stat::number_of_executed_units: *//p' $(FUZZ_DIR)/request.log) executions, exit $$rc"; \
	exit $$rc

fuzz-replay: $(FUZZ_DIR)/conf_replay $(FUZZ_DIR)/request_replay ## every input of fuzz/corpus/ and fuzz/request-corpus/ once, under ASan+UBSan
	$(FUZZ_DIR)/conf_replay fuzz/corpus/*
	$(FUZZ_DIR)/request_replay fuzz/request-corpus/*

LINT_SRC = $(sort $(wildcard pam_nsiso/*.c helper/*.c common/*.c ctl/*.c))
# cppcheck suppressions:
#   variableScope     the project declares locals at the top of a block
#   readdirCalled     readdir_r is deprecated; readdir on a stream that one
#                     thread owns is thread-safe in glibc
#   getpwnamCalled, getgrnamCalled, getpwuidCalled   only in single-threaded
#                     programs (the helper, nsisoctl); the module uses
#                     pam_modutil_getpwnam
#   missingIncludeSystem   system headers are the compiler's business
CPPCHECK_FLAGS = --quiet --error-exitcode=1 --std=c11 --library=posix --inline-suppr \
	--enable=warning,style,performance,portability -D_GNU_SOURCE -D__linux__ \
	--template='{file}:{line}: {severity} {id}: {message}' \
	--suppress=variableScope --suppress=readdirCalled --suppress=missingIncludeSystem \
	--suppress=getpwnamCalled:helper/main.c --suppress=getpwnamCalled:helper/broker.c --suppress=getpwnamCalled:ctl/check.c \
	--suppress=getgrnamCalled:ctl/check.c --suppress=getpwnamCalled:ctl/quota.c \
	--suppress=getpwuidCalled:ctl/quota.c
# clang-tidy: the analyzer, bugprone, cert, misc, performance, portability,
# less:
#   ...insecureAPI.DeprecatedOrUnsafeBufferHandling   wants the C11 Annex K
#                     *_s functions, which glibc does not have
#   ...insecureAPI.strcpy   every strcpy copies into a buffer whose size was
#                     checked just before; _FORTIFY_SOURCE=3 checks them too
#   cert-err33-c      unchecked snprintf/fprintf: truncating a message into a
#                     fixed buffer is intended, a failed write to stderr has
#                     no better fallback
#   bugprone-easily-swappable-parameters   (buf, len), (uid, gid) API style
# One file per run: clang-tidy 14 carries analyzer state from one file to the
# next and then reports a va_list it never saw as uninitialised.
TIDY_CHECKS = -*,clang-analyzer-*,bugprone-*,cert-*,misc-*,performance-*,portability-*,$\
-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,$\
-clang-analyzer-security.insecureAPI.strcpy,-cert-err33-c,$\
-bugprone-easily-swappable-parameters
TIDY_FLAGS = $(CPPFLAGS) -std=gnu11 -DNSISO_FAULT_FILE='"/dev/null"'

lint: ## cppcheck and clang-tidy over the C sources
	cppcheck $(CPPCHECK_FLAGS) $(LINT_SRC)
	@fail=0; for f in $(LINT_SRC); do \
		out=$$(clang-tidy --quiet -checks='$(TIDY_CHECKS)' $$f -- $(TIDY_FLAGS) 2>/dev/null); \
		[ -z "$$out" ] || { printf '%s\n' "$$out"; fail=1; }; \
	done; \
	[ $$fail -eq 0 ] && echo "lint: cppcheck and clang-tidy clean ($(words $(LINT_SRC)) files)"; \
	exit $$fail

# What the binaries must show: tests/adversarial/lib/check-hardening.sh
# (readelf; also hardening-check from devscripts where it is installed).
hardening: all ## PIE, RELRO, BIND_NOW, canaries, FORTIFY, NX in the built binaries
	bash tests/adversarial/lib/check-hardening.sh $(HELPER) $(CTL) $(MODULE)

# ==== Packaging ===============================================================
# Build libpam-nsiso with dpkg-buildpackage in a copy of the tree under /tmp
# (never in the checkout), run lintian, install it with apt-get, enable it
# with pam-auth-update, prove an isolated pamtester session through
# common-session (and root's untouched), purge it and check that the system
# is as before.  Installs debhelper, lintian etc. when missing.

.PHONY: check-deb
check-deb: $(HELPER) ## build, lintian, install, use and purge the Debian package (as root)
	tests/deb/check-deb.sh

# ==== Benchmarks ==============================================================
# B1-B4 (bench/run.sh): the cost of isolation against a pam_permit floor and
# against peers; prints a table and writes bench/results.json.  4 to 14
# minutes on 2 cores (13-14 with a baseline); never part of make check.
# NSISO_BENCH_QUICK=1 make bench: a smoke run with small counts (about 2.5
# minutes); NSISO_BENCH_BASELINE=REV also times git revision REV in B1,
# interleaved (before and after).
BENCH_TOOL = bench/build/nsbench

.PHONY: bench clean-bench
bench: deps all $(BENCH_TOOL) tests/build/nsiso-pamtime ## B1-B4: what isolation costs, against a floor and peers (as root)
	bench/run.sh

$(BENCH_TOOL): bench/nsbench.c
	@mkdir -p bench/build
	$(CC) $(CPPFLAGS) -std=gnu11 $(WARN) -O2 $(LDFLAGS) -o $@ bench/nsbench.c -lpam

# sd-bus SetUnitProperties against exec'ing systemctl, for a slice's limits
# (the helper's way in cgroup_mode systemd); make check-systemd runs it in
# its VM, where systemd is PID 1.
BENCH_SYSTEMD = bench/build/systemd_limits
$(BENCH_SYSTEMD): bench/systemd_limits.c $(COMMON_SYSTEMD) common/cgroup_stats.c common/textfile.c \
		common/size.c $(HEADERS)
	@mkdir -p bench/build
	$(CC) $(CPPFLAGS) -std=gnu11 $(WARN) -O2 $(LDFLAGS) -o $@ bench/systemd_limits.c \
		$(COMMON_SYSTEMD) common/cgroup_stats.c common/textfile.c common/size.c -lsystemd

clean-bench: ## remove the benchmark tool
	rm -rf bench/build

# ==== A real systemd host, in a VM ============================================
# A Debian 12 root file system from mmdebstrap (cached in tests/build/systemd,
# rebuilt when its package list or the apt sources change) with the project's
# .deb installed and enabled as README.md says, booted under qemu (TCG) with
# systemd as PID 1, twice (cgroup v2 and hybrid); real SSH logins, cron, at,
# su, systemd-run --user, a lingering user's timer and loginctl inside
# (tests/systemd/cases.sh).  Ends with "N passed, N failed".  Installs
# mmdebstrap, qemu and the build dependencies when missing.

.PHONY: check-systemd
check-systemd: ## the package on a systemd host: SSH logins and every door, in a qemu VM (as root)
	tests/systemd/run-vm.sh
