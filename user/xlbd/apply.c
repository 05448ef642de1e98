// SPDX-License-Identifier: GPL-2.0
/*
 * apply: the plan's factors and health states through libxlb, under its
 * writer lock. The tick stages every decision in one transaction
 * (xlb_txn_*: nothing written when a check fails, the changed VIPs'
 * tables rebuilt in one batch); a probe's transition writes one pair's
 * state at once and leaves the table to the next tick. In dry run nothing
 * is written; every decision is logged either way.
 */
#include <errno.h>
#include <string.h>

#include "xlbd.h"
#include "cluster.h"

/* The writer lock waits at most this on the probe path: the loop goes on. */
#define PROBE_LOCK_TIMEOUT_MS 100
#define TICK_LOCK_TIMEOUT_MS 300

/*
 * The intent reason: the rule, and the pool bit on a pair the brain
 * activated from the standby pool, so that a restart knows it is the
 * brain's to return and every other active pair the operator's.
 */
static __u32 reason_of(const struct xlb_brain_decision *dec,
		       const struct xlb_brain_pair_out *out)
{
	__u32 r = XLB_BRAIN_REASON_RULE(dec->rule);

	if (out && out->capacity_pool && dec->new_op_state != XLB_OP_STANDBY)
		r |= XLB_BRAIN_REASON_POOL;
	return r;
}

int xlbd_apply_probe(struct xlbd *d, struct xlbd_pair *p,
		     struct xlb_brain_decision *dec)
{
	bool applied = false;
	int ret = 0;

	/* in a cluster: reported, and a follower's rise yields to the leader */
	if (xlbd_cluster_probe(d, p, dec) && !d->cfg.brain.dry_run) {
		ret = xlb_lock(d->xlb, PROBE_LOCK_TIMEOUT_MS);
		if (!ret) {
			ret = xlb_pair_set_brain_id(
				d->xlb, p->info.id, &p->info.vip,
				&p->info.be.addr, p->info.be.family,
				dec->new_factor ? dec->new_factor
						: p->info.factor,
				dec->new_health,
				reason_of(dec, p->have_out ? &p->out : NULL));
			xlb_unlock(d->xlb);
		}
		if (ret) {
			d->apply_errors++;
			xlbd_log(d, "error", "apply %s: %s", p->key,
				 xlb_errmsg());
		} else {
			applied = true;
			p->info.health = dec->new_health;
			if (dec->new_factor)
				p->info.factor = dec->new_factor;
		}
	}
	if (dec->rule < XLB_RULE_N)
		d->decisions_by_rule[dec->rule]++;
	xlbd_decision_log(d, p, dec, applied);
	if (applied)
		xlbd_cluster_tick(d); /* the leader publishes it now */
	return ret;
}

int xlbd_apply_plan(struct xlbd *d)
{
	struct xlb_txn *txn = NULL;
	bool locked = false, ok = true;
	/* a follower applies the leader's state, never its own decisions */
	bool dry = d->cfg.brain.dry_run || !xlbd_cluster_decides(d);
	int ret = 0;

	if (!d->plan.n_decisions)
		return 0;
	if (!dry) {
		ret = xlb_lock(d->xlb, TICK_LOCK_TIMEOUT_MS);
		locked = !ret;
		if (!ret)
			ret = xlb_txn_begin(d->xlb, &txn);
		for (size_t i = 0; !ret && i < d->plan.n_decisions; i++) {
			const struct xlb_brain_decision *dec =
				&d->plan.decisions[i];
			const struct xlbd_pair *p = d->pairs[dec->pair];

			if (dec->new_op_state != dec->old_op_state) {
				struct xlb_backend_spec spec = {
					.addr = p->info.be.addr,
					.family = p->info.be.family,
					.state = dec->new_op_state,
					.set = XLB_SET_STATE,
				};

				ret = xlb_txn_backend_set(txn, &p->info.vip,
							  &spec);
				if (ret)
					break;
			}
			ret = xlb_txn_set_brain_id(
				txn, p->info.id, &p->info.vip, &p->info.be.addr,
				p->info.be.family, dec->new_factor,
				dec->new_health,
				reason_of(dec, &d->plan.pairs[dec->pair]));
		}
		if (!ret)
			ret = xlb_txn_commit(txn);
		if (ret) {
			ok = false;
			d->apply_errors++;
			xlbd_log(d, "error",
				 "apply %zu decisions: %s (nothing written)",
				 d->plan.n_decisions, xlb_errmsg());
		}
		xlb_txn_free(txn);
		if (locked)
			xlb_unlock(d->xlb);
	}
	for (size_t i = 0; i < d->plan.n_decisions; i++) {
		const struct xlb_brain_decision *dec = &d->plan.decisions[i];
		struct xlbd_pair *p = d->pairs[dec->pair];
		bool applied = !dry && ok;

		if (applied) {
			p->info.factor = dec->new_factor;
			p->info.health = dec->new_health;
			p->info.op_state = dec->new_op_state;
		}
		if (dec->rule < XLB_RULE_N)
			d->decisions_by_rule[dec->rule]++;
		xlbd_decision_log(d, p, dec, applied);
	}
	return ret;
}
