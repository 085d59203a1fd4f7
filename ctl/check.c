/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsisoctl check / explain: exactly the module's parser and resolver. */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cgroup.h"
#include "../common/conf.h"
#include "../common/size.h"
#include "ctl.h"

/* Rules that name a user or group nobody has are legal but likely typos. */
static void warn_unknown_names(const struct nsiso_conf *conf)
{
	size_t i;

	for (i = 0; i < conf->n_rules; i++) {
		const struct nsiso_rule *r = &conf->rules[i];

		if (r->domain == NSISO_DOMAIN_USER && !getpwnam(r->name))
			printf("%s:%u: warning: no user '%s'\n", r->file, r->line, r->name);
		else if (r->domain == NSISO_DOMAIN_GROUP && !getgrnam(r->name))
			printf("%s:%u: warning: no group '%s'\n", r->file, r->line, r->name);
	}
}

static int report(struct nsiso_conf *conf, const char *what)
{
	size_t i, n = nsiso_conf_error_count(conf);

	for (i = 0; i < n; i++)
		printf("%s\n", nsiso_conf_error(conf, i));
	warn_unknown_names(conf);
	if (n == 0)
		printf("%s: parsed OK (%zu rule%s in %zu file%s)\n", what, conf->n_rules,
		       conf->n_rules == 1 ? "" : "s", conf->n_files, conf->n_files == 1 ? "" : "s");
	return n ? CTL_PROBLEM : CTL_OK;
}

int ctl_check(int n_files, char **files)
{
	struct nsiso_conf conf;
	int i, ret = CTL_OK;

	if (n_files == 0) {
		/* As the module reads it: a missing main file means no rules. */
		memset(&conf, 0, sizeof(conf));
		nsiso_conf_load(&conf, NSISO_CONF_DEFAULT, NSISO_CONF_DIR_DEFAULT, true);
		if (conf.n_files == 0 && nsiso_conf_error_count(&conf) == 0)
			printf("%s: not present: pam_nsiso leaves every user alone\n",
			       NSISO_CONF_DEFAULT);
		else
			ret = report(&conf, NSISO_CONF_DEFAULT);
		nsiso_conf_free(&conf);
		return ret;
	}
	for (i = 0; i < n_files; i++) {
		memset(&conf, 0, sizeof(conf));
		nsiso_conf_load(&conf, files[i], NULL, false);
		if (report(&conf, files[i]) != CTL_OK)
			ret = CTL_PROBLEM;
		nsiso_conf_free(&conf);
	}
	return ret;
}

/* ---- explain ------------------------------------------------------------ */

static void origin_text(const struct nsiso_origin *o, char *buf, size_t len)
{
	if (o->file)
		snprintf(buf, len, "%s:%u", o->file, o->line);
	else
		snprintf(buf, len, "default");
}

/* "  item  value [as written]  file:line|default" */
static void print_item(const struct nsiso_settings *s, enum nsiso_item item, const char *value)
{
	char where[4200], shown[900];

	origin_text(&s->origin[item], where, sizeof(where));
	if (s->written[item] && strcmp(s->written[item], value) != 0)
		snprintf(shown, sizeof(shown), "%s [%s]", value, s->written[item]);
	else
		snprintf(shown, sizeof(shown), "%s", value);
	printf("  %-13s %-36s %s\n",
	       item == NSISO_ITEM_CGROUP_PARENT ? "cgroup" : nsiso_item_name(item), shown, where);
}

static void limit_text(const struct nsiso_limit *l, char *buf, size_t len)
{
	uint64_t bytes = nsiso_limit_bytes(l);
	char human[32];

	if (bytes == UINT64_MAX || bytes == 0) {
		snprintf(buf, len, bytes ? "unlimited" : "0");
		return;
	}
	nsiso_format_size(bytes, human, sizeof(human));
	snprintf(buf, len, "%llu bytes (%s)", (unsigned long long)bytes, human);
}

static const char *decision(const struct nsiso_settings *s)
{
	if (!s->matched)
		return "left alone: no rule matches (PAM_IGNORE)";
	if (s->exempt)
		return "left alone: exempt (PAM_IGNORE)";
	if (!nsiso_settings_active(s))
		return "left alone: isolate none and no limit (PAM_IGNORE)";
	return s->isolate ? "isolated" : "cgroup limits only, no namespaces";
}

