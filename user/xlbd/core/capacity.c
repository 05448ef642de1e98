// SPDX-License-Identifier: GPL-2.0
/*
 * Predictive capacity: the standby pool. Per VIP, the utilisation predicted
 * over capacity_horizon_s is the peak demand of the horizon (the selected
 * forecaster's, or the recent trend carried over the horizon) over the
 * capacity of the active, healthy backends (each what its CPU has beyond
 * its idle load over its measured cost per request; a backend with no cost
 * yet counts as their mean). Above capacity_high for capacity_ticks ticks,
 * standby pairs are activated, through slow start, until the prediction
 * falls below the mark; below capacity_low for capacity_ticks, the most
 * recently activated one drains
 * (its flows finish) and then goes back to standby. capacity_dwell_s
 * between changes and the two marks keep it from flapping.
 *
 * This is the one place the brain writes operator state, and only for
 * pairs of the pool: one the operator set standby, or one the brain
 * activated from it (XLB_BRAIN_REASON_POOL in its intent reason). A pool
 * pair found in any other state than the brain left it in was taken back
 * by the operator and leaves the pool.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* A returning pair's flows get at most this long before standby. */
#define CAPACITY_DRAIN_MAX_S 30.0
/* The forecast looks at most this many ticks ahead. */
#define CAPACITY_HORIZON_MAX 600u
/* An extrapolated peak is believed up to this many times the next tick's. */
#define CAPACITY_FORECAST_CAP 3.0
/* In flight under this counts as drained. */
#define CAPACITY_DRAINED_FLOWS 1.0

/* Ticks of demand kept (internal.h's trend[]), and the trend fitted on. */
#define CAPACITY_TREND_TICKS 32u
#define CAPACITY_TREND_FIT 16u

/*
 * A pair's capacity in requests per second: what its CPU has left beyond
 * the idle load (the regression's intercept), over the marginal cost (b +
 * c, when it agrees with the plain ratio, as policy.c uses it); else one
 * over the plain ratio. NAN when there is no CPU measure.
 */
static double capacity_of(const struct brain_pair *p)
{
	double r = p->cost_ratio, c = p->cost, a = p->intercept;

	if (p->load_source != LOAD_CPU)
		return NAN; /* latency per request is no utilisation */
	if (isfinite(c) && c > 0 && isfinite(r) && c < r * 4 && c > r / 4)
		return (isfinite(a) && a > 0 && a < 0.9 ? 1 - a : 1) / c;
	return r > 0 ? 1 / r : NAN;
}

/* The i-th of the last n demands, oldest first. */
static double trend_at(const struct brain_vip *v, unsigned int n,
		       unsigned int i)
{
	return v->trend[(v->trend_pos + CAPACITY_TREND_TICKS - n + i) %
			CAPACITY_TREND_TICKS];
}

/*
 * The demand's trend per tick over the last CAPACITY_TREND_FIT ticks when
 * it stands out of the noise, 0 otherwise. The forecasters fit levels; a
 * ramp is what the horizon must see coming. Theil-Sen (the median of the
 * pairwise slopes), not least squares: a spike of a few ticks in the
 * window tilts a least-squares line for as long as it stays there (a 5 s
 * burst before a ramp hid the ramp for the 32 ticks after it, and the
 * activation came one load step before the p99 doubled); the median
 * ignores it. 16 ticks, not 32: a ramp in steps is flat within each step,
 * and the median of a long window full of flat pairs says "flat" for long
 * into the ramp. The noise is the residuals' median absolute deviation
 * (times 1.4826, a standard deviation for normal noise), so a spike does
 * not inflate it either; the slope counts over 3 of its standard errors.
 */
