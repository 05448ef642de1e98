/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A log-linear histogram of nanosecond values in the manner of HdrHistogram:
 * exact below 1024 ns, then 512 sub-buckets per power of two, so every
 * recorded value is known to within 0.2% up to 2^42 ns (73 minutes).
 * Min, max and the sum are kept exactly.
 */
#ifndef XLB_LOAD_HISTOGRAM_H
#define XLB_LOAD_HISTOGRAM_H

#include <stdint.h>

struct histogram {
	uint64_t *counts;
	uint64_t total;
	uint64_t min, max;
	long double sum;
};

int hist_init(struct histogram *h);
void hist_free(struct histogram *h);
void hist_reset(struct histogram *h);
void hist_record(struct histogram *h, uint64_t value);
/* The value at percentile @p (0..100): the highest value of the bucket
 * that holds it, never above max; 0 when empty. */
uint64_t hist_percentile(const struct histogram *h, double p);
double hist_mean(const struct histogram *h);

#endif
