// SPDX-License-Identifier: GPL-2.0
#include "forecast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comoment.h"
#include "model_error.h"
#include "ses.h"
#include "vec.h"

/* Rows the ar fit wants before it forecasts: two per coefficient. */
#define AR_MIN_ROWS(k) (2 * ((size_t)(k) + 1))
/* Errors a model needs before the selector compares it with the others. */
#define SELECTOR_MIN_ERRORS 3u

struct error_ring {
	double *abs; /* |e| for the last n errors, circular */
	double *sq;  /* e^2, same slots */
	unsigned int head, n;
	double sum_abs, sum_sq;
};

struct xlb_forecaster {
	struct xlb_forecast_config cfg;
	size_t k; /* regressors of the ar model */
	size_t max_lag;
	size_t width; /* doubles per observation: y, then the exogenous inputs */

	/*
	 * Observations, each stored twice (slot t % cap and t % cap + cap) so
	 * that any cap consecutive observations are contiguous: the refit walks
	 * the window with a pointer instead of a division per value.
	 */
	double *obs;
	size_t cap; /* window + max_lag + 1: the oldest row still needs its lags */
	uint64_t n_obs;

	struct xlb_comoment stats; /* over the window's regression rows */

	bool ar_ok;
	int ar_error;
	double intercept;
	double coef[XLB_OLS_MAX_COLS];

	double alpha, level;

	double next[XLB_FORECAST_N_MODELS]; /* pending one-step forecasts */
	bool ready[XLB_FORECAST_N_MODELS];
	struct error_ring errors[XLB_FORECAST_N_MODELS];
	enum xlb_forecast_model selected;
	/*
	 * The selection is itself a strategy, scored like the models: its
	 * recent-error pick (window_pick) competes with every single model
	 * on squared error since the start, and the lowest mean wins. So
	 * over a trace the result tracks the best of the candidates and of
	 * switching, whichever that trace favours.
	 */
	enum xlb_forecast_model window_pick;
	bool window_ready;
	double window_next;
	double cum_sq[XLB_FORECAST_N_MODELS + 1]; /* the last: window_pick */
	uint64_t cum_n[XLB_FORECAST_N_MODELS + 1];

	uint64_t n_refits;
	unsigned int since_refit;
	double *work; /* refit design matrix, response and SES series */
	size_t lda;
};

void xlb_forecast_config_default(struct xlb_forecast_config *cfg)
{
	*cfg = (struct xlb_forecast_config){
		.lags = 2,
		.n_exog = 0,
		.exog_lags = 2,
		.window = 3600,
		.refit_every = 600,
		.error_window = 120,
		.ridge = 0,
		.ses_alpha = 0,
	};
}

const char *xlb_forecast_model_name(enum xlb_forecast_model model)
{
	switch (model) {
	case XLB_FORECAST_LAST:
		return "last";
	case XLB_FORECAST_SES:
		return "ses";
	case XLB_FORECAST_AR:
		return "ar";
	case XLB_FORECAST_SELECTED:
		return "selected";
	default:
		return "unknown";
	}
}

static int check_config(const struct xlb_forecast_config *cfg, size_t *k)
{
	if (cfg->lags > XLB_OLS_MAX_COLS || cfg->n_exog > XLB_OLS_MAX_COLS ||
	    cfg->exog_lags > XLB_OLS_MAX_COLS)
		return XLB_MODEL_ELIMIT;
	*k = cfg->lags + (size_t)cfg->n_exog * cfg->exog_lags;
	if (*k == 0 || (cfg->n_exog && !cfg->exog_lags))
		return XLB_MODEL_EINVAL;
	if (*k > XLB_OLS_MAX_COLS)
		return XLB_MODEL_ELIMIT;
	if (cfg->window == 0 || cfg->error_window == 0)
		return XLB_MODEL_EINVAL;
	if (cfg->window > XLB_FORECAST_MAX_WINDOW ||
	    cfg->error_window > XLB_FORECAST_MAX_ERROR_WINDOW)
		return XLB_MODEL_ELIMIT;
	if (!(cfg->ridge >= 0) || !isfinite(cfg->ridge))
		return XLB_MODEL_EINVAL;
	if (cfg->ses_alpha != 0 && !(cfg->ses_alpha > 0 && cfg->ses_alpha <= 1))
		return XLB_MODEL_EINVAL;
	return 0;
}

