/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* private_tmp: see privtmp.h for the layout and who removes what.
 *
 * The rule everywhere here: root never resolves a path a user can change.
 * /tmp and /var/tmp are reached one component at a time from / with
 * O_NOFOLLOW, each directory checked on the fd (root's, and sticky where
 * others may write); below them only the base directory, which is root's and
 * 0700, and the user's own directories inside it.  The user can write only
 * inside their own directories, and those are removed with *at calls on fds,
 * never following a symbolic link and never entering a mount point. */
#include "privtmp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../common/cgroup.h"
#include "../common/deadline.h"
#include "../common/size.h"
#include "../common/uidlock.h"
#include "faults.h"

static const char *const places[] = { "/tmp", "/var/tmp" };
#define N_PLACES (sizeof(places) / sizeof(places[0]))

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)

/* How often a base or a user's directory that is not as we made it is moved
 * aside and made anew before the session is refused: someone would have to
 * win a race each time. */
#define MAKE_ATTEMPTS 4
/* Mounts stacked where the base belongs that are detached before the
 * session is refused (detach_planted_mount()). */
#define DETACH_MAX 4096

/* The removal keeps one listing (and fd) per level: a directory deeper than
 * this is first moved up into the base under a new name and removed in a
 * later round, so no tree a user builds can exhaust the reaper's fds. */
#define REMOVE_DEPTH 32
#define REMOVE_ROUNDS 100000

bool nsiso_trusted_dir(const struct stat *st)
{
	return S_ISDIR(st->st_mode) && st->st_uid == 0 &&
	       (!(st->st_mode & (S_IWGRP | S_IWOTH)) || (st->st_mode & S_ISVTX));
}

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t len, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}

/* A name nobody can guess ahead, for what is moved aside. */
static void random_hex(char out[17])
{
	static unsigned long counter;
	unsigned long long bits = 0;

	if (getrandom(&bits, sizeof(bits), GRND_NONBLOCK) != (ssize_t)sizeof(bits))
		bits = (unsigned long long)time(NULL) * 2654435761ULL + ++counter + (unsigned)getpid();
	snprintf(out, 17, "%016llx", bits);
}

static const char *open_reason(int e)
{
	return e == ELOOP || e == ENOTDIR ? "not a directory (a symbolic link?)" : strerror(e);
}

/* What open_place() found at /tmp or /var/tmp. */
enum place_found {
	PLACE_TRUSTED,		/* root's (or sticky) all the way: ours to mount on */
	PLACE_USERS_OWN,	/* the place itself is the user's own directory */
	PLACE_HOSTS_FAULT,	/* fd -1: missing, or a root directory left open */
	PLACE_USERS_FAULT,	/* fd -1: a user's directory or mount on the way */
};

/* Whether the directory behind fd is the root of its mount (statx without a
 * sync, which asks no FUSE daemon anything), and the mount's id; a kernel
 * that does not say whether it is a root says MOUNT_ROOT. */
enum mount_place { MOUNT_UNKNOWN, MOUNT_ROOT, MOUNT_INSIDE };

static enum mount_place mount_root_of(int fd, uint64_t *id)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, STATX_MNT_ID,
		  &stx) != 0 || !(stx.stx_mask & STATX_MNT_ID))
		return MOUNT_UNKNOWN;
	*id = stx.stx_mnt_id;
	return !(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ||
		       (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) ? MOUNT_ROOT : MOUNT_INSIDE;
}

/* A directory below dirfd, not entered when it is on a FUSE file system:
 * inside a private_tmp session /tmp is its user's own directory, where they
 * may mount one (fusermount), and root must not ask a user's daemon
 * anything (it may refuse us, lie about owners, or never answer).  Told on
 * an O_PATH fd, which is then opened for real (the same mount, whatever is
 * mounted meanwhile), by statx without a sync, which asks no daemon: only a
 * mount's root can start a FUSE file system below a directory we checked,
 * and only then is the mount table looked at.  fd, or -1 with errno;
 * *fuse when it is one, or cannot be told. */
