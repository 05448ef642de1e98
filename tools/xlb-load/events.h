/* SPDX-License-Identifier: GPL-2.0 */
/* What the three modes' event loops share: waiting on epoll until a
 * deadline with nanosecond precision, the stop request of a signal, and the
 * start and end of a run. */
#ifndef XLB_LOAD_EVENTS_H
#define XLB_LOAD_EVENTS_H

#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "options.h"
#include "result.h"
#include "schedule.h"

extern volatile sig_atomic_t load_stop_requested;

/* Like epoll_wait, until @deadline_ns on the monotonic clock (NEVER: no
 * deadline). Millisecond timeouts would make the schedule late by up to a
 * millisecond, which would show in every percentile; hence epoll_pwait2.
 * Returns 0 when interrupted by a signal. */
int wait_events(int epfd, struct epoll_event *events, int max,
		uint64_t deadline_ns);

/* Starts the schedule of an open-loop mode (http, udp) 1 ms from now, and
 * the progress lines. Returns when the run ends whatever happens. */
uint64_t run_start(struct schedule *s, const struct load_options *o,
		   struct load_result *r);

/* After a stop request no request is sent; the outstanding ones may still
 * be answered. */
void run_check_stop(struct schedule *s, struct load_result *r, uint64_t now);

/* Ends a run: the @unanswered requests timed out. */
void run_end(struct load_result *r, const struct schedule *s,
	     unsigned int unanswered);

#endif
