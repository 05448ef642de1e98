// SPDX-License-Identifier: GPL-2.0
#include "comoment.h"

#include <math.h>

#include "model_error.h"
#include "ols.h"

/* Below this, the normal equations have lost the column to rounding. */
#define PIVOT_TOLERANCE 1e-10

void xlb_comoment_reset(struct xlb_comoment *c)
{
	c->n = 0;
	for (size_t i = 0; i < c->dim; i++) {
		c->mean[i] = 0;
		for (size_t j = 0; j < c->dim; j++)
			c->m[i * c->dim + j] = 0;
	}
}

void xlb_comoment_add(struct xlb_comoment *c, const double *z)
{
	double d[XLB_OLS_MAX_COLS + 1];
	double w;

	c->n++;
	w = (double)(c->n - 1) / c->n;
	for (size_t i = 0; i < c->dim; i++) {
		d[i] = z[i] - c->mean[i];
		c->mean[i] += d[i] / c->n;
	}
	for (size_t i = 0; i < c->dim; i++)
		for (size_t j = i; j < c->dim; j++)
			c->m[i * c->dim + j] += w * d[i] * d[j];
}

void xlb_comoment_remove(struct xlb_comoment *c, const double *z)
{
	double d[XLB_OLS_MAX_COLS + 1];
	double w;

	if (c->n <= 1) {
		xlb_comoment_reset(c);
		return;
	}
	c->n--;
	w = (double)(c->n + 1) / c->n;
	for (size_t i = 0; i < c->dim; i++) {
		d[i] = z[i] - c->mean[i];
		c->mean[i] -= d[i] / c->n;
	}
	for (size_t i = 0; i < c->dim; i++)
		for (size_t j = i; j < c->dim; j++)
			c->m[i * c->dim + j] -= w * d[i] * d[j];
}

int xlb_comoment_solve(const struct xlb_comoment *c, double ridge, double *coef,
		       double *intercept)
{
	double l[XLB_OLS_MAX_COLS * XLB_OLS_MAX_COLS];
	double scale[XLB_OLS_MAX_COLS], w[XLB_OLS_MAX_COLS];
	double b[XLB_OLS_MAX_COLS];
	size_t k = c->dim - 1, dim = c->dim;
	double a;

	if (k == 0 || k > XLB_OLS_MAX_COLS || !(ridge >= 0))
		return XLB_MODEL_EINVAL;
	if (c->n < (ridge > 0 ? 2 : k + 1))
		return XLB_MODEL_ETOOSHORT;
	for (size_t i = 0; i < k; i++) {
		double d = c->m[i * dim + i] + ridge;

		if (!(d > 0))
			return XLB_MODEL_ERANK;
		scale[i] = 1 / sqrt(d);
	}
	/* Cholesky of the scaled matrix (unit diagonal), lower triangle. */
	for (size_t j = 0; j < k; j++) {
		for (size_t i = j; i < k; i++) {
			double s = (c->m[j * dim + i] + (i == j ? ridge : 0)) *
				   scale[i] * scale[j];

			for (size_t p = 0; p < j; p++)
				s -= l[i * k + p] * l[j * k + p];
			if (i == j) {
				if (!(s > PIVOT_TOLERANCE))
					return XLB_MODEL_ERANK;
				l[j * k + j] = sqrt(s);
			} else {
				l[i * k + j] = s / l[j * k + j];
			}
		}
	}
	/* Forward then back substitution on the scaled right-hand side. */
	for (size_t i = 0; i < k; i++) {
		double s = c->m[i * dim + k] * scale[i];

		for (size_t p = 0; p < i; p++)
			s -= l[i * k + p] * w[p];
		w[i] = s / l[i * k + i];
	}
	for (size_t i = k; i-- > 0;) {
		double s = w[i];

		for (size_t p = i + 1; p < k; p++)
			s -= l[p * k + i] * b[p];
		b[i] = s / l[i * k + i];
	}
	a = c->mean[k];
	for (size_t i = 0; i < k; i++) {
		b[i] *= scale[i];
		a -= b[i] * c->mean[i];
	}
	if (!isfinite(a))
		return XLB_MODEL_ERANK;
	for (size_t i = 0; i < k; i++)
		coef[i] = b[i];
	*intercept = a;
	return 0;
}
