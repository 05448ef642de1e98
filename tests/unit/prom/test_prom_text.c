// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus text parser: what it reads (labels, escapes, types, NaN and
 * Inf, timestamps) and what it refuses, with the line, including every
 * truncation of a real node_exporter body.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom_text.h"
#include "testing.h"

#define MAX_SEEN 64

/* What the callback saw: one flattened line per sample. */
static struct {
	char line[MAX_SEEN][256];
	double value[MAX_SEEN];
	enum xlb_prom_type type[MAX_SEEN];
	int64_t ts[MAX_SEEN];
	size_t n;
	size_t total;
	size_t stop_at; /* 0: never */
} seen;
static char err[256];

static int record(const struct xlb_prom_sample *s, void *arg)
{
	(void)arg;
	seen.total++;
	if (seen.stop_at && seen.total == seen.stop_at)
		return 42;
	if (seen.n == MAX_SEEN)
		return 0;
	char *l = seen.line[seen.n];
	int n = snprintf(l, 256, "%s", s->name);

	for (size_t i = 0; i < s->n_labels; i++)
		n += snprintf(l + n, 256 - n, "%s%s=%s", i ? "," : "{",
			      s->labels[i].name, s->labels[i].value);
	if (s->n_labels)
		snprintf(l + n, 256 - n, "}");
	seen.value[seen.n] = s->value;
	seen.type[seen.n] = s->type;
	seen.ts[seen.n] = s->timestamp_ms;
	seen.n++;
	return 0;
}

static int parse_with(const char *body, size_t len,
		      const struct xlb_prom_limits *lim)
{
	memset(&seen, 0, sizeof(seen));
	return xlb_prom_parse(body, len, lim, record, NULL, err, sizeof(err));
}

static int parse(const char *body)
{
	return parse_with(body, strlen(body), NULL);
}

TEST(reads_names_labels_values_and_types)
{
	const char *body = "# HELP node_load1 1m load average.\n"
			   "# TYPE node_load1 gauge\n"
			   "node_load1 0.25\n"
			   "\n"
			   "# TYPE node_cpu_seconds_total counter\n"
			   "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} "
			   "1.5e3\n"
			   "node_cpu_seconds_total{ cpu = \"1\" , "
			   "mode=\"user\", } 7\n"
			   "untyped_thing:x 3 1700000000000\n";

	CHECK_EQ(parse(body), 0);
	CHECK_EQ(seen.n, 4);
	CHECK(!strcmp(seen.line[0], "node_load1"), "%s", seen.line[0]);
	CHECK(seen.value[0] == 0.25 && seen.type[0] == XLB_PROM_GAUGE,
	      "load1 %g type %d", seen.value[0], seen.type[0]);
	CHECK(seen.ts[0] == INT64_MIN, "timestamp when absent");
	CHECK(!strcmp(seen.line[1], "node_cpu_seconds_total{cpu=0,mode=idle}"),
	      "%s", seen.line[1]);
	CHECK(seen.value[1] == 1500 && seen.type[1] == XLB_PROM_COUNTER,
	      "cpu %g", seen.value[1]);
	CHECK(!strcmp(seen.line[2], "node_cpu_seconds_total{cpu=1,mode=user}"),
	      "trailing comma and blanks: %s", seen.line[2]);
	CHECK(seen.type[3] == XLB_PROM_UNTYPED, "untyped after other family");
	CHECK_EQ(seen.ts[3], 1700000000000LL);
}

TEST(unescapes_label_values)
{
	CHECK_EQ(parse("m{a=\"x\\\\y\",b=\"q\\\"t\",c=\"l1\\nl2\",d=\"\"} 1\n"),
		 0);
	CHECK_EQ(seen.n, 1);
	CHECK(!strcmp(seen.line[0], "m{a=x\\y,b=q\"t,c=l1\nl2,d=}"), "%s",
	      seen.line[0]);
}

TEST(reads_nan_inf_and_exponents)
{
	CHECK_EQ(parse("a NaN\nb +Inf\nc -Inf\nd 1e-3\ne -2.5E+2\nf Inf\n"), 0);
	CHECK_EQ(seen.n, 6);
	CHECK(isnan(seen.value[0]), "NaN");
	CHECK(isinf(seen.value[1]) && seen.value[1] > 0, "+Inf");
	CHECK(isinf(seen.value[2]) && seen.value[2] < 0, "-Inf");
	CHECK(seen.value[3] == 1e-3 && seen.value[4] == -250, "exponents");
	CHECK(isinf(seen.value[5]), "Inf");
}

