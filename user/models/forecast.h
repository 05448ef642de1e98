/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Load forecaster: three models side by side on one series, and an online
 * selector: the model with the lowest recent squared error (over
 * error_window), unless one model has done better than that recent pick
 * on every step scored so far, in which case that model. Over a trace the
 * selection is thus never far from the best candidate in hindsight, and
 * better than all of them where switching pays.
 *
 *  - ar:   least squares on a sliding window of `window` rows,
 *          y(t) = a + sum_i b_i y(t-i) + sum_j sum_l c_jl x_j(t-l),
 *          i = 1..lags, l = 1..exog_lags. With lags = 2 and no exogenous
 *          input this is the classic Load(t) = a + b Requests(t-1) +
 *          c Requests(t-2) when the series forecast is the request rate;
 *          when load and requests are separate series, forecast load with
 *          lags = 0, n_exog = 1, exog_lags = 2.
 *  - ses:  simple exponential smoothing, alpha fitted on the window.
 *  - last: the last value.
 *
 * xlb_forecaster_update() costs O(k^2) for k regressors whatever the window
 * length: the window's mean and co-moment matrix slide one row in and one
 * out, and the coefficients are re-solved from them. An exact refit
 * (Householder QR on the window, SES alpha search, statistics recomputed to
 * shed rounding drift) runs when the number of observations is a power of
 * two and then every refit_every updates, or when the caller asks.
 *
 * One forecaster per series; no globals; use each from one thread at a time.
 */
#ifndef XLB_FORECAST_H
#define XLB_FORECAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ols.h"

enum xlb_forecast_model {
	XLB_FORECAST_SELECTED = -1, /* whichever the selector picked */
	XLB_FORECAST_LAST = 0,
	XLB_FORECAST_SES,
	XLB_FORECAST_AR,
	XLB_FORECAST_N_MODELS,
};

/* Bounds: the window in rows and the whole forecaster in bytes. */
#define XLB_FORECAST_MAX_WINDOW (1u << 22)
#define XLB_FORECAST_MAX_ERROR_WINDOW 65536u
#define XLB_FORECAST_MAX_BYTES (256u << 20)

struct xlb_forecast_config {
	unsigned int lags;   /* lags of the series itself (default 2) */
	unsigned int n_exog; /* exogenous inputs per observation (default 0) */
	unsigned int exog_lags; /* lags of each exogenous input (default 2) */
	unsigned int window; /* regression rows in the window (default 3600) */
	unsigned int refit_every; /* updates between exact refits; 0: only
				     when xlb_forecaster_refit() is called
				     (default 600) */
	unsigned int
		error_window; /* errors the selector averages (default 120) */
	double ridge;	  /* ridge penalty on the AR coefficients (default 0) */
	double ses_alpha; /* 0: fitted; otherwise fixed, in (0, 1] */
};

struct xlb_forecast_model_status {
	bool ready;  /* the model can forecast now */
	double next; /* its one-step forecast, when ready */
	double mae;  /* mean absolute one-step error over n_errors */
	double rmse; /* root mean squared one-step error over n_errors */
	unsigned int n_errors; /* recent errors held, <= error_window */
};

struct xlb_forecast_status {
	enum xlb_forecast_model selected;
	uint64_t n_updates;
	uint64_t n_refits;
	size_t n_rows; /* regression rows in the window */
	struct xlb_forecast_model_status model[XLB_FORECAST_N_MODELS];
	int ar_error;  /* 0, or why ar is not ready (ETOOSHORT, ERANK) */
	size_t n_coef; /* lags + n_exog * exog_lags */
	double intercept;
	double coef[XLB_OLS_MAX_COLS]; /* series lags 1..lags, then for each
					  exogenous input its lags */
	double ses_alpha;
	double ses_level;
};

struct xlb_forecaster;

void xlb_forecast_config_default(struct xlb_forecast_config *cfg);
const char *xlb_forecast_model_name(enum xlb_forecast_model model);

/* Allocates everything the forecaster will ever use; later calls do not. */
int xlb_forecaster_create(const struct xlb_forecast_config *cfg,
			  struct xlb_forecaster **out);
void xlb_forecaster_destroy(struct xlb_forecaster *f);

/*
 * Adds observation y (and the exogenous inputs measured at the same time,
 * n_exog values, or NULL when n_exog is 0): scores each model's previous
 * forecast against y, slides the window, refreshes the forecasts and the
 * selection. A NaN or infinite value returns XLB_MODEL_ENONFINITE and
 * changes nothing.
 */
int xlb_forecaster_update(struct xlb_forecaster *f, double y,
			  const double *exog);

/* Exact refit on the current window (see above). */
int xlb_forecaster_refit(struct xlb_forecaster *f);

/*
 * Forecasts for the next h steps from `model` (or the selected one) into
 * out[0..h). future_exog, when not NULL, holds the exogenous inputs for
 * the next h - 1 steps (row-major, n_exog per step); when NULL they are
 * held at their last value. XLB_MODEL_ENOTREADY when the model cannot
 * forecast yet.
 */
int xlb_forecaster_forecast(const struct xlb_forecaster *f,
			    enum xlb_forecast_model model, unsigned int h,
			    const double *future_exog, double *out);

void xlb_forecaster_status(const struct xlb_forecaster *f,
			   struct xlb_forecast_status *status);

#endif
