/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlb-sim: a fleet simulator that runs the brain's own core (libxlbbrain)
 * and libxlb's Maglev builder against simulated backends. The world is a
 * fluid model stepped every probe interval (100 ms): each backend a
 * multi-core queue with a fault schedule, fed by a demand trace split by
 * the shares of the Maglev table of the current effective weights.
 */
#ifndef XLB_SIM_H
#define XLB_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xlb_intent.h"

#define SIM_HIST_BINS 4000 /* log bins, 10 us .. 1000 s: 0.46% wide */
#define SIM_MAX_BACKENDS 1000

enum sim_fault_kind {
	FAULT_KILL = 0, /* process dead: probes and requests fail */
	FAULT_THROTTLE, /* CPU quota cut to param (0..1) */
	FAULT_LATENCY,	/* param seconds added to every request */
	FAULT_DEGRADE,	/* capacity falls linearly to param over the window */
	FAULT_FLAP,	/* dead param s, alive param s, ... */
	FAULT_N,
};

static inline bool sim_fault_is_hard(enum sim_fault_kind k)
{
	return k == FAULT_KILL || k == FAULT_FLAP;
}

struct sim_fault {
	unsigned int backend;
	enum sim_fault_kind kind;
	double start, duration, param;
};

struct sim_config {
	uint64_t seed;
	unsigned int n_backends;
	double duration_s;	/* simulated seconds */
	double step_s;		/* model step = probe interval, 0.1 */
	double rate_per_core;	/* requests/s one core serves */
	unsigned int max_cores; /* cores drawn from 1..max_cores */
	double peak_util;	/* trace scaled: its peak = this x capacity */
	double timeout_s;	/* a request waiting longer fails */
	double probe_timeout_s;
	double scrape_s;	  /* agent scrape period */
	double slo_s;		  /* per-minute p99 target */
	const char *service_dist; /* "exp" or "lognormal" */
	const char *trace;	  /* NULL: generated diurnal + bursts */
	long trace_offset;	  /* seconds skipped at the trace's start */
	unsigned int table_size;  /* 0: smallest prime >= 100 x backends */
	unsigned int n_gray, n_hard;
	unsigned int n_standby;	 /* xlb: the last N backends start as standby */
	const char *faults_file; /* NULL: generated schedule */
	const char *xlb_base; /* "equal" or "capacity" base weights for xlb */
	double eval_from_s;   /* the held-apart window: [eval_from_s, end) */
	bool quiet;
};

struct sim_backend {
	unsigned int cores;
	double backlog; /* requests queued beyond what a step serves */
	/* this tick, for the agent and the reports */
	double tick_arrived, tick_served, tick_failed, tick_busy;
	double tick_lat_sum, tick_lat_n;
	/* what the agent last reported (the scrape) */
	double scraped_at, scraped_cpu, scraped_latency, scraped_fail;
	double scraped_latency_last; /* the last step's alone */
	double scraped_load;
	bool alive_now;
	double cap_now, added_now; /* req/s capacity and extra latency */
};

/* The "maps": what the data plane uses, per pair. */
struct sim_pair_state {
	__u32 base_weight, op_state, factor, health;
};

struct sim_hist {
	double w[SIM_HIST_BINS];
	double total;
};

void sim_hist_add(struct sim_hist *h, double latency_s, double weight);
double sim_hist_quantile(const struct sim_hist *h, double q);

