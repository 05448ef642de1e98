// SPDX-License-Identifier: GPL-2.0
/*
 * Committed golden values (XLB_GOLDEN_PRINT=1 build/tests/unit/maglev_test
 * prints fresh ones). Change them only with a deliberate change of the hash
 * or the table builder, and say so in the commit: every flow on every LB host
 * moves when these change.
 */
#include "golden.h"

const __u16 golden_first_slots[GOLDEN_CONFIGS][GOLDEN_FIRST_SLOTS] = {
	{ 4, 2, 4, 5, 4, 5, 3, 4, 5, 1, 3, 0, 5, 3, 5, 4,
	  2, 5, 5, 4, 3, 2, 5, 4, 1, 4, 2, 4, 5, 5, 4, 5 },
	{ 4, 3, 3, 3, 4, 4, 5, 5, 5, 3, 4, 2, 5, 5, 5, 4,
	  1, 5, 1, 5, 5, 4, 1, 2, 1, 4, 4, 5, 1, 4, 4, 4 },
};

const __u32 golden_digest[GOLDEN_CONFIGS] = { 0xba6df448, 0x1048e120 };

const __u8 golden_flow_backend[GOLDEN_CONFIGS][GOLDEN_FLOWS] = {
	{ 5, 4, 4, 5, 5, 4, 4, 5, 2, 0, 3, 4, 3, 5, 1, 3, 3, 5, 2, 5, 5, 3,
	  4, 4, 2, 5, 5, 5, 5, 2, 5, 5, 5, 3, 5, 5, 5, 5, 0, 5, 4, 4, 4, 5,
	  1, 1, 5, 5, 3, 5, 4, 5, 3, 5, 5, 3, 5, 4, 5, 2, 2, 1, 5, 3 },
	{ 5, 3, 2, 5, 4, 5, 5, 5, 5, 5, 4, 3, 1, 3, 4, 4, 5, 2, 5, 4, 5, 5,
	  5, 4, 4, 3, 4, 1, 5, 4, 4, 5, 5, 5, 5, 4, 4, 5, 4, 4, 2, 5, 4, 2,
	  3, 4, 4, 0, 5, 1, 5, 4, 4, 5, 1, 5, 5, 2, 1, 3, 5, 5, 5, 5 },
};
