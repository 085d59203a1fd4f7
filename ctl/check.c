/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsisoctl check / explain: exactly the module's parser and resolver. */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "../common/cgroup.h"
#include "../common/conf.h"
#include "../common/size.h"
#include "../common/systemd.h"
#include "../common/textfile.h"
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

/* ---- the rules against the accounts that exist ----------------------- */

/* One rule that fails for some accounts, with one outcome. */
struct refusal {
	const char *file;		/* into the conf */
	unsigned line;
	const char *why;		/* static, from the resolver */
	const char *outcome;		/* static */
	size_t n_users;
	char names[512];		/* the first few, "name (uid), ..." */
};

#define NAMES_SHOWN 8

struct refusals {
	struct refusal *list;
	size_t n;
	bool private_tmp;	/* some account gets a private /tmp */
	size_t slice_tmp;	/* accounts with a memory limit on a systemd
				 * slice and the host's /tmp */
	char slice_tmp_first[64];
	bool memory_limit;	/* some account gets a memory limit */
	bool active;		/* some account is isolated or limited */
};

static const struct nsiso_rule *rule_at(const struct nsiso_conf *conf, const char *file,
					unsigned line)
{
	size_t i;

	for (i = 0; file && i < conf->n_rules; i++)
		if (conf->rules[i].file == file && conf->rules[i].line == line)
			return &conf->rules[i];
	return NULL;
}

static int add_refusal(struct refusals *r, const struct nsiso_origin *where, const char *why,
		       const char *outcome, const struct passwd *pw)
{
	struct refusal *f = NULL;
	size_t i, used;

	for (i = 0; i < r->n; i++)
		if (r->list[i].file == where->file && r->list[i].line == where->line &&
		    r->list[i].why == why && r->list[i].outcome == outcome)
			f = &r->list[i];
	if (!f) {
		struct refusal *grown = realloc(r->list, (r->n + 1) * sizeof(*grown));

		if (!grown)
			return -1;
		r->list = grown;
		f = &r->list[r->n++];
		*f = (struct refusal){ where->file, where->line, why, outcome, 0, "" };
	}
	if (f->n_users++ < NAMES_SHOWN) {
		used = strlen(f->names);
		snprintf(f->names + used, sizeof(f->names) - used, "%s%s (uid %u)",
			 used ? ", " : "", pw->pw_name, (unsigned)pw->pw_uid);
	}
	return 0;
}

/* What the module does with a user whose rules cannot be applied. */
static const char *refusal_outcome(const struct passwd *pw, const struct nsiso_settings *s)
{
	if (pw->pw_uid == 0)
		return "root is let through unisolated";
	return s->on_error == NSISO_ON_ERROR_ALLOW
		       ? "logins allowed without isolation (on_error allow)"
		       : "logins denied (on_error deny)";
}

/* Root isolated with on_error deny: any failure to isolate (helper missing,
 * cgroup fs read-only) would refuse root's login. */
static void check_root(const struct nsiso_conf *conf, const struct passwd *pw,
		       const struct nsiso_settings *s, size_t *problems)
{
	enum nsiso_item item = s->isolate ? NSISO_ITEM_ISOLATE
			     : nsiso_limit_is_set(&s->memory) ? NSISO_ITEM_MEMORY
			     : nsiso_limit_is_set(&s->swap) ? NSISO_ITEM_SWAP
			     : nsiso_limit_is_set(&s->tasks) ? NSISO_ITEM_TASKS
			     : nsiso_limit_is_set(&s->memory_high) ? NSISO_ITEM_MEMORY_HIGH
			     : nsiso_limit_is_set(&s->cpu) ? NSISO_ITEM_CPU
			     : nsiso_limit_is_set(&s->cpu_weight) ? NSISO_ITEM_CPU_WEIGHT
			     : NSISO_ITEM_IO_WEIGHT;
	const struct nsiso_rule *rule = rule_at(conf, s->origin[item].file, s->origin[item].line);

	if (pw->pw_uid != 0 || !nsiso_settings_active(s) || s->on_error == NSISO_ON_ERROR_ALLOW)
		return;
	printf("%s:%u: %s '%s' applies to root with on_error deny: a failure to isolate "
	       "would lock root out (add 'root exempt yes')\n",
	       rule ? rule->file : "?", rule ? rule->line : 0, nsiso_item_name(item),
	       rule ? rule->written : "?");
	(*problems)++;
}

