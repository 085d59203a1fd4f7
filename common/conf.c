/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "conf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "hostname.h"

/* A limit at or below the helper's headroom refuses every session while the
 * user's group exists (it is "used up" even when empty); the minimum leaves
 * room for a few logins. */
_Static_assert(NSISO_MEMORY_MIN >= 4 * NSISO_MEMORY_HEADROOM,
	       "NSISO_MEMORY_MIN must leave room for sessions above the headroom");
#define MEMORY_MIN_REASON "memory limit must be at least 16M (a session needs 4M of it free to start)"

const char *nsiso_memory_min_check(uint64_t bytes)
{
	return bytes < NSISO_MEMORY_MIN ? MEMORY_MIN_REASON : NULL;
}

/* ---- errors ---------------------------------------------------------- */

__attribute__((format(printf, 4, 5)))
static void conf_error(struct nsiso_conf *conf, const char *file,
		       unsigned line, const char *fmt, ...)
{
	char reason[512], *msg = NULL, **grown;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if ((line ? asprintf(&msg, "%s:%u: %s", file, line, reason)
		  : asprintf(&msg, "%s: %s", file, reason)) < 0)
		msg = NULL;
	grown = realloc(conf->errors, (conf->n_errors + 1) * sizeof(*grown));
	if (!grown) {
		/* Keep the count right even without memory: callers fail
		 * closed on n_errors, and a NULL entry prints as "out of
		 * memory". */
		free(msg);
		conf->n_errors_lost++;
		return;
	}
	conf->errors = grown;
	conf->errors[conf->n_errors++] = msg;
}

/* ---- values ---------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned bit;
} ns_names[] = {
	{ "uts", NSISO_NS_UTS }, { "ipc", NSISO_NS_IPC }, { "mnt", NSISO_NS_MNT },
	{ "pid", NSISO_NS_PID }, { "net", NSISO_NS_NET }, { "cgroup", NSISO_NS_CGROUP },
};

const char *nsiso_isolate_parse(const char *text, unsigned *out)
{
	char buf[NSISO_VALUE_MAX], *save = NULL, *tok;
	unsigned bits = 0;
	size_t i;

	if (strcmp(text, "none") == 0) {
		*out = 0;
		return NULL;
	}
	if (strlen(text) >= sizeof(buf))
		return "value too long";
	strcpy(buf, text);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++)
			if (strcmp(tok, ns_names[i].name) == 0)
				break;
		if (i == sizeof(ns_names) / sizeof(ns_names[0]))
			return "unknown namespace (use uts, ipc, mnt, pid, net, cgroup or none)";
		bits |= ns_names[i].bit;
	}
	if (bits == 0 || text[0] == ',' || text[strlen(text) - 1] == ',' || strstr(text, ",,"))
		return "malformed namespace list";
	/* A new PID namespace without its own mount namespace would leave the
	 * host's /proc in place: ps would show host processes. */
	if ((bits & NSISO_NS_PID) && !(bits & NSISO_NS_MNT))
		return "pid needs mnt (a fresh /proc needs a private mount namespace)";
	*out = bits;
	return NULL;
}

const char *nsiso_private_tmp_name(enum nsiso_private_tmp value)
{
	return value == NSISO_PRIVATE_TMP_KEEP ? "keep" : value == NSISO_PRIVATE_TMP_YES ? "yes" : "no";
}

void nsiso_isolate_format(unsigned isolate, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++) {
		if (!(isolate & ns_names[i].bit))
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0,
					 "%s%s", used ? "," : "", ns_names[i].name);
	}
	if (used == 0)
		snprintf(buf, len, "none");
}

const char *nsiso_cgroup_parent_check(const char *text)
{
	const char *p, *segment = text;

	if (*text == '\0' || *text == '/')
		return "must be a relative cgroup path such as nsiso or lab/nsiso";
	for (p = text;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - segment);

			if (n == 0 || (n == 1 && segment[0] == '.') ||
			    (n == 2 && segment[0] == '.' && segment[1] == '.'))
				return "empty, '.' or '..' path component";
			if (*p == '\0')
				return NULL;
			segment = p + 1;
		} else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
			     *p == '.')) {
			return "may only contain letters, digits, '-', '_', '.' and '/'";
		}
	}
}

