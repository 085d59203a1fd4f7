/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* cgroup_mode systemd: the user's limits set on systemd's user slice. */
#ifndef NSISO_HELPER_SYSTEMD_H
#define NSISO_HELPER_SYSTEMD_H

#include <stddef.h>

#include "../common/cgroup.h"

#define NSISO_SYSTEMCTL "/bin/systemctl"

/* systemctl set-property --runtime UNIT MemoryMax= MemorySwapMax= TasksMax=,
 * run with an empty environment; systemd stays the only writer of its tree.
 * 0, or -1 with a reason in err. */
int systemd_set_limits(const char *unit, const struct nsiso_cgroup_limits *limits,
		       char *err, size_t len);

#endif
