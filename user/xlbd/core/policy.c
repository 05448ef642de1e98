// SPDX-License-Identifier: GPL-2.0
/*
 * Policy: each eligible pair's factor moves toward the weight that
 * equalises predicted utilisation across its VIP (utilisation_i =
 * demand x share_i x cost_i is equal when share_i is proportional to
 * 1 / cost_i, Unimog's rule; gRPC WRR's weight = rate / utilisation is the
 * same estimate). A pair whose in-flight count or latency stands far above
 * the fleet's (Prequal's hot rule) is halved at once, and again each tick
 * it stays so (HOT_DWELL_S says on what). Otherwise the change per tick is
 * bounded and changes under the hysteresis are not made, so a steady fleet
 * converges and stops.
 */
#include "internal.h"

/* Smoothing of the equalising target, so that noise does not steer. */
#define TARGET_SMOOTHING 0.3
/*
 * Under this fleet median CPU there is nothing to equalise, and the cost
 * estimates are mostly noise: factors stay where they are.
 */
#define EQUALISE_MIN_UTIL 0.05
/* What a hot tick leaves of a pair's factor. */
#define HOT_CUT 0.5
/*
 * For this long after a hot cut the pair's latency cannot say whether the
 * cut worked: the agents' latency is the mean of the probes finished since
 * the last scrape, and those queued behind the backlog of before the cut
 * (on it a backend whose backlog had drained was halved four more ticks, 1
 * to 0.05, and took 28 s to climb back). Meanwhile only what is current
 * cuts it again: its in-flight count, which the data plane counts as it
 * is, and the agent's last finished probe alone (a slow backend's is still
 * slow; a Prometheus source has none), and the equaliser leaves it where
 * the cut put it.
 */
#define HOT_DWELL_S 3.0

/*
 * The cost per request: load over requests, smoothed (models.c). Shares
 * proportional to its inverse make the measured utilisations equal, idle
 * load included; the regression's b + c is the marginal cost and would
 * not (it drives the capacity plan, capacity.c).
 */
static double pair_cost(const struct brain_pair *p)
{
	return p->cost_ratio > 0 ? p->cost_ratio : NAN;
}

/*
 * How hot a pair runs: its latency or in-flight count over the fleet
 * median's, when both the ratio and the margin are past their bounds; 0
 * when it is not hot. Within HOT_DWELL_S of its last cut its latency is
 * the last probe's.
 */
static bool hot_dwelling(const struct xlb_brain *brain,
			 const struct brain_pair *p)
{
	return brain->now - p->hot_cut_at < HOT_DWELL_S;
}

static double hotness(const struct xlb_brain *brain, const struct brain_pair *p)
{
	const struct xlb_brain_config *cfg = &brain->cfg;
	double lat = hot_dwelling(brain, p) ? p->latency_last
					    : p->level[SIG_LATENCY];
	double lat_med = p->fleet_median[FEAT_LATENCY_Z];
	double fl = p->in_flight, fl_med = p->fleet_median[FEAT_IN_FLIGHT_Z];
	double h = 0;

	if (isfinite(lat) && isfinite(lat_med) &&
	    lat - lat_med >= cfg->hot_min_latency_s &&
	    lat >= cfg->hot_ratio * lat_med)
		h = lat / fmax(lat_med, 1e-6);
	if (isfinite(fl) && isfinite(fl_med) &&
	    fl - fl_med >= cfg->hot_min_in_flight &&
	    fl >= cfg->hot_ratio * fl_med)
		h = fmax(h, fl / fmax(fl_med, 0.5));
	return h;
}

/*
 * The hot rule on a VIP: the hottest pairs, no more of them than the
 * ejection cap allows (Prequal avoids the hot ones among its candidates; it
 * never avoids them all), so that a cut cannot cascade over the fleet as
 * the traffic it sheds heats the rest.
 */
static void mark_hot(struct xlb_brain *brain,
		     const struct xlb_brain_snapshot *snap, size_t vip)
{
	const struct xlb_brain_config *cfg = &brain->cfg;
	unsigned int eligible = 0, cap, n_hot = 0;
	double *hot = brain->scratch, edge = 0;
	size_t n = 0;

	for_each_vip_pair (brain, vip, pos, i) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];

		brain_prefetch_vip_pair(brain, snap, pos);
		p->hot = false;
		p->hotness = 0;
		if (!p->eligible || p->health != XLB_HEALTH_OK)
			continue;
		eligible++;
		p->hotness = hotness(brain, p);
		if (p->hotness > 0)
			hot[n++] = p->hotness;
	}
	cap = (unsigned int)(eligible * cfg->max_ejection_percent / 100);
	if (cap < 1)
		cap = 1;
	/*
	 * Hottest first, the first in VIP order among equals: all above the
	 * cap-th hotness, then its equals in order, in two passes (picking
	 * the hottest one pass at a time took cap passes).
	 */
	if (n > cap)
		edge = brain_kth(hot, n, n - cap);
	for_each_vip_pair (brain, vip, pos, i) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];

		if (p->hotness > edge) {
			p->hot = true;
			n_hot++;
		}
	}
	if (n <= cap)
		return;
	for_each_vip_pair (brain, vip, pos, i) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];

		if (n_hot < cap && p->hotness == edge) {
			p->hot = true;
			n_hot++;
		}
	}
}

