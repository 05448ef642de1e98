// SPDX-License-Identifier: GPL-2.0
/*
 * Times the models library on the data sets bench_models.py wrote (the
 * same files sklearn is timed on) and prints one "name value unit" line per
 * figure: Isolation Forest fit and scoring, forecaster refit, online update.
 *
 * usage: models-bench TRAIN.csv SCORE.csv SERIES.csv
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv_table.h"
#include "forecast.h"
#include "iforest.h"
#include "model_error.h"
#include "ols.h"
#include "ses.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), compare);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double *load(const char *path, size_t *rows, size_t *cols)
{
	struct xlb_csv_table t;
	size_t *all;
	double *v;
	char msg[256];

	if (xlb_csv_read(path, &t, msg, sizeof(msg))) {
		fprintf(stderr, "models-bench: %s: %s\n", path, msg);
		exit(1);
	}
	all = calloc(t.n_cols, sizeof(*all));
	v = malloc(t.n_rows * t.n_cols * sizeof(*v));
	for (size_t c = 0; all && c < t.n_cols; c++)
		all[c] = c;
	if (!all || !v ||
	    xlb_csv_numbers(&t, all, t.n_cols, v, msg, sizeof(msg))) {
		fprintf(stderr, "models-bench: %s: %s\n", path, msg);
		exit(1);
	}
	*rows = t.n_rows;
	*cols = t.n_cols;
	free(all);
	xlb_csv_free(&t);
	return v;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "models-bench: %s: %s\n", what,
		xlb_model_strerror(err));
	exit(1);
}

static void bench_iforest(const char *train_path, const char *score_path)
{
	struct xlb_iforest_config cfg = { .n_trees = 100, .max_samples = 256 };
	size_t n_train, n_score, d, d2;
	double *train = load(train_path, &n_train, &d);
	double *score = load(score_path, &n_score, &d2);
	double *scores = malloc(n_score * sizeof(*scores));
	double fit[200], run[100];
	struct xlb_iforest *f;
	int err;

	if (d != d2 || !scores) {
		fprintf(stderr, "models-bench: column counts differ\n");
		exit(1);
	}
	err = xlb_iforest_create(&cfg, d, &f);
	if (err)
		die("iforest create", err);
	for (int i = 0; i < 200; i++) {
		double t0 = now_ns();

		err = xlb_iforest_fit(f, train, n_train);
		fit[i] = now_ns() - t0;
		if (err)
			die("iforest fit", err);
	}
	for (int i = 0; i < 100; i++) {
		double t0 = now_ns();

		err = xlb_iforest_score(f, score, n_score, scores);
		run[i] = now_ns() - t0;
		if (err)
			die("iforest score", err);
	}
	printf("iforest_rows %zu\n", n_train);
	printf("iforest_features %zu\n", d);
	printf("iforest_fit_ms %.4f\n", median(fit, 200) / 1e6);
	printf("iforest_fit_min_ms %.4f\n", fit[0] / 1e6);
	printf("iforest_score_rows %zu\n", n_score);
	printf("iforest_score_ms %.4f\n", median(run, 100) / 1e6);
	printf("iforest_score_min_ms %.4f\n", run[0] / 1e6);
	printf("iforest_score_ns_per_row_tree %.3f\n",
	       median(run, 100) / n_score / 100);
	xlb_iforest_destroy(f);
	free(train);
	free(score);
	free(scores);
}

static struct xlb_forecaster *forecaster(unsigned int window,
					 unsigned int refit_every,
					 double ses_alpha, const double *y,
					 size_t n)
{
	struct xlb_forecast_config cfg;
	struct xlb_forecaster *f;
	int err;

	xlb_forecast_config_default(&cfg);
	cfg.window = window;
	cfg.refit_every = refit_every;
	cfg.ses_alpha = ses_alpha;
	err = xlb_forecaster_create(&cfg, &f);
	if (err)
		die("forecaster create", err);
	for (size_t i = 0; i < n; i++) {
		err = xlb_forecaster_update(f, y[i], NULL);
		if (err)
			die("forecaster update", err);
	}
	return f;
}

/* Median of 100 exact refits; ses_alpha 0 fits alpha, else fixes it. */
static double refit_ms(size_t window, double ses_alpha, const double *y,
		       size_t n)
{
	struct xlb_forecaster *f = forecaster(window, 0, ses_alpha, y, n);
	double t[100];

	for (int i = 0; i < 100; i++) {
		double t0 = now_ns();
		int err = xlb_forecaster_refit(f);

		t[i] = now_ns() - t0;
		if (err)
			die("forecaster refit", err);
	}
	xlb_forecaster_destroy(f);
	return median(t, 100) / 1e6;
}

