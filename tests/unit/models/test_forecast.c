// SPDX-License-Identifier: GPL-2.0
/* Forecaster: exponential smoothing by hand, AR recovery, the selector. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast.h"
#include "model_error.h"
#include "ols.h"
#include "rng.h"
#include "ses.h"
#include "testing.h"

static double rel_err(double got, double want)
{
	return fabs(got - want) / fmax(fabs(want), 1e-300);
}

/* Standard normal from the library's generator (Box-Muller). */
static double gaussian(struct xlb_rng *rng)
{
	double u = 1 - xlb_rng_uniform(rng), v = xlb_rng_uniform(rng);

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/*
 * alpha 0.5 on 10, 12, 11, 15: levels 10, 11, 11, 13; one-step errors
 * 12-10 = 2, 11-11 = 0, 15-11 = 4; SSE 4 + 0 + 16 = 20.
 */
TEST(ses_matches_hand_worked_series)
{
	const double y[] = { 10, 12, 11, 15 };
	double level;

	CHECK(xlb_ses_sse(y, 4, 0.5, &level) == 20, "sse");
	CHECK(level == 13, "level %g", level);
}

/* 0, 2, 1: SSE(alpha) = 2^2 + (1 - 2 alpha)^2, least at alpha = 1/2. */
TEST(ses_fit_finds_hand_derived_alpha)
{
	const double y[] = { 0, 2, 1 };
	double alpha, level;

	CHECK_EQ(xlb_ses_fit(y, 3, &alpha, &level), 0);
	CHECK(fabs(alpha - 0.5) < 1e-9, "alpha %.17g", alpha);
	CHECK(fabs(level - 1) < 1e-9, "level %.17g", level);
	CHECK_EQ(xlb_ses_fit(y, 2, &alpha, &level), XLB_MODEL_ETOOSHORT);
}

TEST(ses_fit_is_near_one_on_a_random_walk)
{
	struct xlb_rng rng;
	double y[2000], alpha, level;

	xlb_rng_seed(&rng, 3);
	y[0] = 0;
	for (int i = 1; i < 2000; i++)
		y[i] = y[i - 1] + gaussian(&rng);
	CHECK_EQ(xlb_ses_fit(y, 2000, &alpha, &level), 0);
	CHECK(alpha > 0.9, "alpha %g on a random walk", alpha);
	CHECK(level == y[1999] || fabs(level - y[1999]) < 1, "level");
}

static struct xlb_forecaster *make(unsigned int lags, unsigned int window,
				   unsigned int refit_every, double alpha)
{
	struct xlb_forecast_config cfg;
	struct xlb_forecaster *f = NULL;

	xlb_forecast_config_default(&cfg);
	cfg.lags = lags;
	cfg.window = window;
	cfg.refit_every = refit_every;
	cfg.ses_alpha = alpha;
	if (xlb_forecaster_create(&cfg, &f))
		return NULL;
	return f;
}

TEST(forecaster_ses_follows_hand_worked_series)
{
	const double y[] = { 10, 12, 11, 15 }, want[] = { 10, 11, 11, 13 };
	struct xlb_forecaster *f = make(2, 100, 0, 0.5);
	struct xlb_forecast_status st;
	double next;

	CHECK(f, "create");
	CHECK_EQ(xlb_forecaster_forecast(f, XLB_FORECAST_SES, 1, NULL, &next),
		 XLB_MODEL_ENOTREADY);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(xlb_forecaster_update(f, y[i], NULL), 0);
		CHECK_EQ(xlb_forecaster_forecast(f, XLB_FORECAST_SES, 1, NULL,
						 &next),
			 0);
		CHECK(next == want[i], "after %d: %g, want %g", i, next,
		      want[i]);
	}
	/* Errors 2, 0, 4: MAE 2, RMSE sqrt(20 / 3). */
	xlb_forecaster_status(f, &st);
	CHECK_EQ(st.model[XLB_FORECAST_SES].n_errors, 3);
	CHECK(st.model[XLB_FORECAST_SES].mae == 2, "mae %g",
	      st.model[XLB_FORECAST_SES].mae);
	CHECK(fabs(st.model[XLB_FORECAST_SES].rmse - sqrt(20.0 / 3)) < 1e-15,
	      "rmse");
	/* Last value: errors 2, 1, 4. */
	CHECK(fabs(st.model[XLB_FORECAST_LAST].mae - 7.0 / 3) < 1e-15, "last");
	xlb_forecaster_destroy(f);
}

