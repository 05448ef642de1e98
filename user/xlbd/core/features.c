// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>

#include "internal.h"

int brain_features_alloc(struct xlb_brain *brain, struct brain_pair *p)
{
	(void)brain;
	for (int s = 0; s < SIG_N; s++)
		p->sig[s].value = NAN;
	return 0;
}

void brain_features_free(struct brain_pair *p)
{
	(void)p;
}

void brain_features(struct xlb_brain *brain,
		    const struct xlb_brain_snapshot *snap, double dt)
{
	(void)brain;
	(void)snap;
	(void)dt;
}
