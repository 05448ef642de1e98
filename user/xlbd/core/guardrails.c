// SPDX-License-Identifier: GPL-2.0
/*
 * Guardrails, in one place (Envoy's outlier detection keeps its ejection
 * bookkeeping the same way): anomaly drains after k of m ticks, capped at
 * max_ejection_percent of a VIP's eligible pairs (at least one may go) and
 * never the last healthy one; ejection time doubling per repeat and
 * decaying while healthy; the panic threshold; slow start after recovery;
 * and the decisions, each with its rule, reason and deviating features.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

__u32 brain_factor_fixed(double f)
{
	double x = round(f * XLB_FACTOR_ONE);

	if (!(x >= 1))
		return 1;
	return x > XLB_FACTOR_MAX ? XLB_FACTOR_MAX : (__u32)x;
}

double brain_slow_start_mult(const struct xlb_brain_config *cfg, double since,
			     double now)
{
	double t;

	if (!isfinite(since) || cfg->slow_start_s <= 0)
		return 1.0;
	t = (now - since) / cfg->slow_start_s;
	if (t >= 1)
		return 1.0;
	if (t < 0)
		t = 0;
	t = pow(t, 1.0 / cfg->slow_start_aggression);
	return t > cfg->slow_start_from ? t : cfg->slow_start_from;
}

/* The three features that deviate most, for the log. */
void brain_explain(const struct xlb_brain *brain, const struct brain_pair *p,
		   struct xlb_brain_decision *d)
{
	bool used[FEAT_N] = { false };

	(void)brain;
	d->n_top = 0;
	while (d->n_top < XLB_BRAIN_TOP_FEATURES) {
		int best = -1;

		for (int f = 0; f < FEAT_N; f++)
			if (!used[f] && p->z_known[f] &&
			    (best < 0 || fabs(p->z[f]) > fabs(p->z[best])))
				best = f;
		if (best < 0)
			break;
		used[best] = true;

		struct xlb_brain_feature_dev *t = &d->top[d->n_top++];
		int sig = brain_feature_signal(best);

		snprintf(t->name, sizeof(t->name), "%s",
			 brain_feature_name(best));
		if (best == FEAT_COST_CHANGE_Z) {
			t->value = p->cost_change;
			t->own_mean = 1.0; /* a ratio to its own mean */
		} else {
			t->value = p->level[sig];
			t->own_mean = p->sig[sig].mean;
		}
		t->fleet_median = p->fleet_median[best];
	}
}

static struct xlb_brain_decision *
decide(struct xlb_brain *brain, struct xlb_brain_plan *plan, size_t pair,
       const struct brain_pair *p, enum xlb_brain_rule rule)
{
	struct xlb_brain_decision *d = &plan->decisions[plan->n_decisions++];

	memset(d, 0, sizeof(*d));
	d->pair = pair;
	d->rule = rule;
	d->old_op_state = d->new_op_state = XLB_OP_ACTIVE;
	d->anomaly_score = p->score;
	d->predicted_util = p->predicted_util;
	brain_explain(brain, p, d);
	return d;
}

static const char *top_feature(const struct brain_pair *p)
{
	return p->max_z_feature >= 0 ? brain_feature_name(p->max_z_feature)
				     : "none";
}

static double ejection_time(const struct xlb_brain_config *cfg,
			    unsigned int ejections)
{
	double t = cfg->ejection_base_s;

	for (unsigned int i = 1; i < ejections && t < cfg->ejection_max_s; i++)
		t *= 2;
	return t < cfg->ejection_max_s ? t : cfg->ejection_max_s;
}

/* Health transitions of one VIP: ejection ends, panic, anomaly drains. */
static void vip_health(struct xlb_brain *brain, size_t vip,
		       struct xlb_brain_plan *plan, __u32 *old_health)
{
	const struct xlb_brain_config *cfg = &brain->cfg;
	struct brain_vip *v = &brain->vips[brain->vip_of[vip]];
	unsigned int eligible = 0, healthy = 0, ejected = 0, allowed;
	double now = brain->now;

