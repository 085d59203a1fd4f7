/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
#include "systemd_bus.h"
#include "systemd.h"
#include "deadline.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

/* Where sd-bus's default address puts the system bus.  The scope's
 * connection is made in the PAM application (su, atd), whose environment
 * is not ours to follow. */
#define SYSTEM_BUS_SOCKET "/run/dbus/system_bus_socket"

/*
 * libsystemd is loaded when a session first needs the bus (cgroup_mode
 * systemd), not linked: linked, the loader mapped and relocated it and the
 * libraries it pulls in (libgcrypt, liblzma, libzstd, liblz4, libcap) at
 * every exec of the helper and every load of the module, on every login, on
 * hosts that never use it.  By its soname, from the loader's system paths
 * only: the helper runs with an empty environment, and in a set-id caller
 * the loader ignores LD_LIBRARY_PATH for dlopen as it does at start-up.
 */
#define LIBSYSTEMD "libsystemd.so.0"

static struct {
	int (*open_system)(sd_bus **bus);
	int (*bus_new)(sd_bus **bus);
	int (*set_fd)(sd_bus *bus, int input_fd, int output_fd);
	int (*set_bus_client)(sd_bus *bus, int b);
	int (*start)(sd_bus *bus);
	int (*get_unique_name)(sd_bus *bus, const char **unique);
	sd_bus *(*flush_close_unref)(sd_bus *bus);
	int (*new_method_call)(sd_bus *bus, sd_bus_message **m, const char *destination,
			       const char *path, const char *interface, const char *member);
	int (*append)(sd_bus_message *m, const char *types, ...);
	int (*open_container)(sd_bus_message *m, char type, const char *contents);
	int (*close_container)(sd_bus_message *m);
	int (*read)(sd_bus_message *m, const char *types, ...);
	sd_bus_message *(*message_unref)(sd_bus_message *m);
	int (*call)(sd_bus *bus, sd_bus_message *m, uint64_t usec, sd_bus_error *ret_error,
		    sd_bus_message **reply);
	void (*error_free)(sd_bus_error *e);
} sd;

static char sd_load_error[160];
static enum nsiso_failure sd_load_failure = NSISO_FAIL_HOST;

/* Each symbol by its exact name; one missing one fails the whole table. */
static void *sd_sym(void *lib, const char *name)
{
	void *f = dlsym(lib, name);

	if (!f && !sd_load_error[0])
		snprintf(sd_load_error, sizeof(sd_load_error), "%s has no %s", LIBSYSTEMD, name);
	return f;
}

static void sd_load_once(void)
{
	/* RTLD_NODELETE: the pointers stay valid for the process's life. */
	void *lib = dlopen(LIBSYSTEMD, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	const char *why;

	if (!lib) {
		why = dlerror();
		snprintf(sd_load_error, sizeof(sd_load_error), "cannot load %s: %s", LIBSYSTEMD,
			 why ? why : "unknown error");
		/* Only a library that is not there is the host's set-up.  The
		 * module loads it in the application, whose rlimits a user may
		 * have set (su): out of fds or address space must not become
		 * a failure on_error allow lets through.  dlerror() words the
		 * errno as strerror() does, in the same locale. */
		if (!why || !strstr(why, strerror(ENOENT)))
			sd_load_failure = NSISO_FAIL_DENY;
		return;
	}
	*(void **)&sd.open_system = sd_sym(lib, "sd_bus_open_system");
	*(void **)&sd.bus_new = sd_sym(lib, "sd_bus_new");
	*(void **)&sd.set_fd = sd_sym(lib, "sd_bus_set_fd");
	*(void **)&sd.set_bus_client = sd_sym(lib, "sd_bus_set_bus_client");
	*(void **)&sd.start = sd_sym(lib, "sd_bus_start");
	*(void **)&sd.get_unique_name = sd_sym(lib, "sd_bus_get_unique_name");
	*(void **)&sd.flush_close_unref = sd_sym(lib, "sd_bus_flush_close_unref");
	*(void **)&sd.new_method_call = sd_sym(lib, "sd_bus_message_new_method_call");
	*(void **)&sd.append = sd_sym(lib, "sd_bus_message_append");
	*(void **)&sd.open_container = sd_sym(lib, "sd_bus_message_open_container");
	*(void **)&sd.close_container = sd_sym(lib, "sd_bus_message_close_container");
	*(void **)&sd.read = sd_sym(lib, "sd_bus_message_read");
	*(void **)&sd.message_unref = sd_sym(lib, "sd_bus_message_unref");
	*(void **)&sd.call = sd_sym(lib, "sd_bus_call");
	*(void **)&sd.error_free = sd_sym(lib, "sd_bus_error_free");
}

/* 0 once every function is there; else -1 with the reason.  A host without
 * libsystemd (or with one too old for a function) has no systemd to talk
 * to: the host's set-up; any other failure to load it denies. */
static int sd_load(enum nsiso_failure *failure, char *err, size_t len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, sd_load_once);
	if (!sd_load_error[0])
		return 0;
	*failure = sd_load_failure;
	snprintf(err, len, "systemd: %s", sd_load_error);
	return -1;
}

