/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small vector kernels shared inside the library. Four partial sums give
 * the CPU independent chains without reassociating anything the compiler
 * could not (no -ffast-math): results are the same on every build.
 */
#ifndef XLB_VEC_H
#define XLB_VEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline double xlb_dot(const double *a, const double *b, size_t n)
{
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t i = 0;

	for (; i + 4 <= n; i += 4) {
		s0 += a[i] * b[i];
		s1 += a[i + 1] * b[i + 1];
		s2 += a[i + 2] * b[i + 2];
		s3 += a[i + 3] * b[i + 3];
	}
	for (; i < n; i++)
		s0 += a[i] * b[i];
	return (s0 + s1) + (s2 + s3);
}

/* Sum of v[0], v[stride], ... (n values). */
static inline double xlb_sum_strided(const double *v, size_t n, size_t stride)
{
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t i = 0;

	for (; i + 4 <= n; i += 4) {
		s0 += v[i * stride];
		s1 += v[(i + 1) * stride];
		s2 += v[(i + 2) * stride];
		s3 += v[(i + 3) * stride];
	}
	for (; i < n; i++)
		s0 += v[i * stride];
	return (s0 + s1) + (s2 + s3);
}

/*
 * No NaN or infinity in v: an all-ones exponent marks both. An integer OR
 * over the whole array, no branch per value, so it vectorises.
 */
static inline bool xlb_all_finite(const double *v, size_t n)
{
	uint64_t bad = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t bits;

		memcpy(&bits, &v[i], sizeof(bits));
		bad |= ((bits >> 52) & 0x7ff) == 0x7ff;
	}
	return !bad;
}

#endif