static void noiseless_ar2(double *y, int n)
{
	const double b = 2 * 0.999 * cos(0.3), c = -0.999 * 0.999;

	y[0] = 100;
	y[1] = 110;
	for (int t = 2; t < n; t++)
		y[t] = 5 + b * y[t - 1] + c * y[t - 2];
}

TEST(forecaster_ar_recovers_noiseless_ar2_and_forecasts_it)
{
	const double b = 2 * 0.999 * cos(0.3), c = -0.999 * 0.999;
	struct xlb_forecaster *f = make(2, 300, 100, 0);
	struct xlb_forecast_status st;
	double y[520], h[20];

	CHECK(f, "create");
	noiseless_ar2(y, 520);
	for (int t = 0; t < 500; t++)
		CHECK_EQ(xlb_forecaster_update(f, y[t], NULL), 0);
	xlb_forecaster_status(f, &st);
	CHECK(st.model[XLB_FORECAST_AR].ready, "ar not ready: %d", st.ar_error);
	CHECK(rel_err(st.coef[0], b) < 1e-8, "b %.17g", st.coef[0]);
	CHECK(rel_err(st.coef[1], c) < 1e-8, "c %.17g", st.coef[1]);
	CHECK(rel_err(st.intercept, 5) < 1e-6, "a %.17g", st.intercept);
	CHECK_EQ(st.selected, XLB_FORECAST_AR);

	/* h steps ahead iterate the recursion on its own forecasts. */
	CHECK_EQ(xlb_forecaster_forecast(f, XLB_FORECAST_SELECTED, 20, NULL, h),
		 0);
	for (int s = 0; s < 20; s++)
		CHECK(fabs(h[s] - y[500 + s]) < 1e-6,
		      "step %d: %.17g, want %.17g", s + 1, h[s], y[500 + s]);
	xlb_forecaster_destroy(f);
}

/* Load(t) = 3 + 2 R(t-1) - 0.5 R(t-2), with R an exogenous input. */
TEST(forecaster_exogenous_form_recovers_classic_load_model)
{
	struct xlb_forecast_config cfg;
	struct xlb_forecaster *f;
	struct xlb_forecast_status st;
	double r[300], future[2] = { 50, 60 }, h[3];
	struct xlb_rng rng;

	xlb_forecast_config_default(&cfg);
	cfg.lags = 0;
	cfg.n_exog = 1;
	cfg.exog_lags = 2;
	cfg.window = 200;
	CHECK_EQ(xlb_forecaster_create(&cfg, &f), 0);
	xlb_rng_seed(&rng, 11);
	for (int t = 0; t < 300; t++) {
		double load = t >= 2 ? 3 + 2 * r[t - 1] - 0.5 * r[t - 2] : 0;

		r[t] = 100 + 20 * gaussian(&rng);
		CHECK_EQ(xlb_forecaster_update(f, load, &r[t]), 0);
	}
	xlb_forecaster_status(f, &st);
	CHECK_EQ(st.n_coef, 2);
	CHECK(fabs(st.coef[0] - 2) < 1e-9, "c1 %.17g", st.coef[0]);
	CHECK(fabs(st.coef[1] + 0.5) < 1e-9, "c2 %.17g", st.coef[1]);
	CHECK(fabs(st.intercept - 3) < 1e-7, "a %.17g", st.intercept);
	/* Step 2 needs R(t+1) = 50, step 3 R(t+2) = 60 and R(t+1). */
	CHECK_EQ(xlb_forecaster_forecast(f, XLB_FORECAST_AR, 3, future, h), 0);
	CHECK(fabs(h[0] - (3 + 2 * r[299] - 0.5 * r[298])) < 1e-6, "h1");
	CHECK(fabs(h[1] - (3 + 2 * 50 - 0.5 * r[299])) < 1e-6, "h2 %g", h[1]);
	CHECK(fabs(h[2] - (3 + 2 * 60 - 0.5 * 50)) < 1e-6, "h3 %g", h[2]);
	/* Without future inputs they are held at their last value. */
	CHECK_EQ(xlb_forecaster_forecast(f, XLB_FORECAST_AR, 3, NULL, h), 0);
	CHECK(fabs(h[2] - (3 + 1.5 * r[299])) < 1e-6, "held h3 %g", h[2]);
	xlb_forecaster_destroy(f);
}

