// SPDX-License-Identifier: GPL-2.0
/*
 * /metrics: xlbd's own state in Prometheus text (0.0.4), rendered once per
 * tick and served as it is. Names carry units and _total (node_exporter's
 * rules), every family has HELP and TYPE, label values are escaped.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlbd.h"
#include "cluster.h"

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped: backslash, double quote and newline. */
static void escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void value(FILE *f, double x)
{
	if (isnan(x))
		fputs("NaN", f);
	else if (isinf(x))
		fputs(x > 0 ? "+Inf" : "-Inf", f);
	else
		fprintf(f, "%.17g", x);
}

static void pair_sample(FILE *f, const char *name, const struct xlbd_pair *p,
			double x)
{
	fprintf(f, "%s{vip=\"", name);
	escaped(f, p->vip_text);
	fputs("\",backend=\"", f);
	escaped(f, p->addr_text);
	fputs("\"} ", f);
	value(f, x);
	fputc('\n', f);
}

static void vip_sample(FILE *f, const char *name, const struct xlbd_vip *v,
		       double x)
{
	fprintf(f, "%s{vip=\"", name);
	escaped(f, v->key);
	fputs("\"} ", f);
	value(f, x);
	fputc('\n', f);
}

/* The capacity plan per VIP (the standby pool and the scale hook). */
static void xlbd_metrics_capacity(FILE *f, const struct xlbd *d)
{
	static const char *const names[] = {
		"xlbd_vip_capacity_predicted_utilisation",
		"xlbd_vip_capacity_desired_backends",
		"xlbd_vip_capacity_active_backends",
		"xlbd_vip_capacity_standby_backends",
	};
	static const char *const helps[] = {
		"Peak forecast demand over brain.capacity_horizon_s over the "
		"active backends' capacity (NaN: no cost measured yet).",
		"Backends the capacity plan wants (the hook's {desired}).",
		"Backends in operator state active (the hook's {current}).",
		"Standby pool backends ready to activate.",
	};

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		family(f, names[k], "gauge", helps[k]);
		for (size_t i = 0; i < d->n_vips; i++) {
			const struct xlbd_vip *v = &d->vips[i];
			double x = NAN;

			if (v->have_out)
				x = k == 0   ? v->out.predicted_util
				    : k == 1 ? v->out.desired
				    : k == 2 ? v->out.active
					     : v->out.standby;
			vip_sample(f, names[k], v, x);
		}
	}
	family(f, "xlbd_capacity_hook_runs_total", "counter",
	       "Scale hooks started (capacity.hook).");
	fprintf(f, "xlbd_capacity_hook_runs_total %llu\n",
		(unsigned long long)d->hook_runs);
	family(f, "xlbd_capacity_hook_failures_total", "counter",
	       "Scale hooks that could not start, exited non-zero, were "
	       "killed at the timeout or by a signal.");
	fprintf(f, "xlbd_capacity_hook_failures_total %llu\n",
		(unsigned long long)d->hook_failures);
}

typedef double (*pair_fn)(const struct xlbd *d, const struct xlbd_pair *p);

static double eff_weight(const struct xlbd *d, const struct xlbd_pair *p)
{
	(void)d;
	return p->info.weight;
}

static double base_weight(const struct xlbd *d, const struct xlbd_pair *p)
{
	(void)d;
	return p->info.base_weight;
}

static double factor(const struct xlbd *d, const struct xlbd_pair *p)
{
	(void)d;
	return p->info.factor / (double)XLB_FACTOR_ONE;
}

static double health(const struct xlbd *d, const struct xlbd_pair *p)
{
	(void)d;
	return p->info.health;
}

static double op_state(const struct xlbd *d, const struct xlbd_pair *p)
{
	(void)d;
	return p->info.op_state;
}

static double anomaly(const struct xlbd *d, const struct xlbd_pair *p)
{
	(void)d;
	return p->have_out ? p->out.anomaly_score : NAN;
}

static double predicted(const struct xlbd *d, const struct xlbd_pair *p)
{
	(void)d;
	return p->have_out ? p->out.predicted_util : NAN;
}