int xlb_forecaster_create(const struct xlb_forecast_config *cfg,
			  struct xlb_forecaster **out)
{
	struct xlb_forecaster *f;
	size_t k, max_lag, width, cap, dim, lda, n_doubles;
	int err;

	if (!cfg || !out)
		return XLB_MODEL_EINVAL;
	err = check_config(cfg, &k);
	if (err)
		return err;
	max_lag = cfg->lags > cfg->exog_lags || !cfg->n_exog ? cfg->lags
							     : cfg->exog_lags;
	width = 1 + cfg->n_exog;
	cap = cfg->window + max_lag + 1;
	dim = k + 1;
	lda = cfg->window + k;
	n_doubles = 2 * cap * width + dim + dim * dim +
		    2 * (size_t)XLB_FORECAST_N_MODELS * cfg->error_window +
		    xlb_ols_work_len(cfg->window, k);
	if (n_doubles * sizeof(double) + sizeof(*f) > XLB_FORECAST_MAX_BYTES)
		return XLB_MODEL_ELIMIT;

	f = calloc(1, sizeof(*f));
	if (!f)
		return XLB_MODEL_ENOMEM;
	f->obs = calloc(n_doubles, sizeof(double));
	if (!f->obs) {
		free(f);
		return XLB_MODEL_ENOMEM;
	}
	f->cfg = *cfg;
	f->k = k;
	f->max_lag = max_lag;
	f->width = width;
	f->cap = cap;
	f->stats.dim = dim;
	f->stats.mean = f->obs + 2 * cap * width;
	f->stats.m = f->stats.mean + dim;
	for (int m = 0; m < XLB_FORECAST_N_MODELS; m++) {
		f->errors[m].abs = f->stats.m + dim * dim +
				   2 * (size_t)m * cfg->error_window;
		f->errors[m].sq = f->errors[m].abs + cfg->error_window;
	}
	f->work = f->stats.m + dim * dim +
		  2 * (size_t)XLB_FORECAST_N_MODELS * cfg->error_window;
	f->lda = lda;
	f->alpha = cfg->ses_alpha ? cfg->ses_alpha : 0.5;
	f->ar_error = XLB_MODEL_ETOOSHORT;
	f->selected = XLB_FORECAST_LAST;
	*out = f;
	return 0;
}

void xlb_forecaster_destroy(struct xlb_forecaster *f)
{
	if (!f)
		return;
	free(f->obs);
	free(f);
}

/* Pointer to observation t in the second copy: lags sit just before it. */
static double *slot(const struct xlb_forecaster *f, uint64_t t)
{
	return f->obs + (t % f->cap + f->cap) * f->width;
}

/* Pointer to observation t in the first copy: up to cap follow it. */
static const double *run_from(const struct xlb_forecaster *f, uint64_t t)
{
	return f->obs + (t % f->cap) * f->width;
}

/* The regressors of the row whose observation is at p. */
static void regressors(const struct xlb_forecaster *f, const double *p,
		       double *z)
{
	size_t w = f->width, n = 0;

	for (size_t i = 1; i <= f->cfg.lags; i++)
		z[n++] = p[-(ptrdiff_t)(i * w)];
	for (size_t j = 1; j <= f->cfg.n_exog; j++)
		for (size_t l = 1; l <= f->cfg.exog_lags; l++)
			z[n++] = p[j - (ptrdiff_t)(l * w)];
}

static void build_row(const struct xlb_forecaster *f, const double *p,
		      double *z)
{
	regressors(f, p, z);
	z[f->k] = p[0];
}

static void error_push(struct error_ring *r, unsigned int size, double e)
{
	double a = fabs(e), s = e * e;

	if (r->n == size) {
		r->sum_abs -= r->abs[r->head];
		r->sum_sq -= r->sq[r->head];
	} else {
		r->n++;
	}
	r->abs[r->head] = a;
	r->sq[r->head] = s;
	r->sum_abs += a;
	r->sum_sq += s;
	if (++r->head == size) {
		/* Re-add from scratch once per lap so the sums cannot drift. */
		r->head = 0;
		r->sum_abs = r->sum_sq = 0;
		for (unsigned int i = 0; i < r->n; i++) {
			r->sum_abs += r->abs[i];
			r->sum_sq += r->sq[i];
		}
	}
}

