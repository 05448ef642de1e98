// SPDX-License-Identifier: GPL-2.0
/*
 * The status page (status_page.h). One model per request, built with
 * json-c from what the last tick collected and decided, plus the decision
 * log's tail; /status.json is that model, the HTML page is rendered from it
 * with every string HTML-escaped. No external assets, no forms, no script:
 * the page reloads itself (meta refresh).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "xlbd.h"
#include "status_page.h"

#define REFRESH_S 2
#define TAIL_BYTES (64 * 1024)
#define HIST_VIPS 64

/* ------------------------------------------------- forecast history */

static struct {
	char key[XLB_VIP_STRLEN];
	double demand[XLBD_STATUS_HISTORY], forecast[XLBD_STATUS_HISTORY];
	unsigned int n, head; /* head: the next slot to write */
	uint64_t tick;	      /* the last tick written */
} hist[HIST_VIPS];

static int hist_find(const char *key, bool create)
{
	int free_slot = -1;

	for (int i = 0; i < HIST_VIPS; i++) {
		if (!strcmp(hist[i].key, key))
			return i;
		if (!hist[i].key[0] && free_slot < 0)
			free_slot = i;
	}
	if (!create || free_slot < 0)
		return -1;
	snprintf(hist[free_slot].key, sizeof(hist[free_slot].key), "%s", key);
	hist[free_slot].n = hist[free_slot].head = 0;
	return free_slot;
}

void xlbd_status_tick(const struct xlbd *d)
{
	for (size_t i = 0; i < d->n_vips; i++) {
		const struct xlbd_vip *v = &d->vips[i];
		int h = hist_find(v->key, true);

		if (h < 0)
			continue;
		hist[h].demand[hist[h].head] = v->demand_per_s;
		hist[h].forecast[hist[h].head] =
			v->have_out ? v->out.forecast_per_s : NAN;
		hist[h].head = (hist[h].head + 1) % XLBD_STATUS_HISTORY;
		if (hist[h].n < XLBD_STATUS_HISTORY)
			hist[h].n++;
		hist[h].tick = d->ticks;
	}
	/* VIPs gone from the maps free their slot. */
	for (int h = 0; h < HIST_VIPS; h++)
		if (hist[h].key[0] && hist[h].tick != d->ticks)
			hist[h].key[0] = 0;
}

/* ------------------------------------------------------------- model */

static json_object *num(double x)
{
	return isfinite(x) ? json_object_new_double(x) : NULL;
}

static void add(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

/* The decision log's last lines, oldest first (a torn last line skipped). */
static json_object *decisions_tail(const struct xlbd *d)
{
	json_object *all = json_object_new_array();
	char path[4096], *buf;
	size_t n, start = 0;
	long size;
	FILE *f;

	snprintf(path, sizeof(path), "%s/decisions.jsonl", d->opt.state_dir);
	f = fopen(path, "r");
	if (!f)
		return all;
	buf = malloc(TAIL_BYTES + 1);
	if (!buf || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
	    fseek(f, size > TAIL_BYTES ? size - TAIL_BYTES : 0, SEEK_SET)) {
		free(buf);
		fclose(f);
		return all;
	}
	n = fread(buf, 1, TAIL_BYTES, f);
	fclose(f);
	buf[n] = 0;
	/* Started mid-file: the first (partial) line is not ours. */
	if (size > TAIL_BYTES) {
		char *nl = memchr(buf, '\n', n);

		start = nl ? (size_t)(nl - buf) + 1 : n;
	}
	for (char *line = buf + start, *end; *line; line = end + 1) {
		json_object *o;

		end = strchr(line, '\n');
		if (!end)
			break; /* being written */
		*end = 0;
		o = json_tokener_parse(line);
		if (o && json_object_is_type(o, json_type_object))
			json_object_array_add(all, o);
		else
			json_object_put(o);
	}
	free(buf);
	return all;
}

/* The newest XLBD_STATUS_DECISIONS of them, oldest first. */
static json_object *decisions_last(json_object *all)
{
	size_t count = json_object_array_length(all);
	json_object *out = json_object_new_array();

	for (size_t i = count > XLBD_STATUS_DECISIONS
				? count - XLBD_STATUS_DECISIONS
				: 0;
	     i < count; i++)
		json_object_array_add(
			out,
			json_object_get(json_object_array_get_idx(all, i)));
	return out;
}

static const char *str_of(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !v)
		return "";
	return json_object_get_string(v);
}

