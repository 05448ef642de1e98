/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Turning anomaly scores into decisions: a score threshold from the share
 * of training rows expected to be anomalous, and a persistence rule so that
 * one odd second does not drain a backend.
 */
#ifndef XLB_THRESHOLD_H
#define XLB_THRESHOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The score above which a `contamination` share (0 < c < 1) of scores[]
 * lie: the (1 - c) quantile with linear interpolation, as numpy's default
 * percentile and scikit-learn's offset_ compute it. A row is anomalous
 * when its score is strictly greater. Allocates a sorted copy.
 */
int xlb_score_threshold(const double *scores, size_t n, double contamination,
			double *threshold);

/* k anomalous ticks among the last m (1 <= k <= m <= 64). */
struct xlb_persistence {
	uint64_t history; /* bit i: the tick i steps ago was anomalous */
	unsigned int k, m;
};

int xlb_persistence_init(struct xlb_persistence *p, unsigned int k,
			 unsigned int m);
/* Records one tick; true when at least k of the last m were anomalous. */
bool xlb_persistence_update(struct xlb_persistence *p, bool anomalous);
unsigned int xlb_persistence_count(const struct xlb_persistence *p);
void xlb_persistence_reset(struct xlb_persistence *p);

#endif
