// SPDX-License-Identifier: GPL-2.0
#include "ses.h"

#include <math.h>
#include <string.h>

#include "model_error.h"

/* Alphas tried per pass over the data: independent chains overlap well. */
#define SES_CHAINS 8
#define SES_PASSES 3

/*
 * Two doubles per vector, four vectors for the eight chains: GCC's generic
 * vectors compile to SSE2 (or NEON) pairs with the same IEEE operations per
 * lane as the scalar loop.
 */
typedef double v2d __attribute__((vector_size(16)));

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

/*
 * One pass over y for SES_CHAINS alphas at once. The level is updated as
 * (1 - alpha) l + alpha y rather than l + alpha (y - l): the same value,
 * but only a multiply and an add on the loop-carried chain, so the pass
 * runs at the CPU's throughput instead of its latency.
 */
static void sse_chains(const double *y, size_t n, const double *alpha,
		       double *sse, double *level)
{
	v2d a[4], b[4], l[4], s[4];

	for (int c = 0; c < 4; c++) {
		memcpy(&a[c], alpha + 2 * c, sizeof(a[c]));
		b[c] = 1 - a[c];
		l[c] = (v2d){ y[0], y[0] };
		s[c] = (v2d){ 0, 0 };
	}
	for (size_t i = 1; i < n; i++) {
		v2d v = { y[i], y[i] };

		for (int c = 0; c < 4; c++) {
			v2d e = v - l[c];

			s[c] += e * e;
			l[c] = b[c] * l[c] + a[c] * v;
		}
	}
	for (int c = 0; c < 4; c++) {
		memcpy(sse + 2 * c, &s[c], sizeof(s[c]));
		memcpy(level + 2 * c, &l[c], sizeof(l[c]));
	}
}

int xlb_ses_fit(const double *y, size_t n, double *alpha, double *level)
{
	double tried[SES_PASSES * SES_CHAINS], sse[SES_PASSES * SES_CHAINS];
	double lev[SES_PASSES * SES_CHAINS];
	double lo = XLB_SES_ALPHA_MIN, hi = 1;
	int count = 0, best = 0;

	if (!y || !alpha || !level)
		return XLB_MODEL_EINVAL;
	if (n < 3)
		return XLB_MODEL_ETOOSHORT;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(y[i]))
			return XLB_MODEL_ENONFINITE;

	/*
	 * Pass 1 spreads the chains over [ALPHA_MIN, 1]. Each later pass puts
	 * seven chains inside the bracket around the best alpha so far (its
	 * nearest tried neighbours) and the eighth at the vertex of the
	 * parabola through those three points, exact when the error is
	 * locally quadratic. Three passes leave the bracket below 0.01.
	 */
	for (int pass = 0; pass < SES_PASSES; pass++) {
		double *a = tried + count;
		int grid = pass ? SES_CHAINS - 1 : SES_CHAINS;
		double left = -1, right = 2;

		if (pass) {
			double b = tried[best];

			for (int i = 0; i < count; i++) {
				if (tried[i] < b && tried[i] > left)
					left = tried[i];
				if (tried[i] > b && tried[i] < right)
					right = tried[i];
			}
			lo = left >= 0 ? left : b;
			hi = right <= 1 ? right : b;
		}
		for (int c = 0; c < grid; c++)
			a[c] = pass ? lo + (hi - lo) * (c + 1) / (grid + 1)
				    : lo + (hi - lo) * c / (grid - 1);
		if (pass) {
			a[grid] = (lo + hi) / 2;
			if (left >= 0 && right <= 1) {
				double x0 = left, x1 = tried[best], x2 = right;
				double f0 = 0, f1 = sse[best], f2 = 0;
				double num, den;

				for (int i = 0; i < count; i++) {
					if (tried[i] == x0)
						f0 = sse[i];
					if (tried[i] == x2)
						f2 = sse[i];
				}
				den = (x1 - x0) * (f1 - f2) -
				      (x1 - x2) * (f1 - f0);
				num = (x1 - x0) * (x1 - x0) * (f1 - f2) -
				      (x1 - x2) * (x1 - x2) * (f1 - f0);
				if (den != 0 && x1 - 0.5 * num / den > x0 &&
				    x1 - 0.5 * num / den < x2)
					a[grid] = x1 - 0.5 * num / den;
			}
		}
		sse_chains(y, n, a, sse + count, lev + count);
		for (int c = 0; c < SES_CHAINS; c++, count++)
			if (sse[count] < sse[best])
				best = count;
	}
	*alpha = tried[best];
	*level = lev[best];
	return 0;
}