/* The features of the pair's newest decision that named some, or NULL. */
static json_object *top_features(json_object *decisions,
				 const struct xlbd_pair *p)
{
	for (size_t i = json_object_array_length(decisions); i-- > 0;) {
		json_object *o = json_object_array_get_idx(decisions, i), *f;

		if (strcmp(str_of(o, "vip"), p->vip_text) ||
		    strcmp(str_of(o, "backend"), p->addr_text))
			continue;
		if (json_object_object_get_ex(o, "features", &f) &&
		    json_object_array_length(f) > 0)
			return json_object_get(f);
	}
	return NULL;
}

static json_object *pair_model(const struct xlbd *d, const struct xlbd_pair *p,
			       json_object *decisions, double now)
{
	const struct xlb_pair_info *pi = &p->info;
	json_object *o = json_object_new_object();

	add(o, "address", json_object_new_string(p->addr_text));
	add(o, "id", json_object_new_int64(pi->id));
	add(o, "weight", json_object_new_int64(pi->weight));
	add(o, "state", json_object_new_string(xlb_state_name(pi->state)));
	add(o, "base_weight", json_object_new_int64(pi->base_weight));
	add(o, "op_state",
	    json_object_new_string(xlb_op_state_name(pi->op_state)));
	add(o, "health", json_object_new_string(xlb_health_name(pi->health)));
	add(o, "factor",
	    json_object_new_double((double)pi->factor / XLB_FACTOR_ONE));
	add(o, "reason", json_object_new_int64(pi->reason));
	add(o, "reason_rule",
	    json_object_new_string(pi->reason && pi->reason < XLB_RULE_N
					   ? xlb_brain_rule_name(pi->reason)
					   : ""));
	add(o, "packets_per_s", num(p->obs.packets_per_s));
	add(o, "bytes_per_s", num(p->obs.bytes_per_s));
	add(o, "new_flows_per_s", num(p->obs.new_flows_per_s));
	add(o, "probe_latency_s", num(p->probe.last_latency_s));
	add(o, "probes_ok", json_object_new_int64((int64_t)p->probe.total_ok));
	add(o, "probes_failed",
	    json_object_new_int64((int64_t)p->probe.total_failed));
	add(o, "probe_error", json_object_new_string(p->probe.last_error));
	add(o, "scrape_age_s",
	    num(p->scrape.last_good > 0 ? now - p->scrape.last_good : NAN));
	add(o, "cpu_util", num(p->obs.cpu_util));
	add(o, "service_latency_s", num(p->obs.service_latency_s));
	add(o, "service_latency_last_s", num(p->obs.service_latency_last_s));
	add(o, "anomaly_score", num(p->have_out ? p->out.anomaly_score : NAN));
	add(o, "predicted_util",
	    num(p->have_out ? p->out.predicted_util : NAN));
	add(o, "cost_per_request",
	    num(p->have_out ? p->out.cost_per_request : NAN));
	add(o, "slow_start",
	    json_object_new_boolean(p->have_out && p->out.in_slow_start));
	add(o, "top_features", top_features(decisions, p));
	(void)d;
	return o;
}