static void print_settings(const struct nsiso_settings *s, uid_t uid)
{
	char value[512], cgroup[600];

	nsiso_isolate_format(s->isolate, value, sizeof(value));
	print_item(s, NSISO_ITEM_ISOLATE, value);
	limit_text(&s->memory, value, sizeof(value));
	print_item(s, NSISO_ITEM_MEMORY, value);
	limit_text(&s->swap, value, sizeof(value));
	print_item(s, NSISO_ITEM_SWAP, value);
	if (nsiso_limit_is_set(&s->tasks))
		snprintf(value, sizeof(value), "%llu", (unsigned long long)s->tasks.value);
	else
		snprintf(value, sizeof(value), "unlimited");
	print_item(s, NSISO_ITEM_TASKS, value);
	if (!(s->isolate & NSISO_NS_UTS))
		snprintf(value, sizeof(value), "the host's (no uts namespace)");
	else if (s->hostname_template[0] && !s->hostname[0])
		snprintf(value, sizeof(value), "invalid for this user");
	else
		snprintf(value, sizeof(value), "%s", s->hostname[0] ? s->hostname : "the host's");
	print_item(s, NSISO_ITEM_HOSTNAME, value);
	print_item(s, NSISO_ITEM_ON_LOGOUT, s->on_logout == NSISO_LOGOUT_KEEP ? "keep" : "kill");
	print_item(s, NSISO_ITEM_PROPAGATION,
		   s->propagation == NSISO_PROPAGATION_PRIVATE ? "private" : "slave");
	print_item(s, NSISO_ITEM_ON_ERROR, s->on_error == NSISO_ON_ERROR_ALLOW ? "allow" : "deny");
	print_item(s, NSISO_ITEM_EXEMPT, s->exempt ? "yes" : "no");
	if (s->cgroup_mode == NSISO_CGROUP_MODE_SYSTEMD)
		snprintf(cgroup, sizeof(cgroup), "user-%u.slice (systemd's)", (unsigned)uid);
	else
		nsiso_cgroup_user_path(s->cgroup_parent, uid, cgroup, sizeof(cgroup));
	print_item(s, NSISO_ITEM_CGROUP_PARENT, cgroup);
	print_item(s, NSISO_ITEM_CGROUP_MODE,
		   s->cgroup_mode == NSISO_CGROUP_MODE_SYSTEMD ? "systemd" : "own");
}

int ctl_explain(const char *name, const struct ctl_options *options)
{
	struct nsiso_conf conf;
	struct nsiso_settings s;
	struct nsiso_origin where = { 0 };
	struct passwd *pw = getpwnam(name);
	gid_t *groups = NULL;
	const char *why;
	int n_groups, ret = CTL_OK;

	if (!pw) {
		fprintf(stderr, "nsisoctl: no such user: %s\n", name);
		return CTL_PROBLEM;
	}
	n_groups = nsiso_user_groups(pw->pw_name, pw->pw_gid, &groups);
	if (n_groups < 0) {
		fprintf(stderr, "nsisoctl: cannot list the groups of %s\n", name);
		return CTL_PROBLEM;
	}
	memset(&conf, 0, sizeof(conf));
	if (options->conf)
		nsiso_conf_load(&conf, options->conf, NULL, false);
	else
		nsiso_conf_load(&conf, NSISO_CONF_DEFAULT, NSISO_CONF_DIR_DEFAULT, true);
	if (nsiso_conf_error_count(&conf)) {
		report(&conf, "");
		printf("every session the module applies to, except root's, is denied until "
		       "this is fixed\n");
		nsiso_conf_free(&conf);
		free(groups);
		return CTL_PROBLEM;
	}
	why = nsiso_conf_resolve(&conf, &(struct nsiso_user){ pw->pw_name, pw->pw_uid, groups,
							       (size_t)n_groups }, &s, &where);
	printf("user %s (uid %u)\n", pw->pw_name, (unsigned)pw->pw_uid);
	if (why) {
		printf("error: %s:%u: %s\n", where.file ? where.file : "?", where.line, why);
		printf("decision: session %s (on_error %s)\n",
		       s.on_error == NSISO_ON_ERROR_ALLOW ? "allowed without isolation" : "denied",
		       s.on_error == NSISO_ON_ERROR_ALLOW ? "allow" : "deny");
		ret = CTL_PROBLEM;
	} else {
		printf("decision: %s\n", decision(&s));
	}
	print_settings(&s, pw->pw_uid);
	nsiso_conf_free(&conf);
	free(groups);
	return ret;
}
