// SPDX-License-Identifier: GPL-2.0
/* Least squares: exact recovery, errors instead of NaN, ridge by hand. */
#include <math.h>
#include <string.h>

#include "model_error.h"
#include "ols.h"
#include "testing.h"

static double rel_err(double got, double want)
{
	return fabs(got - want) / fabs(want);
}

/*
 * y(t) = 5 + b y(t-1) + c y(t-2) with roots 0.999 e^(+-0.3i): a slowly
 * decaying oscillation, so the lags stay linearly independent.
 */
TEST(ols_recovers_noiseless_ar2)
{
	const double a = 5, b = 2 * 0.999 * cos(0.3), c = -0.999 * 0.999;
	enum { N = 400 };
	double series[N + 2], x[N * 2], y[N];
	struct xlb_ols_fit fit;

	series[0] = 0;
	series[1] = 10;
	for (int t = 2; t < N + 2; t++)
		series[t] = a + b * series[t - 1] + c * series[t - 2];
	for (int i = 0; i < N; i++) {
		x[2 * i] = series[i + 1];
		x[2 * i + 1] = series[i];
		y[i] = series[i + 2];
	}
	CHECK_EQ(xlb_ols_fit(x, y, N, 2, 0, NULL, &fit), 0);
	CHECK(rel_err(fit.intercept, a) < 1e-9, "intercept %.17g",
	      fit.intercept);
	CHECK(rel_err(fit.coef[0], b) < 1e-9, "b %.17g, want %.17g",
	      fit.coef[0], b);
	CHECK(rel_err(fit.coef[1], c) < 1e-9, "c %.17g, want %.17g",
	      fit.coef[1], c);
}

/* Three regressors with different scales, no noise: exact to rounding. */
TEST(ols_recovers_exact_linear_coefficients)
{
	const double want[3] = { 2.5, -0.75, 1e-3 }, a = -40;
	enum { N = 50 };
	double x[N * 3], y[N];
	struct xlb_ols_fit fit;

	for (int i = 0; i < N; i++) {
		x[3 * i] = sin(i * 0.7);
		x[3 * i + 1] = 100 + 10 * cos(i * 1.3);
		x[3 * i + 2] = 1000.0 * ((i * 37) % 11);
		y[i] = a;
		for (int j = 0; j < 3; j++)
			y[i] += want[j] * x[3 * i + j];
	}
	CHECK_EQ(xlb_ols_fit(x, y, N, 3, 0, NULL, &fit), 0);
	CHECK_EQ(fit.n_cols, 3);
	CHECK(rel_err(fit.intercept, a) < 1e-12, "a %.17g", fit.intercept);
	for (int j = 0; j < 3; j++)
		CHECK(rel_err(fit.coef[j], want[j]) < 1e-12, "coef %d %.17g", j,
		      fit.coef[j]);
}

TEST(ols_too_few_rows_is_an_error)
{
	double x[] = { 1, 2, 3, 5, 4, 4 }, y[] = { 1, 2, 3 };
	struct xlb_ols_fit fit = { .intercept = 42 };

	/* Two coefficients plus the intercept need three rows. */
	CHECK_EQ(xlb_ols_fit(x, y, 2, 2, 0, NULL, &fit), XLB_MODEL_ETOOSHORT);
	CHECK(fit.intercept == 42, "output touched on error");
	CHECK_EQ(xlb_ols_fit(x, y, 3, 2, 0, NULL, &fit), 0);
	CHECK_EQ(xlb_ols_fit(x, y, 1, 2, 1.0, NULL, &fit), XLB_MODEL_ETOOSHORT);
}

TEST(ols_collinear_columns_are_rank_deficient_not_nan)
{
	enum { N = 30 };
	double x[N * 2], y[N];
	struct xlb_ols_fit fit = { .intercept = 42 };

	for (int i = 0; i < N; i++) {
		x[2 * i] = i * 0.37 + sin(i);
		x[2 * i + 1] = 3 * x[2 * i] - 7; /* affine in column 0 */
		y[i] = i;
	}
	CHECK_EQ(xlb_ols_fit(x, y, N, 2, 0, NULL, &fit), XLB_MODEL_ERANK);
	CHECK(fit.intercept == 42, "output touched on error");
}

