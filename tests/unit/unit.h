/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* What every unit test shares: cmocka, and cases that register themselves
 * where they are written, so that no file keeps a list of its cases or a
 * main() of its own (unit.c runs them, in the order they are written).
 *
 *   UNIT_TEST(name) { ... }                    a case
 *   UNIT_TEST_IN(name, setup, teardown) { ... } a case with a fixture
 *   UNIT_ROWS(run, rows, setup, teardown)       a case per row of a table,
 *                                               named by its .name; run
 *                                               finds its row in *state
 *   UNIT_NEEDS_ROOT                             refuse to run unless root
 */
#ifndef NSISO_UNIT_H
#define NSISO_UNIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#define UNIT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Add a case; line and row order the cases as they stand in the file. */
void unit_register(int line, size_t row, const char *name, CMUnitTestFunction test,
		   CMFixtureFunction setup, CMFixtureFunction teardown, const void *row_data);

extern bool unit_root_only;

/* The constructor is what puts a case in the run: it cannot be forgotten. */
#define UNIT_TEST_IN(name, setup, teardown)					\
	static void name(void **state);						\
	__attribute__((constructor)) static void unit_register_##name(void)	\
	{									\
		unit_register(__LINE__, 0, #name, name, setup, teardown, NULL);	\
	}									\
	static void name(void **state __attribute__((unused)))

#define UNIT_TEST(name) UNIT_TEST_IN(name, NULL, NULL)

#define UNIT_ROWS(run, rows, setup, teardown)					\
	__attribute__((constructor)) static void unit_register_##run(void)	\
	{									\
		size_t i;							\
										\
		for (i = 0; i < UNIT_ARRAY_SIZE(rows); i++)			\
			unit_register(__LINE__, i, (rows)[i].name, run, setup,	\
				      teardown, &(rows)[i]);			\
	}

#define UNIT_NEEDS_ROOT								\
	__attribute__((constructor)) static void unit_needs_root(void)		\
	{									\
		unit_root_only = true;						\
	}

#endif
