// SPDX-License-Identifier: GPL-2.0
/*
 * collect: the pairs the maps hold (every VIP and pair: xlbd manages what
 * the operator configured), their counters turned into rates, the probes'
 * results since the last tick and the agents' latest signals, into the
 * brain's snapshot. Pairs keep their probe and scrape state across ticks by
 * key; a pair gone from the maps is dropped with its sockets.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xlbd.h"

struct xlbd_pair *xlbd_pair_find(struct xlbd *d, const char *key)
{
	for (size_t i = 0; i < d->n_pairs; i++)
		if (!strcmp(d->pairs[i]->key, key))
			return d->pairs[i];
	return NULL;
}

static void pair_free(struct xlbd *d, struct xlbd_pair *p)
{
	xlbd_probe_stop(d, p);
	xlbd_scrape_stop(d, p);
	xlbd_scrape_release(p);
	free(p);
}

void xlbd_pairs_free(struct xlbd *d)
{
	for (size_t i = 0; i < d->n_pairs; i++)
		pair_free(d, d->pairs[i]);
	free(d->pairs);
	free(d->vips);
	free(d->snap_pairs);
	free(d->snap_vips);
	d->pairs = NULL;
	d->vips = NULL;
	d->snap_pairs = NULL;
	d->snap_vips = NULL;
	d->n_pairs = d->n_vips = 0;
}

static struct xlbd_pair *
pair_new(struct xlbd *d, const struct xlb_pair_info *pi, const char *key)
{
	struct xlbd_pair *p = calloc(1, sizeof(*p));
	double now = xlbd_now();

	if (!p)
		return NULL;
	snprintf(p->key, sizeof(p->key), "%s", key);
	xlb_format_vip(&pi->vip, p->vip_text, sizeof(p->vip_text));
	xlb_format_addr(&pi->be.addr, pi->be.family, p->addr_text,
			sizeof(p->addr_text));
	p->d = d;
	p->probe.watch.fd = -1;
	p->probe.last_latency_s = NAN;
	/* Spread the first probes and scrapes over one interval. */
	p->probe.next_due = now + 0.1 * (double)rand() / RAND_MAX;
	p->scrape.next_due = now + d->cfg.scrape_interval_s * rand() / RAND_MAX;
	p->scrape.cpu_util = p->scrape.mem_util = p->scrape.load1 = NAN;
	p->scrape.service_latency_s = p->scrape.service_fail_ratio = NAN;
	return p;
}

/* Re-reads the VIPs and pairs; keeps what is known of each by key. */
int xlbd_collect_pairs(struct xlbd *d)
{
	struct xlb_vip_entry *vips = NULL;
	struct xlb_pair_info *infos = NULL;
	struct xlbd_pair **pairs = NULL;
	struct xlbd_vip *nv = NULL;
	size_t n_vips = 0, n_infos = 0, n = 0;
	int ret;

	ret = xlb_vip_list(d->xlb, &vips, &n_vips);
	if (!ret)
		ret = xlb_backend_list(d->xlb, NULL, &infos, &n_infos);
	if (ret)
		goto out;
	pairs = calloc(n_infos + 1, sizeof(*pairs));
	nv = calloc(n_vips + 1, sizeof(*nv));
	if (!pairs || !nv) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_vips; i++) {
		nv[i].vip = vips[i].key;
		xlb_format_vip(&vips[i].key, nv[i].key, sizeof(nv[i].key));
		for (size_t j = 0; j < d->n_vips; j++) {
			if (!strcmp(d->vips[j].key, nv[i].key)) {
				nv[i] = d->vips[j];
				break;
			}
		}
		/* A VIP deleted and added again gets a new id: no rate. */
		if (nv[i].id != vips[i].vip.id)
			nv[i].have_prev = false;
		nv[i].id = vips[i].vip.id;
	}
	for (size_t i = 0; i < d->n_pairs; i++)
		d->pairs[i]->seen = false;
	for (size_t i = 0; i < n_infos; i++) {
		char vip[XLB_VIP_STRLEN], addr[XLB_ADDR_STRLEN];
		char key[XLB_BRAIN_KEY_MAX];
		struct xlbd_pair *p;

		xlb_format_vip(&infos[i].vip, vip, sizeof(vip));
		xlb_format_addr(&infos[i].be.addr, infos[i].be.family, addr,
				sizeof(addr));
		snprintf(key, sizeof(key), "%.50s %.44s", vip, addr);
		p = xlbd_pair_find(d, key);
		if (!p) {
			p = pair_new(d, &infos[i], key);
			if (!p) {
				ret = -ENOMEM;
				goto out;
			}
		}
		p->seen = true;
		p->info = infos[i];
		p->vip = 0;
		for (size_t j = 0; j < n_vips; j++)
			if (!xlb_vip_key_cmp(&nv[j].vip, &infos[i].vip))
				p->vip = j;
		p->probe.kind = xlbd_probe_conf(d, p)->kind;
		pairs[n++] = p;
	}
	for (size_t i = 0; i < d->n_pairs; i++)
		if (!d->pairs[i]->seen)
			pair_free(d, d->pairs[i]);
	free(d->pairs);
	free(d->vips);
	d->pairs = pairs;
	d->n_pairs = n;
	d->vips = nv;
	d->n_vips = n_vips;
	pairs = NULL;
	nv = NULL;
	free(d->snap_pairs);
	free(d->snap_vips);
	d->snap_pairs = calloc(d->n_pairs + 1, sizeof(*d->snap_pairs));
	d->snap_vips = calloc(d->n_vips + 1, sizeof(*d->snap_vips));
	if (!d->snap_pairs || !d->snap_vips)
		ret = -ENOMEM;
