// SPDX-License-Identifier: GPL-2.0
/*
 * The brain core's tick on a synthetic fleet: 1,000 pairs over 4 VIPs,
 * observations with noise and a few misbehaving backends, so that every
 * stage runs (features, forecasts, forest scoring and a retrain every
 * iforest_retrain_s, policy, guardrails). Prints the median and worst tick
 * beside the target (the whole tick including map writes <= 5 ms; this is
 * the core's share, the shell's writes are measured by xlbd) and the RSS.
 *
 *   brain-tick-bench [PAIRS [VIPS [TICKS]]]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "brain.h"

static uint64_t rng = 7;

static double noise(void)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(rng >> 11) / (double)(1ull << 52) - 1.0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	size_t n_pairs = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
	size_t n_vips = argc > 2 ? strtoul(argv[2], NULL, 10) : 4;
	int ticks = argc > 3 ? atoi(argv[3]) : 300, warm = 120;
	struct xlb_brain_config cfg;
	struct xlb_brain *brain;
	struct xlb_brain_snapshot snap = { 0 };
	struct xlb_brain_plan plan;
	double *t, now = 1000, stage[3] = { 0 };
	size_t decisions = 0;

	if (!n_pairs || !n_vips || n_vips > n_pairs || ticks < 10) {
		fprintf(stderr, "usage: %s [PAIRS [VIPS [TICKS>=10]]]\n",
			argv[0]);
		return 2;
	}
	xlb_brain_config_default(&cfg);
	if (xlb_brain_create(&cfg, &brain)) {
		fprintf(stderr, "Failed to create the brain\n");
		return 1;
	}
	snap.vips = calloc(n_vips, sizeof(*snap.vips));
	snap.pairs = calloc(n_pairs, sizeof(*snap.pairs));
	t = calloc(ticks, sizeof(*t));
	if (!snap.vips || !snap.pairs || !t) {
		fprintf(stderr, "Failed to allocate the fleet\n");
		return 1;
	}
	snap.n_vips = n_vips;
	snap.n_pairs = n_pairs;
	for (size_t v = 0; v < n_vips; v++)
		snprintf(snap.vips[v].key, sizeof(snap.vips[v].key),
			 "10.0.%zu.1:80/tcp", v);
	for (size_t i = 0; i < n_pairs; i++) {
		struct xlb_brain_pair_in *p = &snap.pairs[i];

		p->vip = i * n_vips / n_pairs; /* grouped by VIP */
		snprintf(p->key, sizeof(p->key), "10.0.%u.1:80/tcp 10.1.%u.%u",
			 (unsigned int)p->vip, (unsigned int)(i / 250) & 255,
			 (unsigned int)(i % 250));
		p->base_weight = 100;
		p->op_state = XLB_OP_ACTIVE;
		p->factor = XLB_FACTOR_ONE;
	}
	for (int k = -warm; k < ticks; k++) {
		now += 1;
		snap.now = now;
		for (size_t v = 0; v < n_vips; v++)
			snap.vips[v].demand_per_s =
				25000 * (1 + 0.05 * noise());
		for (size_t i = 0; i < n_pairs; i++) {
			struct xlb_brain_obs *o = &snap.pairs[i].obs;
			double req = 100 * snap.pairs[i].factor /
				     (double)XLB_FACTOR_ONE *
				     (1 + 0.05 * noise());
			bool bad = k > 0 && i % 97 == 0; /* ~1% misbehave */

			o->new_flows_per_s = req;
			o->ended_flows_per_s = req * (1 + 0.01 * noise());
			o->packets_per_s = req * 10;
			o->bytes_per_s = req * 10000;
			o->probes_ok = 10;
			o->probe_latency_s = 0.0002;
			o->metrics_age_s = 0.5;
			o->cpu_util = (bad ? 0.9 : 0.3) * (1 + 0.05 * noise());
			o->mem_util = 0.4;
			o->load1 = 0.3;
			o->service_latency_s =
				(bad ? 0.2 : 0.003) * (1 + 0.1 * noise());
			o->service_fail_ratio = 0;
		}
		double t0 = now_s();

		if (xlb_brain_tick(brain, &snap, &plan)) {
			fprintf(stderr, "Failed to tick\n");
			return 1;
		}
		double dt = now_s() - t0;

		for (size_t d = 0; d < plan.n_decisions; d++) {
			struct xlb_brain_pair_in *p =
				&snap.pairs[plan.decisions[d].pair];

			p->factor = plan.decisions[d].new_factor;
			p->health = plan.decisions[d].new_health;
		}
		if (k >= 0) {
			t[k] = dt;
			decisions += plan.n_decisions;
			stage[0] += plan.features_s;
			stage[1] += plan.models_s;
			stage[2] += plan.policy_s;
		}
	}
	qsort(t, ticks, sizeof(*t), cmp);
	printf("brain tick, %zu pairs over %zu VIPs, %d ticks (core: features, "
	       "models, forest, policy, guardrails; no map writes)\n",
	       n_pairs, n_vips, ticks);
	printf("  median %.3f ms   p99 %.3f ms   max %.3f ms (includes forest "
	       "retrains)   target <= 5 ms for the whole tick: %s\n",
	       t[ticks / 2] * 1e3, t[ticks * 99 / 100] * 1e3,
	       t[ticks - 1] * 1e3, t[ticks / 2] <= 0.005 ? "met" : "MISSED");
	printf("  mean per stage: features %.3f ms, models %.3f ms, policy and "
	       "guardrails %.3f ms\n",
	       stage[0] / ticks * 1e3, stage[1] / ticks * 1e3,
	       stage[2] / ticks * 1e3);
	printf("  RSS %.1f MB (target <= 64 MB with 24 h of history in xlbd)   "
	       "decisions %zu\n",
	       rss_kb() / 1024.0, decisions);
	xlb_brain_destroy(brain);
	free(snap.vips);
	free(snap.pairs);
	free(t);
	return 0;
}
