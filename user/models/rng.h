/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small seeded random number generator (xoshiro256**, seeded through
 * splitmix64). Pure integer arithmetic, so a seed gives the same stream on
 * every machine and every run; each model owns its generator, no globals.
 */
#ifndef XLB_RNG_H
#define XLB_RNG_H

#include <stdint.h>

struct xlb_rng {
	uint64_t s[4];
};

static inline uint64_t xlb_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void xlb_rng_seed(struct xlb_rng *rng, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		rng->s[i] = xlb_splitmix64(&seed);
}

static inline uint64_t xlb_rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t xlb_rng_next(struct xlb_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = xlb_rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = xlb_rng_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, 1), 53 random bits. */
static inline double xlb_rng_uniform(struct xlb_rng *rng)
{
	return (double)(xlb_rng_next(rng) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, bound), unbiased (Lemire's multiply-and-reject). */
static inline uint32_t xlb_rng_below(struct xlb_rng *rng, uint32_t bound)
{
	uint64_t m = (xlb_rng_next(rng) >> 32) * bound;
	uint32_t low = (uint32_t)m;

	if (low < bound) {
		uint32_t threshold = -bound % bound;

		while (low < threshold) {
			m = (xlb_rng_next(rng) >> 32) * bound;
			low = (uint32_t)m;
		}
	}
	return m >> 32;
}

#endif
