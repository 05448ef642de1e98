// SPDX-License-Identifier: GPL-2.0
/*
 * The standby pool (user/xlbd/core/capacity.c) driven by scripted
 * snapshots: a small fleet of equal backends, some of them standby, a
 * demand script, the plan applied as xlbd applies it (operator state,
 * factor, health, and the pool bit in the intent reason).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brain.h"
#include "testing.h"

#define SIM_MAX 8
#define CAPACITY 1000.0 /* requests per second at 100% CPU, each backend */

struct sim {
	struct xlb_brain_config cfg;
	struct xlb_brain *brain;
	struct xlb_brain_snapshot snap;
	struct xlb_brain_vip_in vip;
	struct xlb_brain_pair_in pairs[SIM_MAX];
	struct xlb_brain_plan plan;
	size_t n;
	double now, demand;
	double in_flight[SIM_MAX];
	uint64_t rng;
	/* over the run */
	unsigned int ups, downs, to_standby, op_writes_on[SIM_MAX];
	double first_up_util; /* the actives' real utilisation then */
	double change_at[64];
	unsigned int n_changes;
	double max_util; /* of the active backends, every tick */
};

static double sim_noise(struct sim *s) /* uniform in [-1, 1) */
{
	s->rng = s->rng * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(s->rng >> 11) / (double)(1ull << 52) - 1.0;
}

/* n backends; the last n_standby start in operator state standby. */
static int sim_init(struct sim *s, size_t n, size_t n_standby, double demand)
{
	memset(s, 0, sizeof(*s));
	xlb_brain_config_default(&s->cfg);
	s->n = n;
	s->demand = demand;
	s->now = 1000;
	s->rng = 7;
	s->first_up_util = NAN;
	snprintf(s->vip.key, sizeof(s->vip.key), "10.0.0.1:80/tcp");
	for (size_t i = 0; i < n; i++) {
		struct xlb_brain_pair_in *p = &s->pairs[i];

		snprintf(p->key, sizeof(p->key), "10.0.0.1:80/tcp 10.0.1.%zu",
			 i + 1);
		p->base_weight = 100;
		p->op_state = i >= n - n_standby ? XLB_OP_STANDBY
						 : XLB_OP_ACTIVE;
		p->factor = XLB_FACTOR_ONE;
		p->health = XLB_HEALTH_OK;
	}
	s->snap.vips = &s->vip;
	s->snap.n_vips = 1;
	s->snap.pairs = s->pairs;
	s->snap.n_pairs = n;
	return 0;
}

static int sim_start(struct sim *s)
{
	return xlb_brain_create(&s->cfg, &s->brain);
}

static void sim_fini(void *arg)
{
	struct sim *s = arg;

	xlb_brain_destroy(s->brain);
	s->brain = NULL;
}

static bool takes_new(const struct xlb_brain_pair_in *p)
{
	return xlb_effective_state(p->op_state, p->health) == 1;
}

static unsigned int n_active(const struct sim *s)
{
	unsigned int n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->pairs[i].op_state == XLB_OP_ACTIVE;
	return n;
}

