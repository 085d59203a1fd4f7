/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsiso-helper: the privileged half of pam_nsiso.
 *
 * Run by the module (as root, from the PAM application's process) with the
 * decision for one session as arguments.  It makes the holder (PID 1 of the
 * session's new namespaces), puts the PAM application into the user's
 * cgroup, hands the holder's pidfd back to the module, and exits.
 *
 * Written to the setuid standard although it is not installed setuid: it
 * trusts nothing it inherited (fds, environment, signal state), tracks its
 * privilege explicitly instead of guessing from geteuid(), and refuses
 * every privileged step unless really run by root. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../common/cgroup.h"
#include "../common/conf.h"
#include "../common/hostname.h"
#include "../common/proto.h"
#include "../common/record.h"
#include "../common/size.h"
#include "faults.h"
#include "holder.h"
#include "systemd.h"

/* How the helper may act, decided once at start and never re-derived. */
enum privilege {
	PRIV_NONE,	/* anyone else: only --help and --version */
	PRIV_ROOT,	/* real, effective and saved uid 0, not setuid-invoked */
};

static enum privilege privilege = PRIV_NONE;

#define NSISO_NAME_ARG_MAX 256		/* --user, --service, --tty */
#define NSISO_RHOST_ARG_MAX 1024	/* NI_MAXHOST, with room */
#define NSISO_TASKS_MAX 4194304		/* the kernel's PID_MAX_LIMIT */
static bool have_channel;	/* fd 3 is the module's socket */

/* Once the holder has taken the session over, a failure must tell it to end
 * the session (it then cleans up after the application) and must remove
 * the record, which would otherwise show a session that never was. */
static struct {
	int holder_pidfd;	/* -1 until the hand-over */
	int run_dir_fd;
	const char *session;
} handed_over = { -1, -1, NULL };

struct request {
	const char *user;
	uid_t uid;
	pid_t caller;
	const char *session;
	unsigned isolate;
	bool propagation_private;
	const char *hostname;
	bool keep_on_logout;
	struct nsiso_cgroup_limits limits;
	bool use_cgroup;
	const char *cgroup_parent;
	const char *service, *tty, *rhost;
	const char *run_dir;
	const char *systemd_unit;	/* cgroup_mode systemd: user-<uid>.slice */
	bool debug;
};

/* ---- replies and fatal errors ---------------------------------------- */

static int send_reply(const char *text, int pass_fd)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (pass_fd >= 0) {
		struct cmsghdr *cmsg;

		memset(control, 0, sizeof(control));
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &pass_fd, sizeof(int));
	}
	return sendmsg(NSISO_CHANNEL_FD, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* Report a failure to whoever asked (the module, or a person at a terminal)
 * and to syslog, then exit.  Whatever was built before is owned by the
 * holder, which cleans it up when it sees no commit. */
__attribute__((noreturn, format(printf, 2, 3)))
static void die_with(const char *kind, const char *fmt, ...)
{
	char reason[NSISO_REPLY_MAX - 8], reply[NSISO_REPLY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (handed_over.holder_pidfd >= 0) {
		syscall(SYS_pidfd_send_signal, handed_over.holder_pidfd, NSISO_KILL_SIGNAL, NULL, 0);
		nsiso_record_remove(handed_over.run_dir_fd, handed_over.session);
	}
	snprintf(reply, sizeof(reply), "%s %s", kind, reason);
	/* The module logs what it receives, with the user and the outcome; we
	 * log only what nobody would hear of otherwise. */
	if (!have_channel || send_reply(reply, -1) < 0) {
		syslog(strcmp(kind, "crit") == 0 ? LOG_CRIT : LOG_ERR, "%s", reason);
		fprintf(stderr, "nsiso-helper: %s\n", reason);
	}
	_exit(1);
}

#define die(...) die_with("err", __VA_ARGS__)

/* ---- process hygiene -------------------------------------------------- */

/* 0, 1 and 2 must be open, or the first file we open could become someone's
 * stderr; everything else but the channel is closed. */
static void sanitize_fds(void)
{
	struct stat st;
	int fd;

	for (fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		if (open("/dev/null", O_RDWR) != fd)
			_exit(127);
	}
	have_channel = fstat(NSISO_CHANNEL_FD, &st) == 0 && S_ISSOCK(st.st_mode);
	if (syscall(SYS_close_range, have_channel ? 4 : 3, ~0U, 0) != 0) {
		for (fd = have_channel ? 4 : 3; fd < 65536; fd++)
			close(fd);
	}
	if (have_channel)
		fcntl(NSISO_CHANNEL_FD, F_SETFD, FD_CLOEXEC);
}

static void sanitize_signals(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);	/* fails harmlessly for 32/33 */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Capabilities a non-root caller may still hold (file capabilities, or an
 * ambient set): all of them go, with the uids. */
static void drop_capabilities(void)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3];

	memset(none, 0, sizeof(none));
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capset, &header, none) != 0)
		_exit(127);
}

