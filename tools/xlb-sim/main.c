// SPDX-License-Identifier: GPL-2.0
/*
 * xlb-sim: compare load-balancing policies on one simulated fleet, one
 * demand trace and one fault schedule, all from one seed. Writes
 * report.md, report.csv, faults.csv, timeline-POLICY.csv and plot.png
 * (gnuplot) into --out; the same seed gives byte-identical files.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "maglev.h"
#include "sim.h"

extern char **environ;

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: xlb-sim [options]\n"
		"  --backends N       fleet size, 1..%d (100)\n"
		"  --duration S       simulated seconds (86400)\n"
		"  --seed N           one seed for fleet, demand, faults, "
		"noise (1)\n"
		"  --trace FILE       per-second requests, plain or .gz; one "
		"count\n"
		"                     a line or CSV with the count last "
		"(default:\n"
		"                     a generated diurnal pattern with "
		"bursts)\n"
		"  --trace-offset S   seconds of the trace to skip (0)\n"
		"  --peak-util X      peak 60 s demand / fleet capacity (0.7)\n"
		"  --rate-per-core R  requests/s one core serves (100)\n"
		"  --max-cores N      cores drawn from 1..N per backend (4)\n"
		"  --service DIST     exp | lognormal service times (exp)\n"
		"  --timeout S        a request waiting longer fails (2)\n"
		"  --slo S            per-minute p99 objective (0.25)\n"
		"  --gray N --hard N  generated faults (5, 5)\n"
		"  --standby N        xlb only: the last N backends start in\n"
		"                     operator state standby (0)\n"
		"  --faults FILE      CSV "
		"backend,kind,start_s,duration_s,param\n"
		"                     (kind: kill throttle latency degrade "
		"flap)\n"
		"  --policies LIST    comma list of static-equal, "
		"static-capacity,\n"
		"                     reactive, xlb, bandit (all)\n"
		"                     (bandit: experimental; learns on the "
		"first "
		"70%%,\n"
		"                     frozen on the rest, reported apart)\n"
		"  --xlb-base B       equal | capacity: xlb's base weights "
		"(equal)\n"
		"  --table-size P     Maglev slots, prime (smallest >= 100 x "
		"N)\n"
		"  --out DIR          where the reports go (xlb-sim-out)\n"
		"  --no-plot          skip gnuplot\n"
		"  --quiet            no report on stdout\n",
		SIM_MAX_BACKENDS);
}

static int parse_num(const char *opt, const char *s, double lo, double hi,
		     double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !(v >= lo && v <= hi)) {
		fprintf(stderr,
			"xlb-sim: --%s: \"%s\" is not a number in "
			"[%g, %g]\n",
			opt, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static unsigned int next_prime(unsigned int n)
{
	while (!xlb_is_prime(n))
		n++;
	return n;
}

static void print_result_row(FILE *fp, const struct sim_result *r)
{
	char gray[32];

	if (isnan(r->gray_detect_max_ticks))
		snprintf(gray, sizeof(gray), "%u found", r->gray_detected);
	else
		snprintf(gray, sizeof(gray), "all, max %.0f ticks",
			 r->gray_detect_max_ticks);
	fprintf(fp,
		"| %s | %.1f | %.1f | %.0f (%.3f%%) | %u | %u | %s | %u | "
		"%.0f | %.0f | %.1f%% |\n",
		sim_policy_label(r->policy), r->p50 * 1e3, r->p99 * 1e3,
		r->failed, r->requests > 0 ? 100 * r->failed / r->requests : 0,
		r->drains_true, r->drains_false, gray, r->hard_detected,
		r->weight_writes, r->capacity_core_hours,
		r->minutes ? 100.0 * r->minutes_in_slo / r->minutes : 0);
}

static const struct sim_result *find(const struct sim_result *res, size_t n,
				     enum sim_policy p)
{
	for (size_t i = 0; i < n; i++)
		if (res[i].policy == p)
			return &res[i];
	return NULL;
}

static void target(FILE *fp, const char *what, const char *figure,
		   const char *goal, bool met)
{
	fprintf(fp, "| %s | %s | %s | %s |\n", what, figure, goal,
		met ? "met" : "**MISSED**");
}

static void write_targets(FILE *fp, const struct sim_result *res, size_t n,
			  const struct sim_fault *faults, size_t n_faults,
			  unsigned int standby)
{
	const struct sim_result *x = find(res, n, POLICY_XLB),
				*eq = find(res, n, POLICY_STATIC_EQUAL),
				*re = find(res, n, POLICY_REACTIVE),
				*sc = find(res, n, POLICY_STATIC_CAPACITY);
	char fig[128];
	unsigned int gray = 0;

	if (!x)
		return;
	for (size_t k = 0; k < n_faults; k++)
		gray += !sim_fault_is_hard(faults[k].kind);
	fprintf(fp, "\n## Targets (xlb)\n\n| target | figure | goal | |\n"
		    "|---|---|---|---|\n");
	if (eq) {
		double cut = 1 - x->p99 / eq->p99;

		snprintf(fig, sizeof(fig), "%.1f ms vs %.1f ms: %.0f%% below",
			 x->p99 * 1e3, eq->p99 * 1e3, 100 * cut);
		target(fp, "p99 vs static-equal", fig, ">= 40% below",
		       cut >= 0.40);
	}
	if (re) {
		snprintf(fig, sizeof(fig), "%.1f ms vs %.1f ms", x->p99 * 1e3,
			 re->p99 * 1e3);
		target(fp, "p99 vs reactive", fig, "below", x->p99 < re->p99);
		snprintf(fig, sizeof(fig), "%.0f vs %.0f", x->failed,
			 re->failed);
		target(fp, "failed requests vs reactive", fig, "fewer",
		       x->failed < re->failed);
	}
	if (sc && standby) {
		snprintf(fig, sizeof(fig), "%.0f vs %.0f core-h (static pool)",
			 x->capacity_core_hours, sc->capacity_core_hours);
		target(fp, "capacity used (standby pool)", fig,
		       "fewer than static-capacity",
		       x->capacity_core_hours < sc->capacity_core_hours);
		snprintf(fig, sizeof(fig), "%.1f%%",
			 x->minutes ? 100.0 * x->minutes_in_slo / x->minutes
				    : 0);
		target(fp, "minutes with p99 within the SLO", fig, ">= 99%",
		       x->minutes_in_slo >= 0.99 * x->minutes);
	}
	snprintf(fig, sizeof(fig), "%u", x->drains_false);
	target(fp, "false drains", fig, "0", x->drains_false == 0);
	if (isnan(x->gray_detect_max_ticks))
		snprintf(fig, sizeof(fig), "%u of %u detected",
			 x->gray_detected, gray);
	else
		snprintf(fig, sizeof(fig), "all %u, slowest %.0f ticks", gray,
			 x->gray_detect_max_ticks);
	target(fp, "gray failures detected", fig, "every one within 10 ticks",
	       !isnan(x->gray_detect_max_ticks) &&
		       x->gray_detect_max_ticks <= 10);
}

/*
 * The held-apart window: every policy's figures over the same last 30% of
 * the run, where the bandit no longer learns; the fair comparison for it.
 */
