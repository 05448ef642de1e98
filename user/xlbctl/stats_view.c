// SPDX-License-Identifier: GPL-2.0
/* Rendering a stats report: one table of VIPs and their backends, then the
 * global counters; or the same numbers as JSON. */
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

void stats_print_text(const struct stats_report *r, FILE *out)
{
	bool rates = r->interval_s > 0;
	struct table *t;
	char a[NUM], b[NUM];

	t = table_new("llrrrrrrrrr", "VIP / BACKEND", "STATE", "WEIGHT",
		      "WEIGHT%", "NEW%", "PKT/S", "BIT/S", "NEW/S", "DROP/S",
		      "PACKETS", "FIN+RST", NULL);
	for (size_t v = 0; v < r->n_vips; v++)
		vip_rows(t, &r->vips[v], rates);
	table_print(t, out);
	table_free(t);
	if (!r->n_vips)
		fprintf(out, "(no VIPs)\n");

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
