/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsisoctl check: the PAM services through which an account's programs
 * start (its doors), and whether each runs pam_nsiso in its session stack.
 * A door without it is a way around the isolation and the limits: with the
 * module's line in /etc/pam.d/sshd alone, cron and at jobs and the user's
 * systemd manager start unisolated and unlimited.  A door where the
 * module's failure is ignored (optional, sufficient, default=ignore) is a
 * switch: whatever makes the module fail lets the session through.
 *
 * The stacks are read as Linux-PAM reads them: '#' ends a line, a '\' at
 * its end continues it, a control may be a bracket with spaces in it,
 * "@include" (Debian) and the controls "include" and "substack" read
 * another file (from /etc/pam.d, else /usr/lib/pam.d), a '-' before the
 * type only hushes a missing module, and a service with no session line of
 * its own uses "other"'s. */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../common/textfile.h"
#include "ctl.h"

#define DEPTH_MAX 16		/* Linux-PAM's limit of nested stacks */
#define SHOWN_MAX 32		/* lines warned about once */
#define ENTRIES_MAX 256		/* module lines of one stack */
#define WHERE_LEN (PATH_MAX + 16)
#define TEXT_MAX 65536		/* a service file read whole */
#define SSHD_CONFIG "/etc/ssh/sshd_config"
#define SSHD_DEFAULTS "/etc/default/ssh"
#define PAM_VENDOR_DIR "/usr/lib/pam.d"

struct door {
	const char *service;
	const char *whose;	/* what starts through it */
};

static const struct door doors[] = {
	{ "sshd", "SSH logins" },
	{ "login", "console logins" },
	{ "su", "su sessions" },
	{ "su-l", "su - sessions" },
	{ "sudo", "sudo sessions" },
	{ "sudo-i", "sudo -i sessions" },
	{ "cron", "cron jobs" },
	{ "atd", "at jobs" },
	{ "systemd-user", "the systemd user managers (systemd-run --user, user services and "
			  "timers, lingering)" },
	{ "remote", "remote logins (telnet, rlogin)" },
	{ "lightdm", "graphical logins" },
	{ "gdm-password", "graphical logins" },
	{ "gdm-autologin", "graphical logins" },
	{ "gdm-fingerprint", "graphical logins" },
	{ "gdm-smartcard", "graphical logins" },
	{ "sddm", "graphical logins" },
	{ "lxdm", "graphical logins" },
	{ "xdm", "graphical logins" },
	{ "xrdp-sesman", "remote desktop logins" },
	{ "cockpit", "web console logins (Cockpit)" },
};

/* A module line of a session stack: included files read in place, a
 * substack's lines one level deeper, after a mark of its own. */
struct entry {
	char where[256];	/* file:line */
	char control[256];
	char module[64];	/* the module file's name */
	char args[256];
	int level;
	bool substack;		/* the mark of a substack: no module */
};

/* The session stack of one service, as Linux-PAM builds it. */
struct stack {
	const char *dir;
	struct entry e[ENTRIES_MAX];
	unsigned n;
	bool full;			/* more lines than ENTRIES_MAX */
	char broken[WHERE_LEN + 64];	/* a file that could not be read, and why */
};

/* The lines already warned about: common-session is in most stacks. */
static char shown[SHOWN_MAX][WHERE_LEN];
static size_t n_shown;

static bool shown_before(const char *where)
{
	size_t i;

	for (i = 0; i < n_shown; i++)
		if (strcmp(shown[i], where) == 0)
			return true;
	if (n_shown < SHOWN_MAX)
		snprintf(shown[n_shown++], WHERE_LEN, "%s", where);
	return false;
}

/* Where Linux-PAM reads a service or an included file: an absolute path
 * as it is, else in the directory (/etc/pam.d), else in the vendor's
 * (Debian 12's systemd ships systemd-user only there). */