static void write_eval(FILE *fp, const struct sim_config *cfg,
		       const struct sim_result *res, size_t n)
{
	const struct sim_result *b = find(res, n, POLICY_BANDIT);

	fprintf(fp,
		"\n## Held-apart window: s %.0f-%.0f (the bandit trained on "
		"s 0-%.0f, frozen here)\n\n"
		"| policy | p50 ms | p99 ms | failed | drains false | weight "
		"writes/h | minutes p99 <= SLO |\n"
		"|---|---|---|---|---|---|---|\n",
		cfg->eval_from_s, cfg->duration_s, cfg->eval_from_s);
	for (size_t i = 0; i < n; i++) {
		const struct sim_window *e = &res[i].eval;

		fprintf(fp,
			"| %s | %.1f | %.1f | %.0f (%.3f%%) | %u | %.0f | "
			"%.1f%% |\n",
			sim_policy_label(res[i].policy), e->p50 * 1e3,
			e->p99 * 1e3, e->failed,
			e->requests > 0 ? 100 * e->failed / e->requests : 0,
			e->drains_false, e->weight_writes,
			e->minutes ? 100.0 * e->minutes_in_slo / e->minutes
				   : 0);
	}
	if (!b)
		return;
	fprintf(fp, "\nThe bandit's learned choice per bucket of CPU / fleet "
		    "mean (factor multiplier; value = mean reward x 1000, "
		    "reward = -|CPU / mean - 1| - delay above the mean / "
		    "0.1 s; pulls):\n\n| CPU / mean below | choice |");
	for (int a = 0; a < SIM_BANDIT_ARMS; a++)
		fprintf(fp, " x%g |", sim_bandit_arms[a]);
	fprintf(fp, "\n|---|---|");
	for (int a = 0; a < SIM_BANDIT_ARMS; a++)
		fprintf(fp, "---|");
	fputc('\n', fp);
	for (int k = 0; k < SIM_BANDIT_BUCKETS; k++) {
		fprintf(fp, "| %s%g | x%g |",
			k == SIM_BANDIT_BUCKETS - 1 ? ">= " : "",
			k == SIM_BANDIT_BUCKETS - 1
				? sim_bandit_bucket_top[k - 1]
				: sim_bandit_bucket_top[k],
			sim_bandit_arms[b->bandit.arm[k]]);
		for (int a = 0; a < SIM_BANDIT_ARMS; a++)
			fprintf(fp, " %.2f (%.0f) |", b->bandit.q[k][a] * 1e3,
				b->bandit.pulls[k][a]);
		fputc('\n', fp);
	}
	fprintf(fp, "\n%lu choices, %lu of them exploring (all in training).\n",
		b->bandit.decisions, b->bandit.explored);
}

