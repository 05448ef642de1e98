// SPDX-License-Identifier: GPL-2.0
/* Rendering a stats report: one table of VIPs and their backends, then the
 * global counters; or the same numbers as JSON. */
#include <string.h>
#include <time.h>

#include "output.h"
#include "stats_view.h"

#define NUM 16

static void rate_cells(struct table *t, const struct stats_rates *rate,
		       bool rates, bool dropped)
{
	char a[NUM], b[NUM], c[NUM], d[NUM];

	if (!rates) {
		table_cell(t, "-");
		table_cell(t, "-");
		table_cell(t, "-");
		table_cell(t, "%s", dropped ? "-" : "");
		return;
	}
	table_cell(t, "%s", format_si(rate->packets, a, NUM));
	table_cell(t, "%s", format_si(rate->bits, b, NUM));
	table_cell(t, "%s", format_si(rate->new_flows, c, NUM));
	table_cell(t, "%s", dropped ? format_si(rate->dropped, d, NUM) : "");
}

static double active_weight(const struct stats_vip *v)
{
	double sum = 0;

	for (size_t i = 0; i < v->n_pairs; i++)
		if (v->pairs[i].info->state == XLB_STATE_ACTIVE)
			sum += v->pairs[i].info->weight;
	return sum;
}

/* xlbd's /status.json: the VIP's object, and a backend's in it. */
static json_object *xlbd_find(json_object *list, const char *key,
			      const char *value)
{
	json_object *v;

	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *o = json_object_array_get_idx(list, i);

		if (json_object_object_get_ex(o, key, &v) &&
		    !strcmp(json_object_get_string(v), value))
			return o;
	}
	return NULL;
}

static json_object *xlbd_get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o)
		json_object_object_get_ex(o, key, &v);
	return v;
}

/* A number of xlbd's (fmt), "-" when unknown, "" without xlbd. */
static void xlbd_cell(struct table *t, const struct stats_xlbd *x,
		      json_object *o, const char *key, const char *fmt)
{
	json_object *v = xlbd_get(o, key);

	if (!x || !x->status)
		table_cell(t, "%s", "");
	else if (!v || !(json_object_is_type(v, json_type_double) ||
			 json_object_is_type(v, json_type_int)))
		table_cell(t, "%s", "-");
	else
		table_cell(t, fmt, json_object_get_double(v));
}

static void vip_rows(struct table *t, const struct stats_vip *v, bool rates)
{
	char name[XLB_VIP_STRLEN], share[NUM], wshare[NUM], n[NUM];

	table_row(t);
	table_cell(t, "%s", xlb_format_vip(&v->entry->key, name, sizeof(name)));
	table_cell(t, "%s", v->entry->table_stale ? "stale" : "ok");
	table_cell(t, "%.0f", active_weight(v));
	table_cell(t, "%s", "");
	table_cell(t, "%s", "");
	rate_cells(t, &v->rate, rates, true);
	table_cell(t, "%s", format_si(v->total.packets, n, NUM));
	table_cell(t, "%s", "");
	for (size_t i = 0; i < v->n_pairs; i++) {
		const struct stats_pair *p = &v->pairs[i];

		table_row(t);
		table_cell(t, "  %s",
			   xlb_format_addr(&p->info->be.addr,
					   p->info->be.family, name,
					   sizeof(name)));
		table_cell(t, "%s", xlb_state_name(p->info->state));
		table_cell(t, "%u", p->info->weight);
		table_cell(t, "%s", format_share(p->weight_share, wshare, NUM));
		table_cell(t, "%s", format_share(p->flow_share, share, NUM));
		rate_cells(t, &p->rate, rates, false);
		table_cell(t, "%s", format_si(p->total.packets, n, NUM));
		table_cell(t, "%s",
			   format_si(p->total.fins + p->total.rsts, n, NUM));
	}
}

/*
 * top's rows (at most 15 columns: the table's limit): the brain's columns
 * in place of WEIGHT% and PACKETS, which stats keeps.
 */