static int open_dir_not_fuse(int dirfd, const char *name, bool *fuse)
{
	struct nsiso_mount m;
	uint64_t id;
	int path = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC), fd;

	*fuse = false;
	if (path < 0)
		return -1;
	switch (mount_root_of(path, &id)) {
	case MOUNT_UNKNOWN:
		*fuse = true;
		break;
	case MOUNT_ROOT:
		*fuse = !nsiso_mount_by_id(id, &m) ||
			strncmp(m.fstype, "fuse", 4) == 0;	/* fuse, fuseblk, fuse.* */
		break;
	case MOUNT_INSIDE:
		break;
	}
	if (*fuse) {
		close(path);
		errno = EACCES;
		return -1;
	}
	fd = openat(path, ".", DIR_FLAGS);
	close(path);
	return fd;
}

/* /tmp or /var/tmp, reached from / one component at a time without following
 * a symbolic link, every directory on the way trusted, except that the place
 * itself may be a directory of owner (pass (uid_t)-1 for none): that is the
 * user's private /tmp of a session the caller is in (a login from inside
 * one, in the mount namespace it inherited).  fd, or -1 with errno and err;
 * *found says which.  Only a missing component and a root directory left
 * writable without the sticky bit are the host's; anything else on the way
 * (a user's directory, a FUSE mount, a failed open) is a session's doing. */
static int open_place(const char *path, uid_t owner, enum place_found *found, char *err,
		      size_t len)
{
	char copy[32], *save = NULL, *name;
	struct stat st;
	bool fuse = false;
	int fd = open("/", DIR_FLAGS), child, e;

	*found = PLACE_USERS_FAULT;
	snprintf(copy, sizeof(copy), "%s", path);
	for (name = strtok_r(copy, "/", &save);; name = strtok_r(NULL, "/", &save)) {
		if (fd < 0) {
			if (errno == ENOENT)
				*found = PLACE_HOSTS_FAULT;
			return fail(err, len, "cannot open %s: %s", path,
				    fuse ? "on a FUSE file system (a user's mount)" : open_reason(errno));
		}
		if (fstat(fd, &st) != 0) {
			close(fd);
			return fail(err, len, "%s: fstat: %m", path);
		}
		if (!name && !nsiso_trusted_dir(&st) && owner != (uid_t)-1 && st.st_uid == owner) {
			*found = PLACE_USERS_OWN;
			return fd;
		}
		if (!nsiso_trusted_dir(&st)) {
			close(fd);
			if (st.st_uid == 0)
				*found = PLACE_HOSTS_FAULT;
			errno = EPERM;
			return fail(err, len, "%s: a directory on its path is %s", path,
				    st.st_uid ? "a user's (a login from inside another user's session "
						"with a private /tmp?)" :
						"writable by others without the sticky bit");
		}
		if (!name) {
			*found = PLACE_TRUSTED;
			return fd;
		}
		child = open_dir_not_fuse(fd, name, &fuse);
		e = errno;
		close(fd);
		fd = child;
		errno = e;
	}
}

/* An entry below dirfd, only if reaching it follows no symbolic link and
 * crosses no mount point (RESOLVE_NO_XDEV: a mount point fails with EXDEV).
 * Root never enters a file system a user mounted where we look: a FUSE
 * mount would refuse us (EACCES) or keep us waiting for as long as its
 * daemon likes. */
