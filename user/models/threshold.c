// SPDX-License-Identifier: GPL-2.0
#include "threshold.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_error.h"

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int xlb_score_threshold(const double *scores, size_t n, double contamination,
			double *threshold)
{
	double *sorted, pos, frac;
	size_t lo;

	if (!scores || !threshold || n == 0 ||
	    !(contamination > 0 && contamination < 1))
		return XLB_MODEL_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(scores[i]))
			return XLB_MODEL_ENONFINITE;
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		return XLB_MODEL_ENOMEM;
	memcpy(sorted, scores, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), compare_doubles);

	pos = (1 - contamination) * (double)(n - 1);
	lo = (size_t)pos;
	frac = pos - (double)lo;
	*threshold = lo + 1 < n
			     ? sorted[lo] + frac * (sorted[lo + 1] - sorted[lo])
			     : sorted[lo];
	free(sorted);
	return 0;
}

int xlb_persistence_init(struct xlb_persistence *p, unsigned int k,
			 unsigned int m)
{
	if (!p || k == 0 || k > m || m > 64)
		return XLB_MODEL_EINVAL;
	p->history = 0;
	p->k = k;
	p->m = m;
	return 0;
}

unsigned int xlb_persistence_count(const struct xlb_persistence *p)
{
	return __builtin_popcountll(p->history);
}

bool xlb_persistence_update(struct xlb_persistence *p, bool anomalous)
{
	uint64_t mask = p->m == 64 ? ~0ull : (1ull << p->m) - 1;

	p->history = ((p->history << 1) | anomalous) & mask;
	return xlb_persistence_count(p) >= p->k;
}

void xlb_persistence_reset(struct xlb_persistence *p)
{
	p->history = 0;
}
