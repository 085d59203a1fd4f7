/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* The kernel's OOM kill report as /dev/kmsg gives it (common/kmsg.c): the
 * fields of a real record, a command its owner chose to look like other
 * fields, records that are not the kernel's or not a kill, and whether a
 * victim was in a group. */
#include <string.h>
#include "unit.h"

#include "../../common/kmsg.h"

/* What the case's last record gave. */
static struct nsiso_kmsg_oom oom;
static uint64_t seq;

static int parse(const char *record)
{
	seq = 0;
	memset(&oom, 0x5a, sizeof(oom));
	return nsiso_kmsg_parse(record, strlen(record), &seq, &oom);
}

/* As this machine's kernel wrote one (6.18, cgroup v1). */
UNIT_TEST(real_record)
{
	assert_int_equal(parse("6,24318,24954331232,-;oom-kill:constraint=CONSTRAINT_MEMCG,"
			       "nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/nsiso-test-3f2589/"
			       "user-1001,task_memcg=/nsiso-test-3f2589/user-1001,task=dd,pid=1089,"
			       "uid=1001\n"), 1);
	assert_true(seq == 24318);
	assert_int_equal(oom.pid, 1089);
	assert_int_equal(oom.uid, 1001);
	assert_string_equal(oom.command, "dd");
	assert_string_equal(oom.oom_memcg, "/nsiso-test-3f2589/user-1001");
	assert_string_equal(oom.task_memcg, "/nsiso-test-3f2589/user-1001");
	assert_true(nsiso_kmsg_in_group(&oom, "/nsiso-test-3f2589/user-1001"));
	assert_false(nsiso_kmsg_in_group(&oom, "/nsiso-test-3f2589/user-100"));
	assert_false(nsiso_kmsg_in_group(&oom, "/nsiso-test-3f258"));
	assert_false(nsiso_kmsg_in_group(&oom, "/"));
	/* below a group is in it */
	assert_true(nsiso_kmsg_in_group(&oom, "/nsiso-test-3f2589"));
}

/* A kill for the whole host names no oom_memcg; dictionary lines that
 * follow a record are not part of its text. */
UNIT_TEST(host_wide_kill)
{
	assert_int_equal(parse("3,7,100,-;oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),"
			       "cpuset=/,mems_allowed=0,global_oom,task_memcg=/nsiso/user-1000/x,"
			       "task=memhog,pid=4321,uid=1000\n SUBSYSTEM=mem\n"), 1);
	assert_string_equal(oom.oom_memcg, "");
	assert_string_equal(oom.task_memcg, "/nsiso/user-1000/x");
	assert_int_equal(oom.pid, 4321);
	/* a group below the user's is the user's */
	assert_true(nsiso_kmsg_in_group(&oom, "/nsiso/user-1000"));
}

/* The comm is the victim's owner's to choose (15 characters): one that
 * looks like ",pid=1,uid=0" or a cgroup moves no field. */
UNIT_TEST(command_cannot_move_fields)
{
	assert_int_equal(parse("6,9,1,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
			       "mems_allowed=0,oom_memcg=/nsiso/user-1000,task_memcg=/nsiso/user-1000,"
			       "task=x,pid=1,uid=0,pid=777,uid=1000"), 1);
	assert_int_equal(oom.pid, 777);
	assert_int_equal(oom.uid, 1000);
	assert_string_equal(oom.command, "x,pid=1,uid=0");
	assert_string_equal(oom.task_memcg, "/nsiso/user-1000");
	assert_int_equal(parse("6,10,1,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
			       "mems_allowed=0,oom_memcg=/nsiso/user-1000,task_memcg=/nsiso/user-1000,"
			       "task=a,task_memcg=/r,pid=55,uid=1000"), 1);
	assert_string_equal(oom.task_memcg, "/nsiso/user-1000");
	assert_string_equal(oom.command, "a,task_memcg=/r");
	/* escaped or spaced: printable, spaces and the rest made '?' */
	assert_int_equal(parse("6,11,1,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),"
			       "cpuset=/,mems_allowed=0,oom_memcg=/g,task_memcg=/g,task=my hog\x01,"
			       "pid=56,uid=1000"), 1);
	assert_string_equal(oom.command, "my?hog?");
}

/* Only the kernel's (facility 0) oom-kill reports; other records give
 * their sequence number; a broken header is malformed. */
UNIT_TEST(other_records)
{
	assert_int_equal(parse("6,12,1,-;Memory cgroup out of memory: Killed process 4 (x)"), 0);
	assert_true(seq == 12);
	/* written to /dev/kmsg by a program (facility user): never a kill */
	assert_int_equal(parse("14,13,1,-;oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/g,"
			       "task_memcg=/g,task=x,pid=5,uid=1"), 0);
	assert_true(seq == 13);
	/* a command named like the report, in another record */
	assert_int_equal(parse("4,14,1,-;oom-kill:constr[99]: segfault at 0"), 0);
	/* a report without the fields */
	assert_int_equal(parse("6,15,1,-;oom-kill:constraint=CONSTRAINT_MEMCG,task=x"), 0);
	assert_int_equal(parse("6,16,1,-;oom-kill:constraint=C,task_memcg=/g,task=x,pid=0,uid=1"), 0);
	assert_int_equal(parse("6,17,1,-;oom-kill:constraint=C,task_memcg=/g,task=x,pid=9,uid=1x"), 0);
	assert_int_equal(parse("x,1,1,-;text"), -1);
	assert_int_equal(parse("6;text"), -1);
	assert_int_equal(parse("6,5,1,-"), -1);
	assert_int_equal(nsiso_kmsg_parse("", 0, &seq, &oom), -1);
}
