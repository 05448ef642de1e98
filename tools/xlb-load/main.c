// SPDX-License-Identifier: GPL-2.0
/*
 * xlb-load: an open-loop load generator. Requests leave on a schedule
 * whatever the server does, latency counts from the intended send time (no
 * coordinated omission), and every answer says which backend gave it.
 */
#include "events.h"
#include "modes.h"
#include "options.h"
#include "report.h"
#include "result.h"

#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <string.h>

static void on_stop_signal(int sig)
{
	(void)sig;
	load_stop_requested = 1;
}

/* SIGINT/SIGTERM end the schedule early; the report still comes. */
static void catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	static int (*const run[])(const struct load_options *,
				  struct load_result *) = {
		[MODE_HTTP] = http_run,
		[MODE_UDP] = udp_run,
		[MODE_STREAM] = stream_run,
	};
	struct load_options o;
	struct load_result r;
	int ret;

	if (load_options_parse(&o, argc, argv))
		return 2;
	if (result_init(&r, o.interval_report_s)) {
		fprintf(stderr, "xlb-load: out of memory\n");
		return 1;
	}
	catch_stop_signals();
	/* The default 50 us timer slack would make every send that late. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	ret = run[o.mode](&o, &r);
	if (!ret) {
		if (o.json)
			ret = report_json(stdout, &o, &r);
		else
			report_text(stdout, &o, &r);
	}
	result_free(&r);
	return ret ? 1 : 0;
}