/* How an item's value is written, and what it becomes in struct
 * nsiso_settings. */
enum value_kind {
	VALUE_ISOLATE,		/* namespace bits: unsigned */
	VALUE_LIMIT,		/* struct nsiso_limit, by the item's parse */
	VALUE_TEXT,		/* a string, judged by the item's check */
	VALUE_CHOICE,		/* an enum: the place of the word in the item's choice */
	VALUE_FLAG,		/* bool: the choice is no or yes */
};

/* A size, or a percentage of RAM; a size below the minimum would refuse
 * every login (a percentage is checked when resolving, against this
 * machine's RAM). */
static const char *parse_memory(const char *text, struct nsiso_limit *out)
{
	const char *why = nsiso_parse_size(text, true, out);

	if (!why && out->kind == NSISO_LIMIT_VALUE)
		why = nsiso_memory_min_check(out->value);
	return why;
}

static const char *parse_memory_high(const char *text, struct nsiso_limit *out)
{
	const char *why = nsiso_parse_size(text, true, out);

	/* memory.high 0 would throttle every allocation of the user. */
	if (!why && out->kind == NSISO_LIMIT_VALUE && out->value == 0)
		why = "must be above 0";
	return why;
}

/* Swap is added to memory for v1's memsw: a size, never a percentage. */
static const char *parse_swap(const char *text, struct nsiso_limit *out)
{
	return nsiso_parse_size(text, false, out);
}

/* The words of a choice, in the order of its enum (NULL-ended), and the
 * reason for any other word, which names them in the manual's order. */
struct choice {
	const char *words[4];
	const char *expected;
};

static const struct choice on_logout_choice = { { "kill", "keep" }, "expected kill or keep" };
static const struct choice private_tmp_choice = { { "no", "yes", "keep" },
						  "expected yes, no or keep" };
static const struct choice propagation_choice = { { "slave", "private" },
						  "expected slave or private" };
static const struct choice on_error_choice = { { "deny", "allow" }, "expected deny or allow" };
static const struct choice yes_no_choice = { { "no", "yes" }, "expected yes or no" };
static const struct choice cgroup_mode_choice = { { "own", "systemd", "auto" },
						  "expected auto, own or systemd" };

/* Where an item's value goes: the offset of its member of struct
 * nsiso_settings, which must be of the size its kind stores (else this does
 * not compile). */
#define SETTING(member, type)                                            \
	(offsetof(struct nsiso_settings, member) +                       \
	 0 * sizeof(char[sizeof(((struct nsiso_settings *)0)->member) == \
			 sizeof(type) ? 1 : -1]))
#define LIMIT(member, parser) \
	VALUE_LIMIT, SETTING(member, struct nsiso_limit), .parse = parser
#define TEXT(member, checker) \
	VALUE_TEXT, SETTING(member, char[NSISO_VALUE_MAX]), .check = checker
#define CHOICE(member, words) VALUE_CHOICE, SETTING(member, int), .choice = words

/* Every item: its name in the conf, how its value is parsed, and the member
 * of struct nsiso_settings it sets. */
