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
#include <grp.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../common/cgroup.h"
#include "../common/conf.h"
#include "../common/deadline.h"
#include "../common/fdpass.h"
#include "../common/hostname.h"
#include "../common/proto.h"
#include "../common/record.h"
#include "../common/request.h"
#include "../common/size.h"
#include "../common/systemd.h"
#include "../common/systemd_bus.h"
#include "../common/textfile.h"
#include "../common/unreaped.h"
#include "broker.h"
#include "cgroupns.h"
#include "faults.h"
#include "holder.h"
#include "member.h"
#include "prebuilt.h"
#include "privtmp.h"
#include "mntns.h"
#include "reaper.h"

/* How the helper may act, decided once at start and never re-derived. */
enum privilege {
	PRIV_NONE,	/* anyone else: only --help and --version */
	PRIV_ROOT,	/* real, effective and saved uid 0, not setuid-invoked */
};

static enum privilege privilege = PRIV_NONE;

static bool have_channel;	/* fd 3 is the module's socket */

/* A broker's worker (broker.h) serves the application from afar: its pidfd
 * came with the request, vouched for by the broker; -1 in an exec'd helper,
 * whose application is its parent. */
static int given_caller_pidfd = -1;

/* The end of the helper's part of the open's budget (NSISO_HELPER_BUDGET_MS
 * from its start): every wait below takes what is left of it. */
static struct nsiso_deadline open_deadline;

/* Once the holder has taken the session over, a failure must tell it to end
 * the session (it then cleans up after the application) and must remove
 * the record, which would otherwise show a session that never was.  A
 * reaper that holds its session ends it on our EOF without a commit. */
static struct {
	const char *session;	/* NULL until the hand-over */
	int holder_pidfd;	/* -1: none (the reaper holds the session) */
	int run_dir_fd;
} handed_over = { NULL, -1, -1 };

/* ---- replies and fatal errors ---------------------------------------- */

/* One message on a socket, with n fds attached in the order given. */
static int send_with_fds(int sock, const char *text, const int *fds, size_t n)
{
	return nsiso_send_fds(sock, text, strlen(text), fds, n);
}

static int send_reply(const char *text, const int *fds, size_t n)
{
	return send_with_fds(NSISO_CHANNEL_FD, text, fds, n);
}

/* Report a failure to whoever asked (the module, or a person at a terminal)
 * and to syslog, then exit.  Whatever was built before is owned by the
 * holder and the reaper, which clean it up when the holder sees no commit.
 * kind says whether on_error allow may let the login through: only for a
 * fault of the host (see enum nsiso_failure). */
__attribute__((noreturn, format(printf, 2, 3)))
static void die_with(enum nsiso_failure kind, const char *fmt, ...)
{
	char reason[NSISO_REPLY_MAX - 8], reply[NSISO_REPLY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (handed_over.session) {
		if (handed_over.holder_pidfd >= 0)
			syscall(SYS_pidfd_send_signal, handed_over.holder_pidfd, NSISO_KILL_SIGNAL,
				NULL, 0);
		nsiso_record_remove(handed_over.run_dir_fd, handed_over.session);
	}
	snprintf(reply, sizeof(reply), "%s %s", nsiso_failure_word(kind), reason);
	/* The module logs what it receives, with the user and the outcome; we
	 * log only what nobody would hear of otherwise. */
	if (!have_channel || send_reply(reply, NULL, 0) < 0) {
		syslog(kind == NSISO_FAIL_CRIT ? LOG_CRIT : LOG_ERR, "%s", reason);
		fprintf(stderr, "nsiso-helper: %s\n", reason);
	}
	_exit(1);
}

#define die(...) die_with(NSISO_FAIL_DENY, __VA_ARGS__)
#define die_host(...) die_with(NSISO_FAIL_HOST, __VA_ARGS__)

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

/* The stop signals a terminal sends its foreground process group, whoever
 * owns it: ^Z in the user's own terminal would stop us (holding
 * cgroup.lock, which every limited login waits for) for as long as they
 * liked, and SIGCONT comes from anyone in the same session. */
static const int terminal_stops[] = { SIGTSTP, SIGTTIN, SIGTTOU };

static void sanitize_signals(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, ign = { .sa_handler = SIG_IGN };
	sigset_t none;
	size_t i;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);	/* fails harmlessly for 32/33 */
	for (i = 0; i < sizeof(terminal_stops) / sizeof(terminal_stops[0]); i++)
		sigaction(terminal_stops[i], &ign, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Out of the caller's session and process group: nothing its terminal sends
 * (^C, ^Z, ^\, a hang-up) reaches us, and SIGCONT, which anyone in the
 * same session may send, cannot be used to time a stop.  A setuid caller
 * (su) runs in the user's terminal, in the user's session.  Fails only for
 * a process group leader (a broker started from an interactive shell),
 * which has the signals above ignored all the same. */
static void leave_callers_session(void)
{
	(void)setsid();
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

/* ---- a clean slate ---------------------------------------------------- */

/* The PAM application may be a setuid-root program the user started (su):
 * its gids, supplementary groups, rlimits, scheduling and OOM score are then
 * the user's choice.  Everything we create must be root's, and nothing the
 * user set may make a step fail at a moment of their choosing. */
static void settle_groups(void)
{
	if (setgroups(0, NULL) != 0 || setresgid(0, 0, 0) != 0)
		_exit(127);
}

/* For each resource: at least `need` or the session is refused (root lacks
 * CAP_SYS_RESOURCE on some hosts, so a hard limit below it cannot be
 * raised), and `want` where the hard limit allows.  The holder and the
 * reaper inherit these for the whole session; the user's own processes do
 * not (they descend from the application, not from us).  CPU time keeps a
 * finite floor: where root cannot raise it, a login node's hard `cpu` of
 * pam_limits would otherwise refuse every login (a review of 9f2282c).
 * What a user can spend of that budget for us is their own session's. */
static const struct {
	int resource;
	const char *name;
	rlim_t need, want;
} floors[] = {
	{ RLIMIT_CPU, "RLIMIT_CPU", 600, RLIM_INFINITY },		/* seconds */
	{ RLIMIT_FSIZE, "RLIMIT_FSIZE", 1 << 20, RLIM_INFINITY },	/* records */
	{ RLIMIT_DATA, "RLIMIT_DATA", 64 << 20, RLIM_INFINITY },
	{ RLIMIT_AS, "RLIMIT_AS", 64 << 20, RLIM_INFINITY },
	{ RLIMIT_STACK, "RLIMIT_STACK", 256 << 10, 8 << 20 },
	{ RLIMIT_NOFILE, "RLIMIT_NOFILE", 64, 1024 },
	{ RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING", 64, 1024 },
	{ RLIMIT_NPROC, "RLIMIT_NPROC", 0, RLIM_INFINITY },	/* root is exempt */
	{ RLIMIT_CORE, "RLIMIT_CORE", 0, 0 },			/* never a core */
};

static rlim_t min_limit(rlim_t a, rlim_t b)
{
	return a < b ? a : b;
}

static void reset_rlimits(void)
{
	size_t i;

	for (i = 0; i < sizeof(floors) / sizeof(floors[0]); i++) {
		struct rlimit now, raised;

		if (getrlimit(floors[i].resource, &now) != 0)
			die("cannot read %s: %m", floors[i].name);
		raised = (struct rlimit){ floors[i].want, floors[i].want };
		if (floors[i].want == 0 || now.rlim_max < floors[i].want)
			(void)setrlimit(floors[i].resource, &raised);	/* may be EPERM */
		if (getrlimit(floors[i].resource, &now) != 0 || now.rlim_max < floors[i].need)
			die("the PAM application's hard %s (%llu) is below the %llu a session needs",
			    floors[i].name, (unsigned long long)now.rlim_max,
			    (unsigned long long)floors[i].need);
		now.rlim_cur = min_limit(floors[i].want, now.rlim_max);
		if (setrlimit(floors[i].resource, &now) != 0)
			die("cannot set %s: %m", floors[i].name);
	}
}

/* Every CPU the kernel lets us have: it keeps the set within our cpuset
 * (a review of 7e05936 saw the holder and the reaper keep the one CPU a
 * user had pinned their su to, for the session's life). */
static void reset_affinity(void)
{
	long conf = sysconf(_SC_NPROCESSORS_CONF);
	size_t n = conf > CPU_SETSIZE ? (size_t)conf : CPU_SETSIZE, size = CPU_ALLOC_SIZE(n), i;
	cpu_set_t *set = CPU_ALLOC(n);

	if (!set)
		return;
	CPU_ZERO_S(size, set);
	for (i = 0; i < n; i++)
		CPU_SET_S(i, size, set);
	(void)sched_setaffinity(0, size, set);
	CPU_FREE(set);
}

/* Scheduling the user chose must not starve the login (SCHED_IDLE, nice
 * 19, one CPU) or make the OOM killer pick the holder first.  Best effort:
 * none of these opens a way in if it fails, they only slow us down. */
static void reset_scheduling(void)
{
	struct sched_param param = { .sched_priority = 0 };
	int fd;

	(void)sched_setscheduler(0, SCHED_OTHER, &param);
	reset_affinity();
	(void)setpriority(PRIO_PROCESS, 0, 0);
	(void)syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, 0);
	(void)prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0);
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "0", 1) != 1)
			syslog(LOG_DEBUG, "cannot reset oom_score_adj: %m");
		close(fd);
	}
}

