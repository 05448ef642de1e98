// SPDX-License-Identifier: GPL-2.0
/*
 * Hard failures, outside the tick: fall consecutive failed probes take a
 * pair down at once (never capped: a backend that refuses connections is
 * down), rise consecutive successes bring it back through slow start.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/*
 * " in N ms": how long the run of results took, so that a log shows
 * whether the probes after the first came fast (xlbd's fast_interval_s).
 */
static void run_span(const struct brain_pair *p, unsigned int run, double now,
		     char *buf, size_t len)
{
	buf[0] = 0;
	if (run > 1 && isfinite(p->run_since) && now >= p->run_since)
		snprintf(buf, len, " in %.0f ms", (now - p->run_since) * 1e3);
}

/* The decision of a health transition of p (from old, old_factor). */
static void fill(const struct xlb_brain_config *cfg, const struct brain_pair *p,
		 __u32 old, __u32 old_factor, double latency_s, double now,
		 struct xlb_brain_decision *decision)
{
	char span[32];

	memset(decision, 0, sizeof(*decision));
	decision->pair = 0;
	decision->old_health = old;
	decision->new_health = p->health;
	decision->old_factor = old_factor;
	decision->new_factor = p->factor;
	decision->old_op_state = decision->new_op_state = XLB_OP_ACTIVE;
	decision->anomaly_score = p->score;
	decision->predicted_util = p->predicted_util;
	if (p->health == XLB_HEALTH_DOWN) {
		decision->rule = XLB_RULE_PROBE_DOWN;
		run_span(p, p->fail_run, now, span, sizeof(span));
		snprintf(decision->reason, sizeof(decision->reason),
			 "%u consecutive probe failures%s (fall %u): down",
			 p->fail_run, span, cfg->probe_fall);
	} else {
		decision->rule = XLB_RULE_PROBE_UP;
		run_span(p, p->ok_run, now, span, sizeof(span));
		snprintf(decision->reason, sizeof(decision->reason),
			 "%u consecutive probe successes%s (rise %u, last %.1f "
			 "ms): back through slow start from %.0f%%",
			 p->ok_run, span, cfg->probe_rise, latency_s * 1e3,
			 cfg->slow_start_from * 100);
	}
}

int xlb_brain_probe_result(struct xlb_brain *brain, const char *pair_key,
			   double now, bool ok, double latency_s,
			   struct xlb_brain_decision *decision)
{
	const struct xlb_brain_config *cfg = &brain->cfg;
	struct brain_pair *p = brain_pair_get(brain, pair_key, true);
	__u32 old, old_factor;

	if (!p)
		return 0; /* out of memory: the next tick retries */
	if (ok ? !p->ok_run : !p->fail_run)
		p->run_since = now;
	if (ok) {
		p->ok_run++;
		p->fail_run = 0;
	} else {
		p->fail_run++;
		p->ok_run = 0;
	}
	old = p->health;
	old_factor = p->factor;
	if (!ok && p->fail_run >= cfg->probe_fall && old != XLB_HEALTH_DOWN) {
		p->health = XLB_HEALTH_DOWN;
		p->slow_start_since = NAN;
	} else if (ok && old == XLB_HEALTH_DOWN &&
		   p->ok_run >= cfg->probe_rise) {
		/* an anomaly ejection still running keeps it draining */
		p->health = isfinite(p->eject_until) && now < p->eject_until
				    ? XLB_HEALTH_DRAINING
				    : XLB_HEALTH_OK;
		p->slow_start_since = now;
		/* its down time is the probes' finding, not an anomaly */
		p->anomaly_bits = 0;
		p->anomalous = false;
		p->anomaly_quiet_until =
			now + (cfg->anomaly_m + 1) * cfg->tick_s;
		p->factor = brain_factor_fixed(
			p->policy_factor *
			brain_slow_start_mult(cfg, p->slow_start_since, now));
	} else {
		return 0;
	}

	fill(cfg, p, old, old_factor, latency_s, now, decision);
	return 1;
}

/*
 * Another LB host's probes found the pair down and the leader asks its
 * own: its last probe failed (one is enough, the reporter saw fall) ->
 * down at once, as if fall had been reached here.
 */
int xlb_brain_probe_confirm_down(struct xlb_brain *brain, const char *pair_key,
				 struct xlb_brain_decision *decision)
{
	const struct xlb_brain_config *cfg = &brain->cfg;
	struct brain_pair *p = brain_pair_get(brain, pair_key, false);
	__u32 old;

	if (!p || !p->fail_run || p->health == XLB_HEALTH_DOWN)
		return 0;
	old = p->health;
	p->health = XLB_HEALTH_DOWN;
	p->slow_start_since = NAN;
	fill(cfg, p, old, p->factor, NAN, NAN, decision);
	snprintf(decision->reason, sizeof(decision->reason),
		 "reported down by another host; this host's last probe "
		 "failed too (%u in a row): down",
		 p->fail_run);
	return 1;
}