/*
 * The selector's visible errors are exactly the mean absolute and root mean
 * squared one-step errors of the last error_window forecasts, recomputed
 * here from the forecasts the test saw before each update.
 */
TEST(forecaster_selector_errors_are_the_recent_forecast_errors)
{
	enum { N = 700, E = 60 };
	struct xlb_forecast_config cfg;
	struct xlb_forecaster *f = NULL;
	double errs[XLB_FORECAST_N_MODELS][N];
	int n_err[XLB_FORECAST_N_MODELS] = { 0 };
	struct xlb_forecast_status st;
	struct xlb_rng rng;
	double y = 100;

	xlb_forecast_config_default(&cfg);
	cfg.window = 200;
	cfg.refit_every = 50;
	cfg.error_window = E;
	CHECK_EQ(xlb_forecaster_create(&cfg, &f), 0);
	xlb_rng_seed(&rng, 5);
	for (int t = 0; t < N; t++) {
		y = 100 + 0.7 * (y - 100) + 5 * gaussian(&rng);
		for (int m = 0; m < XLB_FORECAST_N_MODELS; m++) {
			double next;

			if (!xlb_forecaster_forecast(f, m, 1, NULL, &next))
				errs[m][n_err[m]++] = y - next;
		}
		CHECK_EQ(xlb_forecaster_update(f, y, NULL), 0);
	}
	xlb_forecaster_status(f, &st);
	for (int m = 0; m < XLB_FORECAST_N_MODELS; m++) {
		double sum_abs = 0, sum_sq = 0;

		CHECK(n_err[m] >= E, "model %d made %d forecasts", m, n_err[m]);
		for (int i = n_err[m] - E; i < n_err[m]; i++) {
			sum_abs += fabs(errs[m][i]);
			sum_sq += errs[m][i] * errs[m][i];
		}
		CHECK_EQ(st.model[m].n_errors, E);
		CHECK(rel_err(st.model[m].mae, sum_abs / E) < 1e-12,
		      "model %d mae %.17g, want %.17g", m, st.model[m].mae,
		      sum_abs / E);
		CHECK(rel_err(st.model[m].rmse, sqrt(sum_sq / E)) < 1e-12,
		      "model %d rmse", m);
	}
	for (int m = 0; m < XLB_FORECAST_N_MODELS; m++)
		CHECK(st.model[st.selected].mae <= st.model[m].mae,
		      "selected %d has mae %g, model %d has %g", st.selected,
		      st.model[st.selected].mae, m, st.model[m].mae);
	xlb_forecaster_destroy(f);
}

/* A series that flips around its mean: last value and SES are poor. */
TEST(forecaster_selector_picks_ar_on_alternating_series)
{
	struct xlb_forecaster *f = make(2, 500, 100, 0);
	struct xlb_forecast_status st;
	struct xlb_rng rng;
	double y = 0;

	CHECK(f, "create");
	xlb_rng_seed(&rng, 8);
	for (int t = 0; t < 1000; t++) {
		y = 1000 - 0.9 * (y - 1000) + 10 * gaussian(&rng);
		CHECK_EQ(xlb_forecaster_update(f, y, NULL), 0);
	}
	xlb_forecaster_status(f, &st);
	CHECK_EQ(st.selected, XLB_FORECAST_AR);
	CHECK(st.model[XLB_FORECAST_AR].mae <
		      st.model[XLB_FORECAST_LAST].mae / 3,
	      "ar %g last %g", st.model[XLB_FORECAST_AR].mae,
	      st.model[XLB_FORECAST_LAST].mae);
	xlb_forecaster_destroy(f);
}

/*
 * Counts near 1e5 with AR(2) structure: after thousands of sliding updates
 * the coefficients solved from the running statistics agree with a batch
 * Householder fit of the same window.
 */
