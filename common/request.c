/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "request.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "record.h"
#include "size.h"

/* The options, by index: each may be given once, by its full name. */
enum option_id {
	OPT_USER, OPT_UID, OPT_CALLER, OPT_SESSION, OPT_ISOLATE, OPT_HOSTNAME,
	OPT_PROPAGATION, OPT_ON_LOGOUT, OPT_PRIVATE_TMP, OPT_MEMORY, OPT_SWAP, OPT_TASKS,
	OPT_MEMORY_HIGH, OPT_CPU, OPT_CPU_WEIGHT, OPT_IO_WEIGHT,
	OPT_CGROUP_PARENT, OPT_SERVICE, OPT_TTY, OPT_RHOST, OPT_RUN_DIR,
	OPT_SYSTEMD_UNIT, OPT_DEBUG, N_OPTIONS
};

static const struct {
	const char *name;
	bool takes_value;
} options[N_OPTIONS] = {
	[OPT_USER] = { "user", true }, [OPT_UID] = { "uid", true },
	[OPT_CALLER] = { "caller", true }, [OPT_SESSION] = { "session", true },
	[OPT_ISOLATE] = { "isolate", true }, [OPT_HOSTNAME] = { "hostname", true },
	[OPT_PROPAGATION] = { "propagation", true }, [OPT_ON_LOGOUT] = { "on-logout", true },
	[OPT_PRIVATE_TMP] = { "private-tmp", true },
	[OPT_MEMORY] = { "memory", true }, [OPT_SWAP] = { "swap", true },
	[OPT_TASKS] = { "tasks", true }, [OPT_MEMORY_HIGH] = { "memory-high", true },
	[OPT_CPU] = { "cpu", true }, [OPT_CPU_WEIGHT] = { "cpu-weight", true },
	[OPT_IO_WEIGHT] = { "io-weight", true }, [OPT_CGROUP_PARENT] = { "cgroup-parent", true },
	[OPT_SERVICE] = { "service", true }, [OPT_TTY] = { "tty", true },
	[OPT_RHOST] = { "rhost", true }, [OPT_RUN_DIR] = { "run-dir", true },
	[OPT_SYSTEMD_UNIT] = { "systemd-unit", true }, [OPT_DEBUG] = { "debug", false },
};

#define INVALID_ARGUMENTS "invalid arguments (see nsiso-helper --help)"

void nsiso_request_init(struct nsiso_request *r)
{
	*r = (struct nsiso_request){
		.uid = (uid_t)-1,
		.hostname = "",
		.cgroup_parent = NSISO_CGROUP_PARENT_DEFAULT,
		.service = "", .tty = "", .rhost = "",
		.run_dir = NSISO_RUN_DIR_DEFAULT,
		.limits = NSISO_CGROUP_LIMITS_NONE,
	};
}

/* ---- encoding -------------------------------------------------------- */

static void push(struct nsiso_request_args *a, enum option_id id, const char *value)
{
	static char names[N_OPTIONS][24];

	snprintf(names[id], sizeof(names[id]), "--%s", options[id].name);
	a->argv[a->argc++] = names[id];
	if (value)
		a->argv[a->argc++] = (char *)value;
}

static void limit_text(uint64_t value, char *buf, size_t len)
{
	if (value == NSISO_UNLIMITED)
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, "%llu", (unsigned long long)value);
}

static void push_text(struct nsiso_request_args *a, enum option_id id, const char *text)
{
	if (text && *text)
		push(a, id, text);
}

/* memory_high, cpu and the weights go only when set (memory, swap and tasks
 * always do): an unset one is the kernel's default. */
static void push_if_set(struct nsiso_request_args *a, enum option_id id, uint64_t value,
			char *buf, size_t len)
{
	if (value == NSISO_UNLIMITED)
		return;
	limit_text(value, buf, len);
	push(a, id, buf);
}