static const struct item_def {
	const char *name;
	enum value_kind kind;
	size_t setting;		/* offset in struct nsiso_settings */
	const char *(*parse)(const char *text, struct nsiso_limit *out);	/* a limit */
	const char *(*check)(const char *text);		/* a text */
	const struct choice *choice;			/* a choice or flag */
} items[NSISO_ITEM_COUNT] = {
	[NSISO_ITEM_ISOLATE] = { "isolate", VALUE_ISOLATE, SETTING(isolate, unsigned) },
	[NSISO_ITEM_MEMORY] = { "memory", LIMIT(memory, parse_memory) },
	[NSISO_ITEM_SWAP] = { "swap", LIMIT(swap, parse_swap) },
	[NSISO_ITEM_TASKS] = { "tasks", LIMIT(tasks, nsiso_parse_count) },
	[NSISO_ITEM_MEMORY_HIGH] = { "memory_high", LIMIT(memory_high, parse_memory_high) },
	[NSISO_ITEM_CPU] = { "cpu", LIMIT(cpu, nsiso_parse_cpu_percent) },
	[NSISO_ITEM_CPU_WEIGHT] = { "cpu_weight", LIMIT(cpu_weight, nsiso_parse_weight) },
	[NSISO_ITEM_IO_WEIGHT] = { "io_weight", LIMIT(io_weight, nsiso_parse_weight) },
	[NSISO_ITEM_HOSTNAME] = { "hostname",
				  TEXT(hostname_template, nsiso_hostname_template_check) },
	[NSISO_ITEM_ON_LOGOUT] = { "on_logout", CHOICE(on_logout, &on_logout_choice) },
	[NSISO_ITEM_PRIVATE_TMP] = { "private_tmp", CHOICE(private_tmp, &private_tmp_choice) },
	[NSISO_ITEM_PROPAGATION] = { "propagation", CHOICE(propagation, &propagation_choice) },
	[NSISO_ITEM_ON_ERROR] = { "on_error", CHOICE(on_error, &on_error_choice) },
	[NSISO_ITEM_EXEMPT] = { "exempt", VALUE_FLAG, SETTING(exempt, bool),
				.choice = &yes_no_choice },
	[NSISO_ITEM_CGROUP_PARENT] = { "cgroup_parent",
				       TEXT(cgroup_parent, nsiso_cgroup_parent_check) },
	[NSISO_ITEM_CGROUP_MODE] = { "cgroup_mode", CHOICE(cgroup_mode, &cgroup_mode_choice) },
};
#undef CHOICE
#undef TEXT
#undef LIMIT
#undef SETTING

const char *nsiso_item_name(enum nsiso_item item)
{
	return item < NSISO_ITEM_COUNT ? items[item].name : "?";
}

static int parse_choice(const char *text, const struct choice *choice)
{
	int i;

	for (i = 0; choice->words[i]; i++)
		if (strcmp(text, choice->words[i]) == 0)
			return i;
	return -1;
}

/* Parse the value of one item; NULL or a reason. */
static const char *parse_value(enum nsiso_item item, const char *text,
			       union nsiso_value *v)
{
	const struct item_def *def = &items[item];

	switch (def->kind) {
	case VALUE_ISOLATE:
		return nsiso_isolate_parse(text, &v->isolate);
	case VALUE_LIMIT:
		return def->parse(text, &v->limit);
	case VALUE_TEXT:
		if (strlen(text) >= sizeof(v->text))
			return "value too long";
		strcpy(v->text, text);
		return def->check(text);
	case VALUE_CHOICE:
	case VALUE_FLAG:
		v->choice = parse_choice(text, def->choice);
		return v->choice < 0 ? def->choice->expected : NULL;
	}
	return "unknown item";
}

/* ---- domains --------------------------------------------------------- */

/* One side of a uid range; empty is 0 here (parse_range gives it meaning). */
static const char *parse_uid(const char *text, size_t len, uid_t *out)
{
	uint64_t n = 0;

	if (len > 0 && strspn(text, "0123456789") < len)
		return "uid range must be digits (e.g. 1000:1999 or 1000:)";
	if (len > 0 && nsiso_parse_decimal(text, len, 4294967294U, &n) != NULL)
		return "uid out of range";
	*out = (uid_t)n;
	return NULL;
}

static const char *parse_range(const char *text, struct nsiso_rule *rule)
{
	const char *colon = strchr(text, ':'), *why;

	rule->uid_min = 0;
	rule->uid_max = (uid_t)4294967294U;
	if (strchr(colon + 1, ':'))
		return "uid range has more than one ':'";
	why = parse_uid(text, (size_t)(colon - text), &rule->uid_min);
	if (!why)
		why = parse_uid(colon + 1, strlen(colon + 1), &rule->uid_max);
	if (!why && colon == text && colon[1] == '\0')
		why = "uid range ':' needs at least one bound";
	if (!why && colon + 1 != text + strlen(text) && rule->uid_min > rule->uid_max)
		why = "uid range is empty (min > max)";
	if (!why && colon[1] == '\0')
		rule->uid_max = (uid_t)4294967294U;
	return why;
}

/* Names as useradd/groupadd accept them; anything else cannot match and is
 * most likely a typo the admin wants to hear about. */
