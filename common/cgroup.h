/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The one place that knows cgroup file names and layout.  libcgroup does the
 * creating and attaching so that cgroup-tools (lscgroup, cgget) see the same
 * groups; we pick the v1 or v2 names ourselves (libcgroup 2.0.2 has no
 * mapping) and serialise create/attach against remove with a lock. */
#ifndef NSISO_CGROUP_H
#define NSISO_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

#define NSISO_UNLIMITED UINT64_MAX

/* A session is refused when its user's group has less than this left below
 * the memory limit: enough for a shell to start, no more. */
#define NSISO_MEMORY_HEADROOM (4ULL << 20)

enum nsiso_cgroup_version { NSISO_CGROUP_V1 = 1, NSISO_CGROUP_V2 = 2 };

/* Limits for one user's cgroup; NSISO_UNLIMITED where unset. */
struct nsiso_cgroup_limits {
	uint64_t memory;	/* bytes, all sessions together */
	uint64_t swap;		/* bytes of swap on top of memory */
	uint64_t tasks;		/* processes + threads */
	uint64_t memory_high;	/* bytes: throttling starts here (v2 only) */
	uint64_t cpu;		/* percent of one CPU, all sessions together */
	uint64_t cpu_weight;	/* 1..10000, as v2's cpu.weight */
	uint64_t io_weight;	/* 1..10000, as v2's io.weight */
};

/* No limit at all: the start of every struct nsiso_cgroup_limits (a field
 * left out of an initialiser would be 0, which is a limit). */
#define NSISO_CGROUP_LIMITS_NONE ((struct nsiso_cgroup_limits){ \
	.memory = NSISO_UNLIMITED, .swap = NSISO_UNLIMITED, .tasks = NSISO_UNLIMITED, \
	.memory_high = NSISO_UNLIMITED, .cpu = NSISO_UNLIMITED, \
	.cpu_weight = NSISO_UNLIMITED, .io_weight = NSISO_UNLIMITED })

/* The period of the CPU limit: cpu N% is N * 1000 microseconds of CPU time
 * in every 100000 (v1 cpu.cfs_quota_us / cpu.cfs_period_us, v2 cpu.max). */
#define NSISO_CPU_PERIOD_US 100000

/* Live numbers of one user's cgroup; NSISO_UNLIMITED where unknown (or,
 * for a limit, where there is none).  Swap is swap alone (v1: memsw minus
 * memory).  CPU times are in microseconds: usage since the group was made,
 * the quota per period and the time the group was throttled. */
struct nsiso_cgroup_stats {
	uint64_t memory_current, memory_peak, memory_limit;
	uint64_t oom_kills, tasks_current, tasks_limit;
	uint64_t memory_high, swap_current, swap_limit;
	uint64_t cpu_usage_usec, cpu_quota_usec, cpu_period_usec, cpu_throttled_usec;
	uint64_t io_weight;	/* on io_weight's scale (v2's io.weight) */
};

/* Initialise libcgroup (once per process) with a syslog logger and detect
 * the hierarchy.  0, or -1 with a reason in err. */
int nsiso_cgroup_init(char *err, size_t len);

/* The same again, whatever was done before: the broker, whose workers
 * inherit libcgroup's table, refills it when the mount table changes. */
int nsiso_cgroup_reinit(char *err, size_t len);

/* In a broker's spare: libcgroup's code and lock, as a login's worker uses
 * them, touched ahead (no group is made), so that the worker does not take
 * their page faults.  Nothing before nsiso_cgroup_init(). */
void nsiso_cgroup_rehearse(void);

enum nsiso_cgroup_version nsiso_cgroup_version(void);

/* The directory of our group rel ("<parent>/user-<uid>") in the memory
 * hierarchy (v2: the unified one), where this process would make it: from
 * the mount points it knows already (nsiso_cgroup_init() or a removal's
 * look, maybe before its fork), without a look at the mount table.  False
 * when it knows none. */
bool nsiso_cgroup_known_memory_dir(const char *rel, char *buf, size_t len);

/* A user's leaf is named NSISO_CGROUP_LEAF_PREFIX<uid>. */
#define NSISO_CGROUP_LEAF_PREFIX "user-"

/* "<parent>/user-<uid>" into buf. */
void nsiso_cgroup_user_path(const char *parent, uid_t uid, char *buf, size_t len);

