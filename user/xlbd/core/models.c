// SPDX-License-Identifier: GPL-2.0
/*
 * Models: per pair, the load regression Load_i(t) = a + b Req_i(t-1) +
 * c Req_i(t-2) on a sliding window (b + c its cost per request); per VIP,
 * the demand forecaster (AR, SES, last value, with the online selector)
 * from libxlbmodels; over every pair, an Isolation Forest on the
 * fleet-relative feature row, retrained on rows of healthy periods only,
 * and the k-of-m persistence of its verdicts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Features whose deviation upward counts as a backend doing badly. */
static const bool gated[FEAT_N] = {
	[FEAT_LATENCY_Z] = true,
	[FEAT_IN_FLIGHT_Z] = true,
	[FEAT_FAIL_Z] = true,
	[FEAT_COST_CHANGE_Z] = true,
};

/* The share of the load's variance a fit must explain to be used. */
#define REGRESSION_MIN_R2 0.5

/* A new pair's models (its zeroed rows come with it from the pool). */
void brain_models_pair_init(struct brain_pair *p)
{
	p->req_prev1 = p->req_prev2 = NAN;
	p->cost = NAN;
	p->intercept = NAN;
	p->cost_ratio = NAN;
	p->load_smooth = p->req_smooth = NAN;
	p->predicted_util = NAN;
	p->max_z = 0;
	p->max_z_feature = -1;
}

int brain_models_init(struct xlb_brain *brain)
{
	const struct xlb_brain_config *cfg = &brain->cfg;
	struct xlb_iforest_config icfg = {
		.n_trees = cfg->iforest_trees,
		.max_samples = cfg->iforest_samples,
		.seed = cfg->seed,
	};
	int ret;

	brain->train = calloc(BRAIN_TRAIN_ROWS * FEAT_N, sizeof(double));
	if (!brain->train)
		return -ENOMEM;
	ret = xlb_iforest_create(&icfg, FEAT_N, &brain->forest);
	if (ret)
		return ret < 0 ? ret : -EINVAL;
	brain->forest_trained_at = NAN;
	return 0;
}

void brain_models_fini(struct xlb_brain *brain)
{
	free(brain->train);
	xlb_iforest_destroy(brain->forest);
}

int brain_vip_models_init(struct xlb_brain *brain, struct brain_vip *v)
{
	struct xlb_forecast_config fcfg;
	int ret;

	xlb_forecast_config_default(&fcfg);
	fcfg.window = brain->cfg.forecast_window;
	if (fcfg.refit_every > fcfg.window)
		fcfg.refit_every = fcfg.window;
	ret = xlb_forecaster_create(&fcfg, &v->forecaster);
	return ret ? -ENOMEM : 0;
}

static void reg_add(struct brain_reg_sums *a, const double *row, double sign)
{
	for (int i = 0; i < 3; i++) {
		a->sum[i] += sign * row[i];
		for (int j = 0; j < 3; j++)
			a->cross[i][j] += sign * row[i] * row[j];
	}
}

/* How much of the smoothed means each tick replaces. */
#define COST_SMOOTHING 0.1

/*
 * The load sample ends within the last tick (the agent's CPU since its
 * previous scrape), so it is set against this tick's requests. A sample
 * with the CPU full is a lower bound (requests beyond what it served were
 * counted too): it may raise the estimate, never lower it, or a backend
 * would look cheaper the more it is overloaded.
 */
static void cost_ratio_update(struct brain_pair *p, double load, double req)
{
	if (p->load_source == LOAD_CPU && load >= BRAIN_CPU_FULL &&
	    isfinite(p->cost_ratio) && load < p->cost_ratio * req)
		return;
	if (!isfinite(p->req_smooth)) {
		/*
		 * A restored ratio carries on from the first requests, as
		 * if it had been their mean; else both means start at zero,
		 * so the first sample weighs what every later one does (the
		 * ratio needs no bias correction: it cancels).
		 */
		bool restored = isfinite(p->cost_ratio);

		p->req_smooth = restored ? req : 0;
		p->load_smooth = restored ? p->cost_ratio * req : 0;
	}
	p->req_smooth += COST_SMOOTHING * (req - p->req_smooth);
	p->load_smooth += COST_SMOOTHING * (load - p->load_smooth);
	p->cost_ratio = p->load_smooth / p->req_smooth;
}

