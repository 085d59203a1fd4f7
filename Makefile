# pam_nsiso: one entry point for building, installing and testing.
#   make            build the module and the helper
#   make install    PREFIX, DESTDIR, PAMDIR, LIBEXECDIR, SYSCONFDIR
#   make check      install missing test packages, run every test (as root)
#   make demo       a throwaway sshd on 127.0.0.1 and an isolated login
PREFIX     ?= /usr
LIBEXECDIR ?= $(PREFIX)/libexec
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

COMMON_PARSE  = common/conf.c common/size.c common/hostname.c common/textfile.c
COMMON_STATE  = common/record.c common/cgroup_stats.c
COMMON_REQUEST = common/request.c
COMMON_CGROUP = common/cgroup.c
COMMON_SYSTEMD = common/systemd.c common/systemd_bus.c
MODULE_SRC = pam_nsiso/pam_nsiso.c pam_nsiso/spawn.c $(COMMON_PARSE) common/cgroup_stats.c \
             $(COMMON_SYSTEMD) $(COMMON_REQUEST)
HELPER_SRC = helper/main.c helper/holder.c helper/reaper.c $(COMMON_SYSTEMD) $(COMMON_REQUEST) $(COMMON_PARSE) $(COMMON_STATE) \
             $(COMMON_CGROUP)
