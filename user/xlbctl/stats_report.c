// SPDX-License-Identifier: GPL-2.0
/* Counters read twice, turned into rates and shares. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "stats_report.h"

#define FIELD(name)                                               \
	{                                                         \
#name, offsetof(struct xlb_global_counters, name) \
	}
#define ICMP_DROP(name, reason)                                      \
	{                                                            \
		"icmp_drop_" name,                                   \
			offsetof(struct xlb_global_counters,         \
				 icmp_drops[XLB_ICMP_DROP_##reason]) \
	}

const struct stats_counter_field stats_global_fields[] = {
	FIELD(passed),
	FIELD(forwarded),
	FIELD(conn_hits),
	FIELD(conn_misses),
	FIELD(nonsyn_misses),
	FIELD(udp_expired),
	FIELD(lru_bypass),
	FIELD(not_for_us),
	FIELD(icmp_echo_replied),
	FIELD(icmp_errors_steered),
	ICMP_DROP("truncated", TRUNCATED),
	ICMP_DROP("bad_quote", BAD_QUOTE),
	ICMP_DROP("no_backend", NO_BACKEND),
	FIELD(encap_sent),
	FIELD(encap_no_route),
	FIELD(encap_too_big),
	FIELD(encap_other_dev),
};
const size_t stats_n_global_fields =
	sizeof(stats_global_fields) / sizeof(stats_global_fields[0]);

static const char *const drop_reason_names[XLB_DROP_REASONS] = {
	[XLB_DROP_TRUNCATED] = "truncated",
	[XLB_DROP_BAD_IP_HEADER] = "bad_ip_header",
	[XLB_DROP_BAD_L4_HEADER] = "bad_l4_header",
	[XLB_DROP_FRAGMENT] = "fragment",
	[XLB_DROP_IPV6_EXTHDR] = "ipv6_exthdr",
	[XLB_DROP_NO_BACKEND] = "no_backend",
	[XLB_DROP_NO_TABLE] = "no_table",
};
/* A new reason in enum xlb_drop_reason needs its name above. */
_Static_assert(XLB_DROP_REASONS == 7, "name every drop reason");
_Static_assert(XLB_ICMP_DROP_REASONS == 3, "list every ICMP drop reason");
_Static_assert(sizeof(struct xlb_global_counters) ==
		       8 * (14 + XLB_DROP_REASONS + XLB_ICMP_DROP_REASONS),
	       "list every global counter in stats_global_fields");

const char *stats_drop_reason_name(int reason)
{
	if (reason < 0 || reason >= XLB_DROP_REASONS ||
	    !drop_reason_names[reason])
		return "unknown";
	return drop_reason_names[reason];
}

int stats_sample_read(struct xlb *xlb, struct stats_sample *sample)
{
	int err;

	free(sample->vips);
	free(sample->pairs);
	sample->vips = NULL;
	sample->pairs = NULL;
	clock_gettime(CLOCK_MONOTONIC, &sample->at);
	err = xlb_stats_read(xlb, &sample->counters);
	if (!err)
		err = xlb_vip_list(xlb, &sample->vips, &sample->n_vips);
	if (!err)
		err = xlb_backend_list(xlb, NULL, &sample->pairs,
				       &sample->n_pairs);
	return err;
}

void stats_sample_free(struct stats_sample *sample)
{
	xlb_stats_free(&sample->counters);
	free(sample->vips);
	free(sample->pairs);
	memset(sample, 0, sizeof(*sample));
}

/* A counter's growth; a reused pair or VIP id restarts from zero. */
static __u64 grown(__u64 now, __u64 before)
{
	return now >= before ? now - before : now;
}

/* A counter's growth per second between two reads. */
static double rate_of(__u64 now, __u64 before, double interval_s)
{
	return interval_s > 0 ? grown(now, before) / interval_s : 0;
}