static void sanitize_process(void)
{
	/* Never dumpable: a ptrace or core dump of a root helper holding the
	 * application's pidfd is a way in (bubblewrap CVE-2026-41163).  First,
	 * before anything is opened; the holder inherits it. */
	prctl(PR_SET_DUMPABLE, 0);
	sanitize_fds();
	settle_privilege();
	if (privilege == PRIV_ROOT)
		settle_groups();
	/* Nothing we run may gain privileges by exec: we exec nothing, nor do
	 * the holder and the reaper; setns, mount and cgroup writes are
	 * unaffected; the
	 * PAM application that joins the session's namespaces, and so the
	 * user's processes, do not inherit it. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		_exit(127);
	clearenv();
	sanitize_signals();
	leave_callers_session();
	sanitize_timers();
	umask(022);
	/* Nothing is relative to where the application was, and the holder
	 * must not pin the login's working directory (or its mount). */
	if (chdir("/") != 0)
		_exit(127);
	openlog(NSISO_LOG_IDENT, LOG_PID, LOG_AUTHPRIV);
	if (privilege == PRIV_ROOT) {
		reset_rlimits();
		reset_scheduling();
	}
}

/* ---- arguments -------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: nsiso-helper open --user NAME --uid UID --caller PID --session ID\n"
		"                        [--isolate LIST] [--hostname NAME]\n"
		"                        [--propagation slave|private] [--on-logout kill|keep]\n"
		"                        [--private-tmp no|yes|keep]\n"
		"                        [--memory BYTES] [--swap BYTES] [--tasks N]\n"
		"                        [--memory-high BYTES] [--cpu PERCENT]\n"
		"                        [--cpu-weight N] [--io-weight N]\n"
		"                        [--cgroup-parent PATH] [--service NAME] [--tty TTY]\n"
		"                        [--rhost HOST] [--run-dir DIR] [--systemd-unit UNIT]\n"
		"                        [--debug]\n"
		"       nsiso-helper scope --user NAME --uid UID --caller PID --session ID\n"
		"       nsiso-helper broker [--socket PATH]\n"
		"       nsiso-helper --help | --version\n"
		"\n"
		"The privileged half of pam_nsiso(8).  'open' is run only by the module, as\n"
		"root, with fd 3 as its reply channel; it refuses to work otherwise.\n"
		"'scope' (the same way) asks systemd for a scope for the application, over\n"
		"the system-bus connection the module sends as fd 3's first message.\n"
		"'broker' serves the same requests from a long-lived root process on a\n"
		"root-only socket (default " NSISO_BROKER_SOCKET ", or the one systemd\n"
		"passes); the module falls back to running the helper without it.\n"
		"Limits are plain numbers (bytes, tasks, percent of one CPU) or 'max';\n"
		"weights are 1-10000.  See nsiso-helper(8).\n");
}

/* Only the form of the request is checked here (common/request.c); what
 * it says is checked against the system in validate_request(). */
static void parse_args(int argc, char **argv, struct nsiso_request *r)
{
	char why[NSISO_REPLY_MAX - 16];

	if (nsiso_request_decode(argc, argv, r, why, sizeof(why)) != NULL)
		die("%s", why);
}

static const char *own_copy(const char *text)
{
	char *copy;

	if (!text)
		return NULL;
	copy = strdup(text);
	if (!copy)
		die_with(NSISO_FAIL_CRIT, "out of memory");
	return copy;
}

/* Any user can read /proc/PID/cmdline of a root process: once parsed, the
 * request lives in our own copies and the arguments (user, uid, remote
 * host, limits) are zeroed, here and so in the holder and reaper we clone.
 * What stays is "<helper> open". */
static void own_and_wipe(struct nsiso_request *r, int argc, char **argv)
{
	int i;

	r->user = own_copy(r->user);
	r->session = own_copy(r->session);
	r->hostname = own_copy(r->hostname);
	r->cgroup_parent = own_copy(r->cgroup_parent);
	r->service = own_copy(r->service);
	r->tty = own_copy(r->tty);
	r->rhost = own_copy(r->rhost);
	r->run_dir = own_copy(r->run_dir);
	r->systemd_unit = own_copy(r->systemd_unit);
	for (i = 2; i < argc; i++)
		memset(argv[i], 0, strlen(argv[i]));
}

