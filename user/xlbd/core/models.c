// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>

#include "internal.h"

int brain_models_alloc(struct xlb_brain *brain, struct brain_pair *p)
{
	(void)brain;
	p->cost = NAN;
	p->cost_ratio = NAN;
	p->predicted_util = NAN;
	return 0;
}

void brain_models_free(struct brain_pair *p)
{
	(void)p;
}

int brain_models_init(struct xlb_brain *brain)
{
	brain->train = calloc(BRAIN_TRAIN_ROWS * FEAT_N, sizeof(double));
	return brain->train ? 0 : -12;
}

void brain_models_fini(struct xlb_brain *brain)
{
	free(brain->train);
}

int brain_vip_models_init(struct xlb_brain *brain, struct brain_vip *v)
{
	(void)brain;
	(void)v;
	return 0;
}

void brain_models(struct xlb_brain *brain,
		  const struct xlb_brain_snapshot *snap)
{
	(void)brain;
	(void)snap;
}
