// SPDX-License-Identifier: GPL-2.0
/*
 * Signals of one backend from successive scrapes (see node_signals.h): one
 * parse pass collects the series into a struct scrape, then the signals are
 * computed against the previous accepted scrape.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_signals.h"

/* Devices tracked per backend; more are summed only by name order seen. */
#define MAX_DEVICES 256
#define DEVICE_NAME_LEN 64

struct device {
	char name[DEVICE_NAME_LEN];
	double rx, tx; /* NAN when the series is missing */
};

/* The series of one scrape that the signals come from; NAN when absent. */
struct scrape {
	bool agent; /* any xlb_agent_* series */
	bool node_cpu;
	double cpu_all, cpu_idle; /* node_cpu_seconds_total sums */
	size_t n_cpus;
	double agent_usage, agent_capacity, agent_ratio;
	double mem_available, mem_total, cg_mem_usage, cg_mem_limit;
	double load1;
	double probe_sum, probe_count, probes, probe_failures, probe_last;
	struct device devices[MAX_DEVICES];
	size_t n_devices;
};

struct xlb_signal_tracker {
	bool have_prev;
	double prev_time;
	struct scrape prev, cur; /* cur is scratch for the parse */
};

static void add(double *sum, double v)
{
	*sum = isnan(*sum) ? v : *sum + v;
}

static void scrape_init(struct scrape *s)
{
	*s = (struct scrape){
		.cpu_all = NAN,
		.cpu_idle = NAN,
		.agent_usage = NAN,
		.agent_capacity = NAN,
		.agent_ratio = NAN,
		.mem_available = NAN,
		.mem_total = NAN,
		.cg_mem_usage = NAN,
		.cg_mem_limit = NAN,
		.load1 = NAN,
		.probe_sum = NAN,
		.probe_count = NAN,
		.probes = NAN,
		.probe_failures = NAN,
		.probe_last = NAN,
	};
}

static struct device *device_of(struct scrape *s, const char *name)
{
	size_t i;

	if (!name || !strcmp(name, "lo") || strlen(name) >= DEVICE_NAME_LEN)
		return NULL;
	for (i = 0; i < s->n_devices; i++) {
		if (!strcmp(s->devices[i].name, name))
			return &s->devices[i];
	}
	if (s->n_devices == MAX_DEVICES)
		return NULL;
	s->n_devices++;
	strcpy(s->devices[i].name, name);
	s->devices[i].rx = NAN;
	s->devices[i].tx = NAN;
	return &s->devices[i];
}

static int collect(const struct xlb_prom_sample *sm, void *arg)
{
	struct scrape *s = arg;
	const char *n = sm->name;
	double v = sm->value;

	if (!strncmp(n, "xlb_agent_", 10)) {
		s->agent = true;
		n += 10;
		if (!strcmp(n, "cpu_usage_seconds_total"))
			s->agent_usage = v;
		else if (!strcmp(n, "cpu_capacity_cores"))
			s->agent_capacity = v;
		else if (!strcmp(n, "cpu_utilisation_ratio"))
			s->agent_ratio = v;
		else if (!strcmp(n, "cgroup_memory_usage_bytes"))
			s->cg_mem_usage = v;
		else if (!strcmp(n, "cgroup_memory_limit_bytes"))
			s->cg_mem_limit = v;
		else if (!strcmp(n, "service_probe_duration_seconds_sum"))
			s->probe_sum = v;
		else if (!strcmp(n, "service_probe_duration_seconds_count"))
			s->probe_count = v;
		else if (!strcmp(n, "service_probes_total"))
			s->probes = v;
		else if (!strcmp(n, "service_probe_failures_total"))
			s->probe_failures = v;
		else if (!strcmp(n, "service_probe_last_duration_seconds"))
			s->probe_last = v;
		return 0;
	}
	if (strncmp(n, "node_", 5))
		return 0;
	n += 5;
	if (!strcmp(n, "cpu_seconds_total")) {
		const char *mode = xlb_prom_label(sm, "mode");

		s->node_cpu = true;
		add(&s->cpu_all, v);
		if (mode && (!strcmp(mode, "idle") || !strcmp(mode, "iowait")))
			add(&s->cpu_idle, v);
		if (mode && !strcmp(mode, "idle"))
			s->n_cpus++;
	} else if (!strcmp(n, "memory_MemAvailable_bytes")) {
		s->mem_available = v;
	} else if (!strcmp(n, "memory_MemTotal_bytes")) {
		s->mem_total = v;
	} else if (!strcmp(n, "load1")) {
		s->load1 = v;
	} else if (!strcmp(n, "network_receive_bytes_total")) {
		struct device *d = device_of(s, xlb_prom_label(sm, "device"));

		if (d)
			d->rx = v;
	} else if (!strcmp(n, "network_transmit_bytes_total")) {
		struct device *d = device_of(s, xlb_prom_label(sm, "device"));

		if (d)
			d->tx = v;
	}
	return 0;
}

/* The growth of a counter, or NAN when either side is missing or it reset. */
static double delta(double prev, double cur)
{
	if (isnan(prev) || isnan(cur) || cur < prev)
		return NAN;
	return cur - prev;
}

