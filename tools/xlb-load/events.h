/* SPDX-License-Identifier: GPL-2.0 */
/* What the three modes' event loops share: waiting on epoll until a
 * deadline with nanosecond precision, and the stop request of a signal. */
#ifndef XLB_LOAD_EVENTS_H
#define XLB_LOAD_EVENTS_H

#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>

extern volatile sig_atomic_t load_stop_requested;

/* Like epoll_wait, until @deadline_ns on the monotonic clock (NEVER: no
 * deadline). Millisecond timeouts would make the schedule late by up to a
 * millisecond, which would show in every percentile; hence epoll_pwait2.
 * Returns 0 when interrupted by a signal. */
int wait_events(int epfd, struct epoll_event *events, int max,
		uint64_t deadline_ns);

#endif
