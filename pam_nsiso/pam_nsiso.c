/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* pam_nsiso: PAM glue only.  Read the conf, decide, ask nsiso-helper for a
 * session, join its namespaces; at close, leave them and tell the holder.
 *
 * Open:  conf -> decision (struct nsiso_settings) -> helper -> holder pidfd
 *        -> save our own namespaces -> setns(holder pidfd) -> pam_set_data
 * Close: setns back to the saved namespaces -> signal the holder -> return.
 *        Never wait for the holder: as PID 1 it cannot finish dying until
 *        sshd reaps its own child in the namespace, and sshd is us. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <security/pam_modutil.h>

#include "../common/cgroup.h"
#include "../common/conf.h"
#include "../common/proto.h"
#include "../common/record.h"
#include "../common/request.h"
#include "../common/size.h"
#include "../common/systemd.h"
#include "../common/systemd_bus.h"
#include "../common/textfile.h"
#include "spawn.h"

#define DATA_NAME "pam_nsiso_session"

struct module_args {
	const char *conf;	/* NULL = default conf + nsiso.d */
	const char *helper;
	const char *broker;	/* its socket (helper/broker.h) */
	const char *run_dir;
	bool debug;
};

/* Namespaces we save and restore, in the order we restore them. */
static const struct {
	const char *name;
	unsigned bit;
	int type;
} ns_kinds[] = {
	{ "mnt", NSISO_NS_MNT, CLONE_NEWNS },
	{ "uts", NSISO_NS_UTS, CLONE_NEWUTS },
	{ "ipc", NSISO_NS_IPC, CLONE_NEWIPC },
	{ "net", NSISO_NS_NET, CLONE_NEWNET },
	{ "cgroup", NSISO_NS_CGROUP, CLONE_NEWCGROUP },
	{ "pid", NSISO_NS_PID, CLONE_NEWPID },
};
#define N_NS_KINDS (sizeof(ns_kinds) / sizeof(ns_kinds[0]))

/* What open hands to close. */
struct session {
	char id[NSISO_SESSION_ID_LEN + 1];
	char cgroup_parent[NSISO_VALUE_MAX];	/* "" = no cgroup */
	uid_t uid;
	unsigned isolate;
	int holder_pidfd;
	pid_t holder_pid;
	pid_t caller;			/* the process that opened it: the
					 * application the holder watches */
	bool via_broker;		/* the broker set it up, not an exec'd helper */
	/* the user's memory group, as the helper opened it for us, for the
	 * close line; "" = none (it then looks in the mount table) */
	char memory_dir[512];
	int saved_ns[N_NS_KINDS];	/* our own namespaces, -1 if not saved */
	char saved_cwd[PATH_MAX];	/* a path, not an fd: a directory fd of
					 * the host would reach sshd's user child */
};

static void parse_args(pam_handle_t *pamh, int argc, const char **argv,
		       struct module_args *args)
{
	int i;

	*args = (struct module_args){ .helper = NSISO_HELPER_PATH, .broker = NSISO_BROKER_SOCKET,
				      .run_dir = NSISO_RUN_DIR_DEFAULT };
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "conf=", 5) == 0)
			args->conf = argv[i] + 5;
		else if (strncmp(argv[i], "helper=", 7) == 0)
			args->helper = argv[i] + 7;
		else if (strncmp(argv[i], "broker=", 7) == 0)
			args->broker = argv[i] + 7;
		else if (strncmp(argv[i], "run_dir=", 8) == 0)
			args->run_dir = argv[i] + 8;
		else if (strcmp(argv[i], "debug") == 0)
			args->debug = true;
		else
			pam_syslog(pamh, LOG_ERR, "unknown module argument: %s", argv[i]);
	}
}

/* ---- deciding --------------------------------------------------------- */

static int load_conf(pam_handle_t *pamh, const struct module_args *args,
		     struct nsiso_conf *conf)
{
	size_t i, n;

	memset(conf, 0, sizeof(*conf));
	if (args->conf)
		n = nsiso_conf_load(conf, args->conf, NULL, false);
	else
		n = nsiso_conf_load(conf, NSISO_CONF_DEFAULT, NSISO_CONF_DIR_DEFAULT, true);
	/* A corrupt conf is LOG_ALERT in the Linux-PAM guide's terms: the
	 * admin must hear of it, and nobody gets an unintended session. */
	for (i = 0; i < n; i++)
		pam_syslog(pamh, LOG_ALERT, "%s", nsiso_conf_error(conf, i));
	return n ? -1 : 0;
}