static bool valid_session_id(const char *id)
{
	return id && strlen(id) == NSISO_SESSION_ID_LEN &&
	       strspn(id, "0123456789abcdef") == NSISO_SESSION_ID_LEN;
}

/* Who and for whom, checked against the system, for every mode that
 * serves a session: the user's passwd entry. */
static const struct passwd *validate_identity(const struct nsiso_request *r, const char *mode)
{
	struct passwd *pw;

	if (!r->user || r->uid == (uid_t)-1 || r->caller <= 0 || !r->session)
		die("%s needs --user, --uid, --caller and --session", mode);
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
	if (given_caller_pidfd < 0 && (r->caller == 1 || r->caller != getppid()))
		die("--caller %d is not the process that ran the helper", (int)r->caller);
	return pw;
}

/* Every argument is checked against the system, not taken on trust.  The
 * user's primary group (their private /tmp is given to it). */
static gid_t validate_request(const struct nsiso_request *r)
{
	const struct passwd *pw = validate_identity(r, "open");
	const char *why;

	if (r->hostname[0] && (why = nsiso_hostname_valid(r->hostname)) != NULL)
		die("invalid --hostname '%.64s': %s", r->hostname, why);
	if (r->hostname[0] && !(r->isolate & NSISO_NS_UTS))
		die("--hostname needs uts in --isolate");
	if (r->isolate == 0 && !r->use_cgroup)
		die("nothing to do: no namespace and no limit requested");
	if (r->private_tmp != NSISO_PRIVATE_TMP_NO && !(r->isolate & NSISO_NS_MNT))
		die("--private-tmp needs mnt in --isolate");
	if (r->systemd_unit) {
		char want[64];

		/* Only the user's own slice, whatever the caller asked for. */
		snprintf(want, sizeof(want), "user-%u.slice", (unsigned)r->uid);
		if (strcmp(r->systemd_unit, want) != 0)
			die("invalid --systemd-unit '%.64s': expected %s", r->systemd_unit, want);
	}
	return pw->pw_gid;
}

/* ---- the session ------------------------------------------------------ */

static int open_caller_pidfd(pid_t caller)
{
	int fd;

	if (given_caller_pidfd >= 0)
		return given_caller_pidfd;
	fd = (int)syscall(SYS_pidfd_open, caller, 0);

	if (fd < 0)
		die("cannot open a pidfd for pid %d: %m", (int)caller);
	/* Still our parent after the open, so the pidfd is the caller's.  It is
	 * used only to learn when the application is gone: nothing is ever done
	 * to the application by its PID (it moves itself into its cgroup). */
	if (getppid() != caller)
		die("the PAM application (pid %d) went away", (int)caller);
	return fd;
}

/* The kernel cannot make these namespaces at all (not built in, or refused
 * by policy): the host's fault.  Out of memory or of a namespace or PID
 * count is something a user's load can bring about. */
static enum nsiso_failure clone_failure(int e)
{
	if (e == ENOMEM || e == ENOSPC || e == EAGAIN)
		return NSISO_FAIL_CRIT;
	return e == EINVAL || e == EPERM ? NSISO_FAIL_HOST : NSISO_FAIL_DENY;
}

/* The two ends of the hand-over that the helper keeps. */
struct handover {
	int ready_fd;		/* read: the holder's enum nsiso_sync bytes */
	int commit_fd;		/* write: ours */
	int holder_pidfd;
	pid_t holder_pid;
};

/* clone() straight into the new namespaces, so that the helper itself stays
 * in the host's mount namespace and the holder is PID 1 from its first
 * instruction.  (Not into a new cgroup namespace: it is rooted where its
 * maker is, and the user's group does not exist yet; see cgroupns.h.)  The
 * commit channel is a socket pair, so that an fd can go to the holder on
 * it. */
static void start_holder(const struct holder_session *s, int caller_pidfd,
			 const struct nsiso_prebuilt *pb, struct handover *h)
{
	int ready[2], commit[2], pidfd = -1;
	struct holder_config config;
	long pid;

	if (pipe2(ready, O_CLOEXEC) != 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, commit) != 0)
		die_with(NSISO_FAIL_CRIT, "cannot create pipes: %m");
	config = (struct holder_config){
		.s = *s,
		.caller_pidfd = caller_pidfd,
		.ready_fd = ready[1],
		.commit_fd = commit[0],
	};
	pid = nsiso_clone_holder(s->isolate, s->uid, &pidfd);
	if (pid < 0)
		die_with(clone_failure(errno), "cannot create the session's namespaces: %m");
	if (pid == 0) {
		close(ready[0]);
		close(commit[1]);
		nsiso_prebuilt_forget(pb);
		holder_main(&config);
	}
	close(ready[1]);
	close(commit[0]);
	*h = (struct handover){ ready[0], commit[1], pidfd, (pid_t)pid };
}

/* The reaper: outside the namespaces, it waits for the holder to end, then
 * removes the record and (once the application is gone) the user's group,
 * however the holder ended: a holder killed outright leaves nothing behind
 * either.  Forked before anything is built, so that everything built has an
 * owner; it keeps only the fds it needs. */
static pid_t start_reaper(const struct reaper_session *s, const int fds[4], int *sock)
{
	struct reaper_config config;
	sigset_t holder_signals, mask;
	int pair[2];
	pid_t pid = -1;

	reaper_config_of(s, fds, &config);
	/* One that holds its session is born with the holder's signals
	 * blocked: none sent before it took them may end it or be lost. */
	if (s->holds)
		nsiso_holder_signals(&holder_signals);
	else
		sigemptyset(&holder_signals);
	sigprocmask(SIG_BLOCK, &holder_signals, &mask);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0)
		pid = fork();
	if (pid != 0)
		sigprocmask(SIG_SETMASK, &mask, NULL);
	if (pid < 0) {
		int e = errno;

		syscall(SYS_pidfd_send_signal, fds[0], SIGKILL, NULL, 0);
		errno = e;
		die_with(NSISO_FAIL_CRIT, "cannot start the session's reaper: %m");
	}
	if (pid == 0) {
		close(pair[0]);
		reaper_main(&config, pair[1]);
	}
	close(pair[1]);
	*sock = pair[0];
	return pid;
}

/* The holder says NSISO_SYNC_READY once the namespaces are built, or an
 * error byte and a reason. */
static void wait_for_holder(int ready_fd)
{
	char msg[NSISO_REPLY_MAX];
	struct pollfd pfd = { .fd = ready_fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, nsiso_deadline_left_ms(&open_deadline)) <= 0)
		die("the session's holder did not get ready");
	n = read(ready_fd, msg, 1);
	if (n <= 0)
		die("the session's holder died while setting up");
	if (msg[0] != NSISO_SYNC_READY) {
		bool host = msg[0] == NSISO_SYNC_HOST_ERROR;

		n = read(ready_fd, msg, sizeof(msg) - 1);
		msg[n > 0 ? n : 0] = '\0';
		die_with(host ? NSISO_FAIL_HOST : NSISO_FAIL_DENY, "session setup failed: %s", msg);
	}
}

