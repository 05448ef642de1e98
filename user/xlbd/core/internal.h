/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The brain core's private state, shared by its stage files (features.c,
 * models.c, policy.c, guardrails.c, probe_health.c, persist.c, brain.c,
 * pool.c).
 * Nothing here is seen by the shell: it speaks brain.h only.
 */
#ifndef XLB_BRAIN_INTERNAL_H
#define XLB_BRAIN_INTERNAL_H

#include <math.h>

#include "brain.h"
#include "forecast.h"
#include "iforest.h"

/* The pair's signals, each carried forward and normalised on its own. */
enum brain_signal {
	SIG_CPU = 0,   /* agent cpu_util, 0..1 of its quota */
	SIG_LATENCY,   /* service latency, else probe latency */
	SIG_IN_FLIGHT, /* new - ended flows, integrated */
	SIG_FAIL,      /* probe and service failure ratio */
	SIG_COST,      /* load per request: the regression's b + c */
	SIG_MEM,       /* agent mem_util */
	SIG_REQ,       /* new flows (or packets) per second */
	SIG_N,
};

/* The Isolation Forest's row: fleet-relative, so shared changes cancel. */
enum brain_feature {
	FEAT_CPU_Z = 0,	    /* robust z of cpu vs the VIP's fleet */
	FEAT_LATENCY_Z,	    /* robust z of latency vs the fleet */
	FEAT_IN_FLIGHT_Z,   /* robust z of in flight vs the fleet */
	FEAT_FAIL_Z,	    /* robust z of the failure ratio */
	FEAT_COST_CHANGE_Z, /* own cost / own mean, vs the fleet's ratio */
	FEAT_MEM_Z,	    /* robust z of memory */
	FEAT_N,
};

/* Rows of healthy periods kept for retraining the forest. */
#define BRAIN_TRAIN_ROWS 4096u
/*
 * A backend whose agent reads its CPU at this share of its quota or more
 * has no headroom: it serves what its CPU can, however many requests
 * arrive, and the rest queue. Its load over requests is then only a lower
 * bound on its cost, and a share raised on it only lengthens its queue.
 */
#define BRAIN_CPU_FULL 0.9
/* z values are clamped so that one wild reading cannot dominate a row. */
#define BRAIN_Z_CLAMP 50.0

/* For each snapshot pair index i of snapshot VIP vip (k: its position). */
#define for_each_vip_pair(brain, vip, k, i)             \
	for (size_t k = (brain)->vip_first[vip], i = 0; \
	     k < (brain)->vip_first[(vip) + 1] &&       \
	     ((i = (brain)->by_vip[k]), true);          \
	     k++)

/* What the load regression's Load is measured in. */
enum brain_load_source {
	LOAD_NONE = 0,
	LOAD_CPU,     /* the agent's CPU utilisation */
	LOAD_LATENCY, /* probe latency, for pairs without an agent */
};

/* A signal's history; its carried-forward level is brain_pair.level[]. */
struct brain_signal_state {
	double seen; /* time of the last real value */
	double mean; /* rolling over cfg.window, NAN until one value */
	/* the sum over the pair's ring (brain_pair.ring), its known levels */
	double ring_sum;
	/*
	 * The same sums over this round of the ring, from its slot 0: at the
	 * round's end they are the ring summed afresh, in the same order, so
	 * the window sheds its rounding drift without a pass over the ring.
	 */
	double round_sum;
	unsigned int ring_known, round_known;
};

/* The load regression's sums over its rows (load, req t-1, req t-2). */
struct brain_reg_sums {
	double sum[3], cross[3][3];
};

/*
 * One pair's state. The stages pass over every pair several times a tick,
 * each reading a few fields: those most of them read come first, together
 * in four cache lines (the pool, pool.c, aligns each pair to a line), and
 * what one stage alone reads follows, grouped by stage, the key last. At
 * 6,400 pairs the state outgrows the caches, and a pass costs the lines it
 * pulls.
 */