/* One log line for a session that cannot be isolated, and the code it gets.
 * on_error allow lets the login go on without isolation only for a fault of
 * the host (enum nsiso_failure): anything a user could bring about - their
 * rlimits, their load, their used-up limits - denies, or allow would be a
 * switch in the user's hands. */
static int failed(pam_handle_t *pamh, const struct nsiso_settings *s, enum nsiso_failure kind,
		  const char *user, const char *what)
{
	int priority = kind == NSISO_FAIL_CRIT ? LOG_CRIT : LOG_ERR;
	const char *outcome = "login denied (on_error deny)";

	if (s->on_error == NSISO_ON_ERROR_ALLOW && kind == NSISO_FAIL_HOST)
		outcome = "login allowed without isolation (on_error allow)";
	else if (s->on_error == NSISO_ON_ERROR_ALLOW)
		outcome = "login denied (on_error allow covers only faults of the host)";
	pam_syslog(pamh, priority, "cannot isolate session of %s: %s; %s", user, what, outcome);
	return outcome[6] == 'a' ? PAM_SUCCESS : PAM_SESSION_ERR;
}

/* The conf cannot give this user a session (a host name template that does
 * not fit their name): the admin's doing, at LOG_ALERT; on_error applies. */
static int failed_conf(pam_handle_t *pamh, const struct nsiso_settings *s, const char *user,
		       const char *what)
{
	bool allow = s->on_error == NSISO_ON_ERROR_ALLOW;

	pam_syslog(pamh, LOG_ALERT, "cannot isolate session of %s: %s; login %s (on_error %s)",
		   user, what, allow ? "allowed without isolation" : "denied",
		   allow ? "allow" : "deny");
	return allow ? PAM_SUCCESS : PAM_SESSION_ERR;
}

/* decide(): the session is allowed without isolation (on_error allow). */
#define DECIDED_ALLOW (-1)

/* PAM_SUCCESS with *settings filled, or the code to return at once. */
static int decide(pam_handle_t *pamh, const struct module_args *args,
		  const struct passwd *pw, struct nsiso_settings *settings)
{
	struct nsiso_conf conf;
	struct nsiso_origin where = { 0 };
	struct nsiso_user user;
	gid_t *groups = NULL;
	const char *why;
	int n_groups = 0, ret = PAM_SUCCESS;

	if (load_conf(pamh, args, &conf) < 0) {
		nsiso_conf_free(&conf);
		/* A broken conf denies every session it could apply to, except
		 * root's: the admin must always be able to log in and fix it. */
		if (pw->pw_uid == 0) {
			pam_syslog(pamh, LOG_ALERT, "configuration broken: root's session "
				   "is let through, not isolated");
			return PAM_IGNORE;
		}
		return PAM_SESSION_ERR;
	}
	/* Listed only for a conf that asks: a failing group source then
	 * denies as before, and a conf without @group lines never waits on
	 * one. */
	if (nsiso_conf_names_groups(&conf))
		n_groups = nsiso_user_groups(pw->pw_name, pw->pw_gid, &groups);
	if (n_groups < 0) {
		pam_syslog(pamh, LOG_ERR, "cannot list the groups of %s", pw->pw_name);
		free(groups);
		nsiso_conf_free(&conf);
		return PAM_SESSION_ERR;
	}
	user = (struct nsiso_user){ pw->pw_name, pw->pw_uid, groups, (size_t)n_groups };
	why = nsiso_conf_resolve(&conf, &user, settings, &where);
	if (why && pw->pw_uid == 0) {
		/* As with a broken conf: rules that cannot be applied to root
		 * never lock root out. */
		pam_syslog(pamh, LOG_ALERT, "%s:%u: %s (for root); root's session is let "
			   "through, not isolated", where.file ? where.file : "?", where.line, why);
		ret = PAM_IGNORE;
	} else if (why) {
		char what[600];

		snprintf(what, sizeof(what), "%s:%u: %s", where.file ? where.file : "?",
			 where.line, why);
		ret = failed_conf(pamh, settings, pw->pw_name, what);
		if (ret == PAM_SUCCESS)
			ret = DECIDED_ALLOW;
	} else if (!nsiso_settings_active(settings)) {
		if (args->debug)
			pam_syslog(pamh, LOG_DEBUG, "user %s: %s, nothing to do", pw->pw_name,
				   !settings->matched ? "no rule" :
				   settings->exempt ? "exempt" : "isolate none and no limit");
		ret = PAM_IGNORE;
	}
	free(groups);
	nsiso_conf_free(&conf);
	return ret;
}

/* ---- root for the module's work --------------------------------------- */

