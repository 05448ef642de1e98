// SPDX-License-Identifier: GPL-2.0
/*
 * The brain core's entry points: configuration, the pair and VIP tables
 * (keyed by string, stable across ticks), and the tick that runs the
 * stages in order: features -> models -> policy -> guardrails. Nothing
 * here reads a clock for decisions; stage timings alone use CLOCK_MONOTONIC.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

void xlb_brain_config_default(struct xlb_brain_config *cfg)
{
	*cfg = (struct xlb_brain_config){
		.tick_s = 1.0,
		.probe_fall = 2,
		.probe_rise = 3,
		.staleness_limit_s = 5.0,
		.window = 30,
		.regression_window = 120,
		.forecast_window = 600,
		.forecast_horizon = 1,
		.iforest_trees = 100,
		.iforest_samples = 256,
		.iforest_retrain_s = 60,
		.iforest_min_rows = 32,
		.seed = 1,
		.anomaly_threshold = 0.62,
		.anomaly_k = 3,
		.anomaly_m = 5,
		.max_step = 0.25,
		.hysteresis = 0.05,
		.min_factor = 0.05,
		.hot_ratio = 3.0,
		.slow_start_s = 30,
		.slow_start_from = 0.10,
		.slow_start_aggression = 1.0,
		.max_ejection_percent = 34,
		.ejection_base_s = 30,
		.ejection_max_s = 300,
		.ejection_decay_s = 300,
		.panic_threshold = 0.5,
		.forget_after_s = 60,
		.capacity_horizon_s = 60,
		.capacity_high = 0.75,
		.capacity_low = 0.40,
		.capacity_ticks = 10,
		.capacity_dwell_s = 60,
		.dry_run = false,
		.anomaly_min_z = 4.0,
		.anomaly_strong_z = 8.0,
		.hot_min_latency_s = 0.02,
		.hot_min_in_flight = 8,
	};
}

#define BAD(...)                                    \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		return -EINVAL;                     \
	} while (0)

/* A real number in [lo, hi]; NAN fails every comparison, so it is refused. */
#define RANGE(field, lo, hi)                                                 \
	do {                                                                 \
		if (!(cfg->field >= (lo) && cfg->field <= (hi)))             \
			BAD(#field ": %g is outside [%g, %g]",               \
			    (double)cfg->field, (double)(lo), (double)(hi)); \
	} while (0)

int xlb_brain_config_check(const struct xlb_brain_config *cfg, char *err,
			   size_t errlen)
{
	RANGE(tick_s, 0.01, 3600);
	RANGE(probe_fall, 1, 100);
	RANGE(probe_rise, 1, 100);
	RANGE(staleness_limit_s, 0, 86400);
	RANGE(window, 2, 3600);
	RANGE(regression_window, 8, 86400);
	RANGE(forecast_window, 8, XLB_FORECAST_MAX_WINDOW);
	RANGE(forecast_horizon, 1, 3600);
	RANGE(iforest_trees, 1, XLB_IFOREST_MAX_TREES);
	RANGE(iforest_samples, 2, XLB_IFOREST_MAX_SAMPLES);
	RANGE(iforest_retrain_s, 1, 86400);
	RANGE(iforest_min_rows, 2, BRAIN_TRAIN_ROWS);
	RANGE(anomaly_threshold, 0, 1);
	RANGE(anomaly_m, 1, 32);
	RANGE(anomaly_k, 1, 32);
	if (cfg->anomaly_k > cfg->anomaly_m)
		BAD("anomaly_k: %u > anomaly_m %u", cfg->anomaly_k,
		    cfg->anomaly_m);
	RANGE(max_step, 0.001, 10);
	RANGE(hysteresis, 0, 1);
	RANGE(min_factor, 0.001, 1);
	RANGE(hot_ratio, 1, 1000);
	RANGE(slow_start_s, 0, 86400);
	RANGE(slow_start_from, 0.001, 1);
	RANGE(slow_start_aggression, 0.01, 100);
	RANGE(max_ejection_percent, 0, 100);
	RANGE(ejection_base_s, 0, 86400);
	RANGE(ejection_max_s, 0, 7 * 86400);
	if (cfg->ejection_max_s < cfg->ejection_base_s)
		BAD("ejection_max_s: %g < ejection_base_s %g",
		    cfg->ejection_max_s, cfg->ejection_base_s);
	RANGE(ejection_decay_s, 1, 7 * 86400);
	RANGE(panic_threshold, 0, 1);
	RANGE(forget_after_s, 1, 7 * 86400);
	RANGE(capacity_horizon_s, 1, 86400);
	RANGE(capacity_high, 0.01, 10);
	RANGE(capacity_low, 0, 10);
	if (cfg->capacity_low >= cfg->capacity_high)
		BAD("capacity_low: %g >= capacity_high %g", cfg->capacity_low,
		    cfg->capacity_high);
	RANGE(capacity_ticks, 1, 86400);
	RANGE(capacity_dwell_s, 0, 86400);
	RANGE(anomaly_min_z, 0, 1000);
	RANGE(anomaly_strong_z, 0, 1000);
	RANGE(hot_min_latency_s, 0, 3600);
	RANGE(hot_min_in_flight, 0, 1e9);
	if (errlen)
		err[0] = '\0';
	return 0;
}

