/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What stats and top show: two reads of the counters some time apart turned
 * into rates per VIP and per backend, and each backend's share of new flows
 * next to its share of the weight.
 */
#ifndef XLBCTL_STATS_REPORT_H
#define XLBCTL_STATS_REPORT_H

#include <time.h>

#include "xlb.h"

/* One read of everything stats shows, at one moment. */
struct stats_sample {
	struct timespec at; /* CLOCK_MONOTONIC */
	struct xlb_stats counters;
	struct xlb_vip_entry *vips;
	size_t n_vips;
	struct xlb_pair_info *pairs; /* sorted by VIP, then address */
	size_t n_pairs;
};

int stats_sample_read(struct xlb *xlb, struct stats_sample *sample);
void stats_sample_free(struct stats_sample *sample);

struct stats_rates {
	double packets, bits, new_flows, dropped; /* per second */
};

struct stats_pair {
	const struct xlb_pair_info *info;
	struct xlb_pair_counters total;
	struct stats_rates rate;
	double weight_share; /* of the VIP's active weight; 0 if not active */
	double flow_share;   /* of the VIP's new flows; -1: none, or no rates */
};

struct stats_vip {
	const struct xlb_vip_entry *entry;
	struct xlb_vip_counters total;
	struct stats_rates rate;
	struct stats_pair *pairs; /* within the report's pairs */
	size_t n_pairs;
	size_t n_active;
};

struct stats_report {
	double interval_s; /* 0: no earlier read, totals only */
	struct xlb_global_counters total, delta;
	struct stats_vip *vips;
	size_t n_vips;
	struct stats_pair *pairs;
	size_t n_pairs;
};

/* before may be NULL (no rates). The report points into now. -ENOMEM. */
int stats_report_build(const struct stats_sample *before,
		       const struct stats_sample *now,
		       struct stats_report *report);
void stats_report_free(struct stats_report *report);

/* The global counters other than drops, by name, for both outputs. */
struct stats_counter_field {
	const char *name;
	size_t offset; /* of a __u64 in struct xlb_global_counters */
};
extern const struct stats_counter_field stats_global_fields[];
extern const size_t stats_n_global_fields;

static inline __u64 stats_global_value(const struct xlb_global_counters *g,
				       size_t field)
{
	return *(const __u64 *)((const char *)g +
				stats_global_fields[field].offset);
}

/* "truncated", "no_backend", ...: enum xlb_drop_reason by name. */
const char *stats_drop_reason_name(int reason);

#endif
