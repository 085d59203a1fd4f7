/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* libFuzzer target: the nsiso.conf parser and resolver.
 *
 * Every input is parsed as one conf file (nsiso_conf_parse_buffer), then
 * resolved for a fixed user (nsiso_conf_resolve), and the result is checked
 * against what the module and the helper rely on: anything that passes must
 * be something the helper would accept.  A violated property aborts, so the
 * fuzzer reports it like a crash.  Built by `make fuzz` (clang, libFuzzer,
 * ASan, UBSan); fuzz/replay.c runs the same function over fuzz/corpus/ in
 * `make fuzz-replay` (gcc, ASan, UBSan) without clang. */
#include <errno.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/conf.h"
#include "../common/hostname.h"
#include "../common/size.h"

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "conf_fuzz: property failed: %s (line %d)\n", \
				#cond, __LINE__);                                     \
			abort();                                                      \
		}                                                                     \
	} while (0)

static const gid_t groups[] = { 0, 100 };	/* root, users: @root and @users match */

/* The group database, fixed: fast (no NSS file read per @group rule) and
 * the same on every machine, so a finding replays anywhere.  Overrides
 * libc's for the parser in this program only. */
int getgrnam_r(const char *name, struct group *grp, char *buf, size_t len, struct group **result)
{
	static const struct { const char *name; gid_t gid; } db[] = {
		{ "root", 0 }, { "users", 100 }, { "nsisofuzz", 1234 }, { "staff", 50 },
	};
	size_t i;

	*result = NULL;
	for (i = 0; i < sizeof(db) / sizeof(db[0]); i++) {
		if (strcmp(name, db[i].name) != 0)
			continue;
		if (strlen(name) + 1 > len)
			return ERANGE;
		strcpy(buf, name);
		memset(grp, 0, sizeof(*grp));
		grp->gr_name = buf;
		grp->gr_gid = db[i].gid;
		*result = grp;
		return 0;
	}
	return 0;
}
static const struct nsiso_user user = { "nsisofuzz", 1234, groups, 2 };

static void check_limit(const struct nsiso_limit *l, int is_tasks)
{
	CHECK(l->kind == NSISO_LIMIT_UNSET || l->kind == NSISO_LIMIT_UNLIMITED ||
	      l->kind == NSISO_LIMIT_VALUE || l->kind == NSISO_LIMIT_PERCENT);
	if (l->kind == NSISO_LIMIT_PERCENT)
		CHECK(!is_tasks && l->value >= 1 && l->value <= 100);
	if (l->kind == NSISO_LIMIT_VALUE && is_tasks)
		CHECK(l->value >= 1 && l->value <= 4194304);
}

static void check_settings(const struct nsiso_settings *s)
{
	const unsigned all = NSISO_NS_UTS | NSISO_NS_IPC | NSISO_NS_MNT | NSISO_NS_PID | NSISO_NS_NET |
			     NSISO_NS_CGROUP;
	char text[64];
	unsigned again;
	size_t i;

	CHECK((s->isolate & ~all) == 0);
	if (s->isolate & NSISO_NS_PID)
		CHECK(s->isolate & NSISO_NS_MNT);
	/* What the module hands the helper as --isolate must parse back. */
	nsiso_isolate_format(s->isolate, text, sizeof(text));
	CHECK(nsiso_isolate_parse(text, &again) == NULL && again == s->isolate);
	check_limit(&s->memory, 0);
	check_limit(&s->swap, 0);
	check_limit(&s->tasks, 1);
	if (s->memory.kind == NSISO_LIMIT_VALUE)
		CHECK(s->memory.value >= NSISO_MEMORY_MIN && s->memory.value <= NSISO_SIZE_MAX);
	if (s->swap.kind == NSISO_LIMIT_VALUE)
		CHECK(s->swap.value <= NSISO_SIZE_MAX);
	/* What the helper writes to v1's memsw: no overflow, never "max". */
	if (nsiso_limit_is_set(&s->memory) && s->swap.kind == NSISO_LIMIT_VALUE)
		CHECK(nsiso_limit_bytes(&s->memory) + s->swap.value > s->swap.value &&
		      nsiso_limit_bytes(&s->memory) + s->swap.value != UINT64_MAX);
	CHECK(memchr(s->hostname, '\0', sizeof(s->hostname)) != NULL);
	CHECK(memchr(s->hostname_template, '\0', sizeof(s->hostname_template)) != NULL);
	if (s->hostname[0]) {
		CHECK(s->isolate & NSISO_NS_UTS);
		CHECK(strlen(s->hostname) <= NSISO_HOSTNAME_MAX);
		CHECK(nsiso_hostname_valid(s->hostname) == NULL);
	}
	CHECK(memchr(s->cgroup_parent, '\0', sizeof(s->cgroup_parent)) != NULL);
	CHECK(nsiso_cgroup_parent_check(s->cgroup_parent) == NULL);
	CHECK(s->on_logout == NSISO_LOGOUT_KILL || s->on_logout == NSISO_LOGOUT_KEEP);
	CHECK(s->private_tmp == NSISO_PRIVATE_TMP_NO || s->private_tmp == NSISO_PRIVATE_TMP_YES ||
	      s->private_tmp == NSISO_PRIVATE_TMP_KEEP);
	CHECK(s->propagation == NSISO_PROPAGATION_SLAVE ||
	      s->propagation == NSISO_PROPAGATION_PRIVATE);
	CHECK(s->on_error == NSISO_ON_ERROR_DENY || s->on_error == NSISO_ON_ERROR_ALLOW);
	for (i = 0; i < NSISO_ITEM_COUNT; i++) {
		if (s->origin[i].file)
			CHECK(strcmp(s->origin[i].file, "fuzz.conf") == 0 && s->origin[i].line > 0);
		if (s->written[i])
			CHECK(strlen(s->written[i]) < NSISO_VALUE_MAX);
	}
	(void)nsiso_settings_active(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nsiso_conf conf;
	struct nsiso_settings settings;
	struct nsiso_origin where = { 0 };
	const char *why;
	size_t i, n;

	memset(&conf, 0, sizeof(conf));
	nsiso_conf_parse_buffer(&conf, "fuzz.conf", (const char *)data, size);
	n = nsiso_conf_error_count(&conf);
	for (i = 0; i < n; i++) {
		const char *text = nsiso_conf_error(&conf, i);

		CHECK(text != NULL);
		CHECK(strncmp(text, "fuzz.conf:", 10) == 0 || strstr(text, "out of memory"));
	}
	for (i = 0; i < conf.n_rules; i++) {
		CHECK(conf.rules[i].item < NSISO_ITEM_COUNT);
		CHECK(conf.rules[i].line >= 1);
	}
	why = nsiso_conf_resolve(&conf, &user, &settings, &where);
	/* Exempt means exempt: only a user the rules act on can be refused. */
	if (why)
		CHECK(nsiso_settings_active(&settings) && !settings.exempt);
	/* The helper refuses a private /tmp without a mount namespace. */
	if (!why && nsiso_settings_active(&settings) && settings.private_tmp != NSISO_PRIVATE_TMP_NO)
		CHECK(settings.isolate & NSISO_NS_MNT);
	if (why)
		CHECK(settings.hostname[0] == '\0');
	else
		check_settings(&settings);
	nsiso_conf_free(&conf);
	return 0;
}
