// SPDX-License-Identifier: GPL-2.0
#include "ses.h"

#include <math.h>

#include "model_error.h"

/* Alphas tried per pass over the data; independent chains overlap well. */
#define SES_GRID 8
#define SES_PASSES 4

double xlb_ses_sse(const double *y, size_t n, double alpha, double *level)
{
	double l = n ? y[0] : 0, sse = 0;

	for (size_t i = 1; i < n; i++) {
		double e = y[i] - l;

		sse += e * e;
		l += alpha * e;
	}
	if (level)
		*level = l;
	return sse;
}

/* One pass over y for SES_GRID alphas at once. */
static void sse_grid(const double *y, size_t n, const double *alpha,
		     double *sse, double *level)
{
	double l[SES_GRID], s[SES_GRID];

	for (int c = 0; c < SES_GRID; c++) {
		l[c] = y[0];
		s[c] = 0;
	}
	for (size_t i = 1; i < n; i++) {
		double v = y[i];

		for (int c = 0; c < SES_GRID; c++) {
			double e = v - l[c];

			s[c] += e * e;
			l[c] += alpha[c] * e;
		}
	}
	for (int c = 0; c < SES_GRID; c++) {
		sse[c] = s[c];
		level[c] = l[c];
	}
}

int xlb_ses_fit(const double *y, size_t n, double *alpha, double *level)
{
	double lo = XLB_SES_ALPHA_MIN, hi = 1;
	double grid[SES_GRID], sse[SES_GRID], lev[SES_GRID];
	double best_alpha = 1, best_sse = INFINITY, best_level = 0;
	int b = 0;

	if (!y || !alpha || !level)
		return XLB_MODEL_EINVAL;
	if (n < 3)
		return XLB_MODEL_ETOOSHORT;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(y[i]))
			return XLB_MODEL_ENONFINITE;

	/*
	 * Coarse-to-fine grid: each pass keeps the two cells around the best
	 * point, shrinking the bracket by 2/7; four passes leave it ~0.007
	 * wide. A parabola through the last three points then lands on the
	 * minimum when the error is locally quadratic.
	 */
	for (int pass = 0; pass < SES_PASSES; pass++) {
		for (int c = 0; c < SES_GRID; c++)
			grid[c] = lo + (hi - lo) * c / (SES_GRID - 1);
		sse_grid(y, n, grid, sse, lev);
		b = 0;
		for (int c = 1; c < SES_GRID; c++)
			if (sse[c] < sse[b])
				b = c;
		if (sse[b] < best_sse) {
			best_sse = sse[b];
			best_alpha = grid[b];
			best_level = lev[b];
		}
		lo = grid[b > 0 ? b - 1 : 0];
		hi = grid[b < SES_GRID - 1 ? b + 1 : SES_GRID - 1];
	}
	if (b > 0 && b < SES_GRID - 1) {
		double x0 = grid[b - 1], x1 = grid[b], x2 = grid[b + 1];
		double f0 = sse[b - 1], f1 = sse[b], f2 = sse[b + 1];
		double den = (x1 - x0) * (f1 - f2) - (x1 - x2) * (f1 - f0);

		if (den != 0) {
			double num = (x1 - x0) * (x1 - x0) * (f1 - f2) -
				     (x1 - x2) * (x1 - x2) * (f1 - f0);
			double x = x1 - 0.5 * num / den, l;

			if (x > x0 && x < x2) {
				double s = xlb_ses_sse(y, n, x, &l);

				if (s < best_sse) {
					best_sse = s;
					best_alpha = x;
					best_level = l;
				}
			}
		}
	}
	*alpha = best_alpha;
	*level = best_level;
	return 0;
}
