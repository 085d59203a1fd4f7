/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsbench: the timers behind bench/run.sh.  Never installed.
 *
 *   nsbench exec  [-n RUNS] [-w WARM] LABEL CMD ARG... ::: LABEL CMD ARG... :::
 *       fork+exec+wait each command RUNS times after WARM warm-up runs, all
 *       commands interleaved, in a new order each round (a shuffle with a
 *       fixed seed): drift of the machine hits every command alike, and so
 *       does what one command leaves behind (a broker refilling its spares,
 *       a session's teardown), as no command always follows the same one.
 *       -i IDLE_MS: wait that long before each run (not timed), as
 *       between real logins.
 *       -l LINK: a LABEL may be LABEL=TARGET; before each run of it (not
 *       timed), LINK becomes a symlink to TARGET (made beside it, renamed
 *       over it).  One sshd, its PAM file switched between logins: two
 *       sshd instances with the same stack differ by up to 4% here.
 *   nsbench pam   [-n RUNS] [-w WARM] [-i IDLE_MS] [-c CONFDIR] USER SERVICE...
 *       like pamtester USER open_session close_session, but timing
 *       pam_open_session and pam_close_session separately; one forked
 *       child per session (as sshd's monitor), services interleaved as
 *       above.
 *       -i waits IDLE_MS before each session, as between real logins
 *       (back to back, the kernel keeps some locks in their fast mode).
 *   nsbench hold  [-c CONFDIR] [-g CGROUP.PROCS] SERVICE N USER...
 *       open N sessions one after the other, for the USERs in turn (one
 *       child each, as sshd's
 *       monitor), print "ready N" and hold them until SIGTERM/SIGINT; then
 *       every child closes its session and exits (also if nsbench itself is
 *       killed: the children see EOF on a pipe).  -g moves each child into
 *       that cgroup just before pam_open_session.
 *   nsbench mount [-n N] DIR
 *       mount and unmount a tmpfs on DIR N times.
 *   nsbench exits
 *       the CPU time of every process that ends on the machine from now
 *       until SIGTERM/SIGINT, from the kernel's exit record (taskstats),
 *       summed by its command name: prints "listening", then at the end
 *       one line per name, NAME<TAB>processes<TAB>cpu_us, and
 *       "lost<TAB>N": how often records were dropped (the kernel's queue
 *       ran over) or could not be counted (too short, or more than 256
 *       names), so that a sum that misses some says so.
 *
 * Every timing line is printed as
 *   LABEL<TAB>n<TAB>median<TAB>p10<TAB>p90<TAB>mean<TAB>min<TAB>max
 * in microseconds.  A failed command or session is fatal: a benchmark of
 * something that did not work means nothing. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <security/pam_appl.h>

__attribute__((noreturn, format(printf, 1, 2)))
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("nsbench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array; the median averages the two
 * middle samples of an even count. */
static double percentile(const double *v, size_t n, double p)
{
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

static void print_stats(const char *label, double *v, size_t n)
{
	double sum = 0, median;
	size_t i;

	if (n == 0) {
		printf("%s\t0\t0\t0\t0\t0\t0\t0\n", label);
		return;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	for (i = 0; i < n; i++)
		sum += v[i];
	median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("%s\t%zu\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\n", label, n, median,
	       percentile(v, n, 10), percentile(v, n, 90), sum / (double)n, v[0], v[n - 1]);
	fflush(stdout);
}

static long parse_count(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 10000000)
		die("invalid %s '%s'", what, s);
	return v;
}

/* Wait ms milliseconds (none for 0): the idle time before a run, as
 * between real logins. */
static void idle(long ms)
{
	struct timespec left = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&left, &left) != 0 && errno == EINTR)
		;
}

/* ---- exec ------------------------------------------------------------- */

struct command {
	const char *label;
	const char *target;	/* -l: what LINK names before each run, or NULL */
	char **argv;
	double *samples;
	size_t n;
};

static double run_once(const struct command *c, int devnull)
{
	double t0 = now_us(), t1;
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execvp(c->argv[0], c->argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	t1 = now_us();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("%s: '%s' failed (status 0x%x)", c->label, c->argv[0], status);
	return t1 - t0;
}

/* LINK now names TARGET: a symlink beside it, renamed over it, so that
 * whoever opens LINK sees the old target or the new, never none. */
static void point_link(const char *link, const char *target)
{
	char tmp[4096];

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.nsbench", link) >= sizeof(tmp))
		die("-l: path too long: %s", link);
	if (unlink(tmp) < 0 && errno != ENOENT)
		die("unlink %s: %s", tmp, strerror(errno));
	if (symlink(target, tmp) < 0)
		die("symlink %s: %s", tmp, strerror(errno));
	if (rename(tmp, link) < 0)
		die("rename %s to %s: %s", tmp, link, strerror(errno));
}

/* order[0..n) shuffled anew (Fisher-Yates, xorshift64 from *seed). */
static void shuffle(size_t *order, size_t n, unsigned long long *seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n; i > 1; i--) {
		size_t j, t;

		*seed ^= *seed << 13;
		*seed ^= *seed >> 7;
		*seed ^= *seed << 17;
		j = (size_t)(*seed % i);
		t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
}

#define SHUFFLE_SEED 0x9e3779b97f4a7c15ULL

static int cmd_exec(int argc, char **argv)
{
	unsigned long long seed = SHUFFLE_SEED;
	size_t order[16];
	struct command cmds[16];
	size_t ncmd = 0, i, k;
	long runs = 500, warm = 20, round, idle_ms = 0;
	const char *link = NULL;
	int opt, devnull;

	while ((opt = getopt(argc, argv, "+n:w:i:l:")) != -1) {
		if (opt == 'n')
			runs = parse_count(optarg, "-n");
		else if (opt == 'w')
			warm = parse_count(optarg, "-w");
		else if (opt == 'i')
			idle_ms = parse_count(optarg, "-i");
		else if (opt == 'l')
			link = optarg;
		else
			die("usage: nsbench exec [-n RUNS] [-w WARM] [-i IDLE_MS] [-l LINK] "
			    "LABEL[=TARGET] CMD... ::: ...");
	}
	for (i = (size_t)optind; i < (size_t)argc;) {
		size_t start = i;

		if (ncmd == 16)
			die("too many commands");
		while (i < (size_t)argc && strcmp(argv[i], ":::") != 0)
			i++;
		if (i - start < 2)
			die("each command needs a label and a program");
		argv[i < (size_t)argc ? i : (size_t)argc] = NULL;	/* ends this argv */
		cmds[ncmd] = (struct command){ .label = argv[start], .argv = &argv[start + 1] };
		if (link && strchr(argv[start], '=')) {
			char *eq = strchr(argv[start], '=');

			*eq = '\0';
			cmds[ncmd].target = eq + 1;
		}
		cmds[ncmd].samples = calloc((size_t)runs + 1, sizeof(double));
		if (!cmds[ncmd].samples)
			die("out of memory");
		ncmd++;
		i++;
	}
	if (ncmd == 0)
		die("no command");
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (round = 0; round < warm + runs; round++) {
		shuffle(order, ncmd, &seed);
		for (k = 0; k < ncmd; k++) {
			struct command *c = &cmds[order[k]];
			double t;

			if (c->target)
				point_link(link, c->target);
			idle(idle_ms);
			t = run_once(c, devnull);

			if (round >= warm)
				c->samples[c->n++] = t;
		}
	}
	for (k = 0; k < ncmd; k++)
		print_stats(cmds[k].label, cmds[k].samples, cmds[k].n);
	return 0;
}

/* ---- pam -------------------------------------------------------------- */

static int null_conv(int n, const struct pam_message **msg, struct pam_response **resp,
		     void *data)
{
	(void)n;
	(void)msg;
	(void)resp;
	(void)data;
	return PAM_CONV_ERR;
}

static pam_handle_t *start_pam(const char *confdir, const char *service, const char *user)
{
	static const struct pam_conv conv = { null_conv, NULL };
	pam_handle_t *pamh = NULL;
	int ret = confdir ? pam_start_confdir(service, user, &conv, confdir, &pamh)
			  : pam_start(service, user, &conv, &pamh);

	if (ret != PAM_SUCCESS)
		return NULL;
	return pamh;
}

/* One session in a fresh child: writes {open_us, close_us} to fd, or
 * exits non-zero. */
__attribute__((noreturn))
static void timed_session(const char *confdir, const char *service, const char *user, int fd)
{
	pam_handle_t *pamh = start_pam(confdir, service, user);
	double t[3];
	int ret;

	if (!pamh)
		_exit(2);
	t[0] = now_us();
	ret = pam_open_session(pamh, 0);
	t[1] = now_us();
	if (ret != PAM_SUCCESS) {
		fprintf(stderr, "nsbench: %s: open_session: %s\n", service, pam_strerror(pamh, ret));
		_exit(3);
	}
	ret = pam_close_session(pamh, 0);
	t[2] = now_us();
	if (ret != PAM_SUCCESS) {
		fprintf(stderr, "nsbench: %s: close_session: %s\n", service, pam_strerror(pamh, ret));
		_exit(4);
	}
	pam_end(pamh, PAM_SUCCESS);
	{
		double d[2] = { t[1] - t[0], t[2] - t[1] };

		if (write(fd, d, sizeof(d)) != (ssize_t)sizeof(d))
			_exit(5);
	}
	_exit(0);
}

static int cmd_pam(int argc, char **argv)
{
	const char *confdir = NULL, *user;
	long runs = 300, warm = 20, round, idle_ms = 0;
	double *open_us[16], *close_us[16];
	unsigned long long seed = SHUFFLE_SEED;
	size_t nsvc, k, n = 0, order[16];
	int opt;

	while ((opt = getopt(argc, argv, "+n:w:i:c:")) != -1) {
		if (opt == 'n')
			runs = parse_count(optarg, "-n");
		else if (opt == 'w')
			warm = parse_count(optarg, "-w");
		else if (opt == 'i')
			idle_ms = parse_count(optarg, "-i");
		else if (opt == 'c')
			confdir = optarg;
		else
			die("usage: nsbench pam [-n RUNS] [-w WARM] [-i IDLE_MS] [-c CONFDIR] USER SERVICE...");
	}
	if (argc - optind < 2 || argc - optind > 17)
		die("usage: nsbench pam [-n RUNS] [-w WARM] [-i IDLE_MS] [-c CONFDIR] USER SERVICE...");
	user = argv[optind];
	nsvc = (size_t)(argc - optind - 1);
	for (k = 0; k < nsvc; k++) {
		open_us[k] = calloc((size_t)runs + 1, sizeof(double));
		close_us[k] = calloc((size_t)runs + 1, sizeof(double));
		if (!open_us[k] || !close_us[k])
			die("out of memory");
	}
	for (round = 0; round < warm + runs; round++) {
		shuffle(order, nsvc, &seed);
		for (k = 0; k < nsvc; k++) {
			size_t s = order[k];
			const char *service = argv[optind + 1 + (int)s];
			double d[2];
			int p[2], status;
			pid_t pid;

			idle(idle_ms);
			if (pipe2(p, O_CLOEXEC) != 0)
				die("pipe: %s", strerror(errno));
			fflush(NULL);
			pid = fork();
			if (pid < 0)
				die("fork: %s", strerror(errno));
			if (pid == 0) {
				close(p[0]);
				timed_session(confdir, service, user, p[1]);
			}
			close(p[1]);
			if (read(p[0], d, sizeof(d)) != (ssize_t)sizeof(d))
				d[0] = -1;
			close(p[0]);
			while (waitpid(pid, &status, 0) < 0)
				if (errno != EINTR)
					die("waitpid: %s", strerror(errno));
			if (d[0] < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
				die("%s: session %ld failed (status 0x%x)", service, round, status);
			if (round >= warm) {
				open_us[s][n + 0] = d[0];	/* n advances after the round */
				close_us[s][n + 0] = d[1];
			}
		}
		if (round >= warm)
			n++;
	}
	for (k = 0; k < nsvc; k++) {
		char label[256];

		snprintf(label, sizeof(label), "%s open", argv[optind + 1 + (int)k]);
		print_stats(label, open_us[k], n);
		snprintf(label, sizeof(label), "%s close", argv[optind + 1 + (int)k]);
		print_stats(label, close_us[k], n);
	}
	return 0;
}

/* ---- hold ------------------------------------------------------------- */

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void join_cgroup(const char *procs)
{
	char text[32];
	int fd = open(procs, O_WRONLY | O_CLOEXEC);

	snprintf(text, sizeof(text), "%d", (int)getpid());
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		_exit(6);
	close(fd);
}

/* A held session: open, send the open time on ready_fd, wait for EOF on
 * go_fd, close, exit. */
__attribute__((noreturn))
static void held_session(const char *confdir, const char *cgroup_procs, const char *service,
			 const char *user, int ready_fd, int go_fd)
{
	pam_handle_t *pamh = start_pam(confdir, service, user);
	double t0, t;
	char byte;
	int ret;

	if (!pamh)
		_exit(2);
	if (cgroup_procs)
		join_cgroup(cgroup_procs);
	t0 = now_us();
	ret = pam_open_session(pamh, 0);
	t = now_us() - t0;
	if (ret != PAM_SUCCESS) {
		fprintf(stderr, "nsbench: hold: open_session: %s\n", pam_strerror(pamh, ret));
		_exit(3);
	}
	if (write(ready_fd, &t, sizeof(t)) != (ssize_t)sizeof(t))
		_exit(5);
	close(ready_fd);
	for (;;) {
		ssize_t r = read(go_fd, &byte, 1);

		if (r == 0 || (r < 0 && errno != EINTR))
			break;
	}
	ret = pam_close_session(pamh, 0);
	pam_end(pamh, ret);
	_exit(ret == PAM_SUCCESS ? 0 : 4);
}

static int cmd_hold(int argc, char **argv)
{
	const char *confdir = NULL, *cgroup_procs = NULL, *service;
	char **users;
	int nusers;
	struct sigaction sa = { .sa_handler = on_stop };
	double *open_us;
	pid_t *pids;
	long n, i, opened = 0;
	int opt, go[2], failed = 0;
	sigset_t stop_set, old_set;

	while ((opt = getopt(argc, argv, "+c:g:")) != -1) {
		if (opt == 'c')
			confdir = optarg;
		else if (opt == 'g')
			cgroup_procs = optarg;
		else
			die("usage: nsbench hold [-c CONFDIR] [-g CGROUP.PROCS] SERVICE N USER...");
	}
	if (argc - optind < 3)
		die("usage: nsbench hold [-c CONFDIR] [-g CGROUP.PROCS] SERVICE N USER...");
	service = argv[optind];
	n = parse_count(argv[optind + 1], "N");
	users = &argv[optind + 2];
	nusers = argc - optind - 2;
	pids = calloc((size_t)n + 1, sizeof(*pids));
	open_us = calloc((size_t)n + 1, sizeof(*open_us));
	if (!pids || !open_us)
		die("out of memory");
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGTERM);
	sigaddset(&stop_set, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(go, O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
	for (i = 0; i < n && !stop_requested; i++) {
		int ready[2];
		ssize_t got;

		if (pipe2(ready, O_CLOEXEC) != 0) {
			fprintf(stderr, "nsbench: hold: pipe: %s\n", strerror(errno));
			failed = 1;
			break;
		}
		fflush(NULL);
		pids[i] = fork();
		if (pids[i] == 0) {
			close(go[1]);
			close(ready[0]);
			held_session(confdir, cgroup_procs, service, users[i % nusers], ready[1],
				     go[0]);
		}
		close(ready[1]);
		if (pids[i] < 0) {
			close(ready[0]);
			fprintf(stderr, "nsbench: hold: fork: %s\n", strerror(errno));
			failed = 1;
			break;
		}
		opened++;
		do
			got = read(ready[0], &open_us[i], sizeof(open_us[i]));
		while (got < 0 && errno == EINTR);
		close(ready[0]);
		if (got != (ssize_t)sizeof(open_us[i])) {
			fprintf(stderr, "nsbench: hold: session %ld did not open\n", i);
			failed = 1;
			break;
		}
	}
	if (!failed && !stop_requested) {
		printf("ready %ld\n", n);
		print_stats("hold open", open_us, (size_t)n);
		/* Held until TERM or INT. */
		sigprocmask(SIG_BLOCK, &stop_set, &old_set);
		while (!stop_requested)
			sigsuspend(&old_set);
		sigprocmask(SIG_SETMASK, &old_set, NULL);
	}
	close(go[1]);	/* every child sees EOF and closes its session */
	for (i = 0; i < opened; i++) {
		int status;

		while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	}
	printf("released %ld\n", opened);
	return failed ? 1 : 0;
}

/* ---- mount ------------------------------------------------------------ */

static int cmd_mount(int argc, char **argv)
{
	long n = 200, i;
	double *v;
	int opt;

	while ((opt = getopt(argc, argv, "+n:")) != -1) {
		if (opt == 'n')
			n = parse_count(optarg, "-n");
		else
			die("usage: nsbench mount [-n N] DIR");
	}
	if (argc - optind != 1)
		die("usage: nsbench mount [-n N] DIR");
	v = calloc((size_t)n + 1, sizeof(*v));
	if (!v)
		die("out of memory");
	for (i = 0; i < n; i++) {
		double t0 = now_us();

		if (mount("nsiso-bench", argv[optind], "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") != 0)
			die("mount %s: %s", argv[optind], strerror(errno));
		if (umount2(argv[optind], 0) != 0)
			die("umount %s: %s", argv[optind], strerror(errno));
		v[i] = now_us() - t0;
	}
	print_stats("mount+umount", v, (size_t)n);
	return 0;
}

/* ---- exits ------------------------------------------------------------ */

/* Generic netlink, just enough for taskstats: one request, then the
 * kernel's messages, each a header and attributes. */
struct genl_request {
	struct nlmsghdr n;
	struct genlmsghdr g;
	/* cppcheck-suppress unusedStructMember ; put_attr() writes here */
	char attrs[256];
};

static void put_attr(struct genl_request *r, unsigned short type, const void *data,
		     size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->n.nlmsg_len));

	if (NLMSG_ALIGN(r->n.nlmsg_len) + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(*r))
		die("exits: request too long");
	a->nla_type = type;
	a->nla_len = (unsigned short)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void genl_send(int fd, unsigned short family, unsigned char cmd, unsigned short attr,
		      const void *data, size_t len)
{
	struct genl_request r = {
		.n = { .nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN), .nlmsg_type = family,
		       .nlmsg_flags = NLM_F_REQUEST },
		.g = { .cmd = cmd, .version = 1 },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	put_attr(&r, attr, data, len);
	if (sendto(fd, &r, r.n.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		die("exits: netlink send: %s", strerror(errno));
}

/* The first attribute of type in [at, end), or NULL. */
static const struct nlattr *find_attr(const char *at, const char *end, unsigned short type)
{
	while (at + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)at;

		if (a->nla_len < NLA_HDRLEN || at + a->nla_len > end)
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		at += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

static const char *attr_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static const char *attr_end(const struct nlattr *a)
{
	return (const char *)a + a->nla_len;
}

static unsigned short taskstats_family(int fd)
{
	char buf[4096];
	const struct nlmsghdr *n = (const struct nlmsghdr *)buf;
	const struct nlattr *id;
	ssize_t got;

	genl_send(fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME,
		  TASKSTATS_GENL_NAME, sizeof(TASKSTATS_GENL_NAME));
	got = recv(fd, buf, sizeof(buf), 0);
	if (got < 0 || !NLMSG_OK(n, (size_t)got) || n->nlmsg_type == NLMSG_ERROR)
		die("exits: no taskstats in this kernel (CONFIG_TASKSTATS)");
	id = find_attr((const char *)NLMSG_DATA(n) + GENL_HDRLEN, buf + n->nlmsg_len,
		       CTRL_ATTR_FAMILY_ID);
	if (!id)
		die("exits: the kernel named no taskstats family id");
	return *(const unsigned short *)attr_data(id);
}

#define EXIT_NAMES_MAX 256

struct exit_sum {
	char comm[TS_COMM_LEN];
	unsigned long count;
	unsigned long long cpu_ns;
};

static struct exit_sum exit_sums[EXIT_NAMES_MAX];
static size_t n_exit_sums;

/* False when there is no place left for a new name: a record not counted. */
static bool count_exit(const struct taskstats *t)
{
	size_t i;

	for (i = 0; i < n_exit_sums; i++)
		if (strncmp(exit_sums[i].comm, t->ac_comm, TS_COMM_LEN) == 0)
			break;
	if (i == n_exit_sums) {
		if (n_exit_sums == EXIT_NAMES_MAX)
			return false;
		memcpy(exit_sums[n_exit_sums++].comm, t->ac_comm, TS_COMM_LEN);
	}
	exit_sums[i].count++;
	exit_sums[i].cpu_ns += t->cpu_run_virtual_total;
	return true;
}

/* One message: false if it held a record that could not be counted.  A
 * process's record (TASKSTATS_TYPE_AGGR_PID), or a whole
 * thread group's, sent besides when a group of several threads ends
 * (TASKSTATS_TYPE_AGGR_TGID): per process, the threads' records are what
 * is counted, once each. */
static bool take_message(const struct nlmsghdr *n)
{
	const char *body = (const char *)NLMSG_DATA(n) + GENL_HDRLEN;
	const struct nlattr *aggr, *stats;
	struct taskstats t;
	size_t len;

	aggr = find_attr(body, (const char *)n + n->nlmsg_len, TASKSTATS_TYPE_AGGR_PID);
	if (!aggr)
		return true;
	stats = find_attr(attr_data(aggr), attr_end(aggr), TASKSTATS_TYPE_STATS);
	if (!stats || stats->nla_len < NLA_HDRLEN + offsetof(struct taskstats, cpu_run_virtual_total) +
					   sizeof(t.cpu_run_virtual_total))
		return false;
	/* An older or newer kernel's struct: the fields up to ours match. */
	len = (size_t)stats->nla_len - NLA_HDRLEN;
	memset(&t, 0, sizeof(t));
	memcpy(&t, attr_data(stats), len < sizeof(t) ? len : sizeof(t));
	return count_exit(&t);
}

static int cmd_exits(int argc, char **argv)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	struct sigaction sa = { .sa_handler = on_stop };
	char cpus[64], buf[65536];
	unsigned long lost = 0;
	unsigned short family;
	int fd, size = 8 << 20;
	size_t i;

	(void)argv;
	if (argc != 1)
		die("usage: nsbench exits");
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) != 0)
		die("exits: netlink: %s", strerror(errno));
	/* Exits come in bursts (a session's teardown): room for thousands. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	family = taskstats_family(fd);
	snprintf(cpus, sizeof(cpus), "0-%ld", sysconf(_SC_NPROCESSORS_CONF) - 1);
	genl_send(fd, family, TASKSTATS_CMD_GET, TASKSTATS_CMD_ATTR_REGISTER_CPUMASK, cpus,
		  strlen(cpus) + 1);
	printf("listening\n");
	while (!stop_requested) {
		ssize_t got = recv(fd, buf, sizeof(buf), 0);
		const struct nlmsghdr *n = (const struct nlmsghdr *)buf;
		size_t left;

		if (got < 0) {
			if (errno == ENOBUFS)
				lost++;
			else if (errno != EINTR)
				die("exits: netlink receive: %s", strerror(errno));
			continue;
		}
		for (left = (size_t)got; NLMSG_OK(n, left); n = NLMSG_NEXT(n, left)) {
			if (n->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(n);

				if (e->error != 0)
					die("exits: the kernel refused to report exits: %s",
					    strerror(-e->error));
			} else if (n->nlmsg_type == family && !take_message(n)) {
				lost++;
			}
		}
	}
	for (i = 0; i < n_exit_sums; i++)
		printf("%.*s\t%lu\t%llu\n", TS_COMM_LEN, exit_sums[i].comm, exit_sums[i].count,
		       exit_sums[i].cpu_ns / 1000);
	printf("lost\t%lu\n", lost);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: nsbench exec|pam|hold|mount|exits ...");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[1], "exec") == 0)
		return cmd_exec(argc - 1, argv + 1);
	if (strcmp(argv[1], "pam") == 0)
		return cmd_pam(argc - 1, argv + 1);
	if (strcmp(argv[1], "hold") == 0)
		return cmd_hold(argc - 1, argv + 1);
	if (strcmp(argv[1], "mount") == 0)
		return cmd_mount(argc - 1, argv + 1);
	if (strcmp(argv[1], "exits") == 0)
		return cmd_exits(argc - 1, argv + 1);
	die("unknown command '%s'", argv[1]);
}