/* Setuid-invoked, or run by anyone but root: drop whatever was gained at
 * exec for good, before reading a single argument.  (CVE-2020-5291: do not
 * infer privilege from geteuid() later on.) */
static void settle_privilege(void)
{
	uid_t ruid, euid, suid;
	gid_t rgid = getgid();

	if (getresuid(&ruid, &euid, &suid) != 0)
		_exit(127);
	if (ruid == 0 && euid == 0 && suid == 0 && getauxval(AT_SECURE) == 0) {
		privilege = PRIV_ROOT;
		return;
	}
	if (setresgid(rgid, rgid, rgid) != 0 || setresuid(ruid, ruid, ruid) != 0)
		_exit(127);
	drop_capabilities();
	/* Proof, not hope: there must be no way back. */
	if (ruid != 0 && (setresuid(0, 0, 0) == 0 || geteuid() == 0))
		_exit(127);
	privilege = PRIV_NONE;
}

/* Timers survive exec: an inherited SIGALRM could end us at a moment of
 * the caller's choosing. */
static void sanitize_timers(void)
{
	struct itimerval off;

	memset(&off, 0, sizeof(off));
	setitimer(ITIMER_REAL, &off, NULL);
	setitimer(ITIMER_VIRTUAL, &off, NULL);
	setitimer(ITIMER_PROF, &off, NULL);
}

static void sanitize_process(void)
{
	/* Never dumpable: a ptrace or core dump of a root helper holding the
	 * application's pidfd is a way in (bubblewrap CVE-2026-41163).  First,
	 * before anything is opened; the holder inherits it. */
	prctl(PR_SET_DUMPABLE, 0);
	sanitize_fds();
	settle_privilege();
	/* Nothing we run may gain privileges by exec: the holder execs
	 * nothing, systemctl (cgroup_mode systemd) runs as root already and
	 * gains nothing; setns, mount and cgroup writes are unaffected; the
	 * PAM application that joins the session's namespaces, and so the
	 * user's processes, do not inherit it. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		_exit(127);
	clearenv();
	sanitize_signals();
	sanitize_timers();
	umask(022);
	/* Nothing is relative to where the application was, and the holder
	 * must not pin the login's working directory (or its mount). */
	if (chdir("/") != 0)
		_exit(127);
	openlog("nsiso-helper", LOG_PID, LOG_AUTHPRIV);
}