static void service_path(const struct stack *st, const char *name, char *path, size_t size)
{
	if (name[0] == '/') {
		snprintf(path, size, "%s", name);
		return;
	}
	snprintf(path, size, "%s/%s", st->dir, name);
	if (access(path, F_OK) != 0) {
		char vendor[PATH_MAX];

		snprintf(vendor, sizeof(vendor), "%s/%s", PAM_VENDOR_DIR, name);
		if (access(vendor, F_OK) == 0)
			snprintf(path, size, "%s", vendor);
	}
}

/* The next logical line of text at *pos into line, as Linux-PAM assembles
 * it: comment lines skipped (also within a continued line), the rest of a
 * line after '#' dropped (which also ends it), "\" at the end joining the
 * next.  Its number in the file (of its first physical line) in *number;
 * false at the end. */
static bool next_line(const char **pos, unsigned *lineno, char *line, size_t size,
		      unsigned *number)
{
	size_t used = 0;
	bool started = false;

	line[0] = '\0';
	while (**pos) {
		const char *p = *pos, *end = strchr(p, '\n'), *hash;
		size_t len;

		end = end ? end : p + strlen(p);
		*pos = *end ? end + 1 : end;
		(*lineno)++;
		p += strspn(p, " \t");
		if (p == end || *p == '#')
			continue;
		if (!started)
			*number = *lineno;
		started = true;
		hash = memchr(p, '#', (size_t)(end - p));
		len = (size_t)((hash ? hash : end) - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (!hash && len > 0 && p[len - 1] == '\\') {
			snprintf(line + used, size - used, "%.*s ", (int)(len - 1), p);
			used = strlen(line);
			continue;
		}
		snprintf(line + used, size - used, "%.*s", (int)len, p);
		return true;
	}
	return started;
}

/* The next word of *p (a bracketed control whole), NUL-terminated in place;
 * NULL at the end. */
static char *next_word(char **p)
{
	char *word, *end;

	*p += strspn(*p, " \t");
	if (!**p)
		return NULL;
	word = *p;
	end = word[0] == '[' ? strchr(word, ']') : NULL;
	end = end ? end + 1 : word + strcspn(word, " \t");
	*p = *end ? end + 1 : end;
	*end = '\0';
	return word;
}

/* The action a control takes for a module's return value key
 * ("success", "session_err", ...), as _pam_parse_control reads a bracket:
 * key=value tokens (spaces around '=' too), a later key over an earlier,
 * "default" for the keys not named before it, "bad" for those still not;
 * and as the four words stand for. */
static void control_action(const char *control, const char *key, char *out, size_t size)
{
	static const struct { const char *word, *success, *rest; } words[] = {
		{ "required", "ok", "bad" }, { "requisite", "ok", "die" },
		{ "optional", "ok", "ignore" }, { "sufficient", "done", "ignore" },
	};
	const char *p = control + 1, *k, *v;
	size_t i, kl, vl;
	bool set = false;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(control, words[i].word) == 0) {
			snprintf(out, size, "%s", strcmp(key, "success") == 0 ? words[i].success
					  : strcmp(key, "ignore") == 0 && i < 2 ? "ignore" : words[i].rest);
			return;
		}
	snprintf(out, size, "bad");
	if (control[0] != '[')
		return;
	while (*p && *p != ']') {
		while (isspace((unsigned char)*p))
			p++;
		for (k = p; *p && !isspace((unsigned char)*p) && *p != '=' && *p != ']'; p++)
			;
		kl = (size_t)(p - k);
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=')
			continue;
		for (p++; isspace((unsigned char)*p); p++)
			;
		for (v = p; *p && !isspace((unsigned char)*p) && *p != ']'; p++)
			;
		vl = (size_t)(p - v);
		/* the key itself, or default while the key is not set */
		if ((kl == strlen(key) && strncasecmp(k, key, kl) == 0) ||
		    (!set && kl == 7 && strncasecmp(k, "default", 7) == 0)) {
			snprintf(out, size, "%.*s", (int)vl, v);
			set = true;
		}
	}
}

