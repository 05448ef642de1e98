// SPDX-License-Identifier: GPL-2.0
/*
 * Medians of finite values, for the fleet-relative features and the
 * capacity trend: a few thousand a tick at 6,400 pairs.
 *
 * The order statistic's value does not depend on how it is found, but
 * which of several equal values is returned does, and -0 and +0 compare
 * equal with different bits (a fleet median is printed in decisions). So
 * values holding a -0 take Wirth's selection (the features' medians always
 * did), and so do more than SELECT_MAX values; the others take a
 * branch-free selection into a buffer, which Wirth's out-runs by not
 * mispredicting every other comparison: without a -0, equal finite values
 * are the same bits, and any selection returns the bits Wirth's would.
 */
#include <stddef.h>
#include <string.h>

#include "internal.h"

/* Values up to this many are selected in a buffer on the stack. */
#define SELECT_MAX 512

/* Wirth's selection: the k-th smallest of v[0..n), v reordered. */
static double kth(double *v, size_t n, size_t k)
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

/*
 * The k-th smallest of v[0..n), n <= SELECT_MAX, v untouched. Each round
 * copies the values below the pivot to the front of a buffer and those
 * above it to the back (writing both places, keeping one), then goes on
 * in the part holding k, or ends on the pivot's equals: no branch on the
 * data, and no value waits on the store before it as in-place swaps do.
 */
static double select_kth(const double *v, size_t n, size_t k)
{
	double buf[2][SELECT_MAX];
	const double *src = v;

	for (int round = 0;; round ^= 1) {
		double *dst = buf[round], pivot = src[n / 2];
		size_t lt = 0, gt = 0;

		for (size_t i = 0; i < n; i++) {
			double x = src[i];

			dst[lt] = x;
			dst[n - 1 - gt] = x;
			lt += x < pivot;
			gt += pivot < x;
		}
		if (k < lt) {
			n = lt;
		} else if (k >= n - gt) {
			k -= n - gt;
			dst += n - gt;
			n = gt;
		} else {
			return pivot;
		}
		src = dst;
	}
}

/* The largest of v[0..n) below a, or a when fewer than k are below it. */
static double below(const double *v, size_t n, double a, size_t k)
{
	double m = -INFINITY;
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		double x = v[i] < a ? v[i] : -INFINITY;

		count += v[i] < a;
		m = x > m ? x : m;
	}
	return count >= k ? m : a;
}

static bool has_negative_zero(const double *v, size_t n)
{
	const uint64_t negative_zero = 1ull << 63;
	bool found = false;

	for (size_t i = 0; i < n; i++) {
		uint64_t bits;

		memcpy(&bits, &v[i], sizeof(bits));
		found |= bits == negative_zero;
	}
	return found;
}

double brain_kth(double *v, size_t n, size_t k)
{
	return kth(v, n, k);
}

double brain_median(double *v, size_t n)
{
	double a;

	if (!n)
		return NAN;
	if (n > SELECT_MAX || has_negative_zero(v, n)) {
		a = kth(v, n, n / 2);
		return n % 2 ? a : (a + kth(v, n, n / 2 - 1)) / 2;
	}
	a = select_kth(v, n, n / 2);
	/* the lower middle: the largest below a, or a itself among equals */
	return n % 2 ? a : (a + below(v, n, a, n / 2)) / 2;
}
