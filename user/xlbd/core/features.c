// SPDX-License-Identifier: GPL-2.0
/*
 * Features: each pair's signals carried forward up to staleness_limit_s
 * (then unknown, NAN, never a silent zero), their level and rolling mean
 * over cfg.window ticks (the "own mean" a decision's reason compares with,
 * and the cost change's base); then each relative to the VIP's fleet (ratio
 * to the median, robust z-score with a floor on the spread) so that a
 * change shared by the whole fleet is nobody's anomaly.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const feature_names[FEAT_N] = {
	[FEAT_CPU_Z] = "cpu_util",
	[FEAT_LATENCY_Z] = "latency_s",
	[FEAT_IN_FLIGHT_Z] = "in_flight",
	[FEAT_FAIL_Z] = "fail_ratio",
	[FEAT_COST_CHANGE_Z] = "cost_change",
	[FEAT_MEM_Z] = "mem_util",
};

/* The signal behind each feature (cost change is a ratio of its own). */
static const int feature_signal[FEAT_N] = {
	[FEAT_CPU_Z] = SIG_CPU,
	[FEAT_LATENCY_Z] = SIG_LATENCY,
	[FEAT_IN_FLIGHT_Z] = SIG_IN_FLIGHT,
	[FEAT_FAIL_Z] = SIG_FAIL,
	[FEAT_COST_CHANGE_Z] = SIG_COST,
	[FEAT_MEM_Z] = SIG_MEM,
};

/*
 * The smallest spread a robust z divides by, in the signal's units: below
 * it, differences are noise (5 ms of latency, 5 flows, 5% of a CPU).
 */
static const double spread_floor[FEAT_N] = {
	[FEAT_CPU_Z] = 0.05,	    [FEAT_LATENCY_Z] = 0.005,
	[FEAT_IN_FLIGHT_Z] = 5.0,   [FEAT_FAIL_Z] = 0.05,
	[FEAT_COST_CHANGE_Z] = 0.1, [FEAT_MEM_Z] = 0.05,
};
/*
 * ... and as a share of the median, so that big signals scale too.
 * Latency and connections in flight differ across a heterogeneous fleet
 * by nature, more as the load rises (a one-core backend queues at a
 * utilisation a four-core one serves at once): their floor is half the
 * median, so that the anomaly gate's z of 4 means three times the fleet
 * median, the hot rule's ratio, and a load step shared by a mixed fleet
 * is nobody's anomaly.
 */
static const double spread_floor_rel[FEAT_N] = {
	[FEAT_CPU_Z] = 0.10,	     [FEAT_LATENCY_Z] = 0.50,
	[FEAT_IN_FLIGHT_Z] = 0.50,   [FEAT_FAIL_Z] = 0.10,
	[FEAT_COST_CHANGE_Z] = 0.10, [FEAT_MEM_Z] = 0.10,
};

const char *brain_feature_name(int feature)
{
	return feature >= 0 && feature < FEAT_N ? feature_names[feature] : "?";
}

int brain_feature_signal(int feature)
{
	return feature_signal[feature];
}

/* A new pair's features (its ring comes with it from the pool). */
void brain_features_init(struct brain_pair *p)
{
	for (int s = 0; s < SIG_N; s++) {
		struct brain_signal_state *g = &p->sig[s];

		memset(g, 0, sizeof(*g));
		p->level[s] = g->mean = NAN;
		g->seen = -INFINITY;
	}
	p->ring_pos = p->ring_n = 0;
	p->in_flight = NAN;
	p->cost_change = NAN;
	p->hot_cut_at = NAN;
	p->latency_last = NAN;
	for (int f = 0; f < FEAT_N; f++)
		p->z[f] = NAN;
}

/*
 * A new observation, or the carried-forward one, or unknown. slot is the
 * signal's place in this tick's ring row; full: it holds the level of
 * window ticks ago, leaving the window; first: the row is the ring's
 * first, a new round starts.
 */
