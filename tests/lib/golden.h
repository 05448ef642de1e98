/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Golden vectors: two fixed configurations (an IPv4 TCP VIP and an IPv6 UDP
 * VIP) with the table the library must build and the backend each of a set
 * of flows must reach. The unit tests check the library against them, the
 * BPF tests check the program against the same values, so neither side can
 * drift, alone or together, without a test failing.
 */
#ifndef XLB_GOLDEN_H
#define XLB_GOLDEN_H

#include "maglev.h"
#include "xlb_structs.h"

#define GOLDEN_CONFIGS 2 /* 0: IPv4 TCP, 1: IPv6 UDP */
#define GOLDEN_BACKENDS 6
#define GOLDEN_FLOWS 64
#define GOLDEN_FIRST_SLOTS 32
#define GOLDEN_SEED 0x5eed1234u

struct golden_config {
	struct xlb_vip_key vip;
	struct xlb_maglev_backend backends[GOLDEN_BACKENDS]; /* pair = index */
	size_t n_backends;
	__u32 table_size;
};

void golden_config_load(struct golden_config *g, int which);
/* Flow i towards the configuration's VIP. */
struct xlb_flow_key golden_flow(const struct golden_config *g, int i);
/* The MAC the BPF tests give backend index i. */
void golden_backend_mac(int i, __u8 mac[6]);
__u32 golden_table_digest(const __u16 *table, __u32 size);
/* Prints the values below, freshly computed, as C. */
void golden_print(void);

extern const __u16 golden_first_slots[GOLDEN_CONFIGS][GOLDEN_FIRST_SLOTS];
extern const __u32 golden_digest[GOLDEN_CONFIGS];
extern const __u8 golden_flow_backend[GOLDEN_CONFIGS][GOLDEN_FLOWS];

#endif