/* A caller that is root only in its real or saved uid: atd opens a job's
 * session as daemon with saved uid 0.  The module's work (the helper, the
 * cgroup writes, setns, systemd's bus) needs an effective root, so it is
 * taken for that work and the caller's effective uid put back after it.
 * Only a process that holds root already can do this: nothing is gained
 * that the caller did not have. */
struct caller_euid {
	uid_t euid;
	bool raised;
};

static int raise_euid(struct caller_euid *c)
{
	uid_t r, e, s;

	c->raised = false;
	if (getresuid(&r, &e, &s) != 0)
		return -1;
	c->euid = e;
	if (e == 0)
		return 0;
	if ((r != 0 && s != 0) || setresuid(-1, 0, -1) != 0) {
		errno = EPERM;
		return -1;
	}
	c->raised = true;
	return 0;
}

static int restore_euid(pam_handle_t *pamh, const struct caller_euid *c)
{
	if (!c->raised || setresuid(-1, c->euid, -1) == 0)
		return 0;
	pam_syslog(pamh, LOG_CRIT, "cannot give the caller back its effective uid %u: %m",
		   (unsigned)c->euid);
	return -1;
}

/* ---- the helper ------------------------------------------------------- */

static void new_session_id(char *id)
{
	unsigned char bytes[NSISO_SESSION_ID_LEN / 2];
	size_t i;

	/* Only a label for logs and records, never a secret; a short read
	 * leaves zeros, which is still a valid id. */
	memset(bytes, 0, sizeof(bytes));
	if (getrandom(bytes, sizeof(bytes), 0) < 0)
		memcpy(bytes, &(pid_t){ getpid() }, sizeof(pid_t));
	for (i = 0; i < sizeof(bytes); i++)
		snprintf(id + 2 * i, 3, "%02x", bytes[i]);
}

/* The item's text, "" when unset (the helper records it). */
static const char *item_text(pam_handle_t *pamh, int item)
{
	const void *value = NULL;

	if (pam_get_item(pamh, item, &value) != PAM_SUCCESS || !value)
		return "";
	return value;
}

/* The decision as the helper's request (common/request.h).  systemd_unit:
 * "" for nsiso's own cgroup, else the user's slice.  PAM_SERVICE, PAM_TTY
 * and PAM_RHOST go into the session record (the helper sanitises them; a
 * remote host name is whatever the client made it). */
static void build_request(struct nsiso_request *r, pam_handle_t *pamh,
			  const struct module_args *args, const struct passwd *pw,
			  const struct nsiso_settings *s, const struct session *ses,
			  const char *systemd_unit)
{
	nsiso_request_init(r);
	r->user = pw->pw_name;
	r->uid = pw->pw_uid;
	r->caller = ses->caller;
	r->session = ses->id;
	r->run_dir = args->run_dir;
	r->service = item_text(pamh, PAM_SERVICE);
	r->tty = item_text(pamh, PAM_TTY);
	r->rhost = item_text(pamh, PAM_RHOST);
	r->isolate = s->isolate;
	r->propagation_private = s->propagation == NSISO_PROPAGATION_PRIVATE;
	r->keep_on_logout = s->on_logout == NSISO_LOGOUT_KEEP;
	r->private_tmp = s->private_tmp;
	r->hostname = s->hostname;
	r->use_cgroup = nsiso_settings_has_limits(s);
	r->limits = NSISO_CGROUP_LIMITS_NONE;
	r->limits.memory = nsiso_limit_bytes(&s->memory);
	r->limits.swap = nsiso_limit_bytes(&s->swap);
	r->limits.tasks = nsiso_limit_bytes(&s->tasks);
	r->limits.memory_high = nsiso_limit_bytes(&s->memory_high);
	r->limits.cpu = nsiso_limit_bytes(&s->cpu);
	r->limits.cpu_weight = nsiso_limit_bytes(&s->cpu_weight);
	r->limits.io_weight = nsiso_limit_bytes(&s->io_weight);
	r->cgroup_parent = s->cgroup_parent;
	r->systemd_unit = systemd_unit[0] ? systemd_unit : NULL;
	r->debug = args->debug;
}

/* ---- namespaces ------------------------------------------------------- */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void session_free(struct session *s)
{
	size_t i;

	for (i = 0; i < N_NS_KINDS; i++)
		close_fd(&s->saved_ns[i]);
	close_fd(&s->holder_pidfd);
	free(s);
}

/* pam_end: only release what we hold.  It may run in sshd's user child,
 * which must not end the session that it is part of. */
static void session_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh;
	(void)error_status;
	session_free(data);
}

