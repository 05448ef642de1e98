// SPDX-License-Identifier: GPL-2.0
/*
 * The one set of rules for values that reach the maps, whatever their source
 * (command line, config file, xlbd, a hand edit read back): table size,
 * weight, operator state, MAC, family, brain factor and health. Each check
 * returns 0 or a negative errno whose message starts with the caller's name
 * for the value: "weight 20000 is out of range [0, 10000]", or with a config
 * path, "vips[1].backends[0].weight: 20000 is out of range [0, 10000]".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "maglev.h"

int xlb_check_table_size(const char *what, __u32 size)
{
	if (size < XLB_TABLE_SIZE_MIN || size > XLB_TABLE_SIZE_MAX ||
	    !xlb_is_prime(size))
		return xlb_err(EINVAL, "%s %u is not a prime in [%u, %u]", what,
			       size, XLB_TABLE_SIZE_MIN, XLB_TABLE_SIZE_MAX);
	return 0;
}

int xlb_check_weight(const char *what, __u32 weight)
{
	if (weight > XLB_WEIGHT_MAX)
		return xlb_err(ERANGE, "%s %u is out of range [0, %u]", what,
			       weight, XLB_WEIGHT_MAX);
	return 0;
}

int xlb_check_op_state(const char *what, __u32 state)
{
	if (state != XLB_OP_ACTIVE && state != XLB_OP_DRAINING &&
	    state != XLB_OP_DOWN && state != XLB_OP_STANDBY)
		return xlb_err(EINVAL,
			       "%s %u is not active, draining, down or standby",
			       what, state);
	return 0;
}

int xlb_check_mac(const char *what, const __u8 mac[6])
{
	static const __u8 zero[6];
	char text[XLB_MAC_STRLEN];

	if (!memcmp(mac, zero, 6) || (mac[0] & 1))
		return xlb_err(EINVAL, "%s %s is not a unicast MAC", what,
			       xlb_format_mac(mac, text, sizeof(text)));
	return 0;
}

int xlb_check_family(const char *what, __u8 family)
{
	if (family != XLB_FAMILY_V4 && family != XLB_FAMILY_V6)
		return xlb_err(EINVAL, "%s family %u is not 4 or 6", what,
			       family);
	return 0;
}

int xlb_check_factor(const char *what, __u32 factor)
{
	if (factor < 1 || factor > XLB_FACTOR_MAX)
		return xlb_err(ERANGE, "%s %u is out of range [1, %u]", what,
			       factor, XLB_FACTOR_MAX);
	return 0;
}

int xlb_check_health(const char *what, __u32 health)
{
	if (health != XLB_HEALTH_OK && health != XLB_HEALTH_DRAINING &&
	    health != XLB_HEALTH_DOWN)
		return xlb_err(EINVAL,
			       "%s %u is not ok (0), draining (1) or "
			       "down (2)",
			       what, health);
	return 0;
}

bool intent_valid(const struct xlb_pair_intent *in)
{
	return in->base_weight <= XLB_WEIGHT_MAX &&
	       (in->op_state == XLB_OP_ACTIVE ||
		in->op_state == XLB_OP_DRAINING ||
		in->op_state == XLB_OP_DOWN ||
		in->op_state == XLB_OP_STANDBY) &&
	       in->factor >= 1 && in->factor <= XLB_FACTOR_MAX &&
	       (in->health == XLB_HEALTH_OK ||
		in->health == XLB_HEALTH_DRAINING ||
		in->health == XLB_HEALTH_DOWN);
}

int intent_check(const struct xlb_pair_intent *in, __u32 pair)
{
	char what[64];
	int err;

	if (intent_valid(in))
		return 0; /* the names are formatted for an error only */

	snprintf(what, sizeof(what), "%s[%u].base_weight", XLB_MAP_PAIR_INTENT,
		 pair);
	err = xlb_check_weight(what, in->base_weight);
	if (!err) {
		snprintf(what, sizeof(what), "%s[%u].op_state",
			 XLB_MAP_PAIR_INTENT, pair);
		err = xlb_check_op_state(what, in->op_state);
	}
	if (!err) {
		snprintf(what, sizeof(what), "%s[%u].factor",
			 XLB_MAP_PAIR_INTENT, pair);
		err = xlb_check_factor(what, in->factor);
	}
	if (!err) {
		snprintf(what, sizeof(what), "%s[%u].health",
			 XLB_MAP_PAIR_INTENT, pair);
		err = xlb_check_health(what, in->health);
	}
	return err;
}