/* No bus at all where we connect (no dbus on this host, nothing listening
 * on its socket): the host's set-up.  Anything else (a time-out, a
 * refusal, a full bus, a connection dropped) could be a user's doing: deny.
 * Above all "not connected" once connected: dbus-daemon drops the oldest
 * of its 64 connections that have not authenticated yet when one more
 * comes, and any user can open such connections; were that the host's,
 * on_error allow would let the login through unisolated and unlimited. */
static enum nsiso_failure connect_failure_of(int r)
{
	return r == -ENOENT || r == -ECONNREFUSED ? NSISO_FAIL_HOST : NSISO_FAIL_DENY;
}

static int open_bus(sd_bus **bus, enum nsiso_failure *failure, char *err, size_t len)
{
	int r;

	if (sd_load(failure, err, len) < 0)
		return -1;
	r = sd.open_system(bus);
	if (r < 0) {
		*failure = connect_failure_of(r);
		snprintf(err, len, "cannot connect to the system bus: %s", strerror(-r));
		return -1;
	}
	return 0;
}

/* One method call, answered within timeout_ms (at least 1: sd-bus takes 0
 * as its own default of 25 s); its reply in *reply when asked for. */
static int call_for(sd_bus *bus, sd_bus_message *m, const char *what, int timeout_ms,
		    sd_bus_message **reply, enum nsiso_failure *failure, char *err, size_t len)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *answer = NULL;
	uint64_t usec = (uint64_t)(timeout_ms > 0 ? timeout_ms : 1) * 1000;
	int r = sd.call(bus, m, usec, &error, &answer);

	if (r < 0) {
		*failure = NSISO_FAIL_DENY;	/* connected: whatever fails is not the host's */
		snprintf(err, len, "systemd: %s: %s", what,
			 error.message ? error.message : strerror(-r));
	}
	sd.error_free(&error);
	if (r >= 0 && reply)
		*reply = answer;
	else
		sd.message_unref(answer);
	return r < 0 ? -1 : 0;
}

static int call(sd_bus *bus, sd_bus_message *m, const char *what, int timeout_ms,
		enum nsiso_failure *failure, char *err, size_t len)
{
	return call_for(bus, m, what, timeout_ms, NULL, failure, err, len);
}

/* Whether systemd itself counts this process in the unit whose object path
 * is want: GetUnitByPID(0), the sender by the bus's credentials.  systemd
 * runs one thing at a time, and moves a scope's process into every
 * hierarchy in one step of its start job: an answer to a call sent after
 * the kernel showed the move comes after the whole move, the v1
 * controllers' too (on a hybrid host systemd moves them after the unified
 * one, and a helper forked in between would be charged to the groups the
 * process came from).  A name is not proof: a user with a delegated subtree
 * can make a cgroup named like the scope and move su there first. */
static bool systemd_says_in(sd_bus *bus, const char *want, int timeout_ms)
{
	enum nsiso_failure ignored;
	sd_bus_message *m = NULL, *reply = NULL;
	const char *got = NULL;
	char err[8];
	bool in = false;

	if (sd.new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
			       "GetUnitByPID") >= 0 &&
	    sd.append(m, "u", (uint32_t)0) >= 0 &&
	    call_for(bus, m, "GetUnitByPID", timeout_ms, &reply, &ignored, err, sizeof(err)) == 0 &&
	    sd.read(reply, "o", &got) >= 0)
		in = got && strcmp(got, want) == 0;
	sd.message_unref(reply);
	sd.message_unref(m);
	return in;
}

/* systemd moves the PIDs when the scope's start job runs, which may be just
 * after the call returns: look until the kernel says so of app and then
 * systemd does too, bounded.  The kernel by the scope's own name (its id is
 * new to this open): from inside a session the path is relative to the
 * session's cgroup namespace and names no slice.  Then systemd, by the
 * unit's object path (see systemd_says_in). */
static int wait_until_in(sd_bus *bus, pid_t app, const char *unit)
{
	const struct timespec tick = { 0, 1000000L };	/* 1 ms */
	struct nsiso_deadline deadline;
	char want[256];
	int left;

	if (nsiso_systemd_unit_object_path(unit, want, sizeof(want)) < 0)
		return -1;
	nsiso_deadline_in(&deadline, NSISO_SYSTEMD_TIMEOUT_MS);
	while ((left = nsiso_deadline_left_ms(&deadline)) > 0) {
		if (nsiso_systemd_pid_in_unit(app, unit) && systemd_says_in(bus, want, left))
			return 0;
		nanosleep(&tick, NULL);
	}
	return -1;
}