/* Open our own namespace files before leaving them: the way back. */
static int save_namespaces(struct session *s)
{
	char path[32];
	size_t i;

	for (i = 0; i < N_NS_KINDS; i++) {
		if (!(s->isolate & ns_kinds[i].bit))
			continue;
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_kinds[i].name);
		s->saved_ns[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (s->saved_ns[i] < 0)
			return -1;
	}
	if (!getcwd(s->saved_cwd, sizeof(s->saved_cwd)))
		strcpy(s->saved_cwd, "/");
	return 0;
}

static int join_namespaces(const struct session *s)
{
	int flags = 0;
	size_t i;

	for (i = 0; i < N_NS_KINDS; i++)
		if (s->isolate & ns_kinds[i].bit)
			flags |= ns_kinds[i].type;
	/* One call, all or nothing (setns(2) with a pidfd).  The PID namespace
	 * applies to our children only: the user's shell. */
	return setns(s->holder_pidfd, flags);
}

/* Back to where we were.  Must come before the holder is told to end: a
 * dying PID namespace refuses new processes, and the modules after us in
 * the stack still need to fork. */
static int restore_namespaces(pam_handle_t *pamh, struct session *s)
{
	int ret = 0;
	size_t i;

	for (i = 0; i < N_NS_KINDS; i++) {
		if (s->saved_ns[i] < 0)
			continue;
		if (setns(s->saved_ns[i], ns_kinds[i].type) != 0) {
			pam_syslog(pamh, LOG_ERR, "session %s: cannot return to the %s namespace: %m",
				   s->id, ns_kinds[i].name);
			ret = -1;
		}
		close_fd(&s->saved_ns[i]);
	}
	if (s->saved_cwd[0] && chdir(s->saved_cwd) != 0 && chdir("/") != 0)
		ret = -1;
	return ret;
}

/* Tell the holder the session is closed.  When this process is the
 * application the holder watches and it is back in its own namespaces, say
 * so (the value of a queued signal): the holder then waits for the
 * application's exit only NSISO_CALLER_BACK_GRACE_MS, and an application
 * that lives on does not keep the session.  Otherwise (a close in another
 * process, or a way back that failed) a plain signal: the holder keeps the
 * namespaces until the application is gone, so that it can still fork
 * (with on_logout kill, what it forks there after the close is killed at
 * the holder's next look, within 100 ms).  Then continued: a holder the
 * user stopped (on systemd hosts logind's KillSession lets a session's
 * owner signal every process of its scope, root's holder too: a review of
 * b7aa9d1) acts on the close only once it runs. */
static void end_holder(struct session *s, bool back)
{
	siginfo_t info;

	if (s->holder_pidfd < 0)
		return;
	memset(&info, 0, sizeof(info));
	info.si_signo = NSISO_CLOSE_SIGNAL;
	info.si_code = SI_QUEUE;
	info.si_pid = getpid();
	info.si_uid = getuid();
	info.si_value.sival_int = NSISO_CLOSE_CALLER_BACK;
	if (!(back && getpid() == s->caller) ||
	    syscall(SYS_pidfd_send_signal, s->holder_pidfd, NSISO_CLOSE_SIGNAL, &info, 0) != 0)
		syscall(SYS_pidfd_send_signal, s->holder_pidfd, NSISO_CLOSE_SIGNAL, NULL, 0);
	syscall(SYS_pidfd_send_signal, s->holder_pidfd, SIGCONT, NULL, 0);
}

/* ---- entry points ----------------------------------------------------- */

static struct session *new_session(const struct nsiso_settings *settings, uid_t uid)
{
	struct session *s = calloc(1, sizeof(*s));
	size_t i;

	if (!s)
		return NULL;
	s->isolate = settings->isolate;
	s->uid = uid;
	if (nsiso_settings_has_limits(settings) && settings->cgroup_mode == NSISO_CGROUP_MODE_OWN)
		snprintf(s->cgroup_parent, sizeof(s->cgroup_parent), "%s", settings->cgroup_parent);
	s->holder_pidfd = -1;
	s->caller = getpid();
	for (i = 0; i < N_NS_KINDS; i++)
		s->saved_ns[i] = -1;
	new_session_id(s->id);
	return s;
}