/* Hand the session to the holder and wait for its NSISO_SYNC_ACK: only a
 * holder that has taken the session over may be reported to the module.
 * One that does not answer is killed (its namespaces die with it) and the
 * open fails. */
static void hand_over(const struct handover *h, int run_dir_fd, const struct nsiso_request *r)
{
	struct pollfd pfd = { .fd = h->ready_fd, .events = POLLIN };
	const char commit = NSISO_SYNC_COMMIT;
	char ack = 0;

	if (write(h->commit_fd, &commit, 1) == 1 &&
	    poll(&pfd, 1, nsiso_deadline_left_ms(&open_deadline)) == 1 &&
	    read(h->ready_fd, &ack, 1) == 1 && ack == NSISO_SYNC_ACK) {
		close(h->ready_fd);
		handed_over.holder_pidfd = h->holder_pidfd;
		handed_over.run_dir_fd = run_dir_fd;
		handed_over.session = r->session;
		return;
	}
	/* Before anything else is built: nothing to clean but the holder. */
	syscall(SYS_pidfd_send_signal, h->holder_pidfd, SIGKILL, NULL, 0);
	die("the session's holder did not take the session over");
}

/* A session's members, the holder and the reaper (the reaper alone when it
 * holds the session; the last is the reaper): our unreaped children,
 * and the sockets they take our steps on (member.h).  Those a broker's
 * spare made ahead have yet to follow its worker into the application's
 * cgroups (broker.c), through the files in follow; those made at the login
 * were born there. */
struct members {
	size_t n;		/* 2, or 1: the reaper, holding the session */
	pid_t pid[NSISO_SESSION_TASKS];
	int sock[NSISO_SESSION_TASKS];
	bool made_ahead[NSISO_SESSION_TASKS];
	int follow[NSISO_FOLLOW_MAX];
	size_t n_follow;
};

/* Member i's movers, in order: the application's cgroups if it must follow,
 * then last (-1: none).  Their count. */
static size_t movers_of(const struct members *m, size_t i, int last, int *movers)
{
	size_t n = 0, k;

	for (k = 0; m->made_ahead[i] && k < m->n_follow; k++)
		movers[n++] = m->follow[k];
	if (last >= 0)
		movers[n++] = last;
	return n;
}

/* Every member moves itself through its movers (movers_of()), both at
 * once: each is asked, then each answer is waited for, at most
 * NSISO_FDPASS_MAX movers a round.  where names the goal in a failure's
 * reason.  0, or -1 with errno and a reason in err. */
static int move_members(const struct members *m, int last, const char *where, char *err,
			size_t len)
{
	int movers[NSISO_SESSION_TASKS][NSISO_FOLLOW_MAX + 1];
	size_t n[NSISO_SESSION_TASKS], done = 0, i;
	char why[256];

	for (i = 0; i < m->n; i++)
		n[i] = movers_of(m, i, last, movers[i]);
	for (;; done += NSISO_FDPASS_MAX) {
		bool asked[NSISO_SESSION_TASKS] = { false };
		bool any = false;

		for (i = 0; i < m->n; i++) {
			size_t some = n[i] > done ? n[i] - done : 0;

			if (some > NSISO_FDPASS_MAX)
				some = NSISO_FDPASS_MAX;
			if (some == 0)
				continue;
			if (nsiso_member_ask(m->sock[i], movers[i] + done, some, why,
					     sizeof(why)) < 0)
				goto failed;
			asked[i] = any = true;
		}
		if (!any)
			return 0;
		for (i = 0; i < m->n; i++)
			if (asked[i] && nsiso_member_answer(m->sock[i],
							    nsiso_deadline_left_ms(&open_deadline),
							    why, sizeof(why)) < 0)
				goto failed;
	}
failed:
	{
		int e = errno;

		snprintf(err, len, "the session's %s (pid %d) could not move into %s: %s",
			 i + 1 < m->n ? "holder" : "reaper", (int)m->pid[i], where, why);
		errno = e;
	}
	return -1;
}

/* Where no group of ours is joined (no limits, cgroup_mode systemd), the
 * members made ahead follow the worker on their own. */
static void follow_worker(struct members *m)
{
	char err[512];

	if (m->n_follow > 0 && move_members(m, -1, "the PAM application's cgroups", err,
					    sizeof(err)) < 0)
		die_with(NSISO_FAIL_DENY, "%s", err);
}

/* nsiso_cgroup_join's way to move the members: they follow the worker and
 * enter the user's group in one step each. */
static int enter_members(void *arg, int mover, char *err, size_t len)
{
	return move_members(arg, mover, "the user's group", err, len);
}

/* The user's group, with the holder and the reaper in it; procs_fds are the
 * application's way in (-1 where none). */
static void join_cgroup(const struct nsiso_request *r, int run_dir_fd, struct members *m,
			int procs_fds[NSISO_CGROUP_PROCS_MAX])
{
	struct nsiso_cgroup_join join = {
		.parent = r->cgroup_parent,
		.uid = r->uid,
		.limits = &r->limits,
		.lock_dir_fd = run_dir_fd,
		.members = m->pid,
		.n_members = m->n,
		.enter = enter_members,
		.enter_arg = m,
		.lock_wait_ms = nsiso_deadline_left_ms(&open_deadline),
	};
	enum nsiso_failure failure;
	char err[512];
	size_t i;

	for (i = 0; i < NSISO_CGROUP_PROCS_MAX; i++)
		procs_fds[i] = -1;
	if (!r->use_cgroup || r->systemd_unit)
		follow_worker(m);
	if (!r->use_cgroup) {
		/* No group of ours, and no other user's either (a login from
		 * inside their session): their OOM killer must not reach us. */
		if (nsiso_cgroup_members_leave_user_memory(m->pid, m->n, err,
							   sizeof(err)) < 0)
			die("%s", err);
		return;
	}
	if (r->systemd_unit) {
		/* The application is in the slice already (pam_systemd), and the
		 * holder and reaper, its descendants, with it. */
		if (nsiso_systemd_set_limits(r->systemd_unit, &r->limits,
					     nsiso_deadline_left_ms(&open_deadline), &failure, err,
					     sizeof(err)) < 0 ||
		    nsiso_cgroup_v1_slice_tcp_limit(r->uid, r->limits.memory, &failure, err,
						    sizeof(err)) < 0)
			die_with(failure, "%s", err);
		return;
	}
	if (nsiso_cgroup_init(err, sizeof(err)) < 0)
		die_host("%s", err);
	if (nsiso_cgroup_join(&join, procs_fds, &failure, err, sizeof(err)) < 0)
		die_with(failure, "%s", err);
}

