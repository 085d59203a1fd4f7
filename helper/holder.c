/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The holder is PID 1 of the session's PID namespace (when there is one) and
 * lives in the session's UTS, IPC, mount (and network) namespaces.
 *
 * Why a separate process and not unshare() in the PAM application: in sshd,
 * session open runs in the [priv] monitor just before it forks the user's
 * child; after unshare(CLONE_NEWPID) that child would become PID 1 and the
 * namespace would die with it.  The holder keeps the namespaces alive, the
 * module setns()es the application into them, and the user's shell is
 * PID 2 or 3 under the holder.
 *
 * The holder is not the application's child (the helper that made it exits
 * at once, so it is reparented to init): sshd never waits for it, and it never
 * waits for sshd, except through a pidfd that tells it when the application
 * is gone. */
#include "holder.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "../common/cgroup.h"
#include "../common/fdpass.h"
#include "../common/conf.h"
#include "../common/deadline.h"
#include "../common/proto.h"
#include "../common/textfile.h"
#include "faults.h"
#include "member.h"
#include "nscharge.h"
#include "privtmp.h"

struct holder_state {
	const struct holder_config *config;
	int signal_fd;
	bool closed;		/* logout, or the application is gone */
	bool caller_gone;
	bool caller_back;	/* the close came from the application, back
				 * in its own namespaces: it needs ours no more */
	bool killing;		/* closed with on_logout kill, or killed */
	struct nsiso_deadline back_grace;	/* from then: see session_over() */
};

/* A failure that the host's set-up explains (the kernel or a mount refuses)
 * versus one a user's load could cause (out of memory). */
static char failure_byte(int e)
{
	return e == ENOMEM || e == ENOSPC || e == EAGAIN ? NSISO_SYNC_ERROR : NSISO_SYNC_HOST_ERROR;
}

/* msg: the kind byte, then the reason. */
__attribute__((noreturn))
static void report_failure(const struct holder_config *c, const char *msg)
{
	if (write(c->ready_fd, msg, strlen(msg)) < 0)
		_exit(1);
	_exit(1);
}

/* kind: NSISO_SYNC_ERROR or NSISO_SYNC_HOST_ERROR as the caller decided,
 * or 0 to tell by errno (failure_byte()). */