static double cost(const struct xlbd *d, const struct xlbd_pair *p)
{
	(void)d;
	return p->have_out ? p->out.cost_per_request : NAN;
}

static double probe_latency(const struct xlbd *d, const struct xlbd_pair *p)
{
	(void)d;
	return p->probe.last_latency_s;
}

static double probe_ok(const struct xlbd *d, const struct xlbd_pair *p)
{
	(void)d;
	return (double)p->probe.total_ok;
}

static double probe_failed(const struct xlbd *d, const struct xlbd_pair *p)
{
	(void)d;
	return (double)p->probe.total_failed;
}

static double staleness(const struct xlbd *d, const struct xlbd_pair *p)
{
	(void)d;
	return p->obs.metrics_age_s;
}

static double new_flows(const struct xlbd *d, const struct xlbd_pair *p)
{
	(void)d;
	return p->obs.new_flows_per_s;
}

static double in_slow_start(const struct xlbd *d, const struct xlbd_pair *p)
{
	(void)d;
	return p->have_out && p->out.in_slow_start;
}

static const struct {
	const char *name, *type, *help;
	pair_fn fn;
} pair_families[] = {
	{ "xlbd_pair_effective_weight", "gauge",
	  "Weight the data plane uses: base weight x factor.", eff_weight },
	{ "xlbd_pair_base_weight", "gauge", "The operator's weight.",
	  base_weight },
	{ "xlbd_pair_factor", "gauge", "The brain's weight factor (1 = none).",
	  factor },
	{ "xlbd_pair_health_state", "gauge",
	  "The brain's health state: 0 ok, 1 draining, 2 down.", health },
	{ "xlbd_pair_operator_state", "gauge",
	  "The operator's state: 0 down, 1 active, 2 draining, 3 standby.",
	  op_state },
	{ "xlbd_pair_anomaly_score", "gauge",
	  "Isolation Forest score of the pair's features (NaN: not scored).",
	  anomaly },
	{ "xlbd_pair_predicted_utilisation", "gauge",
	  "Predicted utilisation at the forecast demand (NaN: unknown).",
	  predicted },
	{ "xlbd_pair_cost_per_request", "gauge",
	  "Measured load per request, b + c of the load regression.", cost },
	{ "xlbd_pair_new_flows_per_second", "gauge",
	  "New flows per second placed on the pair, last tick.", new_flows },
	{ "xlbd_pair_probe_latency_seconds", "gauge",
	  "Latency of the last successful probe.", probe_latency },
	{ "xlbd_pair_probes_ok_total", "counter", "Probes that succeeded.",
	  probe_ok },
	{ "xlbd_pair_probes_failed_total", "counter", "Probes that failed.",
	  probe_failed },
	{ "xlbd_pair_scrape_age_seconds", "gauge",
	  "Seconds since the agent's last good scrape (+Inf: never).",
	  staleness },
	{ "xlbd_pair_slow_start", "gauge", "1 while ramping after recovery.",
	  in_slow_start },
};

