// SPDX-License-Identifier: GPL-2.0
#include "histogram.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SUB_BITS 10
#define EXACT (1u << SUB_BITS)
#define HALF (EXACT / 2)
#define MAX_BITS 42
#define BUCKETS (EXACT + (MAX_BITS - SUB_BITS + 1) * HALF)

static unsigned int bucket_of(uint64_t v)
{
	unsigned int msb, shift, idx;

	if (v < EXACT)
		return v;
	msb = 63 - __builtin_clzll(v);
	shift = msb - (SUB_BITS - 1);
	idx = EXACT + (shift - 1) * HALF + (unsigned int)((v >> shift) - HALF);
	return idx < BUCKETS ? idx : BUCKETS - 1;
}

static uint64_t bucket_high(unsigned int idx)
{
	unsigned int shift;
	uint64_t sub;

	if (idx < EXACT)
		return idx;
	shift = (idx - EXACT) / HALF + 1;
	sub = (idx - EXACT) % HALF + HALF;
	return ((sub + 1) << shift) - 1;
}

int hist_init(struct histogram *h)
{
	memset(h, 0, sizeof(*h));
	h->counts = calloc(BUCKETS, sizeof(*h->counts));
	h->min = UINT64_MAX;
	return h->counts ? 0 : -1;
}

void hist_free(struct histogram *h)
{
	free(h->counts);
	h->counts = NULL;
}

void hist_reset(struct histogram *h)
{
	memset(h->counts, 0, BUCKETS * sizeof(*h->counts));
	h->total = 0;
	h->min = UINT64_MAX;
	h->max = 0;
	h->sum = 0;
}

void hist_record(struct histogram *h, uint64_t v)
{
	h->counts[bucket_of(v)]++;
	h->total++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

uint64_t hist_percentile(const struct histogram *h, double p)
{
	uint64_t rank, seen = 0;

	if (!h->total)
		return 0;
	rank = (uint64_t)ceil(p / 100.0 * (double)h->total);
	if (rank < 1)
		rank = 1;
	for (unsigned int i = 0; i < BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			uint64_t v = bucket_high(i);

			return v > h->max ? h->max : v < h->min ? h->min : v;
		}
	}
	return h->max;
}

double hist_mean(const struct histogram *h)
{
	return h->total ? (double)(h->sum / h->total) : 0.0;
}
