// SPDX-License-Identifier: GPL-2.0
#include "report.h"
#include "clock.h"

#include <json-c/json.h>
#include <string.h>

static const double percentiles[] = { 50, 90, 99, 99.9 };
static const char *const percentile_keys[] = { "p50", "p90", "p99", "p99_9" };
#define PERCENTILES 4

static double ms(uint64_t ns)
{
	return (double)ns / NS_PER_MS;
}

static double seconds(uint64_t ns)
{
	return (double)ns / NS_PER_SEC;
}

static double per_second(uint64_t n, uint64_t ns)
{
	return ns ? (double)n / seconds(ns) : 0.0;
}

/* Progress goes where it does not spoil the JSON report. */
static FILE *progress_stream(const struct load_options *o)
{
	return o->json ? stderr : stdout;
}

void progress_start(const struct load_options *o, struct load_result *r)
{
	if (!o->interval_report_s)
		return;
	r->last_progress_ns = r->start_ns;
	r->next_progress_ns = r->start_ns + r->progress_period_ns;
}

uint64_t progress_due(const struct load_result *r)
{
	return r->next_progress_ns;
}

void progress_tick(const struct load_options *o, struct load_result *r,
		   uint64_t now)
{
	uint64_t errors, span;
	const struct histogram *h = &r->interval_latency;

	if (now < r->next_progress_ns)
		return;
	errors = result_error_total(r);
	span = now - r->last_progress_ns;
	fprintf(progress_stream(o),
		"progress %7.2f s: sent %llu (%.1f/s) completed %llu "
		"(%.1f/s) errors %llu  p50 %.3f p99 %.3f max %.3f ms\n",
		seconds(now - r->start_ns),
		(unsigned long long)(r->sent - r->last_sent),
		per_second(r->sent - r->last_sent, span),
		(unsigned long long)(r->completed - r->last_completed),
		per_second(r->completed - r->last_completed, span),
		(unsigned long long)(errors - r->last_errors),
		ms(hist_percentile(h, 50)), ms(hist_percentile(h, 99)),
		ms(h->max));
	fflush(progress_stream(o));
	r->last_sent = r->sent;
	r->last_completed = r->completed;
	r->last_errors = errors;
	r->last_progress_ns = now;
	hist_reset(&r->interval_latency);
	while (r->next_progress_ns <= now)
		r->next_progress_ns += r->progress_period_ns;
}

/* Past this, latency figures include the tool's own delay: the run asked
 * more than one core of this tool can send. */
#define BEHIND_P99_NS (1 * NS_PER_MS)

static bool tool_behind(const struct load_result *r)
{
	return hist_percentile(&r->send_lag, 99) > BEHIND_P99_NS;
}

static const char *arrival_name(const struct load_options *o)
{
	return o->arrival == ARRIVAL_POISSON ? "poisson" : "constant";
}

static void text_histogram(FILE *out, const char *label,
			   const struct histogram *h)
{
	fprintf(out, "%s", label);
	if (!h->total) {
		fprintf(out, " none\n");
		return;
	}
	for (int i = 0; i < PERCENTILES; i++)
		fprintf(out, " %s %.3f", percentile_keys[i],
			ms(hist_percentile(h, percentiles[i])));
	fprintf(out, " max %.3f mean %.3f (n=%llu)\n", ms(h->max),
		hist_mean(h) / NS_PER_MS, (unsigned long long)h->total);
}

static void text_names(FILE *out, const struct name_counts *names,
		       uint64_t total)
{
	for (size_t i = 0; i < names->n; i++)
		fprintf(out, "  %-24s %10llu  %5.1f%%\n", names->v[i].name,
			(unsigned long long)names->v[i].count,
			total ? 100.0 * names->v[i].count / total : 0.0);
}

/* Flows answered by one backend, by several, and by none. */
static void count_flows(const struct load_result *r, size_t *sticky,
			size_t *multi, size_t *silent)
{
	*sticky = *multi = *silent = 0;
	for (size_t i = 0; i < r->flow_count; i++) {
		*sticky += r->flows[i].backends.n == 1;
		*multi += r->flows[i].backends.n > 1;
		*silent += r->flows[i].backends.n == 0;
	}
}