static int valid_account_name(const char *name)
{
	const char *p;

	if (*name == '\0' || *name == '-' || strlen(name) > 32)
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		      *p == '.' || (*p == '$' && p[1] == '\0')))
			return 0;
	return 1;
}

static const char *parse_domain(const char *text, struct nsiso_rule *rule)
{
	if (strcmp(text, "*") == 0) {
		rule->domain = NSISO_DOMAIN_ALL;
		return NULL;
	}
	if (text[0] == '@') {
		rule->domain = NSISO_DOMAIN_GROUP;
		if (!valid_account_name(text + 1))
			return "invalid group name";
		strcpy(rule->name, text + 1);
		return NULL;
	}
	if (strchr(text, ':')) {
		rule->domain = NSISO_DOMAIN_RANGE;
		return parse_range(text, rule);
	}
	rule->domain = NSISO_DOMAIN_USER;
	if (!valid_account_name(text))
		return "invalid user name (or use @group, min:max or *)";
	strcpy(rule->name, text);
	return NULL;
}

/* ---- lines ----------------------------------------------------------- */

static int add_rule(struct nsiso_conf *conf, const struct nsiso_rule *rule)
{
	if (conf->n_rules == conf->cap_rules) {
		size_t cap = conf->cap_rules ? conf->cap_rules * 2 : 16;
		struct nsiso_rule *grown = realloc(conf->rules, cap * sizeof(*grown));

		if (!grown)
			return -1;
		conf->rules = grown;
		conf->cap_rules = cap;
	}
	conf->rules[conf->n_rules++] = *rule;
	return 0;
}

static int find_item(const char *name)
{
	int i;

	for (i = 0; i < NSISO_ITEM_COUNT; i++)
		if (strcmp(name, items[i].name) == 0)
			return i;
	return -1;
}

/* Split a line into at most 4 whitespace-separated words (the 4th only to
 * detect trailing junk).  The line is modified in place. */
static int split_words(char *line, char *words[4])
{
	int n = 0;
	char *p = line;

	while (n < 4) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		words[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

static void parse_line(struct nsiso_conf *conf, const char *file, unsigned lineno,
		       char *line)
{
	struct nsiso_rule rule;
	char *words[4], *hash = strchr(line, '#');
	const char *why;
	int n, item;

	if (hash)
		*hash = '\0';
	n = split_words(line, words);
	if (n == 0)
		return;
	if (n != 3) {
		conf_error(conf, file, lineno, "expected '<domain> <item> <value>', got %s",
			   n == 1 ? "1 field" : n == 2 ? "2 fields" : "more than 3 fields");
		return;
	}
	memset(&rule, 0, sizeof(rule));
	if (strlen(words[0]) >= sizeof(rule.name) || strlen(words[2]) >= sizeof(rule.written)) {
		conf_error(conf, file, lineno, "field too long");
		return;
	}
	why = parse_domain(words[0], &rule);
	if (why) {
		conf_error(conf, file, lineno, "%s: '%s'", why, words[0]);
		return;
	}
	item = find_item(words[1]);
	if (item < 0) {
		conf_error(conf, file, lineno, "unknown item '%s'", words[1]);
		return;
	}
	rule.item = (enum nsiso_item)item;
	if (rule.item == NSISO_ITEM_CGROUP_PARENT && rule.domain != NSISO_DOMAIN_ALL) {
		conf_error(conf, file, lineno, "cgroup_parent is global: use it only with domain '*'");
		return;
	}
	why = parse_value(rule.item, words[2], &rule.value);
	if (why) {
		conf_error(conf, file, lineno, "%s: %s '%s'", why, words[1], words[2]);
		return;
	}
	strcpy(rule.written, words[2]);
	rule.file = file;
	rule.line = lineno;
	if (add_rule(conf, &rule) < 0)
		conf_error(conf, file, lineno, "out of memory");
}

static const char *remember_file(struct nsiso_conf *conf, const char *name)
{
	char **grown = realloc(conf->files, (conf->n_files + 1) * sizeof(*grown));
	char *copy = strdup(name);

	if (grown)
		conf->files = grown;
	if (!grown || !copy) {
		free(copy);
		return NULL;
	}
	conf->files[conf->n_files++] = copy;
	return copy;
}

void nsiso_conf_parse_buffer(struct nsiso_conf *conf, const char *name,
			     const char *data, size_t len)
{
	const char *file = remember_file(conf, name);
	char line[4096];
	unsigned lineno = 0;
	size_t pos = 0;

	if (!file) {
		conf_error(conf, name, 0, "out of memory");
		return;
	}
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (data + pos)) : len - pos;

		lineno++;
		if (memchr(data + pos, '\0', n))
			conf_error(conf, file, lineno, "line contains a NUL byte");
		else if (n >= sizeof(line))
			conf_error(conf, file, lineno, "line longer than %zu bytes", sizeof(line) - 1);
		else {
			memcpy(line, data + pos, n);
			line[n] = '\0';
			parse_line(conf, file, lineno, line);
		}
		pos += n + 1;
	}
}