/* cgroup_mode systemd: where the user's slice is, for the numbers of
 * nsisoctl quota and the OOM watch, which read it and never write it: where
 * the application is (the module saw to that), as its /proc/PID/cgroup
 * shows it while it lives (nsiso_read_proc_of).  Not our
 * own place: a broker's worker never follows the application into a unit
 * its user can write (the user manager's user@<uid>.service), and without
 * its slice that session's reaper told the user "no limit" (a review on the
 * check-systemd VM).  "" when there is none: the session goes on without
 * numbers. */
static void find_user_slice(const struct nsiso_request *r, int caller_pidfd, char *slice,
			    size_t len)
{
	char text[8192];

	slice[0] = '\0';
	if (!r->use_cgroup || !r->systemd_unit)
		return;
	if (nsiso_read_proc_of(r->caller, caller_pidfd, "cgroup", text, sizeof(text)) <= 0 ||
	    !nsiso_systemd_user_slice_path(text, r->uid, slice, len)) {
		slice[0] = '\0';
		syslog(LOG_WARNING, "session %s: not in %s: no numbers for nsisoctl quota, no OOM "
		       "notices", r->session, r->systemd_unit);
	}
}

/* The record nsisoctl shows; the reaper removes it when the holder ends.
 * s: the reaper's session, with the holder's namespace and start time. */
static void write_record(const struct nsiso_request *r, int run_dir_fd, pid_t holder_pid,
			 const struct reaper_session *s, const char *slice)
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
	nsiso_record_set(rec.cgroup_slice, sizeof(rec.cgroup_slice), slice);
	nsiso_record_set(rec.on_logout, sizeof(rec.on_logout), r->keep_on_logout ? "keep" : "kill");
	nsiso_record_set(rec.private_tmp, sizeof(rec.private_tmp),
			 nsiso_private_tmp_name(r->private_tmp));
	nsiso_isolate_format(r->isolate, rec.isolate, sizeof(rec.isolate));
	rec.uid = r->uid;
	rec.started = (long long)time(NULL);
	rec.holder = holder_pid;
	rec.holder_start = s->holder_start;
	rec.caller = r->caller;
	rec.pidns = nsiso_own_pidns();
	rec.session_pidns = s->session_pidns;
	nsiso_record_mark_nested(run_dir_fd, rec.pidns);
	if (nsiso_record_write(run_dir_fd, &rec, err, sizeof(err)) < 0)
		die_with(errno == ENOSPC || errno == ENOMEM ? NSISO_FAIL_CRIT :
			 errno == EROFS || errno == EACCES ? NSISO_FAIL_HOST : NSISO_FAIL_DENY,
			 "%s", err);
}

/* One directory on the way to the run directory: root's, and nobody else
 * may write it unless it is sticky (/tmp), where others can neither rename
 * nor remove what is root's (nsiso_trusted_dir).  So nothing below can be
 * swapped under us.  A failure here denies whatever on_error says: a run
 * directory in a place a user controls is one the user could make fail at
 * will. */
static void check_run_dir_ancestor(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		die("run directory %s: fstat: %m", path);
	if (nsiso_trusted_dir(&st))
		return;
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0)
		die("run directory %s: a directory on its path is not owned by root", path);
	die("run directory %s: a directory on its path is writable by others", path);
}

/* Open (creating it 0711 if missing) the run directory one component at a
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
	if (mkdirat(fd, name, NSISO_RUN_DIR_MODE) != 0 && errno != EEXIST)
		die_with(errno == EROFS || errno == EACCES ? NSISO_FAIL_HOST : NSISO_FAIL_CRIT,
			 "cannot create %s: %m", path);
	child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (child < 0)
		die("cannot open %s: %s", path,
		    errno == ELOOP || errno == ENOTDIR ? "not a directory (a symbolic link?)"
						       : strerror(errno));
	close(fd);
	if (fstat(child, &st) != 0 || !nsiso_run_dir_mode_ok(&st))
		die("%s must be a directory owned by root with mode 0711 or 0700", path);
	/* Made 0700 by an older version: users must reach their quota socket.
	 * Best effort: a run directory that cannot be changed (read-only)
	 * fails the open with its real reason when the record is written. */
	if ((st.st_mode & 07777) != NSISO_RUN_DIR_MODE)
		(void)fchmod(child, NSISO_RUN_DIR_MODE);
	return child;
}

/* The reply: "ok <holder pid>", the holder's pidfd and the application's
 * way into its cgroup. */
static void reply_ok(pid_t holder_pid, int holder_pidfd, const int procs_fds[NSISO_CGROUP_PROCS_MAX])
{
	int fds[1 + NSISO_CGROUP_PROCS_MAX];
	char reply[64];
	size_t n = 0, i;

	fds[n++] = holder_pidfd;
	for (i = 0; i < NSISO_CGROUP_PROCS_MAX; i++)
		if (procs_fds[i] >= 0)
			fds[n++] = procs_fds[i];
	snprintf(reply, sizeof(reply), "ok %d", (int)holder_pid);
	if (send_reply(reply, fds, n) < 0)
		die("cannot reply to the module: %m");
}

/* The user's share of the private /tmp lock, taken before the holder is
 * made: the holder inherits it (or, made ahead, is given it) and keeps it
 * for its life, so the reaper of
 * another session of the user never removes the directories this one uses
 * (privtmp.h).  The lock is in the default run directory whatever --run-dir
 * says: the private directories are the machine's, shared by every PAM
 * service.  That directory's fd (for the reaper), or -1 without a private
 * /tmp; the locks' fds (*locks) are left open on purpose. */
static int hold_private_tmp(const struct nsiso_request *r, struct nsiso_privtmp_locks *locks)
{
	char err[256];
	int dir_fd;

	*locks = (struct nsiso_privtmp_locks){ -1, -1 };
	if (r->private_tmp == NSISO_PRIVATE_TMP_NO)
		return -1;
	dir_fd = open_run_dir(NSISO_RUN_DIR_DEFAULT);
	if (nsiso_privtmp_hold(dir_fd, r->uid, nsiso_deadline_left_ms(&open_deadline), locks, err,
			       sizeof(err)) < 0)
		die_with(errno == EROFS || errno == EACCES ? NSISO_FAIL_HOST :
			 errno == ENOSPC || errno == ENOMEM ? NSISO_FAIL_CRIT : NSISO_FAIL_DENY,
			 "%s", err);
	return dir_fd;
}

/* The session's cgroup namespace, made now that the user's group exists
 * (cgroupns.h), and handed to the holder, which joins it: the module then
 * joins the holder's namespaces. */