/* A jump's count, or 0 for any other action. */
static int jump_of(const char *action)
{
	char *end;
	long n = strtol(action, &end, 10);

	return action[0] >= '0' && action[0] <= '9' && !*end && n > 0 && n < 1000 ? (int)n : 0;
}

/* Whether a control lets the session go on when the module fails
 * (PAM_SESSION_ERR): optional and sufficient do, so does a bracket whose
 * session_err, or else default, is ignore or reset, and so does a jump:
 * Linux-PAM keeps no failure a jump took in an open_session stack (a
 * review of 1c56089 ran such stacks with pamtester).  ok, done, bad and
 * die keep it. */
static bool ignores_failure(const char *control)
{
	/* the module's failures, and libpam's for a module it cannot load */
	static const char *const keys[] = { "session_err", "user_unknown", "module_unknown",
					    "symbol_err", "system_err", "buf_err" };
	char action[64];
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		control_action(control, keys[i], action, sizeof(action));
		if (strcasecmp(action, "ignore") == 0 || strcasecmp(action, "reset") == 0 ||
		    jump_of(action) > 0)
			return true;
	}
	return false;
}

static const char *base_name(const char *path)
{
	const char *base = strrchr(path, '/');

	return base ? base + 1 : path;
}

static void walk(struct stack *st, const char *name, int depth, int level);

static void add_entry(struct stack *st, const char *file, unsigned line, const char *control,
		      const char *module, const char *args, int level)
{
	struct entry *e;

	if (st->n == ENTRIES_MAX) {
		st->full = true;
		return;
	}
	e = &st->e[st->n++];
	snprintf(e->where, sizeof(e->where), "%s:%u", file, line);
	snprintf(e->control, sizeof(e->control), "%s", control);
	snprintf(e->module, sizeof(e->module), "%s", module ? base_name(module) : "");
	snprintf(e->args, sizeof(e->args), "%s", args);
	e->level = level;
	e->substack = !module;
}

/* One logical line of file (its number: line): a session line kept, an
 * include followed.  walk() stops at DEPTH_MAX files deep, a file that
 * includes itself too, and so does the recursion (hence the NOLINTs). */
// NOLINTNEXTLINE(misc-no-recursion)
static void walk_line(struct stack *st, const char *file, unsigned line, char *text, int depth,
		      int level)
{
	char *p = text, *type = next_word(&p), *control, *module;

	if (!type)
		return;
	if (strcasecmp(type, "@include") == 0) {
		module = next_word(&p);
		if (module)
			walk(st, module, depth + 1, level);
		return;
	}
	if (type[0] == '-')
		type++;
	if (strcasecmp(type, "session") != 0)
		return;
	control = next_word(&p);
	module = next_word(&p);
	if (!control || !module)
		return;
	if (strcasecmp(control, "include") == 0) {
		walk(st, module, depth + 1, level);
		return;
	}
	if (strcasecmp(control, "substack") == 0) {
		add_entry(st, file, line, control, NULL, "", level);
		walk(st, module, depth + 1, level + 1);
		return;
	}
	p += strspn(p, " \t");
	add_entry(st, file, line, control, module, p, level);
}

/* What Linux-PAM reads otherwise than a text of lines: it reads a line
 * with fgets() into 1024 bytes, so a longer one is two to it (a comment's
 * rest a line of its own), and it reads on past a NUL byte that ends
 * the text here (a review of a909b8b hid a line from check so).  NULL, or
 * which. */
static const char *read_otherwise(const char *text, size_t len)
{
	const char *line = text, *end;

	if (memchr(text, '\0', len))
		return "a NUL byte, past which Linux-PAM reads on";
	for (; line < text + len; line = end + 1) {
		end = memchr(line, '\n', (size_t)(text + len - line));
		end = end ? end : text + len;
		if (end - line >= 1023)
			return "a line of 1023 bytes or more, which Linux-PAM reads as two";
	}
	return NULL;
}