static double clamp(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

static void vip_policy(struct xlb_brain *brain,
		       const struct xlb_brain_snapshot *snap, size_t vip)
{
	const struct xlb_brain_config *cfg = &brain->cfg;
	struct brain_vip *v = &brain->vips[brain->vip_of[vip]];
	double base_sum = 0, cap_sum = 0, weight_sum = 0, util_sum = 0;
	unsigned int n_util = 0;

	int source = LOAD_NONE;

	mark_hot(brain, snap, vip);
	/* costs compare in one unit: CPU when any pair has an agent */
	for_each_vip_pair (brain, vip, pos, i) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];

		if (!p->eligible)
			continue;
		if (p->load_source == LOAD_CPU)
			source = LOAD_CPU;
		else if (p->load_source == LOAD_LATENCY && source == LOAD_NONE)
			source = LOAD_LATENCY;
	}
	/* the pairs that take traffic, and what their capacities sum to */
	for_each_vip_pair (brain, vip, pos, i) {
		const struct xlb_brain_pair_in *in = &snap->pairs[i];
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];
		double cost;

		if (!p->eligible || p->health != XLB_HEALTH_OK)
			continue;
		cost = p->load_source == source ? pair_cost(p) : NAN;
		if (p->hot || hot_dwelling(brain, p) || !isfinite(cost) ||
		    !in->base_weight)
			continue;
		base_sum += in->base_weight;
		cap_sum += 1.0 / cost;
	}
	for_each_vip_pair (brain, vip, pos, i) {
		const struct xlb_brain_pair_in *in = &snap->pairs[i];
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];
		double cost, target, f = p->policy_factor, next;

		if (!p->eligible || p->health != XLB_HEALTH_OK) {
			p->hot = false;
			continue;
		}
		if (p->hot) {
			/* halved each hot tick: little new traffic at once */
			p->policy_factor = fmax(cfg->min_factor, f * HOT_CUT);
			p->target_smooth = p->policy_factor;
			p->hot_cut_at = brain->now;
			continue;
		}
		/* within the dwell the cut holds: its effect is not known yet */
		if (hot_dwelling(brain, p))
			continue;
		cost = p->load_source == source ? pair_cost(p) : NAN;
		if (source == LOAD_CPU &&
		    !(p->fleet_median[FEAT_CPU_Z] >= EQUALISE_MIN_UTIL))
			continue;
		/*
		 * Latency as the load (no agent) means queueing only once the
		 * fleet's own latency is well above a connect's: below the hot
		 * rule's floor its differences are noise, not cost.
		 */
		if (source == LOAD_LATENCY &&
		    !(p->fleet_median[FEAT_LATENCY_Z] >=
		      cfg->hot_min_latency_s))
			continue;
		if (!isfinite(cost) || !in->base_weight || cap_sum <= 0)
			continue; /* nothing known: keep the factor */
		/* share proportional to capacity, total base weight kept */
		target = (1.0 / cost) / cap_sum * base_sum / in->base_weight;
		target = clamp(target, cfg->min_factor,
			       XLB_FACTOR_MAX / (double)XLB_FACTOR_ONE);
		p->target_smooth =
			isfinite(p->target_smooth)
				? (1 - TARGET_SMOOTHING) * p->target_smooth +
					  TARGET_SMOOTHING * target
				: target;
		next = clamp(p->target_smooth, f * (1 - cfg->max_step),
			     f * (1 + cfg->max_step));
		/* a full CPU takes no more: its queue would only grow */
		if (source == LOAD_CPU && p->level[SIG_CPU] >= BRAIN_CPU_FULL)
			next = fmin(next, f);
		next = clamp(next, cfg->min_factor,
			     XLB_FACTOR_MAX / (double)XLB_FACTOR_ONE);
		/*
		 * Two thresholds: a settled factor moves again only for twice
		 * the hysteresis; once moving, it goes on down to it. Noise
		 * around a converged fleet then writes nothing.
		 */
		if (fabs(next - f) >=
		    cfg->hysteresis * f * (p->settled ? 2 : 1)) {
			p->policy_factor = next;
			p->settled = false;
		} else {
			p->settled = true;
		}
	}
	/* predicted utilisation: forecast demand x share x cost */
	for_each_vip_pair (brain, vip, pos, i) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];

		if (p->eligible && p->health == XLB_HEALTH_OK)
			weight_sum +=
				snap->pairs[i].base_weight * p->policy_factor;
	}
	for_each_vip_pair (brain, vip, pos, i) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];
		double cost = pair_cost(p);

		p->predicted_util = NAN;
		if (!p->eligible || p->health != XLB_HEALTH_OK ||
		    !(weight_sum > 0) || !isfinite(v->forecast) ||
		    !isfinite(cost))
			continue;
		p->predicted_util = v->forecast * cost *
				    snap->pairs[i].base_weight *
				    p->policy_factor / weight_sum;
		util_sum += p->predicted_util;
		n_util++;
	}
	v->predicted_util = n_util ? util_sum / n_util : NAN;
}

void brain_policy(struct xlb_brain *brain,
		  const struct xlb_brain_snapshot *snap,
		  struct xlb_brain_plan *plan)
{
	(void)plan;
	for (size_t vip = 0; vip < snap->n_vips; vip++)
		vip_policy(brain, snap, vip);
}
