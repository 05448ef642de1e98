// SPDX-License-Identifier: GPL-2.0
/* Isolation Forest: c(n), path lengths checked by hand, limits, errors. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "iforest.h"
#include "iforest_layout.h"
#include "model_error.h"
#include "rng.h"
#include "testing.h"

static struct xlb_iforest *fitted(unsigned int trees, unsigned int psi,
				  uint64_t seed, const double *x,
				  unsigned int d, size_t n)
{
	struct xlb_iforest_config cfg = {
		.n_trees = trees,
		.max_samples = psi,
		.seed = seed,
	};
	struct xlb_iforest *f;

	if (xlb_iforest_create(&cfg, d, &f))
		return NULL;
	if (xlb_iforest_fit(f, x, n)) {
		xlb_iforest_destroy(f);
		return NULL;
	}
	return f;
}

/* c(n) = 2 H(n-1) - 2 (n-1) / n, with exact harmonic numbers. */
TEST(average_path_length_matches_hand_values)
{
	const double want[] = { 0, 0, 1, 5.0 / 3, 13.0 / 6, 77.0 / 30 };

	for (int n = 0; n <= 5; n++)
		CHECK(fabs(xlb_iforest_average_path_length(n) - want[n]) <
			      1e-15,
		      "c(%d) = %.17g, want %.17g", n,
		      xlb_iforest_average_path_length(n), want[n]);
}

/* Past n = 256 the asymptotic harmonic number takes over, seamlessly. */
TEST(average_path_length_is_exact_beyond_the_series_switch)
{
	for (uint64_t n = 250; n < 270; n++) {
		double harmonic = 0, want;

		for (uint64_t i = 1; i < n; i++)
			harmonic += 1.0 / i;
		want = 2 * harmonic - 2.0 * (n - 1) / n;
		CHECK(fabs(xlb_iforest_average_path_length(n) - want) < 1e-12,
		      "c(%llu) = %.17g, want %.17g", (unsigned long long)n,
		      xlb_iforest_average_path_length(n), want);
	}
}

/*
 * Rows 0..5, psi 6, height 3, one tree, seed 42. The tree (thresholds as
 * printed by the library) and its path lengths, worked by hand:
 *
 *   root x <= 2.4945   {0,1,2} | {3,4,5}
 *     x <= 1.3389      {0,1} | {2}       {2}: leaf at depth 2, h = 2
 *       x <= 0.5474    {0} | {1}         depth 3, h = 3 each
 *     x <= 4.2620      {3,4} | {5}       {5}: leaf at depth 2, h = 2
 *       x <= 3.3033    {3} | {4}         depth 3, h = 3 each
 *
 * Queries outside the data follow the same splits: -1 -> 3, 6 -> 2.
 */
TEST(iforest_path_lengths_on_tiny_seeded_tree)
{
	const double x[] = { 0, 1, 2, 3, 4, 5 };
	const double q[] = { -1, 0, 1, 2, 3, 4, 5, 6 };
	const double want[] = { 3, 3, 3, 2, 3, 3, 2, 2 };
	const double thr[] = { 2.4945499978769012,
			       1.338948821401404,
			       4.2620148462445293,
			       0.54744469600140011,
			       INFINITY,
			       3.3033210347549695,
			       INFINITY };
	struct xlb_iforest *f = fitted(1, 6, 42, x, 1, 6);
	double h[8], s[8];

	CHECK(f, "fit");
	CHECK_EQ(f->height, 3);
	for (int i = 0; i < 7; i++)
		CHECK(f->threshold[i] == thr[i], "node %d threshold %.17g", i,
		      f->threshold[i]);
	CHECK_EQ(xlb_iforest_path_length(f, q, 8, h), 0);
	CHECK_EQ(xlb_iforest_score(f, q, 8, s), 0);
	for (int i = 0; i < 8; i++) {
		CHECK(h[i] == want[i], "h(%g) = %g, want %g", q[i], h[i],
		      want[i]);
		CHECK(fabs(s[i] - exp2(-want[i] /
				       xlb_iforest_average_path_length(6))) <
			      1e-15,
		      "s(%g)", q[i]);
	}
	xlb_iforest_destroy(f);
}

/*
 * Rows 0, 0, 0, 10 (psi 4, height 2): any split lies in (0, 10], so the
 * root separates {0,0,0} from {10}; the zeros cannot be split again. For
 * every seed: h(0) = 1 + c(3) = 8/3 and h(10) = 1, scaled by c(4) = 13/6.
 */