void nsiso_request_encode(const struct nsiso_request *r, const char *path,
			  struct nsiso_request_args *a)
{
	a->argc = 0;
	a->argv[a->argc++] = (char *)path;
	a->argv[a->argc++] = "open";
	snprintf(a->uid, sizeof(a->uid), "%u", (unsigned)r->uid);
	snprintf(a->caller, sizeof(a->caller), "%d", (int)r->caller);
	push(a, OPT_USER, r->user);
	push(a, OPT_UID, a->uid);
	push(a, OPT_CALLER, a->caller);
	push(a, OPT_SESSION, r->session);
	push(a, OPT_RUN_DIR, r->run_dir);
	push_text(a, OPT_SERVICE, r->service);
	push_text(a, OPT_TTY, r->tty);
	push_text(a, OPT_RHOST, r->rhost);
	if (r->isolate) {
		nsiso_isolate_format(r->isolate, a->isolate, sizeof(a->isolate));
		push(a, OPT_ISOLATE, a->isolate);
		push(a, OPT_PROPAGATION, r->propagation_private ? "private" : "slave");
		push(a, OPT_ON_LOGOUT, r->keep_on_logout ? "keep" : "kill");
		if (r->private_tmp != NSISO_PRIVATE_TMP_NO)
			push(a, OPT_PRIVATE_TMP, nsiso_private_tmp_name(r->private_tmp));
	}
	push_text(a, OPT_HOSTNAME, r->hostname);
	if (r->use_cgroup) {
		limit_text(r->limits.memory, a->memory, sizeof(a->memory));
		limit_text(r->limits.swap, a->swap, sizeof(a->swap));
		limit_text(r->limits.tasks, a->tasks, sizeof(a->tasks));
		push(a, OPT_MEMORY, a->memory);
		push(a, OPT_SWAP, a->swap);
		push(a, OPT_TASKS, a->tasks);
		push_if_set(a, OPT_MEMORY_HIGH, r->limits.memory_high, a->memory_high,
			    sizeof(a->memory_high));
		push_if_set(a, OPT_CPU, r->limits.cpu, a->cpu, sizeof(a->cpu));
		push_if_set(a, OPT_CPU_WEIGHT, r->limits.cpu_weight, a->cpu_weight,
			    sizeof(a->cpu_weight));
		push_if_set(a, OPT_IO_WEIGHT, r->limits.io_weight, a->io_weight,
			    sizeof(a->io_weight));
		if (r->systemd_unit)
			push(a, OPT_SYSTEMD_UNIT, r->systemd_unit);
		else
			push(a, OPT_CGROUP_PARENT, r->cgroup_parent);
	}
	if (r->debug)
		push(a, OPT_DEBUG, NULL);
	a->argv[a->argc] = NULL;
}

/* ---- decoding -------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static const char *reason(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return why;
}

/* A number of bytes or "max". */
static const char *decode_limit(const char *text, const char *what, uint64_t *out,
				char *why, size_t len)
{
	if (strcmp(text, "max") == 0) {
		*out = NSISO_UNLIMITED;
		return NULL;
	}
	if (nsiso_parse_decimal(text, strlen(text), NSISO_SIZE_MAX, out) != NULL)
		return reason(why, len, "invalid %s '%.64s': expected a number of bytes or max",
			      what, text);
	return NULL;
}

static const char *decode_number(const char *text, const char *what, uint64_t max,
				 uint64_t *out, char *why, size_t len)
{
	if (strlen(text) > 10 || nsiso_parse_decimal(text, strlen(text), max, out) != NULL)
		return reason(why, len, "invalid %s '%.64s'", what, text);
	return NULL;
}

/* One of two words: false for `no`, true for `yes`. */
static const char *decode_choice(const char *text, const char *no, const char *yes,
				 const char *what, bool *out, char *why, size_t len)
{
	*out = strcmp(text, yes) == 0;
	if (!*out && strcmp(text, no) != 0)
		return reason(why, len, "invalid %s '%.64s': expected %s or %s", what, text, no, yes);
	return NULL;
}

/* Free text for the session record (user, service, tty, remote host): the
 * record replaces what is not printable, but nothing may be unbounded. */
static const char *decode_text(const char *text, const char *what, size_t max, const char **out,
			       char *why, size_t len)
{
	if (strnlen(text, max + 1) > max)
		return reason(why, len, "invalid %s: longer than %zu bytes", what, max);
	*out = text;
	return NULL;
}

