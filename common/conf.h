/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsiso.conf: "<domain> <item> <value>" lines, resolved per user by
 * precedence.  Parsing never touches the system beyond reading the files. */
#ifndef NSISO_CONF_H
#define NSISO_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "size.h"

#define NSISO_CONF_DEFAULT "/etc/security/nsiso.conf"
#define NSISO_CONF_DIR_DEFAULT "/etc/security/nsiso.d"
#define NSISO_CGROUP_PARENT_DEFAULT "nsiso"
#define NSISO_CONF_MAX_BYTES ((size_t)1 << 20)
#define NSISO_VALUE_MAX 256

/* The smallest memory limit: the helper refuses a session when less than
 * NSISO_MEMORY_HEADROOM (4M, common/cgroup.h) of the user's limit is free,
 * so a smaller limit would refuse every login while the user's group
 * exists.  Checked when parsing (a size) and resolving (a percentage of
 * this machine's RAM). */
#define NSISO_MEMORY_MIN (16ULL << 20)

/* The one check of that minimum, for the conf parser and for the helper's
 * --memory alike: NULL, or the reason a limit of `bytes` is too small. */
const char *nsiso_memory_min_check(uint64_t bytes);

/* Namespaces, as bits of the "isolate" item. */
enum {
	NSISO_NS_UTS = 1 << 0,
	NSISO_NS_IPC = 1 << 1,
	NSISO_NS_MNT = 1 << 2,
	NSISO_NS_PID = 1 << 3,
	NSISO_NS_NET = 1 << 4,
	NSISO_NS_CGROUP = 1 << 5,
};

enum nsiso_item {
	NSISO_ITEM_ISOLATE,
	NSISO_ITEM_MEMORY,
	NSISO_ITEM_SWAP,
	NSISO_ITEM_TASKS,
	NSISO_ITEM_MEMORY_HIGH,
	NSISO_ITEM_CPU,
	NSISO_ITEM_CPU_WEIGHT,
	NSISO_ITEM_IO_WEIGHT,
	NSISO_ITEM_HOSTNAME,
	NSISO_ITEM_ON_LOGOUT,
	NSISO_ITEM_PRIVATE_TMP,
	NSISO_ITEM_PROPAGATION,
	NSISO_ITEM_ON_ERROR,
	NSISO_ITEM_EXEMPT,
	NSISO_ITEM_CGROUP_PARENT,
	NSISO_ITEM_CGROUP_MODE,
	NSISO_ITEM_COUNT
};

enum nsiso_on_logout { NSISO_LOGOUT_KILL, NSISO_LOGOUT_KEEP };
/* yes: the user's own /tmp and /var/tmp, removed after the last session;
 * keep: the same, never removed. */
enum nsiso_private_tmp { NSISO_PRIVATE_TMP_NO, NSISO_PRIVATE_TMP_YES, NSISO_PRIVATE_TMP_KEEP };
enum nsiso_propagation { NSISO_PROPAGATION_SLAVE, NSISO_PROPAGATION_PRIVATE };
enum nsiso_on_error { NSISO_ON_ERROR_DENY, NSISO_ON_ERROR_ALLOW };
/* own: limits on nsiso's own <cgroup_parent>/user-<uid>; systemd: limits on
 * the user-<uid>.slice that pam_systemd put the session in. */
/* auto: systemd where PID 1 is systemd (nsiso_cgroup_mode_effective). */
enum nsiso_cgroup_mode { NSISO_CGROUP_MODE_OWN, NSISO_CGROUP_MODE_SYSTEMD, NSISO_CGROUP_MODE_AUTO };

/* Domains, in rising order of precedence. */
enum nsiso_domain_kind {
	NSISO_DOMAIN_ALL,
	NSISO_DOMAIN_GROUP,
	NSISO_DOMAIN_RANGE,
	NSISO_DOMAIN_USER,
};

/* One item's value, parsed; which member is used depends on the item. */
union nsiso_value {
	unsigned isolate;
	struct nsiso_limit limit;
	int choice;		/* on_logout, private_tmp, propagation,
				 * on_error, exempt, cgroup_mode */
	char text[NSISO_VALUE_MAX]; /* hostname template, cgroup_parent */
};

struct nsiso_rule {
	enum nsiso_domain_kind domain;
	char name[NSISO_VALUE_MAX];	/* user or group name */
	uid_t uid_min, uid_max;		/* uid range, inclusive */
	enum nsiso_item item;
	union nsiso_value value;
	char written[NSISO_VALUE_MAX];	/* the value as written */
	const char *file;		/* points into nsiso_conf.files */
	unsigned line;
};

