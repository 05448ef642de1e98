// SPDX-License-Identifier: GPL-2.0
/* Score threshold from contamination; k-of-m persistence. */
#include <math.h>

#include "model_error.h"
#include "testing.h"
#include "threshold.h"

/*
 * Ten scores 0.1 .. 1.0 (shuffled), 10% contamination: the 90th percentile
 * sits at position 0.9 * 9 = 8.1 of the sorted list, 0.9 + 0.1 * 0.1.
 */
TEST(score_threshold_interpolates_like_numpy_percentile)
{
	const double s[] = { 0.5, 0.1, 1.0, 0.3, 0.9, 0.2, 0.7, 0.4, 0.8, 0.6 };
	const double five[] = { 5, 1, 4, 2, 3 };
	double t;

	CHECK_EQ(xlb_score_threshold(s, 10, 0.1, &t), 0);
	CHECK(fabs(t - 0.91) < 1e-15, "threshold %.17g", t);
	/* 25%: position 0.75 * 4 = 3 exactly, the fourth smallest. */
	CHECK_EQ(xlb_score_threshold(five, 5, 0.25, &t), 0);
	CHECK(t == 4, "threshold %.17g", t);
	/* One row above: strictly greater is anomalous. */
	CHECK_EQ(xlb_score_threshold(five, 5, 0.2, &t), 0);
	CHECK(fabs(t - 4.2) < 1e-15, "threshold %.17g", t);
}

TEST(score_threshold_rejects_bad_input)
{
	const double s[] = { 0.5, NAN };
	double t;

	CHECK_EQ(xlb_score_threshold(s, 1, 0, &t), XLB_MODEL_EINVAL);
	CHECK_EQ(xlb_score_threshold(s, 1, 1, &t), XLB_MODEL_EINVAL);
	CHECK_EQ(xlb_score_threshold(s, 1, NAN, &t), XLB_MODEL_EINVAL);
	CHECK_EQ(xlb_score_threshold(s, 0, 0.1, &t), XLB_MODEL_EINVAL);
	CHECK_EQ(xlb_score_threshold(s, 2, 0.1, &t), XLB_MODEL_ENONFINITE);
}

/* 3 of the last 5, fed a hand-written sequence. */
TEST(persistence_fires_on_k_anomalous_of_last_m)
{
	const bool in[] = { 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0 };
	/* anomalous in the last 5 after each tick, by hand: */
	const unsigned int count[] = { 1, 1, 2, 2, 2, 2, 2, 1, 1, 2, 2, 3, 3 };
	struct xlb_persistence p;

	CHECK_EQ(xlb_persistence_init(&p, 3, 5), 0);
	for (int i = 0; i < 13; i++) {
		bool fired = xlb_persistence_update(&p, in[i]);

		CHECK_EQ(xlb_persistence_count(&p), count[i]);
		CHECK(fired == (count[i] >= 3), "tick %d fired %d", i, fired);
	}
	xlb_persistence_reset(&p);
	CHECK_EQ(xlb_persistence_count(&p), 0);
}

TEST(persistence_window_of_64_and_bad_parameters)
{
	struct xlb_persistence p;

	CHECK_EQ(xlb_persistence_init(&p, 64, 64), 0);
	for (int i = 0; i < 63; i++)
		CHECK(!xlb_persistence_update(&p, true), "fired early at %d",
		      i);
	CHECK(xlb_persistence_update(&p, true), "64 of 64 did not fire");
	CHECK(!xlb_persistence_update(&p, false), "63 of 64 fired");
	CHECK_EQ(xlb_persistence_init(&p, 0, 5), XLB_MODEL_EINVAL);
	CHECK_EQ(xlb_persistence_init(&p, 6, 5), XLB_MODEL_EINVAL);
	CHECK_EQ(xlb_persistence_init(&p, 3, 65), XLB_MODEL_EINVAL);
}
