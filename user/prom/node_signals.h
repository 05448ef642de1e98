/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A backend's load signals from successive scrapes of its metrics endpoint,
 * whatever serves it: xlb-agent (xlb_agent_* series beside node_exporter's
 * names) or a stock prometheus-node-exporter, chosen per scrape by what the
 * body holds. Counters become rates over the interval between two accepted
 * scrapes; a counter that went down (the exporter restarted, a device
 * vanished and came back) gives no rate for that interval, never a negative
 * one; a series that is missing gives NAN. Pure code: time is an argument.
 *
 * And the Prometheus server as a source: a /api/v1/query response (JSON)
 * read into (labels -> value) samples, for fleets whose nodes are already
 * scraped and a configured PromQL expression per signal.
 *
 * The series each signal comes from:
 *   cpu_util     agent: rate(xlb_agent_cpu_usage_seconds_total) /
 *                  xlb_agent_cpu_capacity_cores (the cgroup's quota in cores
 *                  when the agent watches a cgroup with one, else the CPUs),
 *                  or the agent's xlb_agent_cpu_utilisation_ratio gauge when
 *                  there is no rate yet;
 *                node_exporter: 1 - rate(idle + iowait) / rate(all modes) of
 *                  node_cpu_seconds_total summed over CPUs.
 *   mem_util     agent with a cgroup memory limit:
 *                  xlb_agent_cgroup_memory_usage_bytes / ..._limit_bytes;
 *                else 1 - node_memory_MemAvailable_bytes /
 *                  node_memory_MemTotal_bytes.
 *   load1        node_load1 / CPUs (the CPUs counted in node_cpu_seconds_total
 *                  mode="idle", which the agent serves too).
 *   service_*    agent only: rate(..._probe_duration_seconds_sum) /
 *                  rate(..._count) (falls back on
 *                  xlb_agent_service_probe_last_duration_seconds when no probe
 *                  succeeded in the interval), and rate(failures) /
 *                  rate(xlb_agent_service_probes_total); the last probe's
 *                  duration on its own as service_latency_last_s.
 *   net_*        sum over devices except lo of the rate of
 *                  node_network_{receive,transmit}_bytes_total; a device
 *                  counts only when present in both scrapes.
 */
#ifndef XLB_NODE_SIGNALS_H
#define XLB_NODE_SIGNALS_H

#include <stddef.h>

#include "prom_text.h"

enum xlb_signal_source {
	XLB_SIGNAL_SOURCE_UNKNOWN = 0, /* neither kind of series found */
	XLB_SIGNAL_SOURCE_AGENT,
	XLB_SIGNAL_SOURCE_NODE_EXPORTER,
};

/* Every field is NAN when its series is missing or has no rate yet. */
struct xlb_node_signals {
	enum xlb_signal_source source;
	double cpu_util;	  /* 0..1 of the CPU the backend may use */
	double mem_util;	  /* 0..1 */
	double load1;		  /* 1-minute load average per CPU */
	double service_latency_s; /* mean probe latency over the interval */
	double service_latency_last_s; /* the last finished probe's */
	double service_fail_ratio;     /* failed probes / probes, 0..1 */
	double net_rx_bytes_per_s;
	double net_tx_bytes_per_s;
	double interval_s; /* since the previous accepted scrape */
};

struct xlb_signal_tracker;

/* NULL when out of memory. */
struct xlb_signal_tracker *xlb_signal_tracker_create(void);
void xlb_signal_tracker_destroy(struct xlb_signal_tracker *t);

/*
 * Parses one scrape body[0..len) taken at now_s (any monotonic clock, in
 * seconds) with the parser's default limits and fills *out. Returns 0, or a
 * negative errno with err naming the problem ("line 12: ...") when the body
 * is refused: then *out and the tracker are left as they were, so the next
 * good scrape rates against the last good one. A scrape whose now_s is not
 * after the previous one gives no rates and becomes the new baseline.
 */
int xlb_signal_tracker_feed(struct xlb_signal_tracker *t, const char *body,
			    size_t len, double now_s,
			    struct xlb_node_signals *out, char *err,
			    size_t errlen);

/* Forgets the previous scrape (the target changed): the next gives no rates. */
void xlb_signal_tracker_reset(struct xlb_signal_tracker *t);

const char *xlb_signal_source_name(enum xlb_signal_source source);

/* One element of an instant vector from the Prometheus HTTP API. */
struct xlb_promql_sample {
	size_t n_labels;
	struct xlb_prom_label labels[XLB_PROM_MAX_LABELS]; /* incl. __name__ */
	double value;
	double timestamp_s;
};

struct xlb_promql_vector {
	struct xlb_promql_sample *samples;
	size_t n;
};

/*
 * Reads a /api/v1/query response json[0..len): status "success" with
 * resultType "vector" (one sample per element) or "scalar" (one sample, no
 * labels). Returns 0, or -EINVAL with err naming the problem (invalid JSON,
 * the server's own error "bad_data: parse error ...", an unexpected
 * resultType, a malformed element) and *out empty; -E2BIG for a series with
 * more than XLB_PROM_MAX_LABELS labels; -ENOMEM. Free with
 * xlb_promql_vector_free.
 */
int xlb_promql_parse_vector(const char *json, size_t len,
			    struct xlb_promql_vector *out, char *err,
			    size_t errlen);
void xlb_promql_vector_free(struct xlb_promql_vector *v);

/* The value of label `name` in a sample, or NULL. */
const char *xlb_promql_label(const struct xlb_promql_sample *sample,
			     const char *name);

#endif
