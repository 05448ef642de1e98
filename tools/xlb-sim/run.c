// SPDX-License-Identifier: GPL-2.0
/*
 * One run: the world stepped every step_s (the probe interval), the
 * policy consulted on every probe (health) and every 1 s tick (weights).
 *
 * Per backend and step the model is a fluid queue with an M/M/c term:
 * arrivals A = demand x the pair's share of the Maglev table, capacity
 * K = cores x rate_per_core x the fault's multiplier; what K cannot serve
 * waits (backlog), and what would wait beyond timeout_s fails. A
 * request's latency = service time (exponential or lognormal) + an
 * Erlang-C wait at the step's utilisation + backlog / capacity + any added
 * latency. Not modelled: connection stickiness (every request is a new
 * flow, so a drain takes effect at once), TCP retries, the data plane's
 * slot skipping before a rebuild (tables rebuild in the same step),
 * network latency, LB-host limits.
 */
#include <endian.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "brain.h"
#include "maglev.h"
#include "sim.h"

static const char *const policy_names[POLICY_N] = {
	[POLICY_STATIC_EQUAL] = "static-equal",
	[POLICY_STATIC_CAPACITY] = "static-capacity",
	[POLICY_REACTIVE] = "reactive",
	[POLICY_XLB] = "xlb",
	[POLICY_BANDIT] = "bandit",
};

const char *sim_policy_name(enum sim_policy p)
{
	return (unsigned int)p < POLICY_N ? policy_names[p] : "unknown";
}

const char *sim_policy_label(enum sim_policy p)
{
	return p == POLICY_BANDIT ? "bandit (experimental)"
				  : sim_policy_name(p);
}

void sim_hist_add(struct sim_hist *h, double latency_s, double weight)
{
	int bin = (int)((log10(latency_s) + 5) * (SIM_HIST_BINS / 8.0));

	if (!(weight > 0))
		return;
	if (bin < 0)
		bin = 0;
	if (bin >= SIM_HIST_BINS)
		bin = SIM_HIST_BINS - 1;
	h->w[bin] += weight;
	h->total += weight;
}

/* The upper edge of the bin holding quantile q: within 0.5% above it. */
double sim_hist_quantile(const struct sim_hist *h, double q)
{
	double want = q * h->total, run = 0;

	if (!(h->total > 0))
		return NAN;
	for (int i = 0; i < SIM_HIST_BINS; i++) {
		run += h->w[i];
		if (run >= want)
			return pow(10, (i + 1) / (SIM_HIST_BINS / 8.0) - 5);
	}
	return pow(10, 3);
}

/* Erlang C: the chance an arrival waits, c servers at offered load a. */
static double erlang_c(unsigned int c, double a)
{
	double term = 1, sum = 1, top;

	for (unsigned int k = 1; k < c; k++) {
		term *= a / k;
		sum += term;
	}
	term *= a / c;
	top = term / (1 - a / c);
	return top / (sum + top);
}

struct run {
	struct sim_world *w;
	const struct sim_config *cfg;
	enum sim_policy policy;
	struct sim_result *res;
	unsigned int n;
	uint64_t rng;
	struct sim_pair_state *pairs;
	double *share; /* of the table, per backend */
	__u16 *table;
	unsigned int table_size;
	struct xlb_maglev_backend *mb;
	struct xlb_vip_key vip;
	bool dirty;
	/* per backend */
	bool *has_fault;
	double *fault_share0; /* share when the fault began, per fault */
	unsigned int *fail_run, *ok_run; /* the baselines' health check */
	double *last_lat;		 /* mean latency of the last step */
	double *scratch;
	unsigned int probe_fall, probe_rise;
	unsigned int *probes_ok, *probes_failed;
	double *probe_lat_sum;
	/* xlb */
	struct xlb_brain *brain;
	struct xlb_brain_snapshot snap;
	struct xlb_brain_vip_in vip_in;
	double forecast;
	/* bandit */
	struct sim_bandit *bandit;
	struct sim_bandit_in *bandit_in;
	/* reports */
	struct sim_hist all, minute, eval;
	bool in_eval; /* in the held-apart window */
	double eval_failed0, eval_requests0, eval_writes0;
	unsigned int eval_drains_false0;
	double minute_demand, *minute_busy;
	double writes;
	const char *why; /* the rule behind the change being applied */
};