	for_each_vip_pair (brain, vip, pos, i) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];

		if (!p->eligible)
			continue;
		/* ejection over: back through slow start, verdicts reset */
		if (p->health == XLB_HEALTH_DRAINING &&
		    !(now < p->eject_until)) {
			p->health = XLB_HEALTH_OK;
			p->eject_until = NAN;
			p->slow_start_since = now;
			p->anomaly_bits = 0;
			p->anomalous = false;
			p->healthy_since = now;
		}
		/* a repeat forgotten per ejection_decay_s of good health */
		if (p->health == XLB_HEALTH_OK && p->ejections &&
		    now - p->healthy_since >= cfg->ejection_decay_s) {
			p->ejections--;
			p->healthy_since = now;
		}
		eligible++;
		healthy += p->health == XLB_HEALTH_OK;
		ejected += p->health != XLB_HEALTH_OK;
	}
	v->active = eligible;
	v->desired = eligible;
	v->panic = eligible && healthy < cfg->panic_threshold * eligible;
	if (v->panic) {
		/* too few healthy: spread over every pair that answers probes */
		for_each_vip_pair (brain, vip, pos, i) {
			struct brain_pair *p = brain->pairs[brain->slot_of[i]];

			if (!p->eligible || p->health != XLB_HEALTH_DRAINING)
				continue;
			p->health = XLB_HEALTH_OK;
			p->eject_until = NAN;
			p->slow_start_since = NAN;
			p->anomaly_bits = 0;
			p->anomalous = false;
			struct xlb_brain_decision *d =
				decide(brain, plan, i, p, XLB_RULE_PANIC);

			d->old_health = old_health[i];
			snprintf(d->reason, sizeof(d->reason),
				 "panic: %u of %u backends healthy (threshold "
				 "%.0f%%): anomaly drains lifted, traffic over "
				 "every backend answering probes",
				 healthy, eligible, cfg->panic_threshold * 100);
		}
		return;
	}

	allowed = cfg->max_ejection_percent > 0
			  ? (unsigned int)(eligible *
					   cfg->max_ejection_percent / 100)
			  : 0;
	if (cfg->max_ejection_percent > 0 && allowed < 1)
		allowed = 1;
	/* worst first, until the cap or the last healthy pair */
	for (;;) {
		struct brain_pair *worst = NULL;
		size_t wi = 0;

		for_each_vip_pair (brain, vip, pos, i) {
			struct brain_pair *p = brain->pairs[brain->slot_of[i]];

			if (!p->eligible || p->health != XLB_HEALTH_OK ||
			    !p->anomalous || p->refusal_logged)
				continue;
			if (!worst || p->max_z > worst->max_z) {
				worst = p;
				wi = i;
			}
		}
		if (!worst)
			break;
		if (ejected >= allowed || healthy <= 1) {
			struct xlb_brain_decision *d = decide(
				brain, plan, wi, worst, XLB_RULE_GUARDRAIL);

			worst->refusal_logged = true;
			d->old_health = d->new_health = worst->health;
			snprintf(d->reason, sizeof(d->reason),
				 "drain refused: %s (%s deviates most), but %s",
				 "anomalous", top_feature(worst),
				 healthy <= 1 ? "it is the last healthy backend"
					      : "max_ejection_percent reached");
			continue;
		}
		worst->ejections++;
		worst->health = XLB_HEALTH_DRAINING;
		worst->eject_until = now + ejection_time(cfg, worst->ejections);
		worst->slow_start_since = NAN;
		ejected++;
		healthy--;

		struct xlb_brain_decision *d =
			decide(brain, plan, wi, worst, XLB_RULE_ANOMALY_DRAIN);

		d->old_health = old_health[wi];
		snprintf(d->reason, sizeof(d->reason),
			 "anomalous %d of %u ticks (score %.2f): %s %.4g vs "
			 "fleet median %.4g (own mean %.4g); drained for %.0f "
			 "s (ejection %u)",
			 __builtin_popcount(worst->anomaly_bits),
			 cfg->anomaly_m, worst->score,
			 d->n_top ? d->top[0].name : "?",
			 d->n_top ? d->top[0].value : NAN,
			 d->n_top ? d->top[0].fleet_median : NAN,
			 d->n_top ? d->top[0].own_mean : NAN,
			 worst->eject_until - now, worst->ejections);
		if (worst->sustained) {
			size_t len = strlen(d->reason);

			snprintf(d->reason + len, sizeof(d->reason) - len,
				 "; sustained: cost %.3gx its long-run level "
				 "(fleet median %.3gx), CUSUM %.0f",
				 worst->cost_long, worst->cost_long_median,
				 worst->cost_cusum);
		}
	}
	for_each_vip_pair (brain, vip, pos, i) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];

		if (!p->anomalous)
			p->refusal_logged = false;
	}
}