static void text_flows(FILE *out, const struct load_result *r)
{
	size_t sticky, multi, silent;

	count_flows(r, &sticky, &multi, &silent);
	fprintf(out,
		"flows: %zu  one backend: %zu  several backends: %zu  "
		"unanswered: %zu\n",
		r->flow_count, sticky, multi, silent);
	for (size_t i = 0; i < r->flow_count; i++) {
		const struct flow_result *f = &r->flows[i];

		fprintf(out,
			"  flow %-4zu port %-5u sent %-7llu answered %-7llu", i,
			f->local_port, (unsigned long long)f->sent,
			(unsigned long long)f->answered);
		for (size_t b = 0; b < f->backends.n; b++)
			fprintf(out, " %s=%llu", f->backends.v[b].name,
				(unsigned long long)f->backends.v[b].count);
		fprintf(out, "\n");
	}
}

static uint64_t max_gap(const struct load_result *r, size_t *over,
			const struct load_options *o, size_t *not_ok)
{
	uint64_t gap = 0;

	*over = 0;
	*not_ok = 0;
	for (size_t i = 0; i < r->conn_count; i++) {
		const struct conn_result *c = &r->conns[i];

		if (c->max_gap_ns > gap)
			gap = c->max_gap_ns;
		*over += c->max_gap_ns > o->max_gap_ms * NS_PER_MS;
		*not_ok += strcmp(c->end, "ok") != 0;
	}
	return gap;
}

static void text_conns(FILE *out, const struct load_options *o,
		       const struct load_result *r)
{
	size_t over, not_ok;
	uint64_t gap = max_gap(r, &over, o, &not_ok);

	fprintf(out,
		"connections: %zu  not ok: %zu  max gap %.3f ms  gaps over "
		"%u ms: %zu\n",
		r->conn_count, not_ok, ms(gap), o->max_gap_ms, over);
	for (size_t i = 0; i < r->conn_count; i++) {
		const struct conn_result *c = &r->conns[i];

		fprintf(out,
			"  conn %-4zu port %-5u backend %-16s sent %-6llu "
			"echoed %-6llu max_gap %8.3f ms  retrans %-3u %s\n",
			i, c->local_port, c->backend[0] ? c->backend : "-",
			(unsigned long long)c->sent,
			(unsigned long long)c->echoed, ms(c->max_gap_ns),
			c->retransmits, c->end);
	}
}

void report_text(FILE *out, const struct load_options *o,
		 const struct load_result *r)
{
	uint64_t elapsed = r->end_ns - r->start_ns;

	fprintf(out, "mode %s  target %s", load_mode_name(o->mode), o->target);
	if (o->mode == MODE_STREAM)
		fprintf(out, "  connections %u  interval %u ms\n",
			o->connections, o->interval_ms);
	else
		fprintf(out, "  rate %g/s %s%s\n", o->rate, arrival_name(o),
			o->mode == MODE_HTTP ? (o->new_conn ? "  new "
							      "connection per "
							      "request"
							    : "  keep-alive")
					     : "");
	fprintf(out,
		"scheduled %llu  sent %llu  completed %llu  ok %llu  in "
		"%.3f s%s\n",
		(unsigned long long)r->scheduled, (unsigned long long)r->sent,
		(unsigned long long)r->completed, (unsigned long long)r->ok,
		seconds(elapsed), r->interrupted ? "  (interrupted)" : "");
	fprintf(out, "achieved %.1f sent/s  %.1f completed/s\n",
		per_second(r->sent, r->window_ns),
		per_second(r->completed, elapsed));
	fprintf(out, "errors %llu:", (unsigned long long)result_error_total(r));
	for (int k = 0; k < ERR_KINDS; k++)
		fprintf(out, " %s %llu", error_kind_name(k),
			(unsigned long long)r->errors[k]);
	fprintf(out, "\n");
	if (r->late)
		fprintf(out, "  late answers (after their timeout): %llu\n",
			(unsigned long long)r->late);
	for (size_t i = 0; i < r->other_detail.n; i++)
		fprintf(out, "  other: %s x%llu\n", r->other_detail.v[i].name,
			(unsigned long long)r->other_detail.v[i].count);
	text_histogram(out, "latency ms (from intended send):", &r->latency);
	text_histogram(out,
		       "send lag ms (tool behind schedule):", &r->send_lag);
	if (tool_behind(r))
		fprintf(out, "warning: this tool fell behind its schedule "
			     "(send lag "
			     "p99 over 1 ms): lower --rate or split the "
			     "load\n");
	/* Stream mode counts connections per backend, the others answers. */
	fprintf(out, "backends:\n");
	text_names(out, &r->backends,
		   o->mode == MODE_STREAM ? r->conn_count : r->completed);
	if (o->mode == MODE_UDP)
		text_flows(out, r);
	if (o->mode == MODE_STREAM)
		text_conns(out, o, r);
}