static unsigned int eff_weight(const struct sim_pair_state *p)
{
	return xlb_effective_weight(p->base_weight, p->factor);
}

static unsigned int eff_state(const struct sim_pair_state *p)
{
	return xlb_effective_state(p->op_state, p->health);
}

/* libxlb's Maglev builder over the active pairs; shares from slot counts. */
static int rebuild(struct run *r)
{
	size_t m = 0;
	int ret;

	for (unsigned int i = 0; i < r->n; i++) {
		r->mb[m] = (struct xlb_maglev_backend){
			.family = 4,
			.weight = eff_state(&r->pairs[i]) == 1
					  ? eff_weight(&r->pairs[i])
					  : 0,
			.pair = (__u16)i,
		};
		r->mb[m].addr.v4 =
			htobe32(0x0a010000u | ((i / 250) << 8) | (i % 250 + 1));
		m++;
	}
	ret = xlb_maglev_build(&r->vip, r->mb, m, r->table_size, r->table);
	if (ret)
		return ret;
	memset(r->share, 0, r->n * sizeof(*r->share));
	for (unsigned int s = 0; s < r->table_size; s++)
		if (r->table[s] != XLB_PAIR_NONE)
			r->share[r->table[s]] += 1.0 / r->table_size;
	r->dirty = false;
	return 0;
}

static bool fault_covers(const struct run *r, unsigned int be, double t)
{
	bool alive;
	double cap, added;

	return r->has_fault[be] && sim_fault_state(r->w->faults, r->w->n_faults,
						   be, t, &alive, &cap, &added);
}

/*
 * A pair's effective state or weight changed: one map write; a change
 * from active to not is a drain, true when a fault window covers it.
 */
static void note_change(struct run *r, unsigned int be,
			const struct sim_pair_state *old, double t)
{
	const struct sim_pair_state *p = &r->pairs[be];

	if (eff_state(old) == eff_state(p) && eff_weight(old) == eff_weight(p))
		return;
	r->writes++;
	r->dirty = true;
	/*
	 * A drain is the brain's verdict on a backend's health; returning a
	 * pool backend to standby (an operator-state change by the capacity
	 * planner) is not one.
	 */
	if (eff_state(old) == 1 && eff_state(p) != 1 &&
	    old->op_state == p->op_state) {
		bool covered = fault_covers(r, be, t);

		if (covered)
			r->res->drains_true++;
		else
			r->res->drains_false++;
		if (r->w->log)
			fprintf(r->w->log, "%s,%.1f,%u,%s,%s,%s\n",
				sim_policy_name(r->policy), t, be,
				p->health == XLB_HEALTH_DOWN ? "down" : "drain",
				covered ? "true" : "false", r->why);
	}
}

static void set_health(struct run *r, unsigned int be, __u32 health, double t)
{
	struct sim_pair_state old = r->pairs[be];

	r->pairs[be].health = health;
	note_change(r, be, &old, t);
}

static void pair_key(char *buf, size_t len, unsigned int i)
{
	snprintf(buf, len, "10.0.0.1:80/tcp 10.1.%u.%u", i / 250, i % 250 + 1);
}

/* One probe of every backend: HTTP GET, failing when dead or too slow. */
static void probe_all(struct run *r, double t)
{
	for (unsigned int i = 0; i < r->n; i++) {
		struct sim_backend *b = &r->w->be[i];
		bool ok = b->alive_now &&
			  r->last_lat[i] < r->cfg->probe_timeout_s;

		if (ok) {
			r->probes_ok[i]++;
			r->probe_lat_sum[i] += r->last_lat[i];
		} else {
			r->probes_failed[i]++;
		}
		if (r->policy == POLICY_XLB) {
			struct xlb_brain_decision d;

			if (xlb_brain_probe_result(r->brain,
						   r->snap.pairs[i].key, t, ok,
						   r->last_lat[i], &d) == 1) {
				struct sim_pair_state before = r->pairs[i];

				r->why = xlb_brain_rule_name(d.rule);
				r->pairs[i].health = d.new_health;
				r->pairs[i].factor = d.new_factor;
				note_change(r, i, &before, t);
			}
			continue;
		}
		/* the baselines: a plain fall/rise health check */
		r->why = "probe";
		if (ok) {
			r->fail_run[i] = 0;
			if (++r->ok_run[i] >= r->probe_rise &&
			    r->pairs[i].health == XLB_HEALTH_DOWN)
				set_health(r, i, XLB_HEALTH_OK, t);
		} else {
			r->ok_run[i] = 0;
			if (++r->fail_run[i] >= r->probe_fall &&
			    r->pairs[i].health != XLB_HEALTH_DOWN)
				set_health(r, i, XLB_HEALTH_DOWN, t);
		}
	}
}