TEST(histogram_and_summary_children_carry_the_family_type)
{
	const char *body = "# TYPE h histogram\n"
			   "h_bucket{le=\"0.1\"} 1\n"
			   "h_bucket{le=\"+Inf\"} 2\n"
			   "h_sum 0.3\n"
			   "h_count 2\n"
			   "# TYPE s summary\n"
			   "s{quantile=\"0.5\"} 1\n"
			   "s_sum 1\n"
			   "s_count 1\n"
			   "s_bucket 1\n";

	CHECK_EQ(parse(body), 0);
	CHECK_EQ(seen.n, 8);
	for (int i = 0; i < 4; i++)
		CHECK(seen.type[i] == XLB_PROM_HISTOGRAM, "sample %d", i);
	for (int i = 4; i < 7; i++)
		CHECK(seen.type[i] == XLB_PROM_SUMMARY, "sample %d", i);
	CHECK(seen.type[7] == XLB_PROM_UNTYPED, "s_bucket is not a summary's");
}

TEST(label_lookup)
{
	struct xlb_prom_label l[] = { { "cpu", "3" }, { "mode", "idle" } };
	struct xlb_prom_sample s = { .labels = l, .n_labels = 2 };

	CHECK(!strcmp(xlb_prom_label(&s, "mode"), "idle"), "mode");
	CHECK(xlb_prom_label(&s, "device") == NULL, "absent label");
}

TEST(body_without_length_limit_reads_no_nul)
{
	/* the body is not NUL-terminated: parse reads only len bytes */
	char body[] = "a 1\nb 2\nXXXX";

	CHECK_EQ(parse_with(body, 8, NULL), 0);
	CHECK_EQ(seen.n, 2);
	CHECK_EQ(parse_with("", 0, NULL), 0);
	CHECK_EQ(seen.n, 0);
}

struct bad_case {
	const char *body;
	int code;
	const char *err; /* the message must contain this */
};