static int open_entry(int dirfd, const char *name, int flags)
{
	struct open_how how = {
		.flags = (unsigned)flags,
		.resolve = RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_BENEATH,
	};

	return (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
}

/* A directory below dirfd, as open_entry() reaches it. */
static int open_below(int dirfd, const char *name)
{
	return open_entry(dirfd, name, DIR_FLAGS);
}

/* A mount where our base belongs: never ours (we mount nothing there), so a
 * user's (a FUSE mount, through the setuid fusermount).  Detached in this,
 * the session's, mount namespace only - the host's mount stays its
 * owner's - so that the directory under it can be moved aside; every one
 * of a stack of them (fuse.conf's mount_max is 1000 a user).  0, or -1
 * with errno EBUSY (then the login is refused as the user's doing). */
static int detach_planted_mount(const char *where)
{
	char path[64];
	unsigned n;

	snprintf(path, sizeof(path), "%s/%s", where, NSISO_PRIVATE_TMP_BASE);
	for (n = 0; n < DETACH_MAX; n++)
		if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) != 0)
			break;
	if (n == DETACH_MAX || (errno != EINVAL && errno != ENOENT)) {
		syslog(LOG_WARNING, "%s is a mount point that cannot be detached: %m", path);
		errno = EBUSY;
		return -1;
	}
	syslog(LOG_WARNING, "%s was a mount point (not pam_nsiso's; %u mounts): detached in the "
	       "session's mount namespace", path, n);
	return 0;
}

/* Someone else's entry where ours belongs (a user's, planted in /tmp before
 * root made the base): renamed away, in a directory where root may rename
 * anything, and never opened or followed.  0, or -1 with errno. */
static int move_aside(int dirfd, const char *name, const char *tag, const char *where)
{
	char aside[96], hex[17];
	struct stat st = { 0 };
	long long owner = -1;
	/* Looked at as open_entry() reaches it: never followed, never a mount
	 * entered. */
	int fd = open_entry(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0 && fstat(fd, &st) == 0)
		owner = (long long)st.st_uid;
	if (fd >= 0)
		close(fd);
	random_hex(hex);
	snprintf(aside, sizeof(aside), "%s.%s.%s", name, tag, hex);
	if (renameat2(dirfd, name, dirfd, aside, RENAME_NOREPLACE) != 0)
		return -1;
	syslog(LOG_WARNING, "%s/%s was not as pam_nsiso makes it (owner uid %lld, %s): moved "
	       "aside to %s/%s", where, name, owner,
	       S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ? "a directory"
								: "not a directory",
	       where, aside);
	return 0;
}

/* The base in /tmp or /var/tmp: root's, 0700, made if missing.  Anything
 * else found there is moved aside and a fresh one made. */
static int open_base(int place, const char *where, char *err, size_t len)
{
	struct stat st;
	int attempt, fd, e;

	for (attempt = 0; attempt < MAKE_ATTEMPTS; attempt++) {
		fd = open_below(place, NSISO_PRIVATE_TMP_BASE);
		e = fd < 0 ? errno : 0;
		if (e == ENOENT) {
			if (mkdirat(place, NSISO_PRIVATE_TMP_BASE, 0700) != 0 && errno != EEXIST)
				return fail(err, len, "cannot create %s/%s: %m", where,
					    NSISO_PRIVATE_TMP_BASE);
			continue;
		}
		if (e == EXDEV && detach_planted_mount(where) != 0)
			return fail(err, len, "%s/%s: a mount point not ours: %m", where,
				    NSISO_PRIVATE_TMP_BASE);
		/* Left: our base, or what a user planted there (a link:
		 * ELOOP, not a directory, a mount now detached). */
		if (e != 0 && e != ELOOP && e != ENOTDIR && e != EXDEV) {
			errno = e;
			return fail(err, len, "cannot open %s/%s: %m", where, NSISO_PRIVATE_TMP_BASE);
		}
		if (fd >= 0) {
			if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 &&
			    (st.st_mode & 077) == 0)
				return fd;
			close(fd);
		}
		if (move_aside(place, NSISO_PRIVATE_TMP_BASE, "planted", where) != 0 && errno != ENOENT)
			return fail(err, len, "cannot move %s/%s aside: %m", where,
				    NSISO_PRIVATE_TMP_BASE);
	}
	errno = EEXIST;
	return fail(err, len, "%s/%s kept being replaced while it was made", where,
		    NSISO_PRIVATE_TMP_BASE);
}