/* ---- arguments -------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: nsiso-helper open --user NAME --uid UID --caller PID --session ID\n"
		"                        [--isolate LIST] [--hostname NAME]\n"
		"                        [--propagation slave|private] [--on-logout kill|keep]\n"
		"                        [--memory BYTES] [--swap BYTES] [--tasks N]\n"
		"                        [--cgroup-parent PATH] [--service NAME] [--tty TTY]\n"
		"                        [--rhost HOST] [--run-dir DIR] [--systemd-unit UNIT]\n"
		"                        [--debug]\n"
		"       nsiso-helper --help | --version\n"
		"\n"
		"The privileged half of pam_nsiso(8).  'open' is run only by the module, as\n"
		"root, with fd 3 as its reply channel; it refuses to work otherwise.\n"
		"Limits are plain numbers (bytes, tasks) or 'max'.  See nsiso-helper(8).\n");
}

static uint64_t parse_limit_arg(const char *text, const char *what)
{
	struct nsiso_limit limit;

	if (strcmp(text, "max") == 0)
		return NSISO_UNLIMITED;
	if (nsiso_parse_size(text, false, &limit) != NULL || limit.kind != NSISO_LIMIT_VALUE ||
	    strspn(text, "0123456789") != strlen(text))
		die("invalid %s '%.64s': expected a number of bytes or max", what, text);
	return limit.value;
}

static unsigned long parse_number_arg(const char *text, const char *what, unsigned long max)
{
	unsigned long value = 0;
	const char *p;

	if (*text == '\0' || strlen(text) > 10)
		die("invalid %s '%.64s'", what, text);
	for (p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			die("invalid %s '%.64s'", what, text);
		value = value * 10 + (unsigned long)(*p - '0');
	}
	if (value > max)
		die("invalid %s '%.64s'", what, text);
	return value;
}

static bool parse_choice_arg(const char *text, const char *no, const char *yes, const char *what)
{
	if (strcmp(text, yes) == 0)
		return true;
	if (strcmp(text, no) != 0)
		die("invalid %s '%.64s': expected %s or %s", what, text, no, yes);
	return false;
}

/* Free text for the session record (user, service, tty, remote host): the
 * record replaces what is not printable, but nothing may be unbounded. */
static const char *checked_text(const char *text, const char *what, size_t max)
{
	if (strnlen(text, max + 1) > max)
		die("invalid %s: longer than %zu bytes", what, max);
	return text;
}

static void parse_option(struct request *r, int opt, const char *arg)
{
	const char *why;

	switch (opt) {
	case 'u': r->user = checked_text(arg, "--user", NSISO_NAME_ARG_MAX); break;
	case 'U': r->uid = (uid_t)parse_number_arg(arg, "--uid", 4294967294UL); break;
	case 'c': r->caller = (pid_t)parse_number_arg(arg, "--caller", 4194304); break;
	case 's': r->session = arg; break;
	case 'i':
		why = nsiso_isolate_parse(arg, &r->isolate);
		if (why)
			die("invalid --isolate '%.64s': %s", arg, why);
		break;
	case 'h': r->hostname = arg; break;
	case 'p': r->propagation_private = parse_choice_arg(arg, "slave", "private", "--propagation"); break;
	case 'o': r->keep_on_logout = parse_choice_arg(arg, "kill", "keep", "--on-logout"); break;
	case 'm':
		r->limits.memory = parse_limit_arg(arg, "--memory");
		if (r->limits.memory == 0)
			die("invalid --memory '0': the limit must be at least 1 byte");
		r->use_cgroup = true;
		break;
	case 'w': r->limits.swap = parse_limit_arg(arg, "--swap"); r->use_cgroup = true; break;
	case 't':
		r->limits.tasks = parse_limit_arg(arg, "--tasks");
		if (r->limits.tasks != NSISO_UNLIMITED &&
		    (r->limits.tasks == 0 || r->limits.tasks > NSISO_TASKS_MAX))
			die("invalid --tasks '%.64s': expected 1..%d or max", arg, NSISO_TASKS_MAX);
		r->use_cgroup = true;
		break;
	case 'g':
		why = nsiso_cgroup_parent_check(arg);
		if (why)
			die("invalid --cgroup-parent '%.64s': %s", arg, why);
		r->cgroup_parent = arg;
		break;
	case 'S': r->service = checked_text(arg, "--service", NSISO_NAME_ARG_MAX); break;
	case 'T': r->tty = checked_text(arg, "--tty", NSISO_NAME_ARG_MAX); break;
	case 'R': r->rhost = checked_text(arg, "--rhost", NSISO_RHOST_ARG_MAX); break;
	case 'r':
		if (arg[0] != '/' || strlen(arg) > 200)
			die("invalid --run-dir '%.64s': expected an absolute path", arg);
		r->run_dir = arg;
		break;
	case 'Y': r->systemd_unit = arg; r->use_cgroup = true; break;
	case 'd': r->debug = true; break;
	default: die("invalid arguments (see nsiso-helper --help)");
	}
}

