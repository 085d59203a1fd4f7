/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsisoctl check: mail delivery, a door into the host that PAM never sees.
 * A local MTA that runs a command of a user's own (a "|command" line in
 * ~/.forward, Postfix's mailbox_command) starts it, when the user mails
 * themselves, as the user but in the MTA's namespaces and cgroups: outside
 * their isolation and limits.  The module cannot cover it; the admin can
 * turn it off, and check says where it is on.  Only the host's files are
 * read, never a user's. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/textfile.h"
#include "ctl.h"

#define POSTFIX_MAIN_CF "/etc/postfix/main.cf"
#define EXIM4 "/usr/sbin/exim4"

/* Carriage returns (a main.cf written on another system) as spaces: they
 * would otherwise cling to the words around them. */
static void crlf_as_space(char *text)
{
	for (; *text; text++)
		if (*text == '\r')
			*text = ' ';
}

/* Comment lines (# first, after any whitespace) and blank lines out of
 * main.cf's text, in place: Postfix skips them, also between a line and
 * its continuations. */
static void drop_comment_lines(char *text)
{
	char *line = text, *out = text, *end;
	size_t len;
	char first;

	while (*line) {
		end = strchr(line, '\n');
		len = end ? (size_t)(end - line) + 1 : strlen(line);
		first = line[strspn(line, " \t")];
		if (first != '#' && first != '\n' && first != '\0') {
			memmove(out, line, len);
			out += len;
		}
		line += len;
	}
	*out = '\0';
}

/* The end of the logical line that starts at line: lines that start with
 * whitespace continue it. */
static const char *logical_end(const char *line)
{
	const char *end = strchr(line, '\n');

	while (end && (end[1] == ' ' || end[1] == '\t'))
		end = strchr(end + 1, '\n');
	return end ? end : line + strlen(line);
}

/* The value of the last "name = value" of name in main.cf's text (comment
 * lines dropped), with its continuation lines, into value (whitespace at
 * its ends dropped): true if there is one.  A line that starts with
 * whitespace is a continuation, never a name. */
static bool postfix_value(const char *text, const char *name, char *value, size_t size)
{
	const char *line, *end, *p;
	size_t n = strlen(name), len;
	bool found = false;

	for (line = text; *line; line = *end ? end + 1 : end) {
		end = logical_end(line);
		if (strncmp(line, name, n) != 0)
			continue;
		for (p = line + n; p < end && (*p == ' ' || *p == '\t'); p++)
			;
		if (p == end || *p != '=')
			continue;
		for (p++; p < end && strchr(" \t\n", *p); p++)
			;
		for (len = (size_t)(end - p); len > 0 && strchr(" \t\n", p[len - 1]); len--)
			;
		snprintf(value, size, "%.*s", (int)len, p);
		found = true;
	}
	return found;
}

/* Whether a Postfix list ("alias, forward", commas or whitespace between)
 * holds word. */
static bool list_has(const char *list, const char *word)
{
	size_t n = strlen(word), len;
	const char *p = list;

	while (*p) {
		p += strspn(p, ", \t\n");
		len = strcspn(p, ", \t\n");
		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p += len;
	}
	return false;
}

static void warn_postfix(void)
{
	static char text[262144];
	char value[4096] = "alias, forward";	/* Postfix's default */
	bool readable;

	if (access(POSTFIX_MAIN_CF, F_OK) != 0)
		return;
	/* One that cannot be read is taken for Postfix's defaults. */
	readable = nsiso_read_whole(POSTFIX_MAIN_CF, text, sizeof(text)) >= 0;
	if (readable) {
		crlf_as_space(text);
		drop_comment_lines(text);
	}
	if (!readable || !postfix_value(text, "allow_mail_to_commands", value, sizeof(value)))
		snprintf(value, sizeof(value), "alias, forward");
	/* forward: a ~/.forward's "|command"; include: a ":include:" file
	 * it names, the user's too; a $parameter: not followed here. */
	if (list_has(value, "forward") || list_has(value, "include") || strchr(value, '$'))
		printf("nsisoctl: warning: Postfix runs the commands of users' ~/.forward files "
		       "(allow_mail_to_commands has forward or include): by mailing themselves, a "
		       "user starts a program outside their isolation and limits; set "
		       "allow_mail_to_commands = alias in " POSTFIX_MAIN_CF " (pam_nsiso(8): doors)\n");
	if (readable && postfix_value(text, "mailbox_command", value, sizeof(value)) &&
	    value[0])
		printf("nsisoctl: warning: Postfix's mailbox_command runs as each recipient, outside "
		       "their isolation and limits (pam_nsiso(8): doors)\n");
}

/* Whether an Exim configuration file sets option (a boolean) true on a
 * line of its own: "option", "option = true" or "option = yes". */
static bool exim_sets(const char *text, const char *option)
{
	const char *line, *end, *p;
	size_t n = strlen(option);

	for (line = text; *line; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		end = end ? end : line + strlen(line);
		line += strspn(line, " \t");
		if (strncmp(line, option, n) != 0)
			continue;
		for (p = line + n; p < end && strchr(" \t=", *p); p++)
			;
		if (p == end || strncmp(p, "true", 4) == 0 || strncmp(p, "yes", 3) == 0)
			return true;
	}
	return false;
}

/* The configuration Debian's exim4 runs with: an admin's own exim4.conf
 * if there is one, else what update-exim4.conf made of the split files or
 * the template (only what it made is run, not what they say). */
static bool exim_forbids_pipes(void)
{
	static const char *const files[] = { "/etc/exim4/exim4.conf",
					     "/var/lib/exim4/config.autogenerated" };
	static char text[262144];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (access(files[i], F_OK) == 0)
			return nsiso_read_whole(files[i], text, sizeof(text)) > 0 &&
			       exim_sets(text, "forbid_pipe") &&
			       exim_sets(text, "forbid_filter_run");
	return false;
}

static void warn_exim(void)
{
	/* Debian's routers 700 and 800 run these for a user who has a
	 * ~/.procmailrc or ~/.mailfilter, whatever userforward says. */
	static const char *const filters[] = { "/usr/bin/procmail", "/usr/bin/maildrop" };
	size_t i;

	if (access(EXIM4, F_OK) != 0)
		return;
	if (!exim_forbids_pipes())
		printf("nsisoctl: warning: Exim (" EXIM4 ") runs the pipes of users' ~/.forward "
		       "files and filters: by mailing themselves, a user starts a program outside "
		       "their isolation and limits; set forbid_pipe and forbid_filter_run on its "
		       "userforward router (pam_nsiso(8): doors)\n");
	for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
		if (access(filters[i], F_OK) == 0)
			printf("nsisoctl: warning: Exim (" EXIM4 ") and %s: Debian's exim4 routers "
			       "run it for a user's own mail filter, whose commands start outside "
			       "their isolation and limits (pam_nsiso(8): doors)\n", filters[i]);
}

void ctl_warn_mail_doors(void)
{
	warn_postfix();
	warn_exim();
}
