// SPDX-License-Identifier: GPL-2.0
/*
 * Demand: per-second request counts from a trace (plain or gzipped, one
 * count a line or CSV whose last field is the count; zlib reads both) or a
 * generated diurnal pattern with bursts, then scaled to the fleet.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sim.h"

double sim_rng_normal(uint64_t *s)
{
	double u1 = sim_rng_uniform(s), u2 = sim_rng_uniform(s);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static int trace_load(const struct sim_config *cfg, double *d, size_t want,
		      char *err, size_t errlen)
{
	char line[256];
	long lineno = 0, skipped = 0;
	size_t n = 0;
	gzFile f = gzopen(cfg->trace, "rb");

	if (!f) {
		snprintf(err, errlen, "trace %s: %s", cfg->trace,
			 strerror(errno ? errno : ENOENT));
		return -1;
	}
	while (n < want && gzgets(f, line, sizeof(line))) {
		char *field, *end;
		double v;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		field = strrchr(line, ',');
		field = field ? field + 1 : line;
		errno = 0;
		v = strtod(field, &end);
		while (*end == ' ' || *end == '\t')
			end++;
		if (end == field || *end || errno || !isfinite(v) || v < 0) {
			if (lineno == 1)
				continue; /* a header */
			snprintf(err, errlen,
				 "trace %s: line %ld: \"%.40s\" is not a "
				 "count of requests",
				 cfg->trace, lineno, field);
			gzclose(f);
			return -1;
		}
		if (skipped < cfg->trace_offset) {
			skipped++;
			continue;
		}
		d[n++] = v;
	}
	gzclose(f);
	if (n < want) {
		snprintf(err, errlen,
			 "trace %s: %zu seconds after offset %ld, %zu needed "
			 "(--duration)",
			 cfg->trace, n, cfg->trace_offset, want);
		return -1;
	}
	return 0;
}

/* A day's shape (trough at 04:00, peak at 16:00) with noise and bursts. */
static void generate(const struct sim_config *cfg, double *d, size_t n)
{
	uint64_t rng = cfg->seed ^ 0x64656d616e64ull; /* "demand" */
	double burst_until = -1, burst_mult = 1;

	for (size_t t = 0; t < n; t++) {
		double phase = 2 * M_PI * ((double)t / 86400.0 - 4.0 / 24);
		double level = 0.6 - 0.4 * cos(phase);

		if ((double)t >= burst_until &&
		    sim_rng_uniform(&rng) < 1 / 5400.0) {
			burst_until = t + 60 + 240 * sim_rng_uniform(&rng);
			burst_mult = 1.2 + 0.4 * sim_rng_uniform(&rng);
		}
		if ((double)t < burst_until)
			level *= burst_mult;
		level *= 1 + 0.03 * sim_rng_normal(&rng);
		d[t] = level > 0 ? 1000 * level : 0;
	}
}

int sim_demand_load(const struct sim_config *cfg, double **out, size_t *n,
		    char *err, size_t errlen)
{
	size_t want = (size_t)ceil(cfg->duration_s);
	double *d = calloc(want ? want : 1, sizeof(*d));

	if (!d) {
		snprintf(err, errlen, "demand: out of memory");
		return -1;
	}
	if (cfg->trace) {
		if (trace_load(cfg, d, want, err, errlen)) {
			free(d);
			return -1;
		}
	} else {
		generate(cfg, d, want);
	}
	*out = d;
	*n = want;
	return 0;
}

/*
 * The peak of the 60 s moving average becomes target_peak: single seconds
 * may go above it, as real traffic does, without one spike shrinking the
 * whole day.
 */
void sim_demand_scale(double *d, size_t n, double target_peak)
{
	double sum = 0, peak = 0;
	size_t w = n < 60 ? n : 60;

	for (size_t i = 0; i < n; i++) {
		sum += d[i];
		if (i >= w)
			sum -= d[i - w];
		if (i + 1 >= w && sum / w > peak)
			peak = sum / w;
	}
	if (peak <= 0)
		return;
	for (size_t i = 0; i < n; i++)
		d[i] *= target_peak / peak;
}