static void parse_args(int argc, char **argv, struct request *r)
{
	static const struct option options[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "uid", required_argument, NULL, 'U' },
		{ "caller", required_argument, NULL, 'c' },
		{ "session", required_argument, NULL, 's' },
		{ "isolate", required_argument, NULL, 'i' },
		{ "hostname", required_argument, NULL, 'h' },
		{ "propagation", required_argument, NULL, 'p' },
		{ "on-logout", required_argument, NULL, 'o' },
		{ "memory", required_argument, NULL, 'm' },
		{ "swap", required_argument, NULL, 'w' },
		{ "tasks", required_argument, NULL, 't' },
		{ "cgroup-parent", required_argument, NULL, 'g' },
		{ "service", required_argument, NULL, 'S' },
		{ "tty", required_argument, NULL, 'T' },
		{ "rhost", required_argument, NULL, 'R' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "systemd-unit", required_argument, NULL, 'Y' },
		{ "debug", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long seen = 0;
	int opt, opt_index, next;

	*r = (struct request){
		.uid = (uid_t)-1,
		.hostname = "",
		.cgroup_parent = NSISO_CGROUP_PARENT_DEFAULT,
		.service = "", .tty = "", .rhost = "",
		.run_dir = NSISO_RUN_DIR_DEFAULT,
		.limits = { NSISO_UNLIMITED, NSISO_UNLIMITED, NSISO_UNLIMITED },
	};
	opterr = 0;
	optind = 2;	/* argv[1] is the verb */
	/* "+": no reordering, the first word that is not an option ends the
	 * options (and is an error below). */
	for (next = optind; (opt = getopt_long(argc, argv, "+", options, &opt_index)) != -1;
	     next = optind) {
		const char *word = argv[next];
		size_t len;

		if (opt == '?' || opt == ':')
			die("invalid arguments (see nsiso-helper --help)");
		/* getopt_long takes any unambiguous prefix ("--us"): we take
		 * the exact names only, each at most once. */
		len = strlen(options[opt_index].name);
		if (strncmp(word, "--", 2) != 0 || strncmp(word + 2, options[opt_index].name, len) != 0 ||
		    (word[2 + len] != '\0' && word[2 + len] != '='))
			die("invalid option '%.64s': use the full name --%s", word, options[opt_index].name);
		if (seen & (1UL << opt_index))
			die("option --%s given twice", options[opt_index].name);
		seen |= 1UL << opt_index;
		parse_option(r, opt, optarg);
	}
	if (optind != argc)
		die("unexpected argument '%.64s'", argv[optind]);
}

static bool valid_session_id(const char *id)
{
	return id && strlen(id) == NSISO_SESSION_ID_LEN &&
	       strspn(id, "0123456789abcdef") == NSISO_SESSION_ID_LEN;
}

/* Every argument is checked against the system, not taken on trust. */
static void validate_request(const struct request *r)
{
	struct passwd *pw;
	const char *why;

	if (!r->user || r->uid == (uid_t)-1 || r->caller <= 0 || !r->session)
		die("open needs --user, --uid, --caller and --session");
	if (!valid_session_id(r->session))
		die("invalid --session: expected %d lowercase hex digits", NSISO_SESSION_ID_LEN);
	pw = getpwnam(r->user);
	if (!pw)
		die("unknown user '%.64s'", r->user);
	if (pw->pw_uid != r->uid)
		die("user %s has uid %u, not %u", r->user, (unsigned)pw->pw_uid, (unsigned)r->uid);
	/* Only the process that ran us can be moved and isolated: it is the
	 * PAM application, and as our parent its PID cannot be reused while
	 * we run. */
	if (r->caller == 1 || r->caller != getppid())
		die("--caller %d is not the process that ran the helper", (int)r->caller);
	if (r->hostname[0] && (why = nsiso_hostname_valid(r->hostname)) != NULL)
		die("invalid --hostname '%.64s': %s", r->hostname, why);
	if (r->hostname[0] && !(r->isolate & NSISO_NS_UTS))
		die("--hostname needs uts in --isolate");
	if (r->isolate == 0 && !r->use_cgroup)
		die("nothing to do: no namespace and no limit requested");
	if (r->systemd_unit) {
		char want[64];

		/* Only the user's own slice, whatever the caller asked for. */
		snprintf(want, sizeof(want), "user-%u.slice", (unsigned)r->uid);
		if (strcmp(r->systemd_unit, want) != 0)
			die("invalid --systemd-unit '%.64s': expected %s", r->systemd_unit, want);
	}
}

/* ---- the session ------------------------------------------------------ */

static int open_caller_pidfd(pid_t caller)
{
	int fd = (int)syscall(SYS_pidfd_open, caller, 0);

	if (fd < 0)
		die("cannot open a pidfd for pid %d: %m", (int)caller);
	/* Still our parent after the open, so the pidfd is the caller's. */
	if (getppid() != caller)
		die("the PAM application (pid %d) went away", (int)caller);
	return fd;
}

static unsigned long clone_flags(unsigned isolate)
{
	unsigned long flags = 0;

	if (isolate & NSISO_NS_UTS) flags |= CLONE_NEWUTS;
	if (isolate & NSISO_NS_IPC) flags |= CLONE_NEWIPC;
	if (isolate & NSISO_NS_MNT) flags |= CLONE_NEWNS;
	if (isolate & NSISO_NS_PID) flags |= CLONE_NEWPID;
	if (isolate & NSISO_NS_NET) flags |= CLONE_NEWNET;
	return flags;
}

/* clone() straight into the new namespaces, so that the helper itself stays
 * in the host's mount namespace and the holder is PID 1 from its first
 * instruction.  Returns the holder's pidfd. */
static int start_holder(const struct request *r, int caller_pidfd, int run_dir_fd,
			int *ready_fd, int *commit_fd, pid_t *holder_pid)
{
	int ready[2], commit[2], pidfd = -1;
	struct holder_config config;
	long pid;

	if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(commit, O_CLOEXEC) != 0)
		die_with("crit", "cannot create pipes: %m");
	config = (struct holder_config){
		.isolate = r->isolate,
		.propagation_private = r->propagation_private,
		.hostname = r->hostname,
		.keep_on_logout = r->keep_on_logout,
		/* In systemd mode the slice is systemd's to remove. */
		.cgroup_parent = r->use_cgroup && !r->systemd_unit ? r->cgroup_parent : NULL,
		.uid = r->uid,
		.session = r->session,
		.caller_pidfd = caller_pidfd,
		.run_dir_fd = run_dir_fd,
		.ready_fd = ready[1],
		.commit_fd = commit[0],
		.debug = r->debug,
	};
	pid = syscall(SYS_clone, clone_flags(r->isolate) | CLONE_PIDFD | SIGCHLD,
		      NULL, &pidfd, NULL, 0);
	if (pid < 0)
		die_with(errno == ENOMEM || errno == ENOSPC || errno == EAGAIN ? "crit" : "err",
			 "cannot create the session's namespaces: %m");
	if (pid == 0) {
		close(ready[0]);
		close(commit[1]);
		holder_main(&config);
	}
	close(ready[1]);
	close(commit[0]);
	*ready_fd = ready[0];
	*commit_fd = commit[1];
	*holder_pid = (pid_t)pid;
	return pidfd;
}

