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
	free(d->by_slot);
	free(d->index_be);
	free(d->index_vips);
	xlb_slots_free(&d->slots);
	d->pairs = NULL;
	d->vips = NULL;
	d->snap_pairs = NULL;
	d->snap_vips = NULL;
	d->by_slot = NULL;
	d->index_be = NULL;
	d->index_vips = NULL;
	d->n_pairs = d->n_vips = d->index_n_vips = 0;
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
	p->scrape.service_latency_last_s = NAN;
	return p;
}

/* Order of the pairs and VIPs in the snapshot: VIP, then address. */
static const struct xlb_slots *sort_slots;
static const __u32 *sort_rank; /* VIP id -> rank of its key */

static int vip_cmp(const void *a, const void *b)
{
	const struct xlb_vip_entry *v = sort_slots->vips;

	return xlb_vip_key_cmp(&v[*(const __u32 *)a].key,
			       &v[*(const __u32 *)b].key);
}

static int pair_cmp(const void *a, const void *b)
{
	const struct xlb_backend *x = &sort_slots->be[*(const __u32 *)a];
	const struct xlb_backend *y = &sort_slots->be[*(const __u32 *)b];

	if (sort_rank[x->vip_id] != sort_rank[y->vip_id])
		return sort_rank[x->vip_id] < sort_rank[y->vip_id] ? -1 : 1;
	return xlb_addr_cmp(&x->addr, x->family, &y->addr, y->family);
}