const char *xlb_brain_rule_name(enum xlb_brain_rule rule)
{
	static const char *const names[XLB_RULE_N] = {
		[XLB_RULE_NONE] = "none",
		[XLB_RULE_EQUALISE] = "equalise",
		[XLB_RULE_HOT] = "hot",
		[XLB_RULE_ANOMALY_DRAIN] = "anomaly_drain",
		[XLB_RULE_PROBE_DOWN] = "probe_down",
		[XLB_RULE_PROBE_UP] = "probe_up",
		[XLB_RULE_EJECTION_END] = "ejection_end",
		[XLB_RULE_SLOW_START] = "slow_start",
		[XLB_RULE_PANIC] = "panic",
		[XLB_RULE_GUARDRAIL] = "guardrail",
		[XLB_RULE_CAPACITY_UP] = "capacity_up",
		[XLB_RULE_CAPACITY_DOWN] = "capacity_down",
	};

	if ((unsigned int)rule >= XLB_RULE_N)
		return "unknown";
	return names[rule];
}

double brain_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t key_hash(const char *key)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ull;
	return h;
}

static int index_rebuild(struct xlb_brain *brain, size_t cap)
{
	size_t *index = calloc(cap, sizeof(*index));

	if (!index)
		return -ENOMEM;
	for (size_t i = 0; i < brain->n_pairs; i++) {
		size_t h = key_hash(brain->pairs[i]->key) & (cap - 1);

		while (index[h])
			h = (h + 1) & (cap - 1);
		index[h] = i + 1;
	}
	free(brain->index);
	brain->index = index;
	brain->index_cap = cap;
	return 0;
}

static struct brain_pair *pair_new(struct xlb_brain *brain, const char *key)
{
	struct brain_pair *p;

	if (brain->n_pairs == brain->cap_pairs) {
		size_t cap = brain->cap_pairs ? brain->cap_pairs * 2 : 64;
		struct brain_pair **pairs =
			realloc(brain->pairs, cap * sizeof(*pairs));

		if (!pairs)
			return NULL;
		brain->pairs = pairs;
		brain->cap_pairs = cap;
	}
	if ((brain->n_pairs + 1) * 2 > brain->index_cap &&
	    index_rebuild(brain, brain->index_cap ? brain->index_cap * 2 : 128))
		return NULL;
	p = brain_pool_get(brain);
	if (!p)
		return NULL;
	snprintf(p->key, sizeof(p->key), "%s", key);
	p->health = XLB_HEALTH_OK;
	p->policy_factor = 1.0;
	p->factor = XLB_FACTOR_ONE;
	p->target_smooth = NAN;
	p->slow_start_since = NAN;
	p->eject_until = NAN;
	p->anomaly_quiet_until = NAN;
	p->healthy_since = brain->now;
	p->score = NAN;
	p->last_seen = brain->now;
	brain_features_init(p);
	brain_models_pair_init(p);
	p->slot = brain->n_pairs;
	brain->pairs[brain->n_pairs++] = p;
	size_t h = key_hash(key) & (brain->index_cap - 1);

	while (brain->index[h])
		h = (h + 1) & (brain->index_cap - 1);
	brain->index[h] = brain->n_pairs;
	return p;
}

struct brain_pair *brain_pair_get(struct xlb_brain *brain, const char *key,
				  bool create)
{
	if (brain->index_cap) {
		size_t h = key_hash(key) & (brain->index_cap - 1);

		while (brain->index[h]) {
			struct brain_pair *p =
				brain->pairs[brain->index[h] - 1];

			if (!strcmp(p->key, key))
				return p;
			h = (h + 1) & (brain->index_cap - 1);
		}
	}
	return create ? pair_new(brain, key) : NULL;
}