static double error_mae(const struct error_ring *r)
{
	return r->n ? r->sum_abs / r->n : 0;
}

static double error_rmse(const struct error_ring *r)
{
	return r->n && r->sum_sq > 0 ? sqrt(r->sum_sq / r->n) : 0;
}

static void solve_from_stats(struct xlb_forecaster *f)
{
	double coef[XLB_OLS_MAX_COLS], intercept;
	int err = XLB_MODEL_ETOOSHORT;

	if (f->stats.n >= AR_MIN_ROWS(f->k))
		err = xlb_comoment_solve(&f->stats, f->cfg.ridge, coef,
					 &intercept);
	f->ar_ok = !err;
	f->ar_error = err;
	if (!err) {
		memcpy(f->coef, coef, f->k * sizeof(*coef));
		f->intercept = intercept;
	}
}

/* The one-step forecasts for observation n_obs, and the selection. */
static void predict_next(struct xlb_forecaster *f)
{
	const double *last = f->n_obs ? slot(f, f->n_obs - 1) : NULL;
	unsigned int min_errors = f->cfg.error_window < SELECTOR_MIN_ERRORS
					  ? f->cfg.error_window
					  : SELECTOR_MIN_ERRORS;
	int best = -1;

	f->ready[XLB_FORECAST_LAST] = f->ready[XLB_FORECAST_SES] = last != NULL;
	f->ready[XLB_FORECAST_AR] = f->ar_ok;
	if (last) {
		f->next[XLB_FORECAST_LAST] = last[0];
		f->next[XLB_FORECAST_SES] = f->level;
	}
	if (f->ar_ok) {
		double z[XLB_OLS_MAX_COLS], y = f->intercept;

		regressors(f, last + f->width, z);
		for (size_t i = 0; i < f->k; i++)
			y += f->coef[i] * z[i];
		f->next[XLB_FORECAST_AR] = y;
	}

	/*
	 * Lowest recent squared error (the metric forecasts are judged by,
	 * RMSE) wins; ties go to the simpler model.
	 */
	for (int m = 0; m < XLB_FORECAST_N_MODELS; m++) {
		if (!f->ready[m] || f->errors[m].n < min_errors)
			continue;
		if (best < 0 || f->errors[m].sum_sq < f->errors[best].sum_sq)
			best = m;
	}
	f->window_pick = best < 0 ? XLB_FORECAST_LAST : best;
	f->window_ready = f->ready[f->window_pick];
	f->window_next = f->next[f->window_pick];

	/* then the recent pick against each model over the whole history */
	double best_mse = INFINITY;

	f->selected = f->window_pick;
	if (f->cum_n[XLB_FORECAST_N_MODELS] >= min_errors)
		best_mse = f->cum_sq[XLB_FORECAST_N_MODELS] /
			   f->cum_n[XLB_FORECAST_N_MODELS];
	for (int m = 0; m < XLB_FORECAST_N_MODELS; m++) {
		if (!f->ready[m] || f->cum_n[m] < min_errors ||
		    f->cum_n[XLB_FORECAST_N_MODELS] < min_errors)
			continue;
		if (f->cum_sq[m] / f->cum_n[m] < best_mse) {
			best_mse = f->cum_sq[m] / f->cum_n[m];
			f->selected = m;
		}
	}
}

static void refit_ses(struct xlb_forecaster *f)
{
	uint64_t n = f->n_obs < f->cfg.window ? f->n_obs : f->cfg.window;
	const double *p = run_from(f, f->n_obs - n);
	double alpha, level;

	if (f->cfg.ses_alpha || n < 3)
		return;
	for (uint64_t i = 0; i < n; i++)
		f->work[i] = p[i * f->width];
	if (!xlb_ses_fit(f->work, n, &alpha, &level)) {
		f->alpha = alpha;
		f->level = level;
	}
}