static int write_reports(const char *out, const struct sim_config *cfg,
			 const struct sim_backend *be,
			 const struct sim_result *res, size_t n,
			 const struct sim_fault *faults, size_t n_faults,
			 FILE *also)
{
	char path[4096];
	FILE *md, *csv, *fc, *ec;
	unsigned int cores = 0;

	for (unsigned int i = 0; i < cfg->n_backends; i++)
		cores += be[i].cores;
	snprintf(path, sizeof(path), "%s/report.md", out);
	md = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/report.csv", out);
	csv = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/faults.csv", out);
	fc = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/eval.csv", out);
	ec = fopen(path, "w");
	if (!md || !csv || !fc || !ec) {
		fprintf(stderr, "xlb-sim: %s: %s\n", path, strerror(errno));
		if (md)
			fclose(md);
		if (csv)
			fclose(csv);
		if (fc)
			fclose(fc);
		if (ec)
			fclose(ec);
		return -1;
	}
	for (int pass = 0; pass < 2; pass++) {
		FILE *fp = pass ? also : md;

		if (!fp)
			continue;
		fprintf(fp,
			"# xlb-sim: %u backends (%u cores, 1x-%ux), %.0f s, "
			"seed %llu\n\n"
			"Demand: %s%s, peak 60 s mean = %.2f x capacity "
			"(%.0f req/s); %zu faults; xlb standby pool %u; "
			"service %s, %.0f req/s "
			"per core; timeout %.1f s; Maglev table %u slots.\n\n",
			cfg->n_backends, cores, cfg->max_cores, cfg->duration_s,
			(unsigned long long)cfg->seed,
			cfg->trace ? "trace " : "generated diurnal + bursts",
			cfg->trace ? cfg->trace : "", cfg->peak_util,
			cores * cfg->rate_per_core, n_faults, cfg->n_standby,
			cfg->service_dist, cfg->rate_per_core, cfg->timeout_s,
			cfg->table_size);
		fprintf(fp, "| policy | p50 ms | p99 ms | failed | drains "
			    "true | drains false | gray detected | hard "
			    "detected | weight writes/h | capacity core-h | "
			    "minutes p99 <= SLO |\n"
			    "|---|---|---|---|---|---|---|---|---|---|---|\n");
		for (size_t i = 0; i < n; i++)
			print_result_row(fp, &res[i]);
		write_targets(fp, res, n, faults, n_faults, cfg->n_standby);
		write_eval(fp, cfg, res, n);
		fprintf(fp, "\n## Faults (detection: seconds from onset)\n\n"
			    "| backend | cores | kind | start s | duration s "
			    "| param |");
		for (size_t i = 0; i < n; i++)
			fprintf(fp, " %s |", sim_policy_label(res[i].policy));
		fprintf(fp, "\n|---|---|---|---|---|---|");
		for (size_t i = 0; i < n; i++)
			fprintf(fp, "---|");
		fputc('\n', fp);
		for (size_t k = 0; k < n_faults; k++) {
			const struct sim_fault *f = &faults[k];

			fprintf(fp, "| %u | %u | %s | %.0f | %.0f | %g |",
				f->backend, be[f->backend].cores,
				sim_fault_name(f->kind), f->start, f->duration,
				f->param);
			for (size_t i = 0; i < n; i++) {
				double d = res[i].faults[k].detected_at;

				if (isfinite(d))
					fprintf(fp, " %.1f |", d);
				else
					fprintf(fp, " never |");
			}
			fputc('\n', fp);
		}
	}
	fprintf(csv, "policy,requests,served,failed,failed_dead,"
		     "failed_timeout,failed_no_backend,failed_outside_faults,"
		     "queued_end,p50_s,p99_s,mean_s,drains_true,drains_false,"
		     "gray_detected,gray_detect_max_ticks,hard_detected,"
		     "weight_writes_per_h,capacity_core_hours,minutes,"
		     "minutes_in_slo\n");
	for (size_t i = 0; i < n; i++) {
		const struct sim_result *r = &res[i];

		fprintf(csv,
			"%s,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.6f,"
			"%.6f,%.6f,%u,%u,%u,%.0f,%u,%.1f,%.3f,%u,%u\n",
			sim_policy_name(r->policy), r->requests, r->served,
			r->failed, r->failed_dead, r->failed_timeout,
			r->failed_none, r->failed_outside_faults, r->queued_end,
			r->p50, r->p99, r->mean_latency, r->drains_true,
			r->drains_false, r->gray_detected,
			isnan(r->gray_detect_max_ticks)
				? -1
				: r->gray_detect_max_ticks,
			r->hard_detected, r->weight_writes,
			r->capacity_core_hours, r->minutes, r->minutes_in_slo);
	}
	fprintf(fc, "backend,kind,start_s,duration_s,param");
	for (size_t i = 0; i < n; i++)
		fprintf(fc, ",detect_s_%s", sim_policy_name(res[i].policy));
	fputc('\n', fc);
	for (size_t k = 0; k < n_faults; k++) {
		fprintf(fc, "%u,%s,%.0f,%.0f,%g", faults[k].backend,
			sim_fault_name(faults[k].kind), faults[k].start,
			faults[k].duration, faults[k].param);
		for (size_t i = 0; i < n; i++) {
			double d = res[i].faults[k].detected_at;

			fprintf(fc, ",%.1f", isfinite(d) ? d : -1);
		}
		fputc('\n', fc);
	}
	fprintf(ec, "policy,from_s,to_s,requests,failed,p50_s,p99_s,"
		    "drains_false,weight_writes_per_h,minutes,"
		    "minutes_in_slo\n");
	for (size_t i = 0; i < n; i++) {
		const struct sim_window *e = &res[i].eval;

		fprintf(ec, "%s,%.0f,%.0f,%.3f,%.3f,%.6f,%.6f,%u,%.1f,%u,%u\n",
			sim_policy_name(res[i].policy), cfg->eval_from_s,
			cfg->duration_s, e->requests, e->failed, e->p50, e->p99,
			e->drains_false, e->weight_writes, e->minutes,
			e->minutes_in_slo);
	}
	fclose(md);
	fclose(csv);
	fclose(fc);
	fclose(ec);
	return 0;
}