struct brain_pair {
	/* --- read by most stages each tick */
	bool eligible;	/* operator-active this tick: capacity */
	bool hot;	/* Prequal's hot rule fired this tick */
	bool anomalous; /* k of m */
	/* the cost's CUSUM is past its bound this tick (features.c) */
	bool sustained;
	bool settled; /* the factor did not move last tick */
	bool refusal_logged;
	/*
	 * Standby pool (capacity.c): a pair the operator set standby, or one
	 * the brain activated from it; pool_op is the operator state the
	 * brain expects it in (another value: the operator took it back).
	 */
	bool pool, pool_adopted;
	__u32 pool_op;
	/* health, as the brain holds it */
	__u32 health;
	/* factors: policy (before slow start) and what the maps hold */
	__u32 factor;
	unsigned int anomaly_bits; /* last m ticks, bit 0 the newest */
	unsigned int ejections;
	/* ticks with requests in a row (brain_cost_known) */
	unsigned int busy_ticks;
	int load_source; /* enum brain_load_source of the window */
	int max_z_feature;
	double policy_factor;
	double target_smooth; /* smoothed equalising target, NAN */
	double score;	      /* NAN when not scored */
	double max_z;	      /* largest gated deviation this tick */
	double hotness;	  /* latency or in flight over the fleet median, 0 */
	double in_flight; /* integrated new - ended, NAN when unknown */
	/* the agent's last finished probe alone, NAN when unknown */
	double latency_last;
	/* when the hot rule last cut its factor, NAN when never */
	double hot_cut_at;
	/* slow start: since when, NAN when not ramping */
	double slow_start_since;
	/* guardrails */
	double eject_until; /* NAN when not ejected on anomaly */
	double healthy_since;
	/*
	 * After probes bring a pair back, its first ticks still hold the
	 * failures from before the rise: no anomaly counts until then.
	 */
	double anomaly_quiet_until; /* NAN when not quiet */
	double last_seen;
	double predicted_util;
	double cost; /* b + c, NAN until fitted */
	double intercept;
	/*
	 * The cost per request the policy uses: smoothed load over smoothed
	 * requests of the same ticks. A ratio of means, not a mean of
	 * ratios: the load is made by the requests it is divided by, so
	 * their counting noise cancels instead of adding.
	 */
	double cost_ratio;
	double pool_since; /* activated at, or draining back since; NAN */
	/* each signal's carried-forward level, NAN when unknown */
	double level[SIG_N];

	/* --- features */
	double z[FEAT_N]; /* this tick's features */
	bool z_known[FEAT_N];
	double fleet_median[FEAT_N]; /* of each feature's value */
	double cost_change;	     /* cost / own mean cost */
	struct brain_signal_state sig[SIG_N];
	/*
	 * The last window levels of every signal (NAN: unknown), a row of
	 * SIG_N per tick: a tick's update reads and writes one cache line,
	 * not one per signal.
	 */
	double *ring;
	unsigned int ring_pos, ring_n;
	/*
	 * Page's CUSUM of the cost change's robust z (features.c): a
	 * deviation too small for one tick's verdict that lasts (a quota
	 * ramped down, a slow leak) adds up; past its bound the tick is
	 * anomalous (sustained).
	 */
	double cost_cusum;
	/*
	 * The cost's long-run level (an EWMA over CUSUM_BASE_TICKS, frozen
	 * while the CUSUM is above 0, in slow start or out of service), the
	 * cost over it, and the fleet median of that ratio.
	 */
	double cost_base, cost_long, cost_long_median;
	unsigned int cost_base_n; /* samples in it; 0 again after an outage */

	/* --- models: the per-pair load regression over a sliding window */
	unsigned int reg_pos, reg_n;
	double *reg_rows;	   /* ring of (load, req t-1, req t-2) rows */
	struct brain_reg_sums reg; /* sliding sums */
	/*
	 * The same sums over this round of the ring, from its row 0: at the
	 * round's end they are the window summed afresh, in the same order,
	 * which sheds the drift without a pass over the window.
	 */
	struct brain_reg_sums reg_round;
	double req_prev1, req_prev2; /* Req(t-1), Req(t-2) */
	double regression_r2;
	double load_smooth, req_smooth;

