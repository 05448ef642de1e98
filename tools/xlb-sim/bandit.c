// SPDX-License-Identifier: GPL-2.0
/*
 * The experimental learning policy: a contextual epsilon-greedy bandit
 * that tunes each backend's weight factor every tick. Context: the
 * backend's CPU utilisation over the fleet's mean, bucketed (last
 * scrape); arms: a multiplier of the factor; reward, one tick later:
 * minus how far the backend's utilisation then is from the fleet's mean
 * (relative), minus its queueing delay above the fleet's mean (failures
 * counted as a full timeout) in units of DELAY_SCALE. A per-backend
 * reward for its own delay alone is selfish (shedding load always pays);
 * the balance term makes an idle backend's arm that takes load pay too.
 * One value table shared by every backend (a backend's capacity is not
 * an input: it must show in the utilisation). Learning
 * only while `learn` is set; otherwise it exploits the table as it
 * stands. All randomness from the simulation seed.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "sim.h"

const double sim_bandit_arms[SIM_BANDIT_ARMS] = { 0.5, 0.75, 1, 1.25, 1.5 };
/* upper edges of the buckets of utilisation / fleet mean; the last open */
const double sim_bandit_bucket_top[SIM_BANDIT_BUCKETS] = { 0.7, 0.9, 1.1, 1.3,
							   INFINITY };

#define ARM_STAY 2	/* multiplier 1: the choice when nothing is known */
#define EPSILON 0.1	/* exploration while learning */
#define DELAY_SCALE 0.1 /* s of delay above the mean = one unit of imbalance */
#define ALPHA_MIN 0.002 /* step floor: recent ticks keep some weight */

struct sim_bandit {
	unsigned int n;
	uint64_t rng;
	double q[SIM_BANDIT_BUCKETS][SIM_BANDIT_ARMS];
	double pulls[SIM_BANDIT_BUCKETS][SIM_BANDIT_ARMS];
	int *last_bucket, *last_arm; /* -1: no pending reward */
	unsigned long explored, decisions;
};

int sim_bandit_create(unsigned int n, uint64_t seed, struct sim_bandit **out)
{
	struct sim_bandit *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->n = n;
	b->rng = seed ^ 0x62616e646974ull; /* "bandit" */
	b->last_bucket = malloc(n * sizeof(*b->last_bucket));
	b->last_arm = malloc(n * sizeof(*b->last_arm));
	if (!b->last_bucket || !b->last_arm) {
		sim_bandit_destroy(b);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n; i++)
		b->last_arm[i] = b->last_bucket[i] = -1;
	*out = b;
	return 0;
}

void sim_bandit_destroy(struct sim_bandit *b)
{
	if (!b)
		return;
	free(b->last_bucket);
	free(b->last_arm);
	free(b);
}

static int bucket_of(double util)
{
	int k = 0;

	while (k < SIM_BANDIT_BUCKETS - 1 && !(util < sim_bandit_bucket_top[k]))
		k++;
	return k;
}

/* The best arm of a bucket; unpulled arms do not count, ties stay at 1. */
static int greedy(const struct sim_bandit *b, int k)
{
	int best = ARM_STAY;

	for (int a = 0; a < SIM_BANDIT_ARMS; a++)
		if (b->pulls[k][a] > 0 &&
		    (!(b->pulls[k][best] > 0) || b->q[k][a] > b->q[k][best]))
			best = a;
	return best;
}

void sim_bandit_tick(struct sim_bandit *b, const struct sim_bandit_in *in,
		     bool learn, double *mult)
{
	double mean = 0, umean = 0;
	unsigned int n = 0;

	for (unsigned int i = 0; i < b->n; i++)
		if (in[i].valid) {
			mean += in[i].delay_s;
			umean += in[i].util;
			n++;
		}
	mean = n ? mean / n : 0;
	umean = n && umean > 0.01 * n ? umean / n : 0.01;
	for (unsigned int i = 0; i < b->n; i++) {
		int k, a;

		mult[i] = 1;
		if (!in[i].valid) {
			b->last_arm[i] = -1;
			continue;
		}
		if (learn && b->last_arm[i] >= 0) {
			int pk = b->last_bucket[i], pa = b->last_arm[i];
			double reward = -fabs(in[i].util / umean - 1) -
					(in[i].delay_s - mean) / DELAY_SCALE,
			       alpha = 1 / ++b->pulls[pk][pa];

			if (alpha < ALPHA_MIN)
				alpha = ALPHA_MIN;
			b->q[pk][pa] += alpha * (reward - b->q[pk][pa]);
		}
		k = bucket_of(in[i].util / umean);
		if (learn && sim_rng_uniform(&b->rng) < EPSILON) {
			a = (int)(sim_rng_next(&b->rng) % SIM_BANDIT_ARMS);
			b->explored++;
		} else {
			a = greedy(b, k);
		}
		b->decisions++;
		b->last_bucket[i] = k;
		b->last_arm[i] = a;
		mult[i] = sim_bandit_arms[a];
	}
}

void sim_bandit_policy(const struct sim_bandit *b, struct sim_bandit_summary *s)
{
	for (int k = 0; k < SIM_BANDIT_BUCKETS; k++) {
		s->arm[k] = greedy(b, k);
		for (int a = 0; a < SIM_BANDIT_ARMS; a++) {
			s->q[k][a] = b->q[k][a];
			s->pulls[k][a] = b->pulls[k][a];
		}
	}
	s->explored = b->explored;
	s->decisions = b->decisions;
}