static double service_sample(struct run *r, double mean)
{
	if (r->cfg->service_dist[0] == 'l') {
		const double sigma = 0.5;

		return mean *
		       exp(sigma * sim_rng_normal(&r->rng) - sigma * sigma / 2);
	}
	return -log(sim_rng_uniform(&r->rng)) * mean;
}

/* One step of the world: arrivals, service, failures, latency. */
static void step(struct run *r, double t, double rate)
{
	const struct sim_config *cfg = r->cfg;
	double dt = cfg->step_s, arrivals = rate * dt, placed = 0;

	for (unsigned int i = 0; i < r->n; i++) {
		struct sim_backend *b = &r->w->be[i];
		double a = arrivals * r->share[i];
		double mu = b->cap_now, k = mu * dt, q, served, rho, wait_p,
		       mean_wait, per_core, lat, mean_lat, fail = 0;

		placed += a;
		b->tick_arrived += a;
		if (!b->alive_now) {
			r->res->failed_dead += a + b->backlog;
			fail = a + b->backlog;
			b->backlog = 0;
			b->tick_failed += fail;
			if (fail > 0 && !fault_covers(r, i, t))
				r->res->failed_outside_faults += fail;
			r->last_lat[i] = INFINITY;
			continue;
		}
		q = b->backlog + a;
		served = q < k ? q : k;
		b->backlog = q - served;
		if (b->backlog > mu * cfg->timeout_s) {
			fail = b->backlog - mu * cfg->timeout_s;
			b->backlog = mu * cfg->timeout_s;
			r->res->failed_timeout += fail;
			b->tick_failed += fail;
			if (!fault_covers(r, i, t))
				r->res->failed_outside_faults += fail;
		}
		b->tick_served += served;
		b->tick_busy += k > 0 ? served / k : 1;
		r->res->served += served;

		per_core = mu / b->cores;
		rho = k > 0 ? a / k : 1;
		if (rho > 0.98)
			rho = 0.98;
		wait_p = erlang_c(b->cores, rho * b->cores);
		mean_wait = wait_p / (b->cores * per_core * (1 - rho));
		mean_lat = 1 / per_core + mean_wait + b->backlog / mu +
			   b->added_now;
		r->last_lat[i] = mean_lat;
		if (served > 0) {
			lat = service_sample(r, 1 / per_core) + b->added_now +
			      b->backlog / mu;
			if (sim_rng_uniform(&r->rng) < wait_p)
				lat += -log(sim_rng_uniform(&r->rng)) *
				       (mean_wait / wait_p);
			sim_hist_add(&r->all, lat, served);
			sim_hist_add(&r->minute, lat, served);
			if (r->in_eval)
				sim_hist_add(&r->eval, lat, served);
			r->res->mean_latency += lat * served;
			b->tick_lat_sum += mean_lat * served;
			b->tick_lat_n += served;
		}
	}
	r->res->requests += arrivals;
	if (arrivals - placed > 1e-9 * arrivals)
		r->res->failed_none += arrivals - placed;
}