TEST(forecaster_online_solve_matches_batch_fit_on_counts)
{
	enum { N = 20000, W = 1000 };
	struct xlb_forecaster *f = make(2, W, 0, 0);
	static double y[N], x[W * 2], yy[W];
	struct xlb_forecast_status st;
	struct xlb_ols_fit fit;
	struct xlb_rng rng;

	CHECK(f, "create");
	xlb_rng_seed(&rng, 21);
	y[0] = y[1] = 1e5;
	for (int t = 2; t < N; t++)
		y[t] = round(1e5 + 1.2 * (y[t - 1] - 1e5) -
			     0.3 * (y[t - 2] - 1e5) + 316 * gaussian(&rng));
	for (int t = 0; t < N; t++)
		CHECK_EQ(xlb_forecaster_update(f, y[t], NULL), 0);
	for (int i = 0; i < W; i++) {
		int t = N - W + i;

		x[2 * i] = y[t - 1];
		x[2 * i + 1] = y[t - 2];
		yy[i] = y[t];
	}
	CHECK_EQ(xlb_ols_fit(x, yy, W, 2, 0, NULL, &fit), 0);
	xlb_forecaster_status(f, &st);
	CHECK_EQ(st.n_rows, W);
	CHECK_EQ(st.n_refits, 0);
	for (int j = 0; j < 2; j++)
		CHECK(rel_err(st.coef[j], fit.coef[j]) < 1e-9,
		      "coef %d online %.17g batch %.17g", j, st.coef[j],
		      fit.coef[j]);
	CHECK(rel_err(st.intercept, fit.intercept) < 1e-9, "intercept");

	/* An explicit refit is the batch fit. */
	CHECK_EQ(xlb_forecaster_refit(f), 0);
	xlb_forecaster_status(f, &st);
	for (int j = 0; j < 2; j++)
		CHECK(rel_err(st.coef[j], fit.coef[j]) < 1e-12,
		      "coef %d refit %.17g batch %.17g", j, st.coef[j],
		      fit.coef[j]);
	xlb_forecaster_destroy(f);
}

/*
 * With a ridge penalty the online solve and the exact refit minimise the
 * same objective as xlb_ols_fit with that penalty (intercept unpenalised).
 */
TEST(forecaster_ridge_matches_batch_ridge_fit)
{
	enum { N = 3000, W = 500 };
	const double ridge = 5e6;
	struct xlb_forecast_config cfg;
	static double y[N], x[W * 3], yy[W];
	struct xlb_forecast_status st;
	struct xlb_forecaster *f;
	struct xlb_ols_fit fit;
	struct xlb_rng rng;

	xlb_forecast_config_default(&cfg);
	cfg.lags = 3;
	cfg.window = W;
	cfg.refit_every = 0;
	cfg.ridge = ridge;
	CHECK_EQ(xlb_forecaster_create(&cfg, &f), 0);
	xlb_rng_seed(&rng, 31);
	y[0] = y[1] = y[2] = 500;
	for (int t = 3; t < N; t++)
		y[t] = 500 + 0.5 * (y[t - 1] - 500) + 0.2 * (y[t - 3] - 500) +
		       40 * gaussian(&rng);
	for (int t = 0; t < N; t++)
		CHECK_EQ(xlb_forecaster_update(f, y[t], NULL), 0);
	for (int i = 0; i < W; i++) {
		int t = N - W + i;

		for (int l = 0; l < 3; l++)
			x[3 * i + l] = y[t - 1 - l];
		yy[i] = y[t];
	}
	CHECK_EQ(xlb_ols_fit(x, yy, W, 3, ridge, NULL, &fit), 0);
	xlb_forecaster_status(f, &st);
	for (int j = 0; j < 3; j++)
		CHECK(rel_err(st.coef[j], fit.coef[j]) < 1e-9,
		      "coef %d online %.17g batch %.17g", j, st.coef[j],
		      fit.coef[j]);
	/* The penalty is felt: the unpenalised fit differs clearly. */
	{
		struct xlb_ols_fit plain;

		CHECK_EQ(xlb_ols_fit(x, yy, W, 3, 0, NULL, &plain), 0);
		CHECK(rel_err(plain.coef[0], fit.coef[0]) > 0.01,
		      "ridge %g had no effect", ridge);
	}
	CHECK_EQ(xlb_forecaster_refit(f), 0);
	xlb_forecaster_status(f, &st);
	for (int j = 0; j < 3; j++)
		CHECK(rel_err(st.coef[j], fit.coef[j]) < 1e-12,
		      "coef %d refit %.17g batch %.17g", j, st.coef[j],
		      fit.coef[j]);
	CHECK(rel_err(st.intercept, fit.intercept) < 1e-12, "intercept");
	xlb_forecaster_destroy(f);
}

