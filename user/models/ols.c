// SPDX-License-Identifier: GPL-2.0
#include "ols.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_error.h"

size_t xlb_ols_work_len(size_t n_rows, size_t n_cols)
{
	size_t lda = n_rows + n_cols;

	return lda * n_cols + lda;
}

/* Euclidean norm without overflow for counts up to ~1e150. */
static double column_norm(const double *v, size_t n)
{
	double scale = 0, sum = 1;

	for (size_t i = 0; i < n; i++) {
		double a = fabs(v[i]);

		if (a == 0)
			continue;
		if (scale < a) {
			sum = 1 + sum * (scale / a) * (scale / a);
			scale = a;
		} else {
			sum += (a / scale) * (a / scale);
		}
	}
	return scale * sqrt(sum);
}

int xlb_ols_solve_centred(double *a, size_t lda, double *b, size_t n_rows,
			  size_t n_cols, double ridge, double *coef)
{
	size_t m = n_rows + (ridge > 0 ? n_cols : 0);
	double scale[XLB_OLS_MAX_COLS];
	double tol;

	if (!a || !b || !coef || n_cols == 0 || n_cols > XLB_OLS_MAX_COLS ||
	    lda < n_rows + n_cols || !(ridge >= 0) || !isfinite(ridge))
		return XLB_MODEL_EINVAL;
	if (n_rows < (ridge > 0 ? 2 : n_cols + 1))
		return XLB_MODEL_ETOOSHORT;

	/*
	 * Scale each column (ridge rows included) to unit norm: the rank test
	 * below then means the same for every column, whatever its units.
	 */
	for (size_t j = 0; j < n_cols; j++) {
		double *col = a + j * lda;
		double norm;

		for (size_t i = n_rows; i < m; i++)
			col[i] = (i - n_rows == j) ? sqrt(ridge) : 0;
		norm = column_norm(col, m);
		if (!isfinite(norm))
			return XLB_MODEL_ENONFINITE;
		if (norm == 0)
			return XLB_MODEL_ERANK;
		scale[j] = norm;
		for (size_t i = 0; i < m; i++)
			col[i] /= norm;
	}
	for (size_t i = n_rows; i < m; i++)
		b[i] = 0;

	/* A dependent unit column leaves a diagonal of order m * eps. */
	tol = 16 * DBL_EPSILON * (double)(m > 64 ? m : 64);

	for (size_t j = 0; j < n_cols; j++) {
		double *v = a + j * lda + j;
		size_t len = m - j;
		double alpha = column_norm(v, len);
		double beta, tau, v0;

		if (alpha <= tol)
			return XLB_MODEL_ERANK;
		/* Reflect v onto beta * e1, beta signed to avoid cancellation. */
		beta = v[0] > 0 ? -alpha : alpha;
		v0 = v[0] - beta;
		tau = -v0 / beta;
		for (size_t i = 1; i < len; i++)
			v[i] /= v0;
		v[0] = beta; /* R(j,j); the reflector's implicit first entry is 1 */

		for (size_t l = j + 1; l <= n_cols; l++) {
			double *c = l < n_cols ? a + l * lda + j : b + j;
			double dot = c[0];

			for (size_t i = 1; i < len; i++)
				dot += v[i] * c[i];
			dot *= tau;
			c[0] -= dot;
			for (size_t i = 1; i < len; i++)
				c[i] -= dot * v[i];
		}
	}

	/* Back-substitute R z = Q'b, then undo the column scaling. */
	for (size_t jj = n_cols; jj-- > 0;) {
		double sum = b[jj];

		for (size_t l = jj + 1; l < n_cols; l++)
			sum -= a[l * lda + jj] * coef[l];
		coef[jj] = sum / a[jj * lda + jj];
	}
	for (size_t j = 0; j < n_cols; j++) {
		coef[j] /= scale[j];
		if (!isfinite(coef[j]))
			return XLB_MODEL_ERANK;
	}
	return 0;
}

int xlb_ols_fit(const double *x, const double *y, size_t n_rows, size_t n_cols,
		double ridge, double *work, struct xlb_ols_fit *out)
{
	double mean[XLB_OLS_MAX_COLS], coef[XLB_OLS_MAX_COLS];
	size_t lda = n_rows + n_cols;
	double *owned = NULL, *a, *b;
	double y_mean = 0, intercept;
	int err;

	if (!x || !y || !out || n_cols == 0 || n_cols > XLB_OLS_MAX_COLS ||
	    !(ridge >= 0) || !isfinite(ridge))
		return XLB_MODEL_EINVAL;
	if (n_rows < (ridge > 0 ? 2 : n_cols + 1))
		return XLB_MODEL_ETOOSHORT;
	for (size_t i = 0; i < n_rows; i++) {
		if (!isfinite(y[i]))
			return XLB_MODEL_ENONFINITE;
		for (size_t j = 0; j < n_cols; j++)
			if (!isfinite(x[i * n_cols + j]))
				return XLB_MODEL_ENONFINITE;
	}
	if (!work) {
		owned = malloc(xlb_ols_work_len(n_rows, n_cols) *
			       sizeof(*owned));
		if (!owned)
			return XLB_MODEL_ENOMEM;
		work = owned;
	}
	a = work;
	b = work + lda * n_cols;

	/* Two-pass means: the centring must be exact for counts near 1e5. */
	for (size_t j = 0; j < n_cols; j++)
		mean[j] = 0;
	for (size_t i = 0; i < n_rows; i++) {
		y_mean += y[i];
		for (size_t j = 0; j < n_cols; j++)
			mean[j] += x[i * n_cols + j];
	}
	y_mean /= n_rows;
	for (size_t j = 0; j < n_cols; j++)
		mean[j] /= n_rows;
	for (size_t i = 0; i < n_rows; i++) {
		b[i] = y[i] - y_mean;
		for (size_t j = 0; j < n_cols; j++)
			a[j * lda + i] = x[i * n_cols + j] - mean[j];
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