/* Whether a group below the root of the io (v2) or blkio (v1) hierarchy has
 * the file io_weight is written to (nsiso_cgroup_io_weight_file_in(), as
 * the helper looks; the root has none): 1 yes, 0 no, -1 cannot tell.  Looked at
 * once, in the first group below the root, or (as root) in one made for the
 * look and removed at once: a host without groups yet is a new one, where
 * an admin runs this first. */
static int host_has_io_weight(void)
{
	static int known = -2;
	struct nsiso_cgroup_dirs dirs;
	struct dirent *entry;
	char path[1024];
	DIR *dir;

	if (known != -2)
		return known;
	known = -1;
	if (nsiso_cgroup_mounts_of(&dirs) < 0 || !dirs.io[0] || !(dir = opendir(dirs.io)))
		return known;
	while (known == -1 && (entry = readdir(dir)) != NULL)
		if (entry->d_type == DT_DIR && entry->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dirs.io, entry->d_name);
			known = nsiso_cgroup_io_weight_file_in(path, dirs.version) != NULL;
		}
	closedir(dir);
	snprintf(path, sizeof(path), "%s/nsisoctl-check-%ld", dirs.io, (long)getpid());
	if (known == -1 && geteuid() == 0 && mkdir(path, 0700) == 0) {
		known = nsiso_cgroup_io_weight_file_in(path, dirs.version) != NULL;
		rmdir(path);
	}
	return known;
}

/* What this host cannot give an account that the conf gives it, so that
 * the module would fail its login as a fault of the host's (on_error
 * decides): a reason, with the item in *item, or NULL.  An admin learns it
 * here, not from users who cannot log in. */
static const char *host_cannot(const struct nsiso_settings *s, enum nsiso_item *item)
{
	/* Without /proc/cgroups to read (a chroot) there is nothing to tell. */
	if ((nsiso_limit_is_set(&s->cpu) || nsiso_limit_is_set(&s->cpu_weight)) &&
	    nsiso_cgroup_kernel_has("cpu") == 0) {
		*item = nsiso_limit_is_set(&s->cpu) ? NSISO_ITEM_CPU : NSISO_ITEM_CPU_WEIGHT;
		return "this kernel has no cpu cgroup controller";
	}
	if (nsiso_limit_is_set(&s->io_weight) &&
	    nsiso_cgroup_mode_effective(s->cgroup_mode, NULL) == NSISO_CGROUP_MODE_OWN &&
	    host_has_io_weight() == 0) {
		*item = NSISO_ITEM_IO_WEIGHT;
		return "this host's cgroups have no io.weight, blkio.weight or blkio.bfq.weight: "
		       "a kernel without blk-iocost, CFQ or BFQ group scheduling";
	}
	return NULL;
}

/* One account, as the module would decide at its login.  -1 only when out
 * of memory. */
static int check_account(const struct nsiso_conf *conf, const struct passwd *pw,
			 struct refusals *r, size_t *problems)
{
	struct nsiso_settings s;
	struct nsiso_origin where = { 0 };
	enum nsiso_item item;
	gid_t *groups = NULL;
	int n_groups = nsiso_user_groups(pw->pw_name, pw->pw_gid, &groups);
	const char *why;

	if (n_groups < 0) {
		printf("nsisoctl: cannot list the groups of %s: not checked\n", pw->pw_name);
		(*problems)++;
		return 0;
	}
	why = nsiso_conf_resolve(conf, &(struct nsiso_user){ pw->pw_name, pw->pw_uid, groups,
							     (size_t)n_groups }, &s, &where);
	free(groups);
	if (!why && nsiso_settings_active(&s) && (why = host_cannot(&s, &item)))
		where = s.origin[item];
	if (!why) {
		check_root(conf, pw, &s, problems);
		if (nsiso_settings_active(&s) && s.private_tmp != NSISO_PRIVATE_TMP_NO)
			r->private_tmp = true;
		if (nsiso_limit_is_set(&s.memory))
			r->memory_limit = true;
		if (nsiso_settings_active(&s))
			r->active = true;
		if (nsiso_limit_is_set(&s.memory) && s.private_tmp == NSISO_PRIVATE_TMP_NO &&
		    nsiso_cgroup_mode_effective(s.cgroup_mode, NULL) == NSISO_CGROUP_MODE_SYSTEMD &&
		    r->slice_tmp++ == 0)
			snprintf(r->slice_tmp_first, sizeof(r->slice_tmp_first), "%s", pw->pw_name);
		return 0;
	}
	return add_refusal(r, &where, why, refusal_outcome(pw, &s), pw);
}

