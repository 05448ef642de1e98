// SPDX-License-Identifier: GPL-2.0
#include "golden.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlb_hash.h"

static const __u32 golden_weights[GOLDEN_BACKENDS] = { 1, 2, 3, 5, 8, 13 };

void golden_config_load(struct golden_config *g, int which)
{
	memset(g, 0, sizeof(*g));
	g->n_backends = GOLDEN_BACKENDS;
	g->table_size = XLB_TABLE_SIZE_DEFAULT;
	g->vip.port = htons(which ? 53 : 80);
	g->vip.proto = which ? IPPROTO_UDP : IPPROTO_TCP;
	g->vip.family = which ? XLB_FAMILY_V6 : XLB_FAMILY_V4;
	if (which)
		inet_pton(AF_INET6, "fd00:10::1", g->vip.addr.bytes);
	else
		inet_pton(AF_INET, "10.10.0.1", &g->vip.addr.v4);

	for (int i = 0; i < GOLDEN_BACKENDS; i++) {
		struct xlb_maglev_backend *be = &g->backends[i];
		char text[64];

		if (which) {
			snprintf(text, sizeof(text), "fd00:10:1::%d", i + 1);
			inet_pton(AF_INET6, text, be->addr.bytes);
			be->family = XLB_FAMILY_V6;
		} else {
			be->addr.v4 = htonl(0x0a0a0101 + i); /* 10.10.1.1 + i */
			be->family = XLB_FAMILY_V4;
		}
		be->weight = golden_weights[i];
		be->pair = i;
	}
}

struct xlb_flow_key golden_flow(const struct golden_config *g, int i)
{
	struct xlb_flow_key key = {
		.daddr = g->vip.addr,
		.sport = htons(20000 + 37 * i),
		.dport = g->vip.port,
		.proto = g->vip.proto,
		.family = g->vip.family,
	};

	if (g->vip.family == XLB_FAMILY_V6) {
		char text[64];

		snprintf(text, sizeof(text), "2001:db8:%x::%x", i % 7, i + 1);
		inet_pton(AF_INET6, text, key.saddr.bytes);
	} else {
		key.saddr.v4 = htonl(0xc6336400 + i * 3); /* 198.51.100.x */
	}
	return key;
}

void golden_backend_mac(int i, __u8 mac[6])
{
	const __u8 base[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x00 };

	memcpy(mac, base, 6);
	mac[5] = 0x10 + i;
}

__u32 golden_table_digest(const __u16 *table, __u32 size)
{
	__u32 h = 2166136261u; /* FNV-1a */

	for (__u32 s = 0; s < size; s++) {
		h = (h ^ (table[s] & 0xff)) * 16777619u;
		h = (h ^ (table[s] >> 8)) * 16777619u;
	}
	return h;
}

void golden_print(void)
{
	struct golden_config g;
	__u16 *table = malloc(XLB_TABLE_SIZE_DEFAULT * sizeof(*table));

	for (int c = 0; c < GOLDEN_CONFIGS; c++) {
		golden_config_load(&g, c);
		xlb_maglev_build(&g.vip, g.backends, g.n_backends, g.table_size,
				 table);
		printf("config %d digest 0x%08x\nfirst slots:", c,
		       golden_table_digest(table, g.table_size));
		for (int s = 0; s < GOLDEN_FIRST_SLOTS; s++)
			printf(" %u,", table[s]);
		printf("\nflow backends:");
		for (int i = 0; i < GOLDEN_FLOWS; i++) {
			struct xlb_flow_key key = golden_flow(&g, i);
			__u32 h = xlb_flow_hash(&key, GOLDEN_SEED);

			printf(" %u,",
			       table[xlb_hash_to_slot(h, g.table_size)]);
		}
		printf("\n");
	}
	free(table);
}