static void scrape(struct run *r, double now, unsigned int steps)
{
	for (unsigned int i = 0; i < r->n; i++) {
		struct sim_backend *b = &r->w->be[i];
		double cpu, total;

		if (!b->alive_now ||
		    now - b->scraped_at < r->cfg->scrape_s - 1e-9)
			continue;
		cpu = 0.02 + 0.96 * b->tick_busy / steps +
		      0.01 * sim_rng_normal(&r->rng);
		b->scraped_cpu = cpu < 0 ? 0 : cpu > 1 ? 1 : cpu;
		b->scraped_latency = b->tick_lat_n > 0
					     ? b->tick_lat_sum / b->tick_lat_n
					     : r->last_lat[i];
		b->scraped_latency_last =
			isfinite(r->last_lat[i]) ? r->last_lat[i] : NAN;
		total = b->tick_served + b->tick_failed;
		b->scraped_fail = total > 0 ? b->tick_failed / total : 0;
		b->scraped_load =
			(b->backlog + b->tick_served / steps) / b->cores / 10;
		b->scraped_at = now;
	}
}

static int xlb_tick(struct run *r, double now, double demand)
{
	struct xlb_brain_plan plan;
	int ret;

	r->vip_in.demand_per_s = demand;
	r->snap.now = now;
	for (unsigned int i = 0; i < r->n; i++) {
		struct sim_backend *b = &r->w->be[i];
		struct xlb_brain_pair_in *in = &r->snap.pairs[i];
		struct xlb_brain_obs *o = &in->obs;

		in->base_weight = r->pairs[i].base_weight;
		in->op_state = r->pairs[i].op_state;
		in->factor = r->pairs[i].factor;
		in->health = r->pairs[i].health;
		o->new_flows_per_s = b->tick_arrived;
		o->packets_per_s = b->tick_arrived * 8;
		o->bytes_per_s = b->tick_arrived * 8 * 700;
		o->ended_flows_per_s = b->tick_served + b->tick_failed;
		o->probes_ok = r->probes_ok[i];
		o->probes_failed = r->probes_failed[i];
		o->probe_latency_s =
			r->probes_ok[i] ? r->probe_lat_sum[i] / r->probes_ok[i]
					: NAN;
		o->metrics_age_s = isfinite(b->scraped_at) ? now - b->scraped_at
							   : INFINITY;
		o->cpu_util = isfinite(b->scraped_at) ? b->scraped_cpu : NAN;
		o->mem_util = isfinite(b->scraped_at)
				      ? 0.3 + 0.005 * sim_rng_normal(&r->rng)
				      : NAN;
		o->load1 = isfinite(b->scraped_at) ? b->scraped_load : NAN;
		o->service_latency_s =
			isfinite(b->scraped_at) ? b->scraped_latency : NAN;
		o->service_latency_last_s =
			isfinite(b->scraped_at) ? b->scraped_latency_last : NAN;
		o->service_fail_ratio =
			isfinite(b->scraped_at) ? b->scraped_fail : NAN;
	}
	ret = xlb_brain_tick(r->brain, &r->snap, &plan);
	if (ret)
		return ret;
	for (size_t d = 0; d < plan.n_decisions; d++) {
		const struct xlb_brain_decision *x = &plan.decisions[d];

		if (x->pair < r->n && x->new_op_state != x->old_op_state &&
		    (x->rule == XLB_RULE_CAPACITY_UP ||
		     x->rule == XLB_RULE_CAPACITY_DOWN)) {
			struct sim_pair_state old = r->pairs[x->pair];

			r->pairs[x->pair].op_state = x->new_op_state;
			note_change(r, x->pair, &old, now);
		}
	}
	r->why = "tick";
	for (size_t d = 0; d < plan.n_decisions; d++)
		if (plan.decisions[d].pair < r->n &&
		    plan.decisions[d].new_health !=
			    plan.decisions[d].old_health)
			r->why = xlb_brain_rule_name(plan.decisions[d].rule);
	for (unsigned int i = 0; i < r->n; i++) {
		struct sim_pair_state old = r->pairs[i];

		r->pairs[i].factor = plan.pairs[i].factor;
		r->pairs[i].health = plan.pairs[i].health;
		note_change(r, i, &old, now);
	}
	r->forecast = plan.vips[0].forecast_per_s;
	return 0;
}

/* A policy's factor, kept between 5% and the brain's ceiling. */
static double clamp_factor(double f)
{
	return fmin(fmax(f, XLB_FACTOR_ONE * 0.05), XLB_FACTOR_MAX);
}

/*
 * Writes the n proposed factors in scratch (of the active, scraped pairs;
 * summing to fsum) scaled so that their mean is one: weights cannot drift
 * to a cap.
 */