static void log_open(pam_handle_t *pamh, const struct session *s, const struct passwd *pw,
		     const struct nsiso_settings *settings)
{
	const void *service = NULL;
	char isolate[64], memory[32], cgroup[NSISO_VALUE_MAX + 32];

	pam_get_item(pamh, PAM_SERVICE, &service);
	nsiso_isolate_format(s->isolate, isolate, sizeof(isolate));
	nsiso_format_size(nsiso_limit_bytes(&settings->memory), memory, sizeof(memory));
	if (!nsiso_settings_has_limits(settings))
		snprintf(cgroup, sizeof(cgroup), "none");
	else if (settings->cgroup_mode == NSISO_CGROUP_MODE_SYSTEMD)
		snprintf(cgroup, sizeof(cgroup), "user-%u.slice (systemd)", (unsigned)pw->pw_uid);
	else
		snprintf(cgroup, sizeof(cgroup), "%s/user-%u", settings->cgroup_parent,
			 (unsigned)pw->pw_uid);
	pam_syslog(pamh, LOG_INFO,
		   "session %s opened for %s (uid %u) service %s: isolate %s, hostname %s, "
		   "holder %d, cgroup %s, memory %s%s",
		   s->id, pw->pw_name, (unsigned)pw->pw_uid, service ? (const char *)service : "?",
		   isolate, settings->hostname[0] ? settings->hostname : "(host's)",
		   (int)s->holder_pid, cgroup, memory, s->via_broker ? ", via broker" : "");
}

/* The directory of the user's memory group, as the helper opened its
 * cgroup.procs for us (the first leaf: nsiso_cgroup_join): the close line
 * then reads its numbers without the mount table.  One readlink on the
 * open's path.  Best effort: where the first leaf is another controller's,
 * the close finds no memory numbers there and looks in the mount table. */
/* The group directory of a mover fd the helper opened (v1's tasks, v2's
 * cgroup.procs: nsiso_cgroup_open_mover()), into dir; *tasks: it is v1's
 * tasks file.  False when it is neither. */
static bool mover_dir(int fd, char *dir, size_t len, bool *tasks)
{
	char link[64];
	ssize_t n;
	char *slash;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, dir, len - 1);
	dir[n > 0 ? n : 0] = '\0';
	slash = strrchr(dir, '/');
	*tasks = slash && strcmp(slash, "/tasks") == 0;
	if (!slash || (!*tasks && strcmp(slash, "/cgroup.procs") != 0))
		return false;
	*slash = '\0';
	return true;
}

static void remember_memory_dir(struct session *s, const struct helper_result *r)
{
	bool tasks;

	if (r->procs_fds[0] >= 0 &&
	    !mover_dir(r->procs_fds[0], s->memory_dir, sizeof(s->memory_dir), &tasks))
		s->memory_dir[0] = '\0';
}

/* The memory group's numbers for the close line: from the directory kept at
 * the open, or else by the mount table. */
static int close_numbers(const struct session *s, const char *group,
			 struct nsiso_cgroup_stats *stats)
{
	if (s->memory_dir[0] && nsiso_cgroup_memory_stats_at(s->memory_dir, stats) == 0)
		return 0;
	return nsiso_cgroup_memory_stats_of(group, stats);
}

/* Whether we are one thread: /proc/self/task has two links and one per
 * thread.  Unknown (no /proc) counts as more. */
static bool one_thread(void)
{
	struct stat st;

	return stat("/proc/self/task", &st) == 0 && st.st_nlink == 3;
}

/* The whole process into the group whose v1 tasks file fd is: through the
 * cgroup.procs file beside it, on the same file system.  0 or -1. */