HEADERS    = $(wildcard common/*.h pam_nsiso/*.h helper/*.h ctl/*.h)

CTL_SRC    = ctl/main.c ctl/check.c ctl/status.c $(COMMON_PARSE) $(COMMON_STATE) common/systemd.c

MODULE = pam_nsiso/pam_nsiso.so
HELPER = helper/nsiso-helper
CTL    = ctl/nsisoctl

.PHONY: all install uninstall check demo clean unit deps lint-man
MANPAGES = docs/pam_nsiso.8 docs/nsiso-helper.8 docs/nsisoctl.8 docs/nsiso.conf.5
all: $(MODULE) $(HELPER) $(CTL)

$(MODULE): $(MODULE_SRC) $(HEADERS) pam_nsiso/pam_nsiso.map
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIC -shared $(RELRO) $(LDFLAGS) \
		-Wl,--version-script=pam_nsiso/pam_nsiso.map -o $@ $(MODULE_SRC) -lpam -lsystemd

$(HELPER): $(HELPER_SRC) $(HEADERS)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIE -pie $(RELRO) $(LDFLAGS) -o $@ $(HELPER_SRC) -lcgroup -lsystemd

$(CTL): $(CTL_SRC) $(HEADERS)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIE -pie $(RELRO) $(LDFLAGS) -o $@ $(CTL_SRC)

install: all
	install -D -m 0644 $(MODULE) $(DESTDIR)$(PAMDIR)/pam_nsiso.so
	install -D -m 0755 $(HELPER) $(DESTDIR)$(HELPER_PATH)
	install -D -m 0755 $(CTL) $(DESTDIR)$(PREFIX)/sbin/nsisoctl
	install -D -m 0644 docs/pam_nsiso.8 $(DESTDIR)$(MANDIR)/man8/pam_nsiso.8
	install -D -m 0644 docs/nsiso-helper.8 $(DESTDIR)$(MANDIR)/man8/nsiso-helper.8
	install -D -m 0644 docs/nsisoctl.8 $(DESTDIR)$(MANDIR)/man8/nsisoctl.8
	install -D -m 0644 docs/nsiso.conf.5 $(DESTDIR)$(MANDIR)/man5/nsiso.conf.5
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/security/nsiso.d
	test -e $(DESTDIR)$(SYSCONFDIR)/security/nsiso.conf || \
		install -D -m 0644 conf/nsiso.conf $(DESTDIR)$(SYSCONFDIR)/security/nsiso.conf

uninstall:
	rm -f $(DESTDIR)$(PAMDIR)/pam_nsiso.so $(DESTDIR)$(HELPER_PATH) $(DESTDIR)$(PREFIX)/sbin/nsisoctl

# Unit tests run under ASan+UBSan; test_retval drives the built module and
# helper through the real libpam.
SAN        = -fsanitize=address,undefined -fno-omit-frame-pointer
UNIT_FLAGS = $(CPPFLAGS) -std=gnu11 $(WARN) -g -O1 $(SAN)
UNIT_TESTS = tests/build/test_size tests/build/test_hostname tests/build/test_conf \
             tests/build/test_retval tests/build/test_systemd tests/build/test_request tests/build/test_textfile \
             tests/build/test_cgroup_stats
TOOLS      = tests/build/memhog tests/build/nsiso-helper-faults

tests/build/test_size: tests/unit/test_size.c common/size.c
tests/build/test_hostname: tests/unit/test_hostname.c common/hostname.c
tests/build/test_conf: tests/unit/test_conf.c $(COMMON_PARSE)
tests/build/test_retval: tests/unit/test_retval.c $(MODULE) $(HELPER)
tests/build/test_systemd: tests/unit/test_systemd.c common/systemd.c common/textfile.c
tests/build/test_request: tests/unit/test_request.c $(COMMON_REQUEST) $(COMMON_PARSE)
tests/build/test_textfile: tests/unit/test_textfile.c common/textfile.c
tests/build/test_cgroup_stats: tests/unit/test_cgroup_stats.c common/cgroup_stats.c common/textfile.c
tests/build/test_%: $(HEADERS)
	@mkdir -p tests/build
	$(CC) $(UNIT_FLAGS) -DMODULE_PATH='"$(CURDIR)/$(MODULE)"' \
		-DHELPER_PATH='"$(CURDIR)/$(HELPER)"' -o $@ $(filter %.c,$^) -lcmocka -lpam

# The helper with fault points enabled (helper/faults.h), for tests only.
FAULT_FILE = $(CURDIR)/tests/build/fault
tests/build/nsiso-helper-faults: $(HELPER_SRC) helper/faults.c $(HEADERS)
	@mkdir -p tests/build
	$(CC) $(CPPFLAGS) -DNSISO_FAULT_FILE='"$(FAULT_FILE)"' $(ALL_CFLAGS) -o $@ \
		$(HELPER_SRC) helper/faults.c -lcgroup -lsystemd

tests/build/memhog: tests/tools/memhog.c
	@mkdir -p tests/build
	$(CC) -O2 $(WARN) -o $@ $<

unit: $(UNIT_TESTS) $(TOOLS)

# Tests need root, real cgroups, sshd and pamtester (see README.md, Tests).
check: deps all unit lint-man fuzz-replay hardening
	tests/run

# Man pages must be clean under mandoc's linter (warnings and worse).
lint-man:
	mandoc -T lint -W warning $(MANPAGES)

deps:
	tests/deps.sh

demo: deps all
	tests/demo.sh

clean:
	rm -f $(MODULE) $(HELPER) $(CTL)
	rm -rf tests/build

# ---- cgroup v2 (issue #6) ----------------------------------------------------
# make check-v2 (as root): boot Debian's cloud kernel in qemu (TCG) with a pure
# cgroup v2 hierarchy and an initramfs holding the built module, helper and
# pamtester, run tests/v2/cases.sh inside, end with "N passed, N failed".
# Installs qemu-system-x86, busybox-static and cpio when missing; the kernel
# package is only unpacked, into tests/build/v2.
.PHONY: check-v2
check-v2: deps all
	tests/v2/run-vm.sh

# ---- Debian package (issue #8) -----------------------------------------------
# make check-deb (as root): build libpam-nsiso with dpkg-buildpackage in a copy
# of the tree under /tmp (never in the checkout), run lintian, install it with
# apt-get, enable it with pam-auth-update, prove an isolated pamtester session
# through common-session (and root's untouched), purge it and check that the
# system is as before.  Installs debhelper, lintian etc. when missing.
.PHONY: check-deb
check-deb:
	tests/deb/check-deb.sh

# ---- lifecycle under load and faults (issue #5) ------------------------------
# make stress (as root): tests/stress/run - 1000 open/close cycles, 50
# concurrent sessions of one user plus 10 other users, through pamtester and a
# real sshd, a tenth of the PAM applications SIGKILLed between open and close,
# and nothing left after; then open/close/teardown timings through libpam.
# Figures are printed, only generous bounds asserted.  The lifecycle scenarios
# that make check runs (tests/lifecycle) use the same two tools.
LIFECYCLE_TOOLS = tests/build/nsiso-pamtime tests/build/nsiso-lctool
.PHONY: stress
unit: $(LIFECYCLE_TOOLS)

tests/build/nsiso-pamtime: tests/stress/pamtime.c
	@mkdir -p tests/build
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< -lpam

tests/build/nsiso-lctool: tests/lifecycle/tools/lctool.c
	@mkdir -p tests/build
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

stress: deps all unit
	tests/stress/run

# ---- Hardening: adversarial tests, fuzzing, lint (issue #4) -----------------
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

# clang and its libFuzzer runtime, installed only when missing.
fuzz-deps:
	@command -v clang >/dev/null && \
	dpkg-query -W -f='$${Status}' libclang-rt-14-dev 2>/dev/null | grep -q 'ok installed' || \
	{ echo "fuzz: installing clang libclang-rt-14-dev"; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		clang libclang-rt-14-dev >/dev/null; }

$(FUZZ_DIR)/conf_fuzz: $(FUZZ_SRC) $(HEADERS) | fuzz-deps
	@mkdir -p $(FUZZ_DIR)
	clang $(FUZZ_CFLAGS) -o $@ $(FUZZ_SRC)

fuzz: $(FUZZ_DIR)/conf_fuzz
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

# The helper's request decoder under libFuzzer, as make fuzz does the conf.
fuzz-request: $(FUZZ_DIR)/request_fuzz
	@mkdir -p $(FUZZ_DIR)/request-corpus && cp fuzz/request-corpus/* $(FUZZ_DIR)/request-corpus/
	@$(FUZZ_DIR)/request_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=2048 -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_DIR)/request- $(FUZZ_DIR)/request-corpus >$(FUZZ_DIR)/request.log 2>&1; \
	rc=$$?; [ $$rc -eq 0 ] || tail -n 40 $(FUZZ_DIR)/request.log; \
	echo "fuzz-request: $$(sed -n 's/^stat::number_of_executed_units: *//p' $(FUZZ_DIR)/request.log) executions, exit $$rc"; \
	exit $$rc

fuzz-replay: $(FUZZ_DIR)/conf_replay $(FUZZ_DIR)/request_replay
	$(FUZZ_DIR)/conf_replay fuzz/corpus/*
	$(FUZZ_DIR)/request_replay fuzz/request-corpus/*

LINT_SRC = $(sort $(wildcard pam_nsiso/*.c helper/*.c common/*.c ctl/*.c))
# cppcheck suppressions:
#   variableScope     the project declares locals at the top of a block
#   readdirCalled     readdir_r is deprecated; readdir on a stream that one
#                     thread owns is thread-safe in glibc
#   getpwnamCalled, getgrnamCalled   only in single-threaded programs (the
#                     helper, nsisoctl); the module uses pam_modutil_getpwnam
#   missingIncludeSystem   system headers are the compiler's business
CPPCHECK_FLAGS = --quiet --error-exitcode=1 --std=c11 --library=posix --inline-suppr \
	--enable=warning,style,performance,portability -D_GNU_SOURCE -D__linux__ \
	--template='{file}:{line}: {severity} {id}: {message}' \
	--suppress=variableScope --suppress=readdirCalled --suppress=missingIncludeSystem \
	--suppress=getpwnamCalled:helper/main.c --suppress=getpwnamCalled:ctl/check.c \
	--suppress=getgrnamCalled:ctl/check.c
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

lint:
	cppcheck $(CPPCHECK_FLAGS) $(LINT_SRC)
	@fail=0; for f in $(LINT_SRC); do \
		out=$$(clang-tidy --quiet -checks='$(TIDY_CHECKS)' $$f -- $(TIDY_FLAGS) 2>/dev/null); \
		[ -z "$$out" ] || { printf '%s\n' "$$out"; fail=1; }; \
	done; \
	[ $$fail -eq 0 ] && echo "lint: cppcheck and clang-tidy clean ($(words $(LINT_SRC)) files)"; \
	exit $$fail

# What the binaries must show: tests/adversarial/lib/check-hardening.sh
# (readelf; also hardening-check from devscripts where it is installed).
hardening: all
	bash tests/adversarial/lib/check-hardening.sh $(HELPER) $(CTL) $(MODULE)

# ---- Benchmarks (issue #7) ------------------------------------------------
#   make bench    B1-B4 (bench/run.sh): the cost of isolation against a
#                 pam_permit floor and against peers; prints a table and
#                 writes bench/results.json.  As root, about 6 minutes on
#                 2 cores; never part of make check.  NSISO_BENCH_QUICK=1
#                 make bench: a 1-minute smoke run with small counts.
BENCH_TOOL = bench/build/nsbench

$(BENCH_TOOL): bench/nsbench.c
	@mkdir -p bench/build
	$(CC) $(CPPFLAGS) -std=gnu11 $(WARN) -O2 $(LDFLAGS) -o $@ bench/nsbench.c -lpam

.PHONY: bench clean-bench
bench: deps all $(BENCH_TOOL)
	bench/run.sh

clean: clean-bench
clean-bench:
	rm -rf bench/build
