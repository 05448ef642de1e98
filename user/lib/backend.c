// SPDX-License-Identifier: GPL-2.0
/* (VIP, backend) pairs: each with its own weight, state and counters. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "internal.h"

static int spec_check(const struct xlb_backend_spec *spec, bool adding)
{
	int err = xlb_check_family("backend", spec->family);

	if (!err && (adding || (spec->set & XLB_SET_WEIGHT)))
		err = xlb_check_weight("weight", spec->weight);
	if (!err && (adding || (spec->set & XLB_SET_STATE)))
		err = xlb_check_op_state("state", spec->state);
	if (!err && (adding || (spec->set & XLB_SET_MAC)))
		err = xlb_check_mac("backend MAC", spec->mac);
	return err;
}

/* The in-use pair of (vip_id, addr), or -1. */
static int pair_find(const struct pair_snapshot *snap, __u32 vip_id,
		     const union xlb_addr *addr, __u8 family)
{
	for (__u32 i = 0; i < snap->n; i++) {
		const struct xlb_backend *be = &snap->be[i];

		if ((be->flags & XLB_BACKEND_F_IN_USE) &&
		    be->vip_id == vip_id &&
		    !xlb_addr_cmp(&be->addr, be->family, addr, family))
			return i;
	}
	return -1;
}

static int not_found(const struct xlb_vip_key *vip, const union xlb_addr *addr,
		     __u8 family)
{
	char a[XLB_ADDR_STRLEN], v[XLB_VIP_STRLEN];

	return xlb_err(ENOENT, "backend %s does not serve VIP %s",
		       xlb_format_addr(addr, family, a, sizeof(a)),
		       xlb_format_vip(vip, v, sizeof(v)));
}

/*
 * What every pair operation starts with: the lock, its VIP, the pairs, and
 * a check that the VIP's table can be rebuilt (no value out of range left
 * by a hand edit), so that a command whose commit would fail writes nothing.
 */
static int pair_op_begin(struct xlb *xlb, const char *what,
			 const struct xlb_vip_key *vip_key, struct xlb_vip *vip,
			 struct pair_snapshot *snap)
{
	int err = xlb_require_lock(xlb, what);

	if (!err)
		err = xlb_vip_get(xlb, vip_key, vip);
	if (!err)
		err = pair_snapshot_read(xlb, snap);
	if (!err) {
		err = table_check_pairs(snap, vip_key, vip->id);
		if (err)
			pair_snapshot_free(snap);
	}
	return err;
}

static int write_scalar(struct xlb *xlb, enum xlb_map_id map, __u32 pair,
			__u32 value)
{
	if (bpf_map_update_elem(xlb->fds[map], &pair, &value, BPF_ANY))
		return xlb_errno(errno, "write %s[%u]", xlb_map_names[map],
				 pair);
	pair_cache_put_scalar(xlb, map, pair, value);
	return 0;
}

static int write_intent(struct xlb *xlb, __u32 pair,
			const struct xlb_pair_intent *in)
{
	if (bpf_map_update_elem(xlb->fds[MAP_PAIR_INTENT], &pair, in, BPF_ANY))
		return xlb_errno(errno, "write %s[%u]", XLB_MAP_PAIR_INTENT,
				 pair);
	pair_cache_put_intent(xlb, pair, in);
	return 0;
}

/*
 * Writes a pair's new intent and the effective values it composes to: the
 * weight when weight is set, the state when state is. Three steps, so that
 * a writer killed at any point leaves what sync can finish: the intent with
 * the old published values (it now composes to something else, which sync
 * recomputes), the maps (the state last: the data plane acts on it alone),
 * then the intent with the new published values.
 */