static int enter_whole(int fd)
{
	char dir[PATH_MAX], beside[PATH_MAX + 16];
	struct stat a, b;
	bool tasks;
	int procs, ok;

	if (!mover_dir(fd, dir, sizeof(dir), &tasks))
		return -1;
	if (!tasks)
		return write(fd, "0", 1) == 1 ? 0 : -1;	/* v2: cgroup.procs */
	snprintf(beside, sizeof(beside), "%s/cgroup.procs", dir);
	procs = open(beside, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (procs < 0)
		return -1;
	ok = fstat(fd, &a) == 0 && fstat(procs, &b) == 0 && a.st_dev == b.st_dev &&
	     write(procs, "0", 1) == 1;
	if (!ok && errno == 0)
		errno = EXDEV;
	close(procs);
	return ok ? 0 : -1;
}

/* Into the user's cgroup by our own hand: writing "0" moves the writer.  So
 * nothing is ever moved by a PID, which could have been reused by the time
 * it is written.  The helper opened the files as root: on v1 each group's
 * tasks file, which moves the writing thread alone, and without the
 * kernel's wait for an RCU grace period that moving a whole process pays
 * (5.5-15.7 ms here when no move came just before; README, Performance); a
 * process of several threads goes through cgroup.procs (enter_whole).  The
 * holder and the reaper already in the group keep it from being removed
 * meanwhile.  Closes the fds either way. */
static int enter_cgroup(struct helper_result *r)
{
	bool whole = !one_thread();
	int ret = 0, e = 0;
	size_t i;

	for (i = 0; i < NSISO_CGROUP_PROCS_MAX; i++) {
		if (r->procs_fds[i] < 0)
			continue;
		errno = 0;
		if (ret == 0 && (whole ? enter_whole(r->procs_fds[i])
				       : write(r->procs_fds[i], "0", 1) == 1 ? 0 : -1) < 0) {
			e = errno;
			ret = -1;
		}
		close(r->procs_fds[i]);
		r->procs_fds[i] = -1;
	}
	errno = e;
	return ret;
}

/* Undo an open that got as far as the helper's reply. */
static int abandon(pam_handle_t *pamh, struct session *s, const struct nsiso_settings *settings,
		   enum nsiso_failure kind, const char *user, const char *what)
{
	end_holder(s, restore_namespaces(pamh, s) == 0);
	session_free(s);
	return failed(pamh, settings, kind, user, what);
}

static bool is_user_manager(pam_handle_t *pamh);

static int connect_bus(void *ctx, enum nsiso_failure *failure, char *why, size_t len)
{
	int fd;

	(void)ctx;
	return nsiso_systemd_connect(&fd, failure, why, len) < 0 ? -1 : fd;
}

/* The bus's connection names this process (it connects: dbus-daemon takes
 * the PID from the socket's peer credentials, and systemd's PID 0 is that
 * PID), but the helper does the talking, and then ends the connection for
 * every copy.  su's real uid is its user's, who may SIGSTOP it: when su
 * talked, each su stopped in the middle held a connection counted against
 * root, and dbus-daemon takes 256 a uid (a review of a5b92b4 filled them
 * with two users' stopped su: every login needing a scope was then denied,
 * and root's own bus calls failed).  Not a child of our own either: one
 * born in a cgroup its user can write (su from `systemd-run --user
 * --scope`) was frozen there holding its connection (a review of 3d295fd,
 * 40 of 40).  The connection is made only once the helper is out of its
 * user's reach and says so, and at once handed over: dbus-broker counts a
 * connection from its accept on, authenticated or not, for as long as it
 * lives.  Bounded by the helper's two waits and a second to spare. */
static int enter_scope(const char *helper, const struct session *s, const char *user,
		       enum nsiso_failure *failure, char *why, size_t len)
{
	char uid[16], caller[16];
	char *argv[] = { (char *)helper, "scope", "--user", (char *)user, "--uid", uid,
			 "--caller", caller, "--session", (char *)s->id, NULL };

	snprintf(uid, sizeof(uid), "%u", (unsigned)s->uid);
	snprintf(caller, sizeof(caller), "%d", (int)getpid());
	return nsiso_run_helper_with(helper, argv, connect_bus, NULL,
				     2 * NSISO_SYSTEMD_TIMEOUT_MS + 1000, failure, why, len);
}

/* cgroup_mode systemd: the session must be in the user's slice, where the
 * limits go.  pam_systemd (earlier in the stack) put a login there; a
 * session it did not place (cron, at, su from another session) gets a
 * transient scope of its own in the slice, asked of systemd for this very
 * process (its PID cannot be reused while it waits).  So does one opened
 * from the user manager's subtree (su in `systemd-run --user --scope`),
 * which is in the slice but the user's to write: the helper leaves such a
 * cgroup and a broker's worker never follows into it, so on cgroup v2 the
 * holder and the reaper ran outside the slice's tasks limit (a review of
 * d5e0d91 saw 22 of them in the broker's service beside dave's 29 of 30
 * tasks).  The manager's own session stays where systemd started it.  0
 * with unit set, or the PAM code to return. */
static int place_in_user_slice(pam_handle_t *pamh, const struct session *s,
			       const struct nsiso_settings *settings, const char *helper,
			       const char *user, char *unit, size_t len)
{
	enum nsiso_failure failure;
	char why[512];

	if (nsiso_systemd_self_placed(s->uid, is_user_manager(pamh), unit, len))
		return 0;
	snprintf(unit, len, "user-%u.slice", (unsigned)s->uid);
	if (enter_scope(helper, s, user, &failure, why, sizeof(why)) < 0)
		return failed(pamh, settings, failure, user, why);
	return 0;
}

static int start_session(pam_handle_t *pamh, const struct module_args *args,
			 const struct passwd *pw, const struct nsiso_settings *settings)
{
	struct helper_result result;
	struct nsiso_request request;
	struct nsiso_request_args h;
	struct session *s;
	char unit[64] = "", why[160];
	int ret;

	s = new_session(settings, pw->pw_uid);
	if (!s)
		return failed(pamh, settings, NSISO_FAIL_CRIT, pw->pw_name, "out of memory");
	if (nsiso_settings_has_limits(settings) && settings->cgroup_mode == NSISO_CGROUP_MODE_SYSTEMD &&
	    (ret = place_in_user_slice(pamh, s, settings, args->helper, pw->pw_name, unit,
					sizeof(unit))) != 0) {
		session_free(s);
		return ret;
	}
	build_request(&request, pamh, args, pw, settings, s, unit);
	nsiso_request_encode(&request, args->helper, &h);
	ret = nsiso_ask_broker(args->broker, h.argv, &result);
	if (ret > 0) {
		if (args->debug)
			pam_syslog(pamh, LOG_DEBUG, "no broker: %s", result.reason);
		/* A broker that passed built nothing; one that took the request
		 * too late may still build under the old id: a new one keeps the
		 * two apart. */
		new_session_id(s->id);
		nsiso_request_encode(&request, args->helper, &h);
		ret = nsiso_run_helper(args->helper, h.argv, &result);
	} else {
		s->via_broker = true;
	}
	if (ret < 0) {
		session_free(s);
		return failed(pamh, settings, result.failure, pw->pw_name, result.reason);
	}
	s->holder_pidfd = result.holder_pidfd;
	s->holder_pid = result.holder_pid;
	result.holder_pidfd = -1;	/* the session owns it now */
	remember_memory_dir(s, &result);
	if (enter_cgroup(&result) < 0) {
		snprintf(why, sizeof(why), "cannot enter the user's cgroup: %s", strerror(errno));
		return abandon(pamh, s, settings, NSISO_FAIL_DENY, pw->pw_name, why);
	}
	if (s->isolate && (save_namespaces(s) < 0 || join_namespaces(s) < 0)) {
		snprintf(why, sizeof(why), "cannot join the session's namespaces: %s",
			 strerror(errno));
		return abandon(pamh, s, settings, NSISO_FAIL_DENY, pw->pw_name, why);
	}
	if (pam_set_data(pamh, DATA_NAME, s, session_cleanup) != PAM_SUCCESS)
		return abandon(pamh, s, settings, NSISO_FAIL_CRIT, pw->pw_name, "pam_set_data failed");
	log_open(pamh, s, pw, settings);
	return PAM_SUCCESS;
}

/* One line per close, with the user's cgroup numbers where there is one. */
static void log_close(pam_handle_t *pamh, const struct session *s)
{
	struct nsiso_cgroup_stats stats;
	char peak[32], limit[32], group[NSISO_VALUE_MAX + 32];

	nsiso_cgroup_user_group(s->cgroup_parent, NULL, s->uid, group, sizeof(group));
	if (!group[0] || close_numbers(s, group, &stats) < 0) {
		pam_syslog(pamh, LOG_INFO, "session %s closed (holder %d)", s->id, (int)s->holder_pid);
		return;
	}
	nsiso_format_size(stats.memory_peak, peak, sizeof(peak));
	nsiso_format_size(stats.memory_limit, limit, sizeof(limit));
	pam_syslog(pamh, LOG_INFO,
		   "session %s closed (holder %d): cgroup %s/user-%u memory peak %s of %s, "
		   "oom kills %llu", s->id, (int)s->holder_pid, s->cgroup_parent,
		   (unsigned)s->uid, peak, limit,
		   stats.oom_kills == NSISO_UNLIMITED ? 0ULL : (unsigned long long)stats.oom_kills);
}

/* The session of a user's own systemd manager (user@UID.service, PAM
 * service systemd-user): a process that runs services for the user outside
 * any login, so a door around the namespaces.  It cannot be put in them
 * (systemd --user would be outside its own /proc), so for an isolated user
 * it is refused.  systemd opens it as root, before the manager drops to the
 * user: a setuid application the user runs (real uid theirs) that lets them
 * name its service is not it, and is not placed as it would be (a review of
 * 49dd4a0). */
static bool is_user_manager(pam_handle_t *pamh)
{
	const void *service = NULL;

	return getuid() == 0 && pam_get_item(pamh, PAM_SERVICE, &service) == PAM_SUCCESS &&
	       service && strcmp(service, "systemd-user") == 0;
}

/* Whether the user manager of a covered user is refused, logged: always
 * for an isolated user; for one with limits only, unless the limits are on
 * the user's slice (cgroup_mode systemd), where systemd keeps the manager
 * and all it starts.  With cgroup_mode own they would be on our group, and
 * the manager's services run in user@UID.service, outside it (on cgroup v2
 * the manager cannot even start in our group: it must create its own
 * cgroups below it, which are root's). */
static bool refuse_user_manager(pam_handle_t *pamh, const struct nsiso_settings *settings,
				const char *user)
{
	if (settings->isolate) {
		pam_syslog(pamh, LOG_NOTICE, "the systemd user manager of %s is refused: it cannot "
			   "run inside a session's namespaces (systemd-run --user, user services and "
			   "timers are not available to isolated users)", user);
		return true;
	}
	if (settings->cgroup_mode == NSISO_CGROUP_MODE_OWN) {
		pam_syslog(pamh, LOG_NOTICE, "the systemd user manager of %s is refused: with "
			   "cgroup_mode own its services would run outside the user's limits "
			   "(cgroup_mode systemd keeps them in the user's slice)", user);
		return true;
	}
	return false;
}

static int open_session(pam_handle_t *pamh, const struct module_args *args, bool root)
{
	struct nsiso_settings settings;
	const struct passwd *pw;
	const char *user = NULL;
	int ret;

	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user || !*user) {
		pam_syslog(pamh, LOG_ERR, "cannot determine the user name");
		return PAM_SESSION_ERR;
	}
	pw = pam_modutil_getpwnam(pamh, user);
	if (!pw) {
		char shown[65];

		/* Whatever the application was handed: one word on one line
		 * (a setuid pamtester passes a newline or an escape on). */
		nsiso_text_printable(shown, sizeof(shown), user);
		pam_syslog(pamh, LOG_ERR, "unknown user %s", shown);
		return PAM_USER_UNKNOWN;
	}
	ret = decide(pamh, args, pw, &settings);
	if (ret == DECIDED_ALLOW)
		return PAM_SUCCESS;
	if (ret != PAM_SUCCESS)
		return ret;
	settings.cgroup_mode = nsiso_cgroup_mode_effective(settings.cgroup_mode, NULL);
	if (is_user_manager(pamh) && refuse_user_manager(pamh, &settings, pw->pw_name))
		return PAM_SESSION_ERR;
	if (!root)
		return failed(pamh, &settings, NSISO_FAIL_DENY, pw->pw_name,
			      "the caller holds no root uid (real, effective or saved)");
	return start_session(pamh, args, pw, &settings);
}