static double demand_trend(struct brain_vip *v, double demand)
{
	double slopes[CAPACITY_TREND_FIT * (CAPACITY_TREND_FIT - 1) / 2];
	double res[CAPACITY_TREND_FIT], sx = 0, sxx = 0, b, a, sigma, se;
	unsigned int n;
	size_t k = 0;

	if (isfinite(demand)) {
		v->trend[v->trend_pos] = demand;
		v->trend_pos = (v->trend_pos + 1) % CAPACITY_TREND_TICKS;
		if (v->trend_n < CAPACITY_TREND_TICKS)
			v->trend_n++;
	}
	n = v->trend_n;
	if (n < CAPACITY_TREND_FIT)
		return 0;
	n = CAPACITY_TREND_FIT;
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = i + 1; j < n; j++)
			slopes[k++] = (trend_at(v, n, j) - trend_at(v, n, i)) /
				      (j - i);
	/*
	 * Medians by selection (brain_median), not a sort: the same values;
	 * where a zero's sign might differ, it is lost below (b > 0, fabs).
	 */
	b = brain_median(slopes, k);
	for (unsigned int i = 0; i < n; i++)
		res[i] = trend_at(v, n, i) - b * i;
	a = brain_median(res, n);
	for (unsigned int i = 0; i < n; i++) {
		res[i] = fabs(trend_at(v, n, i) - (a + b * i));
		sx += i;
		sxx += (double)i * i;
	}
	sigma = 1.4826 * brain_median(res, n);
	se = sigma / sqrt(sxx - sx * sx / n);
	return b > 0 && b > 3 * se ? b : 0;
}

/*
 * Peak demand over the horizon: the VIP's selected forecaster's, or the
 * recent trend carried over the horizon when that is higher.
 */
static double horizon_demand(const struct xlb_brain *brain, struct brain_vip *v,
			     double demand_now)
{
	double out[CAPACITY_HORIZON_MAX];
	double h_s = brain->cfg.capacity_horizon_s / brain->cfg.tick_s;
	unsigned int h = h_s < 1		      ? 1
			 : h_s > CAPACITY_HORIZON_MAX ? CAPACITY_HORIZON_MAX
						      : (unsigned int)ceil(h_s);
	double peak = NAN, ref, trend = demand_trend(v, demand_now);

	if (!xlb_forecaster_forecast(v->forecaster, XLB_FORECAST_SELECTED, h,
				     NULL, out)) {
		peak = 0;
		for (unsigned int i = 0; i < h; i++)
			if (out[i] > peak)
				peak = out[i];
	}
	ref = fmax(isfinite(v->forecast) ? v->forecast : 0,
		   isfinite(demand_now) ? demand_now : 0);
	if (!isfinite(peak))
		return isfinite(v->forecast) ? v->forecast : NAN;
	peak = fmax(peak, ref + trend * h);
	return fmin(fmax(peak, ref), ref * CAPACITY_FORECAST_CAP);
}

/*
 * Pool membership from the snapshot's operator states, a VIP's pairs just
 * before its plan reads them (each pair's on its own).
 */
static void pool_track(struct xlb_brain *brain,
		       const struct xlb_brain_snapshot *snap, size_t vip)
{
	for_each_vip_pair (brain, vip, pos, i) {
		const struct xlb_brain_pair_in *in = &snap->pairs[i];
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];

		brain_prefetch_vip_pair(brain, snap, pos);
		if (!p->pool_adopted) {
			/* a restart: the maps say which the brain activated */
			p->pool_adopted = true;
			if ((in->reason & XLB_BRAIN_REASON_POOL) &&
			    (in->op_state == XLB_OP_ACTIVE ||
			     in->op_state == XLB_OP_DRAINING)) {
				p->pool = true;
				p->pool_op = in->op_state;
				p->pool_since = brain->now;
			}
		}
		if (in->op_state == XLB_OP_STANDBY) {
			if (!p->pool || p->pool_op != XLB_OP_STANDBY) {
				p->pool = true;
				p->pool_op = XLB_OP_STANDBY;
				p->pool_since = NAN;
			}
		} else if (p->pool && in->op_state != p->pool_op) {
			/* the operator set it: theirs now, never touched */
			p->pool = false;
			p->pool_since = NAN;
		}
	}
}

static struct xlb_brain_decision *
capacity_decision(struct xlb_brain *brain, struct xlb_brain_plan *plan,
		  size_t pair, const struct brain_pair *p, double util)
{
	struct xlb_brain_decision *d = NULL;

	/* one decision per pair: a factor change of this tick is kept */
	for (size_t j = 0; j < plan->n_decisions; j++)
		if (plan->decisions[j].pair == pair)
			d = &plan->decisions[j];
	if (!d) {
		if (plan->n_decisions >= brain->cap_snap_pairs)
			return NULL;
		d = &plan->decisions[plan->n_decisions++];
		memset(d, 0, sizeof(*d));
		d->pair = pair;
		d->old_factor = d->new_factor = p->factor;
		d->old_health = d->new_health = p->health;
		d->anomaly_score = p->score;
		brain_explain(brain, p, d);
	}
	d->predicted_util = util;
	return d;
}