/* Slide the window one row and re-solve b, c from its co-moments: O(1). */
static void regression_update(struct xlb_brain *brain, struct brain_pair *p)
{
	unsigned int w = brain->cfg.regression_window;
	double cpu = p->level[SIG_CPU], lat = p->level[SIG_LATENCY];
	double req = p->level[SIG_REQ];
	/*
	 * Load is the agent's CPU; probe latency only for a pair that never
	 * had an agent. Costs in different units are never mixed: a switch
	 * of source starts the window again.
	 */
	int source = LOAD_NONE;

	if (isfinite(cpu))
		source = LOAD_CPU;
	else if (p->load_source != LOAD_CPU && isfinite(lat))
		source = LOAD_LATENCY;
	double row[3] = { source == LOAD_CPU ? cpu : lat, p->req_prev1,
			  p->req_prev2 };

	if (source != LOAD_NONE && source != p->load_source) {
		p->load_source = source;
		p->reg_n = p->reg_pos = 0;
		memset(&p->reg, 0, sizeof(p->reg));
		p->cost = p->cost_ratio = NAN;
		p->load_smooth = p->req_smooth = NAN;
	}
	if (source == LOAD_NONE)
		row[0] = NAN;

	p->req_prev2 = p->req_prev1;
	p->req_prev1 = req;
	if (isfinite(row[0]) && brain_cost_known(brain, p))
		cost_ratio_update(p, row[0], req);
	if (!isfinite(row[0]) || !isfinite(row[1]) || !isfinite(row[2]))
		return;
	if (p->reg_n == w)
		reg_add(&p->reg, &p->reg_rows[3 * p->reg_pos], -1);
	else
		p->reg_n++;
	memcpy(&p->reg_rows[3 * p->reg_pos], row, sizeof(row));
	reg_add(&p->reg, row, 1);
	if (p->reg_pos == 0)
		memset(&p->reg_round, 0, sizeof(p->reg_round));
	reg_add(&p->reg_round, row, 1);
	if (++p->reg_pos == w) {
		/*
		 * Shed rounding drift once per window: the window is full at
		 * each wrap and its rows were all added this round, in order.
		 */
		p->reg_pos = 0;
		p->reg = p->reg_round;
	}
	if (p->reg_n < 8)
		return;

	double n = p->reg_n, m[3], s[3][3];

	for (int i = 0; i < 3; i++)
		m[i] = p->reg.sum[i] / n;
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			s[i][j] = p->reg.cross[i][j] / n - m[i] * m[j];
	/* a small ridge keeps b + c defined when Req(t-1) ~ Req(t-2) */
	double ridge = 1e-6 * (s[1][1] + s[2][2]) + 1e-12;
	double a11 = s[1][1] + ridge, a22 = s[2][2] + ridge, a12 = s[1][2];
	double det = a11 * a22 - a12 * a12;

	/* too little variation in the requests: the slope is not known */
	if (!(s[1][1] > 1e-9 * (m[1] * m[1] + 1)) || !(det > 0))
		return;
	double b = (s[0][1] * a22 - s[0][2] * a12) / det;
	double c = (s[0][2] * a11 - s[0][1] * a12) / det;

	/*
	 * Only a fit that explains the load is a cost: with steady requests
	 * the slope is noise, and the plain ratio is the better estimate.
	 */
	double r2 = s[0][0] > 0 ? (b * s[0][1] + c * s[0][2]) / s[0][0] : 0;

	p->regression_r2 = r2;
	if (r2 < REGRESSION_MIN_R2) {
		p->cost = NAN;
		return;
	}
	p->cost = b + c;
	p->intercept = m[0] - b * m[1] - c * m[2];
}

static void forecast_update(struct xlb_brain *brain, struct brain_vip *v,
			    double demand)
{
	struct xlb_forecast_status st;
	unsigned int h = brain->cfg.forecast_horizon;
	double out[64];

	if (isfinite(demand))
		xlb_forecaster_update(v->forecaster, demand, NULL);
	if (h > 64)
		h = 64;
	if (!xlb_forecaster_forecast(v->forecaster, XLB_FORECAST_SELECTED, h,
				     NULL, out))
		v->forecast = out[h - 1] > 0 ? out[h - 1]
					     : 0; /* no negative demand */
	xlb_forecaster_status(v->forecaster, &st);
	v->forecast_model = xlb_forecast_model_name(st.selected);
	v->forecast_error = st.model[st.selected].n_errors
				    ? st.model[st.selected].mae
				    : NAN;
}

/* This tick's feature row; unknown features read as typical (z = 0). */
static void feature_row(const struct brain_pair *p, double *row)
{
	for (int f = 0; f < FEAT_N; f++)
		row[f] = p->z_known[f] ? p->z[f] : 0;
}

/* A VIP is healthy when no eligible pair is drained, down or anomalous. */
static bool vip_healthy(struct xlb_brain *brain, size_t vip)
{
	for_each_vip_pair (brain, vip, pos, i) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];

		if (p->eligible &&
		    (p->health != XLB_HEALTH_OK || p->anomaly_bits))
			return false;
	}
	return true;
}

static void forest_train(struct xlb_brain *brain,
			 const struct xlb_brain_snapshot *snap)
{
	const struct xlb_brain_config *cfg = &brain->cfg;
	/* at most ~64 rows a tick, so that the ring spans time, not pairs */
	size_t stride = snap->n_pairs / 64 + 1;

	for (size_t vip = 0; vip < snap->n_vips; vip++) {
		if (!vip_healthy(brain, vip))
			continue;
		for_each_vip_pair (brain, vip, pos, i) {
			struct brain_pair *p = brain->pairs[brain->slot_of[i]];

			if (!p->eligible || (i + brain->ticks) % stride)
				continue;
			feature_row(p,
				    &brain->train[brain->train_pos * FEAT_N]);
			brain->train_pos =
				(brain->train_pos + 1) % BRAIN_TRAIN_ROWS;
			if (brain->train_n < BRAIN_TRAIN_ROWS)
				brain->train_n++;
		}
	}
	if (brain->train_n < cfg->iforest_min_rows)
		return;
	if (brain->forest_fitted &&
	    brain->now - brain->forest_trained_at < cfg->iforest_retrain_s)
		return;
	if (!xlb_iforest_fit(brain->forest, brain->train, brain->train_n)) {
		brain->forest_fitted = true;
		brain->forest_trained_at = brain->now;
	}
}

