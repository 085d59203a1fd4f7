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
#define WHERE_LEN (PATH_MAX + 16)
#define TEXT_MAX 65536		/* a service file read whole */
#define SSHD_CONFIG "/etc/ssh/sshd_config"
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
	{ "lightdm", "graphical logins" },
	{ "gdm-password", "graphical logins" },
	{ "sddm", "graphical logins" },
	{ "xrdp-sesman", "remote desktop logins" },
};

/* What the walk of one service's session stack found. */
struct stack {
	const char *dir;
	unsigned n_lines;		/* session lines, of any module */
	unsigned n_nsiso;		/* pam_nsiso's */
	char first[WHERE_LEN];		/* file:line of its first */
	char weak[WHERE_LEN];		/* file:line of one whose failure is ignored */
	char weak_control[128];
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

/* Whether a control lets the session go on when the module fails
 * (PAM_SESSION_ERR): optional and sufficient do, and so does a bracket
 * whose session_err, or else default, is ignore or reset.  ok, done and a
 * jump keep the failure (it stands as the stack's result); a bracket
 * without default treats what it does not name as bad. */
static bool ignores_failure(const char *control)
{
	char copy[128], *p, *pair;
	const char *action = NULL, *fallback = "bad";

	if (strcasecmp(control, "optional") == 0 || strcasecmp(control, "sufficient") == 0)
		return true;
	if (control[0] != '[')
		return false;
	snprintf(copy, sizeof(copy), "%s", control + 1);
	p = strchr(copy, ']');
	if (p)
		*p = '\0';
	for (p = copy; (pair = next_word(&p));) {
		char *eq = strchr(pair, '=');

		if (!eq)
			continue;
		*eq = '\0';
		if (strcasecmp(pair, "session_err") == 0)
			action = eq + 1;
		else if (strcasecmp(pair, "default") == 0)
			fallback = eq + 1;
	}
	action = action ? action : fallback;
	return strcasecmp(action, "ignore") == 0 || strcasecmp(action, "reset") == 0;
}

static bool is_nsiso(const char *module)
{
	const char *base = strrchr(module, '/');

	return strcmp(base ? base + 1 : module, "pam_nsiso.so") == 0;
}

static void walk(struct stack *st, const char *name, int depth);

/* One logical line of file (its number: line): a session line counted, an
 * include followed.  walk() stops at DEPTH_MAX files deep, a file that
 * includes itself too, and so does the recursion (hence the NOLINTs). */
// NOLINTNEXTLINE(misc-no-recursion)
static void walk_line(struct stack *st, const char *file, unsigned line, char *text, int depth)
{
	char *p = text, *type = next_word(&p), *control, *module, where[WHERE_LEN];

	if (!type)
		return;
	if (strcmp(type, "@include") == 0) {
		module = next_word(&p);
		if (module)
			walk(st, module, depth + 1);
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
	if (strcasecmp(control, "include") == 0 || strcasecmp(control, "substack") == 0) {
		walk(st, module, depth + 1);
		return;
	}
	st->n_lines++;
	if (!is_nsiso(module))
		return;
	snprintf(where, sizeof(where), "%s:%u", file, line);
	if (st->n_nsiso++ == 0)
		snprintf(st->first, sizeof(st->first), "%s", where);
	if (!st->weak[0] && ignores_failure(control)) {
		snprintf(st->weak, sizeof(st->weak), "%s", where);
		snprintf(st->weak_control, sizeof(st->weak_control), "%s", control);
	}
}

// NOLINTNEXTLINE(misc-no-recursion)
static void walk(struct stack *st, const char *name, int depth)
{
	char path[PATH_MAX], line[8192], *text;
	const char *pos;
	unsigned lineno = 0, number = 0;

	service_path(st, name, path, sizeof(path));
	if (depth > DEPTH_MAX) {
		if (!st->broken[0])
			snprintf(st->broken, sizeof(st->broken), "%s: nested more than %d deep",
				 path, DEPTH_MAX);
		return;
	}
	text = malloc(TEXT_MAX);
	if (!text || nsiso_read_whole(path, text, TEXT_MAX) < 0) {
		if (!st->broken[0])
			snprintf(st->broken, sizeof(st->broken), "%s: %s", path, strerror(errno));
		free(text);
		return;
	}
	for (pos = text; next_line(&pos, &lineno, line, sizeof(line), &number);)
		walk_line(st, path, number, line, depth);
	free(text);
}

/* The session stack of a door's service into *st, its file into path:
 * false when the service has no file (its program is not installed). */
static bool read_stack(const char *dir, const struct door *d, struct stack *st, char *path,
		       size_t size)
{
	*st = (struct stack){ .dir = dir };
	service_path(st, d->service, path, size);
	if (access(path, F_OK) != 0)
		return false;
	walk(st, d->service, 0);
	if (st->n_lines == 0 && !st->broken[0])
		walk(st, "other", 0);
	return true;
}

static void warn_door(const struct door *d, const struct stack *st, const char *path)
{
	if (st->broken[0])
		printf("nsisoctl: warning: the session stack of %s cannot be read whole (%s)\n",
		       path, st->broken);
	if (st->n_nsiso == 0) {
		if (!st->broken[0])
			printf("nsisoctl: warning: %s does not run pam_nsiso.so: %s of the accounts "
			       "the conf isolates or limits start outside their isolation and "
			       "limits; add the module's line to its session stack (the Debian "
			       "package puts it in common-session and "
			       "common-session-noninteractive; pam_nsiso(8): EVERY DOOR)\n",
			       path, d->whose);
		return;
	}
	if (st->weak[0] && !shown_before(st->weak))
		printf("nsisoctl: warning: %s: pam_nsiso.so is %s (read for %s): a session it "
		       "refuses goes on, unisolated and unlimited; make it required\n", st->weak,
		       st->weak_control, path);
	if (st->n_nsiso > 1 && !shown_before(path))
		printf("nsisoctl: warning: %s runs pam_nsiso.so %u times in its session stack: "
		       "only the first, %s, acts (its arguments count, the others' do not)\n",
		       path, st->n_nsiso, st->first);
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
	word = *p;
	end = word + strcspn(word, " \t=");
	*p = *end ? end + 1 : end;	/* "UsePAM=no": the '=' goes, "no" stays */
	*end = '\0';
	return word;
}

static int sshd_use_pam(const char *path, int depth, char *where, size_t size);

/* UsePAM from the files an Include line's patterns name (relative to
 * /etc/ssh), in the order sshd reads them: 1, 0, or -1 when none sets it. */
// NOLINTNEXTLINE(misc-no-recursion)
static int sshd_include(char *patterns, int depth, char *where, size_t size)
{
	char *pattern, pathbuf[PATH_MAX];
	int found = -1;
	size_t i;

	while (found < 0 && (pattern = sshd_word(&patterns))) {
		glob_t g;

		snprintf(pathbuf, sizeof(pathbuf), "%s%s", pattern[0] == '/' ? "" : "/etc/ssh/",
			 pattern);
		if (glob(pathbuf, 0, NULL, &g) != 0)
			continue;
		for (i = 0; found < 0 && i < g.gl_pathc; i++)
			found = sshd_use_pam(g.gl_pathv[i], depth + 1, where, size);
		globfree(&g);
	}
	return found;
}

/* UsePAM as sshd reads it from path: the first value wins, an Include
 * reads its files where it stands, and nothing after a Match line counts
 * (sshd refuses UsePAM there).  1 yes, 0 no (where it was said in where),
 * -1 not set. */
// NOLINTNEXTLINE(misc-no-recursion)
static int sshd_use_pam(const char *path, int depth, char *where, size_t size)
{
	char *text, *line, *next, *p, *key, *value;
	unsigned lineno = 0;
	int found = -1;

	if (depth > DEPTH_MAX || !(text = malloc(TEXT_MAX)))
		return -1;
	if (nsiso_read_whole(path, text, TEXT_MAX) < 0)
		text[0] = '\0';
	for (line = text; found < 0 && *line; line = next) {
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

/* sshd without PAM (UsePAM no, OpenSSH's default) runs no session stack:
 * /etc/pam.d/sshd may say what it likes, and pamtester, which reads it,
 * shows an isolated session while SSH logins start unisolated. */
static void warn_sshd_without_pam(void)
{
	char where[WHERE_LEN] = "";

	if (access(SSHD_CONFIG, F_OK) != 0 || sshd_use_pam(SSHD_CONFIG, 0, where,
							    sizeof(where)) == 1)
		return;
	printf("nsisoctl: warning: %s: sshd does not use PAM (%s): SSH logins run no session "
	       "stack and start outside pam_nsiso, unisolated and unlimited, whatever "
	       "/etc/pam.d/sshd says; set UsePAM yes\n", where[0] ? where : SSHD_CONFIG,
	       where[0] ? "UsePAM no" : "no UsePAM line, and OpenSSH's default is no");
}

void ctl_warn_pam_doors(const char *pam_dir)
{
	static struct stack stacks[sizeof(doors) / sizeof(doors[0])];
	static char paths[sizeof(doors) / sizeof(doors[0])][PATH_MAX];
	bool present[sizeof(doors) / sizeof(doors[0])], any = false;
	size_t i;

	n_shown = 0;
	for (i = 0; i < sizeof(doors) / sizeof(doors[0]); i++) {
		present[i] = read_stack(pam_dir, &doors[i], &stacks[i], paths[i], PATH_MAX);
		any = any || (present[i] && stacks[i].n_nsiso > 0);
	}
	/* Only where the module is in some door: before it is enabled, every
	 * door lacks it and nothing is isolated yet (a trial, a rollout). */
	if (!any)
		return;
	for (i = 0; i < sizeof(doors) / sizeof(doors[0]); i++)
		if (present[i])
			warn_door(&doors[i], &stacks[i], paths[i]);
	warn_sshd_without_pam();
}
