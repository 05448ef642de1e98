/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sliding-window sufficient statistics for least squares: the mean and the
 * centred co-moment matrix of z = (x_1..x_k, y), updated one row in or out
 * in O(k^2) whatever the window length (Welford's updates, which stay
 * accurate where raw sums of squares of counts near 1e5 would cancel).
 */
#ifndef XLB_COMOMENT_H
#define XLB_COMOMENT_H

#include <stddef.h>

struct xlb_comoment {
	size_t dim;   /* k + 1: the regressors, then the response */
	size_t n;     /* rows currently summarised */
	double *mean; /* dim values */
	double *m; /* dim x dim, upper triangle: sum (z_i - mean_i)(z_j - mean_j) */
};

void xlb_comoment_reset(struct xlb_comoment *c);
void xlb_comoment_add(struct xlb_comoment *c, const double *z);
void xlb_comoment_remove(struct xlb_comoment *c, const double *z);

/*
 * Least-squares coefficients of y on x from the statistics, ridge-penalised
 * like xlb_ols_fit(): Cholesky of the correlation-scaled co-moment matrix,
 * which refuses a pivot below 1e-10 (a regressor that the others explain to
 * within 1e-10 of its variance) with XLB_MODEL_ERANK.
 */
int xlb_comoment_solve(const struct xlb_comoment *c, double ridge, double *coef,
		       double *intercept);

#endif
