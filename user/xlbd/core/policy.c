// SPDX-License-Identifier: GPL-2.0
#include "internal.h"

void brain_policy(struct xlb_brain *brain,
		  const struct xlb_brain_snapshot *snap,
		  struct xlb_brain_plan *plan)
{
	(void)brain;
	(void)snap;
	(void)plan;
}
