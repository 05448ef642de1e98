// SPDX-License-Identifier: GPL-2.0
/*
 * The demand forecaster's selector on a real request trace: over the whole
 * trace its one-step RMSE must not exceed the best of its candidates'
 * (last value, SES, AR), within SELECTOR_TOLERANCE: an online choice
 * cannot beat hindsight on every trace, and what is left is the regret of
 * its first ~1,000 steps, while the candidates' errors are still few. The
 * trace is the per-second Twitter stream sample
 * in ../shared/data (see its README); without it the test SKIPs.
 * XLB_TRACE=path overrides the location.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "forecast.h"
#include "testing.h"

#define SELECTOR_TOLERANCE 0.001 /* 0.1% of RMSE */
#define TRACE_DEFAULT "../shared/data/twitter-stream-2021-08-rps.txt.gz"

static double *trace;
static size_t trace_n;

static int load_trace(void)
{
	const char *path = getenv("XLB_TRACE") ? getenv("XLB_TRACE")
					       : TRACE_DEFAULT;
	gzFile gz = gzopen(path, "rb");
	char line[64];
	size_t cap = 0;

	if (!gz)
		return -1;
	while (gzgets(gz, line, sizeof(line))) {
		if (trace_n == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			trace = realloc(trace, cap * sizeof(*trace));
			if (!trace)
				break;
		}
		trace[trace_n++] = strtod(line, NULL);
	}
	gzclose(gz);
	return trace && trace_n ? 0 : -1;
}

/* RMSE of each model and of the selection, one step ahead, bin seconds. */
static int evaluate(size_t bin, size_t limit, double rmse[4])
{
	struct xlb_forecast_config cfg;
	struct xlb_forecaster *f;
	double sq[4] = { 0 }, next[4];
	size_t n = 0;

	xlb_forecast_config_default(&cfg);
	if (xlb_forecaster_create(&cfg, &f))
		return -1;
	for (size_t i = 0; i + bin <= trace_n && i < limit; i += bin) {
		double y = 0;
		bool ready = true;

		for (size_t j = 0; j < bin; j++)
			y += trace[i + j];
		for (int m = 0; m < 3; m++)
			ready &= !xlb_forecaster_forecast(f, m, 1, NULL,
							  &next[m]);
		ready &= !xlb_forecaster_forecast(f, XLB_FORECAST_SELECTED, 1,
						  NULL, &next[3]);
		/* scored once every model forecasts, all on the same steps */
		if (ready) {
			for (int m = 0; m < 4; m++)
				sq[m] += (y - next[m]) * (y - next[m]);
			n++;
		}
		xlb_forecaster_update(f, y, NULL);
	}
	xlb_forecaster_destroy(f);
	for (int m = 0; m < 4; m++)
		rmse[m] = n ? sqrt(sq[m] / n) : NAN;
	return n ? 0 : -1;
}

static void selector_case(size_t bin, size_t limit)
{
	double r[4], best;

	if (!trace && load_trace())
		SKIP("no trace at %s (see ../shared/data/README.md)",
		     getenv("XLB_TRACE") ? getenv("XLB_TRACE") : TRACE_DEFAULT);
	CHECK_EQ(evaluate(bin, limit, r), 0);
	best = fmin(r[0], fmin(r[1], r[2]));
	printf("# bin %zu s: rmse last %.4f ses %.4f ar %.4f selected %.4f "
	       "(%+.2f%% vs best)\n",
	       bin, r[0], r[1], r[2], r[3], (r[3] / best - 1) * 100);
	CHECK(r[3] <= best * (1 + SELECTOR_TOLERANCE),
	      "selected rmse %.4f > best candidate %.4f (%+.3f%%)", r[3], best,
	      (r[3] / best - 1) * 100);
}

TEST(selector_never_worse_than_best_candidate_1s_first_week)
{
	selector_case(1, 7 * 86400);
}

TEST(selector_never_worse_than_best_candidate_10s)
{
	selector_case(10, (size_t)-1);
}

TEST(selector_never_worse_than_best_candidate_60s)
{
	selector_case(60, (size_t)-1);
}

int main(int argc, char **argv)
{
	return test_main(argc, argv);
}