/* The lock that serialises making a user's group against removing it: a
 * file in the run directory (root's, 0700), so that nothing a user can open
 * takes part in it.  Every wait for it is bounded: a join by what is left of
 * the open's budget (lock_wait_ms), a removal by this. */
#define NSISO_CGROUP_LOCK_NAME "cgroup.lock"
#define NSISO_CGROUP_LOCK_TIMEOUT_MS 5000

/* A session costs its user this many tasks before any of their own
 * processes: the holder and the reaper (both in the user's tasks group). */
#define NSISO_SESSION_TASKS 2

/* How many leaves the PAM application enters: v1 memory, pids, and for
 * the limits that need them cpu, cpuacct (where it is a hierarchy of its
 * own) and blkio; v2 one. */
#define NSISO_CGROUP_PROCS_MAX 5

/* What a session needs from the user's group. */
struct nsiso_cgroup_join {
	const char *parent;
	uid_t uid;
	const struct nsiso_cgroup_limits *limits;
	int lock_dir_fd;		/* the run directory */
	const pid_t *members;		/* our own unreaped children (holder,
					 * reaper): their PIDs cannot be reused */
	size_t n_members;
	/* The members move themselves into the user's tasks group by
	 * writing "0" to mover (nsiso_cgroup_open_mover()); 0 once they
	 * have, or -1 with errno and a reason in err.  Called under the
	 * lock. */
	int (*enter)(void *arg, int mover, char *err, size_t len);
	void *enter_arg;
	int lock_wait_ms;		/* the longest wait for the lock */
};

/* Create or join the user's cgroup, write the limits, have the members move
 * themselves into the user's tasks group (join->enter), and open the mover
 * file (nsiso_cgroup_open_mover()) of every leaf the PAM application must
 * enter: the application moves itself, by writing "0" through these fds
 * (a process of several threads: through cgroup.procs beside each), so
 * that nothing is ever moved by a PID that could have been reused.  The memory hierarchy's leaf comes first, where there is
 * one.  Serialised with nsiso_cgroup_remove_if_empty(); the members keep
 * the group alive until the application is in.  0 with procs_fds set (-1
 * for unused slots), or -1 with a reason in err and *failure set. */
int nsiso_cgroup_join(const struct nsiso_cgroup_join *join,
		      int procs_fds[NSISO_CGROUP_PROCS_MAX], enum nsiso_failure *failure,
		      char *err, size_t len);

/* Remove the user's cgroup if no process is left in it and it holds no
 * memory the user left behind (tmpfs and shared memory pages, or their swap:
 * those keep counting against the user until they are gone).  rmdir, never
 * libcgroup's delete, which would move live tasks to the parent and so out
 * of their limit.  Needs no nsiso_cgroup_init(): it finds the hierarchies
 * in the mount table itself.  1 removed, 0 still in use, kept or absent, -1
 * error. */
int nsiso_cgroup_remove_if_empty(const char *parent, uid_t uid, int lock_dir_fd);

/* The file in cgroup directory dir that a single-threaded process moves
 * itself through by writing "0": v1's tasks, or where there is none (v2)
 * cgroup.procs.  tasks moves the writing thread alone, and the kernel
 * (6.18 here) moves a thread that moves itself without the global lock of
 * a move by PID or of a whole process, whose taking waits for an RCU grace
 * period unless another move came just before (5.5-15.7 ms a move here;
 * README, Performance).  An open fd, or -1. */
int nsiso_cgroup_open_mover(const char *dir);

/* The calling process, one thread, into the group at dir through its mover
 * file.  0, or -1 with errno. */
int nsiso_cgroup_move_self(const char *dir);

/* Move the calling process, single-threaded, into the root of the tasks
 * hierarchy (the reaper leaves the user's group before removing it) through
 * its mover file; no nsiso_cgroup_init() needed.  0 or -1. */
int nsiso_cgroup_leave_tasks_group(void);

/* For a session without a group of ours: on v1, each of the n members
 * (holder, reaper) in a user's memory group (a login from inside another
 * user's session) leaves it for the top of the memory hierarchy, as
 * nsiso_cgroup_join() has them do.  Needs no nsiso_cgroup_init().  0, or -1
 * with err filled. */
int nsiso_cgroup_members_leave_user_memory(const pid_t *members, size_t n, char *err, size_t len);

