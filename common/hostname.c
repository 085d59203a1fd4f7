/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "hostname.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *nsiso_hostname_template_check(const char *template)
{
	const char *p;

	if (*template == '\0')
		return "empty hostname template";
	for (p = template; *p; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p != 'u' && *p != 'U' && *p != 'h' && *p != '%')
			return "unknown escape in hostname template (use %u, %U, %h or %%)";
	}
	return NULL;
}

static int append(char *out, size_t *len, const char *text)
{
	size_t n = strlen(text);

	if (*len + n > NSISO_HOSTNAME_MAX)
		return -1;
	memcpy(out + *len, text, n);
	*len += n;
	out[*len] = '\0';
	return 0;
}

static const char *escape_value(char c, const char *user, const char *uid_text,
				const char *host_short)
{
	switch (c) {
	case 'u': return user;
	case 'U': return uid_text;
	case 'h': return host_short;
	default: return "%";
	}
}

static const char too_long[] = "expanded host name is longer than 64 characters";

static const char *expand(const char *template, const char *user, const char *uid_text,
			  const char *host_short, char *out)
{
	char literal[2] = { 0, 0 };
	const char *p;
	size_t len = 0;

	out[0] = '\0';
	for (p = template; *p; p++) {
		const char *piece;

		if (*p == '%') {
			p++;
			piece = escape_value(*p, user, uid_text, host_short);
		} else {
			literal[0] = *p;
			piece = literal;
		}
		if (append(out, &len, piece) < 0)
			return too_long;
	}
	return NULL;
}

static size_t count_host_escapes(const char *template)
{
	size_t n = 0;
	const char *p;

	for (p = template; *p; p++)
		if (*p == '%' && *++p == 'h')
			n++;
	return n;
}

/* %h is the host's name as the caller sees it, and inside a session that is
 * the session's own, made from the template: logins nested in logins would
 * grow it past 64 characters, and a login a user can make fail would turn
 * on_error allow into a switch.  So %h is cut (each alike) to what fits in
 * 63 characters, without a '-' or '.' at the cut.  False when not even one character of
 * it fits. */
static bool fit_host(const char *template, const char *user, const char *uid_text,
		     const char *host_short, char *fitted)
{
	char base[NSISO_HOSTNAME_MAX + 1];
	size_t k = count_host_escapes(template), room;

	/* 63: a name without dots is one label, at most 63 long. */
	if (k == 0 || expand(template, user, uid_text, "", base) != NULL ||
	    strlen(base) >= NSISO_HOSTNAME_MAX - 1)
		return false;
	room = (NSISO_HOSTNAME_MAX - 1 - strlen(base)) / k;
	snprintf(fitted, NSISO_HOSTNAME_MAX + 1, "%.*s", (int)room, host_short);
	room = strlen(fitted);
	while (room > 0 && (fitted[room - 1] == '-' || fitted[room - 1] == '.'))
		fitted[--room] = '\0';
	return room > 0;
}

const char *nsiso_hostname_expand(const char *template, const char *user,
				  uid_t uid, const char *host_short, char *out)
{
	char uid_text[16], fitted[NSISO_HOSTNAME_MAX + 1];
	const char *why;

	why = nsiso_hostname_template_check(template);
	if (why)
		return why;
	snprintf(uid_text, sizeof(uid_text), "%u", (unsigned)uid);
	why = expand(template, user, uid_text, host_short, out);
	/* 64 without a dot is one label too long, as 65 is too long. */
	if ((why == too_long || strlen(out) >= NSISO_HOSTNAME_MAX) &&
	    fit_host(template, user, uid_text, host_short, fitted))
		why = expand(template, user, uid_text, fitted, out);
	return why ? why : nsiso_hostname_valid(out);
}

static int label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-';
}

const char *nsiso_hostname_valid(const char *name)
{
	const char *label = name, *p;

	if (strlen(name) > NSISO_HOSTNAME_MAX)
		return "host name longer than 64 characters";
	for (p = name;; p++) {
		if (*p == '.' || *p == '\0') {
			size_t n = (size_t)(p - label);

			if (n == 0 || n > 63)
				return "host name has an empty or too long label";
			if (label[0] == '-' || p[-1] == '-')
				return "host name label starts or ends with '-'";
			if (*p == '\0')
				return NULL;
			label = p + 1;
		} else if (!label_char(*p)) {
			return "host name may only contain letters, digits, '-' and '.'";
		}
	}
}

void nsiso_host_short_name(char *out)
{
	char name[NSISO_HOSTNAME_MAX + 2];

	if (gethostname(name, sizeof(name)) != 0)
		strcpy(name, "localhost");
	name[sizeof(name) - 1] = '\0';
	snprintf(out, NSISO_HOSTNAME_MAX + 1, "%.*s", (int)strcspn(name, "."), name);
}