static void apply_factors(struct run *r, double now, unsigned int n,
			  double fsum)
{
	for (unsigned int i = 0; i < r->n; i++) {
		struct sim_pair_state old = r->pairs[i];
		double f;

		if (eff_state(&r->pairs[i]) != 1 ||
		    !isfinite(r->w->be[i].scraped_at))
			continue;
		if (r->policy == POLICY_BANDIT && !r->bandit_in[i].valid)
			continue;
		f = r->scratch[i] * n * XLB_FACTOR_ONE / fsum;
		r->pairs[i].factor = f < 50		  ? 50
				     : f > XLB_FACTOR_MAX ? XLB_FACTOR_MAX
							  : (__u32)lround(f);
		note_change(r, i, &old, now);
	}
}

/* Utilisation of the last tick only: factor x fleet mean / own. */
static void reactive_tick(struct run *r, double now)
{
	double sum = 0, fsum = 0;
	unsigned int n = 0;

	for (unsigned int i = 0; i < r->n; i++)
		if (eff_state(&r->pairs[i]) == 1 &&
		    isfinite(r->w->be[i].scraped_at)) {
			sum += r->w->be[i].scraped_cpu;
			n++;
		}
	if (!n)
		return;
	for (unsigned int i = 0; i < r->n; i++) {
		double u = r->w->be[i].scraped_cpu, f;

		if (eff_state(&r->pairs[i]) != 1 ||
		    !isfinite(r->w->be[i].scraped_at))
			continue;
		f = clamp_factor(r->pairs[i].factor * (sum / n) /
				 (u > 0.01 ? u : 0.01));
		r->scratch[i] = f;
		fsum += f;
	}
	apply_factors(r, now, n, fsum);
}

/*
 * The experimental bandit: each active backend's factor x the multiplier
 * it chose, learning from the tick's outcome before eval_from_s, frozen
 * (greedy, no updates) from then on.
 */
static void bandit_tick(struct run *r, double now)
{
	double fsum = 0, base = 1 / r->cfg->rate_per_core;
	unsigned int n = 0;

	for (unsigned int i = 0; i < r->n; i++) {
		const struct sim_backend *b = &r->w->be[i];
		struct sim_bandit_in *in = &r->bandit_in[i];
		double q;

		in->valid = eff_state(&r->pairs[i]) == 1 &&
			    b->scraped_at >= now - 1e-9;
		if (!in->valid)
			continue;
		q = b->scraped_latency - base;
		in->util = b->scraped_cpu;
		in->delay_s =
			(q > 0 ? q : 0) + b->scraped_fail * r->cfg->timeout_s;
	}
	/* the choice made at now acts on the tick from now: the last one
	 * made learning acts on the last training tick */
	sim_bandit_tick(r->bandit, r->bandit_in, now < r->cfg->eval_from_s,
			r->scratch);
	for (unsigned int i = 0; i < r->n; i++) {
		double f;

		if (!r->bandit_in[i].valid)
			continue;
		f = clamp_factor(r->pairs[i].factor * r->scratch[i]);
		r->scratch[i] = f;
		fsum += f;
		n++;
	}
	if (!n)
		return;
	/*
	 * Shares are relative, so the mean factor is brought back to one
	 * only when it has drifted by 25%: an arm of x1 then writes nothing.
	 */
	if (fsum >= 0.8 * n * XLB_FACTOR_ONE &&
	    fsum <= 1.25 * n * XLB_FACTOR_ONE)
		fsum = (double)n * XLB_FACTOR_ONE;
	apply_factors(r, now, n, fsum);
}

/*
 * A fault counts as detected once the policy has cut its pair's share of
 * the table by 30% from what it was when the fault began, or taken it
 * out; timed from the onset, which for a slow degradation is when its
 * capacity is down by that same 30% (a policy tracking capacity exactly
 * detects it at once; before that there is little to detect).
 */
#define DETECT_CUT 0.30