/* cgroup_mode systemd on a hybrid host: systemd sets the slice's v1
 * memory.limit_in_bytes (MemoryMax) and has nothing for socket buffers,
 * which v1 counts apart and only under a memory.kmem.tcp.limit_in_bytes:
 * memory goes there too (as the own mode's groups get it), when it differs.
 * And since v1 counts a socket only where its maker's own group has such a
 * limit written, "-1" goes to our own memory group when it is a unit below
 * the slice (the application's scope or user@UID.service).  0 also where
 * there is nothing to do (no v1 memory hierarchy, no such file, the slice
 * not there), or -1 with *failure and a reason. */
int nsiso_cgroup_v1_slice_tcp_limit(uid_t uid, uint64_t memory, enum nsiso_failure *failure,
				    char *err, size_t len);

/* ---- no libcgroup needed below: usable from the PAM module ---------- */

/* v2 when /sys/fs/cgroup is a cgroup2 mount, else v1. */
enum nsiso_cgroup_version nsiso_cgroup_detect_version(void);

/* 1 when the kernel has the controller `name` (as /proc/cgroups names it:
 * blkio for v2's io) and it is not disabled, 0 when it has not, -1 with
 * errno when the list cannot be read: that is never taken for "none", which
 * is the host's set-up (on_error decides) where a failed read may be the
 * caller's doing.  nsiso_cgroup_listed_in() reads such a list from path. */
int nsiso_cgroup_kernel_has(const char *name);
int nsiso_cgroup_listed_in(const char *path, const char *name);

/* One number from a cgroup file (NSISO_UNLIMITED for "max", -1 in v1, a
 * missing file or garbage), and the value of "key N" in a keyed file
 * (memory.stat, memory.events; NSISO_UNLIMITED if absent). */
uint64_t nsiso_cgroup_read_number(const char *dir, const char *file);
uint64_t nsiso_cgroup_read_keyed(const char *dir, const char *file, const char *key);

/* Read the numbers from a memory and a pids cgroup directory (the CPU and
 * IO numbers are left unknown).  0 or -1. */
int nsiso_cgroup_stats_at(const char *memory_dir, const char *pids_dir,
			  enum nsiso_cgroup_version version,
			  struct nsiso_cgroup_stats *stats);

/* The CPU numbers, from the cpu and cpuacct directories (v1: two
 * hierarchies, either may be missing; v2: the group's one directory for
 * both).  What is not there stays unknown. */
void nsiso_cgroup_cpu_stats_at(const char *cpu_dir, const char *cpuacct_dir,
			       enum nsiso_cgroup_version version,
			       struct nsiso_cgroup_stats *stats);

/* Where a user's group is, relative to the roots of the hierarchies: in
 * systemd mode the user's slice as systemd placed the session (slice, e.g.
 * "user.slice/user-1000.slice"), else pam_nsiso's own "<parent>/user-<uid>";
 * "" for neither (no limit).  Every reader of a user's numbers finds the
 * group here, and its directories with nsiso_cgroup_dirs_of(). */
void nsiso_cgroup_user_group(const char *parent, const char *slice, uid_t uid, char *buf,
			     size_t len);

/* All of /proc/self/mountinfo into buf, NUL-terminated (it is longer than a
 * page on many hosts).  Its length, or -1. */
ssize_t nsiso_mountinfo_read(char *buf, size_t size);

/* The mount of the hierarchy a /proc/PID/cgroup line names, in mountinfo
 * text: controllers a v1 comma list ("memory", "cpu,cpuacct",
 * "name=systemd"), each among a cgroup mount's options, or "" for the
 * unified (cgroup2) one.  Its mount point and the hierarchy path mounted
 * there.  0, or -1 when it is not mounted. */
int nsiso_cgroup_find_mount(const char *mountinfo, const char *controllers, char *point,
			    size_t plen, char *root, size_t rlen);

/* The file io_weight goes to in a cgroup directory below the root (the
 * root has none): v2 io.weight (blk-iocost); v1 blkio.weight (CFQ, gone
 * since Linux 5.0) or else BFQ's blkio.bfq.weight.  NULL when it has none. */
const char *nsiso_cgroup_io_weight_file_in(const char *dir, enum nsiso_cgroup_version version);

/* Of one mount in this process's mount table: its file system type
 * ("tmpfs", "fuse.bindfs", ...), its root within that file system (a bind
 * mount's source directory) and its mount point, as mountinfo writes them
 * (escaped). */
struct nsiso_mount {
	char fstype[32];
	char root[PATH_MAX];
	char point[PATH_MAX];
};

