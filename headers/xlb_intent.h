/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Two kinds of state per (VIP, backend) pair, never confused: the operator's
 * intent (base weight, operator state) and the brain's opinion (a weight
 * factor and a health state). The data plane reads only their product, in
 * xlb_be_weight and xlb_be_state; the intent lives in the user-space-only
 * map xlb_pair_intent so that it survives any process and bpftool shows it.
 * These inline functions are the one composition rule, used by libxlb, xlbd
 * and the fleet simulator alike.
 */
#ifndef XLB_INTENT_H
#define XLB_INTENT_H

#include "xlb_types.h"
#include "xlb_limits.h"

/* Operator states. The first three equal enum xlb_backend_state. */
enum xlb_op_state {
	XLB_OP_DOWN = 0,
	XLB_OP_ACTIVE = 1,
	XLB_OP_DRAINING = 2,
	XLB_OP_STANDBY =
		3, /* a spare: down in the data plane until activated */
};

/* The brain's health state of a pair. */
enum xlb_health {
	XLB_HEALTH_OK = 0,
	XLB_HEALTH_DRAINING = 1, /* anomaly: keeps its flows, takes no new */
	XLB_HEALTH_DOWN = 2,	 /* probe failures: takes nothing */
};

/* Factors are fixed point: XLB_FACTOR_ONE is 1.0. */
#define XLB_FACTOR_ONE 1000u
#define XLB_FACTOR_MAX 10000u

/* xlb_pair_intent value, by pair id (not read by the BPF program). */
struct xlb_pair_intent {
	__u32 base_weight; /* the operator's weight */
	__u32 op_state;	   /* enum xlb_op_state */
	__u32 factor;	   /* the brain's factor, XLB_FACTOR_ONE without one */
	__u32 health;	   /* enum xlb_health */
	__u32 reason;	   /* the brain's last rule (xlbd's enum), 0: none */
	__u32 changed_s;   /* CLOCK_REALTIME seconds of the last brain write */
	/*
	 * What libxlb last wrote to xlb_be_weight and xlb_be_state from the
	 * fields above. xlbctl sync compares: intent composing to other
	 * values was edited by hand and is recomputed into the maps; maps
	 * other than these were edited by hand and (with no brain opinion:
	 * factor 1.0, health ok) become the operator's intent.
	 */
	__u32 pub_weight;
	__u32 pub_state;
};

_Static_assert(sizeof(struct xlb_pair_intent) == 32, "struct xlb_pair_intent "
						     "size changed: bump "
						     "XLB_LAYOUT_VERSION");

/* The weight the data plane uses: base x factor, rounded, capped. */
static inline __u32 xlb_effective_weight(__u32 base, __u32 factor)
{
	__u64 w = ((__u64)base * factor + XLB_FACTOR_ONE / 2) / XLB_FACTOR_ONE;

	if (base && factor && w == 0)
		w = 1; /* a factor never takes a pair's last share away */
	return w > XLB_WEIGHT_MAX ? XLB_WEIGHT_MAX : (__u32)w;
}

/*
 * The state the data plane uses: the stricter of the two. The brain never
 * undoes an operator's drain or down; a standby pair is down.
 */
static inline __u32 xlb_effective_state(__u32 op_state, __u32 health)
{
	if (op_state == XLB_OP_DOWN || op_state == XLB_OP_STANDBY ||
	    health == XLB_HEALTH_DOWN)
		return 0; /* XLB_STATE_DOWN */
	if (op_state == XLB_OP_DRAINING || health == XLB_HEALTH_DRAINING)
		return 2; /* XLB_STATE_DRAINING */
	if (op_state == XLB_OP_ACTIVE)
		return 1; /* XLB_STATE_ACTIVE */
	return 0;	  /* unknown values read as down */
}

#endif
