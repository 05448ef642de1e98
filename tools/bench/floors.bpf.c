// SPDX-License-Identifier: GPL-2.0
/*
 * Floor programs for the data-plane benchmark: the least any XDP balancer
 * does, measured in the same process as xlb so that ratios, not machine-
 * dependent nanoseconds, are what the benchmark reports.
 *   floor_pass:   XDP_PASS only.
 *   floor_tx:     parse to the ports, swap MACs, XDP_TX.
 *   floor_hit:    floor_tx + one lookup that hits in the connection table.
 *   floor_insert: floor_tx + a lookup that misses and an insert.
 * The data-plane benchmark gives floor_conns the connection table of the xlb
 * instance a floor is compared with (bpf_map__reuse_fd): a table of the same
 * definition made apart differs in insert cost by more than what is measured.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "conn_table.h"

/* xlb's connection table: its definition, and in the benchmark its map. */
struct {
	XLB_CONN_TABLE_DEFINITION;
} floor_conns SEC(".maps");

/* Ethernet, IPv4 or IPv6 (no options, no extension headers), TCP/UDP. */
static __always_inline int parse(void *data, void *data_end,
				 struct xlb_flow_key *key)
{
	struct ethhdr *eth = data;
	__u16 *ports;

	if ((void *)(eth + 1) > data_end)
		return -1;
	if (eth->h_proto == bpf_htons(0x0800)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return -1;
		key->saddr.v4 = ip->saddr;
		key->daddr.v4 = ip->daddr;
		key->proto = ip->protocol;
		key->family = XLB_FAMILY_V4;
		ports = (void *)(ip + 1);
	} else if (eth->h_proto == bpf_htons(0x86dd)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		__builtin_memcpy(&key->saddr, &ip6->saddr, 16);
		__builtin_memcpy(&key->daddr, &ip6->daddr, 16);
		key->proto = ip6->nexthdr;
		key->family = XLB_FAMILY_V6;
		ports = (void *)(ip6 + 1);
	} else {
		return -1;
	}
	if ((void *)(ports + 2) > data_end)
		return -1;
	key->sport = ports[0];
	key->dport = ports[1];
	return 0;
}

static __always_inline int swap_and_tx(void *data)
{
	struct ethhdr *eth = data;
	__u8 tmp[6];

	__builtin_memcpy(tmp, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, tmp, 6);
	return XDP_TX;
}

SEC("xdp")
int floor_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

SEC("xdp")
int floor_tx(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct xlb_flow_key key = {};

	if (parse(data, data_end, &key))
		return XDP_PASS;
	return swap_and_tx(data);
}

SEC("xdp")
int floor_hit(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct xlb_flow_key key = {};
	struct xlb_conn *conn;

	if (parse(data, data_end, &key))
		return XDP_PASS;
	conn = bpf_map_lookup_elem(&floor_conns, &key);
	if (!conn)
		return XDP_DROP; /* the benchmark seeds the entry: a hit */
	return swap_and_tx(data);
}

SEC("xdp")
int floor_insert(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct xlb_flow_key key = {};
	struct xlb_conn conn = { .pair = 1 };

	if (parse(data, data_end, &key))
		return XDP_PASS;
	if (bpf_map_lookup_elem(&floor_conns, &key))
		return XDP_DROP; /* every packet is a new flow: a miss */
	bpf_map_update_elem(&floor_conns, &key, &conn, BPF_ANY);
	return swap_and_tx(data);
}

char LICENSE[] SEC("license") = "GPL";