TEST(iforest_path_lengths_when_the_split_is_forced)
{
	const double x[] = { 0, 0, 0, 10 }, q[] = { -5, 0, 10, 100 };
	const double want[] = { 8.0 / 3, 8.0 / 3, 1, 1 };

	for (uint64_t seed = 0; seed < 20; seed++) {
		struct xlb_iforest *f = fitted(10, 256, seed, x, 1, 4);
		double h[4], s[4];

		CHECK(f, "fit");
		CHECK_EQ(xlb_iforest_path_length(f, q, 4, h), 0);
		CHECK_EQ(xlb_iforest_score(f, q, 4, s), 0);
		for (int i = 0; i < 4; i++) {
			CHECK(fabs(h[i] - want[i]) < 1e-15,
			      "seed %llu h(%g) %g", (unsigned long long)seed,
			      q[i], h[i]);
			CHECK(fabs(s[i] - exp2(-want[i] * 6 / 13)) < 1e-15,
			      "s(%g) %.17g", q[i], s[i]);
		}
		xlb_iforest_destroy(f);
	}
}

/* The walk as the layout header writes it, on doubles: i = 2i + 1 + (x > t). */
static double reference_path_length(const struct xlb_iforest *f,
				    const double *row)
{
	double sum = 0;

	for (unsigned int t = 0; t < f->n_trees; t++) {
		const double *thr = f->threshold + t * f->n_internal;
		const uint16_t *feat = f->feature + t * f->n_internal;
		size_t i = 0;

		for (unsigned int h = 0; h < f->height; h++)
			i = 2 * i + 1 + (row[feat[i]] > thr[i]);
		sum += f->leaf[t * f->n_leaves + i - f->n_internal];
	}
	return sum / f->n_trees;
}

/* Zeros of both signs, ties with a threshold, tiny and ordinary values. */
static double tricky(struct xlb_rng *rng)
{
	switch (xlb_rng_below(rng, 6)) {
	case 0:
		return 0.0;
	case 1:
		return -0.0;
	case 2:
		return (double)xlb_rng_below(rng, 5) - 2;
	case 3:
		return xlb_rng_below(rng, 2) ? 1e-310 : -1e-310;
	default:
		return (xlb_rng_uniform(rng) - 0.5) * 10;
	}
}

/*
 * Scoring compares order-preserving integer keys, in lanes of rows padded
 * to 8 values (wider rows unpadded); every row must still reach the leaves
 * the doubles reach, including at zero thresholds of either sign (set by
 * hand below: a fit rarely draws one), at every width and row count.
 */
TEST(iforest_scores_walk_as_the_double_compare_does)
{
	const unsigned int widths[] = { 1, 6, 8, 9, 20 };
	struct xlb_rng rng;

	xlb_rng_seed(&rng, 5);
	for (unsigned int w = 0; w < 5; w++) {
		unsigned int d = widths[w];
		size_t n_train = 300, n = 1 + xlb_rng_below(&rng, 600);
		double *x = malloc(n_train * d * sizeof(*x));
		double *q = malloc(n * d * sizeof(*q));
		double *h = malloc(n * sizeof(*h));
		struct xlb_iforest *f;

		CHECK(x && q && h, "allocate");
		for (size_t i = 0; i < n_train * d; i++)
			x[i] = tricky(&rng);
		for (size_t i = 0; i < n * d; i++)
			q[i] = tricky(&rng);
		f = fitted(30, 64, 9 + w, x, d, n_train);
		CHECK(f, "fit, %u features", d);
		for (size_t i = 0; i < f->n_trees * f->n_internal; i += 7)
			if (isfinite(f->threshold[i]))
				f->threshold[i] = i % 2 ? 0.0 : -0.0;
		xlb_iforest_key_thresholds(f);
		CHECK_EQ(xlb_iforest_path_length(f, q, n, h), 0);
		for (size_t i = 0; i < n; i++) {
			double want = reference_path_length(f, q + i * d);

			CHECK(!memcmp(&h[i], &want, sizeof(want)),
			      "%u features, row %zu: %.17g, want %.17g", d, i,
			      h[i], want);
		}
		xlb_iforest_destroy(f);
		free(x);
		free(q);
		free(h);
	}
}