static void signal_update(const struct xlb_brain_config *cfg,
			  struct brain_signal_state *g, double *value,
			  double *slot, bool full, bool first, double raw,
			  double now)
{
	double level;

	if (isfinite(raw)) {
		*value = raw;
		g->seen = now;
	} else if (now - g->seen > cfg->staleness_limit_s) {
		*value = NAN;
	}
	level = *value;

	/* own history before this tick: what "own mean" is compared with */
	g->mean = g->ring_known ? g->ring_sum / g->ring_known : NAN;
	if (full) {
		double old = *slot;

		if (isfinite(old)) {
			g->ring_sum -= old;
			g->ring_known--;
		}
	}
	*slot = level;
	if (first) {
		g->round_sum = 0;
		g->round_known = 0;
	}
	if (isfinite(level)) {
		g->ring_sum += level;
		g->ring_known++;
		g->round_sum += level;
		g->round_known++;
	}
}

/* Every signal's level into the pair's ring row, the sums with them. */
static void pair_signals_update(const struct xlb_brain_config *cfg,
				struct brain_pair *p, const double raw[SIG_N],
				double now)
{
	double *row = &p->ring[(size_t)p->ring_pos * SIG_N];
	bool full = p->ring_n == cfg->window;

	for (int s = 0; s < SIG_N; s++)
		signal_update(cfg, &p->sig[s], &p->level[s], &row[s], full,
			      !p->ring_pos, raw[s], now);
	if (!full)
		p->ring_n++;
	if (++p->ring_pos < cfg->window)
		return;
	/*
	 * Shed the sums' rounding drift once per window: the round's sums
	 * are the ring's levels summed afresh from slot 0 (each pair's ring
	 * is full at its first wrap, and every slot was written this round).
	 */
	p->ring_pos = 0;
	for (int s = 0; s < SIG_N; s++) {
		struct brain_signal_state *g = &p->sig[s];

		g->ring_sum = g->round_sum;
		g->ring_known = g->round_known;
	}
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : NAN;
}

static void pair_signals(struct xlb_brain *brain, struct brain_pair *p,
			 const struct xlb_brain_obs *o, double dt)
{
	const struct xlb_brain_config *cfg = &brain->cfg;
	bool agent = o->metrics_age_s <= cfg->staleness_limit_s;
	double cpu = agent ? o->cpu_util : NAN;
	double mem = agent ? o->mem_util : NAN;
	double svc = agent ? o->service_latency_s : NAN;
	double latency = isfinite(svc) ? svc : o->probe_latency_s;
	double req = isfinite(o->new_flows_per_s) ? o->new_flows_per_s
						  : o->packets_per_s;
	unsigned int probes = o->probes_ok + o->probes_failed;
	double fail = probes ? (double)o->probes_failed / probes : NAN;
	double svc_fail = agent ? o->service_fail_ratio : NAN;
	double cost = NAN;

	if (isfinite(svc_fail) && !(fail >= svc_fail))
		fail = svc_fail;
	p->latency_last = agent ? o->service_latency_last_s : NAN;
	/*
	 * Connections in flight: new minus ended, integrated (Prequal). A
	 * pair that is down holds none (its flows moved at once, and a dead
	 * server's connections end with no client FIN the LB could count).
	 */
	if (p->health == XLB_HEALTH_DOWN) {
		p->in_flight = 0;
	} else if (isfinite(o->new_flows_per_s) &&
		   isfinite(o->ended_flows_per_s)) {
		double f = isfinite(p->in_flight) ? p->in_flight : 0;

		f += (o->new_flows_per_s - o->ended_flows_per_s) * dt;
		/* under a millionth is the sum's rounding, not a connection */
		p->in_flight = f > 1e-6 ? f : 0;
	} else {
		p->in_flight = NAN;
	}
	/* this tick's load per request: the quick view of its cost */
	p->busy_ticks = req >= 1.0 ? p->busy_ticks + 1 : 0;
	if (isfinite(cpu) && brain_cost_known(brain, p))
		cost = cpu / req;

	double raw[SIG_N] = {
		[SIG_CPU] = cpu,
		[SIG_LATENCY] = latency,
		[SIG_IN_FLIGHT] = p->in_flight,
		[SIG_FAIL] = fail,
		[SIG_COST] = cost,
		[SIG_MEM] = mem,
		[SIG_REQ] = req,
	};

	pair_signals_update(cfg, p, raw, brain->now);
	p->cost_change = ratio(p->level[SIG_COST], p->sig[SIG_COST].mean);
}

