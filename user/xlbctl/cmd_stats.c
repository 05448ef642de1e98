// SPDX-License-Identifier: GPL-2.0
/* stats: counters read twice an interval apart, printed once or repeatedly. */
#include <errno.h>
#include <time.h>

#include "commands.h"
#include "output.h"
#include "report.h"
#include "session.h"
#include "stats_view.h"

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

static void print_report(const struct cli *cli, const struct stats_report *r)
{
	if (cli->json) {
		json_object *doc = stats_to_json(r);

		/* One document per line when watching: JSON lines. */
		json_print(doc, stdout, cli->watch);
		json_object_put(doc);
	} else {
		if (cli->watch)
			printf("\n");
		stats_print_text(r, stdout);
	}
	fflush(stdout);
}

int cmd_stats(const struct cli *cli)
{
	struct stats_sample samples[2] = {}, *before = &samples[0],
			    *now = &samples[1], *swap;
	struct stats_report stats;
	struct timespec start, t;
	struct xlb *xlb;
	long reports = 0;
	int rc, err;

	rc = session_open(cli, &xlb);
	if (rc)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &start);
	err = stats_sample_read(xlb, before);
	while (!err) {
		if (cli->interval_ms)
			sleep_ms(cli->interval_ms);
		err = stats_sample_read(xlb, now);
		if (err)
			break;
		if (stats_report_build(cli->interval_ms ? before : NULL, now,
				       &stats)) {
			rc = report(cli, -ENOMEM, "out of memory");
			break;
		}
		print_report(cli, &stats);
		stats_report_free(&stats);
		reports++;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (!cli->watch || (cli->count && reports >= cli->count) ||
		    (cli->duration_ms &&
		     (t.tv_sec - start.tv_sec) * 1000 +
				     (t.tv_nsec - start.tv_nsec) / 1000000 >=
			     cli->duration_ms))
			break;
		swap = before;
		before = now;
		now = swap;
	}
	if (err)
		rc = report_lib(cli, err);
	stats_sample_free(&samples[0]);
	stats_sample_free(&samples[1]);
	xlb_close(xlb);
	return rc;
}