struct nsiso_conf {
	struct nsiso_rule *rules;
	size_t n_rules, cap_rules;
	char **files;			/* every file read, for origins */
	size_t n_files;
	char **errors;			/* "file:line: reason", in order; an
					 * entry is NULL when its text could
					 * not be allocated */
	size_t n_errors;
	size_t n_errors_lost;		/* errors not even stored (no memory) */
};

/* Where an effective value came from: file NULL means the default. */
struct nsiso_origin {
	const char *file;
	unsigned line;
};

/* The decision for one user: a plain struct, handed on and never reparsed. */
struct nsiso_settings {
	bool matched;			/* some rule applied to this user */
	unsigned isolate;
	struct nsiso_limit memory, swap, tasks;
	struct nsiso_limit memory_high, cpu, cpu_weight, io_weight;
	char hostname_template[NSISO_VALUE_MAX];
	char hostname[NSISO_VALUE_MAX];	/* expanded; "" = keep the host's */
	enum nsiso_on_logout on_logout;
	enum nsiso_private_tmp private_tmp;
	enum nsiso_propagation propagation;
	enum nsiso_on_error on_error;
	bool exempt;
	char cgroup_parent[NSISO_VALUE_MAX];
	enum nsiso_cgroup_mode cgroup_mode;
	struct nsiso_origin origin[NSISO_ITEM_COUNT];
	const char *written[NSISO_ITEM_COUNT];	/* as written, or NULL */
};

/* The user a decision is for. */
struct nsiso_user {
	const char *name;
	uid_t uid;
	const gid_t *groups;	/* all of the user's groups, primary included */
	size_t n_groups;
};

/* Read the default conf plus the *.conf files of conf_dir in C-locale order (conf_dir may
 * be NULL).  A file that is missing is skipped when missing_ok; every other
 * problem is recorded in conf->errors.  Returns the number of errors. */
size_t nsiso_conf_load(struct nsiso_conf *conf, const char *path,
		       const char *conf_dir, bool missing_ok);

/* Parse one buffer as if it were file "name" (used by load and tests). */
void nsiso_conf_parse_buffer(struct nsiso_conf *conf, const char *name,
			     const char *data, size_t len);

/* Resolve the settings for a user.  A user who is left alone (no rule, exempt,
 * or isolate none without a limit) gets NULL before any value is worked out
 * for them.  Otherwise NULL, or a reason the rules cannot be applied to this
 * user (the host name template gives an invalid name, a percentage memory
 * limit comes out below NSISO_MEMORY_MIN on this machine, memory_high is not
 * below memory); the origin of that
 * reason is written to *bad_origin when non-NULL.  Callers let root through
 * unisolated on such a reason, as on a broken conf. */
const char *nsiso_conf_resolve(const struct nsiso_conf *conf,
			       const struct nsiso_user *user,
			       struct nsiso_settings *out,
			       struct nsiso_origin *bad_origin);

/* True when the settings ask for anything at all. */
bool nsiso_settings_active(const struct nsiso_settings *settings);

/* True when they set a limit: memory, swap, tasks, memory_high, cpu,
 * cpu_weight or io_weight (so a cgroup is used). */
bool nsiso_settings_has_limits(const struct nsiso_settings *settings);

/* True when a rule names a group (@group): only then must the user's
 * groups be listed, which costs an NSS lookup of every group source (about
 * 1 ms per login where nss_systemd is asked). */
bool nsiso_conf_names_groups(const struct nsiso_conf *conf);

/* All groups of a user (primary included), for struct nsiso_user, in a
 * malloc'ed array the caller frees.  Count, or -1. */
int nsiso_user_groups(const char *name, gid_t gid, gid_t **groups);

void nsiso_conf_free(struct nsiso_conf *conf);

/* Total number of errors, stored or not. */
size_t nsiso_conf_error_count(const struct nsiso_conf *conf);

/* Text of error i, never NULL. */
const char *nsiso_conf_error(const struct nsiso_conf *conf, size_t i);

const char *nsiso_item_name(enum nsiso_item item);

/* "no", "yes" or "keep". */
const char *nsiso_private_tmp_name(enum nsiso_private_tmp value);

/* "uts,ipc,mnt,pid" for a bit set; "none" for 0. */
void nsiso_isolate_format(unsigned isolate, char *buf, size_t len);

/* Parse an isolate list; NULL or a reason. */
const char *nsiso_isolate_parse(const char *text, unsigned *out);

/* Check a cgroup_parent value: a relative path of safe names. */
const char *nsiso_cgroup_parent_check(const char *text);

#endif
