// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl's commands over xlbd's state directory, as parsed: decisions
 * [--follow] [--json] [--since T] [--state-dir DIR] and history export
 * --csv; every bad --since and a missing --csv refused by name.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "testing.h"

#include "../xlbctl/parse_words.h"

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

TEST(decisions_takes_follow_since_and_state_dir)
{
	struct cli c;
	char err[256];

	CHECK(!parse(&c, err, sizeof(err), "decisions", NULL), "%s", err);
	CHECK(c.command == CLI_DECISIONS, "command");
	CHECK(!strcmp(c.state_dir, "/var/lib/xlb"), "default %s", c.state_dir);
	CHECK(c.since == 0 && !c.follow, "defaults");
	CHECK(!parse(&c, err, sizeof(err), "--json", "decisions", "--follow",
		     "--since", "10m", "--state-dir", "/tmp/s", NULL),
	      "%s", err);
	CHECK(c.json && c.follow && !strcmp(c.state_dir, "/tmp/s"), "options");
	CHECK(fabs(c.since - (wall() - 600)) < 5, "10m ago: %f", c.since);
	CHECK(!parse(&c, err, sizeof(err), "decisions", "--since",
		     "2026-12-01T22:00:00", NULL),
	      "%s", err);
	CHECK(c.since == 1796162400.0, "ISO time: %f", c.since);
	CHECK(!parse(&c, err, sizeof(err), "decisions", "--since",
		     "1796162400.5", NULL),
	      "%s", err);
	CHECK(c.since == 1796162400.5, "epoch: %f", c.since);
	CHECK(!parse(&c, err, sizeof(err), "decisions", "--since", "1d", NULL),
	      "%s", err);
	CHECK(fabs(c.since - (wall() - 86400)) < 5, "1d ago");
}

TEST(decisions_refuses_bad_since_and_operands)
{
	const char *bad[] = { "5y",   "ten", "-3m",
			      "10mm", "",    "2026-13-01T00:00:00" };
	struct cli c;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(parse(&c, err, sizeof(err), "decisions", "--since",
			    bad[i], NULL) == -EINVAL,
		      "accepted --since '%s'", bad[i]);
		CHECK(strstr(err, "--since"), "message '%s'", err);
	}
	CHECK(parse(&c, err, sizeof(err), "decisions", "extra", NULL) ==
		      -EINVAL,
	      "accepted an operand");
	CHECK(parse(&c, err, sizeof(err), "decisions", "--csv", NULL) ==
		      -EINVAL,
	      "accepted --csv");
}

TEST(history_export_needs_csv)
{
	struct cli c;
	char err[256];

	CHECK(parse(&c, err, sizeof(err), "history", "export", NULL) == -EINVAL,
	      "accepted without --csv");
	CHECK(strstr(err, "history export: give --csv"), "message '%s'", err);
	CHECK(!parse(&c, err, sizeof(err), "history", "export", "--csv",
		     "--since", "2h", NULL),
	      "%s", err);
	CHECK(c.command == CLI_HISTORY_EXPORT && c.csv, "parsed");
	CHECK(parse(&c, err, sizeof(err), "history", "export", "--csv",
		    "--follow", NULL) == -EINVAL,
	      "accepted --follow");
}

int main(int argc, char **argv)
{
	return test_main(argc, argv);
}
