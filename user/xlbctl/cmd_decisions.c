// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl decisions: xlbd's decision log (STATE_DIR/decisions.jsonl, one
 * JSON object per line) as text, or its lines as they are with --json;
 * --since drops older ones, --follow then waits for new lines (reopening
 * the file when it is replaced or truncated) until interrupted.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "commands.h"

#define DECISION_LOG "decisions.jsonl"
#define FOLLOW_POLL_US 200000

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return "?";
	return json_object_get_string(v);
}

static double num(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return NAN;
	return json_object_get_double(v);
}

static void print_text(json_object *o)
{
	char when[32];
	double t = num(o, "time");
	time_t s = (time_t)t;
	struct tm tm;
	json_object *feats;

	gmtime_r(&s, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%s.%03dZ %s %s %s: factor %.3f -> %.3f, health %s -> %s", when,
	       (int)((t - floor(t)) * 1000), str(o, "vip"), str(o, "backend"),
	       str(o, "rule"), num(o, "old_factor"), num(o, "new_factor"),
	       str(o, "old_health"), str(o, "new_health"));
	if (isfinite(num(o, "anomaly_score")))
		printf(", score %.3f", num(o, "anomaly_score"));
	if (json_object_object_get_ex(o, "features", &feats) &&
	    json_object_is_type(feats, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(feats); i++) {
			json_object *f = json_object_array_get_idx(feats, i);

			printf("%s %s %g (fleet %g, own %g)",
			       i ? "," : "; top:", str(f, "name"),
			       num(f, "value"), num(f, "fleet_median"),
			       num(f, "own_mean"));
		}
	}
	json_object *dry;

	if (json_object_object_get_ex(o, "dry_run", &dry) &&
	    json_object_get_boolean(dry))
		printf(" [dry run]");
	printf(": %s\n", str(o, "reason"));
}

/* One line of the log; a line that is not a decision is reported, skipped. */
static void print_line(const struct cli *cli, const char *line, size_t lineno)
{
	json_object *o = json_tokener_parse(line);

	if (!o || !json_object_is_type(o, json_type_object)) {
		fprintf(stderr,
			"xlbctl: decisions: line %zu is not a JSON "
			"object, skipped\n",
			lineno);
		json_object_put(o);
		return;
	}
	if (num(o, "time") >= cli->since) {
		if (cli->json)
			printf("%s\n", line);
		else
			print_text(o);
	}
	json_object_put(o);
}

int cmd_decisions(const struct cli *cli)
{
	char path[4096], *line = NULL;
	size_t cap = 0, lineno = 0;
	struct stat st, now;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cli->state_dir, DECISION_LOG);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr,
			"xlbctl: decisions: %s: %s (is xlbd running with "
			"--state-dir %s?)\n",
			path, strerror(errno), cli->state_dir);
		return errno == ENOENT ? 2 : 5;
	}
	fstat(fileno(f), &st);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (;;) {
		ssize_t n;

		while ((n = getline(&line, &cap, f)) > 0) {
			/* A partial last line waits for its newline. */
			if (line[n - 1] != '\n' && cli->follow) {
				fseek(f, -n, SEEK_CUR);
				break;
			}
			line[strcspn(line, "\n")] = 0;
			if (line[0])
				print_line(cli, line, ++lineno);
		}
		fflush(stdout);
		if (!cli->follow || stop)
			break;
		usleep(FOLLOW_POLL_US);
		if (stop)
			break;
		clearerr(f);
		/* Replaced (a new inode) or truncated: read it from the top. */
		if (stat(path, &now) == 0 &&
		    (now.st_ino != st.st_ino || now.st_size < ftell(f))) {
			FILE *g = fopen(path, "r");

			if (g) {
				fclose(f);
				f = g;
				st = now;
				lineno = 0;
			}
		}
	}
	free(line);
	fclose(f);
	return 0;
}