// NOLINTNEXTLINE(misc-no-recursion)
static void walk(struct stack *st, const char *name, int depth, int level)
{
	char path[PATH_MAX], line[8192], *text;
	const char *pos, *why;
	unsigned lineno = 0, number = 0;
	ssize_t len;

	service_path(st, name, path, sizeof(path));
	if (depth > DEPTH_MAX) {
		if (!st->broken[0])
			snprintf(st->broken, sizeof(st->broken), "%s: nested more than %d deep",
				 path, DEPTH_MAX);
		return;
	}
	text = malloc(TEXT_MAX);
	if (!text || (len = nsiso_read_whole(path, text, TEXT_MAX)) < 0) {
		if (!st->broken[0])
			snprintf(st->broken, sizeof(st->broken), "%s: %s", path, strerror(errno));
		free(text);
		return;
	}
	why = read_otherwise(text, (size_t)len);
	if (why && !st->broken[0])
		snprintf(st->broken, sizeof(st->broken), "%s: %s", path, why);
	for (pos = text; next_line(&pos, &lineno, line, sizeof(line), &number);)
		walk_line(st, path, number, line, depth, level);
	free(text);
}

/* The session stack of a door's service into *st, its file into path:
 * false when the service has no file (its program is not installed). */
static bool read_stack(const char *dir, const struct door *d, struct stack *st, char *path,
		       size_t size)
{
	memset(st, 0, sizeof(*st));
	st->dir = dir;
	service_path(st, d->service, path, size);
	if (access(path, F_OK) != 0)
		return false;
	walk(st, d->service, 0, 0);
	if (st->n == 0 && !st->broken[0])
		walk(st, "other", 0, 0);
	return true;
}

/* The first pam_nsiso line, or -1. */
static int first_nsiso(const struct stack *st)
{
	unsigned i;

	for (i = 0; i < st->n; i++)
		if (!st->e[i].substack && strcmp(st->e[i].module, "pam_nsiso.so") == 0)
			return (int)i;
	return -1;
}

static unsigned count_nsiso(const struct stack *st)
{
	unsigned i, n = 0;

	for (i = 0; i < st->n; i++)
		n += !st->e[i].substack && strcmp(st->e[i].module, "pam_nsiso.so") == 0;
	return n;
}

/* Whether a jump of n from line i passes over line k: Linux-PAM skips n
 * lines of i's level, each with the substack lines below it. */
static bool jumps_over(const struct stack *st, unsigned i, int n, unsigned k)
{
	unsigned j = i;

	while (j + 1 < st->n && st->e[j + 1].level >= st->e[i].level && n > 0) {
		do
			j++;
		while (j + 1 < st->n && st->e[j + 1].level > st->e[i].level);
		n--;
	}
	return k <= j;
}

/* pam_succeed_if for root alone: the package's own line before the module
 * ("quiet uid eq 0"), which only root's sessions skip it by on success
 * (with use_uid it tests the application's uid, root's for every login: a
 * review of a909b8b). */
static bool root_only(const struct entry *e)
{
	char args[256], *p = args, *w, *words[4];
	int n = 0;

	if (strcmp(e->module, "pam_succeed_if.so") != 0)
		return false;
	snprintf(args, sizeof(args), "%s", e->args);
	while ((w = next_word(&p)))
		if (strncmp(w, "quiet", 5) != 0 && strcmp(w, "debug") != 0) {
			if (n == 3)
				return false;
			words[n++] = w;
		}
	return n == 3 && ((strcmp(words[0], "uid") == 0 && strcmp(words[2], "0") == 0) ||
			  (strcmp(words[0], "user") == 0 && strcmp(words[2], "root") == 0)) &&
	       (strcmp(words[1], "eq") == 0 || strcmp(words[1], "=") == 0);
}