/* The kernel's guards in sticky directories writable by all: a private
 * /tmp is one (root's, 1777) as the host's is, and where a guard is 0 root
 * code in a session (a PAM module after pam_nsiso, sudo) follows a user's
 * links, or opens their files and FIFOs, there as in the host's /tmp.  A
 * warning: the host's setting, which pam_nsiso does not change. */
static void warn_unguarded_tmp(void)
{
	static const char *const guards[] = { "protected_symlinks", "protected_regular",
					      "protected_fifos" };
	char path[64], value[16];
	size_t i;

	for (i = 0; i < sizeof(guards) / sizeof(guards[0]); i++) {
		snprintf(path, sizeof(path), "/proc/sys/fs/%s", guards[i]);
		if (nsiso_read_text(path, value, sizeof(value)) > 0 && strcmp(value, "0\n") == 0)
			printf("nsisoctl: warning: fs.%s is 0: in a private /tmp, as in the "
			       "host's, root code of a session does not get the kernel's guard "
			       "against a user's links and files (Debian sets it: "
			       "/usr/lib/sysctl.d/protect-links.conf)\n", guards[i]);
	}
}

/* With cgroup_mode systemd the limit is on the user's slice, which logind
 * stops at the last logout: what the user left in a tmpfs then stays
 * charged to the slice's dying group under user.slice, with no limit (an
 * attacker review of rev 10b2fe5: a limit's worth a login, on the
 * check-systemd VM).  Own mode keeps the user's group while it holds such
 * memory; a private /tmp goes at the last logout. */
static void warn_slice_tmp(const struct refusals *r)
{
	struct statfs st;

	if (r->slice_tmp == 0 || statfs("/tmp", &st) != 0 || st.f_type != TMPFS_MAGIC)
		return;
	printf("nsisoctl: warning: /tmp is a tmpfs, and %zu account%s (%s%s) get%s a memory "
	       "limit on a systemd slice without private_tmp: files left in /tmp stop counting "
	       "against it at the last logout, when logind stops the slice (private_tmp yes, "
	       "or cgroup_mode own, keeps them counted)\n",
	       r->slice_tmp, r->slice_tmp == 1 ? "" : "s", r->slice_tmp_first,
	       r->slice_tmp == 1 ? "" : ", ...", r->slice_tmp == 1 ? "s" : "");
}

/* XML comments out of text, in place. */
static void drop_comments(char *text)
{
	char *open, *close;

	while ((open = strstr(text, "<!--")) != NULL) {
		close = strstr(open + 4, "-->");
		if (!close) {
			*open = '\0';
			return;
		}
		memmove(open, close + 3, strlen(close + 3) + 1);
	}
}

/* Which of dbus-daemon's two queue limits a conf file of the host's sets
 * (bit 0 incoming, bit 1 outgoing), comments left out. */
static unsigned bus_limits_in(const char *path)
{
	char text[65536];

	if (nsiso_read_whole(path, text, sizeof(text)) <= 0)
		return 0;
	drop_comments(text);
	return (strstr(text, "<limit name=\"max_incoming_bytes\">") ? 1U : 0U) |
	       (strstr(text, "<limit name=\"max_outgoing_bytes\">") ? 2U : 0U);
}