/* One second: observations from the current weights, a tick, apply. */
static int sim_step(struct sim *s)
{
	double total = 0;

	s->now += 1.0;
	for (size_t i = 0; i < s->n; i++)
		if (takes_new(&s->pairs[i]))
			total += xlb_effective_weight(s->pairs[i].base_weight,
						      s->pairs[i].factor);
	s->vip.demand_per_s = s->demand * (1 + 0.02 * sim_noise(s));
	for (size_t i = 0; i < s->n; i++) {
		struct xlb_brain_pair_in *p = &s->pairs[i];
		struct xlb_brain_obs *o = &p->obs;
		double share = takes_new(p) && total > 0
				       ? xlb_effective_weight(p->base_weight,
							      p->factor) /
						 total
				       : 0;
		double req = s->vip.demand_per_s * share;
		double util = 0.02 + req / CAPACITY;
		double busy = util < 0.98 ? util : 0.98;
		double latency = 0.002 / (1 - busy);
		double flight = req * latency, before = s->in_flight[i];

		if (takes_new(p) && util > s->max_util)
			s->max_util = util;
		s->in_flight[i] = flight;
		memset(o, 0, sizeof(*o));
		o->new_flows_per_s = req;
		o->ended_flows_per_s = req - (flight - before);
		o->packets_per_s = req * 10;
		o->bytes_per_s = req * 10000;
		o->probes_ok = 10;
		o->probe_latency_s = 0.0002;
		o->metrics_age_s = 0.5;
		o->cpu_util = (util < 1 ? util : 1) * (1 + 0.03 * sim_noise(s));
		o->mem_util = 0.3 + 0.01 * sim_noise(s);
		o->load1 = util;
		o->service_latency_s = latency * (1 + 0.1 * sim_noise(s));
		o->service_latency_last_s = latency;
	}
	s->snap.now = s->now;
	int ret = xlb_brain_tick(s->brain, &s->snap, &s->plan);

	if (ret)
		return ret;
	bool changed = false;

	for (size_t d = 0; d < s->plan.n_decisions; d++) {
		const struct xlb_brain_decision *dec = &s->plan.decisions[d];
		struct xlb_brain_pair_in *p = &s->pairs[dec->pair];

		if (dec->rule == XLB_RULE_CAPACITY_UP) {
			if (!s->ups) {
				/* the actives' utilisation as it was */
				unsigned int act = n_active(s);

				s->first_up_util =
					act ? 0.02 + s->demand /
								(act * CAPACITY)
					    : NAN;
			}
			s->ups++;
			changed = true;
		}
		if (dec->rule == XLB_RULE_CAPACITY_DOWN &&
		    dec->new_op_state == XLB_OP_DRAINING) {
			s->downs++;
			changed = true;
		}
		if (dec->rule == XLB_RULE_CAPACITY_DOWN &&
		    dec->new_op_state == XLB_OP_STANDBY)
			s->to_standby++;
		if (dec->new_op_state != dec->old_op_state) {
			if (dec->old_op_state != p->op_state)
				return -1000; /* the brain misread the state */
			s->op_writes_on[dec->pair]++;
			p->op_state = dec->new_op_state;
		}
		p->factor = dec->new_factor;
		p->health = dec->new_health;
		p->reason = dec->rule;
		if (s->plan.pairs[dec->pair].capacity_pool)
			p->reason |= XLB_BRAIN_REASON_POOL;
	}
	if (changed && s->n_changes < 64)
		s->change_at[s->n_changes++] = s->now;
	return 0;
}

#define SIM_STEPS(s, n)                                   \
	do {                                              \
		for (int step_ = 0; step_ < (n); step_++) \
			CHECK_EQ(sim_step(s), 0);         \
	} while (0)

/* From the current demand to `to` over `secs` seconds. */
#define SIM_RAMP(s, to, secs)                                                \
	do {                                                                 \
		double from_ = (s)->demand;                                  \
		for (int step_ = 1; step_ <= (secs); step_++) {              \
			(s)->demand = from_ + ((to)-from_) * step_ / (secs); \
			CHECK_EQ(sim_step(s), 0);                            \
		}                                                            \
	} while (0)

/* Two active, two standby; 20% -> 90% of the actives over 90 s. */
TEST(capacity_ramp_activates_standby_before_saturation)
{
	static struct sim s;

	sim_init(&s, 4, 2, 0.2 * 2 * CAPACITY);
	CHECK_EQ(sim_start(&s), 0);
	test_defer(sim_fini, &s);
	SIM_STEPS(&s, 120);
	CHECK_EQ(s.ups, 0);
	SIM_RAMP(&s, 0.9 * 2 * CAPACITY, 90);
	CHECK(s.ups >= 1, "no standby activated");
	CHECK(s.first_up_util < 0.9,
	      "activated only at utilisation %.2f of the actives",
	      s.first_up_util);
	CHECK(n_active(&s) >= 3, "%u active", n_active(&s));
	CHECK(s.max_util < 0.95, "the actives reached %.2f", s.max_util);
	/* its plan says so, once the ramp's trend is out of the forecast */
	CHECK(s.plan.vips[0].desired >= 3, "desired %u",
	      s.plan.vips[0].desired);
	SIM_STEPS(&s, 90);
	CHECK(s.plan.vips[0].predicted_util < 0.75,
	      "predicted %.2f after activation", s.plan.vips[0].predicted_util);
	/* operator-active pairs were never written */
	CHECK_EQ(s.op_writes_on[0] + s.op_writes_on[1], 0);
}

/*
 * The e2e test's shape: a 5 s spike, 12 s calm, then a ramp in 7 s steps.
 * The spike in the trend's window must not hide the ramp after it (a
 * least-squares trend did, for 32 ticks): activated within 25 s of the
 * ramp's start, at under 65% of the actives, and nothing for the spike.
 */
TEST(capacity_spike_before_a_stepped_ramp_does_not_hide_it)
{
	static struct sim s;
	const double low = 0.2 * 2 * CAPACITY, high = 0.9 * 2 * CAPACITY;
	int t_up = -1;

	sim_init(&s, 4, 2, low);
	CHECK_EQ(sim_start(&s), 0);
	test_defer(sim_fini, &s);
	SIM_STEPS(&s, 120);
	s.demand = high;
	SIM_STEPS(&s, 5);
	s.demand = low;
	SIM_STEPS(&s, 12);
	CHECK_EQ(s.ups, 0);
	for (int step = 0; step < 7 && t_up < 0; step++) {
		s.demand = low + (high - low) * step / 6;
		for (int k = 0; k < 7 && t_up < 0; k++) {
			CHECK_EQ(sim_step(&s), 0);
			if (s.ups)
				t_up = step * 7 + k;
		}
	}
	CHECK(t_up >= 0, "no activation on the ramp");
	CHECK(t_up <= 25, "activated %d s into the ramp", t_up);
	CHECK(s.first_up_util < 0.65, "activated at utilisation %.2f",
	      s.first_up_util);
}