static json_object *vip_model(const struct xlbd *d, size_t i,
			      json_object *decisions, double now)
{
	const struct xlbd_vip *v = &d->vips[i];
	json_object *o = json_object_new_object(), *bes, *h;
	int k = hist_find(v->key, false);

	add(o, "vip", json_object_new_string(v->key));
	add(o, "demand_per_s", num(v->demand_per_s));
	add(o, "forecast_per_s",
	    num(v->have_out ? v->out.forecast_per_s : NAN));
	add(o, "forecast_error",
	    num(v->have_out ? v->out.forecast_error : NAN));
	add(o, "forecast_model",
	    json_object_new_string(v->have_out && v->out.forecast_model
					   ? v->out.forecast_model
					   : ""));
	add(o, "predicted_util",
	    num(v->have_out ? v->out.predicted_util : NAN));
	add(o, "active",
	    json_object_new_int(v->have_out ? (int)v->out.active : 0));
	add(o, "desired",
	    json_object_new_int(v->have_out ? (int)v->out.desired : 0));
	add(o, "panic", json_object_new_boolean(v->have_out && v->out.panic));
	/* [demand, forecast] per tick, oldest first */
	h = json_object_new_array();
	for (unsigned int j = 0; k >= 0 && j < hist[k].n; j++) {
		unsigned int s =
			(hist[k].head + XLBD_STATUS_HISTORY - hist[k].n + j) %
			XLBD_STATUS_HISTORY;
		json_object *pt = json_object_new_array();

		json_object_array_add(pt, num(hist[k].demand[s]));
		json_object_array_add(pt, num(hist[k].forecast[s]));
		json_object_array_add(h, pt);
	}
	add(o, "history", h);
	bes = json_object_new_array();
	for (size_t j = 0; j < d->n_pairs; j++)
		if (d->pairs[j]->vip == i)
			json_object_array_add(bes, pair_model(d, d->pairs[j],
							      decisions, now));
	add(o, "backends", bes);
	return o;
}

static json_object *model(const struct xlbd *d)
{
	json_object *o = json_object_new_object(), *vips, *all;
	double now = xlbd_now();

	all = decisions_tail(d);
	add(o, "time", json_object_new_double(xlbd_wall()));
	add(o, "uptime_s", json_object_new_double(now - d->start_mono));
	add(o, "ticks", json_object_new_int64((int64_t)d->ticks));
	add(o, "tick_s", json_object_new_double(d->cfg.brain.tick_s));
	add(o, "last_tick_s", json_object_new_double(d->tick_s));
	add(o, "dry_run", json_object_new_boolean(d->cfg.brain.dry_run));
	add(o, "pin_dir", json_object_new_string(d->opt.pin_dir));
	vips = json_object_new_array();
	for (size_t i = 0; i < d->n_vips; i++)
		json_object_array_add(vips, vip_model(d, i, all, now));
	add(o, "vips", vips);
	add(o, "decisions", decisions_last(all));
	json_object_put(all);
	return o;
}

char *xlbd_status_json(const struct xlbd *d, size_t *len)
{
	json_object *m = model(d);
	char *text = strdup(json_object_to_json_string_ext(
		m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(m);
	if (text)
		*len = strlen(text);
	return text;
}

/* ------------------------------------------------------------- HTML */

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, k, &v);
	return v;
}

/* A number cell's text: fmt with x * scale, or "-" when unknown. */
static void fnum(FILE *f, json_object *v, const char *fmt, double scale)
{
	if (!v || !(json_object_is_type(v, json_type_double) ||
		    json_object_is_type(v, json_type_int)))
		fputs("-", f);
	else
		fprintf(f, fmt, json_object_get_double(v) * scale);
}

static void td_num(FILE *f, json_object *o, const char *k, const char *fmt,
		   double scale)
{
	fprintf(f, "<td class=\"n\" data-k=\"%s\">", k);
	fnum(f, get(o, k), fmt, scale);
	fputs("</td>", f);
}

static void td_str(FILE *f, json_object *o, const char *k)
{
	fprintf(f, "<td data-k=\"%s\">", k);
	esc(f, str_of(o, k));
	fputs("</td>", f);
}

static const char *row_class(json_object *be)
{
	const char *op = str_of(be, "op_state"), *h = str_of(be, "health");

	if (!strcmp(op, "down") || !strcmp(h, "down"))
		return "down";
	if (!strcmp(op, "draining") || !strcmp(h, "draining"))
		return "drain";
	if (!strcmp(op, "standby"))
		return "standby";
	if (json_object_get_boolean(get(be, "slow_start")))
		return "slow";
	return "up";
}