/* The same rows with a constant first feature: only feature 1 may split. */
TEST(iforest_never_splits_on_a_constant_feature)
{
	const double x[] = { 7, 0, 7, 0, 7, 0, 7, 10 };
	const double q[] = { 7, 0, 7, 10, -3, 0, 100, 10 };
	const double want[] = { 8.0 / 3, 1, 8.0 / 3, 1 };
	struct xlb_iforest *f = fitted(50, 256, 9, x, 2, 4);
	double h[4];

	CHECK(f, "fit");
	for (size_t i = 0; i < f->n_trees * f->n_internal; i++)
		CHECK(f->threshold[i] == INFINITY || f->feature[i] == 1,
		      "node %zu splits feature %u", i, f->feature[i]);
	CHECK_EQ(xlb_iforest_path_length(f, q, 4, h), 0);
	/* A mean of 50 equal terms: rounding of order 50 eps. */
	for (int i = 0; i < 4; i++)
		CHECK(fabs(h[i] - want[i]) < 1e-13, "h[%d] = %.17g", i, h[i]);
	xlb_iforest_destroy(f);
}

/* Identical rows: the root is a leaf of 4, h = c(4), score 2^-1. */
TEST(iforest_identical_rows_score_one_half)
{
	const double x[] = { 5, 5, 5, 5 }, q[] = { 5, -100, 1e6 };
	struct xlb_iforest *f = fitted(5, 256, 1, x, 1, 4);
	double s[3];

	CHECK(f, "fit");
	CHECK_EQ(xlb_iforest_score(f, q, 3, s), 0);
	for (int i = 0; i < 3; i++)
		CHECK(s[i] == 0.5, "s = %.17g", s[i]);
	xlb_iforest_destroy(f);
}

TEST(iforest_height_is_ceil_log2_psi_and_psi_capped_by_rows)
{
	static double x[1000];
	const unsigned int psi[] = { 2, 3, 100, 128, 129, 256, 257 };
	const unsigned int height[] = { 1, 2, 7, 7, 8, 8, 9 };
	struct xlb_iforest_info info;

	for (int i = 0; i < 1000; i++)
		x[i] = i;
	for (int i = 0; i < 7; i++) {
		struct xlb_iforest *f = fitted(3, psi[i], 1, x, 1, 1000);

		CHECK(f, "fit");
		xlb_iforest_get_info(f, &info);
		CHECK_EQ(info.sample_size, psi[i]);
		CHECK_EQ(info.height, height[i]);
		xlb_iforest_destroy(f);
	}
	/* Fewer rows than psi: psi = rows, as the paper and sklearn do. */
	{
		struct xlb_iforest *f = fitted(3, 256, 1, x, 1, 100);

		CHECK(f, "fit");
		xlb_iforest_get_info(f, &info);
		CHECK_EQ(info.sample_size, 100);
		CHECK_EQ(info.height, 7);
		CHECK_EQ(info.n_train_rows, 100);
		xlb_iforest_destroy(f);
	}
}

/*
 * Subsamples are drawn without replacement and uniformly: no index twice,
 * all in range, and over many draws every row is picked about
 * draws * psi / n times (binomial; the bound is six standard deviations).
 */
TEST(iforest_subsample_is_uniform_without_replacement)
{
	const size_t sizes[] = { 300, 1000, 256 };
	struct xlb_iforest_config cfg = { .max_samples = 256 };
	static unsigned int picked[1000];
	struct xlb_iforest *f;
	struct xlb_rng rng;

	CHECK_EQ(xlb_iforest_create(&cfg, 1, &f), 0);
	f->sample_size = 256;
	xlb_rng_seed(&rng, 5);
	for (int s = 0; s < 3; s++) {
		const size_t n = sizes[s], draws = 2000;
		double p = 256.0 / n, mean = draws * p;
		double sd = sqrt(draws * p * (1 - p));

		memset(picked, 0, sizeof(picked));
		for (size_t d = 0; d < draws; d++) {
			static unsigned char seen[1000];

			memset(seen, 0, sizeof(seen));
			xlb_iforest_draw_sample(f, &rng, n);
			for (int i = 0; i < 256; i++) {
				uint32_t r = f->rows[i];

				CHECK(r < n, "row %u of %zu", r, n);
				CHECK(!seen[r], "row %u drawn twice", r);
				seen[r] = 1;
				picked[r]++;
			}
		}
		for (size_t r = 0; r < n; r++)
			CHECK(fabs(picked[r] - mean) <= 6 * sd + 1e-9,
			      "n %zu: row %zu picked %u times, expected %.0f",
			      n, r, picked[r], mean);
	}
	xlb_iforest_destroy(f);
}

