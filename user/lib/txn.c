// SPDX-License-Identifier: GPL-2.0
/*
 * Transactions for long-lived writers (xlbd, config apply): the pairs are
 * read once at begin, changes are staged against that copy and validated
 * as they come, and commit checks the whole, writes only the pairs that
 * changed (intent first, state last), then rebuilds the tables of the VIPs
 * they serve in one batch. A write that fails part-way restores the pairs
 * already written to what begin read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

struct xlb_txn {
	struct xlb *xlb;
	struct pair_snapshot snap;	/* as read at begin */
	struct xlb_pair_intent *staged; /* by pair id */
	bool *changed;			/* by pair id */
	struct xlb_vip_entry *vips;
	size_t n_vips;
};

int xlb_txn_begin(struct xlb *xlb, struct xlb_txn **out)
{
	struct xlb_txn *t;
	int err;

	err = xlb_require_lock(xlb, "begin a transaction");
	if (!err)
		err = xlb_verify(xlb); /* the maps are still the pinned ones */
	if (err)
		return err;
	t = calloc(1, sizeof(*t));
	if (!t)
		return xlb_err(ENOMEM, "out of memory");
	t->xlb = xlb;
	err = pair_snapshot_read(xlb, &t->snap);
	if (!err)
		err = vips_read(xlb, &t->vips, &t->n_vips);
	if (!err) {
		t->staged = calloc(t->snap.n + 1, sizeof(*t->staged));
		t->changed = calloc(t->snap.n + 1, sizeof(*t->changed));
		if (!t->staged || !t->changed)
			err = xlb_err(ENOMEM, "out of memory");
	}
	if (err) {
		xlb_txn_free(t);
		return err;
	}
	memcpy(t->staged, t->snap.intent, t->snap.n * sizeof(*t->staged));
	*out = t;
	return 0;
}

void xlb_txn_free(struct xlb_txn *t)
{
	if (!t)
		return;
	pair_snapshot_free(&t->snap);
	free(t->staged);
	free(t->changed);
	free(t->vips);
	free(t);
}

static int txn_pair(struct xlb_txn *t, const struct xlb_vip_key *vip,
		    const union xlb_addr *addr, __u8 family)
{
	char a[XLB_ADDR_STRLEN], v[XLB_VIP_STRLEN];
	__u32 vip_id = XLB_MAX_VIPS;

	for (size_t i = 0; i < t->n_vips; i++)
		if (!xlb_vip_key_cmp(&t->vips[i].key, vip))
			vip_id = t->vips[i].vip.id;
	if (vip_id == XLB_MAX_VIPS)
		return xlb_err(ENOENT, "no VIP %s",
			       xlb_format_vip(vip, v, sizeof(v)));
	for (__u32 i = 0; i < t->snap.n; i++) {
		const struct xlb_backend *be = &t->snap.be[i];

		if ((be->flags & XLB_BACKEND_F_IN_USE) &&
		    be->vip_id == vip_id &&
		    !xlb_addr_cmp(&be->addr, be->family, addr, family))
			return i;
	}
	return xlb_err(ENOENT, "backend %s does not serve VIP %s",
		       xlb_format_addr(addr, family, a, sizeof(a)),
		       xlb_format_vip(vip, v, sizeof(v)));
}

int xlb_txn_backend_set(struct xlb_txn *t, const struct xlb_vip_key *vip,
			const struct xlb_backend_spec *spec)
{
	int err = 0, pair;

	if (spec->set & ~(XLB_SET_WEIGHT | XLB_SET_STATE))
		return xlb_err(EINVAL, "a transaction sets weights and states "
				       "only");
	if (spec->set & XLB_SET_WEIGHT)
		err = xlb_check_weight("weight", spec->weight);
	if (!err && (spec->set & XLB_SET_STATE))
		err = xlb_check_op_state("state", spec->state);
	if (err)
		return err;
	pair = txn_pair(t, vip, &spec->addr, spec->family);
	if (pair < 0)
		return pair;
	if (spec->set & XLB_SET_WEIGHT)
		t->staged[pair].base_weight = spec->weight;
	if (spec->set & XLB_SET_STATE)
		t->staged[pair].op_state = spec->state;
	t->changed[pair] = true;
	return 0;
}