	/* --- the tables */
	size_t slot;  /* index into brain.pairs */
	size_t vip;   /* index into brain.vips */
	bool adopted; /* factor/health taken from the maps once */
	bool loaded;  /* state from a saved blob */
	unsigned int fail_run, ok_run; /* probe runs (probe_health.c) */
	double run_since;	      /* the first probe of the current run's */
	struct brain_pair *next_free; /* pool.c, while the pair is free */
	char key[XLB_BRAIN_KEY_MAX];
} __attribute__((aligned(64)));

struct brain_vip {
	char key[XLB_BRAIN_KEY_MAX];
	double last_seen;
	struct xlb_forecaster *forecaster;
	double forecast, forecast_error;
	const char *forecast_model;
	bool panic;
	double predicted_util;
	unsigned int active, desired, standby;
	/* capacity.c: runs of ticks above/below the marks, last change */
	unsigned int cap_above, cap_below;
	double cap_changed;	  /* -INFINITY before the first change */
	unsigned int cap_desired; /* the last change's count (guardrails
				     reset desired to active each tick) */
	bool cap_desired_set;
	/* the last CAPACITY_TREND_TICKS (32) demands, for the horizon's trend */
	double trend[32];
	unsigned int trend_pos, trend_n;
};

struct xlb_brain {
	struct xlb_brain_config cfg;
	double now;
	double saved_now; /* a loaded blob's clock, NAN once shifted */

	struct brain_pair **pairs;
	size_t n_pairs, cap_pairs;
	/* pool.c: the chunks pairs live in, the last one's use, free pairs */
	void **chunks;
	size_t n_chunks, cap_chunks, chunk_used;
	struct brain_pair *free_pairs;
	size_t *index; /* open addressing, pair index + 1, 0 empty */
	size_t index_cap;

	struct brain_vip *vips;
	size_t n_vips, cap_vips;

	/* per tick: snapshot pair -> brain pair, snapshot vip -> brain vip */
	size_t *slot_of;
	size_t n_slot_of; /* entries the last tick set */
	size_t *vip_of;
	size_t cap_snap_pairs, cap_snap_vips;
	/*
	 * Snapshot pairs grouped by VIP, so a per-VIP stage visits only its
	 * VIP's pairs: by_vip[vip_first[v] .. vip_first[v + 1]) are VIP v's.
	 */
	size_t *by_vip;
	size_t *vip_first; /* cap_snap_vips + 1 */

	/* plan arrays, reused each tick */
	struct xlb_brain_pair_out *out_pairs;
	struct xlb_brain_vip_out *out_vips;
	struct xlb_brain_decision *decisions;

	/* scratch for medians and scores, sized cap_snap_pairs */
	double *scratch;
	/* guardrails.c: a pair's health decision + 1, else 0; cap_snap_pairs */
	size_t *decision_of;
	/* cap_snap_pairs x FEAT_N rows to score (features: a VIP's columns) */
	double *rows;

	/* Isolation Forest */
	struct xlb_iforest *forest;
	bool forest_fitted;
	double forest_trained_at;
	double *train; /* BRAIN_TRAIN_ROWS x FEAT_N ring */
	size_t train_pos, train_n;
	uint64_t ticks;
};

/* Prefetch [from, to) for writing: a pass over pairs gets the lines ahead. */
static inline void brain_prefetch(const void *from, const void *to)
{
	for (uintptr_t a = (uintptr_t)from & ~(uintptr_t)63; a < (uintptr_t)to;
	     a += 64)
		__builtin_prefetch((const void *)a, 1);
}

/*
 * The leading cache lines of the pair PREFETCH_PAIR_AHEAD rows after
 * snapshot row i (brain_pair: what most stages read), for a pass over the
 * pairs in snapshot order.
 */
