/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* What the unit tests that need files share: a private directory under /tmp
 * per test case (cmocka setup and teardown), and small files written into
 * it.  Included by one test file each: the functions are static, the
 * directory is that file's. */
#ifndef NSISO_UNIT_FILES_H
#define NSISO_UNIT_FILES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static char unit_dir[64];

/* setup: a new, empty unit_dir (root's, 0700: mkdtemp). */
static int unit_make_dir(void **state)
{
	(void)state;
	strcpy(unit_dir, "/tmp/nsiso-unit.XXXXXX");
	return mkdtemp(unit_dir) ? 0 : -1;
}

/* teardown: unit_dir and everything in it. */
static int unit_remove_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", unit_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A case run in a fresh unit_dir. */
#define UNIT_FILE_TEST(name) UNIT_TEST_IN(name, unit_make_dir, unit_remove_dir)

/* Write text to <dir>/<name>; the path, valid until the next call. */
__attribute__((unused))
static const char *unit_write_file(const char *dir, const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	return path;
}

#endif