/* splitmix64: small, seedable, the same everywhere */
static inline uint64_t sim_rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline double sim_rng_uniform(uint64_t *s)
{
	return ((sim_rng_next(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

double sim_rng_normal(uint64_t *s);

/* demand.c */
int sim_demand_load(const struct sim_config *cfg, double **out, size_t *n,
		    char *err, size_t errlen);
void sim_demand_scale(double *d, size_t n, double target_peak);

/* faults.c */
const char *sim_fault_name(enum sim_fault_kind k);
int sim_faults_generate(const struct sim_config *cfg, struct sim_fault **out,
			size_t *n);
int sim_faults_load(const char *path, unsigned int n_backends,
		    struct sim_fault **out, size_t *n, char *err,
		    size_t errlen);
/* The fault state of a backend at time t: alive, capacity multiplier,
 * added latency; and whether any fault window covers t. */
bool sim_fault_state(const struct sim_fault *f, size_t n, unsigned int be,
		     double t, bool *alive, double *cap_mult, double *added);

/* policies */
enum sim_policy {
	POLICY_STATIC_EQUAL = 0,
	POLICY_STATIC_CAPACITY,
	POLICY_REACTIVE,
	POLICY_XLB,
	POLICY_BANDIT, /* experimental: trained before eval_from_s, then frozen */
	POLICY_N,
};

const char *sim_policy_name(enum sim_policy p);
/* the name in the report tables ("bandit (experimental)") */
const char *sim_policy_label(enum sim_policy p);

/* bandit.c: contextual epsilon-greedy weight tuner (experimental) */
#define SIM_BANDIT_BUCKETS 5
#define SIM_BANDIT_ARMS 5
#define SIM_TRAIN_FRAC 0.7 /* of the run the bandit learns on */
extern const double sim_bandit_arms[SIM_BANDIT_ARMS];
extern const double sim_bandit_bucket_top[SIM_BANDIT_BUCKETS];

struct sim_bandit;

struct sim_bandit_in {
	bool valid;	/* active and scraped this tick */
	double util;	/* CPU of the last scrape, 0..1 */
	double delay_s; /* queueing delay + fail ratio x timeout */
};

struct sim_bandit_summary {
	int arm[SIM_BANDIT_BUCKETS]; /* the greedy arm per bucket */
	double q[SIM_BANDIT_BUCKETS][SIM_BANDIT_ARMS];
	double pulls[SIM_BANDIT_BUCKETS][SIM_BANDIT_ARMS];
	unsigned long explored, decisions;
};

int sim_bandit_create(unsigned int n, uint64_t seed, struct sim_bandit **out);
void sim_bandit_destroy(struct sim_bandit *b);
/* One tick: updates the value of each backend's previous choice (when
 * learn), then picks a factor multiplier per backend (1 when not valid). */
void sim_bandit_tick(struct sim_bandit *b, const struct sim_bandit_in *in,
		     bool learn, double *mult);
void sim_bandit_policy(const struct sim_bandit *b,
		       struct sim_bandit_summary *s);

struct sim_fault_result {
	double detected_at; /* NAN: never */
};

/* Figures over the held-apart window [eval_from_s, end) alone. */
struct sim_window {
	double requests, failed, p50, p99;
	unsigned int drains_false, minutes, minutes_in_slo;
	double weight_writes; /* per hour of the window */
};

struct sim_result {
	enum sim_policy policy;
	double requests, served, failed, failed_dead, failed_timeout,
		failed_none;
	double queued_end;	      /* still waiting when the run ended */
	double failed_outside_faults; /* at backends with no fault window */
	double p50, p99, mean_latency;
	unsigned int drains_true, drains_false;
	double weight_writes;
	double capacity_core_hours;
	unsigned int minutes, minutes_in_slo;
	struct sim_fault_result *faults; /* as the schedule */
	double gray_detect_max_ticks;	 /* NAN when one was never detected */
	unsigned int gray_detected, hard_detected;
	double wall_s;
	struct sim_window eval;
	struct sim_bandit_summary bandit; /* POLICY_BANDIT: what it learned */
};

struct sim_world {
	const struct sim_config *cfg;
	struct sim_backend *be;
	const double *demand;
	size_t n_demand;
	const struct sim_fault *faults;
	size_t n_faults;
	FILE *timeline; /* per-minute rows, may be NULL */
	FILE *log;	/* drains: policy,t,backend,kind,true,rule; or NULL */
	unsigned int *watch; /* backends the timeline shows */
	size_t n_watch;
};

int sim_run(struct sim_world *w, enum sim_policy policy, struct sim_result *res,
	    char *err, size_t errlen);

#endif
