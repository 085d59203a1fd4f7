/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* fusestall: a process of a user's that keeps its mmap lock from everyone
 * else for as long as a FUSE server does not answer (threat model: a
 * user's process that hangs a reader of its /proc/PID/cmdline).
 *
 *   fusestall serve DIR   mount a FUSE file system on DIR (root: mount(2)
 *                         with allow_other; a user does the same through
 *                         the setuid fusermount3) holding one file, "f",
 *                         whose every READ it takes and never answers;
 *                         prints "serving" once mounted, ends when the
 *                         connection goes (its own death aborts it);
 *                         only for root, also in a setuid copy
 *   fusestall hold FILE   map FILE; one thread reads the mapping through
 *                         /proc/self/mem, whose fault holds the mmap lock
 *                         shared while it waits for the page, and a second
 *                         one mmaps, waiting for the lock exclusive behind
 *                         it: every later reader of the lock (a read of
 *                         /proc/PID/cmdline) waits behind both.  Then
 *                         turns dumpable off (so /proc/PID is root's),
 *                         prints "held" and pauses.
 *
 * Exit 1 with a reason on stderr. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FILE_INO 2
#define FILE_SIZE 65536

static int die(const char *what)
{
	fprintf(stderr, "fusestall: %s: %s\n", what, strerror(errno));
	return 1;
}

/* ---- serve ---------------------------------------------------------- */

static void reply(int dev, uint64_t unique, int error, const void *body, size_t len)
{
	struct fuse_out_header out = { (uint32_t)(sizeof(out) + len), -error, unique };
	char buf[sizeof(out) + 256];

	memcpy(buf, &out, sizeof(out));
	if (body)
		memcpy(buf + sizeof(out), body, len);
	if (write(dev, buf, out.len) < 0)
		perror("fusestall: reply");
}

static void attr_of(uint64_t ino, struct fuse_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->ino = ino;
	attr->mode = ino == FILE_INO ? S_IFREG | 0444 : S_IFDIR | 0755;
	attr->nlink = ino == FILE_INO ? 1 : 2;
	attr->size = ino == FILE_INO ? FILE_SIZE : 0;
	attr->blocks = attr->size / 512;
	attr->blksize = 4096;
}

static void answer(int dev, const struct fuse_in_header *in, const char *arg)
{
	struct fuse_init_out init = { .major = FUSE_KERNEL_VERSION,
				      .minor = FUSE_KERNEL_MINOR_VERSION, .max_write = 4096 };
	struct fuse_entry_out entry = { .nodeid = FILE_INO };
	struct fuse_attr_out attr = { 0 };
	struct fuse_open_out open = { .fh = 1 };

	switch (in->opcode) {
	case FUSE_INIT:
		reply(dev, in->unique, 0, &init, sizeof(init));
		break;
	case FUSE_LOOKUP:
		if (in->nodeid != FUSE_ROOT_ID || strcmp(arg, "f") != 0) {
			reply(dev, in->unique, ENOENT, NULL, 0);
			break;
		}
		attr_of(FILE_INO, &entry.attr);
		reply(dev, in->unique, 0, &entry, sizeof(entry));
		break;
	case FUSE_GETATTR:
		attr_of(in->nodeid, &attr.attr);
		reply(dev, in->unique, 0, &attr, sizeof(attr));
		break;
	case FUSE_OPEN:
	case FUSE_OPENDIR:
		reply(dev, in->unique, 0, &open, sizeof(open));
		break;
	case FUSE_READ:			/* the point: never answered */
	case FUSE_FORGET:		/* these two take no answer */
	case FUSE_BATCH_FORGET:
		break;
	case FUSE_INTERRUPT:		/* of a READ: not answered either */
		break;
	case FUSE_FLUSH:
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
		reply(dev, in->unique, 0, NULL, 0);
		break;
	default:
		reply(dev, in->unique, ENOSYS, NULL, 0);
	}
}

static int serve(const char *dir)
{
	static char buf[FUSE_MIN_READ_BUFFER + 131072];
	char options[128];
	ssize_t n;
	int dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);

	if (getuid() != 0) {		/* a setuid copy mounts nothing for a user */
		errno = EPERM;
		return die("serve");
	}
	if (dev < 0)
		return die("/dev/fuse");
	snprintf(options, sizeof(options),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", dev);
	if (mount("nsiso-stall", dir, "fuse.nsiso-stall", MS_NOSUID | MS_NODEV, options) != 0)
		return die(dir);
	printf("serving\n");
	fflush(stdout);
	while ((n = read(dev, buf, sizeof(buf))) > 0 || (n < 0 && (errno == EINTR ||
								      errno == ENOENT)))
		if (n >= (ssize_t)sizeof(struct fuse_in_header))
			answer(dev, (const struct fuse_in_header *)buf,
			       buf + sizeof(struct fuse_in_header));
	return errno == ENODEV ? 0 : die("read /dev/fuse");
}

/* ---- hold ----------------------------------------------------------- */

/* Once the reader waits, nothing here may take the mmap lock: no thread's
 * stack to map, no malloc (stdio's buffer), only system calls on what was
 * made before. */
static char *mapped;
static int self_mem = -1;	/* opened while dumpable: then the user's */
static int go[2];		/* the mapper's start, a pipe */

/* A thread of hold's: its body, and its kernel id once it runs. */
struct waiter {
	void (*body)(void);
	volatile pid_t tid;
};

static void *run_waiter(void *arg)
{
	struct waiter *w = arg;

	w->tid = (pid_t)syscall(SYS_gettid);
	w->body();
	return NULL;
}

static void read_mapping(void)
{
	char byte;

	if (pread(self_mem, &byte, 1, (off_t)(uintptr_t)mapped) < 0)
		die("read of the mapping through /proc/self/mem");
}

static void map_more(void)
{
	char byte;

	if (read(go[0], &byte, 1) != 1 ||
	    mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
		die("mmap");
}

/* Thread w's line in a file of /proc/self/task/TID: 0, or -1. */
static int task_file(const struct waiter *w, const char *name, char *text, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", (int)w->tid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, text, size - 1);
	if (fd >= 0)
		close(fd);
	text[n > 0 ? n : 0] = '\0';
	return n > 0 ? 0 : -1;
}

/* Thread w waits in the kernel: the reader in pread (its FUSE wait is
 * interruptible, "S", like any sleep: the syscall file tells it from a
 * thread not there yet), the mapper for the mmap lock (a killable wait,
 * "D").  For up to 10 s. */
static int waits(const struct waiter *w)
{
	char text[512], pread_call[16];
	const char *state;
	int i;

	snprintf(pread_call, sizeof(pread_call), "%d ", SYS_pread64);
	for (i = 0; i < 1000; i++, nanosleep(&(struct timespec){ 0, 10000000 }, NULL)) {
		if (!w->tid)
			continue;
		if (w->body == read_mapping) {
			if (task_file(w, "syscall", text, sizeof(text)) == 0 &&
			    strncmp(text, pread_call, strlen(pread_call)) == 0)
				return 0;
		} else if (task_file(w, "stat", text, sizeof(text)) == 0 &&
			   (state = strrchr(text, ')')) && strncmp(state, ") D", 3) == 0) {
			return 0;
		}
	}
	errno = ETIMEDOUT;
	return -1;
}

static int start(struct waiter *w)
{
	pthread_t thread;

	errno = pthread_create(&thread, NULL, run_waiter, w);
	return errno == 0 ? 0 : -1;
}

/* Both threads are made first (a thread's stack is an mmap), the mapper
 * waiting on the pipe; it mmaps once the reader waits for the page. */
static int hold(const char *file)
{
	static struct waiter reader = { read_mapping, 0 }, mapper = { map_more, 0 };
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return die(file);
	mapped = mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (mapped == MAP_FAILED)
		return die("mmap of the file");
	self_mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	if (self_mem < 0 || pipe2(go, O_CLOEXEC) != 0)
		return die("/proc/self/mem, a pipe");
	if (start(&mapper) != 0 || start(&reader) != 0)
		return die("a thread");
	/* Dumpable until both wait: /proc/self/task is the user's till then. */
	if (waits(&reader) != 0 || write(go[1], "", 1) != 1 || waits(&mapper) != 0)
		return die("waiting for the reader, then the mapper");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return die("PR_SET_DUMPABLE");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return serve(argv[2]);
	if (argc != 3 || strcmp(argv[1], "hold") != 0) {
		fprintf(stderr, "usage: fusestall serve DIR | hold FILE\n");
		return 2;
	}
	if (hold(argv[2]) != 0 || write(STDOUT_FILENO, "held\n", 5) != 5)
		return 1;
	for (;;)
		pause();
}
