/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The brain's functional core: features -> models -> policy -> guardrails,
 * over a snapshot of observations, returning decisions. No maps, sockets,
 * files or clocks (time is an argument), so xlbd, the unit tests and the
 * fleet simulator (tools/xlb-sim/) run the very same code.
 *
 * xlbd's shell collects a struct xlb_brain_snapshot each tick, calls
 * xlb_brain_tick(), and applies the plan's factors and health states
 * through libxlb (headers/xlb_intent.h composes them with the operator's
 * intent). Hard failures do not wait for the tick: the probe scheduler
 * calls xlb_brain_probe_result() on every probe and applies a transition
 * it returns at once.
 *
 * Pairs are identified by a stable key string ("VIP BACKEND", e.g.
 * "10.0.0.1:80/tcp 10.0.0.11"): the brain keeps per-pair state (models,
 * histories, ejections) by key across ticks; a pair missing from a
 * snapshot is forgotten after forget_after_s.
 */
#ifndef XLB_BRAIN_H
#define XLB_BRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xlb_intent.h"

#define XLB_BRAIN_KEY_MAX 96
#define XLB_BRAIN_FEATURE_NAME_MAX 32
#define XLB_BRAIN_REASON_MAX 256
#define XLB_BRAIN_TOP_FEATURES 3

/* Every knob, with its default from xlb_brain_config_default(). */
struct xlb_brain_config {
	/* tick */
	double tick_s; /* 1.0 */
	/* probes: hard failures */
	unsigned int probe_fall; /* 2 consecutive failures -> down */
	unsigned int probe_rise; /* 3 consecutive successes -> up */
	/* features */
	double staleness_limit_s; /* 5.0: carried forward, then unknown */
	unsigned int window;	  /* 30 ticks: rolling mean/std */
	/* models */
	unsigned int regression_window; /* 120 ticks: per-pair load model */
	unsigned int forecast_window;	/* 600 ticks: per-VIP demand */
	unsigned int forecast_horizon;	/* 1 tick ahead for weights */
	unsigned int iforest_trees;	/* 100 */
	unsigned int iforest_samples;	/* psi 256, capped at what exists */
	unsigned int iforest_retrain_s; /* 60 */
	unsigned int iforest_min_rows;	/* 32 healthy rows before scoring */
	uint64_t seed;			/* 1 */
	double anomaly_threshold; /* 0.62: score at or above is anomalous */
	unsigned int anomaly_k;	  /* 3 ... */
	unsigned int anomaly_m;	  /* ... of 5 ticks */
	/* policy */
	double max_step;	/* 0.25: factor change per tick, relative */
	double hysteresis;	/* 0.05: no write below this relative change */
	double min_factor;	/* 0.05 */
	double hot_ratio;	/* 3.0: in-flight or latency vs fleet median */
	double slow_start_s;	/* 30 */
	double slow_start_from; /* 0.10 of the weight */
	double slow_start_aggression; /* 1.0: Envoy's curve exponent */
	/* guardrails */
	double max_ejection_percent; /* 34 */
	double ejection_base_s;	     /* 30: doubles with each repeat */
	double ejection_max_s;	     /* 300 */
	double ejection_decay_s;     /* 300 healthy: one repeat forgotten */
	double panic_threshold;	     /* 0.5 of a VIP's backends healthy */
	double forget_after_s;	     /* 60 */
	/* predictive capacity (standby pool) */
	double capacity_horizon_s;   /* 60 */
	double capacity_high;	     /* 0.75 */
	double capacity_low;	     /* 0.40 */
	unsigned int capacity_ticks; /* 10 ticks above/below before acting */
	double capacity_dwell_s;     /* 60 between capacity changes */
	bool dry_run;		     /* decide and log, apply nothing */
	/* anomaly gate (added after the first cut of this header) */
	double anomaly_min_z;	  /* 4: forest score counts only with a
				    deviation this large on a gated feature */
	double anomaly_strong_z;  /* 8: anomalous whatever the forest says */
	double hot_min_latency_s; /* 0.02: latency above the median by this */
	double hot_min_in_flight; /* 8: in flight above the median by this */
};

