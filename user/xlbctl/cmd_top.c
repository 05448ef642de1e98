// SPDX-License-Identifier: GPL-2.0
/*
 * top: the stats table refreshed in place every interval (ncurses), 'q'
 * quits. Without a terminal it prints timestamped snapshots instead, so it
 * can be logged or piped. With the brain's columns from the maps, and from
 * xlbd's /status.json (libcurl, bounded to XLBD_TIMEOUT_MS per refresh) the
 * anomaly scores, forecasts and last decisions: with --xlbd URL always
 * tried, else the default listener only when it answers at start.
 */
#include <curses.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "report.h"
#include "session.h"
#include "stats_view.h"

#define XLBD_URL_DEFAULT "http://127.0.0.1:9469"
#define XLBD_TIMEOUT_MS 250L
#define XLBD_MAX_BYTES (4u << 20)

struct top {
	const struct cli *cli;
	struct xlb *xlb;
	CURL *curl;		/* NULL: no xlbd columns */
	char url[512];		/* .../status.json */
	struct stats_xlbd xlbd; /* the last refresh's, status NULL if none */
	char *body;
	size_t len;
	bool too_big;
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

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct top *top = arg;
	size_t add = size * n;
	char *grown;

	if (top->len + add > XLBD_MAX_BYTES) {
		top->too_big = true;
		return 0;
	}
	grown = realloc(top->body, top->len + add + 1);
	if (!grown)
		return 0;
	top->body = grown;
	memcpy(top->body + top->len, data, add);
	top->len += add;
	top->body[top->len] = 0;
	return add;
}

/* xlbd's status for this refresh (top->xlbd.status NULL when it fails). */
static void xlbd_fetch(struct top *top)
{
	long code = 0;

	json_object_put(top->xlbd.status);
	top->xlbd.status = NULL;
	if (!top->curl)
		return;
	top->len = 0;
	top->too_big = false;
	if (curl_easy_perform(top->curl) == CURLE_OK &&
	    curl_easy_getinfo(top->curl, CURLINFO_RESPONSE_CODE, &code) ==
		    CURLE_OK &&
	    code == 200 && top->body)
		top->xlbd.status = json_tokener_parse(top->body);
	if (top->xlbd.status &&
	    !json_object_is_type(top->xlbd.status, json_type_object)) {
		json_object_put(top->xlbd.status);
		top->xlbd.status = NULL;
	}
}

static void xlbd_open(struct top *top)
{
	const char *base = top->cli->xlbd_url ? top->cli->xlbd_url
					      : XLBD_URL_DEFAULT;
	size_t n = strlen(base);

	snprintf(top->url, sizeof(top->url), "%.*s/status.json",
		 (int)(n && base[n - 1] == '/' ? n - 1 : n), base);
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return;
	top->curl = curl_easy_init();
	if (!top->curl)
		return;
	curl_easy_setopt(top->curl, CURLOPT_URL, top->url);
	curl_easy_setopt(top->curl, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(top->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(top->curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(top->curl, CURLOPT_TIMEOUT_MS, XLBD_TIMEOUT_MS);
	curl_easy_setopt(top->curl, CURLOPT_CONNECTTIMEOUT_MS, XLBD_TIMEOUT_MS);
	curl_easy_setopt(top->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(top->curl, CURLOPT_WRITEDATA, top);
	/* Not asked for and not answering: no xlbd columns, no waits. */
	xlbd_fetch(top);
	if (!top->xlbd.status && !top->cli->xlbd_url) {
		curl_easy_cleanup(top->curl);
		top->curl = NULL;
	}
}

static void xlbd_close(struct top *top)
{
	json_object_put(top->xlbd.status);
	free(top->body);
	if (top->curl)
		curl_easy_cleanup(top->curl);
	curl_global_cleanup();
}

/* The header's xlbd part. */
static void xlbd_header(const struct top *top, FILE *out)
{
	json_object *v;

	if (!top->curl) {
		fprintf(out, "xlbd: not reachable at %s (--xlbd URL)\n",
			XLBD_URL_DEFAULT);
		return;
	}
	if (!top->xlbd.status) {
		fprintf(out, "xlbd %s: no answer within %ld ms\n", top->url,
			XLBD_TIMEOUT_MS);
		return;
	}
	fprintf(out, "xlbd %s: tick ", top->url);
	fprintf(out, "%s",
		json_object_object_get_ex(top->xlbd.status, "ticks", &v)
			? json_object_get_string(v)
			: "?");
	if (json_object_object_get_ex(top->xlbd.status, "dry_run", &v) &&
	    json_object_get_boolean(v))
		fprintf(out, ", dry run");
	fprintf(out, "\n");
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
	xlbd_fetch(top);
	fprintf(out, "xlbctl top - %s - %s - every %.1f s%s\n",
		top->cli->pin_path, when, top->cli->interval_ms / 1000.0,
		isatty(STDOUT_FILENO) ? " - q quits" : "");
	xlbd_header(top, out);
	fprintf(out, "\n");
	stats_print_top(&report, &top->xlbd, out);
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
	xlbd_open(&top);
	clock_gettime(CLOCK_MONOTONIC, &top.start);
	if (isatty(STDOUT_FILENO) && isatty(STDIN_FILENO))
		err = run_curses(&top);
	else
		err = run_plain(&top);
	if (err)
		rc = report_lib(cli, err);
	stats_sample_free(&top.samples[0]);
	stats_sample_free(&top.samples[1]);
	xlbd_close(&top);
	xlb_close(top.xlb);
	return rc;
}