int pair_publish(struct xlb *xlb, __u32 pair, struct xlb_pair_intent *in,
		 bool weight, bool state)
{
	int err;

	err = write_intent(xlb, pair, in);
	if (weight)
		in->pub_weight = intent_weight(in);
	if (state)
		in->pub_state = intent_state(in);
	if (!err && weight)
		err = write_scalar(xlb, MAP_BE_WEIGHT, pair, in->pub_weight);
	if (!err && state)
		err = write_scalar(xlb, MAP_BE_STATE, pair, in->pub_state);
	if (!err)
		err = write_intent(xlb, pair, in);
	return err;
}

int xlb_backend_add(struct xlb *xlb, const struct xlb_vip_key *vip_key,
		    const struct xlb_backend_spec *spec)
{
	char a[XLB_ADDR_STRLEN], v[XLB_VIP_STRLEN];
	struct xlb_pair_intent in;
	struct pair_snapshot snap;
	struct xlb_backend be;
	struct xlb_vip vip;
	__u32 serving = 0;
	int err, pair = -1;

	err = spec_check(spec, true);
	if (!err)
		err = pair_op_begin(xlb, "backend add", vip_key, &vip, &snap);
	if (err)
		return err;
	xlb_format_addr(&spec->addr, spec->family, a, sizeof(a));
	xlb_format_vip(vip_key, v, sizeof(v));

	if (pair_find(&snap, vip.id, &spec->addr, spec->family) >= 0) {
		err = xlb_err(EEXIST, "backend %s already serves VIP %s", a, v);
		goto out;
	}
	for (__u32 i = 0; i < snap.n; i++) {
		if (!(snap.be[i].flags & XLB_BACKEND_F_IN_USE)) {
			if (pair < 0)
				pair = i;
		} else if (snap.be[i].vip_id == vip.id) {
			serving++;
		}
	}
	if (serving >= vip.table_size) {
		err = xlb_err(ENOSPC,
			      "VIP %s has %u table slots: no room for "
			      "another backend",
			      v, vip.table_size);
		goto out;
	}
	if (pair < 0) {
		err = xlb_err(ENOSPC, "all %u backend slots are in use",
			      snap.n);
		goto out;
	}

	be = (struct xlb_backend){
		.addr = spec->addr,
		.vip_id = vip.id,
		.gen = snap.be[pair].gen + 1,
		.family = spec->family,
		/* The VIP's forwarding mode travels with each pair. */
		.flags = XLB_BACKEND_F_IN_USE | (vip.flags & XLB_VIP_MODE_MASK),
	};
	memcpy(be.mac, spec->mac, sizeof(be.mac));
	/* What a free slot holds: published as weight 0, down. */
	in = (struct xlb_pair_intent){
		.base_weight = spec->weight,
		.op_state = spec->state,
		.factor = XLB_FACTOR_ONE,
		.health = XLB_HEALTH_OK,
		.pub_state = XLB_STATE_DOWN,
	};
	/*
	 * Publish order: the slot's state is down (it is free), then counters
	 * and the pair entry, then weight and state (the state last: it is the
	 * publish bit, so no packet acts on a half-written pair). A writer
	 * killed part-way leaves an intent that sync carries out.
	 */
	err = write_scalar(xlb, MAP_BE_STATE, pair, XLB_STATE_DOWN);
	if (!err)
		err = write_intent(xlb, pair, &in);
	if (!err)
		err = percpu_zero(xlb, xlb->fds[MAP_BE_STATS], pair,
				  sizeof(struct xlb_pair_counters));
	if (!err &&
	    bpf_map_update_elem(xlb->fds[MAP_BACKENDS], &pair, &be, BPF_ANY))
		err = xlb_errno(errno, "add backend %s to VIP %s", a, v);
	else if (!err)
		pair_cache_put_be(xlb, pair, &be);
	if (!err)
		err = pair_publish(xlb, pair, &in, true, true);
	if (!err)
		vip_mark_dirty(xlb, vip.id);
out:
	pair_snapshot_free(&snap);
	return err;
}