static bool bus_limits_set(void)
{
	struct dirent *e;
	char path[512];
	unsigned set = bus_limits_in("/etc/dbus-1/system-local.conf");
	DIR *d = opendir("/etc/dbus-1/system.d");

	while (set != 3 && d && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		if (n > 5 && strcmp(e->d_name + n - 5, ".conf") == 0) {
			snprintf(path, sizeof(path), "/etc/dbus-1/system.d/%s", e->d_name);
			set |= bus_limits_in(path);
		}
	}
	if (d)
		closedir(d);
	return set == 3;
}

/* The real and effective uid of process pid, from the "Uid:" line of
 * /proc/PID/status, which the kernel writes from the task's credentials.
 * Not the owner of /proc/PID, which is the effective uid (root's for a
 * user's setuid program) or root's for some processes that are not
 * dumpable.  -1 if gone or unreadable. */
static int process_uids(const char *pid, uid_t *real, uid_t *effective)
{
	char path[300], text[1024];

	/* Only its start: the uids come before the groups, which may be
	 * thousands. */
	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	if (nsiso_read_text(path, text, sizeof(text)) <= 0)
		return -1;
	return nsiso_status_uids(text, real, effective);
}

/* Process pid runs a file named dbus-daemon: the kernel's path of its
 * executable, " (deleted)" once an upgrade replaced the file under a daemon
 * that kept running. */
static bool runs_dbus_daemon(const char *pid)
{
	char path[300], exe[4096];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%s/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0 || n == (ssize_t)sizeof(exe) - 1)
		return false;
	exe[n] = '\0';
	base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	return strcmp(base, "dbus-daemon") == 0 || strcmp(base, "dbus-daemon (deleted)") == 0;
}

/* Process pid (a /proc entry's name) is a dbus-daemon serving the system
 * bus: bus_uid's in its real and effective uid (messagebus, or root where
 * there is no such account: a user can run a dbus-daemon too, as
 * themselves), running a file named dbus-daemon.  Only what the kernel
 * answers without touching the process's memory: a read of
 * /proc/PID/cmdline waits for the process's mmap lock, which a user can
 * keep from every reader for as long as they like (a thread of theirs
 * faulting on a page of a FUSE file whose server does not answer, another
 * waiting to take the lock exclusive), also in a process of theirs that
 * exec'd a setuid program.  The status file is written from the task's
 * credentials and the exe link from the path the kernel keeps of the file
 * (no file-system I/O, no mmap lock since Linux 4.1). */
static bool is_system_dbus_daemon(const char *pid, uid_t bus_uid)
{
	uid_t real, effective;

	return process_uids(pid, &real, &effective) == 0 && real == bus_uid &&
	       effective == bus_uid && runs_dbus_daemon(pid);
}

/* A dbus-daemon serves the system bus (dbus-broker, which counts by user,
 * is another program). */
static bool system_dbus_daemon_runs(void)
{
	const struct passwd *bus = getpwnam("messagebus");
	uid_t bus_uid = bus ? bus->pw_uid : 0;
	struct dirent *e;
	bool found = false;
	DIR *d = opendir("/proc");

	while (!found && d && (e = readdir(d)) != NULL)
		found = e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
			is_system_dbus_daemon(e->d_name, bus_uid);
	if (d)
		closedir(d);
	return found;
}

/* The system bus's dbus-daemon queues what a connection that does not read
 * is sent, up to max_outgoing_bytes (127 MiB built in) a connection and
 * max_connections_per_user (256): its own memory, which no limit of the
 * user's counts (an attacker review of d5e0d91 on the check-systemd VM: a
 * 160M user had it hold 457 MB with 4 connections, and ran the VM out of
 * memory with 14).  A warning where one serves the system bus and no conf
 * of the host's sets both queue limits. */
static void warn_bus_limits(const struct refusals *r)
{
	if (!r->memory_limit || !system_dbus_daemon_runs() || bus_limits_set())
		return;
	printf("nsisoctl: warning: the system bus's dbus-daemon has its built-in limits: a user "
	       "can make it hold up to 127 MiB a connection, 256 connections, of memory none of "
	       "their limits counts; set max_incoming_bytes, max_outgoing_bytes and "
	       "max_connections_per_user in /etc/dbus-1/system-local.conf (README: Known limits)\n");
}

/* Resolve the conf for every account that getpwent lists, as the module
 * would at each one's login, and print each rule that fails for some of
 * them.  The number of problems. */