/* The scope's one process: PID 0, which systemd reads as "the sender",
 * from the bus's credentials of the connection: the PID of the process that
 * connected it (the kernel's, in systemd's PID namespace).  Never a PID we
 * name: inside a session that is a PID of the session's namespace, and
 * systemd would move the host's process of that number (a user's su could
 * aim it at sshd) into the user's slice. */
static int append_scope(sd_bus_message *m, const char *unit, const char *slice,
			const char *description)
{
	int r = sd.append(m, "ss", unit, "fail");

	if (r >= 0)
		r = sd.open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = sd.append(m, "(sv)(sv)(sv)(sv)", "Slice", "s", slice,
					  "Description", "s", description,
					  "PIDs", "au", 1, (uint32_t)0,
					  "CollectMode", "s", "inactive-or-failed");
	if (r >= 0)
		r = sd.close_container(m);
	if (r >= 0)
		r = sd.append(m, "a(sa(sv))", 0);
	return r;
}

int nsiso_systemd_connect(int *fd, enum nsiso_failure *failure, char *err, size_t len)
{
	const struct timespec tick = { 0, 1000000L };	/* 1 ms */
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct nsiso_deadline deadline;
	int r;

	*failure = NSISO_FAIL_DENY;
	if (sd_load(failure, err, len) < 0)
		return -1;
	*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (*fd < 0) {
		snprintf(err, len, "cannot connect to the system bus: socket: %s", strerror(errno));
		return -1;
	}
	memcpy(addr.sun_path, SYSTEM_BUS_SOCKET, sizeof(SYSTEM_BUS_SOCKET));
	/* A full backlog (EAGAIN) is tried again, bounded: never a wait the
	 * user can make endless by filling it. */
	nsiso_deadline_in(&deadline, NSISO_SYSTEMD_TIMEOUT_MS);
	while ((r = connect(*fd, (struct sockaddr *)&addr, sizeof(addr))) != 0 &&
	       (errno == EAGAIN || errno == EINTR) && nsiso_deadline_left_ms(&deadline) > 0)
		nanosleep(&tick, NULL);
	if (r == 0)
		return 0;
	*failure = connect_failure_of(-errno);
	snprintf(err, len, "cannot connect to the system bus: %s", strerror(errno));
	close(*fd);
	*fd = -1;
	return -1;
}

/* A client of the bus over fd, authenticated and named by the bus (its
 * Hello answered).  *bus is set once it owns fd, even when starting it
 * fails. */
static int bus_over(int fd, sd_bus **bus, char *err, size_t len)
{
	sd_bus *b = NULL;
	int r = sd.bus_new(&b);

	if (r >= 0 && (r = sd.set_fd(b, fd, fd)) < 0)
		sd.flush_close_unref(b);
	if (r < 0) {
		snprintf(err, len, "systemd: cannot set up the bus connection: %s", strerror(-r));
		return -1;
	}
	*bus = b;
	r = sd.set_bus_client(b, 1);
	if (r >= 0)
		r = sd.start(b);
	if (r >= 0)
		r = sd.get_unique_name(b, &(const char *){ NULL });
	if (r < 0) {
		snprintf(err, len, "systemd: cannot start the bus connection: %s", strerror(-r));
		return -1;
	}
	return 0;
}

/* app still our parent, checked once the bus is ready and right before the
 * call: systemd reads PID 0 as the PID the connection was made by, which
 * once app has ended (and been reaped) may be another process's. */
static int still_parent(pid_t app, char *err, size_t len)
{
	if (getppid() == app)
		return 0;
	snprintf(err, len, "systemd: process %d ended before its scope was asked for", (int)app);
	return -1;
}

/* StartTransientUnit for the connection's own process, then the wait until
 * it is in the scope. */
static int start_scope(sd_bus *bus, pid_t app, const char *unit, uid_t uid,
		       const char *description, enum nsiso_failure *failure, char *err,
		       size_t len)
{
	sd_bus_message *m = NULL;
	char slice[64];
	int ret = -1;

	snprintf(slice, sizeof(slice), "user-%u.slice", (unsigned)uid);
	if (sd.new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
					   "StartTransientUnit") < 0 ||
	    append_scope(m, unit, slice, description) < 0) {
		snprintf(err, len, "systemd: cannot build the StartTransientUnit call");
	} else if (call(bus, m, "cannot start a scope", NSISO_SYSTEMD_TIMEOUT_MS, failure, err,
			len) == 0) {
		ret = wait_until_in(bus, app, unit);
		if (ret < 0)
			snprintf(err, len, "systemd: scope %s started, but within %d ms process %d "
				 "was not in it in %s (by the kernel and by systemd)",
				 unit, NSISO_SYSTEMD_TIMEOUT_MS, (int)app, slice);
	}
	sd.message_unref(m);
	return ret;
}