/* Mean cost of `count` updates after the window is full. */
static double update_ns(unsigned int window, unsigned int refit_every,
			const double *y, size_t n, size_t count)
{
	struct xlb_forecaster *f = forecaster(window, refit_every, 0, y, n);
	double t0, t;

	t0 = now_ns();
	for (size_t i = 0; i < count; i++)
		xlb_forecaster_update(f, y[i % n], NULL);
	t = (now_ns() - t0) / count;
	xlb_forecaster_destroy(f);
	return t;
}

static void bench_forecaster(const char *series_path)
{
	size_t n, cols, window;
	double *y = load(series_path, &n, &cols);
	double ses[100], ols[100], alpha, level;
	struct xlb_ols_fit fit;
	double *x, *yy, *work;

	if (cols != 1) {
		fprintf(stderr, "models-bench: series must have one column\n");
		exit(1);
	}
	window = n - 2; /* AR(2): every point but the first two is a row */
	printf("forecast_window %zu\n", window);
	printf("forecast_refit_ms %.4f\n", refit_ms(window, 0, y, n));
	printf("forecast_refit_fixed_alpha_ms %.4f\n",
	       refit_ms(window, 0.5, y, n));

	/* The SES search alone, and the public row-major OLS entry point. */
	x = malloc(window * 2 * sizeof(*x));
	yy = malloc(window * sizeof(*yy));
	work = malloc(xlb_ols_work_len(window, 2) * sizeof(*work));
	if (!x || !yy || !work) {
		fprintf(stderr, "models-bench: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < window; i++) {
		x[2 * i] = y[i + 1];
		x[2 * i + 1] = y[i];
		yy[i] = y[i + 2];
	}
	for (int i = 0; i < 100; i++) {
		double t0 = now_ns();

		xlb_ses_fit(y, window, &alpha, &level);
		ses[i] = now_ns() - t0;
		t0 = now_ns();
		xlb_ols_fit(x, yy, window, 2, 0, work, &fit);
		ols[i] = now_ns() - t0;
	}
	printf("forecast_ses_fit_ms %.4f\n", median(ses, 100) / 1e6);
	printf("ols_fit_ms %.4f\n", median(ols, 100) / 1e6);
	printf("forecast_ar_coef %.6f %.6f %.2f\n", fit.coef[0], fit.coef[1],
	       fit.intercept);
	printf("forecast_ses_alpha %.4f\n", alpha);
	printf("forecast_update_ns %.1f\n",
	       update_ns(window, 0, y, n, 2000000));
	printf("forecast_update_window_1000_ns %.1f\n",
	       update_ns(1000, 0, y, n, 2000000));
	printf("forecast_update_amortised_refit_600_ns %.1f\n",
	       update_ns(window, 600, y, n, 200000));
	free(x);
	free(yy);
	free(work);
	free(y);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: models-bench TRAIN.csv SCORE.csv "
				"SERIES.csv\n");
		return 2;
	}
	bench_iforest(argv[1], argv[2]);
	bench_forecaster(argv[3]);
	return 0;
}