static void check_detection(struct run *r, double t)
{
	for (size_t k = 0; k < r->w->n_faults; k++) {
		const struct sim_fault *f = &r->w->faults[k];
		struct sim_fault_result *fr = &r->res->faults[k];
		double onset = f->start;

		if (isfinite(fr->detected_at) || t < f->start ||
		    t > f->start + f->duration)
			continue;
		if (isnan(r->fault_share0[k]))
			r->fault_share0[k] = r->share[f->backend];
		if (f->kind == FAULT_DEGRADE)
			onset += 1 - f->param >= DETECT_CUT
					 ? f->duration * DETECT_CUT /
						   (1 - f->param)
					 : f->duration;
		if (t < onset)
			continue;
		if (eff_state(&r->pairs[f->backend]) != 1 ||
		    r->share[f->backend] <=
			    (1 - DETECT_CUT) * r->fault_share0[k])
			fr->detected_at = t - onset;
	}
}

static void timeline_row(struct run *r, unsigned int minute)
{
	FILE *fp = r->w->timeline;
	double p99 = sim_hist_quantile(&r->minute, 0.99);

	if (!fp)
		return;
	fprintf(fp, "%u,%.1f,%.1f,%.4f", minute, r->minute_demand / 60,
		isfinite(r->forecast) ? r->forecast : -1,
		isfinite(p99) ? p99 : -1);
	for (size_t k = 0; k < r->w->n_watch; k++) {
		unsigned int i = r->w->watch[k];

		fprintf(fp, ",%.3f,%.3f", r->share[i] * r->n,
			r->minute_busy[i] / 60);
	}
	fputc('\n', fp);
}

static void run_free(struct run *r)
{
	xlb_brain_destroy(r->brain);
	sim_bandit_destroy(r->bandit);
	free(r->bandit_in);
	free(r->pairs);
	free(r->share);
	free(r->table);
	free(r->mb);
	free(r->has_fault);
	free(r->fault_share0);
	free(r->fail_run);
	free(r->ok_run);
	free(r->last_lat);
	free(r->probes_ok);
	free(r->probes_failed);
	free(r->probe_lat_sum);
	free(r->minute_busy);
	free(r->scratch);
	free(r->snap.pairs);
}