static size_t check_accounts(const struct nsiso_conf *conf, const char *pam_dir)
{
	struct refusals r = { 0 };
	struct passwd entry = { 0 }, *pw = NULL;
	size_t i, problems = 0, buf_len = 16384;
	char *buf = malloc(buf_len), *grown;
	int err = 0;

	if (!buf) {
		printf("nsisoctl: out of memory\n");
		return 1;
	}
	setpwent();
	for (;;) {
		err = getpwent_r(&entry, buf, buf_len, &pw);
		if (err == ERANGE && buf_len < (1U << 24) && (grown = realloc(buf, buf_len * 2))) {
			buf = grown;
			buf_len *= 2;
			continue;
		}
		if (err != 0 || !pw)
			break;
		if (check_account(conf, pw, &r, &problems) < 0) {
			printf("nsisoctl: out of memory\n");
			problems++;
			break;
		}
	}
	endpwent();
	free(buf);
	if (err != 0 && err != ENOENT) {
		printf("nsisoctl: cannot list the accounts: %s\n", strerror(err));
		problems++;
	}
	for (i = 0; i < r.n; i++) {
		const struct refusal *f = &r.list[i];
		const struct nsiso_rule *rule = rule_at(conf, f->file, f->line);
		char more[48] = "";

		if (f->n_users > NAMES_SHOWN)
			snprintf(more, sizeof(more), " and %zu more", f->n_users - NAMES_SHOWN);
		printf("%s:%u: %s '%s' cannot be applied to %zu account%s (%s): %s%s; %s\n",
		       f->file ? f->file : "?", f->line, rule ? nsiso_item_name(rule->item) : "?",
		       rule ? rule->written : "?", f->n_users, f->n_users == 1 ? "" : "s", f->why,
		       f->names, more, f->outcome);
		problems++;
	}
	free(r.list);
	if (r.private_tmp)
		warn_unguarded_tmp();
	warn_slice_tmp(&r);
	warn_bus_limits(&r);
	if (r.active) {
		ctl_warn_pam_doors(pam_dir);
		ctl_warn_mail_doors();
	}
	return problems;
}

/* The conf's errors, else its accounts' problems and the host's doors
 * (pam_dir: where the PAM services are; NULL, only where there are errors). */
static int report(struct nsiso_conf *conf, const char *what, const char *pam_dir)
{
	size_t i, n = nsiso_conf_error_count(conf), problems = 0;

	for (i = 0; i < n; i++)
		printf("%s\n", nsiso_conf_error(conf, i));
	if (n == 0)
		problems = check_accounts(conf, pam_dir);
	warn_unknown_names(conf);
	if (n == 0)
		printf("%s: parsed OK (%zu rule%s in %zu file%s)%s\n", what, conf->n_rules,
		       conf->n_rules == 1 ? "" : "s", conf->n_files, conf->n_files == 1 ? "" : "s",
		       problems ? ", but not every account can log in as it says" : "");
	return n || problems ? CTL_PROBLEM : CTL_OK;
}