#define PREFETCH_PAIR_AHEAD 8
static inline void brain_prefetch_pair(const struct xlb_brain *brain,
				       const struct xlb_brain_snapshot *snap,
				       size_t i)
{
	const struct brain_pair *q;

	if (i + PREFETCH_PAIR_AHEAD >= snap->n_pairs)
		return;
	q = brain->pairs[brain->slot_of[i + PREFETCH_PAIR_AHEAD]];
	brain_prefetch(q, &q->level[SIG_N]);
}

/* The same in VIP order: the pair PREFETCH_PAIR_AHEAD after position k. */
static inline void
brain_prefetch_vip_pair(const struct xlb_brain *brain,
			const struct xlb_brain_snapshot *snap, size_t k)
{
	const struct brain_pair *q;

	if (k + PREFETCH_PAIR_AHEAD >= snap->n_pairs)
		return;
	q = brain->pairs[brain->slot_of[brain->by_vip[k + PREFETCH_PAIR_AHEAD]]];
	brain_prefetch(q, &q->level[SIG_N]);
}

/* brain.c */
struct brain_pair *brain_pair_get(struct xlb_brain *brain, const char *key,
				  bool create);
double brain_now_s(void);

/* pool.c */
struct brain_pair *brain_pool_get(struct xlb_brain *brain);
void brain_pool_put(struct xlb_brain *brain, struct brain_pair *p);
void brain_pool_free(struct xlb_brain *brain);

/* features.c */
void brain_features_init(struct brain_pair *p);
void brain_features(struct xlb_brain *brain,
		    const struct xlb_brain_snapshot *snap, double dt);
const char *brain_feature_name(int feature);
int brain_feature_signal(int feature);

/* median.c: the median of n finite values (NAN when none), v reordered */
double brain_median(double *v, size_t n);
/* the k-th smallest of v[0..n), k < n, v reordered */
double brain_kth(double *v, size_t n, size_t k);

/* models.c */
void brain_models_pair_init(struct brain_pair *p);
int brain_models_init(struct xlb_brain *brain);
void brain_models_fini(struct xlb_brain *brain);
int brain_vip_models_init(struct xlb_brain *brain, struct brain_vip *v);
void brain_models(struct xlb_brain *brain,
		  const struct xlb_brain_snapshot *snap);

/* policy.c: the equalising and hot targets, into policy_factor */
void brain_policy(struct xlb_brain *brain,
		  const struct xlb_brain_snapshot *snap,
		  struct xlb_brain_plan *plan);

/* capacity.c: the standby pool, after the guardrails */
void brain_capacity(struct xlb_brain *brain,
		    const struct xlb_brain_snapshot *snap,
		    struct xlb_brain_plan *plan);

/* guardrails.c: health transitions, caps, panic, slow start, decisions */
void brain_guardrails(struct xlb_brain *brain,
		      const struct xlb_brain_snapshot *snap,
		      struct xlb_brain_plan *plan);
double brain_slow_start_mult(const struct xlb_brain_config *cfg, double since,
			     double now);
__u32 brain_factor_fixed(double f);
void brain_explain(const struct xlb_brain *brain, const struct brain_pair *p,
		   struct xlb_brain_decision *d);

/*
 * Whether this tick's load over its requests is the pair's cost. Not on
 * idle ticks, nor on the first busy ones after them: the load lags the
 * requests counted at the LB (the agent's CPU since its previous scrape
 * reaches back into the idle time; a Prometheus irate is a scrape or two
 * behind), so they read a fraction of it. Nor for a few seconds after a
 * hot cut: the load is then its backlog, made by the requests before the
 * cut (it read 3.5x, and an overloaded backend was drained as faulty).
 */
#define COST_WARMUP_TICKS 3
#define HOT_COST_BLIND_S 5.0
static inline bool brain_cost_known(const struct xlb_brain *brain,
				    const struct brain_pair *p)
{
	return p->busy_ticks > COST_WARMUP_TICKS &&
	       !(brain->now - p->hot_cut_at < HOT_COST_BLIND_S);
}

#endif