int xlb_backend_set(struct xlb *xlb, const struct xlb_vip_key *vip_key,
		    const struct xlb_backend_spec *spec)
{
	struct xlb_pair_intent in;
	struct pair_snapshot snap;
	struct xlb_vip vip;
	int err, pair;

	err = spec_check(spec, false);
	if (!err)
		err = pair_op_begin(xlb, "backend set", vip_key, &vip, &snap);
	if (err)
		return err;
	pair = pair_find(&snap, vip.id, &spec->addr, spec->family);
	if (pair < 0) {
		err = not_found(vip_key, &spec->addr, spec->family);
		goto out;
	}
	/* Everything is checked: from here on only writes. MAC first. */
	if (spec->set & XLB_SET_MAC) {
		struct xlb_backend be = snap.be[pair];

		memcpy(be.mac, spec->mac, sizeof(be.mac));
		err = pair_word_write(xlb, pair, &be);
	}
	in = snap.intent[pair];
	if (spec->set & XLB_SET_WEIGHT)
		in.base_weight = spec->weight;
	if (spec->set & XLB_SET_STATE)
		in.op_state = spec->state;
	if (!err && (spec->set & (XLB_SET_WEIGHT | XLB_SET_STATE)))
		err = pair_publish(xlb, pair, &in, spec->set & XLB_SET_WEIGHT,
				   spec->set & XLB_SET_STATE);
	if (!err)
		vip_mark_dirty(xlb, vip.id);
out:
	pair_snapshot_free(&snap);
	return err;
}

static int brain_args_check(__u8 family, __u32 factor, __u32 health)
{
	int err = xlb_check_family("backend", family);

	if (!err)
		err = xlb_check_factor("factor", factor);
	if (!err)
		err = xlb_check_health("health", health);
	return err;
}

int xlb_pair_set_brain(struct xlb *xlb, const struct xlb_vip_key *vip_key,
		       const union xlb_addr *addr, __u8 family, __u32 factor,
		       __u32 health, __u32 reason)
{
	struct xlb_pair_intent in;
	struct pair_snapshot snap;
	struct xlb_vip vip;
	struct timespec now;
	int err, pair;

	err = brain_args_check(family, factor, health);
	if (!err)
		err = pair_op_begin(xlb, "set brain state", vip_key, &vip,
				    &snap);
	if (err)
		return err;
	pair = pair_find(&snap, vip.id, addr, family);
	if (pair < 0) {
		err = not_found(vip_key, addr, family);
		goto out;
	}
	in = snap.intent[pair];
	in.factor = factor;
	in.health = health;
	in.reason = reason;
	clock_gettime(CLOCK_REALTIME, &now);
	in.changed_s = (__u32)now.tv_sec;
	err = pair_publish(xlb, pair, &in, true, true);
	if (!err)
		vip_mark_dirty(xlb, vip.id);
out:
	pair_snapshot_free(&snap);
	return err;
}

/* The slot's entry when it holds the pair (vip_id, addr), else -ENOENT. */
static int pair_at(struct xlb *xlb, __u32 pair, __u32 vip_id,
		   const union xlb_addr *addr, __u8 family,
		   struct xlb_backend *be)
{
	if (pair >= xlb->meta.max_backends)
		return -ENOENT;
	if (bpf_map_lookup_elem(xlb->fds[MAP_BACKENDS], &pair, be))
		return xlb_errno(errno, "read %s[%u]", XLB_MAP_BACKENDS, pair);
	if (!(be->flags & XLB_BACKEND_F_IN_USE) || be->vip_id != vip_id ||
	    xlb_addr_cmp(&be->addr, be->family, addr, family))
		return -ENOENT;
	return 0;
}