/* The user's directory in the base: root's and 01777, as the host's /tmp
 * is, so that the sticky bit and the kernel's protected_symlinks,
 * protected_regular and protected_fifos guard root's files in it as in any
 * /tmp.  (It was the user's, 0700: root code in the session, a PAM module
 * after ours or sudo, followed the user's symbolic links there, and the user
 * could remove root's files: an attacker review of a8d74b8.)  Nobody else
 * reaches it: the base is root's 0700, and it is mounted only in the
 * user's sessions' namespaces.  Only root can write the base, so anything
 * else found under the user's name is root's leftover: it is moved aside as
 * gone (the reaper removes it) and made anew.  So is one of an older
 * release, the user's and 0700: taken over (chowned), it kept what its
 * owner could set on it, a default ACL that makes root's files in it the
 * user's to write (an attacker review of 71dd4fa), an encryption policy. */
static int open_instance(int base, uid_t uid, const char *where, char *err, size_t len)
{
	char name[16], in_base[64];
	struct stat st;
	int attempt, fd;

	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	snprintf(in_base, sizeof(in_base), "%s/%s", where, NSISO_PRIVATE_TMP_BASE);
	for (attempt = 0; attempt < MAKE_ATTEMPTS; attempt++) {
		fd = openat(base, name, DIR_FLAGS);
		if (fd < 0 && errno == ENOENT) {
			if (mkdirat(base, name, 0700) != 0 && errno != EEXIST)
				return fail(err, len, "cannot create %s/%s/%s: %m", where,
					    NSISO_PRIVATE_TMP_BASE, name);
			continue;
		}
		if (fd < 0 && errno != ELOOP && errno != ENOTDIR)
			return fail(err, len, "cannot open %s/%s/%s: %m", where,
				    NSISO_PRIVATE_TMP_BASE, name);
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0) {
			if (fchown(fd, 0, 0) != 0 || fchmod(fd, 01777) != 0) {
				close(fd);
				return fail(err, len, "cannot make %s/%s/%s a /tmp: %m", where,
					    NSISO_PRIVATE_TMP_BASE, name);
			}
			return fd;
		}
		if (fd >= 0)
			close(fd);
		if (move_aside(base, name, "gone", in_base) != 0 && errno != ENOENT)
			return fail(err, len, "cannot move %s/%s/%s aside: %m", where,
				    NSISO_PRIVATE_TMP_BASE, name);
	}
	errno = EEXIST;
	return fail(err, len, "%s/%s/%s kept being replaced while it was made", where,
		    NSISO_PRIVATE_TMP_BASE, name);
}

/* Bind the directory behind `from` over the one behind `onto`, both fds:
 * no path is resolved, so nothing swapped in between can redirect it.  The
 * mount keeps the flags of the file system it is on (nosuid, nodev). */