int nsiso_systemd_enter_scope_over(int fd, pid_t app, const char *unit, uid_t uid,
				   const char *description, enum nsiso_failure *failure,
				   char *err, size_t len)
{
	sd_bus *bus = NULL;
	int ret = -1;

	*failure = NSISO_FAIL_DENY;
	if (sd_load(failure, err, len) == 0 && bus_over(fd, &bus, err, len) == 0 &&
	    still_parent(app, err, len) == 0)
		ret = start_scope(bus, app, unit, uid, description, failure, err, len);
	/* The connection ends here, for every copy of fd: dbus-daemon counts
	 * it against root's 256 until the last copy is closed, and app's copy
	 * may be in a process its user stopped. */
	(void)shutdown(fd, SHUT_RDWR);
	if (bus)
		sd.flush_close_unref(bus);
	else
		close(fd);
	return ret;
}

/* cpu N% as systemd's CPUQuota=N% sets it: N% of each second, in
 * microseconds (NSISO_CPU_PERCENT_MAX keeps it far from overflow). */
static uint64_t cpu_quota_per_sec_usec(uint64_t cpu)
{
	return cpu == NSISO_UNLIMITED ? UINT64_MAX : cpu * 10000;
}

/* Whether the kernel lacks controller `name`, which `what` needs: the
 * host's set-up (failure HOST, reason in err).  A list that cannot be read
 * says nothing either way: the login is denied (a failed read may be the
 * caller's doing, and on_error allow must not follow from it). */
static bool kernel_lacks(const char *name, const char *what, enum nsiso_failure *failure,
			 char *err, size_t len)
{
	int has = nsiso_cgroup_kernel_has(name);

	if (has > 0)
		return false;
	if (has < 0) {
		*failure = NSISO_FAIL_DENY;
		snprintf(err, len, "%s: cannot read /proc/cgroups: %s", what, strerror(errno));
	} else {
		*failure = NSISO_FAIL_HOST;
		snprintf(err, len, "%s, and this kernel has none (/proc/cgroups)", what);
	}
	return true;
}

/* systemd takes a weight it has no controller for and does nothing with it:
 * the kernel's list of controllers says whether it can (/proc/cgroups). */
static int check_controllers(const struct nsiso_cgroup_limits *l, enum nsiso_failure *failure,
			     char *err, size_t len)
{
	if ((l->cpu != NSISO_UNLIMITED || l->cpu_weight != NSISO_UNLIMITED) &&
	    kernel_lacks("cpu", "cpu and cpu_weight need the cpu cgroup controller", failure, err,
			 len))
		return -1;
	if (l->io_weight != NSISO_UNLIMITED &&
	    kernel_lacks("blkio", "io_weight needs the io (blkio) cgroup controller", failure, err,
			 len))
		return -1;
	return 0;
}

int nsiso_systemd_set_limits(const char *slice, const struct nsiso_cgroup_limits *l,
			     int timeout_ms, enum nsiso_failure *failure, char *err, size_t len)
{
	sd_bus_message *m = NULL;
	sd_bus *bus = NULL;
	int r, ret = -1;

	if (check_controllers(l, failure, err, len) < 0)
		return -1;
	*failure = NSISO_FAIL_DENY;
	if (open_bus(&bus, failure, err, len) < 0)
		return -1;
	/* NSISO_UNLIMITED is UINT64_MAX: systemd's "infinity" for the limits,
	 * and for the weights its "not set" (the default, 100). */
	r = sd.new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
					   "SetUnitProperties");
	if (r >= 0)
		r = sd.append(m, "sb", slice, 1);
	if (r >= 0)
		r = sd.append(m, "a(sv)", 7, "MemoryMax", "t", l->memory,
					  "MemorySwapMax", "t", l->swap, "TasksMax", "t", l->tasks,
					  "MemoryHigh", "t", l->memory_high,
					  "CPUQuotaPerSecUSec", "t", cpu_quota_per_sec_usec(l->cpu),
					  "CPUWeight", "t", l->cpu_weight,
					  "IOWeight", "t", l->io_weight);
	if (r < 0)
		snprintf(err, len, "systemd: cannot build the SetUnitProperties call");
	else
		ret = call(bus, m, "cannot set the limits", timeout_ms, failure, err, len);
	sd.message_unref(m);
	sd.flush_close_unref(bus);
	return ret;
}