TEST(ols_constant_column_is_rank_deficient)
{
	enum { N = 10 };
	double x[N * 2], y[N];
	struct xlb_ols_fit fit;

	for (int i = 0; i < N; i++) {
		x[2 * i] = i;
		x[2 * i + 1] = 1e5; /* indistinguishable from the intercept */
		y[i] = 2 * i + 1;
	}
	CHECK_EQ(xlb_ols_fit(x, y, N, 2, 0, NULL, &fit), XLB_MODEL_ERANK);
}

TEST(ols_rejects_nan_and_infinity)
{
	double x[] = { 1, 2, 3, 4 }, y[] = { 1, 2, 3, 5 };
	struct xlb_ols_fit fit;

	x[2] = NAN;
	CHECK_EQ(xlb_ols_fit(x, y, 4, 1, 0, NULL, &fit), XLB_MODEL_ENONFINITE);
	x[2] = 3;
	y[1] = INFINITY;
	CHECK_EQ(xlb_ols_fit(x, y, 4, 1, 0, NULL, &fit), XLB_MODEL_ENONFINITE);
	y[1] = 2;
	CHECK_EQ(xlb_ols_fit(x, y, 4, 1, -1, NULL, &fit), XLB_MODEL_EINVAL);
	CHECK_EQ(xlb_ols_fit(x, y, 4, 1, NAN, NULL, &fit), XLB_MODEL_EINVAL);
}

/* One regressor: b = Sxy / (Sxx + ridge), a = mean(y) - b mean(x). */
TEST(ols_ridge_matches_closed_form)
{
	double x[] = { 1, 2, 4, 7 }, y[] = { 3, 1, 6, 9 };
	/*
	 * By hand: mean x 3.5, mean y 4.75; deviations -2.5 -1.5 0.5 3.5 and
	 * -1.75 -3.75 1.25 4.25; Sxx 21, Sxy 4.375 + 5.625 + 0.625 + 14.875
	 * = 25.5; b = 25.5 / 25 = 1.02, a = 4.75 - 3.57 = 1.18.
	 */
	const double ridge = 4, b = 1.02, a = 1.18;
	double work[64];
	struct xlb_ols_fit fit;

	CHECK(xlb_ols_work_len(4, 1) <= 64, "work");
	CHECK_EQ(xlb_ols_fit(x, y, 4, 1, ridge, work, &fit), 0);
	CHECK(rel_err(fit.coef[0], b) < 1e-14, "b %.17g, want %.17g",
	      fit.coef[0], b);
	CHECK(rel_err(fit.intercept, a) < 1e-14, "a %.17g, want %.17g",
	      fit.intercept, a);
}

/* With a penalty, duplicated columns share the weight instead of failing. */
TEST(ols_ridge_solves_duplicated_columns)
{
	enum { N = 20 };
	double x[N * 2], y[N];
	struct xlb_ols_fit fit;

	for (int i = 0; i < N; i++) {
		x[2 * i] = x[2 * i + 1] = i;
		y[i] = 4 * i + 1;
	}
	CHECK_EQ(xlb_ols_fit(x, y, N, 2, 1e-6, NULL, &fit), 0);
	CHECK(isfinite(fit.coef[0]) && isfinite(fit.coef[1]), "not finite");
	CHECK(fabs(fit.coef[0] - fit.coef[1]) < 1e-9, "%.17g vs %.17g",
	      fit.coef[0], fit.coef[1]);
	CHECK(fabs(fit.coef[0] + fit.coef[1] - 4) < 1e-6, "sum %.17g",
	      fit.coef[0] + fit.coef[1]);
}