static double feature_value(const struct brain_pair *p, int f)
{
	if (f == FEAT_COST_CHANGE_Z)
		return p->cost_change;
	return p->level[feature_signal[f]];
}

/*
 * Fleet medians and robust z-scores of one VIP's eligible pairs. One pass
 * gathers every feature's values (brain->rows, free until the models
 * stage, as FEAT_N columns), one writes every z: the pairs are read twice
 * a tick, not twice per feature.
 */
static void fleet_relative(struct xlb_brain *brain, size_t vip)
{
	size_t stride = brain->vip_first[vip + 1] - brain->vip_first[vip];
	double median[FEAT_N], scale[FEAT_N], *col = brain->rows;
	size_t n[FEAT_N] = { 0 };

	for_each_vip_pair (brain, vip, pos, i) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];

		if (!p->eligible)
			continue;
		for (int f = 0; f < FEAT_N; f++) {
			double x = feature_value(p, f);

			if (isfinite(x))
				col[f * stride + n[f]++] = x;
		}
	}
	for (int f = 0; f < FEAT_N; f++) {
		double *v = &col[f * stride], m = brain_median(v, n[f]), mad;

		for (size_t i = 0; i < n[f]; i++)
			v[i] = fabs(v[i] - m);
		mad = brain_median(v, n[f]);
		median[f] = m;
		scale[f] = 1.4826 * mad;
		if (scale[f] < spread_floor_rel[f] * fabs(m))
			scale[f] = spread_floor_rel[f] * fabs(m);
		if (scale[f] < spread_floor[f])
			scale[f] = spread_floor[f];
	}
	for_each_vip_pair (brain, vip, pos, i) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];

		for (int f = 0; f < FEAT_N; f++) {
			double z = (feature_value(p, f) - median[f]) / scale[f];

			p->fleet_median[f] = median[f];
			if (z > BRAIN_Z_CLAMP)
				z = BRAIN_Z_CLAMP;
			if (z < -BRAIN_Z_CLAMP)
				z = -BRAIN_Z_CLAMP;
			p->z_known[f] = isfinite(z) && n[f] >= 2;
			p->z[f] = p->z_known[f] ? z : NAN;
		}
	}
}

/*
 * The sustained-deviation rule, on the cost (the signal of a backend
 * losing capacity; latency differs across a mixed fleet by nature): the
 * cost over its own long-run level, as a robust z against the fleet's
 * same ratio, so a change all share cancels. Page's CUSUM of it,
 * S = max(0, S + min(z, strong) - min_z / 4), is anomalous while
 * S >= 3 x strong: a tick adds at most strong - min_z / 4 (7), so one wild
 * reading cannot trip it, and noise under min_z / 4 never adds up; z held
 * at 4 for 8 ticks does, 2 for 24. The long-run level learns only while
 * S is 0 (in control), so a slow drift (a quota ramped down over minutes,
 * a degrading disk) is measured against the level before it, which the
 * 30-tick own mean of cost_change follows; it is a running mean for its
 * first window ticks, which are not judged. A pair in slow start is not
 * judged either; one down (a restart) learns its level again on return.
 * A tick with too few requests to tell a cost (under CUSUM_MIN_REQ) adds
 * nothing, and the CUSUM decays.
 */
#define CUSUM_BOUND 3.0
#define CUSUM_BASE_TICKS 300.0
/* Under this many requests a second, a tick's cost is noise: not used. */
#define CUSUM_MIN_REQ 5.0

static double pair_cost_known(const struct brain_pair *p)
{
	return p->level[SIG_REQ] >= CUSUM_MIN_REQ ? p->level[SIG_COST] : NAN;
}

