// SPDX-License-Identifier: GPL-2.0
/*
 * The brain's medians (user/xlbd/core/median.c) against the selection the
 * features always used (Wirth's, twice for an even count), bit for bit:
 * a fleet median is printed in decisions, so which of several equal
 * values comes out (-0 beside +0) must not change.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "testing.h"

/* median.c (the core's internal.h; libxlb's is first on the path) */
double brain_median(double *v, size_t n);

static double wirth_kth(double *v, size_t n, size_t k)
{
	ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;

	while (lo < hi) {
		double pivot = v[kk];
		ptrdiff_t i = lo, j = hi;

		do {
			while (v[i] < pivot)
				i++;
			while (pivot < v[j])
				j--;
			if (i <= j) {
				double t = v[i];

				v[i++] = v[j];
				v[j--] = t;
			}
		} while (i <= j);
		if (j < kk)
			lo = i;
		if (kk < i)
			hi = j;
	}
	return v[kk];
}

static double wirth_median(double *v, size_t n)
{
	double a;

	if (!n)
		return NAN;
	a = wirth_kth(v, n, n / 2);
	return n % 2 ? a : (a + wirth_kth(v, n, n / 2 - 1)) / 2;
}

static uint64_t rng = 1;

static unsigned int next(unsigned int below)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned int)(rng >> 33) % below;
}

/* Uniform, few distinct values, signed zeros among others, all zeros. */
static double value(int kind, size_t i)
{
	switch (kind) {
	case 0:
		return next(1u << 30) / (double)(1u << 30);
	case 1:
		return next(5);
	case 2:
		return next(2) ? (double)next(3) - 1.0 : -0.0;
	case 3:
		return next(2) ? 0.0 : -0.0;
	case 4:
		return 0;
	default:
		return (double)i;
	}
}

TEST(median_is_the_bits_wirths_selection_gives)
{
	static double a[1200], b[1200];

	for (int t = 0; t < 100000; t++) {
		/* past 512 values too: those take Wirth's selection itself */
		size_t n = 1 + next(t % 20 ? 300 : 1200);
		int kind = next(6);
		double want, got;

		for (size_t i = 0; i < n; i++)
			a[i] = b[i] = value(kind, i);
		want = wirth_median(a, n);
		got = brain_median(b, n);
		CHECK(!memcmp(&want, &got, sizeof(want)),
		      "n %zu kind %d: %a, want %a", n, kind, got, want);
	}
	CHECK(isnan(brain_median(a, 0)), "no values: not NAN");
}

int main(int argc, char **argv)
{
	return test_main(argc, argv);
}
