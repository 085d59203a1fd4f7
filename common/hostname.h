/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Per-session host names from a template: %u user, %U uid, %h host's short
 * name, %% a percent sign. */
#ifndef NSISO_HOSTNAME_H
#define NSISO_HOSTNAME_H

#include <sys/types.h>

#define NSISO_HOSTNAME_MAX 64	/* HOST_NAME_MAX on Linux */

/* Check a template's escapes (conf parse time).  NULL or a reason. */
const char *nsiso_hostname_template_check(const char *template);

/* Expand a template and check that the result is a valid host name of at
 * most NSISO_HOSTNAME_MAX characters.  out must hold NSISO_HOSTNAME_MAX + 1.
 * host_short is the host's name up to the first dot; where the whole would
 * be too long, %h is cut to fit (see fit_host()).  NULL or a reason. */
const char *nsiso_hostname_expand(const char *template, const char *user,
				  uid_t uid, const char *host_short,
				  char *out);

/* RFC 1123 host name: dot-separated labels of letters, digits and '-',
 * 1..63 characters each, not starting or ending with '-'. */
const char *nsiso_hostname_valid(const char *name);

/* The machine's host name up to the first dot, into out (65 bytes). */
void nsiso_host_short_name(char *out);

#endif