TEST(capacity_decision_explains_itself)
{
	static struct sim s;
	const struct xlb_brain_decision *up = NULL;

	sim_init(&s, 3, 1, 0.2 * 2 * CAPACITY);
	CHECK_EQ(sim_start(&s), 0);
	test_defer(sim_fini, &s);
	SIM_STEPS(&s, 120);
	s.demand = 0.95 * 2 * CAPACITY;
	for (int t = 0; t < 40 && !up; t++) {
		CHECK_EQ(sim_step(&s), 0);
		for (size_t d = 0; d < s.plan.n_decisions; d++)
			if (s.plan.decisions[d].rule == XLB_RULE_CAPACITY_UP)
				up = &s.plan.decisions[d];
	}
	CHECK(up, "no activation at 95%%");
	CHECK_EQ(up->pair, 2);
	CHECK_EQ(up->old_op_state, XLB_OP_STANDBY);
	CHECK_EQ(up->new_op_state, XLB_OP_ACTIVE);
	CHECK(up->new_factor <= XLB_FACTOR_ONE / 10 + 1,
	      "through slow start: factor %u", up->new_factor);
	CHECK(up->predicted_util > 0.75, "util %.2f", up->predicted_util);
	CHECK(strstr(up->reason, "forecast") && strstr(up->reason, "error") &&
		      strstr(up->reason, "predicted utilisation"),
	      "reason: %s", up->reason);
	CHECK(s.plan.pairs[2].capacity_pool, "pool bit");
	/* the slow start goes on over the next ticks */
	SIM_STEPS(&s, 40);
	CHECK(s.pairs[2].factor >= XLB_FACTOR_ONE / 2,
	      "factor %u after the ramp", s.pairs[2].factor);
}

TEST(capacity_spike_shorter_than_ticks_adds_nothing)
{
	static struct sim s;

	sim_init(&s, 4, 2, 0.3 * 2 * CAPACITY);
	CHECK_EQ(sim_start(&s), 0);
	test_defer(sim_fini, &s);
	SIM_STEPS(&s, 120);
	for (int spike = 0; spike < 3; spike++) {
		s.demand = 0.95 * 2 * CAPACITY;
		SIM_STEPS(&s, (int)s.cfg.capacity_ticks / 2);
		s.demand = 0.3 * 2 * CAPACITY;
		SIM_STEPS(&s, 60);
	}
	CHECK_EQ(s.ups, 0);
	CHECK_EQ(n_active(&s), 2);
}

TEST(capacity_low_load_returns_the_last_activated)
{
	static struct sim s;
	size_t first = SIZE_MAX, last = SIZE_MAX;
	double up_at[2] = { 0, 0 };

	sim_init(&s, 5, 2, 0.2 * 3 * CAPACITY);
	CHECK_EQ(sim_start(&s), 0);
	test_defer(sim_fini, &s);
	SIM_STEPS(&s, 120);
	/* well past what one more absorbs: both come up (one or two steps) */
	s.demand = 1.2 * 3 * CAPACITY;
	for (int t = 0; t < 200 && s.ups < 2; t++) {
		CHECK_EQ(sim_step(&s), 0);
		for (size_t d = 0; d < s.plan.n_decisions; d++)
			if (s.plan.decisions[d].rule == XLB_RULE_CAPACITY_UP) {
				if (first == SIZE_MAX)
					first = s.plan.decisions[d].pair;
				last = s.plan.decisions[d].pair;
				up_at[s.ups - 1 < 2 ? s.ups - 1 : 1] = s.now;
			}
	}
	CHECK_EQ(s.ups, 2);
	CHECK_EQ(n_active(&s), 5);
	SIM_STEPS(&s, 60);
	s.demand = 0.1 * 5 * CAPACITY;
	for (int t = 0; t < 200 && !s.downs; t++)
		CHECK_EQ(sim_step(&s), 0);
	CHECK_EQ(s.downs, 1);
	/* the most recently activated one drains first */
	CHECK_EQ(s.pairs[last].op_state, XLB_OP_DRAINING);
	CHECK_EQ(s.pairs[first].op_state, XLB_OP_ACTIVE);
	SIM_STEPS(&s, 35);
	CHECK_EQ(s.pairs[last].op_state, XLB_OP_STANDBY);
	CHECK(s.to_standby >= 1, "never back to standby");
	/* then the other, after the dwell; operator-active ones stay */
	SIM_STEPS(&s, 200);
	CHECK_EQ(s.pairs[first].op_state, XLB_OP_STANDBY);
	for (size_t i = 0; i < 3; i++) {
		CHECK_EQ(s.pairs[i].op_state, XLB_OP_ACTIVE);
		CHECK_EQ(s.op_writes_on[i], 0);
	}
	(void)up_at;
}