static void cost_cusum_vip(struct xlb_brain *brain, size_t vip)
{
	const struct xlb_brain_config *cfg = &brain->cfg;
	double *v = brain->scratch, median, scale, k = cfg->anomaly_min_z / 4;
	size_t n = 0;

	for_each_vip_pair (brain, vip, pos, i) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];
		double c = pair_cost_known(p);

		p->cost_long = c > 0 && p->cost_base > 0 ? c / p->cost_base
							 : NAN;
		if (p->eligible && p->cost_base_n >= cfg->window &&
		    isfinite(p->cost_long))
			v[n++] = p->cost_long;
	}
	median = brain_median(v, n);
	for (size_t i = 0; i < n; i++)
		v[i] = fabs(v[i] - median);
	scale = fmax(1.4826 * brain_median(v, n),
		     fmax(spread_floor_rel[FEAT_COST_CHANGE_Z] * fabs(median),
			  spread_floor[FEAT_COST_CHANGE_Z]));
	for_each_vip_pair (brain, vip, pos, i) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];
		double c = pair_cost_known(p), z;

		p->cost_long_median = median;
		if (!p->eligible || p->health != XLB_HEALTH_OK) {
			/*
			 * Back from an outage (a restart), it is measured as
			 * it is then; back from a drain, against the level it
			 * had before the drift.
			 */
			if (p->health != XLB_HEALTH_DRAINING)
				p->cost_base_n = 0;
			p->cost_cusum = 0;
			p->sustained = false;
			continue;
		}
		if (c > 0 &&
		    (p->cost_cusum == 0 || p->cost_base_n < cfg->window)) {
			p->cost_base_n++;
			p->cost_base += (c - p->cost_base) /
					fmin(p->cost_base_n, CUSUM_BASE_TICKS);
		}
		if (p->cost_base_n < cfg->window ||
		    isfinite(p->slow_start_since)) {
			p->cost_cusum = 0;
			p->sustained = false;
			continue;
		}
		z = (p->cost_long - median) / scale;
		if (isfinite(z) && n >= 2)
			p->cost_cusum = fmax(
				0, p->cost_cusum +
					   fmin(z, cfg->anomaly_strong_z) - k);
		else
			p->cost_cusum = fmax(0, p->cost_cusum - k);
		p->sustained = p->cost_cusum >=
			       CUSUM_BOUND * cfg->anomaly_strong_z;
	}
}

/*
 * The signal states of a pair some positions ahead in VIP order, and later
 * its ring row: one pair's update is a dozen cache lines, which arrive in
 * time instead of one miss after another.
 */
#define PREFETCH_STATE_AHEAD 8
#define PREFETCH_RING_AHEAD 4

static void prefetch_signals(const struct xlb_brain *brain,
			     const struct xlb_brain_snapshot *snap, size_t pos)
{
	const struct brain_pair *q;
	size_t ahead = pos + PREFETCH_STATE_AHEAD;

	if (ahead < snap->n_pairs) {
		q = brain->pairs[brain->slot_of[brain->by_vip[ahead]]];
		brain_prefetch(q, &q->ring_n + 1);
	}
	ahead = pos + PREFETCH_RING_AHEAD;
	if (ahead < snap->n_pairs) {
		q = brain->pairs[brain->slot_of[brain->by_vip[ahead]]];
		brain_prefetch(&q->ring[(size_t)q->ring_pos * SIG_N],
			       &q->ring[(size_t)(q->ring_pos + 1) * SIG_N]);
	}
}

/*
 * VIP by VIP, so that its pairs are still in cache for its fleet-relative
 * pass (a pair's features depend only on its own VIP's fleet).
 */
void brain_features(struct xlb_brain *brain,
		    const struct xlb_brain_snapshot *snap, double dt)
{
	for (size_t vip = 0; vip < snap->n_vips; vip++) {
		for_each_vip_pair (brain, vip, pos, i) {
			prefetch_signals(brain, snap, pos);
			pair_signals(brain, brain->pairs[brain->slot_of[i]],
				     &snap->pairs[i].obs, dt);
		}
		fleet_relative(brain, vip);
		cost_cusum_vip(brain, vip);
	}
}
