/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-or-later */
/* Fault injection for tests only.  Production builds compile every
 * FAULT_POINT to nothing; the test build (tests/build/nsiso-helper-faults,
 * made with -DNSISO_FAULT_FILE=...) reads the faults from that compiled-in
 * file, one a line, and acts on each matching point:
 *   "<point>:stall"  stop there forever (a wedged helper or holder)
 *   "<point>:slow"   sleep 4 s there, then go on (a slow machine's step:
 *                    longer than a fixed bound of a few seconds would allow,
 *                    well within the open's budget)
 *   "<point>:wait"   wait there until the fault file is removed, at most
 *                    60 s (a step that takes as long as the test needs)
 *   "<point>:exit"   exit 1 there (a helper that dies)
 *   "<point>:kill"   SIGKILL itself there (killed mid-setup)
 *   "<point>:fail"   make that step fail (FAULT_FAILS returns true) */
#ifndef NSISO_FAULTS_H
#define NSISO_FAULTS_H

#include <stdbool.h>

#ifdef NSISO_FAULT_FILE
bool nsiso_fault_point(const char *point);
/* The point "<point>-<id>": one that a test arms for one id only. */
void nsiso_fault_point_of(const char *point, unsigned long id);
#define FAULT_POINT(point) ((void)nsiso_fault_point(point))
#define FAULT_FAILS(point) nsiso_fault_point(point)
#define FAULT_POINT_OF(point, id) nsiso_fault_point_of(point, id)
#else
#define FAULT_POINT(point) ((void)0)
#define FAULT_FAILS(point) false
#define FAULT_POINT_OF(point, id) ((void)0)
#endif

#endif