int xlb_pair_set_brain_id(struct xlb *xlb, __u32 pair,
			  const struct xlb_vip_key *vip_key,
			  const union xlb_addr *addr, __u8 family, __u32 factor,
			  __u32 health, __u32 reason)
{
	struct xlb_pair_intent in;
	struct xlb_backend be;
	struct xlb_vip vip;
	struct timespec now;
	int err;

	err = brain_args_check(family, factor, health);
	if (!err)
		err = xlb_require_lock(xlb, "set brain state");
	if (!err)
		err = xlb_vip_get(xlb, vip_key, &vip);
	if (err)
		return err;
	err = pair_at(xlb, pair, vip.id, addr, family, &be);
	if (err == -ENOENT) /* moved, or named missing */
		return xlb_pair_set_brain(xlb, vip_key, addr, family, factor,
					  health, reason);
	if (err)
		return err;
	if (bpf_map_lookup_elem(xlb->fds[MAP_PAIR_INTENT], &pair, &in))
		return xlb_errno(errno, "read %s[%u]", XLB_MAP_PAIR_INTENT,
				 pair);
	in.factor = factor;
	in.health = health;
	in.reason = reason;
	clock_gettime(CLOCK_REALTIME, &now);
	in.changed_s = (__u32)now.tv_sec;
	/* This pair's values in range: what the next rebuild needs of it. */
	err = intent_check(&in, pair);
	if (!err)
		err = pair_publish(xlb, pair, &in, true, true);
	if (!err)
		vip_mark_dirty(xlb, vip.id);
	return err;
}

int xlb_backend_del(struct xlb *xlb, const struct xlb_vip_key *vip_key,
		    const union xlb_addr *addr, __u8 family)
{
	struct pair_snapshot snap;
	struct xlb_vip vip;
	int err, pair;

	err = pair_op_begin(xlb, "backend del", vip_key, &vip, &snap);
	if (err)
		return err;
	pair = pair_find(&snap, vip.id, addr, family);
	if (pair < 0) {
		err = not_found(vip_key, addr, family);
		goto out;
	}
	err = pair_release(xlb, pair, &snap.be[pair]);
	if (!err)
		vip_mark_dirty(xlb, vip.id);
out:
	pair_snapshot_free(&snap);
	return err;
}

/*
 * Unpublish order: the state down first (its flows move now, before the
 * slot is released), then the entry, weight and intent.
 */
int pair_release(struct xlb *xlb, __u32 pair, const struct xlb_backend *old)
{
	struct xlb_pair_intent none = {};
	struct xlb_backend be = *old;
	int err;

	err = write_scalar(xlb, MAP_BE_STATE, pair, XLB_STATE_DOWN);
	if (!err) {
		be.flags = 0; /* gen stays: the next user bumps it */
		if (bpf_map_update_elem(xlb->fds[MAP_BACKENDS], &pair, &be,
					BPF_ANY))
			err = xlb_errno(errno, "release pair %u", pair);
		else
			pair_cache_put_be(xlb, pair, &be);
	}
	if (!err)
		err = write_scalar(xlb, MAP_BE_WEIGHT, pair, 0);
	if (!err)
		err = write_intent(xlb, pair, &none);
	return err;
}

static int pair_info_cmp(const void *a, const void *b)
{
	const struct xlb_pair_info *x = a, *y = b;
	int c = xlb_vip_key_cmp(&x->vip, &y->vip);

	if (c)
		return c;
	return xlb_addr_cmp(&x->be.addr, x->be.family, &y->be.addr,
			    y->be.family);
}

int xlb_backend_list(struct xlb *xlb, const struct xlb_vip_key *vip_key,
		     struct xlb_pair_info **out, size_t *n)
{
	struct xlb_vip_entry *vips;
	struct xlb_pair_info *list;
	struct pair_snapshot snap;
	size_t n_vips, count = 0;
	int err;