static void fill_pair(struct stats_pair *p, const struct xlb_pair_info *info,
		      const struct stats_sample *before,
		      const struct stats_sample *now, double interval_s)
{
	const struct xlb_pair_counters *c = &now->counters.pairs[info->id];

	p->info = info;
	p->total = *c;
	if (before) {
		const struct xlb_pair_counters *b =
			&before->counters.pairs[info->id];

		p->rate.packets = rate_of(c->packets, b->packets, interval_s);
		p->rate.bits = 8 * rate_of(c->bytes, b->bytes, interval_s);
		p->rate.new_flows =
			rate_of(c->new_flows, b->new_flows, interval_s);
	}
}

static void fill_vip(struct stats_vip *v, const struct xlb_vip_entry *entry,
		     const struct stats_sample *before,
		     const struct stats_sample *now, double interval_s)
{
	const struct xlb_vip_counters *c = &now->counters.vips[entry->vip.id];
	double weight = 0, flows = 0;

	v->entry = entry;
	v->total = *c;
	if (before) {
		const struct xlb_vip_counters *b =
			&before->counters.vips[entry->vip.id];

		v->rate.packets = rate_of(c->packets, b->packets, interval_s);
		v->rate.bits = 8 * rate_of(c->bytes, b->bytes, interval_s);
		v->rate.new_flows =
			rate_of(c->new_flows, b->new_flows, interval_s);
		v->rate.dropped = rate_of(c->dropped, b->dropped, interval_s);
	}
	for (size_t i = 0; i < v->n_pairs; i++) {
		if (v->pairs[i].info->state == XLB_STATE_ACTIVE) {
			weight += v->pairs[i].info->weight;
			v->n_active++;
		}
		flows += v->pairs[i].rate.new_flows;
	}
	for (size_t i = 0; i < v->n_pairs; i++) {
		struct stats_pair *p = &v->pairs[i];

		p->weight_share = weight > 0 && p->info->state ==
							  XLB_STATE_ACTIVE
					  ? p->info->weight / weight
					  : 0;
		p->flow_share = flows > 0 ? p->rate.new_flows / flows : -1;
	}
}

int stats_report_build(const struct stats_sample *before,
		       const struct stats_sample *now, struct stats_report *r)
{
	size_t p = 0;

	memset(r, 0, sizeof(*r));
	if (before)
		r->interval_s = (now->at.tv_sec - before->at.tv_sec) +
				(now->at.tv_nsec - before->at.tv_nsec) / 1e9;
	if (r->interval_s <= 0)
		before = NULL;
	r->total = now->counters.global;
	if (before) {
		const __u64 *n = (const __u64 *)&now->counters.global;
		const __u64 *b = (const __u64 *)&before->counters.global;
		__u64 *d = (__u64 *)&r->delta;

		for (size_t i = 0; i < sizeof(r->delta) / sizeof(__u64); i++)
			d[i] = grown(n[i], b[i]);
	}
	r->vips = calloc(now->n_vips + 1, sizeof(*r->vips));
	r->pairs = calloc(now->n_pairs + 1, sizeof(*r->pairs));
	if (!r->vips || !r->pairs) {
		stats_report_free(r);
		return -ENOMEM;
	}
	r->n_vips = now->n_vips;
	r->n_pairs = now->n_pairs;
	for (size_t i = 0; i < now->n_pairs; i++)
		fill_pair(&r->pairs[i], &now->pairs[i], before, now,
			  r->interval_s);
	/* Pairs are sorted by VIP like the VIPs: one walk assigns them. */
	for (size_t v = 0; v < now->n_vips; v++) {
		struct stats_vip *vip = &r->vips[v];

		while (p < now->n_pairs &&
		       xlb_vip_key_cmp(&now->pairs[p].vip, &now->vips[v].key) <
			       0)
			p++;
		vip->pairs = &r->pairs[p];
		while (p < now->n_pairs &&
		       !xlb_vip_key_cmp(&now->pairs[p].vip, &now->vips[v].key))
			p++;
		vip->n_pairs = &r->pairs[p] - vip->pairs;
		fill_vip(vip, &now->vips[v], before, now, r->interval_s);
	}
	return 0;
}

void stats_report_free(struct stats_report *r)
{
	free(r->vips);
	free(r->pairs);
	memset(r, 0, sizeof(*r));
}