void xlb_brain_config_default(struct xlb_brain_config *cfg);
/* 0, or -EINVAL with a message naming the key ("anomaly_k: 6 > anomaly_m"). */
int xlb_brain_config_check(const struct xlb_brain_config *cfg, char *err,
			   size_t errlen);

/*
 * What the shell measured of one pair over the last tick. NAN means
 * unknown (never a silent zero); the core carries values forward up to
 * staleness_limit_s and then treats them as unknown.
 */
struct xlb_brain_obs {
	/* the maps' counters, as rates per second */
	double packets_per_s;
	double bytes_per_s;
	double new_flows_per_s;
	double ended_flows_per_s; /* client FIN/RST; NAN when not exported */
	/* active probes during the tick */
	unsigned int probes_ok;
	unsigned int probes_failed;
	double probe_latency_s; /* mean of the successful ones */
	/* the backend's agent (xlb-agent or node_exporter), as last scraped */
	double metrics_age_s; /* since the last good scrape; INFINITY never */
	double cpu_util;      /* 0..1 of the CPU it may use (its quota) */
	double mem_util;      /* 0..1 */
	double load1;	      /* load average per core */
	double service_latency_s; /* the agent's timed service probe */
	/* its last finished probe alone; NAN when the source has none */
	double service_latency_last_s;
	double service_fail_ratio; /* 0..1 of the agent's service probes */
};

/* One pair as the snapshot gives it. */
struct xlb_brain_pair_in {
	char key[XLB_BRAIN_KEY_MAX];
	size_t vip; /* index into snapshot.vips */
	__u32 base_weight;
	__u32 op_state; /* enum xlb_op_state */
	/* what the maps hold now (the brain's last write, or a restart's) */
	__u32 factor; /* XLB_FACTOR_ONE fixed point */
	__u32 health; /* enum xlb_health */
	/*
	 * The pair's intent reason as the maps hold it: with
	 * XLB_BRAIN_REASON_POOL set, the brain activated it from the standby
	 * pool (a restart adopts it back into the pool). 0 when unknown.
	 */
	__u32 reason;
	struct xlb_brain_obs obs;
};

/*
 * Set in the intent reason (beside the rule, in the low byte) of a pair
 * the brain activated from the standby pool, so that it is returned to
 * standby later, after a restart too, and no operator-active pair is.
 */
#define XLB_BRAIN_REASON_POOL 0x100u
#define XLB_BRAIN_REASON_RULE(r) ((r)&0xffu)

struct xlb_brain_vip_in {
	char key[XLB_BRAIN_KEY_MAX]; /* "10.0.0.1:80/tcp" */
	double demand_per_s; /* new flows (TCP) or packets (UDP) per second */
};

struct xlb_brain_snapshot {
	double now; /* seconds, monotonic; the caller's clock */
	struct xlb_brain_vip_in *vips;
	size_t n_vips;
	struct xlb_brain_pair_in *pairs; /* grouped by vip */
	size_t n_pairs;
};

/* The rule behind a change: logged, counted in /metrics. */
enum xlb_brain_rule {
	XLB_RULE_NONE = 0,
	XLB_RULE_EQUALISE,	/* factor toward equal predicted utilisation */
	XLB_RULE_HOT,		/* in-flight or latency far above the fleet */
	XLB_RULE_ANOMALY_DRAIN, /* k of m anomalous ticks */
	XLB_RULE_PROBE_DOWN,	/* fall consecutive probe failures */
	XLB_RULE_PROBE_UP,	/* rise consecutive successes */
	XLB_RULE_EJECTION_END,	/* ejection time over: back via slow start */
	XLB_RULE_SLOW_START,	/* ramping after recovery */
	XLB_RULE_PANIC,		/* too few healthy: spread over all answering */
	XLB_RULE_GUARDRAIL,	/* a drain refused by max ejection / last one */
	XLB_RULE_CAPACITY_UP,	/* standby activated on predicted utilisation */
	XLB_RULE_CAPACITY_DOWN, /* returned to standby */
	XLB_RULE_N,
};

const char *xlb_brain_rule_name(enum xlb_brain_rule rule);

struct xlb_brain_feature_dev {
	char name[XLB_BRAIN_FEATURE_NAME_MAX];
	double value;
	double fleet_median;
	double own_mean; /* the pair's own rolling mean */
};