static void make_cgroup_namespace(const struct handover *h, const struct nsiso_request *r,
				  int caller_pidfd, const int procs_fds[NSISO_CGROUP_PROCS_MAX])
{
	struct pollfd pfd = { .fd = h->commit_fd, .events = POLLIN };
	const char ask[2] = { NSISO_SYNC_CGROUP_NS, '\0' };
	enum nsiso_failure failure;
	char answer[NSISO_REPLY_MAX], err[NSISO_REPLY_MAX - 64];
	ssize_t got;
	int ns;

	ns = nsiso_cgroupns_make(r->caller, caller_pidfd, r->uid, procs_fds,
				 nsiso_deadline_left_ms(&open_deadline), &failure, err, sizeof(err));
	if (ns < 0)
		die_with(failure, "cannot make the session's cgroup namespace: %s", err);
	if (send_with_fds(h->commit_fd, ask, &ns, 1) < 0)
		die("the session's holder went away before it joined its cgroup namespace");
	close(ns);
	if (poll(&pfd, 1, nsiso_deadline_left_ms(&open_deadline)) != 1)
		die("the session's holder did not join its cgroup namespace in time");
	got = recv(h->commit_fd, answer, sizeof(answer) - 1, 0);
	if (got <= 0)
		die("the session's holder died while joining its cgroup namespace");
	answer[got] = '\0';
	if (answer[0] != NSISO_SYNC_ACK)
		die_with(answer[0] == NSISO_SYNC_HOST_ERROR ? NSISO_FAIL_HOST : NSISO_FAIL_DENY,
			 "cannot make the session's cgroup namespace: %s", answer + 1);
}

/* The holder's session, whichever way the holder is made. */
static void holder_session_of(const struct nsiso_request *r, gid_t gid, struct holder_session *s)
{
	struct utsname host;

	*s = (struct holder_session){
		.isolate = r->isolate, .uid = r->uid, .gid = gid, .private_tmp = r->private_tmp,
		.propagation_private = r->propagation_private,
		.keep_on_logout = r->keep_on_logout, .debug = r->debug,
	};
	if (uname(&host) != 0)
		die_host("uname: %m");
	snprintf(s->session, sizeof(s->session), "%s", r->session);
	snprintf(s->hostname, sizeof(s->hostname), "%s", r->hostname);
	snprintf(s->host_nodename, sizeof(s->host_nodename), "%s", host.nodename);
	snprintf(s->host_domainname, sizeof(s->host_domainname), "%s", host.domainname);
}

/* The holder a spare made ahead, given this session; false when there is
 * none that fits (prebuilt.h), which is then dropped. */
static bool give_prebuilt_holder(struct nsiso_prebuilt *pb, const struct holder_session *s,
				 int caller_pidfd, const struct nsiso_privtmp_locks *locks,
				 struct handover *h)
{
	if (!pb || nsiso_prebuilt_give_holder(pb, s, caller_pidfd, locks) < 0)
		return false;
	*h = (struct handover){ pb->holder_ready_fd, pb->holder_commit_fd, pb->holder_pidfd,
				pb->holder_pid };
	return true;
}

/* The PID namespace of holder, our child not yet reaped (its PID cannot
 * be anyone else's); 0 if unknown. */
static unsigned long long pidns_of_child(pid_t holder)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)holder);
	return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

/* The reaper's session, whichever way the reaper is made.  The holder's
 * start time is read here once, for the record too: the holder is our
 * unreaped child, its PID its own (the reaper read it from its pidfd at
 * its start: 0.3 ms of its CPU a login, perf). */
static void reaper_session_of(const struct nsiso_request *r, const char *slice, pid_t holder,
			      struct reaper_session *s)
{
	*s = (struct reaper_session){
		.uid = r->uid, .private_tmp = r->private_tmp, .debug = r->debug,
		.session_pidns = r->isolate & NSISO_NS_PID ? pidns_of_child(holder) : 0,
		.holder_start = holder > 0 ? nsiso_process_start_time(holder) : 0,
		.holds = nsiso_reaper_holds(r->isolate),
	};
	snprintf(s->session, sizeof(s->session), "%s", r->session);
	snprintf(s->user, sizeof(s->user), "%s", r->user);
	snprintf(s->cgroup_parent, sizeof(s->cgroup_parent), "%s",
		 r->use_cgroup && !r->systemd_unit ? r->cgroup_parent : "");
	snprintf(s->cgroup_slice, sizeof(s->cgroup_slice), "%s", slice);
}

/* With a PID and a mount namespace, the session's mount namespace, for its
 * reaper to detach at the end (helper/mntns.h); opened once the holder is
 * ready (one made ahead may have copied the mount table into a new one at
 * the login), while it is our child not yet reaped.  -1 without. */
static int session_mntns(const struct nsiso_request *r, pid_t holder)
{
	int fd;

	if (!(r->isolate & NSISO_NS_PID) || !(r->isolate & NSISO_NS_MNT))
		return -1;
	fd = nsiso_mntns_of_child(holder);
	if (fd < 0)
		die_with(NSISO_FAIL_CRIT, "cannot open the session's mount namespace: %m");
	return fd;
}

/* The reaper's copy of the session's mount namespace (NSISO_SYNC_MNT_NS):
 * before the session reaches the module, so that whatever of the user's
 * can be in it, the reaper detaches. */
static void give_reaper_mntns(int reaper_sock, int mnt_ns_fd)
{
	const char step[2] = { NSISO_SYNC_MNT_NS, '\0' };

	if (mnt_ns_fd < 0)
		return;
	if (send_with_fds(reaper_sock, step, &mnt_ns_fd, 1) < 0)
		die_with(NSISO_FAIL_CRIT, "the session's reaper went away: %m");
	close(mnt_ns_fd);
}

/* The holder of a session with namespaces, made at the login or made ahead,
 * ready and handed the session (h); the first member. */
static void make_holder(const struct nsiso_request *r, gid_t gid, struct nsiso_prebuilt *pb,
			int caller_pidfd, const struct nsiso_privtmp_locks *tmp_locks,
			struct members *m, struct handover *h)
{
	struct holder_session session;

	holder_session_of(r, gid, &session);
	session.legacy_tmp_lock = tmp_locks->legacy >= 0;
	m->made_ahead[0] = give_prebuilt_holder(pb, &session, caller_pidfd, tmp_locks, h);
	if (!m->made_ahead[0])
		start_holder(&session, caller_pidfd, pb, h);
	m->pid[0] = h->holder_pid;
	m->sock[0] = h->commit_fd;
}

/* The reaper, the last member: made ahead and given the session (its word
 * that it took it comes later: nsiso_prebuilt_reaper_took()), or made now. */
