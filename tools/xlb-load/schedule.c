// SPDX-License-Identifier: GPL-2.0
#include "schedule.h"
#include "clock.h"

#include <math.h>

/* xorshift64*, seeded by --seed: the same seed gives the same schedule. */
static double uniform01(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return ((x * 0x2545f4914f6cdd1dull) >> 11) * (1.0 / 9007199254740992.0);
}

static void advance(struct schedule *s)
{
	s->issued++;
	if (s->poisson) {
		double u = uniform01(&s->rng);

		/* Exponential gaps: -ln(1-U) has mean 1, never infinite. */
		s->next_ns += (uint64_t)(-log1p(-u) * s->gap_ns);
	} else {
		/* From the start each time, so rounding never drifts. */
		s->next_ns = s->start_ns + (uint64_t)(s->issued * s->gap_ns);
	}
	if ((s->limit && s->issued >= s->limit) || s->next_ns >= s->end_ns)
		s->stopped = true;
}

void schedule_init(struct schedule *s, const struct load_options *o,
		   uint64_t start_ns, double rate, uint64_t limit)
{
	s->start_ns = start_ns;
	s->next_ns = start_ns;
	s->end_ns = o->duration_s
			    ? start_ns + (uint64_t)(o->duration_s * NS_PER_SEC)
			    : NEVER;
	s->issued = 0;
	s->limit = limit;
	s->gap_ns = NS_PER_SEC / rate;
	s->poisson = o->arrival == ARRIVAL_POISSON;
	s->stopped = false;
	s->rng = o->seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
	if (!s->rng)
		s->rng = 1;
}

bool schedule_take(struct schedule *s, uint64_t now, uint64_t *intended_ns)
{
	if (s->stopped || s->next_ns > now)
		return false;
	*intended_ns = s->next_ns;
	advance(s);
	return true;
}

uint64_t schedule_next(const struct schedule *s)
{
	return s->stopped ? NEVER : s->next_ns;
}

bool schedule_over(const struct schedule *s)
{
	return s->stopped;
}

void schedule_stop(struct schedule *s, uint64_t now)
{
	if (!s->stopped) {
		s->stopped = true;
		s->next_ns = now;
	}
}

uint64_t schedule_window(const struct schedule *s)
{
	uint64_t end = min_u64(s->next_ns, s->end_ns);

	return end > s->start_ns ? end - s->start_ns : 0;
}
