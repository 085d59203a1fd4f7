/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Sizes and counts as written in nsiso.conf: "512M", "2G", "25%", "unlimited". */
#ifndef NSISO_SIZE_H
#define NSISO_SIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nsiso_limit_kind {
	NSISO_LIMIT_UNSET = 0,	/* no rule said anything */
	NSISO_LIMIT_UNLIMITED,
	NSISO_LIMIT_VALUE,	/* value is bytes (memory, swap, memory_high), a count
				 * (tasks), percent of one CPU (cpu) or a weight */
	NSISO_LIMIT_PERCENT,	/* value is 1..100, of physical RAM */
};

struct nsiso_limit {
	enum nsiso_limit_kind kind;
	uint64_t value;
};

/* The largest size a limit may have: the kernel's page counters hold at most
 * LONG_MAX bytes (a larger write is silently cut down to that), so anything
 * from 8E on is not a limit.  It also keeps memory + swap (v1's memsw) from
 * overflowing 64 bits. */
#define NSISO_SIZE_MAX ((UINT64_C(1) << 63) - 1)

/* The kernel's PID_MAX_LIMIT: pids.max takes no larger number. */
#define NSISO_TASKS_LIMIT_MAX 4194304

/* The one strict parser of unsigned decimal numbers, in the habit of
 * util-linux's strtou64_or_err: exactly the len bytes at text must all be
 * digits (no sign, space, base prefix or other character, not empty), and
 * the number at most max.  NULL with *out set, or a static reason. */
const char *nsiso_parse_decimal(const char *text, size_t len, uint64_t max, uint64_t *out);

/* Parse a memory size: N, NK, NM, NG, NT (powers of 1024), N% (percent_ok),
 * or "unlimited"; at most NSISO_SIZE_MAX bytes.  Returns NULL on success,
 * else a static reason. */
const char *nsiso_parse_size(const char *text, bool percent_ok,
			     struct nsiso_limit *out);

/* Parse a task count: 1..NSISO_TASKS_LIMIT_MAX or "unlimited". */
const char *nsiso_parse_count(const char *text, struct nsiso_limit *out);

/* CPU time as percent of one CPU ("400%" is four CPUs).  The ceiling is ten
 * thousand CPUs: far above any machine, and far below what the kernel's
 * quota (cpu.cfs_quota_us, cpu.max) and systemd's CPUQuotaPerSecUSec hold
 * (N * 10000 microseconds a second stays below 2^44). */
#define NSISO_CPU_PERCENT_MAX 1000000

/* The weights of cgroup v2 (cpu.weight, io.weight) and systemd (CPUWeight,
 * IOWeight): 1..10000, 100 being everyone's default. */
#define NSISO_WEIGHT_MIN 1
#define NSISO_WEIGHT_MAX 10000
#define NSISO_WEIGHT_DEFAULT 100

/* Parse a CPU limit: "N%" with N 1..NSISO_CPU_PERCENT_MAX, or "unlimited";
 * value is N. */
const char *nsiso_parse_cpu_percent(const char *text, struct nsiso_limit *out);

/* Parse a weight: NSISO_WEIGHT_MIN..NSISO_WEIGHT_MAX. */
const char *nsiso_parse_weight(const char *text, struct nsiso_limit *out);

/* Bytes a limit stands for on this machine; UINT64_MAX when unlimited or
 * unset.  Percentages are of physical RAM. */
uint64_t nsiso_limit_bytes(const struct nsiso_limit *limit);

/* True when the limit restricts anything. */
bool nsiso_limit_is_set(const struct nsiso_limit *limit);

/* Human form of a byte count, e.g. "512M" when exact, else plain bytes. */
void nsiso_format_size(uint64_t bytes, char *buf, unsigned len);

#endif