/* Where column j of a regression row lies, relative to the row's slot. */
static void column_offsets(const struct xlb_forecaster *f, ptrdiff_t *off)
{
	ptrdiff_t w = f->width;
	size_t n = 0;

	for (size_t i = 1; i <= f->cfg.lags; i++)
		off[n++] = -(ptrdiff_t)i * w;
	for (size_t j = 1; j <= f->cfg.n_exog; j++)
		for (size_t l = 1; l <= f->cfg.exog_lags; l++)
			off[n++] = (ptrdiff_t)j - (ptrdiff_t)l * w;
	off[n] = 0; /* the response */
}

/* Rows per block: a block of every design column stays in L1. */
#define REFIT_BLOCK 256

/*
 * Recomputes the window statistics exactly (means in a first pass, then
 * co-moments of the centred columns: no drift, no cancellation) while
 * laying out the centred design, then solves it by Householder QR.
 */
static int refit_ar(struct xlb_forecaster *f)
{
	struct xlb_comoment *st = &f->stats;
	size_t n = st->n, k = f->k, dim = st->dim, lda = f->lda;
	ptrdiff_t off[XLB_OLS_MAX_COLS + 1];
	double coef[XLB_OLS_MAX_COLS], intercept;
	double *a = f->work, *b = f->work + lda * k;
	const double *first;
	int err;

	if (n == 0)
		return XLB_MODEL_ETOOSHORT;
	column_offsets(f, off);
	/* Rows n_obs - n .. n_obs - 1; their lags are contiguous before. */
	first = run_from(f, f->n_obs - n - f->max_lag) + f->max_lag * f->width;

	for (size_t j = 0; j < dim; j++)
		st->mean[j] = xlb_sum_strided(first + off[j], n, f->width) /
			      (double)n;
	for (size_t j = 0; j < dim * dim; j++)
		st->m[j] = 0;
	for (size_t r0 = 0; r0 < n; r0 += REFIT_BLOCK) {
		size_t len = n - r0 < REFIT_BLOCK ? n - r0 : REFIT_BLOCK;

		for (size_t j = 0; j < dim; j++) {
			double *dst = (j < k ? a + j * lda : b) + r0;
			const double *src = first + off[j] + r0 * f->width;
			double mean = st->mean[j];

			for (size_t r = 0; r < len; r++)
				dst[r] = src[r * f->width] - mean;
		}
		for (size_t i = 0; i < dim; i++)
			for (size_t j = i; j < dim; j++)
				st->m[i * dim + j] += xlb_dot(
					(i < k ? a + i * lda : b) + r0,
					(j < k ? a + j * lda : b) + r0, len);
	}

	if (n < AR_MIN_ROWS(k))
		return XLB_MODEL_ETOOSHORT;
	err = xlb_ols_solve_centred(a, lda, b, n, k, f->cfg.ridge, coef);
	if (err)
		return err;
	intercept = st->mean[k];
	for (size_t j = 0; j < k; j++)
		intercept -= coef[j] * st->mean[j];
	if (!isfinite(intercept))
		return XLB_MODEL_ERANK;
	memcpy(f->coef, coef, k * sizeof(*coef));
	f->intercept = intercept;
	return 0;
}

static int refit(struct xlb_forecaster *f)
{
	int err;

	refit_ses(f);
	err = refit_ar(f);
	f->ar_ok = !err;
	f->ar_error = err;
	f->n_refits++;
	f->since_refit = 0;
	return err;
}

int xlb_forecaster_refit(struct xlb_forecaster *f)
{
	int err;

	if (!f)
		return XLB_MODEL_EINVAL;
	if (!f->n_obs)
		return XLB_MODEL_ENOTREADY;
	err = refit(f);
	predict_next(f);
	return err;
}