static int write_plot(const char *out, const unsigned int *watch,
		      size_t n_watch, const struct sim_result *res, size_t n,
		      bool have_xlb)
{
	char path[4096];
	const char *focus = have_xlb ? "xlb" : sim_policy_name(res[0].policy);
	FILE *gp;
	pid_t pid;
	int status;
	char *argv[] = { "gnuplot", "plot.gp", NULL };
	posix_spawn_file_actions_t fa;

	snprintf(path, sizeof(path), "%s/plot.gp", out);
	gp = fopen(path, "w");
	if (!gp) {
		fprintf(stderr, "xlb-sim: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(gp,
		"set terminal pngcairo size 1400,1500 font ',10'\n"
		"set output 'plot.png'\n"
		"set datafile separator ','\n"
		"set datafile missing '-1'\n"
		"set key outside right\n"
		"set xlabel 'hour'\n"
		"set multiplot layout 4,1\n"
		"set title 'demand and the xlb forecast (req/s, minute "
		"means)'\n"
		"plot 'timeline-%s.csv' skip 1 u ($1/60):2 w l t 'demand'",
		focus);
	if (have_xlb)
		fprintf(gp, ", '' skip 1 u ($1/60):3 w l t 'forecast'");
	fprintf(gp, "\nset title 'p99 latency per minute (s)'\nset logscale y\n"
		    "plot ");
	for (size_t i = 0; i < n; i++)
		fprintf(gp, "%s'timeline-%s.csv' skip 1 u ($1/60):4 w l t '%s'",
			i ? ", " : "", sim_policy_name(res[i].policy),
			sim_policy_label(res[i].policy));
	fprintf(gp,
		"\nunset logscale y\nset title '%s: weight (table share "
		"x N) of watched backends'\nplot ",
		focus);
	for (size_t k = 0; k < n_watch; k++)
		fprintf(gp,
			"%s'timeline-%s.csv' skip 1 u ($1/60):%zu w l t 'be "
			"%u'",
			k ? ", " : "", focus, 5 + 2 * k, watch[k]);
	fprintf(gp,
		"\nset title '%s: utilisation of watched backends'\n"
		"set yrange [0:1.05]\nplot ",
		focus);
	for (size_t k = 0; k < n_watch; k++)
		fprintf(gp,
			"%s'timeline-%s.csv' skip 1 u ($1/60):%zu w l t 'be "
			"%u'",
			k ? ", " : "", focus, 6 + 2 * k, watch[k]);
	fprintf(gp, "\nunset multiplot\n");
	fclose(gp);

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addchdir_np(&fa, out);
	if (posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ)) {
		posix_spawn_file_actions_destroy(&fa);
		fprintf(stderr, "xlb-sim: gnuplot not found: no plot.png "
				"(make deps installs gnuplot-nox)\n");
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "xlb-sim: gnuplot failed on %s/plot.gp\n", out);
		return -1;
	}
	return 0;
}