TEST(iforest_same_seed_same_forest_other_seed_other_forest)
{
	enum { N = 500, D = 3 };
	static double x[N * D];
	struct xlb_iforest *a, *b, *c;
	struct xlb_rng rng;
	size_t nodes;

	xlb_rng_seed(&rng, 77);
	for (int i = 0; i < N * D; i++)
		x[i] = xlb_rng_uniform(&rng);
	a = fitted(20, 64, 1234, x, D, N);
	b = fitted(20, 64, 1234, x, D, N);
	c = fitted(20, 64, 1235, x, D, N);
	CHECK(a && b && c, "fit");
	nodes = a->n_trees * a->n_internal;
	CHECK(!memcmp(a->threshold, b->threshold, nodes * sizeof(double)),
	      "thresholds differ for one seed");
	CHECK(!memcmp(a->feature, b->feature, nodes * sizeof(uint16_t)), "featu"
									 "res "
									 "diffe"
									 "r");
	CHECK(!memcmp(a->leaf, b->leaf,
		      a->n_trees * a->n_leaves * sizeof(double)),
	      "leaves differ");
	CHECK(memcmp(a->threshold, c->threshold, nodes * sizeof(double)),
	      "another seed gave the same forest");
	xlb_iforest_destroy(a);
	xlb_iforest_destroy(b);
	xlb_iforest_destroy(c);
}

TEST(iforest_scores_an_isolated_point_highest)
{
	enum { N = 1000 };
	static double x[N * 2], s[N];
	struct xlb_iforest *f;
	struct xlb_rng rng;

	xlb_rng_seed(&rng, 4);
	for (int i = 0; i < N * 2; i++)
		x[i] = xlb_rng_uniform(&rng) + xlb_rng_uniform(&rng);
	x[0] = 8;
	x[1] = -6;
	f = fitted(100, 256, 2, x, 2, N);
	CHECK(f, "fit");
	CHECK_EQ(xlb_iforest_score(f, x, N, s), 0);
	CHECK(s[0] > 0.7, "outlier scored %g", s[0]);
	for (int i = 1; i < N; i++)
		CHECK(s[i] < s[0], "row %d scored %g >= outlier %g", i, s[i],
		      s[0]);
	xlb_iforest_destroy(f);
}

TEST(iforest_rejects_nan_and_infinity_at_fit_and_score)
{
	double x[] = { 1, 2, 3, 4, 5, 6 }, q[] = { 1, 2 }, before, after;
	struct xlb_iforest *f = fitted(10, 256, 1, x, 2, 3);

	CHECK(f, "fit");
	CHECK_EQ(xlb_iforest_score(f, q, 1, &before), 0);
	x[3] = NAN;
	CHECK_EQ(xlb_iforest_fit(f, x, 3), XLB_MODEL_ENONFINITE);
	x[3] = INFINITY;
	CHECK_EQ(xlb_iforest_fit(f, x, 3), XLB_MODEL_ENONFINITE);
	q[1] = -INFINITY;
	CHECK_EQ(xlb_iforest_score(f, q, 1, &after), XLB_MODEL_ENONFINITE);
	q[1] = NAN;
	CHECK_EQ(xlb_iforest_score(f, q, 1, &after), XLB_MODEL_ENONFINITE);
	q[1] = 2;
	CHECK_EQ(xlb_iforest_score(f, q, 1, &after), 0);
	CHECK(before == after, "a refused fit changed the forest");
	xlb_iforest_destroy(f);
}

TEST(iforest_refuses_use_before_fit_and_too_few_rows)
{
	struct xlb_iforest_config cfg = { 0 };
	struct xlb_iforest *f;
	double x[] = { 1, 2 }, s;

	CHECK_EQ(xlb_iforest_create(&cfg, 1, &f), 0);
	CHECK_EQ(xlb_iforest_score(f, x, 1, &s), XLB_MODEL_ENOTREADY);
	CHECK_EQ(xlb_iforest_fit(f, x, 1), XLB_MODEL_ETOOSHORT);
	CHECK_EQ(xlb_iforest_fit(f, x, 2), 0);
	CHECK_EQ(xlb_iforest_score(f, x, 1, &s), 0);
	xlb_iforest_destroy(f);
}