/* Mount mnt_id (statx's STATX_MNT_ID) of this process's mount table, read
 * a line at a time, since a user can make the table long.  False if it is
 * not there, or a field does not fit. */
bool nsiso_mount_by_id(uint64_t mnt_id, struct nsiso_mount *m);

/* fn(point, arg) for each mount of this process's mount table whose parent
 * is mount parent (not parent itself), its mount point with mountinfo's
 * escapes undone; read a line at a time, and fn may unmount: the kernel
 * keeps the reader's place as mounts leave the table.  proc_self: a
 * directory fd of /proc/<our pid>, for a process whose /proc is not its
 * own (one that joined a namespace of a PID namespace it is not in), or -1
 * for /proc/self.  0, or -1 with errno when the table cannot be opened. */
int nsiso_each_mount_on(int proc_self, uint64_t parent, void (*fn)(const char *point, void *arg),
			void *arg);

/* The same for each mount whose file system type is one of fstypes (a
 * NULL-terminated list). */
int nsiso_each_mount_of_type(int proc_self, const char *const *fstypes,
			     void (*fn)(const char *point, void *arg), void *arg);

/* A group's directory in each hierarchy the numbers come from, found in
 * the mount table ("" where that hierarchy is not mounted, or its mount
 * does not show the group): v1 memory, pids, cpu, cpuacct and blkio, v2 the
 * one tree for all. */
struct nsiso_cgroup_dirs {
	enum nsiso_cgroup_version version;
	char memory[512], pids[512], cpu[512], cpuacct[512], io[512];
};

/* From mountinfo text, for a host of that version. */
void nsiso_cgroup_dirs_in(const char *mountinfo, enum nsiso_cgroup_version version,
			  const char *group, struct nsiso_cgroup_dirs *dirs);

/* From this process's /proc/self/mountinfo and nsiso_cgroup_detect_version().
 * 0, or -1 when the group is "" or no memory hierarchy shows it. */
int nsiso_cgroup_dirs_of(const char *group, struct nsiso_cgroup_dirs *dirs);

/* The same for the hierarchies themselves: their mount points (v2: the one
 * mount in every field).  0, or -1 when there is no memory hierarchy. */
int nsiso_cgroup_mounts_of(struct nsiso_cgroup_dirs *dirs);

/* The IO weight, from the io (v2) or blkio (v1) directory: io.weight's
 * "default N", blkio.bfq.weight N (the same scale), or blkio.weight N * 5
 * (as written).  Unknown where none is there. */
void nsiso_cgroup_io_stats_at(const char *io_dir, enum nsiso_cgroup_version version,
			      struct nsiso_cgroup_stats *stats);

/* All the numbers of a group (nsiso_cgroup_user_group): the module's close
 * line, the reaper and nsisoctl for quota and status.  0 or -1. */
int nsiso_cgroup_stats_of(const char *group, struct nsiso_cgroup_stats *stats);

/* Only what the module's close line shows: memory peak, limit and OOM kills
 * (every other field NSISO_UNLIMITED).  A close reads three files, not
 * every controller's (nsiso_cgroup_stats_of). */
int nsiso_cgroup_memory_stats_of(const char *group, struct nsiso_cgroup_stats *stats);

/* The same from the group's memory directory itself (v1 or v2, told by
 * its files): the module keeps its groups' directories from the open, so a
 * close does not read the mount table.  0, or -1 when dir is no memory
 * group (another controller's, or gone). */
int nsiso_cgroup_memory_stats_at(const char *memory_dir, struct nsiso_cgroup_stats *stats);

/* One group's OOM kill count, by the inode of its directory. */
struct nsiso_cgroup_count {
	unsigned long long group;
	uint64_t count;
};

#define NSISO_CGROUP_WALK_MAX 1024	/* groups looked at, at most */
#define NSISO_CGROUP_WALK_DEPTH 16

/* v1 counts an OOM kill only in the victim's own group (memory.oom_control),
 * not in its ancestors' as v2's memory.events does: the count of a group
 * with groups below it (systemd's scopes in a user's slice) is the sum of
 * theirs.  The groups whose count is above 0 go to out (at most max, their
 * number to *n; out and n may be NULL).  The sum, or NSISO_UNLIMITED when
 * dir has no count (no such group, or a kernel without it). */
uint64_t nsiso_cgroup_v1_oom_kills(const char *dir, struct nsiso_cgroup_count *out, size_t max,
				   size_t *n);

#endif
