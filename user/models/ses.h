/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Simple exponential smoothing: level l_1 = y_1, l_t = alpha*y_t +
 * (1-alpha)*l_(t-1); the forecast for every horizon is the last level.
 * alpha is fitted by minimising the sum of squared one-step errors.
 */
#ifndef XLB_SES_H
#define XLB_SES_H

#include <stddef.h>

/* alpha is searched in [XLB_SES_ALPHA_MIN, 1]. */
#define XLB_SES_ALPHA_MIN 0.001

/* Sum of squared one-step errors over y[0..n), and the final level. */
double xlb_ses_sse(const double *y, size_t n, double alpha, double *level);

/*
 * Fits alpha on y[0..n) (n >= 3: with two points the one error does not
 * depend on alpha). Returns 0 with *alpha and *level, XLB_MODEL_ETOOSHORT,
 * XLB_MODEL_EINVAL or XLB_MODEL_ENONFINITE.
 */
int xlb_ses_fit(const double *y, size_t n, double *alpha, double *level);

#endif
