/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* tracedthread: a process whose only live thread a process outside its
 * session may trace, and that tracer (threat model, "Not yet closed").
 *
 *   tracedthread victim FILE   a thread that lets any process of its uid
 *                              trace it (PR_SET_PTRACER_ANY, for Yama) and
 *                              waits; its TID in FILE; the leader then
 *                              calls pthread_exit()
 *   tracedthread tracer TID    PTRACE_SEIZE the thread and never wait for
 *                              it: once killed it stays a zombie until we
 *                              end */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <unistd.h>

static const char *tid_file;

static void *traced(void *arg)
{
	FILE *f;
	char tmp[4096];

	(void)arg;
	if (prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0) != 0)
		perror("PR_SET_PTRACER");
	snprintf(tmp, sizeof(tmp), "%s.tmp", tid_file);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", (int)gettid()) < 0 || fclose(f) != 0 || rename(tmp, tid_file) != 0)
		exit(1);
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc == 3 && strcmp(argv[1], "victim") == 0) {
		tid_file = argv[2];
		if (pthread_create(&t, NULL, traced, NULL) != 0)
			return 1;
		pthread_exit(NULL);
	}
	if (argc == 3 && strcmp(argv[1], "tracer") == 0) {
		if (ptrace(PTRACE_SEIZE, atoi(argv[2]), 0, 0) != 0) {
			perror("PTRACE_SEIZE");
			return 1;
		}
		for (;;)
			pause();
	}
	fprintf(stderr, "usage: tracedthread victim FILE | tracer TID\n");
	return 2;
}