static int addr_cmp(const void *a, const void *b)
{
	const struct xlbd_pair *x = *(struct xlbd_pair *const *)a;
	const struct xlbd_pair *y = *(struct xlbd_pair *const *)b;
	int c = xlb_addr_cmp(&x->info.be.addr, x->info.be.family,
			     &y->info.be.addr, y->info.be.family);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Whether the pairs and VIPs are the ones the index was built from. */
static bool index_current(const struct xlbd *d)
{
	const struct xlb_slots *s = &d->slots;

	if (!d->index_be || d->index_n_vips != s->n_vips)
		return false;
	for (size_t i = 0; i < s->n_vips; i++)
		if (d->index_vips[i].vip.id != s->vips[i].vip.id ||
		    xlb_vip_key_cmp(&d->index_vips[i].key, &s->vips[i].key))
			return false;
	return !memcmp(d->index_be, s->be, s->n * sizeof(*s->be));
}

/* The pair that was at slot id under key, or at another slot, or NULL. */
static struct xlbd_pair *adopt(struct xlbd *d, __u32 id, const char *key)
{
	struct xlbd_pair *p = d->by_slot ? d->by_slot[id] : NULL;

	if (p && !strcmp(p->key, key))
		return p;
	return xlbd_pair_find(d, key); /* moved: rare, a scan */
}

/*
 * Rebuilds the pairs and VIPs from the slots just read, keeping what is
 * known of each by key: the VIPs sorted by key, the pairs by VIP then
 * address (the order of xlb_vip_list and xlb_backend_list).
 */
static int index_rebuild(struct xlbd *d)
{
	const struct xlb_slots *s = &d->slots;
	__u32 *vorder = NULL, *porder = NULL, *rank = NULL;
	struct xlbd_pair **pairs = NULL, **by_slot = NULL, **byaddr = NULL;
	struct xlb_vip_entry *index_vips = NULL;
	struct xlb_backend *index_be = NULL;
	struct xlbd_vip *nv = NULL;
	size_t n_vips = s->n_vips, n = 0;
	int ret = -ENOMEM;

	vorder = calloc(n_vips + 1, sizeof(*vorder));
	porder = calloc(s->n + 1, sizeof(*porder));
	rank = calloc(XLB_MAX_VIPS, sizeof(*rank));
	pairs = calloc(s->n + 1, sizeof(*pairs));
	by_slot = calloc(s->n + 1, sizeof(*by_slot));
	nv = calloc(n_vips + 1, sizeof(*nv));
	index_be = malloc(s->n * sizeof(*index_be) + 1);
	index_vips = calloc(n_vips + 1, sizeof(*index_vips));
	if (!vorder || !porder || !rank || !pairs || !by_slot || !nv ||
	    !index_be || !index_vips)
		goto out;
	for (size_t i = 0; i < n_vips; i++)
		vorder[i] = i;
	sort_slots = s;
	qsort(vorder, n_vips, sizeof(*vorder), vip_cmp);
	for (__u32 i = 0; i < XLB_MAX_VIPS; i++)
		rank[i] = UINT32_MAX; /* a pair of no VIP: not listed */
	for (size_t i = 0; i < n_vips; i++) {
		const struct xlb_vip_entry *e = &s->vips[vorder[i]];

		if (e->vip.id < XLB_MAX_VIPS)
			rank[e->vip.id] = i;
		nv[i].vip = e->key;
		xlb_format_vip(&e->key, nv[i].key, sizeof(nv[i].key));
		for (size_t j = 0; j < d->n_vips; j++) {
			if (!strcmp(d->vips[j].key, nv[i].key)) {
				nv[i] = d->vips[j];
				break;
			}
		}
		/* A VIP deleted and added again gets a new id: no rate. */
		if (nv[i].id != e->vip.id)
			nv[i].have_prev = false;
		nv[i].id = e->vip.id;
	}
	for (__u32 i = 0; i < s->n; i++)
		if ((s->be[i].flags & XLB_BACKEND_F_IN_USE) &&
		    s->be[i].vip_id < XLB_MAX_VIPS &&
		    rank[s->be[i].vip_id] != UINT32_MAX)
			porder[n++] = i;
	sort_rank = rank;
	qsort(porder, n, sizeof(*porder), pair_cmp);

	for (size_t i = 0; i < d->n_pairs; i++)
		d->pairs[i]->seen = false;
	for (size_t k = 0; k < n; k++) {
		const struct xlb_backend *be = &s->be[porder[k]];
		char vip[XLB_VIP_STRLEN], addr[XLB_ADDR_STRLEN];
		char key[XLB_BRAIN_KEY_MAX];
		struct xlb_pair_info pi = {
			.id = porder[k],
			.vip = nv[rank[be->vip_id]].vip,
			.be = *be,
		};
		struct xlbd_pair *p;

		xlb_format_vip(&pi.vip, vip, sizeof(vip));
		xlb_format_addr(&be->addr, be->family, addr, sizeof(addr));
		snprintf(key, sizeof(key), "%.50s %.44s", vip, addr);
		p = adopt(d, porder[k], key);
		if (p) {
			p->seen = true; /* kept: not freed below */
		} else {
			p = pair_new(d, &pi, key);
			if (!p) {
				for (size_t j = 0; j < k; j++)
					if (!pairs[j]->seen) /* new ones */
						pair_free(d, pairs[j]);
				goto out;
			}
		}
		p->info.id = pi.id;
		p->info.vip = pi.vip;
		p->info.be = pi.be;
		p->vip = rank[be->vip_id];
		p->idx = k;
		p->scrape_owner = NULL;
		pairs[k] = p;
		by_slot[porder[k]] = p;
	}
	for (size_t i = 0; i < d->n_pairs; i++)
		if (!d->pairs[i]->seen) /* gone from the maps */
			pair_free(d, d->pairs[i]);
	for (size_t k = 0; k < n; k++)
		pairs[k]->seen = true;

	/* One scrape per backend address: the first pair of each serves it. */
	byaddr = calloc(n + 1, sizeof(*byaddr));
	if (byaddr) {
		memcpy(byaddr, pairs, n * sizeof(*byaddr));
		qsort(byaddr, n, sizeof(*byaddr), addr_cmp);
		for (size_t k = 1; k < n; k++)
			if (!xlb_addr_cmp(&byaddr[k]->info.be.addr,
					  byaddr[k]->info.be.family,
					  &byaddr[k - 1]->info.be.addr,
					  byaddr[k - 1]->info.be.family))
				byaddr[k]->scrape_owner =
					byaddr[k - 1]->scrape_owner
						? byaddr[k - 1]->scrape_owner
						: byaddr[k - 1];
	}

	memcpy(index_be, s->be, s->n * sizeof(*index_be));
	memcpy(index_vips, s->vips, n_vips * sizeof(*index_vips));
	free(d->pairs);
	free(d->vips);
	free(d->by_slot);
	free(d->index_be);
	free(d->index_vips);
	d->pairs = pairs;
	d->n_pairs = n;
	d->vips = nv;
	d->n_vips = n_vips;
	d->by_slot = by_slot;
	d->index_be = index_be;
	d->index_vips = index_vips;
	d->index_n_vips = n_vips;
	pairs = by_slot = NULL;
	nv = NULL;
	index_be = NULL;
	index_vips = NULL;
	free(d->snap_pairs);
	free(d->snap_vips);
	d->snap_pairs = calloc(d->n_pairs + 1, sizeof(*d->snap_pairs));
	d->snap_vips = calloc(d->n_vips + 1, sizeof(*d->snap_vips));
	ret = d->snap_pairs && d->snap_vips ? 0 : -ENOMEM;
	d->index_rebuilds++;
out:
	if (ret) {
		/* Built from nothing again at the next read. */
		free(d->index_be);
		d->index_be = NULL;
	}
	free(byaddr);
	free(vorder);
	free(porder);
	free(rank);
	free(pairs);
	free(by_slot);
	free(nv);
	free(index_be);
	free(index_vips);
	return ret;
}

/*
 * Reads the VIPs and pairs (one batch read per pair map, into buffers kept
 * across ticks); rebuilds the index only when the pair entries or the VIPs
 * changed, then refreshes every pair's weights, states and intent from the
 * read in O(pairs).
 */
int xlbd_collect_pairs(struct xlbd *d)
{
	const struct xlb_slots *s = &d->slots;
	int ret;

	ret = xlb_slots_read(d->xlb, &d->slots);
	if (!ret && !index_current(d))
		ret = index_rebuild(d);
	if (ret)
		return ret;
	for (size_t i = 0; i < d->n_pairs; i++) {
		struct xlbd_pair *p = d->pairs[i];
		__u32 id = p->info.id;

		p->info.weight = s->weight[id];
		p->info.state = s->state[id];
		p->info.base_weight = s->intent[id].base_weight;
		p->info.op_state = s->intent[id].op_state;
		p->info.factor = s->intent[id].factor;
		p->info.health = s->intent[id].health;
		p->info.reason = s->intent[id].reason;
		p->probe.kind = xlbd_probe_conf(d, p)->kind;
	}
	return 0;
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
	/* Only the counters of ids that can hold a pair. */
	d->stats.pairs_read = d->slots.used ? d->slots.used : 1;
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