static const char *decode_limits(struct nsiso_request *r, enum option_id id, const char *arg,
				 char *why, size_t len)
{
	uint64_t *target = id == OPT_MEMORY ? &r->limits.memory :
			   id == OPT_SWAP ? &r->limits.swap : &r->limits.tasks;
	const char *bad = decode_limit(arg, id == OPT_MEMORY ? "--memory" :
				       id == OPT_SWAP ? "--swap" : "--tasks", target, why, len);

	r->use_cgroup = true;
	if (bad)
		return bad;
	/* The minimum the conf parser enforces: the module never sends less,
	 * and a request made by hand gets no limit that would refuse every
	 * session of the user. */
	bad = id == OPT_MEMORY && *target != NSISO_UNLIMITED ? nsiso_memory_min_check(*target) : NULL;
	if (bad)
		return reason(why, len, "invalid --memory '%.64s': %s", arg, bad);
	if (id == OPT_TASKS && *target != NSISO_UNLIMITED &&
	    (*target == 0 || *target > NSISO_TASKS_LIMIT_MAX))
		return reason(why, len, "invalid --tasks '%.64s': expected 1..%d or max", arg,
			      NSISO_TASKS_LIMIT_MAX);
	return NULL;
}

/* memory_high (bytes), cpu (percent of one CPU), cpu_weight, io_weight:
 * a number in the range nsiso.conf allows, or max for the two limits. */
static const char *decode_ranged_limit(struct nsiso_request *r, enum option_id id, const char *arg,
				     char *why, size_t len)
{
	uint64_t max = id == OPT_MEMORY_HIGH ? NSISO_SIZE_MAX
		     : id == OPT_CPU ? NSISO_CPU_PERCENT_MAX : NSISO_WEIGHT_MAX;
	uint64_t *target = id == OPT_MEMORY_HIGH ? &r->limits.memory_high
			 : id == OPT_CPU ? &r->limits.cpu
			 : id == OPT_CPU_WEIGHT ? &r->limits.cpu_weight : &r->limits.io_weight;
	bool max_ok = id == OPT_MEMORY_HIGH || id == OPT_CPU;

	r->use_cgroup = true;
	if (max_ok && strcmp(arg, "max") == 0) {
		*target = NSISO_UNLIMITED;
		return NULL;
	}
	if (strlen(arg) > 20 || nsiso_parse_decimal(arg, strlen(arg), max, target) != NULL ||
	    *target == 0)
		return reason(why, len, "invalid --%s '%.64s': expected 1..%llu%s",
			      options[id].name, arg, (unsigned long long)max, max_ok ? " or max" : "");
	return NULL;
}

static const char *decode_private_tmp(struct nsiso_request *r, const char *arg, char *why,
				      size_t len)
{
	int value;

	for (value = NSISO_PRIVATE_TMP_NO; value <= NSISO_PRIVATE_TMP_KEEP; value++) {
		if (strcmp(arg, nsiso_private_tmp_name((enum nsiso_private_tmp)value)) == 0) {
			r->private_tmp = (enum nsiso_private_tmp)value;
			return NULL;
		}
	}
	return reason(why, len, "invalid --private-tmp '%.64s': expected no, yes or keep", arg);
}

