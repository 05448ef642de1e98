/* SPDX-License-Identifier: GPL-2.0 */
/* The one clock of the load tool: CLOCK_MONOTONIC in nanoseconds. */
#ifndef XLB_LOAD_CLOCK_H
#define XLB_LOAD_CLOCK_H

#include <stdint.h>
#include <time.h>

#define NS_PER_MS 1000000ull
#define NS_PER_SEC 1000000000ull
#define NEVER UINT64_MAX

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

#endif