TEST(forecaster_ar_waits_for_enough_rows)
{
	struct xlb_forecaster *f = make(2, 100, 10, 0);
	struct xlb_forecast_status st;
	double y[20], next;

	CHECK(f, "create");
	noiseless_ar2(y, 20);
	/* 2 coefficients + intercept: 6 rows, and 2 lags before the first. */
	for (int t = 0; t < 7; t++) {
		CHECK_EQ(xlb_forecaster_update(f, y[t], NULL), 0);
		CHECK_EQ(xlb_forecaster_forecast(f, XLB_FORECAST_AR, 1, NULL,
						 &next),
			 XLB_MODEL_ENOTREADY);
	}
	xlb_forecaster_status(f, &st);
	CHECK_EQ(st.ar_error, XLB_MODEL_ETOOSHORT);
	CHECK_EQ(xlb_forecaster_update(f, y[7], NULL), 0);
	CHECK_EQ(xlb_forecaster_forecast(f, XLB_FORECAST_AR, 1, NULL, &next),
		 0);
	CHECK(fabs(next - y[8]) < 1e-6, "next %.17g want %.17g", next, y[8]);
	xlb_forecaster_destroy(f);
}

TEST(forecaster_constant_series_makes_ar_rank_deficient_not_nan)
{
	struct xlb_forecaster *f = make(2, 50, 10, 0);
	struct xlb_forecast_status st;
	double next;

	CHECK(f, "create");
	for (int t = 0; t < 200; t++)
		CHECK_EQ(xlb_forecaster_update(f, 42, NULL), 0);
	xlb_forecaster_status(f, &st);
	CHECK(!st.model[XLB_FORECAST_AR].ready, "ar ready on a constant");
	CHECK_EQ(st.ar_error, XLB_MODEL_ERANK);
	CHECK_EQ(xlb_forecaster_forecast(f, XLB_FORECAST_SELECTED, 1, NULL,
					 &next),
		 0);
	CHECK(next == 42, "next %g", next);
	xlb_forecaster_destroy(f);
}

TEST(forecaster_rejects_nan_and_keeps_its_state)
{
	struct xlb_forecaster *f = make(2, 50, 10, 0);
	struct xlb_forecast_status before, after;

	CHECK(f, "create");
	for (int t = 0; t < 30; t++)
		CHECK_EQ(xlb_forecaster_update(f, t % 7, NULL), 0);
	xlb_forecaster_status(f, &before);
	CHECK_EQ(xlb_forecaster_update(f, NAN, NULL), XLB_MODEL_ENONFINITE);
	CHECK_EQ(xlb_forecaster_update(f, -INFINITY, NULL),
		 XLB_MODEL_ENONFINITE);
	xlb_forecaster_status(f, &after);
	CHECK(!memcmp(&before, &after, sizeof(before)), "state changed");
	xlb_forecaster_destroy(f);
}

TEST(forecaster_rejects_bad_configuration)
{
	struct xlb_forecast_config cfg;
	struct xlb_forecaster *f;

	xlb_forecast_config_default(&cfg);
	cfg.window = 0;
	CHECK_EQ(xlb_forecaster_create(&cfg, &f), XLB_MODEL_EINVAL);
	xlb_forecast_config_default(&cfg);
	cfg.lags = 0;
	CHECK_EQ(xlb_forecaster_create(&cfg, &f), XLB_MODEL_EINVAL);
	xlb_forecast_config_default(&cfg);
	cfg.lags = XLB_OLS_MAX_COLS + 1;
	CHECK_EQ(xlb_forecaster_create(&cfg, &f), XLB_MODEL_ELIMIT);
	xlb_forecast_config_default(&cfg);
	cfg.window = XLB_FORECAST_MAX_WINDOW + 1;
	CHECK_EQ(xlb_forecaster_create(&cfg, &f), XLB_MODEL_ELIMIT);
	/* The largest window with the most regressors exceeds the bytes. */
	xlb_forecast_config_default(&cfg);
	cfg.window = XLB_FORECAST_MAX_WINDOW;
	cfg.lags = XLB_OLS_MAX_COLS;
	CHECK_EQ(xlb_forecaster_create(&cfg, &f), XLB_MODEL_ELIMIT);
	xlb_forecast_config_default(&cfg);
	cfg.ses_alpha = 1.5;
	CHECK_EQ(xlb_forecaster_create(&cfg, &f), XLB_MODEL_EINVAL);
}