static void features(FILE *f, json_object *top)
{
	for (size_t i = 0; top && i < json_object_array_length(top); i++) {
		json_object *t = json_object_array_get_idx(top, i);

		if (i)
			fputs("<br>", f);
		esc(f, str_of(t, "name"));
		fputs(" ", f);
		fnum(f, get(t, "value"), "%.3g", 1);
		fputs(" <span class=\"dim\">(fleet ", f);
		fnum(f, get(t, "fleet_median"), "%.3g", 1);
		fputs(", own ", f);
		fnum(f, get(t, "own_mean"), "%.3g", 1);
		fputs(")</span>", f);
	}
}

/* Inline SVG: actual demand (solid) and the forecast (dashed). */
static void sparkline(FILE *f, json_object *h)
{
	size_t n = json_object_array_length(h);
	double max = 1;
	const int w = 360, ht = 60;

	if (n < 2) {
		fputs("<span class=\"dim\">(collecting)</span>", f);
		return;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t c = 0; c < 2; c++) {
			json_object *v = json_object_array_get_idx(
				json_object_array_get_idx(h, i), c);

			if (v && json_object_get_double(v) > max)
				max = json_object_get_double(v);
		}
	fprintf(f,
		"<svg class=\"spark\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" "
		"aria-label=\"demand and forecast\">",
		w, ht, w, ht);
	for (size_t c = 0; c < 2; c++) {
		fprintf(f,
			"<polyline fill=\"none\" stroke=\"%s\" "
			"stroke-width=\"1.5\"%s points=\"",
			c ? "#d9822b" : "#2b6cd9",
			c ? " stroke-dasharray=\"4 3\"" : "");
		for (size_t i = 0; i < n; i++) {
			json_object *v = json_object_array_get_idx(
				json_object_array_get_idx(h, i), c);

			if (!v)
				continue;
			fprintf(f, "%.1f,%.1f ",
				(double)i * (w - 2) / (n - 1) + 1,
				ht - 2 -
					json_object_get_double(v) / max *
						(ht - 4));
		}
		fputs("\"/>", f);
	}
	fprintf(f, "<text x=\"2\" y=\"10\" class=\"ax\">%.0f/s</text></svg>",
		max);
}

