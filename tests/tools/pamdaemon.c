/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* nsiso-pamdaemon: open a PAM session the way atd does, with root kept only
 * in the saved uid, and run a command in it.
 *
 *   nsiso-pamdaemon [-t] SERVICE USER UID CMD [ARG...]     (started as root)
 *
 * Sets the real and effective uid to UID (the saved uid stays 0) and the
 * effective gid to the number UID (real and saved gid stay 0): root kept
 * only in the saved uid, real and effective gid apart.  Then, through
 * the real libpam: pam_start(SERVICE, USER), pam_open_session, a child that
 * runs CMD, pam_close_session, pam_end.  Prints one line per step with the
 * PAM result and the process's uids afterwards ("open 0 uids 1/1/0").
 * Exits 0 only if both calls returned PAM_SUCCESS, CMD exited 0 and the
 * uids were UID/UID/0 after each call, as the caller left them.
 *
 * -t: a second thread, started first and parked, whose uids must be
 * UID/UID/0 after each call too ("thread uids ..." on each line): the
 * module's id changes reach every thread, and the helper's vfork child
 * shares this process's memory until its exec.  After the open it prints
 * that thread's memory group (v2: its group), "thread cgroup PATH": the
 * session's cgroup takes the whole process. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

static int no_conversation(int n, const struct pam_message **msg, struct pam_response **resp,
			   void *data)
{
	(void)n, (void)msg, (void)resp, (void)data;
	return PAM_CONV_ERR;
}

static volatile pid_t parked_tid;

static void *park(void *arg)
{
	(void)arg;
	parked_tid = gettid();
	for (;;)
		pause();
	return NULL;
}

/* The parked thread's real, effective and saved uid, from the kernel. */
static int thread_uids(unsigned *r, unsigned *e, unsigned *s)
{
	char path[64], line[256];
	FILE *f;
	int found = -1;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)parked_tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (found < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u %u %u", r, e, s) == 3)
			found = 0;
	fclose(f);
	return found;
}

/* The parked thread's v1 memory group, or its v2 group, printed as
 * "thread cgroup PATH": the module moves the whole process, every thread. */
static void print_thread_cgroup(void)
{
	char path[64], line[4096], found[4096] = "?";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/cgroup", (int)parked_tid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *second = colon ? strchr(colon + 1, ':') : NULL;

		if (!second)
			continue;
		line[strcspn(line, "\n")] = '\0';
		/* v1's memory line; the unified line only where there is none
		 * (a hybrid host has both). */
		if (strncmp(colon + 1, "memory:", 7) == 0 ||
		    (strncmp(line, "0::", 3) == 0 && strcmp(found, "?") == 0))
			snprintf(found, sizeof(found), "%s", second + 1);
	}
	if (f)
		fclose(f);
	printf("thread cgroup %s\n", found);
}

/* Print the step and say whether the uids are as the caller set them. */
static int report(const char *step, int ret, uid_t uid)
{
	unsigned tr = 0, te = 0, ts = 0;
	uid_t r, e, s;
	int ok;

	if (getresuid(&r, &e, &s) != 0)
		return -1;
	ok = ret == PAM_SUCCESS && r == uid && e == uid && s == 0;
	printf("%s %d uids %u/%u/%u", step, ret, (unsigned)r, (unsigned)e, (unsigned)s);
	if (parked_tid) {
		if (thread_uids(&tr, &te, &ts) < 0)
			ok = 0;
		printf(" thread uids %u/%u/%u", tr, te, ts);
		ok = ok && tr == uid && te == uid && ts == 0;
	}
	printf("\n");
	fflush(stdout);
	return ok ? 0 : -1;
}

static int run(char **cmd)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execv(cmd[0], cmd);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	printf("command exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct pam_conv conv = { no_conversation, NULL };
	pam_handle_t *pamh = NULL;
	pthread_t thread;
	uid_t uid;
	int ret, bad = 0;

	if (argc > 1 && strcmp(argv[1], "-t") == 0) {
		if (pthread_create(&thread, NULL, park, NULL) != 0) {
			fprintf(stderr, "nsiso-pamdaemon: cannot start a thread\n");
			return 1;
		}
		while (!parked_tid)
			usleep(1000);
		argv++, argc--;
	}
	if (argc < 5) {
		fprintf(stderr, "usage: nsiso-pamdaemon [-t] SERVICE USER UID CMD [ARG...]\n");
		return 2;
	}
	uid = (uid_t)strtoul(argv[3], NULL, 10);
	if (setresgid(0, uid, 0) != 0 || setresuid(uid, uid, 0) != 0) {
		perror("nsiso-pamdaemon: setresuid");
		return 1;
	}
	if (pam_start(argv[1], argv[2], &conv, &pamh) != PAM_SUCCESS) {
		fprintf(stderr, "nsiso-pamdaemon: pam_start failed\n");
		return 1;
	}
	ret = pam_open_session(pamh, PAM_SILENT);
	if (report("open", ret, uid) < 0) {
		pam_end(pamh, ret);
		return 1;
	}
	if (parked_tid)
		print_thread_cgroup();
	bad |= run(argv + 4);
	ret = pam_close_session(pamh, PAM_SILENT);
	bad |= report("close", ret, uid);
	pam_end(pamh, ret);
	return bad ? 1 : 0;
}