static int parse_policies(const char *s, enum sim_policy *out, size_t *n)
{
	char buf[256], *save, *tok;

	snprintf(buf, sizeof(buf), "%s", s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int p;

		for (p = 0; p < POLICY_N; p++)
			if (!strcmp(tok, sim_policy_name(p)))
				break;
		if (p == POLICY_N || *n == POLICY_N) {
			fprintf(stderr,
				"xlb-sim: --policies: unknown policy "
				"\"%s\" (static-equal, "
				"static-capacity, reactive, xlb, "
				"bandit)\n",
				tok);
			return -1;
		}
		out[(*n)++] = p;
	}
	if (!*n) {
		fprintf(stderr, "xlb-sim: --policies: empty list\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "backends", 1, 0, 'n' },
		{ "duration", 1, 0, 'd' },
		{ "seed", 1, 0, 's' },
		{ "trace", 1, 0, 't' },
		{ "trace-offset", 1, 0, 'O' },
		{ "peak-util", 1, 0, 'u' },
		{ "rate-per-core", 1, 0, 'r' },
		{ "max-cores", 1, 0, 'c' },
		{ "service", 1, 0, 'S' },
		{ "timeout", 1, 0, 'T' },
		{ "slo", 1, 0, 'L' },
		{ "gray", 1, 0, 'g' },
		{ "hard", 1, 0, 'H' },
		{ "faults", 1, 0, 'f' },
		{ "policies", 1, 0, 'p' },
		{ "xlb-base", 1, 0, 'b' },
		{ "table-size", 1, 0, 'm' },
		{ "out", 1, 0, 'o' },
		{ "no-plot", 0, 0, 'P' },
		{ "quiet", 0, 0, 'q' },
		{ "standby", 1, 0, 'Y' },
		{ "help", 0, 0, 'h' },
		{ 0 },
	};
	struct sim_config cfg = {
		.seed = 1,
		.n_backends = 100,
		.duration_s = 86400,
		.step_s = 0.1,
		.rate_per_core = 100,
		.max_cores = 4,
		.peak_util = 0.7,
		.timeout_s = 2,
		.probe_timeout_s = 1,
		.scrape_s = 1,
		.slo_s = 0.25,
		.service_dist = "exp",
		.n_gray = 5,
		.n_hard = 5,
		.xlb_base = "equal",
	};
	enum sim_policy policies[POLICY_N] = { POLICY_STATIC_EQUAL,
					       POLICY_STATIC_CAPACITY,
					       POLICY_REACTIVE, POLICY_XLB,
					       POLICY_BANDIT };
	size_t n_policies = POLICY_N, n_demand, n_faults, n_watch = 0;
	const char *out = "xlb-sim-out";
	FILE *drain_log = NULL;
	bool plot = true, have_xlb = false;
	struct sim_result res[POLICY_N] = { 0 };
	struct sim_fault *faults = NULL;
	struct sim_backend *be = NULL;
	unsigned int watch[16];
	double *demand = NULL, v, capacity = 0;
	char err[512];
	uint64_t rng;
	int c, ret = 1;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_num("backends", optarg, 1, SIM_MAX_BACKENDS,
				      &v))
				return 2;
			cfg.n_backends = (unsigned int)v;
			break;
		case 'd':
			if (parse_num("duration", optarg, 1, 30 * 86400,
				      &cfg.duration_s))
				return 2;
			cfg.duration_s = floor(cfg.duration_s);
			break;
		case 's':
			if (parse_num("seed", optarg, 0, 1e18, &v))
				return 2;
			cfg.seed = (uint64_t)v;
			break;
		case 't':
			cfg.trace = optarg;
			break;
		case 'O':
			if (parse_num("trace-offset", optarg, 0, 1e9, &v))
				return 2;
			cfg.trace_offset = (long)v;
			break;
		case 'u':
			if (parse_num("peak-util", optarg, 0.01, 5,
				      &cfg.peak_util))
				return 2;
			break;
		case 'r':
			if (parse_num("rate-per-core", optarg, 1, 1e6,
				      &cfg.rate_per_core))
				return 2;
			break;
		case 'c':
			if (parse_num("max-cores", optarg, 1, 64, &v))
				return 2;
			cfg.max_cores = (unsigned int)v;
			break;
		case 'S':
			if (strcmp(optarg, "exp") && strcmp(optarg, "lognorma"
								    "l")) {
				fprintf(stderr,
					"xlb-sim: --service: \"%s\": "
					"exp or lognormal\n",
					optarg);
				return 2;
			}
			cfg.service_dist = optarg;
			break;
		case 'T':
			if (parse_num("timeout", optarg, 0.01, 600,
				      &cfg.timeout_s))
				return 2;
			break;
		case 'L':
			if (parse_num("slo", optarg, 0.0001, 600, &cfg.slo_s))
				return 2;
			break;
		case 'g':
			if (parse_num("gray", optarg, 0, 1000, &v))
				return 2;
			cfg.n_gray = (unsigned int)v;
			break;
		case 'H':
			if (parse_num("hard", optarg, 0, 1000, &v))
				return 2;
			cfg.n_hard = (unsigned int)v;
			break;
		case 'Y':
			if (parse_num("standby", optarg, 0,
				      SIM_MAX_BACKENDS - 1, &v))
				return 2;
			cfg.n_standby = (unsigned int)v;
			break;
		case 'f':
			cfg.faults_file = optarg;
			break;
		case 'p':
			if (parse_policies(optarg, policies, &n_policies))
				return 2;
			break;
		case 'b':
			if (strcmp(optarg, "equal") && strcmp(optarg, "capacit"
								      "y")) {
				fprintf(stderr,
					"xlb-sim: --xlb-base: \"%s\": "
					"equal or capacity\n",
					optarg);
				return 2;
			}
			cfg.xlb_base = optarg;
			break;
		case 'm':
			if (parse_num("table-size", optarg, XLB_TABLE_SIZE_MIN,
				      XLB_TABLE_SIZE_MAX, &v))
				return 2;
			cfg.table_size = (unsigned int)v;
			if (!xlb_is_prime(cfg.table_size)) {
				fprintf(stderr,
					"xlb-sim: --table-size: %u is "
					"not a prime\n",
					cfg.table_size);
				return 2;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'P':
			plot = false;
			break;
		case 'q':
			cfg.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "xlb-sim: unexpected argument \"%s\"\n",
			argv[optind]);
		return 2;
	}
	if (cfg.n_standby >= cfg.n_backends) {
		fprintf(stderr,
			"xlb-sim: --standby %u: must leave at least "
			"one of %u backends active\n",
			cfg.n_standby, cfg.n_backends);
		return 2;
	}
	/* the held-apart window: the last 30%, from a minute boundary */
	cfg.eval_from_s = floor(cfg.duration_s * SIM_TRAIN_FRAC);
	if (cfg.duration_s >= 120)
		cfg.eval_from_s = floor(cfg.eval_from_s / 60) * 60;
	if (!cfg.table_size) {
		unsigned int want = 100 * cfg.n_backends;

		cfg.table_size = next_prime(want < 1009 ? 1009 : want);
	}

	/* the fleet: heterogeneous cores from the seed */
	be = calloc(cfg.n_backends, sizeof(*be));
	if (!be)
		goto oom;
	rng = cfg.seed ^ 0x666c656574ull; /* "fleet" */
	for (unsigned int i = 0; i < cfg.n_backends; i++) {
		be[i].cores = 1 + sim_rng_next(&rng) % cfg.max_cores;
		capacity += be[i].cores * cfg.rate_per_core;
	}
	if (sim_demand_load(&cfg, &demand, &n_demand, err, sizeof(err))) {
		fprintf(stderr, "xlb-sim: %s\n", err);
		goto out;
	}
	sim_demand_scale(demand, n_demand, cfg.peak_util * capacity);
	if (cfg.faults_file) {
		if (sim_faults_load(cfg.faults_file, cfg.n_backends, &faults,
				    &n_faults, err, sizeof(err))) {
			fprintf(stderr, "xlb-sim: %s\n", err);
			goto out;
		}
	} else if (sim_faults_generate(&cfg, &faults, &n_faults)) {
		goto oom;
	}
	/* watched: every faulted backend, then a healthy 1x and a 4x one */
	for (size_t k = 0; k < n_faults && n_watch < 12; k++) {
		bool seen = false;

		for (size_t j = 0; j < n_watch; j++)
			seen |= watch[j] == faults[k].backend;
		if (!seen)
			watch[n_watch++] = faults[k].backend;
	}
	for (unsigned int want = 1; want <= cfg.max_cores;
	     want += cfg.max_cores > 1 ? cfg.max_cores - 1 : 1) {
		for (unsigned int i = 0; i < cfg.n_backends; i++) {
			bool seen = false;

			for (size_t j = 0; j < n_watch; j++)
				seen |= watch[j] == i;
			if (!seen && be[i].cores == want && n_watch < 16) {
				watch[n_watch++] = i;
				break;
			}
		}
	}
	if (mkdir(out, 0755) && errno != EEXIST) {
		fprintf(stderr, "xlb-sim: --out %s: %s\n", out,
			strerror(errno));
		goto out;
	}
	{
		char path[4096];

		snprintf(path, sizeof(path), "%s/drains.csv", out);
		drain_log = fopen(path, "w");
		if (!drain_log) {
			fprintf(stderr, "xlb-sim: %s: %s\n", path,
				strerror(errno));
			goto out;
		}
		fprintf(drain_log, "policy,t,backend,kind,true,rule\n");
	}
	for (size_t p = 0; p < n_policies; p++) {
		struct sim_world w = {
			.cfg = &cfg,
			.be = be,
			.demand = demand,
			.n_demand = n_demand,
			.faults = faults,
			.n_faults = n_faults,
			.watch = watch,
			.n_watch = n_watch,
			.log = drain_log,
		};
		char path[4096];

		res[p].faults = calloc(n_faults + 1, sizeof(*res[p].faults));
		if (!res[p].faults)
			goto oom;
		snprintf(path, sizeof(path), "%s/timeline-%s.csv", out,
			 sim_policy_name(policies[p]));
		w.timeline = fopen(path, "w");
		if (!w.timeline) {
			fprintf(stderr, "xlb-sim: %s: %s\n", path,
				strerror(errno));
			goto out;
		}
		fprintf(w.timeline, "minute,demand,forecast,p99_s");
		for (size_t k = 0; k < n_watch; k++)
			fprintf(w.timeline, ",w_%u,u_%u", watch[k], watch[k]);
		fputc('\n', w.timeline);
		if (sim_run(&w, policies[p], &res[p], err, sizeof(err))) {
			fclose(w.timeline);
			fprintf(stderr, "xlb-sim: %s: %s\n",
				sim_policy_name(policies[p]), err);
			goto out;
		}
		fclose(w.timeline);
		have_xlb |= policies[p] == POLICY_XLB;
		fprintf(stderr,
			"xlb-sim: %s: %.0f simulated s in %.1f s (%.0fx "
			"real time)\n",
			sim_policy_name(policies[p]), cfg.duration_s,
			res[p].wall_s, cfg.duration_s / res[p].wall_s);
	}
	if (write_reports(out, &cfg, be, res, n_policies, faults, n_faults,
			  cfg.quiet ? NULL : stdout))
		goto out;
	if (plot)
		write_plot(out, watch, n_watch, res, n_policies, have_xlb);
	ret = 0;
	goto out;
oom:
	fprintf(stderr, "xlb-sim: out of memory\n");
out:
	if (drain_log)
		fclose(drain_log);
	for (size_t p = 0; p < POLICY_N; p++)
		free(res[p].faults);
	free(faults);
	free(demand);
	free(be);
	return ret;
}