static void fmt_time(FILE *f, double t)
{
	time_t s = (time_t)t;
	struct tm tm;
	char buf[32];

	gmtime_r(&s, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(f, "%s.%03dZ", buf, (int)((t - floor(t)) * 1e3));
}

static const char css[] =
	"body{font:13px/1.35 sans-serif;margin:12px;color:#222;"
	"background:#fafafa}"
	"h1{font-size:18px;margin:0 0 4px}h2{font-size:15px;margin:16px 0 4px}"
	"table{border-collapse:collapse;margin:4px 0 8px}"
	"th,td{border:1px solid #bbb;padding:2px 6px;vertical-align:top}"
	"th{background:#dde3ea;text-align:left;font-weight:600}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"tr.up td{background:#e3f6e3}tr.down td{background:#f8d4d4}"
	"tr.drain td{background:#fbe7c6}tr.standby td{background:#dfe6f5}"
	"tr.slow td{background:#eef8c8}"
	".dim{color:#777}.ax{font-size:9px;fill:#777}"
	".spark{background:#fff;border:1px solid #ccc;vertical-align:middle}"
	".legend span{display:inline-block;padding:0 6px;margin-right:4px;"
	"border:1px solid #bbb}";

static void html_vip(FILE *f, json_object *v)
{
	json_object *bes = get(v, "backends");

	fputs("<h2 class=\"vip\" data-vip=\"", f);
	esc(f, str_of(v, "vip"));
	fputs("\">VIP ", f);
	esc(f, str_of(v, "vip"));
	fputs("</h2>\n<table class=\"vipsum\"><tr><th>demand (actual)</th>"
	      "<th>forecast</th><th>forecast MAE</th><th>model</th>"
	      "<th>predicted util</th><th>active / desired</th><th>panic</th>"
	      "<th>demand <span style=\"color:#2b6cd9\">&#9473; actual</span> "
	      "<span style=\"color:#d9822b\">&#9476; forecast</span>, last "
	      "ticks</th></tr><tr>",
	      f);
	td_num(f, v, "demand_per_s", "%.1f/s", 1);
	td_num(f, v, "forecast_per_s", "%.1f/s", 1);
	td_num(f, v, "forecast_error", "%.2f", 1);
	td_str(f, v, "forecast_model");
	td_num(f, v, "predicted_util", "%.0f%%", 100);
	fprintf(f, "<td class=\"n\">%d / %d</td><td>%s</td><td>",
		json_object_get_int(get(v, "active")),
		json_object_get_int(get(v, "desired")),
		json_object_get_boolean(get(v, "panic")) ? "PANIC" : "no");
	sparkline(f, get(v, "history"));
	fputs("</td></tr></table>\n", f);

	fputs("<table class=\"backends\"><tr><th>backend</th><th>id</th>"
	      "<th>operator</th><th>health</th><th>data plane</th>"
	      "<th>base wt</th><th>eff wt</th><th>factor</th>"
	      "<th>pkts/s</th><th>bytes/s</th><th>new flows/s</th>"
	      "<th>probe ms</th><th>probes ok / failed</th>"
	      "<th>agent age s</th><th>cpu</th><th>anomaly</th>"
	      "<th>top features</th><th>pred util</th><th>cost/req</th>"
	      "<th>last rule</th></tr>\n",
	      f);
	for (size_t i = 0; bes && i < json_object_array_length(bes); i++) {
		json_object *b = json_object_array_get_idx(bes, i);

		fprintf(f, "<tr class=\"be %s\" data-vip=\"", row_class(b));
		esc(f, str_of(v, "vip"));
		fputs("\" data-backend=\"", f);
		esc(f, str_of(b, "address"));
		fprintf(f,
			"\" data-base-weight=\"%lld\" data-weight=\"%lld\" "
			"data-factor=\"%.3f\" data-op-state=\"",
			(long long)json_object_get_int64(get(b, "base_weight")),
			(long long)json_object_get_int64(get(b, "weight")),
			json_object_get_double(get(b, "factor")));
		esc(f, str_of(b, "op_state"));
		fputs("\" data-health=\"", f);
		esc(f, str_of(b, "health"));
		fputs("\">", f);
		td_str(f, b, "address");
		td_num(f, b, "id", "%.0f", 1);
		td_str(f, b, "op_state");
		fputs("<td data-k=\"health\">", f);
		esc(f, str_of(b, "health"));
		if (json_object_get_boolean(get(b, "slow_start")))
			fputs(" <span class=\"dim\">(slow start)</span>", f);
		fputs("</td>", f);
		td_str(f, b, "state");
		td_num(f, b, "base_weight", "%.0f", 1);
		td_num(f, b, "weight", "%.0f", 1);
		td_num(f, b, "factor", "%.3f", 1);
		td_num(f, b, "packets_per_s", "%.0f", 1);
		td_num(f, b, "bytes_per_s", "%.0f", 1);
		td_num(f, b, "new_flows_per_s", "%.1f", 1);
		td_num(f, b, "probe_latency_s", "%.2f", 1e3);
		fprintf(f, "<td class=\"n\">%lld / %lld",
			(long long)json_object_get_int64(get(b, "probes_ok")),
			(long long)json_object_get_int64(get(b, "probes_"
								"failed")));
		if (*str_of(b, "probe_error")) {
			fputs("<br><span class=\"dim\">", f);
			esc(f, str_of(b, "probe_error"));
			fputs("</span>", f);
		}
		fputs("</td>", f);
		td_num(f, b, "scrape_age_s", "%.1f", 1);
		td_num(f, b, "cpu_util", "%.0f%%", 100);
		td_num(f, b, "anomaly_score", "%.3f", 1);
		fputs("<td data-k=\"top_features\">", f);
		features(f, get(b, "top_features"));
		fputs("</td>", f);
		td_num(f, b, "predicted_util", "%.0f%%", 100);
		td_num(f, b, "cost_per_request", "%.3g", 1);
		td_str(f, b, "reason_rule");
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void html_decisions(FILE *f, json_object *dec)
{
	size_t n = json_object_array_length(dec);

	fprintf(f, "<h2>Last decisions</h2>\n<table class=\"decisions\"><tr>"
		   "<th>time "
		   "(UTC)</th><th>VIP</th><th>backend</th><th>rule</th>"
		   "<th>factor</th><th>health</th><th>anomaly</th><th>reason</"
		   "th>"
		   "<th>applied</th></tr>\n");
	if (!n)
		fputs("<tr><td colspan=\"9\" class=\"dim\">none "
		      "yet</td></tr>\n",
		      f);
	for (size_t i = n; i-- > 0;) {
		json_object *o = json_object_array_get_idx(dec, i);

		fputs("<tr class=\"decision\"><td>", f);
		fmt_time(f, json_object_get_double(get(o, "time")));
		fputs("</td>", f);
		td_str(f, o, "vip");
		td_str(f, o, "backend");
		td_str(f, o, "rule");
		fputs("<td class=\"n\">", f);
		fnum(f, get(o, "old_factor"), "%.3f", 1);
		fputs(" &rarr; ", f);
		fnum(f, get(o, "new_factor"), "%.3f", 1);
		fputs("</td><td>", f);
		esc(f, str_of(o, "old_health"));
		fputs(" &rarr; ", f);
		esc(f, str_of(o, "new_health"));
		fputs("</td>", f);
		td_num(f, o, "anomaly_score", "%.3f", 1);
		td_str(f, o, "reason");
		fprintf(f, "<td>%s%s</td></tr>\n",
			json_object_get_boolean(get(o, "applied")) ? "yes"
								   : "no",
			json_object_get_boolean(get(o, "dry_run")) ? " (dry "
								     "run)"
								   : "");
	}
	fputs("</table>\n", f);
}

char *xlbd_status_html(const struct xlbd *d, size_t *len)
{
	json_object *m = model(d), *vips = get(m, "vips");
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f) {
		json_object_put(m);
		return NULL;
	}
	fprintf(f,
		"<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
		"charset=\"utf-8\">\n<meta http-equiv=\"refresh\" "
		"content=\"%d\">\n<title>xlbd status</title>\n<style>%s"
		"</style></head>\n<body>\n<h1>xlbd status</h1>\n<p>",
		REFRESH_S, css);
	fmt_time(f, json_object_get_double(get(m, "time")));
	fprintf(f,
		" &middot; up %.0f s &middot; tick %lld (%.1f s, last took "
		"%.1f ms)%s &middot; pins ",
		json_object_get_double(get(m, "uptime_s")),
		(long long)json_object_get_int64(get(m, "ticks")),
		json_object_get_double(get(m, "tick_s")),
		json_object_get_double(get(m, "last_tick_s")) * 1e3,
		json_object_get_boolean(get(m, "dry_run")) ? " &middot; DRY RUN"
							   : "");
	esc(f, str_of(m, "pin_dir"));
	fprintf(f,
		" &middot; refreshes every %d s &middot; <a "
		"href=\"/status.json\">JSON</a> &middot; <a "
		"href=\"/metrics\">metrics</a></p>\n<p class=\"legend\">"
		"<span class=\"up\" style=\"background:#e3f6e3\">up</span>"
		"<span style=\"background:#eef8c8\">slow start</span>"
		"<span style=\"background:#fbe7c6\">draining</span>"
		"<span style=\"background:#dfe6f5\">standby</span>"
		"<span style=\"background:#f8d4d4\">down</span></p>\n",
		REFRESH_S);
	if (!json_object_array_length(vips))
		fputs("<p class=\"dim\">No VIPs in the maps.</p>\n", f);
	for (size_t i = 0; i < json_object_array_length(vips); i++)
		html_vip(f, json_object_array_get_idx(vips, i));
	html_decisions(f, get(m, "decisions"));
	fputs("</body></html>\n", f);
	fclose(f);
	json_object_put(m);
	return text;
}