int xlb_forecaster_update(struct xlb_forecaster *f, double y,
			  const double *exog)
{
	double z[XLB_OLS_MAX_COLS + 1];
	uint64_t t;
	double *p;

	if (!f || (f->cfg.n_exog && !exog))
		return XLB_MODEL_EINVAL;
	if (!isfinite(y))
		return XLB_MODEL_ENONFINITE;
	for (size_t j = 0; j < f->cfg.n_exog; j++)
		if (!isfinite(exog[j]))
			return XLB_MODEL_ENONFINITE;

	bool all_ready = f->window_ready;

	for (int m = 0; m < XLB_FORECAST_N_MODELS; m++) {
		all_ready &= f->ready[m];
		if (f->ready[m])
			error_push(&f->errors[m], f->cfg.error_window,
				   y - f->next[m]);
	}
	/* scored on common steps only, so that the means compare */
	for (int m = 0; all_ready && m <= XLB_FORECAST_N_MODELS; m++) {
		double e = y - (m < XLB_FORECAST_N_MODELS ? f->next[m]
							  : f->window_next);

		f->cum_sq[m] += e * e;
		f->cum_n[m]++;
	}

	t = f->n_obs++;
	p = slot(f, t);
	p[0] = y;
	for (size_t j = 0; j < f->cfg.n_exog; j++)
		p[1 + j] = exog[j];
	memcpy(p - f->cap * f->width, p, f->width * sizeof(*p));

	if (t >= f->max_lag) {
		build_row(f, p, z);
		xlb_comoment_add(&f->stats, z);
		if (f->stats.n > f->cfg.window) {
			build_row(f, slot(f, t - f->cfg.window), z);
			xlb_comoment_remove(&f->stats, z);
		}
	}

	f->level = t == 0 ? y : f->level + f->alpha * (y - f->level);

	f->since_refit++;
	if (f->cfg.refit_every && (!(f->n_obs & (f->n_obs - 1)) ||
				   f->since_refit >= f->cfg.refit_every))
		refit(f);
	else
		solve_from_stats(f);
	predict_next(f);
	return 0;
}

int xlb_forecaster_forecast(const struct xlb_forecaster *f,
			    enum xlb_forecast_model model, unsigned int h,
			    const double *future_exog, double *out)
{
	const double *last;
	size_t w;

	if (!f || !out || model < XLB_FORECAST_SELECTED ||
	    model >= XLB_FORECAST_N_MODELS)
		return XLB_MODEL_EINVAL;
	if (model == XLB_FORECAST_SELECTED)
		model = f->selected;
	if (!f->ready[model])
		return XLB_MODEL_ENOTREADY;
	if (model != XLB_FORECAST_AR) {
		for (unsigned int s = 0; s < h; s++)
			out[s] = f->next[model];
		return 0;
	}

	/*
	 * Iterate the recursion: a lag that falls in the future takes the
	 * forecast made for it, an exogenous input the caller's value or its
	 * last one.
	 */
	w = f->width;
	last = slot(f, f->n_obs - 1);
	for (unsigned int s = 0; s < h; s++) {
		double y = f->intercept;
		size_t c = 0;

		for (size_t i = 1; i <= f->cfg.lags; i++, c++) {
			double v = i > s ? last[-(ptrdiff_t)((i - s - 1) * w)]
					 : out[s - i];

			y += f->coef[c] * v;
		}
		for (size_t j = 0; j < f->cfg.n_exog; j++) {
			for (size_t l = 1; l <= f->cfg.exog_lags; l++, c++) {
				double v;

				if (l > s)
					v = last[1 + j -
						 (ptrdiff_t)((l - s - 1) * w)];
				else if (future_exog)
					v = future_exog[(s - l) * f->cfg.n_exog +
							j];
				else
					v = last[1 + j];
				y += f->coef[c] * v;
			}
		}
		out[s] = y;
	}
	return 0;
}

void xlb_forecaster_status(const struct xlb_forecaster *f,
			   struct xlb_forecast_status *st)
{
	memset(st, 0, sizeof(*st));
	st->selected = f->selected;
	st->n_updates = f->n_obs;
	st->n_refits = f->n_refits;
	st->n_rows = f->stats.n;
	for (int m = 0; m < XLB_FORECAST_N_MODELS; m++) {
		st->model[m].ready = f->ready[m];
		st->model[m].next = f->ready[m] ? f->next[m] : 0;
		st->model[m].mae = error_mae(&f->errors[m]);
		st->model[m].rmse = error_rmse(&f->errors[m]);
		st->model[m].n_errors = f->errors[m].n;
	}
	st->ar_error = f->ar_ok ? 0 : f->ar_error;
	st->n_coef = f->k;
	if (f->ar_ok) {
		st->intercept = f->intercept;
		memcpy(st->coef, f->coef, f->k * sizeof(*f->coef));
	}
	st->ses_alpha = f->alpha;
	st->ses_level = f->level;
}