/* The holder says "R" once the namespaces are built, or "E<reason>". */
static void wait_for_holder(int ready_fd)
{
	char msg[NSISO_REPLY_MAX];
	struct pollfd pfd = { .fd = ready_fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, NSISO_OPEN_TIMEOUT_MS / 2) <= 0)
		die("the session's holder did not get ready");
	n = read(ready_fd, msg, 1);
	if (n <= 0)
		die("the session's holder died while setting up");
	if (msg[0] != 'R') {
		n = read(ready_fd, msg, sizeof(msg) - 1);
		msg[n > 0 ? n : 0] = '\0';
		die("session setup failed: %s", msg);
	}
}

/* Hand the session to the holder and wait for its "A": only a holder that
 * has taken the session over may be reported to the module.  One that does
 * not answer is killed (its namespaces die with it) and the open fails. */
static void hand_over(int commit_fd, int ready_fd, int holder_pidfd, int run_dir_fd,
		      const struct request *r)
{
	struct pollfd pfd = { .fd = ready_fd, .events = POLLIN };
	char ack = 0;

	if (write(commit_fd, "C", 1) == 1 && poll(&pfd, 1, NSISO_HANDOVER_TIMEOUT_MS) == 1 &&
	    read(ready_fd, &ack, 1) == 1 && ack == 'A') {
		close(ready_fd);
		handed_over.holder_pidfd = holder_pidfd;
		handed_over.run_dir_fd = run_dir_fd;
		handed_over.session = r->session;
		return;
	}
	/* Before anything else is built: nothing to clean but the holder. */
	syscall(SYS_pidfd_send_signal, holder_pidfd, SIGKILL, NULL, 0);
	die("the session's holder did not take the session over");
}