	err = pair_snapshot_read(xlb, &snap);
	if (err)
		return err;
	err = vips_read(xlb, &vips, &n_vips);
	if (err)
		goto out_snap;
	list = calloc(snap.n + 1, sizeof(*list));
	if (!list) {
		err = xlb_err(ENOMEM, "out of memory");
		goto out_vips;
	}
	for (size_t v = 0; v < n_vips; v++) {
		if (vip_key && xlb_vip_key_cmp(vip_key, &vips[v].key))
			continue;
		for (__u32 i = 0; i < snap.n; i++) {
			if (!(snap.be[i].flags & XLB_BACKEND_F_IN_USE) ||
			    snap.be[i].vip_id != vips[v].vip.id)
				continue;
			list[count++] = (struct xlb_pair_info){
				.id = i,
				.vip = vips[v].key,
				.be = snap.be[i],
				.weight = snap.weight[i],
				.state = snap.state[i],
				.base_weight = snap.intent[i].base_weight,
				.op_state = snap.intent[i].op_state,
				.factor = snap.intent[i].factor,
				.health = snap.intent[i].health,
				.reason = snap.intent[i].reason,
			};
		}
	}
	qsort(list, count, sizeof(*list), pair_info_cmp);
	*out = list;
	*n = count;
out_vips:
	free(vips);
out_snap:
	pair_snapshot_free(&snap);
	return err;
}

int xlb_slots_read(struct xlb *xlb, struct xlb_slots *s)
{
	struct xlb_vip_key key, next, *prev = NULL;
	__u32 n = xlb->meta.max_backends;
	int err;

	if (!s->be) {
		memset(s, 0, sizeof(*s));
		s->n = n;
		s->max_vips = xlb->meta.max_vips;
		s->be = calloc(n, sizeof(*s->be));
		s->weight = calloc(n, sizeof(*s->weight));
		s->state = calloc(n, sizeof(*s->state));
		s->intent = calloc(n, sizeof(*s->intent));
		s->keys = calloc(n, sizeof(*s->keys));
		s->vips = calloc(s->max_vips + 1, sizeof(*s->vips));
		if (!s->be || !s->weight || !s->state || !s->intent ||
		    !s->keys || !s->vips) {
			xlb_slots_free(s);
			return xlb_err(ENOMEM, "out of memory");
		}
	}
	if (s->n != n)
		return xlb_err(EINVAL, "slots read from another instance");
	/* The part where pairs can be (struct xlb_slots says why). */
	if (s->reads++ % XLB_SLOTS_FULL_EVERY && s->used + XLB_SLOTS_MARGIN < n)
		n = s->used + XLB_SLOTS_MARGIN;
	err = array_read_all_keys(xlb->fds[MAP_BACKENDS], n, sizeof(*s->be),
				  s->be, s->keys);
	if (!err)
		err = array_read_all_keys(xlb->fds[MAP_BE_WEIGHT], n,
					  sizeof(*s->weight), s->weight,
					  s->keys);
	if (!err)
		err = array_read_all_keys(xlb->fds[MAP_BE_STATE], n,
					  sizeof(*s->state), s->state, s->keys);
	if (!err)
		err = array_read_all_keys(xlb->fds[MAP_PAIR_INTENT], n,
					  sizeof(*s->intent), s->intent,
					  s->keys);
	if (err)
		return err;
	if (n == s->n)
		s->used = 0;
	for (__u32 i = n; i-- > s->used;)
		if (s->be[i].flags & XLB_BACKEND_F_IN_USE) {
			s->used = i + 1;
			break;
		}
	s->n_vips = 0;
	while (s->n_vips < s->max_vips &&
	       !bpf_map_get_next_key(xlb->fds[MAP_VIPS], prev, &next)) {
		struct xlb_vip_entry *e = &s->vips[s->n_vips];

		key = next;
		prev = &key;
		/* Deleted between the two calls: skip it. */
		if (bpf_map_lookup_elem(xlb->fds[MAP_VIPS], &key, &e->vip))
			continue;
		e->key = key;
		e->table_stale = false;
		s->n_vips++;
	}
	return 0;
}

void xlb_slots_free(struct xlb_slots *s)
{
	free(s->be);
	free(s->weight);
	free(s->state);
	free(s->intent);
	free(s->keys);
	free(s->vips);
	memset(s, 0, sizeof(*s));
}