static void forecast_words(const struct brain_vip *v, double demand, char *buf,
			   size_t len)
{
	snprintf(buf, len,
		 "forecast peak %.4g/s (next tick %.4g/s, model %s, recent "
		 "error %.3g/s)",
		 demand, v->forecast, v->forecast_model, v->forecast_error);
}

/* "; forecast ..." after the sentence, cut to what the reason holds. */
static void reason_append(struct xlb_brain_decision *d, const char *words)
{
	size_t len = strlen(d->reason), n = strlen(words);

	if (len + 2 >= sizeof(d->reason))
		return;
	memcpy(d->reason + len, "; ", 2);
	len += 2;
	if (n > sizeof(d->reason) - 1 - len)
		n = sizeof(d->reason) - 1 - len;
	memcpy(d->reason + len, words, n);
	d->reason[len + n] = '\0';
}

static void vip_capacity(struct xlb_brain *brain,
			 const struct xlb_brain_snapshot *snap, size_t vip,
			 struct xlb_brain_plan *plan)
{
	const struct xlb_brain_config *cfg = &brain->cfg;
	struct brain_vip *v = &brain->vips[brain->vip_of[vip]];
	double cap_known = 0, capacity, mean_cap, demand, util,
	       now = brain->now;
	unsigned int n_known = 0, n_unknown = 0, eligible = 0, standby = 0;
	char words[160];

