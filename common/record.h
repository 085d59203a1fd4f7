/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Runtime records of live sessions: one small file per session under the
 * run directory (default /run/nsiso, root's, 0711).  Written by the helper
 * atomically, removed by the reaper when the holder ends, read by
 * nsisoctl.  A record is a hint for display; nothing in it is used for a
 * privileged decision without checking the live process
 * (nsiso_record_open_holder). */
#ifndef NSISO_RECORD_H
#define NSISO_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define NSISO_RUN_DIR_DEFAULT "/run/nsiso"
#define NSISO_RECORD_SUFFIX ".session"
#define NSISO_ENDING_SUFFIX ".ending"	/* see nsiso_record_end() */

struct nsiso_record {
	char session[24];
	char user[64];
	uid_t uid;
	char service[64];
	char tty[64];
	char rhost[128];
	long long started;		/* unix time */
	pid_t holder;			/* in the PID namespace `pidns` */
	unsigned long long holder_start;/* its start time, /proc/<pid>/stat #22 */
	pid_t caller;			/* in the PID namespace `pidns` */
	unsigned long long pidns;	/* inode of the PID namespace the helper
					 * ran in: the host's, or a session's for
					 * a session opened inside a session
					 * (0: a record of an older version) */
	unsigned long long session_pidns;/* inode of the session's own PID
					 * namespace (its holder's) with isolate
					 * pid, where sessions opened inside it
					 * have their pidns; 0: none, or a record
					 * of an older version */
	char isolate[64];
	char hostname[72];
	char cgroup_parent[256];	/* "" = no cgroup of our own */
	char cgroup_slice[256];		/* cgroup_mode systemd: the user's slice
					 * ("user.slice/user-<uid>.slice"),
					 * where the numbers are; "" = none */
	char on_logout[8];
	char private_tmp[8];		/* "yes", "keep" or "no"; "" = a record
					 * of an older version */
	bool ending;			/* not in the file: read from <session>.ending */
};

/* The run directory is root's and 0711: nobody else may list or write it,
 * but users may pass through it to the one thing in it they may use, their
 * own quota socket (quota.h).  Everything else in it is root's and 0600.
 * (0700, as older versions made it, is accepted too; the helper brings it
 * to 0711.) */
#define NSISO_RUN_DIR_MODE 0711

struct stat;

/* A directory owned by root that nobody else may read or write. */
bool nsiso_run_dir_mode_ok(const struct stat *st);

/* Open (creating it 0711 if missing) the run directory and check that it is
 * a root-owned directory nobody else can list or write.  fd or -1 with err
 * set. */
int nsiso_run_dir_open(const char *path, bool create, char *err, size_t len);

/* Write <session>.session atomically (temp file + rename).  0 or -1. */
int nsiso_record_write(int dirfd, const struct nsiso_record *r, char *err, size_t len);

/* Remove a session's record; 0 also when it was already gone.  (Not its
 * .ending: that is its reaper's, nsiso_record_end_done().) */
int nsiso_record_remove(int dirfd, const char *session);

/* The first step of a session's end, for its reaper: the record goes out of
 * nsisoctl's sight.  A reaper that runs in another session's PID namespace
 * (pidns, its own, is not the initial one's, and a live session's record
 * names it as its own: a login from inside a session) ends with that
 * session, possibly before it has removed its user's group.  So there the
 * record stays, renamed <session>.ending and locked through *ending_fd,
 * until the reaper is done (nsiso_record_end_done()); should the reaper end
 * first, the outer session's reaper finds it, its lock free
 * (nsiso_record_take_nested()), and cleans up after it.  Elsewhere, or if
 * it cannot be renamed, the record is removed at once (*ending_fd -1).  0,
 * or -1 if the record could not be removed. */
int nsiso_record_end(int dirfd, const char *session, unsigned long long pidns, int *ending_fd);

/* The last step: remove the .ending kept by nsiso_record_end() (if any) and
 * close its fd.  0, or -1 (it was taken: the reaper was thought gone). */
int nsiso_record_end_done(int dirfd, const char *session, int ending_fd);

/* Read one record file by name: every line complete and "key=value", each
 * known key at most once with a valid value (numbers plain decimal, texts
 * within their field), a session id that is the file's name, a holder.
 * 0, or -1 with the reason in err ("NAME: ..."): unreadable, malformed or
 * truncated.  A record without pidns (an older version's) reads as 0. */
int nsiso_record_read(int dirfd, const char *name, struct nsiso_record *r, char *err, size_t len);

/* All records in the directory, sorted by start time.  Count, or -1. */
int nsiso_record_list(int dirfd, struct nsiso_record **out);

/* Inode of the calling process's PID namespace, 0 if unknown. */
unsigned long long nsiso_own_pidns(void);

/* A login from inside a session (su there) has its helper, holder and
 * reaper in that session's PID namespace, and they end with it, killed
 * before their reaper could remove the record.  So a helper in a PID
 * namespace other than the initial one marks it ("nested-<inode>" in the
 * run directory), and the reaper of the session whose namespace it is,
 * which lives outside, takes the records left there when its holder has
 * ended.  pidns: the helper's own (nsiso_own_pidns(), as its record says).
 * A mark that cannot be made leaves only such a record. */
void nsiso_record_mark_nested(int dirfd, unsigned long long pidns);

/* With a mark of PID namespace pidns: the records made there (their
 * pidns) whose holder is gone, and the .ending records made there whose
 * reaper is gone (their lock free: `ending` set), removed from the
 * directory and handed back in *out (to be freed), and the mark removed
 * unless a record naming that number has a live holder or reaper (a
 * namespace made since under the same number).  Their count; 0 without a
 * mark; -1 if the directory cannot be listed. */
int nsiso_record_take_nested(int dirfd, unsigned long long pidns, struct nsiso_record **out);

/* A pidfd for the record's holder, only if that PID is still the same
 * process (start time) and is a holder (with isolate none: the reaper,
 * which holds such a session).  A record made in another PID
 * namespace (a session opened from inside a session) is found by the
 * holder's start time and its PID in that namespace; r->holder is then
 * set to its PID as we see it.  -1 if there is no such live holder: *gone
 * says whether the session is over for sure (false when the record's
 * namespace is one we cannot see into, e.g. from inside a session). */
int nsiso_record_open_holder(struct nsiso_record *r, bool *gone);

/* Fields of /proc/<pid>/stat (a zombie's too): state (3), parent (4),
 * flags (9), start time (22).  0 or -1. */
struct nsiso_proc_stat {
	char state;
	pid_t ppid;
	unsigned long flags;
	unsigned long long start;
};
int nsiso_process_stat(pid_t pid, struct nsiso_proc_stat *st);

/* Start time of a process (field 22 of /proc/<pid>/stat), 0 if unknown. */
unsigned long long nsiso_process_start_time(pid_t pid);

/* /proc/<pid>/<file> of a process we hold a pidfd of, read while it
 * lives: the pidfd, polled after the read, says the PID was still its own
 * then.  Its length; -1 with errno (ESRCH: it ended; EFBIG: it filled buf,
 * so it may be cut off). */
ssize_t nsiso_read_proc_of(pid_t pid, int pidfd, const char *file, char *buf, size_t size);
/* The same for its start only, up to size - 1 bytes (nsiso_read_text()). */
ssize_t nsiso_read_proc_start_of(pid_t pid, int pidfd, const char *file, char *buf, size_t size);

/* The PID a pidfd refers to, in our PID namespace (its fdinfo; a zombie's
 * too); -1 when it is no pidfd, 0 or -1 when its process is gone or not
 * visible to us. */
long nsiso_pidfd_pid(int fd);

/* Copy text into a record field: printable ASCII only, other bytes become
 * '?', so that a record stays one line per field whatever a user sent as
 * PAM_RHOST or PAM_TTY. */
void nsiso_record_set(char *field, size_t size, const char *text);

#endif