/* Every return value's key, as Linux-PAM names them (_pam_token_returns). */
static const char *const pam_keys[] = {
	"success", "open_err", "symbol_err", "service_err", "system_err", "buf_err",
	"perm_denied", "auth_err", "cred_insufficient", "authinfo_unavail", "user_unknown",
	"maxtries", "new_authtok_reqd", "acct_expired", "session_err", "cred_unavail",
	"cred_expired", "cred_err", "no_module_data", "conv_err", "authtok_err",
	"authtok_recover_err", "authtok_lock_busy", "authtok_disable_aging", "try_again",
	"ignore", "abort", "authtok_expired", "module_unknown", "bad_item", "conv_again",
	"incomplete",
};

/* Whether line i, before pam_nsiso's line k, may end the stack with
 * success (done, sufficient) or jump over k, for some return value of its
 * module (pam_permit only succeeds, pam_deny only fails; root's own line
 * is let be on success alone). */
static bool may_skip(const struct stack *st, unsigned i, unsigned k)
{
	const struct entry *e = &st->e[i];
	bool only_success = strcmp(e->module, "pam_permit.so") == 0;
	bool never_success = strcmp(e->module, "pam_deny.so") == 0 || root_only(e);
	char action[64];
	size_t j;

	if (e->substack || e->level > st->e[k].level)
		return false;
	for (j = 0; j < sizeof(pam_keys) / sizeof(pam_keys[0]); j++) {
		if ((only_success && j > 0) || (never_success && j == 0))
			continue;
		control_action(e->control, pam_keys[j], action, sizeof(action));
		if (strcasecmp(action, "done") == 0 ||
		    (jump_of(action) > 0 && jumps_over(st, i, jump_of(action), k)))
			return true;
	}
	return false;
}

/* Whether line i, after pam_nsiso's line k, may forget the stack's state
 * (reset), and with it the module's failure: at k's level, or at that of
 * a substack k is in. */
static bool may_reset(const struct stack *st, unsigned i, unsigned k)
{
	const struct entry *e = &st->e[i];
	char action[64];
	size_t j;

	if (e->substack || e->level > st->e[k].level)
		return false;
	for (j = 0; j < sizeof(pam_keys) / sizeof(pam_keys[0]); j++) {
		control_action(e->control, pam_keys[j], action, sizeof(action));
		if (strcasecmp(action, "reset") == 0)
			return true;
	}
	return false;
}
static void warn_door(const struct door *d, const struct stack *st, const char *path)
{
	int k = first_nsiso(st);
	unsigned i, n = count_nsiso(st);

	if (st->broken[0])
		printf("nsisoctl: warning: the session stack of %s cannot be read whole (%s)\n",
		       path, st->broken);
	if (st->full)
		printf("nsisoctl: warning: the session stack of %s has more than %d lines: the "
		       "rest is not looked at\n", path, ENTRIES_MAX);
	if (k < 0) {
		if (!st->broken[0])
			printf("nsisoctl: warning: %s does not run pam_nsiso.so: %s of the accounts "
			       "the conf isolates or limits start outside their isolation and "
			       "limits; add the module's line to its session stack (the Debian "
			       "package puts it in common-session and "
			       "common-session-noninteractive; pam_nsiso(8): EVERY DOOR)\n",
			       path, d->whose);
		return;
	}
	for (i = 0; i < (unsigned)k; i++)
		if (may_skip(st, i, (unsigned)k) && !shown_before(st->e[i].where))
			printf("nsisoctl: warning: %s: %s %s can end the session stack of %s before "
			       "pam_nsiso.so, or jump over it: a session that takes that way is "
			       "neither isolated nor limited; make sure only exempt accounts can\n",
			       st->e[i].where, st->e[i].control, st->e[i].module, path);
	for (i = (unsigned)k + 1; i < st->n; i++)
		if (may_reset(st, i, (unsigned)k) && !shown_before(st->e[i].where))
			printf("nsisoctl: warning: %s: %s %s, after pam_nsiso.so in the session stack "
			       "of %s, can reset the stack's state, and with it the module's "
			       "refusal: such a session goes on, unisolated and unlimited\n",
			       st->e[i].where, st->e[i].control, st->e[i].module, path);
	for (i = (unsigned)k; i < st->n; i++)
		if (!st->e[i].substack && strcmp(st->e[i].module, "pam_nsiso.so") == 0 &&
		    ignores_failure(st->e[i].control) && !shown_before(st->e[i].where))
			printf("nsisoctl: warning: %s: pam_nsiso.so is %s (read for %s): a session "
			       "it refuses goes on, unisolated and unlimited; make it required\n",
			       st->e[i].where, st->e[i].control, path);
	if (n > 1 && !shown_before(path))
		printf("nsisoctl: warning: %s runs pam_nsiso.so %u times in its session stack: "
		       "only the first, %s, acts (its arguments count, the others' do not)\n",
		       path, n, st->e[k].where);
}