TEST(iforest_memory_is_bounded_by_the_configuration)
{
	struct xlb_iforest_config cfg = { 0 };
	struct xlb_iforest_info info;
	struct xlb_iforest *f;

	/* Defaults: 100 trees of psi 256, well under the 64 MiB bound. */
	CHECK_EQ(xlb_iforest_create(&cfg, 4, &f), 0);
	xlb_iforest_get_info(f, &info);
	CHECK(info.bytes < 1u << 20, "default forest holds %zu bytes",
	      info.bytes);
	CHECK_EQ(info.n_trees, 100);
	CHECK_EQ(info.max_samples, 256);
	xlb_iforest_destroy(f);

	cfg.n_trees = XLB_IFOREST_MAX_TREES;
	cfg.max_samples = XLB_IFOREST_MAX_SAMPLES;
	CHECK_EQ(xlb_iforest_create(&cfg, 4, &f), XLB_MODEL_ELIMIT);
	cfg.n_trees = 100;
	cfg.max_samples = 256;
	cfg.max_bytes = 100000;
	CHECK_EQ(xlb_iforest_create(&cfg, 4, &f), XLB_MODEL_ELIMIT);
	cfg.max_bytes = 0;
	CHECK_EQ(xlb_iforest_create(&cfg, XLB_IFOREST_MAX_FEATURES + 1, &f),
		 XLB_MODEL_ELIMIT);
	cfg.n_trees = XLB_IFOREST_MAX_TREES + 1;
	CHECK_EQ(xlb_iforest_create(&cfg, 4, &f), XLB_MODEL_ELIMIT);
	cfg.n_trees = 100;
	cfg.max_samples = 1;
	CHECK_EQ(xlb_iforest_create(&cfg, 4, &f), XLB_MODEL_EINVAL);
}

struct job {
	uint64_t seed;
	double scores[400];
	int err;
};

static double thread_data[400 * 3];

static void *fit_and_score(void *arg)
{
	struct job *job = arg;
	struct xlb_iforest *f = fitted(50, 128, job->seed, thread_data, 3, 400);

	job->err = f ? xlb_iforest_score(f, thread_data, 400, job->scores) : -1;
	xlb_iforest_destroy(f);
	return NULL;
}

/* Two threads, one forest each, give what one thread alone gives. */
TEST(iforest_one_model_per_thread_matches_single_thread)
{
	static struct job alone[2], together[2];
	pthread_t threads[2];
	struct xlb_rng rng;

	xlb_rng_seed(&rng, 99);
	for (int i = 0; i < 400 * 3; i++)
		thread_data[i] = xlb_rng_uniform(&rng);
	for (int i = 0; i < 2; i++) {
		alone[i].seed = together[i].seed = 10 + i;
		fit_and_score(&alone[i]);
	}
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 2; i++)
			CHECK_EQ(pthread_create(&threads[i], NULL,
						fit_and_score, &together[i]),
				 0);
		for (int i = 0; i < 2; i++)
			pthread_join(threads[i], NULL);
		for (int i = 0; i < 2; i++) {
			CHECK_EQ(together[i].err, 0);
			CHECK(!memcmp(alone[i].scores, together[i].scores,
				      sizeof(alone[i].scores)),
			      "thread %d differs", i);
		}
	}
}

TEST(iforest_keeps_feature_names_and_window)
{
	const char *names[] = { "cpu", "a-very-long-name-that-is-longer-than-"
				       "sixty-three-characters-for-sure-yes" };
	const double x[] = { 1, 2, 3, 4, 5, 6 };
	struct xlb_iforest *f = fitted(2, 4, 1, x, 2, 3);
	struct xlb_iforest_info info;

	CHECK(f, "fit");
	CHECK_EQ(xlb_iforest_feature_name(f, 0)[0], 0);
	CHECK_EQ(xlb_iforest_set_feature_names(f, names), 0);
	CHECK(!strcmp(xlb_iforest_feature_name(f, 0), "cpu"), "name 0");
	CHECK_EQ(strlen(xlb_iforest_feature_name(f, 1)),
		 XLB_IFOREST_NAME_MAX - 1);
	CHECK(xlb_iforest_feature_name(f, 2) == NULL, "name 2");
	xlb_iforest_set_training_window(f, 1700000000, 1700003600);
	CHECK_EQ(xlb_iforest_set_score_threshold(f, 0.62), 0);
	CHECK_EQ(xlb_iforest_set_score_threshold(f, NAN), XLB_MODEL_EINVAL);
	xlb_iforest_get_info(f, &info);
	CHECK_EQ(info.window_start, 1700000000);
	CHECK_EQ(info.window_end, 1700003600);
	CHECK(info.score_threshold == 0.62, "threshold");
	xlb_iforest_destroy(f);
}