/* Pairs no snapshot named for forget_after_s are dropped (rare: rebuilds). */
static void forget_old(struct xlb_brain *brain)
{
	size_t kept = 0;

	for (size_t i = 0; i < brain->n_pairs; i++) {
		struct brain_pair *p = brain->pairs[i];

		if (i + PREFETCH_PAIR_AHEAD < brain->n_pairs)
			__builtin_prefetch(
				&brain->pairs[i + PREFETCH_PAIR_AHEAD]
					 ->last_seen);
		if (brain->now - p->last_seen > brain->cfg.forget_after_s)
			brain_pool_put(brain, p);
		else {
			p->slot = kept;
			brain->pairs[kept++] = p;
		}
	}
	if (kept != brain->n_pairs) {
		brain->n_pairs = kept;
		index_rebuild(brain, brain->index_cap);
	}
}

static struct brain_vip *vip_get(struct xlb_brain *brain, const char *key)
{
	for (size_t i = 0; i < brain->n_vips; i++)
		if (!strcmp(brain->vips[i].key, key))
			return &brain->vips[i];
	if (brain->n_vips == brain->cap_vips) {
		size_t cap = brain->cap_vips ? brain->cap_vips * 2 : 8;
		struct brain_vip *vips =
			realloc(brain->vips, cap * sizeof(*vips));

		if (!vips)
			return NULL;
		brain->vips = vips;
		brain->cap_vips = cap;
	}
	struct brain_vip *v = &brain->vips[brain->n_vips];

	memset(v, 0, sizeof(*v));
	snprintf(v->key, sizeof(v->key), "%s", key);
	v->forecast = NAN;
	v->forecast_error = NAN;
	v->forecast_model = "last";
	v->predicted_util = NAN;
	if (brain_vip_models_init(brain, v))
		return NULL;
	brain->n_vips++;
	return v;
}

int xlb_brain_create(const struct xlb_brain_config *cfg, struct xlb_brain **out)
{
	char err[128];
	struct xlb_brain *brain;
	int ret;

	ret = xlb_brain_config_check(cfg, err, sizeof(err));
	if (ret)
		return ret;
	brain = calloc(1, sizeof(*brain));
	if (!brain)
		return -ENOMEM;
	brain->cfg = *cfg;
	brain->now = NAN;
	brain->saved_now = NAN;
	ret = brain_models_init(brain);
	if (ret) {
		xlb_brain_destroy(brain);
		return ret;
	}
	*out = brain;
	return 0;
}

void xlb_brain_destroy(struct xlb_brain *brain)
{
	if (!brain)
		return;
	brain_pool_free(brain);
	for (size_t i = 0; i < brain->n_vips; i++)
		xlb_forecaster_destroy(brain->vips[i].forecaster);
	brain_models_fini(brain);
	free(brain->pairs);
	free(brain->index);
	free(brain->vips);
	free(brain->slot_of);
	free(brain->by_vip);
	free(brain->vip_first);
	free(brain->vip_of);
	free(brain->out_pairs);
	free(brain->out_vips);
	free(brain->decisions);
	free(brain->scratch);
	free(brain->decision_of);
	free(brain->rows);
	free(brain);
}

int xlb_brain_reconfigure(struct xlb_brain *brain,
			  const struct xlb_brain_config *cfg)
{
	char err[128];
	void *blob;
	size_t len;
	int ret;

	ret = xlb_brain_config_check(cfg, err, sizeof(err));
	if (ret)
		return ret;
	/*
	 * Windows and forest sizes shape the allocations: the simplest
	 * correct way to keep what still fits is a save under the old
	 * config and a load under the new one (rings start again).
	 */
	ret = xlb_brain_save(brain, &blob, &len);
	if (ret)
		return ret;
	struct xlb_brain *fresh;

	ret = xlb_brain_create(cfg, &fresh);
	if (ret) {
		free(blob);
		return ret;
	}
	ret = xlb_brain_load(fresh, blob, len);
	free(blob);
	if (ret) {
		xlb_brain_destroy(fresh);
		return ret;
	}
	/* swap the contents so that the caller's pointer stays valid */
	struct xlb_brain tmp = *brain;

	*brain = *fresh;
	*fresh = tmp;
	xlb_brain_destroy(fresh);
	return 0;
}

static int grow(void **ptr, size_t *cap, size_t need, size_t size)
{
	void *p;

	if (need <= *cap)
		return 0;
	p = realloc(*ptr, need * size);
	if (!p)
		return -ENOMEM;
	*ptr = p;
	*cap = need;
	return 0;
}

