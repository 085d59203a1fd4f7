/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The one place that knows cgroup file names and layout.  libcgroup does the
 * creating and attaching so that cgroup-tools (lscgroup, cgget) see the same
 * groups; we pick the v1 or v2 names ourselves (libcgroup 2.0.2 has no
 * mapping) and serialise create/attach against remove with a lock. */
#ifndef NSISO_CGROUP_H
#define NSISO_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
};

/* Live numbers of one user's cgroup; NSISO_UNLIMITED where unknown. */
struct nsiso_cgroup_stats {
	uint64_t memory_current, memory_peak, memory_limit;
	uint64_t oom_kills, tasks_current, tasks_limit;
};

/* Initialise libcgroup (once per process) with a syslog logger and detect
 * the hierarchy.  0, or -1 with a reason in err. */
int nsiso_cgroup_init(char *err, size_t len);

enum nsiso_cgroup_version nsiso_cgroup_version(void);

/* "<parent>/user-<uid>" into buf. */
void nsiso_cgroup_user_path(const char *parent, uid_t uid, char *buf, size_t len);

/* Create or join the user's cgroup, write the limits, move pid into it and
 * check that it arrived.  Serialised with nsiso_cgroup_remove_if_empty(), so
 * a last session's teardown cannot remove the group under a new session.
 * 0, or -1 with a reason in err (*critical set for resource shortage). */
int nsiso_cgroup_join(const char *parent, uid_t uid,
		      const struct nsiso_cgroup_limits *limits, pid_t pid,
		      bool *critical, char *err, size_t len);

/* Remove the user's cgroup if no process is left in it (rmdir, never
 * libcgroup's delete, which would move live tasks to the parent and so out
 * of their limit).  1 removed, 0 still in use or absent, -1 error. */
int nsiso_cgroup_remove_if_empty(const char *parent, uid_t uid);

/* Numbers of the user's cgroup, found through libcgroup's mounts (after
 * nsiso_cgroup_init).  0 or -1. */
int nsiso_cgroup_read_stats(const char *parent, uid_t uid,
			    struct nsiso_cgroup_stats *stats);

/* ---- no libcgroup needed below: usable from the PAM module ---------- */

/* v2 when /sys/fs/cgroup is a cgroup2 mount, else v1. */
enum nsiso_cgroup_version nsiso_cgroup_detect_version(void);

/* Read the numbers from a memory and a pids cgroup directory.  0 or -1. */
int nsiso_cgroup_stats_at(const char *memory_dir, const char *pids_dir,
			  enum nsiso_cgroup_version version,
			  struct nsiso_cgroup_stats *stats);

/* Same, for the user's cgroup in the standard layout under /sys/fs/cgroup
 * (the module uses it for its close log line). */
int nsiso_cgroup_stats_standard(const char *parent, uid_t uid,
				struct nsiso_cgroup_stats *stats);

/* Absolute directory of the user's cgroup in the memory hierarchy, for
 * tools and messages.  0 or -1. */
int nsiso_cgroup_memory_dir(const char *parent, uid_t uid, char *buf, size_t len);

#endif
