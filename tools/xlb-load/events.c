// SPDX-License-Identifier: GPL-2.0
#include "events.h"
#include "clock.h"

#include <errno.h>

volatile sig_atomic_t load_stop_requested;

int wait_events(int epfd, struct epoll_event *events, int max,
		uint64_t deadline_ns)
{
	struct timespec ts, *timeout = NULL;
	uint64_t now;
	int n;

	if (deadline_ns != NEVER) {
		now = now_ns();
		deadline_ns = deadline_ns > now ? deadline_ns - now : 0;
		ts.tv_sec = deadline_ns / NS_PER_SEC;
		ts.tv_nsec = deadline_ns % NS_PER_SEC;
		timeout = &ts;
	}
	n = epoll_pwait2(epfd, events, max, timeout, NULL);
	if (n < 0 && errno == EINTR)
		return 0;
	return n;
}
