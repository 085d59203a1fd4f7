/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* A time budget and what is left of it (CLOCK_MONOTONIC).  A session open
 * has one budget (NSISO_OPEN_TIMEOUT_MS, common/proto.h): each wait on the
 * way takes what remains of it instead of a fixed bound of its own, so that
 * one slow step on a loaded machine does not fail an open the budget still
 * has room for, and no wait outlasts the budget. */
#ifndef NSISO_DEADLINE_H
#define NSISO_DEADLINE_H

#include <time.h>

struct nsiso_deadline {
	struct timespec end;
};

/* The deadline ms milliseconds from now. */
static inline void nsiso_deadline_in(struct nsiso_deadline *d, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, &d->end);
	d->end.tv_sec += ms / 1000;
	d->end.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (d->end.tv_nsec >= 1000000000L) {
		d->end.tv_sec++;
		d->end.tv_nsec -= 1000000000L;
	}
}

/* Milliseconds left, never negative: poll() would take a negative time-out
 * as "forever". */
static inline int nsiso_deadline_left_ms(const struct nsiso_deadline *d)
{
	struct timespec now;
	long long left;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left = (long long)(d->end.tv_sec - now.tv_sec) * 1000 +
	       (d->end.tv_nsec - now.tv_nsec) / 1000000;
	return left > 0 ? (int)left : 0;
}

#endif