/* The next word of an sshd_config line at *p: the keyword ends at
 * whitespace or '=', which may stand between it and its value; '#' at the
 * start of a word begins a comment.  NUL-terminated in place; NULL at the
 * end. */
static char *sshd_word(char **p)
{
	char *word, *end;

	*p += strspn(*p, " \t");
	if (**p == '=')
		*p += 1 + strspn(*p + 1, " \t");
	if (!**p || **p == '#')
		return NULL;
	if (**p == '"') {	/* quoted, as sshd's argv_split takes it */
		word = *p + 1;
		end = strchr(word, '"');
		end = end ? end : word + strlen(word);
		*p = *end ? end + 1 : end;
		*end = '\0';
		return word;
	}
	word = *p;
	end = word + strcspn(word, " \t=");
	*p = *end ? end + 1 : end;	/* "UsePAM=no": the '=' goes, "no" stays */
	*end = '\0';
	return word;
}

enum { SSHD_PAM_UNSET = -1, SSHD_PAM_UNREADABLE = -2 };

static int sshd_use_pam(const char *path, int depth, char *where, size_t size);

/* UsePAM from the files an Include line's patterns name (relative to
 * /etc/ssh), in the order sshd reads them: 1, 0, or SSHD_PAM_UNSET. */
// NOLINTNEXTLINE(misc-no-recursion)
static int sshd_include(char *patterns, int depth, char *where, size_t size)
{
	char *pattern, pathbuf[PATH_MAX];
	int found = SSHD_PAM_UNSET;
	size_t i;

	while (found == SSHD_PAM_UNSET && (pattern = sshd_word(&patterns))) {
		glob_t g;

		snprintf(pathbuf, sizeof(pathbuf), "%s%s", pattern[0] == '/' ? "" : "/etc/ssh/",
			 pattern);
		if (glob(pathbuf, 0, NULL, &g) != 0)
			continue;
		for (i = 0; found == SSHD_PAM_UNSET && i < g.gl_pathc; i++)
			found = sshd_use_pam(g.gl_pathv[i], depth + 1, where, size);
		globfree(&g);
	}
	return found;
}

/* UsePAM as sshd reads it from path: the first value wins, an Include
 * reads its files where it stands, and nothing after a Match line counts
 * (sshd refuses UsePAM there).  1 yes, 0 no (where it was said in where),
 * SSHD_PAM_UNSET, or SSHD_PAM_UNREADABLE (the file in where). */
