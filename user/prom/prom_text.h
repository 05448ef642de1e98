/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus text exposition format (version 0.0.4), parsed strictly:
 * metric names, labels with escapes (\\, \", \n), values (NaN, +Inf, -Inf,
 * exponents), optional timestamps, # HELP and # TYPE lines. Used by xlbd to
 * read xlb-agent, prometheus-node-exporter and its own /metrics in tests.
 *
 * Bounded: the caller gives the body and its length (no NUL needed), and
 * limits on lines, labels and sample count; a body over a limit or with a
 * malformed line is refused with the line number and what is wrong, so a
 * scrape target that serves garbage is marked stale, never half-read.
 */
#ifndef XLB_PROM_TEXT_H
#define XLB_PROM_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define XLB_PROM_MAX_LABELS 16

enum xlb_prom_type {
	XLB_PROM_UNTYPED = 0,
	XLB_PROM_COUNTER,
	XLB_PROM_GAUGE,
	XLB_PROM_HISTOGRAM,
	XLB_PROM_SUMMARY,
};

struct xlb_prom_label {
	const char *name;  /* NUL-terminated, valid during the callback */
	const char *value; /* unescaped */
};

struct xlb_prom_sample {
	const char *name; /* e.g. node_cpu_seconds_total, or foo_bucket */
	/* the # TYPE of the family it belongs to (foo for foo_bucket) */
	enum xlb_prom_type type;
	const struct xlb_prom_label *labels;
	size_t n_labels;
	double value;
	int64_t timestamp_ms; /* INT64_MIN when absent */
};

struct xlb_prom_limits {
	size_t max_samples;  /* 0: 100000 */
	size_t max_line_len; /* 0: 65536 */
};

/* Called once per sample line; a non-zero return stops the parse with it. */
typedef int (*xlb_prom_sample_fn)(const struct xlb_prom_sample *sample,
				  void *arg);

/*
 * Parses text[0..len) and calls fn for each sample in order. Returns 0, the
 * callback's non-zero value, or -EINVAL / -E2BIG with err naming the line
 * ("line 12: label value not terminated").
 */
int xlb_prom_parse(const char *text, size_t len,
		   const struct xlb_prom_limits *limits, xlb_prom_sample_fn fn,
		   void *arg, char *err, size_t errlen);

/* The value of label `name` in a sample, or NULL. */
const char *xlb_prom_label(const struct xlb_prom_sample *sample,
			   const char *name);

#endif