/* Arrays sized by the snapshot: reallocated only when it grows. */
static int size_for(struct xlb_brain *brain,
		    const struct xlb_brain_snapshot *snap)
{
	size_t np = brain->cap_snap_pairs, nv = brain->cap_snap_vips;
	size_t need_p = snap->n_pairs ? snap->n_pairs : 1;
	size_t need_v = snap->n_vips ? snap->n_vips : 1;

	if (need_p > np) {
		size_t c = np;

		if (grow((void **)&brain->slot_of, &c, need_p,
			 sizeof(*brain->slot_of)))
			return -ENOMEM;
		c = np;
		if (grow((void **)&brain->out_pairs, &c, need_p,
			 sizeof(*brain->out_pairs)))
			return -ENOMEM;
		c = np;
		if (grow((void **)&brain->decisions, &c, need_p,
			 sizeof(*brain->decisions)))
			return -ENOMEM;
		c = np;
		if (grow((void **)&brain->by_vip, &c, need_p,
			 sizeof(*brain->by_vip)))
			return -ENOMEM;
		c = np;
		if (grow((void **)&brain->scratch, &c, need_p,
			 sizeof(*brain->scratch)))
			return -ENOMEM;
		c = np;
		if (grow((void **)&brain->rows, &c, need_p,
			 FEAT_N * sizeof(*brain->rows)))
			return -ENOMEM;
		c = np;
		if (grow((void **)&brain->decision_of, &c, need_p,
			 sizeof(*brain->decision_of)))
			return -ENOMEM;
		/* all 0 between ticks (guardrails.c clears what it sets) */
		memset(brain->decision_of, 0,
		       need_p * sizeof(*brain->decision_of));
		brain->cap_snap_pairs = need_p;
	}
	if (need_v > nv) {
		size_t c = nv;

		if (grow((void **)&brain->vip_of, &c, need_v,
			 sizeof(*brain->vip_of)))
			return -ENOMEM;
		c = nv;
		if (grow((void **)&brain->out_vips, &c, need_v,
			 sizeof(*brain->out_vips)))
			return -ENOMEM;
		c = nv ? nv + 1 : 0;
		if (grow((void **)&brain->vip_first, &c, need_v + 1,
			 sizeof(*brain->vip_first)))
			return -ENOMEM;
		brain->cap_snap_vips = need_v;
	}
	return 0;
}

/* A counting sort of the snapshot's pairs by VIP (stable: snapshot order). */
static void group_by_vip(struct xlb_brain *brain,
			 const struct xlb_brain_snapshot *snap)
{
	size_t *first = brain->vip_first;

	memset(first, 0, (snap->n_vips + 1) * sizeof(*first));
	for (size_t i = 0; i < snap->n_pairs; i++)
		first[snap->pairs[i].vip + 1]++;
	for (size_t v = 0; v < snap->n_vips; v++)
		first[v + 1] += first[v];
	for (size_t i = 0; i < snap->n_pairs; i++)
		brain->by_vip[first[snap->pairs[i].vip]++] = i;
	/* Each first[v] now holds v + 1's start: shift back. */
	memmove(first + 1, first, snap->n_vips * sizeof(*first));
	first[0] = 0;
}

/*
 * The key and table fields of the pair some rows ahead named last tick:
 * a row's key compare then finds them in cache.
 */
#define PREFETCH_BIND_AHEAD 8

static void prefetch_bind(const struct xlb_brain *brain, size_t i)
{
	const struct brain_pair *q;

	i += PREFETCH_BIND_AHEAD;
	if (i >= brain->n_slot_of || brain->slot_of[i] >= brain->n_pairs)
		return;
	q = brain->pairs[brain->slot_of[i]];
	brain_prefetch(&q->slot, &q->key[XLB_BRAIN_KEY_MAX]);
	brain_prefetch(&q->last_seen, &q->last_seen + 1);
}

