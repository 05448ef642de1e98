/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ordinary least squares with intercept, optionally ridge-penalised:
 *
 *	minimise  sum_i (y_i - a - x_i.b)^2 + ridge * |b|^2
 *
 * Solved by Householder QR on centred columns, which
 * keeps the error near cond(X) * eps instead of the cond(X)^2 * eps of the
 * normal equations; the intercept is not penalised. Rank-deficient or
 * too-short input returns an error code, never NaN coefficients.
 */
#ifndef XLB_OLS_H
#define XLB_OLS_H

#include <stddef.h>

/* More regressors than this is not a load model any more. */
#define XLB_OLS_MAX_COLS 64

struct xlb_ols_fit {
	size_t n_cols;
	double intercept;
	double coef[XLB_OLS_MAX_COLS];
};

/* Doubles of workspace xlb_ols_fit() needs for this problem size. */
size_t xlb_ols_work_len(size_t n_rows, size_t n_cols);

/*
 * x: n_rows x n_cols, row-major; y: n_rows. work: xlb_ols_work_len() doubles,
 * or NULL to let the function allocate (and free) it. Returns 0,
 * XLB_MODEL_EINVAL, XLB_MODEL_ENONFINITE, XLB_MODEL_ETOOSHORT (fewer than
 * n_cols + 1 rows without ridge, fewer than 2 with), XLB_MODEL_ERANK or
 * XLB_MODEL_ENOMEM. On error *out is left untouched.
 */
int xlb_ols_fit(const double *x, const double *y, size_t n_rows, size_t n_cols,
		double ridge, double *work, struct xlb_ols_fit *out);

/*
 * The solver under xlb_ols_fit(), for callers that build the centred design
 * themselves (the forecaster builds it from its ring buffer). a: column-major
 * with leading dimension lda >= n_rows + n_cols (the extra rows hold the
 * ridge block), columns already centred; b: lda doubles, first n_rows
 * centred. Both are overwritten. coef receives n_cols values.
 */
int xlb_ols_solve_centred(double *a, size_t lda, double *b, size_t n_rows,
			  size_t n_cols, double ridge, double *coef);

#endif