	for_each_vip_pair (brain, vip, pos, i) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];
		double c;

		if (p->pool && p->pool_op == XLB_OP_STANDBY &&
		    p->health != XLB_HEALTH_DOWN)
			standby++;
		if (!p->eligible)
			continue;
		eligible++;
		if (p->health != XLB_HEALTH_OK)
			continue;
		c = capacity_of(p);
		if (isfinite(c) && c > 0) {
			cap_known += c;
			n_known++;
		} else {
			n_unknown++;
		}
	}
	v->standby = standby;
	if (!v->cap_desired_set) {
		v->cap_desired_set = true;
		v->cap_changed = -INFINITY;
		v->cap_desired = eligible;
	}
	mean_cap = n_known ? cap_known / n_known : NAN;
	capacity = cap_known + n_unknown * mean_cap;
	demand = horizon_demand(brain, v, snap->vips[vip].demand_per_s);
	util = n_known && isfinite(demand) ? demand / capacity : NAN;
	v->predicted_util = util;
	forecast_words(v, demand, words, sizeof(words));

	/* returning pairs: drained long enough, then standby */
	for_each_vip_pair (brain, vip, pos, i) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];
		struct xlb_brain_decision *d;
		double for_s = now - p->pool_since;

		if (!p->pool || p->pool_op != XLB_OP_DRAINING)
			continue;
		if (!(for_s >= CAPACITY_DRAIN_MAX_S ||
		      (isfinite(p->in_flight) &&
		       p->in_flight < CAPACITY_DRAINED_FLOWS &&
		       for_s >= 2 * cfg->tick_s)))
			continue;
		d = capacity_decision(brain, plan, i, p, util);
		if (!d)
			break;
		d->rule = XLB_RULE_CAPACITY_DOWN;
		d->old_op_state = XLB_OP_DRAINING;
		d->new_op_state = XLB_OP_STANDBY;
		snprintf(d->reason, sizeof(d->reason),
			 "capacity: drained for %.0f s (in flight %.3g): back "
			 "to standby",
			 for_s, p->in_flight);
		p->pool_op = XLB_OP_STANDBY;
		p->pool_since = NAN;
	}

	if (!isfinite(util)) {
		v->cap_above = v->cap_below = 0;
		return;
	}
	v->cap_above = util > cfg->capacity_high ? v->cap_above + 1 : 0;
	v->cap_below = util < cfg->capacity_low ? v->cap_below + 1 : 0;
	if (now - v->cap_changed < cfg->capacity_dwell_s)
		return;

	if (v->cap_above >= cfg->capacity_ticks) {
		/* enough backends of the mean capacity to fall below the mark */
		double short_by = demand / cfg->capacity_high - capacity;
		unsigned int add = (unsigned int)floor(short_by / mean_cap) + 1;
		unsigned int added = 0;

		if (add > 1024)
			add = 1024;
		for_each_vip_pair (brain, vip, pos, i) {
			struct brain_pair *p = brain->pairs[brain->slot_of[i]];
			struct xlb_brain_decision *d;

			if (added >= add)
				break;
			if (!p->pool || p->pool_op != XLB_OP_STANDBY ||
			    p->health == XLB_HEALTH_DOWN)
				continue;
			d = capacity_decision(brain, plan, i, p, util);
			if (!d)
				break;
			/* back as a recovered backend comes back: slow start */
			p->policy_factor = 1.0;
			p->target_smooth = NAN;
			p->settled = false;
			p->health = XLB_HEALTH_OK;
			p->slow_start_since = now;
			p->anomaly_quiet_until =
				now + cfg->slow_start_s +
				(cfg->anomaly_m + 1) * cfg->tick_s;
			p->factor = brain_factor_fixed(
				brain_slow_start_mult(cfg, now, now));
			p->pool_op = XLB_OP_ACTIVE;
			p->pool_since =
				now + i * 1e-9; /* order within a tick */
			added++;
			d->rule = XLB_RULE_CAPACITY_UP;
			d->old_op_state = XLB_OP_STANDBY;
			d->new_op_state = XLB_OP_ACTIVE;
			d->new_factor = p->factor;
			d->new_health = p->health;
			snprintf(d->reason, sizeof(d->reason),
				 "capacity: predicted utilisation %.2f over "
				 "%.0f s "
				 "above %.2f for %u ticks: standby activated "
				 "through slow start (%u -> %u active)",
				 util, cfg->capacity_horizon_s,
				 cfg->capacity_high, v->cap_above,
				 eligible + added - 1, eligible + added);
			reason_append(d, words);
		}
		/* a count the orchestrator was already told is no change */
		if (added || v->cap_desired != eligible + add)
			v->cap_changed = now;
		v->cap_desired = eligible + add;
		v->cap_above = 0;
		return;
	}

	if (v->cap_below >= cfg->capacity_ticks && eligible > 1) {
		struct brain_pair *last = NULL;
		size_t li = 0;
		double c, after;

		for_each_vip_pair (brain, vip, pos, i) {
			struct brain_pair *p = brain->pairs[brain->slot_of[i]];

			if (p->pool && p->pool_op == XLB_OP_ACTIVE &&
			    p->eligible &&
			    (!last || p->pool_since > last->pool_since)) {
				last = p;
				li = i;
			}
		}
		c = last ? capacity_of(last) : NAN;
		if (!(isfinite(c) && c > 0 && last->health == XLB_HEALTH_OK))
			c = mean_cap;
		after = demand / (capacity - c);
		/* one fewer must not cross the high mark: no flapping */
		if (!(after < cfg->capacity_high))
			return;
		if (last || v->cap_desired != eligible - 1)
			v->cap_changed = now;
		v->cap_desired = eligible - 1;
		v->cap_below = 0;
		if (!last)
			return; /* no pool pair: the hook's orchestrator acts */

		struct xlb_brain_decision *d =
			capacity_decision(brain, plan, li, last, util);

		if (!d)
			return;
		d->rule = XLB_RULE_CAPACITY_DOWN;
		d->old_op_state = XLB_OP_ACTIVE;
		d->new_op_state = XLB_OP_DRAINING;
		snprintf(d->reason, sizeof(d->reason),
			 "capacity: predicted utilisation %.2f over %.0f s "
			 "below %.2f for %u ticks (%.2f with one fewer): the "
			 "last activated drains, then standby",
			 util, cfg->capacity_horizon_s, cfg->capacity_low,
			 cfg->capacity_ticks, after);
		reason_append(d, words);
		last->pool_op = XLB_OP_DRAINING;
		last->pool_since = now;
		last->slow_start_since = NAN;
	}
}

void brain_capacity(struct xlb_brain *brain,
		    const struct xlb_brain_snapshot *snap,
		    struct xlb_brain_plan *plan)
{
	for (size_t vip = 0; vip < snap->n_vips; vip++) {
		struct brain_vip *v = &brain->vips[brain->vip_of[vip]];

		pool_track(brain, snap, vip);
		vip_capacity(brain, snap, vip, plan);
		v->desired = v->cap_desired;
	}
}
