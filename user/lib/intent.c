// SPDX-License-Identifier: GPL-2.0
/*
 * Operator intent and brain opinion per pair (xlb_pair_intent), composed into
 * what the data plane reads (xlb_be_weight, xlb_be_state) by the rules of
 * xlb_intent.h.
 */
#include <errno.h>

#include "internal.h"

__u32 intent_weight(const struct xlb_pair_intent *in)
{
	return xlb_effective_weight(in->base_weight, in->factor);
}

__u32 intent_state(const struct xlb_pair_intent *in)
{
	return xlb_effective_state(in->op_state, in->health);
}

const char *xlb_op_state_name(__u32 op_state)
{
	switch (op_state) {
	case XLB_OP_ACTIVE:
		return "active";
	case XLB_OP_DRAINING:
		return "draining";
	case XLB_OP_DOWN:
		return "down";
	case XLB_OP_STANDBY:
		return "standby";
	default:
		return "unknown";
	}
}

const char *xlb_health_name(__u32 health)
{
	switch (health) {
	case XLB_HEALTH_OK:
		return "ok";
	case XLB_HEALTH_DRAINING:
		return "draining";
	case XLB_HEALTH_DOWN:
		return "down";
	default:
		return "unknown";
	}
}