/* Whether this handle has a session of ours open already: a second
 * pam_nsiso line in one stack (the package's in common-session and an
 * admin's own in sshd, which includes it), or a second open of one handle.
 * The session is isolated and limited already; a second one, asked for
 * from inside the first's namespaces, failed and denied the login.  The
 * first line's close ends it; the second's then finds nothing. */
static bool open_already(pam_handle_t *pamh)
{
	const void *data = NULL, *service = NULL;
	char shown[65];

	if (pam_get_data(pamh, DATA_NAME, &data) != PAM_SUCCESS || !data)
		return false;
	if (pam_get_item(pamh, PAM_SERVICE, &service) != PAM_SUCCESS || !service)
		service = "?";
	nsiso_text_printable(shown, sizeof(shown), service);
	pam_syslog(pamh, LOG_NOTICE, "session %s is open already: pam_nsiso is twice in the "
		   "session stack of %s (or the session was opened twice); this line does nothing",
		   ((const struct session *)data)->id, shown);
	return true;
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct module_args args;
	struct caller_euid euid;
	int ret;

	(void)flags;
	parse_args(pamh, argc, argv, &args);
	if (open_already(pamh))
		return PAM_IGNORE;
	/* Without root the conf is still read: a user it does not cover is
	 * no business of ours; one it covers cannot have a session made. */
	ret = open_session(pamh, &args, raise_euid(&euid) == 0);
	if (restore_euid(pamh, &euid) < 0)
		return PAM_SESSION_ERR;
	return ret;
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct module_args args;
	struct caller_euid euid;
	const void *data = NULL;
	struct session *s;
	int ret;

	(void)flags;
	parse_args(pamh, argc, argv, &args);
	if (pam_get_data(pamh, DATA_NAME, &data) != PAM_SUCCESS || !data)
		return PAM_IGNORE;
	s = (struct session *)data;
	if (raise_euid(&euid) < 0) {
		pam_syslog(pamh, LOG_ERR, "session %s: the caller holds no root uid to close it "
			   "with; the holder ends when this process does", s->id);
		return PAM_SESSION_ERR;
	}
	ret = restore_namespaces(pamh, s);
	log_close(pamh, s);
	/* Last: what the holder does on it (killing the session's processes)
	 * competes with our own remaining steps for the CPU. */
	end_holder(s, ret == 0);
	/* Replacing the data runs session_cleanup on it. */
	pam_set_data(pamh, DATA_NAME, NULL, NULL);
	if (restore_euid(pamh, &euid) < 0)
		ret = -1;
	return ret == 0 ? PAM_SUCCESS : PAM_SESSION_ERR;
}
