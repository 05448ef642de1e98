// SPDX-License-Identifier: GPL-2.0
#include "events.h"
#include "clock.h"
#include "report.h"

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

uint64_t run_start(struct schedule *s, const struct load_options *o,
		   struct load_result *r)
{
	r->start_ns = now_ns() + NS_PER_MS;
	schedule_init(s, o, r->start_ns, o->rate, o->count);
	progress_start(o, r);
	return r->start_ns + (uint64_t)(load_hard_limit_s(o) * NS_PER_SEC);
}

void run_check_stop(struct schedule *s, struct load_result *r, uint64_t now)
{
	if (load_stop_requested && !schedule_over(s)) {
		r->interrupted = true;
		schedule_stop(s, now);
	}
}

void run_end(struct load_result *r, const struct schedule *s,
	     unsigned int unanswered)
{
	for (; unanswered; unanswered--)
		result_error(r, ERR_TIMEOUT, NULL);
	r->window_ns = schedule_window(s);
	r->end_ns = now_ns();
}