TEST(capacity_dwell_between_changes)
{
	static struct sim s;

	sim_init(&s, 6, 4, 0.2 * 2 * CAPACITY);
	s.cfg.capacity_dwell_s = 45;
	CHECK_EQ(sim_start(&s), 0);
	test_defer(sim_fini, &s);
	SIM_STEPS(&s, 120);
	/* a load that swings every 30 s between far above and far below */
	for (int swing = 0; swing < 10; swing++) {
		s.demand = (swing % 2 ? 0.1 : 1.5) * 2 * CAPACITY;
		SIM_STEPS(&s, 30);
	}
	CHECK(s.n_changes >= 2, "only %u changes", s.n_changes);
	for (unsigned int i = 1; i < s.n_changes; i++)
		CHECK(s.change_at[i] - s.change_at[i - 1] >=
			      s.cfg.capacity_dwell_s,
		      "changes at %.0f and %.0f s", s.change_at[i - 1],
		      s.change_at[i]);
}

TEST(capacity_never_touches_operator_pairs)
{
	static struct sim s;

	/* no standby at all: high and low load write no operator state */
	sim_init(&s, 3, 0, 0.2 * 3 * CAPACITY);
	CHECK_EQ(sim_start(&s), 0);
	test_defer(sim_fini, &s);
	SIM_STEPS(&s, 120);
	s.demand = 1.1 * 3 * CAPACITY;
	SIM_STEPS(&s, 80);
	CHECK(s.plan.vips[0].desired > 3, "desired %u: the hook's to add",
	      s.plan.vips[0].desired);
	s.demand = 0.05 * 3 * CAPACITY;
	SIM_STEPS(&s, 150);
	for (size_t i = 0; i < 3; i++) {
		CHECK_EQ(s.op_writes_on[i], 0);
		CHECK_EQ(s.pairs[i].op_state, XLB_OP_ACTIVE);
	}
	CHECK_EQ(s.ups + s.downs, 0);
	CHECK(s.plan.vips[0].desired < 3, "desired %u at 5%%",
	      s.plan.vips[0].desired);
}

TEST(capacity_operator_drain_and_activation_respected)
{
	static struct sim s;

	sim_init(&s, 4, 2, 0.2 * 2 * CAPACITY);
	CHECK_EQ(sim_start(&s), 0);
	test_defer(sim_fini, &s);
	SIM_STEPS(&s, 120);
	/* a slow rise, held where the first standby comes up */
	for (int t = 0; t < 120 && !s.ups; t++) {
		s.demand += 0.6 * 2 * CAPACITY / 120;
		CHECK_EQ(sim_step(&s), 0);
	}
	CHECK_EQ(s.ups, 1);
	CHECK_EQ(s.pairs[2].op_state, XLB_OP_ACTIVE);
	/*
	 * The operator drains the activated pair and activates the other
	 * standby one by hand: both are theirs now.
	 */
	s.pairs[2].op_state = XLB_OP_DRAINING;
	s.pairs[3].op_state = XLB_OP_ACTIVE;
	unsigned int w2 = s.op_writes_on[2], w3 = s.op_writes_on[3];

	s.demand = 0.05 * 2 * CAPACITY;
	SIM_STEPS(&s, 250);
	CHECK_EQ(s.op_writes_on[2], w2);
	CHECK_EQ(s.op_writes_on[3], w3);
	CHECK_EQ(s.pairs[2].op_state, XLB_OP_DRAINING);
	CHECK_EQ(s.pairs[3].op_state, XLB_OP_ACTIVE);
	CHECK(!s.plan.pairs[2].capacity_pool && !s.plan.pairs[3].capacity_pool,
	      "still in the pool");
}

TEST(capacity_restart_adopts_activated_pairs_from_the_reason)
{
	static struct sim s;

	/* as a restart finds it: pair 2 active, activated by the brain */
	sim_init(&s, 3, 0, 0.05 * 3 * CAPACITY);
	s.pairs[2].reason = XLB_RULE_EQUALISE | XLB_BRAIN_REASON_POOL;
	CHECK_EQ(sim_start(&s), 0);
	test_defer(sim_fini, &s);
	SIM_STEPS(&s, 200);
	CHECK_EQ(s.pairs[2].op_state, XLB_OP_STANDBY);
	CHECK_EQ(s.op_writes_on[0] + s.op_writes_on[1], 0);
}

int main(int argc, char **argv)
{
	return test_main(argc, argv);
}
