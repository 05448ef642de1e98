// SPDX-License-Identifier: GPL-2.0
#include <math.h>

#include "internal.h"

__u32 brain_factor_fixed(double f)
{
	double x = round(f * XLB_FACTOR_ONE);

	if (!(x >= 1))
		return 1;
	return x > XLB_FACTOR_MAX ? XLB_FACTOR_MAX : (__u32)x;
}

double brain_slow_start_mult(const struct xlb_brain_config *cfg, double since,
			     double now)
{
	double t;

	if (!isfinite(since) || cfg->slow_start_s <= 0)
		return 1.0;
	t = (now - since) / cfg->slow_start_s;
	if (t >= 1)
		return 1.0;
	if (t < 0)
		t = 0;
	t = pow(t, 1.0 / cfg->slow_start_aggression);
	return t > cfg->slow_start_from ? t : cfg->slow_start_from;
}

void brain_guardrails(struct xlb_brain *brain,
		      const struct xlb_brain_snapshot *snap,
		      struct xlb_brain_plan *plan)
{
	(void)brain;
	(void)snap;
	(void)plan;
}