TEST(refuses_malformed_lines_with_their_number)
{
	static const struct bad_case cases[] = {
		{ "a 1\nb{x=\"1} 2\n", -EINVAL,
		  "line 2: b: label value not terminated" },
		{ "a 1\n", 0, NULL },
		{ "a 1\nb 2", -EINVAL, "line 2: truncated" },
		{ "1a 1\n", -EINVAL, "line 1: invalid metric name" },
		{ "a{1x=\"1\"} 1\n", -EINVAL, "line 1: a: invalid label name" },
		{ "a{x=1} 1\n", -EINVAL, "value not quoted" },
		{ "a{x\"1\"} 1\n", -EINVAL, "without '='" },
		{ "a{x=\"1\" y=\"2\"} 1\n", -EINVAL, "expected ',' or '}'" },
		{ "a{x=\"1\",x=\"2\"} 1\n", -EINVAL, "duplicate label x" },
		{ "a{x=\"\\t\"} 1\n", -EINVAL, "invalid escape" },
		{ "a\n", -EINVAL, "a: no value" },
		{ "a \n", -EINVAL, "a: no value" },
		{ "a one\n", -EINVAL, "invalid value 'one'" },
		{ "a 0x10\n", -EINVAL, "invalid value" },
		{ "a infinity\n", -EINVAL, "invalid value" },
		{ "a 1.2.3\n", -EINVAL, "invalid value" },
		{ "a 1 12.5\n", -EINVAL, "invalid timestamp" },
		{ "a 1 2 3\n", -EINVAL, "text after the timestamp" },
		{ "a-b 1\n", -EINVAL, "invalid metric name" },
		{ "# TYPE a gauge\n# TYPE a gauge\n", -EINVAL,
		  "line 2: second # TYPE line for a" },
		{ "# TYPE a meter\n", -EINVAL, "unknown type 'meter'" },
		{ "# TYPE a\n", -EINVAL, "unknown type ''" },
		{ "# TYPE a gauge x\n", -EINVAL, "text after the type" },
		{ "# TYPE\n", -EINVAL, "without a metric name" },
		{ "# HELP 9a x\n", -EINVAL, "invalid metric name" },
		{ "# HELP a bad \\t escape\n", -EINVAL, "invalid escape" },
		{ "# HELP a ok \\\\ and \\n\n# just a comment\n", 0, NULL },
		{ "a 1\r\n", -EINVAL, "carriage return" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(cases[i].body);

		CHECK(rc == cases[i].code, "case %zu (%s): rc %d, err '%s'", i,
		      cases[i].body, rc, err);
		if (cases[i].err)
			CHECK(strstr(err, cases[i].err),
			      "case %zu: err '%s', want '%s'", i, err,
			      cases[i].err);
	}
}

TEST(refuses_nul_bytes)
{
	CHECK_EQ(parse_with("a 1\nb\0 1\n", 9, NULL), -EINVAL);
	CHECK(strstr(err, "line 2: NUL byte"), "%s", err);
}

TEST(limits_refuse_big_bodies)
{
	struct xlb_prom_limits lim = { .max_samples = 2 };
	char labels[2048];
	int n = 0;

	CHECK_EQ(parse_with("a 1\nb 2\nc 3\n", 12, &lim), -E2BIG);
	CHECK(strstr(err, "line 3: more than 2 samples"), "%s", err);
	lim = (struct xlb_prom_limits){ .max_line_len = 8 };
	CHECK_EQ(parse_with("a 1\nabcdefghij 1\n", 17, &lim), -E2BIG);
	CHECK(strstr(err, "line 2: longer than 8 bytes"), "%s", err);
	n = snprintf(labels, sizeof(labels), "m{");
	for (int i = 0; i <= XLB_PROM_MAX_LABELS; i++)
		n += snprintf(labels + n, sizeof(labels) - n, "l%d=\"v\",", i);
	snprintf(labels + n, sizeof(labels) - n, "} 1\n");
	CHECK_EQ(parse(labels), -E2BIG);
	CHECK(strstr(err, "more than 16 labels"), "%s", err);
}

TEST(callback_return_stops_the_parse)
{
	memset(&seen, 0, sizeof(seen));
	seen.stop_at = 2;
	CHECK_EQ(xlb_prom_parse("a 1\nb 2\nc 3\n", 12, NULL, record, NULL, err,
				sizeof(err)),
		 42);
	CHECK_EQ(seen.total, 2);
}

static char *read_fixture(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", PROM_FIXTURES, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static int count_only(const struct xlb_prom_sample *s, void *arg)
{
	(void)s;
	(*(size_t *)arg)++;
	return 0;
}

/*
 * A real node_exporter body parses whole; every prefix of it either parses
 * (cut right after a newline: fewer samples) or is refused with a line
 * number (cut mid-line), never crashes or reads past the end.
 */
TEST(node_exporter_body_and_all_its_truncations)
{
	size_t len, full = 0;
	char *body = read_fixture("node_exporter.txt", &len);
	char *copy;

	CHECK(body, "fixture node_exporter.txt missing");
	test_defer(free, body);
	CHECK_EQ(xlb_prom_parse(body, len, NULL, count_only, &full, err,
				sizeof(err)),
		 0);
	CHECK(full > 100, "only %zu samples", full);
	for (size_t cut = 0; cut < len; cut++) {
		size_t n = 0;
		int rc;

		/* an exact-size copy so a read past the end is caught by
		 * ASan builds */
		copy = malloc(cut ? cut : 1);
		memcpy(copy, body, cut);
		rc = xlb_prom_parse(copy, cut, NULL, count_only, &n, err,
				    sizeof(err));
		free(copy);
		if (cut == 0 || body[cut - 1] == '\n') {
			CHECK(rc == 0, "cut %zu at a newline: %s", cut, err);
		} else {
			CHECK(rc == -EINVAL && !strncmp(err, "line ", 5),
			      "cut %zu mid-line: rc %d err '%s'", cut, rc, err);
		}
		CHECK(n <= full, "cut %zu: %zu samples", cut, n);
	}
}

/* Random byte flips of a valid body: refused or read, never a crash. */
TEST(random_corruption_never_crashes)
{
	size_t len, n;
	char *body = read_fixture("node_exporter.txt", &len);
	unsigned int seed = 12345;

	CHECK(body, "fixture node_exporter.txt missing");
	test_defer(free, body);
	for (int round = 0; round < 2000; round++) {
		char *copy = malloc(len);
		int rc;

		memcpy(copy, body, len);
		for (int k = 0; k < 4; k++)
			copy[rand_r(&seed) % len] = (char)(rand_r(&seed) % 256);
		n = 0;
		rc = xlb_prom_parse(copy, len, NULL, count_only, &n, err,
				    sizeof(err));
		free(copy);
		CHECK(rc == 0 || ((rc == -EINVAL || rc == -E2BIG) &&
				  !strncmp(err, "line ", 5)),
		      "round %d: rc %d err '%s'", round, rc, err);
	}
}