static void join_cgroup(const struct request *r)
{
	char err[512];
	bool critical;

	if (!r->use_cgroup)
		return;
	if (r->systemd_unit) {
		if (systemd_set_limits(r->systemd_unit, &r->limits, err, sizeof(err)) < 0)
			die("%s", err);
		return;
	}
	if (nsiso_cgroup_join(r->cgroup_parent, r->uid, &r->limits, r->caller,
			      &critical, err, sizeof(err)) < 0)
		die_with(critical ? "crit" : "err", "%s", err);
}

/* The record nsisoctl shows; the holder removes it at teardown. */
static void write_record(const struct request *r, int run_dir_fd, pid_t holder_pid)
{
	struct nsiso_record rec;
	char err[256];

	memset(&rec, 0, sizeof(rec));
	nsiso_record_set(rec.session, sizeof(rec.session), r->session);
	nsiso_record_set(rec.user, sizeof(rec.user), r->user);
	nsiso_record_set(rec.service, sizeof(rec.service), r->service);
	nsiso_record_set(rec.tty, sizeof(rec.tty), r->tty);
	nsiso_record_set(rec.rhost, sizeof(rec.rhost), r->rhost);
	nsiso_record_set(rec.hostname, sizeof(rec.hostname), r->hostname);
	nsiso_record_set(rec.cgroup_parent, sizeof(rec.cgroup_parent),
			 r->use_cgroup && !r->systemd_unit ? r->cgroup_parent : "");
	nsiso_record_set(rec.on_logout, sizeof(rec.on_logout), r->keep_on_logout ? "keep" : "kill");
	nsiso_isolate_format(r->isolate, rec.isolate, sizeof(rec.isolate));
	rec.uid = r->uid;
	rec.started = (long long)time(NULL);
	rec.holder = holder_pid;
	rec.holder_start = nsiso_process_start_time(holder_pid);
	rec.caller = r->caller;
	if (nsiso_record_write(run_dir_fd, &rec, err, sizeof(err)) < 0)
		die_with(errno == ENOSPC || errno == ENOMEM ? "crit" : "err", "%s", err);
}

/* One directory on the way to the run directory: root's, and nobody else
 * may write it unless it is sticky (/tmp), where others can neither rename
 * nor remove what is root's.  So nothing below can be swapped under us. */
static void check_run_dir_ancestor(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		die("run directory %s: fstat: %m", path);
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0)
		die("run directory %s: a directory on its path is not owned by root", path);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
		die("run directory %s: a directory on its path is writable by others", path);
}

/* Open (creating it 0700 if missing) the run directory one component at a
 * time from /, never following a symbolic link and checking each directory
 * we pass (the path races of pam_namespace, CVE-2025-6020).  Everything
 * after this is relative to the fd. */
