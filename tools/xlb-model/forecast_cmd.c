// SPDX-License-Identifier: GPL-2.0
/* xlb-model forecast: one-step-ahead forecasts of a CSV column, replayed. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "forecast.h"
#include "model_error.h"

static const char usage[] =
	"usage: xlb-model forecast --csv SERIES.csv --column NAME\n"
	"                          [--lags P] [--window W]\n"
	"                          [--model ar|ses|last|auto]\n"
	"                          [--exog a,b,... [--exog-lags Q]]\n"
	"Prints one line per row: the forecast for that row made from the "
	"rows\n"
	"before it (empty while there is not enough history), and the error\n"
	"summary (MAE, RMSE, sMAPE) on stderr. Defaults: --lags 2,\n"
	"--window 3600, --model auto, --exog-lags 2.\n";

struct options {
	const char *csv, *column, *exog;
	struct xlb_forecast_config cfg;
	enum xlb_forecast_model model;
};

static bool parse_model(const char *text, enum xlb_forecast_model *model)
{
	if (!strcmp(text, "auto")) {
		*model = XLB_FORECAST_SELECTED;
		return true;
	}
	for (int m = 0; m < XLB_FORECAST_N_MODELS; m++) {
		if (!strcmp(text, xlb_forecast_model_name(m))) {
			*model = m;
			return true;
		}
	}
	cli_error("--model: \"%s\" is not one of ar, ses, last, auto", text);
	return false;
}

static bool parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "csv", required_argument, NULL, 'f' },
		{ "column", required_argument, NULL, 'c' },
		{ "lags", required_argument, NULL, 'p' },
		{ "window", required_argument, NULL, 'w' },
		{ "model", required_argument, NULL, 'm' },
		{ "exog", required_argument, NULL, 'x' },
		{ "exog-lags", required_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned long long v;
	int opt;

	memset(o, 0, sizeof(*o));
	xlb_forecast_config_default(&o->cfg);
	o->model = XLB_FORECAST_SELECTED;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			o->csv = optarg;
			break;
		case 'c':
			o->column = optarg;
			break;
		case 'p':
			if (!cli_uint("--lags", optarg, 0, XLB_OLS_MAX_COLS,
				      &v))
				return false;
			o->cfg.lags = v;
			break;
		case 'w':
			if (!cli_uint("--window", optarg, 1,
				      XLB_FORECAST_MAX_WINDOW, &v))
				return false;
			o->cfg.window = v;
			break;
		case 'm':
			if (!parse_model(optarg, &o->model))
				return false;
			break;
		case 'x':
			o->exog = optarg;
			break;
		case 'q':
			if (!cli_uint("--exog-lags", optarg, 1,
				      XLB_OLS_MAX_COLS, &v))
				return false;
			o->cfg.exog_lags = v;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fputs(usage, stderr);
			return false;
		}
	}
	if (optind < argc) {
		cli_error("forecast: unexpected argument \"%s\"", argv[optind]);
		return false;
	}
	if (!o->csv || !o->column) {
		cli_error("forecast: --csv and --column are required");
		fputs(usage, stderr);
		return false;
	}
	return true;
}

struct errors {
	size_t n;
	double abs, sq, smape;
};

static void add_error(struct errors *e, double actual, double forecast)
{
	double diff = actual - forecast;
	double den = fabs(actual) + fabs(forecast);

	e->n++;
	e->abs += fabs(diff);
	e->sq += diff * diff;
	e->smape += den > 0 ? 2 * fabs(diff) / den : 0;
}

static void report(const struct options *o, const struct errors *e, size_t rows,
		   const struct xlb_forecaster *f)
{
	struct xlb_forecast_status st;

	xlb_forecaster_status(f, &st);
	fprintf(stderr,
		"xlb-model forecast: model %s: %zu forecasts for %zu rows",
		o->model == XLB_FORECAST_SELECTED
			? "auto"
			: xlb_forecast_model_name(o->model),
		e->n, rows);
	if (e->n)
		fprintf(stderr, ": MAE %.6g RMSE %.6g sMAPE %.4g%%",
			e->abs / e->n, sqrt(e->sq / e->n),
			100 * e->smape / e->n);
	fputc('\n', stderr);
	fprintf(stderr,
		"xlb-model forecast: at the end: selected %s; recent MAE",
		xlb_forecast_model_name(st.selected));
	for (int m = 0; m < XLB_FORECAST_N_MODELS; m++)
		fprintf(stderr, " %s %.6g", xlb_forecast_model_name(m),
			st.model[m].mae);
	fprintf(stderr, "; ses alpha %.4f", st.ses_alpha);
	if (st.model[XLB_FORECAST_AR].ready) {
		fprintf(stderr, "; ar intercept %.6g coef", st.intercept);
		for (size_t i = 0; i < st.n_coef; i++)
			fprintf(stderr, " %.6g", st.coef[i]);
	} else {
		fprintf(stderr, "; ar not ready: %s",
			xlb_model_strerror(st.ar_error));
	}
	fputc('\n', stderr);
}

int cmd_forecast(int argc, char **argv)
{
	struct xlb_forecaster *f = NULL;
	struct errors errors = { 0 };
	struct xlb_csv_table t;
	size_t *cols = NULL, n_exog = 0, n;
	double *values = NULL;
	struct options o;
	int err, rc = 1;
	long target;

	if (!parse_options(argc, argv, &o))
		return EXIT_USAGE;
	if (!cli_read_csv(o.csv, &t))
		return 1;

	/* Column 0 of values: the series; then the exogenous inputs. */
	target = xlb_csv_find_column(&t, o.column);
	if (target < 0) {
		cli_error("%s: unknown column \"%s\"", o.csv, o.column);
		goto out;
	}
	if (o.exog) {
		size_t *exog;

		if (!cli_columns(o.csv, &t, o.exog, &exog, &n_exog))
			goto out;
		cols = calloc(n_exog + 1, sizeof(*cols));
		if (cols)
			memcpy(cols + 1, exog, n_exog * sizeof(*cols));
		free(exog);
	} else {
		cols = calloc(1, sizeof(*cols));
	}
	if (!cols) {
		cli_error("out of memory");
		goto out;
	}
	cols[0] = target;
	n = n_exog + 1;
	if (!cli_numbers(o.csv, &t, cols, n, &values))
		goto out;

	o.cfg.n_exog = n_exog;
	err = xlb_forecaster_create(&o.cfg, &f);
	if (err) {
		cli_error("forecast: %s (lags %u, %zu exogenous inputs, window "
			  "%u)",
			  xlb_model_strerror(err), o.cfg.lags, n_exog,
			  o.cfg.window);
		goto out;
	}
	for (size_t r = 0; r < t.n_rows; r++) {
		const double *row = values + r * n;
		double forecast;

		if (!xlb_forecaster_forecast(f, o.model, 1, NULL, &forecast)) {
			printf("%.10g\n", forecast);
			add_error(&errors, row[0], forecast);
		} else {
			putchar('\n');
		}
		err = xlb_forecaster_update(f, row[0], n_exog ? row + 1 : NULL);
		if (err) {
			cli_error("%s: line %zu: %s", o.csv,
				  xlb_csv_line(&t, r), xlb_model_strerror(err));
			goto out;
		}
	}
	if (fflush(stdout)) {
		cli_error("writing the forecasts failed");
		goto out;
	}
	report(&o, &errors, t.n_rows, f);
	rc = 0;
out:
	xlb_forecaster_destroy(f);
	free(values);
	free(cols);
	xlb_csv_free(&t);
	return rc;
}