static int run_init(struct run *r, char *err, size_t errlen)
{
	const struct sim_config *cfg = r->cfg;
	unsigned int n = r->n;

	r->table_size = cfg->table_size;
	r->pairs = calloc(n, sizeof(*r->pairs));
	r->share = calloc(n, sizeof(*r->share));
	r->table = calloc(r->table_size, sizeof(*r->table));
	r->mb = calloc(n, sizeof(*r->mb));
	r->has_fault = calloc(n, sizeof(*r->has_fault));
	r->fault_share0 = calloc(r->w->n_faults + 1, sizeof(double));
	r->fail_run = calloc(n, sizeof(*r->fail_run));
	r->ok_run = calloc(n, sizeof(*r->ok_run));
	r->last_lat = calloc(n, sizeof(*r->last_lat));
	r->probes_ok = calloc(n, sizeof(*r->probes_ok));
	r->probes_failed = calloc(n, sizeof(*r->probes_failed));
	r->probe_lat_sum = calloc(n, sizeof(*r->probe_lat_sum));
	r->minute_busy = calloc(n, sizeof(*r->minute_busy));
	r->snap.pairs = calloc(n, sizeof(*r->snap.pairs));
	r->scratch = calloc(n, sizeof(*r->scratch));
	if (!r->scratch || !r->pairs || !r->share || !r->table || !r->mb ||
	    !r->has_fault || !r->fault_share0 || !r->fail_run || !r->ok_run ||
	    !r->last_lat || !r->probes_ok || !r->probes_failed ||
	    !r->probe_lat_sum || !r->minute_busy || !r->snap.pairs) {
		snprintf(err, errlen, "out of memory for %u backends", n);
		return -ENOMEM;
	}
	for (size_t k = 0; k < r->w->n_faults; k++) {
		r->has_fault[r->w->faults[k].backend] = true;
		r->fault_share0[k] = NAN;
		r->res->faults[k].detected_at = NAN;
	}
	/* the baselines check health as xlbd's defaults do */
	struct xlb_brain_config def;

	xlb_brain_config_default(&def);
	r->probe_fall = def.probe_fall;
	r->probe_rise = def.probe_rise;
	r->vip.addr.v4 = htobe32(0x0a000001);
	r->vip.port = htobe16(80);
	r->vip.proto = 6;
	r->vip.family = 4;
	for (unsigned int i = 0; i < n; i++) {
		struct sim_backend *b = &r->w->be[i];
		bool cap_base = r->policy == POLICY_STATIC_CAPACITY ||
				(r->policy == POLICY_XLB &&
				 !strcmp(cfg->xlb_base, "capacity"));

		r->pairs[i] = (struct sim_pair_state){
			.base_weight = cap_base ? 100 * b->cores : 100,
			/* the standby pool is xlb's to use; the baselines are
			 * a static pool sized for the peak */
			.op_state = r->policy == POLICY_XLB &&
						    i >= n - cfg->n_standby
					    ? XLB_OP_STANDBY
					    : XLB_OP_ACTIVE,
			.factor = XLB_FACTOR_ONE,
			.health = XLB_HEALTH_OK,
		};
		b->backlog = 0;
		b->scraped_at = -INFINITY;
		b->alive_now = true;
		b->cap_now = b->cores * cfg->rate_per_core;
		b->added_now = 0;
		r->last_lat[i] = 1 / cfg->rate_per_core;
		pair_key(r->snap.pairs[i].key, XLB_BRAIN_KEY_MAX, i);
		r->snap.pairs[i].vip = 0;
	}
	snprintf(r->vip_in.key, sizeof(r->vip_in.key), "10.0.0.1:80/tcp");
	r->snap.vips = &r->vip_in;
	r->snap.n_vips = 1;
	r->snap.n_pairs = n;
	r->forecast = NAN;
	if (r->policy == POLICY_XLB) {
		struct xlb_brain_config bc;
		int ret;

		xlb_brain_config_default(&bc);
		bc.seed = cfg->seed;
		ret = xlb_brain_create(&bc, &r->brain);
		if (ret) {
			snprintf(err, errlen, "xlb_brain_create: %s",
				 strerror(-ret));
			return ret;
		}
	}
	if (r->policy == POLICY_BANDIT) {
		int ret = sim_bandit_create(n, cfg->seed, &r->bandit);

		r->bandit_in = calloc(n, sizeof(*r->bandit_in));
		if (ret || !r->bandit_in) {
			snprintf(err, errlen, "out of memory for the bandit");
			return -ENOMEM;
		}
	}
	return rebuild(r);
}