static void anomaly_update(struct xlb_brain *brain, struct brain_pair *p)
{
	const struct xlb_brain_config *cfg = &brain->cfg;
	bool now_anomalous;

	/*
	 * The forest says how unusual the row is; the gate says it is
	 * unusual in a bad direction (a backend idle beside a busy fleet is
	 * unusual too). A huge deviation counts without the forest, which
	 * saturates at the edge of its training range and cannot isolate
	 * anything when its training rows were constant.
	 */
	now_anomalous = (p->score >= cfg->anomaly_threshold &&
			 p->max_z >= cfg->anomaly_min_z) ||
			p->max_z >= cfg->anomaly_strong_z || p->sustained;
	p->anomaly_bits = ((p->anomaly_bits << 1) | now_anomalous) &
			  ((1u << cfg->anomaly_m) - 1);
	p->anomalous = (unsigned int)__builtin_popcount(p->anomaly_bits) >=
		       cfg->anomaly_k;
}

static void gate(struct brain_pair *p)
{
	p->max_z = 0;
	p->max_z_feature = -1;
	for (int f = 0; f < FEAT_N; f++)
		if (gated[f] && p->z_known[f] && p->z[f] > p->max_z) {
			p->max_z = p->z[f];
			p->max_z_feature = f;
		}
}

/*
 * Prefetch distances, in pairs: a pair's model state several ahead, and
 * its regression row (reached through that state) a few ahead; the row was
 * last touched a whole window ago and comes from memory.
 */
#define PREFETCH_STATE_AHEAD 8
#define PREFETCH_ROW_AHEAD 4

static void prefetch_models(const struct xlb_brain *brain,
			    const struct xlb_brain_snapshot *snap, size_t i)
{
	const struct brain_pair *q;

	if (i + PREFETCH_STATE_AHEAD < snap->n_pairs) {
		q = brain->pairs[brain->slot_of[i + PREFETCH_STATE_AHEAD]];
		brain_prefetch(q, &q->z_known[FEAT_N]);
		brain_prefetch(&q->reg_pos, &q->load_smooth + 1);
	}
	if (i + PREFETCH_ROW_AHEAD < snap->n_pairs) {
		q = brain->pairs[brain->slot_of[i + PREFETCH_ROW_AHEAD]];
		brain_prefetch(&q->reg_rows[3 * q->reg_pos],
			       &q->reg_rows[3 * q->reg_pos + 3]);
	}
}

/*
 * Whether the forest's verdict on the pair counts this tick: a pair the
 * probes hold down (or just let back) is theirs, and its score is not kept.
 */
static bool pair_judged(const struct xlb_brain *brain,
			const struct brain_pair *p)
{
	return p->eligible && p->health != XLB_HEALTH_DOWN &&
	       !(brain->now < p->anomaly_quiet_until);
}

/*
 * One pass over the pairs: each one's regression and gate, and each judged
 * one's forest row into brain->rows (training and fitting read neither; no
 * stage changes a pair's health before the verdicts). Returns the rows.
 */
static size_t pairs_update(struct xlb_brain *brain,
			   const struct xlb_brain_snapshot *snap)
{
	size_t n = 0;

	for (size_t i = 0; i < snap->n_pairs; i++) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];

		prefetch_models(brain, snap, i);
		regression_update(brain, p);
		gate(p);
		if (pair_judged(brain, p))
			feature_row(p, &brain->rows[n++ * FEAT_N]);
	}
	return n;
}

void brain_models(struct xlb_brain *brain,
		  const struct xlb_brain_snapshot *snap)
{
	size_t n, r = 0;
	bool scored;

	for (size_t i = 0; i < snap->n_vips; i++)
		forecast_update(brain, &brain->vips[brain->vip_of[i]],
				snap->vips[i].demand_per_s);
	n = pairs_update(brain, snap);
	forest_train(brain, snap);
	/* every judged pair's row scored in one call: one pass per tree */
	scored = brain->forest_fitted && n &&
		 !xlb_iforest_score(brain->forest, brain->rows, n,
				    brain->scratch);
	for (size_t i = 0; i < snap->n_pairs; i++) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];
		bool judged = pair_judged(brain, p);

		brain_prefetch_pair(brain, snap, i);
		p->score = judged && scored ? brain->scratch[r] : NAN;
		r += judged;
		if (judged) {
			anomaly_update(brain, p);
		} else {
			p->anomaly_bits = 0;
			p->anomalous = false;
		}
	}
	brain->ticks++;
}