static void make_reaper(struct nsiso_prebuilt *pb, const struct reaper_session *reaper,
			const int fds[4], struct members *m)
{
	size_t i = m->n - 1;

	m->pid[i] = pb ? nsiso_prebuilt_give_reaper(pb, reaper, fds) : 0;
	m->sock[i] = m->pid[i] ? pb->reaper_sock : -1;
	m->made_ahead[i] = m->pid[i] != 0;
	if (m->pid[i] == 0)
		m->pid[i] = start_reaper(reaper, fds, &m->sock[i]);
}

/* The reaper that holds the session, as the module is to know it: its
 * pidfd, opened while it is our unreaped child (its PID cannot be anyone
 * else's), and its start time for the record.  One made now first says
 * NSISO_SYNC_ACK once it has its name (nsisoctl checks it) and the
 * holder's signals (one made ahead said so to
 * nsiso_prebuilt_reaper_took()). */
static int holding_reaper_pidfd(const struct members *m, struct reaper_session *reaper)
{
	size_t i = m->n - 1;
	pid_t pid = m->pid[i];
	char why[256];
	int fd;

	if (!m->made_ahead[i] &&
	    nsiso_member_answer(m->sock[i], nsiso_deadline_left_ms(&open_deadline), why,
				sizeof(why)) < 0) {
		/* Our child, not yet reaped: its PID is its own.  Left, it
		 * would end on our EOF all the same, whenever it went on. */
		kill(pid, SIGKILL);
		die("the session's reaper did not get ready: %s", why);
	}
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		die_with(NSISO_FAIL_CRIT, "cannot open the session's reaper: %m");
	reaper->holder_start = nsiso_process_start_time(pid);
	return fd;
}

/* pb: what the broker's spare made ahead, or NULL (an exec'd helper). */
static void open_session(const struct nsiso_request *r, gid_t gid, struct nsiso_prebuilt *pb)
{
	int caller_pidfd, run_dir_fd, tmp_dir_fd, mnt_ns_fd, procs_fds[NSISO_CGROUP_PROCS_MAX];
	struct nsiso_privtmp_locks tmp_locks;
	const char done = NSISO_SYNC_DONE, commit = NSISO_SYNC_COMMIT;
	struct reaper_session reaper;
	int reaper_fds[4];	/* holder, application, run dir, private /tmp dir */
	struct handover h = { -1, -1, -1, 0 };
	const bool holds = nsiso_reaper_holds(r->isolate);	/* and the module is told of it */
	struct members members = { .n = holds ? 1 : 2, .n_follow = 0 };
	char slice[256], why[NSISO_REPLY_MAX - 16];
	size_t ri = members.n - 1;	/* the reaper's place */

	/* Born in the application's cgroups: one its user can write (su from
	 * the user's own systemd manager) would let them freeze us holding
	 * cgroup.lock, which every limited login waits for, or move or kill
	 * the holder and the reaper.  A broker's worker never enters one. */
	if (!pb && nsiso_cgroup_leave_user_reachable(r->uid, why, sizeof(why)) < 0)
		die_with(NSISO_FAIL_DENY, "%s", why);
	run_dir_fd = open_run_dir(r->run_dir);
	/* Our holder and reaper will be orphans, maybe a user's (unreaped.h). */
	if (!pb && nsiso_unreaped_check(run_dir_fd, r->uid, why, sizeof(why)) < 0)
		die_with(NSISO_FAIL_DENY, "%s", why);
	tmp_dir_fd = hold_private_tmp(r, &tmp_locks);
	caller_pidfd = open_caller_pidfd(r->caller);
	find_user_slice(r, caller_pidfd, slice, sizeof(slice));
	reaper_fds[1] = caller_pidfd;
	reaper_fds[2] = run_dir_fd;
	reaper_fds[3] = tmp_dir_fd;
	if (!holds)
		make_holder(r, gid, pb, caller_pidfd, &tmp_locks, &members, &h);
	else if (pb)
		nsiso_prebuilt_drop_holder(pb);
	reaper_fds[0] = h.holder_pidfd;
	reaper_session_of(r, slice, h.holder_pid, &reaper);
	make_reaper(pb, &reaper, reaper_fds, &members);
	if (!holds) {
		wait_for_holder(h.ready_fd);
		FAULT_POINT("helper-after-holder");
	}
	mnt_ns_fd = session_mntns(r, h.holder_pid);
	/* From the hand-over on the holder owns the session and ends it if
	 * anything below fails (die tells it), or if the module never hears of
	 * it (when the application exits); the reaper then removes the rest.
	 * A reaper that holds the session ends it on our EOF before our
	 * commit. */
	if (!holds) {
		hand_over(&h, run_dir_fd, r);
	} else {
		handed_over.run_dir_fd = run_dir_fd;
		handed_over.session = r->session;
	}
	/* The record before the cgroup: a run directory that cannot take it
	 * fails the open before anything is made in the cgroup tree.  libcgroup
	 * only now, after the clones: its 800 KiB mount table would otherwise
	 * be dirty memory in every idle holder (make bench, B2).  The holder and
	 * the reaper are our children, not yet reaped: their PIDs cannot have
	 * been reused.  A reaper that holds the session is named in it once
	 * it has taken the session (below). */
	if (!holds)
		write_record(r, run_dir_fd, h.holder_pid, &reaper, slice);
	/* A reaper made ahead is the session's only once it said so; else one
	 * is made now, before the cgroup takes the PIDs. */
	if (pb && !nsiso_prebuilt_reaper_took(pb, nsiso_deadline_left_ms(&open_deadline))) {
		members.pid[ri] = start_reaper(&reaper, reaper_fds, &members.sock[ri]);
		members.made_ahead[ri] = false;
	}
	if (holds) {
		h.holder_pidfd = holding_reaper_pidfd(&members, &reaper);
		h.holder_pid = members.pid[ri];
		write_record(r, run_dir_fd, h.holder_pid, &reaper, slice);
	}
	give_reaper_mntns(members.sock[ri], mnt_ns_fd);
	if (pb) {
		memcpy(members.follow, pb->follow, sizeof(int) * pb->n_follow);
		members.n_follow = pb->n_follow;
		pb->n_follow = 0;
	}
	join_cgroup(r, run_dir_fd, &members, procs_fds);
	nsiso_member_close_fds(members.follow, members.n_follow);
	/* An exec'd helper's reaper may set up its watch now, on the other
	 * CPU, beside our own last steps (a worker's waits for its end: there
	 * it competed with the login). */
	if (!pb)
		(void)send(members.sock[ri], &done, 1, MSG_NOSIGNAL);
	if (r->isolate & NSISO_NS_CGROUP)
		make_cgroup_namespace(&h, r, caller_pidfd, procs_fds);
	FAULT_POINT("helper-before-reply");
	reply_ok(h.holder_pid, h.holder_pidfd, procs_fds);
	/* The module has the session.  Should this write fail, the holder is
	 * gone and the module's setns() into it fails; a reaper that holds
	 * the session ends it, and the application that closes it later
	 * signals a process that is gone. */
	if (holds ? send(members.sock[ri], &commit, 1, MSG_NOSIGNAL) != 1 :
		    write(h.commit_fd, &done, 1) != 1)
		syslog(LOG_ERR, "session %s: its %s went away during setup", r->session,
		       holds ? "reaper" : "holder");
	/* A broker's worker has no exit status the module could read. */
	if (given_caller_pidfd >= 0)
		(void)send_reply(NSISO_BROKER_DONE, NULL, 0);
	if (r->debug)
		syslog(LOG_DEBUG, "session %s for %s set up", r->session, r->user);
	_exit(0);
}

