// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper for the numpy parity check: fits y (last column) on the other
 * columns of a headerless CSV and prints the intercept then the
 * coefficients, one per line, to full precision.
 */
#include <stdio.h>
#include <stdlib.h>

#include "csv_table.h"
#include "model_error.h"
#include "ols.h"

int main(int argc, char **argv)
{
	struct xlb_csv_table t;
	struct xlb_ols_fit fit;
	double *v, *x, *y;
	size_t *cols, k;
	char msg[256];
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: ols-fit FILE.csv\n");
		return 2;
	}
	if (xlb_csv_read(argv[1], &t, msg, sizeof(msg))) {
		fprintf(stderr, "ols-fit: %s: %s\n", argv[1], msg);
		return 1;
	}
	k = t.n_cols - 1;
	cols = calloc(t.n_cols, sizeof(*cols));
	v = calloc(t.n_rows * t.n_cols, sizeof(*v));
	x = calloc(t.n_rows * k + 1, sizeof(*x));
	y = calloc(t.n_rows, sizeof(*y));
	if (!cols || !v || !x || !y)
		return 1;
	for (size_t c = 0; c < t.n_cols; c++)
		cols[c] = c;
	if (xlb_csv_numbers(&t, cols, t.n_cols, v, msg, sizeof(msg))) {
		fprintf(stderr, "ols-fit: %s: %s\n", argv[1], msg);
		return 1;
	}
	for (size_t r = 0; r < t.n_rows; r++) {
		for (size_t c = 0; c < k; c++)
			x[r * k + c] = v[r * t.n_cols + c];
		y[r] = v[r * t.n_cols + k];
	}
	err = xlb_ols_fit(x, y, t.n_rows, k, 0, NULL, &fit);
	if (err) {
		fprintf(stderr, "ols-fit: %s\n", xlb_model_strerror(err));
		return 1;
	}
	printf("%.17g\n", fit.intercept);
	for (size_t c = 0; c < k; c++)
		printf("%.17g\n", fit.coef[c]);
	return 0;
}