int sim_run(struct sim_world *w, enum sim_policy policy, struct sim_result *res,
	    char *err, size_t errlen)
{
	const struct sim_config *cfg = w->cfg;
	struct run *r = calloc(1, sizeof(*r));
	unsigned int steps = (unsigned int)lround(1.0 / cfg->step_s);
	size_t ticks = (size_t)cfg->duration_s;
	struct timespec t0, t1;
	int ret;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct sim_fault_result *keep = res->faults;

	memset(res, 0, sizeof(*res));
	res->faults = keep;
	res->policy = policy;
	r->w = w;
	r->cfg = cfg;
	r->policy = policy;
	r->res = res;
	r->n = cfg->n_backends;
	r->rng = cfg->seed * 0x2545f4914f6cdd1dull + 1;
	ret = run_init(r, err, errlen);
	if (ret)
		goto out;

	for (size_t tick = 0; tick < ticks; tick++) {
		double rate = tick < w->n_demand ? w->demand[tick] : 0;

		if (!r->in_eval && tick >= cfg->eval_from_s) {
			r->in_eval = true;
			r->eval_requests0 = res->requests;
			r->eval_failed0 = res->failed_dead +
					  res->failed_timeout +
					  res->failed_none;
			r->eval_writes0 = r->writes;
			r->eval_drains_false0 = res->drains_false;
		}

		for (unsigned int i = 0; i < r->n; i++) {
			struct sim_backend *b = &w->be[i];

			b->tick_arrived = b->tick_served = b->tick_failed = 0;
			b->tick_busy = b->tick_lat_sum = b->tick_lat_n = 0;
			r->probes_ok[i] = r->probes_failed[i] = 0;
			r->probe_lat_sum[i] = 0;
		}
		for (unsigned int s = 0; s < steps; s++) {
			double t = tick + s * cfg->step_s;

			for (unsigned int i = 0; i < r->n; i++) {
				struct sim_backend *b = &w->be[i];
				bool alive = true;
				double mult = 1, added = 0;

				if (r->has_fault[i])
					sim_fault_state(w->faults, w->n_faults,
							i, t, &alive, &mult,
							&added);
				if (alive && !b->alive_now)
					b->backlog = 0; /* restarted empty */
				b->alive_now = alive;
				b->cap_now =
					b->cores * cfg->rate_per_core * mult;
				b->added_now = added;
			}
			probe_all(r, t);
			if (r->dirty) {
				ret = rebuild(r);
				if (ret)
					goto out;
			}
			check_detection(r, t);
			step(r, t, rate);
		}
		for (unsigned int i = 0; i < r->n; i++)
			r->minute_busy[i] += w->be[i].tick_busy / steps;
		scrape(r, tick + 1, steps);
		if (policy == POLICY_XLB) {
			ret = xlb_tick(r, tick + 1, rate);
			if (ret) {
				snprintf(err, errlen, "xlb_brain_tick: %s",
					 strerror(-ret));
				goto out;
			}
		} else if (policy == POLICY_REACTIVE) {
			reactive_tick(r, tick + 1);
		} else if (policy == POLICY_BANDIT) {
			bandit_tick(r, tick + 1);
		}
		if (r->dirty) {
			ret = rebuild(r);
			if (ret)
				goto out;
		}
		check_detection(r, tick + 1);
		for (unsigned int i = 0; i < r->n; i++)
			if (r->pairs[i].op_state != XLB_OP_STANDBY)
				res->capacity_core_hours +=
					w->be[i].cores / 3600.0;
		r->minute_demand += rate;
		if ((tick + 1) % 60 == 0 || tick + 1 == ticks) {
			double p99 = sim_hist_quantile(&r->minute, 0.99);

			res->minutes++;
			if (isnan(p99) || p99 <= cfg->slo_s)
				res->minutes_in_slo++;
			if (r->in_eval) {
				res->eval.minutes++;
				if (isnan(p99) || p99 <= cfg->slo_s)
					res->eval.minutes_in_slo++;
			}
			timeline_row(r, (unsigned int)(tick / 60));
			memset(&r->minute, 0, sizeof(r->minute));
			memset(r->minute_busy, 0,
			       r->n * sizeof(*r->minute_busy));
			r->minute_demand = 0;
		}
	}

	for (unsigned int i = 0; i < r->n; i++)
		res->queued_end += w->be[i].backlog;
	res->failed = res->failed_dead + res->failed_timeout + res->failed_none;
	res->p50 = sim_hist_quantile(&r->all, 0.50);
	res->p99 = sim_hist_quantile(&r->all, 0.99);
	res->mean_latency = r->all.total > 0 ? res->mean_latency / r->all.total
					     : NAN;
	res->weight_writes = r->writes / (cfg->duration_s / 3600);
	if (r->in_eval) {
		res->eval.requests = res->requests - r->eval_requests0;
		res->eval.failed = res->failed - r->eval_failed0;
		res->eval.p50 = sim_hist_quantile(&r->eval, 0.50);
		res->eval.p99 = sim_hist_quantile(&r->eval, 0.99);
		res->eval.drains_false =
			res->drains_false - r->eval_drains_false0;
		res->eval.weight_writes =
			(r->writes - r->eval_writes0) /
			((cfg->duration_s - cfg->eval_from_s) / 3600);
	}
	if (r->bandit)
		sim_bandit_policy(r->bandit, &res->bandit);
	res->gray_detect_max_ticks = 0;
	for (size_t k = 0; k < w->n_faults; k++) {
		const struct sim_fault *f = &w->faults[k];
		double d = res->faults[k].detected_at;

		if (sim_fault_is_hard(f->kind)) {
			res->hard_detected += isfinite(d);
			continue;
		}
		res->gray_detected += isfinite(d);
		if (!isfinite(d))
			res->gray_detect_max_ticks = NAN;
		else if (d > res->gray_detect_max_ticks)
			res->gray_detect_max_ticks = d;
	}
	ret = 0;
out:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->wall_s =
		(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
	run_free(r);
	free(r);
	return ret;
}