// NOLINTNEXTLINE(misc-no-recursion)
static int sshd_use_pam(const char *path, int depth, char *where, size_t size)
{
	char *text, *line, *next, *p, *key, *value;
	unsigned lineno = 0;
	int found = SSHD_PAM_UNSET;

	text = depth > DEPTH_MAX ? NULL : malloc(TEXT_MAX);
	if (!text || nsiso_read_whole(path, text, TEXT_MAX) < 0) {
		snprintf(where, size, "%s", path);
		free(text);
		return SSHD_PAM_UNREADABLE;
	}
	for (line = text; found == SSHD_PAM_UNSET && *line; line = next) {
		next = line + strcspn(line, "\n");
		next = *next ? (*next = '\0', next + 1) : next;
		lineno++;
		p = line;
		key = sshd_word(&p);
		if (!key)
			continue;
		if (strcasecmp(key, "Match") == 0)
			break;
		if (strcasecmp(key, "Include") == 0)
			found = sshd_include(p, depth, where, size);
		else if (strcasecmp(key, "UsePAM") == 0 && (value = sshd_word(&p))) {
			found = strcasecmp(value, "yes") == 0;
			snprintf(where, size, "%s:%u", path, lineno);
		}
	}
	free(text);
	return found;
}

/* Whether a line of /etc/default/ssh (a shell script) gives SSHD_OPTS a
 * value: blanks and "export" before it, quotes around it. */
static bool sshd_opts_set(const char *line)
{
	line += strspn(line, " \t");
	if (strncmp(line, "export", 6) == 0 && (line[6] == ' ' || line[6] == '\t'))
		line += 6 + strspn(line + 6, " \t");
	if (strncmp(line, "SSHD_OPTS=", 10) != 0)
		return false;
	line += 10 + strspn(line + 10, "\"' \t");
	return *line && *line != '\n' && *line != '#';
}

/* sshd without PAM (UsePAM no, OpenSSH's default) runs no session stack:
 * /etc/pam.d/sshd may say what it likes, and pamtester, which reads it,
 * shows an isolated session while SSH logins start unisolated.  Options on
 * sshd's command line (Debian's SSHD_OPTS in /etc/default/ssh) come before
 * the files; they are not read, only noticed. */
static void warn_sshd_without_pam(void)
{
	static char opts[TEXT_MAX];
	char where[WHERE_LEN] = "";
	const char *line;
	int use;

	if (nsiso_read_whole(SSHD_DEFAULTS, opts, sizeof(opts)) > 0)
		for (line = opts; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
			if (sshd_opts_set(line))
				printf("nsisoctl: warning: " SSHD_DEFAULTS ": SSHD_OPTS gives sshd "
				       "options (-f, -o UsePAM), which are not read here: whether sshd "
				       "uses PAM is not known\n");
	if (access(SSHD_CONFIG, F_OK) != 0)
		return;
	use = sshd_use_pam(SSHD_CONFIG, 0, where, sizeof(where));
	if (use == 1)
		return;
	if (use == SSHD_PAM_UNREADABLE)
		printf("nsisoctl: warning: %s cannot be read whole: whether sshd uses PAM is not "
		       "known\n", where);
	else
		printf("nsisoctl: warning: %s: sshd does not use PAM (%s): SSH logins run no "
		       "session stack and start outside pam_nsiso, unisolated and unlimited, "
		       "whatever /etc/pam.d/sshd says; set UsePAM yes\n",
		       where[0] ? where : SSHD_CONFIG,
		       where[0] ? "UsePAM no" : "no UsePAM line, and OpenSSH's default is no");
}

void ctl_warn_pam_doors(const char *pam_dir)
{
	static struct stack st;
	char path[PATH_MAX];
	bool any = false;
	size_t i;

	n_shown = 0;
	/* Only where the module is in some door: before it is enabled, every
	 * door lacks it and nothing is isolated yet (a trial, a rollout). */
	for (i = 0; i < sizeof(doors) / sizeof(doors[0]) && !any; i++)
		any = read_stack(pam_dir, &doors[i], &st, path, sizeof(path)) && first_nsiso(&st) >= 0;
	if (!any)
		return;
	for (i = 0; i < sizeof(doors) / sizeof(doors[0]); i++)
		if (read_stack(pam_dir, &doors[i], &st, path, sizeof(path)))
			warn_door(&doors[i], &st, path);
	warn_sshd_without_pam();
}