static int open_run_dir(const char *path)
{
	char copy[256], *save = NULL, *name, *next;
	struct stat st;
	int fd, child;

	if (strlen(path) >= sizeof(copy))
		die("invalid --run-dir: too long");
	strcpy(copy, path);
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die("cannot open /: %m");
	name = strtok_r(copy, "/", &save);
	if (!name)
		die("invalid --run-dir '/': expected a directory below /");
	for (;;) {
		check_run_dir_ancestor(fd, path);
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			die("invalid --run-dir '%.64s': '.' or '..' in the path", path);
		next = strtok_r(NULL, "/", &save);
		if (!next)
			break;
		child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (child < 0)
			die("run directory %s: cannot open %s: %s", path, name,
			    errno == ELOOP || errno == ENOTDIR ? "not a directory (a symbolic link?)"
							       : strerror(errno));
		close(fd);
		fd = child;
		name = next;
	}
	if (mkdirat(fd, name, 0700) != 0 && errno != EEXIST)
		die("cannot create %s: %m", path);
	child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (child < 0)
		die("cannot open %s: %s", path,
		    errno == ELOOP || errno == ENOTDIR ? "not a directory (a symbolic link?)"
						       : strerror(errno));
	close(fd);
	if (fstat(child, &st) != 0 || st.st_uid != 0 || (st.st_mode & 077) != 0)
		die("%s must be a directory owned by root with mode 0700", path);
	return child;
}

static void open_session(const struct request *r)
{
	char reply[64], err[256];
	int caller_pidfd, holder_pidfd, ready_fd, commit_fd, run_dir_fd;
	pid_t holder_pid;

	run_dir_fd = open_run_dir(r->run_dir);
	caller_pidfd = open_caller_pidfd(r->caller);
	holder_pidfd = start_holder(r, caller_pidfd, run_dir_fd, &ready_fd, &commit_fd, &holder_pid);
	wait_for_holder(ready_fd);
	FAULT_POINT("helper-after-holder");
	/* From the hand-over on the holder owns the session and ends it if
	 * anything below fails (die tells it), or if the module never hears of
	 * it (when the application exits). */
	hand_over(commit_fd, ready_fd, holder_pidfd, run_dir_fd, r);
	/* libcgroup only now, after the clone: its 800 KiB mount table would
	 * otherwise be dirty memory in every idle holder (make bench, B2). */
	if (r->use_cgroup && !r->systemd_unit && nsiso_cgroup_init(err, sizeof(err)) < 0)
		die("%s", err);
	join_cgroup(r);
	write_record(r, run_dir_fd, holder_pid);
	FAULT_POINT("helper-before-reply");
	snprintf(reply, sizeof(reply), "ok %d", (int)holder_pid);
	if (send_reply(reply, holder_pidfd) < 0)
		die("cannot reply to the module: %m");
	/* "D": the module has the session.  Should this write fail, the holder
	 * is gone and the module's setns() into it fails. */
	if (write(commit_fd, "D", 1) != 1)
		syslog(LOG_ERR, "session %s: its holder went away during setup", r->session);
	if (r->debug)
		syslog(LOG_DEBUG, "session %s for %s set up", r->session, r->user);
	_exit(0);
}

int main(int argc, char **argv)
{
	struct request request;

	sanitize_process();
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("nsiso-helper %s\n", NSISO_VERSION);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "open") != 0) {
		usage(stderr);
		return 2;
	}
	if (privilege != PRIV_ROOT) {
		syslog(LOG_WARNING, "refused: run by uid %u, not by pam_nsiso as root",
		       (unsigned)getuid());
		die("refused: only pam_nsiso, running as root, may use 'open'");
	}
	if (!have_channel)
		die("refused: fd %d is not pam_nsiso's reply channel", NSISO_CHANNEL_FD);
	parse_args(argc, argv, &request);
	validate_request(&request);
	open_session(&request);
	return 0;
}