/* A request the broker vouched for (broker.h), in its worker. */
__attribute__((noreturn))
static void open_for_broker(struct nsiso_request *r, int caller_pidfd, struct nsiso_prebuilt *pb)
{
	/* (Its worker's own bound runs since the connection, and from
	 * "taken" on the module's budget: broker.c serve().) */
	nsiso_deadline_in(&open_deadline, NSISO_HELPER_BUDGET_MS);
	have_channel = true;
	given_caller_pidfd = caller_pidfd;
	open_session(r, validate_request(r), pb);
	_exit(0);
}

/* ---- scope: a systemd scope for the application ----------------------- */

/* nsiso-helper scope --user NAME --uid UID --caller PID --session ID: once
 * out of every cgroup a user can reach, say "ready"; the application then
 * connects to the system bus (never speaking on it) and sends the
 * connection; ask systemd over it for a scope of the session's in the
 * user's slice for the application (nsiso_systemd_enter_scope_over()),
 * which also ends it, and answer "ok".  In a cgroup of the user's, they
 * could freeze us holding the connection, counted against root (threat
 * model S10). */
__attribute__((noreturn))
static void run_scope(const struct nsiso_request *r)
{
	struct pollfd pfd = { .fd = NSISO_CHANNEL_FD, .events = POLLIN };
	char why[NSISO_REPLY_MAX - 16], unit[64], description[160], word[8];
	enum nsiso_failure failure;
	size_t n_fds = 0;
	int fd = -1;

	/* A bound of our own: our caller, who would kill us at its deadline,
	 * may be stopped, and sd-bus waits up to 90 s for a bus that stalls
	 * the authentication.  SIGALRM ends us (sanitize_signals()). */
	alarm(2 * NSISO_SYSTEMD_TIMEOUT_MS / 1000 + 2);
	(void)validate_identity(r, "scope");
	if (nsiso_cgroup_leave_user_reachable(r->uid, why, sizeof(why)) < 0)
		die("%s", why);
	if (send_reply("ready", NULL, 0) < 0)
		die("cannot reply to the module: %m");
	/* Made and sent at once once we said so. */
	if (poll(&pfd, 1, NSISO_SYSTEMD_TIMEOUT_MS) != 1 ||
	    nsiso_recv_fds(NSISO_CHANNEL_FD, word, sizeof(word), &fd, 1, &n_fds, NULL) != 2 ||
	    n_fds != 1 || memcmp(word, "fd", 2) != 0) {
		if (n_fds == 1)
			close(fd);
		die("scope: no system-bus connection from the module");
	}
	snprintf(unit, sizeof(unit), NSISO_SYSTEMD_SCOPE_PREFIX "%s.scope", r->session);
	snprintf(description, sizeof(description), "pam_nsiso session %s of %s", r->session,
		 r->user);
	if (nsiso_systemd_enter_scope_over(fd, r->caller, unit, r->uid, description, &failure,
					   why, sizeof(why)) < 0)
		die_with(failure, "%s", why);
	if (send_reply("ok", NULL, 0) < 0)
		die("cannot reply to the module: %m");
	_exit(0);
}

/* nsiso-helper broker [--socket PATH]; socket activation when systemd
 * passed one (the LISTEN_ variables, read before the environment went). */
static int run_broker(int argc, char **argv, const char *listen_pid, const char *listen_fds)
{
	const char *path = NSISO_BROKER_SOCKET;
	char err[256];
	int fd = -1;

	if (argc == 4 && strcmp(argv[2], "--socket") == 0)
		path = argv[3];
	else if (argc != 2) {
		usage(stderr);
		return 2;
	}
	if (listen_pid && listen_fds) {
		fd = nsiso_broker_activated_fd(listen_pid, listen_fds, err, sizeof(err));
		if (fd < 0) {
			syslog(LOG_ERR, "broker: %s", err);
			fprintf(stderr, "nsiso-helper: broker: %s\n", err);
			return 1;
		}
	} else if (have_channel) {
		close(NSISO_CHANNEL_FD);	/* not ours to answer on */
	}
	have_channel = false;
	return nsiso_broker_main(path, fd, open_for_broker);
}

/* A copy of an environment variable, taken before clearenv(). */
static const char *env_copy(const char *name, char *buf, size_t len)
{
	const char *value = getenv(name);

	if (!value || strlen(value) >= len)
		return NULL;
	memcpy(buf, value, strlen(value) + 1);
	return buf;
}

int main(int argc, char **argv)
{
	struct nsiso_request request;
	char pid_buf[24], fds_buf[24];
	const char *listen_pid, *listen_fds;

	nsiso_deadline_in(&open_deadline, NSISO_HELPER_BUDGET_MS);
	listen_pid = env_copy("LISTEN_PID", pid_buf, sizeof(pid_buf));
	listen_fds = env_copy("LISTEN_FDS", fds_buf, sizeof(fds_buf));
	sanitize_process();
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("nsiso-helper %s\n", NSISO_VERSION);
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "open") != 0 && strcmp(argv[1], "broker") != 0 &&
			 strcmp(argv[1], "scope") != 0)) {
		usage(stderr);
		return 2;
	}
	if (privilege != PRIV_ROOT && strcmp(argv[1], "broker") == 0) {
		fprintf(stderr, "nsiso-helper: broker: must be run by root\n");
		return 1;
	}
	if (strcmp(argv[1], "broker") == 0)
		return run_broker(argc, argv, listen_pid, listen_fds);
	if (privilege != PRIV_ROOT) {
		syslog(LOG_WARNING, "refused: run by uid %u, not by pam_nsiso as root",
		       (unsigned)getuid());
		die("refused: only pam_nsiso, running as root, may use '%s'", argv[1]);
	}
	if (!have_channel)
		die("refused: fd %d is not pam_nsiso's reply channel", NSISO_CHANNEL_FD);
	parse_args(argc, argv, &request);
	own_and_wipe(&request, argc, argv);
	if (strcmp(argv[1], "scope") == 0) {
		/* Its four options and nothing else. */
		if (argc != 10)
			die("scope takes --user, --uid, --caller and --session, and nothing else");
		run_scope(&request);
	}
	open_session(&request, validate_request(&request), NULL);
	return 0;
}