out:
	free(pairs);
	free(nv);
	free(vips);
	free(infos);
	return ret;
}

static double rate(__u64 now, __u64 before, double dt)
{
	/* A counter that went back (a re-created pair) restarts at 0. */
	if (now < before)
		return NAN;
	return (double)(now - before) / dt;
}

int xlbd_collect(struct xlbd *d, double now)
{
	int ret;

	ret = xlbd_collect_pairs(d);
	if (!ret)
		ret = xlb_stats_read(d->xlb, &d->stats);
	if (ret)
		return ret;
	for (size_t i = 0; i < d->n_vips; i++) {
		struct xlbd_vip *v = &d->vips[i];
		const struct xlb_vip_counters *c = NULL;

		if (v->id < d->stats.max_vips)
			c = &d->stats.vips[v->id];
		v->demand_per_s = NAN;
		if (c && v->have_prev && now > v->prev_t) {
			double dt = now - v->prev_t;

			/* TCP demand is new flows; UDP's is packets. */
			v->demand_per_s =
				v->vip.proto == IPPROTO_UDP
					? rate(c->packets, v->prev.packets, dt)
					: rate(c->new_flows, v->prev.new_flows,
					       dt);
		}
		if (c) {
			v->prev = *c;
			v->prev_t = now;
			v->have_prev = true;
		}
		snprintf(d->snap_vips[i].key, sizeof(d->snap_vips[i].key), "%s",
			 v->key);
		d->snap_vips[i].demand_per_s = v->demand_per_s;
	}
	for (size_t i = 0; i < d->n_pairs; i++) {
		struct xlbd_pair *p = d->pairs[i];
		struct xlb_brain_obs *o = &p->obs;
		struct xlb_brain_pair_in *in = &d->snap_pairs[i];
		const struct xlb_pair_counters *c = NULL;

		if (p->info.id < d->stats.max_backends)
			c = &d->stats.pairs[p->info.id];
		o->packets_per_s = o->bytes_per_s = NAN;
		o->new_flows_per_s = o->ended_flows_per_s = NAN;
		if (c && p->have_prev && now > p->prev_t) {
			double dt = now - p->prev_t;

			o->packets_per_s =
				rate(c->packets, p->prev.packets, dt);
			o->bytes_per_s = rate(c->bytes, p->prev.bytes, dt);
			o->new_flows_per_s =
				rate(c->new_flows, p->prev.new_flows, dt);
			o->ended_flows_per_s = rate(c->fins + c->rsts,
						    p->prev.fins + p->prev.rsts,
						    dt);
		}
		if (c) {
			p->prev = *c;
			p->prev_t = now;
			p->have_prev = true;
		}
		o->probes_ok = p->probe.tick_ok;
		o->probes_failed = p->probe.tick_failed;
		o->probe_latency_s =
			p->probe.tick_ok
				? p->probe.tick_latency_sum / p->probe.tick_ok
				: NAN;
		p->probe.tick_ok = p->probe.tick_failed = 0;
		p->probe.tick_latency_sum = 0;
		xlbd_scrape_obs(d, p, now, o);

		memset(in, 0, sizeof(*in));
		snprintf(in->key, sizeof(in->key), "%s", p->key);
		in->vip = p->vip;
		in->base_weight = p->info.base_weight;
		in->op_state = p->info.op_state;
		in->factor = p->info.factor;
		in->health = p->info.health;
		in->reason = p->info.reason; /* the standby pool's bit */
		in->obs = *o;
	}
	d->snap.now = now;
	d->snap.vips = d->snap_vips;
	d->snap.n_vips = d->n_vips;
	d->snap.pairs = d->snap_pairs;
	d->snap.n_pairs = d->n_pairs;
	return 0;
}