static int bind_fd(int from, int onto, const char *where, char *err, size_t len)
{
	int tree = open_tree(from, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH), ret;

	if (tree < 0)
		return fail(err, len, "cannot clone the private %s: %m", where);
	ret = move_mount(tree, "", onto, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	if (ret != 0)
		fail(err, len, "cannot mount the private %s: %m", where);
	close(tree);
	return ret;
}

/* Failures that the host's set-up explains: a read-only file system, a
 * kernel that refuses the mount, permissions only an admin sets. */
static bool host_errno(int e)
{
	return e == EROFS || e == ENOSYS || e == EPERM || e == EINVAL || e == EACCES;
}

static int mount_place(const char *where, int place, uid_t uid, bool *host_fault, char *err,
		       size_t len)
{
	int base = open_base(place, where, err, len), instance = -1, ret = -1;

	if (base >= 0)
		instance = open_instance(base, uid, where, err, len);
	if (instance >= 0)
		ret = bind_fd(instance, place, where, err, len);
	if (ret != 0)
		*host_fault = host_errno(errno);
	if (instance >= 0)
		close(instance);
	if (base >= 0)
		close(base);
	return ret;
}

/* Whose private /tmp the mount at `where` is, by that mount's own root in
 * /proc/self/mountinfo: a bind of <place>/.nsiso-tmp/<uid> shows a root that
 * ends "/.nsiso-tmp/<uid>" (no user can make one: only root mounts in a
 * session's namespace, and a setuid program loses its root in a user's own
 * namespace).  The instance is root's 01777 like any /tmp: only its mount
 * tells it apart.  fd: the place, whose mount it must be.  The uid, or
 * (uid_t)-1 for no instance of ours (or no way to tell: then it is taken
 * for the host's own, and a private one is mounted over it). */
static uid_t instance_owner(int fd, const char *where)
{
	static const char tail[] = "/" NSISO_PRIVATE_TMP_BASE "/";
	struct nsiso_mount m;
	const char *at;
	uint64_t id, n;

	/* Not a mount's root (the host's /tmp, as a rule): no bind of ours,
	 * and no look at the mount table on a login's way. */
	if (mount_root_of(fd, &id) != MOUNT_ROOT || !nsiso_mount_by_id(id, &m) ||
	    strcmp(m.point, where) != 0 || !(at = strstr(m.root, tail)) ||
	    nsiso_parse_decimal(at + sizeof(tail) - 1, strlen(at + sizeof(tail) - 1),
				UINT32_MAX - 1, &n))
		return (uid_t)-1;
	return (uid_t)n;
}

int nsiso_privtmp_mount(uid_t uid, bool *host_fault, char *err, size_t len)
{
	size_t i;

	*host_fault = false;
	for (i = 0; i < N_PLACES; i++) {
		enum place_found found;
		int place = open_place(places[i], uid, &found, err, len), ret;
		uid_t owner;

		if (place < 0 && errno == ENOENT && i > 0)
			continue;	/* no /var/tmp: nothing to replace */
		if (place < 0) {
			*host_fault = found == PLACE_HOSTS_FAULT;
			return -1;
		}
		/* A login from inside a session: the user's own stays (an older
		 * release's instance is the user's, 0700: PLACE_USERS_OWN),
		 * another private_tmp user's is refused, a user's doing. */
		owner = found == PLACE_USERS_OWN ? uid : instance_owner(place, places[i]);
		if (owner == uid) {
			close(place);
			continue;
		}
		if (owner != (uid_t)-1) {
			close(place);
			errno = EPERM;
			return fail(err, len, "%s is the private %s of uid %u (a login from inside "
				    "another user's session with a private /tmp?)", places[i],
				    places[i], (unsigned)owner);
		}
		ret = mount_place(places[i], place, uid, host_fault, err, len);
		close(place);
		if (ret != 0)
			return -1;
	}
	return 0;
}

/* ---- the lock ---------------------------------------------------------- */

/* A file per user, not a byte per uid of one file: the kernel keeps a
 * file's locks in one list and walks it at every lock, test and close, so
 * one file for every user made each login pay for every private /tmp
 * session on the host (as the sessions file did: watch.c). */
static void user_file_name(uid_t uid, char *buf, size_t len)
{
	snprintf(buf, len, NSISO_PRIVATE_TMP_FILE_FORMAT, (unsigned)uid);
}

/* The user's file, read-locked and still named: fd, or -1 with errno. */
static int hold_user_file(int dir_fd, const char *name, const struct nsiso_deadline *until)
{
	for (;;) {
		int fd = openat(dir_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
				0600);
		int locked, e;

		if (fd < 0)
			return -1;
		locked = nsiso_lock_whole(fd, F_RDLCK, nsiso_deadline_left_ms(until));
		e = errno;
		if (locked == 0 && nsiso_still_named(dir_fd, fd, name))
			return fd;
		/* Or the file of a last reaper, which removed it under its
		 * write lock once it had moved the directories away: a new one. */
		close(fd);
		if (locked == 0 && nsiso_deadline_left_ms(until) > 0)
			continue;
		errno = locked != 0 ? e : ETIMEDOUT;
		return -1;
	}
}

/* A release of before the file per user locks byte <uid> of
 * private-tmp.lock for each session and moves the user's directories away
 * when its reaper finds that byte free; it never removes the file, and
 * neither do we (before the next boot, /run being a tmpfs, a broker of
 * before that was not restarted may still open sessions).  Where the file
 * is there, our sessions hold their byte too, so that the reapers of
 * before see them, and our reapers take it as theirs did.  A host that
 * never ran such a release has no such file and pays nothing; an upgrade
 * makes it before our helper first runs (debian/libpam-nsiso.preinst,
 * make install), since theirs would make it only at their next login.
 * fd, or -1 with errno (ENOENT: no file, nothing to hold). */
static int open_legacy(int dir_fd)
{
	return openat(dir_fd, NSISO_PRIVATE_TMP_LOCK_NAME,
		      O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
}

static void drop(struct nsiso_privtmp_locks *locks)
{
	if (locks->file >= 0)
		close(locks->file);
	if (locks->legacy >= 0)
		close(locks->legacy);
	*locks = (struct nsiso_privtmp_locks){ -1, -1 };
}

int nsiso_privtmp_hold(int lock_dir_fd, uid_t uid, int wait_ms, struct nsiso_privtmp_locks *locks,
		       char *err, size_t len)
{
	struct nsiso_deadline until;
	char name[64];
	int e;

	*locks = (struct nsiso_privtmp_locks){ -1, -1 };
	user_file_name(uid, name, sizeof(name));
	nsiso_deadline_in(&until, wait_ms);
	locks->file = hold_user_file(lock_dir_fd, name, &until);
	if (locks->file < 0)
		return fail(err, len, "cannot take the private /tmp lock of uid %u (%s): %m",
			    (unsigned)uid, name);
	locks->legacy = open_legacy(lock_dir_fd);
	if (locks->legacy < 0 && errno == ENOENT)
		return 0;
	if (locks->legacy >= 0 &&
	    nsiso_lock_uid_byte(locks->legacy, uid, F_RDLCK, nsiso_deadline_left_ms(&until)) == 0)
		return 0;
	e = errno;
	drop(locks);
	errno = e;
	return fail(err, len, "cannot take the private /tmp lock of uid %u (%s): %m",
		    (unsigned)uid, NSISO_PRIVATE_TMP_LOCK_NAME);
}

/* ---- removal ----------------------------------------------------------- */

struct removal {
	int base;
	uid_t uid;
	unsigned long progress;	/* entries removed or moved up this round */
};

/* A listing of the directory behind fd from its start: the DIR has a dup of
 * fd, which shares its offset with every earlier listing of it. */
static DIR *list_dir(int fd)
{
	int copy = dup(fd);
	DIR *dir = copy >= 0 ? fdopendir(copy) : NULL;

	if (!dir && copy >= 0)
		close(copy);
	if (dir)
		rewinddir(dir);
	return dir;
}

/* Too deep to go on from here: the directory goes up into the base, as a
 * gone entry of its own. */
static void move_up(struct removal *r, int dirfd, const char *name)
{
	char gone[64], hex[17];

	random_hex(hex);
	snprintf(gone, sizeof(gone), "%u.gone.%s", (unsigned)r->uid, hex);
	if (renameat2(dirfd, name, r->base, gone, RENAME_NOREPLACE) == 0)
		r->progress++;
}

/* One directory being emptied: its listing (which holds its fd) and its
 * name in the directory above. */
struct level {
	DIR *dir;
	char name[NAME_MAX + 1];
};

/* Open name below parent for emptying, into *level.  false when it is not a
 * directory we may enter: one swapped for something else since it was
 * listed is unlinked (never followed); a mount point (EXDEV) stays, and so
 * does every directory above it. */
static bool enter(struct removal *r, int parent, const char *name, struct level *level)
{
	int fd = open_below(parent, name);

	if (fd < 0) {
		if ((errno == ENOTDIR || errno == ELOOP) && unlinkat(parent, name, 0) == 0)
			r->progress++;
		return false;
	}
	level->dir = fdopendir(fd);
	if (!level->dir) {
		close(fd);
		return false;
	}
	snprintf(level->name, sizeof(level->name), "%s", name);
	return true;
}

/* The next entry of the deepest level: unlinked if it is not a directory
 * (unlink never follows: a symbolic link goes, not its target), moved up if
 * it is one too deep to enter, else entered.  The new depth. */
static int step(struct removal *r, struct level *stack, int depth, const char *name)
{
	int fd = dirfd(stack[depth].dir);

	if (unlinkat(fd, name, 0) == 0) {
		r->progress++;
		return depth;
	}
	if (errno != EISDIR)
		return depth;	/* gone already, or a mount point (EBUSY): left */
	if (depth + 1 >= REMOVE_DEPTH) {
		move_up(r, fd, name);
		return depth;
	}
	return enter(r, fd, name, &stack[depth + 1]) ? depth + 1 : depth;
}

/* Remove name below the base and everything in it, depth first, with one
 * listing per level and no recursion. */
static void remove_tree(struct removal *r, const char *name)
{
	struct level stack[REMOVE_DEPTH];
	struct dirent *entry;
	int depth = 0;

	if (!enter(r, r->base, name, &stack[0]))
		return;
	while (depth >= 0) {
		entry = readdir(stack[depth].dir);
		if (!entry) {
			int parent = depth > 0 ? dirfd(stack[depth - 1].dir) : r->base;

			closedir(stack[depth].dir);
			if (unlinkat(parent, stack[depth].name, AT_REMOVEDIR) == 0)
				r->progress++;
			depth--;
		} else if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
			depth = step(r, stack, depth, entry->d_name);
		}
	}
}

/* Every "<uid>.gone.*" entry of the base, in rounds until none is left (a
 * round also takes what earlier rounds moved up) or a round gets nowhere. */
static void remove_gone(int base, uid_t uid, const char *where, const char *session)
{
	char prefix[32];
	size_t plen;
	long round;

	plen = (size_t)snprintf(prefix, sizeof(prefix), "%u.gone.", (unsigned)uid);
	for (round = 0; round < REMOVE_ROUNDS; round++) {
		struct removal r = { base, uid, 0 };
		struct dirent *entry;
		DIR *dir = list_dir(base);
		int found = 0;

		if (!dir)
			break;
		while ((entry = readdir(dir)) != NULL) {
			if (strncmp(entry->d_name, prefix, plen) != 0)
				continue;
			found++;
			remove_tree(&r, entry->d_name);
		}
		closedir(dir);
		if (!found)
			return;
		if (r.progress == 0)
			break;
	}
	syslog(LOG_ERR, "session %s: the private %s of uid %u is not removed completely "
	       "(a mount point in it?): what is left stays in %s/%s", session, where,
	       (unsigned)uid, where, NSISO_PRIVATE_TMP_BASE);
}

/* The base of one place, as we made it, or -1 (then nothing of ours is
 * there). */
static int open_our_base(const char *where)
{
	char err[256];
	enum place_found found;
	struct stat st;
	int place = open_place(where, (uid_t)-1, &found, err, sizeof(err)), base;

	if (place < 0)
		return -1;
	base = open_below(place, NSISO_PRIVATE_TMP_BASE);
	close(place);
	if (base >= 0 && (fstat(base, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
			  (st.st_mode & 077) != 0)) {
		close(base);
		base = -1;
	}
	return base;
}

/* An exiting holder's second lock lingers for microseconds. */
#define LEGACY_WAIT_MS 50
/* A user's file is removed and made again for microseconds at a time. */
#define RELEASE_TRIES 8

/* The user's file, write-locked and still named: no session of ours holds
 * it.  -1 when one does; when it is gone (its last reaper removed it after
 * it moved the directories away, and no session came since: one would have
 * made it again); or on an error (logged). */
static int take_user_file(int dir_fd, const char *name, const char *session)
{
	int fd = nsiso_take_named_file(dir_fd, name, RELEASE_TRIES);

	if (fd < 0 && errno != ENOENT && !nsiso_lock_is_held(errno))
		syslog(LOG_ERR, "session %s: cannot take %s: %m: the private directories stay",
		       session, name);
	return fd;
}

/* Byte uid of private-tmp.lock taken exclusively, where the file is there
 * (open_legacy): no session of a release of before uses the directories,
 * and none starts to before we close it.  Waited for a little: the holder
 * of the user's other last session lets go of its two locks one after the
 * other as it exits, and its reaper may have found ours on the user's file
 * and left the directories to us.  fd, -1 when there is no file (*ok
 * true), or -1 with *ok false when one holds it or on an error (logged):
 * the directories stay. */
static int take_legacy_byte(int dir_fd, uid_t uid, const char *session, bool *ok)
{
	int fd = open_legacy(dir_fd), e;

	*ok = fd < 0 && errno == ENOENT;
	if (fd < 0) {
		if (!*ok)
			syslog(LOG_ERR, "session %s: cannot open %s: %m", session,
			       NSISO_PRIVATE_TMP_LOCK_NAME);
		return -1;
	}
	if (nsiso_lock_uid_byte(fd, uid, F_WRLCK, LEGACY_WAIT_MS) == 0) {
		*ok = true;
		return fd;
	}
	e = errno;
	close(fd);
	if (!nsiso_lock_is_held(e) && e != ETIMEDOUT)
		syslog(LOG_ERR, "session %s: cannot lock %s: %s", session,
		       NSISO_PRIVATE_TMP_LOCK_NAME, strerror(e));
	return -1;
}

void nsiso_privtmp_release(int lock_dir_fd, uid_t uid, const char *session)
{
	int lock, legacy, bases[N_PLACES];
	char name[16], gone[64], hex[17], file[64];
	bool no_other;
	size_t i;

	user_file_name(uid, file, sizeof(file));
	lock = take_user_file(lock_dir_fd, file, session);
	if (lock < 0)
		return;
	legacy = take_legacy_byte(lock_dir_fd, uid, session, &no_other);
	if (!no_other) {
		close(lock);	/* kept: the next last logout looks again */
		return;
	}
	/* private-tmp-release:wait keeps a new login waiting for our lock. */
	FAULT_POINT("private-tmp-release");
	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	for (i = 0; i < N_PLACES; i++) {
		bases[i] = open_our_base(places[i]);
		random_hex(hex);
		snprintf(gone, sizeof(gone), "%s.gone.%s", name, hex);
		if (bases[i] >= 0 && renameat2(bases[i], name, bases[i], gone, RENAME_NOREPLACE) != 0 &&
		    errno != ENOENT)
			syslog(LOG_ERR, "session %s: cannot move the private %s of uid %u away: %m",
			       session, places[i], (unsigned)uid);
	}
	/* From here a new session of the user makes a new file and fresh
	 * directories (one waiting for our lock finds this file removed).
	 * The old byte first: a reaper of the next session must not find it
	 * still ours. */
	if (legacy >= 0)
		close(legacy);
	unlinkat(lock_dir_fd, file, 0);
	close(lock);
	for (i = 0; i < N_PLACES; i++) {
		if (bases[i] < 0)
			continue;
		remove_gone(bases[i], uid, places[i], session);
		close(bases[i]);
	}
}
