// SPDX-License-Identifier: GPL-2.0
/*
 * xlb-model: the brain's models on anyone's CSV data.
 *
 *   xlb-model iforest --train TRAIN.csv --score TEST.csv [options]
 *   xlb-model forecast --csv SERIES.csv --column NAME [options]
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] = "usage: xlb-model COMMAND [options]\n"
			    "  iforest   train an Isolation Forest, print one "
			    "anomaly score per row\n"
			    "  forecast  replay a series, print one-step-ahead "
			    "forecasts\n"
			    "Run \"xlb-model COMMAND --help\" for a command's "
			    "options.\n";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "iforest"))
		return cmd_iforest(argc - 1, argv + 1);
	if (!strcmp(argv[1], "forecast"))
		return cmd_forecast(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return 0;
	}
	cli_error("unknown command \"%s\"", argv[1]);
	fputs(usage, stderr);
	return EXIT_USAGE;
}