static void factor_reason(const struct brain_pair *p,
			  struct xlb_brain_decision *d, double mult)
{
	switch (d->rule) {
	case XLB_RULE_HOT:
		snprintf(d->reason, sizeof(d->reason),
			 "hot: latency_s %.4g vs fleet median %.4g, in_flight "
			 "%.4g vs fleet median %.4g: little new traffic at "
			 "once",
			 p->level[SIG_LATENCY], p->fleet_median[FEAT_LATENCY_Z],
			 p->in_flight, p->fleet_median[FEAT_IN_FLIGHT_Z]);
		break;
	case XLB_RULE_SLOW_START:
		snprintf(d->reason, sizeof(d->reason),
			 "slow start: %.0f%% of its factor %.3f", mult * 100,
			 p->policy_factor);
		break;
	default:
		snprintf(d->reason, sizeof(d->reason),
			 "toward equal predicted utilisation: cost %.4g per "
			 "request (regression b+c %.4g), target factor %.3f, "
			 "predicted utilisation %.3f",
			 p->cost_ratio, p->cost, p->target_smooth,
			 p->predicted_util);
		break;
	}
	if (d->n_top) {
		size_t len = strlen(d->reason);

		snprintf(d->reason + len, sizeof(d->reason) - len,
			 "; most deviating: %s %.4g vs fleet median %.4g (own "
			 "mean %.4g)",
			 d->top[0].name, d->top[0].value,
			 d->top[0].fleet_median, d->top[0].own_mean);
	}
}

void brain_guardrails(struct xlb_brain *brain,
		      const struct xlb_brain_snapshot *snap,
		      struct xlb_brain_plan *plan)
{
	const struct xlb_brain_config *cfg = &brain->cfg;
	/*
	 * The health each pair had before this tick, for the decisions: a
	 * VIP's health rules change only its own pairs.
	 */
	__u32 *old_health = (__u32 *)brain->scratch;
	size_t *decision_of = brain->decision_of, n_health;

	for (size_t vip = 0; vip < snap->n_vips; vip++) {
		for_each_vip_pair (brain, vip, pos, i) {
			brain_prefetch_vip_pair(brain, snap, pos);
			old_health[i] = brain->pairs[brain->slot_of[i]]->health;
		}
		vip_health(brain, vip, plan, old_health);
	}
	n_health = plan->n_decisions;
	/* each pair's health decision (index + 1), read by the pass below */
	for (size_t j = 0; j < n_health; j++)
		decision_of[plan->decisions[j].pair] = j + 1;

	/* factors: policy x slow start, written past the hysteresis */
	for (size_t i = 0; i < snap->n_pairs; i++) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];

		brain_prefetch_pair(brain, snap, i);
		double mult = brain_slow_start_mult(cfg, p->slow_start_since,
						    brain->now);
		__u32 want, old = p->factor;
		struct xlb_brain_decision *d = NULL;
		bool health_changed = p->health != old_health[i];
		bool ramp_ended = isfinite(p->slow_start_since) && mult >= 1.0;

		if (ramp_ended)
			p->slow_start_since = NAN;
		if (!p->eligible)
			continue;
		want = p->health == XLB_HEALTH_OK
			       ? brain_factor_fixed(p->policy_factor * mult)
			       : old;
		bool moved = want != old && (fabs((double)want - old) >=
						     cfg->hysteresis * old ||
					     p->hot || ramp_ended);

		/* decisions of this tick's health rules are already made */
		if (decision_of[i])
			d = &plan->decisions[decision_of[i] - 1];
		if (!moved && !(health_changed && !d)) {
			if (d) {
				d->old_factor = d->new_factor = old;
				d->new_health = p->health;
			}
			continue;
		}
		if (moved)
			p->factor = want;
		if (!d) {
			enum xlb_brain_rule rule = XLB_RULE_EQUALISE;

			if (health_changed)
				rule = XLB_RULE_EJECTION_END;
			else if (p->hot)
				rule = XLB_RULE_HOT;
			else if (isfinite(p->slow_start_since))
				rule = XLB_RULE_SLOW_START;
			d = decide(brain, plan, i, p, rule);
			d->old_health = old_health[i];
			if (rule == XLB_RULE_EJECTION_END)
				snprintf(d->reason, sizeof(d->reason),
					 "ejection time over: back through "
					 "slow start from %.0f%%",
					 cfg->slow_start_from * 100);
			else
				factor_reason(p, d, mult);
		}
		d->old_factor = old;
		d->new_factor = p->factor;
		d->new_health = p->health;
	}
	for (size_t j = 0; j < n_health; j++)
		decision_of[plan->decisions[j].pair] = 0;
}