static double clamp01(double v)
{
	if (isnan(v))
		return v;
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

static double ratio(double num, double den)
{
	if (isnan(num) || isnan(den) || den <= 0)
		return NAN;
	return num / den;
}

/* Sum of per-device rates over devices present in both scrapes. */
static void net_rates(const struct scrape *prev, const struct scrape *cur,
		      double dt, double *rx, double *tx)
{
	double sum_rx = NAN, sum_tx = NAN;

	for (size_t i = 0; i < cur->n_devices; i++) {
		const struct device *c = &cur->devices[i];

		for (size_t j = 0; j < prev->n_devices; j++) {
			const struct device *p = &prev->devices[j];

			if (strcmp(p->name, c->name))
				continue;
			double d_rx = delta(p->rx, c->rx);
			double d_tx = delta(p->tx, c->tx);

			if (!isnan(d_rx))
				add(&sum_rx, d_rx);
			if (!isnan(d_tx))
				add(&sum_tx, d_tx);
			break;
		}
	}
	*rx = sum_rx / dt;
	*tx = sum_tx / dt;
}

static void compute(const struct scrape *prev, const struct scrape *cur,
		    double dt, struct xlb_node_signals *out)
{
	double cpus;

	out->source = cur->agent      ? XLB_SIGNAL_SOURCE_AGENT
		      : cur->node_cpu ? XLB_SIGNAL_SOURCE_NODE_EXPORTER
				      : XLB_SIGNAL_SOURCE_UNKNOWN;
	out->interval_s = prev ? dt : NAN;
	out->cpu_util = NAN;
	out->service_latency_s = NAN;
	out->service_latency_last_s = cur->agent ? cur->probe_last : NAN;
	out->service_fail_ratio = NAN;
	out->net_rx_bytes_per_s = NAN;
	out->net_tx_bytes_per_s = NAN;

	if (cur->agent) {
		if (prev)
			out->cpu_util = ratio(
				delta(prev->agent_usage, cur->agent_usage) / dt,
				cur->agent_capacity);
		if (isnan(out->cpu_util))
			out->cpu_util = cur->agent_ratio;
	} else if (cur->node_cpu && prev) {
		double all = delta(prev->cpu_all, cur->cpu_all);
		double idle = delta(prev->cpu_idle, cur->cpu_idle);

		/* a CPU going offline shrinks the sums: delta() refuses */
		out->cpu_util = 1 - ratio(idle, all);
	}
	out->cpu_util = clamp01(out->cpu_util);

	if (cur->agent && !isnan(cur->cg_mem_limit) &&
	    !isnan(cur->cg_mem_usage) && cur->cg_mem_limit > 0 &&
	    !isinf(cur->cg_mem_limit) &&
	    (isnan(cur->mem_total) || cur->cg_mem_limit < cur->mem_total))
		out->mem_util = clamp01(cur->cg_mem_usage / cur->cg_mem_limit);
	else
		out->mem_util =
			clamp01(1 - ratio(cur->mem_available, cur->mem_total));

	cpus = cur->n_cpus ? (double)cur->n_cpus : NAN;
	out->load1 = ratio(cur->load1, cpus);

	if (cur->agent && prev) {
		double count = delta(prev->probe_count, cur->probe_count);

		out->service_latency_s =
			ratio(delta(prev->probe_sum, cur->probe_sum), count);
		out->service_fail_ratio = clamp01(
			ratio(delta(prev->probe_failures, cur->probe_failures),
			      delta(prev->probes, cur->probes)));
	}
	if (cur->agent && isnan(out->service_latency_s))
		out->service_latency_s = cur->probe_last;

	if (prev)
		net_rates(prev, cur, dt, &out->net_rx_bytes_per_s,
			  &out->net_tx_bytes_per_s);
}

struct xlb_signal_tracker *xlb_signal_tracker_create(void)
{
	return calloc(1, sizeof(struct xlb_signal_tracker));
}

void xlb_signal_tracker_destroy(struct xlb_signal_tracker *t)
{
	free(t);
}

void xlb_signal_tracker_reset(struct xlb_signal_tracker *t)
{
	t->have_prev = false;
}

int xlb_signal_tracker_feed(struct xlb_signal_tracker *t, const char *body,
			    size_t len, double now_s,
			    struct xlb_node_signals *out, char *err,
			    size_t errlen)
{
	int rc;

	scrape_init(&t->cur);
	rc = xlb_prom_parse(body, len, NULL, collect, &t->cur, err, errlen);
	if (rc)
		return rc;
	bool rates = t->have_prev && now_s > t->prev_time;

	compute(rates ? &t->prev : NULL, &t->cur,
		rates ? now_s - t->prev_time : NAN, out);
	t->prev = t->cur;
	t->prev_time = now_s;
	t->have_prev = true;
	return 0;
}

const char *xlb_signal_source_name(enum xlb_signal_source source)
{
	switch (source) {
	case XLB_SIGNAL_SOURCE_AGENT:
		return "xlb-agent";
	case XLB_SIGNAL_SOURCE_NODE_EXPORTER:
		return "node_exporter";
	default:
		return "unknown";
	}
}