static struct json_object *json_histogram(const struct histogram *h)
{
	struct json_object *j = json_object_new_object();

	json_object_object_add(j, "count", json_object_new_uint64(h->total));
	json_object_object_add(
		j, "min", json_object_new_double(h->total ? ms(h->min) : 0));
	json_object_object_add(
		j, "mean", json_object_new_double(hist_mean(h) / NS_PER_MS));
	for (int i = 0; i < PERCENTILES; i++)
		json_object_object_add(
			j, percentile_keys[i],
			json_object_new_double(
				ms(hist_percentile(h, percentiles[i]))));
	json_object_object_add(j, "max", json_object_new_double(ms(h->max)));
	return j;
}

static struct json_object *json_names(const struct name_counts *names)
{
	struct json_object *j = json_object_new_object();

	for (size_t i = 0; i < names->n; i++)
		json_object_object_add(
			j, names->v[i].name,
			json_object_new_uint64(names->v[i].count));
	return j;
}

static void json_flows(struct json_object *root, const struct load_result *r)
{
	struct json_object *flows = json_object_new_array();
	size_t sticky, multi, silent;

	count_flows(r, &sticky, &multi, &silent);
	for (size_t i = 0; i < r->flow_count; i++) {
		const struct flow_result *f = &r->flows[i];
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "flow", json_object_new_uint64(i));
		json_object_object_add(j, "local_port",
				       json_object_new_int(f->local_port));
		json_object_object_add(j, "sent",
				       json_object_new_uint64(f->sent));
		json_object_object_add(j, "answered",
				       json_object_new_uint64(f->answered));
		json_object_object_add(j, "backends", json_names(&f->backends));
		json_object_array_add(flows, j);
	}
	json_object_object_add(root, "flows", flows);
	json_object_object_add(root, "flows_one_backend",
			       json_object_new_uint64(sticky));
	json_object_object_add(root, "flows_several_backends",
			       json_object_new_uint64(multi));
	json_object_object_add(root, "flows_unanswered",
			       json_object_new_uint64(silent));
}

