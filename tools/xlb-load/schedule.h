/* SPDX-License-Identifier: GPL-2.0 */
/*
 * When each request is due. The schedule never waits for answers: that is
 * what makes the tool open-loop, and what lets latency be measured from the
 * intended time instead of hiding a slow server behind fewer requests.
 */
#ifndef XLB_LOAD_SCHEDULE_H
#define XLB_LOAD_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#include "options.h"

struct schedule {
	uint64_t start_ns;
	uint64_t next_ns; /* intended time of the next request */
	uint64_t end_ns;  /* no request at or after this */
	uint64_t issued, limit;
	double gap_ns; /* mean inter-arrival time */
	bool poisson;
	bool stopped;
	uint64_t rng;
};

/* @rate requests per second from @start_ns, within --duration and
 * @limit requests (0: no limit). */
void schedule_init(struct schedule *s, const struct load_options *o,
		   uint64_t start_ns, double rate, uint64_t limit);

/* If a request is due at @now, takes it and gives its intended time. */
bool schedule_take(struct schedule *s, uint64_t now, uint64_t *intended_ns);

/* When the next request is due; NEVER once the schedule is over. */
uint64_t schedule_next(const struct schedule *s);

bool schedule_over(const struct schedule *s);
void schedule_stop(struct schedule *s, uint64_t now);

/* How long the schedule ran (for the achieved rate). */
uint64_t schedule_window(const struct schedule *s);

#endif