static void vip_rows_top(struct table *t, const struct stats_vip *v, bool rates,
			 const struct stats_xlbd *x)
{
	char name[XLB_VIP_STRLEN], share[NUM], n[NUM];
	json_object *xv = NULL, *xb;

	table_row(t);
	table_cell(t, "%s", xlb_format_vip(&v->entry->key, name, sizeof(name)));
	if (x && x->status)
		xv = xlbd_find(xlbd_get(x->status, "vips"), "vip", name);
	table_cell(t, "%s", v->entry->table_stale ? "stale" : "ok");
	table_cell(t, "%.0f", active_weight(v));
	for (int i = 0; i < 5; i++) /* BASE OP HEALTH FACTOR NEW% */
		table_cell(t, "%s", "");
	rate_cells(t, &v->rate, rates, true);
	xlbd_cell(t, x, xv, "forecast_per_s", "%.1f");
	table_cell(t, "%s", "");
	table_cell(t, "%s", "");
	for (size_t i = 0; i < v->n_pairs; i++) {
		const struct stats_pair *p = &v->pairs[i];

		table_row(t);
		xlb_format_addr(&p->info->be.addr, p->info->be.family, name,
				sizeof(name));
		table_cell(t, "  %s", name);
		table_cell(t, "%s", xlb_state_name(p->info->state));
		table_cell(t, "%u", p->info->weight);
		table_cell(t, "%u", p->info->base_weight);
		table_cell(t, "%s", xlb_op_state_name(p->info->op_state));
		table_cell(t, "%s", xlb_health_name(p->info->health));
		table_cell(t, "%.3f", (double)p->info->factor / XLB_FACTOR_ONE);
		table_cell(t, "%s", format_share(p->flow_share, share, NUM));
		rate_cells(t, &p->rate, rates, false);
		table_cell(t, "%s", "");
		table_cell(t, "%s",
			   format_si(p->total.fins + p->total.rsts, n, NUM));
		xb = xlbd_find(xlbd_get(xv, "backends"), "address", name);
		xlbd_cell(t, x, xb, "anomaly_score", "%.3f");
	}
}

static void print_vips(const struct stats_report *r, FILE *out, bool brain,
		       const struct stats_xlbd *x)
{
	bool rates = r->interval_s > 0;
	struct table *t;

	if (brain)
		t = table_new("llrrllrrrrrrrrr", "VIP / BACKEND", "STATE",
			      "EFF-W", "BASE", "OP", "HEALTH", "FACTOR", "NEW%",
			      "PKT/S", "BIT/S", "NEW/S", "DROP/S", "FCAST/S",
			      "FIN+RST", "ANOMALY", NULL);
	else
		t = table_new("llrrrrrrrrr", "VIP / BACKEND", "STATE", "WEIGHT",
			      "WEIGHT%", "NEW%", "PKT/S", "BIT/S", "NEW/S",
			      "DROP/S", "PACKETS", "FIN+RST", NULL);
	for (size_t v = 0; v < r->n_vips; v++)
		if (brain)
			vip_rows_top(t, &r->vips[v], rates, x);
		else
			vip_rows(t, &r->vips[v], rates);
	table_print(t, out);
	table_free(t);
	if (!r->n_vips)
		fprintf(out, "(no VIPs)\n");
}

static void print_global(const struct stats_report *r, FILE *out)
{
	bool rates = r->interval_s > 0;
	struct table *t;
	char a[NUM], b[NUM];

	fprintf(out, "\n");
	t = table_new("lrr", "GLOBAL", "TOTAL", "PER S", NULL);
	for (size_t i = 0; i < stats_n_global_fields; i++) {
		table_row(t);
		table_cell(t, "%s", stats_global_fields[i].name);
		table_cell(t, "%s",
			   format_si(stats_global_value(&r->total, i), a, NUM));
		table_cell(t, "%s",
			   rates ? format_si(stats_global_value(&r->delta, i) /
						     r->interval_s,
					     b, NUM)
				 : "-");
	}
	for (int i = 0; i < XLB_DROP_REASONS; i++) {
		table_row(t);
		table_cell(t, "drop %s", stats_drop_reason_name(i));
		table_cell(t, "%s", format_si(r->total.drops[i], a, NUM));
		table_cell(t, "%s",
			   rates ? format_si(r->delta.drops[i] / r->interval_s,
					     b, NUM)
				 : "-");
	}
	table_print(t, out);
	table_free(t);
}

void stats_print_text(const struct stats_report *r, FILE *out)
{
	print_vips(r, out, false, NULL);
	print_global(r, out);
}

/* xlbd's last decisions, newest first, one line each. */
static void print_decisions(const struct stats_xlbd *x, FILE *out)
{
	json_object *dec = xlbd_get(x->status, "decisions");
	size_t n = dec ? json_object_array_length(dec) : 0, shown = 0;

	fprintf(out, "\nLAST DECISIONS (xlbd)\n");
	if (!n)
		fprintf(out, "  (none yet)\n");
	for (size_t i = n; i-- > 0 && shown < STATS_XLBD_DECISIONS; shown++) {
		json_object *o = json_object_array_get_idx(dec, i);
		time_t when = (time_t)json_object_get_double(xlbd_get(o, "tim"
									 "e"));
		char hms[16];

		strftime(hms, sizeof(hms), "%H:%M:%S", localtime(&when));
		fprintf(out, "  %s %s %s: %s\n", hms,
			json_object_get_string(xlbd_get(o, "backend")),
			json_object_get_string(xlbd_get(o, "rule")),
			json_object_get_string(xlbd_get(o, "reason")));
	}
}