/* ---- files ----------------------------------------------------------- */

/* The doas habit: judge the object we opened (fstat on the fd), never a path
 * we looked at earlier.  A conf a user can write, or swap, decides who is
 * isolated, so anything not root-owned and private is rejected. */
static const char *check_owner_mode(const struct stat *st, bool want_dir)
{
	if (want_dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
		return want_dir ? "not a directory" : "not a regular file";
	if (st->st_uid != 0)
		return "not owned by root";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	return NULL;
}

static const char *open_errno_reason(int err)
{
	if (err == ELOOP)
		return "is a symbolic link";
	return strerror(err);
}

/* What a first read takes: a conf is a few lines.  A buffer of the largest
 * size allowed (1 MiB) was an mmap() and munmap() of its own in the
 * application, at every login (pamtester's munmap() calls took 0.09 ms
 * each on average here, perf trace). */
#define CONF_READ_FIRST ((size_t)16 << 10)

/* Read an already-opened, already-checked file: up to one byte more than
 * allowed, in a buffer that grows only for a file that fills it. */
static void read_fd(struct nsiso_conf *conf, const char *name, int fd)
{
	size_t cap = CONF_READ_FIRST, len = 0;
	char *data = malloc(cap);
	ssize_t n;

	if (!data) {
		conf_error(conf, name, 0, "out of memory");
		return;
	}
	for (;;) {
		if (len == cap) {
			char *bigger;

			if (cap > NSISO_CONF_MAX_BYTES)
				break;	/* one byte over: too large */
			cap = cap * 4 > NSISO_CONF_MAX_BYTES + 1 ? NSISO_CONF_MAX_BYTES + 1 : cap * 4;
			bigger = realloc(data, cap);
			if (!bigger) {
				conf_error(conf, name, 0, "out of memory");
				free(data);
				return;
			}
			data = bigger;
		}
		n = read(fd, data + len, cap - len);
		if (n < 0) {
			conf_error(conf, name, 0, "read: %s", strerror(errno));
			free(data);
			return;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > NSISO_CONF_MAX_BYTES)
		conf_error(conf, name, 0, "larger than %zu bytes", NSISO_CONF_MAX_BYTES);
	else
		nsiso_conf_parse_buffer(conf, name, data, len);
	free(data);
}

/* Open name relative to dirfd without following a final symlink and without
 * blocking on a FIFO (CVE-2024-22365), then check what we got. */
static int open_checked(struct nsiso_conf *conf, int dirfd, const char *leaf,
			const char *name, bool want_dir, bool missing_ok)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
	struct stat st;
	const char *why;
	int fd;

	fd = openat(dirfd, leaf, flags | (want_dir ? O_DIRECTORY : 0));
	if (fd < 0) {
		int err = errno;

		if (err == ENOENT && missing_ok)
			return -1;
		if (err == ENOTDIR && want_dir)
			why = "not a directory";
		else
			why = open_errno_reason(err);
		conf_error(conf, name, 0, "cannot open: %s", why);
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		conf_error(conf, name, 0, "fstat: %s", strerror(errno));
		close(fd);
		return -1;
	}
	why = check_owner_mode(&st, want_dir);
	if (why) {
		conf_error(conf, name, 0, "%s", why);
		close(fd);
		return -1;
	}
	return fd;
}

/* Open the directory that holds path, checked like the files: a file in a
 * directory a user can write could be replaced between our checks. */
static int open_parent_dir(struct nsiso_conf *conf, const char *path,
			   const char **leaf)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash) {
		*leaf = path;
		strcpy(dir, ".");
	} else {
		size_t n = (size_t)(slash - path);

		if (n >= sizeof(dir)) {
			conf_error(conf, path, 0, "path too long");
			return -1;
		}
		memcpy(dir, path, n);
		dir[n] = '\0';
		if (n == 0)
			strcpy(dir, "/");
		*leaf = slash + 1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		conf_error(conf, path, 0, "cannot open its directory %s: %s", dir, strerror(errno));
		return -1;
	}
	{
		struct stat st;
		const char *why = NULL;

		if (fstat(fd, &st) != 0)
			why = strerror(errno);
		else
			why = check_owner_mode(&st, true);
		if (why) {
			conf_error(conf, path, 0, "its directory %s is %s", dir, why);
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* Open path through its checked directory, itself checked: a directory
 * when want_dir.  The fd, or -1 (an error is recorded, but for a missing
 * path when missing_ok). */
static int open_path(struct nsiso_conf *conf, const char *path, bool want_dir,
		     bool missing_ok)
{
	const char *leaf;
	int dirfd = open_parent_dir(conf, path, &leaf), fd;

	if (dirfd < 0)
		return -1;
	fd = open_checked(conf, dirfd, leaf, path, want_dir, missing_ok);
	close(dirfd);
	return fd;
}

/* Read the file open_path or open_checked gave (nothing when it gave -1),
 * and close it. */
static void read_and_close(struct nsiso_conf *conf, const char *name, int fd)
{
	if (fd < 0)
		return;
	read_fd(conf, name, fd);
	close(fd);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int wanted_dropin(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

static void free_names(char **names, size_t n)
{
	while (n)
		free(names[--n]);
	free(names);
}

/* Collect *.conf names of an open directory, sorted in C-locale order: the
 * count, or -1 with errno.  Every failure is one: a drop-in skipped for want
 * of memory (the module reads this under the caller's rlimits) would take
 * its rules away without a word. */
static ssize_t list_dropins(int dirfd, char ***out)
{
	int copy = dup(dirfd);
	DIR *dir = copy >= 0 ? fdopendir(copy) : NULL;
	struct dirent *entry;
	char **names = NULL, **grown;
	size_t n = 0;
	int e = 0;

	if (!dir) {
		e = errno;
		if (copy >= 0)
			close(copy);
		errno = e;
		return -1;
	}
	for (errno = 0; (entry = readdir(dir)) != NULL; errno = 0) {
		if (!wanted_dropin(entry->d_name))
			continue;
		grown = realloc(names, (n + 1) * sizeof(*grown));
		if (!grown)
			break;
		names = grown;
		names[n] = strdup(entry->d_name);
		if (!names[n])
			break;
		n++;
	}
	e = errno;	/* readdir's, realloc's or strdup's; 0 at the end */
	closedir(dir);
	if (e) {
		free_names(names, n);
		errno = e;
		return -1;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), compare_names);
	*out = names;
	return (ssize_t)n;
}

static void load_dir(struct nsiso_conf *conf, const char *dir_path)
{
	char **names = NULL, path[4096];
	ssize_t listed;
	size_t n, i;
	int dirfd = open_path(conf, dir_path, true, true);

	if (dirfd < 0)
		return;
	listed = list_dropins(dirfd, &names);
	if (listed < 0) {
		conf_error(conf, dir_path, 0, "cannot list: %s", strerror(errno));
		close(dirfd);
		return;
	}
	n = (size_t)listed;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir_path, names[i]);
		read_and_close(conf, path, open_checked(conf, dirfd, names[i], path, false, true));
		free(names[i]);
	}
	free(names);
	close(dirfd);
}

size_t nsiso_conf_load(struct nsiso_conf *conf, const char *path,
		       const char *conf_dir, bool missing_ok)
{
	read_and_close(conf, path, open_path(conf, path, false, missing_ok));
	if (conf_dir)
		load_dir(conf, conf_dir);
	return nsiso_conf_error_count(conf);
}

size_t nsiso_conf_error_count(const struct nsiso_conf *conf)
{
	return conf->n_errors + conf->n_errors_lost;
}

const char *nsiso_conf_error(const struct nsiso_conf *conf, size_t i)
{
	if (i < conf->n_errors && conf->errors[i])
		return conf->errors[i];
	return "out of memory while reporting a configuration error";
}

void nsiso_conf_free(struct nsiso_conf *conf)
{
	size_t i;

	for (i = 0; i < conf->n_files; i++)
		free(conf->files[i]);
	for (i = 0; i < conf->n_errors; i++)
		free(conf->errors[i]);
	free(conf->files);
	free(conf->errors);
	free(conf->rules);
	memset(conf, 0, sizeof(*conf));
}

/* ---- resolution ------------------------------------------------------ */

static int in_group(const struct nsiso_user *user, const char *group)
{
	struct group grp, *found = NULL;
	char buf[16384];
	size_t i;

	if (getgrnam_r(group, &grp, buf, sizeof(buf), &found) != 0 || !found)
		return 0;
	for (i = 0; i < user->n_groups; i++)
		if (user->groups[i] == found->gr_gid)
			return 1;
	return 0;
}

static int rule_matches(const struct nsiso_rule *rule, const struct nsiso_user *user)
{
	switch (rule->domain) {
	case NSISO_DOMAIN_ALL:
		return 1;
	case NSISO_DOMAIN_USER:
		return strcmp(rule->name, user->name) == 0;
	case NSISO_DOMAIN_RANGE:
		return user->uid >= rule->uid_min && user->uid <= rule->uid_max;
	case NSISO_DOMAIN_GROUP:
		return in_group(user, rule->name);
	}
	return 0;
}

static void settings_defaults(struct nsiso_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->on_logout = NSISO_LOGOUT_KILL;
	s->propagation = NSISO_PROPAGATION_SLAVE;
	s->on_error = NSISO_ON_ERROR_DENY;
	s->cgroup_mode = NSISO_CGROUP_MODE_AUTO;
	strcpy(s->cgroup_parent, NSISO_CGROUP_PARENT_DEFAULT);
}

static void apply_rule(struct nsiso_settings *s, const struct nsiso_rule *rule)
{
	const struct item_def *def = &items[rule->item];
	const union nsiso_value *v = &rule->value;
	void *to = (char *)s + def->setting;

	switch (def->kind) {
	case VALUE_ISOLATE: *(unsigned *)to = v->isolate; break;
	case VALUE_LIMIT: *(struct nsiso_limit *)to = v->limit; break;
	case VALUE_TEXT: strcpy(to, v->text); break;
	case VALUE_CHOICE: *(int *)to = v->choice; break;
	case VALUE_FLAG: *(bool *)to = v->choice == 1; break;
	}
	s->origin[rule->item] = (struct nsiso_origin){ rule->file, rule->line };
	s->written[rule->item] = rule->written;
}

/* Limits the module could not apply, or that would refuse every session:
 * what the parser cannot see because it depends on this machine (a
 * percentage of its RAM).  NULL or a reason; *item the item at fault. */
static const char *limits_unusable(const struct nsiso_settings *s, enum nsiso_item *item)
{
	uint64_t memory = nsiso_limit_bytes(&s->memory);
	const char *small = nsiso_limit_is_set(&s->memory) ? nsiso_memory_min_check(memory) : NULL;

	*item = NSISO_ITEM_MEMORY;
	if (small)
		return s->memory.kind == NSISO_LIMIT_PERCENT
			       ? "memory limit (a percentage of this machine's RAM) is below 16M: "
				 "a session needs 4M of it free to start"
			       : small;
	*item = NSISO_ITEM_SWAP;
	/* Sizes stop below 8E (NSISO_SIZE_MAX), so this holds by
	 * construction; checked here because the helper refuses the sum. */
	if (memory != UINT64_MAX && s->swap.kind == NSISO_LIMIT_VALUE &&
	    s->swap.value >= UINT64_MAX - memory)
		return "memory plus swap does not fit in 64 bits";
	*item = NSISO_ITEM_MEMORY_HIGH;
	/* Throttling is meant to start before the hard limit: at or above
	 * it, memory.high never acts (and systemd reads it as a mistake). */
	if (nsiso_limit_is_set(&s->memory_high) && nsiso_limit_bytes(&s->memory_high) >= memory)
		return "memory_high must be below memory: throttling starts below the hard limit";
	return NULL;
}

const char *nsiso_conf_resolve(const struct nsiso_conf *conf,
			       const struct nsiso_user *user,
			       struct nsiso_settings *out,
			       struct nsiso_origin *bad_origin)
{
	const struct nsiso_rule *best[NSISO_ITEM_COUNT] = { 0 };
	char host_short[NSISO_HOSTNAME_MAX + 1];
	enum nsiso_item item;
	const char *why;
	size_t i;

	settings_defaults(out);
	for (i = 0; i < conf->n_rules; i++) {
		const struct nsiso_rule *rule = &conf->rules[i];
		const struct nsiso_rule **slot = &best[rule->item];

		/* cgroup_parent is global; it never makes a user "matched". */
		if (rule->item == NSISO_ITEM_CGROUP_PARENT) {
			*slot = rule;
			continue;
		}
		if (!rule_matches(rule, user))
			continue;
		out->matched = true;
		/* Later lines win at equal specificity: hence >=. */
		if (!*slot || rule->domain >= (*slot)->domain)
			*slot = rule;
	}
	for (i = 0; i < NSISO_ITEM_COUNT; i++)
		if (best[i])
			apply_rule(out, best[i]);
	/* Exempt means exempt: a user who is left alone (exempt, no rule, or
	 * nothing asked for) is let through before any value is worked out
	 * for them, so no template or limit can deny them. */
	if (!nsiso_settings_active(out))
		return NULL;
	why = limits_unusable(out, &item);
	if (why) {
		if (bad_origin)
			*bad_origin = out->origin[item];
		return why;
	}
	/* private_tmp and isolate may come from lines of different domains:
	 * only the pair, worked out for the user, says whether the session has
	 * a mount namespace to replace /tmp in. */
	if (out->private_tmp != NSISO_PRIVATE_TMP_NO && !(out->isolate & NSISO_NS_MNT)) {
		if (bad_origin)
			*bad_origin = out->origin[NSISO_ITEM_PRIVATE_TMP];
		return "private_tmp needs mnt in isolate (/tmp is replaced in the session's "
		       "mount namespace)";
	}
	if (out->hostname_template[0] && (out->isolate & NSISO_NS_UTS)) {
		nsiso_host_short_name(host_short);
		why = nsiso_hostname_expand(out->hostname_template, user->name,
					    user->uid, host_short, out->hostname);
		if (why) {
			if (bad_origin)
				*bad_origin = out->origin[NSISO_ITEM_HOSTNAME];
			out->hostname[0] = '\0';
			return why;
		}
	}
	return NULL;
}

bool nsiso_settings_has_limits(const struct nsiso_settings *s)
{
	return nsiso_limit_is_set(&s->memory) || nsiso_limit_is_set(&s->swap) ||
	       nsiso_limit_is_set(&s->tasks) || nsiso_limit_is_set(&s->memory_high) ||
	       nsiso_limit_is_set(&s->cpu) || nsiso_limit_is_set(&s->cpu_weight) ||
	       nsiso_limit_is_set(&s->io_weight);
}

bool nsiso_settings_active(const struct nsiso_settings *s)
{
	if (!s->matched || s->exempt)
		return false;
	return s->isolate != 0 || nsiso_settings_has_limits(s);
}

bool nsiso_conf_names_groups(const struct nsiso_conf *conf)
{
	size_t i;

	for (i = 0; i < conf->n_rules; i++)
		if (conf->rules[i].domain == NSISO_DOMAIN_GROUP)
			return true;
	return false;
}

int nsiso_user_groups(const char *name, gid_t gid, gid_t **groups)
{
	int n = 64;

	for (;;) {
		gid_t *list = malloc((size_t)n * sizeof(*list));
		int want = n;

		if (!list)
			return -1;
		if (getgrouplist(name, gid, list, &want) >= 0 && want >= 0) {
			*groups = list;
			return want;
		}
		free(list);
		if (want <= n || want > 65536)
			return -1;
		n = want;
	}
}
