/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* libFuzzer target: the helper's request decoder (common/request.c) on any
 * argument vector, as a caller of the setuid-standard helper could make
 * one.  The input is split at NUL bytes into arguments after
 * "nsiso-helper open".  Properties checked beyond "no crash":
 *  - a request that decodes, encoded again, decodes to the same request
 *    (the one contract holds both ways);
 *  - a failure always comes with a reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/request.h"

#define MAX_ARGS 64

static int same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same(const struct nsiso_request *a, const struct nsiso_request *b)
{
	return same_text(a->user, b->user) && a->uid == b->uid && a->caller == b->caller &&
	       same_text(a->session, b->session) && a->isolate == b->isolate &&
	       (!a->isolate || (a->propagation_private == b->propagation_private &&
				a->keep_on_logout == b->keep_on_logout &&
				a->private_tmp == b->private_tmp)) &&
	       same_text(a->hostname, b->hostname) && a->use_cgroup == b->use_cgroup &&
	       (!a->use_cgroup || memcmp(&a->limits, &b->limits, sizeof(a->limits)) == 0) &&
	       same_text(a->service, b->service) && same_text(a->tty, b->tty) &&
	       same_text(a->rhost, b->rhost) && same_text(a->run_dir, b->run_dir) &&
	       a->debug == b->debug;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[MAX_ARGS + 3], why[512];
	struct nsiso_request first, second;
	struct nsiso_request_args args;
	int argc = 2;
	size_t start = 0, i;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[0] = "nsiso-helper";
	argv[1] = "open";
	for (i = 0; i <= size && argc < MAX_ARGS + 2; i++) {
		if (i == size || copy[i] == '\0') {
			argv[argc++] = copy + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	why[0] = '\0';
	if (nsiso_request_decode(argc, argv, &first, why, sizeof(why)) != NULL) {
		if (!why[0])
			abort();	/* a failure without a reason */
	} else if (first.user && first.session && first.uid != (uid_t)-1 && first.caller > 0) {
		/* The module only ever sends these four; encode needs them. */
		nsiso_request_encode(&first, "nsiso-helper", &args);
		if (nsiso_request_decode(args.argc, args.argv, &second, why, sizeof(why)) != NULL ||
		    !same(&first, &second))
			abort();
	}
	free(copy);
	return 0;
}