static void json_conns(struct json_object *root, const struct load_options *o,
		       const struct load_result *r)
{
	struct json_object *conns = json_object_new_array();
	struct name_counts ends = { 0 };
	size_t over, not_ok;
	uint64_t gap = max_gap(r, &over, o, &not_ok);

	for (size_t i = 0; i < r->conn_count; i++) {
		const struct conn_result *c = &r->conns[i];
		struct json_object *j = json_object_new_object();

		names_add(&ends, c->end, strlen(c->end), 1);
		json_object_object_add(j, "conn", json_object_new_uint64(i));
		json_object_object_add(j, "local_port",
				       json_object_new_int(c->local_port));
		json_object_object_add(j, "backend",
				       json_object_new_string(c->backend));
		json_object_object_add(j, "sent",
				       json_object_new_uint64(c->sent));
		json_object_object_add(j, "echoed",
				       json_object_new_uint64(c->echoed));
		json_object_object_add(
			j, "max_gap_ms",
			json_object_new_double(ms(c->max_gap_ns)));
		json_object_object_add(j, "retransmits",
				       json_object_new_uint64(c->retransmits));
		json_object_object_add(j, "end",
				       json_object_new_string(c->end));
		json_object_array_add(conns, j);
	}
	json_object_object_add(root, "connections", conns);
	json_object_object_add(root, "connection_ends", json_names(&ends));
	names_free(&ends);
	json_object_object_add(root, "connections_not_ok",
			       json_object_new_uint64(not_ok));
	json_object_object_add(root, "max_gap_ms",
			       json_object_new_double(ms(gap)));
	json_object_object_add(root, "max_gap_threshold_ms",
			       json_object_new_uint64(o->max_gap_ms));
	json_object_object_add(root, "gaps_over_threshold",
			       json_object_new_uint64(over));
}

int report_json(FILE *out, const struct load_options *o,
		const struct load_result *r)
{
	struct json_object *root = json_object_new_object();
	struct json_object *errors = json_object_new_object();
	uint64_t elapsed = r->end_ns - r->start_ns;
	int ret;

	/* Nanosecond figures in ms need no 17 digits. */
	json_c_set_serialization_double_format("%.10g", JSON_C_OPTION_GLOBAL);

	json_object_object_add(root, "mode",
			       json_object_new_string(load_mode_name(o->mode)));
	json_object_object_add(root, "target",
			       json_object_new_string(o->target));
	if (o->mode != MODE_STREAM) {
		json_object_object_add(root, "rate",
				       json_object_new_double(o->rate));
		json_object_object_add(root, "arrival",
				       json_object_new_string(arrival_name(o)));
	}
	if (o->mode == MODE_HTTP)
		json_object_object_add(root, "new_conn",
				       json_object_new_boolean(o->new_conn));
	json_object_object_add(root, "interrupted",
			       json_object_new_boolean(r->interrupted));
	json_object_object_add(root, "elapsed_s",
			       json_object_new_double(seconds(elapsed)));
	json_object_object_add(root, "window_s",
			       json_object_new_double(seconds(r->window_ns)));
	json_object_object_add(root, "scheduled",
			       json_object_new_uint64(r->scheduled));
	json_object_object_add(root, "sent", json_object_new_uint64(r->sent));
	json_object_object_add(root, "completed",
			       json_object_new_uint64(r->completed));
	json_object_object_add(root, "ok", json_object_new_uint64(r->ok));
	json_object_object_add(
		root, "achieved_rps",
		json_object_new_double(per_second(r->sent, r->window_ns)));
	json_object_object_add(
		root, "completed_rps",
		json_object_new_double(per_second(r->completed, elapsed)));
	json_object_object_add(errors, "total",
			       json_object_new_uint64(result_error_total(r)));
	for (int k = 0; k < ERR_KINDS; k++)
		json_object_object_add(errors, error_kind_name(k),
				       json_object_new_uint64(r->errors[k]));
	json_object_object_add(root, "errors", errors);
	json_object_object_add(root, "late_answers",
			       json_object_new_uint64(r->late));
	json_object_object_add(root, "other_detail",
			       json_names(&r->other_detail));
	json_object_object_add(root, "latency_ms", json_histogram(&r->latency));
	json_object_object_add(root, "send_lag_ms",
			       json_histogram(&r->send_lag));
	json_object_object_add(root, "tool_behind_schedule",
			       json_object_new_boolean(tool_behind(r)));
	json_object_object_add(root, "backends", json_names(&r->backends));
	if (o->mode == MODE_UDP)
		json_flows(root, r);
	if (o->mode == MODE_STREAM)
		json_conns(root, o, r);
	ret = fprintf(out, "%s\n",
		      json_object_to_json_string_ext(
			      root, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return ret < 0 ? -1 : 0;
}
