/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The one main() of the unit tests: runs the cases unit.h's macros
 * registered, as one cmocka group, in the order they are written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#define UNIT_CASES_MAX 128

struct unit_case {
	int line;
	size_t row;
	struct CMUnitTest test;
};

static struct unit_case cases[UNIT_CASES_MAX];
static size_t n_cases;
bool unit_root_only;

void unit_register(int line, size_t row, const char *name, CMUnitTestFunction test,
		   CMFixtureFunction setup, CMFixtureFunction teardown, const void *row_data)
{
	if (n_cases == UNIT_CASES_MAX) {
		fprintf(stderr, "unit.c: more than %d cases: raise UNIT_CASES_MAX\n", UNIT_CASES_MAX);
		exit(1);
	}
	/* cmocka hands initial_state to the case as *state and never writes
	 * through it: a row stays const. */
	cases[n_cases++] = (struct unit_case){ line, row,
		{ name, test, setup, teardown, (void *)row_data } };
}

/* Constructors run in no promised order: sort by place in the file. */
static int by_place(const void *a, const void *b)
{
	const struct unit_case *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

int main(void)
{
	struct CMUnitTest tests[UNIT_CASES_MAX];
	size_t i;

	if (unit_root_only && geteuid() != 0) {
		fprintf(stderr, "%s needs root\n", program_invocation_short_name);
		return 1;
	}
	qsort(cases, n_cases, sizeof(cases[0]), by_place);
	for (i = 0; i < n_cases; i++)
		tests[i] = cases[i].test;
	return _cmocka_run_group_tests("tests", tests, n_cases, NULL, NULL);
}