int xlb_txn_set_brain(struct xlb_txn *t, const struct xlb_vip_key *vip,
		      const union xlb_addr *addr, __u8 family, __u32 factor,
		      __u32 health, __u32 reason)
{
	struct timespec now;
	int err, pair;

	err = xlb_check_factor("factor", factor);
	if (!err)
		err = xlb_check_health("health", health);
	if (err)
		return err;
	pair = txn_pair(t, vip, addr, family);
	if (pair < 0)
		return pair;
	clock_gettime(CLOCK_REALTIME, &now);
	t->staged[pair].factor = factor;
	t->staged[pair].health = health;
	t->staged[pair].reason = reason;
	t->staged[pair].changed_s = (__u32)now.tv_sec;
	t->changed[pair] = true;
	return 0;
}

int xlb_txn_set_brain_id(struct xlb_txn *t, __u32 pair,
			 const struct xlb_vip_key *vip,
			 const union xlb_addr *addr, __u8 family, __u32 factor,
			 __u32 health, __u32 reason)
{
	const struct xlb_backend *be = pair < t->snap.n ? &t->snap.be[pair]
							: NULL;
	struct timespec now;
	bool held = false;
	int err;

	err = xlb_check_factor("factor", factor);
	if (!err)
		err = xlb_check_health("health", health);
	if (err)
		return err;
	/* The slot as begin read it holds the pair: no search. */
	for (size_t i = 0; be && i < t->n_vips && !held; i++)
		held = !xlb_vip_key_cmp(&t->vips[i].key, vip) &&
		       (be->flags & XLB_BACKEND_F_IN_USE) &&
		       be->vip_id == t->vips[i].vip.id &&
		       !xlb_addr_cmp(&be->addr, be->family, addr, family);
	if (!held)
		return xlb_txn_set_brain(t, vip, addr, family, factor, health,
					 reason); /* moved, or named missing */
	clock_gettime(CLOCK_REALTIME, &now);
	t->staged[pair].factor = factor;
	t->staged[pair].health = health;
	t->staged[pair].reason = reason;
	t->staged[pair].changed_s = (__u32)now.tv_sec;
	t->changed[pair] = true;
	return 0;
}

/* What a pair was before the transaction wrote it. */
struct undo {
	__u32 pair, weight, state;
	struct xlb_pair_intent in;
};

static void roll_back(struct xlb_txn *t, const struct undo *undo, size_t n)
{
	struct pair_snapshot *s = &t->snap;

	for (size_t k = 0; k < n; k++) {
		struct xlb_pair_intent in = undo[k].in;
		__u32 i = undo[k].pair;

		pair_publish(t->xlb, i, &in, true, true);
		s->intent[i] = undo[k].in;
		s->weight[i] = undo[k].weight;
		s->state[i] = undo[k].state;
	}
	table_commit_from(t->xlb, s, t->vips, t->n_vips);
}

int xlb_txn_commit(struct xlb_txn *t)
{
	struct pair_snapshot *s = &t->snap;
	struct undo *undo;
	size_t n_undo = 0;
	char msg[512];
	int err = 0;

	/* Everything checked before the first write. */
	for (__u32 i = 0; i < s->n && !err; i++)
		if (t->changed[i])
			err = intent_check(&t->staged[i], i);
	for (size_t v = 0; v < t->n_vips && !err; v++)
		err = table_check_pairs(s, &t->vips[v].key, t->vips[v].vip.id);
	if (err)
		return err;
	undo = calloc(s->n + 1, sizeof(*undo));
	if (!undo)
		return xlb_err(ENOMEM, "out of memory");
	for (__u32 i = 0; i < s->n && !err; i++) {
		struct xlb_pair_intent in = t->staged[i];

		if (!t->changed[i] || !memcmp(&in, &s->intent[i], sizeof(in)))
			continue;
		err = pair_publish(t->xlb, i, &in, true, true);
		if (err)
			break;
		/* The snapshot follows the maps: the tables need no read. */
		undo[n_undo++] = (struct undo){ i, s->weight[i], s->state[i],
						s->intent[i] };
		t->staged[i] = s->intent[i] = in;
		s->weight[i] = in.pub_weight;
		s->state[i] = in.pub_state;
		vip_mark_dirty(t->xlb, s->be[i].vip_id);
	}
	if (!err)
		err = table_commit_from(t->xlb, s, t->vips, t->n_vips);
	if (err) {
		snprintf(msg, sizeof(msg), "%s", xlb_errmsg());
		roll_back(t, undo, n_undo);
		free(undo);
		return xlb_err(-err, "%s (the transaction was rolled back)",
			       msg);
	}
	free(undo);
	memset(t->changed, 0, s->n * sizeof(*t->changed));
	return 0;
}
