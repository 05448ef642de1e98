// SPDX-License-Identifier: GPL-2.0
/*
 * top: the stats table refreshed in place every interval (ncurses), 'q'
 * quits. Without a terminal it prints timestamped snapshots instead, so it
 * can be logged or piped.
 */
#include <curses.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "report.h"
#include "session.h"
#include "stats_view.h"

struct top {
	const struct cli *cli;
	struct xlb *xlb;
	struct stats_sample samples[2];
	int current; /* index of the newest sample */
	bool have_before;
	long shown;
	struct timespec start;
};

static long elapsed_ms(const struct top *top)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - top->start.tv_sec) * 1000 +
	       (t.tv_nsec - top->start.tv_nsec) / 1000000;
}

static bool done(const struct top *top)
{
	const struct cli *cli = top->cli;

	return (cli->count && top->shown >= cli->count) ||
	       (cli->duration_ms && elapsed_ms(top) >= cli->duration_ms);
}

/* Reads the counters and writes the screen's text to out. */
static int render(struct top *top, FILE *out)
{
	struct stats_sample *now, *before;
	struct stats_report report;
	char when[32];
	time_t wall = time(NULL);
	int err;

	top->current ^= 1;
	now = &top->samples[top->current];
	before = top->have_before ? &top->samples[top->current ^ 1] : NULL;
	err = stats_sample_read(top->xlb, now);
	if (err)
		return err;
	if (stats_report_build(before, now, &report)) {
		fprintf(stderr, "xlbctl: top: out of memory\n");
		exit(EXIT_SYSTEM);
	}
	top->have_before = true;
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&wall));
	fprintf(out, "xlbctl top - %s - %s - every %.1f s%s\n\n",
		top->cli->pin_path, when, top->cli->interval_ms / 1000.0,
		isatty(STDOUT_FILENO) ? " - q quits" : "");
	stats_print_text(&report, out);
	stats_report_free(&report);
	top->shown++;
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int run_plain(struct top *top)
{
	int err;

	/* The first snapshot needs a first read an interval earlier. */
	err = stats_sample_read(top->xlb, &top->samples[0]);
	top->have_before = true;
	while (!err) {
		sleep_ms(top->cli->interval_ms);
		err = render(top, stdout);
		fflush(stdout);
		if (err || done(top))
			break;
		printf("\n");
	}
	return err;
}

static void draw(const char *text)
{
	int row = 0;

	erase();
	for (const char *line = text; *line && row < LINES; row++) {
		const char *end = strchr(line, '\n');
		int len = end ? end - line : (int)strlen(line);

		mvaddnstr(row, 0, line, len < COLS ? len : COLS);
		line += len + (end ? 1 : 0);
	}
	refresh();
}

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Ctrl-C or kill: leave the loop so endwin() gives the terminal back. */
static void catch_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = request_stop };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int run_curses(struct top *top)
{
	char *text = NULL;
	size_t len = 0;
	int err = 0, key, waited;
	FILE *out;

	catch_stop_signals();
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	timeout(100); /* getch polls, so 'q' quits within 0.1 s */
	while (!done(top) && !stop_requested) {
		out = open_memstream(&text, &len);
		if (!out)
			break;
		err = render(top, out);
		fclose(out);
		if (err)
			break;
		draw(text);
		free(text);
		text = NULL;
		for (waited = 0; waited < top->cli->interval_ms;
		     waited += 100) {
			key = getch();
			if (key == 'q' || key == 'Q')
				goto out;
		}
	}
out:
	free(text);
	endwin();
	return err;
}

int cmd_top(const struct cli *cli)
{
	struct top top = { .cli = cli };
	int rc, err;

	rc = session_open(cli, &top.xlb);
	if (rc)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &top.start);
	if (isatty(STDOUT_FILENO) && isatty(STDIN_FILENO))
		err = run_curses(&top);
	else
		err = run_plain(&top);
	if (err)
		rc = report_lib(cli, err);
	stats_sample_free(&top.samples[0]);
	stats_sample_free(&top.samples[1]);
	xlb_close(top.xlb);
	return rc;
}