static const char *decode_option(struct nsiso_request *r, enum option_id id, const char *arg,
				 char *why, size_t len)
{
	const char *bad;
	uint64_t n = 0;

	switch (id) {
	case OPT_USER: return decode_text(arg, "--user", NSISO_NAME_ARG_MAX, &r->user, why, len);
	case OPT_UID:
		bad = decode_number(arg, "--uid", 4294967294ULL, &n, why, len);
		r->uid = (uid_t)n;
		return bad;
	case OPT_CALLER:
		bad = decode_number(arg, "--caller", NSISO_TASKS_LIMIT_MAX, &n, why, len);
		r->caller = (pid_t)n;
		return bad;
	case OPT_SESSION: r->session = arg; return NULL;
	case OPT_ISOLATE:
		bad = nsiso_isolate_parse(arg, &r->isolate);
		return bad ? reason(why, len, "invalid --isolate '%.64s': %s", arg, bad) : NULL;
	case OPT_HOSTNAME: r->hostname = arg; return NULL;
	case OPT_PROPAGATION:
		return decode_choice(arg, "slave", "private", "--propagation",
				     &r->propagation_private, why, len);
	case OPT_ON_LOGOUT:
		return decode_choice(arg, "kill", "keep", "--on-logout", &r->keep_on_logout, why, len);
	case OPT_PRIVATE_TMP: return decode_private_tmp(r, arg, why, len);
	case OPT_MEMORY: case OPT_SWAP: case OPT_TASKS:
		return decode_limits(r, id, arg, why, len);
	case OPT_MEMORY_HIGH: case OPT_CPU: case OPT_CPU_WEIGHT: case OPT_IO_WEIGHT:
		return decode_ranged_limit(r, id, arg, why, len);
	case OPT_CGROUP_PARENT:
		bad = nsiso_cgroup_parent_check(arg);
		if (bad)
			return reason(why, len, "invalid --cgroup-parent '%.64s': %s", arg, bad);
		r->cgroup_parent = arg;
		return NULL;
	case OPT_SERVICE: return decode_text(arg, "--service", NSISO_NAME_ARG_MAX, &r->service, why, len);
	case OPT_TTY: return decode_text(arg, "--tty", NSISO_NAME_ARG_MAX, &r->tty, why, len);
	case OPT_RHOST: return decode_text(arg, "--rhost", NSISO_RHOST_ARG_MAX, &r->rhost, why, len);
	case OPT_RUN_DIR:
		if (arg[0] != '/' || strlen(arg) > NSISO_RUN_DIR_ARG_MAX)
			return reason(why, len, "invalid --run-dir '%.64s': expected an absolute path", arg);
		r->run_dir = arg;
		return NULL;
	case OPT_SYSTEMD_UNIT: r->systemd_unit = arg; r->use_cgroup = true; return NULL;
	case OPT_DEBUG: r->debug = true; return NULL;
	default: return reason(why, len, INVALID_ARGUMENTS);
	}
}

/* The option a "--name" word names: exactly, or else -1; *prefix_of is set
 * when the name is an unambiguous prefix of one (which we do not take). */
static int find_option(const char *name, size_t name_len, int *prefix_of)
{
	int i, found = -1, matches = 0;

	*prefix_of = -1;
	for (i = 0; i < N_OPTIONS; i++) {
		if (strlen(options[i].name) == name_len && strncmp(options[i].name, name, name_len) == 0)
			return i;
		if (name_len > 0 && strncmp(options[i].name, name, name_len) == 0) {
			found = i;
			matches++;
		}
	}
	if (matches == 1)
		*prefix_of = found;
	return -1;
}

const char *nsiso_request_decode(int argc, char *const argv[], struct nsiso_request *r,
				 char *why, size_t len)
{
	unsigned long seen = 0;
	int i;

	nsiso_request_init(r);
	for (i = 2; i < argc; i++) {
		const char *word = argv[i], *eq, *arg = NULL, *bad;
		int id, prefix_of;
		size_t name_len;

		if (strcmp(word, "--") == 0)
			return i + 1 < argc ? reason(why, len, "unexpected argument '%.64s'", argv[i + 1])
					    : NULL;
		if (strncmp(word, "--", 2) != 0)
			return word[0] == '-' && word[1] ? reason(why, len, INVALID_ARGUMENTS)
							 : reason(why, len, "unexpected argument '%.64s'", word);
		eq = strchr(word, '=');
		name_len = eq ? (size_t)(eq - word - 2) : strlen(word + 2);
		id = find_option(word + 2, name_len, &prefix_of);
		if (id < 0 && prefix_of >= 0)
			return reason(why, len, "invalid option '%.64s': use the full name --%s", word,
				      options[prefix_of].name);
		if (id < 0 || (eq && !options[id].takes_value) ||
		    (!eq && options[id].takes_value && i + 1 >= argc))
			return reason(why, len, INVALID_ARGUMENTS);
		if (options[id].takes_value)
			arg = eq ? eq + 1 : argv[++i];
		if (seen & (1UL << id))
			return reason(why, len, "option --%s given twice", options[id].name);
		seen |= 1UL << id;
		bad = decode_option(r, (enum option_id)id, arg ? arg : "", why, len);
		if (bad)
			return bad;
	}
	return NULL;
}