/* Snapshot rows to the brain's state; new pairs adopt what the maps hold. */
static int bind_snapshot(struct xlb_brain *brain,
			 const struct xlb_brain_snapshot *snap)
{
	for (size_t i = 0; i < snap->n_vips; i++) {
		struct brain_vip *v = vip_get(brain, snap->vips[i].key);

		if (!v)
			return -ENOMEM;
		v->last_seen = snap->now;
		brain->vip_of[i] = v - brain->vips;
	}
	for (size_t i = 0; i < snap->n_pairs; i++) {
		const struct xlb_brain_pair_in *in = &snap->pairs[i];
		struct brain_pair *p;

		if (in->vip >= snap->n_vips)
			return -EINVAL;
		prefetch_bind(brain, i);
		/*
		 * Snapshots keep their order from tick to tick: the pair this
		 * row named last time is usually it again (keys are unique),
		 * without hashing the key.
		 */
		p = i < brain->n_slot_of && brain->slot_of[i] < brain->n_pairs
			    ? brain->pairs[brain->slot_of[i]]
			    : NULL;
		if (!p || strcmp(p->key, in->key))
			p = brain_pair_get(brain, in->key, true);
		if (!p)
			return -ENOMEM;
		p->last_seen = snap->now;
		p->vip = brain->vip_of[in->vip];
		p->eligible = in->op_state == XLB_OP_ACTIVE;
		if (!p->adopted) {
			/* a restart: what the maps hold is where we start */
			p->adopted = true;
			p->factor = in->factor ? in->factor : XLB_FACTOR_ONE;
			if (!p->loaded)
				p->policy_factor =
					p->factor / (double)XLB_FACTOR_ONE;
			if (p->health == XLB_HEALTH_OK && !p->fail_run)
				p->health = in->health;
		}
		brain->slot_of[i] = p->slot;
	}
	brain->n_slot_of = snap->n_pairs;
	group_by_vip(brain, snap);
	return 0;
}

/* A loaded blob's times, onto this process's clock. */
static void shift_loaded_times(struct xlb_brain *brain, double shift)
{
	for (size_t i = 0; i < brain->n_pairs; i++) {
		struct brain_pair *p = brain->pairs[i];

		if (!p->loaded)
			continue;
		p->slow_start_since += shift; /* NAN stays NAN */
		p->eject_until += shift;
		p->healthy_since += shift;
		p->last_seen = brain->now;
	}
	brain->saved_now = NAN;
}

int xlb_brain_tick(struct xlb_brain *brain,
		   const struct xlb_brain_snapshot *snap,
		   struct xlb_brain_plan *plan)
{
	double dt, t0, t1, t2, t3;
	int ret;

	if (!isfinite(snap->now))
		return -EINVAL;
	dt = isfinite(brain->now) ? snap->now - brain->now : brain->cfg.tick_s;
	if (dt <= 0)
		dt = brain->cfg.tick_s;
	brain->now = snap->now;
	if (isfinite(brain->saved_now))
		shift_loaded_times(brain, snap->now - brain->saved_now);
	ret = size_for(brain, snap);
	if (ret)
		return ret;
	ret = bind_snapshot(brain, snap);
	if (ret)
		return ret;

	memset(plan, 0, sizeof(*plan));
	plan->pairs = brain->out_pairs;
	plan->vips = brain->out_vips;
	plan->decisions = brain->decisions;

	t0 = brain_now_s();
	brain_features(brain, snap, dt);
	t1 = brain_now_s();
	brain_models(brain, snap);
	t2 = brain_now_s();
	brain_policy(brain, snap, plan);
	brain_guardrails(brain, snap, plan);
	brain_capacity(brain, snap, plan);
	t3 = brain_now_s();
	plan->features_s = t1 - t0;
	plan->models_s = t2 - t1;
	plan->policy_s = t3 - t2;

	for (size_t i = 0; i < snap->n_vips; i++) {
		struct brain_vip *v = &brain->vips[brain->vip_of[i]];
		struct xlb_brain_vip_out *o = &plan->vips[i];

		o->forecast_per_s = v->forecast;
		o->forecast_error = v->forecast_error;
		o->forecast_model = v->forecast_model;
		o->predicted_util = v->predicted_util;
		o->active = v->active;
		o->desired = v->desired;
		o->standby = v->standby;
		o->panic = v->panic;
	}
	for (size_t i = 0; i < snap->n_pairs; i++) {
		struct brain_pair *p = brain->pairs[brain->slot_of[i]];
		struct xlb_brain_pair_out *o = &plan->pairs[i];

		brain_prefetch_pair(brain, snap, i);
		o->factor = p->factor;
		o->health = p->health;
		o->anomaly_score = p->score;
		o->cost_per_request = p->cost;
		o->predicted_util = p->predicted_util;
		o->in_slow_start = isfinite(p->slow_start_since);
		o->ejections = p->ejections;
		o->capacity_pool = p->pool;
	}
	forget_old(brain);
	return 0;
}