void stats_print_top(const struct stats_report *r, const struct stats_xlbd *x,
		     FILE *out)
{
	print_vips(r, out, true, x);
	if (x && x->status)
		print_decisions(x, out);
	print_global(r, out);
}

static void add_u64(json_object *o, const char *key, __u64 v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static void add_double(json_object *o, const char *key, double v)
{
	json_object_object_add(o, key, json_object_new_double(v));
}

static void add_rates(json_object *o, const struct stats_rates *rate,
		      bool dropped)
{
	add_double(o, "packets_per_s", rate->packets);
	add_double(o, "bits_per_s", rate->bits);
	add_double(o, "new_flows_per_s", rate->new_flows);
	if (dropped)
		add_double(o, "dropped_per_s", rate->dropped);
}

static json_object *pair_json(const struct stats_pair *p, bool rates)
{
	json_object *o = json_object_new_object();
	char text[XLB_ADDR_STRLEN];

	json_object_object_add(o, "address",
			       json_object_new_string(xlb_format_addr(
				       &p->info->be.addr, p->info->be.family,
				       text, sizeof(text))));
	json_object_object_add(o, "id", json_object_new_int(p->info->id));
	json_object_object_add(
		o, "state",
		json_object_new_string(xlb_state_name(p->info->state)));
	json_object_object_add(o, "weight",
			       json_object_new_int(p->info->weight));
	add_double(o, "weight_share", p->weight_share);
	json_object_object_add(o, "new_flow_share",
			       p->flow_share >= 0
				       ? json_object_new_double(p->flow_share)
				       : NULL);
	add_u64(o, "packets", p->total.packets);
	add_u64(o, "bytes", p->total.bytes);
	add_u64(o, "new_flows", p->total.new_flows);
	/* Client FIN and RST packets: new_flows minus ended flows. */
	add_u64(o, "fins", p->total.fins);
	add_u64(o, "rsts", p->total.rsts);
	if (rates)
		add_rates(o, &p->rate, false);
	return o;
}

static json_object *vip_json(const struct stats_vip *v, bool rates)
{
	json_object *o = json_object_new_object(), *list;
	char text[XLB_VIP_STRLEN];

	json_object_object_add(o, "vip",
			       json_object_new_string(xlb_format_vip(
				       &v->entry->key, text, sizeof(text))));
	json_object_object_add(o, "id", json_object_new_int(v->entry->vip.id));
	json_object_object_add(o, "table_size",
			       json_object_new_int(v->entry->vip.table_size));
	json_object_object_add(o, "table_stale",
			       json_object_new_boolean(v->entry->table_stale));
	add_u64(o, "packets", v->total.packets);
	add_u64(o, "bytes", v->total.bytes);
	add_u64(o, "new_flows", v->total.new_flows);
	add_u64(o, "dropped", v->total.dropped);
	if (rates)
		add_rates(o, &v->rate, true);
	list = json_object_new_array();
	for (size_t i = 0; i < v->n_pairs; i++)
		json_object_array_add(list, pair_json(&v->pairs[i], rates));
	json_object_object_add(o, "backends", list);
	return o;
}

static json_object *global_json(const struct xlb_global_counters *g,
				double scale)
{
	json_object *o = json_object_new_object(), *drops;

	drops = json_object_new_object();
	for (size_t i = 0; i < stats_n_global_fields; i++) {
		__u64 v = stats_global_value(g, i);

		json_object_object_add(o, stats_global_fields[i].name,
				       scale ? json_object_new_double(v / scale)
					     : json_object_new_uint64(v));
	}
	for (int i = 0; i < XLB_DROP_REASONS; i++)
		json_object_object_add(
			drops, stats_drop_reason_name(i),
			scale ? json_object_new_double(g->drops[i] / scale)
			      : json_object_new_uint64(g->drops[i]));
	json_object_object_add(o, "drops", drops);
	return o;
}

json_object *stats_to_json(const struct stats_report *r)
{
	json_object *doc = json_object_new_object(), *vips;
	bool rates = r->interval_s > 0;

	add_double(doc, "interval_s", r->interval_s);
	vips = json_object_new_array();
	for (size_t v = 0; v < r->n_vips; v++)
		json_object_array_add(vips, vip_json(&r->vips[v], rates));
	json_object_object_add(doc, "vips", vips);
	json_object_object_add(doc, "global", global_json(&r->total, 0));
	if (rates)
		json_object_object_add(doc, "global_per_s",
				       global_json(&r->delta, r->interval_s));
	return doc;
}