__attribute__((noreturn, format(printf, 3, 4)))
static void setup_failed_as(const struct holder_config *c, char kind, const char *fmt, ...)
{
	char msg[NSISO_REPLY_MAX];
	va_list ap;

	msg[0] = kind;
	if (kind == 0)
		msg[0] = failure_byte(errno);
	va_start(ap, fmt);
	vsnprintf(msg + 1, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	report_failure(c, msg);
}

/* The kind told by errno. */
#define setup_failed(c, ...) setup_failed_as((c), 0, __VA_ARGS__)

static int bring_up_loopback(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (ret == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

/* The user's own /tmp and /var/tmp (privtmp.h), before any process of the
 * user is in the namespace.  A failure denies the login unless the host's
 * set-up explains it: anything a user can plant in /tmp must not be a way to
 * a login without isolation under on_error allow. */
static void mount_private_tmp(const struct holder_config *c)
{
	char why[NSISO_REPLY_MAX - 32];
	bool host = false;

	if (FAULT_FAILS("holder-private-tmp"))
		setup_failed_as(c, NSISO_SYNC_ERROR, "private /tmp: fault injected");
	if (nsiso_privtmp_mount(c->s.uid, &host, why, sizeof(why)) != 0)
		setup_failed_as(c, host ? NSISO_SYNC_HOST_ERROR : NSISO_SYNC_ERROR,
				"private /tmp: %s", why);
}

/* A mount the copy of the host's table brought that belongs to another PID
 * or IPC namespace: a proc mount lists the processes of the PID namespace
 * that mounted it (a chroot's /proc on the host: every host process), an
 * mqueue mount holds the message queues of the IPC namespace that mounted
 * it (/dev/mqueue on systemd hosts: the host's queues, and through them
 * those of every other session; an attacker review of 7e05936 passed
 * messages from one user's session to another's so).  One at or below
 * /proc is on the host's proc, which our own covers: out of reach. */
struct foreign_mounts {
	int found, err;
};

static void detach_foreign(const char *point, void *arg)
{
	struct foreign_mounts *f = arg;

	if (strcmp(point, "/proc") == 0 || strncmp(point, "/proc/", 6) == 0)
		return;
	f->found++;
	if (umount2(point, MNT_DETACH | UMOUNT_NOFOLLOW) != 0 && f->err == 0)
		f->err = errno;
}

/* Every such mount of fstypes detached, a round at a time (what was
 * stacked on one goes first): 0, or -1 with errno when one stays. */
static int detach_foreign_mounts(const char *const *fstypes)
{
	struct foreign_mounts f = { 0, 0 };
	int round;

	for (round = 0; round < 4; round++) {
		f = (struct foreign_mounts){ 0, 0 };
		if (nsiso_each_mount_of_type(-1, fstypes, detach_foreign, &f) != 0)
			return -1;
		if (f.found == 0)
			return 0;
	}
	errno = f.err ? f.err : EBUSY;
	return -1;
}

/* With the mount namespace: no proc mount but ours with the PID namespace,
 * no mqueue mount but a fresh /dev/mqueue (where the host has one) with
 * the IPC namespace.  A user who can rename a directory above such a
 * mount of root's can make a detach miss it: a failure is theirs. */
static void own_proc_and_mqueue(const struct holder_config *c)
{
	const char *types[3] = { NULL, NULL, NULL };
	bool ipc = c->s.isolate & NSISO_NS_IPC;
	size_t n = 0;

	if (!(c->s.isolate & NSISO_NS_MNT))
		return;
	if (c->s.isolate & NSISO_NS_PID)
		types[n++] = "proc";
	if (ipc)
		types[n++] = "mqueue";
	if (n > 0 && (FAULT_FAILS("holder-foreign-mounts") || detach_foreign_mounts(types) != 0))
		setup_failed_as(c, NSISO_SYNC_ERROR, "cannot detach the host's %s mounts: %m",
				ipc ? "proc and mqueue" : "proc");
	/* An mqueue instance belongs to the IPC namespace of whoever mounts
	 * it, as proc does to the PID namespace. */
	if (ipc && access("/dev/mqueue", F_OK) == 0 &&
	    mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		setup_failed_as(c, NSISO_SYNC_ERROR, "cannot mount a private /dev/mqueue: %m");
}

/* The part of the session's view that no session changes: called as PID 1,
 * inside the new namespaces, by a holder made ahead before it has a session
 * (prebuilt.h) and by every other holder first; again by one made ahead
 * whose copy of the mount table is out of date (copy_mounts_again()).
 * kind: what a failure is (NSISO_SYNC_ERROR: a user brought us here), or 0
 * to tell by errno. */
static void build_common(const struct holder_config *c, char kind)
{
	/* First cut the mount namespace off from the host: without this, the
	 * proc mount below would propagate back to the host's /proc.  Slave
	 * here; a session that asks for private gets it in build_session(). */
	if ((c->s.isolate & NSISO_NS_MNT) && mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0)
		setup_failed_as(c, kind, "cannot make / slave: %m");
	/* A proc instance belongs to the PID namespace of whoever mounts it, so
	 * it must be mounted from in here. */
	if ((c->s.isolate & NSISO_NS_PID) &&
	    (FAULT_FAILS("holder-proc") ||
	     mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0))
		setup_failed_as(c, kind, "cannot mount a fresh /proc: %m");
	own_proc_and_mqueue(c);
	/* POSIX shared memory and semaphores are files in /dev/shm, not IPC
	 * namespace objects: a session with its own IPC gets its own. */
	if ((c->s.isolate & (NSISO_NS_IPC | NSISO_NS_MNT)) == (NSISO_NS_IPC | NSISO_NS_MNT) &&
	    access("/dev/shm", F_OK) == 0 &&
	    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0)
		setup_failed_as(c, kind, "cannot mount a private /dev/shm: %m");
	if ((c->s.isolate & NSISO_NS_NET) && bring_up_loopback() != 0)
		setup_failed_as(c, kind, "cannot bring up lo: %m");
}

/* A holder made ahead copied the host's mount table when it was made: a
 * mount made on the host since then on a mount point that does not
 * propagate (a private one, or a user's FUSE mount) is not in its copy.
 * Copy the table again: into the host's mount namespace (host_mnt_fd, the
 * worker's own) and at once out of it into a new one, then the mounts of
 * build_common() in there.  The old copy goes with its last member, us.
 * Cheaper than a holder made at the login, which would keep for its whole
 * life the private copies of the worker's pages (about 200 KiB). */
static void copy_mounts_again(const struct holder_config *c, int host_mnt_fd)
{
	/* A user's mount brings us here: whatever fails, here or in
	 * build_common(), on_error allow must not let the login through
	 * unisolated. */
	if (FAULT_FAILS("holder-remount"))
		setup_failed_as(c, NSISO_SYNC_ERROR,
				"cannot copy the host's mount table again: fault injected");
	if (setns(host_mnt_fd, CLONE_NEWNS) != 0 || nsiso_unshare_charged(CLONE_NEWNS, c->s.uid) != 0)
		setup_failed_as(c, NSISO_SYNC_ERROR, "cannot copy the host's mount table again: %m");
	close(host_mnt_fd);
	build_common(c, NSISO_SYNC_ERROR);
	if (c->s.debug)
		syslog(LOG_DEBUG, "session %s: holder copied the mount table again", c->s.session);
}

/* The session's own part: propagation, private /tmp, names. */
static void build_session(const struct holder_config *c)
{
	const char *name = c->s.hostname[0] ? c->s.hostname : c->s.host_nodename;
	const char *domain = c->s.host_domainname;
	struct utsname now;

	if ((c->s.isolate & NSISO_NS_MNT) && c->s.propagation_private &&
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		setup_failed(c, "cannot make / private: %m");
	if (c->s.private_tmp != NSISO_PRIVATE_TMP_NO)
		mount_private_tmp(c);
	if (!(c->s.isolate & NSISO_NS_UTS))
		return;
	/* Only what differs from the copy: at the login a copy is the
	 * host's, and the domain name of one made ahead rarely changes. */
	if (uname(&now) != 0)
		setup_failed(c, "uname: %m");
	if (strcmp(now.nodename, name) != 0 && sethostname(name, strlen(name)) != 0)
		setup_failed(c, "cannot set host name %s: %m", name);
	if (strcmp(now.domainname, domain) != 0 && setdomainname(domain, strlen(domain)) != 0)
		setup_failed(c, "cannot set the domain name: %m");
}

static int make_signal_fd(void)
{
	sigset_t set;

	nsiso_holder_signals(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	/* Blocked signals are queued even for a namespace's PID 1, so root
	 * outside can still tell us to close; users cannot signal a root
	 * process at all. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Wait for the helper's word that the module has the session. */
static bool read_byte(int fd, char want)
{
	char byte = 0;
	ssize_t n;

	do
		n = read(fd, &byte, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 && byte == want;
}

/* ---- the cgroup namespace -------------------------------------------- */

/* The session's cgroup namespace, made by the helper (helper/cgroupns.h),
 * joined through the fd it sends.  0, or -1 with kind and reason. */
static int join_cgroup_namespace(int fd, char *kind, char *why, size_t len)
{
	if (setns(fd, CLONE_NEWCGROUP) == 0)
		return 0;
	*kind = failure_byte(errno);
	snprintf(why, len, "setns: %s", strerror(errno));
	return -1;
}

/* On cgroup v2, a cgroup2 mount made from inside the namespace shows only
 * its root: the session's /sys/fs/cgroup is the user's own group, and no
 * other user's group can even be named from the session.  Mounted from
 * inside on purpose: a mount from the host's cgroup namespace without
 * options would reset the hierarchy's global options (nsdelegate,
 * memory_recursiveprot).  The host's mount goes first (in our mount
 * namespace only): the kernel refuses the same file system twice on one
 * mount point (EBUSY).  v1 hierarchies stay the host's (see
 * nsiso.conf(5)). */
static int mount_own_cgroup2(const struct holder_config *c, char *kind, char *why, size_t len)
{
	if (!(c->s.isolate & NSISO_NS_MNT) || nsiso_cgroup_detect_version() != NSISO_CGROUP_V2)
		return 0;
	if (umount2("/sys/fs/cgroup", MNT_DETACH) == 0 &&
	    mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == 0)
		return 0;
	*kind = failure_byte(errno);
	snprintf(why, len, "cannot mount the session's /sys/fs/cgroup: %s", strerror(errno));
	return -1;
}

/* Join the session's cgroup namespace, whose fd the helper sent with
 * NSISO_SYNC_CGROUP_NS, and answer (NSISO_SYNC_ACK, or a failure byte and
 * the reason).  False when there is no session to go on with. */
static bool make_cgroup_namespace(const struct holder_config *c, int fd)
{
	char answer[NSISO_REPLY_MAX] = "", kind = NSISO_SYNC_ERROR;
	bool ok;

	ok = !FAULT_FAILS("holder-cgroup-ns") &&
	     join_cgroup_namespace(fd, &kind, answer + 1, sizeof(answer) - 1) == 0 &&
	     mount_own_cgroup2(c, &kind, answer + 1, sizeof(answer) - 1) == 0;
	if (!ok && !answer[1])
		snprintf(answer + 1, sizeof(answer) - 1, "fault injected");
	answer[0] = kind;
	if (ok)
		answer[0] = NSISO_SYNC_ACK;
	return send(c->commit_fd, answer, ok ? 1 : strlen(answer), MSG_NOSIGNAL) > 0 && ok;
}

/* One of the helper's steps after the hand-over, with its fds:
 * NSISO_SYNC_JOIN (member.h) and, with isolate cgroup, NSISO_SYNC_CGROUP_NS
 * (one fd).  False for anything else, or when it failed. */
static bool take_step(const struct holder_config *c, char step, const int *fds, size_t n,
		      bool *in_cgroupns)
{
	if (step == NSISO_SYNC_JOIN)
		return nsiso_member_join(c->commit_fd, fds, n);
	if (step == NSISO_SYNC_CGROUP_NS && n == 1 && (c->s.isolate & NSISO_NS_CGROUP) &&
	    !*in_cgroupns)
		return (*in_cgroupns = make_cgroup_namespace(c, fds[0]));
	return false;
}

/* The hand-over: NSISO_SYNC_COMMIT (take the session; we answer
 * NSISO_SYNC_ACK and the helper builds the cgroup and the record), the
 * steps of take_step() (with isolate cgroup, the namespace is one we must
 * have had), then NSISO_SYNC_DONE once the module has the session.  EOF
 * before that - the helper failed, died or was killed - means the module
 * never got it. */
static bool wait_for_commit(const struct holder_config *c)
{
	const char ack = NSISO_SYNC_ACK;
	bool ok = read_byte(c->commit_fd, NSISO_SYNC_COMMIT) && write(c->ready_fd, &ack, 1) == 1;
	bool in_cgroupns = false, done = false;
	int fds[NSISO_FDPASS_MAX];
	size_t n = 0;
	char step;

	close(c->ready_fd);
	while (ok && !done) {
		ok = nsiso_member_next_step(c->commit_fd, &step, fds, &n);
		done = ok && step == NSISO_SYNC_DONE;
		if (ok && !done)
			ok = take_step(c, step, fds, n, &in_cgroupns);
		ok = ok && !(done && n > 0);	/* DONE comes alone */
		nsiso_member_close_fds(fds, n);
	}
	close(c->commit_fd);
	return ok && (in_cgroupns || !(c->s.isolate & NSISO_NS_CGROUP));
}

static void reap_children(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* The state letter of a /proc/.../stat file (the field after the command's
 * last ')'), 0 if the process or thread is gone, '?' if it cannot be told. */
static char stat_state(const char *path)
{
	char stat[1024];
	const char *at;
	ssize_t n = nsiso_read_text(path, stat, sizeof(stat));

	if (n <= 0)
		return n < 0 && (errno == ENOENT || errno == ESRCH) ? '\0' : '?';
	at = strrchr(stat, ')');
	if (!at || at[1] != ' ' || !at[2])
		return '?';
	return at[2];
}

static bool is_over(char state)
{
	return state == 0 || state == 'Z' || state == 'X';
}

/* Whether match(dir, name) holds for an entry of the /proc directory fd,
 * read with getdents64() into a buffer on the stack: opendir()'s 32 KiB
 * buffer took a page fault per page it filled (0.2-1 ms in traces).  fd is
 * closed.  1 found, 0 not, -1 the directory could not be read to its end. */
static int find_entry(int fd, const char *dir, bool (*match)(const char *dir, const char *name))
{
	char buf[2048] __attribute__((aligned(8)));
	bool found = false;
	ssize_t n = 0;

	while (!found && (n = getdents64(fd, buf, sizeof(buf))) > 0) {
		ssize_t at;

		for (at = 0; !found && at < n;) {
			const struct dirent64 *entry = (const struct dirent64 *)(buf + at);

			found = match(dir, entry->d_name);
			at += entry->d_reclen;
		}
	}
	close(fd);
	return found ? 1 : n < 0 ? -1 : 0;
}

static bool is_live_thread(const char *dir, const char *name)
{
	char path[sizeof("/proc//task//stat") + 512];

	if (name[0] < '0' || name[0] > '9')
		return false;
	snprintf(path, sizeof(path), "%s/%s/stat", dir, name);
	return !is_over(stat_state(path));
}

/* Whether a thread of the process is not over: read one by one, since a
 * thread that a process outside the session traces stays a zombie (and is
 * counted) until its tracer reaps it, which a user can keep from happening;
 * such a process has nothing left to kill (a review of eebdf68 had one keep
 * a holder sending kill(-1) every 100 ms). */
static bool has_live_thread(const char *pid)
{
	char dir[sizeof("/proc//task") + 256];
	int fd;

	snprintf(dir, sizeof(dir), "/proc/%s/task", pid);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT && errno != ESRCH;
	return find_entry(fd, dir, is_live_thread) != 0;
}

/* A zombie is over: it has no memory, no cgroup, nothing left to kill.  One
 * whose parent is outside the namespace (sshd's child of the monitor, a
 * pam_exec child of a killed application) is reaped by the host's init,
 * whenever that gets to it: the session's end must not wait for that.  A
 * leader that called pthread_exit() also shows as a zombie: that process
 * is alive while one of its other threads is.  From /proc/PID/stat: status
 * has its State: and Threads: lines apart, the second after Groups:, which a
 * user's many supplementary groups (newgidmap in a user namespace) push
 * beyond any buffer (an attacker review of 0690e9c: 1000 groups, Threads:
 * at byte 7199, read as a zombie). */
static bool is_live_process(const char *pid)
{
	char path[sizeof("/proc//stat") + 256];
	char state;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	state = stat_state(path);
	if (state == 'Z' || state == 'X')
		return has_live_thread(pid);
	return state != 0;
}

/* When our /proc cannot be read: the kernel's walk of every process of the
 * host, zombies counted. */
static bool kernel_sees_others(void)
{
	return !(kill(-1, 0) < 0 && errno == ESRCH);
}

/* Whether a directory entry of our /proc is another process than us, alive. */
static bool is_other_live_process(const char *dir, const char *name)
{
	(void)dir;
	return name[0] >= '1' && name[0] <= '9' && strcmp(name, "1") != 0 &&
	       strspn(name, "0123456789") == strlen(name) && is_live_process(name);
}

/* True while any process but us is alive in our PID namespace.  The holder's
 * /proc is the session's, so every numeric entry but "1" is such a process.
 * This costs what our namespace holds; kill(-1, 0), which this used to ask
 * first, walks every process of the host (perf over B3's opens: about 1 ms
 * of CPU a logout with 1000 sessions on the host, 10 times what it cost
 * with none). */
static bool others_alive(void)
{
	int fd, found;

	/* holder-look:fail stands for a look that finds nothing alive. */
	if (FAULT_FAILS("holder-look"))
		return false;
	fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kernel_sees_others();
	found = find_entry(fd, "/proc", is_other_live_process);
	return found == 1 || (found < 0 && kernel_sees_others());
}

static bool has_pid_namespace(const struct holder_state *s)
{
	return (s->config->s.isolate & NSISO_NS_PID) != 0;
}

/* Logout (or the application died).  With on_logout kill, every process of
 * the session gets SIGKILL, from session_over() right after this: as PID 1,
 * kill(-1) reaches exactly our namespace, in one step that no fork escapes,
 * but only once a look at our /proc finds a process alive: in the usual
 * logout the user's processes ended before the close, and kill(-1) walks
 * every process of the host to find that out.  nsisoctl kill sends it at
 * once, without a look that a process could escape (one that fools it, or
 * is born behind it), since the application, still alive, may be waiting
 * for that process.  Never without a PID namespace: kill(-1) would then
 * hit the host. */
static void close_session(struct holder_state *s, bool force)
{
	if (s->closed && !force)
		return;
	s->closed = true;
	s->killing = has_pid_namespace(s) && (force || s->killing || !s->config->s.keep_on_logout);
	if (force && s->killing)
		kill(-1, SIGKILL);
}

/* The module's close says the application is back in its own namespaces
 * (proto.h).  Only root can signal us at all (users cannot signal a root
 * process), and root could as well end the session outright: the word needs
 * no check of who sent it. */
bool nsiso_says_caller_back(const struct signalfd_siginfo *info)
{
	return info->ssi_signo == NSISO_CLOSE_SIGNAL && info->ssi_code == SI_QUEUE &&
	       info->ssi_int == NSISO_CLOSE_CALLER_BACK;
}

void nsiso_holder_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, NSISO_CLOSE_SIGNAL);
	sigaddset(set, NSISO_KILL_SIGNAL);
}

static void handle_signals(struct holder_state *s)
{
	struct signalfd_siginfo info;

	while (read(s->signal_fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
		if (info.ssi_signo == SIGCHLD) {
			reap_children();
		} else if (info.ssi_signo == NSISO_CLOSE_SIGNAL) {
			if (nsiso_says_caller_back(&info) && !s->caller_back) {
				s->caller_back = true;
				nsiso_deadline_in(&s->back_grace, NSISO_CALLER_BACK_GRACE_MS);
			}
			close_session(s, false);
		} else if (info.ssi_signo == NSISO_KILL_SIGNAL) {
			close_session(s, true);	/* nsisoctl kill */
		}
		/* SIGHUP/SIGINT/SIGQUIT: ignored, the session outlives them. */
	}
}

/* Over once closed, every process of the session gone and the application
 * gone: one that is still in our namespaces could not fork once our PID
 * namespace is dead.  An application that closed from its own namespaces
 * is waited for only NSISO_CALLER_BACK_GRACE_MS: sshd's monitor exits right
 * after its close, and our end then does not compete with its exit; an
 * application that lives on (a display manager) does not keep the session. */
static bool caller_released(const struct holder_state *s)
{
	return s->caller_gone || (s->caller_back && nsiso_deadline_left_ms(&s->back_grace) == 0);
}

/* Killing, each look (right after the close, then at every wake-up while
 * we drain) that finds a process alive sends kill(-1, SIGKILL): one that
 * an earlier look missed dies at the next.  Whatever is left when we end
 * dies with our PID namespace. */
static bool session_over(const struct holder_state *s)
{
	bool alive;

	if (!s->closed || !has_pid_namespace(s))
		return s->closed && caller_released(s);
	if (!s->killing && !caller_released(s))
		return false;
	alive = others_alive();
	if (alive && s->killing)
		kill(-1, SIGKILL);
	return !alive && caller_released(s);
}

/* Until the session is over (or poll() itself failed). */
static void run_session(struct holder_state *s)
{
	const struct holder_config *c = s->config;

	while (!session_over(s)) {
		struct pollfd fds[2] = {
			{ .fd = s->signal_fd, .events = POLLIN },
			{ .fd = s->caller_gone ? -1 : c->caller_pidfd, .events = POLLIN },
		};
		/* While draining, look again now and then: the last process of
		 * the session need not be our child (sshd's child is the
		 * monitor's), so no SIGCHLD need come. */
		int timeout = s->closed ? 100 : -1;

		if (poll(fds, 2, timeout) < 0 && errno != EINTR)
			return;
		if (fds[0].revents & POLLIN)
			handle_signals(s);
		if (fds[1].revents & (POLLIN | POLLHUP)) {
			/* The application is gone, with or without a close:
			 * either way nobody will end this session but us. */
			s->caller_gone = true;
			close_session(s, false);
		}
		reap_children();
	}
}

/* From here on housekeeping: a wake-up (a child's end, the close, the
 * application's exit) must not preempt the process that caused it, above
 * all the application in the middle of its close: SCHED_BATCH runs at the
 * same weight as any process but never preempts on a wake-up; an idle CPU
 * still takes it at once.  Best effort. */
void nsiso_be_background(void)
{
	const struct sched_param param = { .sched_priority = 0 };

	(void)sched_setscheduler(0, SCHED_BATCH, &param);
}

void nsiso_protect_from_oom(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, "-1000", 5) != 5 && errno != EACCES)
		syslog(LOG_DEBUG, "cannot set oom_score_adj: %m");
	close(fd);
}

void nsiso_part_done(bool debug, const char *session, const char *part)
{
	if (debug)
		syslog(LOG_DEBUG, "session %s: %s done", session, part);
	_exit(0);
}

void nsiso_keep_only_fds(const int *keep, size_t n)
{
	int fd, high = 2;
	size_t i;

	/* syslog's socket goes first, through libc, and comes back at the next
	 * line: closed behind its back, its number is soon another file's,
	 * which libc would write log lines to (an attacker review of 7cf8c2a
	 * had an answerer send one to a user's quota client) or close on a
	 * failed send (an OFD lock's file). */
	closelog();
	openlog(NSISO_LOG_IDENT, LOG_PID, LOG_AUTHPRIV);

	for (i = 0; i < n; i++)
		if (keep[i] > high)
			high = keep[i];
	for (fd = 3; fd <= high; fd++) {
		bool kept = false;

		for (i = 0; i < n; i++)
			kept = kept || keep[i] == fd;
		if (!kept)
			close(fd);
	}
	if (syscall(SYS_close_range, high + 1, ~0U, 0) != 0)
		for (fd = high + 1; fd < 1024; fd++)
			close(fd);
}

void nsiso_detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

/* What every holder does first: its name, its own session, no terminal. */
static void start_holder(const char *name)
{
	prctl(PR_SET_NAME, name);
	nsiso_protect_from_oom();
	/* Leave the login's session and terminal: a hangup there is not ours. */
	setsid();
	nsiso_detach_stdio();
}

/* Built: say so, then hold the session until it is over. */
__attribute__((noreturn))
static void serve(const struct holder_config *c)
{
	struct holder_state s = { .config = c, .signal_fd = -1 };

	s.signal_fd = make_signal_fd();
	if (s.signal_fd < 0)
		setup_failed(c, "cannot set up signals: %m");
	if (write(c->ready_fd, &(char){ NSISO_SYNC_READY }, 1) != 1)
		_exit(1);
	/* Built: from here on each of our wake-ups (the commit, the module's
	 * having the session) comes from the helper in the middle of its
	 * login, which must not lose its CPU to us: at the last one the
	 * module waits for the helper's word after ours (a broker's worker:
	 * open p90 1.7 ms, p50 0.07 ms from its reply to that word). */
	nsiso_be_background();
	FAULT_POINT("holder-before-commit");
	if (!wait_for_commit(c)) {
		/* The helper died or failed before handing the session over
		 * (so the module never got it): end at once.  The reaper removes
		 * the record and, once the application is gone, the cgroup. */
		s.closed = true;
		s.caller_gone = true;
		s.killing = has_pid_namespace(&s);
		if (s.killing)
			kill(-1, SIGKILL);
	}
	/* Our mount namespace's tree is detached by the reaper once we are
	 * gone (reaper.c), not here: the unmount waits for an RCU grace
	 * period, which took up to 2 ms of every teardown on a busy host. */
	run_session(&s);
	nsiso_part_done(c->s.debug, c->s.session, "holder");
}

static size_t fds_wanted(const void *session)
{
	const struct holder_session *s = session;

	bool tmp = s->private_tmp != NSISO_PRIVATE_TMP_NO;

	return 1 + tmp + (tmp && s->legacy_tmp_lock) + s->remount;
}

/* The session, from the maker: false on EOF or anything malformed.  The
 * fds: the application's pidfd, the private /tmp locks (kept open, never
 * used) and the host's mount namespace, the last -1 when not sent. */
static bool receive_session(int sock, struct holder_session *s, int *caller_pidfd,
			    int *host_mnt_fd)
{
	const char *const texts[] = { s->session, s->hostname, s->host_nodename,
				      s->host_domainname };
	const size_t sizes[] = { sizeof(s->session), sizeof(s->hostname),
				 sizeof(s->host_nodename), sizeof(s->host_domainname) };
	int fds[4];

	if (!nsiso_recv_struct(sock, s, sizeof(*s), fds, 4, fds_wanted, texts, sizes, 4))
		return false;
	*caller_pidfd = fds[0];
	*host_mnt_fd = s->remount ? fds[fds_wanted(s) - 1] : -1;
	return true;
}

void holder_prebuilt_main(unsigned isolate, int ready_fd, int commit_fd)
{
	struct holder_config c = { .s.isolate = isolate, .ready_fd = ready_fd,
				   .commit_fd = commit_fd };
	struct holder_session s;
	const int keep[2] = { ready_fd, commit_fd };
	int host_mnt_fd;

	/* Nothing of the spare's may live on here: above all not the
	 * broker's listening socket. */
	nsiso_keep_only_fds(keep, 2);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	start_holder("nsiso-idle-hold");
	build_common(&c, 0);
	if (!receive_session(commit_fd, &s, &c.caller_pidfd, &host_mnt_fd))
		_exit(0);
	/* Not ours to serve: the maker checks this before it gives one. */
	if ((s.isolate | NSISO_NS_CGROUP) != (isolate | NSISO_NS_CGROUP) ||
	    (s.remount && !(isolate & NSISO_NS_MNT)))
		_exit(1);
	/* Ours now: it outlives the worker that gave it. */
	(void)prctl(PR_SET_PDEATHSIG, 0);
	prctl(PR_SET_NAME, "nsiso-holder");
	c.s = s;
	if (s.remount)
		copy_mounts_again(&c, host_mnt_fd);
	build_session(&c);
	serve(&c);
}

void holder_main(const struct holder_config *c)
{
	start_holder("nsiso-holder");
	/* The module's channel belongs to the helper, not to us. */
	close(NSISO_CHANNEL_FD);
	build_common(c, 0);
	build_session(c);
	serve(c);
}