/* One change the brain wants, with everything that explains it. */
struct xlb_brain_decision {
	size_t pair; /* index into snapshot.pairs */
	enum xlb_brain_rule rule;
	__u32 old_factor, new_factor;
	__u32 old_health, new_health;
	/* capacity rules: the operator state to write (STANDBY <-> ACTIVE) */
	__u32 old_op_state, new_op_state;
	double anomaly_score;  /* NAN when not scored */
	double predicted_util; /* NAN when unknown */
	struct xlb_brain_feature_dev top[XLB_BRAIN_TOP_FEATURES];
	unsigned int n_top;
	char reason[XLB_BRAIN_REASON_MAX]; /* one sentence for the log */
};

/* Per pair, what /metrics and the status page show every tick. */
struct xlb_brain_pair_out {
	__u32 factor; /* after this tick's decisions */
	__u32 health;
	double anomaly_score;	 /* NAN when not scored */
	double cost_per_request; /* b + c of the load regression; NAN */
	double predicted_util;	 /* NAN when unknown */
	bool in_slow_start;
	unsigned int ejections; /* repeats counted for the backoff */
	bool capacity_pool; /* standby, or activated from the pool by the brain */
};

/* Per VIP: the demand forecast and capacity plan. */
struct xlb_brain_vip_out {
	double forecast_per_s;	      /* next tick's demand, selected model */
	double forecast_error;	      /* its recent MAE */
	const char *forecast_model;   /* "ar", "ses", "last" */
	double predicted_util;	      /* over capacity_horizon_s */
	unsigned int active, desired; /* backends, for the capacity plan */
	unsigned int standby;	      /* pool pairs in standby, ready */
	bool panic;
};

/* Filled by xlb_brain_tick(); arrays sized by the core, reused each tick. */
struct xlb_brain_plan {
	struct xlb_brain_pair_out *pairs; /* n_pairs, as the snapshot */
	struct xlb_brain_vip_out *vips;	  /* n_vips */
	struct xlb_brain_decision *decisions;
	size_t n_decisions;
	/* how long each stage took this tick, seconds */
	double features_s, models_s, policy_s;
};

struct xlb_brain;

int xlb_brain_create(const struct xlb_brain_config *cfg,
		     struct xlb_brain **out);
void xlb_brain_destroy(struct xlb_brain *brain);
/* A new config (SIGHUP) keeps the learned state where it still fits. */
int xlb_brain_reconfigure(struct xlb_brain *brain,
			  const struct xlb_brain_config *cfg);

/*
 * One tick. The plan's arrays stay valid until the next call. Decisions
 * are what should change; in dry_run they are still returned (the shell
 * logs them and writes nothing).
 */
int xlb_brain_tick(struct xlb_brain *brain,
		   const struct xlb_brain_snapshot *snap,
		   struct xlb_brain_plan *plan);

/*
 * One probe result, outside the tick (pure and cheap). Returns 1 and fills
 * *decision (its pair field is 0: the shell knows which pair it asked)
 * when the health state changes (fall failures -> DOWN, rise successes ->
 * OK through slow start), 0 otherwise.
 */
int xlb_brain_probe_result(struct xlb_brain *brain, const char *pair_key,
			   double now, bool ok, double latency_s,
			   struct xlb_brain_decision *decision);

/*
 * Another LB host reports the pair down (its probes reached fall) and asks
 * for this host's confirmation: returns 1 and fills *decision (rule
 * PROBE_DOWN) when this host's last probe of the pair failed too, setting
 * it down as fall would; 0 when it succeeded, or it is down already. Its
 * rise brings it back as after any probe down.
 */
int xlb_brain_probe_confirm_down(struct xlb_brain *brain, const char *pair_key,
				 struct xlb_brain_decision *decision);

/*
 * Learned state in and out, for a restart without a jump in weights: the
 * shell stores the blob (SQLite or a file in the state dir) and hands it
 * back. Versioned; a blob of another version is refused (-EPROTO).
 */
int xlb_brain_save(const struct xlb_brain *brain, void **blob, size_t *len);
int xlb_brain_load(struct xlb_brain *brain, const void *blob, size_t len);

#endif