char *xlbd_metrics_render(const struct xlbd *d, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	for (size_t k = 0; k < sizeof(pair_families) / sizeof(pair_families[0]);
	     k++) {
		family(f, pair_families[k].name, pair_families[k].type,
		       pair_families[k].help);
		for (size_t i = 0; i < d->n_pairs; i++)
			pair_sample(f, pair_families[k].name, d->pairs[i],
				    pair_families[k].fn(d, d->pairs[i]));
	}
	family(f, "xlbd_vip_demand_per_second", "gauge",
	       "New flows (TCP) or packets (UDP) per second, last tick.");
	for (size_t i = 0; i < d->n_vips; i++)
		vip_sample(f, "xlbd_vip_demand_per_second", &d->vips[i],
			   d->vips[i].demand_per_s);
	family(f, "xlbd_vip_forecast_per_second", "gauge",
	       "Next tick's demand, from the selected forecaster.");
	for (size_t i = 0; i < d->n_vips; i++)
		vip_sample(f, "xlbd_vip_forecast_per_second", &d->vips[i],
			   d->vips[i].have_out ? d->vips[i].out.forecast_per_s
					       : NAN);
	family(f, "xlbd_vip_forecast_error", "gauge",
	       "Recent mean absolute error of the selected forecaster.");
	for (size_t i = 0; i < d->n_vips; i++)
		vip_sample(f, "xlbd_vip_forecast_error", &d->vips[i],
			   d->vips[i].have_out ? d->vips[i].out.forecast_error
					       : NAN);
	family(f, "xlbd_vip_panic", "gauge",
	       "1 while under the panic threshold of healthy backends.");
	for (size_t i = 0; i < d->n_vips; i++)
		vip_sample(f, "xlbd_vip_panic", &d->vips[i],
			   d->vips[i].have_out && d->vips[i].out.panic);
	xlbd_metrics_capacity(f, d);

	family(f, "xlbd_tick_stage_seconds", "gauge",
	       "Time each stage took in the last tick.");
	for (int s = 0; s < XLBD_STAGE_N; s++) {
		fprintf(f, "xlbd_tick_stage_seconds{stage=\"%s\"} ",
			xlbd_stage_name(s));
		value(f, d->stage_s[s]);
		fputc('\n', f);
	}
	family(f, "xlbd_tick_stage_seconds_total", "counter",
	       "Time spent in each stage since start.");
	for (int s = 0; s < XLBD_STAGE_N; s++) {
		fprintf(f, "xlbd_tick_stage_seconds_total{stage=\"%s\"} ",
			xlbd_stage_name(s));
		value(f, d->stage_total_s[s]);
		fputc('\n', f);
	}
	family(f, "xlbd_tick_seconds", "gauge", "The last tick's duration.");
	fputs("xlbd_tick_seconds ", f);
	value(f, d->tick_s);
	fputc('\n', f);
	family(f, "xlbd_tick_lateness_seconds", "gauge",
	       "How late the last tick started after its due time.");
	fputs("xlbd_tick_lateness_seconds ", f);
	value(f, d->tick_lateness_s);
	fputc('\n', f);
	family(f, "xlbd_tick_lateness_max_seconds", "gauge",
	       "The latest tick since start.");
	fputs("xlbd_tick_lateness_max_seconds ", f);
	value(f, d->tick_lateness_max_s);
	fputc('\n', f);
	family(f, "xlbd_ticks_total", "counter", "Ticks run.");
	fprintf(f, "xlbd_ticks_total %llu\n", (unsigned long long)d->ticks);
	family(f, "xlbd_ticks_late_total", "counter",
	       "Ticks that started more than half a period late.");
	fprintf(f, "xlbd_ticks_late_total %llu\n",
		(unsigned long long)d->ticks_late);
	family(f, "xlbd_decisions_total", "counter",
	       "Decisions by rule (probe transitions included).");
	for (int r = 1; r < XLB_RULE_N; r++)
		fprintf(f, "xlbd_decisions_total{rule=\"%s\"} %llu\n",
			xlb_brain_rule_name(r),
			(unsigned long long)d->decisions_by_rule[r]);
	family(f, "xlbd_apply_errors_total", "counter",
	       "Writes that failed (the maps were left as they were).");
	fprintf(f, "xlbd_apply_errors_total %llu\n",
		(unsigned long long)d->apply_errors);
	family(f, "xlbd_scrape_errors_total", "counter",
	       "Agent scrapes that failed: garbage, too big, timeout, reset.");
	fprintf(f, "xlbd_scrape_errors_total %llu\n",
		(unsigned long long)d->scrape_errors);
	family(f, "xlbd_config_reloads_total", "counter", "SIGHUP reloads.");
	fprintf(f, "xlbd_config_reloads_total %llu\n",
		(unsigned long long)d->reloads);
	family(f, "xlbd_config_reload_errors_total", "counter",
	       "Reloads refused (the old config kept).");
	fprintf(f, "xlbd_config_reload_errors_total %llu\n",
		(unsigned long long)d->reload_errors);
	family(f, "xlbd_dry_run", "gauge", "1 when decisions are not written.");
	fprintf(f, "xlbd_dry_run %d\n", d->cfg.brain.dry_run ? 1 : 0);
	xlbd_cluster_metrics(d, f);
	xlbd_announce_metrics(d, f);
	fclose(f);
	return text;
}