int ctl_check(int n_files, char **files, const struct ctl_options *options)
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
			ret = report(&conf, NSISO_CONF_DEFAULT, options->pam_dir);
		nsiso_conf_free(&conf);
		return ret;
	}
	for (i = 0; i < n_files; i++) {
		memset(&conf, 0, sizeof(conf));
		nsiso_conf_load(&conf, files[i], NULL, false);
		if (report(&conf, files[i], options->pam_dir) != CTL_OK)
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

/* memory_high, and on cgroup v1 the note that it does nothing there: v1
 * has no memory.high (and systemd ignores MemoryHigh on it). */
static void print_memory_high(const struct nsiso_settings *s)
{
	char value[128];

	limit_text(&s->memory_high, value, sizeof(value));
	print_item(s, NSISO_ITEM_MEMORY_HIGH, value);
	if (nsiso_limit_is_set(&s->memory_high) &&
	    nsiso_cgroup_detect_version() == NSISO_CGROUP_V1)
		printf("  %-13s %s\n", "", "no effect on cgroup v1, which has no memory.high");
}

static void cpu_text(const struct nsiso_limit *l, char *buf, size_t len)
{
	if (nsiso_limit_is_set(l))
		snprintf(buf, len, "%llu%% of one CPU", (unsigned long long)l->value);
	else
		snprintf(buf, len, "unlimited");
}

/* An unset weight is everyone's default, 100. */
static void weight_text(const struct nsiso_limit *l, char *buf, size_t len)
{
	snprintf(buf, len, "%llu",
		 (unsigned long long)(nsiso_limit_is_set(l) ? l->value : NSISO_WEIGHT_DEFAULT));
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
	char value[512], cgroup[600], mode_text[128];
	enum nsiso_cgroup_mode mode;
	const char *why;

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
	print_memory_high(s);
	cpu_text(&s->cpu, value, sizeof(value));
	print_item(s, NSISO_ITEM_CPU, value);
	weight_text(&s->cpu_weight, value, sizeof(value));
	print_item(s, NSISO_ITEM_CPU_WEIGHT, value);
	weight_text(&s->io_weight, value, sizeof(value));
	print_item(s, NSISO_ITEM_IO_WEIGHT, value);
	if (!(s->isolate & NSISO_NS_UTS))
		snprintf(value, sizeof(value), "the host's (no uts namespace)");
	else if (s->hostname_template[0] && !nsiso_settings_active(s))
		snprintf(value, sizeof(value), "not used (left alone)");
	else if (s->hostname_template[0] && !s->hostname[0])
		snprintf(value, sizeof(value), "invalid for this user");
	else
		snprintf(value, sizeof(value), "%s", s->hostname[0] ? s->hostname : "the host's");
	print_item(s, NSISO_ITEM_HOSTNAME, value);
	print_item(s, NSISO_ITEM_ON_LOGOUT, s->on_logout == NSISO_LOGOUT_KEEP ? "keep" : "kill");
	print_item(s, NSISO_ITEM_PROPAGATION,
		   s->propagation == NSISO_PROPAGATION_PRIVATE ? "private" : "slave");
	print_item(s, NSISO_ITEM_PRIVATE_TMP, nsiso_private_tmp_name(s->private_tmp));
	print_item(s, NSISO_ITEM_ON_ERROR, s->on_error == NSISO_ON_ERROR_ALLOW ? "allow" : "deny");
	print_item(s, NSISO_ITEM_EXEMPT, s->exempt ? "yes" : "no");
	mode = nsiso_cgroup_mode_effective(s->cgroup_mode, &why);
	if (mode == NSISO_CGROUP_MODE_SYSTEMD)
		snprintf(cgroup, sizeof(cgroup), "user-%u.slice (systemd's)", (unsigned)uid);
	else
		nsiso_cgroup_user_path(s->cgroup_parent, uid, cgroup, sizeof(cgroup));
	print_item(s, NSISO_ITEM_CGROUP_PARENT, cgroup);
	snprintf(mode_text, sizeof(mode_text), "%s%s",
		 mode == NSISO_CGROUP_MODE_SYSTEMD ? "systemd" : "own",
		 s->cgroup_mode == NSISO_CGROUP_MODE_AUTO ? " (auto)" : "");
	print_item(s, NSISO_ITEM_CGROUP_MODE, mode_text);
	if (s->cgroup_mode == NSISO_CGROUP_MODE_AUTO)
		printf("  %-13s %s\n", "", why);
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
		report(&conf, "", NULL);
		printf("every session the module applies to, except root's, is denied until "
		       "this is fixed\n");
		nsiso_conf_free(&conf);
		free(groups);
		return CTL_PROBLEM;
	}
	why = nsiso_conf_resolve(&conf, &(struct nsiso_user){ pw->pw_name, pw->pw_uid, groups,
							       (size_t)n_groups }, &s, &where);
	printf("user %s (uid %u)\n", pw->pw_name, (unsigned)pw->pw_uid);
	if (why && pw->pw_uid == 0) {
		printf("error: %s:%u: %s\n", where.file ? where.file : "?", where.line, why);
		printf("decision: left alone: the rules cannot be applied to root, whose session "
		       "is let through unisolated (PAM_IGNORE)\n");
		ret = CTL_PROBLEM;
	} else if (why) {
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
