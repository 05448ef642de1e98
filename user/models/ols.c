// SPDX-License-Identifier: GPL-2.0
#include "ols.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_error.h"
#include "vec.h"

size_t xlb_ols_work_len(size_t n_rows, size_t n_cols)
{
	size_t lda = n_rows + n_cols;

	return lda * n_cols + lda;
}

/* Euclidean norm with a rescaling pass only when squares over/underflow. */
static double column_norm(const double *v, size_t n)
{
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0, sum, scale = 0, ssq = 1;
	size_t i = 0;

	/* Four partial sums: independent chains, no reassociation needed. */
	for (; i + 4 <= n; i += 4) {
		s0 += v[i] * v[i];
		s1 += v[i + 1] * v[i + 1];
		s2 += v[i + 2] * v[i + 2];
		s3 += v[i + 3] * v[i + 3];
	}
	for (; i < n; i++)
		s0 += v[i] * v[i];
	sum = (s0 + s1) + (s2 + s3);
	if (isfinite(sum) && (sum == 0 || sum > 1e-290))
		return sqrt(sum);
	for (i = 0; i < n; i++) {
		double a = fabs(v[i]);

		if (a == 0)
			continue;
		if (scale < a) {
			ssq = 1 + ssq * (scale / a) * (scale / a);
			scale = a;
		} else {
			ssq += (a / scale) * (a / scale);
		}
	}
	return scale * sqrt(ssq);
}

int xlb_ols_solve_centred(double *a, size_t lda, double *b, size_t n_rows,
			  size_t n_cols, double ridge, double *coef)
{
	size_t m = n_rows + (ridge > 0 ? n_cols : 0);
	double norm[XLB_OLS_MAX_COLS];
	double tol;

	if (!a || !b || !coef || n_cols == 0 || n_cols > XLB_OLS_MAX_COLS ||
	    lda < n_rows + n_cols || !(ridge >= 0) || !isfinite(ridge))
		return XLB_MODEL_EINVAL;
	if (n_rows < (ridge > 0 ? 2 : n_cols + 1))
		return XLB_MODEL_ETOOSHORT;

	for (size_t j = 0; j < n_cols; j++) {
		double *col = a + j * lda;

		for (size_t i = n_rows; i < m; i++)
			col[i] = (i - n_rows == j) ? sqrt(ridge) : 0;
		norm[j] = column_norm(col, m);
		if (!isfinite(norm[j]))
			return XLB_MODEL_ENONFINITE;
		if (norm[j] == 0)
			return XLB_MODEL_ERANK;
	}
	for (size_t i = n_rows; i < m; i++)
		b[i] = 0;

	/*
	 * Householder QR is invariant to column scaling, so the rank test
	 * compares each |R(j,j)| with its column's norm: a column that the
	 * previous ones explain to within m * eps of its length is dependent.
	 */
	tol = 16 * DBL_EPSILON * (double)(m > 64 ? m : 64);

	for (size_t j = 0; j < n_cols; j++) {
		double *v = a + j * lda + j;
		size_t len = m - j;
		double alpha = j ? column_norm(v, len) : norm[0];
		double beta, u0, tau;

		if (alpha <= tol * norm[j])
			return XLB_MODEL_ERANK;
		/*
		 * Reflect v onto beta e1 with u = v - beta e1 (beta signed to
		 * avoid cancellation), kept unnormalised: u'u = -2 beta u0, so
		 * H c = c - u (u'c) / (-beta u0). The tail of u is v's own.
		 */
		beta = v[0] > 0 ? -alpha : alpha;
		u0 = v[0] - beta;
		tau = -1 / (beta * u0);

		for (size_t l = j + 1; l <= n_cols; l++) {
			double *c = l < n_cols ? a + l * lda + j : b + j;
			double d = tau *
				   (u0 * c[0] + xlb_dot(v + 1, c + 1, len - 1));

			c[0] -= d * u0;
			for (size_t i = 1; i < len; i++)
				c[i] -= d * v[i];
		}
		v[0] = beta; /* R(j,j) */
	}

	/* Back-substitute R x = Q'b. */
	for (size_t jj = n_cols; jj-- > 0;) {
		double sum = b[jj];

		for (size_t l = jj + 1; l < n_cols; l++)
			sum -= a[l * lda + jj] * coef[l];
		coef[jj] = sum / a[jj * lda + jj];
	}
	for (size_t j = 0; j < n_cols; j++)
		if (!isfinite(coef[j]))
			return XLB_MODEL_ERANK;
	return 0;
}

int xlb_ols_fit(const double *x, const double *y, size_t n_rows, size_t n_cols,
		double ridge, double *work, struct xlb_ols_fit *out)
{
	double mean[XLB_OLS_MAX_COLS], coef[XLB_OLS_MAX_COLS];
	size_t lda = n_rows + n_cols;
	double *owned = NULL, *a, *b;
	double y_mean, intercept;
	int err;

	if (!x || !y || !out || n_cols == 0 || n_cols > XLB_OLS_MAX_COLS ||
	    !(ridge >= 0) || !isfinite(ridge))
		return XLB_MODEL_EINVAL;
	if (n_rows < (ridge > 0 ? 2 : n_cols + 1))
		return XLB_MODEL_ETOOSHORT;
	if (!xlb_all_finite(y, n_rows) || !xlb_all_finite(x, n_rows * n_cols))
		return XLB_MODEL_ENONFINITE;
	if (!work) {
		owned = malloc(xlb_ols_work_len(n_rows, n_cols) *
			       sizeof(*owned));
		if (!owned)
			return XLB_MODEL_ENOMEM;
		work = owned;
	}
	a = work;
	b = work + lda * n_cols;

	/*
	 * Column-major copy, then two-pass means (the centring must be exact
	 * for counts near 1e5), then centre in place.
	 */
	for (size_t i = 0; i < n_rows; i++) {
		b[i] = y[i];
		for (size_t j = 0; j < n_cols; j++)
			a[j * lda + i] = x[i * n_cols + j];
	}
	y_mean = xlb_sum_strided(b, n_rows, 1) / (double)n_rows;
	for (size_t i = 0; i < n_rows; i++)
		b[i] -= y_mean;
	for (size_t j = 0; j < n_cols; j++) {
		double *col = a + j * lda;

		mean[j] = xlb_sum_strided(col, n_rows, 1) / (double)n_rows;
		for (size_t i = 0; i < n_rows; i++)
			col[i] -= mean[j];
	}

	err = xlb_ols_solve_centred(a, lda, b, n_rows, n_cols, ridge, coef);
	free(owned);
	if (err)
		return err;
	intercept = y_mean;
	for (size_t j = 0; j < n_cols; j++)
		intercept -= coef[j] * mean[j];
	if (!isfinite(intercept))
		return XLB_MODEL_ERANK;
	out->n_cols = n_cols;
	out->intercept = intercept;
	memcpy(out->coef, coef, n_cols * sizeof(*coef));
	return 0;
}
